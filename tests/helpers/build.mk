# tests/helpers/build.mk: host-side programs the tests use (not installed).
# standin-vmm: a stand-in for uniroot-vmm (UNIROOT_VMM) that speaks the
# create/start protocol and records its argv, for tests without /dev/kvm.
TEST_DEPS += $(BIN)/standin-vmm

$(BIN)/standin-vmm: $(OBJ)/tests/helpers/standin_vmm.o
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -o $@ $<
