/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>
#include <cmocka.h>

#include "common/proto.h"

static struct pns_plan sample_plan(void)
{
	struct pns_plan p;

	memset(&p, 0, sizeof(p));
	p.uid = 1000;
	p.gid = 100;
	p.namespaces = PNS_NS_MOUNT | PNS_NS_IPC | PNS_NS_UTS;
	p.tmp = PNS_TMP_TMPFS;
	p.tmp_size = (struct pns_size){.value = 25, .percent = true};
	p.shm_private = true;
	p.shm_size = (struct pns_size){.value = 7, .percent = true};
	p.shm_inodes = 4096;
	strcpy(p.hostname, "alice-box");
	p.n_gids = 2;
	p.gids[0] = 100;
	p.gids[1] = 27;
	return p;
}

static int roundtrip(const struct pns_msg *in, struct pns_msg *out, uint8_t *buf, size_t *len)
{
	int n = pns_msg_encode(in, buf, PNS_MSG_MAX);

	assert_true(n > 0);
	*len = (size_t)n;
	return pns_msg_decode(buf, *len, out);
}

static void test_open_roundtrip(void **state)
{
	struct pns_msg in = {.type = PNS_MSG_OPEN}, out;
	uint8_t buf[PNS_MSG_MAX];
	size_t len;

	in.open = sample_plan();
	assert_int_equal(roundtrip(&in, &out, buf, &len), 0);
	assert_int_equal(out.type, PNS_MSG_OPEN);
	assert_memory_equal(&out.open, &in.open, sizeof(in.open));
	/* Every shorter prefix and one extra byte are refused. */
	for (size_t i = 0; i < len; i++)
		assert_int_equal(pns_msg_decode(buf, i, &out), -EBADMSG);
	assert_int_equal(pns_msg_decode(buf, len + 1, &out), -EBADMSG);
}

static void test_reply_and_status_roundtrip(void **state)
{
	struct pns_msg in = {.type = PNS_MSG_REPLY}, out;
	uint8_t buf[PNS_MSG_MAX];
	size_t len;

	in.reply.set_id = 0x1234;
	in.reply.session_id = 42;
	in.reply.created = true;
	in.reply.ns_ino[PNS_NSI_MNT] = 4026532000ull;
	strcpy(in.reply.set_name, "user.sock");
	assert_int_equal(roundtrip(&in, &out, buf, &len), 0);
	assert_int_equal(out.reply.session_id, 42);
	assert_int_equal(out.reply.set_id, 0x1234);
	assert_true(out.reply.created);
	assert_int_equal(out.reply.ns_ino[PNS_NSI_MNT], 4026532000ull);
	assert_string_equal(out.reply.set_name, "user.sock");

	memset(&in, 0, sizeof(in));
	in.type = PNS_MSG_STATUS_REPLY;
	in.status.uid = 7;
	in.status.anchor_pid = 1234;
	in.status.sessions = 3;
	in.status.processes = 9;
	in.status.set_id = 0x77;
	strcpy(in.status.set_name, "session-0000000000000077.sock");
	in.status.plan = sample_plan();
	in.status.plan.namespaces |= PNS_NS_USER;
	in.status.plan.userns_map = PNS_USERNS_MAP_SUBID;
	in.status.plan.subuid = (struct pns_idrange){.start = 100000, .count = 65536};
	in.status.plan.subgid = (struct pns_idrange){.start = 100000, .count = 65536};
	assert_int_equal(roundtrip(&in, &out, buf, &len), 0);
	assert_int_equal(out.status.sessions, 3);
	assert_memory_equal(&out.status.plan, &in.status.plan, sizeof(in.status.plan));
	assert_string_equal(out.status.set_name, "session-0000000000000077.sock");
	assert_int_equal(out.status.set_id, 0x77);
	/* A name that carries another id than the set's is refused. */
	in.status.set_id = 0x78;
	assert_int_equal(roundtrip(&in, &out, buf, &len), -EBADMSG);

	memset(&in, 0, sizeof(in));
	in.type = PNS_MSG_RELEASE;
	in.release.set_id = 0xfeedfacecafebeefull;
	in.release.session_id = 99;
	assert_int_equal(roundtrip(&in, &out, buf, &len), 0);
	assert_int_equal(out.release.session_id, 99);
	assert_true(out.release.set_id == 0xfeedfacecafebeefull);
}

static void test_error_reply_needs_no_set(void **state)
{
	struct pns_msg in = {.type = PNS_MSG_REPLY}, out;
	uint8_t buf[PNS_MSG_MAX];
	size_t len;

	in.reply.error = -EUSERS;
	strcpy(in.reply.message, "too many sessions");
	assert_int_equal(roundtrip(&in, &out, buf, &len), 0);
	assert_int_equal(out.reply.error, -EUSERS);
	assert_string_equal(out.reply.message, "too many sessions");
}

/* Corrupt one field of a valid packet at a time: every one must be refused. */
static void test_bad_fields(void **state)
{
	struct pns_msg in = {.type = PNS_MSG_OPEN}, out;
	uint8_t good[PNS_MSG_MAX], buf[PNS_MSG_MAX];
	size_t len;
	static const struct {
		size_t offset;
		uint8_t value;
	} corrupt[] = {
		{0, 'X'},	/* magic */
		{4, 1},		/* version (1: before set ids) */
		{4, 2},		/* version (2: before shm_size) */
		{8, 0},		/* type 0 */
		{8, 99},	/* unknown type */
		{12, 3},	/* body length */
		{16 + 0, 0xff}, /* uid low byte: uid 0x3ff is fine, keep going below */
	};

	in.open = sample_plan();
	assert_int_equal(roundtrip(&in, &out, good, &len), 0);
	for (size_t i = 0; i < 6; i++) {
		memcpy(buf, good, len);
		buf[corrupt[i].offset] = corrupt[i].value;
		assert_int_equal(pns_msg_decode(buf, len, &out), -EBADMSG);
	}

	/* uid = (uint32_t)-1 */
	memcpy(buf, good, len);
	memset(buf + 16, 0xff, 4);
	assert_int_equal(pns_msg_decode(buf, len, &out), -EBADMSG);
	/* namespaces with an unknown bit */
	memcpy(buf, good, len);
	buf[16 + 8 + 1] = 0x80;
	assert_int_equal(pns_msg_decode(buf, len, &out), -EBADMSG);
	/* share out of range */
	memcpy(buf, good, len);
	buf[16 + 12] = 9;
	assert_int_equal(pns_msg_decode(buf, len, &out), -EBADMSG);
	/* percent flag neither 0 nor 1 */
	memcpy(buf, good, len);
	buf[16 + 32] = 2;
	assert_int_equal(pns_msg_decode(buf, len, &out), -EBADMSG);
}

/* shm_size and shm_inodes follow shm_private (plan offset 44): a value, its
 * percent flag, the inodes. The decoder checks the size's bounds. */
static void test_shm_size_field(void **state)
{
	struct pns_msg in = {.type = PNS_MSG_OPEN}, out;
	uint8_t good[PNS_MSG_MAX], buf[PNS_MSG_MAX];
	const size_t value = 16 + 48, percent = 16 + 56, inodes = 16 + 60;
	size_t len;

	in.open = sample_plan();
	assert_int_equal(roundtrip(&in, &out, good, &len), 0);
	assert_true(out.open.shm_size.value == 7 && out.open.shm_size.percent);
	assert_int_equal(out.open.shm_inodes, 4096);
	/* The fields are where this test looks for them. */
	assert_int_equal(good[value], 7);
	assert_int_equal(good[percent], 1);
	assert_int_equal(good[inodes + 1], 0x10);

	memcpy(buf, good, len);
	buf[value] = 100; /* 100%: the largest percentage */
	assert_int_equal(pns_msg_decode(buf, len, &out), 0);
	assert_int_equal(out.open.shm_size.value, 100);
	buf[value] = 101; /* 101% */
	assert_int_equal(pns_msg_decode(buf, len, &out), -EBADMSG);
	buf[value] = 0; /* 0%: tmpfs would read size=0 as no limit */
	assert_int_equal(pns_msg_decode(buf, len, &out), -EBADMSG);
	buf[percent] = 0; /* 0 bytes */
	assert_int_equal(pns_msg_decode(buf, len, &out), -EBADMSG);
	buf[value] = 101; /* 101 bytes: in range */
	assert_int_equal(pns_msg_decode(buf, len, &out), 0);
	assert_false(out.open.shm_size.percent);
	memcpy(buf, good, len);
	buf[percent] = 2; /* percent flag neither 0 nor 1 */
	assert_int_equal(pns_msg_decode(buf, len, &out), -EBADMSG);
	memcpy(buf, good, len);
	memset(buf + inodes, 0xff, 8); /* any inode count goes, as tmp_inodes */
	assert_int_equal(pns_msg_decode(buf, len, &out), 0);
	assert_true(out.open.shm_inodes == UINT64_MAX);
}

static void test_group_list(void **state)
{
	struct pns_msg in = {.type = PNS_MSG_OPEN}, out;
	uint8_t good[PNS_MSG_MAX], buf[PNS_MSG_MAX];
	size_t len, off;
	uint8_t n_gids_le[4] = {2, 0, 0, 0};

	in.open = sample_plan();
	assert_int_equal(roundtrip(&in, &out, good, &len), 0);
	/* n_gids is followed by the gid array: 100, 27, then zero padding. */
	/* (After the 16-byte header: the version, 3, is before it.) */
	off = (size_t)((uint8_t *)memmem(good + 16, len - 16, n_gids_le, 4) - good);
	assert_int_equal(good[off + 4], 100);

	memcpy(buf, good, len);
	buf[off] = 65; /* more than PNS_MAX_GROUPS */
	assert_int_equal(pns_msg_decode(buf, len, &out), -EBADMSG);
	memcpy(buf, good, len);
	buf[off + 4 + 8] = 5; /* non-zero padding after the last gid */
	assert_int_equal(pns_msg_decode(buf, len, &out), -EBADMSG);
	memcpy(buf, good, len);
	buf[off + 4 + 4] = 100; /* duplicate gid */
	assert_int_equal(pns_msg_decode(buf, len, &out), -EBADMSG);
	memcpy(buf, good, len);
	buf[off + 4] = 101; /* first gid is not the primary */
	assert_int_equal(pns_msg_decode(buf, len, &out), -EBADMSG);
}

static void test_hostname_field(void **state)
{
	struct pns_msg in = {.type = PNS_MSG_OPEN}, out;
	uint8_t good[PNS_MSG_MAX], buf[PNS_MSG_MAX];
	size_t len, off;

	in.open = sample_plan();
	assert_int_equal(roundtrip(&in, &out, good, &len), 0);
	off = (size_t)((uint8_t *)memmem(good, len, "alice-box", 9) - good);

	memcpy(buf, good, len);
	buf[off + 2] = '\n'; /* control byte */
	assert_int_equal(pns_msg_decode(buf, len, &out), -EBADMSG);
	memcpy(buf, good, len);
	buf[off + 11] = 'x'; /* garbage after the terminator */
	assert_int_equal(pns_msg_decode(buf, len, &out), -EBADMSG);
	memcpy(buf, good, len);
	memset(buf + off, 'a', PNS_HOSTNAME_MAX + 1); /* no terminator in the field */
	assert_int_equal(pns_msg_decode(buf, len, &out), -EBADMSG);
	memcpy(buf, good, len);
	buf[off + 5] = '_'; /* not a valid host name */
	assert_int_equal(pns_msg_decode(buf, len, &out), -EBADMSG);
}

static void test_set_names(void **state)
{
	char name[PNS_SET_NAME_MAX + 1];
	uint64_t id = 0;

	assert_true(pns_set_name_is_valid("user.sock"));
	assert_true(pns_set_name_is_valid("session-0123456789abcdef.sock"));
	assert_true(pns_set_name_is_valid("superseded-0123456789abcdef.sock"));
	assert_true(pns_set_name_id("superseded-0123456789abcdef.sock", &id));
	assert_true(id == 0x0123456789abcdefull);
	assert_false(pns_set_name_id("user.sock", &id));
	/* Pid-style names of older versions, upper case, short, long, zero. */
	assert_false(pns_set_name_is_valid("session-1.sock"));
	assert_false(pns_set_name_is_valid("session-0123456789ABCDEF.sock"));
	assert_false(pns_set_name_is_valid("session-0123456789abcde.sock"));
	assert_false(pns_set_name_is_valid("session-0123456789abcdef0.sock"));
	assert_false(pns_set_name_is_valid("session-0000000000000000.sock"));
	assert_false(pns_set_name_is_valid("superseded-0123456789abcdef"));
	assert_false(pns_set_name_is_valid("session-.sock"));
	pns_set_name(PNS_SET_SESSION, 0xabcull, name, sizeof(name));
	assert_string_equal(name, "session-0000000000000abc.sock");
	pns_set_name(PNS_SET_SUPERSEDED, UINT64_MAX, name, sizeof(name));
	assert_string_equal(name, "superseded-ffffffffffffffff.sock");
	assert_true(strlen(name) <= PNS_SET_NAME_MAX);
	pns_set_name(PNS_SET_USER, 5, name, sizeof(name));
	assert_string_equal(name, "user.sock");
	assert_false(pns_set_name_is_valid("../user.sock"));
	assert_false(pns_set_name_is_valid("session-1/../x.sock"));
	assert_false(pns_set_name_is_valid("session-12345678901.sock"));
	assert_false(pns_set_name_is_valid(""));

	/* A reply naming a set outside the state directory is refused. */
	struct pns_msg in = {.type = PNS_MSG_REPLY}, out;
	uint8_t buf[PNS_MSG_MAX];
	size_t len;

	in.reply.set_id = 1;
	strcpy(in.reply.set_name, "../../etc");
	assert_int_equal(roundtrip(&in, &out, buf, &len), -EBADMSG);
	/* A success reply without a set id is refused. */
	in.reply.set_id = 0;
	strcpy(in.reply.set_name, "user.sock");
	assert_int_equal(roundtrip(&in, &out, buf, &len), -EBADMSG);
}

static void test_encode_refuses_bad_type(void **state)
{
	struct pns_msg in = {.type = (enum pns_msg_type)0};
	uint8_t buf[PNS_MSG_MAX];

	assert_int_equal(pns_msg_encode(&in, buf, sizeof(buf)), -EINVAL);
	in.type = PNS_MSG_OPEN;
	in.open = sample_plan();
	assert_int_equal(pns_msg_encode(&in, buf, 20), -ENOBUFS);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_open_roundtrip),
		cmocka_unit_test(test_reply_and_status_roundtrip),
		cmocka_unit_test(test_error_reply_needs_no_set),
		cmocka_unit_test(test_bad_fields),
		cmocka_unit_test(test_shm_size_field),
		cmocka_unit_test(test_group_list),
		cmocka_unit_test(test_hostname_field),
		cmocka_unit_test(test_set_names),
		cmocka_unit_test(test_encode_refuses_bad_type),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
