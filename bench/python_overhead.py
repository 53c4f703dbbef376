#!/usr/bin/env python3
"""A run from Python against the same run from the command line, side by side: NEST's Brunel
example (examples/brunel_delta.yaml, 12,500 neurons, 1 s) on 2 threads, no report. Each side is
a fresh process (Python: interpreter start, `import plexus`, `plexus.run`); both write the same
run folder. Prints the whole-process wall time, the process CPU time and the simulate phase (from
provenance.json) of each, alternating --reps times, and the ratios of the medians.

usage: python3 bench/python_overhead.py [--reps 3] [--json FILE]
  needs the release build: swift build -c release && swift build -c release --product PlexusC
"""
import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "examples" / "brunel_delta.yaml"


def timed(command, env=None):
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    subprocess.run(command, check=True, env=env, stdout=subprocess.DEVNULL)
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def simulate_seconds(directory):
    record = json.loads((Path(directory) / "provenance.json").read_text())
    return next(t["seconds"] for t in record["timings_s"] if t["phase"] == "simulate")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--json")
    a = ap.parse_args()
    binary = ROOT / ".build" / "release" / "plexus"
    library = ROOT / ".build" / "release" / "libPlexusC.so"
    for f in (binary, library):
        if not f.exists():
            sys.exit(f"{f} is missing: swift build -c release && swift build -c release --product PlexusC")
    env = dict(os.environ, PLEXUS_LIBRARY=str(library), PYTHONPATH=str(ROOT / "python"))
    load0 = os.getloadavg()
    rows = {"cli": [], "python": []}
    with tempfile.TemporaryDirectory() as d:
        for _ in range(a.reps):
            out = f"{d}/cli"
            wall, cpu = timed([str(binary), "run", str(EXAMPLE), "--out", out, "--threads", str(a.threads), "--no-report", "--quiet"])
            rows["cli"].append((wall, cpu, simulate_seconds(out)))
            out = f"{d}/py"
            code = f"import plexus; plexus.run({str(EXAMPLE)!r}, out={out!r}, threads={a.threads}, progress=False)"
            wall, cpu = timed([sys.executable, "-c", code], env=env)
            rows["python"].append((wall, cpu, simulate_seconds(out)))
            same = (Path(d) / "cli" / "spikes.csv").read_bytes() == (Path(d) / "py" / "spikes.csv").read_bytes()
            if not same:
                sys.exit("the two runs' spikes.csv differ")
    load1 = os.getloadavg()
    med = {k: [statistics.median(r[i] for r in v) for i in range(3)] for k, v in rows.items()}
    print(f"# {time.strftime('%Y-%m-%d')}, {os.cpu_count()} cores, load average before {load0[0]:.2f}, after {load1[0]:.2f}")
    print(f"Brunel delta (12,500 neurons, 1000 ms), {a.threads} threads, no report; medians of {a.reps} alternating runs; spikes.csv identical")
    for k in ("cli", "python"):
        w, c, s = med[k]
        runs = ", ".join(f"{r[0]:.2f}" for r in rows[k])
        print(f"{k:>6}: whole process {w:.2f} s (runs {runs}), process CPU {c:.2f} s, simulate {s:.2f} s")
    print(f"python / command line: whole process {med['python'][0] / med['cli'][0]:.3f}, CPU {med['python'][1] / med['cli'][1]:.3f}, "
          f"simulate {med['python'][2] / med['cli'][2]:.3f}")
    if a.json:
        Path(a.json).write_text(json.dumps({"rows": rows, "medians": med, "load": [load0, load1]}, indent=1) + "\n")


if __name__ == "__main__":
    main()
