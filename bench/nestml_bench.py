"""Speed of generated (NESTML) neuron models beside Plexus's built-in ones, per neuron and step.

Each case is a network of N neurons of one model (default N = 100,000): every neuron gets its own
Poisson train (one poisson_generator connected to all, as in NEST each target draws its own),
and K = 20 recurrent synapses (fixed indegree, delay 1.5 ms); all spikes are recorded. One run
per case, one after the other, each in its own `plexus run` process (release build); the figure
is the simulate phase of provenance.json (wall and CPU) divided by N x steps, and the ratio of a
generated model to its built-in counterpart where NEST has one. The load average is recorded
before and after.

  python3 bench/nestml_bench.py [--neurons 100000] [--duration 100] [--threads 1] [--json bench/results/nestml_bench.json]

Cases: iaf_psc_exp_neuron / iaf_psc_exp (exact propagators), iaf_cond_exp_neuron / iaf_cond_exp
and hh_psc_alpha_neuron / hh_psc_alpha (RKF45; the generated models at NESTML's default
tolerances 1e-6, the built-ins at NEST's 1e-3, so they take different steps), and
wb_cond_exp_neuron (Wang-Buzsaki, NESTML only).

  python3 bench/nestml_bench.py --synapses [--neurons 20000] [--duration 100] [--repeat 3] [--json bench/results/nestml_synapse_bench.json]

Synapse cases: the same network of iaf_psc_alpha neurons (built-in) with its K = 100 recurrent
synapses of one model (a weight recorder off): stdp_synapse.nestml / stdp_synapse,
stdp_triplet_synapse.nestml / stdp_triplet_synapse, tsodyks_synapse.nestml / tsodyks_synapse and
static_synapse.nestml / static_synapse (the built-in static synapses live in the compact tables,
the generated one in the plastic tables: the cost of a synapse with state). The figure is the
simulate phase divided by the synaptic events (recurrent spikes x K), the median of --repeat runs.
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PLEXUS = os.path.join(REPO, ".build", "release", "plexus")
MODELS = os.path.join(REPO, "Tests", "Fixtures", "nestml", "neurons")

# (model, generated?, poisson rate Hz, input weight, recurrent weight)
CASES = [
    ("iaf_psc_exp_neuron", True, 12000, 20.0, 5.0),
    ("iaf_psc_exp", False, 12000, 20.0, 5.0),
    ("iaf_cond_exp_neuron", True, 12000, 3.0, 0.3),
    ("iaf_cond_exp", False, 12000, 3.0, 0.3),
    ("hh_psc_alpha_neuron", True, 12000, 40.0, 5.0),
    ("hh_psc_alpha", False, 12000, 40.0, 5.0),
    ("wb_cond_exp_neuron", True, 12000, 2.0, 0.3),
]
# The RKF45 models again at NEST's tolerances (GSL's y control, 1e-3 absolute, 0 relative): the
# generated kernel then takes the built-in's steps, so the ratio compares kernels, not accuracies.
NEST_TOLERANCES = ", gsl_abs_error_tol: 0.001, gsl_rel_error_tol: 0"
CASES += [(m + "@nest_tol", True, r, wi, wr) for m, _, r, wi, wr in CASES if m in ("iaf_cond_exp_neuron", "hh_psc_alpha_neuron")]
SYNAPSES = os.path.join(REPO, "Tests", "Fixtures", "nestml", "synapses")
# (synapse model, file or None for the built-in, extra parameters)
SYNAPSE_CASES = [
    ("stdp_synapse_nestml", "stdp_synapse", "Wmax: 100, lambda: 0.005"),
    ("stdp_synapse", None, "Wmax: 100, lambda: 0.005"),
    # The same rule on both sides: the NESTML file's amplitudes for the built-in, the neuron's
    # tau_minus and tau_minus_triplet (iaf_psc_alpha's 20 and 110 ms) for the file's tau_minus, tau_y.
    ("stdp_triplet_synapse_nestml", "stdp_triplet_synapse", "Wmax: 100, tau_minus: 20 ms, tau_y: 110 ms"),
    ("stdp_triplet_synapse", None, "Wmax: 100, Aplus: 7.5e-10, Aplus_triplet: 0.0093"),
    ("tsodyks_synapse_nestml", "tsodyks_synapse", "U: 0.3"),
    ("tsodyks_synapse", None, "U: 0.3"),
    ("static_synapse_nestml", "static_synapse", ""),
    ("static_synapse", None, ""),
]
SYNAPSE_PAIRS = {g: b for g, f, _ in SYNAPSE_CASES if f for b, f2, _ in SYNAPSE_CASES if f2 is None and b == f}
PAIRS = {"iaf_psc_exp_neuron": "iaf_psc_exp", "iaf_cond_exp_neuron": "iaf_cond_exp", "hh_psc_alpha_neuron": "hh_psc_alpha",
         "iaf_cond_exp_neuron@nest_tol": "iaf_cond_exp", "hh_psc_alpha_neuron@nest_tol": "hh_psc_alpha"}


def experiment(model, generated, rate, w_in, w_rec, n, duration):
    model, _, variant = model.partition("@")
    params = f", params: {{{NEST_TOLERANCES[2:]}}}" if variant == "nest_tol" else ""
    models = f"models: [{os.path.join(MODELS, model + '.nestml')}]\n" if generated else ""
    return f"""resolution: 0.1 ms
duration: {duration} ms
seed: 7
{models}populations:
  net: {{model: {model}, size: {n}{params}}}
  drive: {{model: poisson_generator, params: {{rate: {rate} Hz}}}}
connections:
  - {{source: drive, target: net, rule: all_to_all, synapse: {{weight: {w_in}, delay: 1 ms}}}}
  - {{source: net, target: net, rule: fixed_indegree, indegree: 20, synapse: {{weight: {w_rec}, delay: 1.5 ms}}}}
record:
  - {{type: spike_recorder, population: net}}
"""


def synapse_experiment(synapse, file, params, n, duration):
    models = f"models: [{os.path.join(SYNAPSES, file + '.nestml')}]\n" if file else ""
    extra = f", {params}" if params else ""
    return f"""resolution: 0.1 ms
duration: {duration} ms
seed: 7
{models}populations:
  net: {{model: iaf_psc_alpha, size: {n}}}
  drive: {{model: poisson_generator, params: {{rate: 14000 Hz}}}}
connections:
  - {{source: drive, target: net, rule: all_to_all, synapse: {{weight: 30, delay: 1 ms}}}}
  - {{source: net, target: net, rule: fixed_indegree, indegree: 100, synapse: {{model: {synapse}, weight: 2, delay: 1.5 ms{extra}}}}}
record:
  - {{type: spike_recorder, population: net}}
"""


def run_case(tmp, name, text, threads):
    path = os.path.join(tmp, name + ".yaml")
    with open(path, "w") as f:
        f.write(text)
    out = os.path.join(tmp, "out_" + name)
    r = subprocess.run([PLEXUS, "run", path, "--out", out, "--threads", str(threads), "--no-report"], capture_output=True, text=True)
    if r.returncode:
        sys.exit(f"{name}: plexus failed:\n{r.stderr}")
    prov = json.load(open(os.path.join(out, "provenance.json")))
    spikes = next(c["value"] for c in prov["counts"] if c["name"] == "spikes")
    return phase(prov["timings_s"], "simulate"), phase(prov["cpu_s"], "simulate"), spikes


def synapse_main(a):
    rows = []
    load_before = os.getloadavg()
    with tempfile.TemporaryDirectory() as tmp:
        for synapse, file, params in SYNAPSE_CASES:
            if a.only and synapse not in a.only:
                continue
            # The machine is shared: each case runs `--repeat` times (generated and built-in in
            # turn) and the median counts.
            runs = [run_case(tmp, synapse, synapse_experiment(synapse, file, params, a.neurons, a.duration), a.threads)
                    for _ in range(a.repeat)]
            runs.sort()
            wall, cpu, spikes = runs[len(runs) // 2]
            events = spikes * 100
            rows.append({"synapse": synapse, "generated": file is not None, "neurons": a.neurons, "spikes": spikes,
                         "simulate_wall_s_runs": [r[0] for r in runs],
                         "synaptic_events": events, "simulate_wall_s": wall, "simulate_cpu_s": cpu,
                         "ns_per_event": wall / max(1, events) * 1e9, "cpu_ns_per_event": cpu / max(1, events) * 1e9,
                         "rate_hz": spikes / a.neurons / (a.duration / 1000)})
            print(f"{synapse:28s} {'generated' if file else 'built-in ':9s} simulate {wall:7.2f} s (CPU {cpu:7.2f} s; runs {', '.join(f'{r[0]:.2f}' for r in runs)}): "
                  f"{rows[-1]['ns_per_event']:6.1f} ns per synaptic event, rate {rows[-1]['rate_hz']:.1f} Hz", flush=True)
    load_after = os.getloadavg()
    print(f"load average before {load_before[0]:.2f}, after {load_after[0]:.2f}; {a.threads} thread(s), {a.neurons} neurons, K = 100")
    by = {r["synapse"]: r for r in rows}
    for g, b in SYNAPSE_PAIRS.items():
        if g in by and b in by:
            print(f"{g} / {b}: {by[g]['simulate_wall_s'] / by[b]['simulate_wall_s']:.2f}x the built-in's simulate time, median of runs "
                  f"(CPU {by[g]['simulate_cpu_s'] / by[b]['simulate_cpu_s']:.2f}x); "
                  f"{min(by[g]['simulate_wall_s_runs']) / min(by[b]['simulate_wall_s_runs']):.2f}x fastest to fastest; "
                  f"spikes {by[g]['spikes']} vs {by[b]['spikes']}")
    if a.json:
        with open(a.json, "w") as f:
            json.dump({"threads": a.threads, "neurons": a.neurons, "duration_ms": a.duration, "load_before": load_before,
                       "load_after": load_after, "rows": rows}, f, indent=1)


def phase(entries, name):
    return next(e["seconds"] for e in entries if e["phase"] == name)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--neurons", type=int)
    ap.add_argument("--synapses", action="store_true", help="the synapse cases instead of the neuron cases")
    ap.add_argument("--repeat", type=int, default=3, help="runs per synapse case (the median counts)")
    ap.add_argument("--duration", type=float, default=100.0)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--only", nargs="*")
    ap.add_argument("--json")
    a = ap.parse_args()
    if not os.path.exists(PLEXUS):
        sys.exit(f"no release build at {PLEXUS}: swift build -c release --product plexus")
    if a.synapses:
        a.neurons = a.neurons or 20000
        return synapse_main(a)
    a.neurons = a.neurons or 100000
    steps = int(round(a.duration / 0.1))
    rows = []
    load_before = os.getloadavg()
    with tempfile.TemporaryDirectory() as tmp:
        for model, generated, rate, w_in, w_rec in CASES:
            if a.only and model.partition("@")[0] not in a.only:
                continue
            wall, cpu, spikes = run_case(tmp, model.replace("@", "_"), experiment(model, generated, rate, w_in, w_rec, a.neurons, a.duration),
                                         a.threads)
            rows.append({"model": model, "generated": generated, "neurons": a.neurons, "steps": steps,
                         "simulate_wall_s": wall, "simulate_cpu_s": cpu,
                         "ns_per_neuron_step": wall / (a.neurons * steps) * 1e9,
                         "cpu_ns_per_neuron_step": cpu / (a.neurons * steps) * 1e9,
                         "rate_hz": spikes / a.neurons / (a.duration / 1000)})
            print(f"{model:22s} {'generated' if generated else 'built-in ':9s} simulate {wall:7.2f} s (CPU {cpu:7.2f} s): "
                  f"{rows[-1]['ns_per_neuron_step']:7.1f} ns per neuron-step, rate {rows[-1]['rate_hz']:.1f} Hz", flush=True)
    load_after = os.getloadavg()
    print(f"load average before {load_before[0]:.2f}, after {load_after[0]:.2f}; {a.threads} thread(s), {a.neurons} neurons, {steps} steps")
    by = {r["model"]: r for r in rows}
    for g, b in PAIRS.items():
        if g in by and b in by:
            print(f"{g} / {b}: {by[g]['ns_per_neuron_step'] / by[b]['ns_per_neuron_step']:.2f}x the built-in's time per neuron-step "
                  f"(CPU {by[g]['cpu_ns_per_neuron_step'] / by[b]['cpu_ns_per_neuron_step']:.2f}x)")
    if a.json:
        with open(a.json, "w") as f:
            json.dump({"threads": a.threads, "neurons": a.neurons, "steps": steps, "load_before": load_before,
                       "load_after": load_after, "rows": rows}, f, indent=1)


if __name__ == "__main__":
    main()
