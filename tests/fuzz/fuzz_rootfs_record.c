/* fuzz_rootfs_record.c: libFuzzer target for the rootfs record
 * (common/rootfs_record.c), the agent -> runtime contract that the runtime
 * reads from a bundle annotation anyone could have written. Any bytes are
 * parsed; an accepted record, written back to JSON, must parse again to the
 * very same record. */
#include "fuzz_common.h"
#include "rootfs_record.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *json = fuzz_cstr(data, size);
    static struct rootfs_record r, again;
    struct ur_err err = {0};
    int rc = rootfs_record_from_json(json, &r, &err);
    fuzz_check_err(rc, &err);
    if (rc == 0) {
        FUZZ_CHECK(r.version == ROOTFS_RECORD_VERSION);
        FUZZ_CHECK(r.type != ROOTFS_BLOCK || r.device[0] == '/');
        char *text = NULL;
        rc = rootfs_record_to_json(&r, &text, &err);
        FUZZ_CHECK(rc == 0 && text);
        rc = rootfs_record_from_json(text, &again, &err);
        if (rc != 0)
            fprintf(stderr, "re-parse of %s: %s\n", text, err.msg);
        FUZZ_CHECK(rc == 0);
        FUZZ_CHECK(memcmp(&r, &again, sizeof(r)) == 0);
        free(text);
    }
    free(json);
    return 0;
}
