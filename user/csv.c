// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* CSV formatting (RFC 4180) and the append-only row writer. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#include "csv.h"

const char csv_target_header[] =
	"time,socket,duration_sec,num_proc,num_threads,pkg_credit_frac,dram_credit_frac,"
	"total_pkg_joules,total_dram_joules,base_pkg_joules,base_dram_joules,"
	"ascribed_pkg_joules,ascribed_dram_joules,tracer_pkg_joules,tracer_dram_joules,"
	"pkg_percent,dram_percent";

const char csv_thread_header[] = "time,socket,pid,tid,comm,cpu_sec,pkg_credit_frac,"
				 "ascribed_pkg_joules,ascribed_dram_joules";

static int fits(int n, char *buf, size_t len)
{
	if (n < 0 || (size_t)n >= len) {
		if (len)
			buf[0] = '\0';
		return -ENOSPC;
	}
	return n;
}

int csv_quote(const char *in, char *out, size_t outlen)
{
	size_t pos = 0;
	const char *p;

	if (!in)
		in = "";
	if (!strpbrk(in, ",\"\r\n")) {
		size_t n = strlen(in);

		if (n >= outlen)
			return fits(-1, out, outlen);
		memcpy(out, in, n + 1);
		return (int)n;
	}

	/* Worst case every byte is a quote: 2n + 2 quotes + NUL. */
	if (outlen < 3)
		return fits(-1, out, outlen);
	out[pos++] = '"';
	for (p = in; *p; p++) {
		size_t need = *p == '"' ? 2 : 1;

		if (pos + need + 2 > outlen) /* room for the closing quote and NUL */
			return fits(-1, out, outlen);
		if (*p == '"')
			out[pos++] = '"';
		out[pos++] = *p;
	}
	out[pos++] = '"';
	out[pos] = '\0';
	return pos > INT_MAX ? fits(-1, out, outlen) : (int)pos;
}

int csv_format_double(double v, char *buf, size_t len)
{
	char tmp[40], *d;
	const char *s;
	int prec, n = 0, in_point = 0;

	if (v == 0)
		v = 0; /* -0.0 compares equal: write a plain 0 */
	if (isnan(v))
		return fits(snprintf(buf, len, "nan"), buf, len);
	if (isinf(v))
		return fits(snprintf(buf, len, "%s", v > 0 ? "inf" : "-inf"), buf, len);

	for (prec = 15; prec <= 17; prec++) {
		n = snprintf(tmp, sizeof(tmp), "%.*g", prec, v);
		if (prec == 17 || strtod(tmp, NULL) == v)
			break;
	}

	/*
	 * A caller (the ncurses view) may set LC_NUMERIC; its decimal point can
	 * be ',' or multibyte. Both printf and strtod above used it, so the
	 * round trip held; now write it as the one '.' a CSV reader expects.
	 */
	d = tmp;
	for (s = tmp; *s; s++) {
		if ((*s >= '0' && *s <= '9') || *s == 'e' || *s == '-' || *s == '+') {
			*d++ = *s;
			in_point = 0;
		} else if (!in_point) {
			*d++ = '.';
			in_point = 1;
		}
	}
	*d = '\0';
	n = (int)(d - tmp);
	if (fits(n, buf, len) < 0)
		return -ENOSPC;
	memcpy(buf, tmp, n + 1);
	return n;
}

/* Appends to a fixed buffer; the first overflow sticks. */
struct line {
	char *buf;
	size_t len, pos;
	int err;
};

static void put_str(struct line *l, const char *s)
{
	size_t n = strlen(s);

	if (l->err)
		return;
	if (l->pos + n >= l->len) {
		l->err = -ENOSPC;
		return;
	}
	memcpy(l->buf + l->pos, s, n + 1);
	l->pos += n;
}

static void put_double(struct line *l, double v, int sep)
{
	char tmp[40];

	if (sep)
		put_str(l, ",");
	if (csv_format_double(v, tmp, sizeof(tmp)) < 0)
		l->err = -ENOSPC;
	put_str(l, tmp);
}

static void put_int(struct line *l, int v, int sep)
{
	char tmp[16];

	if (sep)
		put_str(l, ",");
	snprintf(tmp, sizeof(tmp), "%d", v);
	put_str(l, tmp);
}

static void put_quoted(struct line *l, const char *s)
{
	int n;

	put_str(l, ",");
	if (l->err)
		return;
	n = csv_quote(s, l->buf + l->pos, l->len - l->pos);
	if (n < 0)
		l->err = n;
	else
		l->pos += n;
}

static int line_end(struct line *l)
{
	if (l->err || l->pos > INT_MAX) {
		if (l->len)
			l->buf[0] = '\0';
		return -ENOSPC;
	}
	return (int)l->pos;
}

int csv_format_target_row(const struct csv_target_row *r, char *buf, size_t len)
{
	struct line l = { .buf = buf, .len = len };

	if (!len)
		return -ENOSPC;
	buf[0] = '\0';
	put_double(&l, r->time, 0);
	put_int(&l, r->socket, 1);
	put_double(&l, r->duration_sec, 1);
	put_int(&l, r->num_proc, 1);
	put_int(&l, r->num_threads, 1);
	put_double(&l, r->pkg_credit_frac, 1);
	put_double(&l, r->dram_credit_frac, 1);
	put_double(&l, r->total_pkg_joules, 1);
	put_double(&l, r->total_dram_joules, 1);
	put_double(&l, r->base_pkg_joules, 1);
	put_double(&l, r->base_dram_joules, 1);
	put_double(&l, r->ascribed_pkg_joules, 1);
	put_double(&l, r->ascribed_dram_joules, 1);
	put_double(&l, r->tracer_pkg_joules, 1);
	put_double(&l, r->tracer_dram_joules, 1);
	put_double(&l, r->pkg_percent, 1);
	put_double(&l, r->dram_percent, 1);
	return line_end(&l);
}

int csv_format_thread_row(const struct csv_thread_row *r, char *buf, size_t len)
{
	struct line l = { .buf = buf, .len = len };

	if (!len)
		return -ENOSPC;
	buf[0] = '\0';
	put_double(&l, r->time, 0);
	put_int(&l, r->socket, 1);
	put_int(&l, r->pid, 1);
	put_int(&l, r->tid, 1);
	put_quoted(&l, r->comm);
	put_double(&l, r->cpu_sec, 1);
	put_double(&l, r->pkg_credit_frac, 1);
	put_double(&l, r->ascribed_pkg_joules, 1);
	put_double(&l, r->ascribed_dram_joules, 1);
	return line_end(&l);
}

int csv_filename(const char *kind, const char *name, char *buf, size_t len)
{
	if (!kind || !name || !name[0] || strchr(name, '/') || strchr(kind, '/')) {
		if (len)
			buf[0] = '\0';
		return -EINVAL;
	}
	return fits(snprintf(buf, len, "energat_%s_%s.csv", kind, name), buf, len);
}

int csv_mkdir_p(const char *path, unsigned int mode)
{
	char buf[PATH_MAX];
	size_t n = strlen(path);
	struct stat st;
	char *p;

	if (!n)
		return -EINVAL;
	if (n >= sizeof(buf))
		return -ENAMETOOLONG;
	memcpy(buf, path, n + 1);
	/* An existing component answers EEXIST even on a read-only parent. */
	for (p = buf + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(buf, mode) && errno != EEXIST)
			return -errno;
		*p = '/';
	}
	if (mkdir(buf, mode) && errno != EEXIST)
		return -errno;
	if (stat(buf, &st))
		return -errno;
	return S_ISDIR(st.st_mode) ? 0 : -ENOTDIR;
}

struct csv_writer {
	int fd;
	int err; /* first write error, reported again by close */
};

/* line + "\n" in one writev(2), resumed after a short write. */
static int write_line_once(int fd, const char *line)
{
	struct iovec iov[2] = {
		{ .iov_base = (void *)line, .iov_len = strlen(line) },
		{ .iov_base = (void *)"\n", .iov_len = 1 },
	};
	struct iovec *v = iov;
	int cnt = 2;

	for (;;) {
		ssize_t n;

		while (cnt > 0 && v->iov_len == 0) {
			v++;
			cnt--;
		}
		if (cnt == 0)
			return 0;
		n = writev(fd, v, cnt);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n == 0) /* no progress and no errno: don't spin */
			return -EIO;
		while (cnt > 0 && (size_t)n >= v->iov_len) {
			n -= v->iov_len;
			v++;
			cnt--;
		}
		if (cnt > 0) {
			v->iov_base = (char *)v->iov_base + n;
			v->iov_len -= n;
		}
	}
}

/*
 * All of the line or none of it: a row cut short by a full disk is cut
 * back off, so the rows before it stay a valid CSV.
 */
static int write_line(int fd, const char *line)
{
	struct stat st;
	int ret, have = !fstat(fd, &st);

	ret = write_line_once(fd, line);
	/* Should even this fail, reopening the file ends the torn row (check_existing). */
	if (ret && have)
		(void)!ftruncate(fd, st.st_size);
	return ret;
}

/* An existing file must carry our header; a torn last row gets its newline. */
static int check_existing(int fd, off_t size, const char *header)
{
	ssize_t n;
	char last;

	if (header) {
		size_t hl = strlen(header);
		char *got = malloc(hl + 1);
		int same;

		if (!got)
			return -ENOMEM;
		n = pread(fd, got, hl + 1, 0);
		if (n < 0) {
			n = -errno;
			free(got);
			return (int)n;
		}
		same = (size_t)n == hl + 1 && !memcmp(got, header, hl) && got[hl] == '\n';
		free(got);
		if (!same)
			return -EINVAL;
	}
	n = pread(fd, &last, 1, size - 1);
	if (n < 0)
		return -errno;
	if (n == 1 && last != '\n')
		return write_line(fd, "");
	return 0;
}

int csv_writer_open(const char *dir, const char *filename, const char *header,
		    struct csv_writer **out)
{
	struct csv_writer *w = NULL;
	int dfd = -1, fd = -1, err, fl;
	struct stat st;

	*out = NULL;
	if (!filename[0] || strchr(filename, '/') || !strcmp(filename, ".") ||
	    !strcmp(filename, ".."))
		return -EINVAL;
	err = csv_mkdir_p(dir, 0750);
	if (err)
		return err;
	dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0)
		return -errno;

	/* Don't even open a planted device or FIFO (open can have effects). */
	if (!fstatat(dfd, filename, &st, AT_SYMLINK_NOFOLLOW)) {
		if (S_ISLNK(st.st_mode)) {
			err = -ELOOP;
			goto cleanup;
		}
		if (!S_ISREG(st.st_mode)) {
			err = -EINVAL;
			goto cleanup;
		}
	}
	/* O_RDWR to check an existing header; O_NONBLOCK so a FIFO swapped in
	 * since the check cannot block us. */
	fd = openat(dfd, filename,
		    O_RDWR | O_APPEND | O_CREAT | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY | O_NONBLOCK,
		    0640);
	if (fd < 0) {
		err = -errno;
		goto cleanup;
	}
	if (fstat(fd, &st)) {
		err = -errno;
		goto cleanup;
	}
	if (!S_ISREG(st.st_mode)) {
		err = -EINVAL;
		goto cleanup;
	}
	if (st.st_nlink > 1) {
		err = -EMLINK;
		goto cleanup;
	}
	fl = fcntl(fd, F_GETFL);
	if (fl < 0 || fcntl(fd, F_SETFL, fl & ~O_NONBLOCK)) {
		err = -errno;
		goto cleanup;
	}

	if (st.st_size == 0)
		err = header ? write_line(fd, header) : 0;
	else
		err = check_existing(fd, st.st_size, header);
	if (err)
		goto cleanup;

	w = calloc(1, sizeof(*w));
	if (!w) {
		err = -ENOMEM;
		goto cleanup;
	}
	w->fd = fd;
	fd = -1;
	*out = w;
cleanup:
	if (fd >= 0)
		close(fd);
	close(dfd);
	return err;
}

int csv_writer_row(struct csv_writer *w, const char *line)
{
	int err;

	if (!w || !line)
		return -EINVAL;
	err = write_line(w->fd, line);
	if (err && !w->err)
		w->err = err;
	return err;
}

int csv_writer_close(struct csv_writer *w)
{
	int err;

	if (!w)
		return 0;
	err = w->err;
	/* EINVAL: the file system cannot sync (e.g. some FUSE); not our error. */
	if (fsync(w->fd) && errno != EINVAL && !err)
		err = -errno;
	if (close(w->fd) && !err)
		err = -errno;
	free(w);
	return err;
}
