/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * What iniparser confirmed, kept between logins (docs/DESIGN.md, "The
 * policy cache"). Step 3 of the loader (policy.c) hands iniparser the
 * bytes of the sections that apply to an account, in batches, and compares
 * its reading with the scanner's. Both readings are functions of those
 * bytes alone, so a batch whose exact bytes were confirmed before, by this
 * same module build with this same libiniparser file, is confirmed again
 * without loading iniparser: /run/pam_ns/policy-cache holds such batches.
 *
 * The file: a header (magic, the module's build ID, libiniparser's path
 * and file identity), then records (sections, keys, length, the
 * batch's bytes), newest first, at most PNS_POLICY_CACHE_MAX bytes in all.
 * Root's, mode 0600, in the root-only PNS_RUN_DIR; written whole into an
 * unnamed file and then linked, so no reader sees a part of one. Anything
 * that does not check out (owner, mode, type, size, header, an identity)
 * is a miss: iniparser runs as it would without a cache.
 */
#pragma once

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>

#define PNS_POLICY_CACHE_NAME "policy-cache"
#define PNS_POLICY_CACHE_MAX (64u * 1024u)
#define PNS_POLICY_CACHE_PATH_MAX 256

/* A file as stat() sees it: another file, or this one rewritten, differs. */
struct pns_file_id {
	uint64_t dev, ino, size, mtime_ns, ctime_ns;
};

void pns_file_id_of(const struct stat *st, struct pns_file_id *ret);

/* The code that runs: the GNU build ID of the object this file is linked
 * into, as it is mapped (not the file at its path now, which an upgrade
 * replaces under a process that keeps the old one loaded); zero-padded,
 * cut at PNS_POLICY_CACHE_MODULE_ID bytes. */
#define PNS_POLICY_CACHE_MODULE_ID 40

struct policy_cache {
	int dir_fd; /* PNS_RUN_DIR, not ours to close; -1: no cache */
	uint8_t module[PNS_POLICY_CACHE_MODULE_ID];
	uint8_t *old; /* the records read, when they can be used */
	size_t old_size;
	struct pns_file_id old_lib; /* the libiniparser they were confirmed with */
	uint8_t *add;		    /* records confirmed by this run */
	size_t add_size, add_alloc;
};

/* ---- the format (pure, for the tests) ---- */

/* The header into out (max bytes); its size, or 0 if the path is too long
 * or max too small. */
size_t policy_cache_header(uint8_t *out, size_t max,
	const uint8_t module[static PNS_POLICY_CACHE_MODULE_ID], const struct pns_file_id *lib,
	const char *lib_path);

/* buf's header is for this module: the library it names, and where the
 * records start. */
bool policy_cache_parse(const uint8_t *buf, size_t size,
	const uint8_t module[static PNS_POLICY_CACHE_MODULE_ID], struct pns_file_id *ret_lib,
	char ret_lib_path[static PNS_POLICY_CACHE_PATH_MAX], size_t *ret_records);

/* Is this batch among the records? A record that runs past the end stops the search. */
bool policy_cache_find(const uint8_t *recs, size_t size, uint32_t n_sections, uint32_t n_keys,
	const void *bytes, size_t len);

/* Append a record to a growing buffer. */
int policy_cache_append(uint8_t **buf, size_t *size, size_t *alloc, uint32_t n_sections,
	uint32_t n_keys, const void *bytes, size_t len);

/* How many bytes of whole, well-formed records from recs fit in room. */
size_t policy_cache_fit(const uint8_t *recs, size_t size, size_t room);

/* ---- the file ---- */

/* Read the cache in dir_fd (PNS_RUN_DIR) for this module; dir_fd < 0: no cache. */
void policy_cache_open(struct policy_cache *c, int dir_fd);

/* Confirmed before, with the libiniparser file that is there now? */
bool policy_cache_has(const struct policy_cache *c, uint32_t n_sections, uint32_t n_keys,
	const void *bytes, size_t len);

/* This run confirmed a batch. */
void policy_cache_note(struct policy_cache *c, uint32_t n_sections, uint32_t n_keys,
	const void *bytes, size_t len);

/* Write what this run confirmed (with the older records that fit, when
 * they are for the same library), if anything; errors are ignored. */
void policy_cache_save(struct policy_cache *c, const struct pns_file_id *lib, const char *lib_path);

void policy_cache_done(struct policy_cache *c);
