"""Citizens' channels: Open311 GeoReport v2 under /open311/v2 (JSON and XML),
and the public pages /public/new and /public/status.

The JSON answers are validated (python3-jsonschema) against the schemas the
Open311 project publishes for GeoReport v2, written out as JSON Schema in
tests/open311/georeport-v2.schema.json (nothing is fetched at test time), and
checked for the absence of the caller's personal data.
"""
import json
import os
import re
import uuid
import xml.etree.ElementTree as ET
import sys
from urllib.parse import urlencode, urlparse

try:
    import jsonschema
except ImportError:
    # Debian's python3-jsonschema (scripts/lib.sh installs it) serves
    # /usr/bin/python3; a python3 of another install on the PATH finds it here.
    sys.path.append('/usr/lib/python3/dist-packages')
    import jsonschema

from harness import ROOT, psql, run_hotline
from orders_fixture import OrdersTestCase

SERVICES = ('010101', '010102')
PHONE = '13912345678'
NAME_FAMILY, NAME_GIVEN = '欧阳', '明'

# --- the specification's schemas (tests/open311/georeport-v2.schema.json)

ISO = re.compile(r'^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$')
with open(os.path.join(ROOT, 'tests', 'open311', 'georeport-v2.schema.json'), encoding='utf-8') as f:
    SCHEMA = json.load(f)
jsonschema.Draft7Validator.check_schema(SCHEMA)
FORMATS = jsonschema.FormatChecker(formats=())


@FORMATS.checks('date-time')
def is_w3c_datetime(value):
    return not isinstance(value, str) or bool(ISO.match(value))


@FORMATS.checks('uri')
def is_absolute_url(value):
    if not isinstance(value, str):
        return True
    u = urlparse(value)
    return u.scheme in ('http', 'https') and bool(u.netloc)


def schema_errors(instance, name):
    """What is wrong with `instance` as the schema's definition `name` says."""
    validator = jsonschema.Draft7Validator({'$ref': '#/definitions/' + name, 'definitions': SCHEMA['definitions']},
                                           format_checker=FORMATS)
    return ['%s: %s' % ('/'.join(map(str, e.absolute_path)) or name, e.message)
            for e in validator.iter_errors(instance)]


class Open311Shapes:
    """The specification's JSON answers, validated against its schemas."""

    def assertValid(self, body, name):
        self.assertEqual(schema_errors(body, name), [], '%s: %r' % (name, body))

    def assertServices(self, body):
        self.assertValid(body, 'services')

    def assertDefinition(self, body):
        self.assertValid(body, 'service_definition')

    def assertRequests(self, body):
        self.assertValid(body, 'requests')

    def assertErrors(self, resp, status, fmt='json'):
        self.assertEqual(resp.status, status, resp)
        if fmt == 'xml':
            self.assertTrue(resp.header('content-type').startswith('text/xml'), resp)
            root = ET.fromstring(resp.raw)
            self.assertEqual(root.tag, 'errors')
            errors = [{'code': int(e.findtext('code')), 'description': e.findtext('description')}
                      for e in root.findall('error')]
        else:
            self.assertTrue(resp.header('content-type').startswith('application/json'), resp)
            errors = resp.json
        self.assertValid(errors, 'errors')
        for e in errors:
            self.assertEqual(e['code'], status)
        return errors

    def xml(self, resp, root_tag, item_tag=None):
        self.assertEqual(resp.status // 100, 2, resp)
        self.assertTrue(resp.header('content-type').startswith('text/xml'), resp)
        self.assertTrue(resp.raw.startswith(b'<?xml version="1.0" encoding="UTF-8"?>'), resp)
        root = ET.fromstring(resp.raw)
        self.assertEqual(root.tag, root_tag)
        if item_tag is None:
            return root
        return [{child.tag: child.text for child in item} for item in root.findall(item_tag)]


class Open311Test(Open311Shapes, OrdersTestCase):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        out = run_hotline('channel', 'publish', '--description', '路面、路灯等市政设施问题', *SERVICES)
        assert out.returncode == 0, out.stderr
        out = run_hotline('channel', 'key', '--channel', 'wechat', '--login', cls.logins['admin'],
                          '--name', '市民服务小程序')
        assert out.returncode == 0, out.stderr
        cls.key = out.stdout.strip()

    def post(self, fmt='json', **fields):
        form = {'api_key': self.key, 'service_code': '010101', 'lat': '39.915', 'long': '116.404',
                'address_string': '东城区东华门大街%s号' % uuid.uuid4().hex[:4],
                'description': '人行道地砖松动，老人差点摔倒。', 'first_name': NAME_GIVEN,
                'last_name': NAME_FAMILY, 'phone': PHONE, 'email': 'citizen@example.org'}
        for k, v in fields.items():
            if v is None:
                form.pop(k, None)
            else:
                form[k] = v
        return self.client.post('/open311/v2/requests.' + fmt, form=form)

    def file(self, **fields):
        r = self.post(**fields)
        self.assertEqual(r.status, 201, r)
        return r.json[0]['service_request_id']

    def get_one(self, number, fmt='json'):
        return self.client.get('/open311/v2/requests/%s.%s' % (number, fmt))

    # --- services

    def test_services_in_both_formats(self):
        r = self.client.get('/open311/v2/services.json')
        self.assertEqual(r.status, 200, r)
        self.assertServices(r.json)
        codes = [s['service_code'] for s in r.json]
        self.assertEqual([c for c in codes if c in SERVICES], list(SERVICES))
        self.assertNotIn('0201', codes, 'a category the city did not mark public')
        road = next(s for s in r.json if s['service_code'] == '010101')
        self.assertEqual((road['service_name'], road['group'], road['metadata']), ('道路破损', '市政设施', False))
        items = self.xml(self.client.get('/open311/v2/services.xml'), 'services', 'service')
        self.assertEqual([i['service_code'] for i in items], codes)
        self.assertEqual(items[0]['metadata'], 'false')

    def test_service_definition_in_both_formats(self):
        r = self.client.get('/open311/v2/services/010101.json')
        self.assertEqual(r.status, 200, r)
        self.assertDefinition(r.json)
        root = self.xml(self.client.get('/open311/v2/services/010101.xml'), 'service_definition')
        self.assertEqual(root.findtext('service_code'), '010101')
        self.assertIsNotNone(root.find('attributes'))
        self.assertErrors(self.client.get('/open311/v2/services/0201.json'), 404)
        self.assertErrors(self.client.get('/open311/v2/services/nope.xml'), 404, 'xml')

    def test_unknown_resources(self):
        self.assertErrors(self.client.get('/open311/v2/tickets.json'), 404)
        self.assertErrors(self.client.get('/open311/v2/services.csv'), 404)
        self.assertErrors(self.client.get('/open311/v2/tickets.xml'), 404, 'xml')

    # --- POST requests

    def test_a_request_waits_in_the_pending_queue_like_an_agents_order(self):
        r = self.post()
        self.assertEqual(r.status, 201, r)
        self.assertIsInstance(r.json, list)
        self.assertEqual(len(r.json), 1)
        self.assertValid(r.json, 'created')
        number = r.json[0]['service_request_id']
        order = self.ok(self.agent.order(number))
        self.assertEqual((order['status'], order['channel']['code'], order['category']['code']),
                         ('pending', 'wechat', '010101'))
        self.assertEqual(order['request_type']['code'], 'help')
        self.assertEqual(order['caller'], {'name': NAME_FAMILY + NAME_GIVEN, 'phone': PHONE, 'masked': False})
        self.assertEqual(order['location'], {'latitude': 39.915, 'longitude': 116.404})
        pending = self.ok(self.agent.list(status='pending', limit=200))
        self.assertIn(number, [o['number'] for o in pending['items']])
        # The agent sees it with the same routing suggestions and duplicates.
        self.ok(self.agent.get('/api/v1/orders/%s/suggestions' % number))
        dup = self.ok(self.agent.get('/api/v1/orders/%s/duplicates' % number))
        twin = self.file()
        self.assertIn(twin, [c['number'] for c in self.ok(
            self.agent.get('/api/v1/orders/%s/duplicates' % number))['items']], dup)

    def test_post_in_xml_and_with_an_address_only(self):
        r = self.post('xml', lat=None, long=None)
        items = self.xml(r, 'service_requests', 'request')
        self.assertEqual(r.status, 201)
        self.assertEqual(len(items), 1)
        self.assertTrue(items[0]['service_request_id'])
        order = self.ok(self.agent.order(items[0]['service_request_id']))
        self.assertIsNone(order['location'])

    def test_bad_api_keys(self):
        for key in (None, '', 'x' * 64, 'not-hex'):
            self.assertErrors(self.post(api_key=key), 403)
        self.assertErrors(self.post('xml', api_key='0' * 64), 403, 'xml')
        # An ordinary API token is no api_key, and an api_key opens no API.
        token = run_hotline('token', 'create', '--login', self.logins['agent']).stdout.strip()
        self.assertErrors(self.post(api_key=token), 403)
        r = self.client.get('/api/v1/orders', headers={'Authorization': 'Bearer ' + self.key})
        self.assertProblem(r, 401)
        # A revoked key stops at once.
        key = run_hotline('channel', 'key', '--channel', 'web', '--login', self.logins['admin']).stdout.strip()
        self.assertEqual(self.post(api_key=key).status, 201)
        psql("UPDATE api_token SET revoked_at = now() WHERE channel = 'web'")
        self.assertErrors(self.post(api_key=key), 403)

    def test_bad_requests_are_400_with_the_field_named(self):
        errors = self.assertErrors(self.post(service_code='999999'), 400)
        self.assertRegex(errors[0]['description'], r'^service_code: ')
        self.assertErrors(self.post(service_code='0201'), 400)
        errors = self.assertErrors(self.post('xml', lat=None, long=None, address_string=None), 400, 'xml')
        self.assertRegex(errors[0]['description'], 'location')
        self.assertErrors(self.post(long=None), 400)
        errors = self.assertErrors(self.post(lat='north', phone='12', service_code=None), 400)
        self.assertEqual({e['description'].split(':')[0] for e in errors}, {'lat', 'phone', 'service_code'})
        self.assertErrors(self.post(description='长' * 4001), 400)

    # --- GET requests

    def test_get_by_id_in_both_formats(self):
        number = self.file()
        r = self.get_one(number)
        self.assertEqual(r.status, 200, r)
        self.assertRequests(r.json)
        self.assertEqual(len(r.json), 1)
        one = r.json[0]
        self.assertEqual((one['service_request_id'], one['status'], one['service_code'], one['service_name']),
                         (number, 'open', '010101', '道路破损'))
        self.assertEqual((one['lat'], one['long']), (39.915, 116.404))
        self.assertEqual(one['description'], '人行道地砖松动，老人差点摔倒。')
        self.assertIsNone(one['agency_responsible'])
        items = self.xml(self.get_one(number, 'xml'), 'service_requests', 'request')
        self.assertEqual([(i['service_request_id'], i['status']) for i in items], [(number, 'open')])
        r = self.client.get('/open311/v2/requests.json?' + urlencode({'service_request_id': number}))
        self.assertEqual([x['service_request_id'] for x in r.json], [number])
        self.assertErrors(self.get_one('19990101-000001'), 404)
        self.assertErrors(self.get_one('19990101-000001', 'xml'), 404, 'xml')

    def test_query_by_service_status_and_dates(self):
        road, light = self.file(), self.file(service_code='010102')
        r = self.client.get('/open311/v2/requests.json?service_code=010102')
        self.assertRequests(r.json)
        numbers = [x['service_request_id'] for x in r.json]
        self.assertIn(light, numbers)
        self.assertNotIn(road, numbers)
        self.assertEqual({x['service_code'] for x in r.json}, {'010102'})
        r = self.client.get('/open311/v2/requests.json?status=open&service_code=010101,010102')
        self.assertTrue({road, light} <= {x['service_request_id'] for x in r.json})
        self.assertEqual({x['status'] for x in r.json}, {'open'})
        r = self.client.get('/open311/v2/requests.json?status=closed&service_code=010101')
        self.assertNotIn(road, [x['service_request_id'] for x in r.json])
        old = urlencode({'start_date': '2020-01-01T00:00:00+08:00', 'end_date': '2020-02-01T00:00:00+08:00'})
        self.assertEqual(self.client.get('/open311/v2/requests.json?' + old).json, [])
        items = self.xml(self.client.get('/open311/v2/requests.xml?' + old), 'service_requests', 'request')
        self.assertEqual(items, [])
        wide = urlencode({'start_date': '2020-01-01T00:00:00Z', 'end_date': '2020-06-01T00:00:00Z'})
        self.assertErrors(self.client.get('/open311/v2/requests.json?' + wide), 400)
        self.assertErrors(self.client.get('/open311/v2/requests.xml?status=pending'), 400, 'xml')
        self.assertErrors(self.client.get('/open311/v2/requests.json?start_date=yesterday'), 400)

    def test_status_follows_the_order_to_the_units_reply(self):
        number = self.file()
        self.ok(self.agent.act(number, 'dispatch', department=self.depts.a))
        after = self.get_one(number).json[0]
        order = self.ok(self.agent.order(number))
        self.assertEqual(after['status'], 'open')
        self.assertEqual(after['agency_responsible'], '测试一局' + self.depts.suffix)
        self.assertEqual(after['expected_datetime'], order['deadlines']['handle_deadline'])
        self.ok(self.ha.act(number, 'sign'))
        self.ok(self.ha.act(number, 'reply', result='已更换松动地砖并压实。', solved=True, contacted=True))
        closed = self.get_one(number).json[0]
        self.assertEqual((closed['status'], closed['status_notes']), ('closed', '已更换松动地砖并压实。'))
        items = self.xml(self.get_one(number, 'xml'), 'service_requests', 'request')
        self.assertEqual((items[0]['status'], items[0]['status_notes']), ('closed', '已更换松动地砖并压实。'))

    def test_no_personal_data_in_get_answers(self):
        number = self.file()
        secret = self.agent.create_order(category='010101', confidential=True,
                                         caller_phone='13700001111')['number']
        phoned = self.agent.create_order(category='010101', caller_name='李四',
                                         content='李四说门前道路塌陷。')['number']
        answers = [self.get_one(number), self.get_one(number, 'xml'),
                   self.client.get('/open311/v2/requests.json?service_code=010101'),
                   self.client.get('/open311/v2/requests.xml?service_code=010101')]
        for a in answers:
            self.assertEqual(a.status, 200, a)
            for private in (PHONE, NAME_FAMILY, NAME_GIVEN, 'citizen@example.org', '13700001111',
                            '13812345678', '李四'):
                self.assertNotIn(private, a.text, a.text[:200])
        listed = [x['service_request_id'] for x in answers[2].json]
        self.assertNotIn(secret, listed, 'a confidential order')
        self.assertIn(phoned, listed)
        self.assertErrors(self.get_one(secret), 404)


class PublicPages(Open311Shapes, OrdersTestCase):
    """/public/new and /public/status, with their token and their limits."""

    server_env = {'HOTLINE_PUBLIC_LOOKUP_FAILURES': '3', 'HOTLINE_PUBLIC_SUBMITS_PER_HOUR': '50'}

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        out = run_hotline('channel', 'publish', *SERVICES)
        assert out.returncode == 0, out.stderr

    def setUp(self):
        super().setUp()
        psql('DELETE FROM public_attempt')

    def tearDown(self):
        psql('DELETE FROM public_attempt')
        super().tearDown()

    def token(self, path='/public/new'):
        r = self.client.get(path)
        self.assertEqual(r.status, 200, r)
        self.assertIn('hotline_public', self.client.cookies)
        return re.search(r'name="form_token" value="([0-9a-f]+)"', r.text).group(1)

    def submit(self, **fields):
        form = {'form_token': self.token(), 'service_code': '010102', 'description': '小区门口路灯不亮已经一周。',
                'address_string': '西城区府右街%s号' % uuid.uuid4().hex[:4], 'first_name': '王五',
                'phone': '138-0013-8000'}
        form.update(fields)
        return self.client.post('/public/new', form=form)

    def lookup(self, number, phone='13800138000', path='/public/status', **extra):
        form = {'form_token': self.token('/public/status'), 'number': number, 'phone': phone}
        form.update(extra)
        return self.client.post(path, form=form)

    def test_the_form_lists_the_public_services(self):
        r = self.client.get('/public/new')
        self.assertIn('<option value="010102">', r.text)
        self.assertNotIn('value="0201"', r.text)
        self.assertIn('name="viewport"', r.text)
        self.assertEqual(r.header('x-frame-options'), 'DENY')

    def test_submit_follow_and_rate(self):
        r = self.submit()
        self.assertEqual(r.status, 201, r)
        number = re.search(r'id="public-number">([0-9-]+)<', r.text).group(1)
        # In the agent's 待派单 queue, on the web channel.
        pending = self.ok(self.agent.list(status='pending', limit=200))
        self.assertIn(number, [o['number'] for o in pending['items']])
        order = self.ok(self.agent.order(number))
        self.assertEqual((order['channel']['code'], order['caller']['phone']), ('web', '13800138000'))
        page = self.lookup(number)
        self.assertEqual(page.status, 200, page)
        self.assertIn('待派单', page.text)
        self.assertIn('已受理', page.text)
        self.assertNotIn('public-rate', page.text)
        # Dispatched, signed, replied: the page follows.
        self.ok(self.agent.act(number, 'dispatch', department=self.depts.b))
        self.ok(self.hb.act(number, 'sign'))
        self.ok(self.hb.act(number, 'reply', result='已修复路灯线路。', solved=True, contacted=True))
        page = self.lookup(number)
        self.assertIn('测试二局' + self.depts.suffix, page.text)
        self.assertIn('已修复路灯线路。', page.text)
        for step in ('已受理', '已派至承办单位', '承办单位已签收', '承办单位已答复'):
            self.assertIn(step, page.text)
        self.assertIn('id="public-rate"', page.text)
        # One rating, recorded as a callback made on the web, counted in the figures.
        day = {'from': order['created_at'][:10] + 'T00:00:00+08:00'}
        import datetime
        d = datetime.date.fromisoformat(order['created_at'][:10]) + datetime.timedelta(days=1)
        day['to'] = d.isoformat() + 'T00:00:00+08:00'
        before = self.web_row(day)
        rated = self.lookup(number, path='/public/rate', satisfaction='satisfied', solved='true')
        self.assertEqual(rated.status, 200, rated)
        self.assertIn('感谢您的评价', rated.text)
        self.assertIn('id="public-rating">满意<', rated.text)
        done = self.ok(self.agent.order(number))
        self.assertEqual((done['status'], done['outcome']['satisfaction'], done['outcome']['callback_result']),
                         ('completed', 'satisfied', 'rated'))
        self.assertEqual(psql("SELECT a.channel, a.outcome FROM callback_attempt a JOIN callback_task t"
                              " ON t.id = a.task_id JOIN work_order o ON o.id = t.order_id"
                              " WHERE o.number = '%s'" % number), [['web', 'rated']])
        callback = [e for e in self.ok(self.agent.events(number)) if e['action'] == 'callback']
        self.assertEqual(len(callback), 1)
        after = self.web_row(day)
        self.assertEqual(after.get('rated', 0), before.get('rated', 0) + 1)
        self.assertEqual(after.get('satisfied', 0), before.get('satisfied', 0) + 1)
        # 一事一评: a second rating changes nothing.
        again = self.lookup(number, path='/public/rate', satisfaction='unsatisfied', solved='false')
        self.assertIn('已评价', again.text)
        self.assertEqual(self.ok(self.agent.order(number))['outcome']['satisfaction'], 'satisfied')

    def web_row(self, period):
        report = self.ok(self.supervisor.get('/api/v1/stats/orders?' + urlencode(dict(period, by='channel'))))
        rows = [r for r in report['rows'] if r['key'] == 'web']
        return rows[0] if rows else {}

    def test_bad_submissions(self):
        r = self.submit(description='', phone='')
        self.assertEqual(r.status, 422, r)
        self.assertIn('诉求内容', r.text)
        self.assertIn('联系电话', r.text)
        r = self.submit(service_code='0201')
        self.assertEqual(r.status, 422, r)
        r = self.submit(address_string='')
        self.assertEqual(r.status, 422, r)
        # Without the token, or with another browser's, nothing is filed.
        count = psql("SELECT count(*) FROM work_order WHERE channel = 'web'")[0][0]
        r = self.client.post('/public/new', form={'service_code': '010102', 'description': '伪造',
                                                  'address_string': '某地', 'phone': '13800138000'})
        self.assertEqual(r.status, 403, r)
        token = self.token()
        self.client.cookies['hotline_public'] = '0' * 32
        r = self.client.post('/public/new', form={'form_token': token, 'service_code': '010102',
                                                  'description': '伪造', 'address_string': '某地',
                                                  'phone': '13800138000'})
        self.assertEqual(r.status, 403, r)
        self.assertEqual(psql("SELECT count(*) FROM work_order WHERE channel = 'web'")[0][0], count)

    def test_a_wrong_pair_is_only_not_found_and_is_rate_limited(self):
        r = self.submit()
        number = re.search(r'id="public-number">([0-9-]+)<', r.text).group(1)
        wrong_phone = self.lookup(number, phone='13900000000')
        wrong_number = self.lookup('20200101-000001')
        for r in (wrong_phone, wrong_number):
            self.assertEqual(r.status, 404, r)
            self.assertIn('未找到该工单', r.text)
            self.assertNotIn('测试', r.text)
        self.assertEqual(self.lookup(number).status, 200)
        self.assertEqual(self.lookup('garbage!', phone='x').status, 404)
        # Three failures within the window: even the right pair waits.
        limited = self.lookup(number)
        self.assertEqual(limited.status, 429, limited)
        self.assertIn('查询过于频繁', limited.text)
        self.assertNotIn('public-order', limited.text)

    def test_submissions_are_rate_limited_per_address(self):
        psql("INSERT INTO public_attempt (kind, address) SELECT 'submit', '127.0.0.1'"
             " FROM generate_series(1, 50)")
        r = self.submit()
        self.assertEqual(r.status, 429, r)
