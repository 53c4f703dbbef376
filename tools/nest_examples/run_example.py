#!/usr/bin/env python3
"""Runs one of NEST's PyNEST example scripts unchanged, on NEST or on Plexus (`plexus.nest`
standing in for the `nest` module, which is what changing the import line does), and writes what
its recorders held after each Simulate call as JSON.

  /opt/nestvenv/bin/python tools/nest_examples/run_example.py --backend nest SCRIPT OUT.json
  PYTHONPATH=python python3 tools/nest_examples/run_example.py --backend plexus SCRIPT OUT.json

compare.py compares two such files. Plots go to matplotlib's Agg backend; plt.show() returns.
"""
import argparse
import glob
import re
import json
import os
import runpy
import sys
import tempfile
import traceback

import matplotlib
matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

RECORDERS = ("spike_recorder", "voltmeter", "multimeter")


class FileRecorder:
    """A NEST recorder writing to files (record_to: ascii): its events read back from them."""

    def __init__(self, node):
        self.node = node

    def get(self, key):
        if key != "events":
            return self.node.get(key)
        columns = {}
        # One file per virtual process; NEST's `filenames` lists one of them: read them all.
        names = sorted({f for n in self.node.get("filenames")
                        for f in glob.glob(glob.escape(re.sub(r"-\d+\.dat$", "", n)) + "-*.dat")})
        for name in names:
            with open(name) as f:
                lines = [l.split() for l in f if l.strip() and not l.startswith("#")]
            header, rows = lines[0], lines[1:]
            for k, column in enumerate(header):
                # As the memory backend names them (time_in_steps: times in steps, offsets).
                key = {"sender": "senders", "time_ms": "times", "time_step": "times", "time_offset": "offsets", "offset": "offsets"}.get(column, column)
                columns.setdefault(key, []).extend(float(r[k]) for r in rows)
        return {k: np.asarray(v) for k, v in columns.items()}


def nest_recorders(nest):
    out = {}
    for node in nest.GetNodes():
        if node.get("model") in RECORDERS:
            out[str(node.get("global_id"))] = node if node.get("record_to") == "memory" else FileRecorder(node)
    return out


def plexus_recorders(nest):
    out = {}
    for p in nest._kernel.populations:
        if p.model in RECORDERS:
            node = nest.NodeCollection._of(nest._kernel, [(p, 0, 1)])
            out[str(p.first)] = node if node.get("record_to") == "memory" else FileRecorder(node)
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--backend", choices=["nest", "plexus"], required=True)
    ap.add_argument("script")
    ap.add_argument("out")
    a = ap.parse_args()
    a.out = os.path.abspath(a.out)   # the script runs in a folder of its own (below)
    if a.backend == "nest":
        import types
        import nest as real
        import nest.raster_plot
        import nest.voltage_trace

        class Proxy(types.ModuleType):
            """NEST's module with Simulate wrapped (NEST's own module refuses new attributes)."""
            def __getattr__(self, key):
                return getattr(real, key)

            def __setattr__(self, key, value):
                setattr(real, key, value)
        nest = Proxy("nest")
        sys.modules["nest"] = nest
        recorders = nest_recorders
    else:
        import plexus.nest as nest
        import plexus.nest.voltage_trace
        import plexus.nest.raster_plot
        for name in ("voltage_trace", "raster_plot", "random", "math"):
            sys.modules["nest." + name] = getattr(nest, name)
        sys.modules["nest"] = nest
        recorders = plexus_recorders
    snapshots = []
    simulate = nest.Simulate

    def recording_simulate(t):
        simulate(t)
        snap = {}
        for gid, node in recorders(nest).items():
            events = node.get("events")
            snap[gid] = {"model": node.get("model"), **{k: np.asarray(v).tolist() for k, v in events.items()}}
        snapshots.append(snap)
    nest.__dict__["Simulate"] = recording_simulate
    plt.show = lambda *args, **kwargs: None
    # Files a script writes (NEST's ascii recorders) go to a fresh folder: NEST refuses to
    # overwrite what an earlier run left.
    os.chdir(tempfile.mkdtemp(prefix="nest-example-"))
    result = {"script": os.path.basename(a.script), "backend": a.backend, "snapshots": snapshots}
    try:
        runpy.run_path(os.path.abspath(a.script), run_name="__main__")
        result["status"] = "ok"
    except SystemExit as e:   # a script that stops itself (e.g. a library its build lacks)
        if e.code in (0, None):
            result["status"] = "ok"
        else:
            result["status"] = "error"
            result["error"] = f"SystemExit: the script stopped with exit status {e.code}"
    except Exception as e:   # a refusal (PlexusError) or a failure: recorded, not raised
        result["status"] = "error"
        result["error"] = f"{type(e).__name__}: {e}"
        result["traceback"] = traceback.format_exc(limit=-3)
    with open(a.out, "w") as f:
        json.dump(result, f)
    print(f"{result['script']}: {result['status']}{' - ' + result.get('error', '') if result['status'] != 'ok' else ''}")


if __name__ == "__main__":
    main()
