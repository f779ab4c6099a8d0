#!/usr/bin/python3
"""The exports that a change of code must not change: what `agendad export`
writes for the sample config and for a generated 1,000-event network, plus
what `check` and `list` print, under a fixed clock (Debian's faketime) and
from a kept state database (DTSTAMP, SEQUENCE and LAST-MODIFIED come from
it).

    recording.py record BIN   rewrites the recording beside this file
    recording.py compare BIN  exit 0 when BIN reproduces it byte for byte

A change that alters feeds on purpose records again in the same commit and
says why. The recording holds the tzdata version it was made with: the
VTIMEZONEs and ETags follow tzdata, so another version cannot be compared
(the test skips and says so)."""

import gzip
import hashlib
import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
SOURCE = os.path.normpath(os.path.join(HERE, "..", ".."))
NOW = "2026-12-07 12:00:00"
CASES = ("sample", "net1000")


def tzdata_version():
    try:
        with open("/usr/share/zoneinfo/tzdata.zi", encoding="ascii") as f:
            line = f.readline()
    except OSError:
        return "unknown"
    return line[len("# version "):].strip() if line.startswith("# version ") else "unknown"


def config_dir(case, tmp):
    if case == "sample":
        return os.path.join(SOURCE, "config")
    out = os.path.join(tmp, "config-1000")
    subprocess.run([sys.executable, os.path.join(SOURCE, "tests", "bench", "gen_config.py"),
                    "1000", out], check=True, stdout=subprocess.DEVNULL)
    return out


def faked(cmd):
    """cmd under the fixed clock, in UTC, with output captured."""
    env = dict(os.environ, TZ="UTC", LC_ALL="C.UTF-8")
    # libfaketime is preloaded; a sanitizer runtime must not insist on
    # coming first.
    for var in ("ASAN_OPTIONS", "UBSAN_OPTIONS"):
        env[var] = (env.get(var, "") + ":verify_asan_link_order=0").lstrip(":")
    r = subprocess.run(["faketime", "-f", NOW] + cmd, capture_output=True, env=env, timeout=600)
    return r.returncode, r.stdout, r.stderr


def plugin_dir(binary):
    """The plugins of binary's build, which `check` loads (the sample config
    names a package's directory): the test's, else build/plugins beside
    build/core/agendad."""
    return os.environ.get("AGENDAD_PLUGIN_BUILD_DIR") or os.path.join(
        os.path.dirname(os.path.dirname(os.path.abspath(binary))), "plugins")


def run_case(binary, case, state, tmp):
    """Runs check, export and list; returns {relative name: bytes}, the
    exported files' mtimes and the commands' transcripts."""
    cfg = config_dir(case, tmp)
    out = os.path.join(tmp, "out-" + case)
    files, transcript = {}, []
    for name, cmd in (("check", [binary, "check", "--config", cfg,
                                 "--plugin-dir", plugin_dir(binary)]),
                      ("export", [binary, "export", "--config", cfg, "--state", state,
                                  "--out", out]),
                      ("list", [binary, "list", "--config", cfg, "--state", state])):
        rc, so, se = faked(cmd)
        text = (so + se).decode("utf-8", "replace").replace(cfg, "CONFIG").replace(out, "OUT")
        transcript.append(f"$ agendad {name}\nexit {rc}\n{text}")
    mtimes = []
    for root, _, names in os.walk(out):
        for n in sorted(names):
            p = os.path.join(root, n)
            rel = os.path.relpath(p, out)
            with open(p, "rb") as f:
                files[rel] = f.read()
            if rel != "etags.map":  # dated by the kernel when written, not by agendad
                mtimes.append(f"{int(os.stat(p).st_mtime)} {rel}")
    return files, "\n".join(sorted(mtimes)) + "\n", "".join(transcript)


def forget_fingerprint(state):
    """Every build (its ID is in the fingerprint) then takes the same path
    on the kept state: a full reconcile that must find nothing to change."""
    db = sqlite3.connect(state)
    with db:
        db.execute("UPDATE meta SET value = 'recorded' WHERE key = 'config_fingerprint'")
    db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    db.close()


def manifest(files):
    return "".join(f"{hashlib.sha256(files[k]).hexdigest()}  {k}\n" for k in sorted(files))


def record(binary):
    with tempfile.TemporaryDirectory() as tmp:
        for case in CASES:
            dst = os.path.join(HERE, case)
            shutil.rmtree(dst, ignore_errors=True)
            os.makedirs(dst)
            state = os.path.join(tmp, case + ".db")
            run_case(binary, case, state, tmp)
            forget_fingerprint(state)
            kept = os.path.join(tmp, case + "-kept.db")
            shutil.copyfile(state, kept)
            files, mtimes, transcript = run_case(binary, case, state, tmp)
            with open(kept, "rb") as f, gzip.GzipFile(os.path.join(dst, "state.db.gz"), "wb",
                                                       mtime=0) as g:
                g.write(f.read())
            if case == "sample":  # small enough to keep whole, and to read in diffs
                for rel, data in files.items():
                    os.makedirs(os.path.dirname(os.path.join(dst, "files", rel)), exist_ok=True)
                    with open(os.path.join(dst, "files", rel), "wb") as f:
                        f.write(data)
            for name, text in (("SHA256SUMS", manifest(files)), ("mtimes", mtimes),
                               ("transcript", transcript)):
                with open(os.path.join(dst, name), "w", encoding="utf-8") as f:
                    f.write(text)
    with open(os.path.join(HERE, "tzdata"), "w", encoding="ascii") as f:
        f.write(tzdata_version() + "\n")


def compare(binary):
    """A list of differences (empty when identical)."""
    problems = []
    with tempfile.TemporaryDirectory() as tmp:
        for case in CASES:
            src = os.path.join(HERE, case)
            state = os.path.join(tmp, case + ".db")
            with gzip.open(os.path.join(src, "state.db.gz"), "rb") as g, open(state, "wb") as f:
                f.write(g.read())
            files, mtimes, transcript = run_case(binary, case, state, tmp)
            for name, got in (("SHA256SUMS", manifest(files)), ("mtimes", mtimes),
                              ("transcript", transcript)):
                with open(os.path.join(src, name), encoding="utf-8") as f:
                    want = f.read()
                if got != want:
                    problems.append(f"{case}/{name} differs:\n" + first_diff(want, got))
            if case == "sample":
                for rel, data in files.items():
                    p = os.path.join(src, "files", rel)
                    if not os.path.exists(p) or open(p, "rb").read() != data:
                        problems.append(f"{case}/files/{rel} differs")
    return problems


def first_diff(want, got):
    import difflib
    lines = list(difflib.unified_diff(want.splitlines(), got.splitlines(), "recorded", "now",
                                      lineterm="", n=1))
    return "\n".join(lines[:40])


if __name__ == "__main__":
    if len(sys.argv) != 3 or sys.argv[1] not in ("record", "compare"):
        sys.exit(__doc__)
    if sys.argv[1] == "record":
        record(sys.argv[2])
    else:
        diffs = compare(sys.argv[2])
        print("\n".join(diffs) if diffs else "identical")
        sys.exit(1 if diffs else 0)
