"""NEURON 9 reference for Plexus's Ih mechanism (Sources/PlexusCable/Mechanisms/Ih.swift).

A single-compartment soma (cylinder 20 x 20 um, cm 1 uF/cm2, nseg 1) with the Ih of Ih.mod
(Kole et al. 2006 / Hay et al. 2011), dt 0.025 ms, fixed step (secondorder 0), 6.3 degC,
V_init -70 mV; written every 0.1 ms (every fourth step):

  pas_ih  pas (g 5e-5 S/cm2, e -70 mV) + Ih (gIhbar 2e-4 S/cm2, ehcn -45 mV); IClamp -0.05 nA
          from 50 ms for 200 ms; 400 ms. The sag during the hyperpolarising step and the
          rebound after it are Ih's.
  hh_ih   hh (NEURON's defaults, usetable_hh 0) + Ih (gIhbar 1e-3 S/cm2); IClamp -0.1 nA from 20 ms for
          100 ms; 200 ms. Ih depolarises the cell past rest and it fires after the release.

Writes Tests/Fixtures/ih_soma.csv: t_ms, then v (mV) and Ih's m of each case.
Run from the repository root with a Python that has neuron==9.0.2 (pip install neuron==9.0.2):
  python3 tools/neuron_reference/ih_reference.py
It compiles Ih.mod with nrnivmodl in a temporary folder.
"""
import csv
import os
import shutil
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
OUT = os.path.join(REPO, "Tests", "Fixtures", "ih_soma.csv")


def compile_mechanism():
    work = tempfile.mkdtemp(prefix="plexus-ih-")
    shutil.copy(os.path.join(HERE, "Ih.mod"), work)
    nrnivmodl = os.path.join(os.path.dirname(sys.executable), "nrnivmodl")
    subprocess.run([nrnivmodl if os.path.exists(nrnivmodl) else "nrnivmodl", "."], cwd=work, check=True,
                   stdout=subprocess.DEVNULL)
    return work


def run(h, case):
    soma = h.Section(name=f"soma_{case}")
    soma.L = soma.diam = 20
    soma.nseg = 1
    soma.cm = 1
    soma.Ra = 100
    soma.insert("Ih")
    if case == "pas_ih":
        soma.insert("pas")
        soma(0.5).pas.g = 5e-5
        soma(0.5).pas.e = -70
        soma(0.5).Ih.gIhbar = 2e-4
        delay, duration, amplitude, tstop = 50, 200, -0.05, 400
    else:
        soma.insert("hh")
        soma(0.5).Ih.gIhbar = 1e-3
        delay, duration, amplitude, tstop = 20, 100, -0.1, 200
    soma(0.5).Ih.ehcn = -45
    stim = h.IClamp(soma(0.5))
    stim.delay, stim.dur, stim.amp = delay, duration, amplitude
    t, v, m = h.Vector(), h.Vector(), h.Vector()
    t.record(h._ref_t)
    v.record(soma(0.5)._ref_v)
    m.record(soma(0.5).Ih._ref_m)
    h.dt = 0.025
    h.steps_per_ms = 40
    h.secondorder = 0
    h.celsius = 6.3
    h.usetable_hh = 0   # exact hh rates, as Plexus and Arbor compute them
    h.finitialize(-70)
    h.continuerun(tstop)
    return list(t), list(v), list(m)


def main():
    work = compile_mechanism()
    from neuron import h, load_mechanisms
    load_mechanisms(work)
    h.load_file("stdrun.hoc")
    a = run(h, "pas_ih")
    b = run(h, "hh_ih")
    os.makedirs(os.path.dirname(OUT), exist_ok=True)
    with open(OUT, "w", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(["t_ms", "v_pas_ih", "m_pas_ih", "v_hh_ih", "m_hh_ih"])
        for k in range(0, len(a[0]), 4):
            row = [a[0][k], a[1][k], a[2][k]]
            row += [b[1][k], b[2][k]] if k < len(b[0]) else ["", ""]
            w.writerow([repr(x) if isinstance(x, float) else x for x in row])
    shutil.rmtree(work, ignore_errors=True)
    print(f"wrote {OUT}: {len(a[0]) // 4 + 1} rows; pas_ih v {min(a[1]):.3f}..{max(a[1]):.3f} mV; "
          f"hh_ih v {min(b[1]):.3f}..{max(b[1]):.3f} mV")


if __name__ == "__main__":
    main()
