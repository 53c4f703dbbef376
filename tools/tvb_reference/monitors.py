"""TVB 2.10's monitors beyond Raw/SubSample/TemporalAverage/Bold, on a region simulation, as a test fixture.

One deterministic TVB 2.10 run (tvb-library 2.10.0, tvb-data 3.0.0):
  * tvb-data's connectivity_76.zip (weights as read, speed 3 mm/ms set on the connectivity),
  * Generic2dOscillator with the non-default parameters of models.py's G2D case, its
    variables_of_interest set to ("V", "W") so that every monitor sees both state variables,
  * Linear coupling a=0.0152, b=0.01 (both non-default, so AfferentCoupling shows a*sum + b),
  * HeunDeterministic(dt=0.1), 100 ms (1000 steps),
  * a constant initial history drawn with numpy.random.default_rng(SEED) uniformly within each state
    variable's state_variable_range (V then W, 76 draws each), set as sim.initial_conditions; after
    re-configuring, sim.current_step is reset to 0 (as models.py), so the first step is step 1,
  * the monitors of MONITORS below, all with observation noise off (obsnoise=None; TVB's default is an
    Additive noise ON, see docs/tvb-monitors.md):
      Raw, EEG (EEG.from_file() defaults: 65 channels, default period 1e3/1024 ms), EEG with the average
      reference (period 2 ms, VOI V only), MEG (MEG.from_file() defaults: 276 channels, period 2 ms),
      iEEG (seeg_588.txt contacts; tvb-data 3.0.0 has no SEEG projection for the 16k surface, so TVB uses
      its analytic point-dipole gain at the region centres; period 2 ms, VOI V only), SpatialAverage with
      the default mask (cortical: one area on connectivity_76), SpatialAverage with the hemispheres mask
      (period 2 ms), GlobalAverage, AfferentCoupling, AfferentCouplingTemporalAverage (period 1 ms: its default period is Raw's 0.0,
      which fails).

The script also re-derives every monitor's output from the full Raw record with the numpy formulas of
docs/tvb-monitors.md and asserts they agree (prints the largest differences).

Writes ../../Tests/Fixtures/tvb/monitors/g2d_monitors.json.bz2 (format: README.md in this folder).

Run: /opt/tvbvenv/bin/python tools/tvb_reference/monitors.py   (~5 s; deterministic, a rerun rewrites the
file byte for byte).
"""
import bz2
import json
import logging
import sys
import time
import warnings
from pathlib import Path

import numpy as np

warnings.filterwarnings("ignore")
for _name in ("tvb", "tvb.simulator", "tvb.basic", "tvb.datatypes"):
    logging.getLogger(_name).setLevel(logging.ERROR)
from tvb.datatypes.region_mapping import RegionMapping  # noqa: E402
from tvb.datatypes.sensors import SensorsInternal  # noqa: E402
from tvb.simulator.lab import connectivity, coupling, integrators, models, monitors, simulator  # noqa: E402

for _name in ("tvb", "tvb.simulator", "tvb.basic", "tvb.datatypes"):
    logging.getLogger(_name).setLevel(logging.ERROR)

OUT = Path(__file__).resolve().parent / ".." / ".." / "Tests" / "Fixtures" / "tvb" / "monitors"
TVB_VERSION = "2.10.0"
TVB_DATA_VERSION = "3.0.0"
SPEED = 3.0
SEED = 7650
DT = 0.1
DURATION = 100.0
MODEL = "Generic2dOscillator"
PARAMS = dict(a=-1.8, b=-11.0, d=0.022, tau=1.1)
VOIS = ("V", "W")
COUPLING = ("Linear", dict(a=0.0152, b=0.01))
# Raw and AfferentCoupling (one sample per step) are kept for steps 1..RAW_FIRST (every step: enough to
# recompute the first windows of every averaging monitor) and then every RAW_EVERY steps.
RAW_FIRST = 200
RAW_EVERY = 10
# iEEG gain rows stored (588 x 76 is too large; the rest follows from the analytic formula).
IEEG_GAIN_ROWS = [0, 98, 196, 294, 392, 490, 587]

# Files inside the tvb_data package folder (tvb_data/__init__.py's directory).
FILES = {
    "connectivity": "connectivity/connectivity_76.zip",
    "region_mapping": "regionMapping/regionMapping_16k_76.txt",
    "eeg_sensors": "sensors/eeg_brainstorm_65.txt",
    "eeg_projection": "projectionMatrix/projection_eeg_65_surface_16k.npy",
    "meg_sensors": "sensors/meg_brainstorm_276.txt",
    "meg_projection": "projectionMatrix/projection_meg_276_surface_16k.npy",
    "seeg_sensors": "sensors/seeg_588.txt",
}


def tvb_data_dir():
    import tvb_data
    return Path(tvb_data.__file__).resolve().parent


def base(path):
    return path.split("/")[-1]


def make_monitors():
    """(key, monitor, description) in the simulator's order."""
    rm = lambda: RegionMapping.from_file(base(FILES["region_mapping"]))  # noqa: E731
    return [
        ("Raw", monitors.Raw(), "all model variables_of_interest (V, W), every step"),
        ("EEG", monitors.EEG.from_file(obsnoise=None),
         "EEG.from_file() defaults (eeg_brainstorm_65.txt, projection_eeg_65_surface_16k.npy, "
         "regionMapping_16k_76.txt, period 1e3/1024 ms), no reference, obsnoise=None"),
        ("EEG_average_reference", monitors.EEG.from_file(period=2.0, reference="average",
                                                         variables_of_interest=np.array([0]), obsnoise=None),
         "EEG.from_file(period=2.0, reference='average', variables_of_interest=[0], obsnoise=None)"),
        ("MEG", monitors.MEG.from_file(period=2.0, obsnoise=None),
         "MEG.from_file(period=2.0, obsnoise=None): meg_brainstorm_276.txt, projection_meg_276_surface_16k.npy, "
         "regionMapping_16k_76.txt"),
        ("iEEG", monitors.iEEG(sensors=SensorsInternal.from_file(base(FILES["seeg_sensors"])), region_mapping=rm(),
                               period=2.0, variables_of_interest=np.array([0]), obsnoise=None),
         "iEEG(sensors=seeg_588.txt, region_mapping=regionMapping_16k_76.txt, period=2.0, "
         "variables_of_interest=[0], obsnoise=None), no projection (tvb-data 3.0.0 has no "
         "projection_seeg_588_surface_16k.npy): TVB's analytic gain at connectivity centres/orientations, sigma=1"),
        ("SpatialAverage", monitors.SpatialAverage(),
         "SpatialAverage() defaults: default_mask cortical (all 76 regions cortical -> one area), period 0.9765625"),
        ("SpatialAverage_hemispheres", monitors.SpatialAverage(default_mask=monitors.DefaultMasks.HEMISPHERES,
                                                               period=2.0),
         "SpatialAverage(default_mask=hemispheres, period=2.0): area 0 = hemispheres False (left, regions "
         "38-75), area 1 = True (right, regions 0-37)"),
        ("GlobalAverage", monitors.GlobalAverage(), "GlobalAverage() defaults (period 0.9765625)"),
        ("AfferentCoupling", monitors.AfferentCoupling(), "AfferentCoupling() defaults (all cvars, every step)"),
        ("AfferentCouplingTemporalAverage", monitors.AfferentCouplingTemporalAverage(period=1.0),
         "AfferentCouplingTemporalAverage(period=1.0) (all cvars; its default period is Raw's 0.0, which "
         "fails with ZeroDivisionError)"),
    ]


def draw_initial(rng, ranges, n):
    return np.array([rng.uniform(lo, hi, size=n) for lo, hi in ranges])


def sarvas_point_dipole(sensor_locations, loc, ori, sigma=1.0):
    """iEEG.analytic re-implemented (monitors.py:813-825): V = Q.(r - r0) / |r - r0|^3 / (4 pi sigma)."""
    a = sensor_locations[:, None, :] - loc[None, :, :]
    na = np.sqrt(np.sum(a ** 2, axis=2))[:, :, None]
    return np.sum(ori[None, :, :] * (a / na ** 3), axis=2) / (4.0 * np.pi * sigma)


def rel(a, b):
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    return float(np.abs(a - b).max() / max(np.abs(b).max(), 1e-300))


def main():
    t_start = time.perf_counter()
    data_dir = tvb_data_dir()
    for f in FILES.values():
        assert (data_dir / f).is_file(), f

    conn = connectivity.Connectivity.from_file(base(FILES["connectivity"]))
    conn.speed = np.array([SPEED])
    conn.configure()
    nreg = conn.number_of_regions

    cls = getattr(models, MODEL)
    model = cls(**{k: np.array([v]) for k, v in PARAMS.items()})
    model.variables_of_interest = VOIS
    m_rec = cls(**{k: np.array([v]) for k, v in PARAMS.items()})
    m_rec.configure()
    defaults = cls()
    pnames = sorted(n for n in cls.declarative_attrs
                    if type(getattr(cls, n, None)).__name__ == "NArray")
    params = {p: float(np.asarray(getattr(m_rec, p)).ravel()[0]) for p in pnames}
    changed = {p: {"default": float(np.asarray(getattr(defaults, p)).ravel()[0]), "value": params[p]}
               for p in PARAMS}
    svars = list(m_rec.state_variables)
    ranges = [(float(m_rec.state_variable_range[sv][0]), float(m_rec.state_variable_range[sv][1])) for sv in svars]

    cname, cparams = COUPLING
    cpl = getattr(coupling, cname)(**{k: np.array([v]) for k, v in cparams.items()})
    cpl_rec = {k: float(np.asarray(getattr(cpl, k)).ravel()[0]) for k in ("a", "b")}

    rng = np.random.default_rng(SEED)
    init = draw_initial(rng, ranges, nreg)  # (nvar, 76)

    mons = make_monitors()
    sim = simulator.Simulator(model=model, connectivity=conn, coupling=cpl,
                              integrator=integrators.HeunDeterministic(dt=DT),
                              monitors=tuple(m for _, m, _ in mons), simulation_length=DURATION)
    sim.configure()
    ic = np.zeros(sim.good_history_shape)
    assert ic.shape[1:] == (len(svars), nreg, 1), ic.shape
    ic[:, :, :, 0] = init[None, :, :]
    sim.initial_conditions = ic
    sim.configure()
    horizon = int(sim.good_history_shape[0])
    sim.current_step = 0

    n_steps = int(round(DURATION / DT))
    rec = {key: {"steps": [], "times": [], "data": []} for key, _, _ in mons}
    k = 0
    for out in sim(n_steps=np.int64(n_steps)):
        k += 1
        assert len(out) == len(mons)
        for (key, _, _), o in zip(mons, out):
            if o is None:
                continue
            t, y = o
            assert np.all(np.isfinite(y)), (key, k)
            rec[key]["steps"].append(k)
            rec[key]["times"].append(float(t))
            rec[key]["data"].append(np.array(y, dtype=np.float64))
    assert k == n_steps
    for key in rec:
        rec[key]["data"] = np.array(rec[key]["data"])
    mon = {key: m for key, m, _ in mons}

    # ---- re-derive every monitor from the full Raw record (docs/tvb-monitors.md's formulas) ----
    raw = rec["Raw"]["data"]  # (1000, nvoi, 76, 1): model.observe(state) after step k
    assert rec["Raw"]["steps"] == list(range(1, n_steps + 1))
    assert all(t == s * DT for t, s in zip(rec["Raw"]["times"], rec["Raw"]["steps"]))
    obs = np.concatenate([np.zeros((1,) + raw.shape[1:]), raw])  # obs[k] = observed after step k (k >= 1)
    checks = {}
    rmap = RegionMapping.from_file(base(FILES["region_mapping"])).array_data

    def check_projection(key, gain, ref_average=False):
        m = mon[key]
        p = int(m.period / DT)
        assert p == m._period_in_steps
        steps = rec[key]["steps"]
        assert steps == list(range(p, n_steps + 1, p)), key
        assert rec[key]["times"] == [(s - p / 2.0) * DT for s in steps], key
        exp = []
        for s in steps:
            acc = np.zeros((gain.shape[0], len(m.voi)))
            for j in range(s - p + 1, s + 1):
                acc += gain.dot(obs[j][m.voi].sum(axis=-1).T)
            smp = (acc / p).T  # (voi, sensors)
            if ref_average:
                smp = smp - smp.mean(axis=1, keepdims=True)
            exp.append(smp)
        exp = np.array(exp)[..., None]
        assert rec[key]["data"].shape == exp.shape, (key, rec[key]["data"].shape, exp.shape)
        checks[key] = rel(rec[key]["data"], exp)

    for key, proj in (("EEG", "eeg_projection"), ("MEG", "meg_projection")):
        P = np.load(data_dir / FILES[proj])
        g = np.zeros((P.shape[0], nreg))
        np.add.at(g.T, rmap, P.T)  # sum over each region's vertices
        g[~np.isfinite(g)] = 0.0
        assert np.array_equal(g, mon[key].gain), key
        checks[key + " gain (add.at over vertices, NaN->0)"] = 0.0
    assert np.array_equal(mon["EEG"].gain, mon["EEG_average_reference"].gain)
    g_ieeg = sarvas_point_dipole(mon["iEEG"].sensors.locations, conn.centres, conn.orientations)
    checks["iEEG gain (point dipole at centres)"] = rel(mon["iEEG"].gain, g_ieeg)
    check_projection("EEG", mon["EEG"].gain)
    check_projection("EEG_average_reference", mon["EEG"].gain, ref_average=True)
    check_projection("MEG", mon["MEG"].gain)
    check_projection("iEEG", mon["iEEG"].gain)

    def check_sampled(key, fn):
        m = mon[key]
        steps = rec[key]["steps"]
        assert steps == list(range(m.istep, n_steps + 1, m.istep)), key
        assert rec[key]["times"] == [s * DT for s in steps], key
        exp = np.array([fn(obs[s][m.voi]) for s in steps])
        assert rec[key]["data"].shape == exp.shape, (key, rec[key]["data"].shape, exp.shape)
        checks[key] = rel(rec[key]["data"], exp)

    def spatial_mean_of(mask):
        n_areas = mask.max() + 1
        w = np.zeros((n_areas, nreg))
        w[mask, np.arange(nreg)] = 1.0
        return w / w.sum(axis=1, keepdims=True)

    mask_c = np.zeros(nreg, dtype=int)
    mask_h = conn.hemispheres.astype(int)
    assert np.array_equal(mon["SpatialAverage"].spatial_mask, mask_c)
    assert np.array_equal(mon["SpatialAverage_hemispheres"].spatial_mask, mask_h)
    check_sampled("SpatialAverage", lambda x: np.einsum("an,vnm->vam", spatial_mean_of(mask_c), x))
    check_sampled("SpatialAverage_hemispheres", lambda x: np.einsum("an,vnm->vam", spatial_mean_of(mask_h), x))
    check_sampled("GlobalAverage", lambda x: x.mean(axis=1)[:, None, :])

    # AfferentCoupling at step k: a * sum_j W_ij V_j(k - d_ij) + b, V from TVB's float32 history, V_j(t <= 0) =
    # the initial history; i.e. the coupling that drives step k+1.
    W = conn.weights.astype(np.float32).astype(np.float64)
    D = conn.idelays
    V32 = np.concatenate([np.repeat(init[None, 0, :], horizon, axis=0), raw[:, 0, :, 0]]).astype(np.float32)
    off = horizon - 1  # V32[off + k] = V after step k (k >= 0; k <= 0: initial)
    cols = np.arange(nreg)[None, :]
    ac_steps = rec["AfferentCoupling"]["steps"]
    assert ac_steps == list(range(1, n_steps + 1))
    assert rec["AfferentCoupling"]["times"] == [s * DT for s in ac_steps]
    c_exp = np.array([cpl_rec["a"] * np.sum(W * V32[off + s - D, cols], axis=1) + cpl_rec["b"] for s in ac_steps])
    ac = rec["AfferentCoupling"]["data"][:, 0, :, 0]
    checks["AfferentCoupling (float32 history)"] = rel(ac, c_exp)
    assert checks["AfferentCoupling (float32 history)"] < 1e-6
    m = mon["AfferentCouplingTemporalAverage"]
    ta_steps = rec["AfferentCouplingTemporalAverage"]["steps"]
    assert ta_steps == list(range(m.istep, n_steps + 1, m.istep))
    assert rec["AfferentCouplingTemporalAverage"]["times"] == [(s - m.istep / 2.0) * DT for s in ta_steps]
    ta_exp = np.array([rec["AfferentCoupling"]["data"][s - m.istep:s].mean(axis=0) for s in ta_steps])
    checks["AfferentCouplingTemporalAverage"] = rel(rec["AfferentCouplingTemporalAverage"]["data"], ta_exp)
    for name, v in checks.items():
        print(f"  check {name:45s} max |TVB - formula| / max |TVB| = {v:.3g}")
        assert v < 1e-12 or name.startswith("AfferentCoupling ("), name

    # ---- the fixture ----
    keep = sorted(set(range(1, RAW_FIRST + 1)) | set(range(RAW_EVERY, n_steps + 1, RAW_EVERY)))

    def block(key, desc, kept=None, extra=None):
        r = rec[key]
        m = mon[key]
        idx = list(range(len(r["steps"]))) if kept is None else [r["steps"].index(s) for s in kept]
        d = r["data"][idx]
        assert d.shape[-1] == 1  # one mode
        b = {"class": type(m).__name__, "construction": desc, "period": float(m.period),
             "voi": [int(i) for i in m.voi], "shape": [int(x) for x in r["data"].shape],
             "n_samples": len(r["steps"])}
        b.update(extra or {})
        b["steps"] = [r["steps"][i] for i in idx]
        b["times"] = [r["times"][i] for i in idx]
        b["data"] = d[..., 0].tolist()  # (kept samples, voi, channels/areas/regions)
        return b

    descs = {key: desc for key, _, desc in mons}
    doc = {
        "tvb": TVB_VERSION,
        "tvb_data": TVB_DATA_VERSION,
        "files": FILES,
        "connectivity": base(FILES["connectivity"]),
        "speed": SPEED,
        "model": MODEL,
        "params": params,
        "changed": changed,
        "variables_of_interest": list(VOIS),
        "state_variables": svars,
        "state_variable_range": {sv: [lo, hi] for sv, (lo, hi) in zip(svars, ranges)},
        "cvar": [int(i) for i in m_rec.cvar],
        "coupling": {"name": cname, "params": cpl_rec},
        "integrator": {"name": "HeunDeterministic", "dt": DT},
        "duration": DURATION,
        "n_steps": n_steps,
        "horizon": horizon,
        "seed": SEED,
        "initial": {sv: init[i].tolist() for i, sv in enumerate(svars)},
        "monitors": [key for key, _, _ in mons],
        "Raw": block("Raw", descs["Raw"], kept=keep),
        "AfferentCoupling": block("AfferentCoupling", descs["AfferentCoupling"], kept=keep),
        "AfferentCouplingTemporalAverage": block("AfferentCouplingTemporalAverage",
                                                 descs["AfferentCouplingTemporalAverage"],
                                                 extra={"istep": int(mon["AfferentCouplingTemporalAverage"].istep)}),
        "SpatialAverage": block("SpatialAverage", descs["SpatialAverage"],
                                extra={"istep": int(mon["SpatialAverage"].istep),
                                       "spatial_mask": mon["SpatialAverage"].spatial_mask.tolist()}),
        "SpatialAverage_hemispheres": block("SpatialAverage_hemispheres", descs["SpatialAverage_hemispheres"],
                                            extra={"istep": int(mon["SpatialAverage_hemispheres"].istep),
                                                   "spatial_mask":
                                                       mon["SpatialAverage_hemispheres"].spatial_mask.tolist()}),
        "GlobalAverage": block("GlobalAverage", descs["GlobalAverage"],
                               extra={"istep": int(mon["GlobalAverage"].istep)}),
    }
    for key in ("EEG", "EEG_average_reference", "MEG", "iEEG"):
        m = mon[key]
        extra = {"period_in_steps": int(m._period_in_steps), "istep": int(m.istep),
                 "reference": getattr(m, "reference", None), "obsnoise": None,
                 "sensors": m.sensors.labels.tolist(),
                 "zeroed_sensors": [int(i) for i in np.where(~(m.gain != 0).any(axis=1))[0]]}
        if key in ("EEG", "MEG"):
            extra["gain"] = m.gain.tolist()
        elif key == "iEEG":
            extra["sigma"] = float(m.sigma)
            extra["gain_rows"] = {"rows": IEEG_GAIN_ROWS, "gain": m.gain[IEEG_GAIN_ROWS].tolist()}
        doc[key] = block(key, descs[key], extra=extra)
    doc["notes"] = (
        "Raw and AfferentCoupling keep steps 1..%d and then every %d steps (their n_samples is the full count). "
        "Projection samples average gain.dot(observed) over the period_in_steps = int(period/dt) steps "
        "ending at the sample's step, time (step - period_in_steps/2)*dt; SpatialAverage, GlobalAverage sample "
        "every istep = iround(period/dt) steps at step*dt; AfferentCoupling at step k holds the coupling "
        "computed after step k (the one that drives step k+1). data: (samples, voi, channels) with TVB's mode "
        "axis (size 1) dropped. See docs/tvb-monitors.md." % (RAW_FIRST, RAW_EVERY))

    OUT.mkdir(parents=True, exist_ok=True)
    path = OUT / "g2d_monitors.json.bz2"
    text = dump(doc)
    blob = bz2.compress(text.encode(), 9)
    path.write_bytes(blob)
    print(f"{path.name}: {len(text) / 1024:.0f} KB json, {len(blob) / 1024:.0f} KB bz2, "
          f"{time.perf_counter() - t_start:.1f} s")
    for key in doc["monitors"]:
        b = doc[key]
        print(f"  {key:32s} shape {b['shape']}, kept {len(b['steps'])}, first t {b['times'][0]!r}, "
              f"max |x| {np.abs(np.array(b['data'])).max():.4g}")
    return 0


def dump(doc):
    """One top-level key per line; floats as Python repr (shortest round-trip, full precision)."""
    lines = [f"{json.dumps(k)}:{json.dumps(v, separators=(',', ':'), allow_nan=False)}" for k, v in doc.items()]
    return "{\n" + ",\n".join(lines) + "\n}\n"


if __name__ == "__main__":
    sys.exit(main())
