"""The API reference (GET /api/v1/openapi.json) checked against the code and the server.

The document is written by hand; these tests catch it drifting from the route
table (src/app/routes.c), the lifecycle table (src/orders/lifecycle.c) and the
JSON the server really sends.
"""
import json
import os
import re
import uuid

from harness import ROOT, ServerTestCase, run_hotline

ROUTES_C = os.path.join(ROOT, 'src', 'app', 'routes.c')
LIFECYCLE_C = os.path.join(ROOT, 'src', 'orders', 'lifecycle.c')
LIFECYCLE_H = os.path.join(ROOT, 'src', 'orders', 'lifecycle.h')
API_H = os.path.join(ROOT, 'src', 'api', 'api.h')
OPENAPI_JSON = os.path.join(ROOT, 'src', 'api', 'openapi.json')

HTTP_METHODS = ('get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace')


def read(path):
    with open(path, encoding='utf-8') as f:
        return f.read()


def c_block(text, opening):
    """The text between `opening` (which ends with '{') and the matching '};'."""
    start = text.index(opening) + len(opening)
    return text[start:text.index('};', start)]


def c_defines(*paths):
    """Object-like #defines (continuation lines joined): name -> replacement text."""
    out = {}
    for path in paths:
        text = read(path).replace('\\\n', ' ')
        for m in re.finditer(r'^#define\s+(\w+)(?!\()\s+(.+)$', text, re.M):
            out[m.group(1)] = re.sub(r'/\*.*?\*/', '', m.group(2)).strip()
    return out


def code_table(text, opening, prefix):
    """A designated-initialiser table such as `[ST_PENDING] = { "pending", "待派单" }`."""
    return {m.group(1): m.group(2) for m in re.finditer(
        r'\[(%s\w+)\]\s*=\s*\{\s*"([^"]*)"' % prefix, c_block(text, opening))}


def split_top(expr, sep):
    """Splits `expr` at `sep` outside parentheses."""
    parts, depth, cur = [], 0, ''
    for ch in expr:
        depth += ch == '('
        depth -= ch == ')'
        if ch == sep and depth == 0:
            parts.append(cur)
            cur = ''
        else:
            cur += ch
    return parts + [cur]


def wrapped(expr):
    """True if `expr` is one parenthesised group: "(a | b)", not "(a) | (b)"."""
    depth = 0
    for i, ch in enumerate(expr):
        depth += ch == '('
        depth -= ch == ')'
        if depth == 0:
            return i == len(expr) - 1 and expr[0] == '('
    return False


def strip_parens(expr):
    expr = expr.strip()
    while wrapped(expr):
        expr = expr[1:-1].strip()
    return expr


class Lifecycle:
    """The tables of src/orders/lifecycle.c, read from the source."""

    def __init__(self):
        text = read(LIFECYCLE_C)
        self.defines = c_defines(LIFECYCLE_H, LIFECYCLE_C, API_H, ROUTES_C)
        self.statuses = code_table(text, 'statuses[ST_COUNT] = {', 'ST_')
        self.actions = code_table(text, 'actions[ACT_COUNT] = {', 'ACT_')
        self.roles = code_table(text, 'roles[ROLE_COUNT] = {', 'ROLE_')
        self.transitions = []
        table = re.sub(r'/\*.*?\*/', '', c_block(text, 'static const struct transition table[] = {'),
                       flags=re.S)
        for m in re.finditer(r'\{\s*(ACT_\w+)\s*,(.*?),\s*(ST_\w+)\s*,(.*?)\}\s*,', table, re.S):
            act, frm, to, roles = m.groups()
            self.transitions.append((self.actions[act], self.states(frm),
                                     None if to == 'ST_NONE' else self.statuses[to],
                                     self.role_set(roles)))

    def states(self, expr):
        expr = strip_parens(expr)
        if '&' in expr:
            left, right = split_top(expr, '&')
            right = right.strip()
            assert right.startswith('~'), expr
            return self.states(left) - self.states(right[1:])
        parts = split_top(expr, '|')
        if len(parts) > 1:
            return set().union(*(self.states(p) for p in parts))
        m = re.fullmatch(r'S\((ST_\w+)\)', expr)
        if m:
            return {self.statuses[m.group(1)]}
        if expr in self.defines:
            return self.states(self.defines[expr])
        raise AssertionError('cannot read the state set %r: teach test_openapi.py' % expr)

    def role_set(self, expr):
        """The role codes of an access or roles expression; None for a public route (0)."""
        expr = strip_parens(expr)
        if expr == '0':
            return None
        parts = split_top(expr, '|')
        if len(parts) > 1:
            return set().union(*(self.role_set(p) for p in parts))
        m = re.fullmatch(r'(?:ROLE_BIT\(|R\()(?:ROLE_)?(\w+)\)', expr)
        if m:
            return {self.roles['ROLE_' + m.group(1)]}
        if expr == '(1u << ROLE_COUNT) - 1':
            return set(self.roles.values())
        if expr in self.defines:
            return self.role_set(self.defines[expr])
        raise AssertionError('cannot read the role set %r: teach test_openapi.py' % expr)


def app_routes():
    """(method, pattern, access expression) of the app_routes table in src/app/routes.c."""
    block = c_block(read(ROUTES_C), 'const struct http_route app_routes[] = {')
    routes = re.findall(r'\{\s*"([A-Z]+)"\s*,\s*"([^"]+)"\s*,\s*\w+\s*,\s*([^}]+?)\s*\}', block)
    assert routes, 'no routes found in src/app/routes.c'
    return routes


def operations(doc):
    for path, item in doc['paths'].items():
        for method, op in item.items():
            if method in HTTP_METHODS:
                yield path, method, op


def markdown_rows(text, header):
    """The body rows of the markdown table whose header row starts with `header`."""
    lines = text.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith(header))
    rows = []
    for line in lines[start + 2:]:
        if not line.startswith('|'):
            break
        rows.append([cell.strip() for cell in line.strip().strip('|').split('|')])
    return rows


def codes(cell):
    return re.findall(r'`([^`]+)`', cell)


class Schema:
    """A small validator for the subset of OpenAPI 3.0 schemas the document uses.

    Stricter than OpenAPI in one way: an object member that the schema does not
    list is an error unless additionalProperties allows it, so that fields added
    to the JSON without documenting them are caught."""

    def __init__(self, doc):
        self.doc = doc

    def resolve(self, schema):
        while '$ref' in schema:
            node = self.doc
            for part in schema['$ref'].lstrip('#/').split('/'):
                node = node[part]
            schema = node
        return schema

    def errors(self, value, schema, where='$'):
        schema = self.resolve(schema)
        if value is None:
            return [] if schema.get('nullable') else ['%s: null is not allowed' % where]
        out = []
        for sub in schema.get('allOf', []):
            out += self.errors(value, sub, where)
        if 'anyOf' in schema and all(self.errors(value, s, where) for s in schema['anyOf']):
            out.append('%s: matches none of anyOf' % where)
        if 'enum' in schema and value not in schema['enum']:
            out.append('%s: %r is not in the enum %r' % (where, value, schema['enum']))
        kind = schema.get('type')
        checks = {'object': dict, 'array': list, 'string': str, 'boolean': bool}
        if kind in checks and not isinstance(value, checks[kind]):
            return out + ['%s: %r is not of type %s' % (where, value, kind)]
        if kind == 'integer' and (isinstance(value, bool) or not isinstance(value, int)):
            return out + ['%s: %r is not an integer' % (where, value)]
        if kind == 'number' and (isinstance(value, bool) or not isinstance(value, (int, float))):
            return out + ['%s: %r is not a number' % (where, value)]
        if isinstance(value, dict) and kind in ('object', None):
            # A schema without a type (an anyOf branch) only adds conditions.
            props = schema.get('properties', {})
            for key in schema.get('required', []):
                if key not in value:
                    out.append('%s: required member "%s" is missing' % (where, key))
            for key, v in value.items():
                if key in props:
                    out += self.errors(v, props[key], '%s.%s' % (where, key))
                elif kind == 'object' and not schema.get('additionalProperties'):
                    out.append('%s: member "%s" is not documented' % (where, key))
        if kind == 'array':
            for i, item in enumerate(value):
                out += self.errors(item, schema.get('items', {}), '%s[%d]' % (where, i))
        return out


class OpenApiDocument(ServerTestCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        client = cls.server.client()
        cls.resp = client.get('/api/v1/openapi.json')
        client.close()
        cls.doc = cls.resp.json
        cls.lifecycle = Lifecycle()

    def test_served_as_json_openapi_3_0(self):
        self.assertEqual(self.resp.status, 200, self.resp)
        self.assertTrue(self.resp.header('content-type').startswith('application/json'), self.resp)
        self.assertRegex(self.doc['openapi'], r'^3\.0\.\d+$')
        self.assertTrue(self.doc['info']['title'])
        self.assertTrue(self.doc['info']['version'])
        # The binary serves the file as it is in the tree (a stale build would not).
        self.assertEqual(self.doc, json.loads(read(OPENAPI_JSON)),
                         'the served document differs from src/api/openapi.json: rebuild hotline')

    def test_every_route_in_the_route_table_is_documented_with_its_roles(self):
        user_roles = set(self.lifecycle.roles.values()) - {'system'}
        for method, pattern, access in app_routes():
            with self.subTest(route='%s %s' % (method, pattern)):
                self.assertIn(pattern, self.doc['paths'], 'route not documented')
                op = self.doc['paths'][pattern].get(method.lower())
                self.assertIsNotNone(op, 'method not documented')
                roles = self.lifecycle.role_set(access)
                if roles is None:
                    self.assertEqual(op['security'], [], 'a public route must have security []')
                    self.assertEqual(op.get('x-roles'), [])
                else:
                    self.assertNotEqual(op.get('security', self.doc.get('security')), [],
                                        'a protected route is documented as public')
                    self.assertEqual(set(op['x-roles']), roles & user_roles)
                    self.assertIn('401', op['responses'])

    def test_every_documented_operation_exists_on_the_server(self):
        samples = {'number': '20000101-000000', 'action': 'sign'}
        for path, method, op in operations(self.doc):
            with self.subTest(operation='%s %s' % (method.upper(), path)):
                url = re.sub(r'\{(\w+)\}', lambda m: samples[m.group(1)], path)
                body = {} if method in ('post', 'put', 'patch') else None
                resp = self.client.request(method.upper(), url, body=body)
                self.assertNotEqual(resp.status, 405, resp)
                if resp.status == 404:
                    self.assertNotIn('no resource', resp.json['detail'], resp)
                self.assertIn(str(resp.status), op['responses'],
                              'the server answered a status the document does not list')

    def test_the_document_has_no_operation_beyond_the_route_table(self):
        routes = {(m.lower(), p) for m, p, _ in app_routes()}
        documented = {(m, p) for p, m, _ in operations(self.doc)}
        self.assertEqual(documented - routes, set())

    def test_every_lifecycle_action_is_in_the_action_enum(self):
        all_codes = set(self.lifecycle.actions.values())
        self.assertIn('sign', all_codes)
        self.assertEqual(set(self.doc['components']['schemas']['ActionCode']['enum']), all_codes)
        op = self.doc['paths']['/api/v1/orders/{number}/actions/{action}']['post']
        param = next(p for p in op['parameters'] if p['name'] == 'action')
        # register happens through POST /api/v1/orders, never as an action.
        self.assertEqual(set(param['schema']['enum']), all_codes - {'register'})
        self.assertEqual(set(op['x-body-by-action']), all_codes - {'register'})
        for ref in op['x-body-by-action'].values():
            self.assertIn(ref.split('/')[-1], self.doc['components']['schemas'])

    def test_transition_table_in_the_actions_description_matches_lifecycle_c(self):
        op = self.doc['paths']['/api/v1/orders/{number}/actions/{action}']['post']
        rows = markdown_rows(op['description'], '| action | from states | to state | roles |')
        documented = []
        for action, frm, to, roles in rows:
            to_codes = codes(to)
            documented.append((codes(action)[0], set(codes(frm)),
                               to_codes[0] if to_codes else None, set(codes(roles))))
        self.assertEqual(documented, self.lifecycle.transitions)

    def test_status_and_role_enums_match_lifecycle_c(self):
        schemas = self.doc['components']['schemas']
        self.assertEqual(schemas['OrderStatus']['enum'], list(self.lifecycle.statuses.values()))
        self.assertEqual(set(schemas['Role']['enum']),
                         set(self.lifecycle.roles.values()) - {'system'})


class DocumentedShapes(ServerTestCase):
    """Real responses against the documented schemas, as an agent with an API token."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.login = 'oa_agent_%s' % uuid.uuid4().hex[:8]
        out = run_hotline('user', 'add', '--login', cls.login, '--role', 'agent',
                          input='openapi-secret\n')
        assert out.returncode == 0, out.stderr
        out = run_hotline('token', 'create', '--login', cls.login)
        assert out.returncode == 0, out.stderr
        cls.auth = {'Authorization': 'Bearer ' + out.stdout.strip()}
        client = cls.server.client()
        cls.doc = client.get('/api/v1/openapi.json').json
        client.close()
        cls.schema = Schema(cls.doc)

    def assertDocumented(self, resp, path, method, status=None):
        op = self.doc['paths'][path][method]
        status = str(status or resp.status)
        self.assertIn(status, op['responses'], resp)
        response = self.schema.resolve(op['responses'][status])
        ctype = resp.header('content-type').split(';')[0]
        self.assertIn(ctype, response['content'], resp)
        errors = self.schema.errors(resp.json, response['content'][ctype]['schema'])
        self.assertEqual(errors, [], resp)

    def new_order(self, **extra):
        body = {'request_type': 'complaint', 'content': '小区门口路灯不亮已一周',
                'caller_name': '张三', 'caller_phone': '+86 138 1234 5678',
                'address': '建国路88号', 'latitude': 39.9, 'longitude': 116.4}
        body.update(extra)
        return self.client.post('/api/v1/orders', body, headers=self.auth)

    def test_registered_order_and_its_events_match_the_schemas(self):
        key = uuid.uuid4().hex
        created = self.client.post('/api/v1/orders', {'request_type': 'help', 'content': '路灯不亮'},
                                   headers=dict(self.auth, **{'Idempotency-Key': key}))
        self.assertEqual(created.status, 201, created)
        self.assertDocumented(created, '/api/v1/orders', 'post')
        number = created.json['number']
        self.assertEqual(created.header('location'), '/api/v1/orders/' + number)
        again = self.client.post('/api/v1/orders', {'request_type': 'help', 'content': 'x'},
                                 headers=dict(self.auth, **{'Idempotency-Key': key}))
        self.assertEqual((again.status, again.json['number']), (200, number))
        self.assertDocumented(again, '/api/v1/orders', 'post')

        full = self.new_order()
        self.assertEqual(full.status, 201, full)
        self.assertRegex(full.json['created_at'], r'^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[+-]\d\d:\d\d$')
        got = self.client.get('/api/v1/orders/' + full.json['number'], headers=self.auth)
        self.assertDocumented(got, '/api/v1/orders/{number}', 'get')
        events = self.client.get('/api/v1/orders/%s/events' % number, headers=self.auth)
        self.assertDocumented(events, '/api/v1/orders/{number}/events', 'get')
        self.assertEqual(events.json[0]['action'], 'register')
        page = self.client.get('/api/v1/orders?limit=1', headers=self.auth)
        self.assertDocumented(page, '/api/v1/orders', 'get')
        self.assertIsNotNone(page.json['next_cursor'])

    def test_action_results_and_refusals_match_the_schemas(self):
        number = self.new_order().json['number']
        path = '/api/v1/orders/{number}/actions/{action}'
        done = self.client.post('/api/v1/orders/%s/actions/answer' % number,
                                {'answer': '已当场答复', 'version': 1}, headers=self.auth)
        self.assertEqual(done.status, 200, done)
        self.assertDocumented(done, path, 'post')
        again = self.client.post('/api/v1/orders/%s/actions/answer' % number,
                                 {'answer': '再答一次'}, headers=self.auth)
        self.assertProblem(again, 409)
        self.assertEqual(again.json['current_status'], 'completed')
        self.assertDocumented(again, path, 'post')
        missing = self.client.post('/api/v1/orders/%s/actions/dispatch' % self.new_order().json['number'],
                                   {}, headers=self.auth)
        self.assertProblem(missing, 422, field='department')
        self.assertDocumented(missing, path, 'post')

    def test_every_documented_action_is_routed_and_register_is_not(self):
        op = self.doc['paths']['/api/v1/orders/{number}/actions/{action}']['post']
        actions = next(p for p in op['parameters'] if p['name'] == 'action')['schema']['enum']
        for action in actions:
            with self.subTest(action=action):
                resp = self.client.post('/api/v1/orders/20000101-000000/actions/' + action, {},
                                        headers=self.auth)
                self.assertProblem(resp, 404)
                self.assertEqual(resp.json['type'], 'not-found', resp)
        resp = self.client.post('/api/v1/orders/20000101-000000/actions/register', {},
                                headers=self.auth)
        self.assertProblem(resp, 404)
        self.assertEqual(resp.json['type'], 'unknown-action')

    def test_reference_session_and_health_match_the_schemas(self):
        for path in ('/api/v1/session', '/api/v1/reference', '/api/v1/departments',
                     '/api/v1/categories', '/api/v1/deadline-policies', '/healthz'):
            with self.subTest(path=path):
                resp = self.client.get(path, headers=self.auth)
                self.assertEqual(resp.status, 200, resp)
                self.assertDocumented(resp, path, 'get')
        who = self.client.get('/api/v1/session', headers=self.auth).json
        self.assertEqual((who['login'], who['role']), (self.login, 'agent'))
        self.assertNotIn('csrf_token', who)

    def test_cookie_login_answers_the_documented_principal_with_a_csrf_token(self):
        resp = self.client.post('/api/v1/session', {'login': self.login, 'password': 'openapi-secret'})
        self.assertEqual(resp.status, 201, resp)
        self.assertDocumented(resp, '/api/v1/session', 'post')
        self.assertRegex(resp.json['csrf_token'], r'^[0-9a-f]{64}$')
        self.assertIn('hotline_session', self.client.cookies)
        no_csrf = self.client.post('/api/v1/orders', {'request_type': 'help', 'content': 'x'})
        self.assertProblem(no_csrf, 403)
        self.assertEqual(no_csrf.json['type'], 'csrf')
        self.assertDocumented(no_csrf, '/api/v1/orders', 'post')
        bad = self.client.post('/api/v1/session', {'login': self.login, 'password': 'wrong-one'})
        self.assertProblem(bad, 401)
        self.assertDocumented(bad, '/api/v1/session', 'post')
