/* bundle.h: what unirootd does to an OCI bundle's config.json.
 *
 * Only unikernel bundles are touched, as common/ukbundle.h defines them for
 * the runtime too: annotations naming a unikernelType, or, when the
 * annotations hold no com.urunc.unikernel.* key, a urunc.json at the
 * rootfs root naming one (read inside the rootfs only). For them the
 * annotation "dev.uniroot.rootfs" is set to the record's JSON, through a
 * text edit that keeps every other byte (jsonpatch.h), written atomically:
 * temp file in the same directory, fsync, rename, fsync of the directory,
 * mode and owner kept (the fsyncs are skipped on tmpfs, where they mean
 * nothing). A config.json that does not parse is never written. */
#ifndef UNIROOTD_BUNDLE_H
#define UNIROOTD_BUNDLE_H

#include <stddef.h>

#include "err.h"

#include "ukbundle.h"

#define UNIKERNEL_TYPE_ANNOTATION UR_UK_TYPE_KEY

enum bundle_kind {
    BUNDLE_MISSING = 0,    /* no config.json (yet) */
    BUNDLE_UNPARSABLE,     /* config.json is not a JSON object */
    BUNDLE_OTHER,          /* not a unikernel: never touched */
    BUNDLE_UNIKERNEL,
    BUNDLE_REFUSED,        /* urunc.json there but refused (hostile or broken): never touched */
};

const char *bundle_kind_name(enum bundle_kind k);

/* Classify the bundle in dir (reads dir/config.json, and rootfs/urunc.json
 * when the annotations hold no description; rootfs NULL: annotations
 * only). Returns 0, or a negative errno for read errors other than ENOENT
 * and for a refused urunc.json (*kind BUNDLE_REFUSED). */
int bundle_classify(const char *dir, const char *rootfs, enum bundle_kind *kind,
                    struct ur_err *err);

/* Set the annotation to value in dir/config.json if the bundle is a unikernel
 * (rootfs as for bundle_classify: the mounted rootfs directory).
 * *kind says what was found; returns 1 when the file was rewritten, 0 when
 * nothing had to be done (not a unikernel, missing, or value already there),
 * negative errno on failure (unparsable config.json is -EINVAL, a refused
 * urunc.json its error; both leave config.json untouched).
 * written_ino (may be NULL) gets the inode of the file written, so the
 * caller can recognise its own rename when a watcher reports it. */
int bundle_annotate(const char *dir, const char *rootfs, const char *value, enum bundle_kind *kind,
                    unsigned long long *written_ino, struct ur_err *err);

/* The edit itself, on config.json's text doc[0..len): 1 and *out (malloc'ed,
 * length *out_len) when it must be rewritten, 0 when nothing has to be done,
 * -EINVAL when doc is not a JSON object. rootfs and *kind as for
 * bundle_annotate. */
int bundle_annotate_doc(const char *doc, size_t len, const char *rootfs, const char *value,
                        enum bundle_kind *kind, char **out, size_t *out_len, struct ur_err *err);

#endif
