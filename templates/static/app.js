/* 12345 热线工单: small enhancements. Every page works without this file. */
(function () {
	'use strict';

	function duration(s) {
		var d = Math.floor(s / 86400), h = Math.floor(s % 86400 / 3600), m = Math.floor(s % 3600 / 60);
		if (d > 0) return d + '天' + h + '小时';
		if (h > 0) return h + '小时' + m + '分';
		return m + '分';
	}

	/* Deadline badges count down; one that runs out turns red. */
	function tick() {
		var now = Date.now() / 1000;
		document.querySelectorAll('[data-deadline]').forEach(function (el) {
			var left = Math.round(Number(el.getAttribute('data-deadline')) - now);
			var cls = el.getAttribute('data-cls');
			var prefix = el.getAttribute('data-prefix') || '';
			if (!isFinite(left)) return;
			if (left <= 0) {
				el.classList.remove('badge-green', 'badge-yellow');
				el.classList.add('badge-red');
				el.textContent = prefix + '超时 ' + duration(-left);
			} else {
				el.textContent = prefix + (cls === 'yellow' ? '临期 · 剩余 ' : '剩余 ') + duration(left);
			}
		});
	}

	/* The street list shows the streets of the chosen district. */
	function streets() {
		var district = document.getElementById('f-district');
		var street = document.getElementById('f-street');
		if (!district || !street) return;
		function filter() {
			var d = district.value;
			street.querySelectorAll('optgroup').forEach(function (g) {
				g.hidden = d !== '' && g.getAttribute('data-district') !== d;
			});
			var chosen = street.selectedOptions[0];
			if (chosen && chosen.parentNode.hidden) street.value = '';
		}
		district.addEventListener('change', filter);
		street.addEventListener('change', function () {
			var g = street.selectedOptions[0] && street.selectedOptions[0].parentNode;
			if (g && g.tagName === 'OPTGROUP' && district.value === '') {
				district.value = g.getAttribute('data-district');
				filter();
			}
		});
		filter();
	}

	/* A form is sent once: the button is disabled while the page loads. */
	function once() {
		document.querySelectorAll('form').forEach(function (f) {
			f.addEventListener('submit', function () {
				f.querySelectorAll('button[type="submit"]').forEach(function (b) {
					setTimeout(function () { b.disabled = true; }, 0);
				});
			});
		});
	}

	/* The first field with an error is opened and focused. */
	function focusError() {
		var bad = document.querySelector('[aria-invalid="true"]');
		if (!bad) return;
		var d = bad.closest('details');
		if (d) d.open = true;
		if (bad.tagName === 'FIELDSET') bad = bad.querySelector('input') || bad;
		bad.focus();
	}

	function el(tag, cls, text) {
		var e = document.createElement(tag);
		if (cls) e.className = cls;
		if (text !== undefined && text !== null) e.textContent = text;
		return e;
	}

	var STATUS = {
		pending: '待派单', dispatched: '待签收', in_progress: '办理中', return_requested: '退单待审',
		extension_requested: '延期待审', suspended: '挂起', awaiting_callback: '待回访'
	};
	var REASONS = { same_phone: '同一来电号码', same_address_category: '同一地址、同一分类' };

	function shortTime(iso) {
		return iso ? iso.slice(0, 10) + ' ' + iso.slice(11, 16) : '';
	}

	function excerpt(s, n) {
		s = (s || '').replace(/\s+/g, ' ');
		return s.length > n ? s.slice(0, n) + '…' : s;
	}

	/* The suggestions panel, as the server renders it, from POST /api/v1/orders/suggest. */
	function renderSuggestions(body, data) {
		body.textContent = '';
		if (data.police)
			body.appendChild(el('p', 'police-note', '规则提示：此来电可能属于 110 警情（公安处置），请考虑转 110。'));
		if (data.suggestions.length) {
			var ol = el('ol', 'sugg-list');
			ol.id = 'sugg-list';
			data.suggestions.forEach(function (s, i) {
				var li = el('li', 'sugg'), text = el('div', 'sugg-text'), head = el('div'), what = el('div', 'sugg-what');
				head.appendChild(el('strong', null, s.rule.name));
				head.appendChild(document.createTextNode(' '));
				head.appendChild(el('span', 'muted small', '匹配' + (s.field === 'address' ? '地址' : '来电内容') + '“' + s.matched + '”'));
				if (s.category) what.appendChild(el('span', 'tag', s.category.name));
				if (s.department) what.appendChild(el('span', 'sugg-dept', '→ ' + s.department.name));
				if (s.urgency) { what.appendChild(document.createTextNode(' ')); what.appendChild(el('span', 'badge badge-grey', s.urgency.name)); }
				if (s.police) { what.appendChild(document.createTextNode(' ')); what.appendChild(el('span', 'badge badge-red', '转 110')); }
				text.appendChild(head);
				text.appendChild(what);
				var b = el('button', 'btn small', '采用');
				b.type = 'submit';
				b.name = 'accept';
				b.value = String(i);
				b.formNoValidate = true;
				b.setAttribute('data-rule', String(s.rule.id));
				b.setAttribute('data-category', s.category ? s.category.code : '');
				b.setAttribute('data-department', s.department ? s.department.code : '');
				b.setAttribute('data-urgency', s.urgency ? s.urgency.code : '');
				b.setAttribute('data-police', s.police ? '1' : '');
				li.appendChild(text);
				li.appendChild(b);
				ol.appendChild(li);
			});
			body.appendChild(ol);
		} else {
			body.appendChild(el('p', 'empty', '派单目录中没有与此内容匹配的规则，请人工选择分类和承办单位。'));
		}
		if (data.duplicates.length) {
			body.appendChild(el('h4', null, '可能重复的工单'));
			var ul = el('ul', 'dup-list');
			ul.id = 'dup-list';
			data.duplicates.forEach(function (d) {
				var li = el('li', 'dup'), text = el('div', 'dup-text'), head = el('div'), a = el('a', null, d.number);
				a.href = '/orders/' + encodeURIComponent(d.number);
				head.appendChild(a);
				head.appendChild(document.createTextNode(' '));
				head.appendChild(el('span', 'status st-' + d.status, STATUS[d.status] || d.status));
				head.appendChild(document.createTextNode(' '));
				head.appendChild(el('span', 'muted small', shortTime(d.created_at) + ' · ' +
					(d.reasons || []).map(function (r) { return REASONS[r] || r; }).join('；')));
				text.appendChild(head);
				text.appendChild(el('div', 'small', excerpt(d.content, 48)));
				var b = el('button', 'btn small', '并入此单');
				b.type = 'submit';
				b.name = 'merge_into';
				b.value = d.number;
				li.appendChild(text);
				li.appendChild(b);
				ul.appendChild(li);
			});
			body.appendChild(ul);
		}
	}

	/* Accepting a suggestion fills the form; without this script the server does it. */
	function accept(form, b) {
		function set(id, v) {
			var f = document.getElementById(id);
			if (f && v && f.querySelector('option[value="' + CSS.escape(v) + '"]')) f.value = v;
		}
		set('f-category', b.getAttribute('data-category'));
		set('f-urgency', b.getAttribute('data-urgency'));
		set('f-department', b.getAttribute('data-department'));
		var police = document.getElementById('f-police');
		if (police) police.checked = b.getAttribute('data-police') === '1';
		var rule = document.getElementById('f-suggestion_rule');
		if (rule) rule.value = b.getAttribute('data-rule') || '';
		form.querySelectorAll('.sugg').forEach(function (li) {
			li.classList.remove('accepted');
			var x = li.querySelector('button[name="accept"]');
			if (x) x.textContent = '采用';
		});
		b.closest('.sugg').classList.add('accepted');
		b.textContent = '已采用';
	}

	/* Live suggestions while the agent types (debounced), and accepting them in place. */
	function suggestions() {
		var form = document.getElementById('order-form');
		var panel = document.getElementById('suggest');
		var body = document.getElementById('suggest-body');
		if (!form || !panel || !body || !window.fetch) return;
		var csrf = form.querySelector('input[name="csrf_token"]').value;
		var timer = null, seq = 0, last = '';
		function val(name) {
			var f = form.elements[name];
			return f && f.value.trim() ? f.value.trim() : undefined;
		}
		function ask() {
			var content = val('content');
			if (!content || content.length < 4) return;
			var req = { content: content, address: val('address'), category: val('category'),
				district: val('district'), street: val('street'), caller_phone: val('caller_phone') };
			var key = JSON.stringify(req);
			if (key === last) return;
			last = key;
			var mine = ++seq;
			panel.classList.add('loading');
			fetch('/api/v1/orders/suggest', {
				method: 'POST', credentials: 'same-origin', body: key,
				headers: { 'Content-Type': 'application/json', 'X-CSRF-Token': csrf }
			}).then(function (r) {
				if (!r.ok) throw new Error(String(r.status));
				return r.json();
			}).then(function (data) {
				if (mine !== seq) return;
				renderSuggestions(body, data);
			}).catch(function () {
				last = '';	/* e.g. a phone number still being typed: try again later */
			}).then(function () {
				if (mine === seq) panel.classList.remove('loading');
			});
		}
		function soon() {
			clearTimeout(timer);
			timer = setTimeout(ask, 500);
		}
		['content', 'address'].forEach(function (n) {
			if (form.elements[n]) form.elements[n].addEventListener('input', soon);
		});
		['category', 'district', 'street', 'caller_phone'].forEach(function (n) {
			if (form.elements[n]) form.elements[n].addEventListener('change', soon);
		});
		panel.addEventListener('click', function (ev) {
			var b = ev.target.closest('button[name="accept"]');
			if (b) {
				ev.preventDefault();
				accept(form, b);
			} else if (ev.target.closest('#suggest-btn') && (val('content') || '').length >= 4) {
				ev.preventDefault();	/* the same answer, without reloading the page */
				last = '';
				ask();
			}
		});
	}

	/*
	 * The screen-pop. A request that waits (GET /api/v1/calls/current with
	 * wait and known) is answered as soon as the agent takes another call;
	 * the call panel then comes from the console page, and the registration
	 * form takes the caller's number and the call link, without a reload:
	 * whatever the agent has typed stays.
	 */
	function calls() {
		var notice = document.getElementById('call-notice');
		if (!notice || !window.fetch || !window.DOMParser) return;
		var shown = document.getElementById('call');
		var current = shown ? shown.getAttribute('data-call-id') : '';
		var failures = 0;

		function prefill(call) {
			var form = document.getElementById('order-form');
			if (!form) return;
			var link = form.querySelector('input[name="call_id"]');
			var phone = document.getElementById('f-caller_phone');
			if (link) link.value = call.call_id;
			if (phone && !phone.value && call.caller_phone) phone.value = call.caller_phone;
			if (!document.getElementById('form-call') && link) {
				var p = document.createElement('p');
				p.className = 'muted small';
				p.id = 'form-call';
				p.textContent = '与当前来电关联登记（来电号码已填入）。';
				link.parentNode.insertBefore(p, link.nextSibling);
			}
		}

		function pop(call) {
			fetch('/console', { credentials: 'same-origin' }).then(function (r) {
				return r.ok ? r.text() : '';
			}).then(function (html) {
				var doc = new DOMParser().parseFromString(html, 'text/html');
				var panel = doc.getElementById('call');
				if (!panel || panel.getAttribute('data-call-id') !== call.call_id) {
					notice.hidden = false;	/* the page can still be reloaded */
					return;
				}
				var old = document.getElementById('call');
				if (old) old.replaceWith(panel);
				else notice.after(panel);
				notice.hidden = true;
				prefill(call);
			}).catch(function () { notice.hidden = false; });
		}

		function poll() {
			fetch('/api/v1/calls/current?wait=25&known=' + encodeURIComponent(current),
			      { credentials: 'same-origin' }).then(function (r) {
				if (!r.ok) throw new Error(r.status);
				return r.json();
			}).then(function (data) {
				var call = data && data.call;
				failures = 0;
				if (call && call.call_id !== current) pop(call);
				current = call ? call.call_id : '';
				poll();
			}).catch(function () {	/* signed out, or the server restarting */
				failures++;
				setTimeout(poll, Math.min(30000, 1000 * failures));
			});
		}
		poll();
	}

	/* A list's "next action" link (#action-sign) opens that action's form. */
	function openAction() {
		var m = /^#action-([a-z_]+)$/.exec(location.hash);
		var d = m && document.getElementById('action-' + m[1]);
		if (d && d.tagName === 'DETAILS')
			d.open = true;
	}

	document.addEventListener('DOMContentLoaded', function () {
		openAction();
		tick();
		setInterval(tick, 30000);
		streets();
		once();
		focusError();
		suggestions();
		calls();
	});
})();
