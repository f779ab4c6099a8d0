#!/usr/bin/env python3
"""Concurrency benchmark (issue 7): 10,000 open idle connections plus wrk
load on /feeds/network.ics of the sample network. Reports failed requests
and the daemon's resident memory before, during and after, into
tests/bench/results-concurrency.md. Not part of the test run.

usage: concurrency.py BUILD_DIR [--idle N] [--seconds S]

Each idle connection first sends one keep-alive request and reads its
answer (so it counts as accepted and served), then stays silent. Source
addresses 127.0.0.2, .3, ... take 5,000 connections each, so that no
source runs out of ephemeral ports. The daemon's idle and header timeouts
are raised above the run's length, otherwise it would rightly close them.
"""
import argparse
import os
import re
import resource
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.join(HERE, "..", "..")
PER_SOURCE = 5000
REQUEST = b"GET /healthz HTTP/1.1\r\nHost: bench\r\n\r\n"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def rss_kib(pid):
    with open(f"/proc/{pid}/status") as f:
        return int(re.search(r"VmRSS:\s+(\d+)", f.read()).group(1))


def config(tmp, idle):
    cfg = os.path.join(tmp, "config")
    shutil.copytree(os.path.join(ROOT, "config"), cfg)
    path = os.path.join(cfg, "agendad.yaml")
    with open(path) as f:
        text = f.read()
    text = re.sub(r"max_connections: \d+", f"max_connections: {idle + 1000}", text)
    text = re.sub(r"header_timeout: \w+", "header_timeout: 600s", text)
    text = re.sub(r"idle_timeout: \w+", "idle_timeout: 600s", text)
    with open(path, "w") as f:
        f.write(text)
    return cfg


def start(build, tmp, idle):
    port = free_port()
    log = open(os.path.join(tmp, "daemon.log"), "wb")
    proc = subprocess.Popen([os.path.join(build, "core/agendad"), "run", "--config",
                             config(tmp, idle), "--state", os.path.join(tmp, "state.db"),
                             "--listen", f"127.0.0.1:{port}"], stdout=log,
                            stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1) as s:
                s.sendall(REQUEST)
                if s.recv(64).startswith(b"HTTP/1.1 200"):
                    return proc, port
        except OSError:
            time.sleep(0.05)
    raise RuntimeError("agendad did not start")


def read_response(s):
    """One response to REQUEST (small, with Content-Length)."""
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = s.recv(4096)
        if not chunk:
            raise OSError("closed")
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    length = int(re.search(rb"(?i)content-length:\s*(\d+)", head).group(1))
    while len(body) < length:
        body += s.recv(4096)
    return head.split(b"\r\n")[0]


def open_idle(port, n):
    socks, failed = [], 0
    for i in range(n):
        s = socket.socket()
        try:
            s.bind((f"127.0.0.{2 + i // PER_SOURCE}", 0))
            s.settimeout(30)
            s.connect(("127.0.0.1", port))
            s.sendall(REQUEST)
            if not read_response(s).startswith(b"HTTP/1.1 200"):
                failed += 1
            socks.append(s)
        except OSError:
            failed += 1
            s.close()
    return socks, failed


def still_open(socks, sample=200):
    """Idle connections still served after the load: a request on some."""
    ok = 0
    step = max(1, len(socks) // sample)
    for s in socks[::step]:
        try:
            s.sendall(REQUEST)
            ok += read_response(s).startswith(b"HTTP/1.1 200")
        except OSError:
            pass
    return ok, len(socks[::step])


def wrk(url, seconds, conns):
    out = subprocess.run(["wrk", "-t1", f"-c{conns}", f"-d{seconds}s", "--timeout", "30s",
                          url], capture_output=True, text=True, check=True).stdout
    total = int(re.search(r"(\d+) requests in", out).group(1))
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    errors = re.search(r"Socket errors: (.*)", out)
    return {"requests": total, "rps": float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)),
            "non2xx": int(non2xx.group(1)) if non2xx else 0,
            "errors": errors.group(1).strip() if errors else "none"}


def sample_rss(pid, stop, peak):
    while not stop.is_set():
        peak[0] = max(peak[0], rss_kib(pid))
        time.sleep(0.2)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("build")
    ap.add_argument("--idle", type=int, default=10000)
    ap.add_argument("--seconds", type=int, default=15)
    ap.add_argument("--out", default=os.path.join(HERE, "results-concurrency.md"))
    a = ap.parse_args()
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    need = a.idle + 1000
    if hard < need:
        sys.exit(f"open files hard limit {hard} < {need}: raise it (ulimit -Hn) first")
    resource.setrlimit(resource.RLIMIT_NOFILE, (max(soft, need), hard))  # the daemon inherits it
    tmp = tempfile.mkdtemp(prefix="agendad-conc-")
    proc, port = start(a.build, tmp, a.idle)
    try:
        url = f"http://127.0.0.1:{port}/feeds/network.ics"
        subprocess.run(["curl", "-sf", "-o", "/dev/null", url], check=True)
        rss = {"ready (feed built)": rss_kib(proc.pid)}
        base = wrk(url, a.seconds, 50)
        rss["after wrk alone"] = rss_kib(proc.pid)
        t0 = time.monotonic()
        socks, open_failed = open_idle(port, a.idle)
        opened = time.monotonic() - t0
        rss[f"{len(socks):,} idle connections open"] = rss_kib(proc.pid)
        stop, peak = threading.Event(), [0]
        th = threading.Thread(target=sample_rss, args=(proc.pid, stop, peak))
        th.start()
        loaded = wrk(url, a.seconds, 50)
        stop.set()
        th.join()
        rss["peak during wrk with the idle connections"] = peak[0]
        ok, sampled = still_open(socks)
        for s in socks:
            s.close()
        time.sleep(1)
        rss["all closed"] = rss_kib(proc.pid)
        again = wrk(url, a.seconds, 50)
        rss["after a second wrk alone"] = rss_kib(proc.pid)
        # Bounded means a second wave reuses the first one's memory.
        socks2, failed2 = open_idle(port, a.idle)
        open_failed += failed2
        rss[f"second wave: {len(socks2):,} idle open"] = rss_kib(proc.pid)
        for s in socks2:
            s.close()
        time.sleep(1)
        rss["second wave closed"] = rss_kib(proc.pid)
    finally:
        proc.terminate()
        proc.wait(30)
    report(a, base, loaded, again, open_failed, len(socks), opened, ok, sampled, rss)
    shutil.rmtree(tmp, ignore_errors=True)


def report(a, base, loaded, again, open_failed, n_open, opened, ok, sampled, rss):
    uname = os.uname()
    failed = (open_failed + loaded["non2xx"] + base["non2xx"] + again["non2xx"] +
              (sampled - ok) + sum(r["errors"] != "none" for r in (base, loaded, again)))
    L = ["# Concurrency benchmark", "",
         f"Machine: {os.cpu_count()} CPU(s), `{uname.release}`; written by "
         f"`tests/bench/concurrency.py` on {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}.",
         f"{a.idle:,} idle keep-alive connections (each served one request first, from "
         f"127.0.0.2.. as sources) held open while `wrk -t1 -c50 -d{a.seconds}s` fetches "
         "`/feeds/network.ics` of the sample network.", "",
         "| run | requests | req/s | non-2xx | socket errors |", "|---|---:|---:|---:|---|"]
    for name, r in (("wrk alone", base), (f"wrk + {n_open:,} idle", loaded),
                    ("wrk alone again, idle closed", again)):
        L.append(f"| {name} | {r['requests']:,} | {r['rps']:,.0f} | {r['non2xx']} | "
                 f"{r['errors']} |")
    L += ["", f"Idle connections: {n_open:,} open in {opened:.1f} s, {open_failed} failed; "
          f"{ok} of {sampled} sampled still answered after the load.", "",
          "| daemon RSS | MiB |", "|---|---:|"]
    L += [f"| {k} | {v / 1024:.1f} |" for k, v in rss.items()]
    first = rss[f"{n_open:,} idle connections open"]
    second = max(v for k, v in rss.items() if k.startswith("second wave: "))
    bounded = second <= first * 1.05
    per_conn = (first - rss["after wrk alone"]) / max(n_open, 1)
    L += ["", f"About {per_conn:.1f} KiB per idle connection: its state, and no read buffer "
          "(the 16 KiB `AG_HTTP_READ_BUF` is held only while bytes wait to be parsed), so "
          "`http.max_connections` (16,384 by default) bounds memory at about "
          f"{per_conn * 16384 / 1024:.0f} MiB of idle connections. Once they close, RSS is "
          f"{rss['all closed'] / 1024:.1f} MiB: the allocator keeps freed memory and reuses "
          f"it, so the second wave of {a.idle:,} needs "
          f"{second / 1024:.1f} MiB against {first / 1024:.1f} MiB for the first.", "",
          f"Verdict: {'PASS' if failed == 0 and bounded else 'FAIL'} (no failed request: "
          f"{failed == 0}; memory bounded, second wave within 5% of the first: {bounded}).", ""]
    with open(a.out, "w") as f:
        f.write("\n".join(L))
    print("\n".join(L))


if __name__ == "__main__":
    main()
