"""Shared setup for the work-order tests: reference data, departments, users,
logged-in actors, and helpers that create orders and drive them through the
lifecycle over the real HTTP API.

Every test class gets its own department tree (codes with a random suffix)
and its own users, so classes never see each other's orders through the
department filters, and the suite can run against one shared database.
"""
import datetime
import os
import tempfile
import threading
import uuid
from concurrent.futures import ThreadPoolExecutor

from harness import ROOT, ServerTestCase, psql, run_hotline

PASSWORD = 'correct-horse-9'
CST = datetime.timezone(datetime.timedelta(hours=8))

_demo_lock = threading.Lock()
_demo_loaded = False


def ensure_demo_data():
    """Imports the demo departments and categories once per process (upserts)."""
    global _demo_loaded
    with _demo_lock:
        if _demo_loaded:
            return
        for what, name in (('department', 'departments.csv'), ('category', 'categories.csv')):
            out = run_hotline(what, 'import', os.path.join(ROOT, 'scripts', 'demo', name))
            if out.returncode != 0:
                raise RuntimeError('%s import failed: %s' % (what, out.stderr))
        _demo_loaded = True


def write_temp(text, suffix, binary=False):
    """Writes `text` to a new temporary file; returns its path (caller removes it)."""
    fd, path = tempfile.mkstemp(suffix=suffix, prefix='hotline-test-')
    with os.fdopen(fd, 'wb' if binary else 'w', encoding=None if binary else 'utf-8') as f:
        f.write(text)
    return path


def import_csv(what, text):
    """Runs `hotline <what> import` on a temporary CSV; returns the CompletedProcess."""
    path = write_temp(text, '.csv')
    try:
        return run_hotline(what, 'import', path)
    finally:
        os.unlink(path)


class Depts:
    """A private department tree for one test class.

    a           city department 测试一局 (lead unit in most tests)
    a1          a sub-unit of a
    a11         a sub-unit of a1 (third level)
    b           another city department
    c           a third one (assisting unit)
    """

    def __init__(self):
        s = uuid.uuid4().hex[:8].upper()
        self.suffix = s
        self.a, self.a1, self.a11 = 'TA%s' % s, 'TA%s-1' % s, 'TA%s-1-1' % s
        self.b, self.c = 'TB%s' % s, 'TC%s' % s
        csv = ('code,name,kind,parent,contact,phone\n'
               '{a},测试一局{s},city,,科室,010-88880001\n'
               '{a1},测试一局一处{s},unit,{a},科室,010-88880002\n'
               '{a11},测试一局一处一科{s},unit,{a1},科室,010-88880003\n'
               '{b},测试二局{s},city,,科室,010-88880004\n'
               '{c},测试三局{s},city,,科室,010-88880005\n').format(
                   a=self.a, a1=self.a1, a11=self.a11, b=self.b, c=self.c, s=s)
        out = import_csv('department', csv)
        if out.returncode != 0:
            raise RuntimeError('department import failed: ' + out.stderr)


def add_user(role, department=None, prefix=None):
    """Creates a user with a unique login; returns the login."""
    login = '%s-%s' % (prefix or role.replace('_', ''), uuid.uuid4().hex[:10])
    args = ['user', 'add', '--login', login, '--role', role]
    if department:
        args += ['--department', department]
    out = run_hotline(*args, input=PASSWORD + '\n')
    if out.returncode != 0:
        raise RuntimeError('user add failed: ' + out.stderr)
    return login


def create_token(login):
    out = run_hotline('token', 'create', '--login', login)
    if out.returncode != 0:
        raise RuntimeError('token create failed: ' + out.stderr)
    return out.stdout.strip()


class Actor:
    """A user talking to the server: a browser session (cookie + CSRF token)
    or, with bearer=True, an integration holding an API token."""

    def __init__(self, server, login, bearer=False):
        self.server = server
        self.login = login
        self.client = server.client()
        self.csrf = None
        self.token = None
        if bearer:
            self.token = create_token(login)
        else:
            r = self.client.post('/api/v1/session', {'login': login, 'password': PASSWORD})
            if r.status != 201:
                raise RuntimeError('login of %s failed: %r' % (login, r))
            self.csrf = r.json['csrf_token']
            self.me = r.json

    def fork(self):
        """The same user on a new connection (for requests from several threads)."""
        twin = Actor.__new__(Actor)
        twin.__dict__.update(self.__dict__)
        twin.client = self.server.client()
        twin.client.cookies = dict(self.client.cookies)
        return twin

    def headers(self, extra=None):
        h = {}
        if self.token:
            h['Authorization'] = 'Bearer ' + self.token
        elif self.csrf:
            h['X-CSRF-Token'] = self.csrf
        h.update(extra or {})
        return h

    def request(self, method, path, body=None, headers=None, raw=None):
        return self.client.request(method, path, body=body, raw=raw,
                                   headers=self.headers(headers))

    def get(self, path, **kw):
        return self.request('GET', path, **kw)

    def post(self, path, body=None, **kw):
        return self.request('POST', path, body=body, **kw)

    def put(self, path, body=None, **kw):
        return self.request('PUT', path, body=body, **kw)

    # --- orders

    def create(self, headers=None, **fields):
        return self.post('/api/v1/orders', order_body(**fields), headers=headers)

    def create_order(self, **fields):
        """Registers an order; returns its JSON (fails loudly if refused)."""
        r = self.create(**fields)
        if r.status != 201:
            raise AssertionError('create failed: %r' % r)
        return r.json

    def act(self, number, action, **body):
        return self.post('/api/v1/orders/%s/actions/%s' % (number, action), body)

    def order(self, number):
        return self.get('/api/v1/orders/%s' % number)

    def events(self, number):
        return self.get('/api/v1/orders/%s/events' % number)

    def list(self, **query):
        from urllib.parse import urlencode
        return self.get('/api/v1/orders?' + urlencode(query))

    def close(self):
        self.client.close()


def order_body(**fields):
    """A valid complaint about a broken road; keyword arguments override fields
    (a value of None removes the field)."""
    body = {
        'request_type': 'complaint',
        'urgency': 'normal',
        'category': '010101',
        'caller_name': '张三',
        'caller_phone': '13812345678',
        'address': '东城区东华门大街1号',
        'content': '门前道路塌陷一个大坑，已有两辆电动车摔倒。',
        'request': '尽快修复路面',
    }
    for k, v in fields.items():
        if v is None:
            body.pop(k, None)
        else:
            body[k] = v
    return body


def action_params(action, depts):
    """The minimal valid body for each action (used by the table-driven tests)."""
    return {
        'answer': {'answer': '已按知识库答复：可到社区服务站办理。'},
        'not_accept': {'reason': '属于诉讼程序，不予受理', 'channel_advice': '请向法院起诉'},
        'transfer_out': {'target': '110'},
        'dispatch': {'department': depts.a},
        'sign': {},
        'return': {'reason': '不属于本单位职责'},
        'approve_return': {'department': depts.b},
        'reject_return': {'reason': '属于贵单位职责，请办理'},
        'sub_dispatch': {'department': depts.a1},
        'request_extension': {'reason': '需要协调施工单位', 'workdays': 5},
        'approve_extension': {},
        'reject_extension': {'note': '理由不充分'},
        'suspend': {'reason': '等待市民补充材料'},
        'resume': {},
        'reply': {'result': '已修复路面。', 'solved': True, 'contacted': True},
        'callback': {'satisfaction': 'satisfied', 'solved': True},
        'reopen': {'reason': '市民反映未修复'},
        'merge': {'into': 'X'},
        'press': {'note': '请加快办理', 'level': 1},
        'archive': {},
        'chase': {'note': '来电人再次来电催促'},
    }[action]


def parse_iso(s):
    return datetime.datetime.fromisoformat(s)


def _lunar_table():
    """scripts/lunar-table as a module: the astronomy the C table was printed
    from, computed afresh here."""
    import importlib.machinery
    import importlib.util
    path = os.path.join(ROOT, 'scripts', 'lunar-table')
    loader = importlib.machinery.SourceFileLoader('lunar_table', path)
    spec = importlib.util.spec_from_loader('lunar_table', loader)
    module = importlib.util.module_from_spec(spec)
    loader.exec_module(module)
    return module


def statutory_days(year):
    """The holidays the law fixes (2024 revision) in `year` (docs/calendar.md)."""
    lt = _lunar_table()
    d = datetime.date
    spring, dragon, autumn, _ = (lt.civil(x) for x in lt.lunar_year(year))
    days = {d(year, 1, 1), d(year, 5, 1), d(year, 5, 2), d(year, 10, 1), d(year, 10, 2),
            d(year, 10, 3), lt.civil(lt.qingming(year)[0]), dragon, autumn}
    days.update(spring + datetime.timedelta(days=k) for k in range(-1, 3))
    return days


class Calendar:
    """An independent oracle for working days: weekends off, plus the official
    days in calendar_day (off days and make-up working days); a year from
    2025 on without an official notice has the statutory holidays off."""

    def __init__(self):
        self.days = {}
        for day, off in psql('SELECT day::text, off_day FROM calendar_day'):
            self.days[datetime.date.fromisoformat(day)] = off == 't'
        known = {int(y) for (y,) in psql('SELECT year FROM calendar_year')}
        this = datetime.date.today().year
        for year in range(max(2025, this - 1), this + 3):
            if year not in known:
                for day in statutory_days(year):
                    self.days.setdefault(day, True)

    def is_workday(self, d):
        if d in self.days:
            return not self.days[d]
        return d.weekday() < 5

    def add_workdays(self, start, n):
        """23:59:59 local of the nth working day after start's local date."""
        d = start.astimezone(CST).date()
        while n > 0:
            d += datetime.timedelta(days=1)
            if self.is_workday(d):
                n -= 1
        return datetime.datetime(d.year, d.month, d.day, 23, 59, 59, tzinfo=CST)

    def working_seconds(self, a, b):
        total = 0
        d = a.astimezone(CST).date()
        while True:
            start = datetime.datetime(d.year, d.month, d.day, tzinfo=CST)
            if start >= b:
                return total
            end = start + datetime.timedelta(days=1)
            if self.is_workday(d):
                lo, hi = max(a, start), min(b, end)
                if hi > lo:
                    total += int((hi - lo).total_seconds())
            d += datetime.timedelta(days=1)

    def add_working_seconds(self, t, secs):
        cur = t
        d = t.astimezone(CST).date()
        while secs > 0:
            end = datetime.datetime(d.year, d.month, d.day, tzinfo=CST) + datetime.timedelta(days=1)
            if self.is_workday(d):
                if secs <= (end - cur).total_seconds():
                    return cur + datetime.timedelta(seconds=secs)
                secs -= int((end - cur).total_seconds())
            cur = end
            d += datetime.timedelta(days=1)
        return t


def event_count(number, people_only=False):
    """The order's events; with people_only, those of the system (the
    sweeper's alerts and closings, which run on their own clock) left out."""
    return int(psql("SELECT count(*) FROM order_event e JOIN work_order o ON o.id = e.order_id"
                    " WHERE o.number = '%s'%s" % (number.replace("'", ""),
                                                  " AND e.actor_role <> 'system'" if people_only
                                                  else ""))[0][0])


class OrdersTestCase(ServerTestCase):
    """A server, a private department tree, and one user per role:

    agent, reviewer, supervisor, admin (centre);
    ha, ma: handler and dept_admin of depts.a;  ha1, ma1: of depts.a1;
    ha11: handler of depts.a11;  hb, mb: of depts.b;  hc: handler of depts.c.
    """

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        try:
            ensure_demo_data()
            cls.depts = d = Depts()
            roles = {
                'agent': ('agent', None), 'reviewer': ('reviewer', None),
                'supervisor': ('supervisor', None), 'admin': ('admin', None),
                'ha': ('dept_handler', d.a), 'ma': ('dept_admin', d.a),
                'ha1': ('dept_handler', d.a1), 'ma1': ('dept_admin', d.a1),
                'ha11': ('dept_handler', d.a11),
                'hb': ('dept_handler', d.b), 'mb': ('dept_admin', d.b),
                'hc': ('dept_handler', d.c),
            }
            # Each user costs a process and a password hash: make them side by side.
            with ThreadPoolExecutor(max_workers=6) as pool:
                logins = pool.map(lambda k: add_user(roles[k][0], roles[k][1], k), roles)
                cls.logins = dict(zip(roles, logins))
                actors = pool.map(lambda k: Actor(cls.server, cls.logins[k]), roles)
                cls.actors = dict(zip(roles, actors))
            for k, v in cls.actors.items():
                setattr(cls, k, v)
        except BaseException:
            cls.server.stop()
            raise

    @classmethod
    def tearDownClass(cls):
        for a in getattr(cls, 'actors', {}).values():
            a.close()
        # As ServerTestCase does, but the log is read byte-tolerant: the server
        # writes request paths to it as they came (see test_orders_api).
        rc = cls.server.stop()
        with open(cls.server.log_path, encoding='utf-8', errors='replace') as f:
            log = f.read()
        if rc != 0 or 'ERROR: AddressSanitizer' in log or 'runtime error:' in log \
                or 'LeakSanitizer' in log:
            raise AssertionError('server exited %d or reported a sanitizer error:\n%s'
                                 % (rc, log[-4000:]))

    # --- assertions

    def ok(self, resp, status=200):
        self.assertEqual(resp.status, status, resp)
        return resp.json

    def assertState(self, number, status, who=None):
        r = (who or self.agent).order(number)
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.json['status'], status, r)
        return r.json

    def assertInvalidState(self, resp, current):
        self.assertProblem(resp, 409)
        self.assertEqual(resp.json.get('current_status'), current, resp)

    # --- driving orders

    def new_order(self, **fields):
        return self.agent.create_order(**fields)['number']

    def step(self, actor, number, action, expect_status, **body):
        """Takes an action that must succeed, moving the order to expect_status;
        checks that exactly one event was written for it (the sweeper may
        write its own meanwhile)."""
        before = event_count(number, people_only=True)
        r = actor.act(number, action, **body)
        self.assertEqual(r.status, 200, '%s %s: %r' % (action, number, r))
        self.assertEqual(r.json['status'], expect_status, r)
        self.assertEqual(event_count(number, people_only=True), before + 1, 'one event for %s' % action)
        return r.json

    def order_in(self, state, **fields):
        """A new order brought to `state` along the usual path (lead: depts.a)."""
        d = self.depts
        n = self.new_order(**fields)
        if state == 'pending':
            return n
        if state == 'transferred':
            self.step(self.agent, n, 'transfer_out', 'transferred', target='110')
            return n
        if state == 'merged':
            target = self.new_order()
            self.step(self.agent, n, 'merge', 'merged', into=target)
            return n
        self.step(self.agent, n, 'dispatch', 'dispatched', department=d.a)
        if state == 'dispatched':
            return n
        self.step(self.ha, n, 'sign', 'in_progress')
        if state == 'in_progress':
            return n
        if state == 'return_requested':
            self.step(self.ha, n, 'return', 'return_requested', reason='不属于本单位职责')
            return n
        if state == 'extension_requested':
            self.step(self.ha, n, 'request_extension', 'extension_requested',
                      reason='需要协调', workdays=5)
            return n
        if state == 'suspended':
            self.step(self.ha, n, 'suspend', 'suspended', reason='等待市民补充材料')
            return n
        self.step(self.ha, n, 'reply', 'awaiting_callback', result='已处理', solved=True,
                  contacted=True)
        if state == 'awaiting_callback':
            return n
        self.step(self.agent, n, 'callback', 'completed', satisfaction='satisfied', solved=True)
        if state == 'completed':
            return n
        self.step(self.supervisor, n, 'archive', 'archived')
        assert state == 'archived', state
        return n
