/* module.c: the device module table and the registry that checks it.
 *
 * tender_modules[] is the one list of devices both monitors take: a new
 * device is a new file here plus one line below. At start a monitor
 * registers its own core (hypercalls of its own, under hvt) and then each
 * module; a module whose option flag or hypercall number is already taken
 * is refused, so two devices can never claim the same thing silently.
 */
#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "tender.h"

const struct tender_module *const tender_modules[] = {
    &tender_block_module,
    &tender_net_module,
    NULL,
};

/* Options of the monitor itself: no module flag may start like one. */
static const char *const monitor_flags[] = {"--mem=", "--ready-fd=", "--start-fifo=", "--help",
                                            "--version"};

static bool prefix_clash(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);
    return strncmp(a, b, la < lb ? la : lb) == 0;
}

static int check_option(const struct tender_registry *r, const struct tender_module *m,
                        const struct tender_option *opt, struct ur_err *err)
{
    size_t l = opt->flag ? strlen(opt->flag) : 0;
    if (l < 4 || strncmp(opt->flag, "--", 2) != 0 || opt->flag[l - 1] != ':' || !opt->value ||
        !opt->help)
        return ur_errf(err, -EINVAL, "module %s: option '%s' must be --WORD: with a value "
                       "and help", m->name, opt->flag ? opt->flag : "(null)");
    for (size_t i = 0; i < sizeof(monitor_flags) / sizeof(monitor_flags[0]); i++)
        if (prefix_clash(opt->flag, monitor_flags[i]))
            return ur_errf(err, -EEXIST, "module %s: option %s collides with the monitor's %s",
                           m->name, opt->flag, monitor_flags[i]);
    for (unsigned i = 0; i < r->nmod; i++)
        for (unsigned k = 0; k < r->mod[i]->nopts; k++)
            if (prefix_clash(opt->flag, r->mod[i]->opts[k].flag))
                return ur_errf(err, -EEXIST, "module %s: option %s is taken by module %s (%s)",
                               m->name, opt->flag, r->mod[i]->name, r->mod[i]->opts[k].flag);
    for (const struct tender_option *o = m->opts; o < opt; o++)
        if (prefix_clash(opt->flag, o->flag))
            return ur_errf(err, -EEXIST, "module %s: option %s given twice", m->name, opt->flag);
    return 0;
}

int tender_register(struct tender_registry *r, const struct tender_module *m, struct ur_err *err)
{
    if (r->nmod == TENDER_MAX_MODULES)
        return ur_errf(err, -E2BIG, "module %s: too many modules (at most %d)", m->name,
                       TENDER_MAX_MODULES);
    for (unsigned i = 0; i < r->nmod; i++)
        if (r->mod[i] == m || strcmp(r->mod[i]->name, m->name) == 0 ||
            (m->mft_type && r->mod[i]->mft_type == m->mft_type))
            return ur_errf(err, -EEXIST, "module %s: registered twice (or its devices are "
                           "module %s's)", m->name, r->mod[i]->name);
    for (unsigned k = 0; k < m->nopts; k++) {
        int rc = check_option(r, m, &m->opts[k], err);
        if (rc < 0)
            return rc;
    }
    for (unsigned k = 0; k < m->nhvt_calls; k++) {
        unsigned nr = m->hvt_calls[k].nr;
        if (nr >= HVT_HYPERCALL_MAX || !m->hvt_calls[k].fn)
            return ur_errf(err, -EINVAL, "module %s: bad hypercall %u", m->name, nr);
        if (r->hc[nr])
            return ur_errf(err, -EEXIST, "module %s: hypercall %u is already registered",
                           m->name, nr);
        for (unsigned j = 0; j < k; j++)
            if (m->hvt_calls[j].nr == nr)
                return ur_errf(err, -EEXIST, "module %s: hypercall %u given twice", m->name, nr);
    }
    for (unsigned k = 0; k < m->nhvt_calls; k++)
        r->hc[m->hvt_calls[k].nr] = m->hvt_calls[k].fn;
    r->mod[r->nmod++] = m;
    return 0;
}

int tender_registry_init(struct tender_registry *r, const struct tender_monitor *mon,
                         struct ur_err *err)
{
    memset(r, 0, sizeof(*r));
    r->mon = mon;
    int rc;
    if (mon->core && (rc = tender_register(r, mon->core, err)) < 0)
        return rc;
    for (unsigned i = 0; tender_modules[i]; i++)
        if ((rc = tender_register(r, tender_modules[i], err)) < 0)
            return rc;
    return 0;
}

const struct tender_module *tender_module_for(const struct tender_registry *r, uint32_t type)
{
    for (unsigned i = 0; i < r->nmod; i++)
        if (r->mod[i]->mft_type && r->mod[i]->mft_type == type)
            return r->mod[i];
    return NULL;
}

int tender_attach_all(const struct tender_registry *r, struct tender_ctx *ctx,
                      const struct tender_opts *o, struct ur_err *err)
{
    for (unsigned i = 0; i < r->nmod; i++) {
        int rc = r->mod[i]->attach ? r->mod[i]->attach(ctx, o, err) : 0;
        if (rc < 0)
            return rc;
    }
    return mft_check_all_attached(ctx->mft, err);
}

void tender_cleanup_all(const struct tender_registry *r, struct tender_ctx *ctx)
{
    for (unsigned i = 0; i < r->nmod; i++)
        if (r->mod[i]->cleanup)
            r->mod[i]->cleanup(ctx);
}

unsigned tender_device_rules(const struct tender_registry *r, const struct tender_ctx *ctx,
                             bool spt, struct tender_rule *out, unsigned n)
{
    for (unsigned i = 1; ctx->mft && i < ctx->mft->entries; i++) {
        const struct mft_entry *e = &ctx->mft->e[i];
        const struct tender_module *m = e->attached ? tender_module_for(r, e->type) : NULL;
        tender_rules_fn fn = m ? (spt ? m->spt_rules : m->hvt_rules) : NULL;
        if (fn)
            n = fn(ctx, e, out, n);
    }
    return n;
}

void tender_detach_all(struct tender_ctx *ctx, uint32_t type)
{
    for (unsigned i = 1; ctx->mft && i < ctx->mft->entries; i++) {
        struct mft_entry *e = &ctx->mft->e[i];
        if (e->type == type && e->attached) {
            close(e->b.hostfd);
            e->attached = 0;
        }
    }
}
