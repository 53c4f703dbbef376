"""NEST 3.10 reference for structural plasticity (Butz & van Ooyen 2013), written next to the tests.

Two parts, both into Tests/Fixtures/structural_plasticity_nest.json:

- "single": one parrot_neuron driven by a spike_generator (known spike train), with three synaptic
  elements (gaussian, linear, sigmoid growth curves, z set off 0) and a structural synapse between
  two of them that forbids autapses (so vacant elements only decay by tau_vacant). Ca and every z
  and z_connected are read with GetStatus every 10 ms. Deterministic: the Swift test compares
  within 1e-9.
- "rules": NEST's deletion and pairing rules on four neurons: neuron 0 has synapses onto 1, 2, 3
  (Connect with the element names, so they bind elements), then z is set below the bound counts
  (axonal z of neuron 0 to 1.5, dendritic z of 1, 2, 3 per case) and one update runs. Per case
  and seed: the remaining synapses, z and z_connected of every element.
- "network": a smaller, faster version of pynest/examples/structural_plasticity.py: E (160) and
  I (40) iaf_psc_alpha neurons with the example's parameters and 10 kHz Poisson drive, no initial
  connections, gaussian growth curves (the example's, growth rates x10), tau_Ca 1 s and beta_Ca
  0.01 (Ca ~ rate / 100 Hz), update interval 100 ms, 10 s, for several seeds. At every update
  time: mean Ca per population and the number of connections per (synapse, source, target)
  population pair; mean and standard deviation over seeds.

Run: /opt/nestvenv/bin/python tools/nest_reference/structural_plasticity.py [--seeds 10]
NEST refuses structural plasticity with more than one thread; every run here is single-threaded.
"""
import argparse
import json
import os

import nest
import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.normpath(os.path.join(HERE, "..", "..", "Tests", "Fixtures"))

# ---------------------------------------------------------------- single neuron

SINGLE = {
    "resolution": 0.1,
    "duration": 300.0,
    "update_interval": 50.0,
    "sample_interval": 10.0,
    "tau_Ca": 500.0,
    "beta_Ca": 0.01,
    # parrot output spike times (the generator fires 1 ms earlier, delay 1 ms)
    "spikes": [5.0, 7.3, 12.1, 20.0, 20.5, 33.3, 41.0, 41.1, 55.5, 60.0, 72.4, 88.8, 101.0, 102.0,
               103.0, 150.2, 151.9, 190.0, 230.7, 231.3, 232.9, 260.0, 281.1],
    "elements": {
        "Axon": {"growth_curve": "gaussian", "growth_rate": 0.05, "eta": 0.02, "eps": 0.3,
                 "z": 2.5, "tau_vacant": 0.2, "continuous": False},
        "Den": {"growth_curve": "linear", "growth_rate": 0.01, "eps": 0.2, "z": 3.2, "tau_vacant": 0.1},
        "Spine": {"growth_curve": "sigmoid", "growth_rate": 0.02, "eps": 0.15, "psi": 0.05, "z": 1.5,
                  "tau_vacant": 0.3},
    },
    "synapse": {"name": "syn", "pre": "Axon", "post": "Den", "weight": 1.0, "delay": 1.0,
                "allow_autapses": False},
}


def run_single():
    p = SINGLE
    nest.ResetKernel()
    nest.set_verbosity("M_ERROR")
    nest.resolution = p["resolution"]
    nest.structural_plasticity_update_interval = p["update_interval"]
    nest.CopyModel("static_synapse", "syn", {"weight": p["synapse"]["weight"], "delay": p["synapse"]["delay"]})
    nest.structural_plasticity_synapses = {
        "syn": {"synapse_model": "syn", "pre_synaptic_element": "Axon", "post_synaptic_element": "Den",
                "allow_autapses": False}}
    sg = nest.Create("spike_generator", params={"spike_times": [round(t - 1.0, 1) for t in p["spikes"]]})
    n = nest.Create("parrot_neuron", params={"tau_Ca": p["tau_Ca"], "beta_Ca": p["beta_Ca"]})
    n.synaptic_elements = p["elements"]
    nest.Connect(sg, n, syn_spec={"delay": 1.0})
    nest.EnableStructuralPlasticity()
    rows = []
    t = 0.0
    while t < p["duration"] - 1e-9:
        nest.Simulate(p["sample_interval"])
        t += p["sample_interval"]
        st = n.get(["Ca", "synaptic_elements"])
        row = {"t": round(t, 6), "Ca": st["Ca"]}
        for name, se in st["synaptic_elements"].items():
            row[name] = {"z": se["z"], "z_connected": se["z_connected"]}
        rows.append(row)
    return {"parameters": p, "samples": rows}


# ---------------------------------------------------------------- rules

RULES = {
    "element": {"growth_curve": "linear", "growth_rate": 0.0, "eps": 0.05, "tau_vacant": 0.1},
    "axon_z": 1.5,
    "cases": [
        {"den_z": [1.0, 0.5, 1.0], "continuous": False},
        {"den_z": [1.0, 1.0, 1.0], "continuous": True},
        {"den_z": [1.0, 0.5, 1.0], "continuous": True},
        {"den_z": [0.0, 0.0, 1.0], "continuous": True},
    ],
    "seeds": 20,
}


def run_rules():
    out = []
    for case in RULES["cases"]:
        outcomes = []
        for seed in range(1, RULES["seeds"] + 1):
            nest.ResetKernel()
            nest.set_verbosity("M_ERROR")
            nest.rng_seed = seed
            nest.structural_plasticity_update_interval = 100.0
            nest.CopyModel("static_synapse", "syn")
            nest.structural_plasticity_synapses = {"syn": {"synapse_model": "syn", "pre_synaptic_element": "Axon",
                                                           "post_synaptic_element": "Den", "allow_autapses": False}}
            el = {**RULES["element"], "continuous": case["continuous"]}
            n = nest.Create("iaf_psc_alpha", 4)
            n.synaptic_elements = {"Axon": el, "Den": el}
            nest.Connect(n[0], n[1:4], "all_to_all",
                         {"synapse_model": "syn", "pre_synaptic_element": "Axon", "post_synaptic_element": "Den"})
            for i, zd in enumerate([0.0] + case["den_z"]):
                n[i].synaptic_elements_param = {"Axon": {"z": RULES["axon_z"] if i == 0 else 0.0}, "Den": {"z": zd}}
            nest.EnableStructuralPlasticity()
            nest.Simulate(1.0)   # the update at t = 0
            c = nest.GetConnections(synapse_model="syn")
            first = n[0].global_id
            pairs = sorted((int(a) - first, int(b) - first) for a, b in zip(np.atleast_1d(c.source), np.atleast_1d(c.target))) if len(c) else []
            se = n.synaptic_elements
            outcomes.append({"synapses": pairs,
                             "axon": [[x["Axon"]["z"], x["Axon"]["z_connected"]] for x in se],
                             "den": [[x["Den"]["z"], x["Den"]["z_connected"]] for x in se]})
        out.append({"case": case, "outcomes": outcomes})
    return {"parameters": {k: v for k, v in RULES.items() if k != "cases"}, "cases": out}


# ---------------------------------------------------------------- network

# The example defines these but never applies them (its Create call passes only synaptic_elements),
# so its neurons run with iaf_psc_alpha's defaults; the same here.
NEURON = {}
NET = {
    "resolution": 0.1,
    "duration": 10000.0,
    "update_interval": 100.0,
    "NE": 160,
    "NI": 40,
    "model": "iaf_psc_alpha",
    "neuron": NEURON,
    "tau_Ca": 1000.0,
    "beta_Ca": 0.01,
    "bg_rate": 10000.0,
    "psc_ext": 6.2,
    "psc_e": 585.0,
    "psc_i": -585.0,
    "delay": 1.0,
    "elements_E": {
        "Den_ex": {"growth_curve": "gaussian", "growth_rate": 0.001, "continuous": False, "eta": 0.0, "eps": 0.05},
        "Den_in": {"growth_curve": "gaussian", "growth_rate": 0.001, "continuous": False, "eta": 0.0, "eps": 0.05},
        "Axon_ex": {"growth_curve": "gaussian", "growth_rate": 0.001, "continuous": False, "eta": 0.0, "eps": 0.05},
    },
    "elements_I": {
        "Den_ex": {"growth_curve": "gaussian", "growth_rate": 0.004, "continuous": False, "eta": 0.0, "eps": 0.2},
        "Den_in": {"growth_curve": "gaussian", "growth_rate": 0.001, "continuous": False, "eta": 0.0, "eps": 0.2},
        "Axon_in": {"growth_curve": "gaussian", "growth_rate": 0.001, "continuous": False, "eta": 0.0, "eps": 0.2},
    },
}


def run_network(seed):
    p = NET
    nest.ResetKernel()
    nest.set_verbosity("M_ERROR")
    nest.resolution = p["resolution"]
    nest.rng_seed = seed
    nest.structural_plasticity_update_interval = p["update_interval"]
    nest.CopyModel("static_synapse", "synapse_ex", {"weight": p["psc_e"], "delay": p["delay"]})
    nest.CopyModel("static_synapse", "synapse_in", {"weight": p["psc_i"], "delay": p["delay"]})
    nest.structural_plasticity_synapses = {
        "synapse_ex": {"synapse_model": "synapse_ex", "pre_synaptic_element": "Axon_ex", "post_synaptic_element": "Den_ex"},
        "synapse_in": {"synapse_model": "synapse_in", "pre_synaptic_element": "Axon_in", "post_synaptic_element": "Den_in"},
    }
    ca = {"tau_Ca": p["tau_Ca"], "beta_Ca": p["beta_Ca"]}
    E = nest.Create(p["model"], p["NE"], params={**p["neuron"], **ca})
    I = nest.Create(p["model"], p["NI"], params={**p["neuron"], **ca})
    E.synaptic_elements = p["elements_E"]
    I.synaptic_elements = p["elements_I"]
    noise = nest.Create("poisson_generator", params={"rate": p["bg_rate"]})
    nest.Connect(noise, E, "all_to_all", {"weight": p["psc_ext"], "delay": p["delay"]})
    nest.Connect(noise, I, "all_to_all", {"weight": p["psc_ext"], "delay": p["delay"]})
    nest.EnableStructuralPlasticity()
    eids = set(E.tolist())
    out = {"t": [], "Ca_E": [], "Ca_I": [], "ex_EE": [], "ex_EI": [], "in_IE": [], "in_II": []}
    steps = int(round(p["duration"] / p["update_interval"]))
    for k in range(steps):
        nest.Simulate(p["update_interval"])
        out["t"].append(round((k + 1) * p["update_interval"], 6))
        out["Ca_E"].append(float(np.mean(E.Ca)))
        out["Ca_I"].append(float(np.mean(I.Ca)))
        for syn, keys in (("synapse_ex", ("ex_EE", "ex_EI")), ("synapse_in", ("in_IE", "in_II"))):
            c = nest.GetConnections(synapse_model=syn)
            tgt = np.atleast_1d(np.array(c.target)) if len(c) else np.array([], dtype=int)
            toE = int(sum(1 for x in tgt if x in eids))
            out[keys[0]].append(toE)
            out[keys[1]].append(int(len(tgt) - toE))
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--seeds", type=int, default=10)
    args = ap.parse_args()
    single = run_single()
    rules = run_rules()
    runs = []
    for s in range(1, args.seeds + 1):
        runs.append(run_network(s))
        r = runs[-1]
        print(f"seed {s}: Ca_E {r['Ca_E'][-1]:.4f} Ca_I {r['Ca_I'][-1]:.4f} "
              f"EE {r['ex_EE'][-1]} EI {r['ex_EI'][-1]} IE {r['in_IE'][-1]} II {r['in_II'][-1]}", flush=True)
    keys = ["Ca_E", "Ca_I", "ex_EE", "ex_EI", "in_IE", "in_II"]
    stats = {"t": runs[0]["t"]}
    for k in keys:
        a = np.array([r[k] for r in runs], dtype=float)
        stats[k] = {"mean": a.mean(axis=0).tolist(), "std": a.std(axis=0, ddof=1).tolist()}
    os.makedirs(OUT, exist_ok=True)
    with open(os.path.join(OUT, "structural_plasticity_nest.json"), "w") as f:
        json.dump({"nest_version": nest.__version__, "single": single, "rules": rules,
                   "network": {"parameters": NET, "seeds": args.seeds, "stats": stats}}, f, indent=1)
    print("written", os.path.join(OUT, "structural_plasticity_nest.json"))


if __name__ == "__main__":
    main()
