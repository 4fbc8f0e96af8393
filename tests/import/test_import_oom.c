/* test_import_oom.c — the store-backed import under allocation failure (fail_alloc.h): for
 * n = 1, 2, ... the nth allocation (the product's, SQLite's and expat's) fails, once or from
 * then on, while one whole path runs: create a store, import a small Security-log JSON-lines
 * file (NXLog, "2023", nested EventData and Log Analytics shapes: the last goes through expat),
 * a pfirewall.log and an Event XML file, import the JSON file again (all duplicates), read the
 * stats, close. The files are hand-written here (tests/data/real is not needed).
 *
 * For every n: each step returns WL_OK or a clean WL_E_*; an import that says WL_OK counted
 * every record exactly as an import without failures does (nothing silently malformed or
 * lost) and stored the new ones; a failed import stored nothing (each file is one batch);
 * nothing leaks (ASan flavour); and afterwards, with failures off, the store opens with
 * quick_check, holds exactly the records the successful imports reported, and importing the
 * three files again completes it to the same apps and counts as an import without failures.
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
#include "common/wl_os.h"
#include "import/import.h"
#include "store/store.h"
#include "tests/support/fail_alloc.h"

#define MAX_N 100000

/* ---------------------------------------------------------------- the files */

/* Security-log events as JSON lines: NXLog shape (record number: the repeat is one record),
 * the "2023" shape with a DOS path, the fields inside an EventData object, a bind, a truncated
 * line, an event id that is not WFP, and Log Analytics' SecurityEvent row whose EventData is a
 * string of XML. */
static const char secjson[] =
    "{\"EventTime\":\"2021-08-27T13:03:47.002016+05:45\",\"Hostname\":\"IT01.corp.local\","
    "\"EventID\":5156,\"RecordNumber\":4025408,\"ProcessID\":\"2316\",\"Application\":"
    "\"\\\\device\\\\harddiskvolume2\\\\program files\\\\nxlog\\\\nxlog.exe\",\"Direction\":"
    "\"%%14593\",\"SourceAddress\":\"192.168.2.46\",\"SourcePort\":\"49694\",\"DestAddress\":"
    "\"192.168.4.132\",\"DestPort\":\"514\",\"Protocol\":\"6\",\"FilterRTID\":\"82874\","
    "\"LayerName\":\"%%14611\",\"LayerRTID\":\"48\"}\n"
    "{\"TimeCreated\":\"2023-07-19T09:02:18.301Z\",\"Hostname\":\"H\",\"EventID\":5157,"
    "\"ProcessID\":\"7\",\"Application\":\"C:\\\\Apps\\\\b.exe\",\"Direction\":\"Outbound\","
    "\"SourceAddress\":\"10.0.0.1\",\"SourcePort\":\"50000\",\"DestAddress\":\"10.0.0.2\","
    "\"DestPort\":\"443\",\"Protocol\":\"TCP\",\"FilterRTID\":\"70000\",\"LayerRTID\":\"48\"}\n"
    "{\"TimeCreated\":\"2023-07-19T09:02:19Z\",\"EventID\":5152,\"EventData\":{\"Direction\":"
    "\"%%14592\",\"SourceAddress\":\"10.0.0.9\",\"SourcePort\":\"5353\",\"DestAddress\":"
    "\"10.0.0.1\",\"DestPort\":\"5353\",\"Protocol\":\"17\",\"Application\":\"-\"}}\n"
    "{\"TimeCreated\":\"2023-07-19T09:02:20Z\",\"EventID\":5158,\"SourceAddress\":\"0.0.0.0\","
    "\"SourcePort\":\"49887\",\"Protocol\":\"6\",\"Application\":"
    "\"\\\\device\\\\harddiskvolume2\\\\windows\\\\system32\\\\svchost.exe\"}\n"
    "{\"EventTime\":\"2021-08-27T13:03:47.002016+05:45\",\"Hostname\":\"IT01.corp.local\","
    "\"EventID\":5156,\"RecordNumber\":4025408,\"ProcessID\":\"2316\",\"Application\":"
    "\"\\\\device\\\\harddiskvolume2\\\\program files\\\\nxlog\\\\nxlog.exe\",\"Direction\":"
    "\"%%14593\",\"SourceAddress\":\"192.168.2.46\",\"SourcePort\":\"49694\",\"DestAddress\":"
    "\"192.168.4.132\",\"DestPort\":\"514\",\"Protocol\":\"6\",\"FilterRTID\":\"82874\","
    "\"LayerName\":\"%%14611\",\"LayerRTID\":\"48\"}\n"
    "{\"EventID\":5156,\"TimeCreated\":\n"
    "{\"EventID\":4688,\"TimeCreated\":\"2023-01-01T00:00:00Z\"}\n"
    "{\"TimeGenerated\":\"2024-03-05T10:00:00.123Z\",\"Computer\":\"WS01.contoso.com\","
    "\"EventID\":5156,\"Channel\":\"Security\",\"ProcessId\":\"1234\",\"Type\":\"SecurityEvent\","
    "\"EventData\":\"<EventData xmlns=\\\"http://schemas.microsoft.com/win/2004/08/events/"
    "event\\\"><Data Name=\\\"Application\\\">\\\\device\\\\harddiskvolume2\\\\windows\\\\"
    "system32\\\\svchost.exe</Data><Data Name=\\\"Direction\\\">%%14593</Data><Data Name=\\\""
    "SourceAddress\\\">10.0.0.5</Data><Data Name=\\\"SourcePort\\\">50123</Data><Data Name=\\\""
    "DestAddress\\\">93.184.216.34</Data><Data Name=\\\"DestPort\\\">443</Data><Data Name=\\\""
    "Protocol\\\">6</Data><Data Name=\\\"FilterRTID\\\">70123</Data><Data Name=\\\"LayerRTID"
    "\\\">48</Data></EventData>\"}\n";

/* Windows Firewall's log: allows and drops both ways, a lost-events line, a broken line. */
static const char pfirewall[] =
    "#Version: 1.5\r\n"
    "#Software: Microsoft Windows Firewall\r\n"
    "#Time Format: Local\r\n"
    "#Fields: date time action protocol src-ip dst-ip src-port dst-port size tcpflags tcpsyn "
    "tcpack tcpwin icmptype icmpcode info path\r\n"
    "\r\n"
    "2021-06-22 12:19:41 DROP UDP 192.168.178.25 224.0.0.251 5353 5353 73 - - - - - - - "
    "RECEIVE\r\n"
    "2021-06-22 12:19:41 DROP UDP 192.168.178.25 224.0.0.251 5353 5353 73 - - - - - - - "
    "RECEIVE\r\n"
    "2021-06-22 12:19:42 ALLOW TCP 192.168.178.20 140.82.121.4 50210 443 0 - - - - - - - "
    "SEND\r\n"
    "2021-06-22 12:19:43 DROP TCP 10.1.1.7 192.168.178.20 50001 3389 52 S 123 0 8192 - - - "
    "RECEIVE\r\n"
    "2021-06-22 12:19:44 ALLOW UDP fe80::f58b:f19a:db72:872b ff02::fb 5353 5353 93 - - - - - "
    "- - SEND\r\n"
    "2021-06-22 12:19:45 INFO-EVENTS-LOST - - - - - 12 - - - - - - - -\r\n"
    "2021-06-22 12:19:46 DROP\r\n";

/* The same kind of events as Event XML (wevtutil qe /f:xml inside <Events>): a permit, a block,
 * a listen, and an event id that is not WFP. */
#define XEV(id, rec, data)                                                                         \
  "<Event xmlns=\"http://schemas.microsoft.com/win/2004/08/events/event\"><System>"                \
  "<EventID>" id "</EventID><TimeCreated SystemTime=\"2019-02-13T18:01:47.512340400Z\"/>"          \
  "<EventRecordID>" rec "</EventRecordID><Computer>PC01</Computer></System><EventData>" data       \
  "</EventData></Event>\n"
#define XNET(dir, app)                                                                             \
  "<Data Name=\"ProcessID\">4</Data><Data Name=\"Application\">" app "</Data>"                     \
  "<Data Name=\"Direction\">" dir "</Data><Data Name=\"SourceAddress\">10.0.0.1</Data>"            \
  "<Data Name=\"SourcePort\">50000</Data><Data Name=\"DestAddress\">10.0.0.2</Data>"               \
  "<Data Name=\"DestPort\">443</Data><Data Name=\"Protocol\">6</Data>"                             \
  "<Data Name=\"FilterRTID\">70001</Data><Data Name=\"LayerRTID\">48</Data>"
/* clang-format off */
static const char evtxml[] =
    "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<Events>\n"
    XEV("5156", "11", XNET("%%14593", "\\device\\harddiskvolume1\\apps\\x.exe"))
    XEV("5157", "12", XNET("%%14593", "\\device\\harddiskvolume1\\apps\\y.exe"))
    XEV("5154", "13", "<Data Name=\"ProcessID\">8</Data><Data Name=\"SourceAddress\">0.0.0.0"
                      "</Data><Data Name=\"SourcePort\">8080</Data><Data Name=\"Protocol\">6"
                      "</Data>")
    XEV("4624", "14", "<Data Name=\"LogonType\">3</Data>")
    "</Events>\n";
/* clang-format on */

#define NFILES 3
static const struct {
  const char *suffix, *text;
  int format;
} files[NFILES] = {
    {".jsonl", secjson, WL_IMPORT_SECJSON},
    {".pfirewall.log", pfirewall, WL_IMPORT_PFIREWALL},
    {".xml", evtxml, WL_IMPORT_EVTXML},
};
#define NSTEPS (NFILES + 1) /* the JSON file is imported a second time */
static int step_file(int i) { return i < NFILES ? i : 0; }

/* ---------------------------------------------------------------- the fixture */

typedef struct app_row {
  char path[WL_PATH_MAX];
  uint64_t allowed, blocked, endpoints;
} app_row;
#define MAX_APPS 32
typedef struct app_list {
  app_row a[MAX_APPS];
  size_t n;
} app_list;

typedef struct fixture {
  char db[1024], path[NFILES][1024];
  wl_store *s;                 /* open while a path runs (teardown closes it) */
  wl_import_stats ref[NSTEPS]; /* each step of the path without failures */
  wl_store_stats ref_store;    /* the store after it */
  app_list ref_apps;           /* and its apps */
  int rc[NSTEPS];              /* this run's steps */
  wl_import_stats st[NSTEPS];
  app_list apps; /* scratch */
} fixture;

static void remove_db(const char *db) {
  static const char *const sfx[] = {"", "-wal", "-shm"};
  for (int i = 0; i < 3; i++) {
    char p[1100];
    snprintf(p, sizeof p, "%s%s", db, sfx[i]);
    remove(p);
  }
}

static int add_app(void *ctx, const wl_app_summary *a) {
  app_list *l = ctx;
  assert_true(l->n < MAX_APPS);
  app_row *r = &l->a[l->n++];
  snprintf(r->path, sizeof r->path, "%s", a->path);
  r->allowed = a->allowed;
  r->blocked = a->blocked;
  r->endpoints = a->endpoints;
  return 0;
}

static void apps_of(wl_store *s, app_list *l) {
  memset(l, 0, sizeof *l);
  assert_int_equal(wl_store_apps(s, 0, add_app, l), WL_OK);
}

static void import_one(fixture *f, size_t n, int i) {
  int k = step_file(i);
  wl_import_opts o = {.format = files[k].format, .chunk = 256}; /* lines cross chunks */
  memset(&f->st[i], 0, sizeof f->st[i]);
  f->rc[i] =
      wl_fail_alloc_step(files[k].suffix, n, wl_import_to_store(f->s, &o, f->path[k], &f->st[i]));
}

/* The path: create the store, the imports, stats, close. Returns the open's code. */
static int run_path(fixture *f, size_t n, enum wl_fail_mode mode) {
  remove_db(f->db);
  wl_err_clear();
  wl_fail_alloc_arm(n, mode);
  int rc = wl_fail_alloc_step("open", n, wl_store_open(f->db, NULL, &f->s));
  for (int i = 0; i < NSTEPS; i++)
    f->rc[i] = -1;
  if (rc == WL_OK) {
    for (int i = 0; i < NSTEPS; i++)
      import_one(f, n, i);
    wl_store_stats ss;
    wl_fail_alloc_step("stats", n, wl_store_stats_get(f->s, &ss));
    wl_store_close(f->s);
    f->s = NULL;
  }
  wl_fail_alloc_disarm();
  return rc;
}

static void write_file(const char *path, const char *text) {
  FILE *fp = fopen(path, "wb");
  assert_non_null(fp);
  assert_int_equal(fwrite(text, 1, strlen(text), fp), strlen(text));
  assert_int_equal(fclose(fp), 0);
}

static int setup(void **state) {
  fixture *f = calloc(1, sizeof *f);
  assert_non_null(f);
  const char *dir = wl_fail_alloc_dir();
  unsigned pid = (unsigned)wl_os_pid();
  snprintf(f->db, sizeof f->db, "%s/test_import_oom_%u.db", dir, pid);
  for (int i = 0; i < NFILES; i++) {
    snprintf(f->path[i], sizeof f->path[i], "%s/test_import_oom_%u%s", dir, pid, files[i].suffix);
    write_file(f->path[i], files[i].text);
  }
  *state = f;
  /* The reference: the path without failures. */
  assert_int_equal(run_path(f, SIZE_MAX, WL_FAIL_ONCE), WL_OK);
  for (int i = 0; i < NSTEPS; i++) {
    if (f->rc[i] != WL_OK)
      fail_msg("%s: %s", files[step_file(i)].suffix, wl_errmsg());
    f->ref[i] = f->st[i];
  }
  assert_int_equal(wl_store_open(f->db, NULL, &f->s), WL_OK);
  assert_int_equal(wl_store_stats_get(f->s, &f->ref_store), WL_OK);
  apps_of(f->s, &f->ref_apps);
  wl_store_close(f->s);
  f->s = NULL;
  return 0;
}

static int teardown(void **state) {
  fixture *f = *state;
  wl_fail_alloc_disarm();
  wl_store_close(f->s);
  remove_db(f->db);
  for (int i = 0; i < NFILES; i++)
    remove(f->path[i]);
  free(f);
  return 0;
}

/* ---------------------------------------------------------------- the checks */

/* An import that said WL_OK read, understood and skipped every record as the reference did. */
static void check_ok_import(const fixture *f, size_t n, int i) {
  const wl_import_stats *a = &f->st[i], *r = &f->ref[i];
  if (a->read != r->read || a->delivered != r->delivered || a->malformed != r->malformed ||
      a->unsupported != r->unsupported || a->skipped != r->skipped ||
      a->imported + a->duplicate != a->delivered)
    fail_msg("n = %zu: import of %s said WL_OK with read %llu delivered %llu malformed %llu "
             "unsupported %llu imported %llu duplicate %llu (without failures: %llu %llu %llu "
             "%llu); first problem: %s",
             n, files[step_file(i)].suffix, (unsigned long long)a->read,
             (unsigned long long)a->delivered, (unsigned long long)a->malformed,
             (unsigned long long)a->unsupported, (unsigned long long)a->imported,
             (unsigned long long)a->duplicate, (unsigned long long)r->read,
             (unsigned long long)r->delivered, (unsigned long long)r->malformed,
             (unsigned long long)r->unsupported, a->nproblems ? a->problems[0] : "none");
}

static void same_apps(const app_list *a, const app_list *b, size_t n) {
  if (a->n != b->n)
    fail_msg("n = %zu: %zu apps, %zu without failures", n, a->n, b->n);
  for (size_t i = 0; i < a->n; i++) {
    size_t j = 0;
    while (j < b->n && strcmp(a->a[i].path, b->a[j].path) != 0)
      j++;
    if (j == b->n)
      fail_msg("n = %zu: app '%s' is not there without failures", n, a->a[i].path);
    assert_int_equal(a->a[i].allowed, b->a[j].allowed);
    assert_int_equal(a->a[i].blocked, b->a[j].blocked);
    assert_int_equal(a->a[i].endpoints, b->a[j].endpoints);
  }
}

static void check_store(fixture *f, size_t n) {
  uint64_t stored = 0;
  for (int i = 0; i < NSTEPS; i++)
    if (f->rc[i] == WL_OK) {
      check_ok_import(f, n, i);
      stored += f->st[i].imported;
    }
  wl_store_opts o = {.quick_check = 1};
  if (wl_store_open(f->db, &o, &f->s) != WL_OK)
    fail_msg("n = %zu: the store does not open afterwards: %s", n, wl_errmsg());
  wl_store_stats ss;
  assert_int_equal(wl_store_stats_get(f->s, &ss), WL_OK);
  if (ss.events != stored)
    fail_msg("n = %zu: %llu events stored, the imports that said WL_OK reported %llu", n,
             (unsigned long long)ss.events, (unsigned long long)stored);
  /* Importing again completes it: the same store as without failures. */
  for (int i = 0; i < NFILES; i++) {
    wl_import_opts io = {.format = files[i].format};
    wl_import_stats st = {0};
    if (wl_import_to_store(f->s, &io, f->path[i], &st) != WL_OK)
      fail_msg("n = %zu: importing %s again: %s", n, files[i].suffix, wl_errmsg());
  }
  assert_int_equal(wl_store_stats_get(f->s, &ss), WL_OK);
  assert_int_equal(ss.events, f->ref_store.events);
  assert_int_equal(ss.flows, f->ref_store.flows);
  assert_int_equal(ss.apps, f->ref_store.apps);
  apps_of(f->s, &f->apps);
  same_apps(&f->apps, &f->ref_apps, n);
  wl_store_close(f->s);
  f->s = NULL;
}

static void import_path(void *ctx, size_t n, enum wl_fail_mode mode) {
  fixture *f = ctx;
  run_path(f, n, mode);
  check_store(f, n);
}

static void test_import_oom_once(void **state) {
  fixture *f = *state;
  /* the reference imported something of every kind */
  assert_true(f->ref[0].imported > 0 && f->ref[0].duplicate > 0 && f->ref[0].malformed > 0);
  assert_true(f->ref[1].imported > 0 && f->ref[2].imported > 0);
  assert_int_equal(f->ref[3].imported, 0);
  assert_true(wl_fail_alloc_loop("import", import_path, f, WL_FAIL_ONCE, MAX_N) > 0);
}

static void test_import_oom_persistent(void **state) {
  assert_true(wl_fail_alloc_loop("import", import_path, *state, WL_FAIL_PERSIST, MAX_N) > 0);
}

int main(int argc, char **argv) {
  wl_fail_alloc_install();
  wl_fail_alloc_select(argc, argv);
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(test_import_oom_once, setup, teardown),
      cmocka_unit_test_setup_teardown(test_import_oom_persistent, setup, teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
