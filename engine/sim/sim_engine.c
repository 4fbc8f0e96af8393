/* sim_engine.c — the simulated engine as a wl_engine backend: sessions, the state cache,
 * transactions, options, classification and the sim controls. Object calls are in
 * sim_objects.c.
 *
 * Sharing between processes works like BFE's: the state file is the engine. Readers check
 * its header (nonce, generation) on every call and reload the body when it changed; writers
 * take the lock file, reload, change, and replace the file atomically. A transaction holds the
 * lock from begin to commit/abort and works on a private copy, so it is all or nothing and
 * other sessions' writes wait for it (WL_E_BUSY after WL_SIM_LOCK_TIMEOUT_MS). Classification
 * always sees the committed state, as the kernel does.
 *
 * Dynamic sessions tag what they add with (pid, session id); closing the session removes those
 * objects, and objects whose pid is dead are invisible to everyone and purged by the next
 * write. The handle is usable from several threads: one mutex per handle.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/wl_err.h"
#include "common/wl_hash.h"
#include "common/wl_os.h"
#include "engine/sim/sim_internal.h"

#define SIM_DEFAULT_STATE "wfplearn-sim.state"
#define DRAIN_SLICE_MS 100u

static uint64_t mix64(uint64_t x) { /* splitmix64 finaliser */
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

static uint64_t unique64(void) {
  static atomic_uint_fast64_t counter;
  uint64_t c = atomic_fetch_add(&counter, 1);
  uint64_t v = mix64(wl_time_now() ^ mix64(wl_time_mono_ns()) ^ ((uint64_t)wl_os_pid() << 32) ^
                     mix64(c));
  return v ? v : 1;
}

void wl_sim_new_guid(wl_guid *out) {
  uint64_t a = unique64(), b = unique64();
  out->d1 = (uint32_t)a;
  out->d2 = (uint16_t)(a >> 32);
  out->d3 = (uint16_t)(((a >> 48) & 0x0FFF) | 0x4000); /* version 4 */
  for (int i = 0; i < 8; i++)
    out->d4[i] = (uint8_t)(b >> (8 * i));
  out->d4[0] = (uint8_t)((out->d4[0] & 0x3F) | 0x80); /* RFC 4122 variant */
}

wl_sim_owner wl_sim_eng_owner(const wl_sim_engine *e) {
  wl_sim_owner o = {0, 0};
  if (e->session_flags & WL_SESSION_DYNAMIC) {
    o.pid = e->pid;
    o.session = e->session;
  }
  return o;
}

/* ---------------------------------------------------------------- the state cache */

static void drop_cache(wl_sim_engine *e) {
  wl_sim_view_free(e->view);
  e->view = NULL;
  wl_sim_state_free(&e->st);
  e->st_valid = 0;
}

/* Drop dead owners (and `session`'s objects) from the cache; the view borrowed the arrays. */
static size_t purge_cache(wl_sim_engine *e, uint64_t session) {
  size_t n = wl_sim_state_purge(&e->st, session);
  if (n > 0) {
    wl_sim_view_free(e->view);
    e->view = NULL;
  }
  return n;
}

/* No state file yet: create one with the baseline policy (under the lock, re-checked). */
static int create_state(wl_sim_engine *e) {
  wl_os_lock *lk = NULL;
  uint64_t nonce, gen;
  int rc = wl_os_lock_acquire(e->lock_path, WL_SIM_LOCK_TIMEOUT_MS, &lk);
  if (rc != WL_OK)
    return rc;
  rc = wl_sim_state_peek(e->path, &nonce, &gen);
  if (rc == WL_E_NOTFOUND) {
    wl_sim_state s;
    wl_sim_state_init(&s);
    wl_sim_state_baseline(&s, unique64());
    rc = wl_sim_state_write(e->path, &s);
    wl_sim_state_free(&s);
  }
  wl_os_lock_release(lk);
  return rc;
}

/* Make e->st the file's current content. The common case, a cache loaded from the file that
 * is still there untouched, costs one fstat (POSIX); otherwise the header says whether the
 * body must be read again. The watch is opened before the peek, so a replace that lands in
 * between is seen by the next call (the watched file is then the older one). */
static int refresh(wl_sim_engine *e) {
  uint64_t nonce, gen;
  if (e->bus && e->bus_run != wl_sim_bus_run(e->bus)) /* wl_sim_bfe_restart since the open */
    return wl_err(WL_E_ENGINE, "sim: the engine restarted since this handle was opened "
                  "(ERROR_INVALID_HANDLE): close it and open another");
  if (e->st_valid && e->watch && !wl_os_watch_changed(e->watch))
    return WL_OK;
  wl_os_watch_close(e->watch);
  wl_os_watch_open(e->path, &e->watch);
  int rc = wl_sim_state_peek(e->path, &nonce, &gen);
  if (rc == WL_E_NOTFOUND) {
    if ((rc = create_state(e)) != WL_OK)
      return rc;
    rc = wl_sim_state_peek(e->path, &nonce, &gen);
  }
  if (rc != WL_OK)
    return rc;
  if (e->st_valid && e->st.nonce == nonce && e->st.generation == gen)
    return WL_OK;
  drop_cache(e);
  if ((rc = wl_sim_state_read(e->path, &e->st)) != WL_OK)
    return rc;
  e->st_valid = 1;
  return WL_OK;
}

int wl_sim_eng_read(wl_sim_engine *e, wl_sim_state **st) {
  if (e->in_txn) {
    *st = &e->txn;
    return WL_OK;
  }
  int rc = refresh(e);
  *st = &e->st;
  return rc;
}

static int write_begin_wait(wl_sim_engine *e, wl_sim_state **w, wl_os_lock **lk, unsigned ms) {
  *lk = NULL;
  if (e->in_txn) {
    *w = &e->txn;
    return WL_OK;
  }
  int rc = wl_os_lock_acquire(e->lock_path, ms, lk);
  if (rc == WL_OK)
    rc = refresh(e);
  if (rc != WL_OK) {
    wl_os_lock_release(*lk);
    *lk = NULL;
    return rc;
  }
  purge_cache(e, 0); /* the file keeps them until this write saves */
  *w = &e->st;
  return WL_OK;
}

int wl_sim_eng_write_begin(wl_sim_engine *e, wl_sim_state **w, wl_os_lock **lk) {
  return write_begin_wait(e, w, lk, WL_SIM_LOCK_TIMEOUT_MS);
}

int wl_sim_eng_write_end(wl_sim_engine *e, wl_os_lock *lk, int rc) {
  if (e->in_txn)
    return rc;
  if (rc == WL_OK)
    rc = wl_sim_state_write(e->path, &e->st);
  if (rc != WL_OK || e->view) { /* changed or failed: rebuild/reload from the file */
    wl_sim_view_free(e->view);
    e->view = NULL;
  }
  if (rc != WL_OK)
    drop_cache(e); /* the cache may hold a change the file does not */
  wl_os_lock_release(lk);
  return rc;
}

/* ---------------------------------------------------------------- session */

static void sim_close(void *impl);

static int default_path(const char *state_path, char *out, size_t cap) {
  const char *p = state_path && *state_path ? state_path : getenv("WL_SIM_STATE");
  if (!p || !*p)
    p = SIM_DEFAULT_STATE;
  if (wl_strlcpy(out, p, cap) >= cap)
    return wl_err(WL_E_TOOBIG, "sim: state path longer than %u bytes", (unsigned)(cap - 1));
  return WL_OK;
}

static int sim_open(const char *state_path, unsigned flags, wl_sim_engine **out) {
  wl_sim_engine *e = calloc(1, sizeof *e);
  if (!e)
    return wl_err(WL_E_NOMEM, "sim: no memory for an engine");
  wl_mutex_init(&e->mu);
  atomic_init(&e->stop, 0);
  e->session_flags = flags;
  e->session = unique64();
  e->pid = wl_os_pid();
  int rc = default_path(state_path, e->path, sizeof e->path);
  if (rc == WL_OK)
    snprintf(e->lock_path, sizeof e->lock_path, "%s.lock", e->path);
  if (rc == WL_OK)
    rc = refresh(e);
  if (rc == WL_OK && (rc = wl_sim_bus_get(e->path, &e->bus)) == WL_OK)
    e->bus_run = wl_sim_bus_run(e->bus);
  if (rc != WL_OK) {
    wl_err_prefix(rc, "sim:%s", e->path);
    sim_close(e);
    return rc;
  }
  *out = e;
  return WL_OK;
}

static int sim_abort_locked(wl_sim_engine *e) {
  if (!e->in_txn)
    return wl_err(WL_E_CONFLICT, "sim: no transaction to abort (FWP_E_NO_TXN_IN_PROGRESS)");
  wl_sim_state_free(&e->txn);
  wl_os_lock_release(e->txn_lock);
  e->txn_lock = NULL;
  e->in_txn = 0;
  return WL_OK;
}

/* Remove this dynamic session's objects from the state. */
static void end_dynamic(wl_sim_engine *e) {
  wl_os_lock *lk = NULL;
  if (wl_os_lock_acquire(e->lock_path, WL_SIM_LOCK_TIMEOUT_MS, &lk) != WL_OK)
    return; /* they vanish anyway once this process is gone */
  if (refresh(e) == WL_OK && purge_cache(e, e->session) > 0)
    wl_sim_state_write(e->path, &e->st);
  wl_os_lock_release(lk);
}

static void sim_close(void *impl) {
  wl_sim_engine *e = impl;
  if (!e)
    return;
  wl_mutex_lock(&e->mu);
  if (e->in_txn)
    sim_abort_locked(e);
  if ((e->session_flags & WL_SESSION_DYNAMIC) && e->path[0])
    end_dynamic(e);
  wl_mutex_unlock(&e->mu);
  if (e->bus) {
    wl_sim_bus_unsubscribe_owner(e->bus, e);
    wl_sim_bus_put(e->bus);
  }
  drop_cache(e);
  wl_os_watch_close(e->watch);
  wl_mutex_destroy(&e->mu);
  free(e);
}

static int sim_event_version(const void *impl) {
  (void)impl;
  return 5; /* the sim fills everything FWPM_NET_EVENT5 carries that it knows */
}

/* ---------------------------------------------------------------- transactions */

static int sim_begin(void *impl) {
  wl_sim_engine *e = impl;
  int rc = WL_OK;
  wl_mutex_lock(&e->mu);
  if (e->in_txn) {
    rc = wl_err(WL_E_CONFLICT, "sim: transaction already open (FWP_E_TXN_IN_PROGRESS)");
    goto out;
  }
  if ((rc = wl_os_lock_acquire(e->lock_path, WL_SIM_LOCK_TIMEOUT_MS, &e->txn_lock)) != WL_OK)
    goto out;
  rc = refresh(e);
  if (rc == WL_OK) {
    purge_cache(e, 0);
    rc = wl_sim_state_copy(&e->txn, &e->st);
  }
  if (rc != WL_OK) {
    wl_os_lock_release(e->txn_lock);
    e->txn_lock = NULL;
    drop_cache(e);
    goto out;
  }
  e->in_txn = 1;
out:
  wl_mutex_unlock(&e->mu);
  return rc;
}

static int sim_commit(void *impl) {
  wl_sim_engine *e = impl;
  int rc;
  wl_mutex_lock(&e->mu);
  if (!e->in_txn) {
    rc = wl_err(WL_E_CONFLICT, "sim: no transaction to commit (FWP_E_NO_TXN_IN_PROGRESS)");
    goto out;
  }
  rc = wl_sim_state_write(e->path, &e->txn);
  if (rc == WL_OK) { /* the copy becomes the committed state */
    drop_cache(e);
    e->st = e->txn;
    e->st_valid = 1;
    wl_sim_state_init(&e->txn);
  } else {
    wl_sim_state_free(&e->txn); /* a failed commit aborts, as in WFP */
    drop_cache(e);
  }
  wl_os_lock_release(e->txn_lock);
  e->txn_lock = NULL;
  e->in_txn = 0;
out:
  wl_mutex_unlock(&e->mu);
  return rc;
}

static int sim_abort(void *impl) {
  wl_sim_engine *e = impl;
  wl_mutex_lock(&e->mu);
  int rc = sim_abort_locked(e);
  wl_mutex_unlock(&e->mu);
  return rc;
}

/* ---------------------------------------------------------------- options, drives */

/* A "Windows" without the keyword option (kw_supported 0, as before Windows 7 in this model)
 * refuses to get or set it; one that has it refuses a value with a bit it does not know
 * rather than dropping the bit. Both are assumptions: fwpmtypes.h marks CLASSIFY_ALLOW and
 * CAPABILITY_* as Windows 8+ and PORT_SCANNING_DROP as later, but the error BFE returns for
 * an unknown bit is not documented (ERROR_INVALID_PARAMETER is assumed). */
static int no_keywords(void) {
  return wl_err(WL_E_UNSUPPORTED, "sim: FWPM_ENGINE_NET_EVENT_MATCH_ANY_KEYWORDS not supported by "
                "this engine (FWP_E_INVALID_ENUMERATOR)");
}

static int sim_get_option(void *impl, int option, uint32_t *value) {
  wl_sim_engine *e = impl;
  wl_sim_state *st;
  if (option != WL_OPT_COLLECT_NET_EVENTS && option != WL_OPT_NET_EVENT_MATCH_ANY_KEYWORDS)
    return wl_err(WL_E_INVAL, "sim: engine option %d not supported", option);
  wl_mutex_lock(&e->mu);
  int rc = wl_sim_eng_read(e, &st);
  if (rc == WL_OK && option == WL_OPT_NET_EVENT_MATCH_ANY_KEYWORDS && !st->kw_supported)
    rc = no_keywords();
  else if (rc == WL_OK)
    *value = option == WL_OPT_COLLECT_NET_EVENTS ? st->collect : st->keywords;
  wl_mutex_unlock(&e->mu);
  return rc;
}

static int sim_set_option(void *impl, int option, uint32_t value) {
  wl_sim_engine *e = impl;
  wl_sim_state *w;
  wl_os_lock *lk;
  if (option != WL_OPT_COLLECT_NET_EVENTS && option != WL_OPT_NET_EVENT_MATCH_ANY_KEYWORDS)
    return wl_err(WL_E_INVAL, "sim: engine option %d not supported", option);
  wl_mutex_lock(&e->mu);
  int rc = wl_sim_eng_write_begin(e, &w, &lk);
  if (rc == WL_OK) {
    int err = WL_OK;
    if (option == WL_OPT_COLLECT_NET_EVENTS)
      w->collect = value ? 1 : 0;
    else if (!w->kw_supported)
      err = no_keywords();
    else if (value & ~w->kw_supported)
      err = wl_err(WL_E_INVAL, "sim: net event keywords 0x%x: bits 0x%x unknown to this engine "
                   "(ERROR_INVALID_PARAMETER)", (unsigned)value, (unsigned)(value & ~w->kw_supported));
    else
      w->keywords = value;
    rc = wl_sim_eng_write_end(e, lk, err);
  }
  wl_mutex_unlock(&e->mu);
  return rc;
}

static int sim_app_id(void *impl, const char *dos_path, uint8_t *out, size_t cap, size_t *len) {
  wl_sim_engine *e = impl;
  wl_sim_state *st;
  wl_mutex_lock(&e->mu);
  int rc = wl_sim_eng_read(e, &st);
  if (rc == WL_OK && wl_sim_is_file_path(dos_path) && !wl_sim_file_exists(st, dos_path))
    rc = wl_err(WL_E_NOTFOUND, "app id: %s: no such file (FwpmGetAppIdFromFileName0: "
                "ERROR_FILE_NOT_FOUND)", dos_path);
  if (rc == WL_OK)
    rc = wl_sim_app_id_map(st->drives, st->ndrives, dos_path, out, cap, len);
  wl_mutex_unlock(&e->mu);
  return rc;
}

static int sim_drive_map(void *impl, wl_drive *out, size_t cap, size_t *n) {
  wl_sim_engine *e = impl;
  wl_sim_state *st;
  wl_mutex_lock(&e->mu);
  int rc = wl_sim_eng_read(e, &st);
  if (rc == WL_OK) {
    *n = st->ndrives < cap ? st->ndrives : cap;
    memcpy(out, st->drives, *n * sizeof *out);
  }
  wl_mutex_unlock(&e->mu);
  return rc;
}

int wl_sim_eng_set_kw_support(void *impl, uint32_t mask) {
  wl_sim_engine *e = impl;
  wl_sim_state *w;
  wl_os_lock *lk;
  wl_mutex_lock(&e->mu);
  int rc = wl_sim_eng_write_begin(e, &w, &lk);
  if (rc == WL_OK) {
    w->kw_supported = mask;
    w->keywords &= mask;
    rc = wl_sim_eng_write_end(e, lk, WL_OK);
  }
  wl_mutex_unlock(&e->mu);
  return rc;
}

int wl_sim_eng_set_drive(void *impl, char letter, const char *device) {
  wl_sim_engine *e = impl;
  wl_sim_state *w;
  wl_os_lock *lk;
  wl_mutex_lock(&e->mu);
  int rc = wl_sim_eng_write_begin(e, &w, &lk);
  if (rc == WL_OK)
    rc = wl_sim_eng_write_end(e, lk, wl_sim_drive_set(w->drives, &w->ndrives, letter, device));
  wl_mutex_unlock(&e->mu);
  return rc;
}

int wl_sim_eng_set_file(void *impl, const char *path, int exists) {
  wl_sim_engine *e = impl;
  wl_sim_state *w;
  wl_os_lock *lk;
  wl_mutex_lock(&e->mu);
  memset(e->seen_apps, 0, sizeof e->seen_apps); /* an app deleted now is not re-declared */
  int rc = wl_sim_eng_write_begin(e, &w, &lk);
  if (rc == WL_OK)
    rc = wl_sim_eng_write_end(e, lk, wl_sim_file_set(w, path, exists));
  wl_mutex_unlock(&e->mu);
  return rc;
}

int wl_sim_eng_set_remote_session(void *impl, int remote, uint16_t port) {
  wl_sim_engine *e = impl;
  wl_sim_state *w;
  wl_os_lock *lk;
  wl_mutex_lock(&e->mu);
  int rc = wl_sim_eng_write_begin(e, &w, &lk);
  if (rc == WL_OK) {
    w->remote = remote ? 0x10000u | port : 0;
    rc = wl_sim_eng_write_end(e, lk, WL_OK);
  }
  wl_mutex_unlock(&e->mu);
  return rc;
}

/* The simulated Windows lives in C:\Windows; the session is remote when the state says so. */
static int sim_machine(void *impl, wl_machine *out) {
  wl_sim_engine *e = impl;
  wl_sim_state *st;
  wl_strlcpy(out->system_dir, WL_SIM_SYSTEM_DIR, sizeof out->system_dir);
  wl_mutex_lock(&e->mu);
  int rc = wl_sim_eng_read(e, &st);
  out->remote = rc == WL_OK && st->remote != 0;
  out->remote_port = rc == WL_OK ? (uint16_t)st->remote : 0;
  wl_mutex_unlock(&e->mu);
  return rc;
}

/* Under e->mu, after a classify: the attempt's app is a file that exists (its process just
 * connected), signed by the attempt's signer when the line named one. Written to the state the
 * first time this handle sees the app (with that signer); a file deleted since
 * (wl_sim_set_file) stays deleted for the apps this handle has already seen. */
static int declare_app(wl_sim_engine *e, const char *app, const char *signer) {
  char dos[WL_PATH_MAX];
  if (!app[0] || wl_sim_app_dos(e->st.drives, e->st.ndrives, app, dos, sizeof dos) != WL_OK) {
    wl_err_clear();
    return WL_OK; /* "System", an unmapped volume: no file to declare */
  }
  uint64_t h = wl_fnv1a64(WL_FNV1A64_INIT, dos, strlen(dos));
  h = wl_fnv1a64(h, signer, strlen(signer)) | 1;
  uint64_t *slot = &e->seen_apps[h % (sizeof e->seen_apps / sizeof e->seen_apps[0])];
  if (*slot == h)
    return WL_OK;
  *slot = h;
  int new_sig = signer[0] && strcmp(wl_sim_signer_get(&e->st, dos), signer) != 0;
  if ((wl_sim_file_exists(&e->st, dos) && !new_sig) || e->in_txn)
    return WL_OK;
  wl_sim_state *w;
  wl_os_lock *lk;
  /* Never wait: another session's open transaction holds the lock, and classification does
   * not wait for transactions. Busy: declared on a later attempt. */
  int rc = write_begin_wait(e, &w, &lk, 0);
  if (rc == WL_E_BUSY) {
    *slot = 0;
    wl_err_clear();
    return WL_OK;
  }
  if (rc == WL_OK) {
    int err = wl_sim_file_set(w, dos, 1);
    if (err == WL_OK && signer[0])
      err = wl_sim_signer_set(w, dos, signer);
    rc = wl_sim_eng_write_end(e, lk, err);
  }
  return rc;
}

int wl_sim_eng_set_file_signer(void *impl, const char *path, const char *signer) {
  wl_sim_engine *e = impl;
  wl_sim_state *w;
  wl_os_lock *lk;
  wl_mutex_lock(&e->mu);
  memset(e->seen_apps, 0, sizeof e->seen_apps);
  int rc = wl_sim_eng_write_begin(e, &w, &lk);
  if (rc == WL_OK) {
    int err = wl_sim_file_set(w, path, 1);
    if (err == WL_OK)
      err = wl_sim_signer_set(w, path, signer);
    rc = wl_sim_eng_write_end(e, lk, err);
  }
  wl_mutex_unlock(&e->mu);
  return rc;
}

static int sim_signer(void *impl, const char *dos_path, wl_signer *out) {
  wl_sim_engine *e = impl;
  wl_sim_state *st;
  wl_mutex_lock(&e->mu);
  int rc = wl_sim_eng_read(e, &st);
  if (rc == WL_OK)
    rc = wl_sim_signer_of(st, dos_path, out);
  wl_mutex_unlock(&e->mu);
  return rc;
}

/* ---------------------------------------------------------------- events, classify */

static int sim_subscribe(void *impl, wl_net_event_cb cb, void *ctx, void **sub) {
  wl_sim_engine *e = impl;
  return wl_sim_bus_subscribe(e->bus, e, cb, ctx, sub);
}

static int sim_unsubscribe(void *impl, void *sub) {
  wl_sim_engine *e = impl;
  return wl_sim_bus_unsubscribe(e->bus, sub);
}

static int sim_enum_events(void *impl, uint64_t since, wl_net_event_cb cb, void *ctx) {
  wl_sim_engine *e = impl;
  if (!cb)
    return wl_err(WL_E_INVAL, "sim enum: NULL callback");
  return wl_sim_bus_enum(e->bus, since, cb, ctx);
}

static int check_attempt(const wl_attempt *a) {
  if ((a->dir != WL_DIR_IN && a->dir != WL_DIR_OUT) || (a->ip_version != 4 && a->ip_version != 6))
    return wl_err(WL_E_INVAL, "sim classify: attempt needs dir in/out and IP version 4/6");
  return WL_OK;
}

/* Under e->mu: arbitrate against the committed state; the options for the event. */
static int decide(wl_sim_engine *e, const wl_attempt *a, uint8_t *app, size_t *app_len,
                  size_t *app_blob, wl_decision *d, uint32_t opts[2]) {
  int rc = refresh(e);
  if (rc == WL_OK && e->view && wl_sim_view_stale(e->view)) {
    wl_sim_view_free(e->view);
    e->view = NULL;
  }
  if (rc == WL_OK && !e->view)
    rc = wl_sim_view_build(&e->st, &e->view);
  if (rc != WL_OK)
    return rc;
  *app_len = *app_blob = 0;
  if (a->app[0] && wl_sim_event_app_id(e->st.drives, e->st.ndrives, a->app, app, WL_APP_ID_MAX,
                                       app_len, app_blob) != WL_OK) {
    *app_len = *app_blob = 0; /* no NT form at all */
    wl_err_clear();
  }
  wl_sim_arbitrate(e->view, a, app, *app_len, d);
  opts[0] = e->st.collect;
  opts[1] = e->st.keywords;
  return WL_OK;
}

static int classify(wl_sim_engine *e, const wl_attempt *a, int lazy, wl_decision *out) {
  uint8_t app[WL_APP_ID_MAX];
  size_t app_len = 0, app_blob = 0;
  uint32_t opts[2];
  int rc = check_attempt(a);
  if (rc != WL_OK)
    return rc;
  wl_mutex_lock(&e->mu);
  char dos[WL_PATH_MAX] = "";
  rc = decide(e, a, app, &app_len, &app_blob, out, opts);
  if (rc == WL_OK)
    rc = declare_app(e, a->app, a->signer);
  if (rc == WL_OK && out->action != WL_ACTION_BLOCK &&
      wl_sim_app_dos(e->st.drives, e->st.ndrives, a->app, dos, sizeof dos) != WL_OK)
    dos[0] = '\0';
  wl_mutex_unlock(&e->mu);
  if (rc != WL_OK)
    return rc;
  uint32_t type = out->action == WL_ACTION_BLOCK ? WL_RAW_TYPE_CLASSIFY_DROP
                                                 : WL_RAW_TYPE_CLASSIFY_ALLOW;
  wl_sim_conns *conns = wl_sim_bus_conns(e->bus);
  if (type == WL_RAW_TYPE_CLASSIFY_ALLOW)
    wl_sim_conns_add(conns, a, dos);
  wl_sim_evtlog_note(e, a, app, app_len, out); /* the Security log, when audited */
  if (!wl_sim_event_wanted(opts[0], opts[1], a, type) ||
      (type == WL_RAW_TYPE_CLASSIFY_ALLOW && atomic_load(&conns->suppress_allow)))
    return WL_OK;
  wl_raw_event *ev = malloc(sizeof *ev);
  if (!ev)
    return wl_err(WL_E_NOMEM, "sim classify: no memory for the event");
  wl_sim_event_build(a, app, app_len, out, type, ev);
  if (app_blob > app_len)
    ev->app_id_size = (uint32_t)app_blob; /* WFP's blob is longer than the copy */
  rc = wl_sim_bus_emit(e->bus, ev, lazy, NULL);
  if (rc == WL_OK && type == WL_RAW_TYPE_CLASSIFY_ALLOW)
    rc = wl_sim_bus_emit_flow_established(e->bus, ev, a->dir, lazy);
  free(ev);
  out->event_type = type;
  return rc;
}

int wl_sim_eng_classify(void *impl, const wl_attempt *a, wl_decision *out) {
  return classify(impl, a, 0, out);
}

/* A traffic file as fast as possible: events go to the delivery thread in batches (the run
 * flushes what is left when it ends). */
static int sim_classify_batched(void *impl, const wl_attempt *a, wl_decision *out) {
  return classify(impl, a, 1, out);
}

int wl_sim_eng_suppress_allow(void *impl, int on) {
  wl_sim_engine *e = impl;
  atomic_store(&wl_sim_bus_conns(e->bus)->suppress_allow, on ? 1 : 0);
  return WL_OK;
}

static int sim_connections(void *impl, wl_conn *out, size_t cap, size_t *n, size_t *total) {
  wl_sim_engine *e = impl;
  return wl_sim_conns_read(wl_sim_bus_conns(e->bus), out, cap, n, total);
}

int wl_sim_eng_drain(void *impl, unsigned timeout_ms) {
  wl_sim_engine *e = impl;
  return wl_sim_bus_drain(e->bus, timeout_ms);
}

int wl_sim_eng_stop(void *impl) {
  wl_sim_engine *e = impl;
  atomic_store(&e->stop, 1);
  return WL_OK;
}

int wl_sim_eng_run_traffic(void *impl, const char *path, double speed, wl_sim_stats *stats) {
  wl_sim_engine *e = impl;
  uint64_t full0 = wl_sim_bus_full_waits(e->bus);
  int rc = wl_sim_traffic_run(e, speed > 0 ? wl_sim_eng_classify : sim_classify_batched, path, speed,
                              &e->stop, stats);
  wl_sim_bus_flush(e->bus); /* also when stopped: what was classified is delivered */
  char msg[512];
  wl_strlcpy(msg, wl_errmsg(), sizeof msg);
  /* A file source loses nothing: wait until the subscribers have every event. */
  while (wl_sim_bus_drain(e->bus, DRAIN_SLICE_MS) == WL_E_TIMEOUT && !atomic_load(&e->stop)) {
  }
  if (rc != WL_OK)
    wl_err(rc, "%s", msg);
  if (stats)
    stats->full_waits += wl_sim_bus_full_waits(e->bus) - full0;
  if (atomic_exchange(&e->stop, 0) && rc == WL_OK) /* the stop is used up by this run */
    rc = wl_err(WL_E_STOPPED, "%s: stopped", path);
  return rc;
}

const wl_engine_ops wl_sim_ops = {
    .kind = "sim",
    .close = sim_close,
    .event_version = sim_event_version,
    .get_option = sim_get_option,
    .set_option = sim_set_option,
    .subscribe = sim_subscribe,
    .unsubscribe = sim_unsubscribe,
    .enum_events = sim_enum_events,
    .txn_begin = sim_begin,
    .txn_commit = sim_commit,
    .txn_abort = sim_abort,
    .provider_add = wl_sim_provider_add,
    .provider_get = wl_sim_provider_get,
    .provider_delete = wl_sim_provider_delete,
    .sublayer_add = wl_sim_sublayer_add,
    .sublayer_get = wl_sim_sublayer_get,
    .sublayer_delete = wl_sim_sublayer_delete,
    .filter_add = wl_sim_filter_add,
    .filter_delete = wl_sim_filter_delete,
    .filter_get_by_id = wl_sim_filter_get_by_id,
    .filter_get_by_key = wl_sim_filter_get_by_key,
    .filter_enum = wl_sim_filter_enum,
    .app_id = sim_app_id,
    .drive_map = sim_drive_map,
    .machine = sim_machine,
    .connections = sim_connections,
    .signer = sim_signer,
    .evtlog_open = wl_sim_evtlog_open,
    .evtlog_next = wl_sim_evtlog_next,
    .evtlog_close = wl_sim_evtlog_close,
    .audit_get = wl_sim_audit_get,
    .audit_set = wl_sim_audit_set,
};

int wl_sim_backend_open(const char *state_path, unsigned session_flags,
                        const wl_engine_ops **ops, void **impl) {
  wl_sim_engine *e = NULL;
  if (!ops || !impl)
    return wl_err(WL_E_INVAL, "sim open: NULL argument");
  if (session_flags & ~WL_SESSION_DYNAMIC)
    return wl_err(WL_E_INVAL, "sim open: unknown session flags 0x%x", session_flags);
  int rc = sim_open(state_path, session_flags, &e);
  if (rc != WL_OK)
    return rc;
  *ops = &wl_sim_ops;
  *impl = e;
  return WL_OK;
}
