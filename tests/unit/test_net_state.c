/* test_net_state.c: runtime/net's state record survives JSON both ways
 * exactly (every field undo needs), partial states (a crash between steps)
 * read back with only what was made, and malformed or hostile records are
 * refused with a message naming the field. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "net.h"

static uint32_t ip(const char *s)
{
    struct in_addr a;
    assert_int_equal(inet_pton(AF_INET, s, &a), 1);
    return a.s_addr;
}

static void full_state(struct ur_net_state *st)
{
    memset(st, 0, sizeof(*st));
    st->version = UR_NET_STATE_VERSION;
    snprintf(st->netns, sizeof(st->netns), "/run/netns/cni-\"quoted\"\\x");
    snprintf(st->iface.name, sizeof(st->iface.name), "eth0");
    st->iface.ifindex = 2;
    memcpy(st->iface.mac, "\x02\xab\xcd\xef\x01\x23", 6);
    st->iface.mtu = 1450;
    st->iface.gateway = ip("10.0.0.1");
    st->iface.naddr = 2;
    st->iface.addr[0] = (struct ur_net_addr){ ip("10.0.0.2"), ip("10.0.0.2"), ip("10.0.0.255"), 24, 0, 0x80, "eth0" };
    st->iface.addr[1] = (struct ur_net_addr){ ip("10.1.0.2"), ip("10.1.0.2"), 0, 16, 0, 0x81, "eth0:1" };
    st->iface.nroute = 1;
    st->iface.route[0] = (struct ur_net_route){ 0, ip("10.0.0.1"), 0, 254, 100, 0, 4, 0, 1 };
    st->addrs_taken = true;
    snprintf(st->tap, sizeof(st->tap), "urt0badf00d");
    st->tap_ifindex = 7;
    st->qdisc_tap = st->qdisc_iface = true;
}

static void roundtrip(const struct ur_net_state *in)
{
    struct ur_net_state out;
    struct ur_err err = { 0 };
    char *json;

    assert_int_equal(ur_net_state_to_json(in, &json, &err), 0);
    assert_int_equal(ur_net_state_from_json(json, &out, &err), 0);
    assert_memory_equal(in, &out, sizeof(out));
    free(json);
}

static void test_full_roundtrip(void **s)
{
    struct ur_net_state st;
    (void)s;
    full_state(&st);
    roundtrip(&st);
}

/* What a crash after each step leaves: each prefix of the steps reads back as itself. */
static void test_partial_roundtrip(void **s)
{
    struct ur_net_state st, cut;
    (void)s;
    full_state(&st);
    for (int step = 0; step <= 4; step++) {
        cut = st;
        if (step < 4)
            cut.qdisc_iface = false;
        if (step < 3)
            cut.qdisc_tap = false;
        if (step < 2)
            cut.tap_ifindex = 0;
        if (step < 1) {
            memset(cut.tap, 0, sizeof(cut.tap));
            cut.addrs_taken = false;
            cut.iface.naddr = cut.iface.nroute = 0;
            memset(cut.iface.addr, 0, sizeof(cut.iface.addr));
            memset(cut.iface.route, 0, sizeof(cut.iface.route));
        }
        roundtrip(&cut);
    }
}

static void test_partial_json_fields(void **s)
{
    struct ur_net_state st;
    struct ur_err err = { 0 };
    char *json;
    (void)s;
    full_state(&st);
    st.addrs_taken = false;
    st.tap[0] = '\0';
    st.qdisc_tap = st.qdisc_iface = false;
    assert_int_equal(ur_net_state_to_json(&st, &json, &err), 0);
    assert_null(strstr(json, "removed_addresses"));
    assert_null(strstr(json, "\"tap\""));
    assert_non_null(strstr(json, "\"qdiscs\":[]"));
    free(json);
}

static void refused(const char *json, const char *want)
{
    struct ur_net_state st;
    struct ur_err err = { 0 };

    memset(&st, 0x5a, sizeof(st));
    assert_int_equal(ur_net_state_from_json(json, &st, &err), -EINVAL);
    if (!strstr(err.msg, want))
        fail_msg("'%s': message '%s' lacks '%s'", json, err.msg, want);
    assert_int_equal(st.version, 0);  /* nothing half-read is left behind */
    assert_int_equal(st.tap_ifindex, 0);
}

#define IFC "\"interface\":{\"name\":\"eth0\",\"ifindex\":2,\"mac\":\"02:00:00:00:00:01\",\"mtu\":1500,\"gateway\":\"10.0.0.1\"}"

static void test_refused(void **s)
{
    (void)s;
    refused("", "not a JSON object");
    refused("[]", "not a JSON object");
    refused("{\"version\":2,\"netns\":\"/x\"," IFC "}", "\"version\" out of range");
    refused("{\"version\":1," IFC "}", "\"netns\" missing");
    refused("{\"version\":1,\"netns\":\"/x\"}", "\"interface\" missing");
    refused("{\"version\":1,\"netns\":\"/x\",\"interface\":{\"name\":\"eth0\",\"ifindex\":-1}}", "\"ifindex\" out of range");
    refused("{\"version\":1,\"netns\":\"/x\",\"interface\":{\"name\":\"a-name-longer-than-ifnamsiz\",\"ifindex\":1}}", "\"name\" too long");
    refused("{\"version\":1,\"netns\":\"/x\",\"interface\":{\"name\":\"e\",\"ifindex\":1,\"mac\":\"zz\",\"mtu\":1,\"gateway\":\"1.2.3.4\"}}", "\"mac\" is not");
    refused("{\"version\":1,\"netns\":\"/x\",\"interface\":{\"name\":\"e\",\"ifindex\":1,\"mac\":\"02:00:00:00:00:01\",\"mtu\":1,\"gateway\":\"1.2.3\"}}", "\"gateway\" is not an IPv4");
    refused("{\"version\":1,\"netns\":\"/x\"," IFC ",\"removed_addresses\":{}}", "\"removed_addresses\" not an array");
    refused("{\"version\":1,\"netns\":\"/x\"," IFC ",\"removed_addresses\":[1,2,3,4,5,6,7,8,9]}", "at most 8");
    refused("{\"version\":1,\"netns\":\"/x\"," IFC ",\"removed_addresses\":[{\"local\":\"10.0.0.2\"}]}", "\"address\" missing");
    refused("{\"version\":1,\"netns\":\"/x\"," IFC ",\"removed_addresses\":[{\"local\":\"10.0.0.2\",\"address\":\"10.0.0.2\",\"prefix\":33}]}", "\"prefix\" out of range");
    refused("{\"version\":1,\"netns\":\"/x\"," IFC ",\"tap\":{\"name\":\"t\",\"ifindex\":1.5}}", "\"ifindex\" out of range");
    /* a qdisc on anything but the interface or the tap would make undo touch a stranger */
    refused("{\"version\":1,\"netns\":\"/x\"," IFC ",\"qdiscs\":[{\"dev\":\"eth1\",\"ifindex\":3,\"parent\":\"ingress\"}]}", "neither the interface nor the tap");
    refused("{\"version\":1,\"netns\":\"/x\"," IFC ",\"qdiscs\":[{\"dev\":\"eth0\",\"ifindex\":2,\"parent\":\"root\"}]}", "parent \"root\" unknown");
}

static void test_guest_ipv4(void **s)
{
    struct ur_net_state st;
    char cidr[24], gw[16];
    (void)s;
    full_state(&st);
    ur_net_guest_ipv4(&st.iface, cidr, sizeof(cidr), gw, sizeof(gw));
    assert_string_equal(cidr, "10.0.0.2/24");
    assert_string_equal(gw, "10.0.0.1");
    st.iface.naddr = 0;
    st.iface.gateway = 0;
    ur_net_guest_ipv4(&st.iface, cidr, sizeof(cidr), gw, sizeof(gw));
    assert_string_equal(cidr, "");
    assert_string_equal(gw, "");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_full_roundtrip),
        cmocka_unit_test(test_partial_roundtrip),
        cmocka_unit_test(test_partial_json_fields),
        cmocka_unit_test(test_refused),
        cmocka_unit_test(test_guest_ipv4),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
