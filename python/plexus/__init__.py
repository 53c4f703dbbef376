"""Plexus from Python: run experiment files (or experiments built in code) on Plexus's three
engines and get the results as numpy arrays.

    import plexus
    run = plexus.run("examples/single_neuron.yaml")
    times, senders = run.spikes("neuron")

    exp = plexus.load("examples/tvb76.yaml")   # the file's document, editable
    exp["coupling.params.a"] = 0.02
    run = exp.run(threads=2)
    times, data = run.monitor("tavg")           # data[sample, variable, region]

An experiment is the experiment file's document (the same keys, values and units as the YAML;
docs/python.md): `plexus.load` reads a file into one, `plexus.Experiment({...})` builds one in
code, and both run identically. Errors are `plexus.PlexusError`, with the file, line and key path
of the bad value.
"""
import ctypes
import json
import math
import os
import sys
import time
from pathlib import Path

import numpy as np

from ._library import PROGRESS, lib
from ._version import __version__

__all__ = ["PlexusError", "Experiment", "Run", "load", "run", "version"]

#: The native library's version (the package's `__version__` must be the same).
version = lib.plexus_version().decode()


class PlexusError(Exception):
    """A Plexus error: `message`, and where the bad value is (`file`, `line`, `key_path`) when known."""

    def __init__(self, message, file=None, line=None, key_path=None):
        self.message, self.file, self.line, self.key_path = message, file, line, key_path
        where = file or ""
        if line is not None:
            where += f":{line}" if where else f"line {line}"
        if key_path:
            where += f" ({key_path})" if where else key_path
        super().__init__(f"{where}: {message}" if where else message)


class _Handle:
    """Owns a native handle; freed when the last array or object using it is gone."""

    def __init__(self, pointer):
        self.pointer = pointer

    def __del__(self):
        if self.pointer and lib is not None:
            lib.plexus_free(self.pointer)
            self.pointer = None

    def check(self):
        e = lib.plexus_error(self.pointer)
        if e is not None:
            d = json.loads(e.decode())
            raise PlexusError(d.get("message", "unknown error"), d.get("file"), d.get("line"), d.get("key_path"))
        return self


class _NativeArray:
    """numpy's view of an array a handle owns (no copy): the array's base keeps the handle alive."""

    def __init__(self, handle, address, shape, typestr):
        self.handle = handle
        self.__array_interface__ = {"data": (address, True), "shape": tuple(shape), "typestr": typestr, "version": 3}


def _arrays(handle):
    out = {}
    for i in range(lib.plexus_array_count(handle.pointer)):
        name = lib.plexus_array_name(handle.pointer, i).decode()
        kind = lib.plexus_array_kind(handle.pointer, i)
        dims = (ctypes.c_int64 * 8)()
        n = lib.plexus_array_shape(handle.pointer, i, dims, 8)
        shape = [dims[k] for k in range(n)]
        address = lib.plexus_array_data(handle.pointer, i)
        out[name] = np.asarray(_NativeArray(handle, address, shape, "<f8" if kind == 0 else "<i8"))
    return out


class Run:
    """A finished run: its folder (`directory`, with the same files as `plexus run` writes), its
    record (`record`, provenance.json) and its results as numpy arrays (`arrays`, by name)."""

    def __init__(self, directory, arrays):
        self.directory = directory
        self.arrays = arrays
        self._record = None

    @property
    def record(self):
        """provenance.json of the run, as a dict."""
        if self.directory is None:
            raise PlexusError("results so far have no run folder yet: Simulation.finish() writes it")
        if self._record is None:
            self._record = json.loads((Path(self.directory) / "provenance.json").read_text())
        return self._record

    def __getitem__(self, name):
        return self.arrays[name]

    def __repr__(self):
        return f"<plexus.Run {self.directory}: {', '.join(self.arrays)}>"

    def _pick(self, prefix, population, what):
        names = sorted({k.split("/")[1] for k in self.arrays if k.startswith(prefix + "/") and k.count("/") >= 2})
        if population is None:
            if len(names) != 1:
                raise PlexusError(f"the run has {len(names)} {what} ({', '.join(names) or 'none'}): name one")
            population = names[0]
        if population not in names:
            raise PlexusError(f"no {what} '{population}' in the run (it has: {', '.join(names) or 'none'})")
        return population

    def spikes(self, population=None):
        """(times in ms, senders) of a recorded population (point engine: NEST's gids; cable
        engine: cell gids, all cells)."""
        if "spikes/times" in self.arrays:
            return self.arrays["spikes/times"], self.arrays["spikes/senders"]
        p = self._pick("spikes", population, "spike recordings")
        return self.arrays[f"spikes/{p}/times"], self.arrays[f"spikes/{p}/senders"]

    def multimeter(self, population=None):
        """NEST's `events` of a population's multimeter: times, senders and one array per variable."""
        p = self._pick("multimeter", population, "multimeters")
        prefix = f"multimeter/{p}/"
        return {k[len(prefix):]: v for k, v in self.arrays.items() if k.startswith(prefix)}

    def monitor(self, name=None):
        """(times in ms, data[sample, variable, column]) of a neural-mass monitor (`tavg`, `bold`...)."""
        m = self._pick("monitors", name, "monitors")
        return self.arrays[f"monitors/{m}/times"], self.arrays[f"monitors/{m}/data"]

    def probe(self, name):
        """(times in ms, values) of a cable probe, `gid:name` as in probes.csv's header."""
        return self.arrays[f"probes/{name}/times"], self.arrays[f"probes/{name}/values"]

    def connections(self, synapse_model=None):
        """A point network's synapses (`run(..., connections=True)`): sources, targets (gids),
        weights (the target's unit), delays (ms) and synapse_model, one entry per synapse."""
        models = sorted({k.split("/")[1] for k in self.arrays if k.startswith("connections/")},
                        key=lambda m: (m != "static_synapse", m))
        if synapse_model is not None:
            models = [m for m in models if m == synapse_model]
        parts = {f: [self.arrays[f"connections/{m}/{f}"] for m in models] for f in ("sources", "targets", "weights", "delays")}
        out = {f: np.concatenate(v) if v else np.zeros(0, dtype=np.int64 if f in ("sources", "targets") else float)
               for f, v in parts.items()}
        out["synapse_model"] = np.array([m for m in models for _ in range(len(self.arrays[f"connections/{m}/sources"]))], dtype=object)
        return out

    @property
    def fc(self):
        """The run's functional connectivity (regions x regions), when it computed one."""
        return self.arrays.get("fc")


def _yaml_scalar(v):
    if isinstance(v, bool) or v is None:
        return json.dumps(v)
    if isinstance(v, (int, np.integer)):
        return str(int(v))
    if isinstance(v, (float, np.floating)):
        v = float(v)
        if math.isnan(v):
            return ".nan"
        if math.isinf(v):
            return ".inf" if v > 0 else "-.inf"
        return repr(v)
    if isinstance(v, (str, os.PathLike)):
        return json.dumps(os.fspath(v))
    raise TypeError(f"plexus: cannot put a {type(v).__name__} into an experiment ({v!r})")


def _to_text(value, indent=0):
    """The document as YAML in JSON's flow syntax (non-finite numbers as YAML's .inf and .nan, so
    Plexus names them with their key path); one key per line, so errors name useful lines."""
    pad, close = "  " * (indent + 1), "  " * indent
    if isinstance(value, dict):
        if not value:
            return "{}"
        items = [f"{pad}{json.dumps(str(k))}: {_to_text(v, indent + 1)}" for k, v in value.items()]
        return "{\n" + ",\n".join(items) + "\n" + close + "}"
    if isinstance(value, (list, tuple, np.ndarray)):
        seq = value.tolist() if isinstance(value, np.ndarray) else value
        if not seq:
            return "[]"
        return "[\n" + ",\n".join(pad + _to_text(v, indent + 1) for v in seq) + "\n" + close + "]"
    return _yaml_scalar(value)


class Experiment:
    """An experiment file's document: nested dicts and lists, in the file's order.

    `exp["populations.E.params.I_e"] = 376.0` sets a value by key path (list items by index:
    `connections.0.synapse.weight`); `exp.data` is the whole document. `file` names it in errors
    and is where relative paths in it (connectomes, morphologies, .mod files) are found."""

    def __init__(self, data, file=None):
        self.data = data
        self.file = os.path.abspath(file) if file else os.path.abspath("experiment.yaml")

    def _walk(self, path, create=False):
        keys = path.split(".")
        node = self.data
        for k in keys[:-1]:
            if isinstance(node, list):
                node = node[int(k)]
            elif k not in node and create:
                node = node.setdefault(k, {})
            else:
                node = node[k]
        return node, keys[-1]

    def __getitem__(self, path):
        node, k = self._walk(path)
        return node[int(k)] if isinstance(node, list) else node[k]

    def __setitem__(self, path, value):
        node, k = self._walk(path, create=True)
        if isinstance(node, list):
            node[int(k)] = value
        else:
            node[k] = value

    def copy(self):
        return Experiment(json.loads(json.dumps(self.data)), self.file)

    def text(self):
        """The document as Plexus reads it (YAML in JSON's syntax)."""
        return _to_text(self.data) + "\n"

    def run(self, **options):
        """Runs it: see `plexus.run`."""
        return run(self, **options)

    def __repr__(self):
        return f"<plexus.Experiment {self.file} ({self.data.get('engine', 'point')})>"


def load(path):
    """An experiment file's document as an `Experiment` (keys in the file's order)."""
    h = _Handle(lib.plexus_load(os.fsencode(os.path.abspath(path)), None)).check()
    return Experiment(json.loads(lib.plexus_text(h.pointer).decode()), path)


class _Bar:
    """The command line's progress bar on standard error: only for runs longer than a second."""

    def __init__(self):
        self.start, self.drawn = time.monotonic(), False

    def __call__(self, fraction):
        if not self.drawn and (time.monotonic() - self.start < 1 or fraction >= 1):
            return
        self.drawn = True
        sys.stderr.write(f"\r[{'=' * int(30 * fraction):<30}] {100 * fraction:3.0f}%")
        sys.stderr.flush()

    def finish(self):
        if self.drawn:
            sys.stderr.write("\n")
            sys.stderr.flush()


def _progress_function(progress):
    if callable(progress):
        return progress
    if progress is None:
        progress = sys.stderr.isatty() or "ipykernel" in sys.modules
    return _Bar() if progress else None


def _source(experiment, out, threads, seed):
    """(file, text or None, out) of a run request, its options checked."""
    if isinstance(experiment, Experiment):
        file, text = experiment.file, experiment.text().encode()
    else:
        file, text = os.path.abspath(os.fspath(experiment)), None
    if out is None:
        out = os.path.join("runs", Path(file).stem)
    if isinstance(threads, bool) or not isinstance(threads, (int, np.integer)) or not 1 <= threads < 2**31:
        raise PlexusError(f"threads must be a whole number of at least 1, got {threads!r}", key_path="threads")
    if seed is not None and (not isinstance(seed, (int, np.integer)) or isinstance(seed, bool) or not 0 <= seed < 2**64):
        raise PlexusError(f"seed must be a whole number from 0 to 2^64 - 1, got {seed!r}", key_path="seed")
    return file, text, out


def _checked(pointer, file, text):
    """The handle of a call, its error raised; lines of a text Python wrote are not lines of the
    file, so such an error keeps only its key path."""
    try:
        return _Handle(pointer).check()
    except PlexusError as e:
        if text is None or e.file != file:
            raise
        raise PlexusError(e.message, e.file, None, e.key_path) from None


def _with_progress(progress, call):
    """Calls `call(callback)` with a C progress callback for `progress` (see `run`); an exception
    the Python function raised cannot cross the C call: it is raised after it."""
    function = _progress_function(progress)
    errors = []

    def report(fraction, _context):
        try:
            function(fraction)
        except BaseException as e:
            errors.append(e)
    callback = PROGRESS(report) if function else PROGRESS()
    result = call(callback)
    if isinstance(function, _Bar):
        function.finish()
    return result, errors


def run(experiment, *, out=None, threads=1, seed=None, report=False, quiet=True, progress=None, connections=False):
    """Runs an experiment (a file path or an `Experiment`) and returns its `Run`.

    out: the run folder (default runs/<name>, as `plexus run`); threads; seed (overrides the
    file's); report: write report.html; quiet: no messages on standard output; progress: True
    draws a bar on standard error, a function gets the fraction done, None (default) draws one
    in terminals and notebooks; connections: also keep a point network's synapses as they stand
    after the run (`Run.connections`)."""
    file, text, out = _source(experiment, out, threads, seed)
    flags = (1 if quiet else 0) | (0 if report else 2) | (4 if connections else 0)
    pointer, errors = _with_progress(progress, lambda callback: lib.plexus_run(
        os.fsencode(file), text, os.fsencode(out), int(threads), int(seed or 0), 1 if seed is not None else 0, flags, callback, None))
    h = _checked(pointer, file, text)
    if errors:
        raise errors[0]
    return Run(os.path.abspath(lib.plexus_directory(h.pointer).decode()), _arrays(h))


def _param_text(params):
    """A population's params as the JSON Plexus reads (numbers, strings with units, lists)."""
    def plain(v):
        if isinstance(v, np.ndarray):
            return [plain(x) for x in v.tolist()]
        if isinstance(v, (list, tuple)):
            return [plain(x) for x in v]
        if isinstance(v, (np.integer, np.floating)):
            return float(v)
        return v
    return json.dumps({k: plain(v) for k, v in params.items()}, allow_nan=False)


class Simulation:
    """A point experiment run in pieces (`plexus.start`): `advance` simulates further, `set`
    changes parameters or state between pieces (NEST's SetStatus between Simulate calls),
    `state` reads the neurons' state now, `results` what was recorded so far, and `finish`
    writes the run folder and returns its `Run`."""

    def __init__(self, handle, file, text):
        self._handle, self._file, self._text = handle, file, text
        self.time = 0.0

    def _call(self, pointer):
        return _checked(pointer, self._file, self._text)

    def advance(self, to, progress=False):
        """Simulates up to `to` ms since the start (a multiple of the resolution)."""
        pointer, errors = _with_progress(progress, lambda callback: lib.plexus_advance(self._handle.pointer, float(to), callback, None))
        self._call(pointer)
        if errors:
            raise errors[0]
        self.time = float(to)

    def set(self, population, params=None, neurons=None, **kwargs):
        """Sets `params` (a dict as a population's params in the file, or keywords) of a
        population from now on. Parameters change for the whole population; state variables
        (V_m, ...) may be given for `neurons` (a range or slice of the population's neurons),
        one value each or one for all."""
        params = dict(params or {}, **kwargs)
        first, count = 0, -1
        if neurons is not None:
            r = range(10**12)[neurons] if isinstance(neurons, slice) else neurons
            if not isinstance(r, range) or r.step != 1:
                raise PlexusError(f"neurons must be a contiguous range or slice, got {neurons!r}")
            first, count = r.start, len(r)
        self._call(lib.plexus_set(self._handle.pointer, population.encode(), _param_text(params).encode(), first, count))

    def state(self, population, variable):
        """The current value of a state variable of every neuron of a population (numpy)."""
        return _arrays(self._call(lib.plexus_state(self._handle.pointer, population.encode(), variable.encode())))["state"]

    def results(self, connections=False):
        """What was recorded so far, as a `Run` without a folder (`directory` None)."""
        return Run(None, _arrays(self._call(lib.plexus_snapshot(self._handle.pointer, 4 if connections else 0))))

    def finish(self):
        """Writes the run folder of everything simulated and returns its `Run`; the simulation
        cannot go on after this."""
        h = self._call(lib.plexus_finish(self._handle.pointer))
        return Run(os.path.abspath(lib.plexus_directory(h.pointer).decode()), _arrays(h))


def start(experiment, *, out=None, threads=1, seed=None, report=False, quiet=True, connections=False):
    """Builds a point experiment (a file path or an `Experiment`) to run in pieces: a
    `Simulation`. Options as for `run`; the file's duration is not used."""
    file, text, out = _source(experiment, out, threads, seed)
    flags = (1 if quiet else 0) | (0 if report else 2) | (4 if connections else 0)
    pointer = lib.plexus_open(os.fsencode(file), text, os.fsencode(out), int(threads), int(seed or 0),
                              1 if seed is not None else 0, flags)
    return Simulation(_checked(pointer, file, text), file, text)
