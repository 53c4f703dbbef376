#!/usr/bin/env python3
"""Speed of two Plexus binaries side by side (a refactoring must not slow the engines).

Runs each example with the old and the new binary alternately, REPS times, and prints the median
CPU time (user + system, all threads, from the kernel's rusage of the child) and wall time of
each, with the ratio new/old, and the ratio of the fastest CPU times. CPU time is less
sensitive than wall time to other jobs on a shared machine, and the fastest run of each less
than the median (another job can only slow a run down); the load average is printed before and
after.

    python3 bench/binary_compare.py OLD_BINARY NEW_BINARY [--reps 5] [--threads 1] [examples...]
"""
import argparse, os, resource, statistics, subprocess, sys, tempfile, time

DEFAULT = ["examples/brunel_delta.yaml", "examples/busyring.yaml", "examples/tvb76.yaml"]


def run(binary, example, threads, out):
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    subprocess.run([binary, "run", example, "--threads", str(threads), "--out", out, "--quiet", "--no-report"],
                   check=True)
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return cpu, wall


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("old")
    ap.add_argument("new")
    ap.add_argument("examples", nargs="*", default=DEFAULT)
    ap.add_argument("--reps", type=int, default=5)
    ap.add_argument("--threads", type=int, default=1)
    a = ap.parse_intermixed_args()
    print(f"load average before: {os.getloadavg()}")
    print(f"{'example':32} {'old cpu s':>10} {'new cpu s':>10} {'cpu new/old':>11} {'old wall':>9} {'new wall':>9} {'wall new/old':>12}"
          f" {'min cpu new/old':>15}")
    with tempfile.TemporaryDirectory() as tmp:
        for ex in a.examples:
            times = {"old": [], "new": []}
            for r in range(a.reps):
                order = ("old", "new") if r % 2 == 0 else ("new", "old")
                for which in order:
                    times[which].append(run(getattr(a, which), ex, a.threads, os.path.join(tmp, which)))
            oc = statistics.median(t[0] for t in times["old"]); nc = statistics.median(t[0] for t in times["new"])
            ow = statistics.median(t[1] for t in times["old"]); nw = statistics.median(t[1] for t in times["new"])
            fastest = min(t[0] for t in times["new"]) / min(t[0] for t in times["old"])
            print(f"{os.path.basename(ex):32} {oc:10.3f} {nc:10.3f} {nc / oc:11.3f} {ow:9.3f} {nw:9.3f} {nw / ow:12.3f} {fastest:15.3f}")
            sys.stdout.flush()
    print(f"load average after: {os.getloadavg()}")


if __name__ == "__main__":
    main()
