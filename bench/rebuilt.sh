#!/usr/bin/env bash
# Benchmark: does a rebuilt index search as fast as the one imports built? The generated
# 10,000-chapter corpus (12 monthly releases) is imported release by release; a copy of that
# data folder keeps the index the imports left, and `chapterhouse reindex` rebuilds the
# other from the store. `bench-search latency` (the 200 queries of bench/fts5.py, 5 rounds
# after 1 warm-up, in-process) then runs on each, alternately, `RUNS` times (default 2),
# and each index's segments are listed (documents, deleted documents).
# Usage: bench/rebuilt.sh      Environment: BENCH_DIR (default target/bench-rebuilt), RUNS.
set -euo pipefail
cd "$(dirname "$0")/.."
work=${BENCH_DIR:-target/bench-rebuilt}
runs=${RUNS:-2}
log() { printf '%s  %s\n' "$(date +%H:%M:%S)" "$*" >&2; }

log "building (release)"
cargo build --release --quiet --bin chapterhouse --example gen-corpus --example bench-search
bin=$PWD/target/release/chapterhouse
bench=$PWD/target/release/examples/bench-search
rm -rf "$work" && mkdir -p "$work"
work=$(cd "$work" && pwd)
printf '' >"$work/empty.toml"
ch() { "$bin" --config "$work/empty.toml" --data "$1" "${@:2}"; }
log "load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
./target/release/examples/gen-corpus --chapters 10000 --releases 12 --out "$work/corpus" 2>/dev/null
mapfile -t names < <(cut -d' ' -f1 "$work/corpus/releases.txt")
mapfile -t dates < <(cut -d' ' -f2 "$work/corpus/releases.txt")
python3 bench/fts5.py queries --corpus "$work/corpus" --out "$work/queries.txt" 2>/dev/null
for i in "${!names[@]}"; do
  ch "$work/imported" import "$work/corpus/${names[$i]}" --manual bench --release "${names[$i]}" \
    --date "${dates[$i]}" >/dev/null
  log "imported ${names[$i]}"
done
cp -a "$work/imported" "$work/rebuilt"
ch "$work/rebuilt" reindex >/dev/null
log "rebuilt"
for run in $(seq "$runs"); do
  for index in imported rebuilt; do
    "$bench" latency --data "$work/$index" --queries "$work/queries.txt" --rounds 5 --warmup 1 \
      --json "$work/$index-$run.json" 2>&1 | grep '^chapterhouse' | sed "s/^/$index, run $run: /"
  done
done
for index in imported rebuilt; do
  python3 - "$index" "$work/$index/index/meta.json" <<'PY'
import json, sys
segments = json.load(open(sys.argv[2]))["segments"]
parts = [f'{s["max_doc"]:,}' + (f' ({s["deletes"]["num_deleted_docs"]:,} deleted)' if s.get("deletes") else "") for s in segments]
print(f"{sys.argv[1]}: {len(segments)} segments: " + ", ".join(parts))
PY
done
log "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
