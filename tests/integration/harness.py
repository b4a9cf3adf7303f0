"""Test harness: the real hotline binary, a real PostgreSQL, real HTTP.

scripts/test sets HOTLINE_BIN (the sanitizer build of hotline),
HOTLINE_TEST_DB (conninfo of a fresh database, already migrated) and
HOTLINE_ROOT. Nothing here fakes the server or the database.
"""
import http.client
import json
import os
import re
import select
import shutil
import signal
import subprocess
import tempfile
import time
import unittest
import uuid

ROOT = os.environ.get('HOTLINE_ROOT') or os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))
BIN = os.environ.get('HOTLINE_BIN', os.path.join(ROOT, 'build', 'hotline'))
TEST_DB = os.environ.get('HOTLINE_TEST_DB', '')
LOG_DIR = os.path.join(ROOT, 'var', 'test-logs')


def run_hotline(*args, db=None, env=None, input=None, timeout=60):
    """Runs a hotline subcommand; returns the CompletedProcess (text mode)."""
    e = dict(os.environ)
    e['HOTLINE_DB'] = TEST_DB if db is None else db
    e.update(env or {})
    return subprocess.run([BIN, *args], env=e, input=input, capture_output=True,
                          text=True, timeout=timeout)


def psql(sql, db=None, *params):
    """Runs SQL through psql against the test database; returns rows as lists."""
    conninfo = TEST_DB if db is None else db
    out = subprocess.run(['psql', '-X', '-qAt', '-F', '\t', '-v', 'ON_ERROR_STOP=1',
                          '-d', conninfo or '', '-c', sql],
                         capture_output=True, text=True, timeout=60)
    if out.returncode != 0:
        raise RuntimeError('psql failed: ' + out.stderr)
    return [line.split('\t') for line in out.stdout.splitlines() if line]


def own_database(prefix):
    """A new database beside the test database, migrated: (name, conninfo).
    The caller drops it with drop_database(name); a failed migration drops
    it here and raises."""
    name = '%s_%s' % (prefix, uuid.uuid4().hex[:8])
    psql('CREATE DATABASE %s' % name)
    conninfo = '%s dbname=%s' % (TEST_DB, name)
    out = run_hotline('migrate', db=conninfo)
    if out.returncode != 0:
        drop_database(name)
        raise RuntimeError('migrate failed: ' + out.stderr)
    return name, conninfo


def drop_database(name):
    psql('DROP DATABASE IF EXISTS %s WITH (FORCE)' % name)


class Response:
    def __init__(self, status, headers, body):
        self.status = status
        self.headers = headers
        self.raw = body
        self.text = body.decode('utf-8', 'replace')
        ctype = headers.get('content-type', '')
        self.json = None
        if 'json' in ctype and body:
            self.json = json.loads(self.text)

    def header(self, name):
        return self.headers.get(name.lower())

    def __repr__(self):
        return '<Response %d %s>' % (self.status, self.text[:300])


class Client:
    """A cookie-keeping HTTP client on one keep-alive connection."""

    def __init__(self, port, source=None):
        """`source`: the local address to connect from (another 127.x.y.z
        plays another client machine)."""
        self.port = port
        self.source = source
        self.cookies = {}
        self.conn = None

    def request(self, method, path, body=None, headers=None, raw=None, form=None):
        hdrs = dict(headers or {})
        data = raw
        if body is not None:
            data = json.dumps(body, ensure_ascii=False).encode('utf-8')
            hdrs.setdefault('Content-Type', 'application/json')
        if form is not None:
            from urllib.parse import urlencode
            data = urlencode(form).encode('utf-8')
            hdrs.setdefault('Content-Type', 'application/x-www-form-urlencoded')
        if self.cookies:
            hdrs['Cookie'] = '; '.join('%s=%s' % kv for kv in self.cookies.items())
        for attempt in range(2):
            if self.conn is None:
                self.conn = http.client.HTTPConnection(
                    '127.0.0.1', self.port, timeout=60,
                    source_address=(self.source, 0) if self.source else None)
            try:
                self.conn.request(method, path, body=data, headers=hdrs)
                resp = self.conn.getresponse()
                payload = resp.read()
                break
            except (ConnectionError, http.client.HTTPException):
                self.conn.close()
                self.conn = None
                if attempt:
                    raise
        headers_out = {}
        for k, v in resp.getheaders():
            k = k.lower()
            if k == 'set-cookie':
                name, _, rest = v.partition('=')
                value = rest.split(';', 1)[0]
                if value:
                    self.cookies[name] = value
                else:
                    self.cookies.pop(name, None)
                headers_out.setdefault('set-cookie', []).append(v)
            else:
                headers_out[k] = v
        return Response(resp.status, headers_out, payload)

    def get(self, path, **kw):
        return self.request('GET', path, **kw)

    def post(self, path, body=None, **kw):
        return self.request('POST', path, body=body, **kw)

    def close(self):
        if self.conn:
            self.conn.close()
            self.conn = None


class Server:
    """hotline serve on a free port; stopped with SIGTERM."""

    def __init__(self, db=None, env=None, args=(), bin=None, cwd=None):
        """`env` adds to the environment (a value of None removes the
        variable); `bin` is another hotline binary than HOTLINE_BIN."""
        os.makedirs(LOG_DIR, exist_ok=True)
        e = dict(os.environ)
        e['HOTLINE_DB'] = TEST_DB if db is None else db
        e['HOTLINE_DEBUG_ROUTES'] = '1'
        for name, value in (env or {}).items():
            if value is None:
                e.pop(name, None)
            else:
                e[name] = value
        self.log_path = os.path.join(LOG_DIR, 'server-%s.log' % uuid.uuid4().hex[:8])
        self.log = open(self.log_path, 'w')
        self.proc = subprocess.Popen([bin or BIN, 'serve', '--port', '0', '--threads', '4', *args],
                                     env=e, cwd=cwd, stdout=subprocess.PIPE, stderr=self.log,
                                     text=True)
        deadline = time.time() + 30
        line = ''
        while time.time() < deadline:
            r, _, _ = select.select([self.proc.stdout], [], [], 0.5)
            if r:
                line = self.proc.stdout.readline()
                break
            if self.proc.poll() is not None:
                break
        m = re.search(r'listening on http://[\d.]+:(\d+)', line)
        if not m:
            self.proc.kill()
            self.proc.wait()
            raise RuntimeError('server did not start: %r\n%s' % (line, self.read_log()))
        self.port = int(m.group(1))

    def client(self, source=None):
        return Client(self.port, source)

    def read_log(self):
        if not self.log.closed:
            self.log.flush()
        with open(self.log_path, errors='replace') as f:
            return f.read()

    def stop(self, timeout=30):
        """SIGTERM; returns the exit status."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        try:
            rc = self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            rc = self.proc.wait()
        self.proc.stdout.close()
        self.log.close()
        return rc


class TempCluster:
    """A throwaway private PostgreSQL cluster (scripts/pg with its own dir)."""

    def __init__(self):
        self.dir = tempfile.mkdtemp(prefix='hotline-pg-', dir='/tmp')
        os.chmod(self.dir, 0o755)
        self.pg_dir = os.path.join(self.dir, 'pg')
        self.env = dict(os.environ, HOTLINE_PG_DIR=self.pg_dir)
        for k in ('PGHOST', 'PGHOSTADDR', 'PGDATABASE', 'PGSERVICE', 'PGPORT', 'PGUSER'):
            self.env.pop(k, None)
        self.start()
        self.conninfo = 'host=%s user=hotline dbname=hotline' % os.path.realpath(self.pg_dir)

    def _pg(self, action):
        subprocess.run([os.path.join(ROOT, 'scripts', 'pg'), action], env=self.env,
                       check=True, capture_output=True, timeout=120)

    def start(self):
        self._pg('start')

    def stop(self):
        self._pg('stop')

    def destroy(self):
        try:
            self.stop()
        finally:
            shutil.rmtree(self.dir, ignore_errors=True)


def wait_for(predicate, timeout=20, interval=0.1):
    deadline = time.time() + timeout
    while time.time() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    return predicate()


class ServerTestCase(unittest.TestCase):
    """A test class sharing one server; `self.server` and `self.client`."""

    server_env = None

    @classmethod
    def setUpClass(cls):
        cls.server = Server(env=cls.server_env)

    @classmethod
    def tearDownClass(cls):
        rc = cls.server.stop()
        log = cls.server.read_log()
        if rc != 0 or 'ERROR: AddressSanitizer' in log or 'runtime error:' in log \
                or 'LeakSanitizer' in log:
            raise AssertionError('server exited %d or reported a sanitizer error:\n%s'
                                 % (rc, log[-4000:]))

    def setUp(self):
        self.client = self.server.client()

    def tearDown(self):
        self.client.close()

    def assertProblem(self, resp, status, detail_re=None, field=None):
        self.assertEqual(resp.status, status, resp)
        self.assertTrue(resp.header('content-type').startswith('application/problem+json'), resp)
        for key in ('type', 'title', 'status', 'detail'):
            self.assertIn(key, resp.json)
        self.assertEqual(resp.json['status'], status)
        if detail_re:
            self.assertRegex(resp.json['detail'], detail_re)
        if field:
            self.assertEqual(resp.json.get('field'), field, resp)
