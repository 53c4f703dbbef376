#!/usr/bin/env python3
"""Copy the five Allen Institute perisomatic cell models out of an installed bmtk wheel.

The bmtk wheel (tested: bmtk==1.2.0 from PyPI) ships the Allen Cell Types
perisomatic models used by its example networks under
``bmtk/utils/scripts/bionet/``:

    morphologies/<Line>_<specimen>_m.swc
    biophysical_neuron_models/<neuronal_model_id>_fit.json
    mechanisms/modfiles/*.mod

The wheel itself does not say which fit goes with which morphology; the pairing
below is the one used by bmtk's example networks, e.g.
``examples/bio_14cells/network/v1_node_types.csv`` in github.com/AllenInstitute/bmtk:

    Scnn1a_473845048_m.swc  <->  472363762_fit.json   (L4 excitatory, "Scnn1a")
    Rorb_325404214_m.swc    <->  473863510_fit.json   (L4 excitatory, "Rorb")
    Pvalb_470522102_m.swc   <->  472912177_fit.json   (fast-spiking inhibitory, "PV1")
    Nr5a1_471087815_m.swc   <->  473863035_fit.json   (L4 excitatory, "Nr5a1")
    Pvalb_469628681_m.swc   <->  473862421_fit.json   (fast-spiking inhibitory, "PV2")

(all three with model_template=ctdb:Biophys1.hoc, model_processing=aibs_perisomatic).

Writes, relative to the repository root:

    examples/allen/morphologies/*.swc
    examples/allen/fits/*_fit.json
    examples/allen/mechanisms/*.mod        (all .mod files that bmtk ships)
    examples/allen/cells.json              cell name -> {morphology, fit, ...}

Usage:  /opt/neuronvenv/bin/python tools/fetch_allen_models.py [--bmtk-dir DIR] [--out DIR]
Files are copied byte for byte; a sha256 of every file is recorded in cells.json.
"""

import argparse
import hashlib
import json
import os
import shutil
import sys

CELLS = {
    "Scnn1a_473845048": {
        "morphology": "Scnn1a_473845048_m.swc",
        "fit": "472363762_fit.json",
        "ei": "e",
        "pop_name": "Scnn1a",
        "specimen_id": 473845048,
        "neuronal_model_id": 472363762,
    },
    "Rorb_325404214": {
        "morphology": "Rorb_325404214_m.swc",
        "fit": "473863510_fit.json",
        "ei": "e",
        "pop_name": "Rorb",
        "specimen_id": 325404214,
        "neuronal_model_id": 473863510,
    },
    "Pvalb_470522102": {
        "morphology": "Pvalb_470522102_m.swc",
        "fit": "472912177_fit.json",
        "ei": "i",
        "pop_name": "PV1",
        "specimen_id": 470522102,
        "neuronal_model_id": 472912177,
    },
    "Nr5a1_471087815": {
        "morphology": "Nr5a1_471087815_m.swc",
        "fit": "473863035_fit.json",
        "ei": "e",
        "pop_name": "Nr5a1",
        "specimen_id": 471087815,
        "neuronal_model_id": 473863035,
    },
    "Pvalb_469628681": {
        "morphology": "Pvalb_469628681_m.swc",
        "fit": "473862421_fit.json",
        "ei": "i",
        "pop_name": "PV2",
        "specimen_id": 469628681,
        "neuronal_model_id": 473862421,
    },
}

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def find_bmtk_scripts_dir():
    try:
        import bmtk
    except ImportError:
        sys.exit("bmtk is not importable; run with /opt/neuronvenv/bin/python or pass --bmtk-dir")
    d = os.path.join(os.path.dirname(bmtk.__file__), "utils", "scripts", "bionet")
    if not os.path.isdir(d):
        sys.exit("bmtk installed but %s is missing" % d)
    return d, getattr(bmtk, "__version__", "unknown")


def sha256(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--bmtk-dir", help="bmtk/utils/scripts/bionet directory (default: from the installed bmtk)")
    ap.add_argument("--out", default=os.path.join(REPO_ROOT, "examples", "allen"))
    args = ap.parse_args()

    if args.bmtk_dir:
        src, version = args.bmtk_dir, "unknown"
    else:
        src, version = find_bmtk_scripts_dir()

    out = args.out
    dirs = {k: os.path.join(out, k) for k in ("morphologies", "fits", "mechanisms")}
    for d in dirs.values():
        os.makedirs(d, exist_ok=True)

    hashes = {}

    def copy(src_path, dst_dir):
        dst = os.path.join(dst_dir, os.path.basename(src_path))
        shutil.copyfile(src_path, dst)
        rel = os.path.relpath(dst, out)
        hashes[rel] = sha256(dst)
        return rel

    cells = {}
    for name, info in CELLS.items():
        morph = copy(os.path.join(src, "morphologies", info["morphology"]), dirs["morphologies"])
        fit = copy(os.path.join(src, "biophysical_neuron_models", info["fit"]), dirs["fits"])
        entry = dict(info)
        entry["morphology"] = morph
        entry["fit"] = fit
        entry["model_template"] = "ctdb:Biophys1.hoc"
        entry["model_processing"] = "aibs_perisomatic"
        cells[name] = entry

    mod_src = os.path.join(src, "mechanisms", "modfiles")
    mods = []
    for fn in sorted(os.listdir(mod_src)):
        if fn.endswith(".mod"):
            mods.append(copy(os.path.join(mod_src, fn), dirs["mechanisms"]))

    manifest = {
        "_source": "bmtk %s wheel, bmtk/utils/scripts/bionet/ (copied by tools/fetch_allen_models.py)" % version,
        "_pairing": "bmtk examples/bio_14cells/network/v1_node_types.csv (model_processing=aibs_perisomatic)",
        "mechanisms_dir": "mechanisms",
        "mechanisms": mods,
        "cells": cells,
        "sha256": hashes,
    }
    with open(os.path.join(out, "cells.json"), "w") as f:
        json.dump(manifest, f, indent=2, sort_keys=False)
        f.write("\n")

    total = 0
    for root, _, files in os.walk(out):
        for fn in files:
            total += os.path.getsize(os.path.join(root, fn))
    print("wrote %s: %d cells, %d mod files, %.1f KB total" % (out, len(cells), len(mods), total / 1024.0))


if __name__ == "__main__":
    main()
