/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/idmap.h"

int pns_idrange_check(
	const struct pns_idrange *r, const uint32_t *self, size_t n_self, const char **ret_why)
{
	uint64_t end;

	if (r->count == 0) {
		*ret_why = "the subordinate range is empty";
		return -EINVAL;
	}
	end = (uint64_t)r->start + r->count - 1;
	if (end >= UINT32_MAX) {
		*ret_why = "the subordinate range runs past the last valid id";
		return -EINVAL;
	}
	if (r->start == 0) {
		*ret_why = "the subordinate range contains id 0 (root)";
		return -EINVAL;
	}
	for (size_t i = 0; i < n_self; i++)
		if (self[i] >= r->start && self[i] <= end) {
			*ret_why = "the subordinate range contains the account's own id or one of "
				   "its groups";
			return -EINVAL;
		}
	return 0;
}

/* Insertion sort: the lists are short (the caller's groups, at most
 * PNS_IDMAP_MAX_LINES), and libc's qsort() would add its code to every
 * anchor's resident pages (the static helper, issue 14). */
static void sort_u32(uint32_t *v, size_t n)
{
	for (size_t i = 1; i < n; i++) {
		uint32_t x = v[i];
		size_t j = i;

		for (; j > 0 && v[j - 1] > x; j--)
			v[j] = v[j - 1];
		v[j] = x;
	}
}

struct out {
	char *buf;
	size_t size, len;
	unsigned lines;
	int error;
};

static void line(struct out *o, uint32_t inside, uint32_t outside, uint32_t count)
{
	int n;

	if (o->error || count == 0)
		return;
	if (++o->lines > PNS_IDMAP_MAX_LINES) {
		o->error = -E2BIG;
		return;
	}
	n = snprintf(o->buf + o->len, o->size - o->len, "%u %u %u\n", inside, outside, count);
	if (n < 0 || (size_t)n >= o->size - o->len) {
		o->error = -ENOBUFS;
		return;
	}
	o->len += (size_t)n;
}

int pns_idmap_format(
	const uint32_t *self, size_t n_self, const struct pns_idrange *sub, char *buf, size_t size)
{
	uint32_t ids[PNS_IDMAP_MAX_LINES];
	struct out o = {.buf = buf, .size = size};
	size_t n = 0;

	if (size == 0 || n_self > PNS_IDMAP_MAX_LINES)
		return -E2BIG;
	buf[0] = 0;
	/* Sorted and without duplicates: the kernel refuses overlapping lines. */
	for (size_t i = 0; i < n_self; i++)
		ids[n++] = self[i];
	sort_u32(ids, n);
	for (size_t i = 1; i < n;)
		if (ids[i] == ids[i - 1])
			memmove(&ids[i], &ids[i + 1], (--n - i) * sizeof(ids[0]));
		else
			i++;

	for (size_t i = 0; i < n; i++)
		line(&o, ids[i], ids[i], 1);

	if (sub && sub->count > 0) {
		/* Fill inside ids from 0 upwards around the self ids. */
		uint64_t inside = 0, outside = sub->start, left = sub->count;

		for (size_t i = 0; i <= n && left > 0; i++) {
			uint64_t gap_end = i < n ? ids[i] : (uint64_t)UINT32_MAX - 1;
			uint64_t k = gap_end > inside ? gap_end - inside : 0;

			if (k > left)
				k = left;
			line(&o, (uint32_t)inside, (uint32_t)outside, (uint32_t)k);
			outside += k;
			left -= k;
			if (i < n)
				inside = (uint64_t)ids[i] + 1;
		}
	}
	return o.error ? o.error : (int)o.len;
}
