/* ctl_render.c: explain CONTAINER_ID as text lines and as one JSON object
 * (no I/O: unit-tested). The text names how the rootfs was chosen in words:
 * the agent's annotation verified, the agent's socket answer verified, the
 * runtime's own fallback (libmount), or no lookup at all. */
#include "ctl.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* How a decision's source reads to an operator. */
static const char *source_words(const char *source)
{
    if (strcmp(source, "annotation") == 0)
        return "the agent's annotation in config.json, verified by the runtime";
    if (strcmp(source, "agent") == 0)
        return "the agent's socket answer, verified by the runtime (no trusted annotation)";
    if (strcmp(source, "libmount") == 0)
        return "fallback: the runtime's own mount-table lookup (no verified agent record)";
    return "no lookup (the image decided, or mountRootfs is not set)";
}

int ctl_explain_agrees(const struct ctl_explain *x)
{
    const struct ur_decision *d = &x->st->decision;
    const struct rootfs_record *r = x->agent == CTL_AGENT_RECORD ? &x->rec : x->annotation ? &x->ann : NULL;
    if (!r || strcmp(d->outcome, "rootfs-block") != 0)
        return -1;
    if (d->version >= 1) /* major:minor recorded */
        return r->type == ROOTFS_BLOCK && r->major == d->major && r->minor == d->minor;
    return r->type == ROOTFS_BLOCK && strcmp(r->device, d->device) == 0;
}

static const char *agent_state(enum ctl_agent_seen a)
{
    switch (a) {
    case CTL_AGENT_RECORD: return "record";
    case CTL_AGENT_NO_RECORD: return "no-record";
    case CTL_AGENT_DOWN: return "unreachable";
    default: return "not-asked";
    }
}

cJSON *ctl_explain_json(const struct ctl_explain *x)
{
    const struct ur_ctr_state *s = x->st;
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "id", x->id);
    cJSON_AddStringToObject(o, "root", x->root);
    cJSON_AddStringToObject(o, "runtime", s->ours ? "uniroot" : "runc");
    cJSON_AddNumberToObject(o, "pid", (double)s->pid);
    if (!s->ours)
        return o;
    cJSON_AddStringToObject(o, "status", x->status);
    cJSON_AddItemToObject(o, "exit_status", x->exit_status >= 0 ? cJSON_CreateNumber(x->exit_status)
                                                                 : cJSON_CreateNull());
    cJSON_AddStringToObject(o, "bundle", s->bundle);
    cJSON_AddStringToObject(o, "created", s->created);
    cJSON *d = ur_decision_to_json(&s->decision);
    if (d) /* the version says whether it was recorded (1) or rebuilt (0) */
        cJSON_ReplaceItemInObjectCaseSensitive(d, "version", cJSON_CreateNumber(s->decision.version));
    cJSON_AddItemToObject(o, "decision", d);
    cJSON *a = cJSON_AddObjectToObject(o, "agent");
    cJSON_AddStringToObject(a, "state", agent_state(x->agent));
    cJSON_AddItemToObject(a, "record", x->agent_record ? cJSON_Duplicate(x->agent_record, 1)
                                                       : cJSON_CreateNull());
    cJSON_AddItemToObject(a, "error", x->agent_msg[0] ? cJSON_CreateString(x->agent_msg)
                                                      : cJSON_CreateNull());
    cJSON_AddItemToObject(a, "annotation", x->annotation ? cJSON_Duplicate(x->annotation, 1)
                                                         : cJSON_CreateNull());
    int ag = ctl_explain_agrees(x);
    cJSON_AddItemToObject(o, "agrees", ag < 0 ? cJSON_CreateNull() : cJSON_CreateBool(ag));
    return o;
}

/* The container's state and the runtime's decision, as lines. */
static void decision_text(FILE *f, const struct ctl_explain *x)
{
    const struct ur_ctr_state *s = x->st;
    const struct ur_decision *d = &s->decision;
    if (strcmp(x->status, "stopped") == 0 && x->exit_status >= 0)
        fprintf(f, "status:     stopped, exit status %d (monitor pid was %lld)\n", x->exit_status, s->pid);
    else if (strcmp(x->status, "stopped") == 0)
        fprintf(f, "status:     stopped (monitor pid was %lld)\n", s->pid);
    else
        fprintf(f, "status:     %s, monitor pid %lld\n", x->status, s->pid);
    fprintf(f, "bundle:     %s\n", s->bundle);
    fprintf(f, "monitor:    %s, %s\n", d->hypervisor[0] ? d->hypervisor : "?", d->monitor[0] ? d->monitor : "?");
    if (d->mem_mb)
        fprintf(f, "memory:     %llu MiB (--mem)\n", (unsigned long long)d->mem_mb);
    else
        fprintf(f, "memory:     the monitor's default (no --mem)\n");
    if (!strcmp(d->outcome, "rootfs-block") && d->version >= 1)
        fprintf(f, "rootfs:     rootfs-block, %s (%u:%u) %s\n", d->device, d->major, d->minor, d->fstype);
    else if (d->device[0])
        fprintf(f, "rootfs:     %s, %s\n", d->outcome, d->device);
    else
        fprintf(f, "rootfs:     %s\n", d->outcome[0] ? d->outcome : "?");
    fprintf(f, "chosen by:  %s: %s\n", d->source[0] ? d->source : "none", source_words(d->source));
    if (d->reason[0])
        fprintf(f, "reason:     %s\n", d->reason);
    if (d->trace[0])
        fprintf(f, "trace:      %s\n", d->trace);
    for (unsigned i = 0; i < d->nnet; i++)
        fprintf(f, "net:        %s: tap %s, mac %s, on %s in %s\n", d->net[i].name, d->net[i].tap,
                d->net[i].mac, d->net[i].iface, d->net[i].netns);
    if (!d->nnet)
        fprintf(f, "net:        %s\n", d->version >= 1 ? "none" : "not recorded");
    fprintf(f, "recorded:   %s\n", d->version >= 1 ? "the decision as create recorded it"
                                                  : "rebuilt from an older state (no decision record)");
}

/* One record of the agent's, as a line's text. */
static void record_text(FILE *f, const struct rootfs_record *r)
{
    fprintf(f, "%s %s (%u:%u) %s, backing %s, observed by %s", rootfs_type_name(r->type),
            r->device[0] ? r->device : "-", r->major, r->minor, r->fstype,
            r->backing[0] ? r->backing : "-", r->observed_by);
}

/* The agent's records (now, and its annotation at create) and whether they
 * name the device taken. */
static void agent_text(FILE *f, const struct ctl_explain *x)
{
    fprintf(f, "agent:      ");
    if (x->agent == CTL_AGENT_RECORD)
        record_text(f, &x->rec);
    else
        fprintf(f, "%s: %s", x->agent == CTL_AGENT_DOWN ? "unreachable" : "no record", x->agent_msg);
    fprintf(f, "\nannotated:  ");
    if (x->annotation)
        record_text(f, &x->ann);
    else
        fprintf(f, "%s", x->ann_msg);
    fprintf(f, "\n");
    int ag = ctl_explain_agrees(x);
    if (ag >= 0)
        fprintf(f, "agreement:  %s\n", ag ? "the agent's record names the device the runtime took"
                                          : "the agent's record names ANOTHER device than the runtime took");
}

char *ctl_explain_text(const struct ctl_explain *x)
{
    char *out = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&out, &len);
    if (!f)
        return NULL;
    const struct ur_ctr_state *s = x->st;
    fprintf(f, "container:  %s in %s (%s)\n", x->id, x->root,
            s->ours ? "uniroot" : "runc's: not a unikernel, uniroot handed it to runc");
    if (s->ours) {
        decision_text(f, x);
        agent_text(f, x);
    } else {
        fprintf(f, "pid:        %lld\n", s->pid);
    }
    if (fclose(f) != 0) {
        free(out);
        return NULL;
    }
    return out;
}
