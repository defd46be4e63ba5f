/* fuzz_urunc_json.c: libFuzzer target for urunc.json, the unikernel
 * description an image ships at its rootfs root (values base64:
 * uk_from_urunc_json and base64_decode in runtime/oci/unikernel.c). */
#include "fuzz_common.h"
#include "oci.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *json = fuzz_cstr(data, size);
    struct uk_desc d;
    struct ur_err err = {0};
    int rc = uk_from_urunc_json(json, &d, &err);
    fuzz_check_err(rc, &err);
    FUZZ_CHECK(rc != 0); /* urunc.json with no description is an error, not "none" */
    if (rc == 1) {
        FUZZ_CHECK(d.type[0] && d.hypervisor[0] && d.binary[0] == '/');
        FUZZ_CHECK(strcmp(d.source, "urunc.json") == 0);
        FUZZ_CHECK(fuzz_printable(d.type) && fuzz_printable(d.hypervisor) && fuzz_printable(d.version) &&
                   fuzz_printable(d.binary) && fuzz_printable(d.cmdline) && fuzz_printable(d.initrd) &&
                   fuzz_printable(d.block) && fuzz_printable(d.blk_mnt_point));
        rc = uk_validate(&d, &err);
        fuzz_check_err(rc, &err);
    }

    /* The decoder alone, on the raw bytes: a decoded value is exactly the
     * 6-bit groups the input holds, and never hides a NUL. */
    char *out = NULL;
    size_t outlen = 0;
    struct ur_err e2 = {0};
    rc = base64_decode(json, &out, &outlen, &e2);
    fuzz_check_err(rc, &e2);
    if (rc == 0) {
        size_t n = strlen(json);
        while (n > 0 && json[n - 1] == '=')
            n--;
        FUZZ_CHECK(outlen == n * 6 / 8);
        FUZZ_CHECK(strlen(out) == outlen);
        free(out);
    }
    free(json);
    return 0;
}
