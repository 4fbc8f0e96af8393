/* test_store_held.c — issue 19, item 3: connections seen in the connection tables (store/held.h).
 *  - migration v2 -> v3: a version-2 store (no `held` table) opens, is migrated, keeps its rows;
 *  - notes: a connection seen in two reads is long-lived, one read is not; an entry without an
 *    image is skipped; a stale one-read row is pruned;
 *  - table-only: a held connection no flow covers counts apart (and its program); once an event
 *    of the same program to the same remote endpoint (or inbound to the listener's port) is
 *    stored, it is covered; DOS and NT spellings of the program both match, case-insensitively;
 *  - the coverage worked out in C over flow_pack (store_held_cover.c, schema 11) is the one the
 *    SQL subquery over flows gave, on random rows and flows (addresses ending in zero bytes,
 *    flows without an address, listeners, IPv6, other protocols and ports).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <sqlite3.h>

#include "common/wl_err.h"
#include "common/wl_text.h"
#include "store/held.h"
#include "store/store.h"
#include "tests/support/test_store_util.h"

#define T0 (134000000000000000ULL)

static wl_held conn(const char *app, uint8_t state, uint16_t rport, uint16_t lport) {
  wl_held h;
  memset(&h, 0, sizeof h);
  wl_strlcpy(h.app, app, sizeof h.app);
  h.state = state;
  h.proto = 6;
  h.ip_version = 4;
  h.remote_port = rport;
  h.local_port = lport;
  memcpy(h.remote_addr, "\x01\x02\x03\x04", 4);
  return h;
}

static void test_migrate_v2_to_v3(void **state) {
  (void)state;
  wl_store *s = open_ok(NULL);
  assert_int_equal(wl_store_meta_set(s, "kept", "yes"), WL_OK);
  wl_store_close(s);
  raw_exec(TSU_UNDO_TO_V2 "UPDATE meta SET value=2 WHERE key='schema_version'"); /* as v2 */
  s = open_ok(NULL);
  assert_int_equal(wl_store_schema_version(s), WL_STORE_SCHEMA_VERSION);
  char v[8];
  assert_int_equal(wl_store_meta_get(s, "kept", v, sizeof v), WL_OK);
  assert_string_equal(v, "yes");
  wl_held h = conn("C:\\x\\a.exe", WL_HELD_ESTABLISHED, 443, 50000);
  assert_int_equal(wl_store_held_note(s, &h, 1, T0), WL_OK);
  wl_store_close(s);
  assert_int_equal(raw_int("SELECT count(*) FROM held"), 1);
}

typedef struct seen {
  int n, table_only;
  char app[64];
} seen;

static int count_row(void *ctx, const wl_held *h) {
  seen *x = ctx;
  x->n++;
  x->table_only += h->table_only;
  wl_strlcpy(x->app, h->app, sizeof x->app);
  return 0;
}

static void event_to(wl_event *ev, const char *nt, const char *dos, uint8_t dir) {
  wl_event_clear(ev);
  ev->ts = T0;
  ev->type = WL_EVT_ALLOW;
  ev->dir = dir;
  ev->proto = 6;
  ev->ip_version = 4;
  ev->remote_port = 443;
  ev->local_port = 8080;
  memcpy(ev->remote_addr, "\x01\x02\x03\x04", 4);
  wl_strlcpy(ev->app, nt, sizeof ev->app);
  wl_strlcpy(ev->app_dos, dos, sizeof ev->app_dos);
  ev->has = WL_HAS_PROTO | WL_HAS_REMOTE_ADDR | WL_HAS_REMOTE_PORT | WL_HAS_LOCAL_PORT |
            WL_HAS_APP | WL_HAS_IP_VERSION | WL_HAS_DIR;
}

static void test_table_only(void **state) {
  (void)state;
  wl_store *s = open_ok(NULL);
  wl_held_counts k;
  wl_held h[4] = {conn("C:\\x\\a.exe", WL_HELD_ESTABLISHED, 443, 50000),
                  conn("C:\\x\\srv.exe", WL_HELD_LISTEN, 0, 8080),
                  conn("C:\\x\\short.exe", WL_HELD_ESTABLISHED, 80, 50001),
                  conn("", WL_HELD_ESTABLISHED, 80, 50002)};
  assert_int_equal(wl_store_held_note(s, h, 4, T0), WL_OK);
  assert_int_equal(wl_store_held_counts(s, &k), WL_OK);
  assert_int_equal(k.held, 0); /* one read: not long-lived yet */
  assert_int_equal(wl_store_held_note(s, h, 2, T0 + 10 * 10000000ull), WL_OK);
  assert_int_equal(wl_store_held_counts(s, &k), WL_OK);
  assert_int_equal(k.held, 2);
  assert_int_equal(k.table_only, 2);
  assert_int_equal(k.programs, 2);
  seen x = {0};
  assert_int_equal(wl_store_held_list(s, 1, count_row, &x), WL_OK);
  assert_int_equal(x.n, 2);
  /* an allow event of a.exe (NT path stored, DOS known, other case) to 1.2.3.4:443 covers it */
  wl_event ev;
  event_to(&ev, "\\device\\harddiskvolume3\\x\\a.exe", "c:\\X\\A.exe", WL_DIR_OUT);
  assert_int_equal(wl_store_write(s, &ev, 1, NULL), WL_OK);
  assert_int_equal(wl_store_held_counts(s, &k), WL_OK);
  assert_int_equal(k.held, 2);
  assert_int_equal(k.table_only, 1);
  memset(&x, 0, sizeof x);
  assert_int_equal(wl_store_held_list(s, 1, count_row, &x), WL_OK);
  assert_int_equal(x.n, 1);
  assert_string_equal(x.app, "C:\\x\\srv.exe");
  /* an inbound event to the listener's port covers the listener */
  event_to(&ev, "\\device\\harddiskvolume3\\x\\srv.exe", "C:\\x\\srv.exe", WL_DIR_IN);
  assert_int_equal(wl_store_write(s, &ev, 1, NULL), WL_OK);
  assert_int_equal(wl_store_held_counts(s, &k), WL_OK);
  assert_int_equal(k.table_only, 0);
  memset(&x, 0, sizeof x);
  assert_int_equal(wl_store_held_list(s, 0, count_row, &x), WL_OK);
  assert_int_equal(x.n, 2);
  assert_int_equal(x.table_only, 0);
  /* an hour later the one-read row (short.exe) is pruned, the held ones stay */
  assert_int_equal(raw_int("SELECT count(*) FROM held"), 3);
  assert_int_equal(wl_store_held_note(s, h, 1, T0 + WL_HELD_STALE_TICKS + 20 * 10000000ull),
                   WL_OK);
  assert_int_equal(raw_int("SELECT count(*) FROM held"), 2);
  wl_store_close(s);
}

/* The query wl_store_held_list ran until schema 10 (flows_app), for comparison. */
static const char old_sql[] =
    "SELECT h.app, h.state, h.proto, h.ip_version, h.remote_addr, h.remote_port, h.local_port,"
    " (NOT EXISTS (SELECT 1 FROM flows f JOIN apps a ON a.id=f.app WHERE"
    " (a.path=h.app COLLATE NOCASE OR a.dos_path=h.app COLLATE NOCASE) AND f.proto=h.proto"
    " AND ((f.dir=2 AND f.remote_addr=h.remote_addr AND f.remote_port=h.remote_port)"
    " OR (f.dir=1 AND f.local_port=h.local_port)))) AS t FROM held h WHERE h.reads >= 2";

typedef struct hrow {
  char key[160]; /* t, app, state, proto, ip_version, address, ports: one string */
} hrow;

typedef struct hlist {
  hrow v[400];
  int n, t, sorted; /* t: table-only rows; sorted: in (t DESC, app) order */
} hlist;

static void key_of(hrow *r, int t, const char *app, const wl_held *h) {
  char a[40];
  for (int i = 0; i < 16; i++)
    snprintf(a + 2 * i, 3, "%02x", h->remote_addr[i]);
  snprintf(r->key, sizeof r->key, "%d|%s|%u|%u|%u|%s|%u|%u", !t, app, h->state, h->proto,
           h->ip_version, a, h->remote_port, h->local_port);
}

static int list_row(void *ctx, const wl_held *h) {
  hlist *l = ctx;
  assert_true(l->n < 400);
  key_of(&l->v[l->n++], h->table_only, h->app, h);
  l->t += h->table_only;
  return 0;
}

static int by_key(const void *a, const void *b) { return strcmp(a, b); }

static uint32_t rnd(uint64_t *x) {
  *x = *x * 6364136223846793005ull + 1442695040888963407ull;
  return (uint32_t)(*x >> 33);
}

static void test_same_as_sql(void **state) {
  (void)state;
  static const uint8_t addrs[4][16] = {
      {1, 2, 3, 4}, {10, 0, 0, 0}, {0}, {0x20, 1, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1}};
  static const uint16_t ports[3] = {0, 443, 8080};
  char nt[5][64], dos[5][64]; /* a4.exe: flows, no held row (its records are skipped) */
  for (int i = 0; i < 5; i++) {
    snprintf(nt[i], sizeof nt[i], "\\device\\harddiskvolume3\\p\\a%d.exe", i);
    snprintf(dos[i], sizeof dos[i], "C:\\p\\a%d.exe", i);
  }
  uint64_t x = 7;
  wl_store *s = open_ok(NULL);
  static wl_held h[300];
  for (int i = 0; i < 300; i++) {
    int app = (int)(rnd(&x) % 5), spell = (int)(rnd(&x) % 3);
    h[i] = conn(app == 4 ? "C:\\other.exe" : spell == 0 ? nt[app] : dos[app],
                rnd(&x) % 3 ? WL_HELD_ESTABLISHED : WL_HELD_LISTEN, ports[rnd(&x) % 3],
                ports[rnd(&x) % 3]);
    if (spell == 2) /* another case */
      h[i].app[0] = 'c';
    h[i].proto = rnd(&x) % 4 ? 6 : 17;
    int ad = (int)(rnd(&x) % 4);
    h[i].ip_version = ad == 3 ? 6 : 4;
    memcpy(h[i].remote_addr, addrs[ad], 16);
    if (h[i].state == WL_HELD_LISTEN)
      h[i].remote_port = 0;
  }
  assert_int_equal(wl_store_held_note(s, h, 300, T0), WL_OK);
  assert_int_equal(wl_store_held_note(s, h, 300, T0 + 10000000ull), WL_OK);
  static wl_event ev[120];
  for (int i = 0; i < 120; i++) {
    int app = (int)(rnd(&x) % 5), ad = (int)(rnd(&x) % 4);
    event_to(&ev[i], nt[app], dos[app], rnd(&x) % 2 ? WL_DIR_OUT : WL_DIR_IN);
    ev[i].ts = T0 + (uint64_t)i;
    ev[i].proto = rnd(&x) % 4 ? 6 : 17;
    ev[i].ip_version = ad == 3 ? 6 : 4;
    memcpy(ev[i].remote_addr, addrs[ad], 16);
    ev[i].remote_port = ports[rnd(&x) % 3];
    ev[i].local_port = ports[rnd(&x) % 3];
    if (rnd(&x) % 5 == 0) /* no remote address: an empty blob */
      ev[i].has &= ~(uint32_t)WL_HAS_REMOTE_ADDR;
  }
  for (int round = 0; round < 4; round++) {
    if (round)
      assert_int_equal(wl_store_write(s, ev + 40 * (round - 1), 40, NULL), WL_OK);
    static hlist want, have;
    memset(&want, 0, sizeof want);
    memset(&have, 0, sizeof have);
    sqlite3 *db = NULL;
    sqlite3_stmt *st = NULL;
    assert_int_equal(sqlite3_open_v2(db_path, &db, SQLITE_OPEN_READWRITE, NULL), SQLITE_OK);
    tsu_attach_flows(db); /* flows went in schema 13: the old query reads a copy */
    assert_int_equal(sqlite3_prepare_v2(db, old_sql, -1, &st, NULL), SQLITE_OK);
    while (sqlite3_step(st) == SQLITE_ROW) {
      wl_held r;
      memset(&r, 0, sizeof r);
      r.state = (uint8_t)sqlite3_column_int(st, 1);
      r.proto = (uint8_t)sqlite3_column_int(st, 2);
      r.ip_version = (uint8_t)sqlite3_column_int(st, 3);
      if (sqlite3_column_bytes(st, 4))
        memcpy(r.remote_addr, sqlite3_column_blob(st, 4), (size_t)sqlite3_column_bytes(st, 4));
      r.remote_port = (uint16_t)sqlite3_column_int(st, 5);
      r.local_port = (uint16_t)sqlite3_column_int(st, 6);
      int t = sqlite3_column_int(st, 7);
      key_of(&want.v[want.n++], t, (const char *)sqlite3_column_text(st, 0), &r);
      want.t += t;
    }
    sqlite3_finalize(st);
    sqlite3_close(db);
    assert_int_equal(wl_store_held_list(s, 0, list_row, &have), WL_OK);
    for (int i = 1; i < have.n; i++) /* table-only first, then by program */
      assert_true(strncmp(have.v[i - 1].key, have.v[i].key,
                          (size_t)(strchr(strchr(have.v[i].key, '|') + 1, '|') -
                                   have.v[i].key)) <= 0);
    qsort(want.v, (size_t)want.n, sizeof want.v[0], by_key);
    qsort(have.v, (size_t)have.n, sizeof have.v[0], by_key);
    assert_int_equal(have.n, want.n);
    for (int i = 0; i < want.n; i++)
      assert_string_equal(have.v[i].key, want.v[i].key);
    wl_held_counts k;
    assert_int_equal(wl_store_held_counts(s, &k), WL_OK);
    assert_int_equal(k.held, (uint64_t)want.n);
    assert_int_equal(k.table_only, (uint64_t)want.t);
    uint64_t programs = 0; /* distinct programs of the table-only rows (sorted: "0|app|...") */
    for (int i = 0; i < want.n && want.v[i].key[0] == '0'; i++)
      programs += i == 0 || strncmp(want.v[i].key, want.v[i - 1].key,
                                    (size_t)(strchr(want.v[i].key + 2, '|') - want.v[i].key)) != 0 ||
                  strchr(want.v[i].key + 2, '|') - want.v[i].key !=
                      strchr(want.v[i - 1].key + 2, '|') - want.v[i - 1].key;
    assert_int_equal(k.programs, programs);
    if (round == 0)
      assert_int_equal(k.table_only, k.held);
    if (round == 3)
      assert_true(k.table_only < k.held);
    print_message("round %d: %d held, %d table-only\n", round, want.n, want.t);
  }
  wl_store_close(s);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(test_migrate_v2_to_v3, setup_path, teardown_path),
      cmocka_unit_test_setup_teardown(test_table_only, setup_path, teardown_path),
      cmocka_unit_test_setup_teardown(test_same_as_sql, setup_path, teardown_path),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
