/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The helper's and the anchor's log, and the error reply that carries the
 * first error logged (docs/error-handling.md, "Across processes"). Every
 * other file of the helper calls in here; this file calls none of them.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "common/client.h"
#include "helper/helper.h"

/* The first error logged, for the reply to the module. */
static char last_error[PNS_MESSAGE_MAX + 1];

void helper_log(int prio, const char *fmt, ...)
{
	int saved = errno;
	va_list ap;

	va_start(ap, fmt);
	if (prio <= LOG_ERR && !last_error[0]) {
		va_list aq;

		va_copy(aq, ap);
		errno = saved;
		vsnprintf(last_error, sizeof(last_error), fmt, aq);
		va_end(aq);
	}
	errno = saved;
	vsyslog(prio, fmt, ap);
	va_end(ap);
	errno = saved;
}

bool helper_has_error(void)
{
	return last_error[0] != 0;
}

void helper_keep_error(const char *message)
{
	if (message[0] && !last_error[0])
		pns_strlcpy(last_error, message, sizeof(last_error));
}

int helper_reply_error(int fd, int error)
{
	struct pns_msg m = {.type = PNS_MSG_REPLY};

	m.reply.error = error;
	pns_strlcpy(m.reply.message, last_error[0] ? last_error : strerror(-error),
		sizeof(m.reply.message));
	return pns_send_msg(fd, &m, NULL, 0);
}
