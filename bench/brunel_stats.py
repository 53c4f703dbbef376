"""Statistics of a Brunel run, computed exactly as ../shared/peers/nest/brunel.py computes NEST's.

Usage: python bench/brunel_stats.py RUN_DIR [NEST_RATE_CSV]
Prints per-population rate (100..1000 ms), CV(ISI), Fano factor, the raw FFT peak of the 1 ms
population rate and the peak of its Welch-smoothed spectrum (robust to the run-to-run noise that
moves NEST's own raw peak between 100 and 124 Hz for the same network)."""
import csv
import sys

import numpy as np

T0, T1 = 100.0, 1000.0


def welch_peak(pop, fmin=10.0, seg=300):
    """Peak frequency of a Welch spectrum (300 ms Hann segments, half overlap)."""
    pop = np.asarray(pop, float)
    step = seg // 2
    acc = None
    for s in range(0, len(pop) - seg + 1, step):
        x = pop[s:s + seg] - pop[s:s + seg].mean()
        p = np.abs(np.fft.rfft(x * np.hanning(seg))) ** 2
        acc = p if acc is None else acc + p
    f = np.fft.rfftfreq(seg, d=1e-3)
    band = f >= fmin
    return float(f[band][np.argmax(acc[band])])


def main():
    run = sys.argv[1]
    rows = list(csv.DictReader(open(f"{run}/spikes.csv")))
    pops = {}
    for r in rows:
        pops.setdefault(r["population"], []).append((int(r["gid"]), float(r["t_ms"])))
    sizes = {"E": 10000, "I": 2500}
    total = np.zeros(int(T1))
    for name, sp in pops.items():
        g = np.array([s[0] for s in sp]); t = np.array([s[1] for s in sp])
        n = sizes.get(name, len(set(g)))
        rate = ((t > T0).sum()) / n / ((T1 - T0) / 1000)
        sel = t >= T0
        cvs = []
        order = np.lexsort((t[sel], g[sel]))
        gs, ts = g[sel][order], t[sel][order]
        for gid in np.unique(gs):
            tt = ts[gs == gid]
            if len(tt) >= 3:
                isi = np.diff(tt)
                if isi.mean() > 0:
                    cvs.append(isi.std() / isi.mean())
        h, _ = np.histogram(t - 1e-9, np.arange(0, T1 + 1, 1.0))
        total += h
        print(f"{name}: rate {rate:.3f} Hz  CV(ISI) {np.mean(cvs):.4f}")
    pop = total[int(T0):] / (sum(sizes.get(k, 0) for k in pops) * 1e-3)
    spec = np.abs(np.fft.rfft(pop - pop.mean())) ** 2
    f = np.fft.rfftfreq(len(pop), d=1e-3)
    band = f >= 10
    cnt = total[int(T0):]
    print(f"fano {cnt.var() / cnt.mean():.2f}  raw peak {f[band][np.argmax(spec[band])]:.1f} Hz  welch peak {welch_peak(pop):.1f} Hz")
    for ref in sys.argv[2:]:
        d = np.loadtxt(ref, delimiter=",", skiprows=1)
        popn = (d[int(T0):, 1] * 10000 + d[int(T0):, 2] * 2500) / 12500
        spec = np.abs(np.fft.rfft(popn - popn.mean())) ** 2
        print(f"NEST {ref.split('/')[-1]}: raw peak {f[band][np.argmax(spec[band])]:.1f} Hz  welch peak {welch_peak(popn):.1f} Hz")


if __name__ == "__main__":
    main()
