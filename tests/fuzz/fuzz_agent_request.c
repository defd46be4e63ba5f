/* fuzz_agent_request.c: libFuzzer target for the agent's socket protocol
 * (common/agentproto.c): the bytes a client sends, cut into lines as the
 * server cuts its input buffer (ur_agent_take_line), each line parsed by
 * ur_agent_req_parse. Every request is either a well-formed op or an error to
 * send back, and a well-formed one, built again by the clients' encoder
 * (ur_agent_req_line), parses to the same request. */
#include "fuzz_common.h"
#include "agentproto.h"

#define IN_MAX 65536 /* the server's input buffer */

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > IN_MAX)
        size = IN_MAX;
    char *in = malloc(size ? size : 1); /* exactly the bytes received: no NUL after them */
    memcpy(in, data, size);
    size_t len = size, off = 0, used;
    while ((used = ur_agent_take_line(in + off, len - off))) {
        FUZZ_CHECK(used <= len - off && in[off + used - 1] == '\0');
        const char *line = in + off;
        off += used;
        if (!line[0])
            continue;
        struct ur_agent_req r;
        ur_agent_req_parse(line, &r);
        switch (r.op) {
        case UR_AGENT_GET:
            FUZZ_CHECK(!r.error);
            if (r.bundle)
                FUZZ_CHECK(r.bundle[0] == '/' && !r.ns && !r.id);
            else
                FUZZ_CHECK(r.ns && r.id && r.ns[0] && r.id[0]);
            break;
        case UR_AGENT_LIST: case UR_AGENT_STATUS: case UR_AGENT_WATCH:
            FUZZ_CHECK(!r.error && !r.bundle && !r.ns && !r.id);
            break;
        case UR_AGENT_BAD:
            FUZZ_CHECK(r.error && r.error[0]);
            break;
        default:
            FUZZ_CHECK(!"unknown op value");
        }
        if (r.op != UR_AGENT_BAD) {
            char *again = ur_agent_req_line(&r);
            FUZZ_CHECK(again);
            size_t n = strlen(again);
            FUZZ_CHECK(ur_agent_take_line(again, n) == n); /* one line, newline last */
            struct ur_agent_req r2;
            ur_agent_req_parse(again, &r2);
            FUZZ_CHECK(r2.op == r.op && !r2.bundle == !r.bundle && !r2.ns == !r.ns);
            FUZZ_CHECK(!r.bundle || !strcmp(r.bundle, r2.bundle));
            FUZZ_CHECK(!r.ns || (!strcmp(r.ns, r2.ns) && !strcmp(r.id, r2.id)));
            ur_agent_req_free(&r2);
            free(again);
        }
        ur_agent_req_free(&r);
    }
    FUZZ_CHECK(!memchr(in + off, '\n', len - off)); /* the rest waits for more bytes */
    free(in);
    return 0;
}
