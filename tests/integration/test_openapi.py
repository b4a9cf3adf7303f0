"""The API reference (GET /api/v1/openapi.json) checked against the code and the server.

The document is written by hand; these tests catch it drifting from the route
tables (app_routes in src/app/routes.c and every X_routes table of
src/api/*.c), the lifecycle table (src/orders/lifecycle.c) and the JSON the
server really sends. The HTML pages (src/web) are not part of it.
"""
import datetime
import glob
import hashlib
import hmac
import json
import os
import re
import time
import uuid
from urllib.parse import quote

from harness import ROOT, ServerTestCase, psql, run_hotline, wait_for
from orders_fixture import CST, Depts, add_user, create_token, ensure_demo_data

ROUTES_C = os.path.join(ROOT, 'src', 'app', 'routes.c')
SERVE_C = os.path.join(ROOT, 'src', 'app', 'serve.c')
API_DIR = os.path.join(ROOT, 'src', 'api')
LIFECYCLE_C = os.path.join(ROOT, 'src', 'orders', 'lifecycle.c')
LIFECYCLE_H = os.path.join(ROOT, 'src', 'orders', 'lifecycle.h')
VOCAB_C = os.path.join(ROOT, 'src', 'orders', 'vocab.c')
API_H = os.path.join(ROOT, 'src', 'api', 'api.h')
ROLE_C = os.path.join(ROOT, 'src', 'auth', 'role.c')
ROLE_H = os.path.join(ROOT, 'src', 'auth', 'role.h')
AUTHORIZE_H = os.path.join(ROOT, 'src', 'auth', 'authorize.h')
OPENAPI_JSON = os.path.join(ROOT, 'src', 'api', 'openapi.json')
POLICE_MD = 'docs/police.md'

HTTP_METHODS = ('get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace')
# Values for the path parameters when calling every documented operation.
PATH_SAMPLES = {'number': '20000101-000000', 'action': 'sign', 'id': '999999999',
                'phone': '13800138000'}
ISO_TIME = re.compile(r'^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?[+-]\d\d:\d\d$')


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
    """The tables of src/orders/lifecycle.c and the roles of src/auth/role.c, read from the source."""

    def __init__(self):
        text = read(LIFECYCLE_C)
        self.defines = c_defines(ROLE_H, LIFECYCLE_H, LIFECYCLE_C, AUTHORIZE_H, API_H, ROUTES_C)
        self.statuses = code_table(text, 'statuses[ST_COUNT] = {', 'ST_')
        self.actions = code_table(text, 'actions[ACT_COUNT] = {', 'ACT_')
        self.roles = code_table(read(ROLE_C), 'roles[ROLE_COUNT] = {', 'ROLE_')
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

    def role_set(self, expr, defines=None):
        """The role codes of an access or roles expression; None for a public route (0).
        Names are looked up in `defines` (a route table's own file), else in lifecycle.c's."""
        defines = self.defines if defines is None else defines
        expr = strip_parens(expr)
        if expr == '0':
            return None
        parts = split_top(expr, '|')
        if len(parts) > 1:
            return set().union(*(self.role_set(p, defines) for p in parts))
        m = re.fullmatch(r'(?:ROLE_BIT\(|R\()(?:ROLE_)?(\w+)\)', expr)
        if m:
            return {self.roles['ROLE_' + m.group(1)]}
        if expr == '(1u << ROLE_COUNT) - 1':
            return set(self.roles.values())
        if expr in defines:
            return self.role_set(defines[expr], defines)
        raise AssertionError('cannot read the role set %r: teach test_openapi.py' % expr)


ROUTE_ROW = re.compile(r'\{\s*"([A-Z]+)"\s*,\s*"([^"]+)"\s*,\s*\w+\s*,\s*([^}]+?)\s*\}')


def table_routes(path, name):
    """(method, pattern, access expression) of the table `name` in the C file `path`."""
    block = re.sub(r'/\*.*?\*/', '', c_block(read(path), 'const struct http_route %s[] = {' % name),
                   flags=re.S)
    routes = ROUTE_ROW.findall(block)
    rows = len(re.findall(r'\{\s*"', block))
    assert routes and len(routes) == rows, \
        'read %d of the %d rows of %s in %s: teach test_openapi.py' % (len(routes), rows, name, path)
    return routes


def api_route_tables():
    """{table name: C file} of every `const struct http_route X_routes[]` in src/api/*.c."""
    tables = {}
    for path in sorted(glob.glob(os.path.join(API_DIR, '*.c'))):
        for name in re.findall(r'^const struct http_route (\w+_routes)\[\] = \{', read(path), re.M):
            tables[name] = path
    assert tables, 'no route table found in src/api/*.c'
    return tables


def all_routes():
    """Every API route: (method, pattern, access, file, defines) from app_routes in
    src/app/routes.c and the route tables of src/api/*.c. Access macros are read
    from the lifecycle and API headers and the table's own file."""
    tables = dict(api_route_tables(), app_routes=ROUTES_C)
    out = []
    for name, path in sorted(tables.items()):
        defines = c_defines(ROLE_H, LIFECYCLE_H, AUTHORIZE_H, API_H, path)
        for method, pattern, access in table_routes(path, name):
            out.append((method, pattern, access, os.path.relpath(path, ROOT), defines))
    return out


def system_event_actions():
    """The events the system writes outside the lifecycle table (alert, sign_overdue, …):
    the codes of vocab_system_event in src/orders/vocab.c."""
    text = read(VOCAB_C)
    start = text.index('VOCAB(vocab_system_event,')
    block = text[start:text.index(');', start)]
    found = re.findall(r'\{ "(\w+)", "', block)
    assert found, 'no system event found in vocab_system_event of src/orders/vocab.c'
    return set(found)


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


def walk(node, where='$'):
    """Every (where, dict) inside a JSON document."""
    if isinstance(node, dict):
        yield where, node
        for k, v in node.items():
            yield from walk(v, '%s/%s' % (where, k))
    elif isinstance(node, list):
        for i, v in enumerate(node):
            yield from walk(v, '%s[%d]' % (where, i))


class Schema:
    """A small validator for the subset of OpenAPI 3.0 schemas the document uses.

    Stricter than OpenAPI in two ways: an object member that the schema does not
    list is an error unless additionalProperties allows it, so that fields added
    to the JSON without documenting them are caught; and a date-time must be
    ISO 8601 with an offset, as the house style says (2026-11-21T09:30:00+08:00)."""

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
        if kind == 'string' and schema.get('format') == 'date-time' and not ISO_TIME.match(value):
            out.append('%s: %r is not an ISO 8601 time with offset' % (where, value))
        if isinstance(value, dict) and kind in ('object', None):
            # A schema without a type (an anyOf branch) only adds conditions.
            props = schema.get('properties', {})
            # A nullable object written as allOf [$ref] (with the type
            # OpenAPI 3.0 asks beside nullable): its members are those of
            # the branches, which the allOf loop above has checked.
            composed = set()
            for sub in schema.get('allOf', []):
                composed |= set(self.resolve(sub).get('properties', {}))
            for key in schema.get('required', []):
                if key not in value:
                    out.append('%s: required member "%s" is missing' % (where, key))
            for key, v in value.items():
                if key in props:
                    out += self.errors(v, props[key], '%s.%s' % (where, key))
                elif key in composed:
                    pass
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
        cls.routes = all_routes()

    def test_served_as_json_openapi_3_0(self):
        self.assertEqual(self.resp.status, 200, self.resp)
        self.assertTrue(self.resp.header('content-type').startswith('application/json'), self.resp)
        self.assertRegex(self.doc['openapi'], r'^3\.0\.\d+$')
        self.assertTrue(self.doc['info']['title'])
        self.assertTrue(self.doc['info']['version'])
        # The binary serves the file as it is in the tree (a stale build would not).
        self.assertEqual(self.doc, json.loads(read(OPENAPI_JSON)),
                         'the served document differs from src/api/openapi.json: rebuild hotline')

    def test_every_api_route_table_is_served(self):
        tables = c_block(read(SERVE_C), 'tables[] = {')
        for name, path in api_route_tables().items():
            with self.subTest(table=name):
                self.assertRegex(tables, r'\{\s*%s\s*,' % name,
                                 '%s (%s) is not in routes_for() of src/app/serve.c'
                                 % (name, os.path.relpath(path, ROOT)))

    def test_every_route_in_the_route_tables_is_documented_with_its_roles(self):
        user_roles = set(self.lifecycle.roles.values()) - {'system'}
        for method, pattern, access, source, defines in self.routes:
            with self.subTest(route='%s %s' % (method, pattern), source=source):
                self.assertTrue(pattern in self.doc['paths'], 'route not documented')
                op = self.doc['paths'][pattern].get(method.lower())
                self.assertIsNotNone(op, 'method not documented')
                roles = self.lifecycle.role_set(access, defines)
                if roles is None:
                    self.assertEqual(op['security'], [], 'a public route must have security []')
                    self.assertEqual(op.get('x-roles'), [])
                else:
                    self.assertNotEqual(op.get('security', self.doc.get('security')), [],
                                        'a protected route is documented as public')
                    self.assertEqual(set(op['x-roles']), roles & user_roles)
                    self.assertIn('401', op['responses'])
                    if method != 'GET':
                        self.assertIn({'sessionCookie': [], 'csrfHeader': []}, op['security'],
                                      'a cookie needs the CSRF header on ' + method)

    def test_every_documented_operation_exists_on_the_server(self):
        for path, method, op in operations(self.doc):
            with self.subTest(operation='%s %s' % (method.upper(), path)):
                url = re.sub(r'\{(\w+)\}', lambda m: PATH_SAMPLES[m.group(1)], path)
                body = {} if method in ('post', 'put', 'patch') else None
                resp = self.client.request(method.upper(), url, body=body)
                self.assertNotEqual(resp.status, 405, resp)
                if resp.status == 404:
                    self.assertNotIn('no resource', resp.json['detail'], resp)
                self.assertIn(str(resp.status), op['responses'],
                              'the server answered a status the document does not list')

    def test_the_document_has_no_operation_beyond_the_route_tables(self):
        routes = {(m.lower(), p) for m, p, _, _, _ in self.routes}
        documented = {(m, p) for p, m, _ in operations(self.doc)}
        self.assertEqual(documented - routes, set())

    def test_every_operation_follows_the_house_style(self):
        ids = [op['operationId'] for _, _, op in operations(self.doc)]
        self.assertEqual(len(ids), len(set(ids)), 'operationIds must be unique')
        tags = {t['name'] for t in self.doc['tags']}
        everyone = set(self.lifecycle.roles.values()) - {'system'}
        for path, method, op in operations(self.doc):
            with self.subTest(operation='%s %s' % (method.upper(), path)):
                self.assertTrue(op['summary'])
                self.assertLessEqual(set(op['tags']), tags)
                self.assertIn('security', op)
                self.assertIn('x-roles', op)
                d = op['description']
                if not op['x-roles']:
                    self.assertRegex(d, r'Public|Roles: anyone')
                elif set(op['x-roles']) == everyone:
                    self.assertIn('Roles: any logged-in user', d)
                else:
                    line = d[d.rindex('Roles: '):]
                    self.assertEqual(set(codes(line)), set(op['x-roles']),
                                     'the Roles line of the description differs from x-roles')
                for status, response in op['responses'].items():
                    if '$ref' in response:
                        continue
                    self.assertIn('X-Request-Id', response.get('headers', {}), status)
                    for ctype, content in response.get('content', {}).items():
                        if ctype == 'application/problem+json':
                            self.assertEqual(content['schema'], {'$ref': '#/components/schemas/Problem'})
                    if status.startswith(('4', '5')) and path != '/healthz':
                        # Errors are problems; /healthz answers 503 with its Health report.
                        self.assertIn('application/problem+json', response['content'], status)

    def test_every_time_in_a_response_schema_is_iso_8601_with_offset(self):
        for where, node in walk(self.doc['components']['schemas'], '#/components/schemas'):
            if node.get('format') == 'date-time':
                with self.subTest(where=where):
                    self.assertIn('ISO 8601', node.get('description', ''))

    def test_the_110_routes_document_the_signature_headers_and_the_wire_format(self):
        self.assertIn('X-Hotline-Signature', self.doc['info']['description'])
        self.assertTrue(os.path.exists(os.path.join(ROOT, POLICE_MD)))
        signed = [(p, m, op) for p, m, op in operations(self.doc) if p.startswith('/api/v1/police/')]
        self.assertEqual(len(signed), 2)
        for path, method, op in signed:
            with self.subTest(operation='%s %s' % (method.upper(), path)):
                self.assertEqual((op['security'], op['x-roles']), ([], []))
                headers = {p['name']: p for p in op['parameters'] if p['in'] == 'header'}
                for name in ('X-Hotline-Timestamp', 'X-Hotline-Signature'):
                    self.assertTrue(headers[name]['required'], name)
                self.assertIn('(%s)' % POLICE_MD, op['description'])
                self.assertIn('HMAC-SHA256', op['description'])
                self.assertIn('401', op['responses'])

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

    def test_event_actions_are_the_lifecycle_actions_and_the_system_events(self):
        documented = set(self.doc['components']['schemas']['Event']['properties']['action']['enum'])
        system = system_event_actions()
        self.assertLessEqual({'alert', 'sign_overdue', 'police_feedback'}, system)
        self.assertEqual(documented, set(self.lifecycle.actions.values()) | system)

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


class DocumentedMixin:
    """Checks real responses (and the bodies the tests send) against the document."""

    def load_document(self_or_cls):
        client = self_or_cls.server.client()
        self_or_cls.doc = client.get('/api/v1/openapi.json').json
        client.close()
        self_or_cls.schema = Schema(self_or_cls.doc)

    def assertDocumented(self, resp, path, method, status=None):
        op = self.doc['paths'][path][method]
        status = str(status or resp.status)
        self.assertIn(status, op['responses'], resp)
        response = self.schema.resolve(op['responses'][status])
        if resp.status == 204:
            self.assertEqual(resp.raw, b'', resp)
            self.assertNotIn('content', response)
            return
        ctype = resp.header('content-type').split(';')[0]
        self.assertIn(ctype, response['content'], resp)
        if ctype.endswith('json'):
            errors = self.schema.errors(resp.json, response['content'][ctype]['schema'])
            self.assertEqual(errors, [], resp)

    def assertBodyDocumented(self, body, schema_name):
        """A request body the test sends uses only documented members, rightly typed."""
        errors = self.schema.errors(body, {'$ref': '#/components/schemas/' + schema_name})
        self.assertEqual(errors, [], body)


class DocumentedShapes(DocumentedMixin, ServerTestCase):
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
        DocumentedMixin.load_document(cls)

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


SECRET = 'openapi-110-' + uuid.uuid4().hex


class DispatchPoliceCallsSupervisionShapes(DocumentedMixin, ServerTestCase):
    """The routes of dispatch, the 110 bridge, call intake and supervision: real
    responses against the documented schemas. The server shares a secret with
    "110" and sweeps deadlines every second."""

    server_env = {'HOTLINE_POLICE_SECRET': SECRET, 'HOTLINE_SWEEP_SECONDS': '1'}

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        try:
            ensure_demo_data()
            cls.depts = Depts()
            users = {'agent': ('agent', None), 'supervisor': ('supervisor', None),
                     'admin': ('admin', None), 'handler': ('dept_handler', cls.depts.a)}
            cls.logins, cls.auth = {}, {}
            for key, (role, dept) in users.items():
                cls.logins[key] = add_user(role, dept, 'oa-' + key)
                cls.auth[key] = {'Authorization': 'Bearer ' + create_token(cls.logins[key])}
            DocumentedMixin.load_document(cls)
        except BaseException:
            cls.server.stop()
            raise

    def setUp(self):
        super().setUp()
        self._clock = 0

    # --- helpers

    def call(self, who, method, path, body=None, headers=None, raw=None):
        return self.client.request(method, path, body=body, raw=raw,
                                   headers=dict(self.auth[who], **(headers or {})))

    def ok(self, resp, path, method, status=200):
        self.assertEqual(resp.status, status, resp)
        self.assertDocumented(resp, path, method)
        return resp.json

    def new_order(self, **fields):
        body = {'request_type': 'complaint', 'category': '010101', 'caller_name': '王五',
                'caller_phone': '139%08d' % (uuid.uuid4().int % 10 ** 8),
                'address': '东城区东华门大街%d号' % (uuid.uuid4().int % 1000),
                'content': '门前道路塌陷一个大坑，已有两辆电动车摔倒。'}
        body.update(fields)
        r = self.call('agent', 'POST', '/api/v1/orders', body)
        self.assertEqual(r.status, 201, r)
        return r.json['number']

    def act(self, who, number, action, body, status=200):
        r = self.call(who, 'POST', '/api/v1/orders/%s/actions/%s' % (number, action), body)
        return self.ok(r, '/api/v1/orders/{number}/actions/{action}', 'post', status)

    def signed(self, path, body, headers=None):
        """A request from 110, signed afresh (a new timestamp every time: never a replay)."""
        raw = json.dumps(body, ensure_ascii=False).encode('utf-8')
        self._clock += 1
        ts = str(int(time.time()) - 100 + self._clock)
        sig = 'sha256=' + hmac.new(SECRET.encode(), ts.encode() + b'.' + raw, hashlib.sha256).hexdigest()
        h = {'Content-Type': 'application/json', 'X-Hotline-Timestamp': ts, 'X-Hotline-Signature': sig}
        return self.client.request('POST', path, raw=raw, headers=dict(h, **(headers or {})))

    def events(self, number):
        return self.ok(self.call('agent', 'GET', '/api/v1/orders/%s/events' % number),
                       '/api/v1/orders/{number}/events', 'get')

    # --- dispatch

    def test_rules_suggestions_duplicates_and_callers_match_the_schemas(self):
        word = 'OA%s' % uuid.uuid4().hex[:8].upper()
        rule = {'name': '井盖丢失 ' + word, 'pattern': word + '(丢|没了)', 'priority': 1000000,
                'suggest_category': '010101', 'suggest_department': self.depts.a,
                'suggest_urgency': '紧急'}
        self.assertBodyDocumented(rule, 'RoutingRuleInput')
        r = self.call('admin', 'POST', '/api/v1/routing-rules', rule)
        created = self.ok(r, '/api/v1/routing-rules', 'post', 201)
        rid = created['id']
        self.assertEqual(r.header('location'), '/api/v1/routing-rules/%d' % rid)
        try:
            got = self.ok(self.call('agent', 'GET', '/api/v1/routing-rules/%d' % rid),
                          '/api/v1/routing-rules/{id}', 'get')
            self.assertBodyDocumented(got, 'RoutingRuleInput')
            got['caseless'] = True
            self.ok(self.call('admin', 'PUT', '/api/v1/routing-rules/%d' % rid, got),
                    '/api/v1/routing-rules/{id}', 'put')
            listed = self.ok(self.call('agent', 'GET', '/api/v1/routing-rules'),
                             '/api/v1/routing-rules', 'get')
            self.assertIn(rid, [x['id'] for x in listed['items']])
            bad = self.call('admin', 'POST', '/api/v1/routing-rules', dict(rule, pattern='井盖(丢'))
            self.assertProblem(bad, 422, field='pattern')
            self.assertEqual(bad.json['offset'], '4')
            self.assertDocumented(bad, '/api/v1/routing-rules', 'post')

            phone = '137%08d' % (uuid.uuid4().int % 10 ** 8)
            first = self.new_order(content='路口%s了，很危险' % (word + '丢'), caller_phone=phone)
            second = self.new_order(content='路口%s了' % (word + '没了'), caller_phone=phone,
                                    caller_name='赵六')
            ask = {'content': '路口%s了！' % (word + '丢'), 'caller_phone': phone}
            self.assertBodyDocumented(ask, 'SuggestRequest')
            # A change through the API is used by this process's next suggestion.
            out = self.ok(self.call('agent', 'POST', '/api/v1/orders/suggest', ask),
                          '/api/v1/orders/suggest', 'post')
            self.assertEqual(out['suggestions'][0]['rule']['id'], rid, out)
            self.assertLessEqual({first, second}, {d['number'] for d in out['duplicates']})
            refused = self.call('agent', 'POST', '/api/v1/orders/suggest', {'address': 'x'})
            self.assertProblem(refused, 422, field='content')
            self.assertDocumented(refused, '/api/v1/orders/suggest', 'post')

            dups = self.ok(self.call('agent', 'GET', '/api/v1/orders/%s/duplicates' % first),
                           '/api/v1/orders/{number}/duplicates', 'get')
            self.assertIn(second, [d['number'] for d in dups['items']])
            self.act('agent', second, 'merge', {'into': first})
            hidden = self.call('handler', 'GET', '/api/v1/orders/%s/callers' % first)
            self.assertProblem(hidden, 404)
            self.assertDocumented(hidden, '/api/v1/orders/{number}/callers', 'get')
            callers = self.ok(self.call('agent', 'GET', '/api/v1/orders/%s/callers' % first),
                              '/api/v1/orders/{number}/callers', 'get')
            self.assertEqual([x['merged_order'] for x in callers['extra']], [second])

            dispatch = {'department': self.depts.a, 'suggestion_rule': rid,
                        'suggested_department': self.depts.a, 'note': '按建议派单'}
            self.assertBodyDocumented(dispatch, 'DispatchBody')
            self.act('agent', first, 'dispatch', dispatch)
            rec = self.ok(self.call('agent', 'GET', '/api/v1/orders/%s/suggestions' % first),
                          '/api/v1/orders/{number}/suggestions', 'get')
            self.assertEqual([(x['rule_id'], x['source'], x['accepted']) for x in rec['items']],
                             [(rid, 'agent', True)])
        finally:
            gone = self.call('admin', 'DELETE', '/api/v1/routing-rules/%d' % rid)
            self.ok(gone, '/api/v1/routing-rules/{id}', 'delete', 204)
        missing = self.call('agent', 'GET', '/api/v1/routing-rules/%d' % rid)
        self.assertProblem(missing, 404)
        self.assertDocumented(missing, '/api/v1/routing-rules/{id}', 'get')

    # --- the 110 bridge

    def test_110_requests_and_the_bridge_view_match_the_schemas(self):
        incident = 'J' + uuid.uuid4().hex[:12].upper()
        transfer = {'incident_no': incident, 'time': '2026-11-21T09:12:00+08:00',
                    'caller_name': '李四', 'caller_phone': '13900001111',
                    'address': '东城区景山街道景山前街4号', 'category_code': '020102',
                    'description': '楼上住户装修噪音扰民，非警情', 'urgency': 'normal'}
        self.assertBodyDocumented(transfer, 'PoliceTransfer')
        made = self.signed('/api/v1/police/transfers', transfer)
        number = self.ok(made, '/api/v1/police/transfers', 'post', 201)['order_number']
        self.assertEqual(made.header('location'), '/api/v1/orders/' + number)
        again = self.signed('/api/v1/police/transfers', transfer)
        self.assertEqual(self.ok(again, '/api/v1/police/transfers', 'post')['order_number'], number)
        for resp, status in ((self.client.post('/api/v1/police/transfers', transfer), 401),
                             (self.signed('/api/v1/police/transfers', {'incident_no': incident}), 400),
                             (self.signed('/api/v1/police/transfers', dict(transfer, urgency='很急')), 422)):
            with self.subTest(status=status):
                self.assertProblem(resp, status)
                self.assertDocumented(resp, '/api/v1/police/transfers', 'post')
        view = self.ok(self.call('agent', 'GET', '/api/v1/orders/%s/police' % number),
                       '/api/v1/orders/{number}/police', 'get')
        self.assertEqual((view['direction'], view['incident_no']), ('from_110', incident))
        self.act('agent', number, 'dispatch', {'department': self.depts.a})
        view = self.ok(self.call('agent', 'GET', '/api/v1/orders/%s/police' % number),
                       '/api/v1/orders/{number}/police', 'get')
        self.assertEqual([m['kind'] for m in view['messages']], ['feedback'])

        ours = self.new_order(content='小区门口有人打架，有人拿刀')
        self.act('agent', ours, 'transfer_out', {'target': '110', 'note': '涉及治安，一键转110'})
        report = {'order_number': ours, 'state': 'arrived', 'time': '2026-11-21T09:40:00+08:00',
                  'result': '民警已到场处置', 'handler': '东城分局'}
        self.assertBodyDocumented(report, 'PoliceFeedback')
        key = {'Idempotency-Key': uuid.uuid4().hex}
        self.ok(self.signed('/api/v1/police/feedback', report, key), '/api/v1/police/feedback', 'post', 201)
        repeat = self.ok(self.signed('/api/v1/police/feedback', report, key),
                         '/api/v1/police/feedback', 'post')
        self.assertIs(repeat['recorded'], False)
        unknown = self.signed('/api/v1/police/feedback', dict(report, order_number='20000101-000000'))
        self.assertProblem(unknown, 404, field='order_number')
        self.assertDocumented(unknown, '/api/v1/police/feedback', 'post')
        view = self.ok(self.call('agent', 'GET', '/api/v1/orders/%s/police' % ours),
                       '/api/v1/orders/{number}/police', 'get')
        self.assertEqual((view['direction'], view['delivery'], len(view['feedback'])),
                         ('to_110', 'pending', 1))
        fed = [e for e in self.events(ours) if e['action'] == 'police_feedback']
        self.assertEqual([(e['actor']['role'], e['payload']['state']) for e in fed], [('system', 'arrived')])

    # --- the sweeper's events

    def test_deadline_events_of_the_sweeper_match_the_schemas(self):
        number = self.new_order()
        self.act('agent', number, 'dispatch', {'department': self.depts.a})
        psql("UPDATE work_order SET sign_deadline = now() - interval '1 minute' WHERE number = '%s'" % number)
        self.assertTrue(wait_for(lambda: [e for e in self.events(number) if e['action'] == 'sign_overdue'],
                                 timeout=20), 'no sign_overdue event')
        psql("UPDATE work_order SET handle_deadline = now() - interval '1 minute',"
             " warn_at = now() - interval '2 minutes' WHERE number = '%s'" % number)
        self.assertTrue(wait_for(lambda: [e for e in self.events(number) if e['action'] == 'alert'],
                                 timeout=20), 'no alert event')
        order = self.ok(self.call('agent', 'GET', '/api/v1/orders/' + number), '/api/v1/orders/{number}', 'get')
        self.assertEqual((order['deadlines']['alert'], order['deadlines']['sign_overdue']), ('red', True))
        overdue = self.ok(self.call('agent', 'GET', '/api/v1/supervision/overdue?department=' + self.depts.a),
                          '/api/v1/supervision/overdue', 'get')
        self.assertIn(number, [o['number'] for d in overdue['departments'] for o in d['orders']])

    # --- call intake

    def test_call_events_history_and_statistics_match_the_schemas(self):
        call_id = 'oa-%s' % uuid.uuid4().hex[:12]
        phone = '136%08d' % (uuid.uuid4().int % 10 ** 8)
        for event in ({'type': 'offered', 'call_id': call_id, 'caller': phone, 'dialled': '12345',
                       'queue': 'hotline'},
                      {'type': 'answered', 'call_id': call_id, 'agent': self.logins['agent']}):
            self.assertBodyDocumented(event, 'CallEvent')
            self.ok(self.call('agent', 'POST', '/api/v1/calls/events', event), '/api/v1/calls/events', 'post', 201)
        repeat = self.ok(self.call('agent', 'POST', '/api/v1/calls/events', event), '/api/v1/calls/events', 'post')
        self.assertIs(repeat['created'], False)
        number = self.new_order(caller_phone=phone, call_id=call_id)
        current = self.ok(self.call('agent', 'GET', '/api/v1/calls/current'), '/api/v1/calls/current', 'get')
        self.assertEqual(current['call']['call_id'], call_id)
        self.assertEqual([o['number'] for o in current['history']['calls'][0]['orders']], [number])
        history = self.ok(self.call('agent', 'GET', '/api/v1/callers/%s/history' % quote('+86 ' + phone)),
                          '/api/v1/callers/{phone}/history', 'get')
        self.assertEqual(history['phone'], phone)
        self.ok(self.call('agent', 'POST', '/api/v1/calls/events', {'type': 'ended', 'call_id': call_id}),
                '/api/v1/calls/events', 'post', 201)

        today = datetime.datetime.now(CST).date()
        for query in ('from=%s&to=%s&granularity=hour' % (today, today + datetime.timedelta(days=1)),
                      'from=%s&to=%s' % (today - datetime.timedelta(days=2), today + datetime.timedelta(days=1))):
            with self.subTest(query=query):
                stats = self.ok(self.call('agent', 'GET', '/api/v1/stats/calls?' + query),
                                '/api/v1/stats/calls', 'get')
                self.assertGreaterEqual(stats['total']['answered'], 1)
        refused = self.call('agent', 'GET', '/api/v1/stats/calls?from=%s&to=%s' % (today, today))
        self.assertProblem(refused, 422, field='to')
        self.assertDocumented(refused, '/api/v1/stats/calls', 'get')

    # --- callbacks, statistics, supervision

    def test_callback_queue_reports_and_settings_match_the_schemas(self):
        number = self.new_order()
        self.act('agent', number, 'dispatch', {'department': self.depts.a})
        self.act('handler', number, 'sign', {})
        self.act('handler', number, 'reply', {'result': '已修复路面。', 'solved': True, 'contacted': True})
        queue = self.ok(self.call('agent', 'GET', '/api/v1/callbacks?status=all&limit=200'),
                        '/api/v1/callbacks', 'get')
        self.assertIsInstance(queue['counts']['open'], int)
        nxt = self.call('agent', 'POST', '/api/v1/callbacks/next')
        self.assertIn(nxt.status, (200, 204), nxt)
        self.assertDocumented(nxt, '/api/v1/callbacks/next', 'post')
        if nxt.status == 200:
            done = self.call('agent', 'POST', '/api/v1/callbacks/%d/result' % nxt.json['id'],
                             {'unreachable': True})
            self.ok(done, '/api/v1/callbacks/{id}/result', 'post')
        callback = {'unreachable': True, 'note': '三次未接通'}
        self.assertBodyDocumented(callback, 'CallbackBody')
        closed = self.act('agent', number, 'callback', callback)
        self.assertEqual((closed['status'], closed['outcome']['callback_result']), ('completed', 'unreachable'))

        today = datetime.datetime.now(CST).date()
        period = 'from=%s&to=%s' % (today, today + datetime.timedelta(days=1))
        report = self.ok(self.call('supervisor', 'GET', '/api/v1/stats/orders?by=department&' + period),
                         '/api/v1/stats/orders', 'get')
        self.assertGreaterEqual(report['total']['accepted'], 1)
        self.assertIn(self.depts.a, [row['key'] for row in report['rows']])
        csv = self.call('supervisor', 'GET', '/api/v1/stats/orders?format=csv&' + period)
        self.ok(csv, '/api/v1/stats/orders', 'get')
        for who, path in (('supervisor', '/api/v1/stats/ranking?' + period),
                          ('agent', '/api/v1/stats/hot-topics?' + period),
                          ('supervisor', '/api/v1/supervision/pending-decisions'),
                          ('supervisor', '/api/v1/settings/callbacks'),
                          ('supervisor', '/api/v1/settings/ranking')):
            with self.subTest(path=path):
                self.ok(self.call(who, 'GET', path), path.split('?')[0], 'get')
        bad = self.call('supervisor', 'GET', '/api/v1/stats/orders?by=colour&' + period)
        self.assertProblem(bad, 400)
        self.assertDocumented(bad, '/api/v1/stats/orders', 'get')
