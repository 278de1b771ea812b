/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* JSON output helpers shared by the commands' -j modes. */
#ifndef __KMT_JSONOUT_H
#define __KMT_JSONOUT_H

#include <stdio.h>

/* s as a JSON string literal, quotes included. */
void json_print_string(FILE *f, const char *s);

#endif /* __KMT_JSONOUT_H */
