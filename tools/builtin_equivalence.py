#!/usr/bin/env python3
"""Byte-for-byte comparison of two Plexus binaries on every built-in point neuron and synapse model.

When a built-in model moves from a hand-written kernel to a description (issue 15, item 3), its
results must not change. This runs each model in a small network that exercises what its kernel
does (excitatory and inhibitory Poisson input, recurrent spikes, a dc step and noise current,
refractoriness, non-default parameters; iaf_psc_delta's refractory_input and ignore_and_spike,
izhikevich's two integration schemes, equal time constants, V_th = inf; the RKF45 models with
NEST's tolerances) with both binaries,
recording every variable at every step, and compares the data files byte for byte. Each
built-in synapse model runs the same way: recurrent plastic connections of it (two statements:
one constant weight and delay, one drawn weight and a delay of one step) in a Poisson-driven
network, with non-default parameters; its weights are recorded with V_m and the spikes.

    python3 tools/builtin_equivalence.py OLD_BINARY NEW_BINARY [--threads 1 2] [--only MODEL ...]

Exit status 1 if any file differs or a run fails.
"""
import argparse, filecmp, os, subprocess, sys, tempfile

# (model, case, parameters, recorded variables, excitatory weight, inhibitory weight, dc amplitude)
CASES = [
    ("iaf_psc_delta", "refractory_input", "E_L: -65 mV, V_min: -80 mV, refractory_input: 1, t_ref: 2.05 ms", "V_m", 0.9, -1.3, "200 pA"),
    ("iaf_psc_delta", "ignore_and_spike", "E_L: -65 mV, ignore_and_spike: 1, ignore_and_spike_offset: 3 ms, ignore_and_spike_interval: 7.3 ms",
     "V_m", 0.9, -1.3, "200 pA"),
    ("iaf_psc_exp", "driven", "E_L: -62 mV, tau_syn_ex: 3 ms, tau_syn_in: 10 ms, t_ref: 1.25 ms", "V_m, I_syn_ex, I_syn_in", 125.3, -61.7, "300 pA"),
    ("iaf_psc_exp", "equal_taus_never_fires", "tau_syn_ex: 10 ms, tau_m: 10 ms, V_th: inf", "V_m, I_syn_ex, I_syn_in", 125.3, -61.7, "300 pA"),
    ("iaf_psc_alpha", "driven", "E_L: -62 mV, tau_syn_ex: 3 ms, tau_syn_in: 10 ms, V_min: -75 mV, t_ref: 1.25 ms",
     "V_m, I_syn_ex, I_syn_in", 35.3, -51.7, "300 pA"),
    ("iaf_psc_alpha", "equal_taus", "tau_syn_ex: 10 ms, tau_m: 10 ms", "V_m, I_syn_ex, I_syn_in", 35.3, -51.7, "300 pA"),
    ("izhikevich", "consistent", "a: 0.03, d: 6 mV", "V_m, U_m", 0.9, -1.3, "5 pA"),
    ("izhikevich", "published_scheme", "consistent_integration: 0, V_min: -80 mV", "V_m, U_m", 0.9, -1.3, "5 pA"),
    ("mat2_psc_exp", "driven", "E_L: -65 mV, tau_syn_in: 7 ms, t_ref: 1.5 ms", "V_m, V_th", 85.3, -61.7, "900 pA"),
    ("iaf_cond_exp", "driven", "E_L: -68 mV, tau_syn_in: 5 ms, t_ref: 1.55 ms", "V_m, g_ex, g_in", 2.5, -0.4, "300 pA"),
    ("iaf_cond_alpha", "driven", "E_L: -68 mV, tau_syn_in: 5 ms, t_ref: 1.55 ms", "V_m, g_ex, g_in, t_ref_remaining", 2.5, -0.4, "300 pA"),
    ("hh_cond_exp_traub", "driven", "E_L: -65 mV, tau_syn_in: 5 ms, t_ref: 1.5 ms, I_e: 500 pA", "V_m, Act_m, Inact_h, Act_n, g_ex, g_in",
     1.5, -0.8, "300 pA"),
    ("hh_psc_alpha", "driven", "tau_syn_in: 5 ms, t_ref: 1.5 ms, I_e: 1000 pA", "V_m, Act_m, Inact_h, Act_n, I_syn_ex, I_syn_in", 5.3, -2.7, "250 pA"),
]

# (synapse model, case, statement parameters, weight, drawn weight range, target model)
SYNAPSE_CASES = [
    ("stdp_synapse", "driven", "tau_plus: 15 ms, lambda: 0.05, alpha: 1.1, mu_plus: 0.4, mu_minus: 0.7, Wmax: 80, Kplus: 0.3", 40, (10, 60),
     "iaf_psc_alpha"),
    ("stdp_synapse", "negative", "lambda: 0.05, Wmax: -80", -40, (-60, -10), "iaf_psc_alpha"),
    ("stdp_nn_symm_synapse", "driven", "tau_plus: 15 ms, lambda: 0.05, alpha: 1.1, mu_plus: 0.4, mu_minus: 0.7, Wmax: 80", 40, (10, 60),
     "iaf_psc_alpha"),
    ("stdp_pl_synapse_hom", "driven", "tau_plus: 15 ms, lambda: 0.02, alpha: 0.9, mu: 0.3, Kplus: 0.2", 40, (10, 60), "iaf_psc_alpha"),
    ("stdp_triplet_synapse", "driven", "tau_plus: 15 ms, tau_plus_triplet: 90 ms, Aplus: 0.05, Aminus: 0.08, Aplus_triplet: 0.03, "
     "Aminus_triplet: 0.01, Wmax: 80, Kplus: 0.1, Kplus_triplet: 0.2", 40, (10, 60), "iaf_psc_alpha"),
    ("stdp_triplet_synapse", "negative", "Aplus: 0.05, Aminus: 0.08, Wmax: -80", -40, (-60, -10), "iaf_psc_alpha"),
    ("tsodyks_synapse", "facilitating", "U: 0.1, tau_psc: 2 ms, tau_rec: 100 ms, tau_fac: 1000 ms, x: 0.9, y: 0.05, u: 0.2", 400, (100, 600),
     "iaf_psc_exp"),
    ("tsodyks_synapse", "depressing", "tau_psc: 2 ms", 400, (100, 600), "iaf_psc_exp"),
    ("tsodyks2_synapse", "facilitating", "U: 0.1, tau_rec: 100 ms, tau_fac: 1000 ms, u: 0.2, x: 0.9", 400, (100, 600), "iaf_psc_exp"),
    ("tsodyks2_synapse", "depressing", "U: 0.6", 400, (100, 600), "iaf_psc_exp"),
]

SYNAPSE_TEMPLATE = """resolution: 0.1 ms
duration: 1000 ms
seed: 11
populations:
  n:  {{model: {target}, size: 30, params: {{tau_syn_ex: 2 ms}}}}
  pe: {{model: poisson_generator, params: {{rate: 9000 Hz}}}}
connections:
  - {{source: pe, target: n, rule: all_to_all, synapse: {{weight: 45, delay: 1.0 ms}}}}
  - {{source: n, target: n, rule: fixed_indegree, indegree: 6,
     synapse: {{model: {model}, weight: {w}, delay: 1.5 ms, {params}, record_weights: true}}}}
  - {{source: n, target: n, rule: fixed_indegree, indegree: 3,
     synapse: {{model: {model}, weight: {{distribution: uniform, min: {lo}, max: {hi}}}, delay: 0.1 ms, {params}, record_weights: true}}}}
record:
  - {{type: multimeter, population: n, variables: [V_m], interval: 0.1 ms}}
  - {{type: spike_recorder, population: n}}
"""

TEMPLATE = """resolution: 0.1 ms
duration: 400 ms
seed: 7
populations:
  n:  {{model: {model}, size: 20, params: {{{params}}}}}
  pe: {{model: poisson_generator, params: {{rate: 8000 Hz}}}}
  pi: {{model: poisson_generator, params: {{rate: 3000 Hz}}}}
  dc: {{model: dc_generator, params: {{amplitude: {dc}, start: 50 ms, stop: 300 ms}}}}
  ng: {{model: noise_generator, params: {{mean: 0 pA, std: 30 pA, dt: 0.1 ms}}}}
connections:
  - {{source: dc, target: n}}
  - {{source: ng, target: n}}
  - {{source: pe, target: n, rule: all_to_all, synapse: {{weight: {we}, delay: 1.0 ms}}}}
  - {{source: pi, target: n, rule: all_to_all, synapse: {{weight: {wi}, delay: 1.3 ms}}}}
  - {{source: n, target: n, rule: fixed_indegree, indegree: 5, synapse: {{weight: {wi}, delay: 2.0 ms}}}}
record:
  - {{type: multimeter, population: n, variables: [{variables}], interval: 0.1 ms}}
  - {{type: spike_recorder, population: n}}
"""


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("old")
    ap.add_argument("new")
    ap.add_argument("--threads", type=int, nargs="+", default=[1, 2])
    ap.add_argument("--only", nargs="*", help="models to compare (default: all)")
    a = ap.parse_args()
    failures = 0
    with tempfile.TemporaryDirectory() as tmp:
        runs = [(model, case, TEMPLATE.format(model=model, params=params, variables=variables, we=we, wi=wi, dc=dc))
                for model, case, params, variables, we, wi, dc in CASES]
        runs += [(model, case, SYNAPSE_TEMPLATE.format(model=model, params=params, w=w, lo=lo, hi=hi, target=target))
                 for model, case, params, w, (lo, hi), target in SYNAPSE_CASES]
        for model, case, text in runs:
            if a.only and model not in a.only:
                continue
            yaml = os.path.join(tmp, f"{model}_{case}.yaml")
            with open(yaml, "w") as f:
                f.write(text)
            for threads in a.threads:
                outs = []
                for tag, binary in (("old", a.old), ("new", a.new)):
                    out = os.path.join(tmp, f"{tag}_{model}_{case}_{threads}")
                    r = subprocess.run([binary, "run", yaml, "--out", out, "--threads", str(threads), "--quiet", "--no-report"],
                                       capture_output=True, text=True)
                    if r.returncode != 0:
                        print(f"FAIL {model} {case} ({tag}, {threads} threads): {r.stderr.strip()}")
                        failures += 1
                    outs.append(out)
                if not all(os.path.isfile(os.path.join(o, "spikes.csv")) for o in outs):
                    continue
                files = sorted(f for f in os.listdir(outs[0]) if f.endswith(".csv"))
                same = [f for f in files if filecmp.cmp(os.path.join(outs[0], f), os.path.join(outs[1], f), shallow=False)]
                spikes = sum(1 for _ in open(os.path.join(outs[0], "spikes.csv"))) - 1
                status = "same" if len(same) == len(files) else "DIFFERENT"
                failures += status != "same"
                print(f"{status:9} {model:20} {case:24} {threads} thread(s): {', '.join(files)} ({spikes} spikes)")
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
