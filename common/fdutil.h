/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Descriptor plumbing shared by the module, the helper and pam_nsctl. */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <dirent.h>

#include "common/macro.h"

#define PNS_MAX_FDS 4

uint64_t pns_now_usec(void);

/* poll() fd for events until deadline (CLOCK_MONOTONIC µs); -ETIMEDOUT when it passes. */
int pns_wait_fd(int fd, short events, uint64_t deadline);

/* One packet, with up to PNS_MAX_FDS descriptors attached; MSG_NOSIGNAL so a
 * dead peer is -EPIPE, never a SIGPIPE in the host process. */
int pns_send_packet(
	int sock, const void *buf, size_t len, const int *fds, size_t n_fds) _warn_unused_result_;

/*
 * Receive one packet before deadline. Descriptors arrive close-on-exec;
 * a truncated packet or truncated control data is -EBADMSG and every
 * descriptor that did arrive is closed. 0 bytes (peer closed) is -ECONNRESET.
 * Returns the packet length.
 */
ssize_t pns_recv_packet(int sock, void *buf, size_t size, int *fds, size_t max_fds,
	size_t *ret_n_fds, uint64_t deadline) _warn_unused_result_;

/* All of buf, across short writes and EINTR; -errno. */
int pns_write_all(int fd, const void *buf, size_t size);

void pns_close_many(int *fds, size_t n);

int pns_pidfd_open(pid_t pid) _warn_unused_result_;
int pns_pidfd_send_signal(int pidfd, int sig);

/*
 * The one rule for a file or directory that only root can have written:
 * owned by root and not writable by group or others. The policy, the
 * helper, the run directory and the paths above them are held to it
 * (docs/SECURITY.md). Two halves, so that a caller can say which failed.
 */
static inline bool pns_stat_owner_is_root(const struct stat *st)
{
	return st->st_uid == 0;
}
static inline bool pns_stat_mode_is_root_only(const struct stat *st)
{
	return !(st->st_mode & (S_IWGRP | S_IWOTH));
}
static inline bool pns_stat_is_root_only(const struct stat *st)
{
	return pns_stat_owner_is_root(st) && pns_stat_mode_is_root_only(st);
}

/* Connect a SOCK_SEQPACKET socket to dir_fd/name and check that the peer is root. */
int pns_connect_at(int dir_fd, const char *name) _warn_unused_result_;

/* Room for a sentence that names a refused path and says what it must be. */
#define PNS_PATH_WHY_MAX 256

/*
 * Whether st (of the directory at path) is a real directory owned by root
 * and not writable by group or others, nor has any bit of forbidden_mode.
 * 0, or -ENOTDIR / -ELOOP (a symlink) / -EPERM with, when why is not NULL,
 * one sentence in why[PNS_PATH_WHY_MAX] naming the path, what is wrong and
 * what it must be: "/var/lib/pam_ns: mode 0755, must be a directory owned by
 * root, mode 0700".
 */
int pns_root_dir_problem(const struct stat *st, mode_t forbidden_mode, const char *path,
	char *why) _warn_unused_result_;

/* Open (creating with mode if missing) a directory below dir_fd that must
 * pass pns_root_dir_problem(). Never follows a symlink. path names it in
 * the sentence written to why (may be NULL) on a refusal. */
int pns_open_root_dir(int dir_fd, const char *name, mode_t mode, mode_t forbidden_mode,
	const char *path, char *why) _warn_unused_result_;

/* A fresh directory stream on dir_fd's directory (its own file description,
 * so dir_fd's offset is untouched). Close it with closedir(). */
int pns_opendir_at(int dir_fd, DIR **ret) _warn_unused_result_;

/*
 * The same without malloc(), for the static helper and the anchor: opendir()
 * is the only caller of libc's allocator there, and a heap page made before
 * the anchor is forked stays in every idle set's memory (issue 14). The
 * buffer lives in the caller's struct; names come back in directory order,
 * "." and ".." included.
 */
struct pns_dir {
	int fd;
	size_t pos, end;
	_Alignas(8) char buf[1024];
};
/* 0 or -errno. Close with pns_dir_close(). */
int pns_dir_open_at(int dir_fd, struct pns_dir *d) _warn_unused_result_;
/* The next name, or NULL at the end or on an error (errno set, as readdir());
 * its DT_* type in *ret_type unless ret_type is NULL. */
const char *pns_dir_next(struct pns_dir *d, unsigned char *ret_type);
void pns_dir_close(struct pns_dir *d);

/*
 * Open an absolute path that only root can have put there: walking from "/",
 * every directory must be a real directory (no symlink) owned by root and
 * not writable by group or others, and so must the last component, which
 * must be a regular file. Returns an O_PATH|O_CLOEXEC descriptor of it.
 */
int pns_open_trusted_file(const char *path) _warn_unused_result_;

/* Number of threads of the calling process, from /proc/self/status. */
int pns_count_threads(void) _warn_unused_result_;

/* st_ino of /proc/self/ns/<type> ("mnt", "ipc", "uts", "user"). */
int pns_ns_inode(const char *type, uint64_t *ret) _warn_unused_result_;
