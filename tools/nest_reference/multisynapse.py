"""NEST 3.10 references for the multisynapse neuron models (receptor ports).

Cases, each one neuron, resolution 0.1 ms, one thread, 300 ms; every recordable by a multimeter
every 0.1 ms and the spike times. Spike trains reach every receptor port (receptor_type 1 ... K)
with its own weight and delay, spikes in consecutive steps and two in one step included, plus a
dc_generator (receptor 0):
  aeif_beta    aeif_cond_beta_multisynapse, 4 ports with different rise and decay times (one with
               rise = decay, NEST's alpha case) and reversal potentials (two inhibitory)
  aeif_alpha   aeif_cond_alpha_multisynapse, 3 ports (tau_syn 1, 20, 1.5 ms), t_ref 2 ms
  psc_exp      iaf_psc_exp_multisynapse, 3 ports (tau_syn 0.5, 2, 8 ms), excitatory and inhibitory
               weights on the same port
  psc_alpha    iaf_psc_alpha_multisynapse, 3 ports (tau_syn 0.3, 3, 10 ms), both signs on a port,
               V_min reached by strong inhibition

Run: OMP_WAIT_POLICY=PASSIVE /opt/nestvenv/bin/python tools/nest_reference/multisynapse.py
Output: Tests/Fixtures/multisynapse.json (each case's model, parameters, inputs, recordables and
spike times) and Tests/Fixtures/multisynapse_<case>.csv.bz2 (time_ms, then every recordable, at
full precision).
"""
import bz2
import json
import os

import nest

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.normpath(os.path.join(HERE, "..", "..", "Tests", "Fixtures"))
T_SIM = 300.0
RESOLUTION = 0.1


def sg(times, weight, delay, receptor):
    return dict(model="spike_generator", params={"spike_times": times}, weight=weight, delay=delay, receptor=receptor)


CASES = {
    "aeif_beta": dict(
        model="aeif_cond_beta_multisynapse",
        params={"I_e": 150.0, "E_rev": [0.0, 0.0, -85.0, -75.0], "tau_rise": [0.5, 2.0, 1.0, 3.0],
                "tau_decay": [5.0, 30.0, 10.0, 3.0], "t_ref": 1.0},
        recordables=["V_m", "w", "g_1", "g_2", "g_3", "g_4"],
        generators=[
            dict(model="dc_generator", params={"amplitude": 300.0, "start": 100.0, "stop": 200.0}, weight=1.0, delay=1.0, receptor=0),
            sg([10.0, 10.1, 10.2, 40.0, 40.0, 120.0, 220.0], 20.0, 1.0, 1),
            sg([30.0, 80.0, 80.1, 150.0, 250.0], 8.0, 1.5, 2),
            sg([35.0, 60.0, 160.0, 160.1, 230.0], 15.0, 1.0, 3),
            sg([12.0, 90.0, 170.0, 260.0], 25.0, 2.0, 4),
        ]),
    "aeif_alpha": dict(
        model="aeif_cond_alpha_multisynapse",
        params={"I_e": 200.0, "E_rev": [0.0, 0.0, -70.0], "tau_syn": [1.0, 20.0, 1.5], "t_ref": 2.0, "a": 2.0, "b": 60.0},
        recordables=["V_m", "w", "g_1", "g_2", "g_3"],
        generators=[
            dict(model="dc_generator", params={"amplitude": 250.0, "start": 50.0, "stop": 180.0}, weight=1.0, delay=1.0, receptor=0),
            sg([10.0, 10.1, 40.0, 40.0, 100.0, 210.0], 30.0, 1.0, 1),
            sg([20.0, 120.0, 220.0, 220.1], 5.0, 1.5, 2),
            sg([25.0, 60.0, 60.1, 150.0, 240.0], 40.0, 1.0, 3),
        ]),
    "psc_exp": dict(
        model="iaf_psc_exp_multisynapse",
        params={"I_e": 300.0, "tau_syn": [0.5, 2.0, 8.0], "t_ref": 2.0, "tau_m": 15.0, "E_L": -65.0, "V_th": -50.0, "V_reset": -68.0},
        recordables=["V_m", "I_syn", "I_syn_1", "I_syn_2", "I_syn_3"],
        generators=[
            dict(model="dc_generator", params={"amplitude": 150.0, "start": 100.0, "stop": 200.0}, weight=1.0, delay=1.0, receptor=0),
            sg([10.0, 10.1, 10.2, 40.0, 40.0, 120.0, 220.0], 400.0, 1.0, 1),
            sg([30.0, 80.0, 80.1, 150.0, 250.0], 300.0, 1.5, 2),
            sg([35.0, 60.0, 160.0, 160.1, 230.0], -500.0, 1.0, 2),
            sg([12.0, 90.0, 90.0, 170.0, 260.0], 150.0, 2.0, 3),
            sg([50.0, 50.1, 190.0], -200.0, 1.0, 3),
        ]),
    "psc_alpha": dict(
        model="iaf_psc_alpha_multisynapse",
        params={"I_e": 250.0, "tau_syn": [0.3, 3.0, 10.0], "t_ref": 1.5, "tau_m": 12.0, "E_L": -60.0, "V_th": -48.0,
                "V_reset": -65.0, "V_min": -75.0},
        recordables=["V_m", "I_syn", "I_syn_1", "I_syn_2", "I_syn_3"],
        generators=[
            dict(model="dc_generator", params={"amplitude": 150.0, "start": 100.0, "stop": 200.0}, weight=1.0, delay=1.0, receptor=0),
            sg([10.0, 10.1, 10.2, 40.0, 40.0, 120.0, 220.0], 400.0, 1.0, 1),
            sg([30.0, 80.0, 80.1, 150.0, 250.0], 200.0, 1.5, 2),
            sg([35.0, 60.0, 60.1, 60.2, 160.0, 160.1, 230.0], -900.0, 1.0, 2),
            sg([12.0, 90.0, 90.0, 170.0, 260.0], 100.0, 2.0, 3),
            sg([50.0, 50.1, 190.0], -300.0, 1.0, 3),
        ]),
}


def run(case):
    nest.set_verbosity("M_ERROR")
    nest.ResetKernel()
    nest.SetKernelStatus({"resolution": RESOLUTION, "local_num_threads": 1})
    n = nest.Create(case["model"], params=case["params"])
    for g in case["generators"]:
        src = nest.Create(g["model"], params=g["params"])
        nest.Connect(src, n, syn_spec={"weight": g["weight"], "delay": g["delay"], "receptor_type": g["receptor"]})
    rec = case["recordables"]
    mm = nest.Create("multimeter", params={"record_from": rec, "interval": RESOLUTION})
    sr = nest.Create("spike_recorder")
    nest.Connect(mm, n)
    nest.Connect(n, sr)
    assert set(rec) == set(n.get("recordables")), (rec, n.get("recordables"))
    # The multimeter's samples reach it one min_delay late: run 5 ms longer, keep t <= T_SIM.
    nest.Simulate(T_SIM + 5.0)
    ev = mm.get("events")
    keep = sorted((float(t), k) for k, t in enumerate(ev["times"]) if t <= T_SIM + 1e-9)
    rows = [[round(t, 6)] + [float(ev[r][k]) for r in rec] for t, k in keep]
    spikes = sorted(round(float(t), 6) for t in sr.get("events")["times"] if t <= T_SIM + 1e-9)
    return rows, spikes


def main():
    os.makedirs(OUT, exist_ok=True)
    meta = {"resolution_ms": RESOLUTION, "duration_ms": T_SIM, "nest_version": nest.__version__, "cases": {}}
    for name, case in CASES.items():
        rows, spikes = run(case)
        meta["cases"][name] = dict(case, spikes=spikes)
        with bz2.open(os.path.join(OUT, f"multisynapse_{name}.csv.bz2"), "wt") as f:
            f.write(",".join(["time_ms"] + case["recordables"]) + "\n")
            for r in rows:
                f.write(",".join(repr(x) for x in r) + "\n")
        print(name, len(spikes), "spikes", spikes[:8])
    with open(os.path.join(OUT, "multisynapse.json"), "w") as f:
        json.dump(meta, f, indent=1)


if __name__ == "__main__":
    main()
