/* fault_engine.h — a test-only engine backend that wraps another engine and fails chosen calls,
 * so a test can make the engine "go away" under the product without hooks in the product.
 *
 * wl_fault_engine_install() puts the backend "fault" in front of the built-in ones
 * (wl_engine_backend_override, engine/backend.h): the spec "fault:SPEC" opens SPEC (e.g.
 * "fault:sim:/tmp/x.state") and forwards every call to it, except that the next n calls of a
 * kind armed below fail with WL_E_ENGINE ("... failure injected"), as if BFE had stopped
 * answering. Counters are process-wide and atomic; arming replaces what was left.
 */
#ifndef WL_TEST_FAULT_ENGINE_H
#define WL_TEST_FAULT_ENGINE_H

void wl_fault_engine_install(void);
void wl_fault_engine_uninstall(void);

/* The next n wl_engine_subscribe calls fail. */
void wl_fault_fail_subscribe(int n);
/* The next n wl_engine_get_option calls fail (capture's health probe reads an option). */
void wl_fault_fail_get_option(int n);
/* The next n wl_engine_filter_get_by_id calls fail (capture's attribution); returns how many
 * were still left from the previous arming. */
int wl_fault_fail_filter_lookup(int n);

#endif
