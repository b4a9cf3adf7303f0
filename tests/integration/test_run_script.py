"""scripts/run refuses to start beside a server already on its ports, and
says so before it touches a log or prints the demo's logins.

A listener of the test's own on a free port stands for the other server;
scripts/run is pointed at that port and must stop at once.
"""
import os
import socket
import subprocess
import unittest

from harness import ROOT

RUN = os.path.join(ROOT, 'scripts', 'run')


def listener():
    s = socket.socket()
    s.bind(('127.0.0.1', 0))
    s.listen(8)
    return s


class RunTwice(unittest.TestCase):
    def run_script(self, **env):
        e = dict(os.environ)
        e.update(env)
        return subprocess.run([RUN], env=e, capture_output=True, text=True, timeout=60)

    def test_a_busy_port_stops_it_first(self):
        busy = listener()
        port = busy.getsockname()[1]
        log = os.path.join(ROOT, 'var', 'peer110.log')
        before = os.stat(log).st_mtime_ns if os.path.exists(log) else None
        try:
            out = self.run_script(HOTLINE_PORT=str(port))
        finally:
            busy.close()
        self.assertEqual(out.returncode, 1, out.stdout + out.stderr)
        self.assertIn('port %d is in use' % port, out.stderr)
        self.assertNotIn('log in with', out.stderr)          # no logins printed
        self.assertNotIn('installing', out.stderr)           # nothing installed or built first
        after = os.stat(log).st_mtime_ns if os.path.exists(log) else None
        self.assertEqual(before, after, "the 110 stand-in's log was touched")

    def test_a_busy_110_port_stops_it_too(self):
        busy, free = listener(), listener()
        port, free_port = busy.getsockname()[1], free.getsockname()[1]
        free.close()
        try:
            out = self.run_script(HOTLINE_PORT=str(free_port), HOTLINE_PEER110_PORT=str(port))
        finally:
            busy.close()
        self.assertEqual(out.returncode, 1, out.stdout + out.stderr)
        self.assertIn("port %d of the demo's 110 side is in use" % port, out.stderr)
