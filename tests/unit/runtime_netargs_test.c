/* runtime_netargs_test.c: unit tests of how a guest learns its network
 * (core_net.c guest_net_args: solo5 and mirage flags before the image's
 * arguments, rumprun's JSON "net", a type with no known way refused) and of
 * the taps on the Solo5 monitors' command line (--net:NAME=@FD --net-mac). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "backend.h"
#include "core.h"

/* eth0 10.0.0.5/24, default route via 10.0.0.1 (gw 0: none) */
static struct ur_net_iface iface(uint32_t gw)
{
    struct ur_net_iface i = {.naddr = 1, .gateway = gw};
    i.addr[0].local = i.addr[0].address = inet_addr("10.0.0.5");
    i.addr[0].prefix = 24;
    return i;
}

static void solo5_and_mirage(void **st)
{
    (void)st;
    struct ur_net_iface i = iface(inet_addr("10.0.0.1"));
    struct ur_err e;
    char cmd[256] = "a b";
    assert_int_equal(guest_net_args("solo5", &i, cmd, sizeof(cmd), &e), 0);
    assert_string_equal(cmd, "--ipv4=10.0.0.5/24 --ipv4-gateway=10.0.0.1 a b");
    strcpy(cmd, "");
    assert_int_equal(guest_net_args("mirage", &i, cmd, sizeof(cmd), &e), 0);
    assert_string_equal(cmd, "--ipv4=10.0.0.5/24 --ipv4-gateway=10.0.0.1");
    i = iface(0);
    strcpy(cmd, "x");
    assert_int_equal(guest_net_args("mirage", &i, cmd, sizeof(cmd), &e), 0);
    assert_string_equal(cmd, "--ipv4=10.0.0.5/24 x");
    char small[12] = "";
    assert_int_equal(guest_net_args("solo5", &i, small, sizeof(small), &e), -E2BIG);
}

static void rumprun(void **st)
{
    (void)st;
    struct ur_net_iface i = iface(inet_addr("10.0.0.1"));
    struct ur_err e;
    char cmd[512] = "redis-server /data/redis.conf";
    assert_int_equal(guest_net_args("rumprun", &i, cmd, sizeof(cmd), &e), 0);
    assert_string_equal(cmd, "{\"cmdline\":\"redis-server /data/redis.conf\",\"net\":{\"if\":\"ukvmif0\","
                             "\"cloner\":\"True\",\"type\":\"inet\",\"method\":\"static\","
                             "\"addr\":\"10.0.0.5\",\"mask\":\"24\",\"gw\":\"10.0.0.1\"}}");
    /* a JSON configuration of the image's own keeps its keys; "net" is ours */
    strcpy(cmd, "{\"cmdline\":\"x\",\"net\":{\"if\":\"old\"},\"blk\":{\"source\":\"etfs\"}}");
    i = iface(0);
    assert_int_equal(guest_net_args("rumprun", &i, cmd, sizeof(cmd), &e), 0);
    assert_string_equal(cmd, "{\"cmdline\":\"x\",\"blk\":{\"source\":\"etfs\"},\"net\":{\"if\":\"ukvmif0\","
                             "\"cloner\":\"True\",\"type\":\"inet\",\"method\":\"static\","
                             "\"addr\":\"10.0.0.5\",\"mask\":\"24\"}}");
}

static void unknown_type(void **st)
{
    (void)st;
    struct ur_net_iface i = iface(0);
    struct ur_err e;
    char cmd[64] = "";
    assert_int_equal(guest_net_args("includeos", &i, cmd, sizeof(cmd), &e), -ENOTSUP);
    assert_string_equal(e.msg, "uniroot does not know how to give a includeos guest its network address "
                               "(it does for solo5, mirage and rumprun)");
}

static void monitor_argv(void **st)
{
    (void)st;
    struct backend_launch l = {.monitor = "m", .ready_fd = 3, .start_fifo = "/f", .kernel_fd = 9,
                               .block_fd = 8, .cmdline = "--ipv4=10.0.0.5/24", .nnet = 2};
    l.net[0].name = "service", l.net[0].mac = "02:00:00:00:00:01", l.net[0].fd = 20;
    l.net[1].name = "admin", l.net[1].mac = "02:00:00:00:00:02", l.net[1].fd = 21;
    struct backend_cmd c;
    struct ur_err e;
    assert_int_equal(backend_spt.command(&backend_spt, &l, &c, &e), 0);
    char all[1024] = "";
    for (int i = 0; i < c.argc; i++)
        snprintf(all + strlen(all), sizeof(all) - strlen(all), "%s%s", i ? " " : "", c.argv[i]);
    assert_string_equal(all, "m --ready-fd=3 --start-fifo=/f --block:rootfs=/proc/self/fd/5 "
                             "--net:service=@6 --net-mac:service=02:00:00:00:00:01 "
                             "--net:admin=@7 --net-mac:admin=02:00:00:00:00:02 -- /proc/self/fd/4 "
                             "--ipv4=10.0.0.5/24");
    assert_int_equal(c.nkeep, 4);
    assert_int_equal(c.keep[2], 20);
    assert_int_equal(c.keep[3], 21);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(solo5_and_mirage),
        cmocka_unit_test(rumprun),
        cmocka_unit_test(unknown_type),
        cmocka_unit_test(monitor_argv),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
