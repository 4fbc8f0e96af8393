/* sim_ctl.c — the sim's own controls (sim.h) on a wl_engine handle: classify one attempt, run
 * a traffic file, stop it, drain the delivery queue, set the drive map, restart "BFE".
 *
 * Only a sim engine has them, so they are not in the backend table every backend fills
 * (backend.h): each finds the sim behind the handle with wl_engine_impl_of and answers
 * WL_E_UNSUPPORTED for any other engine (the real fwpuclnt backend has no traffic to run).
 */
#include "common/wl_err.h"
#include "engine/sim/sim_internal.h"

/* The sim impl behind e, or NULL with WL_E_UNSUPPORTED (or WL_E_INVAL) set naming fn. */
static void *sim_of(wl_engine *e, const char *fn, int *rc) {
  void *impl = wl_engine_impl_of(e, &wl_sim_ops);
  if (!impl)
    *rc = !e ? wl_err(WL_E_INVAL, "%s: NULL engine", fn)
             : wl_err(WL_E_UNSUPPORTED, "%s: only the simulated engine has it (this is the %s "
                      "engine)", fn, e->ops->kind);
  return impl;
}

int wl_sim_classify(wl_engine *e, const wl_attempt *a, wl_decision *out) {
  int rc = WL_OK;
  void *s = sim_of(e, "wl_sim_classify", &rc);
  if (!s)
    return rc;
  if (!a || !out)
    return wl_err(WL_E_INVAL, "wl_sim_classify: NULL argument");
  return wl_sim_eng_classify(s, a, out);
}

int wl_sim_run_traffic(wl_engine *e, const char *path, double speed, wl_sim_stats *stats) {
  int rc = WL_OK;
  void *s = sim_of(e, "wl_sim_run_traffic", &rc);
  if (!s)
    return rc;
  if (!path)
    return wl_err(WL_E_INVAL, "wl_sim_run_traffic: NULL path");
  return wl_sim_eng_run_traffic(s, path, speed, stats);
}

int wl_sim_stop(wl_engine *e) {
  int rc = WL_OK;
  void *s = sim_of(e, "wl_sim_stop", &rc);
  return s ? wl_sim_eng_stop(s) : rc;
}

int wl_sim_drain(wl_engine *e, unsigned timeout_ms) {
  int rc = WL_OK;
  void *s = sim_of(e, "wl_sim_drain", &rc);
  return s ? wl_sim_eng_drain(s, timeout_ms) : rc;
}

int wl_sim_set_file(wl_engine *e, const char *path, int exists) {
  int rc = WL_OK;
  void *s = sim_of(e, "wl_sim_set_file", &rc);
  return s ? wl_sim_eng_set_file(s, path, exists) : rc;
}

int wl_sim_set_file_signer(wl_engine *e, const char *path, const char *signer) {
  int rc = WL_OK;
  void *s = sim_of(e, "wl_sim_set_file_signer", &rc);
  return s ? wl_sim_eng_set_file_signer(s, path, signer) : rc;
}

int wl_sim_set_remote_session(wl_engine *e, int remote, uint16_t port) {
  int rc = WL_OK;
  void *s = sim_of(e, "wl_sim_set_remote_session", &rc);
  return s ? wl_sim_eng_set_remote_session(s, remote, port) : rc;
}

int wl_sim_set_keyword_support(wl_engine *e, uint32_t mask) {
  int rc = WL_OK;
  void *s = sim_of(e, "wl_sim_set_keyword_support", &rc);
  return s ? wl_sim_eng_set_kw_support(s, mask) : rc;
}

int wl_sim_set_drive(wl_engine *e, char letter, const char *device) {
  int rc = WL_OK;
  void *s = sim_of(e, "wl_sim_set_drive", &rc);
  return s ? wl_sim_eng_set_drive(s, letter, device) : rc;
}

int wl_sim_bfe_restart(wl_engine *e) {
  int rc = WL_OK;
  void *s = sim_of(e, "wl_sim_bfe_restart", &rc);
  return s ? wl_sim_eng_bfe_restart(s) : rc;
}

int wl_sim_suppress_allow(wl_engine *e, int on) {
  int rc = WL_OK;
  void *s = sim_of(e, "wl_sim_suppress_allow", &rc);
  return s ? wl_sim_eng_suppress_allow(s, on) : rc;
}

int wl_sim_evtlog_inject(wl_engine *e, const char *xml) {
  int rc = WL_OK;
  void *s = sim_of(e, "wl_sim_evtlog_inject", &rc);
  if (s && !xml)
    return wl_err(WL_E_INVAL, "wl_sim_evtlog_inject: NULL record");
  return s ? wl_sim_eng_evtlog_inject(s, xml) : rc;
}
