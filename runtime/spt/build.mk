# runtime/spt/build.mk: uniroot-spt, the Solo5 spt monitor. It links the
# shared monitor code (runtime/tender/) and uniroot-vmm's block and tap attach
# ($(VMM_OBJ) from runtime/build.mk holds both) with its own. It must be a
# position-independent executable: the guest lives at the low addresses a
# classic static executable would be loaded at (0x400000).
SPT_SRC := $(filter-out runtime/spt/main.c,$(wildcard runtime/spt/*.c))
SPT_OBJ := $(SPT_SRC:%.c=$(OBJ)/%.o)
SPT_ASAN_OBJ := $(SPT_SRC:%.c=$(ASAN)/obj/%.o)

PROGRAMS += $(BIN)/uniroot-spt

$(OBJ)/runtime/spt/%.o $(ASAN)/obj/runtime/spt/%.o: CFLAGS += -Iruntime/vmm $(TENDER_INC) -fPIE
$(OBJ)/tests/unit/test_spt_%.o $(ASAN)/obj/tests/unit/test_spt_%.o: CFLAGS += -Iruntime/spt -Iruntime/vmm $(TENDER_INC)

$(BIN)/uniroot-spt: $(OBJ)/runtime/spt/main.o $(SPT_OBJ) $(VMM_OBJ) $(COMMON_LIB)
	@mkdir -p $(@D)
	$(CC) -static-pie $(LDFLAGS) -o $@ $^ $(VMM_LIBS)

$(ASAN)/bin/uniroot-spt: $(ASAN)/obj/runtime/spt/main.o $(SPT_ASAN_OBJ) $(VMM_ASAN_OBJ) $(COMMON_ASAN_LIB)
	@mkdir -p $(@D)
	$(CC) $(SANFLAGS) -pie $(LDFLAGS) -o $@ $^ $(VMM_LIBS)

# Unit tests (tests/unit/test_spt_*.c), plain and sanitized.
SPT_UNIT := $(patsubst tests/unit/%.c,$(BIN)/%,$(wildcard tests/unit/test_spt_*.c))
UNIT_TESTS += $(SPT_UNIT)

$(BIN)/test_spt_%: $(OBJ)/tests/unit/test_spt_%.o $(SPT_OBJ) $(VMM_OBJ) $(COMMON_LIB)
	@mkdir -p $(@D)
	$(CC) $(LDFLAGS) -o $@ $^ $(VMM_LIBS) -lcmocka

$(ASAN)/bin/test_spt_%: $(ASAN)/obj/tests/unit/test_spt_%.o $(SPT_ASAN_OBJ) $(VMM_ASAN_OBJ) $(COMMON_ASAN_LIB)
	@mkdir -p $(@D)
	$(CC) $(SANFLAGS) $(LDFLAGS) -o $@ $^ $(VMM_LIBS) -lcmocka
.SECONDARY: $(SPT_UNIT:$(BIN)/%=$(OBJ)/tests/unit/%.o) $(SPT_UNIT:$(BIN)/%=$(ASAN)/obj/tests/unit/%.o)
