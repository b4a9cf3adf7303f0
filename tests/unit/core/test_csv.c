/* CSV output: quoting, and formula-like export cells kept as text. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "core/csv.h"

static void check_text(const char *in, const char *want)
{
	struct buf b = BUF_INIT;

	csv_add_text(&b, in);
	assert_string_equal(b.data, want);
	buf_release(&b);
}

static void formula_like_cells_get_an_apostrophe(void **state)
{
	(void)state;
	check_text("=1+1", "'=1+1");
	check_text("+86", "'+86");
	check_text("-2", "'-2");
	check_text("@SUM(A1)", "'@SUM(A1)");
	/* A tab or a carriage return first also starts a formula in some spreadsheets. */
	check_text("\t=cmd", "'\t=cmd");
	check_text("\r=cmd", "\"'\r=cmd\"");
}

static void ordinary_cells_are_left_alone(void **state)
{
	(void)state;
	check_text("井盖丢失", "井盖丢失");
	check_text("a,b", "\"a,b\"");
	check_text("", "");
	check_text("x=1", "x=1");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(formula_like_cells_get_an_apostrophe),
		cmocka_unit_test(ordinary_cells_are_left_alone),
	};
	return cmocka_run_group_tests_name("csv", tests, NULL, NULL);
}
