/* store_lock.c — one capture per store (issue 18). Two captures on one store used to share its
 * counters and the engine options they save and restore: the second restored "the options of
 * an earlier run" under the first. The lock is an OS file lock beside the store, so a holder
 * killed with -9 leaves nothing to clean up; meta "capture_owner" says who holds it, for the
 * refusal's message and for `status`. Meta is written after the lock is taken, so a refusal in
 * between names "unknown"; the OS lock alone decides.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/wl_err.h"
#include "common/wl_os.h"
#include "common/wl_text.h"
#include "store/store_int.h"

#define OWNER_KEY "capture_owner"

struct wl_store_lock {
  wl_os_lock *os;
};

static int lock_path(const wl_store *s, char *out, size_t cap) {
  if ((size_t)snprintf(out, cap, "%s.capture.lock", s->path) >= cap)
    return wl_err(WL_E_TOOBIG, "%s: path too long for its capture lock", s->path);
  return WL_OK;
}

static void owner_of(wl_store *s, char *who, size_t cap) {
  if (wl_store_meta_get(s, OWNER_KEY, who, cap) != WL_OK || !who[0])
    wl_strlcpy(who, "unknown", cap);
  wl_err_clear();
}

int wl_store_capture_lock(wl_store *s, wl_store_lock **out) {
  if (!s || !out)
    return wl_err(WL_E_INVAL, "wl_store_capture_lock: NULL argument");
  *out = NULL;
  char path[4096], who[256], host[128], when[WL_TIME_STR_MAX];
  wl_os_lock *os = NULL;
  int rc = lock_path(s, path, sizeof path);
  if (rc == WL_OK && (rc = wl_os_lock_acquire(path, 0, &os)) == WL_E_BUSY) {
    owner_of(s, who, sizeof who);
    return wl_err(WL_E_CONFLICT,
                  "%s: a capture is already running on this store (%s); one capture "
                  "per store: stop it first",
                  s->path, who);
  }
  if (rc != WL_OK)
    return rc;
  if (wl_os_hostname(host, sizeof host) != WL_OK)
    wl_err_clear(); /* "?" when unknown: the lock says so */
  wl_time_format(wl_time_now(), when);
  snprintf(who, sizeof who, "pid %u, started %s, on %s", (unsigned)wl_os_pid(), when, host);
  wl_store_lock *l = malloc(sizeof *l);
  if (!l)
    rc = wl_err(WL_E_NOMEM, "%s: no memory for the capture lock", s->path);
  else if ((rc = wl_store_meta_set(s, OWNER_KEY, who)) == WL_OK) {
    l->os = os;
    *out = l;
    return WL_OK;
  }
  free(l);
  wl_os_lock_release(os);
  return rc;
}

void wl_store_capture_unlock(wl_store_lock *l) {
  if (!l)
    return;
  wl_os_lock_release(l->os);
  free(l);
}

int wl_store_capture_holder(wl_store *s, char *who, size_t cap) {
  char path[4096];
  wl_os_lock *os = NULL;
  if (!s || lock_path(s, path, sizeof path) != WL_OK) {
    wl_err_clear();
    return -1;
  }
  int rc = wl_os_lock_acquire(path, 0, &os);
  wl_os_lock_release(os);
  wl_err_clear();
  if (rc != WL_E_BUSY)
    return rc == WL_OK ? 0 : -1;
  if (who && cap)
    owner_of(s, who, cap);
  return 1;
}
