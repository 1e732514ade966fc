#!/usr/bin/env python3
"""The SQLite FTS5 side of bench/search.sh, and the query set that every engine there runs.

    python3 bench/fts5.py queries --corpus DIR --out FILE [--count 200] [--seed 47]
    python3 bench/fts5.py run --corpus DIR --db FILE --queries FILE
                              [--rounds 5] [--warmup 1] [--json FILE]

`queries` writes a deterministic query set drawn from the generated corpus itself: words
of titles, headings and bodies (1-4 per query), acronyms, quoted phrases cut from real
body text and misspellings (one letter changed in a word of six letters or more). One
query a line: `<kind>\t<at>\t<query>`, where <at> is `current` (today) or a YYYY-MM-DD
date inside the corpus history; each kind is split evenly between the two.

`run` builds an FTS5 table over the same chapter versions chapterhouse indexes (each
distinct content of a chapter id, in force from the date of the release where it first
appears until the date of the first release where it no longer does), then times every
query of the set: `rounds` measured rounds after `warmup` unmeasured ones, one connection
opened once (memory-mapped, with a 256 MiB page cache), one cursor and one SQL text (so
one prepared statement, from sqlite3's statement cache) for every query. The dates are
plain columns of a rowid table joined to the FTS5 table: as UNINDEXED columns of the FTS5
table itself they cost every match a read of its whole row, about 7x slower. Only the
standard library is used.
"""

import argparse
import datetime
import json
import math
import os
import random
import re
import sqlite3
import statistics
import sys
import time
from pathlib import Path

# Versions still in force end at the end of time.
OPEN_END = 1 << 62

FRONT_MATTER = re.compile(r"\A\+\+\+\r?\n(.*?)\r?\n\+\+\+\r?\n?", re.S)
TOML_STRING = r'"((?:[^"\\]|\\.)*)"'

# The acronyms of English safeguarding practice that the generated corpus uses, most with
# a glossary entry (config/glossary.toml): chapterhouse also searches their expansions.
ACRONYMS = [
    "FGM", "LADO", "MASH", "s47", "MARAC", "MCA", "DoLS", "CSE", "CCE", "s42", "ICPC", "EHA",
    "IDVA", "CAMHS", "SEND", "RCPC", "DSL", "MAPPA", "IRO", "CIN", "NRM", "SAR", "DBS", "DASH",
]

# Words nobody searches for on their own (and that chapterhouse drops from plain words).
STOP = set("""
a an and are as at be but by for if in into is it no not of on or such that the their then
there these they this to was will with should must may can would has have had been being
any all each every other which who whom when where whether within without about after
before under between there from than also only so very its it's our your his her them
""".split())


def toml_value(front, key):
    m = re.search(r"^" + key + r"\s*=\s*" + TOML_STRING + r"\s*$", front, re.M)
    return m.group(1).replace('\\"', '"').replace("\\\\", "\\") if m else None


def parse_chapter(path, text):
    """(id, title, body) of a chapter file; the id defaults to the file name."""
    m = FRONT_MATTER.match(text)
    front, body = (m.group(1), text[m.end():]) if m else ("", text)
    chapter_id = toml_value(front, "id") or Path(path).stem
    title = toml_value(front, "title") or chapter_id
    return chapter_id, title, body


def releases_of(corpus):
    out = []
    for line in (Path(corpus) / "releases.txt").read_text().splitlines():
        if line.strip():
            name, date = line.split()
            out.append((name, datetime.date.fromisoformat(date)))
    return out


def chapter_files(snapshot):
    return sorted(p for p in Path(snapshot).rglob("*.md") if p.is_file())


def versions(corpus):
    """Every distinct chapter version: (id, title, plain text, from_day, to_day).

    Files are read once per inode: gen-corpus hard-links unchanged files, as git stores a
    blob once."""
    by_inode = {}
    open_versions = {}  # id -> [content, title, body, from_day]
    done = []
    files_seen = 0
    for name, date in releases_of(corpus):
        day = date.toordinal()
        current = {}
        for path in chapter_files(Path(corpus) / name):
            st = path.stat()
            key = (st.st_dev, st.st_ino)
            parsed = by_inode.get(key)
            if parsed is None:
                text = path.read_text(encoding="utf-8")
                parsed = (text,) + parse_chapter(path, text)
                by_inode[key] = parsed
            files_seen += 1
            text, chapter_id, title, body = parsed
            current[chapter_id] = (text, title, body)
        for chapter_id in list(open_versions):
            now = current.get(chapter_id)
            if now is None or now[0] != open_versions[chapter_id][0]:
                _, title, body, start = open_versions.pop(chapter_id)
                if start < day:  # two releases on one day: the earlier was never in force
                    done.append((chapter_id, title, body, start, day))
        for chapter_id, (text, title, body) in current.items():
            if chapter_id not in open_versions:
                open_versions[chapter_id] = [text, title, body, day]
    for chapter_id, (_, title, body, start) in open_versions.items():
        done.append((chapter_id, title, body, start, OPEN_END))
    return done, files_seen, len(by_inode)


# ---------------------------------------------------------------------------------------
# The query set
# ---------------------------------------------------------------------------------------

WORD = re.compile(r"[A-Za-z][A-Za-z'-]*[A-Za-z]")


def content_words(text):
    return [w.lower() for w in WORD.findall(text) if w.lower() not in STOP and len(w) >= 3
            and not w.isupper() and "'" not in w]


def make_queries(corpus, count, seed):
    rng = random.Random(seed)
    releases = releases_of(corpus)
    files = chapter_files(Path(corpus) / releases[-1][0])
    sample = files[:: max(1, len(files) // 40)][:40]
    titles, headings, body_words, lines = [], [], [], []
    for path in sample:
        _, title, body = parse_chapter(path, path.read_text(encoding="utf-8"))
        titles += content_words(title)
        for line in body.splitlines():
            if line.startswith("#"):
                headings += content_words(re.sub(r"^#+\s*[\d.]*\s*", "", line))
            elif line.strip() and not line.startswith(("-", "*", ">")):
                body_words += content_words(line)
                lines.append(line)
    # Distinct words, in first-seen order, so that the set is the same on every run.
    pools = [list(dict.fromkeys(p)) for p in (titles, headings, body_words)]
    vocabulary = set(titles) | set(headings) | set(body_words)

    def word():
        pool = rng.choices(pools, weights=[4, 3, 3])[0]
        return rng.choice(pool)

    def words(n):
        out = []
        while len(out) < n:
            w = word()
            if w not in out:
                out.append(w)
        return " ".join(out)

    def phrase():
        while True:
            tokens = rng.choice(lines).split()
            n = rng.choice([2, 3, 3, 4])
            if len(tokens) < n:
                continue
            start = rng.randrange(len(tokens) - n + 1)
            span = tokens[start:start + n]
            if all(re.fullmatch(r"[a-z][a-z-]*", t) for t in span) and \
                    span[0] not in STOP and span[-1] not in STOP:
                return '"' + " ".join(span) + '"'

    def typo():
        long_words = sorted(w for w in vocabulary if len(w) >= 6 and w.isalpha())
        while True:
            w = rng.choice(long_words)
            i = rng.randrange(1, len(w) - 1)
            c = rng.choice([c for c in "abcdefghijklmnopqrstuvwxyz" if c != w[i]])
            wrong = w[:i] + c + w[i + 1:]
            if wrong not in vocabulary:
                return wrong

    n_acronym = n_phrase = n_typo = count // 10
    n_acronym *= 2
    n_words = count - n_acronym - n_phrase - n_typo
    queries = []
    for i in range(n_words):
        queries.append(("words", words(rng.choices([1, 2, 3, 4], weights=[25, 35, 25, 15])[0])))
    for i in range(n_acronym):
        a = ACRONYMS[i % len(ACRONYMS)]
        alone = (i + i // len(ACRONYMS)) % 2 == 0
        queries.append(("acronym", a if alone else a + " " + words(rng.choice([1, 2]))))
    for i in range(n_phrase):
        queries.append(("phrase", phrase() if i % 3 else words(1) + " " + phrase()))
    for i in range(n_typo):
        queries.append(("typo", typo() if i % 2 == 0 else words(1) + " " + typo()))
    # Half of each kind is searched today, half at a date inside the corpus history.
    point = point_in_time(releases)
    dated = []
    for kind in ("words", "acronym", "phrase", "typo"):
        of_kind = [q for k, q in queries if k == kind]
        for i, q in enumerate(of_kind):
            dated.append((kind, "current" if i % 2 == 0 else point.isoformat(), q))
    rng.shuffle(dated)
    return dated


def point_in_time(releases):
    """Mid-month, in the middle of the history: 2020-06-15 for 12 monthly releases."""
    return releases[(len(releases) - 1) // 2][1] + datetime.timedelta(days=14)


def read_queries(path):
    out = []
    for line in Path(path).read_text(encoding="utf-8").splitlines():
        if line.strip():
            kind, at, query = line.split("\t", 2)
            out.append((kind, at, query))
    return out


# ---------------------------------------------------------------------------------------
# FTS5
# ---------------------------------------------------------------------------------------

def split_query(query):
    """Words and "quoted phrases", as chapterhouse splits them (an unpaired quote is
    ignored)."""
    quotes = query.count('"')
    quotes_left = quotes - quotes % 2
    in_phrase = False
    words, phrases = [], []
    for i, part in enumerate(query.split('"')):
        if i > 0 and quotes_left > 0:
            in_phrase = not in_phrase
            quotes_left -= 1
        part = part.strip()
        if not part:
            continue
        if in_phrase:
            phrases.append(part)
        else:
            words.extend(part.split())
    return words, phrases


def match_expression(query):
    """An FTS5 MATCH expression with chapterhouse's any-word semantics: every word and
    phrase a string token (so nothing typed is FTS5 syntax), OR between them."""
    words, phrases = split_query(query)
    tokens = ['"' + t.replace('"', '""') + '"' for t in words + phrases]
    return " OR ".join(tokens)


SEARCH_SQL = """
SELECT v.chapter_id, fts.title, bm25(fts, 4.0, 1.0) AS score,
       snippet(fts, 1, '<mark>', '</mark>', '…', 32)
FROM fts JOIN versions AS v ON v.rowid = fts.rowid
WHERE fts MATCH ? AND v.from_day <= ? AND v.to_day > ?
ORDER BY score
LIMIT 10
"""


QUERY_PRAGMAS = ["PRAGMA mmap_size = 2147418112", "PRAGMA cache_size = -262144"]


def build(corpus, db):
    for suffix in ("", "-journal", "-wal", "-shm"):
        try:
            os.remove(str(db) + suffix)
        except FileNotFoundError:
            pass
    started = time.perf_counter()
    docs, files_seen, files_read = versions(corpus)
    read_done = time.perf_counter()
    conn = sqlite3.connect(db)
    conn.executescript("""
        CREATE VIRTUAL TABLE fts USING fts5(title, body, tokenize = 'porter unicode61');
        CREATE TABLE versions(rowid INTEGER PRIMARY KEY, chapter_id TEXT NOT NULL,
                              from_day INTEGER NOT NULL, to_day INTEGER NOT NULL);
    """)
    with conn:
        conn.executemany("INSERT INTO fts(rowid, title, body) VALUES (?, ?, ?)",
                         ((i + 1, d[1], d[2]) for i, d in enumerate(docs)))
        conn.executemany("INSERT INTO versions(rowid, chapter_id, from_day, to_day) "
                         "VALUES (?, ?, ?, ?)",
                         ((i + 1, d[0], d[3], d[4]) for i, d in enumerate(docs)))
    insert_done = time.perf_counter()
    with conn:
        conn.execute("INSERT INTO fts(fts) VALUES ('optimize')")
    conn.close()
    finished = time.perf_counter()
    return {
        "versions": len(docs),
        "files_seen": files_seen,
        "files_read": files_read,
        "read_s": read_done - started,
        "insert_s": insert_done - read_done,
        "optimize_s": finished - insert_done,
        "build_s": finished - started,
        "size_bytes": sum(os.path.getsize(str(db) + s)
                          for s in ("", "-wal") if os.path.exists(str(db) + s)),
    }


def percentile(values, q):
    """Nearest rank, as examples/bench-search.rs computes it."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(q * len(ordered)) - 1)]


def summary(values):
    if not values:
        return None
    return {"n": len(values), "p50": percentile(values, 0.50), "p99": percentile(values, 0.99),
            "mean": statistics.fmean(values), "max": max(values)}


def run_queries(db, queries, rounds, warmup):
    today = datetime.date.today()
    conn = sqlite3.connect(db, cached_statements=16)
    # Memory-mapped reads, as tantivy's index is read, and a page cache that holds it.
    for pragma in QUERY_PRAGMAS:
        conn.execute(pragma)
    cur = conn.cursor()
    prepared = []
    for kind, at, query in queries:
        day = (today if at == "current" else datetime.date.fromisoformat(at)).toordinal()
        prepared.append((kind, at, query, match_expression(query), day))
    times = [[] for _ in prepared]
    last = [None] * len(prepared)
    clock = time.perf_counter
    for r in range(warmup + rounds):
        for i, (_, _, _, expr, day) in enumerate(prepared):
            t0 = clock()
            rows = cur.execute(SEARCH_SQL, (expr, day, day)).fetchall()
            dt = clock() - t0
            if r >= warmup:
                times[i].append(dt * 1000.0)
            last[i] = rows
    conn.close()
    return prepared, times, last


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    q = sub.add_parser("queries")
    q.add_argument("--corpus", required=True)
    q.add_argument("--out", required=True)
    q.add_argument("--count", type=int, default=200)
    q.add_argument("--seed", type=int, default=47)
    r = sub.add_parser("run")
    r.add_argument("--corpus", required=True)
    r.add_argument("--db", required=True)
    r.add_argument("--queries", required=True)
    r.add_argument("--rounds", type=int, default=5)
    r.add_argument("--warmup", type=int, default=1)
    r.add_argument("--json")
    args = parser.parse_args()

    if args.command == "queries":
        queries = make_queries(args.corpus, args.count, args.seed)
        with open(args.out, "w", encoding="utf-8") as f:
            for kind, at, query in queries:
                f.write(f"{kind}\t{at}\t{query}\n")
        print(f"wrote {len(queries)} queries to {args.out}", file=sys.stderr)
        return

    info = build(args.corpus, args.db)
    print(f"fts5: {info['versions']} chapter versions ({info['files_read']} distinct files of "
          f"{info['files_seen']}) built in {info['build_s']:.1f}s (read {info['read_s']:.1f}s, "
          f"insert {info['insert_s']:.1f}s, optimize {info['optimize_s']:.1f}s), "
          f"{info['size_bytes'] / 1e6:.1f} MB", file=sys.stderr)
    queries = read_queries(args.queries)
    prepared, times, last = run_queries(args.db, queries, args.rounds, args.warmup)
    current = [t for (_, at, *_), ts in zip(prepared, times) if at == "current" for t in ts]
    dated = [t for (_, at, *_), ts in zip(prepared, times) if at != "current" for t in ts]
    by_kind = {}
    for (kind, *_), ts in zip(prepared, times):
        by_kind.setdefault(kind, []).extend(ts)
    result = {
        "engine": "sqlite-fts5",
        "sqlite_version": sqlite3.sqlite_version,
        "pragmas": QUERY_PRAGMAS,
        "build": info,
        "rounds": args.rounds,
        "warmup": args.warmup,
        "current": summary(current),
        "point_in_time": summary(dated),
        "all": summary(current + dated),
        "by_kind": {k: summary(v) for k, v in by_kind.items()},
        "queries": [
            {"kind": kind, "at": at, "query": query, "match": expr,
             "median_ms": statistics.median(ts), "max_ms": max(ts),
             "hits": len(rows), "ids": [row[0] for row in rows]}
            for (kind, at, query, expr, _), ts, rows in zip(prepared, times, last)
        ],
    }
    for name in ("current", "point_in_time"):
        s = result[name]
        print(f"fts5 {name}: p50 {s['p50']:.2f} ms, p99 {s['p99']:.2f} ms, "
              f"mean {s['mean']:.2f} ms, max {s['max']:.2f} ms ({s['n']} runs)", file=sys.stderr)
    if args.json:
        Path(args.json).write_text(json.dumps(result, indent=1, ensure_ascii=False))


if __name__ == "__main__":
    main()
