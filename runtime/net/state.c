/* state.c: struct ur_net_state as JSON (cJSON), the record a runtime keeps
 * in its container state so delete can undo exactly what attach made:
 *
 *   {"version":1,"netns":"/run/netns/x",
 *    "interface":{"name":"eth0","ifindex":2,"mac":"..","mtu":1500,"gateway":"10.0.0.1"},
 *    "removed_addresses":[{"local":"10.0.0.2","address":"10.0.0.2","prefix":24,
 *                          "broadcast":"10.0.0.255","scope":0,"flags":128,"label":"eth0"}],
 *    "removed_routes":[{"dst":"0.0.0.0","dst_len":0,"gateway":"10.0.0.1","prefsrc":"0.0.0.0",
 *                       "table":254,"priority":0,"protocol":4,"scope":0,"type":1}],
 *    "tap":{"name":"urt1a2b3c4d","ifindex":5},
 *    "qdiscs":[{"dev":"urt1a2b3c4d","ifindex":5,"parent":"ingress"},
 *              {"dev":"eth0","ifindex":2,"parent":"ingress"}]}
 *
 * "removed_*" are absent until the addresses are (to be) removed, "tap"
 * until a name is chosen, a qdisc until it is (to be) added. */
#include "priv.h"

#include <arpa/inet.h>
#include <cjson/cJSON.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>


static cJSON *ip(uint32_t a)
{
    char b[16];
    return cJSON_CreateString(net_ip4_str(a, b));
}

static void add_num(cJSON *o, const char *k, double v)
{
    cJSON_AddItemToObject(o, k, cJSON_CreateNumber(v));
}

int ur_net_state_to_json(const struct ur_net_state *st, char **out, struct ur_err *err)
{
    const struct ur_net_iface *c = &st->iface;
    cJSON *root = cJSON_CreateObject(), *ifc, *arr, *o;
    char mac[18];

    *out = NULL;
    if (!root)
        return ur_errf(err, -ENOMEM, "out of memory");
    add_num(root, "version", st->version);
    cJSON_AddItemToObject(root, "netns", cJSON_CreateString(st->netns));
    ifc = cJSON_AddObjectToObject(root, "interface");
    snprintf(mac, sizeof(mac), "%02x:%02x:%02x:%02x:%02x:%02x", c->mac[0], c->mac[1], c->mac[2],
             c->mac[3], c->mac[4], c->mac[5]);
    if (ifc) {
        cJSON_AddItemToObject(ifc, "name", cJSON_CreateString(c->name));
        add_num(ifc, "ifindex", c->ifindex);
        cJSON_AddItemToObject(ifc, "mac", cJSON_CreateString(mac));
        add_num(ifc, "mtu", c->mtu);
        cJSON_AddItemToObject(ifc, "gateway", ip(c->gateway));
    }
    if (st->addrs_taken && (arr = cJSON_AddArrayToObject(root, "removed_addresses"))) {
        for (int i = 0; i < c->naddr; i++) {
            const struct ur_net_addr *a = &c->addr[i];
            cJSON_AddItemToArray(arr, o = cJSON_CreateObject());
            cJSON_AddItemToObject(o, "local", ip(a->local));
            cJSON_AddItemToObject(o, "address", ip(a->address));
            add_num(o, "prefix", a->prefix);
            cJSON_AddItemToObject(o, "broadcast", ip(a->broadcast));
            add_num(o, "scope", a->scope);
            add_num(o, "flags", a->flags);
            cJSON_AddItemToObject(o, "label", cJSON_CreateString(a->label));
        }
    }
    if (st->addrs_taken && (arr = cJSON_AddArrayToObject(root, "removed_routes"))) {
        for (int i = 0; i < c->nroute; i++) {
            const struct ur_net_route *r = &c->route[i];
            cJSON_AddItemToArray(arr, o = cJSON_CreateObject());
            cJSON_AddItemToObject(o, "dst", ip(r->dst));
            add_num(o, "dst_len", r->dst_len);
            cJSON_AddItemToObject(o, "gateway", ip(r->gateway));
            cJSON_AddItemToObject(o, "prefsrc", ip(r->prefsrc));
            add_num(o, "table", r->table);
            add_num(o, "priority", r->priority);
            add_num(o, "protocol", r->protocol);
            add_num(o, "scope", r->scope);
            add_num(o, "type", r->type);
        }
    }
    if (st->tap[0] && (o = cJSON_AddObjectToObject(root, "tap"))) {
        cJSON_AddItemToObject(o, "name", cJSON_CreateString(st->tap));
        add_num(o, "ifindex", st->tap_ifindex);
    }
    if ((arr = cJSON_AddArrayToObject(root, "qdiscs"))) {
        for (int i = 0; i < 2; i++) {
            if (!(i ? st->qdisc_iface : st->qdisc_tap))
                continue;
            cJSON_AddItemToArray(arr, o = cJSON_CreateObject());
            cJSON_AddItemToObject(o, "dev", cJSON_CreateString(i ? c->name : st->tap));
            add_num(o, "ifindex", i ? c->ifindex : st->tap_ifindex);
            cJSON_AddItemToObject(o, "parent", cJSON_CreateString("ingress"));
        }
    }
    *out = cJSON_PrintUnformatted(root);
    cJSON_Delete(root);
    return *out ? 0 : ur_errf(err, -ENOMEM, "out of memory");
}

/* ---- reading: every field checked; the first bad one is named */

struct rd {
    struct ur_err *err;
    int rc;
};

static const cJSON *field(struct rd *r, const cJSON *o, const char *k, bool want_str)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);

    if (r->rc == 0 && (!v || (want_str ? !cJSON_IsString(v) : !cJSON_IsNumber(v))))
        r->rc = ur_errf(r->err, -EINVAL, "network state: \"%s\" missing or not a %s", k,
                        want_str ? "string" : "number");
    return r->rc ? NULL : v;
}

static long num(struct rd *r, const cJSON *o, const char *k, long lo, long hi)
{
    const cJSON *v = field(r, o, k, false);

    if (!v)
        return 0;
    if (v->valuedouble < (double)lo || v->valuedouble > (double)hi ||
        v->valuedouble != (double)(long)v->valuedouble) {
        r->rc = ur_errf(r->err, -EINVAL, "network state: \"%s\" out of range", k);
        return 0;
    }
    return (long)v->valuedouble;
}

static void str(struct rd *r, const cJSON *o, const char *k, char *dst, size_t cap)
{
    const cJSON *v = field(r, o, k, true);

    if (v && (size_t)snprintf(dst, cap, "%s", v->valuestring) >= cap)
        r->rc = ur_errf(r->err, -EINVAL, "network state: \"%s\" too long", k);
}

static uint32_t addr(struct rd *r, const cJSON *o, const char *k)
{
    const cJSON *v = field(r, o, k, true);
    struct in_addr a = { 0 };

    if (v && inet_pton(AF_INET, v->valuestring, &a) != 1)
        r->rc = ur_errf(r->err, -EINVAL, "network state: \"%s\" is not an IPv4 address", k);
    return a.s_addr;
}

static const cJSON *array(struct rd *r, const cJSON *o, const char *k, int max)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);

    if (!v)
        return NULL;
    if (r->rc == 0 && (!cJSON_IsArray(v) || cJSON_GetArraySize(v) > max))
        r->rc = ur_errf(r->err, -EINVAL, "network state: \"%s\" not an array of at most %d", k, max);
    return r->rc ? NULL : v;
}

int ur_net_state_from_json(const char *json, struct ur_net_state *st, struct ur_err *err)
{
    struct rd r = { .err = err };
    struct ur_net_iface *c = &st->iface;
    const cJSON *root, *ifc, *arr, *o;
    char mac[18] = "";
    unsigned m[6];

    memset(st, 0, sizeof(*st));
    if (!(root = cJSON_Parse(json)) || !cJSON_IsObject(root)) {
        cJSON_Delete((cJSON *)root);
        return ur_errf(err, -EINVAL, "network state: not a JSON object");
    }
    st->version = (int)num(&r, root, "version", UR_NET_STATE_VERSION, UR_NET_STATE_VERSION);
    str(&r, root, "netns", st->netns, sizeof(st->netns));
    ifc = cJSON_GetObjectItemCaseSensitive(root, "interface");
    if (!r.rc && !cJSON_IsObject(ifc))
        r.rc = ur_errf(err, -EINVAL, "network state: \"interface\" missing");
    if (!r.rc) {
        str(&r, ifc, "name", c->name, sizeof(c->name));
        c->ifindex = (int)num(&r, ifc, "ifindex", 0, 0x7fffffff);
        str(&r, ifc, "mac", mac, sizeof(mac));
        if (!r.rc && sscanf(mac, "%2x:%2x:%2x:%2x:%2x:%2x", &m[0], &m[1], &m[2], &m[3], &m[4], &m[5]) != 6)
            r.rc = ur_errf(err, -EINVAL, "network state: \"mac\" is not a MAC address");
        for (int i = 0; !r.rc && i < 6; i++)
            c->mac[i] = (uint8_t)m[i];
        c->mtu = (unsigned)num(&r, ifc, "mtu", 0, 65535);
        c->gateway = addr(&r, ifc, "gateway");
    }
    if ((arr = array(&r, root, "removed_addresses", UR_NET_MAX_ADDRS))) {
        st->addrs_taken = true;
        cJSON_ArrayForEach(o, arr) {
            struct ur_net_addr *a = &c->addr[c->naddr++];
            a->local = addr(&r, o, "local");
            a->address = addr(&r, o, "address");
            a->prefix = (uint8_t)num(&r, o, "prefix", 0, 32);
            a->broadcast = addr(&r, o, "broadcast");
            a->scope = (uint8_t)num(&r, o, "scope", 0, 255);
            a->flags = (uint32_t)num(&r, o, "flags", 0, 0xffffffffL);
            str(&r, o, "label", a->label, sizeof(a->label));
        }
    }
    if ((arr = array(&r, root, "removed_routes", UR_NET_MAX_ROUTES))) {
        cJSON_ArrayForEach(o, arr) {
            struct ur_net_route *rt = &c->route[c->nroute++];
            rt->dst = addr(&r, o, "dst");
            rt->dst_len = (uint8_t)num(&r, o, "dst_len", 0, 32);
            rt->gateway = addr(&r, o, "gateway");
            rt->prefsrc = addr(&r, o, "prefsrc");
            rt->table = (uint32_t)num(&r, o, "table", 0, 0xffffffffL);
            rt->priority = (uint32_t)num(&r, o, "priority", 0, 0xffffffffL);
            rt->protocol = (uint8_t)num(&r, o, "protocol", 0, 255);
            rt->scope = (uint8_t)num(&r, o, "scope", 0, 255);
            rt->type = (uint8_t)num(&r, o, "type", 0, 255);
        }
    }
    if (!r.rc && (o = cJSON_GetObjectItemCaseSensitive(root, "tap"))) {
        str(&r, o, "name", st->tap, sizeof(st->tap));
        st->tap_ifindex = (int)num(&r, o, "ifindex", 0, 0x7fffffff);
    }
    if ((arr = array(&r, root, "qdiscs", 2))) {
        cJSON_ArrayForEach(o, arr) {
            int ix = (int)num(&r, o, "ifindex", 0, 0x7fffffff);
            char dev[IFNAMSIZ] = "", parent[16] = "";
            str(&r, o, "dev", dev, sizeof(dev));
            str(&r, o, "parent", parent, sizeof(parent));
            if (r.rc)
                break;
            if (strcmp(parent, "ingress") != 0)
                r.rc = ur_errf(err, -EINVAL, "network state: qdisc parent \"%s\" unknown", parent);
            else if (ix == c->ifindex && ix != 0 && !strcmp(dev, c->name))
                st->qdisc_iface = true;
            else if (st->tap[0] && !strcmp(dev, st->tap) && ix == st->tap_ifindex)
                st->qdisc_tap = true;
            else
                r.rc = ur_errf(err, -EINVAL, "network state: a qdisc on %s (%d), neither the "
                               "interface nor the tap", dev, ix);
        }
    }
    cJSON_Delete((cJSON *)root);
    if (r.rc)
        memset(st, 0, sizeof(*st));
    return r.rc;
}
