/* fuzz_settings.c: libFuzzer target for the settings-file parser
 * (common/kvconf.c) as the runtime's config file uses it
 * (runtime/oci/settings.c), and for the memory annotation's check
 * (guest_mem_decide, runtime/oci/guest_mem.c) on the same bytes. */
#include "fuzz_common.h"
#include "backend.h"
#include "oci.h"
#include "settings.h"

/* No control byte but tab (which the format allows inside a value). */
static int no_control(const char *s)
{
    for (const unsigned char *p = (const unsigned char *)s; *p; p++)
        if ((*p < 0x20 && *p != '\t') || *p == 0x7f)
            return 0;
    return 1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = fuzz_cstr(data, size);
    struct rt_settings s;
    struct ur_err err = {0};
    settings_defaults(&s);
    int rc = settings_parse(&s, text, "/etc/uniroot/config", &err);
    fuzz_check_err(rc, &err);
    if (rc < 0) {
        /* the one error line names the file and a line that exists */
        FUZZ_CHECK(strncmp(err.msg, "/etc/uniroot/config", 19) == 0);
        FUZZ_CHECK(!strchr(err.msg, '\n'));
    } else {
        /* whatever was taken is within what the monitors can honour */
        for (unsigned k = 0; k < n_backends; k++) {
            FUZZ_CHECK(s.mon[k].memory_mb >= 2 && s.mon[k].memory_mb <= backends[k]->max_mem_mb);
            FUZZ_CHECK(s.mon[k].vcpus == 1);
            FUZZ_CHECK(!s.mon[k].monitor[0] || s.mon[k].monitor[0] == '/');
            FUZZ_CHECK(no_control(s.mon[k].monitor));
        }
        FUZZ_CHECK(s.agent_socket[0] == '/' && s.cgroup_root[0] == '/' && s.runc[0]);
        FUZZ_CHECK(no_control(s.runc) && no_control(s.agent_socket) && no_control(s.cgroup_root));
    }
    /* the raw bytes as dev.uniroot.memory-mb, with and without a limit */
    for (int with_limit = 0; with_limit < 2; with_limit++) {
        struct guest_mem_req q = {.annotation = text, .limit = with_limit ? 256ull << 20 : 0,
                                  .max_mb = 4096, .hv = "hvt", .config_mb = 512};
        struct guest_mem m;
        struct ur_err e2 = {0};
        rc = guest_mem_decide(&q, &m, &e2);
        fuzz_check_err(rc, &e2);
        if (rc == 0)
            FUZZ_CHECK(m.mb >= 2 && m.mb <= (with_limit ? 256u : 4096u));
    }
    free(text);
    return 0;
}
