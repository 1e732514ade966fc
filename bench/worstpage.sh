#!/usr/bin/env bash
# The worst chapters a server accepts, read for the first time, beside a health check.
# examples/render-worst.rs writes every case its validation accepts (the worst bodies within
# the markup limits, each a chapter file of up to 1 MiB) as one manual's snapshot;
# `chapterhouse import` publishes it into a fresh data folder, and one server (release
# build, default configuration, request logging off) serves it. Then each chapter's page
# is asked for once, one after another (its first view: rendered on demand, nothing kept
# yet), then each chapter's page at the release (?release=, made again from the kept
# rendering) and its history. Meanwhile another process (bench/cachebust.py probe) asks for
# /healthz 20 times a second, each on a new connection, from a second before the first page
# until the last one answered.
# Requirements, checked and printed (exit status 1 when one fails):
#   - every first view answers 200 in under 1 s;
#   - /healthz p99 and max under 50 ms, and every probe answered 200.
# Prints a Markdown table to stdout (the slowest pages, then the probe), progress to stderr.
# Needs the Rust toolchain, curl and python3. 127.0.0.1 only.
# Usage:
#   bench/worstpage.sh
# Environment: BENCH_DIR (default target/bench-worstpage), CARGO_TARGET_DIR (default target).
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/lib.sh
work=${BENCH_DIR:-target/bench-worstpage}
target=${CARGO_TARGET_DIR:-target}
limit_ms=50
page_limit_ms=1000

log "building (release)"
cargo build --release --bin chapterhouse --example render-worst
fresh_work "$target/release/chapterhouse"

server_pid=""
probe_pid=""
cleanup() {
  stop_pid "$probe_pid"
  probe_pid=""
  stop_pid "$server_pid"
  server_pid=""
}
trap cleanup EXIT
trap 'exit 130' INT TERM

"$target/release/examples/render-worst" --write "$work/snapshot" 2>"$work/refused.txt"
mapfile -t ids < <(find "$work/snapshot" -name '*.md' -printf '%f\n' | sed 's/\.md$//' | sort)
[ "${#ids[@]}" -gt 0 ] || die "render-worst wrote no chapter"
bytes=$(cat "$work/snapshot"/*.md | wc -c)
log "${#ids[@]} accepted worst chapters ($bytes bytes); $(wc -l <"$work/refused.txt") cases refused at validation"
t=$(now)
CHAPTERHOUSE_LOG=warn "$bin" --data "$work/data" import "$work/snapshot" --manual worst \
  --release 2026-01 --date 2026-01-01 >"$work/import.out" 2>"$work/import.err" ||
  { cat "$work/import.err" >&2; die "the import failed"; }
log "imported in $(since "$t") s"
start_server "$work/data"

busy_note "before the pages"
started_at=$(date '+%Y-%m-%d %H:%M')
python3 bench/cachebust.py probe --base "$base" --out "$work/healthz.txt" --stop-file "$work/probe.stop" \
  --summary "$work/healthz.json" 2>"$work/probe.err" &
probe_pid=$!
sleep 1
: >"$work/pages.txt"
fetch() { # fetch KIND PATH: one GET, its status and milliseconds appended to pages.txt
  local answer
  answer=$(curl -sS -o /dev/null -w '%{http_code} %{time_total}' "$base$2") || answer="000 0"
  printf '%s %s %s\n' "$1" "$2" "$answer" >>"$work/pages.txt"
}
for id in "${ids[@]}"; do fetch first "/manuals/worst/chapters/$id"; done
for id in "${ids[@]}"; do fetch release "/manuals/worst/chapters/$id?release=2026-01"; done
for id in "${ids[@]}"; do fetch history "/manuals/worst/chapters/$id/history"; done
sleep 1
touch "$work/probe.stop"
wait "$probe_pid" || { probe_pid=""; cat "$work/probe.err" >&2; die "the probe failed"; }
probe_pid=""
kill -0 "$server_pid" 2>/dev/null || die "the server exited"
hwm=$(proc_kb "$server_pid" VmHWM)

python3 - "$work" "$limit_ms" "$page_limit_ms" "$started_at" "${#ids[@]}" "$bytes" "$(kb_to_mb "$hwm")" <<'PY'
import json, statistics, sys
work, limit_ms, page_limit_ms, started, n, size, hwm = sys.argv[1:]
limit_ms, page_limit_ms = float(limit_ms), float(page_limit_ms)
pages = [l.split() for l in open(f"{work}/pages.txt")]
by_kind = {}
for kind, path, status, seconds in pages:
    by_kind.setdefault(kind, []).append((float(seconds) * 1000, status, path))
probe = json.load(open(f"{work}/healthz.json"))
ms = probe["ms"]
print(f"\nThe worst accepted chapters, first read beside /healthz: {n} chapters "
      f"({int(size) / 1048576:.1f} MiB) in one release; {started}\n")
print("| Pages | answers | median [ms] | max [ms] | slowest |")
print("|:---|---:|---:|---:|:---|")
ok = True
for kind, rows in by_kind.items():
    times = sorted(r[0] for r in rows)
    worst = max(rows)
    bad = [r for r in rows if r[1] != "200"]
    ok &= not bad
    if kind == "first":
        ok &= worst[0] < page_limit_ms
    statuses = "all 200" if not bad else f"{len(bad)} not 200"
    print(f"| {kind} | {len(rows)} ({statuses}) | {statistics.median(times):.0f} | {worst[0]:.0f} | `{worst[2]}` |")
healthy = probe["failed"] == 0 and ms["p99"] < limit_ms and ms["max"] < limit_ms
ok &= healthy
print(f"\n| /healthz | probes | failed | p50 [ms] | p99 [ms] | max [ms] | requirement |")
print("|:---|---:|---:|---:|---:|---:|:---|")
print(f"| during the pages | {probe['probes']} | {probe['failed']} | {ms['p50']:.1f} | {ms['p99']:.1f} | "
      f"{ms['max']:.1f} | < {limit_ms:.0f} ms ({'met' if healthy else '**not met**'}) |")
print(f"\nServer peak VmHWM {hwm} MB. First views under {page_limit_ms:.0f} ms: "
      f"{'met' if all(r[0] < page_limit_ms for r in by_kind['first']) else '**not met**'}.")
sys.exit(0 if ok else 1)
PY
status=$?
[ -s "$notes" ] && sed 's/^/- /' "$notes"
exit $status
