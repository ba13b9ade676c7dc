// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Baseline power file: parse, validate, format, load and atomic save. */
#define _GNU_SOURCE /* mkostemp */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <json-c/json.h>

#include "baseline.h"
#include "csv.h"

#define KEY_PKG_W "pkg_base_w"
#define KEY_DRAM_W "dram_base_w"
#define KEY_PKG_PCT "pkg_base_percents"
#define KEY_DRAM_PCT "dram_base_percents"

__attribute__((format(printf, 3, 4))) static int fail(char *err, size_t errlen, const char *fmt,
						      ...)
{
	va_list ap;

	if (err && errlen) {
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return -EINVAL;
}

static int check_watts(const char *key, const double *w, int n, char *err, size_t errlen)
{
	int s;

	for (s = 0; s < n; s++) {
		if (!isfinite(w[s]))
			return fail(err, errlen, "%s[%d]: not a finite number", key, s);
		if (w[s] < 0)
			return fail(err, errlen, "%s[%d]: %g W is negative", key, s, w[s]);
		if (w[s] > BASELINE_MAX_WATTS)
			return fail(err, errlen, "%s[%d]: %g W is above %g W, not an idle socket",
				    key, s, w[s], BASELINE_MAX_WATTS);
	}
	return 0;
}

static int check_percents(const char *key, const double *p, int n, char *err, size_t errlen)
{
	int s;

	/* Above 100 is allowed: the prototype averaged over equal-sized sockets. */
	for (s = 0; s < n; s++) {
		if (!isfinite(p[s]))
			return fail(err, errlen, "%s[%d]: not a finite number", key, s);
		if (p[s] < 0)
			return fail(err, errlen, "%s[%d]: %g%% is negative", key, s, p[s]);
	}
	return 0;
}

int baseline_check(const struct baseline *b, char *err, size_t errlen)
{
	int n = b->nr_sockets, ret;

	if (n < 1 || n > ENERGAT_MAX_SOCKETS)
		return fail(err, errlen, "%d sockets: between 1 and %d supported", n,
			    ENERGAT_MAX_SOCKETS);
	ret = check_watts(KEY_PKG_W, b->pkg_base_w, n, err, errlen);
	if (!ret)
		ret = check_watts(KEY_DRAM_W, b->dram_base_w, n, err, errlen);
	if (!ret)
		ret = check_percents(KEY_PKG_PCT, b->pkg_base_percent, n, err, errlen);
	if (!ret)
		ret = check_percents(KEY_DRAM_PCT, b->dram_base_percent, n, err, errlen);
	if (ret)
		return ret;
	if (!isfinite(b->period_sec) || b->period_sec < 0)
		return fail(err, errlen, "period_sec: %g is not a duration", b->period_sec);
	if (!isfinite(b->timestamp) || b->timestamp < 0)
		return fail(err, errlen, "timestamp: %g is not a time", b->timestamp);
	if (!memchr(b->meter, '\0', sizeof(b->meter)) || !memchr(b->host, '\0', sizeof(b->host)))
		return fail(err, errlen, "meter or host is not terminated");
	return 0;
}

static int is_number(struct json_object *v)
{
	/* json_object_get_double() would quietly turn "1" or true into 1. */
	return json_object_is_type(v, json_type_double) || json_object_is_type(v, json_type_int);
}

static int get_array(struct json_object *root, const char *key, double *out, int *n, char *err,
		     size_t errlen)
{
	struct json_object *arr, *v;
	size_t len, i;

	if (!json_object_object_get_ex(root, key, &arr))
		return fail(err, errlen, "missing key \"%s\"", key);
	if (!json_object_is_type(arr, json_type_array))
		return fail(err, errlen, "\"%s\" is not an array", key);
	len = json_object_array_length(arr);
	if (len == 0)
		return fail(err, errlen, "\"%s\" is empty", key);
	if (len > ENERGAT_MAX_SOCKETS)
		return fail(err, errlen, "\"%s\" has %zu sockets, at most %d supported", key, len,
			    ENERGAT_MAX_SOCKETS);
	for (i = 0; i < len; i++) {
		v = json_object_array_get_idx(arr, i);
		if (!is_number(v))
			return fail(err, errlen, "%s[%zu]: not a number", key, i);
		out[i] = json_object_get_double(v);
	}
	*n = (int)len;
	return 0;
}

/* Optional keys: absent or null leave the zeroed default. */
static int get_opt_number(struct json_object *root, const char *key, double *out, char *err,
			  size_t errlen)
{
	struct json_object *v;

	if (!json_object_object_get_ex(root, key, &v) || json_object_is_type(v, json_type_null))
		return 0;
	if (!is_number(v))
		return fail(err, errlen, "\"%s\" is not a number", key);
	*out = json_object_get_double(v);
	return 0;
}

static int get_opt_string(struct json_object *root, const char *key, char *out, size_t size,
			  char *err, size_t errlen)
{
	struct json_object *v;
	const char *s;
	size_t len;

	if (!json_object_object_get_ex(root, key, &v) || json_object_is_type(v, json_type_null))
		return 0;
	if (!json_object_is_type(v, json_type_string))
		return fail(err, errlen, "\"%s\" is not a string", key);
	s = json_object_get_string(v);
	len = (size_t)json_object_get_string_len(v);
	if (len >= size || strlen(s) != len)
		return fail(err, errlen, "\"%s\" is longer than %zu bytes or holds a NUL", key,
			    size - 1);
	memcpy(out, s, len + 1);
	return 0;
}

static int parse_root(struct json_object *root, struct baseline *b, char *err, size_t errlen)
{
	static const char *const keys[] = { KEY_PKG_W, KEY_DRAM_W, KEY_PKG_PCT, KEY_DRAM_PCT };
	double *arrays[] = { b->pkg_base_w, b->dram_base_w, b->pkg_base_percent,
			     b->dram_base_percent };
	int n[4], i, ret;

	if (!json_object_is_type(root, json_type_object))
		return fail(err, errlen, "top level is not a JSON object");
	for (i = 0; i < 4; i++) {
		ret = get_array(root, keys[i], arrays[i], &n[i], err, errlen);
		if (ret)
			return ret;
		if (n[i] != n[0])
			return fail(err, errlen, "\"%s\" has %d entries but \"%s\" has %d", keys[i],
				    n[i], keys[0], n[0]);
	}
	b->nr_sockets = n[0];

	ret = get_opt_string(root, "meter", b->meter, sizeof(b->meter), err, errlen);
	if (!ret)
		ret = get_opt_number(root, "period_sec", &b->period_sec, err, errlen);
	if (!ret)
		ret = get_opt_number(root, "timestamp", &b->timestamp, err, errlen);
	if (!ret)
		ret = get_opt_string(root, "host", b->host, sizeof(b->host), err, errlen);
	if (!ret)
		ret = baseline_check(b, err, errlen);
	return ret;
}

static int only_space(const char *s, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++) {
		if (s[i] != ' ' && s[i] != '\t' && s[i] != '\n' && s[i] != '\r')
			return 0;
	}
	return 1;
}

int baseline_parse(const char *json, size_t len, struct baseline *b, char *err, size_t errlen)
{
	struct json_object *root = NULL;
	struct json_tokener *tok;
	enum json_tokener_error jerr;
	size_t end;
	int ret;

	memset(b, 0, sizeof(*b));
	if (err && errlen)
		err[0] = '\0';
	if (!json || only_space(json, len))
		return fail(err, errlen, "empty file");
	if (len > INT_MAX)
		return fail(err, errlen, "too large");

	tok = json_tokener_new();
	if (!tok)
		return -ENOMEM;
	root = json_tokener_parse_ex(tok, json, (int)len);
	jerr = json_tokener_get_error(tok);
	end = json_tokener_get_parse_end(tok);
	if (!root) {
		if (jerr == json_tokener_continue)
			ret = fail(err, errlen, "truncated JSON (%zu bytes)", len);
		else
			ret = fail(err, errlen, "invalid JSON at byte %zu: %s", end,
				   json_tokener_error_desc(jerr));
	} else if (end < len && !only_space(json + end, len - end)) {
		ret = fail(err, errlen, "unexpected data after the JSON object at byte %zu", end);
	} else {
		ret = parse_root(root, b, err, errlen);
	}
	json_object_put(root);
	json_tokener_free(tok);
	if (ret)
		memset(b, 0, sizeof(*b));
	return ret;
}

/* A double json-c prints as our shortest exact form, not its %.17g. */
static struct json_object *new_double(double v)
{
	char tmp[40];

	if (csv_format_double(v, tmp, sizeof(tmp)) < 0)
		return NULL;
	return json_object_new_double_s(v, tmp);
}

static int add_array(struct json_object *root, const char *key, const double *v, int n)
{
	struct json_object *arr = json_object_new_array(), *d;
	int i;

	if (!arr)
		return -ENOMEM;
	for (i = 0; i < n; i++) {
		d = new_double(v[i]);
		if (!d || json_object_array_add(arr, d)) {
			json_object_put(d);
			json_object_put(arr);
			return -ENOMEM;
		}
	}
	if (json_object_object_add(root, key, arr)) {
		json_object_put(arr);
		return -ENOMEM;
	}
	return 0;
}

static int add_value(struct json_object *root, const char *key, struct json_object *v)
{
	if (!v)
		return -ENOMEM;
	if (json_object_object_add(root, key, v)) {
		json_object_put(v);
		return -ENOMEM;
	}
	return 0;
}

int baseline_format(const struct baseline *b, char *buf, size_t len)
{
	struct json_object *root;
	const char *s;
	size_t n;
	int ret;

	if (len)
		buf[0] = '\0';
	if (baseline_check(b, NULL, 0))
		return -EINVAL;
	root = json_object_new_object();
	if (!root)
		return -ENOMEM;
	/* Keys in the prototype's order first; json-c keeps insertion order. */
	ret = add_array(root, KEY_PKG_W, b->pkg_base_w, b->nr_sockets);
	if (!ret)
		ret = add_array(root, KEY_DRAM_W, b->dram_base_w, b->nr_sockets);
	if (!ret)
		ret = add_array(root, KEY_PKG_PCT, b->pkg_base_percent, b->nr_sockets);
	if (!ret)
		ret = add_array(root, KEY_DRAM_PCT, b->dram_base_percent, b->nr_sockets);
	if (!ret)
		ret = add_value(root, "meter", json_object_new_string(b->meter));
	if (!ret)
		ret = add_value(root, "period_sec", new_double(b->period_sec));
	if (!ret)
		ret = add_value(root, "timestamp", new_double(b->timestamp));
	if (!ret)
		ret = add_value(root, "host", json_object_new_string(b->host));
	if (ret)
		goto cleanup;

	s = json_object_to_json_string_ext(root, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED |
							 JSON_C_TO_STRING_NOSLASHESCAPE);
	if (!s) {
		ret = -ENOMEM;
		goto cleanup;
	}
	n = strlen(s);
	if (n + 2 > len || n + 1 > INT_MAX) {
		ret = -ENOSPC;
		goto cleanup;
	}
	memcpy(buf, s, n);
	buf[n] = '\n';
	buf[n + 1] = '\0';
	ret = (int)(n + 1);
cleanup:
	json_object_put(root);
	return ret;
}

int baseline_load(const char *path, struct baseline *b, char *err, size_t errlen)
{
	char *buf = NULL;
	size_t got = 0;
	struct stat st;
	int fd, ret;

	memset(b, 0, sizeof(*b));
	if (err && errlen)
		err[0] = '\0';
	/* O_NONBLOCK: a FIFO at the path must not hang the tracer. */
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0) {
		ret = -errno;
		snprintf(err, errlen, "%s", strerror(-ret));
		return ret;
	}
	if (fstat(fd, &st)) {
		ret = -errno;
		snprintf(err, errlen, "%s", strerror(-ret));
		goto cleanup;
	}
	if (!S_ISREG(st.st_mode)) {
		ret = fail(err, errlen, "not a regular file");
		goto cleanup;
	}
	if (st.st_size > BASELINE_MAX_FILE_SIZE) {
		ret = -EFBIG;
		snprintf(err, errlen, "%lld bytes, a baseline file is at most %d",
			 (long long)st.st_size, BASELINE_MAX_FILE_SIZE);
		goto cleanup;
	}

	/* One byte more than allowed, to notice a file that grew since fstat. */
	buf = malloc(BASELINE_MAX_FILE_SIZE + 1);
	if (!buf) {
		ret = -ENOMEM;
		snprintf(err, errlen, "%s", strerror(ENOMEM));
		goto cleanup;
	}
	while (got <= BASELINE_MAX_FILE_SIZE) {
		ssize_t n = read(fd, buf + got, BASELINE_MAX_FILE_SIZE + 1 - got);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			ret = -errno;
			snprintf(err, errlen, "%s", strerror(-ret));
			goto cleanup;
		}
		if (n == 0)
			break;
		got += (size_t)n;
	}
	if (got > BASELINE_MAX_FILE_SIZE) {
		ret = -EFBIG;
		snprintf(err, errlen, "larger than %d bytes", BASELINE_MAX_FILE_SIZE);
		goto cleanup;
	}
	ret = baseline_parse(buf, got, b, err, errlen);
cleanup:
	free(buf);
	close(fd);
	return ret;
}

static int write_all(int fd, const char *buf, size_t len)
{
	while (len) {
		ssize_t n = write(fd, buf, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n == 0)
			return -EIO;
		buf += n;
		len -= (size_t)n;
	}
	return 0;
}

static int fsync_dir(const char *dir)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC), ret = 0;

	if (fd < 0)
		return -errno;
	/* EINVAL: the file system cannot sync a directory; nothing to do. */
	if (fsync(fd) && errno != EINVAL)
		ret = -errno;
	close(fd);
	return ret;
}

int baseline_save(const char *path, const struct baseline *b)
{
	char text[16384], dir[PATH_MAX], tmp[PATH_MAX];
	const char *slash, *base;
	int fd = -1, ret, n;

	n = baseline_format(b, text, sizeof(text));
	if (n < 0)
		return n;

	slash = strrchr(path, '/');
	base = slash ? slash + 1 : path;
	if (!*base)
		return -EISDIR;
	if (!slash)
		snprintf(dir, sizeof(dir), ".");
	else if (slash == path)
		snprintf(dir, sizeof(dir), "/");
	else if ((size_t)(slash - path) >= sizeof(dir))
		return -ENAMETOOLONG;
	else
		snprintf(dir, sizeof(dir), "%.*s", (int)(slash - path), path);
	if (snprintf(tmp, sizeof(tmp), "%s/.%s.XXXXXX", dir, base) >= (int)sizeof(tmp))
		return -ENAMETOOLONG;

	ret = csv_mkdir_p(dir, 0755);
	if (ret)
		return ret;
	fd = mkostemp(tmp, O_CLOEXEC);
	if (fd < 0)
		return -errno;
	/* mkostemp creates 0600; the baseline is not secret and users read it. */
	if (fchmod(fd, 0644)) {
		ret = -errno;
		goto fail;
	}
	ret = write_all(fd, text, (size_t)n);
	if (ret)
		goto fail;
	if (fsync(fd)) {
		ret = -errno;
		goto fail;
	}
	if (close(fd)) {
		fd = -1;
		ret = -errno;
		goto fail;
	}
	fd = -1;
	if (rename(tmp, path)) {
		ret = -errno;
		goto fail;
	}
	/* The rename itself must survive a power cut too. */
	return fsync_dir(dir);
fail:
	if (fd >= 0)
		close(fd);
	unlink(tmp);
	return ret;
}
