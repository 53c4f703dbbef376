"""Side-by-side benchmark of Plexus, Arbor 0.12 and NEURON 9 on nsuite's busyring.

The model is the one of ../shared/peers/arbor/README.md and examples/busyring.yaml (random
branching cells drawn with std::mt19937(gid), one CV per segment, hh soma, passive dendrites,
10000 expsyn synapses per cell, sub-rings of 10, 9999 zero-weight connections per cell, 100 ms at
dt 0.025 ms). For each cell count (default 64 256 1024) and thread count (default 1 2) it runs
Arbor, then Plexus, one process at a time; NEURON only at 64 cells (it is ~50x slower, as it
integrates every one of the 10000 ExpSyn per cell). Arbor and NEURON run the peers' own scripts
(../shared/peers/arbor/run_busyring_{arbor,neuron}.py) unchanged.

  build s     Arbor: simulation() construction incl. the Python recipe callbacks; NEURON: cells,
              synapses, NetCons, finitialize; Plexus: timings_s.build of provenance.json
              (morphology generation, discretisation, synapses, connection tables)
  simulate s  run(100 ms)
  peak RSS    ru_maxrss of each run's own process (Plexus: peak_rss_bytes of provenance.json)

then the Plexus/peer ratios (targets: simulate <= 0.5x Arbor, build <= 0.1x, memory <= 1x) and,
at 64 cells, whether Plexus's spikes are Arbor's (count per cell, largest time difference).

Run from the repository root:
  python3 bench/busyring_bench.py                     # makes bench/.venv-arbor if missing
  python3 bench/busyring_bench.py --sizes 64 --threads 1 --no-neuron
Options: --sizes N [N ...], --threads T [T ...], --no-neuron, --no-build, --python PATH
(a Python with arbor==0.12.2 and neuron==9.0.2), --json PATH (write all numbers there).
"""
import argparse
import json
import os
import platform
import re
import subprocess
import sys
import tempfile
from provenance import table

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PEERS = os.path.join(os.path.dirname(REPO), "shared", "peers", "arbor")
EXAMPLE = os.path.join(REPO, "examples", "busyring.yaml")
SCRATCH = os.path.join(REPO, ".build-cable")
PLEXUS = os.path.join(SCRATCH, "release", "plexus")
VENV = os.path.join(REPO, "bench", ".venv-arbor")
PIP = ["arbor==0.12.2", "neuron==9.0.2", "numpy"]


def ensure_python(path):
    if path:
        return path
    py = os.path.join(VENV, "bin", "python")
    if not os.path.exists(py):
        print(f"creating {VENV} with {' '.join(PIP)} ...", flush=True)
        subprocess.run([sys.executable, "-m", "venv", VENV], check=True)
        subprocess.run([py, "-m", "pip", "install", "-q"] + PIP, check=True)
    return py


def run_peer(python, sim, cells, threads, spikes=None):
    script = os.path.join(PEERS, f"run_busyring_{sim}.py")
    cmd = [python, script, "--cells", str(cells), "--threads", str(threads)]
    if sim == "arbor":
        cmd.append("--no-stats")
    if spikes:
        cmd += ["--spikes", spikes]
    load = os.getloadavg()[0]
    cp = subprocess.run(cmd, capture_output=True, text=True)
    line = [l for l in cp.stdout.splitlines() if l.startswith("{")]
    if cp.returncode != 0 or not line:
        raise RuntimeError(f"{sim} failed ({cp.returncode}): {cp.stderr[-2000:]}")
    d = json.loads(line[-1])
    return {"build_s": d["build_s"], "sim_s": d["sim_s"], "peak_rss_mb": d["peak_rss_mb"],
            "spikes": d["spikes"], "loadavg_before": load}


def run_plexus(cells, threads, workdir):
    text = open(EXAMPLE).read()
    text, n = re.subn(r"ring: \{cell: busyring, size: \d+\}", f"ring: {{cell: busyring, size: {cells}}}", text)
    assert n == 1, "examples/busyring.yaml changed shape"
    yaml = os.path.join(workdir, f"busyring_{cells}.yaml")
    with open(yaml, "w") as f:
        f.write(text)
    out = os.path.join(workdir, f"out_{cells}_{threads}")
    load = os.getloadavg()[0]
    cp = subprocess.run([PLEXUS, "run", yaml, "--threads", str(threads), "--out", out, "--quiet"],
                        capture_output=True, text=True)
    if cp.returncode != 0:
        raise RuntimeError(f"plexus failed: {cp.stderr}")
    prov = json.load(open(os.path.join(out, "provenance.json")))
    t = table(prov["timings_s"])
    return {"build_s": t["build"], "sim_s": t["simulate"], "peak_rss_mb": prov["peak_rss_bytes"] / 2**20,
            "spikes": table(prov["counts"])["spikes"], "loadavg_before": load,
            "spikes_csv": os.path.join(out, "spikes.csv")}


def read_spikes(path, gid_col, time_col):
    per = {}
    with open(path) as f:
        head = f.readline().strip().split(",")
        gi, ti = head.index(gid_col), head.index(time_col)
        for line in f:
            p = line.strip().split(",")
            per.setdefault(int(p[gi]), []).append(float(p[ti]))
    return per


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", type=int, nargs="+", default=[64, 256, 1024])
    ap.add_argument("--threads", type=int, nargs="+", default=[1, 2])
    ap.add_argument("--no-neuron", action="store_true")
    ap.add_argument("--no-build", action="store_true")
    ap.add_argument("--python", default=None)
    ap.add_argument("--json", default=None)
    a = ap.parse_args()

    python = ensure_python(a.python)
    if not a.no_build:
        subprocess.run(["swift", "build", "-c", "release", "--product", "plexus", "--scratch-path", SCRATCH],
                       cwd=REPO, check=True)
    rows = []
    with tempfile.TemporaryDirectory() as work:
        for cells in a.sizes:
            for threads in a.threads:
                arbor_spikes = os.path.join(work, f"arbor_{cells}_{threads}.csv") if cells == 64 else None
                res = {"cells": cells, "threads": threads}
                res["arbor"] = run_peer(python, "arbor", cells, threads, arbor_spikes)
                res["plexus"] = run_plexus(cells, threads, work)
                if cells == 64 and not a.no_neuron:
                    res["neuron"] = run_peer(python, "neuron", cells, threads)
                if arbor_spikes:
                    ar = read_spikes(arbor_spikes, "gid", "time_ms")
                    px = read_spikes(res["plexus"]["spikes_csv"], "gid", "t_ms")
                    same = sorted(ar) == sorted(px) and all(len(ar[g]) == len(px[g]) for g in ar)
                    worst = max((abs(x - y) for g in ar if g in px for x, y in zip(ar[g], px[g])), default=0.0)
                    res["spikes_match_arbor"] = {"same_counts_per_cell": same, "max_abs_dt_ms": worst}
                res["plexus"].pop("spikes_csv", None)
                rows.append(res)
                print(json.dumps(res), flush=True)

    print()
    hdr = f"{'cells':>5} {'thr':>3} | {'engine':<7} {'build s':>8} {'sim s':>8} {'RSS MB':>8} {'spikes':>6} | plexus/engine: build  sim   RSS"
    print(hdr)
    print("-" * len(hdr))
    for r in rows:
        p = r["plexus"]
        for eng in ("arbor", "neuron", "plexus"):
            if eng not in r:
                continue
            e = r[eng]
            ratio = ""
            if eng != "plexus":
                ratio = (f"{p['build_s'] / e['build_s']:.3f}x {p['sim_s'] / e['sim_s']:.3f}x "
                         f"{p['peak_rss_mb'] / e['peak_rss_mb']:.2f}x")
            print(f"{r['cells']:>5} {r['threads']:>3} | {eng:<7} {e['build_s']:>8.3f} {e['sim_s']:>8.3f} "
                  f"{e['peak_rss_mb']:>8.1f} {e['spikes']:>6} | {ratio}")
        if "spikes_match_arbor" in r:
            m = r["spikes_match_arbor"]
            print(f"{'':>11}spikes vs Arbor: same count per cell {m['same_counts_per_cell']}, "
                  f"max |dt| {m['max_abs_dt_ms']:.2e} ms")
    print("\ntargets: Plexus simulate <= 0.5x Arbor, build <= 0.1x Arbor, peak RSS <= 1x Arbor")
    if a.json:
        with open(a.json, "w") as f:
            json.dump({"machine": {"cpus": os.cpu_count(), "platform": platform.platform()}, "runs": rows}, f, indent=1)


if __name__ == "__main__":
    main()
