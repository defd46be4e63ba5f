/* bpfobs.c: load, pin and read unirootd's BPF programs (see bpfobs.h). */
#include "bpfobs.h"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <malloc.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bpfevent.h"
#include "btfmin.h"
#include "log.h"
#include "uniroot_fentry.skel.h"
#include "uniroot_tp.skel.h"

#define BPF_FS_MAGIC_ 0xcafe4a11
#define TRACEFS_MAGIC_ 0x74726163
#define MAX_LINKS 16
#define UR_KERNEL_BTF "/sys/kernel/btf/vmlinux"

struct probe_result {
    int rc;
    char why[512];
};

struct bpfobs {
    struct uniroot_tp *tp;
    struct uniroot_fentry *fe;
    struct bpf_object *obj;
    struct ring_buffer *rb;
    struct bpf_link *links[MAX_LINKS];
    char link_paths[MAX_LINKS][768];
    int nlinks;
    int fd_stats, fd_containers, fd_mounts;
    const char *backend;
    char fallback[512];
    struct obs_sink sink;
    const char *sysfs;
};

static int libbpf_log(enum libbpf_print_level level, const char *fmt, va_list ap)
{
    char buf[1024];
    vsnprintf(buf, sizeof(buf), fmt, ap);
    size_t n = strlen(buf);
    while (n > 0 && buf[n - 1] == '\n')
        buf[--n] = '\0';
    (void)level;
    ulog(ULOG_DEBUG, "libbpf", "\"msg\":%s", ulog_q(buf));
    return 0;
}

static int mkdir_p(const char *path)
{
    char buf[512];
    snprintf(buf, sizeof(buf), "%s", path);
    for (char *p = buf + 1; *p; p++) {
        if (*p == '/') {
            *p = '\0';
            if (mkdir(buf, 0700) < 0 && errno != EEXIST)
                return -errno;
            *p = '/';
        }
    }
    if (mkdir(buf, 0700) < 0 && errno != EEXIST)
        return -errno;
    return 0;
}

static int fs_is(const char *path, unsigned long magic)
{
    struct statfs s;
    return statfs(path, &s) == 0 && (unsigned long)s.f_type == magic;
}

int bpfobs_prepare_fs(struct ur_err *err)
{
    if (!fs_is("/sys/fs/bpf", BPF_FS_MAGIC_) && mount("bpf", "/sys/fs/bpf", "bpf", 0, "mode=0700") < 0)
        return ur_errf_sys(err, -errno, "mount bpffs on /sys/fs/bpf");
    if (access("/sys/kernel/tracing/events", F_OK) != 0 && access("/sys/kernel/debug/tracing/events", F_OK) != 0 &&
        mount("tracefs", "/sys/kernel/tracing", "tracefs", 0, NULL) < 0)
        return ur_errf_sys(err, -errno, "mount tracefs on /sys/kernel/tracing");
    return 0;
}


static int on_sample(void *ctx, void *data, size_t size)
{
    struct bpfobs *o = ctx;
    if (size < UR_EVENT_SIZE(1))
        return 0;
    struct ur_event e;
    memset(&e, 0, sizeof(e));
    memcpy(&e, data, size < sizeof(e) ? size : sizeof(e));
    e.fstype[sizeof(e.fstype) - 1] = '\0';
    e.source[sizeof(e.source) - 1] = '\0';
    e.target[sizeof(e.target) - 1] = '\0';
    e.comm[sizeof(e.comm) - 1] = '\0';
    bpfevent_dispatch(&e, o->backend, o->sysfs, &o->sink);
    return 0;
}

/* Attach every loaded program of obj and pin each link, replacing the pins
 * (and so the programs) of a previous agent. */
static int attach_and_pin(struct bpfobs *o, const char *pin_dir, struct ur_err *err)
{
    char dir[512];
    snprintf(dir, sizeof(dir), "%s/links", pin_dir);
    int rc = mkdir_p(dir);
    if (rc < 0)
        return ur_errf_sys(err, rc, "mkdir %s", dir);
    struct bpf_program *p;
    bpf_object__for_each_program(p, o->obj) {
        if (!bpf_program__autoload(p))
            continue;
        if (o->nlinks >= MAX_LINKS)
            return ur_errf(err, -E2BIG, "too many BPF programs");
        struct bpf_link *l = bpf_program__attach(p);
        if (!l)
            return ur_errf_sys(err, -errno, "attach %s", bpf_program__name(p));
        int i = o->nlinks++;
        o->links[i] = l;
        snprintf(o->link_paths[i], sizeof(o->link_paths[i]), "%s/%s", dir, bpf_program__name(p));
        unlink(o->link_paths[i]); /* the previous agent's link: its program detaches now */
        if ((rc = bpf_link__pin(l, o->link_paths[i])) < 0)
            return ur_errf_sys(err, rc, "pin link %s", o->link_paths[i]);
    }
    /* Pins of programs this variant does not have (the other variant's). */
    DIR *d = opendir(dir);
    if (d) {
        struct dirent *de;
        while ((de = readdir(d))) {
            if (de->d_name[0] == '.')
                continue;
            int mine = 0;
            for (int i = 0; i < o->nlinks; i++)
                mine |= !strcmp(strrchr(o->link_paths[i], '/') + 1, de->d_name);
            if (!mine)
                unlinkat(dirfd(d), de->d_name, 0);
        }
        closedir(d);
    }
    return 0;
}

static int set_filter(struct bpfobs *o, const struct agent_config *c, struct ur_err *err)
{
    struct ur_config f;
    memset(&f, 0, sizeof(f));
    f.flags = UR_CFG_ENABLED | (c->block_only ? UR_CFG_BLOCK_ONLY : 0);
    struct stat ns;
    if (stat("/proc/self/ns/mnt", &ns) == 0) /* the agent's own mount namespace */
        f.mnt_ns = (__u32)ns.st_ino;
    for (int i = 0; i < c->n_state_dirs && i < UR_MAX_PREFIXES; i++) {
        int n = snprintf(f.prefix[i].s, sizeof(f.prefix[i].s), "%s/", c->state_dirs[i]);
        /* "/run/containerd" and "/run/containerd/" both become "/run/containerd/" */
        if (n >= 2 && f.prefix[i].s[n - 2] == '/')
            f.prefix[i].s[--n] = '\0';
        f.prefix[i].len = (__u32)n;
        f.n_prefixes++;
    }
    __u32 k = 0;
    int fd = bpf_map__fd(o->tp ? o->tp->maps.filter : o->fe->maps.filter);
    if (bpf_map_update_elem(fd, &k, &f, BPF_ANY) < 0)
        return ur_errf_sys(err, -errno, "set the BPF filter");
    return 0;
}

/* Try the trampoline variant; 0 when it loaded, else the reason in o->fallback. */
static int try_fentry(struct bpfobs *o, const struct agent_config *c)
{
    LIBBPF_OPTS(bpf_object_open_opts, opts, .pin_root_path = c->pin_dir);
    struct uniroot_fentry *fe = uniroot_fentry__open_opts(&opts);
    if (!fe) {
        snprintf(o->fallback, sizeof(o->fallback), "fentry variant: open: %s", strerror(errno));
        return -errno;
    }
    bpf_map__set_max_entries(fe->maps.events, (__u32)c->ringbuf_kib * 1024);
    if (access("/sys/module/dm_mod", F_OK) != 0 || !c->ioctl_events)
        bpf_program__set_autoload(fe->progs.ur_fe_dm_ioctl, false);
    if (!c->ioctl_events)
        bpf_program__set_autoload(fe->progs.ur_fe_blkdev_ioctl, false);
    int rc = uniroot_fentry__load(fe);
    if (rc < 0) {
        snprintf(o->fallback, sizeof(o->fallback), "fentry/fexit refused by the kernel at load: %s",
                 strerror(-rc));
        uniroot_fentry__destroy(fe);
        return rc;
    }
    o->fe = fe;
    o->obj = fe->obj;
    o->backend = "bpf-fentry";
    return 0;
}

/* Would the trampoline variant load? Asked in a child process: libbpf parses
 * the whole kernel BTF to attach fentry programs (~9 MiB of heap here), and
 * where the kernel refuses trampolines (the common case on this kind of
 * node) that peak would otherwise stay in the agent's VmHWM for nothing.
 * 0 when the child loaded it (the caller then loads it for real), else the
 * reason in o->fallback. */
static int probe_fentry(struct bpfobs *o, const struct agent_config *c)
{
    int p[2];
    if (pipe2(p, O_CLOEXEC) < 0)
        return try_fentry(o, c); /* cannot isolate it: ask in process */
    fflush(stderr);
    pid_t pid = fork();
    if (pid < 0) {
        close(p[0]);
        close(p[1]);
        return try_fentry(o, c);
    }
    if (pid == 0) {
        close(p[0]);
        int rc = try_fentry(o, c);
        if (rc == 0) {
            uniroot_fentry__destroy(o->fe);
            o->fallback[0] = '\0';
        }
        struct probe_result r = {.rc = rc};
        snprintf(r.why, sizeof(r.why), "%s", o->fallback);
        ssize_t w = write(p[1], &r, sizeof(r));
        _exit(w == (ssize_t)sizeof(r) ? 0 : 1);
    }
    close(p[1]);
    struct probe_result r;
    ssize_t n;
    do
        n = read(p[0], &r, sizeof(r));
    while (n < 0 && errno == EINTR);
    close(p[0]);
    int st = 0;
    while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
        ;
    if (n != (ssize_t)sizeof(r)) {
        snprintf(o->fallback, sizeof(o->fallback), "fentry variant: the load probe died (status %d)", st);
        return -EIO;
    }
    r.why[sizeof(r.why) - 1] = '\0';
    if (r.rc == 0)
        return try_fentry(o, c);
    snprintf(o->fallback, sizeof(o->fallback), "%s", r.why);
    return r.rc < 0 ? r.rc : -EPERM;
}

static int load_tp(struct bpfobs *o, const struct agent_config *c, struct ur_err *err)
{
    LIBBPF_OPTS(bpf_object_open_opts, opts, .pin_root_path = c->pin_dir);
    /* CO-RE against the embedded minimal BTF when it was cut from this very
     * kernel's BTF; otherwise libbpf parses the full kernel BTF (said in the log). */
    char btf_path[64];
    int btf_fd = -1;
    struct ur_err why;
    ur_err_clear(&why);
    if (btfmin_open(UR_KERNEL_BTF, btf_path, sizeof(btf_path), &btf_fd, &why) == 0) {
        opts.btf_custom_path = btf_path;
        ulog(ULOG_INFO, "btf", "\"core\":\"minimal\",\"bytes\":%zu", btfmin_size());
    } else {
        ulog(ULOG_INFO, "btf", "\"core\":\"kernel\",\"why\":%s", ulog_q(why.msg));
    }
    struct uniroot_tp *tp = uniroot_tp__open_opts(&opts);
    if (!tp) {
        int e = -errno;
        if (btf_fd >= 0)
            close(btf_fd);
        return ur_errf_sys(err, e, "open the tracepoint BPF object");
    }
    bpf_map__set_max_entries(tp->maps.events, (__u32)c->ringbuf_kib * 1024);
    if (!c->ioctl_events)
        bpf_program__set_autoload(tp->progs.ur_tp_enter_ioctl, false);
    int rc = uniroot_tp__load(tp);
    if (btf_fd >= 0)
        close(btf_fd); /* libbpf parses the custom BTF at load */
    if (rc < 0) {
        uniroot_tp__destroy(tp);
        return ur_errf_sys(err, rc, "load the tracepoint BPF programs (pinned maps under %s from an "
                                    "incompatible build? try unirootd --cleanup)", c->pin_dir);
    }
    o->tp = tp;
    o->obj = tp->obj;
    o->backend = "bpf-tracepoint";
    return 0;
}

int bpfobs_open(const struct agent_config *c, enum observer_kind want, const struct obs_sink *sink,
                struct bpfobs **out, struct ur_err *err)
{
    libbpf_set_print(libbpf_log);
    int rc = bpfobs_prepare_fs(err);
    if (rc < 0)
        return rc;
    if ((rc = mkdir_p(c->pin_dir)) < 0)
        return ur_errf_sys(err, rc, "mkdir %s", c->pin_dir);
    struct bpfobs *o = calloc(1, sizeof(*o));
    if (!o)
        return ur_errf(err, -ENOMEM, "out of memory");
    o->sink = *sink;
    o->sysfs = c->sysfs;
    if (want == OBS_BPF_TRACEPOINT) {
        snprintf(o->fallback, sizeof(o->fallback), "tracepoints requested");
    } else if (probe_fentry(o, c) < 0 && want == OBS_BPF_FENTRY) {
        rc = ur_errf(err, -EPERM, "%s", o->fallback);
        goto fail;
    }
    if (!o->obj && (rc = load_tp(o, c, err)) < 0)
        goto fail;
    if ((rc = set_filter(o, c, err)) < 0 || (rc = attach_and_pin(o, c->pin_dir, err)) < 0)
        goto fail;
    struct bpf_map *ev = bpf_object__find_map_by_name(o->obj, "events");
    o->fd_stats = bpf_map__fd(bpf_object__find_map_by_name(o->obj, "stats"));
    o->fd_containers = bpf_map__fd(bpf_object__find_map_by_name(o->obj, "containers"));
    o->fd_mounts = bpf_map__fd(bpf_object__find_map_by_name(o->obj, "mounts"));
    o->rb = ring_buffer__new(bpf_map__fd(ev), on_sample, o, NULL);
    if (!o->rb) {
        rc = ur_errf_sys(err, -errno, "ring buffer");
        goto fail;
    }
    malloc_trim(0); /* loading parsed the kernel's BTF: give that memory back */
    *out = o;
    return 0;
fail:
    bpfobs_close(o, true);
    return rc;
}

const char *bpfobs_backend(const struct bpfobs *o)
{
    return o->backend;
}

const char *bpfobs_fallback_reason(const struct bpfobs *o)
{
    return o->fe ? "" : o->fallback;
}

int bpfobs_fd(const struct bpfobs *o)
{
    return ring_buffer__epoll_fd(o->rb);
}

int bpfobs_drain(struct bpfobs *o)
{
    return ring_buffer__consume(o->rb);
}

int bpfobs_stats(const struct bpfobs *o, struct ur_stats *st)
{
    __u32 k = 0;
    memset(st, 0, sizeof(*st));
    return bpf_map_lookup_elem(o->fd_stats, &k, st) < 0 ? -errno : 0;
}

int bpfobs_put_container(struct bpfobs *o, const struct ur_ckey *k, const struct ur_container *v)
{
    return bpf_map_update_elem(o->fd_containers, k, v, BPF_ANY) < 0 ? -errno : 0;
}

int bpfobs_del_container(struct bpfobs *o, const struct ur_ckey *k)
{
    return bpf_map_delete_elem(o->fd_containers, k) < 0 ? -errno : 0;
}

int bpfobs_each_container(struct bpfobs *o,
                          void (*fn)(const struct ur_ckey *k, const struct ur_container *v, void *arg),
                          void *arg)
{
    struct ur_ckey key, next;
    struct ur_container val;
    int n = 0;
    void *prev = NULL;
    while (bpf_map_get_next_key(o->fd_containers, prev, &next) == 0) {
        key = next;
        prev = &key;
        if (bpf_map_lookup_elem(o->fd_containers, &key, &val) == 0) {
            key.namespace_[sizeof(key.namespace_) - 1] = key.id[sizeof(key.id) - 1] = '\0';
            fn(&key, &val, arg);
            n++;
        }
    }
    return n;
}

int bpfobs_each_mount(struct bpfobs *o,
                      void (*fn)(const struct ur_mount_key *k, const struct ur_mount *v, void *arg),
                      void *arg)
{
    struct ur_mount_key key, next;
    struct ur_mount val;
    int n = 0;
    void *prev = NULL;
    while (bpf_map_get_next_key(o->fd_mounts, prev, &next) == 0) {
        key = next;
        prev = &key;
        if (bpf_map_lookup_elem(o->fd_mounts, &key, &val) == 0) {
            key.target[sizeof(key.target) - 1] = '\0';
            val.source[sizeof(val.source) - 1] = val.fstype[sizeof(val.fstype) - 1] = '\0';
            fn(&key, &val, arg);
            n++;
        }
    }
    return n;
}

void bpfobs_close(struct bpfobs *o, bool detach)
{
    if (!o)
        return;
    ring_buffer__free(o->rb);
    for (int i = 0; i < o->nlinks; i++) {
        if (detach)
            bpf_link__unpin(o->links[i]);
        bpf_link__destroy(o->links[i]);
    }
    if (o->tp)
        uniroot_tp__destroy(o->tp);
    if (o->fe)
        uniroot_fentry__destroy(o->fe);
    free(o);
}

int bpfobs_cleanup_pins(const char *pin_dir, struct ur_err *err)
{
    char path[512];
    snprintf(path, sizeof(path), "%s/links", pin_dir);
    const char *dirs[] = {path, pin_dir};
    for (int i = 0; i < 2; i++) {
        DIR *d = opendir(dirs[i]);
        if (!d) {
            if (errno == ENOENT)
                continue;
            return ur_errf_sys(err, -errno, "open %s", dirs[i]);
        }
        struct dirent *de;
        while ((de = readdir(d)))
            if (de->d_name[0] != '.' && strcmp(de->d_name, "links") != 0)
                unlinkat(dirfd(d), de->d_name, 0);
        closedir(d);
        if (rmdir(dirs[i]) < 0 && errno != ENOENT)
            return ur_errf_sys(err, -errno, "remove %s", dirs[i]);
    }
    /* The unversioned parent goes too when nothing else lives there. */
    snprintf(path, sizeof(path), "%s", pin_dir);
    char *slash = strrchr(path, '/');
    if (slash && slash != path) {
        *slash = '\0';
        rmdir(path);
    }
    return 0;
}
