"""TVB 2.10's own runs with noise (additive, multiplicative, coloured) and region stimuli, as test fixtures.

Every case runs TVB itself (tvb-library 2.10.0, tvb-data 3.0.0) on tvb-data's connectivity_76.zip (weights as
read, speed 3 mm/ms set on the connectivity) with Generic2dOscillator (TVB's default parameters), Linear
coupling a = 0.0152 (b = 0), dt = 0.1 ms, 100 ms, the Raw monitor of both state variables (V, W), and a
constant initial history drawn as models.py draws it: numpy.random.default_rng(seed), 76 uniform values per
state variable within its state_variable_range, state variables in TVB's order.

The cases (CASES below):
  additive_heun        HeunStochastic,  Additive(nsig=[1e-3, 5e-4], noise_seed=...)
  additive_euler       EulerStochastic, the same noise
  multiplicative_heun  HeunStochastic,  Multiplicative(nsig=[1e-3, 5e-4]) with TVB's default b = Linear(a=1, b=0)
  coloured_heun        HeunStochastic,  Additive(nsig=[1e-3, 5e-4], ntau=1.0)
  pulse_train          HeunDeterministic + StimuliRegion(temporal=PulseTrain, weight nonzero on 4 regions)
  sinusoid             HeunDeterministic + StimuliRegion(temporal=Sinusoid, weight on all 76 regions)

Unlike models.py, the initial history is passed to the Simulator before its one and only configure(): a
configure() without initial conditions draws a random history (horizon x nvar x 76 uniforms) from the noise's
own RandomState, which would shift the noise stream (see docs/tvb-noise-and-stimuli.md). Here nothing is
drawn before the first step, except, for coloured noise, TVB's initial eta (one normal(size=(2, 76, 1)) in
configure_coloured). As in models.py, sim.current_step is reset to 0 after configure() (configure() with a
full-length initial history sets it to horizon - 1), so that Raw's time of step k is k*dt.

The script checks, for every case and every step, that
  * the noise TVB draws is exactly the replay: numpy.random.RandomState(noise_seed), then per step
    normal(size=(2, 76, 1)) (white: sqrt(dt) * z; coloured: eta <- eta*E + sqrt(1 - E^2)*z, dW = dt*sqrt(1/ntau)*eta
    with eta0 = the first normal(size=(2, 76, 1))), and that no other draw happens (stream state at the end);
  * gfun is evaluated once per step, on the state at the start of the step (Multiplicative: g = sqrt(2 nsig) * X_n);
  * the stimulus passed to the integrator at step k is weight * temporal(t) with t = (k-1)*dt (TVB's time grid
    numpy.r_[0:simulation_length:dt]), in state variable V (model.stvar = cvar = [0]) and 0 in W;
  * the first 3 steps equal an independent evaluation of the documented scheme (model.dfun on the captured
    state and coupling) bit for bit.

Writes ../../Tests/Fixtures/tvb/noise_stimuli/<case>.json.bz2 (format: README.md in this folder).

Run: /opt/tvbvenv/bin/python tools/tvb_reference/noise_stimuli.py [case ...] [--sensitivity]
(all 6: ~5 s on 2 shared cores, TVB import included; deterministic, a rerun rewrites the files byte for byte).
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
from tvb.basic.neotraits.api import NArray  # noqa: E402
from tvb.datatypes import equations, patterns  # noqa: E402
from tvb.simulator.lab import connectivity, coupling, integrators, models, monitors, noise, simulator  # noqa: E402

for _name in ("tvb", "tvb.simulator", "tvb.basic", "tvb.datatypes"):
    logging.getLogger(_name).setLevel(logging.ERROR)

OUT = Path(__file__).resolve().parent / ".." / ".." / "Tests" / "Fixtures" / "tvb" / "noise_stimuli"
SPEED = 3.0
TVB_VERSION = "2.10.0"
MODEL = "Generic2dOscillator"
COUPLING_A = 0.0152
DT = 0.1
DURATION = 100.0
FIRST = 20        # keep steps 1..FIRST
EVERY = 1.0       # then every EVERY ms
NSIG = [1e-3, 5e-4]
N_DRAW_STEPS = 3  # raw noise draws recorded for steps 1..3
DRAW_REGIONS = [0, 1, 2, 3]
N_CHECK_STEPS = 3  # steps re-evaluated independently

# Regions of the pulse-train stimulus and their weights (all others 0).
PULSE_REGIONS = {3: 1.0, 10: 0.5, 40: 0.8, 41: 1.2}

CASES = {
    "additive_heun": dict(
        seed=7701, integrator="HeunStochastic",
        noise=dict(type="Additive", nsig=NSIG, ntau=0.0, noise_seed=42001),
        notes="White additive noise: dW = sqrt(dt) * z * sqrt(2 nsig[v]), the same dW in Heun's predictor and "
              "corrector."),
    "additive_euler": dict(
        seed=7701, integrator="EulerStochastic",
        noise=dict(type="Additive", nsig=NSIG, ntau=0.0, noise_seed=42001),
        notes="Same initial history and noise stream as additive_heun; Euler-Maruyama."),
    "multiplicative_heun": dict(
        seed=7703, integrator="HeunStochastic",
        noise=dict(type="Multiplicative", nsig=NSIG, ntau=0.0, noise_seed=42003),
        notes="Multiplicative with TVB's default b = Linear(a=1, b=0): g = sqrt(2 nsig[v]) * (1*X + 0), X the state "
              "at the START of the step (gfun is evaluated once per step, not at the predictor): the noise term "
              "g(X_n)*dW is used unchanged in the predictor and the corrector."),
    "coloured_heun": dict(
        seed=7704, integrator="HeunStochastic",
        noise=dict(type="Additive", nsig=NSIG, ntau=1.0, noise_seed=42004),
        notes="Coloured (ntau = 1 ms) additive noise: E = exp(-dt/ntau); eta0 = normal(size=(2,76,1)) drawn in "
              "configure(); per step eta <- eta*E + sqrt(1-E^2)*normal(size=(2,76,1)) (updated BEFORE use), and "
              "the increment is dt*sqrt(1/ntau)*eta*sqrt(2 nsig[v])."),
    "pulse_train": dict(
        seed=7705, integrator="HeunDeterministic",
        stimulus=dict(temporal="PulseTrain", parameters={"onset": 20.0, "T": 25.0, "tau": 5.0, "amp": 0.1},
                      weight="pulse"),
        notes="StimuliRegion: weight nonzero on regions 3, 10, 40, 41. Step k uses the pattern at t = (k-1)*dt "
              "(the start of the step); it is added to dV/dt (stvar = cvar = [0]) in both Heun stages: "
              "pred = X + dt*(f(X) + s), X' = X + dt/2*(f(X) + f(pred)) + dt*s. PulseTrain is amp where "
              "t > onset and ((t - onset) mod T) < tau: the first pulse covers steps k with 20 < (k-1)*dt, "
              "(k-1)*dt - 20 < 5."),
    "sinusoid": dict(
        seed=7706, integrator="HeunDeterministic",
        stimulus=dict(temporal="Sinusoid", parameters={"amp": 0.05, "frequency": 0.04}, weight="all"),
        notes="StimuliRegion with a Sinusoid (amp sin(2 pi frequency t), frequency in 1/ms: 0.04 = 40 Hz) and "
              "weights uniform in [0.5, 1.5] on all 76 regions (default_rng(seed + 200000)). TVB evaluates the "
              "equation with numexpr; temporal_pattern holds TVB's values."),
}


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


def kept_steps(n_steps):
    every_steps = int(round(EVERY / DT))
    keep = set(range(1, min(FIRST, n_steps) + 1)) | set(range(every_steps, n_steps + 1, every_steps))
    return sorted(keep)


def make_noise(cfg):
    cls = getattr(noise, cfg["type"])
    # noise_seed must be given to the constructor: Noise.__init__ creates random_stream from it; setting
    # noise_seed later has no effect (configure() does not reseed).
    return cls(nsig=np.array(cfg["nsig"]), ntau=float(cfg["ntau"]), noise_seed=int(cfg["noise_seed"]))


def make_stimulus(cfg, conn, seed):
    n = conn.number_of_regions
    if cfg["weight"] == "pulse":
        weight = np.zeros(n)
        for i, w in PULSE_REGIONS.items():
            weight[i] = w
    else:
        weight = np.random.default_rng(seed + 200000).uniform(0.5, 1.5, size=n)
    temporal = getattr(equations, cfg["temporal"])(parameters=dict(cfg["parameters"]))
    stim = patterns.StimuliRegion(temporal=temporal, connectivity=conn, weight=weight)
    return stim, weight


def dump(doc):
    """One top-level key per line; floats as Python repr (shortest round-trip, full precision)."""
    lines = [f"{json.dumps(k)}:{json.dumps(v, separators=(',', ':'), allow_nan=False)}" for k, v in doc.items()]
    return "{\n" + ",\n".join(lines) + "\n}\n"


def same_stream(a, b):
    sa, sb = a.get_state(), b.get_state()
    return np.array_equal(sa[1], sb[1]) and sa[2] == sb[2] and sa[3] == sb[3] and sa[4] == sb[4]


def run_case(name, cfg, conn, perturb=0.0):
    n = conn.number_of_regions
    seed = int(cfg["seed"])
    n_steps = int(round(DURATION / DT))
    keep = kept_steps(n_steps)
    keep_set = set(keep)

    model = models.Generic2dOscillator()
    model.variables_of_interest = tuple(model.state_variables)
    svars = list(model.state_variables)
    nvar = len(svars)
    ranges = [(float(model.state_variable_range[sv][0]), float(model.state_variable_range[sv][1])) for sv in svars]

    rng = np.random.default_rng(seed)
    init = np.array([rng.uniform(lo, hi, size=n) for lo, hi in ranges])
    if perturb:
        init = init * (1.0 + perturb)

    conn.set_idelays(DT)
    horizon = int(conn.horizon)
    ic = np.zeros((horizon, nvar, n, 1))
    ic[:, :, :, 0] = init[None, :, :]

    ncfg = cfg.get("noise")
    if ncfg is not None:
        integ = getattr(integrators, cfg["integrator"])(dt=DT, noise=make_noise(ncfg))
    else:
        integ = getattr(integrators, cfg["integrator"])(dt=DT)
    stim, weight = (None, None)
    if cfg.get("stimulus"):
        stim, weight = make_stimulus(cfg["stimulus"], conn, seed)
    cpl = coupling.Linear(a=np.array([COUPLING_A]))
    sim = simulator.Simulator(model=model, connectivity=conn, coupling=cpl, integrator=integ,
                              monitors=(monitors.Raw(),), simulation_length=DURATION, initial_conditions=ic,
                              stimulus=stim)
    sim.configure()
    assert tuple(sim.good_history_shape) == ic.shape, (sim.good_history_shape, ic.shape)
    assert sim.current_step == horizon - 1, sim.current_step  # set by history.from_simulator
    sim.current_step = 0

    # ---- instrumentation (captures only; TVB's own code does every computation) ----
    captured = {"generate": [], "gfun_arg": [], "gfun": [], "step_in": []}
    nz = getattr(sim.integrator, "noise", None) if ncfg is not None else None
    replay = None
    if nz is not None:
        replay = np.random.RandomState(int(ncfg["noise_seed"]))
        if ncfg["ntau"] > 0:
            eta0 = replay.normal(size=(nvar, n, 1))
            assert np.array_equal(eta0, nz._eta), "eta0 is not the first normal draw"
            captured["eta0"] = eta0.copy()
        assert same_stream(replay, nz.random_stream), "configure() drew more than expected"
        gen0, gfun0 = nz.generate, nz.gfun

        def generate(shape, *a, **k):
            out = gen0(shape, *a, **k)
            captured["generate"].append(np.array(out, copy=True))
            if ncfg["ntau"] > 0:
                captured.setdefault("eta", []).append(np.array(nz._eta, copy=True))
            return out

        def gfun(x):
            g = gfun0(x)
            captured["gfun_arg"].append(np.array(x, copy=True))
            captured["gfun"].append(np.array(g, copy=True))
            return g
        object.__setattr__(nz, "generate", generate)
        object.__setattr__(nz, "gfun", gfun)

    step0 = sim.integrate_next_step

    def integrate_next_step(state, mdl, node_coupling, local_coupling, stimulus):
        if len(captured["step_in"]) < N_CHECK_STEPS or stim is not None:
            captured["step_in"].append((np.array(state, copy=True), np.array(node_coupling, copy=True),
                                        np.array(stimulus, copy=True) if not np.isscalar(stimulus) else stimulus))
        return step0(state, mdl, node_coupling, local_coupling, stimulus)
    sim.integrate_next_step = integrate_next_step

    times, states, steps = [], [], []
    raw = [init[:, :, None].copy()]  # state after k steps, k = 0..n_steps (for checks)
    k = 0
    for (t, y), in sim(n_steps=np.int64(n_steps)):
        k += 1
        assert t == k * DT, (name, k, t)
        if not np.all(np.isfinite(y)):
            raise FloatingPointError(f"{name}: non-finite state at step {k}")
        raw.append(np.array(y, dtype=np.float64))
        if k in keep_set:
            steps.append(k)
            times.append(float(t))
            states.append(np.array(y[:, :, 0], dtype=np.float64))
    assert k == n_steps and steps == keep
    states = np.array(states)

    # ---- checks ----
    sdt = np.sqrt(DT)
    stream = None
    if nz is not None:
        assert len(captured["generate"]) == n_steps and len(captured["gfun"]) == n_steps
        zs = []
        eta = captured.get("eta0")
        E = np.exp(-DT / ncfg["ntau"]) if ncfg["ntau"] > 0 else None
        for j in range(n_steps):
            z = replay.normal(size=(nvar, n, 1))
            if j < N_DRAW_STEPS:
                zs.append(z)
            if ncfg["ntau"] > 0:
                eta = eta * E + np.sqrt(1.0 - E ** 2) * z
                dw = DT * np.sqrt(1.0 / ncfg["ntau"]) * eta
                assert np.array_equal(eta, captured["eta"][j]), (name, j)
            else:
                dw = sdt * z
            assert np.array_equal(dw, captured["generate"][j]), (name, "noise stream", j)
            # gfun once per step, on the state at the start of the step
            assert np.array_equal(captured["gfun_arg"][j], raw[j]), (name, "gfun argument", j)
            nsig = np.array(ncfg["nsig"]).reshape((nvar, 1, 1))
            g = np.sqrt(2.0 * nsig) * (raw[j] if ncfg["type"] == "Multiplicative" else 1.0)
            assert np.array_equal(np.broadcast_to(g, captured["gfun"][j].shape), captured["gfun"][j]), (name, "gfun", j)
        assert same_stream(replay, nz.random_stream), "extra draws during the run"
        R = DRAW_REGIONS
        draws = []
        for j in range(N_DRAW_STEPS):
            dw = captured["generate"][j]
            gj = np.broadcast_to(captured["gfun"][j], dw.shape)
            entry = {"step": j + 1,
                     "z": {sv: zs[j][i, R, 0].tolist() for i, sv in enumerate(svars)},
                     "dW": {sv: dw[i, R, 0].tolist() for i, sv in enumerate(svars)},
                     "gfun": {sv: gj[i, R, 0].tolist() for i, sv in enumerate(svars)},
                     "noise": {sv: (dw * gj)[i, R, 0].tolist() for i, sv in enumerate(svars)}}
            if ncfg["ntau"] > 0:
                entry["eta"] = {sv: captured["eta"][j][i, R, 0].tolist() for i, sv in enumerate(svars)}
            draws.append(entry)
        stream = {
            "generator": "numpy.random.RandomState(noise_seed): legacy MT19937, normal() by polar Box-Muller with "
                         "a cached second value",
            "numpy_skip": 0,
            "draw": "normal(size=(2, 76, 1)) once per step, state variable major then region (C order); "
                    "no other draws during the run",
            "regions": R,
            "first_steps": draws,
        }
        if ncfg["ntau"] > 0:
            stream["coloured"] = {
                "E": float(nz._E), "sqrt_1_E2": float(nz._sqrt_1_E2), "dt_sqrt_lambda": float(nz._dt_sqrt_lambda),
                "eta0": {sv: captured["eta0"][i, R, 0].tolist() for i, sv in enumerate(svars)},
                "order": "eta0 = normal(size=(2,76,1)) in configure(); then per step h = sqrt_1_E2*normal(...), "
                         "eta = eta*E + h, dW = dt_sqrt_lambda*eta",
            }

    stim_doc = None
    if stim is not None:
        tp = np.asarray(stim.temporal_pattern, dtype=np.float64).ravel()
        grid = np.asarray(stim.time, dtype=np.float64).ravel()
        assert grid.size >= n_steps
        assert len(captured["step_in"]) == n_steps
        for j in range(n_steps):
            assert grid[j] == j * DT, (name, "time grid", j)
            s = captured["step_in"][j][2]
            assert np.array_equal(s[0, :, 0], weight * tp[j]), (name, "stimulus of step", j + 1)
            assert not s[1].any(), (name, "stimulus in W")
        stim_doc = {
            "type": "StimuliRegion",
            "temporal": {"name": cfg["stimulus"]["temporal"], "equation": stim.temporal.equation,
                         "parameters": {k: float(v) for k, v in stim.temporal.parameters.items()}},
            "spatial": {"name": "DiscreteEquation", "equation": stim.spatial.equation},
            "weight": [float(w) for w in weight],
            "stvar": [int(i) for i in sim.model.stvar],
            "time_of_step": "t = (k-1)*dt for step k (TVB's grid numpy.r_[0:simulation_length:dt], index k-1)",
            "temporal_pattern": tp[:n_steps].tolist(),
        }

    # Independent evaluation of the first steps with the documented formulas (bit for bit).
    for j in range(N_CHECK_STEPS):
        X, c, s = captured["step_in"][j]
        f = sim.model.dfun
        m = f(X.copy(), c, 0.0)
        if isinstance(s, float):
            s = 0.0
        name_i = cfg["integrator"]
        if name_i == "HeunDeterministic":
            inter = X + DT * (m + s)
            nxt = X + (m + f(inter, c, 0.0)) * DT / 2.0 + DT * s
        else:
            noise_term = captured["generate"][j] * captured["gfun"][j]
            if name_i == "HeunStochastic":
                inter = X + DT * m + noise_term + DT * s
                nxt = X + (m + f(inter, c, 0.0)) * DT / 2.0 + noise_term + DT * s
            else:
                nxt = X + m * DT + captured["gfun"][j] * captured["generate"][j] + DT * s
        assert np.array_equal(nxt, raw[j + 1]), (name, "scheme check", j + 1, np.abs(nxt - raw[j + 1]).max())

    icfg = {"name": cfg["integrator"], "dt": DT}
    if ncfg is not None:
        nd = {"type": ncfg["type"], "nsig": [float(x) for x in ncfg["nsig"]], "ntau": float(ncfg["ntau"]),
              "noise_seed": int(ncfg["noise_seed"])}
        if ncfg["type"] == "Multiplicative":
            nd["b"] = {"name": type(nz.b).__name__, "equation": nz.b.equation,
                       "parameters": {k: float(v) for k, v in nz.b.parameters.items()}}
        icfg["noise"] = nd

    doc = {
        "case": name,
        "tvb": TVB_VERSION,
        "connectivity": "connectivity_76.zip",
        "speed": SPEED,
        "model": MODEL,
        "params": {p: to_json_value(getattr(models.Generic2dOscillator(), p)) for p in
                   param_names(models.Generic2dOscillator)},
        "coupling": {"name": "Linear", "params": {"a": COUPLING_A, "b": 0.0}},
        "cvar": [int(i) for i in sim.model.cvar],
        "integrator": icfg,
        "stimulus": stim_doc,
        "duration": DURATION,
        "n_steps": n_steps,
        "horizon": horizon,
        "seed": seed,
        "state_variables": svars,
        "state_variable_range": {sv: [lo, hi] for sv, (lo, hi) in zip(svars, ranges)},
        "initial": {sv: init[i].tolist() for i, sv in enumerate(svars)},
        "noise_stream": stream,
        "steps": steps,
        "times": times,
        "states": {sv: states[:, i, :].tolist() for i, sv in enumerate(svars)},
        "notes": cfg.get("notes", ""),
    }
    return doc


def check_configure_draws(conn):
    """Not written to the fixtures: checks what the models.py-style pattern (configure() without initial
    conditions, then set sim.initial_conditions and configure() again) takes from the noise stream before
    the first step, by replaying numpy.random.RandomState(noise_seed). Returns a one-line summary."""
    out = []
    for ntau in (0.0, 1.0):
        nz = noise.Additive(nsig=np.array(NSIG), ntau=ntau, noise_seed=1234)
        sim = simulator.Simulator(model=models.Generic2dOscillator(), connectivity=conn,
                                  coupling=coupling.Linear(a=np.array([COUPLING_A])),
                                  integrator=integrators.HeunStochastic(dt=DT, noise=nz),
                                  monitors=(monitors.Raw(),), simulation_length=DURATION)
        sim.configure()
        shape = tuple(int(x) for x in sim.good_history_shape)
        rs = np.random.RandomState(1234)
        if ntau > 0:
            rs.normal(size=shape[1:])          # configure_coloured's eta (simulator.py: noise before history)
        rs.uniform(size=shape[0] * shape[1] * shape[2] * shape[3])  # model.initial(): random history
        assert same_stream(rs, sim.integrator.noise.random_stream), ntau
        sim.initial_conditions = np.zeros(shape)
        # The second configure() logs "Bad Simulator.integrator.noise.nsig shape: (2, 1, 1)": the first one
        # reshaped nsig in place and (nintvar, 1, 1) is not among the accepted shapes; nsig is left as it is.
        logging.disable(logging.ERROR)
        try:
            sim.configure()
        finally:
            logging.disable(logging.NOTSET)
        if ntau > 0:
            eta = rs.normal(size=shape[1:])     # the second configure draws eta again: this one is used
            assert np.array_equal(eta, sim.integrator.noise._eta)
        assert same_stream(rs, sim.integrator.noise.random_stream), ntau
        out.append(f"ntau={ntau:g}: " + ("normal(size=(2,76,1)) discarded, " if ntau > 0 else "")
                   + f"{shape[0]}*{shape[1]}*{shape[2]}*{shape[3]} = {int(np.prod(shape))} uniforms"
                   + (", then eta0 = normal(size=(2,76,1))" if ntau > 0 else ""))
    return "configure(); set initial_conditions; configure() takes from the noise stream: " + "; ".join(out)


def sensitivity(name, doc, conn, eps=1e-10):
    """Diagnostic (not written): max over kept samples of max|dx|/max|x| (per state variable) when the initial
    history is scaled by (1 + eps), divided by eps. The noise stream is the same in both runs."""
    pert = run_case(name, CASES[name], conn, perturb=eps)
    worst = 0.0
    for k in range(len(doc["times"])):
        for sv in doc["state_variables"]:
            a, b = np.array(doc["states"][sv][k]), np.array(pert["states"][sv][k])
            worst = max(worst, float(np.abs(a - b).max() / max(np.abs(a).max(), 1e-300)))
    return worst / eps


def main(argv):
    sens = "--sensitivity" in argv
    names = [a for a in argv if not a.startswith("--")] or list(CASES)
    OUT.mkdir(parents=True, exist_ok=True)
    conn = load_conn()
    total = time.perf_counter()
    for name in names:
        t0 = time.perf_counter()
        doc = run_case(name, CASES[name], conn)
        text = dump(doc)
        data = bz2.compress(text.encode(), 9)
        (OUT / f"{name}.json.bz2").write_bytes(data)
        st = np.array([doc["states"][sv] for sv in doc["state_variables"]])
        print(f"{name}: {len(data) / 1024:.0f} KB ({len(text) / 1024:.0f} KB raw), {len(doc['times'])} samples, "
              f"V in [{st[0].min():.3g}, {st[0].max():.3g}], W in [{st[1].min():.3g}, {st[1].max():.3g}], "
              f"{time.perf_counter() - t0:.1f} s")
        if sens:
            print(f"    amplification of a 1e-10 relative IC perturbation: {sensitivity(name, doc, conn):.3g}")
    print(check_configure_draws(conn))
    print(f"total {time.perf_counter() - total:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
