"""TVB 2.10's HyperbolicTangent coupling on the Generic2dOscillator reference case.

Same case as ../../shared/peers/tvb/reference_g2d.py (tvb-data's connectivity_76 as read, speed
3 mm/ms, Generic2dOscillator with TVB's defaults, HeunDeterministic dt = 1/16 ms, constant initial
history V = 0.1 sin(i), W = 0, 500 ms), with the coupling replaced by
HyperbolicTangent(a=0.0152, b=0.8, midpoint=0.1, sigma=1.5):
    c_i = sum_j W[i,j] * a * (1 + tanh((b * V_j(t - tau_ij) - midpoint) / sigma)).

Writes ../../Tests/Fixtures/hyperbolic_tangent_g2d_V_5ms.csv: time_ms + V of the 76 regions
(region labels as header), every 80th step (t = 5, 10, ..., 500 ms), %.17e.

Run: /opt/tvbvenv/bin/python tools/tvb_reference/hyperbolic_tangent.py   (~2 s; deterministic)
"""
import logging
import warnings
from pathlib import Path

import numpy as np

warnings.filterwarnings("ignore")
for name in ("tvb", "tvb.simulator", "tvb.basic", "tvb.datatypes"):
    logging.getLogger(name).setLevel(logging.ERROR)
from tvb.simulator.lab import connectivity, coupling, integrators, models, monitors, simulator  # noqa: E402

OUT = Path(__file__).resolve().parent / ".." / ".." / "Tests" / "Fixtures"
DT = 2.0 ** -4
SPEED = 3.0
T_END = 500.0
EVERY = 80  # steps: 5 ms
PARAMS = dict(a=0.0152, b=0.8, midpoint=0.1, sigma=1.5)


def run_g2d(cpl):
    """The G2D reference case with coupling `cpl`: (connectivity, Raw times, V of shape (steps, regions))."""
    # The connectivity exactly as TVB reads it; the speed set on the connectivity (the simulator's
    # conduction_speed is not propagated in TVB 2.10).
    conn = connectivity.Connectivity.from_file("connectivity_76.zip")
    conn.speed = np.array([SPEED])
    conn.configure()
    n = conn.number_of_regions
    sim = simulator.Simulator(
        model=models.Generic2dOscillator(), connectivity=conn, coupling=cpl,
        integrator=integrators.HeunDeterministic(dt=DT),
        monitors=(monitors.Raw(),), simulation_length=T_END)
    # Constant initial history, then the step counter reset to 0 (as tvbref_common.configure_with_ic):
    # the first step is step 1 and Raw's times are k*dt.
    sim.configure()
    ic = np.zeros(sim.good_history_shape)
    ic[:, 0, :, 0] = 0.1 * np.sin(np.arange(n))[None, :]
    sim.initial_conditions = ic
    sim.configure()
    sim.current_step = 0
    (t, y), = sim.run()
    V = y[:, 0, :, 0]
    assert V.shape == (int(round(T_END / DT)), n)
    assert np.allclose(t, DT * np.arange(1, V.shape[0] + 1))
    return conn, t, V


def write_fixture(name, conn, t, V):
    """time_ms + V of every region (labels as header), every EVERY-th step, %.17e, into Tests/Fixtures/name."""
    rows = np.column_stack([t, V])[EVERY - 1::EVERY]
    OUT.mkdir(parents=True, exist_ok=True)
    path = OUT / name
    np.savetxt(path, rows, delimiter=",", header=",".join(["time_ms"] + [str(l) for l in conn.region_labels]),
               comments="", fmt="%.17e")
    print(f"{path.name}: {rows.shape[0]} samples x {V.shape[1]} regions, V in [{V.min():.4f}, {V.max():.4f}]")


def main():
    cpl = coupling.HyperbolicTangent(**{k: np.array([v]) for k, v in PARAMS.items()})
    write_fixture("hyperbolic_tangent_g2d_V_5ms.csv", *run_g2d(cpl))


if __name__ == "__main__":
    main()
