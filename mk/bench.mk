# `make bench`: measure energat-bpf's overhead on this machine and write
# BENCHMARKS.md (issue 7). Every figure is a ratio against a reference taken
# in the same run; bench/run.sh says how each one is measured.

BENCH_BUILD := $(BUILD)/bench
BENCH_BPF_OBJS := $(BENCH_BUILD)/empty.bpf.o $(BENCH_BUILD)/warm.bpf.o $(BENCH_BUILD)/ablate.bpf.o \
	$(BENCH_BUILD)/exittail.bpf.o $(BENCH_BUILD)/walkfloor.bpf.o $(BENCH_BUILD)/empties.bpf.o
# Workloads: no BPF, no library.
BENCH_TOOLS := $(BENCH_BUILD)/threads $(BENCH_BUILD)/churn
# Linked with the library: the tracer as the CLI runs it.
BENCH_LIB_TOOLS := $(BENCH_BUILD)/evcost $(BENCH_BUILD)/empty_loader $(BENCH_BUILD)/walkfloor
# Extra arguments for bench/run.sh, e.g. BENCH_ARGS=--quick.
BENCH_ARGS ?=

.PHONY: bench bench-build

bench: bench-build
	$(Q)BUILD=$(BUILD) bench/run.sh $(BENCH_ARGS)

bench-build: $(BIN) $(BENCH_BPF_OBJS) $(BENCH_TOOLS) $(BENCH_LIB_TOOLS) $(BENCH_BUILD)/swtrace

$(BENCH_BUILD)/%.bpf.o: bench/%.bpf.c vmlinux/$(ARCH)/vmlinux.h
	@mkdir -p $(dir $@)
	$(call msg,BPF,$@)
	$(Q)$(CLANG) $(BPF_CFLAGS) -c $< -o $@

$(BENCH_TOOLS): $(BENCH_BUILD)/%: bench/%.c
	@mkdir -p $(dir $@)
	$(call msg,CC,$@)
	$(Q)$(CC) $(CPPFLAGS) $(CFLAGS) $< $(LDFLAGS) -lm -lpthread -o $@

$(BENCH_LIB_TOOLS): $(BENCH_BUILD)/%: bench/%.c bench/spawn.c $(LIB)
	@mkdir -p $(dir $@)
	$(call msg,CC,$@)
	$(Q)$(CC) $(CPPFLAGS) $(CFLAGS) $< bench/spawn.c $(LIB) $(LDFLAGS) $(LDLIBS) -o $@

# --wrap: swtrace times tracer_sample() inside the real session loop, and
# sets the tracer's options (--walk).
$(BENCH_BUILD)/swtrace: bench/swtrace.c bench/spawn.c $(LIB)
	@mkdir -p $(dir $@)
	$(call msg,CC,$@)
	$(Q)$(CC) $(CPPFLAGS) $(CFLAGS) $< bench/spawn.c $(LIB) $(LDFLAGS) -Wl,--wrap=tracer_sample \
		-Wl,--wrap=tracer_open $(LDLIBS) -o $@

-include $(wildcard $(BENCH_BUILD)/*.d)
