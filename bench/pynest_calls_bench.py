#!/usr/bin/env python3
"""PyNEST-style calls on NEST 3.10 and on plexus.nest, side by side, each in a fresh process:

  steps:   2,000 x (neuron.set(V_m, Act_n); Simulate(0.1); neuron.V_m) on one hh_psc_alpha
           after Simulate(100) (hh_phaseplane.py's loop: a run continued in pieces with
           SetStatus between them); microseconds per iteration.
  arrays:  Connect(n[0:1000], n[1000:2000], all_to_all, weight = a 1000 x 1000 array) and a
           10 ms Simulate (1,000,000 connections with their own weights); seconds.

usage: python3 bench/pynest_calls_bench.py --nest-python /opt/nestvenv/bin/python [--reps 3]
  needs libPlexusC.so (swift build -c release --product PlexusC) and a venv with nest-simulator 3.10.0
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

CASE = r'''
import sys, time, json
import numpy as np
t0 = time.perf_counter()
if sys.argv[1] == "nest":
    import nest
    nest.verbosity = nest.VerbosityLevel.ERROR
else:
    import plexus.nest as nest
out = {}
nest.ResetKernel()
n = nest.Create("hh_psc_alpha")
nest.Simulate(100.0)
t = time.perf_counter()
for i in range(2000):
    n.set(V_m=-60.5 + (i % 20), Act_n=0.3)   # off V = -40 mV, where NEST's rate functions are 0/0
    nest.Simulate(0.1)
    v = n.V_m
out["steps_us"] = (time.perf_counter() - t) / 2000 * 1e6
out["final_V_m"] = float(n.V_m)
nest.ResetKernel()
t = time.perf_counter()
n = nest.Create("iaf_psc_alpha", 2000)
w = np.random.default_rng(1).uniform(1, 10, (1000, 1000))
nest.Connect(n[0:1000], n[1000:2000], "all_to_all", syn_spec={"weight": w, "delay": 1.5})
nest.Simulate(10.0)
out["arrays_s"] = time.perf_counter() - t
c = nest.GetConnections(n[0:1000], n[1000:2000])
out["connections"] = len(c)
out["weight_sum"] = float(np.sum(c.get("weight")))
print(json.dumps(out))
'''


def run(python, backend):
    env = dict(os.environ, PYTHONPATH=str(ROOT / "python"))
    p = subprocess.run([python, "-c", CASE, backend], capture_output=True, text=True, env=env, timeout=600)
    if p.returncode != 0:
        sys.exit(f"{backend} failed:\n{p.stderr[-2000:]}")
    return json.loads(p.stdout.strip().splitlines()[-1])


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--nest-python", required=True)
    ap.add_argument("--reps", type=int, default=3)
    a = ap.parse_args()
    load = os.getloadavg()[0]
    results = {"nest": [], "plexus": []}
    for _ in range(a.reps):
        results["nest"].append(run(a.nest_python, "nest"))
        results["plexus"].append(run(sys.executable, "plexus"))
    print(f"# load average before {load:.2f}, after {os.getloadavg()[0]:.2f}; medians of {a.reps} alternating runs")
    med = {b: {k: statistics.median(r[k] for r in rs) for k in ("steps_us", "arrays_s")} for b, rs in results.items()}
    for b in ("nest", "plexus"):
        r = results[b][0]
        print(f"{b:>6}: set + Simulate(0.1) + get {med[b]['steps_us']:.0f} us; 1M weighted Connect + Simulate(10) "
              f"{med[b]['arrays_s']:.2f} s ({r['connections']} connections, weight sum {r['weight_sum']:.6g}); final V_m {r['final_V_m']:.6f}")
    print(f"plexus / NEST: steps {med['plexus']['steps_us'] / med['nest']['steps_us']:.2f}, arrays {med['plexus']['arrays_s'] / med['nest']['arrays_s']:.2f}")


if __name__ == "__main__":
    main()
