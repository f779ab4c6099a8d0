"""/metrics, /status and /status.html: content, access by loopback or bearer
token, and the config keys that govern them."""

import json
import os
import re
import unittest

from harness import Daemon

TOKEN = "s3cret-token-0123456789abcdef"


def metric(text, name, **labels):
    """The value of one series in a Prometheus text exposition, or None."""
    want = ",".join(f'{k}="{v}"' for k, v in labels.items())
    series = f"{name}{{{want}}}" if labels else name
    for line in text.splitlines():
        if line.startswith(series + " "):
            return float(line.split()[-1])
    return None


def check_exposition(test, text):
    """Every sample line belongs to a family announced by # TYPE."""
    types = dict(re.findall(r"^# TYPE (\S+) (\S+)$", text, re.M))
    for line in text.splitlines():
        if not line or line.startswith("#"):
            continue
        m = re.match(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(?:[^"}]|"(?:[^"\\]|\\.)*")*\})? (\S+)$', line)
        test.assertIsNotNone(m, line)
        name = re.sub(r"_(bucket|sum|count)$", "", m.group(1))
        test.assertTrue(m.group(1) in types or name in types, line)
        float(m.group(3))


class MetricsTest(unittest.TestCase):
    def test_counts_by_route_template_and_status(self):
        with Daemon() as d:
            st, h, body = d.get("/feeds/network.ics")
            self.assertEqual(st, 200)
            d.get("/feeds/network.ics", {"If-None-Match": h["etag"]})
            d.get("/feeds/members/fes.ics")
            d.get("/feeds/members/rabat.ics")
            d.get("/feeds/members/nobody.ics")
            d.get("/no/such/page")
            st, h, text = d.get("/metrics")
            self.assertEqual(st, 200)
            self.assertTrue(h["content-type"].startswith("text/plain; version=0.0.4"))
            text = text.decode()
            check_exposition(self, text)
            m = "agendad_http_requests_total"
            self.assertEqual(metric(text, m, route="/feeds/network.ics", status="200"), 1)
            self.assertEqual(metric(text, m, route="/feeds/network.ics", status="304"), 1)
            self.assertEqual(metric(text, m, route="/feeds/members/{id}.ics", status="200"), 2)
            self.assertEqual(metric(text, m, route="/feeds/members/{id}.ics", status="404"), 1)
            self.assertEqual(metric(text, m, route="not_found", status="404"), 1)
            self.assertNotIn("fes.ics", text)  # templates, never raw paths
            self.assertEqual(
                metric(text, "agendad_http_response_body_bytes_total",
                       route="/feeds/network.ics"), len(body))
            # An unknown member costs a build attempt too (then 404).
            self.assertEqual(metric(text, "agendad_feed_builds_total", kind="member"), 3)
            self.assertEqual(metric(text, "agendad_feed_build_seconds_count", kind="member"), 3)
            self.assertEqual(metric(text, "agendad_feed_cache_hits_total"), 1)
            self.assertGreater(metric(text, "agendad_events"), 0)
            self.assertEqual(metric(text, "agendad_config_last_reload_success"), 1)

    def test_reloads_and_their_errors(self):
        with Daemon() as d:
            d.reload()
            good = json.loads(d.get("/status")[2])
            self.assertEqual(good["last_reload"]["result"], "ok")
            self.assertEqual(good["last_reload"]["trigger"], "SIGHUP")
            # The write itself triggers a reload through the directory watch
            # (after its debounce): wait for it, so that the count below does
            # not depend on whether it comes before or after the SIGHUP's.
            before = len(d.log_text())
            d.write("events/bad.yaml", "uid: bad\ntitle: {fr: <b>X</b>}\nstart: 2027-01-10T10:00\n"
                                       "end: 2027-01-10T09:00\nhost: nobody\n")
            d.wait_log("configuration not reloaded (config directory changed)", start=before)
            d.reload("configuration not reloaded (SIGHUP)")
            st, h, body = d.get("/status")
            self.assertEqual(st, 200)
            self.assertEqual(h["content-type"], "application/json")
            s = json.loads(body)
            self.assertEqual(s["last_reload"]["result"], "config_error")
            self.assertTrue(any("bad.yaml:5:" in e for e in s["last_reload"]["errors"]),
                            s["last_reload"]["errors"])
            self.assertEqual(s["reloads"], {"ok": 1, "failed": 2})
            self.assertEqual(s["last_reload"]["trigger"], "SIGHUP")
            self.assertEqual(s["config_dir"], d.config)
            self.assertRegex(s["tzdata"], r"^\d{4}[a-z]$")
            self.assertGreater(s["events"], 0)
            self.assertEqual(s["plugins"], [])
            text = d.get("/metrics")[2].decode()
            self.assertEqual(metric(text, "agendad_config_reloads_total", result="ok"), 1)
            self.assertEqual(
                metric(text, "agendad_config_reloads_total", result="config_error"), 2)
            self.assertEqual(metric(text, "agendad_config_last_reload_success"), 0)
            self.assertGreater(metric(text, "agendad_config_last_reload_timestamp_seconds"), 0)
            st, h, page = d.get("/status.html")
            self.assertEqual(h["content-type"], "text/html; charset=utf-8")
            page = page.decode()
            self.assertIn("config_error", page)
            self.assertIn("bad.yaml:5:", page)
            self.assertNotIn("<b>", page)  # everything from config is escaped

    def test_token_protects_when_loopback_is_not_trusted(self):
        d = Daemon()
        try:
            with open(os.path.join(d.config, "metrics.token"), "w") as f:
                f.write(TOKEN + "\n")
            text = d.read("agendad.yaml").replace(
                "http:\n", "http:\n  metrics_loopback: false\n"
                           "  metrics_token_file: metrics.token\n", 1)
            d.write("agendad.yaml", text)
            d.start()
            for path in ("/metrics", "/status", "/status.html"):
                with self.subTest(path=path):
                    st, h, _ = d.get(path)
                    self.assertEqual(st, 401)
                    self.assertIn("Bearer", h["www-authenticate"])
                    st, _, _ = d.get(path, {"Authorization": "Bearer wrong-token-0123456789"})
                    self.assertEqual(st, 401)
                    st, _, _ = d.get(path, {"Authorization": "Bearer " + TOKEN})
                    self.assertEqual(st, 200)
            self.assertEqual(d.get("/feeds/network.ics")[0], 200)
        finally:
            d.cleanup()

    def test_loopback_refused_without_token_gives_403(self):
        d = Daemon()
        try:
            d.write("agendad.yaml", d.read("agendad.yaml").replace(
                "http:\n", "http:\n  metrics_loopback: false\n", 1))
            d.start()
            self.assertEqual(d.get("/metrics")[0], 403)
        finally:
            d.cleanup()

    def test_config_keys_are_validated(self):
        d = Daemon()
        try:
            with open(os.path.join(d.config, "short.token"), "w") as f:
                f.write("short\n")
            d.write("agendad.yaml", d.read("agendad.yaml").replace(
                "http:\n", "http:\n  metrics_loopback: maybe\n"
                           "  metrics_token_file: short.token\n"
                           "  metrics_token: x\n", 1))
            r = d.run_cli("check")
            self.assertEqual(r.returncode, 1)
            self.assertIn("expected true or false for metrics_loopback", r.stderr)
            self.assertIn("16 to 1024 characters", r.stderr)
            self.assertIn("metrics_token", r.stderr)
            d.write("agendad.yaml", d.read("agendad.yaml").replace("short.token", "none.token")
                    .replace("maybe", "true").replace("  metrics_token: x\n", ""))
            r = d.run_cli("check")
            self.assertEqual(r.returncode, 1)
            self.assertIn("none.token", r.stderr)
            self.assertIn("No such file", r.stderr)
        finally:
            d.cleanup()


if __name__ == "__main__":
    unittest.main()
