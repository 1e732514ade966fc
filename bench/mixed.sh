#!/usr/bin/env bash
# Benchmark: readers while a writer publishes. On a generated manual (default 10,000
# chapters, 4 monthly releases imported in order, so pages have history; examples/
# gen-corpus.rs), one server (`chapterhouse serve`, release build) with request logging off
# (CHAPTERHOUSE_LOG=warn), the search answer cache off (CHAPTERHOUSE__SEARCH__CACHED_RESULTS=0)
# and digests off (CHAPTERHOUSE__DIGEST__ENABLED=false), and two wrk runs
# `-t2 -c16 -d20s --latency`, each cycling through the pages of 2,000 chapters of the latest
# release (/manuals/bench/chapters/<id>, ids spread evenly over
# GET /api/v1/manuals/bench/chapters; bench/mixed.lua):
#   idle   after a 5 s warm-up run, readers alone;
#   busy   the same run while an editor (bench/mixed_editor.py) every 2 s saves one chapter
#          through the API (GET .../draft/chapters/<id> for its revision, then
#          PUT .../chapters/<id> with If-Match and one sentence changed: a new word
#          zq<letters> added) and publishes a release (POST .../releases
#          {"name": "bench-<n>", "notes": {}}, dated today), and measures save (PUT) and
#          publish (POST) latency, and publish -> searchable: from sending the POST until
#          GET /api/v1/search?q=<the new word>&manual=bench answers with the chapter
#          (another connection, 20 ms between searches). The editor starts before the run
#          (its first iteration is done when wrk starts) and stops when the run has ended.
# The editor's token comes from `chapterhouse editors add ... --role publisher`. Every PUT
# must answer 200 and every POST 201: anything else stops the benchmark with an error.
# Prints a Markdown table to stdout (idle and busy side by side: requests/s, p50, p99 and
# errors from wrk; p99 busy/idle; the editor's figures; the server's memory from
# /proc/<pid>/status), then notes; progress goes to stderr. Before each run the CPU time
# used by other processes over one second is sampled: a busy machine (>= 20% of the CPUs,
# or a compiler running) is noted under the table, as the figures then say little. Load
# generator, editor and server share the cores. Everything talks to 127.0.0.1 only.
# Needs the Rust toolchain, curl, python3, and wrk from Debian (installed with apt-get when
# missing).
# Usage:
#   bench/mixed.sh [CHAPTERS] [RELEASES]       (defaults: 10000 chapters, 4 releases)
# Environment: BENCH_DIR (work folder, default target/bench-mixed), DURATION (each measured
# run, default 20s), WARMUP (warm-up run before idle, default 5s), CONNECTIONS (default 16),
# THREADS (wrk threads, default 2), PAGES (chapters read, default 2000), INTERVAL (seconds
# between the editor's iterations, default 2), REUSE_CORPUS=1 (keep and reuse an imported
# corpus of the same size from an earlier run; each run works on a fresh copy of it).
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/lib.sh
chapters=${1:-10000}
releases=${2:-4}
work=${BENCH_DIR:-target/bench-mixed}
duration=${DURATION:-20s}
warmup=${WARMUP:-5s}
connections=${CONNECTIONS:-16}
threads=${THREADS:-2}
pages=${PAGES:-2000}
interval=${INTERVAL:-2}
reuse_corpus=${REUSE_CORPUS:-0}
manual=bench
[[ $duration =~ ^[0-9]+$ ]] && duration=${duration}s
[[ $warmup =~ ^[0-9]+$ ]] && warmup=${warmup}s
[[ $duration =~ ^[0-9]+s$ ]] || { echo "DURATION must be whole seconds (20 or 20s)" >&2; exit 2; }
cores=$(nproc)
lua=$PWD/bench/mixed.lua
editor_py=$PWD/bench/mixed_editor.py


# --- tools --------------------------------------------------------------------------------
missing=()
command -v wrk >/dev/null || missing+=(wrk)
command -v curl >/dev/null || missing+=(curl)
if [ ${#missing[@]} -gt 0 ]; then
  log "installing ${missing[*]}"
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo=sudo
  $sudo apt-get update >&2
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y "${missing[@]}" >&2
fi
command -v python3 >/dev/null || die "python3 is needed (the editor, JSON)"

log "building (release)"
cargo build --release --bin chapterhouse --example gen-corpus
bin=$PWD/target/release/chapterhouse
gen=$PWD/target/release/examples/gen-corpus

mkdir -p "$work"
work=$(cd "$work" && pwd)
find "$work" -mindepth 1 -maxdepth 1 ! -name 'corpus-*' -exec rm -rf {} +
notes=$work/notes.txt # lines printed under the table
: >"$notes"
note() { log "$*"; printf '%s\n' "$*" >>"$notes"; }

# --- processes ----------------------------------------------------------------------------
server_pid=""
editor_pid=""
wrk_pid=""
cleanup() {
  stop_pid "$wrk_pid"
  wrk_pid=""
  stop_pid "$editor_pid"
  editor_pid=""
  stop_pid "$server_pid"
  server_pid=""
}
trap cleanup EXIT
trap 'exit 130' INT TERM


# busy WHAT: notes other work on the machine just before a run (the figures then say
# little): the share of CPU time used over one second by processes other than the server
# and the editor, and compilers running.
cpu_sample() {
  local own=0 pid t
  for pid in $server_pid $editor_pid; do
    t=$(awk '{ sub(/^.*\) /, ""); print $12 + $13 }' "/proc/$pid/stat" 2>/dev/null) || t=0
    own=$((own + ${t:-0}))
  done
  awk -v own="$own" '/^cpu / { t = 0; for (i = 2; i <= NF; i++) t += $i; print $5 + $6 + own, t }' /proc/stat
}
busy() {
  local a b pct compilers
  a=$(cpu_sample)
  sleep 1
  b=$(cpu_sample)
  pct=$(awk -v a="$a" -v b="$b" 'BEGIN { split(a, x, " "); split(b, y, " "); d = y[2] - x[2]
    printf "%.0f", (d > 0 ? 100 * (1 - (y[1] - x[1]) / d) : 0) }')
  compilers=$(ps -eo comm= | grep -cxE 'rustc|cc1|cc1plus|ld|collect2|rust-lld|ld.lld' || true)
  log "$1: $pct% CPU in use by others, $compilers compiler process(es), load average $(cut -d' ' -f1-3 /proc/loadavg)"
  if [ "$pct" -ge 20 ] || [ "$compilers" -gt 0 ]; then
    note "$1: machine busy before the run ($pct% CPU in use by others, $compilers compiler process(es), load average $(cut -d' ' -f1-3 /proc/loadavg)): figures distorted"
  fi
}

# run_wrk NAME DURATION [--latency]: one wrk run over the pages; the result line's fields
# become variables NAME_rps, NAME_p50_ms, ... (for the measured runs).
run_wrk() {
  local name=$1 length=$2 out=$work/wrk-$1.txt line key value
  shift 2
  wrk -t"$threads" -c"$connections" -d"$length" "$@" -s "$lua" "$base" -- "$work/paths.txt" \
    >"$out" 2>&1 &
  wrk_pid=$!
  # While the editor runs, its failure ends the run at once (the figures would be idle's).
  while kill -0 "$wrk_pid" 2>/dev/null; do
    if [ -n "$editor_pid" ] && ! kill -0 "$editor_pid" 2>/dev/null; then
      stop_pid "$wrk_pid"
      wrk_pid=""
      cat "$work/editor.err" >&2
      die "the editor stopped during the $name run"
    fi
    sleep 0.2
  done
  wait "$wrk_pid" || { cat "$out" >&2; wrk_pid=""; die "wrk failed ($name)"; }
  wrk_pid=""
  line=$(grep '^MIXEDBENCH ' "$out") || { cat "$out" >&2; die "wrk printed no result ($name)"; }
  for kv in ${line#MIXEDBENCH }; do
    key=${kv%%=*}
    value=${kv#*=}
    [[ $key =~ ^[a-z0-9_]+$ && $value =~ ^[0-9.]+$ ]] || die "wrk printed $kv"
    printf -v "${name}_$key" '%s' "$value"
  done
}

# errors NAME: wrk's non-2xx/3xx answers, socket errors and timeouts of a run, as text.
errors() {
  local n=$1 e="" v
  v=${n}_non2xx; [ "${!v}" = 0 ] || e+="${e:+, }${!v} non-2xx/3xx"
  v=${n}_timeout; [ "${!v}" = 0 ] || e+="${e:+, }${!v} timeouts"
  local c=${n}_connect r=${n}_read w=${n}_write
  local s=$((${!c} + ${!r} + ${!w}))
  [ "$s" = 0 ] || e+="${e:+, }socket errors connect ${!c} read ${!r} write ${!w}"
  printf '%s' "${e:-0}"
}

load_before=$(cut -d' ' -f1-3 /proc/loadavg)
log "load average before: $load_before; $cores cores"

# --- the corpus ---------------------------------------------------------------------------
cdir=$work/corpus-${chapters}x$releases
corpus=$cdir/corpus
printf '' >"$work/empty.toml"
if [ "$reuse_corpus" = 1 ] && [ -e "$cdir/imported" ]; then
  log "reusing the imported corpus in $cdir"
else
  rm -rf "$work"/corpus-* && mkdir -p "$cdir"
  log "generating $chapters chapters x $releases releases"
  "$gen" --chapters "$chapters" --releases "$releases" --out "$corpus" 2>/dev/null
  mapfile -t names < <(cut -d' ' -f1 "$corpus/releases.txt")
  mapfile -t dates < <(cut -d' ' -f2 "$corpus/releases.txt")
  started=$(now)
  for i in "${!names[@]}"; do
    t=$(now)
    "$bin" --config "$work/empty.toml" --data "$cdir/data" import "$corpus/${names[$i]}" \
      --manual "$manual" --release "${names[$i]}" --date "${dates[$i]}" >/dev/null
    log "imported ${names[$i]} in $(since "$t") s"
  done
  log "$releases imports took $(since "$started") s"
  touch "$cdir/imported"
fi
# Every run writes to its own copy, so runs start from the same state and release names
# never clash.
data=$work/data
t=$(now)
cp -a "$cdir/data" "$data"
log "copied the data folder ($(du -sh "$data" | cut -f1)) in $(since "$t") s"

token_out=$(CHAPTERHOUSE_LOG=warn "$bin" --config "$work/empty.toml" --data "$data" \
  editors add "Bench Publisher" --email bench-publisher@localhost --role publisher \
  2>"$work/editors-add.err") || { cat "$work/editors-add.err" >&2; die "editors add failed"; }
printf '%s\n' "$token_out" | sed -n 1p >"$work/token"
[ -s "$work/token" ] || die "editors add printed no token"
chmod 600 "$work/token"

# --- the server and the pages -------------------------------------------------------------
CHAPTERHOUSE__SEARCH__CACHED_RESULTS=0 CHAPTERHOUSE__DIGEST__ENABLED=false start_server "$data" --config "$work/empty.toml"
rss_start=$(proc_kb "$server_pid" VmRSS)
curl -fsS "$base/api/v1/manuals/$manual/chapters" >"$work/chapters.json" ||
  die "GET /api/v1/manuals/$manual/chapters failed"
# PAGES ids spread evenly over the current release's chapters (ordinary chapters only for
# the editor, which writes into the first paragraph); the editor takes them in another order
# (every 7th first), so the chapters it saves are among those read.
python3 - "$work/chapters.json" "$pages" "$manual" "$work/paths.txt" "$work/editor-ids.txt" <<'EOF' ||
import json, sys, urllib.parse
chapters_json, pages, manual, paths_out, ids_out = sys.argv[1:]
doc = json.load(open(chapters_json))
every = [c for c in doc["chapters"]]
pages = min(int(pages), len(every))
if pages == 0:
    sys.exit("no chapters")
picked = [every[i * len(every) // pages] for i in range(pages)]
with open(paths_out, "w") as f:
    for c in picked:
        f.write(f"/manuals/{urllib.parse.quote(manual)}/chapters/{urllib.parse.quote(c['id'], safe='')}\n")
plain = [c["id"] for c in picked if c.get("kind", "chapter") == "chapter"]
order = [plain[i] for i in range(0, len(plain), 7)] + [x for i, x in enumerate(plain) if i % 7]
with open(ids_out, "w") as f:
    f.write("".join(i + "\n" for i in order))
print(f"{pages} pages of {len(every)} chapters (release {doc['release']}); "
      f"{len(plain)} ordinary chapters for the editor", file=sys.stderr)
EOF
  die "could not pick the pages"
npaths=$(wc -l <"$work/paths.txt")
[ "$npaths" -ge "$pages" ] || note "the manual has $npaths chapters: wrk cycles through $npaths pages, not $pages"
# Every page once (one keep-alive connection): all must answer 200 before the runs.
python3 - "$base" "$work/paths.txt" <<'EOF' || die "not every page answers 200"
import http.client, sys, urllib.parse
base, paths = sys.argv[1:]
url = urllib.parse.urlsplit(base)
conn = http.client.HTTPConnection(url.hostname, url.port, timeout=60)
bad = []
for path in (l.strip() for l in open(paths) if l.strip()):
    conn.request("GET", path)
    resp = conn.getresponse()
    resp.read()
    if resp.status != 200:
        bad.append(f"{path} answered {resp.status}")
for line in bad[:5]:
    print(line, file=sys.stderr)
sys.exit(f"{len(bad)} pages did not answer 200" if bad else 0)
EOF
log "$npaths pages answer 200; first $(sed -n 1p "$work/paths.txt")"
rss_pages=$(proc_kb "$server_pid" VmRSS)

# --- (1) idle -----------------------------------------------------------------------------
log "idle: warm-up $warmup, then $duration at $connections connections"
run_wrk warmup "$warmup"
busy "idle"
run_wrk idle "$duration" --latency
idle_rss=$(proc_kb "$server_pid" VmRSS)
idle_hwm=$(proc_kb "$server_pid" VmHWM)
log "  idle: $idle_rps requests/s, p50 $idle_p50_ms ms, p99 $idle_p99_ms ms, errors: $(errors idle)"
[ "$(errors idle)" = 0 ] || note "idle: wrk counted $(errors idle) (of $idle_requests requests)"

# --- (2) busy -----------------------------------------------------------------------------
busy "busy"
secs=${duration%s}
log "busy: the editor starts (every ${interval} s), then $duration of wrk"
python3 "$editor_py" --base "$base" --manual "$manual" --token-file "$work/token" \
  --ids "$work/editor-ids.txt" --out "$work/editor.jsonl" --summary "$work/editor.json" \
  --stop-file "$work/editor.stop" --ready-file "$work/editor.ready" --interval "$interval" \
  --max-seconds $((secs + 300)) --release-prefix bench- 2>"$work/editor.err" &
editor_pid=$!
for _ in $(seq 1200); do
  [ -e "$work/editor.ready" ] && break
  kill -0 "$editor_pid" 2>/dev/null || break
  sleep 0.05
done
if [ ! -e "$work/editor.ready" ]; then
  cat "$work/editor.err" >&2
  die "the editor's first iteration did not succeed"
fi
run_wrk busy "$duration" --latency
touch "$work/editor.stop"
log "busy run done; waiting for the editor's last iteration"
editor_status=0
wait "$editor_pid" || editor_status=$?
editor_pid=""
cat "$work/editor.err" >&2
[ "$editor_status" = 0 ] || die "the editor failed (exit $editor_status): $(python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))["error"])' "$work/editor.json" 2>/dev/null || tail -n 1 "$work/editor.err")"
busy_rss=$(proc_kb "$server_pid" VmRSS)
busy_hwm=$(proc_kb "$server_pid" VmHWM)
log "  busy: $busy_rps requests/s, p50 $busy_p50_ms ms, p99 $busy_p99_ms ms, errors: $(errors busy)"
[ "$(errors busy)" = 0 ] || note "busy: wrk counted $(errors busy) (of $busy_requests requests)"
kill -0 "$server_pid" 2>/dev/null || die "the server exited during the runs"
releases_after=$(curl -fsS "$base/api/v1/manuals/$manual/releases" |
  python3 -c 'import json, sys; print(len(json.load(sys.stdin)))') || die "GET releases failed"
cleanup
log "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
note "load average: $load_before before the runs, $(cut -d' ' -f1-3 /proc/loadavg) after"

# --- report -------------------------------------------------------------------------------
python3 - "$work/editor.json" "$work/editor.jsonl" "$releases_after" "$releases" <<'EOF' >"$work/editor.txt"
import json, sys
s = json.load(open(sys.argv[1]))
recs = [json.loads(l) for l in open(sys.argv[2]) if l.strip()]
after, before = int(sys.argv[3]), int(sys.argv[4])
f = lambda v: "–" if v is None else f"{v:.0f}"
print(f"save_p50={f(s['save_ms']['p50'])} save_p99={f(s['save_ms']['p99'])} "
      f"save_max={f(s['save_ms']['max'])} publish_p50={f(s['publish_ms']['p50'])} "
      f"publish_max={f(s['publish_ms']['max'])} found_p50={f(s['searchable_ms']['p50'])} "
      f"found_max={f(s['searchable_ms']['max'])} saves={s['saves']} releases={s['releases']} "
      f"late={s['late_starts']} searches_max={f(s['searches']['max'])} "
      f"listed={after - before} n={s['iterations']}")
EOF
for kv in $(cat "$work/editor.txt"); do printf -v "ed_${kv%%=*}" '%s' "${kv#*=}"; done
[ "$ed_listed" = "$ed_releases" ] || note "the server lists $ed_listed new releases, the editor made $ed_releases"
[ "$ed_late" = 0 ] || note "the editor started $ed_late iteration(s) late: an iteration took longer than ${interval} s"
ratio=$(awk -v b="$busy_p99_ms" -v i="$idle_p99_ms" 'BEGIN { printf "%.2f", b / i }')
mark() { awk -v v="$1" -v t="$2" 'BEGIN { print (v + 0 <= t + 0 ? "met" : "**not met**") }'; }

printf '\nReaders while a writer publishes: %s chapters x %s releases, wrk -t%s -c%s -d%s --latency over %s chapter pages; editor every %s s; %s cores, %s\n\n' \
  "$chapters" "$releases" "$threads" "$connections" "$duration" "$npaths" "$interval" "$cores" "$(date '+%Y-%m-%d %H:%M')"
echo "| Measure | Idle (readers only) | Busy (editor saving and publishing) | Target |"
echo "|:---|---:|---:|:---|"
printf '| Requests/s | %.0f | %.0f | |\n' "$idle_rps" "$busy_rps"
printf '| p50 [ms] | %.2f | %.2f | |\n' "$idle_p50_ms" "$busy_p50_ms"
printf '| p99 [ms] | %.2f | %.2f | |\n' "$idle_p99_ms" "$busy_p99_ms"
printf '| non-2xx / socket errors | %s | %s | |\n' "$(errors idle)" "$(errors busy)"
printf '| p99 busy / idle | | %s | ≤ 2 (%s) |\n' "$ratio" "$(mark "$ratio" 2)"
printf '| save (PUT) p50 / p99 [ms] | | %s / %s | p50 ≤ 150 ms (%s) |\n' "$ed_save_p50" "$ed_save_p99" "$(mark "$ed_save_p50" 150)"
printf '| publish (POST) p50 / max [ms] | | %s / %s | |\n' "$ed_publish_p50" "$ed_publish_max"
printf '| publish → searchable p50 / max [ms] | | %s / %s | ≤ 1 s (%s) |\n' "$ed_found_p50" "$ed_found_max" "$(mark "$ed_found_max" 1000)"
printf '| saves / releases made | | %s / %s | |\n' "$ed_saves" "$ed_releases"
printf '| server VmRSS after the run [MB] | %s | %s | |\n' "$(kb_to_mb "$idle_rss")" "$(kb_to_mb "$busy_rss")"
printf '| server peak VmHWM so far [MB] | %s | %s | |\n' "$(kb_to_mb "$idle_hwm")" "$(kb_to_mb "$busy_hwm")"
echo
printf 'wrk requests: idle %s, busy %s. Server VmRSS %s MB at start, %s MB after every page was read once.\n' \
  "$idle_requests" "$busy_requests" "$(kb_to_mb "$rss_start")" "$(kb_to_mb "$rss_pages")"
printf 'Editor: %s iterations (percentiles by nearest rank: with fewer than 100 saves, p99 is the slowest); save max %s ms; publish → searchable took at most %s searches.\n' \
  "$ed_n" "$ed_save_max" "$ed_searches_max"
printf 'Per iteration: %s; wrk output: %s/wrk-{idle,busy}.txt\n' "$work/editor.jsonl" "$work"
if [ -s "$notes" ]; then
  echo
  sed 's/^/- /' "$notes"
fi
# The copy that was written to goes (the imported corpus stays, for REUSE_CORPUS=1).
rm -rf "$data" "$work/token"
