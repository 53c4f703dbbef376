"""PyNEST's interface over Plexus's point engine: `import plexus.nest as nest` in a NEST script.

Create, Connect, Simulate, node collections with attribute access, recorders' events,
SetStatus/GetStatus, kernel attributes (resolution, local_num_threads, rng_seed) and
ResetKernel build one Plexus point experiment, which Simulate runs (docs/python.md, "PyNEST").
Units are NEST's (ms, mV, pA, pF, nS, Hz); models, rules and synapses are Plexus's (NEST's names);
anything Plexus lacks is refused with a `plexus.PlexusError` naming it.

The first Simulate builds the network (a `plexus.Simulation`); each Simulate advances it, and
SetStatus between them changes it from then on, as in NEST. Devices draw NEST's own random
numbers (kernel `random_streams: nest`), so a script's Poisson input and noise are NEST's.
"""
import builtins
import enum
import json
import math as pymath
import os
import shutil
import sys
import tempfile
import time as _time
import types
import warnings
import weakref

import numpy as np

import plexus
from plexus import PlexusError

from . import math, random   # nest.math.redraw, nest.random.uniform ...

__all__ = ["EnableStructuralPlasticity", "DisableStructuralPlasticity", "GetConnections", "SynapseCollection", "RunManager", "Rank", "NumProcesses", "GetLocalNodeCollection", "GetDefaults", "SetDefaults", "CopyModel", "Create", "set", "get", "Connect", "Simulate", "Run", "Prepare", "Cleanup", "ResetKernel", "SetStatus", "GetStatus",
           "SetKernelStatus", "GetKernelStatus", "NodeCollection", "VerbosityLevel", "random", "PlexusError", "GetNodes",
           "Install", "NESTError", "NESTErrors"]

RECORDERS = {"spike_recorder", "voltmeter", "multimeter"}
# Devices whose current a multimeter records ("I"): deterministic, so computed from their
# parameters here rather than recorded by the engine.
CURRENT_GENERATORS = {"dc_generator", "ac_generator", "step_current_generator"}
# Generators whose recordable a multimeter samples, computed here as NEST's logger has it.
RECORDED_GENERATORS = {**{m: "I" for m in CURRENT_GENERATORS}, "noise_generator": "I", "sinusoidal_poisson_generator": "rate"}
NEST_DEFAULT_SEED = 143202461


class VerbosityLevel(enum.IntEnum):
    ALL = 0
    DEBUG = 5
    STATUS = 7
    INFO = 10
    DEPRECATED = 18
    WARNING = 20
    ERROR = 30
    FATAL = 40
    QUIET = 100


def _refuse(what):
    raise PlexusError(f"plexus.nest: {what}")


LIST_VALUED = {"spike_times", "spike_weights", "spike_multiplicities", "amplitude_times", "amplitude_values", "pulse_times",
               # multisynapse neurons' arrays, one value per receptor port
               "tau_syn", "E_rev", "tau_rise", "tau_decay"}
# NEST's count of receptor ports, by the name each multisynapse model gives it.
PORT_COUNT = {"iaf_psc_exp_multisynapse": "n_synapses", "iaf_psc_alpha_multisynapse": "n_synapses"}


def _arrays(model):
    """A neuron model's array parameters with their defaults (multisynapse models), else {}."""
    return _info(model).get("arrays", {})


class _Population:
    """The nodes of one Create call: NEST gids `first ..< first + n` (recorders included, as NEST
    numbers them). Parameters are kept per node; the experiment gets one Plexus population per
    run of nodes that share their values and are used together (`segments`)."""

    def __init__(self, kernel, model, n, first):
        self.kernel, self.model, self.n, self.first = kernel, model, n, first
        # Plexus says what a model is (plexus_point_model): neuron, device (a generator) or synapse.
        self.kind = "recorder" if model in RECORDERS else {"device": "generator"}.get(_info(model)["kind"], "neuron")
        self.values = {}          # key -> [value per node]
        self.cuts = {0, n}        # node boundaries a Connect needs (`cut`)
        self._segments = None     # `segments()`, until a value or a cut changes
        self.frozen = None        # the segments the running simulation was built with (after Simulate)
        # A recorder's settings and the nodes it records ([(population, lo, hi)]).
        self.record_from = ["V_m"] if model == "voltmeter" else []
        self.interval = 1.0
        self.window = {"start": 0.0, "stop": pymath.inf, "origin": 0.0}
        self.cleared = -pymath.inf   # `n_events = 0` forgets the events up to that time
        self.label = ""
        self.record_to = "memory"
        self.time_in_steps = False
        self.recorded = []
        self.generators = []      # a spike_recorder's generator nodes: (population, node index)
        self.devices = []         # a multimeter's current generators: (population, lo, hi)
        self.changes = []         # a generator's changes after Simulate: (time, lo, hi, key, values)
        self.state = builtins.set() if self.kind == "recorder" else builtins.set(_info(model)["state"])
        self.draw_point = 0       # Connect calls before the last random value was set (NEST's order of draws)

    def set(self, lo, hi, key, values):
        """Sets `key` of nodes lo..<hi: `values` one per node (recorders: the value itself)."""
        if self.kind == "recorder":
            value = values
            if self.kernel.sim is not None and key in ("record_from", "interval"):
                _refuse(f"{self.model}.{key} cannot change after Simulate (Plexus records what was asked before the first Simulate)")
            if key == "record_from":
                self.record_from = [value] if isinstance(value, str) else [str(v) for v in value]
            elif key == "interval":
                self.interval = float(value)
            elif key in self.window:
                self.window[key] = float(value)
            elif key == "n_events":
                if value != 0:
                    _refuse(f"{self.model}.n_events can only be set to 0 (which clears the recorded events)")
                # What the recorder holds now is forgotten; a multimeter's samples of the last
                # slice reach it later (`_Kernel.delivered_until`) and are kept.
                self.cleared = self.kernel.time if self.model == "spike_recorder" else self.kernel.delivered_until()
            elif key == "label":
                self.label = str(value)
            elif key == "time_in_steps":
                self.time_in_steps = bool(value)
            elif key == "record_to":
                if value not in ("memory", "ascii"):
                    _refuse(f"{self.model}.record_to = {value!r}: Plexus records to 'memory' or 'ascii' (NEST's text files)")
                self.record_to = value
            else:
                _refuse(f"{self.model} has no setting '{key}' here (settings: record_from, interval, start, stop, origin, n_events, label)")
            return
        column = self.values.setdefault(key, [None] * self.n)
        column[lo:hi] = values
        self._segments = None
        if any(isinstance(v, dict) for v in values):
            # NEST draws random values when they are set: after the Connect calls so far.
            self.draw_point = len(self.kernel.connections)

    def cut(self, *points):
        """Node boundaries a Connect needs (nodes lo..<hi connected as a group)."""
        if not builtins.set(points) <= self.cuts:
            self.cuts.update(points)
            self._segments = None

    def segments(self):
        """(lo, hi) runs of nodes: split wherever a parameter changes or a collection ends;
        generators one node each (a Plexus device population is one device)."""
        if self.frozen is not None:
            return self.frozen
        if self._segments is None:
            if self.kind == "generator":
                self._segments = [(k, k + 1) for k in range(self.n)]
                return self._segments
            cuts = builtins.set(self.cuts)
            for key, column in self.values.items():
                if key in self.state and all(v is None or isinstance(v, float) for v in column):
                    continue   # initial states go to Plexus as one value per neuron, no split needed
                cuts.update(k for k in range(1, self.n) if column[k] != column[k - 1])
            edges = sorted(cuts)
            self._segments = list(zip(edges[:-1], edges[1:]))
        return self._segments

    def params(self, lo, hi):
        out = {}
        for key, column in self.values.items():
            if key == "precise_times":   # spike_generator: handled with spike_times below
                continue
            values = column[lo:hi]
            if all(v == values[0] for v in values):
                if values[0] is not None:
                    # NEST's boolean parameters (individual_spike_trains) are 0 or 1 for Plexus.
                    out[key] = float(values[0]) if isinstance(values[0], bool) else values[0]
            else:   # an initial state differing within the segment: one value per neuron
                default = _info(self.model)["state"][key]
                out[key] = [default if v is None else v for v in values]
        if self.model == "spike_generator" and self.values.get("precise_times", [None] * self.n)[lo]:
            # NEST's precise_times: Plexus keeps off-grid times exactly (offsets within their
            # steps, which precise models see and grid models ignore, as in NEST).
            out["precise_times"] = 1.0
        return out

    def name(self, lo):
        return f"{self.model}_{self.first + lo}"


def _scalar(value, what):
    if isinstance(value, random.Parameter):
        return value.spec()
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if isinstance(value, (int, float, np.integer, np.floating)):
        return float(value)
    if isinstance(value, str):
        return value
    if isinstance(value, np.ndarray) and value.ndim == 0:
        return float(value)
    _refuse(f"{what}: cannot use {type(value).__name__} {value!r} as a parameter value")


def _per_node(value, key, count):
    """One value per node: a list of `count` values, or one value (a list-valued parameter such as
    spike_times takes a list of numbers as one value)."""
    if key == "synaptic_elements":   # structural plasticity: {element: {growth curve}} for every node
        if not isinstance(value, dict) or not all(isinstance(v, dict) for v in value.values()):
            _refuse("synaptic_elements: give one dictionary {element name: {growth_curve: ..., ...}} for all the nodes")
        return [{name: {k: _scalar(v, f"synaptic_elements.{name}.{k}") for k, v in curve.items()}
                 for name, curve in value.items()}] * count
    if isinstance(value, np.ndarray):
        value = value.tolist()
    if isinstance(value, (list, tuple)):
        nested = any(isinstance(v, (list, tuple, np.ndarray)) for v in value)
        if key in LIST_VALUED and not nested:
            return [_list_value(key, value)] * count
        if len(value) > count:
            # NEST takes the first values and says nothing; this says so.
            warnings.warn(f"plexus.nest: {key}: {len(value)} values for {count} nodes; the first {count} are used (as NEST does)",
                          stacklevel=4)
            value = value[:count]
        if len(value) != count:
            _refuse(f"{key}: {len(value)} values for {count} nodes")
        if key in LIST_VALUED:
            return [_list_value(key, v) for v in value]
        return [_scalar(v, key) for v in value]
    return [_scalar(value, key)] * count


def _list_value(key, values):
    out = [float(v) for v in values]
    if key == "spike_times" and any(b < a for a, b in zip(out, out[1:])):
        _refuse(f"{key} = {out}: Spike times must be sorted in non-descending order (NEST's rule)")
    return out


class NodeCollection:
    """Nodes by NEST gid, as PyNEST's: len, iteration, slicing, `+`, attribute get and set."""

    def __init__(self, nodes=None):
        """PyNEST's `NodeCollection()` (empty) or `NodeCollection([gid, ...])`."""
        gids = [int(g) for g in (nodes or [])]
        parts = _kernel.collection(gids)._parts if gids else []
        object.__setattr__(self, "_kernel", _kernel)
        object.__setattr__(self, "_parts", parts)   # [(population, lo, hi)]: nodes lo..<hi of each

    @classmethod
    def _of(cls, kernel, parts):
        c = cls.__new__(cls)
        object.__setattr__(c, "_kernel", kernel)
        object.__setattr__(c, "_parts", parts)
        return c

    # -- identity
    def tolist(self):
        return [p.first + k for p, lo, hi in self._parts for k in range(lo, hi)]

    @property
    def global_id(self):
        ids = self.tolist()
        return ids[0] if len(ids) == 1 else tuple(ids)

    def __len__(self):
        return sum(hi - lo for _, lo, hi in self._parts)

    def __iter__(self):
        for p, lo, hi in self._parts:
            for k in range(lo, hi):
                yield NodeCollection._of(self._kernel, [(p, k, k + 1)])

    def __getitem__(self, index):
        ids = self.tolist()
        if isinstance(index, (bool, np.bool_)):   # `nodes[nodes.local]` of one node
            picked = ids if index else []
        elif isinstance(index, slice):
            picked = ids[index]
        elif isinstance(index, (list, tuple, np.ndarray)) and len(index) and all(isinstance(i, (bool, np.bool_)) for i in index):
            if len(index) != len(ids):
                raise IndexError(f"a mask of {len(index)} for {len(ids)} nodes")
            picked = [g for g, keep in zip(ids, index) if keep]   # a boolean mask
        elif isinstance(index, (list, tuple, np.ndarray)):
            picked = [ids[int(i)] for i in index]
        else:
            picked = [ids[int(index)]]
        return self._kernel.collection(picked)

    def __add__(self, other):
        if not self._parts:
            return other
        if not other._parts:
            return self
        return self._kernel.collection(sorted(builtins.set(self.tolist()) | builtins.set(other.tolist())))

    def __contains__(self, other):
        return builtins.set(other.tolist()) <= builtins.set(self.tolist())

    def __eq__(self, other):
        return isinstance(other, NodeCollection) and self.tolist() == other.tolist()

    def __hash__(self):
        return hash(tuple(self.tolist()))

    def __repr__(self):
        return "NodeCollection(" + ", ".join(f"{p.model}: {p.first + lo}..{p.first + hi - 1}" for p, lo, hi in self._parts) + ")"

    def index(self, gid):
        return self.tolist().index(int(gid))

    # -- status
    def set(self, params=None, **kwargs):
        if isinstance(params, (list, tuple)):
            if len(params) != len(self):
                _refuse(f"set: {len(params)} dicts for {len(self)} nodes")
            for node, d in zip(self, params):
                node.set(d)
            return
        params = dict(params or {}, **kwargs)
        recorders = any(p.kind == "recorder" for p, _, _ in self._parts)
        for key, value in params.items():
            values = value if recorders else _per_node(value, key, len(self))
            offset = 0
            for p, lo, hi in self._parts:
                part = values if recorders else values[offset:offset + hi - lo]
                if p.kind != "recorder" and self._kernel.sim is not None:
                    self._kernel.change(p, lo, hi, key, part)   # the running simulation first: it may refuse
                p.set(lo, hi, key, part)
                offset += hi - lo

    def get(self, *keys, output=""):
        if output == "pandas":   # PyNEST's: one column per key, indexed by global id
            import pandas
            names = list(keys[0]) if len(keys) == 1 and isinstance(keys[0], (list, tuple)) else list(keys) or self._status_keys()
            gids = [p.first + k for p, lo, hi in self._parts for k in range(lo, hi)]
            return pandas.DataFrame({n: [self._kernel.status(p, k, n) for p, lo, hi in self._parts for k in range(lo, hi)] for n in names},
                                    index=gids)
        if len(keys) == 1 and isinstance(keys[0], (list, tuple)):   # get(["V_m", "I_e"]): a dict, as PyNEST
            return {k: self.get(k) for k in keys[0]}
        if len(keys) == 0:   # the whole status: identity, parameters and state
            return {k: self.get(k) for k in self._status_keys()}
        if len(keys) == 2 and keys[0] == "events":
            return self.get("events")[keys[1]]
        if len(keys) > 1:
            return {k: self.get(k) for k in keys}
        values = [self._kernel.status(p, k, keys[0]) for p, lo, hi in self._parts for k in range(lo, hi)]
        return values[0] if len(values) == 1 else tuple(values)

    def _status_keys(self):
        keys = ["global_id", "model", "element_type", "local", "thread", "vp"]
        for p, _, _ in self._parts:
            if p.kind == "recorder":
                more = ["events", "n_events", "start", "stop", "origin", "record_to", "label", "time_in_steps"]
                if p.model != "spike_recorder":
                    more += ["record_from", "interval"]
            else:
                more = [k for k in GetDefaults(p.model) if k not in ("recordables", "element_type", "model")] + _info(p.model)["lists"]
                if _arrays(p.model):
                    more += list(_arrays(p.model)) + [PORT_COUNT.get(p.model, "n_receptors")]
            keys += [k for k in more if k not in keys]
        return keys

    def __getattr__(self, key):
        if key.startswith("_"):
            raise AttributeError(key)
        return self.get(key)

    def __setattr__(self, key, value):
        self.set({key: value})


class _Kernel:
    """One network being described: what Create and Connect add, what Simulate runs."""

    def __init__(self):
        self.resolution = 0.1
        self.threads = 1
        # NEST's kernel timers (s, wall clock, since ResetKernel). Plexus builds the network in
        # the first Simulate, so that time is in time_simulate, not in the construction timers.
        self.timers = {"time_construction_create": 0.0, "time_construction_connect": 0.0, "time_simulate": 0.0}
        self.seed = NEST_DEFAULT_SEED
        self.build_seed = None   # the rng_seed the network was drawn with, when the script set another afterwards
        # Structural plasticity: NEST's kernel settings and whether EnableStructuralPlasticity was called.
        self.sp_interval = 10000.0
        self.sp_synapses = {}
        self.sp_enabled = False
        self.data_path, self.data_prefix = "", ""   # where recorders writing to ascii put their files
        self.populations = []
        self.connections = []     # (sources parts, targets parts, rule dict, synapse dict), or a _PairList
        self.array_files = 0      # .npy files written for long pair lists
        self.synapse_counts = {}  # NEST's num_connections per synapse model (None: drawn, unknown here)
        self.copies = {}          # CopyModel: new name -> (model, defaults)
        self.time = 0.0
        self.run_starts = []      # times (ms) where a later Simulate began (NEST's pre_run_hook)
        self.files_from = {"spike_recorder": 0.0, "multimeter": -pymath.inf}   # `open_files`
        self.delay_extrema = None  # min_delay and max_delay set by the script (NEST: fixed then)
        self.recorder_delays = []  # delays of recorders' connections (they count in NEST's min_delay)
        self.sim = None           # the running plexus.Simulation, from the first Simulate on
        self._results = None      # what it recorded, as of the last Simulate (read when asked)
        self.state_cache = {}     # (segment name, state variable) -> values now
        # The run folders (Plexus writes one per run); removed with the kernel (ResetKernel, exit).
        self.out = tempfile.mkdtemp(prefix="plexus-nest-")
        weakref.finalize(self, shutil.rmtree, self.out, ignore_errors=True)

    def structural_status(self, p, k, key):
        """Node k's Ca, or its synaptic elements as NEST gives them (each element's growth curve
        with z and z_connected), from the running simulation (brought to the end of the last
        Simulate, as NEST does)."""
        elements = p.values.get("synaptic_elements", [None] * p.n)[k] or {}
        if self.sim is None:
            if key == "Ca":
                v = p.values.get("Ca", [None] * p.n)[k]
                return 0.0 if v is None else float(v)
            return {name: dict(curve, z=float(curve.get("z", 0.0)), z_connected=0) for name, curve in elements.items()}

        def column(a, variable):
            cached = self.state_cache.get((p.name(a), variable))
            if cached is None:
                cached = self.state_cache[(p.name(a), variable)] = self.sim.state(p.name(a), variable)
            return cached

        a = next(a for a, b in p.segments() if a <= k < b)
        if key == "Ca":
            return float(column(a, "Ca")[k - a])
        return {name: dict(curve, z=float(column(a, f"synaptic_elements.{name}.z")[k - a]),
                           z_connected=int(column(a, f"synaptic_elements.{name}.z_connected")[k - a]))
                for name, curve in elements.items()}

    def structural_block(self):
        """The experiment's structural_plasticity block from NEST's kernel settings: each
        synapse takes its model's weight and delay (CopyModel/SetDefaults), as NEST does."""
        synapses = {}
        for name, spec in self.sp_synapses.items():
            spec = dict(spec)
            model = spec.pop("synapse_model", "static_synapse")
            base, defaults = _model(model)
            entry = {"synapse_model": base, "weight": float(defaults.get("weight", 1.0)), "delay": float(defaults.get("delay", 1.0))}
            for key in ("pre_synaptic_element", "post_synaptic_element", "allow_autapses"):
                if key in spec:
                    entry[key] = spec.pop(key)
            if spec:
                _refuse(f"structural_plasticity_synapses.{name}: {', '.join(spec)} not supported here "
                        "(synapse_model, pre_synaptic_element, post_synaptic_element, allow_autapses)")
            synapses[name] = entry
        return {"update_interval": self.sp_interval, "synapses": synapses}

    def build_has_drawn(self):
        """Whether NEST has drawn from its streams to build the network: random initial values,
        a random rule or random weights and delays (NestDraws in the engine)."""
        values = any(isinstance(v, dict) for p in self.populations for column in p.values.values() for v in column)
        rules = any(not isinstance(c, _PairList) and (c[2]["rule"] in ("fixed_indegree", "pairwise_bernoulli", "fixed_outdegree")
                                                      or any(isinstance(c[3].get(k), dict) for k in ("weight", "delay")))
                    for c in self.connections)
        return values or rules

    def changed(self):
        """Nodes, connections or kernel settings are about to change: only before the first Simulate."""
        if self.sim is not None:
            _refuse("nodes, connections and kernel settings cannot change after Simulate yet (parameters and state can: "
                    "SetStatus); create and connect everything before the first Simulate (or call ResetKernel)")

    def change(self, p, lo, hi, key, values):
        """SetStatus on nodes lo..<hi of `p` after Simulate: the running simulation changes from now on."""
        self.state_cache.clear()
        if p.kind == "generator":
            p.changes.append((self.time, lo, hi, key, list(values)))
        state = key in p.state
        for a, b in p.segments():
            x, y = max(lo, a), min(hi, b)
            if x >= y:
                continue
            part = values[x - lo:y - lo]
            if isinstance(part[0], dict) or not state:
                if (x, y) != (a, b) or any(v != part[0] for v in part):
                    _refuse(f"{p.model}.{key} for some of the nodes of one group after Simulate: Plexus keeps one value per group "
                            f"once the simulation runs (nodes {p.first + a}..{p.first + b - 1}); give the nodes their own values "
                            "(or connect them apart) before the first Simulate")
                value = part[0]
                if isinstance(value, (bool, np.bool_)):
                    value = float(value)   # precise_times, individual_spike_trains: 0 or 1 for Plexus
                self.sim.set(p.name(a), {key: value})
            else:
                self.sim.set(p.name(a), {key: [float(v) for v in part]}, neurons=range(x - a, y - a))

    def next_gid(self):
        return 1 + sum(p.n for p in self.populations)

    def population_of(self, gid):
        for p in self.populations:
            if p.first <= gid < p.first + p.n:
                return p
        _refuse(f"no node with id {gid}")

    def collection(self, gids):
        parts = []
        for gid in gids:
            p = self.population_of(gid)
            k = gid - p.first
            if parts and parts[-1][0] is p and parts[-1][2] == k:
                parts[-1] = (p, parts[-1][1], k + 1)
            else:
                parts.append((p, k, k + 1))
        return NodeCollection._of(self, parts)

    def status(self, p, k, key):
        if key == "global_id":
            return p.first + k
        if key == "model":
            return p.model
        if key == "local":      # one process: every node is local
            return True
        if key in ("vp", "thread"):
            return (p.first + k) % self.threads
        if key == "element_type":
            return {"recorder": "recorder", "generator": "stimulator", "neuron": "neuron"}[p.kind]
        if p.kind == "recorder":
            if key == "events":
                return self.events(p)
            if key == "n_events":
                return len(self.events(p)["times"])
            if key == "record_from":
                return tuple(p.record_from)
            if key == "interval":
                return p.interval
            if key in p.window:
                return p.window[key]
            if key == "record_to":
                return p.record_to
            if key == "filenames":
                return self.ascii_files(p) if p.record_to == "ascii" else []
            if key == "label":
                return p.label
            if key == "time_in_steps":
                return p.time_in_steps
            _refuse(f"{p.model} has no status '{key}' here (events, n_events, record_from, interval, start, stop, origin, record_to, filenames, label)")
        if p.kind == "neuron" and key in ("Ca", "synaptic_elements") and self.sp_enabled:
            return self.structural_status(p, k, key)
        ports = (p.kind == "neuron" and key.startswith(("g_", "I_syn_")) and key not in p.state and bool(_arrays(p.model))
                 and key in self.recordables(p, k))
        if self.sim is not None and (key in p.state or ports):   # ports: a multisynapse model's g_2, I_syn_3 ...
            for a, b in p.segments():
                if a <= k < b:
                    cached = self.state_cache.get((p.name(a), key))
                    if cached is None:
                        cached = self.state_cache[(p.name(a), key)] = self.sim.state(p.name(a), key)
                    return float(cached[k - a])
        if p.kind == "neuron" and _arrays(p.model):
            if key in _arrays(p.model):
                v = p.values.get(key, [None] * p.n)[k]
                return np.array(_arrays(p.model)[key] if v is None else v, dtype=float)
            if key == PORT_COUNT.get(p.model, "n_receptors"):
                first = next(iter(_arrays(p.model)))
                return len(self.status(p, k, first))
            if key == "recordables":
                return tuple(self.recordables(p, k))
        if key in p.values and p.values[key][k] is not None:
            v = p.values[key][k]
            if isinstance(v, dict):
                _refuse(f"{p.model}.{key} is a random distribution; its drawn values are not readable yet")
            return v
        defaults = GetDefaults(p.model)
        if key in defaults:
            return defaults[key]
        if key in _info(p.model)["lists"]:
            return np.zeros(0)   # NEST's default: empty
        _refuse(f"{p.model} has no parameter or state '{key}' (it has: {', '.join(k for k in defaults if k not in ('recordables', 'element_type'))})")

    def recordables(self, p, k):
        """NEST's recordables of node k: a multisynapse model's grow with its ports (g_1, I_syn_1, ...)."""
        names = list(_info(p.model)["recordables"])
        ports = self.status(p, k, PORT_COUNT.get(p.model, "n_receptors"))
        port = [n for n in names if n.endswith("_1") and n[:-2] in ("g", "I_syn")]
        fixed = [n for n in names if n not in port]
        stem = port[0][:-2] if port else ("I_syn" if p.model == "iaf_psc_exp_multisynapse" else "g")
        return fixed + [f"{stem}_{i + 1}" for i in range(ports)]

    # -- the experiment
    def experiment(self, duration):
        nodes = [p for p in self.populations if p.kind != "recorder"]
        self._align()
        # Devices draw NEST's random numbers (its generators, seeding and order) for NEST's
        # number of virtual processes: a script's Poisson input and noise are NEST's own.
        doc = {"resolution": self.resolution, "duration": duration, "seed": self.seed, "populations": {}, "connections": [],
               "record": [], "kernel": {"random_streams": "nest", "total_num_virtual_procs": self.threads,
                                        "min_delay": self.min_delay()}}
        if _model_files:
            doc["models"] = list(_model_files)
        gids = [0]
        for p in nodes:
            for lo, hi in p.segments():
                entry = {"model": p.model}
                if p.kind == "neuron":
                    entry["size"] = hi - lo
                params = p.params(lo, hi)
                if "synaptic_elements" in params:
                    elements = params.pop("synaptic_elements")
                    if self.sp_enabled:
                        entry["synaptic_elements"] = elements
                if params:
                    entry["params"] = params
                doc["populations"][p.name(lo)] = entry
                gids.extend(range(p.first + lo, p.first + hi))
        pending = None   # consecutive pair lists with the same rule and synapse become one statement
        statements_before = []   # per Connect call: statements made before it (pair lists draw nothing in NEST)
        for c in self.connections + [None]:
            statements_before.append(len(doc["connections"]))
            if isinstance(c, _PairList) and pending is not None and pending.joins(c):
                pending = pending.joined(c)
                continue
            if pending is not None:
                doc["connections"] += self._pair_statements(pending)
                pending = None
            if isinstance(c, _PairList):
                pending = c
            elif c is not None:
                doc["connections"] += self._connections(*c)
        # Random initial values are drawn from NEST's streams where the script set them among
        # its Connect calls.
        points = {p.name(lo): statements_before[p.draw_point] for p in nodes if p.kind == "neuron" and p.draw_point
                  for lo, _ in p.segments() if statements_before[p.draw_point] > 0}
        if points:
            doc["kernel"]["nest_draw_points"] = points
        if self.build_seed is not None:
            doc["kernel"]["nest_build_seed"] = self.build_seed
        # A multimeter's noise_generators: the engine keeps their I (the values are NEST's draws).
        # (A generator is one Plexus population per node.)
        noise = sorted({q.name(j) for r in self.populations for q, lo, hi in r.devices if q.model == "noise_generator"
                        for j in range(lo, hi)})
        if noise:
            doc["kernel"]["nest_noise_recorders"] = noise
        if self.sp_enabled:
            doc["structural_plasticity"] = self.structural_block()
        # A spike_recorder of a generator records what the generator sends it (a train of its
        # own, for a poisson_generator): a parrot_neuron one min_delay away (no synapse of
        # Plexus may be shorter than NEST's min_delay) repeats it; events() takes that delay off
        # and gives the parrot the generator's gid. NEST makes a generator's connection to a
        # recorder on the recorder's virtual process: there the generator draws for it (a
        # gamma_sup_generator's process, say), so the engine sees the parrot at the recorder's gid.
        vp_gid = {}
        for r in self.populations:
            for p, k in r.generators:
                name = self.parrot_of(p, k)
                if name not in doc["populations"]:
                    doc["populations"][name] = {"model": "parrot_neuron", "size": 1}
                    doc["connections"].append({"source": p.name(k), "target": name, "rule": "all_to_all",
                                               "synapse": {"delay": self.min_delay()}})
                    doc["record"].append({"type": "spike_recorder", "population": name})
                    gids.append(p.first + k)
                    vp_gid[len(gids) - 1] = r.first
        for r in self.populations:
            for p, a, b in self._covering(r.recorded):
                if r.model == "spike_recorder":
                    doc["record"].append({"type": "spike_recorder", "population": p.name(a)})
                else:
                    doc["record"].append({"type": "multimeter", "population": p.name(a), "variables": r.record_from,
                                          "interval": r.interval})
        # Plexus numbers nodes without recorders: NEST's gid of each of Plexus's.
        self.nest_gid = np.array(gids, dtype=np.int64)
        if self.threads > 1:   # a target's VP (NEST's streams) is its NEST gid modulo the VPs
            node_gids = self.nest_gid.copy()
            for i, g in vp_gid.items():
                node_gids[i] = g
            node_gids = node_gids[1:]   # (index 0 stands for Plexus's gid 0, which no node has)
            if len(node_gids) > 1000:
                path = os.path.join(self.out, "nest_gids.npy")
                np.save(path, node_gids)
                doc["kernel"]["nest_gids"] = {"npy": path}
            else:
                doc["kernel"]["nest_gids"] = [int(g) for g in node_gids]
        return plexus.Experiment(doc, file=os.path.join(os.getcwd(), "nest_script.yaml"))

    def _pair_statements(self, pairs):
        """A pair list as `pairs` statements, one per (source segment, target segment), each in
        list order; long lists go to .npy files beside the run (the file keeps them short)."""
        starts, names = [], []
        for p in self.populations:
            if p.kind != "recorder":
                for lo, hi in p.segments():
                    starts.append(p.first + lo)
                    names.append(p.name(lo))
        starts = np.asarray(starts, dtype=np.int64)
        seg_s = np.searchsorted(starts, pairs.sources, side="right") - 1
        seg_t = np.searchsorted(starts, pairs.targets, side="right") - 1
        key = seg_s * len(starts) + seg_t
        firsts = np.unique(key, return_index=True)[1]
        order = np.argsort(key, kind="stable")
        out = []
        for g in key[np.sort(firsts)]:
            rows = order[key[order] == g]
            s, t = int(seg_s[rows[0]]), int(seg_t[rows[0]])
            entry = {"source": names[s], "target": names[t], "rule": "pairs"}
            lists = {"sources": pairs.sources[rows] - starts[s], "targets": pairs.targets[rows] - starts[t],
                     **{k: v[rows] for k, v in pairs.values.items() if k in ("weights", "delays")}}
            synapse = _for_plexus(pairs.synapse)
            for name, v in pairs.values.items():
                if name in ("weights", "delays"):
                    continue
                # Other synapse parameters are one value per statement in Plexus.
                if len(np.unique(v[rows])) > 1:
                    _refuse(f"{synapse.get('model', 'static_synapse')}.{name}: a value per connection is not supported "
                            "(Plexus takes one value per group of connections; weight and delay may differ)")
                synapse[name] = float(v[rows][0])
            for name, values in lists.items():
                if len(values) > 1000:
                    self.array_files += 1
                    path = os.path.join(self.out, f"pairs_{self.array_files}_{name}.npy")
                    np.save(path, values)
                    entry[name] = {"npy": path}
                else:
                    entry[name] = values.tolist()
            entry.update(pairs.extra)
            if synapse:
                entry["synapse"] = synapse
            out.append(entry)
        return out

    @staticmethod
    def parrot_of(p, k):
        return f"parrot_of_{p.name(k)}"

    def _align(self):
        """Cuts that make one_to_one's two sides line up segment for segment."""
        changed = True
        while changed:
            changed = False
            for c in self.connections:
                if isinstance(c, _PairList):
                    continue
                sources, targets, rule, _ = c
                if rule["rule"] != "one_to_one":
                    continue
                a, b = self._segments(sources), self._segments(targets)
                for side, other in ((sources, b), (targets, a)):
                    edges, offset = builtins.set(), 0
                    for _, lo, hi in other:
                        offset += hi - lo
                        edges.add(offset)
                    offset = 0
                    for p, lo, hi in side:
                        for e in edges:
                            if offset < e < offset + hi - lo and lo + e - offset not in p.cuts:
                                p.cut(lo + e - offset)
                                changed = True
                        offset += hi - lo

    @staticmethod
    def _covering(parts):
        """The segments holding any node of `parts`, each once, in gid order."""
        out = []
        for p, lo, hi in parts:
            for a, b in p.segments():
                if a < hi and b > lo and (p, a, b) not in out:
                    out.append((p, a, b))
        return sorted(out, key=lambda s: s[0].first + s[1])

    def count_connections(self, syn_spec, n):
        # By the name the script used (a CopyModel copy counts its own), as NEST's num_connections.
        model = syn_spec if isinstance(syn_spec, str) else (syn_spec or {}).get("synapse_model", "static_synapse")
        self.synapse_counts[model] = None if n is None or self.synapse_counts.get(model, 0) is None else self.synapse_counts.get(model, 0) + n

    @staticmethod
    def _segments(parts):
        out = []
        for p, lo, hi in parts:
            for a, b in p.segments():
                if a >= lo and b <= hi:
                    out.append((p, a, b))
        return out

    def _connections(self, sources, targets, rule, synapse):
        a, b = self._segments(sources), self._segments(targets)
        name = rule["rule"]
        pairs = []
        if name in ("all_to_all", "pairwise_bernoulli"):
            pairs = [(s, t) for s in a for t in b]
        elif name == "one_to_one":
            pairs = list(zip(a, b))
        elif name == "fixed_indegree" and len(a) == 1:
            pairs = [(a[0], t) for t in b]
        elif name == "fixed_outdegree" and len(b) == 1:
            pairs = [(s, b[0]) for s in a]
        elif len(a) == 1 and len(b) == 1:
            pairs = [(a[0], b[0])]
        else:
            _refuse(f"Connect with rule {name} from {len(a)} to {len(b)} groups of nodes (nodes of different Create calls, "
                    "or with different parameters) is not supported yet")
        out = []
        for (sp, slo, _), (tp, tlo, _) in pairs:
            entry = {"source": sp.name(slo), "target": tp.name(tlo)}
            entry.update(rule)
            synapse = _for_plexus(synapse)
            if synapse:
                entry["synapse"] = synapse
            out.append(entry)
        return out

    def connections_table(self):
        """Every synapse as NEST gids (recorders' connections are not synapses in Plexus)."""
        if self.sim is not None:   # the synapses as they stand now (plastic weights moved)
            c = self.sim.results(connections=True).connections()
        else:
            exp = self.experiment(f"{self.resolution!r} ms")
            c = exp.run(out=os.path.join(self.out, "connections"), threads=self.threads, progress=False, connections=True).connections()
        return {"source": self.nest_gid[c["sources"]], "target": self.nest_gid[c["targets"]], "weight": c["weights"],
                "delay": c["delays"], "synapse_model": c["synapse_model"]}

    def simulate(self, t):
        t = float(t)
        if t < 0 or not pymath.isfinite(t):
            _refuse(f"Simulate({t}): the time must be finite and >= 0")
        end = self.time + t
        if end == 0:
            return
        steps = end / self.resolution
        if abs(steps - round(steps)) > 1e-9 * max(1.0, steps):
            _refuse(f"Simulate: {end} ms is not a multiple of the resolution {self.resolution} ms")
        if self.sim is None:
            exp = self.experiment(f"{end!r} ms")
            self.sim = plexus.start(exp, out=os.path.join(self.out, "run"), threads=self.threads)
            for p in self.populations:
                p.frozen = p.segments()
                p.initial = {key: list(column) for key, column in p.values.items()}   # before any change
        self.state_cache.clear()
        if self.time > 0:
            self.run_starts.append(self.time)
        self.sim.advance(end)
        self._results = None
        self.time = end
        self.write_ascii()

    def ascii_files(self, recorder):
        """NEST's file names for a recorder writing to ascii, one per virtual process:
        <data_path>/<data_prefix><label or model>-<gid>-<vp>.dat, the numbers zero-padded to the
        digits of the node and VP counts."""
        digits = len(str(self.next_gid() - 1))
        names = [f"{self.data_prefix}{recorder.label or recorder.model}-{recorder.first:0{digits}d}-{vp:0{len(str(self.threads))}d}.dat"
                 for vp in range(self.threads)]
        return [os.path.join(self.data_path, n) if self.data_path else n for n in names]

    def open_files(self):
        """NEST opens recorders' files at Prepare (Simulate's first part), afresh (overwrite_files):
        a file then holds what reaches the recorder until Cleanup, a spike recorder's spikes after
        now and a multimeter's samples after those it holds now."""
        self.files_from = {"spike_recorder": self.time, "multimeter": self.delivered_until() if self.time > 0 else -pymath.inf}

    def write_ascii(self):
        """The files of recorders writing to ascii, with what reached them since they were opened
        (NEST's format: two comment lines, a header, tab-separated rows, 3 decimals); each virtual
        process's file holds the events of its nodes (gid modulo the VPs)."""
        for r in self.populations:
            if r.kind != "recorder" or r.record_to != "ascii":
                continue
            ev = self.events(r)
            since = self.files_from["spike_recorder" if r.model == "spike_recorder" else "multimeter"]
            columns = [k for k in ev if k not in ("times", "senders", "offsets")]
            head = "\ttime_step\ttime_offset" if r.time_in_steps else "\ttime_ms"
            times_ms = ev["times"] * (self.resolution if r.time_in_steps else 1.0)
            for vp, name in enumerate(self.ascii_files(r)):
                lines = ["# NEST version: 3.10.0", "# RecordingBackendASCII version: 2", "sender" + head + "".join("\t" + c for c in columns)]
                for q in np.flatnonzero((ev["senders"] % self.threads == vp) & (times_ms > since + 1e-9)):
                    t = f"{ev['times'][q]}\t{ev['offsets'][q]:.3f}" if r.time_in_steps else f"{ev['times'][q]:.3f}"
                    lines.append(f"{ev['senders'][q]}\t{t}" + "".join(f"\t{ev[c][q]:.3f}" for c in columns))
                with open(name, "w") as f:
                    f.write("\n".join(lines) + "\n")

    @property
    def results(self):
        """What the simulation recorded up to now (fetched once per Simulate, when first read)."""
        if self._results is None and self.sim is not None:
            self._results = self.sim.results()
        return self._results

    def events(self, recorder):
        names = ["times", "senders"] + ([] if recorder.model == "spike_recorder" else recorder.record_from)
        parts = []
        if self.sim is not None:
            for p, a, b in self._covering(recorder.recorded):
                if recorder.model == "spike_recorder":
                    times, senders = self.results.spikes(p.name(a))
                    parts.append({"times": times, "senders": senders})
                else:
                    m = self.results.multimeter(p.name(a))
                    parts.append({k: m[k] for k in names})
            for p, k in recorder.generators:
                times, senders = self.results.spikes(self.parrot_of(p, k))
                parts.append({"times": times - self.min_delay(), "senders": senders})
        if self.sim is not None and recorder.devices:
            for p, lo, hi in recorder.devices:
                if recorder.record_from != [RECORDED_GENERATORS[p.model]]:
                    _refuse(f"a {recorder.model} records a {p.model}'s {RECORDED_GENERATORS[p.model]} only "
                            f"(record_from: ['{RECORDED_GENERATORS[p.model]}']), not {recorder.record_from}")
            for p, lo, hi in recorder.devices:
                for k in range(lo, hi):
                    parts.append(self.device_samples(p, k, recorder.interval))
        if not parts:
            return {k: np.zeros(0, dtype=np.int64 if k == "senders" else float) for k in names}
        merged = {k: np.concatenate([d[k] for d in parts]) for k in names}
        merged["senders"] = np.concatenate([self.nest_gid[d["senders"]] if "gids" not in d else d["gids"] for d in parts])
        wanted = np.array(sorted({p.first + k for p, lo, hi in recorder.recorded + recorder.devices for k in range(lo, hi)}
                                 | {p.first + k for p, k in recorder.generators}), dtype=np.int64)
        t = merged["times"]
        origin = recorder.window["origin"]
        keep = np.isin(merged["senders"], wanted) & (t > recorder.cleared) \
            & (t > origin + recorder.window["start"]) & (t <= origin + recorder.window["stop"])
        merged = {k: v[keep] for k, v in merged.items()}
        order = np.lexsort((merged["senders"], merged["times"]))   # by time, then sender
        if recorder.model != "spike_recorder":
            # NEST hands a multimeter its samples at the start of each slice (min delay), for the
            # slice before: after Simulate to T it holds those up to the start of the slice T
            # falls in, or ends (T - min_delay when T ends a slice); the rest come later.
            order = order[merged["times"][order] <= self.delivered_until() + 1e-9]
        out = {k: v[order] for k, v in merged.items()}
        if recorder.time_in_steps:
            # NEST's time_in_steps: `times` in steps and the offsets within them (0 on the grid).
            # Off-grid spikes: the step that holds them and their offset before its end.
            t = out["times"]
            steps = np.ceil(t / self.resolution - 1e-9).astype(np.int64)
            offsets = steps * self.resolution - t
            out["offsets"] = np.where(np.abs(offsets) < 1e-9 * self.resolution, 0.0, offsets)
            out["times"] = steps
        return out

    def device_samples(self, p, k, interval):
        """What a multimeter records of current generator k of `p`: its current I at t = j·interval
        up to now, as NEST's logger has it (the step ending at t; 0 while inactive, NEST's
        is_active for current generators: start < step + 2 <= stop), with its parameters as they
        were then (changes after Simulate take effect from the step they were made at). A
        noise_generator's I (the mean of the values it sends) is the engine's record."""
        h = self.resolution
        every = max(1, round(interval / h))
        steps = np.arange(every, round(self.time / h) + 1, every) - 1    # the step ending at each sample
        values = np.zeros(len(steps))
        if p.model == "noise_generator":
            values = np.asarray(self.sim.state(p.name(k), "I"))[steps]
            return {"times": (steps + 1) * h, "senders": np.zeros(len(steps), dtype=np.int64), "gids": np.full(len(steps), p.first + k),
                    "I": values}

        def params_at(step):
            out = {key: column[k] for key, column in p.initial.items()}
            for t, lo, hi, key, vals in p.changes:
                if round(t / h) <= step and lo <= k < hi:
                    out[key] = vals[k - lo]
            defaults = dict(GetDefaults(p.model))
            return {key: (out[key] if out.get(key) is not None else defaults.get(key)) for key in builtins.set(out) | builtins.set(defaults)}

        # Piecewise: the parameters change only where a change was made.
        edges = sorted({round(t / h) for t, lo, hi, _, _ in p.changes if lo <= k < hi})
        bounds = [-1] + edges + [1 << 62]
        for a, b in zip(bounds[:-1], bounds[1:]):
            sel = (steps >= max(a, 0)) & (steps < b)
            if not sel.any():
                continue
            q = params_at(max(a, 0))
            s = steps[sel]
            t_min = round((q["origin"] + q["start"]) / h)
            t_max = round((q["origin"] + q["stop"]) / h) if pymath.isfinite(q["origin"] + q["stop"]) else 1 << 62
            active = (t_min < s + 2) & (s + 2 <= t_max)
            if p.model == "sinusoidal_poisson_generator":
                # NEST's oscillator from t = 0, turned once per step (active or not); the rate
                # (spikes/s) after each turn, cut at 0.
                values[sel] = self.sinusoidal_rates(q, int(s[-1]) + 1)[s]
                continue
            if p.model == "dc_generator":
                v = np.full(len(s), float(q["amplitude"]))
            elif p.model == "ac_generator":
                omega = 2 * pymath.pi * q["frequency"] / 1000.0
                v = q["offset"] + q["amplitude"] * np.sin(omega * (s + 1) * h + q["phase"] * pymath.pi / 180.0)
            else:   # step_current_generator: amplitude_values[i] from the step before amplitude_times[i]
                times = np.asarray(q.get("amplitude_times") or [], float)
                amps = np.asarray(q.get("amplitude_values") or [], float)
                idx = np.searchsorted(np.rint(times / h).astype(np.int64) - 1, s, side="right") - 1
                v = np.where(idx >= 0, amps[np.maximum(idx, 0)] if len(amps) else 0.0, 0.0)
            values[sel] = np.where(active, v, 0.0)
        return {"times": (steps + 1) * h, "senders": np.zeros(len(steps), dtype=np.int64), "gids": np.full(len(steps), p.first + k),
                RECORDED_GENERATORS[p.model]: values}

    def sinusoidal_rates(self, q, n):
        """sinusoidal_poisson_generator's rate (spikes/s) in steps 0..n-1, as NEST's update turns
        its oscillator (the same floating-point operations, in order), set afresh where a Simulate
        began (pre_run_hook)."""
        h = self.resolution
        tics = max(1, round(h * 1000))
        restarts = {round(t / h) for t in self.run_starts}
        rate = q["rate"] / 1000.0
        om = q["frequency"] * (2.0 * pymath.pi / 1000.0)
        phi = q["phase"] * (pymath.pi / 180.0)
        amplitude = q["amplitude"] / 1000.0
        y0, y1 = amplitude * pymath.cos(om * 0.0 + phi), amplitude * pymath.sin(om * 0.0 + phi)
        sn, cs = pymath.sin(h * om), pymath.cos(h * om)
        out = np.empty(n)
        for i in range(n):
            if i in restarts:
                now = (1 / 1000.0) * (i * tics)
                y0, y1 = amplitude * pymath.cos(om * now + phi), amplitude * pymath.sin(om * now + phi)
            y0, y1 = cs * y0 - sn * y1, sn * y0 + cs * y1
            r = rate + y1
            out[i] = 1000.0 * (r if r > 0 else 0.0)
        return out

    def delivered_until(self):
        """The last sample time a multimeter holds after Simulate to the current time: NEST hands
        it its samples at the start of each slice (min delay), for the slice before, so it holds
        those up to the start of the slice the time falls in, or ends (T - min_delay when T ends
        a slice)."""
        steps, slice_steps = round(self.time / self.resolution), round(self.min_delay() / self.resolution)
        return (-(-steps // slice_steps) - 1) * slice_steps * self.resolution

    def min_delay(self):
        """NEST's min_delay: the smallest delay of any connection, recorders' own (1 ms by default)
        included, unless the script set it."""
        if self.delay_extrema:
            return self.delay_extrema[0]
        delays = self._delays(low=True)
        return max(self.resolution, min(delays)) if delays else self.resolution

    def max_delay(self):
        if self.delay_extrema:
            return self.delay_extrema[1]
        delays = self._delays(low=False)
        return max(self.resolution, max(delays)) if delays else self.resolution

    def _delays(self, low):
        """Every connection's delay as NEST counts it for min_delay (low) or max_delay: synapses
        (a distribution's bound; per-pair lists their extreme) and recorders' connections; none:
        NEST's extrema are the resolution."""
        default = _synapse_defaults("static_synapse")["delay"]
        delays = list(self.recorder_delays)
        for c in self.connections:
            if isinstance(c, _PairList):
                if "delays" in c.values and len(c.values["delays"]):
                    delays.append(float(np.min(c.values["delays"]) if low else np.max(c.values["delays"])))
                    continue
                synapse = c.synapse
            else:
                synapse = c[3]
            d = synapse.get("delay", _model(synapse.get("model", "static_synapse"))[1].get("delay", default))
            if isinstance(d, dict):
                d = d.get("min" if low else "max", default)
            if isinstance(d, (int, float)):
                delays.append(float(d))
        return delays


_kernel = _Kernel()
_defaults = {}


def _info(model):
    """Plexus's description of a point model (plexus_point_model): kind, parameters, state, recordables."""
    if model not in _defaults:
        h = plexus._Handle(plexus.lib.plexus_point_model(model.encode())).check()
        _defaults[model] = json.loads(plexus.lib.plexus_text(h.pointer).decode())
    return _defaults[model]


def _catalogue():
    """Plexus's point models by kind (plexus_point_models), read once."""
    if "__catalogue__" not in _defaults:
        h = plexus._Handle(plexus.lib.plexus_point_models()).check()
        _defaults["__catalogue__"] = json.loads(plexus.lib.plexus_text(h.pointer).decode())
    return _defaults["__catalogue__"]


def _node_models():
    return tuple(sorted(_catalogue()["neurons"] + _catalogue()["devices"] + list(RECORDERS)
                        + [n for n, (b, _) in _kernel.copies.items() if b not in _catalogue()["synapses"]]))


def _synapse_models():
    return tuple(sorted(_catalogue()["synapses"] + [n for n, (b, _) in _kernel.copies.items() if b in _catalogue()["synapses"]]))


def GetNodes(properties=None, local_only=False):
    """The nodes whose status has every given property (NEST's GetNodes), all of them without."""
    gids = []
    for p in _kernel.populations:
        for k in range(p.n):
            if all(_kernel.status(p, k, key) == value for key, value in (properties or {}).items()):
                gids.append(p.first + k)
    return _kernel.collection(gids)


def GetDefaults(model, keys=None):
    """A model's defaults (NEST's units): parameters and initial state, `recordables`; for a
    synapse model, its defaults from CopyModel and `num_connections`."""
    d = _model_defaults(model, count=keys is None or "num_connections" in ([keys] if isinstance(keys, str) else keys))
    return _pick(d, keys, lambda key: f"{model} has no default '{key}' (it has: {', '.join(d)})")


def _pick(d, keys, missing):
    """PyNEST's getters: the whole dict (keys None), one value (a name) or a tuple (names);
    `missing(key)` is the refusal for a name `d` lacks."""
    for key in [keys] if isinstance(keys, str) else keys or []:
        if key not in d:
            _refuse(missing(key))
    if keys is None:
        return d
    if isinstance(keys, str):
        return d[keys]
    return tuple(d[k] for k in keys)


def _model_defaults(model, count=True):
    """GetDefaults' dictionary; `count`: with a synapse model's num_connections (refused where a
    rule drew an unknown number), else without it."""
    base, copied = _model(model)
    if base not in RECORDERS and _info(base)["kind"] == "synapse":
        d = dict({"weight": 1.0, "delay": 1.0}, **_info(base)["parameters"], synapse_model=base)
        if count:
            n = _kernel.synapse_counts.get(model, 0)
            if n is None:
                _refuse(f"num_connections of {model}: a rule drew the connections (pairwise_bernoulli), and their number is not read back yet")
            d["num_connections"] = n
        d.update(copied)
    elif base != model:
        d = dict(_model_defaults(base, count), **copied)
    elif model in RECORDERS:
        d = {"record_from": ("V_m",) if model == "voltmeter" else (), "interval": 1.0, "element_type": "recorder"}
    else:
        info = _info(model)
        d = dict(info["parameters"], **info["state"])
        for name, values in info.get("arrays", {}).items():   # multisynapse models: one value per port
            d[name] = np.array(values, dtype=float)
            d[PORT_COUNT.get(model, "n_receptors")] = len(values)
        d["recordables"] = tuple(info["recordables"])
        d["element_type"] = "neuron" if info["kind"] == "neuron" else "stimulator"
    return d


# -- PyNEST's functions

def ResetKernel():
    global _kernel
    _kernel = _Kernel()


def _timed(timer):
    """Adds the call's wall time to the kernel timer `timer` (GetKernelStatus)."""
    def wrap(function):
        def timed(*args, **kwargs):
            kernel, start = _kernel, _time.perf_counter()
            try:
                return function(*args, **kwargs)
            finally:
                kernel.timers[timer] += _time.perf_counter() - start
        timed.__name__, timed.__doc__ = function.__name__, function.__doc__
        return timed
    return wrap


@_timed("time_construction_create")
def Create(model, n=1, params=None, positions=None):
    if positions is not None:
        _refuse("spatial networks (positions) are not supported yet")
    if isinstance(n, dict):   # Create(model, params): PyNEST's older form, still accepted
        if params is not None:
            raise TypeError("A parameter dictionary can be passed as second argument only if Create() is called with two arguments.")
        n, params = 1, n
    if int(n) != n:
        raise TypeError("n must have an integer value")
    n = int(n)
    if n < 1:
        _refuse(f"Create('{model}', {n}): n must be at least 1")
    k = _kernel
    k.changed()
    model, defaults = _model(model)
    if model not in RECORDERS and _info(model)["kind"] == "synapse":   # _info refuses unknown models, naming the known ones
        _refuse(f"Create('{model}'): {model} is a synapse model; Connect uses it (syn_spec)")
    # Recorders one population each: each records the nodes it is connected to.
    sizes = [1] * n if model in RECORDERS else [n]
    parts = []
    for size in sizes:
        p = _Population(k, model, size, k.next_gid())
        k.populations.append(p)
        parts.append((p, 0, size))
    nodes = NodeCollection._of(k, parts)
    if isinstance(params, (list, tuple)):
        nodes.set(defaults)
        nodes.set(list(params))
    elif defaults or params:
        nodes.set(dict(defaults, **(params or {})))
    return nodes


def CopyModel(existing, new, params=None):
    """A model under a new name with other defaults (NEST's CopyModel), for neurons, devices and synapses."""
    k = _kernel
    if new in k.copies or new in _defaults:
        _refuse(f"CopyModel: a model named '{new}' exists already")
    base, defaults = _model(existing)
    k.copies[new] = (base, dict(defaults, **(params or {})))


# NEST's homogeneous synapse models: the same dynamics and defaults as their base model, with the
# parameters one per model (NEST's common properties); Plexus keeps them one per Connect anyway.
HOMOGENEOUS = {"stdp_synapse_hom": "stdp_synapse", "static_synapse_hom_w": "static_synapse"}


def _model(name):
    """A model name through CopyModel's copies: (Plexus model, defaults the copy sets). NEST's
    `_hpc` and `_lbl` synapse variants (other storage, a label) are their base models here, and
    so are the homogeneous models of `HOMOGENEOUS`."""
    if name not in _kernel.copies:
        for suffix in ("_hpc", "_lbl"):
            base = name[:-len(suffix)]
            if name.endswith(suffix) and base.endswith(("synapse", "synapse_hom", "synapse_hom_w")):
                return _model(base)
        if name in HOMOGENEOUS:
            return (HOMOGENEOUS[name], {})
    return _kernel.copies.get(name, (name, {}))


def _synapse(syn_spec):
    if syn_spec is None:
        syn_spec = {}
    if isinstance(syn_spec, str):
        syn_spec = {"synapse_model": syn_spec}
    model, defaults = _model(syn_spec.get("synapse_model", "static_synapse"))
    syn_spec = dict(defaults, **{k: v for k, v in syn_spec.items() if k != "synapse_model"})
    out = {} if model == "static_synapse" and "synapse_model" not in syn_spec else {"model": model}
    for key, value in syn_spec.items():
        if key == "synapse_model":
            continue
        elif isinstance(value, (list, tuple)) or (isinstance(value, np.ndarray) and value.ndim > 0):
            _refuse(f"syn_spec.{key}: a value per connection is not supported yet")
        elif key == "receptor_type":
            if isinstance(value, random.Parameter):
                _refuse("syn_spec.receptor_type: a receptor drawn per connection (nest.random) is not supported yet; "
                        "connect each receptor_type with its own Connect call")
            out[key] = int(value)
        elif key == "synapse_label":   # GetConnections' filter; Plexus does not see it
            out[key] = int(value)
        else:
            out[key] = _scalar(value, f"syn_spec.{key}")
    return out


def _for_plexus(synapse):
    """A synapse dict as the experiment file takes it (without NEST's synapse_label)."""
    return {k: v for k, v in synapse.items() if k != "synapse_label"}


def _rule_name(conn_spec):
    return _rule(conn_spec)["rule"]


def _rule(conn_spec):
    if conn_spec is None:
        return {"rule": "all_to_all"}
    if isinstance(conn_spec, str):
        return {"rule": conn_spec}
    spec = dict(conn_spec)
    out = {"rule": spec.pop("rule", "all_to_all")}
    for key, value in spec.items():
        out[key] = int(value) if key in ("indegree", "outdegree", "N") else value
    return out


@_timed("time_construction_connect")
def Connect(pre, post, conn_spec=None, syn_spec=None, return_synapsecollection=False):
    if return_synapsecollection:
        _refuse("Connect(..., return_synapsecollection=True): synapse collections are not supported yet")
    k = _kernel
    k.changed()
    if isinstance(pre, np.ndarray) or isinstance(post, np.ndarray):
        return _connect_arrays(k, pre, post, _rule(conn_spec), syn_spec)
    if isinstance(pre, (list, tuple)):
        pre = k.collection([int(g) for g in pre])
    if isinstance(post, (list, tuple)):
        post = k.collection([int(g) for g in post])
    recorders = [p for p, _, _ in pre._parts + post._parts if p.kind == "recorder"]
    if recorders:
        if all(p.kind == "recorder" for p, _, _ in pre._parts):
            chosen, watched = [p for p, _, _ in pre._parts], post
            if any(r.model == "spike_recorder" for r in chosen):
                _refuse("a spike_recorder records its sources: Connect(neurons, spike_recorder)")
        elif all(p.kind == "recorder" for p, _, _ in post._parts):
            chosen, watched = [p for p, _, _ in post._parts], pre
            for r in chosen:
                if r.model != "spike_recorder":
                    _refuse(f"a {r.model} records its targets: Connect({r.model}, neurons)")
        else:
            _refuse("connect recorders alone to the nodes they record")
        if _rule_name(conn_spec) == "one_to_one":
            if len(chosen) != len(watched):
                _refuse(f"one_to_one: {len(chosen)} recorders and {len(watched)} nodes")
            pairs = [(r, node._parts) for r, node in zip(chosen, watched)]
        else:
            pairs = [(r, watched._parts) for r in chosen]
        for r, parts in pairs:
            for p, lo, hi in parts:
                if p.kind == "generator" and r.model == "spike_recorder":
                    r.generators += [(p, k) for k in range(lo, hi)]
                    continue
                if p.kind == "generator" and p.model in RECORDED_GENERATORS:
                    if p.model == "noise_generator" and k.threads > 1:   # NEST's rule and words
                        raise PlexusError("plexus.nest: Recording from a noise_generator is only possible in single-threaded mode.")
                    r.devices.append((p, lo, hi))   # their current or rate (`_Kernel.device_samples`)
                    continue
                if p.kind != "neuron":
                    _refuse(f"a {r.model} records neurons and the current of {', '.join(sorted(CURRENT_GENERATORS))}; "
                            f"{p.model} {p.first + lo} is a device it cannot record")
                # No cut: the recorder records the whole groups and keeps its own nodes' events, so
                # recording a few neurons does not split a population that rules connect as one.
                r.recorded.append((p, lo, hi))
        # NEST's min_delay counts recorders' connections too (the default delay, 1 ms, or the given).
        k.recorder_delays.append(float(_synapse(syn_spec).get("delay", _synapse_defaults("static_synapse")["delay"])))
        k.count_connections(syn_spec, len(watched))
        return
    rule = _rule(conn_spec)
    arrays = {key: np.asarray(v, float) for key, v in (syn_spec.items() if isinstance(syn_spec, dict) else ())
              if key != "synapse_model" and isinstance(v, (list, tuple, np.ndarray)) and np.ndim(v) > 0}
    if arrays:
        _connect_pairs(k, pre, post, rule, syn_spec, arrays)
    elif rule["rule"] in ("all_to_all", "one_to_one") \
            and (not (_whole(pre) and _whole(post)) or "synapse_label" in (syn_spec if isinstance(syn_spec, dict) else {})) \
            and (len(pre) if rule["rule"] == "one_to_one" else len(pre) * len(post)) <= 1_000_000:
        # Some nodes of a group (a stimulus onto one neuron, scripts that connect node by node): a
        # pair list, so that the groups stay whole for the other rules.
        if rule["rule"] == "one_to_one" and len(pre) != len(post):
            _refuse(f"one_to_one: {len(pre)} sources and {len(post)} targets")
        src, tgt = _nodes(pre), _nodes(post)
        if rule["rule"] == "all_to_all":   # target by target, each with every source
            src, tgt = np.tile(src, len(tgt)), np.repeat(tgt, len(src))
        k.connections.append(_PairList(src, tgt, rule, _synapse(syn_spec)))
    else:
        for p, lo, hi in pre._parts + post._parts:
            p.cut(lo, hi)
        k.connections.append((list(pre._parts), list(post._parts), rule, _synapse(syn_spec)))
    n = {"all_to_all": len(pre) * len(post), "one_to_one": len(pre), "fixed_indegree": rule.get("indegree", 0) * len(post),
         "fixed_outdegree": rule.get("outdegree", 0) * len(pre), "fixed_total_number": rule.get("N", 0)}.get(rule["rule"])
    k.count_connections(syn_spec, n)


def _whole(collection):
    """Whether a collection is made of whole Create groups."""
    return all(lo == 0 and hi == p.n for p, lo, hi in collection._parts)


def _nodes(collection):
    """The collection's NEST gids (numpy)."""
    return np.concatenate([np.arange(p.first + lo, p.first + hi, dtype=np.int64) for p, lo, hi in collection._parts])


class _PairList:
    """Connections node to node (NEST's one_to_one over two lists, syn_spec arrays): Plexus
    `pairs` statements, without cutting the groups the nodes belong to. `sources` and `targets`
    are NEST gids (numpy); `values` holds a weight or delay per pair (`weights`, `delays`) where
    syn_spec gave arrays."""

    def __init__(self, sources, targets, rule, synapse, values=None):
        self.sources, self.targets = np.asarray(sources, dtype=np.int64), np.asarray(targets, dtype=np.int64)
        self.synapse = synapse
        self.extra = {k: v for k, v in rule.items() if k != "rule"}
        self.values = {k: np.asarray(v, dtype=float) for k, v in (values or {}).items()}

    def joins(self, other):
        return self.extra == other.extra and self.synapse == other.synapse and self.values.keys() == other.values.keys()

    def joined(self, other):
        out = _PairList(np.concatenate([self.sources, other.sources]), np.concatenate([self.targets, other.targets]), {},
                        self.synapse, {k: np.concatenate([v, other.values[k]]) for k, v in self.values.items()})
        out.extra = self.extra
        return out


def _connect_arrays(k, pre, post, rule, syn_spec):
    """PyNEST's Connect of two arrays of node ids (its connect_arrays): one_to_one pairs in the
    arrays' order, repeats allowed, with syn_spec values one per pair or one for all."""
    if rule["rule"] != "one_to_one":
        _refuse(f"Connect with arrays of node ids takes the rule one_to_one (as NEST), not {rule['rule']}")
    sources, targets = np.asarray(pre, dtype=np.int64).reshape(-1), np.asarray(post, dtype=np.int64).reshape(-1)
    if len(sources) != len(targets):
        _refuse(f"one_to_one: {len(sources)} sources and {len(targets)} targets")
    gids = np.unique(np.concatenate([sources, targets]))
    firsts = np.array([p.first for p in k.populations], dtype=np.int64)
    at = np.searchsorted(firsts, gids, side="right") - 1
    for q in np.unique(at):
        if q < 0:
            _refuse(f"no node with id {int(gids[0])}")
        p = k.populations[q]
        inside = gids[at == q]
        if inside.max() >= p.first + p.n:
            _refuse(f"no node with id {int(inside.max())}")
        if p.kind == "recorder":
            _refuse("Connect with arrays of node ids connects neurons and generators, not recorders")
    syn_spec = {"synapse_model": syn_spec} if isinstance(syn_spec, str) else dict(syn_spec or {})
    arrays = {key: np.asarray(v, float).reshape(-1) for key, v in syn_spec.items()
              if key != "synapse_model" and isinstance(v, (list, tuple, np.ndarray)) and np.ndim(v) > 0}
    for key, a in arrays.items():
        if a.size != len(sources):
            _refuse(f"syn_spec.{key}: {a.size} values for {len(sources)} connections")
        if not np.all(np.isfinite(a)):
            _refuse(f"syn_spec.{key}: the array holds NaN or infinite values")
    base = {key: v for key, v in syn_spec.items() if key not in arrays}
    values = {{"weight": "weights", "delay": "delays"}.get(key, key): a.tolist() for key, a in arrays.items()}
    k.connections.append(_PairList(sources, targets, {"rule": "pairs"}, _synapse(base), values))
    k.count_connections(syn_spec, len(sources))


def _connect_pairs(k, pre, post, rule, syn_spec, arrays):
    """Weights or delays given per connection (all_to_all: shape (targets, sources), one_to_one:
    one per pair): a pair list with them, the groups left whole."""
    if rule["rule"] not in ("all_to_all", "one_to_one"):
        _refuse(f"syn_spec arrays with rule {rule['rule']} are not supported yet (only all_to_all and one_to_one)")
    if rule["rule"] == "one_to_one":
        if len(pre) != len(post):
            _refuse(f"one_to_one: {len(pre)} sources and {len(post)} targets")
        count, shape = len(pre), (len(pre),)
    else:
        count, shape = len(pre) * len(post), (len(post), len(pre))
    for key, a in arrays.items():
        if a.shape != shape and a.size != count:
            _refuse(f"syn_spec.{key}: shape {a.shape}, the rule {rule['rule']} needs {shape}")
    base = {key: v for key, v in syn_spec.items() if key not in arrays}
    src, tgt = _nodes(pre), _nodes(post)
    if rule["rule"] == "one_to_one":
        pair_sources, pair_targets = src, tgt
    else:   # (target, source) order, as the arrays' shape (targets, sources)
        pair_sources, pair_targets = np.tile(src, len(tgt)), np.repeat(tgt, len(src))
    extra = {key: v for key, v in rule.items() if key not in ("rule", "allow_multapses")}
    for key, a in arrays.items():
        if not np.all(np.isfinite(a)):
            _refuse(f"syn_spec.{key}: the array holds NaN or infinite values")
    values = {{"weight": "weights", "delay": "delays"}.get(key, key): a.reshape(-1).tolist() for key, a in arrays.items()}
    k.connections.append(_PairList(pair_sources, pair_targets, dict(extra, rule="pairs"), _synapse(base), values))


@_timed("time_simulate")
def Simulate(t):
    _kernel.open_files()
    _kernel.simulate(t)


_prepared = [False]


def Prepare():
    _prepared[0] = True
    _kernel.open_files()


@_timed("time_simulate")
def Run(t):
    if not _prepared[0]:
        _refuse("Run before Prepare")
    _kernel.simulate(t)


def Cleanup():
    _prepared[0] = False


class SynapseCollection:
    """GetConnections' answer. Connections made node by node (pair lists: Connect between single
    nodes or parts of groups, syn_spec arrays, any connection with a synapse_label) are known
    here before anything runs, so they can be read and, before the first Simulate, changed
    (`set`, SetStatus: a weight or delay per connection, other parameters one value per
    Connect). Connections drawn by Plexus (rules over whole groups) come from a build of the
    network and can be read only."""

    def __init__(self, table=None, refs=None):
        object.__setattr__(self, "_table", table)   # read-only: column -> array
        object.__setattr__(self, "_refs", refs)     # live: [(pair list, indices)]

    def __len__(self):
        if self._refs is not None:
            return sum(len(idx) for _, idx in self._refs)
        return len(self._table["source"])

    def _pieces(self):
        """(pair list, indices) per connection, in order (live collections)."""
        for pl, idx in self._refs:
            for i in idx:
                yield pl, i

    def __iter__(self):
        if self._refs is not None:
            for pl, i in self._pieces():
                yield SynapseCollection(refs=[(pl, np.array([i]))])
            return
        for k in range(len(self)):
            yield SynapseCollection({f: v[k:k + 1] for f, v in self._table.items()})

    def __getitem__(self, index):
        if self._refs is not None:
            pieces = list(self._pieces())
            chosen = [pieces[index]] if isinstance(index, (int, np.integer)) else pieces[index]
            return SynapseCollection(refs=[(pl, np.array([i])) for pl, i in chosen])
        index = slice(index, index + 1) if isinstance(index, (int, np.integer)) else index
        return SynapseCollection({f: v[index] for f, v in self._table.items()})

    def __bool__(self):
        return len(self) > 0

    def sources(self):
        return iter(self.get("source", output="list"))

    def targets(self):
        return iter(self.get("target", output="list"))

    def _keys(self):
        if self._refs is None:
            return list(self._table)
        models = {pl.synapse.get("model", "static_synapse") for pl, _ in self._refs}
        keys = ["source", "target", "synapse_model", "weight", "delay", "receptor", "synapse_label"]
        for m in sorted(models):
            keys += [k for k in _synapse_defaults(m) if k not in keys]
        return keys

    def _column(self, key):
        if self._refs is None:
            if key not in self._table:
                _refuse(f"connections have no '{key}' here (they have: {', '.join(self._table)})")
            return list(self._table[key])
        out = []
        for pl, idx in self._refs:
            model = pl.synapse.get("model", "static_synapse")
            defaults = _synapse_defaults(model)
            if key == "source":
                out += pl.sources[idx].tolist()
            elif key == "target":
                out += pl.targets[idx].tolist()
            elif key == "synapse_model":
                out += [model] * len(idx)
            elif key == "receptor":
                out += [int(pl.synapse.get("receptor_type", 0))] * len(idx)
            elif key == "synapse_label":
                out += [int(pl.synapse.get("synapse_label", -1))] * len(idx)
            else:
                column = {"weight": "weights", "delay": "delays"}.get(key, key)
                if column in pl.values:
                    out += pl.values[column][idx].tolist()
                elif key in pl.synapse:
                    out += [float(pl.synapse[key])] * len(idx)
                elif key in defaults:
                    out += [defaults[key]] * len(idx)
                else:
                    _refuse(f"{model} connections have no '{key}' (they have: {', '.join(self._keys())})")
        if key == "weight" and _kernel.sim is not None and self._refs is not None:
            out = self._weights_now(out)
        return out

    def _weights_now(self, as_set):
        """Weights after a run: plastic synapses' as Plexus has them now, matched by (source,
        target) in creation order."""
        plastic = [pl.synapse.get("model", "static_synapse") != "static_synapse" for pl, _ in self._refs]
        if not any(plastic):
            return as_set
        table = _kernel.connections_table()
        rows = {}
        for q in range(len(table["source"])):
            rows.setdefault((int(table["source"][q]), int(table["target"][q])), []).append(float(table["weight"][q]))
        used, out = {}, []
        for (pl, i), w in zip(self._pieces(), as_set):
            key = (int(pl.sources[i]), int(pl.targets[i]))
            k = used.get(key, 0)
            used[key] = k + 1
            out.append(rows[key][k] if key in rows and k < len(rows[key]) else w)
        return out

    def get(self, keys=None, output=""):
        if output == "pandas":   # PyNEST's: one column per key, indexed by source
            import pandas
            columns = {k: self.get(k, output="list") for k in ([keys] if isinstance(keys, str) else keys or self._keys())}
            return pandas.DataFrame(columns, index=self.get("source", output="list"))
        if keys is None:
            keys = self._keys()
        if isinstance(keys, str):
            values = [v.item() if hasattr(v, "item") else v for v in self._column(keys)]
            return values if output == "list" or len(values) != 1 else values[0]
        return {k: self.get(k) for k in keys}

    def __getattr__(self, key):
        if key.startswith("_"):
            raise AttributeError(key)
        return self.get(key)

    def set(self, params=None, **kwargs):
        if self._refs is None:
            _refuse("these connections were drawn by Plexus (a rule over whole groups): they cannot be changed here; "
                    "give the values in syn_spec")
        if isinstance(params, (list, tuple)):   # one dict per connection
            for single, p in zip(self, params):
                single.set(p)
            return
        params = dict(params or {}, **kwargs)
        _kernel.changed()
        n = len(self)
        for key, value in params.items():
            if key in ("source", "target", "synapse_model", "receptor", "synapse_label"):
                _refuse(f"a connection's {key} cannot be changed")
            values = np.broadcast_to(np.asarray(value, dtype=float).reshape(-1) if np.ndim(value) else np.asarray(float(value)), (n,))
            if not np.all(np.isfinite(values)):
                _refuse(f"connections' {key}: NaN or infinite values")
            column = {"weight": "weights", "delay": "delays"}.get(key, key)
            at = 0
            for pl, idx in self._refs:
                model = pl.synapse.get("model", "static_synapse")
                if column not in pl.values:
                    if key not in ("weight", "delay") and key not in _synapse_defaults(model):
                        _refuse(f"{model} has no parameter '{key}' (it has: {', '.join(_synapse_defaults(model))})")
                    start = pl.synapse.get(key, _synapse_defaults(model).get(key, 1.0))
                    pl.values[column] = np.full(len(pl.sources), float(start))
                pl.values[column][idx] = values[at:at + len(idx)]
                at += len(idx)

    def __setattr__(self, key, value):
        self.set({key: value})


def _synapse_defaults(model):
    """NEST's defaults of a synapse model, as GetDefaults gives them (numbers only)."""
    return {k: v for k, v in _model_defaults(model, count=False).items() if isinstance(v, (int, float)) and not isinstance(v, bool)}


def GetConnections(source=None, target=None, synapse_model=None, synapse_label=None):
    """The synapses of the network, filtered as NEST's GetConnections. Node-by-node connections
    (pair lists) are answered from what the script gave (settable before the first Simulate);
    when connections drawn by Plexus match too, from a build of the network (read-only; after a
    Simulate, the synapses as they stand)."""
    k = _kernel
    wanted_model = _model(synapse_model)[0] if synapse_model is not None else None
    sources = None if source is None else np.asarray(source.tolist(), dtype=np.int64)
    targets = None if target is None else np.asarray(target.tolist(), dtype=np.int64)

    def matches(synapse):
        return (wanted_model is None or synapse.get("model", "static_synapse") == wanted_model) \
            and (synapse_label is None or synapse.get("synapse_label", -1) == synapse_label)

    drawn = [c for c in k.connections if not isinstance(c, _PairList) and matches(c[3])]
    if not drawn:
        refs = []
        for pl in k.connections:
            if isinstance(pl, _PairList) and matches(pl.synapse):
                keep = np.ones(len(pl.sources), dtype=bool)
                if sources is not None:
                    keep &= np.isin(pl.sources, sources)
                if targets is not None:
                    keep &= np.isin(pl.targets, targets)
                if keep.any():
                    refs.append((pl, np.flatnonzero(keep)))
        # NEST orders connections by source, then creation.
        return SynapseCollection(refs=_by_source(refs))
    if synapse_label is not None:
        _refuse("GetConnections(synapse_label=...) of connections that a rule drew over whole groups is not supported yet")
    table = k.connections_table()
    keep = np.ones(len(table["source"]), dtype=bool)
    if sources is not None:
        keep &= np.isin(table["source"], sources)
    if targets is not None:
        keep &= np.isin(table["target"], targets)
    if wanted_model is not None:
        keep &= table["synapse_model"] == wanted_model
    return SynapseCollection({f: v[keep] for f, v in table.items()})


def _by_source(refs):
    """Live references re-ordered by source gid (stable: creation order within a source)."""
    pieces = [(int(pl.sources[i]), n, pl, i) for n, (pl, idx) in enumerate(refs) for i in idx]
    pieces.sort(key=lambda p: p[0])
    return [(pl, np.array([i])) for _, _, pl, i in pieces]


class RunManager:
    """`with nest.RunManager(): nest.Run(t) ...` (Prepare on entry, Cleanup on exit)."""

    def __enter__(self):
        Prepare()
        return self

    def __exit__(self, *exc):
        Cleanup()
        return False


def Rank():
    return 0


def NumProcesses():
    return 1


def GetLocalNodeCollection(nodes):
    return nodes


def SetStatus(nodes, params, val=None):
    if isinstance(params, str):
        params = {params: val}
    if isinstance(params, (list, tuple)) and len(params) == 1:
        params = params[0]
    if isinstance(params, (list, tuple)):   # one dict per node
        if len(params) != len(nodes):
            _refuse(f"SetStatus: {len(params)} dictionaries for {len(nodes)} nodes")
        for node, p in zip(nodes, params):
            node.set(p)
        return
    nodes.set(params)


def GetStatus(nodes, keys=None, output=""):
    if isinstance(nodes, SynapseCollection):   # NEST: a dict per connection, or a tuple of values per key
        if keys is None:
            return tuple(c.get() for c in nodes)
        if isinstance(keys, str):
            return tuple(nodes.get(keys, output="list"))
        columns = [nodes.get(key, output="list") for key in keys]
        return tuple(zip(*columns))
    singles = list(nodes)
    if keys is None:
        return tuple(n.get() for n in singles)
    if isinstance(keys, str):
        return tuple(n.get(keys) for n in singles)
    return tuple(tuple(n.get(k) for k in keys) for n in singles)


_KERNEL_KEYS = {"resolution": "resolution", "local_num_threads": "threads", "total_num_virtual_procs": "threads",
                "rng_seed": "seed", "data_path": "data_path", "data_prefix": "data_prefix", "min_delay": "min_delay",
                "max_delay": "max_delay", "structural_plasticity_update_interval": "sp_interval",
                "structural_plasticity_synapses": "sp_synapses"}
# Output options (recorders keep their events in memory here) and the tic length (Plexus's clock
# counts steps of the resolution): accepted and ignored.
_IGNORED_KERNEL_KEYS = {"print_time", "overwrite_files", "keep_source_table", "tics_per_ms"}


def SetKernelStatus(params):
    params = dict(params)
    if "min_delay" in params and "max_delay" in params:   # together: either order is valid
        _set_delay_extrema(params.pop("min_delay"), params.pop("max_delay"))
    for key, value in params.items():
        _set_kernel(key, value)


def _set_delay_extrema(lo, hi):
    _kernel.changed()
    lo, hi = float(lo), float(hi)
    if not (_kernel.resolution <= lo <= hi):
        _refuse(f"min_delay {lo} ms and max_delay {hi} ms: need resolution <= min_delay <= max_delay")
    _kernel.delay_extrema = (lo, hi)


def _set_kernel(key, value):
    if key in _IGNORED_KERNEL_KEYS:
        return
    if key in ("structural_plasticity_update_interval", "structural_plasticity_synapses"):
        _kernel.changed()
        if key == "structural_plasticity_synapses":
            if not isinstance(value, dict) or not all(isinstance(v, dict) for v in value.values()):
                _refuse("structural_plasticity_synapses: give {name: {synapse_model: ..., pre_synaptic_element: ..., post_synaptic_element: ...}}")
            _kernel.sp_synapses = {name: dict(spec) for name, spec in value.items()}
        else:
            _kernel.sp_interval = float(value)
        return
    if key not in _KERNEL_KEYS:
        _refuse(f"kernel setting '{key}' is not supported (supported: {', '.join(sorted(_KERNEL_KEYS))})")
    if _kernel.populations and key == "resolution":
        _refuse("the resolution must be set before nodes are created (as in NEST)")
    if key in ("data_path", "data_prefix"):   # only where recorders write files: may change any time
        setattr(_kernel, key, str(value))
        return
    if key in ("min_delay", "max_delay"):
        lo, hi = _kernel.delay_extrema or (_kernel.min_delay(), _kernel.max_delay())
        _set_delay_extrema(value, hi) if key == "min_delay" else _set_delay_extrema(lo, value)
        return
    _kernel.changed()
    if key == "rng_seed" and _kernel.build_seed is None and _kernel.build_has_drawn():
        # NEST starts its streams afresh: the network was drawn with the seed before.
        _kernel.build_seed = _kernel.seed
    setattr(_kernel, _KERNEL_KEYS[key], float(value) if key == "resolution" else int(value))


def set(params=None, **kwargs):
    """Kernel settings (`nest.set(resolution=0.1)`)."""
    SetKernelStatus(dict(params or {}, **kwargs))


def get(*keys):
    return GetKernelStatus(keys[0] if len(keys) == 1 else (list(keys) or None))


def EnableStructuralPlasticity():
    """Structural plasticity runs from the first Simulate on (NEST's; settings: the kernel's
    structural_plasticity_synapses and _update_interval, the neurons' synaptic_elements)."""
    _kernel.changed()
    if not _kernel.sp_synapses:
        _refuse("EnableStructuralPlasticity: set nest.structural_plasticity_synapses first (as NEST requires)")
    _kernel.sp_enabled = True


def DisableStructuralPlasticity():
    _kernel.changed()
    _kernel.sp_enabled = False


def SetDefaults(model, params, val=None):
    """New defaults for a model's later Create and Connect calls (NEST's SetDefaults)."""
    if isinstance(params, str):
        params = {params: val}
    base, defaults = _model(model)
    _kernel.copies[model] = (base, dict(defaults, **params))


def _memory_size():
    """NEST's memory_size: the process's virtual memory in kB (Linux; 0 where unknown)."""
    try:
        with builtins.open("/proc/self/status") as f:
            return next((int(line.split()[1]) for line in f if line.startswith("VmSize:")), 0)
    except OSError:
        return 0


def message(text, severity=VerbosityLevel.INFO, *, function=None, filename=None, lineno=None):
    """PyNEST's message: printed when its severity reaches the verbosity."""
    if severity >= sys.modules[__name__].verbosity:
        print(f"[{function or 'plexus.nest'}] {text}")


def GetKernelStatus(keys=None):
    status = {"resolution": _kernel.resolution, "local_num_threads": _kernel.threads, "total_num_virtual_procs": _kernel.threads,
              "rng_seed": _kernel.seed, "biological_time": _kernel.time,
              "data_path": _kernel.data_path, "data_prefix": _kernel.data_prefix, "memory_size": _memory_size(), "num_processes": 1,
              "network_size": sum(p.n for p in _kernel.populations), "min_delay": _kernel.min_delay(),
              "max_delay": _kernel.max_delay(), "off_grid_spiking": False,
              "structural_plasticity_update_interval": _kernel.sp_interval,
              "structural_plasticity_synapses": {k: dict(v) for k, v in _kernel.sp_synapses.items()},
              **_kernel.timers}
    return _pick(status, keys, lambda key: f"kernel status '{key}' is not supported (readable: {', '.join(status)})")


class NotSupported(PlexusError, AttributeError):
    """A part of PyNEST that plexus.nest does not provide (an AttributeError too, so hasattr works)."""


# PyNEST's errors: Plexus's refusals and failures are PlexusErrors, which code written for NEST
# catches as nest.NESTError.
NESTError = PlexusError


class NESTErrors:
    """PyNEST's named error classes that code catches."""
    class DynamicModuleManagementError(PlexusError):
        pass


# NESTML files installed (Install), kept across ResetKernel as NEST keeps its modules; every
# experiment lists them (`models:`) so that its record names them.
_model_files = []


def Install(module_name):
    """NEST's extension modules are compiled C++; Plexus cannot load them. A NESTML file, or a
    folder of them, Plexus builds itself: `nest.Install("models/my_neuron.nestml")` makes its
    models known by name (a synapse whose name a built-in has gets the suffix `_nestml`, as
    NESTML's NEST target names it with suffix="_nestml")."""
    path = os.fspath(module_name)
    if path.endswith(".nestml") or os.path.isdir(path):
        h = plexus._Handle(plexus.lib.plexus_install(os.path.abspath(path).encode())).check()
        names = json.loads(plexus.lib.plexus_text(h.pointer).decode())
        for f in names["files"]:
            if f not in _model_files:
                _model_files.append(f)
        _defaults.clear()   # the catalogue and defaults are read again, with the new models
        return names["neurons"] + names["synapses"]
    raise NESTErrors.DynamicModuleManagementError(f"plexus.nest: NEST extension module '{module_name}' cannot be installed (NEST's modules are compiled for NEST; Install a .nestml file or a folder of them instead)")


# PyNEST's build_info, for what scripts check: the optional NEST libraries Plexus does not link
# (MUSIC, libneurosim/CSA, SIONlib, MPI from Python), and that the GSL models are there (Plexus
# has its own solvers).
build_info = {"version": "3.10.0", "have_gsl": True, "have_threads": True, "threads_model": "plexus", "have_mpi": False,
              "have_music": False, "have_libneurosim": False, "have_sionlib": False, "have_hdf5": False, "have_boost": False}


class _NestModule(types.ModuleType):
    """Kernel attributes as module attributes (`nest.resolution = 0.1`), as PyNEST 3."""

    def __getattr__(self, key):
        status = GetKernelStatus()
        if key in status:
            return status[key]
        if key == "kernel_status":
            return status
        if key == "node_models":
            return _node_models()
        if key == "synapse_models":
            return _synapse_models()
        if key.startswith("__"):
            raise AttributeError(key)
        raise NotSupported(f"plexus.nest: nest.{key} is not supported yet (docs/python.md lists what is)")

    def __setattr__(self, key, value):
        if key in _KERNEL_KEYS or key in _IGNORED_KERNEL_KEYS:
            _set_kernel(key, value)
        else:
            super().__setattr__(key, value)


verbosity = VerbosityLevel.WARNING
sys.modules[__name__].__class__ = _NestModule
