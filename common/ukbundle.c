/* ukbundle.c: the unikernel-bundle definition (see ukbundle.h). */
#include "ukbundle.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fileio.h"
#include "inroot.h"
#include "jsonstr.h"

bool ur_uk_is_key(const char *name)
{
    return name && strncmp(name, UR_UK_PREFIX, sizeof(UR_UK_PREFIX) - 1) == 0;
}

int ur_urunc_json_open(int rootfd, int *fd, struct ur_err *err)
{
    /* "no such entry" (not a description) is told apart from "there, but
     * refused" without following anything: a dangling symlink is refused. */
    struct stat st;
    if (fstatat(rootfd, UR_URUNC_JSON, &st, AT_SYMLINK_NOFOLLOW) < 0) {
        if (errno == ENOENT)
            return 0;
        return ur_errf_sys(err, -errno, UR_URUNC_JSON);
    }
    *fd = ur_inroot_open(rootfd, UR_URUNC_JSON, 0, UR_URUNC_JSON_MAX, NULL, err);
    return *fd < 0 ? *fd : 1;
}

int ur_urunc_json_read(int rootfd, char **json, struct ur_err *err)
{
    int fd = -1;
    int rc = ur_urunc_json_open(rootfd, &fd, err);
    if (rc <= 0)
        return rc;
    rc = ur_read_fd(fd, UR_URUNC_JSON, UR_URUNC_JSON_MAX, json, NULL, err);
    close(fd);
    return rc < 0 ? rc : 1;
}

int ur_urunc_json_names_type(const char *json, struct ur_err *err)
{
    long nul = jsonstr_find_nul(json);
    if (nul >= 0)
        return ur_errf(err, -EINVAL, UR_URUNC_JSON ": a string holds a NUL character (\\u0000 at "
                                     "byte %ld); refused", nul);
    cJSON *o = cJSON_Parse(json);
    if (!cJSON_IsObject(o)) {
        cJSON_Delete(o);
        return ur_errf(err, -EINVAL, UR_URUNC_JSON " is not a JSON object");
    }
    /* base64 of a non-empty value: something besides '=' padding */
    const char *t = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(o, UR_UK_TYPE_KEY));
    int named = t && t[strspn(t, "=")] != '\0';
    cJSON_Delete(o);
    return named;
}
