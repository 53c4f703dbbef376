#!/usr/bin/env python3
"""How fast can a surface step's local product go on this machine? (issue 16's surface speed)

The local product y = L x (tvb-data's local_connectivity_16384.mat: 98,280 entries, 3 to 11
neighbours per vertex) runs twice per Heun step. This script times six ways of computing it
(bench/surface_product/product.c: the engine's arrangement and five others, the same sums), on
one thread over one hemisphere's rows (what each thread does in a two-thread run) and over all
rows, and sets the fastest against the time per step a given speed-up over TVB allows.

    /opt/tvbvenv/bin/python bench/surface_product_bound.py [--tvb-seconds 12.0] [--target 30]

--tvb-seconds is TVB's wall time for the 1000 ms (10,000-step) run of bench/surface_bench.py on
this machine (default: bench/results/surface_bench.json's, else 12.0).
"""
import argparse
import glob
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--tvb-seconds", type=float)
    ap.add_argument("--target", type=float, default=30.0, help="speed-up over TVB to budget for (default 30)")
    ap.add_argument("--cc", default="clang")
    a = ap.parse_args()
    import numpy as np
    import scipy.io
    import tvb_data
    tvb = a.tvb_seconds
    if tvb is None:
        saved = ROOT / "bench/results/surface_bench.json"
        tvb = json.loads(saved.read_text()).get("tvb_s", 12.0) if saved.exists() else 12.0
    path = glob.glob(os.path.join(os.path.dirname(tvb_data.__file__), "local_connectivity", "local_connectivity_16384.mat"))[0]
    m = scipy.io.loadmat(path)["LocalCoupling"].tocsr()
    m.sort_indices()
    n = m.shape[0]
    with tempfile.TemporaryDirectory() as d:
        np.asarray(m.indptr, dtype=np.int32).tofile(os.path.join(d, "ptr.bin"))
        np.asarray(m.indices, dtype=np.int32).tofile(os.path.join(d, "idx.bin"))
        np.asarray(m.data, dtype=np.float64).tofile(os.path.join(d, "val.bin"))
        exe = os.path.join(d, "product")
        # The engine's flags on this machine (Package.swift: -mno-gather on Zen 4; Swift does not contract
        # a*b + c into a fused multiply-add, so neither may the C, or the sums would differ).
        subprocess.run([a.cc, "-O3", "-march=native", "-mno-gather", "-ffp-contract=off", str(ROOT / "bench/surface_product/product.c"), "-o", exe, "-lm"], check=True)
        runs = {}
        for label, lo, hi in (("one hemisphere", 0, n // 2), ("all rows", 0, n)):
            out = subprocess.run([exe, str(n), str(lo), str(hi)], cwd=d, check=True, capture_output=True, text=True).stdout
            runs[label] = [(int(v), float(ns), float(us), name) for v, ns, us, name in (l.split(" ", 3) for l in out.splitlines())]
    print(f"load average {os.getloadavg()[0]:.2f}; {m.nnz} entries, {n} vertices")
    for label, rows in runs.items():
        print(f"{label}:")
        for v, ns, us, name in rows:
            print(f"  {ns:6.3f} ns per entry, {us:6.2f} us per product   {name}")
    best = min(us for _, _, us, _ in runs["one hemisphere"])
    budget = tvb / 10000 / a.target * 1e6
    print(f"TVB {tvb:.1f} s for 10,000 steps: {a.target:g}x leaves {budget:.1f} us per step on two threads;")
    print(f"two products per step on one hemisphere, at the fastest way above, take {2 * best:.1f} us of it "
          f"({2 * best / budget:.0%}), leaving {budget - 2 * best:.1f} us for everything else of a step.")


if __name__ == "__main__":
    sys.exit(main())
