/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* A small strict JSON parser for tests: every -j output is checked by parsing it. */
#ifndef __KMT_TEST_JSON_H
#define __KMT_TEST_JSON_H

#include <stddef.h>

enum json_type { JSON_NULL, JSON_BOOL, JSON_NUM, JSON_STR, JSON_ARR, JSON_OBJ };

struct json {
	enum json_type type;
	double num;		/* JSON_NUM, JSON_BOOL */
	char *str;		/* JSON_STR */
	char *key;		/* member name inside an object */
	struct json *child;	/* JSON_ARR, JSON_OBJ */
	struct json *next;
};

/* NULL on a syntax error (position in *err_at when not NULL); trailing text is an error. */
struct json *json_parse(const char *text, size_t *err_at);
const struct json *json_get(const struct json *obj, const char *key);
const struct json *json_at(const struct json *arr, size_t i);
size_t json_len(const struct json *arr);
double json_num(const struct json *j, double dflt);
const char *json_str(const struct json *j);
void json_free(struct json *j);

#endif /* __KMT_TEST_JSON_H */
