/* boot_info.c: lay out what the guest reads at entry, at HVT_X86_BOOT_INFO_BASE:
 * struct hvt_boot_info, then the manifest (as attached, host-private fields
 * cleared), then the command line (HVT_CMDLINE_SIZE bytes). With the net
 * ring, host_features offers HVT_FEATURE_RING_IO, net_ring is its address and
 * mem_size ends below it (ring.c).
 */
#include <errno.h>
#include <string.h>

#include "vmm.h"
#include "vmm_ring.h"

int boot_info_write(struct vmm *vmm, char *const *argv, struct ur_err *err)
{
    uint64_t pos = HVT_X86_BOOT_INFO_BASE;
    struct hvt_boot_info *bi = tender_gpa(&vmm->t, pos, sizeof(*bi));
    uint64_t mft_gpa = pos + sizeof(*bi);
    uint64_t cmd_gpa = (mft_gpa + vmm->t.mft_size + 7) & ~7ull;
    if (!bi || cmd_gpa + HVT_CMDLINE_SIZE > HVT_GUEST_MIN_BASE)
        return ur_errf(err, -E2BIG, "boot information does not fit below 1 MiB");

    /* Manifest: the guest sees capacities, sizes and MACs, not our fds. */
    struct mft *gm = tender_gpa(&vmm->t, mft_gpa, vmm->t.mft_size);
    memcpy(gm, vmm->t.mft, vmm->t.mft_size);
    for (unsigned i = 0; i < gm->entries; i++)
        gm->e[i].b.data = 0;

    /* Command line: the arguments joined by single spaces. */
    char *cmd = tender_gpa(&vmm->t, cmd_gpa, HVT_CMDLINE_SIZE);
    size_t used = 0;
    cmd[0] = '\0';
    for (unsigned i = 0; argv && argv[i]; i++) {
        size_t len = strlen(argv[i]);
        size_t need = len + (i > 0);
        if (used + need >= HVT_CMDLINE_SIZE)
            return ur_errf(err, -E2BIG, "guest command line too long (at most %u bytes)",
                           HVT_CMDLINE_SIZE - 1);
        if (i > 0)
            cmd[used++] = ' ';
        memcpy(cmd + used, argv[i], len);
        used += len;
        cmd[used] = '\0';
    }

    memset(bi, 0, sizeof(*bi));
    bi->mem_size = vmm->guest_top; /* below the net ring, if there is one */
    bi->kernel_end = vmm->t.kernel_end;
    bi->cpu_cycle_freq = vmm->tsc_hz;
    bi->cmdline = cmd_gpa;
    bi->mft = mft_gpa;
    if (vmm->ring) {
        bi->host_features = HVT_FEATURE_RING_IO;
        bi->net_ring = vmm->ring->r.gpa;
    }
    return 0;
}
