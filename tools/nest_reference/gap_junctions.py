"""NEST 3.10 references for gap junctions (hh_psc_alpha_gap + gap_junction, waveform relaxation).

Scenarios, all at resolution 0.1 ms, one thread:
  two neurons, symmetric gap junction g = 20 nS, neuron 1 driven by I_e = 300 pA (fires), neuron 2
  by I_e = 20 pA (below threshold alone, fires through the junction); V_m every step for 100 ms, spike times of both, under
    o3      use_wfr, wfr_interpolation_order 3, wfr_comm_interval 1 ms (NEST's defaults)
    o0, o1  interpolation orders 0 and 1
    c05     order 3 with wfr_comm_interval 0.5 ms
    nowfr   use_wfr False (partner V_m of the previous step, constant)
    it3     wfr_max_iterations 3 (most intervals stop unconverged: tests the iteration count)
    tol8    wfr_tol 1e-8 (more iterations per interval)
    inputs  order 3; neuron 1 driven by a dc_generator (5-70 ms), neuron 2 gets exc./inh. spikes
    single  one uncoupled neuron, I_e = 300 pA
  network: 30 hh_psc_alpha_gap neurons, heterogeneous I_e, 45 random symmetric gap junctions and
  90 static chemical synapses from fixed lists (written to the fixture so both sides build the
  same graph), 200 ms, spike times and V_m of every neuron every 1 ms.

Run: /opt/nestvenv/bin/python tools/nest_reference/gap_junctions.py
Output: Tests/Fixtures/gap_two_neurons_vm.csv (time_ms, then V_m of neuron 1 and 2 per scenario),
Tests/Fixtures/gap_two_neurons.json (settings, spike times, min_delay per scenario, and the
min_delay NEST derives from wfr_comm_interval 2 ms with and without recorders/generators),
Tests/Fixtures/gap_network.json (the graph, drive and spike times).
"""
import json
import os
import random

import nest

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.normpath(os.path.join(HERE, "..", "..", "Tests", "Fixtures"))
T_SIM = 100.0
G = 20.0
I_E = (300.0, 20.0)

SCENARIOS = {
    "o3": dict(use_wfr=True, wfr_interpolation_order=3, wfr_comm_interval=1.0),
    "o0": dict(use_wfr=True, wfr_interpolation_order=0, wfr_comm_interval=1.0),
    "o1": dict(use_wfr=True, wfr_interpolation_order=1, wfr_comm_interval=1.0),
    "c05": dict(use_wfr=True, wfr_interpolation_order=3, wfr_comm_interval=0.5),
    "nowfr": dict(use_wfr=False),
    "it3": dict(use_wfr=True, wfr_interpolation_order=3, wfr_max_iterations=3),
    "tol8": dict(use_wfr=True, wfr_interpolation_order=3, wfr_tol=1e-8),
}


def reset(kernel):
    nest.set_verbosity("M_ERROR")
    nest.ResetKernel()
    nest.SetKernelStatus({"resolution": 0.1, "local_num_threads": 1})
    nest.SetKernelStatus(kernel)


# scenario "inputs": neuron 1 driven by a dc_generator instead of I_e, neuron 2 receives
# excitatory and inhibitory spikes (WFR iterations see I_stim of the last real step and the
# spikes already buffered for the interval)
DC = dict(amplitude=300.0, start=5.0, stop=70.0)
SPIKES_EX, W_EX = [15.0, 15.5, 42.3, 80.0], 400.0
SPIKES_IN, W_IN = [30.0, 55.7], -600.0


def two_neurons(kernel, coupled=True, inputs=False):
    reset(kernel)
    n = nest.Create("hh_psc_alpha_gap", 2 if coupled else 1)
    for k in range(len(n)):
        n[k].I_e = I_E[k]
    if inputs:
        n[0].I_e = 0.0
        nest.Connect(nest.Create("dc_generator", params=DC), n[0], syn_spec={"delay": 1.0})
        sg_ex = nest.Create("spike_generator", params={"spike_times": SPIKES_EX})
        sg_in = nest.Create("spike_generator", params={"spike_times": SPIKES_IN})
        nest.Connect(sg_ex, n[1], syn_spec={"weight": W_EX, "delay": 1.0})
        nest.Connect(sg_in, n[1], syn_spec={"weight": W_IN, "delay": 1.0})
    if coupled:
        nest.Connect(n[0], n[1], {"rule": "one_to_one", "make_symmetric": True},
                     {"synapse_model": "gap_junction", "weight": G})
    mm = nest.Create("multimeter", params={"record_from": ["V_m"], "interval": 0.1})
    sr = nest.Create("spike_recorder")
    nest.Connect(mm, n)
    nest.Connect(n, sr)
    # The multimeter's samples reach it one min_delay late: run 1 ms longer, keep t <= T_SIM.
    nest.Simulate(T_SIM + 1.0)
    ev = mm.get("events")
    vm = {}
    for s, t, v in zip(ev["senders"], ev["times"], ev["V_m"]):
        if t <= T_SIM + 1e-9:
            vm.setdefault(int(s), []).append((float(t), float(v)))
    sp = sr.get("events")
    spikes = {str(int(g)): sorted(float(t) for s, t in zip(sp["senders"], sp["times"]) if s == g and t <= T_SIM + 1e-9)
              for g in n.tolist()}
    return vm, spikes, nest.GetKernelStatus("min_delay")


def network():
    rng = random.Random(20261125)
    N = 30
    ie = [round(rng.uniform(40.0, 140.0), 3) for _ in range(N)]
    pairs = set()
    while len(pairs) < 45:
        a, b = rng.sample(range(N), 2)
        pairs.add((min(a, b), max(a, b)))
    gaps = [[a, b, round(rng.uniform(2.0, 12.0), 3)] for a, b in sorted(pairs)]
    chem = []
    for _ in range(90):
        a, b = rng.sample(range(N), 2)
        w = round(rng.uniform(20.0, 80.0), 3) * (1 if rng.random() < 0.75 else -3)
        chem.append([a, b, w, round(rng.choice([1.0, 1.5, 2.0, 3.2]), 1)])
    reset(SCENARIOS["o3"])
    n = nest.Create("hh_psc_alpha_gap", N)
    for k in range(N):
        n[k].I_e = ie[k]
    for a, b, g in gaps:
        nest.Connect(n[a], n[b], {"rule": "one_to_one", "make_symmetric": True},
                     {"synapse_model": "gap_junction", "weight": g})
    for a, b, w, d in chem:
        nest.Connect(n[a], n[b], "one_to_one", {"synapse_model": "static_synapse", "weight": w, "delay": d})
    sr = nest.Create("spike_recorder")
    nest.Connect(n, sr)
    # V_m of every neuron every 1 ms (run 1 ms longer: the samples arrive one min_delay late)
    mm = nest.Create("multimeter", params={"record_from": ["V_m"], "interval": 1.0})
    nest.Connect(mm, n)
    T = 200.0
    nest.Simulate(T + 1.0)
    sp = sr.get("events")
    events = sorted((float(t), int(s)) for s, t in zip(sp["senders"], sp["times"]) if t <= T + 1e-9)
    ev = mm.get("events")
    vm = [[] for _ in range(N)]
    for s, t, v in sorted(zip(ev["senders"], ev["times"], ev["V_m"]), key=lambda x: (x[1], x[0])):
        if t <= T + 1e-9:
            vm[int(s) - 1].append(float(v))
    return dict(neurons=N, duration_ms=T, I_e=ie, gap_junctions=gaps, chemical=chem,
                min_delay_ms=nest.GetKernelStatus("min_delay"),
                spikes=[[t, s] for t, s in events], vm_every_1ms=vm, nest_version=nest.__version__)


def min_delay_probe():
    """NEST's min_delay with wfr_comm_interval 2 ms: the gap junctions alone, and with a recorder
    or a dc_generator connected (their connections' default delay, 1 ms, counts too)."""
    out = {}
    for extra in ["none", "spike_recorder", "multimeter", "dc_generator"]:
        reset({"wfr_comm_interval": 2.0})
        n = nest.Create("hh_psc_alpha_gap", 2)
        nest.Connect(n[0], n[1], {"rule": "one_to_one", "make_symmetric": True},
                     {"synapse_model": "gap_junction", "weight": 5.0})
        if extra == "spike_recorder":
            nest.Connect(n, nest.Create("spike_recorder"))
        elif extra == "multimeter":
            nest.Connect(nest.Create("multimeter", params={"record_from": ["V_m"]}), n)
        elif extra == "dc_generator":
            nest.Connect(nest.Create("dc_generator"), n)
        nest.Simulate(5.0)
        out[extra] = nest.GetKernelStatus("min_delay")
    return out


def main():
    os.makedirs(OUT, exist_ok=True)
    columns, meta = [], {"g_nS": G, "I_e": list(I_E), "duration_ms": T_SIM, "scenarios": {},
                         "nest_version": nest.__version__}
    times = None
    for name, kernel in SCENARIOS.items():
        vm, spikes, md = two_neurons(kernel)
        times = [t for t, _ in vm[1]]
        columns += [(f"{name}_n1", [v for _, v in vm[1]]), (f"{name}_n2", [v for _, v in vm[2]])]
        meta["scenarios"][name] = dict(kernel=kernel, spikes=spikes, min_delay_ms=md)
    vm, spikes, md = two_neurons(SCENARIOS["o3"], inputs=True)
    columns += [("inputs_n1", [v for _, v in vm[1]]), ("inputs_n2", [v for _, v in vm[2]])]
    meta["scenarios"]["inputs"] = dict(kernel=SCENARIOS["o3"], spikes=spikes, min_delay_ms=md)
    meta["inputs"] = dict(dc=DC, spikes_ex=SPIKES_EX, w_ex=W_EX, spikes_in=SPIKES_IN, w_in=W_IN)
    vm, spikes, md = two_neurons(SCENARIOS["o3"], coupled=False)
    columns.append(("single", [v for _, v in vm[1]]))
    meta["scenarios"]["single"] = dict(kernel={}, spikes=spikes, min_delay_ms=md)
    meta["min_delay_with_comm_interval_2ms"] = min_delay_probe()
    with open(os.path.join(OUT, "gap_two_neurons_vm.csv"), "w") as f:
        f.write("time_ms," + ",".join(c for c, _ in columns) + "\n")
        for r, t in enumerate(times):
            f.write(f"{t!r}," + ",".join(repr(v[r]) for _, v in columns) + "\n")
    with open(os.path.join(OUT, "gap_two_neurons.json"), "w") as f:
        json.dump(meta, f, indent=1)
    with open(os.path.join(OUT, "gap_network.json"), "w") as f:
        json.dump(network(), f, indent=1)


if __name__ == "__main__":
    main()
