#!/usr/bin/env python3
"""TVB's surface simulation against Plexus's, side by side: Generic2dOscillator on tvb-data's
16,384-vertex cortex (regionMapping_16k_76, local_connectivity_16384.mat at coupling strength 0.3),
connectivity_76 at 3 mm/ms, Linear(a=0.0152), HeunDeterministic dt 0.1 ms, 1000 ms (10,000 steps).
TVB: its simulator loop after configure (tools/tvb_reference/surface.py's case, Raw monitor,
samples discarded). Plexus: examples/tvb76_surface.yaml (temporal average every 10 ms), its own
simulate time, on 1 and 2 threads.

Plexus runs --reps times per thread count (median wall of its simulate phase; the process's CPU
time beside it). The machine is shared: the load average is printed before and after.

usage: /opt/tvbvenv/bin/python bench/surface_bench.py [--plexus .build/release/plexus] [--reps 3] [--json FILE]
"""
import argparse
import json
import os
import re
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tools" / "tvb_reference"))


def tvb_seconds():
    import numpy as np
    import surface as ref
    conn = ref.load_conn()
    _, _, init = ref.g2d_initial()
    conn.set_idelays(ref.DT)
    sim = ref.build(conn, init, int(conn.horizon))
    t0, c0 = time.perf_counter(), time.process_time()
    for _ in sim(n_steps=np.int64(10000)):
        pass
    return time.perf_counter() - t0, time.process_time() - c0


def plexus_seconds(binary, threads):
    """The simulate phase's wall time (s) of one run, as plexus prints it."""
    with tempfile.TemporaryDirectory() as d:
        p = subprocess.Popen([binary, "run", str(ROOT / "examples/tvb76_surface.yaml"), "--out", d, "--no-report", "--threads", str(threads)],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        out, err = p.communicate()
        if p.returncode != 0:
            sys.exit(f"plexus failed: {err}")
    m = re.search(r"simulated .* in ([0-9.]+) s", out)
    return float(m.group(1))


def plexus_cpu(binary, threads):
    """Simulate wall (s) and the process's user + system CPU (s), from a child's rusage."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    wall = plexus_seconds(binary, threads)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--plexus", default=str(ROOT / ".build/release/plexus"))
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--json")
    a = ap.parse_args()
    load0 = os.getloadavg()
    tvb, tvb_cpu = tvb_seconds()
    runs = {t: [plexus_cpu(a.plexus, t) for _ in range(a.reps)] for t in (1, 2)}
    px = {t: statistics.median(w for w, _ in r) for t, r in runs.items()}
    cpu = {t: statistics.median(c for _, c in r) for t, r in runs.items()}
    load1 = os.getloadavg()
    print(f"load average before {load0[0]:.2f}, after {load1[0]:.2f}")
    print(f"TVB 2.10 surface, 1000 ms: {tvb:.1f} s wall ({tvb_cpu:.1f} s CPU, {tvb / 10:.2f} ms per step)")
    for t, s in px.items():
        print(f"Plexus surface, 1000 ms, {t} thread{'s' if t > 1 else ''}: {s:.2f} s simulate, median of {a.reps} "
              f"(runs {', '.join(f'{w:.2f}' for w, _ in runs[t])}; process CPU {cpu[t]:.2f} s) ({s / 10 * 1000:.0f} us per step); "
              f"{tvb / s:.1f} times faster than TVB")
    if a.json:
        Path(a.json).write_text(json.dumps({"tvb_s": tvb, "tvb_cpu_s": tvb_cpu, "plexus_s": px, "plexus_runs": runs,
                                            "plexus_process_cpu_s": cpu, "load": [load0, load1]}, indent=1) + "\n")


if __name__ == "__main__":
    main()
