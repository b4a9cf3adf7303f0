"""The demo city (`hotline demo load`) as a new user meets it: a month lived
up to the moment of loading, whose orders, events, deadlines, lights,
callbacks and statistics agree with each other.

On a database of its own: the demo loads only into an empty one.
"""
import time
import unittest

from harness import drop_database, own_database, psql, run_hotline


class DemoMonth(unittest.TestCase):

    @classmethod
    def setUpClass(cls):
        cls.dbname, cls.db = own_database('hotline_demo')
        try:
            cls.load = run_hotline('demo', 'load', db=cls.db, timeout=300)
            cls.loaded = time.time()
        except BaseException:
            cls.tearDownClass()
            raise

    @classmethod
    def tearDownClass(cls):
        drop_database(cls.dbname)

    def q(self, sql):
        return psql(sql, self.db)

    def one(self, sql):
        return self.q(sql)[0][0]

    def test_it_loads_a_month_of_orders_in_every_state(self):
        self.assertEqual(self.load.returncode, 0, self.load.stderr)
        self.assertIn('demo city loaded: 300 orders', self.load.stdout)
        states = dict(self.q('SELECT status, count(*) FROM work_order GROUP BY status'))
        for s in ('pending', 'dispatched', 'in_progress', 'awaiting_callback', 'completed',
                  'transferred', 'return_requested', 'extension_requested'):
            self.assertGreater(int(states.get(s, 0)), 0, (s, states))
        days = int(self.one("SELECT count(DISTINCT (created_at AT TIME ZONE 'Asia/Shanghai')::date)"
                            " FROM work_order"))
        self.assertGreaterEqual(days, 20, 'spread over the month')
        self.assertEqual(self.one("SELECT count(*) FROM work_order"
                                  " WHERE created_at < now() - interval '31 days'"), '0')

    def test_every_event_lies_between_its_registration_and_the_load(self):
        self.assertEqual(self.one(
            "SELECT count(*) FROM order_event e JOIN work_order o ON o.id = e.order_id"
            " WHERE e.at > to_timestamp(%f) OR e.at < o.created_at" % self.loaded), '0')
        # in each order's record, later events are not earlier in time
        self.assertEqual(self.one(
            "SELECT count(*) FROM (SELECT at < lag(at) OVER (PARTITION BY order_id ORDER BY id)"
            " AS back FROM order_event) s WHERE back"), '0')
        self.assertEqual(self.one(
            "SELECT count(*) FROM order_event e JOIN work_order o ON o.id = e.order_id"
            " WHERE e.action = 'register' AND e.at <> o.created_at"), '0')

    def test_the_dispatch_event_names_the_deadlines_the_order_holds(self):
        # An order dispatched once and never moved since: the deadline its
        # dispatch event announced is the one on its summary.
        rows = self.q(
            "SELECT o.number, e.payload->>'handle_deadline', o.handle_deadline::text,"
            " (e.payload->>'handle_deadline')::timestamptz = o.handle_deadline,"
            " e.at <= o.handle_deadline FROM work_order o"
            " JOIN order_event e ON e.order_id = o.id AND e.action = 'dispatch'"
            " WHERE NOT EXISTS (SELECT 1 FROM order_event x WHERE x.order_id = o.id"
            "  AND x.action IN ('approve_extension', 'resume', 'reopen', 'approve_return',"
            "  'reject_return', 'sub_dispatch') OR (x.order_id = o.id AND x.action = 'dispatch'"
            "  AND x.id <> e.id))")
        self.assertGreater(len(rows), 50)
        for number, announced, holds, same, before in rows:
            with self.subTest(order=number):
                self.assertEqual(same, 't', (announced, holds))
                self.assertEqual(before, 't')

    def test_decisions_have_waited_as_long_as_they_have(self):
        waits = [int(w) for (w,) in self.q(
            "SELECT extract(epoch FROM now() - max(e.at))::bigint FROM work_order o"
            " JOIN order_event e ON e.order_id = o.id"
            " WHERE o.status IN ('return_requested', 'extension_requested') GROUP BY o.id")]
        self.assertGreaterEqual(len(waits), 3)
        self.assertGreater(max(waits), 3600, waits)
        self.assertGreater(len(set(w // 600 for w in waits)), 1, waits)

    def test_handling_takes_days_not_seconds(self):
        avg_days = float(self.one("SELECT avg(seconds) / 86400.0 FROM order_handling h"
                                  " JOIN work_order o ON o.id = h.order_id"
                                  " WHERE o.status IN ('completed', 'archived')"))
        self.assertGreater(avg_days, 0.5)

    def test_some_callbacks_are_due_now(self):
        self.assertGreater(int(self.one(
            "SELECT count(*) FROM callback_task WHERE status = 'open' AND due_at <= now()")), 0)
        # a task is due after its reply, never before it
        self.assertEqual(self.one(
            "SELECT count(*) FROM callback_task t JOIN work_order o ON o.id = t.order_id"
            " WHERE t.due_at < o.replied_at"), '0')

    def test_only_police_matters_go_to_110(self):
        rows = self.q("SELECT o.category_code, o.content FROM work_order o"
                      " WHERE o.status = 'transferred'")
        self.assertGreater(len(rows), 0)
        for category, content in rows:
            with self.subTest(content=content):
                self.assertTrue(category.startswith('09'), (category, content))

    def test_the_lights_are_those_of_the_moment_of_loading(self):
        self.assertEqual(self.one(
            "SELECT count(*) FROM work_order WHERE status IN ('dispatched', 'in_progress',"
            " 'return_requested', 'extension_requested') AND handle_deadline < now()"
            " AND alert <> 'red'"), '0')
        lights = dict(self.q("SELECT alert, count(*) FROM work_order GROUP BY alert"))
        self.assertGreater(int(lights.get('red', 0)), 0, lights)
        self.assertGreater(int(lights.get('green', 0)), 0, lights)

    def test_the_statistics_rollup_equals_the_orders(self):
        # by channel (every order has one): the day rollup, the month rollup
        # and the orders counted afresh agree on every counter
        fresh = self.q(
            "SELECT array_to_string(sum_f, ',') FROM (SELECT ARRAY(SELECT sum(f[i])"
            "  FROM (SELECT stat_facts(o, h.seconds) AS f FROM work_order o"
            "   LEFT JOIN order_handling h ON h.order_id = o.id) s,"
            "  generate_series(1, 19) i GROUP BY i ORDER BY i) AS sum_f) x")[0][0]
        day = self.one("SELECT concat_ws(',', sum(accepted), sum(completed), sum(on_time))"
                       " FROM stat_rollup WHERE kind = 4")
        self.assertEqual(day, ','.join(fresh.split(',')[:3]))
        self.assertNotEqual(fresh.split(',')[2], '0', 'some orders done on time')


if __name__ == '__main__':
    unittest.main()
