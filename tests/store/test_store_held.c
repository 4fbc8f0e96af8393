/* test_store_held.c — issue 19, item 3: connections seen in the connection tables (store/held.h).
 *  - migration v2 -> v3: a version-2 store (no `held` table) opens, is migrated, keeps its rows;
 *  - notes: a connection seen in two reads is long-lived, one read is not; an entry without an
 *    image is skipped; a stale one-read row is pruned;
 *  - table-only: a held connection no flow covers counts apart (and its program); once an event
 *    of the same program to the same remote endpoint (or inbound to the listener's port) is
 *    stored, it is covered; DOS and NT spellings of the program both match, case-insensitively.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

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

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(test_migrate_v2_to_v3, setup_path, teardown_path),
      cmocka_unit_test_setup_teardown(test_table_only, setup_path, teardown_path),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
