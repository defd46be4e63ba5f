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
