"""The callback queue 回访 (docs/deadlines.md, "Callbacks"): tasks made by replies, taken by agents
one at a time under a hold, recorded as a rating, a reopen or an unreachable call.

The queue is one for the whole database, so every test first pushes the open
tasks that other tests left behind far into the future and drops their holds
(psql), and then works only with the orders it made itself. Settings are global too: each test sets
what it needs and tearDown puts the defaults back.
"""
import datetime
import threading
import time

from harness import psql, wait_for
from orders_fixture import CST, Actor, Calendar, OrdersTestCase, add_user, parse_iso
from test_order_stats import assert_documented

DEFAULTS = {'delay_workdays': 1, 'share': 1.0, 'max_attempts': 3, 'hold_minutes': 15,
            'retry_minutes': 60}


class CallbackQueue(OrdersTestCase):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        try:
            cls.agent2 = Actor(cls.server, add_user('agent', prefix='agent2'))
        except BaseException:
            cls.tearDownClass()
            raise

    @classmethod
    def tearDownClass(cls):
        if hasattr(cls, 'agent2'):
            cls.agent2.close()
        super().tearDownClass()

    def setUp(self):
        super().setUp()
        psql("UPDATE callback_task SET due_at = due_at + interval '1000 years',"
             " held_by = NULL, held_until = NULL"
             " WHERE status = 'open' AND due_at < now() + interval '100 years'")

    def tearDown(self):
        self.settings(**DEFAULTS)
        super().tearDown()

    # --- helpers

    def settings(self, **values):
        r = self.admin.put('/api/v1/settings/callbacks', values)
        self.assertEqual(r.status, 200, r)
        return r.json

    def replied(self, **fields):
        """A new order of depts.a, replied: awaiting callback."""
        return self.order_in('awaiting_callback', **fields)

    def task_of(self, number, status='open'):
        r = self.agent.get('/api/v1/callbacks?status=%s&limit=200' % status)
        self.assertEqual(r.status, 200, r)
        mine = [t for t in r.json['items'] if t['order']['number'] == number]
        return mine[-1] if mine else None

    def next(self, actor):
        r = actor.post('/api/v1/callbacks/next')
        self.assertIn(r.status, (200, 204), r)
        return r.json if r.status == 200 else None

    def record(self, actor, task_id, **body):
        return actor.post('/api/v1/callbacks/%d/result' % task_id, body)

    # --- tests

    def test_a_reply_queues_a_task_due_at_the_start_of_the_next_working_day(self):
        self.settings(delay_workdays=1)
        before = datetime.datetime.now(CST)
        number = self.replied()
        task = self.task_of(number)
        self.assertIsNotNone(task, 'no open task for the replied order')
        # 00:00 of the first working day after the reply, on the official calendar.
        due_day = Calendar().add_workdays(before, 1).date()
        self.assertEqual(parse_iso(task['due_at']),
                         datetime.datetime(due_day.year, due_day.month, due_day.day, tzinfo=CST))
        self.assertEqual((task['attempts'], task['round'], task['held'], task['due']), (0, 0, False, False))
        self.assertEqual(task['order']['caller']['phone'], '13812345678')
        self.assertEqual(task['order']['lead_department']['code'], self.depts.a)
        # Not due yet: nobody can take it.
        self.assertIsNone(self.next(self.agent))

    def test_two_agents_taking_tasks_at_once_never_get_the_same_caller(self):
        self.settings(delay_workdays=0)
        numbers = [self.replied() for _ in range(8)]
        mine = {self.task_of(n)['id'] for n in numbers}
        taken = {'a': [], 'b': []}
        start = threading.Barrier(2)
        errors = []

        def work(name, actor):
            try:
                start.wait()
                while True:
                    task = self.next(actor)
                    if task is None:
                        return
                    taken[name].append(task['id'])
                    r = self.record(actor, task['id'], satisfaction='satisfied', solved=True)
                    if r.status != 200:
                        errors.append(r)
                        return
            except Exception as exc:  # reported below, in the test's thread
                errors.append(exc)

        threads = [threading.Thread(target=work, args=('a', self.agent)),
                   threading.Thread(target=work, args=('b', self.agent2))]
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
        self.assertEqual(errors, [])
        a, b = set(taken['a']), set(taken['b'])
        self.assertEqual(len(a), len(taken['a']), 'an agent got a task twice')
        self.assertEqual(a & b, set(), 'both agents got the same task')
        self.assertEqual(a | b, mine)
        for n in numbers:
            self.assertState(n, 'completed')

    def test_next_gives_an_agent_the_task_it_already_holds(self):
        self.settings(delay_workdays=0)
        self.replied()
        self.replied()
        first = self.next(self.agent)
        again = self.next(self.agent)
        self.assertEqual(again['id'], first['id'])
        self.assertTrue(again['held'])
        self.assertEqual(again['held_by'], self.agent.login)
        other = self.next(self.agent2)
        self.assertNotEqual(other['id'], first['id'])

    def test_a_hold_that_runs_out_releases_the_task_to_another_agent(self):
        self.settings(delay_workdays=0, hold_minutes=0.02)   # 1.2 seconds
        number = self.replied()
        task = self.next(self.agent)
        self.assertEqual(task['order']['number'], number)
        held_until = parse_iso(task['held_until'])
        self.assertLess(held_until - datetime.datetime.now(CST), datetime.timedelta(seconds=2))
        self.assertIsNone(self.next(self.agent2), 'a held task went to a second agent')
        time.sleep(1.5)
        again = self.next(self.agent2)
        self.assertEqual(again['id'], task['id'])
        self.assertEqual(again['held_by'], self.agent2.login)
        late = self.record(self.agent, task['id'], satisfaction='satisfied', solved=True)
        self.assertProblem(late, 409)
        self.assertEqual(late.json['type'], 'not-holder')
        ok = self.record(self.agent2, task['id'], satisfaction='satisfied', solved=True)
        self.assertEqual(ok.status, 200, ok)

    def test_only_the_holder_may_record_and_a_finished_task_takes_no_more(self):
        self.settings(delay_workdays=0)
        self.replied()
        task = self.next(self.agent)
        other = self.record(self.agent2, task['id'], satisfaction='satisfied', solved=True)
        self.assertProblem(other, 409, r'held by ' + self.agent.login)
        self.assertEqual(other.json['type'], 'not-holder')
        # Nor through the order's own callback action while the hold runs.
        direct = self.agent2.act(task['order']['number'], 'callback', satisfaction='satisfied', solved=True)
        self.assertProblem(direct, 409)
        self.assertEqual(direct.json['type'], 'callback-held')
        done = self.record(self.agent, task['id'], satisfaction='basically', solved=True, comment='已修好')
        self.assertEqual(done.status, 200, done)
        self.assertEqual(done.json['task']['status'], 'done')
        self.assertEqual(done.json['order']['status'], 'completed')
        self.assertEqual(done.json['order']['outcome']['satisfaction'], 'basically')
        again = self.record(self.agent, task['id'], satisfaction='satisfied', solved=True)
        self.assertProblem(again, 409)
        self.assertEqual(again.json['type'], 'callback-finished')
        missing = self.record(self.agent, 999999999, satisfaction='satisfied', solved=True)
        self.assertProblem(missing, 404)

    def test_unsatisfied_and_attributable_reopens_and_the_second_rating_counts(self):
        self.settings(delay_workdays=0)
        number = self.replied()
        before = self.agent.order(number).json
        first = self.next(self.agent)
        self.assertEqual(first['order']['number'], number)
        no_reason = self.record(self.agent, first['id'], satisfaction='unsatisfied', solved=False,
                                attributable=True)
        self.assertProblem(no_reason, 422, field='comment')
        r = self.record(self.agent, first['id'], satisfaction='unsatisfied', solved=False,
                        attributable=True, comment='路面仍未修复')
        self.assertEqual(r.status, 200, r)
        order = r.json['order']
        self.assertEqual(order['status'], 'dispatched')
        self.assertEqual(order['lead_department']['code'], self.depts.a, 'reopened to the same unit')
        self.assertEqual(order['counts']['reopens'], 1)
        self.assertIsNone(order['outcome']['satisfaction'])
        self.assertGreaterEqual(parse_iso(order['deadlines']['handle_deadline']),
                                parse_iso(before['deadlines']['handle_deadline']))
        self.assertEqual(r.json['task']['status'], 'reopened')
        history = r.json['task']['history']
        self.assertEqual([(h['outcome'], h['satisfaction'], h['attributable']) for h in history],
                         [('reopened', 'unsatisfied', True)])
        reopen = [e for e in self.agent.events(number).json if e['action'] == 'reopen']
        self.assertEqual(reopen[0]['note'], '路面仍未修复')

        # The unit handles it again; its second reply makes a second task.
        self.step(self.ha, number, 'sign', 'in_progress')
        self.step(self.ha, number, 'reply', 'awaiting_callback', result='已重新铺设路面',
                  solved=True, contacted=True)
        second = self.next(self.agent)
        self.assertEqual(second['order']['number'], number)
        self.assertNotEqual(second['id'], first['id'])
        self.assertEqual(second['round'], 1)
        r = self.record(self.agent, second['id'], satisfaction='satisfied', solved=True)
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.json['order']['status'], 'completed')
        self.assertEqual(r.json['order']['outcome']['satisfaction'], 'satisfied')
        self.assertTrue(r.json['order']['outcome']['solved'])

    def test_unsatisfied_but_not_attributable_closes_with_the_rating(self):
        self.settings(delay_workdays=0)
        number = self.replied()
        task = self.next(self.agent)
        r = self.record(self.agent, task['id'], satisfaction='unsatisfied', solved=False,
                        attributable=False, comment='诉求超出政策范围')
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.json['order']['status'], 'completed')
        self.assertEqual(r.json['order']['outcome']['satisfaction'], 'unsatisfied')
        self.assertEqual(r.json['order']['counts']['reopens'], 0)
        self.assertEqual(r.json['task']['history'][0]['outcome'], 'rated')
        self.assertEqual(self.agent.order(number).json['outcome']['callback_result'], 'rated')

    def test_unreachable_until_the_last_attempt_closes_as_unreachable(self):
        self.settings(delay_workdays=0, max_attempts=3, retry_minutes=0)
        number = self.replied()
        for attempt in (1, 2):
            task = self.next(self.agent)
            self.assertEqual(task['order']['number'], number)
            r = self.record(self.agent, task['id'], unreachable=True, comment='无人接听')
            self.assertEqual(r.status, 200, r)
            self.assertEqual(r.json['task']['status'], 'open')
            self.assertEqual(r.json['task']['attempts'], attempt)
            self.assertFalse(r.json['task']['held'])
            self.assertEqual(r.json['order']['status'], 'awaiting_callback')
        task = self.next(self.agent)
        r = self.record(self.agent, task['id'], unreachable=True, comment='关机')
        self.assertEqual(r.status, 200, r)
        self.assertEqual((r.json['task']['status'], r.json['task']['attempts']), ('unreachable', 3))
        order = r.json['order']
        self.assertEqual(order['status'], 'completed')
        self.assertEqual(order['outcome']['callback_result'], 'unreachable')
        self.assertIsNone(order['outcome']['satisfaction'])
        self.assertEqual([h['outcome'] for h in r.json['task']['history']], ['unreachable'] * 3)

    def test_an_unreachable_call_waits_the_retry_time(self):
        self.settings(delay_workdays=0, retry_minutes=30)
        number = self.replied()
        task = self.next(self.agent)
        r = self.record(self.agent, task['id'], unreachable=True)
        self.assertEqual(r.status, 200, r)
        wait = parse_iso(r.json['task']['due_at']) - datetime.datetime.now(CST)
        self.assertGreater(wait, datetime.timedelta(minutes=29))
        self.assertIsNone(self.next(self.agent))
        self.assertEqual(self.task_of(number)['attempts'], 1)

    def test_a_sample_below_one_skips_orders_outside_it(self):
        self.settings(delay_workdays=0, share=0)
        number = self.replied()
        self.assertIsNone(self.task_of(number))
        skipped = self.task_of(number, status='skipped')
        self.assertIsNotNone(skipped)
        self.assertIsNone(self.next(self.agent))

    def test_a_merged_order_leaves_the_queue(self):
        self.settings(delay_workdays=0)
        number = self.replied()
        target = self.new_order()
        self.step(self.agent, number, 'merge', 'merged', into=target)
        self.assertIsNone(self.task_of(number))
        self.assertIsNotNone(self.task_of(number, status='cancelled'))

    def test_the_list_shows_due_held_and_attempts(self):
        self.settings(delay_workdays=0)
        n1 = self.replied()
        n2 = self.replied()
        held = self.next(self.agent)
        r = self.agent.get('/api/v1/callbacks?due=true')
        self.assertEqual(r.status, 200, r)
        items = {t['order']['number']: t for t in r.json['items']}
        self.assertIn(n1, items)
        self.assertIn(n2, items)
        self.assertTrue(items[held['order']['number']]['held'])
        self.assertEqual(items[held['order']['number']]['held_by'], self.agent.login)
        self.assertGreaterEqual(r.json['counts']['due'], 2)
        self.assertGreaterEqual(r.json['counts']['held'], 1)
        page = self.agent.get('/api/v1/callbacks?due=true&limit=1')
        self.assertEqual(len(page.json['items']), 1)
        rest = self.agent.get('/api/v1/callbacks?due=true&limit=1&cursor=' + page.json['next_cursor'])
        self.assertNotEqual(rest.json['items'][0]['id'], page.json['items'][0]['id'])
        self.assertProblem(self.agent.get('/api/v1/callbacks?status=bogus'), 400)
        assert_documented(self, r, '/api/v1/callbacks', 'get')
        assert_documented(self, self.agent.post('/api/v1/callbacks/next'), '/api/v1/callbacks/next', 'post')
        done = self.record(self.agent, held['id'], satisfaction='satisfied', solved=True)
        assert_documented(self, done, '/api/v1/callbacks/{id}/result', 'post')
        again = self.record(self.agent, held['id'], satisfaction='satisfied', solved=True)
        assert_documented(self, again, '/api/v1/callbacks/{id}/result', 'post')

    def test_departments_cannot_use_the_queue(self):
        self.assertProblem(self.ha.post('/api/v1/callbacks/next'), 403)
        self.assertProblem(self.ha.get('/api/v1/callbacks'), 403)
        self.assertProblem(self.supervisor.post('/api/v1/callbacks/next'), 403)


class CallbackSettings(OrdersTestCase):

    def tearDown(self):
        r = self.admin.put('/api/v1/settings/callbacks', DEFAULTS)
        self.assertEqual(r.status, 200, r)
        super().tearDown()

    def test_defaults_and_a_partial_change(self):
        r = self.admin.get('/api/v1/settings/callbacks')
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.json, DEFAULTS)
        r = self.admin.put('/api/v1/settings/callbacks', {'share': 0.25, 'max_attempts': 5})
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.json, dict(DEFAULTS, share=0.25, max_attempts=5))
        stored = psql("SELECT value::text FROM setting WHERE key = 'callback.share'")
        self.assertEqual(stored, [['0.25']])
        self.assertEqual(self.supervisor.get('/api/v1/settings/callbacks').json['share'], 0.25)

    def test_wrong_values_are_refused_and_nothing_changes(self):
        cases = [
            ({'share': 1.5}, 'share'),
            ({'max_attempts': 0}, 'max_attempts'),
            ({'max_attempts': 2.5}, 'max_attempts'),
            ({'hold_minutes': 'ten'}, 'hold_minutes'),
            ({'delay_workdays': 2, 'colour': 'red'}, 'colour'),
        ]
        for body, field in cases:
            with self.subTest(body=body):
                r = self.admin.put('/api/v1/settings/callbacks', body)
                self.assertProblem(r, 422, field=field)
        self.assertEqual(self.admin.get('/api/v1/settings/callbacks').json, DEFAULTS)

    def test_only_administrators_change_settings(self):
        self.assertProblem(self.supervisor.put('/api/v1/settings/callbacks', {'share': 0.5}), 403)
        self.assertProblem(self.agent.get('/api/v1/settings/callbacks'), 403)


class UnsampledCallbacks(OrdersTestCase):
    """With callback.share below 1, the orders left out of the sample are
    closed by the system once their task falls due, with no rating: they
    must not wait in 待回访 for ever."""

    server_env = {'HOTLINE_SWEEP_SECONDS': '1'}

    def tearDown(self):
        r = self.admin.put('/api/v1/settings/callbacks', DEFAULTS)
        self.assertEqual(r.status, 200, r)
        super().tearDown()

    def test_an_order_outside_the_sample_is_closed_without_a_rating(self):
        r = self.admin.put('/api/v1/settings/callbacks', {'delay_workdays': 0, 'share': 0})
        self.assertEqual(r.status, 200, r)
        number = self.order_in('awaiting_callback')
        closed = wait_for(lambda: self.agent.order(number).json['status'] == 'completed', timeout=20)
        self.assertTrue(closed, self.agent.order(number).json['status'])
        o = self.agent.order(number).json
        self.assertEqual(o['outcome']['callback_result'], 'not_sampled')
        self.assertIsNone(o['outcome']['satisfaction'])
        last = self.agent.events(number).json[-1]
        self.assertEqual((last['action'], last['actor']['role']), ('callback', 'system'))
        self.assertEqual(last['payload'].get('skipped'), True)
