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
