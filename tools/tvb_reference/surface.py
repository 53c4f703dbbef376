"""TVB 2.10's surface simulation (16,384-vertex cortex + local connectivity), as a test fixture.

One deterministic TVB 2.10 run (tvb-library 2.10.0, tvb-data 3.0.0):
  * tvb-data's connectivity_76.zip (weights as read, speed 3 mm/ms set on the connectivity),
  * a Cortex from surfaceData/cortex_16384.zip with regionMapping/regionMapping_16k_76.txt and the local
    connectivity of local_connectivity/local_connectivity_16384.mat exactly as TVB loads it
    (LocalConnectivity.from_file: scipy.io.loadmat(...)["LocalCoupling"].tocsr(); no rebuild from
    LocalConnectivity.equation/cutoff, which would need the gdist package), Cortex.coupling_strength
    LOCAL_STRENGTH,
  * Generic2dOscillator at TVB's default parameters, variables_of_interest ("V", "W"),
  * Linear coupling a=0.0152 (b=0, the default),
  * HeunDeterministic(dt=0.1), 100 ms (1000 steps), the Raw monitor,
  * a constant initial history drawn with numpy.random.default_rng(SEED) uniformly within each state
    variable's state_variable_range, PER VERTEX (V then W, 16384 draws each), given as
    Simulator(initial_conditions=...) of shape (horizon, 2, 16384, 1) before the only configure();
    configure() sets sim.current_step to horizon - 1, which is reset to 0 (as models.py), so the first
    step is step 1 and Raw's time of step k is k*dt.

Every step is also replayed by an independent numpy implementation of the semantics of
docs/tvb-surface.md (region means of the vertex state into a float32 region history, Linear coupling on
the regions, broadcast to the vertices through the region mapping, local coupling (cs*L) @ V with L
rebuilt from the mesh triangles as 1/deg(i) on the 1-ring, G2D's dfun, Heun) and asserted to be equal to
TVB's Raw output bit for bit, for all 1000 steps.

Writes ../../Tests/Fixtures/tvb/surface/g2d_surface.json.bz2 (format: README.md in this folder).

Run: /opt/tvbvenv/bin/python tools/tvb_reference/surface.py [--timing] [--sensitivity]
(~10 s on 2 shared cores, --timing adds ~20 s; deterministic, a rerun rewrites the file byte for byte).
--timing also runs 1000 ms (10000 steps) of the same simulation (Raw monitor, samples discarded) and
prints TVB's wall time (configure() not timed) and the load average.
--sensitivity reruns with the initial history scaled by (1 + 1e-10) and prints the amplification.

surface_monitors.py runs the same simulation with EEG, MEG, SpatialAverage, GlobalAverage and TemporalAverage
monitors (importing load_conn, draw_initial, build and inputs_doc from here) and writes
g2d_surface_monitors.json.bz2.
"""
import bz2
import json
import logging
import os
import sys
import time
import warnings
import zipfile
from pathlib import Path

import numpy as np

warnings.filterwarnings("ignore")
for _name in ("tvb", "tvb.simulator", "tvb.basic", "tvb.datatypes"):
    logging.getLogger(_name).setLevel(logging.ERROR)
import tvb_data  # noqa: E402
from tvb.basic.neotraits.api import NArray  # noqa: E402
from tvb.datatypes import cortex  # noqa: E402
from tvb.simulator.lab import connectivity, coupling, integrators, models, monitors, simulator  # noqa: E402

for _name in ("tvb", "tvb.simulator", "tvb.basic", "tvb.datatypes", "tvb.simulator.simulator",
              "tvb.simulator.monitors", "tvb.datatypes.cortex", "tvb.simulator.history"):
    logging.getLogger(_name).setLevel(logging.ERROR)

OUT = Path(__file__).resolve().parent / ".." / ".." / "Tests" / "Fixtures" / "tvb" / "surface"
TVB_VERSION = "2.10.0"
TVB_DATA_VERSION = "3.0.0"
SPEED = 3.0
SEED = 7670
DT = 0.1
DURATION = 100.0
MODEL = "Generic2dOscillator"
VOIS = ("V", "W")
COUPLING = ("Linear", dict(a=0.0152))
# Cortex.coupling_strength. TVB's default is 1.0 (which a test could not tell from a missing factor); its
# demos and tests use 2**-10, which changes V by < 1.4e-3 within 100 ms here. 0.3 changes V by up to ~0.4
# (measured against 0), and is not a power of 2, so (cs * L_ij) * V_j and cs * (L_ij * V_j) differ in
# rounding: TVB scales the matrix first (cortex.py:175).
LOCAL_STRENGTH = 0.3
# Kept samples: every SAMPLE_STRIDE-th vertex at SAMPLE_STEPS; every vertex at FULL_STEPS.
SAMPLE_STRIDE = 32
SAMPLE_STEPS = [1, 2, 10, 100, 500, 1000]
FULL_STEPS = [1, 10]

# Files inside the tvb_data package folder (tvb_data/__init__.py's directory).
FILES = {
    "connectivity": "connectivity/connectivity_76.zip",
    "cortex": "surfaceData/cortex_16384.zip",
    "region_mapping": "regionMapping/regionMapping_16k_76.txt",
    "local_connectivity": "local_connectivity/local_connectivity_16384.mat",
}


def tvb_data_dir():
    return Path(tvb_data.__file__).resolve().parent


def model_param_names(cls):
    return sorted(n for n in cls.declarative_attrs if isinstance(getattr(cls, n, None), NArray))


def to_json_value(v):
    a = np.asarray(v).ravel().astype(np.float64)
    return float(a[0]) if a.size == 1 else [float(x) for x in a]


def load_conn():
    conn = connectivity.Connectivity.from_file("connectivity_76.zip")
    conn.speed = np.array([SPEED])
    conn.configure()
    return conn


def make_cortex(conn):
    # As TVB's own tests build it (tvb/tests/library/simulator/stimulation_test.py, regionmapping_test.py):
    # Cortex.from_file reads cortex_16384.zip (CorticalSurface) and regionMapping_16k_76.txt, and
    # LocalConnectivity.from_file reads the .mat ("LocalCoupling", converted to CSR).
    ctx = cortex.Cortex.from_file(source_file="cortex_16384.zip", region_mapping_file="regionMapping_16k_76.txt",
                                  local_connectivity_file="local_connectivity_16384.mat")
    ctx.region_mapping_data.connectivity = conn
    ctx.coupling_strength = np.array([LOCAL_STRENGTH])
    return ctx


def draw_initial(n_vertices, ranges, seed, perturb=0.0):
    """(nvar, n_vertices): per state variable in TVB's order, n_vertices uniform draws in its range."""
    rng = np.random.default_rng(seed)
    x = np.array([rng.uniform(lo, hi, size=n_vertices) for lo, hi in ranges])
    return x * (1.0 + perturb) if perturb else x


def g2d_initial(perturb=0.0):
    """The run's per-vertex initial state: (state variable names, their ranges, init of shape (2, 16384))."""
    m0 = models.Generic2dOscillator()
    m0.configure()
    svars = list(m0.state_variables)
    ranges = [(float(m0.state_variable_range[sv][0]), float(m0.state_variable_range[sv][1])) for sv in svars]
    return svars, ranges, draw_initial(16384, ranges, SEED, perturb)


def build(conn, init, horizon, mons=None, duration=DURATION, stimulus=None):
    model = models.Generic2dOscillator(variables_of_interest=VOIS)
    cname, cparams = COUPLING
    cpl = getattr(coupling, cname)(**{k: np.array([float(v)]) for k, v in cparams.items()})
    nvar, n = init.shape
    ic = np.empty((horizon, nvar, n, 1))
    ic[:] = init[None, :, :, None]
    sim = simulator.Simulator(model=model, connectivity=conn, coupling=cpl,
                              integrator=integrators.HeunDeterministic(dt=DT),
                              monitors=mons or (monitors.Raw(),), surface=make_cortex(conn),
                              initial_conditions=ic, simulation_length=duration, stimulus=stimulus)
    sim.configure()
    # A provided history of >= horizon samples sets current_step to (its length - 1) (history.py:128);
    # reset it as models.py does, so that the first step is step 1 (the history being constant, its
    # ring-buffer phase does not matter).
    assert sim.current_step == horizon - 1
    sim.current_step = 0
    return sim


class Replay:
    """Independent numpy implementation of TVB's surface step (docs/tvb-surface.md)."""

    def __init__(self, conn, triangles, rmap, init, params, a, b, cs):
        self.n = init.shape[1]
        self.rmap = rmap
        self.count = np.bincount(rmap).astype(np.float64)
        self.nreg = conn.number_of_regions
        self.hz = int(conn.horizon)
        # the non-zero weights in row-major order (row r, then its columns j ascending), float32
        w32 = conn.weights.astype(np.float32)
        self.nz_r, self.nz_j = np.nonzero(w32)
        self.nz_w = w32[self.nz_r, self.nz_j]
        self.nz_d = conn.idelays[self.nz_r, self.nz_j]
        self.seg = np.flatnonzero(np.diff(np.r_[-1, self.nz_r]))
        self.seg_rows = self.nz_r[self.seg]
        self.a, self.b = a, b
        self.p = params
        # L from the mesh: row i holds 1/deg(i) at the 1-ring neighbours j of i, columns ascending;
        # stored as a (n, maxdeg) table padded with index 0 / value 0 (padding adds +0.0 after the row).
        nb = [set() for _ in range(self.n)]
        for t in triangles:
            i, j, k = (int(v) for v in t)
            nb[i].update((j, k))
            nb[j].update((i, k))
            nb[k].update((i, j))
        maxdeg = max(len(s) for s in nb)
        self.nbr = np.zeros((self.n, maxdeg), dtype=np.int64)
        self.lval = np.zeros((self.n, maxdeg))
        for i, s in enumerate(nb):
            js = sorted(s)
            self.nbr[i, :len(js)] = js
            self.lval[i, :len(js)] = cs * (1.0 / len(js))
        self.deg = np.array([len(s) for s in nb])
        self.state = init.copy()
        self.hist = np.empty((self.hz, self.nreg), dtype=np.float32)
        self.hist[:] = self.region_mean(init[0]).astype(np.float32)[None, :]

    def region_mean(self, x):
        # sum over each region's vertices in vertex order (float64), then / number of vertices
        return np.bincount(self.rmap, weights=x, minlength=self.nreg) / self.count

    def long_range(self, step):
        # region r at step k: a * sum_j w_rj * h[(k - 1 - d_rj) mod horizon, j] + b over the non-zero w_rj:
        # float32 products, summed per row like numpy.add.reduceat (first term + pairwise sum of the
        # rest, float32; rows without weights 0), then a * float64(sum) + b
        delayed = self.hist[(step - 1 - self.nz_d) % self.hz, self.nz_j]
        gx = np.zeros(self.nreg, dtype=np.float32)
        gx[self.seg_rows] = np.add.reduceat(self.nz_w * delayed, self.seg)
        return self.a * gx.astype(np.float64) + self.b

    def local(self, v):
        # (cs * L) @ v, row by row, columns ascending, sequential float64 sum
        return np.cumsum(self.lval * v[self.nbr], axis=1)[:, -1]

    def dfun(self, x, c0):
        p = self.p
        v, w = x[0], x[1]
        lc0 = self.local(v)
        v2 = v * v
        dv = p["d"] * p["tau"] * (p["alpha"] * w - p["f"] * v2 * v + p["e"] * v2 + p["g"] * v
                                  + p["gamma"] * p["I"] + p["gamma"] * c0 + lc0)
        dw = p["d"] * (p["a"] + p["b"] * v + p["c"] * v2 - p["beta"] * w) / p["tau"]
        return np.array([dv, dw])

    def step(self, k):
        c0 = self.long_range(k)[self.rmap]
        x = self.state
        m1 = self.dfun(x, c0)
        inter = x + DT * (m1 + 0.0)
        x_next = x + (m1 + self.dfun(inter, c0)) * DT / 2.0 + DT * 0.0
        self.state = x_next
        self.hist[k % self.hz] = self.region_mean(x_next[0]).astype(np.float32)
        return x_next


def run(conn, perturb=0.0, replay=True):
    svars, ranges, init = g2d_initial(perturb)
    n_vertices = init.shape[1]
    conn.set_idelays(DT)
    horizon = int(conn.horizon)
    sim = build(conn, init, horizon)
    rmap = np.asarray(sim.surface.region_mapping)
    assert sim.number_of_nodes == n_vertices and rmap.shape == (n_vertices,)
    assert np.array_equal(sim.current_state[:, :, 0], init)
    assert sim.history.buffer.dtype == np.float32 and sim.history.buffer.shape == (horizon, 1, 76, 1)
    lc = sim.surface.local_connectivity.matrix
    pnames = model_param_names(models.Generic2dOscillator)
    params = {p: to_json_value(getattr(sim.model, p)) for p in pnames}
    a = float(sim.coupling.a[0])
    b = float(sim.coupling.b[0])
    rep = None
    if replay:
        rep = Replay(conn, sim.surface.triangles, rmap, init, params, a, b, LOCAL_STRENGTH)
        assert np.array_equal(rep.hist[0], sim.history.buffer[0, 0, :, 0])
        # The .mat as TVB loaded it is exactly 1/deg(i) on the mesh's 1-ring (checked entry by entry).
        lr = lc.tocsr()
        assert lr.has_sorted_indices and lr.nnz == int(rep.deg.sum())
        for i in range(n_vertices):
            js = lr.indices[lr.indptr[i]:lr.indptr[i + 1]]
            assert np.array_equal(js, rep.nbr[i, :rep.deg[i]])
            assert np.all(lr.data[lr.indptr[i]:lr.indptr[i + 1]] == 1.0 / rep.deg[i])

    n_steps = int(round(DURATION / DT))
    sample_idx = np.arange(0, n_vertices, SAMPLE_STRIDE)
    samples, full, times = {}, {}, []
    first = {}
    k = 0
    lo = init.min(axis=1)
    hi = init.max(axis=1)
    t0 = time.perf_counter()
    for (t, y), in sim(n_steps=np.int64(n_steps)):
        k += 1
        assert t == k * DT, (k, t)
        y = y[:, :, 0]
        assert y.shape == (2, n_vertices) and np.all(np.isfinite(y)), k
        if rep is not None:
            if k == 1:
                first["coupling"] = rep.long_range(1)
                first["local"] = rep.local(rep.state[0])
            r = rep.step(k)
            if not np.array_equal(r, y):
                d = np.abs(r - y).max()
                raise AssertionError(f"replay differs from TVB at step {k}: max |diff| {d:.3g}")
            assert np.array_equal(rep.hist[k % rep.hz], sim.history.buffer[k % horizon, 0, :, 0]), k
        lo = np.minimum(lo, y.min(axis=1))
        hi = np.maximum(hi, y.max(axis=1))
        if k in SAMPLE_STEPS:
            samples[k] = y[:, sample_idx].copy()
            times.append(float(t))
        if k in FULL_STEPS:
            full[k] = y.copy()
    elapsed = time.perf_counter() - t0
    assert k == n_steps
    return dict(sim=sim, init=init, svars=svars, ranges=ranges, horizon=horizon, params=params, a=a, b=b,
                samples=samples, full=full, times=times, first=first, lo=lo, hi=hi, elapsed=elapsed,
                sample_idx=sample_idx, rmap=rmap, lc=lc, n_steps=n_steps)


def zip_members(path):
    with zipfile.ZipFile(path) as z:
        return [dict(name=i.filename, size=i.file_size) for i in z.infolist()]


def inputs_doc(res, conn, files=None):
    """The fixture's inputs block (everything a test needs to rebuild the run), in the file's key order.
    res needs sim, lc, rmap, init, svars, ranges, params, a, b, horizon, n_steps (as run() returns them)."""
    svars = res["svars"]
    sim = res["sim"]
    lc = res["lc"]
    rmap = res["rmap"]
    init = res["init"]
    region_init = np.bincount(rmap, weights=init[0]) / np.bincount(rmap)
    return {
        "tvb": TVB_VERSION,
        "tvb_data": TVB_DATA_VERSION,
        "files": files or FILES,
        "cortex_members": zip_members(tvb_data_dir() / FILES["cortex"]),
        "speed": SPEED,
        "model": MODEL,
        "params": res["params"],
        "state_variables": svars,
        "state_variable_range": {sv: [lo, hi] for sv, (lo, hi) in zip(svars, res["ranges"])},
        "variables_of_interest": list(VOIS),
        "cvar": [int(i) for i in sim.model.cvar],
        "coupling": {"name": COUPLING[0], "params": {"a": res["a"], "b": res["b"]}},
        "local_connectivity": {
            "source": "LocalConnectivity.from_file('local_connectivity_16384.mat'): loadmat()['LocalCoupling'].tocsr()",
            "shape": [int(s) for s in lc.shape],
            "nnz": int(lc.nnz),
            "rule": "L[i][j] = 1.0/deg(i) for the deg(i) vertices j sharing a triangle edge with i (1-ring), else 0; "
                    "row sums 1, not symmetric",
            "coupling_strength": LOCAL_STRENGTH,
            "formula": "lc_0[i] = sum_j (coupling_strength*L[i][j]) * V[j], j ascending (scipy CSR matvec), "
                       "added inside G2D's dV/dt bracket; re-evaluated at both Heun stages",
        },
        "integrator": {"name": "HeunDeterministic", "dt": DT},
        "duration": DURATION,
        "n_steps": res["n_steps"],
        "horizon": res["horizon"],
        "number_of_vertices": int(init.shape[1]),
        "number_of_nodes": int(sim.number_of_nodes),
        "number_of_regions": int(conn.number_of_regions),
        "seed": SEED,
        "initial_draw": "numpy.random.default_rng(seed): rng.uniform(lo, hi, size=16384) for V then W "
                        "(state_variable_range); constant history for t <= 0",
        "initial": {sv: init[i].tolist() for i, sv in enumerate(svars)},
        "initial_region_mean_V": region_init.tolist(),
        "initial_region_history_V": region_init.astype(np.float32).astype(np.float64).tolist(),
    }


def make_doc(res, conn):
    svars = res["svars"]
    doc = inputs_doc(res, conn)
    doc.update({
        "first_step": {
            "long_range_coupling": res["first"]["coupling"].tolist(),
            "local_coupling_sampled": res["first"]["local"][res["sample_idx"]].tolist(),
        },
        "sample_vertices": {"start": 0, "stride": SAMPLE_STRIDE, "count": int(res["sample_idx"].size)},
        "steps": SAMPLE_STEPS,
        "times": res["times"],
        "samples": {sv: [res["samples"][k][i].tolist() for k in SAMPLE_STEPS] for i, sv in enumerate(svars)},
        "full_steps": FULL_STEPS,
        "full": {sv: [res["full"][k][i].tolist() for k in FULL_STEPS] for i, sv in enumerate(svars)},
        "notes": "State = the 16384 vertices only (connectivity_76 has no region without vertices, so no "
                 "non-cortical nodes are appended). Long-range: the vertex V is averaged per region (sum in vertex "
                 "order / vertex count, float64) into TVB's float32 region history; Linear coupling on the 76 "
                 "regions (float32 weights and history, a*sum + b in float64) is given to every vertex of the "
                 "region (coupling[:, region_mapping]) and held for the step. Local: "
                 "lc_0 = (coupling_strength * L) @ V, instantaneous. Raw's sample of step k is the state after k "
                 "Heun steps at t = k*dt. The script replays all 1000 steps with an independent numpy "
                 "implementation and asserts bit-for-bit equality.",
    })
    return doc


def dump(doc):
    lines = [f"{json.dumps(k)}:{json.dumps(v, separators=(',', ':'), allow_nan=False)}" for k, v in doc.items()]
    return "{\n" + ",\n".join(lines) + "\n}\n"


def timing(conn):
    """TVB's wall time for 1000 ms (10000 steps) of the same simulation, configure() not timed."""
    m0 = models.Generic2dOscillator()
    m0.configure()
    ranges = [(float(m0.state_variable_range[sv][0]), float(m0.state_variable_range[sv][1]))
              for sv in m0.state_variables]
    init = draw_initial(16384, ranges, SEED)
    conn.set_idelays(DT)
    t0 = time.perf_counter()
    sim = build(conn, init, int(conn.horizon))
    t_conf = time.perf_counter() - t0
    load0 = os.getloadavg()
    n = 0
    t0 = time.perf_counter()
    for _ in sim(n_steps=np.int64(10000)):
        n += 1
    wall = time.perf_counter() - t0
    load1 = os.getloadavg()
    assert n == 10000
    print(f"timing: configure {t_conf:.1f} s (not counted); 1000 ms = 10000 Heun steps, Raw monitor: "
          f"{wall:.1f} s wall ({wall / 10:.2f} ms per step); load average before {load0[0]:.2f}, "
          f"after {load1[0]:.2f} (1 min), {os.cpu_count()} CPUs")


def check_monitors(conn, n_steps=40):
    """The surface semantics of TemporalAverage, SpatialAverage, EEG and AfferentCoupling (docs/tvb-surface.md),
    checked against TVB on the first n_steps of the same simulation (nothing is written)."""
    m0 = models.Generic2dOscillator()
    m0.configure()
    ranges = [(float(m0.state_variable_range[sv][0]), float(m0.state_variable_range[sv][1]))
              for sv in m0.state_variables]
    init = draw_initial(16384, ranges, SEED)
    conn.set_idelays(DT)
    mons = (monitors.Raw(), monitors.TemporalAverage(period=1.0), monitors.SpatialAverage(period=1.0),
            monitors.EEG.from_file(period=1.0, obsnoise=None), monitors.AfferentCoupling())
    sim = build(conn, init, int(conn.horizon), mons)
    rmap = np.asarray(sim.surface.region_mapping)
    tavg, savg, eeg, aff = mons[1:]
    assert np.array_equal(savg.spatial_mask, rmap)
    gain = np.load(tvb_data_dir() / "projectionMatrix" / "projection_eeg_65_surface_16k.npy")
    gain[~np.isfinite(gain)] = 0.0
    assert eeg.gain.shape == (65, 16384) and np.array_equal(eeg.gain, gain)
    params = {p: to_json_value(getattr(sim.model, p)) for p in model_param_names(models.Generic2dOscillator)}
    rep = Replay(conn, sim.surface.triangles, rmap, init, params, float(sim.coupling.a[0]),
                 float(sim.coupling.b[0]), LOCAL_STRENGTH)
    raw, out = [], {1: [], 2: [], 3: []}
    worst = dict(tavg=0.0, savg=0.0, savg_vs_sum_over_count=0.0, eeg=0.0)
    for k, samples in enumerate(sim(n_steps=np.int64(n_steps)), start=1):
        t, y = samples[0]
        raw.append(y[:, :, 0])
        rep.step(k)
        c_next = rep.long_range(k + 1)
        ta, ya = samples[4]
        assert ta == k * DT and ya.shape == (1, 16384, 1) and np.array_equal(ya[0, :, 0], c_next[rmap]), k
        for i in (1, 2, 3):
            if samples[i] is not None:
                out[i].append((k, samples[i]))
    raw = np.array(raw)  # (steps, 2, 16384)
    for k, (t, x) in out[1]:  # TemporalAverage(1 ms): mean of the 10 Raw samples k-9..k, t = (k - 5)*dt
        assert t == (k - 10 / 2.0) * DT
        worst["tavg"] = max(worst["tavg"], float(np.abs(x[:, :, 0] - raw[k - 10:k].mean(axis=0)).max()))
    counts = np.bincount(rmap)
    for k, (t, x) in out[2]:  # SpatialAverage: dot(spatial_mean (76 x 16384, 1/count), state), t = k*dt
        assert t == k * DT and x.shape == (2, 76, 1)
        ref = np.array([np.bincount(rmap, weights=raw[k - 1][i]) / counts for i in range(2)])
        mean_mat = np.zeros((76, 16384))
        mean_mat[rmap, np.arange(16384)] = 1.0 / counts[rmap]
        worst["savg"] = max(worst["savg"], float(np.abs(x[:, :, 0] - raw[k - 1] @ mean_mat.T).max()))
        worst["savg_vs_sum_over_count"] = max(worst["savg_vs_sum_over_count"], float(np.abs(x[:, :, 0] - ref).max()))
    p = int(eeg.period / DT)
    for k, (t, x) in out[3]:  # EEG(1 ms): mean over the window of gain @ state (vertex lead field), no region step
        assert t == (k - p / 2.0) * DT and x.shape == (2, 65, 1)
        ref = np.mean([gain @ raw[j].T for j in range(k - p, k)], axis=0).T
        worst["eeg"] = max(worst["eeg"], float(np.abs(x[:, :, 0] - ref).max() / np.abs(ref).max()))
    assert worst["tavg"] < 1e-15 and worst["savg"] < 1e-14 and worst["eeg"] < 1e-13, worst
    return (f"monitors on the surface ({n_steps} steps): AfferentCoupling = region coupling[region_mapping] bit for bit; "
            f"TemporalAverage max |diff| {worst['tavg']:.2g}; SpatialAverage vs dot(1/count mask) {worst['savg']:.2g}, "
            f"vs sum/count {worst['savg_vs_sum_over_count']:.2g}; EEG (vertex gain) rel. {worst['eeg']:.2g}")


def main(argv):
    OUT.mkdir(parents=True, exist_ok=True)
    conn = load_conn()
    t0 = time.perf_counter()
    res = run(conn)
    doc = make_doc(res, conn)
    text = dump(doc)
    data = bz2.compress(text.encode(), 9)
    (OUT / "g2d_surface.json.bz2").write_bytes(data)
    print(f"g2d_surface: {len(data) / 1024:.0f} KB ({len(text) / 1024:.0f} KB raw); 1000 steps replayed bit for bit; "
          f"V in [{res['lo'][0]:.4g}, {res['hi'][0]:.4g}], W in [{res['lo'][1]:.4g}, {res['hi'][1]:.4g}]; "
          f"TVB loop 100 ms: {res['elapsed']:.1f} s (with the replay); total {time.perf_counter() - t0:.1f} s")
    lc1 = np.array(doc["first_step"]["local_coupling_sampled"])
    print(f"    first step: |local coupling| up to {np.abs(lc1).max():.3g} (sampled vertices), "
          f"long-range in [{min(doc['first_step']['long_range_coupling']):.3g}, "
          f"{max(doc['first_step']['long_range_coupling']):.3g}]")
    print("    " + check_monitors(conn))
    if "--sensitivity" in argv:
        pert = run(conn, perturb=1e-10, replay=False)
        for k in SAMPLE_STEPS:
            a = res["samples"][k]
            p = pert["samples"][k]
            r = max(float(np.abs(a[i] - p[i]).max() / np.abs(a[i]).max()) for i in range(a.shape[0]))
            print(f"    amplification of a 1e-10 relative IC perturbation at step {k}: {r / 1e-10:.3g}")
    if "--timing" in argv:
        timing(conn)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
