/* merge.c — many machines' policies into one: a baseline of the rules seen on at least K
 * machines, plus each machine's other rules as its exceptions.
 *
 *   {"format": "wfplearn-policy", "version": 1, "exported": "...", "host": null,
 *    "merged": {"files": 3, "hosts": ["pc1", "pc2", "pc3"], "min_hosts": 2},
 *    "rules": [{...the rule..., "hosts": 3, "host_names": ["pc1", "pc2", "pc3"]}],
 *    "exceptions": {"pc2": [{...}]},
 *    "conflicts": [{"host": "pc2", "rule": "wfplearn-...", "app": "...", "dir": "out"}]}
 *
 * The output is a policy: import-policy reads its "rules" (the baseline) and ignores the rest.
 * Two rules are the same when their machine-independent identity is (fleet/model.c: DOS path
 * compared case-insensitively, direction, protocol, ports, remotes, user, package). A machine is
 * a policy's "host" (export writes it), else its file name. All or nothing: the first file that
 * cannot be read is named and nothing is written.
 */
#include <stdlib.h>
#include <string.h>

#include "common/wl_err.h"
#include "common/wl_json.h"
#include "fleet/fleet_int.h"
#include "whitelist/policy.h"

typedef struct merge_file {
  wl_rule_row *rows;
  wl_fleet_rule *rules;
  size_t n;
  char host[WL_FLEET_HOST_MAX];
} merge_file;

typedef struct merge_ref { /* one rule of one file, sorted by name */
  const char *name;
  uint32_t file, row;
} merge_ref;

typedef struct merge_ctx {
  merge_file *files;
  size_t n_files;
  merge_ref *refs; /* sorted by name: equal rules are one group */
  size_t n_refs;
  size_t *gend;    /* at a group's first ref: where the group ends */
  unsigned *ghosts; /* at a group's first ref: on how many distinct hosts */
  const wl_fleet_rule **base; /* baseline rules, sorted by direction and app (for conflicts) */
  size_t n_base;
  unsigned min_hosts;
  wl_json_arena arena;
} merge_ctx;

static void host_of(const char *path, const char *doc_host, char *out, size_t cap) {
  if (doc_host[0]) {
    wl_strlcpy(out, doc_host, cap);
    return;
  }
  const char *base = path;
  for (const char *p = path; *p; p++)
    if (*p == '/' || *p == '\\')
      base = p + 1;
  wl_strlcpy(out, base, cap);
  char *dot = strrchr(out, '.');
  if (dot && dot != out)
    *dot = 0;
}

static int merge_read(merge_ctx *m, const char *const *paths, size_t n) {
  m->files = calloc(n + 1, sizeof *m->files);
  if (!m->files)
    return wl_err(WL_E_NOMEM, "merge-policy: out of memory");
  m->n_files = n;
  for (size_t i = 0; i < n; i++) {
    merge_file *f = &m->files[i];
    char doc_host[WL_FLEET_HOST_MAX];
    int rc = wl_policy_read(paths[i], &f->rows, &f->n, doc_host, sizeof doc_host);
    if (rc)
      return rc;
    host_of(paths[i], doc_host, f->host, sizeof f->host);
    f->rules = calloc(f->n + 1, sizeof *f->rules);
    if (!f->rules)
      return wl_err(WL_E_NOMEM, "merge-policy: out of memory");
    rc = wl_fleet_from_rows(f->rows, f->n, f->host, f->rules);
    if (rc)
      return wl_err_prefix(rc, "%s", paths[i]);
    m->n_refs += f->n;
  }
  return WL_OK;
}

static int ref_cmp(const void *a, const void *b) {
  const merge_ref *x = a, *y = b;
  int c = strcmp(x->name, y->name);
  return c ? c : x->file < y->file ? -1 : x->file > y->file;
}

static int merge_sort(merge_ctx *m) {
  m->refs = calloc(m->n_refs + 1, sizeof *m->refs);
  if (!m->refs)
    return wl_err(WL_E_NOMEM, "merge-policy: out of memory");
  size_t k = 0;
  for (uint32_t i = 0; i < m->n_files; i++)
    for (uint32_t j = 0; j < m->files[i].n; j++)
      m->refs[k++] = (merge_ref){m->files[i].rules[j].name, i, j};
  qsort(m->refs, k, sizeof *m->refs, ref_cmp);
  return WL_OK;
}

static const wl_fleet_rule *ref_rule(const merge_ctx *m, const merge_ref *r) {
  return &m->files[r->file].rules[r->row];
}

static const char *ref_host(const merge_ctx *m, size_t k) {
  return m->files[m->refs[k].file].host;
}

/* 1 when refs[k]'s host already appears in refs[i..k). Groups are small: one per host at most
 * in practice, so the scan is short. */
static int host_seen(const merge_ctx *m, size_t i, size_t k) {
  for (size_t j = i; j < k; j++)
    if (!strcmp(ref_host(m, j), ref_host(m, k)))
      return 1;
  return 0;
}

static int base_cmp(const void *a, const void *b) {
  const wl_rule *x = &(*(const wl_fleet_rule *const *)a)->rule;
  const wl_rule *y = &(*(const wl_fleet_rule *const *)b)->rule;
  if (x->dir != y->dir)
    return x->dir < y->dir ? -1 : 1;
  return wl_strncasecmp(x->app, y->app, sizeof x->app);
}

/* Each group's end and host count, and the baseline sorted for base_rival. */
static int merge_groups(merge_ctx *m) {
  m->gend = calloc(m->n_refs + 1, sizeof *m->gend);
  m->ghosts = calloc(m->n_refs + 1, sizeof *m->ghosts);
  m->base = calloc(m->n_refs + 1, sizeof *m->base);
  if (!m->gend || !m->ghosts || !m->base)
    return wl_err(WL_E_NOMEM, "merge-policy: out of memory");
  for (size_t i = 0, e; i < m->n_refs; i = e) {
    unsigned hosts = 0;
    for (e = i; e < m->n_refs && !strcmp(m->refs[e].name, m->refs[i].name); e++)
      hosts += !host_seen(m, i, e);
    m->gend[i] = e;
    m->ghosts[i] = hosts;
    if (hosts >= m->min_hosts)
      m->base[m->n_base++] = ref_rule(m, &m->refs[i]);
  }
  qsort(m->base, m->n_base, sizeof *m->base, base_cmp);
  return WL_OK;
}

/* A baseline rule for the same app and direction as x (and so a different rule), or NULL. */
static const wl_fleet_rule *base_rival(const merge_ctx *m, const wl_fleet_rule *x) {
  const wl_fleet_rule **hit = bsearch(&x, m->base, m->n_base, sizeof *m->base, base_cmp);
  return hit ? *hit : NULL;
}

/* "hosts": N, "host_names": [...] for a baseline rule. */
static void hosts_json(const merge_ctx *m, size_t i, char *buf, size_t cap) {
  size_t at = (size_t)snprintf(buf, cap, "\"hosts\": %u, \"host_names\": [", m->ghosts[i]);
  for (size_t k = i; k < m->gend[i] && at < cap; k++) {
    if (host_seen(m, i, k))
      continue;
    if (k != i)
      at += (size_t)snprintf(buf + at, cap - at, ", ");
    if (at < cap)
      at += wl_json_escape(buf + at, cap - at, ref_host(m, k));
  }
  if (at < cap)
    snprintf(buf + at, cap - at, "]");
}

static void write_baseline(merge_ctx *m, FILE *out, wl_fleet_merge_report *rep) {
  char extra[8192];
  fputs(",\n \"rules\": [", out);
  for (size_t i = 0; i < m->n_refs; i = m->gend[i]) {
    rep->distinct++;
    if (m->ghosts[i] < m->min_hosts)
      continue;
    hosts_json(m, i, extra, sizeof extra);
    fputs(rep->baseline++ ? ",\n  " : "\n  ", out);
    wl_policy_write_rule(out, &m->files[m->refs[i].file].rows[m->refs[i].row], extra,
                         &m->arena);
  }
  fputs(rep->baseline ? "\n ]" : "]", out);
}

static void write_exceptions(merge_ctx *m, FILE *out, wl_fleet_merge_report *rep) {
  size_t hosts_written = 0;
  fputs(",\n \"exceptions\": {", out);
  for (size_t f = 0; f < m->n_files; f++) {
    int dup = 0; /* a host given twice: its exceptions are written under its first file */
    for (size_t g = 0; g < f && !dup; g++)
      dup = !strcmp(m->files[g].host, m->files[f].host);
    if (dup)
      continue;
    size_t here = 0;
    for (size_t i = 0; i < m->n_refs; i = m->gend[i]) {
      if (m->ghosts[i] >= m->min_hosts)
        continue;
      for (size_t k = i; k < m->gend[i]; k++) {
        if (strcmp(ref_host(m, k), m->files[f].host))
          continue;
        if (!here++) {
          fputs(hosts_written++ ? ",\n  " : "\n  ", out);
          wl_json_write_string(out, m->files[f].host);
          fputs(": [", out);
        }
        fputs(here > 1 ? ",\n   " : "\n   ", out);
        wl_policy_write_rule(out, &m->files[m->refs[k].file].rows[m->refs[k].row], NULL,
                             &m->arena);
        rep->exceptions++;
        break; /* once per host */
      }
    }
    if (here)
      fputs("]", out);
  }
  fputs(hosts_written ? "\n }" : "}", out);
}

static void write_conflicts(merge_ctx *m, FILE *out, FILE *warn, wl_fleet_merge_report *rep) {
  fputs(",\n \"conflicts\": [", out);
  for (size_t i = 0; i < m->n_refs; i = m->gend[i]) {
    if (m->ghosts[i] >= m->min_hosts)
      continue;
    for (size_t k = i; k < m->gend[i]; k++) {
      const wl_fleet_rule *x = ref_rule(m, &m->refs[k]), *b = base_rival(m, x);
      if (!b)
        continue;
      const char *dir = x->rule.dir == WL_DIR_IN ? "in" : "out";
      fprintf(out, "%s\n  {\"host\": ", rep->conflicts++ ? "," : "");
      wl_json_write_string(out, x->host);
      fprintf(out, ", \"rule\": \"%s\", \"baseline\": \"%s\", \"app\": ", x->name, b->name);
      wl_json_write_string(out, x->rule.app[0] ? x->rule.app : NULL);
      fprintf(out, ", \"dir\": \"%s\"}", dir);
      if (warn) {
        fprintf(warn, "wfplearn merge-policy: conflict: %s's rule %s for ", x->host, x->name);
        fleet_comment(warn, x->rule.app[0] ? x->rule.app : "any app", 0);
        fprintf(warn, " %s differs from baseline rule %s\n", dir, b->name);
      }
    }
  }
  fputs(rep->conflicts ? "\n ]}\n" : "]}\n", out);
}

static void write_head(const merge_ctx *m, FILE *out) {
  char now[WL_TIME_STR_MAX];
  wl_time_format(wl_time_now(), now);
  fprintf(out, "{\"format\": \"%s\", \"version\": %d, \"exported\": \"%s\", \"host\": null,\n"
               " \"merged\": {\"files\": %zu, \"min_hosts\": %u, \"hosts\": [",
          WL_POLICY_FORMAT, WL_POLICY_VERSION, now, m->n_files, m->min_hosts);
  for (size_t f = 0; f < m->n_files; f++) {
    fputs(f ? ", " : "", out);
    wl_json_write_string(out, m->files[f].host);
  }
  fputs("]}", out);
}

int wl_fleet_merge(const char *const *paths, size_t n_paths, unsigned min_hosts, FILE *out,
                   FILE *warn, wl_fleet_merge_report *rep) {
  merge_ctx m = {0};
  m.min_hosts = min_hosts ? min_hosts : 1;
  memset(rep, 0, sizeof *rep);
  int rc = n_paths ? WL_OK : wl_err(WL_E_INVAL, "merge-policy: which policy files?");
  if (!rc)
    rc = merge_read(&m, paths, n_paths);
  if (!rc)
    rc = merge_sort(&m);
  if (!rc)
    rc = merge_groups(&m);
  if (!rc) {
    rep->files = n_paths;
    rep->rules_read = m.n_refs;
    write_head(&m, out);
    write_baseline(&m, out, rep);
    write_exceptions(&m, out, rep);
    write_conflicts(&m, out, warn, rep);
    if (ferror(out))
      rc = wl_err(WL_E_IO, "merge-policy: write failed");
  }
  for (size_t i = 0; i < m.n_files; i++) {
    free(m.files[i].rows);
    free(m.files[i].rules);
  }
  free(m.files);
  free(m.refs);
  free(m.gend);
  free(m.ghosts);
  free(m.base);
  wl_json_arena_free(&m.arena);
  return rc;
}
