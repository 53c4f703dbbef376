#!/usr/bin/env python3
"""Plexus's neural-mass engine against The Virtual Brain (tvb-library 2.10.0), side by side.

Cases (the issue's benchmark; the TVB side is the reference Python/numpy simulator loop):
  g2d76   Generic2dOscillator + Linear(a=0.0152), HeunDeterministic dt=1/16 ms, delays at 3 mm/ms,
          TemporalAverage(1 ms), tvb-data's connectivity_76, 10 s.
  syn700  the same model on a seeded synthetic 700-region connectome, 27 % dense (132,000
          coupling terms), 1 s. Built with numpy exactly as ../shared/peers/tvb/timing_tvb.py builds
          it, written to a TVB zip that both simulators read.
  sweep   64 points (coupling a x speed, 8 x 8) of the 76-region model, 10 s each, on all cores
          (`plexus sweep`); TVB's time is estimated as 64 x its g2d76 run (it has no sweep runner).
Each case runs TVB, then Plexus, one after the other in separate processes, and prints wall times
and ratios (TVB / Plexus). Both start from the same constant history (V = 0.1 sin(i), W = 0), and
the script reports the largest difference between their temporal averages as a sanity check.

usage: python3 bench/tvb_bench.py [--cases g2d76 syn700 sweep] [--threads 1 2] [--tvb-python PY]
                                  [--no-build] [--json bench/results/tvb_bench.json]
Without --tvb-python the script uses bench/.venv-tvb (created with pip install tvb-library==2.10.0
tvb-data==3.0.0 when missing). Run from the repository root.
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from provenance import table  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
VENV = ROOT / "bench" / ".venv-tvb"
SCRATCH = ".build-mass"

TVB_CODE = r'''
import json, sys, time, warnings, logging
warnings.filterwarnings("ignore")
import numpy as np
for n in ("tvb", "tvb.simulator", "tvb.basic", "tvb.datatypes"):
    logging.getLogger(n).setLevel(logging.ERROR)
from tvb.simulator.lab import connectivity, coupling, integrators, models, monitors, simulator
for n in ("tvb", "tvb.simulator", "tvb.basic", "tvb.datatypes"):
    logging.getLogger(n).setLevel(logging.ERROR)
args = json.loads(sys.argv[1])
if args["zip"]:
    conn = connectivity.Connectivity.from_file(args["zip"])
else:
    conn = connectivity.Connectivity.from_file("connectivity_76.zip")
conn.speed = np.array([3.0])
conn.configure()
n = conn.number_of_regions
sim = simulator.Simulator(model=models.Generic2dOscillator(), connectivity=conn,
                          coupling=coupling.Linear(a=np.array([0.0152])),
                          integrator=integrators.HeunDeterministic(dt=2.0 ** -4),
                          monitors=(monitors.TemporalAverage(period=1.0),), simulation_length=args["ms"])
t0 = time.perf_counter()
sim.configure()
ic = np.zeros(sim.good_history_shape)
ic[:, 0, :, 0] = 0.1 * np.sin(np.arange(n))[None, :]
sim.initial_conditions = ic
sim.configure()
sim.current_step = 0
tc = time.perf_counter() - t0
w0, c0 = time.perf_counter(), time.process_time()
(t, y), = sim.run()
wall, cpu = time.perf_counter() - w0, time.process_time() - c0
np.save(args["out"], y[:, 0, :, 0])
print(json.dumps({"configure_s": tc, "run_wall_s": wall, "run_cpu_s": cpu, "regions": int(n),
                  "nonzero_weights": int(np.count_nonzero(conn.weights)), "horizon": int(conn.horizon)}))
'''


def synthetic_conn(n, density, seed=0):
    """../shared/peers/tvb/timing_tvb.py's synthetic connectome (same numpy calls, same numbers)."""
    import numpy as np
    rng = np.random.default_rng(seed)
    pts = []
    while len(pts) < n:
        p = rng.uniform(-1, 1, size=3)
        if (p ** 2).sum() <= 1:
            pts.append(p * np.array([70.0, 85.0, 60.0]))
    c = np.array(pts)
    d = np.sqrt(((c[:, None, :] - c[None, :, :]) ** 2).sum(-1))
    iu = np.triu_indices(n, 1)
    score = -d[iu] / 40.0 + rng.gumbel(size=iu[0].size)
    k = int(round(density * iu[0].size))
    chosen = np.argsort(score)[::-1][:k]
    W = np.zeros((n, n))
    W[iu[0][chosen], iu[1][chosen]] = rng.lognormal(0.0, 1.0, size=k)
    W = W + W.T
    W *= 39.326916606796054 / W.sum(1).mean()   # connectivity_76's mean in-strength
    return W, d, c


def write_zip(path, W, L, c):
    import numpy as np
    import io
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for name, arr in (("weights.txt", W), ("tract_lengths.txt", L)):
            b = io.StringIO()
            np.savetxt(b, arr, fmt="%.18e")
            z.writestr(name, b.getvalue())
        z.writestr("centres.txt", "".join(f"syn{i:04d} {x!r} {y!r} {zz!r}\n" for i, (x, y, zz) in enumerate(c.tolist())))


def ensure_venv(py):
    if py:
        return py
    exe = VENV / "bin" / "python"
    if not exe.exists():
        print(f"creating {VENV} (tvb-library 2.10.0, tvb-data 3.0.0) ...", flush=True)
        subprocess.run([sys.executable, "-m", "venv", str(VENV)], check=True)
        subprocess.run([str(exe), "-m", "pip", "install", "-q", "tvb-library==2.10.0", "tvb-data==3.0.0", "numpy", "scipy", "numba"],
                       check=True)
    return str(exe)


def run_tvb(py, ms, zip_path, out):
    env = dict(os.environ, OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1", MKL_NUM_THREADS="1")
    r = subprocess.run([py, "-c", TVB_CODE, json.dumps({"ms": ms, "zip": zip_path, "out": out})],
                       capture_output=True, text=True, env=env)
    if r.returncode != 0:
        sys.exit(f"TVB failed:\n{r.stderr[-3000:]}")
    return json.loads(r.stdout.strip().splitlines()[-1])


def plexus_yaml(folder, name, conn, ms, initial, extra=""):
    p = Path(folder) / f"{name}.yaml"
    p.write_text(f"""engine: mass
connectivity: {conn}
speed: 3.0 mm/ms
model: {{name: Generic2dOscillator}}
coupling: {{name: Linear, params: {{a: 0.0152}}}}
integrator: {{name: HeunDeterministic, dt: 0.0625 ms}}
initial_history: {{V: {initial}, W: 0.0}}
duration: {ms} ms
monitors: [{{type: temporal_average, period: 1 ms}}]
{extra}""")
    return str(p)


def run_plexus(binary, args):
    t0 = time.perf_counter()
    r = subprocess.run([binary] + args + ["--quiet"], capture_output=True, text=True)
    wall = time.perf_counter() - t0
    if r.returncode != 0:
        sys.exit(f"plexus failed: {' '.join(args)}\n{r.stderr}")
    return wall


def loadavg():
    try:
        return open("/proc/loadavg").read().split()[:3]
    except OSError:
        return None


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--cases", nargs="+", default=["g2d76", "syn700", "sweep"])
    ap.add_argument("--threads", nargs="+", type=int, default=[1, 2], help="Plexus threads for the single runs")
    ap.add_argument("--sweep-threads", type=int, default=os.cpu_count() or 2)
    ap.add_argument("--tvb-python")
    ap.add_argument("--no-build", action="store_true")
    ap.add_argument("--json", default=str(ROOT / "bench" / "results" / "tvb_bench.json"))
    a = ap.parse_args()
    import numpy as np

    if not a.no_build:
        print("building plexus (release) ...", flush=True)
        subprocess.run(["swift", "build", "-c", "release", "--scratch-path", SCRATCH, "--product", "plexus"], cwd=ROOT, check=True,
                       stdout=subprocess.DEVNULL)
    binary = str(ROOT / SCRATCH / "release" / "plexus")
    py = ensure_venv(a.tvb_python)
    tvb_data = subprocess.run([py, "-c", "import tvb_data,os;print(os.path.dirname(tvb_data.__file__))"],
                              capture_output=True, text=True, check=True).stdout.strip()
    os.environ["PLEXUS_TVB_DATA"] = tvb_data
    results = {"machine": {"cpus": os.cpu_count(), "loadavg_start": loadavg()}, "cases": {}}
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        v0 = Path(tmp) / "v0_76.csv"
        v0.write_text("".join(f"{float(0.1 * np.sin(i))!r}\n" for i in range(76)))
        for case in a.cases:
            if case in ("g2d76", "syn700"):
                if case == "g2d76":
                    ms, zip_path, conn, vfile = 10000.0, None, "{tvb_data: connectivity_76}", v0
                else:
                    ms = 1000.0
                    W, L, c = synthetic_conn(700, 0.27)
                    zip_path = str(Path(tmp) / "syn700.zip")
                    write_zip(zip_path, W, L, c)
                    conn = f"{{zip: {zip_path}}}"
                    vfile = Path(tmp) / "v0_700.csv"
                    vfile.write_text("".join(f"{float(0.1 * np.sin(i))!r}\n" for i in range(700)))
                print(f"[{case}] TVB ...", flush=True)
                tvb_out = str(Path(tmp) / f"{case}_tvb.npy")
                tvb = run_tvb(py, ms, zip_path, tvb_out)
                entry = {"tvb": tvb, "plexus": {}, "loadavg": loadavg()}
                ytvb = np.load(tvb_out)
                for t in a.threads:
                    yaml = plexus_yaml(tmp, case, conn, ms, vfile)
                    out = Path(tmp) / f"{case}_p{t}"
                    print(f"[{case}] Plexus, {t} thread(s) ...", flush=True)
                    wall = run_plexus(binary, ["run", yaml, "--out", str(out), "--threads", str(t)])
                    prov = json.loads((out / "provenance.json").read_text())
                    sim_s = table(prov["timings_s"])["simulate"]
                    yp = np.loadtxt(out / "tavg.csv", delimiter=",", skiprows=1)[:, 1:]
                    diff = float(np.abs(yp - ytvb).max())
                    entry["plexus"][str(t)] = {"simulate_s": sim_s, "process_wall_s": wall, "us_per_step": prov["us_per_step"],
                                               "max_abs_diff_vs_tvb_tavg": diff}
                    rows.append((case, t, tvb["run_wall_s"], tvb["run_cpu_s"], sim_s, wall, diff))
                results["cases"][case] = entry
            elif case == "sweep":
                g = results["cases"].get("g2d76")
                if g is None:
                    print("[sweep] TVB g2d76 first (for the estimate) ...", flush=True)
                    g = {"tvb": run_tvb(py, 10000.0, None, str(Path(tmp) / "g.npy"))}
                yaml = plexus_yaml(tmp, "sweep", "{tvb_data: connectivity_76}", 10000.0, v0,
                                   "sweep:\n  coupling.a: {from: 0.002, to: 0.03, count: 8}\n  speed: [1, 2, 3, 4, 6, 8, 10, 15]\n")
                out = Path(tmp) / "sweep"
                print(f"[sweep] Plexus, 64 points x 10 s, {a.sweep_threads} threads ...", flush=True)
                wall = run_plexus(binary, ["sweep", yaml, "--out", str(out), "--threads", str(a.sweep_threads)])
                prov = json.loads((out / "provenance.json").read_text())
                est = 64 * g["tvb"]["run_wall_s"]
                results["cases"]["sweep"] = {"plexus_sweep_s": table(prov["timings_s"])["sweep"], "plexus_process_wall_s": wall,
                                             "threads": a.sweep_threads, "tvb_estimate_s": est,
                                             "failed_points": prov.get("failed_points"), "loadavg": loadavg()}
                rows.append(("sweep64", a.sweep_threads, est, 64 * g["tvb"]["run_cpu_s"], table(prov["timings_s"])["sweep"], wall, None))
    results["machine"]["loadavg_end"] = loadavg()
    print()
    print(f"{'case':10} {'threads':>7} {'TVB wall s':>11} {'TVB cpu s':>10} {'Plexus s':>9} {'ratio wall':>10} {'ratio cpu':>9}  max|diff|")
    for case, t, tw, tc, ps, pw, diff in rows:
        est = " (TVB est. 64 x g2d76)" if case == "sweep64" else ""
        d = f"{diff:.1e}" if diff is not None else "-"
        print(f"{case:10} {t:>7} {tw:>11.2f} {tc:>10.2f} {ps:>9.3f} {tw / ps:>10.1f} {tc / ps:>9.1f}  {d}{est}")
    print("\nPlexus s = simulate phase from provenance.json (sweep: whole grid); ratio = TVB / Plexus. "
          f"load average {results['machine']['loadavg_start']} -> {results['machine']['loadavg_end']}")
    Path(a.json).parent.mkdir(parents=True, exist_ok=True)
    Path(a.json).write_text(json.dumps(results, indent=2) + "\n")
    print(f"results in {a.json}")


if __name__ == "__main__":
    main()
