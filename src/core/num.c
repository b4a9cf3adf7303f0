#include "core/num.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

bool num_parse_ll(const char *s, long long min, long long max, long long *out)
{
	const char *digits;
	char *end;
	long long v;

	if (!s)
		return false;
	digits = s + (s[0] == '-');
	if (!*digits || strspn(digits, "0123456789") != strlen(digits))
		return false;
	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno == ERANGE || *end || v < min || v > max)
		return false;
	*out = v;
	return true;
}
