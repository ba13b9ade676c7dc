# `make test-asan`: the whole suite (unit and, as root, integration tests)
# rebuilt with AddressSanitizer + UndefinedBehaviorSanitizer in build-asan/.
# Any report fails the run: UBSan aborts on the first error, LeakSanitizer
# exits non-zero, and it_cli fails a case whose output holds a report.
#
# `make valgrind`: a 5-second trace of a busy command under valgrind memcheck
# (the normal build); any error or definite leak fails it.

ASAN_BUILD ?= build-asan
ASAN_CFLAGS := -O1 -g
ASAN_SAN := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
ASAN_ENV := ASAN_OPTIONS=detect_leaks=1:abort_on_error=0:strict_string_checks=1:detect_stack_use_after_return=1 \
	UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
	LSAN_OPTIONS=suppressions=$(CURDIR)/mk/lsan.supp

VALGRIND ?= valgrind
VALGRIND_OUT := $(BUILD)/valgrind
VALGRIND_FLAGS := --tool=memcheck --leak-check=full --show-leak-kinds=definite,indirect \
	--errors-for-leak-kinds=definite,indirect --error-exitcode=99 --track-origins=yes \
	--suppressions=$(CURDIR)/mk/valgrind.supp --log-file=$(VALGRIND_OUT)/memcheck.log

.PHONY: test-asan valgrind

# The workloads whose own CPU clock the tests take as the truth (burn, duty,
# spin) are measuring instruments, not code under test: they are built
# without sanitizers in every build. Instrumented, each spends ~16 ms in the
# ASan runtime's start-up before main() can pin it (on its launcher's CPU, so
# on the wrong socket for it_e2e) and ~2 ms unmapping ASan's regions at exit
# after its last clock read (it_tracer's children allow 1% of 300 ms).
WORKLOAD_BINS := $(addprefix $(BUILD)/tools/,burn duty spin)
$(WORKLOAD_BINS): override SAN :=
$(WORKLOAD_BINS): mk/san.mk

# CFLAGS goes through the environment: on the command line it would replace
# the Makefile's own flags (-std, -Werror, -fPIC...) instead of seeding them.
# Objects built with other flags are thrown away first.
test-asan:
	$(Q)mkdir -p $(ASAN_BUILD) && echo '$(ASAN_SAN) $(ASAN_CFLAGS)' | \
		cmp -s - $(ASAN_BUILD)/.san-flags || { rm -rf $(ASAN_BUILD) && mkdir -p $(ASAN_BUILD) && \
		echo '$(ASAN_SAN) $(ASAN_CFLAGS)' >$(ASAN_BUILD)/.san-flags; }
	$(Q)$(ASAN_ENV) CFLAGS="$(ASAN_CFLAGS)" $(MAKE) --no-print-directory BUILD=$(ASAN_BUILD) \
		SAN="$(ASAN_SAN)" test

# The binary traces a 2-thread burner for 5 s (model meter where there is no RAPL).
valgrind: $(BIN) $(BUILD)/tools/burn
	$(Q)rm -rf $(VALGRIND_OUT) && mkdir -p $(VALGRIND_OUT)
	$(call msg,VALGRIND,$(BIN))
	$(Q)$(VALGRIND) $(VALGRIND_FLAGS) $(BIN) --no-baseline --duration 5 --interval 0.5 \
		--name valgrind --output $(VALGRIND_OUT) -- $(BUILD)/tools/burn 6000 \
		>$(VALGRIND_OUT)/stdout 2>$(VALGRIND_OUT)/stderr; \
	st=$$?; grep -E 'ERROR SUMMARY|definitely lost|indirectly lost' $(VALGRIND_OUT)/memcheck.log; \
	if [ $$st -eq 99 ]; then echo "valgrind: errors, see $(VALGRIND_OUT)/memcheck.log"; exit 1; fi; \
	rows=$$(($$(wc -l <$(VALGRIND_OUT)/energat_traces_valgrind.csv) - 1)); \
	echo "valgrind: clean, $$rows trace rows (tracer exit $$st)"; \
	[ $$rows -ge 5 ] || { cat $(VALGRIND_OUT)/stderr; exit 1; }
