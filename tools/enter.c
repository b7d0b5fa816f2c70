/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* pam_nsctl enter: run a command in an account's set. */
#include "tools/nsctl.h"

/* Run argv in a child and wait for it; its exit status, shell style. */
static int run_and_wait(char *const argv[])
{
	struct sigaction ign = {.sa_handler = SIG_IGN}, old_int, old_quit;
	int status, saved;
	pid_t pid;

	/* As system() does: ^C and ^\ are for the command, not for us. */
	sigemptyset(&ign.sa_mask);
	sigaction(SIGINT, &ign, &old_int);
	sigaction(SIGQUIT, &ign, &old_quit);
	fflush(stdout);
	fflush(stderr);
	pid = fork();
	if (pid < 0) {
		saved = errno;
		sigaction(SIGINT, &old_int, NULL);
		sigaction(SIGQUIT, &old_quit, NULL);
		errno = saved;
		log_error("Failed to fork: %m");
		return EXIT_TROUBLE;
	}
	if (pid == 0) {
		sigaction(SIGINT, &old_int, NULL);
		sigaction(SIGQUIT, &old_quit, NULL);
		execvp(argv[0], argv);
		saved = errno;
		fprintf(stderr, "%s: Failed to run ", program_name);
		text_put(stderr, argv[0]);
		fprintf(stderr, ": %s\n", strerror(saved));
		_exit(saved == ENOENT ? 127 : 126);
	}
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR) {
			log_error("Failed to wait for the command: %m");
			return EXIT_TROUBLE;
		}
	sigaction(SIGINT, &old_int, NULL);
	sigaction(SIGQUIT, &old_quit, NULL);
	if (WIFEXITED(status))
		return WEXITSTATUS(status);
	if (WIFSIGNALED(status))
		return 128 + WTERMSIG(status);
	return EXIT_TROUBLE;
}

/*
 * Count this process, and so the command, among the set's processes: into
 * the set's cgroup (common/setcg.h), so that the set is not torn down
 * under the command. A set whose anchor walks /proc has no cgroup, and
 * finds us by our namespaces.
 */
static void join_set_cgroup(const struct target *t, const char *set)
{
	_cleanup_close_ int root_fd = -1, dir_fd = -1;
	char path[PNS_SETCG_PATH_MAX];
	int r;

	root_fd = pns_setcg_open();
	if (root_fd < 0)
		return;
	pns_setcg_path(path, t->set.status.uid, t->set.status.set_id);
	dir_fd = openat(root_fd, path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (dir_fd < 0)
		return;
	r = pns_setcg_attach(dir_fd, getpid());
	if (r < 0) {
		fprintf(stderr,
			"%s: Warning: cannot count this command among the processes of set %s "
			"(%s): the set may end while it runs\n",
			program_name, set, strerror(-r));
	}
}

int cmd_enter(const struct options *o)
{
	struct target t = {.dir_fd = -1, .pidfd = -1};
	char why[PNS_MESSAGE_MAX * 2], set[PNS_SET_NAME_MAX + 1], ns[64];
	char *shell_argv[2] = {NULL, NULL};
	char *const *argv = o->n_trailing > 0 ? o->trailing : shell_argv;
	unsigned namespaces = 0;
	int r;

	/* setns() into a mount namespace fails in a multi-threaded process. */
	r = pns_count_threads();
	if (r < 0) {
		log_error("Failed to count the threads of this process: %s", strerror(-r));
		return EXIT_TROUBLE;
	}
	if (r != 1) {
		log_error("Refusing to enter a set from a multi-threaded process");
		return EXIT_TROUBLE;
	}
	r = pick_set(o, &t, why, sizeof(why));
	if (r != EXIT_OK) {
		fprintf(stderr, "%s: ", program_name);
		text_put(stderr, why);
		fputc('\n', stderr);
		target_clear(&t);
		return r;
	}
	set_display_name(t.set.file, set, sizeof(set));
	for (size_t i = 0; i < _PNS_NSI_MAX; i++)
		if (pns_ns_joined_by_pidfd(&pns_namespace_info[i]) &&
			t.set.status.plan.namespaces & pns_namespace_info[i].bit &&
			t.set.status.ns_ino[i])
			namespaces |= pns_namespace_info[i].bit;
	if (namespaces == 0) {
		fprintf(stderr, "%s: Set %s of ", program_name, set);
		text_put(stderr, t.who);
		fputs(" has no mount, IPC or UTS namespace to enter\n", stderr);
		target_clear(&t);
		return EXIT_TROUBLE;
	}

	/* As the module joins a set (common/join.c): all or nothing, and only
	 * where the anchor's status says. Never the user namespace: the admin
	 * stays root with the host's ids. And no Landlock domain: the command
	 * is the administrator's, not the user's, and stays outside every
	 * session's domain, as pam_nsctl itself does (docs/DESIGN.md, "The
	 * /proc door"). */
	join_set_cgroup(&t, set);
	r = pns_join_set(t.pidfd, namespaces, t.set.status.ns_ino, -1);
	if (r == -ESTALE) {
		/* Cannot happen with a pidfd; never run a command in the wrong place. */
		fprintf(stderr, "%s: The namespaces of set %s of ", program_name, set);
		text_put(stderr, t.who);
		fputs(" are not the ones its anchor reported; not running anything\n", stderr);
		target_clear(&t);
		return EXIT_TROUBLE;
	}
	if (r < 0) {
		fprintf(stderr, "%s: Failed to enter set %s of ", program_name, set);
		text_put(stderr, t.who);
		fprintf(stderr, ": %s\n", strerror(-r));
		target_clear(&t);
		return EXIT_TROUBLE;
	}
	/* The set's /, never the caller's directory by name: in the set that
	 * path may lead through the user's /tmp, and symlinks the user made. */
	if (chdir("/") < 0) {
		log_error("Failed to change to / in the set: %m");
		target_clear(&t);
		return EXIT_TROUBLE;
	}

	if (o->n_trailing == 0) {
		const char *shell = getenv("SHELL");

		shell_argv[0] = (char *)(shell && shell[0] ? shell : "/bin/sh");
		fprintf(stderr, "Entering set %s of ", set);
		text_put(stderr, t.who);
		fprintf(stderr,
			": %s namespaces, as root with the host's ids. Exit the shell to leave.\n",
			pns_ns_mask_to_string((unsigned)t.set.status.plan.namespaces &
						      (PNS_NS_MOUNT | PNS_NS_IPC | PNS_NS_UTS),
				ns, sizeof(ns)));
	}
	target_clear(&t);
	return run_and_wait(argv);
}
