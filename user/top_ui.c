// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The interactive view of `energat-bpf top`: ncurses on the main thread,
 * the session stepping on a second one. The sink tells the screen about a
 * new interval through a pipe; the screen copies the rows under the lock and
 * draws from its copy, so pause, sorting, view changes and resizes never
 * wait for the next interval. stderr is captured while the screen is up
 * (a warning would tear it) and replayed after the terminal is restored.
 */
#define _GNU_SOURCE
#include <curses.h>
#include <errno.h>
#include <fcntl.h>
#include <locale.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "top.h"

#define UI_POLL_MS 250
#define ERR_KEEP 8192 /* bytes of captured stderr replayed on exit */

struct ui {
	struct top_ctx *c;
	struct top_snapshot snap; /* what the screen shows */
	int have; /* snap holds an interval */
	enum top_view view, last_plain; /* last_plain: threads or processes, for 'c' */
	enum top_sort sort;
	int reverse, paused, help;
	size_t offset; /* first row shown */
	int rows_shown; /* rows that fit, from the last draw */
	char errbuf[ERR_KEEP]; /* captured stderr */
	size_t errlen;
	char lastmsg[256];
};

struct session_thread {
	struct top_ctx *c;
	int ret, done;
	int wake_fd;
};

static void *session_main(void *arg)
{
	struct session_thread *t = arg;

	t->ret = top_run_session(t->c, &t->c->quit);
	__atomic_store_n(&t->done, 1, __ATOMIC_RELEASE);
	if (write(t->wake_fd, "d", 1) < 0) {
		/* The screen also polls with a timeout. */
	}
	return NULL;
}

/* Keep the tail of captured stderr; the last complete line is shown on screen. */
static void drain_stderr(struct ui *u, int fd)
{
	char buf[1024], *nl, *start;
	ssize_t n;

	while ((n = read(fd, buf, sizeof(buf))) > 0) {
		if (u->errlen + n > sizeof(u->errbuf)) {
			size_t drop = u->errlen + n - sizeof(u->errbuf);

			if (drop > u->errlen)
				drop = u->errlen;
			memmove(u->errbuf, u->errbuf + drop, u->errlen - drop);
			u->errlen -= drop;
		}
		if ((size_t)n > sizeof(u->errbuf))
			n = sizeof(u->errbuf);
		memcpy(u->errbuf + u->errlen, buf, n);
		u->errlen += n;
	}
	/* The last full line of the buffer. */
	if (!u->errlen || u->errbuf[u->errlen - 1] != '\n')
		return;
	nl = u->errbuf + u->errlen - 1;
	start = nl;
	while (start > u->errbuf && start[-1] != '\n')
		start--;
	top_sanitize(start, nl - start, u->lastmsg, sizeof(u->lastmsg));
}

static void put_line(int y, const char *s, attr_t attr)
{
	if (y >= LINES)
		return;
	attron(attr);
	mvaddnstr(y, 0, s, COLS);
	attroff(attr);
}

static const char *const help_text[] = {
	"energat-bpf top: keys",
	"",
	"  q          quit",
	"  t          threads <-> processes (a process sums its threads)",
	"  c          cgroups (container, systemd unit) on/off",
	"  p, space   pause the screen (energy keeps being counted)",
	"  w          sort by power: package + DRAM watts (default)",
	"  u          sort by CPU%",
	"  k / d      sort by package / DRAM watts",
	"  j          sort by total joules since top started",
	"  i / n      sort by PID / name",
	"  r          reverse the order",
	"  arrows, PgUp, PgDn, Home, End   scroll",
	"",
	"Rows exited during the interval are dimmed. Any key closes this help.",
};

static void draw(struct ui *u)
{
	char head[4096], line[TOP_LINE_MAX], *p, *nl;
	size_t i, n;
	int y = 0;

	erase();
	if (u->help) {
		for (i = 0; i < sizeof(help_text) / sizeof(help_text[0]); i++)
			put_line(i, help_text[i], i ? 0 : A_BOLD);
		refresh();
		return;
	}
	if (!u->have) {
		snprintf(line, sizeof(line),
			 "energat-bpf top: waiting for the first interval (%.2f s)...   q quits",
			 u->c->o->interval);
		put_line(0, line, A_BOLD);
		if (u->lastmsg[0])
			put_line(2, u->lastmsg, 0);
		refresh();
		return;
	}
	top_format_header(&u->snap.sum, u->c->meter_why, head, sizeof(head));
	for (p = head; *p; p = nl + 1) {
		nl = strchr(p, '\n');
		if (!nl)
			break;
		*nl = '\0';
		put_line(y, p, y == 0 ? A_BOLD : 0);
		y++;
	}
	n = u->snap.nr[u->view];
	snprintf(line, sizeof(line),
		 "%zu %s, sorted by %s%s%s | q quit  t threads/processes  c cgroups  "
		 "w/u/k/d/j/i/n sort  r reverse  p pause  h help",
		 n, top_view_name(u->view), top_sort_name(u->sort), u->reverse ? " (reversed)" : "",
		 u->paused ? "  [PAUSED]" : "");
	put_line(y++, line, 0);
	put_line(y++, u->lastmsg, 0);
	top_format_colhead(u->view, line, sizeof(line));
	{
		char pad[TOP_LINE_MAX];
		int w = COLS < (int)sizeof(pad) - 1 ? COLS : (int)sizeof(pad) - 1;

		snprintf(pad, sizeof(pad), "%-*s", w, line);
		put_line(y++, pad, A_REVERSE);
	}
	u->rows_shown = LINES - y > 0 ? LINES - y : 0;
	if (u->offset + u->rows_shown > n)
		u->offset = n > (size_t)u->rows_shown ? n - u->rows_shown : 0;
	for (i = u->offset; i < n && y < LINES; i++, y++) {
		const struct top_row *r = &u->snap.rows[u->view][i];

		top_format_row(r, u->view, line, sizeof(line));
		put_line(y, line, r->exited ? A_DIM : 0);
	}
	refresh();
}

static void take_snapshot(struct ui *u)
{
	int ret;

	pthread_mutex_lock(&u->c->lock);
	ret = top_snapshot_copy(&u->snap, &u->c->model.cur);
	pthread_mutex_unlock(&u->c->lock);
	if (ret) {
		snprintf(u->lastmsg, sizeof(u->lastmsg), "out of memory: screen not updated");
		return;
	}
	u->have = u->snap.sum.interval > 0;
	top_snapshot_sort(&u->snap, u->sort, u->reverse);
}

static void set_sort(struct ui *u, enum top_sort k)
{
	if (u->sort == k)
		return;
	u->sort = k;
	u->reverse = 0;
	u->offset = 0;
	top_snapshot_sort(&u->snap, u->sort, u->reverse);
}

/* Returns 1 to quit. */
static int key(struct ui *u, int ch)
{
	size_t page = u->rows_shown > 1 ? u->rows_shown - 1 : 1;

	if (u->help && ch != KEY_RESIZE) {
		u->help = 0;
		return ch == 'q' || ch == 'Q';
	}
	switch (ch) {
	case 'h':
	case 'H':
	case '?':
		u->help = 1;
		break;
	case 'q':
	case 'Q':
		return 1;
	case 't':
	case 'T':
		u->view = u->view == TOP_VIEW_THREADS ? TOP_VIEW_PROCESSES : TOP_VIEW_THREADS;
		u->last_plain = u->view;
		u->offset = 0;
		break;
	case 'c':
	case 'C':
		u->view = u->view == TOP_VIEW_CGROUPS ? u->last_plain : TOP_VIEW_CGROUPS;
		u->offset = 0;
		break;
	case 'p':
	case 'P':
	case ' ':
		u->paused = !u->paused;
		if (!u->paused)
			take_snapshot(u);
		break;
	case 'w':
	case 'W':
		set_sort(u, TOP_SORT_POWER);
		break;
	case 'u':
	case 'U':
		set_sort(u, TOP_SORT_CPU);
		break;
	case 'k':
	case 'K':
		set_sort(u, TOP_SORT_PKG);
		break;
	case 'd':
	case 'D':
		set_sort(u, TOP_SORT_DRAM);
		break;
	case 'j':
	case 'J':
		set_sort(u, TOP_SORT_JOULES);
		break;
	case 'i':
	case 'I':
		set_sort(u, TOP_SORT_PID);
		break;
	case 'n':
	case 'N':
		set_sort(u, TOP_SORT_NAME);
		break;
	case 'r':
	case 'R':
		u->reverse = !u->reverse;
		top_snapshot_sort(&u->snap, u->sort, u->reverse);
		break;
	case KEY_DOWN:
		u->offset++;
		break;
	case KEY_UP:
		if (u->offset)
			u->offset--;
		break;
	case KEY_NPAGE:
		u->offset += page;
		break;
	case KEY_PPAGE:
		u->offset = u->offset > page ? u->offset - page : 0;
		break;
	case KEY_HOME:
		u->offset = 0;
		break;
	case KEY_END:
		u->offset = u->snap.nr[u->view];
		break;
	case KEY_RESIZE:
	default:
		break;
	}
	return 0;
}

/* Capture stderr into a pipe; returns the saved fd (or -1), *rd the read end. */
static int capture_stderr(int *rd)
{
	int p[2], saved;

	*rd = -1;
	if (pipe2(p, O_CLOEXEC | O_NONBLOCK))
		return -1;
	fflush(stderr);
	saved = fcntl(STDERR_FILENO, F_DUPFD_CLOEXEC, 3);
	if (saved < 0 || dup2(p[1], STDERR_FILENO) < 0) {
		if (saved >= 0)
			close(saved);
		close(p[0]);
		close(p[1]);
		return -1;
	}
	close(p[1]);
	*rd = p[0];
	return saved;
}

static void restore_stderr(int saved, int rd, struct ui *u)
{
	if (saved < 0)
		return;
	fflush(stderr);
	dup2(saved, STDERR_FILENO);
	close(saved);
	drain_stderr(u, rd);
	close(rd);
	if (u->errlen && write(STDERR_FILENO, u->errbuf, u->errlen) < 0) {
		/* Nowhere left to report it. */
	}
}

int top_ui_run(struct top_ctx *c, volatile sig_atomic_t *stop)
{
	struct session_thread st = { .c = c };
	struct ui *u = calloc(1, sizeof(*u));
	int wake[2] = { -1, -1 }, err_rd = -1, saved_err, status = 1, quit = 0;
	sigset_t all, old;
	pthread_t tid;
	SCREEN *scr;

	if (!u || pipe2(wake, O_CLOEXEC | O_NONBLOCK)) {
		fprintf(stderr, "energat-bpf: top: %s\n", strerror(errno));
		free(u);
		return 1;
	}
	u->c = c;
	u->view = u->last_plain = TOP_VIEW_THREADS;
	u->sort = TOP_SORT_POWER;
	c->notify_fd = wake[1];
	st.wake_fd = wake[1];

	setlocale(LC_CTYPE, "");
	scr = newterm(NULL, stdout, stdin);
	if (!scr) {
		fprintf(stderr, "energat-bpf: top: cannot use the terminal (TERM=%s)\n",
			getenv("TERM") ? getenv("TERM") : "");
		goto cleanup;
	}
	saved_err = capture_stderr(&err_rd);
	cbreak();
	noecho();
	keypad(stdscr, TRUE);
	nodelay(stdscr, TRUE);
	curs_set(0);

	/* Signals (SIGINT, SIGWINCH) go to this thread, so they interrupt poll(). */
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	if (pthread_create(&tid, NULL, session_main, &st)) {
		pthread_sigmask(SIG_SETMASK, &old, NULL);
		endwin();
		delscreen(scr);
		restore_stderr(saved_err, err_rd, u);
		fprintf(stderr, "energat-bpf: top: cannot start the session thread\n");
		goto cleanup;
	}
	pthread_sigmask(SIG_SETMASK, &old, NULL);

	draw(u);
	while (!quit) {
		struct pollfd pfd[3] = {
			{ .fd = STDIN_FILENO, .events = POLLIN },
			{ .fd = wake[0], .events = POLLIN },
			{ .fd = err_rd, .events = POLLIN },
		};
		int redraw = 0, ch, done;
		char b[64];

		poll(pfd, err_rd >= 0 ? 3 : 2, UI_POLL_MS);
		if (*stop)
			break;
		done = __atomic_load_n(&st.done, __ATOMIC_ACQUIRE);
		if (read(wake[0], b, sizeof(b)) > 0 || done) {
			if (!u->paused)
				take_snapshot(u);
			redraw = 1;
		}
		if (err_rd >= 0 && (pfd[2].revents & POLLIN)) {
			drain_stderr(u, err_rd);
			redraw = 1;
		}
		while ((ch = getch()) != ERR) {
			redraw = 1;
			if (key(u, ch))
				quit = 1;
		}
		if (redraw)
			draw(u);
		if (done)
			break;
	}
	c->quit = 1;
	pthread_join(tid, NULL);
	endwin();
	delscreen(scr);
	restore_stderr(saved_err, err_rd, u);
	if (st.ret < 0)
		fprintf(stderr, "energat-bpf: top failed: %s\n", strerror(-st.ret));
	status = st.ret < 0;
cleanup:
	c->notify_fd = -1;
	close(wake[0]);
	close(wake[1]);
	top_snapshot_free(&u->snap);
	free(u);
	return status;
}
