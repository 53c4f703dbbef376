"""Small PyNEST scripts, each a function of the `nest` module: run on NEST 3.10 by
tools/nest_examples/make_fixtures.py (fixtures/nest_cases.json) and on plexus.nest by
test_nest.py, which compares what their recorders hold."""
import tempfile

import numpy as np


def events(*recorders):
    return {str(r.global_id): {k: [float(x) for x in v] for k, v in r.get("events").items()} for r in recorders}


def one_neuron(nest):
    nest.ResetKernel()
    neuron = nest.Create("iaf_psc_alpha")
    voltmeter = nest.Create("voltmeter")
    neuron.I_e = 376.0
    nest.Connect(voltmeter, neuron)
    sr = nest.Create("spike_recorder")
    nest.Connect(neuron, sr)
    nest.Simulate(300.0)
    return events(voltmeter, sr)


def two_neurons_two_simulates(nest):
    """Connected neurons; the recorder created first (gids shift); Simulate twice."""
    nest.ResetKernel()
    sr = nest.Create("spike_recorder")
    a = nest.Create("iaf_psc_exp", params={"I_e": 400.0})
    b = nest.Create("iaf_psc_exp")
    vm = nest.Create("multimeter", params={"record_from": ["V_m"], "interval": 0.5})
    nest.Connect(a, b, syn_spec={"weight": 150.0, "delay": 2.0})
    nest.Connect(vm, a + b)
    nest.Connect(a + b, sr)
    nest.Simulate(150.0)
    first = events(vm, sr)
    nest.Simulate(150.0)
    return {"first": first, "second": events(vm, sr)}


def per_node_values_and_slices(nest):
    """I_e per neuron, a slice recorded, SetStatus by key, V_m set per node, GetStatus."""
    nest.ResetKernel()
    nest.resolution = 0.05
    n = nest.Create("iaf_psc_delta", 5)
    n.I_e = [0.0, 380.0, 400.0, 420.0, 500.0]
    nest.SetStatus(n[4], "V_m", -60.0)
    n[0:2].set(V_m=[-55.0, -58.0])
    vm = nest.Create("voltmeter", params={"interval": 0.05})
    nest.Connect(vm, n[1:4])
    sr = nest.Create("spike_recorder")
    nest.Connect(n, sr)
    nest.Simulate(120.0)
    out = events(vm, sr)
    out["I_e"] = [float(x) for x in nest.GetStatus(n, "I_e")]
    out["tau_m"] = float(n[2].get("tau_m"))
    return out


def copies_arrays_and_windows(nest):
    """CopyModel, SetDefaults, a dict per node, weights per connection, recorder start/stop."""
    nest.ResetKernel()
    sg = nest.Create("spike_generator", 2, params=[{"spike_times": [5.0, 15.0]}, {"spike_times": [10.0, 30.0]}])
    nest.CopyModel("iaf_psc_exp", "fast", {"tau_m": 5.0, "I_e": 370.0})
    nest.SetDefaults("static_synapse", {"delay": 2.0})
    n = nest.Create("fast", 2)
    nest.Connect(sg, n, syn_spec={"weight": [[3000.0, -2000.0], [5000.0, 4000.0]]})
    vm = nest.Create("voltmeter", params={"start": 8.0, "stop": 30.0, "interval": 0.1})
    nest.Connect(vm, n)
    sr = nest.Create("spike_recorder", params={"start": 12.0})
    nest.Connect(n, sr)
    nest.Simulate(40.0)
    out = events(vm, sr)
    out["tau_m"] = [float(x) for x in n.get("tau_m")]
    return out


def changes_between_simulates(nest):
    """SetStatus between Simulate calls: I_e stepped, E_L moved (V_m stays), V_m set for one
    neuron, a dc_generator's amplitude (it reaches the neuron a delay later), a spike_generator's
    times; two voltmeters from one Create;
    the state read after each piece."""
    nest.ResetKernel()
    a = nest.Create("iaf_psc_alpha", params={"I_e": 376.0})
    b = nest.Create("iaf_psc_exp", 2)
    dc = nest.Create("dc_generator", params={"amplitude": 200.0})
    sg = nest.Create("spike_generator", params={"spike_times": [5.0, 30.0]})
    vm = nest.Create("voltmeter", 2)
    sr = nest.Create("spike_recorder")
    nest.Connect(dc, b, syn_spec={"delay": 2.5})
    nest.Connect(sg, b[0], syn_spec={"weight": 300.0, "delay": 1.0})
    nest.Connect(vm[0], a)
    nest.Connect(vm[1], b)
    nest.Connect(a + b, sr)
    nest.Simulate(40.0)
    state = {"after 40": [float(v) for v in (a + b).get("V_m")]}
    a.I_e = 0.0
    dc.amplitude = -100.0
    sg.spike_times = [41.0, 47.3, 60.0]
    nest.Simulate(30.0)
    state["after 70"] = [float(v) for v in (a + b).get("V_m")]
    a.set(I_e=376.0, E_L=-60.0)
    b[1].V_m = -55.0
    nest.Simulate(12.3)
    state["after 82.3"] = [float(v) for v in (a + b).get("V_m")]
    b.E_L = -65.0
    nest.Simulate(40.0)
    return {"events": events(vm[0], vm[1], sr), "state": state}


def more_models(nest):
    """aeif_cond_alpha and iaf_cond_exp_sfa_rr driven by spike trains and currents (RKF45 as
    NEST's GSL steps), iaf_psc_delta's ignore_and_spike, stdp_pl_synapse_hom's weights after
    pre and post spikes, iaf_tum_2000's released fraction scaling the weight on receptor 1, a
    multimeter writing to ascii."""
    nest.ResetKernel()
    nest.data_path = tempfile.mkdtemp()   # the ascii recorder's file
    aeif = nest.Create("aeif_cond_alpha", params={"I_e": 500.0, "a": 2.0, "b": 60.0})
    sfa = nest.Create("iaf_cond_exp_sfa_rr", params={"I_e": 600.0})
    forced = nest.Create("iaf_psc_delta", params={"ignore_and_spike": True, "ignore_and_spike_offset": 3.0,
                                                  "ignore_and_spike_interval": 7.5, "I_e": 300.0})
    pre, post = nest.Create("parrot_neuron"), nest.Create("parrot_neuron")
    sg_ex = nest.Create("spike_generator", params={"spike_times": [5.0, 12.0, 12.5, 40.0]})
    sg_in = nest.Create("spike_generator", params={"spike_times": [20.0, 21.0, 60.0]})
    sg_pre = nest.Create("spike_generator", params={"spike_times": [10.0, 30.0, 31.0, 50.0, 70.0]})
    sg_post = nest.Create("spike_generator", params={"spike_times": [12.0, 28.0, 33.0, 55.0]})
    for target in (aeif, sfa):
        nest.Connect(sg_ex, target, syn_spec={"weight": 30.0, "delay": 1.0})
        nest.Connect(sg_in, target, syn_spec={"weight": -40.0, "delay": 1.5})
    nest.Connect(sg_pre, pre, syn_spec={"delay": 1.0})
    nest.Connect(sg_post, post, syn_spec={"delay": 1.0})
    nest.SetDefaults("stdp_pl_synapse_hom", {"alpha": 0.5, "lambda": 0.2, "mu": 0.4, "tau_plus": 15.0})
    nest.Connect(pre, post, syn_spec={"synapse_model": "stdp_pl_synapse_hom", "weight": 20.0, "delay": 2.0})
    m1 = nest.Create("multimeter", params={"record_from": ["V_m", "g_ex", "g_in", "w"], "interval": 0.5})
    m2 = nest.Create("multimeter", params={"record_from": ["V_m", "g_sfa", "g_rr"], "interval": 0.5, "record_to": "ascii",
                                           "label": "sfa"})
    sr = nest.Create("spike_recorder")
    nest.Connect(m1, aeif)
    nest.Connect(m2, sfa)
    nest.Connect(aeif + sfa + forced, sr)
    tum = nest.Create("iaf_tum_2000", 2, params={"E_L": 0.0, "V_reset": 0.0, "V_m": 0.0, "V_th": 15.0, "tau_m": 40.0,
                                                 "C_m": 400.0, "x": 1.0, "u": 0.0, "tau_fac": 200.0, "U": 0.2})
    tum[0].I_e = 260.0
    nest.Connect(tum[0], tum[1], syn_spec={"weight": 300.0, "delay": 0.5, "receptor_type": 1})
    vt = nest.Create("voltmeter", params={"interval": 0.5})
    nest.Connect(vt, tum[1])
    nest.Simulate(100.0)
    weights = nest.GetConnections(pre, post).get("weight")
    return {"events": events(m1, sr, vt), "weights": [float(weights)], "ascii": m2.get("filenames")[0].endswith(".dat"),
            "release": [float(tum[0].get(k)) for k in ("x", "y", "u")]}


def node_by_node(nest):
    """Connect between single nodes and with weight arrays (Plexus: pair lists, the groups stay
    whole), a stimulus onto one neuron of a group, a spike_recorder of a spike_generator."""
    nest.ResetKernel()
    n = nest.Create("iaf_psc_exp", 6, params={"I_e": 300.0})
    sg = nest.Create("spike_generator", params={"spike_times": [2.0, 9.5, 9.5, 30.0]})
    nest.Connect(sg, n[3], syn_spec={"weight": 800.0, "delay": 1.0})
    for s, t, w in [(0, 1, 500.0), (1, 2, 500.0), (5, 0, -300.0), (0, 1, 200.0)]:
        nest.Connect(n[s], n[t], "one_to_one", syn_spec={"weight": w, "delay": 1.5})
    nest.Connect(n[0:3], n[3:6], "one_to_one", syn_spec={"weight": np.array([100.0, 200.0, 300.0]), "delay": 2.0})
    nest.Connect(n[4], n[0:2] + n[5], "all_to_all", syn_spec={"weight": 250.0, "delay": 1.0})
    vm = nest.Create("voltmeter", params={"interval": 0.5})
    sr, src = nest.Create("spike_recorder"), nest.Create("spike_recorder")
    nest.Connect(vm, n)
    nest.Connect(n, sr)
    nest.Connect(sg, src)
    nest.Simulate(60.0)
    c = nest.GetConnections(n, n)
    return {"events": events(vm, sr, src), "connections": sorted(zip(c.get("source"), c.get("target"), c.get("weight")))}


def random_streams(nest):
    """Poisson counts and noise currents are NEST's own draws (Plexus emulates its generators,
    seeding and draw order): two virtual processes, a seed, a mean per step below and above 12
    (libstdc++'s two methods), generators that share targets, a rate changed between Simulate
    calls, and a noise current beside a sine (ac_generator)."""
    nest.ResetKernel()
    nest.SetKernelStatus({"local_num_threads": 2, "rng_seed": 12345})
    parrots = nest.Create("parrot_neuron", 5)
    n = nest.Create("iaf_psc_alpha", 3, params={"I_e": 150.0})
    slow = nest.Create("poisson_generator", params={"rate": 20000.0})
    fast = nest.Create("poisson_generator", params={"rate": 200000.0, "start": 5.0, "stop": 40.0})
    noise = nest.Create("noise_generator", params={"std": 80.0, "dt": 0.5})
    ac = nest.Create("ac_generator", params={"amplitude": 40.0, "frequency": 30.0, "phase": 45.0, "offset": 20.0})
    nest.Connect(slow, parrots[0:3])
    nest.Connect(fast, parrots[2:5], syn_spec={"delay": 1.5})
    nest.Connect(slow, n, syn_spec={"weight": 20.0})
    nest.Connect(noise, n)
    nest.Connect(ac, n[1:3])
    sr = nest.Create("spike_recorder")
    vm = nest.Create("voltmeter", params={"interval": 0.5})
    nest.Connect(parrots + n, sr)
    nest.Connect(vm, n)
    nest.Simulate(30.0)
    slow.rate = 5000.0
    nest.Simulate(25.0)
    return events(sr, vm)


def random_streams_recorders_first(nest):
    """NEST numbers recorders too: with a spike_recorder created first, every neuron's gid, and so
    its virtual process (and which stream draws its input), is one further on than Plexus's node
    number; plexus.nest tells the engine NEST's gids."""
    nest.ResetKernel()
    nest.SetKernelStatus({"local_num_threads": 3, "rng_seed": 7})
    sr = nest.Create("spike_recorder")
    parrots = nest.Create("parrot_neuron", 7)
    n = nest.Create("iaf_psc_alpha", 4, params={"I_e": 200.0})
    vm = nest.Create("voltmeter", params={"interval": 0.5})
    pg = nest.Create("poisson_generator", params={"rate": 30000.0})
    noise = nest.Create("noise_generator", params={"std": 100.0, "dt": 0.3})
    nest.Connect(pg, parrots)
    nest.Connect(noise, n)
    nest.Connect(parrots, sr)
    nest.Connect(vm, n)
    nest.Simulate(20.0)
    return events(sr, vm)


def random_network(nest):
    """The network NEST's random rules draw and the random initial values, from NEST's streams in
    the script's order (three virtual processes, a recorder first so gids are shifted): values
    set before the Connect calls and after them, fixed_indegree with and without autapses and
    multapses, pairwise_bernoulli, fixed_outdegree (the rank-synchronised stream), then Poisson
    input drawn from the streams where the build left them."""
    nest.ResetKernel()
    nest.SetKernelStatus({"local_num_threads": 3, "rng_seed": 4711})
    sr = nest.Create("spike_recorder")
    a = nest.Create("iaf_psc_delta", 20)
    a.V_m = nest.random.normal(-60.0, 3.0)
    b = nest.Create("iaf_psc_alpha", 15)
    nest.Connect(a, a, {"rule": "fixed_indegree", "indegree": 4, "allow_autapses": False, "allow_multapses": False},
                 {"weight": 2.0, "delay": 1.0})
    nest.Connect(a, b, {"rule": "fixed_indegree", "indegree": 6}, {"weight": 40.0, "delay": 1.5})
    b.V_m = nest.random.uniform(-70.0, -55.0)
    c = nest.Create("iaf_psc_delta", 7, params={"V_m": nest.math.redraw(nest.random.normal(-62.0, 4.0), -66.0, -58.0)})
    nest.Connect(a, c, {"rule": "pairwise_bernoulli", "p": 0.3}, {"weight": 3.0, "delay": 1.0})
    nest.Connect(c, b, {"rule": "fixed_outdegree", "outdegree": 3}, {"weight": -30.0, "delay": 1.0})
    pg = nest.Create("poisson_generator", params={"rate": 30000.0})
    nest.Connect(pg, a + b + c, syn_spec={"weight": 0.6, "delay": 1.0})
    vm = nest.Create("voltmeter", params={"interval": 0.5})
    nest.Connect(a + b + c, sr)
    nest.Connect(vm, a[0:2] + b[0:2] + c[0:2])
    nest.Simulate(100.0)
    return events(sr, vm)


def random_weights_and_delays(nest):
    """Random weights and delays drawn from NEST's streams after each synapse's source, delay
    first: all_to_all, one_to_one, fixed_indegree, pairwise_bernoulli and fixed_outdegree (two
    virtual processes), then Poisson input from the streams where the build left them."""
    nest.ResetKernel()
    nest.SetKernelStatus({"local_num_threads": 2, "rng_seed": 99})
    a = nest.Create("iaf_psc_alpha", 16, params={"I_e": 200.0})
    b = nest.Create("iaf_psc_alpha", 9)
    c = nest.Create("iaf_psc_alpha", 9)
    pg = nest.Create("poisson_generator", params={"rate": 20000.0})
    nest.Connect(pg, a, syn_spec={"weight": nest.random.uniform(5.0, 15.0), "delay": 1.0})
    nest.Connect(a, a, {"rule": "fixed_indegree", "indegree": 3},
                 {"weight": nest.random.normal(60.0, 15.0), "delay": nest.random.uniform(1.0, 3.0)})
    nest.Connect(b, c, "one_to_one", {"weight": 300.0, "delay": nest.random.uniform(1.0, 2.0)})
    nest.Connect(a, b, {"rule": "pairwise_bernoulli", "p": 0.4}, {"weight": nest.random.uniform(50.0, 150.0)})
    nest.Connect(c, a, {"rule": "fixed_outdegree", "outdegree": 2}, {"weight": nest.random.normal(-40.0, 10.0), "delay": 1.5})
    nest.Connect(pg, b + c, syn_spec={"weight": 12.0})
    sr = nest.Create("spike_recorder")
    nest.Connect(a + b + c, sr)
    vm = nest.Create("voltmeter", params={"interval": 1.0})
    nest.Connect(vm, b[0:2] + c[0:2])
    nest.Simulate(80.0)
    return events(sr, vm)


def reseeded_after_build(nest):
    """rng_seed set after the network was drawn (NEST's sensitivity_to_perturbation example): the
    network comes from the first seed's streams, the Poisson input from fresh streams of the new
    seed."""
    nest.ResetKernel()
    nest.local_num_threads = 2
    a = nest.Create("iaf_psc_delta", 30, params={"V_m": nest.random.uniform(-70.0, -55.0)})
    nest.Connect(a, a, {"rule": "fixed_indegree", "indegree": 5}, {"weight": 4.0, "delay": 1.0})
    pg = nest.Create("poisson_generator", params={"rate": 25000.0})
    nest.Connect(pg, a, syn_spec={"weight": 0.7, "delay": 1.0})
    sr = nest.Create("spike_recorder")
    nest.Connect(a, sr)
    nest.rng_seed = 30
    nest.Simulate(80.0)
    return events(sr)


def structural_plasticity(nest):
    """Structural plasticity set up as NEST's structural_plasticity.py example does (kernel
    settings, synaptic_elements, EnableStructuralPlasticity), read between Simulate calls: Ca
    and the elements' z of every neuron, brought to the end of each Simulate as NEST does; the
    growth rates keep every element below one, so no synapse forms (pairing draws NEST's way
    would be needed to compare past that)."""
    nest.ResetKernel()
    nest.structural_plasticity_update_interval = 500.0
    nest.CopyModel("static_synapse", "synapse_ex")
    nest.SetDefaults("synapse_ex", {"weight": 585.0, "delay": 1.0})
    nest.structural_plasticity_synapses = {
        "synapse_ex": {"synapse_model": "synapse_ex", "post_synaptic_element": "Den_ex", "pre_synaptic_element": "Axon_ex"}}
    curve = {"growth_curve": "gaussian", "growth_rate": 0.0002, "continuous": False, "eta": 0.0, "eps": 0.05}
    n = nest.Create("iaf_psc_alpha", 12, {"synaptic_elements": {"Den_ex": curve, "Axon_ex": {"growth_curve": "linear", "growth_rate": 0.0002, "eps": 0.05}},
                                          "tau_Ca": 500.0})
    pg = nest.Create("poisson_generator", params={"rate": 12000.0})
    nest.Connect(pg, n, syn_spec={"weight": 6.2, "delay": 1.0})
    sr = nest.Create("spike_recorder")
    nest.Connect(n, sr)
    nest.EnableStructuralPlasticity()
    out = {"Ca": [], "Den_ex": [], "Axon_ex": [], "connected": []}
    for _ in range(3):
        nest.Simulate(700.0)
        elements = n.synaptic_elements
        out["Ca"] += [float(c) for c in n.Ca]
        out["Den_ex"] += [e["Den_ex"]["z"] for e in elements]
        out["Axon_ex"] += [e["Axon_ex"]["z"] for e in elements]
        out["connected"] += [e["Axon_ex"]["z_connected"] for e in elements]
    return {"elements": out, "events": events(sr)}


def connect_arrays_homogeneous(nest):
    """Connect of two numpy arrays of node ids (NEST's connect_arrays: one_to_one pairs in the
    arrays' order, repeats allowed, a weight per pair) with a copy of stdp_synapse_hom (the
    homogeneous model: stdp_synapse's dynamics and defaults), as store_restore_network.py does."""
    import numpy as np
    nest.ResetKernel()
    n = nest.Create("iaf_psc_alpha", 8, params={"I_e": 370.0})
    nest.CopyModel("stdp_synapse_hom", "e_syn", {"Wmax": 200.0})
    sources = np.array([1, 3, 3, 5, 8, 2, 7, 1])
    targets = np.array([2, 4, 6, 6, 1, 3, 8, 5])
    nest.Connect(sources, targets, "one_to_one", {"synapse_model": "e_syn", "weight": np.linspace(40.0, 120.0, 8), "delay": np.full(8, 1.5)})
    sr = nest.Create("spike_recorder")
    vm = nest.Create("voltmeter", params={"interval": 0.5})
    nest.Connect(n, sr)
    nest.Connect(vm, n[0:3])
    nest.Simulate(150.0)
    w = nest.GetConnections(synapse_model="e_syn").get(("source", "target", "weight"))
    return {"events": events(sr, vm), "weights": sorted(zip(w["source"], w["target"], w["weight"]))}


def current_generators_recorded(nest):
    """A multimeter recording the current of dc, ac and step-current generators (their activity
    windows, NEST's timing of step changes, an amplitude changed between Simulate calls)."""
    nest.ResetKernel()
    n = nest.Create("iaf_psc_alpha")
    dc = nest.Create("dc_generator", params={"amplitude": 50.0, "start": 5.0, "stop": 20.0})
    ac = nest.Create("ac_generator", params={"amplitude": 40.0, "frequency": 100.0, "phase": 30.0, "offset": 5.0, "start": 2.0})
    st = nest.Create("step_current_generator", params={"amplitude_times": [3.0, 7.5, 12.0], "amplitude_values": [10.0, -20.0, 30.0]})
    for g in (dc, ac, st):
        nest.Connect(g, n)
    m = nest.Create("multimeter", params={"record_from": ["I"], "interval": 0.1})
    vm = nest.Create("voltmeter", params={"interval": 0.5})
    nest.Connect(m, dc + ac + st)
    nest.Connect(vm, n)
    nest.Simulate(15.0)
    dc.amplitude = 80.0
    nest.Simulate(10.0)
    return events(m, vm)


def noise_generator_recorded(nest):
    """A multimeter recording noise generators' I (the mean of the values each sends its targets,
    NEST's draws): three targets, a modulated std, an activity window, one without targets, a
    Poisson generator drawing from the same stream, and the mean changed between Simulate calls."""
    nest.ResetKernel()
    n = nest.Create("iaf_psc_alpha", 3)
    noise = nest.Create("noise_generator", params={"mean": 100.0, "std": 50.0, "dt": 0.5, "std_mod": 20.0,
                                                    "frequency": 50.0, "start": 2.0, "stop": 18.0})
    lonely = nest.Create("noise_generator", params={"mean": 10.0, "std": 5.0})
    pg = nest.Create("poisson_generator", params={"rate": 20000.0})
    nest.Connect(noise, n)
    nest.Connect(pg, n, syn_spec={"weight": 5.0})
    m = nest.Create("multimeter", params={"record_from": ["I"], "interval": 0.1})
    vm = nest.Create("voltmeter", params={"interval": 0.5})
    nest.Connect(m, noise + lonely)
    nest.Connect(vm, n)
    nest.Simulate(10.0)
    noise.mean = -50.0
    nest.Simulate(15.0)
    return events(m, vm)


def multisynapse(nest):
    """Multisynapse models: array parameters by Create and by SetStatus, spikes on every receptor
    port (syn_spec receptor_type), the per-port recordables (g_k, I_syn_k), GetStatus of the arrays
    and of the port count."""
    nest.ResetKernel()
    beta = nest.Create("aeif_cond_beta_multisynapse", 2, params={
        "I_e": 150.0, "E_rev": [0.0, 0.0, -85.0, -75.0], "tau_rise": [0.5, 2.0, 1.0, 3.0], "tau_decay": [5.0, 30.0, 10.0, 3.0]})
    psc = nest.Create("iaf_psc_exp_multisynapse", params={"I_e": 300.0})
    psc.set({"tau_syn": [0.5, 2.0, 8.0]})
    nest.SetStatus(psc, {"tau_m": 15.0})
    alpha = nest.Create("aeif_cond_alpha_multisynapse", params={"E_rev": [0.0, -70.0], "tau_syn": [1.0, 3.0], "I_e": 400.0})
    trains = [[10.0, 10.1, 40.0, 40.0, 80.0], [20.0, 60.0, 60.1], [30.0, 70.0], [15.0, 90.0]]
    for k, times in enumerate(trains):
        sg = nest.Create("spike_generator", params={"spike_times": times})
        nest.Connect(sg, beta, syn_spec={"weight": 10.0 + 5 * k, "delay": 1.0 + 0.5 * k, "receptor_type": k + 1})
        if k < 3:
            nest.Connect(sg, psc, syn_spec={"weight": 300.0 if k != 1 else -400.0, "delay": 1.0, "receptor_type": k + 1})
        if k < 2:
            nest.Connect(sg, alpha, syn_spec={"weight": 20.0, "receptor_type": k + 1})
    mb = nest.Create("multimeter", params={"record_from": ["V_m", "w", "g_1", "g_4"], "interval": 0.1})
    mp = nest.Create("multimeter", params={"record_from": ["V_m", "I_syn", "I_syn_2"], "interval": 0.1})
    ma = nest.Create("multimeter", params={"record_from": ["V_m", "g_2"], "interval": 0.1})
    sr = nest.Create("spike_recorder")
    nest.Connect(mb, beta)
    nest.Connect(mp, psc)
    nest.Connect(ma, alpha)
    nest.Connect(beta + psc + alpha, sr)
    nest.Simulate(120.0)
    out = events(mb, mp, ma, sr)
    out["tau_syn"] = [float(x) for x in psc.get("tau_syn")]
    out["tau_decay"] = [float(x) for x in beta[0].get("tau_decay")]
    out["n_receptors"] = int(beta[1].get("n_receptors"))
    out["n_synapses"] = int(psc.get("n_synapses"))
    out["recordables"] = {str(r): 1.0 for r in alpha.get("recordables")}
    return out


def sup_generators(nest):
    """gamma_sup_generator and ppd_sup_generator (PyNN's SpikeSourceGamma and
    SpikeSourcePoissonRefractory): every target its own superposition of processes, drawn from
    NEST's streams in NEST's order: two virtual processes, parrots and neurons as targets, a
    modulated rate, an activity window, a recorder on a generator, and their defaults."""
    nest.ResetKernel()
    nest.SetKernelStatus({"local_num_threads": 2, "rng_seed": 4321})
    parrots = nest.Create("parrot_neuron", 6)
    n = nest.Create("iaf_psc_alpha", 2)
    gamma = nest.Create("gamma_sup_generator", params={"rate": 80.0, "gamma_shape": 3, "n_proc": 20})
    ppd = nest.Create("ppd_sup_generator", params={"rate": 60.0, "dead_time": 2.0, "n_proc": 30, "frequency": 15.0,
                                                   "relative_amplitude": 0.8, "start": 10.0})
    single = nest.Create("gamma_sup_generator", params={"rate": 150.0, "gamma_shape": 2, "stop": 40.0})
    nest.Connect(gamma, parrots[0:4])
    nest.Connect(ppd, parrots[2:6], syn_spec={"delay": 1.5})
    nest.Connect(gamma + ppd, n, syn_spec={"weight": 30.0})
    nest.Connect(single, parrots[5])
    sr = nest.Create("spike_recorder")
    vm = nest.Create("voltmeter", params={"interval": 0.5})
    single_sr = nest.Create("spike_recorder")
    nest.Connect(parrots + n, sr)
    nest.Connect(single, single_sr)
    nest.Connect(vm, n)
    nest.Simulate(60.0)
    out = events(sr, vm, single_sr)
    out["defaults"] = {m: {k: float(nest.GetDefaults(m)[k]) for k in keys} for m, keys in
                       [("gamma_sup_generator", ["rate", "gamma_shape", "n_proc"]),
                        ("ppd_sup_generator", ["rate", "dead_time", "n_proc", "frequency", "relative_amplitude"])]}
    out["status"] = {k: float(ppd.get(k)) for k in ["rate", "dead_time", "n_proc", "relative_amplitude"]}
    return out


def pulsepacket(nest):
    """pulsepacket_generator: packets of Gaussian spike times, one train for all targets, drawn
    from NEST's stream in NEST's order (a poisson_generator beside them; one virtual process: NEST
    draws a train per virtual process), onto parrots and a neuron, recorded directly too."""
    nest.ResetKernel()
    nest.SetKernelStatus({"rng_seed": 99})
    parrots = nest.Create("parrot_neuron", 3)
    n = nest.Create("iaf_psc_alpha", params={"I_e": 100.0})
    ppg = nest.Create("pulsepacket_generator", 2, params={"pulse_times": [15.0, 60.0], "activity": 30, "sdev": 4.0})
    pg = nest.Create("poisson_generator", params={"rate": 3000.0})
    late = nest.Create("pulsepacket_generator", params={"pulse_times": [70.0], "activity": 10, "sdev": 2.0, "start": 40.0})
    nest.Connect(ppg, parrots[0:2], "one_to_one")
    nest.Connect(pg + late, parrots[2])
    nest.Connect(ppg + late, n, syn_spec={"weight": 40.0})
    sr = nest.Create("spike_recorder")
    vm = nest.Create("voltmeter", params={"interval": 0.5})
    own = nest.Create("spike_recorder")
    nest.Connect(parrots + n, sr)
    nest.Connect(vm, n)
    nest.Connect(late, own)
    nest.Simulate(13.0)   # NEST's pre_run_hook at the next Simulate draws the packet at 15 ms again
    nest.Simulate(87.0)
    out = events(sr, vm, own)
    out["defaults"] = {k: float(nest.GetDefaults("pulsepacket_generator")[k]) for k in ["activity", "sdev"]}
    out["pulse_times"] = [float(t) for t in ppg[1].get("pulse_times")]
    return out


def sinusoidal_poisson(nest):
    """sinusoidal_poisson_generator: NEST's oscillator and Poisson draws, a train per target
    (individual_spike_trains, the default) and one per virtual process (False, set as a model
    default as NEST requires), two virtual processes, parrots and a neuron as targets, a
    multimeter on the rate, two Simulate calls (NEST sets the oscillator afresh at each)."""
    out = {}
    for individual in (True, False):
        nest.ResetKernel()
        nest.SetKernelStatus({"local_num_threads": 2, "rng_seed": 77, "resolution": 0.05})
        nest.SetDefaults("sinusoidal_poisson_generator", {"individual_spike_trains": individual})
        parrots = nest.Create("parrot_neuron", 6)
        n = nest.Create("iaf_psc_alpha")
        g = nest.Create("sinusoidal_poisson_generator", params={"rate": 400.0, "amplitude": 300.0, "frequency": 20.0, "phase": 30.0})
        late = nest.Create("sinusoidal_poisson_generator", params={"rate": 100.0, "amplitude": 250.0, "frequency": 35.0, "start": 20.0})
        nest.Connect(g, parrots[0:4])
        nest.Connect(late, parrots[3:6], syn_spec={"delay": 1.5})
        nest.Connect(g + late, n, syn_spec={"weight": 25.0})
        sr = nest.Create("spike_recorder")
        vm = nest.Create("voltmeter", params={"interval": 0.5})
        rate = nest.Create("multimeter", params={"record_from": ["rate"], "interval": 0.1})
        nest.Connect(parrots + n, sr)
        nest.Connect(vm, n)
        nest.Connect(rate, g + late)
        nest.Simulate(37.0)
        nest.Simulate(43.0)
        out[str(individual)] = events(sr, vm, rate)
    return out


CASES = [one_neuron, two_neurons_two_simulates, per_node_values_and_slices, copies_arrays_and_windows, changes_between_simulates,
         more_models, node_by_node, random_streams, random_streams_recorders_first, random_network, random_weights_and_delays, reseeded_after_build, structural_plasticity, connect_arrays_homogeneous, current_generators_recorded,
         noise_generator_recorded, multisynapse, sup_generators, pulsepacket, sinusoidal_poisson]
