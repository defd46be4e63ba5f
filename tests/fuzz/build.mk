# tests/fuzz/: libFuzzer targets, always built with clang (libFuzzer is
# clang's), with ASan and UBSan, each from the product's own sources.
#   fuzz_elf_image       the monitors' image reader (runtime/tender)
#   fuzz_spec            the runtime's config.json and its unikernel annotations
#   fuzz_urunc_json      urunc.json (base64 values)
#   fuzz_rootfs_record   the rootfs record, parsed and written back
#   fuzz_agent_request   the agent socket's request lines
#   fuzz_config_annotate the agent's config.json scanner and annotation writer
#   fuzz_settings        the settings-file parser (runtime's /etc/uniroot/config)
#                        and the dev.uniroot.memory-mb annotation
#   fuzz_ctr_state       a container's state.json as unirootctl reads it, explain's rendering
# Seeds: tests/fuzz/corpus/<target>/. `make check` runs each briefly
# (tests/integration/fuzz.sh); `make fuzz` runs each for FUZZ_SECONDS (600).
FUZZ_CC := clang
FUZZ_FLAGS := $(WARN) -std=gnu11 -D_GNU_SOURCE -DUR_SANITIZED -Icommon -g -O1 \
	-fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all
FUZZ_VMM_SRC := runtime/tender/elf_image.c runtime/tender/mft.c common/err.c
FUZZ_COMMON_SRC := common/err.c common/fileio.c common/jsonstr.c common/rootfs_record.c \
	common/ukbundle.c common/inroot.c
FUZZ_DIR := $(BUILD)/fuzz
FUZZ_TARGETS := fuzz_elf_image fuzz_spec fuzz_urunc_json fuzz_rootfs_record \
	fuzz_agent_request fuzz_config_annotate fuzz_settings fuzz_ctr_state
FUZZ_SECONDS ?= 600

TEST_DEPS += $(FUZZ_TARGETS:%=$(FUZZ_DIR)/%)

$(FUZZ_DIR)/fuzz_elf_image: tests/fuzz/fuzz_elf_image.c $(FUZZ_VMM_SRC) runtime/tender/image.h common/solo5_abi.h
	@mkdir -p $(@D)
	$(FUZZ_CC) $(FUZZ_FLAGS) -Iruntime/tender -o $@ tests/fuzz/fuzz_elf_image.c $(FUZZ_VMM_SRC) -lelf -lz

# Each other target: its .c, then the product sources it runs.
# the unikernel checks ask the backend table which types and filesystems each monitor takes
FUZZ_BACKEND_SRC := $(wildcard runtime/oci/backend*.c) runtime/oci/opts.c runtime/oci/path.c
FUZZ_SRC_fuzz_spec := runtime/oci/spec.c runtime/oci/unikernel.c $(FUZZ_BACKEND_SRC)
FUZZ_SRC_fuzz_urunc_json := runtime/oci/unikernel.c $(FUZZ_BACKEND_SRC)
FUZZ_SRC_fuzz_rootfs_record :=
FUZZ_SRC_fuzz_agent_request := common/agentproto.c
FUZZ_SRC_fuzz_config_annotate := userspace/bundle.c userspace/jsonpatch.c
FUZZ_SRC_fuzz_settings := runtime/oci/settings.c runtime/oci/guest_mem.c common/kvconf.c \
	common/agentsock.c $(FUZZ_BACKEND_SRC)
FUZZ_SRC_fuzz_ctr_state := common/ctrstate.c common/ctrdecision.c common/procstat.c tools/ctl_render.c

define FUZZ_RULE
$$(FUZZ_DIR)/$(1): tests/fuzz/$(1).c tests/fuzz/fuzz_common.h $$(FUZZ_SRC_$(1)) $$(FUZZ_COMMON_SRC) $$(FUZZ_HDRS)
	@mkdir -p $$(@D)
	$$(FUZZ_CC) $$(FUZZ_FLAGS) -Iruntime/oci -Iuserspace -Itools -o $$@ $$< $$(FUZZ_SRC_$(1)) $$(FUZZ_COMMON_SRC) -lcjson
endef
FUZZ_HDRS := $(wildcard common/*.h) runtime/oci/oci.h runtime/oci/settings.h runtime/oci/backend.h \
	userspace/bundle.h userspace/jsonpatch.h tools/ctl.h
$(foreach t,$(filter-out fuzz_elf_image,$(FUZZ_TARGETS)),$(eval $(call FUZZ_RULE,$(t))))

# make fuzz: every target for FUZZ_SECONDS each (make fuzz FUZZ_SECONDS=60);
# all: the image reader is seeded with the test guests.
.PHONY: fuzz
fuzz: all
	UR_TOP=$(CURDIR) UR_FUZZ_SECONDS=$(FUZZ_SECONDS) bash tests/integration/fuzz.sh
