#!/usr/bin/env python3
"""NEURON reference runs of Allen Institute perisomatic cell models, built the way bmtk builds them.

Environment: /opt/neuronvenv (python3.11 venv with neuron==9.0.2 and bmtk==1.2.0 from PyPI).
The model files come from tools/fetch_allen_models.py (examples/allen/). Conventions, with
bmtk / NEURON source line references, are in docs/allen-conventions.md.

Regenerate every fixture in Tests/Fixtures/allen/ with one command (about 1-2 min on 2 cores):

    /opt/neuronvenv/bin/python tools/neuron_allen.py --make-fixtures

Single runs:

    /opt/neuronvenv/bin/python tools/neuron_allen.py --cell Scnn1a_473845048 --amp 0.2 \
        --out /tmp/scnn1a_v.csv --spikes /tmp/scnn1a_spikes.csv
    /opt/neuronvenv/bin/python tools/neuron_allen.py --morphology x.swc --fit y_fit.json \
        --mods examples/allen/mechanisms --amp -0.1 --passive-only --every 4
    /opt/neuronvenv/bin/python tools/neuron_allen.py --check-builders   # bmtk vs replica, all cells

What a run does (defaults = bmtk's: run.dL=20, run.spike_threshold=-15, conditions.celsius=34,
conditions.v_init=-80, as in bmtk's default_config.json and examples/bio_14cells):
  1. compiles examples/allen/mechanisms/*.mod with nrnivmodl into .build-neuron/allen_mods/
     (gitignored by '.build-*/'; reused while the .mod files and NEURON version are unchanged);
  2. builds the cell: bmtk's Biophys1.hoc template (NEURON's Import3d_SWC_read + Import3d_GUI
     instantiate), then bmtk's own aibs_perisomatic() (fix_axon_peri + set_params_peri), then
     bmtk's Morphology.set_segment_dl(dL): nseg = 1 + 2*int(L/(2*dL)) in every section.
     --builder replica does the same without importing bmtk (a transcription of those functions);
     --check-builders verifies that both give identical sections, nseg, areas, ri and parameters;
  3. IClamp at soma[0](0.5), h.celsius, h.dt, fixed step (cvode off, secondorder=0),
     h.finitialize(v_init), then exactly round(tstop/dt) calls of h.fadvance();
  4. writes soma(0.5).v at every step (or every --every steps), and spikes: upward crossings of
     --threshold (v[i-1] <= thr < v[i]) with the time linearly interpolated between the steps,
     plus the time a NetCon (threshold thr, as bmtk's spike detector) records (end of the step).
"""

import argparse
import gc
import hashlib
import json
import math
import os
import shutil
import subprocess
import sys
import time

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
ALLEN_DIR = os.path.join(REPO_ROOT, "examples", "allen")
CELLS_JSON = os.path.join(ALLEN_DIR, "cells.json")
DEFAULT_MODS = os.path.join(ALLEN_DIR, "mechanisms")
DEFAULT_BUILD = os.path.join(REPO_ROOT, ".build-neuron", "allen_mods")
FIXTURE_DIR = os.path.join(REPO_ROOT, "Tests", "Fixtures", "allen")

# bmtk defaults (bmtk/utils/sonata/config/sonata_config.py:195-196 and
# bmtk/utils/scripts/bionet/default_config.json "run"/"conditions").
BMTK_DL = 20.0
BMTK_SPIKE_THRESHOLD = -15.0
BMTK_CELSIUS = 34.0
BMTK_V_INIT = -80.0

# Fixture protocol (see --make-fixtures and Tests/Fixtures/allen/README.md).
FIX_DT = 0.025
FIX_DELAY = 100.0
FIX_DURATION = 1000.0
FIX_TSTOP = FIX_DELAY + FIX_DURATION + 100.0   # 1200 ms
FIX_EVERY = 4                                  # 0.1 ms
FIX_TRACE_MS = 600.0
FIX_PASSIVE_AMP = -0.1
# Per cell: subthreshold, near threshold (weak firing), strong firing, in nA. Rheobase of the
# 1 s step (this protocol, bisection to 0.005 nA with --find-rheobase): Scnn1a 0.0703,
# Rorb 0.1250, Pvalb 0.1719 nA.
FIX_RHEOBASE = {"Scnn1a_473845048": 0.0703, "Rorb_325404214": 0.1250, "Pvalb_470522102": 0.1719,
                "Nr5a1_471087815": 0.1055, "Pvalb_469628681": 0.1680}
FIX_AMPS = {
    "Scnn1a_473845048": {"sub": 0.05, "near": 0.075, "strong": 0.25},
    "Rorb_325404214": {"sub": 0.10, "near": 0.13, "strong": 0.35},
    "Pvalb_470522102": {"sub": 0.12, "near": 0.18, "strong": 0.50},
    "Nr5a1_471087815": {"sub": 0.09, "near": 0.11, "strong": 0.30},
    "Pvalb_469628681": {"sub": 0.14, "near": 0.175, "strong": 0.45},
}

_h = None
_loaded_mech_dirs = set()


# ----------------------------------------------------------------------------- NEURON setup

def neuron_h():
    global _h
    if _h is None:
        from neuron import h
        h.load_file("stdrun.hoc")
        h.load_file("stdgui.hoc")      # bmtk/simulator/bionet/nrn.py:59
        h.load_file("import3d.hoc")    # nrn.py:68 (NEURON's own import3d, use_old_import3d=False)
        _h = h
    return _h


def _mod_digest(mod_dir):
    import neuron
    d = hashlib.sha256()
    d.update(("neuron " + neuron.__version__ + "\n").encode())
    for fn in sorted(os.listdir(mod_dir)):
        if fn.endswith(".mod"):
            with open(os.path.join(mod_dir, fn), "rb") as f:
                d.update(fn.encode() + b"\0" + f.read() + b"\0")
    return d.hexdigest()


def _find_nrnivmodl():
    cand = os.path.join(os.path.dirname(sys.executable), "nrnivmodl")
    if os.path.exists(cand):
        return cand
    cand = shutil.which("nrnivmodl")
    if not cand:
        sys.exit("nrnivmodl not found (install neuron in this python's environment)")
    return cand


def compile_mods(mod_dir, build_dir=DEFAULT_BUILD, quiet=True):
    """nrnivmodl mod_dir into build_dir (reused when the stamp matches). Returns build_dir."""
    mod_dir = os.path.abspath(mod_dir)
    build_dir = os.path.abspath(build_dir)
    stamp_path = os.path.join(build_dir, "stamp.txt")
    digest = _mod_digest(mod_dir)
    libs = [os.path.join(build_dir, a, n) for a in ("x86_64", "aarch64", "arm64")
            for n in ("libnrnmech.so", ".libs/libnrnmech.so", "libnrnmech.dylib")]
    if os.path.exists(stamp_path) and open(stamp_path).read().strip() == digest \
            and any(os.path.exists(p) for p in libs):
        return build_dir
    if os.path.isdir(build_dir):
        shutil.rmtree(build_dir)
    os.makedirs(build_dir)
    # nrnivmodl compiles every .mod of the directory given; copy them so the build is self-contained.
    src = os.path.join(build_dir, "mod")
    os.makedirs(src)
    for fn in sorted(os.listdir(mod_dir)):
        if fn.endswith(".mod"):
            shutil.copyfile(os.path.join(mod_dir, fn), os.path.join(src, fn))
    t0 = time.time()
    r = subprocess.run([_find_nrnivmodl(), "mod"], cwd=build_dir,
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    if r.returncode != 0:
        sys.stderr.write(r.stdout)
        sys.exit("nrnivmodl failed (rc=%d)" % r.returncode)
    if not quiet:
        print("nrnivmodl: compiled %s in %.1f s" % (mod_dir, time.time() - t0))
    with open(stamp_path, "w") as f:
        f.write(digest + "\n")
    return build_dir


def load_mods(build_dir):
    import neuron
    build_dir = os.path.abspath(build_dir)
    if build_dir in _loaded_mech_dirs:
        return
    neuron_h()
    if not neuron.load_mechanisms(build_dir, warn_if_already_loaded=False):
        sys.exit("could not load mechanisms from %s" % build_dir)
    _loaded_mech_dirs.add(build_dir)


# ----------------------------------------------------------------------------- cell building

# bmtk/simulator/bionet/default_templates/Biophys1.hoc (bmtk 1.2.0), verbatim apart from the name.
REPLICA_TEMPLATE = """
begintemplate PlexusBiophys1
public init
public soma, dend, apic, axon
public nl
public i3d
public all, somatic, basal, apical, axonal
objref all, somatic, basal, apical, axonal
objref this
objref nl
objref i3d
create soma[1]
create dend[1]
create apic[1]
create axon[1]
proc init() {
	all = new SectionList()
	somatic = new SectionList()
	basal = new SectionList()
	apical = new SectionList()
	axonal = new SectionList()
	forall delete_section()
	nl = new Import3d_SWC_read()
	nl.quiet = 1
	nl.input($s1)
	i3d = new Import3d_GUI(nl, 0)
	i3d.instantiate(this)
}
endtemplate PlexusBiophys1
"""


def passive_only_params(params):
    """Drop every active mechanism: keep passive (Ra, cm, e_pas) and the genome's g_pas entries
    (mechanism == ""); erev entries are dropped because no section then has na/k ions."""
    p = json.loads(json.dumps(params))
    p["genome"] = [g for g in p["genome"] if g.get("mechanism", "") == ""]
    for c in p["conditions"]:
        c["erev"] = []
    return p


def _sec_type(sec):
    # bmtk: sec.name().split(".")[1][:4]  (cell_models.py:168,176,185)
    return sec.name().split(".")[1][:4]


def replica_fix_axon_peri(h, hobj):
    """Transcription of bmtk cell_models.fix_axon_peri (cell_models.py:131-150)."""
    for sec in hobj.axon:
        h.delete_section(sec=sec)
    h.execute("create axon[2]", hobj)
    for sec in hobj.axon:
        sec.L = 30
        sec.diam = 1
        hobj.axonal.append(sec=sec)
        hobj.all.append(sec=sec)
    hobj.axon[0].connect(hobj.soma[0], 0.5, 0)
    hobj.axon[1].connect(hobj.axon[0], 1, 0)
    h.define_shape()


def replica_set_params_peri(hobj, biophys_params):
    """Transcription of bmtk cell_models.set_params_peri (cell_models.py:153-188)."""
    passive = biophys_params["passive"][0]
    conditions = biophys_params["conditions"][0]
    genome = biophys_params["genome"]
    cm_dict = dict([(c["section"], c["cm"]) for c in passive["cm"]])
    for sec in hobj.all:
        sec.Ra = passive["ra"]
        sec.cm = cm_dict[_sec_type(sec)]
        sec.insert("pas")
        for seg in sec:
            seg.pas.e = passive["e_pas"]
    for p in genome:
        sections = [s for s in hobj.all if _sec_type(s) == p["section"]]
        for sec in sections:
            if p["mechanism"] != "":
                sec.insert(p["mechanism"])
            setattr(sec, p["name"], p["value"])
    for erev in conditions["erev"]:
        sections = [s for s in hobj.all if _sec_type(s) == erev["section"]]
        for sec in sections:
            sec.ena = erev["ena"]
            sec.ek = erev["ek"]


def set_segment_dl(hobj, dl):
    """bmtk Morphology.set_segment_dl (bmtk/simulator/bionet/morphology.py:352-357)."""
    for sec in hobj.all:
        sec.nseg = 1 + 2 * int(sec.L / (2 * dl))


_template_loaded = {"bmtk": False, "replica": False}


def build_cell(morphology, params, builder="bmtk", dL=BMTK_DL):
    """Returns the hoc cell object, built as bmtk's BioCell with ctdb:Biophys1.hoc + aibs_perisomatic."""
    h = neuron_h()
    # bmtk's Morphology object forms a reference cycle with the cell (Morphology <-> its
    # _LazySegmentProps), so a dropped cell lingers (and is simulated!) until the cycle collector
    # runs; collect here so that only the cells the caller still holds exist.
    gc.collect()
    morphology = os.path.abspath(morphology)
    if builder == "bmtk":
        import logging
        logging.disable(logging.WARNING)  # bmtk warns about NEURON 9 / ECP on import
        import bmtk
        from bmtk.simulator.bionet.default_setters.cell_models import aibs_perisomatic
        from bmtk.simulator.bionet.morphology import Morphology
        if not _template_loaded["bmtk"]:
            tpl = os.path.join(os.path.dirname(bmtk.__file__), "simulator", "bionet",
                               "default_templates", "Biophys1.hoc")
            if not hasattr(h, "Biophys1"):
                h.load_file(tpl)
            _template_loaded["bmtk"] = True
        hobj = h.Biophys1(morphology)                 # cell_models.Biophys1 (cell_models.py:100-106)
        hobj = aibs_perisomatic(hobj, None, params)   # cell_models.py:123-128
        morph = Morphology(hobj)                      # biocell.py:111-115
        morph.set_segment_dl(dL)                      # morphology.py:352-357
        del morph
    elif builder == "replica":
        if not _template_loaded["replica"]:
            h(REPLICA_TEMPLATE)
            _template_loaded["replica"] = True
        hobj = h.PlexusBiophys1(morphology)
        replica_fix_axon_peri(h, hobj)
        replica_set_params_peri(hobj, params)
        set_segment_dl(hobj, dL)
    else:
        raise ValueError(builder)
    return hobj


def cell_summary(hobj):
    secs = list(hobj.all)
    by_type = {}
    for s in secs:
        t = _sec_type(s)
        d = by_type.setdefault(t, {"sections": 0, "nseg": 0, "area_um2": 0.0})
        d["sections"] += 1
        d["nseg"] += s.nseg
        d["area_um2"] += sum(seg.area() for seg in s)
    soma = hobj.soma[0]
    return {
        "n_sections": len(secs),
        "total_nseg": sum(s.nseg for s in secs),
        "by_type": by_type,
        "soma": {"L": soma.L, "diam": soma.diam, "nseg": soma.nseg, "area_um2": soma(0.5).area(),
                 "n3d": int(soma.n3d())},
        "axon": [{"L": a.L, "diam": a.diam, "nseg": a.nseg, "parent": a.parentseg().sec.name().split(".")[1],
                  "parent_x": a.parentseg().x} for a in hobj.axon],
    }


def cell_fingerprint(hobj):
    """Everything that defines the discretised model, in section order (for --check-builders)."""
    rows = []
    for s in hobj.all:
        ps = s.parentseg()
        mechs = sorted(s.psection()["density_mechs"].keys())
        row = [_sec_type(s), s.nseg, round(s.L, 9), s.Ra, s.cm, s.nseg,
               (_sec_type(ps.sec), round(ps.x, 9)) if ps is not None else None, mechs]
        for seg in s:
            row.append((round(seg.area(), 9), round(seg.ri(), 12), round(seg.diam, 9)))
            for m in mechs:
                mo = getattr(seg, m)
                for k in dir(mo):
                    if k.startswith("_") or k in ("name", "next", "is_ion", "segment"):
                        continue
                    try:
                        val = getattr(mo, k)
                    except Exception:
                        continue
                    if isinstance(val, float):
                        row.append((m, k, val))
        for ion in ("ena", "ek"):
            try:
                row.append((ion, getattr(s(0.5), ion)))
            except (NameError, AttributeError):
                pass
        rows.append(row)
    return rows


# ----------------------------------------------------------------------------- running

def disable_tables():
    """Set usetable_<suffix> = 0 for every density mechanism that has a TABLE (none of the bmtk
    Allen .mod files has one; the built-in hh does)."""
    h = neuron_h()
    mt = h.MechanismType(0)
    name = h.ref("")
    off = []
    for i in range(int(mt.count())):
        mt.select(i)
        mt.selected(name)
        g = "usetable_" + name[0]
        if hasattr(h, g):
            setattr(h, g, 0)
            off.append(g)
    return off


def crossings(t, v, thr):
    """Upward crossings v[i-1] <= thr < v[i] (NetCon's rule), time linearly interpolated."""
    out = []
    for i in range(1, len(v)):
        if v[i - 1] <= thr < v[i]:
            out.append(t[i - 1] + (t[i] - t[i - 1]) * (thr - v[i - 1]) / (v[i] - v[i - 1]))
    return out


def run(hobj, amp, delay, duration, tstop, dt=0.025, v_init=BMTK_V_INIT, celsius=BMTK_CELSIUS,
        threshold=BMTK_SPIKE_THRESHOLD, no_tables=False, record_extra=()):
    h = neuron_h()
    soma = hobj.soma[0]
    if no_tables:
        disable_tables()
    h.cvode_active(0)
    h.secondorder = 0
    h.celsius = celsius
    h.dt = dt
    h.steps_per_ms = 1.0 / dt
    h.tstop = tstop
    stim = h.IClamp(soma(0.5))
    stim.delay = delay
    stim.dur = duration
    stim.amp = amp
    vvec = h.Vector()
    vvec.record(soma(0.5)._ref_v)
    tvec = h.Vector()
    tvec.record(h._ref_t)
    extra = {}
    for name in record_extra:
        vec = h.Vector()
        vec.record(getattr(soma(0.5), "_ref_" + name))
        extra[name] = vec
    nc = h.NetCon(soma(0.5)._ref_v, None, sec=soma)
    nc.threshold = threshold
    nc_times = h.Vector()
    nc.record(nc_times)
    nsteps = int(round(tstop / dt))
    h.finitialize(v_init)
    w0, c0 = time.perf_counter(), time.process_time()
    fadvance = h.fadvance
    for _ in range(nsteps):
        fadvance()
    wall, cpu = time.perf_counter() - w0, time.process_time() - c0
    t = list(tvec)
    v = list(vvec)
    res = {
        "t": t, "v": v, "nsteps": nsteps,
        "spikes_interp": crossings(t, v, threshold),
        "spikes_netcon": list(nc_times),
        "wall_s": wall, "cpu_s": cpu,
        "extra": {k: list(vec) for k, vec in extra.items()},
    }
    # leave no stimulus/recorders attached to the cell
    del stim, nc
    return res


# ----------------------------------------------------------------------------- files

def load_cells():
    with open(CELLS_JSON) as f:
        return json.load(f)


def resolve_cell(name):
    man = load_cells()
    if name not in man["cells"]:
        sys.exit("unknown cell %r; known: %s" % (name, ", ".join(man["cells"])))
    c = man["cells"][name]
    return (os.path.join(ALLEN_DIR, c["morphology"]), os.path.join(ALLEN_DIR, c["fit"]),
            os.path.join(ALLEN_DIR, man.get("mechanisms_dir", "mechanisms")))


def write_trace(path, t, v, every=1, t_max=None, fmt="%.6f", extra=None):
    extra = extra or {}
    names = list(extra)
    with open(path, "w") as f:
        f.write(",".join(["t_ms", "v_mV"] + names) + "\n")
        for i in range(0, len(v), every):
            if t_max is not None and t[i] > t_max + 1e-9:
                break
            cols = [fmt % t[i], fmt % v[i]] + [fmt % extra[n][i] for n in names]
            f.write(",".join(cols) + "\n")


def write_spikes(path, interp, netcon):
    with open(path, "w") as f:
        f.write("index,t_interp_ms,t_netcon_ms\n")
        for i, ti in enumerate(interp):
            tn = netcon[i] if i < len(netcon) else float("nan")
            f.write("%d,%s,%s\n" % (i, repr(ti), repr(tn)))


# ----------------------------------------------------------------------------- fixtures

def _setup(mods):
    compile_mods(mods)
    load_mods(DEFAULT_BUILD)


def _one(name, amp, passive=False, tstop=FIX_TSTOP, builder="bmtk", extra=()):
    morph, fit, _ = resolve_cell(name)
    params = json.load(open(fit))
    if passive:
        params = passive_only_params(params)
    hobj = build_cell(morph, params, builder=builder)
    res = run(hobj, amp, FIX_DELAY, FIX_DURATION, tstop, dt=FIX_DT, record_extra=extra)
    res["summary"] = cell_summary(hobj)
    return res


def find_rheobase(name, lo=0.0, hi=1.0, tol=0.005, tstop=FIX_TSTOP):
    """Smallest amplitude (to tol nA) giving >= 1 spike during the 1 s step."""
    def nsp(a):
        return len(_one(name, a, tstop=tstop)["spikes_interp"])
    while nsp(hi) == 0:
        lo, hi = hi, hi * 2
    while hi - lo > tol:
        mid = 0.5 * (lo + hi)
        if nsp(mid) > 0:
            hi = mid
        else:
            lo = mid
    return hi


def make_fixtures(out_dir=FIXTURE_DIR, amps=None):
    import neuron
    import bmtk
    _setup(DEFAULT_MODS)
    os.makedirs(out_dir, exist_ok=True)
    amps = amps or FIX_AMPS
    manifest = {
        "generator": "tools/neuron_allen.py --make-fixtures",
        "neuron_version": neuron.__version__,
        "bmtk_version": bmtk.__version__,
        "builder": "bmtk (Biophys1.hoc + aibs_perisomatic + Morphology.set_segment_dl)",
        "protocol": {
            "dt_ms": FIX_DT, "delay_ms": FIX_DELAY, "duration_ms": FIX_DURATION, "tstop_ms": FIX_TSTOP,
            "v_init_mV": BMTK_V_INIT, "celsius_degC": BMTK_CELSIUS, "dL_um": BMTK_DL,
            "spike_threshold_mV": BMTK_SPIKE_THRESHOLD, "stim": "IClamp at soma[0](0.5)",
            "method": "fixed step, cvode off, secondorder=0, finitialize(v_init) then round(tstop/dt) fadvance()",
            "trace_every_steps": FIX_EVERY, "trace_until_ms": FIX_TRACE_MS,
            "spike_rule": "v[i-1] <= thr < v[i]; t_interp linear between steps; t_netcon = NEURON NetCon record (end of step i)",
        },
        "amps_nA": amps,
        "passive_amp_nA": FIX_PASSIVE_AMP,
        "rheobase_nA_approx": FIX_RHEOBASE,
        "cells": {},
    }
    for name in amps:
        entry = {"runs": []}
        morph, fit, _ = resolve_cell(name)
        geom = name + "_geometry.csv"
        write_geometry(os.path.join(out_dir, geom), neuron_geometry(build_cell(morph, json.load(open(fit)))))
        entry["geometry"] = geom
        entry["morphology"] = os.path.relpath(morph, REPO_ROOT)
        entry["fit"] = os.path.relpath(fit, REPO_ROOT)
        for label, amp in list(amps[name].items()) + [("passive", FIX_PASSIVE_AMP)]:
            passive = label == "passive"
            res = _one(name, amp, passive=passive)
            entry.setdefault("model", res["summary"])
            tag = "%s_%s" % (name, label)
            trace = tag + "_v.csv"
            spikes = tag + "_spikes.csv"
            write_trace(os.path.join(out_dir, trace), res["t"], res["v"], every=FIX_EVERY, t_max=FIX_TRACE_MS)
            write_spikes(os.path.join(out_dir, spikes), res["spikes_interp"], res["spikes_netcon"])
            if passive:
                entry["passive_model"] = res["summary"]
            entry["runs"].append({
                "label": label, "amp_nA": amp, "passive_only": passive,
                "trace": trace, "spikes": spikes,
                "n_spikes": len(res["spikes_interp"]),
                "spike_times_interp_ms": res["spikes_interp"],
                "spike_times_netcon_ms": res["spikes_netcon"],
                "v_final_mV": res["v"][-1],
                "v_at_delay_mV": res["v"][int(round(FIX_DELAY / FIX_DT))],
                "v_min_mV": min(res["v"]), "v_max_mV": max(res["v"]),
                "run_wall_s": round(res["wall_s"], 3), "run_cpu_s": round(res["cpu_s"], 3),
            })
            print("%-18s %-8s amp=%7.4f nA  spikes=%3d  v(delay)=%.4f  wall=%.2fs cpu=%.2fs" % (
                name, label, amp, len(res["spikes_interp"]), res["v"][int(round(FIX_DELAY / FIX_DT))],
                res["wall_s"], res["cpu_s"]), flush=True)
        manifest["cells"][name] = entry
    with open(os.path.join(out_dir, "manifest.json"), "w") as f:
        json.dump(manifest, f, indent=1)
        f.write("\n")
    # Tests/Fixtures keeps files over 64 KiB bzip2-compressed (<name>.bz2; the tests inflate them).
    import bz2
    for fn in sorted(os.listdir(out_dir)):
        path = os.path.join(out_dir, fn)
        if fn.endswith(".csv") and os.path.getsize(path) > 65536:
            with open(path, "rb") as src, bz2.open(path + ".bz2", "wb", compresslevel=9) as dst:
                dst.write(src.read())
            os.remove(path)


# ----------------------------------------------------------------------------- geometry without NEURON

def _f32(x):
    import struct
    return struct.unpack("f", struct.pack("f", x))[0]


def _f32_add(a, b):
    """float + float in single precision (C++ float arithmetic on x86-64 SSE)."""
    return _f32(a + b)   # exact double sum of two floats, then one rounding = IEEE single add


def _hoc_pt(x):
    """Import3d_GUI.instantiate writes pt3dadd(...) with sprint("%.8g"); hoc parses the text as a
    double and stor_pt3d stores it in a C float (struct Pt3d { float x, y, z, d; double arc; })."""
    return _f32(float("%.8g" % x))


def swc_sections(path):
    """Import3d_SWC_read + Import3d_GUI.instantiate for SWC files like the Allen ones (single-point
    soma, no 3-point soma, no multi-point soma): returns a list of dicts with name, type, parent
    index, parent_x, and the float32 3d points (x, y, z, d) before define_shape()."""
    ids, typ, X, Y, Z, D, pid = [], [], [], [], [], [], []
    for line in open(path):
        a = line.split()
        if len(a) != 7 or line.lstrip().startswith("#"):
            continue
        ids.append(int(float(a[0]))); typ.append(int(float(a[1])))
        X.append(float(a[2])); Y.append(float(a[3])); Z.append(float(a[4]))
        D.append(2.0 * float(a[5])); pid.append(int(float(a[6])))
    n = len(ids)
    off = ids[0]
    assert ids == list(range(off, off + n)), "ids must be sequential (Import3d would sort them)"
    idx = {i: k for k, i in enumerate(ids)}
    par = [idx[p] if p >= off else -1 for p in pid]
    # mark_branch (read_swc.hoc:282-350)
    nchild = [0.0] * n
    c2p = [0] * n
    for i in range(n):
        p = par[i]
        if p >= 0:
            nchild[p] += 1
            if p != i - 1:
                nchild[p] += .01
                if p > 1:
                    if typ[p] != 1 and typ[par[p]] == 1:
                        c2p[i] = 1
                        nchild[p] = 1
                elif p == 0:
                    if typ[p] != 1:
                        c2p[i] = 1
                        nchild[p] = 1
            if typ[p] != typ[i]:
                nchild[p] += .01
    # sectionify (read_swc.hoc:212-279)
    nchild_soma = [0] * n
    nsoma = 1 if typ[0] == 1 else 0
    for i in range(1, n):
        if typ[i] == 1:
            nsoma += 1
            if par[i] >= 0 and typ[par[i]] == 1:
                nchild_soma[par[i]] += 1
    assert nsoma == 1, "only single-point somas are reproduced here"
    for i in range(n - 1):
        if typ[i] == 1 and typ[i + 1] == 1 and par[i + 1] == i and not (i != 0 and nchild_soma[i] > 1):
            nchild[i] = 1
    sec2point = [i for i in range(n) if nchild[i] != 1]
    point2sec = [0] * n
    si = 0
    for i in range(1, n):
        if i > sec2point[si]:
            si += 1
        point2sec[i] = si
    # mksections / mksection (read_swc.hoc:352-455)
    secs = []
    first = 0
    bounds = []
    isec = 0
    for i in range(n):
        if point2sec[i] > isec:
            bounds.append((isec, first, i))
            isec += 1
            first = i
    bounds.append((isec, first, n))
    for isec, first, end in bounds:
        if isec == 0:
            pts = list(range(first, end))
            s = {"id": first, "pts": pts, "d": [D[k] for k in pts], "parent": None, "parentx": 1.0, "first": 0}
        else:
            pp = par[first]
            psec = point2sec[pp]
            pts = [pp] + list(range(first, end))
            s = {"id": first, "pts": pts, "d": [D[k] for k in pts], "parent": psec, "parentx": 1.0, "first": 0}
            ps = secs[psec]
            den_con_soma = ps["type"] == 1 and typ[first] != 1
            handled = False
            if psec == 0:
                handled = True
                if den_con_soma and len(ps["d"]) == 1:
                    s["parentx"] = 0.5
                    if end - first > 1:
                        s["first"] = 1
                elif pp == ps["id"]:
                    s["parentx"] = 0.0
                    if typ[first] != 1 and nchild_soma[pp] > 1:
                        s["first"] = 1
                else:
                    handled = False
            if not handled and ps["type"] == 1:
                raise NotImplementedError("multi-point soma connection")
        s["type"] = typ[first]
        if s["parent"] is not None and secs[s["parent"]]["type"] == 1 and s["type"] != 1:
            s["d"][0] = s["d"][1]
        if c2p[first]:
            s["parentx"] = 0.0
        secs.append(s)
    # chk_valid: one-point / zero-length non-root sections would be removed
    for s in secs[1:]:
        m = len(s["pts"]) - s["first"]
        assert m >= 2, "one point section (Import3d would remove it)"
    # instantiate (import3d_gui.hoc:1035-1140): names by type, 3d points from index `first`
    counters = {}
    out = []
    tname = {1: "soma", 2: "axon", 3: "dend", 4: "apic"}
    for k, s in enumerate(secs):
        t = s["type"]
        s["nameindex"] = counters.get(t, 0)
        counters[t] = s["nameindex"] + 1
    for k, s in enumerate(secs):
        t = s["type"]
        j = s["first"]
        xs = [X[p] for p in s["pts"]][j:]
        ys = [Y[p] for p in s["pts"]][j:]
        zs = [Z[p] for p in s["pts"]][j:]
        ds = s["d"][j:]
        if len(ds) == 1:
            # sphere_rep: 3-point cylinder along x, L = diam = 2r
            x0, y0, z0, d0 = xs[0], ys[0], zs[0], ds[0]
            xs, ys, zs, ds = [x0 - d0 / 2, x0, x0 + d0 / 2], [y0] * 3, [z0] * 3, [d0] * 3
        logical = None
        if s["first"] == 1:
            p0 = s["pts"][0]
            logical = [_hoc_pt(X[p0]), _hoc_pt(Y[p0]), _hoc_pt(Z[p0])]
        out.append({
            "name": "%s[%d]" % (tname[t], s["nameindex"]), "type": t,
            "parent": s["parent"], "parentx": s["parentx"], "logical": logical,
            "pt": [[_hoc_pt(a), _hoc_pt(b), _hoc_pt(c), _hoc_pt(e)] for a, b, c, e in zip(xs, ys, zs, ds)],
        })
    return out


def _arcs(pt):
    arc = [0.0]
    for i in range(1, len(pt)):
        # float - float is exact here (Sterbenz) or rounded in float; then squared in double
        t1 = _f32(pt[i][0] - pt[i - 1][0])
        t2 = _f32(pt[i][1] - pt[i - 1][1])
        t3 = _f32(pt[i][2] - pt[i - 1][2])
        arc.append(arc[-1] + math.sqrt(t1 * t1 + t2 * t2 + t3 * t3))
    return arc


def _diam_from_list(pt, arc, nseg, ra):
    """treeset.cpp diam_from_list: per segment (area um2, left-half R, right-half R in MOhm, mean diam)."""
    npt = len(pt)
    L = arc[-1]
    ds = L / nseg
    j = 0
    x1, y1 = arc[0], abs(pt[0][3])
    res = []
    for inode in range(nseg):
        si = inode * ds
        diam = area = 0.0
        halves = []
        for ihalf in range(2):
            ri = 0.0
            sip = si + ds / 2.0
            while True:
                jp = j + 1
                xj, xjp = arc[j], arc[jp]
                if xjp > sip or jp == npt - 1:
                    frac = 1.0 if abs(xjp - xj) < 1e-10 else (sip - xj) / (xjp - xj)
                    x2 = sip
                    y2 = (1.0 - frac) * abs(pt[j][3]) + frac * abs(pt[jp][3])
                    jnext = j
                else:
                    x2 = xjp
                    y2 = abs(pt[jp][3])
                    jnext = jp
                delta = x2 - x1
                diam += (y2 + y1) * delta
                if delta < 1e-15:
                    delta = 1e-15
                temp = y2 * y1 / delta
                if temp == 0:
                    temp = 1e-15
                ri += 1 / temp
                temp = .5 * (y2 - y1)
                temp = math.sqrt(delta * delta + temp * temp)
                area += (y2 + y1) * temp
                x1, y1 = x2, y2
                if j == jnext:
                    break
                j = jnext
            halves.append(ri * ra / math.pi * (4. * .01))
            si = sip
        res.append((area * .5 * math.pi, halves[0], halves[1], diam * .5 / ds))
    return res


def allen_geometry(swc, params, dL=BMTK_DL, translate=True):
    """The discretised bmtk/NEURON cell without NEURON: sections (Import3d rules), axon replaced by
    the perisomatic stub, define_shape() translation (float32), nseg = 1 + 2*int(L/(2*dL)),
    and per node area / ri exactly as treeset.cpp computes them. Returns a list of node rows."""
    secs = [s for s in swc_sections(swc)]
    # fix_axon_peri: delete type-2 sections, add axon[0] (soma(0.5)) and axon[1] (axon[0](1))
    keep = [k for k, s in enumerate(secs) if s["type"] != 2]
    remap = {old: new for new, old in enumerate(keep)}
    secs = [dict(secs[k], parent=(remap[secs[k]["parent"]] if secs[k]["parent"] is not None else None)) for k in keep]
    for s in secs:
        s["L"] = None
    secs.append({"name": "axon[0]", "type": 2, "parent": 0, "parentx": 0.5, "logical": None, "pt": None, "L": 30.0, "diam": 1.0})
    secs.append({"name": "axon[1]", "type": 2, "parent": len(secs) - 1, "parentx": 1.0, "logical": None, "pt": None, "L": 30.0, "diam": 1.0})
    # define_shape (treeset.cpp nrn_define_shape / nrn_translate_shape), parents before children
    for k, s in enumerate(secs):
        if s["parent"] is None:
            continue
        ps = secs[s["parent"]]
        arc1 = s["parentx"]
        x = _f32(ps["pt"][-1][0] * arc1 + ps["pt"][0][0] * (1 - arc1))
        y = _f32(ps["pt"][-1][1] * arc1 + ps["pt"][0][1] * (1 - arc1))
        z = _f32(ps["pt"][-1][2] * arc1 + ps["pt"][0][2] * (1 - arc1))
        if s["pt"] is not None:
            if not translate:
                continue
            if s["logical"] is not None:
                p = s["logical"]
                dx, dy, dz = _f32(x - p[0]), _f32(y - p[1]), _f32(z - p[2])
                s["logical"] = [x, y, z]
            else:
                dx, dy, dz = _f32(x - s["pt"][0][0]), _f32(y - s["pt"][0][1]), _f32(z - s["pt"][0][2])
            s["pt"] = [[_f32_add(q[0], dx), _f32_add(q[1], dy), _f32_add(q[2], dz), q[3]] for q in s["pt"]]
        else:
            # a section without 3d points gets nnode+1 points along a line, diam = its diam, and the
            # last arc forced to L; only L and diam matter for area/ri (the direction does not).
            s["pt"] = [[x, y, z, 1.0], [x, y, z, 1.0], [x, y, z, 1.0]]
    passive = params["passive"][0]
    cm = {c["section"]: c["cm"] for c in passive["cm"]}
    rows = []
    tname = {1: "soma", 2: "axon", 3: "dend", 4: "apic"}
    for k, s in enumerate(secs):
        if s["L"] is None:
            arc = _arcs(s["pt"])
            L = arc[-1]
        else:
            L = s["L"]
            arc = [0.0, L / 2, L]
        nseg = 1 + 2 * int(L / (2 * dL))
        geo = _diam_from_list(s["pt"], arc, nseg, passive["ra"])
        s["nseg"], s["Lc"] = nseg, L
        prev_right = 0.0
        for i, (area, rl, rr, diam) in enumerate(geo):
            rows.append({"sec": k, "name": s["name"], "type": tname[s["type"]],
                         "parent": secs[s["parent"]]["name"] if s["parent"] is not None else "",
                         "parent_x": s["parentx"] if s["parent"] is not None else 0.0,
                         "nseg": nseg, "L": L, "Ra": passive["ra"], "cm": cm[tname[s["type"]]],
                         "seg": i, "x": (i + 0.5) / nseg, "area": area, "ri": prev_right + rl, "diam": diam})
            prev_right = rr
        rows.append({"sec": k, "name": s["name"], "type": tname[s["type"]],
                     "parent": secs[s["parent"]]["name"] if s["parent"] is not None else "",
                     "parent_x": s["parentx"] if s["parent"] is not None else 0.0,
                     "nseg": nseg, "L": L, "Ra": passive["ra"], "cm": cm[tname[s["type"]]],
                     "seg": nseg, "x": 1.0, "area": 0.0, "ri": prev_right, "diam": geo[-1][3]})
    return rows


def neuron_geometry(hobj):
    """Per node rows from the NEURON cell, same layout as allen_geometry (x=1 end node included)."""
    rows = []
    for k, s in enumerate(hobj.all):
        ps = s.parentseg()
        base = {"sec": k, "name": s.name().split(".")[1], "type": _sec_type(s),
                "parent": ps.sec.name().split(".")[1] if ps is not None else "",
                "parent_x": ps.x if ps is not None else 0.0, "nseg": s.nseg, "L": s.L,
                "Ra": s.Ra, "cm": s.cm}
        for i, seg in enumerate(s):
            rows.append(dict(base, seg=i, x=seg.x, area=seg.area(), ri=seg.ri(), diam=seg.diam))
        end = s(1.0)
        rows.append(dict(base, seg=s.nseg, x=1.0, area=end.area(), ri=end.ri(), diam=s(1.0 - 1e-9).diam))
    return rows


GEOMETRY_COLUMNS = ["sec", "name", "type", "parent", "parent_x", "nseg", "L", "Ra", "cm",
                    "seg", "x", "area", "ri", "diam"]


def write_geometry(path, rows):
    with open(path, "w") as f:
        f.write(",".join(c + u for c, u in zip(GEOMETRY_COLUMNS, ["", "", "", "", "", "", "_um", "_ohm_cm",
                                                                    "_uF_cm2", "", "", "_um2", "_MOhm", "_um"])) + "\n")
        for r in rows:
            f.write(",".join(repr(r[c]) if isinstance(r[c], float) else str(r[c]) for c in GEOMETRY_COLUMNS) + "\n")


def check_geometry(translate=True, verbose=True):
    _setup(DEFAULT_MODS)
    worst_all = 0.0
    for name in load_cells()["cells"]:
        morph, fit, _ = resolve_cell(name)
        params = json.load(open(fit))
        a = allen_geometry(morph, params, translate=translate)
        b = neuron_geometry(build_cell(morph, params))
        assert len(a) == len(b), (len(a), len(b))
        worst = {}
        amap = {(r["name"], r["seg"]): r for r in a}
        for rb in b:
            ra = amap[(rb["name"], rb["seg"])]
            assert ra["name"] == rb["name"] and ra["nseg"] == rb["nseg"], (ra, rb)
            assert ra["parent"] == rb["parent"] and abs(ra["parent_x"] - rb["parent_x"]) < 1e-12, (ra, rb)
            for c in ("L", "area", "ri"):
                va, vb = ra[c], rb[c]
                if c == "area" and rb["seg"] == rb["nseg"]:
                    continue
                rel = abs(va - vb) / max(abs(vb), 1e-300)
                if rel > worst.get(c, (0, None))[0]:
                    worst[c] = (rel, rb["name"], rb["seg"])
        worst_all = max([worst_all] + [w[0] for w in worst.values()])
        if verbose:
            print("%-18s nodes=%d  max rel diff vs NEURON: %s" % (
                name, len(b), "  ".join("%s %.2e (%s seg %d)" % (c, w[0], w[1], w[2]) for c, w in sorted(worst.items()))))
    return worst_all


# ----------------------------------------------------------------------------- CLI

def check_builders():
    _setup(DEFAULT_MODS)
    ok = True
    for name in load_cells()["cells"]:
        morph, fit, _ = resolve_cell(name)
        params = json.load(open(fit))
        for variant, p in (("full", params), ("passive", passive_only_params(params))):
            a = cell_fingerprint(build_cell(morph, p, builder="bmtk"))
            b = cell_fingerprint(build_cell(morph, p, builder="replica"))
            same = a == b
            ok &= same
            print("%-18s %-8s bmtk vs replica: %s (%d sections)" % (name, variant, "identical" if same else "DIFFERENT", len(a)))
    return ok


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--cell", help="name from examples/allen/cells.json")
    ap.add_argument("--morphology", help="SWC file (instead of --cell)")
    ap.add_argument("--fit", help="*_fit.json (instead of --cell)")
    ap.add_argument("--mods", help="directory of .mod files (default examples/allen/mechanisms)")
    ap.add_argument("--build-dir", default=DEFAULT_BUILD, help="nrnivmodl build directory (outside git)")
    ap.add_argument("--builder", choices=("bmtk", "replica"), default="bmtk")
    ap.add_argument("--amp", type=float, default=0.0, help="IClamp amplitude (nA)")
    ap.add_argument("--delay", type=float, default=FIX_DELAY, help="IClamp delay (ms)")
    ap.add_argument("--duration", type=float, default=FIX_DURATION, help="IClamp duration (ms)")
    ap.add_argument("--tstop", type=float, help="default delay+duration+100")
    ap.add_argument("--dt", type=float, default=0.025)
    ap.add_argument("--v-init", default=str(BMTK_V_INIT),
                    help="mV, or 'fit' for the fit json's conditions v_init (AllenSDK's choice); default -80 (bmtk)")
    ap.add_argument("--celsius", default=str(BMTK_CELSIUS), help="degC or 'fit'; default 34 (bmtk)")
    ap.add_argument("--dL", type=float, default=BMTK_DL, help="bmtk run.dL (um); nseg = 1+2*int(L/(2*dL))")
    ap.add_argument("--threshold", type=float, default=BMTK_SPIKE_THRESHOLD, help="spike threshold (mV)")
    ap.add_argument("--passive-only", action="store_true", help="only pas + cm + Ra + e_pas")
    ap.add_argument("--no-tables", action="store_true", help="usetable_<suffix> = 0 for all mechanisms")
    ap.add_argument("--every", type=int, default=1, help="write every N-th step")
    ap.add_argument("--record", default="", help="comma list of extra soma(0.5) variables, e.g. cai,eca")
    ap.add_argument("--out", help="voltage CSV (t_ms,v_mV[,extra])")
    ap.add_argument("--spikes", help="spike CSV")
    ap.add_argument("--fmt", default="%.6f")
    ap.add_argument("--make-fixtures", action="store_true", help="regenerate Tests/Fixtures/allen/")
    ap.add_argument("--find-rheobase", action="store_true", help="bisect the 1 s step rheobase of --cell")
    ap.add_argument("--check-builders", action="store_true", help="bmtk vs replica builder, all cells")
    ap.add_argument("--summary", action="store_true", help="print the cell summary as JSON")
    ap.add_argument("--check-geometry", action="store_true",
                    help="compare the NEURON-free geometry (Import3d rules, define_shape, treeset.cpp) with NEURON")
    ap.add_argument("--no-translate", action="store_true", help="with --check-geometry: skip define_shape's float32 shift")
    ap.add_argument("--geometry", help="write per-node geometry CSV of the cell (NEURON's values)")
    args = ap.parse_args()

    if args.make_fixtures:
        make_fixtures()
        return
    if args.check_builders:
        sys.exit(0 if check_builders() else 1)
    if args.check_geometry:
        worst = check_geometry(translate=not args.no_translate)
        print("worst relative difference: %.3e" % worst)
        sys.exit(0 if worst < 1e-9 else 1)

    if args.cell:
        morph, fit, mods = resolve_cell(args.cell)
    else:
        if not (args.morphology and args.fit):
            ap.error("need --cell or --morphology and --fit")
        morph, fit, mods = args.morphology, args.fit, DEFAULT_MODS
    if args.mods:
        mods = args.mods
    compile_mods(mods, args.build_dir, quiet=False)
    load_mods(args.build_dir)

    if args.find_rheobase:
        print("rheobase %s: %.4f nA" % (args.cell, find_rheobase(args.cell)))
        return

    params = json.load(open(fit))
    v_init = params["conditions"][0]["v_init"] if args.v_init == "fit" else float(args.v_init)
    celsius = params["conditions"][0]["celsius"] if args.celsius == "fit" else float(args.celsius)
    if args.passive_only:
        params = passive_only_params(params)
    tstop = args.tstop if args.tstop is not None else args.delay + args.duration + 100.0

    hobj = build_cell(morph, params, builder=args.builder, dL=args.dL)
    summ = cell_summary(hobj)
    extra = [x for x in args.record.split(",") if x]
    res = run(hobj, args.amp, args.delay, args.duration, tstop, dt=args.dt, v_init=v_init,
              celsius=celsius, threshold=args.threshold, no_tables=args.no_tables, record_extra=extra)
    print("cell: %s  sections=%d  total_nseg=%d  soma L=%.4f diam=%.4f area=%.4f um2" % (
        os.path.basename(morph), summ["n_sections"], summ["total_nseg"],
        summ["soma"]["L"], summ["soma"]["diam"], summ["soma"]["area_um2"]))
    print("run: amp=%g nA delay=%g dur=%g tstop=%g dt=%g v_init=%g celsius=%g steps=%d" % (
        args.amp, args.delay, args.duration, tstop, args.dt, v_init, celsius, res["nsteps"]))
    print("spikes (thr %g mV): %d  first: %s" % (args.threshold, len(res["spikes_interp"]),
                                                 ", ".join("%.4f" % x for x in res["spikes_interp"][:5])))
    print("time: wall %.3f s, cpu %.3f s (fadvance loop only)" % (res["wall_s"], res["cpu_s"]))
    if args.summary:
        print(json.dumps(summ, indent=1))
    if args.out:
        write_trace(args.out, res["t"], res["v"], every=args.every, fmt=args.fmt, extra=res["extra"])
    if args.spikes:
        write_spikes(args.spikes, res["spikes_interp"], res["spikes_netcon"])
    if args.geometry:
        write_geometry(args.geometry, neuron_geometry(hobj))


if __name__ == "__main__":
    main()
