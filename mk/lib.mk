# libenergat (issue 6): the shared library next to the static one, its
# pkg-config file, and the install rules for everything but the binary and
# the static library (those are in the top Makefile's `install`).
#   make install PREFIX=/usr DESTDIR=/tmp/pkg
# LIBDIR, INCLUDEDIR, MANDIR, UNITDIR may be overridden too.

LIB_VERSION := $(shell sed -n 's/^\#define ENERGAT_VERSION_STRING "\(.*\)"/\1/p' include/energat/energat.h)
LIB_MAJOR := $(firstword $(subst ., ,$(LIB_VERSION)))
SOLIB := $(BUILD)/libenergat.so
SOLIB_REAL := $(SOLIB).$(LIB_VERSION)
SOLIB_SONAME := libenergat.so.$(LIB_MAJOR)
PCFILE := $(BUILD)/energat.pc

LIBDIR ?= $(PREFIX)/lib
INCLUDEDIR ?= $(PREFIX)/include
MANDIR ?= $(PREFIX)/share/man
# systemd reads units from /usr/local/lib/systemd/system and /usr/lib/systemd/system.
UNITDIR ?= $(PREFIX)/lib/systemd/system

.PHONY: install-extra lib FORCE

all: lib
lib: $(SOLIB) $(BUILD)/$(SOLIB_SONAME) $(PCFILE)

# The same -fPIC objects as the static library; only the API is exported,
# and -z defs makes a missing library an error here, not at dlopen time.
$(SOLIB_REAL): $(LIB_OBJS) mk/libenergat.map
	$(call msg,LINK,$@)
	$(Q)$(CC) -shared -Wl,-soname,$(SOLIB_SONAME) -Wl,--version-script=mk/libenergat.map \
		-Wl,-z,defs $(LDFLAGS) $(LIB_OBJS) $(LDLIBS) -o $@

$(BUILD)/$(SOLIB_SONAME) $(SOLIB): $(SOLIB_REAL)
	$(Q)ln -sf $(notdir $<) $@

# Rewritten only when PREFIX or LIBDIR changes, so the .pc follows them.
$(BUILD)/.install-dirs: FORCE | $(BUILD)
	@echo '$(PREFIX) $(LIBDIR) $(INCLUDEDIR)' | cmp -s - $@ || \
		echo '$(PREFIX) $(LIBDIR) $(INCLUDEDIR)' > $@

$(PCFILE): mk/lib.mk include/energat/energat.h $(BUILD)/.install-dirs
	$(call msg,GEN,$@)
	$(Q)printf '%s\n' \
		'prefix=$(PREFIX)' \
		'libdir=$(LIBDIR)' \
		'includedir=$(INCLUDEDIR)' \
		'' \
		'Name: energat' \
		'Description: per-process, per-socket energy attribution with eBPF (the EnergAt model)' \
		'Version: $(LIB_VERSION)' \
		'Requires.private: libbpf libelf zlib json-c libmicrohttpd' \
		'Libs: -L$${libdir} -lenergat' \
		'Libs.private: -lm -lpthread' \
		'Cflags: -I$${includedir}' > $@

install: install-extra

install-extra: $(SOLIB_REAL) $(PCFILE)
	install -D -m 0755 $(SOLIB_REAL) $(DESTDIR)$(LIBDIR)/$(notdir $(SOLIB_REAL))
	ln -sf $(notdir $(SOLIB_REAL)) $(DESTDIR)$(LIBDIR)/$(SOLIB_SONAME)
	ln -sf $(SOLIB_SONAME) $(DESTDIR)$(LIBDIR)/libenergat.so
	install -D -m 0644 include/energat/energat.h $(DESTDIR)$(INCLUDEDIR)/energat/energat.h
	install -D -m 0644 $(PCFILE) $(DESTDIR)$(LIBDIR)/pkgconfig/energat.pc
	install -D -m 0644 man/energat-bpf.8 $(DESTDIR)$(MANDIR)/man8/energat-bpf.8
	@mkdir -p $(DESTDIR)$(UNITDIR)
	sed 's|@SBINDIR@|$(PREFIX)/sbin|g' systemd/energat-exporter.service \
		> $(DESTDIR)$(UNITDIR)/energat-exporter.service
	chmod 0644 $(DESTDIR)$(UNITDIR)/energat-exporter.service
