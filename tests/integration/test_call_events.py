"""Live call events (POST /api/v1/calls/events), the agent's current call
(GET /api/v1/calls/current) and the caller's history
(GET /api/v1/callers/{phone}/history): the screen pop of 来电弹屏.

Each test works in its own random hour of the 22nd century and with its own
call ids and caller numbers, so that its statistics are its own.
"""
import datetime
import os
import random
import tempfile
import threading
import time
import unittest
import uuid
from urllib.parse import quote, urlencode

from harness import ROOT, Server, ServerTestCase, psql, run_hotline
from orders_fixture import Actor, add_user, create_token, ensure_demo_data

CST = datetime.timezone(datetime.timedelta(hours=8))


def iso(t):
    return t.isoformat()


class LiveEvents(ServerTestCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        try:
            ensure_demo_data()
            cls.cti = create_token(add_user('supervisor', prefix='cti'))
            cls.agent_login = add_user('agent')
            cls.agent = Actor(cls.server, cls.agent_login)
            cls.agent2_login = add_user('agent')
            cls.agent2 = Actor(cls.server, cls.agent2_login)
        except BaseException:
            cls.server.stop()
            raise

    @classmethod
    def tearDownClass(cls):
        cls.agent.close()
        cls.agent2.close()
        super().tearDownClass()

    def setUp(self):
        super().setUp()
        self.t0 = datetime.datetime(random.randrange(2100, 2200), random.randrange(1, 13),
                                    random.randrange(1, 29), random.randrange(0, 23), tzinfo=CST)
        self.phone = '139%08d' % random.randrange(10 ** 8)

    def call_id(self):
        return 'live-' + uuid.uuid4().hex[:12]

    def event(self, type_, call_id, seconds=0, expect=(200, 201), **fields):
        body = dict(type=type_, call_id=call_id, at=iso(self.t0 + datetime.timedelta(seconds=seconds)),
                    **fields)
        r = self.client.post('/api/v1/calls/events', body,
                             headers={'Authorization': 'Bearer ' + self.cti})
        if expect:
            self.assertIn(r.status, expect, r)
        return r

    def hour_stats(self):
        q = {'from': iso(self.t0), 'to': iso(self.t0 + datetime.timedelta(hours=1))}
        r = self.client.get('/api/v1/stats/calls?' + urlencode(q),
                            headers={'Authorization': 'Bearer ' + self.cti})
        self.assertEqual(r.status, 200, r)
        return r.json['total']

    def test_events_are_idempotent_per_call_and_type(self):
        c = self.call_id()
        r = self.event('offered', c, caller=self.phone, dialled='12345', queue='hotline')
        self.assertEqual((r.status, r.json['created'], r.json['call']['outcome']), (201, True, 'waiting'))
        r = self.event('offered', c, 3, caller=self.phone, dialled='12345', queue='hotline')
        self.assertEqual((r.status, r.json['created']), (200, False))
        self.assertEqual(r.json['call']['at'], iso(self.t0))     # the first one stands
        self.assertEqual(self.event('answered', c, 12, agent=self.agent_login).status, 201)
        self.assertEqual(self.event('answered', c, 40, agent=self.agent_login).status, 200)
        self.assertEqual(self.event('ended', c, 132, cause='normal').status, 201)
        r = self.event('ended', c, 200, cause='normal')
        self.assertEqual(r.status, 200)
        call = r.json['call']
        self.assertEqual((call['offered'], call['answered'], call['wait_s'], call['talk_s'],
                          call['agent_login'], call['sources']),
                         (True, True, 12, 120, self.agent_login, ['live']))
        self.assertEqual(call['answered_at'], iso(self.t0 + datetime.timedelta(seconds=12)))
        total = self.hour_stats()
        self.assertEqual((total['offered'], total['answered'], total['avg_wait_s'], total['avg_talk_s'],
                          total['service_level_15s']), (1, 1, 12.0, 120.0, 1.0))
        self.assertEqual(psql("SELECT count(*) FROM call_event WHERE call_id = '%s'" % c), [['3']])

    def test_the_agent_sees_the_call_answered_until_it_ends(self):
        c = self.call_id()
        self.event('offered', c, caller=self.phone, dialled='12345')
        r = self.agent.get('/api/v1/calls/current')
        self.assertEqual(r.status, 200, r)
        self.assertIsNone(r.json['call'])
        self.event('answered', c, 5, agent=self.agent_login)
        r = self.agent.get('/api/v1/calls/current')
        self.assertEqual(r.json['call']['call_id'], c)
        self.assertEqual(r.json['call']['caller_phone'], self.phone)
        self.assertEqual(r.json['history']['phone'], self.phone)
        self.assertEqual(r.json['history']['calls'][0]['call_id'], c)
        self.assertIsNone(self.agent2.get('/api/v1/calls/current').json['call'])    # not theirs
        self.event('ended', c, 65)
        self.assertIsNone(self.agent.get('/api/v1/calls/current').json['call'])

    def test_an_extension_names_the_agent(self):
        ext = str(random.randrange(10 ** 5, 10 ** 6))
        out = run_hotline('calls', 'extension', '--login', self.agent2_login, '--extension', ext)
        self.assertEqual(out.returncode, 0, out.stderr)
        c = self.call_id()
        self.event('offered', c, caller=self.phone, dialled='12345')
        self.event('answered', c, 3, agent=ext)
        r = self.agent2.get('/api/v1/calls/current')
        self.assertEqual((r.json['call']['call_id'], r.json['call']['agent'],
                          r.json['call']['agent_login']), (c, ext, self.agent2_login))
        self.event('ended', c, 30)
        out = run_hotline('calls', 'extension', '--login', 'nobody-' + ext, '--extension', ext)
        self.assertEqual(out.returncode, 1)
        self.assertIn('no user with login', out.stderr)

    def wait_in_background(self, actor, known, wait):
        """GET /api/v1/calls/current?wait=…&known=… in a thread: (thread, result dict)."""
        result = {}

        def run():
            started = time.monotonic()
            r = actor.get('/api/v1/calls/current?' + urlencode({'wait': wait, 'known': known}))
            result.update(response=r, answered_at=time.monotonic(), started=started)
        t = threading.Thread(target=run)
        t.start()
        return t, result

    def assert_popped_at_once(self, actor):
        """The screen-pop: `actor`'s console request waits, and the agent's
        answered event wakes it long before its wait of 30 s ends. Returns
        the call's id."""
        waiting, result = self.wait_in_background(actor, '', 30)
        time.sleep(1)
        self.assertTrue(waiting.is_alive(), 'without a call the request waits')
        c = self.call_id()
        self.event('offered', c, caller=self.phone, dialled='12345')
        sent = time.monotonic()
        self.event('answered', c, 4, agent=self.agent_login)
        waiting.join(20)
        self.assertFalse(waiting.is_alive())
        r = result['response']
        self.assertEqual(r.status, 200, r)
        self.assertEqual((r.json['call']['call_id'], r.json['call']['caller_phone']), (c, self.phone))
        self.assertLess(result['answered_at'] - sent, 15, 'woken by the event, not by the wait')
        return c

    def test_a_waiting_console_hears_of_its_call_at_once(self):
        c = self.assert_popped_at_once(self.agent)
        # Knowing that call, the console waits again, and the call's end wakes it.
        waiting, result = self.wait_in_background(self.agent, c, 30)
        time.sleep(0.5)
        self.event('ended', c, 70)
        waiting.join(20)
        self.assertIsNone(result['response'].json['call'])

    def test_a_console_on_another_server_process_hears_of_its_call(self):
        # Several processes share one database behind a load balancer: the
        # event posted to this server notifies in its transaction, and the
        # console waiting on the other process is woken by it.
        other = Server()
        agent = Actor(other, self.agent_login)
        try:
            self.event('ended', self.assert_popped_at_once(agent), 60)
        finally:
            agent.close()
            self.assertEqual(other.stop(), 0, other.read_log()[-2000:])

    def test_a_wait_ends_with_the_same_answer_when_nothing_happens(self):
        c = self.call_id()
        self.event('offered', c, caller=self.phone, dialled='12345')
        self.event('answered', c, 4, agent=self.agent_login)
        # agent2 waits: agent's call is not theirs and does not wake them.
        waiting, result = self.wait_in_background(self.agent2, '', 2)
        time.sleep(0.3)
        other = self.call_id()
        self.event('offered', other, caller=self.phone, dialled='12345')
        self.event('answered', other, 4, agent=self.agent_login)
        waiting.join(20)
        r = result['response']
        self.assertEqual(r.status, 200, r)
        self.assertIsNone(r.json['call'])
        self.assertGreaterEqual(result['answered_at'] - result['started'], 1.9)
        # A console that shows an older call is answered at once with the current one.
        r = self.agent.get('/api/v1/calls/current?' + urlencode({'wait': 30, 'known': c}))
        self.assertEqual(r.json['call']['call_id'], other)
        self.event('ended', other, 60)
        self.event('ended', c, 60)

    def test_a_server_stopping_answers_its_waiting_consoles_first(self):
        server = Server()
        agent = Actor(server, self.agent_login)
        try:
            waiting, result = self.wait_in_background(agent, '', 30)
            time.sleep(1)
            self.assertTrue(waiting.is_alive())
            self.assertEqual(server.stop(), 0)
            waiting.join(20)
            r = result['response']
            self.assertEqual(r.status, 200, r)
            self.assertIsNone(r.json['call'])
            self.assertLess(result['answered_at'] - result['started'], 20)
        finally:
            agent.close()
            server.stop()

    def test_a_wait_out_of_range_is_refused(self):
        for wait in ('0', '31', 'soon', ''):
            r = self.agent.get('/api/v1/calls/current?' + urlencode({'wait': wait}))
            self.assertProblem(r, 400, 'must be 1 to 30 seconds')
            self.assertEqual(r.json['type'], 'out-of-range')

    def test_calls_hung_up_before_an_answer_are_abandoned(self):
        short, long_ = self.call_id(), self.call_id()
        self.event('offered', short, caller=self.phone, dialled='12345')
        self.event('ended', short, 3, cause='caller hung up')
        self.event('offered', long_, 60, caller=self.phone, dialled='12345')
        r = self.event('ended', long_, 100)
        self.assertEqual((r.json['call']['outcome'], r.json['call']['wait_s']), ('abandoned', 40))
        total = self.hour_stats()
        self.assertEqual((total['offered'], total['answered'], total['abandoned'],
                          total['short_abandoned'], total['connection_rate']), (2, 0, 2, 1, 0.0))

    def test_a_call_to_another_number_is_not_offered(self):
        c = self.call_id()
        r = self.event('offered', c, caller='8001', dialled='13800000000')
        self.assertEqual((r.json['call']['offered'], r.json['call']['outcome']), (False, 'not_offered'))
        self.event('answered', c, 5, agent=self.agent_login)
        self.event('ended', c, 50)
        self.assertEqual(self.hour_stats()['offered'], 0)

    def import_cdr(self, call_id, answer_s=8, end_s=99, billsec=91):
        """Imports the Master.csv line of an answered call to 12345 from
        self.phone that started at self.t0."""
        start = self.t0.replace(tzinfo=None)
        fmt = '%Y-%m-%d %H:%M:%S'
        line = ('"","{p}","12345","from-trunk","{p}","SIP/trunk-1","SIP/8001-1","Queue","hotline",'
                '"{s}","{a}","{e}",{d},{b},"ANSWERED","DOCUMENTATION","{c}",""\n').format(
            p=self.phone, c=call_id, s=start.strftime(fmt),
            a=(start + datetime.timedelta(seconds=answer_s)).strftime(fmt),
            e=(start + datetime.timedelta(seconds=end_s)).strftime(fmt), d=end_s, b=billsec)
        with tempfile.NamedTemporaryFile('w', suffix='.csv', delete=False) as f:
            f.write(line)
        try:
            out = run_hotline('import-calls', f.name)
        finally:
            os.unlink(f.name)
        self.assertEqual(out.returncode, 0, out.stderr)
        self.assertIn('imported 1,', out.stdout)

    def test_the_cdr_of_a_live_call_joins_it(self):
        c = '%d.%d' % (random.randrange(10 ** 9, 10 ** 10), random.randrange(1000))
        self.event('offered', c, caller=self.phone, dialled='12345')
        self.event('answered', c, 8, agent=self.agent_login)
        self.event('ended', c, 98)
        self.import_cdr(c)
        total = self.hour_stats()
        # one call, not two; its talk time is the CDR's billsec (91), not 90
        self.assertEqual((total['offered'], total['answered'], total['avg_talk_s']), (1, 1, 91.0))

    def test_a_late_event_joins_the_imported_cdr_of_its_call(self):
        # The CDR alone first: the call is in the history and the statistics
        # from its record only (it has no summary row of its own yet).
        c = '%d.%d' % (random.randrange(10 ** 9, 10 ** 10), random.randrange(1000))
        self.import_cdr(c, answer_s=20, end_s=140, billsec=120)
        h = self.agent.get('/api/v1/callers/%s/history' % self.phone).json
        self.assertEqual([(x['call_id'], x['outcome'], x['wait_s'], x['sources']) for x in h['calls']],
                         [(c, 'answered', 20, ['cdr'])])
        self.assertEqual(self.hour_stats()['offered'], 1)
        # then the CTI's events, late: still one call, now with both sources;
        # the live offer and answer define the wait (12 s, not the CDR's 20)
        self.event('offered', c, 0, caller=self.phone, dialled='12345')
        r = self.event('answered', c, 12, agent=self.agent_login)
        self.assertEqual((r.json['call']['wait_s'], r.json['call']['talk_s'], r.json['call']['sources']),
                         (12, 120, ['cdr', 'live']))
        h = self.agent.get('/api/v1/callers/%s/history' % self.phone).json
        self.assertEqual([(x['call_id'], x['wait_s']) for x in h['calls']], [(c, 12)])
        # its CDR says it ended: not the agent's current call, "ended" or not
        self.assertIsNone(self.agent.get('/api/v1/calls/current').json['call'])
        total = self.hour_stats()
        self.assertEqual((total['offered'], total['answered'], total['avg_wait_s'], total['avg_talk_s']),
                         (1, 1, 12.0, 120.0))

    def test_caller_history_shows_calls_and_orders_newest_first(self):
        calls = [self.call_id() for _ in range(3)]
        for day, c in zip((-2, -1, 0), calls):
            s = day * 86400
            self.event('offered', c, s, caller='+86 ' + self.phone, dialled='12345')
            self.event('answered', c, s + 4, agent=self.agent_login)
            self.event('ended', c, s + 64)
        # two orders registered during the first call, one later without a call
        o1 = self.agent.create_order(caller_phone=self.phone, call_id=calls[0])['number']
        o2 = self.agent.create_order(caller_phone=self.phone, call_id=calls[0],
                                     content='第二件事：小区路灯不亮。')['number']
        o3 = self.agent.create_order(caller_phone=self.phone)['number']
        r = self.agent.get('/api/v1/callers/%s/history' % self.phone)
        self.assertEqual(r.status, 200, r)
        h = r.json
        self.assertEqual(h['phone'], self.phone)
        self.assertEqual([c['call_id'] for c in h['calls']], list(reversed(calls)))
        self.assertEqual([o['number'] for o in h['orders']], [o3, o2, o1])
        by_call = {c['call_id']: [o['number'] for o in c['orders']] for c in h['calls']}
        self.assertEqual(by_call, {calls[0]: [o2, o1], calls[1]: [], calls[2]: []})
        self.assertEqual(h['orders'][0]['call_id'], None)
        self.assertEqual(h['calls'][0]['outcome'], 'answered')
        # the number as people write it
        r2 = self.agent.get('/api/v1/callers/%s/history' % quote('+86 ' + self.phone[:3] + '-'
                                                                 + self.phone[3:]))
        self.assertEqual(r2.json, h)
        r = self.agent.get('/api/v1/callers/%s/history?limit=1' % self.phone)
        self.assertEqual(([c['call_id'] for c in r.json['calls']], [o['number'] for o in r.json['orders']]),
                         ([calls[2]], [o3]))

    def test_a_bad_number_or_limit_is_refused(self):
        self.assertProblem(self.agent.get('/api/v1/callers/hello/history'), 422, field='phone')
        self.assertProblem(self.agent.get('/api/v1/callers/%s/history?limit=0' % self.phone), 400)

    def test_bad_events_are_refused(self):
        post = lambda body: self.client.post('/api/v1/calls/events', body,
                                             headers={'Authorization': 'Bearer ' + self.cti})
        self.assertProblem(post({'type': 'ringing', 'call_id': 'x'}), 422, 'unknown event type', 'type')
        self.assertProblem(post({'type': 'offered'}), 422, field='call_id')
        self.assertProblem(post({'type': 'offered', 'call_id': ''}), 422, field='call_id')
        self.assertProblem(post({'type': 'offered', 'call_id': 'x', 'at': 'noon'}), 422, field='at')
        self.assertProblem(post({'type': 'offered', 'call_id': 'x', 'queue': 'q' * 65}), 422, field='queue')
        self.assertProblem(post({'type': 'offered', 'call_id': 'x', 'caller': 5}), 422, field='caller')
        r = self.client.post('/api/v1/calls/events', raw=b'type=offered',
                             headers={'Authorization': 'Bearer ' + self.cti,
                                      'Content-Type': 'application/x-www-form-urlencoded'})
        self.assertEqual(r.status, 415)

    def test_departments_may_not_post_events(self):
        out = run_hotline('department', 'import', os.path.join(ROOT, 'scripts', 'demo', 'departments.csv'))
        self.assertEqual(out.returncode, 0, out.stderr)
        code = psql("SELECT code FROM department ORDER BY id LIMIT 1")[0][0]
        token = create_token(add_user('dept_handler', code))
        r = self.client.post('/api/v1/calls/events', {'type': 'offered', 'call_id': self.call_id()},
                             headers={'Authorization': 'Bearer ' + token})
        self.assertProblem(r, 403)
        self.assertProblem(self.client.get('/api/v1/calls/current',
                                           headers={'Authorization': 'Bearer ' + token}), 403)


if __name__ == '__main__':
    unittest.main()
