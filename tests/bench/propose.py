#!/usr/bin/env python3
"""Finding a time over HTTP (issue 13): GET /schedule/propose on the sample
network's 66 members, each with 1,000 busy intervals over a 90-day window,
2-hour meetings on a 30-minute step. Measures, into
tests/bench/results-propose.md:

- proposal latency p50/p99 at 1, 4, 16 and 64 concurrent clients (each a
  keep-alive connection asking again as soon as it is answered), and how
  many were refused with 503 (one or two are computed at a time, half the
  CPUs, and 32 wait);
- the daemon's extra memory: VmRSS before the first proposal, and the peak
  (VmHWM, reset through /proc/PID/clear_refs just before) over the runs;
- feed latency (wrk on /feeds/network.ics) alone and while proposals run
  at 4 clients: p50/p99 and their ratio;
- where a proposal's time goes (agendad_schedule_seconds on /metrics: the
  copy on the loop, the calendars and the computation in a pool thread);
- how the cost grows: members x intervals per member x window, each swept
  with the others fixed, at one client.

Not a pass/fail test and not part of the test run.

usage: propose.py BUILD_DIR [--seconds S] [--quick]
"""
import argparse
import http.client
import json
import os
import platform
import random
import re
import shutil
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", ".."))
TOKEN = "bench-admin-token-5b0f1c2d3e4a59687a8b9c0d"
DAY = 86400
FROM = "2027-01-04"  # a Monday; Morocco is on UTC+0 for good by then
START = 1799020800  # 2027-01-04T00:00:00Z
WINDOW_DAYS = 90
INTERVALS = 1000
CONCURRENCY = (1, 4, 16, 64)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def proc_status(pid, key):
    with open(f"/proc/{pid}/status") as f:
        return int(re.search(rf"{key}:\s+(\d+)", f.read()).group(1))


def reset_peak(pid):
    """VmHWM back to the current VmRSS (Linux >= 4.0)."""
    with open(f"/proc/{pid}/clear_refs", "w") as f:
        f.write("5")


def member_ids():
    with open(os.path.join(ROOT, "config/members.yaml"), encoding="utf-8") as f:
        return [l.split(":", 1)[1].split("#", 1)[0].strip() for l in f if l.startswith("  - id: ")]


def places():
    return min(2, max(1, len(os.sched_getaffinity(0)) // 2))


def date(t):
    return time.strftime("%Y-%m-%d", time.gmtime(t))


def fill(state, members, per_member, days, seed=13):
    """per_member busy intervals for each member over [START, START + days),
    15 minutes to 2 hours each, inside 07:00-19:00 UTC: what a sync would
    have stored (schema step 9)."""
    rng = random.Random(seed)
    con = sqlite3.connect(state, timeout=60)
    with con:
        con.execute("DELETE FROM busy_intervals")
        con.execute("DELETE FROM busy_sources")
        for m in members:
            con.execute("INSERT INTO busy_sources VALUES (?, 'feed', ?, ?, ?)",
                        (m, int(time.time()), START - 30 * DAY, START + (days + 30) * DAY))
            rows = []
            for _ in range(per_member):
                s = START + rng.randrange(days) * DAY + 7 * 3600 + rng.randrange(0, 12 * 3600, 900)
                rows.append((m, s, s + rng.choice((900, 1800, 3600, 5400, 7200)),
                             int(rng.random() < 0.1)))
            con.executemany("INSERT INTO busy_intervals (member, source, start, end, tentative) "
                            "VALUES (?, 'feed', ?, ?, ?)", rows)
    con.close()


class Daemon:
    def __init__(self, build, tmp):
        self.cfg = os.path.join(tmp, "config")
        shutil.copytree(os.path.join(ROOT, "config"), self.cfg)
        with open(os.path.join(self.cfg, "admin.token"), "w") as f:
            f.write(TOKEN + "\n")
        path = os.path.join(self.cfg, "agendad.yaml")
        with open(path, encoding="utf-8") as f:
            text = f.read()
        text = text.replace("\nhttp:\n", "\nhttp:\n  admin_token_file: admin.token\n"
                                         "  max_requests_per_second: 0\n", 1)
        with open(path, "w", encoding="utf-8") as f:
            f.write(text)
        self.state = os.path.join(tmp, "state.db")
        self.port = free_port()
        self.log = open(os.path.join(tmp, "daemon.log"), "wb")
        self.proc = subprocess.Popen(
            [os.path.join(build, "core/agendad"), "run", "--config", self.cfg, "--state",
             self.state, "--listen", f"127.0.0.1:{self.port}"],
            stdout=self.log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                if self.get("/healthz")[0] == 200:
                    return
            except OSError:
                time.sleep(0.05)
        raise RuntimeError("agendad did not start")

    def get(self, path, headers=None):
        c = http.client.HTTPConnection("127.0.0.1", self.port, timeout=120)
        try:
            c.request("GET", path, headers=headers or {})
            r = c.getresponse()
            return r.status, r.read()
        finally:
            c.close()

    def stop(self):
        self.proc.terminate()
        code = self.proc.wait(30)
        self.log.close()
        return code


def query(members, days, audience=None):
    aud = audience or ",".join(members)
    return (f"/schedule/propose?audience={aud}&duration=2h&step=30m"
            f"&from={FROM}&to={date(START + (days - 1) * DAY)}")


def client(port, path, stop, out):
    """One admin's script: ask again as soon as answered, on one keep-alive
    connection."""
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    auth = {"Authorization": f"Bearer {TOKEN}"}
    lat, refused, errors = [], 0, 0
    while not stop.is_set():
        t = time.perf_counter()
        try:
            c.request("GET", path, headers=auth)
            r = c.getresponse()
            r.read()
        except (OSError, http.client.HTTPException):
            errors += 1
            c.close()
            c = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
            continue
        ms = (time.perf_counter() - t) * 1000
        if r.status == 200:
            lat.append(ms)
        elif r.status == 503:
            refused += 1
            # What a script told "Retry-After" does, rather than hammering.
            time.sleep(float(r.getheader("Retry-After", "1")) / 10)
        else:
            errors += 1
        if r.getheader("Connection", "").lower() == "close":
            c.close()
            c = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    c.close()
    out.append((lat, refused, errors))


def load(port, path, n, seconds):
    stop, out = threading.Event(), []
    threads = [threading.Thread(target=client, args=(port, path, stop, out)) for _ in range(n)]
    for t in threads:
        t.start()
    time.sleep(seconds)
    stop.set()
    for t in threads:
        t.join()
    lat = sorted(x for o in out for x in o[0])
    return lat, sum(o[1] for o in out), sum(o[2] for o in out)


def pct(v, p):
    if not v:
        return float("nan")
    return v[min(len(v) - 1, int(round(p / 100 * (len(v) - 1))))]


def wrk(port, seconds, conns=4):
    out = subprocess.run(["wrk", "-t1", f"-c{conns}", f"-d{seconds}s", "--latency",
                          f"http://127.0.0.1:{port}/feeds/network.ics"],
                         capture_output=True, text=True, check=True).stdout

    def ms(label):
        m = re.search(rf"^\s+{label}\s+([\d.]+)(us|ms|s)\s*$", out, re.M)
        v = float(m.group(1))
        return v / 1000 if m.group(2) == "us" else v * 1000 if m.group(2) == "s" else v

    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    return {"p50": ms("50%"), "p99": ms("99%"), "rps": rps}


def schedule_metrics(d):
    """{phase: (sum seconds, count)} of kind="propose"."""
    _, text = d.get("/metrics")
    out = {}
    for phase in ("wait", "copy", "calendars", "compute"):
        sel = f'kind="propose",phase="{phase}"'
        s = re.search(rf'^agendad_schedule_seconds_sum\{{{sel}\}} (\S+)$', text.decode(), re.M)
        c = re.search(rf'^agendad_schedule_seconds_count\{{{sel}\}} (\S+)$', text.decode(), re.M)
        if s and c:
            out[phase] = (float(s.group(1)), float(c.group(1)))
    return out


def loop_turns(d):
    """The longest loop turn (ms), how many turns, how many over 10 ms."""
    text = d.get("/metrics")[1].decode()

    def value(pattern):
        m = re.search(pattern, text, re.M)
        return float(m.group(1)) if m else float("nan")

    total = value(r"^agendad_loop_busy_seconds_count (\S+)$")
    under = value(r'^agendad_loop_busy_seconds_bucket\{le="0.01"\} (\S+)$')
    return value(r"^agendad_loop_busy_max_seconds (\S+)$") * 1000, total, total - under


def one_client(d, path, n):
    auth = {"Authorization": f"Bearer {TOKEN}"}
    times, size = [], 0
    for _ in range(n):
        t = time.perf_counter()
        st, body = d.get(path, auth)
        times.append((time.perf_counter() - t) * 1000)
        if st != 200:
            raise RuntimeError(f"{path}: {st} {body[:200]!r}")
        size = len(body)
    times.sort()
    return statistics.median(times), pct(times, 99), size


def sweeps(d, members, quick):
    """Median latency at one client, varying one factor at a time."""
    n = 5 if quick else 15
    rows = []
    for k in ((11, 33, 66) if quick else (8, 16, 33, 66)):
        fill(d.state, members, INTERVALS, WINDOW_DAYS)
        rows.append(("members", k, INTERVALS, WINDOW_DAYS,
                     *one_client(d, query(members[:k], WINDOW_DAYS), n)))
    for per in ((250, 1000, 4000) if quick else (250, 500, 1000, 2000, 4000)):
        fill(d.state, members, per, WINDOW_DAYS)
        rows.append(("intervals", len(members), per, WINDOW_DAYS,
                     *one_client(d, query(members, WINDOW_DAYS, "network"), n)))
    for days in ((30, 90, 366) if quick else (30, 90, 180, 366)):
        # The same density as the reference: 1,000 intervals per 90 days.
        per = INTERVALS * days // WINDOW_DAYS
        fill(d.state, members, per, days)
        rows.append(("window", len(members), per, days,
                     *one_client(d, query(members, days, "network"), n)))
    fill(d.state, members, INTERVALS, WINDOW_DAYS)
    return rows


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("build")
    ap.add_argument("--seconds", type=float, default=10)
    ap.add_argument("--quick", action="store_true", help="shorter runs and sweeps")
    args = ap.parse_args()
    seconds = 3 if args.quick else args.seconds
    tmp = tempfile.mkdtemp(prefix="agendad-propose-bench-")
    d = Daemon(args.build, tmp)
    lines = []
    try:
        members = member_ids()
        fill(d.state, members, INTERVALS, WINDOW_DAYS)
        path = query(members, WINDOW_DAYS, "network")
        d.get("/feeds/network.ics")
        time.sleep(1)
        rss0 = proc_status(d.proc.pid, "VmRSS")
        reset_peak(d.proc.pid)
        first = one_client(d, path, 1)
        _, body = d.get(path, {"Authorization": f"Bearer {TOKEN}"})
        doc = json.loads(body)
        print(f"first proposal {first[0]:.1f} ms, {len(doc['slots'])} slots, "
              f"{len(body)} bytes", file=sys.stderr)
        feed_alone = wrk(d.port, seconds)
        runs = []
        for n in CONCURRENCY:
            lat, refused, errors = load(d.port, path, n, seconds)
            runs.append((n, lat, refused, errors))
            print(f"{n} clients: {len(lat)} answered, p50 {pct(lat, 50):.1f} ms, "
                  f"p99 {pct(lat, 99):.1f} ms, {refused} refused", file=sys.stderr)
        # Feeds while proposals run at 4 clients.
        stop, out = threading.Event(), []
        threads = [threading.Thread(target=client, args=(d.port, path, stop, out))
                   for _ in range(4)]
        for t in threads:
            t.start()
        time.sleep(0.5)
        feed_during = wrk(d.port, seconds)
        stop.set()
        for t in threads:
            t.join()
        during_answered = sum(len(o[0]) for o in out)
        phases = schedule_metrics(d)
        longest_turn = loop_turns(d)
        peak = proc_status(d.proc.pid, "VmHWM")
        rss1 = proc_status(d.proc.pid, "VmRSS")
        growth = sweeps(d, members, args.quick)
    finally:
        code = d.stop()
    lines += report(args, seconds, doc, body, first, rss0, peak, rss1, runs, feed_alone,
                    feed_during, during_answered, phases, longest_turn, growth, code)
    # The new run first, the earlier ones kept below it.
    path = os.path.join(HERE, "results-propose.md")
    earlier = ""
    if os.path.exists(path):
        with open(path, encoding="utf-8") as f:
            earlier = f.read()
    with open(path, "w", encoding="utf-8") as f:
        f.write("\n".join(lines) + "\n")
        if earlier.strip():
            f.write("\n---\n\n" + earlier)
    print("\n".join(lines))
    shutil.rmtree(tmp, ignore_errors=True)


def report(args, seconds, doc, body, first, rss0, peak, rss1, runs, feed_alone, feed_during,
           during_answered, phases, longest_turn, growth, code):
    load1 = os.getloadavg()
    L = ["# Finding a time over HTTP: benchmark", "",
         f"Written by `tests/bench/propose.py` on {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}; "
         f"machine: {os.cpu_count()} CPU(s), `{platform.release()}`, load average at the end "
         f"{load1[0]:.2f} (1 min). Build: `{os.path.relpath(args.build, ROOT)}`.", "",
         f"Fixture: the sample network's {len(doc['members'])} members, each with "
         f"{INTERVALS:,} busy intervals (15 min to 2 h, 10 % tentative) over {WINDOW_DAYS} days "
         f"from {FROM}, in the state database's `busy_intervals`; `audience=network`, "
         f"`duration=2h`, `step=30m`, `count=10`. Answer: {len(doc['slots'])} slots, "
         f"{len(body):,} bytes of JSON. First proposal after start: {first[0]:.1f} ms. "
         f"Computed {places()} at a time (half the CPUs, 1 or 2), 32 more waiting.", "",
         f"## Proposals ({seconds:g} s per concurrency; clients ask again as soon as answered)", "",
         "| clients | answered | p50 ms | p99 ms | max ms | refused (503) | errors |",
         "|---:|---:|---:|---:|---:|---:|---:|"]
    for n, lat, refused, errors in runs:
        L.append(f"| {n} | {len(lat)} | {pct(lat, 50):.1f} | {pct(lat, 99):.1f} | "
                 f"{max(lat) if lat else float('nan'):.1f} | {refused} | {errors} |")
    L += ["", "## Where the time goes (means over every proposal of the run)", "",
          "| phase | where | mean ms |", "|---|---|---:|"]
    where = {"wait": "on the loop's queue, for a place",
             "copy": "on the loop: settings, members, events copied",
             "calendars": "pool thread: store opened read-only, busy intervals read",
             "compute": "pool thread: the proposal and its JSON"}
    for phase in ("wait", "copy", "calendars", "compute"):
        if phase in phases and phases[phase][1]:
            s, c = phases[phase]
            L.append(f"| {phase} | {where[phase]} | {s / c * 1000:.2f} |")
    L += ["", f"Loop turns over the runs above (`agendad_loop_busy_seconds`): "
              f"{longest_turn[1]:,.0f}, of which {longest_turn[2]:,.0f} over 10 ms; the longest "
              f"{longest_turn[0]:.1f} ms.", "",
          "## Memory", "",
          f"VmRSS before the first proposal {rss0 / 1024:.1f} MiB; peak during the runs "
          f"(VmHWM, reset before them) {peak / 1024:.1f} MiB: **{(peak - rss0) / 1024:.1f} MiB "
          f"extra** (target < 50 MiB); VmRSS after {rss1 / 1024:.1f} MiB.", "",
          f"## Feeds while proposals run (wrk -t1 -c4 -d{seconds:g}s, `/feeds/network.ics`)", "",
          "| | req/s | p50 ms | p99 ms |", "|---|---:|---:|---:|",
          f"| alone | {feed_alone['rps']:,.0f} | {feed_alone['p50']:.2f} | {feed_alone['p99']:.2f} |",
          f"| during proposals at 4 clients ({during_answered} answered) | "
          f"{feed_during['rps']:,.0f} | {feed_during['p50']:.2f} | {feed_during['p99']:.2f} |",
          f"| ratio | {feed_during['rps'] / feed_alone['rps']:.2f} | "
          f"{feed_during['p50'] / feed_alone['p50']:.2f} | {feed_during['p99'] / feed_alone['p99']:.2f} |",
          "", "## How the cost grows (one client, median and p99 of sequential proposals)", "",
          "| varied | members | intervals per member | window days | p50 ms | p99 ms | JSON bytes |",
          "|---|---:|---:|---:|---:|---:|---:|"]
    for varied, k, per, days, p50, p99, size in growth:
        L.append(f"| {varied} | {k} | {per:,} | {days} | {p50:.1f} | {p99:.1f} | {size:,} |")
    L += ["", f"Daemon exit code: {code}."]
    return L


if __name__ == "__main__":
    main()
