# tests/helpers/build.mk: host-side programs the tests use (not installed).
# standin-vmm: a stand-in for uniroot-vmm (UNIROOT_VMM) that speaks the
# create/start protocol and records its argv, for tests without /dev/kvm.
TEST_DEPS += $(BIN)/standin-vmm

$(BIN)/standin-vmm: $(OBJ)/tests/helpers/standin_vmm.o
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -o $@ $<

# pause: the pod sandbox's static init for the CRI tests (packed as an image by them).
TEST_DEPS += $(BIN)/pause
$(BIN)/pause: $(OBJ)/tests/helpers/pause.o
	@mkdir -p $(@D)
	$(CC) $(LDFLAGS) -static -o $@ $<
