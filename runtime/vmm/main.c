/* main.c: uniroot-vmm, a KVM monitor for Solo5 hvt unikernels.
 *
 * Order of work: parse the command line; read and check the image; make the
 * VM and load the image; attach devices; reserve the net ring (ring.c); set
 * up the vCPU and boot info; then (for the OCI runtime) report ready and wait
 * for start; then start the ring's I/O thread, lock down both threads with
 * seccomp and run. Any failure before the guest runs is one line on stderr
 * and exit status 1.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "vmm.h"

/* Read and check the image (hvt target), make the VM and load the image
 * into it. Image errors are prefixed with the image's path. */
static int load_image(struct vmm *vmm, const char *path, struct ur_err *err)
{
    struct tender_image ti;
    int rc = tender_image_open(&ti, path, SOLO5_ABI_TARGET_HVT, &vmm->t, err);
    if (rc < 0)
        return rc;
    if ((rc = kvm_create(vmm, err)) < 0)
        goto out;
    if ((rc = elf_image_load(ti.img, vmm->t.mem, vmm->t.mem_size, &vmm->t.entry,
                             &vmm->t.kernel_end, &vmm->t.ro, err)) < 0) {
        ur_err_wrap(err, "%s", path);
        goto out;
    }
    /* The guest's code and constants stay as loaded: a guest write there ends
     * in a fault (EFAULT or an MMIO exit), as under solo5-hvt. */
    for (unsigned i = 0; i < vmm->t.ro.n; i++)
        if (mprotect(vmm->t.mem + vmm->t.ro.start[i], vmm->t.ro.end[i] - vmm->t.ro.start[i],
                     PROT_READ) < 0) {
            rc = ur_errf_sys(err, -errno, "cannot protect the guest's read-only memory");
            goto out;
        }
out:
    tender_image_close(&ti);
    return rc;
}

/* Everything up to a guest that is ready to enter. */
static int prepare(struct vmm *vmm, const struct tender_opts *o, struct ur_err *err)
{
    int rc = x86_mem_size(o->mem_bytes, &vmm->t.mem_size, err);
    if (rc < 0 || (rc = load_image(vmm, o->kernel, err)) < 0)
        return rc;
    if ((rc = tender_attach_all(&vmm->reg, &vmm->t, o, err)) < 0)
        return rc;
    if ((rc = vmm_ring_setup(vmm, err)) < 0)
        return rc;

    x86_setup_gdt(vmm->t.mem);
    trap_setup(vmm->t.mem);
    if ((rc = x86_setup_pagetables(vmm->t.mem, vmm->t.mem_size, &vmm->t.ro, err)) < 0)
        return ur_err_wrap(err, "%s", o->kernel);
    if ((rc = kvm_setup_vcpu(vmm, err)) < 0)
        return rc;
    return boot_info_write(vmm, o->guest_argv, err);
}

static void cleanup(struct vmm *vmm)
{
    vmm_ring_stop(vmm);
    tender_cleanup_all(&vmm->reg, &vmm->t);
    kvm_destroy(vmm);
    free(vmm->t.mft);
    vmm->t.mft = NULL;
}

int main(int argc, char *argv[])
{
    struct ur_err err = {0};
    static struct vmm vmm = {.kvm_fd = -1, .vm_fd = -1, .vcpu_fd = -1};
    struct tender_opts o;
    if (tender_registry_init(&vmm.reg, &vmm_monitor, &err) < 0 ||
        tender_parse_args(&vmm.reg, argc, argv, &o, &err) < 0) {
        fprintf(stderr, "uniroot-vmm: %s\n", err.msg);
        return TENDER_EXIT_SETUP;
    }
    if (o.help) {
        tender_usage(&vmm.reg, stdout);
        return 0;
    }
    if (o.version) {
        printf("uniroot-vmm %s (Solo5 hvt ABI %d, x86_64)\n", VMM_VERSION, HVT_ABI_VERSION);
        return 0;
    }

    int status;
    if (prepare(&vmm, &o, &err) < 0) {
        tender_report_setup_error(&vmm.reg, &o, &err);
        status = TENDER_EXIT_SETUP;
        goto out;
    }
    vmm_install_signals(&vmm);
    if (tender_wait_for_start(&o, &err) < 0) {
        if (tender_stop_signal()) {
            status = TENDER_EXIT_SIGNAL_BASE + tender_stop_signal();
        } else {
            fprintf(stderr, "uniroot-vmm: %s\n", err.msg);
            status = TENDER_EXIT_SETUP;
        }
        goto out;
    }
    if (vmm_ring_start(&vmm, &err) < 0 || vmm_seccomp_install(&vmm, &err) < 0) {
        fprintf(stderr, "uniroot-vmm: %s\n", err.msg);
        status = TENDER_EXIT_SETUP;
        goto out;
    }
    status = vmm_run(&vmm, &err);
out:
    cleanup(&vmm);
    return status;
}
