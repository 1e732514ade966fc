#!/usr/bin/env bash
# Benchmark: `import` of one release and `diff --format json` between two releases of a
# generated 2,000-chapter manual, side by side with git's own command line on the same data:
#   import  vs  git add -A + git commit + git tag -a   (on a checked-out copy of the store into
#               which the snapshot was already copied, untimed: git's half of the job starts
#               with the files in place, chapterhouse's with reading them from the snapshot)
#   diff    vs  git diff --numstat <tagA> <tagB>            (on the same store)
# Needs hyperfine (Debian: apt-get install hyperfine). Usage:
#   bench/release.sh [CHAPTERS] [RUNS]        (defaults: 2000 chapters, 20 runs)
set -euo pipefail
cd "$(dirname "$0")/.."
chapters=${1:-2000}
runs=${2:-20}
work=${BENCH_DIR:-target/bench-release}

cargo build --release --quiet --bin chapterhouse --example gen-corpus
bin=$PWD/target/release/chapterhouse
rm -rf "$work" && mkdir -p "$work"
work=$(cd "$work" && pwd)
corpus=$work/corpus
./target/release/examples/gen-corpus --chapters "$chapters" --releases 3 --out "$corpus" 2>/dev/null
mapfile -t releases < <(cut -d' ' -f1 "$corpus/releases.txt")
mapfile -t dates < <(cut -d' ' -f2 "$corpus/releases.txt")
printf '' >"$work/empty.toml"
ch() { "$bin" --config "$work/empty.toml" --data "$1" "${@:2}"; }

# The store holding the first two releases; each timed import starts from a copy of it.
ch "$work/base" import "$corpus/${releases[0]}" --manual bench --release "${releases[0]}" --date "${dates[0]}" >/dev/null
ch "$work/base" import "$corpus/${releases[1]}" --manual bench --release "${releases[1]}" --date "${dates[1]}" >/dev/null
# The git baseline's copy: a checkout of the same store, with an identity to commit as.
git clone -q "$work/base/store.git" "$work/gitbase"
git -C "$work/gitbase" config user.name "Bench Editor"
git -C "$work/gitbase" config user.email "bench@example.org"

echo "== import of release ${releases[2]} ($chapters chapters)"
hyperfine --warmup 2 --runs "$runs" --export-markdown "$work/import.md" \
  --prepare "rm -rf $work/run && cp -a $work/base $work/run" \
  --command-name "chapterhouse import" \
  "$bin --config $work/empty.toml --data $work/run import $corpus/${releases[2]} --manual bench --release ${releases[2]} --date ${dates[2]}" \
  --prepare "rm -rf $work/gitrun && cp -a $work/gitbase $work/gitrun && rm -rf $work/gitrun/bench && cp -r $corpus/${releases[2]} $work/gitrun/bench" \
  --command-name "git add -A && git commit && git tag -a" \
  "git -C $work/gitrun add -A && git -C $work/gitrun commit -qm import && git -C $work/gitrun tag -a bench/${releases[2]} -m release"

# The diff compares the second and third releases of one store.
ch "$work/base" import "$corpus/${releases[2]}" --manual bench --release "${releases[2]}" --date "${dates[2]}" >/dev/null
echo "== diff ${releases[1]} -> ${releases[2]}"
ch "$work/base" diff --manual bench --format json | python3 -c '
import json, sys
d = json.load(sys.stdin)
print("   reports %d updated, %d new, %d removed" % (len(d["updated"]), len(d["new"]), len(d["removed"])))'
echo "   git numstat sees $(git --git-dir "$work/base/store.git" diff --numstat "bench/${releases[1]}" "bench/${releases[2]}" | wc -l) changed files"
hyperfine --warmup 3 --runs "$runs" -N --export-markdown "$work/diff.md" \
  --command-name "chapterhouse diff --format json" \
  "$bin --config $work/empty.toml --data $work/base diff --manual bench --from ${releases[1]} --to ${releases[2]} --format json" \
  --command-name "git diff --numstat" \
  "git --git-dir $work/base/store.git diff --numstat bench/${releases[1]} bench/${releases[2]}"
cat "$work/import.md" "$work/diff.md"
