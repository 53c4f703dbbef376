#!/usr/bin/env python3
"""vbjax 0.0.19's delayed MontbrioPazoRoxin network, the case of bench/mass_batch_bench.py: a
generation of candidates (a grid of coupling a x eta) on tvb-data's connectivity_76 at 3 mm/ms,
stochastic Heun at dt 0.1 ms (vbjax's make_sdde: its buffer holds the whole run), 1000 ms.

Run one by one (one jitted simulation per point) and as one jax.vmap over all points. Prints
network steps per second per core (points x steps / CPU seconds of the simulations, jit
compilation excluded and reported apart), like mass_batch_bench.py prints Plexus's. vbjax works in
float32 (jax's default); the delayed coupling gathers x_j(t - d_ij) over the nonzero weights and
sums them with segment_sum. The numbers are not compared with Plexus's (another noise stream and
precision); this measures throughput only.

    /opt/vbvenv/bin/python bench/vbjax_mpr.py --zip <tvb_data>/connectivity/connectivity_76.zip [--points 64] [--json FILE]
(venv: pip install vbjax==0.0.19 'jax[cpu]' tqdm)
"""
import argparse, io, json, os, sys, time, zipfile

import numpy as np


def connectome(path):
    with zipfile.ZipFile(path) as z:
        def read(name):
            member = next(m for m in z.namelist() if os.path.basename(m) == name)
            return np.loadtxt(io.StringIO(z.read(member).decode()))
        return read("weights.txt"), read("tract_lengths.txt")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--zip", required=True)
    ap.add_argument("--points", type=int, default=64)
    ap.add_argument("--duration-ms", type=float, default=1000.0)
    ap.add_argument("--json")
    args = ap.parse_args()
    import jax, jax.numpy as jnp
    import vbjax as vb

    dt, speed = 0.1, 3.0
    weights, lengths = connectome(args.zip)
    n = weights.shape[0]
    lags = np.rint(lengths / speed / dt).astype(np.int32)
    rows, cols = np.nonzero(weights)
    w, lag = jnp.array(weights[rows, cols]), jnp.array(lags[rows, cols])
    rows_j, cols_j = jnp.array(rows), jnp.array(cols)
    nh = int(lags[rows, cols].max())
    steps = int(round(args.duration_ms / dt))
    side = int(round(np.sqrt(args.points)))
    grid = [(a, eta) for a in np.linspace(0.001, 0.008, side) for eta in np.linspace(-5, -3.6, side)][:args.points]

    def dfun(buf, rv, t, p):
        a, eta = p
        delayed = buf[t - lag, 0, cols_j]
        c = a * jax.ops.segment_sum(w * delayed, rows_j, num_segments=n)
        theta = vb.mpr_default_theta._replace(eta=eta, J=14.0, Delta=1.1, tau=1.1)
        return vb.mpr_dfun(rv, (c, 0.0 * c), theta)

    sigma = jnp.sqrt(2 * jnp.array([0.001, 0.002])).reshape(2, 1)   # TVB's sqrt(2 nsig), nsig 0.001 / 0.002 as the Plexus case
    _, loop = vb.make_sdde(dt, nh, dfun, sigma, unroll=1)

    def buffer(key):
        buf = jax.random.normal(key, (nh + steps + 1, 2, n)) * 1.0
        init = jnp.array([0.1, -2.0]).reshape(2, 1) * jnp.ones((2, n))
        return buf.at[:nh + 1].set(init)

    run1 = jax.jit(lambda buf, p: loop(buf, p)[1][-1])
    runv = jax.jit(jax.vmap(lambda buf, p: loop(buf, p)[1][-1]))
    key = jax.random.PRNGKey(0)
    bufs = [buffer(jax.random.fold_in(key, k)) for k in range(len(grid))]
    params = [(jnp.float32(a), jnp.float32(eta)) for a, eta in grid]

    def timed(f):
        c0, w0 = time.process_time(), time.perf_counter()
        out = f()
        jax.block_until_ready(out)
        return time.process_time() - c0, time.perf_counter() - w0

    compile1 = timed(lambda: run1(bufs[0], params[0]))
    one_cpu, one_wall = timed(lambda: [run1(b, p) for b, p in zip(bufs, params)])
    stacked = jnp.stack(bufs)
    pv = (jnp.array([p[0] for p in params]), jnp.array([p[1] for p in params]))
    compilev = timed(lambda: runv(stacked, pv))
    v_cpu, v_wall = timed(lambda: runv(stacked, pv))
    total = len(grid) * steps
    result = {"points": len(grid), "steps_per_point": steps, "regions": n, "max_delay_steps": nh,
              "jax": jax.__version__, "cores": os.cpu_count(),
              "one_by_one": {"cpu_s": one_cpu, "wall_s": one_wall, "steps_per_s_core": total / one_cpu, "compile_s": compile1[1]},
              "vmap": {"cpu_s": v_cpu, "wall_s": v_wall, "steps_per_s_core": total / v_cpu, "compile_s": compilev[1]}}
    print(f"vbjax {vb.__version__ if hasattr(vb, '__version__') else '0.0.19'}, jax {jax.__version__}: MontbrioPazoRoxin, {n} regions, {len(grid)} points x {steps} steps, max delay {nh} steps")
    for k in ("one_by_one", "vmap"):
        r = result[k]
        print(f"  {k:10s} {r['wall_s']:8.2f} s wall {r['cpu_s']:8.2f} s CPU  {r['steps_per_s_core'] / 1e6:7.4f} M network steps/s/core  (jit {r['compile_s']:.1f} s)")
    if args.json:
        with open(args.json, "w") as f:
            json.dump(result, f, indent=1)


if __name__ == "__main__":
    main()
