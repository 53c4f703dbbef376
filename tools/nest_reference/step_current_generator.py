"""NEST 3.10 references for step_current_generator (piecewise-constant current).

Cases, each one neuron driven by one step_current_generator, resolution 0.1 ms, one thread,
100 ms; V_m by a multimeter every 0.1 ms and the spike times:
  alpha_window  iaf_psc_alpha; five amplitude changes on the grid (one before start, a negative
                one, the last back to 0), start 10 ms, stop 80 ms; weight 1, delay 1 ms
  cond_offgrid  iaf_cond_exp; allow_offgrid_times with times between grid points (each moves to
                the end of its step), origin 5 ms, start 3 ms, stop 60 ms (so active in
                (8, 65] ms, with a change after the window); weight 1.5, delay 2 ms
  alpha_dense   iaf_psc_alpha; changes in three consecutive steps and then every 0.5 ms up to
                60 ms (a sampled sine); no window; weight 1, delay 0.1 ms
The amplitude times are absolute (origin shifts only start and stop). The current takes its
value in the step ending at the change time (NEST sets it one step ahead) and the generator
sends only while origin + start < t + 2 steps <= origin + stop.

Run: OMP_WAIT_POLICY=PASSIVE /opt/nestvenv/bin/python tools/nest_reference/step_current_generator.py
Output: Tests/Fixtures/step_current_generator.json (each case's neuron model, generator
parameters, weight, delay and spike times) and Tests/Fixtures/step_current_generator_vm.csv
(time_ms, then V_m of each case).
"""
import json
import math
import os

import nest

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.normpath(os.path.join(HERE, "..", "..", "Tests", "Fixtures"))
T_SIM = 100.0

DENSE_TIMES = [1.0, 1.1, 1.2] + [round(2.0 + 0.5 * k, 1) for k in range(117)]
CASES = {
    "alpha_window": dict(
        model="iaf_psc_alpha", weight=1.0, delay=1.0,
        generator=dict(amplitude_times=[5.0, 20.0, 40.3, 55.5, 70.0],
                       amplitude_values=[200.0, 650.0, -100.0, 1000.0, 0.0],
                       start=10.0, stop=80.0)),
    "cond_offgrid": dict(
        model="iaf_cond_exp", weight=1.5, delay=2.0,
        generator=dict(allow_offgrid_times=True,
                       amplitude_times=[3.33, 12.01, 30.05, 47.5, 61.26, 70.0],
                       amplitude_values=[150.0, 600.0, -50.0, 900.0, 300.0, 700.0],
                       origin=5.0, start=3.0, stop=60.0)),
    "alpha_dense": dict(
        model="iaf_psc_alpha", weight=1.0, delay=0.1,
        generator=dict(amplitude_times=DENSE_TIMES,
                       amplitude_values=[round(450.0 + 350.0 * math.sin(t / 5.0), 3) for t in DENSE_TIMES])),
}


def run(case):
    nest.set_verbosity("M_ERROR")
    nest.ResetKernel()
    nest.SetKernelStatus({"resolution": 0.1, "local_num_threads": 1})
    n = nest.Create(case["model"])
    g = nest.Create("step_current_generator", params=case["generator"])
    nest.Connect(g, n, syn_spec={"weight": case["weight"], "delay": case["delay"]})
    mm = nest.Create("multimeter", params={"record_from": ["V_m"], "interval": 0.1})
    sr = nest.Create("spike_recorder")
    nest.Connect(mm, n)
    nest.Connect(n, sr)
    # The multimeter's samples reach it one min_delay late: run 1 ms longer, keep t <= T_SIM.
    nest.Simulate(T_SIM + 1.0)
    ev = mm.get("events")
    vm = [(float(t), float(v)) for t, v in zip(ev["times"], ev["V_m"]) if t <= T_SIM + 1e-9]
    spikes = sorted(float(t) for t in sr.get("events")["times"] if t <= T_SIM + 1e-9)
    # The times as NEST stored them (off-grid ones moved to the end of their step).
    stored = [float(t) for t in g.get("amplitude_times")]
    return vm, spikes, stored


def main():
    os.makedirs(OUT, exist_ok=True)
    meta = {"resolution_ms": 0.1, "duration_ms": T_SIM, "nest_version": nest.__version__, "cases": {}}
    columns, times = [], None
    for name, case in CASES.items():
        vm, spikes, stored = run(case)
        times = [t for t, _ in vm]
        columns.append((name, [v for _, v in vm]))
        meta["cases"][name] = dict(case, spikes=spikes, nest_amplitude_times=stored)
        print(f"{name}: {len(spikes)} spikes, amplitude times as stored {stored[:6]}")
    with open(os.path.join(OUT, "step_current_generator_vm.csv"), "w") as f:
        f.write("time_ms," + ",".join(c for c, _ in columns) + "\n")
        for r, t in enumerate(times):
            f.write(f"{t!r}," + ",".join(repr(v[r]) for _, v in columns) + "\n")
    with open(os.path.join(OUT, "step_current_generator.json"), "w") as f:
        json.dump(meta, f, indent=1)


if __name__ == "__main__":
    main()
