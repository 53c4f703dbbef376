"""NEST 3.10 references for hh_cond_exp_traub (Traub-Miles Hodgkin-Huxley, exponential conductances).

Cases, each one neuron, resolution 0.1 ms, one thread, 200 ms; every recordable (V_m, g_ex,
g_in, Act_m, Inact_h, Act_n) by a multimeter every 0.1 ms and the spike times:
  dc          NEST's defaults, I_e = 500 pA: repetitive firing (the first spike comes early,
              as the gates start off their steady state)
  spikes      I_e = 50 pA; excitatory trains (20 nS, delay 1 ms; 35 nS, delay 1.5 ms) and an
              inhibitory one (-40 nS, delay 1 ms), with spikes in consecutive steps, two
              arriving in the same step and excitation and inhibition arriving together
  params      V_T, g_Na, g_K, g_L, C_m, E_L, E_ex, E_in, tau_syn_ex, tau_syn_in and t_ref off
              their defaults; I_e = 100 pA plus a dc_generator (450 pA from 20 to 150 ms, so
              the current of the step before acts: NEST's I_stim) and a few input spikes
The initial state is NEST's (V_m = -60 mV whatever E_L is; the gates as NEST computes them).

Run: OMP_WAIT_POLICY=PASSIVE /opt/nestvenv/bin/python tools/nest_reference/hh_cond_exp_traub.py
Output: Tests/Fixtures/hh_cond_exp_traub.json (each case's parameters, inputs, the neuron's
status before Simulate and the spike times) and Tests/Fixtures/hh_cond_exp_traub_<case>.csv.bz2
(time_ms, then every recordable, at full precision).
"""
import bz2
import json
import os

import nest

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.normpath(os.path.join(HERE, "..", "..", "Tests", "Fixtures"))
T_SIM = 200.0
RESOLUTION = 0.1
RECORDABLES = ["V_m", "g_ex", "g_in", "Act_m", "Inact_h", "Act_n"]

CASES = {
    "dc": dict(params={"I_e": 500.0}, generators=[]),
    "spikes": dict(
        params={"I_e": 50.0},
        generators=[
            dict(model="spike_generator", params={"spike_times": [10.0, 10.1, 10.2, 30.0, 30.5, 31.0, 60.0, 60.0, 100.0, 140.0]},
                 weight=20.0, delay=1.0),
            dict(model="spike_generator", params={"spike_times": [29.5, 60.0, 100.3, 100.4, 160.0]},
                 weight=35.0, delay=1.5),
            dict(model="spike_generator", params={"spike_times": [31.0, 61.5, 80.0, 80.1, 120.0, 141.0]},
                 weight=-40.0, delay=1.0),
        ]),
    "params": dict(
        params={"I_e": 100.0, "V_T": -58.0, "g_Na": 15000.0, "g_K": 5000.0, "g_L": 15.0, "C_m": 250.0,
                "E_L": -65.0, "E_ex": 5.0, "E_in": -75.0, "tau_syn_ex": 2.0, "tau_syn_in": 6.0, "t_ref": 3.0},
        generators=[
            dict(model="dc_generator", params={"amplitude": 450.0, "start": 20.0, "stop": 150.0}, weight=1.0, delay=1.0),
            dict(model="spike_generator", params={"spike_times": [5.0, 5.1, 170.0]}, weight=30.0, delay=1.0),
            dict(model="spike_generator", params={"spike_times": [60.0, 175.0]}, weight=-50.0, delay=2.0),
        ]),
}


def run(case):
    nest.set_verbosity("M_ERROR")
    nest.ResetKernel()
    nest.SetKernelStatus({"resolution": RESOLUTION, "local_num_threads": 1})
    n = nest.Create("hh_cond_exp_traub", params=case["params"])
    for g in case["generators"]:
        src = nest.Create(g["model"], params=g["params"])
        nest.Connect(src, n, syn_spec={"weight": g["weight"], "delay": g["delay"]})
    mm = nest.Create("multimeter", params={"record_from": RECORDABLES, "interval": RESOLUTION})
    sr = nest.Create("spike_recorder")
    nest.Connect(mm, n)
    nest.Connect(n, sr)
    status = {k: float(v) for k, v in n.get().items() if isinstance(v, float)}
    # The multimeter's samples reach it one min_delay late: run 5 ms longer, keep t <= T_SIM.
    nest.Simulate(T_SIM + 5.0)
    ev = mm.get("events")
    keep = sorted((float(t), k) for k, t in enumerate(ev["times"]) if t <= T_SIM + 1e-9)
    rows = [[round(t, 6)] + [float(ev[r][k]) for r in RECORDABLES] for t, k in keep]
    spikes = sorted(round(float(t), 6) for t in sr.get("events")["times"] if t <= T_SIM + 1e-9)
    return rows, spikes, status


def main():
    os.makedirs(OUT, exist_ok=True)
    meta = {"resolution_ms": RESOLUTION, "duration_ms": T_SIM, "nest_version": nest.__version__,
            "recordables": RECORDABLES, "defaults": {k: float(v) for k, v in nest.GetDefaults("hh_cond_exp_traub").items()
                                                     if isinstance(v, float)},
            "cases": {}}
    for name, case in CASES.items():
        rows, spikes, status = run(case)
        meta["cases"][name] = dict(case, spikes=spikes, status_before_simulate=status)
        text = "time_ms," + ",".join(RECORDABLES) + "\n" + "".join(",".join(repr(v) for v in r) + "\n" for r in rows)
        with open(os.path.join(OUT, f"hh_cond_exp_traub_{name}.csv.bz2"), "wb") as f:
            f.write(bz2.compress(text.encode()))
        print(f"{name}: {len(rows)} samples, {len(spikes)} spikes {spikes[:12]}")
    with open(os.path.join(OUT, "hh_cond_exp_traub.json"), "w") as f:
        json.dump(meta, f, indent=1)
        f.write("\n")


if __name__ == "__main__":
    main()
