"""The 110 bridge (docs/police.md) against a real peer: scripts/peer110 runs
as its own process, hotline's delivery worker talks to it over HTTP, and 110's
requests to us are signed like the real ones."""
import hashlib
import hmac
import json
import os
import re
import select
import subprocess
import sys
import threading
import time
import uuid

from harness import LOG_DIR, ROOT, Server, psql, run_hotline, wait_for
from orders_fixture import Actor, OrdersTestCase

SECRET = 'test-secret-' + uuid.uuid4().hex
PEER = os.path.join(ROOT, 'scripts', 'peer110')


def sign(secret, timestamp, body):
    return 'sha256=' + hmac.new(secret.encode(), timestamp.encode() + b'.' + body,
                                hashlib.sha256).hexdigest()


class Peer:
    """scripts/peer110 serve as a child process."""

    def __init__(self, secret=SECRET, mode='ok'):
        self.secret = secret
        self.port = 0
        self.proc = None
        self.log_path = os.path.join(LOG_DIR, 'peer110-%s.log' % uuid.uuid4().hex[:8])
        os.makedirs(LOG_DIR, exist_ok=True)
        self.start(mode)

    def start(self, mode='ok'):
        """Starts the peer (again on the same port after stop())."""
        log = open(self.log_path, 'a')
        self.proc = subprocess.Popen([sys.executable, PEER, 'serve', '--port', str(self.port),
                                      '--secret', self.secret, '--mode', mode,
                                      '--slow-seconds', '1.5'],
                                     stdout=subprocess.PIPE, stderr=log, text=True)
        log.close()
        ready, _, _ = select.select([self.proc.stdout], [], [], 15)
        line = self.proc.stdout.readline() if ready else ''
        m = re.search(r'listening on http://[\d.]+:(\d+)', line)
        if not m:
            self.proc.kill()
            raise RuntimeError('peer110 did not start: %r' % line)
        self.port = int(m.group(1))

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        if self.proc:
            self.proc.stdout.close()
        self.proc = None

    @property
    def url(self):
        return 'http://127.0.0.1:%d/hotline' % self.port

    def _call(self, method, path, body=None):
        import http.client
        conn = http.client.HTTPConnection('127.0.0.1', self.port, timeout=30)
        try:
            data = json.dumps(body).encode() if body is not None else None
            conn.request(method, path, body=data, headers={'Content-Type': 'application/json'})
            resp = conn.getresponse()
            return json.loads(resp.read())
        finally:
            conn.close()

    def control(self, mode):
        return self._call('POST', '/control', {'mode': mode})

    def received(self):
        return self._call('GET', '/received')

    def messages_for(self, numbers):
        numbers = set(numbers)
        return [m for m in self.received()['messages'] if m['order_number'] in numbers]


def police_env(peer, **extra):
    env = {
        'HOTLINE_POLICE_URL': peer.url,
        'HOTLINE_POLICE_SECRET': SECRET,
        'HOTLINE_POLICE_RETRY_MS': '50',
        'HOTLINE_POLICE_RETRY_MAX_MS': '300',
        'HOTLINE_POLICE_POLL_MS': '100',
        'HOTLINE_POLICE_TIMEOUT_MS': '3000',
        'HOTLINE_POLICE_MAX_ATTEMPTS': '1000',
    }
    env.update({k: str(v) for k, v in extra.items()})
    return env


def outbox(number):
    """(seq, kind, state, attempts) of the order's messages."""
    return [(int(s), k, st, int(a)) for s, k, st, a in psql(
        "SELECT m.seq, m.kind, m.state, m.attempts FROM police_outbox m"
        " JOIN work_order o ON o.id = m.order_id WHERE o.number = '%s' ORDER BY m.seq"
        % number.replace("'", ''))]


def incident():
    return 'J' + uuid.uuid4().hex[:12].upper()


def transfer_body(incident_no, **fields):
    body = {
        'incident_no': incident_no,
        'time': '2026-11-21T09:12:00+08:00',
        'caller_name': '李四',
        'caller_phone': '139 0000 1111',
        'address': '东城区景山街道景山前街4号',
        'category_code': '020102',
        'description': '楼上住户深夜装修，电钻声扰民，非警情，转12345处理。',
        'urgency': 'normal',
    }
    for k, v in fields.items():
        if v is None:
            body.pop(k, None)
        else:
            body[k] = v
    return body


class PoliceCase(OrdersTestCase):
    """A peer110 process and a server delivering to it."""

    peer_mode = 'ok'
    police_extra = {}

    @classmethod
    def setUpClass(cls):
        cls.peer = Peer(mode=cls.peer_mode)
        cls.server_env = police_env(cls.peer, **cls.police_extra)
        try:
            super().setUpClass()
        except BaseException:
            cls.peer.stop()
            raise

    @classmethod
    def tearDownClass(cls):
        try:
            super().tearDownClass()
        finally:
            cls.peer.stop()

    def signed(self, path, body=None, raw=None, timestamp=None, secret=SECRET, signature=None,
               headers=None, client=None):
        """POSTs to hotline as 110 would."""
        data = raw if raw is not None else json.dumps(body, ensure_ascii=False).encode()
        ts = str(int(time.time()) if timestamp is None else timestamp)
        h = {'Content-Type': 'application/json', 'X-Hotline-Timestamp': ts,
             'X-Hotline-Signature': signature or sign(secret, ts, data)}
        h.update(headers or {})
        return (client or self.client).request('POST', path, raw=data, headers=h)

    def send_transfer(self, incident_no, **fields):
        return self.signed('/api/v1/police/transfers', transfer_body(incident_no, **fields))

    def police_order(self, **fields):
        """A new order made from a 警单; returns (number, incident_no)."""
        inc = incident()
        r = self.send_transfer(inc, **fields)
        self.assertEqual(r.status, 201, r)
        return r.json['order_number'], inc

    def wait_messages(self, numbers, count, timeout=30):
        msgs = wait_for(lambda: (lambda m: m if len(m) >= count else None)(
            self.peer.messages_for(numbers)), timeout=timeout, interval=0.1)
        self.assertIsNotNone(msgs, 'the peer did not receive %d messages for %s: %r'
                             % (count, numbers, self.peer.messages_for(numbers)))
        return msgs

    def complete(self, number):
        """Walks an order through dispatch, sign, reply and callback."""
        self.step(self.agent, number, 'dispatch', 'dispatched', department=self.depts.a)
        self.step(self.ha, number, 'sign', 'in_progress')
        self.step(self.ha, number, 'reply', 'awaiting_callback', result='已上门劝导，装修已停止。',
                  solved=True, contacted=True)
        self.step(self.agent, number, 'callback', 'completed', satisfaction='satisfied', solved=True)


class Outbound(PoliceCase):
    def test_transfer_to_110_is_delivered_signed_and_shown_on_the_order(self):
        n = self.new_order(content='小区门口有人打架，有人拿刀', caller_phone='13812345678')
        self.step(self.agent, n, 'transfer_out', 'transferred', target='110', note='治安案件')
        msg, = self.wait_messages([n], 1)
        self.assertEqual(msg['type'], 'transfer')
        self.assertEqual(msg['sequence'], 1)
        self.assertEqual(msg['message_id'], 'hotline-%s-1' % n)
        self.assertEqual(msg['description'], '小区门口有人打架，有人拿刀')
        self.assertEqual(msg['caller_phone'], '13812345678')
        self.assertEqual(msg['note'], '治安案件')
        self.assertEqual(msg['agent']['login'], self.agent.login)
        status = wait_for(lambda: (lambda r: r.json if r.json['delivery'] == 'sent' else None)(
            self.agent.get('/api/v1/orders/%s/police' % n)))
        self.assertIsNotNone(status)
        self.assertEqual(status['direction'], 'to_110')
        self.assertRegex(status['incident_no'], r'^J\d{8}\d{5}$')
        m, = status['messages']
        self.assertEqual((m['kind'], m['state'], m['attempts'], m['last_status']),
                         ('transfer', 'sent', 1, 200))

    def test_transfers_to_other_services_write_no_message(self):
        n = self.new_order()
        self.step(self.agent, n, 'transfer_out', 'transferred', target='120')
        self.assertEqual(outbox(n), [])

    def test_peer_down_for_a_while_every_message_arrives_once_and_in_order(self):
        self.peer.stop()
        try:
            plain = [self.new_order(content='有人在街上斗殴 %d' % i) for i in range(3)]
            for n in plain:
                self.step(self.agent, n, 'transfer_out', 'transferred', target='110')
            police, inc = self.police_order()
            self.complete(police)          # dispatched (1), then completed (2)
            self.assertEqual([(s, k) for s, k, _, _ in outbox(police)],
                             [(1, 'feedback'), (2, 'feedback')])
            # While the peer is away the first message is retried; the second waits.
            wait_for(lambda: outbox(police)[0][3] >= 3, timeout=20)
            seq1, seq2 = outbox(police)
            self.assertEqual(seq1[2], 'pending')
            self.assertGreaterEqual(seq1[3], 3)
            self.assertEqual(seq2[3], 0, 'message 2 must not be tried before 1 is acknowledged')
            status = self.agent.get('/api/v1/orders/%s/police' % police).json
            self.assertEqual(status['delivery'], 'pending')
            self.assertTrue(status['messages'][0]['last_error'])
            self.assertIsNotNone(status['messages'][0]['next_attempt_at'])
        finally:
            self.peer.start()
        numbers = plain + [police]
        msgs = self.wait_messages(numbers, 5)
        time.sleep(1)                      # nothing more may come
        msgs = self.peer.messages_for(numbers)
        self.assertEqual(len(msgs), 5, msgs)
        self.assertEqual(len({m['message_id'] for m in msgs}), 5)
        mine = [m for m in msgs if m['order_number'] == police]
        self.assertEqual([(m['sequence'], m['state']) for m in mine],
                         [(1, 'dispatched'), (2, 'completed')])
        self.assertTrue(all(m['incident_no'] == inc for m in mine))
        self.assertEqual(self.peer.received()['out_of_order'], [])
        for n in numbers:
            self.assertTrue(all(st == 'sent' for _, _, st, _ in outbox(n)), outbox(n))

    def test_result_of_a_110_order_goes_back_when_it_is_completed(self):
        number, inc = self.police_order()
        self.complete(number)
        msgs = self.wait_messages([number], 2)
        done = msgs[1]
        self.assertEqual((done['type'], done['state'], done['incident_no']),
                         ('feedback', 'completed', inc))
        self.assertEqual(done['result'], '已上门劝导，装修已停止。')
        self.assertTrue(done['handler'].startswith('测试一局'), done)
        self.assertRegex(done['time'], r'^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+08:00$')
        self.assertEqual(msgs[0]['state'], 'dispatched')

    def test_a_110_order_answered_returned_or_merged_reports_that(self):
        answered, inc1 = self.police_order()
        self.step(self.agent, answered, 'answer', 'completed', answer='已告知市民向物业反映。')
        returned, inc2 = self.police_order()
        self.step(self.agent, returned, 'transfer_out', 'transferred', target='110',
                  note='涉及人身威胁，退回110')
        merged, inc3 = self.police_order()
        master = self.new_order()
        self.step(self.agent, merged, 'merge', 'merged', into=master)
        a, = self.wait_messages([answered], 1)
        b, = self.wait_messages([returned], 1)
        c, = self.wait_messages([merged], 1)
        self.assertEqual((c['state'], c['merged_into'], c['incident_no']), ('merged', master, inc3))
        self.assertEqual((a['state'], a['result'], a['incident_no']),
                         ('completed', '已告知市民向物业反映。', inc1))
        self.assertEqual((b['type'], b['state'], b['result'], b['incident_no']),
                         ('feedback', 'returned', '涉及人身威胁，退回110', inc2))

    def test_two_server_processes_never_send_a_message_twice(self):
        second = Server(env=self.server_env)
        try:
            before = self.peer.received()['duplicates']
            other = Actor(second, self.agent.login)
            numbers = []
            for i in range(12):
                actor = self.agent if i % 2 else other
                n = actor.create_order(content='有人持刀威胁 %d' % i)['number']
                r = actor.act(n, 'transfer_out', target='110')
                self.assertEqual(r.status, 200, r)
                numbers.append(n)
            msgs = self.wait_messages(numbers, 12)
            time.sleep(1)
            msgs = self.peer.messages_for(numbers)
            self.assertEqual(sorted(m['order_number'] for m in msgs), sorted(numbers))
            self.assertEqual(self.peer.received()['duplicates'], before)
            other.close()
        finally:
            rc = second.stop()
            log = open(second.log_path, encoding='utf-8', errors='replace').read()
        self.assertEqual(rc, 0, log[-3000:])
        self.assertNotIn('Sanitizer', log)


class Inbound(PoliceCase):
    def test_transfer_from_110_creates_one_police_order(self):
        inc = incident()
        r = self.send_transfer(inc, urgency='紧急', latitude=39.92, longitude=116.39)
        self.assertEqual(r.status, 201, r)
        number = r.json['order_number']
        self.assertEqual(r.json['incident_no'], inc)
        self.assertTrue(r.json['created'])
        self.assertEqual(r.header('location'), '/api/v1/orders/' + number)
        o = self.agent.order(number).json
        self.assertEqual(o['channel']['code'], 'police')
        self.assertEqual(o['status'], 'pending')
        self.assertEqual(o['urgency']['code'], 'urgent')
        self.assertEqual(o['category']['code'], '020102')
        self.assertEqual(o['caller']['phone'], '13900001111')
        self.assertEqual(o['content'], '楼上住户深夜装修，电钻声扰民，非警情，转12345处理。')
        self.assertAlmostEqual(o['location']['latitude'], 39.92)
        status = self.agent.get('/api/v1/orders/%s/police' % number).json
        self.assertEqual((status['direction'], status['incident_no']), ('from_110', inc))
        self.assertEqual(status['inbound']['time'], '2026-11-21T09:12:00+08:00')
        events = self.agent.events(number).json
        self.assertEqual(events[0]['actor']['role'], 'system')

    def test_duplicate_transfer_gives_the_same_order(self):
        inc = incident()
        first = self.send_transfer(inc)
        again = self.send_transfer(inc, description='同一警情的重复推送')
        self.assertEqual((first.status, again.status), (201, 200))
        self.assertEqual(first.json['order_number'], again.json['order_number'])
        self.assertFalse(again.json['created'])
        # The peer tool's send-transfer, and several at once: still one order.
        base = 'http://127.0.0.1:%d' % self.server.port
        out = subprocess.run([sys.executable, PEER, 'send-transfer', '--url', base, '--secret',
                              SECRET, '--incident', inc], capture_output=True, text=True,
                             timeout=60)
        self.assertEqual(out.returncode, 0, out.stderr + out.stdout)
        self.assertEqual(json.loads(out.stdout)['body']['order_number'], first.json['order_number'])
        inc2 = incident()
        results = []

        def send(i):
            # Each a separate attempt: signed at its own time (an identical
            # signature would be refused as a replay).
            c = self.server.client()
            try:
                results.append(self.signed('/api/v1/police/transfers', transfer_body(inc2),
                                           timestamp=int(time.time()) - i, client=c))
            finally:
                c.close()
        threads = [threading.Thread(target=send, args=(i,)) for i in range(6)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        self.assertEqual(sorted(r.status for r in results), [200] * 5 + [201], results)
        self.assertEqual(len({r.json['order_number'] for r in results}), 1)
        for i in (inc, inc2):
            self.assertEqual(psql("SELECT count(*) FROM work_order WHERE idempotency_key = 'police:%s'"
                                  % i), [['1']])

    def test_bad_signature_is_refused(self):
        r = self.signed('/api/v1/police/transfers', transfer_body(incident()), secret='not-the-secret')
        self.assertProblem(r, 401, 'signature')
        r = self.signed('/api/v1/police/transfers', transfer_body(incident()),
                        signature='sha256=' + '0' * 64)
        self.assertProblem(r, 401, 'signature')
        r = self.client.post('/api/v1/police/transfers', transfer_body(incident()))
        self.assertProblem(r, 401, 'X-Hotline-Timestamp')
        # Signed, then changed in transit.
        data = json.dumps(transfer_body(incident())).encode()
        ts = str(int(time.time()))
        r = self.signed('/api/v1/police/transfers', raw=data.replace(b'normal', b'urgent'),
                        signature=sign(SECRET, ts, data), timestamp=ts)
        self.assertProblem(r, 401, 'signature')

    def test_stale_or_future_timestamp_is_refused(self):
        for offset in (-301, -3600, 400):
            r = self.signed('/api/v1/police/transfers', transfer_body(incident()),
                            timestamp=int(time.time()) + offset)
            self.assertProblem(r, 401, 'seconds from our clock')
        r = self.signed('/api/v1/police/transfers', transfer_body(incident()),
                        timestamp=int(time.time()) - 200)
        self.assertEqual(r.status, 201, r)

    def test_replayed_request_is_refused(self):
        data = json.dumps(transfer_body(incident())).encode()
        ts = str(int(time.time()))
        first = self.signed('/api/v1/police/transfers', raw=data, timestamp=ts)
        self.assertEqual(first.status, 201, first)
        replay = self.signed('/api/v1/police/transfers', raw=data, timestamp=ts)
        self.assertProblem(replay, 401, 'already received')
        m = self.client.get('/metrics').text
        self.assertGreater(int(re.search(r'hotline_police_requests_rejected_total (\d+)', m).group(1)), 0)

    def test_a_wrong_content_type_does_not_spend_the_signature(self):
        inc = incident()
        data = json.dumps(transfer_body(inc)).encode()
        ts = str(int(time.time()))
        r = self.signed('/api/v1/police/transfers', raw=data, timestamp=ts,
                        headers={'Content-Type': 'text/plain'})
        self.assertProblem(r, 415)
        # The same bytes, timestamp and signature, with the right header: processed.
        again = self.signed('/api/v1/police/transfers', raw=data, timestamp=ts)
        self.assertEqual(again.status, 201, again)

    def test_malformed_transfer_is_refused_naming_the_field(self):
        cases = [
            (transfer_body(incident(), description=None), 400, 'description'),
            (transfer_body(None), 400, 'incident_no'),
            (transfer_body(12345), 400, 'incident_no'),
            (transfer_body(incident(), time=None), 400, 'time'),
            (transfer_body(incident(), time='yesterday'), 400, 'time'),
            (transfer_body(incident(), latitude='north'), 400, 'latitude'),
            (transfer_body(incident(), latitude=39.9), 400, 'longitude'),
            (transfer_body(incident(), caller_phone='12'), 422, 'caller_phone'),
            (transfer_body(incident(), urgency='asap'), 422, 'urgency'),
            (transfer_body(incident(), description='   '), 422, 'description'),
            (transfer_body('有空格 的编号'), 422, 'incident_no'),
            (transfer_body(incident(), latitude=95.0, longitude=116.0), 422, 'latitude'),
        ]
        for body, status, field in cases:
            with self.subTest(field=field, body=body):
                self.assertProblem(self.signed('/api/v1/police/transfers', body), status, field=field)
        r = self.signed('/api/v1/police/transfers', raw=b'{"incident_no": ')
        self.assertProblem(r, 400, 'malformed JSON')

    def test_unknown_category_is_kept_with_the_incident_only(self):
        r = self.send_transfer(incident(), category_code='JQ-9999')
        self.assertEqual(r.status, 201, r)
        o = self.agent.order(r.json['order_number']).json
        self.assertIsNone(o['category'])
        status = self.agent.get('/api/v1/orders/%s/police' % o['number']).json
        self.assertEqual(status['inbound']['category_code'], 'JQ-9999')

    def test_feedback_from_110_is_recorded_once_and_shown(self):
        n = self.new_order(content='有人砸车')
        self.step(self.agent, n, 'transfer_out', 'transferred', target='110')
        wait_for(lambda: outbox(n) and outbox(n)[0][2] == 'sent')
        inc = self.agent.get('/api/v1/orders/%s/police' % n).json['incident_no']
        base = 'http://127.0.0.1:%d' % self.server.port
        args = [sys.executable, PEER, 'send-feedback', '--url', base, '--secret', SECRET,
                '--order', n, '--incident', inc, '--state', 'arrived', '--result', '民警已到场处置',
                '--handler', '东城分局景山派出所', '--time', '2026-11-21T10:05:00+08:00',
                '--key', inc + '-1']
        first = subprocess.run(args, capture_output=True, text=True, timeout=60)
        again = subprocess.run(args + ['--timestamp', str(int(time.time()) - 5)],
                               capture_output=True, text=True, timeout=60)
        self.assertEqual(first.returncode, 0, first.stdout + first.stderr)
        self.assertEqual(json.loads(first.stdout), {'status': 201, 'body': {
            'order_number': n, 'state': 'arrived', 'recorded': True}})
        self.assertEqual(json.loads(again.stdout)['status'], 200)
        self.assertFalse(json.loads(again.stdout)['body']['recorded'])
        status = self.agent.get('/api/v1/orders/%s/police' % n).json
        self.assertEqual(len(status['feedback']), 1)
        fb = status['feedback'][0]
        self.assertEqual((fb['state'], fb['result'], fb['handler'], fb['incident_no'], fb['time']),
                         ('arrived', '民警已到场处置', '东城分局景山派出所', inc,
                          '2026-11-21T10:05:00+08:00'))
        events = [e for e in self.agent.events(n).json if e['action'] == 'police_feedback']
        self.assertEqual(len(events), 1)
        self.assertEqual(events[0]['actor']['role'], 'system')
        self.assertEqual(events[0]['payload']['state'], 'arrived')
        # Without a key, identical content is a repeat too.
        body = {'order_number': n, 'state': 'completed', 'result': '已调解', 'handler': '景山派出所',
                'time': '2026-11-21T11:00:00+08:00'}
        self.assertEqual(self.signed('/api/v1/police/feedback', body).status, 201)
        r = self.signed('/api/v1/police/feedback', body, timestamp=int(time.time()) - 3)
        self.assertEqual(r.status, 200, r)
        # The order page's badge follows 110's latest word, not our delivery.
        page = self.agent.get('/orders/' + n).text
        self.assertIn('id="police-delivery">110 已办结</span>', page)
        # 110's feedback is the system's event, named once in the timeline.
        self.assertIn('<div class="ev-who">系统', page)
        self.assertNotIn('系统（系统）', page)

    def test_feedback_is_refused_for_unknown_orders_and_bad_fields(self):
        plain = self.new_order()
        body = {'order_number': plain, 'state': 'completed', 'time': '2026-11-21T11:00:00+08:00'}
        self.assertProblem(self.signed('/api/v1/police/feedback', body), 404, field='order_number')
        n = self.new_order()
        self.step(self.agent, n, 'transfer_out', 'transferred', target='110')
        for patch, status, field in [({'state': 'solved'}, 422, 'state'),
                                     ({'state': None}, 400, 'state'),
                                     ({'time': 'now'}, 400, 'time'),
                                     ({'result': 7}, 400, 'result')]:
            b = dict(body, order_number=n)
            b.update(patch)
            b = {k: v for k, v in b.items() if v is not None}
            with self.subTest(patch=patch):
                self.assertProblem(self.signed('/api/v1/police/feedback', b), status, field=field)
        wait_for(lambda: outbox(n)[0][2] == 'sent')
        b = dict(body, order_number=n, incident_no='NOT-THEIRS')
        self.assertProblem(self.signed('/api/v1/police/feedback', b), 422, field='incident_no')


class ParkAndRetry(PoliceCase):
    peer_mode = 'fail'
    police_extra = {'HOTLINE_POLICE_MAX_ATTEMPTS': 3}

    def test_message_is_parked_after_max_attempts_and_retried_on_demand(self):
        self.peer.control('fail')
        number, inc = self.police_order()
        self.step(self.agent, number, 'dispatch', 'dispatched', department=self.depts.a)
        parked = wait_for(lambda: outbox(number)[0][2] == 'parked', timeout=20)
        self.assertTrue(parked, outbox(number))
        self.assertEqual(outbox(number)[0][3], 3)
        # A later message of the order waits behind the parked one.
        self.step(self.ha, number, 'sign', 'in_progress')
        self.step(self.ha, number, 'reply', 'awaiting_callback', result='已处理', solved=True,
                  contacted=True)
        self.step(self.agent, number, 'callback', 'completed', satisfaction='satisfied', solved=True)
        self.peer.control('ok')
        time.sleep(1)
        self.assertEqual([st for _, _, st, _ in outbox(number)], ['parked', 'pending'])
        self.assertEqual(outbox(number)[1][3], 0)
        self.assertEqual(self.peer.messages_for([number]), [])
        status = self.agent.get('/api/v1/orders/%s/police' % number).json
        self.assertEqual(status['delivery'], 'parked')
        self.assertIn('503', status['messages'][0]['last_error'])
        metrics = self.client.get('/metrics').text
        self.assertRegex(metrics, r'hotline_police_outbox_parked [1-9]')
        self.assertRegex(metrics, r'hotline_police_messages_parked_total [1-9]')
        self.assertIn('ALERT', self.server.read_log())

        msg_id = psql("SELECT m.id FROM police_outbox m JOIN work_order o ON o.id = m.order_id"
                      " WHERE o.number = '%s' AND m.seq = 1" % number)[0][0]
        out = run_hotline('outbox', 'list', '--state', 'parked')
        self.assertEqual(out.returncode, 0, out.stderr)
        self.assertIn(number, out.stdout)
        out = run_hotline('outbox', 'retry', '--id', msg_id)
        self.assertEqual(out.returncode, 0, out.stderr)
        self.assertIn('1 message', out.stdout)
        msgs = self.wait_messages([number], 2)
        self.assertEqual([m['state'] for m in msgs], ['dispatched', 'completed'])
        # The peer records a message before it answers; our side marks it sent
        # when the answer arrives, a moment later.
        sent = wait_for(lambda: [st for _, _, st, _ in outbox(number)] == ['sent', 'sent'], timeout=10)
        self.assertTrue(sent, outbox(number))
        out = run_hotline('outbox', 'retry', '--id', msg_id)
        self.assertEqual(out.returncode, 1)
        self.assertIn('already acknowledged', out.stderr)

    def test_retry_all_sends_every_parked_message(self):
        self.peer.control('fail')
        numbers = [self.new_order(content='抢劫 %d' % i) for i in range(2)]
        for n in numbers:
            self.step(self.agent, n, 'transfer_out', 'transferred', target='110')
        self.assertTrue(wait_for(lambda: all(outbox(n)[0][2] == 'parked' for n in numbers),
                                 timeout=20))
        self.peer.control('ok')
        out = run_hotline('outbox', 'retry', '--all')
        self.assertEqual(out.returncode, 0, out.stderr)
        self.wait_messages(numbers, 2)


class CrashRecovery(OrdersTestCase):
    """The class server has no 110 URL (its messages wait); each test runs
    its own delivering server and kills it with SIGKILL."""

    @classmethod
    def setUpClass(cls):
        cls.peer = Peer()
        super().setUpClass()

    @classmethod
    def tearDownClass(cls):
        try:
            super().tearDownClass()
        finally:
            cls.peer.stop()

    def start_server(self, **extra):
        return Server(env=police_env(self.peer, **extra))

    def stop_clean(self, server):
        rc = server.stop()
        log = open(server.log_path, encoding='utf-8', errors='replace').read()
        self.assertEqual(rc, 0, log[-3000:])
        self.assertNotIn('Sanitizer', log)
        self.assertNotIn('runtime error:', log)

    def kill(self, server):
        server.proc.kill()
        server.proc.wait()
        server.proc.stdout.close()
        server.log.close()

    def test_message_committed_before_a_crash_is_delivered_after_restart(self):
        self.peer.control('fail')
        s1 = self.start_server()
        a = Actor(s1, self.agent.login)
        n = a.create_order(content='有人入室盗窃')['number']
        self.assertEqual(a.act(n, 'transfer_out', target='110').status, 200)
        a.close()
        self.assertTrue(wait_for(lambda: outbox(n)[0][3] >= 1, timeout=20))
        self.kill(s1)
        self.peer.control('ok')
        time.sleep(0.5)
        self.assertEqual(self.peer.messages_for([n]), [])     # nobody delivers it now
        s2 = self.start_server()
        try:
            msg, = wait_for(lambda: self.peer.messages_for([n]), timeout=30)
            self.assertEqual(msg['message_id'], 'hotline-%s-1' % n)
        finally:
            self.stop_clean(s2)
        self.assertEqual(outbox(n)[0][2], 'sent')
        self.assertEqual(len(self.peer.messages_for([n])), 1)

    def test_crash_during_delivery_is_resent_and_received_once(self):
        # The peer takes 1.5 s to answer; the server dies while waiting. The
        # message stays leased (2 × 1 s timeout + 1 s), then another process sends it
        # again and the peer recognises it by its Idempotency-Key.
        self.peer.control('slow')
        s1 = self.start_server(HOTLINE_POLICE_TIMEOUT_MS=1000)
        a = Actor(s1, self.agent.login)
        n = a.create_order(content='有人持刀抢劫')['number']
        self.assertEqual(a.act(n, 'transfer_out', target='110').status, 200)
        a.close()
        self.assertTrue(wait_for(lambda: psql(
            "SELECT m.lease_owner IS NOT NULL FROM police_outbox m JOIN work_order o"
            " ON o.id = m.order_id WHERE o.number = '%s'" % n) == [['t']], timeout=20))
        self.kill(s1)
        before = self.peer.received()['duplicates']
        time.sleep(1.6)            # the peer finishes and records it; the answer is lost
        self.peer.control('ok')
        s2 = self.start_server(HOTLINE_POLICE_TIMEOUT_MS=1000)
        try:
            self.assertTrue(wait_for(lambda: outbox(n)[0][2] == 'sent', timeout=30), outbox(n))
        finally:
            self.stop_clean(s2)
        self.assertEqual(len(self.peer.messages_for([n])), 1)
        self.assertGreater(self.peer.received()['duplicates'], before)

    def test_a_refusal_by_110_parks_at_once(self):
        # Signed with another secret, every message gets 401: retrying cannot help.
        wrong = self.start_server(HOTLINE_POLICE_SECRET='another-secret')
        try:
            a = Actor(wrong, self.agent.login)
            n = a.create_order(content='有人打架')['number']
            self.assertEqual(a.act(n, 'transfer_out', target='110').status, 200)
            a.close()
            self.assertTrue(wait_for(lambda: outbox(n)[0][2] == 'parked', timeout=20), outbox(n))
        finally:
            self.stop_clean(wrong)
        self.assertEqual(outbox(n)[0][3], 1)
        msg_id, error = psql("SELECT m.id, m.last_error FROM police_outbox m JOIN work_order o"
                             " ON o.id = m.order_id WHERE o.number = '%s'" % n)[0]
        self.assertIn('HTTP 401', error)
        self.assertGreater(self.peer.received()['rejected'], 0)
        self.assertEqual(run_hotline('outbox', 'retry', '--id', msg_id).returncode, 0)
        right = self.start_server()
        try:
            self.assertTrue(wait_for(lambda: self.peer.messages_for([n]), timeout=30))
        finally:
            self.stop_clean(right)
