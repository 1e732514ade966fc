#!/usr/bin/env bash
# Cache-busting attack on the bundled sample: requests that each ask for something new, so
# that no answer the server keeps is asked for twice, against its memory and its health
# check. One server (`chapterhouse serve`, release build, the default configuration on a
# fresh data folder, which seeds the sample from procedures/; request logging off,
# CHAPTERHOUSE_LOG=warn), then, shuffled together and sent by bench/cachebust.py over 32
# keep-alive connections as fast as the server answers (each path once):
#   - the page of the largest chapter (the biggest chapter file in procedures/) 300 times,
#     with ?cb=1, ?cb=2, ...;
#   - 2,000 searches /search?q=<word>, every word different: half words of the sample's
#     text, half made-up words of 6-10 letters;
#   - 2,000 chapter pages /manuals/children/chapters/<id>?release=<release>&junk=<n>, for
#     every chapter of each of the manual's releases in turn, n different every time.
# Meanwhile another process (cachebust.py probe) asks for /healthz 20 times a second, each
# on a new connection, from a second before the attack until it ends, and the server's
# VmRSS is read from /proc/<pid>/status every 0.2 s.
# Requirements, checked and printed (exit status 1 when one fails):
#   - peak memory (VmHWM, which includes seeding the sample at start) under 300 MB;
#   - /healthz p99 and max latency under 50 ms, and every probe answered 200;
#   - no 5xx answers and no failed connections in the attack.
# Prints a Markdown table to stdout, then notes; progress goes to stderr. The CPU time used
# by other processes is sampled for one second before the attack: a busy machine (>= 20% of
# the CPUs, or a compiler running) is noted under the table. Attacker, probe and server
# share the cores. 127.0.0.1 only. Needs the Rust toolchain, curl and python3.
# Usage:
#   bench/cachebust.sh
# Environment: BENCH_DIR (work folder, default target/bench-cachebust), BUSTS (requests of
# the largest page, default 300), SEARCHES (default 2000), CHAPTERS (default 2000),
# CONNECTIONS (the attacker's, default 32), CARGO_TARGET_DIR (default target).
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/lib.sh
work=${BENCH_DIR:-target/bench-cachebust}
busts=${BUSTS:-300}
searches=${SEARCHES:-2000}
chapter_requests=${CHAPTERS:-2000}
connections=${CONNECTIONS:-32}
cores=$(nproc)
client_py=$PWD/bench/cachebust.py
sample=$PWD/procedures
limit_mb=300
limit_ms=50


for tool in curl python3; do
  command -v "$tool" >/dev/null || die "$tool is needed"
done

log "building (release)"
cargo build --release --bin chapterhouse
built=${CARGO_TARGET_DIR:-target}/release/chapterhouse

fresh_work "$built"

# --- processes ----------------------------------------------------------------------------
server_pid=""
probe_pid=""
attack_pid=""
cleanup() {
  stop_pid "$attack_pid"
  attack_pid=""
  stop_pid "$probe_pid"
  probe_pid=""
  stop_pid "$server_pid"
  server_pid=""
}
trap cleanup EXIT
trap 'exit 130' INT TERM

start_server "$work/data"
rss_start=$(proc_kb "$server_pid" VmRSS)
hwm_start=$(proc_kb "$server_pid" VmHWM)

# --- the requests -------------------------------------------------------------------------
largest=$(find "$sample" -name '*.md' -printf '%s\t%p\n' | sort -n | tail -n 1)
largest_bytes=${largest%%$'\t'*}
largest_file=${largest#*$'\t'}
rel=${largest_file#"$sample"/}
largest_manual=${rel%%/*}
largest_id=$(sed -n '2,/^+++$/s/^id[[:space:]]*=[[:space:]]*"\(.*\)"$/\1/p' "$largest_file")
[ -n "$largest_id" ] || largest_id=$(basename "$largest_file" .md)
largest_path=/manuals/$largest_manual/chapters/$largest_id
curl -fsS -o "$work/largest.html" "$base$largest_path" || die "$largest_path does not answer"
log "largest chapter: $rel ($largest_bytes bytes; page $(wc -c <"$work/largest.html") bytes)"

python3 - "$base" "$sample" "$largest_path" "$busts" "$searches" "$chapter_requests" \
  "$work/paths.txt" <<'EOF' || die "could not make the requests"
import glob, json, random, re, sys, urllib.parse, urllib.request
base, sample, largest, busts, searches, chapters, out = sys.argv[1:]
busts, searches, chapters = int(busts), int(searches), int(chapters)
get = lambda p: json.load(urllib.request.urlopen(base + p, timeout=60))
q = lambda s: urllib.parse.quote(s, safe="")
rng = random.Random(2024)
work = [("largest ?cb=", f"{largest}?cb={n}") for n in range(1, busts + 1)]
vocabulary = set()
for path in glob.glob(f"{sample}/**/*.md", recursive=True):
    vocabulary.update(w.lower() for w in re.findall(r"[A-Za-z]{4,}", open(path, encoding="utf-8").read()))
real = rng.sample(sorted(vocabulary), min(len(vocabulary), searches // 2))
words = set(real)
while len(words) < searches:
    words.add("".join(rng.choice("abcdefghijklmnopqrstuvwxyz") for _ in range(rng.randint(6, 10))))
work += [("search ?q=", f"/search?q={q(w)}") for w in sorted(words)]
pairs = []
for r in get("/api/v1/manuals/children/releases"):
    ids = [c["id"] for c in get(f"/api/v1/manuals/children/chapters?release={q(r['name'])}")["chapters"]]
    pairs += [(c, r["name"]) for c in ids]
work += [("chapter ?release=&junk=", f"/manuals/children/chapters/{q(c)}?release={q(r)}&junk={n}")
         for n, (c, r) in ((n, pairs[n % len(pairs)]) for n in range(chapters))]
rng.shuffle(work)
with open(out, "w") as f:
    f.write("".join(f"{k}\t{p}\n" for k, p in work))
print(f"{len(work)} requests: {busts} of the largest page, {len(words)} searches "
      f"({len(real)} words of the sample), {chapters} chapter pages over {len(pairs)} "
      f"chapter/release pairs", file=sys.stderr)
EOF

# --- the attack ---------------------------------------------------------------------------
busy_note "before the attack"
load_before=$(cut -d' ' -f1-3 /proc/loadavg)
started_at=$(date '+%Y-%m-%d %H:%M')
python3 "$client_py" probe --base "$base" --out "$work/healthz.txt" --stop-file "$work/probe.stop" \
  --summary "$work/healthz.json" 2>"$work/probe.err" &
probe_pid=$!
sleep 1
log "attack: $(wc -l <"$work/paths.txt") requests over $connections connections"
t=$(now)
python3 "$client_py" attack --base "$base" --paths "$work/paths.txt" --summary "$work/attack.json" \
  --connections "$connections" 2>"$work/attack.err" &
attack_pid=$!
rss_max=0
while kill -0 "$attack_pid" 2>/dev/null; do
  kill -0 "$server_pid" 2>/dev/null || die "the server exited during the attack"
  r=$(proc_kb "$server_pid" VmRSS)
  printf '%s %s\n' "$(since "$t")" "$r" >>"$work/rss.txt"
  [ "$r" -gt "$rss_max" ] && rss_max=$r
  sleep 0.2
done
attack_status=0
wait "$attack_pid" || attack_status=$?
attack_pid=""
attack_s=$(since "$t")
touch "$work/probe.stop"
wait "$probe_pid" || { probe_pid=""; cat "$work/probe.err" >&2; die "the probe failed"; }
probe_pid=""
[ "$attack_status" = 0 ] || { cat "$work/attack.err" >&2; die "the attacker failed"; }
hwm=$(proc_kb "$server_pid" VmHWM)
rss_end=$(proc_kb "$server_pid" VmRSS)
sleep 5
rss_after=$(proc_kb "$server_pid" VmRSS)
curl -fsS -o /dev/null "$base/healthz" || die "/healthz does not answer after the attack"
cleanup
load_after=$(cut -d' ' -f1-3 /proc/loadavg)
note "load average: $load_before before the attack, $load_after after"
log "attack done in $attack_s s"

# --- report -------------------------------------------------------------------------------
mark() { if [ "$1" = 1 ]; then echo met; else echo "**not met**"; fi; }
read -r h_n h_failed h_p50 h_p99 h_max < <(python3 -c '
import json, sys
s = json.load(open(sys.argv[1]))
print(s["probes"], s["failed"], *("%.1f" % s["ms"][k] for k in ("p50", "p99", "max")))' "$work/healthz.json")
read -r a_5xx a_errors a_total a_rps < <(python3 -c '
import json, sys
s = json.load(open(sys.argv[1]))
st = [k["statuses"] for k in s["kinds"].values()]
print(sum(n for d in st for c, n in d.items() if c.startswith("5")),
      sum(d.get("error", 0) for d in st), s["requests"], "%.0f" % (s["requests"] / s["elapsed_s"]))' "$work/attack.json")
r_mem=$(awk -v k="$hwm" -v l="$limit_mb" 'BEGIN { print (k / 1024 < l ? 1 : 0) }')
r_health=$(awk -v p="$h_p99" -v m="$h_max" -v f="$h_failed" -v l="$limit_ms" 'BEGIN { print (p < l && m < l && f == 0 ? 1 : 0) }')
r_err=$([ "$a_5xx" = 0 ] && [ "$a_errors" = 0 ] && echo 1 || echo 0)
m_mem=$(mark "$r_mem")
m_health=$(mark "$r_health")
m_err=$(mark "$r_err")

printf '\nCache-busting attack on the sample: %s requests over %s connections in %s s (%s/s); /healthz 20 times a second beside it; %s cores, %s\n\n' \
  "$a_total" "$connections" "$attack_s" "$a_rps" "$cores" "$started_at"
echo "| Measure | Figure | Requirement |"
echo "|:---|---:|:---|"
printf '| peak VmHWM [MB] | %s | < %s MB (%s) |\n' "$(kb_to_mb "$hwm")" "$limit_mb" "$m_mem"
printf '| VmRSS before / max sampled / at the end / 5 s after [MB] | %s / %s / %s / %s | |\n' \
  "$(kb_to_mb "$rss_start")" "$(kb_to_mb "$rss_max")" "$(kb_to_mb "$rss_end")" "$(kb_to_mb "$rss_after")"
printf '| /healthz p50 / p99 / max [ms] | %s / %s / %s | p99 and max < %s ms (%s) |\n' \
  "$h_p50" "$h_p99" "$h_max" "$limit_ms" "$m_health"
printf '| /healthz probes (not 200) | %s (%s) | |\n' "$h_n" "$h_failed"
printf '| 5xx answers / failed connections | %s / %s | none (%s) |\n' "$a_5xx" "$a_errors" "$m_err"
python3 - "$work/attack.json" <<'EOF'
import json, sys
s = json.load(open(sys.argv[1]))
for kind, k in s["kinds"].items():
    answers = ", ".join(f"{n} × {c}" for c, n in sorted(k["statuses"].items()))
    ms = k["ms"]
    print(f"| {kind}: answers; p50 / p99 / max [ms] | {answers}; "
          f"{ms['p50']:.1f} / {ms['p99']:.1f} / {ms['max']:.0f} | |")
EOF
echo
printf 'Server VmHWM %s MB before the attack (seeding the sample and building its index). Largest chapter: %s (%s bytes). RSS samples: %s; /healthz samples: %s\n' \
  "$(kb_to_mb "$hwm_start")" "$rel" "$largest_bytes" "$work/rss.txt" "$work/healthz.txt"
if [ -s "$notes" ]; then
  echo
  sed 's/^/- /' "$notes"
fi
[ "$r_mem$r_health$r_err" = 111 ] || { log "a requirement was not met"; exit 1; }
