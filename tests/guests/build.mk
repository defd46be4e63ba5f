# tests/guests/build.mk: uniroot's own freestanding Solo5-hvt test guests
# (build/guests/<name>.hvt) and the host-side helper of the guest tests
# (build/bin/tap-echo-check, a test dependency, not an installed program).
#
# Guests are built with $(CC) but freestanding: no libc, no SSE (guest ring-0
# code is instruction-emulated on PVM hosts), linked at 1 MiB by
# tests/guests/lib/guest.ld with the ABI1 and MFT1 notes in PT_NOTE segments.

GUEST_SRC_DIR := tests/guests
GUEST_OUT     := $(BUILD)/guests
GUEST_OBJ     := $(GUEST_OUT)/obj
GUEST_NAMES   := hello exit block ext4label walltime fault badsys hostile net sleep multi bigbss nxexec netecho
GUEST_LIB_SRC := start.S hypercall.c console.c string.c cmdline.c manifest.c abi_note.c ring.c
GUEST_LIB_OBJ := $(addprefix $(GUEST_OBJ)/lib/,$(addsuffix .o,$(basename $(GUEST_LIB_SRC))))
GUEST_LD      := $(GUEST_SRC_DIR)/lib/guest.ld

# gcc turns byte loops into memset/memcpy calls (recursion inside memset
# itself); clang does not with -fno-builtin and rejects the gcc-only flag.
GUEST_CC_IS_CLANG := $(shell $(CC) --version 2>/dev/null | grep -qi clang && echo 1)
GUEST_CFLAGS := -std=gnu11 $(WARN) -O2 -g -ffreestanding -nostdinc \
	-isystem $(shell $(CC) -print-file-name=include) \
	-fno-pic -fno-pie -mno-red-zone -mgeneral-regs-only -fno-stack-protector \
	-fno-builtin -fno-asynchronous-unwind-tables -fno-unwind-tables \
	-fcf-protection=none -fno-omit-frame-pointer \
	$(if $(GUEST_CC_IS_CLANG),,-fno-tree-loop-distribute-patterns) \
	-Icommon -I$(GUEST_SRC_DIR)/lib -MMD -MP
GUEST_LDFLAGS := -nostdlib -static $(if $(GUEST_CC_IS_CLANG),,-no-pie) -Wl,-T,$(GUEST_LD) -Wl,-z,max-page-size=0x1000 \
	-Wl,--build-id=none -Wl,-z,noexecstack -Wl,--no-warn-rwx-segments

GUESTS := $(addprefix $(GUEST_OUT)/,$(addsuffix .hvt,$(GUEST_NAMES)))
TEST_DEPS += $(GUESTS) $(BIN)/tap-echo-check $(BIN)/tap-responder

# Guests only the benchmarks use (tests/bench/vmm.sh).
BENCH_GUEST_NAMES := blkread
BENCH_DEPS += $(addprefix $(GUEST_OUT)/,$(addsuffix .hvt,$(BENCH_GUEST_NAMES)))

.PHONY: guests
guests: $(GUESTS)

$(GUEST_OBJ)/%.o: $(GUEST_SRC_DIR)/%.c
	@mkdir -p $(@D)
	$(CC) $(GUEST_CFLAGS) -c $< -o $@

$(GUEST_OBJ)/%.o: $(GUEST_SRC_DIR)/%.S
	@mkdir -p $(@D)
	$(CC) $(GUEST_CFLAGS) -c $< -o $@

$(GUEST_OUT)/%.hvt: $(GUEST_OBJ)/%.o $(GUEST_LIB_OBJ) $(GUEST_LD)
	@mkdir -p $(@D)
	$(CC) $(GUEST_LDFLAGS) -o $@ $< $(GUEST_LIB_OBJ)

# Host-side helper: sends a frame on a tap and checks the guest's echo.
$(BIN)/tap-echo-check: $(OBJ)/tests/helpers/tap_echo_check.o $(COMMON_LIB)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -o $@ $< $(COMMON_LIB)

# Host-side twin of the netecho guest: the same responder (lib/netecho.h) on a tap fd.
$(OBJ)/tests/helpers/tap_responder.o: CFLAGS += -I$(GUEST_SRC_DIR)/lib
$(BIN)/tap-responder: $(OBJ)/tests/helpers/tap_responder.o
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -o $@ $<

# Keep the objects (they are intermediates of a chain) so rebuilds are incremental.
.SECONDARY: $(GUEST_LIB_OBJ) $(addprefix $(GUEST_OBJ)/,$(addsuffix .o,$(GUEST_NAMES) $(BENCH_GUEST_NAMES)))

# ---- the same guests built for Solo5 spt (build/guests/<name>.spt), run by
# uniroot-spt: objects compiled with -DGUEST_SPT into their own directory,
# linked with the same linker script; lib/spt.c replaces lib/hypercall.c and
# abi_note.c names target spt. hostile_spt is spt's own hostile guest
# (hostile.c attacks the hvt hypercall ABI, which spt does not have).
SPT_GUEST_OBJ     := $(GUEST_OUT)/spt-obj
SPT_GUEST_NAMES   := hello exit block ext4label walltime fault badsys net sleep multi bigbss nxexec hostile_spt netecho maxblk
SPT_GUEST_LIB_SRC := start.S spt.c console.c string.c cmdline.c manifest.c abi_note.c
SPT_GUEST_LIB_OBJ := $(addprefix $(SPT_GUEST_OBJ)/lib/,$(addsuffix .o,$(basename $(SPT_GUEST_LIB_SRC))))
SPT_GUESTS := $(addprefix $(GUEST_OUT)/,$(addsuffix .spt,$(SPT_GUEST_NAMES)))
TEST_DEPS += $(SPT_GUESTS)

.PHONY: spt-guests
spt-guests: $(SPT_GUESTS)

$(SPT_GUEST_OBJ)/%.o: $(GUEST_SRC_DIR)/%.c
	@mkdir -p $(@D)
	$(CC) $(GUEST_CFLAGS) -DGUEST_SPT -c $< -o $@

$(SPT_GUEST_OBJ)/%.o: $(GUEST_SRC_DIR)/%.S
	@mkdir -p $(@D)
	$(CC) $(GUEST_CFLAGS) -DGUEST_SPT -c $< -o $@

$(GUEST_OUT)/%.spt: $(SPT_GUEST_OBJ)/%.o $(SPT_GUEST_LIB_OBJ) $(GUEST_LD)
	@mkdir -p $(@D)
	$(CC) $(GUEST_LDFLAGS) -o $@ $< $(SPT_GUEST_LIB_OBJ)

.SECONDARY: $(SPT_GUEST_LIB_OBJ) $(addprefix $(SPT_GUEST_OBJ)/,$(addsuffix .o,$(SPT_GUEST_NAMES) $(BENCH_GUEST_NAMES)))

# The benchmark guests for spt as well (tests/bench/spt.sh).
BENCH_DEPS += $(addprefix $(GUEST_OUT)/,$(addsuffix .spt,$(BENCH_GUEST_NAMES)))
