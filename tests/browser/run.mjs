// Browser tests of the web pages: a real Chromium (Debian's /usr/bin/chromium,
// driven by playwright-core) against the real server and a real PostgreSQL.
//
// Environment, as for the integration tests:
//   HOTLINE_BIN      the hotline binary (built beforehand; nothing is built here)
//   HOTLINE_TEST_DB  conninfo of a migrated database (demo data and users are added)
//   HOTLINE_ROOT     the project root (demo CSVs; screenshots go to var/test-artifacts/browser)
//
// The scenario: an administrator sets callbacks due at once and adds a
// routing rule (an invalid pattern first, which the form names); a call
// comes in for the agent, whose console shows the caller's history and
// registers with that number, taking the rule's live suggestion; the agent
// dispatches to 市城管委; the department's handler finds it in the inbox,
// signs for it and replies; the agent takes the callback from the queue and
// records it; the supervisor's dashboard counts one more completed order and
// draws its charts, and the wallboard shows the day. A hostile order shows
// its values as text, with no dialog. A citizen files a request on the
// public page at a phone's size, the agent finds it 待派单 and dispatches it,
// and the citizen follows its status to the unit's reply and rates it. Every
// step saves a screenshot. The
// last line is "browser: N passed, N failed".
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import readline from 'node:readline';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const here = path.dirname(fileURLToPath(import.meta.url));
const ROOT = process.env.HOTLINE_ROOT || path.resolve(here, '..', '..');
const BIN = process.env.HOTLINE_BIN || path.join(ROOT, 'build', 'hotline');
const DB = process.env.HOTLINE_TEST_DB || '';
const ARTIFACTS = path.join(ROOT, 'var', 'test-artifacts', 'browser');
const LOGS = path.join(ROOT, 'var', 'test-logs');
const PASSWORD = 'browser-test-password';
const SUFFIX = Math.random().toString(16).slice(2, 10);
const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
	'--disable-background-networking', '--disable-component-update', '--disable-sync'];

/* SQL on the test database, for what only a test may do (moving other tests' tasks away). */
function psql(sql) {
	const out = spawnSync('psql', ['-X', '-q', '-v', 'ON_ERROR_STOP=1', '-d', DB, '-c', sql], { encoding: 'utf8', timeout: 60000 });
	if (out.status !== 0)
		throw new Error(`psql failed (${out.status}): ${out.stderr}`);
	return out.stdout;
}

function hotline(args, input) {
	const out = spawnSync(BIN, args, { env: { ...process.env, HOTLINE_DB: DB }, input, encoding: 'utf8', timeout: 60000 });
	if (out.status !== 0)
		throw new Error(`hotline ${args.join(' ')} failed (${out.status}): ${out.stderr}`);
	return out.stdout;
}

/* Demo departments and categories, and one user per role with a unique login. */
function setupCity() {
	hotline(['department', 'import', path.join(ROOT, 'scripts', 'demo', 'departments.csv')]);
	hotline(['category', 'import', path.join(ROOT, 'scripts', 'demo', 'categories.csv')]);
	const users = {
		agent: ['agent', null, '话务员甲'],
		dept: ['dept_handler', 'SCGJ', '城管承办人'],
		supervisor: ['supervisor', null, '督办班长'],
		reviewer: ['reviewer', null, '审单员乙'],
		admin: ['admin', null, '系统管理员甲'],
	};
	const logins = {};
	for (const [key, [role, dept, name]] of Object.entries(users)) {
		logins[key] = `b${key}_${SUFFIX}`;
		const args = ['user', 'add', '--login', logins[key], '--role', role, '--name', name];
		if (dept)
			args.push('--department', dept);
		hotline(args, PASSWORD + '\n');
	}
	return logins;
}

/* `hotline serve --port 0`; resolves with {proc, base, logPath} once it listens. */
function startServer() {
	fs.mkdirSync(LOGS, { recursive: true });
	const logPath = path.join(LOGS, `browser-server-${SUFFIX}.log`);
	const log = fs.openSync(logPath, 'w');
	const proc = spawn(BIN, ['serve', '--port', '0', '--threads', '4'], {
		env: { ...process.env, HOTLINE_DB: DB }, stdio: ['ignore', 'pipe', log],
	});
	return new Promise((resolve, reject) => {
		const timer = setTimeout(() => reject(new Error('server did not start within 30 s')), 30000);
		const lines = readline.createInterface({ input: proc.stdout });
		lines.once('line', (line) => {
			clearTimeout(timer);
			const m = /listening on (http:\/\/[\d.]+:\d+)/.exec(line);
			if (!m)
				return reject(new Error(`unexpected first line from the server: ${line}`));
			resolve({ proc, base: m[1], logPath, log });
		});
		proc.once('exit', (code) => {
			clearTimeout(timer);
			reject(new Error(`server exited with ${code}: ${fs.readFileSync(logPath, 'utf8').slice(-2000)}`));
		});
	});
}

function stopServer(server) {
	return new Promise((resolve) => {
		if (server.proc.exitCode !== null)
			return resolve(server.proc.exitCode);
		const timer = setTimeout(() => server.proc.kill('SIGKILL'), 30000);
		server.proc.once('exit', (code, signal) => {
			clearTimeout(timer);
			fs.closeSync(server.log);
			resolve(signal ? 128 : code);
		});
		server.proc.kill('SIGTERM');
	});
}

/* The access log's milliseconds per page route: count, median, max. */
function pageTimes(logPath) {
	const byRoute = new Map();
	for (const text of fs.readFileSync(logPath, 'utf8').split('\n')) {
		if (!text.startsWith('{'))
			continue;
		const line = JSON.parse(text);
		if (line.type !== 'access' || line.route === '-' || line.route.startsWith('/static/')
		    || line.route.startsWith('/api/'))
			continue;
		const route = `${line.method} ${line.route} ${line.status}`;
		if (!byRoute.has(route))
			byRoute.set(route, []);
		byRoute.get(route).push(line.ms);
	}
	const rows = [];
	for (const [route, ms] of [...byRoute.entries()].sort()) {
		ms.sort((a, b) => a - b);
		rows.push(`  ${route.padEnd(48)} n=${String(ms.length).padStart(2)}  median ${ms[ms.length >> 1].toFixed(1)} ms  max ${ms[ms.length - 1].toFixed(1)} ms`);
	}
	return rows.join('\n');
}

/* One browser per user, each with a fresh, empty profile directory. */
const browsers = [];
const problems = [];	// CSP violations and script errors, on any page
async function newUser(label) {
	const dir = fs.mkdtempSync(path.join(os.tmpdir(), `hotline-browser-${label}-`));
	const context = await chromium.launchPersistentContext(dir, {
		executablePath: '/usr/bin/chromium', headless: true, args: CHROMIUM_ARGS,
		viewport: { width: 1280, height: 900 }, locale: 'zh-CN',
	});
	browsers.push({ context, dir });
	const page = context.pages()[0] || await context.newPage();
	page.setDefaultTimeout(15000);
	page.dialogs = [];
	page.on('dialog', (d) => { page.dialogs.push(d.message()); d.dismiss().catch(() => {}); });
	page.on('pageerror', (err) => problems.push(`${label}: script error: ${err.message}`));
	page.on('console', (msg) => {
		if (/Content Security Policy|Refused to/.test(msg.text()))
			problems.push(`${label}: ${msg.text()}`);
	});
	return page;
}

let shotNo = 0;
/* A full-page screenshot, or with `at` (a selector) the window around that element. */
async function shot(page, name, at) {
	const file = path.join(ARTIFACTS, `${String(++shotNo).padStart(2, '0')}-${name}.png`);
	await page.waitForLoadState('load');
	if (at)
		await page.locator(at).first().evaluate((el) => el.scrollIntoView({ block: 'center' }));
	/* A full page takes long on a loaded machine: the capture gets a minute. */
	try {
		await page.screenshot({ path: file, fullPage: !at, timeout: 60000 });
	} catch (err) {	/* Chromium refuses a capture in the middle of a repaint now and then */
		await page.waitForTimeout(500);
		await page.screenshot({ path: file, fullPage: !at, timeout: 60000 });
	}
}

function check(cond, message) {
	if (!cond)
		throw new Error(message);
}

async function text(page, selector) {
	return (await page.locator(selector).first().textContent() || '').trim();
}

async function login(page, base, login) {
	await page.goto(base + '/login');
	await page.fill('#f-login', login);
	await page.fill('#f-password', PASSWORD);
	await Promise.all([page.waitForURL((u) => !u.pathname.startsWith('/login')), page.click('#login-form button[type="submit"]')]);
}

/* Submits the form of action `action` and waits for the redirect that says it is done. */
async function act(page, action) {
	await Promise.all([
		page.waitForURL((u) => u.searchParams.get('done') === action),
		page.click(`#action-${action} button[type="submit"]`),
	]);
}

/* A JSON API call with the page's session and CSRF token: {status, json}. */
async function api(page, method, url, body) {
	return page.evaluate(async ([method, url, body]) => {
		const csrf = document.querySelector('input[name="csrf_token"]').value;
		const r = await fetch(url, { method, body: body ? JSON.stringify(body) : undefined,
			headers: { 'Content-Type': 'application/json', 'X-CSRF-Token': csrf } });
		return { status: r.status, json: await r.json().catch(() => null) };
	}, [method, url, body]);
}

/* Overflows a user would see on the page now: the page wider than the window,
 * a card whose content spills out of it (a container that scrolls by design
 * is fine), a date-time field too narrow for its value. */
async function overflows(page) {
	return page.evaluate(() => {
		const out = [];
		const doc = document.documentElement;
		if (doc.scrollWidth > doc.clientWidth + 1)
			out.push(`the page is ${doc.scrollWidth} px wide in a ${doc.clientWidth} px window`);
		for (const el of document.querySelectorAll('.card, .cols > *, main')) {
			const style = getComputedStyle(el);
			if (style.overflowX === 'auto' || style.overflowX === 'scroll' || el.offsetParent === null)
				continue;
			if (el.scrollWidth > el.clientWidth + 1)
				out.push(`${el.tagName.toLowerCase()}#${el.id || '-'}.${[...el.classList].join('.')} holds ${el.scrollWidth} px in ${el.clientWidth} px`);
		}
		for (const el of document.querySelectorAll('input[type="datetime-local"]')) {
			if (el.offsetParent !== null && el.getBoundingClientRect().width < 200)
				out.push(`${el.id}: a date-time field of ${Math.round(el.getBoundingClientRect().width)} px cuts its value`);
		}
		return out;
	});
}

async function completedCount(page) {
	return Number(await text(page, '[data-status="completed"] dd'));
}

async function main() {
	const results = [];
	let server = null;
	fs.mkdirSync(ARTIFACTS, { recursive: true });
	for (const f of fs.readdirSync(ARTIFACTS))
		if (f.endsWith('.png'))
			fs.rmSync(path.join(ARTIFACTS, f));

	const state = {};
	const steps = [
		['setup: demo city, users, server', async () => {
			check(DB, 'HOTLINE_TEST_DB is not set');
			state.logins = setupCity();
			server = await startServer();
			state.base = server.base;
		}],
		['supervisor logs in and sees the dashboard', async () => {
			state.sup = await newUser('supervisor');
			await login(state.sup, state.base, state.logins.supervisor);
			check(new URL(state.sup.url()).pathname === '/dashboard', `supervisor landed on ${state.sup.url()}`);
			check(await text(state.sup, '#me-role') === '督办', 'the navigation bar names the role 督办');
			state.completedBefore = await completedCount(state.sup);
			await shot(state.sup, 'supervisor-dashboard-before');
		}],
		['administrator sets callbacks due at once', async () => {
			state.admin = await newUser('admin');
			const p = state.admin;
			await login(p, state.base, state.logins.admin);
			await p.goto(state.base + '/admin/settings');
			state.delayBefore = await p.inputValue('#f-delay_workdays');
			await p.fill('#f-delay_workdays', '0');
			await Promise.all([p.waitForURL(/done=callbacks/), p.click('#save-callbacks')]);
			check((await text(p, '.flash')).includes('已保存回访设置'), 'the settings were saved');
			check(await p.inputValue('#f-delay_workdays') === '0', 'the delay shows 0');
			await shot(p, 'admin-settings');
			// Other tests' open callbacks must not come before ours in the shared queue.
			psql("UPDATE callback_task SET due_at = due_at + interval '1000 years', held_by = NULL, held_until = NULL"
				+ " WHERE status = 'open' AND due_at < now() + interval '100 years'");
		}],
		['administrator adds a routing rule; an invalid pattern is named', async () => {
			const p = state.admin;
			state.ruleName = `路灯报修 ${SUFFIX}`;
			await p.goto(state.base + '/admin/rules');
			await p.click('#add-rule > summary');
			await p.fill('#f-name', state.ruleName);
			await p.fill('#f-priority', '900');
			await p.fill('#f-pattern', '路灯(不亮|坏了');
			await p.selectOption('#f-suggest_category', '010102');
			await p.selectOption('#f-suggest_department', 'SCGJ');
			await Promise.all([p.waitForLoadState('load'), p.waitForURL(/\/admin\/rules$/), p.click('#rule-form button[type="submit"]')]);
			const msg = await text(p, '#e-pattern');
			check(msg === '正则表达式有误（第 9 个字符处）：missing closing parenthesis', `the pattern error says: ${msg}`);
			check(await p.locator('#pattern-mark mark').count() === 1, 'the place of the error is marked');
			check(await p.inputValue('#f-name') === state.ruleName, 'what was typed is kept');
			await shot(p, 'admin-rules-invalid-pattern');
			await p.fill('#f-pattern', '路灯(不亮|坏了)');
			await Promise.all([p.waitForURL(/done=added/), p.click('#rule-form button[type="submit"]')]);
			check(await p.locator(`#rule-list tr:has-text("${state.ruleName}")`).count() === 1, 'the rule is listed');
		}],
		['a call comes in: the panel pops up within a second, without a reload', async () => {
			state.agent = await newUser('agent');
			const p = state.agent;
			await login(p, state.base, state.logins.agent);
			check(new URL(p.url()).pathname === '/console', `agent landed on ${p.url()}`);
			check(await text(p, '#me-name') === '话务员甲', 'the navigation bar names the agent');
			await shot(p, 'agent-console', '.topbar');
			await p.evaluate(() => { window.sameDocument = true; });
			await p.waitForTimeout(500);	/* the console's waiting request is out */
			state.phone = '13912345678';
			const callId = `browser-${SUFFIX}`;
			let answeredAt = 0;
			for (const ev of [{ type: 'offered', call_id: callId, caller: state.phone, dialled: '12345', queue: 'q1' },
				{ type: 'answered', call_id: callId, agent: state.logins.agent }]) {
				const r = await p.evaluate(async (body) => {
					const csrf = document.querySelector('input[name="csrf_token"]').value;
					const sent = performance.now();
					const r = await fetch('/api/v1/calls/events', { method: 'POST', body: JSON.stringify(body),
						headers: { 'Content-Type': 'application/json', 'X-CSRF-Token': csrf } });
					return { status: r.status, sent };
				}, ev);
				check(r.status === 201 || r.status === 200, `the call event was refused: ${r.status}`);
				answeredAt = r.sent;
			}
			await p.waitForSelector(`#call[data-call-id="${callId}"]`, { timeout: 5000 });
			const shownAt = await p.evaluate(() => performance.now());
			state.popMs = Math.round(shownAt - answeredAt);
			console.log(`   screen-pop: the panel showed ${state.popMs} ms after POST /api/v1/calls/events (answered)`);
			check(await p.evaluate(() => window.sameDocument === true), 'the page was not reloaded');
			check(await text(p, '#call-phone') === state.phone, 'the call panel shows the number');
			check(await p.inputValue('#f-caller_phone') === state.phone, 'the phone is filled in');
			check(await p.inputValue('#order-form input[name="call_id"]') === callId, 'the form carries the call link');
			check(await p.locator('#form-call').count() === 1, 'the form says it belongs to the call');
			await shot(p, 'agent-console-call', '#call');
		}],
		['agent types the call and takes the live suggestion', async () => {
			const p = state.agent;
			state.content = `景山前街路灯不亮已三天，夜间行人摔倒 ${SUFFIX}`;
			await p.selectOption('#f-request_type', 'complaint');
			await p.selectOption('#f-urgency', 'normal');
			await p.fill('#f-caller_name', '李四');
			await p.selectOption('#f-district', 'D01');
			await p.selectOption('#f-street', 'D01-S02');
			await p.fill('#f-address', '景山前街 1 号');
			await p.type('#f-content', state.content, { delay: 5 });
			const mine = p.locator(`#sugg-list li:has-text("${state.ruleName}")`);
			await mine.waitFor();
			await mine.locator('button').click();
			check(await p.inputValue('#f-category') === '010102', 'the suggestion filled the category');
			check(await p.inputValue('#f-department') === 'SCGJ', 'the suggestion filled the unit');
			check((await mine.locator('button').textContent()).trim() === '已采用', 'the suggestion is marked taken');
			await p.fill('#f-request', '尽快修复路灯');
			await shot(p, 'agent-console-suggestions', '#suggest');
		}],
		['agent registers the order', async () => {
			const p = state.agent;
			await Promise.all([p.waitForURL(/\/console\?current=/), p.click('#register-btn')]);
			state.number = await p.getAttribute('#current', 'data-number');
			check(/^\d{8}-\d{6}$/.test(state.number || ''), `no order number on the console: ${state.number}`);
			check((await text(p, '.flash')).includes(state.number), 'the notice names the new order');
			check(await p.locator('#action-dispatch[open]').count() === 1, 'the dispatch form is open');
			check(await p.inputValue('#a-dispatch-department') === 'SCGJ', 'the suggested unit is chosen');
			for (const a of ['answer', 'not_accept', 'transfer_out'])
				check(await p.locator(`#action-${a}`).count() === 1, `the console offers ${a}`);
			await shot(p, 'agent-registered', '#current');
		}],
		['agent dispatches it to 市城管委', async () => {
			const p = state.agent;
			await p.selectOption('#a-dispatch-department', 'SCGJ');
			await p.selectOption('#a-dispatch-assisting', ['SCGJ-HW']);
			await p.fill('#a-dispatch-note', '请尽快处理');
			await act(p, 'dispatch');
			check((await text(p, '.flash')).includes(`工单 ${state.number}：已派单`), 'the notice says it was dispatched');
			const row = p.locator(`#sec-today tr[data-number="${state.number}"]`);
			check((await row.locator('.status').textContent()).trim() === '待签收', 'today\'s list shows 待签收');
			await shot(p, 'agent-dispatched', '.topbar');
		}],
		['the caller phones again: the call panel finds the open order and records a chase-up', async () => {
			const p = state.agent;
			const callId = `browser-again-${SUFFIX}`;
			for (const ev of [{ type: 'offered', call_id: callId, caller: `+86 ${state.phone.slice(0, 3)} ${state.phone.slice(3, 7)} ${state.phone.slice(7)}`, dialled: '12345', queue: 'q1' },
				{ type: 'answered', call_id: callId, agent: state.logins.agent }]) {
				const status = await p.evaluate(async (body) => {
					const csrf = document.querySelector('input[name="csrf_token"]').value;
					const r = await fetch('/api/v1/calls/events', { method: 'POST', body: JSON.stringify(body),
						headers: { 'Content-Type': 'application/json', 'X-CSRF-Token': csrf } });
					return r.status;
				}, ev);
				check(status === 201 || status === 200, `the call event was refused: ${status}`);
			}
			await p.goto(state.base + '/console');
			const row = p.locator(`#call-orders tr[data-number="${state.number}"]`);
			check(await row.count() === 1, 'the call panel lists the caller\'s open order');
			await row.locator('input[name="note"]').fill('市民再次来电催问进度');
			await shot(p, 'agent-call-chase', '#call');
			await Promise.all([p.waitForURL(/done=chase/), row.locator('button[type="submit"]').click()]);
			check((await text(p, '.flash')).includes(`工单 ${state.number}：已催办`), 'the notice says the chase-up was recorded');
		}],
		['agent finds the order by a two-character term', async () => {
			const p = state.agent;
			await p.goto(state.base + '/search');
			await p.fill('#s-q', '路灯');
			await Promise.all([p.waitForURL(/\/search\?.*q=/), p.click('#search-form button[type="submit"]')]);
			check(new URL(p.url()).searchParams.get('q') === '路灯', 'the query is in the URL');
			const row = p.locator(`#results tr[data-number="${state.number}"]`);
			check(await row.count() === 1, 'the order is found by 路灯');
			check(await row.locator('.mk-chased').count() === 1, 'the result is marked 催办');
			check(await p.locator('#search-export').count() === 1, 'the result can be exported');
			await shot(p, 'agent-search-two-characters');
		}],
		['department handler sees it in the inbox', async () => {
			state.dept = await newUser('department');
			const p = state.dept;
			await login(p, state.base, state.logins.dept);
			check(new URL(p.url()).pathname === '/inbox', `department landed on ${p.url()}`);
			check(await text(p, '#me-dept') === '市城管委', 'the navigation bar names the department');
			const row = p.locator(`#sec-unsigned tr[data-number="${state.number}"]`);
			check(await row.count() === 1, 'the order is among the unsigned orders');
			check(await row.locator('.badge-green').count() >= 1, 'its deadline badge is green');
			check(await row.locator('.mk-chased').count() === 1, 'the inbox marks the caller\'s chase-up');
			check(await row.locator('a.next-action').count() === 1, 'the next action is one click away');
			await shot(p, 'department-inbox');
			await Promise.all([p.waitForURL(`**/orders/${state.number}`), row.locator('a').first().click()]);
		}],
		['department handler signs for it', async () => {
			const p = state.dept;
			check(await p.locator('#action-return').count() === 1, 'return is offered too');
			check(await p.locator('#action-dispatch').count() === 0, 'dispatch is not offered to a department');
			check(await p.locator('#order-content').textContent() === state.content, 'the content is shown');
			await act(p, 'sign');
			check(await text(p, '#order-status') === '办理中', 'the order is 办理中');
			await shot(p, 'department-signed');
		}],
		['department handler replies', async () => {
			const p = state.dept;
			await p.fill('#a-reply-result', '已更换损坏的灯泡和镇流器，路灯恢复照明');
			await p.check('#action-reply input[name="solved"][value="true"]');
			await p.check('#action-reply input[name="contacted"][value="true"]');
			await act(p, 'reply');
			check(await text(p, '#order-status') === '待回访', 'the order is 待回访');
			check((await text(p, '#order-result')).startsWith('已更换'), 'the result is shown');
			await shot(p, 'department-replied');
		}],
		['agent takes the callback from the queue and records it', async () => {
			const p = state.agent;
			await p.goto(`${state.base}/callbacks`);
			check(await p.locator(`#task-list tr[data-number="${state.number}"]`).count() === 1, 'the order is due for a callback');
			await Promise.all([p.waitForURL(/done=taken/), p.click('#take-next')]);
			check(await p.getAttribute('#held', 'data-number') === state.number, 'the agent holds this order\'s callback');
			check(await text(p, '#held-phone') === state.phone, 'the phone to dial is shown');
			await p.check('#record-form input[name="satisfaction"][value="satisfied"]');
			await p.check('#record-form input[name="solved"][value="true"]');
			await p.fill('#f-comment', '市民表示满意');
			await shot(p, 'agent-callback-queue');
			await Promise.all([p.waitForURL(/done=rated/), p.click('#record-btn')]);
			check((await text(p, '.flash')).includes(`工单 ${state.number} 已办结`), 'the notice says the order is completed');
			await p.goto(`${state.base}/orders/${state.number}`);
			check(await text(p, '#order-status') === '已办结', 'the order is 已办结');
			const events = await p.locator('#timeline .event').evaluateAll((els) => els.map((e) => e.dataset.action));
			check(JSON.stringify(events) === JSON.stringify(['register', 'dispatch', 'chase', 'sign', 'reply', 'callback']),
				`the timeline is ${events}`);
			await shot(p, 'agent-callback');
		}],
		['supervisor sees the completed count go up, with the charts', async () => {
			const p = state.sup;
			await p.reload();
			const now = await completedCount(p);
			check(now === state.completedBefore + 1, `completed went from ${state.completedBefore} to ${now}`);
			for (const sel of ['#trend-rate svg.chart-line', '#trend-orders svg.chart-columns', '#units svg.chart-hbars', '#fig-connection svg.meter'])
				check(await p.locator(sel).count() >= 1, `the dashboard draws ${sel}`);
			check(await p.locator('#units svg text.name', { hasText: '市城管委' }).count() === 1, 'the unit bars name 市城管委');
			await shot(p, 'supervisor-dashboard-after');
		}],
		['supervisor opens the wallboard', async () => {
			const p = state.sup;
			await p.goto(`${state.base}/wallboard`);
			check(await p.locator('meta[http-equiv="refresh"]').count() === 1, 'the wallboard refreshes itself');
			check(Number(await text(p, '#wall-done')) >= 1, 'today\'s completed orders are shown');
			await shot(p, 'supervisor-wallboard');
		}],
		['a hostile order is shown as text and fires no dialog', async () => {
			const p = state.agent;
			const content = '<script>alert(1)</script>';
			const name = '"><img src=x onerror=alert(1)>';
			await p.goto(state.base + '/console');
			await p.selectOption('#f-request_type', 'report');
			await p.fill('#f-caller_name', name);
			await p.fill('#f-content', content);
			await Promise.all([p.waitForURL(/\/console\?current=/), p.click('#register-btn')]);
			const number = await p.getAttribute('#current', 'data-number');
			await shot(p, 'hostile-console', '#current');
			await p.goto(`${state.base}/orders/${number}`);
			await p.waitForTimeout(300);
			check(await p.locator('#order-content').textContent() === content, 'the content is shown as text');
			check(await p.locator('#caller-name').textContent() === name, 'the caller name is shown as text');
			check(await p.locator('img[src="x"]').count() === 0, 'no <img> was injected');
			check(await p.locator('main script').count() === 0, 'no <script> was injected');
			check(p.dialogs.length === 0, `dialogs fired: ${p.dialogs.join(', ')}`);
			await shot(p, 'hostile-order');
		}],
		['a unit asks to return an order; the supervisor opens the dashboard count into the list', async () => {
			const a = state.agent, d = state.dept, p = state.sup;
			await a.goto(state.base + '/console');
			let r = await api(a, 'POST', '/api/v1/orders', { request_type: 'complaint', urgency: 'normal',
				category: '010101', caller_phone: '13912345679', address: '东华门大街 2 号',
				content: `路面塌陷需要抢修，但属于其他单位的管线 ${SUFFIX}`, request: '尽快处理' });
			check(r.status === 201, `the order was refused: ${r.status}`);
			state.returned = r.json.number;
			r = await api(a, 'POST', `/api/v1/orders/${state.returned}/actions/dispatch`, { department: 'SCGJ' });
			check(r.status === 200, `dispatch: ${r.status}`);
			await d.goto(state.base + '/inbox');
			r = await api(d, 'POST', `/api/v1/orders/${state.returned}/actions/return`,
				{ reason: '塌陷处是燃气管线施工所致，不属本单位职责' });
			check(r.status === 200, `return: ${r.status} ${JSON.stringify(r.json)}`);
			await p.goto(state.base + '/dashboard');
			await Promise.all([p.waitForURL(/\/search\?status=return_requested/), p.click('#count-return')]);
			check(await p.locator(`#results tr[data-number="${state.returned}"]`).count() === 1,
				'the count opens the list that holds the order');
			await shot(p, 'supervisor-dashboard-count-opened');
		}],
		['the reviewer finds it in 退单待审 and sends it to the right unit', async () => {
			state.reviewer = await newUser('reviewer');
			const p = state.reviewer;
			await login(p, state.base, state.logins.reviewer);
			const queue = p.locator('.nav a', { hasText: '退单待审' });
			check(await queue.count() === 1, 'the reviewer\'s navigation has the 退单待审 queue');
			check(Number(await queue.locator('.count').textContent()) >= 1, 'the queue is counted');
			await Promise.all([p.waitForURL(/status=return_requested/), queue.click()]);
			const row = p.locator(`#results tr[data-number="${state.returned}"]`);
			check(await row.count() === 1, 'the returned order is in the queue');
			await shot(p, 'reviewer-return-queue');
			await Promise.all([p.waitForURL(`**/orders/${state.returned}**`), row.locator('a').first().click()]);
			if (await p.locator('#action-approve_return[open]').count() === 0)
				await p.click('#action-approve_return > summary');
			await p.selectOption('#a-approve_return-department', 'SSWJ');
			await act(p, 'approve_return');
			check((await text(p, '.flash')).includes('已同意退单并改派'), 'the notice says the return was approved');
			check(await p.locator('.timeline, #timeline, body').first().textContent().then((t) => t.includes('市水务局')),
				'the order now goes to 市水务局');
		}],
		['every page fits at 1440 and 1024 px', async () => {
			// An order sent to 110, for its message card.
			const a = state.agent;
			let r = await api(a, 'POST', '/api/v1/orders', { request_type: 'help', urgency: 'urgent',
				category: '010101', caller_phone: '13912345670', address: '景山前街 9 号小区',
				content: `楼下有人持械斗殴，已有人受伤，需要警方到场 ${SUFFIX}`, request: '请警方处置' });
			check(r.status === 201, `the order was refused: ${r.status}`);
			const police = r.json.number;
			r = await api(a, 'POST', `/api/v1/orders/${police}/actions/transfer_out`,
				{ target: '110', note: '涉及人身安全，转 110 处置' });
			check(r.status === 200, `transfer_out: ${r.status} ${JSON.stringify(r.json)}`);
			// An order the unit handles, for its extension form.
			r = await api(a, 'POST', '/api/v1/orders', { request_type: 'complaint', urgency: 'normal',
				category: '010101', caller_phone: '13912345671', address: '东华门大街 5 号',
				content: `人行道地砖大面积松动，雨天溅水 ${SUFFIX}`, request: '更换地砖' });
			check(r.status === 201, `the order was refused: ${r.status}`);
			const handled = r.json.number;
			check((await api(a, 'POST', `/api/v1/orders/${handled}/actions/dispatch`, { department: 'SCGJ' })).status === 200,
				'dispatch');
			await state.dept.goto(state.base + '/inbox');
			check((await api(state.dept, 'POST', `/api/v1/orders/${handled}/actions/sign`, {})).status === 200, 'sign');
			const pages = [
				[a, '/console', 'agent-console'],
				[a, `/orders/${police}`, 'order-sent-to-110'],
				[a, `/search?q=${encodeURIComponent('路灯')}`, 'search'],
				[state.dept, '/inbox', 'department-inbox'],
				[state.dept, `/orders/${handled}#action-request_extension`, 'department-order'],
				[state.sup, '/dashboard', 'supervisor-dashboard'],
				[state.sup, '/callbacks', 'supervisor-callbacks'],
				[state.reviewer, '/search?status=return_requested&order=oldest', 'reviewer-queue'],
				[state.admin, '/admin/users', 'admin-users'],
				[state.admin, `/admin/rules?try_content=${encodeURIComponent('路灯不亮')}`, 'admin-rules'],
			];
			const found = [];
			for (const width of [1440, 1024]) {
				for (const [p, url, name] of pages) {
					await p.setViewportSize({ width, height: 900 });
					await p.goto(state.base + url);
					for (const o of await overflows(p))
						found.push(`${name} at ${width} px: ${o}`);
					await shot(p, `${name}-${width}`);
				}
			}
			for (const p of new Set(pages.map((x) => x[0])))
				await p.setViewportSize({ width: 1280, height: 900 });
			check(found.length === 0, `overflows:\n  ${found.join('\n  ')}`);
		}],
		['administrator puts the callback delay back and deletes the rule', async () => {
			const p = state.admin;
			await p.goto(state.base + '/admin/settings');
			await p.fill('#f-delay_workdays', state.delayBefore);
			await Promise.all([p.waitForURL(/done=callbacks/), p.click('#save-callbacks')]);
			await p.goto(state.base + '/admin/rules');
			await Promise.all([p.waitForURL(/\/admin\/rules\/\d+$/),
				p.locator(`#rule-list tr:has-text("${state.ruleName}") a`).click()]);
			await Promise.all([p.waitForURL(/done=deleted/), p.click('.delete-form button')]);
			check(await p.locator(`#rule-list tr:has-text("${state.ruleName}")`).count() === 0, 'the rule is gone');
		}],
		['a citizen files a request on the public page, on a phone-sized screen', async () => {
			hotline(['channel', 'publish', '010102']);
			state.citizen = await newUser('citizen');
			const p = state.citizen;
			await p.setViewportSize({ width: 390, height: 844 });
			await p.goto(state.base + '/public/new');
			check(await p.locator('#f-service option[value="010102"]').count() === 1, 'the public service is offered');
			await p.selectOption('#f-service', '010102');
			await p.fill('#f-description', '小区东门外两盏路灯一直不亮，晚上行人看不清路。');
			await p.fill('#f-address', '东城区景山前街 3 号');
			await p.fill('#f-name', '赵六');
			state.citizenPhone = '139' + String(Date.now()).slice(-8);
			await p.fill('#f-phone', state.citizenPhone);
			await shot(p, 'citizen-new');
			await Promise.all([p.waitForSelector('#public-number'), p.click('#public-new button[type="submit"]')]);
			state.publicNumber = await text(p, '#public-number');
			check(/^\d{8}-\d{6}$/.test(state.publicNumber), `an order number: ${state.publicNumber}`);
			await shot(p, 'citizen-submitted');
		}],
		['the request waits in the agent\'s 待派单 queue; the agent dispatches it', async () => {
			const p = state.agent;
			await p.goto(`${state.base}/orders/${state.publicNumber}`);
			check(await text(p, '#order-status') === '待派单', 'the order is 待派单');
			await p.selectOption('#a-dispatch-department', 'SCGJ');
			await act(p, 'dispatch');
		}],
		['the citizen follows the status by number and phone', async () => {
			const p = state.citizen;
			await Promise.all([p.waitForURL(/\/public\/status/), p.click('#public-status-link')]);
			check(await p.inputValue('#f-number') === state.publicNumber, 'the number is filled in');
			await p.fill('#f-phone', state.citizenPhone);
			await Promise.all([p.waitForSelector('#public-order'), p.click('#public-lookup button[type="submit"]')]);
			check(await text(p, '#public-status') === '待签收', `the status is 待签收: ${await text(p, '#public-status')}`);
			check(await text(p, '#public-unit') === '市城管委', 'the responsible unit is named');
			check(await p.locator('#public-rate').count() === 0, 'nothing to rate yet');
			await shot(p, 'citizen-status-dispatched');
		}],
		['the unit replies; the citizen sees the reply and rates it once', async () => {
			const d = state.dept;
			await d.goto(`${state.base}/orders/${state.publicNumber}`);
			await act(d, 'sign');
			await d.fill('#a-reply-result', '已修复线路，两盏路灯恢复照明');
			await d.check('#action-reply input[name="solved"][value="true"]');
			await d.check('#action-reply input[name="contacted"][value="true"]');
			await act(d, 'reply');
			const p = state.citizen;
			await p.goto(`${state.base}/public/status?number=${state.publicNumber}`);
			await p.fill('#f-phone', state.citizenPhone);
			await Promise.all([p.waitForSelector('#public-order'), p.click('#public-lookup button[type="submit"]')]);
			check((await text(p, '#public-reply')).startsWith('已修复线路'), 'the reply is shown');
			check((await text(p, '#public-steps')).includes('承办单位已答复'), 'the steps include the reply');
			await p.check('#public-rate input[name="satisfaction"][value="satisfied"]');
			await p.check('#public-rate input[name="solved"][value="true"]');
			await shot(p, 'citizen-rate', '#public-rate');
			await Promise.all([p.waitForSelector('#public-rating'), p.click('#public-rate button[type="submit"]')]);
			check(await text(p, '#public-rating') === '满意', 'the rating is shown');
			check(await p.locator('#public-rate').count() === 0, 'it cannot be rated again');
			await shot(p, 'citizen-rated');
		}],
		['pages ran without CSP violations or script errors', async () => {
			check(problems.length === 0, problems.join('\n'));
		}],
	];

	let failedAt = null;
	for (const [name, fn] of steps) {
		if (failedAt) {
			results.push({ name, status: 'skipped' });
			console.log(`skip - ${name} (after the failure of "${failedAt}")`);
			continue;
		}
		const t0 = Date.now();
		try {
			await fn();
			results.push({ name, status: 'passed' });
			console.log(`ok   - ${name} (${Date.now() - t0} ms)`);
		} catch (err) {
			results.push({ name, status: 'failed' });
			console.log(`FAIL - ${name}: ${err.message}`);
			for (const b of browsers) {
				const page = b.context.pages()[0];
				if (page)
					await shot(page, 'FAILED').catch(() => {});
			}
			failedAt = name;
		}
	}

	for (const b of browsers) {
		await b.context.close().catch(() => {});
		fs.rmSync(b.dir, { recursive: true, force: true });
	}
	if (server) {
		const rc = await stopServer(server);
		const log = fs.readFileSync(server.logPath, 'utf8');
		const clean = rc === 0 && !/ERROR: AddressSanitizer|runtime error:|LeakSanitizer/.test(log);
		results.push({ name: 'server stops cleanly on SIGTERM', status: clean ? 'passed' : 'failed' });
		console.log(`${clean ? 'ok  ' : 'FAIL'} - server stops cleanly on SIGTERM (exit ${rc})${clean ? '' : '\n' + log.slice(-3000)}`);
		console.log(`server time per page (from the access log, ${server.logPath}):\n${pageTimes(server.logPath)}`);
	}
	console.log(`screenshots: ${ARTIFACTS}`);
	const count = (s) => results.filter((r) => r.status === s).length;
	const skipped = count('skipped');
	console.log(`browser: ${count('passed')} passed, ${count('failed')} failed${skipped ? `, ${skipped} skipped` : ''}`);
	return count('failed') === 0 && skipped === 0 ? 0 : 1;
}

main().then((code) => process.exit(code), (err) => {
	console.error(err);
	console.log('browser: 0 passed, 1 failed');
	process.exit(1);
});
