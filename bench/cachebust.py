#!/usr/bin/env python3
"""The two clients of bench/cachebust.sh: the attacker, and a health check beside it.

    cachebust.py attack --base http://127.0.0.1:PORT --paths FILE --summary SUMMARY.json \
        [--connections 32]
        Sends every path of FILE (one a line, kind and path separated by a tab; each path
        once) over CONNECTIONS keep-alive connections at once, as fast as the server
        answers, and writes SUMMARY: per kind, the answers by status and the latency
        (p50/p99/max, ms), and the whole run's duration.

    cachebust.py probe --base http://127.0.0.1:PORT --out SAMPLES.txt --stop-file F \
        [--rate 20] [--summary SUMMARY.json]
        GET /healthz RATE times a second, each on a new connection (as a load balancer's
        health check connects), until STOP_FILE exists; one line per probe to SAMPLES
        ("<seconds since start> <status> <ms>"), and SUMMARY: count, failures, p50/p99/max
        (ms). A probe late because the previous one was slow is sent at once, not skipped.

Talks only to 127.0.0.1. Standard library only.
"""

import argparse
import collections
import http.client
import json
import os
import sys
import threading
import time
import urllib.parse

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from mixed_editor import Client, stats  # noqa: E402


def local(base):
    url = urllib.parse.urlsplit(base)
    if url.scheme != "http" or url.hostname != "127.0.0.1":
        sys.exit(f"cachebust.py: only http://127.0.0.1:PORT, not {base}")
    return url.hostname, url.port


def attack(args):
    host, port = local(args.base)
    work = []
    with open(args.paths, encoding="utf-8") as f:
        for line in f:
            if line.strip():
                kind, path = line.rstrip("\n").split("\t", 1)
                work.append((kind, path))
    lock = threading.Lock()
    statuses = collections.defaultdict(collections.Counter)
    latencies = collections.defaultdict(list)
    failures = []
    next_item = iter(work)

    def run():
        client = Client(host, port)
        while True:
            with lock:
                item = next(next_item, None)
            if item is None:
                break
            kind, path = item
            t = time.perf_counter()
            try:
                status, _ = client.request("GET", path)
            except Exception as e:  # noqa: BLE001 - counted and reported
                client.close()
                with lock:
                    statuses[kind]["error"] += 1
                    failures.append(f"{path}: {e!r}")
                continue
            ms = (time.perf_counter() - t) * 1000
            with lock:
                statuses[kind][str(status)] += 1
                latencies[kind].append(ms)
        client.close()

    started = time.perf_counter()
    workers = [threading.Thread(target=run) for _ in range(args.connections)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    elapsed = time.perf_counter() - started
    summary = {
        "requests": len(work),
        "elapsed_s": round(elapsed, 3),
        "kinds": {
            k: {"statuses": dict(statuses[k]), "ms": stats(latencies[k])} for k in sorted(statuses)
        },
        "failures": failures[:10],
    }
    with open(args.summary, "w", encoding="utf-8") as f:
        json.dump(summary, f, indent=1)


def probe(args):
    host, port = local(args.base)
    pause = 1.0 / args.rate
    times, failed = [], 0
    started = time.perf_counter()
    next_at = started
    with open(args.out, "w", encoding="utf-8") as out:
        while not os.path.exists(args.stop_file):
            t = time.perf_counter()
            status = "error"
            try:
                conn = http.client.HTTPConnection(host, port, timeout=10)
                conn.request("GET", "/healthz")
                resp = conn.getresponse()
                resp.read()
                status = resp.status
                conn.close()
            except Exception:  # noqa: BLE001 - a failed probe is counted
                pass
            ms = (time.perf_counter() - t) * 1000
            if status == 200:
                times.append(ms)
            else:
                failed += 1
            out.write(f"{t - started:.3f} {status} {ms:.2f}\n")
            next_at += pause
            now = time.perf_counter()
            if next_at > now:
                time.sleep(next_at - now)
            else:
                next_at = now
    if args.summary:
        with open(args.summary, "w", encoding="utf-8") as f:
            json.dump({"probes": len(times) + failed, "failed": failed, "ms": stats(times)}, f, indent=1)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = ap.add_subparsers(dest="mode", required=True)
    a = sub.add_parser("attack")
    a.add_argument("--base", required=True)
    a.add_argument("--paths", required=True)
    a.add_argument("--summary", required=True)
    a.add_argument("--connections", type=int, default=32)
    p = sub.add_parser("probe")
    p.add_argument("--base", required=True)
    p.add_argument("--out", required=True)
    p.add_argument("--stop-file", required=True)
    p.add_argument("--rate", type=float, default=20.0)
    p.add_argument("--summary")
    args = ap.parse_args()
    (attack if args.mode == "attack" else probe)(args)


if __name__ == "__main__":
    main()
