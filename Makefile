# energat-bpf build. `make` builds everything, `make test` runs the suite
# (unit tests always; BPF integration tests when root). V=1 shows commands.

ARCH_RAW := $(shell uname -m)
ARCH := $(ARCH_RAW:x86_64=x86)
ARCH := $(ARCH:aarch64=arm64)
ifeq ($(filter x86 arm64,$(ARCH)),)
$(error unsupported architecture $(ARCH_RAW): add vmlinux/<arch>/vmlinux.h and a mapping here)
endif

BUILD ?= build
PREFIX ?= /usr/local
DESTDIR ?=
CC ?= cc
CLANG ?= clang
# bpf/slots.bpf.c keeps task references in a map, which needs their kptr
# tag in BTF: clang 15 or later (Debian 12's clang is 14; setup.sh adds 16).
KPTR_CLANG ?= $(firstword $(shell command -v clang-16 clang-15 2>/dev/null) $(CLANG))
BPFTOOL ?= bpftool
LLVM_STRIP ?= llvm-strip

ifeq ($(V),1)
Q :=
msg :=
else
Q := @
msg = @printf '  %-8s %s\n' "$(1)" "$(2)";
endif

# Install build dependencies once per build dir (scripts/setup.sh is idempotent).
SETUP_STAMP := $(BUILD)/.setup
ifeq ($(filter clean,$(MAKECMDGOALS)),)
$(shell mkdir -p $(BUILD))
SETUP_OK := $(shell [ -f $(SETUP_STAMP) ] || { scripts/setup.sh >&2 && touch $(SETUP_STAMP); } && echo ok)
ifneq ($(SETUP_OK),ok)
$(error scripts/setup.sh failed: install the packages it names)
endif
endif

SAN ?=
CFLAGS ?= -O2 -g
CFLAGS += -std=gnu11 -Wall -Wextra -Werror -fPIC -MMD -MP $(SAN)
CPPFLAGS += -Iinclude -Iuser -I$(BUILD)
LDLIBS += $(shell pkg-config --libs libbpf 2>/dev/null || echo -lbpf) -lelf -lz -lm -ljson-c -lpthread
LDFLAGS += $(SAN)

# clang's own system include dirs, so BPF code finds e.g. asm/types.h.
CLANG_SYS_INCLUDES := $(shell $(CLANG) -v -E - </dev/null 2>&1 \
	| sed -n '/<...> search starts here:/,/End of search list./{ s| \(/.*\)|-idirafter \1|p }')
BPF_CFLAGS := -g -O2 -target bpf -D__TARGET_ARCH_$(ARCH) -Iinclude -Ivmlinux/$(ARCH) \
	$(CLANG_SYS_INCLUDES) -MMD -MP -Wall -Werror
BPF_CC = $(CLANG)
# Atomic fetch-and-add (BPF ISA v3): kernels that can load slots.bpf.c have it.
$(BUILD)/slots.bpf.o: BPF_CC = $(KPTR_CLANG) -mcpu=v3

BPF_SRCS := $(wildcard bpf/*.bpf.c)
BPF_OBJS := $(patsubst bpf/%.bpf.c,$(BUILD)/%.bpf.o,$(BPF_SRCS))
SKELS := $(patsubst bpf/%.bpf.c,$(BUILD)/%.skel.h,$(BPF_SRCS))

LIB_SRCS := $(filter-out user/main.c,$(wildcard user/*.c))
LIB_OBJS := $(patsubst user/%.c,$(BUILD)/user/%.o,$(LIB_SRCS))
LIB := $(BUILD)/libenergat.a
BIN := $(BUILD)/energat-bpf

UNIT_SRCS := $(wildcard tests/unit/test_*.c)
UNIT_BINS := $(patsubst tests/unit/%.c,$(BUILD)/tests/%,$(UNIT_SRCS))
IT_SRCS := $(wildcard tests/integration/it_*.c)
IT_BINS := $(patsubst tests/integration/%.c,$(BUILD)/tests/%,$(IT_SRCS))
TOOL_SRCS := $(wildcard tests/tools/*.c)
TOOL_BINS := $(patsubst tests/tools/%.c,$(BUILD)/tools/%,$(TOOL_SRCS))
TEST_COMMON := $(wildcard tests/common/*.c)

.DELETE_ON_ERROR:
.SECONDARY:
.PHONY: all test unit integration clean install run check-format format bench

all: $(BIN) $(UNIT_BINS) $(IT_BINS) $(TOOL_BINS)

# The skeleton embeds the object, and libbpf reads only its BTF: without
# the DWARF the binary shrinks from 2.0 to 0.8 MB (0.6 MiB less resident).
$(BUILD)/%.bpf.o: bpf/%.bpf.c vmlinux/$(ARCH)/vmlinux.h | $(BUILD)
	$(call msg,BPF,$@)
	$(Q)$(BPF_CC) $(BPF_CFLAGS) -c $< -o $@
	$(Q)$(LLVM_STRIP) -g $@

$(BUILD)/%.skel.h: $(BUILD)/%.bpf.o
	$(call msg,SKEL,$@)
	$(Q)$(BPFTOOL) gen skeleton $< > $@

# Every user object may include a skeleton; generate them first.
$(BUILD)/user/%.o: user/%.c | $(SKELS)
	@mkdir -p $(dir $@)
	$(call msg,CC,$@)
	$(Q)$(CC) $(CPPFLAGS) $(CFLAGS) -c $< -o $@

$(LIB): $(LIB_OBJS)
	$(call msg,AR,$@)
	$(Q)rm -f $@ && $(AR) rcs $@ $^

$(BIN): $(BUILD)/user/main.o $(LIB)
	$(call msg,LINK,$@)
	$(Q)$(CC) $(LDFLAGS) $^ $(LDLIBS) -o $@

$(BUILD)/tests/%: tests/unit/%.c $(TEST_COMMON) $(LIB)
	@mkdir -p $(dir $@)
	$(call msg,TEST,$@)
	$(Q)$(CC) $(CPPFLAGS) -Itests/common $(CFLAGS) $< $(TEST_COMMON) $(LIB) $(LDFLAGS) $(LDLIBS) -lcmocka -o $@

$(BUILD)/tests/it_%: tests/integration/it_%.c $(TEST_COMMON) $(LIB)
	@mkdir -p $(dir $@)
	$(call msg,TEST,$@)
	$(Q)$(CC) $(CPPFLAGS) -Itests/common $(CFLAGS) $< $(TEST_COMMON) $(LIB) $(LDFLAGS) $(LDLIBS) -lcmocka -o $@

$(BUILD)/tools/%: tests/tools/%.c
	@mkdir -p $(dir $@)
	$(call msg,CC,$@)
	$(Q)$(CC) $(CPPFLAGS) $(CFLAGS) $< $(LDFLAGS) -lm -lpthread -o $@

$(BUILD):
	@mkdir -p $@

unit: $(UNIT_BINS) $(TOOL_BINS)
	$(Q)scripts/run-tests.sh unit $(UNIT_BINS)

integration: all
	$(Q)scripts/run-tests.sh integration $(IT_BINS)

test: all
	$(Q)scripts/run-tests.sh all $(UNIT_BINS) -- $(IT_BINS)

# Trace a real workload end to end on this machine (model meter without RAPL).
run: all
	$(Q)scripts/demo.sh $(BIN)

check-format:
	$(Q)clang-format --dry-run -Werror $$(git ls-files '*.c' '*.h' | grep -v '^vmlinux/')

format:
	$(Q)clang-format -i $$(git ls-files '*.c' '*.h' | grep -v '^vmlinux/')

install: $(BIN) $(LIB)
	install -D -m 0755 $(BIN) $(DESTDIR)$(PREFIX)/sbin/energat-bpf
	install -D -m 0644 $(LIB) $(DESTDIR)$(PREFIX)/lib/libenergat.a

clean:
	rm -rf $(BUILD)

# Feature fragments (bench, exporter, library, fuzzing...) each own a mk/*.mk.
-include $(wildcard mk/*.mk)

-include $(wildcard $(BUILD)/*.d $(BUILD)/user/*.d $(BUILD)/tests/*.d $(BUILD)/tools/*.d)
