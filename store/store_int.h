/* store_int.h — what the db/ files share behind store.h: the handle, the prepared-statement
 * table, the bounded in-memory maps of the write path, and the SQLite → WL_E_* translation.
 * Nothing outside db/ includes this.
 *
 * Bounds: a batch is processed in chunks of WL_STORE_CHUNK events; the per-chunk maps hold at
 * most one entry per event of the chunk and have twice that many slots, so they never fill.
 * The app, SID and context caches are cleared when three quarters full (they only speed up
 * interning; the tables are the truth). All five are common/wl_hash.h tables, allocated once:
 * 96 bytes a slot for the maps (8192 slots each, plus 4 a slot for the list of used slots), 32
 * for the string caches (1024 and 256 slots, plus the strings), 72 for the context cache (4096).
 * The flow-key cache: 56 bytes a slot (40-byte key), WL_STORE_FLOW_SLOTS = 2^19 in two
 * generations of 2^18: 28 MB (2^18 in all: 3M events of the stress stream missed 134k stored
 * flows and took 10.3 s of CPU; 2^19: 21k, 8.8 s); the new flows of a block: WL_STORE_BLOCK_MAX x 80 bytes (1.3 MB).
 * The map of every flow (store_flowmap.c): 24 bytes a slot, doubled at 3/4 full (24 MB at 738k
 * flows).
 * Each flow's app, direction and action for the rollups (store_owners.c): 8 bytes a flow id, in
 * chunks of 64k ids made when used (6 MB at 738k flows).
 */
#ifndef WL_STORE_INT_H
#define WL_STORE_INT_H

#include <sqlite3.h>
#include <stddef.h>
#include <stdint.h>

#include "common/wl_hash.h"
#include "store/owners.h"
#include "store/store.h"

#define WL_STORE_CHUNK 4096u           /* events coalesced per flush */
#define WL_STORE_MAP_SLOTS 8192u       /* 2 x chunk, power of two */
#define WL_STORE_CACHE_SLOTS 1024u     /* app path cache, power of two */
#define WL_STORE_SID_SLOTS 256u        /* SID string cache, power of two */
#define WL_STORE_CTX_SLOTS 4096u       /* event context cache, power of two */
#define WL_STORE_PRUNE_MIN 1024u       /* events a batch may prune beyond twice its own size */
#define WL_STORE_FLOW_SLOTS (1u << 19) /* flow key -> id cache, power of two */
#define WL_STORE_BLOCK_MAX 16384u      /* events in one block (store_block.c) */
#define WL_BLOCK_RAW_MAX (WL_STORE_BLOCK_MAX * 33u) /* ts, flow, ctx 10 varint bytes, port 3 */
/* Rollups (store_rollup.c): the pending blocks are rolled up at the end of a batch once this
 * many events are pending (wl_store_opts.rollup_events), or this long after the last rollup;
 * and at a writing open and close. Readers add what is pending meanwhile. The event count
 * bounds what a reader adds up and what a crash leaves to rebuild; the time only bounds how
 * stale the tables are for a reader that does not add pending blocks (sqlite3 itself). A
 * rollup writes each flow and app it touched (and every app costs a statement), so at a
 * moderate rate a short period costs more than the events: 30 s (was 2 s; under callgrind,
 * ~50x slower, 2 s of wall time came every 17k events of the stress stream). Each rollup
 * rewrites every flow it touched, so with a week's flows outgrowing the rollup (378k at 3M
 * stress events) fewer, larger rollups write fewer rows: 2^19 events rather than 2^18 took 3M
 * stress events through store_stream write in 4.4-4.8 s of CPU instead of 5.3 (about one second
 * of events at full speed; a reader adds up at most that many pending events). */
#define WL_STORE_ROLLUP_EVENTS 524288u
#define WL_STORE_ROLLUP_NS (30ull * 1000000000ull)
#define WL_STORE_ROLLUP_SLOTS (1u << 18) /* flows rolled up at once, power of two */
#define WL_STORE_DAY_TICKS (86400ull * 10000000ull)
#define WL_STORE_HOUR_TICKS (3600ull * 10000000ull)
#define WL_STORE_RETAIN_TICKS (7ull * WL_STORE_DAY_TICKS)
/* Events dated past this are not stored (counted in meta "future" and as skipped): see
 * event.h WL_EVENT_FUTURE_TICKS. */
#define WL_STORE_FUTURE_TICKS WL_EVENT_FUTURE_TICKS
#define WL_STORE_RETAIN_BYTES (1ull << 30)
#define WL_STORE_BUSY_MS 5000u
#define WL_STORE_APP_ID 0x77666c6e /* PRAGMA application_id: "wfln" */

/* Prepared statements, kept for the life of the handle (SQL text in store.c). */
enum wl_st {
  ST_BEGIN, ST_COMMIT, ST_ROLLBACK, ST_SAVEPOINT, ST_RELEASE, ST_ROLLBACK_TO,
  ST_META_GET, ST_META_SET, ST_COUNTER_ADD,
  ST_APP_FIND, ST_APP_INSERT, ST_APP_SET_DOS, ST_APP_ADD,
  ST_SID_FIND, ST_SID_INSERT, ST_CTX_FIND, ST_CTX_INSERT,
  ST_DROP_ADD, ST_KEY_INSERT,
  ST_BLOCK_INSERT, ST_PENDING_INSERT, ST_PENDING_SCAN, ST_PENDING_CLEAR, ST_PENDING_SEQS,
  ST_PENDING_ANY,
  ST_CTX_INFO, ST_PRUNE_SCAN, ST_BLOCK_DEL, ST_USED_BYTES,
  ST_FILTER_PUT, ST_FILTER_GET,
  ST_STATS_COUNTS, ST_APPS, ST_DROPS,
  ST_BLOCKS_RANGE, ST_CTX_BY_ID, ST_APP_BY_ID,
  ST_RULE_ADD, ST_RULE_UPDATE, ST_RULE_GET, ST_RULE_DEL, ST_RULES,
  ST_HITS_ADD, /* rule use (store_hits.c) */
  ST_COUNT
};

/* A fixed-size key aggregated over a chunk (flow key, app id, hour+filter). */
#define WL_AGG_KEY 40
typedef struct wl_agg_ent {
  uint64_t tag; /* wl_htab's */
  uint8_t key[WL_AGG_KEY];
  uint64_t v[5];
  int64_t id;
} wl_agg_ent;
typedef struct wl_agg_map {
  wl_htab t;         /* WL_STORE_MAP_SLOTS slots of wl_agg_ent, keyed by key[] */
  wl_agg_ent *e;     /* t's entries, by slot */
  uint32_t *list;    /* used slots, in insertion order (flows get their ids in this order) */
  uint32_t n;        /* entries in list: always t.n */
} wl_agg_map;

/* String → id cache (app paths with their DOS form; SIDs). */
typedef struct wl_str_ent {
  uint64_t tag; /* wl_htab's */
  char *key;
  char *aux; /* DOS path for apps, NULL for SIDs */
  int64_t id;
} wl_str_ent;
typedef struct wl_str_cache {
  wl_htab t; /* slots of wl_str_ent, keyed by the string key points to */
} wl_str_cache;

/* Binary key → id cache (event contexts), same policy as wl_str_cache. */
#define WL_BIN_KEY 56
typedef struct wl_bin_ent {
  uint64_t tag; /* wl_htab's */
  uint8_t key[WL_BIN_KEY];
  int64_t id; /* > 0 */
} wl_bin_ent;
typedef struct wl_bin_cache {
  wl_htab t; /* slots of wl_bin_ent, keyed by key[] */
} wl_bin_cache;

/* What an event row shares with many others, interned in the ctx table: the has/type/origin/
 * loopback bits, filter, layer, local address, reauth reason, user and package SIDs. Fields
 * whose has bit is unset are 0. Zero-filled, so memcmp compares it. */
typedef struct wl_ctx_key {
  int64_t bits, user, package;
  uint64_t filter_id;
  uint32_t reauth;
  uint16_t layer;
  uint8_t alen, pad; /* bytes of local_addr stored: 0, 4 or 16 */
  uint8_t local_addr[16];
} wl_ctx_key;
_Static_assert(sizeof(wl_ctx_key) == WL_BIN_KEY, "context key fills the cache key exactly");

/* The flow key as coalesced in memory: zero-filled, so memcmp compares it. */
typedef struct wl_flow_key {
  int64_t app;
  uint16_t remote_port, local_port;
  uint8_t dir, proto, ip_version, action;
  uint8_t alen, pad[7]; /* bytes of remote_addr stored: 0, 4 or 16 */
  uint8_t remote_addr[16];
} wl_flow_key;
_Static_assert(sizeof(wl_flow_key) == WL_AGG_KEY, "flow key fills the map key exactly");

/* A flow first seen since the last block, given an id now and written with the block
 * (store_write.c: flows_flush), through wl_new_flows (store_vtab.c). */
typedef struct wl_new_flow {
  wl_flow_key k;
  uint64_t id;
  uint64_t count, first, last, filter; /* its events in the block (filter: the last one's) */
} wl_new_flow;

/* Flow key -> id cache (40-byte keys: wl_flow_key), in two generations (store_map.c). */
typedef struct wl_flow_ent {
  uint64_t tag; /* wl_htab's */
  wl_flow_key key;
  int64_t id; /* > 0 */
} wl_flow_ent;
typedef struct wl_flow_cache {
  wl_htab t[2]; /* two generations (store_map.c) */
  int cur;      /* the current one */
} wl_flow_cache;

/* A set of ids, a bit each, whose additions since the last commit can be undone
 * (store_seen.c). */
typedef struct wl_idset {
  uint64_t *w; /* bit id % 64 of w[id / 64] */
  size_t nw;
  uint64_t n;    /* ids in the set */
  uint64_t *log; /* the ids added since the last commit */
  size_t nlog, caplog;
} wl_idset;
void wl_idset_add(wl_idset *s, uint64_t id);
void wl_idset_commit(wl_idset *s);
void wl_idset_undo(wl_idset *s);
void wl_idset_free(wl_idset *s);

/* One event as a block stores it (store_block.c): its time, its flow's id, the port the flow
 * does not keep (wl_block_port_put: 0 = unknown) and its context's id. */
typedef struct wl_block_row {
  uint64_t ts, flow, ctx;
  uint32_t port, pad;
} wl_block_row;

/* zstd contexts and the buffers of one block, allocated once (WL_BLOCK_RAW_MAX and
 * ZSTD_compressBound of it, WL_STORE_BLOCK_MAX rows for sorting). */
typedef struct wl_block_codec {
  struct ZSTD_CCtx_s *cctx;
  struct ZSTD_DCtx_s *dctx;
  uint8_t *raw, *out;
  size_t out_cap;
  wl_block_row *tmp;
} wl_block_codec;

/* The block being filled by the batch in progress. */
typedef struct wl_chunk {
  wl_block_row row[WL_STORE_BLOCK_MAX];
  uint32_t n;
} wl_chunk;

/* Totals of the batch in progress, added to meta at commit. */
typedef struct wl_batch_tot {
  uint64_t stored, pruned, skipped, not_conn, new_flows, future;
} wl_batch_tot;

/* What a rollup adds up before writing it (store_rollup.c): per flow id, per (hour, filter) of
 * drops, per app; and a cache of each context's filter and action. wl_htab tables, allocated
 * when first used. */
typedef struct wl_app_hourly wl_app_hourly; /* store_app_hourly.c */
#define WL_ROLLUP_LIVE_BLOCKS 1024u /* blocks a writer adds up as it writes them, at most */
typedef struct wl_rollup {
  wl_htab flows, drops, apps, ctx;
  wl_app_hourly *hourly; /* events per (app, dir, hour): store_app_hourly.c */
  uint32_t *used, nused; /* the used slots of flows, in order: written and cleared by list */
  uint64_t *pairs;       /* 2 x WL_STORE_ROLLUP_SLOTS: sorting used by id (store_rollup.c) */
  struct wl_rollup_buf *buf; /* a codec and one block's rows, for reading blocks back */
  /* A writer adds its blocks up as it lists them in pending (wl_rollup_add_block): live 1 says
   * flows, drops and hourly hold exactly the rows of the blocks seq[0..nseq), and the rollup
   * uses them when pending lists those blocks and no other, instead of reading them back. */
  int live;
  uint32_t nseq;
  int64_t seq[WL_ROLLUP_LIVE_BLOCKS];
} wl_rollup;

struct wl_store {
  sqlite3 *db;
  char *path;
  int read_only, in_txn, schema_version;
  uint64_t retain_ticks, retain_bytes, rollup_events;
  sqlite3_stmt *st[ST_COUNT];
  /* write state, persisted in meta with each batch and restored on rollback */
  uint64_t next_id, next_flow, first_ts, last_ts;
  uint64_t begun_id, begun_flow, begun_first, begun_last; /* the same at wl_store_begin */
  uint64_t future_limit; /* wall clock + WL_STORE_FUTURE_TICKS at the batch's start */
  uint64_t meta_last_ts; /* last_ts as meta holds it (last_ts differs when that was future) */
  wl_agg_map apps; /* endpoints (new flows) per app, added at each block */
  wl_str_cache app_cache, sid_cache;
  wl_bin_cache ctx_cache;
  wl_flow_cache flow_cache;
  wl_chunk *chunk;
  wl_new_flow *fresh; /* the flows first seen in the block in progress (WL_STORE_BLOCK_MAX) */
  uint32_t nfresh;
  uint64_t born_lo, born_hi; /* the ids fresh had, for the block's pending row */
  wl_block_codec codec;
  wl_batch_tot tot;
  wl_owners owners; /* flow id -> app, dir, action (owners.h): the write path records births */
  wl_idset seen_apps, seen_flows; /* what this handle wrote events for (store_seen.c) */
  wl_rollup roll;
  uint64_t unrolled;     /* events this handle wrote since its last rollup */
  uint64_t rolled_ns;    /* wl_time_mono_ns of its last rollup */
  wl_htab fmap;          /* every flow: key hash -> id (store_flowmap.c) */
  uint64_t fmap_seq;     /* fmap holds every flow below this id; 0: rebuilt at the next batch */
};

/* store.c */
sqlite3_stmt *wl_st(wl_store *s, enum wl_st id); /* prepared once, reset; NULL + wl_err */
int wl_store_sqlerr(wl_store *s, int rc, const char *what); /* → WL_E_*, message names file */
/* The same where there is no handle yet (migrations): db may be NULL, path names the file. */
int wl_store_sqlerr_at(sqlite3 *db, const char *path, int rc, const char *what);
int wl_store_step_done(wl_store *s, sqlite3_stmt *st, const char *what); /* SQLITE_DONE/ROW */
/* Steps a bound one-column query and resets it: *out = its int64, or 0 when it gave no row. */
int wl_store_step_int64(wl_store *s, sqlite3_stmt *st, int64_t *out, const char *what);
int wl_store_exec(wl_store *s, const char *sql, const char *what);
int wl_store_meta_set_int(wl_store *s, const char *key, int64_t v);
int wl_store_txn_begin(wl_store *s);   /* BEGIN IMMEDIATE, or a savepoint inside begin() */
int wl_store_txn_commit(wl_store *s);
void wl_store_txn_abort(wl_store *s);  /* rolls back whatever is open; keeps the message */
void wl_store_bind_u64(sqlite3_stmt *st, int i, uint64_t v);
uint64_t wl_store_col_u64(sqlite3_stmt *st, int i);
void wl_store_col_text(sqlite3_stmt *st, int i, char *out, size_t cap);

/* schema.c */
int wl_schema_prepare_files(const char *path);          /* create owner-only db/-wal/-shm */
int wl_schema_migrate(wl_store *s);                      /* to WL_STORE_SCHEMA_VERSION */
int wl_schema_version_of(wl_store *s, int *version);     /* 0 for an empty file */
/* The file has the tables (and their columns) and indexes version v defines: WL_E_CORRUPT. */
int wl_schema_verify(wl_store *s, int version);
/* What migrations 1..v create in an empty database, one "type name columns" line each, sorted
 * by name (*out malloc'd; path names the store in errors), and the current version's written
 * down (schema_listing.c, checked against the former by test_store_migrate). */
int wl_schema_expected_build(int v, const char *path, char **out);
#define WL_SCHEMA_LISTING_VERSION 13
extern const char wl_schema_listing[];
int wl_schema_quick_check(wl_store *s);
/* store_hits.c: the v2 -> v3 migration (rule use, temporary rules), SQL text */
const char *wl_schema_v3_rule_use(void);
/* The write path's hooks (store_write.c, inside the batch transaction): each event counted as it
 * is placed, while its lines are in the cache (a second pass over a batch of 8,192 events, 20 MB,
 * missed on every one), the table written when full and at the batch's end. */
#define WL_STORE_HITS_AGG 64u /* distinct (hour, filter) per flush; a batch rarely has more */
typedef struct wl_hits {
  struct {
    uint64_t hour, filter_id, count, last_ts;
  } a[WL_STORE_HITS_AGG];
  size_t na, last;
} wl_hits;
int wl_store_hits_add(wl_store *s, wl_hits *h, const wl_event *ev);
int wl_store_hits_flush(wl_store *s, wl_hits *h);
/* ST_HITS_ADD: ?1 hour, ?2 filter id, ?3 count, ?4 newest ts; the key looked up in filters_seen
 * now, the id kept only when none is known (store_hits.c). */
#define WL_STORE_HITS_ADD_SQL \
  "INSERT INTO hits_hourly(filter_key, filter_id, hour, count, last_ts) " \
  "SELECT coalesce(f.filter_key, ''), " \
  "CASE WHEN coalesce(f.filter_key, '') = '' THEN ?2 ELSE 0 END, ?1, ?3, ?4 " \
  "FROM (SELECT 1) LEFT JOIN filters_seen f ON f.filter_id = ?2 WHERE 1 " \
  "ON CONFLICT(filter_key, filter_id, hour) DO UPDATE SET count = count + excluded.count, " \
  "last_ts = max(last_ts, excluded.last_ts)"

/* store_map.c */
int wl_agg_init(wl_agg_map *m);
void wl_agg_free(wl_agg_map *m);
void wl_agg_reset(wl_agg_map *m);
uint32_t wl_agg_get(wl_agg_map *m, const void *key, int *fresh); /* slot index */
int wl_str_cache_init(wl_str_cache *c, uint32_t slots);
void wl_str_cache_free(wl_str_cache *c);
void wl_str_cache_clear(wl_str_cache *c);
wl_str_ent *wl_str_cache_find(wl_str_cache *c, const char *key);
int wl_str_cache_put(wl_str_cache *c, const char *key, const char *aux, int64_t id);
int wl_str_ent_set_aux(wl_str_ent *e, const char *aux); /* replace the DOS path */
int wl_bin_cache_init(wl_bin_cache *c, uint32_t slots);
void wl_bin_cache_free(wl_bin_cache *c);
void wl_bin_cache_clear(wl_bin_cache *c);
int64_t wl_bin_cache_find(const wl_bin_cache *c, const void *key); /* 0 when absent */
void wl_bin_cache_put(wl_bin_cache *c, const void *key, int64_t id);
int wl_flow_cache_init(wl_flow_cache *c, uint32_t slots);
void wl_flow_cache_free(wl_flow_cache *c);
void wl_flow_cache_clear(wl_flow_cache *c);
int64_t wl_flow_cache_find(wl_flow_cache *c, const wl_flow_key *key); /* 0: absent */
/* The key's tag (its hash), the cache line of its slot in the current generation fetched: a
 * find_tag a little later (the write path stages the next event meanwhile) finds it there. */
uint64_t wl_flow_cache_hint(const wl_flow_cache *c, const wl_flow_key *key);
int64_t wl_flow_cache_find_tag(wl_flow_cache *c, const wl_flow_key *key, uint64_t tag);
void wl_flow_cache_set(wl_flow_cache *c, const wl_flow_key *key, int64_t id); /* add/replace */

/* store_block.c */
int wl_block_codec_init(wl_block_codec *z);
void wl_block_codec_free(wl_block_codec *z); /* NULL-safe, twice too */
/* Sorts rows by time (stable) and encodes them; *out points into the codec, valid until its
 * next use. 1 <= n <= WL_STORE_BLOCK_MAX. */
int wl_block_encode(wl_block_codec *z, wl_block_row *rows, size_t n, const void **out,
                    size_t *len);
/* rows has room for WL_STORE_BLOCK_MAX. WL_E_CORRUPT when the block is not well formed. */
int wl_block_decode(wl_block_codec *z, const void *data, size_t len, wl_block_row *rows,
                    size_t *n);
uint32_t wl_block_port_put(int has, uint16_t port);
int wl_block_port_get(uint32_t v, uint16_t *port); /* 0 when unknown */

/* schema_v3_blocks.c: v2 -> v3, raw event rows into blocks (db may be an empty database). */
int wl_schema_v3_blocks(sqlite3 *db, const char *path);

/* store_rollup.c */
void wl_rollup_free(wl_rollup *r);
/* Rolls every pending block up into flows, apps and drops_hourly and clears pending, inside
 * the transaction open on s. */
int wl_rollup_run(wl_store *s);
/* Before a read: when blocks are pending, a writing handle rolls them up in a transaction of
 * its own; a read-only one adds them in memory (wl_rollup_pending_* below). */
int wl_rollup_before_read(wl_store *s, int *pending);
/* store_prune.c: a bounded slice of the blocks past retention dropped, in the batch's
 * transaction (pending ones rolled up first) */
int wl_store_prune(wl_store *s);
/* The write path, in its transaction, right after it listed block seq in pending (rows as the
 * block holds them, sorted; the ids in [s->born_lo, s->born_hi) born in it): its rows added up
 * now, so the rollup need not read the block back. Errors are the store's (a context). */
int wl_rollup_add_block(wl_store *s, int64_t seq, const wl_block_row *rows, size_t n);
/* A transaction of the writer rolled back: what it added up may not be in the file. */
void wl_rollup_forget(wl_store *s);
/* Read-only handles: the pending blocks' totals, collected into s->roll (flows by id, drops by
 * hour and filter, apps by id); *complete 0 when they did not fit (WL_STORE_ROLLUP_SLOTS). */
int wl_rollup_collect(wl_store *s, int *complete);
typedef struct wl_roll_flow {
  uint64_t tag; /* flow id */
  uint64_t count, first, last, filter;
} wl_roll_flow;
typedef struct wl_roll_drop {
  uint64_t tag;
  uint64_t hour, filter, count;
} wl_roll_drop;
typedef struct wl_roll_app {
  uint64_t tag; /* app id */
  uint64_t allowed, blocked, first, last;
} wl_roll_app;

/* store_write.c */
int wl_store_write_init(wl_store *s);
void wl_store_write_free(wl_store *s);
int wl_store_write_load(wl_store *s); /* next ids, first_ts, last_ts from meta */
void wl_store_write_mark(wl_store *s);  /* wl_store_begin: the state a rollback returns to */
int wl_store_write_reset(wl_store *s); /* after a rollback: caches cleared, state as marked */

/* Schema migrations kept in their own files (schema.c's chain calls them): the SQL taking a
 * file from the version before to the one named. */
const char *wl_schema_v3_rebind(void); /* v2 -> v3: rules.signer, prev_app, prev_app_nt */
const char *wl_schema_v7_born(void);   /* v6 -> v7: pending.born_lo, born_hi */
const char *wl_schema_v9_flows_app(void); /* v8 -> v9: flows_key gone, flows_app */
const char *wl_schema_v11_no_app_index(void); /* v10 -> v11: flows_app gone, flows_app0 */
const char *wl_schema_v12_keys_only(void);    /* v11 -> v12: flows' totals and flows_app0 gone */

/* store_flowmap.c: every flow's key in the writer's memory (no unique index on disk) */
int wl_flowmap_sync(wl_store *s);   /* at a batch's start: the flows added since, or all */
void wl_flowmap_done(wl_store *s);  /* the batch committed: it holds every flow below next_flow */
void wl_flowmap_forget(wl_store *s); /* rolled back: rebuilt at the next batch */
void wl_flowmap_free(wl_store *s);
int wl_flowmap_find(wl_store *s, const wl_flow_key *k, int64_t *id); /* *id 0: not a flow */
int wl_flowmap_add(wl_store *s, const wl_flow_key *k, int64_t id); /* WL_E_NOMEM */

#endif
