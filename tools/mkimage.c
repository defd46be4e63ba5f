/* mkimage.c: uniroot-mkimage, builds an OCI image-layout tar (oci-layout,
 * index.json, blobs/sha256/...) with one gzip layer, ready for
 * `ctr images import --base-name localhost/NAME` or `podman run
 * oci-archive:FILE`. For a unikernel it places the kernel at
 * /unikernel/<name>, writes /urunc.json (values base64, for runtimes that
 * do not get the image's annotations) and the same com.urunc.unikernel.*
 * annotations on the manifest and as config labels.
 *
 *   uniroot-mkimage --out IMG.tar [--tag TAG]
 *       [--unikernel TYPE --kernel FILE [--hypervisor hvt|spt] [--cmdline STR]
 *        [--mount-rootfs]]
 *       [--file SRC=DST]... [--link TARGET=DST]... [--cmd ARG]...
 *
 * The kernel must be an x86_64 Solo5 ELF built for the declared hypervisor
 * (checked by the monitor's own image reader, runtime/tender/elf_image.c).
 * Destinations are normalised ("//a/./b" is "a/b") and any ".." is refused.
 * The output is written atomically (common/fileio.c): on any error, a full
 * disk included, nothing is left at OUT.
 */
#include "mkimage.h"
#include "fileio.h"
#include "image.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define MAX_ITEMS 256

struct item {
    const char *src, *dst;
    bool link;
};

struct args {
    const char *out, *tag, *type, *kernel, *cmdline, *hypervisor;
    bool mount_rootfs;
    struct item items[MAX_ITEMS];
    int nitems;
    const char *cmd[64];
    int ncmd;
};

static void usage(FILE *f)
{
    fprintf(f, "usage: uniroot-mkimage --out IMG.tar [--tag TAG]\n"
               "         [--unikernel TYPE --kernel FILE [--hypervisor hvt|spt] [--cmdline STR]\n"
               "          [--mount-rootfs]]\n"
               "         [--file SRC=DST]... [--link TARGET=DST]... [--cmd ARG]...\n"
               "Write an OCI image-layout tar (one gzip layer) for `ctr images import\n"
               "--base-name localhost/NAME` or `podman run oci-archive:IMG.tar`. For a unikernel\n"
               "the kernel goes to /unikernel/<name>, /urunc.json and the com.urunc.unikernel.*\n"
               "annotations (manifest and config labels) describe it, as urunc reads them.\n"
               "\n"
               "  --out IMG.tar         the tar to write (atomically: nothing is left on error)\n"
               "  --tag TAG             the image's ref name in index.json (default latest)\n"
               "  --unikernel TYPE      unikernelType, e.g. solo5 (needs --kernel)\n"
               "  --kernel FILE         x86_64 Solo5 ELF built for the hypervisor (checked with the\n"
               "                        monitors' own image reader)\n"
               "  --hypervisor hvt|spt  the monitor (default hvt: uniroot-vmm; spt: uniroot-spt)\n"
               "  --cmdline STR         the unikernel's command line\n"
               "  --mount-rootfs        mountRootfs=true: the guest is given the container rootfs\n"
               "  --file SRC=DST        put file SRC at DST in the layer (repeatable)\n"
               "  --link TARGET=DST     a symbolic link DST -> TARGET (repeatable)\n"
               "  --cmd ARG             one element of the image's Cmd (repeatable)\n"
               "  --help, -h            this text\n"
               "Destinations are normalised and any \"..\" is refused; at least a unikernel or one\n"
               "--file/--link is needed. Exit status: 0 written, 1 refused or failed.\n");
}

static int read_whole(const char *path, struct buf *b, unsigned *mode, struct ur_err *err)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return ur_errf_sys(err, -errno, "cannot open %s", path);
    struct stat st;
    if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
        close(fd);
        return ur_errf(err, -EINVAL, "%s is not a regular file", path);
    }
    *mode = st.st_mode & 07777;
    memset(b, 0, sizeof(*b));
    int rc = 0;
    char chunk[65536];
    for (;;) {
        ssize_t n = read(fd, chunk, sizeof(chunk));
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            rc = ur_errf_sys(err, -errno, "cannot read %s", path);
            break;
        }
        if (n == 0 || (rc = buf_append(b, chunk, (size_t)n, err)) < 0)
            break;
    }
    close(fd);
    if (rc < 0)
        buf_free(b);
    return rc;
}

/* A path inside the image, as a tar entry name: relative, components
 * separated by one '/', no "." components; ".." (which would climb out of
 * the layer where it is unpacked), control characters and an empty result
 * are refused. */
static int clean_dst(const char *in, char *out, size_t n, struct ur_err *err)
{
    size_t len = 0;
    for (const char *p = in; *p;) {
        while (*p == '/')
            p++;
        const char *e = p;
        while (*e && *e != '/')
            e++;
        size_t cl = (size_t)(e - p);
        if (cl == 2 && p[0] == '.' && p[1] == '.')
            return ur_errf(err, -EINVAL, "destination %s: \"..\" is not allowed", in);
        for (const char *q = p; q < e; q++)
            if ((unsigned char)*q < 0x20 || *q == 0x7f)
                return ur_errf(err, -EINVAL, "destination %s: control characters are not allowed", in);
        if (cl && !(cl == 1 && p[0] == '.')) {
            if (len + (len ? 1 : 0) + cl + 1 > n)
                return ur_errf(err, -ENAMETOOLONG, "destination %s: too long", in);
            if (len)
                out[len++] = '/';
            memcpy(out + len, p, cl);
            len += cl;
        }
        p = e;
    }
    out[len] = '\0';
    if (len == 0)
        return ur_errf(err, -EINVAL, "destination \"%s\" names no file", in);
    return 0;
}

/* The kernel must be what the image declares: an x86_64 Solo5 ELF for
 * hypervisor hv, with a valid manifest. */
static int check_kernel(const char *path, const struct buf *k, const char *hv, struct ur_err *err)
{
    struct elf_image *img;
    struct mft *m = NULL;
    size_t msize;
    uint32_t target = strcmp(hv, "spt") == 0 ? SOLO5_ABI_TARGET_SPT : SOLO5_ABI_TARGET_HVT;
    int rc = elf_image_open(&img, k->p, k->len, err);
    if (rc == 0) {
        if ((rc = elf_image_check_target(img, target, err)) == 0)
            rc = elf_image_manifest(img, &m, &msize, err);
        elf_image_close(img);
    }
    free(m);
    return rc < 0 ? ur_err_wrap(err, "kernel %s is not a Solo5 %s unikernel", path, hv) : 0;
}

/* Add every missing parent directory of path (relative, no leading '/'). */
static int add_parents(struct buf *t, const char *path, char (*seen)[256], int *nseen,
                       struct ur_err *err)
{
    char d[256];
    for (const char *p = strchr(path, '/'); p; p = strchr(p + 1, '/')) {
        size_t n = (size_t)(p - path);
        if (n == 0 || n >= sizeof(d))
            continue;
        memcpy(d, path, n);
        d[n] = '\0';
        bool found = false;
        for (int i = 0; i < *nseen && !found; i++)
            found = strcmp(seen[i], d) == 0;
        if (found)
            continue;
        if (*nseen >= MAX_ITEMS * 4)
            return ur_errf(err, -E2BIG, "too many directories");
        strcpy(seen[(*nseen)++], d);
        int rc = tar_add_dir(t, d, err);
        if (rc < 0)
            return rc;
    }
    return 0;
}

static char *b64(const char *s)
{
    static const char tbl[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    size_t n = strlen(s);
    char *o = malloc(4 * ((n + 2) / 3) + 1), *q = o;
    if (!o)
        return NULL;
    for (size_t i = 0; i < n; i += 3) {
        uint32_t v = (uint32_t)(uint8_t)s[i] << 16;
        if (i + 1 < n) v |= (uint32_t)(uint8_t)s[i + 1] << 8;
        if (i + 2 < n) v |= (uint8_t)s[i + 2];
        *q++ = tbl[v >> 18 & 63];
        *q++ = tbl[v >> 12 & 63];
        *q++ = i + 1 < n ? tbl[v >> 6 & 63] : '=';
        *q++ = i + 2 < n ? tbl[v & 63] : '=';
    }
    *q = '\0';
    return o;
}

/* The com.urunc.unikernel.* annotations for a unikernel image. */
static cJSON *uk_annotations(const struct args *a, const char *kdst)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "com.urunc.unikernel.unikernelType", a->type);
    cJSON_AddStringToObject(o, "com.urunc.unikernel.hypervisor", a->hypervisor);
    cJSON_AddStringToObject(o, "com.urunc.unikernel.binary", kdst);
    cJSON_AddStringToObject(o, "com.urunc.unikernel.cmdline", a->cmdline ? a->cmdline : "");
    cJSON_AddStringToObject(o, "com.urunc.unikernel.mountRootfs", a->mount_rootfs ? "true" : "false");
    return o;
}

/* An entry may not lie below an earlier --link: unpacking would write
 * through the symlink, wherever it points. */
static int under_link(const struct args *a, int upto, const char *dst, struct ur_err *err)
{
    for (int j = 0; j < upto; j++) {
        char l[256];
        if (!a->items[j].link || clean_dst(a->items[j].dst, l, sizeof(l), NULL) < 0)
            continue;
        size_t n = strlen(l);
        if (strncmp(dst, l, n) == 0 && dst[n] == '/')
            return ur_errf(err, -EINVAL, "destination %s lies below the symlink /%s", dst, l);
    }
    return 0;
}

static int build_layer(const struct args *a, struct buf *tarb, cJSON **annots, struct ur_err *err)
{
    static char seen[MAX_ITEMS * 4][256];
    int nseen = 0, rc;
    memset(tarb, 0, sizeof(*tarb));
    *annots = NULL;
    if (a->type) {
        char kdst[300], kname[300];
        const char *base = strrchr(a->kernel, '/');
        snprintf(kname, sizeof(kname), "unikernel/%s", base ? base + 1 : a->kernel);
        if ((rc = clean_dst(kname, kdst + 1, sizeof(kdst) - 1, err)) < 0)
            return rc;
        kdst[0] = '/';
        struct buf k;
        unsigned mode;
        if ((rc = read_whole(a->kernel, &k, &mode, err)) < 0)
            return rc;
        if ((rc = check_kernel(a->kernel, &k, a->hypervisor, err)) < 0) {
            buf_free(&k);
            return rc;
        }
        rc = add_parents(tarb, kdst + 1, seen, &nseen, err);
        if (rc == 0)
            rc = tar_add_file(tarb, kdst + 1, k.p, k.len, 0755, err);
        buf_free(&k);
        if (rc < 0)
            return rc;
        *annots = uk_annotations(a, kdst);
        /* urunc.json: the same keys, values base64 */
        cJSON *uj = cJSON_CreateObject();
        const cJSON *v;
        cJSON_ArrayForEach(v, *annots) {
            char *e = b64(v->valuestring);
            cJSON_AddStringToObject(uj, v->string, e ? e : "");
            free(e);
        }
        char *s = cJSON_PrintUnformatted(uj);
        cJSON_Delete(uj);
        rc = s ? tar_add_file(tarb, "urunc.json", s, strlen(s), 0644, err) : -ENOMEM;
        free(s);
        if (rc < 0)
            return rc;
    }
    for (int i = 0; i < a->nitems; i++) {
        const struct item *it = &a->items[i];
        char dst[256];
        if ((rc = clean_dst(it->dst, dst, sizeof(dst), err)) < 0 ||
            (rc = under_link(a, i, dst, err)) < 0 ||
            (rc = add_parents(tarb, dst, seen, &nseen, err)) < 0)
            return rc;
        if (it->link) {
            rc = tar_add_symlink(tarb, dst, it->src, err);
        } else {
            struct buf f;
            unsigned mode;
            if ((rc = read_whole(it->src, &f, &mode, err)) < 0)
                return rc;
            rc = tar_add_file(tarb, dst, f.p, f.len, mode, err);
            buf_free(&f);
        }
        if (rc < 0)
            return rc;
    }
    return tar_finish(tarb, err);
}

/* Add a blob to the outer tar; fills the descriptor's digest and size. */
static int add_blob(struct buf *outer, const void *data, size_t n, const char *media, cJSON *desc,
                    struct ur_err *err)
{
    char dg[72], name[128];
    sha256_digest(data, n, dg);
    snprintf(name, sizeof(name), "blobs/sha256/%s", dg + 7);
    cJSON_AddStringToObject(desc, "mediaType", media);
    cJSON_AddStringToObject(desc, "digest", dg);
    cJSON_AddNumberToObject(desc, "size", (double)n);
    return tar_add_file(outer, name, data, n, 0644, err);
}

static int build(const struct args *a, struct ur_err *err)
{
    struct buf layer, gz, outer = {0};
    cJSON *annots = NULL;
    int rc = build_layer(a, &layer, &annots, err);
    if (rc < 0) {
        buf_free(&layer);
        return rc;
    }
    if ((rc = gzip_buf(&layer, &gz, err)) < 0) {
        buf_free(&layer);
        cJSON_Delete(annots);
        return rc;
    }
    char diff_id[72];
    sha256_digest(layer.p, layer.len, diff_id);
    buf_free(&layer);

    /* image config */
    cJSON *cfg = cJSON_CreateObject();
    cJSON_AddStringToObject(cfg, "created", "2023-11-14T22:13:20Z");
    cJSON_AddStringToObject(cfg, "architecture", "amd64");
    cJSON_AddStringToObject(cfg, "os", "linux");
    cJSON *cc = cJSON_AddObjectToObject(cfg, "config");
    if (a->ncmd) {
        cJSON *cmd = cJSON_AddArrayToObject(cc, "Cmd");
        for (int i = 0; i < a->ncmd; i++)
            cJSON_AddItemToArray(cmd, cJSON_CreateString(a->cmd[i]));
    }
    if (annots)
        cJSON_AddItemToObject(cc, "Labels", cJSON_Duplicate(annots, 1));
    cJSON *rfs = cJSON_AddObjectToObject(cfg, "rootfs");
    cJSON_AddStringToObject(rfs, "type", "layers");
    cJSON_AddItemToArray(cJSON_AddArrayToObject(rfs, "diff_ids"), cJSON_CreateString(diff_id));
    char *cfgs = cJSON_PrintUnformatted(cfg);
    cJSON_Delete(cfg);

    tar_add_file(&outer, "oci-layout", "{\"imageLayoutVersion\":\"1.0.0\"}", 30, 0644, err);
    tar_add_dir(&outer, "blobs", err);
    tar_add_dir(&outer, "blobs/sha256", err);

    cJSON *man = cJSON_CreateObject();
    cJSON_AddNumberToObject(man, "schemaVersion", 2);
    cJSON_AddStringToObject(man, "mediaType", "application/vnd.oci.image.manifest.v1+json");
    cJSON *cdesc = cJSON_AddObjectToObject(man, "config");
    rc = add_blob(&outer, cfgs, strlen(cfgs), "application/vnd.oci.image.config.v1+json", cdesc, err);
    free(cfgs);
    cJSON *ldesc = cJSON_CreateObject();
    cJSON_AddItemToArray(cJSON_AddArrayToObject(man, "layers"), ldesc);
    if (rc == 0)
        rc = add_blob(&outer, gz.p, gz.len, "application/vnd.oci.image.layer.v1.tar+gzip", ldesc, err);
    buf_free(&gz);
    if (annots)
        cJSON_AddItemToObject(man, "annotations", annots);
    char *mans = cJSON_PrintUnformatted(man);
    cJSON_Delete(man);

    cJSON *idx = cJSON_CreateObject();
    cJSON_AddNumberToObject(idx, "schemaVersion", 2);
    cJSON *mdesc = cJSON_CreateObject();
    cJSON_AddItemToArray(cJSON_AddArrayToObject(idx, "manifests"), mdesc);
    if (rc == 0)
        rc = add_blob(&outer, mans, strlen(mans), "application/vnd.oci.image.manifest.v1+json", mdesc, err);
    free(mans);
    cJSON_AddStringToObject(cJSON_AddObjectToObject(mdesc, "annotations"),
                            "org.opencontainers.image.ref.name", a->tag);
    char *idxs = cJSON_PrintUnformatted(idx);
    cJSON_Delete(idx);
    if (rc == 0)
        rc = tar_add_file(&outer, "index.json", idxs, strlen(idxs), 0644, err);
    free(idxs);
    if (rc == 0)
        rc = tar_finish(&outer, err);

    if (rc == 0)
        rc = ur_write_atomic(AT_FDCWD, a->out, outer.p, outer.len, 0644, err);
    buf_free(&outer);
    return rc;
}

static int parse(int argc, char **argv, struct args *a, struct ur_err *err)
{
    memset(a, 0, sizeof(*a));
    a->tag = "latest";
    a->hypervisor = "hvt";
    for (int i = 1; i < argc; i++) {
        const char *o = argv[i];
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (strcmp(o, "--help") == 0 || strcmp(o, "-h") == 0) {
            usage(stdout);
            exit(0);
        }
        if (strcmp(o, "--mount-rootfs") == 0) {
            a->mount_rootfs = true;
            continue;
        }
        if (!v)
            return ur_errf(err, -EINVAL, "%s needs a value", o);
        i++;
        if (strcmp(o, "--out") == 0)
            a->out = v;
        else if (strcmp(o, "--tag") == 0)
            a->tag = v;
        else if (strcmp(o, "--unikernel") == 0)
            a->type = v;
        else if (strcmp(o, "--kernel") == 0)
            a->kernel = v;
        else if (strcmp(o, "--hypervisor") == 0)
            a->hypervisor = v;
        else if (strcmp(o, "--cmdline") == 0)
            a->cmdline = v;
        else if (strcmp(o, "--cmd") == 0) {
            if (a->ncmd >= 64)
                return ur_errf(err, -E2BIG, "too many --cmd");
            a->cmd[a->ncmd++] = v;
        } else if (strcmp(o, "--file") == 0 || strcmp(o, "--link") == 0) {
            const char *eq = strchr(v, '=');
            if (!eq || eq == v || !eq[1])
                return ur_errf(err, -EINVAL, "%s wants SRC=DST, got \"%s\"", o, v);
            if (a->nitems >= MAX_ITEMS)
                return ur_errf(err, -E2BIG, "too many files");
            struct item *it = &a->items[a->nitems++];
            it->src = strndup(v, (size_t)(eq - v));
            it->dst = eq + 1;
            it->link = strcmp(o, "--link") == 0;
        } else {
            return ur_errf(err, -EINVAL, "unknown option %s", o);
        }
    }
    if (!a->out)
        return ur_errf(err, -EINVAL, "--out is required");
    if (!!a->type != !!a->kernel)
        return ur_errf(err, -EINVAL, "--unikernel and --kernel go together");
    if (strcmp(a->hypervisor, "hvt") != 0 && strcmp(a->hypervisor, "spt") != 0)
        return ur_errf(err, -EINVAL, "--hypervisor must be hvt or spt, not \"%s\"", a->hypervisor);
    if (!a->type && !a->nitems)
        return ur_errf(err, -EINVAL, "nothing to put in the image");
    return 0;
}

int main(int argc, char **argv)
{
    struct args a;
    struct ur_err err;
    ur_err_clear(&err);
    int rc = parse(argc, argv, &a, &err);
    bool bad_usage = rc == -EINVAL;
    if (rc == 0)
        rc = build(&a, &err);
    for (int i = 0; i < a.nitems; i++)
        free((char *)a.items[i].src);
    if (rc < 0) {
        fprintf(stderr, "uniroot-mkimage: %s\n", err.msg);
        if (bad_usage)
            usage(stderr);
        return 1;
    }
    return 0;
}
