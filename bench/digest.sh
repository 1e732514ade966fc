#!/usr/bin/env bash
# Benchmark: one monthly digest run to 100,000 confirmed subscribers across the two sample
# manuals (a third follow children, a third adults, a third both; period 2024-03, when both
# manuals had a release), sent to an SMTP sink on 127.0.0.1 (tests/support/smtp_sink.py,
# aiosmtpd, counting only). Side by side in the same run: the sink's own ceiling, the same
# number of messages (a copy of a real digest) pushed by python's smtplib over one
# connection. Reports messages per second, total time and chapterhouse's peak RSS
# (GNU time's "Maximum resident set size").
# Needs python3 with aiosmtpd (pip install aiosmtpd) and /usr/bin/time (apt-get install time).
# Usage: bench/digest.sh [SUBSCRIBERS]        (default 100000)
set -euo pipefail
cd "$(dirname "$0")/.."
n=${1:-100000}
work=${BENCH_DIR:-target/bench-digest}
log() { printf '%s  %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
now() { date +%s.%N; }

command -v /usr/bin/time >/dev/null || { apt-get update -qq && apt-get install -y -qq time; }
python3 -c 'import aiosmtpd' 2>/dev/null || python3 -m pip install --quiet aiosmtpd

log "building (release)"
cargo build --release --quiet --bin chapterhouse
bin=$PWD/target/release/chapterhouse
rm -rf "$work" && mkdir -p "$work"
work=$(cd "$work" && pwd)

sinks=0
sink() { # starts a counting sink; sets sink_pid, sink_port and sink_out
  sinks=$((sinks + 1))
  sink_out=$work/sink$sinks.out
  python3 tests/support/smtp_sink.py --dir "$work/unused" --count-only >"$sink_out" &
  sink_pid=$!
  until grep -qE '^[0-9]+$' "$sink_out" 2>/dev/null; do sleep 0.1; done
  sink_port=$(head -1 "$sink_out")
}
stop_sink() { kill -TERM "$sink_pid"; wait "$sink_pid" || true; tail -1 "$sink_out"; }

sink
cat >"$work/config.toml" <<TOML
[data]
seed_sample = true
sample_dir = "$PWD/procedures"
[server]
public_url = "https://procedures.example.org"
[smtp]
host = "127.0.0.1"
port = $sink_port
security = "none"
pool_size = 4
[mail]
from = "Procedures <procedures@example.org>"
TOML
ch() { "$bin" --config "$work/config.toml" --data "$work/data" "$@"; }

log "importing $n subscribers"
python3 - "$n" >"$work/subscribers.csv" <<'PY'
import sys
n = int(sys.argv[1])
print("email,manuals,frequency")
for i in range(n):
    print(f"reader{i}@example.org,{['children', 'adults', 'children adults'][i % 3]},monthly")
PY
t=$(now)
ch subscribers import "$work/subscribers.csv" --confirmed | head -1 >&2
log "imported in $(awk -v a="$t" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }') s"

log "digest run to the sink"
t=$(now)
/usr/bin/time -v -o "$work/time.txt" "$bin" --config "$work/config.toml" --data "$work/data" digest --period 2024-03 >"$work/digest.out"
digest_s=$(awk -v a="$t" -v b="$(now)" 'BEGIN { printf "%.2f", b - a }')
cat "$work/digest.out" >&2
accepted=$(stop_sink)
rss_kb=$(awk -F': ' '/Maximum resident set size/ { print $2 }' "$work/time.txt")

log "the sink's ceiling: $n messages over one smtplib connection"
# A real digest (the largest kind: both manuals) as the ceiling's message.
CHAPTERHOUSE__SMTP__HOST= ch subscribers add sample-both@example.org --confirmed >/dev/null
CHAPTERHOUSE__SMTP__HOST= ch digest --period 2024-03 >/dev/null || true
message=$(ls -S "$work/data/outbox"/*.eml | head -1)
sink
ceiling=$(python3 bench/smtp_ceiling.py "$sink_port" "$n" "$message")
ceiling_accepted=$(stop_sink)

rate=$(awk -v n="$n" -v s="$digest_s" 'BEGIN { printf "%.0f", n / s }')
ceiling_rate=$(echo "$ceiling" | awk '{ printf "%.0f", $3 }')
ceiling_s=$(echo "$ceiling" | awk '{ print $2 }')
echo
echo "Digest benchmark: $n subscribers, period 2024-03, message $(stat -c %s "$message") bytes"
echo
echo "| Sender | Messages | Time [s] | Messages/s | Peak RSS |"
echo "|:---|---:|---:|---:|---:|"
echo "| chapterhouse digest (pool of 4) | $n | $digest_s | $rate | $((rss_kb / 1024)) MB |"
echo "| smtplib, one connection (sink ceiling) | $n | $ceiling_s | $ceiling_rate | – |"
echo
echo "chapterhouse / ceiling: $(awk -v a="$rate" -v b="$ceiling_rate" 'BEGIN { printf "%.0f%%", 100 * a / b }')"
echo "sink counted: $accepted (digest run), $ceiling_accepted (ceiling run)"
