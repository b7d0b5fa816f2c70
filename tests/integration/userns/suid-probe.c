/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * suid-probe: the t-userns-* tests compile this at run time into their own
 * temp dir, chown it root and chmod 4755. It prints the ids it runs with:
 * on the host a user gets euid=0 from it; inside a session's user namespace
 * (where root is unmapped) the setuid bit must give nothing.
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <unistd.h>

int main(void)
{
	uid_t ruid, euid, suid;
	gid_t rgid, egid, sgid;

	if (getresuid(&ruid, &euid, &suid) < 0 || getresgid(&rgid, &egid, &sgid) < 0) {
		perror("getres[ug]id");
		return 1;
	}
	printf("uid=%u euid=%u suid=%u gid=%u egid=%u sgid=%u\n", (unsigned)ruid,
			(unsigned)euid, (unsigned)suid, (unsigned)rgid, (unsigned)egid,
			(unsigned)sgid);
	return 0;
}
