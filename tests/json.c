// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Strict JSON parser for tests: see json.h. */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include "json.h"

struct parser {
	const char *s;
	size_t i;
	int depth;
};

static struct json *parse_value(struct parser *p);

static void skip_ws(struct parser *p)
{
	while (p->s[p->i] == ' ' || p->s[p->i] == '\t' || p->s[p->i] == '\n' ||
	       p->s[p->i] == '\r')
		p->i++;
}

static char *parse_string_raw(struct parser *p)
{
	size_t cap = 16, n = 0;
	char *out = malloc(cap);

	if (!out || p->s[p->i] != '"')
		goto fail;
	for (p->i++; p->s[p->i] != '"'; p->i++) {
		char c = p->s[p->i];

		if (!c || (unsigned char)c < 0x20)
			goto fail;
		if (c == '\\') {
			c = p->s[++p->i];
			if (c == 'u') {
				for (int k = 1; k <= 4; k++)
					if (!isxdigit((unsigned char)p->s[p->i + k]))
						goto fail;
				p->i += 4;
				c = '?';
			} else if (c == 'n') {
				c = '\n';
			} else if (c == 't') {
				c = '\t';
			} else if (c == 'r' || c == 'b' || c == 'f') {
				c = ' ';
			} else if (c != '"' && c != '\\' && c != '/') {
				goto fail;
			}
		}
		if (n + 2 > cap) {
			char *m = realloc(out, cap *= 2);

			if (!m)
				goto fail;
			out = m;
		}
		out[n++] = c;
	}
	p->i++;
	out[n] = 0;
	return out;
fail:
	free(out);
	return NULL;
}

static struct json *new_node(enum json_type t)
{
	struct json *j = calloc(1, sizeof(*j));

	if (j)
		j->type = t;
	return j;
}

static struct json *parse_number(struct parser *p)
{
	const char *start = p->s + p->i;
	char *end;
	struct json *j;
	double v;

	if (*start != '-' && !isdigit((unsigned char)*start))
		return NULL;
	v = strtod(start, &end);
	if (end == start)
		return NULL;
	j = new_node(JSON_NUM);
	if (j)
		j->num = v;
	p->i += end - start;
	return j;
}

/* Parses "[...]" or "{...}" members into j->child. */
static struct json *parse_container(struct parser *p, enum json_type t)
{
	struct json *j = new_node(t), **tail;
	char close = t == JSON_ARR ? ']' : '}';

	if (!j || ++p->depth > 64)
		goto fail;
	tail = &j->child;
	p->i++;
	skip_ws(p);
	if (p->s[p->i] == close) {
		p->i++;
		p->depth--;
		return j;
	}
	for (;;) {
		char *key = NULL;
		struct json *v;

		skip_ws(p);
		if (t == JSON_OBJ) {
			key = parse_string_raw(p);
			skip_ws(p);
			if (!key || p->s[p->i] != ':') {
				free(key);
				goto fail;
			}
			p->i++;
		}
		v = parse_value(p);
		if (!v) {
			free(key);
			goto fail;
		}
		v->key = key;
		*tail = v;
		tail = &v->next;
		skip_ws(p);
		if (p->s[p->i] == ',') {
			p->i++;
			continue;
		}
		if (p->s[p->i] != close)
			goto fail;
		p->i++;
		p->depth--;
		return j;
	}
fail:
	json_free(j);
	return NULL;
}

static struct json *parse_value(struct parser *p)
{
	struct json *j;

	skip_ws(p);
	switch (p->s[p->i]) {
	case '{': return parse_container(p, JSON_OBJ);
	case '[': return parse_container(p, JSON_ARR);
	case '"':
		j = new_node(JSON_STR);
		if (j && !(j->str = parse_string_raw(p))) {
			free(j);
			return NULL;
		}
		return j;
	}
	if (!strncmp(p->s + p->i, "true", 4) || !strncmp(p->s + p->i, "false", 5)) {
		j = new_node(JSON_BOOL);
		if (j)
			j->num = p->s[p->i] == 't';
		p->i += p->s[p->i] == 't' ? 4 : 5;
		return j;
	}
	if (!strncmp(p->s + p->i, "null", 4)) {
		p->i += 4;
		return new_node(JSON_NULL);
	}
	return parse_number(p);
}

struct json *json_parse(const char *text, size_t *err_at)
{
	struct parser p = { .s = text };
	struct json *j = parse_value(&p);

	skip_ws(&p);
	if (j && p.s[p.i]) {
		json_free(j);
		j = NULL;
	}
	if (!j && err_at)
		*err_at = p.i;
	return j;
}

const struct json *json_get(const struct json *obj, const char *key)
{
	if (!obj || obj->type != JSON_OBJ)
		return NULL;
	for (const struct json *c = obj->child; c; c = c->next)
		if (c->key && !strcmp(c->key, key))
			return c;
	return NULL;
}

const struct json *json_at(const struct json *arr, size_t i)
{
	const struct json *c = arr && arr->type == JSON_ARR ? arr->child : NULL;

	while (c && i--)
		c = c->next;
	return c;
}

size_t json_len(const struct json *arr)
{
	size_t n = 0;

	for (const struct json *c = arr ? arr->child : NULL; c; c = c->next)
		n++;
	return n;
}

double json_num(const struct json *j, double dflt)
{
	return j && (j->type == JSON_NUM || j->type == JSON_BOOL) ? j->num : dflt;
}

const char *json_str(const struct json *j)
{
	return j && j->type == JSON_STR ? j->str : NULL;
}

void json_free(struct json *j)
{
	while (j) {
		struct json *next = j->next;

		json_free(j->child);
		free(j->str);
		free(j->key);
		free(j);
		j = next;
	}
}
