/* install.c — what a whitelist command starts with and what uninstall ends with: the store and
 * the engine opened (open.h), wfplearn's own provider and sublayer, which every filter of ours
 * lives in, added when absent (apply.h), and uninstall removing all of it again.
 *
 * The provider and sublayer are persistent and created lazily, by the first change that needs
 * them (promote, import-policy, enforce, verify --repair), inside that change's transaction.
 */
#include <stdio.h>
#include <string.h>

#include "common/wl_err.h"
#include "common/wl_os.h"
#include "engine/keys.h"
#include "whitelist/apply.h"
#include "whitelist/enforce.h"
#include "whitelist/open.h"
#include "whitelist/whitelist_int.h"

#define UNINSTALL_WATCHDOG_WAIT_MS 5000u /* for a pending watchdog to leave before it is killed */

static const wl_guid wf_sublayer = WL_KEY_MPSSVC_WF_SUBLAYER;

int wl_whitelist_need_store(const char *db) {
  FILE *f = NULL;
  if (!db || wl_os_fopen(db, "rb", &f) != WL_OK)
    return wl_err(WL_E_NOTFOUND, "%s: no store yet (run wfplearn learn first)", db ? db : "");
  fclose(f);
  return WL_OK;
}

int wl_whitelist_open(const char *db, const char *engine_spec, unsigned session_flags,
                      wl_store **s, wl_engine **e) {
  int rc = WL_OK;
  if (s) {
    *s = NULL;
    rc = wl_store_open(db, NULL, s);
    if (rc)
      return rc;
  }
  if (e) {
    *e = NULL;
    rc = wl_engine_open(engine_spec, session_flags, e);
    if (rc)
      goto close_store;
  }
  return WL_OK;
close_store:
  if (s) {
    wl_store_close(*s);
    *s = NULL;
  }
  return rc;
}

int wl_objects_ensure(wl_engine *e) {
  wl_provider p;
  wl_sublayer sl;
  wl_guid pk = wl_provider_key(), sk = wl_sublayer_key();
  int rc = wl_engine_provider_get(e, &pk, &p);
  if (rc == WL_E_NOTFOUND) {
    memset(&p, 0, sizeof p);
    p.key = pk;
    wl_strlcpy(p.name, WL_PROVIDER_NAME, sizeof p.name);
    wl_strlcpy(p.description, WL_PROVIDER_DESC, sizeof p.description);
    p.flags = WL_OBJ_PERSISTENT;
    rc = wl_engine_provider_add(e, &p);
  }
  if (rc)
    return rc;
  rc = wl_engine_sublayer_get(e, &sk, &sl);
  if (rc == WL_E_NOTFOUND) {
    memset(&sl, 0, sizeof sl);
    sl.key = sk;
    wl_strlcpy(sl.name, WL_SUBLAYER_NAME, sizeof sl.name);
    wl_strlcpy(sl.description, WL_SUBLAYER_DESC, sizeof sl.description);
    sl.provider = pk;
    sl.flags = WL_OBJ_PERSISTENT;
    sl.weight = WL_SUBLAYER_WEIGHT;
    rc = wl_engine_sublayer_add(e, &sl);
  }
  if (rc)
    return rc;
  wl_sublayer wf;
  if (wl_engine_sublayer_get(e, &wf_sublayer, &wf) == WL_OK && wf.weight >= sl.weight)
    return wl_err(WL_E_CONFLICT,
                  "Windows Firewall's sublayer (FWPM_SUBLAYER_MPSSVC_WF) weighs 0x%04x, ours "
                  "0x%04x: our permits could not win",
                  (unsigned)wf.weight, (unsigned)sl.weight);
  wl_err_clear();
  return WL_OK;
}

static int weigh(wl_engine *e, const char *name, const wl_guid *key, wl_sublayer_weight *w) {
  wl_sublayer sl;
  int rc = wl_engine_sublayer_get(e, key, &sl);
  w->name = name;
  w->present = rc == WL_OK;
  w->weight = rc == WL_OK ? sl.weight : 0;
  return rc == WL_E_NOTFOUND ? WL_OK : rc;
}

int wl_sublayers_report(wl_engine *e, wl_sublayer_weight out[WL_SUBLAYER_REPORT_MAX], size_t *n) {
  const wl_win_sublayer *win = wl_win_sublayers();
  wl_guid ours = wl_sublayer_key();
  *n = 0;
  int rc = weigh(e, WL_SUBLAYER_NAME, &ours, &out[0]);
  for (size_t i = 0; !rc && i < WL_WIN_SUBLAYERS; i++)
    rc = weigh(e, win[i].name, &win[i].key, &out[1 + i]);
  if (rc)
    return rc;
  *n = WL_SUBLAYER_REPORT_MAX;
  wl_err_clear();
  return WL_OK;
}

/* ---------------------------------------------------------------- uninstall */

static int remove_objects(wl_engine *e, wl_uninstall_report *rep) {
  wl_guid pk = wl_provider_key(), sk = wl_sublayer_key();
  wl_filter *all = NULL;
  size_t n = 0;
  int rc = wl_engine_filter_enum(e, &pk, &all, &n);
  for (size_t i = 0; !rc && i < n; i++) {
    rc = wl_engine_filter_delete(e, &all[i].key);
    if (rc == WL_E_NOTFOUND)
      rc = WL_OK;
    else if (!rc)
      rep->filters++;
  }
  wl_engine_free(all);
  if (!rc) {
    rc = wl_engine_sublayer_delete(e, &sk);
    rep->sublayers += !rc;
    rc = rc == WL_E_NOTFOUND ? WL_OK : rc;
  }
  if (!rc) {
    rc = wl_engine_provider_delete(e, &pk);
    rep->providers += !rc;
    rc = rc == WL_E_NOTFOUND ? WL_OK : rc;
  }
  return rc;
}

int wl_uninstall(wl_engine *e, wl_store *s, wl_uninstall_report *rep) {
  memset(rep, 0, sizeof *rep);
  int rc = s ? wl_watchdog_release(s, UNINSTALL_WATCHDOG_WAIT_MS, &rep->watchdog_released) : WL_OK;
  if (rc)
    goto fail;
  rc = wl_engine_begin(e);
  if (rc)
    goto fail;
  rc = remove_objects(e, rep);
  if (rc)
    goto abort_engine;
  rc = wl_engine_commit(e);
  if (rc)
    goto fail;
  if (s) {
    rc = wl_store_meta_set(s, WL_META_MODE, "learn");
    if (rc)
      return rc; /* the objects are gone: the report says so */
  }
  wl_err_clear();
  return WL_OK;
abort_engine:
  wl_engine_abort(e);
fail:
  memset(rep, 0, sizeof *rep);
  return rc;
}
