#!/usr/bin/env python3
"""Runs the whole `plexus run` on mutated copies of the bundled examples, as a hostile user would:
the complement of scripts/fuzz (which stops at 20 simulated steps and writes nothing), because it
covers writing, the report and provenance too.

    python3 tools/mutation_runs.py [--binary .build/release/plexus] [--runs 300] [--seed 1]
                                   [--timeout 30] [--keep DIR]

Each run mutates one example (digits inserted or changed, a byte flipped, a line dropped or
doubled, a number made huge, negative, zero or non-finite) and runs it with a timeout. The exit
status must be 0 or 1; with 1, standard error must start with "error: " and name the file; with
0, provenance.json must exist. Anything else (a signal, a trap, a timeout, an unexplained exit)
is printed and, with --keep, the input is saved there. Exit status 1 when any run failed.
"""
import argparse, os, random, re, shutil, subprocess, sys, tempfile, time

EXAMPLES = ["single_neuron", "brunel_alpha", "dopamine_stdp", "gap_junctions", "structural_plasticity",
            "ball_and_stick", "pyramidal", "busyring", "tvb76", "tvb76_rww_bold"]
SPECIAL = ["0", "-1", "-5", "1e308", "1e-300", ".nan", ".inf", "-.inf", "2147483648", "9223372036854775808", "3e38", "1e12"]


def mutate(text, rng):
    lines = text.split("\n")
    kind = rng.randrange(6)
    numbers = [m for m in re.finditer(r"-?\d+(\.\d+)?(e-?\d+)?", text)]
    if kind == 0 and numbers:   # a number replaced by a special value
        m = rng.choice(numbers)
        return text[:m.start()] + rng.choice(SPECIAL) + text[m.end():]
    if kind == 1 and numbers:   # digits inserted into a number
        m = rng.choice(numbers)
        k = rng.randrange(m.start(), m.end() + 1)
        return text[:k] + str(rng.randrange(10)) * rng.randrange(1, 4) + text[k:]
    if kind == 2:               # a byte flipped
        b = bytearray(text.encode())
        k = rng.randrange(len(b))
        b[k] ^= 1 << rng.randrange(7)
        return b.decode("utf-8", "replace")
    if kind == 3 and len(lines) > 2:   # a line dropped
        k = rng.randrange(len(lines))
        return "\n".join(lines[:k] + lines[k + 1:])
    if kind == 4 and len(lines) > 2:   # a line doubled
        k = rng.randrange(len(lines))
        return "\n".join(lines[:k + 1] + lines[k:])
    # two mutations at once
    return mutate(mutate(text, rng), rng)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--binary", default=".build/release/plexus")
    ap.add_argument("--runs", type=int, default=300)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--timeout", type=float, default=30)
    ap.add_argument("--keep")
    a = ap.parse_args()
    rng = random.Random(a.seed)
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    binary = os.path.abspath(a.binary)
    failures, outcomes = 0, {"ok": 0, "error": 0}
    t0 = time.time()
    with tempfile.TemporaryDirectory() as tmp:
        for r in range(a.runs):
            name = rng.choice(EXAMPLES)
            src = open(os.path.join(root, "examples", name + ".yaml")).read()
            text = mutate(src, rng)
            # The mutated file sits beside the examples so relative paths (data/) still resolve.
            path = os.path.join(root, "examples", f"_mutated_{os.getpid()}.yaml")
            open(path, "w").write(text)
            out = os.path.join(tmp, "out")
            shutil.rmtree(out, ignore_errors=True)
            problem = None
            try:
                p = subprocess.run([binary, "run", path, "--out", out, "--quiet"], capture_output=True, text=True,
                                   timeout=a.timeout, env=dict(os.environ, SWIFT_BACKTRACE="enable=no"))
                if p.returncode == 0:
                    outcomes["ok"] += 1
                    if not os.path.exists(os.path.join(out, "provenance.json")):
                        problem = "exit 0 without provenance.json"
                elif p.returncode == 1 and p.stderr.startswith("error: ") and path in p.stderr:
                    outcomes["error"] += 1
                else:
                    problem = f"exit {p.returncode}: {p.stderr.strip()[-400:]}"
            except subprocess.TimeoutExpired:
                problem = f"no answer within {a.timeout} s"
            finally:
                os.remove(path)
            if problem:
                failures += 1
                print(f"run {r} ({name}): {problem}")
                if a.keep:
                    os.makedirs(a.keep, exist_ok=True)
                    open(os.path.join(a.keep, f"{name}_{a.seed}_{r}.yaml"), "w").write(text)
    print(f"{a.runs} runs in {time.time() - t0:.0f} s: {outcomes['ok']} ran, {outcomes['error']} clear errors, {failures} failures")
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
