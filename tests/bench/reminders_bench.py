#!/usr/bin/python3
"""Reminders benchmark (not a pass/fail test): 10,000 events with 10 lead
times each = 100,000 pending reminders. Reports the daemon's resident
memory, the schedule rebuild time after a reload (SIGHUP), and the delay
from due time to the start of delivery (p50/p99/max) for a burst of
reminders falling due, with a local sink.

usage: AGENDAD_BIN=build/core/agendad AGENDAD_PLUGIN_BUILD_DIR=build/plugins \\
       /usr/bin/python3 tests/bench/reminders_bench.py [N_DUE [null|webhook]]

Sinks: `null` (the default) is tests/plugins/null_channel, which notes the
CLOCK_MONOTONIC instant each reminder is handed to it: the start of
delivery, the scheduler alone. `webhook` is the reminder-webhook plugin
posting to a Python HTTP server here, timed when each POST arrives (the
HTTP client and the sink's own speed included).

The daemon runs on AGENDAD_FAKE_NOW at rate 1 and logs the CLOCK_MONOTONIC
instant its test clock started at, so that "due" maps to a real instant:
due_real = anchor + (due - fake_start)."""

import http.server
import json
import os
import re
import signal
import sys
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "integration"))
from harness import Daemon  # noqa: E402

LEADS = ["1h", "2h", "3h", "6h", "12h", "1d", "2d", "3d", "5d", "7d"]
N_EVENTS = 10000
FAKE_START = 1775808000 - 30 * 86400  # 2026-03-11
arrivals = []


class Sink(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        t = time.monotonic()
        doc = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        arrivals.append((t, doc["event"]["uid"]))
        self.send_response(204)
        self.end_headers()

    def log_message(self, *a):
        pass


class BurstServer(http.server.ThreadingHTTPServer):
    # The default backlog of 5 drops SYNs when the daemon opens its 128
    # connections at once; the retransmits (1 s, 3 s, 7 s...) then measure
    # the kernel, not the daemon.
    request_queue_size = 1024


def plugins_section(d, sink, sink_port):
    if sink == "null":
        return f"""    null_channel:
      log: "{os.path.join(d.tmp, 'handed.log')}"
"""
    secret = os.path.join(d.tmp, "secret")
    with open(secret, "w") as f:
        f.write("bench\n")
    return f"""    reminder-webhook:
      url: "http://127.0.0.1:{sink_port}/"
      secret_file: "{secret}"
"""


def write_config(d, sink_port, n_due, sink="webhook"):
    channel = "null" if sink == "null" else "webhook"
    d.write("agendad.yaml", f"""
categories: [{{id: training, name: {{fr: F}}}}]
reminders: {{grace: 1h, horizon: 366d}}
plugins:
  load:
{plugins_section(d, sink, sink_port)}""")
    d.write("members.yaml", "members:\n  - id: m\n    kind: region\n    name: {fr: M}\n"
                            "    emails: [m@bench.test]\n")
    os.makedirs(d.path("events"), exist_ok=True)
    for f in os.listdir(d.path("events")):
        os.unlink(d.path("events", f))
    lines = []
    for i in range(N_EVENTS):
        # Events from 20 days after the fake start on: all 10 leads pending.
        day = 20 + i // 100
        hh, mm = divmod((i % 100) * 7, 60)
        lines.append(f"- uid: ev{i:05d}\n  title: {{fr: \"E{i}\"}}\n"
                     f"  start: {date(day)}T{8 + hh:02d}:{mm:02d}\n"
                     f"  end: {date(day)}T{9 + hh:02d}:{mm:02d}\n  host: m\n"
                     f"  reminders: {{before: [{', '.join(LEADS)}], channels: [{channel}]}}\n")
    # A burst falling due 10 to 20 real seconds after start (lead 1h).
    for i in range(n_due):
        t = FAKE_START + 3600 + 10 + (i * 10) // max(n_due, 1)
        lines.append(f"- uid: due{i:05d}\n  title: {{fr: \"D{i}\"}}\n"
                     f"  start: {utc_local(t)}\n  end: {utc_local(t + 3600)}\n"
                     f"  timezone: UTC\n  host: m\n"
                     f"  reminders: {{before: [1h], channels: [{channel}]}}\n")
    d.write("events/bench.yaml", "".join(lines))


def date(day_offset):
    return time.strftime("%Y-%m-%d", time.gmtime(FAKE_START + day_offset * 86400))


def utc_local(t):
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(t))


def rss_kib(pid, field="VmRSS"):
    with open(f"/proc/{pid}/status") as f:
        return int(re.search(field + r":\s+(\d+)", f.read()).group(1))


def handed_over(d):
    """(monotonic seconds, uid) of each reminder the null channel was given."""
    try:
        with open(os.path.join(d.tmp, "handed.log")) as f:
            return [(int(t) / 1e9, uid) for t, _, uid in (line.split() for line in f)]
    except FileNotFoundError:
        return []


def anchor(d, started):
    """The test clock's start; a daemon that does not log it (before it did)
    is taken to start with the process, its exec time then counted."""
    m = re.search(r"Unix time (\d+) at CLOCK_MONOTONIC ([\d.]+) s", d.log_text())
    return (int(m.group(1)), float(m.group(2))) if m else (FAKE_START, started)


def report(times, n_due, fake_start, mono_start, what):
    delays = []
    for t, uid in times:
        if uid.startswith("due"):
            due = FAKE_START + 10 + (int(uid[3:]) * 10) // max(n_due, 1)
            delays.append((t - (mono_start + (due - fake_start))) * 1000)
    delays.sort()
    print(f"delivered {len(delays)} of {n_due}")
    if delays:
        p = lambda q: delays[min(len(delays) - 1, int(q * len(delays)))]  # noqa: E731
        print(f"due→{what} ms: p50 {p(0.5):.1f}  p99 {p(0.99):.1f}  max {delays[-1]:.1f}")


def main():
    n_due = int(sys.argv[1]) if len(sys.argv) > 1 else 1000
    sink_kind = sys.argv[2] if len(sys.argv) > 2 else "null"
    sink = BurstServer(("127.0.0.1", 0), Sink)
    threading.Thread(target=sink.serve_forever, daemon=True).start()
    plugin_dir = os.environ.get("AGENDAD_PLUGIN_BUILD_DIR")
    if sink_kind == "null":
        plugin_dir = os.environ.get("AGENDAD_TEST_PLUGIN_DIR",
                                    os.path.join(plugin_dir, "..", "tests", "plugins"))
    d = Daemon(plugin_dir=plugin_dir)
    write_config(d, sink.server_address[1], n_due, sink_kind)
    os.environ.update(AGENDAD_TEST_CLOCK="1", AGENDAD_FAKE_NOW=str(FAKE_START),
                      AGENDAD_CLOCK_RATE="1")
    started = time.monotonic()
    d.start()
    try:
        log = d.wait_log("scheduled", 120)
        print("start:", re.findall(r"reminders: .*", log)[0])
        fake_start, mono_start = anchor(d, started)
        before = len(d.log_text())
        d.proc.send_signal(signal.SIGHUP)
        log = d.wait_log("rebuilt in", 120, start=before)
        print("reload:", re.findall(r"reminders: .*", log)[0])
        time.sleep(1)  # the rebuild's log line comes before the memory is handed back
        print(f"RSS: {rss_kib(d.proc.pid) / 1024:.1f} MiB "
              f"(peak while loading: {rss_kib(d.proc.pid, 'VmHWM') / 1024:.1f} MiB)")
        got = handed_over if sink_kind == "null" else (lambda _: list(arrivals))
        deadline = time.monotonic() + 60
        while len([u for _, u in got(d) if u.startswith("due")]) < n_due \
                and time.monotonic() < deadline:
            time.sleep(0.1)
        report(got(d), n_due, fake_start, mono_start,
               "start of delivery" if sink_kind == "null" else "arrival at the sink")
        print(f"RSS after the burst: {rss_kib(d.proc.pid) / 1024:.1f} MiB")
    finally:
        d.cleanup()
        sink.shutdown()


if __name__ == "__main__":
    main()
