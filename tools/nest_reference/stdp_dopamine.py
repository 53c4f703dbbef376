"""NEST 3.10 reference for stdp_dopamine_synapse with a volume_transmitter (Izhikevich 2007,
Potjans et al. 2010), written next to the tests.

Two cases share one protocol of pre, post and dopamine spikes from spike generators relayed by
parrot neurons (all delays 1 ms, so NEST's min_delay is 1 ms):
  parrot: the plastic connection ends on the post parrot's receptor 1 (the weight changes the
          synapse only); deliver_interval 1; the dopamine synapse has a 2 ms delay.
  neuron: the plastic connection drives an iaf_psc_alpha neuron that also gets excitatory spikes,
          so the weight shows in V_m; deliver_interval 3; tau_minus set on the neuron.
Each case logs the weight after every transmitted pre spike (weight_recorder) and the
synapse state (weight, c, n, Kplus) every 10 ms by simulating in 10 ms pieces (pieces are whole
slices, so the run is the same as one Simulate call). The neuron case also records V_m every 0.5 ms.

Run: /path/to/venv-with-nest-simulator-3.10.0/bin/python tools/nest_reference/stdp_dopamine.py
Output: Tests/Fixtures/stdp_dopamine.json
"""
import json
import os

import nest

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.normpath(os.path.join(HERE, "..", "..", "Tests", "Fixtures"))
T_END = 600.0


def protocol():
    pre = [round(15.0 + 37.0 * k, 1) for k in range(15)]
    post = sorted({round(t + dt, 1) for k, t in enumerate(pre) for dt in ([4.0] if k % 3 else [-6.0, 9.0])})
    dopa = [round(x, 1) for x in [40.0, 41.0, 120.3, 180.0, 180.1, 260.0, 330.5, 331.5, 332.5, 420.0, 500.2, 560.0]]
    return pre, [t for t in post if 2.0 < t < T_END], dopa


CASES = {
    "parrot": {"deliver_interval": 1, "delay": 2.0, "weight": 30.0, "target": "parrot_neuron",
               "synapse": {"A_plus": 0.8, "A_minus": 1.1, "tau_plus": 18.0, "tau_c": 150.0, "tau_n": 60.0,
                           "b": 0.02, "Wmin": 5.0, "Wmax": 60.0},
               "tau_minus": 25.0},
    "neuron": {"deliver_interval": 3, "delay": 1.0, "weight": 200.0, "target": "iaf_psc_alpha",
               "synapse": {"A_plus": 1.0, "A_minus": 1.5, "tau_plus": 20.0, "tau_c": 200.0, "tau_n": 80.0,
                           "b": 0.0, "Wmin": 0.0, "Wmax": 400.0},
               "tau_minus": 30.0, "drive_weight": 12000.0},
}


def run(name, case, pre, post, dopa):
    nest.set_verbosity("M_ERROR")
    nest.ResetKernel()
    nest.resolution = 0.1
    sg_pre = nest.Create("spike_generator", params={"spike_times": [t - 1.0 for t in pre]})
    sg_post = nest.Create("spike_generator", params={"spike_times": [t - 1.0 for t in post]})
    sg_dopa = nest.Create("spike_generator", params={"spike_times": [t - 1.0 for t in dopa]})
    p_pre = nest.Create("parrot_neuron")
    p_dopa = nest.Create("parrot_neuron")
    vt = nest.Create("volume_transmitter", params={"deliver_interval": case["deliver_interval"]})
    nest.Connect(sg_pre, p_pre, syn_spec={"delay": 1.0})
    nest.Connect(sg_dopa, p_dopa, syn_spec={"delay": 1.0})
    nest.Connect(p_dopa, vt, syn_spec={"delay": 1.0})
    wr = nest.Create("weight_recorder")
    nest.CopyModel("stdp_dopamine_synapse", "dopa", dict(volume_transmitter=vt, weight_recorder=wr, **case["synapse"]))
    syn = dict(synapse_model="dopa", weight=case["weight"], delay=case["delay"])
    mm = None
    if case["target"] == "parrot_neuron":
        post_n = nest.Create("parrot_neuron", params={"tau_minus": case["tau_minus"]})
        nest.Connect(sg_post, post_n, syn_spec={"delay": 1.0})
        syn["receptor_type"] = 1
    else:
        post_n = nest.Create("iaf_psc_alpha", params={"tau_minus": case["tau_minus"]})
        # The post spikes of the protocol become strong excitatory inputs: the neuron fires
        # near them, and its own spikes feed the STDP rule.
        nest.Connect(sg_post, post_n, syn_spec={"delay": 1.0, "weight": case["drive_weight"]})
        mm = nest.Create("multimeter", params={"record_from": ["V_m"], "interval": 0.5})
        nest.Connect(mm, post_n)
    sr = nest.Create("spike_recorder")
    nest.Connect(post_n, sr)
    nest.Connect(p_pre, post_n, syn_spec=syn)
    conn = nest.GetConnections(p_pre, post_n)
    states = []
    t = 0.0
    while t < T_END - 1e-9:
        nest.Simulate(10.0)
        t += 10.0
        s = conn.get(["weight", "c", "n", "Kplus"])
        states.append([round(t, 1), s["weight"], s["c"], s["n"], s["Kplus"]])
    ev = wr.get("events")
    out = {"weights": [[round(a, 1), b] for a, b in zip(ev["times"], ev["weights"])], "states": states,
           "post_spikes": [round(x, 1) for x in sr.get("events")["times"]]}
    if mm is not None:
        e = mm.get("events")
        out["V_m"] = [[round(a, 1), b] for a, b in zip(e["times"], e["V_m"])]
    out.update(case)
    return out


def main():
    pre, post, dopa = protocol()
    result = {"nest_version": nest.__version__, "resolution": 0.1, "duration": T_END,
              "pre_ms": pre, "post_ms": post, "dopamine_ms": dopa, "cases": {}}
    for name, case in CASES.items():
        result["cases"][name] = run(name, case, pre, post, dopa)
        r = result["cases"][name]
        print(f"{name}: {len(r['weights'])} weights, last {r['weights'][-1][1]:.9f}, post spikes {len(r['post_spikes'])}")
    os.makedirs(OUT, exist_ok=True)
    with open(os.path.join(OUT, "stdp_dopamine.json"), "w") as f:
        json.dump(result, f, separators=(",", ":"))


if __name__ == "__main__":
    main()
