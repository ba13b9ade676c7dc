/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Throw-away directory trees for tests: fake sysfs/procfs under a mkdtemp
 * directory. Paths given to the helpers are relative to the tree's root.
 */
#ifndef ENERGAT_FAKE_TREE_H
#define ENERGAT_FAKE_TREE_H

/* New empty tree under $TMPDIR (or /tmp). Returns a malloc'd path or NULL. */
char *fake_tree_new(void);

/* mkdir -p ROOT/PATH (PATH is printf-formatted). Returns 0 or -errno. */
int fake_mkdir(const char *root, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Create or replace ROOT/PATH with @content, making parent directories. */
int fake_write(const char *root, const char *path, const char *content);

/* Like fake_write() with printf-formatted content. */
int fake_writef(const char *root, const char *path, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* rm -rf ROOT (never follows symlinks). Returns 0 or -errno. */
int fake_tree_remove(const char *root);

/* fake_tree_remove() and free(); NULL-safe. */
void fake_tree_destroy(char *root);

/* cmocka fixtures: *state is a fresh fake tree, removed afterwards. */
int fake_tree_setup(void **state);
int fake_tree_teardown(void **state);

#endif /* ENERGAT_FAKE_TREE_H */
