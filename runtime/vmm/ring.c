/* ring.c: Solo5's hvt net ring on uniroot-vmm (HVT_FEATURE_RING_IO).
 *
 * With a net device attached, the ring (struct hvt_ring, ~48 KiB) is placed
 * page-aligned at the top of guest memory and the memory the boot info
 * offers the guest ends below it (guest_top; the guest's stack starts there).
 * An eventfd bound with KVM_IOEVENTFD to the kick port (matching the value
 * HVT_RING_KICK_WAKE) turns the guest's 32-bit OUT there into a wake-up of
 * the I/O thread without a VM exit to us. Any other value (HVT_RING_KICK_SERVE)
 * exits to the vCPU thread, which serves the ring itself and resumes the guest
 * with its commits made: a guest about to wait for a read, with the I/O thread
 * asleep, pays one exit and no thread wake-up (on PVM, where each guest
 * instruction is emulated, its spinning is what costs). The vCPU thread also
 * serves before a poll hypercall blocks, so writes need no kick of their own.
 * The two threads take turns through one lock (busy). The I/O thread serves
 * every submitted entry
 * (runtime/tender/net_ring.c, which checks everything the guest wrote),
 * spins a little for more, then sets needs_kick, looks once more and sleeps
 * on the eventfd: the guest kicks only when needs_kick is set, so a busy
 * guest sends and receives without exits at all. Reception follows the ABI:
 * the guest learns that frames wait from the poll hypercall (its yield,
 * served in the vCPU thread as before) and then submits read entries, which
 * the thread fills from the tap; nothing is injected.
 *
 * A guest that breaks the ring (wild indices, buffers outside its memory)
 * makes the thread stop serving, record why and signal the vCPU thread
 * (VMM_RING_SIGNAL), whose run loop then ends the guest with that error.
 */
#include <errno.h>
#include <inttypes.h>
#include <linux/kvm.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "vmm.h"
#include "vmm_ring.h"

#define PAGE 4096ull
#define SPIN_ITERS 4096  /* pauses of looking for more work before sleeping */
#define STALL_NS 1000000 /* a read waiting for a commit slot: look again after 1 ms */

uint64_t vmm_ring_place(uint64_t mem_size, uint64_t kernel_end)
{
    if (mem_size < sizeof(struct hvt_ring))
        return 0;
    uint64_t gpa = (mem_size - sizeof(struct hvt_ring)) & ~(PAGE - 1);
    uint64_t low = (kernel_end + PAGE - 1) & ~(PAGE - 1);
    if (low < VMM_RING_MIN_GPA)
        low = VMM_RING_MIN_GPA;
    return gpa >= low ? gpa : 0;
}

int vmm_ring_attach(struct vmm *vmm, uint64_t gpa, int efd, struct ur_err *err)
{
    struct vmm_ring *g = calloc(1, sizeof(*g));
    if (!g)
        return ur_errf(err, -ENOMEM, "out of memory");
    void *p = tender_gpa_w(&vmm->t, gpa, sizeof(struct hvt_ring));
    if (p)
        memset(p, 0, sizeof(struct hvt_ring));
    int rc = tender_net_ring_init(&vmm->t, &g->r, gpa, err);
    if (rc < 0) {
        free(g);
        return rc;
    }
    g->efd = efd;
    g->ctx = &vmm->t;
    g->ring = p; /* checked by tender_net_ring_init */
    g->pid = getpid();
    g->vcpu_tid = (pid_t)syscall(SYS_gettid);
    vmm->ring = g;
    vmm->guest_top = gpa;
    return 0;
}

static bool has_net(const struct vmm *vmm)
{
    for (unsigned i = 0; i < vmm->t.mft->entries; i++)
        if (vmm->t.mft->e[i].type == MFT_DEV_NET_BASIC && vmm->t.mft->e[i].attached)
            return true;
    return false;
}

int vmm_ring_setup(struct vmm *vmm, struct ur_err *err)
{
    vmm->guest_top = vmm->t.mem_size;
    if (!has_net(vmm))
        return 0;
    uint64_t gpa = vmm_ring_place(vmm->t.mem_size, vmm->t.kernel_end);
    if (!gpa)
        return 0; /* no room above the image (a tiny --mem): the guest has the hypercalls */
    int efd = eventfd(0, EFD_CLOEXEC);
    if (efd < 0)
        return ur_errf_sys(err, -errno, "net ring: eventfd");
    struct kvm_ioeventfd io = {
        .datamatch = HVT_RING_KICK_WAKE, .addr = HVT_RING_KICK_PIO_BASE, .len = 4, .fd = efd,
        .flags = KVM_IOEVENTFD_FLAG_PIO | KVM_IOEVENTFD_FLAG_DATAMATCH,
    };
    if (ioctl(vmm->vm_fd, KVM_IOEVENTFD, &io) < 0) {
        fprintf(stderr, "uniroot-vmm: net ring not offered: KVM_IOEVENTFD: %s; the guest uses "
                        "hypercalls\n", strerror(errno));
        close(efd);
        return 0;
    }
    int rc = vmm_ring_attach(vmm, gpa, efd, err);
    if (rc < 0)
        close(efd);
    return rc;
}

static bool pending(const struct vmm_ring *g, const struct hvt_ring *ring)
{
    return __atomic_load_n(&ring->ent_tail, __ATOMIC_ACQUIRE) != g->r.ent_head;
}

/* The lock the I/O and vCPU threads take turns through; the holder serves
 * the ring, or records why it failed. */
static void ring_lock(struct vmm_ring *g)
{
    while (__atomic_exchange_n(&g->busy, 1, __ATOMIC_ACQUIRE))
        __builtin_ia32_pause(); /* the other thread serves: natively, briefly */
}

static void ring_unlock(struct vmm_ring *g) { __atomic_store_n(&g->busy, 0, __ATOMIC_RELEASE); }

/* The ring failed (recorded by vmm_ring_serve_locked): tell the vCPU thread. */
static void fail(struct vmm_ring *g)
{
    syscall(SYS_tgkill, g->pid, g->vcpu_tid, VMM_RING_SIGNAL);
}

/* Sleep until a kick (or stop); a stalled ring (a read waiting for a commit
 * slot the guest has not freed) looks again after STALL_NS. */
static int wait_kick(struct vmm_ring *g, bool stalled)
{
    struct pollfd p = {.fd = g->efd, .events = POLLIN};
    struct timespec ts = {0, STALL_NS};
    if (ppoll(&p, 1, stalled ? &ts : NULL, NULL) < 0)
        return errno == EINTR ? 0 : -errno;
    uint64_t v;
    if ((p.revents & POLLIN) && read(g->efd, &v, sizeof(v)) < 0 && errno != EAGAIN &&
        errno != EINTR)
        return -errno;
    return 0;
}

/* g->err is written only here, under the lock, until failed is set; from
 * then on it holds the first reason and is only read. */
int vmm_ring_serve_locked(struct vmm_ring *g, unsigned *served, struct ur_err *err)
{
    int rc = -EFAULT;
    *served = 0;
    ring_lock(g);
    if (!__atomic_load_n(&g->failed, __ATOMIC_ACQUIRE)) {
        rc = tender_net_ring_service(g->ctx, &g->r, served, &g->err);
        if (rc < 0)
            __atomic_store_n(&g->failed, 1, __ATOMIC_RELEASE);
        else
            __atomic_add_fetch(&g->served, *served, __ATOMIC_RELAXED);
    }
    ring_unlock(g);
    if (rc < 0 && err != &g->err)
        *err = g->err;
    return rc;
}

int vmm_ring_serve(struct vmm *vmm, struct ur_err *err)
{
    struct vmm_ring *g = vmm->ring;
    if (!g || !pending(g, g->ring))
        return 0;
    unsigned served;
    return vmm_ring_serve_locked(g, &served, err);
}

static void *io_thread(void *arg)
{
    struct vmm_ring *g = arg;
    struct hvt_ring *ring = g->ring;
    bool stalled = false;
    /* libc's thread start-up (rseq, robust list, signal mask) is done: from
     * here on the thread makes only the calls the seccomp filter allows */
    __atomic_store_n(&g->ready, 1, __ATOMIC_RELEASE);
    while (!__atomic_load_n(&g->stop, __ATOMIC_ACQUIRE)) {
        bool work = false;
        for (unsigned i = 0; !stalled && i < SPIN_ITERS && !(work = pending(g, ring)); i++)
            __builtin_ia32_pause();
        if (!work) {
            /* store needs_kick, then look again: the guest stores ent_tail, then
             * looks at needs_kick, so one of us sees the other */
            __atomic_store_n(&ring->needs_kick, 1, __ATOMIC_RELAXED);
            __atomic_thread_fence(__ATOMIC_SEQ_CST);
            if (stalled || !pending(g, ring)) {
                int rc = wait_kick(g, stalled);
                if (rc < 0) {
                    ring_lock(g);
                    if (!__atomic_load_n(&g->failed, __ATOMIC_ACQUIRE)) {
                        ur_errf_sys(&g->err, rc, "net ring: waiting for a kick");
                        __atomic_store_n(&g->failed, 1, __ATOMIC_RELEASE);
                    }
                    ring_unlock(g);
                    fail(g);
                    break;
                }
            }
            __atomic_store_n(&ring->needs_kick, 0, __ATOMIC_RELAXED);
            if (__atomic_load_n(&g->stop, __ATOMIC_ACQUIRE))
                break;
        }
        unsigned served = 0;
        if (vmm_ring_serve_locked(g, &served, &g->err) < 0) {
            fail(g);
            break;
        }
        stalled = served == 0 && pending(g, ring);
    }
    return NULL;
}

int vmm_ring_start(struct vmm *vmm, struct ur_err *err)
{
    struct vmm_ring *g = vmm->ring;
    if (!g)
        return 0;
    /* The thread takes no signals: stop signals and VMM_RING_SIGNAL are the vCPU thread's. */
    sigset_t all, old;
    sigfillset(&all);
    pthread_sigmask(SIG_BLOCK, &all, &old);
    int rc = pthread_create(&g->thread, NULL, io_thread, g);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    if (rc != 0)
        return ur_errf_sys(err, -rc, "net ring: cannot start the I/O thread");
    g->started = true;
    /* the filter comes next: the thread's start-up must be behind it */
    while (!__atomic_load_n(&g->ready, __ATOMIC_ACQUIRE))
        sched_yield();
    return 0;
}

bool vmm_ring_failed(const struct vmm *vmm, struct ur_err *err)
{
    const struct vmm_ring *g = vmm->ring;
    if (!g || !__atomic_load_n(&g->failed, __ATOMIC_ACQUIRE))
        return false;
    *err = g->err;
    return true;
}

void vmm_ring_stop(struct vmm *vmm)
{
    struct vmm_ring *g = vmm->ring;
    if (!g)
        return;
    if (g->started) {
        __atomic_store_n(&g->stop, 1, __ATOMIC_RELEASE);
        uint64_t one = 1;
        if (write(g->efd, &one, sizeof(one)) < 0)
            perror("uniroot-vmm: net ring: waking the I/O thread");
        pthread_join(g->thread, NULL);
    }
    /* what the guest submitted just before it halted (its last writes) goes
     * out, unless it broke the ring */
    unsigned served;
    struct ur_err ignored;
    (void)vmm_ring_serve_locked(g, &served, &ignored); /* a no-op on a broken ring */
    if (g->efd >= 0)
        close(g->efd);
    free(g);
    vmm->ring = NULL;
}

int vmm_ring_efd(const struct vmm *vmm)
{
    return vmm->ring ? vmm->ring->efd : -1;
}
