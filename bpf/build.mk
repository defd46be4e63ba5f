# bpf/: unirootd's BPF programs, compiled with clang (CO-RE) into objects and
# libbpf skeletons (bpftool gen skeleton). vmlinux.h is dumped from the running
# kernel's BTF into build/bpf/ at build time (never committed).
BPF_OUT    := $(BUILD)/bpf
BPF_CLANG  ?= clang
BPF_STRIP  ?= llvm-strip
BPFTOOL    ?= bpftool
VMLINUX_BTF ?= /sys/kernel/btf/vmlinux
BPF_CFLAGS := -g -O2 -target bpf -D__TARGET_ARCH_x86 -Wall -Werror -I$(BPF_OUT) -Ibpf
BPF_SRCS   := $(wildcard bpf/*.bpf.c)
BPF_OBJS   := $(BPF_SRCS:bpf/%.bpf.c=$(BPF_OUT)/%.bpf.o)
BPF_SKELS  := $(BPF_SRCS:bpf/%.bpf.c=$(BPF_OUT)/%.skel.h)

$(BPF_OUT)/vmlinux.h:
	@mkdir -p $(@D)
	$(BPFTOOL) btf dump file $(VMLINUX_BTF) format c > $@.tmp && mv $@.tmp $@

$(BPF_OUT)/%.bpf.o: bpf/%.bpf.c bpf/uniroot_events.h bpf/uniroot_common.bpf.h $(BPF_OUT)/vmlinux.h
	$(BPF_CLANG) $(BPF_CFLAGS) -c $< -o $@.tmp
	$(BPF_STRIP) -g $@.tmp # DWARF out (.BTF/.BTF.ext stay): the skeleton embeds the object, resident in the agent
	mv $@.tmp $@

.SECONDARY: $(BPF_OBJS)

# The minimal kernel BTF for the tracepoint object's CO-RE relocations
# (userspace/build.mk embeds it in the agent; userspace/btfmin.h explains why).
BPF_MIN_BTF   := $(BPF_OUT)/uniroot_tp.min.btf

$(BPF_MIN_BTF): $(BPF_OUT)/uniroot_tp.bpf.o
	$(BPFTOOL) gen min_core_btf $(VMLINUX_BTF) $@.tmp $< && mv $@.tmp $@

$(BPF_OUT)/%.skel.h: $(BPF_OUT)/%.bpf.o
	$(BPFTOOL) gen skeleton $< name $(subst .bpf.o,,$(notdir $<)) > $@.tmp && mv $@.tmp $@
