#!/usr/bin/env python3
"""The editor of bench/mixed.sh: saves one chapter and publishes a release, every INTERVAL s.

    mixed_editor.py --base http://127.0.0.1:PORT --manual M --token-file F --ids FILE \
        --out ITERATIONS.jsonl --summary SUMMARY.json --stop-file F [--ready-file F] \
        [--interval 2] [--max-seconds 600] [--release-prefix bench-]

Each iteration, on its own chapter (the next id of FILE, one a line; no chapter twice):
  1. GET  /api/v1/manuals/M/draft/chapters/ID            -> the chapter and its `revision`
  2. PUT  /api/v1/manuals/M/chapters/ID                    the chapter file (front matter
          If-Match: "<revision>"                           + Markdown) with one sentence
                                                           changed: a new word zq<letters>
                                                           is added to its first paragraph
  3. GET  /api/v1/search?q=WORD&manual=M                   once: the draft must not be
                                                           searchable yet
  4. POST /api/v1/manuals/M/releases {"name": "<prefix><n>", "notes": {}}
     while another connection searches for WORD (20 ms between searches) from the moment
     the POST is sent until a search answers with the chapter (its id among the hits, not
     by typo tolerance): publish -> searchable.
Iterations start every INTERVAL seconds (at once when the previous one took longer). The
loop stops when STOP_FILE exists (checked between iterations) or after MAX_SECONDS.

Anything unexpected (a PUT other than 200, a POST other than 201, the word searchable
before the release, not searchable within 30 s, a failed connection) stops the loop with
a message on stderr and exit code 1; the iterations done so far are in OUT and SUMMARY
(with "error"). Writes one JSON line per iteration to OUT and, at the end, SUMMARY:
counts, latencies in ms (p50/p90/p99/max by nearest rank) and the error if any.
Talks only to the address given (bench/mixed.sh gives 127.0.0.1). Standard library only.
"""

import argparse
import http.client
import json
import math
import os
import random
import re
import string
import sys
import threading
import time
import urllib.parse

SEARCHABLE_TIMEOUT_S = 30.0
POLL_PAUSE_S = 0.020


class Failure(Exception):
    pass


class Client:
    """One keep-alive HTTP/1.1 connection, opened again after the server closed it."""

    def __init__(self, host, port, token=None):
        self.host, self.port, self.token = host, port, token
        self.conn = None

    def request(self, method, path, body=None, headers=None):
        headers = dict(headers or {})
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        if body is not None and not isinstance(body, bytes):
            body = body.encode("utf-8")
        for attempt in (1, 2):
            if self.conn is None:
                self.conn = http.client.HTTPConnection(self.host, self.port, timeout=60)
            try:
                self.conn.request(method, path, body=body, headers=headers)
                resp = self.conn.getresponse()
                data = resp.read()
                if resp.getheader("Connection", "").lower() == "close":
                    self.close()
                return resp.status, data
            except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
                # A keep-alive connection the server closed meanwhile: once more, anew.
                # (Only before anything was answered, so a write is never sent twice
                # after it succeeded.)
                self.close()
                if attempt == 2:
                    raise
        raise AssertionError("unreachable")

    def close(self):
        if self.conn is not None:
            self.conn.close()
            self.conn = None


def toml_str(s):
    """A TOML basic string (JSON's escapes are TOML's, for the characters titles hold)."""
    return json.dumps(s, ensure_ascii=False)


def chapter_file(ch, body):
    """The chapter file for the draft chapter JSON `ch` with Markdown `body`."""
    lines = ["+++", f"title = {toml_str(ch['title'])}", f"id = {toml_str(ch['id'])}"]
    if ch.get("kind") == "link":
        lines.append('kind = "link"')
        lines.append(f"url = {toml_str(ch['url'])}")
    if ch.get("section"):
        lines.append(f"section = {toml_str(ch['section'])}")
    if ch.get("tags"):
        lines.append("tags = [" + ", ".join(toml_str(t) for t in ch["tags"]) + "]")
    for key in ("review_due", "owner", "sources"):
        if ch.get(key) not in (None, "", []):
            raise Failure(f"chapter {ch['id']} has {key}, which this editor cannot write back")
    lines.append("+++")
    return "\n".join(lines) + "\n" + body


def change_sentence(body, word):
    """`body` with one sentence changed: the first line of prose (not a heading, list item,
    table, quote or code) gets a sentence naming `word` at its end."""
    lines = body.split("\n")
    fence = False
    for i, line in enumerate(lines):
        s = line.strip()
        if s.startswith("```") or s.startswith("~~~"):
            fence = not fence
            continue
        if fence or not s or s[0] in "#|>-*+<" or re.match(r"^\d+[.)]\s", s):
            continue
        lines[i] = line.rstrip() + f" This was checked in the {word} review."
        return "\n".join(lines)
    return body.rstrip("\n") + f"\n\nThis was checked in the {word} review.\n"


def new_word(rng):
    # Plain lower-case letters: one token for the search analyzers (no digits, hyphens or
    # apostrophes to split on); 14 letters, so no two words of a run are within the two
    # edits of typo tolerance, and no English word.
    return "zq" + "".join(rng.choice(string.ascii_lowercase) for _ in range(12))


def search_path(manual, word):
    return "/api/v1/search?" + urllib.parse.urlencode({"q": word, "manual": manual})


def found(status, data, chapter):
    if status != 200:
        raise Failure(f"search answered {status}: {data[:300]!r}")
    answer = json.loads(data)
    return (not answer.get("fuzzy")) and any(h.get("id") == chapter for h in answer.get("hits", []))


def percentile(values, p):
    if not values:
        return None
    v = sorted(values)
    return v[max(0, math.ceil(p / 100 * len(v)) - 1)]


def stats(values):
    return {
        "n": len(values),
        "p50": percentile(values, 50),
        "p90": percentile(values, 90),
        "p99": percentile(values, 99),
        "max": max(values) if values else None,
        "mean": sum(values) / len(values) if values else None,
    }


def iteration(n, args, editor, chapter, rng):
    ms = lambda a, b: round((b - a) * 1000, 2)
    m = urllib.parse.quote(args.manual, safe="")
    cid = urllib.parse.quote(chapter, safe="")
    rec = {"n": n, "chapter": chapter, "started": time.time()}

    t = time.perf_counter()
    status, data = editor.request("GET", f"/api/v1/manuals/{m}/draft/chapters/{cid}")
    rec["draft_ms"] = ms(t, time.perf_counter())
    if status != 200:
        raise Failure(f"GET draft/chapters/{chapter} answered {status}: {data[:300]!r}")
    ch = json.loads(data)
    revision = ch["revision"]

    word = new_word(rng)
    rec["word"] = word
    text = chapter_file(ch, change_sentence(ch["markdown"], word))
    t = time.perf_counter()
    status, data = editor.request(
        "PUT",
        f"/api/v1/manuals/{m}/chapters/{cid}",
        body=text,
        headers={"If-Match": f'"{revision}"', "Content-Type": "text/markdown; charset=utf-8"},
    )
    rec["save_ms"] = ms(t, time.perf_counter())
    rec["save_status"] = status
    if status != 200:
        raise Failure(f"PUT chapters/{chapter} answered {status} (expected 200): {data[:500]!r}")
    written = json.loads(data)
    if written.get("changed") is not True:
        raise Failure(f"PUT chapters/{chapter} changed nothing: {data[:300]!r}")

    status, data = editor.request("GET", search_path(args.manual, word))
    if found(status, data, chapter):
        raise Failure(f"{word} is searchable before any release: the draft is indexed?")

    name = f"{args.release_prefix}{n}"
    rec["release"] = name
    result = {}
    sent = threading.Event()

    def poll():
        # Its own connection, from the moment the POST is sent.
        searcher = Client(editor.host, editor.port)
        try:
            sent.wait()
            searches = 0
            while True:
                status, data = searcher.request("GET", search_path(args.manual, word))
                searches += 1
                now = time.perf_counter()
                if found(status, data, chapter):
                    result["at"], result["searches"] = now, searches
                    return
                if now - result["t0"] > SEARCHABLE_TIMEOUT_S:
                    result["error"] = f"{word} not searchable {SEARCHABLE_TIMEOUT_S:.0f} s after publishing {name}"
                    return
                time.sleep(POLL_PAUSE_S)
        except Exception as e:  # noqa: BLE001 - reported by the main thread
            result["error"] = f"search while publishing: {e!r}"
        finally:
            searcher.close()

    poller = threading.Thread(target=poll, daemon=True)
    poller.start()
    body = json.dumps({"name": name, "notes": {}})
    result["t0"] = t = time.perf_counter()
    sent.set()
    status, data = editor.request(
        "POST", f"/api/v1/manuals/{m}/releases", body=body,
        headers={"Content-Type": "application/json"},
    )
    rec["publish_ms"] = ms(t, time.perf_counter())
    rec["publish_status"] = status
    if status != 201:
        raise Failure(f"POST releases {name} answered {status} (expected 201): {data[:500]!r}")
    published = json.loads(data)
    if published.get("name") != name or published.get("scheduled"):
        raise Failure(f"POST releases {name}: unexpected answer {data[:300]!r}")
    poller.join(SEARCHABLE_TIMEOUT_S + 60)
    if "error" in result:
        raise Failure(result["error"])
    if "at" not in result:
        raise Failure(f"the search for {word} did not finish")
    rec["searchable_ms"] = ms(t, result["at"])
    rec["searches"] = result["searches"]
    return rec


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--base", required=True)
    ap.add_argument("--manual", required=True)
    ap.add_argument("--token-file", required=True)
    ap.add_argument("--ids", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--summary", required=True)
    ap.add_argument("--stop-file", required=True)
    ap.add_argument("--ready-file")
    ap.add_argument("--interval", type=float, default=2.0)
    ap.add_argument("--max-seconds", type=float, default=600.0)
    ap.add_argument("--release-prefix", default="bench-")
    ap.add_argument("--seed", type=int, default=None)
    args = ap.parse_args()

    url = urllib.parse.urlsplit(args.base)
    if url.scheme != "http" or url.hostname != "127.0.0.1":
        sys.exit(f"mixed_editor.py: only http://127.0.0.1:PORT, not {args.base}")
    with open(args.token_file, encoding="utf-8") as f:
        token = f.readline().strip()
    with open(args.ids, encoding="utf-8") as f:
        ids = [line.strip() for line in f if line.strip()]
    if not token or not ids:
        sys.exit("mixed_editor.py: no token or no chapter ids")
    rng = random.Random(args.seed)
    editor = Client(url.hostname, url.port, token)

    records, error, late = [], None, 0
    started = time.perf_counter()
    deadline = started + args.max_seconds
    next_start = started
    with open(args.out, "w", encoding="utf-8") as out:
        n = 0
        while not os.path.exists(args.stop_file) and time.perf_counter() < deadline:
            if n >= len(ids):
                error = f"ran out of chapters after {n} iterations"
                break
            chapter = ids[n]
            n += 1
            try:
                rec = iteration(n, args, editor, chapter, rng)
            except Exception as e:  # noqa: BLE001 - every failure is reported
                error = f"iteration {n} ({chapter}): {e}"
                break
            records.append(rec)
            out.write(json.dumps(rec) + "\n")
            out.flush()
            if args.ready_file and n == 1:
                open(args.ready_file, "w").close()
            print(
                f"  editor {n}: {chapter} saved in {rec['save_ms']:.0f} ms, {rec['release']} "
                f"published in {rec['publish_ms']:.0f} ms, searchable after "
                f"{rec['searchable_ms']:.0f} ms",
                file=sys.stderr,
            )
            next_start += args.interval
            now = time.perf_counter()
            if now > next_start:
                late += 1
                next_start = now
            while time.perf_counter() < next_start and not os.path.exists(args.stop_file):
                time.sleep(min(0.05, max(0.0, next_start - time.perf_counter())))
    editor.close()

    summary = {
        "iterations": len(records),
        "saves": sum(1 for r in records if r.get("save_status") == 200),
        "releases": sum(1 for r in records if r.get("publish_status") == 201),
        "late_starts": late,
        "interval_s": args.interval,
        "elapsed_s": round(time.perf_counter() - started, 3),
        "draft_ms": stats([r["draft_ms"] for r in records]),
        "save_ms": stats([r["save_ms"] for r in records]),
        "publish_ms": stats([r["publish_ms"] for r in records]),
        "searchable_ms": stats([r["searchable_ms"] for r in records]),
        "searches": stats([r["searches"] for r in records]),
        "error": error,
    }
    with open(args.summary, "w", encoding="utf-8") as f:
        json.dump(summary, f, indent=1)
    if error:
        print(f"mixed_editor.py: error: {error}", file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main()
