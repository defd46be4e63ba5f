/* agent_latency_test.c: status percentiles (agent_latency) equal those of a
 * full sort, for sizes and value mixes that stress the selection (duplicates,
 * sorted, reversed, the ring wrapping past LAT_SAMPLES). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "agent.h"

static struct agent A; /* large (the latency ring): not on the stack */

static int cmp(const void *x, const void *y)
{
    uint64_t a = *(const uint64_t *)x, b = *(const uint64_t *)y;
    return a < b ? -1 : a > b;
}

/* The percentile as the status request defines it: nearest rank of a sorted copy. */
static uint64_t reference(double q)
{
    size_t n = A.n_lat < LAT_SAMPLES ? (size_t)A.n_lat : LAT_SAMPLES;
    uint64_t *v = malloc(n * sizeof(*v));
    assert_non_null(v);
    memcpy(v, A.lat_ns, n * sizeof(*v));
    qsort(v, n, sizeof(*v), cmp);
    size_t i = (size_t)((q / 100.0) * (double)(n - 1) + 0.5);
    uint64_t r = v[i < n ? i : n - 1];
    free(v);
    return r;
}

static void fill(size_t n, int mode)
{
    A.n_lat = n;
    for (size_t i = 0; i < n && i < LAT_SAMPLES; i++) {
        switch (mode) {
        case 0: A.lat_ns[i] = (uint64_t)random(); break;
        case 1: A.lat_ns[i] = (uint64_t)(random() % 4); break; /* many duplicates */
        case 2: A.lat_ns[i] = i; break;
        case 3: A.lat_ns[i] = n - i; break;
        default: A.lat_ns[i] = 7; break;
        }
    }
}

static void test_matches_sort(void **state)
{
    (void)state;
    const size_t sizes[] = {1, 2, 3, 5, 10, 99, 100, 1000, 4097, LAT_SAMPLES + 123};
    const double qs[] = {0, 1, 50, 90, 99, 100};
    srandom(42);
    A.n_lat = 0;
    assert_int_equal(agent_latency(&A, 50), 0);
    for (size_t s = 0; s < sizeof(sizes) / sizeof(sizes[0]); s++)
        for (int mode = 0; mode < 5; mode++) {
            fill(sizes[s], mode);
            for (size_t k = 0; k < sizeof(qs) / sizeof(qs[0]); k++)
                assert_true(agent_latency(&A, qs[k]) == reference(qs[k]));
        }
}

int main(void)
{
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_matches_sort)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
