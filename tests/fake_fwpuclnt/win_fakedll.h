/* win_fakedll.h — internal to the fake fwpuclnt.dll (tests/fake_fwpuclnt/fake_*.c): handles, memory handed to
 * callers, and error codes, shared by its four source files.
 *
 * The fake is the sim engine (wl_sim, opened directly with wl_sim_backend_open) behind the
 * real exported Fwpm* signatures. What crosses the ABI is exactly what Windows would hand out:
 *   - handles are pointers to our records, each registered so that a stale or foreign handle
 *     is refused with ERROR_INVALID_HANDLE rather than dereferenced;
 *   - every object returned to the caller is one "root" block (plus child blocks for what it
 *     points to) that a single FwpmFreeMemory0 releases, as BFE's allocations are; the DLL
 *     counts roots and handles so tests can prove the backend released everything.
 */
#ifndef WL_WIN_FAKEDLL_H
#define WL_WIN_FAKEDLL_H

#include <stdatomic.h>

#include "common/wl_thread.h"

#include "engine/backend.h"
#include "engine/sim/sim_internal.h"
#include "engine/fwpuclnt/wfp_defs.h"
#include "tests/fake_fwpuclnt/win_fake.h"

/* Exported from the DLL (its .def file lists them). */
#define WL_FAKE_EXPORT

/* ---- handles (fake_core.c) ---- */
enum fake_kind { FAKE_ENGINE = 1, FAKE_FILTER_ENUM, FAKE_EVENT_ENUM, FAKE_SUBSCRIPTION };
#define FAKE_MAX_HANDLES 256 /* open handles of all kinds at once */
#define FAKE_MAX_SUBS 16     /* subscriptions per engine handle */

typedef struct fake_engine {
  int kind; /* FAKE_ENGINE */
  const wl_engine_ops *ops;
  void *impl; /* the sim */
  uint64_t opened; /* order of opening, for the engine-less FwpmGetAppIdFromFileName0 */
  unsigned bfe_run; /* which run of the BFE service it was opened in (wl_fake_bfe) */
  atomic_int in_txn; /* a transaction is open (net event (un)subscribe refuse then) */
} fake_engine;

/* Register / drop a handle record (its first member is the int kind). */
DWORD fake_handle_add(void *h);
void fake_handle_remove(void *h);
/* The record if h is a live handle of that kind, else NULL. */
void *fake_handle_get(HANDLE h, int kind);
/* The engine handle opened last and still open (for FwpmGetAppIdFromFileName0), or NULL. */
fake_engine *fake_latest_engine(void);

/* ---- memory handed out (fake_core.c) ---- */
void *fake_root_alloc(size_t n);                 /* zeroed; one FwpmFreeMemory0 frees it all */
void *fake_child_alloc(void *root, size_t n);    /* zeroed; freed with its root */
void *fake_child_dup(void *root, const void *p, size_t n);
wchar_t *fake_child_wide(void *root, const char *utf8); /* NULL for NULL */
void fake_root_free(void *root);

/* ---- errors (fake_core.c) ---- */
/* WL_E_* from the sim → the Win32 / FWP_E_* code fwpuclnt would return; `notfound` is the
 * code for WL_E_NOTFOUND in this call (FWP_E_FILTER_NOT_FOUND, ...). */
DWORD fake_code(int rc, DWORD notfound);
/* Start of every export: forget the previous message of this thread. */
void fake_enter(void);

/* ---- conversions shared between files ---- */
void fake_guid_to_wl(const GUID *in, wl_guid *out);
void fake_guid_from_wl(const wl_guid *in, GUID *out);
int fake_guid_zero(const GUID *g);
void fake_wide_to_utf8(const wchar_t *w, char *out, size_t cap);

/* fake_filter.c: FWPM_FILTER0 <-> wl_filter (written apart from win_filter.c on purpose). */
DWORD fake_filter_from_fwpm(const FWPM_FILTER0 *in, wl_filter *out);
/* Fill *f (which lives in root or is root) with children of root; -1 when out of memory. */
int fake_filter_to_fwpm(void *root, const wl_filter *in, FWPM_FILTER0 *f);

/* fake_events.c: end an engine's subscriptions before it closes. */
void fake_events_engine_closing(fake_engine *e);

#endif
