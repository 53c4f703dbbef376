#!/usr/bin/env python3
"""Building a 1,000,000-connection network through plexus.nest's Connect against the same
network from an experiment file, side by side: 10,000 iaf_psc_alpha neurons, fixed_indegree 100
(static synapses, weight 10 pA, delay 1.5 ms), a Poisson drive, 10 ms simulated. Each side a
fresh process (Python: start, `import plexus.nest`, the script; command line: `plexus run`),
alternating --reps times; prints whole-process wall and CPU times, the build phase from
provenance.json, and the ratios of the medians.

usage: python3 bench/python_connect_bench.py [--reps 3] [--json FILE]
  needs: swift build -c release && swift build -c release --product PlexusC
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

YAML = """resolution: 0.1 ms
duration: 10 ms
seed: 1
populations:
  n: {model: iaf_psc_alpha, size: 10000}
  drive: {model: poisson_generator, params: {rate: 8000 Hz}}
connections:
  - {source: drive, target: n, synapse: {weight: 10.0, delay: 1.5 ms}}
  - {source: n, target: n, rule: fixed_indegree, indegree: 100, synapse: {weight: 10.0, delay: 1.5 ms}}
record:
  - {type: spike_recorder, population: n}
"""

SCRIPT = """
import json, sys
import plexus.nest as nest
n = nest.Create("iaf_psc_alpha", 10000)
drive = nest.Create("poisson_generator", params={"rate": 8000.0})
sr = nest.Create("spike_recorder")
nest.Connect(drive, n, syn_spec={"weight": 10.0, "delay": 1.5})
nest.Connect(n, n, {"rule": "fixed_indegree", "indegree": 100}, {"weight": 10.0, "delay": 1.5})
nest.Connect(n, sr)
nest.Simulate(10.0)
record = nest._kernel.run.record
print(json.dumps({"synapses": dict((c["name"], c["value"]) for c in record["counts"])["synapses"],
                  "build": next(t["seconds"] for t in record["timings_s"] if t["phase"] == "build")}))
"""


def timed(command, env=None):
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    out = subprocess.run(command, check=True, env=env, capture_output=True, text=True).stdout
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime), out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--json")
    a = ap.parse_args()
    binary, library = ROOT / ".build/release/plexus", ROOT / ".build/release/libPlexusC.so"
    env = dict(os.environ, PLEXUS_LIBRARY=str(library), PYTHONPATH=str(ROOT / "python"))
    load0 = os.getloadavg()
    rows = {"yaml": [], "connect": []}
    with tempfile.TemporaryDirectory() as d:
        (Path(d) / "net.yaml").write_text(YAML)
        for _ in range(a.reps):
            wall, cpu, _ = timed([str(binary), "run", f"{d}/net.yaml", "--out", f"{d}/cli", "--no-report", "--quiet"])
            record = json.loads((Path(d) / "cli" / "provenance.json").read_text())
            build = next(t["seconds"] for t in record["timings_s"] if t["phase"] == "build")
            synapses = dict((c["name"], c["value"]) for c in record["counts"])["synapses"]
            rows["yaml"].append((wall, cpu, build, synapses))
            wall, cpu, out = timed([sys.executable, "-c", SCRIPT], env=env)
            info = json.loads(out.strip().splitlines()[-1])
            rows["connect"].append((wall, cpu, info["build"], info["synapses"]))
    startup = statistics.median(timed([sys.executable, "-c", "import plexus.nest"], env=env)[0] for _ in range(a.reps))
    load1 = os.getloadavg()
    med = {k: [statistics.median(r[i] for r in v) for i in range(3)] for k, v in rows.items()}
    print(f"# {time.strftime('%Y-%m-%d')}, load average before {load0[0]:.2f}, after {load1[0]:.2f}; medians of {a.reps}")
    for k, label in (("yaml", "experiment file (plexus run)"), ("connect", "plexus.nest Create/Connect/Simulate")):
        w, c, b = med[k]
        print(f"{label}: whole process {w:.2f} s, CPU {c:.2f} s, build {b:.2f} s, {rows[k][0][3]:,} synapses")
    print(f"of which Python's start and `import plexus.nest` (numpy, the library): {startup:.2f} s")
    print(f"Connect / file: whole process {med['connect'][0] / med['yaml'][0]:.2f}x, CPU {med['connect'][1] / med['yaml'][1]:.2f}x, "
          f"build {med['connect'][2] / med['yaml'][2]:.2f}x")
    if a.json:
        Path(a.json).write_text(json.dumps({"rows": rows, "medians": med, "startup_s": startup, "load": [load0, load1]}, indent=1) + "\n")


if __name__ == "__main__":
    main()
