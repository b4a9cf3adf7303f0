"""Work-order statistics (docs/metrics.md), the 三率 ranking, hot topics, the CSV and
CLI exports, the rollup's exactness, and the supervisor's lists.

The statistics fixture is sixteen orders walked through the real API, then moved
in time with psql into the week 2024-04-01 (Mon) .. 2024-04-08 (Mon), which holds
the Qingming holiday: 4, 5, 6 April off, Sunday 7 April a make-up working day.
Every expected figure below is computed by hand in the comments. Orders that an
earlier run of the suite left in those weeks (2024-03-25 .. 2024-05-15) are first
moved a century back, so the fixture owns the period; the month test adds orders
of its own around April 2024 (30 March .. 2 May). Other test classes register
orders now, and RollupExactness moves its orders to 6 May .. June 2024, outside
both.
"""
import csv
import datetime
import io
import json
import os
import unicodedata
from urllib.parse import urlencode

from harness import ROOT, psql, run_hotline
from orders_fixture import Calendar, OrdersTestCase, parse_iso
from test_openapi import Schema

A1 = '东城区东华门大街1号'
A2 = '西城区西单北大街5号'
A3 = '东城区王府井大街8号'
A4 = '南城区永定路3号'
A5 = '北城区安定路9号'

COUNTERS = ('accepted, completed, on_time, dispatched, signed_timely, responded, returned, extended,'
            ' replied, reopened, callback_due, rated, satisfied, solved, unreachable, transferred,'
            ' merged, handled, handling_seconds')
COUNTER_NAMES = [c.strip() for c in COUNTERS.split(',')]
NO_COUNT = '(%s)' % ','.join('0' * 19)

SHIFTED = ('created_at', 'updated_at', 'clock_started_at', 'sign_deadline', 'handle_deadline',
           'warn_at', 'suspended_at', 'requested_deadline', 'signed_at', 'replied_at', 'completed_at')


def place(number, created, completed=None, **relative):
    """Moves order `number` in time: every timestamp by the same interval, so that
    it was registered at `created`; then sets completed_at (for the handling time)
    and the columns in `relative`, SQL over the moved row (e.g.
    replied_at="created_at + interval '30 hours'")."""
    sets = ', '.join('%s = o.%s + s.d' % (c, c) for c in SHIFTED)
    psql("WITH s AS (SELECT id, '%s'::timestamptz - created_at AS d FROM work_order"
         " WHERE number = '%s') UPDATE work_order o SET %s FROM s WHERE o.id = s.id"
         % (created, number, sets))
    extra = dict(relative)
    if completed:
        extra['completed_at'] = "'%s'::timestamptz" % completed
    if extra:
        psql("UPDATE work_order SET %s WHERE number = '%s'"
             % (', '.join('%s = %s' % kv for kv in extra.items()), number))


def rollup_dump():
    """The whole rollup as text, rows with any counter set, in key order."""
    return psql("SELECT kind, day, key, accepted, completed, on_time, dispatched, signed_timely,"
                " responded, returned, extended, replied, reopened, callback_due, rated, satisfied,"
                " solved, unreachable, transferred, merged, handled, handling_seconds"
                " FROM stat_rollup WHERE (accepted, completed, on_time, dispatched, signed_timely,"
                " responded, returned, extended, replied, reopened, callback_due, rated, satisfied,"
                " solved, unreachable, transferred, merged, handled, handling_seconds)"
                " <> (0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0) ORDER BY 1, 2, 3")


def rollup_months():
    """The month level of the rollup, and the day level summed by month (rows with
    any counter set, in key order): the two must be equal."""
    months = psql("SELECT kind, month, key, %s FROM stat_rollup_month WHERE (%s) <> %s"
                  " ORDER BY 1, 2, 3" % (COUNTERS, COUNTERS, NO_COUNT))
    sums = ', '.join('sum(%s)' % c for c in COUNTER_NAMES)
    days = psql("SELECT kind, date_trunc('month', day::timestamp)::date, key, %s FROM stat_rollup"
                " GROUP BY 1, 2, 3 HAVING (%s) <> %s ORDER BY 1, 2, 3" % (sums, sums, NO_COUNT))
    return months, days


def month_row(rows, kind, month, key):
    """The counters of one row of rollup_months() by name, as text."""
    row = next(r for r in rows if r[:3] == [str(kind), month, key])
    return dict(zip(COUNTER_NAMES, row[3:]))


def department_id(code):
    """The rollup's key of a unit."""
    return psql("SELECT id FROM department WHERE code = '%s'" % code)[0][0]


def rebuild():
    out = run_hotline('report', 'rebuild')
    assert out.returncode == 0, out.stderr
    return out.stdout


def supervision_reference():
    """The API reference, src/api/openapi.json."""
    with open(os.path.join(ROOT, 'src', 'api', 'openapi.json'), encoding='utf-8') as f:
        return json.load(f)


def assert_documented(test, resp, path, method):
    """Checks a real response against the documented status and schema."""
    doc = supervision_reference()
    schema = Schema(doc)
    op = doc['paths'][path][method]
    test.assertIn(str(resp.status), op['responses'], resp)
    response = schema.resolve(op['responses'][str(resp.status)])
    if resp.status == 204:
        return
    ctype = resp.header('content-type').split(';')[0]
    test.assertIn(ctype, response['content'], resp)
    if ctype.endswith('json'):
        test.assertEqual(schema.errors(resp.json, response['content'][ctype]['schema']), [], resp)


def display_width(s):
    return sum(2 if unicodedata.east_asian_width(ch) in 'WF' else 1 for ch in s)


# --- what the fixture must give (hand computation) --------------------------
#
# order  lead  created (+08)      walk                                        completed (handling)
# O1     A     04-01 09:00        dispatch sign reply(solved, contacted)      04-03 09:00  Mon 15h + Tue 24h + Wed 9h = 48h = 2.0 wd
#                                 callback satisfied/solved
# O2     A     04-03 09:00        urgent (24 h clock); reply(not solved, not  04-08 09:00  Wed 15h, Thu-Sat 清明 off, Sun 7 (make-up)
#                                 contacted) at created+26h: LATE;                         24h, Mon 9h = 48h = 2.0 wd
#                                 callback basically/not solved
# O3     A     04-01 10:00        urgent; extension to created+48h approved;  created+32h  32h = 1.3333 wd
#                                 reply at created+30h: late for the first
#                                 deadline (~created+24h), ON TIME for the
#                                 extended one; callback satisfied/solved
# O4     B     04-02 09:00        dispatch A, A returns, re-dispatched to B;  04-12 09:00  Tue 15h, Wed 24h, Sun-Thu 5x24h,
#                                 B signs, replies; satisfied/solved                       Fri 9h = 168h = 7.0 wd
# O5     A     04-02 10:00        signed LATE (sign deadline moved back),     04-02 22:00  12h = 0.5 wd
#                                 reply contacted=true (so it responded);
#                                 callback unsatisfied, not solved (no reopen)
# O6     A     04-03 12:00        reply, REOPENED, signed and replied again;  04-07 12:00  Wed 12h + Sun 12h = 24h = 1.0 wd
#                                 callback satisfied/solved
# O7     -     04-02 11:00        MERGED into O1: not counted (merged: 1)
# O8     -     04-04 08:00        TRANSFERRED to 110: accepted, completed, on time
# O9     -     04-05 09:00        answered on the spot (咨询), then archived: accepted, completed, on time
# O10    B     04-06 15:00        dispatched, signed, in progress
# O11    A     04-07 09:00        replied (solved, contacted), awaiting callback
# O12    A     04-01 00:00:00     reply; callback UNREACHABLE (无法回访)         04-01 12:00  12h = 0.5 wd
# O13    B     04-06 10:00        channel 110 (police); reply, basically/     04-07 10:00  Sat off, Sun 10h = 0.4167 wd
#                                 solved
# O14    -     03-31 23:59:59     answered: before the period (hot topics: previous week)
# O15    -     04-08 00:00:00     answered: after the period ([from, to) excludes `to`)
# O16    A     04-02 14:00        signed LATE, reply NOT contacted (so not    04-03 14:00  Tue 10h + Wed 14h = 24h = 1.0 wd
#                                 responded); callback satisfied/solved
#
# Counted orders (O1-O13, O16 minus the merged O7): 13.   A: O1 O2 O3 O5 O6 O11 O12 O16 (8)
#                                                          B: O4 O10 O13 (3)   no lead: O8 O9 (2)
#
# total  accepted 13, completed 11 (all but O10, O11)             completion   11/13 = 0.8462
#        on time 10 (completed but O2)                            on time      10/11 = 0.9091
#        dispatched 11; signed in time 9 (not O5, O16)            timely sign   9/11 = 0.8182
#        responded 10 (signed in time, or contacted: O5)          response     10/11 = 0.9091
#        returned 1 (O4)                                          return        1/11 = 0.0909
#        replied 10 (the dispatched but O10); reopened 1 (O6)     reopen        1/10 = 0.1
#        callback due 10; rated 8 (not O11 waiting, O12 unreach.) callback      8/10 = 0.8
#        satisfied 7 (all rated but O5)                           satisfaction  7/8  = 0.875
#        solved 6 (rated and solved: not O2, O5)                  resolution    6/8  = 0.75
#        handled 9: 48+48+32+168+12+24+12+10+24 = 378 h / 9 = 42 h = 1.75 working days
# A      accepted 8, completed 7 (not O11)                        completion    7/8 = 0.875
#        on time 6 (not O2)                                       on time       6/7 = 0.8571
#        signed in time 6 of 8 (not O5, O16)                      timely sign   6/8 = 0.75
#        responded 7 (+O5)                                        response      7/8 = 0.875
#        returned 0 (O4's return went with O4 to B)               return        0/8 = 0.0
#        replied 8, reopened 1                                    reopen        1/8 = 0.125
#        callback due 8, rated 6 (not O11, O12)                   callback      6/8 = 0.75
#        satisfied 5 (not O5), solved 4 (O1 O3 O6 O16)            satisfaction  5/6 = 0.8333, resolution 4/6 = 0.6667
#        handled 7: 48+48+32+12+24+12+24 = 200 h / 7 = 28.571 h = 1.1905 -> 1.19 working days
#        三率 score 0.30 x 0.875 + 0.35 x 4/6 + 0.35 x 5/6 = 0.2625 + 0.2333 + 0.2917 = 0.7875: black list (< 0.80)
# B      accepted 3, completed 2 (not O10)                        completion    2/3 = 0.6667
#        on time 2; signed in time 3; responded 3                 1.0, 1.0, 1.0
#        returned 1 (O4)                                          return        1/3 = 0.3333
#        replied 2, reopened 0; callback due 2, rated 2           reopen 0.0, callback 1.0
#        satisfied 2, solved 2                                    satisfaction 1.0, resolution 1.0
#        handled 2: 168 + 10 = 178 h / 2 = 89 h = 3.7083 -> 3.71 working days
#        三率 score 0.30 + 0.35 + 0.35 = 1.0: red list (>= 0.95)
# none   accepted 2 (O8, O9), completed 2, on time 2; nothing dispatched: those rates null;
#        transferred 1, merged 1 (O7 has no lead unit)

TOTAL = {
    'accepted': 13, 'completed': 11, 'completion_rate': 0.8462, 'on_time_rate': 0.9091,
    'timely_sign_rate': 0.8182, 'return_rate': 0.0909, 'reopen_rate': 0.1, 'callback_rate': 0.8,
    'satisfaction_rate': 0.875, 'resolution_rate': 0.75, 'response_rate': 0.9091,
    'avg_handling_workdays': 1.75,
    'on_time': 10, 'dispatched': 11, 'signed_timely': 9, 'responded': 10, 'returned': 1,
    'extended': 1, 'replied': 10, 'reopened': 1, 'callback_due': 10, 'rated': 8, 'satisfied': 7,
    'solved': 6, 'unreachable': 1, 'transferred': 1, 'merged': 1, 'handled': 9,
}
DEPT_A = {
    'accepted': 8, 'completed': 7, 'completion_rate': 0.875, 'on_time_rate': 0.8571,
    'timely_sign_rate': 0.75, 'return_rate': 0.0, 'reopen_rate': 0.125, 'callback_rate': 0.75,
    'satisfaction_rate': 0.8333, 'resolution_rate': 0.6667, 'response_rate': 0.875,
    'avg_handling_workdays': 1.19, 'extended': 1, 'unreachable': 1, 'handled': 7,
}
DEPT_B = {
    'accepted': 3, 'completed': 2, 'completion_rate': 0.6667, 'on_time_rate': 1.0,
    'timely_sign_rate': 1.0, 'return_rate': 0.3333, 'reopen_rate': 0.0, 'callback_rate': 1.0,
    'satisfaction_rate': 1.0, 'resolution_rate': 1.0, 'response_rate': 1.0,
    'avg_handling_workdays': 3.71, 'returned': 1, 'handled': 2,
}
NO_LEAD = {
    'accepted': 2, 'completed': 2, 'completion_rate': 1.0, 'on_time_rate': 1.0,
    'timely_sign_rate': None, 'return_rate': None, 'reopen_rate': None, 'callback_rate': None,
    'satisfaction_rate': None, 'resolution_rate': None, 'response_rate': None,
    'avg_handling_workdays': None, 'transferred': 1, 'merged': 1,
}
WEEK = {'from': '2024-04-01', 'to': '2024-04-08'}


class OrderStatistics(OrdersTestCase):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        try:
            psql("UPDATE work_order SET created_at = created_at - interval '100 years'"
                 " WHERE created_at >= '2024-03-25T00:00:00+08:00'"
                 " AND created_at < '2024-05-15T00:00:00+08:00'")
            cls.build_fixture()
            # The report as the triggers kept it, before any rebuild.
            cls.incremental = cls.stats_of(cls.supervisor, **WEEK)
            cls.months_incremental = rollup_months()
            # Handling times are computed when an order completes, from the real
            # times of the walk; recompute them from the moved ones.
            psql("DELETE FROM order_handling WHERE order_id IN (SELECT id FROM work_order"
                 " WHERE created_at >= '2024-03-25T00:00:00+08:00'"
                 " AND created_at < '2024-04-15T00:00:00+08:00')")
            cls.before_rebuild = cls.stats_of(cls.supervisor, **WEEK)
            rebuild()
            cls.report = cls.stats_of(cls.supervisor, **WEEK)
            cls.months_rebuilt = rollup_months()
        except BaseException:
            cls.tearDownClass()
            raise

    @staticmethod
    def stats_of(actor, path='/api/v1/stats/orders', **query):
        r = actor.get(path + '?' + urlencode(query))
        assert r.status == 200, r
        return r.json

    @classmethod
    def walk(cls, actor, number, action, **body):
        r = actor.act(number, action, **body)
        assert r.status == 200, '%s %s: %r' % (action, number, r)
        return r.json

    @classmethod
    def create(cls, **fields):
        return cls.agent.create_order(**fields)['number']

    @classmethod
    def build_fixture(cls):
        a, b = cls.depts.a, cls.depts.b
        ag, ha, hb = cls.agent, cls.ha, cls.hb
        w = cls.walk
        reply = {'result': '已处理', 'solved': True, 'contacted': True}
        satisfied = {'satisfaction': 'satisfied', 'solved': True}
        n = cls.n = {}

        n['O1'] = cls.create(category='010101', district='D01', address=A1)
        w(ag, n['O1'], 'dispatch', department=a)
        n['O7'] = cls.create(category='010101', district='D02', address=A1)
        w(ag, n['O7'], 'merge', into=n['O1'])
        w(ha, n['O1'], 'sign')
        w(ha, n['O1'], 'reply', **reply)
        w(ag, n['O1'], 'callback', **satisfied)

        n['O2'] = cls.create(category='010101', district='D01', address=A1, urgency='urgent')
        w(ag, n['O2'], 'dispatch', department=a)
        w(ha, n['O2'], 'sign')
        w(ha, n['O2'], 'reply', result='暂未解决', solved=False, contacted=False)
        w(ag, n['O2'], 'callback', satisfaction='basically', solved=False)

        n['O3'] = cls.create(category='010102', district='D01', address=A3, urgency='urgent')
        created = parse_iso(ag.order(n['O3']).json['created_at'])
        w(ag, n['O3'], 'dispatch', department=a)
        w(ha, n['O3'], 'sign')
        until = (created + datetime.timedelta(hours=48)).isoformat()
        w(ha, n['O3'], 'request_extension', reason='需要协调施工单位', until=until)
        w(cls.supervisor, n['O3'], 'approve_extension')
        w(ha, n['O3'], 'reply', **reply)
        w(ag, n['O3'], 'callback', **satisfied)
        cls.o3_extension = next(e for e in ag.events(n['O3']).json if e['action'] == 'approve_extension')
        cls.o3_created = created

        n['O4'] = cls.create(category='010101', district='D01', address=A2)
        w(ag, n['O4'], 'dispatch', department=a)
        w(ha, n['O4'], 'return', reason='不属于本单位职责')
        w(cls.reviewer, n['O4'], 'approve_return', department=b)
        w(hb, n['O4'], 'sign')
        w(hb, n['O4'], 'reply', **reply)
        w(ag, n['O4'], 'callback', **satisfied)

        n['O5'] = cls.create(category='010102', district='D01', address=A3)
        w(ag, n['O5'], 'dispatch', department=a)
        psql("UPDATE work_order SET sign_deadline = now() - interval '1 minute' WHERE number = '%s'" % n['O5'])
        w(ha, n['O5'], 'sign')
        w(ha, n['O5'], 'reply', result='已联系市民', solved=False, contacted=True)
        w(ag, n['O5'], 'callback', satisfaction='unsatisfied', solved=False)

        n['O6'] = cls.create(category='010102', district='D01', address=A3)
        w(ag, n['O6'], 'dispatch', department=a)
        w(ha, n['O6'], 'sign')
        w(ha, n['O6'], 'reply', result='已处理', solved=False, contacted=True)
        w(ag, n['O6'], 'reopen', reason='市民反映未修复')
        w(ha, n['O6'], 'sign')
        w(ha, n['O6'], 'reply', **reply)
        w(ag, n['O6'], 'callback', **satisfied)

        n['O8'] = cls.create(category=None, district='D02', address=A4)
        w(ag, n['O8'], 'transfer_out', target='110')

        n['O9'] = cls.create(category='010102', district='D02', address=A3, request_type='consult')
        w(ag, n['O9'], 'answer', answer='可到社区服务站办理')
        w(cls.supervisor, n['O9'], 'archive')

        n['O10'] = cls.create(category='010101', district='D02', address=A2)
        w(ag, n['O10'], 'dispatch', department=b)
        w(hb, n['O10'], 'sign')

        n['O11'] = cls.create(category='010102', district='D02', address=A3)
        w(ag, n['O11'], 'dispatch', department=a)
        w(ha, n['O11'], 'sign')
        w(ha, n['O11'], 'reply', **reply)

        n['O12'] = cls.create(category='010102', district='D02', address=A3)
        w(ag, n['O12'], 'dispatch', department=a)
        w(ha, n['O12'], 'sign')
        w(ha, n['O12'], 'reply', result='已处理', solved=False, contacted=False)
        w(ag, n['O12'], 'callback', unreachable=True)

        n['O13'] = cls.create(category='010101', district='D02', address=A2, channel='police')
        w(ag, n['O13'], 'dispatch', department=b)
        w(hb, n['O13'], 'sign')
        w(hb, n['O13'], 'reply', **reply)
        w(ag, n['O13'], 'callback', satisfaction='basically', solved=True)

        for key in ('O14', 'O15'):
            n[key] = cls.create(category='010101', district='D01', address=A1)
            w(ag, n[key], 'answer', answer='已答复')

        n['O16'] = cls.create(category='010101', district='D01', address=A3)
        w(ag, n['O16'], 'dispatch', department=a)
        psql("UPDATE work_order SET sign_deadline = now() - interval '1 minute' WHERE number = '%s'" % n['O16'])
        w(ha, n['O16'], 'sign')
        w(ha, n['O16'], 'reply', result='已处理', solved=True, contacted=False)
        w(ag, n['O16'], 'callback', **satisfied)

        place(n['O1'], '2024-04-01T09:00:00+08:00', '2024-04-03T09:00:00+08:00')
        place(n['O2'], '2024-04-03T09:00:00+08:00', '2024-04-08T09:00:00+08:00',
              replied_at="created_at + interval '26 hours'")
        place(n['O3'], '2024-04-01T10:00:00+08:00', '2024-04-02T18:00:00+08:00',
              replied_at="created_at + interval '30 hours'")
        place(n['O4'], '2024-04-02T09:00:00+08:00', '2024-04-12T09:00:00+08:00')
        place(n['O5'], '2024-04-02T10:00:00+08:00', '2024-04-02T22:00:00+08:00')
        place(n['O6'], '2024-04-03T12:00:00+08:00', '2024-04-07T12:00:00+08:00')
        place(n['O7'], '2024-04-02T11:00:00+08:00')
        place(n['O8'], '2024-04-04T08:00:00+08:00')
        place(n['O9'], '2024-04-05T09:00:00+08:00')
        place(n['O10'], '2024-04-06T15:00:00+08:00')
        place(n['O11'], '2024-04-07T09:00:00+08:00')
        place(n['O12'], '2024-04-01T00:00:00+08:00', '2024-04-01T12:00:00+08:00')
        place(n['O13'], '2024-04-06T10:00:00+08:00', '2024-04-07T10:00:00+08:00')
        place(n['O14'], '2024-03-31T23:59:59+08:00')
        place(n['O15'], '2024-04-08T00:00:00+08:00')
        place(n['O16'], '2024-04-02T14:00:00+08:00', '2024-04-03T14:00:00+08:00')

    # --- helpers

    def assertFigures(self, actual, expected, what):
        for key, value in expected.items():
            self.assertEqual(actual[key], value, '%s: %s' % (what, key))

    def row(self, report, key):
        rows = [r for r in report['rows'] if r['key'] == key]
        self.assertEqual(len(rows), 1, 'one row for %r in %r' % (key, report['rows']))
        return rows[0]

    # --- the report

    def test_every_rate_of_the_week_matches_the_hand_computation(self):
        r = self.report
        self.assertEqual((r['from'], r['to'], r['by']),
                         ('2024-04-01T00:00:00+08:00', '2024-04-08T00:00:00+08:00', 'department'))
        self.assertFigures(r['total'], TOTAL, 'total')
        self.assertFigures(self.row(r, self.depts.a), DEPT_A, 'department A')
        self.assertFigures(self.row(r, self.depts.b), DEPT_B, 'department B')
        self.assertFigures(self.row(r, None), NO_LEAD, 'orders without a lead unit')
        self.assertEqual(self.row(r, self.depts.a)['name'], '测试一局' + self.depts.suffix)
        self.assertEqual(self.row(r, None)['name'], '未派单')
        self.assertEqual(len(r['rows']), 3)
        self.assertEqual([x['key'] for x in r['rows']], [self.depts.a, self.depts.b, None],
                         'rows by accepted orders, most first')

    def test_the_extension_made_the_late_reply_on_time(self):
        # O3 was replied 30 h after registration: after its first deadline
        # (dispatch + 24 h), before the extended one (registration + 48 h).
        payload = self.o3_extension['payload']
        first = parse_iso(payload['old_deadline']) - self.o3_created
        extended = parse_iso(payload['new_deadline']) - self.o3_created
        self.assertLess(first, datetime.timedelta(hours=30))
        self.assertGreater(extended, datetime.timedelta(hours=30))
        self.assertEqual(self.report['total']['on_time'], 10)

    def test_the_triggers_kept_the_counts_without_a_rebuild(self):
        counts = {k: v for k, v in TOTAL.items() if k != 'avg_handling_workdays'}
        self.assertFigures(self.incremental['total'], counts, 'incremental total')
        self.assertFigures(self.before_rebuild['total'],
                           dict(counts, handled=0, avg_handling_workdays=None),
                           'after the handling times were deleted')

    def test_a_period_that_does_not_start_or_end_at_midnight(self):
        # [04-01 08:00, 04-07 08:00) leaves out O12 (04-01 00:00) and O11 (04-07 09:00):
        # accepted 11, completed 10, on time 9 (not O2); dispatched 9, signed in time 7,
        # responded 8; replied 8, all rated: callback 8/8; handled 8:
        # 48+48+32+168+12+24+10+24 = 366 h / 8 = 45.75 h = 1.90625 -> 1.91 working days.
        r = self.stats_of(self.supervisor, **{'from': '2024-04-01T08:00:00+08:00',
                                               'to': '2024-04-07T08:00:00+08:00'})
        self.assertFigures(r['total'], {
            'accepted': 11, 'completed': 10, 'completion_rate': 0.9091, 'on_time_rate': 0.9,
            'dispatched': 9, 'timely_sign_rate': 0.7778, 'response_rate': 0.8889,
            'replied': 8, 'callback_due': 8, 'rated': 8, 'callback_rate': 1.0, 'unreachable': 0,
            'avg_handling_workdays': 1.91}, 'part days')

    def test_the_month_rollup_is_the_days_summed(self):
        # April 2024 by lead unit: A's eight orders, B's three (O4 O10 O13), without
        # a lead O8 O9 O15 and the merged O7; A's handling times after the rebuild:
        # 200 h (see the hand computation above) = 720000 s.
        a, b = (department_id(code) for code in (self.depts.a, self.depts.b))
        for what, (months, days) in (('kept by the triggers', self.months_incremental),
                                     ('rebuilt', self.months_rebuilt)):
            with self.subTest(what):
                self.assertEqual(months, days)
                april = {k: month_row(months, 1, '2024-04-01', k) for k in (a, b, '')}
                self.assertEqual((april[a]['accepted'], april[b]['accepted'], april['']['accepted'],
                                  april['']['merged']), ('8', '3', '3', '1'))
        april_a = month_row(self.months_rebuilt[0], 1, '2024-04-01', a)
        self.assertEqual((april_a['handled'], april_a['handling_seconds']), ('7', '720000'))

    def test_a_whole_month_with_whole_and_part_days_around_it(self):
        # [03-30 12:00, 05-02 12:00): the part of 30 March and of 2 May are counted
        # from the orders, 31 March and 1 May from the day rollup, April from the
        # month rollup. New orders (no category, address A5: hot topics are not
        # moved) fill the segments the fixture leaves empty:
        #   P1 03-30 18:00  answered                 part day before
        #   O14 03-31 23:59:59                       whole day before
        #   O1-O13, O16, O15 (04-08)                 the month
        #   P2 05-01 09:00  dispatched to B, signed  whole day after
        #   P3 05-02 08:00  transferred to 110       part day after
        #   X1 03-30 11:00, X2 05-02 12:00: just outside.
        # accepted 13 + O14 + O15 + P1 + P2 + P3 = 18, merged 1 (O7); dispatched
        # 11 + P2 = 12; transferred O8 + P3 = 2; B: O4 O10 O13 P2 = 4 accepted;
        # without a lead: O8 O9 O14 O15 P1 P3 = 6 accepted.
        ag, w = self.agent, self.walk
        p = {}
        for key in ('P1', 'P2', 'P3', 'X1', 'X2'):
            p[key] = self.create(category=None, district='D02', address=A5)
        for key in ('P1', 'X1', 'X2'):
            w(ag, p[key], 'answer', answer='已答复')
        w(ag, p['P2'], 'dispatch', department=self.depts.b)
        w(self.hb, p['P2'], 'sign')
        w(ag, p['P3'], 'transfer_out', target='110')
        for key, at in (('P1', '2024-03-30T18:00:00+08:00'), ('X1', '2024-03-30T11:00:00+08:00'),
                        ('P2', '2024-05-01T09:00:00+08:00'), ('P3', '2024-05-02T08:00:00+08:00'),
                        ('X2', '2024-05-02T12:00:00+08:00')):
            place(p[key], at)
        t0, t1 = '2024-03-30T12:00:00+08:00', '2024-05-02T12:00:00+08:00'

        r = self.stats_of(self.supervisor, **{'from': t0, 'to': t1})
        self.assertFigures(r['total'], {'accepted': 18, 'merged': 1, 'dispatched': 12, 'transferred': 2},
                           'total')
        self.assertEqual(self.row(r, self.depts.b)['accepted'], 4)
        self.assertEqual(self.row(r, None)['accepted'], 6)
        # April alone, from the month rollup only: the week's 13 and O15.
        april = self.stats_of(self.supervisor, **{'from': '2024-04-01', 'to': '2024-05-01'})
        self.assertFigures(april['total'], {'accepted': 14, 'merged': 1, 'dispatched': 11}, 'April')

        # Every counter of every row equals those orders counted one by one.
        names = COUNTER_NAMES[:-1]      # handling_seconds is not shown
        direct = psql("SELECT coalesce(d.code, ''), %s FROM (SELECT o.lead_department_id AS lead,"
                      " stat_facts(o, h.seconds) AS f FROM work_order o"
                      " LEFT JOIN order_handling h ON h.order_id = o.id"
                      " WHERE o.created_at >= '%s' AND o.created_at < '%s') s"
                      " LEFT JOIN department d ON d.id = s.lead GROUP BY 1 ORDER BY 1"
                      % (', '.join('sum(f[%d])' % (i + 1) for i in range(len(names))), t0, t1))
        expected = {row[0]: [int(v) for v in row[1:]] for row in direct}
        self.assertEqual({x['key'] or '': [x[c] for c in names] for x in r['rows']}, expected)
        self.assertEqual([r['total'][c] for c in names], [sum(v) for v in zip(*expected.values())])

    def test_other_breakdowns_add_up_to_the_same_total(self):
        for by in ('category', 'district', 'channel', 'request_type'):
            with self.subTest(by=by):
                r = self.stats_of(self.supervisor, by=by, **WEEK)
                self.assertEqual(r['by'], by)
                self.assertEqual(r['total'], self.report['total'])
                self.assertEqual(sum(x['accepted'] for x in r['rows']), 13)
                self.assertEqual(sum(x['merged'] for x in r['rows']), 1)
        police = self.row(self.stats_of(self.supervisor, by='channel', **WEEK), 'police')
        self.assertEqual((police['name'], police['accepted'], police['satisfaction_rate']),
                         ('110转办', 1, 1.0))
        consult = self.row(self.stats_of(self.supervisor, by='request_type', **WEEK), 'consult')
        self.assertEqual((consult['name'], consult['accepted'], consult['completed']), ('咨询', 1, 1))
        cats = self.stats_of(self.supervisor, by='category', **WEEK)
        self.assertEqual(self.row(cats, None)['name'], '未分类')
        self.assertEqual(self.row(cats, '010101')['accepted'], 6)   # O1 O2 O4 O10 O13 O16

    def test_wrong_requests(self):
        for query in ({'to': '2024-04-08'}, {'from': '2024-04-08', 'to': '2024-04-01'},
                      dict(WEEK, by='colour'), {'from': 'yesterday', 'to': '2024-04-08'},
                      dict(WEEK, format='xml')):
            with self.subTest(query=query):
                self.assertProblem(self.supervisor.get('/api/v1/stats/orders?' + urlencode(query)), 400)
        self.assertProblem(self.agent.get('/api/v1/stats/orders?' + urlencode(WEEK)), 403)
        self.assertProblem(self.ha.get('/api/v1/stats/ranking?' + urlencode(WEEK)), 403)

    def test_responses_match_the_api_reference(self):
        for path, query in (('/api/v1/stats/orders', dict(WEEK, by='category')),
                            ('/api/v1/stats/orders', dict(WEEK, format='csv')),
                            ('/api/v1/stats/ranking', WEEK),
                            ('/api/v1/stats/hot-topics', WEEK),
                            ('/api/v1/stats/orders', {'from': '2024-04-08', 'to': '2024-04-01'})):
            with self.subTest(path=path, query=query):
                r = self.supervisor.get(path + '?' + urlencode(query))
                assert_documented(self, r, path, 'get')
        for path in ('/api/v1/settings/callbacks', '/api/v1/settings/ranking'):
            assert_documented(self, self.admin.get(path), path, 'get')
        r = self.admin.put('/api/v1/settings/ranking', {'min_dispatched': 0})
        assert_documented(self, r, '/api/v1/settings/ranking', 'put')

    # --- ranking

    def test_ranking_red_and_black_lists(self):
        r = self.stats_of(self.reviewer, '/api/v1/stats/ranking', **WEEK)
        self.assertEqual(r['settings']['weights'], {'response': 0.3, 'resolution': 0.35, 'satisfaction': 0.35})
        rows = [(x['rank'], x['key'], x['score'], x['list']) for x in r['rows']]
        self.assertEqual(rows, [(1, self.depts.b, 1.0, 'red'), (2, self.depts.a, 0.7875, 'black')])
        a = r['rows'][1]
        self.assertEqual((a['response_rate'], a['resolution_rate'], a['satisfaction_rate']),
                         (0.875, 0.6667, 0.8333))
        self.assertEqual([x['key'] for x in r['red_list']], [self.depts.b])
        self.assertEqual([x['key'] for x in r['black_list']], [self.depts.a])

    def test_ranking_follows_the_configured_weights_and_thresholds(self):
        try:
            r = self.admin.put('/api/v1/settings/ranking',
                               {'weights': {'response': 0.5, 'resolution': 0.25, 'satisfaction': 0.25},
                                'black_max': 0.7})
            self.assertEqual(r.status, 200, r)
            # A: 0.5 x 0.875 + 0.25 x 4/6 + 0.25 x 5/6 = 0.4375 + 0.1667 + 0.2083 = 0.8125
            ranking = self.stats_of(self.supervisor, '/api/v1/stats/ranking', **WEEK)
            a = next(x for x in ranking['rows'] if x['key'] == self.depts.a)
            self.assertEqual((a['score'], a['list']), (0.8125, None))
            self.assertEqual(ranking['black_list'], [])
            bad = self.admin.put('/api/v1/settings/ranking',
                                 {'weights': {'response': 0.5, 'resolution': 0.5, 'satisfaction': 0.5}})
            self.assertProblem(bad, 422, field='weights')
            self.assertProblem(self.admin.put('/api/v1/settings/ranking', {'red_min': 0.5}), 422,
                               field='red_min')
        finally:
            self.admin.put('/api/v1/settings/ranking',
                           {'weights': {'response': 0.3, 'resolution': 0.35, 'satisfaction': 0.35},
                            'red_min': 0.95, 'black_max': 0.8, 'min_dispatched': 1})

    # --- hot topics

    def test_hot_topics_against_the_previous_week(self):
        # Categories (merged repeat calls count): 道路破损 010101 O1 O2 O4 O7 O10 O13 O16 = 7,
        # the week before O14 = 1 (+6, +600%); 路灯 010102 O3 O5 O6 O9 O11 O12 = 6, before 0.
        # Addresses: A3 7; A1 O1 O2 O7 = 3 (before: O14); A2 O4 O10 O13 = 3; A4 O8 = 1.
        r = self.stats_of(self.agent, '/api/v1/stats/hot-topics', limit=3, **WEEK)
        self.assertEqual(r['previous'], {'from': '2024-03-25T00:00:00+08:00', 'to': '2024-04-01T00:00:00+08:00'})
        self.assertEqual([(c['key'], c['name'], c['count'], c['previous'], c['change'], c['change_rate'])
                          for c in r['categories']],
                         [('010101', '道路破损', 7, 1, 6, 6.0), ('010102', '路灯', 6, 0, 6, None)])
        self.assertEqual([(x['address'], x['count'], x['previous'], x['change_rate']) for x in r['addresses']],
                         [(A3, 7, 0, None), (A1, 3, 1, 2.0), (A2, 3, 0, None)])

    # --- exports

    def test_csv_export_has_a_bom_and_chinese_names(self):
        r = self.supervisor.get('/api/v1/stats/orders?' + urlencode(dict(WEEK, format='csv')))
        self.assertEqual(r.status, 200, r)
        self.assertTrue(r.header('content-type').startswith('text/csv'), r)
        self.assertIn('attachment', r.header('content-disposition'))
        self.assertTrue(r.raw.startswith(b'\xef\xbb\xbf'), r.raw[:20])
        rows = list(csv.reader(io.StringIO(r.raw.decode('utf-8-sig'), newline='')))
        self.assertEqual(rows[0][:5], ['编码', '名称', '受理量', '办结量', '办结率'])
        by_name = {row[1]: dict(zip(rows[0], row)) for row in rows[1:]}
        a = by_name['测试一局' + self.depts.suffix]
        self.assertEqual((a['编码'], a['受理量'], a['办结率'], a['满意率'], a['平均办理工作日']),
                         (self.depts.a, '8', '0.875', '0.8333', '1.19'))
        self.assertEqual(by_name['未派单']['及时签收率'], '')
        self.assertEqual(rows[-1][1], '合计')
        self.assertEqual(by_name['合计']['受理量'], '13')
        ranking = self.supervisor.get('/api/v1/stats/ranking?' + urlencode(dict(WEEK, format='csv')))
        self.assertTrue(ranking.raw.startswith(b'\xef\xbb\xbf'))
        self.assertIn('测试二局' + self.depts.suffix, ranking.raw.decode('utf-8-sig'))

    def test_report_command_json_equals_the_api(self):
        out = run_hotline('report', 'orders', '--from', '2024-04-01', '--to', '2024-04-08',
                          '--by', 'department', '--format', 'json')
        self.assertEqual(out.returncode, 0, out.stderr)
        self.assertEqual(json.loads(out.stdout), self.report)

    def test_report_command_table_is_aligned(self):
        out = run_hotline('report', 'orders', '--from', '2024-04-01', '--to', '2024-04-08')
        self.assertEqual(out.returncode, 0, out.stderr)
        lines = out.stdout.splitlines()
        table = lines[lines.index(next(l for l in lines if l.startswith('名称'))):]
        self.assertTrue(table[1].startswith('---'))
        widths = {display_width(l) for l in table}
        self.assertEqual(len(widths), 1, 'columns not aligned:\n' + out.stdout)
        a = next(l for l in table if l.startswith('测试一局' + self.depts.suffix))
        self.assertIn('87.50%', a)
        total = table[-1]
        self.assertTrue(total.startswith('合计'))
        self.assertEqual(total.split()[1:5], ['13', '11', '84.62%', '90.91%'])
        self.assertTrue(total.rstrip().endswith('1.75'))

    def test_report_command_csv_and_ranking(self):
        out = run_hotline('report', 'orders', '--from', '2024-04-01', '--to', '2024-04-08',
                          '--by', 'channel', '--format', 'csv')
        self.assertEqual(out.returncode, 0, out.stderr)
        self.assertTrue(out.stdout.startswith('\ufeff编码,名称,受理量'))
        self.assertIn('police,110转办,1,1,', out.stdout)
        out = run_hotline('report', 'ranking', '--from', '2024-04-01', '--to', '2024-04-08')
        self.assertEqual(out.returncode, 0, out.stderr)
        self.assertIn('红榜: 测试二局%s (1.0)' % self.depts.suffix, out.stdout)
        self.assertIn('黑榜: 测试一局%s (0.7875)' % self.depts.suffix, out.stdout)
        bad = run_hotline('report', 'orders', '--from', '2024-04-01')
        self.assertEqual(bad.returncode, 2)
        self.assertIn('--to', bad.stderr)


class RollupExactness(OrdersTestCase):
    """The rollup kept by the triggers equals a recount from scratch after orders
    move through every kind of change."""

    def test_incremental_counts_equal_a_rebuild(self):
        rebuild()       # starts from an exact rollup with every handling time
        d = self.depts
        done = self.order_in('completed')
        self.order_in('archived')
        self.order_in('transferred')
        self.order_in('merged')
        self.order_in('extension_requested')
        late = self.order_in('in_progress')
        psql("UPDATE work_order SET sign_overdue = true WHERE number = '%s'" % late)
        moved = self.order_in('awaiting_callback')
        self.step(self.agent, moved, 'reopen', 'dispatched', reason='未解决')
        self.step(self.ha, moved, 'return', 'return_requested', reason='非本单位')
        self.step(self.reviewer, moved, 'approve_return', 'dispatched', department=d.b)
        # Orders change day, category and district behind the API's back too.
        place(done, '2024-05-06T10:00:00+08:00', '2024-05-07T10:00:00+08:00')
        psql("UPDATE work_order SET category_code = '010102', district_id ="
             " (SELECT id FROM department WHERE code = 'D02') WHERE number = '%s'" % moved)
        psql("UPDATE order_handling SET seconds = seconds + 3600 WHERE order_id ="
             " (SELECT id FROM work_order WHERE number = '%s')" % done)
        kept = rollup_dump()
        self.assertTrue(kept)
        rebuild()
        self.assertEqual(rollup_dump(), kept)

    def test_month_rollup_kept_equals_a_rebuild(self):
        # Orders move within June 2024 and across the end of May; a month row
        # must follow each move, and equal the days summed and a recount.
        psql("UPDATE work_order SET created_at = created_at - interval '100 years'"
             " WHERE created_at >= '2024-05-16T00:00:00+08:00'"
             " AND created_at < '2024-07-01T00:00:00+08:00'")
        rebuild()
        early = self.order_in('completed')
        late = self.order_in('awaiting_callback')
        merged = self.order_in('merged')
        place(early, '2024-05-31T23:30:00+08:00')
        place(late, '2024-06-01T00:30:00+08:00')
        place(merged, '2024-06-10T12:00:00+08:00')
        self.step(self.agent, late, 'callback', 'completed', satisfaction='satisfied', solved=True)
        place(early, '2024-06-01T08:00:00+08:00')        # into June
        place(late, '2024-06-20T09:00:00+08:00')         # another day of the same month
        months, days = rollup_months()
        self.assertEqual(months, days)
        # June, lead unit A: both orders, completed; the merged one without a lead.
        a = department_id(self.depts.a)
        june_a, june_none = (month_row(months, 1, '2024-06-01', k) for k in (a, ''))
        self.assertEqual((june_a['accepted'], june_a['completed'], june_none['merged']), ('2', '2', '1'))
        rebuild()
        self.assertEqual(rollup_months(), (months, months))

    def test_handling_time_is_computed_when_an_order_completes(self):
        number = self.order_in('awaiting_callback')
        psql("UPDATE work_order SET created_at = created_at - interval '3 days' WHERE number = '%s'" % number)
        order = self.step(self.agent, number, 'callback', 'completed', satisfaction='satisfied', solved=True)
        seconds = int(psql("SELECT h.seconds FROM order_handling h JOIN work_order o ON o.id = h.order_id"
                           " WHERE o.number = '%s'" % number)[0][0])
        expected = Calendar().working_seconds(parse_iso(order['created_at']), parse_iso(order['completed_at']))
        self.assertLessEqual(abs(seconds - expected), 1)


class SupervisionLists(OrdersTestCase):

    def test_overdue_and_nearly_overdue_grouped_by_department(self):
        d = self.depts
        red = self.order_in('in_progress')
        yellow = self.order_in('in_progress')
        paused = self.order_in('suspended')
        sub = self.new_order()
        self.step(self.agent, sub, 'dispatch', 'dispatched', department=d.a1)
        psql("UPDATE work_order SET handle_deadline = now() - interval '1 hour',"
             " warn_at = now() - interval '2 hours' WHERE number IN ('%s', '%s', '%s')" % (red, paused, sub))
        psql("UPDATE work_order SET warn_at = now() - interval '1 minute' WHERE number = '%s'" % yellow)
        self.step(self.supervisor, red, 'press', 'in_progress', note='请今日办结', level=2)

        r = self.supervisor.get('/api/v1/supervision/overdue?department=' + d.a)
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.json['total'], {'red': 2, 'yellow': 1})
        groups = [(g['code'], g['red'], g['yellow'], [o['number'] for o in g['orders']])
                  for g in r.json['departments']]
        self.assertEqual(groups, [(d.a, 1, 1, [red, yellow]), (d.a1, 1, 0, [sub])])
        first = r.json['departments'][0]['orders'][0]
        self.assertEqual((first['alert'], first['press_count'], first['status_name']), ('red', 1, '办理中'))
        self.assertGreater(first['overdue_seconds'], 3000)
        self.assertLess(r.json['departments'][0]['orders'][1]['overdue_seconds'], 0)

        # A department sees its own subtree only; another unit sees none of these.
        own = self.ha1.get('/api/v1/supervision/overdue')
        self.assertEqual([g['code'] for g in own.json['departments']], [d.a1])
        other = self.hb.get('/api/v1/supervision/overdue?department=' + d.a)
        self.assertEqual(other.json['departments'], [])
        self.assertProblem(self.supervisor.get('/api/v1/supervision/overdue?department=NOPE-X'), 422,
                           field='department')
        assert_documented(self, r, '/api/v1/supervision/overdue', 'get')

    def test_pending_decisions_oldest_first(self):
        d = self.depts
        returned = self.order_in('return_requested')
        extension = self.order_in('extension_requested')
        r = self.reviewer.get('/api/v1/supervision/pending-decisions?department=' + d.a)
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.json['counts'], {'extension': 1, 'return': 1})
        items = [(i['number'], i['kind'], i['reason']) for i in r.json['items']]
        self.assertEqual(items, [(returned, 'return', '不属于本单位职责'), (extension, 'extension', '需要协调')])
        self.assertIsNotNone(r.json['items'][1]['requested_deadline'])
        self.assertEqual(r.json['items'][0]['requested_by'], self.ha.login)
        only = self.supervisor.get('/api/v1/supervision/pending-decisions?kind=extension&department=' + d.a)
        self.assertEqual([i['number'] for i in only.json['items']], [extension])
        self.assertProblem(self.supervisor.get('/api/v1/supervision/pending-decisions?kind=other'), 400)
        self.assertProblem(self.agent.get('/api/v1/supervision/pending-decisions'), 403)
        assert_documented(self, r, '/api/v1/supervision/pending-decisions', 'get')
