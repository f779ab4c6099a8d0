"""A plugin built out of tree, against an installed agendad, loads in the host.

Installs the build into a temporary prefix, compiles tests/outoftree/hello.c
with nothing but `pkg-config --cflags agendad-plugin` from that prefix, and
runs the out-of-tree case of the test_plugin_host unit test on it (the
daemon's CLI does not load plugins yet; the unit test drives the same host).
"""
import glob
import os
import shutil
import subprocess
import tempfile
import unittest

SOURCE_DIR = os.environ["AGENDAD_SOURCE_DIR"]
BUILD_DIR = os.environ["AGENDAD_BUILD_DIR"]


def run(cmd, **kw):
    return subprocess.run(cmd, check=True, capture_output=True, text=True, **kw)


def exported_symbols(so):
    """Dynamic symbols a plugin defines, less ASan's ODR indicators."""
    out = run(["nm", "-D", "--defined-only", so]).stdout
    names = [line.split()[-1] for line in out.splitlines() if line.strip()]
    return [n for n in names if not n.startswith("__odr_asan")]


class OutOfTreePlugin(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="agendad-oot-")
        self.addCleanup(shutil.rmtree, self.tmp)
        self.prefix = os.path.join(self.tmp, "prefix")
        run(["cmake", "--install", BUILD_DIR, "--prefix", self.prefix])

    def pkg_config(self, *args):
        pcs = glob.glob(os.path.join(self.prefix, "**", "agendad-plugin.pc"), recursive=True)
        self.assertEqual(len(pcs), 1, "agendad-plugin.pc installed once")
        env = dict(os.environ, PKG_CONFIG_PATH=os.path.dirname(pcs[0]))
        # The .pc names the configured prefix; --define-prefix makes pkgconf
        # derive it from where the file is, i.e. this staged install.
        return run(["pkg-config", "--define-prefix", *args, "agendad-plugin"], env=env).stdout.split()

    def test_installed_tree_has_header_and_example(self):
        self.assertTrue(os.path.isfile(os.path.join(self.prefix, "include", "agendad", "plugin.h")))
        plugindir = self.pkg_config("--variable=plugindir")[0]
        self.assertTrue(plugindir.startswith(self.prefix), plugindir)
        example = os.path.join(plugindir, "example.so")
        self.assertTrue(os.path.isfile(example))
        self.assertEqual(exported_symbols(example), ["agendad_plugin_info"])

    def test_hello_builds_out_of_tree_and_loads(self):
        cflags = self.pkg_config("--cflags")
        self.assertIn("-I" + os.path.join(self.prefix, "include"), cflags)
        out_dir = os.path.join(self.tmp, "plugins")
        os.mkdir(out_dir)
        # The source is copied away from the tree so that only the installed
        # header can be found.
        src = shutil.copy(os.path.join(SOURCE_DIR, "tests", "outoftree", "hello.c"), self.tmp)
        run(["cc", "-shared", "-fPIC", "-fvisibility=hidden", "-Wall", "-Wextra", "-Werror",
             *cflags, src, "-o", os.path.join(out_dir, "hello.so")])
        self.assertEqual(exported_symbols(os.path.join(out_dir, "hello.so")),
                         ["agendad_plugin_info"])
        env = dict(os.environ, AGENDAD_OUTOFTREE_PLUGIN_DIR=out_dir,
                   AGENDAD_TEST_FILTER="out_of_tree_plugin_loads")
        result = subprocess.run([os.path.join(BUILD_DIR, "tests", "test_plugin_host")], env=env,
                                capture_output=True, text=True)
        self.assertEqual(result.returncode, 0, result.stdout + result.stderr)
        self.assertIn("[       OK ] out_of_tree_plugin_loads", result.stdout)
        self.assertNotIn("SKIPPED", result.stdout)


if __name__ == "__main__":
    unittest.main()
