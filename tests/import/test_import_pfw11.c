/* test_import_pfw11.c — Windows 11's pfirewall.log shape (issue 17 item 3): the header names 18
 * columns, but lines leave the "-" placeholders out and end in a pid:
 *
 *   date time action protocol src-ip dst-ip [src-port dst-port [size]] path pid
 *
 * Written from that description (no real log of this shape may be copied here). The importer
 * anchors on the path token (SEND/RECEIVE/FORWARD) when a line's columns do not match the
 * header; what still cannot be read is reported as file:line. Exact counts, and importing the
 * same file twice into a store adds nothing. Also: a Security-log 5156 with FilterRTID 0.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "common/wl_err.h"
#include "import/import.h"
#include "store/store.h"
#include "tests/support/test_files.h"

#define HEAD                                                                                   \
  "#Version: 1.5\n#Software: Microsoft Windows Firewall\n#Time Format: Local\n"               \
  "#Fields: date time action protocol src-ip dst-ip src-port dst-port size tcpflags tcpsyn "  \
  "tcpack tcpwin icmptype icmpcode info path pid\n\n"

/* 12 records: 9 in the new shape, 1 in the old full shape, 1 events-lost line, 1 unreadable. */
static const char text[] =
    HEAD
    "2025-03-04 09:15:01 ALLOW TCP 192.168.1.20 140.82.112.3 50412 443 0 SEND 6120\n"   /* 6 */
    "2025-03-04 09:15:01 ALLOW UDP 192.168.1.20 192.168.1.1 61000 53 SEND 2412\n"       /* 7 */
    "2025-03-04 09:15:02 DROP TCP 203.0.113.9 192.168.1.20 51515 3389 60 RECEIVE 4\n"  /* 8 */
    "2025-03-04 09:15:02 DROP UDP fe80::1 ff02::fb 5353 5353 RECEIVE 0\n"              /* 9 */
    "2025-03-04 09:15:03 ALLOW ICMP 192.168.1.20 1.1.1.1 SEND 6120\n"                   /* 10 */
    "2025-03-04 09:15:03 ALLOW ICMP 2001:db8::5 2001:db8::1 8 0 SEND 6120\n"            /* 11 */
    "2025-03-04 09:15:04 ALLOW TCP 192.168.1.20 10.0.0.8 50413 445 FORWARD 4\n"        /* 12 */
    "2025-03-04 09:15:04 ALLOW TCP 192.168.1.20 10.0.0.8 50414 445 0 SEND\n"           /* 13 */
    "2025-03-04 09:15:05 INFO-EVENTS-LOST 17\n"                                         /* 14 */
    "2025-03-04 09:15:05 DROP UDP 192.168.1.30 224.0.0.251 5353 5353 73 - - - - - - - "
    "RECEIVE 0\n"                                                                       /* 15 */
    "2025-03-04 09:15:06 ALLOW TCP 192.168.1.20 10.0.0.8 50415 SEND 6120\n"            /* 16 */
    "2025-03-04 09:15:06 ALLOW TCP 192.168.1.20 140.82.112.3 50416 443 0 SEND 6120\n"; /* 17 */

typedef struct got {
  wl_event ev[16];
  size_t n;
} got;

static int sink(void *ctx, const wl_import_rec *r) {
  got *g = ctx;
  if (g->n < 16)
    g->ev[g->n] = r->ev;
  g->n++;
  return WL_OK;
}

static void test_shape(void **state) {
  (void)state;
  wl_import_opts o = {.format = WL_IMPORT_PFIREWALL};
  wl_import_stats st;
  got g = {0};
  memset(&st, 0, sizeof st);
  assert_int_equal(wl_import_buffer(&o, "w11.log", text, strlen(text), sink, &g, &st), WL_OK);
  assert_int_equal(st.read, 12);
  assert_int_equal(st.delivered, 10);
  assert_int_equal(st.anchored, 10); /* 9 records + the events-lost line */
  assert_int_equal(st.lost_lines, 1);
  assert_int_equal(st.events_lost, 17);
  assert_int_equal(st.malformed, 1);
  assert_int_equal(st.nproblems, 1);
  if (!strstr(st.problems[0], "w11.log:16: "))
    fail_msg("problem: %s", st.problems[0]);
  /* line 6: outbound TCP, src local */
  assert_int_equal(g.ev[0].dir, WL_DIR_OUT);
  assert_int_equal(g.ev[0].proto, 6);
  assert_int_equal(g.ev[0].local_port, 50412);
  assert_int_equal(g.ev[0].remote_port, 443);
  assert_int_equal(g.ev[0].type, WL_EVT_ALLOW);
  /* line 7: no size column */
  assert_int_equal(g.ev[1].remote_port, 53);
  /* line 8: inbound drop, dst local */
  assert_int_equal(g.ev[2].dir, WL_DIR_IN);
  assert_int_equal(g.ev[2].type, WL_EVT_DROP);
  assert_int_equal(g.ev[2].local_port, 3389);
  assert_int_equal(g.ev[2].remote_port, 51515);
  /* line 10/11: ICMP without ports; ICMP over IPv6 is ICMPv6 */
  assert_false(g.ev[4].has & (WL_HAS_LOCAL_PORT | WL_HAS_REMOTE_PORT));
  assert_int_equal(g.ev[5].proto, 58);
  /* line 12: FORWARD has no direction */
  assert_int_equal(g.ev[6].dir, WL_DIR_UNKNOWN);
  /* line 13: no pid */
  assert_int_equal(g.ev[7].remote_port, 445);
  /* line 15: the full shape still reads by the header */
  assert_int_equal(g.ev[8].local_port, 5353);
  assert_int_equal(g.ev[9].local_port, 50416);
}

/* Into a store: 10 imported, then the same file again: 0 imported, 10 duplicates. */
static void test_store_twice(void **state) {
  (void)state;
  char db[512], log[512];
  wl_test_path(db, sizeof db, "pfw11.db");
  wl_test_path(log, sizeof log, "pfw11.log");
  wl_test_remove_db(db);
  wl_test_write_file(log, text);
  wl_store *s = NULL;
  assert_int_equal(wl_store_open(db, NULL, &s), WL_OK);
  wl_import_opts o = {.format = WL_IMPORT_PFIREWALL};
  wl_import_stats st;
  memset(&st, 0, sizeof st);
  assert_int_equal(wl_import_to_store(s, &o, log, &st), WL_OK);
  assert_int_equal(st.imported, 10);
  assert_int_equal(st.duplicate, 0);
  memset(&st, 0, sizeof st);
  assert_int_equal(wl_import_to_store(s, &o, log, &st), WL_OK);
  assert_int_equal(st.imported, 0);
  assert_int_equal(st.duplicate, 10);
  wl_store_close(s);
  wl_test_remove_db(db);
  remove(log);
}

/* A 5156 whose FilterRTID is 0 (no filter named) is a permitted connection, not malformed. */
static void test_filter_rtid_zero(void **state) {
  (void)state;
  static const char line[] =
      "{\"EventID\":5156,\"TimeCreated\":\"2025-03-04T09:15:01.000Z\",\"Hostname\":\"H\","
      "\"Direction\":\"%%14593\",\"SourceAddress\":\"10.0.0.1\",\"SourcePort\":\"50000\","
      "\"DestAddress\":\"10.0.0.2\",\"DestPort\":\"443\",\"Protocol\":\"6\","
      "\"FilterRTID\":\"0\",\"LayerRTID\":\"48\",\"Application\":\"System\"}\n";
  wl_import_opts o = {.format = WL_IMPORT_SECJSON};
  wl_import_stats st;
  got g = {0};
  memset(&st, 0, sizeof st);
  assert_int_equal(wl_import_buffer(&o, "s.jsonl", line, strlen(line), sink, &g, &st), WL_OK);
  assert_int_equal(st.delivered, 1);
  assert_int_equal(st.malformed, 0);
  assert_int_equal(g.ev[0].type, WL_EVT_ALLOW);
  assert_false(g.ev[0].has & WL_HAS_FILTER);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_shape),
      cmocka_unit_test(test_store_twice),
      cmocka_unit_test(test_filter_rtid_zero),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
