// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Keep the programs of a BPF object (the empty sched_switch program) attached
 * until SIGTERM or SIGINT: the reference condition of the slowdown benchmark.
 * Usage: empty_loader OBJ [READY_FILE]
 * READY_FILE is created once everything is attached.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <bpf/libbpf.h>

static volatile sig_atomic_t stop;

static void on_stop(int sig)
{
	(void)sig;
	stop = 1;
}

int main(int argc, char **argv)
{
	struct sigaction sa = { .sa_handler = on_stop };
	sigset_t block, wait_mask;
	struct bpf_object *obj;
	struct bpf_program *p;
	int fd;

	if (argc < 2 || argc > 3) {
		fprintf(stderr, "usage: empty_loader OBJ [READY_FILE]\n");
		return 2;
	}
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	/* Blocked until sigsuspend(), so a signal cannot slip in before the wait. */
	sigemptyset(&block);
	sigaddset(&block, SIGINT);
	sigaddset(&block, SIGTERM);
	sigprocmask(SIG_BLOCK, &block, &wait_mask);
	obj = bpf_object__open_file(argv[1], NULL);
	if (!obj || bpf_object__load(obj)) {
		fprintf(stderr, "empty_loader: cannot load %s: %s\n", argv[1], strerror(errno));
		return 1;
	}
	for (p = bpf_object__next_program(obj, NULL); p; p = bpf_object__next_program(obj, p)) {
		if (!bpf_program__attach(p)) {
			fprintf(stderr, "empty_loader: cannot attach %s: %s\n",
				bpf_program__name(p), strerror(errno));
			bpf_object__close(obj);
			return 1;
		}
	}
	if (argc == 3) {
		fd = open(argv[2], O_WRONLY | O_CREAT | O_TRUNC, 0644);
		if (fd >= 0)
			close(fd);
	}
	while (!stop)
		sigsuspend(&wait_mask);
	bpf_object__close(obj);
	return 0;
}
