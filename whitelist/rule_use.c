/* rule_use.c — rules with their use (rule_use.h): the store's hits per filter key loaded once
 * into a sorted array (bounded: WL_RULE_USE_MAX_KEYS keys, the filters that ever permitted
 * something; beyond that the rest count for nothing and the call still succeeds), then each
 * rule's keys looked up by binary search as the rules are listed.
 */
#include "whitelist/rule_use.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/wl_err.h"
#include "common/wl_text.h"

#define WL_RULE_USE_MAX_KEYS 65536u

typedef struct key_hits {
  char key[WL_GUID_STR_MAX];
  uint64_t count, last;
} key_hits;

typedef struct use_table {
  key_hits *k;
  size_t n, cap;
  uint64_t newest;
  wl_rule_use_cb cb;
  void *ctx;
} use_table;

int wl_rule_is_unused(uint64_t created, uint64_t last_hit, uint64_t newest) {
  if (!newest || newest < WL_RULE_UNUSED_TICKS)
    return 0;
  uint64_t cut = newest - WL_RULE_UNUSED_TICKS;
  return created <= cut && last_hit <= cut;
}

static int add_key(void *ctx, const wl_filter_hits *h) {
  use_table *t = ctx;
  if (t->n == t->cap) {
    if (t->cap == WL_RULE_USE_MAX_KEYS)
      return 0; /* bounded: the rest count for no rule */
    size_t cap = t->cap ? t->cap * 2 : 64;
    key_hits *k = realloc(t->k, cap * sizeof *k);
    if (!k)
      return wl_err(WL_E_NOMEM, "rule use: out of memory");
    t->k = k;
    t->cap = cap;
  }
  key_hits *k = &t->k[t->n++];
  wl_strlcpy(k->key, h->filter_key, sizeof k->key);
  k->count = h->count;
  k->last = h->last_ts;
  return 0;
}

static int by_key(const void *a, const void *b) {
  return strcmp(((const key_hits *)a)->key, ((const key_hits *)b)->key);
}

/* The use of one row: its comma-separated keys looked up in the table. */
static void use_of(const use_table *t, const wl_rule_row *row, wl_rule_use *u) {
  memset(u, 0, sizeof *u);
  for (const char *p = row->filters; *p;) {
    const char *end = strchr(p, ',');
    size_t len = end ? (size_t)(end - p) : strlen(p);
    key_hits want;
    if (len < sizeof want.key && t->n) {
      memcpy(want.key, p, len);
      want.key[len] = 0;
      const key_hits *k = bsearch(&want, t->k, t->n, sizeof *t->k, by_key);
      if (k) {
        u->hits += k->count;
        u->last_hit = k->last > u->last_hit ? k->last : u->last_hit;
      }
    }
    p = end ? end + 1 : p + len;
  }
  u->unused = wl_rule_is_unused(row->created, u->last_hit, t->newest);
}

static int each_row(void *ctx, const wl_rule_row *row) {
  use_table *t = ctx;
  wl_rule_use u;
  use_of(t, row, &u);
  return t->cb(t->ctx, row, &u);
}

int wl_rules_each_use(wl_store *s, wl_rule_use_cb cb, void *ctx) {
  use_table t = {.cb = cb, .ctx = ctx};
  wl_store_stats st;
  int rc = wl_store_stats_get(s, &st);
  if (!rc)
    rc = wl_store_filter_hits(s, 0, add_key, &t);
  if (!rc) {
    t.newest = st.last_ts;
    if (t.n)
      qsort(t.k, t.n, sizeof *t.k, by_key);
    rc = wl_store_rules(s, each_row, &t);
  }
  free(t.k);
  return rc;
}

void wl_expiry_left_text(uint64_t expires, uint64_t now, char *buf, size_t cap) {
  if (!cap)
    return;
  buf[0] = 0;
  if (!expires)
    return;
  if (now >= expires) {
    wl_strlcpy(buf, "expired", cap);
    return;
  }
  uint64_t s = (expires - now + WL_TICKS_PER_SEC - 1) / WL_TICKS_PER_SEC;
  if (s >= 86400)
    snprintf(buf, cap, "%llud %lluh", (unsigned long long)(s / 86400),
             (unsigned long long)(s % 86400 / 3600));
  else if (s >= 3600)
    snprintf(buf, cap, "%lluh %llum", (unsigned long long)(s / 3600),
             (unsigned long long)(s % 3600 / 60));
  else
    snprintf(buf, cap, "%llum %llus", (unsigned long long)(s / 60),
             (unsigned long long)(s % 60));
}
