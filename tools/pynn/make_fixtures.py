#!/usr/bin/env python3
"""Runs python/tests/pynn_cases.py on PyNN's NEST backend (pyNN.nest, NEST 3.10) and writes
python/tests/fixtures/pynn_cases.json, which test_pynn.py compares pyNN.plexus with.

  /opt/nestvenv/bin/python tools/pynn/make_fixtures.py     (a venv with nest-simulator==3.10.0 and PyNN==0.13.0)
"""
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "python" / "tests"))
import nest  # noqa: E402
import pyNN  # noqa: E402
import pyNN.nest as sim  # noqa: E402
import pynn_cases  # noqa: E402

out = {"nest_version": nest.__version__, "pynn_version": pyNN.__version__,
       "cases": {case.__name__: case(sim) for case in pynn_cases.CASES}}
target = ROOT / "python" / "tests" / "fixtures" / "pynn_cases.json"
target.write_text(json.dumps(out) + "\n")
print(f"wrote {target} ({target.stat().st_size} bytes)")
