"""Who sees which order: the role × department matrix, the list, and the
confidential (保密) caller."""
from orders_fixture import OrdersTestCase, action_params


class Matrix(OrdersTestCase):
    """One order led by depts.a1 (a sub-unit of depts.a), assisted by depts.c."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        d = cls.depts
        cls.n = cls.agent.create_order(content='小区井盖缺失，夜间有人跌倒')['number']
        r = cls.agent.act(cls.n, 'dispatch', department=d.a1, assisting=[d.c])
        assert r.status == 200, r
        cls.pending = cls.agent.create_order()['number']

    def test_centre_roles_see_every_order(self):
        for who in ('agent', 'reviewer', 'supervisor', 'admin'):
            for n in (self.n, self.pending):
                with self.subTest(who=who, order=n):
                    self.assertEqual(self.actors[who].order(n).status, 200)
                    self.assertEqual(self.actors[who].events(n).status, 200)

    def test_lead_unit_parent_unit_and_assisting_unit_see_it(self):
        for who in ('ha1', 'ma1', 'ha', 'ma', 'hc'):
            with self.subTest(who=who):
                o = self.ok(self.actors[who].order(self.n))
                self.assertEqual(o['lead_department']['code'], self.depts.a1)
                evs = self.ok(self.actors[who].events(self.n))
                self.assertEqual([e['action'] for e in evs], ['register', 'dispatch'])

    def test_other_departments_get_404_not_403_for_read_and_every_action(self):
        # depts.b is unrelated; depts.a11 lies below the lead and sees nothing above it.
        missing = self.agent.order('19990101-000001')
        self.assertProblem(missing, 404)
        for who in ('hb', 'mb', 'ha11'):
            actor = self.actors[who]
            with self.subTest(who=who, what='get'):
                r = actor.order(self.n)
                self.assertProblem(r, 404)
                self.assertEqual(r.json['type'], missing.json['type'])
                self.assertNotIn('井盖', r.text)
            with self.subTest(who=who, what='events'):
                self.assertProblem(actor.events(self.n), 404)
            for action in ('sign', 'return', 'reply', 'suspend', 'request_extension',
                           'sub_dispatch', 'dispatch', 'press'):
                with self.subTest(who=who, action=action):
                    r = actor.act(self.n, action, **action_params(action, self.depts))
                    self.assertProblem(r, 404)
        self.assertState(self.n, 'dispatched')

    def test_departments_never_see_an_order_before_it_is_dispatched(self):
        for who in ('ha', 'ma', 'ha1', 'hb', 'hc'):
            with self.subTest(who=who):
                self.assertProblem(self.actors[who].order(self.pending), 404)
                self.assertProblem(self.actors[who].act(self.pending, 'sign'), 404)

    def test_assisting_unit_sees_but_may_not_act(self):
        n = self.order_in('dispatched')
        r = self.agent.act(self.new_order(), 'dispatch', department=self.depts.a,
                           assisting=[self.depts.c, self.depts.b])
        self.assertEqual(r.status, 200, r)
        m = r.json['number']
        for action, body in (('sign', {}), ('return', {'reason': '协办单位不能退单'})):
            with self.subTest(action=action):
                r = self.hc.act(m, action, **body)
                self.assertProblem(r, 403, 'lead')
        self.assertState(m, 'dispatched')
        self.step(self.ha, m, 'sign', 'in_progress')
        self.assertProblem(self.hb.act(m, 'reply', result='协办意见', solved=True,
                                       contacted=True), 403)
        self.assertProblem(self.hc.act(m, 'suspend', reason='x'), 403)
        self.assertEqual(self.hc.order(n).status, 404, 'not assisting on this one')

    def test_assisting_unit_is_offered_no_actions(self):
        # The lead sees its buttons; an assisting unit gets 403 for each, so it
        # must not be offered them.
        m = self.agent.create_order()['number']
        self.step(self.agent, m, 'dispatch', 'dispatched', department=self.depts.a,
                  assisting=[self.depts.c])
        lead = self.ok(self.ha.order(m))['allowed_actions']
        self.assertEqual(sorted(a['action'] for a in lead), ['return', 'sign'])
        self.assertEqual(self.ok(self.hc.order(m))['allowed_actions'], [])
        self.step(self.ha, m, 'sign', 'in_progress')
        self.assertEqual(self.ok(self.hc.order(m))['allowed_actions'], [])

    def test_a_unit_above_the_lead_may_act_for_it(self):
        d = self.depts
        m = self.agent.create_order()['number']
        self.step(self.agent, m, 'dispatch', 'dispatched', department=d.a1)
        self.step(self.ha, m, 'sign', 'in_progress')
        self.step(self.ha1, m, 'reply', 'awaiting_callback', result='已处理', solved=True,
                  contacted=True)

    def test_the_list_shows_a_department_only_its_orders(self):
        d = self.depts
        for who in ('ha1', 'ha', 'hc'):
            with self.subTest(who=who):
                items = self.ok(self.actors[who].list(limit=200))['items']
                self.assertIn(self.n, [o['number'] for o in items])
                self.assertNotIn(self.pending, [o['number'] for o in items])
        own = {'hb': d.b, 'mb': d.b, 'ha11': d.a11}
        for who in ('hb', 'mb', 'ha11'):
            for query in ({}, {'department': d.a}, {'department': d.a1}):
                with self.subTest(who=who, query=query):
                    # Asking for another unit's orders does not widen the view:
                    # only orders the unit leads or assists on come back.
                    items = self.ok(self.actors[who].list(limit=200, **query))['items']
                    self.assertNotIn(self.n, [o['number'] for o in items])
                    for o in items:
                        units = [o['lead_department']['code']] + \
                            [a['code'] for a in o['assisting_departments']]
                        self.assertIn(own[who], units, o['number'])

    def test_every_listed_order_is_one_the_department_may_open(self):
        for who in ('ha', 'hb', 'hc', 'ha11'):
            actor = self.actors[who]
            for o in self.ok(actor.list(limit=200))['items']:
                with self.subTest(who=who, order=o['number']):
                    self.assertEqual(actor.order(o['number']).status, 200)

    def test_centre_list_filters_by_department_subtree(self):
        d = self.depts
        under_a = [o['number'] for o in self.ok(self.agent.list(department=d.a))['items']]
        self.assertIn(self.n, under_a)
        under_a1 = [o['number'] for o in self.ok(self.agent.list(department=d.a1))['items']]
        self.assertIn(self.n, under_a1)
        under_b = [o['number'] for o in self.ok(self.agent.list(department=d.b))['items']]
        self.assertNotIn(self.n, under_b)
        everything = [o['number'] for o in self.ok(self.supervisor.list(limit=200))['items']]
        self.assertIn(self.pending, everything)


class Confidential(OrdersTestCase):
    """保密: departments see a masked caller; the centre sees who called."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.n = cls.agent.create_order(confidential=True, caller_name='张三',
                                       caller_phone='+86 138 1234 5678')['number']
        cls.agent.act(cls.n, 'dispatch', department=cls.depts.a, assisting=[cls.depts.c])
        cls.land = cls.agent.create_order(confidential=True, caller_name='欧阳娜娜',
                                          caller_phone='010 8765 4321')['number']
        cls.agent.act(cls.land, 'dispatch', department=cls.depts.a)
        cls.open = cls.agent.create_order(caller_name='李四', caller_phone='13900001111')['number']
        cls.agent.act(cls.open, 'dispatch', department=cls.depts.a)

    def test_departments_see_a_masked_caller(self):
        for who in ('ha', 'ma', 'hc'):
            with self.subTest(who=who):
                o = self.ok(self.actors[who].order(self.n))
                self.assertEqual(o['caller'], {'name': '张*', 'phone': '138****5678',
                                               'masked': True})
                self.assertNotIn('13812345678', self.actors[who].order(self.n).text)
        o = self.ok(self.ha.order(self.land))
        self.assertEqual(o['caller'], {'name': '欧***', 'phone': '010-****4321',
                                       'masked': True})

    def test_the_centre_sees_the_full_caller(self):
        for who in ('agent', 'reviewer', 'supervisor', 'admin'):
            with self.subTest(who=who):
                o = self.ok(self.actors[who].order(self.n))
                self.assertEqual(o['caller'], {'name': '张三', 'phone': '13812345678',
                                               'masked': False})
                self.assertIs(o['confidential'], True)

    def test_an_ordinary_order_is_not_masked_for_departments(self):
        o = self.ok(self.ha.order(self.open))
        self.assertEqual(o['caller'], {'name': '李四', 'phone': '13900001111', 'masked': False})

    def test_the_list_masks_too(self):
        items = self.ok(self.ha.list(department=self.depts.a, limit=200))['items']
        byno = {o['number']: o for o in items}
        self.assertEqual(byno[self.n]['caller']['phone'], '138****5678')
        self.assertTrue(byno[self.n]['caller']['masked'])
        self.assertNotIn('13812345678', self.ha.list(department=self.depts.a, limit=200).text)

    def test_a_department_cannot_find_a_confidential_caller_by_phone(self):
        # Searching by the number would confirm who made a confidential call.
        items = self.ok(self.ha.list(caller_phone='13812345678'))['items']
        self.assertNotIn(self.n, [o['number'] for o in items])
        items = self.ok(self.agent.list(caller_phone='13812345678', limit=200))['items']
        self.assertIn(self.n, [o['number'] for o in items])
