# common/: code shared by every program (error style, ABI layouts).
COMMON_SRC := $(wildcard common/*.c)
COMMON_OBJ := $(COMMON_SRC:%.c=$(OBJ)/%.o)
COMMON_ASAN_OBJ := $(COMMON_SRC:%.c=$(ASAN)/obj/%.o)
COMMON_LIB := $(BUILD)/libcommon.a
COMMON_ASAN_LIB := $(ASAN)/libcommon.a

$(COMMON_LIB): $(COMMON_OBJ)
	@mkdir -p $(@D)
	$(AR) rcs $@ $^

$(COMMON_ASAN_LIB): $(COMMON_ASAN_OBJ)
	@mkdir -p $(@D)
	$(AR) rcs $@ $^

# Unit tests of the shared code (tests/unit/test_common_*.c), plain and sanitized.
COMMON_UNIT := $(patsubst tests/unit/%.c,$(BIN)/%,$(wildcard tests/unit/test_common_*.c))
UNIT_TESTS += $(COMMON_UNIT)

$(BIN)/test_common_%: $(OBJ)/tests/unit/test_common_%.o $(COMMON_LIB)
	@mkdir -p $(@D)
	$(CC) $(LDFLAGS) -o $@ $^ -lcjson -lcmocka

$(ASAN)/bin/test_common_%: $(ASAN)/obj/tests/unit/test_common_%.o $(COMMON_ASAN_LIB)
	@mkdir -p $(@D)
	$(CC) $(SANFLAGS) $(LDFLAGS) -o $@ $^ -lcjson -lcmocka
.SECONDARY: $(COMMON_UNIT:$(BIN)/%=$(OBJ)/tests/unit/%.o) $(COMMON_UNIT:$(BIN)/%=$(ASAN)/obj/tests/unit/%.o)
