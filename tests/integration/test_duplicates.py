"""并单: duplicate candidates (same caller phone, or same address and category,
within the window, ranked by similarity of content) and the callers a merge
brings to the master order."""
import json
import os
import random
import uuid

from harness import psql, run_hotline, wait_for
from orders_fixture import OrdersTestCase, write_temp


def phone():
    return '139%08d' % random.randrange(10 ** 8)


def spaced(p):
    """The same mobile number as a caller might dictate it."""
    return '+86 %s %s %s' % (p[:3], p[3:7], p[7:])


class Duplicates(OrdersTestCase):
    def setUp(self):
        super().setUp()
        self.phone = phone()
        self.address = '东城区测试路%s号' % uuid.uuid4().hex[:8]

    def suggest(self, **body):
        r = self.agent.post('/api/v1/orders/suggest', body)
        self.assertEqual(r.status, 200, r)
        return r.json['duplicates']

    def duplicates_of(self, number, actor=None):
        r = (actor or self.agent).get('/api/v1/orders/%s/duplicates' % number)
        self.assertEqual(r.status, 200, r)
        return r.json['items']

    def test_same_caller_phone_ranked_by_similarity(self):
        road = self.new_order(caller_phone=self.phone, content='门前道路塌陷一个大坑，已有两辆电动车摔倒。')
        other = self.new_order(caller_phone=self.phone, content='想咨询一下社保卡补办需要带什么材料。',
                               category='0801')
        self.new_order(caller_phone=phone(), content='门前道路塌陷一个大坑，已有两辆电动车摔倒。')
        found = self.suggest(content='门前道路又塌陷了一个大坑，还是没人修', caller_phone=spaced(self.phone))
        self.assertEqual([d['number'] for d in found], [road, other])
        self.assertEqual(found[0]['reasons'], ['same_phone'])
        self.assertGreater(found[0]['similarity'], found[1]['similarity'])
        self.assertEqual(found[0]['caller']['phone'], self.phone)
        self.assertEqual(found[0]['status'], 'pending')
        # From an order: the others, never itself.
        self.assertEqual([d['number'] for d in self.duplicates_of(other)], [road])

    def test_same_address_and_category(self):
        road = self.new_order(caller_phone=phone(), address=self.address, category='010101')
        self.new_order(caller_phone=phone(), address=self.address, category='010102',
                       content='路灯不亮')
        found = self.suggest(content='路面塌了一个坑', address=self.address.replace('测试路', '测试路 '),
                             category='010101')
        self.assertEqual([d['number'] for d in found], [road])
        self.assertEqual(found[0]['reasons'], ['same_address_category'])
        self.assertEqual(found[0]['category'], {'code': '010101', 'name': '道路破损'})
        self.assertEqual(self.suggest(content='路面塌了一个坑', address=self.address,
                                      category='0201'), [])
        later = self.new_order(caller_phone=phone(), address=self.address, category='010101',
                               content='路面塌了一个坑')
        self.assertEqual([d['number'] for d in self.duplicates_of(later)], [road])

    def test_category_from_the_rules_when_the_agent_gave_none(self):
        rules = [{'name': '道路塌陷', 'pattern': '塌陷|塌了', 'suggest_category': '010101',
                  'suggest_department': self.depts.a}]
        path = write_temp(json.dumps(rules, ensure_ascii=False), '.json')
        try:
            self.assertEqual(run_hotline('rules', 'import', path).returncode, 0)
        finally:
            os.unlink(path)
        version = int(psql('SELECT version FROM routing_version')[0][0])
        self.assertTrue(wait_for(lambda: self.agent.post('/api/v1/orders/suggest', {'content': '-'})
                                 .json['rules_version'] == version, timeout=15))
        road = self.new_order(caller_phone=phone(), address=self.address, category='010101')
        found = self.suggest(content='路面塌陷', address=self.address)
        self.assertEqual([d['number'] for d in found], [road])

    def test_closed_and_old_orders_are_not_candidates(self):
        answered = self.new_order(caller_phone=self.phone)
        self.step(self.agent, answered, 'answer', 'completed', answer='已答复')
        old = self.new_order(caller_phone=self.phone)
        recent = self.new_order(caller_phone=self.phone)
        psql("UPDATE work_order SET created_at = now() - interval '40 days' WHERE number = '%s'" % old)
        psql("UPDATE work_order SET created_at = now() - interval '20 days' WHERE number = '%s'" % recent)
        found = self.suggest(content='道路塌陷', caller_phone=self.phone)
        self.assertEqual([d['number'] for d in found], [recent])

    def test_duplicates_are_for_centre_staff_and_visible_orders(self):
        n = self.new_order(caller_phone=self.phone)
        self.assertProblem(self.ha.get('/api/v1/orders/%s/duplicates' % n), 403)
        self.assertProblem(self.agent.get('/api/v1/orders/19990101-000001/duplicates'), 404)
        self.assertEqual(self.supervisor.get('/api/v1/orders/%s/duplicates' % n).status, 200)

    def test_merge_adds_the_extra_callers_to_the_master(self):
        master = self.new_order(caller_name='张三', caller_phone=self.phone)
        second_phone, third_phone = phone(), phone()
        dup = self.new_order(caller_name='李四', caller_phone=second_phone)
        dup_of_dup = self.new_order(caller_name='王五', caller_phone=third_phone)
        self.step(self.reviewer, dup_of_dup, 'merge', 'merged', into=dup)
        self.step(self.agent, dup, 'merge', 'merged', into=master)
        r = self.agent.get('/api/v1/orders/%s/callers' % master)
        self.assertEqual(r.status, 200, r)
        self.assertEqual((r.json['caller']['name'], r.json['caller']['phone']), ('张三', self.phone))
        extra = [(x['name'], x['phone'], x['merged_order']) for x in r.json['extra']]
        self.assertEqual(sorted(extra), sorted([('李四', second_phone, dup),
                                                ('王五', third_phone, dup_of_dup)]))
        mid = self.agent.get('/api/v1/orders/%s/callers' % dup).json
        self.assertEqual([x['name'] for x in mid['extra']], ['王五'])
        # When 李四 calls again, the master (not the closed merged order) is the candidate.
        found = self.suggest(content='道路塌陷', caller_phone=second_phone)
        self.assertEqual([(d['number'], d['reasons']) for d in found], [(master, ['same_phone'])])

    def test_extra_callers_of_confidential_orders_are_masked_for_departments(self):
        master = self.new_order(caller_name='张三', caller_phone=self.phone)
        secret_phone = phone()
        dup = self.new_order(caller_name='李四', caller_phone=secret_phone, confidential=True)
        self.step(self.agent, dup, 'merge', 'merged', into=master)
        self.step(self.agent, master, 'dispatch', 'dispatched', department=self.depts.a)
        seen = self.ha.get('/api/v1/orders/%s/callers' % master).json['extra'][0]
        self.assertEqual((seen['name'], seen['phone'], seen['masked']),
                         ('李*', secret_phone[:3] + '****' + secret_phone[-4:], True))
        seen = self.agent.get('/api/v1/orders/%s/callers' % master).json['extra'][0]
        self.assertEqual((seen['name'], seen['phone'], seen['masked']), ('李四', secret_phone, False))
        self.assertProblem(self.hb.get('/api/v1/orders/%s/callers' % master), 404)
