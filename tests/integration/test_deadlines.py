"""Deadlines on the official working-day calendar: the `hotline deadline`
calculator, the clocks a dispatched order gets from the policies, changing a
policy, and the sweeper that turns the lights yellow and red."""
import datetime
import re
import unittest

from harness import psql, run_hotline, wait_for
from orders_fixture import Calendar, OrdersTestCase, event_count, parse_iso


def deadline(frm, n, unit='workdays'):
    return run_hotline('deadline', '--from', frm, '--' + unit, str(n))


# (from, n, unit, due): each due date worked out by hand from the State
# Council notices (2026: 国办发明电〔2025〕7号, content_7047091).
CASES = [
    # Spring Festival 2026: off Sun 02-15 .. Mon 02-23; make-up Sat 02-14 and Sat 02-28.
    # Fri 02-13 + 1: the next day, Sat 02-14, is a make-up working day.
    ('2026-02-13T10:00:00+08:00', 1, 'workdays', '2026-02-14T23:59:59+08:00'),
    # Fri 02-13 + 2: Sat 02-14 (1), 02-15..02-23 holiday, Tue 02-24 (2).
    ('2026-02-13T10:00:00+08:00', 2, 'workdays', '2026-02-24T23:59:59+08:00'),
    # From the make-up Saturday itself, counting starts the day after: Tue 02-24.
    ('2026-02-14T09:00:00+08:00', 1, 'workdays', '2026-02-24T23:59:59+08:00'),
    # From inside the holiday: the first working day after it, Tue 02-24.
    ('2026-02-20T12:00:00+08:00', 1, 'workdays', '2026-02-24T23:59:59+08:00'),
    # Tue 02-24 + 5: 25 (1), 26 (2), 27 (3), Sat 28 make-up (4), Sun 03-01 off, Mon 03-02 (5).
    ('2026-02-24T09:00:00+08:00', 5, 'workdays', '2026-03-02T23:59:59+08:00'),
    # Thu 02-12 + 15 (a complaint): 13 (1), 14 (2), 24 (3), 25 (4), 26 (5), 27 (6),
    # 28 (7), 03-02 (8), 3 (9), 4 (10), 5 (11), 6 (12), 9 (13), 10 (14), 11 (15).
    # A weekday-only rule would say Thu 03-05.
    ('2026-02-12T15:00:00+08:00', 15, 'workdays', '2026-03-11T23:59:59+08:00'),
    # 16:30 UTC on Fri 02-13 is 00:30 on Sat 02-14 in Beijing: counting starts
    # the day after the local date, so Tue 02-24.
    ('2026-02-13T16:30:00Z', 1, 'workdays', '2026-02-24T23:59:59+08:00'),
    # National Day 2026: off Thu 10-01 .. Wed 10-07, Mid-Autumn Fri 09-25 .. Sun 09-27;
    # make-up Sun 09-20 and Sat 10-10.
    # Fri 09-18 + 1: Sat 19 off, Sun 09-20 is a make-up working day.
    ('2026-09-18T10:00:00+08:00', 1, 'workdays', '2026-09-20T23:59:59+08:00'),
    # Thu 09-24 + 2: Fri 25 .. Sun 27 off, Mon 28 (1), Tue 29 (2).
    ('2026-09-24T10:00:00+08:00', 2, 'workdays', '2026-09-29T23:59:59+08:00'),
    # Wed 09-30 + 1: 10-01 .. 10-07 off, Thu 10-08 (1).
    ('2026-09-30T10:00:00+08:00', 1, 'workdays', '2026-10-08T23:59:59+08:00'),
    # Wed 09-30 + 3: 10-08 (1), 10-09 (2), Sat 10-10 make-up (3).
    ('2026-09-30T10:00:00+08:00', 3, 'workdays', '2026-10-10T23:59:59+08:00'),
    # Tue 09-29 + 5: 30 (1), 10-08 (2), 9 (3), Sat 10 (4), Sun 11 off, Mon 10-12 (5).
    ('2026-09-29T10:00:00+08:00', 5, 'workdays', '2026-10-12T23:59:59+08:00'),
    # Natural hours ignore holidays: 10:00 + 2 h on National Day is 12:00.
    ('2026-10-01T10:00:00+08:00', 2, 'hours', '2026-10-01T12:00:00+08:00'),
    # 22:30 + 24 h across a holiday and midnight.
    ('2026-02-14T22:30:00+08:00', 24, 'hours', '2026-02-15T22:30:00+08:00'),
    # 23:00 + 2 h into the next day.
    ('2026-10-07T23:00:00+08:00', 2, 'hours', '2026-10-08T01:00:00+08:00'),
    # An offset other than +08:00 is converted: 02:00 UTC is 10:00 Beijing.
    ('2026-10-01T02:00:00Z', 2, 'hours', '2026-10-01T12:00:00+08:00'),
]


class DeadlineCommand(unittest.TestCase):
    def test_working_days_follow_the_official_calendar(self):
        for frm, n, unit, due in CASES:
            with self.subTest(frm=frm, n=n, unit=unit):
                out = deadline(frm, n, unit)
                self.assertEqual(out.returncode, 0, out.stderr)
                self.assertEqual(out.stdout.strip(), due)
                self.assertEqual(out.stderr, '', 'no warning for a year with official data')

    def test_a_year_without_data_counts_the_statutory_holidays_and_warns(self):
        # 2030 has no notice yet: the law makes 10-01..10-03 off, so Mon 09-30
        # + 1 is Fri 10-04; what the notice will add (make-up days, bridge
        # days) nobody knows, so the deadline is provisional and says so.
        for frm, due in (('2030-09-30T10:00:00+08:00', '2030-10-04T23:59:59+08:00'),
                         ('2030-10-04T10:00:00+08:00', '2030-10-07T23:59:59+08:00')):
            with self.subTest(frm=frm):
                out = deadline(frm, 1)
                self.assertEqual(out.returncode, 0, out.stderr)
                self.assertEqual(out.stdout.strip(), due)
                self.assertRegex(out.stderr, r'warning: .*2030.*provisional')

    def test_new_years_day_2027_is_off_before_the_notice(self):
        # Wed 2026-12-30 + 2: Thu 12-31 (1), Fri 2027-01-01 New Year's Day by
        # law, the weekend, Mon 01-04 (2). Counting weekends only said 01-01.
        out = deadline('2026-12-30T10:00:00+08:00', 2)
        self.assertEqual(out.returncode, 0, out.stderr)
        self.assertEqual(out.stdout.strip(), '2027-01-04T23:59:59+08:00')
        self.assertRegex(out.stderr, r'warning: .*2027.*provisional')
        # Within 2026 alone, no warning.
        out = deadline('2026-12-28T10:00:00+08:00', 2)
        self.assertEqual((out.stdout.strip(), out.stderr), ('2026-12-30T23:59:59+08:00', ''))
        # Hours need no calendar, so no warning.
        out = deadline('2030-10-01T10:00:00+08:00', 3, 'hours')
        self.assertEqual(out.stdout.strip(), '2030-10-01T13:00:00+08:00')
        self.assertEqual(out.stderr, '')

    def test_usage_errors_exit_2_naming_the_option(self):
        for args, needle in ((['--from', '2026-01-05T09:00:00+08:00'], 'usage'),
                             (['--from', '2026-01-05T09:00:00+08:00', '--workdays', '1',
                               '--hours', '2'], 'usage'),
                             (['--from', 'tomorrow', '--workdays', '1'], '--from'),
                             (['--from', '2026-01-05T09:00:00+08:00', '--workdays', '0'],
                              '--workdays'),
                             (['--from', '2026-01-05T09:00:00+08:00', '--hours', 'two'],
                              '"two"')):
            with self.subTest(args=args):
                out = run_hotline('deadline', *args)
                self.assertEqual(out.returncode, 2, out)
                self.assertIn(needle, out.stderr)
                self.assertEqual(out.stdout, '')


POLICY_FIELDS = ('request_type', 'urgency', 'sign_limit', 'sign_unit', 'handle_limit',
                 'handle_unit', 'warn_fraction')


class OrderClocks(OrdersTestCase):
    """What a dispatched order is given, and changing the policy."""

    def dispatched(self, **fields):
        n = self.new_order(**fields)
        return self.step(self.agent, n, 'dispatch', 'dispatched', department=self.depts.a)

    def policies(self):
        r = self.agent.get('/api/v1/deadline-policies')
        self.assertEqual(r.status, 200, r)
        return {(p['request_type'], p['urgency']): p for p in r.json}

    def test_the_seeded_policies(self):
        p = self.policies()
        self.assertEqual(len(p), 18)
        want = {'consult': 2, 'help': 10, 'complaint': 15, 'report': 15, 'suggestion': 10,
                'praise': 2}
        for rt, days in want.items():
            with self.subTest(request_type=rt):
                self.assertEqual((p[(rt, 'normal')]['handle_limit'],
                                  p[(rt, 'normal')]['handle_unit']), (days, 'workdays'))
                self.assertEqual((p[(rt, 'normal')]['sign_limit'],
                                  p[(rt, 'normal')]['sign_unit']), (1, 'workdays'))
                self.assertEqual((p[(rt, 'urgent')]['handle_limit'],
                                  p[(rt, 'urgent')]['handle_unit']), (24, 'hours'))
                self.assertEqual((p[(rt, 'critical')]['handle_limit'],
                                  p[(rt, 'critical')]['handle_unit']), (2, 'hours'))
        self.assertEqual(p[('complaint', 'normal')]['request_type_name'], '投诉')

    def test_a_normal_complaint_gets_15_working_days_as_the_calculator_says(self):
        o = self.dispatched()
        dl = o['deadlines']
        start = dl['clock_started_at']
        self.assertEqual(dl['handle_deadline'], deadline(start, 15).stdout.strip())
        self.assertEqual(dl['sign_deadline'], deadline(start, 1).stdout.strip())
        self.assertEqual(dl['handle_unit'], 'workdays')
        # And the independent oracle agrees.
        self.assertEqual(parse_iso(dl['handle_deadline']),
                         Calendar().add_workdays(parse_iso(start), 15))

    def test_each_request_type_gets_its_own_limit(self):
        for rt, days in (('consult', 2), ('help', 10), ('report', 15)):
            with self.subTest(request_type=rt):
                dl = self.dispatched(request_type=rt)['deadlines']
                self.assertEqual(dl['handle_deadline'],
                                 deadline(dl['clock_started_at'], days).stdout.strip())

    def test_urgent_and_critical_orders_run_on_natural_hours(self):
        for urgency, sign_h, handle_h in (('urgent', 2, 24), ('critical', 1, 2)):
            with self.subTest(urgency=urgency):
                dl = self.dispatched(urgency=urgency)['deadlines']
                start = parse_iso(dl['clock_started_at'])
                self.assertEqual(dl['handle_unit'], 'hours')
                self.assertEqual(parse_iso(dl['handle_deadline']) - start,
                                 datetime.timedelta(hours=handle_h))
                self.assertEqual(parse_iso(dl['sign_deadline']) - start,
                                 datetime.timedelta(hours=sign_h))

    def put_policy(self, actor, **policy):
        return actor.put('/api/v1/deadline-policies', policy)

    def restore(self, old):
        r = self.put_policy(self.admin, **{k: old[k] for k in POLICY_FIELDS
                                           if k != 'warn_fraction'},
                            warn_fraction=float(old['warn_fraction']))
        self.assertEqual(r.status, 200, r)

    def test_an_admin_changes_what_the_next_dispatch_gets(self):
        old = self.policies()[('suggestion', 'normal')]
        self.addCleanup(self.restore, old)
        before = self.dispatched(request_type='suggestion')
        r = self.put_policy(self.admin, request_type='suggestion', urgency='normal',
                            sign_limit=4, sign_unit='hours', handle_limit=3,
                            handle_unit='workdays', warn_fraction=0.5)
        self.assertEqual(r.status, 200, r)
        mine = [p for p in r.json if (p['request_type'], p['urgency']) ==
                ('suggestion', 'normal')][0]
        self.assertEqual((mine['handle_limit'], mine['sign_unit']), (3, 'hours'))
        self.assertEqual(self.policies()[('suggestion', 'normal')]['handle_limit'], 3)
        dl = self.dispatched(request_type='suggestion')['deadlines']
        self.assertEqual(dl['handle_deadline'],
                         deadline(dl['clock_started_at'], 3).stdout.strip())
        self.assertEqual(parse_iso(dl['sign_deadline']) - parse_iso(dl['clock_started_at']),
                         datetime.timedelta(hours=4))
        # Running clocks keep what they were given.
        again = self.ok(self.agent.order(before['number']))
        self.assertEqual(again['deadlines']['handle_deadline'],
                         before['deadlines']['handle_deadline'])
        # Switch to natural hours.
        r = self.put_policy(self.admin, request_type='suggestion', urgency='normal',
                            sign_limit=1, sign_unit='workdays', handle_limit=48,
                            handle_unit='hours')
        self.assertEqual(r.status, 200, r)
        dl = self.dispatched(request_type='suggestion')['deadlines']
        self.assertEqual(parse_iso(dl['handle_deadline']) - parse_iso(dl['clock_started_at']),
                         datetime.timedelta(hours=48))

    def test_only_an_admin_may_change_a_policy(self):
        before = self.policies()[('praise', 'critical')]
        body = dict(request_type='praise', urgency='critical', sign_limit=9, sign_unit='hours',
                    handle_limit=99, handle_unit='hours')
        for who in ('agent', 'reviewer', 'supervisor', 'ha', 'ma'):
            with self.subTest(who=who):
                self.assertProblem(self.put_policy(self.actors[who], **body), 403)
        self.assertProblem(self.admin.client.request('PUT', '/api/v1/deadline-policies', body),
                           403, 'CSRF')
        self.assertEqual(self.policies()[('praise', 'critical')], before)

    def test_a_bad_policy_is_422_naming_the_field(self):
        before = self.policies()
        good = dict(request_type='praise', urgency='critical', sign_limit=1, sign_unit='hours',
                    handle_limit=2, handle_unit='hours', warn_fraction=0.75)
        for change, field in (({'sign_unit': 'weeks'}, 'sign_unit'),
                              ({'handle_unit': 'days'}, 'handle_unit'),
                              ({'handle_limit': 0}, 'handle_limit'),
                              ({'sign_limit': 1001}, 'sign_limit'),
                              ({'warn_fraction': 1.5}, 'warn_fraction'),
                              ({'warn_fraction': 0}, 'warn_fraction'),
                              ({'handle_limit': '2'}, 'handle_limit'),
                              ({'request_type': 'rant'}, 'request_type'),
                              ({'urgency': None}, 'urgency')):
            with self.subTest(change=change):
                body = dict(good, **change)
                body = {k: v for k, v in body.items() if v is not None}
                self.assertProblem(self.put_policy(self.admin, **body), 422, field=field)
        self.assertEqual(self.policies(), before)


    def test_a_negative_warn_fraction_is_refused_not_ignored(self):
        before = self.policies()[('praise', 'critical')]
        r = self.put_policy(self.admin, request_type='praise', urgency='critical', sign_limit=1,
                            sign_unit='hours', handle_limit=2, handle_unit='hours',
                            warn_fraction=-1)
        self.assertProblem(r, 422, field='warn_fraction')
        self.assertEqual(self.policies()[('praise', 'critical')], before)


class Sweeper(OrdersTestCase):
    """The deadline sweeper, every second here."""

    server_env = {'HOTLINE_SWEEP_SECONDS': '1'}

    def metric(self, name):
        text = self.client.get('/metrics').text
        m = re.search(r'^%s (\d+)$' % re.escape(name), text, re.M)
        return int(m.group(1)) if m else None

    def sweeps(self, k=2):
        """Waits until the sweeper has run k more times."""
        start = self.metric('hotline_sweeper_runs_total')
        self.assertTrue(wait_for(lambda: self.metric('hotline_sweeper_runs_total') >= start + k,
                                 timeout=15), 'the sweeper runs every second')

    def alert(self, n):
        return self.ok(self.agent.order(n))['deadlines']['alert']

    def test_an_overdue_order_turns_red_once_and_shows_in_overdue_and_metrics(self):
        n = self.order_in('in_progress')
        self.assertEqual(self.alert(n), 'green')
        psql("UPDATE work_order SET handle_deadline = now() - interval '1 hour',"
             " warn_at = now() - interval '2 hours' WHERE number = '%s'" % n)
        self.assertTrue(wait_for(lambda: self.alert(n) == 'red', timeout=15), self.alert(n))
        evs = [e for e in self.ok(self.agent.events(n)) if e['action'] == 'alert']
        self.assertEqual(len(evs), 1, evs)
        ev = evs[0]
        self.assertEqual((ev['from_status'], ev['to_status']), ('in_progress', 'in_progress'))
        self.assertEqual(ev['actor']['role'], 'system')
        self.assertEqual(ev['action_name'], '时限预警')
        self.assertEqual((ev['payload']['from'], ev['payload']['to']), ('green', 'red'))
        # Listed as overdue, to a centre user and to the department.
        overdue = self.ok(self.agent.list(overdue='true', department=self.depts.a))['items']
        self.assertIn(n, [o['number'] for o in overdue])
        self.assertIn(n, [o['number'] for o in self.ok(self.ha.list(overdue='true'))['items']])
        # Counted in /metrics, and not alerted again on later passes.
        self.sweeps(2)
        self.assertGreaterEqual(self.metric('hotline_orders_open{alert="red"}'), 1)
        self.assertIsNotNone(self.metric('hotline_orders_open{alert="green"}'))
        self.assertIsNotNone(self.metric('hotline_orders_open{alert="yellow"}'))
        self.assertEqual(len([e for e in self.ok(self.agent.events(n))
                              if e['action'] == 'alert']), 1)

    def test_past_the_warning_fraction_the_order_turns_yellow(self):
        n = self.order_in('in_progress')
        psql("UPDATE work_order SET warn_at = now() - interval '1 minute'"
             " WHERE number = '%s'" % n)
        self.assertTrue(wait_for(lambda: self.alert(n) == 'yellow', timeout=15), self.alert(n))
        ev = [e for e in self.ok(self.agent.events(n)) if e['action'] == 'alert'][-1]
        self.assertEqual(ev['payload']['to'], 'yellow')
        self.assertEqual(self.alert(n), 'yellow')
        overdue = self.ok(self.agent.list(overdue='1', department=self.depts.a))['items']
        self.assertNotIn(n, [o['number'] for o in overdue])

    def test_a_late_sign_for_is_flagged(self):
        n = self.order_in('dispatched')
        psql("UPDATE work_order SET sign_deadline = now() - interval '1 minute'"
             " WHERE number = '%s'" % n)
        self.assertTrue(wait_for(lambda: self.ok(self.agent.order(n))['deadlines']['sign_overdue'],
                                 timeout=15))
        evs = [e for e in self.ok(self.agent.events(n)) if e['action'] == 'sign_overdue']
        self.assertEqual(len(evs), 1)
        self.assertEqual(evs[0]['action_name'], '签收超时')
        self.assertIs(evs[0]['payload']['sign_overdue'], True)
        o = self.step(self.ha, n, 'sign', 'in_progress')
        self.assertIs(o['deadlines']['sign_overdue'], True)

    def test_a_rejected_return_is_not_flagged_again_and_again(self):
        # Signed on time, returned days later, the return rejected: the order is
        # "dispatched" again with its old sign-for deadline long past.
        n = self.order_in('in_progress')
        psql("UPDATE work_order SET sign_deadline = now() - interval '2 days'"
             " WHERE number = '%s'" % n)
        self.step(self.ha, n, 'return', 'return_requested', reason='不属于本单位')
        self.step(self.reviewer, n, 'reject_return', 'dispatched', reason='属于贵单位')
        # Leave it signed, so that later servers' sweepers leave it alone.
        self.addCleanup(self.ha.act, n, 'sign')
        self.sweeps(2)
        v1 = self.ok(self.agent.order(n))['version']
        self.sweeps(2)
        evs = self.ok(self.agent.events(n))
        flags = [e for e in evs if e['action'] == 'sign_overdue']
        self.assertLessEqual(len(flags), 1, [e['payload'] for e in flags])
        self.assertEqual(self.ok(self.agent.order(n))['version'], v1,
                         'the sweeper keeps changing an order nobody touched')

    def test_a_suspended_clock_does_not_turn_red(self):
        n = self.order_in('suspended')
        psql("UPDATE work_order SET handle_deadline = now() - interval '1 hour',"
             " warn_at = now() - interval '2 hours' WHERE number = '%s'" % n)
        events = event_count(n)
        self.sweeps(2)
        self.assertEqual(self.alert(n), 'green')
        self.assertEqual(event_count(n), events)

    def test_a_deadline_pushed_back_by_resuming_turns_the_light_green_again(self):
        # Twenty days into a clock that ends tomorrow: yellow. The order then
        # waits two weeks for the caller; resuming pushes the deadline back by
        # those working days, far beyond the warning point again.
        n = self.order_in('in_progress')
        psql("UPDATE work_order SET clock_started_at = now() - interval '20 days',"
             " handle_deadline = now() + interval '1 day',"
             " warn_at = now() - interval '20 days' + interval '21 days' * 0.75"
             " WHERE number = '%s'" % n)
        self.assertTrue(wait_for(lambda: self.alert(n) == 'yellow', timeout=15), self.alert(n))
        self.step(self.ha, n, 'suspend', 'suspended', reason='等待市民补充材料')
        psql("UPDATE work_order SET suspended_at = now() - interval '14 days'"
             " WHERE number = '%s'" % n)
        o = self.step(self.ha, n, 'resume', 'in_progress')
        due = parse_iso(o['deadlines']['handle_deadline'])
        self.assertGreater(due - datetime.datetime.now(datetime.timezone.utc),
                           datetime.timedelta(days=7))
        warn_at = psql("SELECT warn_at > now() FROM work_order WHERE number = '%s'" % n)
        self.assertEqual(warn_at, [['t']], 'the warning point is in the future again')
        self.sweeps(2)
        self.assertEqual(self.alert(n), 'green',
                         'the light still shows the warning of a deadline that moved')

    def test_the_metrics_count_open_orders_by_light(self):
        self.order_in('in_progress')
        self.sweeps(1)
        text = self.client.get('/metrics').text
        for colour in ('green', 'yellow', 'red'):
            self.assertRegex(text, r'hotline_orders_open\{alert="%s"\} \d+' % colour)

        def agree():
            want = psql("SELECT count(*) FILTER (WHERE alert IN ('none', 'green')),"
                        " count(*) FILTER (WHERE alert = 'red') FROM work_order"
                        " WHERE status IN ('dispatched', 'in_progress', 'return_requested',"
                        " 'extension_requested')")[0]
            got = [self.metric('hotline_orders_open{alert="%s"}' % c) for c in ('green', 'red')]
            return got == [int(x) for x in want] or (got, want)
        self.assertIs(wait_for(lambda: agree() is True, timeout=10), True, agree())
