#!/usr/bin/env python3
"""Sync benchmark (not a test: nothing here passes or fails on speed).

66 member feeds of 1,000 events each, served on loopback by nginx (Debian's;
python's http.server would be the bottleneck), pulled by the real daemon with
the sync plugin. Measures:

  - the full first pull: from the daemon's start until every member's 1,000
    events are stored (watched on /plugins/sync/status);
  - an all-304 pull: SIGHUP (a reload pulls every member at once) until every
    member has one more not-modified answer;
  - the latency of /feeds/network.ics as a client sees it during the first
    pull (a separate process, 100 requests a second): p50 / p99 / max;
  - the CPU time of the daemon and of the parsers, which other load on the
    machine does not skew the way it skews wall-clock times;
  - the daemon's longest loop turn during the first pull, and how many took
    over 10 and 50 ms (agendad_loop_busy_seconds): a feed request that
    arrives during a turn waits for its end.

Targets (issue 5): first pull < 5 s, all-304 pull < 200 ms, no feed request
slower than 50 ms during the pull.

  python3 tests/bench/sync_bench.py [--build build] [--rounds 3] [--network]
                                    [--client python|wrk] [--wrap CMD]

--network also lets every imported event into the network feed (sync.network:
true), so that the client's feed grows to 66,000 events during the pull: a
worst case rather than the default (imported events stay in their member's
feed unless the admin allows more).
"""

import argparse
import http.client
import json
import multiprocessing
import os
import random
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
SOURCE_DIR = os.path.abspath(os.path.join(HERE, "../.."))
MEMBERS = 66
EVENTS = 1000

NGINX_CONF = """\
worker_processes 2;
pid {tmp}/nginx.pid;
error_log {tmp}/nginx-error.log;
daemon on;
events {{ worker_connections 256; }}
http {{
    access_log off;
    client_body_temp_path {tmp}/body;
    proxy_temp_path {tmp}/proxy;
    fastcgi_temp_path {tmp}/fastcgi;
    uwsgi_temp_path {tmp}/uwsgi;
    scgi_temp_path {tmp}/scgi;
    server {{
        listen 127.0.0.1:{port};
        root {root};
        types {{ text/calendar ics; }}
        etag on;
        if_modified_since exact;
    }}
}}
"""

def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def ical_time(t):
    return time.strftime("%Y%m%dT%H%M%SZ", time.gmtime(t))


def member_feed(index, now):
    """1,000 one-off events between 300 days ago and 700 days ahead: most in
    UTC, some in a named zone, some all-day, as calendar servers mix them."""
    rng = random.Random(index)
    out = ["BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//agendad bench//EN"]
    for i in range(EVENTS):
        start = now + rng.randrange(-300, 700) * 86400 + rng.randrange(7, 18) * 3600
        out += ["BEGIN:VEVENT", f"UID:bench-{index}-{i}@member{index}.example",
                "DTSTAMP:20250101T000000Z",
                f"SUMMARY:Réunion {i} — اجتماع المجلس الجماعي رقم {i}",
                f"DESCRIPTION:Ordre du jour : budget participatif\\, accès à l'information\\, "
                f"questions diverses (séance {i}).",
                f"LOCATION:Salle des délibérations {i % 7}",
                "CATEGORIES:Digitalisation" if i % 3 == 0 else "CATEGORIES:Autre"]
        if i % 20 == 0:
            day = time.strftime("%Y%m%d", time.gmtime(start))
            out += [f"DTSTART;VALUE=DATE:{day}"]
        elif i % 20 == 1:
            local = time.strftime("%Y%m%dT%H%M%S", time.gmtime(start))
            out += [f"DTSTART;TZID=Europe/Paris:{local}", "DURATION:PT2H"]
        else:
            out += [f"DTSTART:{ical_time(start)}", f"DTEND:{ical_time(start + 7200)}"]
        out.append("END:VEVENT")
    out.append("END:VCALENDAR")
    return "\r\n".join(out) + "\r\n"


def members_yaml(base, network):
    """The sample network's 66 members, each with its own feed."""
    out = []
    with open(os.path.join(SOURCE_DIR, "config/members.yaml"), encoding="utf-8") as f:
        for line in f:
            out.append(line)
            if line.startswith("  - id: "):
                member = member_id(line)
                out += [f"    feed_url: {base}/{member}.ics\n", "    sync:\n",
                        "      interval: 1d\n",
                        f"      network: {'true' if network else 'false'}\n"]
    return "".join(out)


def member_id(line):
    return line.split(":", 1)[1].split("#", 1)[0].strip()


def member_ids():
    with open(os.path.join(SOURCE_DIR, "config/members.yaml"), encoding="utf-8") as f:
        return [member_id(l) for l in f if l.startswith("  - id: ")]


class Nginx:
    def __init__(self, tmp, root):
        self.tmp = os.path.join(tmp, "nginx")
        os.makedirs(self.tmp)
        self.port = free_port()
        self.conf = os.path.join(self.tmp, "nginx.conf")
        with open(self.conf, "w") as f:
            f.write(NGINX_CONF.format(tmp=self.tmp, port=self.port, root=root))
        subprocess.run(["nginx", "-c", self.conf, "-p", self.tmp], check=True)
        self.base = f"http://127.0.0.1:{self.port}"

    def stop(self):
        with open(os.path.join(self.tmp, "nginx.pid")) as f:
            os.kill(int(f.read()), signal.SIGQUIT)


def get(port, path):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        conn.request("GET", path)
        r = conn.getresponse()
        return r.status, r.read()
    finally:
        conn.close()


def status(port):
    code, body = get(port, "/plugins/sync/status")
    if code != 200:
        raise RuntimeError(f"/plugins/sync/status: {code}")
    return json.loads(body)["members"]


def wait_until(port, pred, timeout=120, step=0.02):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            st = status(port)
            if len(st) == MEMBERS and all(pred(m) for m in st):
                return time.monotonic(), st
        except (OSError, RuntimeError):
            pass
        time.sleep(step)
    raise RuntimeError(f"the members never all got there: {st if 'st' in locals() else None}")


def feed_client(port, path, stop, out, interval):
    """A GET every `interval` seconds (100 a second by default: a crowd of
    subscribers, not a load test that would itself slow the pull), each on a
    new connection like a calendar app's."""
    lat = []
    next_at = time.perf_counter()
    while not stop.is_set():
        next_at += interval
        pause = next_at - time.perf_counter()
        if pause > 0:
            time.sleep(pause)
        t = time.perf_counter()
        try:
            code, _ = get(port, path)
        except OSError:
            continue
        if code == 200:
            lat.append(((time.perf_counter() - t) * 1000, time.monotonic()))
    out.put(lat)


class WrkClient:
    """wrk (C, one keep-alive connection, back-to-back requests): no latency
    of its own, but it keeps a CPU busy."""

    def __init__(self, port, path):
        self.proc = subprocess.Popen(["wrk", "-t1", "-c1", "-d600s", "--latency",
                                      f"http://127.0.0.1:{port}{path}"],
                                     stdout=subprocess.PIPE, text=True)

    def stop(self):
        self.proc.send_signal(signal.SIGINT)
        out = self.proc.communicate(timeout=30)[0]
        unit = {"us": 0.001, "ms": 1.0, "s": 1000.0}

        def ms(text):
            for u in ("us", "ms", "s"):
                if text.endswith(u):
                    return float(text[:-len(u)]) * unit[u]
            raise ValueError(text)
        res = {}
        for line in out.splitlines():
            f = line.split()
            if f[:1] == ["Latency"] and len(f) >= 4:
                res["max_ms"] = ms(f[3])
            elif f[:1] in (["50%"], ["99%"]):
                res["p" + f[0][:-1] + "_ms"] = ms(f[1])
            elif len(f) > 2 and f[1] == "requests" and f[2] == "in":
                res["feed_requests"] = int(f[0])
        return res


def percentile(v, p):
    v = sorted(v)
    return v[min(len(v) - 1, int(round(p / 100 * (len(v) - 1))))] if v else float("nan")


def loop_turns(port):
    """The daemon's longest loop turn and how many turns took over 10 and
    over 50 ms (agendad_loop_busy_seconds on /metrics): what blocks every
    client, measured inside the daemon rather than through a client."""
    code, body = get(port, "/metrics")
    out = {"turn_max_ms": float("nan"), "turns_over_10ms": -1, "turns_over_50ms": -1}
    if code != 200:
        return out
    buckets = {}
    for line in body.decode().splitlines():
        if line.startswith("agendad_loop_busy_max_seconds "):
            out["turn_max_ms"] = float(line.split()[1]) * 1000
        elif line.startswith("agendad_loop_busy_seconds_bucket{le="):
            le = line.split('"')[1]
            buckets[le] = int(float(line.split()[1]))
        elif line.startswith("agendad_loop_busy_seconds_count "):
            buckets["count"] = int(float(line.split()[1]))
    if "count" in buckets and "0.01" in buckets and "0.05" in buckets:
        out["turns_over_10ms"] = buckets["count"] - buckets["0.01"]
        out["turns_over_50ms"] = buckets["count"] - buckets["0.05"]
    return out


def cpu_seconds(pid):
    """CPU time of the daemon and of its children it has reaped (the parsers):
    a measure of the work done that the machine's other load does not skew."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    tick = os.sysconf("SC_CLK_TCK")
    own = (int(fields[11]) + int(fields[12])) / tick
    children = (int(fields[13]) + int(fields[14])) / tick
    return own, children


def wait_ready(port, proc):
    while True:
        if proc.poll() is not None:
            raise RuntimeError("agendad exited")
        try:
            if get(port, "/healthz")[0] == 200:
                return
        except OSError:
            time.sleep(0.01)


def run_round(args, tmp, nginx):
    # The sample network (members, events), each member with a feed.
    cfg = os.path.join(tmp, f"config-{time.monotonic_ns()}")
    shutil.copytree(os.path.join(SOURCE_DIR, "config"), cfg)
    plugins = os.path.join(args.build, "plugins")
    with open(os.path.join(cfg, "agendad.yaml"), encoding="utf-8") as f:
        text = f.read()
    sync = f"  load:\n    sync:\n      helper: {os.path.join(plugins, 'agendad-ical-import')}\n"
    assert "\n  load:\n" in text
    with open(os.path.join(cfg, "agendad.yaml"), "w", encoding="utf-8") as f:
        f.write(text.replace("  load:\n", sync, 1))
    with open(os.path.join(cfg, "members.yaml"), "w") as f:
        f.write(members_yaml(nginx.base, args.network))
    port = free_port()
    # Outside the config directory: the daemon reloads when a file there changes.
    state = cfg + ".db"
    log = open(cfg + ".log", "wb")
    stop = multiprocessing.Event()
    results = multiprocessing.Queue()
    t0 = time.monotonic()
    proc = subprocess.Popen(args.wrap.split() + [os.path.join(args.build, "core/agendad"), "run", "--config", cfg,
                             "--state", state, "--listen", f"127.0.0.1:{port}",
                             "--plugin-dir", plugins],
                            stdout=log, stderr=subprocess.STDOUT)
    try:
        wait_ready(port, proc)
        ready = time.monotonic()
        if args.client == "wrk":
            wrk = WrkClient(port, "/feeds/network.ics")
        else:
            client = multiprocessing.Process(target=feed_client,
                                             args=(port, "/feeds/network.ics", stop, results,
                                                   args.interval),
                                             daemon=True)
            client.start()
        done, _ = wait_until(port, lambda m: m["events"] == EVENTS and m["last_success"])
        if args.client == "wrk":
            latency = wrk.stop()
            slow = []
        else:
            stop.set()
            samples = results.get()
            client.join()
            lat = [ms for ms, _ in samples]
            slow = sorted(samples, reverse=True)[:args.slowest]
            latency = {"feed_requests": len(lat), "p50_ms": percentile(lat, 50),
                       "p99_ms": percentile(lat, 99), "max_ms": max(lat) if lat else float("nan")}
        first = done - t0
        cpu_daemon, cpu_parsers = cpu_seconds(proc.pid)
        turns = loop_turns(port)
        # All 304: a reload pulls every member at once.
        before = {m["member"]: m["not_modified"] for m in status(port)}
        t1 = time.monotonic()
        proc.send_signal(signal.SIGHUP)
        done304, st = wait_until(port, lambda m: m["not_modified"] > before[m["member"]], step=0.01)
        return {"first_pull_s": first, "start_to_ready_s": ready - t0,
                "cpu_daemon_s": cpu_daemon, "cpu_parsers_s": cpu_parsers,
                "all_304_ms": (done304 - t1) * 1000, **latency, **turns,
                "errors": sum(1 for m in st if m["last_error"]),
                "slowest": [(round(ms, 1), round(at - t0, 2)) for ms, at in slow]}
    finally:
        stop.set()
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=30)
        log.close()


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--build", default=os.path.join(SOURCE_DIR, "build"))
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--network", action="store_true")
    ap.add_argument("--client", choices=["python", "wrk"], default="python",
                    help="the feed client: python (a request every --interval, a connection "
                    "each) or wrk (back to back on one connection: a saturation test, which "
                    "takes CPU from the parsers)")
    ap.add_argument("--interval", type=float, default=0.01,
                    help="seconds between the python client's requests")
    ap.add_argument("--slowest", type=int, default=5,
                    help="list this many slowest feed requests (ms, seconds after start)")
    ap.add_argument("--wrap", default="",
                    help="command the daemon runs under, e.g. \"perf record -g -o perf.data\"")
    args = ap.parse_args()
    tmp = tempfile.mkdtemp(prefix="agendad-sync-bench-")
    os.chmod(tmp, 0o755)  # nginx workers run as another user
    root = os.path.join(tmp, "feeds")
    os.makedirs(root)
    now = int(time.time())
    ids = member_ids()
    assert len(ids) == MEMBERS, len(ids)
    for i, member in enumerate(ids):
        with open(os.path.join(root, f"{member}.ics"), "w", encoding="utf-8", newline="") as f:
            f.write(member_feed(i, now))
    size = sum(os.path.getsize(os.path.join(root, n)) for n in os.listdir(root))
    print(f"{MEMBERS} feeds x {EVENTS} events, {size / MEMBERS / 1024:.0f} KiB each; "
          f"network feed {'with' if args.network else 'without'} imported events")
    print("load average before the runs: %.2f %.2f %.2f" % os.getloadavg())
    nginx = Nginx(tmp, root)
    try:
        rows = [run_round(args, tmp, nginx) for _ in range(args.rounds)]
    finally:
        nginx.stop()
    keys = ["first_pull_s", "all_304_ms", "p50_ms", "p99_ms", "max_ms", "feed_requests",
            "cpu_daemon_s", "cpu_parsers_s", "turn_max_ms", "turns_over_10ms", "turns_over_50ms",
            "start_to_ready_s", "errors"]
    print(" | ".join(keys))
    for r in rows:
        print(" | ".join(f"{r[k]:.3f}" if isinstance(r[k], float) else str(r[k]) for k in keys))
    for r in rows:
        if r["slowest"]:
            print("slowest feed requests (ms, s after start):", r["slowest"])
    med = {k: statistics.median(r[k] for r in rows) for k in keys}
    print("median: " + ", ".join(f"{k}={med[k]:.3f}" for k in keys))
    shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
