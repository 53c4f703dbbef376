#!/usr/bin/env python3
"""Checks `.rate` descriptions (docs/rate-models.md) against TVB 2.10's own model classes.

For each file: the declared parameters (names, defaults, ranges), state variables (names, ranges,
boundaries), coupling variables and variables of interest against TVB's class, and the
derivatives, evaluated with numpy from the file's expressions, against TVB's `dfun` on random
states, couplings and non-default parameters (several draws). Prints one line per model and
exits 1 if anything differs.

    /opt/tvbvenv/bin/python tools/tvb_reference/check_rate_models.py Sources/PlexusMass/Models/*.rate
"""
import os
import sys
import warnings

# numpy's AVX2/AVX-512 loops for exp, log, pow, tanh, atan2, ... differ from the C library's in the last bit;
# TVB's numba kernels and the generated C call the C library, and so does numpy without them (before numpy loads).
os.environ.setdefault("NPY_DISABLE_CPU_FEATURES", "X86_V4 AVX512_ICL X86_V3")
warnings.filterwarnings("ignore")
import numpy as np
import scipy.special
import yaml
import tvb.simulator.models as tvb_models

NAMESPACE = {f: getattr(np, f) for f in
             "exp log log10 sqrt sin cos tan arcsin arccos arctan arctan2 hypot sinh cosh tanh abs sign power minimum maximum where".split()}
NAMESPACE.update(local=lambda x: 0.0 * x)  # TVB region simulations: local_coupling = 0.0
NAMESPACE.update(erf=scipy.special.erf, erfc=scipy.special.erfc, pi=np.pi)


def fma(a, b, c):
    """C's fma: a*b + c rounded once (exactly, through fractions; numpy has none)."""
    from fractions import Fraction
    a, b, c = np.broadcast_arrays(*(np.asarray(v, dtype=float) for v in (a, b, c)))
    out = np.array(a * b + c, dtype=float)
    for i in np.ndindex(out.shape):
        if np.isfinite(a[i]) and np.isfinite(b[i]) and np.isfinite(c[i]):
            out[i] = float(Fraction(float(a[i])) * Fraction(float(b[i])) + Fraction(float(c[i])))
    return out if out.ndim else float(out)


NAMESPACE["fma"] = fma

# The outputs of each `derived:` function (Sources/PlexusModel/Rate/DerivedParameters.swift): TVB's
# attributes of the same names, which configure() computes (update_derived_parameters).
DERIVED = {
    "ReducedSetFitzHughNagumo": "Aik Bik Cik e_i f_i IE_i II_i m_i n_i".split(),
    "ReducedSetHindmarshRose": "A_ik B_ik C_ik a_i b_i c_i d_i e_i f_i h_i p_i IE_i II_i m_i n_i".split(),
}


def tvb_bounds(m, name):
    b = (m.state_variable_boundaries or {}).get(name)
    if b is None:
        return None
    # configure() replaces an open side (inf) by the largest double, in the class's declared
    # dict too; the class declares inf.
    big = np.finfo(float).max
    return [np.inf if x >= big else -np.inf if x <= -big else float(x) for x in b]


def integer_parameters(cls, params):
    """The file's parameters that TVB declares with an integer or boolean dtype (discrete: switches)."""
    def discrete(p):
        t = np.dtype(getattr(getattr(cls, p, None), "dtype", float))
        return np.issubdtype(t, np.integer) or t == np.bool_
    return [p for p in params if discrete(p)]


def tvb_cvars(cls, params, ints):
    """TVB's cvar for every combination of the integer parameters' values (a discrete
    parameter may switch dfun and cvar in configure(), as Hopfield's `dynamic` does)."""
    import itertools
    out = []
    ranges = [range(int(float(params[p]["range"][0])), int(float(params[p]["range"][1])) + 1) for p in ints]
    # a count (Zerlaut's N_tot, K_ext_e: thousands of values) is no switch: its default only
    ranges = [r if len(r) <= 16 else [int(float(params[p]["default"]))] for p, r in zip(ints, ranges)]
    for combo in itertools.product(*ranges):
        m = cls()
        for p, v in zip(ints, combo):
            setattr(m, p, np.array([v], dtype=getattr(cls, p).dtype))
        m.configure()
        out.append([int(c) for c in m.cvar])
    return out


def modes_of(cls):
    """TVB's number_of_modes (3 for the ReducedSet models, whose modes the files expand into
    state variables <v>_0, <v>_1, <v>_2: TVB's state[v, node, mode])."""
    return int(getattr(cls, "number_of_modes", 1))


def expand(names, modes):
    return list(names) if modes == 1 else [f"{v}_{k}" for v in names for k in range(modes)]


def check(path, draws=5, n=16, rel=1e-12):
    d = yaml.safe_load(open(path))
    problems = []
    name = d["model"]
    cls = getattr(tvb_models, name)
    m = cls()
    m.configure()
    modes = modes_of(cls)
    params = d.get("parameters", {})
    # Declarations against TVB's.
    for p, spec in params.items():
        attr = getattr(cls, p, None)
        if attr is None or not hasattr(attr, "default"):
            problems.append(f"parameter {p}: TVB's {name} has none")
            continue
        default = np.asarray(attr.default, dtype=float).ravel()
        mine = np.asarray(spec["default"], dtype=float).ravel()
        if default.shape != mine.shape or not np.array_equal(default, mine):
            problems.append(f"parameter {p}: default {spec['default']} vs TVB {attr.default}")
        dom = getattr(attr, "domain", None)
        if dom is not None and "range" in spec and [float(dom.lo), float(dom.hi)] != [float(x) for x in spec["range"]]:
            problems.append(f"parameter {p}: range {spec['range']} vs TVB [{dom.lo}, {dom.hi}]")
    state = d["state"]
    if list(state) != expand(m.state_variables, modes):
        problems.append(f"state {list(state)} vs TVB {expand(m.state_variables, modes)}")
    base = {s: (s.rsplit("_", 1)[0] if modes > 1 else s) for s in state}
    for s, spec in state.items():
        r = m.state_variable_range.get(base[s])
        if r is not None and [float(x) for x in spec["range"]] != [float(x) for x in r]:
            problems.append(f"state {s}: range {spec['range']} vs TVB {list(r)}")
        b = spec.get("boundaries")
        b = None if b is None else [float(x) for x in b]
        if b != tvb_bounds(m, base[s]):
            problems.append(f"state {s}: boundaries {b} vs TVB {tvb_bounds(m, base[s])}")
    cvar = [list(state).index(c) for c in d["coupling"]]
    if modes > 1:  # each TVB cvar's modes, in order
        cvars_tvb = [int(c) * modes + k for c in m.cvar for k in range(modes)]
        if cvar != cvars_tvb:
            problems.append(f"coupling {d['coupling']} vs TVB cvar {[int(c) for c in m.cvar]} (times {modes} modes)")
        cvar_modes = cvar
        cvar = [int(c) for c in m.cvar]
    ints = integer_parameters(cls, params)
    cvars = tvb_cvars(cls, params, ints) if ints else [[int(c) for c in m.cvar]]
    if modes == 1 and cvar not in cvars:
        problems.append(f"coupling {d['coupling']} vs TVB cvar {cvars[0] if len(cvars) == 1 else cvars}")
    if list(d["variables_of_interest"]) != expand(m.variables_of_interest, modes):
        problems.append(f"variables_of_interest {d['variables_of_interest']} vs TVB {expand(m.variables_of_interest, modes)}")
    # Derivatives against TVB's dfun.
    rng = np.random.default_rng(20261202)
    worst = 0.0
    for draw in range(draws):
        values = {}
        m = cls()  # fresh: configure() may rebind dfun (Hopfield)
        for p, spec in params.items():
            if spec.get("derived"):
                continue
            if isinstance(spec["default"], list):  # a TVB default of several values (P_e[k]), each scaled
                values[p] = np.asarray(spec["default"], dtype=float)
                if draw > 0:
                    values[p] = values[p] * rng.uniform(0.5, 1.5, values[p].shape)
                setattr(m, p, values[p].copy())
                continue
            v = float(spec["default"])
            if draw > 0 and "range" not in spec and p not in ints:  # no TVB domain: scale the default
                v = v * rng.uniform(0.5, 1.5) if v != 0 else rng.uniform(0.0, 1.0)
            if draw > 0 and "range" in spec:
                lo, hi = (float(x) for x in spec["range"])
                if p in ints:
                    v = float(rng.integers(int(lo), int(hi) + 1))
                else:
                    v = rng.uniform(lo, hi) if hi > lo else v
            values[p] = v
            setattr(m, p, np.array([v], dtype=getattr(cls, p).dtype) if p in ints else np.array([v]))
        m.configure()
        if modes > 1:
            # The derived coefficients (the file's `derived:` function) as TVB's configure() computed
            # them from these parameters, flattened row-major; the expanded variables as TVB's modes.
            for out in DERIVED[d["derived"]]:
                values[out] = np.asarray(getattr(m, out), dtype=float).ravel()
            xs = np.array([rng.uniform(*(float(v) for v in spec["range"]), n) for spec in state.values()])
            cs = rng.normal(0, 0.1, (len(cvar) * modes, n))
            ref = np.asarray(m.dfun(xs.reshape(-1, modes, n).transpose(0, 2, 1).copy(),
                                    cs.reshape(-1, modes, n).transpose(0, 2, 1).copy(), 0.0), dtype=float)
            ref = ref.transpose(0, 2, 1).reshape(len(state), n)
            ns = dict(NAMESPACE)
            ns.update(values)
            ns.update({s: xs[k] for k, s in enumerate(state)})
            ns.update({f"c_{k}": cs[k] for k in range(cs.shape[0])})
            with np.errstate(all="ignore"):
                mine = np.array([np.broadcast_to(eval(str(d["derivatives"][s]), {"__builtins__": {}}, ns), (n,)) for s in state])
            err = np.abs(mine - ref) / np.maximum(1e-300, np.abs(ref))
            worst = max(worst, float(np.nanmax(np.where(mine == ref, 0.0, err))))
            continue
        x = np.empty((len(state), n, 1))
        for k, (s, spec) in enumerate(state.items()):
            lo, hi = (float(v) for v in spec["range"])
            x[k, :, 0] = rng.uniform(lo, hi, n)
        c = rng.normal(0, 0.1, (len(cvar), n, 1))
        # TVB gets the coupling of its own cvar (fewer rows where a switch leaves some out).
        if not set(int(k) for k in m.cvar) <= set(cvar):
            problems.append(f"TVB couples {[int(k) for k in m.cvar]} with {values}; the file couples {cvar}")
            break
        rows = [cvar.index(int(k)) for k in m.cvar]
        ref = np.asarray(m.dfun(x.copy(), c[rows].copy(), 0.0), dtype=float).reshape(len(state), n)
        ns = dict(NAMESPACE)
        ns.update(values)
        ns.update({s: x[k, :, 0] for k, s in enumerate(state)})
        ns.update({f"c_{k}": c[k, :, 0] for k in range(c.shape[0])})
        with np.errstate(all="ignore"):
            for let, expr in (d.get("let") or {}).items():
                ns[let] = eval(str(expr), {"__builtins__": {}}, ns)
            mine = np.array([np.broadcast_to(eval(str(d["derivatives"][s]), {"__builtins__": {}}, ns), (n,)) for s in state])
        both_nan = np.isnan(mine) & np.isnan(ref)
        err = np.abs(mine - ref) / np.maximum(1e-300, np.abs(ref))
        err = np.where(both_nan | (mine == ref), 0.0, err)
        worst = max(worst, float(np.nanmax(np.where(np.isnan(err), np.inf, err))))
    if worst > rel:
        problems.append(f"dfun differs from TVB's: max relative error {worst:.3g}")
    return name, worst, problems


def main():
    failed = 0
    for path in sys.argv[1:]:
        try:
            name, worst, problems = check(path)
        except Exception as e:  # a broken file is a finding, not a crash of the whole check
            print(f"FAIL {path}: {type(e).__name__}: {e}")
            failed += 1
            continue
        status = "ok  " if not problems else "FAIL"
        failed += bool(problems)
        print(f"{status} {name}: dfun max relative error {worst:.3g}" + "".join(f"\n     - {p}" for p in problems))
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
