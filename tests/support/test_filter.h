/* test_filter.h — comparing two wl_filters field by field in a cmocka test, with the field named
 * in the failure (instead of a memcmp that says only "different").
 */
#ifndef WL_TEST_FILTER_H
#define WL_TEST_FILTER_H

#include "engine/engine.h"

/* WL_TEST_FILTER_EXACT: every field, run-time id, description and the unused parts of each
 * condition included (a round trip through an engine must give back exactly what went in).
 * WL_TEST_FILTER_MEANING: what decides traffic — key, provider, sublayer, layer, action, flags,
 * weight, name, and for each condition the values its field uses. */
enum { WL_TEST_FILTER_MEANING = 0, WL_TEST_FILTER_EXACT = 1 };
void wl_test_assert_filter(const wl_filter *want, const wl_filter *got, int exact);

#endif
