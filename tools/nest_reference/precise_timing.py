"""NEST 3.10 reference: precise spike timing (off-grid spikes).

Every case is one small network at resolution 0.1 ms, described in the fixture itself (so the
Swift tests build exactly the same one): a neuron of a precise-timing model (iaf_psc_alpha_ps,
iaf_psc_exp_ps, iaf_psc_delta_ps) driven by a constant current and/or spike_generators, with
precise_times (off-grid spike times) or on the grid; chains where a precise neuron drives another
precise neuron, a grid neuron and a parrot_neuron_ps; and parrot_neuron_ps repeating off-grid
input. Recorded: spike times (NEST writes stamp - offset) and V_m every step.

poisson_generator_ps: 20 parrot_neuron_ps each fed by their own train (rate 400 Hz, dead time
1 ms), 10 s; the statistics of the pooled inter-spike intervals (the draws themselves are NEST's
RNG's and are not reproduced).

Run: OMP_WAIT_POLICY=PASSIVE /opt/nestvenv/bin/python tools/nest_reference/precise_timing.py
Output: Tests/Fixtures/precise_timing.json
"""
import json
import os

import numpy as np
import nest

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.normpath(os.path.join(HERE, "..", "..", "Tests", "Fixtures", "precise_timing.json"))
H = 0.1

rng = np.random.default_rng(20250310)


def offgrid(n, t0, t1):
    """n sorted times in (t0, t1), off the grid (random doubles)."""
    return sorted(float(x) for x in rng.uniform(t0, t1, n))


def run_case(case):
    """Builds and simulates `case` (a dict the fixture keeps); returns its recordings."""
    nest.ResetKernel()
    nest.set(resolution=H, local_num_threads=1)
    nodes = {}
    for name, pop in case["populations"].items():
        params = dict(pop.get("params", {}))
        nodes[name] = nest.Create(pop["model"], pop.get("size", 1), params=params or None)
    for c in case["connections"]:
        nest.Connect(nodes[c["source"]], nodes[c["target"]], "all_to_all",
                     syn_spec={"weight": c["weight"], "delay": c["delay"]})
    recs = {}
    for name in case["record_spikes"]:
        sr = nest.Create("spike_recorder")
        nest.Connect(nodes[name], sr)
        recs[name] = sr
    mms = {}
    for name in case.get("record_vm", []):
        mm = nest.Create("multimeter", params={"record_from": ["V_m"], "interval": H})
        nest.Connect(mm, nodes[name])
        mms[name] = mm
    nest.Simulate(case["duration"])
    out = {"spikes": {}, "vm": {}}
    for name, sr in recs.items():
        ev = sr.get("events")
        order = np.lexsort((ev["senders"], ev["times"]))
        out["spikes"][name] = {"times": [float(ev["times"][k]) for k in order],
                               "senders": [int(ev["senders"][k]) for k in order]}
    for name, mm in mms.items():
        ev = mm.get("events")
        out["vm"][name] = {"times": [float(t) for t in ev["times"]], "V_m": [float(v) for v in ev["V_m"]]}
    return out


def gen(times, precise=True):
    return {"model": "spike_generator", "params": {"spike_times": times, "precise_times": precise}}


cases = []

# 1. Constant current only: crossings located within steps, precise refractoriness.
for model, ie in [("iaf_psc_alpha_ps", 800.0), ("iaf_psc_exp_ps", 800.0), ("iaf_psc_delta_ps", 800.0)]:
    cases.append({"name": f"{model}_dc", "duration": 100.0,
                  "populations": {"n": {"model": model, "params": {"I_e": ie, "t_ref": 2.0}}},
                  "connections": [], "record_spikes": ["n"], "record_vm": ["n"]})

# 2. Off-grid and on-grid spike input (excitatory and inhibitory), with a subthreshold current.
for model, ie, wex, win in [("iaf_psc_alpha_ps", 300.0, 900.0, -400.0), ("iaf_psc_exp_ps", 300.0, 900.0, -400.0),
                            ("iaf_psc_delta_ps", 300.0, 2.5, -1.5)]:
    ex = offgrid(60, 0.5, 95.0)
    inh = offgrid(25, 0.5, 95.0)
    grid = [2.0, 7.5, 7.5 + H, 30.0, 55.5, 80.1]
    # Two spikes at one time, and one exactly on a step boundary given as off-grid input.
    ex = sorted(ex + [ex[10], 40.0])
    cases.append({"name": f"{model}_spikes", "duration": 100.0,
                  "populations": {"ex": gen(ex), "in": gen(inh), "grid": gen(grid, False),
                                  "n": {"model": model, "params": {"I_e": ie}}},
                  "connections": [{"source": "ex", "target": "n", "weight": wex, "delay": 1.0},
                                  {"source": "in", "target": "n", "weight": win, "delay": 1.3},
                                  {"source": "grid", "target": "n", "weight": wex, "delay": 0.5}],
                  "record_spikes": ["n"], "record_vm": ["n"]})

# 3. Chains: a precise neuron's off-grid spikes into precise neurons of each model, a grid
#    iaf_psc_alpha (which takes them on the grid) and a parrot_neuron_ps.
cases.append({"name": "chain", "duration": 200.0,
              "populations": {
                  "src": {"model": "iaf_psc_exp_ps", "size": 3, "params": {"I_e": 450.0, "tau_m": 10.0}},
                  "a": {"model": "iaf_psc_alpha_ps", "params": {"I_e": 330.0}},
                  "e": {"model": "iaf_psc_exp_ps", "params": {"I_e": 330.0}},
                  "d": {"model": "iaf_psc_delta_ps", "params": {"I_e": 330.0}},
                  "g": {"model": "iaf_psc_alpha", "params": {"I_e": 330.0}},
                  "p": {"model": "parrot_neuron_ps"},
              },
              "connections": [
                  {"source": "src", "target": "a", "weight": 400.0, "delay": 1.0},
                  {"source": "src", "target": "e", "weight": 300.0, "delay": 1.5},
                  {"source": "src", "target": "d", "weight": 1.2, "delay": 0.7},
                  {"source": "src", "target": "g", "weight": 400.0, "delay": 1.0},
                  {"source": "src", "target": "p", "weight": 1.0, "delay": 2.0},
              ],
              "record_spikes": ["src", "a", "e", "d", "g", "p"], "record_vm": ["a", "e", "d", "g"]})

# 4. parrot_neuron_ps repeating off-grid input, and a second parrot repeating the first.
cases.append({"name": "parrot_ps", "duration": 30.0,
              "populations": {"s": gen(offgrid(20, 0.2, 20.0) + [22.0, 22.05]), "p1": {"model": "parrot_neuron_ps"},
                              "p2": {"model": "parrot_neuron_ps"}},
              "connections": [{"source": "s", "target": "p1", "weight": 1.0, "delay": 1.0},
                              {"source": "p1", "target": "p2", "weight": 1.0, "delay": 0.4}],
              "record_spikes": ["s", "p1", "p2"]})

for c in cases:
    # JSON objects have no order; NEST numbers nodes in creation order.
    c["population_order"] = list(c["populations"].keys())
    c["nest"] = run_case(c)
    print(c["name"], {k: len(v["times"]) for k, v in c["nest"]["spikes"].items()})

# 5. poisson_generator_ps statistics.
rate, dead, n, T = 400.0, 1.0, 20, 10000.0
nest.ResetKernel()
nest.set(resolution=H, rng_seed=12345)
pg = nest.Create("poisson_generator_ps", params={"rate": rate, "dead_time": dead})
parrots = nest.Create("parrot_neuron_ps", n)
nest.Connect(pg, parrots, syn_spec={"delay": 1.0})
sr = nest.Create("spike_recorder")
nest.Connect(parrots, sr)
nest.Simulate(T)
ev = sr.get("events")
isis = []
for s in set(ev["senders"]):
    t = np.sort(ev["times"][ev["senders"] == s])
    isis.extend(np.diff(t))
isis = np.array(isis)
stats = {"rate_hz": rate, "dead_time_ms": dead, "parrots": n, "duration_ms": T, "delay_ms": 1.0,
         "spikes": int(len(ev["times"])), "mean_isi_ms": float(isis.mean()), "cv_isi": float(isis.std() / isis.mean()),
         "min_isi_ms": float(isis.min()),
         "fraction_off_grid": float(np.mean(np.abs(ev["times"] / H - np.round(ev["times"] / H)) > 1e-9))}
print(stats)

out = {"nest_version": nest.__version__, "resolution_ms": H, "cases": cases, "poisson_generator_ps": stats}
with open(OUT, "w") as f:
    json.dump(out, f, indent=None)
