/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <string.h>

#include "common/decide.h"

static void deny(struct pns_decision *d, int error, const char *why)
{
	d->verdict = PNS_VERDICT_DENY;
	d->error = error;
	d->why = why ? why : "the settings are inconsistent";
}

void pns_decide(const struct pns_login *in, struct pns_decision *ret)
{
	const struct pns_settings *s = in->settings;
	struct pns_decision d = {.verdict = PNS_VERDICT_IGNORE};
	struct pns_idrange subuid, subgid;
	const char *why = NULL;
	int r;

	if (!s->isolate) {
		*ret = d;
		return;
	}
	r = pns_plan_build(s, &in->account->id, in->host_name, &d.plan, &why);
	if (r < 0) {
		deny(&d, r, why);
		*ret = d;
		return;
	}
	/* The user namespace can be entered only from a session child that
	 * the module reaches (sshd); elsewhere userns_fallback decides, before
	 * the subordinate ranges are looked for: a stack that skips the user
	 * namespace needs none. */
	r = pns_plan_for_caller(&d.plan, in->can_enter_userns, &d.userns_skipped, &why);
	if (r >= 0 && (d.plan.namespaces & PNS_NS_USER) &&
		d.plan.userns_map == PNS_USERNS_MAP_SUBID) {
		r = (in->subids ? in->subids : pns_account_subids)(
			in->account, &subuid, &subgid, &why);
		if (r >= 0)
			r = pns_plan_set_subids(&d.plan, &subuid, &subgid, &why);
	}
	if (r < 0) {
		deny(&d, r, why);
		*ret = d;
		return;
	}
	d.verdict = PNS_VERDICT_ISOLATE;
	*ret = d;
}
