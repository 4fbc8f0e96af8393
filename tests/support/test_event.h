/* test_event.h — comparing two decoded wl_events field by field in a cmocka test, so a failure
 * names the field (a memcmp would also compare the bytes past each string's terminator, which
 * mean nothing).
 */
#ifndef WL_TEST_EVENT_H
#define WL_TEST_EVENT_H

#include "event/event.h"

/* Every field but app_dos (only some decoders fill it) and origin (where the event came from,
 * which a replay line does not keep): compare those apart where they matter. */
void wl_test_assert_event(const wl_event *want, const wl_event *got);

#endif
