#!/usr/bin/python3
"""Runs every benchmark and writes tests/bench/results.md. Peers run in the
same run on the same machine, and results are reported as ratios, because
absolute numbers on a shared machine drift. Called by run.sh (which builds
and installs the peers); never part of the test run.

    bench.py BUILD_DIR [--quick] [--no-generation] [--only memory|serving|generation]

--only memory, --only serving: just those runs, their report section
printed, results.md left alone (for a quick before/after)."""

import os
import re
import statistics
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.normpath(os.path.join(HERE, "..", ".."))
PY = "/usr/bin/python3"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def kv(line):
    return {k: float(v) for k, v in re.findall(r"(\w+)=([\d.]+)", line)}


def gen(n, tmp):
    d = os.path.join(tmp, f"cfg{n}")
    if not os.path.isdir(d):
        subprocess.run([PY, os.path.join(HERE, "gen_config.py"), str(n), d], check=True)
    return d


# ---- feed generation ----

GENERATION_ROUNDS = 5  # each runs every size once, 3 builds per run


def generation(build, tmp, sizes, rounds=GENERATION_ROUNDS):
    """Each round runs every size once (3 builds in one process); a size's
    figure is its best over the rounds (15 builds). Alternating spreads every size over
    the whole run, so a slow spell of a shared machine cannot land on one
    size only and skew the growth ratio."""
    best = {}
    for r in range(rounds):
        for n in sizes:
            got = kv(subprocess.run([os.path.join(build, "tests/bench/bench_feed"), gen(n, tmp),
                                     os.path.join(tmp, f"gen{n}.db"), "3"],
                                    capture_output=True, text=True, check=True).stdout)
            got["total_s"] = got["load_s"] + got["build_s"]
            print(f"generation {n} round {r + 1}: {got}", flush=True)
            if n not in best or got["total_s"] < best[n]["total_s"]:
                best[n] = got
    rows = []
    for n in sizes:
        peer = kv(subprocess.run([PY, os.path.join(HERE, "peer_icalendar.py"), str(n),
                                  "3" if n <= 1000 else "1"],
                                 capture_output=True, text=True, check=True, cwd=HERE).stdout)
        rows.append((n, best[n], peer))
        print(f"generation {n}: ours {best[n]} peer {peer}", flush=True)
    return rows


# ---- serving ----

class Proc:
    def __init__(self, args, log, **kw):
        self.log = open(log, "wb")
        self.p = subprocess.Popen(args, stdout=self.log, stderr=subprocess.STDOUT, **kw)

    def stop(self):
        if self.p.poll() is None:
            self.p.send_signal(signal.SIGTERM)
            try:
                self.p.wait(20)
            except subprocess.TimeoutExpired:
                self.p.kill()
                self.p.wait()
        self.log.close()


def wait_200(url, timeout=120):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=60) as r:
                if r.status == 200:
                    return r.read(), dict(r.headers)
        except OSError:
            time.sleep(0.01)
    raise RuntimeError(f"{url} never answered")  # noqa


def agendad(build, cfg, state, port, log):
    return Proc([os.path.join(build, "core/agendad"), "run", "--config", cfg, "--state", state,
                 "--listen", f"127.0.0.1:{port}", "--plugin-dir", os.path.join(build, "plugins")],
                log)


SERVING_ROUNDS = 5  # wrk runs per server and kind, alternated

AUTH = "Basic YmVuY2g6YmVuY2g="  # bench:bench; Radicale's auth "none" takes any


def wrk(url, seconds, conns, etag=None, auth=False):
    args = ["wrk", "-t1", f"-c{conns}", f"-d{seconds}s", "--timeout", "30s", "--latency", url]
    if auth:
        args[1:1] = ["-H", "Authorization: " + AUTH]
    env = dict(os.environ)
    if etag:
        args[1:1] = ["-s", os.path.join(HERE, "inm.lua")]
        env["ETAG"] = etag
    out = subprocess.run(args, capture_output=True, text=True, env=env, check=True).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    p99 = re.search(r"99%\s+([\d.]+)(us|ms|s)", out)
    if not p99 or rps == 0:
        return {"rps": float("nan"), "p99_ms": float("nan"), "non2xx": 0, "errors": "no response completed"}
    scale = {"us": 0.001, "ms": 1, "s": 1000}[p99.group(2)]
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    errors = re.search(r"Socket errors: (.*)", out)
    return {"rps": rps, "p99_ms": float(p99.group(1)) * scale,
            "non2xx": int(non2xx.group(1)) if non2xx else 0,
            "errors": errors.group(1) if errors else "none"}


def median_run(runs):
    """The run with the median req/s, its p99 replaced by the median p99, and
    every run's figures kept for the report's ranges."""
    by_rps = sorted(runs, key=lambda r: r["rps"])
    mid = dict(by_rps[len(by_rps) // 2])
    mid["p99_ms"] = statistics.median(r["p99_ms"] for r in runs)
    mid["non2xx"] = sum(r["non2xx"] for r in runs)
    mid["errors"] = "none" if all(r["errors"] == "none" for r in runs) else \
        "; ".join(r["errors"] for r in runs if r["errors"] != "none")
    mid["runs"] = runs
    return mid


def alternate(servers, seconds, rounds=SERVING_ROUNDS):
    """wrk against each server in turn, rounds times over: a burst of other
    load on the shared machine then hits every server alike, and the medians
    are what the report compares (a single 10 s run's p99 of ~1 ms moves by
    2x from one run to the next)."""
    runs = {}
    for _ in range(rounds):
        for kind in ("200", "304"):
            for name, u, h in servers:
                r = wrk(u, seconds, 10, etag=h["ETag"] if kind == "304" else None)
                runs.setdefault(f"{name}_{kind}", []).append(r)
                print(name, kind, r, flush=True)
    return {k: median_run(v) for k, v in runs.items()}


def sequential(url, n):
    """Radicale regenerates the collection on every GET, seconds each: wrk's
    fixed duration would see no response complete. n GETs one after another."""
    req = urllib.request.Request(url, headers={"Authorization": AUTH})
    times = []
    for _ in range(n):
        t0 = time.monotonic()
        with urllib.request.urlopen(req, timeout=600) as r:
            r.read()
        times.append(time.monotonic() - t0)
    return {"rps": n / sum(times), "p99_ms": max(times) * 1000, "non2xx": 0, "errors": "none"}


NGINX_CONF = """worker_processes 1;
daemon off;
error_log {tmp}/nginx-error.log;
pid {tmp}/nginx.pid;
events {{ worker_connections 4096; }}
http {{
  access_log off;
  types {{ text/calendar ics; }}
  keepalive_requests 1000000;
  client_body_temp_path {tmp}/nginx-body;
  proxy_temp_path {tmp}/nginx-proxy;
  fastcgi_temp_path {tmp}/nginx-fastcgi;
  uwsgi_temp_path {tmp}/nginx-uwsgi;
  scgi_temp_path {tmp}/nginx-scgi;
  server {{
    listen 127.0.0.1:{port};
    root {root};
    etag on;
  }}
}}
"""

RADICALE_CONF = """[server]
hosts = 127.0.0.1:{port}
[auth]
type = none
[rights]
type = owner_only
[storage]
filesystem_folder = {root}
[logging]
level = warning
"""


def serving(build, tmp, seconds):
    cfg = gen(1000, tmp)
    port = free_port()
    d = agendad(build, cfg, os.path.join(tmp, "serve.db"), port, os.path.join(tmp, "agendad.log"))
    procs = [d]
    try:
        url = f"http://127.0.0.1:{port}/feeds/network.ics"
        body, hdrs = wait_200(url)
        out = os.path.join(tmp, "export")
        subprocess.run([os.path.join(build, "core/agendad"), "export", "--config", cfg, "--state",
                        os.path.join(tmp, "serve.db"), "--listen", f"127.0.0.1:{port}",
                        "--out", out], check=True, capture_output=True)
        nport = free_port()
        conf = os.path.join(tmp, "nginx.conf")
        with open(conf, "w") as f:
            f.write(NGINX_CONF.format(tmp=tmp, port=nport, root=out))
        n = Proc(["nginx", "-c", conf, "-p", tmp], os.path.join(tmp, "nginx.log"))
        procs.append(n)
        nurl = f"http://127.0.0.1:{nport}/feeds/network.ics"
        nbody, nhdrs = wait_200(nurl)
        assert nbody == body, "nginx must serve the same bytes"
        rport = free_port()
        rroot = os.path.join(tmp, "radicale")
        rconf = os.path.join(tmp, "radicale.conf")
        with open(rconf, "w") as f:
            f.write(RADICALE_CONF.format(port=rport, root=rroot))
        r = Proc([PY, "-m", "radicale", "--config", rconf], os.path.join(tmp, "radicale.log"))
        procs.append(r)
        rurl = f"http://127.0.0.1:{rport}/bench/network.ics/"
        deadline = time.monotonic() + 60
        while True:
            try:
                req = urllib.request.Request(rurl, data=body, method="PUT",
                                             headers={"Content-Type": "text/calendar",
                                                      "Authorization": AUTH})
                urllib.request.urlopen(req, timeout=600)
                break
            except urllib.error.HTTPError:
                raise
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)
        rbody, rhdrs = wait_200(urllib.request.Request(rurl, headers={"Authorization": AUTH}))
        res = {"bytes": len(body), "radicale_bytes": len(rbody)}
        res.update(alternate(((("agendad", url, hdrs), ("nginx", nurl, nhdrs))), seconds))
        res["radicale_200"] = sequential(rurl, 3)
        print("radicale", res["radicale_200"], flush=True)
        return res
    finally:
        for p in procs:
            p.stop()


# ---- memory and start-up ----

def mem_mib(pid):
    """RSS, and what of it is the daemon's own: Private_Dirty (heap, stacks,
    relocated library data). RSS also counts the clean pages of shared
    libraries (libcrypto, ICU, sqlite, curl...), which stay in the page cache
    for every process mapping them and which the kernel drops at will."""
    with open(f"/proc/{pid}/smaps_rollup") as f:
        t = f.read()
    kib = lambda k: int(re.search(rf"^{k}:\s+(\d+)", t, re.M).group(1))
    return kib("Rss") / 1024, kib("Private_Dirty") / 1024


def cpu_s(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def startup(build, tmp, cfg, name):
    port = free_port()
    state = os.path.join(tmp, f"{name}.db")
    res = {}
    d = agendad(build, cfg, state, port, os.path.join(tmp, f"{name}-idle.log"))
    try:  # idle: ready (/healthz), no feed built yet
        wait_200(f"http://127.0.0.1:{port}/healthz")
        time.sleep(1)
        res["idle_rss_mib"], res["idle_dirty_mib"] = mem_mib(d.p.pid)
    finally:
        d.stop()
    # cold: empty store; warm: a restart, 3 times (median), since one slow
    # spell of the shared VM once doubled a single restart's time.
    warm = []
    for run in ("cold", "warm", "warm", "warm"):
        if run == "cold":  # the idle run above filled it
            for suffix in ("", "-wal", "-shm"):
                if os.path.exists(state + suffix):
                    os.remove(state + suffix)
        t0 = time.monotonic()
        d = agendad(build, cfg, state, port, os.path.join(tmp, f"{name}-{run}{len(warm)}.log"))
        try:
            wait_200(f"http://127.0.0.1:{port}/feeds/network.ics")
            got = {"first_feed_s": time.monotonic() - t0, "first_feed_cpu_s": cpu_s(d.p.pid)}
            time.sleep(1)
            got["rss_mib"], got["dirty_mib"] = mem_mib(d.p.pid)
        finally:
            d.stop()
        if run == "warm":
            warm.append(got)
        else:
            res.update({"cold_" + k: v for k, v in got.items()})
    res["warm_runs_s"] = [w["first_feed_s"] for w in warm]
    for k in ("first_feed_s", "first_feed_cpu_s"):
        res["warm_" + k] = statistics.median(w[k] for w in warm)
    for k in ("rss_mib", "dirty_mib"):
        res["warm_" + k] = max(w[k] for w in warm)
    return res


def memory(build, tmp):
    return {"sample": startup(build, tmp, os.path.join(ROOT, "config"), "sample"),
            "10000": startup(build, tmp, gen(10000, tmp), "m10000")}


# ---- report ----

def verdict(ok):
    return "met" if ok else "**not met**"


def report(gen_rows, srv, mem, path):
    L = ["# Benchmark results", "",
         f"Machine: {os.cpu_count()} CPU(s), `{os.uname().release}`; written by "
         "`tests/bench/run.sh` on " + time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()) + ".",
         f"Times are CPU seconds. agendad: best of {3 * GENERATION_ROUNDS} builds, 3 in each "
         f"of {GENERATION_ROUNDS} rounds that alternate the sizes; python3-icalendar: "
         "best of 3, a single build from 10,000 events.",
         ""]
    if gen_rows:
        L += ["## Feed generation (network feed, each event with 8 agenda slots)", "",
              "| events | VEVENTs | bytes | agendad load+build s | python3-icalendar s | ratio |",
              "|---:|---:|---:|---:|---:|---:|"]
        for n, o, p in gen_rows:
            L.append(f"| {n:,} | {int(o['vevents']):,} | {int(o['bytes']):,} | "
                     f"{o['total_s']:.4f} | {p['build_s']:.3f} | {p['build_s'] / o['total_s']:.1f}x |")
        growth = [(gen_rows[i + 1][1]['total_s'] / gen_rows[i][1]['total_s'])
                  for i in range(len(gen_rows) - 1)]
        ratios = [p['build_s'] / o['total_s'] for _, o, p in gen_rows]
        t10k = [o['total_s'] for n, o, _ in gen_rows if n == 10000]
        L += ["", "| target | measured | |", "|---|---|---|",
              f"| ≥ 20x python3-icalendar | {min(ratios):.1f}x – {max(ratios):.1f}x | "
              f"{verdict(min(ratios) >= 20)} |",
              f"| 10x events ≤ 12x time | " + ", ".join(f"{g:.1f}x" for g in growth) + " | "
              f"{verdict(max(growth[1:] or growth) <= 12)} (from 1,000 up; 100 is start-up noise) |"]
        if t10k:
            L.append(f"| 10,000 events < 1 s | {t10k[0]:.3f} s | {verdict(t10k[0] < 1)} |")
        L.append("")
    if srv:
        a2, n2, a3, n3, r2 = (srv["agendad_200"], srv["nginx_200"], srv["agendad_304"],
                              srv["nginx_304"], srv["radicale_200"])
        L += ["## Feed serving (wrk -t1 on loopback, `/feeds/network.ics` of 1,000 events × 8 slots)",
              "", f"Body {srv['bytes']:,} bytes, identical from agendad and nginx "
              "(`agendad export`); nginx with `worker_processes 1` like agendad's one loop; "
              f"Radicale serves the same calendar PUT into a collection ({srv['radicale_bytes']:,} bytes).",
              f"wrk: {SERVING_ROUNDS} runs of each, servers alternated; the table gives the "
              "medians and, in brackets, each run's figure.",
              "", "| server | requests (tool) | conns | req/s | latency ms (p99) | "
              "non-2xx/3xx | socket errors |",
              "|---|---|---:|---:|---:|---:|---|"]
        for name, key, c in (("agendad", "agendad_200", 10), ("nginx", "nginx_200", 10),
                             ("agendad", "agendad_304", 10), ("nginx", "nginx_304", 10),
                             ("Radicale", "radicale_200", 1)):
            v = srv[key]
            lat = f"{v['p99_ms']:.2f}"
            tool = "sequential GETs, max" if "Radicale" in name else "wrk"
            rps = f"{v['rps']:,.0f}" if v["rps"] >= 10 else f"{v['rps']:.2f}"
            if "runs" in v:
                rps += " (" + " / ".join(f"{r['rps']:,.0f}" for r in v["runs"]) + ")"
                lat += " (" + " / ".join(f"{r['p99_ms']:.2f}" for r in v["runs"]) + ")"
            L.append(f"| {name} | {'304 (If-None-Match)' if '304' in key else '200 keep-alive'} "
                     f"({tool}) | {c} | {rps} | {lat} | {v['non2xx']} | {v['errors']} |")
        L += ["", "| target | measured | |", "|---|---|---|",
              f"| 200s ≥ 0.9x nginx | {a2['rps'] / n2['rps']:.2f}x | {verdict(a2['rps'] / n2['rps'] >= 0.9)} |",
              f"| 304s ≥ 1.0x nginx | {a3['rps'] / n3['rps']:.2f}x | {verdict(a3['rps'] / n3['rps'] >= 1.0)} |",
              f"| p99 ≤ 1.5x nginx (200s, wrk) | {a2['p99_ms'] / n2['p99_ms']:.2f}x | "
              f"{verdict(a2['p99_ms'] <= 1.5 * n2['p99_ms'])} |",
              f"| p99 ≤ 1.5x nginx (304s, wrk) | {a3['p99_ms'] / n3['p99_ms']:.2f}x | "
              f"{verdict(a3['p99_ms'] <= 1.5 * n3['p99_ms'])} |",
              f"| > 20x Radicale | {a2['rps'] / r2['rps']:.0f}x | {verdict(a2['rps'] / r2['rps'] > 20)} |",
              "", "304s: wrk with `If-None-Match` (inm.lua); agendad's 304 carries no "
              "Content-Length, like nginx's, so that wrk's parser does not wait for a body.", ""]
    if mem:
        s, m = mem["sample"], mem["10000"]
        L += ["## Memory and start-up (1 s after ready, or after the first feed was served)", "",
              "First feed: wall-clock seconds from exec to the first `/feeds/network.ics` "
              "received, and the CPU seconds the daemon used by then (the machine's other "
              "load stretches the first, not the second). Private dirty: the pages only "
              "this process holds (heap, relocated library data) — what another instance "
              "would add; RSS also counts shared libraries' clean pages (about 10 MiB: "
              "ICU through libical, libc, sqlite...), shared with every process mapping "
              "them. The network module (libcurl and its chain) is not mapped: the sample "
              "network's only plugin, agenda, never fetches.", "",
              "| config | start | first feed s | CPU s | RSS MiB | private dirty MiB |",
              "|---|---|---:|---:|---:|---:|"]
        for name, v in (("sample network", s), ("10,000 events × 8 slots", m)):
            L.append(f"| {name} | idle (ready, no feed built yet) | – | – | "
                     f"{v['idle_rss_mib']:.1f} | {v['idle_dirty_mib']:.1f} |")
            for run in ("cold", "warm"):
                L.append(f"| {name} | {run} ({'empty store' if run == 'cold' else 'restart, median of 3'}) | "
                         f"{v[run + '_first_feed_s']:.3f} | {v[run + '_first_feed_cpu_s']:.2f} | "
                         f"{v[run + '_rss_mib']:.1f} | {v[run + '_dirty_mib']:.1f} |")
        L += ["", "| target | measured | |", "|---|---|---|",
              f"| < 16 MiB idle, sample network (RSS) | {s['idle_rss_mib']:.1f} MiB idle, "
              f"{s['warm_rss_mib']:.1f} MiB after a feed (private dirty "
              f"{s['idle_dirty_mib']:.1f}) | {verdict(s['idle_rss_mib'] < 16)} |",
              f"| < 128 MiB with 10,000 events | {max(m['cold_rss_mib'], m['warm_rss_mib']):.1f} MiB | "
              f"{verdict(max(m['cold_rss_mib'], m['warm_rss_mib']) < 128)} |",
              f"| first feed < 1 s with 10,000 events | {m['warm_first_feed_s']:.2f} s restart, "
              f"median of 3 (" + " / ".join(f"{t:.2f}" for t in m['warm_runs_s']) + ") "
              f"({m['warm_first_feed_cpu_s']:.2f} s CPU), {m['cold_first_feed_s']:.2f} s empty "
              f"store | {verdict(m['warm_first_feed_s'] < 1)} (restart, wall clock) |", ""]
    with open(path, "w") as f:
        f.write("\n".join(L))
    print("\n".join(L))


def main():
    build = os.path.abspath(sys.argv[1])
    quick = "--quick" in sys.argv
    tmp = tempfile.mkdtemp(prefix="agendad-bench-")
    os.chmod(tmp, 0o755)  # nginx's workers run as another user
    if sys.argv[-2:] == ["--only", "memory"]:
        for name, res in memory(build, tmp).items():
            print(name, {k: v if isinstance(v, list) else round(v, 3) for k, v in res.items()})
        subprocess.run(["rm", "-rf", tmp])
        return
    if sys.argv[-2:] == ["--only", "generation"]:
        report(generation(build, tmp, [100, 1000, 10000, 100000]), None, None,
               os.path.join(tmp, "generation.md"))
        subprocess.run(["rm", "-rf", tmp])
        return
    if sys.argv[-2:] == ["--only", "serving"]:
        report([], serving(build, tmp, 10), None, os.path.join(tmp, "serving.md"))
        subprocess.run(["rm", "-rf", tmp])
        return
    sizes = [100, 1000, 10000] if quick else [100, 1000, 10000, 100000]
    # Serving first: its p99 is the figure most sensitive to the machine's
    # state, and the generation part's peer (python3-icalendar) churns
    # gigabytes whose release kept the kernel busy into the next minutes.
    srv = serving(build, tmp, 5 if quick else 10)
    mem = memory(build, tmp)
    rows = [] if "--no-generation" in sys.argv else generation(build, tmp, sizes)
    report(rows, srv, mem, os.path.join(HERE, "results.md"))
    subprocess.run(["rm", "-rf", tmp])


if __name__ == "__main__":
    main()
