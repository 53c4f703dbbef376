"""Side-by-side speed benchmark of Plexus and NEURON 9 on Allen Institute perisomatic cells.

The cells are the three Allen Cell Types models of examples/allen/cells.json (Scnn1a_473845048,
Rorb_325404214, Pvalb_470522102), built on the NEURON side exactly as bmtk 1.2.0 builds them
(tools/neuron_allen.build_cell: Biophys1.hoc + aibs_perisomatic + set_segment_dl(20)) and on the
Plexus side from the same files (`allen: {morphology:, fit:}` cells, `mechanisms:
[examples/allen/mechanisms]`). Both: 34 degC, V_init -80 mV, fixed step dt 0.025 ms (NEURON: cvode
off, secondorder 0, one thread), spike threshold -15 mV at soma(0.5). Every run is its own
process, one at a time: NEURON runs under /opt/neuronvenv/bin/python (this script re-executes
itself there as a worker), Plexus is `plexus run FILE --quiet --no-report` on generated YAML files.

Cases (--cases):
  compile   the cell mechanisms compiled from scratch, once: Plexus `plexus build-catalogue
            examples/allen/mechanisms` with an empty PLEXUS_CACHE (16 .mod files; it refuses
            vecevent.mod, an ARTIFICIAL_CELL no cell uses); NEURON `nrnivmodl` into an empty
            folder (all 17). Later Plexus runs use the warm cache
            (~/.cache/plexus), NEURON the compiled .build-neuron/allen_mods.
  single    each cell alone, IClamp at soma(0.5) with the 'strong' amplitude of
            Tests/Fixtures/allen/manifest.json (Scnn1a 0.25, Rorb 0.35, Pvalb 0.5 nA) from 100 ms
            for 1000 ms, tstop 1200 ms (48000 steps).
  network   200 cells: 67 Scnn1a + 67 Rorb + 66 Pvalb (gids in that order). Each cell has ONE
            Exp2Syn at soma(0.5) (tau1 0.5 ms, tau2 2 ms, e 0 mV; Plexus merges identical synapses
            of a CV, so in NEURON all of a cell's NetCons target its one Exp2Syn) and receives 20
            connections from distinct random cells (no self connections; random.Random(1) draws
            the table once and both simulators get the same table): threshold -15 mV at soma(0.5),
            delay 2 ms, weight --weight (default 0.001 uS). Every cell is driven by a step current
            of its cell's 'near' amplitude (Scnn1a 0.075, Rorb 0.13, Pvalb 0.18 nA) from 100 ms to
            the end; tstop --net-tstop (default 1000 ms, 40000 steps). Plexus runs once per
            --threads value (default 1 2); NEURON always with one thread.

Columns:
  build s     NEURON: build_cell (SWC read by Import3d, bmtk's aibs_perisomatic, nseg) plus, in the
              network, IClamps, Exp2Syns, NetCons and the spike recorders, plus finitialize(-80).
              Plexus: timings_s read + build of provenance.json (YAML, SWC and fit read, the
              compiled catalogue loaded, discretisation, synapses, connection tables).
  sim s       wall time of the integration only. NEURON: the loop of round(tstop/dt) h.fadvance()
              calls (time.perf_counter around it). Plexus: timings_s.simulate.
  sim CPU s   CPU time of the same span. NEURON: time.process_time() around the loop (one thread);
              Plexus: cpu_s.simulate of provenance.json (all its threads).
  proc CPU s  CPU time (user + system, all threads) of the whole process, from os.wait4 (NEURON's
              includes starting Python, importing neuron and bmtk and loading the mechanisms).
  RSS MB      peak resident set of the process (ru_maxrss from os.wait4), MiB.
  spikes      NEURON: NetCon-recorded spikes (threshold -15 mV; times at the end of the step);
              Plexus: spikes.csv (time interpolated within the step). In the single-cell case the
              counts must be equal; in the network they may differ slightly.
  ratio       Plexus / NEURON of build, sim wall and sim CPU. Goal of the issue: sim <= 0.25x.

After the table, the network's spikes per cell kind and a spike-train comparison per Plexus run:
each cell's k-th spikes paired, the cells whose counts agree, the first time a pair is missing or
more than 0.1 ms apart, and the largest difference before it. With --weight 0 (cells uncoupled)
the trains must agree in every cell within one step (0.025 ms: NEURON's NetCon time is the end of
the step). Coupled, identical cells of a kind fire in synchronous volleys, NEURON delivers an event
at (end of the source's step) + delay and Plexus at its interpolated time + delay, and the trains
drift apart within tens of ms; compare the totals then, not the trains.

The machine is shared: the load average (/proc/loadavg) before and after each run is printed and
kept in the JSON, read the wall times together with it and with the CPU columns.

Run from the repository root:
  python3 bench/allen_bench.py                                  # builds .build-bench first
  python3 bench/allen_bench.py --no-build --cases single --json /tmp/allen.json
  python3 bench/allen_bench.py --no-build --cases network --threads 1 --weight 0.002
Options: --cases {compile,single,network} [...], --threads N [N ...], --weight uS,
--net-tstop ms, --no-build, --neuron-python PATH, --json PATH, --keep DIR (keep the generated
files and run folders there instead of a temporary folder).
"""
import argparse
import json
import os
import platform
import random
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from provenance import table

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
ALLEN = os.path.join(REPO, "examples", "allen")
MECHS = os.path.join(ALLEN, "mechanisms")
MANIFEST = os.path.join(REPO, "Tests", "Fixtures", "allen", "manifest.json")
SCRATCH = os.path.join(REPO, ".build-bench")
PLEXUS = os.path.join(SCRATCH, "release", "plexus")
NEURON_PYTHON = "/opt/neuronvenv/bin/python"

CELLS = ["Scnn1a_473845048", "Rorb_325404214", "Pvalb_470522102"]
KIND = {"Scnn1a_473845048": "scnn1a", "Rorb_325404214": "rorb", "Pvalb_470522102": "pvalb"}
NET_SIZES = [("Scnn1a_473845048", 67), ("Rorb_325404214", 67), ("Pvalb_470522102", 66)]
NET_INDEGREE = 20
NET_SEED = 1
DT = 0.025
DELAY = 100.0
SINGLE_DURATION = 1000.0
SINGLE_TSTOP = 1200.0
THRESHOLD = -15.0
V_INIT = -80.0
CELSIUS = 34.0
SYN = {"tau1": 0.5, "tau2": 2.0, "e": 0.0}
SYN_DELAY = 2.0


def cell_files(name):
    """Absolute morphology and fit paths of a cell of examples/allen/cells.json."""
    with open(os.path.join(ALLEN, "cells.json")) as f:
        c = json.load(f)["cells"][name]
    return os.path.join(ALLEN, c["morphology"]), os.path.join(ALLEN, c["fit"])


def amplitudes():
    with open(MANIFEST) as f:
        return json.load(f)["amps_nA"]


def network_table():
    """gid -> cell name, and the connection list [(source gid, target gid)], drawn once."""
    names = [n for n, size in NET_SIZES for _ in range(size)]
    rng = random.Random(NET_SEED)
    conns = []
    for tgt in range(len(names)):
        for src in rng.sample([g for g in range(len(names)) if g != tgt], NET_INDEGREE):
            conns.append((src, tgt))
    return names, conns


# ---------------------------------------------------------------- NEURON worker (runs under NEURON_PYTHON)


def neuron_worker(spec_path, out_path):
    with open(spec_path) as f:
        spec = json.load(f)
    sys.path.insert(0, os.path.join(REPO, "tools"))
    import neuron_allen as na

    if spec["case"] == "compile":
        build = spec["build_dir"]
        t0 = time.perf_counter()
        na.compile_mods(MECHS, build)
        res = {"compile_s": time.perf_counter() - t0}
        usage = resource.getrusage(resource.RUSAGE_CHILDREN)
        res["children_cpu_s"] = usage.ru_utime + usage.ru_stime
    else:
        na.load_mods(na.compile_mods(MECHS))
        h = na.neuron_h()
        if spec["case"] == "single":
            morph, fit = cell_files(spec["cell"])
            with open(fit) as f:
                params = json.load(f)
            w0, c0 = time.perf_counter(), time.process_time()
            hobj = na.build_cell(morph, params)
            build_wall, build_cpu = time.perf_counter() - w0, time.process_time() - c0
            r = na.run(hobj, spec["amp"], DELAY, SINGLE_DURATION, SINGLE_TSTOP, dt=DT, v_init=V_INIT,
                       celsius=CELSIUS, threshold=THRESHOLD)
            res = {"build_s": build_wall, "build_cpu_s": build_cpu, "sim_s": r["wall_s"], "sim_cpu_s": r["cpu_s"],
                   "steps": r["nsteps"], "spikes": len(r["spikes_netcon"]), "spikes_interp": len(r["spikes_interp"]),
                   "nseg": na.cell_summary(hobj)["total_nseg"]}
        else:
            res = neuron_network(h, na, spec)
    res["peak_rss_self_bytes"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    with open(out_path, "w") as f:
        json.dump(res, f)


def neuron_network(h, na, spec):
    names, conns = network_table()
    amps = amplitudes()
    params = {}
    for n in set(names):
        with open(cell_files(n)[1]) as f:
            params[n] = json.load(f)
    h.cvode_active(0)
    h.secondorder = 0
    h.celsius = CELSIUS
    h.dt = DT
    h.steps_per_ms = 1.0 / DT
    tstop = spec["tstop"]
    h.tstop = tstop

    w0, c0 = time.perf_counter(), time.process_time()
    cells, stims, syns, ncs = [], [], [], []
    for n in names:
        cells.append(na.build_cell(cell_files(n)[0], params[n]))
    cells_wall, cells_cpu = time.perf_counter() - w0, time.process_time() - c0
    tvec, idvec = h.Vector(), h.Vector()
    for gid, (n, hobj) in enumerate(zip(names, cells)):
        soma = hobj.soma[0]
        st = h.IClamp(soma(0.5))
        st.delay, st.dur, st.amp = DELAY, 1e9, amps[n]["near"]
        stims.append(st)
        syn = h.Exp2Syn(soma(0.5))
        syn.tau1, syn.tau2, syn.e = SYN["tau1"], SYN["tau2"], SYN["e"]
        syns.append(syn)
        rec = h.NetCon(soma(0.5)._ref_v, None, sec=soma)
        rec.threshold = THRESHOLD
        rec.record(tvec, idvec, gid)
        ncs.append(rec)
    for src, tgt in conns:
        soma = cells[src].soma[0]
        nc = h.NetCon(soma(0.5)._ref_v, syns[tgt], sec=soma)
        nc.threshold = THRESHOLD
        nc.delay = SYN_DELAY
        nc.weight[0] = spec["weight"]
        ncs.append(nc)
    h.finitialize(V_INIT)
    build_wall, build_cpu = time.perf_counter() - w0, time.process_time() - c0

    nsteps = int(round(tstop / DT))
    fadvance = h.fadvance
    w0, c0 = time.perf_counter(), time.process_time()
    for _ in range(nsteps):
        fadvance()
    sim_wall, sim_cpu = time.perf_counter() - w0, time.process_time() - c0
    ids = [int(x) for x in idvec]
    if spec.get("spikes_out"):
        with open(spec["spikes_out"], "w") as f:
            f.write("gid,t_ms\n")
            for g, t in zip(ids, tvec):
                f.write(f"{g},{t!r}\n")
    per_kind = {}
    for g in ids:
        per_kind[KIND[names[g]]] = per_kind.get(KIND[names[g]], 0) + 1
    return {"build_s": build_wall, "build_cpu_s": build_cpu, "cells_build_s": cells_wall, "cells_build_cpu_s": cells_cpu,
            "sim_s": sim_wall, "sim_cpu_s": sim_cpu, "steps": nsteps, "spikes": len(ids), "spikes_per_kind": per_kind,
            "nthread": int(h.ParallelContext().nthread()), "t_end": h.t}


# ---------------------------------------------------------------- driver


def run_measured(argv, env, log_path):
    """Run argv to completion (stdout+stderr to log_path); the child's wall s, CPU s (user +
    system, all threads) and peak RSS, from os.wait4, so each run is measured alone."""
    with open(log_path, "wb") as log:
        t0 = time.perf_counter()
        pid = os.posix_spawnp(argv[0], argv, env, file_actions=[
            (os.POSIX_SPAWN_DUP2, log.fileno(), 1),
            (os.POSIX_SPAWN_DUP2, log.fileno(), 2),
        ])
        _, status, usage = os.wait4(pid, 0)
        wall = time.perf_counter() - t0
    return os.waitstatus_to_exitcode(status), {"process_wall_s": wall, "process_cpu_s": usage.ru_utime + usage.ru_stime,
                                               "peak_rss_bytes": usage.ru_maxrss * 1024}


def loadavg():
    with open("/proc/loadavg") as f:
        return " ".join(f.read().split()[:3])


def measured(argv, log, what, env=None):
    before = loadavg()
    code, proc = run_measured(argv, dict(env or os.environ), log)
    after = loadavg()
    if code != 0:
        with open(log, errors="replace") as f:
            tail = f.read()[-4000:]
        raise RuntimeError(f"{what} failed with exit code {code}:\n{tail}")
    proc.update({"loadavg_before": before, "loadavg_after": after})
    return proc


def run_neuron(python, spec, work, tag):
    spec_path = os.path.join(work, f"neuron_{tag}.spec.json")
    out = os.path.join(work, f"neuron_{tag}.json")
    with open(spec_path, "w") as f:
        json.dump(spec, f)
    proc = measured([python, os.path.abspath(__file__), "--neuron-worker", spec_path, out],
                    os.path.join(work, f"neuron_{tag}.log"), f"NEURON {tag}")
    with open(out) as f:
        r = json.load(f)
    r.update(proc)
    return r


def read_spikes(path, gid_col, t_col):
    per = {}
    with open(path) as f:
        head = f.readline().strip().split(",")
        gi, ti = head.index(gid_col), head.index(t_col)
        for line in f:
            p = line.strip().split(",")
            per.setdefault(int(p[gi]), []).append(float(p[ti]))
    return {g: sorted(v) for g, v in per.items()}


def compare_spikes(nrn, px, ncells, tol=0.1):
    """Pair each cell's k-th spikes. The first divergence is the earliest time at which a cell's
    k-th spike is missing on one side or differs by more than tol ms; max_dt_ms is the largest
    difference of the pairs before it (NEURON's NetCon time is the end of the step, Plexus's is
    interpolated: up to one step, 0.025 ms, apart)."""
    first, first_gid = float("inf"), None
    for g in range(ncells):
        a, b = nrn.get(g, []), px.get(g, [])
        for k in range(max(len(a), len(b))):
            if k >= len(a) or k >= len(b) or abs(a[k] - b[k]) > tol:
                t = min(x[k] for x in (a, b) if k < len(x))
                if t < first:
                    first, first_gid = t, g
                break
    worst = max((abs(x - y) for g in range(ncells) for x, y in zip(nrn.get(g, []), px.get(g, [])) if min(x, y) < first),
                default=0.0)
    same_cells = sum(1 for g in range(ncells) if len(nrn.get(g, [])) == len(px.get(g, [])))
    return {"first_divergence_ms": None if first == float("inf") else first, "first_divergence_gid": first_gid,
            "max_dt_ms_before_divergence": worst, "cells_with_equal_counts": same_cells}


def run_plexus(yaml_path, threads, work, tag):
    out = os.path.join(work, f"plexus_{tag}")
    proc = measured([PLEXUS, "run", yaml_path, "--threads", str(threads), "--out", out, "--quiet", "--no-report"],
                    os.path.join(work, f"plexus_{tag}.log"), f"Plexus {tag}")
    with open(os.path.join(out, "provenance.json")) as f:
        prov = json.load(f)
    t, cpu, counts = table(prov["timings_s"]), table(prov.get("cpu_s", {})), table(prov["counts"])
    per_kind = {}
    with open(os.path.join(out, "spikes.csv")) as f:
        next(f)
        for line in f:
            pop = line.split(",", 1)[0]
            per_kind[pop] = per_kind.get(pop, 0) + 1
    r = {"threads": threads, "read_s": t.get("read", 0.0), "build_only_s": t["build"],
         "build_s": t.get("read", 0.0) + t["build"], "sim_s": t["simulate"], "sim_cpu_s": cpu.get("simulate"),
         "build_cpu_s": cpu.get("build"), "provenance_peak_rss_bytes": prov["peak_rss_bytes"],
         "spikes": counts["spikes"], "spikes_per_kind": per_kind, "cvs": counts.get("cvs"),
         "connections": counts.get("connections"), "events": counts.get("events"),
         "git_commit": prov.get("git_commit"), "git_dirty": prov.get("git_dirty"),
         "spikes_csv": os.path.join(out, "spikes.csv")}
    r.update(proc)
    return r


def cell_yaml(name, kind, amp, duration, synapse=False):
    morph, fit = cell_files(name)
    place = [f"{{locset: soma_center, iclamp: {{delay: {DELAY:g} ms, duration: {duration:g} ms, amplitude: {amp:g} nA}}}}"]
    if synapse:
        place.append(f"{{locset: soma_center, synapse: exp2syn, label: syn, "
                     f"params: {{tau1: {SYN['tau1']:g} ms, tau2: {SYN['tau2']:g} ms, e: {SYN['e']:g} mV}}}}")
    return "\n".join([
        f"  {kind}:",
        f"    allen: {{morphology: {morph}, fit: {fit}}}",
        f"    temperature: {CELSIUS:g} degC",
        f"    defaults: {{V_init: {V_INIT:g} mV}}",
        f"    place: [{', '.join(place)}]",
        f"    detectors: [{{locset: soma_center, threshold: {THRESHOLD:g} mV}}]",
    ])


def single_yaml(name, amp):
    kind = KIND[name]
    return "\n".join([
        "engine: cable",
        f"description: allen_bench single cell {name}, {amp:g} nA from {DELAY:g} ms for {SINGLE_DURATION:g} ms",
        f"mechanisms: [{MECHS}]",
        f"resolution: {DT:g} ms",
        f"duration: {SINGLE_TSTOP:g} ms",
        "cells:",
        cell_yaml(name, kind, amp, SINGLE_DURATION),
        f"populations: {{{kind}: {{cell: {kind}, size: 1}}}}",
        "record: {spikes: true}",
        "",
    ])


def network_yaml(weight, tstop):
    names, conns = network_table()
    amps = amplitudes()
    first, index = {}, []
    for g, n in enumerate(names):
        first.setdefault(n, g)
        index.append(g - first[n])
    lines = [
        "engine: cable",
        f"description: allen_bench network, {len(names)} Allen cells, {len(conns)} exp2syn connections, weight {weight:g} uS",
        f"mechanisms: [{MECHS}]",
        f"resolution: {DT:g} ms",
        f"duration: {tstop:g} ms",
        "cells:",
    ]
    for n, _ in NET_SIZES:
        lines.append(cell_yaml(n, KIND[n], amps[n]["near"], tstop, synapse=True))
    lines.append("populations:")
    for n, size in NET_SIZES:
        lines.append(f"  {KIND[n]}: {{cell: {KIND[n]}, size: {size}}}")
    lines.append("connections:")
    for src, tgt in conns:
        lines.append(f"  - {{source: \"{KIND[names[src]]}[{index[src]}]\", target: \"{KIND[names[tgt]]}[{index[tgt]}]\", "
                     f"synapse: syn, weight: {weight:g} uS, delay: {SYN_DELAY:g} ms}}")
    lines += ["record: {spikes: true}", ""]
    return "\n".join(lines)


def ratio(a, b):
    return f"{a / b:.3f}x" if a is not None and b else "-"


def fmt(x, spec=".3f"):
    return "-" if x is None else format(x, spec)


def print_rows(rows):
    hdr = (f"{'case':<22} {'engine':<10} {'build s':>8} {'sim s':>8} {'sim CPU':>8} {'proc CPU':>8} {'RSS MB':>7} "
           f"{'spikes':>6} | {'Px/NRN build':>12} {'sim':>7} {'sim CPU':>7} | loadavg before -> after")
    print(hdr)
    print("-" * len(hdr))
    for r in rows:
        nrn = r.get("neuron")
        for eng in ["neuron"] + sorted(k for k in r if k.startswith("plexus")):
            e = r.get(eng)
            if not e:
                continue
            label = "NEURON" if eng == "neuron" else f"Plexus t{e['threads']}"
            rat = ""
            if eng != "neuron" and nrn:
                rat = f"{ratio(e['build_s'], nrn['build_s']):>12} {ratio(e['sim_s'], nrn['sim_s']):>7} {ratio(e['sim_cpu_s'], nrn['sim_cpu_s']):>7}"
            else:
                rat = f"{'':>12} {'':>7} {'':>7}"
            print(f"{r['case']:<22} {label:<10} {fmt(e['build_s']):>8} {fmt(e['sim_s']):>8} {fmt(e['sim_cpu_s']):>8} "
                  f"{fmt(e['process_cpu_s'], '.2f'):>8} {e['peak_rss_bytes'] / 2**20:>7.1f} {e['spikes']:>6} | {rat} | "
                  f"{e['loadavg_before']} -> {e['loadavg_after']}")


def main():
    if len(sys.argv) == 4 and sys.argv[1] == "--neuron-worker":
        neuron_worker(sys.argv[2], sys.argv[3])
        return
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--cases", nargs="+", choices=["compile", "single", "network"], default=["compile", "single", "network"])
    ap.add_argument("--threads", type=int, nargs="+", default=[1, 2], help="Plexus thread counts for the network (NEURON: 1)")
    ap.add_argument("--weight", type=float, default=0.001, help="network synaptic weight, uS (default 0.001)")
    ap.add_argument("--net-tstop", type=float, default=1000.0, help="network tstop, ms (default 1000)")
    ap.add_argument("--no-build", action="store_true", help="skip swift build (use .build-bench/release/plexus)")
    ap.add_argument("--neuron-python", default=NEURON_PYTHON, help="a Python with neuron==9.0.2 and bmtk==1.2.0")
    ap.add_argument("--json", default=None, help="write every number there")
    ap.add_argument("--keep", default=None, help="keep generated YAML, logs and run folders in this folder")
    a = ap.parse_args()

    os.chdir(REPO)
    print(f"loadavg at start: {loadavg()}   cpus: {os.cpu_count()}", flush=True)
    if not a.no_build:
        print("swift build -c release --product plexus --build-path .build-bench ...", flush=True)
        t0 = time.perf_counter()
        subprocess.run(["swift", "build", "-c", "release", "--product", "plexus", "--build-path", SCRATCH],
                       cwd=REPO, check=True, stdout=subprocess.DEVNULL)
        print(f"  built in {time.perf_counter() - t0:.0f} s", flush=True)
    if not os.path.exists(PLEXUS):
        sys.exit(f"no {PLEXUS}: run without --no-build")

    if a.keep:
        os.makedirs(a.keep, exist_ok=True)
        work, cleanup = os.path.abspath(a.keep), None
    else:
        cleanup = tempfile.TemporaryDirectory(prefix="allen_bench_")
        work = cleanup.name
    amps = amplitudes()
    results = {"machine": {"cpus": os.cpu_count(), "platform": platform.platform()},
               "settings": {"dt_ms": DT, "single_tstop_ms": SINGLE_TSTOP, "net_tstop_ms": a.net_tstop,
                            "weight_uS": a.weight, "indegree": NET_INDEGREE, "seed": NET_SEED,
                            "net_sizes": dict(NET_SIZES), "synapse": SYN, "syn_delay_ms": SYN_DELAY},
               "loadavg_start": loadavg(), "compile": None, "runs": []}
    try:
        if "compile" in a.cases:
            cache = os.path.join(work, "plexus_cache")
            env = dict(os.environ, PLEXUS_CACHE=cache)
            px = measured([PLEXUS, "build-catalogue", MECHS], os.path.join(work, "plexus_compile.log"),
                          "plexus build-catalogue", env=env)
            nrn = run_neuron(a.neuron_python, {"case": "compile", "build_dir": os.path.join(work, "nrnivmodl")}, work, "compile")
            # warm the default cache for the runs below (no-op when it is already there)
            subprocess.run([PLEXUS, "build-catalogue", MECHS], check=True, stdout=subprocess.DEVNULL)
            results["compile"] = {"plexus": px, "neuron": nrn}
            print(f"compile, cold: Plexus build-catalogue {px['process_wall_s']:.1f} s wall "
                  f"({px['process_cpu_s']:.1f} s CPU, clang included); "
                  f"NEURON nrnivmodl {nrn['compile_s']:.1f} s wall ({nrn['children_cpu_s']:.1f} s CPU of its children)",
                  flush=True)
        else:
            subprocess.run([PLEXUS, "build-catalogue", MECHS], check=True, stdout=subprocess.DEVNULL)

        if "single" in a.cases:
            for name in CELLS:
                amp = amps[name]["strong"]
                row = {"case": f"single {KIND[name]} {amp:g} nA", "cell": name, "amp_nA": amp}
                row["neuron"] = run_neuron(a.neuron_python, {"case": "single", "cell": name, "amp": amp}, work, f"single_{KIND[name]}")
                y = os.path.join(work, f"single_{KIND[name]}.yaml")
                with open(y, "w") as f:
                    f.write(single_yaml(name, amp))
                row["plexus_t1"] = run_plexus(y, 1, work, f"single_{KIND[name]}")
                row["plexus_t1"].pop("spikes_csv")
                results["runs"].append(row)
                print(json.dumps(row), flush=True)

        if "network" in a.cases:
            names, conns = network_table()
            row = {"case": f"network 200 w={a.weight:g}", "weight_uS": a.weight, "tstop_ms": a.net_tstop,
                   "connections": len(conns)}
            nrn_spikes = os.path.join(work, "neuron_network_spikes.csv")
            row["neuron"] = run_neuron(a.neuron_python, {"case": "network", "weight": a.weight, "tstop": a.net_tstop,
                                                         "spikes_out": nrn_spikes}, work, "network")
            print(json.dumps(row), flush=True)
            y = os.path.join(work, "network.yaml")
            with open(y, "w") as f:
                f.write(network_yaml(a.weight, a.net_tstop))
            for t in a.threads:
                try:
                    r = run_plexus(y, t, work, f"network_t{t}")
                    r["vs_neuron"] = compare_spikes(read_spikes(nrn_spikes, "gid", "t_ms"),
                                                    read_spikes(r.pop("spikes_csv"), "gid", "t_ms"), len(names))
                    row[f"plexus_t{t}"] = r
                except RuntimeError as e:
                    row[f"plexus_t{t}_error"] = str(e)
                    print(f"PLEXUS NETWORK RUN FAILED ({t} threads): {e}", flush=True)
                print(json.dumps({k: v for k, v in row.items() if k.startswith("plexus")}), flush=True)
            results["runs"].append(row)
    finally:
        results["loadavg_end"] = loadavg()
        if a.json:
            with open(a.json, "w") as f:
                json.dump(results, f, indent=1)
        if cleanup:
            cleanup.cleanup()

    print()
    c = results["compile"]
    if c:
        print(f"mechanism compile, cold: Plexus build-catalogue {c['plexus']['process_wall_s']:.2f} s wall; "
              f"NEURON nrnivmodl {c['neuron']['compile_s']:.2f} s wall")
    print(f"single: 1000 ms step from {DELAY:g} ms, tstop {SINGLE_TSTOP:g} ms, dt {DT:g} ms. network: 67 Scnn1a + 67 Rorb + "
          f"66 Pvalb, 20 inputs each, weight {a.weight:g} uS, delay {SYN_DELAY:g} ms, 'near' steps from {DELAY:g} ms, "
          f"tstop {a.net_tstop:g} ms. NEURON: 1 thread.")
    print()
    print_rows(results["runs"])
    for r in results["runs"]:
        if r["case"].startswith("network"):
            print(f"\nnetwork spikes per kind: NEURON {r['neuron']['spikes_per_kind']}; " + "; ".join(
                f"Plexus t{r[k]['threads']} {r[k]['spikes_per_kind']}" for k in sorted(r) if k.startswith("plexus_t") and isinstance(r[k], dict)))
            for k in sorted(r):
                if k.startswith("plexus_t") and isinstance(r[k], dict) and "vs_neuron" in r[k]:
                    v = r[k]["vs_neuron"]
                    fd = "none" if v["first_divergence_ms"] is None else f"{v['first_divergence_ms']:.3f} ms (gid {v['first_divergence_gid']})"
                    print(f"Plexus t{r[k]['threads']} vs NEURON spike trains: same count in {v['cells_with_equal_counts']}/200 cells; "
                          f"first divergence (a k-th spike missing or > 0.1 ms apart) at {fd}; "
                          f"max |dt| before it {v['max_dt_ms_before_divergence']:.4f} ms")
                if k.endswith("_error"):
                    print(f"{k}: {r[k]}")
    print(f"\nloadavg: start {results['loadavg_start']}, end {results['loadavg_end']}")
    print("goal: Plexus simulate <= 0.25x NEURON")


if __name__ == "__main__":
    main()
