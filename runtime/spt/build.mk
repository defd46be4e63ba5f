# runtime/spt/build.mk: uniroot-spt, the Solo5 spt monitor: its own objects
# on the shared monitor code ($(TENDER_OBJ), runtime/tender/build.mk). It must be a
# position-independent executable: the guest lives at the low addresses a
# classic static executable would be loaded at (0x400000).
SPT_SRC := $(filter-out runtime/spt/main.c,$(wildcard runtime/spt/*.c))
SPT_OBJ := $(SPT_SRC:%.c=$(OBJ)/%.o)
SPT_ASAN_OBJ := $(SPT_SRC:%.c=$(ASAN)/obj/%.o)

PROGRAMS += $(BIN)/uniroot-spt

$(OBJ)/runtime/spt/%.o $(ASAN)/obj/runtime/spt/%.o: CFLAGS += $(TENDER_INC) -fPIE
$(OBJ)/tests/unit/test_spt_%.o $(ASAN)/obj/tests/unit/test_spt_%.o: CFLAGS += -Iruntime/spt $(TENDER_INC)

$(BIN)/uniroot-spt: $(OBJ)/runtime/spt/main.o $(SPT_OBJ) $(TENDER_OBJ) $(COMMON_LIB)
	@mkdir -p $(@D)
	$(CC) -static-pie $(LDFLAGS) -o $@ $^ $(TENDER_IMAGE_LIBS)

$(ASAN)/bin/uniroot-spt: $(ASAN)/obj/runtime/spt/main.o $(SPT_ASAN_OBJ) $(TENDER_ASAN_OBJ) $(COMMON_ASAN_LIB)
	@mkdir -p $(@D)
	$(CC) $(SANFLAGS) -pie $(LDFLAGS) -o $@ $^ $(TENDER_IMAGE_LIBS)

# Unit tests (tests/unit/test_spt_*.c), plain and sanitized.
SPT_UNIT := $(patsubst tests/unit/%.c,$(BIN)/%,$(wildcard tests/unit/test_spt_*.c))
UNIT_TESTS += $(SPT_UNIT)

$(BIN)/test_spt_%: $(OBJ)/tests/unit/test_spt_%.o $(SPT_OBJ) $(TENDER_OBJ) $(COMMON_LIB)
	@mkdir -p $(@D)
	$(CC) $(LDFLAGS) -o $@ $^ $(TENDER_IMAGE_LIBS) -lcmocka

$(ASAN)/bin/test_spt_%: $(ASAN)/obj/tests/unit/test_spt_%.o $(SPT_ASAN_OBJ) $(TENDER_ASAN_OBJ) $(COMMON_ASAN_LIB)
	@mkdir -p $(@D)
	$(CC) $(SANFLAGS) $(LDFLAGS) -o $@ $^ $(TENDER_IMAGE_LIBS) -lcmocka
.SECONDARY: $(SPT_UNIT:$(BIN)/%=$(OBJ)/tests/unit/%.o) $(SPT_UNIT:$(BIN)/%=$(ASAN)/obj/tests/unit/%.o)
