/* agent_matcher_test.c: unirootd's container-id matcher table. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "matcher.h"

static const char *const dirs[] = {"/run/containerd", "/var/run/other/"};

static void test_containerd_v2(void **state)
{
    (void)state;
    struct ur_match m;
    assert_int_equal(matcher_match_target("/run/containerd/io.containerd.runtime.v2.task/k8s.io/abc123/rootfs",
                                          dirs, 2, &m), 1);
    assert_string_equal(m.layout, "containerd-v2");
    assert_string_equal(m.namespace_, "k8s.io");
    assert_string_equal(m.id, "abc123");
    assert_string_equal(m.bundle, "/run/containerd/io.containerd.runtime.v2.task/k8s.io/abc123");
    /* trailing slash, second state dir given with a slash */
    assert_int_equal(matcher_match_target("/var/run/other/io.containerd.runtime.v2.task/default/c1/rootfs/",
                                          dirs, 2, &m), 1);
    assert_string_equal(m.bundle, "/var/run/other/io.containerd.runtime.v2.task/default/c1");
    assert_string_equal(m.id, "c1");
}

static void test_containerd_v1(void **state)
{
    (void)state;
    struct ur_match m;
    assert_int_equal(matcher_match_target("/run/containerd/io.containerd.runtime.v1.linux/moby/x/rootfs", dirs, 2, &m), 1);
    assert_string_equal(m.layout, "containerd-v1");
    assert_string_equal(m.namespace_, "moby");
}

static void test_rejects(void **state)
{
    (void)state;
    struct ur_match m;
    const char *bad[] = {
        "/run/containerd/io.containerd.runtime.v2.task/default/c1/rootfs/sub",
        "/run/containerd/io.containerd.runtime.v2.task/default/c1/rootfsx",
        "/run/containerd/io.containerd.runtime.v2.task/default/c1",
        "/run/containerd/io.containerd.runtime.v2.task//c1/rootfs",
        "/run/containerd/io.containerd.runtime.v2.task/../c1/rootfs",
        "/run/containerd/io.containerd.runtime.v2.task/default/../rootfs",
        "/run/containerdX/io.containerd.runtime.v2.task/default/c1/rootfs", /* not under the dir */
        "/elsewhere/io.containerd.runtime.v2.task/default/c1/rootfs",
        "/run/containerd/tasks/default/c1/rootfs",
        "relative/io.containerd.runtime.v2.task/default/c1/rootfs",
        "",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        assert_int_equal(matcher_match_target(bad[i], dirs, 2, &m), 0);
    assert_int_equal(matcher_match_target(NULL, dirs, 2, &m), 0);
    /* over-long id */
    char longp[600];
    memset(longp, 0, sizeof(longp));
    strcpy(longp, "/run/containerd/io.containerd.runtime.v2.task/default/");
    memset(longp + strlen(longp), 'a', 300);
    strcat(longp, "/rootfs");
    assert_int_equal(matcher_match_target(longp, dirs, 2, &m), 0);
}

static void test_bundle(void **state)
{
    (void)state;
    struct ur_match m;
    assert_int_equal(matcher_match_bundle("/run/containerd/io.containerd.runtime.v2.task/default/c9/", dirs, 2, &m), 1);
    assert_string_equal(m.id, "c9");
    assert_string_equal(m.bundle, "/run/containerd/io.containerd.runtime.v2.task/default/c9");
    assert_int_equal(matcher_match_bundle("/run/containerd/io.containerd.runtime.v2.task/default", dirs, 2, &m), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_containerd_v2),
        cmocka_unit_test(test_containerd_v1),
        cmocka_unit_test(test_rejects),
        cmocka_unit_test(test_bundle),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
