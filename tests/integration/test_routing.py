"""Dispatch intelligence: the routing rules (派单目录) kept in the database,
managed over the API and the CLI, compiled once per process and reloaded
without a restart; suggestions on Chinese text; the record of whether the
agent followed the suggestion."""
import json
import os
import re
import threading
import time
import uuid

from harness import ROOT, Server, psql, run_hotline, wait_for
from orders_fixture import Actor, OrdersTestCase, write_temp


def fixture_rules(dept):
    """A small catalogue written the way administrators write it: ASCII
    digits and punctuation in patterns, Chinese everywhere else."""
    return [
        {'priority': 90, 'name': '打架斗殴 → 110', 'pattern': '打架|斗殴|持刀',
         'suggest_category': '090101', 'suggest_department': 'SGAJ', 'suggest_urgency': '紧急',
         'police': True},
        {'priority': 60, 'name': '路灯不亮', 'pattern': '路灯.{0,6}(不亮|坏|灭)',
         'suggest_category': '010102', 'suggest_department': dept, 'suggest_urgency': '一般'},
        {'priority': 50, 'name': '拖欠工资', 'pattern': r'拖欠工资\d+个月|欠薪\d+(天|个月)',
         'suggest_category': '030101', 'suggest_department': 'SRSJ'},
        {'priority': 40, 'name': '楼栋地址', 'pattern': r'\d+号楼', 'applies_to': 'address',
         'suggest_department': 'D01'},
        {'priority': 30, 'name': '自助银行', 'pattern': 'atm', 'caseless': True,
         'suggest_department': 'SGAJ', 'police': True},
        {'priority': 20, 'name': '东城区噪音', 'pattern': '噪音|噪声', 'district': 'D01',
         'suggest_category': '020102', 'suggest_department': 'D01'},
        {'priority': 10, 'name': '情绪激动', 'pattern': '!{2,}', 'suggest_urgency': '紧急'},
    ]


class Rules(OrdersTestCase):
    def setUp(self):
        super().setUp()
        self.import_rules(fixture_rules(self.depts.a))

    def import_rules(self, rules, suffix='.json'):
        """Replaces the catalogue with the CLI, then waits for this server to
        notice (another process's change shows within about a second)."""
        path = write_temp(json.dumps(rules, ensure_ascii=False), suffix)
        try:
            out = run_hotline('rules', 'import', path)
        finally:
            os.unlink(path)
        self.assertEqual(out.returncode, 0, out.stderr)
        self.sync()
        return out

    def sync(self, actor=None):
        version = self.version()
        self.assertTrue(wait_for(lambda: self.suggest('-', actor)['rules_version'] == version,
                                 timeout=15), 'the server did not load rules version %d' % version)

    def suggest(self, content, actor=None, **fields):
        r = (actor or self.agent).post('/api/v1/orders/suggest', dict(content=content, **fields))
        self.assertEqual(r.status, 200, r)
        return r.json

    def names(self, content, actor=None, **fields):
        return [s['rule']['name'] for s in self.suggest(content, actor, **fields)['suggestions']]

    def version(self):
        return int(psql('SELECT version FROM routing_version')[0][0])

    def rule_id(self, name):
        return int(psql("SELECT id FROM routing_rule WHERE name = '%s'" % name)[0][0])

    # --- matching

    def test_chinese_text_with_full_width_punctuation_and_digits(self):
        cases = [
            # content, extra fields, first rule, field, matched text, start (characters)
            ('小区门口有人打架，还有人持刀！', {}, '打架斗殴 → 110', 'content', '打架', 6),
            ('我家楼下的路灯已经坏了３天了。', {}, '路灯不亮', 'content', '路灯已经坏', 5),
            ('老板拖欠工资３个月不发，怎么办？', {}, '拖欠工资', 'content', '拖欠工资3个月', 2),
            ('老板拖欠工资3个月不发', {}, '拖欠工资', 'content', '拖欠工资3个月', 2),
            ('工地欠薪１５天', {}, '拖欠工资', 'content', '欠薪15天', 2),
            ('楼道里很脏', {'address': '东城区景山前街４号院１２号楼'}, '楼栋地址', 'address', '12号楼', 10),
            ('路边的ＡＴＭ机被撬了', {}, '自助银行', 'content', 'ATM', 3),
            ('路边的atm机被撬了', {}, '自助银行', 'content', 'atm', 3),
            ('救命！！太过分了', {}, '情绪激动', 'content', '!!', 2),
            ('楼上装修噪音很大', {'district': 'D01'}, '东城区噪音', 'content', '噪音', 4),
        ]
        for content, extra, name, field, matched, start in cases:
            with self.subTest(content=content):
                out = self.suggest(content, **extra)
                self.assertTrue(out['suggestions'], out)
                first = out['suggestions'][0]
                self.assertEqual(first['rule']['name'], name, out)
                self.assertEqual((first['field'], first['matched'], first['start']),
                                 (field, matched, start))
                self.assertEqual(first['end'] - first['start'], len(matched))

    def test_suggestions_carry_category_department_urgency_and_the_police_flag(self):
        out = self.suggest('路灯坏了，有人在路灯下打架')
        self.assertEqual([s['rule']['name'] for s in out['suggestions']], ['打架斗殴 → 110', '路灯不亮'])
        fight, lamp = out['suggestions']
        self.assertTrue(out['police'])
        self.assertEqual((fight['police'], fight['category'], fight['department']['code'],
                          fight['urgency']),
                         (True, {'code': '090101', 'name': '打架斗殴'}, 'SGAJ',
                          {'code': 'urgent', 'name': '紧急'}))
        self.assertEqual(fight['department']['name'], '市公安局')
        self.assertEqual(fight['priority'], 90)
        self.assertEqual(fight['rule']['id'], self.rule_id('打架斗殴 → 110'))
        self.assertEqual((lamp['police'], lamp['department']['code'], lamp['urgency']['code']),
                         (False, self.depts.a, 'normal'))
        self.assertEqual(out['rules_limited'], 0)
        self.assertEqual(out['rules_version'], self.version())

    def test_conditions_and_no_match(self):
        self.assertNotIn('东城区噪音', self.names('楼上装修噪音很大'))
        self.assertNotIn('东城区噪音', self.names('楼上装修噪音很大', district='D02'))
        out = self.suggest('今天想咨询一下公积金的提取流程')
        self.assertEqual((out['suggestions'], out['police']), ([], False))

    def test_suggest_is_for_agents_and_checks_its_input(self):
        self.assertProblem(self.ha.post('/api/v1/orders/suggest', {'content': '路灯坏了'}), 403)
        self.assertProblem(self.agent.post('/api/v1/orders/suggest', {'address': 'x'}), 422,
                           field='content')
        self.assertProblem(self.agent.post('/api/v1/orders/suggest',
                                           {'content': '路灯坏了', 'caller_phone': '123'}),
                           422, field='caller_phone')

    def test_the_demo_rules_route_chinese_calls(self):
        out = run_hotline('rules', 'import', os.path.join(ROOT, 'src', 'routing', 'default_rules.json'))
        self.assertEqual(out.returncode, 0, out.stderr)
        self.sync()
        for content, name, police in [
                ('我家煤气泄漏了，闻到很大的味道！', '燃气泄漏 → 110 先期处置', True),
                ('我家老人走失了，穿灰色外套', '人员走失 → 110', True),
                ('小区物业乱收停车费，服务也差', '物业管理', False),
                ('附近工地晚上１１点还在打桩，噪音扰民', '施工噪声', False),
                ('公司拖欠工资２个月了', '拖欠工资', False)]:
            with self.subTest(content=content):
                out = self.suggest(content)
                self.assertEqual(out['suggestions'][0]['rule']['name'], name, out)
                self.assertEqual(out['police'], police)

    # --- managing the rules

    def test_invalid_pattern_is_refused_with_its_offset_over_the_api(self):
        before = self.version()
        for pattern, offset, reason in [('路灯(不亮', 5, 'missing closing parenthesis'),
                                        ('井盖[丢', 4, 'missing terminating ]'),
                                        ('噪音{2,1}', 6, 'out of order')]:
            with self.subTest(pattern=pattern):
                r = self.admin.post('/api/v1/routing-rules',
                                    {'name': '坏规则', 'pattern': pattern, 'suggest_department': 'SCGJ'})
                self.assertProblem(r, 422, r'at offset %d: .*%s' % (offset, re.escape(reason)),
                                   field='pattern')
                self.assertEqual(r.json['offset'], str(offset))
        rid = self.rule_id('路灯不亮')
        r = self.admin.put('/api/v1/routing-rules/%d' % rid,
                           {'name': '路灯不亮', 'pattern': '路灯(', 'suggest_department': 'SCGJ'})
        self.assertProblem(r, 422, 'at offset 3', field='pattern')
        self.assertEqual(self.version(), before, 'a refused rule changes nothing')

    def test_invalid_pattern_is_refused_with_its_offset_by_the_cli(self):
        before = self.version()
        rules = fixture_rules(self.depts.a)
        rules[1]['pattern'] = '路灯(不亮'
        path = write_temp(json.dumps(rules, ensure_ascii=False), '.json')
        try:
            out = run_hotline('rules', 'import', path)
        finally:
            os.unlink(path)
        self.assertEqual(out.returncode, 1)
        self.assertIn('rule at index 1', out.stderr)
        self.assertIn('at offset 5', out.stderr)
        csv = ('priority,name,pattern,suggest_department\n'
               '10,路灯,路灯,SCGJ\n'
               '20,"井盖, 破损",井盖[丢,SCGJ\n')
        path = write_temp(csv, '.csv')
        try:
            out = run_hotline('rules', 'import', path)
        finally:
            os.unlink(path)
        self.assertEqual(out.returncode, 1)
        self.assertRegex(out.stderr, r'line 3: .*at offset 4')
        self.assertEqual(self.version(), before, 'a refused import changes nothing')
        self.assertEqual(len(self.admin.get('/api/v1/routing-rules').json['items']), 7)

    def test_rules_are_managed_by_administrators(self):
        body = {'name': '广场舞噪音', 'pattern': '广场舞', 'priority': 70,
                'suggest_department': self.depts.b, 'suggest_category': '020102'}
        self.assertProblem(self.agent.post('/api/v1/routing-rules', body), 403)
        r = self.admin.post('/api/v1/routing-rules', body)
        self.assertEqual(r.status, 201, r)
        rid = r.json['id']
        self.assertEqual(r.header('location'), '/api/v1/routing-rules/%d' % rid)
        self.assertEqual((r.json['applies_to'], r.json['active'], r.json['police']),
                         ('content', True, False))
        listed = self.agent.get('/api/v1/routing-rules').json
        self.assertEqual(listed['items'][0]['name'], '打架斗殴 → 110', 'highest priority first')
        self.assertIn(rid, [x['id'] for x in listed['items']])
        self.assertEqual(listed['version'], self.version())
        got = self.admin.get('/api/v1/routing-rules/%d' % rid).json
        got['pattern'] = '广场舞|跳舞'
        got['caseless'] = True
        r = self.admin.put('/api/v1/routing-rules/%d' % rid, got)
        self.assertEqual(r.status, 200, r)
        self.assertEqual((r.json['pattern'], r.json['caseless']), ('广场舞|跳舞', True))
        self.assertProblem(self.admin.put('/api/v1/routing-rules/%d' % rid, dict(body, colour='red')),
                           422, field='colour')
        self.assertProblem(self.admin.put('/api/v1/routing-rules/%d' % rid,
                                          dict(body, suggest_urgency='很急')), 422,
                           field='suggest_urgency')
        self.assertProblem(self.admin.put('/api/v1/routing-rules/99999999', body), 404)
        self.assertEqual(self.admin.request('DELETE', '/api/v1/routing-rules/%d' % rid).status, 204)
        self.assertProblem(self.admin.get('/api/v1/routing-rules/%d' % rid), 404)
        self.assertProblem(self.admin.request('DELETE', '/api/v1/routing-rules/%d' % rid), 404)

    def test_a_rule_suggesting_a_unit_or_category_that_does_not_exist_is_refused(self):
        before = len(self.admin.get('/api/v1/routing-rules').json['items'])
        r = self.admin.post('/api/v1/routing-rules', {'name': '无此单位', 'pattern': '井盖',
                                                       'suggest_department': 'NOPE'})
        self.assertProblem(r, 422, 'NOPE', field='suggest_department')
        r = self.admin.post('/api/v1/routing-rules', {'name': '无此分类', 'pattern': '井盖',
                                                       'suggest_category': '999999'})
        self.assertProblem(r, 422, '999999', field='suggest_category')
        self.assertEqual(len(self.admin.get('/api/v1/routing-rules').json['items']), before)

    def test_changes_take_effect_on_the_next_suggest_without_restart(self):
        word = '舞%s' % uuid.uuid4().hex[:6]
        self.assertEqual(self.names('晚上有人跳%s' % word), [])
        r = self.admin.post('/api/v1/routing-rules', {'name': '新规则' + word, 'pattern': word,
                                                      'suggest_department': self.depts.b})
        rid = r.json['id']
        self.assertEqual(self.names('晚上有人跳%s' % word), ['新规则' + word])
        body = dict(r.json, active=False)
        self.assertEqual(self.admin.put('/api/v1/routing-rules/%d' % rid, body).status, 200)
        self.assertEqual(self.names('晚上有人跳%s' % word), [])
        body['active'] = True
        self.admin.put('/api/v1/routing-rules/%d' % rid, body)
        self.assertEqual(self.names('晚上有人跳%s' % word), ['新规则' + word])
        self.admin.request('DELETE', '/api/v1/routing-rules/%d' % rid)
        self.assertEqual(self.names('晚上有人跳%s' % word), [])

    def test_a_second_server_process_picks_up_changes(self):
        second = Server()
        try:
            agent2 = Actor(second, self.agent.login)
            word = '鸽子%s' % uuid.uuid4().hex[:6]
            self.assertEqual(self.names('楼顶养%s' % word, agent2), [])
            r = self.admin.post('/api/v1/routing-rules', {'name': '养鸽' + word, 'pattern': word,
                                                          'suggest_department': self.depts.b})
            self.assertEqual(r.status, 201, r)
            self.assertTrue(wait_for(lambda: self.names('楼顶养%s' % word, agent2) == ['养鸽' + word],
                                     timeout=15))
            # A change by the CLI (another process again) reaches both servers.
            self.import_rules(fixture_rules(self.depts.a))
            self.assertTrue(wait_for(lambda: self.names('楼顶养%s' % word, agent2) == [], timeout=15))
            self.assertEqual(self.names('楼顶养%s' % word), [])
            agent2.close()
        finally:
            rc = second.stop()
        self.assertEqual(rc, 0)
        self.assertNotIn('Sanitizer', open(second.log_path, encoding='utf-8', errors='replace').read())

    def test_a_catastrophic_rule_does_not_stall_the_server(self):
        r = self.admin.post('/api/v1/routing-rules',
                            {'name': '灾难性回溯', 'pattern': '(x+x+)+$', 'priority': 100,
                             'suggest_department': self.depts.b})
        self.assertEqual(r.status, 201, r)
        self.addCleanup(self.admin.request, 'DELETE', '/api/v1/routing-rules/%d' % r.json['id'])
        content = 'x' * 60 + '，楼下有人打架'
        out = self.suggest(content)
        self.assertGreaterEqual(out['rules_limited'], 1)
        self.assertEqual(out['suggestions'][0]['rule']['name'], '打架斗殴 → 110')

        errors, done = [], threading.Event()

        def hammer():
            agent = self.agent.fork()
            try:
                while not done.is_set():
                    resp = agent.post('/api/v1/orders/suggest', {'content': content})
                    if resp.status != 200:
                        errors.append(resp)
            finally:
                agent.client.close()
        threads = [threading.Thread(target=hammer) for _ in range(2)]
        for t in threads:
            t.start()
        try:
            t0 = time.time()
            for _ in range(10):
                self.assertEqual(self.client.get('/healthz').status, 200)
            self.assertLess(time.time() - t0, 30, 'health checks waited behind the rule')
        finally:
            done.set()
            for t in threads:
                t.join(60)
        self.assertEqual(errors, [])
        metrics = self.client.get('/metrics').text
        hits = int(re.search(r'hotline_routing_rule_limit_hits_total (\d+)', metrics).group(1))
        self.assertGreater(hits, 0)
        self.assertRegex(metrics, r'hotline_routing_rule_limit_hits_by_rule\{rule="%d"\} [1-9]'
                         % r.json['id'])
        self.assertIn('灾难性回溯', self.server.read_log())

    def test_export_and_import_round_trip_in_csv_and_json(self):
        listed = self.admin.get('/api/v1/routing-rules').json['items']
        for suffix in ('.csv', '.json'):
            with self.subTest(format=suffix):
                path = write_temp('', suffix)
                try:
                    out = run_hotline('rules', 'export', path)
                    self.assertEqual(out.returncode, 0, out.stderr)
                    self.assertIn('exported 7 routing rules', out.stdout)
                    with open(path, encoding='utf-8') as f:
                        text = f.read()
                    self.assertIn('打架斗殴 → 110', text)
                    before = self.version()
                    out = run_hotline('rules', 'import', path)
                    self.assertEqual(out.returncode, 0, out.stderr)
                    self.assertGreater(self.version(), before)
                    self.sync()
                finally:
                    os.unlink(path)
                again = self.admin.get('/api/v1/routing-rules').json['items']
                strip = lambda rules: [{k: v for k, v in x.items() if k not in ('id', 'updated_at')}
                                       for x in rules]
                self.assertEqual(strip(again), strip(listed))

    # --- what the agent did with the suggestion

    def test_dispatch_records_whether_the_suggestion_was_followed(self):
        lamp = self.rule_id('路灯不亮')
        n1 = self.new_order(content='小区路灯坏了好几天')
        self.step(self.agent, n1, 'dispatch', 'dispatched', department=self.depts.a,
                  suggestion_rule=lamp, suggested_department=self.depts.a)
        n2 = self.new_order(content='小区路灯坏了好几天')
        self.step(self.agent, n2, 'dispatch', 'dispatched', department=self.depts.b)
        rec1, = self.agent.get('/api/v1/orders/%s/suggestions' % n1).json['items']
        self.assertEqual((rec1['rule_id'], rec1['rule_name'], rec1['suggested_department'],
                          rec1['chosen_department'], rec1['accepted'], rec1['source'], rec1['actor']),
                         (lamp, '路灯不亮', self.depts.a, self.depts.a, True, 'agent', self.agent.login))
        rec2, = self.agent.get('/api/v1/orders/%s/suggestions' % n2).json['items']
        self.assertEqual((rec2['rule_id'], rec2['suggested_department'], rec2['chosen_department'],
                          rec2['accepted'], rec2['source']),
                         (lamp, self.depts.a, self.depts.b, False, 'rules'))
        n3 = self.new_order(content='小区路灯坏了好几天')
        self.assertProblem(self.agent.act(n3, 'dispatch', department=self.depts.a,
                                          suggestion_rule='路灯'), 422, field='suggestion_rule')
        self.assertEqual(self.agent.order(n3).json['status'], 'pending')
