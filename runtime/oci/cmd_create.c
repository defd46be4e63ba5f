/* cmd_create.c: `create` and `run`. create reads the bundle, decides the
 * guest's rootfs, prepares the rootfs device if it is handed over, starts
 * uniroot-vmm (guest loaded, VM made, devices open) held at its start FIFO,
 * and records the container; run is create + start + wait + delete. */
#include "backend.h"
#include "cgroup.h"
#include "fileio.h"
#include "imagefs.h"
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
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/sysmacros.h>
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
    int root_fd;            /* the rootfs directory (O_PATH), until it is unmounted */
    int kernel_fd, image_fd; /* the binary and the block image, inside the rootfs */
};

/* 1 with *uk filled for a unikernel, 0 for an ordinary container. rootfd is
 * the rootfs directory, -1 when there is none (then only annotations count). */
static int load_description(const struct oci_spec *s, int rootfd, struct uk_desc *uk,
                            struct ur_err *err)
{
    int rc = uk_from_annotations(s->annotations, uk, err);
    if (rc != 0 || rootfd < 0)
        return rc;
    char *json = NULL;
    if ((rc = image_read_urunc_json(rootfd, &json, err)) <= 0)
        return rc;
    rc = uk_from_urunc_json(json, uk, err);
    free(json);
    return rc;
}

/* The container rootfs is handed to the guest as block device "rootfs": copy
 * what the VMM needs out of it (opened inside the rootfs only), close every
 * fd on it, unmount it, and make sure nobody else has it mounted (an
 * exclusive open fails while any mount of it remains). The exclusive fd must
 * be the very device that was verified to be mounted at root.path. */
static int take_rootfs_device(const struct oci_spec *s, const struct uk_desc *uk,
                              const struct rootfs_record *r, struct cstate *cs, char *kernel,
                              size_t klen, struct undo *u, struct ur_err *err)
{
    /* the copy keeps the binary's name unless that could be one of the state
     * directory's own files (state.json and its temp files, start.fifo, ...) */
    const char *base = strrchr(uk->binary, '/') + 1;
    if (!*base || base[0] == '.' || strncmp(base, "state.json", 10) == 0 ||
        strcmp(base, "start.fifo") == 0 || strcmp(base, "urunc.json") == 0)
        base = "kernel";
    if (snprintf(kernel, klen, "%s/%s", cs->dir, base) >= (int)klen)
        return ur_errf(err, -ENAMETOOLONG, "kernel path too long");
    int in = image_open_kernel(u->root_fd, uk, err);
    if (in < 0)
        return in;
    int rc = image_copy_fd(in, kernel, err);
    close(in);
    if (rc < 0)
        return rc;
    char dst[PATH_MAX + 16];
    snprintf(dst, sizeof(dst), "%s/urunc.json", cs->dir);
    if ((rc = image_copy_urunc_json(u->root_fd, dst, err)) < 0)
        return rc;
    close(u->root_fd); /* an fd on the rootfs would keep it from being unmounted */
    u->root_fd = -1;

    u->ref_fd = open(r->device, O_RDONLY | O_NONBLOCK | O_CLOEXEC); /* keeps an autoclear loop alive */
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
    u->excl_fd = open(r->device, O_RDWR | O_EXCL | O_NONBLOCK | O_CLOEXEC);
    if (u->excl_fd < 0) {
        if (errno == EBUSY)
            return ur_errf(err, -EBUSY, "rootfs device %s is still mounted elsewhere; refusing "
                                        "to hand it to the guest", r->device);
        return ur_errf_sys(err, -errno, "cannot open rootfs device %s", r->device);
    }
    struct stat st;
    if (fstat(u->excl_fd, &st) < 0 || !S_ISBLK(st.st_mode) || major(st.st_rdev) != r->major ||
        minor(st.st_rdev) != r->minor)
        return ur_errf(err, -ESTALE, "rootfs device %s is no longer block device %u:%u; refusing "
                                     "to hand it to the guest", r->device, r->major, r->minor);
    return 0;
}

/* Close the fds create holds on the image's files (failure and success). */
static void close_image_fds(struct undo *u)
{
    int *fds[] = {&u->root_fd, &u->kernel_fd, &u->image_fd};
    for (size_t i = 0; i < sizeof(fds) / sizeof(fds[0]); i++) {
        if (*fds[i] >= 0)
            close(*fds[i]);
        *fds[i] = -1;
    }
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
    close_image_fds(u);
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
static int check_devices(int kernel_fd, const struct backend *b, const struct uk_desc *uk,
                         const struct rootfs_decision *d, bool giving_rootfs, struct ur_err *err)
{
    struct kernel_info ki;
    int rc = kernel_inspect_fd(kernel_fd, uk->binary, b->solo5_target, &ki, err);
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
    struct undo u = {.ref_fd = -1, .excl_fd = -1, .root_fd = -1, .kernel_fd = -1, .image_fd = -1};
    struct ur_err e_root;
    if (image_open_root(s.rootfs, &u.root_fd, &e_root) < 0)
        u.root_fd = -1; /* no rootfs directory: only annotations can describe a unikernel */
    rc = load_description(&s, u.root_fd, &uk, err);
    if (rc == 0) {
        close_image_fds(&u);
        spec_free(&s);
        return handoff_runc(c, err);
    }
    if (rc > 0 && u.root_fd < 0) {
        *err = e_root;
        rc = err->code;
    }
    const struct backend *be = NULL;
    if (rc < 0 || (rc = backend_for(&uk, &be, err)) < 0 || (rc = backend_check_node(be, err)) < 0) {
        close_image_fds(&u);
        spec_free(&s);
        return rc;
    }
    const char *monitor = backend_monitor(be, NULL);
    log_info("unikernel %s on %s (%s) from %s, binary %s", uk.type, uk.hypervisor, monitor,
             uk.source, uk.binary);

    struct cstate cs = {.dirfd = -1};
    if ((rc = state_create(c, id, &cs, err)) < 0) {
        close_image_fds(&u);
        spec_free(&s);
        return rc;
    }
    struct rootfs_decision d;
    rc = rootfs_decide(&rootfs_probes_real, &uk, spec_annotation(&s, ROOTFS_ANNOTATION), bundle,
                       s.rootfs, &d, err);
    if (rc < 0)
        goto fail;
    log_info("rootfs: decision %s: %s", rootfs_outcome_name(d.outcome), d.reason);

    /* The monitor gets the image's files only as fds it inherits right after
     * the ready pipe (/proc/self/fd/N), or as copies in the state directory:
     * never a path the image chose. */
    int ready_fd = 3 + o->preserve_fds;
    char kernel[PATH_MAX * 2] = "";
    bool kernel_inherited = false;
    switch (d.outcome) {
    case OUT_INITRD:
        rc = ur_errf(err, -ENOTSUP, "the image boots from an initrd (%s), which hypervisor %s "
                                    "cannot load", uk.initrd, be->name);
        goto fail;
    case OUT_BLOCK_IMAGE:
        if ((rc = u.image_fd = image_open_block(u.root_fd, &uk, err)) < 0)
            goto fail;
        break;
    case OUT_ROOTFS_BLOCK:
        if ((rc = take_rootfs_device(&s, &uk, &d.found.rec, &cs, kernel, sizeof(kernel), &u, err)) < 0)
            goto fail;
        /* our own copy, in the state directory */
        if ((u.kernel_fd = open(kernel, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)) < 0) {
            rc = ur_errf_sys(err, -errno, "cannot open %s", kernel);
            goto fail;
        }
        break;
    case OUT_NONE:
        break;
    }
    if (u.kernel_fd < 0) {
        if ((rc = u.kernel_fd = image_open_kernel(u.root_fd, &uk, err)) < 0)
            goto fail;
        kernel_inherited = true;
    }
    int block_fd = u.image_fd >= 0 ? u.image_fd : u.excl_fd;
    if ((rc = check_devices(u.kernel_fd, be, &uk, &d, block_fd >= 0, err)) < 0)
        goto fail;
    if (u.root_fd >= 0) {
        close(u.root_fd);
        u.root_fd = -1;
    }

    u.cgroups = cJSON_CreateArray();
    struct cg_plan cg;
    const char *cgbase = getenv("UNIROOT_CGROUP_ROOT");
    if ((rc = cgroup_prepare(cgbase && *cgbase ? cgbase : "/sys/fs/cgroup", s.cgroups_path, &cg,
                             u.cgroups, err)) < 0)
        goto fail;

    char fifo[PATH_MAX + 16];
    snprintf(fifo, sizeof(fifo), "%s/start.fifo", cs.dir);
    if (mkfifo(fifo, 0600) < 0) {
        rc = ur_errf_sys(err, -errno, "mkfifo %s", fifo);
        goto fail;
    }
    struct backend_launch l = {
        .monitor = monitor, .ready_fd = ready_fd, .start_fifo = fifo,
        .kernel_fd = kernel_inherited ? u.kernel_fd : -1, .kernel_path = kernel,
        .block_fd = block_fd, .cmdline = uk.cmdline,
    };
    if (s.mem_limit) {
        if ((rc = guest_mem_mb(s.mem_limit, &l.mem_mb, err)) < 0)
            goto fail;
        if (rc > 0)
            log_warn("memory limit %llu MiB is more than an %s guest can address: the guest "
                     "gets %llu MiB", (unsigned long long)(s.mem_limit >> 20), be->name,
                     (unsigned long long)l.mem_mb);
    }
    static struct backend_cmd cmd; /* large: not on the stack */
    if ((rc = be->command(be, &l, &cmd, err)) < 0)
        goto fail;
    if (kernel_inherited)
        log_info("kernel: %s from the rootfs, handed to the monitor as an inherited fd", uk.binary);
    if (block_fd >= 0)
        log_info("block device rootfs: %s, handed to the monitor as an inherited fd",
                 u.image_fd >= 0 ? uk.block : d.found.rec.device);

    char cmdline[8192] = "";
    for (int i = 0; i < cmd.argc; i++)
        snprintf(cmdline + strlen(cmdline), sizeof(cmdline) - strlen(cmdline), "%s%s", i ? " " : "",
                 cmd.argv[i]);
    log_info("starting %s", cmdline);
    struct spawn_req req = {
        .vmm = monitor, .name = be->monitor, .argv = cmd.argv, .ready_fd = ready_fd,
        .nkeep = cmd.nkeep, .console_socket = o->console_socket, .spec = &s, .cg = &cg,
        .ready_timeout_ms = 30000,
    };
    memcpy(req.keep, cmd.keep, sizeof(cmd.keep[0]) * cmd.nkeep);
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
    state_set_str(&cs, "hypervisor", be->name);
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
    close_image_fds(&u);
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
