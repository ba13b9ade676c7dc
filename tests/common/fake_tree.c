// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Fake sysfs/procfs trees for tests; see fake_tree.h. */
#define _GNU_SOURCE /* asprintf, nftw */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fake_tree.h"

char *fake_tree_new(void)
{
	const char *tmp = getenv("TMPDIR");
	char *path;

	if (!tmp || !*tmp)
		tmp = "/tmp";
	if (asprintf(&path, "%s/energat-fake.XXXXXX", tmp) < 0)
		return NULL;
	if (!mkdtemp(path)) {
		free(path);
		return NULL;
	}
	return path;
}

/* mkdir -p of an absolute path, modifying it in place while walking. */
static int mkdir_p(char *path)
{
	char *p;

	for (p = path + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(path, 0755) && errno != EEXIST) {
			*p = '/';
			return -errno;
		}
		*p = '/';
	}
	if (mkdir(path, 0755) && errno != EEXIST)
		return -errno;
	return 0;
}

static int join(char *out, size_t size, const char *root, const char *path)
{
	int n = snprintf(out, size, "%s/%s", root, path);

	return n < 0 || (size_t)n >= size ? -ENAMETOOLONG : 0;
}

int fake_mkdir(const char *root, const char *fmt, ...)
{
	char rel[PATH_MAX], full[PATH_MAX];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(rel, sizeof(rel), fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(rel) || join(full, sizeof(full), root, rel))
		return -ENAMETOOLONG;
	return mkdir_p(full);
}

int fake_write(const char *root, const char *path, const char *content)
{
	char full[PATH_MAX], *slash;
	size_t len = strlen(content), off = 0;
	int fd, ret;

	ret = join(full, sizeof(full), root, path);
	if (ret)
		return ret;
	slash = strrchr(full, '/');
	*slash = '\0';
	ret = mkdir_p(full);
	*slash = '/';
	if (ret)
		return ret;
	fd = open(full, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		return -errno;
	while (off < len) {
		ssize_t w = write(fd, content + off, len - off);

		if (w < 0) {
			if (errno == EINTR)
				continue;
			ret = -errno;
			break;
		}
		off += w;
	}
	close(fd);
	return ret;
}

int fake_writef(const char *root, const char *path, const char *fmt, ...)
{
	char *content;
	va_list ap;
	int ret;

	va_start(ap, fmt);
	ret = vasprintf(&content, fmt, ap);
	va_end(ap);
	if (ret < 0)
		return -ENOMEM;
	ret = fake_write(root, path, content);
	free(content);
	return ret;
}

static int rm_one(const char *path, const struct stat *sb, int type, struct FTW *ftw)
{
	(void)sb;
	(void)ftw;
	return (type == FTW_DP ? rmdir(path) : unlink(path)) ? -1 : 0;
}

int fake_tree_remove(const char *root)
{
	if (!root || !*root || !strcmp(root, "/"))
		return -EINVAL;
	/* Depth first and physical: children before parents, symlinks not followed. */
	if (nftw(root, rm_one, 16, FTW_DEPTH | FTW_PHYS))
		return errno ? -errno : -EIO;
	return 0;
}

void fake_tree_destroy(char *root)
{
	if (!root)
		return;
	fake_tree_remove(root);
	free(root);
}

int fake_tree_setup(void **state)
{
	char *root = fake_tree_new();

	if (!root)
		return -1;
	*state = root;
	return 0;
}

int fake_tree_teardown(void **state)
{
	fake_tree_destroy(*state);
	return 0;
}
