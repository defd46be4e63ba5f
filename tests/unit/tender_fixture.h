/* tender_fixture.h: for tests of the monitors' command line: a monitor's
 * registry (runtime/tender/module.c), made once per test program. Include
 * after cmocka.h and tender.h. */
#ifndef UNIROOT_TEST_TENDER_FIXTURE_H
#define UNIROOT_TEST_TENDER_FIXTURE_H

static inline const struct tender_registry *test_registry(const struct tender_monitor *mon)
{
    static struct tender_registry r;
    if (!r.mon) {
        struct ur_err e = {0};
        assert_int_equal(tender_registry_init(&r, mon, &e), 0);
    }
    return &r;
}

#endif
