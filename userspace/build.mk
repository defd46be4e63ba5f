# userspace/: unirootd, the node agent, its unit tests (tests/unit/agent_*)
# and the test helper for its integration tests (tests/integration/agent_*.sh).
UNIROOTD_LIBS     := -lbpf -lelf -lz -lmount -lcjson
UNIROOTD_MAIN     := userspace/unirootd.c
UNIROOTD_SRC      := $(filter-out $(UNIROOTD_MAIN),$(wildcard userspace/*.c))
UNIROOTD_LIB      := $(BUILD)/libunirootd.a
UNIROOTD_ASAN_LIB := $(ASAN)/libunirootd.a
AGENT_UNIT_SRC    := $(wildcard tests/unit/agent_*_test.c)
AGENT_UNIT        := $(AGENT_UNIT_SRC:tests/unit/agent_%_test.c=test_agent_%)
AGENT_MNT_HELPER  := $(BUILD)/tests/agent-mnt-helper

PROGRAMS   += $(BIN)/unirootd
UNIT_TESTS += $(AGENT_UNIT:%=$(BIN)/%)
TEST_DEPS  += $(AGENT_MNT_HELPER) $(ASAN)/bin/unirootd

# The agent's objects see the BPF layout header and the generated skeletons.
$(OBJ)/userspace/%.o $(ASAN)/obj/userspace/%.o $(OBJ)/tests/unit/agent_%.o $(ASAN)/obj/tests/unit/agent_%.o: CFLAGS += -Ibpf -I$(BPF_OUT) -Iuserspace
$(OBJ)/userspace/bpfobs.o $(ASAN)/obj/userspace/bpfobs.o: $(BPF_SKELS)

# The minimal BTF (bpf/build.mk) embedded in a C file with the identity of
# the kernel BTF it came from (userspace/btfmin.h explains why), by our
# build-time tool btf-embed. The object is data only: one for both builds.
BPF_MIN_BTF_C := $(BPF_OUT)/uniroot_min_btf.c
BTF_EMBED     := $(BUILD)/tools/btf-embed

$(BTF_EMBED): userspace/helpers/btf_embed.c userspace/btfhash.c $(COMMON_LIB)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -Iuserspace -o $@ $(filter %.c %.a,$^)

$(BPF_MIN_BTF_C): $(BPF_MIN_BTF) $(BTF_EMBED)
	$(BTF_EMBED) $(VMLINUX_BTF) $< $@.tmp && mv $@.tmp $@

UNIROOTD_MIN_BTF_O := $(OBJ)/bpf/uniroot_min_btf.o
$(UNIROOTD_MIN_BTF_O): $(BPF_MIN_BTF_C)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -c $< -o $@

$(UNIROOTD_LIB): $(UNIROOTD_SRC:%.c=$(OBJ)/%.o) $(UNIROOTD_MIN_BTF_O)
	@mkdir -p $(@D)
	rm -f $@ && $(AR) rcs $@ $^

$(UNIROOTD_ASAN_LIB): $(UNIROOTD_SRC:%.c=$(ASAN)/obj/%.o) $(UNIROOTD_MIN_BTF_O)
	@mkdir -p $(@D)
	rm -f $@ && $(AR) rcs $@ $^

$(BIN)/unirootd: $(OBJ)/$(UNIROOTD_MAIN:.c=.o) $(UNIROOTD_LIB) $(COMMON_LIB)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -o $@ $(filter %.o %.a,$^) $(UNIROOTD_LIBS)

$(BIN)/test_agent_%: $(OBJ)/tests/unit/agent_%_test.o $(UNIROOTD_LIB) $(COMMON_LIB)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -o $@ $(filter %.o %.a,$^) -lcmocka $(UNIROOTD_LIBS)

$(ASAN)/bin/test_agent_%: $(ASAN)/obj/tests/unit/agent_%_test.o $(UNIROOTD_ASAN_LIB) $(COMMON_ASAN_LIB)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(SANFLAGS) -o $@ $(filter %.o %.a,$^) -lcmocka $(UNIROOTD_LIBS)

$(AGENT_MNT_HELPER): userspace/helpers/mnt_helper.c $(COMMON_LIB)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -Iuserspace -o $@ $(filter %.c %.a,$^) -lcjson

# make bench: tests/bench/agent.sh needs the agent, its client and the helper.
BENCH_DEPS += $(BIN)/unirootd $(BIN)/unirootctl $(AGENT_MNT_HELPER)

# make check-vm: the device-mapper path (and the fentry variant) in a qemu
# TCG guest running Debian's cloud kernel, through tests/nested/run-in-vm.sh
# (also part of make check, in that guest where the host lacks dm).
.PHONY: check-vm
check-vm: $(BIN)/unirootd $(BIN)/unirootctl $(AGENT_MNT_HELPER)
	UR_TOP=$(CURDIR) tests/nested/run-in-vm.sh --needs dm -- bash tests/integration/agent_dm.sh

# The agent with ASan+UBSan, for running the integration tests against it
# (UNIROOTD=build/asan/bin/unirootd tests/integration/agent_*.sh).
$(ASAN)/bin/unirootd: $(ASAN)/obj/$(UNIROOTD_MAIN:.c=.o) $(UNIROOTD_ASAN_LIB) $(COMMON_ASAN_LIB)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(SANFLAGS) -o $@ $(filter %.o %.a,$^) $(UNIROOTD_LIBS)
