"""The foundation: CLI, migrations, the HTTP core, health and shutdown."""
import json
import os
import socket
import re
import shutil
import signal
import tempfile
import threading
import time
import unittest
import uuid

from harness import (ROOT, BIN, Server, ServerTestCase, TempCluster, psql, run_hotline,
                     wait_for)


class Cli(unittest.TestCase):
    def test_help_lists_the_subcommands(self):
        out = run_hotline('help')
        self.assertEqual(out.returncode, 0)
        for cmd in ('serve', 'migrate', 'version'):
            self.assertRegex(out.stdout, r'\n  %s\b' % cmd)

    def test_unknown_subcommand_prints_usage_and_exits_2(self):
        out = run_hotline('frobnicate')
        self.assertEqual(out.returncode, 2)
        self.assertIn('unknown command "frobnicate"', out.stderr)
        self.assertIn('usage: hotline', out.stderr)

    def test_bad_option_value_is_named(self):
        out = run_hotline('serve', '--port', 'eighty')
        self.assertEqual(out.returncode, 2)
        self.assertIn('"eighty"', out.stderr)
        self.assertIn('--port', out.stderr)


class Migrations(unittest.TestCase):
    def fresh_db(self):
        name = 'hotline_mig_%s' % uuid.uuid4().hex[:8]
        psql('CREATE DATABASE %s' % name)
        self.addCleanup(psql, 'DROP DATABASE IF EXISTS %s WITH (FORCE)' % name)
        # libpq takes the last value of a repeated keyword.
        return '%s dbname=%s' % (os.environ['HOTLINE_TEST_DB'], name)

    def test_edited_migration_is_refused_by_name(self):
        db = self.fresh_db()
        self.assertEqual(run_hotline('migrate', db=db).returncode, 0)
        tmp = tempfile.mkdtemp()
        self.addCleanup(shutil.rmtree, tmp)
        for f in os.listdir(os.path.join(ROOT, 'migrations')):
            shutil.copy(os.path.join(ROOT, 'migrations', f), tmp)
        with open(os.path.join(tmp, '0001_foundation.sql'), 'a') as f:
            f.write('\n-- an afterthought\n')
        out = run_hotline('migrate', '--dir', tmp, db=db)
        self.assertEqual(out.returncode, 1)
        self.assertIn('0001_foundation', out.stderr)
        self.assertIn('edited', out.stderr)

    def test_second_run_applies_nothing_and_concurrent_runs_are_safe(self):
        db = self.fresh_db()
        results = []

        def go():
            results.append(run_hotline('migrate', db=db))
        threads = [threading.Thread(target=go) for _ in range(3)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        self.assertEqual([r.returncode for r in results], [0, 0, 0],
                         [r.stderr for r in results])
        applied = sum(r.stdout.count('applied ') for r in results)
        files = [f for f in os.listdir(os.path.join(ROOT, 'migrations')) if re.match(r'\d{4}_', f)]
        self.assertEqual(applied, len(files))
        again = run_hotline('migrate', db=db)
        self.assertNotIn('applied', again.stdout)
        rows = psql('SELECT count(*) FROM schema_migrations', db)
        self.assertEqual(int(rows[0][0]), len(files))

    def test_a_migration_older_than_the_newest_applied_is_applied_alone(self):
        # Two branches each added a migration: 0003 landed first, 0002 later.
        db = self.fresh_db()
        full = os.path.join(ROOT, 'migrations')
        partial = tempfile.mkdtemp()
        self.addCleanup(shutil.rmtree, partial)
        for f in ('0001_foundation.sql', '0003_holidays.sql'):
            shutil.copy(os.path.join(full, f), partial)
        first = run_hotline('migrate', '--dir', partial, db=db)
        self.assertEqual(first.returncode, 0, first.stderr)
        late = run_hotline('migrate', '--dir', full, db=db)
        self.assertEqual(late.returncode, 0, late.stderr)
        self.assertIn('applied 0002_orders', late.stdout)
        self.assertNotIn('0001_foundation', late.stdout)
        self.assertNotIn('0003_holidays', late.stdout)

    def test_serve_refuses_a_database_that_is_behind(self):
        db = self.fresh_db()
        out = run_hotline('serve', '--port', '0', db=db, timeout=30)
        self.assertEqual(out.returncode, 1)
        self.assertIn('hotline migrate', out.stderr)

    def test_serve_refuses_a_database_that_is_ahead(self):
        db = self.fresh_db()
        self.assertEqual(run_hotline('migrate', db=db).returncode, 0)
        psql("INSERT INTO schema_migrations (version, name, checksum) VALUES (9999, 'future', 'x')", db)
        out = run_hotline('serve', '--port', '0', db=db, timeout=30)
        self.assertEqual(out.returncode, 1)
        self.assertIn('9999_future', out.stderr)
        self.assertIn('upgrade hotline', out.stderr)


class HttpCore(ServerTestCase):
    def test_healthz_reports_the_database(self):
        login = 'healthop-%s' % uuid.uuid4().hex[:8]
        out = run_hotline('user', 'add', '--login', login, '--role', 'supervisor',
                          input='tea-kettle-42\n')
        self.assertEqual(out.returncode, 0, out.stderr)
        token = run_hotline('token', 'create', '--login', login).stdout.strip()
        r = self.client.get('/healthz', headers={'Authorization': 'Bearer ' + token})
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.json['status'], 'ok')
        self.assertTrue(r.json['database']['ok'])
        self.assertEqual(r.json['database']['schema'], 'current')
        self.assertRegex(r.json['started_at'], r'^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+08:00$')

    def test_healthz_tells_the_public_only_up_or_down(self):
        r = self.client.get('/healthz')
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.json, {'status': 'ok'})
        # An agent is not an operator either.
        login = 'healthagent-%s' % uuid.uuid4().hex[:8]
        self.assertEqual(run_hotline('user', 'add', '--login', login, '--role', 'agent',
                                     input='tea-kettle-42\n').returncode, 0)
        token = run_hotline('token', 'create', '--login', login).stdout.strip()
        r = self.client.get('/healthz', headers={'Authorization': 'Bearer ' + token})
        self.assertEqual(r.json, {'status': 'ok'})

    def test_an_unknown_api_path_is_a_json_404(self):
        for path in ('/api/v1/no/such/thing', '/open311/v2/no/such'):
            r = self.client.get(path)
            self.assertProblem(r, 404, path)
        # A client that asks for JSON gets JSON wherever it asks.
        r = self.client.get('/no/such/thing', headers={'Accept': 'application/json'})
        self.assertProblem(r, 404, '/no/such/thing')

    def test_an_unknown_page_is_a_page_in_chinese(self):
        r = self.client.get('/no/such/thing', headers={'Accept': 'text/html,application/xhtml+xml'})
        self.assertEqual(r.status, 404, r)
        self.assertTrue(r.header('content-type').startswith('text/html'), r)
        page = r.text
        self.assertIn('页面不存在', page)
        self.assertIn('href="/"', page)
        self.assertNotIn('/no/such/thing', page)     # nothing of the request is echoed

    def test_wrong_method_is_a_json_405_with_allow(self):
        r = self.client.request('DELETE', '/healthz')
        self.assertProblem(r, 405, 'DELETE')
        self.assertEqual(r.header('allow'), 'GET')

    def test_oversized_body_is_413(self):
        # Refused on its Content-Length, before the body is sent: a client
        # still sending a megabyte could meet the closed connection instead.
        s = socket.create_connection(('127.0.0.1', self.server.port), timeout=10)
        try:
            s.sendall(b'POST /healthz HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n'
                      b'Content-Length: %d\r\n\r\n' % (1024 * 1024 + 1))
            raw = b''
            while b'\r\n\r\n' not in raw or not raw.rstrip().endswith(b'}'):
                chunk = s.recv(65536)
                if not chunk:
                    break
                raw += chunk
        finally:
            s.close()
        head, _, body = raw.partition(b'\r\n\r\n')
        self.assertTrue(head.startswith(b'HTTP/1.1 413 '), raw[:200])
        self.assertIn(b'application/problem+json', head)
        self.assertIn('limit', json.loads(body)['detail'])

    def test_request_id_is_echoed_and_logged(self):
        r = self.client.get('/healthz', headers={'X-Request-Id': 'abc-123'})
        self.assertEqual(r.header('x-request-id'), 'abc-123')
        r2 = self.client.get('/api/v1/nowhere')
        rid = r2.header('x-request-id')
        self.assertRegex(rid, r'^[0-9a-f]{16}$')
        self.assertEqual(r2.json['request_id'], rid)
        log = wait_for(lambda: '"request_id":"%s"' % rid in self.server.read_log() and self.server.read_log())
        line = json.loads([l for l in log.splitlines() if '"request_id":"%s"' % rid in l][-1])
        self.assertEqual((line['type'], line['method'], line['route'], line['status']),
                         ('access', 'GET', '-', 404))
        self.assertRegex(line['time'], r'^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}[+-]\d\d:\d\d$')
        self.assertIsInstance(line['ms'], float)

    def test_metrics_count_requests_by_route_and_status(self):
        for _ in range(3):
            self.client.get('/healthz')
        self.client.get('/missing')
        r = self.client.get('/metrics')
        self.assertEqual(r.status, 200)
        m = re.search(r'hotline_http_requests_total\{method="GET",route="/healthz",status="200"\} (\d+)',
                      r.text)
        self.assertIsNotNone(m, r.text)
        self.assertGreaterEqual(int(m.group(1)), 3)
        self.assertIn('route="unmatched",status="404"', r.text)
        self.assertIn('hotline_http_request_duration_seconds_bucket', r.text)
        self.assertRegex(r.text, r'hotline_db_connections \d+')


class Resilience(unittest.TestCase):
    def test_database_restart_gives_503_then_recovers_without_restarting(self):
        cluster = TempCluster()
        self.addCleanup(cluster.destroy)
        self.assertEqual(run_hotline('migrate', db=cluster.conninfo).returncode, 0)
        server = Server(db=cluster.conninfo)
        try:
            c = server.client()
            self.assertEqual(c.get('/healthz').status, 200)
            cluster.stop()
            down = c.get('/healthz')
            self.assertEqual(down.status, 503, down)
            # Nobody can be authenticated without the database: up or down only.
            self.assertEqual(down.json, {'status': 'unavailable'})
            self.assertEqual(c.get('/healthz').status, 503)
            cluster.start()
            up = wait_for(lambda: c.get('/healthz').status == 200, timeout=20)
            self.assertTrue(up, 'healthz did not recover after PostgreSQL came back')
            self.assertIsNone(server.proc.poll(), 'server died')
        finally:
            rc = server.stop()
        self.assertEqual(rc, 0, server.read_log()[-3000:] if not server.log.closed else '')

    def test_sigterm_lets_a_slow_request_finish_then_exits_0(self):
        server = Server()
        c = server.client()
        result = {}

        def slow():
            result['resp'] = c.get('/debug/sleep?ms=1500')
        t = threading.Thread(target=slow)
        t.start()
        time.sleep(0.4)
        server.proc.send_signal(signal.SIGTERM)
        t.join(10)
        rc = server.stop()
        self.assertEqual(rc, 0)
        self.assertEqual(result['resp'].status, 200)
        self.assertEqual(result['resp'].json, {'slept': True})
        with open(server.log_path) as f:
            log = f.read()
        self.assertIn('SIGTERM', log)
        self.assertNotIn('AddressSanitizer', log)
