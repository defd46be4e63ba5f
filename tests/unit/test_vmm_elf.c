/* test_vmm_elf.c: the monitor's image loader against valid and hostile images.
 * Each hostile case corrupts one field of a valid image and must get a clear
 * error and leave guest memory untouched. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "vmm_fixture.h"

static const uint32_t one_block[] = {MFT_DEV_BLOCK_BASIC};
static struct tender_ro last_ro; /* read-only ranges of the last load */

/* Open, check ABI, read manifest and load; returns the first error. */
static int load_all(struct test_image *t, uint8_t *mem, uint64_t mem_size, struct ur_err *err,
                    uint64_t *entry, uint64_t *end)
{
    struct elf_image *img;
    int rc = elf_image_open(&img, t->buf, sizeof(t->buf), err);
    if (rc < 0)
        return rc;
    struct mft *m = NULL;
    size_t msize;
    if ((rc = elf_image_check_abi(img, err)) == 0 &&
        (rc = elf_image_manifest(img, &m, &msize, err)) == 0)
        rc = elf_image_load(img, mem, mem_size, entry, end, &last_ro, err);
    free(m);
    elf_image_close(img);
    return rc;
}

static void expect_reject(struct test_image *t, const char *needle)
{
    uint8_t *mem = calloc(1, FAKE_MEM);
    struct ur_err err = {0};
    uint64_t entry = 0, end = 0;
    int rc = load_all(t, mem, FAKE_MEM, &err, &entry, &end);
    assert_true(rc < 0);
    if (!strstr(err.msg, needle))
        fail_msg("error '%s' does not mention '%s'", err.msg, needle);
    /* nothing was copied */
    for (size_t i = IMG_LOAD; i < IMG_LOAD + 0x2000; i++)
        if (mem[i]) {
            free(mem);
            fail_msg("guest memory written at 0x%zx despite the error", i);
        }
    free(mem);
}

static void valid_image_loads(void **state)
{
    (void)state;
    struct test_image t;
    image_build(&t, 1, one_block);
    uint8_t *mem = calloc(1, FAKE_MEM);
    struct ur_err err = {0};
    uint64_t entry, end;
    assert_int_equal(load_all(&t, mem, FAKE_MEM, &err, &entry, &end), 0);
    assert_int_equal(entry, IMG_LOAD);
    assert_int_equal(end, IMG_LOAD + 0x11000);
    assert_int_equal(mem[IMG_LOAD], 0xf4);
    assert_int_equal(mem[IMG_LOAD + 0x1000], 0xab);
    assert_int_equal(mem[IMG_LOAD + 0x1010], 0); /* bss */
    /* the text segment (one whole page) is read-only and executable; the data segment is neither */
    assert_int_equal(last_ro.n, 1);
    assert_int_equal(last_ro.start[0], IMG_LOAD);
    assert_int_equal(last_ro.end[0], IMG_LOAD + 0x1000);
    assert_true(last_ro.exec[0]);
    free(mem);
}

static void writable_and_executable_refused(void **state)
{
    (void)state;
    struct test_image t;
    image_build(&t, 0, NULL);
    t.ph[0].p_flags |= PF_W;
    expect_reject(&t, "both writable and executable");
}

/* A segment owns its pages whole (no other segment may share them), so a
 * half page of text is a whole read-only, executable page, and a read-only
 * segment without PF_X is read-only and not executable. */
static void read_only_ranges_are_whole_pages(void **state)
{
    (void)state;
    struct test_image t;
    image_build(&t, 0, NULL);
    t.ph[0].p_memsz = 0x800;
    t.ph[0].p_filesz = 0x800;
    t.ph[1].p_flags = PF_R; /* data made rodata: 0x10000 bytes from a page boundary */
    uint8_t *mem = calloc(1, FAKE_MEM);
    struct ur_err err = {0};
    uint64_t entry, end;
    assert_int_equal(load_all(&t, mem, FAKE_MEM, &err, &entry, &end), 0);
    assert_int_equal(last_ro.n, 2);
    assert_int_equal(last_ro.start[0], IMG_LOAD);
    assert_int_equal(last_ro.end[0], IMG_LOAD + 0x1000);
    assert_true(last_ro.exec[0]);
    assert_int_equal(last_ro.start[1], IMG_LOAD + 0x1000);
    assert_int_equal(last_ro.end[1], IMG_LOAD + 0x11000);
    assert_false(last_ro.exec[1]);
    free(mem);
}

/* Text and data in one page would make the page writable and executable:
 * refused, as solo5-hvt refuses segments sharing a page. */
static void segments_sharing_a_page_refused(void **state)
{
    (void)state;
    struct test_image t;
    image_build(&t, 0, NULL);
    t.ph[0].p_memsz = 0x800;
    t.ph[0].p_filesz = 0x800;
    t.ph[1].p_paddr = t.ph[1].p_vaddr = IMG_LOAD + 0x800;
    expect_reject(&t, "share a page (at 0x100000)");
}

static void manifest_is_read(void **state)
{
    (void)state;
    static const uint32_t types[] = {MFT_DEV_BLOCK_BASIC, MFT_DEV_NET_BASIC};
    struct test_image t;
    image_build(&t, 2, types);
    struct elf_image *img;
    struct ur_err err = {0};
    assert_int_equal(elf_image_open(&img, t.buf, sizeof(t.buf), &err), 0);
    struct mft *m;
    size_t size;
    assert_int_equal(elf_image_manifest(img, &m, &size, &err), 0);
    assert_int_equal(m->entries, 3);
    assert_string_equal(m->e[2].name, "dev2");
    assert_int_equal(m->e[2].type, MFT_DEV_NET_BASIC);
    assert_non_null(mft_find(m, "dev1", MFT_DEV_BLOCK_BASIC));
    assert_null(mft_find(m, "dev1", MFT_DEV_NET_BASIC));
    free(m);
    elf_image_close(img);
}

static void not_elf(void **state)
{
    (void)state;
    struct test_image t;
    image_build(&t, 0, NULL);
    memcpy(t.buf, "#!/bin/sh\n", 10);
    expect_reject(&t, "not an ELF file");
}

static void wrong_machine(void **state)
{
    (void)state;
    struct test_image t;
    image_build(&t, 0, NULL);
    t.eh->e_machine = EM_AARCH64;
    expect_reject(&t, "not an x86_64 image");
}

static void wrong_class(void **state)
{
    (void)state;
    struct test_image t;
    image_build(&t, 0, NULL);
    t.eh->e_ident[EI_CLASS] = ELFCLASS32;
    expect_reject(&t, "64-bit");
}

static void shared_object(void **state)
{
    (void)state;
    struct test_image t;
    image_build(&t, 0, NULL);
    t.eh->e_type = ET_DYN;
    expect_reject(&t, "statically linked");
}

static void phdrs_outside_file(void **state)
{
    (void)state;
    struct test_image t;
    image_build(&t, 0, NULL);
    t.eh->e_phoff = IMG_SIZE - 8;
    expect_reject(&t, "program headers");
}

/* Found by fuzzing: libelf hands back a misaligned table in place. */
static void phdrs_misaligned(void **state)
{
    (void)state;
    struct test_image t;
    image_build(&t, 0, NULL);
    memmove(t.buf + 0x41, t.buf + 0x40, 4 * sizeof(Elf64_Phdr));
    t.eh->e_phoff = 0x41;
    expect_reject(&t, "program header table");
}

static void phdr_entry_size_lies(void **state)
{
    (void)state;
    struct test_image t;
    image_build(&t, 0, NULL);
    t.eh->e_phentsize = 32;
    expect_reject(&t, "program header table");
}

static void segment_outside_file(void **state)
{
    (void)state;
    struct test_image t;
    image_build(&t, 0, NULL);
    t.ph[0].p_filesz = 0x100000;
    t.ph[0].p_memsz = 0x100000;
    expect_reject(&t, "outside the file");
}

static void segment_offset_wraps(void **state)
{
    (void)state;
    struct test_image t;
    image_build(&t, 0, NULL);
    t.ph[0].p_offset = UINT64_MAX - 0x10;
    expect_reject(&t, "outside the file");
}

static void segment_below_1m(void **state)
{
    (void)state;
    struct test_image t;
    image_build(&t, 0, NULL);
    t.ph[1].p_paddr = 0x8000; /* over the page tables */
    expect_reject(&t, "below the lowest load address");
}

static void segment_beyond_memory(void **state)
{
    (void)state;
    struct test_image t;
    image_build(&t, 0, NULL);
    t.ph[1].p_paddr = FAKE_MEM - 0x100;
    expect_reject(&t, "does not fit");
}

static void huge_memsz(void **state)
{
    (void)state;
    struct test_image t;
    image_build(&t, 0, NULL);
    t.ph[1].p_memsz = UINT64_MAX;
    expect_reject(&t, "does not fit");
}

static void filesz_above_memsz(void **state)
{
    (void)state;
    struct test_image t;
    image_build(&t, 0, NULL);
    t.ph[1].p_filesz = 0x20000;
    t.ph[1].p_memsz = 0x10;
    expect_reject(&t, "");
}

static void overlapping_segments(void **state)
{
    (void)state;
    struct test_image t;
    image_build(&t, 0, NULL);
    t.ph[1].p_paddr = IMG_LOAD + 0x800;
    expect_reject(&t, "overlap");
}

static void entry_outside_text(void **state)
{
    (void)state;
    struct test_image t;
    image_build(&t, 0, NULL);
    t.eh->e_entry = IMG_LOAD + 0x1000; /* the data segment, not executable */
    expect_reject(&t, "entry point");
}

static void no_image_room_for_stack(void **state)
{
    (void)state;
    struct test_image t;
    image_build(&t, 0, NULL);
    t.ph[1].p_memsz = FAKE_MEM - IMG_LOAD - 0x1000; /* reaches the very top */
    expect_reject(&t, "stack");
}

static void missing_abi_note(void **state)
{
    (void)state;
    struct test_image t;
    image_build(&t, 0, NULL);
    t.ph[2].p_type = PT_NULL;
    expect_reject(&t, "no ABI1 note");
}

static void wrong_abi_target(void **state)
{
    (void)state;
    struct test_image t;
    image_build(&t, 0, NULL);
    t.abi->i.abi_target = SOLO5_ABI_TARGET_SPT;
    expect_reject(&t, "not hvt");
}

static void wrong_abi_version(void **state)
{
    (void)state;
    struct test_image t;
    image_build(&t, 0, NULL);
    t.abi->i.abi_version = 1;
    expect_reject(&t, "ABI version 1");
}

static void note_overruns_segment(void **state)
{
    (void)state;
    struct test_image t;
    image_build(&t, 0, NULL);
    t.abi->h.n_descsz = 0x7fffffff;
    expect_reject(&t, "overruns");
}

static void missing_manifest(void **state)
{
    (void)state;
    struct test_image t;
    image_build(&t, 0, NULL);
    t.ph[3].p_type = PT_NULL;
    expect_reject(&t, "no manifest note");
}

static void manifest_bad_version(void **state)
{
    (void)state;
    struct test_image t;
    image_build(&t, 1, one_block);
    t.mft->version = 7;
    expect_reject(&t, "manifest version 7");
}

static void manifest_entries_lie(void **state)
{
    (void)state;
    struct test_image t;
    image_build(&t, 1, one_block);
    t.mft->entries = 40; /* size says 2 */
    expect_reject(&t, "does not match");
}

static void manifest_too_many(void **state)
{
    (void)state;
    struct test_image t;
    image_build(&t, 1, one_block);
    t.mft->entries = 1000;
    expect_reject(&t, "entries");
}

static void manifest_no_reserved_first(void **state)
{
    (void)state;
    struct test_image t;
    image_build(&t, 1, one_block);
    t.mft->e[0].type = MFT_DEV_BLOCK_BASIC;
    expect_reject(&t, "reserved entry");
}

static void manifest_unterminated_name(void **state)
{
    (void)state;
    struct test_image t;
    image_build(&t, 1, one_block);
    memset(t.mft->e[1].name, 'A', MFT_NAME_SIZE);
    expect_reject(&t, "not terminated");
}

static void manifest_pre_attached(void **state)
{
    (void)state;
    struct test_image t;
    image_build(&t, 1, one_block);
    t.mft->e[1].attached = 1;
    expect_reject(&t, "attached");
}

static void manifest_unknown_type(void **state)
{
    (void)state;
    struct test_image t;
    image_build(&t, 1, one_block);
    t.mft->e[1].type = 99;
    expect_reject(&t, "unknown device type");
}

static void manifest_duplicate_name(void **state)
{
    (void)state;
    static const uint32_t two[] = {MFT_DEV_BLOCK_BASIC, MFT_DEV_NET_BASIC};
    struct test_image t;
    image_build(&t, 2, two);
    memcpy(t.mft->e[2].name, "dev1", 5);
    expect_reject(&t, "twice");
}

/* Truncating a valid image anywhere must fail cleanly, never crash. */
static void every_truncation_fails_cleanly(void **state)
{
    (void)state;
    struct test_image t;
    image_build(&t, 1, one_block);
    uint8_t *mem = calloc(1, FAKE_MEM);
    for (size_t len = 0; len < IMG_TEXT_OFF + 0x1000; len += 7) {
        uint8_t *copy = malloc(len ? len : 1);
        memcpy(copy, t.buf, len);
        struct elf_image *img = NULL;
        struct ur_err err = {0};
        uint64_t entry, end;
        struct mft *m = NULL;
        size_t ms;
        int rc = elf_image_open(&img, copy, len, &err);
        if (rc == 0 && (rc = elf_image_check_abi(img, &err)) == 0 &&
            (rc = elf_image_manifest(img, &m, &ms, &err)) == 0)
            rc = elf_image_load(img, mem, FAKE_MEM, &entry, &end, &last_ro, &err);
        if (len < IMG_TEXT_OFF + 0x1000)
            assert_true(rc < 0);
        assert_true(rc == 0 || err.msg[0] != '\0');
        free(m);
        elf_image_close(img);
        free(copy);
    }
    free(mem);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(valid_image_loads),
        cmocka_unit_test(manifest_is_read),
        cmocka_unit_test(writable_and_executable_refused),
        cmocka_unit_test(read_only_ranges_are_whole_pages),
        cmocka_unit_test(segments_sharing_a_page_refused),
        cmocka_unit_test(not_elf),
        cmocka_unit_test(wrong_machine),
        cmocka_unit_test(wrong_class),
        cmocka_unit_test(shared_object),
        cmocka_unit_test(phdrs_outside_file),
        cmocka_unit_test(phdrs_misaligned),
        cmocka_unit_test(phdr_entry_size_lies),
        cmocka_unit_test(segment_outside_file),
        cmocka_unit_test(segment_offset_wraps),
        cmocka_unit_test(segment_below_1m),
        cmocka_unit_test(segment_beyond_memory),
        cmocka_unit_test(huge_memsz),
        cmocka_unit_test(filesz_above_memsz),
        cmocka_unit_test(overlapping_segments),
        cmocka_unit_test(entry_outside_text),
        cmocka_unit_test(no_image_room_for_stack),
        cmocka_unit_test(missing_abi_note),
        cmocka_unit_test(wrong_abi_target),
        cmocka_unit_test(wrong_abi_version),
        cmocka_unit_test(note_overruns_segment),
        cmocka_unit_test(missing_manifest),
        cmocka_unit_test(manifest_bad_version),
        cmocka_unit_test(manifest_entries_lie),
        cmocka_unit_test(manifest_too_many),
        cmocka_unit_test(manifest_no_reserved_first),
        cmocka_unit_test(manifest_unterminated_name),
        cmocka_unit_test(manifest_pre_attached),
        cmocka_unit_test(manifest_unknown_type),
        cmocka_unit_test(manifest_duplicate_name),
        cmocka_unit_test(every_truncation_fails_cleanly),
    };
    return cmocka_run_group_tests_name("uniroot-vmm image loader", tests, NULL, NULL);
}
