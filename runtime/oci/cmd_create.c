/* cmd_create.c: `create` and `run`. create reads the bundle, decides the
 * guest's rootfs, prepares the rootfs device if it is handed over, starts
 * uniroot-vmm (guest loaded, VM made, devices open) held at its start FIFO,
 * and records the container; run is create + start + wait + delete. */
#include "cgroup.h"
#include "fileio.h"
#include "oci.h"
#include "rootfs.h"
#include "spawn.h"
#include "state.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

struct create_opts {
    const char *bundle, *pid_file, *console_socket;
    int preserve_fds;
    bool no_pivot, no_new_keyring, detach, keep;
};

#define CREATE_OPTS(o)                                                                    \
    {"bundle", 'b', OPT_STR, &(o)->bundle}, {"pid-file", 0, OPT_STR, &(o)->pid_file},      \
    {"console-socket", 0, OPT_STR, &(o)->console_socket},                                  \
    {"preserve-fds", 0, OPT_INT, &(o)->preserve_fds},                                      \
    {"no-pivot", 0, OPT_FLAG, &(o)->no_pivot},                                             \
    {"no-new-keyring", 0, OPT_FLAG, &(o)->no_new_keyring}

/* What create did that a failure must undo. */
struct undo {
    pid_t vmm;
    cJSON *cgroups;
    bool unmounted;
    char device[PATH_MAX], fstype[32], target[PATH_MAX];
    unsigned long mflags;
    int ref_fd, excl_fd;
};

static int read_small(const char *path, char **out, struct ur_err *err)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -errno;
    char *buf = malloc(65536 + 1);
    ssize_t n = buf ? read(fd, buf, 65536) : -1;
    close(fd);
    if (n < 0) {
        free(buf);
        return ur_errf_sys(err, -EIO, "cannot read %s", path);
    }
    buf[n] = '\0';
    *out = buf;
    return 0;
}

/* 1 with *uk filled for a unikernel, 0 for an ordinary container. */
static int load_description(const struct oci_spec *s, struct uk_desc *uk, struct ur_err *err)
{
    int rc = uk_from_annotations(s->annotations, uk, err);
    if (rc != 0)
        return rc;
    char path[PATH_MAX + 16], *json = NULL;
    snprintf(path, sizeof(path), "%s/urunc.json", s->rootfs);
    rc = read_small(path, &json, err);
    if (rc == -ENOENT || rc == -ENOTDIR)
        return 0;
    if (rc < 0)
        return rc == -EIO ? rc : ur_errf_sys(err, rc, "cannot read %s", path);
    rc = uk_from_urunc_json(json, uk, err);
    free(json);
    return rc;
}

static int copy_file(const char *src, const char *dst, struct ur_err *err)
{
    int in = open(src, O_RDONLY | O_CLOEXEC);
    if (in < 0)
        return ur_errf_sys(err, -errno, "cannot open %s", src);
    struct stat st;
    if (fstat(in, &st) < 0 || !S_ISREG(st.st_mode)) {
        close(in);
        return ur_errf(err, -EINVAL, "%s is not a regular file", src);
    }
    int out = open(dst, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (out < 0) {
        close(in);
        return ur_errf_sys(err, -errno, "cannot create %s", dst);
    }
    int rc = 0;
    off_t left = st.st_size;
    while (left > 0) {
        ssize_t n = sendfile(out, in, NULL, (size_t)left);
        if (n <= 0) {
            rc = ur_errf_sys(err, n < 0 ? -errno : -EIO, "cannot copy %s", src);
            break;
        }
        left -= n;
    }
    close(in);
    close(out);
    return rc;
}

/* The container rootfs is handed to the guest as block device "rootfs": copy
 * what the VMM needs out of it, unmount it, and make sure nobody else has it
 * mounted (an exclusive open fails while any mount of it remains). */
static int take_rootfs_device(const struct oci_spec *s, const struct uk_desc *uk,
                              const struct rootfs_record *r, struct cstate *cs, char *kernel,
                              size_t klen, struct undo *u, struct ur_err *err)
{
    char src[PATH_MAX * 2];
    const char *base = strrchr(uk->binary, '/') + 1;
    snprintf(src, sizeof(src), "%s%s", s->rootfs, uk->binary);
    if (snprintf(kernel, klen, "%s/%s", cs->dir, *base ? base : "kernel") >= (int)klen)
        return ur_errf(err, -ENAMETOOLONG, "kernel path too long");
    int rc = copy_file(src, kernel, err);
    if (rc < 0)
        return rc;
    snprintf(src, sizeof(src), "%s/urunc.json", s->rootfs);
    char dst[PATH_MAX + 16];
    snprintf(dst, sizeof(dst), "%s/urunc.json", cs->dir);
    if (access(src, F_OK) == 0 && (rc = copy_file(src, dst, err)) < 0)
        return rc;

    u->ref_fd = open(r->device, O_RDONLY | O_CLOEXEC); /* keeps an autoclear loop alive */
    if (u->ref_fd < 0)
        return ur_errf_sys(err, -errno, "cannot open rootfs device %s", r->device);
    struct statvfs sv;
    if (statvfs(s->rootfs, &sv) < 0)
        return ur_errf_sys(err, -errno, "statvfs %s", s->rootfs);
    u->mflags = (sv.f_flag & ST_RDONLY ? MS_RDONLY : 0) | (sv.f_flag & ST_NOSUID ? MS_NOSUID : 0) |
                (sv.f_flag & ST_NODEV ? MS_NODEV : 0) | (sv.f_flag & ST_NOEXEC ? MS_NOEXEC : 0);
    snprintf(u->device, sizeof(u->device), "%s", r->device);
    snprintf(u->fstype, sizeof(u->fstype), "%s", r->fstype);
    snprintf(u->target, sizeof(u->target), "%s", s->rootfs);
    if (umount2(s->rootfs, UMOUNT_NOFOLLOW) < 0)
        return ur_errf_sys(err, -errno, "cannot unmount the rootfs %s from the host", s->rootfs);
    u->unmounted = true;
    log_info("rootfs: unmounted %s (%s) from the host", s->rootfs, r->device);
    u->excl_fd = open(r->device, O_RDWR | O_EXCL | O_CLOEXEC);
    if (u->excl_fd < 0) {
        if (errno == EBUSY)
            return ur_errf(err, -EBUSY, "rootfs device %s is still mounted elsewhere; refusing "
                                        "to hand it to the guest", r->device);
        return ur_errf_sys(err, -errno, "cannot open rootfs device %s", r->device);
    }
    return 0;
}

/* Mount the rootfs device back where it was, with its per-mount flags. If the
 * device is still mounted elsewhere (why create failed), the superblock is
 * shared and a mount asking for the other read-only state fails with EBUSY:
 * mount it as the superblock is, then set this mount's flags by a bind remount. */
static int mount_back(const struct undo *u)
{
    if (mount(u->device, u->target, u->fstype, u->mflags, NULL) == 0)
        return 0;
    if (errno != EBUSY || mount(u->device, u->target, u->fstype, u->mflags ^ MS_RDONLY, NULL) < 0)
        return -errno;
    return mount(NULL, u->target, NULL, MS_REMOUNT | MS_BIND | u->mflags, NULL) < 0 ? -errno : 0;
}

static void undo(struct undo *u, struct cstate *cs)
{
    if (u->vmm > 0) {
        kill(u->vmm, SIGKILL);
        waitpid(u->vmm, NULL, 0);
    }
    if (u->excl_fd >= 0)
        close(u->excl_fd);
    u->excl_fd = -1;
    int rc;
    if (u->unmounted && (rc = mount_back(u)) < 0)
        log_warn("could not mount %s back on %s: %s", u->device, u->target, strerror(-rc));
    if (u->ref_fd >= 0)
        close(u->ref_fd);
    u->ref_fd = -1;
    if (u->cgroups)
        cgroup_remove(u->cgroups);
    if (cs->dirfd >= 0)
        state_remove(cs, NULL);
}

static int write_pid_file(const char *path, pid_t pid, struct ur_err *err)
{
    char buf[32];
    int n = snprintf(buf, sizeof(buf), "%d", (int)pid);
    int rc = ur_write_atomic(AT_FDCWD, path, buf, (size_t)n, 0644, err);
    return rc < 0 ? ur_err_wrap(err, "pid file") : 0;
}

static void rfc3339_now(char *buf, size_t n)
{
    struct timespec ts;
    struct tm tm;
    clock_gettime(CLOCK_REALTIME, &ts);
    gmtime_r(&ts.tv_sec, &tm);
    size_t len = strftime(buf, n, "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(buf + len, n - len, ".%09ldZ", ts.tv_nsec);
}

static void annotate(cJSON *a, const char *key, const char *v)
{
    cJSON_DeleteItemFromObjectCaseSensitive(a, key);
    cJSON_AddStringToObject(a, key, v);
}

/* Record the decision and the description in the state's annotations. */
static void record_decision(struct cstate *cs, const struct oci_spec *s, const struct uk_desc *uk,
                            const struct rootfs_decision *d)
{
    cJSON *a = state_annotations(cs);
    const cJSON *v;
    if (s->annotations)
        cJSON_ArrayForEach(v, s->annotations) if (cJSON_IsString(v) && v->string)
            annotate(a, v->string, v->valuestring);
    char num[32];
    annotate(a, "dev.uniroot.unikernel.source", uk->source);
    annotate(a, "dev.uniroot.rootfs.outcome", rootfs_outcome_name(d->outcome));
    annotate(a, "dev.uniroot.rootfs.reason", d->reason);
    if (d->find_ran) {
        annotate(a, "dev.uniroot.rootfs.source", rootfs_source_name(d->found.source));
        annotate(a, "dev.uniroot.rootfs.trace", d->found.trace);
        snprintf(num, sizeof(num), "%llu", (unsigned long long)d->find_ns);
        annotate(a, "dev.uniroot.rootfs.decision_ns", num);
    }
    if (d->path[0])
        annotate(a, "dev.uniroot.rootfs.path", d->path);
}

/* The guest's manifest must ask for exactly what the VMM will be given:
 * block device "rootfs" when one is handed over, nothing else. */
static int check_devices(const char *kernel, const struct uk_desc *uk, const struct rootfs_decision *d,
                         bool giving_rootfs, struct ur_err *err)
{
    struct kernel_info ki;
    int rc = kernel_inspect(kernel, &ki, err);
    if (rc < 0)
        return rc;
    for (unsigned i = 0; i < ki.ndev; i++) {
        const struct kernel_dev *k = &ki.dev[i];
        if (k->net)
            return ur_errf(err, -ENOTSUP, "%s needs network device \"%s\"; uniroot does not attach "
                                          "network devices", uk->binary, k->name);
        if (strcmp(k->name, "rootfs") != 0)
            return ur_errf(err, -ENOTSUP, "%s needs block device \"%s\"; uniroot only provides "
                                          "\"rootfs\"", uk->binary, k->name);
        if (!giving_rootfs)
            return ur_errf(err, -ENOTSUP, "%s needs block device \"rootfs\", but the rootfs is not "
                                          "handed over as one: %s", uk->binary, d->reason);
    }
    if (giving_rootfs && !kernel_find_dev(&ki, "rootfs", false))
        return ur_errf(err, -ENOTSUP, "the rootfs would be handed over as block device \"rootfs\" "
                                      "(%s), but %s declares no such device", d->reason, uk->binary);
    return 0;
}

/* Create container id; on success *vmm is its VMM (our child until we exit). */
static int do_create(struct ctx *c, const char *id, const struct create_opts *o, pid_t *vmm,
                     struct ur_err *err)
{
    char bundle[PATH_MAX];
    if (!realpath(o->bundle ? o->bundle : ".", bundle))
        return ur_errf_sys(err, -errno, "bundle %s", o->bundle ? o->bundle : ".");
    struct oci_spec s;
    int rc = spec_load(bundle, &s, err);
    if (rc < 0)
        return rc;
    struct uk_desc uk;
    rc = load_description(&s, &uk, err);
    if (rc == 0) {
        spec_free(&s);
        return handoff_runc(c, err);
    }
    if (rc < 0 || (rc = uk_validate(&uk, err)) < 0) {
        spec_free(&s);
        return rc;
    }
    log_info("unikernel %s on %s from %s, binary %s", uk.type, uk.hypervisor, uk.source, uk.binary);

    struct cstate cs = {.dirfd = -1};
    struct undo u = {.ref_fd = -1, .excl_fd = -1};
    if ((rc = state_create(c, id, &cs, err)) < 0) {
        spec_free(&s);
        return rc;
    }
    struct rootfs_decision d;
    rc = rootfs_decide(&rootfs_probes_real, &uk, spec_annotation(&s, ROOTFS_ANNOTATION), bundle,
                       s.rootfs, &d, err);
    if (rc < 0)
        goto fail;
    log_info("rootfs: decision %s: %s", rootfs_outcome_name(d.outcome), d.reason);

    char kernel[PATH_MAX * 2], block[PATH_MAX * 2 + 32] = "";
    snprintf(kernel, sizeof(kernel), "%s%s", s.rootfs, uk.binary);
    switch (d.outcome) {
    case OUT_INITRD:
        rc = ur_errf(err, -ENOTSUP, "the image boots from an initrd (%s), which hypervisor hvt "
                                    "cannot load", uk.initrd);
        goto fail;
    case OUT_BLOCK_IMAGE:
        snprintf(block, sizeof(block), "--block:rootfs=%s%s", s.rootfs, uk.block);
        if (access(block + 15, R_OK) < 0) {
            rc = ur_errf_sys(err, -errno, "block image %s", block + 15);
            goto fail;
        }
        break;
    case OUT_ROOTFS_BLOCK:
        if ((rc = take_rootfs_device(&s, &uk, &d.found.rec, &cs, kernel, sizeof(kernel), &u, err)) < 0)
            goto fail;
        snprintf(block, sizeof(block), "--block:rootfs=%s", d.found.rec.device);
        break;
    case OUT_NONE:
        break;
    }
    struct stat kst;
    if (stat(kernel, &kst) < 0 || !S_ISREG(kst.st_mode)) {
        rc = ur_errf(err, -ENOENT, "unikernel binary %s not found in the rootfs (%s)", uk.binary,
                     kernel);
        goto fail;
    }
    if ((rc = check_devices(kernel, &uk, &d, block[0] != '\0', err)) < 0)
        goto fail;

    u.cgroups = cJSON_CreateArray();
    struct cg_plan cg;
    const char *cgbase = getenv("UNIROOT_CGROUP_ROOT");
    if ((rc = cgroup_prepare(cgbase && *cgbase ? cgbase : "/sys/fs/cgroup", s.cgroups_path, &cg,
                             u.cgroups, err)) < 0)
        goto fail;

    char fifo[PATH_MAX + 16], ready_arg[32], fifo_arg[PATH_MAX + 32], mem_arg[32] = "";
    snprintf(fifo, sizeof(fifo), "%s/start.fifo", cs.dir);
    if (mkfifo(fifo, 0600) < 0) {
        rc = ur_errf_sys(err, -errno, "mkfifo %s", fifo);
        goto fail;
    }
    int ready_fd = 3 + o->preserve_fds;
    snprintf(ready_arg, sizeof(ready_arg), "--ready-fd=%d", ready_fd);
    snprintf(fifo_arg, sizeof(fifo_arg), "--start-fifo=%s", fifo);
    if (s.mem_limit) {
        uint64_t mb = s.mem_limit >> 20;
        snprintf(mem_arg, sizeof(mem_arg), "--mem=%llu", (unsigned long long)(mb < 2 ? 2 : mb));
    }
    char *argv[16];
    int n = 0;
    argv[n++] = (char *)c->vmm_path;
    argv[n++] = ready_arg;
    argv[n++] = fifo_arg;
    if (mem_arg[0])
        argv[n++] = mem_arg;
    if (block[0])
        argv[n++] = block;
    argv[n++] = "--";
    argv[n++] = kernel;
    if (uk.cmdline[0])
        argv[n++] = uk.cmdline;
    argv[n] = NULL;

    char cmdline[8192] = "";
    for (int i = 0; i < n; i++)
        snprintf(cmdline + strlen(cmdline), sizeof(cmdline) - strlen(cmdline), "%s%s", i ? " " : "",
                 argv[i]);
    log_info("starting %s", cmdline);
    struct spawn_req req = {
        .vmm = c->vmm_path, .argv = argv, .ready_fd = ready_fd, .keep_fd = u.excl_fd,
        .console_socket = o->console_socket, .spec = &s, .cg = &cg, .ready_timeout_ms = 30000,
    };
    if ((rc = vmm_spawn(&req, &u.vmm, err)) < 0)
        goto fail;
    if (o->pid_file && (rc = write_pid_file(o->pid_file, u.vmm, err)) < 0)
        goto fail;

    char created[64];
    rfc3339_now(created, sizeof(created));
    state_set_num(&cs, "pid", u.vmm);
    state_set_num(&cs, "pid_start", (double)proc_start_time(u.vmm));
    state_set_str(&cs, "status", "created");
    state_set_str(&cs, "bundle", bundle);
    state_set_str(&cs, "rootfs", s.rootfs);
    state_set_str(&cs, "created", created);
    state_set_str(&cs, "owner", "");
    state_set_str(&cs, "vmm_cmdline", cmdline);
    cJSON_AddItemToObject(cs.j, "cgroups", u.cgroups);
    u.cgroups = NULL;
    record_decision(&cs, &s, &uk, &d);
    if ((rc = state_save(&cs, err)) < 0) {
        u.cgroups = cJSON_DetachItemFromObjectCaseSensitive(cs.j, "cgroups");
        if (o->pid_file)
            unlink(o->pid_file);
        goto fail;
    }
    *vmm = u.vmm;
    if (u.excl_fd >= 0)
        close(u.excl_fd);
    if (u.ref_fd >= 0)
        close(u.ref_fd);
    state_close(&cs);
    spec_free(&s);
    return 0;
fail:
    undo(&u, &cs);
    cJSON_Delete(u.cgroups);
    spec_free(&s);
    return rc;
}

static int parse_create(int argc, char **argv, struct create_opts *o, bool run, const char **id,
                        struct ur_err *err)
{
    struct opt tbl[] = {
        CREATE_OPTS(o),
        {"detach", 'd', OPT_FLAG, &o->detach},
        {"keep", 0, OPT_FLAG, &o->keep},
        {NULL, 0, 0, NULL},
    };
    if (!run)
        tbl[6].name = NULL;
    int i = 0;
    int rc = opts_parse(argc, argv, &i, tbl, err);
    if (rc < 0)
        return rc;
    if (i >= argc)
        return ur_errf(err, -EINVAL, "%s: a container id is required", run ? "run" : "create");
    if (i + 1 < argc)
        return ur_errf(err, -EINVAL, "%s: unexpected argument \"%s\"", run ? "run" : "create",
                       argv[i + 1]);
    *id = argv[i];
    return state_check_id(*id, err);
}

int cmd_create(struct ctx *c, int argc, char **argv, struct ur_err *err)
{
    struct create_opts o = {0};
    const char *id;
    int rc = parse_create(argc, argv, &o, false, &id, err);
    if (rc < 0)
        return rc;
    pid_t vmm;
    rc = do_create(c, id, &o, &vmm, err);
    return rc < 0 ? rc : 0;
}

static volatile pid_t forward_to;
static void forward(int sig)
{
    if (forward_to > 0)
        kill(forward_to, sig);
}

int cmd_run(struct ctx *c, int argc, char **argv, struct ur_err *err)
{
    struct create_opts o = {0};
    const char *id;
    int rc = parse_create(argc, argv, &o, true, &id, err);
    if (rc < 0)
        return rc;
    pid_t vmm;
    if ((rc = do_create(c, id, &o, &vmm, err)) < 0)
        return rc;
    forward_to = vmm;
    struct sigaction sa = {.sa_handler = forward};
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGHUP, &sa, NULL);
    if ((rc = start_container(c, id, err)) < 0) {
        struct ur_err e2;
        delete_container(c, id, true, &e2);
        return rc;
    }
    if (o.detach)
        return 0;
    int st;
    while (waitpid(vmm, &st, 0) < 0) {
        if (errno != EINTR)
            return ur_errf_sys(err, -errno, "waitpid");
    }
    int status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
    struct cstate cs;
    if (state_open(c, id, &cs, err) == 0) {
        state_set_num(&cs, "exit_status", status);
        state_set_str(&cs, "status", "stopped");
        state_save(&cs, err);
        state_close(&cs);
    }
    if (!o.keep && (rc = delete_container(c, id, false, err)) < 0)
        return rc;
    return status;
}
