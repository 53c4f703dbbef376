"""Side-by-side benchmark of Plexus and NEST 3.10 on the Brunel (2000) delta-synapse network.

What it measures, per thread count (default 1 and 2), NEST first, then Plexus, one run at a time,
each in its own process:
  build s       NEST: Create + Connect (wall clock, as the reference script peers/nest/brunel.py);
                Plexus: timings_s.build of provenance.json
  simulate s    NEST: Prepare + Run(1000 ms), i.e. what a first Simulate() costs (spike-routing
                tables are built in Prepare); Plexus: timings_s.simulate
  peak RSS MiB  NEST: getrusage(RUSAGE_SELF) at the end of its process (Python + NEST);
                Plexus: peak_rss_bytes of provenance.json. For both, the peak RSS of the child
                as the kernel reports it to os.wait4 is kept in the JSON as a cross-check.
  B/synapse     NEST: estimate, (current RSS after Connect - current RSS before Connect) / synapses;
                Plexus: bytes of its connectivity arrays / synapses (provenance's bytes_per_synapse)
  rate E Hz     mean rate of the excitatory population over 100..1000 ms
and then the Plexus/NEST ratios of build time, simulate time and peak RSS. The JSON also holds
each process's wall and CPU time (user + system, all threads; less sensitive to other jobs on
the machine than wall time), NEST's create/connect/prepare/run split and the spike counts.

The network is the one of examples/brunel_delta.yaml (NEST's brunel_delta_nest.py example point:
iaf_psc_delta, CE=1000, CI=250 fixed indegree, J=0.1 mV, g=5, eta=2, delay 1.5 ms, one Poisson
generator at 20 kHz to every neuron, dt 0.1 ms, 1000 ms, all spikes recorded). The NEST side
below builds the same network; its population sizes are read from the YAML. `--scale K`
multiplies both population sizes (indegrees stay 1000/250, as in brunel.py's 4x variant); Plexus
then runs a scaled copy of the YAML written to a temporary folder.

NEST runs with OMP_WAIT_POLICY=PASSIVE (unless the caller sets it), otherwise libgomp spin-waits
at its barriers and its wall times on a shared 2-core machine mean little. The load average is
recorded before and after every run.

`--stdp` makes the E->E connections stdp_synapse (NEST's defaults, lambda 0.001, Wmax 0.3 mV,
weight 0.1 mV) on both sides, E->I and I->* stay static (NEST gets E->E and E->I as two Connect
calls, Plexus's file already has them apart): the cost of 10 M plastic synapses with their
postsynaptic spike histories. `--duration MS` shortens the run (the rates then use 100..MS ms).

Run (from the repository root):
  python3 bench/brunel_bench.py                       # creates bench/.venv with nest-simulator 3.10.0
  python3 bench/brunel_bench.py --nest-python /opt/nestvenv/bin/python
  python3 bench/brunel_bench.py --plexus-only --scale 10 --threads 2 --json bench/results/brunel_10x.json
  python3 bench/brunel_bench.py --nest-python /opt/nestvenv/bin/python --stdp --duration 300 --threads 1 \
      --json bench/results/brunel_stdp_bench.json
Options: --threads N [N ...], --scale K, --stdp, --duration MS, --plexus-only, --no-build, --nest-python PATH,
--json PATH.
"""
import argparse
import json
import os
import platform
import re
import subprocess
import sys
import tempfile
import time
from provenance import table

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
EXAMPLE = os.path.join(REPO, "examples", "brunel_delta.yaml")
PLEXUS = os.path.join(REPO, ".build", "release", "plexus")
DEFAULT_VENV = os.path.join(REPO, "bench", ".venv")
DEFAULT_JSON = os.path.join(REPO, "bench", "results", "brunel_bench.json")
NEST_PIP = ["nest-simulator==3.10.0", "numpy"]

# Network parameters of examples/brunel_delta.yaml (and NEST's example), for the NEST side.
SEED = 12345
DT = 0.1
SIMTIME = 1000.0
DELAY = 1.5
J = 0.1
G = 5.0
ETA = 2.0
TAU_MEM = 20.0
THETA = 20.0
CE = 1000
CI = 250
TRANSIENT = 100.0  # ms excluded from the steady rate
MIB = 1024.0 * 1024.0
# --stdp: E->E stdp_synapse parameters (the rest NEST's defaults)
STDP = {"lambda": 0.001, "Wmax": 0.3}


# ---------------------------------------------------------------- NEST child process


def spike_counts(times_e, times_i):
    """Spike counts of E and I over the whole run and after TRANSIENT (spike times in ms)."""
    return {"E": len(times_e), "I": len(times_i),
            "E_steady": sum(1 for t in times_e if t > TRANSIENT), "I_steady": sum(1 for t in times_i if t > TRANSIENT)}


def current_rss_bytes():
    """Resident set size of this process now (not the peak), from /proc/self/statm."""
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def stdp_yaml(yaml_text):
    """The experiment file with E->E as stdp_synapse (see --stdp)."""
    old = "  - {source: E, target: E, rule: fixed_indegree, indegree: 1000, synapse: {weight: 0.1 mV, delay: 1.5 ms}}"
    if old not in yaml_text:
        sys.exit("--stdp: the E->E line of examples/brunel_delta.yaml changed; update stdp_yaml")
    params = ", ".join(f"{k}: {v}" for k, v in STDP.items())
    return yaml_text.replace(old, "  - {source: E, target: E, rule: fixed_indegree, indegree: 1000, "
                             f"synapse: {{model: stdp_synapse, weight: 0.1, delay: 1.5 ms, {params}}}}}")


def nest_child(n_e, n_i, threads, out_path, stdp=False):
    """Build and simulate the network in NEST; write timings, memory and spike counts to out_path."""
    import resource

    import nest

    nest.verbosity = nest.VerbosityLevel.ERROR
    nest.ResetKernel()
    nest.resolution = DT
    nest.local_num_threads = threads
    nest.rng_seed = SEED
    p_rate = 1000.0 * ETA * THETA / (J * CE * TAU_MEM) * CE
    neuron = {"C_m": 1.0, "tau_m": TAU_MEM, "t_ref": 2.0, "E_L": 0.0, "V_reset": 0.0, "V_m": 0.0, "V_th": THETA}

    t0 = time.perf_counter()
    nodes_e = nest.Create("iaf_psc_delta", n_e, params=neuron)
    nodes_i = nest.Create("iaf_psc_delta", n_i, params=neuron)
    noise = nest.Create("poisson_generator", params={"rate": p_rate})
    rec_e = nest.Create("spike_recorder")
    rec_i = nest.Create("spike_recorder")
    rss_before_connect = current_rss_bytes()
    t1 = time.perf_counter()
    nest.CopyModel("static_synapse", "excitatory", {"weight": J, "delay": DELAY})
    nest.CopyModel("static_synapse", "inhibitory", {"weight": -G * J, "delay": DELAY})
    nest.Connect(noise, nodes_e, syn_spec="excitatory")
    nest.Connect(noise, nodes_i, syn_spec="excitatory")
    nest.Connect(nodes_e, rec_e, syn_spec="excitatory")
    nest.Connect(nodes_i, rec_i, syn_spec="excitatory")
    if stdp:
        nest.CopyModel("stdp_synapse", "plastic", dict(weight=J, delay=DELAY, **STDP))
        nest.Connect(nodes_e, nodes_e, {"rule": "fixed_indegree", "indegree": CE}, "plastic")
        nest.Connect(nodes_e, nodes_i, {"rule": "fixed_indegree", "indegree": CE}, "excitatory")
    else:
        nest.Connect(nodes_e, nodes_e + nodes_i, {"rule": "fixed_indegree", "indegree": CE}, "excitatory")
    nest.Connect(nodes_i, nodes_e + nodes_i, {"rule": "fixed_indegree", "indegree": CI}, "inhibitory")
    t2 = time.perf_counter()
    rss_after_connect = current_rss_bytes()
    nest.Prepare()
    rss_after_prepare = current_rss_bytes()
    t3 = time.perf_counter()
    nest.Run(SIMTIME)
    t4 = time.perf_counter()
    nest.Cleanup()
    peak_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024

    # "excitatory" also counts the Poisson->neuron and neuron->recorder connections
    synapses = (nest.GetDefaults("excitatory")["num_connections"] - 2 * (n_e + n_i)
                + nest.GetDefaults("inhibitory")["num_connections"]
                + (nest.GetDefaults("plastic")["num_connections"] if stdp else 0))
    t_e = rec_e.get("events")["times"]
    t_i = rec_i.get("events")["times"]
    result = {
        "nest_version": nest.__version__,
        "synapses": int(synapses),
        "build_s": t2 - t0,
        "create_s": t1 - t0,
        "connect_s": t2 - t1,
        "prepare_s": t3 - t2,
        "run_s": t4 - t3,
        "simulate_s": t4 - t2,
        "peak_rss_bytes": int(peak_rss),
        "rss_before_connect_bytes": rss_before_connect,
        "rss_after_connect_bytes": rss_after_connect,
        "rss_after_prepare_bytes": rss_after_prepare,
        "bytes_per_synapse_estimate": (rss_after_connect - rss_before_connect) / synapses,
        "spikes": int(len(t_e) + len(t_i)),
        "spike_counts": spike_counts(t_e, t_i),
    }
    with open(out_path, "w") as f:
        json.dump(result, f)


# ---------------------------------------------------------------- driver


def run_measured(argv, env, log_path):
    """Run argv to completion (stdout+stderr to log_path); return exit code and the child's
    wall s, CPU s (user + system, all threads) and peak RSS bytes.

    CPU time and peak RSS are the child's own, from os.wait4, so each run is measured alone
    (RUSAGE_CHILDREN would report the largest child so far)."""
    with open(log_path, "wb") as log:
        t0 = time.perf_counter()
        pid = os.posix_spawnp(argv[0], argv, env, file_actions=[
            (os.POSIX_SPAWN_DUP2, log.fileno(), 1),
            (os.POSIX_SPAWN_DUP2, log.fileno(), 2),
        ])
        _, status, usage = os.wait4(pid, 0)
        wall = time.perf_counter() - t0
    return os.waitstatus_to_exitcode(status), {"process_wall_s": wall, "process_cpu_s": usage.ru_utime + usage.ru_stime,
                                               "wait4_peak_rss_bytes": usage.ru_maxrss * 1024}


def check_exit(code, what, log_path):
    if code != 0:
        with open(log_path, errors="replace") as f:
            tail = f.read()[-3000:]
        sys.exit(f"{what} failed with exit code {code}:\n{tail}")


def population_sizes(yaml_text):
    """{population: size} for the populations of an experiment file that have a `size:` line."""
    return {m.group(1): int(m.group(2))
            for m in re.finditer(r"^  (\w+):\s*\n\s+model:.*\n\s+size:\s*(\d+)\s*$", yaml_text, re.M)}


def scaled_yaml(yaml_text, scale):
    """The experiment file with every population size multiplied by scale."""
    return re.sub(r"^(\s+size:\s*)(\d+)\s*$", lambda m: f"{m.group(1)}{int(m.group(2)) * scale}", yaml_text, flags=re.M)


def rates(counts, n_e, n_i):
    """Mean rates (Hz) of E and I over the whole run and over TRANSIENT..SIMTIME, from spike_counts."""
    whole_s, steady_s = SIMTIME / 1000.0, (SIMTIME - TRANSIENT) / 1000.0
    return {
        "rate_E_hz": counts["E"] / n_e / whole_s,
        "rate_I_hz": counts["I"] / n_i / whole_s,
        "rate_E_hz_100_1000": counts["E_steady"] / n_e / steady_s,
        "rate_I_hz_100_1000": counts["I_steady"] / n_i / steady_s,
    }


def ensure_nest_python(path):
    """The Python interpreter that has NEST: path, or bench/.venv (created with pip when missing)."""
    if path:
        return path
    python = os.path.join(DEFAULT_VENV, "bin", "python")
    if not os.path.exists(python):
        print(f"creating {DEFAULT_VENV} with {' '.join(NEST_PIP)} ...", flush=True)
        subprocess.run([sys.executable, "-m", "venv", DEFAULT_VENV], check=True)
        subprocess.run([python, "-m", "pip", "install", "--quiet", *NEST_PIP], check=True)
    return python


def build_plexus():
    print("swift build -c release ...", flush=True)
    t0 = time.perf_counter()
    subprocess.run(["swift", "build", "-c", "release"], cwd=REPO, check=True, stdout=subprocess.DEVNULL)
    print(f"  built in {time.perf_counter() - t0:.0f} s", flush=True)


def run_nest(python, n_e, n_i, threads, work, stdp=False):
    out = os.path.join(work, f"nest_t{threads}.json")
    log = os.path.join(work, f"nest_t{threads}.log")
    env = dict(os.environ)
    env.setdefault("OMP_WAIT_POLICY", "PASSIVE")
    argv = [python, os.path.abspath(__file__), "--nest-child", str(n_e), str(n_i), str(threads), out,
            str(SIMTIME), "stdp" if stdp else "static"]
    load_before = os.getloadavg()
    code, process = run_measured(argv, env, log)
    load_after = os.getloadavg()
    check_exit(code, f"NEST ({threads} threads)", log)
    with open(out) as f:
        r = json.load(f)
    r.update(rates(r["spike_counts"], n_e, n_i))
    r.update(process)
    r.update({"engine": "NEST", "threads": threads, "omp_wait_policy": env["OMP_WAIT_POLICY"], "loadavg_before": load_before, "loadavg_after": load_after})
    return r


def read_plexus_spikes(path):
    """Spike times of populations E and I from a Plexus spikes.csv (population,gid,t_ms)."""
    times = {"E": [], "I": []}
    with open(path) as f:
        next(f)
        for line in f:
            pop, _, t = line.split(",")
            times[pop].append(float(t))
    return times["E"], times["I"]


def run_plexus(yaml_path, n_e, n_i, threads, work):
    out_dir = os.path.join(work, f"plexus_t{threads}")
    log = os.path.join(work, f"plexus_t{threads}.log")
    argv = [PLEXUS, "run", yaml_path, "--threads", str(threads), "--out", out_dir, "--quiet"]
    load_before = os.getloadavg()
    code, process = run_measured(argv, dict(os.environ), log)
    load_after = os.getloadavg()
    check_exit(code, f"Plexus ({threads} threads)", log)
    with open(os.path.join(out_dir, "provenance.json")) as f:
        prov = json.load(f)
    totals, timings = table(prov["counts"]), table(prov["timings_s"])
    counts = spike_counts(*read_plexus_spikes(os.path.join(out_dir, "spikes.csv")))
    r = {
        "engine": "Plexus",
        "threads": threads,
        "plexus_version": prov["plexus_version"],
        "git_commit": prov.get("git_commit"),
        "synapses": totals["synapses"],
        "build_s": timings["build"],
        "simulate_s": timings["simulate"],
        "write_s": timings["write"],
        "peak_rss_bytes": prov["peak_rss_bytes"],
        "bytes_per_synapse": prov["bytes_per_synapse"],
        "spikes": totals["spikes"],
        "spike_counts": counts,
        "loadavg_before": load_before,
        "loadavg_after": load_after,
    }
    r.update(process)
    r.update(rates(counts, n_e, n_i))
    return r


def ratios(results):
    """Plexus/NEST ratios of build time, simulate time and peak RSS, per thread count."""
    out = []
    for p in (r for r in results if r["engine"] == "Plexus"):
        n = next((r for r in results if r["engine"] == "NEST" and r["threads"] == p["threads"]), None)
        if n:
            out.append({"threads": p["threads"], "build": p["build_s"] / n["build_s"],
                        "simulate": p["simulate_s"] / n["simulate_s"], "peak_rss": p["peak_rss_bytes"] / n["peak_rss_bytes"]})
    return out


def print_table(results, ratio_rows, n_e, n_i):
    print(f"\nBrunel delta network, {n_e} E + {n_i} I neurons, {results[0]['synapses']:,} synapses, {SIMTIME:.0f} ms"
          + (" (E->E stdp_synapse)" if "stdp" in results[0].get("variant", "") else ""))
    print(f"{'engine':8s} {'threads':>7s} {'build s':>8s} {'simulate s':>10s} {'peak RSS MiB':>12s} "
          f"{'B/synapse':>16s} {'rate E Hz':>9s}")
    for r in results:
        if r["engine"] == "NEST":
            bps = f"{r['bytes_per_synapse_estimate']:.1f} (est.)"
        else:
            bps = f"{r['bytes_per_synapse']:.2f}"
        print(f"{r['engine']:8s} {r['threads']:7d} {r['build_s']:8.2f} {r['simulate_s']:10.2f} "
              f"{r['peak_rss_bytes'] / MIB:12.0f} {bps:>16s} {r['rate_E_hz_100_1000']:9.2f}")
    if ratio_rows:
        print("\nPlexus / NEST")
        print(f"{'threads':>7s} {'build':>7s} {'simulate':>9s} {'peak RSS':>9s}")
        for q in ratio_rows:
            print(f"{q['threads']:7d} {q['build']:7.3f} {q['simulate']:9.3f} {q['peak_rss']:9.3f}")
    print(f"\nrate E over {TRANSIENT:.0f}..{SIMTIME:.0f} ms. NEST B/synapse: RSS growth during Connect / synapses (estimate); "
          "Plexus B/synapse: its static connectivity arrays / static synapses (plastic synapses not included).")


def main():
    global SIMTIME
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--threads", type=int, nargs="+", default=[1, 2])
    ap.add_argument("--scale", type=int, default=1, help="multiply both population sizes (indegrees stay)")
    ap.add_argument("--plexus-only", action="store_true", help="skip NEST")
    ap.add_argument("--no-build", action="store_true", help="use the existing .build/release/plexus")
    ap.add_argument("--nest-python", help="Python with nest-simulator 3.10 (default: bench/.venv, created if missing)")
    ap.add_argument("--json", default=DEFAULT_JSON, help="results file (default bench/results/brunel_bench.json)")
    ap.add_argument("--stdp", action="store_true", help="E->E connections as stdp_synapse on both sides")
    ap.add_argument("--duration", type=float, default=SIMTIME, help="simulated ms (default 1000)")
    args = ap.parse_args()
    SIMTIME = args.duration

    nest_python = None if args.plexus_only else ensure_nest_python(args.nest_python)
    if not args.no_build:
        build_plexus()
    with open(EXAMPLE) as f:
        base = f.read()
    sizes = population_sizes(base)
    n_e, n_i = sizes["E"] * args.scale, sizes["I"] * args.scale

    results = []
    with tempfile.TemporaryDirectory(prefix="brunel_bench_") as work:
        yaml_path = EXAMPLE
        if args.scale != 1 or args.stdp or SIMTIME != 1000.0:
            text = scaled_yaml(base, args.scale) if args.scale != 1 else base
            if args.stdp:
                text = stdp_yaml(text)
            text = re.sub(r"^duration: .*$", f"duration: {SIMTIME} ms", text, flags=re.M)
            yaml_path = os.path.join(work, f"brunel_delta_x{args.scale}.yaml")
            with open(yaml_path, "w") as f:
                f.write(text)
        for threads in args.threads:
            if nest_python:
                print(f"NEST, {threads} thread(s) ...", flush=True)
                results.append(run_nest(nest_python, n_e, n_i, threads, work, stdp=args.stdp))
            print(f"Plexus, {threads} thread(s) ...", flush=True)
            results.append(run_plexus(yaml_path, n_e, n_i, threads, work))
        for r in results:
            r["variant"] = "stdp" if args.stdp else "static"

    ratio_rows = ratios(results)
    print_table(results, ratio_rows, n_e, n_i)
    os.makedirs(os.path.dirname(os.path.abspath(args.json)), exist_ok=True)
    record = {
        "description": __doc__,
        "network": {"N_E": n_e, "N_I": n_i, "CE": CE, "CI": CI, "scale": args.scale, "simtime_ms": SIMTIME,
                    "stdp_E_to_E": STDP if args.stdp else None,
                    "resolution_ms": DT, "experiment_file": os.path.relpath(EXAMPLE, REPO)},
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
    if len(sys.argv) == 8 and sys.argv[1] == "--nest-child":
        SIMTIME = float(sys.argv[6])
        nest_child(int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), sys.argv[5], stdp=sys.argv[7] == "stdp")
    else:
        main()
