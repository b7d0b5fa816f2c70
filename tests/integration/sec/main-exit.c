/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * main-exit: a process whose main thread has exited (pthread_exit) while a
 * second thread runs on, the way finding 5 of issue 11 hid from teardown.
 * Then /proc/PID/ns/ is gone and only /proc/PID/task/TID/ns/ says where
 * the process is.
 *
 * The second thread waits until the main thread is a zombie, prints
 * "pid=PID", "tid=TID" and "main-exited", and sleeps until killed.
 */
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static pid_t main_pid;

static char main_state(void)
{
	char path[64], buf[512], *p;
	size_t n;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/task/%d/stat", main_pid, main_pid);
	f = fopen(path, "re");
	if (!f)
		return '?';
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = 0;
	p = strrchr(buf, ')');
	return p && p[1] == ' ' ? p[2] : '?';
}

static void *run(void *arg)
{
	(void)arg;
	while (main_state() != 'Z')
		usleep(10000);
	printf("pid=%d\ntid=%d\nmain-exited\n", main_pid, gettid());
	fflush(stdout);
	for (;;)
		pause();
	return NULL;
}

int main(void)
{
	pthread_t t;

	main_pid = getpid();
	if (pthread_create(&t, NULL, run, NULL) != 0) {
		fprintf(stderr, "main-exit: pthread_create failed\n");
		return 1;
	}
	pthread_exit(NULL);
}
