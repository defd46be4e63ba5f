# tools/: uniroot-mkimage (unikernel OCI images) and unirootctl (the agent's
# socket client), with mkimage's unit test. (demo.sh and install-deps.sh are
# scripts: nothing to build.)

# unirootctl (tools/unirootctl.c, its commands in tools/ctl_*.c, see ctl.h):
# the protocol is in userspace/server.h, its lines in common/agentproto.c; the
# runtime's state in common/ctrstate.c.
CTL_SRC := $(wildcard tools/ctl_*.c)
PROGRAMS += $(BIN)/unirootctl
$(BIN)/unirootctl: $(OBJ)/tools/unirootctl.o $(CTL_SRC:%.c=$(OBJ)/%.o) $(COMMON_LIB)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -o $@ $^ -lcjson

# unit test of unirootctl's pieces without I/O: readiness, explain's text and JSON
UNIT_TESTS += $(BIN)/test_tools_ctl
$(OBJ)/tests/unit/tools_ctl_test.o $(ASAN)/obj/tests/unit/tools_ctl_test.o: CFLAGS += -Itools
$(BIN)/test_tools_ctl: $(OBJ)/tests/unit/tools_ctl_test.o $(OBJ)/tools/ctl_ready.o $(OBJ)/tools/ctl_render.o $(COMMON_LIB)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -o $@ $^ -lcjson -lcmocka
$(ASAN)/bin/test_tools_ctl: $(ASAN)/obj/tests/unit/tools_ctl_test.o $(ASAN)/obj/tools/ctl_ready.o $(ASAN)/obj/tools/ctl_render.o $(COMMON_ASAN_LIB)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(SANFLAGS) -o $@ $^ -lcjson -lcmocka

# tools/mkimage*: uniroot-mkimage, OCI image-layout tars for unikernels (zlib).
MKIMAGE_SRC := $(wildcard tools/mkimage*.c)
PROGRAMS += $(BIN)/uniroot-mkimage
# The kernel is checked with the monitors' own image reader (runtime/tender/image.h).
$(OBJ)/tools/mkimage.o: CFLAGS += $(TENDER_INC)
$(BIN)/uniroot-mkimage: $(MKIMAGE_SRC:%.c=$(OBJ)/%.o) $(TENDER_IMAGE_OBJ) $(COMMON_LIB)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -o $@ $^ -lcjson $(TENDER_IMAGE_LIBS)

# unit test of uniroot-mkimage's pieces (tools/mkimage_*.c, not its main)
MKIMAGE_LIBSRC := $(filter-out tools/mkimage.c,$(MKIMAGE_SRC))
UNIT_TESTS += $(BIN)/test_runtime_mkimage
$(OBJ)/tests/unit/runtime_mkimage_test.o $(ASAN)/obj/tests/unit/runtime_mkimage_test.o: CFLAGS += -Itools
$(BIN)/test_runtime_mkimage: $(OBJ)/tests/unit/runtime_mkimage_test.o $(MKIMAGE_LIBSRC:%.c=$(OBJ)/%.o) $(COMMON_LIB)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -o $@ $^ -lz -lcmocka
$(ASAN)/bin/test_runtime_mkimage: $(ASAN)/obj/tests/unit/runtime_mkimage_test.o $(MKIMAGE_LIBSRC:%.c=$(ASAN)/obj/%.o) $(COMMON_ASAN_LIB)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(SANFLAGS) -o $@ $^ -lz -lcmocka
