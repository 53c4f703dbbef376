"""NEST 3.10's built-in twins of NESTML library neurons that Plexus has no built-in for.

Runs NEST's iaf_cond_beta and iaf_chxk_2008 on a dc + excitatory and inhibitory spike protocol
(the one of NESTMLModelTests.sideBySide) and writes V_m at every step and the spike times to
Tests/Fixtures/nestml_nest_twins.json; NESTMLModelTests runs the NESTML files
(iaf_cond_beta_neuron, iaf_chxk_2008_neuron) on the same protocol with NEST's parameter values
under NESTML's names and compares.

  /opt/nestvenv/bin/python tools/nestml_reference/nest_twins.py
"""
import json
import os

import nest

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
OUT = os.path.join(REPO, "Tests", "Fixtures", "nestml_nest_twins.json")
EXC = [10.0, 20.3, 55.0, 100.0, 101.0, 102.0, 200.0, 251.7]
INH = [15.0, 30.0, 130.0, 201.0]
DURATION = 400.0

# NEST model, its parameters, the NESTML file's names for them, excitatory and inhibitory weights
CASES = {
    "iaf_cond_beta": ({"I_e": 300.0, "tau_rise_ex": 0.3, "tau_decay_ex": 2.5, "tau_rise_in": 0.5, "tau_decay_in": 4.0, "t_ref": 2.0},
                      {"I_e": "I_e", "tau_rise_ex": "tau_syn_rise_E", "tau_decay_ex": "tau_syn_decay_E",
                       "tau_rise_in": "tau_syn_rise_I", "tau_decay_in": "tau_syn_decay_I", "t_ref": "refr_T"},
                      "iaf_cond_beta_neuron", 6.0, -8.0),
    "iaf_chxk_2008": ({"I_e": 1600.0, "tau_syn_ex": 1.5, "tau_ahp": 0.7},
                      {"I_e": "I_e", "tau_syn_ex": "tau_syn_exc", "tau_ahp": "tau_ahp"},
                      "iaf_chxk_2008_neuron", 40.0, -40.0),
}


def run(model, params, w_exc, w_inh):
    nest.ResetKernel()
    nest.set_verbosity("M_ERROR")
    nest.resolution = 0.1
    n = nest.Create(model, params=params)
    exc = nest.Create("spike_generator", params={"spike_times": EXC})
    inh = nest.Create("spike_generator", params={"spike_times": INH})
    dc = nest.Create("dc_generator", params={"amplitude": 60.0, "start": 120.0, "stop": 300.0})
    nest.Connect(exc, n, syn_spec={"weight": w_exc, "delay": 1.0})
    nest.Connect(inh, n, syn_spec={"weight": w_inh, "delay": 1.5})
    nest.Connect(dc, n)
    mm = nest.Create("multimeter", params={"record_from": ["V_m"], "interval": 0.1})
    sr = nest.Create("spike_recorder")
    nest.Connect(mm, n)
    nest.Connect(n, sr)
    nest.Simulate(DURATION)
    ev = mm.get("events")
    return [float(v) for v in ev["V_m"]], [round(float(t), 10) for t in sr.get("events")["times"]]


def main():
    cases = {}
    for model, (params, names, nestml, w_exc, w_inh) in CASES.items():
        v, s = run(model, params, w_exc, w_inh)
        cases[model] = {"nestml": nestml, "params": {names[k]: x for k, x in params.items()}, "nest_params": params,
                        "w_exc": w_exc, "w_inh": w_inh, "V_m": v, "spikes": s}
        print(f"{model}: {len(s)} spikes, first {s[:4]}")
    with open(OUT, "w") as f:
        json.dump({"nest_version": nest.__version__, "duration_ms": DURATION, "exc_times": EXC, "inh_times": INH, "cases": cases}, f)
    print("wrote", OUT)


if __name__ == "__main__":
    main()
