// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* JSON output helpers: see jsonout.h. */
#include "jsonout.h"

void json_print_string(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s; s++) {
		if (*s == '"' || *s == '\\')
			fprintf(f, "\\%c", *s);
		else if ((unsigned char)*s < 0x20)
			fprintf(f, "\\u%04x", *s);
		else
			fputc(*s, f);
	}
	fputc('"', f);
}
