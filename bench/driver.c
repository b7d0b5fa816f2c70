/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * driver: time PAM logins the way real callers make them.
 *
 * One login is pam_start_confdir + pam_open_session + pam_close_session +
 * pam_end, made in a forked child that then _exits, as sshd's monitor, su
 * and login do it. The time is measured in the child, around the PAM calls
 * only: fork, exit and reaping are the same for every stack and are shown
 * separately as "wall" (fork to reap, measured in the parent). The probe of
 * the child's namespaces after pam_open_session is not counted. The parts are
 * reported too: "load" is pam_start + pam_end (reading the service file,
 * loading and unloading its modules), "open" and "close" the two session
 * calls.
 *
 *   driver [-c CONFDIR] [-n N] [-W WARMUP] [-p PAUSE_US] [-o RAW.tsv] \
 *          run LABEL:SERVICE:USER[:[create|join|userns|sshd][:initgroups]]...
 *       Interleaved timing: every iteration runs one login of every stack,
 *       in a new random order each iteration (a fixed seed), so drift and
 *       the previous login's aftermath hit all alike.
 *       :create  the user's set must not exist before the login and must
 *                be torn down after it (/run/pam_ns/UID/user.sock gone);
 *                the driver waits for that, untimed, and counts failures.
 *       :join    every login must land in the same mount namespace.
 *       :initgroups  right after pam_open_session, initgroups() for the
 *                account, timed as part of the open: what sshd's session
 *                child does next (it inherits the NSS modules its monitor
 *                loaded, so a group lookup made by a module moves there
 *                rather than adds); e.g. permit:SVC:USER::initgroups.
 *       :userns  as :create, in the order sshd makes the calls (its monitor,
 *                then the session's child): pam_setcred(ESTABLISH) before
 *                pam_open_session; then a forked child calls
 *                pam_setcred(ESTABLISH) as root (where pam_ns enters the
 *                set's user namespace), checks where it landed and exits;
 *                then the parent closes the session. pam_ns only does this
 *                when /proc/self/exe is named sshd or sshd-session, so run a
 *                copy of this binary by that name (a copy, not a link).
 *                The time adds both setcred calls; the child's fork and
 *                reaping, which sshd pays with or without pam_ns, are left
 *                out. The child checks that its user namespace is not the
 *                parent's, that it runs as the account's uid and gid with no
 *                capability left, and reads its uid_map.
 *       :sshd    the same calls as :userns, and no check: the baseline
 *                of a :userns stack (e.g. pam_permit in auth and session),
 *                so that what sshd's calls cost with any module (the
 *                session child's copy-on-write faults after the fork fall
 *                in the parent's close and pam_end) is not counted as the
 *                module's.
 *
 *   driver [-c CONFDIR] burst -s SERVICE -k K [-r ROUNDS] [--hold] [--gone] USER...
 *       K children released at once (login i uses USER[i % n]); each
 *       reports its own latency. --hold keeps every session open until all
 *       K have opened (then the mount namespaces are compared, and the
 *       latency is pam_start + pam_open_session only). --gone waits, between
 *       rounds, until every user's set is torn down.
 *
 *   driver [-c CONFDIR] hold -s SERVICE USER...
 *       Opens one session per user, one after the other, prints
 *       "held USER PID MNT_INODE" lines and "ready", then keeps them open
 *       until stdin reaches EOF or SIGTERM/SIGINT arrives, closes them all
 *       and prints "released". If the driver is killed, every child sees
 *       EOF on its release pipe and closes its own session.
 *
 * Results are "key=value" lines for bench/run; times in µs.
 * This is a benchmark: nothing here asserts on a time.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <grp.h>
#include <inttypes.h>
#include <poll.h>
#include <pwd.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <security/pam_appl.h>

#define RUN_DIR "/run/pam_ns"
#define GONE_WAIT_NS (10ull * 1000000000ull)
#define MAX_STACKS 16

/* What a child tells its parent about one login, in one atomic pipe write. */
struct sample {
	uint32_t index;
	int32_t rc_start, rc_open, rc_close, rc_end;
	/* 1: opened (burst --hold), 2: done */
	uint32_t phase;
	/* ns; load is pam_start + pam_end */
	uint64_t t_total, t_open, t_close, t_load;
	uint64_t mnt_ino;
	uint64_t tmp_dev;
	/* :userns only: setcred in the parent (before open) and in the child */
	int32_t rc_cred, rc_child_cred;
	uint64_t t_child_cred;
	struct userns_probe {
		uint32_t ok; /* the child reported */
		uint32_t uid, gid;
		uint64_t user_ino, parent_user_ino;
		uint64_t cap_eff; /* CapEff from /proc/self/status */
		uint32_t cap_ok;  /* CapEff, CapPrm and CapBnd were all read, all zero */
		char uid_map[64]; /* first line, spaces squeezed to commas */
	} uns;
};

struct stack {
	const char *label, *service, *user;
	enum { CHECK_NONE, CHECK_CREATE, CHECK_JOIN, CHECK_USERNS, CHECK_SSHD } check;
	bool initgroups;
	uid_t uid;
	size_t n;
	uint64_t *total, *open, *close, *load, *wall;
	unsigned fails, isolated, private_tmp, set_left, set_present, teardown_slow, join_other;
	unsigned userns_in, userns_bad; /* :userns logins whose child passed every check, or not */
	gid_t gid;
	uint64_t *child_cred;
	char uid_map[64];
	uint64_t join_ino;
	uint64_t teardown_max;
};

static const char *confdir;
static unsigned iterations = 200, warmup = 20, pause_us;
static const char *raw_path;
static uint64_t host_mnt_ino, host_tmp_dev;
static volatile sig_atomic_t stop_requested;

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

__attribute__((format(printf, 1, 2))) static _Noreturn void die(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fputs("driver: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
	exit(2);
}

static void *xcalloc(size_t n, size_t size)
{
	void *p = calloc(n ? n : 1, size);

	if (!p)
		die("out of memory");
	return p;
}

/* A session module must not prompt; answer nothing, fail any prompt. */
static int conv(int n, const struct pam_message **msg, struct pam_response **resp, void *data)
{
	struct pam_response *r;

	(void)data;
	if (n <= 0 || n > PAM_MAX_NUM_MSG)
		return PAM_CONV_ERR;
	for (int i = 0; i < n; i++)
		if (msg[i]->msg_style != PAM_ERROR_MSG && msg[i]->msg_style != PAM_TEXT_INFO)
			return PAM_CONV_ERR;
	r = calloc((size_t)n, sizeof(*r));
	if (!r)
		return PAM_BUF_ERR;
	*resp = r;
	return PAM_SUCCESS;
}

static uint64_t path_ino(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 ? (uint64_t)st.st_ino : 0;
}

static uint64_t path_dev(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 ? (uint64_t)st.st_dev : 0;
}

static bool write_all(int fd, const void *buf, size_t len)
{
	const char *p = buf;

	while (len > 0) {
		ssize_t n = write(fd, p, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return false;
		p += n;
		len -= (size_t)n;
	}
	return true;
}

/* Read exactly one sample; false on EOF or error. Samples are < PIPE_BUF, so atomic. */
static bool read_sample(int fd, struct sample *s)
{
	ssize_t n;

	do
		n = read(fd, s, sizeof(*s));
	while (n < 0 && errno == EINTR);
	return n == (ssize_t)sizeof(*s);
}

/* Block until the other end of fd is closed by everyone: a barrier. */
static void wait_eof(int fd)
{
	char c;
	ssize_t n;

	do
		n = read(fd, &c, 1);
	while (n > 0 || (n < 0 && errno == EINTR));
}

static bool sample_ok(const struct sample *s)
{
	return s->rc_start == PAM_SUCCESS && s->rc_open == PAM_SUCCESS &&
	       s->rc_close == PAM_SUCCESS && s->rc_end == PAM_SUCCESS &&
	       s->rc_cred == PAM_SUCCESS && s->rc_child_cred == PAM_SUCCESS;
}

/* The :userns child's view of itself, after its setcred. */
static void probe_userns(struct userns_probe *u, uint64_t parent_user_ino)
{
	char line[256];
	unsigned caps = 0, zero = 0;
	FILE *f;

	u->parent_user_ino = parent_user_ino;
	u->user_ino = path_ino("/proc/self/ns/user");
	u->uid = getuid() == geteuid() ? (uint32_t)getuid() : UINT32_MAX;
	u->gid = getgid() == getegid() ? (uint32_t)getgid() : UINT32_MAX;
	f = fopen("/proc/self/status", "re");
	if (f) {
		while (fgets(line, sizeof(line), f)) {
			unsigned long long v;
			char name[16];

			if (sscanf(line, "%15[^:]: %llx", name, &v) != 2 ||
				strncmp(name, "Cap", 3) != 0)
				continue;
			/* CapInh, CapPrm, CapEff, CapBnd, CapAmb */
			caps++;
			zero += v == 0;
			if (strcmp(name, "CapEff") == 0)
				u->cap_eff = v;
		}
		fclose(f);
	}
	u->cap_ok = caps == 5 && zero == 5;
	f = fopen("/proc/self/uid_map", "re");
	if (f) {
		if (fgets(line, sizeof(line), f)) {
			size_t k = 0;
			bool sep = false;

			/* At most two bytes per round, and the NUL. */
			for (const char *c = line; *c && *c != '\n' && k + 2 < sizeof(u->uid_map);
				c++) {
				if (*c == ' ' || *c == '\t') {
					sep = k > 0;
					continue;
				}
				if (sep)
					u->uid_map[k++] = ',';
				sep = false;
				u->uid_map[k++] = *c;
			}
			u->uid_map[k] = 0;
		}
		fclose(f);
	}
	u->ok = 1;
}

/*
 * sshd's session child, for :userns: setcred(ESTABLISH) as root in a forked
 * child of the process that opened the session, then the probe. Returns
 * false if the child did not report.
 */
static bool userns_child(pam_handle_t *h, struct sample *s)
{
	struct {
		int32_t rc;
		uint64_t t;
		struct userns_probe u;
	} r;
	uint64_t parent_ino = path_ino("/proc/self/ns/user");
	int p[2], status;
	pid_t pid;
	bool got;

	if (pipe2(p, O_CLOEXEC) < 0)
		return false;
	fflush(NULL);
	pid = fork();
	if (pid < 0) {
		close(p[0]);
		close(p[1]);
		return false;
	}
	if (pid == 0) {
		uint64_t c0, c1;

		close(p[0]);
		memset(&r, 0, sizeof(r));
		c0 = now_ns();
		r.rc = pam_setcred(h, PAM_ESTABLISH_CRED);
		c1 = now_ns();
		r.t = c1 - c0;
		probe_userns(&r.u, parent_ino);
		/* As sshd's child, which execs the shell: no pam_end here. */
		_exit(write_all(p[1], &r, sizeof(r)) ? 0 : 1);
	}
	close(p[1]);
	got = read(p[0], &r, sizeof(r)) == (ssize_t)sizeof(r);
	close(p[0]);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	if (!got)
		return false;
	s->rc_child_cred = r.rc;
	s->t_child_cred = r.t;
	s->uns = r.u;
	return true;
}

/*
 * The child: one login. start_fd (if >= 0) is a barrier before the clock
 * starts; hold_fd (if >= 0) keeps the session open until EOF, and the
 * opened sample goes out first so the parent can release everyone at once.
 */
static _Noreturn void child_login(const char *service, const char *user, uint32_t index, int out_fd,
	int start_fd, int hold_fd, bool sshd, gid_t initgroups_gid)
{
	struct pam_conv pc = {conv, NULL};
	struct sample s = {.index = index,
		.rc_start = -1,
		.rc_open = -1,
		.rc_close = -1,
		.rc_end = -1,
		.rc_cred = sshd ? -1 : PAM_SUCCESS,
		.rc_child_cred = sshd ? -1 : PAM_SUCCESS,
		.phase = 2};
	pam_handle_t *h = NULL;
	uint64_t t0, t1, t1b, t2, t3, t4, t5;

	if (start_fd >= 0) {
		wait_eof(start_fd);
		close(start_fd);
	}

	t0 = now_ns();
	s.rc_start = pam_start_confdir(service, user, &pc, confdir, &h);
	if (s.rc_start != PAM_SUCCESS) {
		s.t_total = now_ns() - t0;
		(void)write_all(out_fd, &s, sizeof(s));
		_exit(1);
	}
	t1 = now_ns();
	if (sshd) {
		/* sshd's monitor: setcred before open_session. */
		s.rc_cred = pam_setcred(h, PAM_ESTABLISH_CRED);
		if (s.rc_cred != PAM_SUCCESS) {
			s.t_total = now_ns() - t0;
			(void)pam_end(h, s.rc_cred);
			(void)write_all(out_fd, &s, sizeof(s));
			_exit(1);
		}
	}
	t1b = now_ns();
	s.rc_open = pam_open_session(h, 0);
	if (s.rc_open == PAM_SUCCESS && initgroups_gid != (gid_t)-1 &&
		initgroups(user, initgroups_gid) < 0)
		s.rc_open = -3;
	t2 = now_ns();
	s.t_open = t2 - t1b;

	/* Untimed probe: where did the session land? */
	s.mnt_ino = path_ino("/proc/self/ns/mnt");
	s.tmp_dev = path_dev("/tmp");

	/* sshd's session child (its fork and reaping untimed). */
	if (sshd && s.rc_open == PAM_SUCCESS && !userns_child(h, &s))
		s.rc_child_cred = -2;

	if (hold_fd >= 0) {
		struct sample o = s;

		o.phase = 1;
		o.t_total = t2 - t0;
		(void)write_all(out_fd, &o, sizeof(o));
		wait_eof(hold_fd);
		close(hold_fd);
	}

	t3 = now_ns();
	if (s.rc_open == PAM_SUCCESS)
		s.rc_close = pam_close_session(h, 0);
	else
		s.rc_close = PAM_SUCCESS;
	t4 = now_ns();
	s.t_close = t4 - t3;
	s.rc_end = pam_end(h, s.rc_open == PAM_SUCCESS ? PAM_SUCCESS : s.rc_open);
	t5 = now_ns();
	s.t_total = (t2 - t0) + s.t_child_cred + (t5 - t3);
	s.t_load = (t1 - t0) + (t5 - t4);
	(void)write_all(out_fd, &s, sizeof(s));
	_exit(sample_ok(&s) ? 0 : 1);
}

static void sock_path(uid_t uid, char buf[static 96])
{
	snprintf(buf, 96, "%s/%u/user.sock", RUN_DIR, (unsigned)uid);
}

static bool set_exists(uid_t uid)
{
	char path[96];
	struct stat st;

	sock_path(uid, path);
	return lstat(path, &st) == 0;
}

/*
 * Wait (untimed) until the user's set is gone; returns how long it took, or
 * UINT64_MAX. It sleeps on inotify events of the uid's state directory
 * (the socket removed or moved aside, the directory removed), checking
 * again at least every 10 ms, instead of polling: the CPU rows count this
 * process's time with the logins', and a poll every 100 µs through a
 * teardown of a few ms cost a create login 10 to 20 wake-ups of its own.
 */
static uint64_t wait_set_gone(uid_t uid)
{
	uint64_t t0 = now_ns();
	char dir[96], buf[4096];
	int in;

	if (!set_exists(uid))
		return 0;
	snprintf(dir, sizeof(dir), "%s/%u", RUN_DIR, (unsigned)uid);
	in = inotify_init1(IN_CLOEXEC | IN_NONBLOCK);
	if (in >= 0 && inotify_add_watch(in, dir,
			       IN_DELETE | IN_MOVED_FROM | IN_DELETE_SELF | IN_MOVE_SELF |
				       IN_ONLYDIR) < 0) {
		close(in);
		in = -1;
	}
	while (set_exists(uid)) {
		if (now_ns() - t0 > GONE_WAIT_NS) {
			if (in >= 0)
				close(in);
			return UINT64_MAX;
		}
		if (in >= 0) {
			struct pollfd p = {.fd = in, .events = POLLIN};

			(void)poll(&p, 1, 10);
			while (read(in, buf, sizeof(buf)) > 0)
				;
		} else
			usleep(100);
	}
	if (in >= 0)
		close(in);
	return now_ns() - t0;
}

static uid_t lookup_uid(const char *user)
{
	struct passwd *pw = getpwnam(user);

	if (!pw)
		die("no such user: %s", user);
	return pw->pw_uid;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* Nearest-rank percentile of a sorted array, in µs. */
static double pct(const uint64_t *v, size_t n, double p)
{
	size_t k;

	if (n == 0)
		return 0;
	k = (size_t)(p / 100.0 * (double)n + 0.999999);
	if (k < 1)
		k = 1;
	if (k > n)
		k = n;
	return (double)v[k - 1] / 1000.0;
}

static void sort(uint64_t *v, size_t n)
{
	qsort(v, n, sizeof(*v), cmp_u64);
}

/* ----------------------------------------------------------------- run */

static void parse_stack(char *spec, struct stack *st)
{
	char *f[5] = {0};
	size_t n = 0;

	for (char *p = spec; n < 5; n++) {
		f[n] = p;
		p = strchr(p, ':');
		if (!p) {
			n++;
			break;
		}
		*p++ = 0;
	}
	if (n < 3 || !*f[0] || !*f[1] || !*f[2])
		die("stack must be LABEL:SERVICE:USER[:[create|join|userns|sshd][:initgroups]], "
		    "got %s",
			spec);
	memset(st, 0, sizeof(*st));
	st->label = f[0];
	st->service = f[1];
	st->user = f[2];
	if (n >= 4 && strcmp(f[3], "create") == 0)
		st->check = CHECK_CREATE;
	else if (n >= 4 && strcmp(f[3], "join") == 0)
		st->check = CHECK_JOIN;
	else if (n >= 4 && strcmp(f[3], "userns") == 0)
		st->check = CHECK_USERNS;
	else if (n >= 4 && strcmp(f[3], "sshd") == 0)
		st->check = CHECK_SSHD;
	else if (n >= 4 && *f[3])
		die("unknown check %s (create, join, userns or sshd)", f[3]);
	if (n == 5 && strcmp(f[4], "initgroups") == 0)
		st->initgroups = true;
	else if (n == 5)
		die("unknown option %s (initgroups)", f[4]);
	st->uid = lookup_uid(st->user);
	st->gid = getpwnam(st->user)->pw_gid;
}

/* One login of one stack; fills *s and the fork-to-reap wall time. */
static bool one_login(struct stack *st, uint32_t index, struct sample *s, uint64_t *ret_wall)
{
	int p[2], status;
	uint64_t t0;
	pid_t pid;
	bool got;

	if (pipe2(p, O_CLOEXEC) < 0)
		die("pipe: %m");
	fflush(NULL);
	t0 = now_ns();
	pid = fork();
	if (pid < 0)
		die("fork: %m");
	if (pid == 0) {
		close(p[0]);
		child_login(st->service, st->user, index, p[1], -1, -1,
			st->check == CHECK_USERNS || st->check == CHECK_SSHD,
			st->initgroups ? st->gid : (gid_t)-1);
	}
	close(p[1]);
	got = read_sample(p[0], s);
	close(p[0]);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	*ret_wall = now_ns() - t0;
	return got;
}

/*
 * A new order of the stacks for each round: 0..n-1 shuffled (Fisher-Yates,
 * xorshift64 from a fixed seed, so runs are repeatable). Not the same order
 * rotated: a login runs slower right after a set's teardown (the anchor's
 * exit and its namespaces' end go on after its socket is gone), and in a
 * rotation every stack always follows the same neighbour.
 */
static void shuffle(size_t *order, size_t n, uint64_t *state)
{
	for (size_t i = 0; i < n; i++)
		order[i] = i;
	for (size_t i = n; i > 1; i--) {
		size_t j, t;

		*state ^= *state << 13;
		*state ^= *state >> 7;
		*state ^= *state << 17;
		j = (size_t)(*state % i);
		t = order[i - 1];
		order[i - 1] = order[j];
		order[j] = t;
	}
}

static int cmd_run(int argc, char **argv)
{
	struct stack stacks[MAX_STACKS];
	uint64_t seed = 0x9e3779b97f4a7c15ull;
	size_t n_stacks = (size_t)argc;
	FILE *raw = NULL;

	if (n_stacks == 0 || n_stacks > MAX_STACKS)
		die("run: 1 to %d stacks", MAX_STACKS);
	for (size_t i = 0; i < n_stacks; i++) {
		parse_stack(argv[i], &stacks[i]);
		stacks[i].total = xcalloc(iterations, sizeof(uint64_t));
		stacks[i].open = xcalloc(iterations, sizeof(uint64_t));
		stacks[i].close = xcalloc(iterations, sizeof(uint64_t));
		stacks[i].load = xcalloc(iterations, sizeof(uint64_t));
		stacks[i].wall = xcalloc(iterations, sizeof(uint64_t));
		stacks[i].child_cred = xcalloc(iterations, sizeof(uint64_t));
	}
	if (raw_path) {
		raw = fopen(raw_path, "we");
		if (!raw)
			die("%s: %m", raw_path);
		fprintf(raw, "stack\titer\ttotal_us\topen_us\tclose_us\tload_us\twall_us\n");
	}

	for (unsigned it = 0; it < warmup + iterations; it++) {
		bool timed = it >= warmup;
		size_t order[MAX_STACKS];

		shuffle(order, n_stacks, &seed);
		for (size_t j = 0; j < n_stacks; j++) {
			struct stack *st = &stacks[order[j]];
			struct sample s;
			uint64_t wall, gone;

			bool creates = st->check == CHECK_CREATE || st->check == CHECK_USERNS;

			if (creates && set_exists(st->uid)) {
				/* Left over from the previous stack or a slow teardown:
				 * wait, so this login really creates. */
				if (timed)
					st->set_present++;
				(void)wait_set_gone(st->uid);
			}
			if (!one_login(st, it, &s, &wall))
				memset(&s, 0xff, sizeof(s));
			if (creates) {
				gone = wait_set_gone(st->uid);
				if (timed && gone == UINT64_MAX)
					st->set_left++;
				else if (timed && gone > st->teardown_max)
					st->teardown_max = gone;
			}
			if (pause_us)
				usleep(pause_us);
			if (!timed) {
				if (st->check == CHECK_JOIN && sample_ok(&s) && !st->join_ino)
					st->join_ino = s.mnt_ino;
				continue;
			}
			if (!sample_ok(&s)) {
				/* The module says why in syslog; say what PAM returned. */
				if (st->fails++ < 5)
					fprintf(stderr,
						"driver: %s login %u failed: start=%d setcred=%d "
						"open=%d child_setcred=%d close=%d end=%d\n",
						st->label, it, s.rc_start, s.rc_cred, s.rc_open,
						s.rc_child_cred, s.rc_close, s.rc_end);
				continue;
			}
			if (s.mnt_ino != host_mnt_ino)
				st->isolated++;
			if (s.tmp_dev != host_tmp_dev)
				st->private_tmp++;
			if (st->check == CHECK_USERNS) {
				const struct userns_probe *u = &s.uns;

				if (u->ok && u->user_ino && u->user_ino != u->parent_user_ino &&
					u->uid == (uint32_t)st->uid && u->gid == st->gid &&
					u->cap_ok)
					st->userns_in++;
				else if (st->userns_bad++ < 5)
					fprintf(stderr,
						"driver: %s login %u: the child is not where it "
						"should be: user ns %" PRIu64 " (parent %" PRIu64
						"), uid %u gid %u, CapEff %" PRIx64
						", caps all zero %u, uid_map %s\n",
						st->label, it, u->user_ino, u->parent_user_ino,
						u->uid, u->gid, u->cap_eff, u->cap_ok, u->uid_map);
				if (!st->uid_map[0])
					memcpy(st->uid_map, u->uid_map, sizeof(st->uid_map));
				st->child_cred[st->n] = s.t_child_cred;
			}
			if (st->check == CHECK_SSHD)
				st->child_cred[st->n] = s.t_child_cred;
			if (st->check == CHECK_JOIN) {
				if (!st->join_ino)
					st->join_ino = s.mnt_ino;
				else if (s.mnt_ino != st->join_ino)
					st->join_other++;
			}
			st->total[st->n] = s.t_total;
			st->open[st->n] = s.t_open;
			st->close[st->n] = s.t_close;
			st->load[st->n] = s.t_load;
			st->wall[st->n] = wall;
			st->n++;
			if (raw)
				fprintf(raw, "%s\t%u\t%.1f\t%.1f\t%.1f\t%.1f\t%.1f\n", st->label,
					it, (double)s.t_total / 1e3, (double)s.t_open / 1e3,
					(double)s.t_close / 1e3, (double)s.t_load / 1e3,
					(double)wall / 1e3);
		}
	}
	if (raw)
		fclose(raw);

	for (size_t i = 0; i < n_stacks; i++) {
		struct stack *st = &stacks[i];
		uint64_t sum = 0;

		for (size_t k = 0; k < st->n; k++)
			sum += st->total[k];
		sort(st->total, st->n);
		sort(st->open, st->n);
		sort(st->close, st->n);
		sort(st->load, st->n);
		sort(st->wall, st->n);
		sort(st->child_cred, st->n);
		printf("RESULT stack=%s service=%s user=%s n=%zu fails=%u p50=%.1f p90=%.1f "
		       "p99=%.1f mean=%.1f open_p50=%.1f close_p50=%.1f load_p50=%.1f "
		       "wall_p50=%.1f "
		       "isolated=%u private_tmp=%u",
			st->label, st->service, st->user, st->n, st->fails,
			pct(st->total, st->n, 50), pct(st->total, st->n, 90),
			pct(st->total, st->n, 99), st->n ? (double)sum / (double)st->n / 1e3 : 0.0,
			pct(st->open, st->n, 50), pct(st->close, st->n, 50),
			pct(st->load, st->n, 50), pct(st->wall, st->n, 50), st->isolated,
			st->private_tmp);
		if (st->check == CHECK_CREATE || st->check == CHECK_USERNS)
			printf(" check=%s set_present_before=%u set_left_after=%u "
			       "teardown_max_us=%.0f",
				st->check == CHECK_USERNS ? "userns" : "create", st->set_present,
				st->set_left, (double)st->teardown_max / 1e3);
		if (st->check == CHECK_SSHD)
			printf(" check=sshd child_setcred_p50=%.1f",
				pct(st->child_cred, st->n, 50));
		if (st->check == CHECK_USERNS)
			printf(" userns_in=%u userns_bad=%u child_setcred_p50=%.1f uid=%u gid=%u "
			       "uid_map=%s",
				st->userns_in, st->userns_bad, pct(st->child_cred, st->n, 50),
				(unsigned)st->uid, (unsigned)st->gid,
				st->uid_map[0] ? st->uid_map : "-");
		if (st->check == CHECK_JOIN)
			printf(" check=join join_mnt=%" PRIu64 " join_other=%u", st->join_ino,
				st->join_other);
		printf("\n");
	}
	fflush(stdout);
	return 0;
}

/* --------------------------------------------------------------- burst */

static int cmd_burst(const char *service, unsigned k, unsigned rounds, bool hold, bool gone,
	int n_users, char **users)
{
	size_t cap = (size_t)k * rounds, n = 0, n_fail = 0;
	uint64_t *lat = xcalloc(cap, sizeof(uint64_t)), *span = xcalloc(rounds, sizeof(uint64_t));
	uid_t *uids = xcalloc((size_t)n_users, sizeof(uid_t));
	uint64_t first_ino = 0;
	unsigned distinct_other = 0;
	pid_t *pids = xcalloc(k, sizeof(pid_t));

	if (n_users < 1 || k < 1)
		die("burst: need -k K >= 1 and at least one user");
	for (int i = 0; i < n_users; i++)
		uids[i] = lookup_uid(users[i]);

	for (unsigned r = 0; r < rounds; r++) {
		int out[2], start[2], rel[2] = {-1, -1};
		struct sample s;
		unsigned opened = 0, done = 0;
		uint64_t t0;

		if (gone)
			for (int i = 0; i < n_users; i++)
				if (wait_set_gone(uids[i]) == UINT64_MAX)
					die("burst: the set of %s is still there", users[i]);
		if (pipe2(out, O_CLOEXEC) < 0 || pipe2(start, O_CLOEXEC) < 0 ||
			(hold && pipe2(rel, O_CLOEXEC) < 0))
			die("pipe: %m");
		fflush(NULL);
		for (unsigned i = 0; i < k; i++) {
			pids[i] = fork();
			if (pids[i] < 0)
				die("fork: %m");
			if (pids[i] == 0) {
				close(out[0]);
				close(start[1]);
				if (hold)
					close(rel[1]);
				child_login(service, users[i % (unsigned)n_users], i, out[1],
					start[0], hold ? rel[0] : -1, false, (gid_t)-1);
			}
		}
		close(out[1]);
		close(start[0]);
		if (hold)
			close(rel[0]);
		/* Every child is forked and waiting: release them together. */
		t0 = now_ns();
		close(start[1]);
		while (done < k && read_sample(out[0], &s)) {
			if (s.phase == 1) {
				/* Opened and holding. */
				if (s.rc_start == PAM_SUCCESS && s.rc_open == PAM_SUCCESS) {
					if (!first_ino)
						first_ino = s.mnt_ino;
					else if (s.mnt_ino != first_ino)
						distinct_other++;
					lat[n++] = s.t_total;
				} else
					n_fail++;
				if (++opened == k)
					close(rel[1]); /* all in: let them close */
				continue;
			}
			done++;
			if (hold) {
				if (s.rc_start != PAM_SUCCESS) {
					n_fail++;
					if (++opened == k)
						close(rel[1]);
				} else if (!sample_ok(&s) && s.rc_open == PAM_SUCCESS)
					n_fail++; /* close failed */
				continue;
			}
			if (sample_ok(&s))
				lat[n++] = s.t_total;
			else
				n_fail++;
		}
		span[r] = now_ns() - t0;
		if (hold && opened < k)
			close(rel[1]);
		close(out[0]);
		for (unsigned i = 0; i < k; i++)
			while (waitpid(pids[i], NULL, 0) < 0 && errno == EINTR)
				;
		if (done < k)
			n_fail += k - done;
	}

	sort(lat, n);
	sort(span, rounds);
	printf("RESULT burst service=%s k=%u rounds=%u n=%zu fails=%zu p50=%.1f p90=%.1f p99=%.1f "
	       "max=%.1f makespan_p50=%.1f",
		service, k, rounds, n, n_fail, pct(lat, n, 50), pct(lat, n, 90), pct(lat, n, 99),
		n ? (double)lat[n - 1] / 1e3 : 0.0, pct(span, rounds, 50));
	if (hold)
		printf(" hold=1 mnt=%" PRIu64 " mnt_other=%u", first_ino, distinct_other);
	printf("\n");
	fflush(stdout);
	return 0;
}

/* ---------------------------------------------------------------- hold */

static void on_stop(int sig)
{
	(void)sig;
	stop_requested = 1;
}

static int cmd_hold(const char *service, int n_users, char **users)
{
	int rel[2];
	pid_t *pids = xcalloc((size_t)n_users, sizeof(pid_t));
	unsigned fails = 0;
	uint64_t t0 = now_ns();
	struct sigaction sa = {.sa_handler = on_stop};
	char c;

	if (n_users < 1)
		die("hold: at least one user");
	if (pipe2(rel, O_CLOEXEC) < 0)
		die("pipe: %m");
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);

	/* One at a time, as logins usually arrive; the children keep the sessions. */
	for (int i = 0; i < n_users && !stop_requested; i++) {
		struct sample s;
		int out[2];
		bool ok;

		(void)lookup_uid(users[i]);
		/* A pipe per child, closed once it has reported: a child that dies
		 * early is EOF, not a hang, and its last sample goes nowhere. */
		if (pipe2(out, O_CLOEXEC) < 0)
			die("pipe: %m");
		fflush(NULL);
		pids[i] = fork();
		if (pids[i] < 0)
			die("fork: %m");
		if (pids[i] == 0) {
			close(out[0]);
			close(rel[1]);
			signal(SIGTERM, SIG_DFL);
			signal(SIGINT, SIG_IGN);
			child_login(service, users[i], (uint32_t)i, out[1], -1, rel[0], false,
				(gid_t)-1);
		}
		close(out[1]);
		ok = read_sample(out[0], &s) && s.phase == 1 && s.rc_start == PAM_SUCCESS &&
		     s.rc_open == PAM_SUCCESS;
		close(out[0]);
		if (!ok) {
			fails++;
			printf("failed %s\n", users[i]);
			continue;
		}
		printf("held %s %d %" PRIu64 " %.1f\n", users[i], (int)pids[i], s.mnt_ino,
			(double)s.t_total / 1e3);
	}
	printf("ready n=%d fails=%u open_all_ms=%.1f\n", n_users, fails,
		(double)(now_ns() - t0) / 1e6);
	fflush(stdout);

	/* Until stdin closes or we are told to stop. */
	while (!stop_requested) {
		ssize_t n = read(STDIN_FILENO, &c, 1);

		if (n == 0 || (n < 0 && errno != EINTR))
			break;
	}
	t0 = now_ns();
	close(rel[1]);
	close(rel[0]);
	for (int i = 0; i < n_users; i++)
		if (pids[i] > 0)
			while (waitpid(pids[i], NULL, 0) < 0 && errno == EINTR)
				;
	printf("released close_all_ms=%.1f\n", (double)(now_ns() - t0) / 1e6);
	fflush(stdout);
	return fails ? 1 : 0;
}

/* ---------------------------------------------------------------- main */

static _Noreturn void usage(void)
{
	fputs("usage: driver [-c CONFDIR] [-n N] [-W WARMUP] [-p PAUSE_US] [-o RAW.tsv]\n"
	      "              run LABEL:SERVICE:USER[:create|:join|:userns|:sshd]...\n"
	      "       driver [-c CONFDIR] burst -s SERVICE -k K [-r ROUNDS] [--hold] [--gone] "
	      "USER...\n"
	      "       driver [-c CONFDIR] hold -s SERVICE USER...\n",
		stderr);
	exit(2);
}

static unsigned parse_uint(const char *s, unsigned lo, unsigned hi)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || *end || end == s || *s == '-' || v < lo || v > hi)
		die("bad number %s (%u..%u)", s, lo, hi);
	return (unsigned)v;
}

static const char *opt_service;
static unsigned opt_k = 1, opt_rounds = 1;
static bool opt_hold, opt_gone;

/* Options may come before or after the command word. */
static void parse_opts(int argc, char **argv)
{
	static const struct option opts[] = {
		{"confdir", required_argument, NULL, 'c'},
		{"iterations", required_argument, NULL, 'n'},
		{"warmup", required_argument, NULL, 'W'},
		{"pause", required_argument, NULL, 'p'},
		{"raw", required_argument, NULL, 'o'},
		{"service", required_argument, NULL, 's'},
		{"concurrency", required_argument, NULL, 'k'},
		{"rounds", required_argument, NULL, 'r'},
		{"hold", no_argument, NULL, 'H'},
		{"gone", no_argument, NULL, 'G'},
		{},
	};
	int c;

	while ((c = getopt_long(argc, argv, "+c:n:W:p:o:s:k:r:", opts, NULL)) >= 0) {
		switch (c) {
		case 'c':
			confdir = optarg;
			break;
		case 'n':
			iterations = parse_uint(optarg, 1, 10000000);
			break;
		case 'W':
			warmup = parse_uint(optarg, 0, 1000000);
			break;
		case 'p':
			pause_us = parse_uint(optarg, 0, 10000000);
			break;
		case 'o':
			raw_path = optarg;
			break;
		case 's':
			opt_service = optarg;
			break;
		case 'k':
			opt_k = parse_uint(optarg, 1, 10000);
			break;
		case 'r':
			opt_rounds = parse_uint(optarg, 1, 1000000);
			break;
		case 'H':
			opt_hold = true;
			break;
		case 'G':
			opt_gone = true;
			break;
		default:
			usage();
		}
	}
}

int main(int argc, char **argv)
{
	const char *cmd;

	signal(SIGPIPE, SIG_IGN);
	parse_opts(argc, argv);
	if (optind >= argc)
		usage();
	cmd = argv[optind++];
	parse_opts(argc, argv);
	host_mnt_ino = path_ino("/proc/self/ns/mnt");
	host_tmp_dev = path_dev("/tmp");

	if (strcmp(cmd, "run") == 0)
		return cmd_run(argc - optind, argv + optind);
	if (!opt_service)
		usage();
	if (strcmp(cmd, "burst") == 0)
		return cmd_burst(opt_service, opt_k, opt_rounds, opt_hold, opt_gone, argc - optind,
			argv + optind);
	if (strcmp(cmd, "hold") == 0)
		return cmd_hold(opt_service, argc - optind, argv + optind);
	usage();
}
