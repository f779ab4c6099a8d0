"""Starts the real agendad on a free loopback port with a private copy of a
config directory and its own state database, and stops it by process id."""

import http.client
import os
import random
import shutil
import signal
import socket
import subprocess
import tempfile
import time

BIN = os.environ.get("AGENDAD_BIN", "agendad")
SOURCE_DIR = os.environ.get("AGENDAD_SOURCE_DIR", os.path.join(os.path.dirname(__file__), "../.."))
SAMPLE_CONFIG = os.path.join(SOURCE_DIR, "config")


def free_port():
    """A port that is free now, chosen below the kernel's ephemeral range
    (32768-60999): peers that bind port 0 in a test running in parallel
    then cannot be handed the same port before our daemon binds it."""
    rng = random.SystemRandom()
    for _ in range(200):
        port = rng.randrange(20000, 32000)
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise RuntimeError("no free port in 20000-32000")


class Daemon:
    """One agendad instance. Use as a context manager or call start/stop."""

    def __init__(self, config_src=SAMPLE_CONFIG, extra_args=(), plugin_dir=None, env=None):
        self.tmp = tempfile.mkdtemp(prefix="agendad-test-")
        self.config = os.path.join(self.tmp, "config")
        shutil.copytree(config_src, self.config)
        self.state = os.path.join(self.tmp, "state.db")
        self.log_path = os.path.join(self.tmp, "daemon.log")
        self.extra_args = list(extra_args)
        self.plugin_dir = plugin_dir
        self.env = env  # extra environment variables for `run`
        # One port for the instance's whole life: base_url (and so the feed
        # bytes) follow --listen, and a restart must serve identical bytes.
        self.port = free_port()
        self.proc = None

    def args(self, command, *more):
        a = [BIN, command, "--config", self.config, "--state", self.state,
             "--listen", f"127.0.0.1:{self.port}"]
        if self.plugin_dir:
            a += ["--plugin-dir", self.plugin_dir]
        return a + list(more)

    def run_cli(self, command, *more, check=False):
        return subprocess.run(self.args(command, *more), capture_output=True, text=True,
                              timeout=60, check=check)

    def start(self):
        self.log = open(self.log_path, "ab")
        self.proc = subprocess.Popen(
            self.args("run", *self.extra_args),
            stdout=self.log, stderr=subprocess.STDOUT,
            env={**os.environ, **self.env} if self.env else None)
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"agendad exited with {self.proc.returncode}:\n{self.log_text()}")
            try:
                status, _, _ = self.get("/healthz")
                if status == 200:
                    return self
            except OSError:
                pass
            time.sleep(0.05)
        raise RuntimeError("agendad did not become ready:\n" + self.log_text())

    def stop(self, sig=signal.SIGTERM, timeout=20):
        if self.proc and self.proc.poll() is not None:
            # It died on its own: a crash the test may not have noticed.
            import sys
            sys.stderr.write(f"agendad had exited with {self.proc.returncode}; its log:\n"
                             f"{self.log_text()}\n")
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        code = self.proc.returncode if self.proc else None
        if sig == signal.SIGTERM and code not in (0, None):
            # A crash at shutdown (a sanitizer's abort): its report is in the log.
            import sys
            sys.stderr.write(f"agendad stopped with {code}; its log:\n{self.log_text()[-20000:]}\n")
        if self.proc:
            self.log.close()
        self.proc = None
        return code

    def cleanup(self):
        self.stop()
        shutil.rmtree(self.tmp, ignore_errors=True)

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.cleanup()

    def log_text(self):
        try:
            with open(self.log_path, encoding="utf-8", errors="replace") as f:
                return f.read()
        except OSError:
            return ""

    def request(self, method, path, headers=None):
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
        try:
            conn.request(method, path, headers=headers or {})
            resp = conn.getresponse()
            return resp.status, dict((k.lower(), v) for k, v in resp.getheaders()), resp.read()
        finally:
            conn.close()

    def get(self, path, headers=None):
        return self.request("GET", path, headers)

    def reload(self, marker=None, timeout=10):
        """SIGHUP, then wait until the log shows the outcome."""
        before = len(self.log_text())
        self.proc.send_signal(signal.SIGHUP)
        return self.wait_log(marker or "(SIGHUP)", timeout, start=before)

    def wait_log(self, needle, timeout=10, start=0):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            text = self.log_text()[start:]
            if needle in text:
                return text
            time.sleep(0.05)
        raise AssertionError(f"log never showed {needle!r}:\n{self.log_text()}")

    def path(self, *parts):
        return os.path.join(self.config, *parts)

    def write(self, rel, text):
        with open(self.path(rel), "w", encoding="utf-8") as f:
            f.write(text)

    def load_plugins(self, sections):
        """Replaces agendad.yaml's plugins.load block: sections is the YAML
        of its entries, e.g. 'net_probe: {}'."""
        import re
        body = "".join(f"    {line}\n" for line in sections.strip().splitlines())
        cfg = re.sub(r"(?m)^  load:.*\n(?:    .*\n|\s*#.*\n)*", "  load:\n" + body,
                     self.read("agendad.yaml"))
        self.write("agendad.yaml", cfg)

    def read(self, rel):
        with open(self.path(rel), encoding="utf-8") as f:
            return f.read()
