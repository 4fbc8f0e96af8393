/* import_secjson.c — Security-log WFP records as JSON lines (NXLog, the "2023" shape, Log
 * Analytics, winlogbeat-like nesting). Each line is parsed by the common JSON reader into an
 * arena that is reset per line (so memory is bounded by the longest line), the members we know
 * are copied into the shared field set (import_sec.c decides what they mean), and the raw line's
 * hash identifies records that carry no record number.
 */
#include <stdio.h>
#include <string.h>

#include "common/wl_err.h"
#include "common/wl_hash.h"
#include "common/wl_json.h"
#include "import/import_int.h"

static const char *type_name(wl_json_type t) {
  switch (t) {
  case WL_JSON_NULL: return "null";
  case WL_JSON_FALSE:
  case WL_JSON_TRUE: return "a boolean";
  case WL_JSON_NUMBER: return "a number";
  case WL_JSON_STRING: return "a string";
  case WL_JSON_ARRAY: return "an array";
  default: return "an object";
  }
}

static int is_nest(const wl_json *m) {
  static const char *const nests[] = {"EventData", "event_data", "winlog"};
  for (int i = 0; i < 3; i++)
    if (strlen(nests[i]) == m->key_len && wl_strncasecmp(m->key, nests[i], m->key_len) == 0)
      return 1;
  return 0;
}

/* One member we use: strings and numbers as text, TimeCreated may be {"SystemTime": "..."};
 * null is the same as absent. Returns -1 with why filled on a wrong type. */
static int take(imp_ctx *c, int f, const wl_json *m, char *why, size_t cap) {
  const wl_json *v = m;
  if (v->type == WL_JSON_OBJECT && f == F_TIME_CREATED)
    v = wl_json_get_ci(v, "SystemTime");
  if (!v || v->type == WL_JSON_NULL)
    return 0;
  if (v->type != WL_JSON_STRING && v->type != WL_JSON_NUMBER) {
    snprintf(why, cap, "%.*s is %s, expected a string or a number", (int)m->key_len, m->key,
             type_name(v->type));
    return -1;
  }
  imp_sec_append(&c->sec, f, v->str, v->len);
  return 0;
}

/* Log Analytics' SecurityEvent: EventData is a string of Event XML (import_evtxml.c). */
static int is_xml_string(const wl_json *m) {
  size_t i = 0;
  if (m->type != WL_JSON_STRING)
    return 0;
  while (i < m->len && (m->str[i] == ' ' || m->str[i] == '\t' || m->str[i] == '\r' ||
                        m->str[i] == '\n'))
    i++;
  return i < m->len && m->str[i] == '<';
}

/* Copy the members we know (first spelling wins), looking one or two levels into EventData /
 * event_data / winlog objects, or into an EventData string of XML. Returns 1 (why filled) on
 * the first wrong type or bad XML, WL_E_NOMEM. */
static int collect(imp_ctx *c, const wl_json *obj, int depth, char *why, size_t cap) {
  for (const wl_json *m = obj->child; m; m = m->next) {
    int rc = 0;
    if (m->type == WL_JSON_OBJECT && depth < 2 && is_nest(m))
      rc = collect(c, m, depth + 1, why, cap);
    else if (is_xml_string(m) && is_nest(m))
      rc = imp_xml_eventdata(c, m->str, m->len, why, cap);
    else {
      int f = imp_sec_field(m->key, m->key_len);
      if (f >= 0 && !imp_sec_get(&c->sec, f) && take(c, f, m, why, cap))
        rc = 1;
    }
    if (rc)
      return rc;
  }
  return 0;
}

/* A wrong type in a record whose EventID we would skip anyway is not worth a complaint. */
static int skippable_id(const imp_sec *s) {
  const char *v = imp_sec_get(s, F_EVENTID);
  uint64_t id;
  return v && imp_parse_uint(v, s->len[F_EVENTID], UINT32_MAX, &id) == 0 &&
         (id == 0 || wl_import_id_index((uint32_t)id) < 0);
}

int imp_secjson_line(imp_ctx *c, const char *line, size_t len, uint64_t lineno) {
  uint64_t ord = imp_begin_record(c);
  uint64_t h = wl_fnv1a64(WL_FNV1A64_INIT, line, len);
  imp_file_identity(c, h);
  wl_json_arena_reset(&c->arena);
  const wl_json *root = NULL;
  wl_json_error err = {0};
  int rc = wl_json_parse(&c->arena, line, len, &root, &err);
  if (rc == WL_E_NOMEM)
    return wl_err_prefix(rc, "%s:%llu", c->name, (unsigned long long)lineno);
  if (rc) {
    imp_malformed(c, lineno, "not JSON: %s (column %zu)", err.reason[0] ? err.reason : "?",
                  err.column);
    return WL_OK;
  }
  if (root->type != WL_JSON_OBJECT) {
    imp_malformed(c, lineno, "a JSON object was expected, this is %s", type_name(root->type));
    return WL_OK;
  }
  char why[160] = "";
  imp_sec_clear(&c->sec);
  if ((rc = collect(c, root, 0, why, sizeof why)) < 0)
    return wl_err_prefix(rc, "%s:%llu", c->name, (unsigned long long)lineno);
  if (rc) {
    if (skippable_id(&c->sec))
      imp_unsupported(c);
    else
      imp_malformed(c, lineno, "%s", why);
    return WL_OK;
  }
  switch (imp_sec_build(c, ord, h, why, sizeof why)) {
  case IMP_UNSUPPORTED:
    imp_unsupported(c);
    return WL_OK;
  case IMP_MALFORMED:
    imp_malformed(c, lineno, "%s", why);
    return WL_OK;
  default:
    c->rec.line = lineno;
    c->rec.ordinal = ord;
    return imp_deliver(c);
  }
}
