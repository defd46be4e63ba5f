/* cgroup.c: cgroupfs placement of the VMM (see cgroup.h). Hierarchies are
 * found by listing the cgroup base directory and checking each entry's
 * filesystem magic: no mount table scan. */
#include "cgroup.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>

#define CGROUP_MAGIC 0x27e0eb
#define CGROUP2_MAGIC 0x63677270

/* A new v1 cpuset cgroup starts with empty cpus/mems and refuses tasks:
 * copy them from the parent. */
static void cpuset_inherit(const char *dir)
{
    static const char *const files[] = {"cpuset.cpus", "cpuset.mems"};
    for (int i = 0; i < 2; i++) {
        char p[PATH_MAX], pp[PATH_MAX], v[4096];
        if (snprintf(p, sizeof(p), "%s/%s", dir, files[i]) >= (int)sizeof(p) ||
            snprintf(pp, sizeof(pp), "%s/../%s", dir, files[i]) >= (int)sizeof(pp))
            return;
        int fd = open(pp, O_RDONLY | O_CLOEXEC);
        if (fd < 0)
            return;
        ssize_t n = read(fd, v, sizeof(v) - 1);
        close(fd);
        if (n <= 0)
            continue;
        fd = open(p, O_WRONLY | O_CLOEXEC);
        if (fd < 0)
            continue;
        if (write(fd, v, (size_t)n) < 0) { /* best effort; join reports the real error */ }
        close(fd);
    }
}

/* mkdir every component of rel under hier, recording new directories. */
static int make_path(const char *hier, const char *rel, bool cpuset, cJSON *created,
                     char *out, size_t n, struct ur_err *err)
{
    if (snprintf(out, n, "%s", hier) >= (int)n)
        return ur_errf(err, -ENAMETOOLONG, "cgroup path too long");
    const char *p = rel;
    while (*p) {
        while (*p == '/')
            p++;
        if (!*p)
            break;
        const char *e = strchr(p, '/');
        size_t len = e ? (size_t)(e - p) : strlen(p);
        if ((len == 2 && strncmp(p, "..", 2) == 0) || (len == 1 && p[0] == '.'))
            return ur_errf(err, -EINVAL, "cgroupsPath \"%s\" holds \".\" or \"..\"", rel);
        size_t cur = strlen(out);
        if (cur + 1 + len >= n)
            return ur_errf(err, -ENAMETOOLONG, "cgroup path too long");
        out[cur] = '/';
        memcpy(out + cur + 1, p, len);
        out[cur + 1 + len] = '\0';
        if (mkdir(out, 0755) == 0) {
            if (created)
                cJSON_AddItemToArray(created, cJSON_CreateString(out));
            if (cpuset)
                cpuset_inherit(out);
        } else if (errno != EEXIST) {
            return ur_errf_sys(err, -errno, "cannot create cgroup %s", out);
        }
        p += len;
    }
    return 0;
}

int cgroup_prepare(const char *base, const char *path, struct cg_plan *plan, cJSON *created,
                   struct ur_err *err)
{
    memset(plan, 0, sizeof(*plan));
    if (!path || !path[0])
        return 0;
    if (strchr(path, ':'))
        return ur_errf(err, -ENOTSUP, "cgroupsPath \"%s\" is a systemd path; uniroot uses the "
                                      "cgroupfs driver (no --systemd-cgroup)", path);
    struct statfs sf;
    if (statfs(base, &sf) < 0)
        return ur_errf_sys(err, -errno, "cannot statfs %s", base);
    char dir[PATH_MAX];
    int rc;
    if ((unsigned long)sf.f_type == CGROUP2_MAGIC) { /* pure v2 */
        if ((rc = make_path(base, path, false, created, dir, sizeof(dir), err)) < 0)
            return rc;
        snprintf(plan->procs[plan->nprocs++], PATH_MAX, "%.*s/cgroup.procs", PATH_MAX - 20, dir);
        return 0;
    }
    DIR *d = opendir(base);
    if (!d)
        return ur_errf_sys(err, -errno, "cannot list %s", base);
    struct dirent *e;
    rc = 0;
    while ((e = readdir(d)) && rc == 0) {
        if (e->d_name[0] == '.')
            continue;
        char hier[PATH_MAX];
        struct stat st;
        snprintf(hier, sizeof(hier), "%s/%s", base, e->d_name);
        if (lstat(hier, &st) < 0 || !S_ISDIR(st.st_mode)) /* cpu -> cpu,cpuacct links */
            continue;
        if (statfs(hier, &sf) < 0 ||
            ((unsigned long)sf.f_type != CGROUP_MAGIC && (unsigned long)sf.f_type != CGROUP2_MAGIC))
            continue;
        if (plan->nprocs >= CG_MAX) {
            rc = ur_errf(err, -E2BIG, "too many cgroup hierarchies");
            break;
        }
        bool cpuset = strstr(e->d_name, "cpuset") != NULL;
        if ((rc = make_path(hier, path, cpuset, created, dir, sizeof(dir), err)) < 0)
            break;
        snprintf(plan->procs[plan->nprocs++], PATH_MAX, "%.*s/cgroup.procs", PATH_MAX - 20, dir);
    }
    closedir(d);
    return rc;
}

int cgroup_join(const struct cg_plan *plan, struct ur_err *err)
{
    for (unsigned i = 0; i < plan->nprocs; i++) {
        int fd = open(plan->procs[i], O_WRONLY | O_CLOEXEC);
        if (fd < 0)
            return ur_errf_sys(err, -errno, "cannot open %s", plan->procs[i]);
        ssize_t n = write(fd, "0", 1);
        int e = errno;
        close(fd);
        if (n != 1)
            return ur_errf_sys(err, -e, "cannot join cgroup %s", plan->procs[i]);
    }
    return 0;
}

void cgroup_remove(const cJSON *created)
{
    int n = cJSON_GetArraySize(created);
    for (int i = n - 1; i >= 0; i--) {
        const cJSON *v = cJSON_GetArrayItem(created, i);
        if (cJSON_IsString(v))
            rmdir(v->valuestring);
    }
}
