#!/usr/bin/env bash
# Regenerates the NEST random-stream fixture: needs g++ and the nest-simulator wheel (for its
# randutils.hpp). Usage: tools/nest_rng/make_reference.sh [NEST_PYTHON]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
py=${1:-/opt/nestvenv/bin/python}
include=$("$py" -c 'import nest, os; print(os.path.join(os.path.dirname(nest.__file__), "include", "nest"))' 2>/dev/null | tail -1)
g++ -O2 -std=c++17 -I"$include" "$here/reference.cpp" -o /tmp/nest_rng_reference
/tmp/nest_rng_reference > "$here/../../Tests/Fixtures/nest_rng_reference.txt"
