/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "tools/outcome.h"

void explain_outcome(const struct pns_settings *s, const struct pns_account *a,
	const char *host_name, pns_subids_fn subids, struct outcome *ret)
{
	struct pns_login in = {
		.settings = s,
		.account = a,
		.host_name = host_name,
		.can_enter_userns = true,
		.subids = subids,
	};
	struct outcome out = {.isolated = s->isolate};
	struct pns_decision d;

	pns_decide(&in, &d);
	if (d.verdict == PNS_VERDICT_DENY)
		out.denied = d.why;
	else if (d.verdict == PNS_VERDICT_ISOLATE)
		out.plan = d.plan;
	if (d.verdict == PNS_VERDICT_ISOLATE && (d.plan.namespaces & PNS_NS_USER)) {
		in.can_enter_userns = false;
		pns_decide(&in, &d);
		out.other_stacks = d.verdict == PNS_VERDICT_DENY
					   ? d.why
					   : "mount, ipc and uts only, without the user namespace "
					     "(userns_fallback = skip)";
	}
	*ret = out;
}
