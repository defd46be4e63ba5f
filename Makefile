# uniroot: one Makefile builds everything. Each room adds its programs through
# a build.mk fragment (runtime/build.mk, tests/guests/build.mk, ...), so the
# rooms can grow without touching this file.
#
#   make            build every program into build/bin
#   make check      unit tests (plain and ASan+UBSan) and integration tests
#   make bench      benchmarks, each figure beside its baseline
#   make fuzz       every libFuzzer target (tests/fuzz/) for FUZZ_SECONDS (600) each
#   make demo       boot a unikernel from a block rootfs
#   make install    programs, man pages, systemd unit, example configs, containerd
#                   snippets and deploy/install under $(PREFIX) (DESTDIR honoured)
#   make man        the man pages (build/man, from each program's --help)
#   make image      the node image for deploy/kubernetes (podman; needs the base image)
#   make compile    programs and unit tests only (run.sh's clang build)
#   make clean

# Build with every core unless the caller chose (-jN, -j1): a serial build
# took a third of CI's time on 2 cores.
ifeq ($(filter -j%,$(MAKEFLAGS)),)
MAKEFLAGS += -j$(shell nproc)
endif

CC       ?= cc
UR_VERSION := $(shell sed -n 's/^\#define UNIROOT_VERSION "\(.*\)"/\1/p' runtime/oci/oci.h)
PREFIX   ?= /usr/local
BINDIR         ?= $(PREFIX)/bin
DATADIR        ?= $(PREFIX)/share
MANDIR         ?= $(DATADIR)/man
SYSTEMDUNITDIR ?= $(PREFIX)/lib/systemd/system
# Example settings files, installed into $(DATADIR)/doc/uniroot/examples: one += line each.
EXAMPLE_CONFIGS :=
EXAMPLE_CONFIGS += userspace/unirootd.conf.example
EXAMPLE_CONFIGS += runtime/oci/uniroot.config.example
# systemd units (deploy/systemd/NAME.in, @BINDIR@ replaced) and containerd runtime entries.
SYSTEMD_UNITS   := $(wildcard deploy/systemd/*.service.in)
CONTAINERD_SNIPPETS := $(wildcard deploy/containerd/uniroot-runtime.v*.toml)
BUILD    := build
BIN      := $(BUILD)/bin
OBJ      := $(BUILD)/obj
ASAN     := $(BUILD)/asan

WARN     := -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wmissing-prototypes
CFLAGS   ?= -O2 -g
CFLAGS   += -std=gnu11 $(WARN) -D_GNU_SOURCE -Icommon -MMD -MP
SANFLAGS := -DUR_SANITIZED -O1 -g -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer

# Filled in by the fragments.
PROGRAMS    :=   # installed programs, in $(BIN)
UNIT_TESTS  :=   # cmocka test programs, in $(BIN) and $(ASAN)/bin
TEST_DEPS   :=   # anything else the tests need built (guests, helpers)
BENCH_DEPS  :=

.PHONY: all compile check unit integration bench demo install man clean
.SECONDARY:
all:

include common/build.mk
include $(sort $(filter-out common/build.mk,$(wildcard */build.mk) $(wildcard tests/*/build.mk) $(wildcard runtime/oci/build.mk) $(wildcard runtime/spt/build.mk) $(wildcard runtime/net/build.mk)))

all: $(PROGRAMS) $(TEST_DEPS)

# Every product and unit-test source once, plain (no sanitizer, fuzz or guest builds).
compile: $(PROGRAMS) $(UNIT_TESTS)

# Plain and sanitizer objects from any C file in the tree.
$(OBJ)/%.o: %.c
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -c $< -o $@

$(ASAN)/obj/%.o: %.c
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(SANFLAGS) -c $< -o $@

check: all $(UNIT_TESTS) $(patsubst $(BIN)/%,$(ASAN)/bin/%,$(UNIT_TESTS))
	tests/run.sh

unit: $(UNIT_TESTS) $(patsubst $(BIN)/%,$(ASAN)/bin/%,$(UNIT_TESTS))
	tests/run.sh unit

integration: all
	tests/run.sh integration

bench: all $(BENCH_DEPS)
	tests/bench/run.sh

demo: all
	tools/demo.sh

man: $(MAN_PAGES)

# Everything a node needs; tests/integration/make_install.sh checks the list.
install: $(PROGRAMS) $(MAN_PAGES)
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(MANDIR)/man1 $(DESTDIR)$(MANDIR)/man8 \
		$(DESTDIR)$(SYSTEMDUNITDIR) $(DESTDIR)$(DATADIR)/doc/uniroot/examples \
		$(DESTDIR)$(DATADIR)/uniroot/containerd
	install -m 0755 $(PROGRAMS) $(DESTDIR)$(BINDIR)/
	install -m 0644 $(filter %.1,$(MAN_PAGES)) $(DESTDIR)$(MANDIR)/man1/
	install -m 0644 $(filter %.8,$(MAN_PAGES)) $(DESTDIR)$(MANDIR)/man8/
	for u in $(SYSTEMD_UNITS); do \
		sed 's|@BINDIR@|$(BINDIR)|g' $$u > $(DESTDIR)$(SYSTEMDUNITDIR)/$$(basename $$u .in) && \
		chmod 0644 $(DESTDIR)$(SYSTEMDUNITDIR)/$$(basename $$u .in) || exit 1; \
	done
	install -m 0644 $(EXAMPLE_CONFIGS) $(DESTDIR)$(DATADIR)/doc/uniroot/examples/
	install -m 0644 $(CONTAINERD_SNIPPETS) $(DESTDIR)$(DATADIR)/uniroot/containerd/
	install -m 0755 deploy/install $(DESTDIR)$(DATADIR)/uniroot/install

clean:
	rm -rf $(BUILD)

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)
