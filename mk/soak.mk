# `make soak`: 10 minutes (SOAK_SECONDS) of system-wide tracing under
# stress-ng thread churn, RSS and open files sampled; report in
# $(BUILD)/soak/report.md. Root only; not part of `make test` or CI.

SOAK_SECONDS ?= 600
SOAK_INTERVAL ?= 1

.PHONY: soak

soak: $(BIN)
	$(Q)scripts/soak.sh -d $(SOAK_SECONDS) -i $(SOAK_INTERVAL) -o $(BUILD)/soak $(BIN)
