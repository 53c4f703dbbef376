"""TVB 2.10's own runs of its neural-mass model catalogue, as test fixtures.

For every model in CASES below: TVB 2.10 (tvb-library 2.10.0, tvb-data 3.0.0) is run deterministically
on tvb-data's connectivity_76.zip (weights as read, speed 3 mm/ms set on the connectivity), with
  * non-default model parameters (2-4 parameters that enter dfun, changed by ~5-20 %, inside TVB's
    domains; see CASES and the fixture's "changed"),
  * a TVB coupling with non-default parameters,
  * HeunDeterministic(dt),
  * a constant initial history whose per-region values are drawn with numpy.random.default_rng(seed)
    uniformly within each state variable's state_variable_range (state variables in TVB's order, 76
    draws each), set as sim.initial_conditions of shape (horizon, nvar, 76, 1); after re-configuring,
    sim.current_step is reset to 0 (as ../../shared/peers/tvb/tvbref_common.configure_with_ic) so the
    first step is step 1 and the Raw monitor's time of step k is k*dt,
  * the Raw monitor, the model's variables_of_interest set to all its state variables, so every state
    variable is recorded; only a decimated set of steps is kept (steps 1..first, then every `every`
    ms: 10 and 10 ms, fewer for the models with many state variables, to keep files under ~150 KB).
Plus a dfun check: a freshly configured model with the same parameters, 8 random states (uniform within
the state ranges, shape (nvar, 8, 1)), a random coupling normal(0, 0.1) of shape (ncvar, 8, 1), and
TVB's model.dfun(state, coupling, 0.0).

Writes ../../Tests/Fixtures/tvb/models/<Model>.json.bz2 (format: README.md in this folder).

Run: /opt/tvbvenv/bin/python tools/tvb_reference/models.py [Model ...] [--sensitivity]
(all 26: ~40 s on 2 shared cores; deterministic, a rerun rewrites the files byte for byte).
--sensitivity also reruns each case with the initial history scaled by (1 + 1e-10) and prints how much
the kept samples move (a guide to test tolerances; nothing extra is written).
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
from tvb.simulator.lab import connectivity, coupling, integrators, models, monitors, simulator  # noqa: E402

for _name in ("tvb", "tvb.simulator", "tvb.basic", "tvb.datatypes"):
    logging.getLogger(_name).setLevel(logging.ERROR)

OUT = Path(__file__).resolve().parent / ".." / ".." / "Tests" / "Fixtures" / "tvb" / "models"
SPEED = 3.0
TVB_VERSION = "2.10.0"
N_DFUN = 8

# name: seed, changed model parameters, coupling (class, parameters), dt (ms), duration (ms),
#       kept samples: steps 1..first, then every `every` ms (fewer for the many-variable models, to keep
#       each file under ~150 KB).  Parameter values are TVB's defaults unless listed here.
CASES = {
    "CoombesByrne": dict(
        seed=7601, params=dict(Delta=0.55, alpha=0.85, k=1.1, v_syn=-9.0),
        coupling=("Linear", dict(a=0.0035, b=0.01)), dt=0.005,
        notes="dt 0.005: from the full state ranges (V up to 10, r up to 6, eta=20) V and r spike to ~40 and "
              "~30; Heun is not finite at dt >= 0.02. TVB's dr/dt has '- g*r' (its docstring says g*r^2). "
              "eta's default 20 lies outside its domain [-10, 10]; left at 20."),
    "CoombesByrne2D": dict(
        seed=7602, params=dict(Delta=1.1, eta=2.2, k=0.9, v_syn=-4.4),
        coupling=("Linear", dict(a=0.0035, b=0.01)), dt=0.01,
        notes="Settles to a fixed point within ~50 ms (no oscillation in this model without delays); the "
              "transient is the test."),
    "DecoBalancedExcInh": dict(
        seed=7603, params=dict(M_i=1.1, G=1.8, J_i=1.1, W_i=0.65),
        coupling=("Linear", dict(a=0.0045, b=0.002)), dt=0.1),
    "DumontGutkin": dict(
        seed=7604, params=dict(eta_e=-4.5, J_ei=11.0, J_ii=13.5, Gamma=5.5),
        coupling=("Linear", dict(a=0.0035, b=0.01)), dt=0.01, first=5, every=25.0,
        notes="Only coupling[0] (from r_e) is used, into s_ee and (times Gamma) s_ie; the cvars V_e, r_i, "
              "V_i are carried in the history but unused. J_ee, J_ie are 0 by default."),
    "Epileptor": dict(
        seed=7605, params=dict(x0=-1.8, Iext=3.3, Ks=-0.2, Kf=0.1),
        coupling=("Difference", dict(a=0.012)), dt=0.05, first=10, every=20.0,
        notes="Ks, Kf (0 by default, so no coupling at all) set to TVB's demo values -0.2 and 0.1."),
    "Epileptor2D": dict(
        seed=7606, params=dict(x0=-1.8, Iext=3.3, r=0.0004, Ks=-0.2),
        coupling=("Difference", dict(a=0.012)), dt=0.05,
        notes="Ks (0 by default) set to -0.2 so that the coupling enters (Kvf stays 0)."),
    "EpileptorCodim3": dict(
        seed=7607, params=dict(R=0.44, c=0.0011, dstar=0.27, Ks=-0.2),
        coupling=("Difference", dict(a=0.012)), dt=0.1,
        notes="Ks (0 by default) set to -0.2 so that the coupling enters. E, F (derived from mu1/mu2/nu "
              "start/stop) are recomputed by configure(); the defaults are used."),
    "EpileptorCodim3SlowMod": dict(
        seed=7608, params=dict(R=0.44, c=0.0022, cA=0.00012, Ks=-0.2),
        coupling=("Difference", dict(a=0.012)), dt=0.1, first=10, every=20.0,
        notes="variables_of_interest choices omit uA, uB: added to the trait's choices so Raw records them. "
              "uA, uB have state range [0, 0] (start at 0) and grow at cA, cB."),
    "EpileptorRestingState": dict(
        seed=7609, params=dict(x0=-1.8, K_rs=1.1, Ks=-0.2, Kf=0.1),
        coupling=("Difference", dict(a=0.012)), dt=0.05, first=5, every=25.0,
        notes="Ks, Kf (0 by default) set to -0.2, 0.1 so that the Epileptor part is coupled."),
    "GastSchmidtKnosche_SD": dict(
        seed=7610, params=dict(Delta=2.2, J=19.5, eta=-5.5, tau_A=11.0),
        coupling=("Linear", dict(a=0.0035, b=0.01)), dt=0.01),
    "GastSchmidtKnosche_SF": dict(
        seed=7611, params=dict(Delta=1.8, J=23.0, eta=1.1, tau_A=9.0),
        coupling=("Linear", dict(a=0.0035, b=0.01)), dt=0.01,
        notes="alpha's default 10 lies outside its domain [0, 1]; left at 10. Not finite at dt >= 0.05."),
    "Generic2dOscillator": dict(
        seed=7612, params=dict(a=-1.8, b=-11.0, d=0.022, tau=1.1),
        coupling=("Linear", dict(a=0.0045, b=0.01)), dt=0.1),
    "Hopfield": dict(
        seed=7613, params=dict(taux=1.1, tauT=4.5, dynamic=1),
        coupling=("Linear", dict(a=0.0045, b=0.01)), dt=0.1,
        notes="dynamic=1 (dynamic threshold: configure() switches dfun to dfunDyn and cvar to [0, 1]) so "
              "that tauT enters. With TVB's default dynamic=0, dfun returns [dx, dx] (theta integrates x's "
              "derivative): checked by the extra block dfun_dynamic0 (same states, coupling[0] only)."),
    "JansenRit": dict(
        seed=7614, params=dict(A=3.5, B=24.0, mu=0.2, v0=5.8),
        coupling=("SigmoidalJansenRit", dict(a=5.0, r=0.6, midpoint=5.8)), dt=0.1,
        first=10, every=20.0),
    "KIonEx": dict(
        seed=7615, params=dict(K_bath=6.0, Delta=1.1, J=0.11, gamma=0.045),
        coupling=("Linear", dict(a=0.0045, b=0.002)), dt=0.01, first=10, every=20.0,
        notes="TVB's state ranges admit K_o = 4.8 - 3*DKi + Kg <= 0 (log of a negative concentration: NaN "
              "at the first step); regions (and dfun states) drawn with K_o <= 0.5 are drawn again (the "
              "whole vector of that region, in region order, from the same generator).",
        # TVB's ranges allow K_o = 4.8 - 3*DKi + Kg <= 0 (log of a negative concentration -> NaN):
        # such draws are rejected (that region's whole vector is drawn again).
        valid=lambda v: 4.8 - (2160.0 / 720.0) * v["DKi"] + v["Kg"] > 0.5),
    "Kuramoto": dict(
        seed=7616, params=dict(omega=1.1),
        coupling=("Kuramoto", dict(a=0.01)), dt=0.1,
        notes="omega is the model's only parameter. TVB's Kuramoto coupling is a/gx.shape[0]*sum, and "
              "gx.shape[0] is n_cvar = 1 (SparseCoupling), not the number of nodes: c_i = a*sum_j "
              "W_ij sin(theta_j(t - tau_ij) - theta_i). theta is not wrapped (reaches ~120 rad), and TVB's "
              "float32 history holds it to ~4e-6 rad there."),
    "LarterBreakspear": dict(
        seed=7617, params=dict(C=0.12, Iext=0.28, d_V=0.6, gNa=6.2),
        coupling=("HyperbolicTangent", dict(a=0.0125, sigma=0.6)), dt=0.1,
        notes="HyperbolicTangent with a ~ 0.5*QV_max/(mean row sum of W ~ 39) and sigma = d_V: the "
              "coupling is about C*<QV>, as in Larter-Breakspear's mean field."),
    "Linear": dict(
        seed=7618, params=dict(gamma=-9.0),
        coupling=("Linear", dict(a=0.0045, b=0.01)), dt=0.1,
        notes="gamma is the model's only parameter; relaxes to its fixed point within ~10 ms."),
    "MontbrioPazoRoxin": dict(
        seed=7619, params=dict(Delta=1.1, J=14.0, eta=-4.6, tau=1.1),
        coupling=("Linear", dict(a=0.0035, b=0.01)), dt=0.01,
        notes="Settles to a fixed point within ~50 ms; cr=1, cv=0 (defaults)."),
    "ReducedWongWang": dict(
        seed=7620, params=dict(a=0.25, w=0.65, J_N=0.28, I_o=0.31),
        coupling=("Linear", dict(a=0.0045, b=0.002)), dt=0.1),
    "ReducedWongWangExcInh": dict(
        seed=7621, params=dict(G=2.2, J_N=0.165, w_p=1.3, I_o=0.36),
        coupling=("Linear", dict(a=0.0045, b=0.002)), dt=0.1),
    "SupHopf": dict(
        seed=7622, params=dict(a=-0.45, omega=1.1),
        coupling=("Linear", dict(a=0.0045, b=0.01)), dt=0.01,
        notes="dt 0.01: from the full state range (|x|, |y| up to 5) Heun is not finite at dt >= 0.05."),
    "WilsonCowan": dict(
        seed=7623, params=dict(c_ee=13.0, c_ie=12.0, a_e=1.3, tau_e=11.0),
        coupling=("Linear", dict(a=0.0045, b=0.01)), dt=0.1),
    "ZerlautAdaptationFirstOrder": dict(
        seed=7624, params=dict(b_e=66.0, T=18.0, tau_w_e=450.0, Q_e=1.6),
        coupling=("Linear", dict(a=0.0045, b=0.002)), dt=0.1, first=10, every=20.0,
        notes="W_i and ou_drift have state range [0, 0] and stay 0 (a_i = b_i = 0, no noise). The "
              "boundaries of E, I are [0, None] in TVB (None -> float max)."),
    "ZerlautAdaptationSecondOrder": dict(
        seed=7625, params=dict(a_e=4.5, b_e=55.0, T=19.0, Q_i=5.5),
        coupling=("Linear", dict(a=0.0045, b=0.002)), dt=0.1, first=5, every=25.0,
        notes="W_i and ou_drift have state range [0, 0] and stay 0."),
    "ZetterbergJansen": dict(
        seed=7626, params=dict(He=3.5, Hi=24.0, ke=0.11, rho_2=5.8),
        coupling=("Linear", dict(a=0.0045, b=0.01)), dt=0.1, first=5, every=50.0,
        notes="cvar is v6 (index 10); the coupling enters through sigma(c). TVB's dy5/dt uses keke*v5 "
              "(not kiki)."),
}

# The two 3-mode models (number_of_modes=3, derived mode-coupling coefficients) have their own script,
# reduced_set.py, which reuses this one's helpers and writes fixtures in the same format.
SKIPPED = {
    "ReducedSetFitzHughNagumo": "3 modes: tools/tvb_reference/reduced_set.py.",
    "ReducedSetHindmarshRose": "3 modes: tools/tvb_reference/reduced_set.py.",
}


def model_param_names(cls):
    """TVB's parameters of a model class: its NArray traits (state ranges/boundaries are Final/dict)."""
    return sorted(n for n in cls.declarative_attrs if isinstance(getattr(cls, n, None), NArray))


def to_json_value(v):
    a = np.asarray(v).ravel().astype(np.float64)
    return float(a[0]) if a.size == 1 else [float(x) for x in a]


def make_model(name, params):
    cls = getattr(models, name)
    kw = {}
    for k, v in params.items():
        attr = getattr(cls, k)
        kw[k] = np.array([v], dtype=attr.dtype)
    m = cls(**kw)
    all_state_vois(m)
    return m


def make_coupling(cname, cparams):
    cls = getattr(coupling, cname)
    return cls(**{k: np.array([float(v)]) for k, v in cparams.items()})


def load_conn():
    # Exactly as TVB reads it; the speed on the connectivity (Simulator.conduction_speed is not
    # propagated to the connectivity in TVB 2.10).
    conn = connectivity.Connectivity.from_file("connectivity_76.zip")
    conn.speed = np.array([SPEED])
    conn.configure()
    return conn


def state_ranges(m):
    return [(float(m.state_variable_range[sv][0]), float(m.state_variable_range[sv][1]))
            for sv in m.state_variables]


def draw_states(rng, svars, ranges, n, valid=None):
    """(nvar, n) uniform draws within the state ranges, one state variable after the other; where a
    model's ranges admit invalid states (`valid`), the offending columns are drawn again, in order."""
    x = np.array([rng.uniform(lo, hi, size=n) for lo, hi in ranges])
    if valid is not None:
        for j in range(n):
            while not valid(dict(zip(svars, x[:, j]))):
                x[:, j] = [rng.uniform(lo, hi) for lo, hi in ranges]
    return x


def all_state_vois(m):
    """Make the model observe (and so the Raw monitor record) every state variable, in order.  A few
    models' variables_of_interest choices omit some state variables (EpileptorCodim3SlowMod: uA, uB);
    those are added to the trait's element_choices (a TVB trait refuses attribute changes once bound,
    hence object.__setattr__)."""
    trait = type(m).variables_of_interest
    choices = trait.element_choices
    missing = [sv for sv in m.state_variables if choices is not None and sv not in choices]
    if missing:
        object.__setattr__(trait, "element_choices", tuple(choices) + tuple(missing))
    m.variables_of_interest = tuple(m.state_variables)


def kept_steps(n_steps, dt, first, every):
    every_steps = int(round(every / dt))
    assert abs(every_steps * dt - every) < 1e-9
    keep = set(range(1, min(first, n_steps) + 1))
    keep |= set(range(every_steps, n_steps + 1, every_steps))
    return sorted(keep)


def run_case(name, cfg, conn, perturb=0.0):
    cls = getattr(models, name)
    dt = float(cfg["dt"])
    duration = float(cfg.get("duration", 100.0))
    first = int(cfg.get("first", 10))
    every = float(cfg.get("every", 10.0))
    seed = int(cfg["seed"])
    cname, cparams = cfg["coupling"]

    # Parameters as recorded: from a configured model that never saw a simulator (the simulator
    # spatialises the parameters in place).
    m_rec = make_model(name, cfg["params"])
    m_rec.configure()
    defaults = cls()
    pnames = model_param_names(cls)
    params = {p: to_json_value(getattr(m_rec, p)) for p in pnames}
    changed = {p: {"default": to_json_value(getattr(defaults, p)), "value": params[p]} for p in cfg["params"]}
    for p, v in cfg["params"].items():
        assert params[p] != changed[p]["default"], (name, p)
    svars = list(m_rec.state_variables)
    nvar = len(svars)
    ranges = state_ranges(m_rec)
    cpl = make_coupling(cname, cparams)
    cpl_defaults = getattr(coupling, cname)()
    cpl_names = model_param_names(getattr(coupling, cname))
    cpl_rec = {p: to_json_value(getattr(cpl, p)) for p in cpl_names}
    assert all(cpl_rec[p] != to_json_value(getattr(cpl_defaults, p)) for p in cparams), (name, cparams)

    # Initial history: one uniform draw per state variable and region, constant in time.
    rng = np.random.default_rng(seed)
    init = draw_states(rng, svars, ranges, conn.number_of_regions, cfg.get("valid"))
    if perturb:
        init = init * (1.0 + perturb)

    model = make_model(name, cfg["params"])
    sim = simulator.Simulator(model=model, connectivity=conn, coupling=cpl,
                              integrator=integrators.HeunDeterministic(dt=dt),
                              monitors=(monitors.Raw(),), simulation_length=duration)
    sim.configure()
    ic = np.zeros(sim.good_history_shape)
    assert ic.shape[1:] == (nvar, conn.number_of_regions, 1), ic.shape
    ic[:, :, :, 0] = init[None, :, :]
    sim.initial_conditions = ic
    sim.configure()
    horizon = int(sim.good_history_shape[0])
    sim.current_step = 0

    n_steps = int(round(duration / dt))
    assert abs(n_steps * dt - duration) < 1e-9
    keep = kept_steps(n_steps, dt, first, every)
    keep_set = set(keep)
    times, states, steps = [], [], []
    k = 0
    lo_all, hi_all = init.min(axis=1), init.max(axis=1)
    for (t, y), in sim(n_steps=np.int64(n_steps)):
        k += 1
        # TVB's Raw time of step k is k*dt (after the reset of current_step).
        assert t == k * dt, (name, k, t)
        if not np.all(np.isfinite(y)):
            raise FloatingPointError(f"{name}: non-finite state at step {k} (t={t})")
        lo_all = np.minimum(lo_all, y[:, :, 0].min(axis=1))
        hi_all = np.maximum(hi_all, y[:, :, 0].max(axis=1))
        if k in keep_set:
            assert y.shape == (nvar, conn.number_of_regions, 1)
            steps.append(k)
            times.append(float(t))
            states.append(np.array(y[:, :, 0], dtype=np.float64))
    assert k == n_steps and steps == keep
    states = np.array(states)  # (samples, nvar, N)

    # dfun check on a fresh model.
    m_d = make_model(name, cfg["params"])
    m_d.configure()
    drng = np.random.default_rng(seed + 100000)
    dstate = draw_states(drng, svars, ranges, N_DFUN, cfg.get("valid"))[:, :, None]
    ncvar = len(m_d.cvar)
    dcoup = drng.normal(0.0, 0.1, size=(ncvar, N_DFUN, 1))
    deriv = np.asarray(m_d.dfun(dstate.copy(), dcoup.copy(), 0.0), dtype=np.float64)
    assert deriv.shape == (nvar, N_DFUN, 1), (name, deriv.shape)
    assert np.all(np.isfinite(deriv)), name

    doc = {
        "model": name,
        "tvb": TVB_VERSION,
        "connectivity": "connectivity_76.zip",
        "speed": SPEED,
        "params": params,
        "changed": changed,
        "coupling": {"name": cname, "params": cpl_rec},
        "cvar": [int(i) for i in m_rec.cvar],
        "integrator": {"name": "HeunDeterministic", "dt": dt},
        "duration": duration,
        "n_steps": n_steps,
        "horizon": horizon,
        "seed": seed,
        "state_variables": svars,
        "state_variable_range": {sv: [lo, hi] for sv, (lo, hi) in zip(svars, ranges)},
        "state_variable_boundaries": {sv: [float(x) for x in b] for sv, b in
                                      (m_rec.state_variable_boundaries or {}).items()},
        "initial": {sv: init[i].tolist() for i, sv in enumerate(svars)},
        "steps": steps,
        "times": times,
        "states": {sv: states[:, i, :].tolist() for i, sv in enumerate(svars)},
        "notes": cfg.get("notes", ""),
        "dfun": {
            "seed": seed + 100000,
            "state": {sv: dstate[i, :, 0].tolist() for i, sv in enumerate(svars)},
            "coupling": dcoup[:, :, 0].tolist(),
            "derivative": {sv: deriv[i, :, 0].tolist() for i, sv in enumerate(svars)},
        },
    }
    if name == "Hopfield":
        # TVB's default static threshold (dynamic=0): dfun returns [dx, dx] (theta gets x's derivative).
        p0 = {k: v for k, v in cfg["params"].items() if k != "dynamic"}
        m0 = make_model(name, p0)
        m0.configure()
        d0 = np.asarray(m0.dfun(dstate.copy(), dcoup[:len(m0.cvar)].copy(), 0.0), dtype=np.float64)
        doc["dfun_dynamic0"] = {
            "params": {p: to_json_value(getattr(m0, p)) for p in pnames},
            "state": doc["dfun"]["state"],
            "coupling": dcoup[:len(m0.cvar), :, 0].tolist(),
            "derivative": {sv: d0[i, :, 0].tolist() for i, sv in enumerate(svars)},
        }
    summary = {sv: (float(lo_all[i]), float(hi_all[i]), float(np.ptp(states[-3:, i, :], axis=0).max()))
               for i, sv in enumerate(svars)}
    return doc, summary


def dump(doc):
    """One top-level key per line; floats as Python repr (shortest round-trip, full precision)."""
    lines = [f"{json.dumps(k)}:{json.dumps(v, separators=(',', ':'), allow_nan=False)}" for k, v in doc.items()]
    return "{\n" + ",\n".join(lines) + "\n}\n"


def sensitivity(name, doc, conn, eps=1e-10):
    """Diagnostic (not written): relative change of the kept samples when the initial history is
    scaled by (1 + eps); max over state variables of max|dx| / max|x| (per variable, over regions).
    Divided by eps it is the amplification of a relative perturbation - a guide to the tolerance an
    independent float64 implementation (TVB keeps the history in float32) can be held to."""
    pert, _ = run_case(name, CASES[name], conn, perturb=eps)
    worst = []
    for k in range(len(doc["times"])):
        r = 0.0
        for sv in doc["state_variables"]:
            a = np.array(doc["states"][sv][k])
            b = np.array(pert["states"][sv][k])
            scale = max(np.abs(a).max(), 1e-300)
            r = max(r, float(np.abs(a - b).max() / scale))
        worst.append(r / eps)
    return worst


def main(argv):
    sens = "--sensitivity" in argv
    names = [a for a in argv if not a.startswith("--")] or list(CASES)
    OUT.mkdir(parents=True, exist_ok=True)
    conn = load_conn()
    total = time.perf_counter()
    failed = {}
    for name in names:
        t0 = time.perf_counter()
        try:
            doc, summary = run_case(name, CASES[name], conn)
        except Exception as e:  # record and go on
            failed[name] = f"{type(e).__name__}: {e}"
            print(f"{name}: FAILED {failed[name]}")
            continue
        # Stored compressed, as the tests' other large fixtures (Tests/PlexusTests/Support/Reference.swift).
        path = OUT / f"{name}.json.bz2"
        text = dump(doc)
        path.write_bytes(bz2.compress(text.encode(), 9))
        print(f"{name}: {len(text) / 1024:.0f} KB, {len(doc['times'])} samples, {time.perf_counter() - t0:.1f} s")
        for sv, (lo, hi, late) in summary.items():
            print(f"    {sv:>10s} range [{lo:.4g}, {hi:.4g}]  spread of last 3 samples (max over regions) {late:.3g}")
        if sens:
            w = sensitivity(name, doc, conn)
            print(f"    amplification of a 1e-10 relative IC perturbation: step {doc['steps'][9 if len(w) > 9 else 0]}: "
                  f"{w[9 if len(w) > 9 else 0]:.3g}, last ({doc['times'][-1]:g} ms): {w[-1]:.3g}, max {max(w):.3g}")
    print(f"total {time.perf_counter() - total:.1f} s")
    if failed:
        print("failed:", json.dumps(failed, indent=1))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
