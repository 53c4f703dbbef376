#!/usr/bin/env python3
"""Runs every PyNEST example script that the nest-simulator wheel ships
(nest/doc/examples/pynest/*.py) on NEST and on Plexus (run_example.py) and compares what they
recorded (compare.py); writes one line per script: passes / differs (how) / refused (why).

  python3 tools/nest_examples/run_all.py --nest-python /opt/nestvenv/bin/python --out /tmp/nest_examples \\
      [--only one_neuron twoneurons] [--timeout 300] [--subfolders]

--subfolders runs the scripts of the wheel's example folders instead (spatial/, astrocytes/, ...;
named folder/script, as --only takes them). A script Plexus refuses is not run on NEST (the
verdict is "refused" whatever NEST does).

Needs a virtual environment with nest-simulator==3.10.0 and matplotlib (--nest-python), and
libPlexusC.so (swift build -c release --product PlexusC). The table goes to OUT/summary.txt.
"""
import argparse
import glob
import json
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--nest-python", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--only", nargs="*")
    ap.add_argument("--timeout", type=int, default=300)
    ap.add_argument("--reuse-nest", action="store_true", help="keep NEST's results already in OUT (NEST does not change)")
    ap.add_argument("--nest-only", action="store_true", help="run NEST only (no comparison)")
    ap.add_argument("--subfolders", action="store_true", help="the scripts in the example folders instead of the top level")
    a = ap.parse_args()
    examples = subprocess.check_output([a.nest_python, "-c", "import nest, os; print(os.path.join(os.path.dirname(nest.__file__), 'doc/examples/pynest'))"],
                                       text=True, stderr=subprocess.DEVNULL).strip().splitlines()[-1]
    scripts = sorted(glob.glob(os.path.join(examples, "*", "*.py") if a.subfolders else os.path.join(examples, "*.py")))
    def name(script):   # one_neuron, or spatial/grid_iaf
        return f"{Path(script).parent.name}/{Path(script).stem}" if a.subfolders else Path(script).stem

    if a.only:
        scripts = [s for s in scripts if name(s) in a.only]
    out = Path(a.out)
    out.mkdir(parents=True, exist_ok=True)
    env = dict(os.environ, PYTHONPATH=str(ROOT / "python"), MPLBACKEND="Agg")
    env.setdefault("PLEXUS_LIBRARY", str(ROOT / ".build/release/libPlexusC.so"))
    lines = []
    for script in scripts:
        stem = name(script).replace("/", "__")
        results = {}
        # Plexus first: a script it refuses is refused whatever NEST does, so NEST need not run.
        for backend, python in (("plexus", sys.executable), ("nest", a.nest_python)):
            target = out / f"{stem}.{backend}.json"
            results[backend] = target
            reusable = target.exists() and json.loads(target.read_text())["status"] != "not run"
            if (backend == "nest" and a.reuse_nest and reusable) or (backend == "plexus" and a.nest_only):
                continue
            if backend == "nest" and not a.nest_only and json.loads(results["plexus"].read_text())["status"] != "ok":
                target.write_text('{"script": "%s", "status": "not run", "snapshots": []}' % Path(script).name)
                continue
            try:
                # A script's own folder is on its path (sibling modules: parameters, helpers).
                subprocess.run([python, str(HERE / "run_example.py"), "--backend", backend, script, str(target)],
                               env=dict(env, PYTHONPATH=env["PYTHONPATH"] + os.pathsep + str(Path(script).parent)),
                               cwd=out, timeout=a.timeout, capture_output=True)
            except subprocess.TimeoutExpired:
                target.write_text('{"script": "%s.py", "status": "error", "error": "timed out after %d s", "snapshots": []}' % (stem, a.timeout))
            if not target.exists():
                target.write_text('{"script": "%s.py", "status": "error", "error": "the runner failed", "snapshots": []}' % stem)
        if a.nest_only:
            continue
        verdict = subprocess.run([sys.executable, str(HERE / "compare.py"), str(results["nest"]), str(results["plexus"])],
                                 capture_output=True, text=True).stdout.strip()
        if a.subfolders:
            verdict = f"{Path(script).parent.name}/{verdict}"
        lines.append(verdict)
        print(verdict, flush=True)
    counts = {v: sum(f": {v} (" in l for l in lines) for v in ("passes", "differs", "runs", "refused")}
    commit = subprocess.run(["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"], capture_output=True, text=True).stdout.strip()
    header = (f"# NEST's PyNEST examples ({examples}) on NEST and on Plexus (plexus.nest, commit {commit}), "
              f"{time.strftime('%Y-%m-%d')}\n# python3 tools/nest_examples/run_all.py --nest-python {a.nest_python} --out {a.out}\n"
              f"# {len(lines)} scripts: {counts['passes']} pass, {counts['differs']} differ, {counts['runs']} run without recording, {counts['refused']} refused\n")
    (out / "summary.txt").write_text(header + "\n".join(lines) + "\n")
    print(header, end="")


if __name__ == "__main__":
    main()
