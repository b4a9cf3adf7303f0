"""The prepared-statement cache of the db module, seen from outside: order
registration in one statement answers exactly what a read shows, and the
cached statements keep answering right when the schema changes under them,
when the connection is lost, and when more shapes of a query come than
the cache holds.

The class has a database of its own (it changes a column's type) and a
server with one HTTP thread, so that every request meets the statements the
earlier ones prepared on the one connection.
"""
import os
import unittest
import uuid
from urllib.parse import urlencode

from harness import ROOT, TEST_DB, Client, Server, psql, run_hotline, wait_for

PASSWORD = 'correct-horse-9'


def body(**fields):
    b = {
        'request_type': 'complaint',
        'urgency': 'normal',
        'category': '010101',
        'caller_name': '张三',
        'caller_phone': '13812345678',
        'district': 'D01',
        'street': 'D01-S01',
        'address': '东城区东华门大街1号',
        'content': '门前道路塌陷一个大坑，已有两辆电动车摔倒。',
        'request': '尽快修复路面',
    }
    b.update(fields)
    return b


class PreparedStatements(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        suffix = uuid.uuid4().hex[:10]
        cls.dbname = 't_prepared_%s' % suffix
        cls.app = 'hotline_prepared_%s' % suffix
        psql('CREATE DATABASE %s' % cls.dbname)
        cls.db = '%s dbname=%s' % (TEST_DB, cls.dbname)
        try:
            for args in (('migrate',),
                         ('department', 'import', os.path.join(ROOT, 'scripts/demo/departments.csv')),
                         ('category', 'import', os.path.join(ROOT, 'scripts/demo/categories.csv'))):
                out = run_hotline(*args, db=cls.db)
                if out.returncode != 0:
                    raise RuntimeError('%s failed: %s' % (args, out.stderr))
            out = run_hotline('user', 'add', '--login', 'agent', '--role', 'agent', db=cls.db,
                              input=PASSWORD + '\n')
            if out.returncode != 0:
                raise RuntimeError('user add failed: ' + out.stderr)
            out = run_hotline('token', 'create', '--login', 'agent', db=cls.db)
            if out.returncode != 0:
                raise RuntimeError('token create failed: ' + out.stderr)
            cls.token = out.stdout.strip()
            cls.server = Server(db='%s application_name=%s' % (cls.db, cls.app),
                                args=('--threads', '1', '--log-level', 'debug',
                                      '--sweep-seconds', '3600'))
        except Exception:
            psql('DROP DATABASE IF EXISTS %s' % cls.dbname)
            raise

    @classmethod
    def tearDownClass(cls):
        rc = cls.server.stop()
        log = cls.server.read_log()
        psql('DROP DATABASE IF EXISTS %s WITH (FORCE)' % cls.dbname)
        if rc != 0 or 'ERROR: AddressSanitizer' in log or 'runtime error:' in log \
                or 'LeakSanitizer' in log:
            raise AssertionError('server exited %d or reported a sanitizer error:\n%s'
                                 % (rc, log[-4000:]))

    def setUp(self):
        self.client = Client(self.server.port)

    def tearDown(self):
        self.client.close()

    def sql(self, text):
        return psql(text, self.db)

    def get(self, path):
        return self.client.get(path, headers={'Authorization': 'Bearer ' + self.token})

    def create(self, **fields):
        return self.client.post('/api/v1/orders', body(**fields),
                                headers={'Authorization': 'Bearer ' + self.token})

    def created(self, **fields):
        r = self.create(**fields)
        self.assertEqual(r.status, 201, r)
        return r.json

    def counter(self):
        return int(self.sql("SELECT coalesce(sum(last), 0) FROM order_counter")[0][0])

    def test_a_registration_answers_exactly_what_a_read_of_the_order_shows(self):
        made = self.create(urgency='urgent', latitude=39.91, longitude=116.39, confidential=True)
        self.assertEqual(made.status, 201, made)
        self.assertEqual(made.header('location'), '/api/v1/orders/' + made.json['number'])
        read = self.get('/api/v1/orders/' + made.json['number'])
        self.assertEqual(read.status, 200, read)
        self.assertEqual(made.json, read.json)
        self.assertEqual(made.json['district'], {'code': 'D01', 'name': '东城区'})
        self.assertEqual(made.json['street']['code'], 'D01-S01')
        self.assertEqual(made.json['status'], 'pending')
        self.assertEqual(made.json['created_by'], 'agent')
        # The registration wrote its one event in the same statement.
        events = self.get('/api/v1/orders/%s/events' % made.json['number'])
        self.assertEqual([(e['action'], e['to_status'], e['payload'], e['actor']['login'])
                          for e in events.json],
                         [('register', 'pending', {'channel': 'phone'}, 'agent')])

    def test_an_unknown_district_or_street_is_refused_without_using_up_a_number(self):
        before = self.counter()
        for fields, field, code in (({'district': 'NOPE'}, 'district', 'NOPE'),
                                    ({'street': 'D01-S99'}, 'street', 'D01-S99'),
                                    ({'district': 'D01-S01'}, 'district', 'D01-S01')):
            with self.subTest(field=field, code=code):
                r = self.create(**fields)
                self.assertEqual(r.status, 422, r)
                self.assertEqual(r.json.get('field'), field, r)
                self.assertIn('"%s"' % code, r.json['detail'])
        self.assertEqual(self.counter(), before)
        made = self.created(district=None, street=None)
        self.assertIsNone(made['district'])
        self.assertEqual(self.counter(), before + 1)

    def test_reads_and_registrations_carry_on_after_a_column_changes_type(self):
        order = self.created(address='旧地址1号')
        for _ in range(6):	# long enough for PostgreSQL to settle on a generic plan
            self.assertEqual(self.get('/api/v1/orders/' + order['number']).status, 200)
            self.assertEqual(self.get('/api/v1/orders?limit=5').status, 200)
        self.created()
        self.sql('ALTER TABLE work_order ALTER COLUMN address TYPE varchar(600)')
        try:
            r = self.get('/api/v1/orders/' + order['number'])
            self.assertEqual(r.status, 200, r)
            self.assertEqual(r.json['address'], '旧地址1号')
            r = self.get('/api/v1/orders?limit=5')
            self.assertEqual(r.status, 200, r)
            self.assertIn(order['number'], [o['number'] for o in r.json['items']])
            again = self.created(address='新地址2号')
            self.assertEqual(again['address'], '新地址2号')
        finally:
            self.sql('ALTER TABLE work_order ALTER COLUMN address TYPE text')
        self.assertIn('preparing it again', self.server.read_log())
        self.assertEqual(self.get('/api/v1/orders/' + order['number']).status, 200)

    def test_statements_are_prepared_again_on_a_new_connection(self):
        order = self.created()
        log_before = len(self.server.read_log())
        self.assertEqual(self.get('/api/v1/orders/' + order['number']).status, 200)
        killed = self.sql("SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity"
                          " WHERE application_name = '%s'" % self.app)
        self.assertGreaterEqual(int(killed[0][0]), 1)
        wait_for(lambda: self.sql("SELECT count(*) = 0 FROM pg_stat_activity"
                                  " WHERE application_name = '%s'" % self.app) == [['t']])
        # The token lookup (a SELECT) meets the dead connection, which is
        # reset; everything after it is prepared afresh on the new one.
        r = self.get('/api/v1/orders/' + order['number'])
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.json['number'], order['number'])
        self.assertEqual(self.create().status, 201)
        self.assertEqual(self.get('/api/v1/orders?limit=3').status, 200)
        # Prepared afresh, not found missing (26000) and repaired.
        self.assertNotIn('preparing it again', self.server.read_log()[log_before:])

    def test_more_shapes_of_the_list_than_the_cache_holds_each_get_their_own_rows(self):
        for i in range(3):
            self.created(urgency='urgent', content='紧急事项%d：路灯倒伏压住人行道' % i)
        self.created(urgency='normal')
        newest = [o['number'] for o in self.get('/api/v1/orders?limit=200').json['items']]
        urgent = [o['number'] for o in
                  self.get('/api/v1/orders?limit=200&urgency=urgent').json['items']]
        self.assertGreaterEqual(len(urgent), 3)
        # Each page size is a statement of its own text: 70 sizes, with and
        # without a filter, are more than a connection keeps (32).
        for limit in range(1, 71):
            for query, expect in (({'limit': limit}, newest),
                                  ({'limit': limit, 'urgency': 'urgent'}, urgent)):
                r = self.get('/api/v1/orders?' + urlencode(query))
                self.assertEqual(r.status, 200, r)
                self.assertEqual([o['number'] for o in r.json['items']], expect[:limit], query)
        self.assertRegex(self.server.read_log(), r'deallocated s\d+')


if __name__ == '__main__':
    unittest.main()
