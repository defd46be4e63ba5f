/* test_common_agentsock.c: the agent socket's one path rule (common/
 * agentsock.h), which the agent, the runtime and unirootctl all take:
 * $UNIROOT_AGENT_SOCKET when set and not empty, else the default. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <stdlib.h>

#include "agentsock.h"

static void test_path(void **state)
{
    (void)state;
    unsetenv(UR_AGENT_SOCKET_ENV);
    assert_string_equal(ur_agent_socket_path(), "/run/uniroot/unirootd.sock");
    setenv(UR_AGENT_SOCKET_ENV, "", 1);
    assert_string_equal(ur_agent_socket_path(), UR_AGENT_SOCKET_DEFAULT);
    setenv(UR_AGENT_SOCKET_ENV, "/tmp/x/agent.sock", 1);
    assert_string_equal(ur_agent_socket_path(), "/tmp/x/agent.sock");
    setenv("UNIROOTD_SOCKET", "/tmp/old.sock", 1); /* the old second name means nothing now */
    assert_string_equal(ur_agent_socket_path(), "/tmp/x/agent.sock");
    assert_string_equal(UR_AGENT_SOCKET_ENV, "UNIROOT_AGENT_SOCKET");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_path),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
