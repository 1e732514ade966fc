#!/usr/bin/env python3
"""The publisher of bench/soak.sh: saves one chapter and publishes a release, every INTERVAL s.

    soak_publisher.py --base http://127.0.0.1:PORT --token-file F --sample DIR \
        --out ITERATIONS.jsonl --summary SUMMARY.json --stop-file F [--ready-file F] \
        [--interval 30] [--max-seconds 900] [--release-prefix soak-] [--manuals a,b]

Iteration n (n = 1, 2, ...) works on the next manual of --manuals in turn and, within it,
on the next chapter of its current release (GET /api/v1/manuals/M/chapters, links left
out), so consecutive releases change different chapters:
  1. GET  /api/v1/manuals/M/draft/chapters/ID    -> 200, the chapter and its `revision`
  2. PUT  /api/v1/manuals/M/chapters/ID          -> 200, {"changed": true}
          If-Match: "<revision>"                    the chapter file: the front matter of
                                                    the bundled sample's file (SAMPLE/M,
                                                    its last snapshot) verbatim, and the
                                                    draft's Markdown with one sentence
                                                    naming a new word zq<letters> added
  3. POST /api/v1/manuals/M/releases             -> 201, {"name": "<prefix><n>", ...},
          {"name": "<prefix><n>", "notes": {}}      in force today
  4. GET  /manuals/M/chapters/ID                 -> 200, the page names the new word
The front matter is taken from the sample because the draft API gives only some of its
keys (no review_due, owner or sources): writing back what it gives would drop the others.

Iterations start every INTERVAL seconds (at once when the previous one took longer). The
loop stops when STOP_FILE exists (checked between iterations) or after MAX_SECONDS.
Anything else than the answers above stops the loop with a message on stderr and exit
code 1; SUMMARY then holds "error". Writes one JSON line per iteration to OUT and, at the
end, SUMMARY (counts, save/publish latencies in ms). Talks only to 127.0.0.1. Standard
library only (and bench/mixed_editor.py's HTTP client and sentence change).
"""

import argparse
import json
import os
import random
import sys
import time
import tomllib
import urllib.parse

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from mixed_editor import Client, change_sentence, new_word, stats  # noqa: E402


class Failure(Exception):
    pass


def sample_front_matter(sample_dir, manual):
    """chapter id -> the front-matter block (`+++` ... `+++\\n`) of its file in the
    manual's last bundled snapshot."""
    folder = os.path.join(sample_dir, manual)
    with open(os.path.join(folder, "releases.toml"), "rb") as f:
        releases = tomllib.load(f)["release"]
    snapshot = os.path.join(folder, releases[-1]["snapshot"])
    blocks = {}
    for root, _, files in os.walk(snapshot):
        for name in files:
            if not name.endswith(".md"):
                continue
            text = open(os.path.join(root, name), encoding="utf-8").read()
            if not text.startswith("+++\n"):
                continue
            end = text.index("\n+++\n", 3) + len("\n+++\n")
            block = text[:end]
            meta = tomllib.loads(block[len("+++\n") : -len("+++\n")])
            blocks[meta.get("id", name[:-3])] = block
    return blocks


def expect(status, data, wanted, what):
    if status != wanted:
        raise Failure(f"{what} answered {status} (expected {wanted}): {data[:500]!r}")


def iteration(n, args, client, manual, chapter, front, rng):
    ms = lambda a, b: round((b - a) * 1000, 2)
    m = urllib.parse.quote(manual, safe="")
    cid = urllib.parse.quote(chapter, safe="")
    rec = {"n": n, "manual": manual, "chapter": chapter, "started": time.time()}

    status, data = client.request("GET", f"/api/v1/manuals/{m}/draft/chapters/{cid}")
    expect(status, data, 200, f"GET {manual} draft/chapters/{chapter}")
    draft = json.loads(data)

    word = new_word(rng)
    rec["word"] = word
    text = front + change_sentence(draft["markdown"], word)
    t = time.perf_counter()
    status, data = client.request(
        "PUT",
        f"/api/v1/manuals/{m}/chapters/{cid}",
        body=text,
        headers={"If-Match": f'"{draft["revision"]}"', "Content-Type": "text/markdown; charset=utf-8"},
    )
    rec["save_ms"] = ms(t, time.perf_counter())
    expect(status, data, 200, f"PUT {manual} chapters/{chapter}")
    if json.loads(data).get("changed") is not True:
        raise Failure(f"PUT {manual} chapters/{chapter} changed nothing: {data[:300]!r}")

    name = f"{args.release_prefix}{n}"
    rec["release"] = name
    t = time.perf_counter()
    status, data = client.request(
        "POST", f"/api/v1/manuals/{m}/releases", body=json.dumps({"name": name, "notes": {}}),
        headers={"Content-Type": "application/json"},
    )
    rec["publish_ms"] = ms(t, time.perf_counter())
    expect(status, data, 201, f"POST {manual} releases {name}")
    published = json.loads(data)
    if published.get("name") != name or published.get("scheduled"):
        raise Failure(f"POST {manual} releases {name}: unexpected answer {data[:300]!r}")

    status, data = client.request("GET", f"/manuals/{m}/chapters/{cid}")
    expect(status, data, 200, f"GET /manuals/{manual}/chapters/{chapter}")
    if word.encode() not in data:
        raise Failure(f"/manuals/{manual}/chapters/{chapter} does not show {word} after {name}")
    return rec


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--base", required=True)
    ap.add_argument("--token-file", required=True)
    ap.add_argument("--sample", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--summary", required=True)
    ap.add_argument("--stop-file", required=True)
    ap.add_argument("--ready-file")
    ap.add_argument("--interval", type=float, default=30.0)
    ap.add_argument("--max-seconds", type=float, default=900.0)
    ap.add_argument("--release-prefix", default="soak-")
    ap.add_argument("--manuals", default="children,adults")
    ap.add_argument("--seed", type=int, default=None)
    args = ap.parse_args()

    url = urllib.parse.urlsplit(args.base)
    if url.scheme != "http" or url.hostname != "127.0.0.1":
        sys.exit(f"soak_publisher.py: only http://127.0.0.1:PORT, not {args.base}")
    with open(args.token_file, encoding="utf-8") as f:
        token = f.readline().strip()
    if not token:
        sys.exit("soak_publisher.py: no token")
    rng = random.Random(args.seed)
    client = Client(url.hostname, url.port, token)
    manuals = [m for m in args.manuals.split(",") if m]

    chapters, fronts = {}, {}
    for manual in manuals:
        status, data = client.request("GET", f"/api/v1/manuals/{urllib.parse.quote(manual)}/chapters")
        if status != 200:
            sys.exit(f"soak_publisher.py: GET /api/v1/manuals/{manual}/chapters answered {status}")
        fronts[manual] = sample_front_matter(args.sample, manual)
        chapters[manual] = [
            c["id"] for c in json.loads(data)["chapters"]
            if c.get("kind", "chapter") == "chapter" and c["id"] in fronts[manual]
        ]
        if not chapters[manual]:
            sys.exit(f"soak_publisher.py: no chapter of {manual} to edit")

    records, error, late = [], None, 0
    started = time.perf_counter()
    deadline = started + args.max_seconds
    next_start = started
    with open(args.out, "w", encoding="utf-8") as out:
        n = 0
        while not os.path.exists(args.stop_file) and time.perf_counter() < deadline:
            n += 1
            manual = manuals[(n - 1) % len(manuals)]
            ids = chapters[manual]
            chapter = ids[((n - 1) // len(manuals)) % len(ids)]
            try:
                rec = iteration(n, args, client, manual, chapter, fronts[manual][chapter], rng)
            except Exception as e:  # noqa: BLE001 - every failure is reported
                error = f"iteration {n} ({manual}/{chapter}): {e}"
                break
            records.append(rec)
            out.write(json.dumps(rec) + "\n")
            out.flush()
            if args.ready_file and n == 1:
                open(args.ready_file, "w").close()
            print(
                f"  publisher {n}: {manual}/{chapter} saved in {rec['save_ms']:.0f} ms, "
                f"{rec['release']} published in {rec['publish_ms']:.0f} ms",
                file=sys.stderr,
            )
            next_start += args.interval
            now = time.perf_counter()
            if now > next_start:
                late += 1
                next_start = now
            while time.perf_counter() < next_start and not os.path.exists(args.stop_file):
                time.sleep(min(0.1, max(0.0, next_start - time.perf_counter())))
    client.close()

    summary = {
        "releases": len(records),
        "late_starts": late,
        "interval_s": args.interval,
        "elapsed_s": round(time.perf_counter() - started, 3),
        "save_ms": stats([r["save_ms"] for r in records]),
        "publish_ms": stats([r["publish_ms"] for r in records]),
        "error": error,
    }
    with open(args.summary, "w", encoding="utf-8") as f:
        json.dump(summary, f, indent=1)
    if error:
        print(f"soak_publisher.py: error: {error}", file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main()
