/* tern — core/imap/uidset.c: sequence and UID sets ("1:5,7,300:*").
 *
 * Parsing is strict (RFC 9051 sequence-set): nz-numbers without sign or
 * leading zero, at most 4294967295, "*" only when the caller allows it.
 * "*:*" is valid syntax (it means the last message) and is accepted with
 * IMAP_SEQSET_ALLOW_STAR. */
#include "config.h"
#include "core/common.h"

#include <stdlib.h>
#include <string.h>

#include "core/imap/imap-private.h"

struct imap_seqset *
imap_seqset_new(void)
{
	return g_new0(struct imap_seqset, 1);
}

void
imap_seqset_free(struct imap_seqset **set_p)
{
	struct imap_seqset *set = *set_p;

	if (set == NULL)
		return;
	g_free(set->ranges);
	g_free(set);
	*set_p = NULL;
}

void
imap_seqset_add_range(struct imap_seqset *set, uint32_t first, uint32_t last)
{
	struct imap_seq_range r;

	/* keep {n, STAR}; otherwise first <= last */
	if (first == IMAP_SEQ_STAR) {
		first = last;
		last = IMAP_SEQ_STAR;
	} else if (last != IMAP_SEQ_STAR && first > last) {
		uint32_t t = first;

		first = last;
		last = t;
	}
	r.first = first;
	r.last = last;
	if (set->n_ranges == set->priv_alloc) {
		set->priv_alloc = set->priv_alloc == 0 ? 4 : set->priv_alloc * 2;
		set->ranges = g_renew(struct imap_seq_range, set->ranges, set->priv_alloc);
	}
	set->ranges[set->n_ranges++] = r;
}

struct imap_seqset *
imap_seqset_copy(const struct imap_seqset *set)
{
	struct imap_seqset *copy = imap_seqset_new();

	for (size_t i = 0; i < set->n_ranges; i++)
		imap_seqset_add_range(copy, set->ranges[i].first, set->ranges[i].last);
	return copy;
}

/* One seq-number at *pos: "*" or an nz-number. */
static int
parse_seq_number(const char *s, size_t len, size_t *pos, unsigned flags, uint32_t *value_r)
{
	size_t start = *pos;
	uint64_t v;

	if (start < len && s[start] == '*') {
		if (!(flags & IMAP_SEQSET_ALLOW_STAR))
			return -1;
		*pos = start + 1;
		*value_r = IMAP_SEQ_STAR;
		return 0;
	}
	while (*pos < len && g_ascii_isdigit(s[*pos]))
		(*pos)++;
	if (*pos == start || s[start] == '0')
		return -1;
	if (imap_parse_number(s + start, *pos - start, UINT32_MAX, &v) < 0)
		return -1;
	*value_r = (uint32_t)v;
	return 0;
}

struct imap_seqset *
imap_seqset_parse(const char *s, gssize slen, unsigned flags, GError **error)
{
	size_t len = slen < 0 ? strlen(s) : (size_t)slen;
	struct imap_seqset *set = imap_seqset_new();
	size_t pos = 0;

	for (;;) {
		uint32_t first, last;

		if (parse_seq_number(s, len, &pos, flags, &first) < 0)
			goto fail;
		last = first;
		if (pos < len && s[pos] == ':') {
			pos++;
			if (parse_seq_number(s, len, &pos, flags, &last) < 0)
				goto fail;
		}
		imap_seqset_add_range(set, first, last);
		if (pos == len)
			return set;
		if (s[pos] != ',')
			goto fail;
		pos++;
	}
fail:
	imap_seqset_free(&set);
	{
		char *shown = g_strndup(s, MIN(len, 64));

		g_set_error(error, IMAP_ERROR, IMAP_ERROR_INVALID,
			    _("invalid message set \"%s\" at position %zu"), g_strcanon(shown,
			    "0123456789:,*", '?'), pos + 1);
		g_free(shown);
	}
	return NULL;
}

static void
resolve(const struct imap_seq_range *r, uint32_t star_value, uint32_t *lo_r, uint32_t *hi_r)
{
	uint32_t star = star_value != 0 ? star_value : UINT32_MAX;
	uint32_t a = r->first == IMAP_SEQ_STAR ? star : r->first;
	uint32_t b = r->last == IMAP_SEQ_STAR ? star : r->last;

	*lo_r = MIN(a, b);
	*hi_r = MAX(a, b);
}

bool
imap_seqset_contains(const struct imap_seqset *set, uint32_t n, uint32_t star_value)
{
	for (size_t i = 0; i < set->n_ranges; i++) {
		uint32_t lo, hi;

		resolve(&set->ranges[i], star_value, &lo, &hi);
		if (n >= lo && n <= hi)
			return true;
	}
	return false;
}

uint64_t
imap_seqset_count(const struct imap_seqset *set, uint32_t star_value)
{
	uint64_t total = 0;

	for (size_t i = 0; i < set->n_ranges; i++) {
		uint32_t lo, hi;

		resolve(&set->ranges[i], star_value, &lo, &hi);
		total += (uint64_t)hi - lo + 1;
	}
	return total;
}

static void
append_number(GString *out, uint32_t n)
{
	if (n == IMAP_SEQ_STAR)
		g_string_append_c(out, '*');
	else
		g_string_append_printf(out, "%" G_GUINT32_FORMAT, n);
}

char *
imap_seqset_format(const struct imap_seqset *set)
{
	GString *out = g_string_new(NULL);

	for (size_t i = 0; i < set->n_ranges; i++) {
		const struct imap_seq_range *r = &set->ranges[i];

		if (i > 0)
			g_string_append_c(out, ',');
		append_number(out, r->first);
		if (r->last != r->first) {
			g_string_append_c(out, ':');
			append_number(out, r->last);
		}
	}
	return g_string_free(out, FALSE);
}

static int
cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

/* Sorts, drops 0 and duplicates; returns the new count. */
static size_t
sort_unique(uint32_t *v, size_t n)
{
	size_t out = 0;

	qsort(v, n, sizeof(*v), cmp_u32);
	for (size_t i = 0; i < n; i++) {
		if (v[i] != 0 && (out == 0 || v[out - 1] != v[i]))
			v[out++] = v[i];
	}
	return out;
}

uint32_t *
imap_seqset_to_array(const struct imap_seqset *set, size_t max_count, size_t *n_r,
		     GError **error)
{
	uint64_t total = 0;
	uint32_t *v;
	size_t n = 0;

	for (size_t i = 0; i < set->n_ranges; i++) {
		const struct imap_seq_range *r = &set->ranges[i];

		if (r->first == IMAP_SEQ_STAR || r->last == IMAP_SEQ_STAR) {
			g_set_error(error, IMAP_ERROR, IMAP_ERROR_INVALID,
				    _("a message set with * cannot be expanded"));
			return NULL;
		}
		total += (uint64_t)r->last - r->first + 1;
		if (total > max_count) {
			g_set_error(error, IMAP_ERROR, IMAP_ERROR_INVALID,
				    ngettext("message set has more than %zu message",
					     "message set has more than %zu messages", max_count),
				    max_count);
			return NULL;
		}
	}
	v = g_new(uint32_t, total > 0 ? total : 1);
	for (size_t i = 0; i < set->n_ranges; i++) {
		for (uint64_t u = set->ranges[i].first; u <= set->ranges[i].last; u++)
			v[n++] = (uint32_t)u;
	}
	*n_r = sort_unique(v, n);
	return v;
}

char **
imap_uids_format(const uint32_t *uids, size_t n, size_t max_len)
{
	GPtrArray *out = g_ptr_array_new();
	uint32_t *v = g_memdup2(uids, n * sizeof(*uids));
	GString *cur = g_string_new(NULL);
	char piece[32];
	size_t i = 0;

	if (max_len < 21)
		max_len = 21;
	n = v != NULL ? sort_unique(v, n) : 0;
	while (i < n) {
		size_t j = i;
		int plen;

		while (j + 1 < n && v[j + 1] == v[j] + 1)
			j++;
		if (j == i)
			plen = g_snprintf(piece, sizeof(piece), "%" G_GUINT32_FORMAT, v[i]);
		else
			plen = g_snprintf(piece, sizeof(piece), "%" G_GUINT32_FORMAT ":%" G_GUINT32_FORMAT,
					  v[i], v[j]);
		if (cur->len > 0 && cur->len + 1 + (size_t)plen > max_len) {
			g_ptr_array_add(out, g_string_free(cur, FALSE));
			cur = g_string_new(NULL);
		}
		if (cur->len > 0)
			g_string_append_c(cur, ',');
		g_string_append(cur, piece);
		i = j + 1;
	}
	if (cur->len > 0)
		g_ptr_array_add(out, g_string_free(cur, FALSE));
	else
		g_string_free(cur, TRUE);
	g_ptr_array_add(out, NULL);
	g_free(v);
	return (char **)g_ptr_array_free(out, FALSE);
}
