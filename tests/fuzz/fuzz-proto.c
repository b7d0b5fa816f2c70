/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Fuzz the wire decoder: whatever decodes must encode back to the same bytes. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/proto.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct pns_msg m;
	uint8_t buf[PNS_MSG_MAX];
	const char *why;
	int n;

	if (pns_msg_decode(data, size, &m) < 0)
		return 0;
	if (m.type == PNS_MSG_OPEN && pns_plan_validate(&m.open, &why) < 0)
		abort(); /* the decoder let an invalid plan through */
	n = pns_msg_encode(&m, buf, sizeof(buf));
	if (n < 0 || (size_t)n != size || memcmp(buf, data, size) != 0)
		abort(); /* decode is not the inverse of encode */
	return 0;
}
