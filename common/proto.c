/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "common/proto.h"

#define PNS_PROTO_MAGIC 0x31534e50u /* "PNS1" */
#define HEADER_SIZE 16

struct writer {
	uint8_t *p;
	size_t size, len;
	bool overflow;
};

struct reader {
	const uint8_t *p;
	size_t len, pos;
	bool bad;
};

static void put_bytes(struct writer *w, const void *v, size_t n)
{
	if (w->overflow || w->size - w->len < n) {
		w->overflow = true;
		return;
	}
	memcpy(w->p + w->len, v, n);
	w->len += n;
}

static void put_u32(struct writer *w, uint32_t v)
{
	uint8_t b[4] = {v, v >> 8, v >> 16, v >> 24};

	put_bytes(w, b, sizeof(b));
}

static void put_u64(struct writer *w, uint64_t v)
{
	put_u32(w, (uint32_t)v);
	put_u32(w, (uint32_t)(v >> 32));
}

/* A fixed-size string field, NUL-padded. */
static void put_str(struct writer *w, const char *s, size_t field)
{
	uint8_t buf[256] = {0};
	size_t n = strnlen(s, field);

	if (field > sizeof(buf) || n >= field) {
		w->overflow = true;
		return;
	}
	memcpy(buf, s, n);
	put_bytes(w, buf, field);
}

static const uint8_t *get_bytes(struct reader *r, size_t n)
{
	const uint8_t *p;

	if (r->bad || r->len - r->pos < n) {
		r->bad = true;
		return NULL;
	}
	p = r->p + r->pos;
	r->pos += n;
	return p;
}

static uint32_t get_u32(struct reader *r)
{
	const uint8_t *b = get_bytes(r, 4);

	if (!b)
		return 0;
	return (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24;
}

static uint64_t get_u64(struct reader *r)
{
	uint64_t lo = get_u32(r);

	return lo | (uint64_t)get_u32(r) << 32;
}

/* A value that must be 0 or 1. */
static bool get_bool(struct reader *r)
{
	uint32_t v = get_u32(r);

	if (v > 1)
		r->bad = true;
	return v == 1;
}

/* An enum field: must be below max. */
static uint32_t get_enum(struct reader *r, uint32_t max)
{
	uint32_t v = get_u32(r);

	if (v >= max)
		r->bad = true;
	return v;
}

/* Fixed field: NUL-terminated inside the field, NUL-padded after, no control bytes. */
static void get_str(struct reader *r, char *dst, size_t field)
{
	const uint8_t *b = get_bytes(r, field);
	size_t n;

	if (!b)
		return;
	n = strnlen((const char *)b, field);
	if (n >= field) {
		r->bad = true;
		return;
	}
	for (size_t i = 0; i < field; i++)
		if ((i < n && b[i] < 0x20) || (i > n && b[i] != 0))
			r->bad = true;
	memcpy(dst, b, n);
	dst[n] = 0;
}

static void put_plan(struct writer *w, const struct pns_plan *p)
{
	put_u32(w, p->uid);
	put_u32(w, p->gid);
	put_u32(w, p->namespaces);
	put_u32(w, p->share);
	put_u32(w, p->tmp);
	put_u32(w, p->var_tmp);
	put_u64(w, p->tmp_size.value);
	put_u32(w, p->tmp_size.percent);
	put_u64(w, p->tmp_inodes);
	put_u32(w, p->shm_private);
	put_u64(w, p->shm_size.value);
	put_u32(w, p->shm_size.percent);
	put_u64(w, p->shm_inodes);
	put_str(w, p->hostname, sizeof(p->hostname));
	put_u32(w, p->userns_map);
	put_u32(w, p->userns_fallback);
	put_u32(w, p->n_gids);
	for (size_t i = 0; i < PNS_MAX_GROUPS; i++)
		put_u32(w, i < p->n_gids ? p->gids[i] : 0);
	put_u32(w, p->subuid.start);
	put_u32(w, p->subuid.count);
	put_u32(w, p->subgid.start);
	put_u32(w, p->subgid.count);
}

static void get_plan(struct reader *r, struct pns_plan *p)
{
	const char *why;

	p->uid = get_u32(r);
	p->gid = get_u32(r);
	p->namespaces = get_u32(r);
	p->share = get_enum(r, _PNS_SHARE_MAX);
	p->tmp = get_enum(r, _PNS_TMP_MAX);
	p->var_tmp = get_enum(r, _PNS_TMP_MAX);
	p->tmp_size.value = get_u64(r);
	p->tmp_size.percent = get_bool(r);
	p->tmp_inodes = get_u64(r);
	p->shm_private = get_bool(r);
	p->shm_size.value = get_u64(r);
	p->shm_size.percent = get_bool(r);
	p->shm_inodes = get_u64(r);
	get_str(r, p->hostname, sizeof(p->hostname));
	p->userns_map = get_enum(r, _PNS_USERNS_MAP_MAX);
	p->userns_fallback = get_enum(r, _PNS_USERNS_FALLBACK_MAX);
	p->n_gids = get_u32(r);
	if (p->n_gids > PNS_MAX_GROUPS)
		r->bad = true;
	for (size_t i = 0; i < PNS_MAX_GROUPS; i++) {
		uint32_t g = get_u32(r);

		if (i < p->n_gids)
			p->gids[i] = g;
		else if (g != 0)
			r->bad = true; /* padding must be zero: one encoding per plan */
	}
	p->subuid.start = get_u32(r);
	p->subuid.count = get_u32(r);
	p->subgid.start = get_u32(r);
	p->subgid.count = get_u32(r);
	if (!r->bad && pns_plan_validate(p, &why) < 0)
		r->bad = true;
}

static void put_inodes(struct writer *w, const uint64_t ino[_PNS_NSI_MAX])
{
	for (size_t i = 0; i < _PNS_NSI_MAX; i++)
		put_u64(w, ino[i]);
}

static void get_inodes(struct reader *r, uint64_t ino[_PNS_NSI_MAX])
{
	for (size_t i = 0; i < _PNS_NSI_MAX; i++)
		ino[i] = get_u64(r);
}

/* A valid name for a set with a non-zero id, and the id the name carries. */
static bool set_name_matches(const char *name, uint64_t set_id)
{
	uint64_t id;

	if (set_id == 0 || !pns_set_name_is_valid(name))
		return false;
	return strcmp(name, "user.sock") == 0 || (pns_set_name_id(name, &id) && id == set_id);
}

int pns_msg_encode(const struct pns_msg *m, uint8_t *buf, size_t size)
{
	struct writer w = {.p = buf, .size = size};
	size_t body;

	if (m->type <= 0 || m->type >= _PNS_MSG_MAX)
		return -EINVAL;
	put_u32(&w, PNS_PROTO_MAGIC);
	put_u32(&w, PNS_PROTO_VERSION);
	put_u32(&w, m->type);
	put_u32(&w, 0); /* body length, patched below */

	switch (m->type) {
	case PNS_MSG_OPEN:
		put_plan(&w, &m->open);
		break;
	case PNS_MSG_REPLY:
		put_u32(&w, (uint32_t)m->reply.error);
		put_u64(&w, m->reply.set_id);
		put_u64(&w, m->reply.session_id);
		put_u32(&w, m->reply.created);
		put_inodes(&w, m->reply.ns_ino);
		put_str(&w, m->reply.set_name, sizeof(m->reply.set_name));
		put_str(&w, m->reply.message, sizeof(m->reply.message));
		break;
	case PNS_MSG_RELEASE:
		put_u64(&w, m->release.set_id);
		put_u64(&w, m->release.session_id);
		break;
	case PNS_MSG_STATUS:
		break;
	case PNS_MSG_STATUS_REPLY:
		put_u32(&w, m->status.uid);
		put_u32(&w, (uint32_t)m->status.anchor_pid);
		put_u32(&w, m->status.sessions);
		put_u32(&w, m->status.processes);
		put_u64(&w, m->status.since);
		put_u64(&w, m->status.set_id);
		put_str(&w, m->status.set_name, sizeof(m->status.set_name));
		put_inodes(&w, m->status.ns_ino);
		put_plan(&w, &m->status.plan);
		break;
	case PNS_MSG_STOP:
		put_u32(&w, m->stop_force);
		break;
	default:
		return -EINVAL;
	}
	if (w.overflow)
		return -ENOBUFS;
	body = w.len - HEADER_SIZE;
	buf[12] = (uint8_t)body;
	buf[13] = (uint8_t)(body >> 8);
	buf[14] = 0;
	buf[15] = 0;
	return (int)w.len;
}

int pns_msg_decode(const uint8_t *buf, size_t len, struct pns_msg *ret)
{
	struct reader r = {.p = buf, .len = len};
	struct pns_msg m;
	uint32_t type, body;

	memset(&m, 0, sizeof(m));
	if (len < HEADER_SIZE || len > PNS_MSG_MAX)
		return -EBADMSG;
	if (get_u32(&r) != PNS_PROTO_MAGIC || get_u32(&r) != PNS_PROTO_VERSION)
		return -EBADMSG;
	type = get_u32(&r);
	body = get_u32(&r);
	if (type == 0 || type >= _PNS_MSG_MAX || body != len - HEADER_SIZE)
		return -EBADMSG;
	m.type = type;

	switch (m.type) {
	case PNS_MSG_OPEN:
		get_plan(&r, &m.open);
		break;
	case PNS_MSG_REPLY:
		m.reply.error = (int32_t)get_u32(&r);
		if (m.reply.error > 0 || m.reply.error < -4095)
			r.bad = true;
		m.reply.set_id = get_u64(&r);
		m.reply.session_id = get_u64(&r);
		m.reply.created = get_bool(&r);
		get_inodes(&r, m.reply.ns_ino);
		get_str(&r, m.reply.set_name, sizeof(m.reply.set_name));
		get_str(&r, m.reply.message, sizeof(m.reply.message));
		if (!r.bad && m.reply.error == 0 &&
			!set_name_matches(m.reply.set_name, m.reply.set_id))
			r.bad = true;
		break;
	case PNS_MSG_RELEASE:
		m.release.set_id = get_u64(&r);
		m.release.session_id = get_u64(&r);
		break;
	case PNS_MSG_STATUS:
		break;
	case PNS_MSG_STATUS_REPLY:
		m.status.uid = get_u32(&r);
		m.status.anchor_pid = (int32_t)get_u32(&r);
		m.status.sessions = get_u32(&r);
		m.status.processes = get_u32(&r);
		m.status.since = get_u64(&r);
		m.status.set_id = get_u64(&r);
		get_str(&r, m.status.set_name, sizeof(m.status.set_name));
		get_inodes(&r, m.status.ns_ino);
		get_plan(&r, &m.status.plan);
		if (!r.bad && !set_name_matches(m.status.set_name, m.status.set_id))
			r.bad = true;
		break;
	case PNS_MSG_STOP:
		m.stop_force = get_bool(&r);
		break;
	default:
		return -EBADMSG;
	}
	if (r.bad || r.pos != len)
		return -EBADMSG;
	*ret = m;
	return 0;
}

#define SET_ID_DIGITS 16

static const char *const set_prefixes[] = {
	[PNS_SET_SESSION] = "session-",
	[PNS_SET_SUPERSEDED] = "superseded-",
};

bool pns_set_name_id(const char *s, uint64_t *ret_id)
{
	for (size_t k = PNS_SET_SESSION; k <= PNS_SET_SUPERSEDED; k++) {
		size_t n = strlen(set_prefixes[k]);
		uint64_t id = 0;

		if (strncmp(s, set_prefixes[k], n) != 0)
			continue;
		s += n;
		for (size_t i = 0; i < SET_ID_DIGITS; i++) {
			const char *hex = "0123456789abcdef", *p;

			if (!s[i] || !(p = strchr(hex, s[i])))
				return false;
			id = id << 4 | (uint64_t)(p - hex);
		}
		if (strcmp(s + SET_ID_DIGITS, ".sock") != 0 || id == 0)
			return false;
		*ret_id = id;
		return true;
	}
	return false;
}

bool pns_set_name_is_valid(const char *s)
{
	uint64_t id;

	return strcmp(s, "user.sock") == 0 || pns_set_name_id(s, &id);
}

void pns_set_name(enum pns_set_kind kind, uint64_t set_id, char *buf, size_t size)
{
	if (kind == PNS_SET_USER)
		snprintf(buf, size, "user.sock");
	else
		snprintf(buf, size, "%s%016llx.sock", set_prefixes[kind],
			(unsigned long long)set_id);
}

void pns_strlcpy(char *dst, const char *src, size_t size)
{
	size_t n = strnlen(src, size - 1);

	memcpy(dst, src, n);
	dst[n] = 0;
}
