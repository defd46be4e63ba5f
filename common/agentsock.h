/* agentsock.h: where unirootd's query socket is, the one definition for the
 * agent (where it listens), the runtime (where it asks) and unirootctl.
 *
 * The path is $UNIROOT_AGENT_SOCKET when that is set and not empty, else
 * /run/uniroot/unirootd.sock. The agent's --socket (or `socket =` in its
 * config file) and unirootctl's --socket still win over both. */
#ifndef UNIROOT_COMMON_AGENTSOCK_H
#define UNIROOT_COMMON_AGENTSOCK_H

#define UR_AGENT_SOCKET_ENV "UNIROOT_AGENT_SOCKET"
#define UR_AGENT_SOCKET_DEFAULT "/run/uniroot/unirootd.sock"

/* The socket path from the environment, or the default. */
const char *ur_agent_socket_path(void);

#endif
