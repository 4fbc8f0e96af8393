/* win_fake.h — the test-only exports of our fake fwpuclnt.dll (tests/fake_fwpuclnt/fake_*.c),
 * shared by the DLL and the tests that find them with GetProcAddress (tests/support/fake_ctl.c).
 *
 * The real fwpuclnt.dll has none of these, and the product never looks for them. Under wine,
 * with our fake beside the test .exe, they let a test drive
 * the simulated engine behind the real Fwpm* ABI: classify one connection attempt, run a
 * traffic file, set the drive map, and hide the newer exports so the backend must fall back
 * to FwpmNetEventSubscribe0.
 *
 * They speak wfplearn's own types (both sides are compiled from this tree with the same
 * compiler) and return WL_E_* codes. The DLL has its own copy of wl_err's per-thread message,
 * so the message of the last failure on the calling thread is read with wl_fake_errmsg.
 * `engine` is a handle from the fake's FwpmEngineOpen0.
 */
#ifndef WL_WIN_FAKE_H
#define WL_WIN_FAKE_H

#include <stddef.h>

#include "engine/engine.h"
#include "engine/sim/sim.h"

#ifdef _WIN32
#include <windows.h>
#define WL_FAKE_API __stdcall
#else
typedef void *HANDLE;
#define WL_FAKE_API
#endif

typedef int(WL_FAKE_API *wl_fake_classify_fn)(HANDLE engine, const wl_attempt *a,
                                               wl_decision *out);
typedef int(WL_FAKE_API *wl_fake_run_traffic_fn)(HANDLE engine, const char *path, double speed,
                                                  wl_sim_stats *stats);
typedef int(WL_FAKE_API *wl_fake_stop_fn)(HANDLE engine);
typedef int(WL_FAKE_API *wl_fake_drain_fn)(HANDLE engine, unsigned timeout_ms);
/* Sets the letter in the engine's sim (its state file) and in the map the engine-less
 * FwpmGetAppIdFromFileName0 uses. device NULL or "" removes it. drive_map with engine NULL
 * reads the engine-less map. */
typedef int(WL_FAKE_API *wl_fake_set_drive_fn)(HANDLE engine, char letter, const char *device);
/* The file exists (1) or not (0) on the machine behind the engine (wl_sim_set_file). */
typedef int(WL_FAKE_API *wl_fake_set_file_fn)(HANDLE engine, const char *path, int exists);
typedef int(WL_FAKE_API *wl_fake_drive_map_fn)(HANDLE engine, wl_drive *out, size_t cap,
                                                size_t *n);
typedef const char *(WL_FAKE_API *wl_fake_errmsg_fn)(void);
/* The connections open on the machine behind the engine (engine NULL: the engine opened last):
 * the sim's table (wl_engine_connections, engine/sim/sim_conns.c), what the test's
 * GetExtendedTcpTable / GetExtendedUdpTable answer from (tests/support/fake_ctl.c). */
typedef int(WL_FAKE_API *wl_fake_connections_fn)(HANDLE engine, wl_conn *out, size_t cap,
                                                  size_t *n, size_t *total);
/* on != 0: allowed attempts emit no allow event (wl_sim_suppress_allow: the Windows 11 build
 * that delivered only drops, issue 19); 0: back to normal. */
typedef int(WL_FAKE_API *wl_fake_suppress_allow_fn)(HANDLE engine, int on);

/* hide != 0: GetProcAddress no longer finds FwpmNetEventSubscribe1..4 and FwpmNetEventEnum2..5
 * (the Windows 8+ entry points), as on Windows 7; 0 shows them again. */
typedef int(WL_FAKE_API *wl_fake_hide_newer_fn)(int hide);
/* What the DLL has handed out and not got back: memory blocks not yet passed to
 * FwpmFreeMemory0, and open handles (engines, enum handles, subscriptions). */
typedef int(WL_FAKE_API *wl_fake_outstanding_fn)(long *blocks, long *handles);
/* The Base Filtering Engine service stopped (running 0) or started again (1). While it is
 * stopped FwpmEngineOpen0 fails with EPT_S_NOT_REGISTERED and calls on an open engine handle
 * with RPC_S_SERVER_UNAVAILABLE; once it runs again, handles opened before the stop answer
 * ERROR_INVALID_HANDLE (their RPC binding is gone) and must be reopened, and the filters have
 * new run-time ids (the sim's wl_sim_bfe_restart renumbers them; keys stay). */
typedef int(WL_FAKE_API *wl_fake_bfe_fn)(int running);
/* refuse != 0: FwpmNetEventSubscribe1..4 stay exported but fail (RPC_S_PROCNUM_OUT_OF_RANGE);
 * Subscribe0 works. 0 makes them work again. */
typedef int(WL_FAKE_API *wl_fake_refuse_newer_fn)(int refuse);

#endif
