// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* /metrics over libmicrohttpd: one listening socket we bind ourselves, one server thread. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <microhttpd.h>
#include "errmsg.h"
#include "prom_format.h"
#include "prom_http.h"

#if MHD_VERSION < 0x00097002
typedef int MHD_RESULT;
#else
typedef enum MHD_Result MHD_RESULT;
#endif

#define MAX_CONNECTIONS 32
#define CONNECTION_TIMEOUT_SEC 10

static const char index_page[] = "energat-bpf exporter: metrics are at /metrics\n";

struct prom_server {
	struct MHD_Daemon *mhd;
	int fd, port;
	pthread_mutex_t lock; /* guards text, len and scrapes */
	char *text;
	size_t len;
	unsigned long long scrapes;
};

static MHD_RESULT reply(struct MHD_Connection *c, unsigned int status, const char *type,
			const char *body, size_t len, enum MHD_ResponseMemoryMode mode)
{
	struct MHD_Response *r = MHD_create_response_from_buffer(len, (void *)body, mode);
	MHD_RESULT ret;

	if (!r)
		return MHD_NO;
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, type);
	if (status == MHD_HTTP_METHOD_NOT_ALLOWED)
		MHD_add_response_header(r, MHD_HTTP_HEADER_ALLOW, "GET, HEAD");
	ret = MHD_queue_response(c, status, r);
	MHD_destroy_response(r);
	return ret;
}

static MHD_RESULT handle(void *cls, struct MHD_Connection *c, const char *url, const char *method,
			 const char *version, const char *upload_data, size_t *upload_size,
			 void **con_cls)
{
	static int first_call;
	struct prom_server *srv = cls;
	MHD_RESULT ret;

	(void)version;
	(void)upload_data;
	/* The first call only announces the request; answer on the second (no body to wait for). */
	if (*con_cls != &first_call) {
		*con_cls = &first_call;
		return MHD_YES;
	}
	if (*upload_size)
		*upload_size = 0;
	if (strcmp(method, MHD_HTTP_METHOD_GET) && strcmp(method, MHD_HTTP_METHOD_HEAD)) {
		static const char msg[] = "method not allowed: use GET\n";

		return reply(c, MHD_HTTP_METHOD_NOT_ALLOWED, "text/plain", msg, sizeof(msg) - 1,
			     MHD_RESPMEM_PERSISTENT);
	}
	if (!strcmp(url, "/metrics")) {
		pthread_mutex_lock(&srv->lock);
		srv->scrapes++;
		ret = reply(c, MHD_HTTP_OK, PROM_CONTENT_TYPE, srv->text ? srv->text : "", srv->len,
			    MHD_RESPMEM_MUST_COPY);
		pthread_mutex_unlock(&srv->lock);
		return ret;
	}
	if (!strcmp(url, "/"))
		return reply(c, MHD_HTTP_OK, "text/plain; charset=utf-8", index_page,
			     sizeof(index_page) - 1, MHD_RESPMEM_PERSISTENT);
	{
		static const char msg[] = "not found: metrics are at /metrics\n";

		return reply(c, MHD_HTTP_NOT_FOUND, "text/plain", msg, sizeof(msg) - 1,
			     MHD_RESPMEM_PERSISTENT);
	}
}

/* Our own socket, so a busy port or a bad address comes back as a precise errno. */
static int listen_on(const char *addr, int port, int *out_port, char *err, size_t errlen)
{
	struct sockaddr_storage ss = { 0 };
	struct sockaddr_in *in4 = (struct sockaddr_in *)&ss;
	struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&ss;
	socklen_t sl;
	int fd, one = 1, ret;

	if (!strcmp(addr, "localhost"))
		addr = "127.0.0.1";
	if (inet_pton(AF_INET, addr, &in4->sin_addr) == 1) {
		in4->sin_family = AF_INET;
		in4->sin_port = htons(port);
		sl = sizeof(*in4);
	} else if (inet_pton(AF_INET6, addr, &in6->sin6_addr) == 1) {
		in6->sin6_family = AF_INET6;
		in6->sin6_port = htons(port);
		sl = sizeof(*in6);
	} else {
		errmsg_set(err, errlen, "invalid listen address '%s' (an IPv4 or IPv6 literal)",
			   addr);
		return -EINVAL;
	}
	fd = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		goto fail;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&ss, sl) || listen(fd, 64))
		goto fail;
	if (getsockname(fd, (struct sockaddr *)&ss, &sl))
		goto fail;
	*out_port = ntohs(ss.ss_family == AF_INET ? in4->sin_port : in6->sin6_port);
	return fd;
fail:
	ret = -errno;
	errmsg_set(err, errlen, "cannot listen on %s%s%s:%d: %s", strchr(addr, ':') ? "[" : "",
		   addr, strchr(addr, ':') ? "]" : "", port, strerror(errno));
	if (fd >= 0)
		close(fd);
	return ret;
}

int prom_server_start(const char *addr, int port, struct prom_server **out, char *err,
		      size_t errlen)
{
	struct prom_server *srv;
	/* ITC lets MHD_quiesce_daemon() hand our socket back before the stop. */
	unsigned int flags = MHD_USE_AUTO_INTERNAL_THREAD | MHD_USE_ITC;
	int ret;

	*out = NULL;
	if (port < 0 || port > 65535) {
		errmsg_set(err, errlen, "invalid port %d", port);
		return -EINVAL;
	}
	srv = calloc(1, sizeof(*srv));
	if (!srv) {
		errmsg_set(err, errlen, "out of memory");
		return -ENOMEM;
	}
	pthread_mutex_init(&srv->lock, NULL);
	srv->fd = listen_on(addr ? addr : "127.0.0.1", port, &srv->port, err, errlen);
	if (srv->fd < 0) {
		ret = srv->fd;
		srv->fd = -1;
		goto cleanup;
	}
	if (strchr(addr ? addr : "", ':'))
		flags |= MHD_USE_IPv6;
	srv->mhd = MHD_start_daemon(flags, 0, NULL, NULL, handle, srv, MHD_OPTION_LISTEN_SOCKET,
				    srv->fd, MHD_OPTION_CONNECTION_LIMIT,
				    (unsigned int)MAX_CONNECTIONS, MHD_OPTION_CONNECTION_TIMEOUT,
				    (unsigned int)CONNECTION_TIMEOUT_SEC, MHD_OPTION_END);
	if (!srv->mhd) {
		ret = -EIO;
		errmsg_set(err, errlen, "cannot start the HTTP server (libmicrohttpd) on port %d",
			   srv->port);
		goto cleanup;
	}
	*out = srv;
	return 0;
cleanup:
	prom_server_stop(srv);
	return ret;
}

int prom_server_publish(struct prom_server *srv, const char *text, size_t len)
{
	char *copy = malloc(len + 1), *old;

	if (!copy)
		return -ENOMEM;
	memcpy(copy, text, len);
	copy[len] = '\0';
	pthread_mutex_lock(&srv->lock);
	old = srv->text;
	srv->text = copy;
	srv->len = len;
	pthread_mutex_unlock(&srv->lock);
	free(old);
	return 0;
}

int prom_server_port(const struct prom_server *srv)
{
	return srv->port;
}

unsigned long long prom_server_scrapes(struct prom_server *srv)
{
	unsigned long long n;

	pthread_mutex_lock(&srv->lock);
	n = srv->scrapes;
	pthread_mutex_unlock(&srv->lock);
	return n;
}

void prom_server_stop(struct prom_server *srv)
{
	if (!srv)
		return;
	if (srv->mhd) {
		/* Quiesced, MHD leaves the socket to us; otherwise its stop closes it. */
		if (MHD_quiesce_daemon(srv->mhd) != srv->fd)
			srv->fd = -1;
		MHD_stop_daemon(srv->mhd); /* joins the server thread */
	}
	if (srv->fd >= 0)
		close(srv->fd);
	pthread_mutex_destroy(&srv->lock);
	free(srv->text);
	free(srv);
}
