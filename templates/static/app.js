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

	document.addEventListener('DOMContentLoaded', function () {
		tick();
		setInterval(tick, 30000);
		streets();
		once();
		focusError();
	});
})();
