/* store.h — the SQLite store: what learn writes and review reads.
 *
 * One writer connection (the consumer thread), WAL, synchronous=NORMAL, prepared statements
 * kept for the life of the handle, one transaction per batch. Tables (see db/schema.c):
 *   apps(id, path, dos_path, first_seen, last_seen, truncated) interned app paths
 *   flows(id, app, dir, proto, ip_version, remote_addr, remote_port, local_port, action,
 *         count, first_seen, last_seen, last_filter_id)     the rollup; outbound keeps
 *         local_port = 0 (ephemeral), inbound keeps remote_port = 0 (ephemeral) and the local
 *         port the app listened on
 *   blocks(seq, ts_min, ts_max, n, data)                      raw events, a compressed column
 *                                                             block per batch (schema 3),
 *                                                             bounded by age and size
 *   pending(seq)                                              blocks not rolled up yet
 *   filters_seen(filter_id, name, provider, sublayer, action, ours, filter_key,
 *                provider_key)                                attribution (keys: schema 2)
 *   hits_hourly(filter_key, filter_id, hour, count, last_ts)  allow events per filter key and
 *                                                             hour: rule use (schema 3)
 *   app_hourly(app, dir, hour, allowed, blocked)              events per app, direction and
 *                                                             hour: the page's timeline (7)
 *   flow_pack(chunk, last_id, last_first, data)               flows again, 1024 ids a row,
 *                                                             packed: what the listing of
 *                                                             every flow reads (schema 10)
 *   rules(...)                                                the whitelist (whitelist/ owns
 *                                                             the meaning; the store keeps rows)
 *   import_keys(key)                                          records already imported
 *   meta(key, value)                                          schema_version, mode, counters
 * The database and its WAL are created readable by the owner only.
 */
#ifndef WL_STORE_H
#define WL_STORE_H

#include <stddef.h>
#include <stdint.h>

#include "event/event.h"

typedef struct wl_store wl_store;

typedef struct wl_store_opts {
  int read_only;            /* open for review only */
  int quick_check;          /* run PRAGMA quick_check at open; WL_E_CORRUPT with the reason */
  uint64_t retain_ticks;    /* raw events older than newest-minus-this are pruned; 0 = 7 days */
  uint64_t retain_bytes;    /* raw events beyond this many bytes are pruned; 0 = 1 GiB */
  uint32_t busy_timeout_ms; /* wait this long for a lock held by another process; 0 = 5000 */
  uint32_t rollup_events;   /* roll the event blocks up into flows/apps/drops once this many
                             * events are pending (or 30 s after the last rollup); 0 = 524288 */
} wl_store_opts;
/* Raw events are kept in blocks (one or a few per batch) and pruned a whole block at a time:
 * a block goes when its newest event is older than the window; a batch's events already older
 * than the window when it is written go into a block of their own, pruned in that batch.
 * retain_bytes is measured on the database's used pages (rollups included): while they exceed
 * it, the oldest blocks go; flows, apps and rules are never pruned.
 * retain_ticks is a window of event time counted back from the newest event the store holds:
 * not the wall clock (a store reviewed or replayed later is not emptied) and not the time of
 * writing. So an import of logs older than the window keeps their rollups (flows, apps, drops
 * by filter, counters, import keys: a re-import is still all duplicates) but their raw rows
 * are pruned in the batch that brought them; importing logs spanning months keeps the raw rows
 * of the last 7 days before the newest record only. What reads raw events (wl_store_events;
 * the user/package SIDs the whitelist takes from them) sees only the window. */

/* Creates the file and migrates it to the current schema. WL_E_VERSION when the file was made
 * by a newer wfplearn (never downgraded), WL_E_CORRUPT, WL_E_READONLY, WL_E_PERM, WL_E_BUSY.
 * Messages name the file. opts may be NULL. Release with wl_store_close. */
int wl_store_open(const char *path, const wl_store_opts *opts, wl_store **out);
void wl_store_close(wl_store *s); /* NULL-safe */
int wl_store_schema_version(wl_store *s);
#define WL_STORE_SCHEMA_VERSION 13 /* bump with every migration in store/schema.c */

/* ---- one capture per store ----
 * An OS lock on the file "STORE.capture.lock" (owner-only, a symbolic link there refused),
 * which the OS drops when the holder dies (kill -9 included), and in meta "capture_owner" who
 * holds it: "pid N, started TIME, on HOST". Other writers (import, promote, rules) do not take
 * it: their transactions interleave with the capture's batches. */
typedef struct wl_store_lock wl_store_lock;
/* WL_E_CONFLICT naming the holder while another capture (process or handle) holds it. Release
 * with wl_store_capture_unlock, before closing the store. */
int wl_store_capture_lock(wl_store *s, wl_store_lock **out);
void wl_store_capture_unlock(wl_store_lock *l); /* NULL-safe */
/* 1 when a capture holds the lock (who: its description, "unknown" when meta has none), 0 when
 * none does, -1 when this process cannot tell (the lock file cannot be opened: a read-only
 * directory, or another user's lock file). who may be NULL. */
int wl_store_capture_holder(wl_store *s, char *who, size_t cap);

/* ---- write path (one thread) ---- */
/* Counters carried with a batch, added to meta in the same transaction. */
typedef struct wl_batch_counters {
  uint64_t ring_drops;   /* drops since the previous batch */
  uint64_t skipped;      /* events of other types, counted and skipped */
  uint64_t backfilled;   /* events in this batch that came from the engine buffer */
  uint64_t not_connections; /* allow events that are not new connections, left out by the
                             * caller (wl_event_is_connection) */
} wl_batch_counters;

/* One transaction: intern apps, add the flows not seen before, append the raw events as a
 * compressed block, add counters, prune a bounded slice of expired blocks; every
 * opts.rollup_events events (or 2 s) the same transaction also rolls the blocks written since
 * the last rollup up into the flows' counts, the apps' totals and the drops per hour. Until
 * then readers add those blocks themselves, so every read sees every committed batch. On
 * WL_E_BUSY / WL_E_NOSPACE / WL_E_IO nothing of the batch is kept and the caller may retry the
 * same batch later. */
int wl_store_write(wl_store *s, const wl_event *ev, size_t n, const wl_batch_counters *c);
/* The distinct apps and flows this handle has written events for since it was opened (a
 * batch that rolled back not counted; store_seen.c): the capture's live counters. */
void wl_store_session_counts(const wl_store *s, uint64_t *apps, uint64_t *flows);
/* Importers: like wl_store_write, but each event carries a record key (a 64-bit hash of file
 * identity + record identity); events whose key was stored before are skipped and counted in
 * *duplicates. */
int wl_store_write_keyed(wl_store *s, const wl_event *ev, const uint64_t *keys, size_t n,
                         uint64_t *duplicates);

/* Attribution of a filter id seen in events (insert or replace). The id is BFE's run-time id,
 * valid until BFE restarts (it renumbers); the key is the filter's identity: after a restart
 * the capture looks its ids up again and the row of an id then names the filter that holds it
 * now (issue 12, item 6). */
typedef struct wl_filter_info {
  uint64_t filter_id;
  char filter_key[WL_GUID_STR_MAX];   /* "{GUID}" of the filter; "" when unknown (stores before schema 2) */
  char provider_key[WL_GUID_STR_MAX]; /* "{GUID}" of its provider; "" when none */
  char name[128];
  char provider[128];   /* provider name, "" when none */
  char sublayer[128];   /* sublayer name */
  char action[8];       /* "permit" / "block" / "" */
  int ours;             /* 1 when the filter belongs to wfplearn's provider */
} wl_filter_info;
int wl_store_filter_info_put(wl_store *s, const wl_filter_info *fi);
int wl_store_filter_info_get(wl_store *s, uint64_t filter_id, wl_filter_info *out);

/* meta: small text values ("mode", "capture_state", "last_ts", ...) and integer counters. */
int wl_store_meta_set(wl_store *s, const char *key, const char *value);
int wl_store_meta_get(wl_store *s, const char *key, char *out, size_t cap); /* WL_E_NOTFOUND */
int wl_store_counter_add(wl_store *s, const char *key, int64_t delta);
int wl_store_counter_get(wl_store *s, const char *key, int64_t *out); /* 0 when absent */

/* ---- read path ---- */
typedef struct wl_store_stats {
  uint64_t events;       /* rows ever stored (backfilled and imported included) */
  uint64_t events_kept;  /* raw rows currently kept */
  uint64_t drops;        /* ring drops */
  uint64_t backfilled, skipped, duplicates;
  uint64_t not_connections; /* allow events at flow established / listen / bind: counted, not
                             * stored (wl_event_is_connection) */
  uint64_t apps, flows, rules;
  uint64_t db_bytes;     /* database + WAL on disk */
  uint64_t first_ts, last_ts;
} wl_store_stats;
int wl_store_stats_get(wl_store *s, wl_store_stats *out);

typedef struct wl_app_summary {
  int64_t app_id;
  char path[WL_PATH_MAX];     /* as recorded ("" for no app) */
  char dos_path[WL_PATH_MAX]; /* "" when unknown */
  uint64_t allowed, blocked;  /* event counts */
  uint64_t endpoints;         /* distinct flows */
  uint64_t first_seen, last_seen;
  int is_new;                 /* first seen within 7 days of the newest event */
  int truncated;              /* path cut short (WL_HAS_APP_TRUNC): an incomplete identity */
} wl_app_summary;
/* Apps with activity at or after `since` (0 = all), most events first. cb returns nonzero to
 * stop (that value is returned). */
typedef int (*wl_app_cb)(void *ctx, const wl_app_summary *a);
int wl_store_apps(wl_store *s, uint64_t since, wl_app_cb cb, void *ctx);

typedef struct wl_flow {
  int64_t app_id;
  uint8_t dir, proto, ip_version, action; /* action: WL_EVT_ALLOW or WL_EVT_DROP */
  uint8_t remote_addr[16];
  uint16_t remote_port, local_port;
  uint64_t count, first_seen, last_seen, last_filter_id;
} wl_flow;
typedef int (*wl_flow_cb)(void *ctx, const wl_flow *f);
/* Flows of one app (app_id < 0: every app), seen at or after `since`. */
int wl_store_flows(wl_store *s, int64_t app_id, uint64_t since, wl_flow_cb cb, void *ctx);

typedef struct wl_drop_summary {
  wl_filter_info filter; /* filter_id set, the rest "" when never attributed */
  uint64_t count;
} wl_drop_summary;
typedef int (*wl_drop_cb)(void *ctx, const wl_drop_summary *d);
int wl_store_drops_by_filter(wl_store *s, uint64_t since, wl_drop_cb cb, void *ctx);
/* (drops are rolled up per hour: `since` counts from the start of its hour; most drops first) */

/* Rule use (store/store_hits.c, schema 3): allow events per filter key, rolled up per hour
 * when each batch is written (the key looked up in filters_seen then, so hits recorded before
 * a BFE restart stay with the filter that had the id at the time). Keys with hits at or after
 * `since` (rounded down to its hour; 0 = all), in no particular order. */
typedef struct wl_filter_hits {
  char filter_key[WL_GUID_STR_MAX];
  uint64_t count;   /* allow events (new connections) the filter decided */
  uint64_t last_ts; /* the newest of them */
} wl_filter_hits;
typedef int (*wl_hits_cb)(void *ctx, const wl_filter_hits *h);
int wl_store_filter_hits(wl_store *s, uint64_t since, wl_hits_cb cb, void *ctx);

/* Events per hour of one app and direction (store/store_app_hourly.c, schema 8), allowed and
 * blocked, rolled up with the flows (not pruned with the raw events): the hours that overlap
 * [since, until) (until 0 = no end), hour = ts / 3600 s. An hour may come twice (its rolled-up
 * part, then what a read-only handle adds of the pending blocks): add them up. */
typedef struct wl_app_hour {
  uint64_t hour, allowed, blocked;
} wl_app_hour;
typedef int (*wl_app_hour_cb)(void *ctx, const wl_app_hour *h);
int wl_store_app_hours(wl_store *s, int64_t app_id, int dir, uint64_t since, uint64_t until,
                       wl_app_hour_cb cb, void *ctx);

/* Raw events in time order within [since, until) (until 0 = no end). */
typedef int (*wl_event_cb)(void *ctx, const wl_event *ev);
int wl_store_events(wl_store *s, uint64_t since, uint64_t until, wl_event_cb cb, void *ctx);

/* ---- rules: rows of the whitelist ---- */
typedef struct wl_rule_row {
  int64_t id;                 /* assigned on add */
  char app[WL_PATH_MAX];      /* DOS path (or NT path when unmapped); "" = any app */
  char app_nt[WL_PATH_MAX];   /* NT device path as events carry it */
  uint8_t dir;                /* enum wl_dir */
  int16_t proto;              /* -1 = any */
  char scope[16];             /* "app" | "port" | "remote" */
  char ports[256];            /* "443,8000-8100"; "" = any */
  char remotes[2048];         /* "1.2.3.0/24,2001:db8::/32"; "" = any */
  char user[WL_SID_STR_MAX];  /* "" = any */
  char package[WL_SID_STR_MAX];
  char filters[2048];         /* filter keys, comma-separated "{GUID}" */
  char evidence[1024];        /* JSON summary of what justified it */
  char origin[16];            /* "promote" | "import" */
  uint64_t created;
  /* schema v3 (issue 15, item 4): the ruled binary's Authenticode signer ("" unsigned or
   * unknown) and the path the rule was bound to before its last re-bind ("" never re-bound) */
  char signer[256];
  char prev_app[WL_PATH_MAX];
  char prev_app_nt[WL_PATH_MAX];
  uint64_t expires;           /* wall-clock deadline (ticks, UTC) of a temporary rule; 0 = never
                               * (schema 4; whitelist/expiry.h removes it when due) */
} wl_rule_row;
typedef int (*wl_rule_cb)(void *ctx, const wl_rule_row *r);
int wl_store_rule_add(wl_store *s, wl_rule_row *r);  /* fills r->id */
int wl_store_rule_update(wl_store *s, const wl_rule_row *r);
int wl_store_rule_get(wl_store *s, int64_t id, wl_rule_row *out); /* WL_E_NOTFOUND */
int wl_store_rule_delete(wl_store *s, int64_t id);
int wl_store_rules(wl_store *s, wl_rule_cb cb, void *ctx);
/* Group several rule changes into one transaction (promote, import-policy). */
int wl_store_begin(wl_store *s);
int wl_store_commit(wl_store *s);
int wl_store_rollback(wl_store *s);

#endif
