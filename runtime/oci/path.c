/* path.c: finding a program by name in the directories of $PATH (a default
 * list when PATH is unset or empty), as execvp would, for runc and the
 * monitors. */
#include "oci.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

bool path_lookup(const char *name, char *out, size_t n)
{
    const char *path = getenv("PATH");
    char buf[PATH_MAX];
    snprintf(buf, sizeof(buf), "%s",
             path && *path ? path : "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin");
    for (char *save, *d = strtok_r(buf, ":", &save); d; d = strtok_r(NULL, ":", &save))
        if (fmt_into(out, n, "%s/%s", d, name) < (int)n && access(out, X_OK) == 0)
            return true;
    if (n)
        out[0] = '\0';
    return false;
}
