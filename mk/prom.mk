# Prometheus exporter (issue 6): user/prom*.c serve /metrics with libmicrohttpd.
LDLIBS += $(shell pkg-config --libs libmicrohttpd 2>/dev/null || echo -lmicrohttpd)
