"""NEST 3.10 reference for stdp_triplet_synapse (Pfister & Gerstner 2006), written next to the tests.

The pairing protocol of ../shared/peers/nest/stdp.py (two parrots driven by spike generators, the
plastic connection on the post parrot's receptor 1), with triplet-rich timing: pre spikes every
50 ms, each followed by two post spikes (+5 and +15 ms) in the first half and preceded by two
post spikes (-15 and -5 ms) in the second, plus Wmax, tau_minus_triplet set off their defaults.
A weight_recorder logs the weight after each transmitted pre spike.

Run: /path/to/venv-with-nest-simulator-3.10.0/bin/python tools/nest_reference/stdp_triplet.py
Output: Tests/Fixtures/stdp_triplet_weights.csv (t_pre_ms, weight) and the protocol
in Tests/Fixtures/stdp_triplet_protocol.json.
"""
import json
import os

import nest

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.normpath(os.path.join(HERE, "..", "..", "Tests", "Fixtures"))
PARAMS = {"tau_plus": 16.8, "tau_plus_triplet": 101.0, "Aplus": 0.1, "Aminus": 0.05,
          "Aplus_triplet": 0.08, "Aminus_triplet": 0.01, "Wmax": 80.0}
TAU_MINUS, TAU_MINUS_TRIPLET = 33.7, 125.0
W0, DELAY = 40.0, 1.0


def protocol():
    pre, post = [], []
    for k in range(16):
        t = 20.0 + 50.0 * k
        pre.append(t)
        post += [t + 5.0, t + 15.0] if k < 8 else [t - 15.0, t - 5.0]
    pre.append(900.0)
    return [round(x, 1) for x in pre], sorted(round(x, 1) for x in post)


def main():
    pre, post = protocol()
    nest.set_verbosity("M_ERROR")
    nest.ResetKernel()
    nest.resolution = 0.1
    sg_pre = nest.Create("spike_generator", params={"spike_times": [t - 1.0 for t in pre]})
    sg_post = nest.Create("spike_generator", params={"spike_times": [t - 1.0 for t in post]})
    p_pre = nest.Create("parrot_neuron")
    p_post = nest.Create("parrot_neuron", params={"tau_minus": TAU_MINUS, "tau_minus_triplet": TAU_MINUS_TRIPLET})
    nest.Connect(sg_pre, p_pre, syn_spec={"delay": 1.0})
    nest.Connect(sg_post, p_post, syn_spec={"delay": 1.0})
    wr = nest.Create("weight_recorder")
    nest.CopyModel("stdp_triplet_synapse", "triplet_rec", {"weight_recorder": wr})
    nest.Connect(p_pre, p_post, syn_spec=dict(synapse_model="triplet_rec", weight=W0, delay=DELAY, receptor_type=1, **PARAMS))
    nest.Simulate(1000.0)
    ev = wr.get("events")
    os.makedirs(OUT, exist_ok=True)
    with open(os.path.join(OUT, "stdp_triplet_weights.csv"), "w") as f:
        f.write("t_pre_ms,weight\n")
        for t, w in zip(ev["times"], ev["weights"]):
            f.write(f"{t:.1f},{w:.17g}\n")
    with open(os.path.join(OUT, "stdp_triplet_protocol.json"), "w") as f:
        json.dump({"nest_version": nest.__version__, "pre_ms": pre, "post_ms": post, "synapse": PARAMS,
                   "tau_minus": TAU_MINUS, "tau_minus_triplet": TAU_MINUS_TRIPLET, "weight": W0, "delay": DELAY}, f, indent=1)
    print(f"{len(ev['weights'])} weights, last {ev['weights'][-1]:.6f}")


if __name__ == "__main__":
    main()
