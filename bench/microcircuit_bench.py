"""Side-by-side benchmark of Plexus and NEST 3.10 on the Potjans & Diesmann (2014) microcircuit.

The model is the one of ../shared/peers/nest/microcircuit.py (8 populations of iaf_psc_exp,
fixed_total_number wiring, N_scaling = K_scaling = S, rng_seed 55, dt 0.1 ms, 500 ms presimulation
then 1000 ms). The NEST side imports that script and calls its run(threads, S), so NEST builds
exactly that network; the Plexus side runs the experiment file that
`python3 examples/make_microcircuit.py --scale S` writes (to a temporary folder).

What it measures, per scale (default 0.1 and 0.5) and thread count (default 2), NEST first, then
Plexus, one run at a time, each in its own process:
  build s       NEST: Create + Connect (wall clock, time_create_s + time_connect_s of microcircuit.py);
                Plexus: timings_s.build of provenance.json
  simulate s    NEST: Prepare + Simulate(500 ms presimulation) + Simulate(1000 ms), i.e. what a
                single Simulate(1500 ms) costs (spike-routing tables are built in Prepare, as in
                brunel_bench.py); Plexus: timings_s.simulate, which covers the whole 1500 ms too.
                The JSON also keeps NEST's presim + sim alone (without Prepare).
  RTF           real-time factor: simulate s / 1.5 s of model time
  peak RSS MiB  NEST: getrusage(RUSAGE_SELF) at the end of its process (Python + NEST);
                Plexus: peak_rss_bytes of provenance.json. For both, the peak RSS of the child
                as the kernel reports it to os.wait4 is kept in the JSON as a cross-check.
  rates Hz      per-population mean rate over (500, 1500] ms, silent neurons included, in the
                order L23E L23I L4E L4I L5E L5I L6E L6I
and then the Plexus/NEST ratios of build time, simulate time and peak RSS. The JSON also holds
each process's wall and CPU time (user + system, all threads), NEST's create/connect/prepare/
presim/sim split and the load average before and after every run.

NEST runs with OMP_WAIT_POLICY=PASSIVE (unless the caller sets it), otherwise libgomp spin-waits
at its barriers and its wall times on a shared 2-core machine mean little.

Run (from the repository root):
  python3 bench/microcircuit_bench.py                       # creates bench/.venv with nest-simulator 3.10.0
  python3 bench/microcircuit_bench.py --nest-python /opt/nestvenv/bin/python
  python3 bench/microcircuit_bench.py --plexus-only --scales 1.0 --json bench/results/microcircuit_full.json
Options: --scales S [S ...], --threads N [N ...], --plexus-only, --no-build, --nest-python PATH, --json PATH.
"""
import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time

from brunel_bench import (MIB, PLEXUS, REPO, build_plexus, check_exit, ensure_nest_python, population_sizes,
                          run_measured)
from provenance import table

NEST_PEERS = os.path.normpath(os.path.join(REPO, "..", "shared", "peers", "nest"))
GENERATOR = os.path.join(REPO, "examples", "make_microcircuit.py")
DEFAULT_JSON = os.path.join(REPO, "bench", "results", "microcircuit_bench.json")
POPS = ["L23E", "L23I", "L4E", "L4I", "L5E", "L5I", "L6E", "L6I"]
T_PRESIM = 500.0
T_SIM = 1000.0
T_TOTAL_S = (T_PRESIM + T_SIM) / 1000.0


# ---------------------------------------------------------------- NEST child process


def nest_child(scale, threads, out_path):
    """Build and simulate the microcircuit with peers/nest/microcircuit.py's run(); write its result."""
    sys.path.insert(0, NEST_PEERS)
    import common
    import microcircuit

    common.write_json(out_path, microcircuit.run(threads, scale))


# ---------------------------------------------------------------- driver


def run_nest(python, scale, threads, work):
    tag = f"s{scale:g}_t{threads}"
    out = os.path.join(work, f"nest_{tag}.json")
    log = os.path.join(work, f"nest_{tag}.log")
    env = dict(os.environ)
    env.setdefault("OMP_WAIT_POLICY", "PASSIVE")
    argv = [python, os.path.abspath(__file__), "--nest-child", repr(scale), str(threads), out]
    load_before = os.getloadavg()
    code, process = run_measured(argv, env, log)
    load_after = os.getloadavg()
    check_exit(code, f"NEST (scale {scale:g}, {threads} threads)", log)
    with open(out) as f:
        n = json.load(f)
    pops = n["populations"]
    presim_sim = n["time_presimulate_s"] + n["time_simulate_s"]
    r = {
        "engine": "NEST",
        "scale": scale,
        "threads": threads,
        "nest_version": n["environment"]["nest_version"],
        "neurons": n["n_neurons_total"],
        "synapses": n["n_synapses_network"],
        "build_s": n["time_create_s"] + n["time_connect_s"],
        "simulate_s": n["time_prepare_s"] + presim_sim,
        "create_s": n["time_create_s"],
        "connect_s": n["time_connect_s"],
        "prepare_s": n["time_prepare_s"],
        "presimulate_s": n["time_presimulate_s"],
        "sim_1000ms_s": n["time_simulate_s"],
        "presim_plus_sim_s": presim_sim,
        "peak_rss_bytes": int(round(n["peak_rss_mib"] * MIB)),
        "peak_rss_after_connect_bytes": int(round(n["peak_rss_mib_after_build"] * MIB)),
        "rates_hz": {p: pops[p]["mean_rate_hz"] for p in POPS},
        "spikes_500_1500": {p: pops[p]["n_spikes"] for p in POPS},
        "omp_wait_policy": env["OMP_WAIT_POLICY"],
        "loadavg_before": load_before,
        "loadavg_after": load_after,
    }
    r["realtime_factor"] = r["simulate_s"] / T_TOTAL_S
    r.update(process)
    return r


def write_experiment(scale, work):
    """Experiment file of make_microcircuit.py at this scale, in work; its path and population sizes."""
    text = subprocess.run([sys.executable, GENERATOR, "--scale", repr(scale)], check=True, capture_output=True,
                          text=True).stdout
    path = os.path.join(work, f"microcircuit_s{scale:g}.yaml")
    with open(path, "w") as f:
        f.write(text)
    sizes = population_sizes(text)
    if sorted(sizes) != sorted(POPS):
        sys.exit(f"unexpected populations in the generated experiment file: {sorted(sizes)}")
    return path, sizes


def plexus_spike_counts(path):
    """Spikes per population in (T_PRESIM, T_PRESIM + T_SIM] ms from a Plexus spikes.csv (population,gid,t_ms)."""
    counts = {p: 0 for p in POPS}
    t_end = T_PRESIM + T_SIM
    with open(path) as f:
        next(f)
        for line in f:
            pop, _, t = line.split(",")
            if T_PRESIM < float(t) <= t_end:
                counts[pop] += 1
    return counts


def run_plexus(yaml_path, sizes, scale, threads, work):
    tag = f"s{scale:g}_t{threads}"
    out_dir = os.path.join(work, f"plexus_{tag}")
    log = os.path.join(work, f"plexus_{tag}.log")
    argv = [PLEXUS, "run", yaml_path, "--threads", str(threads), "--out", out_dir, "--quiet"]
    load_before = os.getloadavg()
    code, process = run_measured(argv, dict(os.environ), log)
    load_after = os.getloadavg()
    check_exit(code, f"Plexus (scale {scale:g}, {threads} threads)", log)
    with open(os.path.join(out_dir, "provenance.json")) as f:
        prov = json.load(f)
    counts = plexus_spike_counts(os.path.join(out_dir, "spikes.csv"))
    r = {
        "engine": "Plexus",
        "scale": scale,
        "threads": threads,
        "plexus_version": prov["plexus_version"],
        "git_commit": prov.get("git_commit"),
        "neurons": sum(sizes.values()),
        "synapses": table(prov["counts"])["synapses"],
        "build_s": table(prov["timings_s"])["build"],
        "simulate_s": table(prov["timings_s"])["simulate"],
        "write_s": table(prov["timings_s"])["write"],
        "realtime_factor": table(prov["timings_s"])["simulate"] / T_TOTAL_S,
        "peak_rss_bytes": prov["peak_rss_bytes"],
        "bytes_per_synapse": prov["bytes_per_synapse"],
        "rates_hz": {p: counts[p] / sizes[p] / (T_SIM / 1000.0) for p in POPS},
        "spikes_500_1500": counts,
        "spikes": table(prov["counts"])["spikes"],
        "loadavg_before": load_before,
        "loadavg_after": load_after,
    }
    r.update(process)
    return r


def ratios(results):
    """Plexus/NEST ratios of build time, simulate time and peak RSS, per scale and thread count."""
    out = []
    for p in (r for r in results if r["engine"] == "Plexus"):
        n = next((r for r in results if r["engine"] == "NEST" and r["threads"] == p["threads"]
                  and r["scale"] == p["scale"]), None)
        if n:
            out.append({"scale": p["scale"], "threads": p["threads"], "build": p["build_s"] / n["build_s"],
                        "simulate": p["simulate_s"] / n["simulate_s"],
                        "peak_rss": p["peak_rss_bytes"] / n["peak_rss_bytes"]})
    return out


def print_table(results, ratio_rows):
    print(f"\nPotjans-Diesmann microcircuit, {T_PRESIM:.0f} ms presimulation + {T_SIM:.0f} ms")
    for scale in sorted({r["scale"] for r in results}):
        r0 = next(r for r in results if r["scale"] == scale)
        print(f"  scale {scale:g}: {r0['neurons']:,} neurons, {r0['synapses']:,} synapses")
    rate_hdr = " ".join(f"{p:>5s}" for p in POPS)
    print(f"{'engine':8s} {'scale':>5s} {'threads':>7s} {'build s':>8s} {'simulate s':>10s} {'RTF':>6s} "
          f"{'peak RSS MiB':>12s}  rates Hz: {rate_hdr}")
    for r in results:
        rates = " ".join(f"{r['rates_hz'][p]:5.2f}" for p in POPS)
        print(f"{r['engine']:8s} {r['scale']:5g} {r['threads']:7d} {r['build_s']:8.2f} {r['simulate_s']:10.2f} "
              f"{r['realtime_factor']:6.2f} {r['peak_rss_bytes'] / MIB:12.0f}            {rates}")
    if ratio_rows:
        print("\nPlexus / NEST")
        print(f"{'scale':>5s} {'threads':>7s} {'build':>7s} {'simulate':>9s} {'peak RSS':>9s}")
        for q in ratio_rows:
            print(f"{q['scale']:5g} {q['threads']:7d} {q['build']:7.3f} {q['simulate']:9.3f} {q['peak_rss']:9.3f}")
    print("\nsimulate s covers the whole 1500 ms (NEST: Prepare + presim + sim); RTF = simulate s / 1.5 s; "
          "rates over (500, 1500] ms.")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--scales", type=float, nargs="+", default=[0.1, 0.5], help="N_scaling = K_scaling values")
    ap.add_argument("--threads", type=int, nargs="+", default=[2])
    ap.add_argument("--plexus-only", action="store_true", help="skip NEST")
    ap.add_argument("--no-build", action="store_true", help="use the existing .build/release/plexus")
    ap.add_argument("--nest-python", help="Python with nest-simulator 3.10 (default: bench/.venv, created if missing)")
    ap.add_argument("--json", default=DEFAULT_JSON, help="results file (default bench/results/microcircuit_bench.json)")
    args = ap.parse_args()

    nest_python = None if args.plexus_only else ensure_nest_python(args.nest_python)
    if not args.no_build:
        build_plexus()

    results = []
    networks = []
    with tempfile.TemporaryDirectory(prefix="microcircuit_bench_") as work:
        for scale in args.scales:
            yaml_path, sizes = write_experiment(scale, work)
            networks.append({"scale": scale, "population_sizes": sizes, "neurons": sum(sizes.values())})
            for threads in args.threads:
                if nest_python:
                    print(f"NEST, scale {scale:g}, {threads} thread(s) ...", flush=True)
                    results.append(run_nest(nest_python, scale, threads, work))
                print(f"Plexus, scale {scale:g}, {threads} thread(s) ...", flush=True)
                results.append(run_plexus(yaml_path, sizes, scale, threads, work))

    ratio_rows = ratios(results)
    print_table(results, ratio_rows)
    os.makedirs(os.path.dirname(os.path.abspath(args.json)), exist_ok=True)
    record = {
        "description": __doc__,
        "network": {"model": "Potjans & Diesmann (2014), peers/nest/microcircuit.py", "populations": POPS,
                    "presim_ms": T_PRESIM, "sim_ms": T_SIM, "resolution_ms": 0.1, "seed": 55,
                    "rates_window_ms": [T_PRESIM, T_PRESIM + T_SIM],
                    "experiment_file": "generated by examples/make_microcircuit.py --scale S", "scales": networks},
        "machine": {"platform": platform.platform(), "cpus": os.cpu_count(), "python": platform.python_version()},
        "finished": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "runs": results,
        "ratios_plexus_over_nest": ratio_rows,
    }
    with open(args.json, "w") as f:
        json.dump(record, f, indent=1)
        f.write("\n")
    print(f"results in {args.json}")


if __name__ == "__main__":
    if len(sys.argv) == 5 and sys.argv[1] == "--nest-child":
        nest_child(float(sys.argv[2]), int(sys.argv[3]), sys.argv[4])
    else:
        main()
