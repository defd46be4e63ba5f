/* core_create.c: create. Read the bundle and the unikernel description
 * (else hand the container to runc), pick the backend and check the node for
 * it, decide the guest's rootfs and take it (an explicit block image, or the
 * container rootfs device from the host), check the binary against what it
 * will be given, then start the backend's monitor held at its start FIFO and
 * record the container. The guest's network (core_net.c) is attached between
 * the files and the monitor. Anything failing undoes what was done. */
#include "backend.h"
#include "cgroup.h"
#include "core.h"
#include "fileio.h"
#include "imagefs.h"
#include "settings.h"
#include "spawn.h"
#include "state.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* One create in progress: what it learnt, and what a failure must undo. */
struct creation {
    const struct rt_settings *set; /* the node's config file */
    unsigned be_index;          /* be's place in backends[] (its settings) */
    struct guest_mem mem;       /* the guest's memory and what decided it */
    char bundle[PATH_MAX];
    struct oci_spec spec;
    struct uk_desc uk;
    const struct backend *be;
    const char *monitor;
    struct cstate cs;
    struct rootfs_decision d;
    char kernel[PATH_MAX * 2];  /* the binary's copy in the state directory, when it is one */
    bool kernel_inherited;      /* else kernel_fd is inherited by the monitor */
    int root_fd;                /* the rootfs directory (O_PATH), until it is unmounted */
    int kernel_fd, image_fd;    /* the binary and the block image, inside the rootfs */
    struct rootfs_takeover take;
    struct kernel_info ki;      /* the binary's manifest */
    struct core_net net;
    uint64_t mem_mb;            /* --mem given to the monitor, 0: none */
    cJSON *cgroups;
    struct cg_plan cg;
    pid_t vmm;
    bool pid_file_written;
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

/* Close the fds create holds on the image's files (failure and success). */
static void close_image_fds(struct creation *cr)
{
    int *fds[] = {&cr->root_fd, &cr->kernel_fd, &cr->image_fd};
    for (size_t i = 0; i < sizeof(fds) / sizeof(fds[0]); i++) {
        if (*fds[i] >= 0)
            close(*fds[i]);
        *fds[i] = -1;
    }
}

static void undo(struct creation *cr)
{
    if (cr->vmm > 0) {
        kill(cr->vmm, SIGKILL);
        waitpid(cr->vmm, NULL, 0);
    }
    core_net_abort(&cr->net);
    close_image_fds(cr);
    rootfs_give_back(&cr->take);
    if (cr->cgroups)
        cgroup_remove(cr->cgroups);
    if (cr->cs.dirfd >= 0)
        state_remove(&cr->cs, NULL);
}

/* The bundle, its description and backend. 1: a unikernel for us; 0: not
 * one (the caller hands it to runc); negative: refused. */
static int describe(const struct core_create_opts *o, struct creation *cr, struct ur_err *err)
{
    if (!realpath(o->bundle ? o->bundle : ".", cr->bundle))
        return ur_errf_sys(err, -errno, "bundle %s", o->bundle ? o->bundle : ".");
    int rc = spec_load(cr->bundle, &cr->spec, err);
    if (rc < 0)
        return rc;
    struct ur_err e_root;
    if (image_open_root(cr->spec.rootfs, &cr->root_fd, &e_root) < 0)
        cr->root_fd = -1; /* no rootfs directory: only annotations can describe a unikernel */
    rc = load_description(&cr->spec, cr->root_fd, &cr->uk, err);
    if (rc > 0 && cr->root_fd < 0) {
        *err = e_root;
        rc = err->code;
    }
    if (rc <= 0)
        return rc;
    if ((rc = backend_for(&cr->uk, &cr->be, err)) < 0 || (rc = backend_check_node(cr->be, err)) < 0)
        return rc;
    while (cr->be_index < n_backends && backends[cr->be_index] != cr->be)
        cr->be_index++;
    cr->monitor = backend_monitor(cr->be, settings_monitor(cr->set, cr->be_index), NULL);
    log_info("unikernel %s on %s (%s) from %s, binary %s", cr->uk.type, cr->uk.hypervisor,
             cr->monitor, cr->uk.source, cr->uk.binary);
    return 1;
}

/* The guest's manifest must ask for exactly what the VMM will be given:
 * block device "rootfs" when one is handed over, nothing else. */
static int check_devices(struct creation *cr, bool giving_rootfs, struct ur_err *err)
{
    const struct uk_desc *uk = &cr->uk;
    struct kernel_info ki;
    int rc = kernel_inspect_fd(cr->kernel_fd, uk->binary, cr->be->solo5_target, &ki, err);
    if (rc < 0)
        return rc;
    cr->ki = ki;
    for (unsigned i = 0; i < ki.ndev; i++) {
        const struct kernel_dev *k = &ki.dev[i];
        if (k->net)
            continue; /* core_net.c attaches a tap for each */
        if (strcmp(k->name, "rootfs") != 0)
            return ur_errf(err, -ENOTSUP, "%s needs block device \"%s\"; uniroot only provides "
                                          "\"rootfs\"", uk->binary, k->name);
        if (!giving_rootfs)
            return ur_errf(err, -ENOTSUP, "%s needs block device \"rootfs\", but the rootfs is not "
                                          "handed over as one: %s", uk->binary, cr->d.reason);
    }
    if (giving_rootfs && !kernel_find_dev(&ki, "rootfs", false))
        return ur_errf(err, -ENOTSUP, "the rootfs would be handed over as block device \"rootfs\" "
                                      "(%s), but %s declares no such device", cr->d.reason, uk->binary);
    return 0;
}

/* Decide the guest's rootfs and open what the monitor will be given: the
 * binary and the block device, only as fds it inherits (/proc/self/fd/N) or
 * copies in the state directory, never a path the image chose. */
static int take_files(struct creation *cr, struct ur_err *err)
{
    const struct uk_desc *uk = &cr->uk;
    struct rootfs_probes probes = rootfs_probes_real;
    probes.ctx = (void *)settings_agent_socket(cr->set);
    int rc = rootfs_decide(&probes, uk, spec_annotation(&cr->spec, ROOTFS_ANNOTATION),
                           cr->bundle, cr->spec.rootfs, &cr->d, err);
    if (rc < 0)
        return rc;
    log_info("rootfs: decision %s: %s", rootfs_outcome_name(cr->d.outcome), cr->d.reason);
    switch (cr->d.outcome) {
    case OUT_INITRD:
        return ur_errf(err, -ENOTSUP, "the image boots from an initrd (%s), which hypervisor %s "
                                      "cannot load", uk->initrd, cr->be->name);
    case OUT_BLOCK_IMAGE:
        if ((rc = cr->image_fd = image_open_block(cr->root_fd, uk, err)) < 0)
            return rc;
        break;
    case OUT_ROOTFS_BLOCK:
        if ((rc = rootfs_take(&cr->spec, uk, &cr->d.found.rec, cr->cs.dir, &cr->root_fd, cr->kernel,
                              sizeof(cr->kernel), &cr->take, err)) < 0)
            return rc;
        /* our own copy, in the state directory */
        if ((cr->kernel_fd = open(cr->kernel, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)) < 0)
            return ur_errf_sys(err, -errno, "cannot open %s", cr->kernel);
        break;
    case OUT_NONE:
        break;
    }
    if (cr->kernel_fd < 0) {
        if ((rc = cr->kernel_fd = image_open_kernel(cr->root_fd, uk, err)) < 0)
            return rc;
        cr->kernel_inherited = true;
    }
    if ((rc = check_devices(cr, cr->image_fd >= 0 || cr->take.excl_fd >= 0, err)) < 0)
        return rc;
    if (cr->root_fd >= 0) {
        close(cr->root_fd);
        cr->root_fd = -1;
    }
    return 0;
}

static int write_pid_file(const char *path, pid_t pid, struct ur_err *err)
{
    char buf[32];
    int n = snprintf(buf, sizeof(buf), "%d", (int)pid);
    int rc = ur_write_atomic(AT_FDCWD, path, buf, (size_t)n, 0644, err);
    return rc < 0 ? ur_err_wrap(err, "pid file") : 0;
}

/* The guest's memory: annotation, memory limit, config file, built-in default. */
static int decide_memory(struct creation *cr, struct ur_err *err)
{
    const struct rt_monitor_settings *m = &cr->set->mon[cr->be_index];
    char where[PATH_MAX + 16];
    snprintf(where, sizeof(where), "%s:%u", cr->set->file, m->memory_line);
    struct guest_mem_req q = {
        .annotation = spec_annotation(&cr->spec, GUEST_MEM_ANNOTATION), .limit = cr->spec.mem_limit,
        .max_mb = cr->be->max_mem_mb, .hv = cr->be->name, .config_mb = m->memory_mb,
        .config_where = m->memory_line ? where : NULL,
    };
    int rc = guest_mem_decide(&q, &cr->mem, err);
    if (rc < 0)
        return rc;
    if (cr->mem.clipped)
        log_warn("memory limit %llu MiB is more than an %s guest can address: the guest "
                 "gets %llu MiB", (unsigned long long)(cr->spec.mem_limit >> 20), cr->be->name,
                 (unsigned long long)cr->mem.mb);
    log_info("guest memory %llu MiB (from %s)", (unsigned long long)cr->mem.mb, cr->mem.from);
    return 0;
}

/* Start the backend's monitor in the container's cgroups, held at its start
 * FIFO until start; cmdline gets its command line (for the state). */
static int launch(const struct core_create_opts *o, struct creation *cr, char *cmdline, size_t n,
                  struct ur_err *err)
{
    cr->cgroups = cJSON_CreateArray();
    int rc = cgroup_prepare(settings_cgroup_root(cr->set), cr->spec.cgroups_path, &cr->cg,
                            cr->cgroups, err);
    if (rc < 0)
        return rc;
    char fifo[PATH_MAX + 16];
    snprintf(fifo, sizeof(fifo), "%s/start.fifo", cr->cs.dir);
    if (mkfifo(fifo, 0600) < 0)
        return ur_errf_sys(err, -errno, "mkfifo %s", fifo);
    int block_fd = cr->image_fd >= 0 ? cr->image_fd : cr->take.excl_fd;
    struct backend_launch l = {
        .monitor = cr->monitor, .ready_fd = 3 + o->preserve_fds, .start_fifo = fifo,
        .kernel_fd = cr->kernel_inherited ? cr->kernel_fd : -1, .kernel_path = cr->kernel,
        .block_fd = block_fd, .cmdline = cr->uk.cmdline, .nnet = cr->net.n,
    };
    for (unsigned i = 0; i < cr->net.n; i++) {
        l.net[i].name = cr->net.dev[i].name;
        l.net[i].mac = cr->net.dev[i].mac;
        l.net[i].fd = cr->net.dev[i].fd;
    }
    l.mem_mb = cr->mem.mb;
    struct backend_cmd cmd;
    if ((rc = cr->be->command(cr->be, &l, &cmd, err)) < 0)
        return rc;
    if (cr->kernel_inherited)
        log_info("kernel: %s from the rootfs, handed to the monitor as an inherited fd", cr->uk.binary);
    if (block_fd >= 0)
        log_info("block device rootfs: %s, handed to the monitor as an inherited fd",
                 cr->image_fd >= 0 ? cr->uk.block : cr->d.found.rec.device);
    cr->mem_mb = l.mem_mb;
    cmdline[0] = '\0';
    for (int i = 0; i < cmd.argc; i++)
        snprintf(cmdline + strlen(cmdline), n - strlen(cmdline), "%s%s", i ? " " : "", cmd.argv[i]);
    log_info("starting %s", cmdline);
    struct spawn_req req = {
        .vmm = cr->monitor, .name = cr->be->monitor, .argv = cmd.argv, .ready_fd = l.ready_fd,
        .nkeep = cmd.nkeep, .console_socket = o->console_socket, .spec = &cr->spec, .cg = &cr->cg,
        .ready_timeout_ms = 30000,
    };
    memcpy(req.keep, cmd.keep, sizeof(cmd.keep[0]) * cmd.nkeep);
    if ((rc = vmm_spawn(&req, &cr->vmm, err)) < 0)
        return rc;
    if (o->pid_file && (rc = write_pid_file(o->pid_file, cr->vmm, err)) < 0)
        return rc;
    cr->pid_file_written = o->pid_file != NULL;
    return 0;
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
static void record_decision(struct creation *cr)
{
    const struct rootfs_decision *d = &cr->d;
    cJSON *a = state_annotations(&cr->cs);
    const cJSON *v;
    if (cr->spec.annotations)
        cJSON_ArrayForEach(v, cr->spec.annotations) if (cJSON_IsString(v) && v->string)
            annotate(a, v->string, v->valuestring);
    char num[32];
    annotate(a, "dev.uniroot.unikernel.source", cr->uk.source);
    snprintf(num, sizeof(num), "%llu", (unsigned long long)cr->mem.mb);
    annotate(a, "dev.uniroot.guest.memory-mb", num);
    annotate(a, "dev.uniroot.guest.memory-from", cr->mem.from);
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

/* The decision as state.json's "decision" (common/ctrdecision.h), for
 * unirootctl explain: monitor, memory, the rootfs and how it was found, the
 * taps. NULL when out of memory. */
static cJSON *decision_json(const struct creation *cr)
{
    static struct ur_decision x;
    const struct rootfs_decision *d = &cr->d;
    memset(&x, 0, sizeof(x));
    fmt_into(x.hypervisor, sizeof(x.hypervisor), "%s", cr->be->name);
    fmt_into(x.monitor, sizeof(x.monitor), "%s", cr->monitor);
    x.mem_mb = cr->mem_mb;
    fmt_into(x.outcome, sizeof(x.outcome), "%s", rootfs_outcome_name(d->outcome));
    fmt_into(x.source, sizeof(x.source), "%s", d->find_ran ? rootfs_source_name(d->found.source) : "none");
    if (d->outcome == OUT_ROOTFS_BLOCK || d->outcome == OUT_BLOCK_IMAGE)
        fmt_into(x.device, sizeof(x.device), "%s", d->path);
    if (d->outcome == OUT_ROOTFS_BLOCK) {
        x.major = d->found.rec.major;
        x.minor = d->found.rec.minor;
        fmt_into(x.fstype, sizeof(x.fstype), "%s", d->found.rec.fstype);
    }
    fmt_into(x.reason, sizeof(x.reason), "%s", d->reason);
    if (d->find_ran)
        fmt_into(x.trace, sizeof(x.trace), "%s", d->found.trace);
    for (unsigned i = 0; i < cr->net.n && i < UR_DECISION_MAX_NET; i++, x.nnet++) {
        struct ur_decision_net *n = &x.net[i];
        fmt_into(n->name, sizeof(n->name), "%s", cr->net.dev[i].name);
        fmt_into(n->tap, sizeof(n->tap), "%s", cr->net.dev[i].st.tap);
        fmt_into(n->mac, sizeof(n->mac), "%s", cr->net.dev[i].mac);
        fmt_into(n->iface, sizeof(n->iface), "%s", cr->net.dev[i].st.iface.name);
        fmt_into(n->netns, sizeof(n->netns), "%s", cr->net.dev[i].st.netns);
    }
    return ur_decision_to_json(&x);
}

/* The created container's state.json. */
static int record(struct creation *cr, const char *cmdline, struct ur_err *err)
{
    struct cstate *cs = &cr->cs;
    char created[64];
    rfc3339_now(created, sizeof(created));
    state_set_num(cs, "pid", cr->vmm);
    state_set_num(cs, "pid_start", (double)ur_proc_start_time(cr->vmm));
    state_set_str(cs, "status", "created");
    state_set_str(cs, "bundle", cr->bundle);
    state_set_str(cs, "rootfs", cr->spec.rootfs);
    state_set_str(cs, "created", created);
    state_set_str(cs, "owner", "");
    state_set_str(cs, "vmm_cmdline", cmdline);
    state_set_str(cs, "hypervisor", cr->be->name);
    cJSON_AddItemToObject(cs->j, "cgroups", cr->cgroups);
    cr->cgroups = NULL;
    record_decision(cr);
    cJSON *dj = decision_json(cr);
    if (!dj || !cJSON_AddItemToObject(cs->j, "decision", dj)) {
        cJSON_Delete(dj);
        cr->cgroups = cJSON_DetachItemFromObjectCaseSensitive(cs->j, "cgroups");
        return ur_errf(err, -ENOMEM, "out of memory");
    }
    int rc = state_save(cs, err);
    if (rc < 0)
        cr->cgroups = cJSON_DetachItemFromObjectCaseSensitive(cs->j, "cgroups");
    return rc;
}

int core_create(struct ctx *c, const char *id, const struct core_create_opts *o, pid_t *vmm,
                struct ur_err *err)
{
    struct creation cr = {
        .set = c->set, .root_fd = -1, .kernel_fd = -1, .image_fd = -1, .cs = {.dirfd = -1},
        .take = ROOTFS_TAKEOVER_INIT,
    };
    int rc = describe(o, &cr, err);
    if (rc <= 0) {
        close_image_fds(&cr);
        spec_free(&cr.spec);
        return rc == 0 ? handoff_runc(c, err) : rc;
    }
    char cmdline[8192];
    if ((rc = decide_memory(&cr, err)) < 0 || (rc = state_create(c, id, &cr.cs, err)) < 0 ||
        (rc = take_files(&cr, err)) < 0 ||
        (rc = core_net_attach(&cr.spec, &cr.uk, &cr.ki, cr.cs.dirfd, &cr.net, cr.uk.cmdline,
                              sizeof(cr.uk.cmdline), err)) < 0 ||
        (rc = launch(o, &cr, cmdline, sizeof(cmdline), err)) < 0 ||
        (rc = record(&cr, cmdline, err)) < 0) {
        if (cr.pid_file_written)
            unlink(o->pid_file);
        undo(&cr);
        cJSON_Delete(cr.cgroups);
        spec_free(&cr.spec);
        return rc;
    }
    *vmm = cr.vmm;
    close_image_fds(&cr);
    rootfs_taken(&cr.take);
    core_net_close(&cr.net);
    state_close(&cr.cs);
    spec_free(&cr.spec);
    return 0;
}
