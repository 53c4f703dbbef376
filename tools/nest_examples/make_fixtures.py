#!/usr/bin/env python3
"""Runs python/tests/nest_cases.py on NEST 3.10 and writes python/tests/fixtures/nest_cases.json,
the reference test_nest.py compares plexus.nest with.

  /opt/nestvenv/bin/python tools/nest_examples/make_fixtures.py     (a venv with nest-simulator==3.10.0)
"""
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "python" / "tests"))
import nest  # noqa: E402
import nest_cases  # noqa: E402

nest.verbosity = nest.VerbosityLevel.ERROR
out = {"nest_version": nest.__version__, "cases": {case.__name__: case(nest) for case in nest_cases.CASES}}
target = ROOT / "python" / "tests" / "fixtures" / "nest_cases.json"
target.write_text(json.dumps(out) + "\n")
print(f"wrote {target} ({target.stat().st_size} bytes)")
