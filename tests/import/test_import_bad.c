/* test_import_bad.c — hand-written input for the three importers: every kind of bad record
 * (truncated line, wrong types, unknown event id, missing fields, unparsable values, XML with
 * an unclosed or mismatched element, pfirewall lines with too few columns) is skipped, counted
 * and reported with its line, and the good records around it still arrive; plus CRLF, UTF-8
 * and UTF-16LE byte order marks, 10 MB single lines, the line_max boundary, time zones, app
 * path mapping, duplicate lines and a sink that stops the import.
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
#include "common/wl_text.h"
#include "import/import.h"

#define MAXREC 16

typedef struct got {
  size_t n;
  wl_import_rec r[MAXREC];
  int stop_after; /* return an error after this many records (0: never) */
} got;

static int sink(void *ctx, const wl_import_rec *r) {
  got *g = ctx;
  if (g->n < MAXREC)
    g->r[g->n] = *r;
  g->n++;
  if (g->stop_after && g->n >= (size_t)g->stop_after)
    return wl_err(WL_E_FULL, "test sink: stop");
  return WL_OK;
}

static wl_import_stats run_chunk(const wl_import_opts *o, size_t chunk, const char *text,
                                 size_t len, got *g) {
  wl_import_opts oc = *o;
  oc.chunk = chunk;
  wl_import_stats st;
  memset(&st, 0, sizeof st);
  memset(g, 0, sizeof *g);
  int rc = wl_import_buffer(&oc, "t.log", text, len, sink, g, &st);
  if (rc != WL_OK)
    fail_msg("import failed: %s", wl_errmsg());
  assert_int_equal(st.read, st.delivered + st.skipped);
  assert_int_equal(st.skipped, st.malformed + st.unsupported);
  assert_int_equal(st.delivered, g->n);
  return st;
}

/* Every input also goes through in 16- and 23-byte reads: the outcome must not change. */
static wl_import_stats run_opts(const wl_import_opts *o, const char *text, size_t len, got *g) {
  static const size_t small[] = {16, 23};
  for (size_t i = 0; i < 2; i++) {
    got *h = malloc(sizeof *h);
    wl_import_stats a = run_chunk(o, small[i], text, len, h);
    wl_import_stats b = run_chunk(o, 0, text, len, g);
    assert_int_equal(a.read, b.read);
    assert_int_equal(a.delivered, b.delivered);
    assert_int_equal(a.malformed, b.malformed);
    assert_int_equal(a.unsupported, b.unsupported);
    assert_int_equal(a.notes, b.notes);
    assert_int_equal(a.nproblems, b.nproblems);
    for (size_t k = 0; k < a.nproblems; k++)
      assert_string_equal(a.problems[k], b.problems[k]);
    for (size_t k = 0; k < g->n && k < MAXREC; k++) {
      assert_int_equal(h->r[k].key, g->r[k].key);
      assert_int_equal(h->r[k].line, g->r[k].line);
    }
    free(h);
  }
  return run_chunk(o, 0, text, len, g);
}

static wl_import_stats run(int format, const char *text, got *g) {
  wl_import_opts o = {.format = format};
  return run_opts(&o, text, strlen(text), g);
}

static void expect_problem(const wl_import_stats *st, size_t i, const char *line_prefix,
                           const char *substr) {
  assert_true(st->nproblems > i);
  if (strncmp(st->problems[i], line_prefix, strlen(line_prefix)) != 0 ||
      !strstr(st->problems[i], substr))
    fail_msg("problem %zu is \"%s\", want \"%s...%s...\"", i, st->problems[i], line_prefix,
             substr);
}

static void expect_time(uint64_t ts, const char *want) {
  char buf[WL_TIME_STR_MAX];
  wl_time_format(ts, buf);
  assert_string_equal(buf, want);
}

/* ---------------------------------------------------------------- secjson */

#define J_HEAD "{\"EventID\":5156,\"TimeCreated\":\"2023-07-19T09:02:18.301Z\",\"Hostname\":\"H\","
#define J_NET                                                                                  \
  "\"Direction\":\"%%14593\",\"SourceAddress\":\"10.0.0.1\",\"SourcePort\":\"50000\","          \
  "\"DestAddress\":\"10.0.0.2\",\"DestPort\":\"443\",\"Protocol\":\"6\""
#define J_GOOD J_HEAD J_NET ",\"FilterRTID\":\"70000\",\"LayerRTID\":\"48\",\"ProcessID\":\"7\"}"

typedef struct jcase {
  const char *name, *line;
  int delivered, malformed, unsupported;
  const char *problem; /* substring of the report, for malformed */
} jcase;

static const jcase jcases[] = {
    {"good", J_GOOD, 1, 0, 0, NULL},
    {"truncated", J_HEAD "\"Direction\":\"%%145", 0, 1, 0, "not JSON"},
    {"not an object", "[1,2,3]", 0, 1, 0, "JSON object was expected"},
    {"port is an object", J_HEAD J_NET ",\"SourcePort\":{\"v\":1}}", 1, 0, 0, NULL},
    {"wrong type", "{\"EventID\":5156,\"SourcePort\":{\"v\":1}," J_NET "}", 0, 1, 0,
     "SourcePort is an object"},
    {"EventID boolean", "{\"EventID\":true}", 0, 1, 0, "EventID is a boolean"},
    {"EventID text", "{\"EventID\":\"abc\"}", 0, 1, 0, "EventID \"abc\" is not a number"},
    {"unknown id", "{\"EventID\":4688,\"TimeCreated\":\"2023-01-01T00:00:00Z\"}", 0, 0, 1, NULL},
    {"unknown id, wrong type", "{\"EventID\":5031,\"Application\":[1]}", 0, 0, 1, NULL},
    {"no EventID", "{\"TimeCreated\":\"2023-01-01T00:00:00Z\"," J_NET "}", 0, 1, 0, "no EventID"},
    {"no time", "{\"EventID\":5156," J_NET "}", 0, 1, 0, "no timestamp"},
    {"bad time", "{\"EventID\":5156,\"EventTime\":\"yesterday\"," J_NET "}", 0, 1, 0,
     "EventTime \"yesterday\" is not a time"},
    {"no DestAddress", J_HEAD "\"Direction\":\"%%14593\",\"SourceAddress\":\"10.0.0.1\","
                              "\"Protocol\":\"6\"}", 0, 1, 0, "no DestAddress"},
    {"no Direction", J_HEAD "\"SourceAddress\":\"10.0.0.1\",\"DestAddress\":\"10.0.0.2\","
                            "\"Protocol\":\"6\"}", 0, 1, 0, "no Direction"},
    {"no Protocol", J_HEAD "\"Direction\":\"%%14593\",\"SourceAddress\":\"10.0.0.1\","
                           "\"DestAddress\":\"10.0.0.2\"}", 0, 1, 0, "no Protocol"},
    {"bind needs no direction",
     "{\"EventID\":\"5158\",\"TimeCreated\":\"2023-01-01T00:00:00Z\",\"SourceAddress\":\"::\","
     "\"SourcePort\":\"0\",\"Protocol\":\"17\",\"FilterRTID\":\"0\",\"LayerRTID\":\"38\"}",
     1, 0, 0, NULL},
    {"port too big", J_HEAD J_NET ",\"SourcePort\":\"70000\"}", 1, 0, 0, NULL}, /* 1st wins */
    {"bad port", "{\"EventID\":5156,\"TimeCreated\":\"2023-01-01T00:00:00Z\",\"SourcePort\":"
                 "\"70000\"," J_NET "}", 0, 1, 0, "SourcePort \"70000\" is not a port"},
    {"bad direction", J_HEAD "\"Direction\":\"Sideways\",\"SourceAddress\":\"10.0.0.1\","
                             "\"DestAddress\":\"10.0.0.2\",\"Protocol\":\"6\"}", 0, 1, 0,
     "Direction \"Sideways\""},
    {"bad protocol", J_HEAD "\"Protocol\":\"xyz\"," J_NET "}", 0, 1, 0,
     "Protocol \"xyz\" is not a protocol"},
    {"bad address", J_HEAD "\"SourceAddress\":\"1.2.3\"," J_NET "}", 0, 1, 0,
     "SourceAddress \"1.2.3\" is not an IP address"},
    {"mixed families", J_HEAD "\"DestAddress\":\"::1\"," J_NET "}", 0, 1, 0,
     "different IP versions"},
    {"bad filter", J_HEAD J_NET ",\"FilterRTID\":\"-1\"}", 0, 1, 0, "FilterRTID \"-1\""},
    {"bad layer", J_HEAD J_NET ",\"LayerRTID\":\"70000\"}", 0, 1, 0, "LayerRTID \"70000\""},
    {"bad pid", J_HEAD J_NET ",\"ProcessId\":\"abc\"}", 0, 1, 0, "ProcessId \"abc\""},
    {"bad record number", J_HEAD J_NET ",\"RecordNumber\":\"x1\"}", 0, 1, 0, "RecordNumber"},
    /* issue 18 item 4: a record from the far future would become the store's retention anchor */
    {"far future", "{\"EventID\":5156,\"TimeCreated\":\"9999-12-31T23:59:59Z\"," J_NET "}", 0, 1,
     0, "past this machine's clock"},
    {"numbers as numbers",
     "{\"EventID\":5157,\"TimeGenerated\":\"2023-01-01T00:00:00Z\",\"Computer\":\"C\","
     "\"Direction\":\"Inbound\",\"SourceAddress\":\"10.0.0.9\",\"SourcePort\":4444,"
     "\"DestAddress\":\"10.0.0.1\",\"DestPort\":3389,\"Protocol\":6,\"FilterRTID\":123,"
     "\"LayerRTID\":44,\"RecordNumber\":99}", 1, 0, 0, NULL},
    {"null is absent", J_HEAD J_NET ",\"Application\":null,\"FilterRTID\":null}", 1, 0, 0, NULL},
    {"winlogbeat nesting",
     "{\"@timestamp\":\"2023-01-01T00:00:00Z\",\"winlog\":{\"event_id\":\"5156\","
     "\"computer_name\":\"W\",\"record_id\":12,\"event_data\":{\"Direction\":\"%%14592\","
     "\"SourceAddress\":\"10.0.0.9\",\"DestAddress\":\"10.0.0.1\",\"Protocol\":\"17\"}}}",
     1, 0, 0, NULL},
    {"value too long",
     J_HEAD J_NET ",\"LayerName\":\"" /* 300 bytes, above WL_IMPORT_VALUE_MAX */
     "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
     "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
     "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
     "xxxxxxxxxxxx\"}", 0, 1, 0, "LayerName is longer than 255 bytes"},
};

static void test_secjson_table(void **state) {
  (void)state;
  for (size_t i = 0; i < sizeof jcases / sizeof jcases[0]; i++) {
    const jcase *c = &jcases[i];
    got g;
    wl_import_stats st = run(WL_IMPORT_SECJSON, c->line, &g);
    print_message("%s: %s\n", c->name, st.nproblems ? st.problems[0] : "-");
    assert_int_equal(st.read, 1);
    assert_int_equal(st.delivered, c->delivered);
    assert_int_equal(st.malformed, c->malformed);
    assert_int_equal(st.unsupported, c->unsupported);
    if (c->problem)
      expect_problem(&st, 0, "t.log:1: ", c->problem);
    else
      assert_int_equal(st.nproblems, 0);
  }
}

static const char *jline(const char *name) {
  for (size_t i = 0; i < sizeof jcases / sizeof jcases[0]; i++)
    if (strcmp(jcases[i].name, name) == 0)
      return jcases[i].line;
  fail_msg("no case %s", name);
  return NULL;
}

static void test_secjson_fields(void **state) {
  (void)state;
  got g;
  /* Inbound words, numbers as numbers, Log Analytics names */
  run(WL_IMPORT_SECJSON, jline("numbers as numbers"), &g);
  const wl_event *ev = &g.r[0].ev;
  assert_int_equal(ev->type, WL_EVT_DROP);
  assert_int_equal(ev->dir, WL_DIR_IN);
  assert_int_equal(ev->local_port, 3389);
  assert_int_equal(ev->remote_port, 4444);
  assert_int_equal(ev->filter_id, 123);
  /* winlogbeat nesting, @timestamp as the last resort */
  run(WL_IMPORT_SECJSON, jline("winlogbeat nesting"), &g);
  assert_int_equal(g.r[0].ev.dir, WL_DIR_IN);
  assert_int_equal(g.r[0].ev.proto, 17);
  expect_time(g.r[0].ev.ts, "2023-01-01T00:00:00.0000000Z");
  /* Protocol_string names, an IPv6 zone, "Outbound" */
  run(WL_IMPORT_SECJSON,
      "{\"EventID\":5156,\"TimeGenerated\":\"2023-01-01T00:00:00Z\",\"Direction\":\"Outbound\","
      "\"SourceAddress\":\"fe80::1%12\",\"DestAddress\":\"ff02::fb\",\"Protocol_string\":"
      "\"ICMP\"}",
      &g);
  assert_int_equal(g.n, 1);
  assert_int_equal(g.r[0].ev.dir, WL_DIR_OUT);
  assert_int_equal(g.r[0].ev.ip_version, 6);
  assert_int_equal(g.r[0].ev.proto, 58); /* ICMP over IPv6 */
  assert_false(g.r[0].ev.has & WL_HAS_LOCAL_PORT);
}

/* Log Analytics' SecurityEvent table, in the shape Microsoft Learn documents ("Azure Monitor
 * Logs reference - SecurityEvent"): TimeGenerated, Computer, EventID, Channel, Task, Activity,
 * Process, ProcessId, SourceSystem, Type are columns; the WFP fields have no column and live in
 * EventData, a string of the event's XML. Hand-built (no real export of this table is among
 * the samples in ../shared/data/real). */
#define LA_HEAD                                                                                \
  "{\"TimeGenerated\":\"2024-03-05T10:00:00.123Z\",\"Computer\":\"WS01.contoso.com\","         \
  "\"EventSourceName\":\"Microsoft-Windows-Security-Auditing\",\"Channel\":\"Security\","     \
  "\"Task\":12810,\"Level\":\"0\",\"EventID\":5156,\"Activity\":\"5156 - The Windows "         \
  "Filtering Platform has permitted a connection.\",\"Process\":\"svchost.exe\","              \
  "\"ProcessId\":\"1234\",\"SourceSystem\":\"OpsManager\",\"Type\":\"SecurityEvent\","
#define LA_DATA(extra)                                                                         \
  "\"EventData\":\"<EventData xmlns=\\\"http://schemas.microsoft.com/win/2004/08/events/"      \
  "event\\\">\\r\\n  <Data Name=\\\"ProcessID\\\">1234</Data>\\r\\n  <Data Name=\\\"Application"  \
  "\\\">\\\\device\\\\harddiskvolume2\\\\windows\\\\system32\\\\svchost.exe</Data>"               \
  "<Data Name=\\\"Direction\\\">%%14593</Data><Data Name=\\\"SourceAddress\\\">10.0.0.5</Data>" \
  "<Data Name=\\\"SourcePort\\\">50123</Data><Data Name=\\\"DestAddress\\\">93.184.216.34</Data>" \
  "<Data Name=\\\"DestPort\\\">443</Data><Data Name=\\\"Protocol\\\">6</Data>"                   \
  "<Data Name=\\\"FilterRTID\\\">70123</Data><Data Name=\\\"LayerName\\\">%%14611</Data>"        \
  "<Data Name=\\\"LayerRTID\\\">48</Data><Data Name=\\\"RemoteUserID\\\">S-1-0-0</Data>"         \
  "<Data Name=\\\"RemoteMachineID\\\">S-1-0-0</Data>" extra "</EventData>\"}"

static void test_secjson_log_analytics(void **state) {
  (void)state;
  got g;
  /* ProcessId is both a column and a Data element: the first spelling wins, like elsewhere */
  wl_import_stats st = run(WL_IMPORT_SECJSON, LA_HEAD LA_DATA(""), &g);
  if (st.nproblems)
    fail_msg("%s", st.problems[0]);
  assert_int_equal(st.delivered, 1);
  const wl_event *ev = &g.r[0].ev;
  assert_int_equal(g.r[0].event_id, 5156);
  assert_int_equal(ev->type, WL_EVT_ALLOW);
  assert_int_equal(ev->dir, WL_DIR_OUT);
  expect_time(ev->ts, "2024-03-05T10:00:00.1230000Z");
  char ep[WL_EP_STR_MAX];
  wl_endpoint_format(ev->ip_version, ev->local_addr, ev->local_port, ep);
  assert_string_equal(ep, "10.0.0.5:50123");
  wl_endpoint_format(ev->ip_version, ev->remote_addr, ev->remote_port, ep);
  assert_string_equal(ep, "93.184.216.34:443");
  assert_int_equal(ev->proto, 6);
  assert_int_equal(ev->filter_id, 70123);
  assert_int_equal(ev->layer_id, 48);
  assert_string_equal(ev->app, "\\device\\harddiskvolume2\\windows\\system32\\svchost.exe");
  /* broken XML in EventData: malformed, said so */
  st = run(WL_IMPORT_SECJSON, LA_HEAD LA_DATA("<Data Name=\\\"x\\\">"), &g);
  assert_int_equal(st.malformed, 1);
  expect_problem(&st, 0, "t.log:1: ", "EventData is not XML: mismatched tag");
  /* a DOCTYPE (entity expansion) is refused */
  st = run(WL_IMPORT_SECJSON,
           LA_HEAD "\"EventData\":\"<!DOCTYPE d [<!ENTITY e \\\"10.0.0.5\\\">]><EventData/>\"}", &g);
  expect_problem(&st, 0, "t.log:1: ", "a DOCTYPE is not allowed");
  /* EventData that is plain text is not looked into: the fields are missing */
  st = run(WL_IMPORT_SECJSON, LA_HEAD "\"EventData\":\"Direction: Outbound\"}", &g);
  expect_problem(&st, 0, "t.log:1: ", "no Direction");
}

/* Zone rules: explicit zone exact; zone-less → opts offset, else NXLog inference, else UTC. */
static void test_secjson_time_zones(void **state) {
  (void)state;
  static const char nx[] =
      "{\"EventID\":5156,\"EventTime\":\"2020-09-22 02:16:07\",\"EventReceivedTime\":"
      "\"2020-09-22 02:16:08\",\"@timestamp\":\"2020-09-22T06:16:08.686Z\"," J_NET "}";
  static const char bare[] = "{\"EventID\":5156,\"EventTime\":\"2020-09-22 02:16:07\"," J_NET "}";
  static const char zoned[] =
      "{\"EventID\":5156,\"EventTime\":\"2021-08-27T13:03:47.002016+05:45\"," J_NET "}";
  got g;
  wl_import_opts o = {.format = WL_IMPORT_SECJSON};
  run_opts(&o, nx, strlen(nx), &g);
  expect_time(g.r[0].ev.ts, "2020-09-22T06:16:07.0000000Z"); /* inferred UTC-4 */
  run_opts(&o, bare, strlen(bare), &g);
  expect_time(g.r[0].ev.ts, "2020-09-22T02:16:07.0000000Z"); /* nothing known: UTC */
  o.utc_offset_set = 1;
  o.utc_offset_min = 120;
  run_opts(&o, nx, strlen(nx), &g);
  expect_time(g.r[0].ev.ts, "2020-09-22T00:16:07.0000000Z"); /* the user said +02:00 */
  run_opts(&o, zoned, strlen(zoned), &g);
  expect_time(g.r[0].ev.ts, "2021-08-27T07:18:47.0020160Z"); /* a zone beats the option */
  o.utc_offset_min = 15 * 60;
  wl_import_stats st;
  assert_int_equal(wl_import_buffer(&o, "x", nx, strlen(nx), sink, &g, &st), WL_E_INVAL);
}

/* Application forms: NT mapped, NT unknown volume, DOS mapped back to NT, UNC, "-", "System". */
static void test_secjson_apps(void **state) {
  (void)state;
  static const struct {
    const char *app, *want_app, *want_dos;
    int has;
  } cases[] = {
      {"\\\\device\\\\harddiskvolume2\\\\w\\\\a.exe", "\\device\\harddiskvolume2\\w\\a.exe",
       "C:\\w\\a.exe", 1},
      {"\\\\device\\\\harddiskvolume20\\\\a.exe", "\\device\\harddiskvolume20\\a.exe", "", 1},
      {"C:\\\\Program Files\\\\B.exe", "\\device\\harddiskvolume2\\program files\\b.exe",
       "C:\\Program Files\\B.exe", 1},
      {"D:\\\\x.exe", "D:\\x.exe", "D:\\x.exe", 1},
      {"\\\\device\\\\mup\\\\srv\\\\s\\\\c.exe", "\\device\\mup\\srv\\s\\c.exe",
       "\\\\srv\\s\\c.exe", 1},
      {"System", "System", "", 1},
      {"-", "", "", 0},
      {"", "", "", 0},
  };
  wl_path_map m;
  wl_path_map_init(&m);
  assert_int_equal(wl_path_map_add_spec(&m, "C=\\device\\HarddiskVolume2"), WL_OK);
  wl_import_opts o = {.format = WL_IMPORT_SECJSON, .paths = &m};
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    char line[1024];
    snprintf(line, sizeof line, "%s,\"Application\":\"%s\"}", J_HEAD J_NET, cases[i].app);
    got g;
    run_opts(&o, line, strlen(line), &g);
    assert_int_equal(g.n, 1);
    assert_string_equal(g.r[0].ev.app, cases[i].want_app);
    assert_string_equal(g.r[0].ev.app_dos, cases[i].want_dos);
    assert_int_equal(!!(g.r[0].ev.has & WL_HAS_APP), cases[i].has);
  }
}

/* An Application longer than WL_PATH_MAX: kept cut and flagged. */
static void test_secjson_long_app(void **state) {
  (void)state;
  wl_import_opts o = {.format = WL_IMPORT_SECJSON};
  size_t n = 3000;
  char *line = malloc(n + 512), *p = line;
  p += sprintf(p, "%s,\"Application\":\"\\\\device\\\\x\\\\", J_HEAD J_NET);
  memset(p, 'a', n);
  strcpy(p + n, "\"}");
  got g;
  run_opts(&o, line, strlen(line), &g);
  assert_int_equal(g.n, 1);
  assert_true(g.r[0].ev.has & WL_HAS_APP_TRUNC);
  assert_int_equal(strlen(g.r[0].ev.app), WL_PATH_MAX - 1);
  free(line);
}

/* ---------------------------------------------------------------- lines and bytes */

/* CRLF, a UTF-8 BOM, blank lines, a last line without '\n': line numbers stay right. */
static void test_crlf_bom_blank(void **state) {
  (void)state;
  static const char text[] = "\xEF\xBB\xBF" J_GOOD "\r\n\r\n   \r\n{broken\r\n" J_GOOD;
  got g;
  wl_import_stats st = run(WL_IMPORT_SECJSON, text, &g);
  assert_int_equal(st.read, 3);
  assert_int_equal(st.delivered, 2);
  assert_int_equal(g.r[0].line, 1);
  assert_int_equal(g.r[1].line, 5);
  assert_int_equal(g.r[1].ordinal, 3);
  expect_problem(&st, 0, "t.log:4: ", "not JSON");
}

/* UTF-16LE with a BOM (what PowerShell 5's ">" writes), including a non-ASCII path. */
static void test_utf16le(void **state) {
  (void)state;
  char utf8[1024];
  snprintf(utf8, sizeof utf8, "%s\r\n%s\r\n",
           J_HEAD J_NET ",\"Application\":\"C:\\\\Users\\\\J\xC3\xBCrgen\\\\\xF0\x9F\x90\xB1.exe\"}",
           J_GOOD);
  uint8_t u16[4096] = {0xFF, 0xFE};
  size_t n = 2 + wl_utf8_to_utf16le(utf8, strlen(utf8), u16 + 2, sizeof u16 - 2);
  got g;
  wl_import_opts o = {.format = WL_IMPORT_SECJSON};
  wl_import_stats st = run_opts(&o, (const char *)u16, n, &g);
  assert_int_equal(st.delivered, 2);
  assert_string_equal(g.r[0].ev.app, "C:\\Users\\J\xC3\xBCrgen\\\xF0\x9F\x90\xB1.exe");
  assert_int_equal(g.r[1].line, 2);
  /* UTF-16BE is refused with a clear error */
  static const char be[] = "\xFE\xFF\0{";
  assert_int_equal(wl_import_buffer(&o, "be", be, 4, sink, &g, &st), WL_E_UNSUPPORTED);
  assert_non_null(strstr(wl_errmsg(), "UTF-16BE"));
}

/* A 10 MB single line between good ones: skipped as too long, never held, lines still right. */
static void test_10mb_line(void **state) {
  (void)state;
  for (int format = WL_IMPORT_SECJSON; format <= WL_IMPORT_PFIREWALL; format += 2) {
    const char *good = format == WL_IMPORT_SECJSON
                           ? J_GOOD
                           : "2021-06-22 12:19:41 DROP UDP 10.0.0.2 10.0.0.1 1 2 73 - - - - - - - "
                             "RECEIVE";
    size_t big = 10u * 1024 * 1024, gl = strlen(good);
    char *text = malloc(2 * gl + big + 3), *p = text;
    memcpy(p, good, gl), p += gl, *p++ = '\n';
    memset(p, format == WL_IMPORT_SECJSON ? ' ' : 'x', big);
    p[0] = '{', p += big, *p++ = '\n';
    memcpy(p, good, gl), p += gl;
    got g;
    wl_import_opts o = {.format = format};
    wl_import_stats st = run_opts(&o, text, (size_t)(p - text), &g);
    assert_int_equal(st.read, 3);
    assert_int_equal(st.delivered, 2);
    assert_int_equal(st.malformed, 1);
    /* pfirewall: problems[0] is the note that there was no #Fields: header */
    expect_problem(&st, format == WL_IMPORT_PFIREWALL, "t.log:2: ",
                   "line too long (more than 1048576 bytes)");
    assert_int_equal(g.r[1].line, 3);
    free(text);
  }
}

/* line_max is exact: a line of line_max bytes is read, one more byte is too long. */
static void test_line_max_boundary(void **state) {
  (void)state;
  size_t max = 300, gl = strlen(J_GOOD);
  char text[1024];
  for (size_t extra = 0; extra <= 1; extra++) {
    memcpy(text, J_GOOD, gl);
    memset(text + gl, ' ', max - gl + extra);
    size_t n = max + extra;
    text[n] = '\n';
    memcpy(text + n + 1, J_GOOD, gl); /* the second line is short */
    got g;
    wl_import_opts o = {.format = WL_IMPORT_SECJSON, .line_max = max};
    wl_import_stats st = run_opts(&o, text, n + 1 + gl, &g);
    assert_int_equal(st.delivered, extra ? 1 : 2);
    assert_int_equal(st.malformed, extra);
  }
}

/* Many bad lines: all counted, the first WL_IMPORT_PROBLEMS_MAX kept in order. */
static void test_problem_cap(void **state) {
  (void)state;
  char text[4096] = "";
  for (int i = 0; i < 9; i++)
    strcat(text, i == 4 ? J_GOOD "\n" : "nope\n");
  got g;
  wl_import_stats st = run(WL_IMPORT_SECJSON, text, &g);
  assert_int_equal(st.malformed, 8);
  assert_int_equal(st.nproblems, WL_IMPORT_PROBLEMS_MAX);
  expect_problem(&st, 0, "t.log:1: ", "not JSON");
  expect_problem(&st, 4, "t.log:6: ", "not JSON");
}

/* The sink's error stops the import and is returned. */
static void test_sink_stops(void **state) {
  (void)state;
  static const char text[] = J_GOOD "\n" J_GOOD "\n" J_GOOD "\n";
  got g = {.stop_after = 2};
  wl_import_opts o = {.format = WL_IMPORT_SECJSON};
  wl_import_stats st = {0};
  assert_int_equal(wl_import_buffer(&o, "t", text, strlen(text), sink, &g, &st), WL_E_FULL);
  assert_int_equal(g.n, 2);
}

/* Identical lines without record numbers are separate events; with record numbers, one. */
static void test_duplicate_lines(void **state) {
  (void)state;
  got g;
  run(WL_IMPORT_SECJSON, J_GOOD "\n" J_GOOD "\n", &g);
  assert_int_equal(g.n, 2);
  assert_true(g.r[0].key != g.r[1].key);
  static const char numbered[] = J_HEAD J_NET ",\"RecordNumber\":\"42\"}";
  char text[2048];
  snprintf(text, sizeof text, "%s\n%s\n", numbered, numbered);
  run(WL_IMPORT_SECJSON, text, &g);
  assert_int_equal(g.n, 2);
  assert_int_equal(g.r[0].key, g.r[1].key); /* the store will count the second as duplicate */
}

/* ---------------------------------------------------------------- evtxml */

/* One event as wevtutil writes it (the id, record number and the Data elements vary). */
static char *xev(char *buf, size_t cap, int id, int rec, const char *data) {
  snprintf(buf, cap,
           "<Event xmlns=\"http://schemas.microsoft.com/win/2004/08/events/event\">\n"
           "  <System>\n"
           "    <EventID>%d</EventID>\n"
           "    <TimeCreated SystemTime=\"2019-02-13T18:01:47.512340400Z\"/>\n"
           "    <EventRecordID>%d</EventRecordID>\n"
           "    <Computer>PC01</Computer>\n"
           "  </System>\n"
           "  <EventData>\n%s  </EventData>\n"
           "</Event>\n",
           id, rec, data);
  return buf;
}

#define X_NET                                                                                  \
  "    <Data Name=\"Direction\">%%14593</Data>\n"                                              \
  "    <Data Name=\"SourceAddress\">10.0.0.1</Data>\n"                                         \
  "    <Data Name=\"SourcePort\">50000</Data>\n"                                               \
  "    <Data Name=\"DestAddress\">10.0.0.2</Data>\n"                                           \
  "    <Data Name=\"DestPort\">443</Data>\n"                                                   \
  "    <Data Name=\"Protocol\">6</Data>\n"
#define X_LINES 16 /* lines of one xev() event with X_NET */

static wl_import_stats run_xml(const char *text, got *g) { return run(WL_IMPORT_EVTXML, text, g); }

/* Good events with and without <Events>, an XML declaration, a namespace prefix. */
static void test_xml_shapes(void **state) {
  (void)state;
  char a[2048], b[2048], text[8192];
  xev(a, sizeof a, 5156, 1, X_NET);
  xev(b, sizeof b, 5157, 2, X_NET);
  got g;
  snprintf(text, sizeof text, "%s%s", a, b); /* wevtutil: no root at all */
  wl_import_stats st = run_xml(text, &g);
  assert_int_equal(st.delivered, 2);
  assert_int_equal(g.r[1].line, X_LINES + 1);
  assert_int_equal(g.r[1].ev.type, WL_EVT_DROP);
  snprintf(text, sizeof text, "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<Events>\n%s%s</Events>\n",
           a, b);
  st = run_xml(text, &g);
  assert_int_equal(st.delivered, 2);
  assert_int_equal(g.r[0].line, 3);
  assert_int_equal(st.notes, 0);
  static const char prefixed[] =
      "<e:Event xmlns:e=\"http://schemas.microsoft.com/win/2004/08/events/event\"><e:System>"
      "<e:EventID Qualifiers=\"0\">5152</e:EventID><e:TimeCreated SystemTime=\"2019-02-13T18:01:"
      "47Z\"/></e:System><e:EventData><e:Data Name=\"Direction\">%%14592</e:Data><e:Data Name="
      "\"SourceAddress\">10.0.0.9</e:Data><e:Data Name=\"DestAddress\">10.0.0.1</e:Data><e:Data"
      " Name=\"Protocol\">17</e:Data><e:Data Name=\"Application\">\n    -\n  </e:Data>"
      "</e:EventData></e:Event>";
  st = run_xml(prefixed, &g);
  assert_int_equal(st.delivered, 1);
  assert_int_equal(g.r[0].ev.dir, WL_DIR_IN);
  assert_false(g.r[0].ev.has & WL_HAS_APP); /* "-" after trimming */
}

/* A Data element left open: the event is malformed, the events after it still arrive. */
static void test_xml_unclosed_element(void **state) {
  (void)state;
  char a[2048], b[2048], text[8192];
  xev(a, sizeof a, 5156, 1, X_NET "    <Data Name=\"Application\">x.exe\n");
  xev(b, sizeof b, 5156, 2, X_NET);
  got g;
  snprintf(text, sizeof text, "<Events>\n%s%s%s</Events>\n", b, a, b);
  wl_import_stats st = run_xml(text, &g);
  assert_int_equal(st.read, 3);
  assert_int_equal(st.delivered, 2);
  assert_int_equal(st.malformed, 1);
  expect_problem(&st, 0, "t.log:18: ", "mismatched tag");
  /* an <Event> never closed before the next one starts */
  static const char open_ev[] =
      "<Event><System><EventID>5156</EventID></System><EventData>\n";
  snprintf(text, sizeof text, "%s%s", open_ev, b);
  st = run_xml(text, &g);
  assert_int_equal(st.read, 2);
  assert_int_equal(st.delivered, 1);
  assert_int_equal(st.malformed, 1);
  expect_problem(&st, 0, "t.log:1: ", "<Event> not closed before the next <Event> at line 2");
  expect_problem(&st, 1, "t.log:", "unclosed element"); /* then the file ends open */
}

/* Broken markup between and inside events, and a file cut off mid-event. */
static void test_xml_errors_resync(void **state) {
  (void)state;
  char a[2048], text[8192];
  xev(a, sizeof a, 5156, 1, X_NET);
  got g;
  snprintf(text, sizeof text, "%s<<junk>>\n%s<Event><System><EventID>5156</System></Event>\n%s"
           "<Event><System><EventID>5156</EventID><TimeCr",
           a, a, a);
  wl_import_stats st = run_xml(text, &g);
  assert_int_equal(st.read, 5);
  assert_int_equal(st.delivered, 3);
  assert_int_equal(st.malformed, 2);
  assert_int_equal(st.notes, 1);
  expect_problem(&st, 0, "t.log:17: ", "XML error");      /* <<junk>> */
  expect_problem(&st, 1, "t.log:34: ", "mismatched tag"); /* </System> too early */
  expect_problem(&st, 2, "t.log:51: ", "the file ends inside this <Event>");
  assert_int_equal(g.r[1].line, 18);
  assert_int_equal(g.r[2].line, 35);
}

/* issue 18 (Low): a file with no <Event> at all (not XML, or other XML) is said, once, instead
 * of "read 0"; an empty or blank file is not. */
static void test_xml_not_events(void **state) {
  (void)state;
  static const char *const text[] = {"hello world\nthis is not xml\n", "<foo>bar</foo>\n"};
  got g;
  for (size_t i = 0; i < 2; i++) {
    wl_import_stats st = run_xml(text[i], &g);
    assert_int_equal(st.read, 0);
    assert_int_equal(st.notes, 1);
    expect_problem(&st, 0, "t.log:1: ", "no <Event> element in the whole file");
  }
  wl_import_stats st = run_xml(" \n\n", &g);
  assert_int_equal(st.notes, 0);
}

/* Unknown ids are counted, not complained about; missing fields are. */
static void test_xml_ids_and_fields(void **state) {
  (void)state;
  char a[2048], b[2048], c[2048], text[8192];
  xev(a, sizeof a, 4688, 1, "    <Data Name=\"NewProcessName\">x</Data>\n");
  xev(b, sizeof b, 5156, 2, "    <Data Name=\"Direction\">%%14593</Data>\n");
  xev(c, sizeof c, 5158, 3,
      "    <Data Name=\"SourceAddress\">0.0.0.0</Data>\n    <Data Name=\"Protocol\">6</Data>\n"
      "    <Data Name=\"LayerName\">%%14608</Data>\n");
  snprintf(text, sizeof text, "%s%s%s", a, b, c);
  got g;
  wl_import_stats st = run_xml(text, &g);
  assert_int_equal(st.unsupported, 1);
  assert_int_equal(st.malformed, 1);
  assert_int_equal(st.delivered, 1);
  expect_problem(&st, 0, "t.log:12: ", "no SourceAddress");
  assert_int_equal(g.r[0].ev.layer_id, 36); /* from LayerName, IPv4 */
}

/* 10 MB in one attribute (expat would buffer it): abandoned; 10 MB of Data text: bounded. */
static void test_xml_huge(void **state) {
  (void)state;
  size_t big = 10u * 1024 * 1024;
  char a[2048];
  xev(a, sizeof a, 5156, 1, X_NET);
  size_t al = strlen(a);
  char *text = malloc(big + 4 * al + 256), *p = text;
  p += sprintf(p, "%s<Event><System x=\"", a);
  memset(p, 'y', big), p += big;
  p += sprintf(p, "\"/></System></Event>\n%s", a);
  got g;
  wl_import_opts o = {.format = WL_IMPORT_EVTXML};
  wl_import_stats st = run_opts(&o, text, (size_t)(p - text), &g);
  assert_int_equal(st.delivered, 2);
  assert_int_equal(st.malformed, 1);
  expect_problem(&st, 0, "t.log:17: ", "markup longer than 1048576 bytes");
  /* a 10 MB Application: kept cut to WL_PATH_MAX and flagged */
  p = text;
  p += sprintf(p, "<Event><System><EventID>5156</EventID><TimeCreated SystemTime=\"2020-01-01T00:"
                  "00:00Z\"/></System><EventData>%s<Data Name=\"Application\">", X_NET);
  memset(p, 'a', big), p += big;
  p += sprintf(p, "</Data></EventData></Event>\n%s", a);
  st = run_opts(&o, text, (size_t)(p - text), &g);
  assert_int_equal(st.delivered, 2);
  assert_true(g.r[0].ev.has & WL_HAS_APP_TRUNC);
  free(text);
}

/* UTF-8 BOM with CRLF, and UTF-16LE, give the same events on the same lines. */
static void test_xml_encodings(void **state) {
  (void)state;
  char a[2048], text[8192], crlf[8192];
  xev(a, sizeof a, 5156, 1, X_NET);
  snprintf(text, sizeof text, "<Events>\n%s%s</Events>\n", a, a);
  char *o = crlf;
  o += sprintf(o, "\xEF\xBB\xBF");
  for (const char *s = text; *s; s++) {
    if (*s == '\n')
      *o++ = '\r';
    *o++ = *s;
  }
  got g;
  wl_import_opts opts = {.format = WL_IMPORT_EVTXML};
  wl_import_stats st = run_opts(&opts, crlf, (size_t)(o - crlf), &g);
  assert_int_equal(st.delivered, 2);
  assert_int_equal(g.r[1].line, 2 + X_LINES);
  uint8_t u16[20000] = {0xFF, 0xFE};
  size_t n = 2 + wl_utf8_to_utf16le(text, strlen(text), u16 + 2, sizeof u16 - 2);
  st = run_opts(&opts, (const char *)u16, n, &g);
  assert_int_equal(st.delivered, 2);
  assert_int_equal(g.r[1].line, 2 + X_LINES);
}

/* A DOCTYPE cannot declare entities here: it is an error, nothing is expanded. */
static void test_xml_no_dtd(void **state) {
  (void)state;
  char a[2048], text[8192];
  xev(a, sizeof a, 5156, 1, X_NET "    <Data Name=\"Application\">&e;</Data>\n");
  snprintf(text, sizeof text, "<!DOCTYPE x [<!ENTITY e \"boom\">]>\n%s", a);
  got g;
  wl_import_stats st = run_xml(text, &g);
  assert_int_equal(st.delivered, 0);
  assert_true(st.malformed + st.notes >= 1);
}

/* ---------------------------------------------------------------- pfirewall */

#define PF_HEAD                                                                                \
  "#Version: 1.5\n#Software: Microsoft Windows Firewall\n#Time Format: Local\n"               \
  "#Fields: date time action protocol src-ip dst-ip src-port dst-port size tcpflags tcpsyn "  \
  "tcpack tcpwin icmptype icmpcode info path\n\n"
#define PF_DROP "2021-06-22 12:19:41 DROP UDP 192.168.178.25 224.0.0.251 5353 5353 73 - - - - - - - RECEIVE"
#define PF_SEND "2021-06-22 12:19:42 ALLOW TCP 10.0.0.5 93.184.216.34 50123 443 0 - - - - - - - SEND"

typedef struct pcase {
  const char *name, *text;
  int delivered, malformed, unsupported;
  const char *problem; /* first problem, with its line */
} pcase;

static const pcase pcases[] = {
    {"good", PF_HEAD PF_DROP "\n" PF_SEND "\n", 2, 0, 0, NULL},
    {"too few columns", PF_HEAD "2021-06-22 12:19:41 DROP UDP 192.168.178.25 224.0.0.251 5353\n"
                        PF_SEND "\n", 1, 1, 0, "t.log:6: 7 columns, the #Fields: header names 17"},
    {"too many columns", PF_HEAD PF_SEND " extra\n", 0, 1, 0, "t.log:6: 18 columns"},
    {"events lost", PF_HEAD "2021-06-22 12:48:21 INFO-EVENTS-LOST - - - - - - - - - - - - 7 -\n",
     0, 0, 1, NULL},
    {"other action", PF_HEAD "2004-01-01 00:00:00 OPEN TCP 1.2.3.4 5.6.7.8 1 2 - - - - - - - - -\n",
     0, 0, 1, NULL},
    {"bad address", PF_HEAD "2021-06-22 12:19:41 DROP UDP 1.2.3 224.0.0.251 1 2 73 - - - - - - - "
                    "RECEIVE\n", 0, 1, 0, "t.log:6: src-ip \"1.2.3\""},
    {"bad port", PF_HEAD "2021-06-22 12:19:41 DROP UDP 1.2.3.4 224.0.0.251 x 2 73 - - - - - - - "
                 "RECEIVE\n", 0, 1, 0, "not a port number"},
    {"bad protocol", PF_HEAD "2021-06-22 12:19:41 DROP - 1.2.3.4 224.0.0.251 1 2 73 - - - - - - - "
                     "RECEIVE\n", 0, 1, 0, "protocol \"-\""},
    {"bad time", PF_HEAD "2021-06-22 25:19:41 DROP UDP 1.2.3.4 5.6.7.8 1 2 73 - - - - - - - "
                 "RECEIVE\n", 0, 1, 0, "is not a date and time"},
    {"mixed families", PF_HEAD "2021-06-22 12:19:41 DROP UDP 1.2.3.4 ::1 1 2 73 - - - - - - - "
                       "RECEIVE\n", 0, 1, 0, "different IP versions"},
    {"crlf", "#Fields: date time action protocol src-ip dst-ip src-port dst-port size tcpflags "
             "tcpsyn tcpack tcpwin icmptype icmpcode info path\r\n" PF_DROP "\r\n", 1, 0, 0, NULL},
    {"bom", "\xEF\xBB\xBF" PF_HEAD PF_DROP, 1, 0, 0, NULL},
};

static void test_pfw_table(void **state) {
  (void)state;
  for (size_t i = 0; i < sizeof pcases / sizeof pcases[0]; i++) {
    const pcase *c = &pcases[i];
    got g;
    wl_import_stats st = run(WL_IMPORT_PFIREWALL, c->text, &g);
    print_message("%s: %s\n", c->name, st.nproblems ? st.problems[0] : "-");
    assert_int_equal(st.delivered, c->delivered);
    assert_int_equal(st.malformed, c->malformed);
    assert_int_equal(st.unsupported, c->unsupported);
    assert_int_equal(st.default_fields, 0);
    if (c->problem)
      expect_problem(&st, 0, "t.log:", c->problem);
    else
      assert_int_equal(st.nproblems, 0);
  }
}

/* Columns by name (another order, a pid column); the lost-events count. */
static void test_pfw_header_by_name(void **state) {
  (void)state;
  static const char text[] =
      "#Fields: time date path pid dst-ip src-ip protocol action dst-port src-port info\n"
      "12:00:01 2024-03-01 SEND 4242 2001:db8::1 2001:db8::2 ICMP ALLOW - - -\n"
      "12:00:02 2024-03-01 RECEIVE - 10.0.0.1 10.0.0.9 6 DROP 3389 4444 -\n"
      "12:00:03 2024-03-01 - - - - - INFO-EVENTS-LOST - - 12\n"
      "12:00:04 2024-03-01 FORWARD - 10.0.0.1 10.0.0.9 UDP ALLOW 53 5353 -\n"
      "12:00:05 2024-03-01 SEND x 10.0.0.1 10.0.0.9 UDP ALLOW 53 5353 -\n";
  got g;
  wl_import_stats st = run(WL_IMPORT_PFIREWALL, text, &g);
  assert_int_equal(st.delivered, 3);
  assert_int_equal(st.lost_lines, 1);
  assert_int_equal(st.events_lost, 12);
  assert_int_equal(st.malformed, 1);
  expect_problem(&st, 0, "t.log:6: ", "pid \"x\"");
  char buf[WL_EP_STR_MAX];
  const wl_event *ev = &g.r[0].ev;
  assert_int_equal(ev->dir, WL_DIR_OUT);
  assert_int_equal(ev->proto, 58);
  wl_endpoint_format(ev->ip_version, ev->remote_addr, 0, buf);
  assert_string_equal(buf, "[2001:db8::1]:0"); /* dst-ip of a SEND is remote */
  assert_false(ev->has & (WL_HAS_LOCAL_PORT | WL_HAS_REMOTE_PORT));
  ev = &g.r[1].ev;
  assert_int_equal(ev->dir, WL_DIR_IN);
  assert_int_equal(ev->type, WL_EVT_DROP);
  assert_int_equal(ev->local_port, 3389);
  assert_int_equal(ev->remote_port, 4444);
  wl_endpoint_format(ev->ip_version, ev->local_addr, ev->local_port, buf);
  assert_string_equal(buf, "10.0.0.1:3389"); /* dst-ip of a RECEIVE is local */
  ev = &g.r[2].ev;
  assert_int_equal(ev->dir, WL_DIR_UNKNOWN); /* FORWARD */
  assert_false(ev->has & WL_HAS_DIR);
  expect_time(ev->ts, "2024-03-01T12:00:04.0000000Z");
}

/* No header: the default order is assumed and said; pid as an 18th column is accepted. */
static void test_pfw_no_header(void **state) {
  (void)state;
  got g;
  wl_import_stats st = run(WL_IMPORT_PFIREWALL, PF_DROP "\n" PF_SEND " 1234\n", &g);
  assert_int_equal(st.delivered, 2);
  assert_int_equal(st.default_fields, 1);
  assert_int_equal(st.notes, 1);
  expect_problem(&st, 0, "t.log:1: ", "no #Fields: header: assuming the default order");
  st = run(WL_IMPORT_PFIREWALL, PF_DROP " 1 2\n", &g);
  expect_problem(&st, 1, "t.log:1: ", "19 columns, the default order has 17 (18 with pid)");
}

/* Local time without a zone: UTC, or UTC minus the offset the user gives. */
static void test_pfw_offset(void **state) {
  (void)state;
  got g;
  wl_import_opts o = {.format = WL_IMPORT_PFIREWALL, .utc_offset_set = 1,
                      .utc_offset_min = 120};
  run_opts(&o, PF_HEAD PF_DROP, strlen(PF_HEAD PF_DROP), &g);
  expect_time(g.r[0].ev.ts, "2021-06-22T10:19:41.0000000Z");
  o.utc_offset_min = -330;
  run_opts(&o, PF_HEAD PF_DROP, strlen(PF_HEAD PF_DROP), &g);
  expect_time(g.r[0].ev.ts, "2021-06-22T17:49:41.0000000Z");
}

/* pfirewall logs a packet per line at one-second resolution: equal lines are equal packets. */
static void test_pfw_repeats(void **state) {
  (void)state;
  got g;
  run(WL_IMPORT_PFIREWALL, PF_HEAD PF_DROP "\n" PF_DROP "\n" PF_DROP "\n", &g);
  assert_int_equal(g.n, 3);
  assert_true(g.r[0].key != g.r[1].key && g.r[1].key != g.r[2].key && g.r[0].key != g.r[2].key);
}

/* Files of WL_IMPORT_PROGRESS_MIN bytes and more show "\rNAME: x / y MB (p%)" lines that end
 * at 100% with a newline; smaller ones show nothing. */
static void test_progress(void **state) {
  (void)state;
  size_t line = strlen(PF_DROP) + 1, n = WL_IMPORT_PROGRESS_MIN / line + 1000;
  char *text = malloc(n * line);
  for (size_t i = 0; i < n; i++)
    memcpy(text + i * line, PF_DROP "\n", line);
  for (int big = 0; big <= 1; big++) {
    FILE *f = tmpfile();
    assert_non_null(f);
    wl_import_opts o = {.format = WL_IMPORT_PFIREWALL, .progress = f};
    wl_import_stats st = {0};
    size_t len = big ? n * line : 100 * line;
    assert_int_equal(wl_import_buffer(&o, "t.log", text, len, NULL, NULL, &st), WL_OK);
    assert_int_equal(st.delivered, big ? n : 100);
    char out[8192] = "";
    rewind(f);
    size_t nout = fread(out, 1, sizeof out - 1, f);
    out[nout] = '\0';
    fclose(f);
    if (!big) {
      assert_int_equal(nout, 0);
      continue;
    }
    assert_true(nout > 0 && out[0] == '\r' && out[nout - 1] == '\n');
    assert_non_null(strstr(out, "\rt.log: 0.0 / "));
    assert_non_null(strstr(out, "MB (100%)\n"));
  }
  free(text);
}

static void test_formats_and_errors(void **state) {
  (void)state;
  int f = 0;
  assert_int_equal(wl_import_format_parse("evtxml", &f), WL_OK);
  assert_int_equal(f, WL_IMPORT_EVTXML);
  assert_int_equal(wl_import_format_parse("csv", &f), WL_E_INVAL);
  assert_string_equal(wl_import_format_name(WL_IMPORT_PFIREWALL), "pfirewall");
  wl_import_opts o = {.format = WL_IMPORT_SECJSON};
  wl_import_stats st = {0};
  got g;
  assert_int_equal(wl_import_file(&o, "/nonexistent/x.jsonl", sink, &g, &st), WL_E_NOTFOUND);
  assert_non_null(strstr(wl_errmsg(), "/nonexistent/x.jsonl"));
  /* a directory: opens on POSIX and fails to read (EISDIR), fails to open on Windows; either
   * way an error that names it, never an empty import */
  const char *dir = getenv("WL_BUILD_DIR");
  if (dir) {
    memset(&st, 0, sizeof st);
    int rc = wl_import_file(&o, dir, sink, &g, &st);
    if (rc == WL_OK || !strstr(wl_errmsg(), dir))
      fail_msg("import of directory %s: rc %d \"%s\"", dir, rc, wl_errmsg());
  }
  o.format = 9;
  assert_int_equal(wl_import_buffer(&o, "x", "", 0, sink, &g, &st), WL_E_INVAL);
  o.format = WL_IMPORT_EVTXML; /* empty input: nothing, no complaint */
  st = run_opts(&o, "", 0, &g);
  assert_int_equal(st.read + st.notes, 0);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_secjson_table),      cmocka_unit_test(test_secjson_fields),
      cmocka_unit_test(test_secjson_log_analytics),
      cmocka_unit_test(test_secjson_time_zones), cmocka_unit_test(test_secjson_apps),
      cmocka_unit_test(test_secjson_long_app),
      cmocka_unit_test(test_crlf_bom_blank),     cmocka_unit_test(test_utf16le),
      cmocka_unit_test(test_10mb_line),          cmocka_unit_test(test_line_max_boundary),
      cmocka_unit_test(test_problem_cap),        cmocka_unit_test(test_sink_stops),
      cmocka_unit_test(test_duplicate_lines),    cmocka_unit_test(test_xml_shapes),
      cmocka_unit_test(test_xml_unclosed_element), cmocka_unit_test(test_xml_errors_resync),
      cmocka_unit_test(test_xml_not_events),
      cmocka_unit_test(test_xml_ids_and_fields), cmocka_unit_test(test_xml_huge),
      cmocka_unit_test(test_xml_encodings),      cmocka_unit_test(test_xml_no_dtd),
      cmocka_unit_test(test_pfw_table),          cmocka_unit_test(test_pfw_header_by_name),
      cmocka_unit_test(test_pfw_no_header),      cmocka_unit_test(test_pfw_offset),
      cmocka_unit_test(test_pfw_repeats),        cmocka_unit_test(test_formats_and_errors),
      cmocka_unit_test(test_progress),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
