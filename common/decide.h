/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * The decision: resolved settings, the account and the caller in; what the
 * module does for this login out (leave it alone, build this plan, or deny
 * it and say why). The module and `pam_nsctl explain` both call
 * pns_decide(), so explain cannot say other than what the module does.
 * The only lookup it makes is the account's subordinate ranges
 * (userns_map = subid), through a function the caller may replace.
 */

#include <stdbool.h>

#include "common/identity.h"
#include "common/plan.h"
#include "common/policy.h"

enum pns_verdict {
	PNS_VERDICT_IGNORE,  /* isolate = no: the module returns PAM_IGNORE */
	PNS_VERDICT_ISOLATE, /* the plan goes to the helper */
	PNS_VERDICT_DENY,    /* the login is refused, for the reason in why */
};

typedef int (*pns_subids_fn)(const struct pns_account *a, struct pns_idrange *ret_uid,
	struct pns_idrange *ret_gid, const char **ret_why);

struct pns_login {
	const struct pns_settings *settings; /* pns_policy_resolve() for the account */
	const struct pns_account *account;   /* with its groups if settings ask for user */
	const char *host_name;		     /* the host's name, for %h */
	/* sshd's stack with the module in its auth section, whose setcred
	 * reaches the session child (docs/DESIGN.md, "The user namespace") */
	bool can_enter_userns;
	pns_subids_fn subids; /* NULL: pns_account_subids() */
};

struct pns_decision {
	enum pns_verdict verdict;
	struct pns_plan plan; /* PNS_VERDICT_ISOLATE */
	const char *why;      /* PNS_VERDICT_DENY: a sentence for the log */
	int error;	      /* PNS_VERDICT_DENY: the -errno behind it */
	/* PNS_VERDICT_ISOLATE: userns_fallback = skip took the user namespace
	 * out of the plan, because this caller cannot enter one. */
	bool userns_skipped;
};

void pns_decide(const struct pns_login *in, struct pns_decision *ret);
