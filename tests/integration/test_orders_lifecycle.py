"""The work-order lifecycle (docs/lifecycle.md) driven through the HTTP API by the
roles that take each step: every path, the state/action/role table, the
event record, concurrent actions and optimistic concurrency."""
import datetime
import threading

from harness import psql
from orders_fixture import (Actor, Calendar, OrdersTestCase, action_params, add_user,
                            event_count, parse_iso)

# The lifecycle table as docs/lifecycle.md states it (mirrors src/orders/lifecycle.c):
# action -> (states it may be taken in, state it leads to or None, roles).
OPEN = {'pending', 'dispatched', 'in_progress', 'return_requested', 'extension_requested',
        'suspended', 'awaiting_callback'}
CENTRE = {'agent', 'reviewer'}
DEPT = {'dept_handler', 'dept_admin'}
TABLE = {
    'answer': ({'pending'}, 'completed', CENTRE),
    'not_accept': ({'pending'}, 'completed', CENTRE),
    'transfer_out': ({'pending'}, 'transferred', CENTRE),
    'dispatch': ({'pending'}, 'dispatched', CENTRE),
    'sign': ({'dispatched'}, 'in_progress', DEPT),
    'return': ({'dispatched', 'in_progress'}, 'return_requested', DEPT),
    'approve_return': ({'return_requested'}, 'dispatched', {'reviewer', 'supervisor'}),
    'reject_return': ({'return_requested'}, 'dispatched', {'reviewer', 'supervisor'}),
    'sub_dispatch': ({'in_progress'}, 'dispatched', {'dept_admin'}),
    'request_extension': ({'in_progress'}, 'extension_requested', DEPT),
    'approve_extension': ({'extension_requested'}, 'in_progress', {'supervisor'}),
    'reject_extension': ({'extension_requested'}, 'in_progress', {'supervisor'}),
    'suspend': ({'in_progress'}, 'suspended', DEPT),
    'resume': ({'suspended'}, 'in_progress', DEPT),
    'reply': ({'in_progress'}, 'awaiting_callback', DEPT),
    'callback': ({'awaiting_callback'}, 'completed', CENTRE),
    'reopen': ({'awaiting_callback'}, 'dispatched', CENTRE),
    'merge': (OPEN, 'merged', CENTRE),
    'press': (OPEN - {'pending'}, None, {'supervisor'}),
    'archive': ({'completed', 'transferred', 'merged'}, 'archived', {'admin', 'supervisor'}),
    'chase': (OPEN, None, CENTRE),
}
STATES = ['pending', 'dispatched', 'in_progress', 'return_requested', 'extension_requested',
          'suspended', 'awaiting_callback', 'completed', 'transferred', 'merged', 'archived']
# Who plays each role in the matrix (department users of the lead unit).
PLAYERS = {'agent': 'agent', 'reviewer': 'reviewer', 'supervisor': 'supervisor',
           'admin': 'admin', 'dept_handler': 'ha', 'dept_admin': 'ma'}


def ts(s):
    return parse_iso(s) if s else None


class Paths(OrdersTestCase):
    """Each path of docs/lifecycle.md from registration to its end."""

    def test_register_dispatch_sign_reply_callback_completes_the_order(self):
        d = self.depts
        r = self.agent.create()
        self.assertEqual(r.status, 201, r)
        n = r.json['number']
        self.assertRegex(n, r'^\d{8}-\d{6}$')
        self.assertEqual(r.header('location'), '/api/v1/orders/' + n)
        self.assertEqual((r.json['status'], r.json['version']), ('pending', 1))
        self.assertEqual(r.json['created_by'], self.agent.login)
        self.assertEqual(event_count(n), 1)

        o = self.step(self.agent, n, 'dispatch', 'dispatched', department=d.a, assisting=[d.c],
                      note='请尽快处理')
        self.assertEqual(o['lead_department']['code'], d.a)
        self.assertEqual([x['code'] for x in o['assisting_departments']], [d.c])
        dl = o['deadlines']
        self.assertEqual(dl['handle_unit'], 'workdays')
        self.assertEqual(dl['alert'], 'green')
        start = ts(dl['clock_started_at'])
        self.assertLess(start, ts(dl['sign_deadline']))
        self.assertLess(ts(dl['sign_deadline']), ts(dl['handle_deadline']))

        o = self.step(self.ha, n, 'sign', 'in_progress', note='已签收')
        self.assertIsNotNone(o['signed_at'])
        o = self.step(self.ha, n, 'reply', 'awaiting_callback', result='已组织抢修，路面恢复。',
                      solved=True, contacted=True)
        self.assertEqual(o['outcome']['result'], '已组织抢修，路面恢复。')
        self.assertEqual((o['outcome']['solved'], o['outcome']['contacted']), (True, True))
        self.assertIsNotNone(o['replied_at'])
        o = self.step(self.agent, n, 'callback', 'completed', satisfaction='basically',
                      solved=True, note='市民表示基本满意')
        self.assertEqual(o['outcome']['satisfaction'], 'basically')
        self.assertIsNotNone(o['completed_at'])
        self.assertEqual(o['allowed_actions'], [])

        evs = self.ok(self.agent.events(n))
        self.assertEqual([e['action'] for e in evs],
                         ['register', 'dispatch', 'sign', 'reply', 'callback'])
        self.assertEqual([(e['from_status'], e['to_status']) for e in evs],
                         [(None, 'pending'), ('pending', 'dispatched'),
                          ('dispatched', 'in_progress'), ('in_progress', 'awaiting_callback'),
                          ('awaiting_callback', 'completed')])
        self.assertEqual([e['actor']['login'] for e in evs],
                         [self.agent.login, self.agent.login, self.ha.login, self.ha.login,
                          self.agent.login])
        self.assertEqual([e['actor']['role'] for e in evs],
                         ['agent', 'agent', 'dept_handler', 'dept_handler', 'agent'])
        self.assertEqual(evs[2]['department']['code'], d.a)
        self.assertEqual(evs[2]['action_name'], '签收')
        self.assertEqual(evs[1]['note'], '请尽快处理')
        self.assertEqual(evs[1]['payload']['department'], d.a)
        self.assertEqual(evs[1]['payload']['handle_deadline'], dl['handle_deadline'])
        self.assertEqual(evs[4]['note'], '市民表示基本满意')

    def test_reviewer_may_dispatch_and_dept_admin_may_sign_and_reply(self):
        n = self.new_order()
        self.step(self.reviewer, n, 'dispatch', 'dispatched', department=self.depts.a)
        self.step(self.ma, n, 'sign', 'in_progress')
        self.step(self.ma, n, 'reply', 'awaiting_callback', result='已办理', solved=False,
                  contacted=True)
        o = self.step(self.reviewer, n, 'callback', 'completed', satisfaction='unsatisfied',
                      solved=False)
        self.assertEqual((o['outcome']['satisfaction'], o['outcome']['solved']),
                         ('unsatisfied', False))

    def test_answer_on_the_spot_completes_without_a_department(self):
        n = self.new_order(request_type='consult', content='咨询社保卡补办需要什么材料？')
        r = self.agent.act(n, 'answer')
        self.assertProblem(r, 422, field='answer')
        o = self.step(self.agent, n, 'answer', 'completed', answer='携带身份证到社保网点办理。')
        self.assertEqual(o['outcome']['result'], '携带身份证到社保网点办理。')
        self.assertIs(o['outcome']['solved'], True)
        self.assertEqual(o['outcome']['callback_result'], 'answered')
        self.assertIsNone(o['lead_department'])

    def test_not_accepted_records_the_reason_and_the_legal_channel(self):
        n = self.new_order(request_type='help', content='要求热线判决邻里纠纷')
        self.assertProblem(self.reviewer.act(n, 'not_accept', reason='  '), 422, field='reason')
        self.step(self.reviewer, n, 'not_accept', 'completed', reason='属于民事诉讼范围',
                  channel_advice='请向人民法院起诉')
        o = self.ok(self.agent.order(n))
        self.assertEqual(o['outcome']['result'], '属于民事诉讼范围')
        self.assertEqual(o['outcome']['callback_result'], 'not_accepted')
        ev = self.ok(self.agent.events(n))[-1]
        self.assertEqual(ev['action'], 'not_accept')
        self.assertEqual(ev['note'], '属于民事诉讼范围')

    def test_transfer_out_to_each_emergency_service(self):
        for target in ('110', '119', '120', '122'):
            with self.subTest(target=target):
                n = self.new_order()
                o = self.step(self.agent, n, 'transfer_out', 'transferred', target=target)
                self.assertEqual(o['outcome']['transferred_to'], target)
        n = self.new_order()
        self.assertProblem(self.agent.act(n, 'transfer_out', target='12345'), 422, '12345',
                           field='target')
        self.assertState(n, 'pending')

    def test_return_then_approve_redispatches_to_another_department(self):
        d = self.depts
        n = self.order_in('dispatched')
        self.assertProblem(self.ha.act(n, 'return'), 422, field='reason')
        o = self.step(self.ha, n, 'return', 'return_requested', reason='路面归市政管理，不属本局')
        self.assertEqual(o['pending_reason'], '路面归市政管理，不属本局')
        self.assertEqual(o['counts']['returns'], 1)
        before = o['deadlines']['clock_started_at']
        # Re-dispatch must go elsewhere.
        r = self.reviewer.act(n, 'approve_return', department=d.a)
        self.assertProblem(r, 422, 'another department', field='department')
        self.assertProblem(self.reviewer.act(n, 'approve_return', department='NOPE-X'), 422,
                           field='department')
        o = self.step(self.reviewer, n, 'approve_return', 'dispatched', department=d.b)
        self.assertEqual(o['lead_department']['code'], d.b)
        self.assertEqual(o['pending_reason'], '')
        self.assertGreaterEqual(ts(o['deadlines']['clock_started_at']), ts(before))
        # The new unit has it; the old one no longer sees it.
        self.step(self.hb, n, 'sign', 'in_progress')
        self.assertEqual(self.ha.order(n).status, 404)

    def test_return_after_signing_then_reject_sends_it_back_to_the_department(self):
        d = self.depts
        n = self.order_in('in_progress')
        self.step(self.ha, n, 'return', 'return_requested', reason='不属于本单位')
        self.assertProblem(self.supervisor.act(n, 'reject_return'), 422, field='reason')
        o = self.step(self.supervisor, n, 'reject_return', 'dispatched',
                      reason='经核实属于贵单位职责')
        self.assertEqual(o['lead_department']['code'], d.a)
        self.assertEqual(o['pending_reason'], '')
        self.step(self.ha, n, 'sign', 'in_progress')
        ev = self.ok(self.agent.events(n))
        self.assertEqual(ev[-2]['note'], '经核实属于贵单位职责')
        self.assertEqual(ev[-2]['actor']['role'], 'supervisor')

    def test_sub_dispatch_by_dept_admin_down_two_levels(self):
        d = self.depts
        n = self.order_in('in_progress')
        handle = self.ok(self.agent.order(n))['deadlines']['handle_deadline']
        self.assertProblem(self.ha.act(n, 'sub_dispatch', department=d.a1), 403)
        self.assertProblem(self.ma.act(n, 'sub_dispatch', department=d.b), 422, 'sub-unit',
                           field='department')
        self.assertProblem(self.ma.act(n, 'sub_dispatch', department=d.a), 422,
                           field='department')
        self.assertEqual(self.ma1.order(n).status, 404, 'a sub-unit sees nothing before')
        o = self.step(self.ma, n, 'sub_dispatch', 'dispatched', department=d.a1)
        self.assertEqual(o['lead_department']['code'], d.a1)
        self.assertEqual(o['deadlines']['handle_deadline'], handle,
                         'the handling deadline stands on sub-dispatch')
        self.assertIsNone(o['signed_at'])
        self.step(self.ha1, n, 'sign', 'in_progress')
        # The parent unit still sees and may act on it; sub-dispatch a third level.
        self.assertEqual(self.ha.order(n).status, 200)
        o = self.step(self.ma1, n, 'sub_dispatch', 'dispatched', department=d.a11)
        self.assertEqual(o['lead_department']['code'], d.a11)
        self.step(self.ha11, n, 'sign', 'in_progress')
        self.step(self.ha11, n, 'reply', 'awaiting_callback', result='社区已处理', solved=True,
                  contacted=True)
        evs = self.ok(self.agent.events(n))
        subs = [e for e in evs if e['action'] == 'sub_dispatch']
        self.assertEqual([e['payload']['department'] for e in subs], [d.a1, d.a11])
        self.assertEqual([e['department']['code'] for e in subs], [d.a, d.a1])

    def test_extension_approved_moves_the_deadline(self):
        cal = Calendar()
        n = self.order_in('in_progress')
        old = self.ok(self.agent.order(n))['deadlines']['handle_deadline']
        o = self.step(self.ha, n, 'request_extension', 'extension_requested',
                      reason='需要协调施工单位', workdays=5)
        want = cal.add_workdays(ts(old), 5)
        self.assertEqual(ts(o['deadlines']['requested_deadline']), want)
        self.assertEqual(o['deadlines']['handle_deadline'], old, 'unchanged until approved')
        self.assertProblem(self.reviewer.act(n, 'approve_extension'), 403)
        o = self.step(self.supervisor, n, 'approve_extension', 'in_progress', note='同意')
        self.assertEqual(ts(o['deadlines']['handle_deadline']), want)
        self.assertIsNone(o['deadlines']['requested_deadline'])
        self.assertEqual(o['counts']['extensions'], 1)
        ev = self.ok(self.agent.events(n))[-1]
        self.assertEqual((ev['payload']['old_deadline'], ts(ev['payload']['new_deadline'])),
                         (old, want))

    def test_extension_rejected_keeps_the_deadline(self):
        n = self.order_in('in_progress')
        old = self.ok(self.agent.order(n))['deadlines']['handle_deadline']
        self.step(self.ma, n, 'request_extension', 'extension_requested', reason='人手不足',
                  until='2099-01-01T18:00:00+08:00')
        o = self.step(self.supervisor, n, 'reject_extension', 'in_progress', note='不同意')
        self.assertEqual(o['deadlines']['handle_deadline'], old)
        self.assertIsNone(o['deadlines']['requested_deadline'])
        self.assertEqual(o['counts']['extensions'], 0)

    def test_extension_request_needs_a_reason_and_a_later_date(self):
        n = self.order_in('in_progress')
        cases = [
            ({'workdays': 5}, 'reason'),
            ({'reason': '需要时间'}, 'workdays'),
            ({'reason': '需要时间', 'workdays': 0}, 'workdays'),
            ({'reason': '需要时间', 'workdays': 61}, 'workdays'),
            ({'reason': '需要时间', 'until': '2020-01-01T00:00:00+08:00'}, 'until'),
            ({'reason': '需要时间', 'until': 'next week'}, 'until'),
        ]
        for body, field in cases:
            with self.subTest(body=body):
                self.assertProblem(self.ha.act(n, 'request_extension', **body), 422, field=field)
        self.assertState(n, 'in_progress')

    def test_extension_cannot_be_asked_after_the_deadline(self):
        n = self.order_in('in_progress')
        psql("UPDATE work_order SET handle_deadline = now() - interval '1 hour'"
             " WHERE number = '%s'" % n)
        r = self.ha.act(n, 'request_extension', reason='太晚了', workdays=3)
        self.assertProblem(r, 409, 'deadline')
        self.assertState(n, 'in_progress')

    def test_suspension_pushes_a_workday_deadline_back_by_the_working_time(self):
        cal = Calendar()
        n = self.order_in('in_progress')
        self.assertProblem(self.ha.act(n, 'suspend'), 422, field='reason')
        o = self.step(self.ha, n, 'suspend', 'suspended', reason='等待市民补充照片')
        self.assertIsNotNone(o['deadlines']['suspended_at'])
        old = ts(o['deadlines']['handle_deadline'])
        # Pretend the order has waited for the caller for a week.
        psql("UPDATE work_order SET suspended_at = now() - interval '7 days'"
             " WHERE number = '%s'" % n)
        since = ts(self.ok(self.agent.order(n))['deadlines']['suspended_at'])
        o = self.step(self.ha, n, 'resume', 'in_progress', note='材料已补齐')
        self.assertIsNone(o['deadlines']['suspended_at'])
        resumed = ts(self.ok(self.agent.events(n))[-1]['at'])
        want = cal.add_working_seconds(old, cal.working_seconds(since, resumed))
        got = ts(o['deadlines']['handle_deadline'])
        self.assertLessEqual(abs((got - want).total_seconds()), 2, (got, want))
        self.assertGreater(got, old, 'a week holds working days')
        ev = self.ok(self.agent.events(n))[-1]
        self.assertEqual(ts(ev['payload']['old_deadline']), old)
        self.assertEqual(ts(ev['payload']['new_deadline']), got)

    def test_an_overdue_order_cannot_be_suspended(self):
        n = self.order_in('in_progress')
        psql("UPDATE work_order SET handle_deadline = now() - interval '1 hour', alert = 'red'"
             " WHERE number = '%s'" % n)
        r = self.ha.act(n, 'suspend', reason='等待市民补充材料')
        self.assertProblem(r, 409, 'past its handling deadline')
        self.assertEqual(r.json['type'].rsplit('/', 1)[-1], 'suspend-overdue')
        self.assertState(n, 'in_progress')
        overdue = self.ok(self.agent.request('GET', '/api/v1/orders?overdue=true&number=' + n))
        self.assertEqual([o['number'] for o in overdue['items']], [n])

    def test_resuming_never_forgives_time_already_overdue(self):
        # A suspension begun after the deadline (recorded before the rule
        # refusing it): resuming days later leaves the passed deadline, and
        # the late reply counts as late.
        n = self.order_in('in_progress')
        self.step(self.ha, n, 'suspend', 'suspended', reason='等待市民补充材料')
        psql("UPDATE work_order SET handle_deadline = date_trunc('second', now()) - interval '3 days',"
             " suspended_at = now() - interval '2 days' WHERE number = '%s'" % n)
        old = ts(self.ok(self.agent.order(n))['deadlines']['handle_deadline'])
        o = self.step(self.ha, n, 'resume', 'in_progress', note='材料已补齐')
        self.assertEqual(ts(o['deadlines']['handle_deadline']), old)
        self.assertEqual(o['deadlines']['alert'], 'red')
        ev = self.ok(self.agent.events(n))[-1]
        self.assertEqual(ts(ev['payload']['new_deadline']), old)
        self.step(self.ha, n, 'reply', 'awaiting_callback', result='已处理', solved=True,
                  contacted=True)
        late = psql("SELECT replied_at > handle_deadline FROM work_order WHERE number = '%s'" % n)
        self.assertEqual(late, [['t']])

    def test_suspension_pushes_an_hour_deadline_back_by_the_natural_time(self):
        n = self.order_in('in_progress', urgency='urgent')
        o = self.ok(self.agent.order(n))
        self.assertEqual(o['deadlines']['handle_unit'], 'hours')
        old = ts(o['deadlines']['handle_deadline'])
        self.step(self.ha, n, 'suspend', 'suspended', reason='等待现场条件')
        psql("UPDATE work_order SET suspended_at = now() - interval '5 hours'"
             " WHERE number = '%s'" % n)
        o = self.step(self.ha, n, 'resume', 'in_progress')
        pushed = (ts(o['deadlines']['handle_deadline']) - old).total_seconds()
        self.assertLessEqual(abs(pushed - 5 * 3600), 3, pushed)

    def test_reopen_after_reply_restarts_the_clock_and_counts(self):
        cal = Calendar()
        n = self.order_in('awaiting_callback')
        # Let the first round look ten days old.
        psql("UPDATE work_order SET clock_started_at = clock_started_at - interval '10 days',"
             " handle_deadline = handle_deadline - interval '10 days' WHERE number = '%s'" % n)
        old = ts(self.ok(self.agent.order(n))['deadlines']['handle_deadline'])
        self.assertProblem(self.agent.act(n, 'reopen'), 422, field='reason')
        o = self.step(self.agent, n, 'reopen', 'dispatched', reason='市民反映问题依旧')
        self.assertEqual(o['counts']['reopens'], 1)
        self.assertIsNone(o['replied_at'])
        self.assertIsNone(o['outcome']['solved'])
        self.assertIsNone(o['signed_at'])
        start = ts(o['deadlines']['clock_started_at'])
        self.assertEqual(ts(o['deadlines']['handle_deadline']), cal.add_workdays(start, 15))
        self.assertGreater(ts(o['deadlines']['handle_deadline']), old)
        self.assertEqual(o['lead_department']['code'], self.depts.a)
        self.step(self.ha, n, 'sign', 'in_progress')
        self.step(self.ha, n, 'reply', 'awaiting_callback', result='重新处理', solved=True,
                  contacted=True)
        o = self.step(self.agent, n, 'callback', 'completed', satisfaction='satisfied',
                      solved=True)
        self.assertEqual(o['counts']['reopens'], 1)

    def test_callback_needs_a_known_satisfaction_and_solved(self):
        n = self.order_in('awaiting_callback')
        for body, field in (({'solved': True}, 'satisfaction'),
                            ({'satisfaction': 'happy', 'solved': True}, 'satisfaction'),
                            ({'satisfaction': 'satisfied'}, 'solved'),
                            ({'satisfaction': 'satisfied', 'solved': 'yes'}, 'solved')):
            with self.subTest(body=body):
                self.assertProblem(self.agent.act(n, 'callback', **body), 422, field=field)
        self.assertState(n, 'awaiting_callback')

    def test_reply_needs_result_solved_and_contacted(self):
        n = self.order_in('in_progress')
        for body, field in (({'solved': True, 'contacted': True}, 'result'),
                            ({'result': '已办', 'contacted': True}, 'solved'),
                            ({'result': '已办', 'solved': True}, 'contacted')):
            with self.subTest(body=body):
                self.assertProblem(self.ha.act(n, 'reply', **body), 422, field=field)
        self.assertState(n, 'in_progress')

    def test_merge_into_an_earlier_open_order(self):
        earlier = self.order_in('dispatched')
        later = self.new_order(content='同一地点道路塌陷，另一位市民来电')
        o = self.step(self.agent, later, 'merge', 'merged', into=earlier, note='同一事项')
        self.assertEqual(o['outcome']['merged_into'], earlier)
        # From another open state, by a reviewer.
        third = self.order_in('in_progress')
        self.step(self.reviewer, third, 'merge', 'merged', into=earlier)
        self.assertState(earlier, 'dispatched')

    def test_merge_refuses_itself_unknown_and_closed_targets(self):
        n = self.new_order()
        closed = self.order_in('completed')
        self.assertProblem(self.agent.act(n, 'merge'), 422, field='into')
        self.assertProblem(self.agent.act(n, 'merge', into=n), 422, 'itself', field='into')
        self.assertProblem(self.agent.act(n, 'merge', into='19990101-000001'), 422, field='into')
        self.assertProblem(self.agent.act(n, 'merge', into=closed), 422, 'closed', field='into')
        self.assertState(n, 'pending')
        self.assertEqual(event_count(n), 1)

    def test_press_counts_and_keeps_the_state(self):
        n = self.order_in('in_progress')
        o = self.step(self.supervisor, n, 'press', 'in_progress', note='请于今日内回复', level=2)
        self.assertEqual(o['counts']['presses'], 1)
        o = self.step(self.supervisor, n, 'press', 'in_progress', note='再次督办', level=3)
        self.assertEqual(o['counts']['presses'], 2)
        evs = self.ok(self.agent.events(n))[-2:]
        self.assertEqual([(e['from_status'], e['to_status']) for e in evs],
                         [('in_progress', 'in_progress')] * 2)
        self.assertEqual([e['payload']['level'] for e in evs], [2, 3])
        self.assertEqual(evs[0]['note'], '请于今日内回复')
        self.assertProblem(self.supervisor.act(n, 'press', note='x', level=4), 422,
                           field='level')
        self.assertProblem(self.supervisor.act(n, 'press', note='x', level=0), 422,
                           field='level')
        self.assertProblem(self.supervisor.act(n, 'press', level=1), 422, field='note')
        self.assertProblem(self.agent.act(n, 'press', note='x'), 403)
        self.assertInvalidState(self.supervisor.act(self.new_order(), 'press', note='x'),
                                'pending')

    def test_archive_closes_completed_transferred_and_merged_orders(self):
        for state, who in (('completed', 'supervisor'), ('transferred', 'admin'),
                           ('merged', 'supervisor')):
            with self.subTest(state=state):
                n = self.order_in(state)
                self.assertProblem(self.agent.act(n, 'archive'), 403)
                self.step(self.actors[who], n, 'archive', 'archived')
                self.assertInvalidState(self.supervisor.act(n, 'archive'), 'archived')

    def test_unknown_action_is_404(self):
        n = self.new_order()
        self.assertProblem(self.agent.act(n, 'teleport'), 404, 'teleport')
        self.assertProblem(self.agent.act(n, 'register'), 404)


class Table(OrdersTestCase):
    """The state/action/role table from outside: 409 naming the state for an
    action that does not fit it, 403 for a role that may not take it, and the
    allowed actions each role is shown."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.orders = {}

    def order(self, state):
        if state not in self.orders:
            self.orders[state] = self.order_in(state)
        return self.orders[state]

    def test_an_action_that_does_not_fit_the_state_is_409_naming_the_state(self):
        for state in STATES:
            n = self.order(state)
            version = self.ok(self.agent.order(n))['version']
            events = event_count(n)
            for action, (froms, _, _) in TABLE.items():
                if state in froms:
                    continue
                with self.subTest(state=state, action=action):
                    r = self.supervisor.act(n, action, **action_params(action, self.depts))
                    self.assertInvalidState(r, state)
                    self.assertIn(state, r.json['detail'])
            self.assertEqual(self.ok(self.agent.order(n))['version'], version)
            self.assertEqual(event_count(n), events, 'a refused action writes no event')

    def test_a_role_that_may_not_take_an_action_is_403(self):
        for state in STATES:
            n = self.order(state)
            events = event_count(n)
            for action, (froms, _, roles) in TABLE.items():
                if state not in froms:
                    continue
                for role, player in PLAYERS.items():
                    if role in roles:
                        continue
                    actor = self.actors[player]
                    if role in DEPT and state in ('pending', 'transferred', 'merged'):
                        continue  # not visible to a department at all: see test_orders_access
                    with self.subTest(state=state, action=action, role=role):
                        r = actor.act(n, action, **action_params(action, self.depts))
                        self.assertProblem(r, 403)
                        self.assertIn(role, r.json['detail'])
            self.assertState(n, state)
            self.assertEqual(event_count(n), events)

    def test_allowed_actions_list_what_each_role_may_do_now(self):
        for state in STATES:
            n = self.order(state)
            for role, player in PLAYERS.items():
                if role in DEPT and state in ('pending', 'transferred', 'merged'):
                    continue
                want = sorted(a for a, (froms, _, roles) in TABLE.items()
                              if state in froms and role in roles)
                with self.subTest(state=state, role=role):
                    o = self.ok(self.actors[player].order(n))
                    self.assertEqual(sorted(a['action'] for a in o['allowed_actions']), want)
                    for a in o['allowed_actions']:
                        self.assertTrue(a['name'])


class EventRecord(OrdersTestCase):
    """全程留痕: one event per state change, never edited."""

    def test_each_event_continues_from_the_state_the_last_one_left(self):
        n = self.order_in('in_progress')
        self.step(self.ha, n, 'return', 'return_requested', reason='非本单位')
        self.step(self.reviewer, n, 'approve_return', 'dispatched', department=self.depts.b)
        self.step(self.supervisor, n, 'press', 'dispatched', note='请尽快签收')
        self.step(self.hb, n, 'sign', 'in_progress')
        self.step(self.hb, n, 'request_extension', 'extension_requested', reason='协调',
                  workdays=2)
        self.step(self.supervisor, n, 'approve_extension', 'in_progress')
        self.step(self.hb, n, 'suspend', 'suspended', reason='等待')
        self.step(self.hb, n, 'resume', 'in_progress')
        self.step(self.hb, n, 'reply', 'awaiting_callback', result='办结', solved=True,
                  contacted=False)
        self.step(self.agent, n, 'reopen', 'dispatched', reason='不满意')
        self.step(self.hb, n, 'sign', 'in_progress')
        self.step(self.hb, n, 'reply', 'awaiting_callback', result='再办', solved=True,
                  contacted=True)
        self.step(self.agent, n, 'callback', 'completed', satisfaction='satisfied', solved=True)
        self.step(self.admin, n, 'archive', 'archived')
        evs = self.ok(self.agent.events(n))
        self.assertEqual(len(evs), 17)
        self.assertEqual(evs[0]['to_status'], 'pending')
        for prev, ev in zip(evs, evs[1:]):
            self.assertEqual(ev['from_status'], prev['to_status'], ev)
            self.assertGreater(ev['id'], prev['id'])
            self.assertTrue(ev['actor']['login'], ev)
            self.assertRegex(ev['at'], r'^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+08:00$')
        self.assertEqual(evs[-1]['to_status'], 'archived')
        self.assertEqual(psql("SELECT count(*) FROM order_event e JOIN work_order o"
                              " ON o.id = e.order_id WHERE o.number = '%s'" % n), [['17']])

    def test_events_cannot_be_edited_or_deleted(self):
        n = self.order_in('dispatched')
        where = "order_id = (SELECT id FROM work_order WHERE number = '%s')" % n
        for sql in ("UPDATE order_event SET note = '改写' WHERE " + where,
                    "DELETE FROM order_event WHERE " + where,
                    "TRUNCATE order_event CASCADE"):
            with self.subTest(sql=sql.split()[0]):
                with self.assertRaisesRegex(RuntimeError, 'append-only'):
                    psql(sql)
        evs = self.ok(self.agent.events(n))
        self.assertEqual([e['action'] for e in evs], ['register', 'dispatch'])
        self.assertEqual(evs[1]['note'], '')

    def test_a_refused_or_invalid_action_writes_nothing(self):
        n = self.order_in('dispatched')
        before = self.ok(self.agent.order(n))
        for actor, action, body in ((self.ha, 'reply', {'result': 'x', 'solved': True,
                                                         'contacted': True}),
                                    (self.agent, 'sign', {}),
                                    (self.ha, 'return', {'reason': ''}),
                                    (self.hb, 'sign', {})):
            r = actor.act(n, action, **body)
            self.assertIn(r.status, (403, 404, 409, 422), r)
        after = self.ok(self.agent.order(n))
        self.assertEqual(after['version'], before['version'])
        self.assertEqual(after['updated_at'], before['updated_at'])
        self.assertEqual(event_count(n), 2)


class Concurrency(OrdersTestCase):
    """Two people acting on one order at the same moment."""

    ROUNDS = 5

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.ha2 = Actor(cls.server, add_user('dept_handler', cls.depts.a, 'ha2'))
        cls.actors['ha2'] = cls.ha2

    def race(self, calls):
        """Runs the calls (actor, number, action, body) at once on their own
        connections; returns the responses in order."""
        barrier = threading.Barrier(len(calls))
        out = [None] * len(calls)
        twins = [c[0].fork() for c in calls]

        def go(i, _actor, number, action, body):
            barrier.wait()
            try:
                out[i] = twins[i].act(number, action, **body)
            finally:
                twins[i].close()
        threads = [threading.Thread(target=go, args=(i, *c)) for i, c in enumerate(calls)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
        return out

    def test_two_handlers_signing_at_once_exactly_one_wins(self):
        for i in range(self.ROUNDS):
            with self.subTest(round=i):
                n = self.order_in('dispatched')
                rs = self.race([(self.ha, n, 'sign', {}), (self.ha2, n, 'sign', {})])
                self.assertEqual(sorted(r.status for r in rs), [200, 409], rs)
                loser = [r for r in rs if r.status == 409][0]
                self.assertEqual(loser.json['current_status'], 'in_progress')
                self.assertEqual(event_count(n), 3)
                self.assertState(n, 'in_progress')

    def test_sign_and_return_on_the_same_version_exactly_one_wins(self):
        for i in range(self.ROUNDS):
            with self.subTest(round=i):
                n = self.order_in('dispatched')
                v = self.ok(self.ha.order(n))['version']
                rs = self.race([(self.ha, n, 'sign', {'version': v}),
                                (self.ha2, n, 'return', {'version': v, 'reason': '非本单位'})])
                self.assertEqual(sorted(r.status for r in rs), [200, 409], rs)
                winner = [r for r in rs if r.status == 200][0]
                self.assertState(n, winner.json['status'])
                self.assertEqual(event_count(n), 3)
                o = self.ok(self.agent.order(n))
                self.assertEqual(o['version'], v + 1)

    def test_sign_and_return_without_version_serialise(self):
        # Sign first, then return from in_progress, is a legal sequence; return
        # first leaves nothing to sign. Either way the order ends up returned and
        # the events match the successes exactly.
        for i in range(self.ROUNDS):
            with self.subTest(round=i):
                n = self.order_in('dispatched')
                rs = self.race([(self.ha, n, 'sign', {}),
                                (self.ha2, n, 'return', {'reason': '非本单位'})])
                sign, ret = rs
                self.assertEqual(ret.status, 200, ret)
                self.assertIn(sign.status, (200, 409), sign)
                if sign.status == 409:
                    self.assertEqual(sign.json['current_status'], 'return_requested')
                self.assertState(n, 'return_requested')
                self.assertEqual(event_count(n), 2 + sum(r.status == 200 for r in rs))

    def test_a_stale_version_is_refused_with_the_current_state(self):
        n = self.order_in('dispatched')
        v = self.ok(self.ha.order(n))['version']
        self.step(self.ha, n, 'sign', 'in_progress', version=v)
        r = self.ha2.act(n, 'return', version=v, reason='非本单位')
        self.assertProblem(r, 409, 'version')
        self.assertEqual(r.json['current_status'], 'in_progress')
        self.assertEqual(event_count(n), 3)
        self.step(self.ha2, n, 'return', 'return_requested', version=v + 1, reason='非本单位')
        self.assertProblem(self.ha.act(n, 'sign', version='3'), 422, field='version')
