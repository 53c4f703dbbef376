#!/usr/bin/env python3
"""NEST's random numbers in Plexus (kernel random_streams: nest): a Poisson-driven PyNEST script
on NEST 3.10 and on plexus.nest, side by side in one run. Checks that the spike trains are
identical (the same draws) and prints wall and CPU times and their ratio; the same script with
Plexus's own streams shows what emulating NEST's sequential draws costs.

  python3 bench/nest_streams_bench.py --nest-python /opt/nestvenv/bin/python [--neurons 2000] [--ms 1000]
  python3 bench/nest_streams_bench.py --nest-python /opt/nestvenv/bin/python --network [--neurons 10000] [--ms 200]

--network: a Brunel network built from NEST's streams as well (random V_m, fixed_indegree with
800 + 200 sources per neuron, random weights onto the inhibitory neurons: NestDraws draws them
all in one thread before the build), so the time includes what the build draws.

Needs libPlexusC.so (swift build -c release --product PlexusC). Writes
bench/results/nest_streams_bench.txt (nest_streams_network_bench.txt with --network).
"""
import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

SCRIPT = r'''
import json, os, resource, sys, time
if sys.argv[1] == "nest":
    import nest
    nest.set_verbosity("M_ERROR")
else:
    import plexus.nest as nest
n, ms, streams = int(sys.argv[2]), float(sys.argv[3]), sys.argv[4]
if streams == "plexus":   # Plexus's own streams: the experiment's kernel block says so
    k = nest._kernel.__class__
    original = k.experiment
    def experiment(self, duration):
        e = original(self, duration)
        e.data["kernel"]["random_streams"] = "plexus"
        del e.data["kernel"]["total_num_virtual_procs"], e.data["kernel"]["min_delay"]
        return e
    k.experiment = experiment
t0, c0 = time.perf_counter(), time.process_time()
params = {"tau_m": 20.0, "V_th": 20.0, "E_L": 0.0, "V_reset": 10.0, "V_m": 0.0, "C_m": 1.0}
sr = nest.Create("spike_recorder")
if sys.argv[5] == "network":
    ne, ni = n * 4 // 5, n // 5
    e = nest.Create("iaf_psc_delta", ne, params=params)
    i = nest.Create("iaf_psc_delta", ni, params=params)
    (e + i).V_m = nest.random.uniform(0.0, 20.0)
    drive = nest.Create("poisson_generator", params={"rate": 19000.0})
    nest.Connect(drive, e + i, syn_spec={"weight": 0.1, "delay": 1.5})
    nest.Connect(e, e, {"rule": "fixed_indegree", "indegree": 800}, {"weight": 0.1, "delay": 1.5})
    nest.Connect(i, e, {"rule": "fixed_indegree", "indegree": 200}, {"weight": -0.5, "delay": 1.5})
    nest.Connect(e, i, {"rule": "fixed_indegree", "indegree": 800}, {"weight": nest.random.uniform(0.05, 0.15), "delay": 1.5})
    nest.Connect(i, i, {"rule": "fixed_indegree", "indegree": 200}, {"weight": -0.5, "delay": 1.5})
    neurons = e + i
else:
    neurons = nest.Create("iaf_psc_delta", n, params=params)
    exc = nest.Create("poisson_generator", params={"rate": 18000.0})
    inh = nest.Create("poisson_generator", params={"rate": 4000.0})
    nest.Connect(exc, neurons, syn_spec={"weight": 0.15, "delay": 1.5})
    nest.Connect(inh, neurons, syn_spec={"weight": -0.5, "delay": 1.5})
nest.Connect(neurons, sr)
nest.Simulate(ms)
ev = sr.get("events")
wall, cpu = time.perf_counter() - t0, time.process_time() - c0
order = sorted(zip([round(t, 6) for t in ev["times"].tolist()], ev["senders"].tolist()))
print(json.dumps({"wall": wall, "cpu": cpu, "spikes": len(order), "first": order[:20], "digest": __import__("hashlib").sha256(repr(order).encode()).hexdigest(),
                  "maxrss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
'''


def run(python, backend, n, ms, streams, env, scenario):
    out = subprocess.run([python, "-c", SCRIPT, backend, str(n), str(ms), streams, scenario], env=env, capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--nest-python", required=True)
    ap.add_argument("--neurons", type=int)
    ap.add_argument("--ms", type=float)
    ap.add_argument("--network", action="store_true", help="a Brunel network drawn from NEST's streams too")
    a = ap.parse_args()
    scenario = "network" if a.network else "drive"
    a.neurons = a.neurons or (10000 if a.network else 2000)
    a.ms = a.ms or (200.0 if a.network else 1000.0)
    env = dict(os.environ, PYTHONPATH=str(ROOT / "python"))
    env.setdefault("PLEXUS_LIBRARY", str(ROOT / ".build/release/libPlexusC.so"))
    load = os.getloadavg()[0]
    nest = run(a.nest_python, "nest", a.neurons, a.ms, "nest", env, scenario)
    same = run(sys.executable, "plexus", a.neurons, a.ms, "nest", env, scenario)
    own = run(sys.executable, "plexus", a.neurons, a.ms, "plexus", env, scenario)
    identical = nest["digest"] == same["digest"]
    what = (f"Brunel network of {a.neurons} iaf_psc_delta neurons drawn from the streams (random V_m, fixed_indegree 800 + 200, "
            f"random E->I weights; {a.neurons * 1000:,} synapses), one Poisson drive" if a.network else
            f"{a.neurons} iaf_psc_delta neurons, two poisson_generators to all (2 + 0.4 events per step each)")
    lines = [f"# {what}, {a.ms:g} ms at 0.1 ms, 1 thread; load {load:.2f}",
             f"# python3 bench/nest_streams_bench.py --nest-python {a.nest_python}{' --network' if a.network else ''} --neurons {a.neurons} --ms {a.ms:g}",
             f"NEST 3.10:                      {nest['wall']:.2f} s wall, {nest['cpu']:.2f} s CPU, {nest['spikes']} spikes, {nest['maxrss_mb']:.0f} MiB",
             f"plexus.nest, NEST's streams:    {same['wall']:.2f} s wall, {same['cpu']:.2f} s CPU, {same['spikes']} spikes, {same['maxrss_mb']:.0f} MiB",
             f"plexus.nest, Plexus's streams:  {own['wall']:.2f} s wall, {own['cpu']:.2f} s CPU, {own['spikes']} spikes, {own['maxrss_mb']:.0f} MiB",
             f"spike trains identical to NEST's with NEST's streams: {identical} (spike counts {nest['spikes']} / {same['spikes']})",
             f"time ratio NEST / plexus.nest (NEST's streams): wall {nest['wall'] / same['wall']:.2f}x, CPU {nest['cpu'] / same['cpu']:.2f}x",
             f"cost of NEST's streams in Plexus: wall {same['wall'] / own['wall']:.2f}x, CPU {same['cpu'] / own['cpu']:.2f}x of Plexus's own"]
    text = "\n".join(lines) + "\n"
    print(text, end="")
    (ROOT / "bench" / "results" / f"nest_streams{'_network' if a.network else ''}_bench.txt").write_text(text)


if __name__ == "__main__":
    main()
