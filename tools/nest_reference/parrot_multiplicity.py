"""NEST 3.10 reference: how spike_recorder writes a spike of multiplicity n.

Three spike_generators send to one parrot_neuron (weight 1, delay 1 ms, resolution 0.1 ms):
spikes at 1 ms from all three, at 2 ms from the first and at 3 ms from the third. The parrot
repeats the three spikes that arrive in the step ending at 2 ms as one spike of multiplicity 3,
which the spike_recorder writes as three rows; a second parrot fed by the parrot (delay 1 ms)
receives and repeats multiplicity 3 again.

Run: OMP_WAIT_POLICY=PASSIVE /opt/nestvenv/bin/python tools/nest_reference/parrot_multiplicity.py
Output: Tests/Fixtures/parrot_multiplicity.json (the rows of each parrot's recorder).
"""
import json
import os

import nest

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.normpath(os.path.join(HERE, "..", "..", "Tests", "Fixtures", "parrot_multiplicity.json"))

nest.ResetKernel()
nest.resolution = 0.1
times = [[1.0, 2.0], [1.0], [1.0, 3.0]]
sg = nest.Create("spike_generator", 3, params=[{"spike_times": t} for t in times])
p1 = nest.Create("parrot_neuron")
p2 = nest.Create("parrot_neuron")
nest.Connect(sg, p1, syn_spec={"weight": 1.0, "delay": 1.0})
nest.Connect(p1, p2, syn_spec={"weight": 1.0, "delay": 1.0})
rows = {}
for name, p in [("first", p1), ("second", p2)]:
    sr = nest.Create("spike_recorder")
    nest.Connect(p, sr)
    rows[name] = sr
nest.Simulate(10.0)
out = {"nest_version": nest.__version__, "generator_spike_times_ms": times, "weight": 1.0, "delay_ms": 1.0,
       "times_ms": {name: [float(t) for t in sr.get("events")["times"]] for name, sr in rows.items()}}
with open(OUT, "w") as f:
    json.dump(out, f, indent=1)
print(out)
