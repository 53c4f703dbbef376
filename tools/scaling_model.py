"""The point engine's memory and communication per rank as functions of neurons, synapses, rates
and ranks (docs/SCALING.md), checked against bench/mpi_scaling.py's measurements, and what it
predicts for 10^9 and 10^11 neurons with 10^4 synapses each.

    python3 tools/scaling_model.py [--results bench/results/mpi_scaling.json] [--plot docs/scaling.svg]

Prints the measured points beside the model, then the predictions, and draws the plot (memory
per rank and bytes received per epoch, measured points on the model's lines).

The model (bytes, per rank; N neurons, K synapses per neuron, R ranks, T threads per rank,
nu mean rate, d_min the min delay, h the resolution, n = N / R own neurons):

  memory  = M0                                  binary, runtime, output buffers (fitted)
          + g N                                 whole-network terms: state columns of every neuron,
                                                node tables, STDP time constants, thread 0's row
                                                offsets, build-time initial-state arrays
          + t N (T - 1)                         each further thread's row offsets (8 B) and their
                                                build-time copy (16 B)
          + n (l + b_dev + K b_syn)             own neurons: input rings (24 B a step of d_max +
                                                d_min), device inputs, synapses (4 B compact,
                                                8 B with drawn weights or delays)
          + 2 x 16 B x S                        spikes of an epoch received, both parities
  S       = N nu d_min f                        spikes received per epoch; f = 1 for the gather,
                                                1 - (1 - 1/R)^K for the targeted exchange (the
                                                share of sources with a target on the rank)
  traffic = 16 B x S + 8 B x R (T s + 1)        received per epoch (s = d_min / h steps)

Time per simulated second on C = R T cores: (a N / h + c N nu K) / C for updates and deliveries,
plus the exchange: 1 / d_min epochs, each R x latency (MPI_Alltoallv's pairwise exchange) plus the
traffic over the rank's share of its node's network bandwidth.
"""
import argparse
import json
import math
import os

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
MIB = 1024.0 ** 2

# Brunel network of bench/mpi_scaling.py: iaf_psc_delta, K = 1250 (CE 1000 + CI 250), delay 1.5 ms
# at 0.1 ms (rings of 30 steps), one Poisson input per neuron, compact 4-byte synapses.
BRUNEL = {"K": 1250, "d_min": 1.5e-3, "h": 1e-4, "b_syn": 4.0, "b_dev": 120.0}


def model_memory(N, R, T, K, nu, d_min, h, g, t, l, b_syn, b_dev, M0, targeted=True):
    n = N / R
    f = 1 - (1 - 1 / R) ** K if (targeted and R > 1) else 1.0
    S = N * nu * d_min * f if R > 1 else 0.0
    return M0 + g * N + t * N * (T - 1) + n * (l + b_dev + K * b_syn) + 2 * 16 * S


def model_traffic(N, R, T, K, nu, d_min, h, targeted=True):
    if R == 1:
        return 0.0
    f = 1 - (1 - 1 / R) ** K if targeted else 1.0
    s = round(d_min / h)
    return 16 * N * nu * d_min * f + 8 * R * (T * s + 1)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--results", default=os.path.join(REPO, "bench", "results", "mpi_scaling.json"))
    ap.add_argument("--plot", default=os.path.join(REPO, "docs", "scaling.svg"))
    args = ap.parse_args()
    with open(args.results) as f:
        res = json.load(f)
    probe = res["memory_probe"]
    g, l, t = probe["global_bytes_per_neuron"], probe["local_bytes_per_neuron"], probe["bytes_per_neuron_per_extra_thread"]
    runs = [r for r in res["runs"] if r["engine"] == "Plexus"]
    base = next(r for r in runs if r["scale"] == 1 and r["ranks"] == 1 and r["threads"] == 1)
    N1 = base["neurons"]
    nu = base["spikes"] / N1 / (base["duration_ms"] / 1000)
    # M0: the 1x1 run at scale 1 less the model's per-neuron terms.
    M0 = base["peak_rss_bytes_per_rank"][0] - model_memory(N1, 1, 1, nu=nu, g=g, t=t, l=l, M0=0, **BRUNEL)
    print(f"constants: g = {g:.0f} B/neuron (every rank), l = {l:.0f} B per own neuron (rings of 30 steps), "
          f"t = {t:.0f} B/neuron per extra thread, M0 = {M0 / MIB:.0f} MiB, nu = {nu:.1f} Hz")
    print()
    print(f"{'neurons':>8} {'RxT':>4} {'exchange':>9} {'RSS/rank MiB (max)':>19} {'model':>7} {'kB/epoch':>9} {'model':>7}")
    points = []
    for r in runs:
        N, R, T = r["neurons"], r["ranks"], r["threads"]
        nu_r = r["spikes"] / N / (r["duration_ms"] / 1000)
        targeted = r.get("exchange") != "gather"
        mem = model_memory(N, R, T, nu=nu_r, g=g, t=t, l=l, M0=M0, targeted=targeted, **BRUNEL)
        traffic = model_traffic(N, R, T, BRUNEL["K"], nu_r, BRUNEL["d_min"], BRUNEL["h"], targeted)
        measured = max(r["peak_rss_bytes_per_rank"])
        points.append((N, R, T, measured, mem, r.get("bytes_received_per_epoch_rank0", 0.0), traffic))
        print(f"{N:>8} {R}x{T:<2} {r.get('exchange', '-'):>9} {measured / MIB:>19.0f} {mem / MIB:>7.0f} "
              f"{r.get('bytes_received_per_epoch_rank0', 0) / 1024:>9.1f} {traffic / 1024:>7.1f}")

    # Time constants from the 1x1 runs: a (ns per neuron update) and c (ns per synaptic event)
    # of the larger, memory-bound network (the smaller one fits in cache and is cheaper per event).
    big = max((r for r in runs if r["ranks"] == 1 and r["threads"] == 1), key=lambda r: r["neurons"])
    a = 5e-9
    events = big["neurons"] * (big["spikes"] / big["neurons"] / (big["duration_ms"] / 1000)) * BRUNEL["K"]
    updates = big["neurons"] / BRUNEL["h"]
    c = (big["simulate_s"] / (big["duration_ms"] / 1000) - a * updates) / events
    print(f"\ntime constants (1x1, {big['neurons']} neurons): a = {a * 1e9:.0f} ns per neuron update (assumed), c = {c * 1e9:.1f} ns per synaptic event")

    # Predictions. Machine: CPU nodes of 128 cores, 512 GiB, 200 Gbit/s (25 GB/s), 2 us latency;
    # one rank per 16 cores (8 ranks a node, T = 16), 80 % of memory usable.
    node_mem, cores, ranks_per_node, bw, lat = 512 * 1024 ** 3, 128, 8, 25e9, 2e-6
    T = cores // ranks_per_node
    rank_mem = 0.8 * node_mem / ranks_per_node
    K, nu_p, d_min, h = 10_000, 5.0, 1.5e-3, 1e-4
    print(f"\npredictions: K = {K}, nu = {nu_p} Hz, d_min = 1.5 ms, h = 0.1 ms, synapses 8 B; nodes of {cores} cores, "
          f"512 GiB, 25 GB/s; {ranks_per_node} ranks x {T} threads a node")
    for N in (1e9, 1e11):
        for label, gN, tN in (("today", g, t), ("no N-terms", 0.0, 0.0)):
            # Smallest number of ranks whose memory fits (doubling, then refine).
            R = 1
            def mem(R):
                return model_memory(N, R, T, K=K, nu=nu_p, d_min=d_min, h=h, g=gN, t=tN, l=l, b_syn=8.0, b_dev=120.0, M0=M0)
            while mem(R) > rank_mem and R < 1 << 40:
                R *= 2
            if mem(R) > rank_mem or gN * N + tN * N * (T - 1) > rank_mem:
                print(f"  N = {N:.0e} ({label}): does not fit at any rank count: the whole-network terms alone are "
                      f"{(gN * N + tN * N * (T - 1)) / 1024 ** 3:.0f} GiB per rank (of {rank_mem / 1024 ** 3:.0f})")
                continue
            lo = R // 2
            while lo + 1 < R:
                mid = (lo + R) // 2
                if mem(mid) <= rank_mem:
                    R = mid
                else:
                    lo = mid
            traffic = model_traffic(N, R, T, K, nu_p, d_min, h)
            C = R * T
            compute = (a * N / h + c * N * nu_p * K) / C
            comm = (1 / d_min) * (R * lat + traffic / (bw / ranks_per_node))
            print(f"  N = {N:.0e} ({label}): {R} ranks ({math.ceil(R / ranks_per_node)} nodes), {mem(R) / 1024 ** 3:.1f} GiB per rank, "
                  f"{traffic / 1e6:.1f} MB received per rank and epoch, real-time factor {compute + comm:.0f} "
                  f"(updates and deliveries {compute:.0f}, exchange {comm:.0f})")

    if args.plot:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
        fig, ax = plt.subplots(1, 2, figsize=(10, 4))
        Ns = [10 ** (x / 10) for x in range(38, 62)]
        for R, style in ((1, "-"), (2, "--")):
            ax[0].plot(Ns, [model_memory(N, R, 1, nu=nu, g=g, t=t, l=l, M0=M0, **BRUNEL) / MIB for N in Ns], style, color="C0",
                       label=f"model, {R} rank{'s' if R > 1 else ''} x 1 thread")
        for N, R, T, measured, _, _, _ in points:
            ax[0].plot([N], [measured / MIB], "o" if R == 1 else "s", color="C1" if R == 1 else "C2")
        ax[0].plot([], [], "o", color="C1", label="measured, 1 rank")
        ax[0].plot([], [], "s", color="C2", label="measured, 2 ranks (largest)")
        ax[0].set_xscale("log"); ax[0].set_yscale("log")
        ax[0].set_xlabel("neurons (Brunel, K = 1250)"); ax[0].set_ylabel("peak memory per rank (MiB)")
        ax[0].legend(fontsize=8)
        # Traffic against ranks for the 10x Brunel network: the gather stays flat, the targeted
        # exchange falls once ranks outnumber a neuron's synapses (fewer ranks need each spike).
        N10 = max(p[0] for p in points)
        nu10 = next(r["spikes"] / r["neurons"] / (r["duration_ms"] / 1000) for r in runs if r["neurons"] == N10)
        Rs = [2 ** k for k in range(1, 17)]
        ax[1].plot(Rs, [model_traffic(N10, R, 1, BRUNEL["K"], nu10, BRUNEL["d_min"], BRUNEL["h"], targeted=False) / 1024 for R in Rs],
                   "-", color="C3", label="gather")
        for K, style in ((1250, "-"), (100, "--")):
            ax[1].plot(Rs, [model_traffic(N10, R, 1, K, nu10, BRUNEL["d_min"], BRUNEL["h"]) / 1024 for R in Rs], style, color="C0",
                       label=f"targeted, K = {K}")
        for N, R, T, _, _, traffic, _ in points:
            if R > 1 and N == N10:
                ax[1].plot([R], [traffic / 1024], "s", color="C2")
        ax[1].plot([], [], "s", color="C2", label="measured (2 ranks)")
        ax[1].set_xscale("log", base=2); ax[1].set_yscale("log")
        ax[1].set_xlabel(f"ranks ({N10} neurons, 1 thread each)"); ax[1].set_ylabel("kB received per rank and epoch")
        ax[1].legend(fontsize=8)
        fig.tight_layout()
        fig.savefig(args.plot)
        print(f"\nwrote {args.plot}")


if __name__ == "__main__":
    main()
