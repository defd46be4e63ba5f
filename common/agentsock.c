/* agentsock.c: the agent socket's path (see agentsock.h). */
#include "agentsock.h"

#include <stdlib.h>

const char *ur_agent_socket_path(void)
{
    const char *s = getenv(UR_AGENT_SOCKET_ENV);
    return s && *s ? s : UR_AGENT_SOCKET_DEFAULT;
}
