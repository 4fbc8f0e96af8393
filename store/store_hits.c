/* store_hits.c — rule use (issue 15, item 6): allow events counted per hour and per filter, so
 * `rules` can say how often each rule let something through and when last, and review can
 * propose revoking the rules nothing used for 30 days (whitelist/rule_use.c).
 *
 * Table hits_hourly (schema version 3, wl_schema_v3_rule_use below):
 *   (filter_key, filter_id, hour) → count, last_ts
 * The key column is the filter's key ("{GUID}", what a rule's `filters` column lists), looked up
 * in filters_seen when the batch is written: a filter's run-time id is valid only until BFE
 * restarts (it renumbers, and filters_seen's row for an id then names the filter holding it
 * now), so an id resolved later could credit the wrong rule; the key never changes. When the
 * id has no attribution yet at write time (the capture's lookup failed while the engine was
 * reconnecting: capture/attribution.c), the row keeps the id with key "" and counts for no rule
 * (a known, rare loss rather than a wrong attribution). Rows are never pruned (a rollup, like
 * drops_hourly): about 40 bytes a filter an hour it permitted something.
 *
 * wl_store_hits_add runs inside the batch transaction of wl_store_write (a hook in
 * store_write.c, for each event as it is placed) and counts what that batch stores: allow
 * events (classify and capability) that are new connections (wl_event_is_connection) and not
 * dated past the future limit, with a filter id. Imports (wl_store_write_keyed) are not
 * counted: their filter ids belong to the engine that logged them. Per batch: the events are
 * coalesced in memory by (hour, filter) in a bounded table (WL_STORE_HITS_AGG entries, flushed
 * when full), then one upsert per entry through the handle's prepared statement ST_HITS_ADD
 * (WL_STORE_HITS_ADD_SQL in store_int.h).
 */
#include <string.h>

#include "common/wl_err.h"
#include "store/store_int.h"

const char *wl_schema_v3_rule_use(void) {
  return "CREATE TABLE hits_hourly(filter_key TEXT NOT NULL, filter_id INTEGER NOT NULL,"
         " hour INTEGER NOT NULL, count INTEGER NOT NULL, last_ts INTEGER NOT NULL,"
         " PRIMARY KEY(filter_key, filter_id, hour)) WITHOUT ROWID;"
         /* item 7: a temporary rule's wall-clock deadline (ticks, UTC); 0 = permanent */
         "ALTER TABLE rules ADD COLUMN expires INTEGER NOT NULL DEFAULT 0;";
}

static int counted(const wl_store *s, const wl_event *ev) {
  return (ev->type == WL_EVT_ALLOW || ev->type == WL_EVT_CAP_ALLOW) &&
         (ev->has & WL_HAS_FILTER) && ev->filter_id != 0 && ev->ts <= s->future_limit &&
         wl_event_is_connection(ev);
}

int wl_store_hits_flush(wl_store *s, wl_hits *h) {
  for (size_t i = 0; i < h->na; i++) {
    sqlite3_stmt *st = wl_st(s, ST_HITS_ADD); /* WL_STORE_HITS_ADD_SQL */
    if (!st)
      return WL_E_DB;
    wl_store_bind_u64(st, 1, h->a[i].hour);
    wl_store_bind_u64(st, 2, h->a[i].filter_id);
    wl_store_bind_u64(st, 3, h->a[i].count);
    wl_store_bind_u64(st, 4, h->a[i].last_ts);
    int ret = wl_store_step_done(s, st, "counting rule use");
    if (ret != WL_OK)
      return ret;
  }
  h->na = h->last = 0;
  return WL_OK;
}

int wl_store_hits_add(wl_store *s, wl_hits *h, const wl_event *ev) {
  if (!counted(s, ev))
    return WL_OK;
  uint64_t hour = ev->ts / WL_STORE_HOUR_TICKS;
  size_t na = h->na, k = h->last < na && h->a[h->last].hour == hour &&
                                 h->a[h->last].filter_id == ev->filter_id
                             ? h->last
                             : na;
  for (size_t j = 0; k == na && j < na; j++)
    if (h->a[j].hour == hour && h->a[j].filter_id == ev->filter_id)
      k = j;
  if (k == na && na == WL_STORE_HITS_AGG) {
    int rc = wl_store_hits_flush(s, h);
    if (rc != WL_OK)
      return rc;
    na = k = 0;
  }
  if (k == na) {
    h->a[na].hour = hour;
    h->a[na].filter_id = ev->filter_id;
    h->a[na].count = h->a[na].last_ts = 0;
    h->na = ++na;
  }
  h->a[k].count++;
  h->a[k].last_ts = ev->ts > h->a[k].last_ts ? ev->ts : h->a[k].last_ts;
  h->last = k;
  return WL_OK;
}

int wl_store_filter_hits(wl_store *s, uint64_t since, wl_hits_cb cb, void *ctx) {
  if (!s || !cb)
    return wl_err(WL_E_INVAL, "wl_store_filter_hits: NULL argument");
  sqlite3_stmt *st = NULL;
  int rc = sqlite3_prepare_v2(s->db,
                              "SELECT filter_key, sum(count), max(last_ts) FROM hits_hourly "
                              "WHERE filter_key <> '' AND hour >= ?1 GROUP BY filter_key",
                              -1, &st, NULL);
  if (rc != SQLITE_OK)
    return wl_store_sqlerr(s, rc, "reading rule use");
  wl_store_bind_u64(st, 1, since / WL_STORE_HOUR_TICKS);
  wl_filter_hits h;
  int ret = WL_OK;
  while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
    memset(&h, 0, sizeof h);
    wl_store_col_text(st, 0, h.filter_key, sizeof h.filter_key);
    h.count = wl_store_col_u64(st, 1);
    h.last_ts = wl_store_col_u64(st, 2);
    if ((ret = cb(ctx, &h)) != 0)
      break;
  }
  if (ret == WL_OK && rc != SQLITE_DONE)
    ret = wl_store_sqlerr(s, rc, "reading rule use");
  sqlite3_finalize(st);
  return ret;
}
