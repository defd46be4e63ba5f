/* btfmin.h: the minimal kernel BTF embedded in unirootd.
 *
 * CO-RE relocation needs the kernel's types; libbpf parses the whole of
 * /sys/kernel/btf/vmlinux for that (~5 MiB here, which doubled the agent's
 * peak RSS). At build time `bpftool gen min_core_btf` keeps only the types the
 * tracepoint object relocates against, and the build records the identity
 * (btfhash.h) of the kernel BTF it was cut from. At load, the minimal BTF is
 * used only when the running kernel's BTF has that same identity; otherwise
 * libbpf falls back to the full kernel BTF (and the caller logs why). */
#ifndef UNIROOTD_BTFMIN_H
#define UNIROOTD_BTFMIN_H

#include <stddef.h>

#include "err.h"

/* When kernel_btf matches the build's, put the embedded minimal BTF in a
 * memfd, its path (/proc/self/fd/N) in path and the fd in *fd (close it after
 * the load) and return 0. Otherwise a negative errno with the reason in err
 * (-ESTALE: a different kernel BTF). */
int btfmin_open(const char *kernel_btf, char *path, size_t n, int *fd, struct ur_err *err);

/* Size of the embedded minimal BTF, for logs. */
size_t btfmin_size(void);

#endif
