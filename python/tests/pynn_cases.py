"""PyNN scripts, each a function of a PyNN backend module (`sim`): run on pyNN.nest (NEST 3.10)
by tools/pynn/make_fixtures.py (fixtures/pynn_cases.json) and on pyNN.plexus by test_pynn.py,
which compares what they record."""
import numpy as np


def _spikes(population):
    trains = population.get_data("spikes").segments[0].spiketrains
    return [[float(t) for t in train.magnitude] for train in trains]


def _signal(population, name):
    signal = population.get_data(name).segments[0].filter(name=name)[0]
    return {"times": [float(t) for t in signal.times.magnitude], "values": np.asarray(signal.magnitude).T.tolist()}


def small_network(sim):
    """Current- and conductance-based cells, Poisson and array sources, PyNN's own connectors
    (drawn by PyNN with its NumpyRNG), static and Tsodyks-Markram synapses, a DC source, spikes
    and membrane potentials recorded, weights read back."""
    from pyNN.random import NumpyRNG, RandomDistribution
    sim.setup(timestep=0.1, min_delay=0.5, spike_precision="on_grid")   # Plexus: on the grid
    exc = sim.Population(20, sim.IF_curr_alpha(tau_m=15.0, i_offset=0.9), label="exc")
    inh = sim.Population(5, sim.IF_cond_exp(tau_syn_E=3.0), label="inh")
    noise = sim.Population(20, sim.SpikeSourcePoisson(rate=800.0), label="noise")
    stim = sim.Population(1, sim.SpikeSourceArray(spike_times=[5.0, 12.0, 30.5]), label="stim")
    exc.initialize(v=RandomDistribution("uniform", (-65.0, -55.0), rng=NumpyRNG(seed=7)))
    sim.Projection(noise, exc, sim.OneToOneConnector(), sim.StaticSynapse(weight=1.0, delay=0.5))
    ei = sim.Projection(exc, inh, sim.FixedProbabilityConnector(0.3, rng=NumpyRNG(seed=3)),
                        sim.StaticSynapse(weight=RandomDistribution("uniform", (0.01, 0.03), rng=NumpyRNG(seed=4)), delay=1.0),
                        receptor_type="excitatory")
    sim.Projection(inh, exc, sim.AllToAllConnector(), sim.StaticSynapse(weight=-0.5, delay=0.8), receptor_type="inhibitory")
    sim.Projection(stim, inh, sim.AllToAllConnector(), sim.TsodyksMarkramSynapse(U=0.5, tau_rec=100.0, weight=0.05, delay=0.5),
                   receptor_type="excitatory")
    dc = sim.DCSource(amplitude=1.5, start=20.0, stop=60.0)
    dc.inject_into(inh)
    exc.record(["spikes", "v"])
    inh.record("spikes")
    sim.run(100.0)
    out = {"exc_spikes": _spikes(exc), "inh_spikes": _spikes(inh), "exc_v": _signal(exc, "v"),
           "ei_weights": sorted(map(list, ei.get("weight", format="list")))}
    sim.end()
    return out


CASES = [small_network]
