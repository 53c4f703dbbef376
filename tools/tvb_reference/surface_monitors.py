"""TVB 2.10's EEG, MEG, SpatialAverage, GlobalAverage and TemporalAverage monitors on the surface simulation of
surface.py, as a test fixture.

The run is surface.py's, unchanged (16,384-vertex cortex, regionMapping_16k_76, the .mat local connectivity at
coupling_strength 0.3, Generic2dOscillator at TVB's defaults with variables_of_interest ("V", "W"),
Linear(a=0.0152), connectivity_76 at 3 mm/ms, HeunDeterministic(dt=0.1), 100 ms = 1000 steps, the per-vertex
constant initial history of default_rng(7670), current_step reset to 0), built by surface.py's own functions.
Its monitors, all projection monitors with obsnoise=None:

  Raw()                                               (not written: checked against g2d_surface.json.bz2)
  EEG.from_file(obsnoise=None)                        65 channels, projection_eeg_65_surface_16k.npy, TVB's
                                                      default period 1e3/1024 = 0.9765625 -> int(period/dt) = 9
  MEG.from_file(period=2.0, obsnoise=None)            276 channels, projection_meg_276_surface_16k.npy -> 20
  SpatialAverage(period=1.0)                          surface default mask = the region mapping (76 areas) -> 10
  GlobalAverage(period=1.0)                           -> 10
  TemporalAverage(period=1.0, variables_of_interest=[0])   V only, per vertex -> 10

Every monitor is recomputed from the full Raw record with the formulas of docs/tvb-surface.md §6 and asserted:
TemporalAverage, GlobalAverage and SpatialAverage bit for bit with hand-written sums (a sequential 10-term sum
/ 10; numpy's pairwise sum / 16384; OpenBLAS's strided ddot of the 1/n_r weights), EEG/MEG bit for bit with the
same numpy/BLAS products on the vertex lead field (their summation order is OpenBLAS dgemm's), and every monitor
against an extended-precision evaluation of the same formula (the differences are stored in the fixture as
`accuracy`).
The Raw samples are asserted to equal those stored in g2d_surface.json.bz2 bit for bit (the same simulation).

Writes ../../Tests/Fixtures/tvb/surface/g2d_surface_monitors.json.bz2 (format: README.md in this folder).

Run: /opt/tvbvenv/bin/python tools/tvb_reference/surface_monitors.py   (~3 min on 2 idle cores, most of it the
checks; deterministic, a rerun rewrites the file byte for byte)
"""
import bz2
import ctypes
import glob
import json
import math
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
import surface as S  # noqa: E402  (TVB, logging set-up and the run's constants)
from surface import monitors, models  # noqa: E402

OUT = S.OUT
FIXTURE = "g2d_surface_monitors.json.bz2"
FILES = dict(S.FILES, **{
    "eeg_sensors": "sensors/eeg_brainstorm_65.txt",
    "eeg_projection": "projectionMatrix/projection_eeg_65_surface_16k.npy",
    "meg_sensors": "sensors/meg_brainstorm_276.txt",
    "meg_projection": "projectionMatrix/projection_meg_276_surface_16k.npy",
})
# TemporalAverage (per vertex, V only): every TAVG_STRIDE-th vertex at every sample, every vertex at TAVG_FULL
# (sample numbers, 1-based: sample s ends at step 10*s).
TAVG_STRIDE = 64
TAVG_FULL = [100]
# Keys, constructions and the monitors, in the simulator's order (Raw first).
MONITORS = [
    ("Raw", "Raw()", lambda: monitors.Raw()),
    ("EEG", "EEG.from_file(obsnoise=None)", lambda: monitors.EEG.from_file(obsnoise=None)),
    ("MEG", "MEG.from_file(period=2.0, obsnoise=None)", lambda: monitors.MEG.from_file(period=2.0, obsnoise=None)),
    ("SpatialAverage", "SpatialAverage(period=1.0)", lambda: monitors.SpatialAverage(period=1.0)),
    ("GlobalAverage", "GlobalAverage(period=1.0)", lambda: monitors.GlobalAverage(period=1.0)),
    ("TemporalAverage", "TemporalAverage(period=1.0, variables_of_interest=numpy.array([0]))",
     lambda: monitors.TemporalAverage(period=1.0, variables_of_interest=np.array([0]))),
]


def pairwise_sum(a):
    """numpy's float64 add-reduction of a contiguous 1-D run (DOUBLE_pairwise_sum, numpy/_core/src/umath/
    loops_utils.h.src, PW_BLOCKSIZE 128), started from 0.0: n < 8 sequential; n <= 128 eight accumulators
    r[j] = a[j] + a[j+8] + a[j+16] + ... over the first n - n%8 elements, combined as
    ((r0+r1)+(r2+r3))+((r4+r5)+(r6+r7)), then the last n%8 added in order; larger n split at
    n2 = n//2 - (n//2)%8 and the two halves' sums added."""
    n = len(a)
    if n < 8:
        s = 0.0
        for x in a:
            s += x
        return s
    if n <= 128:
        r = list(a[:8])
        m = n - n % 8
        for i in range(8, m, 8):
            for j in range(8):
                r[j] += a[i + j]
        s = ((r[0] + r[1]) + (r[2] + r[3])) + ((r[4] + r[5]) + (r[6] + r[7]))
        for i in range(m, n):
            s += a[i]
        return s
    n2 = n // 2
    n2 -= n2 % 8
    return pairwise_sum(a[:n2]) + pairwise_sum(a[n2:])


def strided_ddot(w, x):
    """OpenBLAS 0.3.31's ddot when an increment is not 1 (kernel/x86_64/ddot.c, dot_compute, the path numpy.dot
    takes for a row of TVB's Fortran-ordered spatial_mean): products p_i = w_i * x_i over ALL n entries (zeros
    included), two accumulators from 0.0, per group of four t1 += p_4j + p_4j+2 and t2 += p_4j+1 + p_4j+3 (the
    pair added first), result t1 + t2. (A remainder of n % 4 products, added here to t1 one by one, does not
    occur for 16384 nodes and is not checked.) This is the single-thread order; see check() for threads."""
    p = w * x
    m = len(p) - len(p) % 4
    q = p[:m].reshape(-1, 4)
    t1 = np.cumsum(np.r_[0.0, q[:, 0] + q[:, 2], p[m:]])[-1]
    t2 = np.cumsum(np.r_[0.0, q[:, 1] + q[:, 3]])[-1]
    return t1 + t2


def openblas():
    """(core name, threads) of numpy's bundled OpenBLAS, for the record (None if not found)."""
    libs = glob.glob(str(Path(np.__file__).resolve().parent.parent / "numpy.libs" / "*openblas*"))
    try:
        lib = ctypes.CDLL(libs[0])
        lib.scipy_openblas_get_corename64_.restype = ctypes.c_char_p
        return lib.scipy_openblas_get_corename64_().decode(), int(lib.scipy_openblas_get_num_threads64_())
    except (IndexError, OSError, AttributeError):
        return None, None


def set_blas_threads(n):
    libs = glob.glob(str(Path(np.__file__).resolve().parent.parent / "numpy.libs" / "*openblas*"))
    ctypes.CDLL(libs[0]).scipy_openblas_set_num_threads64_(ctypes.c_int(n))


def rel(a, b):
    """max |a - b| / max |b| (0 when both are 0)."""
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    m = float(np.abs(b).max())
    return float(np.abs(a - b).max()) / m if m > 0 else float(np.abs(a - b).max())


def run():
    conn = S.load_conn()
    svars, ranges, init = S.g2d_initial()
    conn.set_idelays(S.DT)
    horizon = int(conn.horizon)
    mons = [make() for _, _, make in MONITORS]
    sim = S.build(conn, init, horizon, tuple(mons))
    n_steps = int(round(S.DURATION / S.DT))
    n = int(sim.number_of_nodes)
    raw = np.empty((n_steps, 2, n))
    rec = {key: dict(steps=[], times=[], data=[]) for key, _, _ in MONITORS[1:]}
    t0 = time.perf_counter()
    for k, out in enumerate(sim(n_steps=np.int64(n_steps)), start=1):
        t, y = out[0]
        assert t == k * S.DT and y.shape == (2, n, 1), k
        raw[k - 1] = y[:, :, 0]
        for (key, _, _), o in zip(MONITORS[1:], out[1:]):
            if o is not None:
                rec[key]["steps"].append(k)
                rec[key]["times"].append(float(o[0]))
                rec[key]["data"].append(np.array(o[1]))
    elapsed = time.perf_counter() - t0
    for key in rec:
        rec[key]["data"] = np.array(rec[key]["data"])
    pnames = S.model_param_names(models.Generic2dOscillator)
    res = dict(sim=sim, init=init, svars=svars, ranges=ranges, horizon=horizon, n_steps=n_steps,
               params={p: S.to_json_value(getattr(sim.model, p)) for p in pnames},
               a=float(sim.coupling.a[0]), b=float(sim.coupling.b[0]),
               rmap=np.asarray(sim.surface.region_mapping), lc=sim.surface.local_connectivity.matrix)
    return conn, res, dict(zip([k for k, _, _ in MONITORS], mons)), raw, rec, elapsed


def check_same_run(raw):
    """Raw equals the samples of g2d_surface.json.bz2 (surface.py's fixture) bit for bit."""
    ref = json.loads(bz2.decompress((OUT / "g2d_surface.json.bz2").read_bytes()))
    sv = ref["sample_vertices"]
    idx = np.arange(sv["start"], sv["start"] + sv["stride"] * sv["count"], sv["stride"])
    for i, name in enumerate(ref["state_variables"]):
        for k, step in enumerate(ref["steps"]):
            assert np.array_equal(raw[step - 1, i, idx], ref["samples"][name][k]), (name, step)
        for k, step in enumerate(ref["full_steps"]):
            assert np.array_equal(raw[step - 1, i], ref["full"][name][k]), (name, step)
    return len(ref["steps"]), ref["steps"][-1]


def check(mon, raw, rec, rmap, before_threads):
    """Recompute every monitor from the Raw record (docs/tvb-surface.md §6); returns the accuracy block and
    whether the BLAS products are the same with 1 and 4 OpenBLAS threads."""
    data_dir = S.tvb_data_dir()
    n_steps, _, n = raw.shape
    dt = S.DT
    acc = {}
    counts = np.bincount(rmap)
    # ---- EEG, MEG: the vertex lead field, non-finite -> 0, window mean of gain @ observed ----
    for key, proj in (("EEG", "eeg_projection"), ("MEG", "meg_projection")):
        m, r = mon[key], rec[key]
        gain = np.load(data_dir / FILES[proj])
        assert gain.shape == (m.sensors.number_of_sensors, n)
        nan_rows = np.where(~np.isfinite(gain).any(axis=1))[0]
        assert np.array_equal(np.where(~np.isfinite(gain).all(axis=1))[0], nan_rows)  # whole rows or nothing
        gain[~np.isfinite(gain)] = 0.0
        assert np.array_equal(m.gain, gain), key
        assert m.sensors.usable is None and not m.reference if key == "EEG" else m.sensors.usable is None
        p = int(m.period / dt)
        assert p == m._period_in_steps
        steps = list(range(p, n_steps + 1, p))
        assert r["steps"] == steps and r["times"] == [(k - p / 2.0) * dt for k in steps], key
        assert r["data"].shape == (len(steps), 2, gain.shape[0], 1)
        worst = dict(alt=0.0, exact=0.0)
        gl = gain.astype(np.longdouble)
        for s, k in enumerate(steps):
            a = np.zeros((gain.shape[0], 2))
            for j in range(k - p, k):
                a += gain.dot(raw[j].T)
            got = r["data"][s, :, :, 0]
            assert np.array_equal(got, (a / p).T), (key, k)
            assert np.all(got[:, nan_rows] == 0.0)
            alt = (gain @ raw[k - p:k].mean(axis=0).T).T  # project the window mean once
            exact = ((gl @ raw[k - p:k].astype(np.longdouble).sum(axis=0).T) / p).T
            for v in range(2):
                worst["alt"] = max(worst["alt"], rel(got[v], alt[v]))
                worst["exact"] = max(worst["exact"], rel(got[v], exact[v].astype(np.float64)))
        acc[key] = {"vs_gain_at_window_mean": worst["alt"], "vs_extended_precision": worst["exact"],
                    "zeroed_sensors": [int(i) for i in nan_rows]}
    # ---- SpatialAverage: default mask = region mapping; dot with the 1/n_r matrix, sub-sampled ----
    m, r = mon["SpatialAverage"], rec["SpatialAverage"]
    assert np.array_equal(m.spatial_mask, rmap) and m.istep == 10
    # as TVB builds it (monitors.py:312-318): the transpose of a (nodes, areas) 0/1 matrix divided by the counts,
    # so a Fortran-ordered (areas, nodes) array whose rows are strided (76 doubles apart)
    spatial_sum = np.zeros((n, counts.size))
    spatial_sum[np.arange(n), rmap] = 1
    spatial_sum = spatial_sum.T
    mean_mat = spatial_sum / np.sum(spatial_sum, axis=1)[:, np.newaxis]
    assert np.array_equal(m.spatial_mean, mean_mat) and m.spatial_mean.flags["F_CONTIGUOUS"]
    assert not m.spatial_mean.flags["C_CONTIGUOUS"] and mean_mat.flags["F_CONTIGUOUS"]
    steps = list(range(m.istep, n_steps + 1, m.istep))
    assert r["steps"] == steps and r["times"] == [k * dt for k in steps]
    worst = dict(sum_over_count=0.0, exact=0.0)
    for s, k in enumerate(steps):
        got = r["data"][s, :, :, 0]
        assert np.array_equal(got, np.dot(mean_mat, raw[k - 1][:, :, None]).transpose((1, 0, 2))[:, :, 0]), k
        assert np.array_equal(got, [[strided_ddot(mean_mat[a], raw[k - 1, v]) for a in range(counts.size)]
                                    for v in range(2)]), k
        soc = np.array([np.bincount(rmap, weights=raw[k - 1, v]) / counts for v in range(2)])
        exact = np.array([[math.fsum(raw[k - 1, v, rmap == a]) / counts[a] for a in range(counts.size)]
                          for v in range(2)])
        for v in range(2):
            worst["sum_over_count"] = max(worst["sum_over_count"], rel(got[v], soc[v]))
            worst["exact"] = max(worst["exact"], rel(got[v], exact[v]))
    acc["SpatialAverage"] = {"vs_sum_over_count": worst["sum_over_count"], "vs_fsum_over_count": worst["exact"]}
    # OpenBLAS threads. A threaded OpenBLAS splits a ddot of n > 10000 into one part per thread and adds the
    # parts' results: with 2 threads the split is at vertex 8192, the hemisphere boundary, which no area crosses,
    # so 1 and 2 threads give the same bits (this machine's default is 2); 4 threads change SpatialAverage's last
    # bits. The projections' dgemm is the same with 1, 2 and 4 threads.
    def products():
        return ([np.dot(mean_mat, raw[k - 1][:, :, None]).transpose((1, 0, 2))[:, :, 0] for k in steps],
                [mon[key].gain.dot(raw[j].T) for key in ("EEG", "MEG") for j in (0, n_steps - 1)])
    ref_s, ref_p = products()
    same = {}
    for threads in (1, 4):
        set_blas_threads(threads)
        s_, p_ = products()
        same[threads] = {"SpatialAverage": bool(np.array_equal(np.array(s_), r["data"][:, :, :, 0])),
                         "EEG_MEG_products": all(np.array_equal(x, y) for x, y in zip(p_, ref_p))}
    set_blas_threads(before_threads)
    assert np.array_equal(np.array(ref_s), r["data"][:, :, :, 0])
    # ---- GlobalAverage: numpy.mean over all nodes = pairwise sum / n ----
    m, r = mon["GlobalAverage"], rec["GlobalAverage"]
    assert m.istep == 10 and r["steps"] == steps and r["times"] == [k * dt for k in steps]
    worst = 0.0
    for s, k in enumerate(steps):
        got = r["data"][s, :, 0, 0]
        assert r["data"].shape[1:] == (2, 1, 1)
        for v in range(2):
            x = raw[k - 1, v].tolist()
            assert got[v] == pairwise_sum(x) / n, (k, v)
            worst = max(worst, abs(got[v] - math.fsum(x) / n) / abs(math.fsum(x) / n))
    acc["GlobalAverage"] = {"vs_fsum_over_n": worst}
    # ---- TemporalAverage: V per vertex, mean of the 10 Raw samples of the period ----
    m, r = mon["TemporalAverage"], rec["TemporalAverage"]
    assert m.istep == 10 and list(m.voi) == [0]
    assert r["steps"] == steps and r["times"] == [(k - m.istep / 2.0) * dt for k in steps]
    assert r["data"].shape == (len(steps), 1, n, 1)
    worst = 0.0
    for s, k in enumerate(steps):
        acc_v = raw[k - 10, 0].copy()
        for j in range(k - 9, k):
            acc_v += raw[j, 0]
        got = r["data"][s, 0, :, 0]
        assert np.array_equal(got, acc_v / 10.0), k
        exact = (raw[k - 10:k, 0].astype(np.longdouble).sum(axis=0) / 10).astype(np.float64)
        worst = max(worst, float(np.abs(got - exact).max() / np.abs(exact).max()))
    acc["TemporalAverage"] = {"vs_extended_precision": worst}
    return acc, same


def block(key, desc, m, r, extra=None, columns=None):
    d = r["data"]
    assert d.shape[-1] == 1
    b = {"class": type(m).__name__, "construction": desc, "period": float(m.period), "istep": int(m.istep),
         "voi": [int(i) for i in m.voi], "shape": [int(x) for x in d.shape], "n_samples": len(r["steps"])}
    b.update(extra or {})
    b["steps"] = r["steps"]
    b["times"] = r["times"]
    d = d[..., 0] if columns is None else d[:, :, columns, 0]
    b["data"] = d.tolist()
    return b


def make_doc(conn, res, mon, rec, acc, blas):
    doc = S.inputs_doc(res, conn, files=FILES)
    doc["monitors"] = [k for k, _, _ in MONITORS[1:]]
    descs = {k: d for k, d, _ in MONITORS}
    n = res["init"].shape[1]
    for key in ("EEG", "MEG"):
        m = mon[key]
        doc[key] = block(key, descs[key], m, rec[key], extra={
            "period_in_steps": int(m._period_in_steps), "reference": getattr(m, "reference", None), "obsnoise": None,
            "number_of_sensors": int(m.sensors.number_of_sensors), "sensors": m.sensors.labels.tolist(),
            "zeroed_sensors": acc[key]["zeroed_sensors"],
            "gain": "files['%s_projection'] (%d x 16384) applied to the vertices as it is, non-finite entries -> 0 "
                    "(whole NaN rows -> zero rows); no region summation" % (key.lower(), m.gain.shape[0])})
    m = mon["SpatialAverage"]
    doc["SpatialAverage"] = block("SpatialAverage", descs["SpatialAverage"], m, rec["SpatialAverage"], extra={
        "spatial_mask": "region_mapping", "number_of_areas": int(m.spatial_mean.shape[0]),
        "area_counts": np.bincount(res["rmap"]).tolist(),
        "weights": "spatial_mean[a][i] = 1.0/n_a for the vertices i with region_mapping[i] == a, else 0 (a "
                   "Fortran-ordered array); sample = numpy.dot(spatial_mean, observed[voi]): per area an OpenBLAS "
                   "strided ddot over all 16384 nodes (order in notes)"})
    doc["GlobalAverage"] = block("GlobalAverage", descs["GlobalAverage"], mon["GlobalAverage"], rec["GlobalAverage"])
    m = mon["TemporalAverage"]
    cols = np.arange(0, n, TAVG_STRIDE)
    tb = block("TemporalAverage", descs["TemporalAverage"], m, rec["TemporalAverage"], columns=cols, extra={
        "columns": {"start": 0, "stride": TAVG_STRIDE, "count": int(cols.size),
                    "meaning": "data's columns are the vertices 0, 64, ..., 16320"}})
    tb["full_samples"] = TAVG_FULL
    tb["full_steps"] = [rec["TemporalAverage"]["steps"][s - 1] for s in TAVG_FULL]
    tb["full_data"] = [rec["TemporalAverage"]["data"][s - 1, :, :, 0].tolist() for s in TAVG_FULL]
    doc["TemporalAverage"] = tb
    doc["accuracy"] = {
        "EEG": {k: v for k, v in acc["EEG"].items() if k != "zeroed_sensors"},
        "MEG": {k: v for k, v in acc["MEG"].items() if k != "zeroed_sensors"},
        "SpatialAverage": acc["SpatialAverage"], "GlobalAverage": acc["GlobalAverage"],
        "TemporalAverage": acc["TemporalAverage"],
        "meaning": "max |TVB - alternative| / max |alternative| over samples and variables (max over each sample "
                   "and variable's row): what a reimplementation that sums in another order should expect. "
                   "TemporalAverage, GlobalAverage and SpatialAverage are also reproduced bit for bit by the sums in "
                   "'notes'; EEG/MEG only by the same OpenBLAS dgemm calls.",
        "blas": blas,
    }
    doc["notes"] = (
        "Same simulation as g2d_surface.json.bz2 (its Raw samples are reproduced bit for bit). Observed array = "
        "the model's variables_of_interest [V, W] per vertex (16384 nodes); voi indexes it. Projections (EEG, MEG): "
        "every step acc += gain.dot(observed[voi].sum(-1).T) with the (sensors x 16384) vertex lead field "
        "(non-finite -> 0); at steps k multiple of period_in_steps = int(period/dt) (EEG 9: the default period "
        "0.9765625 truncated; MEG 20) the sample is acc/period_in_steps at t = (k - period_in_steps/2)*dt, then "
        "acc = 0; steps after the last multiple (EEG: 1000) are accumulated but never emitted; reference None "
        "(EEG subtracts 0). SpatialAverage: mask = surface.region_mapping (76 areas), sample = dot(1/n_a weights, "
        "observed) at k*dt every istep = iround(period/dt) = 10 steps, no time average; the per-area sum is "
        "OpenBLAS's strided ddot: p_i = w_i*x_i over all 16384 nodes (0 outside the area), t1 and t2 from 0.0, "
        "per group of four nodes t1 += p_4j + p_4j+2, t2 += p_4j+1 + p_4j+3, result t1 + t2 (1 OpenBLAS thread; "
        "2 threads give the same here, 3+ do not). GlobalAverage: "
        "numpy.mean over the 16384 vertices = numpy's pairwise sum (8 accumulators per 128-block, halves added) "
        "/ 16384, at k*dt every 10 steps, no time average, shape (voi, 1). TemporalAverage (V only): per vertex "
        "((x_{k-9} + x_{k-8}) + ... + x_k) / 10 at t = (k - 5)*dt; data holds every 64th vertex, full_data every "
        "vertex at full_samples (1-based sample numbers). data is [sample][voi][column].")
    return doc


def main(argv):
    t0 = time.perf_counter()
    conn, res, mon, raw, rec, elapsed = run()
    n_ref, last = check_same_run(raw)
    core, threads = openblas()
    acc, same = check(mon, raw, rec, res["rmap"], threads or 1)
    blas = {"library": "OpenBLAS bundled with numpy %s" % np.__version__, "core": core, "threads": threads,
            "same_bits_with_1_thread": same[1], "same_bits_with_4_threads": same[4]}
    doc = make_doc(conn, res, mon, rec, acc, blas)
    text = S.dump(doc)
    data = bz2.compress(text.encode(), 9)
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / FIXTURE).write_bytes(data)
    print(f"{FIXTURE}: {len(data) / 1024:.0f} KB ({len(text) / 1024:.0f} KB raw); TVB loop 100 ms {elapsed:.1f} s; "
          f"total {time.perf_counter() - t0:.1f} s")
    print(f"    Raw = g2d_surface.json.bz2 bit for bit ({n_ref} sampled steps up to {last}, 2 full steps)")
    for key in doc["monitors"]:
        b = doc[key]
        a = {k: f"{v:.2g}" for k, v in acc[key].items() if k != "zeroed_sensors"}
        print(f"    {key}: period {b['period']} istep {b['istep']} "
              f"{'period_in_steps %d ' % b['period_in_steps'] if 'period_in_steps' in b else ''}"
              f"{b['n_samples']} samples, t = {b['times'][0]}, {b['times'][1]}, ..., {b['times'][-1]}; "
              f"shape {b['shape']}; |data| <= {np.abs(rec[key]['data']).max():.3g}; accuracy {a}")
    print(f"    BLAS: {blas}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
