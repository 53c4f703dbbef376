"""TVB 2.10's own runs of its two 3-mode models, ReducedSetFitzHughNagumo and ReducedSetHindmarshRose
(tvb/simulator/models/stefanescu_jirsa.py), as test fixtures in the format of models.py.

The mass engine's descriptions (Sources/PlexusMass/Models/ReducedSet*.rate) keep TVB's 3 modes as
separate state variables, variable by variable: xi_0, xi_1, xi_2, eta_0, ... (TVB's state[v, node,
mode] is <v>_<mode>). The fixtures use those names, so that MassModelCatalogueTests reads them as it
reads models.py's: "state_variables", "initial", "states" and the dfun block are per expanded
variable; the dfun block's "coupling" has one row per (cvar, mode): xi_0, xi_1, xi_2, alpha_0,
alpha_1, alpha_2. As models.py otherwise: connectivity_76.zip (speed 3 mm/ms), non-default model and
Linear coupling parameters, HeunDeterministic, a constant initial history drawn with
numpy.random.default_rng(seed) uniformly within each state variable's range (one draw of 76 per
expanded variable, in order), the Raw monitor recording every state variable, 100 ms, decimated.

Also recorded, per fixture:
  * "derived": TVB's coefficients (Aik, ..., as configure() computes them from the parameters),
    each flattened row-major (a matrix's [j, k] at 3*j + k);
  * "derived_libm": the same computed by TVB in a subprocess with numpy's AVX-512 loops off
    (NPY_DISABLE_CPU_FEATURES, as check_rate_models.py), so numpy's exp and pow are the C library's:
    Plexus's derivation (Sources/PlexusModel/Rate/DerivedParameters.swift) must equal these bit for bit;
    "derived" differs from them where numpy's SVML exp (in norm.pdf) differs from the C library's.

Run: /opt/tvbvenv/bin/python tools/tvb_reference/reduced_set.py   (~10 s; deterministic)
"""
import bz2
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from models import (OUT, SPEED, TVB_VERSION, N_DFUN, all_state_vois, dump, kept_steps, load_conn,  # noqa: E402
                    make_coupling, make_model, model_param_names, to_json_value)
from tvb.simulator.lab import coupling, integrators, models, monitors, simulator  # noqa: E402

MODES = 3
CASES = {
    "ReducedSetFitzHughNagumo": dict(
        seed=7627, params=dict(tau=3.3, a=0.5, sigma=0.4, mu=0.1),
        coupling=("Linear", dict(a=0.0045, b=0.002)), dt=0.01, first=5, every=25.0,
        derived="Aik Bik Cik e_i f_i IE_i II_i m_i n_i".split(),
        notes="TVB's coupling is per mode; dfun adds coupling[0] (xi's) summed over the modes to dxi and "
              "dalpha; alpha's coupling (cvar 2) is unused. nu = nv = 1500 (class constants)."),
    "ReducedSetHindmarshRose": dict(
        seed=7628, params=dict(r=0.007, xo=-1.7, sigma=0.33, mu=3.0),
        coupling=("Linear", dict(a=0.0045, b=0.002)), dt=0.01, first=5, every=25.0,
        derived="A_ik B_ik C_ik a_i b_i c_i d_i e_i f_i h_i p_i IE_i II_i m_i n_i".split(),
        notes="corrected_d_p=True (TVB's default). TVB's coupling is per mode; dfun adds coupling[0] (xi's) "
              "summed over the modes to dxi and dalpha; alpha's coupling is unused. nu = nv = 1500."),
}


def expanded(names):
    return [f"{v}_{k}" for v in names for k in range(MODES)]


def derived_values(m, names):
    return {d: [float(x) for x in np.asarray(getattr(m, d), dtype=np.float64).ravel()] for d in names}


def derived_libm(name):
    """TVB's coefficients with numpy's AVX-512 loops off (a subprocess: the switch works before numpy loads)."""
    env = dict(os.environ, NPY_DISABLE_CPU_FEATURES="X86_V4 AVX512_ICL X86_V3")
    out = subprocess.run([sys.executable, __file__, "--derived", name], env=env, check=True, capture_output=True, text=True)
    return json.loads(out.stdout)


def run_case(name, cfg, conn):
    cls = getattr(models, name)
    dt, duration = float(cfg["dt"]), 100.0
    seed = int(cfg["seed"])
    cname, cparams = cfg["coupling"]
    m_rec = make_model(name, cfg["params"])
    m_rec.configure()
    defaults = cls()
    pnames = model_param_names(cls)
    params = {p: to_json_value(getattr(m_rec, p)) for p in pnames}
    changed = {p: {"default": to_json_value(getattr(defaults, p)), "value": params[p]} for p in cfg["params"]}
    base = list(m_rec.state_variables)
    svars = expanded(base)
    nvar = len(base)
    ranges = [(float(m_rec.state_variable_range[sv][0]), float(m_rec.state_variable_range[sv][1])) for sv in base]
    cpl = make_coupling(cname, cparams)
    cpl_rec = {p: to_json_value(getattr(cpl, p)) for p in model_param_names(getattr(coupling, cname))}

    # Initial history: per expanded variable (v, mode), 76 uniform draws, constant in time.
    rng = np.random.default_rng(seed)
    n = conn.number_of_regions
    init = np.array([rng.uniform(lo, hi, size=n) for lo, hi in ranges for _ in range(MODES)])  # (nvar*3, n)
    init4 = init.reshape(nvar, MODES, n).transpose(0, 2, 1)  # (nvar, n, modes)

    model = make_model(name, cfg["params"])
    sim = simulator.Simulator(model=model, connectivity=conn, coupling=cpl,
                              integrator=integrators.HeunDeterministic(dt=dt),
                              monitors=(monitors.Raw(),), simulation_length=duration)
    sim.configure()
    ic = np.zeros(sim.good_history_shape)
    assert ic.shape[1:] == (nvar, n, MODES), ic.shape
    ic[:] = init4[None]
    sim.initial_conditions = ic
    sim.configure()
    horizon = int(sim.good_history_shape[0])
    sim.current_step = 0
    n_steps = int(round(duration / dt))
    keep = kept_steps(n_steps, dt, int(cfg["first"]), float(cfg["every"]))
    keep_set = set(keep)
    times, states, steps = [], [], []
    k = 0
    for (t, y), in sim(n_steps=np.int64(n_steps)):
        k += 1
        assert t == k * dt, (name, k, t)
        if not np.all(np.isfinite(y)):
            raise FloatingPointError(f"{name}: non-finite state at step {k} (t={t})")
        if k in keep_set:
            assert y.shape == (nvar, n, MODES)
            steps.append(k)
            times.append(float(t))
            states.append(np.array(y, dtype=np.float64).transpose(0, 2, 1).reshape(nvar * MODES, n))
    assert k == n_steps and steps == keep
    states = np.array(states)

    # dfun on a fresh model: 8 random states per expanded variable, coupling normal(0, 0.1) per (cvar, mode).
    m_d = make_model(name, cfg["params"])
    m_d.configure()
    drng = np.random.default_rng(seed + 100000)
    dstate = np.array([drng.uniform(lo, hi, size=N_DFUN) for lo, hi in ranges for _ in range(MODES)])
    ncvar = len(m_d.cvar)
    dcoup = drng.normal(0.0, 0.1, size=(ncvar * MODES, N_DFUN))
    x4 = dstate.reshape(nvar, MODES, N_DFUN).transpose(0, 2, 1).copy()
    c4 = dcoup.reshape(ncvar, MODES, N_DFUN).transpose(0, 2, 1).copy()
    deriv = np.asarray(m_d.dfun(x4, c4, 0.0), dtype=np.float64).transpose(0, 2, 1).reshape(nvar * MODES, N_DFUN)
    assert np.all(np.isfinite(deriv)), name

    doc = {
        "model": name, "tvb": TVB_VERSION, "connectivity": "connectivity_76.zip", "speed": SPEED,
        "params": params, "changed": changed, "coupling": {"name": cname, "params": cpl_rec},
        "cvar": [int(i) for i in m_rec.cvar], "modes": MODES,
        "integrator": {"name": "HeunDeterministic", "dt": dt}, "duration": duration, "n_steps": n_steps,
        "horizon": horizon, "seed": seed, "state_variables": svars,
        "state_variable_range": {sv: list(ranges[i // MODES]) for i, sv in enumerate(svars)},
        "state_variable_boundaries": {},
        "initial": {sv: init[i].tolist() for i, sv in enumerate(svars)},
        "steps": steps, "times": times,
        "states": {sv: states[:, i, :].tolist() for i, sv in enumerate(svars)},
        "notes": cfg.get("notes", ""),
        "derived": derived_values(m_rec, cfg["derived"]),
        "derived_libm": derived_libm(name),
        "dfun": {
            "seed": seed + 100000,
            "state": {sv: dstate[i].tolist() for i, sv in enumerate(svars)},
            "coupling": dcoup.tolist(),
            "derivative": {sv: deriv[i].tolist() for i, sv in enumerate(svars)},
        },
    }
    return doc


def main(argv):
    if argv[:1] == ["--derived"]:
        name = argv[1]
        m = make_model(name, CASES[name]["params"])
        m.configure()
        print(json.dumps(derived_values(m, CASES[name]["derived"])))
        return 0
    names = [a for a in argv if not a.startswith("--")] or list(CASES)
    conn = load_conn()
    for name in names:
        t0 = time.perf_counter()
        doc = run_case(name, CASES[name], conn)
        text = dump(doc)
        (OUT / f"{name}.json.bz2").write_bytes(bz2.compress(text.encode(), 9))
        same = sum(a == b for d in doc["derived"] for a, b in zip(doc["derived"][d], doc["derived_libm"][d]))
        total = sum(len(v) for v in doc["derived"].values())
        print(f"{name}: {len(text) / 1024:.0f} KB, {len(doc['times'])} samples, {time.perf_counter() - t0:.1f} s; "
              f"derived coefficients equal with and without numpy's AVX-512 loops: {same} of {total}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
