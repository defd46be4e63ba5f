/* fuzz_agent_request.c: libFuzzer target for the agent's socket protocol
 * (userspace/request.c): the bytes a client sends, cut into lines as the
 * server cuts its input buffer (request_take_line), each line parsed by
 * request_parse. Every request is either a well-formed op or an error to
 * send back. */
#include "fuzz_common.h"
#include "request.h"

#define IN_MAX 65536 /* the server's input buffer */

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > IN_MAX)
        size = IN_MAX;
    char *in = malloc(size ? size : 1); /* exactly the bytes received: no NUL after them */
    memcpy(in, data, size);
    size_t len = size, off = 0, used;
    while ((used = request_take_line(in + off, len - off))) {
        FUZZ_CHECK(used <= len - off && in[off + used - 1] == '\0');
        const char *line = in + off;
        off += used;
        if (!line[0])
            continue;
        struct request r;
        request_parse(line, &r);
        switch (r.op) {
        case REQ_GET:
            FUZZ_CHECK(!r.error);
            if (r.bundle)
                FUZZ_CHECK(r.bundle[0] == '/' && !r.ns && !r.id);
            else
                FUZZ_CHECK(r.ns && r.id && r.ns[0] && r.id[0]);
            break;
        case REQ_LIST: case REQ_STATUS: case REQ_WATCH:
            FUZZ_CHECK(!r.error && !r.bundle && !r.ns && !r.id);
            break;
        case REQ_BAD:
            FUZZ_CHECK(r.error && r.error[0]);
            break;
        default:
            FUZZ_CHECK(!"unknown op value");
        }
        request_free(&r);
    }
    FUZZ_CHECK(!memchr(in + off, '\n', len - off)); /* the rest waits for more bytes */
    free(in);
    return 0;
}
