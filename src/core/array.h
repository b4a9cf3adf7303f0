/*
 * array: ARRAY_SIZE(), the number of elements of an array.
 *
 * Dependency-free. Given a pointer instead of an array (a function's
 * `const char *names[]` parameter is one), sizeof would silently divide
 * the pointer's size: ARRAY_SIZE() refuses to compile instead (GCC and
 * Clang, through __builtin_types_compatible_p). The result is a constant
 * expression of type size_t, usable in static assertions and array sizes.
 */
#ifndef HOTLINE_CORE_ARRAY_H
#define HOTLINE_CORE_ARRAY_H

#include <stddef.h>

/* 0, or a compile error ("size of unnamed array is negative") when `a` is
 * a pointer rather than an array. No struct is declared, so that it may be
 * used in a parameter's array bound too. */
#define ARRAY_MUST_BE_ARRAY(a) \
	(0 * sizeof(char[1 - 2 * __builtin_types_compatible_p(__typeof__(a), \
								__typeof__(&(a)[0]))]))

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]) + ARRAY_MUST_BE_ARRAY(a))

#endif
