#!/usr/bin/env python3
"""The Xapian side of bench/search.sh: in-process, over the same chapter versions and
queries as bench/fts5.py.

    python3 bench/xapian.py run --corpus DIR --db DIR --queries FILE
                                [--rounds 5] [--warmup 1] [--json FILE]

Needs Xapian's Python bindings (Debian: `apt-get install python3-xapian`, which installs
them for Debian's own /usr/bin/python3 only); bench/fts5.py beside this file, which reads
the corpus and the query set, uses only the standard library.

`run` builds an on-disk Xapian database (glass backend) over exactly the chapter versions
bench/fts5.py indexes (its `versions`: each distinct content of a chapter id, in force from
the date of the release where it first appears until the date of the first release where it
no longer does), one document each: title and body through a TermGenerator with the English
stemmer (STEM_SOME: stemmed terms, plus the unstemmed ones with positions for phrases), the
title's terms counted 4 times (wdf 4 per occurrence, as chapterhouse and bench/fts5.py
weight a title match 4 against 1 for the body), the dates the version is in force from and
to as sortable values (xapian.sortable_serialise of day numbers, slots 0 and 1), and the
chapter id, title and body as document data. The database is then compacted into --db (as
FTS5's 'optimize'); build figures are the read, index, commit and compact times and the
compacted database's size.

It then times every query of the set: `rounds` measured rounds after `warmup` unmeasured
ones, one Database and one Enquire opened once (BM25Weight with Xapian's default
parameters). Each timed search parses the query with a QueryParser (English stemmer,
STEM_SOME, FLAG_PHRASE only, so nothing typed is query syntax but quoted phrases), default
operator OR: chapterhouse's and bench/fts5.py's any-word semantics, the words and "quoted
phrases" split as bench/fts5.py splits them (an unpaired quote ignored); filters it
(OP_FILTER) to the versions in force at the query's date (today for `current`): value of
slot 0 <= day and value of slot 1 >= day + 1 (OP_VALUE_LE / OP_VALUE_GE); takes the top 10
(get_mset(0, 10)) and, as FTS5's snippet() and chapterhouse do, reads each hit's document
and makes a highlighted snippet of its body (MSet.snippet, about 200 bytes, with Xapian's
default flags SNIPPET_BACKGROUND_MODEL | SNIPPET_EXHAUSTIVE: the whole body is read, and
that is most of the time). The time up to get_mset alone (parse, filter, top 10, no
document read) is kept too, as search_only. No spelling correction: misspelt words simply
find fewer. Writes the same JSON shape as bench/fts5.py run (engine, build, current /
point_in_time / all / by_kind summaries, queries with their top-10 ids) plus search_only.
"""

import argparse
import datetime
import importlib.util
import json
import shutil
import statistics
import sys
import time
from pathlib import Path

# This file's own folder leaves the module path first: `import xapian` is the bindings, not
# this script. bench/fts5.py is loaded by its path.
HERE = Path(__file__).resolve().parent
sys.path = [p for p in sys.path if Path(p or ".").resolve() != HERE]
try:
    import xapian
except ImportError:
    sys.exit(f"xapian.py: no Xapian bindings for {sys.executable} (Debian: apt-get install "
             "python3-xapian, then run this with /usr/bin/python3)")
sys.dont_write_bytecode = True
_spec = importlib.util.spec_from_file_location("fts5", HERE / "fts5.py")
fts5 = importlib.util.module_from_spec(_spec)  # the corpus reader and query set shared
_spec.loader.exec_module(fts5)                   # with the FTS5 side

TITLE_WDF = 4  # title terms weigh 4x, as chapterhouse's title boost (body 1x)
FROM_SLOT, TO_SLOT = 0, 1
SNIPPET_BYTES = 200
PARSE_FLAGS = xapian.QueryParser.FLAG_PHRASE


def day_value(day):
    return xapian.sortable_serialise(float(day))


def remove(path):
    path = Path(path)
    if path.is_dir():
        shutil.rmtree(path)
    elif path.exists():
        path.unlink()


def dir_size(path):
    return sum(p.stat().st_size for p in Path(path).rglob("*") if p.is_file())


def build(corpus, db):
    staging = Path(str(db) + ".build")
    remove(db)
    remove(staging)
    started = time.perf_counter()
    docs, files_seen, files_read = fts5.versions(corpus)
    read_done = time.perf_counter()
    wdb = xapian.WritableDatabase(str(staging), xapian.DB_CREATE_OR_OVERWRITE)
    tg = xapian.TermGenerator()
    tg.set_stemmer(xapian.Stem("english"))
    tg.set_stemming_strategy(xapian.TermGenerator.STEM_SOME)
    wdb.begin_transaction(False)
    for chapter_id, title, body, from_day, to_day in docs:
        doc = xapian.Document()
        tg.set_document(doc)
        tg.index_text(title, TITLE_WDF)
        tg.increase_termpos()  # no phrase across the title and the body
        tg.index_text(body)
        doc.add_value(FROM_SLOT, day_value(from_day))
        doc.add_value(TO_SLOT, day_value(to_day))
        doc.set_data("\n".join((chapter_id, title, body)))
        wdb.add_document(doc)
    index_done = time.perf_counter()
    wdb.commit_transaction()
    wdb.close()
    commit_done = time.perf_counter()
    xapian.Database(str(staging)).compact(str(db))
    remove(staging)
    finished = time.perf_counter()
    return {
        "versions": len(docs),
        "files_seen": files_seen,
        "files_read": files_read,
        "read_s": read_done - started,
        "index_s": index_done - read_done,
        "commit_s": commit_done - index_done,
        "compact_s": finished - commit_done,
        "build_s": finished - started,
        "size_bytes": dir_size(db),
    }


def query_text(query):
    """The query as QueryParser is given it: bench/fts5.py's words and phrases, the phrases
    quoted again (with FLAG_PHRASE the only syntax), so both engines search the same
    clauses."""
    words, phrases = fts5.split_query(query)
    return " ".join(words + ['"' + p + '"' for p in phrases])


def run_queries(db, queries, rounds, warmup):
    today = datetime.date.today()
    database = xapian.Database(str(db))
    enquire = xapian.Enquire(database)
    enquire.set_weighting_scheme(xapian.BM25Weight())
    stem = xapian.Stem("english")
    qp = xapian.QueryParser()
    qp.set_stemmer(stem)
    qp.set_stemming_strategy(xapian.QueryParser.STEM_SOME)
    qp.set_default_op(xapian.Query.OP_OR)
    prepared = []
    for kind, at, query in queries:
        day = (today if at == "current" else datetime.date.fromisoformat(at)).toordinal()
        prepared.append((kind, at, query, query_text(query), day))
    times = [[] for _ in prepared]
    search_times = [[] for _ in prepared]  # parse and get_mset only
    last = [None] * len(prepared)
    described = [None] * len(prepared)
    clock = time.perf_counter
    OP_FILTER, OP_AND = xapian.Query.OP_FILTER, xapian.Query.OP_AND
    OP_VALUE_LE, OP_VALUE_GE = xapian.Query.OP_VALUE_LE, xapian.Query.OP_VALUE_GE
    Query = xapian.Query
    for r in range(warmup + rounds):
        for i, (_, _, _, text, day) in enumerate(prepared):
            t0 = clock()
            parsed = qp.parse_query(text, PARSE_FLAGS)
            in_force = Query(OP_AND, Query(OP_VALUE_LE, FROM_SLOT, day_value(day)),
                             Query(OP_VALUE_GE, TO_SLOT, day_value(day + 1)))
            enquire.set_query(Query(OP_FILTER, parsed, in_force))
            mset = enquire.get_mset(0, 10)
            t1 = clock()
            rows = []
            for m in mset:
                chapter_id, title, body = m.document.get_data().decode("utf-8").split("\n", 2)
                rows.append((chapter_id, title, m.weight,
                             mset.snippet(body, SNIPPET_BYTES, stem,
                                          xapian.MSet.SNIPPET_BACKGROUND_MODEL
                                          | xapian.MSet.SNIPPET_EXHAUSTIVE,
                                          "<mark>", "</mark>", "…")))
            estimated = mset.get_matches_estimated()
            dt = clock() - t0
            if r >= warmup:
                times[i].append(dt * 1000.0)
                search_times[i].append((t1 - t0) * 1000.0)
            last[i] = (rows, estimated)
            described[i] = str(parsed)
    database.close()
    return prepared, times, search_times, last, described


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    r = sub.add_parser("run")
    r.add_argument("--corpus", required=True)
    r.add_argument("--db", required=True)
    r.add_argument("--queries", required=True)
    r.add_argument("--rounds", type=int, default=5)
    r.add_argument("--warmup", type=int, default=1)
    r.add_argument("--json")
    args = parser.parse_args()

    info = build(args.corpus, args.db)
    print(f"xapian: {info['versions']} chapter versions ({info['files_read']} distinct files "
          f"of {info['files_seen']}) built in {info['build_s']:.1f}s (read "
          f"{info['read_s']:.1f}s, index {info['index_s']:.1f}s, commit "
          f"{info['commit_s']:.1f}s, compact {info['compact_s']:.1f}s), "
          f"{info['size_bytes'] / 1e6:.1f} MB", file=sys.stderr)
    queries = fts5.read_queries(args.queries)
    prepared, times, search_times, last, described = run_queries(args.db, queries, args.rounds, args.warmup)
    current = [t for (_, at, *_), ts in zip(prepared, times) if at == "current" for t in ts]
    dated = [t for (_, at, *_), ts in zip(prepared, times) if at != "current" for t in ts]
    by_kind = {}
    for (kind, *_), ts in zip(prepared, times):
        by_kind.setdefault(kind, []).extend(ts)
    result = {
        "engine": "xapian",
        "xapian_version": xapian.version_string(),
        "weighting": "BM25Weight()",
        "build": info,
        "rounds": args.rounds,
        "warmup": args.warmup,
        "current": fts5.summary(current),
        "point_in_time": fts5.summary(dated),
        "all": fts5.summary(current + dated),
        "by_kind": {k: fts5.summary(v) for k, v in by_kind.items()},
        "search_only": {
            "current": fts5.summary([t for (_, at, *_), ts in zip(prepared, search_times)
                                     if at == "current" for t in ts]),
            "point_in_time": fts5.summary([t for (_, at, *_), ts in zip(prepared, search_times)
                                           if at != "current" for t in ts]),
        },
        "queries": [
            {"kind": kind, "at": at, "query": query, "match": desc,
             "median_ms": statistics.median(ts), "max_ms": max(ts),
             "search_median_ms": statistics.median(st),
             "hits": len(rows), "matches_estimated": estimated,
             "ids": [row[0] for row in rows]}
            for (kind, at, query, _, _), ts, st, (rows, estimated), desc
            in zip(prepared, times, search_times, last, described)
        ],
    }
    for name in ("current", "point_in_time"):
        s = result[name]
        print(f"xapian {name}: p50 {s['p50']:.2f} ms, p99 {s['p99']:.2f} ms, "
              f"mean {s['mean']:.2f} ms, max {s['max']:.2f} ms ({s['n']} runs)", file=sys.stderr)
        s = result["search_only"][name]
        print(f"  of which parse + get_mset, {name}: p50 {s['p50']:.2f} ms, "
              f"p99 {s['p99']:.2f} ms", file=sys.stderr)
    if args.json:
        Path(args.json).write_text(json.dumps(result, indent=1, ensure_ascii=False))


if __name__ == "__main__":
    main()
