"""Findings of an attack on the service, each with the behaviour that fixes it:
login throttling by address and by login, sessions that end with a password
change, weak passwords, login CSRF through a form, numbers in query strings,
caching of personal data, API tokens that can be listed and revoked."""
import os
import shutil
import statistics
import subprocess
import tempfile
import time
import unittest
import uuid
from concurrent.futures import ThreadPoolExecutor

from harness import ROOT, ServerTestCase, TempCluster, psql, run_hotline
from orders_fixture import PASSWORD, Actor, add_user


def log_in(client, login, password=PASSWORD):
    return client.post('/api/v1/session', {'login': login, 'password': password})


class LoginThrottling(ServerTestCase):
    """Each test plays its clients from addresses of its own (127.0.0.x), so
    that the counts of one never throttle another."""

    def client_at(self, address):
        c = self.server.client(source=address)
        self.addCleanup(c.close)
        return c

    def test_forty_parallel_guesses_get_five_checked(self):
        login = add_user('agent')

        def guess(i):
            c = self.server.client(source='127.0.0.51')
            try:
                return log_in(c, login, 'guess-%02d-wrong' % i).status
            finally:
                c.close()
        with ThreadPoolExecutor(20) as pool:
            statuses = list(pool.map(guess, range(40)))
        self.assertEqual(sorted(set(statuses)), [401, 429], statuses)
        self.assertLessEqual(statuses.count(401), 5, statuses)

    def test_an_unknown_login_is_throttled_like_a_real_one(self):
        c = self.client_at('127.0.0.52')
        ghost = 'ghost-%s' % uuid.uuid4().hex[:8]
        statuses = [log_in(c, ghost, 'guess-%d-wrong' % i).status for i in range(6)]
        self.assertEqual(statuses, [401] * 5 + [429])
        r = log_in(c, ghost, 'still-guessing')
        self.assertProblem(r, 429, ghost)
        self.assertRegex(r.header('retry-after') or '', r'^[1-9][0-9]*$')

    def test_an_unknown_login_costs_the_time_of_a_real_one(self):
        known, unknown = [], []
        for i in range(8):
            # A fresh login and address each time: only the password check
            # is measured, never a throttle.
            for who, into in ((add_user('agent'), known), ('nobody-%s' % uuid.uuid4().hex[:8], unknown)):
                c = self.client_at('127.0.1.%d' % (10 + 2 * i + (into is unknown)))
                t0 = time.monotonic()
                self.assertProblem(log_in(c, who, 'wrong-password-%d' % i), 401)
                into.append(time.monotonic() - t0)
        # A behaviour check, not a speed test: both verify a password hash.
        self.assertGreaterEqual(statistics.median(unknown), 0.3 * statistics.median(known),
                                (known, unknown))

    def test_the_owner_elsewhere_waits_only_the_growing_delay(self):
        login = add_user('agent')
        attacker, owner = self.client_at('127.0.0.41'), self.client_at('127.0.0.42')
        for i in range(5):
            self.assertProblem(log_in(attacker, login, 'guess-%d-wrong' % i), 401)
        self.assertProblem(log_in(attacker, login, 'guess-6-wrong'), 429)
        # The login is held back for a short delay from everywhere, the owner included...
        r = log_in(owner, login)
        self.assertProblem(r, 429)
        wait = int(r.header('retry-after'))
        self.assertLessEqual(wait, 60)
        time.sleep(wait + 0.5)
        # ...and no longer: the owner is in, the guesser's own address still waits.
        self.assertEqual(log_in(owner, login).status, 201)
        self.assertProblem(log_in(attacker, login), 429)

    def test_one_address_cannot_try_logins_without_end(self):
        c = self.client_at('127.0.0.71')
        statuses = []
        for i in range(52):
            statuses.append(log_in(c, 'spray-%d-%s' % (i, uuid.uuid4().hex[:6]), 'Summer2024!').status)
            if statuses[-1] == 429:
                break
        self.assertEqual(statuses, [401] * 50 + [429])
        # Another address is not concerned.
        self.assertEqual(log_in(self.client_at('127.0.0.72'), add_user('agent')).status, 201)

    def test_attempts_are_counted_in_the_database(self):
        c = self.client_at('127.0.0.81')
        login = add_user('agent')
        self.assertProblem(log_in(c, login, 'wrong-password'), 401)
        rows = psql("SELECT failures FROM login_throttle WHERE key LIKE 'p:127.0.0.81:%'")
        self.assertEqual(rows, [['1']])
        self.assertEqual(log_in(c, login).status, 201)
        self.assertEqual(psql("SELECT count(*) FROM login_throttle WHERE key LIKE 'p:127.0.0.81:%'"),
                         [['0']])


class LoginForm(ServerTestCase):
    def test_the_session_api_wants_json(self):
        login = add_user('agent')
        body = 'login=%s&password=%s' % (login, PASSWORD)
        for ctype in ('application/x-www-form-urlencoded', 'text/plain', 'multipart/form-data'):
            r = self.client.post('/api/v1/session', raw=body.encode(), headers={'Content-Type': ctype})
            self.assertProblem(r, 415)
            self.assertEqual(r.json['type'].rsplit('/', 1)[-1], 'unsupported-media-type')
        r = self.client.post('/api/v1/session', raw=('{"login": "%s", "password": "%s"}'
                                                     % (login, PASSWORD)).encode())
        self.assertProblem(r, 415)
        self.assertNotIn('hotline_session', self.client.cookies)
        r = self.client.post('/api/v1/session', raw=('{"login": "%s", "password": "%s"}'
                                                     % (login, PASSWORD)).encode(),
                             headers={'Content-Type': 'application/json; charset=utf-8'})
        self.assertEqual(r.status, 201, r)


class Passwords(ServerTestCase):
    def add(self, login, password, role='agent'):
        return run_hotline('user', 'add', '--login', login, '--role', role, input=password + '\n')

    def test_weak_passwords_are_refused_with_the_reason(self):
        for password, reason in (('12345678', 'sequence'), ('abcdefgh', 'sequence'),
                                 ('87654321', 'sequence'), ('aaaaaaaaaa', 'repeated'),
                                 ('password', 'most common'), ('Password1', 'most common'),
                                 ('qwertyuiop', 'most common'), ('1qaz2wsx', 'most common'),
                                 ('woaini1314', 'most common')):
            with self.subTest(password=password):
                out = self.add('weak-%s' % uuid.uuid4().hex[:8], password)
                self.assertEqual(out.returncode, 1, out)
                self.assertIn(reason, out.stderr)
        login = 'selfish-%s' % uuid.uuid4().hex[:6]
        out = self.add(login, login.upper())
        self.assertEqual(out.returncode, 1, out)
        self.assertIn('must not be the login', out.stderr)
        self.assertEqual(self.add('strong-%s' % uuid.uuid4().hex[:8], 'tea-kettle-42').returncode, 0)

    def test_a_password_reset_ends_the_users_sessions(self):
        login = add_user('agent')
        user = Actor(self.server, login)
        token = Actor(self.server, login, bearer=True)
        self.assertEqual(user.request('GET', '/api/v1/session').status, 200)
        out = run_hotline('user', 'password', '--login', login, input='kettle-brown-77\n')
        self.assertEqual(out.returncode, 0, out.stderr)
        self.assertProblem(user.request('GET', '/api/v1/session'), 401)
        # An integration's token is not a session: it goes with `hotline token revoke`.
        self.assertEqual(token.request('GET', '/api/v1/session').status, 200)
        self.assertEqual(log_in(self.server.client(), login, 'kettle-brown-77').status, 201)


class QueryNumbers(ServerTestCase):
    def test_numbers_out_of_range_are_400_not_wrapped(self):
        a = Actor(self.server, add_user('supervisor'))
        for path in ('/api/v1/orders?limit=4294967297', '/api/v1/orders?limit=-1',
                     '/api/v1/orders?limit=1e3', '/api/v1/orders?cursor=99999999999999999999',
                     '/api/v1/orders?cursor=+5', '/api/v1/callbacks?limit=4294967297',
                     '/api/v1/callbacks?cursor=99999999999999999999',
                     '/api/v1/supervision/overdue?limit=4294967297'):
            with self.subTest(path=path):
                self.assertProblem(a.request('GET', path), 400)
        self.assertEqual(a.request('GET', '/api/v1/orders?limit=5').status, 200)


class Caching(ServerTestCase):
    def test_api_answers_are_not_cached(self):
        a = Actor(self.server, add_user('supervisor'))
        for path in ('/api/v1/session', '/api/v1/orders', '/api/v1/callbacks'):
            with self.subTest(path=path):
                r = a.request('GET', path)
                self.assertEqual(r.status, 200, r)
                self.assertEqual(r.header('cache-control'), 'no-store')
        r = log_in(self.server.client(), add_user('agent'))
        self.assertEqual(r.header('cache-control'), 'no-store')


class Tokens(ServerTestCase):
    def test_tokens_are_listed_with_their_last_use_and_revoked_from_the_cli(self):
        login = add_user('reviewer')
        a = Actor(self.server, login, bearer=True)
        unused = run_hotline('token', 'create', '--login', login, '--name', '备用').stdout.strip()
        self.assertTrue(unused)
        self.assertEqual(a.request('GET', '/api/v1/session').status, 200)
        out = run_hotline('token', 'list', '--login', login)
        self.assertEqual(out.returncode, 0, out.stderr)
        lines = out.stdout.splitlines()[1:]
        self.assertEqual(len(lines), 2, out.stdout)
        used_id, used_line = lines[0].split()[0], lines[0]
        self.assertRegex(used_line, r'\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+08:00 +-$')
        self.assertIn('never', lines[1])
        self.assertNotIn(a.token, out.stdout)
        out = run_hotline('token', 'revoke', '--id', used_id)
        self.assertEqual(out.returncode, 0, out.stderr)
        self.assertProblem(a.request('GET', '/api/v1/session'), 401)
        self.assertEqual(run_hotline('token', 'revoke', '--id', '999999999').returncode, 1)
        self.assertEqual(run_hotline('token', 'revoke', '--id', 'x').returncode, 2)

    def test_the_administrator_lists_and_revokes_tokens_on_a_page(self):
        import html
        import re
        admin_login, login = add_user('admin'), add_user('reviewer')
        a = Actor(self.server, login, bearer=True)
        self.assertEqual(a.request('GET', '/api/v1/session').status, 200)
        token_id = psql("SELECT t.id FROM api_token t JOIN app_user u ON u.id = t.user_id"
                        " WHERE u.login = '%s'" % login)[0][0]
        admin = self.server.client()
        page = admin.get('/login')
        form_token = re.search(r'name="login_token" value="([^"]*)"', page.text).group(1)
        r = admin.post('/login', form={'login': admin_login, 'password': PASSWORD,
                                       'login_token': form_token})
        self.assertEqual(r.status, 303, r)
        page = admin.get('/admin/tokens')
        self.assertEqual(page.status, 200, page)
        row = re.search(r'<tr data-token="%s">.*?</tr>' % token_id, page.text, re.S).group(0)
        self.assertIn(login, row)
        self.assertIn('有效', row)
        self.assertNotIn('从未使用', row)
        csrf = html.unescape(re.search(r'name="csrf_token" value="([^"]*)"', page.text).group(1))
        r = admin.post('/admin/tokens/%s/revoke' % token_id, form={'csrf_token': csrf})
        self.assertEqual(r.status, 303, r)
        self.assertProblem(a.request('GET', '/api/v1/session'), 401)
        row = re.search(r'<tr data-token="%s" class="inactive">.*?</tr>' % token_id,
                        admin.get('/admin/tokens').text, re.S).group(0)
        self.assertIn('已吊销', row)
        admin.close()


class Installation(unittest.TestCase):
    def test_each_installation_makes_its_own_110_secret(self):
        secrets = []
        for _ in range(2):
            root = tempfile.mkdtemp(prefix='hotline-root-')
            self.addCleanup(shutil.rmtree, root, True)
            script = '. "%s/scripts/lib.sh"; ROOT="%s"; police_secret; echo; police_secret' % (ROOT, root)
            out = subprocess.run(['bash', '-c', script], capture_output=True, text=True, timeout=30)
            self.assertEqual(out.returncode, 0, out.stderr)
            first, again = out.stdout.split()
            self.assertRegex(first, r'^[0-9a-f]{64}$')
            self.assertEqual(first, again, 'the secret is kept, not made anew each run')
            mode = os.stat(os.path.join(root, 'var', 'police-secret')).st_mode & 0o777
            self.assertEqual(mode, 0o600)
            secrets.append(first)
        self.assertNotEqual(secrets[0], secrets[1])
        with open(os.path.join(ROOT, 'scripts', 'run')) as f:
            self.assertNotIn('demo-secret', f.read())

    def test_the_private_cluster_lets_in_only_its_owner(self):
        cluster = TempCluster()
        self.addCleanup(cluster.destroy)
        pg = os.path.realpath(cluster.pg_dir)
        self.assertEqual(os.stat(pg).st_mode & 0o777, 0o700)
        with open(os.path.join(pg, 'data', 'pg_hba.conf')) as f:
            rules = [line.split() for line in f if line.strip() and not line.startswith('#')]
        self.assertEqual(rules, [['local', 'all', 'all', 'peer', 'map=hotline']])
        self.assertEqual(run_hotline('migrate', db=cluster.conninfo).returncode, 0)
        if os.geteuid() == 0:
            # Another system user is turned away, by the directory and by peer authentication.
            out = subprocess.run(['runuser', '-u', 'nobody', '--', 'psql', '-X', '-d', cluster.conninfo,
                                  '-c', 'SELECT 1'], capture_output=True, text=True, timeout=30)
            self.assertNotEqual(out.returncode, 0, out.stdout)
