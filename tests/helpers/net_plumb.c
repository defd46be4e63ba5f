/* net_plumb.c: build/bin/net-plumb, the test tool that drives runtime/net
 * as the runtime will (test helper only: not installed).
 *
 *   net-plumb list NETNS
 *       one line per interface: name, ifindex, mac, mtu, ipv4, gateway,
 *       and "usable" or "unusable: WHY"
 *   net-plumb setup NETNS STATE [--iface=NAME] [--crash-at=N] [--fail-at=N] [-- CMD ARGS...]
 *       ur_net_attach, writing STATE (write-temp + rename) at every save;
 *       --crash-at=N ends the process with status 7 right after the Nth
 *       save (a crash between two steps); --fail-at=N makes the Nth save
 *       fail instead (so the attach must undo what it made itself). Prints "tap=.. ifindex=.. iface=..
 *       mac=.. ipv4=.. gateway=..". With CMD, the tap fd is passed down
 *       (close-on-exec cleared) and CMD is executed in this process with
 *       "{fd}", "{mac}", "{ipv4}", "{gw}", "{tap}" in its arguments replaced
 *       (so CMD holds the tap, as a monitor would); without CMD the tool
 *       exits and the tap, not persistent, goes with its fd.
 *   net-plumb undo STATE
 *       ur_net_undo of the description in STATE.
 * Exit status: 0, 1 on an error (one line on stderr), 2 on bad usage.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "err.h"
#include "fileio.h"
#include "net.h"

struct saver {
    const char *path;
    int crash_at, fail_at, calls;
};

static int save_state(const struct ur_net_state *st, void *ctx, struct ur_err *err)
{
    struct saver *s = ctx;
    char *json;
    int rc = ur_net_state_to_json(st, &json, err);

    if (rc < 0)
        return rc;
    if (s->calls + 1 == s->fail_at) {
        free(json);
        return ur_errf(err, -EIO, "save %d fails, as asked", ++s->calls);
    }
    rc = ur_write_atomic(AT_FDCWD, s->path, json, strlen(json), 0600, err);
    free(json);
    if (rc == 0 && ++s->calls == s->crash_at) {
        fprintf(stderr, "net-plumb: crashing after save %d, as asked\n", s->calls);
        _exit(7);
    }
    return rc;
}

static void fmt_mac(const uint8_t m[6], char out[18])
{
    snprintf(out, 18, "%02x:%02x:%02x:%02x:%02x:%02x", m[0], m[1], m[2], m[3], m[4], m[5]);
}

static int cmd_list(const char *netns, struct ur_err *err)
{
    static struct ur_net_iface ifc[UR_NET_MAX_IFACES];
    int n = ur_net_list(netns, ifc, UR_NET_MAX_IFACES, err);

    if (n < 0)
        return n;
    for (int i = 0; i < n; i++) {
        char mac[18], cidr[24], gw[16];
        fmt_mac(ifc[i].mac, mac);
        ur_net_guest_ipv4(&ifc[i], cidr, sizeof(cidr), gw, sizeof(gw));
        printf("%s ifindex=%d mac=%s mtu=%u ipv4=%s gateway=%s %s%s\n", ifc[i].name, ifc[i].ifindex,
               mac, ifc[i].mtu, cidr[0] ? cidr : "-", gw[0] ? gw : "-",
               ifc[i].unusable ? "unusable: " : "usable", ifc[i].unusable ? ifc[i].unusable : "");
    }
    return 0;
}

/* s with every {key} replaced (malloc'ed). */
static char *subst(const char *s, const char *const *keys, const char *const *vals, int n)
{
    size_t cap = strlen(s) * 4 + 256, len = 0;
    char *out = malloc(cap);

    if (!out)
        return NULL;
    while (*s) {
        int k;
        for (k = 0; k < n; k++)
            if (strncmp(s, keys[k], strlen(keys[k])) == 0)
                break;
        const char *add = k < n ? vals[k] : s;
        size_t alen = k < n ? strlen(vals[k]) : 1;
        if (len + alen + 1 > cap && !(out = realloc(out, cap = (len + alen + 1) * 2)))
            return NULL;
        memcpy(out + len, add, alen);
        len += alen;
        s += k < n ? strlen(keys[k]) : 1;
    }
    out[len] = '\0';
    return out;
}

static int cmd_setup(int argc, char **argv, struct ur_err *err)
{
    struct saver sv = { .path = argv[3] };
    struct ur_net_attach_opts o = { .netns = argv[2], .save = save_state, .save_ctx = &sv };
    struct ur_net_state st;
    char mac[18], cidr[24], gw[16], fdstr[16];
    int i, fd, rc;

    for (i = 4; i < argc && strcmp(argv[i], "--") != 0; i++) {
        if (strncmp(argv[i], "--iface=", 8) == 0)
            o.iface = argv[i] + 8;
        else if (strncmp(argv[i], "--crash-at=", 11) == 0)
            sv.crash_at = atoi(argv[i] + 11);
        else if (strncmp(argv[i], "--fail-at=", 10) == 0)
            sv.fail_at = atoi(argv[i] + 10);
        else
            return ur_errf(err, -EINVAL, "unknown option %s", argv[i]);
    }
    if ((rc = ur_net_attach(&o, &st, &fd, err)) < 0)
        return rc;
    fmt_mac(st.iface.mac, mac);
    ur_net_guest_ipv4(&st.iface, cidr, sizeof(cidr), gw, sizeof(gw));
    printf("tap=%s ifindex=%d iface=%s mac=%s ipv4=%s gateway=%s\n", st.tap, st.tap_ifindex,
           st.iface.name, mac, cidr, gw[0] ? gw : "-");
    fflush(stdout);
    if (i >= argc - 1)
        return 0;
    const char *keys[] = { "{fd}", "{mac}", "{ipv4}", "{gw}", "{tap}" };
    const char *vals[] = { fdstr, mac, cidr, gw, st.tap };
    snprintf(fdstr, sizeof(fdstr), "%d", fd);
    char **cargv = calloc((size_t)(argc - i), sizeof(char *));
    if (!cargv)
        return ur_errf(err, -ENOMEM, "out of memory");
    for (int k = i + 1; k < argc; k++)
        if (!(cargv[k - i - 1] = subst(argv[k], keys, vals, 5)))
            return ur_errf(err, -ENOMEM, "out of memory");
    if (fcntl(fd, F_SETFD, 0) < 0)
        return ur_errf_sys(err, -errno, "clear close-on-exec of the tap fd");
    execvp(cargv[0], cargv);
    return ur_errf_sys(err, -errno, "cannot run %s", cargv[0]);
}

static int cmd_undo(const char *path, struct ur_err *err)
{
    struct ur_net_state st;
    char *json;
    int rc = ur_read_file(AT_FDCWD, path, 1 << 20, &json, NULL, err);

    if (rc < 0)
        return rc;
    rc = ur_net_state_from_json(json, &st, err);
    free(json);
    if (rc < 0)
        return rc;
    if ((rc = ur_net_undo(&st, err)) < 0)
        return rc;
    printf("undone: %s%s%s\n", st.tap[0] ? "tap " : "", st.tap, st.addrs_taken ? ", addresses restored" : "");
    return 0;
}

int main(int argc, char **argv)
{
    struct ur_err err = { 0 };
    int rc;

    if (argc == 3 && strcmp(argv[1], "list") == 0)
        rc = cmd_list(argv[2], &err);
    else if (argc >= 4 && strcmp(argv[1], "setup") == 0)
        rc = cmd_setup(argc, argv, &err);
    else if (argc == 3 && strcmp(argv[1], "undo") == 0)
        rc = cmd_undo(argv[2], &err);
    else {
        fprintf(stderr, "usage: net-plumb list NETNS | setup NETNS STATE [--iface=NAME] "
                        "[--crash-at=N] [--fail-at=N] [-- CMD ARGS...] | undo STATE\n");
        return 2;
    }
    if (rc < 0) {
        fprintf(stderr, "net-plumb: %s\n", err.msg);
        return 1;
    }
    return 0;
}
