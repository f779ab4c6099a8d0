"""Events' documents: ATTACH in the feeds, files served at /documents/UID/PATH
with a strong ETag and conditional GET, and no request reaching any other
file (traversal in every spelling, a link leading out, an event's
undeclared file)."""

import os
import socket
import unittest

from icalendar import Calendar

from harness import Daemon

EVENT = """
uid: doc-event
title: {ar: "ورشة", fr: "Atelier"}
start: 2026-04-10T09:00
end: 2026-04-10T12:00
host: fes-meknes
audience: [network]
documents:
  - title: {ar: "محضر الاجتماع", fr: "Compte rendu; version 1, \\"finale\\""}
    kind: minutes
    published: 2026-04-20
    file: "2026/compte rendu é.pdf"
  - title: {fr: "Ordre du jour"}
    kind: agenda
    published: 2026-04-01
    url: "https://fes.example.org/odj.pdf"
"""

PDF = b"%PDF-1.4\n" + bytes(range(256)) * 40 + b"\n%%EOF\n"


def raw_get(port, target):
    """The status line of a GET whose request target is sent as written."""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as s:
        s.sendall(f"GET {target} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".encode())
        data = b""
        while chunk := s.recv(65536):
            data += chunk
    return int(data.split(b" ", 2)[1])


class Documents(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        # The agenda plugin's page lists the documents too.
        cls.d = Daemon(plugin_dir=os.environ.get("AGENDAD_PLUGIN_BUILD_DIR"))
        os.makedirs(cls.d.path("documents", "2026"))
        with open(cls.d.path("documents", "2026", "compte rendu é.pdf"), "wb") as f:
            f.write(PDF)
        with open(cls.d.path("documents", "undeclared.pdf"), "wb") as f:
            f.write(b"%PDF-1.4 not listed\n")
        cls.d.write("events/zz-documents.yaml", EVENT)
        cls.d.start()

    @classmethod
    def tearDownClass(cls):
        cls.d.cleanup()

    def url_path(self):
        return "/documents/doc-event/2026/compte%20rendu%20%C3%A9.pdf"

    def test_attach_in_the_event_feed(self):
        status, _, body = self.d.get("/events/doc-event.ics?lang=fr")
        self.assertEqual(status, 200)
        ev = Calendar.from_ical(body).walk("VEVENT")[0]
        attach = ev.get("ATTACH")
        self.assertEqual(len(attach), 2)
        base = f"http://127.0.0.1:{self.d.port}"
        self.assertEqual(str(attach[0]), base + self.url_path())
        self.assertEqual(attach[0].params["FMTTYPE"], "application/pdf")
        self.assertEqual(attach[0].params["LABEL"], "Compte rendu; version 1,  finale ")
        self.assertEqual(attach[0].params["X-AGENDAD-KIND"], "minutes")
        self.assertEqual(str(attach[1]), "https://fes.example.org/odj.pdf")
        self.assertNotIn("FMTTYPE", attach[1].params)
        self.assertEqual(attach[1].params["X-AGENDAD-KIND"], "agenda")
        # Arabic falls back per document: the agenda has French only.
        ev = Calendar.from_ical(self.d.get("/events/doc-event.ics?lang=ar")[2]).walk("VEVENT")[0]
        self.assertEqual([a.params["LABEL"] for a in ev.get("ATTACH")],
                         ["محضر الاجتماع", "Ordre du jour"])

    def test_the_event_page_lists_them(self):
        status, _, body = self.d.get("/events/doc-event?lang=fr")
        self.assertEqual(status, 200)
        page = body.decode()
        section = page[page.index('<section class="documents"'):]
        section = section[:section.index("</section>")]
        base = f"http://127.0.0.1:{self.d.port}"
        self.assertIn(f'<a href="{base}{self.url_path()}">Compte rendu; version 1,  finale </a>'
                      ' <span class="kind muted">(compte rendu)</span>', section)
        self.assertIn('<a href="https://fes.example.org/odj.pdf">Ordre du jour</a>'
                      ' <span class="kind muted">(ordre du jour)</span>', section)
        page = self.d.get("/events/doc-event?lang=ar")[2].decode()
        self.assertIn(">محضر الاجتماع</a> <span class=\"kind muted\">(محضر)</span>", page)

    def test_file_served_with_strong_etag_and_304(self):
        status, h, body = self.d.get(self.url_path(), {"Accept-Encoding": "gzip"})
        self.assertEqual(status, 200)
        self.assertEqual(body, PDF)
        self.assertEqual(h["content-type"], "application/pdf")
        self.assertNotIn("content-encoding", h, "a PDF is sent as it is")
        etag = h["etag"]
        self.assertTrue(etag.startswith('"') and not etag.startswith('W/'), etag)
        status, h2, body = self.d.get(self.url_path(), {"If-None-Match": etag})
        self.assertEqual((status, body), (304, b""))
        self.assertEqual(h2["etag"], etag)
        status, h3, body = self.d.request("HEAD", self.url_path())
        self.assertEqual((status, body, h3["content-length"]), (200, b"", str(len(PDF))))

    def test_changed_file_changes_etag(self):
        path = self.d.path("documents", "2026", "compte rendu é.pdf")
        etag = self.d.get(self.url_path())[1]["etag"]
        with open(path, "wb") as f:
            f.write(PDF + b"% amended\n")
        try:
            status, h, body = self.d.get(self.url_path(), {"If-None-Match": etag})
            self.assertEqual(status, 200)
            self.assertNotEqual(h["etag"], etag)
            self.assertEqual(body, PDF + b"% amended\n")
        finally:
            with open(path, "wb") as f:
                f.write(PDF)

    def test_nothing_else_is_reachable(self):
        port = self.d.port
        for target in ("/documents/doc-event/undeclared.pdf",
                       "/documents/doc-event/../undeclared.pdf",
                       "/documents/doc-event/2026/../../agendad.yaml",
                       "/documents/doc-event/%2e%2e/%2e%2e/agendad.yaml",
                       "/documents/doc-event/..%2f..%2fagendad.yaml",
                       "/documents/doc-event//etc/passwd",
                       "/documents/doc-event/%2Fetc%2Fpasswd",
                       "/documents/../config/agendad.yaml",
                       "/documents/no-such-event/2026/compte%20rendu%20%C3%A9.pdf",
                       "/documents/doc-event/2026/compte%20rendu%20%C3%A9.pdf%00.txt",
                       "/documents/doc-event",
                       "/documents/"):
            with self.subTest(target=target):
                self.assertIn(raw_get(port, target), (400, 404))

    def test_a_link_swapped_in_after_loading_is_refused(self):
        """The file the event lists becomes a link out of documents/: no
        longer served, although the config said it was fine."""
        path = self.d.path("documents", "2026", "compte rendu é.pdf")
        secret = os.path.join(self.d.tmp, "secret.pdf")
        with open(secret, "wb") as f:
            f.write(b"%PDF secret\n")
        os.rename(path, path + ".bak")
        os.symlink(secret, path)
        try:
            status, _, body = self.d.get(self.url_path())
            self.assertEqual(status, 404)
            self.assertNotIn(b"secret", body)
        finally:
            os.unlink(path)
            os.rename(path + ".bak", path)


class Check(unittest.TestCase):
    def test_check_reports_a_missing_file_where_it_is_written(self):
        d = Daemon(plugin_dir=os.environ.get("AGENDAD_PLUGIN_BUILD_DIR"))
        try:
            d.write("events/zz-documents.yaml", EVENT)
            r = d.run_cli("check")
            self.assertNotEqual(r.returncode, 0)
            self.assertIn("zz-documents.yaml:12:11: error: document file "
                          "\"2026/compte rendu é.pdf\": ", r.stdout + r.stderr)
            self.assertIn("No such file or directory", r.stdout + r.stderr)
        finally:
            d.cleanup()


if __name__ == "__main__":
    unittest.main()
