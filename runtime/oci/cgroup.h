/* cgroup.h: placing the VMM in linux.cgroupsPath with the cgroupfs driver, on
 * cgroup v1, v2 and the hybrid layout (v1 controllers plus a v2 "unified"). */
#ifndef UNIROOT_OCI_CGROUP_H
#define UNIROOT_OCI_CGROUP_H

#include "oci.h"

#define CG_MAX 24

struct cg_plan {
    char procs[CG_MAX][PATH_MAX];   /* cgroup.procs files the VMM writes "0" to */
    unsigned nprocs;
};

/* Create the cgroup directories for path in every mounted hierarchy, add
 * each directory it created to the JSON array created (for cgroup_remove),
 * and fill plan. The base directory is normally /sys/fs/cgroup. */
int cgroup_prepare(const char *base, const char *path, struct cg_plan *plan, cJSON *created,
                   struct ur_err *err);
/* Move the calling process into the planned cgroups (in the child, pre-exec). */
int cgroup_join(const struct cg_plan *plan, struct ur_err *err);
/* Remove the directories listed in created, deepest first. */
void cgroup_remove(const cJSON *created);

#endif
