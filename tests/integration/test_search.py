"""The centre's working day: the search (GET /api/v1/orders and the page
/search with its CSV export), the queues with their counts in the navigation
bar, the caller's chase-up (催办, the action `chase`), and the callback form
of the order page, which reopens on an unsatisfied rating attributable to
the unit as the callback queue does.

Orders are found through something only this class made (a random phone, a
random token in the text), since the database is shared with other classes.
"""
import random
import re
import uuid
from urllib.parse import urlencode

from harness import psql
from orders_fixture import OrdersTestCase


def mobile():
    return '139%08d' % random.randrange(10 ** 8)


def numbers(resp):
    return [o['number'] for o in resp.json['items']]


class Search(OrdersTestCase):

    def test_an_order_is_found_by_its_number_whole_or_its_beginning(self):
        phone = mobile()
        n = self.new_order(caller_phone=phone)
        whole = self.ok(self.agent.list(number=n))
        self.assertEqual([o['number'] for o in whole['items']], [n])
        prefix = self.ok(self.agent.list(number=n[:-2], caller_phone=phone))
        self.assertEqual([o['number'] for o in prefix['items']], [n])
        self.assertEqual(self.ok(self.agent.list(number=n + '9'))['items'], [])
        # LIKE's wildcards in a number are plain characters.
        self.assertEqual(self.ok(self.agent.list(number='%'))['items'], [])

    def test_a_phone_is_found_in_any_written_form(self):
        phone = mobile()
        n = self.new_order(caller_phone=phone)
        for written in (phone, '+86 %s %s %s' % (phone[:3], phone[3:7], phone[7:]),
                        '%s-%s-%s' % (phone[:3], phone[3:7], phone[7:]), '0086' + phone):
            with self.subTest(written=written):
                self.assertEqual(numbers(self.agent.list(caller_phone=written)), [n])
        self.assertProblem(self.agent.list(caller_phone='12'), 400, field='caller_phone')

    def test_a_two_character_term_finds_content_address_and_request(self):
        phone = mobile()
        in_content = self.new_order(caller_phone=phone, content='小区门口井盖丢失，夜里有人踩空。')
        in_request = self.new_order(caller_phone=phone, content='路面有坑', request='把井盖补上')
        in_address = self.new_order(caller_phone=phone, content='路灯不亮', address='井盖胡同3号')
        other = self.new_order(caller_phone=phone, content='楼下商铺噪音扰民到深夜。')
        found = numbers(self.agent.list(q='井盖', caller_phone=phone))
        self.assertEqual(sorted(found), sorted([in_content, in_request, in_address]))
        self.assertEqual(numbers(self.agent.list(q='噪音', caller_phone=phone)), [other])
        self.assertEqual(numbers(self.agent.list(q='噪音扰民到深夜', caller_phone=phone)), [other])
        self.assertEqual(numbers(self.agent.list(q='井噪', caller_phone=phone)), [])
        # One character reads the text without the index, and still works.
        self.assertEqual(numbers(self.agent.list(q='噪', caller_phone=phone)), [other])

    def test_the_pair_index_serves_a_two_character_term(self):
        plan = '\n'.join(r[0] for r in psql(
            "SET enable_seqscan = off; EXPLAIN SELECT id FROM work_order o"
            " WHERE text_bigrams(order_search_text(o.content, o.address, o.request))"
            " @> text_bigrams('井盖')"))
        self.assertIn('work_order_bigrams', plan)

    def test_filters_combine(self):
        d = self.depts
        phone = mobile()
        pending = self.new_order(caller_phone=phone, urgency='urgent')
        working = self.order_in('in_progress', caller_phone=phone)
        pressed = self.order_in('in_progress', caller_phone=phone)
        self.step(self.supervisor, pressed, 'press', 'in_progress', note='请加快', level=2)
        reopened = self.order_in('awaiting_callback', caller_phone=phone)
        self.step(self.agent, reopened, 'reopen', 'dispatched', reason='未修复')
        psql("UPDATE work_order SET alert = 'red' WHERE number = '%s'" % working)

        def q(**kw):
            return sorted(numbers(self.agent.list(caller_phone=phone, **kw)))

        self.assertEqual(q(status='pending'), [pending])
        self.assertEqual(q(urgency='urgent'), [pending])
        self.assertEqual(q(status='in_progress'), sorted([working, pressed]))
        self.assertEqual(q(department=d.a), sorted([working, pressed, reopened]))
        self.assertEqual(q(light='red'), [working])
        self.assertEqual(q(light='yellow,red'), [working])
        self.assertEqual(q(pressed='true'), [pressed])
        self.assertEqual(q(reopened='1'), [reopened])
        self.assertEqual(q(police='true'), [])
        self.assertEqual(q(channel='phone'), sorted([pending, working, pressed, reopened]))
        self.assertProblem(self.agent.list(light='purple'), 400, field='light')
        self.assertProblem(self.agent.list(order='sideways'), 400)
        oldest = numbers(self.agent.list(caller_phone=phone, order='oldest', limit=2))
        self.assertEqual(oldest, [pending, working])
        page1 = self.agent.list(caller_phone=phone, order='oldest', limit=2)
        page2 = self.ok(self.agent.list(caller_phone=phone, order='oldest', limit=2,
                                        cursor=page1.json['next_cursor']))
        self.assertEqual([o['number'] for o in page2['items']], [pressed, reopened])

    def test_a_department_finds_only_its_own_orders(self):
        phone = mobile()
        n = self.order_in('dispatched', caller_phone=phone, content='单位范围测试井盖')
        self.assertEqual(numbers(self.ha.list(q='单位范围测试井盖')), [n])
        self.assertEqual(numbers(self.hb.list(q='单位范围测试井盖')), [])
        self.assertEqual(numbers(self.hb.list(number=n)), [])
        page = self.hb.get('/search?' + urlencode({'q': '单位范围测试井盖'}))
        self.assertEqual(page.status, 200, page)
        self.assertNotIn(n, page.text)
        self.assertIn(n, self.ha.get('/search?' + urlencode({'q': '单位范围测试井盖'})).text)
        export = self.hb.get('/search/export?' + urlencode({'number': n}))
        self.assertNotIn(n, export.text)

    def test_the_page_keeps_the_query_in_the_url_and_pages_on(self):
        phone = mobile()
        made = [self.new_order(caller_phone=phone, content='分页测试噪音%d' % i) for i in range(52)]
        r = self.agent.get('/search?' + urlencode({'phone': phone, 'q': '噪音'}))
        self.assertEqual(r.status, 200, r)
        self.assertIn('value="%s"' % phone, r.text)
        self.assertIn(made[-1], r.text)
        self.assertNotIn(made[0] + '"', r.text)
        nxt = re.search(r'id="search-next" href="([^"]+)"', r.text)
        self.assertIsNotNone(nxt, 'a second page')
        r2 = self.agent.get(nxt.group(1).replace('&amp;', '&'))
        self.assertIn(made[0], r2.text)
        self.assertIn(made[1], r2.text)

    def test_the_export_is_csv_in_utf8_with_a_bom_and_no_formulas(self):
        phone = mobile()
        n = self.new_order(caller_phone=phone, content='=HYPERLINK("http://x") 井盖')
        r = self.agent.get('/search/export?' + urlencode({'phone': phone}))
        self.assertEqual(r.status, 200, r)
        self.assertTrue(r.header('content-type').startswith('text/csv'))
        self.assertTrue(r.raw.startswith(b'\xef\xbb\xbf'), r.raw[:10])
        text = r.raw.decode('utf-8')[1:]
        lines = text.split('\r\n')
        self.assertTrue(lines[0].startswith('工单号,受理时间'), lines[0])
        self.assertIn(n, lines[1])
        self.assertIn('"\'=HYPERLINK(""http://x"") 井盖"', lines[1])


class Queues(OrdersTestCase):

    def count_in_nav(self, actor, label, page='/console'):
        r = actor.get(page)
        self.assertEqual(r.status, 200, r)
        m = re.search(re.escape(label) + r'(?: <span class="count">(\d+)</span>)?</a>', r.text)
        self.assertIsNotNone(m, '%s is not in the navigation' % label)
        return int(m.group(1) or 0)

    def test_each_role_sees_its_queues_counted_in_the_navigation(self):
        self.new_order()
        pending = int(psql("SELECT count(*) FROM work_order WHERE status = 'pending'")[0][0])
        self.assertEqual(self.count_in_nav(self.agent, '待派单'), pending)
        self.order_in('return_requested')
        returns = int(psql("SELECT count(*) FROM work_order WHERE status = 'return_requested'")[0][0])
        self.assertEqual(self.count_in_nav(self.reviewer, '退单待审'), returns)
        self.order_in('extension_requested')
        ext = int(psql("SELECT count(*) FROM work_order WHERE status = 'extension_requested'")[0][0])
        self.assertEqual(self.count_in_nav(self.supervisor, '延期待审', '/dashboard'), ext)
        mine = len(self.ok(self.ha.list(status='dispatched,in_progress,extension_requested,'
                                        'suspended,return_requested', limit=200))['items'])
        self.assertEqual(self.count_in_nav(self.ha, '待办', '/inbox'), mine)
        self.assertEqual(self.count_in_nav(self.hb, '待办', '/inbox'), 0)

    def test_a_queue_lists_the_oldest_first(self):
        first, second = self.new_order(), self.new_order()
        r = self.agent.get('/search?status=pending&order=oldest')
        self.assertEqual(r.status, 200, r)
        # Older orders of other tests may come first; ours keep their order.
        if first in r.text and second in r.text:
            self.assertLess(r.text.index(first), r.text.index(second))
        # Oldest first is the order of registration (tests elsewhere move
        # creation times back, so those are not compared here).
        api = self.ok(self.agent.list(status='pending', order='oldest', limit=200))
        ids = [int(o['id']) for o in api['items']]
        self.assertEqual(ids, sorted(ids))

    def test_the_inbox_marks_reopened_pressed_chased_and_offers_the_next_action(self):
        signed = self.order_in('dispatched')
        reopened = self.order_in('awaiting_callback')
        self.step(self.agent, reopened, 'reopen', 'dispatched', reason='未修复')
        self.step(self.supervisor, reopened, 'press', 'dispatched', note='请尽快', level=2)
        self.step(self.agent, reopened, 'chase', 'dispatched', note='市民又来电')
        r = self.ha.get('/inbox')
        self.assertEqual(r.status, 200, r)
        row = re.search(r'<tr data-number="%s">.*?</tr>' % reopened, r.text, re.S).group(0)
        for marker in ('重办', '督办', '催办'):
            self.assertIn('>%s</span>' % marker, row)
        self.assertIn('href="/orders/%s#action-sign"' % reopened, row)
        plain = re.search(r'<tr data-number="%s">.*?</tr>' % signed, r.text, re.S).group(0)
        self.assertNotIn('mk-', plain)


class ChaseUps(OrdersTestCase):

    def test_a_chase_up_counts_on_the_order_without_changing_its_state(self):
        n = self.order_in('in_progress')
        before = self.ok(self.agent.order(n))
        after = self.step(self.agent, n, 'chase', 'in_progress', note='市民第二次来电催促')
        self.assertEqual(after['counts']['chases'], 1)
        self.assertEqual(after['version'], before['version'] + 1)
        self.step(self.reviewer, n, 'chase', 'in_progress')
        self.assertEqual(self.ok(self.agent.order(n))['counts']['chases'], 2)
        events = self.ok(self.agent.events(n))
        self.assertEqual([e['action'] for e in events][-2:], ['chase', 'chase'])
        self.assertEqual(events[-2]['note'], '市民第二次来电催促')
        self.assertEqual(numbers(self.agent.list(chased='true', number=n)), [n])

    def test_only_open_orders_and_centre_agents_take_chase_ups(self):
        done = self.order_in('completed')
        self.assertInvalidState(self.agent.act(done, 'chase'), 'completed')
        n = self.order_in('dispatched')
        self.assertProblem(self.ha.act(n, 'chase'), 403)
        self.assertProblem(self.supervisor.act(n, 'chase'), 403)
        pending = self.new_order()
        self.step(self.agent, pending, 'chase', 'pending')

    def test_the_call_panel_form_records_a_chase_up_and_returns_to_the_console(self):
        n = self.order_in('dispatched')
        r = self.agent.client.post('/orders/%s/actions/chase' % n, form={
            'csrf_token': self.agent.csrf, 'back': 'console', 'note': '来电催办'})
        self.assertEqual(r.status, 303, r)
        self.assertIn('/console?done=chase', r.header('location'))
        self.assertEqual(self.ok(self.agent.order(n))['counts']['chases'], 1)


class OrderPageCallback(OrdersTestCase):

    def figures(self):
        from datetime import datetime, timedelta
        from orders_fixture import CST
        today = datetime.now(CST).date()
        r = self.supervisor.get('/api/v1/stats/orders?by=department&from=%s&to=%s'
                                % (today, today + timedelta(days=1)))
        self.assertEqual(r.status, 200, r)
        row = [x for x in r.json['rows'] if x['key'] == self.depts.a]
        return row[0] if row else {'rated': 0, 'satisfied': 0}

    def callback_form(self, number, **fields):
        version = self.ok(self.agent.order(number))['version']
        form = {'csrf_token': self.agent.csrf, 'version': str(version)}
        form.update(fields)
        return self.agent.client.post('/orders/%s/actions/callback' % number, form=form)

    def test_the_order_page_asks_whether_the_cause_is_the_units(self):
        n = self.order_in('awaiting_callback')
        page = self.agent.get('/orders/' + n)
        self.assertIn('name="attributable"', page.text)
        self.assertIn('不满意是否属承办单位责任', page.text)

    def test_unsatisfied_and_attributable_reopens_as_the_queue_does(self):
        n = self.order_in('awaiting_callback')
        before = self.figures()
        missing = self.callback_form(n, satisfaction='unsatisfied', solved='false', attributable='true')
        self.assertEqual(missing.status, 422, missing)
        self.assertIn('写明原因', missing.text)
        r = self.callback_form(n, satisfaction='unsatisfied', solved='false', attributable='true',
                               note='路面仍未修复')
        self.assertEqual(r.status, 303, r)
        o = self.ok(self.agent.order(n))
        self.assertEqual((o['status'], o['counts']['reopens']), ('dispatched', 1))
        events = self.ok(self.agent.events(n))
        self.assertEqual(events[-1]['action'], 'reopen')
        self.assertEqual(events[-1]['note'], '路面仍未修复')
        history = psql("SELECT a.outcome, a.satisfaction, a.attributable FROM callback_attempt a"
                       " JOIN callback_task t ON t.id = a.task_id JOIN work_order o ON o.id = t.order_id"
                       " WHERE o.number = '%s'" % n)
        self.assertEqual([tuple(h) for h in history], [('reopened', 'unsatisfied', 't')])
        # The unsatisfied rating reopened the order: the satisfaction figures did not go up.
        after = self.figures()
        self.assertEqual((after['rated'], after['satisfied']), (before['rated'], before['satisfied']))
        # Replied again and rated satisfied: only that second rating counts (as with the queue).
        self.step(self.ha, n, 'sign', 'in_progress')
        self.step(self.ha, n, 'reply', 'awaiting_callback', result='已修复', solved=True, contacted=True)
        self.assertEqual(self.callback_form(n, satisfaction='satisfied', solved='true').status, 303)
        final = self.figures()
        self.assertEqual((final['rated'], final['satisfied']), (before['rated'] + 1, before['satisfied'] + 1))

    def test_unsatisfied_but_not_attributable_completes_with_the_rating(self):
        n = self.order_in('awaiting_callback')
        r = self.callback_form(n, satisfaction='unsatisfied', solved='false', attributable='false')
        self.assertEqual(r.status, 303, r)
        o = self.ok(self.agent.order(n))
        self.assertEqual((o['status'], o['outcome']['satisfaction']), ('completed', 'unsatisfied'))
        history = psql("SELECT a.attributable FROM callback_attempt a JOIN callback_task t ON t.id = a.task_id"
                       " JOIN work_order o ON o.id = t.order_id WHERE o.number = '%s'" % n)
        self.assertEqual([h[0] for h in history], ['f'])


class DashboardLinks(OrdersTestCase):

    def test_every_count_on_the_dashboard_opens_the_list_behind_it(self):
        self.order_in('extension_requested')
        n = self.order_in('in_progress')
        self.step(self.agent, n, 'chase', 'in_progress', note='又来电')
        r = self.supervisor.get('/dashboard')
        self.assertEqual(r.status, 200, r)
        m = re.search(r'id="count-extension" href="([^"]+)">(\d+) 延期', r.text)
        self.assertIsNotNone(m)
        href, shown = m.group(1).replace('&amp;', '&'), int(m.group(2))
        self.assertEqual(href, '/search?status=extension_requested&order=oldest')
        listed = self.ok(self.supervisor.get('/api/v1/' + 'orders?status=extension_requested&limit=200'))
        if listed['next_cursor'] is None:
            self.assertEqual(len(listed['items']), shown)
        page = self.supervisor.get(href)
        self.assertEqual(page.status, 200, page)
        for o in listed['items'][:5]:
            self.assertIn(o['number'], page.text)
        for code in ('pending', 'in_progress', 'completed'):
            self.assertIn('data-status="%s"><dt>' % code, r.text)
            self.assertIn('href="/search?status=%s&amp;order=oldest"' % code, r.text)
        self.assertIn('href="/search?light=red&amp;order=oldest"', r.text)
        chases = re.search(r'<tr data-unit="%s"><td>[^<]*</td><td class="num"><a href="([^"]+)">(\d+)</a>'
                           % self.depts.a, r.text)
        self.assertIsNotNone(chases, 'the unit is listed under 重复来电')
        self.assertEqual(int(chases.group(2)), 1)
        self.assertIn(n, self.supervisor.get(chases.group(1).replace('&amp;', '&')).text)
