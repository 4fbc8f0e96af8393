/* policy.c — the whitelist as a JSON document, to review in a diff and carry to another machine.
 *
 *   {"format": "wfplearn-policy", "version": 1, "exported": "2026-11-24T10:00:00.0000000Z",
 *    "rules": [
 *      {"app": "C:\\Program Files\\Mozilla Firefox\\firefox.exe", "dir": "out", "proto": 6,
 *       "scope": "port", "ports": [443, "8000-8100"], "remotes": [], "user": null,
 *       "package": null, "created": "...", "evidence": {"allowed": 812, "blocked": 0, ...}}]}
 *
 * A temporary rule (promote --for) also has "expires": its wall-clock deadline (RFC 3339,
 * UTC); absent or null is permanent. Import keeps it, and skips (saying so) a rule whose
 * deadline has passed.
 *
 * "signer" (absent when unsigned or unknown) is the Authenticode signer recorded for the ruled
 * binary: with it, an update of the app in a version folder re-binds the rule (rebind.h) on the
 * importing machine too. A file without it (older policies) takes the signer of the binary found
 * here, as promote does. A re-bound rule's previous path (prev_app) is not exported: it is kept
 * only until the old binary of this machine is gone, and means nothing on another one.
 *
 * "app" is the DOS path (null: any app); the NT path and the filter keys are not exported:
 * both depend on the machine and are derived again on import. "proto" is a number or null
 * (any), "ports" numbers or "LO-HI" strings (outbound: remote ports, inbound: local ports),
 * "remotes" addresses or prefixes, "evidence" what justified the rule where it was made.
 *
 * Import is a merge: a rule identical to one already here is "same"; a rule for an app and
 * direction that already has a different rule is a conflict (the two policies disagree about
 * that app: revoke or edit first). Any conflict or error and nothing changes; otherwise every
 * new rule is added in one transaction (wl_rules_add).
 */
#include <assert.h>
#include <stdlib.h>
#include <string.h>

#include "common/wl_err.h"
#include "common/wl_os.h"
#include "common/wl_json.h"
#include "whitelist/apply.h"
#include "whitelist/policy.h"
#include "whitelist/rebind.h"
#include "whitelist/whitelist_int.h"

/* ---------------------------------------------------------------- export */

static void write_array(FILE *f, const char *csv, int numbers) {
  fputc('[', f);
  for (const char *p = csv; p && *p;) {
    const char *end = strchr(p, ',');
    size_t len = end ? (size_t)(end - p) : strlen(p);
    char one[64];
    wl_strlcpy(one, p, len + 1 < sizeof one ? len + 1 : sizeof one);
    if (p != csv)
      fputc(',', f);
    if (numbers && !strchr(one, '-'))
      fputs(one, f);
    else
      wl_json_write_string(f, one);
    p = end ? end + 1 : p + len;
  }
  fputc(']', f);
}

typedef struct export_ctx {
  FILE *f;
  size_t n;
  wl_json_arena arena;
} export_ctx;

void wl_policy_write_rule(FILE *f, const wl_rule_row *r, const char *extra,
                          wl_json_arena *arena) {
  char created[WL_TIME_STR_MAX];
  const wl_json *evidence = NULL;
  wl_json_error err;
  wl_json_arena_reset(arena);
  int evidence_ok =
      r->evidence[0] &&
      wl_json_parse(arena, r->evidence, strlen(r->evidence), &evidence, &err) == WL_OK &&
      evidence->type == WL_JSON_OBJECT;
  wl_time_format(r->created, created);
  fputs("{\"app\": ", f);
  wl_json_write_string(f, r->app[0] ? r->app : NULL);
  fprintf(f, ", \"dir\": \"%s\", \"proto\": ", r->dir == WL_DIR_IN ? "in" : "out");
  if (r->proto >= 0)
    fprintf(f, "%d", (int)r->proto);
  else
    fputs("null", f);
  fprintf(f, ", \"scope\": \"%s\", \"ports\": ", r->scope[0] ? r->scope : "app");
  write_array(f, r->ports, 1);
  fputs(", \"remotes\": ", f);
  write_array(f, r->remotes, 0);
  fputs(", \"user\": ", f);
  wl_json_write_string(f, r->user[0] ? r->user : NULL);
  fputs(", \"package\": ", f);
  wl_json_write_string(f, r->package[0] ? r->package : NULL);
  fprintf(f, ", \"created\": \"%s\"", created);
  if (r->signer[0]) { /* who signed the ruled binary: its updates re-bind (issue 15, item 4) */
    fputs(", \"signer\": ", f);
    wl_json_write_string(f, r->signer);
  }
  if (r->expires) { /* a temporary rule keeps its deadline (issue 15, item 7) */
    char expires[WL_TIME_STR_MAX];
    wl_time_format(r->expires, expires);
    fprintf(f, ", \"expires\": \"%s\"", expires);
  }
  fprintf(f, ", \"evidence\": %s%s%s}", evidence_ok ? r->evidence : "null", extra ? ", " : "",
          extra ? extra : "");
  wl_err_clear();
}

static int export_cb(void *ctx, const wl_rule_row *r) {
  export_ctx *x = ctx;
  fprintf(x->f, "%s\n  ", x->n++ ? "," : "");
  wl_policy_write_rule(x->f, r, NULL, &x->arena);
  return ferror(x->f) ? wl_err(WL_E_IO, "export: write failed") : 0;
}

int wl_policy_export(wl_store *s, const char *host, FILE *f) {
  char now[WL_TIME_STR_MAX];
  export_ctx x = {f, 0, {0}};
  wl_time_format(wl_time_now(), now);
  fprintf(f, "{\"format\": \"%s\", \"version\": %d, \"exported\": \"%s\", \"host\": ",
          WL_POLICY_FORMAT, WL_POLICY_VERSION, now);
  wl_json_write_string(f, host && host[0] ? host : NULL);
  fputs(", \"rules\": [", f);
  int rc = wl_store_rules(s, export_cb, &x);
  wl_json_arena_free(&x.arena);
  if (rc)
    return rc;
  fprintf(f, "%s]}\n", x.n ? "\n" : "");
  return ferror(f) ? wl_err(WL_E_IO, "export: write failed") : WL_OK;
}

/* ---------------------------------------------------------------- import: reading */

/* A JSON value back to compact text, bounded (the evidence column). */
static size_t json_text(const wl_json *v, char *buf, size_t cap, size_t at) {
  switch (v->type) {
  case WL_JSON_NULL: return at + (size_t)snprintf(buf + at, at < cap ? cap - at : 0, "null");
  case WL_JSON_TRUE: return at + (size_t)snprintf(buf + at, at < cap ? cap - at : 0, "true");
  case WL_JSON_FALSE: return at + (size_t)snprintf(buf + at, at < cap ? cap - at : 0, "false");
  case WL_JSON_NUMBER:
    return at + (size_t)snprintf(buf + at, at < cap ? cap - at : 0, "%.*s", (int)v->len, v->str);
  case WL_JSON_STRING: /* quotes included */
    return at + wl_json_escape(at < cap ? buf + at : NULL, at < cap ? cap - at : 0, v->str);
  default: break;
  }
  int obj = v->type == WL_JSON_OBJECT;
  at += (size_t)snprintf(buf + at, at < cap ? cap - at : 0, obj ? "{" : "[");
  for (const wl_json *c = v->child; c; c = c->next) {
    if (c != v->child)
      at += (size_t)snprintf(buf + at, at < cap ? cap - at : 0, ",");
    if (obj) {
      wl_json k = {.type = WL_JSON_STRING, .str = c->key, .len = c->key_len};
      at = json_text(&k, buf, cap, at);
      at += (size_t)snprintf(buf + at, at < cap ? cap - at : 0, ":");
    }
    at = json_text(c, buf, cap, at);
  }
  return at + (size_t)snprintf(buf + at, at < cap ? cap - at : 0, obj ? "}" : "]");
}

/* "ports"/"remotes" arrays → the row's comma-separated text. */
static int array_csv(const wl_json *a, int numbers, char *buf, size_t cap, size_t idx) {
  size_t len = 0;
  buf[0] = 0;
  if (!a || a->type == WL_JSON_NULL)
    return WL_OK;
  if (a->type != WL_JSON_ARRAY)
    return wl_err(WL_E_PARSE, "rule %u: \"%s\" must be an array", (unsigned)idx, a->key);
  for (const wl_json *c = a->child; c; c = c->next) {
    int ok = c->type == WL_JSON_STRING || (numbers && c->type == WL_JSON_NUMBER);
    if (!ok || len + c->len + 2 >= cap)
      return wl_err(WL_E_PARSE, "rule %u: \"%s\" holds a bad or too long entry",
                    (unsigned)idx, a->key);
    len += (size_t)snprintf(buf + len, cap - len, "%s%.*s", len ? "," : "", (int)c->len, c->str);
  }
  return WL_OK;
}

static int opt_string(const wl_json *v, char *out, size_t cap, size_t idx, const char *name) {
  out[0] = 0;
  if (!v || v->type == WL_JSON_NULL)
    return WL_OK;
  if (v->type != WL_JSON_STRING || v->len >= cap)
    return wl_err(WL_E_PARSE, "rule %u: \"%s\" must be a string or null", (unsigned)idx,
                  name);
  if (memchr(v->str, 0, v->len)) /* "\u0000": C would cut the string there */
    return wl_err(WL_E_PARSE, "rule %u: \"%s\" holds a NUL character", (unsigned)idx, name);
  memcpy(out, v->str, v->len + 1);
  return WL_OK;
}

static int is_sep(char c) { return c == '\\' || c == '/'; }

/* A ".." component anywhere in the path. */
static int has_dotdot(const char *p) {
  for (const char *c = p; (c = strstr(c, "..")) != NULL; c += 2)
    if ((c == p || is_sep(c[-1])) && (!c[2] || is_sep(c[2])))
      return 1;
  return 0;
}

/* What "app" may be: an absolute DOS path ("C:\\dir\\app.exe") or an NT device path
 * ("\\device\\harddiskvolume3\\app.exe", what export writes for an unmapped volume); not "",
 * not relative, no "..", not UNC ("\\\\server\\share", "\\\\?\\"): a rule's app is matched
 * exactly, and any of those would match nothing or, for "", everything (issue 18). */
static int check_app(const char *app, size_t idx, unsigned flags) {
  int drive = ((app[0] | 0x20) >= 'a' && (app[0] | 0x20) <= 'z') && app[1] == ':' &&
              is_sep(app[2]);
  int device = wl_strncasecmp(app, "\\device\\", 8) == 0;
  if (!app[0] && !(flags & WL_POLICY_ANY_APP))
    return wl_err(WL_E_PARSE, "rule %u: \"app\" is empty or null: a rule for any app needs "
                  "--allow-any-app", (unsigned)idx);
  if (app[0] && !drive && !device)
    return wl_err(WL_E_PARSE, "rule %u: \"app\" %s is not an absolute local path (C:\\... or "
                  "\\device\\...; relative and UNC paths are refused)", (unsigned)idx, app);
  if (has_dotdot(app))
    return wl_err(WL_E_PARSE, "rule %u: \"app\" %s has a \"..\" component", (unsigned)idx, app);
  return WL_OK;
}

/* "user" and "package" are SIDs or absent: anything else would be written into a filter's
 * condition and, by the exporters, into an SDDL string ("S-1-5-18)(A;;CC;;;WD" would grant
 * Everyone), so it is refused naming the rule (issue 18, Low). */
static int check_sid(const char *sid, unsigned idx, const char *key) {
  uint8_t bin[WL_SID_MAX];
  if (!sid[0] || wl_sid_from_string(sid, bin) > 0)
    return WL_OK;
  return wl_err_prefix(WL_E_PARSE, "rule %u: \"%s\"", idx, key);
}

/* One rule object → a row (rule columns as text, evidence, origin) and a parsed rule. */
static int read_rule(const wl_json *o, size_t idx, unsigned flags, wl_rule_row *row,
                     wl_rule *r) {
  memset(row, 0, sizeof *row);
  if (o->type != WL_JSON_OBJECT)
    return wl_err(WL_E_PARSE, "rule %u: not an object", (unsigned)idx);
  const char *dir = wl_json_string(wl_json_get(o, "dir"));
  int d = 0, rc = dir ? wl_dir_parse(dir, &d) : WL_E_PARSE;
  if (rc || (d != WL_DIR_IN && d != WL_DIR_OUT))
    return wl_err(WL_E_PARSE, "rule %u: \"dir\" must be \"in\" or \"out\"", (unsigned)idx);
  row->dir = (uint8_t)d;
  const wl_json *proto = wl_json_get(o, "proto");
  int64_t p = -1;
  if (proto && proto->type != WL_JSON_NULL && (wl_json_int64(proto, &p) || p < 0 || p > 255))
    return wl_err(WL_E_PARSE, "rule %u: \"proto\" must be 0..255 or null", (unsigned)idx);
  row->proto = (int16_t)p;
  const char *scope = wl_json_string(wl_json_get(o, "scope"));
  wl_strlcpy(row->scope, scope ? scope : "app", sizeof row->scope);
  const wl_json *app = wl_json_get(o, "app");
  rc = opt_string(app, row->app, sizeof row->app, idx, "app");
  if (!rc && app && app->type == WL_JSON_STRING && !row->app[0])
    rc = wl_err(WL_E_PARSE, "rule %u: \"app\": \"\" is not a path (null is any app, and "
                "needs --allow-any-app)", (unsigned)idx);
  if (!rc)
    rc = check_app(row->app, idx, flags);
  if (!rc)
    rc = opt_string(wl_json_get(o, "user"), row->user, sizeof row->user, idx, "user");
  if (!rc)
    rc = check_sid(row->user, idx, "user");
  if (!rc)
    rc = opt_string(wl_json_get(o, "package"), row->package, sizeof row->package, idx, "package");
  if (!rc)
    rc = check_sid(row->package, idx, "package");
  if (!rc) /* absent in policies older than issue 15: read_rules asks this machine */
    rc = opt_string(wl_json_get(o, "signer"), row->signer, sizeof row->signer, idx, "signer");
  if (!rc)
    rc = array_csv(wl_json_get(o, "ports"), 1, row->ports, sizeof row->ports, idx);
  if (!rc)
    rc = array_csv(wl_json_get(o, "remotes"), 0, row->remotes, sizeof row->remotes, idx);
  if (rc)
    return rc;
  const wl_json *expires = wl_json_get(o, "expires"); /* absent or null: permanent */
  if (expires && expires->type != WL_JSON_NULL &&
      (expires->type != WL_JSON_STRING ||
       wl_time_parse(expires->str, expires->len, &row->expires) || !row->expires))
    return wl_err(WL_E_PARSE, "rule %u: \"expires\" must be an RFC 3339 time or null",
                  (unsigned)idx);
  const wl_json *evidence = wl_json_get(o, "evidence");
  if (evidence && evidence->type == WL_JSON_OBJECT &&
      json_text(evidence, row->evidence, sizeof row->evidence, 0) >= sizeof row->evidence)
    row->evidence[0] = 0; /* too long to keep: the rule matters, not its story */
  wl_strlcpy(row->origin, "import", sizeof row->origin);
  rc = wl_rule_from_row(row, r);
  return rc ? wl_err_prefix(rc, "rule %u", (unsigned)idx) : WL_OK;
}

/* ---------------------------------------------------------------- import: merging */

typedef struct have_ctx {
  wl_rule *rules;
  size_t n;
} have_ctx;

static int same_app(const wl_rule *a, const wl_rule *b) {
  const char *x = a->app_nt[0] ? a->app_nt : a->app, *y = b->app_nt[0] ? b->app_nt : b->app;
  return a->dir == b->dir && strlen(x) == strlen(y) && wl_strncasecmp(x, y, strlen(x)) == 0;
}

/* Count same/conflicting rules; report conflicts. *is_new[i] for the rules to add. */
static void classify(const have_ctx *h, const wl_rule *in, size_t n, int *is_new,
                     FILE *report_to, wl_policy_report *rep) {
  char a[WL_RULE_IDENTITY_MAX], b[WL_RULE_IDENTITY_MAX];
  for (size_t i = 0; i < n; i++) {
    int same = 0, conflict = 0;
    int64_t with = 0;
    wl_rule_identity(&in[i], a, sizeof a);
    for (size_t j = 0; j < h->n && !same; j++) {
      wl_rule_identity(&h->rules[j], b, sizeof b);
      if (!strcmp(a, b))
        same = 1;
      else if (same_app(&in[i], &h->rules[j]) && !conflict) {
        conflict = 1;
        with = h->rules[j].id;
      }
    }
    is_new[i] = !same && !conflict;
    rep->same += same;
    if (same || !conflict)
      continue;
    rep->conflicts++;
    char msg[256];
    snprintf(msg, sizeof msg, "rule %zu (%s %s) differs from rule %lld here", i + 1,
             in[i].app[0] ? in[i].app : "any app", in[i].dir == WL_DIR_IN ? "in" : "out",
             (long long)with);
    if (!rep->first_conflict[0])
      wl_strlcpy(rep->first_conflict, msg, sizeof rep->first_conflict);
    if (report_to)
      fprintf(report_to, "conflict: %s\n", msg);
  }
}

/* The document's "rules" array, once its format and version say it is a policy we read. */
static int doc_rules(const char *path, wl_json_arena *a, const char *text, size_t len,
                     const wl_json **rules, const wl_json **root) {
  const wl_json *doc = NULL;
  wl_json_error err;
  int64_t ver = 0;
  int rc = wl_json_parse(a, text, len, &doc, &err);
  if (rc)
    return wl_err_prefix(rc, "%s", path);
  const char *fmt = wl_json_string(wl_json_get(doc, "format"));
  if (!fmt || strcmp(fmt, WL_POLICY_FORMAT))
    return wl_err(WL_E_PARSE, "%s: not a wfplearn policy (\"format\": \"%s\" missing)", path,
                  WL_POLICY_FORMAT);
  if (wl_json_int64(wl_json_get(doc, "version"), &ver))
    return wl_err(WL_E_PARSE, "%s: \"version\" must be the integer %d", path,
                  WL_POLICY_VERSION);
  if (ver != WL_POLICY_VERSION)
    return wl_err(WL_E_VERSION, "%s: policy version %lld (this wfplearn reads %d)", path,
                  (long long)ver, WL_POLICY_VERSION);
  const wl_json *arr = wl_json_get(doc, "rules");
  if (!arr || arr->type != WL_JSON_ARRAY)
    return wl_err(WL_E_PARSE, "%s: \"rules\" must be an array", path);
  if (arr->len > WL_POLICY_MAX_RULES)
    return wl_err(WL_E_TOOBIG, "%s: more than %d rules", path, WL_POLICY_MAX_RULES);
  *rules = arr;
  if (root)
    *root = doc;
  return WL_OK;
}

/* The policy's rules array; *text holds the document the JSON points into (release with free
 * after the last use of *rules). */
static int read_doc(const char *path, wl_json_arena *a, const wl_json **rules, char **text,
                    const wl_json **root) {
  size_t len = 0;
  uint8_t *data = NULL;
  *rules = NULL;
  int rc = wl_os_read_file(path, WL_JSON_MAX_INPUT, &data, &len);
  *text = (char *)data;
  if (rc)
    return rc;
  size_t bom = len >= 3 && !memcmp(data, "\xEF\xBB\xBF", 3) ? 3 : 0; /* an editor's UTF-8 BOM */
  return doc_rules(path, a, *text + bom, len - bom, rules, root);
}

/* The rules of one import: parsed, with their rows, and which of them are new. */
typedef struct import_batch {
  wl_rule *rules;
  wl_rule_row *rows;
  int *is_new;
  size_t n;
} import_batch;

static void batch_free(import_batch *b) {
  free(b->rules);
  free(b->rows);
  free(b->is_new);
}

static int batch_alloc(import_batch *b, size_t n) {
  b->n = n;
  b->rules = calloc(n + 1, sizeof *b->rules);
  b->rows = calloc(n + 1, sizeof *b->rows);
  b->is_new = calloc(n + 1, sizeof *b->is_new);
  if (!b->rules || !b->rows || !b->is_new)
    return wl_err(WL_E_NOMEM, "import-policy: out of memory");
  return WL_OK;
}

/* Every rule object of the array, read and resolved against this machine's engine. A rule whose
 * app has no app id here (not on disk, or on a volume without a letter) is named on report_to
 * and counted in rep->missing; with skip it is dropped from the batch, else the import fails
 * once every rule was looked at (all or nothing, each missing path named). */
static int read_rules(wl_engine *e, const char *path, const wl_json *arr, unsigned flags,
                      import_batch *b, FILE *report_to, wl_policy_report *rep) {
  int skip = (flags & WL_POLICY_SKIP_MISSING) != 0;
  size_t i = 0, k = 0;
  uint64_t now = wl_time_now();
  char first[160] = "";
  for (const wl_json *o = arr->child; o; o = o->next, i++) {
    assert(i < b->n); /* the parser counts an array's children in len */
    memset(&b->rows[k], 0, sizeof b->rows[k]);
    memset(&b->rules[k], 0, sizeof b->rules[k]);
    int rc = read_rule(o, i + 1, flags, &b->rows[k], &b->rules[k]);
    if (rc) /* its message names the rule already */
      return wl_err_prefix(rc, "%s", path);
    if (b->rows[k].expires && b->rows[k].expires <= now) { /* a temporary rule past its
                                                            * deadline: not added */
      char t[WL_TIME_STR_MAX];
      wl_time_format(b->rows[k].expires, t);
      if (report_to)
        fprintf(report_to, "%s: rule %u: expired at %s: skipped\n", path, (unsigned)(i + 1), t);
      rep->expired++;
      continue;
    }
    rc = wl_rule_resolve(e, NULL, &b->rules[k]);
    if (rc == WL_E_NOTFOUND) {
      if (report_to)
        fprintf(report_to, "%s: rule %u: missing: %s\n", path, (unsigned)(i + 1), wl_errmsg());
      if (!rep->missing++)
        snprintf(first, sizeof first, "rule %u, %.120s", (unsigned)(i + 1), b->rules[k].app);
      wl_err_clear();
      continue;
    }
    if (rc)
      return wl_err_prefix(rc, "%s: rule %u", path, (unsigned)(i + 1));
    if (!b->rows[k].signer[0]) { /* no signer in the file: the binary's here, as promote does */
      wl_rebind_signer_of(e, b->rules[k].app, b->rules[k].signer, sizeof b->rules[k].signer);
      wl_strlcpy(b->rows[k].signer, b->rules[k].signer, sizeof b->rows[k].signer);
    }
    k++;
  }
  b->n = k;
  if (rep->missing && !skip)
    return wl_err(WL_E_NOTFOUND, "%s: %u rule%s name apps not found on this machine (first: "
                  "%s); nothing imported (--skip-missing imports the others)", path,
                  (unsigned)rep->missing, rep->missing == 1 ? "" : "s", first);
  return WL_OK;
}

/* One rule per app and direction, inside the file as against the store: two rules of one file
 * for the same app and direction are a conflict, whether they differ or not. */
static int self_check(const char *path, const import_batch *b, FILE *report_to,
                      wl_policy_report *rep) {
  for (size_t i = 1; i < b->n; i++)
    for (size_t j = 0; j < i; j++) {
      if (!same_app(&b->rules[i], &b->rules[j]))
        continue;
      char msg[256];
      snprintf(msg, sizeof msg, "rules %zu and %zu of the file are both for %s %s", j + 1, i + 1,
               b->rules[i].app[0] ? b->rules[i].app : "any app",
               b->rules[i].dir == WL_DIR_IN ? "in" : "out");
      if (!rep->first_conflict[0])
        wl_strlcpy(rep->first_conflict, msg, sizeof rep->first_conflict);
      if (report_to)
        fprintf(report_to, "conflict: %s\n", msg);
      rep->conflicts++;
      break;
    }
  if (rep->conflicts)
    return wl_err(WL_E_CONFLICT, "%s: %u conflicts (first: %s); nothing imported", path,
                  (unsigned)rep->conflicts, rep->first_conflict);
  return WL_OK;
}

/* Classifies every rule against the store's (see classify); WL_E_CONFLICT on any conflict. */
static int merge_check(wl_store *s, const char *path, import_batch *b, FILE *report_to,
                       wl_policy_report *rep) {
  have_ctx have = {0};
  int rc = wl_rules_load(s, &have.rules, &have.n);
  if (rc)
    return rc;
  classify(&have, b->rules, b->n, b->is_new, report_to, rep);
  free(have.rules);
  if (rep->conflicts)
    return wl_err(WL_E_CONFLICT, "%s: %u conflicts (first: %s); nothing imported", path,
                  (unsigned)rep->conflicts, rep->first_conflict);
  return WL_OK;
}

/* Moves the new rules (and rows) to the front; returns how many there are. */
static size_t compact_new(import_batch *b) {
  size_t k = 0;
  for (size_t j = 0; j < b->n; j++)
    if (b->is_new[j]) {
      b->rules[k] = b->rules[j];
      b->rows[k++] = b->rows[j];
    }
  return k;
}

int wl_policy_import(wl_engine *e, wl_store *s, const char *path, unsigned flags,
                     FILE *report_to, wl_policy_report *rep) {
  int dry_run = (flags & WL_POLICY_DRY_RUN) != 0;
  wl_json_arena arena = {0};
  const wl_json *arr = NULL;
  char *text = NULL;
  import_batch b = {0};
  wl_apply_result res = {0};
  size_t k = 0;
  memset(rep, 0, sizeof *rep);
  int rc = read_doc(path, &arena, &arr, &text, NULL);
  if (rc)
    goto out;
  rc = batch_alloc(&b, arr->len);
  if (rc)
    goto out;
  size_t total = b.n;
  rc = read_rules(e, path, arr, flags, &b, report_to, rep);
  rep->read = total;
  if (rc)
    goto out;
  rc = self_check(path, &b, report_to, rep);
  if (rc)
    goto out;
  rc = merge_check(s, path, &b, report_to, rep);
  if (rc)
    goto out;
  k = compact_new(&b);
  if (!dry_run && k) {
    rc = wl_rules_add(e, s, b.rules, b.rows, k, &res);
    if (rc)
      goto out;
  }
  rep->added = dry_run ? k : res.added_rules;
  rep->same += res.same_rules;
out:
  batch_free(&b);
  free(text);
  wl_json_arena_free(&arena);
  return rc;
}

/* ---------------------------------------------------------------- reading only (merge) */

int wl_policy_read(const char *path, wl_rule_row **rows, size_t *n, char *host,
                   size_t host_cap) {
  wl_json_arena arena = {0};
  const wl_json *arr = NULL;
  char *text = NULL;
  wl_rule_row *out = NULL;
  const wl_json *doc = NULL;
  wl_rule r;
  *rows = NULL;
  *n = 0;
  if (host_cap)
    host[0] = 0;
  int rc = read_doc(path, &arena, &arr, &text, &doc);
  if (rc)
    goto out;
  out = calloc(arr->len + 1, sizeof *out);
  if (!out) {
    rc = wl_err(WL_E_NOMEM, "%s: out of memory", path);
    goto out;
  }
  size_t i = 0;
  for (const wl_json *o = arr->child; o && !rc; o = o->next, i++) {
    rc = read_rule(o, i + 1, WL_POLICY_ANY_APP, &out[i], &r); /* import decides on any-app */
    const char *created = rc ? NULL : wl_json_string(wl_json_get(o, "created"));
    if (created && wl_time_parse(created, strlen(created), &out[i].created))
      out[i].created = 0; /* kept when readable: merge writes it again */
  }
  if (rc) {
    rc = wl_err_prefix(rc, "%s", path);
    goto out;
  }
  const char *h = wl_json_string(wl_json_get(doc, "host")); /* export writes it (issue 17) */
  if (h && host_cap)
    wl_strlcpy(host, h, host_cap);
  *rows = out;
  *n = i;
  out = NULL;
out:
  free(out);
  free(text);
  wl_json_arena_free(&arena);
  return rc;
}
