/* runtime_kernel_test.c: the runtime's look at a unikernel binary
 * (kernel.c, through the monitors' image reader runtime/tender/image.h) on
 * synthetic ELF files: a valid hvt guest with a manifest of a block and a net
 * device, and the same as an spt guest; the other target (named in the
 * refusal), wrong machine/version; no ABI note; manifests that lie about
 * their size; and every truncation of a valid file (an error, never a crash -
 * the ASan twin checks the reads). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <elf.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "oci.h"
#include "solo5_abi.h"

static char path[64];

/* Build an ELF: header, one PT_NOTE program header, ABI1 note, MFT1 note. */
static size_t build(uint8_t *buf, size_t cap, uint32_t target, uint32_t version, uint32_t entries_claimed)
{
    memset(buf, 0, cap);
    Elf64_Ehdr *eh = (Elf64_Ehdr *)buf;
    memcpy(eh->e_ident, ELFMAG, SELFMAG);
    eh->e_ident[EI_CLASS] = ELFCLASS64;
    eh->e_ident[EI_DATA] = ELFDATA2LSB;
    eh->e_ident[EI_VERSION] = EV_CURRENT;
    eh->e_type = ET_EXEC;
    eh->e_version = EV_CURRENT;
    eh->e_ehsize = sizeof(Elf64_Ehdr);
    eh->e_machine = EM_X86_64;
    eh->e_phoff = sizeof(Elf64_Ehdr);
    eh->e_phentsize = sizeof(Elf64_Phdr);
    eh->e_phnum = 1;
    size_t off = sizeof(Elf64_Ehdr) + sizeof(Elf64_Phdr);
    size_t notes = off;
    /* ABI1 */
    struct solo5_abi1_note an = {.h = {.n_namesz = 6, .n_descsz = sizeof(struct solo5_abi1_info),
                                       .n_type = SOLO5_NOTE_TYPE_ABI1, .n_name = "Solo5"},
                                 .i = {.abi_target = target, .abi_version = version}};
    memcpy(buf + off, &an, sizeof(an));
    off += sizeof(an);
    /* MFT1: header, 4 bytes pad, struct mft + 3 entries */
    struct mft_entry e[3];
    memset(e, 0, sizeof(e));
    e[0].type = MFT_RESERVED_FIRST;
    strcpy(e[1].name, "rootfs");
    e[1].type = MFT_DEV_BLOCK_BASIC;
    strcpy(e[2].name, "net0");
    e[2].type = MFT_DEV_NET_BASIC;
    struct mft m = {.version = MFT_VERSION, .entries = entries_claimed};
    struct solo5_nhdr nh = {.n_namesz = 6, .n_descsz = MFT1_NOTE_DESC_PAD + sizeof(m) + sizeof(e),
                            .n_type = SOLO5_NOTE_TYPE_MFT1, .n_name = "Solo5"};
    memcpy(buf + off, &nh, sizeof(nh));
    off += sizeof(nh) + MFT1_NOTE_DESC_PAD;
    memcpy(buf + off, &m, sizeof(m));
    off += sizeof(m);
    memcpy(buf + off, e, sizeof(e));
    off += sizeof(e);
    Elf64_Phdr *ph = (Elf64_Phdr *)(buf + sizeof(Elf64_Ehdr));
    ph->p_type = PT_NOTE;
    ph->p_offset = notes;
    ph->p_filesz = off - notes;
    return off;
}

static void write_file(const uint8_t *buf, size_t n)
{
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    assert_int_equal(fwrite(buf, 1, n, f), n);
    fclose(f);
}

static int setup(void **st)
{
    (void)st;
    snprintf(path, sizeof(path), "/tmp/uniroot-kernel-test.%d", (int)getpid());
    return 0;
}

static int teardown(void **st)
{
    (void)st;
    unlink(path);
    return 0;
}

static uint8_t buf[4096];

static void valid_guest(void **st)
{
    (void)st;
    size_t n = build(buf, sizeof(buf), SOLO5_ABI_TARGET_HVT, HVT_ABI_VERSION, 3);
    write_file(buf, n);
    struct kernel_info ki;
    struct ur_err e;
    assert_int_equal(kernel_inspect(path, SOLO5_ABI_TARGET_HVT, &ki, &e), 0);
    assert_int_equal(ki.ndev, 2);
    assert_non_null(kernel_find_dev(&ki, "rootfs", false));
    assert_non_null(kernel_find_dev(&ki, "net0", true));
    assert_null(kernel_find_dev(&ki, "net0", false));
    assert_null(kernel_find_dev(&ki, "data", false));
}

static void refusals(void **st)
{
    (void)st;
    struct kernel_info ki;
    struct ur_err e;
    size_t n = build(buf, sizeof(buf), SOLO5_ABI_TARGET_SPT, HVT_ABI_VERSION, 3);
    write_file(buf, n);
    assert_int_equal(kernel_inspect(path, SOLO5_ABI_TARGET_HVT, &ki, &e), -ENOEXEC);
    assert_non_null(strstr(e.msg, "built for Solo5 spt, not hvt"));
    /* the same spt image is what the spt backend wants, an hvt one is not */
    n = build(buf, sizeof(buf), SOLO5_ABI_TARGET_SPT, SPT_ABI_VERSION, 3);
    write_file(buf, n);
    assert_int_equal(kernel_inspect(path, SOLO5_ABI_TARGET_SPT, &ki, &e), 0);
    assert_int_equal(ki.ndev, 2);
    n = build(buf, sizeof(buf), SOLO5_ABI_TARGET_HVT, HVT_ABI_VERSION, 3);
    write_file(buf, n);
    assert_int_equal(kernel_inspect(path, SOLO5_ABI_TARGET_SPT, &ki, &e), -ENOEXEC);
    assert_non_null(strstr(e.msg, "built for Solo5 hvt, not spt"));
    n = build(buf, sizeof(buf), SOLO5_ABI_TARGET_HVT, 1, 3);
    write_file(buf, n);
    assert_int_equal(kernel_inspect(path, SOLO5_ABI_TARGET_HVT, &ki, &e), -ENOEXEC);
    assert_non_null(strstr(e.msg, "ABI version 1"));
    n = build(buf, sizeof(buf), SOLO5_ABI_TARGET_HVT, HVT_ABI_VERSION, 4); /* claims more entries */
    write_file(buf, n);
    assert_int_equal(kernel_inspect(path, SOLO5_ABI_TARGET_HVT, &ki, &e), -ENOEXEC);
    assert_non_null(strstr(e.msg, "bad manifest"));
    n = build(buf, sizeof(buf), SOLO5_ABI_TARGET_HVT, HVT_ABI_VERSION, 0xffffffffu);
    write_file(buf, n);
    assert_int_equal(kernel_inspect(path, SOLO5_ABI_TARGET_HVT, &ki, &e), -ENOEXEC);
    n = build(buf, sizeof(buf), SOLO5_ABI_TARGET_HVT, HVT_ABI_VERSION, 3);
    buf[n - 3 * sizeof(struct mft_entry) + sizeof(struct mft_entry) + 67] = 'x'; /* name unterminated */
    memset(buf + n - 2 * sizeof(struct mft_entry), 'x', MFT_NAME_SIZE);
    write_file(buf, n);
    assert_int_equal(kernel_inspect(path, SOLO5_ABI_TARGET_HVT, &ki, &e), -ENOEXEC);
    n = build(buf, sizeof(buf), SOLO5_ABI_TARGET_HVT, HVT_ABI_VERSION, 3);
    ((Elf64_Ehdr *)buf)->e_machine = EM_AARCH64;
    write_file(buf, n);
    assert_int_equal(kernel_inspect(path, SOLO5_ABI_TARGET_HVT, &ki, &e), -ENOEXEC);
    assert_non_null(strstr(e.msg, "is not a Solo5 hvt unikernel: not an x86_64 image"));
    n = build(buf, sizeof(buf), SOLO5_ABI_TARGET_HVT, HVT_ABI_VERSION, 3);
    memset(buf + sizeof(Elf64_Ehdr) + sizeof(Elf64_Phdr) + 12, 0, 8); /* ABI note renamed */
    write_file(buf, n);
    assert_int_equal(kernel_inspect(path, SOLO5_ABI_TARGET_HVT, &ki, &e), -ENOEXEC);
    assert_non_null(strstr(e.msg, "is not a Solo5 hvt unikernel: not a Solo5 unikernel (no ABI1 note)"));
    n = build(buf, sizeof(buf), SOLO5_ABI_TARGET_HVT, HVT_ABI_VERSION, 3);
    ((Elf64_Phdr *)(buf + sizeof(Elf64_Ehdr)))->p_filesz = 1u << 30;
    write_file(buf, n);
    assert_int_equal(kernel_inspect(path, SOLO5_ABI_TARGET_HVT, &ki, &e), -ENOEXEC);
    n = build(buf, sizeof(buf), SOLO5_ABI_TARGET_HVT, HVT_ABI_VERSION, 3);
    ((Elf64_Nhdr *)(buf + sizeof(Elf64_Ehdr) + sizeof(Elf64_Phdr)))->n_descsz = 0xfffffff0u;
    write_file(buf, n);
    assert_int_equal(kernel_inspect(path, SOLO5_ABI_TARGET_HVT, &ki, &e), -ENOEXEC);
    assert_int_equal(kernel_inspect("/nonexistent/kernel", SOLO5_ABI_TARGET_HVT, &ki, &e), -ENOENT);
}

static void every_truncation(void **st)
{
    (void)st;
    size_t n = build(buf, sizeof(buf), SOLO5_ABI_TARGET_HVT, HVT_ABI_VERSION, 3);
    for (size_t len = 0; len < n; len++) {
        write_file(buf, len);
        struct kernel_info ki;
        struct ur_err e;
        if (kernel_inspect(path, SOLO5_ABI_TARGET_HVT, &ki, &e) == 0)
            fail_msg("a file truncated to %zu of %zu bytes was accepted", len, n);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(valid_guest),
        cmocka_unit_test(refusals),
        cmocka_unit_test(every_truncation),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
