# `make fuzz`: build the libFuzzer harnesses in fuzz/ (clang, ASan + UBSan)
# and run each for FUZZ_SECONDS, starting from the seeds in fuzz/corpus/NAME,
# FUZZ_JOBS of them at a time (default: one per CPU).
# `make fuzz FUZZERS="baseline cli"` runs only those; `make fuzz-build` only
# builds. Needs clang's libFuzzer runtime (libclang-rt-14-dev, in setup.sh).
# A crash becomes a minimal input in tests/unit/test_fuzz_regress.c.

FUZZ_SECONDS ?= 30
FUZZ_JOBS ?= $(shell nproc)
FUZZERS ?=
FUZZ_CC ?= clang
FUZZ_BUILD := $(BUILD)/fuzz
FUZZ_SAN := -fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer
FUZZ_CFLAGS := -std=gnu11 -g -O1 -Wall -Wextra -Werror -Iinclude -Iuser -Ifuzz $(FUZZ_SAN) -MMD -MP
# The pure parsers and what they pull in; no BPF, no skeleton.
FUZZ_LIB_SRCS := $(filter $(wildcard user/*.c),$(addprefix user/,procfs.c energy.c baseline.c \
	csv.c config.c options.c help.c topology.c procfs_read.c top_model.c model.c vec.c))
FUZZ_LIB_OBJS := $(patsubst user/%.c,$(FUZZ_BUILD)/lib/%.o,$(FUZZ_LIB_SRCS))
FUZZ_LIB := $(FUZZ_BUILD)/libfuzzparsers.a
FUZZ_SRCS := $(wildcard fuzz/fuzz_*.c)
FUZZ_BINS := $(patsubst fuzz/%.c,$(FUZZ_BUILD)/%,$(FUZZ_SRCS))

.PHONY: fuzz fuzz-build

fuzz: fuzz-build
	$(Q)FUZZ_JOBS=$(FUZZ_JOBS) fuzz/run.sh $(BUILD) $(FUZZ_SECONDS) $(FUZZERS)

fuzz-build: $(FUZZ_BINS)

$(FUZZ_LIB_OBJS): $(FUZZ_BUILD)/lib/%.o: user/%.c
	@mkdir -p $(dir $@)
	$(call msg,FUZZCC,$@)
	$(Q)$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link -c $< -o $@

# The Makefile's bare .SECONDARY makes every target intermediate: a missing
# object (one just added to the list) would not be built. A list file that
# changes with FUZZ_LIB_OBJS forces the archive, and so its objects, to be remade.
FUZZ_LIST := $(FUZZ_BUILD)/lib/objs.list
ifneq ($(filter fuzz fuzz-build,$(MAKECMDGOALS)),)
$(shell mkdir -p $(FUZZ_BUILD)/lib && { echo '$(FUZZ_LIB_OBJS)' | cmp -s - $(FUZZ_LIST) || \
	echo '$(FUZZ_LIB_OBJS)' >$(FUZZ_LIST); })
endif

$(FUZZ_LIB): $(FUZZ_LIB_OBJS) $(FUZZ_LIST)
	$(call msg,AR,$@)
	$(Q)rm -f $@ && $(AR) rcs $@ $(FUZZ_LIB_OBJS)

$(FUZZ_BINS): $(FUZZ_BUILD)/fuzz_%: fuzz/fuzz_%.c fuzz/fuzz.h $(FUZZ_LIB)
	@mkdir -p $(dir $@)
	$(call msg,FUZZ,$@)
	$(Q)$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer $< $(FUZZ_LIB) -ljson-c -lm -o $@

-include $(wildcard $(FUZZ_BUILD)/*.d $(FUZZ_BUILD)/lib/*.d)
