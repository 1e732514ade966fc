#!/usr/bin/env python3
"""An SMTP server on 127.0.0.1 for chapterhouse's digest benchmark (aiosmtpd); the tests
run their own, in Rust (tests/cli/support/smtp.rs).

Accepted messages are written to --dir, one file each (`<seq>-<recipient>.eml`). The first
line printed is the port it listens on. Misbehaviour on request:
  --tempfail-first N   answer the first N messages with 451 (then accept)
  --drop-every N       drop the connection instead of answering every Nth message
  --reject REGEX       refuse recipients matching REGEX with 550
  --delay SECONDS      wait before accepting each message
  --count-only         keep no messages; on exit (SIGTERM) print how many were accepted
"""
import argparse
import asyncio
import itertools
import os
import re
import signal
import sys

from aiosmtpd.smtp import SMTP


class Sink:
    def __init__(self, args):
        self.args = args
        self.seen = itertools.count(1)
        self.saved = itertools.count(1)
        self.reject = re.compile(args.reject) if args.reject else None
        self.accepted = 0

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if self.reject and self.reject.search(address):
            return "550 5.1.1 No such user here"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        n = next(self.seen)
        if n <= self.args.tempfail_first:
            return "451 4.3.0 Try again later"
        if self.args.drop_every and n % self.args.drop_every == 0:
            server.transport.abort()
            return "421 4.4.2 Connection dropped"
        if self.args.delay:
            await asyncio.sleep(self.args.delay)
        if self.args.count_only:
            self.accepted += len(envelope.rcpt_tos)
            return "250 2.0.0 OK"
        for rcpt in envelope.rcpt_tos:
            name = f"{next(self.saved):06d}-{re.sub(r'[^A-Za-z0-9@._-]', '_', rcpt)}.eml"
            path = os.path.join(self.args.dir, name)
            with open(path + ".tmp", "wb") as f:
                f.write(envelope.original_content or envelope.content)
            os.replace(path + ".tmp", path)
        return "250 2.0.0 OK"


async def main():
    p = argparse.ArgumentParser()
    p.add_argument("--dir", required=True)
    p.add_argument("--tempfail-first", type=int, default=0)
    p.add_argument("--drop-every", type=int, default=0)
    p.add_argument("--reject")
    p.add_argument("--delay", type=float, default=0)
    p.add_argument("--count-only", action="store_true")
    args = p.parse_args()
    os.makedirs(args.dir, exist_ok=True)
    sink = Sink(args)
    loop = asyncio.get_running_loop()
    server = await loop.create_server(
        lambda: SMTP(sink, hostname="sink.test", data_size_limit=10 * 1024 * 1024),
        "127.0.0.1",
        0,
    )
    print(server.sockets[0].getsockname()[1], flush=True)
    stop = asyncio.Event()
    loop.add_signal_handler(signal.SIGTERM, stop.set)
    loop.add_signal_handler(signal.SIGINT, stop.set)
    async with server:
        await stop.wait()
    if args.count_only:
        print(f"accepted {sink.accepted}", flush=True)


if __name__ == "__main__":
    try:
        asyncio.run(main())
    except KeyboardInterrupt:
        sys.exit(0)
