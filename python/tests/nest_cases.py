"""Small PyNEST scripts, each a function of the `nest` module: run on NEST 3.10 by
tools/nest_examples/make_fixtures.py (fixtures/nest_cases.json) and on plexus.nest by
test_nest.py, which compares what their recorders hold."""


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


CASES = [one_neuron, two_neurons_two_simulates, per_node_values_and_slices, copies_arrays_and_windows, changes_between_simulates]
