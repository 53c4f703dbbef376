#!/usr/bin/env python3
"""Every neural-mass model of Plexus against The Virtual Brain 2.10, side by side: time per step
and per region-step on connectivity_76, one thread each.

The cases are TVB's reference runs of tools/tvb_reference/models.py (Tests/Fixtures/tvb/models:
non-default parameters, the case's coupling, HeunDeterministic at the case's dt, the same
per-region initial history), run for `--ms` of model time (at most `--max-steps` steps) with a
TemporalAverage(1 ms) monitor in both. TVB runs its simulator loop in this process (after
configure, which is not timed); Plexus runs `plexus run` and reports its own simulate time.

usage: /opt/tvbvenv/bin/python bench/mass_models_bench.py [--models A B ...] [--ms 200]
           [--max-steps 20000] [--plexus .build/release/plexus] [--json bench/results/mass_models_bench.json]
"""
import argparse
import bz2
import json
import os
import re
import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tools" / "tvb_reference"))
warnings.filterwarnings("ignore")


def fixture(name):
    return json.loads(bz2.decompress((ROOT / "Tests/Fixtures/tvb/models" / f"{name}.json.bz2").read_bytes()))


def yaml_experiment(f, ms):
    """The fixture's case as a Plexus experiment file (JSON is YAML)."""
    params, lists = {}, {}
    for k, v in f["params"].items():
        v = [float(x) for x in (v if isinstance(v, list) else [v])]
        if len(v) == 1:
            params[k] = v[0]
        else:
            lists[k] = v
    return {
        "engine": "mass",
        "connectivity": {"tvb_data": "connectivity_76"},
        "speed": f["speed"],
        "model": {"name": f["model"], "params": {**params, **lists}},
        "coupling": {"name": f["coupling"]["name"], "params": f["coupling"]["params"]},
        "integrator": {"name": "HeunDeterministic", "dt": f["integrator"]["dt"]},
        "initial_history": f["initial"],
        "duration": ms,
        "monitors": [{"type": "temporal_average", "period": 1.0}],
    }


def plexus_time(binary, f, ms):
    with tempfile.TemporaryDirectory() as d:
        path = os.path.join(d, "case.yaml")
        with open(path, "w") as fh:
            json.dump(yaml_experiment(f, ms), fh)
        out = subprocess.run([binary, "run", path, "--threads", "1", "--out", os.path.join(d, "out"), "--no-report"],
                             capture_output=True, text=True, check=True).stdout
    m = re.search(r"simulated .* in ([0-9.]+) s \(([0-9.]+) us/step\)", out)
    if not m:
        raise RuntimeError(f"no timing in plexus output:\n{out}")
    return float(m.group(1)), float(m.group(2))


def tvb_time(f, ms, conn):
    import numpy as np
    import models as ref  # tools/tvb_reference/models.py
    from tvb.simulator import integrators, monitors, simulator
    modes = int(f.get("modes", 1))
    if modes > 1:
        import reduced_set  # tools/tvb_reference/reduced_set.py: the 3-mode models' cases
        cfg = reduced_set.CASES[f["model"]]
    else:
        cfg = ref.CASES[f["model"]]
    model = ref.make_model(f["model"], cfg["params"])
    cpl = ref.make_coupling(*cfg["coupling"])
    dt = float(f["integrator"]["dt"])
    sim = simulator.Simulator(model=model, connectivity=conn, coupling=cpl, integrator=integrators.HeunDeterministic(dt=dt),
                              monitors=(monitors.TemporalAverage(period=1.0),), simulation_length=ms)
    sim.configure()
    ic = np.zeros(sim.good_history_shape)
    # The fixtures' state variables are TVB's (variable, mode) pairs, mode fastest.
    init = np.array([f["initial"][sv] for sv in f["state_variables"]])
    init = init.reshape(-1, modes, init.shape[1]).transpose(0, 2, 1)
    ic[:, :, :, :] = init[None]
    sim.initial_conditions = ic
    sim.configure()
    steps = int(round(ms / dt))
    t0 = time.perf_counter()
    for _ in sim(simulation_length=ms):
        pass
    return time.perf_counter() - t0, steps


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--models", nargs="*")
    ap.add_argument("--ms", type=float, default=200.0)
    ap.add_argument("--max-steps", type=int, default=20000)
    ap.add_argument("--plexus", default=str(ROOT / ".build/release/plexus"))
    ap.add_argument("--json")
    a = ap.parse_args()
    import models as ref
    conn = ref.load_conn()
    names = a.models or sorted(p.name[:-len(".json.bz2")] for p in (ROOT / "Tests/Fixtures/tvb/models").glob("*.json.bz2"))
    print(f"load average before: {os.getloadavg()}")
    print(f"{'model':30s} {'nsv':>3s} {'dt ms':>6s} {'steps':>6s} {'TVB us/step':>11s} {'Plexus us/step':>14s} "
          f"{'ns/region-step':>14s} {'TVB/Plexus':>10s}")
    rows = []
    for name in names:
        f = fixture(name)
        dt = float(f["integrator"]["dt"])
        ms = min(a.ms, a.max_steps * dt)
        ms = round(ms / dt) * dt
        tvb_s, steps = tvb_time(f, ms, conn)
        px_s, px_us = plexus_time(a.plexus, f, ms)
        tvb_us = tvb_s / steps * 1e6
        n = len(f["initial"][f["state_variables"][0]])
        row = dict(model=name, nsv=len(f["state_variables"]), dt=dt, steps=steps, tvb_us_per_step=tvb_us,
                   plexus_us_per_step=px_us, plexus_ns_per_region_step=px_us * 1e3 / n, ratio=tvb_us / px_us)
        rows.append(row)
        print(f"{name:30s} {row['nsv']:3d} {dt:6g} {steps:6d} {tvb_us:11.1f} {px_us:14.2f} {row['plexus_ns_per_region_step']:14.1f} "
              f"{row['ratio']:10.1f}", flush=True)
    print(f"load average after: {os.getloadavg()}")
    if a.json:
        Path(a.json).write_text(json.dumps({"load_after": os.getloadavg(), "rows": rows}, indent=1) + "\n")


if __name__ == "__main__":
    main()
