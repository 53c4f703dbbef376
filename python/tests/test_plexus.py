"""The Python package against the engines it wraps: the arrays are the run folder's data, an
experiment built or edited in code runs exactly as the file, and errors carry their key path.
Run with `scripts/test-python` (builds libPlexusC.so first)."""
import csv
import gc
import importlib.util
from pathlib import Path

import numpy as np
import pytest

import plexus

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples"


def read_csv(path):
    with open(path) as f:
        rows = list(csv.reader(f))
    return rows[0], rows[1:]


def test_point_arrays_are_the_run_folders_data(tmp_path):
    run = plexus.run(EXAMPLES / "single_neuron.yaml", out=tmp_path / "r", progress=False)
    times, senders = run.spikes("n")
    header, rows = read_csv(tmp_path / "r" / "spikes.csv")
    t = np.array([float(r[header.index("t_ms")]) for r in rows])
    assert len(times) == len(rows) > 10
    np.testing.assert_array_equal(times, t)
    assert set(senders.tolist()) == {1}
    mm = run.multimeter("n")
    assert mm["V_m"].shape == mm["times"].shape == (5000,)
    assert mm["V_m"].dtype == np.float64 and senders.dtype == np.int64
    assert run.record["engine"] == "point" and run.record["counts"]
    # Read-only views of the library's memory, kept alive by the arrays themselves.
    with pytest.raises(ValueError):
        times[0] = 1.0
    v = mm["V_m"]
    first = v.copy()
    del run, mm, times, senders
    gc.collect()
    np.testing.assert_array_equal(v, first)


def test_experiment_from_code_runs_as_the_file(tmp_path):
    exp = plexus.load(EXAMPLES / "single_neuron.yaml")
    assert list(exp.data)[:4] == ["resolution", "duration", "seed", "populations"]
    assert list(exp["populations"]) == ["n", "dc", "sg"]    # order is creation order (gids)
    a = plexus.run(EXAMPLES / "single_neuron.yaml", out=tmp_path / "file", progress=False)
    b = exp.run(out=tmp_path / "code", progress=False)
    for name in a.arrays:
        np.testing.assert_array_equal(a[name], b[name])
    # Built from scratch in Python: the same document, the same numbers.
    c = plexus.Experiment({k: v for k, v in exp.data.items()}, file=EXAMPLES / "single_neuron.yaml")
    np.testing.assert_array_equal(c.run(out=tmp_path / "dict", progress=False).spikes("n")[0], a.spikes("n")[0])
    # An edit changes the run: a stronger DC drive fires more.
    exp["populations.dc.params.amplitude"] = "600 pA"
    assert len(exp.run(out=tmp_path / "edit", progress=False).spikes("n")[0]) > len(a.spikes("n")[0])


def test_seed_override_and_threads(tmp_path):
    exp = plexus.load(EXAMPLES / "single_neuron.yaml")
    exp["populations.pg"] = {"model": "poisson_generator", "params": {"rate": "8000 Hz"}}
    exp["connections"].append({"source": "pg", "target": "n", "synapse": {"weight": 20.0}})
    runs = [exp.run(out=tmp_path / f"s{s}t{t}", seed=s, threads=t, progress=False) for s, t in ((1, 1), (1, 2), (2, 1))]
    np.testing.assert_array_equal(runs[0].spikes("n")[0], runs[1].spikes("n")[0])
    assert not np.array_equal(runs[0].spikes("n")[0], runs[2].spikes("n")[0])


needs_tvb_data = pytest.mark.skipif(importlib.util.find_spec("tvb_data") is None, reason="tvb-data is not installed (pip install tvb-data==3.0.0)")


@needs_tvb_data
def test_mass_monitor_arrays(tmp_path):
    exp = plexus.load(EXAMPLES / "tvb76.yaml")
    exp["duration"] = "50 ms"
    run = exp.run(out=tmp_path / "m", threads=2, progress=False)
    times, data = run.monitor("tavg")
    assert data.shape == (50, 1, 76) and times.shape == (50,)
    # The same numbers as the CSV the run wrote (which prints them to round-trip precision).
    header, rows = read_csv(tmp_path / "m" / "tavg.csv")
    np.testing.assert_array_equal(np.array([[float(x) for x in r[-76:]] for r in rows]), data[:, 0, :])
    raw_t, raw = run.monitor("raw")
    assert raw.shape[1:] == (1, 76) and raw_t[0] > 0 and len(raw_t) == 800   # V only (its variables of interest), every step
    assert run.fc is None


def test_cable_probes_and_spikes(tmp_path):
    run = plexus.run(EXAMPLES / "ball_and_stick.yaml", out=tmp_path / "c", progress=False)
    times, gids = run.spikes()
    assert len(times) >= 1 and set(gids.tolist()) == {0}
    t, v = run.probe("0:v_soma")
    assert t.shape == v.shape and v.max() > 0 > v.min()     # it fired
    header, rows = read_csv(tmp_path / "c" / "probes.csv")
    np.testing.assert_array_equal(v, [float(r[header.index("0:v_soma")]) for r in rows])


def test_errors_name_the_key_path(tmp_path):
    exp = plexus.load(EXAMPLES / "single_neuron.yaml")
    exp["populations.n.params.tau_m"] = float("nan")
    with pytest.raises(plexus.PlexusError) as e:
        exp.run(out=tmp_path / "e1", progress=False)
    assert e.value.key_path == "populations.n.params.tau_m" and "nan" in str(e.value).lower()
    exp = plexus.load(EXAMPLES / "single_neuron.yaml")
    exp["populations.n.params.tau_mm"] = "10 ms"
    with pytest.raises(plexus.PlexusError) as e:
        exp.run(out=tmp_path / "e2", progress=False)
    assert "tau_mm" in str(e.value) and e.value.key_path.startswith("populations.n.params")
    with pytest.raises(plexus.PlexusError) as e:
        plexus.run(tmp_path / "missing.yaml")
    assert e.value.file.endswith("missing.yaml")
    bad = tmp_path / "bad.yaml"
    bad.write_text("duration: 10 ms\npopulations: [\n")
    with pytest.raises(plexus.PlexusError) as e:
        plexus.load(bad)
    assert e.value.line is not None and e.value.file == str(bad)
    with pytest.raises(plexus.PlexusError) as e:
        plexus.run(EXAMPLES / "single_neuron.yaml", threads=0, out=tmp_path / "e3")
    assert "threads" in str(e.value)
    with pytest.raises(TypeError):
        plexus.Experiment({"duration": object()}).text()
    for threads in (2**32 + 1, 1.5, "2"):
        with pytest.raises(plexus.PlexusError, match="threads must be"):
            plexus.run(EXAMPLES / "single_neuron.yaml", threads=threads, out=tmp_path / "e5")
    for seed in (-1, 2**64, 1.5):
        with pytest.raises(plexus.PlexusError, match="seed must be a whole number"):
            plexus.run(EXAMPLES / "single_neuron.yaml", seed=seed, out=tmp_path / "e4")


def test_progress_reaches_the_end(tmp_path):
    seen = []
    plexus.run(EXAMPLES / "single_neuron.yaml", out=tmp_path / "p", progress=seen.append)
    assert seen and seen[-1] == pytest.approx(1.0) and seen == sorted(seen)

    def stop(fraction):
        raise KeyboardInterrupt
    with pytest.raises(KeyboardInterrupt):
        plexus.run(EXAMPLES / "single_neuron.yaml", out=tmp_path / "p2", progress=stop)


def test_library_and_package_versions_agree():
    assert plexus.version == plexus.__version__


@pytest.mark.skipif(importlib.util.find_spec("nbconvert") is None or importlib.util.find_spec("matplotlib") is None
                    or importlib.util.find_spec("ipykernel") is None,
                    reason="the notebook needs nbconvert, ipykernel and matplotlib (pip install nbconvert ipykernel matplotlib)")
def test_the_example_notebook_runs(tmp_path):
    import os
    import subprocess
    import sys
    import nbformat
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(ROOT / "python"), os.environ.get("PYTHONPATH", "")]))
    env.pop("MPLBACKEND", None)   # the kernel's inline backend puts the figures in the notebook
    out = tmp_path / "tour.ipynb"
    subprocess.run([sys.executable, "-m", "nbconvert", "--to", "notebook", "--execute", str(EXAMPLES / "plexus_tour.ipynb"),
                    "--output", str(out)], check=True, env=env, capture_output=True)
    cells = nbformat.read(out, 4).cells
    outputs = [o for c in cells if c.cell_type == "code" for o in c.outputs]
    assert not [o for o in outputs if o.output_type == "error"]
    assert sum("image/png" in o.get("data", {}) for o in outputs) >= 3
    assert any("key path: populations.n.params.tau_m" in o.get("text", "") for o in outputs)


def test_load_types_scalars_as_the_readers_do(tmp_path):
    f = tmp_path / "x.yaml"
    f.write_text("duration: 10 ms\nseed: 7\nflag: on\nratio: 1.5e-3\nname: '12'\nnothing: ~\nyes: true\nlist: [1, 2.5, a]\n"
                 "big: 18446744073709551615\nzeros: 007\n")
    assert plexus.load(f).data == {"duration": "10 ms", "seed": 7, "flag": "on", "ratio": 0.0015, "name": "12",
                                   "nothing": None, "yes": True, "list": [1, 2.5, "a"], "big": 2**64 - 1, "zeros": 7}


def test_a_run_in_pieces_is_the_whole_run_and_takes_changes(tmp_path):
    exp = plexus.load(EXAMPLES / "brunel_delta.yaml")
    exp["duration"] = "60 ms"
    whole = exp.run(out=tmp_path / "whole", threads=2)
    sim = plexus.start(exp, out=tmp_path / "pieces", threads=2)
    for t in (0.3, 17.7, 17.7, 60.0):
        sim.advance(t)
    pieces = sim.finish()
    assert whole.arrays.keys() == pieces.arrays.keys()
    for name in whole.arrays:
        np.testing.assert_array_equal(whole[name], pieces[name], err_msg=name)
    assert len(whole.spikes("E")[0]) > 50
    assert pieces.record["duration_ms"] == 60.0

    sim = plexus.start(exp, out=tmp_path / "changed")
    sim.advance(20.0)
    before = len(sim.results().spikes("E")[0])
    sim.set("E", V_m=[5.0] * 3, neurons=range(2, 5))
    np.testing.assert_array_equal(sim.state("E", "V_m")[2:5], [5.0, 5.0, 5.0])
    sim.set("E", I_e=0.0)
    with pytest.raises(plexus.PlexusError) as e:
        sim.set("E", tau_m=-1.0)
    assert e.value.key_path == "populations.E.params.tau_m"
    with pytest.raises(plexus.PlexusError, match="whole population"):
        sim.set("E", {"I_e": 1.0}, neurons=slice(0, 3))
    with pytest.raises(plexus.PlexusError, match="not before 20"):
        sim.advance(10.0)
    sim.advance(40.0)
    assert len(sim.results().spikes("E")[0]) > before
    with pytest.raises(plexus.PlexusError, match="no run folder yet"):
        sim.results().record
    run = sim.finish()
    assert (Path(run.directory) / "provenance.json").exists()
    with pytest.raises(plexus.PlexusError, match="already finished"):
        sim.advance(50.0)
