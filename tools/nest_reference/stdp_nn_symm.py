"""NEST 3.10 reference for stdp_nn_symm_synapse (symmetric nearest-neighbour STDP, Morrison et al.
2007/2008), written next to the tests.

The pairing protocol of stdp_triplet.py (parrots driven by spike generators with 1 ms delays, so
they fire at the listed times; the plastic connection on the post parrot's receptor 1, which
updates the synapse but does not pass the spike on), with one pre parrot and three post parrots
that all fire the same post train, one plastic connection each:
  A: delay 1 ms, mu_plus = mu_minus = 1, tau_minus 20 ms (NEST's defaults but lambda, alpha);
  B: delay 2.5 ms, power-law weight dependence, other tau_plus and tau_minus;
  C: delay 1.7 ms, negative weight and Wmax.
The train has post spikes before the first pre spike (NEST pairs them with a pre spike at t = 0:
t_lastspike_ starts at 0), several post spikes between two pre spikes (each pairs with the last
pre spike) and several pre spikes between two post spikes (each pairs with the last post spike),
and exact coincidences t_pre = t_post + delay for A (post 59 ms, pre 60 ms) and B (post 57.5 ms),
which NEST leaves out of the depression (the pre spike pairs with the post spike before).
A weight_recorder per connection logs the weight after each transmitted pre spike.

Run: OMP_WAIT_POLICY=PASSIVE /path/to/venv-with-nest-simulator-3.10.0/bin/python tools/nest_reference/stdp_nn_symm.py
Output: Tests/Fixtures/stdp_nn_symm_weights.csv (case, t_pre_ms, weight; case 0, 1,
2 = A, B, C) and the protocol in Tests/Fixtures/stdp_nn_symm_protocol.json.
"""
import json
import os
import random

import nest

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.normpath(os.path.join(HERE, "..", "..", "Tests", "Fixtures", "nest", "plasticity"))
T_END = 800.0
CASES = [
    {"delay": 1.0, "weight": 50.0, "tau_minus": 20.0,
     "synapse": {"tau_plus": 20.0, "lambda": 0.05, "alpha": 1.1, "mu_plus": 1.0, "mu_minus": 1.0, "Wmax": 100.0}},
    {"delay": 2.5, "weight": 30.0, "tau_minus": 33.0,
     "synapse": {"tau_plus": 15.0, "lambda": 0.08, "alpha": 0.9, "mu_plus": 0.4, "mu_minus": 0.6, "Wmax": 80.0}},
    {"delay": 1.7, "weight": -20.0, "tau_minus": 20.0,
     "synapse": {"tau_plus": 25.0, "lambda": 0.03, "alpha": 1.0, "mu_plus": 1.0, "mu_minus": 1.0, "Wmax": -60.0}},
]


def protocol():
    pre = [20.0, 40.0, 42.0, 44.0, 60.0, 80.0]
    post = [5.0, 12.0, 23.0, 27.0, 31.0, 57.5, 59.0, 80.0, 80.1]
    rng = random.Random(7)
    t = 100.0
    while t < T_END - 30.0:
        pre.append(t)
        # 0 to 3 post spikes around each pre spike, within +-15 ms.
        for _ in range(rng.randrange(4)):
            post.append(t + rng.choice([-1, 1]) * rng.randrange(1, 150) / 10.0)
        if rng.random() < 0.3:   # a second pre spike soon after
            pre.append(t + rng.randrange(10, 60) / 10.0)
        t += rng.randrange(150, 350) / 10.0
    pre = sorted({round(x, 1) for x in pre})
    post = sorted({round(x, 1) for x in post if 2.0 < x < T_END})
    return pre, post


def main():
    pre, post = protocol()
    nest.verbosity = nest.VerbosityLevel.ERROR
    nest.ResetKernel()
    nest.resolution = 0.1
    sg_pre = nest.Create("spike_generator", params={"spike_times": [t - 1.0 for t in pre]})
    sg_post = nest.Create("spike_generator", params={"spike_times": [t - 1.0 for t in post]})
    p_pre = nest.Create("parrot_neuron")
    nest.Connect(sg_pre, p_pre, syn_spec={"delay": 1.0})
    recorders = []
    for k, c in enumerate(CASES):
        p_post = nest.Create("parrot_neuron", params={"tau_minus": c["tau_minus"]})
        nest.Connect(sg_post, p_post, syn_spec={"delay": 1.0})
        wr = nest.Create("weight_recorder")
        nest.CopyModel("stdp_nn_symm_synapse", f"nn_{k}", {"weight_recorder": wr})
        nest.Connect(p_pre, p_post, syn_spec=dict(synapse_model=f"nn_{k}", weight=c["weight"], delay=c["delay"],
                                                  receptor_type=1, **c["synapse"]))
        recorders.append(wr)
    nest.Simulate(T_END)
    os.makedirs(OUT, exist_ok=True)
    with open(os.path.join(OUT, "stdp_nn_symm_weights.csv"), "w") as f:
        f.write("case,t_pre_ms,weight\n")
        for k, wr in enumerate(recorders):
            ev = wr.get("events")
            for t, w in zip(ev["times"], ev["weights"]):
                f.write(f"{k},{t:.1f},{w:.17g}\n")
            print(f"case {k}: {len(ev['weights'])} weights, last {ev['weights'][-1]:.6f}")
    with open(os.path.join(OUT, "stdp_nn_symm_protocol.json"), "w") as f:
        json.dump({"nest_version": nest.__version__, "duration": T_END, "pre_ms": pre, "post_ms": post,
                   "cases": CASES}, f, indent=1)


if __name__ == "__main__":
    main()
