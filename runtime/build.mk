# runtime/: uniroot-vmm (the KVM monitor), on the shared monitor code of
# runtime/tender/build.mk. The OCI runtime adds runtime/oci/build.mk.
include runtime/tender/build.mk
$(OBJ)/runtime/vmm/%.o $(ASAN)/obj/runtime/vmm/%.o: CFLAGS += $(TENDER_INC)
$(OBJ)/tests/unit/test_vmm_%.o $(ASAN)/obj/tests/unit/test_vmm_%.o: CFLAGS += -Iruntime/vmm $(TENDER_INC)
VMM_SRC := $(filter-out runtime/vmm/main.c,$(wildcard runtime/vmm/*.c))
VMM_OBJ := $(VMM_SRC:%.c=$(OBJ)/%.o) $(TENDER_OBJ)
VMM_ASAN_OBJ := $(VMM_SRC:%.c=$(ASAN)/obj/%.o) $(TENDER_ASAN_OBJ)
VMM_LIBS := -lelf -lz
# The monitor is linked statically: no dynamic loader at start saves ~20% of
# a small guest's boot-to-exit time, and RSS halves. (Sanitizer builds cannot
# be static; they link dynamically.)
VMM_STATIC := -static

PROGRAMS += $(BIN)/uniroot-vmm

$(BIN)/uniroot-vmm: $(OBJ)/runtime/vmm/main.o $(VMM_OBJ) $(COMMON_LIB)
	@mkdir -p $(@D)
	$(CC) $(VMM_STATIC) $(LDFLAGS) -o $@ $^ $(VMM_LIBS)

# the monitor with ASan+UBSan, for the integration tests to run it too
TEST_DEPS += $(ASAN)/bin/uniroot-vmm
$(ASAN)/bin/uniroot-vmm: $(ASAN)/obj/runtime/vmm/main.o $(VMM_ASAN_OBJ) $(COMMON_ASAN_LIB)
	@mkdir -p $(@D)
	$(CC) $(SANFLAGS) $(LDFLAGS) -o $@ $^ $(VMM_LIBS)

# Unit tests of the monitor (tests/unit/test_vmm_*.c), plain and sanitized.
VMM_UNIT := $(patsubst tests/unit/%.c,$(BIN)/%,$(wildcard tests/unit/test_vmm_*.c))
UNIT_TESTS += $(VMM_UNIT)

$(BIN)/test_vmm_%: $(OBJ)/tests/unit/test_vmm_%.o $(VMM_OBJ) $(COMMON_LIB)
	@mkdir -p $(@D)
	$(CC) $(LDFLAGS) -o $@ $^ $(VMM_LIBS) -lcmocka

$(ASAN)/bin/test_vmm_%: $(ASAN)/obj/tests/unit/test_vmm_%.o $(VMM_ASAN_OBJ) $(COMMON_ASAN_LIB)
	@mkdir -p $(@D)
	$(CC) $(SANFLAGS) $(LDFLAGS) -o $@ $^ $(VMM_LIBS) -lcmocka
.SECONDARY: $(VMM_UNIT:$(BIN)/%=$(OBJ)/tests/unit/%.o) $(VMM_UNIT:$(BIN)/%=$(ASAN)/obj/tests/unit/%.o)
