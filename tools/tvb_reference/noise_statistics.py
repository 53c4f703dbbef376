"""TVB 2.10's noise-driven statistics over 20 noise seeds, for Plexus's own (counter-based) noise.

Plexus reproduces TVB's numpy noise stream bit for bit (noise_stimuli.py); with its own generator
(Philox + Ziggurat, keyed by seed/step/region) the numbers differ run by run and only their statistics can
agree. This script runs TVB itself (tvb-library 2.10.0, tvb-data 3.0.0) on one experiment for 20 noise seeds
and stores, per seed, the statistics that Tests/PlexusTests/MassNoiseStatisticsTests.swift recomputes from 20
Plexus runs with its own noise, comparing the means across seeds.

The experiment (the same for every seed and both cases; noise_stimuli.py's set-up, 1000 ms):
  connectivity_76.zip (weights as read, speed 3 mm/ms), Generic2dOscillator at TVB's default parameters
  (a damped focus near 10 Hz, decay time ~45 ms), Linear coupling a = 0.0152 (b = 0), HeunStochastic
  dt = 0.1 ms, Additive noise nsig = [1e-3, 5e-4] (V, W), 1000 ms (10000 steps), a constant initial history
  drawn by numpy.random.default_rng(SEED) (76 uniform values per state variable within its
  state_variable_range, V then W) and passed to the Simulator constructor before its only configure() (so
  nothing but, for coloured noise, eta0 is drawn from the noise stream before the first step);
  sim.current_step reset to 0. Monitor: TemporalAverage(period=1.0) of V and W: sample k (k = 1..1000) is
  the mean of the states after steps 10k-9 .. 10k, stamped (10k - 5)*dt = k - 0.5 ms.
Cases:
  white     Additive(nsig=[1e-3, 5e-4], ntau=0,   noise_seed=s), s = 1..20
  coloured  Additive(nsig=[1e-3, 5e-4], ntau=2.0, noise_seed=s), s = 1..20
  plus one deterministic run (HeunDeterministic, same initial history): how much of each statistic the noise
  makes (stored under "deterministic"), and, with --power, a check that the comparison rejects a 10 % and a
  20 % larger nsig (printed, not stored).

Statistics (per state variable, on the samples with t > DISCARD = 100 ms: t = 100.5 .. 999.5, N = 900):
  mean        mean over regions and samples;
  variance    per region, the population variance over the samples (numpy var, ddof = 0), then the mean over
              regions;
  band_power  per region, x - mean(x) (its own time mean), the one-sided periodogram
              P_k = c_k |X_k|^2 / N^2, X = numpy.fft.rfft (no window), k = 0..N/2, c_k = 2 except c_0 = c_{N/2} = 1
              (so that sum_k P_k = the population variance: Parseval), summed over the bins of each band
              [lo, hi) (BAND_BINS, in bin indices; bin k is k/(N * 1 ms) = k * 1.111 Hz), then the mean over
              regions. Equivalently: density (V^2/Hz, scipy.signal.periodogram's, boxcar window, detrend
              'constant') times df = 1/(N * 1 ms), summed over the band. The bands tile bins 1..450 (1.1 - 500 Hz,
              Nyquist of the 1 ms sampling), so the 20 band powers add up to `variance`.

Writes ../../Tests/Fixtures/tvb/noise_statistics.json (format: README.md in this folder).

Run: /opt/tvbvenv/bin/python tools/tvb_reference/noise_statistics.py [--power]
(41 runs of 10000 steps, ~55 s on 2 shared cores, --power ~90 s more; deterministic: a rerun rewrites the file byte for byte).
"""
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
from tvb.basic.neotraits.api import NArray  # noqa: E402
from tvb.simulator.lab import connectivity, coupling, integrators, models, monitors, noise, simulator  # noqa: E402

for _name in ("tvb", "tvb.simulator", "tvb.basic", "tvb.datatypes"):
    logging.getLogger(_name).setLevel(logging.ERROR)

OUT = Path(__file__).resolve().parent / ".." / ".." / "Tests" / "Fixtures" / "tvb" / "noise_statistics.json"
TVB_VERSION = "2.10.0"
TVB_DATA_VERSION = "3.0.0"
MODEL = "Generic2dOscillator"
SPEED = 3.0
COUPLING_A = 0.0152
DT = 0.1
DURATION = 1000.0
PERIOD = 1.0          # TemporalAverage period (ms)
DISCARD = 100.0       # samples with t <= DISCARD are left out
SEED = 7720           # initial history: default_rng(SEED)
NSIG = [1e-3, 5e-4]
NOISE_SEEDS = list(range(1, 21))
CASES = {"white": 0.0, "coloured": 2.0}   # ntau (ms)
# Band edges in periodogram bins (N = 900 samples at 1 ms: bin k = k/0.9 Hz); 20 bands tiling 1..450.
BAND_EDGES = [1, 3, 5, 7, 9, 11, 13, 16, 20, 25, 32, 40, 50, 63, 80, 100, 130, 170, 230, 320, 451]


def to_json_value(v):
    a = np.asarray(v).ravel().astype(np.float64)
    return float(a[0]) if a.size == 1 else [float(x) for x in a]


def param_names(cls):
    return sorted(n for n in cls.declarative_attrs if isinstance(getattr(cls, n, None), NArray))


def load_conn():
    conn = connectivity.Connectivity.from_file("connectivity_76.zip")
    conn.speed = np.array([SPEED])
    conn.configure()
    return conn


def dump(doc):
    """One top-level key per line; floats as Python repr (shortest round-trip, full precision)."""
    lines = [f"{json.dumps(k)}:{json.dumps(v, separators=(',', ':'), allow_nan=False)}" for k, v in doc.items()]
    return "{\n" + ",\n".join(lines) + "\n}\n"


def initial_history(model, n):
    svars = list(model.state_variables)
    ranges = [(float(model.state_variable_range[sv][0]), float(model.state_variable_range[sv][1])) for sv in svars]
    rng = np.random.default_rng(SEED)
    return svars, ranges, np.array([rng.uniform(lo, hi, size=n) for lo, hi in ranges])


def run(conn, init, nsig=None, ntau=0.0, noise_seed=None):
    """One TVB run; returns (times, data (samples, 2, 76)) of the TemporalAverage monitor."""
    n = conn.number_of_regions
    model = models.Generic2dOscillator()
    model.variables_of_interest = tuple(model.state_variables)
    nvar = len(model.state_variables)
    conn.set_idelays(DT)
    horizon = int(conn.horizon)
    ic = np.zeros((horizon, nvar, n, 1))
    ic[:, :, :, 0] = init[None, :, :]
    if nsig is None:
        integ = integrators.HeunDeterministic(dt=DT)
    else:
        # noise_seed goes to the constructor (Noise.__init__ creates random_stream from it).
        integ = integrators.HeunStochastic(dt=DT, noise=noise.Additive(nsig=np.array(nsig), ntau=float(ntau),
                                                                         noise_seed=int(noise_seed)))
    sim = simulator.Simulator(model=model, connectivity=conn, coupling=coupling.Linear(a=np.array([COUPLING_A])),
                              integrator=integ, monitors=(monitors.TemporalAverage(period=PERIOD),),
                              simulation_length=DURATION, initial_conditions=ic)
    sim.configure()
    assert tuple(sim.good_history_shape) == ic.shape
    assert sim.current_step == horizon - 1, sim.current_step
    sim.current_step = 0
    (t, y), = sim.run()
    t = np.asarray(t, dtype=np.float64).ravel()
    y = np.asarray(y, dtype=np.float64)[:, :, :, 0]
    n_samples = int(round(DURATION / PERIOD))
    assert t.shape == (n_samples,) and y.shape == (n_samples, nvar, n), (t.shape, y.shape)
    assert np.allclose(t, np.arange(n_samples) * PERIOD + PERIOD / 2, rtol=0, atol=1e-9), t[:3]
    assert np.all(np.isfinite(y))
    return t, y, horizon


def statistics(t, y):
    """{"mean": [nvar], "variance": [nvar], "band_power": [nvar][bands]} of one run (see the docstring)."""
    keep = t > DISCARD
    x = y[keep]                                   # (N, nvar, n)
    N = x.shape[0]
    mean = x.mean(axis=(0, 2))
    var = x.var(axis=0).mean(axis=1)              # population variance per region, mean over regions
    d = x - x.mean(axis=0, keepdims=True)
    X = np.fft.rfft(d, axis=0)                    # (N/2+1, nvar, n)
    c = np.full(X.shape[0], 2.0)
    c[0] = 1.0
    if N % 2 == 0:
        c[-1] = 1.0
    P = c[:, None, None] * (X.real ** 2 + X.imag ** 2) / (N * N)   # sums to the population variance
    bands = np.array([P[lo:hi].sum(axis=0) for lo, hi in zip(BAND_EDGES[:-1], BAND_EDGES[1:])])  # (B, nvar, n)
    band = bands.mean(axis=2).T                   # (nvar, B)
    # Parseval: the bands tile bins 1..N/2 and bin 0 is 0 after removing the mean.
    assert np.allclose(band.sum(axis=1), var, rtol=1e-10, atol=0), (band.sum(axis=1), var)
    return {"mean": mean, "variance": var, "band_power": band, "samples": N}


def check_periodogram(t, y):
    """The band powers equal scipy.signal.periodogram's density times df, summed over the band."""
    try:
        from scipy.signal import periodogram
    except ImportError:
        return "scipy missing: periodogram cross-check skipped"
    keep = t > DISCARD
    x = y[keep]
    f, p = periodogram(x, fs=1000.0 / PERIOD, window="boxcar", detrend="constant", scaling="density", axis=0)
    df = f[1] - f[0]
    band = np.array([(p[lo:hi] * df).sum(axis=0) for lo, hi in zip(BAND_EDGES[:-1], BAND_EDGES[1:])]).mean(axis=2).T
    mine = statistics(t, y)["band_power"]
    err = float(np.abs(band / mine - 1).max())
    assert err < 1e-10, err
    return f"scipy.signal.periodogram cross-check: max relative difference {err:.1e}"


def summary(per_seed):
    a = np.asarray(per_seed, dtype=np.float64)
    return a.mean(axis=0), a.std(axis=0, ddof=1) / np.sqrt(a.shape[0])


def collect(stats, svars):
    """Per statistic, per state variable, the list over seeds (band_power: a list of bands per seed)."""
    return {
        "mean": {sv: [float(s["mean"][v]) for s in stats] for v, sv in enumerate(svars)},
        "variance": {sv: [float(s["variance"][v]) for s in stats] for v, sv in enumerate(svars)},
        "band_power": {sv: [[float(b) for b in s["band_power"][v]] for s in stats] for v, sv in enumerate(svars)},
    }


def flat(doc_stats, svars):
    """[(name, per-seed array)] over every statistic: mean_V, ..., band_W_19."""
    out = []
    for sv in svars:
        out.append((f"mean {sv}", np.array(doc_stats["mean"][sv])))
        out.append((f"variance {sv}", np.array(doc_stats["variance"][sv])))
        bp = np.array(doc_stats["band_power"][sv])
        for b in range(bp.shape[1]):
            out.append((f"band {b} {sv}", bp[:, b]))
    return out


def compare(a, b, svars, k=4.0):
    """Statistics where |mean_a - mean_b| > k * sqrt(se_a^2 + se_b^2) (the Swift test's criterion)."""
    fails = []
    for (name, x), (_, y) in zip(flat(a, svars), flat(b, svars)):
        ma, sa = summary(x)
        mb, sb = summary(y)
        z = abs(ma - mb) / np.hypot(sa, sb)
        if z > k:
            fails.append(f"{name} ({z:.1f} se)")
    return fails


def main(argv):
    power = "--power" in argv
    total = time.perf_counter()
    conn = load_conn()
    n = conn.number_of_regions
    model = models.Generic2dOscillator()
    svars, ranges, init = initial_history(model, n)

    t0 = time.perf_counter()
    t, y, horizon = run(conn, init)
    det = statistics(t, y)
    print(f"deterministic: {time.perf_counter() - t0:.1f} s")

    cases = {}
    note = ""
    timings = {}
    for case, ntau in CASES.items():
        t0 = time.perf_counter()
        stats = []
        for s in NOISE_SEEDS:
            t, y, _ = run(conn, init, NSIG, ntau, s)
            stats.append(statistics(t, y))
            if case == "white" and s == NOISE_SEEDS[0]:
                note = check_periodogram(t, y)
        timings[case] = time.perf_counter() - t0
        per_seed = collect(stats, svars)
        cases[case] = {
            "noise": {"type": "Additive", "nsig": [float(v) for v in NSIG], "ntau": float(ntau),
                      "noise_seeds": NOISE_SEEDS},
            "per_seed": per_seed,
        }
        print(f"{case} (ntau {ntau:g}): {len(NOISE_SEEDS)} seeds in {timings[case]:.1f} s")
        for sv_i, sv in enumerate(svars):
            for stat in ("mean", "variance"):
                m, se = summary(per_seed[stat][sv])
                d = det[stat][sv_i]
                share = "" if stat == "mean" else f", deterministic run {d:.4g} ({d / m:.1%})"
                print(f"  {stat} {sv}: {m:.6g} +- {se:.2g} (se; {se / abs(m):.2%}){share}")
            m, se = summary(per_seed["band_power"][sv])
            print(f"  band power {sv} (relative se %): " + " ".join(f"{100 * e / v:.1f}" for v, e in zip(m, se)))
            print(f"  band power {sv} deterministic/noisy (%): "
                  + " ".join(f"{100 * d / v:.2g}" for d, v in zip(det["band_power"][sv_i], m)))
    print(note)

    if power:
        for factor in (1.1, 1.2):
            t0 = time.perf_counter()
            stats = [statistics(*run(conn, init, [factor * v for v in NSIG], 0.0, 1000 + s)[:2]) for s in NOISE_SEEDS]
            fails = compare(collect(stats, svars), cases["white"]["per_seed"], svars)
            print(f"--power: white noise with nsig x {factor} (noise seeds 1001..1020) against the fixture: "
                  f"{len(fails)} of {2 * (2 + len(BAND_EDGES) - 1)} statistics beyond 4 se: {', '.join(fails[:8])}"
                  f"{' ...' if len(fails) > 8 else ''} ({time.perf_counter() - t0:.1f} s)")
        # A null check: 20 other TVB seeds against the fixture.
        stats = [statistics(*run(conn, init, NSIG, 0.0, 2000 + s)[:2]) for s in NOISE_SEEDS]
        fails = compare(collect(stats, svars), cases["white"]["per_seed"], svars)
        print(f"--power: white noise, nsig as stored, noise seeds 2001..2020 against the fixture: "
              f"{len(fails)} statistics beyond 4 se {fails}")

    N = det["samples"]
    df = 1000.0 / (N * PERIOD)
    doc = {
        "tvb": TVB_VERSION,
        "tvb_data": TVB_DATA_VERSION,
        "connectivity": "connectivity_76.zip",
        "speed": SPEED,
        "model": MODEL,
        "params": {p: to_json_value(getattr(models.Generic2dOscillator(), p)) for p in
                   param_names(models.Generic2dOscillator)},
        "coupling": {"name": "Linear", "params": {"a": COUPLING_A, "b": 0.0}},
        "cvar": [0],
        "integrator": {"name": "HeunStochastic", "dt": DT},
        "duration": DURATION,
        "n_steps": int(round(DURATION / DT)),
        "horizon": horizon,
        "seed": SEED,
        "state_variables": svars,
        "state_variable_range": {sv: [lo, hi] for sv, (lo, hi) in zip(svars, ranges)},
        "initial": {sv: init[i].tolist() for i, sv in enumerate(svars)},
        "monitor": {"name": "TemporalAverage", "period": PERIOD, "variables": svars,
                    "times": "sample k = 1..1000: mean of the states after steps 10k-9..10k, at t = (10k - 5)*dt = k - 0.5 ms"},
        "analysis": {
            "discard": DISCARD,
            "samples": N,
            "sample_interval": PERIOD,
            "window": "the TemporalAverage samples with t > discard: t = 100.5 .. 999.5 ms",
            "mean": "mean over regions and samples",
            "variance": "per region the population variance over the samples (ddof 0), then the mean over regions",
            "band_power": "per region x - mean(x), P_k = c_k |rfft(x - mean)_k|^2 / N^2 (no window; c_k = 2, "
                          "c_0 = c_{N/2} = 1), summed over the bins k of each band [lo, hi), then the mean over "
                          "regions; the bands tile bins 1..N/2, so they add up to the variance",
            "bin_hz": df,
            "band_bins": [[lo, hi] for lo, hi in zip(BAND_EDGES[:-1], BAND_EDGES[1:])],
            "band_hz": [[lo * df, (hi - 1) * df] for lo, hi in zip(BAND_EDGES[:-1], BAND_EDGES[1:])],
            "criterion": "for every statistic, |mean_plexus - mean_tvb| <= 4 sqrt(se_plexus^2 + se_tvb^2), "
                         "se = std over the 20 seeds (ddof 1) / sqrt(20)",
        },
        "cases": cases,
        "deterministic": {"integrator": {"name": "HeunDeterministic", "dt": DT},
                          "stats": {"mean": {sv: float(det["mean"][v]) for v, sv in enumerate(svars)},
                                    "variance": {sv: float(det["variance"][v]) for v, sv in enumerate(svars)},
                                    "band_power": {sv: [float(b) for b in det["band_power"][v]]
                                                   for v, sv in enumerate(svars)}}},
        "notes": "per_seed.<statistic>.<variable>[s] is TVB's value with noise_seed = noise_seeds[s] "
                 "(band_power: a list of 20 bands per seed). TVB keeps the history (coupling variables) in "
                 "float32. 'deterministic' is one HeunDeterministic run from the same initial history: the "
                 "part of each statistic that the noise does not make. Coloured noise (ntau > 0) follows TVB's "
                 "recursion: eta0 ~ N(0,1) in configure(), eta <- eta E + sqrt(1 - E^2) z, dW = dt sqrt(1/ntau) eta.",
    }
    text = dump(doc)
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(text)
    print(f"wrote {OUT.resolve()} ({len(text) / 1024:.0f} KB); total {time.perf_counter() - total:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
