"""NEST 3.10 reference: pulsepacket_generator, spike for spike.

Three pulsepacket_generators (packets drawn at the start, within the run and in an activity
window; sdev 0 too) and a poisson_generator created between them (its draws interleave with the
packets' on the one virtual process), each sending to 2 parrot_neurons (weight 1, delay 1 ms);
the parrots are recorded. Resolution 0.1 ms, rng_seed 12345.

Run: OMP_WAIT_POLICY=PASSIVE /opt/nestvenv/bin/python tools/nest_reference/pulsepacket_generator.py
Output: Tests/Fixtures/pulsepacket_generator.json (the generators and the parrots' spikes as
(time, sender, count)).
"""
import json
import os

import nest

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.normpath(os.path.join(HERE, "..", "..", "Tests", "Fixtures", "pulsepacket_generator.json"))
SEED = 12345
GENERATORS = [
    ("pulsepacket_generator", {"pulse_times": [30.0, 80.0, 200.0, 20.5], "activity": 20, "sdev": 5.0}),
    ("poisson_generator", {"rate": 2000.0}),
    ("pulsepacket_generator", {"pulse_times": [10.0, 150.0], "activity": 3, "sdev": 0.0}),
    ("pulsepacket_generator", {"pulse_times": [60.0, 120.0, 260.0], "activity": 15, "sdev": 12.0, "start": 50.0, "stop": 250.0}),
]
DURATION = 300.0

nest.ResetKernel()
nest.set_verbosity("M_ERROR")
nest.SetKernelStatus({"resolution": 0.1, "rng_seed": SEED})
gens = [nest.Create(m, params=p) for m, p in GENERATORS]
parrots = [nest.Create("parrot_neuron", 2) for _ in gens]
for g, p in zip(gens, parrots):
    nest.Connect(g, p, syn_spec={"weight": 1.0, "delay": 1.0})
rec = nest.Create("spike_recorder")
for p in parrots:
    nest.Connect(p, rec)
nest.Simulate(DURATION)
ev = rec.get("events")
counts = {}
for t, g in zip(ev["times"], ev["senders"]):
    counts[(float(t), int(g))] = counts.get((float(t), int(g)), 0) + 1
rows = sorted(counts.items())
out = {"nest_version": nest.__version__, "seed": SEED, "duration_ms": DURATION,
       "generators": [{"model": m, "params": p} for m, p in GENERATORS],
       "times_ms": [t for (t, _), _ in rows], "senders": [g for (_, g), _ in rows], "counts": [c for _, c in rows]}
with open(OUT, "w") as f:
    json.dump(out, f, separators=(",", ":"))
print(len(rows), "rows", sum(out["counts"]), "spikes")
