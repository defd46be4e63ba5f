/* test_vmm_seccomp.c: the run-loop seccomp filter, installed for real in a
 * forked child that then makes one system call: allowed calls must pass,
 * anything else must kill the child with SIGSYS. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <fcntl.h>
#include <linux/filter.h>
#include <linux/kvm.h>
#include <linux/seccomp.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "vmm_fixture.h"

struct fx {
    struct vmm *vmm;
    int vcpu, blk, other;
};

static int setup(void **state)
{
    static const uint32_t types[] = {MFT_DEV_BLOCK_BASIC};
    struct fx *f = calloc(1, sizeof(*f));
    f->vmm = fake_vmm(1, types);
    struct ur_err err = {0};
    assert_int_equal(tender_register(&f->vmm->reg, &tender_block_module, &err), 0); /* its rules */
    f->vcpu = open("/dev/null", O_RDWR);
    char path[] = "/tmp/uniroot-sc-XXXXXX";
    f->blk = mkstemp(path);
    unlink(path);
    assert_int_equal(ftruncate(f->blk, 4096), 0);
    f->other = open("/dev/zero", O_RDONLY);
    f->vmm->vcpu_fd = f->vcpu;
    f->vmm->t.mft->e[1].attached = 1;
    f->vmm->t.mft->e[1].b.hostfd = f->blk;
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fx *f = *state;
    close(f->vcpu);
    close(f->blk);
    close(f->other);
    fake_vmm_free(f->vmm);
    free(f);
    return 0;
}

enum call { C_WRITE_ERR, C_PREAD_BLK, C_PWRITE_BLK, C_KVM_RUN, C_KVM_GET_REGS, C_CLOCK, C_PPOLL,
            C_GETPID, C_OPENAT, C_PREAD_OTHER, C_IOCTL_OTHER_CMD, C_IOCTL_OTHER_FD, C_WRITE_OTHER,
            C_READ_BLK, C_X32 };

/* Child: install the filter, make one raw system call, exit 0 if it survived. */
static int run_child(struct fx *f, enum call c)
{
    struct sock_filter prog[256];
    struct ur_err err = {0};
    int n = vmm_seccomp_build(f->vmm, prog, 256, &err);
    assert_true(n > 0);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        struct sock_fprog fp = {.len = (unsigned short)n, .filter = prog};
        if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) || syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &fp))
            _exit(99);
        char buf[512];
        struct timespec ts = {0, 0};
        switch (c) {
        case C_WRITE_ERR: syscall(SYS_write, 2, "", 0); break;
        case C_PREAD_BLK: syscall(SYS_pread64, f->blk, buf, 512, 0); break;
        case C_PWRITE_BLK: syscall(SYS_pwrite64, f->blk, buf, 512, 0); break;
        case C_KVM_RUN: syscall(SYS_ioctl, f->vcpu, KVM_RUN, 0); break;
        case C_KVM_GET_REGS: syscall(SYS_ioctl, f->vcpu, KVM_GET_REGS, buf); break;
        case C_CLOCK: syscall(SYS_clock_gettime, CLOCK_REALTIME, &ts); break;
        case C_PPOLL: syscall(SYS_ppoll, NULL, 0, &ts, NULL, 8); break;
        case C_GETPID: syscall(SYS_getpid); break;
        case C_OPENAT: syscall(SYS_openat, AT_FDCWD, "/etc/passwd", O_RDONLY); break;
        case C_PREAD_OTHER: syscall(SYS_pread64, f->other, buf, 512, 0); break;
        case C_IOCTL_OTHER_CMD: syscall(SYS_ioctl, f->vcpu, KVM_SET_REGS, buf); break;
        case C_IOCTL_OTHER_FD: syscall(SYS_ioctl, f->other, KVM_RUN, 0); break;
        case C_WRITE_OTHER: syscall(SYS_write, f->other, "", 0); break;
        case C_READ_BLK: syscall(SYS_read, f->blk, buf, 1); break; /* read is for taps only */
        case C_X32: syscall(0x40000000 | SYS_getpid); break;
        }
        syscall(SYS_exit_group, 0);
    }
    int status;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    if (WIFEXITED(status))
        return WEXITSTATUS(status);
    return -WTERMSIG(status);
}

static void allowed_calls_pass(void **state)
{
    struct fx *f = *state;
    const enum call ok[] = {C_WRITE_ERR, C_PREAD_BLK, C_PWRITE_BLK, C_KVM_RUN, C_KVM_GET_REGS, C_CLOCK, C_PPOLL};
    for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
        int r = run_child(f, ok[i]);
        if (r != 0)
            fail_msg("allowed call %d: child ended with %d", ok[i], r);
    }
}

static void everything_else_is_killed(void **state)
{
    struct fx *f = *state;
    const enum call bad[] = {C_GETPID, C_OPENAT, C_PREAD_OTHER, C_IOCTL_OTHER_CMD, C_IOCTL_OTHER_FD,
                             C_WRITE_OTHER, C_READ_BLK, C_X32};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        int r = run_child(f, bad[i]);
        if (r != -SIGSYS)
            fail_msg("forbidden call %d: child ended with %d, want SIGSYS", bad[i], r);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(allowed_calls_pass, setup, teardown),
        cmocka_unit_test_setup_teardown(everything_else_is_killed, setup, teardown),
    };
    return cmocka_run_group_tests_name("uniroot-vmm seccomp filter", tests, NULL, NULL);
}
