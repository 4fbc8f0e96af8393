/* test_evtlog.c — issue 19, item 2: the Security log as a second live source.
 *
 *  - one record, one parser: the sim's 5156/5157 XML for an attempt goes through
 *    wl_import_event_xml (the evtxml importer) and comes back as that attempt;
 *  - the sim models Windows' audit gate: no 5156/5157 unless "Filtering Platform Connection" is
 *    audited, no 5152 unless "Packet Drop" is; the policy outlives the handle (machine state);
 *  - fallback: allow events suppressed → the self-check reports blindness within its settling
 *    time, the capture falls back to the Security log, and the allowed traffic is recorded;
 *    --no-fallback: it is not;
 *  - both sources on (allow events back after the fallback, drops all along, 5157 + 5152):
 *    every connection is stored once, the twins counted as duplicates;
 *  - the audit policy: restored after stop; after a crash (the saved policy in the store) by the
 *    next start's stop and by `uninstall`'s wl_capture_restore_saved_options;
 *  - `--source eventlog` alone records the traffic and leaves WFP's options as they were;
 *  - item 3: blind and without fallback, the connections the tables showed in two reads are
 *    recorded as held, table-only (no event covers them), review's section lists them and
 *    review --json has one "held" element each, after the proposals.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "capture/capture.h"
#include "common/wl_err.h"
#include "common/wl_os.h"
#include "common/wl_text.h"
#include "engine/evtlog.h"
#include "engine/sim/sim.h"
#include "import/import.h"
#include "cli/cli.h"
#include "ui/report.h"
#include "store/held.h"
#include "store/store.h"
#include "tests/support/test_files.h"
#include "tests/support/test_log.h"

#define SETTLE_MS 300u

typedef struct fixture {
  char db[1024], state[1024], spec[1100];
  wl_store *store;
  wl_engine *e; /* the side: classifies, reads the audit policy */
  wl_test_log log;
} fixture;

static void fx_init(fixture *f, const char *name) {
  char n[128], audit[1200];
  memset(f, 0, sizeof *f);
  wl_test_log_init(&f->log);
  snprintf(n, sizeof n, "evtlog_%s.db", name);
  wl_test_path(f->db, sizeof f->db, n);
  snprintf(n, sizeof n, "evtlog_%s.state", name);
  wl_test_path(f->state, sizeof f->state, n);
  snprintf(f->spec, sizeof f->spec, "sim:%s", f->state);
  snprintf(audit, sizeof audit, "%s.audit", f->state);
  remove(audit);
  wl_test_remove_db(f->db);
  wl_test_remove_state(f->state);
  assert_int_equal(wl_store_open(f->db, NULL, &f->store), WL_OK);
  assert_int_equal(wl_engine_open(f->spec, 0, &f->e), WL_OK);
}

static void fx_done(fixture *f) {
  wl_test_log_done(&f->log);
  char audit[1200];
  snprintf(audit, sizeof audit, "%s.audit", f->state);
  wl_engine_close(f->e);
  wl_store_close(f->store);
  wl_test_remove_db(f->db);
  wl_test_remove_state(f->state);
  remove(audit);
}

static uint32_t audit(fixture *f, int sub) {
  uint32_t v = 99;
  assert_int_equal(wl_engine_audit_get(f->e, sub, &v), WL_OK);
  return v;
}

static void attempt(wl_engine *e, const char *dir, const char *remote, int port,
                    wl_decision *d) {
  char line[320];
  wl_attempt a;
  snprintf(line, sizeof line,
           "{\"ts\":\"2026-11-02T10:00:00Z\",\"app\":\"C:\\\\x\\\\b.exe\",\"dir\":\"%s\","
           "\"proto\":\"tcp\",\"local\":\"10.0.0.5:%d\",\"remote\":\"%s\"}",
           dir, port, remote);
  assert_int_equal(wl_sim_parse_attempt(line, strlen(line), &a), WL_OK);
  assert_int_equal(wl_sim_classify(e, &a, d), WL_OK);
}

/* n outbound (allowed by default) and n inbound (blocked by default) connections */
static void traffic(fixture *f, int first, int n) {
  wl_decision d;
  char remote[64];
  for (int i = first; i < first + n; i++) {
    snprintf(remote, sizeof remote, "1.2.3.%d:443", i);
    attempt(f->e, "out", remote, 50000 + i, &d);
    assert_int_equal(d.action, WL_ACTION_PERMIT);
    snprintf(remote, sizeof remote, "1.2.4.%d:5555", i);
    attempt(f->e, "in", remote, 6000 + i, &d);
    assert_int_equal(d.action, WL_ACTION_BLOCK);
  }
  assert_int_equal(wl_sim_drain(f->e, 10000), WL_OK);
}

static wl_capture *start(fixture *f, const char *source, int no_fallback, int drops) {
  wl_capture_opts o;
  memset(&o, 0, sizeof o);
  o.source = source;
  o.engine_spec = f->spec;
  o.selfcheck_settle_ms = SETTLE_MS;
  o.parse_evtxml = wl_import_event_xml;
  o.no_fallback = no_fallback;
  o.audit_drops = drops;
  o.log = wl_test_log_keep;
  o.log_ctx = &f->log;
  wl_capture *c = NULL;
  assert_int_equal(wl_capture_start(&o, f->store, &c), WL_OK);
  return c;
}

/* Wait up to ms until pred holds on the stats. */
#define WAIT_FOR(c, st, pred, ms)                                                        \
  do {                                                                                   \
    for (unsigned t_ = 0; t_ < (ms); t_ += 10) {                                         \
      wl_capture_stats_get((c), &(st));                                                  \
      if (pred)                                                                          \
        break;                                                                           \
      wl_sleep_ms(10);                                                                   \
    }                                                                                    \
    wl_capture_stats_get((c), &(st));                                                    \
  } while (0)

/* ---- one record, one parser ---- */

typedef struct grab {
  char xml[WL_EVTLOG_XML_MAX];
  size_t len;
} grab;

static void test_record_parses(void **state) {
  (void)state;
  fixture f;
  fx_init(&f, "one");
  wl_evtlog *s = NULL;
  wl_decision d;
  grab g;
  assert_int_equal(wl_engine_evtlog_open(f.e, &s), WL_OK);
  attempt(f.e, "out", "1.2.3.4:443", 50001, &d); /* not audited: nothing written */
  assert_int_equal(wl_engine_evtlog_next(f.e, s, g.xml, sizeof g.xml, &g.len, 50), WL_E_TIMEOUT);
  wl_err_clear();
  assert_int_equal(wl_engine_audit_set(f.e, WL_AUDIT_FP_CONNECTION, WL_AUDIT_SUCCESS), WL_OK);
  attempt(f.e, "out", "1.2.3.4:443", 50001, &d);
  attempt(f.e, "in", "1.2.3.9:4444", 6001, &d); /* blocked: failure not audited */
  assert_int_equal(wl_engine_evtlog_next(f.e, s, g.xml, sizeof g.xml, &g.len, 1000), WL_OK);
  assert_int_equal(wl_engine_evtlog_next(f.e, s, g.xml + 0, 8, &g.len, 50), WL_E_TIMEOUT);
  wl_err_clear();
  attempt(f.e, "out", "1.2.3.4:443", 50001, &d);
  assert_int_equal(wl_engine_evtlog_next(f.e, s, g.xml, sizeof g.xml, &g.len, 1000), WL_OK);
  wl_event ev;
  uint32_t id = 0;
  char why[128];
  assert_int_equal(wl_import_event_xml(g.xml, g.len, NULL, &ev, &id, why, sizeof why), 1);
  assert_int_equal(id, 5156);
  assert_int_equal(ev.type, WL_EVT_ALLOW);
  assert_int_equal(ev.dir, WL_DIR_OUT);
  assert_int_equal(ev.proto, 6);
  assert_int_equal(ev.remote_port, 443);
  assert_int_equal(ev.local_port, 50001);
  assert_memory_equal(ev.remote_addr, "\x01\x02\x03\x04", 4);
  assert_memory_equal(ev.local_addr, "\x0a\x00\x00\x05", 4);
  assert_string_equal(ev.app, "\\device\\harddiskvolume3\\x\\b.exe");
  assert_int_equal(ev.layer_id, WL_LAYER_ALE_AUTH_CONNECT_V4);
  /* the policy is the machine's: another handle sees it; failures and packet drops now */
  wl_engine *e2 = NULL;
  uint32_t v = 0;
  assert_int_equal(wl_engine_open(f.spec, 0, &e2), WL_OK);
  assert_int_equal(wl_engine_audit_get(e2, WL_AUDIT_FP_CONNECTION, &v), WL_OK);
  assert_int_equal(v, WL_AUDIT_SUCCESS);
  assert_int_equal(wl_engine_audit_set(e2, WL_AUDIT_FP_CONNECTION, 3), WL_OK);
  assert_int_equal(wl_engine_audit_set(e2, WL_AUDIT_FP_PACKET_DROP, WL_AUDIT_FAILURE), WL_OK);
  wl_engine_close(e2);
  attempt(f.e, "in", "1.2.3.9:4444", 6001, &d);
  assert_int_equal(wl_engine_evtlog_next(f.e, s, g.xml, sizeof g.xml, &g.len, 1000), WL_OK);
  assert_int_equal(wl_import_event_xml(g.xml, g.len, NULL, &ev, &id, why, sizeof why), 1);
  assert_int_equal(id, 5157);
  assert_int_equal(ev.type, WL_EVT_DROP);
  assert_int_equal(ev.dir, WL_DIR_IN);
  assert_int_equal(ev.local_port, 6001);
  assert_int_equal(wl_engine_evtlog_next(f.e, s, g.xml, sizeof g.xml, &g.len, 1000), WL_OK);
  assert_int_equal(wl_import_event_xml(g.xml, g.len, NULL, &ev, &id, why, sizeof why), 1);
  assert_int_equal(id, 5152);
  /* a record that is not one of ours: skipped with a reason */
  assert_int_equal(wl_import_event_xml("<Event><System><EventID>4688</EventID></System></Event>",
                                       55, NULL, &ev, &id, why, sizeof why), 0);
  assert_true(why[0] != 0);
  wl_engine_evtlog_close(f.e, s);
  fx_done(&f);
}

/* ---- fallback ---- */

static void test_fallback_records_allowed_traffic(void **state) {
  (void)state;
  fixture f;
  fx_init(&f, "fallback");
  assert_int_equal(wl_sim_suppress_allow(f.e, 1), WL_OK);
  uint64_t t0 = wl_time_mono_ns();
  wl_capture *c = start(&f, "wfp", 0, 0);
  wl_capture_stats st;
  traffic(&f, 1, 3); /* before the fallback: 3 drops only (allow events suppressed) */
  WAIT_FOR(c, st, st.blind && st.evtlog, 10 * SETTLE_MS);
  assert_int_equal(st.blind, 1);
  assert_int_equal(st.evtlog, 1);
  printf("# blind and falling back after %llu ms (settling time %u ms)\n",
         (unsigned long long)((wl_time_mono_ns() - t0) / 1000000u), SETTLE_MS);
  assert_true(wl_test_logged(&f.log, "blind to allowed traffic since"));
  assert_true(wl_test_logged(&f.log, "falling back to the Security log"));
  assert_int_equal(audit(&f, WL_AUDIT_FP_CONNECTION), 3);
  traffic(&f, 10, 4); /* 4 allowed (Security log only), 4 blocked (both: once) */
  WAIT_FOR(c, st, st.events >= 3 + 8 && st.duplicates >= 4, 5000);
  assert_int_equal(st.events, 3 + 8);
  assert_int_equal(st.duplicates, 4);
  assert_int_equal(st.allow_events, 0); /* still blind as far as WFP goes: said so */
  assert_int_equal(wl_capture_stop(c), WL_OK);
  wl_capture_destroy(c);
  assert_int_equal(audit(&f, WL_AUDIT_FP_CONNECTION), 0); /* restored at stop */
  char buf[64] = "x";
  assert_int_equal(wl_store_meta_get(f.store, WL_META_EVTLOG_SINCE, buf, sizeof buf), WL_OK);
  assert_true(strlen(buf) >= 20); /* status: "seclog ... read since T" */
  assert_int_equal(wl_store_meta_get(f.store, WL_META_SAVED_AUDIT, buf, sizeof buf), WL_OK);
  assert_string_equal(buf, "");
  wl_store_stats ss;
  assert_int_equal(wl_store_stats_get(f.store, &ss), WL_OK);
  fx_done(&f);
}

static void test_no_fallback(void **state) {
  (void)state;
  fixture f;
  fx_init(&f, "nofallback");
  assert_int_equal(wl_sim_suppress_allow(f.e, 1), WL_OK);
  wl_capture *c = start(&f, "wfp", 1, 0);
  wl_capture_stats st;
  traffic(&f, 1, 2);
  WAIT_FOR(c, st, st.blind, 10 * SETTLE_MS);
  assert_int_equal(st.blind, 1);
  wl_sleep_ms(200);
  wl_capture_stats_get(c, &st);
  assert_int_equal(st.evtlog, 0);
  assert_int_equal(audit(&f, WL_AUDIT_FP_CONNECTION), 0); /* never touched */
  assert_int_equal(wl_capture_stop(c), WL_OK);
  wl_capture_destroy(c);
  fx_done(&f);
}

/* ---- both sources: once ---- */

static void test_both_sources_count_once(void **state) {
  (void)state;
  fixture f;
  fx_init(&f, "both");
  assert_int_equal(wl_sim_suppress_allow(f.e, 1), WL_OK);
  wl_capture *c = start(&f, "wfp", 0, 1); /* 5152 too: a blocked connection is logged twice */
  wl_capture_stats st;
  traffic(&f, 1, 1);
  WAIT_FOR(c, st, st.evtlog, 10 * SETTLE_MS);
  assert_int_equal(st.evtlog, 1);
  assert_int_equal(audit(&f, WL_AUDIT_FP_PACKET_DROP), WL_AUDIT_FAILURE);
  assert_int_equal(wl_sim_suppress_allow(f.e, 0), WL_OK); /* WFP's allow events are back */
  uint64_t before = st.events;
  traffic(&f, 20, 5); /* each: WFP allow + 5156; WFP drop + 5157 + 5152 */
  WAIT_FOR(c, st, st.events >= before + 10 && st.duplicates >= 15, 5000);
  wl_sleep_ms(300); /* anything counted twice would arrive by now */
  wl_capture_stats_get(c, &st);
  assert_int_equal(st.events, before + 10);
  assert_int_equal(st.duplicates, 15);
  assert_int_equal(wl_capture_stop(c), WL_OK);
  wl_capture_destroy(c);
  assert_int_equal(audit(&f, WL_AUDIT_FP_CONNECTION), 0);
  assert_int_equal(audit(&f, WL_AUDIT_FP_PACKET_DROP), 0);
  fx_done(&f);
}

/* ---- the audit policy after a crash, and `uninstall` ---- */

static void test_audit_restored_after_crash(void **state) {
  (void)state;
  fixture f;
  fx_init(&f, "crash");
  /* a run that died: it found success-only auditing, saved it, and left both bits set */
  assert_int_equal(wl_engine_audit_set(f.e, WL_AUDIT_FP_CONNECTION, 3), WL_OK);
  assert_int_equal(wl_store_meta_set(f.store, WL_META_SAVED_AUDIT, "conn=1 drop=-"), WL_OK);
  wl_capture *c = start(&f, "eventlog", 0, 0); /* the next start keeps the saved value */
  assert_true(wl_test_logged(&f.log, "did not stop cleanly (conn=1 drop=-)"));
  assert_int_equal(audit(&f, WL_AUDIT_FP_CONNECTION), 3);
  assert_int_equal(wl_capture_stop(c), WL_OK);
  wl_capture_destroy(c);
  assert_int_equal(audit(&f, WL_AUDIT_FP_CONNECTION), WL_AUDIT_SUCCESS);
  /* and `uninstall` (no start in between) */
  assert_int_equal(wl_engine_audit_set(f.e, WL_AUDIT_FP_CONNECTION, 3), WL_OK);
  assert_int_equal(wl_engine_audit_set(f.e, WL_AUDIT_FP_PACKET_DROP, 2), WL_OK);
  assert_int_equal(wl_store_meta_set(f.store, WL_META_SAVED_AUDIT, "conn=0 drop=0"), WL_OK);
  assert_int_equal(wl_capture_restore_saved_options(f.store, f.e), WL_OK);
  assert_int_equal(audit(&f, WL_AUDIT_FP_CONNECTION), 0);
  assert_int_equal(audit(&f, WL_AUDIT_FP_PACKET_DROP), 0);
  char buf[64] = "x";
  assert_int_equal(wl_store_meta_get(f.store, WL_META_SAVED_AUDIT, buf, sizeof buf), WL_OK);
  assert_string_equal(buf, "");
  assert_int_equal(wl_capture_restore_saved_options(f.store, f.e), WL_OK); /* nothing left */
  /* a value that does not parse is said, not guessed */
  assert_int_equal(wl_store_meta_set(f.store, WL_META_SAVED_AUDIT, "conn=x"), WL_OK);
  assert_int_equal(wl_capture_restore_saved_audit(f.store, f.e), WL_E_CORRUPT);
  fx_done(&f);
}

/* ---- --source eventlog alone ---- */

static void test_eventlog_source(void **state) {
  (void)state;
  fixture f;
  fx_init(&f, "source");
  uint32_t collect = 7;
  assert_int_equal(wl_engine_get_option(f.e, WL_OPT_COLLECT_NET_EVENTS, &collect), WL_OK);
  wl_capture *c = start(&f, "eventlog", 0, 0);
  wl_capture_stats st;
  traffic(&f, 1, 3);
  assert_int_equal(wl_sim_evtlog_inject(f.e, "<Event><broken"), WL_OK); /* skipped, said */
  WAIT_FOR(c, st, st.events >= 6 && st.malformed >= 1, 5000);
  assert_int_equal(st.events, 6);
  assert_int_equal(st.malformed, 1);
  assert_int_equal(st.evtlog_records, 7);
  assert_true(wl_test_logged(&f.log, "Security log: record skipped"));
  uint32_t now = 9;
  assert_int_equal(wl_engine_get_option(f.e, WL_OPT_COLLECT_NET_EVENTS, &now), WL_OK);
  assert_int_equal(now, collect); /* WFP's options are not ours to touch here */
  assert_int_equal(wl_capture_stop(c), WL_OK);
  wl_capture_destroy(c);
  assert_int_equal(audit(&f, WL_AUDIT_FP_CONNECTION), 0);
  fx_done(&f);
}

/* ---- item 3: the connection tables are evidence ---- */

static void test_held_table_only(void **state) {
  (void)state;
  fixture f;
  fx_init(&f, "held");
  assert_int_equal(wl_sim_suppress_allow(f.e, 1), WL_OK);
  wl_capture *c = start(&f, "wfp", 1, 0);
  traffic(&f, 1, 3); /* 3 allowed connections open (no event), 3 blocked (drop events) */
  wl_sleep_ms(3 * SETTLE_MS + 200); /* tables read every SETTLE_MS: at least two reads */
  assert_int_equal(wl_capture_stop(c), WL_OK);
  wl_capture_destroy(c);
  wl_held_counts k;
  assert_int_equal(wl_store_held_counts(f.store, &k), WL_OK);
  assert_int_equal(k.held, 3);
  assert_int_equal(k.table_only, 3);
  assert_int_equal(k.programs, 1);
  char out[4096] = "";
  FILE *m = tmpfile();
  assert_non_null(m);
  wl_cli_print_held(m, f.store);
  rewind(m);
  size_t got = fread(out, 1, sizeof out - 1, m);
  out[got] = 0;
  fclose(m);
  assert_non_null(strstr(out, "Seen only in the connection tables"));
  assert_non_null(strstr(out, "C:\\x\\b.exe"));
  assert_non_null(strstr(out, "1.2.3.1:443"));
  /* status: the count, in --json (and /api/status) too */
  wl_status x;
  memset(&x, 0, sizeof x);
  assert_int_equal(wl_status_load(f.db, 0, &x), WL_OK);
  assert_int_equal(x.held.table_only, 3);
  m = tmpfile();
  wl_report_status(m, f.db, &x, NULL);
  rewind(m);
  got = fread(out, 1, sizeof out - 1, m);
  out[got] = 0;
  fclose(m);
  assert_non_null(strstr(out, "\"held\":{\"connections\":3,\"table_only\":3,\"programs\":1}"));
  /* review --json: one "held" element each, after the proposals (ui/report_held.c) */
  char big[16384] = "";
  m = tmpfile();
  assert_non_null(m);
  wl_cli cli = {.db_path = f.db, .engine_spec = f.spec, .out = m, .err = stderr};
  char *argv[] = {"review", "--json", NULL};
  assert_int_equal(wl_cmd_review(&cli, 2, argv), WL_OK);
  rewind(m);
  got = fread(big, 1, sizeof big - 1, m);
  big[got] = 0;
  fclose(m);
  assert_true(got > 2 && big[0] == '[' && !strcmp(big + got - 2, "]\n"));
  size_t nheld = 0;
  for (const char *p = big; (p = strstr(p, "{\"kind\":\"held\"")) != NULL; p++)
    nheld++;
  assert_int_equal(nheld, 3);
  const char *h1 = strstr(big, "\"remote\":\"1.2.3.1\",\"remote_port\":443");
  assert_non_null(h1);
  assert_non_null(strstr(big, "{\"kind\":\"held\",\"app\":\"C:\\\\x\\\\b.exe\",\"state\":"
                              "\"established\",\"proto\":6,\"ip_version\":4,\"local_port\":50001,"));
  assert_non_null(strstr(h1, "\"flags\":[\"table-only\"]}"));
  assert_null(strstr(strstr(big, "{\"kind\":\"held\""), "\"promotable\"")); /* proposals first */
  fx_done(&f);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_record_parses),
      cmocka_unit_test(test_fallback_records_allowed_traffic),
      cmocka_unit_test(test_no_fallback),
      cmocka_unit_test(test_both_sources_count_once),
      cmocka_unit_test(test_audit_restored_after_crash),
      cmocka_unit_test(test_eventlog_source),
      cmocka_unit_test(test_held_table_only),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
