#!/usr/bin/env bash
# Replication lag: how long after `chapterhouse import` on the writer a new release is
# served by two read replicas, against plain git moving the same release between the same
# kind of repositories. One run, on one machine (127.0.0.1):
#   - a PostgreSQL server of its own (Debian's postgresql package: initdb and postgres in
#     the work folder, as the postgres user when run as root), one database;
#   - a bare repository on local disk as the git remote;
#   - the writer (store.push_to = the remote), started on the bundled sample, and two
#     replicas (store.follow = the remote, the default follow_interval of 5 s, so a release
#     arrives through the writer's NOTIFY unless that fails);
#   - RELEASES times: a copy of procedures/children/2024-04 with one new, unique word is
#     imported on the writer with `chapterhouse import` (commit, tag, push, notify), and
#     both replicas' /api/v1/search is asked for the word every 20 ms until both find it.
#     The lag is from the start of the import to the second replica's first hit, and from
#     the import's end;
#   - baseline, the same number of times: `git push --mirror` of the writer's store to a
#     second bare repository, then `git fetch` of it into a third (git's own transfer of
#     the same release, with no index, page or cache to bring up to date).
# Prints a Markdown table (median, p90 and max, in ms) to stdout; progress to stderr.
# Requires the Rust toolchain, curl, git and PostgreSQL's server programs.
# Usage: bench/replicas.sh   (RELEASES, default 20; BENCH_DIR, default target/bench-replicas)
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/lib.sh
work=${BENCH_DIR:-target/bench-replicas}
releases=${RELEASES:-20}
cargo build --release --quiet
fresh_work "${CARGO_TARGET_DIR:-target}/release/chapterhouse"

pgbin=${CHAPTERHOUSE_PG_BIN:-$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)}
[ -x "$pgbin/initdb" ] || die "no PostgreSQL server programs (apt-get install postgresql)"
as_pg() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
mkdir -p "$work/pg"
[ "$(id -u)" = 0 ] && chown postgres "$work/pg"
as_pg "$pgbin/initdb" -D "$work/pg/data" -U postgres --auth=trust --no-sync -E UTF8 >/dev/null
pgport=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
as_pg "$pgbin/postgres" -D "$work/pg/data" -p "$pgport" -k "$work/pg" \
  -c listen_addresses=127.0.0.1 -c fsync=off >"$work/pg.log" 2>&1 &
pg_pid=$!
pids=()
cleanup() { for p in "${pids[@]}"; do stop_pid "$p"; done; stop_pid "$pg_pid"; }
trap cleanup EXIT
for _ in $(seq 100); do "$pgbin/pg_isready" -q -h 127.0.0.1 -p "$pgport" && break; sleep 0.1; done
url="postgres://postgres@127.0.0.1:$pgport/postgres"

git init --bare --quiet "$work/remote.git"
cat >"$work/writer.toml" <<TOML
[data]
seed_sample = true
sample_dir = "$PWD/procedures"
[store]
push_to = ["$work/remote.git"]
[database]
url = "$url"
[digest]
enabled = false
TOML
serve_name=writer start_server "$work/writer" --config "$work/writer.toml"
pids+=("$server_pid")
replica_base=()
for n in 1 2; do
  cat >"$work/replica$n.toml" <<TOML
[store]
follow = "$work/remote.git"
[server]
primary_url = "$base"
[database]
url = "$url"
[digest]
enabled = false
TOML
  serve_name=replica$n start_server "$work/replica$n" --config "$work/replica$n.toml"
  pids+=("$server_pid")
  replica_base+=("$base")
done

found() { curl -fsS "$1/api/v1/search?q=$2" | grep -q '"hits":\[{'; }
ms() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.0f\n", (b - a) * 1000 }'; }
: >"$work/lag.txt"; : >"$work/lag_after.txt"; : >"$work/git.txt"
git init --bare --quiet "$work/git-remote.git"
git init --bare --quiet "$work/git-replica.git"
for i in $(seq "$releases"); do
  word=quokka$(printf '%04d' "$i")x
  snap=$work/snap$i
  cp -r procedures/children/2024-04 "$snap"
  first=$(find "$snap" -name "*.md" | sort | head -n 1)
  printf '\n## 99. Added %s\n\nThe %s protocol applies.\n' "$i" "$word" >>"$first"
  t0=$(now)
  "$bin" --config "$work/writer.toml" --data "$work/writer" import "$snap" --manual children \
    --release "r$(printf %03d "$i")" --date 2024-05-01 >/dev/null
  t1=$(now)
  until found "${replica_base[0]}" "$word" && found "${replica_base[1]}" "$word"; do sleep 0.02; done
  t2=$(now)
  ms "$t0" "$t2" >>"$work/lag.txt"
  ms "$t1" "$t2" >>"$work/lag_after.txt"
  g0=$(now)
  git --git-dir "$work/writer/store.git" push --quiet --mirror "$work/git-remote.git"
  git --git-dir "$work/git-replica.git" fetch --quiet "$work/git-remote.git" '+refs/*:refs/*'
  g1=$(now)
  ms "$g0" "$g1" >>"$work/git.txt"
  log "release $i: both replicas after $(ms "$t0" "$t2") ms ($(ms "$t1" "$t2") ms after the import), git alone $(ms "$g0" "$g1") ms"
done
stats() { sort -n "$1" | awk '{ v[NR] = $1 } END { p = int((NR * 9 + 9) / 10); printf "%d | %d | %d", v[int((NR + 1) / 2)], v[p], v[NR] }'; }
echo "| $releases releases of the 'children' manual | median ms | p90 ms | max ms |"
echo "|---|---|---|---|"
echo "| chapterhouse: import on the writer → found by both replicas' search | $(stats "$work/lag.txt") |"
echo "| chapterhouse: end of the import → found by both replicas | $(stats "$work/lag_after.txt") |"
echo "| git alone: push --mirror + fetch of the same store | $(stats "$work/git.txt") |"
