/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * pam_nsctl: the administrator's view of pam_ns.
 *
 *   check    is the policy valid, and if not, where is it wrong
 *   explain  what pam_ns would do for one account, and why
 *   list     the active sets, as their anchors describe them
 *   enter    run a command in an account's set (root, host ids)
 *   stop     ask an anchor to tear its set down
 *
 * Output is for people first; --json is for scripts. Everything printed that
 * came from outside (user and group names from NSS, file names, policy
 * values) is escaped: an LDAP user name may carry terminal escapes.
 *
 * Exit status: 0 success, 1 a negative answer, 2 usage or system error.
 */
#include "tools/nsctl.h"

const char program_name[] = "pam_nsctl";

/* ---- options and dispatch ----------------------------------------------- */

static const struct command commands[] = {
	{"check", "", "validate the policy; list every problem", 0, 0, CMD_JSON, cmd_check},
	{"explain", "USER", "USER's settings, origins and outcome", 1, 1, CMD_JSON, cmd_explain},
	{"list", "", "list the active namespace sets", 0, 0, CMD_JSON, cmd_list},
	{"enter", "USER [--set NAME] [-- COMMAND [ARG...]]", "run a command inside USER's set", 1,
		1, CMD_TRAILING | CMD_SET, cmd_enter},
	{"stop", "USER [--set NAME] [--force]", "tear USER's set down", 1, 1,
		CMD_FORCE | CMD_SET | CMD_JSON, cmd_stop},
};

static const struct command *find_command(const char *name)
{
	for (size_t i = 0; i < ELEMENTSOF(commands); i++)
		if (strcmp(commands[i].name, name) == 0)
			return &commands[i];
	return NULL;
}

static void help(void)
{
	printf("Usage: %s [OPTIONS] COMMAND [ARGS]\n\n"
	       "Inspect and manage pam_ns namespace isolation.\n\n"
	       "Commands:\n",
		program_name);
	for (size_t i = 0; i < ELEMENTSOF(commands); i++) {
		char left[64];

		snprintf(left, sizeof(left), "%s %s", commands[i].name, commands[i].synopsis);
		if (strlen(left) > 33)
			printf("  %s\n  %-33s %s\n", left, "", commands[i].summary);
		else
			printf("  %-33s %s\n", left, commands[i].summary);
	}
	printf("\nOptions:\n"
	       "  -c, --config FILE  policy to read (default: %s)\n"
	       "  -j, --json         machine-readable output\n"
	       "  -f, --force        stop: kill what still runs in the set\n"
	       "  -s, --set NAME     enter, stop: which of USER's sets (user, session-ID,\n"
	       "                     superseded-ID, as list shows)\n"
	       "  -h, --help         show this help\n"
	       "  -V, --version      show the version\n\n"
	       "Exit status: 0 success, 1 negative answer (invalid policy, unknown user,\n"
	       "denied login, no such set), 2 usage or system error.\n"
	       "See pam_nsctl(8).\n",
		PNS_CONFIG_FILE);
}

static int usage_error(const char *fmt, ...) _printf_(1, 2);
static int usage_error(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: ", program_name);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\nTry '%s --help' for more information.\n", program_name);
	return EXIT_TROUBLE;
}

/* ---- main ----------------------------------------------------------------- */

int main(int argc, char *argv[])
{
	static const struct option long_options[] = {
		{"config", required_argument, NULL, 'c'},
		{"json", no_argument, NULL, 'j'},
		{"force", no_argument, NULL, 'f'},
		{"set", required_argument, NULL, 's'},
		{"help", no_argument, NULL, 'h'},
		{"version", no_argument, NULL, 'V'},
		{},
	};
	_cleanup_free_ char **positional = NULL;
	const struct command *cmd = NULL;
	struct options o = {.config = PNS_CONFIG_FILE};
	char **trailing = NULL;
	size_t n_pos = 0, n_trailing = 0;
	bool force_given = false;
	int r;

	positional = calloc((size_t)argc + 1, sizeof(*positional));
	if (!positional) {
		log_error("Out of memory");
		return EXIT_TROUBLE;
	}

	/*
	 * Options may come before or after the command and its arguments.
	 * getopt runs in "+" mode (stop at the first non-option), so we take
	 * positional arguments one by one and tell an explicit "--" from a
	 * plain stop: everything after "--" belongs to the command (enter).
	 */
	opterr = 0;
	for (;;) {
		int before = optind, c;

		c = getopt_long(argc, argv, "+:c:jfs:hV", long_options, NULL);
		if (c == -1) {
			if (optind > before && strcmp(argv[before], "--") == 0) {
				trailing = argv + optind;
				n_trailing = (size_t)(argc - optind);
				break;
			}
			if (optind >= argc)
				break;
			positional[n_pos++] = argv[optind++];
			continue;
		}
		switch (c) {
		case 'c':
			if (optarg[0] == '\0')
				return usage_error("--config needs a file name");
			o.config = optarg;
			break;
		case 'j':
			o.json = true;
			break;
		case 'f':
			force_given = true;
			break;
		case 's':
			if (optarg[0] == '\0')
				return usage_error("--set needs a set name");
			o.set = optarg;
			break;
		case 'h':
			help();
			return fflush(stdout) == 0 && !ferror(stdout) ? EXIT_OK : EXIT_TROUBLE;
		case 'V':
			printf("%s (pam_ns) %s\n", program_name, PACKAGE_VERSION);
			return fflush(stdout) == 0 && !ferror(stdout) ? EXIT_OK : EXIT_TROUBLE;
		case ':':
			return usage_error("option '%s' needs an argument", argv[optind - 1]);
		default:
			if (optopt)
				return usage_error("unknown option '-%c'", optopt);
			return usage_error("unknown option '%s'", argv[optind - 1]);
		}
	}

	if (n_pos == 0 && n_trailing == 0)
		return usage_error("no command given");
	if (n_pos == 0) {
		/* "pam_nsctl -- check": the command came after "--". */
		positional[n_pos++] = trailing[0];
		trailing++;
		n_trailing--;
	}
	cmd = find_command(positional[0]);
	if (!cmd) {
		fprintf(stderr, "%s: unknown command '", program_name);
		text_put(stderr, positional[0]);
		fputs("'\n", stderr);
		return usage_error("commands: check, explain, list, enter, stop");
	}
	if (!(cmd->flags & CMD_TRAILING)) {
		/* For every other command, "--" only ends the options. */
		for (size_t i = 0; i < n_trailing; i++)
			positional[n_pos++] = trailing[i];
		trailing = NULL;
		n_trailing = 0;
	}
	o.command = cmd->name;
	o.args = positional + 1;
	o.n_args = n_pos - 1;
	o.trailing = trailing;
	o.n_trailing = n_trailing;
	o.force = force_given;

	if (force_given && !(cmd->flags & CMD_FORCE))
		return usage_error("%s does not take --force", cmd->name);
	if (o.set && !(cmd->flags & CMD_SET))
		return usage_error("%s does not take --set", cmd->name);
	if (o.json && !(cmd->flags & CMD_JSON))
		return usage_error(
			"%s does not take --json: what it prints is the command's", cmd->name);
	if (o.n_args < cmd->min_args || o.n_args > cmd->max_args)
		return usage_error("usage: %s %s%s%s", program_name, cmd->name,
			cmd->synopsis[0] ? " " : "", cmd->synopsis);
	for (size_t i = 0; i < o.n_args; i++)
		if (o.args[i][0] == '\0')
			return usage_error("%s: empty argument", cmd->name);

	r = cmd->run(&o);

	/* A full disk or a closed pipe must not pass for an answer. */
	if (fflush(stdout) != 0 || ferror(stdout)) {
		log_error("Failed to write output: %m");
		return EXIT_TROUBLE;
	}
	return r;
}
