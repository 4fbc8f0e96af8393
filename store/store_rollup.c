/* store_rollup.c — the rollups (flows' counts and first/last seen, apps' totals, drops per hour
 * and filter) brought up to date from the event blocks not yet in them (issue 16).
 *
 * Why: adding each batch to the flows table rewrote pages all over a table that grows with the
 * week (a busy workstation: a million flows), so the cost of a batch grew with the store. The
 * write path now only appends a block and lists it in `pending`; a rollup reads the pending
 * blocks back (they were just written: in SQLite's cache), adds their events up in memory per
 * flow id, per (hour, filter) of drops and per app, writes each total once and empties pending,
 * in the transaction of the batch that triggers it (store_write.c says when). `pending` is the
 * watermark: a block is in the rollups exactly when it is not listed there, both changed in one
 * transaction, so a kill -9 at any point neither loses nor double-counts a block, and several
 * writers (capture, import) may each roll up what any of them wrote.
 *
 * Bounds: the flow totals are a table of WL_STORE_ROLLUP_SLOTS slots (40 bytes each); when it is
 * three quarters full the totals so far are written and it starts again (same transaction), so
 * a rollup of any size runs in bounded memory. Drops and apps: 4096 slots, the same rule.
 * Contexts: a cache of each context's filter and action (4096 slots, cleared when full). The
 * decoding buffers are one block's (WL_STORE_BLOCK_MAX rows).
 *
 * Flows born in a block (ids in its pending row's [born_lo, born_hi), store_write.c) were added
 * with that block's events already counted, in flow_pack and in apps: a rollup adds those rows
 * to the drops only (add_row's born). The totals of the flows it does add to go to their packed
 * records, a chunk of 1,024 ids read and written once (flows_out); since schema 12 the flows
 * rows (the keys) are not rewritten.
 *
 * A writer adds its own blocks up as it writes them (wl_rollup_add_block, called as each is
 * listed in pending, in the batch's transaction), so its rollup need not read them back: the
 * reading and decoding were two thirds of a rollup, and the last one runs when learn closes,
 * after everything else (issue 16: 105 of the main thread's 199 M instructions for 200k events
 * of the stress stream). The sums are used only when pending lists exactly the blocks added
 * (live_covers): another writer's blocks, or a rollup of ours by another writer, and the blocks
 * are read back as before; so are they after a table or the list of blocks filled, and after a
 * transaction of the writer rolled back (wl_rollup_forget). The sums of a block are the same
 * either way: its rows in the order the block keeps them (the encoder sorts them in place).
 *
 * A read-only handle cannot write: wl_rollup_collect adds the pending blocks up in the same
 * tables for the readers to add to what they read (store_read.c), as long as they fit.
 */
#include <stdlib.h>
#include <string.h>

#include "common/wl_err.h"
#include "common/wl_hash.h"
#include "store/app_hourly.h"
#include "store/flow_pack.h"
#include "store/store_int.h"

#define SMALL_SLOTS 4096u

typedef wl_roll_drop roll_drop;
typedef wl_roll_app roll_app;

typedef struct roll_ctx {
  uint64_t tag; /* ctx id */
  uint64_t filter;
  uint64_t drop;
} roll_ctx;

_Static_assert(sizeof(wl_roll_flow) % 8 == 0 && sizeof(roll_drop) % 8 == 0, "wl_htab entries");

struct wl_rollup_buf {
  wl_block_codec codec;
  wl_block_row rows[WL_STORE_BLOCK_MAX];
};

void wl_rollup_free(wl_rollup *r) {
  if (!r)
    return;
  wl_htab_free(&r->flows);
  wl_htab_free(&r->drops);
  wl_htab_free(&r->apps);
  wl_htab_free(&r->ctx);
  wl_app_hourly_free(r->hourly);
  free(r->used);
  free(r->pairs);
  if (r->buf) {
    wl_block_codec_free(&r->buf->codec);
    free(r->buf);
  }
  memset(r, 0, sizeof *r);
}

static int roll_init(wl_store *s) {
  wl_rollup *r = &s->roll;
  if (r->buf)
    return WL_OK;
  if (wl_htab_init(&r->flows, WL_STORE_ROLLUP_SLOTS, sizeof(wl_roll_flow)) != WL_OK ||
      wl_htab_init(&r->drops, SMALL_SLOTS, sizeof(roll_drop)) != WL_OK ||
      wl_htab_init(&r->apps, SMALL_SLOTS, sizeof(roll_app)) != WL_OK ||
      wl_htab_init(&r->ctx, SMALL_SLOTS, sizeof(roll_ctx)) != WL_OK ||
      !(r->used = malloc(WL_STORE_ROLLUP_SLOTS * sizeof *r->used)) ||
      !(r->pairs = malloc(WL_STORE_ROLLUP_SLOTS * 2 * sizeof *r->pairs)) ||
      !(r->buf = calloc(1, sizeof *r->buf)) || wl_block_codec_init(&r->buf->codec) != WL_OK) {
    wl_rollup_free(r);
    return wl_err(WL_E_NOMEM, "%s: no memory for the rollups", s->path);
  }
  return WL_OK;
}

/* ---------------------------------------------------------------- adding up */

/* The filter and action of context id (the filter is 0 when the event had none). */
static int ctx_info(wl_store *s, uint64_t id, const roll_ctx **out) {
  wl_htab *t = &s->roll.ctx;
  uint32_t slot = wl_htab_find(t, id, NULL, NULL);
  if (slot != WL_HTAB_NONE) {
    *out = wl_htab_entry(t, slot);
    return WL_OK;
  }
  sqlite3_stmt *st = wl_st(s, ST_CTX_INFO);
  if (!st)
    return WL_E_DB;
  wl_store_bind_u64(st, 1, id);
  int rc = sqlite3_step(st);
  int64_t bits = rc == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 0;
  uint64_t filter = rc == SQLITE_ROW ? wl_store_col_u64(st, 1) : 0;
  sqlite3_reset(st);
  if (rc != SQLITE_ROW)
    return rc == SQLITE_DONE ? wl_err(WL_E_CORRUPT, "%s: an event block names context %llu, "
                                      "which is not in ctx", s->path, (unsigned long long)id)
                             : wl_store_sqlerr(s, rc, "reading an event context");
  if (wl_htab_full(t))
    wl_htab_clear(t);
  wl_htab_add(t, id, NULL, NULL, &slot);
  roll_ctx *c = wl_htab_entry(t, slot);
  int type = (int)(bits >> 4 & 15);
  c->filter = filter;
  c->drop = type == WL_EVT_DROP || type == WL_EVT_CAP_DROP;
  *out = c;
  return WL_OK;
}

static int drop_eq(const void *e, const void *k) {
  const roll_drop *d = e;
  const uint64_t *key = k;
  return d->hour == key[0] && d->filter == key[1];
}

/* 1 when it did not fit (the caller writes the totals out, or gives up). born: the row's flow
 * was born in its block, which added the block's events to the flow and its app already
 * (pending.born_lo/born_hi, store_write.c): only the drops count it. */
static int add_row(wl_rollup *r, const wl_block_row *row, const roll_ctx *c, int born) {
  if ((!born && wl_htab_full(&r->flows)) || (c->drop && wl_htab_full(&r->drops)))
    return 1;
  uint32_t slot;
  int fresh;
  if (!born) {
    fresh = wl_htab_add(&r->flows, row->flow, NULL, NULL, &slot);
    wl_roll_flow *f = wl_htab_entry(&r->flows, slot);
    if (fresh == 1) {
      r->used[r->nused++] = slot;
      f->count = 0;
      f->first = f->last = row->ts;
      f->filter = c->filter;
    }
    f->count++;
    if (row->ts < f->first)
      f->first = row->ts;
    if (row->ts >= f->last) {
      f->last = row->ts;
      f->filter = c->filter;
    }
  }
  if (!c->drop)
    return 0;
  uint64_t key[2] = {row->ts / WL_STORE_HOUR_TICKS, c->filter};
  fresh = wl_htab_add(&r->drops, wl_hash_bytes(key, sizeof key), key, drop_eq, &slot);
  roll_drop *d = wl_htab_entry(&r->drops, slot);
  if (fresh == 1) {
    d->hour = key[0];
    d->filter = key[1];
    d->count = 0;
  }
  d->count++;
  return 0;
}

/* ---------------------------------------------------------------- writing out */

static int apps_out(wl_store *s) {
  wl_htab *t = &s->roll.apps;
  for (uint32_t i = 0; i < wl_htab_slots(t); i++) {
    if (!wl_htab_used(t, i))
      continue;
    roll_app *a = wl_htab_entry(t, i);
    sqlite3_stmt *st = wl_st(s, ST_APP_ADD);
    if (!st)
      return WL_E_DB;
    wl_store_bind_u64(st, 1, a->tag);
    wl_store_bind_u64(st, 2, a->allowed);
    wl_store_bind_u64(st, 3, a->blocked);
    sqlite3_bind_int64(st, 4, 0);
    wl_store_bind_u64(st, 5, a->first);
    wl_store_bind_u64(st, 6, a->last);
    int rc = wl_store_step_done(s, st, "adding to app totals");
    if (rc != WL_OK)
      return rc;
  }
  if (t->n)
    wl_htab_clear(t);
  return WL_OK;
}

static int app_add(wl_store *s, uint64_t app, int drop, const wl_roll_flow *f) {
  wl_htab *t = &s->roll.apps;
  int rc;
  if (wl_htab_full(t) && (rc = apps_out(s)) != WL_OK)
    return rc;
  uint32_t slot;
  int fresh = wl_htab_add(t, app, NULL, NULL, &slot); /* app ids start at 1 */
  roll_app *a = wl_htab_entry(t, slot);
  if (fresh == 1) {
    a->allowed = a->blocked = 0;
    a->first = f->first;
    a->last = f->last;
  }
  *(drop ? &a->blocked : &a->allowed) += f->count;
  a->first = f->first < a->first ? f->first : a->first;
  a->last = f->last > a->last ? f->last : a->last;
  return WL_OK;
}

static void flows_clear(wl_rollup *r) {
  if (r->flows.ent)
    wl_htab_clear_slots(&r->flows, r->used, r->nused);
  r->nused = 0;
}

/* The used slots of the flow table in the order of the ids their entries hold. Each is packed
 * as id << SLOT_BITS | slot into the first half of pairs and radix-sorted on the id's bits,
 * RADIX bits a pass, through the second half (qsort of (id, slot) pairs cost 95M more
 * instructions over 1M events of issue 16's stress stream, 1.7 % of the store's). An id too large for the packing (never: ids count
 * flows) loses its top bits: the order is then only partly by id, the slots are all still there. */
#define SLOT_BITS 18
#define RADIX 11
_Static_assert(WL_STORE_ROLLUP_SLOTS <= 1u << SLOT_BITS, "a slot fits the packing");

static void sort_used(wl_rollup *r) {
  uint64_t *a = r->pairs, *b = r->pairs + WL_STORE_ROLLUP_SLOTS, top = 0;
  uint32_t n = r->nused;
  for (uint32_t i = 0; i < n; i++) {
    uint64_t id = ((const wl_roll_flow *)wl_htab_entry(&r->flows, r->used[i]))->tag;
    a[i] = id << SLOT_BITS | r->used[i];
    top |= a[i];
  }
  for (unsigned shift = SLOT_BITS; shift < 64 && (top >> shift); shift += RADIX) {
    uint32_t count[(1u << RADIX) + 1] = {0};
    for (uint32_t i = 0; i < n; i++)
      count[((a[i] >> shift) & ((1u << RADIX) - 1)) + 1]++;
    for (uint32_t d = 1; d <= 1u << RADIX; d++)
      count[d] += count[d - 1];
    for (uint32_t i = 0; i < n; i++)
      b[count[(a[i] >> shift) & ((1u << RADIX) - 1)]++] = a[i];
    uint64_t *t = a;
    a = b;
    b = t;
  }
  for (uint32_t i = 0; i < n; i++)
    r->used[i] = (uint32_t)(a[i] & ((1u << SLOT_BITS) - 1));
}

/* The app and action of flow f (owners.h: what the write path recorded, else read from
 * flow_pack). */
static int flow_owner(wl_store *s, uint64_t flow, uint64_t *app, int *drop) {
  wl_owner o;
  int found;
  int rc = wl_owners_get(&s->owners, s->db, s->path, flow, &o, &found);
  if (rc == WL_OK && !found)
    rc = wl_err(WL_E_CORRUPT, "%s: an event block names flow %llu, which is not stored",
                s->path, (unsigned long long)flow);
  *app = found ? (uint64_t)o.app : 0;
  *drop = found && o.drop;
  return rc;
}

/* Each flow's totals added to its packed record (wl_flow_pack_add, store_flow_pack.c: the only
 * home of the totals since schema 12), in id order, the used slots sorted by the id their entry
 * holds (sort_used); and each flow's to its app's. A flow missing from the pack is
 * WL_E_CORRUPT there, one missing from flows in flow_owner (when it has to ask). */
static int flows_out(wl_store *s) {
  wl_htab *t = &s->roll.flows;
  int rc = WL_OK;
  if (s->roll.nused == 0)
    return WL_OK;
  sort_used(&s->roll);
  for (uint32_t i = 0; i < s->roll.nused && rc == WL_OK; i++) {
    const wl_roll_flow *f = wl_htab_entry(t, s->roll.used[i]);
    uint64_t app;
    int drop;
    if ((rc = flow_owner(s, f->tag, &app, &drop)) == WL_OK)
      rc = app_add(s, app, drop, f);
  }
  if (rc == WL_OK)
    rc = wl_flow_pack_add(s, t, s->roll.used, s->roll.nused);
  flows_clear(&s->roll);
  return rc;
}

static int drops_out(wl_store *s) {
  wl_htab *t = &s->roll.drops;
  for (uint32_t i = 0; i < wl_htab_slots(t); i++) {
    if (!wl_htab_used(t, i))
      continue;
    roll_drop *d = wl_htab_entry(t, i);
    sqlite3_stmt *st = wl_st(s, ST_DROP_ADD);
    if (!st)
      return WL_E_DB;
    wl_store_bind_u64(st, 1, d->hour);
    wl_store_bind_u64(st, 2, d->filter);
    wl_store_bind_u64(st, 3, d->count);
    int rc = wl_store_step_done(s, st, "counting drops");
    if (rc != WL_OK)
      return rc;
  }
  if (t->n)
    wl_htab_clear(t);
  return WL_OK;
}

static int all_out(wl_store *s) {
  int rc = flows_out(s);
  if (rc == WL_OK)
    rc = wl_app_hourly_out(s);
  if (rc == WL_OK)
    rc = drops_out(s);
  if (rc == WL_OK)
    rc = apps_out(s);
  return rc;
}

static void roll_clear(wl_rollup *r) {
  flows_clear(r);
  if (r->drops.n)
    wl_htab_clear(&r->drops);
  if (r->apps.n)
    wl_htab_clear(&r->apps);
  wl_app_hourly_clear(r->hourly);
}

/* ---------------------------------------------------------------- the pending blocks */

/* Adds up every pending block; write 1: writes the totals out whenever the tables fill (and
 * at the end), 0: stops at the first that does not fit with *complete = 0. */
static int scan_pending(wl_store *s, int write, int *complete) {
  int rc = roll_init(s);
  if (rc != WL_OK)
    return rc;
  wl_rollup *r = &s->roll;
  roll_clear(r);
  *complete = 1;
  sqlite3_stmt *st = wl_st(s, ST_PENDING_SCAN);
  if (!st)
    return WL_E_DB;
  int sr;
  while (rc == WL_OK && *complete && (sr = sqlite3_step(st)) == SQLITE_ROW) {
    size_t n = 0;
    uint64_t lo = wl_store_col_u64(st, 1), hi = wl_store_col_u64(st, 2);
    rc = wl_block_decode(&r->buf->codec, sqlite3_column_blob(st, 0),
                         (size_t)sqlite3_column_bytes(st, 0), r->buf->rows, &n);
    for (size_t i = 0; i < n && rc == WL_OK; i++) {
      const roll_ctx *c = NULL;
      const wl_block_row *row = &r->buf->rows[i];
      if (i + 8 < n) { /* the flow tables are large: the slots of a row ahead come meanwhile */
        wl_htab_prefetch(&r->flows, row[8].flow);
        wl_owners_prefetch(&s->owners, row[8].flow);
      }
      int born = row->flow >= lo && row->flow < hi;
      if ((rc = ctx_info(s, row->ctx, &c)) != WL_OK ||
          (rc = wl_app_hourly_row(s, row, (int)c->drop, write)) != WL_OK)
        break;
      if (!add_row(r, row, c, born))
        continue;
      if (!write) {
        *complete = 0;
        break;
      }
      if ((rc = all_out(s)) == WL_OK)
        add_row(r, row, c, born); /* fits now */
    }
  }
  if (rc == WL_OK && *complete && sr != SQLITE_DONE)
    rc = wl_store_sqlerr(s, sr, "reading the pending event blocks");
  sqlite3_reset(st);
  return rc;
}

/* ---------------------------------------------------------------- added up as written */

void wl_rollup_forget(wl_store *s) {
  wl_rollup *r = &s->roll;
  roll_clear(r);
  if (r->ctx.n)
    wl_htab_clear(&r->ctx); /* ids read in a transaction that rolled back may come back */
  r->live = 0;
  r->nseq = 0;
}

/* Nothing pending (a rollup just emptied it, or there was nothing): the tables start again,
 * empty, as the sums of no block. */
static void live_start(wl_rollup *r) {
  roll_clear(r);
  r->live = 1;
  r->nseq = 0;
}

int wl_rollup_add_block(wl_store *s, int64_t seq, const wl_block_row *rows, size_t n) {
  wl_rollup *r = &s->roll;
  uint64_t born_lo = s->born_lo, born_hi = s->born_hi;
  int rc = WL_OK;
  if (!r->live)
    return WL_OK;
  if (r->nseq == WL_ROLLUP_LIVE_BLOCKS || (rc = roll_init(s)) != WL_OK)
    goto drop;
  for (size_t i = 0; i < n; i++) {
    const roll_ctx *c = NULL;
    const wl_block_row *row = &rows[i];
    if (i + 8 < n) { /* as scan_pending: the slots of a row ahead come meanwhile */
      wl_htab_prefetch(&r->flows, row[8].flow);
      wl_owners_prefetch(&s->owners, row[8].flow);
    }
    if ((rc = ctx_info(s, row->ctx, &c)) != WL_OK ||
        (rc = wl_app_hourly_row(s, row, (int)c->drop, 0)) != WL_OK)
      goto drop;
    /* a table full: the rollup reads the blocks back instead */
    if (wl_app_hourly_partial(s) || add_row(r, row, c, row->flow >= born_lo && row->flow < born_hi))
      goto drop;
  }
  r->seq[r->nseq++] = seq;
  return WL_OK;
drop: /* the tables may hold part of this block: read the blocks back at the rollup */
  wl_rollup_forget(s);
  return rc; /* a failure fails the batch (SQLite may have rolled its transaction back) */
}

/* 1 when the tables hold exactly the pending blocks (live, and pending lists the blocks added
 * up, no other: another writer's blocks, or a rollup of ours by another writer, say no). */
static int live_covers(wl_store *s, int *yes) {
  wl_rollup *r = &s->roll;
  *yes = 0;
  if (!r->live)
    return WL_OK;
  sqlite3_stmt *st = wl_st(s, ST_PENDING_SEQS);
  if (!st)
    return WL_E_DB;
  uint32_t k = 0;
  int same = 1, sr;
  while ((sr = sqlite3_step(st)) == SQLITE_ROW)
    if (k == r->nseq || sqlite3_column_int64(st, 0) != r->seq[k++]) {
      same = 0;
      break;
    }
  sqlite3_reset(st);
  if (same && sr != SQLITE_DONE)
    return wl_store_sqlerr(s, sr, "listing the pending blocks");
  *yes = same && k == r->nseq;
  return WL_OK;
}

int wl_rollup_run(wl_store *s) {
  int complete, covered = 0, rc = live_covers(s, &covered);
  if (rc == WL_OK && !covered)
    rc = scan_pending(s, 1, &complete);
  if (rc == WL_OK)
    rc = all_out(s);
  sqlite3_stmt *st = rc == WL_OK ? wl_st(s, ST_PENDING_CLEAR) : NULL;
  if (rc == WL_OK)
    rc = st ? wl_store_step_done(s, st, "clearing the pending blocks") : WL_E_DB;
  if (rc != WL_OK)
    wl_rollup_forget(s);
  else if (!s->read_only)
    live_start(&s->roll);
  return rc;
}

/* Read-only: the apps' totals of the pending flows, in s->roll.apps (never written out). */
static int apps_in_memory(wl_store *s, int *complete) {
  wl_rollup *r = &s->roll;
  for (uint32_t i = 0; i < r->nused; i++) {
    const wl_roll_flow *f = wl_htab_entry(&r->flows, r->used[i]);
    wl_owner o;
    int found;
    int rc = wl_owners_get(&s->owners, s->db, s->path, f->tag, &o, &found);
    if (rc != WL_OK || !found)
      return rc;
    uint64_t app = (uint64_t)o.app;
    int drop = o.drop;
    if (wl_htab_full(&r->apps)) {
      *complete = 0;
      return WL_OK;
    }
    if ((rc = app_add(s, app, drop, f)) != WL_OK) /* not full: never writes */
      return rc;
  }
  return WL_OK;
}

int wl_rollup_collect(wl_store *s, int *complete) {
  int rc = scan_pending(s, 0, complete);
  if (rc == WL_OK)
    rc = apps_in_memory(s, complete);
  if (rc != WL_OK)
    roll_clear(&s->roll);
  return rc;
}

static int any_pending(wl_store *s, int *pending) {
  int64_t v = 0;
  sqlite3_stmt *st = wl_st(s, ST_PENDING_ANY);
  int rc = st ? wl_store_step_int64(s, st, &v, "looking for pending blocks") : WL_E_DB;
  *pending = rc == WL_OK && v != 0;
  return rc;
}

int wl_rollup_before_read(wl_store *s, int *pending) {
  int rc = any_pending(s, pending);
  if (rc == WL_OK && !*pending && !s->read_only && !s->roll.live)
    live_start(&s->roll); /* a writer's first look (at open): its blocks are added up from now */
  if (rc != WL_OK || !*pending || s->read_only)
    return rc;
  if ((rc = wl_store_txn_begin(s)) != WL_OK)
    return rc;
  if ((rc = wl_rollup_run(s)) == WL_OK && (rc = wl_store_txn_commit(s)) == WL_OK) {
    *pending = 0;
    s->unrolled = 0;
    s->rolled_ns = wl_time_mono_ns();
    return WL_OK;
  }
  wl_store_txn_abort(s);
  return rc;
}
