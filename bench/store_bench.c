/* store_bench.c — how fast the store writes and answers review, and what a week costs on disk.
 *
 *   store_bench write DB EVENTS FLOWS zipf|uniform [BATCH]   events/s through wl_store_write
 *   store_bench week DB EVENTS [FLOWS] [BATCH]                EVENTS spread over 7 days with the
 *                                                             default retention: bytes per event
 *   store_bench txcost DB EVENTS FLOWS SMALL BIG              the cost of one more transaction
 *                                                             (batches of SMALL vs of BIG)
 *   store_bench query DB                                      time of each review query
 *   store_bench sqlite DB EVENTS [BATCH]                      reference: SQLite's own bulk insert
 *                                                             into our events table (same rows,
 *                                                             WAL, synchronous=NORMAL)
 *   store_bench sqlite-upsert DB EVENTS FLOWS [BATCH]         reference for many flows: SQLite's
 *                                                             upsert + event insert per row
 * BATCH defaults to 2048 (WL_CAPTURE_BATCH, what the consumer writes). Events are generated
 * before each batch is timed; only the store call is measured, in wall time and in CPU time of
 * this process (the machine is shared). One line per measurement.
 */
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/wl_err.h"
#include "common/wl_os.h"
#include "common/wl_text.h"
#include "store/store.h"
#include "tests/support/test_store_gen.h"

#define WEEK_TICKS (7ull * 86400ull * 10000000ull)

static double now_s(void) { return (double)wl_time_mono_ns() / 1e9; }
/* CPU time of this process: on a shared 2-core machine wall time also measures the others. */
static double cpu_s(void) { return (double)clock() / CLOCKS_PER_SEC; }

static void remove_db(const char *p) {
  char q[1100];
  remove(p);
  snprintf(q, sizeof q, "%s-wal", p);
  remove(q);
  snprintf(q, sizeof q, "%s-shm", p);
  remove(q);
}

static int die(const char *what) {
  fprintf(stderr, "store_bench: %s: %s\n", what, wl_errmsg());
  return 2;
}

/* Writes `events` events over `flows` flows (Zipf s=1.1 or uniform), timestamps spread evenly
 * over `span` ticks; returns the seconds spent inside wl_store_write. */
static int run_writes(wl_store *s, uint64_t events, uint32_t flows, int zipf, size_t batch,
                      uint64_t span, double *secs, double *cpu) {
  tsg_zipf z = {0};
  if (zipf && tsg_zipf_init(&z, flows, 1.1))
    return wl_err(WL_E_NOMEM, "zipf table");
  wl_event *ev = malloc(batch * sizeof *ev);
  uint64_t rng = 1, step = span / (events ? events : 1);
  uint32_t napps = flows / 10 > 500 ? 500 : (flows / 10 ? flows / 10 : 1); /* a workstation */
  int rc = ev ? WL_OK : wl_err(WL_E_NOMEM, "batch");
  *secs = *cpu = 0;
  for (uint64_t done = 0; rc == WL_OK && done < events;) {
    size_t n = events - done < batch ? (size_t)(events - done) : batch;
    for (size_t i = 0; i < n; i++) {
      uint32_t f = zipf ? tsg_zipf_draw(&z, &rng) : (uint32_t)(tsg_next(&rng) % flows);
      tsg_flow_event(f, napps, TSG_T0 + (done + i) * step, &rng, &ev[i]);
    }
    double t = now_s(), c = cpu_s();
    rc = wl_store_write(s, ev, n, NULL);
    *secs += now_s() - t;
    *cpu += cpu_s() - c;
    done += n;
  }
  free(ev);
  tsg_zipf_free(&z);
  return rc;
}

/* A fresh store, `events` events over `flows` flows in one day of time (retention never
 * prunes: the pure write path); seconds inside wl_store_write, wall and CPU. */
static int timed_write(const char *db, uint64_t events, uint32_t flows, int zipf, size_t batch,
                       double *secs, double *cpu, wl_store_stats *st) {
  wl_store *s = NULL;
  remove_db(db);
  if (wl_store_open(db, NULL, &s) != WL_OK)
    return die(db);
  int rc = run_writes(s, events, flows, zipf, batch, WEEK_TICKS / 7, secs, cpu);
  if (rc != WL_OK || wl_store_stats_get(s, st) != WL_OK)
    rc = die("write");
  wl_store_close(s);
  return rc;
}

static int cmd_write(const char *db, uint64_t events, uint32_t flows, int zipf, size_t batch) {
  double secs, cpu;
  wl_store_stats st;
  if (timed_write(db, events, flows, zipf, batch, &secs, &cpu, &st))
    return 2;
  printf("write %s %llu events over %u flows, batch %zu: %.0f events/s wall (%.2f s), "
         "%.0f events/s of CPU (%.2f s); %llu flows stored, %.1f bytes/event\n",
         zipf ? "zipf" : "uniform", (unsigned long long)events, flows, batch, events / secs,
         secs, events / cpu, cpu, (unsigned long long)st.flows,
         (double)st.db_bytes / (double)st.events_kept);
  return 0;
}

/* What one more transaction costs with a realistic flows table: the same events (Zipf over
 * `flows`) written in batches of `small` and of `big`; the difference in time over the
 * difference in transactions. A batch rewrites every flows page it touches, so this cost
 * grows with the table, not with the batch. */
static int cmd_txcost(const char *db, uint64_t events, uint32_t flows, size_t small, size_t big) {
  double ws, cs, wb, cb;
  wl_store_stats st;
  if (timed_write(db, events, flows, 1, small, &ws, &cs, &st) ||
      timed_write(db, events, flows, 1, big, &wb, &cb, &st))
    return 2;
  double extra = (double)((events + small - 1) / small) - (double)((events + big - 1) / big);
  printf("transaction cost: %llu events over %u flows (zipf): batch %zu %.2f s wall (%.2f CPU), "
         "batch %zu %.2f s wall (%.2f CPU): %.2f ms wall, %.2f ms CPU per extra transaction\n",
         (unsigned long long)events, flows, small, ws, cs, big, wb, cb, (ws - wb) / extra * 1e3,
         (cs - cb) / extra * 1e3);
  return 0;
}

static int cmd_week(const char *db, uint64_t events, uint32_t flows, size_t batch) {
  wl_store *s = NULL;
  double secs, cpu;
  remove_db(db);
  if (wl_store_open(db, NULL, &s) != WL_OK)
    return die(db);
  int rc = run_writes(s, events, flows, 1, batch, WEEK_TICKS, &secs, &cpu);
  wl_store_stats st;
  if (rc != WL_OK || wl_store_stats_get(s, &st) != WL_OK)
    return die("week");
  wl_store_close(s);
  s = NULL;
  if (wl_store_open(db, NULL, &s) != WL_OK || wl_store_stats_get(s, &st) != WL_OK)
    return die("reopen");
  printf("week %llu events over %u flows (zipf), batch %zu: %.0f events/s wall, %.0f of CPU; "
         "kept %llu events, %llu flows, %llu apps; %llu bytes on disk = %.1f bytes/event\n",
         (unsigned long long)events, flows, batch, events / secs, events / cpu,
         (unsigned long long)st.events_kept,
         (unsigned long long)st.flows, (unsigned long long)st.apps,
         (unsigned long long)st.db_bytes, (double)st.db_bytes / (double)st.events_kept);
  wl_store_close(s);
  return 0;
}

/* ---------------------------------------------------------------- queries */

typedef struct qctx {
  uint64_t n;
  int64_t top_app;
} qctx;

static int q_app(void *c, const wl_app_summary *a) {
  qctx *q = c;
  if (q->n++ == 0)
    q->top_app = a->app_id;
  return 0;
}
static int q_flow(void *c, const wl_flow *f) {
  (void)f;
  ((qctx *)c)->n++;
  return 0;
}
static int q_drop(void *c, const wl_drop_summary *d) {
  (void)d;
  ((qctx *)c)->n++;
  return 0;
}
static int q_hour(void *c, const wl_app_hour *h) {
  (void)h;
  ((qctx *)c)->n++;
  return 0;
}
typedef struct q_apps {
  int64_t id[4096];
  size_t n;
} q_apps;
static int q_app_id(void *c, const wl_app_summary *a) {
  q_apps *q = c;
  if (q->n < sizeof q->id / sizeof q->id[0])
    q->id[q->n++] = a->app_id;
  return 0;
}
/* Every app's timeline, both directions, over the week before `last` (what ui/timeline.c asks). */
static int q_timelines(wl_store *s, uint64_t last, qctx *c) {
  static q_apps apps;
  uint64_t week = 7ull * 86400ull * 10000000ull;
  apps.n = 0;
  int rc = wl_store_apps(s, 0, q_app_id, &apps);
  for (size_t i = 0; rc == WL_OK && i < apps.n; i++)
    for (int d = WL_DIR_IN; rc == WL_OK && d <= WL_DIR_OUT; d++)
      rc = wl_store_app_hours(s, apps.id[i], d, last > week ? last - week : 0, last + 1, q_hour, c);
  return rc;
}
static int q_event(void *c, const wl_event *e) {
  (void)e;
  ((qctx *)c)->n++;
  return 0;
}

/* The review queries, then (Q_EVENTS_HOUR) a walk of raw events: what the backtest (dry-run)
 * and the SID lookups of promote read, not review; timed for them. The page's timeline reads
 * the hourly counts (Q_TIMELINE_ALL: every app and direction's week, as many answers as the
 * page can ask for). */
enum { Q_STATS, Q_APPS, Q_APPS_DAY, Q_FLOWS_TOP, Q_FLOWS_ALL_DAY, Q_FLOWS_ALL, Q_DROPS,
       Q_DROPS_DAY, Q_TIMELINE_TOP, Q_TIMELINE_ALL, Q_EVENTS_HOUR, Q_N };
static const char *const qname[Q_N] = {
    "status (stats)", "apps (per-app summary, all)", "apps seen in the last day",
    "endpoints of the busiest app", "flows of every app, last day", "flows of every app, all",
    "drops by filter, all", "drops by filter, last day", "timeline of the busiest app (week)",
    "timeline of every app and dir (week)", "raw events, last hour (backtest path)"};

static int run_query(wl_store *s, int q, uint64_t last, qctx *c) {
  wl_store_stats st;
  uint64_t day = last - 86400ull * 10000000ull, hour = last - 3600ull * 10000000ull;
  switch (q) {
  case Q_STATS: return wl_store_stats_get(s, &st);
  case Q_APPS: return wl_store_apps(s, 0, q_app, c);
  case Q_APPS_DAY: return wl_store_apps(s, day, q_app, c);
  case Q_FLOWS_TOP: return wl_store_flows(s, c->top_app, 0, q_flow, c);
  case Q_FLOWS_ALL_DAY: return wl_store_flows(s, -1, day, q_flow, c);
  case Q_FLOWS_ALL: return wl_store_flows(s, -1, 0, q_flow, c);
  case Q_DROPS: return wl_store_drops_by_filter(s, 0, q_drop, c);
  case Q_DROPS_DAY: return wl_store_drops_by_filter(s, day, q_drop, c);
  case Q_TIMELINE_TOP:
    return wl_store_app_hours(s, c->top_app, WL_DIR_OUT, last - 7 * (last - day), last + 1,
                              q_hour, c);
  case Q_TIMELINE_ALL: return q_timelines(s, last, c);
  default: return wl_store_events(s, hour, 0, q_event, c);
  }
}

static int cmd_query(const char *db) {
  wl_store_opts o = {.read_only = 1};
  wl_store *s = NULL;
  wl_store_stats st;
  if (wl_store_open(db, &o, &s) != WL_OK || wl_store_stats_get(s, &st) != WL_OK)
    return die(db);
  qctx top = {0};
  wl_store_apps(s, 0, q_app, &top);
  for (int q = 0; q < Q_N; q++) {
    double best = 1e9, worst = 0;
    uint64_t rows = 0;
    for (int rep = 0; rep < 5; rep++) {
      qctx c = {.top_app = top.top_app};
      double t = now_s();
      if (run_query(s, q, st.last_ts, &c) != WL_OK)
        return die(qname[q]);
      t = now_s() - t;
      best = t < best ? t : best;
      worst = t > worst ? t : worst;
      rows = c.n;
    }
    printf("query %-32s %8.2f ms (worst of 5: %8.2f ms), %llu rows\n", qname[q], best * 1e3,
           worst * 1e3, (unsigned long long)rows);
  }
  wl_store_close(s);
  return 0;
}

/* ---------------------------------------------------------------- reference */

/* Rows shaped like the store's events (same table definition), inserted with one reused
 * statement, one transaction per batch, WAL + synchronous=NORMAL: the ceiling for our write. */
static int sqlite_open_ref(const char *db, sqlite3 **h, sqlite3_stmt **st) {
  remove_db(db);
  if (sqlite3_open(db, h) != SQLITE_OK ||
      sqlite3_exec(*h, "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;"
                       "PRAGMA wal_autocheckpoint=4000; PRAGMA journal_size_limit=16777216;"
                       "CREATE TABLE events(ts INTEGER NOT NULL, id INTEGER NOT NULL,"
                       " flow INTEGER NOT NULL, port INTEGER, ctx INTEGER NOT NULL,"
                       " PRIMARY KEY(ts, id)) WITHOUT ROWID",
                   NULL, NULL, NULL) != SQLITE_OK ||
      sqlite3_prepare_v2(*h, "INSERT INTO events VALUES(?1,?2,?3,?4,?5)", -1, st, NULL) !=
          SQLITE_OK) {
    fprintf(stderr, "store_bench: sqlite: %s\n", sqlite3_errmsg(*h));
    return 2;
  }
  return 0;
}

/* Rows shaped like the store's events (the same table), inserted with one reused statement,
 * one transaction per batch, WAL + synchronous=NORMAL: the ceiling for our write path. */
static int cmd_sqlite(const char *db, uint64_t events, size_t batch) {
  sqlite3 *h = NULL;
  sqlite3_stmt *st = NULL;
  if (sqlite_open_ref(db, &h, &st))
    return 2;
  uint64_t rng = 1;
  double t = now_s(), c = cpu_s();
  for (uint64_t i = 0; i < events; i++) {
    if (i % batch == 0)
      sqlite3_exec(h, i ? "COMMIT; BEGIN" : "BEGIN", NULL, NULL, NULL);
    uint64_t r = tsg_next(&rng);
    sqlite3_bind_int64(st, 1, (sqlite3_int64)(TSG_T0 + i * 1000));
    sqlite3_bind_int64(st, 2, (sqlite3_int64)i);
    sqlite3_bind_int64(st, 3, (sqlite3_int64)(r % 2000));
    sqlite3_bind_int(st, 4, (int)(r >> 20 & 16383) + 16384);
    sqlite3_bind_int(st, 5, 1 + (int)(r >> 40 & 7));
    if (sqlite3_step(st) != SQLITE_DONE)
      return fprintf(stderr, "store_bench: insert: %s\n", sqlite3_errmsg(h)), 2;
    sqlite3_reset(st);
  }
  sqlite3_exec(h, "COMMIT", NULL, NULL, NULL);
  t = now_s() - t;
  c = cpu_s() - c;
  printf("sqlite reference: %llu rows, batch %zu, WAL+NORMAL, one prepared INSERT: %.0f rows/s "
         "wall (%.2f s), %.0f rows/s of CPU (%.2f s)\n", (unsigned long long)events, batch,
         events / t, t, events / c, c);
  sqlite3_finalize(st);
  sqlite3_close(h);
  return 0;
}

/* Reference for many distinct flows: per row, SQLite's own upsert into a table keyed like our
 * flows (WITHOUT ROWID, the same key columns) plus the event row, uniform over `flows` keys,
 * one transaction per batch: the ceiling for the wide case without any coalescing. */
static int cmd_sqlite_upsert(const char *db, uint64_t events, uint32_t flows, size_t batch) {
  sqlite3 *h = NULL;
  sqlite3_stmt *st = NULL, *up = NULL;
  if (sqlite_open_ref(db, &h, &st))
    return 2;
  if (sqlite3_exec(h, "CREATE TABLE flows(app INTEGER, dir INTEGER, proto INTEGER, ipv INTEGER,"
                      " addr BLOB, rport INTEGER, lport INTEGER, action INTEGER, id INTEGER,"
                      " count INTEGER, first INTEGER, last INTEGER, filter INTEGER,"
                      " PRIMARY KEY(app,dir,proto,ipv,addr,rport,lport,action)) WITHOUT ROWID",
                   NULL, NULL, NULL) != SQLITE_OK ||
      sqlite3_prepare_v2(h, "INSERT INTO flows VALUES(?1,2,6,4,?2,443,0,2,?3,1,?4,?4,65000) "
                            "ON CONFLICT DO UPDATE SET count=count+1, last=excluded.last "
                            "RETURNING id", -1, &up, NULL) != SQLITE_OK)
    return fprintf(stderr, "store_bench: sqlite: %s\n", sqlite3_errmsg(h)), 2;
  uint64_t rng = 1;
  double t = now_s(), c = cpu_s();
  for (uint64_t i = 0; i < events; i++) {
    if (i % batch == 0)
      sqlite3_exec(h, i ? "COMMIT; BEGIN" : "BEGIN", NULL, NULL, NULL);
    uint32_t f = (uint32_t)(tsg_next(&rng) % flows);
    uint8_t addr[4] = {10, (uint8_t)(f >> 16), (uint8_t)(f >> 8), (uint8_t)f};
    sqlite3_bind_int(up, 1, (int)(f % 500));
    sqlite3_bind_blob(up, 2, addr, 4, SQLITE_TRANSIENT);
    sqlite3_bind_int64(up, 3, (sqlite3_int64)i);
    sqlite3_bind_int64(up, 4, (sqlite3_int64)(TSG_T0 + i * 1000));
    int rc = sqlite3_step(up);
    sqlite3_int64 id = sqlite3_column_int64(up, 0);
    sqlite3_reset(up);
    sqlite3_bind_int64(st, 1, (sqlite3_int64)(TSG_T0 + i * 1000));
    sqlite3_bind_int64(st, 2, (sqlite3_int64)i);
    sqlite3_bind_int64(st, 3, id);
    sqlite3_bind_int(st, 4, 1000);
    sqlite3_bind_int(st, 5, 1);
    if (rc != SQLITE_ROW || sqlite3_step(st) != SQLITE_DONE)
      return fprintf(stderr, "store_bench: upsert: %s\n", sqlite3_errmsg(h)), 2;
    sqlite3_reset(st);
  }
  sqlite3_exec(h, "COMMIT", NULL, NULL, NULL);
  t = now_s() - t;
  c = cpu_s() - c;
  printf("sqlite upsert reference: %llu rows over %u keys (uniform), batch %zu: %.0f rows/s "
         "wall (%.2f s), %.0f rows/s of CPU (%.2f s)\n", (unsigned long long)events, flows,
         batch, events / t, t, events / c, c);
  sqlite3_finalize(up);
  sqlite3_finalize(st);
  sqlite3_close(h);
  return 0;
}

int main(int argc, char **argv) {
  if (argc >= 5 && strcmp(argv[1], "write") == 0)
    return cmd_write(argv[2], strtoull(argv[3], NULL, 10), (uint32_t)strtoul(argv[4], NULL, 10),
                     argc < 6 || strcmp(argv[5], "uniform") != 0,
                     argc > 6 ? (size_t)strtoul(argv[6], NULL, 10) : 2048);
  if (argc >= 4 && strcmp(argv[1], "week") == 0)
    return cmd_week(argv[2], strtoull(argv[3], NULL, 10),
                    argc > 4 ? (uint32_t)strtoul(argv[4], NULL, 10) : 20000,
                    argc > 5 ? (size_t)strtoul(argv[5], NULL, 10) : 2048);
  if (argc == 7 && strcmp(argv[1], "txcost") == 0)
    return cmd_txcost(argv[2], strtoull(argv[3], NULL, 10), (uint32_t)strtoul(argv[4], NULL, 10),
                      (size_t)strtoul(argv[5], NULL, 10), (size_t)strtoul(argv[6], NULL, 10));
  if (argc == 3 && strcmp(argv[1], "query") == 0)
    return cmd_query(argv[2]);
  if (argc >= 4 && strcmp(argv[1], "sqlite") == 0)
    return cmd_sqlite(argv[2], strtoull(argv[3], NULL, 10),
                      argc > 4 ? (size_t)strtoul(argv[4], NULL, 10) : 2048);
  if (argc >= 5 && strcmp(argv[1], "sqlite-upsert") == 0)
    return cmd_sqlite_upsert(argv[2], strtoull(argv[3], NULL, 10),
                             (uint32_t)strtoul(argv[4], NULL, 10),
                             argc > 5 ? (size_t)strtoul(argv[5], NULL, 10) : 2048);
  fprintf(stderr,
          "usage: store_bench write DB EVENTS FLOWS [zipf|uniform] [BATCH]\n"
          "       store_bench week DB EVENTS [FLOWS] [BATCH]\n"
          "       store_bench txcost DB EVENTS FLOWS SMALL_BATCH BIG_BATCH\n"
          "       store_bench query DB\n"
          "       store_bench sqlite DB EVENTS [BATCH]\n"
          "       store_bench sqlite-upsert DB EVENTS FLOWS [BATCH]\n");
  return 1;
}
