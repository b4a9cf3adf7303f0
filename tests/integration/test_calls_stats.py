"""Call statistics: GET /api/v1/stats/calls and `hotline report calls`.

The hand-computed fixture tests/fixtures/calls/stats_hand.csv (Asterisk
Master.csv) and stats_hand.queue_log hold these calls, local time +08:00
(wait = queue entry to answer or hang-up; talk = billsec, or the queue_log
calltime where there is one):

  #  start                what                                         counts as
  1  03-14 00:00:00       Queue, answered after 10 s, billsec 180      answered, ≤15 s
  2  03-14 08:15:00       Queue, answered after 20 s, billsec 300      answered
  3  03-14 09:00:00       Queue, hung up after 3 s                     abandoned, short
  4  03-14 09:30:00       Queue, hung up after 40 s                    abandoned
  5  03-14 10:00:00       context ivr-menu, ended in Hangup            IVR only: not offered
  6  03-14 11:00:00       8001 from-internal → 13900000006             callback: not offered
  7  03-14 12:00:00       dialled 12315 (not a hotline number)         other: not offered
  8  03-14 23:59:59       Queue, answered 00:00:05 next day (6 s)      day 14, answered, ≤15 s
  9  03-15 00:00:00       Queue, answered after 5 s, billsec 100       day 15, answered, ≤15 s
 10  03-15 10:00:00       CDR answered 2 s, billsec 400; queue_log:    answered, wait 30,
                          ENTERQUEUE 10:00:05, CONNECT holdtime 30,    talk 370, queue hotline
                          COMPLETECALLER calltime 370
 11  03-15 14:00:00       two CDRs (sequence 1 NO ANSWER to 8001,      one call: answered,
                          2 ANSWERED to 8002 after 20 s, billsec 300)  wait 20
 12  03-15 16:00:00       CANCEL after 4 s                             abandoned, short
 13  03-15 23:59:59       NO ANSWER after 30 s (ends on the 16th)      day 15, abandoned
 14  03-16 00:00:00       answered                                     outside [14th, 16th)
 15  03-13 23:59:59       abandoned after 10 s                         outside [14th, 16th)

Day 14: offered 5 (1 2 3 4 8), answered 3 (1 2 8), abandoned 2 (3 4), short 1 (3),
  within 15 s 2 (1 8): connection 3/5 = 0.6, service level 2/5 = 0.4, abandon 0.4,
  average wait (10+20+6)/3 = 12.0, average talk (180+300+120)/3 = 200.0.
Day 15: offered 5 (9 10 11 12 13), answered 3 (9 10 11), abandoned 2 (12 13),
  short 1 (12), within 15 s 1 (9): 0.6, 0.2, 0.4,
  wait (5+30+20)/3 = 18.33 → 18.3, talk (100+370+300)/3 = 256.67 → 256.7.
Both days: offered 10, answered 6, abandoned 4, short 2, within 15 s 3:
  0.6, 0.3, 0.4, wait 91/6 = 15.17 → 15.2, talk 1370/6 = 228.33 → 228.3.
Worst 24 hours in [14th, 16th): the windows start on the hours 14th 00:00 …
  15th 00:00. From 14th 09:00 to 15th 09:00: calls 3 4 8 9, answered 8 9 →
  2/4 = 0.5, the lowest (from 08:00 it holds 2 too: 3/5; from 10:00 call 4 is
  out: 2/2). Each day alone: 0.6.
Without the short abandons (3 and 12): offered 8, answered 6 → 0.75,
  abandoned 2, service level 3/8 = 0.375; the worst window 14th 09:00 holds
  4 8 9: 2/3 = 0.6667.
"""
import datetime
import os
import random
import shutil
import tempfile
import unittest
from urllib.parse import urlencode

from harness import ROOT, ServerTestCase, psql, run_hotline
from orders_fixture import add_user, create_token

FIXTURES = os.path.join(ROOT, 'tests', 'fixtures', 'calls')
CST = datetime.timezone(datetime.timedelta(hours=8))

DAY14 = {'offered': 5, 'answered': 3, 'abandoned': 2, 'short_abandoned': 1,
         'connection_rate': 0.6, 'service_level_15s': 0.4, 'abandon_rate': 0.4,
         'avg_wait_s': 12.0, 'avg_talk_s': 200.0, 'worst_24h_connection_rate': 0.6,
         'worst_24h_from': '2027-03-14T00:00:00+08:00'}
DAY15 = {'offered': 5, 'answered': 3, 'abandoned': 2, 'short_abandoned': 1,
         'connection_rate': 0.6, 'service_level_15s': 0.2, 'abandon_rate': 0.4,
         'avg_wait_s': 18.3, 'avg_talk_s': 256.7, 'worst_24h_connection_rate': 0.6,
         'worst_24h_from': '2027-03-15T00:00:00+08:00'}
TOTAL = {'offered': 10, 'answered': 6, 'abandoned': 4, 'short_abandoned': 2,
         'connection_rate': 0.6, 'service_level_15s': 0.3, 'abandon_rate': 0.4,
         'avg_wait_s': 15.2, 'avg_talk_s': 228.3, 'worst_24h_connection_rate': 0.5,
         'worst_24h_from': '2027-03-14T09:00:00+08:00', 'meets_standard': False}


def import_calls(*args):
    out = run_hotline('import-calls', *args)
    if out.returncode != 0:
        raise AssertionError('import-calls failed: %s%s' % (out.stdout, out.stderr))
    return out


def cdr_line(uid, start, wait, talk, dst='12345', context='from-trunk', src='13900000000',
             app='Queue'):
    """One Asterisk Master.csv line (18 columns): answered after `wait`
    seconds with `talk` seconds of billsec, or hung up after `wait` when
    talk is None."""
    s = start
    if talk is None:
        ans, end, disp, dstch = '', s + datetime.timedelta(seconds=wait), 'NO ANSWER', ''
    else:
        a = s + datetime.timedelta(seconds=wait)
        ans, end, disp, dstch = a.strftime('%Y-%m-%d %H:%M:%S'), \
            a + datetime.timedelta(seconds=talk), 'ANSWERED', 'SIP/8001-0001'
    fmt = '%Y-%m-%d %H:%M:%S'
    return ('"","{src}","{dst}","{ctx}","{src}","SIP/trunk-1","{dstch}","{app}","hotline",'
            '"{start}","{ans}","{end}",{dur},{bill},"{disp}","DOCUMENTATION","{uid}",""\n').format(
        src=src, dst=dst, ctx=context, dstch=dstch, app=app, start=s.strftime(fmt), ans=ans,
        end=end.strftime(fmt), dur=int((end - s).total_seconds()), bill=talk or 0,
        disp=disp, uid=uid)


class StatsCase(ServerTestCase):
    # The hand-computed fixtures hold a few calls a day: every window counts.
    server_env = {'HOTLINE_WINDOW_MIN_OFFERED': '1'}

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        try:
            cls.token = create_token(add_user('supervisor'))
            cls.tmp = tempfile.mkdtemp(prefix='hotline-stats-')
            cls.load()
        except BaseException:
            cls.server.stop()
            raise

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.tmp, ignore_errors=True)
        super().tearDownClass()

    @classmethod
    def load(cls):
        pass

    def stats(self, token=None, **query):
        return self.client.get('/api/v1/stats/calls?' + urlencode(query),
                               headers={'Authorization': 'Bearer ' + (token or self.token)})

    def ok_stats(self, **query):
        r = self.stats(**query)
        self.assertEqual(r.status, 200, r)
        return r.json

    def assertFigures(self, got, expected):
        self.assertEqual({k: got[k] for k in expected}, expected)


class HandComputed(StatsCase):
    """The fixture described at the top of this file."""

    @classmethod
    def load(cls):
        # Fixed content: a second run finds every record already there, and
        # the figures stay the same.
        import_calls(os.path.join(FIXTURES, 'stats_hand.csv'),
                     os.path.join(FIXTURES, 'stats_hand.queue_log'))

    def test_two_days_match_the_hand_computation(self):
        j = self.ok_stats(**{'from': '2027-03-14T00:00:00+08:00', 'to': '2027-03-16T00:00:00+08:00',
                             'granularity': 'day'})
        self.assertFigures(j['total'], TOTAL)
        self.assertEqual([r['bucket'] for r in j['rows']],
                         ['2027-03-14T00:00:00+08:00', '2027-03-15T00:00:00+08:00'])
        self.assertFigures(j['rows'][0], DAY14)
        self.assertFigures(j['rows'][1], DAY15)
        self.assertEqual(j['definitions'], {'short_abandon_seconds': 5, 'short_abandons_offered': True,
                                            'service_level_seconds': 15,
                                            'standard_connection_rate': 0.95, 'window_min_offered': 1})

    def test_short_abandons_can_be_left_out_of_offered(self):
        j = self.ok_stats(**{'from': '2027-03-14T00:00:00+08:00', 'to': '2027-03-16T00:00:00+08:00',
                             'short_abandons': 'exclude'})
        self.assertFigures(j['total'], {
            'offered': 8, 'answered': 6, 'abandoned': 2, 'short_abandoned': 2,
            'connection_rate': 0.75, 'service_level_15s': 0.375, 'abandon_rate': 0.25,
            'worst_24h_connection_rate': 0.6667, 'worst_24h_from': '2027-03-14T09:00:00+08:00'})
        self.assertFalse(j['definitions']['short_abandons_offered'])

    def test_a_day_is_from_midnight_to_midnight(self):
        # [14th, 15th): call 8 at 23:59:59 is in, call 9 at 00:00:00 of the 15th is not
        j = self.ok_stats(**{'from': '2027-03-14T00:00:00+08:00', 'to': '2027-03-15T00:00:00+08:00'})
        self.assertFigures(j['total'], {k: v for k, v in DAY14.items()
                                        if not k.startswith('worst')})
        # [15th, 16th): call 13 at 23:59:59 is in, call 14 at 00:00:00 of the 16th is not
        j = self.ok_stats(**{'from': '2027-03-15T00:00:00+08:00', 'to': '2027-03-16T00:00:00+08:00'})
        self.assertFigures(j['total'], {'offered': 5, 'answered': 3, 'abandoned': 2})
        # hours around midnight
        j = self.ok_stats(**{'from': '2027-03-14T23:00:00+08:00', 'to': '2027-03-15T01:00:00+08:00',
                             'granularity': 'hour'})
        self.assertEqual([(r['bucket'], r['offered'], r['answered']) for r in j['rows']],
                         [('2027-03-14T23:00:00+08:00', 1, 1), ('2027-03-15T00:00:00+08:00', 1, 1)])
        self.assertIsNone(j['total']['worst_24h_connection_rate'])    # no 24-hour window fits
        # the whole month, calls 14 and 15 included
        j = self.ok_stats(**{'from': '2027-03-01T00:00:00+08:00', 'to': '2027-04-01T00:00:00+08:00',
                             'granularity': 'month'})
        self.assertEqual(len(j['rows']), 1)
        self.assertEqual(j['rows'][0]['bucket'], '2027-03-01T00:00:00+08:00')
        self.assertFigures(j['rows'][0], {'offered': 12, 'answered': 7, 'abandoned': 5})

    def test_times_without_offset_are_local(self):
        j = self.ok_stats(**{'from': '2027-03-14T00:00', 'to': '2027-03-15'})
        self.assertEqual(j['from'], '2027-03-14T00:00:00+08:00')
        self.assertEqual(j['total']['offered'], 5)

    def test_callbacks_ivr_and_other_numbers_are_not_offered(self):
        rng = {'from': '2027-03-14T00:00:00+08:00', 'to': '2027-03-16T00:00:00+08:00'}
        self.assertEqual(self.ok_stats(dialled='12345', **rng)['total']['offered'], 10)
        self.assertEqual(self.ok_stats(dialled='12315', **rng)['total']['offered'], 0)
        # the three are stored all the same
        kinds = psql("SELECT call_id, kind FROM call_record WHERE call_id IN"
                     " ('1805000005.5', '1805000006.6', '1805000007.7') ORDER BY call_id")
        self.assertEqual([k[1] for k in kinds], ['ivr', 'outbound', 'other'])

    def test_per_queue(self):
        j = self.ok_stats(queue='hotline', **{'from': '2027-03-14T00:00:00+08:00',
                                             'to': '2027-03-16T00:00:00+08:00'})
        self.assertFigures(j['total'], {'offered': 1, 'answered': 1, 'avg_wait_s': 30.0,
                                        'avg_talk_s': 370.0, 'service_level_15s': 0.0})
        self.assertEqual(j['queue'], 'hotline')

    def test_every_bucket_of_the_range_is_a_row(self):
        j = self.ok_stats(**{'from': '2027-03-14T00:00:00+08:00', 'to': '2027-03-15T00:00:00+08:00',
                             'granularity': 'hour'})
        self.assertEqual(len(j['rows']), 24)
        empty = j['rows'][5]
        self.assertEqual((empty['bucket'], empty['offered'], empty['connection_rate']),
                         ('2027-03-14T05:00:00+08:00', 0, None))

    def test_the_command_reports_the_same(self):
        args = ['report', 'calls', '--from', '2027-03-14', '--to', '2027-03-16']
        env = StatsCase.server_env
        out = run_hotline(*args, '--format', 'json', env=env)
        self.assertEqual(out.returncode, 0, out.stderr)
        import json
        api = self.ok_stats(**{'from': '2027-03-14', 'to': '2027-03-16'})
        self.assertEqual(json.loads(out.stdout), api)
        out = run_hotline(*args, '--format', 'csv', env=env)
        lines = out.stdout.splitlines()
        self.assertTrue(lines[0].startswith('bucket,offered,answered,abandoned,short_abandoned,'
                                            'connection_rate,'), lines[0])
        self.assertEqual(lines[1].split(',')[:6], ['2027-03-14T00:00:00+08:00', '5', '3', '2', '1', '0.6'])
        self.assertEqual(lines[-1].split(',')[:6], ['total', '10', '6', '4', '2', '0.6'])
        out = run_hotline(*args, env=env)
        self.assertIn('worst continuous 24 hours: 50.00% from 2027-03-14T09:00:00+08:00, BELOW the'
                      ' GB/T 33358 line of 95%', out.stdout)
        self.assertRegex(out.stdout, r'\ntotal +10 +6 +4 +2 +60\.00% +30\.00% +40\.00% +15\.2 s +228\.3 s +50\.00%')
        out = run_hotline('report', 'calls', '--from', '2027-03-14T00:30', '--to', '2027-03-16')
        self.assertEqual(out.returncode, 2)
        self.assertIn('whole hour', out.stderr)

    def test_bad_queries(self):
        self.assertProblem(self.stats(to='2027-03-16'), 400, 'from is required')
        self.assertProblem(self.stats(**{'from': 'yesterday', 'to': '2027-03-16'}), 400, field='from')
        self.assertProblem(self.stats(**{'from': '2027-03-14T00:30', 'to': '2027-03-16'}), 422,
                           'whole hour', field='from')
        self.assertProblem(self.stats(**{'from': '2027-03-16', 'to': '2027-03-14'}), 422, field='to')
        self.assertProblem(self.stats(**{'from': '2027-03-14', 'to': '2037-03-14'}), 422, field='to')
        self.assertProblem(self.stats(granularity='week', **{'from': '2027-03-14', 'to': '2027-03-16'}), 400)
        self.assertProblem(self.stats(short_abandons='maybe', **{'from': '2027-03-14', 'to': '2027-03-16'}), 400)

    def test_centre_staff_read_and_departments_do_not(self):
        rng = {'from': '2027-03-14', 'to': '2027-03-16'}
        agent = create_token(add_user('agent'))
        self.assertEqual(self.stats(token=agent, **rng).status, 200)
        out = run_hotline('department', 'import', os.path.join(ROOT, 'scripts', 'demo', 'departments.csv'))
        self.assertEqual(out.returncode, 0, out.stderr)
        code = psql("SELECT code FROM department ORDER BY id LIMIT 1")[0][0]
        handler = create_token(add_user('dept_handler', code))
        self.assertProblem(self.stats(token=handler, **rng), 403)


class WorstDay(StatsCase):
    """Three days, 10 calls every hour, all answered except in six hours of
    the second day (1st 00:00 + 30 h … 35 h: 2028-05-02 06:00 to 12:00) when
    5 of the 10 are abandoned. Every window holding the six bad hours has
    240 offered, 210 answered: 0.875; the earliest starts at hour 35 − 23 = 12,
    2028-05-01 12:00. Day 2 alone: the same 210/240; days 1 and 3: 1.0."""

    START = datetime.datetime(2028, 5, 1, tzinfo=CST)

    @classmethod
    def load(cls):
        path = os.path.join(cls.tmp, 'worst.csv')
        with open(path, 'w', encoding='utf-8') as f:
            for h in range(72):
                for i in range(10):
                    start = cls.START + datetime.timedelta(hours=h, minutes=i * 5)
                    bad = 30 <= h < 36 and i % 2 == 0
                    f.write(cdr_line('worst28.%d.%d' % (h, i), start.replace(tzinfo=None), 8,
                                     None if bad else 60))
        import_calls(path)

    def brute_force(self, hours):
        """The worst window by brute force over the per-hour figures."""
        worst = None
        for s in range(len(hours) - 23):
            o = sum(x[0] for x in hours[s:s + 24])
            a = sum(x[1] for x in hours[s:s + 24])
            if o and (worst is None or a * worst[1] < worst[0] * o):
                worst = (a, o, s)
        return worst

    def test_the_worst_24_hours_hold_the_bad_stretch(self):
        j = self.ok_stats(**{'from': '2028-05-01', 'to': '2028-05-04', 'granularity': 'hour'})
        self.assertFigures(j['total'], {'offered': 720, 'answered': 690, 'connection_rate': 0.9583,
                                        'worst_24h_connection_rate': 0.875,
                                        'worst_24h_from': '2028-05-01T12:00:00+08:00',
                                        'meets_standard': False})
        hours = [(r['offered'], r['answered']) for r in j['rows']]
        a, o, s = self.brute_force(hours)
        self.assertEqual((a, o, s), (210, 240, 12))
        j = self.ok_stats(**{'from': '2028-05-01', 'to': '2028-05-04', 'granularity': 'day'})
        self.assertEqual([r['worst_24h_connection_rate'] for r in j['rows']], [1.0, 0.875, 1.0])

    def test_a_range_without_the_stretch_meets_the_standard(self):
        j = self.ok_stats(**{'from': '2028-05-02T12:00', 'to': '2028-05-04'})
        self.assertFigures(j['total'], {'worst_24h_connection_rate': 1.0, 'meets_standard': True})


class EdgeWindows(StatsCase):
    """Calls from 2029-06-10 10:00 for 24 hours, 10 an hour, all answered,
    then at 2029-06-11 10:00 three calls, all abandoned, and nothing after.
    Inside the data (hours 10 … 34 of the range) the windows start at 10:00
    (240 offered, 240 answered) and 11:00 (230 + 3 offered, 230 answered:
    0.9871). A window starting on the 11th at 00:00 would hold hours 24 … 47
    of the range, mostly after the last call: 100 + 3 offered, 100 answered,
    0.9709 — the edge of the data, not the service."""

    server_env = None       # the default minimum of 100 offered calls
    START = datetime.datetime(2029, 6, 10, 10, tzinfo=CST)

    @classmethod
    def load(cls):
        path = os.path.join(cls.tmp, 'edge.csv')
        with open(path, 'w', encoding='utf-8') as f:
            for h in range(24):
                for i in range(10):
                    start = cls.START + datetime.timedelta(hours=h, minutes=i * 5)
                    f.write(cdr_line('edge29.%d.%d' % (h, i), start.replace(tzinfo=None), 8, 60))
            for i in range(3):
                start = cls.START + datetime.timedelta(hours=24, minutes=i * 5)
                f.write(cdr_line('edge29.last.%d' % i, start.replace(tzinfo=None), 8, None))
        import_calls(path)

    def test_only_windows_inside_the_data_count(self):
        j = self.ok_stats(**{'from': '2029-06-10', 'to': '2029-06-12'})
        self.assertEqual(j['definitions']['window_min_offered'], 100)
        self.assertFigures(j['total'], {'offered': 243, 'answered': 240,
                                        'worst_24h_connection_rate': 0.9871,
                                        'worst_24h_from': '2029-06-10T11:00:00+08:00'})

    def test_a_window_needs_the_minimum_of_offered_calls(self):
        out = run_hotline('report', 'calls', '--from', '2029-06-10', '--to', '2029-06-12', '--format', 'json',
                          env={'HOTLINE_WINDOW_MIN_OFFERED': '300'})
        self.assertEqual(out.returncode, 0, out.stderr)
        import json
        total = json.loads(out.stdout)['total']
        self.assertIsNone(total['worst_24h_connection_rate'])
        self.assertIsNone(total['meets_standard'])


class HotlineNumbers(StatsCase):
    """The old numbers merged into 12345 count when configured, and a rebuild
    reclassifies what was imported before the configuration changed."""

    @classmethod
    def load(cls):
        cls.day = datetime.datetime(random.randrange(2200, 2300), random.randrange(1, 13), 10)
        cls.tag = 'hn%06d' % random.randrange(10 ** 6)
        a = os.path.join(cls.tmp, 'a.csv')
        b = os.path.join(cls.tmp, 'b.csv')
        with open(a, 'w') as f:     # day 1: two calls to 12366, imported with 12366 configured
            f.write(cdr_line(cls.tag + '.a1', cls.day.replace(hour=9), 3, 100, dst='12366', app='Dial'))
            f.write(cdr_line(cls.tag + '.a2', cls.day.replace(hour=10), 30, None, dst='12366', app='Dial'))
        with open(b, 'w') as f:     # day 2: the same, imported without
            d2 = cls.day + datetime.timedelta(days=1)
            f.write(cdr_line(cls.tag + '.b1', d2.replace(hour=9), 3, 100, dst='12366', app='Dial'))
            f.write(cdr_line(cls.tag + '.b2', d2.replace(hour=10), 30, None, dst='12366', app='Dial'))
        import_calls('--hotline-numbers', '12345,12366', a)
        import_calls(b)

    def offered_by_day(self):
        d = self.day.strftime('%Y-%m-%d')
        e = (self.day + datetime.timedelta(days=2)).strftime('%Y-%m-%d')
        j = self.ok_stats(dialled='12366', **{'from': d, 'to': e})
        return [r['offered'] for r in j['rows']]

    def test_configured_numbers_count_and_rebuild_reclassifies(self):
        self.assertEqual(self.offered_by_day(), [2, 0])
        out = run_hotline('calls', 'rebuild', env={'HOTLINE_NUMBERS': '12345,12366'})
        self.assertEqual(out.returncode, 0, out.stderr)
        self.assertIn('rebuilt the call statistics', out.stdout)
        self.assertEqual(self.offered_by_day(), [2, 2])
        # back to the default numbers, as every other test expects
        out = run_hotline('calls', 'rebuild')
        self.assertEqual(out.returncode, 0, out.stderr)
        self.assertEqual(self.offered_by_day(), [0, 0])
        self.assertEqual(psql("SELECT count(*) FROM call_record WHERE key LIKE '%s.%%'"
                              " AND kind = 'other'" % self.tag), [['4']])

    def test_bad_numbers_are_refused(self):
        out = run_hotline('import-calls', '--hotline-numbers', '12345,abc', 'x.csv')
        self.assertEqual(out.returncode, 2)
        self.assertIn('invalid value "12345,abc" for --hotline-numbers', out.stderr)


if __name__ == '__main__':
    unittest.main()
