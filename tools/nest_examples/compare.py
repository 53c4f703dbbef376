#!/usr/bin/env python3
"""Compares what run_example.py recorded on NEST and on Plexus for the same script: per
Simulate call and recorder (by NEST gid), spike times and senders equal, and each recorded
variable's largest difference (events sorted by time, then sender, on both sides).

  python3 tools/nest_examples/compare.py NEST.json PLEXUS.json [--tolerance 1e-6]

Prints one line: `passes`, `differs (how)`, `runs` (on both, nothing recorded to compare) or
`refused (the error)`; exit status 0 only for passes.
"""
import argparse
import json
import sys

import numpy as np


def ordered(events):
    # NEST's ascii files name time_in_steps' columns time_step and time_offset (memory: times, offsets).
    renamed = {"time_step": "times", "time_offset": "offsets"}
    events = {renamed.get(k, k): v for k, v in events.items()}
    t = np.asarray(events["times"], float)
    s = np.asarray(events["senders"], np.int64)
    order = np.lexsort((s, t))
    return {k: np.asarray(v)[order] for k, v in events.items() if k != "model"}


def compare(nest, plexus, tolerance):
    if plexus["status"] != "ok":
        return "refused", plexus.get("error", "")
    if nest["status"] != "ok":
        return "differs", f"NEST itself failed: {nest.get('error')}"
    if len(nest["snapshots"]) != len(plexus["snapshots"]):
        return "differs", f"{len(nest['snapshots'])} Simulate calls on NEST, {len(plexus['snapshots'])} on Plexus"
    notes, worst = [], 0.0
    for k, (a, b) in enumerate(zip(nest["snapshots"], plexus["snapshots"])):
        if set(a) != set(b):
            return "differs", f"Simulate {k + 1}: recorders {sorted(a)} on NEST, {sorted(b)} on Plexus"
        counts = {gid: (len(a[gid]["senders"]), len(b[gid]["senders"])) for gid in a}
        if any(n != m for n, m in counts.values()):
            # Networks drawn by random rules: not the same draws, so say how close the counts are.
            return "differs", f"Simulate {k + 1}: events per recorder NEST / Plexus " + ", ".join(
                f"{a[g]['model']} {g} {n} / {m} ({(m - n) / max(n, 1):+.1%})" for g, (n, m) in counts.items())
        for gid in a:
            x, y = ordered(a[gid]), ordered(b[gid])
            if not np.array_equal(x["senders"], y["senders"]) or np.max(np.abs(x["times"] - y["times"]), initial=0) > 1e-9:
                return "differs", f"Simulate {k + 1}, {a[gid]['model']} {gid}: event times or senders differ"
            for var in x:
                if var in ("times", "senders"):
                    continue
                if var not in y:
                    return "differs", f"Simulate {k + 1}, {a[gid]['model']} {gid}: no '{var}' on Plexus"
                d = float(np.max(np.abs(x[var].astype(float) - y[var].astype(float)), initial=0))
                worst = max(worst, d)
                if d > tolerance:
                    notes.append(f"{a[gid]['model']} {gid} {var} max |diff| {d:.3g}")
    events = sum(len(r["senders"]) for s in nest["snapshots"] for r in s.values())
    if notes:
        return "differs", "; ".join(notes)
    if events == 0:
        return "runs", "on both; it records nothing to compare"
    return "passes", f"{len(nest['snapshots'])} Simulate call(s), {events} events, largest difference {worst:.2g}"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("nest")
    ap.add_argument("plexus")
    ap.add_argument("--tolerance", type=float, default=1e-6)
    a = ap.parse_args()
    with open(a.nest) as f:
        nest = json.load(f)
    with open(a.plexus) as f:
        plexus = json.load(f)
    verdict, how = compare(nest, plexus, a.tolerance)
    print(f"{nest['script']}: {verdict} ({how})")
    sys.exit(0 if verdict == "passes" else 1)


if __name__ == "__main__":
    main()
