"""The web pages over HTTP: login, access, security headers, CSRF, forms
that re-render with the domain's errors, escaping, and the order's path
from the console to the department and back; the agent's console with the
current call, suggestions and duplicates; the callback queue; the
supervisor's dashboard and wallboard; and the administration, whose forms
must change what the API then shows."""
import glob
import html
import json
import os
import re
from urllib.parse import urlencode
import shutil
import tempfile
import unittest
import uuid

from harness import ROOT, Server, ServerTestCase, psql, run_hotline

PASSWORD = 'web-test-password'
SUFFIX = uuid.uuid4().hex[:8]


_users = {}


def setup_city():
    """Demo departments and categories, and one user per role (unique logins), once."""
    if _users:
        return _users
    for what, name in (('department', 'departments.csv'), ('category', 'categories.csv')):
        out = run_hotline(what, 'import', os.path.join(ROOT, 'scripts', 'demo', name))
        assert out.returncode == 0, out.stderr
    for role, dept in (('agent', None), ('dept_handler', 'SCGJ'), ('supervisor', None),
                       ('dept_handler', 'SSWJ'), ('admin', None)):
        login = 'w%s_%s_%s' % (role[:4], (dept or 'c').lower(), SUFFIX)
        args = ['user', 'add', '--login', login, '--role', role, '--name', '测试' + role]
        if dept:
            args += ['--department', dept]
        out = run_hotline(*args, input=PASSWORD + '\n')
        assert out.returncode == 0, out.stderr
        _users[role if role != 'dept_handler' else 'dept_' + dept.lower()] = login
    return _users


def hidden(text, name):
    m = re.search(r'name="%s" value="([^"]*)"' % re.escape(name), text)
    return html.unescape(m.group(1)) if m else None


def field_error(text, field):
    m = re.search(r'<p class="field-error" id="e-%s">([^<]*)</p>' % re.escape(field), text)
    return html.unescape(m.group(1)) if m else None


def multipart(fields, files):
    """A multipart/form-data body: `fields` (name, value) and `files` (name, filename, bytes)."""
    boundary = '----hotline-test-' + uuid.uuid4().hex
    out = []
    for name, value in fields:
        out.append(('--%s\r\nContent-Disposition: form-data; name="%s"\r\n\r\n%s\r\n'
                    % (boundary, name, value)).encode('utf-8'))
    for name, filename, content in files:
        out.append(('--%s\r\nContent-Disposition: form-data; name="%s"; filename="%s"\r\n'
                    'Content-Type: application/octet-stream\r\n\r\n' % (boundary, name, filename)).encode('utf-8'))
        out.append(content + b'\r\n')
    out.append(('--%s--\r\n' % boundary).encode('utf-8'))
    return b''.join(out), 'multipart/form-data; boundary=' + boundary


class WebTestCase(ServerTestCase):
    @classmethod
    def setUpClass(cls):
        cls.users = setup_city()
        super().setUpClass()

    def login(self, client, login, password=PASSWORD):
        page = client.get('/login')
        self.assertEqual(page.status, 200, page)
        return client.post('/login', form={'login': login, 'password': password,
                                           'login_token': hidden(page.text, 'login_token')})

    def logged_in(self, who):
        c = self.server.client()
        self.addCleanup(c.close)
        r = self.login(c, self.users[who])
        self.assertEqual(r.status, 303, r)
        return c

    def csrf(self, client, path='/'):
        page = client.get(path if path != '/' else '/console')
        return hidden(page.text, 'csrf_token')

    def register(self, client, **fields):
        page = client.get('/console')
        form = {'csrf_token': hidden(page.text, 'csrf_token'), 'idem': hidden(page.text, 'idem'),
                'request_type': 'complaint', 'urgency': 'normal', 'content': '路灯不亮'}
        form.update(fields)
        r = client.post('/console/orders', form=form)
        self.assertEqual(r.status, 303, r)
        m = re.match(r'/console\?current=([0-9A-Za-z-]+)&done=register$', r.header('location'))
        self.assertTrue(m, r.header('location'))
        return m.group(1)

    def api(self, client, method, path, body=None):
        """A JSON API call with the page session (and its CSRF token)."""
        token = self.csrf_any(client)
        return client.request(method, path, body=body, headers={'X-CSRF-Token': token})

    def csrf_any(self, client):
        for path in ('/console', '/dashboard', '/admin/users', '/inbox'):
            r = client.get(path)
            if r.status == 200:
                return hidden(r.text, 'csrf_token')
        raise AssertionError('no page with a CSRF token')

    def upload(self, client, path, page, filename, content, csrf=True):
        token = hidden(client.get(page).text, 'csrf_token')
        body, ctype = multipart([('csrf_token', token)] if csrf else [], [('file', filename, content)])
        return client.post(path, raw=body, headers={'Content-Type': ctype})

    def dispatched_and_replied(self, agent, dept, **fields):
        """An order dispatched to SCGJ, signed and replied: awaiting callback."""
        number = self.register(agent, **fields)
        self.act(agent, number, 'dispatch', [('department', 'SCGJ')])
        self.act(dept, number, 'sign')
        self.act(dept, number, 'reply', [('result', '已修复'), ('solved', 'true'), ('contacted', 'true')])
        return number

    def act(self, client, number, action, fields=(), expect=303):
        page = client.get('/orders/' + number)
        form = [('csrf_token', hidden(page.text, 'csrf_token')),
                ('version', hidden(page.text, 'version'))] + list(fields)
        r = client.post('/orders/%s/actions/%s' % (number, action), form=form)
        self.assertEqual(r.status, expect, r)
        return r


class LoginAndAccess(WebTestCase):
    def test_login_page_renders_the_form_in_chinese(self):
        r = self.client.get('/login')
        self.assertEqual(r.status, 200)
        self.assertTrue(r.header('content-type').startswith('text/html'))
        self.assertIn('<html lang="zh-CN">', r.text)
        self.assertIn('action="/login"', r.text)
        self.assertIn('name="password" type="password"', r.text)
        self.assertRegex(hidden(r.text, 'login_token'), r'^[0-9a-f]{32}$')

    def test_anonymous_pages_redirect_to_login(self):
        for path in ('/', '/console', '/inbox', '/dashboard', '/orders/20260101-000001'):
            r = self.client.get(path)
            self.assertEqual(r.status, 303, path)
            self.assertEqual(r.header('location'), '/login', path)

    def test_pages_carry_the_strict_security_headers(self):
        c = self.logged_in('agent')
        for path in ('/login', '/console', '/orders/19990101-000001'):
            r = (self.client if path == '/login' else c).get(path)
            csp = r.header('content-security-policy') or ''
            self.assertIn("default-src 'self'", csp, path)
            self.assertIn("script-src 'self'", csp, path)
            self.assertNotIn('unsafe-inline', csp, path)
            self.assertIn("frame-ancestors 'none'", csp, path)
            self.assertEqual(r.header('x-frame-options'), 'DENY', path)
            self.assertEqual(r.header('referrer-policy'), 'same-origin', path)
        # and no inline script, handler or style attribute anywhere
        page = c.get('/console').text
        self.assertNotRegex(page, r'<script(?![^>]*\bsrc=)[^>]*>')
        self.assertNotRegex(page, r'\son[a-z]+\s*=')
        self.assertNotRegex(page, r'\sstyle\s*=')

    def test_wrong_password_shows_the_message_and_keeps_the_login(self):
        r = self.login(self.client, self.users['agent'], 'not-the-password')
        self.assertEqual(r.status, 401)
        self.assertIn('用户名或密码错误', r.text)
        self.assertIn('value="%s"' % self.users['agent'], r.text)

    def test_repeated_failures_are_throttled_with_a_message(self):
        login = 'wthrottle_' + SUFFIX
        out = run_hotline('user', 'add', '--login', login, '--role', 'agent', input=PASSWORD + '\n')
        self.assertEqual(out.returncode, 0, out.stderr)
        statuses = [self.login(self.client, login, 'wrong-%d' % i).status for i in range(5)]
        self.assertEqual(statuses, [401] * 5)
        r = self.login(self.client, login)     # even the right password, for a while
        self.assertEqual(r.status, 429)
        self.assertIn('登录失败次数过多', r.text)

    def test_login_without_the_form_token_is_refused(self):
        r = self.client.post('/login', form={'login': self.users['agent'], 'password': PASSWORD})
        self.assertEqual(r.status, 403)
        self.assertIn('登录页面已过期', r.text)
        self.assertNotIn('hotline_session', self.client.cookies)

    def test_home_sends_each_role_to_its_page(self):
        for who, page in (('agent', '/console'), ('dept_scgj', '/inbox'),
                          ('supervisor', '/dashboard')):
            c = self.logged_in(who)
            r = c.get('/')
            self.assertEqual((r.status, r.header('location')), (303, page), who)
            r = c.get(page)
            self.assertEqual(r.status, 200, who)
            self.assertIn('aria-current="page"', r.text)

    def test_navigation_names_the_user_role_and_department(self):
        c = self.logged_in('dept_scgj')
        r = c.get('/inbox')
        self.assertIn('<span class="user-role" id="me-role">承办人</span>', r.text)
        self.assertIn('<span class="user-dept" id="me-dept">市城管委</span>', r.text)

    def test_a_department_user_may_not_open_the_console(self):
        c = self.logged_in('dept_scgj')
        r = c.get('/console')
        self.assertEqual(r.status, 403)
        self.assertIn('无权访问此页面', r.text)

    def test_logout_ends_the_session(self):
        c = self.logged_in('agent')
        token = self.csrf(c)
        r = c.post('/logout', form={'csrf_token': token})
        self.assertEqual((r.status, r.header('location')), (303, '/login'))
        self.assertEqual(c.get('/console').header('location'), '/login')


class Csrf(WebTestCase):
    def test_post_without_csrf_token_is_refused(self):
        c = self.logged_in('agent')
        r = c.post('/console/orders', form={'request_type': 'complaint', 'content': '无令牌'})
        self.assertEqual(r.status, 403)
        self.assertIn('CSRF', r.text)
        self.assertTrue(r.header('content-type').startswith('text/html'))

    def test_post_with_a_wrong_csrf_token_is_refused(self):
        c = self.logged_in('agent')
        r = c.post('/logout', form={'csrf_token': '0' * 64})
        self.assertEqual(r.status, 403)
        self.assertEqual(c.get('/console').status, 200)


class Forms(WebTestCase):
    def test_a_form_error_rerenders_with_the_message_next_to_the_field(self):
        c = self.logged_in('agent')
        page = c.get('/console')
        r = c.post('/console/orders', form={
            'csrf_token': hidden(page.text, 'csrf_token'), 'idem': hidden(page.text, 'idem'),
            'request_type': 'help', 'urgency': 'urgent', 'caller_name': '王五',
            'caller_phone': '010 1234', 'content': '水管爆裂'})
        self.assertEqual(r.status, 422)
        self.assertIn('电话', field_error(r.text, 'caller_phone'))
        self.assertIn('id="f-caller_phone" name="caller_phone" type="tel" value="010 1234"', r.text)
        self.assertRegex(r.text, r'id="f-caller_phone"[^>]*aria-invalid="true"')
        # what was typed is kept
        self.assertIn('>水管爆裂</textarea>', r.text)
        self.assertIn('value="王五"', r.text)
        self.assertRegex(r.text, r'<option value="help" selected>')
        self.assertRegex(r.text, r'<option value="urgent" selected>')

    def test_an_empty_content_is_named(self):
        c = self.logged_in('agent')
        page = c.get('/console')
        r = c.post('/console/orders', form={
            'csrf_token': hidden(page.text, 'csrf_token'), 'idem': hidden(page.text, 'idem'),
            'request_type': 'consult', 'content': '   '})
        self.assertEqual(r.status, 422)
        self.assertEqual(field_error(r.text, 'content'), '此项必填')

    def test_a_nul_character_is_refused_not_cut(self):
        c = self.logged_in('agent')
        page = c.get('/console')
        r = c.post('/console/orders', form={
            'csrf_token': hidden(page.text, 'csrf_token'), 'idem': hidden(page.text, 'idem'),
            'request_type': 'consult', 'content': '路灯\x00不亮 ' + SUFFIX})
        self.assertEqual(r.status, 400)
        self.assertIn('无效字符', r.text)
        self.assertNotIn('路灯</td>', c.get('/console').text)

    def test_a_street_of_another_district_is_refused(self):
        c = self.logged_in('agent')
        page = c.get('/console')
        r = c.post('/console/orders', form={
            'csrf_token': hidden(page.text, 'csrf_token'), 'idem': hidden(page.text, 'idem'),
            'request_type': 'consult', 'content': '咨询', 'district': 'D02', 'street': 'D01-S01'})
        self.assertEqual(r.status, 422)
        self.assertIn('不属于', field_error(r.text, 'street'))

    def test_the_same_form_sent_twice_registers_one_order(self):
        c = self.logged_in('agent')
        page = c.get('/console')
        form = {'csrf_token': hidden(page.text, 'csrf_token'), 'idem': hidden(page.text, 'idem'),
                'request_type': 'consult', 'content': '重复提交 ' + SUFFIX}
        first = c.post('/console/orders', form=form)
        second = c.post('/console/orders', form=form)
        self.assertEqual(first.header('location'), second.header('location'))

    def test_an_action_error_rerenders_the_action_form(self):
        agent, dept = self.logged_in('agent'), self.logged_in('dept_scgj')
        number = self.register(agent)
        self.act(agent, number, 'dispatch', [('department', 'SCGJ')])
        self.act(dept, number, 'sign')
        r = self.act(dept, number, 'reply', [('result', '已修复'), ('solved', 'true')], expect=422)
        self.assertIn('「回复」未完成', r.text)
        form = re.search(r'<details class="action" id="action-reply" open>.*?</details>', r.text, re.S)
        self.assertTrue(form, 'the reply form is shown open')
        self.assertIn('<p class="field-error">此项必填</p>', form.group(0))
        self.assertIn('>已修复</textarea>', form.group(0))
        self.assertRegex(form.group(0), r'name="solved" value="true" checked')


class OrderPath(WebTestCase):
    def test_console_dispatch_inbox_sign_reply_callback_dashboard(self):
        agent, dept, sup = (self.logged_in('agent'), self.logged_in('dept_scgj'),
                            self.logged_in('supervisor'))
        completed = lambda: int(re.search(
            r'data-status="completed"><dt>已办结</dt><dd><a href="[^"]*">(\d+)</a></dd>', sup.get('/dashboard').text).group(1))
        before = completed()
        number = self.register(agent, category='010102', street='D01-S01', caller_name='张三',
                               caller_phone='13800138000', confidential='true')
        console = agent.get('/console?current=%s&done=register' % number)
        self.assertIn('已受理登记，工单号 %s' % number, console.text)
        for action in ('answer', 'not_accept', 'transfer_out', 'dispatch'):
            self.assertIn('id="action-%s"' % action, console.text)
        self.assertIn('<optgroup label="市级部门">', console.text)
        self.assertIn('<option value="SCGJ">市城管委</option>', console.text)

        r = agent.post('/orders/%s/actions/dispatch' % number, form=[
            ('csrf_token', hidden(console.text, 'csrf_token')), ('version', hidden(console.text, 'version')),
            ('department', 'SCGJ'), ('assisting', 'SCGJ-HW'), ('back', 'console')])
        self.assertEqual(r.header('location'), '/console?done=dispatch&order=' + number)

        inbox = dept.get('/inbox')
        unsigned = re.search(r'<section class="card" id="sec-unsigned">.*?</section>', inbox.text, re.S).group(0)
        self.assertIn('data-number="%s"' % number, unsigned)
        page = dept.get('/orders/' + number)
        self.assertIn('张*', page.text)                 # the confidential caller, masked
        self.assertNotIn('13800138000', page.text)
        self.assertIn('id="action-sign"', page.text)
        self.assertNotIn('id="action-dispatch"', page.text)
        # The timeline names the channel as the header does, not by its code.
        self.assertIn('<li><span class="muted">来源渠道</span> 电话</li>', page.text)
        self.act(dept, number, 'sign')
        self.act(dept, number, 'reply', [('result', '已更换灯泡'), ('solved', 'true'), ('contacted', 'true')])

        page = agent.get('/orders/' + number)
        self.assertIn('id="action-callback"', page.text)
        r = self.act(agent, number, 'callback', [('satisfaction', 'satisfied'), ('solved', 'true')])
        self.assertEqual(r.header('location'), '/orders/%s?done=callback' % number)
        page = agent.get(r.header('location'))
        self.assertIn('已回访', page.text)
        self.assertIn('<span class="status st-completed" id="order-status">已办结</span>', page.text)
        actions = re.findall(r'<li class="event" data-action="([a-z_]+)"', page.text)
        self.assertEqual(actions, ['register', 'dispatch', 'sign', 'reply', 'callback'])
        self.assertEqual(completed(), before + 1)

    def test_the_forms_are_exactly_the_actions_the_api_allows(self):
        agent, dept, sup = (self.logged_in('agent'), self.logged_in('dept_scgj'),
                            self.logged_in('supervisor'))
        number = self.register(agent)
        for stage in ('pending', 'dispatched'):
            for c in (agent, dept, sup):
                api, page = c.get('/api/v1/orders/' + number), c.get('/orders/' + number)
                self.assertEqual(page.status, api.status, stage)
                if api.status == 404:   # a department does not see an undispatched order
                    continue
                api, page = api.json['allowed_actions'], page.text
                shown = re.findall(r'<details class="action" id="action-([a-z_]+)"(?: open)?>\s*'
                                   r'<summary>([^<]+)</summary>', page)
                self.assertEqual(shown, [(a['action'], a['name']) for a in api], stage)
            if stage == 'pending':
                self.act(agent, number, 'dispatch', [('department', 'SCGJ')])

    def test_an_assisting_department_sees_the_order_without_forms(self):
        agent, water = self.logged_in('agent'), self.logged_in('dept_sswj')
        number = self.register(agent)
        self.act(agent, number, 'dispatch', [('department', 'SCGJ'), ('assisting', 'SSWJ')])
        page = water.get('/orders/' + number)
        self.assertEqual(page.status, 200)
        self.assertIn('id="assist-only"', page.text)
        self.assertNotIn('id="action-sign"', page.text)

    def test_an_order_of_another_department_is_not_found(self):
        agent, water = self.logged_in('agent'), self.logged_in('dept_sswj')
        number = self.register(agent)
        self.act(agent, number, 'dispatch', [('department', 'SCGJ')])
        r = water.get('/orders/' + number)
        self.assertEqual(r.status, 404)
        self.assertIn('工单不存在', r.text)

    def test_hostile_values_are_escaped(self):
        agent = self.logged_in('agent')
        number = self.register(agent, content='<script>alert(1)</script>',
                               caller_name='"><img src=x onerror=alert(1)>')
        for path in ('/orders/' + number, '/console?current=' + number):
            page = agent.get(path).text
            self.assertNotIn('<script>alert(1)</script>', page, path)
            self.assertNotIn('<img src=x', page, path)
            self.assertIn('&lt;script&gt;alert(1)&lt;/script&gt;', page, path)
            self.assertIn('&quot;&gt;&lt;img src=x onerror=alert(1)&gt;', page, path)


class Navigation(WebTestCase):
    def test_each_role_sees_its_own_links(self):
        expect = {
            'agent': ['受理台', '待派单', '回访', '查询'],
            'dept_scgj': ['待办', '查询'],
            'supervisor': ['退单待审', '延期待审', '回访', '查询', '监督看板', '大屏'],
            'admin': ['查询', '监督看板', '大屏', '系统管理'],
        }
        for who, links in expect.items():
            c = self.logged_in(who)
            page = c.get(c.get('/').header('location')).text
            nav = re.search(r'<nav class="nav"[^>]*>(.*?)</nav>', page, re.S).group(1)
            # A queue's label may be followed by its count.
            labels = re.findall(r'<a href="[^"]+"[^>]*>([^<]+?)(?: <span class="count">\d+</span>)?</a>', nav)
            self.assertEqual(labels, links, who)

    def test_new_pages_refuse_other_roles_and_send_the_anonymous_to_login(self):
        pages = {'/callbacks': 'agent', '/dashboard': 'supervisor', '/wallboard': 'supervisor',
                 '/admin/users': 'admin', '/admin/rules': 'admin', '/admin/departments': 'admin',
                 '/admin/categories': 'admin', '/admin/policies': 'admin',
                 '/admin/calendar': 'admin', '/admin/settings': 'admin'}
        others = {who: self.logged_in(who) for who in ('agent', 'dept_scgj', 'supervisor', 'admin')}
        for path, allowed in pages.items():
            r = self.client.get(path)
            self.assertEqual((r.status, r.header('location')), (303, '/login'), path)
            for who, c in others.items():
                r = c.get(path)
                ok = (who == allowed or (who == 'admin' and path in ('/dashboard', '/wallboard'))
                      or (who == 'supervisor' and path == '/callbacks'))
                self.assertEqual(r.status, 200 if ok else 403, '%s as %s' % (path, who))
                if not ok:
                    self.assertIn('无权访问此页面', r.text)

    def test_new_pages_carry_no_inline_script_or_style(self):
        pages = (('agent', '/callbacks'), ('supervisor', '/dashboard'), ('supervisor', '/wallboard'),
                 ('admin', '/admin/users'), ('admin', '/admin/rules'), ('admin', '/admin/policies'),
                 ('admin', '/admin/calendar'), ('admin', '/admin/settings'))
        for who, path in pages:
            r = self.logged_in(who).get(path)
            self.assertIn("script-src 'self'", r.header('content-security-policy'), path)
            self.assertNotRegex(r.text, r'<script(?![^>]*\bsrc=)[^>]*>', path)
            self.assertNotRegex(r.text, r'\son[a-z]+\s*=', path)
            self.assertNotRegex(r.text, r'\sstyle\s*=', path)


class ConsoleCalls(WebTestCase):
    def event(self, client, **body):
        r = self.api(client, 'POST', '/api/v1/calls/events', body)
        self.assertIn(r.status, (200, 201), r)

    def test_the_current_call_shows_the_callers_history_and_prefills_the_form(self):
        agent = self.logged_in('agent')
        phone = '139%08d' % (uuid.uuid4().int % 10**8)
        earlier = self.register(agent, caller_phone=phone, content='上周反映的路灯问题 ' + SUFFIX)
        call = 'web-call-' + uuid.uuid4().hex[:8]
        self.event(agent, type='offered', call_id=call, caller=phone, dialled='12345', queue='q1')
        self.event(agent, type='answered', call_id=call, agent=self.users['agent'])
        page = agent.get('/console').text
        panel = re.search(r'<section class="card call" id="call" data-call-id="([^"]+)".*?</section>', page, re.S)
        self.assertTrue(panel, 'the current call panel is shown')
        self.assertEqual(panel.group(1), call)
        self.assertIn('<span class="call-phone" id="call-phone">%s</span>' % phone, panel.group(0))
        self.assertIn('data-number="%s"' % earlier, panel.group(0))
        # Not "first call" beside the number's earlier orders.
        self.assertNotIn('此号码是首次来电', panel.group(0))
        self.assertIn('id="no-other-calls"', panel.group(0))
        prefill = html.unescape(re.search(r'id="call-prefill" href="([^"]+)"', panel.group(0)).group(1))
        self.assertEqual(prefill, '/console?phone=%s&call=%s#new-order' % (phone, call))
        form = agent.get(prefill.split('#')[0]).text
        self.assertIn('name="caller_phone" type="tel" value="%s"' % phone, form)
        self.assertEqual(hidden(form, 'call_id'), call)
        # the order registered from the prefilled form belongs to the call
        number = self.register(agent, caller_phone=phone, call_id=call)
        self.assertEqual(agent.get('/api/v1/orders/' + number).json['call_id'], call)
        # once the call ends, the panel goes
        self.event(agent, type='ended', call_id=call)
        self.assertNotIn('id="call"', agent.get('/console').text)


class ConsoleSuggestions(WebTestCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.word = '井盖' + SUFFIX
        admin = cls.server.client()
        r = admin.post('/api/v1/session', {'login': cls.users['admin'], 'password': PASSWORD})
        token = r.json['csrf_token']
        r = admin.post('/api/v1/routing-rules', {
            'name': '测试井盖规则 ' + SUFFIX, 'pattern': cls.word, 'priority': 500,
            'suggest_category': '010103', 'suggest_department': 'SCGJ',
            'suggest_urgency': '紧急', 'police': True}, headers={'X-CSRF-Token': token})
        assert r.status == 201, r
        cls.rule = r.json
        admin.close()

    @classmethod
    def tearDownClass(cls):
        admin = cls.server.client()
        r = admin.post('/api/v1/session', {'login': cls.users['admin'], 'password': PASSWORD})
        admin.request('DELETE', '/api/v1/routing-rules/%d' % cls.rule['id'],
                      headers={'X-CSRF-Token': r.json['csrf_token']})
        admin.close()
        super().tearDownClass()

    def form(self, page, **fields):
        f = {'csrf_token': hidden(page.text, 'csrf_token'), 'idem': hidden(page.text, 'idem'),
             'request_type': 'complaint', 'urgency': 'normal'}
        f.update(fields)
        return f

    def test_the_suggest_button_shows_the_suggestions_without_registering(self):
        agent = self.logged_in('agent')
        page = agent.get('/console')
        before = len(agent.get('/api/v1/orders?limit=200').json['items'])
        r = agent.post('/console/orders', form=self.form(page, op='suggest', content='路口%s不见了' % self.word))
        self.assertEqual(r.status, 200)
        items = re.search(r'<ol class="sugg-list" id="sugg-list">(.*?)</ol>', r.text, re.S)
        self.assertTrue(items, 'suggestions are listed')
        self.assertIn('测试井盖规则 ' + SUFFIX, items.group(1))
        self.assertIn('→ 市城管委', items.group(1))
        self.assertIn('id="suggest-police"', r.text)
        self.assertIn('>路口%s不见了</textarea>' % self.word, r.text)      # what was typed is kept
        self.assertEqual(len(agent.get('/api/v1/orders?limit=200').json['items']), before)

    def test_suggestions_need_the_content_named_beside_it(self):
        agent = self.logged_in('agent')
        r = agent.post('/console/orders', form=self.form(agent.get('/console'), op='suggest', content=' '))
        self.assertEqual(r.status, 422)
        self.assertEqual(field_error(r.text, 'content'), '此项必填')

    def test_an_accepted_suggestion_fills_the_form_and_preselects_the_dispatch(self):
        agent = self.logged_in('agent')
        content = '小区门口%s丢了，晚上很危险' % self.word
        page = agent.get('/console')
        r = agent.post('/console/orders', form=self.form(page, accept='0', content=content))
        self.assertEqual(r.status, 200)
        self.assertIn('已采用建议「测试井盖规则 %s」' % SUFFIX, r.text)
        self.assertRegex(r.text, r'<option value="010103" selected>')
        self.assertRegex(r.text, r'<option value="urgent" selected>')
        self.assertRegex(r.text, re.compile(r'id="f-department" name="department">(?:(?!</select>).)*'
                                            r'<option value="SCGJ" selected>', re.S))
        self.assertIn('name="police" id="f-police" value="1" checked', r.text)
        self.assertEqual(hidden(r.text, 'suggestion_rule'), str(self.rule['id']))
        # registering carries the suggestion to the dispatch form, and the 110 transfer opens
        values = self.form(r, content=content, category='010103', urgency='urgent', department='SCGJ',
                           police='1', suggestion_rule=str(self.rule['id']))
        r = agent.post('/console/orders', form=values)
        self.assertEqual(r.status, 303)
        loc = r.header('location')
        self.assertRegex(loc, r'^/console\?current=[0-9-]+&done=register&dept=SCGJ&rule=%d&police=1$' % self.rule['id'])
        console = agent.get(loc).text
        dispatch = re.search(r'<details class="action" id="action-dispatch".*?</details>', console, re.S).group(0)
        self.assertIn('id="dispatch-suggested"', dispatch)
        self.assertIn('<option value="SCGJ" selected>', dispatch)
        self.assertEqual(hidden(dispatch, 'suggestion_rule'), str(self.rule['id']))
        self.assertRegex(console, r'<details class="action" id="action-transfer_out" open>')
        # dispatching records that the agent followed the rule
        number = re.search(r'current=([0-9-]+)', loc).group(1)
        r = agent.post('/orders/%s/actions/dispatch' % number, form=[
            ('csrf_token', hidden(console, 'csrf_token')), ('version', hidden(dispatch, 'version')),
            ('department', 'SCGJ'), ('suggestion_rule', str(self.rule['id'])),
            ('suggested_department', 'SCGJ'), ('back', 'console')])
        self.assertEqual(r.status, 303, r)
        records = agent.get('/api/v1/orders/%s/suggestions' % number).json['items']
        self.assertEqual([(x['rule_id'], x['source'], x['accepted']) for x in records],
                         [(self.rule['id'], 'agent', True)])

    def test_a_duplicate_is_offered_and_merge_registers_into_it(self):
        agent = self.logged_in('agent')
        phone = '137%08d' % (uuid.uuid4().int % 10**8)
        first = self.register(agent, caller_phone=phone, content='楼下烧烤油烟扰民 ' + SUFFIX)
        page = agent.get('/console')
        r = agent.post('/console/orders', form=self.form(page, op='suggest', caller_phone=phone,
                                                          content='又是楼下烧烤油烟'))
        dups = re.search(r'<ul class="dup-list" id="dup-list">(.*?)</ul>', r.text, re.S)
        self.assertTrue(dups, 'duplicates are listed')
        self.assertIn('data-number="%s"' % first, dups.group(1))
        self.assertIn('同一来电号码', dups.group(1))
        self.assertIn('name="merge_into" value="%s"' % first, dups.group(1))
        r = agent.post('/console/orders', form=self.form(r, caller_phone=phone, content='又是楼下烧烤油烟',
                                                          merge_into=first))
        self.assertEqual(r.status, 303, r)
        m = re.match(r'/console\?current=([0-9-]+)&done=merge&merged=%s$' % first, r.header('location'))
        self.assertTrue(m, r.header('location'))
        self.assertIn('并已并入工单 %s' % first, agent.get(r.header('location')).text)
        order = agent.get('/api/v1/orders/' + m.group(1)).json
        self.assertEqual((order['status'], order['outcome']['merged_into']), ('merged', first))

    def test_the_order_just_registered_offers_its_duplicates(self):
        agent = self.logged_in('agent')
        phone = '136%08d' % (uuid.uuid4().int % 10**8)
        first = self.register(agent, caller_phone=phone)
        second = self.register(agent, caller_phone=phone)
        console = agent.get('/console?current=%s&done=register' % second).text
        dups = re.search(r'<ul class="dup-list" id="current-dups">(.*?)</ul>', console, re.S)
        self.assertTrue(dups)
        self.assertIn('action="/orders/%s/actions/merge"' % second, dups.group(1))
        self.assertIn('name="into" value="%s"' % first, dups.group(1))


class ActionErrors(WebTestCase):
    def test_a_refused_field_is_named_once_beside_it(self):
        agent, dept = self.logged_in('agent'), self.logged_in('dept_scgj')
        number = self.register(agent)
        self.act(agent, number, 'dispatch', [('department', 'SCGJ')])
        self.act(dept, number, 'sign')
        r = self.act(dept, number, 'request_extension', [('reason', '需要协调多个部门'),
                                                          ('until', '2020-01-01T10:00')], expect=422)
        self.assertEqual(r.text.count('新的期限须晚于当前期限'), 1, 'the error is said more than once')
        self.assertIn('<p class="field-error">新的期限须晚于当前期限</p>', r.text)
        self.assertIn('「延期申请」未完成：请修改下方标出的内容。', r.text)
        # A refusal without a field (the order moved on) is said at the top and in the form.
        r = self.act(agent, number, 'dispatch', [('department', 'SCGJ')], expect=409)
        self.assertIn('id="page-error"', r.text)


class OrderPolice(WebTestCase):
    def test_an_order_transferred_to_110_shows_its_delivery(self):
        agent = self.logged_in('agent')
        number = self.register(agent)
        self.act(agent, number, 'transfer_out', [('target', '110')])
        page = agent.get('/orders/' + number).text
        card = re.search(r'<section class="card" id="police">.*?</section>', page, re.S)
        self.assertTrue(card, 'the 110 card is shown')
        self.assertIn('已转 110', card.group(0))
        state = agent.get('/api/v1/orders/%s/police' % number).json
        names = {'pending': '发送中', 'sent': '已送达 110', 'parked': '发送失败，已暂停重试'}
        self.assertIn('id="police-delivery">%s</span>' % names[state['delivery']], card.group(0))
        self.assertIn('转警单', card.group(0))
        # The header names the agent as the timeline does, and the system is named once.
        self.assertIn('受理人 测试agent</p>', page)
        self.assertNotIn('受理人 %s' % self.users['agent'], page)
        self.assertNotIn('系统（系统）', page)
        # an ordinary order has no such card
        other = self.register(agent)
        self.assertNotIn('id="police"', agent.get('/orders/' + other).text)


class CallbackQueue(WebTestCase):
    DEFAULTS = {'delay_workdays': 1, 'share': 1.0, 'max_attempts': 3, 'hold_minutes': 15,
                'retry_minutes': 60}

    def setUp(self):
        super().setUp()
        self.admin = self.logged_in('admin')
        r = self.api(self.admin, 'PUT', '/api/v1/settings/callbacks', {'delay_workdays': 0})
        self.assertEqual(r.status, 200, r)
        # The queue is shared: push other tests' open tasks far away, as test_callbacks does.
        psql("UPDATE callback_task SET due_at = due_at + interval '1000 years',"
             " held_by = NULL, held_until = NULL"
             " WHERE status = 'open' AND due_at < now() + interval '100 years'")

    def tearDown(self):
        self.api(self.admin, 'PUT', '/api/v1/settings/callbacks', self.DEFAULTS)
        super().tearDown()

    def test_the_supervisor_watches_the_queue_but_does_not_take_from_it(self):
        agent, dept = self.logged_in('agent'), self.logged_in('dept_scgj')
        number = self.dispatched_and_replied(agent, dept, caller_phone='13912345678')
        sup = self.logged_in('supervisor')
        r = sup.get('/callbacks')
        self.assertEqual(r.status, 200, r)
        self.assertRegex(r.text, r'<tr data-number="%s">' % number)
        self.assertIn('id="watch-only"', r.text)
        self.assertNotIn('id="take-next"', r.text)
        r = sup.post('/callbacks/next', form={'csrf_token': hidden(r.text, 'csrf_token')})
        self.assertEqual(r.status, 403)

    def take(self, agent):
        page = agent.get('/callbacks')
        r = agent.post('/callbacks/next', form={'csrf_token': hidden(page.text, 'csrf_token')})
        self.assertEqual(r.status, 303, r)
        return r.header('location')

    def test_take_the_next_task_and_record_a_rating(self):
        agent, dept = self.logged_in('agent'), self.logged_in('dept_scgj')
        number = self.dispatched_and_replied(agent, dept, caller_phone='13912345678')
        page = agent.get('/callbacks').text
        self.assertIn('id="take-next"', page)
        self.assertRegex(page, r'<tr data-number="%s">' % number)
        self.assertEqual(self.take(agent), '/callbacks?done=taken')
        page = agent.get('/callbacks?done=taken').text
        held = re.search(r'<section class="card held" id="held" data-task="(\d+)" data-number="([0-9-]+)">(.*?)</section>', page, re.S)
        self.assertTrue(held, 'the held task is shown')
        self.assertEqual(held.group(2), number)
        self.assertIn('<span class="dial-phone" id="held-phone">13912345678</span>', held.group(3))
        self.assertIn('>已修复</dd>', held.group(3))
        r = agent.post('/callbacks/%s/result' % held.group(1), form={
            'csrf_token': hidden(page, 'csrf_token'), 'satisfaction': 'satisfied', 'solved': 'true',
            'comment': '市民满意'})
        self.assertEqual((r.status, r.header('location')), (303, '/callbacks?done=rated&order=' + number))
        self.assertIn('工单 %s 已办结' % number, agent.get(r.header('location')).text)
        self.assertEqual(agent.get('/api/v1/orders/' + number).json['status'], 'completed')

    def test_a_refused_record_rerenders_with_the_message_beside_the_field(self):
        agent, dept = self.logged_in('agent'), self.logged_in('dept_scgj')
        number = self.dispatched_and_replied(agent, dept)
        self.take(agent)
        page = agent.get('/callbacks').text
        task = re.search(r'data-task="(\d+)" data-number="%s"' % number, page).group(1)
        token = hidden(page, 'csrf_token')
        r = agent.post('/callbacks/%s/result' % task, form={'csrf_token': token, 'solved': 'true', 'comment': '未选满意度'})
        self.assertEqual(r.status, 422)
        self.assertEqual(field_error(r.text, 'satisfaction'), '此项必填')
        self.assertIn('>未选满意度</textarea>', r.text)
        self.assertRegex(r.text, r'name="solved" value="true" checked')
        r = agent.post('/callbacks/%s/result' % task, form={
            'csrf_token': token, 'satisfaction': 'unsatisfied', 'solved': 'false', 'attributable': 'true'})
        self.assertEqual(r.status, 422)
        self.assertIn('重办', field_error(r.text, 'comment'))
        # an unsatisfied rating attributable to the unit, with a reason, reopens the order
        r = agent.post('/callbacks/%s/result' % task, form={
            'csrf_token': token, 'satisfaction': 'unsatisfied', 'solved': 'false', 'attributable': 'true',
            'comment': '路灯仍然不亮'})
        self.assertEqual(r.header('location'), '/callbacks?done=reopened&order=' + number)
        self.assertEqual(agent.get('/api/v1/orders/' + number).json['status'], 'dispatched')

    def test_unreachable_puts_the_task_back_in_the_queue(self):
        agent, dept = self.logged_in('agent'), self.logged_in('dept_scgj')
        number = self.dispatched_and_replied(agent, dept)
        self.take(agent)
        page = agent.get('/callbacks').text
        task = re.search(r'data-task="(\d+)" data-number="%s"' % number, page).group(1)
        r = agent.post('/callbacks/%s/result' % task, form={
            'csrf_token': hidden(page, 'csrf_token'), 'unreachable': 'true', 'comment': '无人接听'})
        self.assertEqual(r.header('location'), '/callbacks?done=unreachable&order=' + number)
        page = agent.get(r.header('location')).text
        self.assertNotIn('id="held"', page)
        tasks = agent.get('/api/v1/callbacks?status=open&limit=200').json['items']
        mine = [t for t in tasks if t['order']['number'] == number]
        self.assertEqual((mine[0]['attempts'], mine[0]['held']), (1, False))

    def test_nothing_due_says_so(self):
        agent = self.logged_in('agent')
        self.assertEqual(self.take(agent), '/callbacks?done=empty')
        self.assertIn('当前没有到期的回访任务', agent.get('/callbacks?done=empty').text)


class Dashboard(WebTestCase):
    def test_the_dashboard_shows_figures_charts_and_lists(self):
        sup = self.logged_in('supervisor')
        r = sup.get('/dashboard')
        self.assertEqual(r.status, 200)
        for needle in ('id="figures"', '接通率', '标准 ≥ 95%', '办结率', '按时办结率', '满意率',
                       'id="ranking"', 'id="hot"', 'id="sec-waiting"', 'id="sec-overdue"',
                       'data-status="completed"'):
            self.assertIn(needle, r.text)
        # the charts are inline SVG: a line with the 95% line, columns, per-unit bars
        self.assertIn('<svg class="chart chart-line"', r.text)
        self.assertIn('<line x1="44"', r.text)
        self.assertIn('class="target"', r.text)
        self.assertIn('<svg class="chart chart-columns"', r.text)
        self.assertIn('<svg class="meter"', r.text)

    def test_a_chosen_period_is_shown_and_a_bad_date_is_named(self):
        sup = self.logged_in('supervisor')
        r = sup.get('/dashboard?from=2026-01-01&to=2026-01-31')
        self.assertEqual(r.status, 200)
        self.assertIn('<th>2026-01-01 至 2026-01-31</th>', r.text)
        self.assertIn('id="f-from" name="from" type="date" value="2026-01-01"', r.text)
        r = sup.get('/dashboard?from=2026-02-30&to=2026-03-01')
        self.assertEqual(r.status, 422)
        self.assertIn('年-月-日', field_error(r.text, 'from'))
        r = sup.get('/dashboard?from=2026-03-01&to=2026-02-01')
        self.assertEqual(r.status, 422)
        self.assertIn('开始日期不能晚于结束日期', field_error(r.text, 'from'))

    def test_unit_names_in_the_charts_are_escaped(self):
        admin, agent = self.logged_in('admin'), self.logged_in('agent')
        code = 'X' + SUFFIX
        csv = 'code,name,kind,parent\n%s,"<b>&""单位\'",city,\n' % code
        r = self.upload(admin, '/admin/departments/import', '/admin/departments', 'hostile.csv', csv.encode())
        self.assertEqual(r.status, 303, r)
        number = self.register(agent)
        self.act(agent, number, 'dispatch', [('department', code)])
        # Alone in a quiet month, so that the unit is among the bars shown
        # whatever other tests registered this month.
        psql("UPDATE work_order SET created_at = '2021-03-10 10:00+08' WHERE number = '%s'" % number)
        page = self.logged_in('supervisor').get('/dashboard?from=2021-03-01&to=2021-03-31').text
        svg = re.search(r'<svg class="chart chart-hbars".*?</svg>', page, re.S).group(0)
        self.assertIn('&lt;b&gt;&amp;&quot;单位&#39;', svg)
        self.assertNotIn('<b>', page)

    def test_the_wallboard_refreshes_itself(self):
        r = self.logged_in('supervisor').get('/wallboard')
        self.assertEqual(r.status, 200)
        self.assertIn('<meta http-equiv="refresh" content="60">', r.text)
        for needle in ('id="wall-offered"', 'id="wall-connection"', 'id="wall-new"', 'id="wall-red"'):
            self.assertIn(needle, r.text)


class AdminUsers(WebTestCase):
    def add(self, admin, **fields):
        page = admin.get('/admin/users')
        form = {'csrf_token': hidden(page.text, 'csrf_token'), 'role': 'agent', 'password': 'new-user-pass'}
        form.update(fields)
        return admin.post('/admin/users', form=form)

    def can_log_in(self, login, password):
        c = self.server.client()
        r = c.post('/api/v1/session', {'login': login, 'password': password})
        c.close()
        return r.status == 201 or r.status == 200

    def test_add_reset_deactivate_and_reactivate_a_user(self):
        admin = self.logged_in('admin')
        login = 'wnew_' + SUFFIX
        r = self.add(admin, login=login, display_name='新话务员', role='dept_handler', department='SCGJ')
        self.assertEqual((r.status, r.header('location')), (303, '/admin/users?done=added&what=' + login))
        page = admin.get(r.header('location')).text
        row = re.search(r'<tr data-login="%s">.*?</tr>' % login, page, re.S).group(0)
        self.assertIn('承办人', row)
        self.assertIn('市城管委', row)
        self.assertTrue(self.can_log_in(login, 'new-user-pass'))
        # reset the password
        r = admin.post('/admin/users/%s/password' % login, form={'csrf_token': hidden(page, 'csrf_token'),
                                                                 'password': 'another-pass-1'})
        self.assertEqual(r.status, 303, r)
        self.assertFalse(self.can_log_in(login, 'new-user-pass'))
        self.assertTrue(self.can_log_in(login, 'another-pass-1'))
        # a too short one is refused beside that user's field
        r = admin.post('/admin/users/%s/password' % login, form={'csrf_token': hidden(page, 'csrf_token'),
                                                                 'password': 'short'})
        self.assertEqual(r.status, 422)
        row = re.search(r'<tr data-login="%s">.*?</tr>' % login, r.text, re.S).group(0)
        self.assertIn('<p class="field-error">密码至少 8 个字符</p>', row)
        # deactivate: no more login, and back
        r = admin.post('/admin/users/%s/active' % login, form={'csrf_token': hidden(page, 'csrf_token'),
                                                               'active': 'false'})
        self.assertEqual(r.header('location'), '/admin/users?done=deactivated&what=' + login)
        self.assertFalse(self.can_log_in(login, 'another-pass-1'))
        self.assertIn('<tr data-login="%s" class="inactive">' % login, admin.get('/admin/users').text)
        admin.post('/admin/users/%s/active' % login, form={'csrf_token': hidden(page, 'csrf_token'),
                                                           'active': 'true'})
        self.assertTrue(self.can_log_in(login, 'another-pass-1'))

    def test_add_errors_are_named_beside_their_fields(self):
        admin = self.logged_in('admin')
        r = self.add(admin, login=self.users['agent'])
        self.assertEqual(r.status, 409)
        self.assertEqual(field_error(r.text, 'login'), '该用户名已被使用')
        self.assertIn('value="%s"' % self.users['agent'], r.text)
        r = self.add(admin, login='wshort_' + SUFFIX, password='1234')
        self.assertEqual(r.status, 422)
        self.assertEqual(field_error(r.text, 'password'), '密码至少 8 个字符')
        r = self.add(admin, login='wnodept_' + SUFFIX, role='dept_handler')
        self.assertEqual(r.status, 422)
        self.assertEqual(field_error(r.text, 'department'), '此角色须选择所属单位')
        self.assertRegex(r.text, r'<option value="dept_handler" selected>')

    def test_edit_a_users_name_role_unit_and_extension(self):
        admin = self.logged_in('admin')
        login = 'wedit_' + SUFFIX
        self.assertEqual(self.add(admin, login=login, display_name='待改名').status, 303)
        user = self.server.client()
        self.addCleanup(user.close)
        self.assertEqual(self.login(user, login, 'new-user-pass').status, 303)
        self.assertEqual(user.get('/console').status, 200)          # an agent, for now
        page = admin.get('/admin/users/%s' % login)
        self.assertEqual(page.status, 200, page)
        self.assertIn('value="待改名"', page.text)
        ext = str(70000 + int(SUFFIX[-4:], 16) % 9999)
        r = admin.post('/admin/users/%s' % login, form={
            'csrf_token': hidden(page.text, 'csrf_token'), 'display_name': '王承办', 'role': 'dept_handler',
            'department': 'SCGJ', 'extension': ext})
        self.assertEqual((r.status, r.header('location')), (303, '/admin/users?done=saved&what=' + login))
        listing = admin.get(r.header('location')).text
        self.assertIn('已保存用户 %s 的资料' % login, listing)
        row = re.search(r'<tr data-login="%s">.*?</tr>' % login, listing, re.S).group(0)
        for text in ('王承办', '承办人', '市城管委', ext):
            self.assertIn(text, row)
        self.assertEqual(psql("SELECT u.login FROM agent_extension x JOIN app_user u ON u.id = x.user_id"
                              " WHERE x.extension = '%s'" % ext), [[login]])
        # The open session is the new role's at once.
        self.assertEqual(user.get('/console').status, 403)
        self.assertEqual(user.get('/inbox').status, 200)
        # An empty extension unties it.
        page = admin.get('/admin/users/%s' % login).text
        r = admin.post('/admin/users/%s' % login, form={
            'csrf_token': hidden(page, 'csrf_token'), 'display_name': '王承办', 'role': 'dept_handler',
            'department': 'SCGJ', 'extension': ''})
        self.assertEqual(r.status, 303, r)
        self.assertEqual(psql("SELECT count(*) FROM agent_extension WHERE extension = '%s'" % ext), [['0']])

    def test_edit_errors_are_named_and_change_nothing(self):
        admin = self.logged_in('admin')
        login = 'wbad_' + SUFFIX
        self.assertEqual(self.add(admin, login=login, display_name='原名').status, 303)
        page = admin.get('/admin/users/%s' % login).text
        r = admin.post('/admin/users/%s' % login, form={
            'csrf_token': hidden(page, 'csrf_token'), 'display_name': '新名', 'role': 'dept_handler',
            'department': '', 'extension': ''})
        self.assertEqual(r.status, 422)
        self.assertEqual(field_error(r.text, 'department'), '此角色须选择所属单位')
        self.assertIn('value="新名"', r.text)                      # what was typed is kept
        r = admin.post('/admin/users/%s' % login, form={
            'csrf_token': hidden(page, 'csrf_token'), 'display_name': '新名', 'role': 'agent',
            'extension': '分机#1'})
        self.assertEqual(r.status, 422)
        self.assertTrue(field_error(r.text, 'extension'))
        self.assertEqual(psql("SELECT display_name, role FROM app_user WHERE login = '%s'" % login),
                         [['原名', 'agent']])
        self.assertEqual(admin.get('/admin/users/nobody_' + SUFFIX).status, 404)
        # An administrator cannot change their own role.
        me = self.users['admin']
        page = admin.get('/admin/users/%s' % me).text
        r = admin.post('/admin/users/%s' % me, form={
            'csrf_token': hidden(page, 'csrf_token'), 'display_name': 'x', 'role': 'agent'})
        self.assertEqual(r.status, 409)
        self.assertIn('不能修改自己的角色或所属单位', r.text)
        self.assertEqual(admin.get('/admin/users').status, 200)

    def test_an_administrator_cannot_deactivate_themselves(self):
        admin = self.logged_in('admin')
        token = hidden(admin.get('/admin/users').text, 'csrf_token')
        r = admin.post('/admin/users/%s/active' % self.users['admin'], form={'csrf_token': token, 'active': 'false'})
        self.assertEqual(r.status, 409)
        self.assertIn('不能停用自己的账号', r.text)
        self.assertEqual(admin.get('/admin/users').status, 200)


class AdminTrees(WebTestCase):
    def test_a_department_csv_upload_imports_and_shows_in_the_tree(self):
        admin = self.logged_in('admin')
        code = 'W' + SUFFIX
        csv = ('code,name,kind,parent,contact,phone\n%s,网页导入单位,city,,值班室,010-1\n'
               '%s-A,网页导入下属单位,unit,%s,,\n' % (code, code, code)).encode('utf-8')
        r = self.upload(admin, '/admin/departments/import', '/admin/departments', 'units.csv', csv)
        self.assertEqual((r.status, r.header('location')), (303, '/admin/departments?done=imported&what=2'))
        page = admin.get(r.header('location')).text
        self.assertIn('已导入 2 行', page)
        self.assertRegex(page, r'<tr data-code="%s-A">\s*<td class="d-2">网页导入下属单位</td>' % code)
        depts = {d['code']: d for d in admin.get('/api/v1/departments').json}
        self.assertEqual(depts[code + '-A']['parent'], code)

    def test_a_bad_csv_changes_nothing_and_names_the_line(self):
        admin = self.logged_in('admin')
        code = 'V' + SUFFIX
        csv = ('code,name,kind,parent\n%s,好单位,city,\n%s-B,坏单位,unit,NOPE%s\n' % (code, code, SUFFIX)).encode()
        r = self.upload(admin, '/admin/departments/import', '/admin/departments', 'bad.csv', csv)
        self.assertEqual(r.status, 422)
        msg = field_error(r.text, 'file')
        self.assertIn('第 3 行', msg)
        self.assertIn('上级不存在', msg)
        self.assertNotIn(code, [d['code'] for d in admin.get('/api/v1/departments').json])

    def test_an_upload_needs_a_file_and_the_csrf_token(self):
        admin = self.logged_in('admin')
        r = self.upload(admin, '/admin/categories/import', '/admin/categories', '', b'')
        self.assertEqual(r.status, 422)
        self.assertEqual(field_error(r.text, 'file'), '请选择要上传的文件')
        r = self.upload(admin, '/admin/categories/import', '/admin/categories', 'c.csv', b'code,name\n99,x\n',
                        csrf=False)
        self.assertEqual(r.status, 403)
        # and an agent may not upload at all
        agent = self.logged_in('agent')
        body, ctype = multipart([('csrf_token', self.csrf(agent))], [('file', 'c.csv', b'code,name\n99,x\n')])
        self.assertEqual(agent.post('/admin/categories/import', raw=body, headers={'Content-Type': ctype}).status, 403)

    def test_a_category_csv_upload_imports(self):
        admin = self.logged_in('admin')
        code = '9' + SUFFIX[:6]
        csv = ('code,name,parent\n%s,网页分类,\n%s1,网页子分类,%s\n' % (code, code, code)).encode('utf-8')
        r = self.upload(admin, '/admin/categories/import', '/admin/categories', 'cats.csv', csv)
        self.assertEqual(r.status, 303, r)
        cats = {c['code']: c for c in admin.get('/api/v1/categories').json}
        self.assertEqual(cats[code + '1']['parent'], code)
        self.assertIn('<td class="d-2">网页子分类</td>', admin.get('/admin/categories').text)


class AdminRules(WebTestCase):
    def form(self, page, **fields):
        f = {'csrf_token': hidden(page, 'csrf_token'), 'name': '网页规则 ' + SUFFIX, 'priority': '10',
             'pattern': '积水' + SUFFIX, 'applies_to': 'content', 'suggest_department': 'SSWJ',
             'suggest_urgency': '紧急', 'active': 'true'}
        f.update(fields)
        return f

    def rules(self, client):
        return {r['name']: r for r in client.get('/api/v1/routing-rules').json['items']}

    def test_add_edit_and_delete_a_rule(self):
        admin = self.logged_in('admin')
        page = admin.get('/admin/rules').text
        r = admin.post('/admin/rules', form=self.form(page))
        self.assertEqual(r.status, 303, r)
        rule = self.rules(admin)['网页规则 ' + SUFFIX]
        self.assertEqual((rule['pattern'], rule['suggest_department'], rule['suggest_urgency'], rule['police']),
                         ('积水' + SUFFIX, 'SSWJ', '紧急', False))
        self.assertIn('data-rule="%d"' % rule['id'], admin.get('/admin/rules').text)
        edit = admin.get('/admin/rules/%d' % rule['id']).text
        self.assertIn('value="积水%s"' % SUFFIX, edit)
        r = admin.post('/admin/rules/%d' % rule['id'], form=self.form(edit, priority='20', police='true'))
        self.assertEqual(r.status, 303, r)
        rule = self.rules(admin)['网页规则 ' + SUFFIX]
        self.assertEqual((rule['priority'], rule['police']), (20, True))
        r = admin.post('/admin/rules/%d/delete' % rule['id'], form={'csrf_token': hidden(edit, 'csrf_token')})
        self.assertEqual(r.status, 303)
        self.assertNotIn('网页规则 ' + SUFFIX, self.rules(admin))

    def test_an_invalid_pattern_shows_pcre2s_message_and_offset(self):
        admin = self.logged_in('admin')
        page = admin.get('/admin/rules').text
        r = admin.post('/admin/rules', form=self.form(page, name='坏规则 ' + SUFFIX, pattern='路灯(不亮'))
        self.assertEqual(r.status, 422)
        self.assertEqual(field_error(r.text, 'pattern'),
                         '正则表达式有误（第 6 个字符处）：missing closing parenthesis')
        self.assertRegex(r.text, r'id="f-pattern" name="pattern" value="路灯\(不亮"[^>]*aria-invalid="true"')
        self.assertIn('<p class="pattern-mark mono" id="pattern-mark"><span class="where">出错位置</span>'
                      '路灯(不亮<mark>␣</mark></p>', r.text)
        self.assertIn('<details class="card add-rule" id="add-rule" open>', r.text)
        self.assertNotIn('坏规则 ' + SUFFIX, self.rules(admin))
        r = admin.post('/admin/rules', form=self.form(page, name='坏规则 ' + SUFFIX, pattern='a(?<x'))
        self.assertEqual(r.status, 422)
        self.assertIn('正则表达式有误', field_error(r.text, 'pattern'))

    def test_the_tester_shows_which_rules_match_and_why(self):
        admin = self.logged_in('admin')
        page = admin.get('/admin/rules').text
        self.assertIn('id="try-form"', page)
        name = '试一试规则 ' + SUFFIX
        r = admin.post('/admin/rules', form=self.form(page, name=name, pattern='积水' + SUFFIX, priority='990'))
        self.assertEqual(r.status, 303, r)
        rule = self.rules(admin)[name]
        self.addCleanup(lambda: admin.post('/admin/rules/%d/delete' % rule['id'],
                                           form={'csrf_token': hidden(admin.get('/admin/rules').text,
                                                                      'csrf_token')}))
        r = admin.get('/admin/rules?' + urlencode({'try_content': '小区门口积水%s已经三天' % SUFFIX}))
        self.assertEqual(r.status, 200, r)
        self.assertIn('<details class="card" id="try-rules" open>', r.text)
        row = re.search(r'<tr data-rule="%d"[^>]*>.*?</tr>' % rule['id'], r.text[r.text.index('try-results'):],
                        re.S).group(0)
        self.assertIn('首选', row)                                   # priority 990 comes first
        self.assertIn('小区门口<mark>积水%s</mark>已经三天' % SUFFIX, row)
        self.assertIn('市水务局', row)
        r = admin.get('/admin/rules?' + urlencode({'try_content': '没有任何规则会命中的话' + SUFFIX}))
        self.assertIn('id="try-none"', r.text)

    def test_a_rule_that_suggests_nothing_is_named(self):
        admin = self.logged_in('admin')
        page = admin.get('/admin/rules').text
        r = admin.post('/admin/rules', form=self.form(page, suggest_department='', suggest_urgency=''))
        self.assertEqual(r.status, 422)
        self.assertIn('规则没有任何建议', field_error(r.text, 'suggest_category'))


class AdminSetup(WebTestCase):
    def policies(self, client):
        return {(p['request_type'], p['urgency']): p for p in client.get('/api/v1/deadline-policies').json}

    def policy_form(self, page, **changes):
        fields = re.findall(r'name="((?:sign_limit|sign_unit|handle_limit|handle_unit|warn_pct)\.[a-z_]+\.[a-z_]+)"'
                            r'(?: type="number"[^>]*value="([^"]*)")?', page)
        form = {'csrf_token': hidden(page, 'csrf_token')}
        for name, value in fields:
            if name.split('.')[0].endswith('_unit'):
                sel = re.search(r'name="%s"[^>]*>(.*?)</select>' % re.escape(name), page, re.S).group(1)
                value = re.search(r'<option value="([a-z]+)" selected>', sel).group(1)
            form[name] = value
        form.update(changes)
        return form

    def test_a_policy_change_shows_in_the_api_and_a_bad_value_beside_its_row(self):
        admin = self.logged_in('admin')
        page = admin.get('/admin/policies').text
        before = self.policies(admin)[('suggestion', 'normal')]
        self.addCleanup(lambda: self.api(admin, 'PUT', '/api/v1/deadline-policies', {
            k: before[k] for k in ('request_type', 'urgency', 'sign_limit', 'sign_unit', 'handle_limit',
                                   'handle_unit', 'warn_fraction')}))
        r = admin.post('/admin/policies', form=self.policy_form(page, **{
            'handle_limit.suggestion.normal': str(before['handle_limit'] + 3), 'warn_pct.suggestion.normal': '60'}))
        self.assertEqual((r.status, r.header('location')), (303, '/admin/policies?done=saved&what=1'))
        after = self.policies(admin)[('suggestion', 'normal')]
        self.assertEqual((after['handle_limit'], after['warn_fraction']), (before['handle_limit'] + 3, 0.6))
        r = admin.post('/admin/policies', form=self.policy_form(page, **{
            'handle_limit.suggestion.normal': '1', 'sign_limit.complaint.urgent': '0'}))
        self.assertEqual(r.status, 422)
        row = re.search(r'<tr data-policy="complaint.urgent" class="row-bad">.*?</tr>', r.text, re.S).group(0)
        self.assertIn('<p class="field-error">超出允许范围（1 到 1000）</p>', row)
        self.assertIn('未保存任何更改', r.text)
        self.assertEqual(self.policies(admin)[('suggestion', 'normal')]['handle_limit'], before['handle_limit'] + 3)

    def test_a_calendar_year_upload_loads_the_year(self):
        admin = self.logged_in('admin')
        self.addCleanup(psql, "DELETE FROM calendar_day WHERE day >= '2091-01-01' AND day < '2092-01-01';"
                              " DELETE FROM calendar_year WHERE year = 2091")
        doc = {'year': 2091, 'papers': ['https://www.gov.cn/2091-sample.htm'],
               'days': [{'name': '元旦', 'date': '2091-01-01', 'isOffDay': True},
                        {'name': '元旦', 'date': '2091-01-06', 'isOffDay': False}]}
        r = self.upload(admin, '/admin/calendar', '/admin/calendar', '2091.json',
                        json.dumps(doc, ensure_ascii=False).encode('utf-8'))
        self.assertEqual((r.status, r.header('location')), (303, '/admin/calendar?done=loaded&what=2091'))
        page = admin.get(r.header('location')).text
        self.assertRegex(page, r'<tr data-year="2091"><td><strong>2091</strong></td><td class="num">1</td><td class="num">1</td>')
        self.assertEqual(psql("SELECT off_day FROM calendar_day WHERE day = '2091-01-06'"), [['f']])
        doc['days'][1]['date'] = '2091-13-01'
        r = self.upload(admin, '/admin/calendar', '/admin/calendar', '2091.json', json.dumps(doc).encode())
        self.assertEqual(r.status, 422)
        self.assertIn('日期无效', field_error(r.text, 'file'))
        self.assertIn('days[1]: invalid date "2091-13-01"', field_error(r.text, 'file'))
        r = self.upload(admin, '/admin/calendar', '/admin/calendar', 'x.json', b'not json')
        self.assertEqual(r.status, 422)
        self.assertIn('JSON', field_error(r.text, 'file'))

    def test_settings_change_what_the_api_shows(self):
        admin = self.logged_in('admin')
        defaults = admin.get('/api/v1/settings/callbacks').json
        self.addCleanup(lambda: self.api(admin, 'PUT', '/api/v1/settings/callbacks', defaults))
        page = admin.get('/admin/settings').text
        form = {'csrf_token': hidden(page, 'csrf_token'), 'delay_workdays': '2', 'share': '0.5',
                'max_attempts': '4', 'hold_minutes': '10', 'retry_minutes': '30'}
        r = admin.post('/admin/settings/callbacks', form=form)
        self.assertEqual(r.status, 303, r)
        self.assertEqual(admin.get('/api/v1/settings/callbacks').json,
                         {'delay_workdays': 2, 'share': 0.5, 'max_attempts': 4, 'hold_minutes': 10.0,
                          'retry_minutes': 30})
        r = admin.post('/admin/settings/ranking', form={
            'csrf_token': hidden(page, 'csrf_token'), 'w_response': '0.5', 'w_resolution': '0.35',
            'w_satisfaction': '0.35', 'red_min': '0.95', 'black_max': '0.8', 'min_dispatched': '1'})
        self.assertEqual(r.status, 422)
        self.assertEqual(field_error(r.text, 'weights'), '三项权重之和须等于 1')
        self.assertIn('id="f-w_response" name="w_response" type="number" min="0" max="1" step="0.01" value="0.5"', r.text)


class StaticFiles(ServerTestCase):
    def test_assets_are_served_with_type_and_long_cache(self):
        page = self.client.get('/login').text
        for name, ctype in (('app.css', 'text/css'), ('app.js', 'text/javascript'),
                            ('favicon.svg', 'image/svg+xml')):
            url = re.search(r'"(/static/%s\?v=[0-9a-f]{16})"' % re.escape(name), page).group(1)
            r = self.client.get(url)
            self.assertEqual(r.status, 200, name)
            self.assertTrue(r.header('content-type').startswith(ctype), name)
            self.assertIn('max-age=31536000', r.header('cache-control'))
            self.assertIn('immutable', r.header('cache-control'))
            again = self.client.get(url, headers={'If-None-Match': r.header('etag')})
            self.assertEqual(again.status, 304, name)

    def test_only_known_files_are_served(self):
        for path in ('/static/nope.css', '/static/..%2Fconsole.mustache', '/static/%2e%2e%2flogin.mustache'):
            self.assertEqual(self.client.get(path).status, 404, path)


class Templates(unittest.TestCase):
    def test_raw_tags_are_only_the_charts(self):
        for path in glob.glob(os.path.join(ROOT, 'templates', '**', '*.mustache'), recursive=True):
            with open(path, encoding='utf-8') as f:
                text = f.read()
            for tag in re.findall(r'\{\{\{\s*([^}]*?)\s*\}\}\}|\{\{&\s*([^}]*?)\s*\}\}', text):
                name = tag[0] or tag[1]
                self.assertTrue(name.endswith('_svg'), '%s: raw tag {{{%s}}}' % (path, name))

    def copy_templates(self):
        tmp = tempfile.mkdtemp(prefix='hotline-tpl-')
        self.addCleanup(shutil.rmtree, tmp, True)
        dst = os.path.join(tmp, 'templates')
        shutil.copytree(os.path.join(ROOT, 'templates'), dst)
        return dst

    def test_a_broken_template_stops_the_start_with_file_and_line(self):
        tpl = self.copy_templates()
        with open(os.path.join(tpl, 'inbox.mustache'), 'a') as f:
            f.write('\n{{#sections}}\n')
        out = run_hotline('serve', '--port', '0', '--templates', tpl, timeout=30)
        self.assertEqual(out.returncode, 1)
        self.assertRegex(out.stderr, r'inbox\.mustache:\d+: unclosed section "sections"')

    def test_dev_mode_reloads_a_changed_template(self):
        tpl = self.copy_templates()
        server = Server(args=('--templates', tpl, '--dev'))
        try:
            c = server.client()
            self.assertIn('请使用您的工号登录', c.get('/login').text)
            path = os.path.join(tpl, 'login.mustache')
            with open(path) as f:
                text = f.read()
            with open(path, 'w') as f:
                f.write(text.replace('请使用您的工号登录', '模板已重新加载，工号登录'))
            st = os.stat(path)
            os.utime(path, (st.st_atime, st.st_mtime + 5))
            self.assertIn('模板已重新加载', c.get('/login').text)
            c.close()
        finally:
            self.assertEqual(server.stop(), 0)


if __name__ == '__main__':
    unittest.main()
