"""The administration commands: importing a new year of the official
calendar, departments and categories from CSV, users and tokens. A bad
input names its line and field, exits 1, and applies nothing."""
import json
import os
import unittest
import uuid

from harness import Server, drop_database, own_database, psql, run_hotline, wait_for
from orders_fixture import PASSWORD, add_user, import_csv

# A small sample in the official file format (holiday-cn's, one file per
# year, docs/calendar.md): New Year's Day 2027 falls on a Friday;
# the Spring Festival days here are an invented sample, not the real notice.
YEAR_2027 = {
    '$schema': 'https://raw.githubusercontent.com/NateScarlet/holiday-cn/master/schema.json',
    '$id': 'https://raw.githubusercontent.com/NateScarlet/holiday-cn/master/2027.json',
    'year': 2027,
    'papers': ['https://www.gov.cn/zhengce/content/2027-sample.htm'],
    'days': [
        {'name': '元旦', 'date': '2027-01-01', 'isOffDay': True},
        {'name': '春节', 'date': '2027-02-06', 'isOffDay': False},
        {'name': '春节', 'date': '2027-02-08', 'isOffDay': True},
        {'name': '春节', 'date': '2027-02-09', 'isOffDay': True},
    ],
}


class CalendarImport(unittest.TestCase):
    """On a database of its own, so that 2027 stays unknown everywhere else."""

    @classmethod
    def setUpClass(cls):
        cls.dbname, cls.db = own_database('hotline_cal')

    @classmethod
    def tearDownClass(cls):
        drop_database(cls.dbname)

    def setUp(self):
        psql('DELETE FROM calendar_day WHERE day >= \'2027-01-01\' AND day < \'2028-01-01\';'
             ' DELETE FROM calendar_year WHERE year = 2027', self.db)

    def hotline(self, *args):
        return run_hotline(*args, db=self.db)

    def write(self, doc, name='2027.json'):
        d = os.path.join('/tmp', 'hotline-cal-%s' % uuid.uuid4().hex[:8])
        os.makedirs(d)
        path = os.path.join(d, name)
        with open(path, 'w', encoding='utf-8') as f:
            f.write(doc if isinstance(doc, str) else json.dumps(doc, ensure_ascii=False,
                                                                indent=4))
        self.addCleanup(lambda: (os.unlink(path), os.rmdir(d)))
        return path

    def snapshot(self):
        return psql('SELECT (SELECT count(*) FROM calendar_day),'
                    ' (SELECT string_agg(year::text, \',\' ORDER BY year) FROM calendar_year)',
                    self.db)

    def test_a_new_year_file_makes_the_year_known(self):
        # Before: Thu 2026-12-31 + 1 counts 2027's statutory New Year's Day
        # (Fri 01-01) and the weekend, and says that 2027 is provisional.
        before = self.hotline('deadline', '--from', '2026-12-31T10:00:00+08:00', '--workdays', '1')
        self.assertEqual(before.stdout.strip(), '2027-01-04T23:59:59+08:00')
        self.assertIn('2027', before.stderr)
        self.assertIn('provisional', before.stderr)
        path = self.write(YEAR_2027)
        out = self.hotline('calendar', 'import', path)
        self.assertEqual(out.returncode, 0, out.stderr)
        self.assertIn('2027', out.stdout)
        # After: Fri 01-01 is off, Sat 2, Sun 3: Mon 01-04; and no warning.
        after = self.hotline('deadline', '--from', '2026-12-31T10:00:00+08:00', '--workdays', '1')
        self.assertEqual((after.stdout.strip(), after.stderr),
                         ('2027-01-04T23:59:59+08:00', ''))
        # Fri 02-05 + 1: Sat 02-06 is a make-up working day in the sample.
        r = self.hotline('deadline', '--from', '2027-02-05T10:00:00+08:00', '--workdays', '1')
        self.assertEqual(r.stdout.strip(), '2027-02-06T23:59:59+08:00')
        # Sat 02-06 + 1: Sun 7, Mon 8, Tue 9 off: Wed 02-10.
        r = self.hotline('deadline', '--from', '2027-02-06T10:00:00+08:00', '--workdays', '1')
        self.assertEqual(r.stdout.strip(), '2027-02-10T23:59:59+08:00')
        self.assertEqual(psql('SELECT source FROM calendar_year WHERE year = 2027', self.db),
                         [['https://www.gov.cn/zhengce/content/2027-sample.htm']])
        # Importing the same file again changes nothing.
        snap = self.snapshot()
        self.assertEqual(self.hotline('calendar', 'import', path).returncode, 0)
        self.assertEqual(self.snapshot(), snap)

    def test_a_running_server_picks_up_the_new_year(self):
        server = Server(db=self.db, env={'HOTLINE_SWEEP_SECONDS': '1'})
        # The calendar's coverage is for operators' eyes: an admin's token.
        login = 'calop-%s' % uuid.uuid4().hex[:8]
        self.assertEqual(run_hotline('user', 'add', '--login', login, '--role', 'admin', db=self.db,
                                     input=PASSWORD + '\n').returncode, 0)
        token = run_hotline('token', 'create', '--login', login, db=self.db).stdout.strip()
        auth = {'Authorization': 'Bearer ' + token}
        try:
            c = server.client()
            missing = c.get('/healthz', headers=auth).json['calendar']['years_missing']
            if 2027 not in missing:
                self.skipTest('2027 is not this year or next')
            out = self.hotline('calendar', 'import', self.write(YEAR_2027))
            self.assertEqual(out.returncode, 0, out.stderr)
            self.assertTrue(wait_for(lambda: 2027 not in
                                     c.get('/healthz', headers=auth).json['calendar']['years_missing'],
                                     timeout=15))
            self.assertIn('holiday calendar reloaded', server.read_log())
            c.close()
        finally:
            self.assertEqual(server.stop(), 0)

    def test_a_malformed_file_is_refused_naming_the_field_and_changes_nothing(self):
        def doc(**change):
            d = json.loads(json.dumps(YEAR_2027))
            d.update(change)
            return d
        days = YEAR_2027['days']
        cases = [
            (doc(papers=None), ['papers']),
            ({k: v for k, v in YEAR_2027.items() if k != 'papers'}, ['papers']),
            (doc(year='2027'), ['year']),
            ({k: v for k, v in YEAR_2027.items() if k != 'days'}, ['days']),
            (doc(days=[days[0], dict(days[1], date='2027-02-30')]), ['days[1]', '2027-02-30']),
            (doc(days=[dict(days[0], isOffDay='yes')]), ['days[0]', 'isOffDay']),
            (doc(days=[days[0], {'name': '春节', 'date': '2027-02-08'}]),
             ['days[1]', 'isOffDay']),
            (doc(days=[days[0], dict(days[0], name='又一个元旦')]),
             ['days[1]', '2027-01-01', 'listed twice']),
            (doc(days=[dict(days[0], date='2025-01-01')]), ['days[0]', '2025-01-01']),
            (doc(days=['2027-01-01']), ['days[0]']),
            ('{\n    "year": 2027,\n    "papers": [],\n    "days": [,]\n}', ['line 4']),
        ]
        snap = self.snapshot()
        for d, needles in cases:
            with self.subTest(needles=needles):
                path = self.write(d)
                out = self.hotline('calendar', 'import', path)
                self.assertEqual(out.returncode, 1, out)
                for needle in needles:
                    self.assertIn(needle, out.stderr)
                self.assertIn(path, out.stderr)
                self.assertEqual(self.snapshot(), snap)
        r = self.hotline('deadline', '--from', '2026-12-31T10:00:00+08:00', '--workdays', '1')
        self.assertIn('2027', r.stderr, 'the year is still unknown')

    def test_one_bad_file_among_several_applies_none_of_them(self):
        good = self.write(YEAR_2027)
        bad = self.write(dict(YEAR_2027, year=2028, days=[{'name': 'x', 'date': 'soon',
                                                            'isOffDay': True}]), '2028.json')
        snap = self.snapshot()
        out = self.hotline('calendar', 'import', good, bad)
        self.assertEqual(out.returncode, 1, out)
        self.assertIn('2028.json', out.stderr)
        self.assertEqual(self.snapshot(), snap)

    def test_a_missing_file_and_no_file(self):
        out = self.hotline('calendar', 'import', '/nonexistent/2027.json')
        self.assertEqual(out.returncode, 1)
        self.assertIn('/nonexistent/2027.json', out.stderr)
        self.assertEqual(self.hotline('calendar', 'import').returncode, 2)


def departments(codes):
    rows = psql("SELECT code FROM department WHERE code IN (%s) ORDER BY code"
                % ','.join("'%s'" % c for c in codes))
    return [r[0] for r in rows]


class DepartmentImport(unittest.TestCase):
    HEADER = 'code,name,kind,parent,contact,phone\n'

    def setUp(self):
        self.s = uuid.uuid4().hex[:8].upper()

    def codes(self, *names):
        return ['X%s-%s' % (self.s, n) for n in names]

    def test_a_good_file_is_imported_and_an_import_is_an_upsert(self):
        top, sub = self.codes('TOP', 'SUB')
        out = import_csv('department', self.HEADER + '%s,新局,city,,,\n%s,新局一处,unit,%s,张科长,'
                         '010-66668888\n' % (top, sub, top))
        self.assertEqual(out.returncode, 0, out.stderr)
        self.assertIn('imported 2 department rows', out.stdout)
        out = import_csv('department', self.HEADER + '%s,新局（更名）,city,,,\n' % top)
        self.assertEqual(out.returncode, 0, out.stderr)
        rows = psql("SELECT d.code, d.name, coalesce(p.code, ''), d.path LIKE p.path || '%%'"
                    " FROM department d LEFT JOIN department p ON p.id = d.parent_id"
                    " WHERE d.code IN ('%s', '%s') ORDER BY d.code" % (sub, top))
        self.assertEqual(rows, [[sub, '新局一处', top, 't'], [top, '新局（更名）', '', '']])

    def test_errors_name_the_line_and_field_and_import_nothing(self):
        a, b, c = self.codes('A', 'B', 'C')
        cases = [
            # unknown parent on line 3
            (self.HEADER + '%s,甲,city,,,\n%s,乙,unit,NO-SUCH-PARENT,,\n' % (a, b),
             ['line 3', 'parent', 'NO-SUCH-PARENT']),
            # bad kind on line 4
            (self.HEADER + '%s,甲,city,,,\n%s,乙,unit,%s,,\n%s,丙,bureau,,,\n' % (a, b, a, c),
             ['line 4', 'kind', 'bureau']),
            # a child before its parent (line 2 names a parent defined on line 3)
            (self.HEADER + '%s,乙,unit,%s,,\n%s,甲,city,,,\n' % (b, a, a),
             ['line 2', 'parent', a]),
            # an invalid code on line 3
            (self.HEADER + '%s,甲,city,,,\nbad code!,乙,city,,,\n' % a,
             ['line 3', 'code', 'bad code!']),
            # an empty name on line 2
            (self.HEADER + '%s,,city,,,\n' % a, ['line 2', 'name']),
            # active must be true or false, line 2
            ('code,name,kind,parent,active\n%s,甲,city,,maybe\n' % a,
             ['line 2', 'active', 'maybe']),
            # a quoted name spanning lines 2-3; the bad record starts on line 4
            (self.HEADER + '%s,"甲\n局",city,,,\n%s,乙,nation,,,\n' % (a, b),
             ['line 4', 'kind', 'nation']),
            # the header lacks "kind"
            ('code,name,parent\n%s,甲,\n' % a, ['line 1', 'kind']),
            # an unclosed quote
            (self.HEADER + '%s,"甲,city,,,\n' % a, ['line 2']),
        ]
        for text, needles in cases:
            with self.subTest(needles=needles):
                out = import_csv('department', text)
                self.assertEqual(out.returncode, 1, out)
                for needle in needles:
                    self.assertIn(needle, out.stderr)
                self.assertEqual(departments([a, b, c]), [], 'nothing of the file is applied')

    def test_an_empty_file_a_missing_file_and_usage(self):
        out = import_csv('department', '')
        self.assertEqual(out.returncode, 1)
        self.assertIn('empty', out.stderr)
        out = run_hotline('department', 'import', '/nonexistent/departments.csv')
        self.assertEqual(out.returncode, 1)
        self.assertIn('/nonexistent/departments.csv', out.stderr)
        out = run_hotline('department', 'load')
        self.assertEqual(out.returncode, 2)
        self.assertIn('usage', out.stderr)


class CategoryImport(unittest.TestCase):
    def test_errors_name_the_line_and_import_nothing(self):
        s = uuid.uuid4().hex[:6].upper()
        top, child = 'Q%s' % s, 'Q%s01' % s
        cases = [
            ('code,name,parent\n%s,测试大类,\n%s,测试小类,ZZ%s\n' % (top, child, s),
             ['line 3', 'parent']),
            ('code,name,parent\n%s,测试大类,\n%s,,%s\n' % (top, child, top), ['line 3', 'name']),
            ('code,name,parent\n%s,测试大类,\nQ-%s,坏代码,\n' % (top, s), ['line 3', 'code']),
        ]
        for text, needles in cases:
            with self.subTest(needles=needles):
                out = import_csv('category', text)
                self.assertEqual(out.returncode, 1, out)
                for needle in needles:
                    self.assertIn(needle, out.stderr)
                self.assertEqual(psql("SELECT count(*) FROM category WHERE code LIKE 'Q%s%%'"
                                      % s), [['0']])
        out = import_csv('category', 'code,name,parent\n%s,测试大类,\n%s,测试小类,%s\n'
                         % (top, child, top))
        self.assertEqual(out.returncode, 0, out.stderr)
        self.assertEqual(psql("SELECT code, parent_code FROM category WHERE code LIKE 'Q%s%%'"
                              " ORDER BY code" % s), [[top, ''], [child, top]])


class Users(unittest.TestCase):
    def add(self, *args, password=PASSWORD):
        return run_hotline('user', 'add', *args, input=password + '\n')

    def test_a_user_is_created_with_a_hashed_password(self):
        login = 'cli-%s' % uuid.uuid4().hex[:8]
        out = self.add('--login', login, '--role', 'supervisor', '--name', '王督办')
        self.assertEqual(out.returncode, 0, out.stderr)
        self.assertIn(login, out.stdout)
        rows = psql("SELECT role, display_name, password_hash LIKE '$argon2%%',"
                    " position('%s' in password_hash) FROM app_user WHERE login = '%s'"
                    % (PASSWORD, login))
        self.assertEqual(rows, [['supervisor', '王督办', 't', '0']])
        again = self.add('--login', login, '--role', 'agent')
        self.assertEqual(again.returncode, 1)
        self.assertIn('already taken', again.stderr)

    def test_bad_users_are_refused_with_the_reason(self):
        login = 'cli-%s' % uuid.uuid4().hex[:8]
        cases = [
            (['--login', login, '--role', 'boss'], 'role', 1),
            (['--login', login, '--role', 'system'], 'role', 1),
            (['--login', login, '--role', 'dept_handler'], 'department', 1),
            (['--login', login, '--role', 'dept_handler', '--department', 'NO-SUCH-DEPT'],
             'NO-SUCH-DEPT', 1),
            (['--login', login, '--role', 'agent', '--department', 'D01'], 'department', 1),
            (['--login', 'x', '--role', 'agent'], 'invalid login', 1),
            (['--login', login], 'usage', 2),
        ]
        for args, needle, rc in cases:
            with self.subTest(args=args):
                out = self.add(*args)
                self.assertEqual(out.returncode, rc, out)
                self.assertIn(needle, out.stderr)
        out = self.add('--login', login, '--role', 'agent', password='short')
        self.assertEqual(out.returncode, 1)
        self.assertIn('too short', out.stderr)
        self.assertEqual(psql("SELECT count(*) FROM app_user WHERE login = '%s'" % login),
                         [['0']])

    def test_a_token_is_for_an_existing_user_only(self):
        out = run_hotline('token', 'create', '--login', 'nobody-%s' % uuid.uuid4().hex[:6])
        self.assertEqual(out.returncode, 1)
        self.assertIn('no user', out.stderr)
        login = add_user('reviewer')
        out = run_hotline('token', 'create', '--login', login, '--name', '110 bridge')
        self.assertEqual(out.returncode, 0, out.stderr)
        self.assertRegex(out.stdout.strip(), r'^[0-9a-f]{64}$')
        self.assertEqual(psql("SELECT t.name FROM api_token t JOIN app_user u ON u.id = t.user_id"
                              " WHERE u.login = '%s'" % login), [['110 bridge']])

