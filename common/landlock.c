/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The /proc door, closed with a Landlock domain (docs/DESIGN.md, "The /proc
 * door").
 *
 * A set without a PID namespace shares the host's /proc. From inside it,
 * /proc/PID/root and /proc/PID/cwd of any process of the same user that runs
 * outside the set (a user manager, a cron job, anything started before the
 * login) lead to the host's root and so to the host's /tmp. The kernel
 * guards those links with a ptrace access check, and Landlock adds to that
 * check: a process in a Landlock domain may not ptrace-access a process
 * outside its domain (Landlock ABI 1, Linux 5.13). So the PAM caller puts
 * itself in a domain of its own just before it joins the set, and the
 * session inherits it; nothing the session starts can leave it.
 *
 * The ruleset restricts no file access: it handles one right, making block
 * devices, and allows it beneath "/". Setuid programs, FIFOs and every file
 * the user could reach before stay as they were. The caller is root with
 * CAP_SYS_ADMIN, so it needs no no_new_privs, which would have disarmed
 * setuid programs (su, passwd) in the session.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/landlock.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "common/fdutil.h"
#include "common/landlock.h"
#include "common/macro.h"

int pns_landlock_ruleset(void)
{
	struct landlock_ruleset_attr attr = {
		.handled_access_fs = LANDLOCK_ACCESS_FS_MAKE_BLOCK,
	};
	struct landlock_path_beneath_attr beneath = {
		.allowed_access = LANDLOCK_ACCESS_FS_MAKE_BLOCK,
	};
	_cleanup_close_ int ruleset_fd = -1, root_fd = -1;
	long abi;

	/* ENOSYS: a kernel built without Landlock; EOPNOTSUPP: built with it,
	 * but not enabled at boot (the lsm= list). */
	abi = syscall(SYS_landlock_create_ruleset, NULL, 0, LANDLOCK_CREATE_RULESET_VERSION);
	if (abi < 0)
		return negative_errno();
	if (abi < 1)
		return -EOPNOTSUPP;

	ruleset_fd = (int)syscall(SYS_landlock_create_ruleset, &attr, sizeof(attr), 0);
	if (ruleset_fd < 0)
		return negative_errno();
	root_fd = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (root_fd < 0)
		return negative_errno();
	beneath.parent_fd = root_fd;
	if (syscall(SYS_landlock_add_rule, ruleset_fd, LANDLOCK_RULE_PATH_BENEATH, &beneath, 0) < 0)
		return negative_errno();
	return TAKE_FD(ruleset_fd);
}

int pns_landlock_restrict(int ruleset_fd)
{
	if (syscall(SYS_landlock_restrict_self, ruleset_fd, 0) < 0)
		return negative_errno();
	return 0;
}
