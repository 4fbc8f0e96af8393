/* fake_ctl.h — (Windows tests under wine) drive the simulated engine behind our fake
 * fwpuclnt.dll (tests/fake_fwpuclnt/) through its test-only exports.
 *
 * The product's "wfp" backend speaks only the real Fwpm* ABI; these are what a test does on
 * the side, the way traffic reaches a real machine from outside: classify one attempt or run a
 * traffic file in the engine session behind a "wfp" wl_engine, stop it, wait for delivery, set
 * a drive, declare a file. wl_fakectl_drive_map_on() loads the fake from the test's folder itself (the product
 * loads fwpuclnt.dll from System32 only) and installs its table, with QueryDosDeviceW (through
 * wl_fwp_api_override, a table the tests replace) with the fake's drive map, so NT <-> DOS
 * mapping sees the sim's drives as it does on the sim engine; call it after any
 * wl_fake_hide_newer switch (it snapshots the exports) and wl_fakectl_drive_map_off() after.
 * Every function returns WL_E_* (the fake's message copied into wl_errmsg on failure).
 */
#ifndef WL_TEST_FAKE_CTL_H
#define WL_TEST_FAKE_CTL_H

#include "engine/engine.h"
#include "engine/sim/sim.h"

int wl_fakectl_classify(wl_engine *e, const wl_attempt *a, wl_decision *out);
int wl_fakectl_run_traffic(wl_engine *e, const char *path, double speed, wl_sim_stats *stats);
int wl_fakectl_stop(wl_engine *e);
int wl_fakectl_drain(wl_engine *e, unsigned timeout_ms);
int wl_fakectl_set_drive(wl_engine *e, char letter, const char *device);
int wl_fakectl_set_file(wl_engine *e, const char *path, int exists);
/* The session the tests run in, as GetSystemMetrics(SM_REMOTESESSION) and the RDP-Tcp
 * PortNumber answer it through the table wl_fakectl_drive_map_on installs (remote 0: local;
 * port 0: the value cannot be read). Call before opening the engine. */
void wl_fakectl_remote_session(int remote, uint16_t port);
/* The BFE service stopped (0) or started again (1): win_fake.h's wl_fake_bfe. */
int wl_fakectl_bfe(int running);

/* Allow events suppressed (1) or not (0) in the sim behind e: wl_sim_suppress_allow. */
int wl_fakectl_suppress_allow(wl_engine *e, int on);
/* The connection tables (issue 19): by default wl_fakectl_drive_map_on's table answers
 * GetExtendedTcpTable / GetExtendedUdpTable from the fake's sim (each app a made-up pid that
 * OpenProcess + QueryFullProcessImageNameW turn back into its path); real 1 before it leaves
 * them to System32's iphlpapi.dll and kernel32 (wine's own tables). */
void wl_fakectl_real_conn_tables(int real);

int wl_fakectl_drive_map_on(void);
void wl_fakectl_drive_map_off(void);
/* The table wl_fakectl_drive_map_on installed: a test may set more of its entries (the
 * Security log's, issue 19) before opening engines; they last until drive_map_off. */
struct wl_fwp_api *wl_fakectl_table(void);

#endif
