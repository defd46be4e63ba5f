/* cli.c: uniroot-vmm's command line, the same as solo5-hvt's:
 *
 *   uniroot-vmm [--mem=MB] [--block:NAME=PATH]... [--block-sector-size:NAME=N]...
 *               [--net:NAME=TAP]... [--net-mac:NAME=MAC]... [--] KERNEL [ARGS...]
 *
 * plus --help, --version and two extensions the OCI runtime uses to split
 * create from start: --ready-fd=N and --start-fifo=PATH. Parsing is pure (no
 * I/O), so it is unit-tested directly.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tender.h"

/* Parse a decimal unsigned number that must fill all of s. */
static int parse_u64(const char *s, uint64_t *out)
{
    if (*s < '0' || *s > '9')
        return -EINVAL;
    errno = 0;
    char *end;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno || *end)
        return -EINVAL;
    *out = v;
    return 0;
}

/* Device names are what Solo5 accepts: 1..67 characters of [A-Za-z0-9]. */
static bool valid_dev_name(const char *s, size_t len)
{
    if (len == 0 || len > MFT_NAME_MAX)
        return false;
    for (size_t i = 0; i < len; i++) {
        char c = s[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')))
            return false;
    }
    return true;
}

/* A unicast MAC address written as six hex pairs: 02:00:00:00:00:01. */
int net_parse_mac(const char *s, uint8_t mac[6])
{
    unsigned v[6];
    char tail;
    if (strlen(s) != 17 ||
        sscanf(s, "%2x:%2x:%2x:%2x:%2x:%2x%c", &v[0], &v[1], &v[2], &v[3], &v[4], &v[5], &tail) != 6)
        return -EINVAL;
    for (int i = 0; i < 6; i++)
        mac[i] = (uint8_t)v[i];
    if (mac[0] & 1) /* multicast */
        return -EINVAL;
    return 0;
}

static const struct {
    const char *prefix;
    enum tender_opt_kind kind;
} dev_opts[] = {
    {"--block:", TENDER_OPT_BLOCK},
    {"--block-sector-size:", TENDER_OPT_BLOCK_SECTOR},
    {"--net:", TENDER_OPT_NET},
    {"--net-mac:", TENDER_OPT_NET_MAC},
};

static const char *kind_flag(enum tender_opt_kind k)
{
    for (size_t i = 0; i < sizeof(dev_opts) / sizeof(dev_opts[0]); i++)
        if (dev_opts[i].kind == k)
            return dev_opts[i].prefix;
    return "?";
}

/* Parse one --KIND:NAME=VALUE option into o->dev. */
static int parse_dev_opt(const char *arg, enum tender_opt_kind kind, size_t plen,
                         struct tender_opts *o, struct ur_err *err)
{
    const char *name = arg + plen;
    const char *eq = strchr(name, '=');
    if (!eq || !valid_dev_name(name, (size_t)(eq - name)))
        return ur_errf(err, -EINVAL, "invalid option '%s': expected %sNAME=VALUE with NAME of "
                       "1-%d letters and digits", arg, kind_flag(kind), MFT_NAME_MAX);
    if (eq[1] == '\0')
        return ur_errf(err, -EINVAL, "invalid option '%s': empty value", arg);
    if (o->ndev == TENDER_MAX_DEVICE_OPTS)
        return ur_errf(err, -E2BIG, "too many device options (at most %d)", TENDER_MAX_DEVICE_OPTS);
    struct tender_dev_opt *d = &o->dev[o->ndev];
    d->kind = kind;
    memcpy(d->name, name, (size_t)(eq - name));
    d->name[eq - name] = '\0';
    d->value = eq + 1;
    for (unsigned i = 0; i < o->ndev; i++)
        if (o->dev[i].kind == kind && strcmp(o->dev[i].name, d->name) == 0)
            return ur_errf(err, -EINVAL, "option %s%s given twice", kind_flag(kind), d->name);
    if (kind == TENDER_OPT_BLOCK_SECTOR) {
        uint64_t v;
        if (parse_u64(d->value, &v) < 0 || v < 512 || v > 32768 || (v & (v - 1)))
            return ur_errf(err, -EINVAL, "invalid option '%s': sector size must be a power of two "
                           "from 512 to 32768", arg);
    } else if (kind == TENDER_OPT_NET_MAC) {
        uint8_t mac[6];
        if (net_parse_mac(d->value, mac) < 0)
            return ur_errf(err, -EINVAL, "invalid option '%s': MAC must look like "
                           "02:00:00:00:00:01 (unicast)", arg);
    }
    o->ndev++;
    return 0;
}

int tender_parse_args(int argc, char *const argv[], struct tender_opts *o, struct ur_err *err)
{
    memset(o, 0, sizeof(*o));
    o->mem_bytes = (uint64_t)TENDER_DEFAULT_MEM_MB << 20;
    o->ready_fd = -1;
    int i = 1;
    for (; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "--") == 0) {
            i++;
            break;
        }
        if (a[0] != '-' || a[1] == '\0')
            break;
        if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            o->help = true;
            return 0;
        }
        if (strcmp(a, "--version") == 0) {
            o->version = true;
            return 0;
        }
        if (strncmp(a, "--mem=", 6) == 0) {
            uint64_t mb;
            if (parse_u64(a + 6, &mb) < 0 || mb < 2)
                return ur_errf(err, -EINVAL, "invalid option '%s': memory must be a number of "
                               "MB from 2 to %llu", a, HVT_X86_MAX_MEM >> 20);
            /* Not a page-table limit: the hvt ABI passes hypercall arguments
             * as 32-bit guest addresses and a guest's stack starts at the top
             * of its memory, so no hvt guest can use more (Solo5's limit too). */
            if (mb > (HVT_X86_MAX_MEM >> 20))
                return ur_errf(err, -EINVAL, "invalid option '%s': an hvt guest can have at most "
                               "%llu MB (the hvt ABI passes hypercall arguments as 32-bit "
                               "addresses and the guest's stack is at the top of its memory)",
                               a, HVT_X86_MAX_MEM >> 20);
            o->mem_bytes = mb << 20;
            continue;
        }
        if (strncmp(a, "--start-fifo=", 13) == 0) {
            if (a[13] == '\0')
                return ur_errf(err, -EINVAL, "invalid option '%s': empty path", a);
            o->start_fifo = a + 13;
            continue;
        }
        if (strncmp(a, "--ready-fd=", 11) == 0) {
            uint64_t fd;
            if (parse_u64(a + 11, &fd) < 0 || fd < 3 || fd > INT_MAX)
                return ur_errf(err, -EINVAL, "invalid option '%s': need a descriptor number >= 3", a);
            o->ready_fd = (int)fd;
            continue;
        }
        bool matched = false;
        for (size_t k = 0; k < sizeof(dev_opts) / sizeof(dev_opts[0]); k++) {
            size_t plen = strlen(dev_opts[k].prefix);
            if (strncmp(a, dev_opts[k].prefix, plen) == 0) {
                int rc = parse_dev_opt(a, dev_opts[k].kind, plen, o, err);
                if (rc < 0)
                    return rc;
                matched = true;
                break;
            }
        }
        if (!matched)
            return ur_errf(err, -EINVAL, "unknown option '%s' (see --help)", a);
    }
    if (i >= argc)
        return ur_errf(err, -EINVAL, "no unikernel given (usage: uniroot-vmm [OPTIONS] [--] KERNEL [ARGS...])");
    o->kernel = argv[i];
    o->guest_argv = &argv[i + 1];
    o->guest_argc = argc - i - 1;
    return 0;
}

void tender_usage(FILE *out, const char *prog)
{
    fprintf(out,
            "usage: %s [OPTIONS] [--] KERNEL [ARGS...]\n"
            "Boot a Solo5 hvt unikernel (x86_64) on KVM; ARGS become its command line.\n"
            "\n"
            "  --mem=MB                      guest memory in MiB, 2 to %llu (default %d, rounded\n"
            "                                down to 2 MiB; the hvt ABI addresses no more)\n"
            "  --block:NAME=PATH             attach file or block device PATH as block device NAME\n"
            "  --block-sector-size:NAME=N    sector size of NAME (power of two, 512..32768; default 512)\n"
            "  --net:NAME=TAP|@FD            attach tap interface TAP (or open tap descriptor FD)\n"
            "                                as network device NAME\n"
            "  --net-mac:NAME=MAC            MAC address of NAME (default: random, locally administered)\n"
            "  --ready-fd=N                  write \"ready\\n\" to descriptor N once set up, or\n"
            "                                \"error: MESSAGE\\n\" if setup failed (uniroot)\n"
            "  --start-fifo=PATH             once set up, wait for one byte on FIFO PATH (uniroot)\n"
            "  --help, --version\n"
            "\n"
            "Every device the unikernel's manifest declares must be given, and no other.\n"
            "Exit status: the guest's; %d on a setup error; %d if the guest faulted or broke the ABI;\n"
            "128+N when stopped by signal N.\n",
            prog, HVT_X86_MAX_MEM >> 20, TENDER_DEFAULT_MEM_MB, TENDER_EXIT_SETUP, TENDER_EXIT_GUEST_FAULT);
}
