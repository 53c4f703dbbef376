"""PyNN on Plexus: `import plexus.pynn as sim` (or, after `import plexus.pynn`, `import pyNN.plexus as
sim`) in a PyNN script.

PyNN's NEST backend speaks PyNEST; plexus.nest speaks PyNEST over Plexus's point engine. So this
backend is PyNN's own NEST backend (pyNN/nest, PyNN 0.13), loaded a second time under the name
`pyNN.plexus` with `nest` resolved to plexus.nest: standard cell types, populations, views and
assemblies, projections with PyNN's connectors, synapse types, current sources and recording to
Neo are PyNN's code; the simulation is Plexus's. PyNN's real NEST backend (`pyNN.nest`) is
untouched and can be imported beside it.

Differences from pyNN.nest (docs/python.md, "PyNN"):
- spikes are on the time grid by default (`spike_precision="on_grid"`); `spike_precision="off_grid"`
  (pyNN.nest's default) gives NEST's precise-timing models (IF_curr_exp → iaf_psc_exp_ps,
  IF_curr_delta → iaf_psc_delta_ps, SpikeSourcePoisson → poisson_generator_ps, parrots
  parrot_neuron_ps, SpikeSourceArray with precise_times), as pyNN.nest does;
- what plexus.nest refuses (models Plexus lacks, changes it cannot make) is refused here with the
  same `plexus.PlexusError`;
- a current source's start, stop and times read back as given (on the time grid), as on PyNN's
  other backends; pyNN.nest reads them back min_delay earlier.
"""
import importlib.util
import os
import sys


import pyNN

import plexus.nest
import plexus.nest.random

_NAME = "pyNN.plexus"


def _load():
    if _NAME in sys.modules:
        return sys.modules[_NAME]
    folder = os.path.join(os.path.dirname(pyNN.__file__), "nest")
    spec = importlib.util.spec_from_file_location(_NAME, os.path.join(folder, "__init__.py"),
                                                  submodule_search_locations=[folder])
    module = importlib.util.module_from_spec(spec)
    # PyNN's modules `import nest` (and nest.random) while they load: they get plexus.nest. The
    # names are put back afterwards, so a real NEST imported before or later is not disturbed.
    saved = {name: sys.modules.get(name) for name in ("nest", "nest.random")}
    sys.modules["nest"], sys.modules["nest.random"] = plexus.nest, plexus.nest.random
    sys.modules[_NAME] = module
    try:
        spec.loader.exec_module(module)
    except BaseException:
        del sys.modules[_NAME]
        raise
    finally:
        for name, value in saved.items():
            if value is None:
                sys.modules.pop(name, None)
            else:
                sys.modules[name] = value
    pyNN.plexus = module
    # Spikes on the grid are the default of setup() here (pyNN.nest's is off_grid).
    pynn_setup = module.setup

    def setup(timestep=module.control.DEFAULT_TIMESTEP, min_delay=module.control.DEFAULT_MIN_DELAY, **extra_params):
        extra_params.setdefault("spike_precision", "on_grid")
        if extra_params["spike_precision"] not in ("on_grid", "off_grid"):
            raise plexus.PlexusError(f"pyNN.plexus: spike_precision must be 'on_grid' or 'off_grid', not {extra_params['spike_precision']!r}")
        return pynn_setup(timestep, min_delay, **extra_params)

    setup.__doc__ = pynn_setup.__doc__
    module.setup = setup
    module.simulator.state.spike_precision = "on_grid"
    module.simulator.name = "Plexus"
    _current_source_times_as_the_cells_feel_them(module)
    return module


def _current_source_times_as_the_cells_feel_them(module):
    """PyNN's NEST backend sets a current source's start, stop and step times min_delay early on
    its NEST device (its connection to the cells has that delay) and reads them back from there,
    so `source.times` shows times min_delay before those given; PyNN's other backends show the
    times given (as mapped to the time grid). Here they read back as the cells feel them."""
    base = module.standardmodels.electrodes.NestStandardCurrentSource
    native = base.get_native_parameters

    def get_native_parameters(self):
        parameters = native(self)
        for key in ("start", "stop", "amplitude_times"):
            if key in parameters.keys():
                parameters._parameters[key] = parameters[key] + self.min_delay   # lazy, keeps its shape
        return parameters

    # ACSource's phase is set relative to its start on the NEST device.
    phase_correction = base._phase_correction

    def _phase_correction(self, start, frequency, phase):
        return phase_correction(self, native(self)["start"], frequency, phase)

    base.get_native_parameters = get_native_parameters
    base._phase_correction = _phase_correction


_module = _load()
globals().update({k: v for k, v in vars(_module).items() if not k.startswith("__")})
