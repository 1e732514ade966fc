#!/usr/bin/env bash
# Soak: practitioners reading for minutes while releases are published, on the bundled
# sample. One server (`chapterhouse serve`, release build, the default configuration:
# config/default.toml seeds the sample's two manuals from procedures/ into a fresh data
# folder; only request logging is off, CHAPTERHOUSE_LOG=warn, as minutes of access logs
# would fill the disk) and one wrk run `-t2 -c64 -d300s --latency` (after a 20 s warm-up
# run) cycling through a shuffled mix of the readers' requests (bench/soak.lua), built from
# what the server lists before the run:
#   pages    home, each manual's contents (current and at its first release), every current
#            chapter (three times), every chapter at each earlier release (?release=) and
#            a week after the first (?at=), history and diff (current, and ?from=&to= the
#            sample's releases) of every third chapter, release lists and notices;
#   feeds    /feed.atom and each manual's feed.atom;
#   search   /search?q= and /api/v1/search?q= with practitioners' queries (LADO, s47,
#            bruising, FGM, ...);
#   API      /api/v1/manuals, /api/v1/manuals/<m>/chapters (current and ?release=).
# Every path is fetched once first and must answer 200. Meanwhile bench/soak_publisher.py
# publishes a release every 30 s with a publisher's token (`chapterhouse editors add ...
# --role publisher`): it saves a changed chapter (GET .../draft/chapters/<id> for its
# revision, PUT .../chapters/<id> with If-Match), publishes it (POST .../releases
# {"name": "soak-<n>"}) and reads the chapter's page back; anything else than 200/201/200
# stops the soak with an error. Its first release is published before the warm-up.
# Every 5 s of the measured run the server's VmRSS is read from /proc/<pid>/status.
# Requirements, checked and printed (exit status 1 when one fails):
#   - no 5xx answers (counted by status in wrk's response(), per thread, summed in done());
#   - no socket errors (wrk's connect, read, write and timeout counts; wrk's timeout is its
#     default, 2 s);
#   - memory flat: the mean VmRSS of the run's last minute within 10% of its first
#     minute's (shorter runs compare their first and last thirds).
# Prints a Markdown table to stdout (requests/s, p50/p99, 5xx, socket errors, RSS first and
# last minute and peak VmHWM, releases published), then notes; progress goes to stderr.
# The CPU time used by other processes is sampled for one second before the run and over
# the whole run: a busy machine (>= 20% of the CPUs, or a compiler running) is noted under
# the table. Load generator, publisher and server share the cores. 127.0.0.1 only.
# Needs the Rust toolchain, curl, python3 and wrk.
# Usage:
#   bench/soak.sh
# Environment: BENCH_DIR (work folder, default target/bench-soak), DURATION (the measured
# run, whole seconds, default 300), WARMUP (default 20), CONNECTIONS (default 64), THREADS
# (default 2), INTERVAL (seconds between releases, default 30), CARGO_TARGET_DIR (where the
# release build is, default target).
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/lib.sh
work=${BENCH_DIR:-target/bench-soak}
duration=${DURATION:-300}
warmup=${WARMUP:-20}
connections=${CONNECTIONS:-64}
threads=${THREADS:-2}
interval=${INTERVAL:-30}
duration=${duration%s}
warmup=${warmup%s}
[[ $duration =~ ^[0-9]+$ && $warmup =~ ^[0-9]+$ ]] ||
  { echo "DURATION and WARMUP must be whole seconds" >&2; exit 2; }
[ "$duration" -ge 30 ] || { echo "DURATION must be at least 30 s" >&2; exit 2; }
cores=$(nproc)
lua=$PWD/bench/soak.lua
publisher_py=$PWD/bench/soak_publisher.py
sample=$PWD/procedures
sample_every=5 # seconds between RSS samples
# The stretch compared at each end of the run: a minute, or a third of a shorter run.
window=$((duration >= 180 ? 60 : duration / 3))


for tool in wrk curl python3; do
  command -v "$tool" >/dev/null || die "$tool is needed"
done

log "building (release)"
cargo build --release --bin chapterhouse
built=${CARGO_TARGET_DIR:-target}/release/chapterhouse

fresh_work "$built"

# --- processes ----------------------------------------------------------------------------
server_pid=""
publisher_pid=""
wrk_pid=""
cleanup() {
  stop_pid "$wrk_pid"
  wrk_pid=""
  stop_pid "$publisher_pid"
  publisher_pid=""
  stop_pid "$server_pid"
  server_pid=""
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# CPU accounting: jiffies used by the whole machine and by the processes of this benchmark.
own_jiffies() {
  local own=0 pid t
  for pid in $server_pid $publisher_pid $wrk_pid; do
    t=$(awk '{ sub(/^.*\) /, ""); print $12 + $13 }' "/proc/$pid/stat" 2>/dev/null) || t=0
    own=$((own + ${t:-0}))
  done
  echo "$own"
}
cpu_sample() { # "busy-jiffies-of-others total-jiffies"
  awk -v own="$(own_jiffies)" '/^cpu / { t = 0; for (i = 2; i <= NF; i++) t += $i
    print t - $5 - $6 - own, t }' /proc/stat
}
others_pct() { # others_pct SAMPLE_A SAMPLE_B
  awk -v a="$1" -v b="$2" 'BEGIN { split(a, x, " "); split(b, y, " "); d = y[2] - x[2]
    printf "%.0f", (d > 0 ? 100 * (y[1] - x[1]) / d : 0) }'
}
compilers() { ps -eo comm= | grep -cxE 'rustc|cc1|cc1plus|ld|collect2|rust-lld|ld.lld' || true; }
# busy WHAT: notes other work on the machine over one second just before a run.
busy() {
  local a b pct c
  a=$(cpu_sample)
  sleep 1
  b=$(cpu_sample)
  pct=$(others_pct "$a" "$b")
  c=$(compilers)
  log "$1: $pct% CPU in use by others, $c compiler process(es), load average $(cut -d' ' -f1-3 /proc/loadavg)"
  if [ "$pct" -ge 20 ] || [ "$c" -gt 0 ]; then
    note "$1: machine busy before the run ($pct% CPU in use by others, $c compiler process(es), load average $(cut -d' ' -f1-3 /proc/loadavg))"
  fi
}

# run_wrk NAME SECONDS [--latency]: one wrk run over the paths; while it runs, the
# publisher's failure ends it at once, and (for the measured run) RSS, CPU and compilers
# are sampled every $sample_every s. The result line's fields become NAME_requests, ...
run_wrk() {
  local name=$1 length=$2 out=$work/wrk-$1.txt line key value t0 next el
  shift 2
  wrk -t"$threads" -c"$connections" -d"${length}s" "$@" -s "$lua" "$base" -- "$work/paths.txt" \
    >"$out" 2>&1 &
  wrk_pid=$!
  t0=$(now)
  next=0
  while kill -0 "$wrk_pid" 2>/dev/null; do
    if [ -n "$publisher_pid" ] && ! kill -0 "$publisher_pid" 2>/dev/null; then
      stop_pid "$wrk_pid"
      wrk_pid=""
      cat "$work/publisher.err" >&2
      die "the publisher stopped during the $name run"
    fi
    kill -0 "$server_pid" 2>/dev/null || { stop_pid "$wrk_pid"; wrk_pid=""; die "the server exited during the $name run"; }
    if [ "$name" = soak ]; then
      el=$(since "$t0")
      if awk -v e="$el" -v n="$next" 'BEGIN { exit !(e >= n) }' && [ "${el%.*}" -lt "$length" ]; then
        printf '%s %s %s %s %s\n' "$el" "$(proc_kb "$server_pid" VmRSS)" "$(proc_kb "$server_pid" VmHWM)" \
          "$(proc_kb "$server_pid" RssAnon)" "$(proc_kb "$server_pid" RssFile)" >>"$work/rss.txt"
        printf '%s %s %s %s\n' "$el" "$(cpu_sample)" "$(compilers)" "$(cut -d' ' -f1 /proc/loadavg)" >>"$work/cpu.txt"
        next=$((next + sample_every))
      fi
    fi
    sleep 0.2
  done
  wait "$wrk_pid" || { cat "$out" >&2; wrk_pid=""; die "wrk failed ($name)"; }
  wrk_pid=""
  line=$(grep '^SOAKBENCH ' "$out") || { cat "$out" >&2; die "wrk printed no result ($name)"; }
  for kv in ${line#SOAKBENCH }; do
    key=${kv%%=*}
    value=${kv#*=}
    [[ $key =~ ^[a-z0-9_]+$ && $value =~ ^[0-9.]+$ ]] || die "wrk printed $kv"
    printf -v "${name}_$key" '%s' "$value"
  done
}

load_before=$(cut -d' ' -f1-3 /proc/loadavg)
log "load average before: $load_before; $cores cores"

# --- the server, the publisher's token and the paths --------------------------------------
data=$work/data
token_out=$(CHAPTERHOUSE_LOG=warn "$bin" --data "$data" editors add "Soak Publisher" \
  --email soak-publisher@localhost --role publisher 2>"$work/editors-add.err") ||
  { cat "$work/editors-add.err" >&2; die "editors add failed"; }
printf '%s\n' "$token_out" | sed -n 1p >"$work/token"
[ -s "$work/token" ] || die "editors add printed no token"
chmod 600 "$work/token"
start_server "$data"
rss_start=$(proc_kb "$server_pid" VmRSS)

python3 - "$base" "$work/paths.txt" "$work/mix.txt" <<'EOF' || die "could not make the paths"
import collections, datetime, json, random, sys, urllib.parse, urllib.request
base, paths_out, mix_out = sys.argv[1:]
get = lambda p: json.load(urllib.request.urlopen(base + p, timeout=60))
q = lambda s: urllib.parse.quote(s, safe="")
queries = ["LADO", "s47", "bruising", "FGM", "strategy discussion", "mental capacity",
           "cuckooing", "private fostering", "MASH", "domestic abuse", "\"significant harm\"",
           "self-neglect"]
paths = []  # (kind, path)
add = lambda kind, path, times=1: paths.extend([(kind, path)] * times)
add("home", "/", 4)
add("feed", "/feed.atom", 2)
add("api manuals", "/api/v1/manuals", 2)
for m in (x["id"] for x in get("/api/v1/manuals")):
    releases = get(f"/api/v1/manuals/{q(m)}/releases")
    names = [r["name"] for r in releases]
    first = releases[0]
    week_after = (datetime.date.fromisoformat(first["date"]) + datetime.timedelta(days=7)).isoformat()
    add("contents", f"/manuals/{q(m)}", 2)
    add("contents", f"/manuals/{q(m)}?release={q(first['name'])}")
    add("releases", f"/manuals/{q(m)}/releases")
    add("feed", f"/manuals/{q(m)}/feed.atom")
    add("api chapters", f"/api/v1/manuals/{q(m)}/chapters", 2)
    add("api chapters", f"/api/v1/manuals/{q(m)}/chapters?release={q(first['name'])}")
    for name in names:
        add("notice", f"/manuals/{q(m)}/releases/{q(name)}")
    current = [c["id"] for c in get(f"/api/v1/manuals/{q(m)}/chapters")["chapters"]]
    for i, c in enumerate(current):
        add("chapter current", f"/manuals/{q(m)}/chapters/{q(c)}", 3)
        if i % 3 == 0:
            add("history", f"/manuals/{q(m)}/chapters/{q(c)}/history")
            add("diff", f"/manuals/{q(m)}/chapters/{q(c)}/diff")
            if len(names) > 1:
                add("diff", f"/manuals/{q(m)}/chapters/{q(c)}/diff?from={q(names[0])}&to={q(names[-1])}")
    for name in names[:-1]:
        for c in (x["id"] for x in get(f"/api/v1/manuals/{q(m)}/chapters?release={q(name)}")["chapters"]):
            add("chapter past", f"/manuals/{q(m)}/chapters/{q(c)}?release={q(name)}")
    for c in (x["id"] for x in get(f"/api/v1/manuals/{q(m)}/chapters?at={week_after}")["chapters"]):
        add("chapter past", f"/manuals/{q(m)}/chapters/{q(c)}?at={week_after}")
for s in queries:
    add("search page", f"/search?q={q(s)}", 2)
    add("api search", f"/api/v1/search?q={q(s)}")
random.Random(47).shuffle(paths)
with open(paths_out, "w") as f:
    f.write("".join(p + "\n" for _, p in paths))
mix = collections.Counter(k for k, _ in paths)
with open(mix_out, "w") as f:
    f.write(", ".join(f"{k} {n}" for k, n in sorted(mix.items(), key=lambda kv: -kv[1])))
EOF
npaths=$(wc -l <"$work/paths.txt")
# Every path once (one keep-alive connection): all must answer 200 before the runs.
python3 - "$base" "$work/paths.txt" <<'EOF' || die "not every path answers 200"
import http.client, sys, urllib.parse
base, paths = sys.argv[1:]
url = urllib.parse.urlsplit(base)
conn = http.client.HTTPConnection(url.hostname, url.port, timeout=60)
bad = []
for path in sorted(set(l.strip() for l in open(paths) if l.strip())):
    conn.request("GET", path)
    resp = conn.getresponse()
    resp.read()
    if resp.status != 200:
        bad.append(f"{path} answered {resp.status}")
for line in bad[:5]:
    print(line, file=sys.stderr)
sys.exit(f"{len(bad)} paths did not answer 200" if bad else 0)
EOF
log "$npaths paths ($(sort -u "$work/paths.txt" | wc -l) distinct) answer 200: $(cat "$work/mix.txt")"

# --- the publisher, the warm-up and the soak ----------------------------------------------
log "the publisher starts (a release every $interval s)"
python3 "$publisher_py" --base "$base" --token-file "$work/token" --sample "$sample" \
  --out "$work/publisher.jsonl" --summary "$work/publisher.json" --stop-file "$work/publisher.stop" \
  --ready-file "$work/publisher.ready" --interval "$interval" \
  --max-seconds $((warmup + duration + 600)) --release-prefix soak- 2>"$work/publisher.err" &
publisher_pid=$!
for _ in $(seq 1200); do
  [ -e "$work/publisher.ready" ] && break
  kill -0 "$publisher_pid" 2>/dev/null || break
  sleep 0.05
done
if [ ! -e "$work/publisher.ready" ]; then
  cat "$work/publisher.err" >&2
  die "the publisher's first release did not succeed"
fi
log "warm-up: ${warmup} s at $connections connections"
[ "$warmup" -gt 0 ] && run_wrk warmup "$warmup"
busy "soak"
releases_before=$(grep -c . "$work/publisher.jsonl" || true)
cpu_start=$(cpu_sample)
started_at=$(date '+%Y-%m-%d %H:%M')
log "soak: ${duration} s at $connections connections"
run_wrk soak "$duration" --latency
hwm=$(proc_kb "$server_pid" VmHWM)
rss_end=$(proc_kb "$server_pid" VmRSS)
touch "$work/publisher.stop"
log "soak done; waiting for the publisher's last iteration"
publisher_status=0
wait "$publisher_pid" || publisher_status=$?
publisher_pid=""
releases_total=$(grep -c . "$work/publisher.jsonl" || true)
[ "$publisher_status" = 0 ] || { cat "$work/publisher.err" >&2; die "the publisher failed (exit $publisher_status)"; }
listed=$(for m in $(curl -fsS "$base/api/v1/manuals" | python3 -c 'import json, sys; print(" ".join(x["id"] for x in json.load(sys.stdin)))'); do
  curl -fsS "$base/api/v1/manuals/$m/releases"
  echo
done | python3 -c 'import json, sys; print(sum(r["name"].startswith("soak-") for l in sys.stdin if l.strip() for r in json.loads(l)))') ||
  die "could not list the releases"
cleanup
load_after=$(cut -d' ' -f1-3 /proc/loadavg)
log "load average after: $load_after"

# --- report -------------------------------------------------------------------------------
releases_run=$((releases_total - releases_before))
[ "$listed" = "$releases_total" ] || note "the server lists $listed soak releases, the publisher made $releases_total"
read -r rss_first rss_last rss_n_first rss_n_last < <(awk -v d="$duration" -v w="$window" '
  $1 < w { f += $2; nf++ } $1 >= d - w { l += $2; nl++ }
  END { printf "%.0f %.0f %d %d\n", (nf ? f / nf : 0), (nl ? l / nl : 0), nf, nl }' "$work/rss.txt")
[ "$rss_n_first" -gt 0 ] && [ "$rss_n_last" -gt 0 ] || die "too few RSS samples"
rss_growth=$(awk -v a="$rss_first" -v b="$rss_last" 'BEGIN { printf "%+.1f", 100 * (b - a) / a }')
rss_min=$(awk 'NR == 1 || $2 < m { m = $2 } END { print m }' "$work/rss.txt")
rss_max=$(awk '$2 > m { m = $2 } END { print m }' "$work/rss.txt")
run_others=$(others_pct "$(sed -n '1s/^[^ ]* \([0-9]* [0-9]*\) .*/\1/p' "$work/cpu.txt")" \
  "$(tail -n 1 "$work/cpu.txt" | sed 's/^[^ ]* \([0-9]* [0-9]*\) .*/\1/')")
compilers_max=$(awk '$4 > m { m = $4 } END { print m + 0 }' "$work/cpu.txt")
compilers_seen=$(awk '$4 > 0 { n++ } END { print n + 0 }' "$work/cpu.txt")
load_max=$(awk '$5 > m { m = $5 } END { print m }' "$work/cpu.txt")
samples=$(grep -c . "$work/cpu.txt")
note "during the run: $run_others% of the CPUs used by other processes; compilers running in $compilers_seen of $samples samples (at most $compilers_max at once); load average (1 min) at most $load_max"
note "load average: $load_before before the runs, $load_after after"
socket=$((soak_connect + soak_read + soak_write + soak_timeout))
[ "$soak_s4xx" = 0 ] || note "$soak_s4xx answers were 4xx (every path answered 200 before the run)"
mark() { if [ "$1" = 1 ]; then echo met; else echo "**not met**"; fi; }
r5xx=$([ "$soak_s5xx" = 0 ] && echo 1 || echo 0)
rsock=$([ "$socket" = 0 ] && echo 1 || echo 0)
rrss=$(awk -v g="$rss_growth" 'BEGIN { print (g <= 10 ? 1 : 0) }')
m5xx=$(mark "$r5xx")
msock=$(mark "$rsock")
mrss=$(mark "$rrss")
printf '\nSoak on the sample: wrk -t%s -c%s -d%ss --latency over %s paths (%s distinct); a release every %s s; %s cores, %s\n\n' \
  "$threads" "$connections" "$duration" "$npaths" "$(sort -u "$work/paths.txt" | wc -l)" "$interval" "$cores" "$started_at"
echo "| Measure | Figure | Requirement |"
echo "|:---|---:|:---|"
printf '| Requests/s | %.0f | |\n' "$soak_rps"
printf '| p50 / p99 / max [ms] | %.2f / %.2f / %.0f | |\n' "$soak_p50_ms" "$soak_p99_ms" "$soak_max_ms"
printf '| requests (2xx / 3xx / 4xx) | %s (%s / %s / %s) | |\n' "$soak_requests" "$soak_s2xx" "$soak_s3xx" "$soak_s4xx"
printf '| 5xx answers (500 / 503) | %s (%s / %s) | none (%s) |\n' "$soak_s5xx" "$soak_s500" "$soak_s503" "$m5xx"
printf '| socket errors (connect / read / write / timeout) | %s (%s / %s / %s / %s) | none (%s) |\n' \
  "$socket" "$soak_connect" "$soak_read" "$soak_write" "$soak_timeout" "$msock"
printf '| VmRSS mean, first / last %s s [MB] | %s / %s (%s%%) | last within 10%% of first (%s) |\n' \
  "$window" "$(kb_to_mb "$rss_first")" "$(kb_to_mb "$rss_last")" "$rss_growth" "$mrss"
printf '| VmRSS min / max sampled [MB] | %s / %s | |\n' "$(kb_to_mb "$rss_min")" "$(kb_to_mb "$rss_max")"
printf '| peak VmHWM [MB] | %s | |\n' "$(kb_to_mb "$hwm")"
printf '| releases published (during the run / in all) | %s / %s | each succeeded |\n' "$releases_run" "$releases_total"
echo
python3 - "$work/publisher.json" <<'EOF'
import json, sys
s = json.load(open(sys.argv[1]))
f = lambda v: "–" if v is None else f"{v:.0f}"
print(f"Publisher: save (PUT) p50 {f(s['save_ms']['p50'])} ms, max {f(s['save_ms']['max'])} ms; "
      f"publish (POST) p50 {f(s['publish_ms']['p50'])} ms, max {f(s['publish_ms']['max'])} ms; "
      f"{s['late_starts']} late start(s).")
EOF
printf 'Server VmRSS %s MB at start, %s MB at the end. Mix: %s.\n' \
  "$(kb_to_mb "$rss_start")" "$(kb_to_mb "$rss_end")" "$(cat "$work/mix.txt")"
printf 'RSS samples (s; VmRSS, VmHWM, RssAnon, RssFile in kB): %s; wrk output: %s\n' "$work/rss.txt" "$work/wrk-soak.txt"
if [ -s "$notes" ]; then
  echo
  sed 's/^/- /' "$notes"
fi
rm -f "$work/token"
[ "$r5xx$rsock$rrss" = 111 ] || { log "a requirement was not met"; exit 1; }
