/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Replay main() for the fuzz targets: feeds every file named on the command
 * line, recursing into directories (in strcmp() order), to
 * LLVMFuzzerTestOneInput(). This is how 'make check' runs the saved corpus
 * without libFuzzer. Built with -DPNS_LIBFUZZER, libFuzzer brings its own
 * main() and this file is empty.
 */
#ifndef PNS_LIBFUZZER

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/macro.h"

/* Large enough for any input a fuzzer keeps (the policy cap is 4 MiB). */
#define REPLAY_INPUT_MAX ((size_t)8 << 20)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
/* Optional in a target, as with libFuzzer. */
int LLVMFuzzerInitialize(int *argc, char ***argv) __attribute__((__weak__));

static int replay_file(const char *path)
{
	_cleanup_close_ int fd = -1;
	_cleanup_free_ uint8_t *buf = NULL;
	size_t n = 0;

	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return negative_errno();
	buf = malloc(REPLAY_INPUT_MAX + 1);
	if (!buf)
		return -ENOMEM;
	for (;;) {
		ssize_t k = read(fd, buf + n, REPLAY_INPUT_MAX + 1 - n);

		if (k < 0) {
			if (errno == EINTR)
				continue;
			return negative_errno();
		}
		if (k == 0)
			break;
		n += (size_t)k;
		if (n > REPLAY_INPUT_MAX)
			return -EFBIG;
	}
	/* Exactly n bytes, so that ASan sees any read past the input. */
	{
		_cleanup_free_ uint8_t *input = malloc(n ? n : 1);

		if (!input)
			return -ENOMEM;
		memcpy(input, buf, n);
		LLVMFuzzerTestOneInput(input, n);
	}
	return 0;
}

static int cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int replay_path(const char *path, unsigned *count, unsigned *failed)
{
	struct stat st;
	DIR *d;
	char **names = NULL;
	size_t n = 0, alloc = 0;
	struct dirent *de;

	if (stat(path, &st) < 0) {
		fprintf(stderr, "replay: %s: %s\n", path, strerror(errno));
		(*failed)++;
		return 0;
	}
	if (!S_ISDIR(st.st_mode)) {
		int r = replay_file(path);

		if (r < 0) {
			fprintf(stderr, "replay: %s: %s\n", path, strerror(-r));
			(*failed)++;
		} else
			(*count)++;
		return 0;
	}

	d = opendir(path);
	if (!d) {
		fprintf(stderr, "replay: %s: %s\n", path, strerror(errno));
		(*failed)++;
		return 0;
	}
	while ((de = readdir(d))) {
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		if (n == alloc) {
			char **q =
				realloc(names, (alloc = alloc ? alloc * 2 : 64) * sizeof(char *));

			if (!q)
				goto oom;
			names = q;
		}
		if (asprintf(&names[n], "%s/%s", path, de->d_name) < 0)
			goto oom;
		n++;
	}
	closedir(d);
	if (n > 0)
		qsort(names, n, sizeof(char *), cmp_names);
	for (size_t i = 0; i < n; i++) {
		replay_path(names[i], count, failed);
		free(names[i]);
	}
	free(names);
	return 0;
oom:
	closedir(d);
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	free(names);
	fprintf(stderr, "replay: out of memory\n");
	(*failed)++;
	return -ENOMEM;
}

int main(int argc, char **argv)
{
	unsigned count = 0, failed = 0;

	if (argc < 2) {
		fprintf(stderr, "usage: %s FILE|DIR...\n", argv[0]);
		return 2;
	}
	if (LLVMFuzzerInitialize)
		LLVMFuzzerInitialize(&argc, &argv);
	for (int i = 1; i < argc; i++)
		replay_path(argv[i], &count, &failed);
	printf("%s: replayed %u input%s, %u unreadable\n", argv[0], count, count == 1 ? "" : "s",
		failed);
	/* An empty corpus tests nothing: that is a failure too. */
	return failed > 0 || count == 0 ? 1 : 0;
}

#else
/* ISO C wants at least one declaration in a translation unit. */
typedef int pns_replay_empty;
#endif
