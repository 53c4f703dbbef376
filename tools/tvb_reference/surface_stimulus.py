"""TVB 2.10's surface simulation with a region stimulus, as a test fixture.

surface.py's run (16,384-vertex cortex, regionMapping_16k_76, the .mat local connectivity at coupling
strength 0.3, Generic2dOscillator at TVB's defaults, Linear(a=0.0152), connectivity_76 at 3 mm/ms,
HeunDeterministic(dt=0.1), the per-vertex constant initial history of default_rng(SEED), current_step
reset to 0), built by surface.py's own functions, for 30 ms (300 steps), with
    StimuliRegion(temporal=PulseTrain(onset=5, T=10, tau=3, amp=0.2), weight nonzero on 5 regions).
On a surface TVB configures the region stimulus with the region mapping
(Simulator._configure_stimuli -> StimuliRegion.configure_space(region_mapping)): each vertex takes
its region's weight, and the pattern drives G2D's stimulated variable V at every vertex.

The initial history is surface.py's (same seed, same draw): the test takes it from g2d_surface.json.bz2,
and this script asserts that the draw is the same. Recorded (Raw monitor): V and W of every 64th
vertex at every 10th step, and of every vertex at step 300.

Writes ../../Tests/Fixtures/tvb/surface/g2d_surface_stimulus.json.bz2.

Run: /opt/tvbvenv/bin/python tools/tvb_reference/surface_stimulus.py   (~5 s; deterministic)
"""
import bz2
import json
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
import surface as S  # noqa: E402  (TVB, logging set-up and the run's constants)
from tvb.datatypes import equations, patterns  # noqa: E402

FIXTURE = "g2d_surface_stimulus.json.bz2"
DURATION = 30.0
STRIDE = 64
EVERY = 10
WEIGHTS = {3: 1.0, 10: 0.5, 40: -0.7, 41: 1.2, 60: 0.3}
PULSE = {"onset": 5.0, "T": 10.0, "tau": 3.0, "amp": 0.2}


def main():
    conn = S.load_conn()
    _, _, init = S.g2d_initial()
    base = json.loads(bz2.decompress((S.OUT / "g2d_surface.json.bz2").read_bytes()))
    assert np.array_equal(np.array([base["initial"]["V"], base["initial"]["W"]]), init), "not surface.py's initial history"
    conn.set_idelays(S.DT)
    horizon = int(conn.horizon)
    weight = np.zeros(conn.number_of_regions)
    for i, w in WEIGHTS.items():
        weight[i] = w
    stim = patterns.StimuliRegion(temporal=equations.PulseTrain(parameters=dict(PULSE)), connectivity=conn, weight=weight)
    sim = S.build(conn, init, horizon, duration=DURATION, stimulus=stim)
    (t, y), = sim.run()
    n_steps = int(round(DURATION / S.DT))
    assert y.shape == (n_steps, 2, 16384, 1) and np.allclose(t, S.DT * np.arange(1, n_steps + 1))
    rmap = np.asarray(sim.surface.region_mapping)
    assert np.array_equal(np.asarray(stim.spatial_pattern)[:, 0], weight[rmap]), "vertex weights are the regions' weights"
    steps = list(range(EVERY, n_steps + 1, EVERY))
    doc = {
        "tvb": "tvb-library 2.10.0, tvb-data 3.0.0",
        "case": __doc__.split("\n\n")[1].replace("\n", " "),
        "files": S.FILES,
        "local_connectivity": {"coupling_strength": S.LOCAL_STRENGTH},
        "initial_from": "g2d_surface.json.bz2",
        "speed": S.SPEED,
        "coupling": {"name": S.COUPLING[0], "params": {k: float(v) for k, v in S.COUPLING[1].items()}},
        "dt": S.DT,
        "duration": DURATION,
        "stimulus": {"equation": "PulseTrain", "params": PULSE, "weights": [float(w) for w in weight]},
        "sample_vertices": {"stride": STRIDE},
        "steps": steps,
        "samples": {sv: [[float(v) for v in y[k - 1, j, ::STRIDE, 0]] for k in steps] for j, sv in enumerate(S.VOIS)},
        "full_steps": [n_steps],
        "full": {sv: [[float(v) for v in y[k - 1, j, :, 0]] for k in (n_steps,)] for j, sv in enumerate(S.VOIS)},
        "stimulated_vertices": int(np.count_nonzero(weight[rmap])),
    }
    lines = [f"{json.dumps(k)}:{json.dumps(v, separators=(',', ':'), allow_nan=False)}" for k, v in doc.items()]
    (S.OUT / FIXTURE).write_bytes(bz2.compress(("{\n" + ",\n".join(lines) + "\n}\n").encode(), 9))
    moved = np.abs(y[-1, 0, :, 0]).max()
    print(f"{FIXTURE}: {n_steps} steps, {doc['stimulated_vertices']} stimulated vertices, max |V| at the end {moved:.4f}")


if __name__ == "__main__":
    main()
