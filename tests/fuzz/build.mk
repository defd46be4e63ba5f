# tests/fuzz/: libFuzzer targets, always built with clang (libFuzzer is
# clang's), with ASan and UBSan. Run for a bounded time by
# tests/integration/vmm_fuzz.sh; run longer by hand with
#   build/fuzz/fuzz_elf_image -max_total_time=600 build/guests
FUZZ_CC := clang
FUZZ_FLAGS := -std=gnu11 -D_GNU_SOURCE -DUR_SANITIZED -Icommon -g -O1 \
	-fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all
FUZZ_VMM_SRC := runtime/vmm/elf_image.c runtime/vmm/mft.c common/err.c

TEST_DEPS += $(BUILD)/fuzz/fuzz_elf_image

$(BUILD)/fuzz/fuzz_elf_image: tests/fuzz/fuzz_elf_image.c $(FUZZ_VMM_SRC) runtime/vmm/vmm.h common/solo5_abi.h
	@mkdir -p $(@D)
	$(FUZZ_CC) $(FUZZ_FLAGS) -o $@ tests/fuzz/fuzz_elf_image.c $(FUZZ_VMM_SRC) -lelf -lz
