"""plexus.nest (PyNEST's interface) against NEST 3.10: the scripts of nest_cases.py, run on NEST
by tools/nest_examples/make_fixtures.py, give the same recorded events here (spike times equal,
V_m within 1e-9 mV: exact-integration models), and what it cannot do is refused clearly."""
import json
from pathlib import Path

import numpy as np
import pytest

import plexus
import plexus.nest as nest
import nest_cases

FIXTURE = json.loads((Path(__file__).parent / "fixtures" / "nest_cases.json").read_text())["cases"]


def assert_same_events(got, want, path="events", atol=1e-9):
    assert set(got) == set(want), path
    for key in want:
        g, w = got[key], want[key]
        if isinstance(w, dict):
            assert_same_events(g, w, f"{path}.{key}", atol)
        elif isinstance(w, list):
            g, w = np.asarray(g, float), np.asarray(w, float)
            assert g.shape == w.shape, f"{path}.{key}: {g.shape} against NEST's {w.shape}"
            np.testing.assert_allclose(g, w, rtol=0, atol=atol, err_msg=f"{path}.{key}")
        else:
            assert g == pytest.approx(w, abs=1e-12), f"{path}.{key}"


def sorted_events(d):
    """NEST orders a multimeter's events by slice and neuron; both sides by time, then sender."""
    if isinstance(d, dict) and "times" in d and "senders" in d:
        order = np.lexsort((np.asarray(d["senders"]), np.asarray(d["times"])))
        return {k: [v[i] for i in order] for k, v in d.items()}
    if isinstance(d, dict):
        return {k: sorted_events(v) for k, v in d.items()}
    return d


# Synapse tables keep a weight per synapse as a 32-bit float (a drawn weight is off NEST's double
# by up to 6e-8 relative; V_m then by up to 6.4e-8 mV in random_weights_and_delays): where the
# weights are drawn one per synapse, the point engine's validation tolerance (1e-6 mV) applies.
ATOL = {"random_weights_and_delays": 1e-6}


@pytest.mark.parametrize("case", nest_cases.CASES, ids=lambda c: c.__name__)
def test_scripts_record_what_nest_records(case):
    got = sorted_events(case(nest))
    assert_same_events(got, sorted_events(FIXTURE[case.__name__]), atol=ATOL.get(case.__name__, 1e-9))


def test_spikes_were_recorded_at_all():
    # The comparison above would pass vacuously on empty recordings.
    assert len(FIXTURE["one_neuron"]["3"]["times"]) >= 3
    assert len(FIXTURE["per_node_values_and_slices"]["7"]["times"]) > 5


def test_refusals_are_plexus_errors():
    nest.ResetKernel()
    with pytest.raises(plexus.PlexusError, match="unknown point model 'iaf_psc_alhpa'.*did you mean 'iaf_psc_alpha'"):
        nest.Create("iaf_psc_alhpa")
    n = nest.Create("iaf_psc_alpha", 4)
    n[0:2].I_e = 100.0
    m = nest.Create("iaf_psc_alpha", 3)
    nest.Connect(n, m, {"rule": "fixed_indegree", "indegree": 2})
    with pytest.raises(plexus.PlexusError, match="fixed_indegree from 2 to 1 groups"):
        nest.Simulate(10.0)
    nest.ResetKernel()
    n = nest.Create("iaf_psc_alpha", 2)
    nest.Simulate(10.0)
    n.I_e = 10.0   # parameters and state may change between Simulate calls; nodes and connections not
    with pytest.raises(plexus.PlexusError, match="cannot change after Simulate"):
        nest.Create("iaf_psc_alpha")
    with pytest.raises(plexus.PlexusError, match="I_e for some of the nodes of one group after Simulate"):
        n[0].I_e = 5.0
    with pytest.raises(plexus.PlexusError, match="tau_m") as e:
        n.tau_m = -1.0
    assert e.value.key_path.endswith("params.tau_m")
    assert n.get("tau_m") == (10.0, 10.0)   # the refused value was not taken
    with pytest.raises(plexus.PlexusError, match="unknown parameter 'tau_mm'"):
        n.tau_mm = 1.0
    with pytest.raises(plexus.PlexusError, match="no parameter or state 'tau_mm'"):
        n.get("tau_mm")
    with pytest.warns(UserWarning, match="3 values for 2 nodes; the first 2 are used"):   # NEST takes them silently
        nest.ResetKernel()
        nest.Create("iaf_psc_alpha", 2).set(I_e=[1.0, 2.0, 3.0])
    nest.ResetKernel()
    with pytest.raises(plexus.PlexusError, match="tau_m"):
        nest.Create("iaf_psc_alpha", params={"tau_m": -1.0})
        nest.Simulate(1.0)


def test_missing_parts_of_pynest_are_named():
    with pytest.raises(plexus.PlexusError, match="nest.CreateParameter is not supported yet"):
        nest.CreateParameter("constant", {"value": 1.0})
    assert not hasattr(nest, "CreateParameter")


def test_kernel_attributes_and_defaults():
    nest.ResetKernel()
    nest.resolution = 0.25
    nest.local_num_threads = 2
    assert nest.resolution == 0.25 and nest.GetKernelStatus("local_num_threads") == 2
    assert nest.GetDefaults("iaf_psc_alpha", "tau_m") == 10.0
    assert "V_m" in nest.GetDefaults("iaf_psc_alpha")["recordables"]
    n = nest.Create("iaf_psc_alpha", 3)
    assert n.tolist() == [1, 2, 3] and len(n[1:]) == 2 and n[2].global_id == 3
    assert n.get("C_m") == (250.0, 250.0, 250.0)
    with pytest.raises(plexus.PlexusError, match="resolution must be set before nodes are created"):
        nest.resolution = 0.1


def test_get_connections_reads_the_built_network():
    nest.ResetKernel()
    a = nest.Create("iaf_psc_alpha", 3)
    b = nest.Create("iaf_psc_exp", 2)
    nest.Connect(a, b, syn_spec={"weight": 5.0, "delay": 2.0})
    nest.Connect(b, a, {"rule": "fixed_indegree", "indegree": 1}, {"weight": -3.0})
    conns = nest.GetConnections()
    assert len(conns) == 3 * 2 + 3
    ab = nest.GetConnections(source=a, target=b)
    assert len(ab) == 6 and set(ab.get("weight")) == {5.0} and set(ab.get("delay")) == {2.0}
    assert sorted(zip(ab.source, ab.target)) == [(s, t) for s in (1, 2, 3) for t in (4, 5)]
    ba = nest.GetConnections(source=b)
    assert sorted(ba.target) == [1, 2, 3] and set(ba.source) <= {4, 5} and set(ba.get("weight")) == {-3.0}
    assert set(conns.get("synapse_model")) == {"static_synapse"}
    # The same network after a run: GetConnections then equals what it was before.
    nest.Simulate(5.0)
    assert sorted(zip(nest.GetConnections().source, nest.GetConnections().target)) == sorted(zip(conns.source, conns.target))
    with pytest.raises(plexus.PlexusError, match="drawn by Plexus .* cannot be changed"):
        conns.weight = 1.0


def test_random_parameters_and_redraw():
    assert (2.0 * nest.random.uniform(-1.0, 1.0) + 3.0).spec() == {"distribution": "uniform", "min": 1.0, "max": 5.0}
    assert (-nest.random.normal(1.0, 2.0)).spec() == {"distribution": "normal", "mean": -1.0, "std": 2.0}
    assert nest.math.redraw(nest.random.normal(0.0, 1.0), -1.0, 1.0).spec() == \
        {"distribution": "normal", "mean": 0.0, "std": 1.0, "min": -1.0, "max": 1.0}
    with pytest.raises(plexus.PlexusError, match="lognormal"):
        nest.random.lognormal() * 2.0


def test_pandas_output_and_longer_value_lists():
    pandas = pytest.importorskip("pandas")
    nest.ResetKernel()
    n = nest.Create("iaf_psc_alpha", 3, params={"I_e": [1.0, 2.0, 3.0]})
    frame = n.get(["I_e", "V_m"], output="pandas")
    assert isinstance(frame, pandas.DataFrame)
    assert list(frame.index) == [1, 2, 3] and list(frame["I_e"]) == [1.0, 2.0, 3.0]
    assert n.get(["I_e"]) == {"I_e": (1.0, 2.0, 3.0)}
    nest.Connect(n, n, "all_to_all", {"weight": 2.0})
    syn = nest.GetConnections().get(("source", "target", "weight"), output="pandas")
    assert len(syn) == 9 and set(syn.columns) == {"source", "target", "weight"}
    # NEST takes the first values of a longer list without a word; plexus.nest warns.
    with pytest.warns(UserWarning, match="4 values for 2 nodes"):
        m = nest.Create("iaf_psc_alpha", 2, params={"V_m": [-70.0, -65.0, -60.0, -55.0]})
    assert m.get("V_m") == (-70.0, -65.0)
    with pytest.raises(plexus.PlexusError, match="1 values for 2 nodes"):
        m.set(V_m=[-50.0])
    with pytest.raises(plexus.PlexusError, match="rule one_to_one"):
        nest.Connect(np.array([1, 2]), np.array([2, 3]), "all_to_all")
    with pytest.raises(plexus.PlexusError, match="no node with id 99"):
        nest.Connect(np.array([1, 99]), np.array([2, 3]), "one_to_one")


def test_noise_generator_recording_is_single_threaded_as_in_nest():
    # NEST's replicas of a noise_generator on each thread average different targets; it refuses.
    nest.ResetKernel()
    nest.local_num_threads = 2
    g = nest.Create("noise_generator", params={"std": 10.0})
    nest.Connect(g, nest.Create("iaf_psc_alpha"))
    m = nest.Create("multimeter", params={"record_from": ["I"]})
    with pytest.raises(plexus.PlexusError, match="only possible in single-threaded mode"):
        nest.Connect(m, g)


def test_multisynapse_refusals():
    nest.ResetKernel()
    n = nest.Create("aeif_cond_beta_multisynapse", params={"E_rev": [0.0, -80.0], "tau_rise": [1.0, 1.0], "tau_decay": [5.0, 10.0]})
    assert list(n.get("tau_decay")) == [5.0, 10.0] and n.get("n_receptors") == 2
    assert n.get("recordables") == ("V_m", "w", "g_1", "g_2")
    sg = nest.Create("spike_generator", params={"spike_times": [1.0]})
    nest.Connect(sg, n, syn_spec={"receptor_type": 3})
    with pytest.raises(plexus.PlexusError, match="receptor_type 3 is not accepted by aeif_cond_beta_multisynapse") as e:
        nest.Simulate(5.0)
    assert e.value.key_path.endswith("synapse.receptor_type")
    nest.ResetKernel()
    n = nest.Create("iaf_psc_exp_multisynapse", params={"tau_syn": [1.0, -2.0]})
    with pytest.raises(plexus.PlexusError, match="strictly positive") as e:
        nest.Simulate(5.0)
    assert e.value.key_path.endswith("params.tau_syn")
    nest.ResetKernel()
    n = nest.Create("iaf_psc_exp_multisynapse", 3, params={"tau_syn": [1.0, 2.0, 3.0]})
    assert n.get("n_synapses") == (3, 3, 3)   # one list for every node, not one value per node
    with pytest.raises(plexus.PlexusError, match="receptor drawn per connection"):
        nest.Connect(n, n, syn_spec={"receptor_type": nest.random.uniform_int(3) + 1})


def test_create_with_params_second_and_kernel_timers():
    # PyNEST's older Create(model, params); NEST's construction and simulation timers (brette_et_al_2007 reads them).
    nest.ResetKernel()
    n = nest.Create("iaf_psc_alpha", {"I_e": 400.0})
    assert len(n) == 1 and n.get("I_e") == 400.0
    with pytest.raises(TypeError, match="only if Create"):
        nest.Create("iaf_psc_alpha", {"I_e": 1.0}, {"V_m": 0.0})
    with pytest.raises(TypeError, match="integer"):
        nest.Create("iaf_psc_alpha", 2.5)
    nest.Connect(n, nest.Create("spike_recorder"))
    before = nest.GetKernelStatus()
    assert before["time_simulate"] == 0.0 and before["time_construction_create"] > 0 and before["time_construction_connect"] > 0
    nest.Simulate(20.0)
    assert nest.GetKernelStatus("time_simulate") > 0
    nest.ResetKernel()
    assert nest.GetKernelStatus("time_construction_create") == 0.0


REPO = Path(__file__).resolve().parents[2]


def test_install_nestml_models():
    """nest.Install of NESTML files: a generated neuron and a generated STDP synapse known by name;
    the synapse on NEST's pairing protocol ends at NEST's built-in stdp_synapse's weight
    (Tests/Fixtures/nestml_synapse_twins.json, case stdp_mu1)."""
    case = next(c for c in json.loads((REPO / "Tests/Fixtures/nestml_synapse_twins.json").read_text())["cases"] if c["name"] == "stdp_mu1")
    nest.ResetKernel()
    names = nest.Install(str(REPO / "Tests/Fixtures/nestml/synapses/stdp_synapse.nestml"))
    assert names == ["stdp_synapse_nestml"]
    assert "stdp_synapse_nestml" in nest.synapse_models
    assert nest.Install(str(REPO / "Tests/Fixtures/nestml/neurons/iaf_psc_exp_neuron.nestml")) == ["iaf_psc_exp_neuron"]
    assert "iaf_psc_exp_neuron" in nest.node_models
    nest.resolution = 0.1
    sg_pre = nest.Create("spike_generator", params={"spike_times": [t - 1.0 for t in case["pre_ms"]]})
    sg_post = nest.Create("spike_generator", params={"spike_times": [t - 1.0 for t in case["post_ms"]]})
    pre, post = nest.Create("parrot_neuron"), nest.Create("parrot_neuron")
    nest.Connect(sg_pre, pre, syn_spec={"delay": 1.0})
    nest.Connect(sg_post, post, syn_spec={"delay": 1.0})
    nest.Connect(pre, post, syn_spec=dict(synapse_model="stdp_synapse_nestml", weight=case["weight"], delay=case["delay_ms"],
                                          receptor_type=1, **case["nestml_parameters"]))
    n = nest.Create("iaf_psc_exp_neuron", params={"I_e": 400.0})
    sr = nest.Create("spike_recorder")
    nest.Connect(n, sr)
    nest.Simulate(case["pre_ms"][-1] + 5)
    assert nest.GetConnections(pre, post).get("weight") == pytest.approx(case["weights"][-1][1], rel=1e-12)
    assert len(sr.events["times"]) > 5, "the generated neuron fires under 400 pA"
    nest.ResetKernel()
    assert "stdp_synapse_nestml" in nest.synapse_models, "installed models outlive ResetKernel, as NEST's modules do"
    with pytest.raises(nest.NESTErrors.DynamicModuleManagementError):
        nest.Install("nestmlmodule")
    with pytest.raises(plexus.PlexusError, match="no such NESTML file"):
        nest.Install("nowhere.nestml")
