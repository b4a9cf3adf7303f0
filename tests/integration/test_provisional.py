"""Deadlines across a year whose official holiday notice is not loaded yet:
provisional (the statutory holidays counted, no make-up days), marked so on
the order, and computed again when the notice is imported, closed orders'
on-time figures included.

The year is 2093, far enough that no other test touches it, on the shared
test database: the test moves its orders' clocks there (as if dispatched in
2093) and removes the year's calendar rows when done.

2093 by the law: 除夕 Mon 01-26, 正月初一 Tue 01-27, so 01-26..01-29 are
statutory holidays and Fri 01-30 is a working day until the notice says
otherwise. The sample notice below (invented, as the real one is decades
away) makes Sat 01-24 .. Sun 02-01 off (Fri 01-30 a bridge day) and Sun
01-18 and Sat 02-07 make-up working days.
"""
import json
import os
import tempfile

from harness import psql, run_hotline
from orders_fixture import OrdersTestCase

NOTICE_2093 = {
    'year': 2093,
    'papers': ['https://www.gov.cn/zhengce/content/2093-sample.htm'],
    'days': [{'name': '春节', 'date': '2093-01-18', 'isOffDay': False}]
    + [{'name': '春节', 'date': '2093-01-%02d' % d, 'isOffDay': True} for d in range(24, 32)]
    + [{'name': '春节', 'date': '2093-02-01', 'isOffDay': True},
       {'name': '春节', 'date': '2093-02-07', 'isOffDay': False}],
}

START = '2093-01-29 10:00:00+08'          # Thu, inside the statutory holiday
SIGN_PROVISIONAL = '2093-01-30T23:59:59+08:00'    # + 1: Fri 01-30
SIGN_OFFICIAL = '2093-02-02T23:59:59+08:00'       # + 1: Mon 02-02
HANDLE_PROVISIONAL = '2093-02-02T23:59:59+08:00'  # + 2 (consult): Fri 30, Mon 02-02
HANDLE_OFFICIAL = '2093-02-03T23:59:59+08:00'     # + 2: Mon 02-02, Tue 02-03


def deadline(frm, n):
    return run_hotline('deadline', '--from', frm, '--workdays', str(n))


class ProvisionalYear(OrdersTestCase):

    def setUp(self):
        super().setUp()
        self.addCleanup(psql, "DELETE FROM calendar_day WHERE day >= '2093-01-01'"
                              " AND day < '2094-01-01'; DELETE FROM calendar_year WHERE year = 2093")

    def move_clock_to_2093(self, n):
        """Makes the order's clocks as if dispatched at START in a 2093 without
        a notice: the recorded start, and the deadlines computed then."""
        psql("UPDATE order_clock SET handle_from = '%s', sign_from = '%s',"
             " year_from = 2093, year_to = 2093"
             " WHERE order_id = (SELECT id FROM work_order WHERE number = '%s')" % (START, START, n))
        psql("UPDATE work_order SET clock_started_at = '%s', sign_deadline = '%s',"
             " handle_deadline = '%s', warn_at = '%s', deadline_provisional = '{2093}'"
             " WHERE number = '%s'" % (START, SIGN_PROVISIONAL, HANDLE_PROVISIONAL, START, n))

    def import_notice(self):
        fd, path = tempfile.mkstemp(suffix='.json')
        with os.fdopen(fd, 'w', encoding='utf-8') as f:
            json.dump(NOTICE_2093, f, ensure_ascii=False)
        try:
            out = run_hotline('calendar', 'import', path)
        finally:
            os.unlink(path)
        self.assertEqual(out.returncode, 0, out.stderr)
        return out.stdout

    def on_time_sums(self):
        """on_time of depts.a in the day rollup, the month rollup, and as
        counted afresh from the orders."""
        dept = "(SELECT id::text FROM department WHERE code = '%s')" % self.depts.a
        return psql("SELECT (SELECT coalesce(sum(on_time), 0) FROM stat_rollup WHERE kind = 1"
                    "  AND key = %s),"
                    " (SELECT coalesce(sum(on_time), 0) FROM stat_rollup_month WHERE kind = 1"
                    "  AND key = %s),"
                    " (SELECT coalesce(sum((stat_facts(o, h.seconds))[3]), 0) FROM work_order o"
                    "  LEFT JOIN order_handling h ON h.order_id = o.id"
                    "  WHERE o.lead_department_id::text = %s)" % (dept, dept, dept))[0]

    def test_the_calculator_before_and_after_the_notice(self):
        out = deadline('2093-01-29T10:00:00+08:00', 1)
        self.assertEqual(out.stdout.strip(), '2093-01-30T23:59:59+08:00')
        self.assertRegex(out.stderr, r'warning: .*2093.*provisional')
        self.import_notice()
        out = deadline('2093-01-29T10:00:00+08:00', 1)
        self.assertEqual((out.stdout.strip(), out.stderr), ('2093-02-02T23:59:59+08:00', ''))

    def test_a_new_clock_across_an_unannounced_year_is_marked_provisional(self):
        n = self.order_in('in_progress', request_type='consult')
        o = self.ok(self.agent.order(n))
        self.assertIs(o['deadlines']['provisional'], False)
        self.assertEqual(o['deadlines']['provisional_years'], [])
        # Record it as if the clock had started in 2093, and let the order
        # page show what the API shows.
        self.move_clock_to_2093(n)
        o = self.ok(self.agent.order(n))
        self.assertIs(o['deadlines']['provisional'], True)
        self.assertEqual(o['deadlines']['provisional_years'], [2093])
        page = self.agent.get('/orders/%s' % n)
        self.assertEqual(page.status, 200, page)
        self.assertIn('deadline-provisional', page.text)
        self.assertIn('2093 年节假日安排尚未公布', page.text)

    def test_the_notice_moves_open_and_closed_deadlines_and_the_on_time_figures(self):
        open_n = self.order_in('in_progress', request_type='consult')
        flips = self.order_in('completed', request_type='consult')
        stays = self.order_in('completed', request_type='consult')
        for n in (open_n, flips, stays):
            self.move_clock_to_2093(n)
        # Replied Tue 02-03: late by the provisional deadline (Mon 02-02),
        # on time by the official one (Tue 02-03). Replied Wed 02-04: late by both.
        psql("UPDATE work_order SET signed_at = '2093-01-30 09:00+08',"
             " replied_at = '2093-02-03 10:00+08', completed_at = '2093-02-05 10:00+08'"
             " WHERE number = '%s'" % flips)
        psql("UPDATE work_order SET signed_at = '2093-01-30 09:00+08',"
             " replied_at = '2093-02-04 10:00+08', completed_at = '2093-02-05 10:00+08'"
             " WHERE number = '%s'" % stays)
        day, month, fresh = self.on_time_sums()
        self.assertEqual(day, fresh)
        versions = {n: self.ok(self.agent.order(n))['version'] for n in (open_n, flips, stays)}

        out = self.import_notice()
        self.assertIn('the deadlines of 3 orders moved', out)

        for n in (open_n, flips, stays):
            with self.subTest(order=n):
                o = self.ok(self.agent.order(n))
                dl = o['deadlines']
                self.assertEqual((dl['sign_deadline'], dl['handle_deadline']),
                                 (SIGN_OFFICIAL, HANDLE_OFFICIAL))
                self.assertIs(dl['provisional'], False)
                self.assertEqual(o['version'], versions[n] + 1)
                evs = [e for e in self.ok(self.agent.events(n))
                       if e['action'] == 'deadline_recalculated']
                self.assertEqual(len(evs), 1, evs)
                p = evs[0]['payload']
                self.assertEqual((p['year'], p['old_deadline'], p['new_deadline']),
                                 (2093, HANDLE_PROVISIONAL, HANDLE_OFFICIAL))
                self.assertEqual((p['old_sign_deadline'], p['new_sign_deadline']),
                                 (SIGN_PROVISIONAL, SIGN_OFFICIAL))
                self.assertIn('2093', evs[0]['note'])
                self.assertEqual(evs[0]['actor']['role'], 'system')
                self.assertEqual(evs[0]['action_name'], '时限重算')
        # The open order's light: its deadline is decades away.
        self.assertEqual(self.ok(self.agent.order(open_n))['deadlines']['alert'], 'green')
        # Signed Fri 01-30 09:00, before either sign-for deadline: still on time.
        self.assertIs(self.ok(self.agent.order(flips))['deadlines']['sign_overdue'], False)
        # On time now iff the corrected deadline says so: one order more.
        day2, month2, fresh2 = self.on_time_sums()
        self.assertEqual(int(day2), int(day) + 1)
        self.assertEqual(int(month2), int(month) + 1)
        self.assertEqual(day2, fresh2)

        # Importing the same notice again moves nothing.
        self.assertIn('the deadlines of 0 orders moved', self.import_notice())

    def summary_counts(self, out):
        """The import summary's figures by their words."""
        import re
        m = re.search(r'callback due times moved: (\d+); handling times of completed orders'
                      r' recomputed: (\d+)', out)
        self.assertIsNotNone(m, out)
        r = re.search(r'(\d+) reconstructed, (\d+) kept', out)
        return {'callbacks': int(m.group(1)), 'handling': int(m.group(2)),
                'reconstructed': int(r.group(1)) if r else 0, 'kept': int(r.group(2)) if r else 0}

    def order_id(self, n):
        return psql("SELECT id FROM work_order WHERE number = '%s'" % n)[0][0]

    def test_callback_due_times_move_with_the_notice_in_one_event_per_order(self):
        """A reply on Thu 01-29 (a statutory holiday) with the callback due at
        00:00 of the next working day: Fri 01-30 provisionally, Mon 02-02 by
        the notice."""
        psql("INSERT INTO setting (key, value) VALUES ('callback.delay_workdays', '1')"
             " ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value")
        alone = self.order_in('awaiting_callback', request_type='consult')
        both = self.order_in('awaiting_callback', request_type='consult')
        later = self.order_in('awaiting_callback', request_type='consult')
        ids = [self.order_id(n) for n in (alone, both, later)]
        self.addCleanup(psql, "UPDATE callback_task SET status = 'cancelled', finished_at = now()"
                              " WHERE order_id IN (%s) AND status = 'open'" % ','.join(ids))
        self.addCleanup(psql, "UPDATE order_clock SET year_from = NULL, year_to = NULL"
                              " WHERE order_id IN (%s)" % ','.join(ids))
        psql("UPDATE callback_task SET created_at = '2093-01-29 10:00+08',"
             " due_at = '2093-01-30 00:00+08' WHERE order_id IN (%s, %s)" % (ids[0], ids[1]))
        # Put back after an unreachable call: its time is the agent's, not the calendar's.
        psql("UPDATE callback_task SET created_at = '2093-01-29 10:00+08',"
             " due_at = '2093-01-30 15:00+08' WHERE order_id = %s" % ids[2])
        self.move_clock_to_2093(both)

        counts = self.summary_counts(self.import_notice())
        self.assertEqual(counts['callbacks'], 2)

        def due(order_id):
            return psql("SELECT due_at = '2093-02-02 00:00+08', due_at = '2093-01-30 15:00+08'"
                        " FROM callback_task WHERE order_id = %s" % order_id)[0]
        self.assertEqual(due(ids[0]), ['t', 'f'])
        self.assertEqual(due(ids[1]), ['t', 'f'])
        self.assertEqual(due(ids[2]), ['f', 't'])
        for n, deadlines_too in ((alone, False), (both, True)):
            with self.subTest(order=n):
                evs = [e for e in self.ok(self.agent.events(n))
                       if e['action'] == 'deadline_recalculated']
                self.assertEqual(len(evs), 1, evs)
                p = evs[0]['payload']
                self.assertEqual((p['old_callback_due'], p['new_callback_due']),
                                 ('2093-01-30T00:00:00+08:00', '2093-02-02T00:00:00+08:00'))
                self.assertEqual('new_deadline' in p, deadlines_too, p)
        self.assertEqual([e for e in self.ok(self.agent.events(later))
                          if e['action'] == 'deadline_recalculated'], [])

    def test_a_completed_orders_working_handling_time_follows_the_notice(self):
        """Registered Thu 01-29 10:00, completed Wed 02-04 10:00. Provisional:
        Fri 01-30, Mon 02-02, Tue 02-03 and 10 hours = 295,200 working
        seconds; by the notice 01-30 is off: 208,800."""
        n = self.order_in('completed', request_type='consult')
        oid = self.order_id(n)
        self.addCleanup(psql, "UPDATE work_order SET created_at = now(), completed_at = now()"
                              " WHERE id = %s" % oid)
        psql("UPDATE work_order SET created_at = '2093-01-29 10:00+08',"
             " completed_at = '2093-02-04 10:00+08' WHERE id = %s" % oid)
        psql("UPDATE order_handling SET seconds = 295200 WHERE order_id = %s" % oid)
        dept = "(SELECT id FROM department WHERE code = '%s')" % self.depts.a

        def handling_sums():
            return psql("SELECT (SELECT coalesce(sum(handling_seconds), 0) FROM stat_rollup"
                        "  WHERE kind = 1 AND key = %s::text),"
                        " (SELECT coalesce(sum((stat_facts(o, h.seconds))[19]), 0)"
                        "  FROM work_order o LEFT JOIN order_handling h ON h.order_id = o.id"
                        "  WHERE o.lead_department_id = %s)" % (dept, dept))[0]
        before = handling_sums()

        counts = self.summary_counts(self.import_notice())
        self.assertGreaterEqual(counts['handling'], 1)
        self.assertEqual(psql("SELECT seconds FROM order_handling WHERE order_id = %s" % oid),
                         [['208800']])
        after = handling_sums()
        self.assertEqual(int(after[0]), int(before[0]) - 86400)
        self.assertEqual(after[0], after[1])

    def test_a_clock_older_than_the_records_is_reconstructed_when_it_can_be(self):
        """Dispatched at START before clocks were recorded: only the deadlines
        are known. The policy (consult: sign-for 1, handling 2 working days)
        replayed on the provisional calendar gives them exactly, so the clock
        is recorded and corrected; an extended one cannot be and stays."""
        plain = self.order_in('in_progress', request_type='consult')
        extended = self.order_in('in_progress', request_type='consult')
        ids = [self.order_id(n) for n in (plain, extended)]
        for n in (plain, extended):
            self.move_clock_to_2093(n)
        psql("DELETE FROM order_clock WHERE order_id IN (%s)" % ','.join(ids))
        psql("UPDATE work_order SET handle_deadline = '2093-02-09 23:59:59+08',"
             " sign_deadline = '2093-02-03 23:59:59+08' WHERE id = %s" % ids[1])
        self.addCleanup(psql, "UPDATE order_clock SET year_from = NULL, year_to = NULL"
                              " WHERE order_id IN (%s)" % ','.join(ids))
        self.addCleanup(psql, "UPDATE work_order SET clock_started_at = now()"
                              " WHERE id IN (%s)" % ','.join(ids))

        out = self.import_notice()
        counts = self.summary_counts(out)
        self.assertEqual((counts['reconstructed'], counts['kept']), (1, 1), out)
        dl = self.ok(self.agent.order(plain))['deadlines']
        self.assertEqual((dl['sign_deadline'], dl['handle_deadline'], dl['provisional']),
                         (SIGN_OFFICIAL, HANDLE_OFFICIAL, False))
        dl = self.ok(self.agent.order(extended))['deadlines']
        self.assertEqual((dl['sign_deadline'], dl['handle_deadline']),
                         ('2093-02-03T23:59:59+08:00', '2093-02-09T23:59:59+08:00'))
        self.assertEqual([e for e in self.ok(self.agent.events(extended))
                          if e['action'] == 'deadline_recalculated'], [])
