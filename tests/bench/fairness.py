#!/usr/bin/python3
"""Serving under concurrency and under siege (issue 15, items 1 and 7):
agendad against nginx serving the exported bytes of the same 1,000-event
network feed, at 1, 4, 16 and 64 connections, alternated round by round;
then an ordinary client's latency, unloaded and while one address holds
1,500 silent and 50 dripping connections. Writes
tests/bench/results-fairness.md. Not part of the test run.

    fairness.py BUILD_DIR [--rounds N] [--seconds S] [--conns 1,4,16,64] [--out FILE]

On a shared machine every figure moves with the other load: the load
average is recorded before, during and after, and the report compares the
two servers in ratios of medians over the rounds."""

import argparse
import http.client
import os
import resource
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import bench  # noqa: E402  (gen, agendad, wrk, nginx's config)

SIEGE_IDLE, SIEGE_DRIP, SIEGE_REQUESTS = 1500, 50, 60


def loadavg():
    with open("/proc/loadavg") as f:
        return tuple(float(x) for x in f.read().split()[:3])


class LoadSampler(threading.Thread):
    """The 1-minute load average every 5 s while the run lasts."""

    def __init__(self):
        super().__init__(daemon=True)
        self.samples, self.stop = [], threading.Event()

    def run(self):
        while not self.stop.wait(5):
            self.samples.append(loadavg()[0])


def start_servers(build, tmp):
    cfg = bench.gen(1000, tmp)
    port = bench.free_port()
    state = os.path.join(tmp, "fair.db")
    d = bench.agendad(build, cfg, state, port, os.path.join(tmp, "agendad.log"))
    procs = [d]
    url = f"http://127.0.0.1:{port}/feeds/network.ics"
    body, hdrs = bench.wait_200(url)
    out = os.path.join(tmp, "export")
    subprocess.run([os.path.join(build, "core/agendad"), "export", "--config", cfg, "--state",
                    state, "--listen", f"127.0.0.1:{port}", "--out", out], check=True,
                   capture_output=True)
    nport = bench.free_port()
    conf = os.path.join(tmp, "nginx.conf")
    with open(conf, "w") as f:
        f.write(bench.NGINX_CONF.format(tmp=tmp, port=nport, root=out))
    procs.append(bench.Proc(["nginx", "-c", conf, "-p", tmp], os.path.join(tmp, "nginx.log")))
    nurl = f"http://127.0.0.1:{nport}/feeds/network.ics"
    nbody, nhdrs = bench.wait_200(nurl)
    assert nbody == body, "nginx must serve the same bytes"
    return procs, {"agendad": (url, hdrs), "nginx": (nurl, nhdrs)}, len(body)


def sweep(servers, conns, rounds, seconds):
    """wrk at each concurrency, servers alternated (and which goes first
    alternates too, round by round)."""
    runs = {}
    for r in range(rounds):
        order = list(servers) if r % 2 == 0 else list(reversed(servers))
        for c in conns:
            for name in order:
                res = bench.wrk(servers[name][0], seconds, c)
                runs.setdefault((name, "200", c), []).append(res)
                print(f"round {r + 1} {name} c={c}: {res}", flush=True)
        for name in order:  # the 304 path, as in bench.py
            res = bench.wrk(servers[name][0], seconds, 10, etag=servers[name][1]["ETag"])
            runs.setdefault((name, "304", 10), []).append(res)
            print(f"round {r + 1} {name} 304: {res}", flush=True)
    return {k: bench.median_run(v) for k, v in runs.items()}


def timed_gets(port, n, source="127.0.0.2"):
    """n feed requests, each on a new connection from source; latencies in
    ms of those answered 200, and how many were not."""
    times, failed = [], 0
    for _ in range(n):
        t0 = time.monotonic()
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30,
                                          source_address=(source, 0))
        try:
            conn.request("GET", "/feeds/network.ics")
            resp = conn.getresponse()
            resp.read()
            if resp.status == 200:
                times.append((time.monotonic() - t0) * 1000)
            else:
                failed += 1
        except (OSError, http.client.HTTPException):
            failed += 1
        finally:
            conn.close()
    return times, failed


def besiege(port, stop):
    """1,500 silent connections and 50 dripping a header, from 127.0.0.1."""
    socks = []
    for _ in range(SIEGE_IDLE):
        s = socket.socket()
        s.settimeout(10)
        s.connect(("127.0.0.1", port))
        socks.append(s)
    drip = []
    for _ in range(SIEGE_DRIP):
        s = socket.socket()
        s.settimeout(10)
        s.connect(("127.0.0.1", port))
        s.sendall(b"GET /feeds/network.ics HTTP/1.1\r\nX-Drip: ")
        drip.append(s)

    def dripping():
        live = list(drip)
        while live and not stop.wait(0.2):
            for s in list(live):
                try:
                    s.send(b"a")
                except OSError:
                    live.remove(s)

    th = threading.Thread(target=dripping, daemon=True)
    th.start()
    return socks + drip, th


def latency(times):
    if not times:
        return {"n": 0, "p50": float("nan"), "p99": float("nan"), "max": float("nan")}
    s = sorted(times)
    return {"n": len(s), "p50": statistics.median(s), "p99": s[min(len(s) - 1, int(len(s) * 0.99))],
            "max": s[-1]}


def siege(servers):
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (max(soft, min(hard, 8192)), hard))
    out = {}
    for name, (url, _) in servers.items():
        port = int(url.split(":")[2].split("/")[0])
        timed_gets(port, 5)  # warm
        base, base_failed = timed_gets(port, SIEGE_REQUESTS)
        stop = threading.Event()
        socks, th = besiege(port, stop)
        try:
            loaded, failed = timed_gets(port, SIEGE_REQUESTS)
        finally:
            stop.set()
            th.join()
            for s in socks:
                s.close()
        out[name] = {"unloaded": latency(base), "unloaded_failed": base_failed,
                     "siege": latency(loaded), "siege_failed": failed}
        print(f"siege {name}: {out[name]}", flush=True)
        time.sleep(1)
    return out


def ratio(a, b):
    return a / b if b else float("nan")


def report(args, res, sieged, body_len, loads, path):
    uname = os.uname()
    before, during, after = loads
    L = ["# Serving under concurrency and under siege", "",
         f"Machine: {os.cpu_count()} CPU(s), `{uname.release}`; written by "
         f"`tests/bench/fairness.py` on {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}.",
         f"Load average (1 min): {before[0]:.2f} before the run, "
         f"{min(during):.2f}–{max(during):.2f} during it (the benchmark's own wrk and "
         f"server count for about 2), {after[0]:.2f} after.", "",
         f"`/feeds/network.ics` of 1,000 events × 8 slots ({body_len:,} bytes), served by "
         "agendad and by nginx (`worker_processes 1`, like agendad's one loop) from the "
         f"exported bytes. `wrk -t1 -d{args.seconds}s` per run, {args.rounds} rounds, "
         "servers alternated and which goes first alternated too; medians of the rounds, "
         "each round's figure in brackets.", "",
         "| conns | agendad req/s | nginx req/s | req/s ratio | agendad p99 ms | nginx p99 ms | "
         "p99 ratio |", "|---:|---:|---:|---:|---:|---:|---:|"]

    def runs(r, key):
        return " / ".join(f"{x[key]:.0f}" for x in r["runs"])

    for c in args.conns:
        a, n = res[("agendad", "200", c)], res[("nginx", "200", c)]
        L.append(f"| {c} | {a['rps']:.0f} ({runs(a, 'rps')}) | {n['rps']:.0f} ({runs(n, 'rps')}) | "
                 f"{ratio(a['rps'], n['rps']):.2f} | {a['p99_ms']:.0f} ({runs(a, 'p99_ms')}) | "
                 f"{n['p99_ms']:.0f} ({runs(n, 'p99_ms')}) | "
                 f"{ratio(a['p99_ms'], n['p99_ms']):.2f} |")
    a, n = res[("agendad", "304", 10)], res[("nginx", "304", 10)]
    L += ["", f"304s (If-None-Match, 10 connections): agendad {a['rps']:,.0f} req/s, nginx "
          f"{n['rps']:,.0f} req/s: {ratio(a['rps'], n['rps']):.2f}x; p99 {a['p99_ms']:.2f} / "
          f"{n['p99_ms']:.2f} ms.", ""]
    errors = [f"{k[0]} {k[1]} c={k[2]}: {v['non2xx']} non-2xx, errors {v['errors']}"
              for k, v in res.items() if v["non2xx"] or v["errors"] != "none"]
    L += ["Failed requests: " + ("; ".join(errors) if errors else "none") + ".", ""]
    L += ["| target (16 and 64 connections) | measured | |", "|---|---|---|"]
    for c in (16, 64):
        if c not in args.conns:
            continue
        a, n = res[("agendad", "200", c)], res[("nginx", "200", c)]
        pr, rr = ratio(a["p99_ms"], n["p99_ms"]), ratio(a["rps"], n["rps"])
        L.append(f"| p99 ≤ 1.2x nginx, {c} | {pr:.2f}x | {'met' if pr <= 1.2 else 'NOT met'} |")
        L.append(f"| req/s ≥ 1.0x nginx, {c} | {rr:.2f}x | {'met' if rr >= 1.0 else 'NOT met'} |")
    L += ["", f"Under siege: {SIEGE_REQUESTS} requests for the feed from 127.0.0.2, each on a "
          "new connection, one after another, first alone and then while 127.0.0.1 holds "
          f"{SIEGE_IDLE:,} silent connections and drips a header on {SIEGE_DRIP} more "
          "(agendad with its default limits).", "",
          "| server | unloaded p50 / p99 / max ms | under siege p50 / p99 / max ms | "
          "not served (unloaded, siege) |", "|---|---|---|---|"]
    for name, s in sieged.items():
        u, g = s["unloaded"], s["siege"]
        L.append(f"| {name} | {u['p50']:.1f} / {u['p99']:.1f} / {u['max']:.1f} | "
                 f"{g['p50']:.1f} / {g['p99']:.1f} / {g['max']:.1f} | "
                 f"{s['unloaded_failed']}, {s['siege_failed']} |")
    L.append("")
    with open(path, "w") as f:
        f.write("\n".join(L))
    print("\n".join(L))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("build")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--seconds", type=int, default=10)
    ap.add_argument("--conns", default="1,4,16,64")
    ap.add_argument("--no-siege", action="store_true")
    ap.add_argument("--out", default=os.path.join(HERE, "results-fairness.md"))
    args = ap.parse_args()
    args.conns = [int(c) for c in args.conns.split(",")]
    build = os.path.abspath(args.build)
    tmp = tempfile.mkdtemp(prefix="agendad-fair-")
    os.chmod(tmp, 0o755)  # nginx's workers run as another user
    before = loadavg()
    sampler = LoadSampler()
    sampler.start()
    procs, servers, body_len = start_servers(build, tmp)
    try:
        res = sweep(servers, args.conns, args.rounds, args.seconds)
        sieged = {} if args.no_siege else siege(servers)
    finally:
        for p in procs:
            p.stop()
        sampler.stop.set()
    after = loadavg()
    report(args, res, sieged, body_len, (before, sampler.samples or [before[0]], after), args.out)
    shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
