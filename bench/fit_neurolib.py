#!/usr/bin/env python3
"""neurolib 0.6.2's evolutionary Hopf fit on the gw subjects against `plexus fit`, side by side.

The case ("neurolib's Hopf fit on the gw subjects"):
  data     Dataset("gw") (normalizeCmats="max", subcortical=False: 80 regions, 5 subjects):
           Cmat = ds.Cmat, Dmat = ds.Dmat, empirical FCs = ds.FCs
  model    HopfModel(Cmat=ds.Cmat, Dmat=ds.Dmat, seed=SEED): dt 0.1 ms, signalV 20, w 0.2, tau_ou 5,
           diffusive coupling, sigma_ou 0.14, duration --duration-ms (default: the Plexus experiment's
           `duration`, else 150 s = 75 BOLD samples, 70 after dropping 5); BOLD = neurolib's BOLDModel on (x+1)*4, one sample every 2 s
  fitness  mean over the 5 subjects of func.matrix_correlation(func.fc(model.BOLD.BOLD[:, 5:]), fc)
           (neurolib README's whole-brain example score)
  search   neurolib's Evolution (algorithm "adaptive"), ParameterSpace K_gl in [0, 2], a in [-0.5, 0.2],
           POP_INIT_SIZE --pop-init, POP_SIZE --pop, NGEN --generations, ncores --ncores.
           neurolib's NGEN counts the initial population as generation 0 and then runs NGEN-1 more
           (range(1, NGEN)): evaluations = pop_init + (NGEN-1) * pop (+ one fresh random individual per
           invalid = NaN one). --generations 1 evaluates the initial population only.

--mode one-piece (default) runs each evaluation as `model.run(bold=True)` (the README's whole-brain
example). --mode chunkwise runs `model.run(chunkwise=True, bold=True)` (neurolib's evolution notebooks,
chunks of 2 s). Both give the same BOLD sampling (input columns 1, 20001, 40001, ...), but chunkwise
re-seeds numpy with params.seed at every chunk, so the OU noise repeats every 2 s, the network settles
onto a 2-s-periodic orbit and BOLD sampled every 2 s becomes constant after ~40 s (consecutive samples
differ by 1e-14 after 80 s): the chunkwise FC measures the BOLD start transient. One-piece needs
~5 GB of memory per evaluation at 150 s (neurolib keeps x, y, the noise and the full-rate BOLD).

Measured here (2 cores, numba warm, one process on an idle core): one 150-s evaluation takes 32 s
one-piece (CPU 29-32 s), 26 s chunkwise; with --ncores 2 next to a compiler the wall doubles.

Every evaluation is timed by wrapping the evaluation function (pypet runs each one in a forked
process; the wrapper appends a JSON line to a log file): wall seconds since evolution.run() started
when it finished, its own seconds, the fitness and K_gl, a. numba's kernels are compiled in the parent
on a throw-away model before the evolution starts (the forked evaluations inherit them); that warm-up,
the dataset load and Evolution's set-up are reported as setup time, outside the curve.

Plexus side: `plexus fit <experiment> --out <dir> --threads T` (binary --plexus, default
.build/release/plexus; experiment --experiment, default bench/neurolib_hopf_fit.yaml or else
examples/neurolib/hopf_fit.yaml; its search budget is the YAML's `fit:` block; extra
arguments with --plexus-args "..."), then <dir>/evaluations.csv (columns evaluation, generation,
<parameter key paths...>, fitness, error, <terms>) and evaluation_times.csv (evaluation, seconds,
wall). Skipped with a message when the binary or
the experiment is missing.

Prints each side's best-so-far fitness against wall time side by side, the wall-time ratio
(neurolib / Plexus) and whether Plexus's best >= neurolib's best; --json FILE writes everything,
--plot FILE a PNG (matplotlib, Agg).

usage (from the repository root; re-executes itself with --neurolib-python when this Python has no
neurolib):
  python3 bench/fit_neurolib.py --pop-init 16 --pop 8 --generations 4 --json bench/results/fit_neurolib.json
  python3 bench/fit_neurolib.py --skip-plexus --pop-init 8 --pop 4 --generations 2       # neurolib only
  python3 bench/fit_neurolib.py --neurolib-from bench/results/fit_neurolib.json          # reuse neurolib's run
"""
import argparse
import csv
import json
import math
import os
import random
import resource
import shlex
import shutil
import subprocess
import sys
import tempfile
import time

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
NEUROLIB_PYTHON = "/opt/nlvenv/bin/python"
BOLD_DROP = 5
DEFAULT_EXPERIMENTS = ["bench/neurolib_hopf_fit.yaml", "examples/neurolib/hopf_fit.yaml"]


def rusage_cpu(who):
    r = resource.getrusage(who)
    return r.ru_utime + r.ru_stime


def finite(v):
    return v is not None and isinstance(v, (int, float)) and math.isfinite(v)


# ----------------------------------------------------------------------------------------------------
# neurolib side


def numpy2_aliases(np):
    """pypet 0.6.1 (neurolib's Evolution) names numpy 1 aliases that numpy 2 removed; put them back."""
    for old, new in (("string_", "bytes_"), ("unicode_", "str_"), ("float_", "float64"), ("complex_", "complex128")):
        if old not in np.__dict__:
            setattr(np, old, getattr(np, new))


def run_neurolib(args):
    import logging

    logging.disable(logging.WARNING)  # pypet/neurolib log every run at INFO; BOLD warnings at WARN
    import numpy as np

    numpy2_aliases(np)
    import neurolib.utils.functions as func
    from neurolib.models.hopf import HopfModel
    from neurolib.optimize.evolution import Evolution
    from neurolib.utils.loadData import Dataset
    from neurolib.utils.parameterSpace import ParameterSpace

    chunkwise = args.mode == "chunkwise"
    t_start = time.time()
    cpu_self0, cpu_child0 = rusage_cpu(resource.RUSAGE_SELF), rusage_cpu(resource.RUSAGE_CHILDREN)
    work = tempfile.mkdtemp(prefix="fit_neurolib_")
    cwd = os.getcwd()
    os.chdir(work)  # pypet/neurolib write ./data/hdf/...; keep everything out of the repository
    try:
        ds = Dataset("gw")
        fcs = list(ds.FCs)

        def configure(m):
            m.params["sigma_ou"] = args.sigma_ou
            m.params["duration"] = float(args.duration_ms)
            return m

        # numba warm-up on a throw-away model: the evaluation model must not have run (a run leaves
        # xs_init/x_ou at its last state and a BOLD model that later runs append to)
        t_w = time.time()
        warm = configure(HopfModel(Cmat=ds.Cmat, Dmat=ds.Dmat, seed=args.seed))
        warm.params["duration"] = 2000.0
        warm.run(chunkwise=chunkwise, bold=True)
        warmup_s = time.time() - t_w
        del warm

        model = configure(HopfModel(Cmat=ds.Cmat, Dmat=ds.Dmat, seed=args.seed))
        # HopfModel's loadDefaultParams calls np.random.seed(seed); seed Evolution's RNGs after it
        np.random.seed(args.seed)
        random.seed(args.seed)

        log_path = os.path.join(work, "evaluations.jsonl")
        holder = {}

        def evaluate(traj):
            t_a = time.time()
            evo = holder["evolution"]
            ind = evo.getIndividualFromTraj(traj)
            m = evo.getModelFromTraj(traj)
            p = evo.individualToDict(ind)
            err = ""
            try:
                if chunkwise:
                    m.run(chunkwise=True, bold=True)
                else:
                    m.run(bold=True)
                bold = m.BOLD.BOLD
                scores = [func.matrix_correlation(func.fc(bold[:, BOLD_DROP:]), fc) for fc in fcs]
                fitness = float(np.mean(scores))
                n_bold = int(bold.shape[1])
            except Exception as e:  # noqa: BLE001 - record and give neurolib a NaN (invalid individual)
                fitness, n_bold, err = float("nan"), 0, repr(e)
            t_b = time.time()
            rec = {
                "id": int(ind.id),
                "generation": int(ind.gIdx),
                "K_gl": float(p["K_gl"]),
                "a": float(p["a"]),
                "fitness": fitness if math.isfinite(fitness) else None,
                "seconds": t_b - t_a,
                "t_end": t_b,
                "pid": os.getpid(),
                "process_cpu_s": rusage_cpu(resource.RUSAGE_SELF),
                "bold_samples": n_bold,
                "error": err,
            }
            with open(log_path, "a") as f:
                f.write(json.dumps(rec) + "\n")
            return (fitness,), {}

        pars = ParameterSpace(["K_gl", "a"], [[0.0, 2.0], [-0.5, 0.2]])
        evolution = Evolution(
            evaluate,
            pars,
            weightList=[1.0],
            model=model,
            filename=os.path.join(work, "evolution.hdf"),
            ncores=args.ncores,
            POP_INIT_SIZE=args.pop_init,
            POP_SIZE=args.pop,
            NGEN=args.generations,
        )
        holder["evolution"] = evolution
        setup_s = time.time() - t_start

        cpu_run0 = rusage_cpu(resource.RUSAGE_SELF) + rusage_cpu(resource.RUSAGE_CHILDREN)
        cpu_self_run0 = rusage_cpu(resource.RUSAGE_SELF)
        t_run0 = time.time()
        if args.generations <= 1:
            evolution.runInitial()
        else:
            evolution.run(verbose=False)
        t_run1 = time.time()
        cpu_run = rusage_cpu(resource.RUSAGE_SELF) + rusage_cpu(resource.RUSAGE_CHILDREN) - cpu_run0
        cpu_parent = rusage_cpu(resource.RUSAGE_SELF) - cpu_self_run0

        evals = []
        with open(log_path) as f:
            for line in f:
                evals.append(json.loads(line))
    finally:
        os.chdir(cwd)
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)

    evals.sort(key=lambda r: r["t_end"])
    for i, r in enumerate(evals, 1):
        r["evaluation"] = i
        r["wall"] = r.pop("t_end") - t_run0
    t_end = time.time()
    valid = [r for r in evals if finite(r["fitness"])]
    best = max(valid, key=lambda r: r["fitness"]) if valid else None
    secs = sorted(r["seconds"] for r in evals)
    return {
        "engine": "neurolib 0.6.2",
        "mode": args.mode,
        "duration_ms": args.duration_ms,
        "evaluations": evals,
        "n_evaluations": len(evals),
        "n_invalid": len(evals) - len(valid),
        "best_fitness": best["fitness"] if best else None,
        "best_params": {"K_gl": best["K_gl"], "a": best["a"]} if best else None,
        "fit_wall_s": t_run1 - t_run0,
        "last_evaluation_wall_s": evals[-1]["wall"] if evals else None,
        "fit_cpu_s": cpu_run,
        "fit_cpu_parent_s": cpu_parent,
        "setup_s": setup_s,
        "numba_warmup_s": warmup_s,
        "total_wall_s": t_end - t_start,
        "total_cpu_s": rusage_cpu(resource.RUSAGE_SELF) - cpu_self0 + rusage_cpu(resource.RUSAGE_CHILDREN) - cpu_child0,
        "evaluation_seconds_median": secs[len(secs) // 2] if secs else None,
        "evaluation_seconds_min": secs[0] if secs else None,
        "evaluation_seconds_max": secs[-1] if secs else None,
        "evaluation_cpu_s_median": sorted(r["process_cpu_s"] for r in evals)[len(evals) // 2] if evals else None,
        "bold_samples": evals[0]["bold_samples"] if evals else None,
        "pids": len({r["pid"] for r in evals}),
    }


# ----------------------------------------------------------------------------------------------------
# Plexus side


def parse_float(s):
    try:
        v = float(s)
    except (TypeError, ValueError):
        return None
    return v if math.isfinite(v) else None


def read_evaluations_csv(path):
    """evaluations.csv (evaluation, generation, <parameters>, fitness, error, <terms>) joined with
    evaluation_times.csv (evaluation, seconds, wall) beside it."""
    times = {}
    with open(os.path.join(os.path.dirname(path), "evaluation_times.csv"), newline="") as f:
        for d in csv.DictReader(f):
            times[int(d["evaluation"])] = (parse_float(d["seconds"]), parse_float(d["wall"]))
    with open(path, newline="") as f:
        reader = csv.reader(f)
        header = next(reader)
        need = ["evaluation", "generation", "fitness", "error"]
        missing = [c for c in need if c not in header]
        if missing:
            raise ValueError(f"{path}: missing columns {missing} (header {header})")
        i_gen, i_fit = header.index("generation"), header.index("fitness")
        pnames = header[i_gen + 1 : i_fit]
        rows = []
        for cells in reader:
            if not cells:
                continue
            d = dict(zip(header, cells))
            rows.append(
                {
                    "evaluation": int(d["evaluation"]),
                    "generation": int(d["generation"]),
                    "params": {p: parse_float(d[p]) for p in pnames},
                    "fitness": None if d.get("error") else parse_float(d["fitness"]),
                    "seconds": times.get(int(d["evaluation"]), (None, None))[0],
                    "wall": times.get(int(d["evaluation"]), (None, None))[1],
                    "error": d.get("error", ""),
                }
            )
    rows.sort(key=lambda r: (r["wall"] if r["wall"] is not None else float("inf"), r["evaluation"]))
    return pnames, rows


def run_plexus(args):
    binary = args.plexus if os.path.isabs(args.plexus) else os.path.join(ROOT, args.plexus)
    experiment = args.experiment if os.path.isabs(args.experiment) else os.path.join(ROOT, args.experiment)
    missing = [p for p in (binary, experiment) if not os.path.exists(p)]
    if missing:
        return {"skipped": "missing " + ", ".join(os.path.relpath(p, ROOT) for p in missing)}
    out = args.plexus_out or tempfile.mkdtemp(prefix="plexus_fit_")
    cmd = [binary, "fit", experiment, "--out", out, "--threads", str(args.threads)] + shlex.split(args.plexus_args)
    print("plexus:", " ".join(shlex.quote(c) for c in cmd), flush=True)
    cpu0 = rusage_cpu(resource.RUSAGE_CHILDREN)
    t0 = time.time()
    proc = subprocess.run(cmd, cwd=ROOT)
    wall = time.time() - t0
    cpu = rusage_cpu(resource.RUSAGE_CHILDREN) - cpu0
    csv_path = os.path.join(out, "evaluations.csv")
    if proc.returncode != 0 or not os.path.exists(csv_path):
        return {"skipped": f"plexus fit exited with {proc.returncode}" + ("" if os.path.exists(csv_path) else f"; no {csv_path}"),
                "command": cmd, "total_wall_s": wall}
    pnames, rows = read_evaluations_csv(csv_path)
    valid = [r for r in rows if r["fitness"] is not None]
    best = max(valid, key=lambda r: r["fitness"]) if valid else None
    secs = sorted(r["seconds"] for r in rows if r["seconds"] is not None)
    walls = [r["wall"] for r in rows if r["wall"] is not None]
    return {
        "engine": "plexus",
        "command": cmd,
        "out": out,
        "parameters": pnames,
        "evaluations": rows,
        "n_evaluations": len(rows),
        "n_invalid": len(rows) - len(valid),
        "best_fitness": best["fitness"] if best else None,
        "best_params": best["params"] if best else None,
        "last_evaluation_wall_s": max(walls) if walls else None,
        "total_wall_s": wall,
        "total_cpu_s": cpu,
        "evaluation_seconds_median": secs[len(secs) // 2] if secs else None,
    }


# ----------------------------------------------------------------------------------------------------
# reporting


def best_curve(rows):
    """[(wall, best-so-far fitness, fitness)] in completion order."""
    out, best = [], None
    for r in rows:
        f = r["fitness"]
        if finite(f) and (best is None or f > best):
            best = f
        out.append((r["wall"], best, f))
    return out


def fmt(v, spec):
    return format(v, spec) if finite(v) else "-"


def print_neurolib(nl):
    print(f"\nneurolib ({nl['mode']}, {nl['duration_ms'] / 1000:g} s simulated, {nl['bold_samples']} BOLD samples, "
          f"{nl['n_evaluations']} evaluations in {nl['pids']} processes)")
    print(f"  {'eval':>4} {'gen':>3} {'K_gl':>8} {'a':>8} {'fitness':>8} {'eval s':>7} {'wall s':>8} {'best':>8}")
    for (w, b, _), r in zip(best_curve(nl["evaluations"]), nl["evaluations"]):
        print(f"  {r['evaluation']:4d} {r['generation']:3d} {r['K_gl']:8.4f} {r['a']:8.4f} {fmt(r['fitness'], '8.4f')} "
              f"{r['seconds']:7.2f} {w:8.2f} {fmt(b, '8.4f')}{'  ' + r['error'] if r['error'] else ''}")
    bp = nl["best_params"] or {}
    print(f"  best fitness {fmt(nl['best_fitness'], '.4f')} at K_gl {fmt(bp.get('K_gl'), '.4f')}, a {fmt(bp.get('a'), '.4f')}")
    print(f"  evaluation seconds: median {nl['evaluation_seconds_median']:.2f} (min {nl['evaluation_seconds_min']:.2f}, "
          f"max {nl['evaluation_seconds_max']:.2f}); CPU seconds of an evaluation's process: median "
          f"{fmt(nl.get('evaluation_cpu_s_median'), '.2f')}")
    print(f"  fit wall {nl['fit_wall_s']:.1f} s (last evaluation at {nl['last_evaluation_wall_s']:.1f} s), fit CPU {nl['fit_cpu_s']:.1f} s; "
          f"setup {nl['setup_s']:.1f} s (numba warm-up {nl['numba_warmup_s']:.1f} s); total wall {nl['total_wall_s']:.1f} s, "
          f"total CPU {nl['total_cpu_s']:.1f} s")


def print_side_by_side(nl, px):
    a, b = best_curve(nl["evaluations"]), best_curve(px["evaluations"])
    print("\nbest-so-far fitness against wall time (each side's evaluations in completion order)")
    print(f"  {'eval':>4} | {'neurolib wall s':>15} {'best':>8} | {'plexus wall s':>13} {'best':>8}")
    for i in range(max(len(a), len(b))):
        left = f"{fmt(a[i][0], '15.2f')} {fmt(a[i][1], '8.4f')}" if i < len(a) else f"{'':15} {'':8}"
        right = f"{fmt(b[i][0], '13.2f')} {fmt(b[i][1], '8.4f')}" if i < len(b) else ""
        print(f"  {i + 1:4d} | {left} | {right}")


def compare(nl, px):
    c = {}
    if finite(nl.get("last_evaluation_wall_s")) and finite(px.get("last_evaluation_wall_s")) and px["last_evaluation_wall_s"] > 0:
        c["fit_wall_ratio_neurolib_over_plexus"] = nl["last_evaluation_wall_s"] / px["last_evaluation_wall_s"]
    if finite(nl.get("total_wall_s")) and finite(px.get("total_wall_s")) and px["total_wall_s"] > 0:
        c["total_wall_ratio_neurolib_over_plexus"] = nl["total_wall_s"] / px["total_wall_s"]
    if finite(nl.get("evaluation_seconds_median")) and finite(px.get("evaluation_seconds_median")) and px["evaluation_seconds_median"] > 0:
        c["evaluation_seconds_ratio_neurolib_over_plexus"] = nl["evaluation_seconds_median"] / px["evaluation_seconds_median"]
    if finite(nl.get("best_fitness")) and finite(px.get("best_fitness")):
        c["plexus_best_ge_neurolib_best"] = px["best_fitness"] >= nl["best_fitness"]
        c["best_fitness_difference_plexus_minus_neurolib"] = px["best_fitness"] - nl["best_fitness"]
        # when did each side first reach the other's final best?
        for name, me, other in (("plexus", px, nl), ("neurolib", nl, px)):
            target = other["best_fitness"]
            hit = next((w for w, bst, _ in best_curve(me["evaluations"]) if finite(bst) and bst >= target), None)
            c[f"{name}_wall_to_reach_other_best_s"] = hit
    return c


def print_comparison(nl, px, c):
    print("\ncomparison")
    print(f"  best fitness: neurolib {fmt(nl['best_fitness'], '.4f')} ({nl['n_evaluations']} evaluations), "
          f"plexus {fmt(px['best_fitness'], '.4f')} ({px['n_evaluations']} evaluations)")
    if "plexus_best_ge_neurolib_best" in c:
        print(f"  plexus best >= neurolib best: {'yes' if c['plexus_best_ge_neurolib_best'] else 'NO'} "
              f"(difference {c['best_fitness_difference_plexus_minus_neurolib']:+.4f})")
    if "fit_wall_ratio_neurolib_over_plexus" in c:
        print(f"  fit wall (last evaluation): neurolib {nl['last_evaluation_wall_s']:.1f} s, plexus {px['last_evaluation_wall_s']:.1f} s, "
              f"ratio neurolib/plexus {c['fit_wall_ratio_neurolib_over_plexus']:.2f}")
    if "total_wall_ratio_neurolib_over_plexus" in c:
        print(f"  end-to-end wall: neurolib {nl['total_wall_s']:.1f} s, plexus {px['total_wall_s']:.1f} s, "
              f"ratio {c['total_wall_ratio_neurolib_over_plexus']:.2f}")
    if "evaluation_seconds_ratio_neurolib_over_plexus" in c:
        print(f"  median seconds per evaluation (neurolib runs --ncores at once): neurolib {nl['evaluation_seconds_median']:.2f}, plexus {px['evaluation_seconds_median']:.2f}, "
              f"ratio {c['evaluation_seconds_ratio_neurolib_over_plexus']:.2f}")
    for name in ("plexus", "neurolib"):
        k = f"{name}_wall_to_reach_other_best_s"
        if k in c:
            print(f"  {name} reached the other's best at: {fmt(c[k], '.1f')} s" + ("" if finite(c[k]) else " (never)"))


def plot(path, nl, px):
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print(f"--plot: matplotlib is not importable in {sys.executable}; no plot")
        return
    fig, ax = plt.subplots(figsize=(7, 4.2))
    for side, color in ((nl, "C0"), (px, "C3")):
        if not side or not side.get("evaluations"):
            continue
        cur = [(w, b, f) for w, b, f in best_curve(side["evaluations"]) if w is not None]
        label = side["engine"] + (f" ({side['mode']})" if "mode" in side else "")
        ax.scatter([w for w, _, f in cur if finite(f)], [f for _, _, f in cur if finite(f)], s=10, color=color, alpha=0.35)
        pts = [(w, b) for w, b, _ in cur if finite(b)]
        if pts:
            ax.step([w for w, _ in pts], [b for _, b in pts], where="post", color=color, label=label)
    lasts = [s["evaluations"][-1]["wall"] for s in (nl, px) if s and s.get("evaluations") and finite(s["evaluations"][-1]["wall"])]
    if len(lasts) == 2 and max(lasts) > 10 * max(min(lasts), 1e-9):
        ax.set_xscale("log")
    ax.set_xlabel("wall time since the fit started (s)")
    ax.set_ylabel("fitness (mean FC correlation)")
    ax.set_title("Hopf fit on gw: best so far (line), each evaluation (dots)")
    ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    print(f"wrote {path}")


# ----------------------------------------------------------------------------------------------------


def experiment_duration_ms(path):
    """The top-level `duration:` of a Plexus experiment YAML in ms (a light parse: `duration: 60 s`), or None."""
    import re

    try:
        with open(path) as f:
            text = f.read()
    except OSError:
        return None
    m = re.search(r"^duration:\s*([0-9.eE+-]+)\s*(ms|s|min)?\s*(#.*)?$", text, re.M)
    if not m:
        return None
    return float(m.group(1)) * {"ms": 1.0, "s": 1000.0, "min": 60000.0, None: 1.0}[m.group(2)]


def importable(name):
    import importlib.util

    return importlib.util.find_spec(name) is not None


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--pop-init", type=int, default=16)
    ap.add_argument("--pop", type=int, default=8)
    ap.add_argument("--generations", type=int, default=4, help="neurolib's NGEN (initial population = generation 0)")
    ap.add_argument("--seed", type=int, default=42, help="HopfModel(seed=...) and Evolution's numpy/random seeds")
    ap.add_argument("--ncores", type=int, default=2, help="neurolib/pypet processes")
    ap.add_argument("--duration-ms", type=float, default=None,
                    help="simulated ms per evaluation (default: the experiment's `duration`, else 150000)")
    ap.add_argument("--sigma-ou", type=float, default=0.14)
    ap.add_argument("--mode", choices=["one-piece", "chunkwise"], default="one-piece")
    ap.add_argument("--neurolib-python", default=NEUROLIB_PYTHON)
    ap.add_argument("--skip-neurolib", action="store_true")
    ap.add_argument("--neurolib-from", metavar="JSON", help="reuse the neurolib side of an earlier --json file")
    ap.add_argument("--keep", action="store_true", help="keep neurolib's scratch folder (HDF, evaluation log)")
    ap.add_argument("--plexus", default=".build/release/plexus")
    ap.add_argument("--experiment", default=None,
                    help="default: the first of " + ", ".join(DEFAULT_EXPERIMENTS) + " that exists")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--plexus-out", help="output folder of plexus fit (default: a fresh temporary folder)")
    ap.add_argument("--plexus-args", default="", help="extra arguments for plexus fit")
    ap.add_argument("--skip-plexus", action="store_true")
    ap.add_argument("--json", metavar="FILE")
    ap.add_argument("--plot", metavar="FILE")
    args = ap.parse_args()

    if args.experiment is None:
        args.experiment = next((e for e in DEFAULT_EXPERIMENTS if os.path.exists(os.path.join(ROOT, e))), DEFAULT_EXPERIMENTS[0])
    exp_ms = experiment_duration_ms(args.experiment if os.path.isabs(args.experiment) else os.path.join(ROOT, args.experiment))
    if args.duration_ms is None:
        args.duration_ms = exp_ms if exp_ms else 150000.0
        print(f"duration {args.duration_ms / 1000:g} s per evaluation ({'from ' + args.experiment if exp_ms else 'default'})")
    elif exp_ms and abs(exp_ms - args.duration_ms) > 1e-6 and not args.skip_plexus:
        print(f"WARNING: --duration-ms {args.duration_ms:g} but {args.experiment} simulates {exp_ms:g} ms: the two sides differ")
    n_bold = math.ceil((args.duration_ms / 0.1 - 1) / 20000)
    if n_bold - BOLD_DROP < 60:
        print(f"note: {args.duration_ms / 1000:g} s gives {n_bold} BOLD samples, {max(n_bold - BOLD_DROP, 0)} after dropping {BOLD_DROP}")
    for k in ("pop_init", "pop"):
        if getattr(args, k) < 2 or getattr(args, k) % 2:
            ap.error(f"--{k.replace('_', '-')} must be even and >= 2 (neurolib asserts it)")
    if args.duration_ms % 2000:
        print(f"note: --duration-ms {args.duration_ms:g} is not a multiple of 2000 ms; neurolib's chunkwise BOLD stops appending then")

    need_neurolib = not args.skip_neurolib and not args.neurolib_from
    missing = [m for m, needed in (("neurolib", need_neurolib), ("matplotlib", bool(args.plot))) if needed and not importable(m)]
    if missing:
        py = args.neurolib_python
        # a venv's python is a symlink to the base interpreter: compare nothing, guard with the environment
        if os.path.exists(py) and not os.environ.get("FIT_NEUROLIB_REEXEC"):
            os.environ["FIT_NEUROLIB_REEXEC"] = "1"
            os.execv(py, [py, os.path.abspath(__file__)] + sys.argv[1:])
        if "neurolib" in missing:
            sys.exit(f"neurolib is not importable in {sys.executable} (--neurolib-python {py})")

    result = {"config": {k: v for k, v in vars(args).items()}, "host": {"cpus": os.cpu_count(), "loadavg_before": os.getloadavg()}}
    nl = None
    if args.neurolib_from:
        with open(args.neurolib_from) as f:
            nl = json.load(f)["neurolib"]
        print(f"neurolib side from {args.neurolib_from}")
        if exp_ms and abs(nl.get("duration_ms", exp_ms) - exp_ms) > 1e-6 and not args.skip_plexus:
            print(f"WARNING: that neurolib run simulated {nl['duration_ms']:g} ms per evaluation, {args.experiment} {exp_ms:g} ms")
    elif need_neurolib:
        n_expected = args.pop_init + max(args.generations - 1, 0) * args.pop
        print(f"neurolib: Evolution POP_INIT_SIZE {args.pop_init}, POP_SIZE {args.pop}, NGEN {args.generations} "
              f"(~{n_expected} evaluations), ncores {args.ncores}, mode {args.mode}, {args.duration_ms / 1000:g} s each", flush=True)
        nl = run_neurolib(args)
    if nl:
        print_neurolib(nl)
        result["neurolib"] = nl

    px = None
    if args.skip_plexus:
        print("\nPlexus side skipped (--skip-plexus)")
    else:
        px = run_plexus(args)
        if "skipped" in px:
            print(f"\nPlexus side skipped: {px['skipped']} (set --plexus BINARY / --experiment YAML; "
                  "the binary comes from `swift build -c release`)")
        result["plexus"] = px
        if "skipped" in px:
            px = None
    if nl and px:
        print_side_by_side(nl, px)
        c = compare(nl, px)
        print_comparison(nl, px, c)
        result["comparison"] = c
    elif px:
        b = best_curve(px["evaluations"])
        print(f"\nplexus: {px['n_evaluations']} evaluations, best {fmt(px['best_fitness'], '.4f')} at {px['best_params']}, "
              f"last at {fmt(px['last_evaluation_wall_s'], '.1f')} s; best-so-far: "
              + ", ".join(f"{fmt(w, '.1f')}s:{fmt(v, '.4f')}" for w, v, _ in b))

    result["host"]["loadavg_after"] = os.getloadavg()
    if args.json:
        os.makedirs(os.path.dirname(os.path.abspath(args.json)), exist_ok=True)
        with open(args.json, "w") as f:
            json.dump(result, f, indent=1)
        print(f"wrote {args.json}")
    if args.plot:
        plot(args.plot, nl, px)
    return 0


if __name__ == "__main__":
    sys.exit(main())
