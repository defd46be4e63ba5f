# runtime/tender/build.mk: the code both monitors share (image reader,
# manifest, command line, create/start handshake, seccomp assembler), as
# objects the monitors, their unit tests and uniroot-mkimage link.
# Anything that includes its headers adds $(TENDER_INC).
TENDER_SRC := $(wildcard runtime/tender/*.c)
TENDER_OBJ := $(TENDER_SRC:%.c=$(OBJ)/%.o)
TENDER_ASAN_OBJ := $(TENDER_SRC:%.c=$(ASAN)/obj/%.o)
TENDER_INC := -Iruntime/tender
# The image reader alone (uniroot-mkimage, the OCI runtime's binary check, fuzzing).
TENDER_IMAGE_SRC := runtime/tender/elf_image.c runtime/tender/mft.c
TENDER_IMAGE_OBJ := $(TENDER_IMAGE_SRC:%.c=$(OBJ)/%.o)
TENDER_IMAGE_LIBS := -lelf -lz

$(OBJ)/runtime/tender/%.o $(ASAN)/obj/runtime/tender/%.o: CFLAGS += $(TENDER_INC) -fPIE

# Unit tests of the shared code (tests/unit/test_tender_*.c), plain and sanitized.
TENDER_UNIT := $(patsubst tests/unit/%.c,$(BIN)/%,$(wildcard tests/unit/test_tender_*.c))
UNIT_TESTS += $(TENDER_UNIT)
$(OBJ)/tests/unit/test_tender_%.o $(ASAN)/obj/tests/unit/test_tender_%.o: CFLAGS += $(TENDER_INC)

$(BIN)/test_tender_%: $(OBJ)/tests/unit/test_tender_%.o $(TENDER_OBJ) $(COMMON_LIB)
	@mkdir -p $(@D)
	$(CC) $(LDFLAGS) -o $@ $^ $(TENDER_IMAGE_LIBS) -lcmocka

$(ASAN)/bin/test_tender_%: $(ASAN)/obj/tests/unit/test_tender_%.o $(TENDER_ASAN_OBJ) $(COMMON_ASAN_LIB)
	@mkdir -p $(@D)
	$(CC) $(SANFLAGS) $(LDFLAGS) -o $@ $^ $(TENDER_IMAGE_LIBS) -lcmocka
.SECONDARY: $(TENDER_UNIT:$(BIN)/%=$(OBJ)/tests/unit/%.o) $(TENDER_UNIT:$(BIN)/%=$(ASAN)/obj/tests/unit/%.o)
