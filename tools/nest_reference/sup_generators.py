"""NEST 3.10 reference: gamma_sup_generator, ppd_sup_generator and sinusoidal_poisson_generator,
spike for spike.

Each scenario creates its generators, then 4 parrot_neurons per generator (each target its own
superposition of processes), connects every generator all_to_all to its parrots (weight 1,
delay 1 ms) and records the parrots; resolution 0.1 ms, rng_seed 12345, one virtual process
(and two in the scenario `two_vps`). The parameter sets reach every branch of NEST's update:
binomial draws by waiting times and by rejection (n·p >= 8), Poisson draws where NEST
approximates the binomial, gamma shapes 1..4, dead times of 0 and several steps, rate
modulation, activity windows; sinusoidal_poisson_generator per target and shared (one train per
virtual process, individual_spike_trains false, at resolution 0.05 ms).

Run: OMP_WAIT_POLICY=PASSIVE /opt/nestvenv/bin/python tools/nest_reference/sup_generators.py
Output: Tests/Fixtures/sup_generators.json (per scenario: its generators, and the parrots' spikes
as (time, sender, count): the recorder's rows, those of one spike's multiplicity counted).
"""
import json
import os

import nest

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.normpath(os.path.join(HERE, "..", "..", "Tests", "Fixtures", "sup_generators.json"))

SCENARIOS = {
    "gamma": {"vps": 1, "duration": 150.0, "generators": [
        ("gamma_sup_generator", {"rate": 50.0, "gamma_shape": 3, "n_proc": 1}),
        ("gamma_sup_generator", {"rate": 100.0, "gamma_shape": 2, "n_proc": 1000}),      # binomial by rejection
        ("gamma_sup_generator", {"rate": 20.0, "gamma_shape": 5, "n_proc": 1000}),       # Poisson, products
        ("gamma_sup_generator", {"rate": 10.0, "gamma_shape": 1, "n_proc": 20000}),      # Poisson, rejection
        ("gamma_sup_generator", {"rate": 40.0, "gamma_shape": 4, "n_proc": 7, "start": 20.0, "stop": 120.0}),
    ]},
    "ppd": {"vps": 1, "duration": 150.0, "generators": [
        ("ppd_sup_generator", {"rate": 50.0, "dead_time": 2.5, "n_proc": 1}),
        ("ppd_sup_generator", {"rate": 80.0, "dead_time": 3.0, "n_proc": 1000, "frequency": 10.0, "relative_amplitude": 0.5}),
        ("ppd_sup_generator", {"rate": 30.0, "dead_time": 0.0, "n_proc": 3}),
        ("ppd_sup_generator", {"rate": 10.0, "dead_time": 5.0, "n_proc": 5000, "start": 20.0, "stop": 120.0}),   # Poisson
        ("ppd_sup_generator", {"rate": 400.0, "dead_time": 1.0, "n_proc": 400}),       # binomial by rejection
    ]},
    "sinusoidal": {"vps": 1, "resolution": 0.05, "duration": 150.0, "generators": [
        ("sinusoidal_poisson_generator", {"rate": 400.0, "amplitude": 300.0, "frequency": 20.0, "phase": 30.0}),
        ("sinusoidal_poisson_generator", {"rate": 100.0, "amplitude": 250.0, "frequency": 35.0, "start": 20.0, "stop": 120.0}),
    ]},
    "sinusoidal_shared": {"vps": 2, "resolution": 0.05, "duration": 150.0, "individual_spike_trains": False, "generators": [
        ("sinusoidal_poisson_generator", {"rate": 400.0, "amplitude": 300.0, "frequency": 20.0, "phase": 30.0}),
        ("sinusoidal_poisson_generator", {"rate": 20000.0, "amplitude": 5000.0, "frequency": 7.0}),   # means >= 12
    ]},
    "two_vps": {"vps": 2, "duration": 100.0, "generators": [
        ("gamma_sup_generator", {"rate": 60.0, "gamma_shape": 2, "n_proc": 50}),
        ("ppd_sup_generator", {"rate": 60.0, "dead_time": 1.5, "n_proc": 50}),
    ]},
}
PARROTS = 4
SEED = 12345


def run(s):
    nest.ResetKernel()
    nest.set_verbosity("M_ERROR")
    nest.SetKernelStatus({"resolution": s.get("resolution", 0.1), "rng_seed": SEED, "local_num_threads": s["vps"]})
    if "individual_spike_trains" in s:   # NEST takes it as a model default only
        nest.SetDefaults("sinusoidal_poisson_generator", {"individual_spike_trains": s["individual_spike_trains"]})
    gens = [nest.Create(m, params=p) for m, p in s["generators"]]
    parrots = [nest.Create("parrot_neuron", PARROTS) for _ in gens]
    for g, p in zip(gens, parrots):
        nest.Connect(g, p, syn_spec={"weight": 1.0, "delay": 1.0})
    rec = nest.Create("spike_recorder")
    for p in parrots:
        nest.Connect(p, rec)
    nest.Simulate(s["duration"])
    ev = rec.get("events")
    counts = {}
    for t, g in zip(ev["times"], ev["senders"]):
        counts[(float(t), int(g))] = counts.get((float(t), int(g)), 0) + 1
    rows = sorted(counts.items())
    return {"times_ms": [t for (t, _), _ in rows], "senders": [g for (_, g), _ in rows], "counts": [c for _, c in rows]}


out = {"nest_version": nest.__version__, "seed": SEED, "parrots_per_generator": PARROTS, "scenarios": {}}
for name, s in SCENARIOS.items():
    r = run(s)
    extra = {"individual_spike_trains": 1.0 if s["individual_spike_trains"] else 0.0} if "individual_spike_trains" in s else {}
    out["scenarios"][name] = {"vps": s["vps"], "resolution_ms": s.get("resolution", 0.1), "duration_ms": s["duration"],
                              "generators": [{"model": m, "params": dict(p, **extra)} for m, p in s["generators"]], **r}
    print(name, len(r["times_ms"]), "rows", sum(r["counts"]), "spikes")
with open(OUT, "w") as f:
    json.dump(out, f, separators=(",", ":"))
