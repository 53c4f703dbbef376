"""Plexus over MPI ranks and threads on the Brunel (2000) network: 12.5k neurons and 10x that.

For each scale (default 1 and 10: 12,500 and 125,000 neurons, indegrees 1000/250, 15.6 M and
156 M synapses) and each layout ranks x threads (default 1x1, 1x2, 2x1 with the targeted exchange and 2x1 with
the gather), one run at a time, each
in its own process (`mpirun -np R plexus run` when R > 1), it prints and writes to JSON:
  build s, simulate s     provenance.json timings (rank 0's; ranks build and run in step)
  peak RSS MiB per rank   provenance peak_rss_bytes_rank<r> (one process: peak_rss_bytes)
  kB/epoch                bytes rank 0 received in the spike exchange per min-delay epoch
                          (targeted: MPI_Alltoallv to the ranks with targets; gather:
                          MPI_Allgatherv to all; threads of one process exchange nothing)
  identical               whether spikes.csv has the same SHA-256 as the 1x1 run of that scale
and the ratios of each layout's simulate time and per-rank memory to 1x1. CPU time (user +
system of the launched process and its children, from os.wait4) and the load average before and
after each run are in the JSON: the machine is shared, read wall times with them.

NEST 3.10 from PyPI: `--nest-python PATH` adds NEST runs at scale 1 with 1 and 2 threads
(bench/brunel_bench.py's NEST side). Its wheel is built without MPI (the script reads
`nest.GetKernelStatus("build_info")["have_mpi"]` and prints it), so NEST has no MPI rows.

Then the other networks at 1x1, 1x2, 2x1, 2x2 and 3x1 (skip with --no-others; --others-only runs just them and
keeps the rest of the JSON): the microcircuit at scale 0.1, busyring with 256 cells, TVB's
Epileptor on connectivity_76 (mass engine, noise, EEG/MEG; needs tvb-data), NEST's gap-junction
example, structural plasticity and dopamine STDP: times, memory per rank, exchanged bytes and
whether their data files are byte-identical.

The memory probe (skip with --no-memory-probe) splits a rank's memory per neuron into what it
keeps for every neuron of the network and what only for its own, from networks of 1 and 2
million neurons with one synapse each at 1x1, 1x2 and 2x1 (docs/SCALING.md uses both numbers).

Run (from the repository root, after `swift build -c release --product plexus`):
  python3 bench/mpi_scaling.py
  python3 bench/mpi_scaling.py --scales 1 --layouts 1x1 2x1 --duration 1000
  python3 bench/mpi_scaling.py --nest-python /opt/nestvenv/bin/python --json bench/results/mpi_scaling.json
"""
import argparse
import hashlib
import json
import os
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import brunel_bench as bb  # noqa: E402
from provenance import table  # noqa: E402

MIB = 1024.0 * 1024.0
DEFAULT_JSON = os.path.join(bb.REPO, "bench", "results", "mpi_scaling.json")


def sha256(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


def run_layout(yaml_path, ranks, threads, mode, work):
    os.makedirs(work, exist_ok=True)
    tag = f"r{ranks}t{threads}{mode}"
    out_dir = os.path.join(work, tag)
    log = os.path.join(work, tag + ".log")
    argv = [bb.PLEXUS, "run", yaml_path, "--threads", str(threads), "--out", out_dir, "--quiet", "--no-report",
            "--spike-exchange", mode]
    env = dict(os.environ)
    if ranks > 1:
        env.update({"OMPI_ALLOW_RUN_AS_ROOT": "1", "OMPI_ALLOW_RUN_AS_ROOT_CONFIRM": "1"})
        argv = ["mpirun", "--oversubscribe", "--bind-to", "none", "-np", str(ranks)] + argv
    load_before = os.getloadavg()
    code, process = bb.run_measured(argv, env, log)
    load_after = os.getloadavg()
    bb.check_exit(code, f"Plexus {ranks}x{threads}", log)
    with open(os.path.join(out_dir, "provenance.json")) as f:
        prov = json.load(f)
    counts, timings = table(prov["counts"]), table(prov["timings_s"])
    if ranks > 1:
        rss = [counts[f"peak_rss_bytes_rank{r}"] for r in range(ranks)]
        epochs = max(1, counts.get("exchange_epochs", 1))   # the cable engine does not count its traffic
        per_epoch = counts.get("exchange_bytes_received_rank0", 0) / epochs
        sent = [counts.get(f"exchange_bytes_sent_rank{r}", 0) / epochs for r in range(ranks)]
    else:
        rss, per_epoch, sent = [prov["peak_rss_bytes"]], 0.0, [0.0]
    build = timings.get("build", timings.get("read_and_build"))   # the mass engine times reading and building together
    r = {"ranks": ranks, "threads": threads, "exchange": mode if ranks > 1 else "-", "build_s": build, "simulate_s": timings["simulate"],
         "peak_rss_bytes_per_rank": rss, "bytes_received_per_epoch_rank0": per_epoch, "bytes_sent_per_epoch_per_rank": sent,
         "exchange_epochs": counts.get("exchange_epochs"), "synapses": counts.get("synapses"), "spikes": counts.get("spikes"), "spikes_sha256": sha256(os.path.join(out_dir, "spikes.csv")) if os.path.exists(os.path.join(out_dir, "spikes.csv")) else None,
         "loadavg_before": load_before, "loadavg_after": load_after, "git_commit": prov.get("git_commit")}
    r.update(process)
    return r


PROBE_YAML = """resolution: 0.1 ms
duration: 10 ms
seed: 1
populations:
  E: {{model: iaf_psc_delta, size: {n}}}
connections:
  - {{source: E, target: E, rule: one_to_one, synapse: {{weight: 0.1 mV, delay: 1.5 ms}}}}
"""


def memory_probe(work):
    """Per-neuron memory of one rank, split into what every rank holds for the whole network
    (g, bytes per neuron of N) and what it holds for its own neurons (l, bytes per neuron of
    N / R), from the peak RSS of networks of 1 and 2 million neurons with one synapse each
    (iaf_psc_delta, delay 1.5 ms at 0.1 ms, so input rings of 30 steps), at 1x1, 1x2 and 2x1:
    RSS(1x1) = c + (g + l) N, RSS(2x1) = c + (g + l / 2) N per rank; 1x2 - 1x1 is what a thread adds."""
    rows = {}
    for n in (1_000_000, 2_000_000):
        path = os.path.join(work, f"probe_{n}.yaml")
        with open(path, "w") as f:
            f.write(PROBE_YAML.format(n=n))
        for ranks, threads in ((1, 1), (1, 2), (2, 1)):
            r = run_layout(path, ranks, threads, "targeted", os.path.join(work, f"probe_{n}"))
            rows[(n, ranks, threads)] = max(r["peak_rss_bytes_per_rank"])
            print(f"  memory probe: {n} neurons, {ranks}x{threads}: {rows[(n, ranks, threads)] / MIB:.0f} MiB per rank", flush=True)
    dn = 1_000_000
    one = (rows[(2_000_000, 1, 1)] - rows[(1_000_000, 1, 1)]) / dn      # g + l
    two = (rows[(2_000_000, 2, 1)] - rows[(1_000_000, 2, 1)]) / dn      # g + l / 2
    thread = ((rows[(2_000_000, 1, 2)] - rows[(1_000_000, 1, 2)]) - (rows[(2_000_000, 1, 1)] - rows[(1_000_000, 1, 1)])) / dn
    local = 2 * (one - two)
    return {"rss_bytes": {f"{n}_{r}x{t}": v for (n, r, t), v in rows.items()},
            "global_bytes_per_neuron": one - local, "local_bytes_per_neuron": local, "bytes_per_neuron_per_extra_thread": thread}


def other_networks(work, layouts):
    """The microcircuit at scale 0.1 (examples/microcircuit.yaml, 1.5 s) and Arbor's busyring with
    256 cells (examples/busyring.yaml): simulate time, peak RSS per rank, and whether every data
    file is byte-identical to the 1x1 run's."""
    rows = []
    with open(os.path.join(bb.REPO, "examples", "busyring.yaml")) as f:
        ring = f.read().replace("ring: {cell: busyring, size: 64}", "ring: {cell: busyring, size: 256}")
    ring_path = os.path.join(work, "busyring256.yaml")
    with open(ring_path, "w") as f:
        f.write(ring)
    def example(name):
        return os.path.join(bb.REPO, "examples", name)
    for name, path, files in (("microcircuit 0.1", example("microcircuit.yaml"), ["spikes.csv"]),
                              ("busyring 256", ring_path, ["spikes.csv", "cv_voltage.csv"]),
                              ("Epileptor 76 (mass)", example("tvb76_epileptor_eeg.yaml"), ["tavg.csv", "eeg.csv", "meg.csv"]),
                              ("gap junctions", example("gap_junctions.yaml"), ["spikes.csv", "multimeter_quiet.csv"]),
                              ("structural plasticity", example("structural_plasticity.yaml"), ["spikes.csv", "structural.csv"]),
                              ("dopamine STDP", example("dopamine_stdp.yaml"), ["spikes.csv", "weights.csv"])):
        first = None
        for ranks, threads, mode in layouts:
            print(f"{name}: {ranks} ranks x {threads} threads ...", flush=True)
            r = run_layout(path, ranks, threads, mode, os.path.join(work, name.replace(" ", "_")))
            out = os.path.join(work, name.replace(" ", "_"), f"r{ranks}t{threads}{mode}")
            hashes = [sha256(os.path.join(out, f)) for f in files]
            first = first or hashes
            rows.append({"network": name, "ranks": ranks, "threads": threads, "exchange": mode if ranks > 1 else "-",
                         "simulate_s": r["simulate_s"], "build_s": r["build_s"], "peak_rss_bytes_per_rank": r["peak_rss_bytes_per_rank"],
                         "bytes_sent_per_epoch_per_rank": r["bytes_sent_per_epoch_per_rank"], "exchange_epochs": r["exchange_epochs"],
                         "files": files, "identical_to_first": hashes == first, "process_cpu_s": r["process_cpu_s"]})
    return rows


def nest_has_mpi(python):
    code = "import nest; print(int(nest.GetKernelStatus('build_info')['have_mpi']))"
    try:
        out = subprocess.run([python, "-c", code], capture_output=True, text=True, timeout=120).stdout.strip().splitlines()
        return out[-1] == "1"
    except Exception:
        return None


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--scales", type=int, nargs="+", default=[1, 10])
    ap.add_argument("--layouts", nargs="+", default=["1x1", "1x2", "2x1", "2x1:gather"],
                    help="ranks x threads, with :gather for the all-to-all gather instead of the targeted exchange")
    ap.add_argument("--duration", type=float, default=None, help="simulated ms (default 1000 at scale 1, 200 beyond)")
    ap.add_argument("--nest-python", help="Python with nest-simulator 3.10: adds NEST at scale 1, 1 and 2 threads")
    ap.add_argument("--json", default=DEFAULT_JSON)
    ap.add_argument("--no-memory-probe", action="store_true", help="skip the per-neuron memory split (1 and 2 million neurons)")
    ap.add_argument("--no-others", action="store_true", help="skip the other networks' identity runs")
    ap.add_argument("--others-only", action="store_true", help="run only the other networks; keep the JSON's Brunel runs and memory probe")
    ap.add_argument("--probe-only", action="store_true", help="run only the memory probe; keep the rest of the JSON")
    args = ap.parse_args()
    layouts = []
    for spec in args.layouts:
        shape, _, mode = spec.partition(":")
        ranks, threads = (int(x) for x in shape.split("x"))
        layouts.append((ranks, threads, mode or "targeted"))
    with open(bb.EXAMPLE) as f:
        base = f.read()
    results = {"machine": {"cpus": os.cpu_count()}, "runs": []}
    if args.others_only:
        with open(args.json) as f:
            results = json.load(f)
        args.scales, args.no_memory_probe, args.nest_python = [], True, None
    if args.probe_only:
        with open(args.json) as f:
            results = json.load(f)
        args.scales, args.no_others, args.nest_python = [], True, None
    with tempfile.TemporaryDirectory(prefix="plexus-mpi-bench-") as work:
        for scale in args.scales:
            duration = args.duration or (1000.0 if scale == 1 else 200.0)
            text = bb.scaled_yaml(base, scale).replace("duration: 1000 ms", f"duration: {duration:g} ms")
            path = os.path.join(work, f"brunel_x{scale}.yaml")
            with open(path, "w") as f:
                f.write(text)
            reference = None
            for ranks, threads, mode in layouts:
                print(f"scale {scale} ({12500 * scale} neurons, {duration:g} ms): {ranks} ranks x {threads} threads, {mode} ...", flush=True)
                r = run_layout(path, ranks, threads, mode, os.path.join(work, f"x{scale}"))
                r.update({"engine": "Plexus", "scale": scale, "neurons": 12500 * scale, "duration_ms": duration})
                if reference is None:
                    reference = r
                r["identical_to_first"] = r["spikes_sha256"] == reference["spikes_sha256"]
                r["simulate_ratio_to_first"] = r["simulate_s"] / reference["simulate_s"]
                r["max_rank_rss_ratio_to_first"] = max(r["peak_rss_bytes_per_rank"]) / reference["peak_rss_bytes_per_rank"][0]
                results["runs"].append(r)
        if not args.no_others:
            results["others"] = other_networks(work, [(1, 1, "targeted"), (1, 2, "targeted"), (2, 1, "targeted"), (2, 2, "targeted"), (3, 1, "targeted")])
        if not args.no_memory_probe:
            print("memory probe ...", flush=True)
            results["memory_probe"] = memory_probe(work)
        if args.nest_python:
            mpi = nest_has_mpi(args.nest_python)
            results["nest_has_mpi"] = mpi
            n_e, n_i = 10000, 2500
            for threads in (1, 2):
                print(f"NEST 3.10, scale 1, {threads} threads ...", flush=True)
                bb.SIMTIME = 1000.0
                r = bb.run_nest(args.nest_python, n_e, n_i, threads, work)
                results["runs"].append({"engine": "NEST", "scale": 1, "ranks": 1, "threads": threads, "build_s": r["build_s"],
                                        "simulate_s": r["simulate_s"], "peak_rss_bytes_per_rank": [r["peak_rss_bytes"]],
                                        "process_cpu_s": r["process_cpu_s"], "loadavg_before": r["loadavg_before"],
                                        "loadavg_after": r["loadavg_after"]})
    print()
    print(f"{'engine':7} {'scale':>5} {'RxT':>5} {'exchange':>9} {'build s':>8} {'sim s':>8} {'cpu s':>8} {'RSS MiB/rank':>18} {'kB/epoch':>9} {'same':>5} {'sim/1x1':>8} {'RSS/1x1':>8}")
    for r in results["runs"]:
        rss = "/".join(f"{b / MIB:.0f}" for b in r["peak_rss_bytes_per_rank"])
        kb = r.get("bytes_received_per_epoch_rank0", 0) / 1024
        same = {True: "yes", False: "NO"}.get(r.get("identical_to_first"), "-")
        print(f"{r['engine']:7} {r['scale']:>5} {str(r['ranks']) + 'x' + str(r['threads']):>5} {r.get('exchange', '-'):>9} {r['build_s']:8.2f} {r['simulate_s']:8.2f} "
              f"{r['process_cpu_s']:8.2f} {rss:>18} {kb:9.1f} {same:>5} {r.get('simulate_ratio_to_first', float('nan')):8.2f} "
              f"{r.get('max_rank_rss_ratio_to_first', float('nan')):8.2f}")
    for r in results.get("others", []):
        rss = "/".join(f"{b / MIB:.0f}" for b in r["peak_rss_bytes_per_rank"])
        sent = r.get("bytes_sent_per_epoch_per_rank") or [0]
        traffic = f", {max(sent) / 1024:.1f} kB sent per exchange and rank" if r["ranks"] > 1 and max(sent) > 0 else ""
        print(f"{r['network']:21} {r['ranks']}x{r['threads']}: build {r['build_s']:.2f} s, simulate {r['simulate_s']:.2f} s, "
              f"CPU {r['process_cpu_s']:.2f} s, RSS {rss} MiB{traffic}, {'+'.join(r['files'])} {'identical' if r['identical_to_first'] else 'DIFFERENT'}")
    if "memory_probe" in results:
        m = results["memory_probe"]
        print(f"memory per rank: {m['global_bytes_per_neuron']:.0f} B per neuron of the whole network, "
              f"{m['local_bytes_per_neuron']:.0f} B per own neuron (input rings of 30 steps, state of the update), "
              f"{m['bytes_per_neuron_per_extra_thread']:.1f} B per neuron for each extra thread")
    if "nest_has_mpi" in results:
        print(f"NEST 3.10 wheel built with MPI: {results['nest_has_mpi']}")
    os.makedirs(os.path.dirname(args.json), exist_ok=True)
    with open(args.json, "w") as f:
        json.dump(results, f, indent=1)
    print(f"wrote {args.json}")


if __name__ == "__main__":
    main()
