"""What `meson install` puts on a server: the binary finds its templates and
static files from its install prefix, with no source tree beside it, and the
systemd unit (packaging/hotline.service.in) is one systemd accepts.

The build under test (the directory of HOTLINE_BIN) is installed with
--destdir into a temporary directory; the installed binary then runs from
there against the test database, outside any source tree.
"""
import glob
import os
import shutil
import subprocess
import tempfile
import unittest

from harness import BIN, Server

BUILD_DIR = os.path.dirname(os.path.abspath(BIN))
MARK = 'installed-templates-are-served'


def meson_install(destdir):
    out = subprocess.run(['meson', 'install', '-C', BUILD_DIR, '--no-rebuild', '--quiet',
                          '--destdir', destdir],
                         capture_output=True, text=True, timeout=300)
    if out.returncode != 0:
        raise RuntimeError('meson install failed:\n' + out.stdout + out.stderr)


class MesonInstall(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.dest = tempfile.mkdtemp(prefix='hotline-install-')
        meson_install(cls.dest)
        bins = glob.glob(os.path.join(cls.dest, '**', 'bin', 'hotline'), recursive=True)
        templates = glob.glob(os.path.join(cls.dest, '**', 'share', 'hotline', 'templates'),
                              recursive=True)
        cls.bin = bins[0] if len(bins) == 1 else None
        cls.templates = templates[0] if len(templates) == 1 else None

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.dest, ignore_errors=True)

    def test_the_binary_templates_and_static_files_are_installed(self):
        self.assertIsNotNone(self.bin, 'no single bin/hotline under %s' % self.dest)
        self.assertIsNotNone(self.templates, 'no share/hotline/templates under %s' % self.dest)
        self.assertTrue(os.access(self.bin, os.X_OK))
        for name in ('login.mustache', 'layout', 'static/app.css', 'static/app.js'):
            with self.subTest(name=name):
                self.assertTrue(os.path.exists(os.path.join(self.templates, name)))
        self.assertTrue(glob.glob(os.path.join(self.dest, '**', 'share', 'hotline', 'hotline.env'),
                                  recursive=True))

    def test_the_installed_binary_serves_pages_from_the_installed_templates(self):
        # A mark only the installed copy of the login page carries.
        with open(os.path.join(self.templates, 'login.mustache'), 'a', encoding='utf-8') as f:
            f.write('\n<!-- %s -->\n' % MARK)
        server = Server(bin=self.bin, cwd=self.dest,
                        env={'HOTLINE_ROOT': None, 'HOTLINE_TEMPLATES': None})
        try:
            client = server.client()
            page = client.get('/login')
            css = client.get('/static/app.css')
            client.close()
        finally:
            rc = server.stop()
        log = server.read_log()
        self.assertEqual(page.status, 200, log)
        self.assertIn(MARK, page.text)
        self.assertEqual(css.status, 200, log)
        self.assertIn('templates from %s' % self.templates, log)
        self.assertEqual(rc, 0, log)


class SystemdUnit(unittest.TestCase):
    def test_systemd_accepts_the_unit(self):
        analyze = shutil.which('systemd-analyze')
        if not analyze:
            self.skipTest('systemd-analyze is not installed: the unit file is not verified')
        unit = os.path.join(BUILD_DIR, 'hotline.service')
        with open(unit, encoding='utf-8') as f:
            text = f.read()
        self.assertIn('ExecStart=', text)
        exec_start = next(line for line in text.splitlines() if line.startswith('ExecStart='))
        installed_bin = exec_start.split('=', 1)[1].split()[0]
        tmp = tempfile.mkdtemp(prefix='hotline-unit-')
        try:
            # verify wants the binary where ExecStart says: point it at ours.
            with open(os.path.join(tmp, 'hotline.service'), 'w', encoding='utf-8') as f:
                f.write(text.replace('ExecStart=' + installed_bin, 'ExecStart=' + os.path.abspath(BIN)))
            out = subprocess.run([analyze, 'verify', os.path.join(tmp, 'hotline.service')],
                                 capture_output=True, text=True, timeout=120)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
        # Unknown or misspelt keys are only warned about: any word fails.
        self.assertEqual((out.returncode, out.stdout + out.stderr), (0, ''))
        for key in ('User=hotline', 'EnvironmentFile=', 'Restart=on-failure', 'NoNewPrivileges=yes',
                    'ProtectSystem=strict', 'PrivateTmp=yes'):
            self.assertIn(key, text)


if __name__ == '__main__':
    unittest.main()
