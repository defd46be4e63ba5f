/* gmem.c: the one gate between guest addresses and host pointers.
 *
 * Every address a guest hands us (hypercall argument structs, data buffers,
 * the halt cookie) goes through vmm_gpa(), which refuses any range not wholly
 * inside guest memory, including ranges whose end wraps around 2^64.
 */
#include "vmm.h"

void *vmm_gpa(const struct vmm *vmm, uint64_t gpa, uint64_t len)
{
    if (gpa >= vmm->mem_size || len > vmm->mem_size - gpa)
        return NULL;
    return vmm->mem + gpa;
}
