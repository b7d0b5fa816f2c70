/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * The wire protocol between the module, the helper, the anchors and
 * pam_nsctl: SOCK_SEQPACKET, one message per packet. A fixed little-endian
 * header (magic "PNS1", version, type, body length) and a fixed body per
 * type. The decoder checks every field; anything unexpected is -EBADMSG.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/macro.h"
#include "common/plan.h"

/* 2: every set has a random id, in REPLY, RELEASE and STATUS_REPLY.
 * 3: the plan carries shm_size and shm_inodes. */
#define PNS_PROTO_VERSION 3u
#define PNS_MSG_MAX 1024
#define PNS_SET_NAME_MAX 40 /* "user.sock", "superseded-0123456789abcdef.sock" */
#define PNS_MESSAGE_MAX 200

enum pns_msg_type {
	PNS_MSG_OPEN = 1, /* module -> helper -> anchor: plan; fd: caller pidfd */
	PNS_MSG_REPLY,	  /* anchor -> helper -> module; fd: anchor pidfd on success */
	PNS_MSG_RELEASE,  /* module -> anchor: set id, session id */
	PNS_MSG_STATUS,	  /* pam_nsctl -> anchor */
	PNS_MSG_STATUS_REPLY,
	PNS_MSG_STOP, /* pam_nsctl -> anchor: force flag */
	_PNS_MSG_MAX,
};

struct pns_reply {
	int32_t error;	 /* 0 or -errno */
	uint64_t set_id; /* non-zero on success: which set, whatever its name */
	uint64_t session_id;
	bool created;		       /* this login created the set */
	uint64_t ns_ino[_PNS_NSI_MAX]; /* 0 where the set has no such namespace */
	char set_name[PNS_SET_NAME_MAX + 1];
	char message[PNS_MESSAGE_MAX + 1]; /* why, when error != 0 */
};

struct pns_status {
	uint32_t uid;
	int32_t anchor_pid;
	uint32_t sessions;
	uint32_t processes; /* processes in the set, not counting the anchor */
	uint64_t since;	    /* CLOCK_REALTIME seconds */
	uint64_t set_id;
	char set_name[PNS_SET_NAME_MAX + 1];
	uint64_t ns_ino[_PNS_NSI_MAX];
	struct pns_plan plan;
};

/* A session is named by its set's id and its id in that set: a RELEASE
 * that reaches another set (a socket name reused) matches nothing. */
struct pns_release {
	uint64_t set_id;
	uint64_t session_id;
};

struct pns_msg {
	enum pns_msg_type type;
	union {
		struct pns_plan open;
		struct pns_reply reply;
		struct pns_release release;
		struct pns_status status;
		bool stop_force;
	};
};

/* Encode m into buf; returns the length or -EINVAL / -ENOBUFS. */
int pns_msg_encode(const struct pns_msg *m, uint8_t *buf, size_t size) _warn_unused_result_;
/* Decode exactly len bytes; 0 or -EBADMSG. *ret is written only on success. */
int pns_msg_decode(const uint8_t *buf, size_t len, struct pns_msg *ret) _warn_unused_result_;

/*
 * A set name is "user.sock" (the share = user set logins join),
 * "session-<id>.sock" (a share = session set) or "superseded-<id>.sock" (a
 * share = user set that a policy change replaced), <id> the set id in 16
 * lower-case hex digits: safe as a file name.
 */
bool pns_set_name_is_valid(const char *s);

enum pns_set_kind { PNS_SET_USER, PNS_SET_SESSION, PNS_SET_SUPERSEDED };

/* The name of a set of that kind and id ("user.sock" whatever the id);
 * buf of at least PNS_SET_NAME_MAX + 1 bytes. */
void pns_set_name(enum pns_set_kind kind, uint64_t set_id, char *buf, size_t size);

/* The id in a session- or superseded- name; false for user.sock and
 * anything invalid. */
bool pns_set_name_id(const char *s, uint64_t *ret_id);

/* Copy src into a fixed field, truncating; always NUL-terminated. */
void pns_strlcpy(char *dst, const char *src, size_t size);
