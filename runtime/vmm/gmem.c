/* gmem.c: the one gate between guest addresses and host pointers.
 *
 * Every address a guest hands us (hypercall argument structs, data buffers,
 * the halt cookie) goes through vmm_gpa(), which refuses any range not wholly
 * inside guest memory, including ranges whose end wraps around 2^64; what
 * the monitor writes goes through vmm_gpa_w(), which also refuses the
 * image's read-only ranges (mapped read-only on the host: a write there
 * would crash the monitor instead of stopping the guest).
 */
#include "vmm.h"

void *vmm_gpa(const struct vmm *vmm, uint64_t gpa, uint64_t len)
{
    if (gpa >= vmm->mem_size || len > vmm->mem_size - gpa)
        return NULL;
    return vmm->mem + gpa;
}

void *vmm_gpa_w(const struct vmm *vmm, uint64_t gpa, uint64_t len)
{
    void *p = vmm_gpa(vmm, gpa, len);
    if (!p)
        return NULL;
    for (unsigned i = 0; i < vmm->ro.n; i++)
        if (gpa < vmm->ro.end[i] && vmm->ro.start[i] < gpa + len)
            return NULL;
    return p;
}
