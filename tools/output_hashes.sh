#!/usr/bin/env bash
# Prints the SHA-256 of every data file of every bundled example, run with --threads 1 and 2
# (and `plexus sweep` for the sweep example): the table that shows a refactoring changed no
# result. Usage: tools/output_hashes.sh [PLEXUS_BINARY] [WORK_DIR] > hashes.txt
# Default binary: .build/release/plexus. microcircuit_full.yaml is left out (2.5 GB, minutes), and
# so are fit files.
# Files that describe a run rather than its results (provenance.json, report.html) are not hashed.
set -euo pipefail
cd "$(dirname "$0")/.."
bin=${1:-.build/release/plexus}
work=${2:-$(mktemp -d)}
for file in examples/*.yaml; do
  name=$(basename "$file" .yaml)
  [ "$name" = microcircuit_full ] && continue
  # Fit files (allen_fit, microcircuit_fit) run many simulations under `plexus fit`: not here.
  grep -q '^fit:' "$file" && continue
  for threads in 1 2; do
    out="$work/$name-t$threads"
    rm -rf "$out"
    if grep -q '^sweep:' "$file"; then
      "$bin" sweep "$file" --threads "$threads" --out "$out" --quiet --no-report
    else
      "$bin" run "$file" --threads "$threads" --out "$out" --quiet --no-report
    fi
    # sweep.csv has a seconds column (wall time per point): hash it without that column.
    for f in $(cd "$out" && ls | grep -v -e '^provenance.json$' -e '^report.html$' | sort); do
      if [ "$f" = sweep.csv ]; then
        h=$(python3 -c 'import csv,sys,hashlib
rows=list(csv.reader(open(sys.argv[1])))
k=rows[0].index("seconds")
print(hashlib.sha256("\n".join(",".join(r[:k]+r[k+1:]) for r in rows).encode()).hexdigest())' "$out/$f")
        echo "$name t$threads $f(without seconds) $h"
      else
        echo "$name t$threads $f $(sha256sum "$out/$f" | cut -d' ' -f1)"
      fi
    done
  done
done
