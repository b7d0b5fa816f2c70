/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * nsinfo [PATH]: what the kernel says about a user namespace (default
 * /proc/self/ns/user), one key=value per line:
 *   ino=N          its inode number
 *   type=user      NS_GET_NSTYPE (or the number it returned)
 *   owner=N        NS_GET_OWNER_UID, as seen from the caller's user namespace
 *                  (an owner unmapped there shows as the overflow uid)
 *   parent=N       inode of NS_GET_PARENT, or parent=error:MSG
 * Exit status 0 when every ioctl it needs answered, 1 otherwise.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/nsfs.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	const char *path = argc > 1 ? argv[1] : "/proc/self/ns/user";
	struct stat st;
	uid_t owner = (uid_t)-1;
	int fd, parent, type;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &st) < 0) {
		fprintf(stderr, "nsinfo: %s: %s\n", path, strerror(errno));
		return 1;
	}
	printf("ino=%llu\n", (unsigned long long)st.st_ino);
	type = ioctl(fd, NS_GET_NSTYPE);
	if (type == CLONE_NEWUSER)
		printf("type=user\n");
	else
		printf("type=%d\n", type);
	if (ioctl(fd, NS_GET_OWNER_UID, &owner) < 0) {
		printf("owner=error:%s\n", strerror(errno));
		return 1;
	}
	printf("owner=%u\n", (unsigned)owner);
	parent = ioctl(fd, NS_GET_PARENT);
	if (parent < 0) {
		printf("parent=error:%s\n", strerror(errno));
	} else if (fstat(parent, &st) == 0) {
		printf("parent=%llu\n", (unsigned long long)st.st_ino);
		close(parent);
	}
	close(fd);
	return type == CLONE_NEWUSER ? 0 : 1;
}
