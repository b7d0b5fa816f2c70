/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * reaper-host: a PAM application that reaps every child in its own SIGCHLD
 * handler (like many daemons), and keeps children exiting while
 * pam_open_session runs, so the handler fires in the middle of it.
 *
 *   reaper-host CONFDIR SERVICE USER plain|wall|thread [ROUNDS]
 *
 * plain: the handler loops waitpid(-1, WNOHANG)          (the common case)
 * wall:  the handler loops waitpid(-1, WNOHANG | __WALL)  (reaps clone
 *        children too, so it can take the helper from the module)
 * thread: no handler, but a second thread runs during the open (setns()
 *        into a mount namespace cannot work in a threaded process: the
 *        module must refuse cleanly)
 *
 * For each round: fork 16 noise children that exit 0-15 ms later, then
 * pam_open_session; print "round=N open_rc=NAME changed=yes|no" (whether
 * this process's mount namespace changed), close the session when it
 * opened, and go back to the mount, IPC and UTS namespaces it started in
 * (setns), so the next round starts from the host again. At the end, after the noise is
 * gone, print "zombies=N" (defunct children of this process that the
 * handler did not reap: must be 0), "reaped=N" (noise children the
 * handler reaped) and "helper_stolen=N" (children the handler reaped that
 * were not noise: the helper, taken from under the module).
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <security/pam_appl.h>

#define NOISE 16
#define MAX_NOISE 4096

static volatile sig_atomic_t reaped, stolen;
static int wall;
static pid_t noise_pids[MAX_NOISE];
static volatile sig_atomic_t n_noise;
static pid_t stolen_pids[64];
static int stolen_status[64];

static void on_chld(int sig)
{
	int saved = errno, st;
	pid_t pid;

	(void)sig;
	while ((pid = waitpid(-1, &st, WNOHANG | (wall ? __WALL : 0))) > 0) {
		int known = 0;

		for (int i = 0; i < n_noise; i++)
			if (noise_pids[i] == pid)
				known = 1;
		if (known)
			reaped++;
		else {
			if (stolen < 64) {
				stolen_pids[stolen] = pid;
				stolen_status[stolen] = st;
			}
			stolen++;
		}
	}
	errno = saved;
}

static void *idle_thread(void *arg)
{
	(void)arg;
	for (;;)
		pause();
	return NULL;
}

static int conv(int n, const struct pam_message **msg, struct pam_response **resp, void *data)
{
	(void)msg;
	(void)data;
	*resp = calloc((size_t)n, sizeof(**resp));
	return *resp ? PAM_SUCCESS : PAM_BUF_ERR;
}

static ino_t ns_ino(void)
{
	struct stat st;

	return stat("/proc/self/ns/mnt", &st) == 0 ? st.st_ino : 0;
}

static int zombies(void)
{
	DIR *d = opendir("/proc");
	struct dirent *de;
	int n = 0;

	if (!d)
		return -1;
	while ((de = readdir(d))) {
		char path[300], buf[512], *p;
		FILE *f;
		int ppid;
		char state;

		if (de->d_name[0] < '0' || de->d_name[0] > '9')
			continue;
		snprintf(path, sizeof(path), "/proc/%s/stat", de->d_name);
		f = fopen(path, "re");
		if (!f)
			continue;
		if (!fgets(buf, sizeof(buf), f)) {
			fclose(f);
			continue;
		}
		fclose(f);
		p = strrchr(buf, ')');
		if (p && sscanf(p + 2, "%c %d", &state, &ppid) == 2 && ppid == getpid() &&
				state == 'Z') {
			printf("zombie pid=%s\n", de->d_name);
			n++;
		}
	}
	closedir(d);
	return n;
}

int main(int argc, char **argv)
{
	struct pam_conv pc = { conv, NULL };
	struct sigaction sa;
	sigset_t block, old;
	int rounds, start_ns, start_ipc, start_uts;
	ino_t start_ino;

	if (argc < 5) {
		fprintf(stderr, "usage: reaper-host CONFDIR SERVICE USER plain|wall [ROUNDS]\n");
		return 2;
	}
	wall = strcmp(argv[4], "wall") == 0;
	if (strcmp(argv[4], "thread") == 0) {
		pthread_t t;

		if (pthread_create(&t, NULL, idle_thread, NULL) != 0) {
			perror("pthread_create");
			return 1;
		}
	}
	rounds = argc > 5 ? atoi(argv[5]) : 1;
	start_ns = open("/proc/self/ns/mnt", O_RDONLY | O_CLOEXEC);
	start_ipc = open("/proc/self/ns/ipc", O_RDONLY | O_CLOEXEC);
	start_uts = open("/proc/self/ns/uts", O_RDONLY | O_CLOEXEC);
	start_ino = ns_ino();

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_chld;
	sa.sa_flags = SA_RESTART | SA_NOCLDSTOP;
	sigaction(SIGCHLD, &sa, NULL);
	sigemptyset(&block);
	sigaddset(&block, SIGCHLD);

	for (int round = 0; round < rounds; round++) {
		pam_handle_t *h = NULL;
		int rc;

		for (int i = 0; i < NOISE && n_noise < MAX_NOISE; i++) {
			pid_t pid;

			/* Record the pid before the handler can see it exit. */
			sigprocmask(SIG_BLOCK, &block, &old);
			pid = fork();
			if (pid == 0) {
				struct timespec ts = { 0, (long)i * 1000000L };

				nanosleep(&ts, NULL);
				_exit(0);
			}
			if (pid > 0)
				noise_pids[n_noise++] = pid;
			sigprocmask(SIG_SETMASK, &old, NULL);
		}

		rc = pam_start_confdir(argv[2], argv[3], &pc, argv[1], &h);
		if (rc != PAM_SUCCESS) {
			printf("round=%d start_rc=%d\n", round, rc);
			return 1;
		}
		rc = pam_open_session(h, 0);
		printf("round=%d open_rc=%s changed=%s\n", round,
				rc == PAM_SUCCESS ? "PAM_SUCCESS"
				: rc == PAM_SESSION_ERR ? "PAM_SESSION_ERR"
				: rc == PAM_BUF_ERR ? "PAM_BUF_ERR"
				: "PAM_OTHER",
				ns_ino() != start_ino ? "yes" : "no");
		fflush(stdout);
		if (rc == PAM_SUCCESS)
			pam_close_session(h, 0);
		pam_end(h, rc);
		if (setns(start_ns, CLONE_NEWNS) < 0 || setns(start_ipc, CLONE_NEWIPC) < 0 ||
				setns(start_uts, CLONE_NEWUTS) < 0) {
			perror("setns back");
			return 1;
		}
	}

	/* Let the last noise children exit and be reaped (bounded). */
	for (int i = 0; i < 200 && reaped + stolen < n_noise; i++) {
		struct timespec ts = { 0, 10000000L };

		nanosleep(&ts, NULL);
	}
	printf("zombies=%d\n", zombies());
	printf("reaped=%d of %d\n", (int)reaped, (int)n_noise);
	for (int i = 0; i < stolen && i < 64; i++)
		printf("stolen pid=%d status=0x%x\n", (int)stolen_pids[i], stolen_status[i]);
	printf("helper_stolen=%d\n", (int)stolen);
	return 0;
}
