/* test_common_ukbundle.c: the one definition of a unikernel bundle
 * (common/ukbundle.h): which keys are a description, when urunc.json names
 * a type, and that "no urunc.json" (0) is told apart from "one, refused"
 * (negative) without following anything. The agent's use of it is in
 * agent_bundle_test.c, the runtime's in runtime_hostile.sh. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ukbundle.h"

static void test_keys(void **state)
{
    (void)state;
    assert_true(ur_uk_is_key(UR_UK_TYPE_KEY));
    assert_true(ur_uk_is_key(UR_UK_PREFIX "hypervisor"));
    assert_true(ur_uk_is_key(UR_UK_PREFIX "anythingElse"));
    assert_false(ur_uk_is_key("com.urunc.unikernel"));
    assert_false(ur_uk_is_key("dev.uniroot.rootfs"));
    assert_false(ur_uk_is_key("xcom.urunc.unikernel.unikernelType"));
    assert_false(ur_uk_is_key(NULL));
}

static void test_names_type(void **state)
{
    (void)state;
    struct ur_err err;
    assert_int_equal(ur_urunc_json_names_type("{\"" UR_UK_TYPE_KEY "\":\"c29sbzU=\"}", &err), 1);
    assert_int_equal(ur_urunc_json_names_type("{\"" UR_UK_TYPE_KEY "\":\"\"}", &err), 0);
    assert_int_equal(ur_urunc_json_names_type("{\"" UR_UK_TYPE_KEY "\":\"==\"}", &err), 0);
    assert_int_equal(ur_urunc_json_names_type("{\"" UR_UK_TYPE_KEY "\":5}", &err), 0);
    assert_int_equal(ur_urunc_json_names_type("{\"" UR_UK_PREFIX "hypervisor\":\"aHZ0\"}", &err), 0);
    assert_int_equal(ur_urunc_json_names_type("{}", &err), 0);
    assert_int_equal(ur_urunc_json_names_type("[]", &err), -EINVAL);
    assert_int_equal(ur_urunc_json_names_type("{", &err), -EINVAL);
    assert_int_equal(ur_urunc_json_names_type("{\"" UR_UK_TYPE_KEY "\":\"c29sbzU=\",\"a\":\"\\u0000\"}", &err),
                     -EINVAL);
    assert_non_null(strstr(err.msg, "NUL"));
}

static void test_open(void **state)
{
    (void)state;
    char top[] = "/tmp/ur-ukbundle-test.XXXXXX";
    assert_non_null(mkdtemp(top));
    int rootfd = open(top, O_PATH | O_DIRECTORY | O_CLOEXEC);
    assert_true(rootfd >= 0);
    struct ur_err err;
    char *json = NULL;
    int fd = -1;
    assert_int_equal(ur_urunc_json_open(rootfd, &fd, &err), 0); /* none: not a description */
    char p[128];
    snprintf(p, sizeof(p), "%s/" UR_URUNC_JSON, top);
    assert_int_equal(symlink("/nonexistent", p), 0); /* there, but dangling: refused */
    assert_true(ur_urunc_json_open(rootfd, &fd, &err) < 0);
    unlink(p);
    FILE *f = fopen(p, "w");
    assert_non_null(f);
    fputs("{\"" UR_UK_TYPE_KEY "\":\"c29sbzU=\"}", f);
    fclose(f);
    assert_int_equal(ur_urunc_json_read(rootfd, &json, &err), 1);
    assert_int_equal(ur_urunc_json_names_type(json, &err), 1);
    free(json);
    assert_int_equal(truncate(p, UR_URUNC_JSON_MAX + 1), 0); /* past the bound: refused */
    assert_true(ur_urunc_json_read(rootfd, &json, &err) < 0);
    unlink(p);
    close(rootfd);
    assert_int_equal(rmdir(top), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_keys),
        cmocka_unit_test(test_names_type),
        cmocka_unit_test(test_open),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
