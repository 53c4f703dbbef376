"""TVB 2.10's PreSigmoidal coupling (static threshold) on the Generic2dOscillator reference case.

Same case as hyperbolic_tangent.py (tvb-data's connectivity_76 as read, speed 3 mm/ms,
Generic2dOscillator with TVB's defaults, HeunDeterministic dt = 1/16 ms, constant initial history
V = 0.1 sin(i), W = 0, 500 ms), with the coupling PreSigmoidal(H=0.02, Q=1.1, G=2.5, P=1.2,
theta=0.3, dynamic=False):
    c_i = sum_j W[i,j] * H * (Q + tanh(G * (P * V_j(t - tau_ij) - theta))).

TVB 2.10's PreSigmoidal.__call__ sums its products over the target axis (axis 0 of
g_ij.transpose((2, 1, 0, 3)) * A_j, where every other coupling sums the source axis 2), so region
i receives sum_j W[j,i] S(V_i(t - tau_ji)), its own delayed state; the class carries "TODO check
use of arrays dims". The reference is therefore TVB's class with only that corrected: its pre()
is TVB's static-threshold expression, summed as TVB's Coupling.__call__ sums (float32 history
and weights, the product and sum over the source axis), post() the identity. The script also
prints how far TVB's unmodified class is from it.

Writes ../../Tests/Fixtures/pre_sigmoidal_g2d_V_5ms.csv: time_ms + V of the 76 regions (region
labels as header), every 80th step (t = 5, 10, ..., 500 ms), %.17e.

Run: /opt/tvbvenv/bin/python tools/tvb_reference/pre_sigmoidal.py   (~3 s; deterministic)
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
PARAMS = dict(H=0.02, Q=1.1, G=2.5, P=1.2, theta=0.3)


class PreSigmoidalSourceAxis(coupling.PreSigmoidal):
    """TVB's static-threshold PreSigmoidal, summed over the source axis by Coupling.__call__."""

    def pre(self, x_i, x_j):
        return self.H * (self.Q + np.tanh(self.G * (self.P * x_j - self.theta[self.sliceT, np.newaxis])))

    def post(self, gx):
        return gx

    def __call__(self, step, history):
        return coupling.Coupling.__call__(self, step, history)


def run(coupling_class):
    conn = connectivity.Connectivity.from_file("connectivity_76.zip")
    conn.speed = np.array([SPEED])
    conn.configure()
    n = conn.number_of_regions
    sim = simulator.Simulator(
        model=models.Generic2dOscillator(), connectivity=conn,
        coupling=coupling_class(dynamic=False, **{k: np.array([v]) for k, v in PARAMS.items()}),
        integrator=integrators.HeunDeterministic(dt=DT),
        monitors=(monitors.Raw(),), simulation_length=T_END)
    sim.configure()
    ic = np.zeros(sim.good_history_shape)
    ic[:, 0, :, 0] = 0.1 * np.sin(np.arange(n))[None, :]
    sim.initial_conditions = ic
    sim.configure()
    sim.current_step = 0
    (t, y), = sim.run()
    return conn, t, y[:, 0, :, 0]


def main():
    conn, t, V = run(PreSigmoidalSourceAxis)
    n = conn.number_of_regions
    assert V.shape == (int(round(T_END / DT)), n)
    assert np.allclose(t, DT * np.arange(1, V.shape[0] + 1))
    _, _, V_tvb = run(coupling.PreSigmoidal)
    print(f"TVB 2.10's unmodified PreSigmoidal (target-axis sum) differs by up to {np.abs(V_tvb - V).max():.3g} in V")
    rows = np.column_stack([t, V])[EVERY - 1::EVERY]
    OUT.mkdir(parents=True, exist_ok=True)
    path = OUT / "pre_sigmoidal_g2d_V_5ms.csv"
    np.savetxt(path, rows, delimiter=",", header=",".join(["time_ms"] + [str(l) for l in conn.region_labels]),
               comments="", fmt="%.17e")
    print(f"{path.name}: {rows.shape[0]} samples x {n} regions, V in [{V.min():.4f}, {V.max():.4f}]")


if __name__ == "__main__":
    main()
