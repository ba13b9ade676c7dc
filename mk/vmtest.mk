# `make vmtest` (issue 9): boot Debian's packaged 6.1 kernel in QEMU (TCG, no
# KVM needed) as a 2-socket, 2-NUMA-node machine and run the root integration
# tests there, against the real topology. scripts/vmtest.sh installs what it
# needs (qemu-system-x86, busybox-static, the kernel image) itself, so that
# `make test` never pulls QEMU in. VMTEST_ARGS is passed to the script
# (e.g. VMTEST_ARGS=-v for libbpf's debug log inside the guest).

VM_BUILD := $(BUILD)/vm
VM_SRCS := $(wildcard tests/vm/*.c)
VM_BINS := $(patsubst tests/vm/%.c,$(VM_BUILD)/%,$(VM_SRCS))
# Root integration tests run in the guest too, rebuilt unchanged but for
# tests/vm/it_vm.h (VMTEST_SKIP), into the guest's /energat/vm next to
# /energat/tools/burn. tests/vm/init runs each of them.
VM_IT ?= it_tracer
VM_IT_BINS := $(patsubst %,$(VM_BUILD)/%,$(VM_IT))
VMTEST_ARGS ?=

.PHONY: vmtest vmtest-build

vmtest: vmtest-build
	$(Q)scripts/vmtest.sh --build $(BUILD) $(VMTEST_ARGS)

vmtest-build: $(BIN) $(BUILD)/tools/burn $(VM_BINS) $(VM_IT_BINS)

$(VM_BUILD)/it_%.o: tests/integration/it_%.c tests/vm/it_vm.h $(SKELS)
	@mkdir -p $(dir $@)
	$(call msg,CC,$@)
	$(Q)$(CC) $(CPPFLAGS) -Itests/common -include tests/vm/it_vm.h $(CFLAGS) -c $< -o $@

$(VM_BUILD)/it_%: $(VM_BUILD)/it_%.o $(TEST_COMMON) $(LIB)
	$(call msg,TEST,$@)
	$(Q)$(CC) $(CPPFLAGS) -Itests/common $(CFLAGS) $< $(TEST_COMMON) $(LIB) $(LDFLAGS) \
		$(LDLIBS) -lcmocka -o $@

$(VM_BUILD)/%: tests/vm/%.c $(TEST_COMMON) $(LIB)
	@mkdir -p $(dir $@)
	$(call msg,TEST,$@)
	$(Q)$(CC) $(CPPFLAGS) -Itests/common $(CFLAGS) $< $(TEST_COMMON) $(LIB) $(LDFLAGS) \
		$(LDLIBS) -lnuma -lcmocka -o $@

-include $(wildcard $(VM_BUILD)/*.d)
