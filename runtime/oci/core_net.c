/* core_net.c: the guest's network at create and delete (issue 10). For each
 * net device of the unikernel's manifest, in the network namespace the spec
 * names by path, runtime/net attaches one tap to one interface of its own and
 * the guest takes that interface's identity; the taps go to the monitor as
 * --net:NAME=@FD with --net-mac:NAME=MAC, and the guest learns its address the
 * way its type expects (guest_net_args). Every step is recorded first in
 * <state dir>/net.json (temp, fsync, rename), from which delete, create's
 * failure paths and a delete after a crash undo exactly what was made.
 *
 * A manifest without net devices makes nothing (the log says the guest runs
 * without network). A manifest with one needs a namespace path and a usable
 * interface per device: without them create fails with the reason, as the
 * monitor could not give the guest the device its manifest declares. */
#include "core.h"
#include "fileio.h"

#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define NET_FILE "net.json"

/* The spec's network namespace path, or NULL. */
static const char *netns_path(const struct oci_spec *s)
{
    for (unsigned i = 0; i < s->nns; i++)
        if (s->ns[i].type == CLONE_NEWNET)
            return s->ns[i].path;
    return NULL;
}

/* n's devices as {"version":1,"devices":[{"name":..,"state":{..}}]} into
 * net.json. The first `upto` devices count (the one being attached included). */
static int save_all(const struct core_net *n, unsigned upto, struct ur_err *err)
{
    cJSON *root = cJSON_CreateObject(), *arr = cJSON_AddArrayToObject(root, "devices");
    cJSON_AddNumberToObject(root, "version", 1);
    int rc = 0;
    for (unsigned i = 0; i < upto && rc == 0; i++) {
        char *txt = NULL;
        if ((rc = ur_net_state_to_json(&n->dev[i].st, &txt, err)) < 0)
            break;
        cJSON *d = cJSON_CreateObject();
        cJSON_AddStringToObject(d, "name", n->dev[i].name);
        cJSON_AddItemToObject(d, "state", cJSON_Parse(txt));
        cJSON_AddItemToArray(arr, d);
        free(txt);
    }
    char *out = rc == 0 ? cJSON_PrintUnformatted(root) : NULL;
    cJSON_Delete(root);
    if (rc == 0 && !out)
        rc = ur_errf(err, -ENOMEM, "net state");
    if (rc == 0 && (rc = ur_write_atomic(n->dirfd, NET_FILE, out, strlen(out), 0600, err)) < 0)
        ur_err_wrap(err, "cannot record the network state");
    free(out);
    return rc;
}

struct save_ctx {
    struct core_net *n;
    unsigned i;
};

/* runtime/net's callback: before each step, the record of every device so far. */
static int save_cb(const struct ur_net_state *st, void *arg, struct ur_err *err)
{
    struct save_ctx *s = arg;
    if (&s->n->dev[s->i].st != st)
        s->n->dev[s->i].st = *st;
    return save_all(s->n, s->i + 1, err);
}

/* Append " "-separated text to the guest's command line. */
static int cmdline_add(char *cmd, size_t len, const char *fmt, const char *a, struct ur_err *err)
{
    size_t used = strlen(cmd);
    int k = snprintf(cmd + used, len - used, fmt, a);
    if (k < 0 || (size_t)k >= len - used)
        return ur_errf(err, -E2BIG, "the guest's command line is too long with its network address");
    return 0;
}

/* rumprun: its JSON configuration, the user's command line as "cmdline"
 * (or the JSON the image gave, when it is one) with "net" added. */
static int rumprun_config(char *cmdline, size_t len, const char *cidr, const char *gw,
                          struct ur_err *err)
{
    cJSON *cfg = cmdline[0] == '{' ? cJSON_Parse(cmdline) : NULL;
    if (!cfg) {
        cfg = cJSON_CreateObject();
        cJSON_AddStringToObject(cfg, "cmdline", cmdline);
    }
    char addr[32];
    snprintf(addr, sizeof(addr), "%s", cidr);
    char *slash = strchr(addr, '/');
    const char *mask = slash ? slash + 1 : "32";
    if (slash)
        *slash = '\0';
    cJSON_DeleteItemFromObjectCaseSensitive(cfg, "net");
    cJSON *net = cJSON_AddObjectToObject(cfg, "net");
    cJSON_AddStringToObject(net, "if", "ukvmif0");
    cJSON_AddStringToObject(net, "cloner", "True");
    cJSON_AddStringToObject(net, "type", "inet");
    cJSON_AddStringToObject(net, "method", "static");
    cJSON_AddStringToObject(net, "addr", addr);
    cJSON_AddStringToObject(net, "mask", mask);
    if (gw[0])
        cJSON_AddStringToObject(net, "gw", gw);
    char *out = cJSON_PrintUnformatted(cfg);
    cJSON_Delete(cfg);
    int rc = 0;
    if (!out || strlen(out) >= len)
        rc = ur_errf(err, -E2BIG, "the rumprun configuration is too long");
    else
        strcpy(cmdline, out);
    free(out);
    return rc;
}

int guest_net_args(const char *type, const struct ur_net_iface *ifc, char *cmdline, size_t len,
                   struct ur_err *err)
{
    char cidr[32], gw[16];
    ur_net_guest_ipv4(ifc, cidr, sizeof(cidr), gw, sizeof(gw));
    if (strcmp(type, "rumprun") == 0)
        return rumprun_config(cmdline, len, cidr, gw, err);
    if (strcmp(type, "solo5") != 0 && strcmp(type, "mirage") != 0)
        return ur_errf(err, -ENOTSUP, "uniroot does not know how to give a %s guest its network "
                                      "address (it does for solo5, mirage and rumprun)", type);
    /* --ipv4=A/P [--ipv4-gateway=G] before the image's own arguments */
    char rest[4096];
    snprintf(rest, sizeof(rest), "%s", cmdline);
    cmdline[0] = '\0';
    int rc = cmdline_add(cmdline, len, "--ipv4=%s", cidr, err);
    if (rc == 0 && gw[0])
        rc = cmdline_add(cmdline, len, " --ipv4-gateway=%s", gw, err);
    if (rc == 0 && rest[0])
        rc = cmdline_add(cmdline, len, " %s", rest, err);
    return rc;
}

int core_net_attach(const struct oci_spec *s, const struct uk_desc *uk, const struct kernel_info *ki,
                    int dirfd, struct core_net *n, char *cmdline, size_t len, struct ur_err *err)
{
    n->dirfd = dirfd;
    n->n = 0;
    for (unsigned i = 0; i < ki->ndev; i++) {
        if (!ki->dev[i].net)
            continue;
        if (n->n >= CORE_NET_MAX)
            return ur_errf(err, -ENOTSUP, "%s declares more than %d network devices", uk->binary,
                           CORE_NET_MAX);
        snprintf(n->dev[n->n].name, sizeof(n->dev[0].name), "%s", ki->dev[i].name);
        n->dev[n->n++].fd = -1;
    }
    const char *ns = netns_path(s);
    if (n->n == 0) {
        log_info("network: %s declares no network device: no tap, the guest runs without network",
                 uk->binary);
        return 0;
    }
    if (!ns)
        return ur_errf(err, -ENOTSUP, "%s needs network device \"%s\", but the spec names no network "
                                      "namespace (linux.namespaces: network with a path): the guest "
                                      "cannot start without its device", uk->binary, n->dev[0].name);
    for (unsigned i = 0; i < n->n; i++) {
        struct save_ctx sc = {n, i};
        struct ur_net_attach_opts o = {.netns = ns, .save = save_cb, .save_ctx = &sc};
        int rc = ur_net_attach(&o, &n->dev[i].st, &n->dev[i].fd, err);
        if (rc < 0) {
            ur_err_wrap(err, "network device \"%s\" of %s in %s", n->dev[i].name, uk->binary, ns);
            n->n = i + 1; /* its record, whatever the attach left, is undone with the others */
            return rc;
        }
        const struct ur_net_iface *ifc = &n->dev[i].st.iface;
        const uint8_t *m = ifc->mac;
        snprintf(n->dev[i].mac, sizeof(n->dev[i].mac), "%02x:%02x:%02x:%02x:%02x:%02x", m[0], m[1],
                 m[2], m[3], m[4], m[5]);
        char cidr[32], gw[16];
        ur_net_guest_ipv4(ifc, cidr, sizeof(cidr), gw, sizeof(gw));
        log_info("network: device %s is tap %s on %s in %s: the guest is %s (gateway %s, MAC %s)",
                 n->dev[i].name, n->dev[i].st.tap, ifc->name, ns, cidr, gw[0] ? gw : "none",
                 n->dev[i].mac);
        /* the guest's command line carries the first device's address */
        if (i == 0 && (rc = guest_net_args(uk->type, ifc, cmdline, len, err)) < 0)
            return rc;
    }
    return 0;
}

/* Undo the devices of one record (last first); every one is tried. */
static int undo_states(const struct ur_net_state *st, unsigned n, struct ur_err *err)
{
    int rc = 0;
    for (unsigned i = n; i-- > 0;) {
        struct ur_err e;
        int r = ur_net_undo(&st[i], &e);
        if (r < 0 && rc == 0) {
            rc = r;
            *err = e;
        }
    }
    return rc;
}

void core_net_close(struct core_net *n)
{
    for (unsigned i = 0; i < n->n; i++)
        if (n->dev[i].fd >= 0) {
            close(n->dev[i].fd);
            n->dev[i].fd = -1;
        }
}

void core_net_abort(struct core_net *n)
{
    core_net_close(n);
    struct ur_net_state st[CORE_NET_MAX];
    for (unsigned i = 0; i < n->n; i++)
        st[i] = n->dev[i].st;
    struct ur_err e;
    if (undo_states(st, n->n, &e) < 0)
        log_warn("network: undo after a failed create: %s", e.msg);
}

int core_net_undo(int dirfd, struct ur_err *err)
{
    char *txt = NULL;
    size_t len;
    int rc = ur_read_file(dirfd, NET_FILE, 1 << 20, &txt, &len, err);
    if (rc == -ENOENT)
        return 0; /* no net device, or nothing recorded yet */
    if (rc < 0)
        return ur_err_wrap(err, "network state");
    cJSON *root = cJSON_Parse(txt);
    free(txt);
    const cJSON *arr = cJSON_GetObjectItemCaseSensitive(root, "devices"), *d;
    if (!cJSON_IsArray(arr)) {
        cJSON_Delete(root);
        return ur_errf(err, -EINVAL, "network state %s: no devices", NET_FILE);
    }
    struct ur_net_state st[CORE_NET_MAX];
    unsigned n = 0;
    cJSON_ArrayForEach(d, arr) {
        char *one = n < CORE_NET_MAX ? cJSON_PrintUnformatted(cJSON_GetObjectItemCaseSensitive(d, "state")) : NULL;
        rc = one ? ur_net_state_from_json(one, &st[n], err) : ur_errf(err, -EINVAL, "network state: bad device");
        free(one);
        if (rc < 0) {
            cJSON_Delete(root);
            return ur_err_wrap(err, "network state %s", NET_FILE);
        }
        n++;
    }
    cJSON_Delete(root);
    if ((rc = undo_states(st, n, err)) < 0)
        return ur_err_wrap(err, "cannot undo the container's network");
    log_info("network: undone %u device%s (taps, qdiscs; the interfaces' addresses are back)", n,
             n == 1 ? "" : "s");
    return unlinkat(dirfd, NET_FILE, 0) < 0 && errno != ENOENT ? ur_errf_sys(err, -errno, "unlink %s", NET_FILE) : 0;
}
