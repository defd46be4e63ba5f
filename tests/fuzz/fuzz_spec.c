/* fuzz_spec.c: libFuzzer target for the runtime's reading of a bundle's
 * config.json (runtime/oci/spec.c) and of the unikernel description in its
 * annotations (uk_from_annotations, uk_validate in unikernel.c): any bytes
 * as config.json. What is accepted must keep the parser's promises. */
#include <limits.h>

#include "fuzz_common.h"
#include "oci.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *json = fuzz_cstr(data, size);
    struct oci_spec s;
    struct ur_err err = {0};
    int rc = spec_parse(json, "/run/fuzz/bundle", &s, &err);
    fuzz_check_err(rc, &err);
    if (rc == 0) {
        FUZZ_CHECK(strnlen(s.rootfs, sizeof(s.rootfs)) < sizeof(s.rootfs) && s.rootfs[0] == '/');
        FUZZ_CHECK(s.args && s.args[s.nargs] == NULL);
        for (unsigned i = 0; i < s.nargs; i++)
            FUZZ_CHECK(s.args[i] != NULL);
        FUZZ_CHECK(s.nns <= SPEC_MAX_NS);
        for (unsigned i = 0; i < s.nns; i++)
            FUZZ_CHECK(s.ns[i].path[0] == '/' && strnlen(s.ns[i].path, PATH_MAX) < PATH_MAX);
        FUZZ_CHECK(!s.annotations || cJSON_IsObject(s.annotations));
        (void)spec_annotation(&s, "dev.uniroot.rootfs");

        struct uk_desc d;
        struct ur_err e2 = {0};
        rc = uk_from_annotations(s.annotations, &d, &e2);
        fuzz_check_err(rc, &e2);
        FUZZ_CHECK(rc <= 1);
        if (rc == 1) {
            FUZZ_CHECK(d.type[0] && d.hypervisor[0] && d.binary[0] == '/');
            FUZZ_CHECK(strnlen(d.cmdline, sizeof(d.cmdline)) < sizeof(d.cmdline));
            FUZZ_CHECK(strnlen(d.block, sizeof(d.block)) < sizeof(d.block));
            FUZZ_CHECK(fuzz_printable(d.type) && fuzz_printable(d.hypervisor) && fuzz_printable(d.version) &&
                       fuzz_printable(d.binary) && fuzz_printable(d.cmdline) && fuzz_printable(d.initrd) &&
                       fuzz_printable(d.block) && fuzz_printable(d.blk_mnt_point));
            rc = uk_validate(&d, &e2);
            fuzz_check_err(rc, &e2);
            (void)uk_supports_fs(&d, "ext4");
        }
        spec_free(&s);
        FUZZ_CHECK(s.doc == NULL && s.args == NULL);
    }
    free(json);
    return 0;
}
