/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * What the files of pam_nsctl share: exit codes, the options a verb gets,
 * output escaping (output.c), the active sets (sets.c), and each verb's
 * entry point (check.c, explain.c, list.c, enter.c, stop.c), which
 * pam_nsctl.c's commands[] table dispatches to.
 */

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <poll.h>
#include <pwd.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "common/client.h"
#include "common/fdutil.h"
#include "common/identity.h"
#include "common/join.h"
#include "common/keys.h"
#include "common/macro.h"
#include "common/namespace.h"
#include "common/parse.h"
#include "common/plan.h"
#include "common/policy.h"
#include "common/setcg.h"
#include "common/sdunit.h"
#include "tools/outcome.h"
#ifndef PNS_CONFIG_FILE
#error "PNS_CONFIG_FILE must be set by the build"
#endif
#ifndef PNS_STATE_DIR
#error "PNS_STATE_DIR must be set by the build"
#endif

enum {
	EXIT_OK = 0,
	EXIT_NEGATIVE = 1, /* invalid policy, no such user, login denied */
	EXIT_TROUBLE = 2,  /* usage or system error */
};

extern const char program_name[];

/* Longest "nosuid,nodev,...,mode=1777,size=..." a mount step prints as. */
#define OPTS_MAX 256

enum {
	CMD_TRAILING = 1u << 0, /* takes a command after "--" */
	CMD_FORCE = 1u << 1,	/* takes --force */
	CMD_SET = 1u << 2,	/* takes --set NAME */
	CMD_JSON = 1u << 3,	/* takes --json */
};

struct options {
	const char *command;
	const char *config;
	const char *set; /* --set: "user", "session-ID", "superseded-ID" */
	bool json;
	bool force;
	char **args; /* after the command name, before "--" (or all, see CMD_TRAILING) */
	size_t n_args;
	char **trailing; /* after "--", NULL-terminated, for CMD_TRAILING commands */
	size_t n_trailing;
};

struct command {
	const char *name;
	const char *synopsis;
	const char *summary;
	size_t min_args, max_args;
	unsigned flags;
	int (*run)(const struct options *o);
};

/* How long an anchor may take to answer; STOP --force kills and waits. */
#define ANCHOR_TIMEOUT_USEC (5 * 1000000ull)
#define STOP_TIMEOUT_USEC (15 * 1000000ull)

enum set_state {
	SET_LIVE,  /* the anchor answered STATUS */
	SET_STALE, /* a socket nothing listens on (its anchor died) */
	SET_ERROR, /* the anchor did not answer, or answered nonsense */
};

struct set_entry {
	uint32_t uid;
	char file[PNS_SET_NAME_MAX + 1]; /* "user.sock", "session-ID.sock", ... */
	enum set_state state;
	int error;		  /* SET_ERROR: -errno */
	struct pns_status status; /* SET_LIVE */
};

struct set_list {
	struct set_entry *items;
	size_t n;
	size_t n_problems; /* uid directories that could not be read */
};

struct target {
	uint32_t uid;
	char *name; /* NULL: NSS does not know the uid */
	char who[PNS_MESSAGE_MAX];
	int dir_fd;
	struct set_entry set;
	int pidfd; /* the anchor's */
};

static inline void diag_list_clearp(struct pns_diag_list *l)
{
	pns_diag_list_clear(l);
}
#define _cleanup_diags_ _cleanup_(diag_list_clearp)

/* check.c */
int cmd_check(const struct options *o);

/* enter.c */
int cmd_enter(const struct options *o);

/* explain.c */
int cmd_explain(const struct options *o);

/* list.c */
int cmd_list(const struct options *o);

/* output.c */
/* A plan's value as the policy writes it (plans are validated: never "?"). */
const char *value_word(enum pns_key k, unsigned v);
void diags_json(FILE *f, const struct pns_diag_list *d);
void diags_print(FILE *f, const struct pns_diag_list *d);
void json_string(FILE *f, const char *s);
void json_string_or_null(FILE *f, const char *s);
void log_error(const char *fmt, ...) _printf_(1, 2);
void ns_list_json(FILE *f, unsigned mask);
void origin_json(FILE *f, const struct pns_origin *o);
void origin_put(FILE *f, const struct pns_origin *o);
size_t text_put(FILE *f, const char *s);
void text_put_padded(FILE *f, const char *s, size_t width);
size_t text_width(const char *s);

/* sets.c */
int pick_set(const struct options *o, struct target *t, char *why, size_t size);
void set_display_name(const char *file, char *buf, size_t size);
void set_list_clear(struct set_list *l);
int sets_collect(struct set_list *l);
void target_clear(struct target *t);
bool user_name_of(uint32_t uid, char **ret);

/* stop.c */
int cmd_stop(const struct options *o);
