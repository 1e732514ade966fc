# Shared by the benchmark scripts that start a server: logging, /proc readings, starting and
# stopping processes. Source it after `set -euo pipefail`; it needs $work (the work folder)
# and $bin (the chapterhouse binary) set before start_server is called.

now() { date +%s.%N; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }'; }
log() { printf '%s  %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die() { log "error: $*"; exit 1; }
kb_to_mb() { awk -v k="$1" 'BEGIN { printf "%.1f", k / 1024 }'; }
# proc_kb PID FIELD: a kB field of /proc/PID/status (VmRSS, VmHWM, RssAnon ...), in kB.
proc_kb() { sed -n "s/^$2:[[:space:]]*\([0-9]*\) kB$/\1/p" "/proc/$1/status"; }

# stop_pid PID: ends and reaps one process this script started (SIGTERM; SIGKILL when it is
# still there after 10 s).
stop_pid() {
  if [ -n "$1" ]; then
    kill "$1" 2>/dev/null || true
    for _ in $(seq 100); do
      kill -0 "$1" 2>/dev/null || break
      sleep 0.1
    done
    kill -KILL "$1" 2>/dev/null || true
    wait "$1" 2>/dev/null || true
  fi
}

# link_binary BUILT: the run uses its own link to the binary (sets $bin): a build into the
# same target folder meanwhile replaces the file there, not this one.
link_binary() {
  ln "$1" "$work/chapterhouse" 2>/dev/null || cp "$1" "$work/chapterhouse"
  bin=$work/chapterhouse
}

# start_server DATA [OPTION...]: starts `chapterhouse [OPTION...] --data DATA serve` on a free
# port (--listen 127.0.0.1:0; the address is read from its output), request logging off
# (CHAPTERHOUSE_LOG=warn; other variables set before the call reach the server too), and
# waits for /healthz; sets $server_pid and $base. Output goes to $work/${serve_name}.out
# and .err (serve_name defaults to "serve").
start_server() {
  local data=$1 name=${serve_name:-serve} t addr=""
  shift
  local out=$work/$name.out err=$work/$name.err
  t=$(now)
  : >"$out"
  CHAPTERHOUSE_LOG=warn "$bin" "$@" --data "$data" serve --listen 127.0.0.1:0 >"$out" 2>"$err" &
  server_pid=$!
  for _ in $(seq 1200); do
    addr=$(sed -n 's|^chapterhouse listening on http://||p' "$out" | head -n 1 || true)
    [ -n "$addr" ] && break
    kill -0 "$server_pid" 2>/dev/null || { cat "$err" >&2; die "the server exited before listening"; }
    sleep 0.1
  done
  [ -n "$addr" ] || die "the server printed no address within 120 s"
  case $addr in 127.0.0.1:*) ;; *) die "the server listens on $addr, not 127.0.0.1" ;; esac
  base=http://$addr
  for _ in $(seq 600); do
    curl -fsS -o /dev/null "$base/healthz" 2>/dev/null && break
    kill -0 "$server_pid" 2>/dev/null || { cat "$err" >&2; die "the server exited"; }
    sleep 0.1
  done
  curl -fsS -o /dev/null "$base/healthz" || die "$base/healthz does not answer"
  log "server pid $server_pid at $base answers /healthz after $(since "$t") s"
}

# busy_note WHAT: one second of CPU use by others and the compilers running, noted (through
# `note`) when the machine is busy (>= 20% of the CPUs, or a compiler running).
busy_note() {
  local a b pct c
  a=$(awk '/^cpu / { t = 0; for (i = 2; i <= NF; i++) t += $i; print $5 + $6, t }' /proc/stat)
  sleep 1
  b=$(awk '/^cpu / { t = 0; for (i = 2; i <= NF; i++) t += $i; print $5 + $6, t }' /proc/stat)
  pct=$(awk -v a="$a" -v b="$b" 'BEGIN { split(a, x, " "); split(b, y, " "); d = y[2] - x[2]
    printf "%.0f", (d > 0 ? 100 * (1 - (y[1] - x[1]) / d) : 0) }')
  c=$(ps -eo comm= | grep -cxE 'rustc|cc1|cc1plus|ld|collect2|rust-lld|ld.lld' || true)
  log "$1: $pct% CPU in use, $c compiler process(es), load average $(cut -d' ' -f1-3 /proc/loadavg)"
  if [ "$pct" -ge 20 ] || [ "$c" -gt 0 ]; then
    note "$1: machine busy ($pct% CPU in use, $c compiler process(es), load average $(cut -d' ' -f1-3 /proc/loadavg))"
  fi
}

# fresh_work BUILT: empties the work folder $work (made absolute), links the binary BUILT
# into it (sets $bin) and starts the notes printed under a result ($notes, `note`).
fresh_work() {
  mkdir -p "$work"
  work=$(cd "$work" && pwd)
  find "$work" -mindepth 1 -maxdepth 1 -exec rm -rf {} +
  link_binary "$1"
  notes=$work/notes.txt
  : >"$notes"
}
note() { log "$*"; printf '%s\n' "$*" >>"$notes"; }
