/* vmm_ring.h: the insides of ring.c, for it and its unit tests
 * (tests/unit/test_vmm_ringio.c), which run the I/O thread on a fake guest
 * with a plain eventfd standing in for the kick's ioeventfd. */
#ifndef UNIROOT_VMM_RING_H
#define UNIROOT_VMM_RING_H

#include <pthread.h>
#include <sys/types.h>

#include "vmm.h"

/* The ring goes no lower than this (nor into the image). */
#define VMM_RING_MIN_GPA 0x200000ull

struct vmm_ring {
    struct tender_net_ring r;     /* the monitor's own indices */
    const struct tender_ctx *ctx;
    struct hvt_ring *ring;        /* where it is in our mapping of guest memory */
    int efd;                      /* the kick */
    pid_t pid, vcpu_tid;          /* where fail() sends VMM_RING_SIGNAL */
    pthread_t thread;
    bool started;
    int ready;                    /* atomic: the thread runs its own code (start-up done) */
    int stop;                     /* atomic: the vCPU thread asks the I/O thread to end */
    int failed;                   /* atomic: the guest broke the ring, why in err */
    int busy;                     /* atomic: a thread is serving the ring (the lock) */
    unsigned served;              /* atomic: entries served so far */
    struct ur_err err;
};

/* Where the ring goes in mem_size bytes of guest memory holding an image up
 * to kernel_end: page-aligned at the top; 0 if there is no room. */
uint64_t vmm_ring_place(uint64_t mem_size, uint64_t kernel_end);
/* Zero the ring at gpa and serve it, kicks arriving on efd (taken over);
 * the calling thread is the one fail() signals. Sets guest_top = gpa. */
int vmm_ring_attach(struct vmm *vmm, uint64_t gpa, int efd, struct ur_err *err);
/* Serve what is submitted, under the lock the two threads share; on a broken
 * ring (now or before) marks it failed and gives the first reason in err. */
int vmm_ring_serve_locked(struct vmm_ring *g, unsigned *served, struct ur_err *err);

#endif
