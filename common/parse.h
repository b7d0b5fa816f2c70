/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * Strict parsers for policy values. Each returns 0 and writes *ret, or
 * -EINVAL (malformed) / -ERANGE (out of range) and leaves *ret untouched.
 * Never atoi/strtol-with-defaults: "abc", "010", "0x10", "-1", " 5", "5 ",
 * "" and overflowing values are all errors.
 */

#include <stdbool.h>
#include <stdint.h>

#include "common/macro.h"
#include "common/policy.h"

/* yes no true false on off 1 0, lower case only. */
int pns_parse_bool(const char *s, bool *ret) _warn_unused_result_;
/* Plain decimal without sign or leading zeros ("0" itself is fine). */
int pns_parse_u64(const char *s, uint64_t *ret) _warn_unused_result_;
/* A uid or gid: plain decimal below (uint32_t)-1 (which means "no id"). */
int pns_parse_id(const char *s, uint32_t *ret) _warn_unused_result_;
/* N, NK, NM, NG (powers of 1024) or N% with 1 <= N <= 100. Zero is an error. */
int pns_parse_size(const char *s, struct pns_size *ret) _warn_unused_result_;
/* A positive inode count (plain decimal, not 0). */
int pns_parse_inodes(const char *s, uint64_t *ret) _warn_unused_result_;

/* RFC 1123 host name: labels of [A-Za-z0-9-], 1..63 bytes, not starting or
 * ending with '-', joined by '.', at most 64 bytes in all (HOST_NAME_MAX). */
bool pns_hostname_is_valid(const char *s);

/*
 * Check a hostname template as the policy holds it: at most
 * PNS_HOSTNAME_TEMPLATE_MAX bytes of letters, digits, '-', '.' and the
 * escapes %u %U %h %%. 0, or -EINVAL with a sentence in msg.
 */
int pns_hostname_template_check(const char *v, char *msg, size_t msize) _warn_unused_result_;

/*
 * Expand a hostname template: %u user name, %U uid, %h host name, %% a
 * percent sign. Returns 0, -EINVAL for an unknown %-escape, -ENAMETOOLONG
 * if the result does not fit in size bytes. The result is not validated.
 */
int pns_hostname_expand(const char *tmpl, const char *user, uint32_t uid, const char *host,
	char *buf, size_t size) _warn_unused_result_;
