"""Shared set-up of the reminder tests: a small config directory whose time
is driven by a clock file (AGENDAD_TEST_CLOCK), a real SMTP peer on
loopback (tests/peers/smtp_peer.py, on python3-aiosmtpd), and helpers to
read what it received."""

import email
import email.policy
import os
import subprocess
import sys
import tempfile
import time

from harness import Daemon, SOURCE_DIR

PLUGIN_BUILD_DIR = os.environ.get("AGENDAD_PLUGIN_BUILD_DIR", "")
PEERS = os.path.join(SOURCE_DIR, "tests", "peers")

# 2026-04-10 09:00 Africa/Casablanca (UTC+1 outside Ramadan) = 08:00Z
EVENT_START_UTC = 1775808000

AGENDAD_YAML = """
base_url: "http://agenda.test"
timezone: Africa/Casablanca
categories:
  - id: training
    name: {{ar: "تكوين", fr: "Formation"}}
reminders:
  grace: 1h
  check_interval: 60s
  retry: {{attempts: {attempts}, initial: 1m, max: 10m}}
plugins:
  load:
    reminder-email:
      url: "smtp://127.0.0.1:{smtp_port}"
      starttls: false
      from: "RMCTO <agenda@rmcto.test>"
      timeout: 5
{extra_plugins}
"""

MEMBERS_YAML = """
members:
  - id: fes-meknes
    kind: region
    name: {ar: "جهة فاس مكناس", fr: "Région Fès-Meknès"}
    language: ar
    emails: [fes@members.test]
  - id: agadir
    kind: region
    name: {ar: "جماعة أكادير", fr: "Commune d'Agadir"}
    language: fr
    emails: [agadir@members.test, agadir2@members.test]
  - id: oujda
    kind: region
    name: {ar: "وجدة", fr: "Oujda"}
    emails: [oujda@members.test]
"""

EVENT_YAML = """
uid: workshop-1
title: {{ar: "ورشة الإعداد المشترك", fr: "Atelier de co-création"}}
location: {{ar: "{place_ar}", fr: "{place_fr}"}}
start: {start}
end: {end}
host: fes-meknes
audience: [{audience}]
categories: [training]
status: {status}
reminders:
  before: [{leads}]
  channels: [{channels}]
"""


def free_port():
    import socket
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class SmtpPeer:
    def __init__(self, port=0, hold_after=0, dir=None, delay=0.0):
        self.dir = dir or tempfile.mkdtemp(prefix="smtp-peer-")
        self.port = port
        self.hold_after = hold_after
        self.delay = delay
        self.proc = None

    def start(self):
        self.proc = subprocess.Popen([sys.executable, os.path.join(PEERS, "smtp_peer.py"),
                                      self.dir, str(self.port), str(self.hold_after),
                                      str(self.delay)],
                                     stdout=subprocess.PIPE)
        self.port = int(self.proc.stdout.readline())
        return self

    def stop(self):
        if self.proc:
            self.proc.kill()
            self.proc.wait()
            self.proc.stdout.close()
            self.proc = None

    def messages(self):
        out = []
        n = 1
        while os.path.exists(os.path.join(self.dir, f"{n}.env")):
            with open(os.path.join(self.dir, f"{n}.eml"), "rb") as f:
                msg = email.message_from_bytes(f.read(), policy=email.policy.default)
            with open(os.path.join(self.dir, f"{n}.env")) as f:
                env = f.read().split()
            out.append((env, msg))
            n += 1
        return out

    def wait(self, count, timeout=20):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            msgs = self.messages()
            if len(msgs) >= count:
                return msgs
            time.sleep(0.05)
        raise AssertionError(f"expected {count} messages, got {len(self.messages())}")


class ReminderDaemon(Daemon):
    """A Daemon on a private config and a clock file."""

    def __init__(self, smtp_port, event=None, attempts=3, extra_plugins=""):
        cfg = tempfile.mkdtemp(prefix="agendad-rem-cfg-")
        os.makedirs(os.path.join(cfg, "events"))
        with open(os.path.join(cfg, "agendad.yaml"), "w") as f:
            f.write(AGENDAD_YAML.format(smtp_port=smtp_port, attempts=attempts,
                                        extra_plugins=extra_plugins))
        with open(os.path.join(cfg, "members.yaml"), "w") as f:
            f.write(MEMBERS_YAML)
        super().__init__(config_src=cfg, plugin_dir=PLUGIN_BUILD_DIR)
        self.clock = os.path.join(self.tmp, "clock")
        if event is not None:
            self.set_event(**event)

    def set_event(self, start="2026-04-10T09:00", end="2026-04-10T12:00", leads="1d",
                  status="confirmed", audience="fes-meknes, agadir", channels="email",
                  place_ar="فاس", place_fr="Fès"):
        self.write("events/workshop.yaml", EVENT_YAML.format(
            start=start, end=end, leads=leads, status=status, audience=audience,
            channels=channels, place_ar=place_ar, place_fr=place_fr))

    def set_time(self, t):
        tmp = self.clock + ".tmp"
        with open(tmp, "w") as f:
            f.write(str(int(t)))
        os.rename(tmp, self.clock)

    def start(self):
        os.environ["AGENDAD_TEST_CLOCK"] = "1"
        os.environ["AGENDAD_CLOCK_FILE"] = self.clock
        try:
            return super().start()
        finally:
            del os.environ["AGENDAD_TEST_CLOCK"]
            del os.environ["AGENDAD_CLOCK_FILE"]

    def outbox(self, state="all"):
        r = self.run_cli("reminders", state)
        if r.returncode != 0:
            raise AssertionError(r.stderr)
        rows = []
        for line in r.stdout.splitlines()[1:]:
            parts = line.split(None, 10)
            rows.append({"id": parts[0], "state": parts[1], "kind": parts[2],
                         "channel": parts[3], "uid": parts[4], "recipient": parts[8],
                         "attempts": int(parts[9]), "error": parts[10] if len(parts) > 10 else ""})
        return rows

    def wait_outbox(self, pred, timeout=20):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            rows = self.outbox()
            if pred(rows):
                return rows
            time.sleep(0.1)
        raise AssertionError(f"outbox never matched: {self.outbox()}\n{self.log_text()}")
