#!/usr/bin/env python3
"""Writes the small MAT-file fixtures of Tests/PlexusTests/MatFileTests.swift with scipy.io.savemat
(level 5, compressed and not, little-endian) and the values they hold (expected.json).

    /opt/tvbvenv/bin/python tools/make_mat_fixtures.py
"""
import json
import os

import numpy as np
import scipy.io
import scipy.sparse

OUT = os.path.join(os.path.dirname(__file__), "..", "Tests", "Fixtures", "mat")
os.makedirs(OUT, exist_ok=True)
dense = np.arange(12, dtype=float).reshape(3, 4) / 7.0 - 0.5
ints = np.array([[1, -2, 3], [4, 5, -6]], dtype=np.int16)
single = np.array([[1.5, 2.25]], dtype=np.float32)
rows, cols = np.array([0, 2, 1, 2]), np.array([0, 0, 3, 4])
sparse = scipy.sparse.csc_matrix((np.array([0.5, -1.25, 2.0, 1e-3]), (rows, cols)), shape=(3, 5))
text = "Fp1"
variables = {"dense": dense, "ints": ints, "single": single, "sparse": sparse, "label": text}
for compressed in (False, True):
    name = "compressed.mat" if compressed else "plain.mat"
    scipy.io.savemat(os.path.join(OUT, name), variables, do_compression=compressed, format="5")
expected = {
    "dense": {"dims": list(dense.shape), "row_major": dense.ravel().tolist()},
    "ints": {"dims": list(ints.shape), "row_major": ints.astype(float).ravel().tolist()},
    "single": {"dims": list(single.shape), "row_major": single.astype(float).ravel().tolist()},
    "sparse": {"dims": list(sparse.shape), "row_major": sparse.toarray().ravel().tolist(), "nnz": int(sparse.nnz)},
    "label": {"text": text},
}
with open(os.path.join(OUT, "expected.json"), "w") as f:
    json.dump(expected, f, indent=1)
print("wrote", sorted(os.listdir(OUT)))
