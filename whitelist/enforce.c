/* enforce.c — the default block under the whitelist, and the watchdog that makes trying it safe.
 *
 * The block is a set of filters in wfplearn's sublayer: a block at the lowest weight on each
 * outbound layer (and inbound layer with --inbound), plus permits for what a machine needs to
 * stay reachable and configurable above it (enforce_set.c: loopback, DHCP, the DNS client,
 * neighbour discovery, multicast membership, the Windows essentials baseline, the remote session
 * enforce runs in). Rules are permits above the block already (filters.c).
 *
 * `enforce` does not add the block itself. It starts a watchdog process (`wfplearn watchdog`)
 * that opens a DYNAMIC session (FWPM_SESSION_FLAG_DYNAMIC) and adds the block there: WFP removes
 * a dynamic session's objects when the session closes or its process dies, so if the policy
 * cuts the user off and `confirm` never comes, the watchdog's deadline ends the session; if the
 * watchdog is killed, the block goes with it. `confirm` adds the same block as persistent
 * filters under different keys (so there is no moment without a block), flips the mode and
 * tells the watchdog to leave. Mode changes are compare-and-set inside a store transaction
 * (BEGIN IMMEDIATE), so a confirm racing the deadline ends either confirmed or rolled back,
 * never half of each.
 */
#include <assert.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/wl_err.h"
#include "common/wl_os.h"
#include "engine/keys.h"
#include "whitelist/apply.h"
#include "whitelist/enforce.h"
#include "whitelist/open.h"
#include "whitelist/whitelist_int.h"

#define WD_POLL_MS 100u
#define WD_START_WAIT_MS 15000u
#define WD_LEAVE_WAIT_MS 5000u

/* ---------------------------------------------------------------- meta */

int wl_enforce_set_load(wl_engine *e, wl_store *s, wl_enforce_set *out) {
  char base[16] = "";
  wl_store_meta_get(s, WL_META_BASELINE, base, sizeof base);
  wl_err_clear();
  return wl_enforce_set_make(e, wl_meta_u64(s, WL_META_INBOUND) != 0, strcmp(base, "drop") != 0,
                             (uint16_t)wl_meta_u64(s, WL_META_REMOTE_PORT), out);
}

uint64_t wl_meta_u64(wl_store *s, const char *key) {
  char v[32];
  if (wl_store_meta_get(s, key, v, sizeof v))
    return 0;
  return strtoull(v, NULL, 10);
}

/* The mode as stored ("learn" when unset). */
static int mode_raw(wl_store *s, char *out, size_t cap) {
  int rc = wl_store_meta_get(s, WL_META_MODE, out, cap);
  if (rc == WL_E_NOTFOUND || (rc == WL_OK && !out[0])) {
    wl_err_clear();
    wl_strlcpy(out, "learn", cap);
    return WL_OK;
  }
  return rc;
}

/* 1 when the process `pid` is the one that started at `start` (0: not recorded, the pid alone
 * decides). A pid whose start differs was reused by an unrelated process after the watchdog
 * died: it must never be taken for the watchdog, let alone killed (issue 18, item 5). */
static int same_process(uint32_t pid, uint64_t start) {
  uint64_t now = 0;
  if (!pid || !wl_os_pid_alive(pid))
    return 0;
  if (!start)
    return 1;
  int rc = wl_os_pid_start(pid, &now);
  wl_err_clear();
  return rc == WL_OK && now == start;
}

/* The recorded watchdog is alive (and is not us): *pid receives its pid either way. */
static int wd_alive(wl_store *s, uint32_t *pid) {
  *pid = (uint32_t)wl_meta_u64(s, WL_META_WD_PID);
  return *pid && *pid != wl_os_pid() && same_process(*pid, wl_meta_u64(s, WL_META_WD_START));
}

/* A pending mode whose watchdog is dead (killed, crashed, machine rebooted; its pid perhaps
 * reused since) is learn: its dynamic block went with it. */
int wl_enforce_mode(wl_store *s, char *out, size_t cap) {
  int rc = mode_raw(s, out, cap);
  if (rc || strcmp(out, "pending") != 0)
    return rc;
  uint32_t pid = 0;
  if (!wd_alive(s, &pid) && pid != wl_os_pid())
    wl_strlcpy(out, "learn", cap);
  return WL_OK;
}

/* In one store transaction: when mode is `expect` (and, when token is not NULL, the watchdog
 * token matches), set mode to `to` and, when cmd is not NULL, the watchdog command.
 * *done = 1 when it changed. */
static int mode_cas(wl_store *s, const char *expect, const char *token, const char *to,
                    const char *cmd, int *done) {
  char mode[32], tok[64] = "";
  *done = 0;
  int rc = wl_store_begin(s);
  if (rc)
    return rc;
  rc = mode_raw(s, mode, sizeof mode);
  if (rc)
    goto rollback_store;
  if (token && wl_store_meta_get(s, WL_META_WD_TOKEN, tok, sizeof tok) == WL_E_TOOBIG) {
    rc = WL_E_TOOBIG;
    goto rollback_store;
  }
  if (strcmp(mode, expect) == 0 && (!token || strcmp(tok, token) == 0)) {
    rc = wl_store_meta_set(s, WL_META_MODE, to);
    if (rc)
      goto rollback_store;
    rc = cmd ? wl_store_meta_set(s, WL_META_WD_CMD, cmd) : WL_OK;
    if (rc)
      goto rollback_store;
    *done = 1;
  }
  return wl_store_commit(s);
rollback_store:
  wl_store_rollback(s);
  return rc;
}

/* ---------------------------------------------------------------- the watchdog */

static atomic_int wd_interrupted;
static void wd_on_interrupt(void *ctx) {
  (void)ctx;
  atomic_store(&wd_interrupted, 1);
}

/* The store says pending, with this watchdog's pid, token and deadline, in one transaction;
 * the mode last, so a reader that sees pending sees the rest too. */
static int wd_write_pending(wl_store *s, const wl_watchdog_opts *o) {
  char pid[32], deadline[32], started[32] = "0", port[16];
  uint64_t end = wl_time_now() + (uint64_t)o->within_s * WL_TICKS_PER_SEC, start = 0;
  snprintf(port, sizeof port, "%u", (unsigned)o->remote_port);
  snprintf(pid, sizeof pid, "%lu", (unsigned long)wl_os_pid());
  snprintf(deadline, sizeof deadline, "%llu", (unsigned long long)end);
  if (wl_os_pid_start(wl_os_pid(), &start) == WL_OK) /* else: the pid alone (no /proc) */
    snprintf(started, sizeof started, "%llu", (unsigned long long)start);
  wl_err_clear();
  const struct {
    const char *key, *value;
  } meta[] = {{WL_META_WD_PID, pid},
              {WL_META_WD_START, started},
              {WL_META_WD_TOKEN, o->token},
              {WL_META_WD_DEADLINE, deadline},
              {WL_META_INBOUND, o->inbound ? "1" : "0"},
              {WL_META_BASELINE, o->baseline ? "keep" : "drop"},
              {WL_META_REMOTE_PORT, port},
              {WL_META_WD_CMD, ""},
              {WL_META_MODE, "pending"}};
  int rc = wl_store_begin(s);
  if (rc)
    return rc;
  for (size_t i = 0; i < sizeof meta / sizeof meta[0]; i++) {
    rc = wl_store_meta_set(s, meta[i].key, meta[i].value);
    if (rc)
      goto rollback_store;
  }
  return wl_store_commit(s);
rollback_store:
  wl_store_rollback(s);
  return rc;
}

/* Add filters in one engine transaction, after our provider and sublayer when `ensure`. */
static int block_put(wl_engine *e, wl_filter *f, size_t n, int ensure) {
  size_t added = 0, adopted = 0;
  int rc = wl_engine_begin(e);
  if (rc)
    return rc;
  rc = ensure ? wl_objects_ensure(e) : WL_OK;
  if (rc)
    goto abort_engine;
  rc = wl_filters_put(e, f, n, &added, &adopted);
  if (rc)
    goto abort_engine;
  return wl_engine_commit(e);
abort_engine:
  wl_engine_abort(e);
  return rc;
}

/* Delete filters by key in one engine transaction (those already gone are fine). */
static int block_delete(wl_engine *e, const wl_filter *f, size_t n) {
  wl_guid keys[WL_ENFORCE_MAX_FILTERS];
  size_t deleted = 0;
  assert(n <= WL_ENFORCE_MAX_FILTERS);
  for (size_t i = 0; i < n; i++)
    keys[i] = f[i].key;
  int rc = wl_engine_begin(e);
  if (rc)
    return rc;
  rc = wl_filters_delete(e, keys, n, &deleted);
  if (rc)
    goto abort_engine;
  return wl_engine_commit(e);
abort_engine:
  wl_engine_abort(e);
  return rc;
}

/* The block in this (dynamic) session, then the store says pending. Our provider and sublayer
 * exist already: wl_enforce_start made them persistent before starting us. */
static int wd_install(wl_engine *e, wl_store *s, const wl_watchdog_opts *o) {
  size_t n = 0;
  int rc;
  wl_filter *f = calloc(WL_ENFORCE_MAX_FILTERS, sizeof *f);
  wl_enforce_set *set = malloc(sizeof *set);
  if (!f || !set) {
    rc = wl_err(WL_E_NOMEM, "watchdog: out of memory");
    goto out;
  }
  rc = wl_enforce_set_make(e, o->inbound, o->baseline, o->remote_port, set);
  if (rc)
    goto out;
  rc = wl_enforce_filters(set, 0, f, WL_ENFORCE_MAX_FILTERS, &n);
  if (rc)
    goto out;
  rc = block_put(e, f, n, 0);
  if (rc)
    goto out;
  rc = wd_write_pending(s, o);
out:
  free(set);
  free(f);
  return rc;
}

/* The deadline has passed: by the wall clock, as recorded in the store (WL_META_WD_DEADLINE), so
 * a machine that slept through it rolls back as soon as it wakes (a monotonic clock may stop
 * during sleep: CLOCK_MONOTONIC does on Linux); or by the monotonic clock between checks, so a
 * wall clock set back cannot stretch the trial. Whichever comes first. */
static int wd_expired(wl_store *s, uint64_t mono_end, uint64_t wall_end) {
  uint64_t recorded = wl_meta_u64(s, WL_META_WD_DEADLINE); /* 0 while unreadable: ours */
  if (recorded)
    wall_end = recorded;
  return wl_time_now() >= wall_end || wl_time_mono_ns() >= mono_end;
}

/* Wait for a reason to leave. A store that cannot be read for a moment (busy) is not one: the
 * deadline still holds. */
static const char *wd_wait(wl_store *s, unsigned within_s, const char *token) {
  uint64_t end = wl_time_mono_ns() + (uint64_t)within_s * 1000000000ull;
  uint64_t wall_end = wl_time_now() + (uint64_t)within_s * WL_TICKS_PER_SEC;
  char want[80], cmd[80], mode[32], tok[64];
  snprintf(want, sizeof want, "exit:%s", token);
  for (;;) {
    if (atomic_load(&wd_interrupted))
      return "interrupted";
    if (wl_store_meta_get(s, WL_META_WD_CMD, cmd, sizeof cmd) == WL_OK && !strcmp(cmd, want))
      return wl_enforce_mode(s, mode, sizeof mode) == WL_OK && !strcmp(mode, "enforce")
                 ? "confirmed"
                 : "released";
    if (wl_enforce_mode(s, mode, sizeof mode) == WL_OK &&
        wl_store_meta_get(s, WL_META_WD_TOKEN, tok, sizeof tok) == WL_OK &&
        (strcmp(mode, "pending") || strcmp(tok, token)))
      return "released"; /* relaxed, uninstalled, or another enforce took over */
    if (wd_expired(s, end, wall_end))
      return "expired";
    wl_sleep_ms(WD_POLL_MS);
  }
}

int wl_enforce_watchdog(const wl_watchdog_opts *o, const char **outcome) {
  wl_engine *e = NULL;
  wl_store *s = NULL;
  const char *token = o->token;
  unsigned within_s = o->within_s;
  *outcome = "failed";
  int rc = wl_whitelist_open(o->db_path, o->engine_spec, WL_SESSION_DYNAMIC, &s, &e);
  if (rc)
    goto out;
  rc = wl_os_on_interrupt(wd_on_interrupt, NULL);
  if (rc)
    goto out;
  rc = wd_install(e, s, o);
  if (rc)
    goto out;
  *outcome = wd_wait(s, within_s, token);
  /* Close the session first: the dynamic block is gone before the store says learn. */
  wl_engine_close(e);
  e = NULL;
  int done = 0;
  if (strcmp(*outcome, "confirmed") != 0) {
    for (int tries = 0; tries < 50; tries++) {
      rc = mode_cas(s, "pending", token, "learn", "", &done);
      if (rc != WL_E_BUSY)
        break;
      wl_sleep_ms(WD_POLL_MS);
    }
  }
out:
  wl_engine_close(e);
  wl_store_close(s);
  return rc;
}

/* ---------------------------------------------------------------- enforce, confirm, relax */

static int objects_txn(wl_engine *e) {
  int rc = wl_engine_begin(e);
  if (rc)
    return rc;
  rc = wl_objects_ensure(e);
  if (rc)
    goto abort_engine;
  return wl_engine_commit(e);
abort_engine:
  wl_engine_abort(e);
  return rc;
}

/* Our provider and sublayer, persistent, in a session of our own: the watchdog's dynamic
 * filters refer to them, and its dynamic session must not be what creates them. */
static int ensure_objects(const char *engine_spec) {
  wl_engine *e = NULL;
  int rc = wl_engine_open(engine_spec, 0, &e);
  if (!rc)
    rc = objects_txn(e);
  wl_engine_close(e);
  return rc;
}

/* Wait until the watchdog says pending with our token, or dies, or WD_START_WAIT_MS pass. */
static int wait_pending(wl_store *s, uint32_t pid, const char *token, const char *log) {
  char mode[32], tok[64];
  for (unsigned waited = 0; waited < WD_START_WAIT_MS; waited += WD_POLL_MS) {
    if (wl_enforce_mode(s, mode, sizeof mode) == WL_OK && !strcmp(mode, "pending") &&
        wl_store_meta_get(s, WL_META_WD_TOKEN, tok, sizeof tok) == WL_OK && !strcmp(tok, token))
      return WL_OK;
    if (!wl_os_pid_alive(pid))
      return wl_err(WL_E_ENGINE, "the watchdog (pid %lu) exited before holding the block; see %s",
                    (unsigned long)pid, log);
    wl_sleep_ms(WD_POLL_MS);
  }
  wl_os_kill(pid);
  return wl_err(WL_E_TIMEOUT, "the watchdog (pid %lu) did not report within %u s; see %s",
                (unsigned long)pid, WD_START_WAIT_MS / 1000, log);
}

int wl_enforce_lock(const char *db_path, wl_os_lock **out) {
  char path[WL_PATH_MAX + 16];
  if (snprintf(path, sizeof path, "%s.enforce.lock", db_path) >= (int)sizeof path)
    return wl_err(WL_E_TOOBIG, "%s: path too long for its lock file", db_path);
  int rc = wl_os_lock_acquire(path, WL_ENFORCE_LOCK_WAIT_MS, out);
  if (rc == WL_E_BUSY)
    return wl_err(rc, "another enforce, confirm or relax is running on %s (waited %u s)",
                  db_path, WL_ENFORCE_LOCK_WAIT_MS / 1000);
  return rc;
}

/* What blocks an enforce: any problem left but a rule whose app is gone from disk while its
 * filters are still in place (they still work should the app come back; verify lists it). */
static int blocks_enforce(const wl_issue *x) { return x->kind != WL_ISSUE_UNRESOLVED || x->lost; }

/* The rules' filters, checked and put back (app ids re-derived) before any block goes in; what
 * cannot be put back refuses the enforce with the list (at most 4 named). */
static int rules_ready(const char *engine_spec, wl_store *s, size_t *repaired) {
  wl_engine *e = NULL;
  wl_verify_report *rep = malloc(sizeof *rep);
  int rc = rep ? wl_engine_open(engine_spec, 0, &e) : wl_err(WL_E_NOMEM, "enforce");
  if (!rc)
    rc = wl_rules_verify(e, s, WL_VERIFY_REPAIR | WL_VERIFY_SKIP_MISSING, rep);
  *repaired = rc ? 0 : rep->repaired;
  if (!rc && rep->issues_total)
    rc = wl_rules_verify(e, s, 0, rep);
  char list[600] = "";
  size_t used = 0, n = 0;
  for (size_t i = 0; !rc && i < rep->n_issues; i++) {
    const wl_issue *x = &rep->issues[i];
    if (blocks_enforce(x) && n++ < 4 && used < sizeof list)
      used += (size_t)snprintf(list + used, sizeof list - used, "%s rule %lld: %s",
                               n > 1 ? ";" : "", (long long)x->rule_id, x->what);
  }
  if (!rc && (n || rep->issues_total > rep->n_issues))
    rc = wl_err(WL_E_CONFLICT, "refusing to enforce: %u problem%s between the rules and the "
                "engine cannot be repaired, and a block now would cut what the rules allow:%s "
                "(see wfplearn verify)", (unsigned)n, n == 1 ? "" : "s", list);
  wl_engine_close(e);
  free(rep);
  return rc;
}

/* Anti-lockout for a remote desktop session: with --inbound its listener stays allowed; when its
 * port cannot be read, refuse unless --force. */
static int remote_session(const char *engine_spec, wl_enforce_opts *o) {
  wl_engine *e = NULL;
  wl_machine m;
  o->remote_port = 0;
  int rc = wl_engine_open(engine_spec, 0, &e);
  if (!rc)
    rc = wl_engine_machine(e, &m);
  wl_engine_close(e);
  if (rc || !o->inbound || !m.remote)
    return rc;
  o->remote_port = m.remote_port;
  if (!m.remote_port && !o->force)
    return wl_err(WL_E_CONFLICT, "this is a remote desktop session and the port of its listener "
                  "cannot be read (RDP-Tcp PortNumber): enforce --inbound could cut it; run it "
                  "from the console, without --inbound, or with --force");
  return WL_OK;
}

int wl_enforce_start(wl_store *s, wl_enforce_opts *o, uint32_t *pid, size_t *repaired) {
  char mode[32], exe[WL_PATH_MAX], log[WL_PATH_MAX], within[16], token[64], port[16];
  uint32_t old;
  int rc = wl_enforce_mode(s, mode, sizeof mode);
  if (rc)
    return rc;
  if (!strcmp(mode, "enforce"))
    return wl_err(WL_E_EXISTS, "already enforcing (run relax first to try another policy)");
  if (!strcmp(mode, "pending") && wd_alive(s, &old))
    return wl_err(WL_E_EXISTS, "an enforce is already pending (watchdog pid %lu): confirm or "
                  "relax it first", (unsigned long)old);
  rc = remote_session(o->engine_spec, o);
  if (rc)
    return rc;
  rc = rules_ready(o->engine_spec, s, repaired);
  if (rc)
    return rc;
  rc = ensure_objects(o->engine_spec);
  if (rc)
    return rc;
  /* The watchdog is this very executable, by GetModuleFileNameW / /proc/self/exe (wl_os_exe_path),
   * never a path from the environment: an elevated enforce must not start what a variable names. */
  rc = wl_os_exe_path(exe, sizeof exe);
  if (rc)
    return rc;
  snprintf(log, sizeof log, "%s.watchdog.log", o->db_path);
  snprintf(within, sizeof within, "%u", o->within_s);
  snprintf(token, sizeof token, "%lx-%llx", (unsigned long)wl_os_pid(),
           (unsigned long long)wl_time_now());
  snprintf(port, sizeof port, "%u", (unsigned)o->remote_port);
  char *argv[16] = {exe, "--db", (char *)o->db_path, "--engine", (char *)o->engine_spec,
                    "watchdog", "--within", within, "--token", token, "--remote-port", port};
  size_t k = 12;
  if (!o->baseline)
    argv[k++] = "--baseline-drop";
  if (o->inbound)
    argv[k++] = "--inbound";
  argv[k] = NULL;
  const char *logp = o->log_path ? o->log_path : log;
  rc = wl_os_spawn(argv, logp, pid);
  return rc ? rc : wait_pending(s, *pid, token, logp);
}

/* The persistent block as the store's meta describes it: added with our objects when `add`;
 * else every persistent enforce filter there could be is deleted (whatever was enforced). */
static int put_block(wl_engine *e, wl_store *s, int add) {
  size_t n = 0;
  int rc = WL_OK;
  wl_filter *f = calloc(WL_ENFORCE_MAX_FILTERS, sizeof *f);
  wl_enforce_set *set = calloc(1, sizeof *set);
  if (!f || !set) {
    rc = wl_err(WL_E_NOMEM, "enforce: out of memory");
    goto out;
  }
  if (add)
    rc = wl_enforce_set_load(e, s, set);
  else /* keys only: every kind, every direction */
    *set = (wl_enforce_set){.inbound = 1, .baseline = 1, .remote_port = 1};
  if (!rc)
    rc = wl_enforce_filters(set, 1, f, WL_ENFORCE_MAX_FILTERS, &n);
  if (!rc)
    rc = add ? block_put(e, f, n, 1) : block_delete(e, f, n);
out:
  free(set);
  free(f);
  return rc;
}

static void wait_exit(uint32_t pid, uint64_t start, unsigned ms) {
  for (unsigned w = 0; w < ms && same_process(pid, start); w += WD_POLL_MS)
    wl_sleep_ms(WD_POLL_MS);
}

int wl_enforce_confirm(wl_engine *e, wl_store *s) {
  char mode[32], token[64] = "", cmd[80];
  uint32_t pid;
  int rc = mode_raw(s, mode, sizeof mode); /* a dead watchdog's pending is "too late" */
  if (rc)
    return rc;
  if (strcmp(mode, "pending") != 0)
    return wl_err(WL_E_INVAL, "nothing to confirm: the mode is %s", mode);
  if (!wd_alive(s, &pid)) {
    int done;
    mode_cas(s, "pending", NULL, "learn", NULL, &done);
    return wl_err(WL_E_NOTFOUND, "too late: the pending enforce already rolled back (its "
                  "watchdog is gone); run enforce again");
  }
  wl_store_meta_get(s, WL_META_WD_TOKEN, token, sizeof token);
  rc = put_block(e, s, 1); /* persistent block first: no gap */
  if (rc)
    return rc;
  int done = 0;
  snprintf(cmd, sizeof cmd, "exit:%s", token);
  rc = mode_cas(s, "pending", token, "enforce", cmd, &done);
  if (rc || !done) {
    put_block(e, s, 0); /* the watchdog rolled back meanwhile: so do we */
    return rc ? rc : wl_err(WL_E_NOTFOUND, "too late: the pending enforce rolled back while "
                            "confirming; run enforce again");
  }
  wait_exit(pid, wl_meta_u64(s, WL_META_WD_START), WD_LEAVE_WAIT_MS);
  return WL_OK;
}

int wl_watchdog_release(wl_store *s, unsigned wait_ms, int *released) {
  char mode[32], token[64] = "", cmd[80];
  uint32_t pid;
  *released = 0;
  int rc = mode_raw(s, mode, sizeof mode); /* a dead watchdog's pending is "too late" */
  if (rc || strcmp(mode, "pending") != 0)
    return rc;
  wl_store_meta_get(s, WL_META_WD_TOKEN, token, sizeof token);
  snprintf(cmd, sizeof cmd, "exit:%s", token);
  int done = 0;
  rc = mode_cas(s, "pending", token, "learn", cmd, &done);
  if (rc)
    return rc;
  if (wd_alive(s, &pid)) {
    uint64_t start = wl_meta_u64(s, WL_META_WD_START);
    *released = 1;
    wait_exit(pid, start, wait_ms);
    if (same_process(pid, start)) /* still the watchdog, not a process that reused its pid */
      wl_os_kill(pid);             /* its session dies with it */
    wait_exit(pid, start, wait_ms);
  }
  return WL_OK;
}

int wl_enforce_relax(wl_engine *e, wl_store *s) {
  int released = 0;
  int rc = wl_watchdog_release(s, WD_LEAVE_WAIT_MS, &released);
  if (!rc)
    rc = put_block(e, s, 0); /* both directions: whatever was enforced */
  if (!rc)
    rc = wl_store_meta_set(s, WL_META_MODE, "learn");
  return rc;
}
