/* main.c: uniroot-vmm, a KVM monitor for Solo5 hvt unikernels.
 *
 * Order of work: parse the command line; read and check the image; make the
 * VM and load the image; attach devices; set up the vCPU and boot info; then
 * (for the OCI runtime) report ready and wait for start; then lock down with
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

static const struct vmm_module *const modules[] = {&vmm_block_module, &vmm_net_module};
#define NMODULES (sizeof(modules) / sizeof(modules[0]))

/* Read and check the image: its ABI note and manifest, then make the VM and
 * load it. Image errors are prefixed with the image's path. */
static int load_image(struct vmm *vmm, const char *path, struct ur_err *err)
{
    void *kbuf = NULL;
    size_t klen = 0;
    int rc = tender_map_kernel(path, &kbuf, &klen, err);
    if (rc < 0)
        return rc;
    struct elf_image *img = NULL;
    if ((rc = elf_image_open(&img, kbuf, klen, err)) < 0 ||
        (rc = elf_image_check_abi(img, err)) < 0 ||
        (rc = elf_image_manifest(img, &vmm->mft, &vmm->mft_size, err)) < 0) {
        ur_err_wrap(err, "%s", path);
        goto out;
    }
    if ((rc = kvm_create(vmm, err)) < 0)
        goto out;
    if ((rc = elf_image_load(img, vmm->mem, vmm->mem_size, &vmm->entry, &vmm->kernel_end,
                             &vmm->ro, err)) < 0) {
        ur_err_wrap(err, "%s", path);
        goto out;
    }
    /* The guest's code and constants stay as loaded: a guest write there ends
     * in a fault (EFAULT or an MMIO exit), as under solo5-hvt. */
    for (unsigned i = 0; i < vmm->ro.n; i++)
        if (mprotect(vmm->mem + vmm->ro.start[i], vmm->ro.end[i] - vmm->ro.start[i], PROT_READ) < 0) {
            rc = ur_errf_sys(err, -errno, "cannot protect the guest's read-only memory");
            goto out;
        }
out:
    elf_image_close(img);
    munmap(kbuf, klen);
    return rc;
}

/* Everything up to a guest that is ready to enter. */
static int prepare(struct vmm *vmm, const struct tender_opts *o, struct ur_err *err)
{
    int rc = x86_mem_size(o->mem_bytes, &vmm->mem_size, err);
    if (rc < 0 || (rc = load_image(vmm, o->kernel, err)) < 0)
        return rc;
    hypercall_register_core(vmm);
    for (unsigned i = 0; i < NMODULES; i++)
        if ((rc = modules[i]->attach(vmm, o, err)) < 0)
            return rc;
    if ((rc = mft_check_all_attached(vmm->mft, err)) < 0)
        return rc;

    x86_setup_gdt(vmm->mem);
    trap_setup(vmm->mem);
    if ((rc = x86_setup_pagetables(vmm->mem, vmm->mem_size, &vmm->ro, err)) < 0)
        return ur_err_wrap(err, "%s", o->kernel);
    if ((rc = kvm_setup_vcpu(vmm, err)) < 0)
        return rc;
    return boot_info_write(vmm, o->guest_argv, err);
}

static void cleanup(struct vmm *vmm)
{
    for (unsigned i = 0; i < NMODULES; i++)
        modules[i]->cleanup(vmm);
    kvm_destroy(vmm);
    free(vmm->mft);
    vmm->mft = NULL;
}

int main(int argc, char *argv[])
{
    struct ur_err err = {0};
    struct tender_opts o;
    if (tender_parse_args(argc, argv, &o, &err) < 0) {
        fprintf(stderr, "uniroot-vmm: %s\n", err.msg);
        return TENDER_EXIT_SETUP;
    }
    if (o.help) {
        tender_usage(stdout, "uniroot-vmm");
        return 0;
    }
    if (o.version) {
        printf("uniroot-vmm %s (Solo5 hvt ABI %d, x86_64)\n", VMM_VERSION, HVT_ABI_VERSION);
        return 0;
    }

    struct vmm vmm = {.kvm_fd = -1, .vm_fd = -1, .vcpu_fd = -1};
    int status;
    if (prepare(&vmm, &o, &err) < 0) {
        fprintf(stderr, "uniroot-vmm: %s\n", err.msg);
        if (o.ready_fd >= 0) { /* the runtime quotes it in "OCI runtime create failed" */
            dprintf(o.ready_fd, "error: %s\n", err.msg);
            close(o.ready_fd);
        }
        status = TENDER_EXIT_SETUP;
        goto out;
    }
    vmm_install_signals(&vmm);
    if (tender_wait_for_start(&o, vmm_stop_signal, &err) < 0) {
        if (vmm_stop_signal()) {
            status = TENDER_EXIT_SIGNAL_BASE + vmm_stop_signal();
        } else {
            fprintf(stderr, "uniroot-vmm: %s\n", err.msg);
            status = TENDER_EXIT_SETUP;
        }
        goto out;
    }
    if (vmm_seccomp_install(&vmm, &err) < 0) {
        fprintf(stderr, "uniroot-vmm: %s\n", err.msg);
        status = TENDER_EXIT_SETUP;
        goto out;
    }
    status = vmm_run(&vmm, &err);
out:
    cleanup(&vmm);
    return status;
}
