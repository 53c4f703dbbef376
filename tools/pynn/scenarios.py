#!/usr/bin/env python3
"""Runs PyNN's own system-test scenarios (test/system/scenarios in PyNN's source distribution)
on pyNN.plexus and prints one line per test: passes / fails (why).

  python3 tools/pynn/scenarios.py PYNN_SOURCE [--json OUT]

PYNN_SOURCE is the unpacked PyNN 0.13.0 sdist (`pip download PyNN==0.13.0 --no-binary :all:
--no-deps`; scripts/test-python fetches it into .build/pynn-src). The scenarios are copied to a
temporary folder and every test that PyNN runs on its NEST backend is run on "plexus" instead
(the scenario files are otherwise unchanged); tests PyNN runs only on other simulators are left
out. Needs libPlexusC.so ($PLEXUS_LIBRARY) and python/ on PYTHONPATH.
"""
import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path


def run(source, timeout=900):
    """{test id: (outcome, message)} for every scenario PyNN runs on NEST, run on pyNN.plexus."""
    scenarios = Path(source) / "test" / "system" / "scenarios"
    if not scenarios.is_dir():
        raise FileNotFoundError(f"{scenarios}: not a PyNN source tree")
    with tempfile.TemporaryDirectory(prefix="pynn-scenarios-") as tmp:
        target = Path(tmp) / "scenarios"
        shutil.copytree(scenarios, target)
        (Path(tmp) / "__init__.py").write_text("")
        for f in target.glob("*.py"):
            text = f.read_text()
            text = re.sub(r"@run_with_simulators\(([^)]*)\)",
                          lambda m: '@run_with_simulators("plexus")' if '"nest"' in m.group(1) else "@run_with_simulators()", text)
            f.write_text(text)
        (Path(tmp) / "conftest.py").write_text("import plexus.pynn  # registers pyNN.plexus\n")
        env = dict(os.environ, MPLBACKEND="Agg", COLUMNS="4000")   # untruncated failure messages
        done = subprocess.run([sys.executable, "-m", "pytest", "-q", "-rA", "--tb=no", "-p", "no:cacheprovider", "-W", "ignore",
                               "scenarios"], cwd=tmp, env=env, capture_output=True, text=True, timeout=timeout)
    results = {}
    for line in done.stdout.splitlines():
        m = re.match(r"(PASSED|FAILED|ERROR|SKIPPED) scenarios/(\S+?)\[plexus\](?: - (.*))?$", line)
        if m:
            results[m.group(2)] = (m.group(1).lower(), m.group(3) or "")
    if not results:
        raise RuntimeError("no scenario ran:\n" + done.stdout[-3000:] + done.stderr[-3000:])
    return results


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("source")
    ap.add_argument("--json")
    a = ap.parse_args()
    results = run(a.source)
    for test, (outcome, message) in sorted(results.items()):
        print(f"{test}: {outcome}" + (f" ({message})" if message else ""))
    counts = {o: sum(1 for r in results.values() if r[0] == o) for o in ("passed", "failed", "error")}
    print(f"# {len(results)} scenarios on pyNN.plexus: {counts['passed']} pass, {counts['failed']} fail, {counts['error']} errors")
    if a.json:
        Path(a.json).write_text(json.dumps(results, indent=1) + "\n")


if __name__ == "__main__":
    main()
