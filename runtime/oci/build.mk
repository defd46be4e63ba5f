# runtime/oci/build.mk: the OCI runtime `uniroot` and its unit tests.
# The binary check (kernel.c) reads images with the monitors' own reader
# (runtime/tender/image.h: elf_image.c, mft.c), linked into the runtime's library.
UNIROOT_SRC  := $(filter-out runtime/oci/main.c,$(wildcard runtime/oci/*.c))
UNIROOT_OBJ  := $(UNIROOT_SRC:%.c=$(OBJ)/%.o) $(TENDER_IMAGE_OBJ)
UNIROOT_AOBJ := $(UNIROOT_SRC:%.c=$(ASAN)/obj/%.o) $(TENDER_IMAGE_SRC:%.c=$(ASAN)/obj/%.o)
UNIROOT_LIB  := $(BUILD)/libuniroot-oci.a
UNIROOT_ALIB := $(ASAN)/libuniroot-oci.a
UNIROOT_LDLIBS := -lcjson -lmount $(TENDER_IMAGE_LIBS)
$(OBJ)/runtime/oci/kernel.o $(ASAN)/obj/runtime/oci/kernel.o: CFLAGS += $(TENDER_INC)
# the network plumbing (runtime/net), by path: its build.mk may be read after this one
UNIROOT_NETLIB := $(BUILD)/libnet.a
UNIROOT_NETALIB := $(ASAN)/libnet.a

PROGRAMS   += $(BIN)/uniroot
UNIT_TESTS += $(BIN)/test_runtime_config $(BIN)/test_runtime_rootfs $(BIN)/test_runtime_state $(BIN)/test_runtime_kernel \
              $(BIN)/test_runtime_backend $(BIN)/test_runtime_netargs $(BIN)/test_runtime_settings
BENCH_DEPS += $(BIN)/uniroot-bench-decide

$(UNIROOT_LIB): $(UNIROOT_OBJ)
	@mkdir -p $(@D)
	$(AR) rcs $@ $^

$(UNIROOT_ALIB): $(UNIROOT_AOBJ)
	@mkdir -p $(@D)
	$(AR) rcs $@ $^

$(BIN)/uniroot: $(OBJ)/runtime/oci/main.o $(UNIROOT_LIB) $(UNIROOT_NETLIB) $(COMMON_LIB)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -o $@ $^ $(UNIROOT_LDLIBS)

$(BIN)/uniroot-bench-decide: $(OBJ)/runtime/oci/bench/decide.o $(UNIROOT_LIB) $(UNIROOT_NETLIB) $(COMMON_LIB)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -Iruntime/oci -o $@ $^ $(UNIROOT_LDLIBS)

$(OBJ)/runtime/oci/bench/decide.o $(OBJ)/tests/unit/runtime_%.o $(ASAN)/obj/tests/unit/runtime_%.o: CFLAGS += -Iruntime/oci -Iruntime/net
$(OBJ)/runtime/oci/%.o $(ASAN)/obj/runtime/oci/%.o: CFLAGS += -Iruntime/net

$(BIN)/test_runtime_%: $(OBJ)/tests/unit/runtime_%_test.o $(UNIROOT_LIB) $(UNIROOT_NETLIB) $(COMMON_LIB)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -o $@ $^ $(UNIROOT_LDLIBS) -lcmocka

$(ASAN)/bin/test_runtime_%: $(ASAN)/obj/tests/unit/runtime_%_test.o $(UNIROOT_ALIB) $(UNIROOT_NETALIB) $(COMMON_ASAN_LIB)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(SANFLAGS) -o $@ $^ $(UNIROOT_LDLIBS) -lcmocka

# uniroot built with ASan+UBSan, for the integration tests to run it too
TEST_DEPS += $(ASAN)/bin/uniroot
$(ASAN)/bin/uniroot: $(ASAN)/obj/runtime/oci/main.o $(UNIROOT_ALIB) $(UNIROOT_NETALIB) $(COMMON_ASAN_LIB)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(SANFLAGS) -o $@ $^ $(UNIROOT_LDLIBS)
