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
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "common/client.h"
#include "common/utc.h"
#include "helper/helper.h"

/* The first error logged, for the reply to the module. */
static char last_error[PNS_MESSAGE_MAX + 1];

/*
 * syslog(3), written out: one datagram per line to /dev/log, as musl's
 * syslog() sends it ("<PRI>Mmm dd hh:mm:ss pam_ns-helper[PID]: message",
 * the time in UTC), connected at the first line. libc's own formats its
 * time stamp with strftime(), which links the time zone code: 10 KiB of
 * the static helper's text, which every anchor faults in (issue 14).
 */
static int log_fd = -1;

static void log_send(int prio, int saved_errno, const char *fmt, va_list ap)
{
	static const char months[] = "JanFebMarAprMayJunJulAugSepOctNovDec";
	static const struct sockaddr_un sa = {.sun_family = AF_UNIX, .sun_path = "/dev/log"};
	char buf[1024];
	struct pns_utc tm;
	size_t len;
	int n, m;

	pns_utc_from_epoch((int64_t)time(NULL), &tm);
	if (!(prio & LOG_FACMASK))
		prio |= LOG_AUTHPRIV;
	n = snprintf(buf, sizeof(buf), "<%d>%.3s %2d %02d:%02d:%02d pam_ns-helper[%d]: ", prio,
		months + 3 * ((tm.month - 1) % 12), tm.day, tm.hour, tm.minute, tm.second,
		(int)getpid());
	if (n < 0 || (size_t)n >= sizeof(buf))
		return;
	errno = saved_errno; /* for %m */
	m = vsnprintf(buf + n, sizeof(buf) - (size_t)n, fmt, ap);
	if (m < 0)
		return;
	len = (size_t)n + (size_t)m < sizeof(buf) ? (size_t)n + (size_t)m : sizeof(buf) - 1;
	/* A send that fails (the receiver restarted) connects again, once. */
	for (int tries = 0; tries < 2; tries++) {
		if (log_fd < 0) {
			log_fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
			if (log_fd >= 0 &&
				connect(log_fd, (const struct sockaddr *)&sa, sizeof(sa)) < 0)
				log_fd = safe_close(log_fd);
			if (log_fd < 0)
				return;
		}
		if (send(log_fd, buf, len, MSG_NOSIGNAL) >= 0)
			return;
		log_fd = safe_close(log_fd);
	}
}

void helper_log_close(void)
{
	log_fd = safe_close(log_fd);
}

void helper_log_forget(void)
{
	log_fd = -1;
}

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
	log_send(prio, saved, fmt, ap);
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
