#!/usr/bin/env python3
"""SMTP peer for tests/unit/test_net.c, on Debian's python3-aiosmtpd.

usage: smtp_peer.py OUTDIR [PORT [HOLD_AFTER [DELAY [DELAY_ON]]]]

Binds 127.0.0.1:PORT (0 or absent: any free port), prints the port on stdout
and serves until killed. Message N (from 1) is written, as received after
dot-unstuffing, to OUTDIR/N.eml, and its envelope to OUTDIR/N.env: the sender
on the first line, then one recipient per line. The .env file is written last
(renamed into place) so that its presence means the message is complete.
With HOLD_AFTER > 0, messages after the first HOLD_AFTER are never answered
(the client waits), to catch a sender in the middle of a batch. With
DELAY > 0 (seconds) and DELAY_ON "rcpt" (the default), each recipient (RCPT
TO) is accepted that long after it was given, and OUTDIR/N.started appears
when message N's first one arrives: a slow server with a delivery in flight.
With DELAY_ON "data", the reply to the end of DATA comes that long after the
message, and OUTDIR/K.started appears when the K-th message (counting those
held, sent or not) has arrived: the wait libcurl 7.88 spends in a blocking
loop, which agendad runs on a thread so that it never stalls the daemon.
A recipient hold-MS@... holds that reply MS milliseconds whatever the
command line says, so that one peer can serve slow and fast messages.
While a file OUTDIR/hold exists, each message waits unanswered after its
data; it is accepted once the file is gone (to make the sender's outcome
arrive when a test wants).
"""
import asyncio
import os
import re
import socket
import sys
import threading
import time

from aiosmtpd.smtp import SMTP


class Handler:
    def __init__(self, outdir, hold_after=0, delay=0.0, delay_on="rcpt"):
        self.outdir = outdir
        self.delay = delay
        self.delay_on = delay_on
        # A restarted peer on the same directory numbers on.
        self.count = sum(1 for f in os.listdir(outdir) if f.endswith(".env"))
        self.arrived = sum(1 for f in os.listdir(outdir) if f.endswith(".started"))
        self.hold_after = hold_after

    def data_delay(self, envelope):
        for rcpt in envelope.rcpt_tos:
            m = re.match(r"hold-(\d+)@", rcpt)
            if m:
                return int(m.group(1)) / 1000
        return self.delay if self.delay_on == "data" else 0.0

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if self.delay and self.delay_on == "rcpt":
            started = os.path.join(self.outdir, f"{self.count + 1}.started")
            open(started, "w").close()
            await asyncio.sleep(self.delay)
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        while os.path.exists(os.path.join(self.outdir, "hold")):
            await asyncio.sleep(0.05)
        if self.hold_after and self.count >= self.hold_after:
            await asyncio.Event().wait()
        delay = self.data_delay(envelope)
        if delay:
            self.arrived += 1
            open(os.path.join(self.outdir, f"{self.arrived}.started"), "w").close()
            await asyncio.sleep(delay)
        self.count += 1
        base = os.path.join(self.outdir, str(self.count))
        with open(base + ".eml", "wb") as f:
            f.write(envelope.original_content)
        with open(base + ".env.tmp", "w") as f:
            f.write("\n".join([envelope.mail_from] + envelope.rcpt_tos) + "\n")
        os.rename(base + ".env.tmp", base + ".env")
        return "250 2.0.0 queued as %d" % self.count


async def serve(outdir, port, hold_after=0, delay=0.0, delay_on="rcpt"):
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", port))
    handler = Handler(outdir, hold_after, delay, delay_on)
    loop = asyncio.get_running_loop()
    server = await loop.create_server(lambda: SMTP(handler, hostname="peer.test"), sock=sock)
    print(sock.getsockname()[1], flush=True)
    async with server:
        await server.serve_forever()


def exit_with_parent():
    """A test that crashes cannot stop its peer: the peer then stops itself,
    rather than holding the test runner's output pipe open."""
    parent = os.getppid()

    def watch():
        while os.getppid() == parent:
            time.sleep(0.2)
        os._exit(0)

    threading.Thread(target=watch, daemon=True).start()


def main():
    exit_with_parent()
    asyncio.run(serve(sys.argv[1], int(sys.argv[2]) if len(sys.argv) > 2 else 0,
                      int(sys.argv[3]) if len(sys.argv) > 3 else 0,
                      float(sys.argv[4]) if len(sys.argv) > 4 else 0.0,
                      sys.argv[5] if len(sys.argv) > 5 else "rcpt"))


if __name__ == "__main__":
    main()
