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
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from hyperbolic_tangent import coupling, run_g2d, write_fixture  # noqa: E402  (TVB and the G2D case)

PARAMS = dict(H=0.02, Q=1.1, G=2.5, P=1.2, theta=0.3)


class PreSigmoidalSourceAxis(coupling.PreSigmoidal):
    """TVB's static-threshold PreSigmoidal, summed over the source axis by Coupling.__call__."""

    def pre(self, x_i, x_j):
        return self.H * (self.Q + np.tanh(self.G * (self.P * x_j - self.theta[self.sliceT, np.newaxis])))

    def post(self, gx):
        return gx

    def __call__(self, step, history):
        return coupling.Coupling.__call__(self, step, history)


def main():
    params = {k: np.array([v]) for k, v in PARAMS.items()}
    conn, t, V = run_g2d(PreSigmoidalSourceAxis(dynamic=False, **params))
    _, _, V_tvb = run_g2d(coupling.PreSigmoidal(dynamic=False, **params))
    print(f"TVB 2.10's unmodified PreSigmoidal (target-axis sum) differs by up to {np.abs(V_tvb - V).max():.3g} in V")
    write_fixture("pre_sigmoidal_g2d_V_5ms.csv", conn, t, V)


if __name__ == "__main__":
    main()
