/* store_stream.c — the stress stream of issue 16 and SQLite's bulk-insert ceiling for it.
 *
 *   store_stream gen FILE EVENTS [SEED]      a replay file (docs/formats.md "Event stream") of a
 *                                            busy workstation: 300 apps and 5,000 remote hosts,
 *                                            each drawn Zipf (s=1.1) on its own, 20 % drops,
 *                                            10 % of hosts IPv6, 10 % inbound; ~1 ms apart
 *   store_stream write DB EVENTS [SEED]      the same events (generated in memory) through
 *                                            wl_store_write in batches of 8,192
 *                                            (WL_CAPTURE_BATCH): the store's own part of learn
 *   store_stream ceiling DB EVENTS [SEED]    the same events (generated in memory, not parsed)
 *                                            inserted by SQLite itself: one prepared INSERT a
 *                                            row into a plain table (no index), 10,000 rows per
 *                                            transaction, WAL + synchronous=NORMAL
 *   store_stream reopen DB                   a writing open after a writer was killed: the
 *                                            events it left pending and the open's time (the
 *                                            rollup of what a crash leaves)
 * `scripts/bench/store.sh` times `wfplearn learn --source replay:FILE` on the file next to the
 * ceiling, in the same run, and prints the ratio. The generator is deterministic per seed; the
 * ceiling's rows are the stream's own fields (time, app (as an interned id), direction, protocol, remote address
 * and port, local port, action, filter), so both sides write the same information.
 */
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <time.h>

#include "capture/replay.h"
#include "store/store.h"
#include "common/wl_hash.h"
#include "common/wl_text.h"
#include "tests/support/test_store_gen.h"

#define APPS 300
#define HOSTS 5000
#define CEILING_TXN 10000
#define BATCH 8192

/* CPU time of this process: on a shared 2-core machine wall time also measures the others. */
static double cpu_s(void) { return (double)clock() / CLOCKS_PER_SEC; }

typedef struct stream {
  tsg_zipf apps, hosts;
  uint64_t rng, ts;
  uint64_t scale; /* STORE_STREAM_DAYS: events spread over that many days instead of ~1 ms apart */
} stream;

static int stream_init(stream *g, uint64_t seed) {
  memset(g, 0, sizeof *g);
  g->rng = seed;
  g->ts = TSG_T0;
  g->scale = 1;
  return tsg_zipf_init(&g->apps, APPS, 1.1) || tsg_zipf_init(&g->hosts, HOSTS, 1.1);
}

static void stream_free(stream *g) {
  tsg_zipf_free(&g->apps);
  tsg_zipf_free(&g->hosts);
}

static uint64_t hmix(uint64_t x) {
  uint64_t r = x * 0x9e3779b97f4a7c15ull + 77;
  return tsg_next(&r);
}

/* The next event of the stream. App a is "...\appA\binA.exe", run by one user (SYSTEM for one
 * app in ten); host h has a fixed address family (IPv6 for one in ten), service port and,
 * per app, whether it is blocked (so drops are whole flows, 20 % of events on average). */
static void stream_next(stream *g, wl_event *ev) {
  uint32_t a = tsg_zipf_draw(&g->apps, &g->rng), h = tsg_zipf_draw(&g->hosts, &g->rng);
  uint64_t r = tsg_next(&g->rng), hh = hmix(h), ah = hmix(a * 7919u + h);
  static const uint16_t svc[8] = {443, 443, 443, 80, 53, 123, 8080, 5228};
  memset(ev, 0, sizeof *ev);
  g->ts += (1 + r % 20000) * g->scale; /* ~1 ms apart (times scale) */
  ev->ts = g->ts;
  snprintf(ev->app, sizeof ev->app, "\\device\\harddiskvolume3\\program files\\app%u\\bin%u.exe",
           a, a);
  snprintf(ev->app_dos, sizeof ev->app_dos, "C:\\Program Files\\app%u\\bin%u.exe", a, a);
  snprintf(ev->user, sizeof ev->user, "%s",
           a % 10 == 3 ? "S-1-5-18" : "S-1-5-21-3623811015-3361044348-30300820-1013");
  ev->has = WL_HAS_PROTO | WL_HAS_LOCAL_ADDR | WL_HAS_REMOTE_ADDR | WL_HAS_LOCAL_PORT |
            WL_HAS_REMOTE_PORT | WL_HAS_APP | WL_HAS_USER | WL_HAS_IP_VERSION | WL_HAS_FILTER |
            WL_HAS_LAYER | WL_HAS_DIR;
  int v6 = hh % 10 == 0, in = (r >> 20) % 10 == 0;
  ev->ip_version = v6 ? 6 : 4;
  if (v6) {
    static const uint8_t pre[6] = {0x26, 0x06, 0x47, 0x00, 0x00, 0x10};
    memcpy(ev->remote_addr, pre, sizeof pre);
    memcpy(ev->remote_addr + 8, &hh, 8);
    static const uint8_t me6[16] = {0x20, 0x01, 0x0d, 0xb8, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x23};
    memcpy(ev->local_addr, me6, 16);
  } else {
    ev->remote_addr[0] = (uint8_t)(13 + (hh >> 8) % 200);
    memcpy(ev->remote_addr + 1, (const uint8_t *)&hh + 2, 3);
    static const uint8_t me4[4] = {192, 168, 1, 23};
    memcpy(ev->local_addr, me4, 4);
  }
  ev->dir = in ? WL_DIR_IN : WL_DIR_OUT;
  ev->proto = svc[hh >> 40 & 7] == 53 || svc[hh >> 40 & 7] == 123 ? 17 : 6;
  uint16_t eph = (uint16_t)(49152 + (r >> 32) % 16384);
  ev->remote_port = in ? eph : svc[hh >> 40 & 7];
  ev->local_port = in ? (uint16_t)(445 + (hh >> 50 & 3)) : eph;
  int drop = ah % 5 == 0;
  ev->type = drop ? WL_EVT_DROP : WL_EVT_ALLOW;
  ev->filter_id = drop ? 70000 + (ah >> 8 & 3) : 65000 + (ah >> 12 & 7);
  ev->layer_id = (uint16_t)(in ? (v6 ? WL_LAYER_ALE_AUTH_RECV_ACCEPT_V6
                                     : WL_LAYER_ALE_AUTH_RECV_ACCEPT_V4)
                               : (v6 ? WL_LAYER_ALE_AUTH_CONNECT_V6 : WL_LAYER_ALE_AUTH_CONNECT_V4));
  ev->origin = WL_ORIGIN_LIVE;
}

static int cmd_gen(const char *path, uint64_t n, uint64_t seed) {
  stream g;
  FILE *f = fopen(path, "wb");
  if (!f || stream_init(&g, seed))
    return fprintf(stderr, "store_stream: cannot write %s\n", path), 2;
  static char line[WL_REPLAY_LINE_MAX];
  wl_event ev;
  for (uint64_t i = 0; i < n; i++) {
    stream_next(&g, &ev);
    size_t len = wl_replay_format(&ev, line, sizeof line);
    if (fwrite(line, 1, len, f) != len)
      return fprintf(stderr, "store_stream: write %s failed\n", path), 2;
  }
  stream_free(&g);
  return fclose(f) == 0 ? 0 : 2;
}

/* SQLite's ceiling: the same events as rows of their fields, one prepared INSERT each. */
static int cmd_ceiling(const char *db, uint64_t n, uint64_t seed) {
  char q[1100];
  sqlite3 *h = NULL;
  sqlite3_stmt *st = NULL;
  stream g;
  wl_event *ev = malloc(CEILING_TXN * sizeof *ev);
  remove(db);
  snprintf(q, sizeof q, "%s-wal", db);
  remove(q);
  if (!ev || stream_init(&g, seed) || sqlite3_open(db, &h) != SQLITE_OK ||
      sqlite3_exec(h, "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;"
                      "CREATE TABLE events(ts INTEGER, app INTEGER, dir INTEGER, proto INTEGER,"
                      " remote BLOB, remote_port INTEGER, local_port INTEGER, action INTEGER,"
                      " filter INTEGER)", NULL, NULL, NULL) != SQLITE_OK ||
      sqlite3_prepare_v2(h, "INSERT INTO events VALUES(?1,?2,?3,?4,?5,?6,?7,?8,?9)", -1, &st,
                         NULL) != SQLITE_OK)
    return fprintf(stderr, "store_stream: ceiling: %s\n", h ? sqlite3_errmsg(h) : "no memory"), 2;
  double secs = 0, cpu = 0;
  for (uint64_t done = 0; done < n;) {
    size_t k = n - done < CEILING_TXN ? (size_t)(n - done) : CEILING_TXN;
    for (size_t i = 0; i < k; i++) /* generated outside the timed part */
      stream_next(&g, &ev[i]);
    uint64_t t = wl_time_mono_ns();
    double c = cpu_s();
    sqlite3_exec(h, "BEGIN", NULL, NULL, NULL);
    for (size_t i = 0; i < k; i++) {
      const wl_event *e = &ev[i];
      sqlite3_bind_int64(st, 1, (sqlite3_int64)e->ts);
      sqlite3_bind_int64(st, 2, (sqlite3_int64)wl_hash_bytes(e->app, strlen(e->app)) >> 48); /* an interned app id */
      sqlite3_bind_int(st, 3, e->dir);
      sqlite3_bind_int(st, 4, e->proto);
      sqlite3_bind_blob(st, 5, e->remote_addr, e->ip_version == 4 ? 4 : 16, SQLITE_STATIC);
      sqlite3_bind_int(st, 6, e->remote_port);
      sqlite3_bind_int(st, 7, e->local_port);
      sqlite3_bind_int(st, 8, e->type);
      sqlite3_bind_int64(st, 9, (sqlite3_int64)e->filter_id);
      if (sqlite3_step(st) != SQLITE_DONE)
        return fprintf(stderr, "store_stream: insert: %s\n", sqlite3_errmsg(h)), 2;
      sqlite3_reset(st);
    }
    if (sqlite3_exec(h, "COMMIT", NULL, NULL, NULL) != SQLITE_OK)
      return fprintf(stderr, "store_stream: commit: %s\n", sqlite3_errmsg(h)), 2;
    secs += (double)(wl_time_mono_ns() - t) / 1e9;
    cpu += cpu_s() - c;
    done += k;
  }
  sqlite3_finalize(st);
  sqlite3_close(h);
  printf("ceiling %llu rows %.3f s %.0f rows/s wall, %.3f s CPU\n", (unsigned long long)n, secs,
         (double)n / secs, cpu);
  free(ev);
  stream_free(&g);
  return 0;
}

/* The store's part: the same events through wl_store_write, batches of BATCH, timed there. */
static int cmd_write(const char *db, uint64_t n, uint64_t seed) {
  char q[1100];
  stream g;
  wl_store *s = NULL;
  wl_event *ev = malloc(BATCH * sizeof *ev);
  remove(db);
  snprintf(q, sizeof q, "%s-wal", db);
  remove(q);
  if (!ev || stream_init(&g, seed) || wl_store_open(db, NULL, &s) != WL_OK)
    return fprintf(stderr, "store_stream: write: %s\n", wl_errmsg()), 2;
  const char *days = getenv("STORE_STREAM_DAYS"); /* e.g. 7: a week, for review's stability */
  if (days && n)
    g.scale = 1 + strtoull(days, NULL, 10) * 86400ull * 10000000ull / (n * 10000ull);
  double secs = 0, cpu = 0;
  for (uint64_t done = 0; done < n;) {
    size_t k = n - done < BATCH ? (size_t)(n - done) : BATCH;
    for (size_t i = 0; i < k; i++)
      stream_next(&g, &ev[i]);
    uint64_t t = wl_time_mono_ns();
    double c = cpu_s();
    if (wl_store_write(s, ev, k, NULL) != WL_OK)
      return fprintf(stderr, "store_stream: write: %s\n", wl_errmsg()), 2;
    secs += (double)(wl_time_mono_ns() - t) / 1e9;
    cpu += cpu_s() - c;
    done += k;
  }
  uint64_t t = wl_time_mono_ns();
  double c = cpu_s();
  wl_store_close(s); /* the last rollup */
  secs += (double)(wl_time_mono_ns() - t) / 1e9;
  cpu += cpu_s() - c;
  wl_store_opts ro = {.read_only = 1};
  wl_store_stats st;
  if (wl_store_open(db, &ro, &s) != WL_OK || wl_store_stats_get(s, &st) != WL_OK)
    return fprintf(stderr, "store_stream: reopen: %s\n", wl_errmsg()), 2;
  wl_store_close(s);
  printf("store %llu events %.3f s %.0f events/s wall, %.3f s CPU; %llu flows, "
         "%.1f bytes/event\n", (unsigned long long)n, secs, (double)n / secs, cpu,
         (unsigned long long)st.flows, (double)st.db_bytes / (double)st.events);
  free(ev);
  stream_free(&g);
  return 0;
}

/* What a crash costs: a writing open of DB (a writer was killed), which rolls up what the
 * killed writer left pending; prints the events pending before and the open's time. */
static int cmd_reopen(const char *db) {
  sqlite3 *h = NULL;
  sqlite3_stmt *st = NULL;
  long long pending = -1;
  if (sqlite3_open_v2(db, &h, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK &&
      sqlite3_prepare_v2(h, "SELECT coalesce(sum(b.n), 0) FROM pending p JOIN blocks b "
                            "ON b.seq=p.seq", -1, &st, NULL) == SQLITE_OK &&
      sqlite3_step(st) == SQLITE_ROW)
    pending = sqlite3_column_int64(st, 0);
  sqlite3_finalize(st);
  sqlite3_close(h);
  wl_store *s = NULL;
  uint64_t t = wl_time_mono_ns();
  double c = cpu_s();
  if (wl_store_open(db, NULL, &s) != WL_OK)
    return fprintf(stderr, "store_stream: reopen: %s\n", wl_errmsg()), 2;
  printf("reopen: %lld events were pending; open (with their rollup) %.3f s wall, %.3f s "
         "CPU\n", pending, (double)(wl_time_mono_ns() - t) / 1e9, cpu_s() - c);
  wl_store_close(s);
  return 0;
}

int main(int argc, char **argv) {
  uint64_t seed = argc > 4 ? strtoull(argv[4], NULL, 10) : 16;
  if (argc >= 4 && strcmp(argv[1], "gen") == 0)
    return cmd_gen(argv[2], strtoull(argv[3], NULL, 10), seed);
  if (argc >= 4 && strcmp(argv[1], "write") == 0)
    return cmd_write(argv[2], strtoull(argv[3], NULL, 10), seed);
  if (argc >= 3 && strcmp(argv[1], "reopen") == 0)
    return cmd_reopen(argv[2]);
  if (argc >= 4 && strcmp(argv[1], "ceiling") == 0)
    return cmd_ceiling(argv[2], strtoull(argv[3], NULL, 10), seed);
  fprintf(stderr, "usage: store_stream gen FILE EVENTS [SEED]\n"
                  "       store_stream write DB EVENTS [SEED]\n"
                  "       store_stream ceiling DB EVENTS [SEED]\n"
                  "       store_stream reopen DB\n");
  return 1;
}
