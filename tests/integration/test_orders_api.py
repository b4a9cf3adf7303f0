"""The order API at its edges: idempotent registration, input checking,
listing and filters, and the session rules every request goes through."""
import json
import re
import threading
import uuid
from urllib.parse import quote

from harness import Server, ServerTestCase, psql, wait_for
from orders_fixture import (PASSWORD, Actor, OrdersTestCase, add_user, import_csv,
                            order_body)


def rows_by(login):
    return int(psql("SELECT count(*) FROM work_order o JOIN app_user u ON u.id = o.created_by"
                    " WHERE u.login = '%s'" % login)[0][0])


class Idempotency(OrdersTestCase):
    def test_the_same_key_twice_gives_the_same_order_once(self):
        key = 'call-%s' % uuid.uuid4().hex
        first = self.agent.create(headers={'Idempotency-Key': key})
        self.assertEqual(first.status, 201, first)
        again = self.agent.create(headers={'Idempotency-Key': key})
        self.assertEqual(again.status, 200, again)
        self.assertEqual(again.json['number'], first.json['number'])
        self.assertIsNone(again.header('location'))
        self.assertEqual(psql("SELECT count(*) FROM work_order WHERE idempotency_key = '%s'"
                              % key), [['1']])
        # Nothing was registered twice in the record either.
        evs = self.ok(self.agent.events(first.json['number']))
        self.assertEqual([e['action'] for e in evs], ['register'])

    def test_different_users_with_the_same_key_get_two_orders(self):
        key = 'shared-%s' % uuid.uuid4().hex
        a = self.agent.create(headers={'Idempotency-Key': key})
        b = self.reviewer.create(headers={'Idempotency-Key': key})
        self.assertEqual((a.status, b.status), (201, 201))
        self.assertNotEqual(a.json['number'], b.json['number'])
        self.assertEqual(psql("SELECT count(*) FROM work_order WHERE idempotency_key = '%s'"
                              % key), [['2']])

    def test_without_a_key_each_request_is_a_new_order(self):
        a = self.agent.create_order()
        b = self.agent.create_order()
        self.assertNotEqual(a['number'], b['number'])

    def test_concurrent_retries_with_one_key_make_one_order(self):
        key = 'race-%s' % uuid.uuid4().hex
        twins = [self.agent.fork() for _ in range(6)]
        barrier = threading.Barrier(len(twins))
        out = [None] * len(twins)

        def go(i):
            barrier.wait()
            out[i] = twins[i].create(headers={'Idempotency-Key': key})
        threads = [threading.Thread(target=go, args=(i,)) for i in range(len(twins))]
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
        for t in twins:
            t.close()
        self.assertEqual(sorted(r.status for r in out), [200] * 5 + [201], out)
        self.assertEqual(len({r.json['number'] for r in out}), 1)
        self.assertEqual(psql("SELECT count(*) FROM work_order WHERE idempotency_key = '%s'"
                              % key), [['1']])

    def test_concurrent_registrations_get_distinct_numbers(self):
        twins = [self.agent.fork() for _ in range(8)]
        barrier = threading.Barrier(len(twins))
        out = [None] * len(twins)

        def go(i):
            barrier.wait()
            out[i] = twins[i].create()
        threads = [threading.Thread(target=go, args=(i,)) for i in range(len(twins))]
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
        for t in twins:
            t.close()
        self.assertEqual([r.status for r in out], [201] * len(out), out)
        numbers = [r.json['number'] for r in out]
        self.assertEqual(len(set(numbers)), len(numbers))
        day = numbers[0][:8]
        self.assertTrue(all(n.startswith(day) for n in numbers))

    def test_an_empty_or_overlong_key_is_refused(self):
        before = rows_by(self.agent.login)
        for key in ('', 'k' * 201):
            with self.subTest(length=len(key)):
                self.assertProblem(self.agent.create(headers={'Idempotency-Key': key}), 400,
                                   'Idempotency-Key')
        self.assertEqual(rows_by(self.agent.login), before)


class Input(OrdersTestCase):
    """Refused input names the field, says why, and creates nothing."""

    def assertRefused(self, resp, status, field=None, detail_re=None):
        self.assertProblem(resp, status, detail_re, field=field)

    def created(self):
        return rows_by(self.agent.login)

    def test_unknown_codes_are_422_naming_the_field(self):
        cases = [
            ({'request_type': 'rant'}, 'request_type'),
            ({'request_type': None}, 'request_type'),
            ({'urgency': 'whenever'}, 'urgency'),
            ({'category': 'ZZ99'}, 'category'),
            ({'channel': 'pigeon'}, 'channel'),
            ({'district': 'NO-SUCH-DISTRICT'}, 'district'),
            ({'district': 'D01-S01'}, 'district'),          # a street is not a district
            ({'street': 'NO-SUCH-STREET'}, 'street'),
            ({'confidential': 'yes'}, 'confidential'),
            ({'latitude': 91, 'longitude': 116.4}, 'latitude'),
            ({'latitude': 39.9, 'longitude': 181}, 'longitude'),
            ({'latitude': 39.9}, 'longitude'),
        ]
        before = self.created()
        for fields, field in cases:
            with self.subTest(fields=fields):
                r = self.agent.create(**fields)
                self.assertRefused(r, 422, field)
                value = [v for v in fields.values() if isinstance(v, str)]
                if value and field not in ('confidential',):
                    self.assertIn('"%s"' % value[0], r.json['detail'])
        self.assertEqual(self.created(), before, 'a refused order is not stored')

    def test_known_places_and_coordinates_are_kept(self):
        o = self.agent.create_order(district='D01', street='D01-S01', latitude=39.915,
                                    longitude=116.404, channel='web')
        self.assertEqual(o['district']['code'], 'D01')
        self.assertEqual(o['street']['name'], '东华门街道')
        self.assertEqual(o['location'], {'latitude': 39.915, 'longitude': 116.404})
        self.assertEqual(o['channel'], {'code': 'web', 'name': '网站/APP'})

    def test_unknown_department_in_dispatch_is_422(self):
        n = self.agent.create_order()['number']
        for body, field in (({'department': 'NO-SUCH-UNIT'}, 'department'),
                            ({}, 'department'),
                            ({'department': self.depts.a, 'assisting': ['NO-SUCH-UNIT']},
                             'assisting'),
                            ({'department': self.depts.a, 'assisting': self.depts.b},
                             'assisting'),
                            ({'department': self.depts.a, 'assisting': [7]}, 'assisting')):
            with self.subTest(body=body):
                self.assertRefused(self.agent.act(n, 'dispatch', **body), 422, field)
        self.assertState(n, 'pending')
        self.assertEqual(psql("SELECT count(*) FROM order_assist a JOIN work_order o"
                              " ON o.id = a.order_id WHERE o.number = '%s'" % n), [['0']])

    def test_phone_numbers_are_normalised(self):
        cases = [
            ('+86 138 1234 5678', '13812345678'),
            ('0086-138-1234-5678', '13812345678'),
            ('8613812345678', '13812345678'),
            ('138-1234-5678', '13812345678'),
            ('010 1234 5678', '010-12345678'),
            ('(010) 1234-5678', '010-12345678'),
            ('+86 10 1234 5678', '010-12345678'),
            ('0755 8765 4321', '0755-87654321'),
            ('0571-8765432', '0571-8765432'),
            ('12345', '12345'),
            ('400-123-4567', '4001234567'),
            ('', ''),
        ]
        for given, stored in cases:
            with self.subTest(phone=given):
                o = self.agent.create_order(caller_phone=given)
                self.assertEqual(o['caller']['phone'], stored)

    def test_invalid_phone_numbers_are_422_with_a_reason(self):
        cases = [
            ('138123456789', 'mobile'),          # 12 digits
            ('1381234567a', 'contains "a"'),      # a letter
            ('138 1234 567O', 'contains "O"'),    # the letter O for zero
            ('8765432', 'area code'),             # 7-digit landline without area code
            ('87654321', 'area code'),            # 8-digit landline without area code
            ('11812345678', 'second digit'),      # no such mobile prefix
            ('010-123456', 'landline'),           # too short after the area code
            ('+-', 'no digits'),
        ]
        before = self.created()
        for given, why in cases:
            with self.subTest(phone=given):
                r = self.agent.create(caller_phone=given)
                self.assertRefused(r, 422, 'caller_phone', re.escape(why))
                self.assertIn(given, r.json['detail'])
        self.assertEqual(self.created(), before)

    def test_a_phone_with_other_characters_is_refused_in_readable_utf8(self):
        # Typed with a Chinese input method: full-width digits, or an extension.
        wrong = []
        for given, char in (('１３８１２３４５６７８', '１'), ('138 1234 5678 转 8', '转')):
            r = self.agent.create(caller_phone=given)
            try:
                detail = json.loads(r.raw.decode('utf-8'))['detail']
            except (UnicodeDecodeError, ValueError) as e:
                wrong.append((given, r.status, 'body is not UTF-8 JSON: %s' % e))
                continue
            if r.status != 422 or 'contains "%s"' % char not in detail:
                wrong.append((given, r.status, detail))
        self.assertEqual(wrong, [])

    def test_a_nul_character_does_not_silently_cut_a_field_short(self):
        # "\u0000" in JSON: either refuse the field or keep all of it.
        wrong = []
        for field, value in (('content', '路面塌陷'), ('category', '010101')):
            text = json.dumps(order_body(**{field: 'MARK'}), ensure_ascii=False)
            raw = text.replace('MARK', value[:2] + '\\u0000' + value[2:]).encode()
            r = self.agent.post('/api/v1/orders', raw=raw,
                                headers={'Content-Type': 'application/json'})
            if r.status == 201:
                stored = r.json[field] if field == 'content' else r.json[field]['code']
                if stored != value[:2] + '\x00' + value[2:]:
                    wrong.append('%s %r stored as %r' % (field, value[:2] + '\\u0000' + value[2:],
                                                         stored))
            elif r.status != 422 or r.json.get('field') != field:
                wrong.append('%s: %r' % (field, r))
        self.assertEqual(wrong, [])

    def test_a_unit_listed_twice_as_assisting_is_not_called_unknown(self):
        n = self.agent.create_order()['number']
        r = self.agent.act(n, 'dispatch', department=self.depts.a,
                           assisting=[self.depts.c, self.depts.c])
        if r.status == 200:
            self.assertEqual([d['code'] for d in r.json['assisting_departments']],
                             [self.depts.c])
        else:
            self.assertProblem(r, 422, field='assisting')
            self.assertNotIn('unknown', r.json['detail'])

    def test_an_inactive_department_cannot_be_dispatched_to(self):
        code = 'TX%s' % uuid.uuid4().hex[:8].upper()
        out = import_csv('department', 'code,name,kind,parent,active\n%s,撤销的局,city,,false\n'
                         % code)
        self.assertEqual(out.returncode, 0, out.stderr)
        n = self.agent.create_order()['number']
        self.assertProblem(self.agent.act(n, 'dispatch', department=code), 422, 'inactive',
                           field='department')
        self.assertProblem(self.agent.act(n, 'dispatch', department=self.depts.a,
                                          assisting=[code]), 422, field='assisting')
        self.assertState(n, 'pending')

    def test_content_is_required_and_at_most_4000_characters(self):
        before = self.created()
        for content in (None, '', '   \n\t'):
            with self.subTest(content=content):
                self.assertRefused(self.agent.create(content=content), 422, 'content')
        self.assertRefused(self.agent.create(content=42), 422, 'content', 'string')
        self.assertRefused(self.agent.create(content='路' * 4001), 422, 'content', '4001')
        self.assertRefused(self.agent.create(content='bad\x01byte'), 422, 'content', 'control')
        self.assertRefused(self.agent.create(caller_name='名' * 65), 422, 'caller_name')
        self.assertRefused(self.agent.create(address='址' * 501), 422, 'address')
        self.assertEqual(self.created(), before)
        o = self.agent.create_order(content='路' * 4000)
        self.assertEqual(len(o['content']), 4000)
        self.assertEqual(psql("SELECT char_length(content), octet_length(content) FROM work_order"
                              " WHERE number = '%s'" % o['number']), [['4000', '12000']])

    def test_invalid_utf8_is_refused_not_a_server_error(self):
        before = self.created()
        wrong = []
        for field in ('content', 'caller_name', 'address', 'request', 'category',
                      'request_type', 'urgency', 'channel', 'district', 'street', 'call_id'):
            body = order_body(**{field: 'MARK'})
            raw = json.dumps(body, ensure_ascii=False).encode().replace(b'MARK', b'x\xff\xfey')
            r = self.agent.post('/api/v1/orders', raw=raw,
                                headers={'Content-Type': 'application/json'})
            if r.status not in (400, 422) or (r.status == 422 and r.json.get('field') != field):
                wrong.append((field, r.status, r.json.get('detail')))
        self.assertEqual(wrong, [], 'fields with invalid UTF-8 not refused as 400/422')
        self.assertEqual(self.created(), before)

    def test_invalid_utf8_in_the_url_is_refused_not_a_server_error(self):
        wrong = []
        for path in ('/api/v1/orders/%FF%FE', '/api/v1/orders/%FF%FE/events',
                     '/api/v1/orders?q=%FF%FE', '/api/v1/orders?status=%FF',
                     '/api/v1/orders?department=%FF', '/api/v1/orders?category=%C0%AF'):
            r = self.agent.get(path)
            if r.status not in (400, 404, 422):
                wrong.append(('GET', path, r.status))
        r = self.agent.post('/api/v1/orders/%FF/actions/sign', {})
        if r.status not in (400, 404, 422):
            wrong.append(('POST', '/api/v1/orders/%FF/actions/sign', r.status))
        self.assertEqual(wrong, [], 'requests with invalid UTF-8 in the URL not refused')

    def test_a_newline_in_the_url_cannot_forge_a_log_line(self):
        forged = '2026-01-01T00:00:00.000 info: POST /api/v1/orders 201'
        r = self.agent.get('/api/v1/orders/x%0A' + quote(forged))
        self.assertProblem(r, 400, 'control character')      # refused before any route
        rid = r.header('x-request-id')

        def log():
            with open(self.server.log_path, 'rb') as f:
                text = f.read().decode('utf-8', 'replace')
            return text if '"request_id":"%s"' % rid in text else None
        lines = wait_for(log).splitlines()
        self.assertFalse([l for l in lines if l.startswith(forged)],
                         'a request wrote a line of its own choosing into the log')

    def test_the_log_stays_utf8_whatever_bytes_the_url_carries(self):
        r = self.agent.get('/api/v1/orders/%FF%FE%C0%AF')
        rid = r.header('x-request-id')

        def log():
            with open(self.server.log_path, 'rb') as f:
                raw = f.read()
            return raw if ('"request_id":"%s"' % rid).encode() in raw else None
        raw = wait_for(log)
        line = [l for l in raw.split(b'\n') if ('"request_id":"%s"' % rid).encode() in l][-1]
        try:
            line.decode('utf-8')
        except UnicodeDecodeError:
            self.fail('the access log line is not UTF-8: %r' % line)

    def test_malformed_json_is_400_naming_line_and_column(self):
        before = self.created()
        r = self.agent.post('/api/v1/orders', raw=b'{"content": "x",\n  "urgency" "normal"}',
                            headers={'Content-Type': 'application/json'})
        self.assertRefused(r, 400, None, r'line 2, column 13\b')
        r = self.agent.post('/api/v1/orders',
                            raw='{\n"content": "路路" x}'.encode(),
                            headers={'Content-Type': 'application/json'})
        self.assertRefused(r, 400, None, r'line 2, column 17\b')
        for raw, why in ((b'', 'empty'), (b'[1, 2]', 'object'), (b'{"a": 1} {"b": 2}', 'after'),
                         (b'{"content": "unterminated', 'line 1')):
            with self.subTest(raw=raw):
                r = self.agent.post('/api/v1/orders', raw=raw,
                                    headers={'Content-Type': 'application/json'})
                self.assertRefused(r, 400, None, why)
        r = self.agent.post('/api/v1/orders', raw=b'content=x',
                            headers={'Content-Type': 'text/plain'})
        self.assertRefused(r, 415, None, 'text/plain')
        self.assertEqual(self.created(), before)

    def test_malformed_json_in_an_action_is_400_and_changes_nothing(self):
        n = self.agent.create_order()['number']
        r = self.agent.post('/api/v1/orders/%s/actions/dispatch' % n, raw=b'{"department":',
                            headers={'Content-Type': 'application/json'})
        self.assertRefused(r, 400, None, 'line 1')
        self.assertState(n, 'pending')

    def test_only_centre_staff_register_orders(self):
        for who in ('ha', 'ma', 'supervisor', 'admin'):
            with self.subTest(who=who):
                r = self.actors[who].create()
                self.assertProblem(r, 403)
        anon = self.server.client()
        self.assertProblem(anon.post('/api/v1/orders', order_body()), 401)
        self.assertProblem(anon.get('/api/v1/orders'), 401)
        anon.close()


class Listing(OrdersTestCase):
    """GET /api/v1/orders: filters, search and pages (orders of this class only,
    found through this class's own departments)."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        d = cls.depts
        ag = cls.agent
        cls.tag = uuid.uuid4().hex[:8]

        def make(dept, **f):
            f.setdefault('content', '测试%s 默认内容' % cls.tag)
            n = ag.create_order(**f)['number']
            r = ag.act(n, 'dispatch', department=dept)
            assert r.status == 200, r
            return n
        cls.road = make(d.a, category='010101', urgency='normal')
        cls.lamp = make(d.a1, category='010102', urgency='urgent', caller_phone='13900002222')
        cls.noise = make(d.b, category='020101', request_type='report',
                         content='测试%s 夜间施工噪声 100%% 扰民' % cls.tag)
        cls.wage = make(d.b, category='030101', request_type='help',
                        content='测试%s 拖欠工资 100 元' % cls.tag)
        r = cls.ha.act(cls.road, 'sign')
        assert r.status == 200, r

    def numbers(self, actor=None, **q):
        r = (actor or self.agent).list(**q)
        self.assertEqual(r.status, 200, r)
        return [o['number'] for o in r.json['items']]

    def test_filters_by_department_subtree_status_type_urgency_and_category(self):
        d = self.depts
        self.assertEqual(set(self.numbers(department=d.a)), {self.road, self.lamp})
        self.assertEqual(self.numbers(department=d.a1), [self.lamp])
        self.assertEqual(self.numbers(department=d.a, status='in_progress'), [self.road])
        self.assertEqual(set(self.numbers(department=d.a, status='in_progress,dispatched')),
                         {self.road, self.lamp})
        self.assertEqual(self.numbers(department=d.b, request_type='report'), [self.noise])
        self.assertEqual(self.numbers(department=d.a, urgency='urgent'), [self.lamp])
        self.assertEqual(set(self.numbers(department=d.a, category='0101')),
                         {self.road, self.lamp})
        self.assertEqual(self.numbers(department=d.b, category='03'), [self.wage])

    def test_newest_first(self):
        got = self.numbers(q='测试%s' % self.tag)
        self.assertEqual(got, [self.wage, self.noise, self.lamp, self.road])

    def test_search_matches_text_literally(self):
        self.assertEqual(self.numbers(q='%s 夜间施工' % self.tag), [self.noise])
        # % and _ are characters to find, not wildcards.
        self.assertEqual(self.numbers(q='100%', department=self.depts.b), [self.noise])
        self.assertEqual(self.numbers(q='测_%s' % self.tag), [])

    def test_caller_phone_is_matched_after_normalising(self):
        self.assertEqual(self.numbers(caller_phone='+86 139 0000 2222', department=self.depts.a),
                         [self.lamp])
        self.assertProblem(self.agent.list(caller_phone='call me'), 400, field='caller_phone')

    def test_created_window(self):
        o = self.ok(self.agent.order(self.road))
        after = self.numbers(created_from=o['created_at'], department=self.depts.a)
        self.assertIn(self.road, after)
        before = self.numbers(created_to=o['created_at'], department=self.depts.a)
        self.assertNotIn(self.road, before)
        self.assertProblem(self.agent.list(created_from='yesterday'), 400, field='created_from')

    def test_pages_follow_the_cursor_without_repeats(self):
        seen = []
        cursor = None
        for _ in range(10):
            q = {'q': '测试%s' % self.tag, 'limit': 1}
            if cursor:
                q['cursor'] = cursor
            page = self.ok(self.agent.list(**q))
            self.assertLessEqual(len(page['items']), 1)
            seen += [o['number'] for o in page['items']]
            cursor = page['next_cursor']
            if not cursor:
                break
        self.assertEqual(seen, [self.wage, self.noise, self.lamp, self.road])

    def test_bad_limit_and_cursor_are_400(self):
        for q, what in (({'limit': 0}, 'limit'), ({'limit': 201}, 'limit'),
                        ({'limit': 'ten'}, 'limit'), ({'cursor': 'abc'}, 'cursor'),
                        ({'cursor': '-5'}, 'cursor')):
            with self.subTest(q=q):
                self.assertProblem(self.agent.list(**q), 400, what)

    def test_overdue_lists_only_red_orders(self):
        self.assertEqual(self.numbers(department=self.depts.a, overdue='true'), [])


class Sessions(ServerTestCase):
    """Logging in, CSRF, tokens, logging out, and sessions across a restart."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.login = add_user('agent')

    def log_in(self, client, login=None, password=PASSWORD):
        return client.post('/api/v1/session', {'login': login or self.login,
                                               'password': password})

    def test_login_sets_an_httponly_lax_cookie_and_returns_a_csrf_token(self):
        r = self.log_in(self.client)
        self.assertEqual(r.status, 201, r)
        self.assertEqual(r.json['login'], self.login)
        self.assertEqual(r.json['role'], 'agent')
        self.assertRegex(r.json['csrf_token'], r'^[0-9a-f]{64}$')
        self.assertNotIn('password', r.text)
        cookie = r.headers['set-cookie'][0]
        self.assertRegex(cookie, r'^hotline_session=[0-9a-f]{64};')
        attrs = [a.strip().lower() for a in cookie.split(';')[1:]]
        self.assertIn('httponly', attrs)
        self.assertIn('samesite=lax', attrs)
        self.assertIn('path=/', attrs)
        me = self.client.get('/api/v1/session')
        self.assertEqual(me.status, 200, me)
        self.assertEqual(me.json['login'], self.login)

    def test_wrong_password_is_401_and_the_sixth_failure_in_a_row_is_429(self):
        login = add_user('agent')
        for i in range(5):
            r = self.log_in(self.client, login, 'wrong-password')
            self.assertProblem(r, 401)
            self.assertNotIn('hotline_session=', ''.join(r.headers.get('set-cookie', [])))
        r = self.log_in(self.client, login, 'wrong-password')
        self.assertProblem(r, 429, login)
        # Locked out even with the right password now.
        self.assertProblem(self.log_in(self.client, login), 429)
        # Another user is not affected.
        self.assertEqual(self.log_in(self.server.client()).status, 201)

    def test_a_successful_login_resets_the_failure_count(self):
        login = add_user('agent')
        for _ in range(4):
            self.assertProblem(self.log_in(self.client, login, 'wrong-password'), 401)
        self.assertEqual(self.log_in(self.server.client(), login).status, 201)
        for _ in range(5):
            self.assertProblem(self.log_in(self.client, login, 'wrong-password'), 401)
        self.assertProblem(self.log_in(self.client, login, 'wrong-password'), 429)

    def test_unknown_login_is_the_same_401(self):
        r = self.log_in(self.client, 'nobody-%s' % uuid.uuid4().hex[:6], 'whatever-pass')
        self.assertProblem(r, 401, 'wrong login or password')

    def test_logout_invalidates_the_cookie(self):
        r = self.log_in(self.client)
        csrf = r.json['csrf_token']
        cookie = dict(self.client.cookies)
        self.assertEqual(self.client.get('/api/v1/session').status, 200)
        out = self.client.request('DELETE', '/api/v1/session', headers={'X-CSRF-Token': csrf})
        self.assertEqual(out.status, 204, out)
        self.assertIn('Max-Age=0', out.headers['set-cookie'][0])
        replay = self.server.client()
        replay.cookies = cookie
        self.assertProblem(replay.get('/api/v1/session'), 401)
        self.assertProblem(replay.get('/api/v1/orders'), 401)
        replay.close()

    def test_a_post_with_the_cookie_needs_the_csrf_token(self):
        r = self.log_in(self.client)
        csrf = r.json['csrf_token']
        body = order_body()
        before = rows_by(self.login)
        self.assertProblem(self.client.post('/api/v1/orders', body), 403, 'CSRF')
        self.assertProblem(self.client.post('/api/v1/orders', body,
                                            headers={'X-CSRF-Token': 'f' * 64}), 403, 'CSRF')
        self.assertProblem(self.client.post('/api/v1/orders', body,
                                            headers={'X-CSRF-Token': ''}), 403, 'CSRF')
        self.assertEqual(rows_by(self.login), before)
        ok = self.client.post('/api/v1/orders', body, headers={'X-CSRF-Token': csrf})
        self.assertEqual(ok.status, 201, ok)

    def test_a_bearer_token_works_without_csrf(self):
        login = add_user('reviewer')
        a = Actor(self.server, login, bearer=True)
        r = a.client.post('/api/v1/orders', order_body(),
                          headers={'Authorization': 'Bearer ' + a.token})
        self.assertEqual(r.status, 201, r)
        self.assertEqual(r.json['created_by'], login)
        self.assertProblem(a.client.get('/api/v1/orders',
                                        headers={'Authorization': 'Bearer ' + 'a' * 64}), 401)
        self.assertProblem(a.client.get('/api/v1/orders',
                                        headers={'Authorization': 'Basic dXNlcjpwYXNz'}), 401)
        a.close()

    def test_sessions_survive_a_server_restart(self):
        r = self.log_in(self.client)
        csrf = r.json['csrf_token']
        cookie = dict(self.client.cookies)
        second = Server()
        try:
            c = second.client()
            c.cookies = dict(cookie)
            me = c.get('/api/v1/session')
            self.assertEqual(me.status, 200, me)
            self.assertEqual(me.json['login'], self.login)
            made = c.post('/api/v1/orders', order_body(), headers={'X-CSRF-Token': csrf})
            self.assertEqual(made.status, 201, made)
            c.close()
        finally:
            self.assertEqual(second.stop(), 0)
