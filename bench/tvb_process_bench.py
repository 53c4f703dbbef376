#!/usr/bin/env python3
"""Whole process, as a user meets it: TVB (tvb-library 2.10.0) against Plexus, side by side.

The case (the issue's): Generic2dOscillator on tvb-data's connectivity_76, Linear(a=0.0152),
HeunDeterministic dt = 1/16 ms, delays at 3 mm/ms, TemporalAverage(1 ms), 10 s, constant initial
history V = 0.1 sin(i), W = 0.

  TVB     a fresh `python -c` that imports tvb, loads connectivity_76 from tvb-data, configures
          the simulator, runs it and saves the temporal averages with numpy.save (times and
          data): the whole process, start to exit.
  Plexus  `plexus run <yaml> --no-report --quiet` (examples/tvb76_tavg_10s.yaml, monitor files
          as .npy), the whole process, start to exit; also the same with CSV output and with the
          report (a user's default `plexus run`).

Each repetition runs TVB, then each Plexus variant, one after the other, each in its own process.
Wall time comes from the parent's clock, CPU time (user + system) from os.wait4. The load
average is read before and after every process. The script prints the medians and the ratio
TVB / Plexus of the medians, compares the outputs (largest difference of the temporal averages
and of their times) and writes everything to a JSON file.

usage: python3 bench/tvb_process_bench.py [--reps 5] [--tvb-python PY] [--plexus BIN] [--no-build]
                                          [--variants npy csv npy_report] [--json bench/results/tvb_process_bench.json]
Run from the repository root. Without --tvb-python the script uses bench/.venv-tvb (see tvb_bench.py).
The Plexus runs find tvb-data the way a user's do (PLEXUS_TVB_DATA is not set unless
--tvb-data-env is given): the first run asks python3 once and caches its answer.
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))
from tvb_bench import ensure_venv  # noqa: E402

YAML = ROOT / "examples" / "tvb76_tavg_10s.yaml"

# What a TVB user writes: the tutorial's calls, nothing timed inside.
TVB_SCRIPT = r'''
import sys
import numpy as np
from tvb.simulator.lab import connectivity, coupling, integrators, models, monitors, simulator
conn = connectivity.Connectivity.from_file("connectivity_76.zip")
conn.speed = np.array([3.0])
sim = simulator.Simulator(model=models.Generic2dOscillator(), connectivity=conn,
                          coupling=coupling.Linear(a=np.array([0.0152])),
                          integrator=integrators.HeunDeterministic(dt=2.0 ** -4),
                          monitors=(monitors.TemporalAverage(period=1.0),), simulation_length=10000.0)
sim.configure()
ic = np.zeros(sim.good_history_shape)
ic[:, 0, :, 0] = 0.1 * np.sin(np.arange(conn.number_of_regions))[None, :]
sim.initial_conditions = ic
sim.configure()
sim.current_step = 0
(t, y), = sim.run()
np.save(sys.argv[1] + "/tavg_time.npy", t)
np.save(sys.argv[1] + "/tavg.npy", y)
'''


def loadavg():
    try:
        return [float(x) for x in open("/proc/loadavg").read().split()[:3]]
    except OSError:
        return None


def timed(cmd, env=None, cwd=None):
    """Runs cmd; returns wall s, CPU s (user + system, from wait4), the load before and after."""
    before = loadavg()
    t0 = time.perf_counter()
    p = subprocess.Popen(cmd, env=env, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    # wait4 gives this child's own rusage; read the pipes after (they are small).
    _, status, ru = os.wait4(p.pid, 0)
    wall = time.perf_counter() - t0
    out, err = p.stdout.read(), p.stderr.read()
    p.stdout.close(); p.stderr.close()
    p.returncode = os.waitstatus_to_exitcode(status)
    if p.returncode != 0:
        sys.exit(f"failed ({p.returncode}): {' '.join(cmd)}\n{err.decode()[-3000:]}")
    return {"wall_s": wall, "cpu_s": ru.ru_utime + ru.ru_stime, "user_s": ru.ru_utime, "sys_s": ru.ru_stime,
            "max_rss_mb": ru.ru_maxrss / 1024, "loadavg_before": before, "loadavg_after": loadavg()}


def variant_yaml(folder, fmt):
    """examples/tvb76_tavg_10s.yaml with its output format (and absolute initial-history path)."""
    text = YAML.read_text().replace("data/tvb76_initial_V.csv", str(ROOT / "examples" / "data" / "tvb76_initial_V.csv"))
    text = text.replace("output: {format: npy}", f"output: {{format: {fmt}}}")
    p = Path(folder) / f"tvb76_tavg_10s_{fmt}.yaml"
    p.write_text(text)
    return str(p)


def med(rows, key):
    return statistics.median(r[key] for r in rows)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--reps", type=int, default=5)
    ap.add_argument("--tvb-python")
    ap.add_argument("--plexus", default=str(ROOT / ".build" / "release" / "plexus"))
    ap.add_argument("--no-build", action="store_true")
    ap.add_argument("--no-tvb", action="store_true", help="Plexus only (no ratio)")
    ap.add_argument("--variants", nargs="+", default=["npy", "csv", "npy_report"],
                    help="npy: --no-report, .npy monitor; csv: --no-report, CSV; npy_report / csv_report: with report.html")
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--tvb-data-env", action="store_true", help="set PLEXUS_TVB_DATA for Plexus (no Python look-up at all)")
    ap.add_argument("--json", default=str(ROOT / "bench" / "results" / "tvb_process_bench.json"))
    a = ap.parse_args()
    import numpy as np

    if not a.no_build:
        print("building plexus (release) ...", flush=True)
        subprocess.run(["swift", "build", "-c", "release", "--product", "plexus"], cwd=ROOT, check=True, stdout=subprocess.DEVNULL)
    py = ensure_venv(a.tvb_python)
    tvb_env = dict(os.environ, OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1", MKL_NUM_THREADS="1")
    tvb_env.pop("PLEXUS_TVB_DATA", None)
    px_env = dict(os.environ)
    px_env.pop("PLEXUS_TVB_DATA", None)
    if a.tvb_data_env:
        px_env["PLEXUS_TVB_DATA"] = subprocess.run([py, "-c", "import tvb_data,os;print(os.path.dirname(tvb_data.__file__))"],
                                                   capture_output=True, text=True, check=True).stdout.strip()
    results = {"case": "G2D + Linear(a=0.0152), connectivity_76, Heun dt=1/16 ms, speed 3 mm/ms, TemporalAverage 1 ms, 10 s",
               "machine": {"cpus": os.cpu_count(), "loadavg_start": loadavg()}, "tvb_python": py, "plexus": a.plexus,
               "threads": a.threads, "tvb": [], "plexus_runs": {v: [] for v in a.variants}}
    with tempfile.TemporaryDirectory() as tmp:
        yamls = {v: variant_yaml(tmp, v.split("_")[0]) for v in a.variants}
        # One untimed Plexus run first: it compiles the model kernel into the cache and looks up
        # tvb-data once, as a user's first run does (timed here, reported apart).
        first = timed([a.plexus, "run", yamls[a.variants[0]], "--out", f"{tmp}/first", "--no-report", "--quiet",
                       "--threads", str(a.threads)], env=px_env)
        results["plexus_first_run"] = first
        for rep in range(a.reps):
            if not a.no_tvb:
                out = Path(tmp) / f"tvb{rep}"
                out.mkdir()
                r = timed([py, "-c", TVB_SCRIPT, str(out)], env=tvb_env, cwd=tmp)
                results["tvb"].append(r)
                print(f"[{rep + 1}/{a.reps}] TVB    {r['wall_s']:7.3f} s wall {r['cpu_s']:7.3f} s cpu  load {r['loadavg_before'][0]:.2f}", flush=True)
            for v in a.variants:
                out = f"{tmp}/px_{v}_{rep}"
                cmd = [a.plexus, "run", yamls[v], "--out", out, "--quiet", "--threads", str(a.threads)]
                if not v.endswith("_report"):
                    cmd.append("--no-report")
                r = timed(cmd, env=px_env)
                prov = json.loads((Path(out) / "provenance.json").read_text())
                r["phases_s"] = {p["phase"]: p["seconds"] for p in prov["timings_s"]}
                results["plexus_runs"][v].append(r)
                print(f"[{rep + 1}/{a.reps}] Plexus {v:11} {r['wall_s']:7.3f} s wall {r['cpu_s']:7.3f} s cpu  load {r['loadavg_before'][0]:.2f}  "
                      + " ".join(f"{k} {x:.3f}" for k, x in r["phases_s"].items()), flush=True)
        # Outputs: the last repetition's temporal averages, TVB's against each Plexus variant's.
        checks = {}
        if not a.no_tvb:
            last = a.reps - 1
            t_tvb = np.load(Path(tmp) / f"tvb{last}" / "tavg_time.npy")
            y_tvb = np.load(Path(tmp) / f"tvb{last}" / "tavg.npy")[:, 0, :, 0]
            for v in a.variants:
                folder = Path(tmp) / f"px_{v}_{last}"
                if (folder / "tavg.npy").exists():
                    table = np.load(folder / "tavg.npy")
                else:
                    table = np.loadtxt(folder / "tavg.csv", delimiter=",", skiprows=1)
                checks[v] = {"samples_tvb": int(len(t_tvb)), "samples_plexus": int(table.shape[0]),
                             "max_abs_diff_tavg_V": float(np.abs(table[:, 1:] - y_tvb).max()),
                             "max_abs_diff_times_ms": float(np.abs(table[:, 0] - t_tvb).max())}
        if "npy" in a.variants and "csv" in a.variants:
            last = a.reps - 1
            n = np.load(Path(tmp) / f"px_npy_{last}" / "tavg.npy")
            c = np.loadtxt(Path(tmp) / f"px_csv_{last}" / "tavg.csv", delimiter=",", skiprows=1)
            checks["npy_equals_csv"] = bool(np.array_equal(n, c))
        results["checks"] = checks
    results["machine"]["loadavg_end"] = loadavg()
    summary = {}
    if results["tvb"]:
        summary["tvb"] = {"wall_s": med(results["tvb"], "wall_s"), "cpu_s": med(results["tvb"], "cpu_s")}
    for v, rows in results["plexus_runs"].items():
        s = {"wall_s": med(rows, "wall_s"), "cpu_s": med(rows, "cpu_s"),
             "phases_s": {k: statistics.median(r["phases_s"][k] for r in rows) for k in rows[0]["phases_s"]}}
        if "tvb" in summary:
            s["ratio_wall"] = summary["tvb"]["wall_s"] / s["wall_s"]
            s["ratio_cpu"] = summary["tvb"]["cpu_s"] / s["cpu_s"]
        summary[v] = s
    results["median"] = summary
    print()
    print(f"medians of {a.reps} repetitions (load average {results['machine']['loadavg_start']} -> {results['machine']['loadavg_end']})")
    if "tvb" in summary:
        print(f"  TVB whole process         {summary['tvb']['wall_s']:8.3f} s wall {summary['tvb']['cpu_s']:8.3f} s cpu")
    for v in a.variants:
        s = summary[v]
        ratio = f"  ratio wall {s['ratio_wall']:6.1f}x  cpu {s['ratio_cpu']:6.1f}x" if "ratio_wall" in s else ""
        print(f"  Plexus {v:18} {s['wall_s']:8.3f} s wall {s['cpu_s']:8.3f} s cpu{ratio}")
    print(f"  Plexus first run (kernel cache and tvb-data look-up warm-up): {first['wall_s']:.3f} s wall")
    for k, c in results["checks"].items():
        print(f"  check {k}: {c}")
    Path(a.json).parent.mkdir(parents=True, exist_ok=True)
    Path(a.json).write_text(json.dumps(results, indent=2) + "\n")
    print(f"results in {a.json}")


if __name__ == "__main__":
    main()
