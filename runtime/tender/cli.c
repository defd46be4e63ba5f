/* cli.c: the monitors' command line, solo5-hvt's and solo5-spt's:
 *
 *   PROG [--mem=MB] [DEVICE OPTIONS]... [--] KERNEL [ARGS...]
 *
 * plus --help, --version and two extensions the OCI runtime uses to split
 * create from start: --ready-fd=N and --start-fifo=PATH. The device options
 * (--block:NAME=PATH, --net:NAME=TAP, ...) are the registered modules'; their
 * usage text is theirs too. Parsing is pure (no I/O), so it is unit-tested
 * directly.
 */
#include <errno.h>
#include <limits.h>
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

const char *tender_opt_value(const struct tender_opts *o, const struct tender_option *opt,
                             const char *name)
{
    for (unsigned i = 0; i < o->ndev; i++)
        if (o->dev[i].opt == opt && strcmp(o->dev[i].name, name) == 0)
            return o->dev[i].value;
    return NULL;
}

/* Parse one --FLAGNAME=VALUE device option into o->dev. */
static int parse_dev_opt(const char *arg, const struct tender_option *opt, struct tender_opts *o,
                         struct ur_err *err)
{
    const char *name = arg + strlen(opt->flag);
    const char *eq = strchr(name, '=');
    if (!eq || !valid_dev_name(name, (size_t)(eq - name)))
        return ur_errf(err, -EINVAL, "invalid option '%s': expected %sNAME=VALUE with NAME of "
                       "1-%d letters and digits", arg, opt->flag, MFT_NAME_MAX);
    if (eq[1] == '\0')
        return ur_errf(err, -EINVAL, "invalid option '%s': empty value", arg);
    if (o->ndev == TENDER_MAX_DEVICE_OPTS)
        return ur_errf(err, -E2BIG, "too many device options (at most %d)", TENDER_MAX_DEVICE_OPTS);
    struct tender_dev_opt *d = &o->dev[o->ndev];
    d->opt = opt;
    memcpy(d->name, name, (size_t)(eq - name));
    d->name[eq - name] = '\0';
    d->value = eq + 1;
    if (tender_opt_value(o, opt, d->name))
        return ur_errf(err, -EINVAL, "option %s%s given twice", opt->flag, d->name);
    const char *bad = opt->check ? opt->check(d->value) : NULL;
    if (bad)
        return ur_errf(err, -EINVAL, "invalid option '%s': %s", arg, bad);
    o->ndev++;
    return 0;
}

/* The registered option arg starts with, or NULL. */
static const struct tender_option *find_option(const struct tender_registry *r, const char *arg)
{
    for (unsigned i = 0; i < r->nmod; i++)
        for (unsigned k = 0; k < r->mod[i]->nopts; k++) {
            const struct tender_option *opt = &r->mod[i]->opts[k];
            if (strncmp(arg, opt->flag, strlen(opt->flag)) == 0)
                return opt;
        }
    return NULL;
}

int tender_parse_args(const struct tender_registry *r, int argc, char *const argv[],
                      struct tender_opts *o, struct ur_err *err)
{
    const struct tender_monitor *mon = r->mon;
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
                               "MB from 2 to %llu", a, (unsigned long long)mon->max_mem_mb);
            if (mb > mon->max_mem_mb)
                return ur_errf(err, -EINVAL, "invalid option '%s': %s can have at most %llu MB %s",
                               a, mon->mem_who, (unsigned long long)mon->max_mem_mb, mon->mem_why);
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
        const struct tender_option *opt = find_option(r, a);
        if (!opt)
            return ur_errf(err, -EINVAL, "unknown option '%s' (see --help)", a);
        int rc = parse_dev_opt(a, opt, o, err);
        if (rc < 0)
            return rc;
    }
    if (i >= argc)
        return ur_errf(err, -EINVAL, "no unikernel given (usage: %s [OPTIONS] [--] KERNEL [ARGS...])",
                       mon->prog);
    o->kernel = argv[i];
    o->guest_argv = &argv[i + 1];
    o->guest_argc = argc - i - 1;
    return 0;
}

#define HELP_COL 32

/* One usage entry: the option left, its help from column HELP_COL, each
 * '\n' in help starting a continuation line at that column. */
static void usage_line(FILE *out, const char *left, const char *help)
{
    int n = fprintf(out, "  %s", left);
    fprintf(out, "%*s", n < HELP_COL ? HELP_COL - n : 1, "");
    for (const char *p = help; *p; p++) {
        fputc(*p, out);
        if (*p == '\n')
            fprintf(out, "%*s", HELP_COL, "");
    }
    fputc('\n', out);
}

void tender_usage(const struct tender_registry *r, FILE *out)
{
    const struct tender_monitor *mon = r->mon;
    char buf[256];
    fprintf(out, "usage: %s [OPTIONS] [--] KERNEL [ARGS...]\n%s\n\n", mon->prog, mon->summary);
    snprintf(buf, sizeof(buf), "guest memory in MiB, 2 to %llu (default %d%s)",
             (unsigned long long)mon->max_mem_mb, TENDER_DEFAULT_MEM_MB, mon->mem_note);
    usage_line(out, "--mem=MB", buf);
    for (unsigned i = 0; i < r->nmod; i++)
        for (unsigned k = 0; k < r->mod[i]->nopts; k++) {
            const struct tender_option *opt = &r->mod[i]->opts[k];
            snprintf(buf, sizeof(buf), "%sNAME=%s", opt->flag, opt->value);
            usage_line(out, buf, opt->help);
        }
    usage_line(out, "--ready-fd=N", "write \"ready\\n\" to descriptor N once set up, or\n"
                                    "\"error: MESSAGE\\n\" if setup failed (uniroot)");
    usage_line(out, "--start-fifo=PATH", "once set up, wait for one byte on FIFO PATH (uniroot)");
    fprintf(out, "  --help, --version\n\n"
                 "Every device the unikernel's manifest declares must be given, and no other.\n"
                 "Exit status: the guest's; %d on a setup error; %d if the guest faulted%s;\n"
                 "128+N when stopped by signal N.%s\n",
            TENDER_EXIT_SETUP, TENDER_EXIT_GUEST_FAULT, mon->fault_note,
            mon->exit_note);
}
