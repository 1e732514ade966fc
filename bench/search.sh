#!/usr/bin/env bash
# Benchmark: search over a generated manual (default 10,000 chapters, 12 monthly releases),
# side by side with SQLite FTS5 (python3's sqlite3 module) and Xapian (its Python bindings,
# in-process, on-disk database) over the same chapter versions:
#   build       `chapterhouse reindex` (wall time) and index size    vs  FTS5 table build,
#                                                                        Xapian database build
#   publish     a one-chapter release: import, then search until the new word is found
#               (in-process: examples/bench-search.rs publish; also the CLI's wall time)
#   latency     200 queries (bench/fts5.py queries), half at today and half at a date in
#               the corpus history, 1 warm-up round + 5 measured rounds, in-process
#               (examples/bench-search.rs latency)                   vs  bench/fts5.py run,
#                                                                        bench/xapian.py run
# Prints a Markdown table of the engines, the ratios chapterhouse p99 / Xapian p99 (today
# and point in time), the publish figures, per-kind figures, the slowest queries, and the
# top-10 overlap between the engines.
# Needs the Rust toolchain, python3 (with sqlite3 built with FTS5) and Xapian's Python
# bindings: Debian's python3-xapian, installed with apt-get when no python3 here imports
# xapian (it is built for Debian's /usr/bin/python3, which then runs bench/xapian.py).
# Usage:
#   bench/search.sh [CHAPTERS] [RELEASES]       (defaults: 10000 chapters, 12 releases)
# Environment: BENCH_DIR (work folder, default target/bench-search), ROUNDS (default 5),
# WARMUP (default 1).
set -euo pipefail
cd "$(dirname "$0")/.."
chapters=${1:-10000}
releases=${2:-12}
work=${BENCH_DIR:-target/bench-search}
rounds=${ROUNDS:-5}
warmup=${WARMUP:-1}
word=zzyzxbench

now() { date +%s.%N; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.3f", b - a }'; }
log() { printf '%s  %s\n' "$(date +%H:%M:%S)" "$*" >&2; }

# A Python that imports xapian: python3 when it does, else Debian's own (python3-xapian).
xapian_python=""
for py in python3 /usr/bin/python3; do
  if command -v "$py" >/dev/null && "$py" -c 'import xapian' 2>/dev/null; then
    xapian_python=$py
    break
  fi
done
if [ -z "$xapian_python" ]; then
  log "installing python3-xapian"
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo=sudo
  $sudo apt-get update >&2
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y python3-xapian >&2
  xapian_python=/usr/bin/python3
  "$xapian_python" -c 'import xapian' ||
    { echo "python3-xapian is installed but $xapian_python does not import xapian" >&2; exit 1; }
fi

log "building (release)"
cargo build --release --quiet --bin chapterhouse --example gen-corpus --example bench-search
bin=$PWD/target/release/chapterhouse
bench=$PWD/target/release/examples/bench-search
rm -rf "$work" && mkdir -p "$work"
work=$(cd "$work" && pwd)
corpus=$work/corpus
data=$work/data
printf '' >"$work/empty.toml"
ch() { "$bin" --config "$work/empty.toml" --data "$1" "${@:2}"; }
log "load average before: $(cut -d' ' -f1-3 /proc/loadavg)"

log "generating $chapters chapters x $releases releases"
./target/release/examples/gen-corpus --chapters "$chapters" --releases "$releases" --out "$corpus" 2>/dev/null
mapfile -t names < <(cut -d' ' -f1 "$corpus/releases.txt")
mapfile -t dates < <(cut -d' ' -f2 "$corpus/releases.txt")
python3 bench/fts5.py queries --corpus "$corpus" --out "$work/queries.txt" 2>/dev/null

# Every release imported in order (each import also brings the index up to date).
started=$(now)
for i in "${!names[@]}"; do
  t=$(now)
  ch "$data" import "$corpus/${names[$i]}" --manual bench --release "${names[$i]}" --date "${dates[$i]}" >/dev/null
  log "imported ${names[$i]} in $(since "$t") s"
done
import_total=$(since "$started")

# (a) Full index build from the store, and the index's size.
log "reindex"
t=$(now)
ch "$data" reindex >/dev/null
reindex_s=$(since "$t")
index_bytes=$(du -sb "$data/index" | cut -f1)
segments=$(python3 -c 'import json, sys; print(len(json.load(open(sys.argv[1]))["segments"]))' "$data/index/meta.json")
log "reindex ${reindex_s} s, index $index_bytes bytes in $segments segments"

# (b) Publish-to-searchable: release N+1 is release N with one chapter changed (a sentence
# with a word found nowhere else added at the end). The changed file is written anew, not
# through the hard link, so the corpus is untouched.
last_date=${dates[-1]}
next_date=$(date -d "$last_date +1 month" +%Y-%m-%d)
next_name=${next_date:0:7}
snap=$work/snapshot-$next_name
cp -al "$corpus/${names[-1]}" "$snap"
file=$(find "$snap" -name '*.md' | LC_ALL=C sort | sed -n 1p)
chapter=$(sed -n 's/^id = "\(.*\)"$/\1/p' "$file" | sed -n 1p)
[ -n "$chapter" ] || chapter=$(basename "$file" .md)
{ cat "$file"; printf '\nThis chapter was checked in the %s review.\n' "$word"; } >"$file.new"
mv "$file.new" "$file"
log "publishing $next_name: chapter $chapter changed"
cp -a "$data" "$work/publish-inproc"
cp -a "$data" "$work/publish-cli"
"$bench" publish --data "$work/publish-inproc" --snapshot "$snap" --manual bench \
  --release "$next_name" --date "$next_date" --word "$word" --chapter "$chapter" \
  --json "$work/publish.json"
t=$(now)
ch "$work/publish-cli" import "$snap" --manual bench --release "$next_name" --date "$next_date" >/dev/null
cli_import_s=$(since "$t")
ch "$work/publish-cli" search "$word" --format json >"$work/publish-cli-search.json"
cli_searchable_s=$(since "$t")
grep -q "\"id\": \"$chapter\"" "$work/publish-cli-search.json" ||
  { echo "the CLI search did not find $word in $chapter" >&2; exit 1; }
log "CLI: import ${cli_import_s} s, import + search ${cli_searchable_s} s"
rm -rf "$work/publish-inproc" "$work/publish-cli"

# (c) Query latency, chapterhouse in-process, then FTS5 over the same chapter versions.
log "chapterhouse latency: $(wc -l <"$work/queries.txt") queries x $rounds rounds (+$warmup warm-up)"
"$bench" latency --data "$data" --queries "$work/queries.txt" --rounds "$rounds" --warmup "$warmup" \
  --json "$work/chapterhouse.json"
log "FTS5 build and latency"
python3 bench/fts5.py run --corpus "$corpus" --db "$work/fts5.db" --queries "$work/queries.txt" \
  --rounds "$rounds" --warmup "$warmup" --json "$work/fts5.json"
log "Xapian build and latency ($xapian_python)"
"$xapian_python" bench/xapian.py run --corpus "$corpus" --db "$work/xapian.db" \
  --queries "$work/queries.txt" --rounds "$rounds" --warmup "$warmup" --json "$work/xapian.json"
log "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"

python3 - "$work" "$chapters" "$releases" "$import_total" "$reindex_s" "$index_bytes" "$segments" \
  "$cli_import_s" "$cli_searchable_s" <<'EOF'
import json, sys
work, chapters, releases, import_total, reindex_s, index_bytes, segments, cli_import, cli_found = sys.argv[1:]
ch = json.load(open(f"{work}/chapterhouse.json"))
fts = json.load(open(f"{work}/fts5.json"))
xap = json.load(open(f"{work}/xapian.json"))
pub = json.load(open(f"{work}/publish.json"))
mb = lambda b: f"{int(b) / 1e6:.0f} MB"
ms = lambda s: f"{s:.1f}"
print(f"\nSearch benchmark: {int(chapters):,} chapters, {releases} releases, "
      f"{fts['build']['versions']:,} chapter versions; {len(ch['queries'])} queries "
      f"({ch['rounds']} rounds after {ch['warmup']} warm-up); today = {ch['today']}; "
      f"{releases} imports took {float(import_total):.0f} s\n")
print("| Engine | Build [s] | Index size | p50 current [ms] | p99 current [ms] "
      "| p50 point-in-time [ms] | p99 point-in-time [ms] |")
print("|:---|---:|---:|---:|---:|---:|---:|")
row = lambda name, build, size, r: print(
    f"| {name} | {build} | {size} | {ms(r['current']['p50'])} | {ms(r['current']['p99'])} "
    f"| {ms(r['point_in_time']['p50'])} | {ms(r['point_in_time']['p99'])} |")
row("chapterhouse (`Chapterhouse::search`)", f"{float(reindex_s):.1f}",
    f"{mb(index_bytes)} ({segments} segments)", ch)
row("of which `SearchIndex::search`", "", "", ch["index_only"])
b = fts["build"]
row(f"SQLite {fts['sqlite_version']} FTS5", f"{b['build_s']:.1f}", mb(b["size_bytes"]), fts)
xb = xap["build"]
row(f"Xapian {xap['xapian_version']} (BM25)", f"{xb['build_s']:.1f}", mb(xb["size_bytes"]), xap)
row("of which parse + `get_mset` (no snippets)", "", "", xap["search_only"])
print(f"\nFTS5 build: read {b['read_s']:.1f} s, insert {b['insert_s']:.1f} s, "
      f"optimize {b['optimize_s']:.1f} s")
print(f"Xapian build: read {xb['read_s']:.1f} s, index {xb['index_s']:.1f} s, "
      f"commit {xb['commit_s']:.1f} s, compact {xb['compact_s']:.1f} s")
print()
for key, label in (("current", "current"), ("point_in_time", "point-in-time")):
    c, x = ch[key]["p99"], xap[key]["p99"]
    print(f"chapterhouse p99 / Xapian p99 = {c:.1f} / {x:.1f} ms = {c / x:.2f} ({label})")
print(f"\nPublish to searchable (one-chapter release {pub['release']}):")
print(f"  in-process: import {pub['import_ms']:.0f} ms, found by search after "
      f"{pub['searchable_ms']:.0f} ms ({pub['searches']} search(es))")
print(f"  command line: `chapterhouse import` {float(cli_import):.2f} s, "
      f"import + `chapterhouse search` {float(cli_found):.2f} s")

print("\np50 / p99 by kind of query [ms]:")
for kind in sorted(ch["by_kind"]):
    c, f, x = ch["by_kind"][kind], fts["by_kind"][kind], xap["by_kind"][kind]
    print(f"  {kind:8} chapterhouse {ms(c['p50'])} / {ms(c['p99'])}   "
          f"FTS5 {ms(f['p50'])} / {ms(f['p99'])}   Xapian {ms(x['p50'])} / {ms(x['p99'])}   "
          f"({c['n']} runs)")
for name, r in (("chapterhouse", ch), ("FTS5", fts), ("Xapian", xap)):
    print(f"\nSlowest queries, {name} (median of the rounds) [ms]:")
    for q in sorted(r["queries"], key=lambda q: -q["median_ms"])[:8]:
        extra = f", {q['total']:,} matches" if "total" in q else ""
        extra += ", typo-tolerant" if q.get("fuzzy") else ""
        print(f"  {q['median_ms']:7.1f}  {q['at']:10}  {q['query']}{extra}")
def overlap(left, right):
    both = [(a, b) for a, b in zip(left["queries"], right["queries"]) if a["ids"] and b["ids"]]
    share = sum(len(set(a["ids"]) & set(b["ids"])) / max(len(a["ids"]), len(b["ids"]))
                for a, b in both)
    return f"{share / max(1, len(both)):.0%} over {len(both)} queries"
print("\nTop-10 overlap between the engines (same chapter ids, queries with hits on both "
      f"sides): chapterhouse/FTS5 {overlap(ch, fts)}, chapterhouse/Xapian {overlap(ch, xap)}, "
      f"FTS5/Xapian {overlap(fts, xap)} (ranking differs: chapterhouse also searches "
      "headings, tags and glossary expansions)")
print(f"Queries with no hit: chapterhouse {sum(1 for q in ch['queries'] if not q['ids'])}, "
      f"FTS5 {sum(1 for q in fts['queries'] if not q['ids'])}, "
      f"Xapian {sum(1 for q in xap['queries'] if not q['ids'])}")
EOF
