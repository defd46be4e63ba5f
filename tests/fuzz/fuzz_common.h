/* fuzz_common.h: small helpers shared by the libFuzzer targets here. */
#ifndef UNIROOT_FUZZ_COMMON_H
#define UNIROOT_FUZZ_COMMON_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The input as a C string, as the product reads files (exact size + NUL). */
static inline char *fuzz_cstr(const uint8_t *data, size_t size)
{
    char *s = malloc(size + 1);
    if (!s)
        abort();
    memcpy(s, data, size);
    s[size] = '\0';
    return s;
}

/* A broken promise of the code under test: say which and stop (libFuzzer
 * keeps the input as a crash). */
#define FUZZ_CHECK(cond)                                                    \
    do {                                                                    \
        if (!(cond)) {                                                      \
            fprintf(stderr, "fuzz check failed: %s (%s:%d)\n", #cond,       \
                    __FILE__, __LINE__);                                    \
            abort();                                                        \
        }                                                                   \
    } while (0)

/* A failure must come with one non-empty, terminated message line. */
static inline void fuzz_check_err(int rc, const struct ur_err *e)
{
    if (rc >= 0)
        return;
    FUZZ_CHECK(memchr(e->msg, '\0', sizeof(e->msg)) != NULL);
    FUZZ_CHECK(e->msg[0] != '\0');
}

/* No control byte in s (the runtime refuses them in every unikernel field). */
static inline int fuzz_printable(const char *s)
{
    for (const unsigned char *p = (const unsigned char *)s; *p; p++)
        if (*p < 0x20 || *p == 0x7f)
            return 0;
    return 1;
}

#endif
