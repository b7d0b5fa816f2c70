/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * What `pam_nsctl explain` reports for an account: the decision the module
 * makes in sshd's stack (the one caller that can enter a user namespace)
 * and, when that plan has a user namespace, what every other stack gets.
 * Both come from pns_decide(), the module's own decision.
 */

#include <stdbool.h>

#include "common/decide.h"

struct outcome {
	bool isolated;
	struct pns_plan plan;
	const char *denied; /* the reason, or NULL */
	/* With a user namespace: what su, login and other stacks without a
	 * hook in the session's child do instead (NULL otherwise). */
	const char *other_stacks;
};

/* subids: NULL for pns_account_subids() (tests pass their own). */
void explain_outcome(const struct pns_settings *s, const struct pns_account *a,
	const char *host_name, pns_subids_fn subids, struct outcome *ret);
