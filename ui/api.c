/* api.c — the review page's JSON API (docs/ui.md). GET answers are the CLI's --json documents
 * (ui/report.h); POST actions call the whitelist functions the CLI commands call, and errors
 * carry the CLI's messages. Each request opens the store (and the engine when it acts on it)
 * like one CLI command and closes them before answering.
 */
#include <stdlib.h>
#include <string.h>

#include "common/wl_err.h"
#include "common/wl_json.h"
#include "common/wl_text.h"
#include "store/store.h"
#include "ui/report.h"
#include "ui/ui_int.h"
#include "ui/ui_os.h"
#include "whitelist/apply.h"
#include "whitelist/enforce.h"
#include "whitelist/expiry.h"
#include "whitelist/open.h"
#include "whitelist/proposal.h"

#define API_MAX_IDS           256 /* as promote and revoke on the command line */
#define API_TIMELINE_HOURS    168 /* one week of hourly buckets, ending at the newest event */
#define API_ENFORCE_DEFAULT_S 60u
#define API_ENFORCE_MAX_S     86400u

typedef struct api_body { /* a POST body: {"ids": [...], "scope": "...", "for": "D",
                           *               "confirm_within": S} */
  int64_t ids[API_MAX_IDS];
  size_t n_ids;
  int scope; /* -1: the proposed one */
  uint64_t expires; /* "for": promote --for D's deadline; 0 permanent */
  unsigned within_s;
  int inbound;
} api_body;

static int open_store(wl_ui *u, int engine, wl_store **s, wl_engine **e) {
  int rc = wl_whitelist_need_store(u->db_path);
  return rc ? rc
            : wl_whitelist_open(u->db_path, engine ? u->engine_spec : NULL, 0, s,
                                engine ? e : NULL);
}

/* ---------------------------------------------------------------- request bodies */

static int body_ids(const wl_json *v, api_body *b) {
  if (!v)
    return WL_OK;
  if (v->type != WL_JSON_ARRAY)
    return wl_err(WL_E_INVAL, "\"ids\" must be an array of numbers");
  if (v->len > API_MAX_IDS)
    return wl_err(WL_E_TOOBIG, "at most %d ids at once", API_MAX_IDS);
  for (const wl_json *x = v->child; x; x = x->next) {
    int64_t id = 0;
    if (x->type != WL_JSON_NUMBER || wl_json_int64(x, &id) || id < 1)
      return wl_err(WL_E_INVAL, "\"ids\": %.*s is not an id", (int)(x->len < 32 ? x->len : 32),
                    x->str ? x->str : "?");
    int dup = 0;
    for (size_t k = 0; k < b->n_ids; k++)
      dup |= b->ids[k] == id;
    if (!dup)
      b->ids[b->n_ids++] = id;
  }
  return WL_OK;
}

static int body_within(const wl_json *v, api_body *b) {
  int64_t s = 0;
  if (!v)
    return WL_OK;
  if (v->type != WL_JSON_NUMBER || wl_json_int64(v, &s) || s < 1 || s > API_ENFORCE_MAX_S)
    return wl_err(WL_E_INVAL, "\"confirm_within\": expected seconds from 1 to %u",
                  API_ENFORCE_MAX_S);
  b->within_s = (unsigned)s;
  return WL_OK;
}

static int body_parse(const wl_http_req *req, api_body *b) {
  wl_json_arena a = {0};
  wl_json_error je = {0};
  const wl_json *root = NULL, *v;
  memset(b, 0, sizeof *b);
  b->scope = -1, b->within_s = API_ENFORCE_DEFAULT_S;
  if (!req->body_len)
    return WL_OK; /* confirm and relax need nothing */
  int rc = wl_json_parse(&a, req->body, req->body_len, &root, &je);
  if (rc == WL_E_PARSE)
    rc = wl_err(WL_E_PARSE, "bad JSON at column %zu: %s", je.column, je.reason);
  else if (!rc && root->type != WL_JSON_OBJECT)
    rc = wl_err(WL_E_INVAL, "the body must be a JSON object");
  if (!rc)
    rc = body_ids(wl_json_get(root, "ids"), b);
  if (!rc)
    rc = body_within(wl_json_get(root, "confirm_within"), b);
  if (!rc && (v = wl_json_get(root, "scope")) != NULL && v->type != WL_JSON_NULL)
    rc = v->type == WL_JSON_STRING ? wl_scope_parse(v->str, &b->scope)
                                   : wl_err(WL_E_INVAL, "\"scope\" must be a string");
  if (!rc && (v = wl_json_get(root, "for")) != NULL && v->type != WL_JSON_NULL)
    rc = v->type == WL_JSON_STRING ? wl_expiry_parse_for(v->str, wl_time_now(), &b->expires)
                                   : wl_err(WL_E_INVAL, "\"for\" must be a string (30m, 2h, "
                                            "3d, 1w) or null");
  if (!rc && (v = wl_json_get(root, "inbound")) != NULL)
    b->inbound = v->type == WL_JSON_TRUE;
  wl_json_arena_free(&a);
  return rc;
}

/* ---------------------------------------------------------------- GET */

static void get_status(wl_ui *u, FILE *f, wl_http_resp *resp) {
  wl_status x;
  wl_engine *e = NULL;
  int rc = wl_status_load(u->db_path, 0, &x);
  if (!rc) {
    if (wl_engine_open(u->engine_spec, 0, &e) != WL_OK) /* only for the sublayers */
      e = NULL;
    wl_err_clear();
    wl_report_status(f, u->db_path, &x, e);
    wl_engine_close(e);
  }
  wl_ui_answer(resp, rc, f);
}

static void get_list(wl_ui *u, FILE *f, int rules, wl_http_resp *resp) {
  wl_store *s = NULL;
  int rc = open_store(u, 0, &s, NULL);
  if (!rc)
    rc = rules ? wl_report_rules(f, s) : wl_report_proposals(f, s, u->engine_spec, 0);
  wl_store_close(s);
  wl_ui_answer(resp, rc, f);
}

static void get_flags(FILE *f, wl_http_resp *resp) {
  fputc('[', f);
  for (uint32_t bit = 1; bit <= WL_PROPOSAL_FLAG_LAST; bit <<= 1) {
    fprintf(f, "%s{\"name\":", bit > 1 ? "," : "");
    wl_json_write_string(f, wl_proposal_flag_name(bit));
    fputs(",\"note\":", f);
    wl_json_write_string(f, wl_proposal_flag_note(bit));
    fputc('}', f);
  }
  fputs("]\n", f);
  wl_ui_answer(resp, WL_OK, f);
}

static void get_timeline(wl_ui *u, const wl_http_req *req, FILE *f, wl_http_resp *resp) {
  const char *v = wl_http_query(req, "id");
  char *end = NULL;
  long long id = v ? strtoll(v, &end, 10) : 0;
  wl_store *s = NULL;
  int rc = (!v || !*v || *end || id < 1) ? wl_err(WL_E_INVAL, "timeline needs ?id=PROPOSAL")
                                         : open_store(u, 0, &s, NULL);
  if (!rc)
    rc = wl_ui_timeline_write(s, id, f);
  wl_store_close(s);
  wl_ui_answer(resp, rc, f);
}

/* ---------------------------------------------------------------- POST */

/* promote: what `wfplearn promote ID... [--scope S] [--for D]` does (wl_promote), all or none. */
static int promote_rules(wl_engine *e, wl_store *s, const api_body *b, FILE *f) {
  wl_promote_report r = {.expires = b->expires}; /* an app no longer on disk fails it all */
  int rc = wl_promote(e, s, b->ids, b->n_ids, b->scope, 0, &r);
  if (!rc) {
    fprintf(f, "{\"added\":%zu,\"filters\":%zu,\"same\":%zu,\"put_back\":%zu,\"rebound\":%zu,"
               "\"rules\":[",
            r.res.added_rules, r.res.added_filters + r.res.adopted_filters,
            r.res.same_rules + r.covered, r.put_back, r.rebound);
    for (size_t i = 0; i < r.n_rules; i++)
      fprintf(f, "%s%lld", i ? "," : "", (long long)r.rows[i].id);
    fputs("]}\n", f);
  }
  wl_promote_report_free(&r);
  return rc;
}

static int count_rule(void *ctx, const wl_rule_row *r) {
  (void)r;
  (*(size_t *)ctx)++;
  return 0;
}

static int act(wl_ui *u, const char *what, const api_body *b, FILE *f) {
  wl_store *s = NULL;
  wl_engine *e = NULL;
  int enforce = !strcmp(what, "enforce");
  char mode[32] = "";
  wl_os_lock *lock = NULL; /* enforce, confirm and relax: one at a time (issue 18, item 8) */
  int rc = WL_OK;
  if (enforce || !strcmp(what, "confirm") || !strcmp(what, "relax"))
    rc = wl_enforce_lock(u->db_path, &lock);
  if (!rc)
    rc = open_store(u, !enforce, &s, &e);
  if (!rc && !strcmp(what, "promote")) {
    rc = b->n_ids ? promote_rules(e, s, b, f)
                  : wl_err(WL_E_INVAL, "which proposals? (\"ids\": [...])");
  } else if (!rc && !strcmp(what, "revoke")) {
    rc = b->n_ids ? wl_rules_revoke(e, s, b->ids, b->n_ids)
                  : wl_err(WL_E_INVAL, "which rules? (\"ids\": [...])");
    for (size_t i = 0; !rc && i < b->n_ids; i++)
      fprintf(f, "%s%lld", i ? "," : "{\"revoked\":[", (long long)b->ids[i]);
    if (!rc)
      fputs("]}\n", f);
  } else if (!rc && enforce) {
    wl_enforce_opts o = {.db_path = u->db_path, .engine_spec = u->engine_spec,
                         .within_s = b->within_s, .inbound = b->inbound, .baseline = 1};
    size_t nrules = 0, repaired = 0;
    uint32_t pid = 0;
    rc = wl_store_rules(s, count_rule, &nrules);
    if (!rc)
      rc = wl_enforce_start(s, &o, &pid, &repaired);
    if (!rc)
      fprintf(f,
              "{\"mode\":\"pending\",\"confirm_within\":%u,\"rules\":%zu,\"repaired\":%zu,"
              "\"watchdog_pid\":%lu}\n",
              b->within_s, nrules, repaired, (unsigned long)pid);
  } else if (!rc) {
    rc = !strcmp(what, "confirm") ? wl_enforce_confirm(e, s) : wl_enforce_relax(e, s);
    if (!rc)
      rc = wl_enforce_mode(s, mode, sizeof mode);
    if (!rc)
      fprintf(f, "{\"mode\":\"%s\"}\n", mode);
  }
  wl_engine_close(e);
  wl_store_close(s);
  wl_os_lock_release(lock);
  return rc;
}

/* ---------------------------------------------------------------- routes */

static const char *const k_actions[] = {"promote", "revoke", "enforce", "confirm", "relax"};

static void act_route(wl_ui *u, const char *name, const wl_http_req *req, FILE *f,
                      wl_http_resp *resp) {
  api_body *b = malloc(sizeof *b);
  int rc = b ? body_parse(req, b) : wl_err(WL_E_NOMEM, "out of memory");
  if (!rc)
    rc = act(u, name, b, f);
  free(b);
  wl_ui_answer(resp, rc, f);
}

void wl_ui_api(wl_ui *u, const wl_http_req *req, wl_http_resp *resp) {
  const char *name = req->path + 5; /* after "/api/" */
  int post = !strcmp(req->method, "POST"), action = 0;
  for (size_t i = 0; i < sizeof k_actions / sizeof k_actions[0]; i++)
    action |= !strcmp(name, k_actions[i]);
  FILE *f = NULL;
  int rc = wl_ui_memfile(&f);
  if (rc)
    wl_ui_answer(resp, rc, NULL);
  else if (action && post)
    act_route(u, name, req, f, resp);
  else if (post)
    wl_ui_answer(resp, wl_err(WL_E_NOTFOUND, "no such action (see docs/ui.md)"), f);
  else if (!strcmp(name, "status"))
    get_status(u, f, resp);
  else if (!strcmp(name, "proposals") || !strcmp(name, "rules"))
    get_list(u, f, name[0] == 'r', resp);
  else if (!strcmp(name, "flags"))
    get_flags(f, resp);
  else if (!strcmp(name, "timeline"))
    get_timeline(u, req, f, resp);
  else if (!strcmp(name, "dryrun"))
    wl_ui_get_dryrun(u, req, f, resp);
  else if (action)
    fclose(f), wl_ui_error(resp, 405, "use POST");
  else
    wl_ui_answer(resp, wl_err(WL_E_NOTFOUND, "no such API (see docs/ui.md)"), f);
}
