/* ukbundle.h: what makes an OCI bundle a unikernel bundle: the one
 * definition the runtime (which runs such a bundle instead of handing it to
 * runc) and the agent (which annotates only such bundles) both apply.
 *
 * A bundle's unikernel description is the set of com.urunc.unikernel.*
 * keys of its config.json annotations; when the annotations hold none of
 * them, it is urunc.json at the root of its rootfs (the same keys, values
 * base64: urunc's form for engines that drop annotations). The bundle is a
 * unikernel bundle when its description names a unikernel type (a
 * non-empty unikernelType). A description that is there but names no type
 * is broken: the runtime refuses the bundle with its reason, the agent
 * leaves it alone.
 *
 * urunc.json comes from the image, so it is hostile input: it is opened
 * only inside the rootfs (inroot.h: no symlink out, no device, FIFO or
 * socket), must be a regular file of at most UR_URUNC_JSON_MAX bytes, and
 * must be a JSON object holding no NUL escape. */
#ifndef UNIROOT_COMMON_UKBUNDLE_H
#define UNIROOT_COMMON_UKBUNDLE_H

#include <stdbool.h>

#include "err.h"

#define UR_UK_PREFIX "com.urunc.unikernel."
#define UR_UK_TYPE_KEY UR_UK_PREFIX "unikernelType"
#define UR_URUNC_JSON "urunc.json"
#define UR_URUNC_JSON_MAX (64u << 10)

/* Is name (an annotation's or a urunc.json key) part of a description? */
bool ur_uk_is_key(const char *name);

/* urunc.json at the root of rootfd (the rootfs directory): 1 and *fd (read
 * only, O_CLOEXEC), 0 when there is no entry of that name, negative with the
 * reason in err when there is one but it is refused. */
int ur_urunc_json_open(int rootfd, int *fd, struct ur_err *err);

/* The same, read whole: 1 and *json (malloc'ed, NUL-terminated). */
int ur_urunc_json_read(int rootfd, char **json, struct ur_err *err);

/* Does urunc.json's text name a unikernel type? 1 yes, 0 no (the
 * description is broken), negative when it is not a JSON object or holds a
 * NUL escape (reason in err). */
int ur_urunc_json_names_type(const char *json, struct ur_err *err);

#endif
