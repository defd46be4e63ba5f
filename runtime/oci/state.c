/* state.c: per-container state directories, their lock and state.json
 * (see state.h), and what the container is now (common/ctrstate.c judges it
 * from the recorded monitor's liveness, common/procstat.c). */
#include "ctrstate.h"
#include "fileio.h"
#include "state.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

int state_check_id(const char *id, struct ur_err *err)
{
    return ur_ctr_id_check(id, err);
}

/* mkdir -p for the --root directory. */
static int mkdir_p(const char *path, mode_t mode)
{
    char buf[PATH_MAX];
    if (snprintf(buf, sizeof(buf), "%s", path) >= (int)sizeof(buf))
        return -ENAMETOOLONG;
    for (char *p = buf + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = '\0';
        if (mkdir(buf, mode) < 0 && errno != EEXIST)
            return -errno;
        *p = '/';
    }
    if (mkdir(buf, mode) < 0 && errno != EEXIST)
        return -errno;
    return 0;
}

static void remove_tree_at(int dfd);

static int lock_dir(struct cstate *cs, struct ur_err *err)
{
    while (flock(cs->dirfd, LOCK_EX) < 0) {
        if (errno != EINTR)
            return ur_errf_sys(err, -errno, "cannot lock %s", cs->dir);
    }
    struct stat st;
    if (fstat(cs->dirfd, &st) < 0)
        return ur_errf_sys(err, -errno, "%s", cs->dir);
    if (st.st_nlink == 0)
        return ur_errf(err, -ENOENT, "container \"%s\" does not exist", cs->id);
    return 0;
}

/* Start cs for container id under c->root: checked id, its directory's path. */
static int state_init(const struct ctx *c, const char *id, struct cstate *cs, struct ur_err *err)
{
    memset(cs, 0, sizeof(*cs));
    cs->dirfd = -1;
    int rc = state_check_id(id, err);
    if (rc < 0)
        return rc;
    strcpy(cs->id, id);
    if (snprintf(cs->dir, sizeof(cs->dir), "%s/%s", c->root, id) >= (int)sizeof(cs->dir))
        return ur_errf(err, -ENAMETOOLONG, "state path too long");
    return 0;
}

/* The directory of a container being created is made under this name
 * (unique, '~' is never in an id) and renamed to <root>/<id> only once it is
 * locked and holds a state.json marked as ours: no other command can ever
 * see <root>/<id> unlocked or without the marker (and take it for runc's). */
#define CREATING_TEMPLATE "~creating-XXXXXX"

int state_create(const struct ctx *c, const char *id, struct cstate *cs, struct ur_err *err)
{
    int rc = state_init(c, id, cs, err);
    if (rc < 0)
        return rc;
    if ((rc = mkdir_p(c->root, 0711)) < 0)
        return ur_errf_sys(err, rc, "cannot create root directory %s", c->root);
    char tmp[PATH_MAX];
    if (snprintf(tmp, sizeof(tmp), "%s/" CREATING_TEMPLATE, c->root) >= (int)sizeof(tmp))
        return ur_errf(err, -ENAMETOOLONG, "state path too long");
    if (!mkdtemp(tmp))
        return ur_errf_sys(err, -errno, "cannot create a directory in %s", c->root);
    cs->dirfd = open(tmp, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (cs->dirfd < 0) {
        rc = ur_errf_sys(err, -errno, "cannot open %s", tmp);
        rmdir(tmp);
        return rc;
    }
    if (fchmod(cs->dirfd, 0711) < 0 || flock(cs->dirfd, LOCK_EX) < 0) {
        rc = ur_errf_sys(err, -errno, "cannot prepare %s", tmp);
        goto fail;
    }
    cs->j = cJSON_CreateObject();
    cJSON *mark = cJSON_AddObjectToObject(cs->j, "uniroot");
    if (!mark || !cJSON_AddNumberToObject(mark, "version", 1)) {
        rc = ur_errf(err, -ENOMEM, "out of memory");
        goto fail;
    }
    state_set_str(cs, "ociVersion", UNIROOT_OCI_VERSION);
    state_set_str(cs, "id", id);
    state_set_str(cs, "status", "creating");
    if ((rc = state_save(cs, err)) < 0)
        goto fail;
    if (renameat2(AT_FDCWD, tmp, AT_FDCWD, cs->dir, RENAME_NOREPLACE) < 0) {
        rc = errno == EEXIST ? ur_errf(err, -EEXIST, "container with id exists: %s", id)
                             : ur_errf_sys(err, -errno, "cannot create %s", cs->dir);
        goto fail;
    }
    return 0;
fail:
    remove_tree_at(cs->dirfd);
    rmdir(tmp);
    state_close(cs);
    return rc;
}

/* Read state.json through the locked directory fd. */
static int read_state(struct cstate *cs, struct ur_err *err)
{
    int fd = openat(cs->dirfd, "state.json", O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return errno == ENOENT ? ur_errf(err, -EMEDIUMTYPE, "no uniroot state")
                               : ur_errf_sys(err, -errno, "cannot open %s/state.json", cs->dir);
    char *buf = NULL;
    size_t len = 0, cap = 0;
    for (;;) {
        if (len + 4096 + 1 > cap) {
            cap = cap ? cap * 2 : 8192;
            char *nb = cap <= (16u << 20) ? realloc(buf, cap) : NULL;
            if (!nb) {
                free(buf);
                close(fd);
                return ur_errf(err, -ENOMEM, "state.json too large");
            }
            buf = nb;
        }
        ssize_t n = read(fd, buf + len, cap - len - 1);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        len += (size_t)n;
    }
    close(fd);
    buf[len] = '\0';
    cs->j = cJSON_Parse(buf);
    free(buf);
    if (!cs->j || !cJSON_IsObject(cJSON_GetObjectItemCaseSensitive(cs->j, "uniroot"))) {
        cJSON_Delete(cs->j);
        cs->j = NULL;
        return ur_errf(err, -EMEDIUMTYPE, "not a uniroot container");
    }
    return 0;
}

int state_open(const struct ctx *c, const char *id, struct cstate *cs, struct ur_err *err)
{
    int rc = state_init(c, id, cs, err);
    if (rc < 0)
        return rc;
    cs->dirfd = open(cs->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (cs->dirfd < 0) {
        if (errno == ENOENT && state_is_runc(c, id))
            return ur_errf(err, -EMEDIUMTYPE, "a runc container");
        if (errno == ENOENT)
            return ur_errf(err, -ENOENT, "container \"%s\" does not exist", id);
        return ur_errf_sys(err, -errno, "cannot open %s", cs->dir);
    }
    if ((rc = lock_dir(cs, err)) < 0 || (rc = read_state(cs, err)) < 0) {
        state_close(cs);
        return rc;
    }
    return 0;
}

bool state_is_ours(const struct ctx *c, const char *id)
{
    char path[PATH_MAX];
    if (snprintf(path, sizeof(path), "%s/%s/state.json", c->root, id) >= (int)sizeof(path))
        return false;
    FILE *f = fopen(path, "re");
    if (!f)
        return false;
    char head[64] = "";
    size_t n = fread(head, 1, sizeof(head) - 1, f);
    fclose(f);
    head[n] = '\0';
    return strncmp(head, "{\"uniroot\":", 11) == 0;
}

bool state_is_runc(const struct ctx *c, const char *id)
{
    char path[PATH_MAX];
    if (state_check_id(id, NULL) < 0 ||
        snprintf(path, sizeof(path), "%s/%s", c->runc_root, id) >= (int)sizeof(path))
        return false;
    struct stat st;
    return stat(path, &st) == 0 && S_ISDIR(st.st_mode) && !state_is_ours(c, id);
}

int state_save(struct cstate *cs, struct ur_err *err)
{
    char *s = cJSON_PrintUnformatted(cs->j);
    if (!s)
        return ur_errf(err, -ENOMEM, "out of memory");
    int rc = ur_write_atomic(cs->dirfd, "state.json", s, strlen(s), 0600, err);
    if (rc < 0)
        ur_err_wrap(err, "%s", cs->dir);
    free(s);
    return rc;
}

/* Remove every entry of the (flat, plus one level) state directory. */
static void remove_tree_at(int dfd)
{
    DIR *d = fdopendir(dup(dfd));
    if (!d)
        return;
    struct dirent *e;
    while ((e = readdir(d))) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        if (unlinkat(dfd, e->d_name, 0) < 0 && errno == EISDIR) {
            int sub = openat(dfd, e->d_name, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
            if (sub >= 0) {
                remove_tree_at(sub);
                close(sub);
            }
            unlinkat(dfd, e->d_name, AT_REMOVEDIR);
        }
    }
    closedir(d);
}

int state_remove(struct cstate *cs, struct ur_err *err)
{
    int rc = 0;
    if (cs->dirfd >= 0) {
        remove_tree_at(cs->dirfd);
        if (rmdir(cs->dir) < 0 && errno != ENOENT)
            rc = ur_errf_sys(err, -errno, "cannot remove %s", cs->dir);
    }
    state_close(cs);
    return rc;
}

void state_close(struct cstate *cs)
{
    if (cs->dirfd >= 0)
        close(cs->dirfd); /* drops the lock */
    cs->dirfd = -1;
    cJSON_Delete(cs->j);
    cs->j = NULL;
}

const char *state_str(const struct cstate *cs, const char *key)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(cs->j, key);
    return cJSON_IsString(v) ? v->valuestring : NULL;
}

long long state_num(const struct cstate *cs, const char *key, long long dflt)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(cs->j, key);
    return cJSON_IsNumber(v) ? (long long)v->valuedouble : dflt;
}

int state_set_str(struct cstate *cs, const char *key, const char *v)
{
    cJSON *n = cJSON_CreateString(v);
    if (!n)
        return -ENOMEM;
    if (cJSON_GetObjectItemCaseSensitive(cs->j, key))
        cJSON_ReplaceItemInObjectCaseSensitive(cs->j, key, n);
    else
        cJSON_AddItemToObject(cs->j, key, n);
    return 0;
}

int state_set_num(struct cstate *cs, const char *key, double v)
{
    cJSON *n = cJSON_CreateNumber(v);
    if (!n)
        return -ENOMEM;
    if (cJSON_GetObjectItemCaseSensitive(cs->j, key))
        cJSON_ReplaceItemInObjectCaseSensitive(cs->j, key, n);
    else
        cJSON_AddItemToObject(cs->j, key, n);
    return 0;
}

cJSON *state_annotations(struct cstate *cs)
{
    cJSON *a = cJSON_GetObjectItemCaseSensitive(cs->j, "annotations");
    if (!a)
        a = cJSON_AddObjectToObject(cs->j, "annotations");
    return a;
}

const char *state_status(struct cstate *cs)
{
    int learnt = -1;
    const char *now = ur_ctr_status(state_str(cs, "status"), state_num(cs, "pid", 0),
                                    state_num(cs, "pid_start", 0), &learnt);
    if (learnt >= 0 && state_num(cs, "exit_status", -1) < 0) {
        state_set_num(cs, "exit_status", learnt);
        cs->learnt = true;
    }
    return now;
}
