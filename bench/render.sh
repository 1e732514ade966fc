#!/usr/bin/env bash
# Benchmark: the worst chapter bodies we can write (1 MiB, the largest a chapter may be,
# or as reported: 100,000 nested `> `, 90,000 nested `<div>`s), each timed through
# validation, rendering, plain text, the section split, the chapter diff page and the
# release diff's word similarity, in a release build (examples/render-worst.rs builds
# the inputs). Each case runs in its own process under a time limit; a case that
# reaches it is reported as stopped. Each step runs RUNS times (default 3) and its median
# is reported, so that one stall of a shared machine does not decide a figure. Usage:
#   [RUNS=N] bench/render.sh [LIMIT_SECONDS] [CASE...]      (defaults: 60 s, every case)
# Exits non-zero when a chapter's first view (validate + render) takes 1 s or more, or a
# case reaches the time limit.
set -euo pipefail
cd "$(dirname "$0")/.."
limit=${1:-60}
shift || true
runs=${RUNS:-3}

cargo build --release --quiet --example render-worst
bin=./target/release/examples/render-worst
if [ $# -gt 0 ]; then cases=("$@"); else mapfile -t cases < <("$bin" --list); fi

slow=0
worst=0
worst_case=
for c in "${cases[@]}"; do
    line=$(timeout "$limit" "$bin" --runs "$runs" "$c") || {
        echo "$line  [stopped after $limit s]"
        slow=1
        continue
    }
    echo "$line"
    view=$(sed -n 's/.*validate+render *\([0-9.]*\) ms.*/\1/p' <<<"$line")
    if awk -v v="$view" -v w="$worst" 'BEGIN { exit !(v > w) }'; then
        worst=$view
        worst_case=$c
    fi
    if awk -v v="$view" 'BEGIN { exit !(v >= 1000) }'; then
        slow=1
    fi
done
echo
echo "slowest validate+render: $worst ms ($worst_case); limit 1000 ms"
exit "$slow"
