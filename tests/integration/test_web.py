"""The web pages over HTTP: login, access, security headers, CSRF, forms
that re-render with the domain's errors, escaping, and the order's path
from the console to the department and back."""
import html
import os
import re
import shutil
import tempfile
import unittest
import uuid

from harness import ROOT, Server, ServerTestCase, run_hotline

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
                       ('dept_handler', 'SSWJ')):
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
    return m.group(1) if m else None


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
            r'data-status="completed"><dt>已办结</dt><dd>(\d+)</dd>', sup.get('/dashboard').text).group(1))
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
