#!/usr/bin/env bash
# Long run of the property tests (src/**/props.rs and the CSV import's): every property
# with many more cases than `cargo test` gives it (256).
# Usage:
#   bench/props.sh [CASES] [FILTER]     (defaults: 100000 cases; FILTER: props and people)
# A failure prints the minimal input proptest shrank it to; keep it as a unit test.
set -euo pipefail
cd "$(dirname "$0")/.."
cases=${1:-100000}
shift || true
filters=("$@")
if [ ${#filters[@]} -eq 0 ]; then
    filters=(props cli::people::tests)
fi
PROPTEST_CASES=$cases exec cargo test --lib -- "${filters[@]}"
