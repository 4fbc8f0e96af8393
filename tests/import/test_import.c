/* test_import.c — the importers against the real Windows logs (tests/data/real/README.md):
 * every sample imports with exact counts per event id, action and direction (derived
 * independently, see the derivation comment on each row), chosen records decode field by
 * field, keys are distinct within a file and identical when the same file is read again (also
 * through a copy under another name), and the file identity survives appending.
 *
 *   test_import          the samples kept in the repository (tests/data/real)
 *   test_import shared   the cases that need the two samples whose licences keep them out of
 *                        it, read from ../shared/data/real; exits 77 (skipped) when absent
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
#include "common/wl_text.h"
#include "import/import.h"
#include "tests/support/test_data.h"

/* ---------------------------------------------------------------- a sink that counts */

typedef struct coll {
  uint64_t n, allow, drop, dir_in, dir_out, dir_unknown, app_hits, app2_hits, no_app;
  const char *app, *app2;     /* basenames to count */
  uint64_t *keys;
  size_t nkeys, cap;
  uint64_t want_ordinal;      /* keep this record */
  wl_import_rec kept;
  int have_kept;
} coll;

static int ci_eq(const char *a, const char *b) {
  size_t n = strlen(b);
  return strlen(a) == n && wl_strncasecmp(a, b, n) == 0;
}

static const char *base(const char *p) {
  const char *b = p;
  for (; *p; p++)
    if (*p == '\\' || *p == '/')
      b = p + 1;
  return b;
}

static int coll_sink(void *ctx, const wl_import_rec *r) {
  coll *c = ctx;
  c->n++;
  c->allow += r->ev.type == WL_EVT_ALLOW;
  c->drop += r->ev.type == WL_EVT_DROP;
  c->dir_in += r->ev.dir == WL_DIR_IN;
  c->dir_out += r->ev.dir == WL_DIR_OUT;
  c->dir_unknown += r->ev.dir == WL_DIR_UNKNOWN;
  assert_int_equal(r->ev.origin, WL_ORIGIN_IMPORT);
  assert_true(r->line >= r->ordinal); /* one record per line at most */
  if (!(r->ev.has & WL_HAS_APP))
    c->no_app++;
  else if (c->app && ci_eq(base(r->ev.app), c->app))
    c->app_hits++;
  else if (c->app2 && ci_eq(base(r->ev.app), c->app2))
    c->app2_hits++;
  if (c->nkeys == c->cap) {
    c->cap = c->cap ? c->cap * 2 : 1024;
    c->keys = realloc(c->keys, c->cap * sizeof *c->keys);
    assert_non_null(c->keys);
  }
  c->keys[c->nkeys++] = r->key;
  if (r->ordinal == c->want_ordinal) {
    c->kept = *r;
    c->have_kept = 1;
  }
  return WL_OK;
}

static int cmp_u64(const void *a, const void *b) {
  uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
  return x < y ? -1 : x > y;
}

static size_t distinct(uint64_t *k, size_t n) {
  qsort(k, n, sizeof *k, cmp_u64);
  size_t d = n ? 1 : 0;
  for (size_t i = 1; i < n; i++)
    d += k[i] != k[i - 1];
  return d;
}

static void import_file(const char *file, int format, const wl_path_map *map, coll *c,
                        wl_import_stats *st) {
  wl_import_opts o = {.format = format, .paths = map};
  memset(st, 0, sizeof *st);
  int rc = wl_import_file(&o, wl_test_data_path(file), coll_sink, c, st);
  if (rc != WL_OK)
    fail_msg("%s: %s", file, wl_errmsg());
  for (size_t i = 0; i < st->nproblems; i++)
    print_message("  problem: %s\n", st->problems[i]);
}

/* ---------------------------------------------------------------- exact counts per sample */

typedef struct sample {
  const char *file;
  int format;
  uint64_t read, delivered, unsupported, malformed;
  uint64_t by_id[6]; /* 5152 5154 5156 5157 5158 pfirewall */
  uint64_t allow, drop, in, out;
  const char *app, *app2;
  uint64_t app_hits, app2_hits, no_app;
} sample;

/* How the numbers were derived, without our code:
 *  JSON lines: python3 -c 'import json,collections; rows=[json.loads(l) for l in open(F)];
 *    print(collections.Counter(r["EventID"] for r in rows));
 *    print(collections.Counter((r["EventID"], r.get("Direction")) for r in rows));
 *    print(collections.Counter(r["Application"].split("\\")[-1].lower() for r in rows
 *          if r["EventID"] in (5152,5154,5156,5157,5158)))'
 *  Event XML: the same over xml.etree.ElementTree: Event/System/EventID and
 *    Event/EventData/Data[@Name] (namespace http://schemas.microsoft.com/win/2004/08/events/event).
 *  pfirewall: awk '!/^#/ && NF {a[$3" "$17]++} END {for (k in a) print a[k], k}' F
 *    (action, path) and awk '!/^#/ && NF' F | wc -l for the records.
 * Allow = 5154 + 5156 + 5158, drop = 5152 + 5157; in = %%14592, out = %%14593 (or RECEIVE /
 * SEND); 5154/5158 have no direction. Apps "-" count as no app. */
static const sample samples[] = {
    /* 3056 records: 5156 1310 (in 351, out 959), 5158 1213, 5154 262, 5152 209 (in 164,
     * out 45), 5157 46 (in 46), 5031 16 (unsupported). svchost.exe 1118, lsass.exe 567,
     * "-" 208. */
    {"otrf_wfp_events_full.jsonl", WL_IMPORT_SECJSON, 3056, 3040, 16, 0,
     {209, 262, 1310, 46, 1213, 0}, 2785, 255, 561, 1004, "svchost.exe", "lsass.exe", 1118, 567,
     208},
    /* one each of 5152 (in), 5154, 5156 (out), 5157 (out), 5158; 5152's app is "-"; nxlog.exe
     * makes the 5156, svchost.exe the 5154, 5157 and 5158. */
    {"d4rk_WinEvents_wfp.jsonl", WL_IMPORT_SECJSON, 5, 5, 0, 0, {1, 1, 1, 1, 1, 0}, 3, 2, 1, 2,
     "svchost.exe", "nxlog.exe", 3, 1, 1},
    /* 101 events: 5156 63 (in 27, out 36), 5158 9; 1102 1, 4624 5, 4648 3, 4672 3, 4688 17
     * are not WFP events. svchost.exe 44, lsass.exe 16. */
    {"evtxattack_DE_RDP_Tunnel_5156.evtxexport.xml", WL_IMPORT_EVTXML, 101, 72, 29, 0,
     {0, 0, 63, 0, 9, 0}, 72, 0, 27, 36, "svchost.exe", "lsass.exe", 44, 16, 0},
    /* 5152 ×2, 5157 ×1, all inbound; apps "-" once, "System" twice. */
    {"omerbenamram_evtx_Security_short_selected_wfp.evtxexport.xml", WL_IMPORT_EVTXML, 3, 3, 0,
     0, {2, 0, 0, 1, 0, 0}, 0, 3, 3, 0, "System", NULL, 2, 0, 1},
    /* 16809 records: ALLOW RECEIVE 1312, ALLOW SEND 3807, DROP RECEIVE 11688, and 2
     * INFO-EVENTS-LOST lines (7 + 1 lost events). No application in this format. */
    {"pfirewall_BetaHydri_ParseFirewallLog.log", WL_IMPORT_PFIREWALL, 16809, 16807, 2, 0,
     {0, 0, 0, 0, 0, 16807}, 5119, 11688, 13000, 3807, NULL, NULL, 0, 0, 16807},
};

/* Every sample kept in the repository (RESTRICTED 0), or every one outside it (1). */
static void check_samples(int restricted) {
  for (size_t i = 0; i < sizeof samples / sizeof samples[0]; i++) {
    const sample *s = &samples[i];
    if (wl_test_data_restricted(s->file) != restricted)
      continue;
    coll c = {.app = s->app, .app2 = s->app2};
    wl_import_stats st;
    print_message("%s\n", s->file);
    import_file(s->file, s->format, NULL, &c, &st);
    assert_int_equal(st.read, s->read);
    assert_int_equal(st.delivered, s->delivered);
    assert_int_equal(c.n, s->delivered);
    assert_int_equal(st.unsupported, s->unsupported);
    assert_int_equal(st.malformed, s->malformed);
    assert_int_equal(st.skipped, s->unsupported + s->malformed);
    assert_int_equal(st.read, st.delivered + st.skipped);
    for (int k = 0; k < 6; k++)
      assert_int_equal(st.by_id[k], s->by_id[k]);
    assert_int_equal(c.allow, s->allow);
    assert_int_equal(c.drop, s->drop);
    assert_int_equal(c.dir_in, s->in);
    assert_int_equal(c.dir_out, s->out);
    assert_int_equal(c.dir_unknown, s->delivered - s->in - s->out);
    assert_int_equal(c.app_hits, s->app_hits);
    assert_int_equal(c.app2_hits, s->app2_hits);
    assert_int_equal(c.no_app, s->no_app);
    /* no two records of one file share a key (the otrf file has no repeated
     * Hostname+RecordNumber; pfirewall repeats are told apart by their ordinal) */
    assert_int_equal(distinct(c.keys, c.nkeys), s->delivered);
    free(c.keys);
  }
}

static void test_samples(void **state) {
  (void)state;
  check_samples(0);
}

static void test_samples_shared(void **state) {
  (void)state;
  check_samples(1);
}

static void test_pfirewall_lost_and_header(void **state) {
  (void)state;
  coll c = {0};
  wl_import_stats st;
  import_file("pfirewall_BetaHydri_ParseFirewallLog.log", WL_IMPORT_PFIREWALL, NULL, &c, &st);
  assert_int_equal(st.lost_lines, 2);
  assert_int_equal(st.events_lost, 8);
  assert_int_equal(st.default_fields, 0);
  assert_int_equal(st.notes, 0);
  free(c.keys);
}

/* ---------------------------------------------------------------- records field by field */

static wl_import_rec one(const char *file, int format, const wl_path_map *map, uint64_t ordinal) {
  coll c = {.want_ordinal = ordinal};
  wl_import_stats st;
  import_file(file, format, map, &c, &st);
  free(c.keys);
  if (!c.have_kept)
    fail_msg("%s: record %llu was not delivered", file, (unsigned long long)ordinal);
  return c.kept;
}

static void expect_time(uint64_t ts, const char *want) {
  char buf[WL_TIME_STR_MAX];
  wl_time_format(ts, buf);
  assert_string_equal(buf, want);
}

static void expect_ep(const wl_event *ev, int local, const char *want) {
  char buf[WL_EP_STR_MAX];
  uint32_t has_addr = local ? WL_HAS_LOCAL_ADDR : WL_HAS_REMOTE_ADDR;
  uint32_t has_port = local ? WL_HAS_LOCAL_PORT : WL_HAS_REMOTE_PORT;
  assert_true(ev->has & has_addr);
  assert_true(ev->has & has_port);
  wl_endpoint_format(ev->ip_version, local ? ev->local_addr : ev->remote_addr,
                     local ? ev->local_port : ev->remote_port, buf);
  assert_string_equal(buf, want);
}

/* d4rk line 1, NXLog with a zone: 5156 outbound, nxlog.exe to a syslog server. */
static void test_nxlog_outbound(void **state) {
  (void)state;
  wl_path_map m;
  wl_path_map_init(&m);
  assert_int_equal(wl_path_map_add_spec(&m, "C=\\device\\harddiskvolume2"), WL_OK);
  wl_import_rec r = one("d4rk_WinEvents_wfp.jsonl", WL_IMPORT_SECJSON, &m, 1);
  const wl_event *ev = &r.ev;
  assert_int_equal(r.event_id, 5156);
  assert_int_equal(r.line, 1);
  assert_int_equal(ev->type, WL_EVT_ALLOW);
  assert_int_equal(ev->dir, WL_DIR_OUT);
  expect_time(ev->ts, "2021-08-27T07:18:47.0020160Z"); /* 13:03:47.002016+05:45 */
  expect_ep(ev, 1, "192.168.2.46:49694");
  expect_ep(ev, 0, "192.168.4.132:514");
  assert_int_equal(ev->proto, 6);
  assert_int_equal(ev->ip_version, 4);
  assert_true(ev->has & WL_HAS_FILTER);
  assert_int_equal(ev->filter_id, 82874);
  assert_true(ev->has & WL_HAS_LAYER);
  assert_int_equal(ev->layer_id, 48);
  assert_string_equal(ev->app, "\\device\\harddiskvolume2\\program files\\nxlog\\nxlog.exe");
  assert_string_equal(ev->app_dos, "C:\\program files\\nxlog\\nxlog.exe");
  assert_int_equal(ev->origin, WL_ORIGIN_IMPORT);
}

/* d4rk line 2: 5158 bind has no direction and no remote; FilterRTID 0 means no filter. */
static void test_nxlog_bind(void **state) {
  (void)state;
  wl_import_rec r = one("d4rk_WinEvents_wfp.jsonl", WL_IMPORT_SECJSON, NULL, 2);
  const wl_event *ev = &r.ev;
  assert_int_equal(r.event_id, 5158);
  assert_int_equal(ev->type, WL_EVT_ALLOW);
  assert_int_equal(ev->dir, WL_DIR_UNKNOWN);
  assert_false(ev->has & WL_HAS_DIR);
  expect_ep(ev, 1, "0.0.0.0:49887");
  assert_false(ev->has & (WL_HAS_REMOTE_ADDR | WL_HAS_REMOTE_PORT | WL_HAS_FILTER));
  assert_int_equal(ev->layer_id, 36);
  /* no drive map: the NT path stays, no DOS form */
  assert_string_equal(ev->app, "\\device\\harddiskvolume2\\windows\\system32\\svchost.exe");
  assert_string_equal(ev->app_dos, "");
}

/* d4rk line 5: 5152 inbound packet drop: local is the destination; "-" is no app. */
static void test_nxlog_inbound_drop(void **state) {
  (void)state;
  wl_import_rec r = one("d4rk_WinEvents_wfp.jsonl", WL_IMPORT_SECJSON, NULL, 5);
  const wl_event *ev = &r.ev;
  assert_int_equal(r.event_id, 5152);
  assert_int_equal(ev->type, WL_EVT_DROP);
  assert_int_equal(ev->dir, WL_DIR_IN);
  assert_false(ev->has & WL_HAS_APP);
  assert_string_equal(ev->app, "");
}

/* otrf line 116, NXLog without a zone: EventTime 2020-10-09 18:30:02 local, EventReceivedTime
 * 18:30:03 local, @timestamp 22:30:03.242Z → the collector ran at UTC-4. */
static void test_nxlog_zone_inferred(void **state) {
  (void)state;
  wl_import_rec r = one("otrf_wfp_events_full.jsonl", WL_IMPORT_SECJSON, NULL, 116);
  assert_int_equal(r.event_id, 5156);
  expect_time(r.ev.ts, "2020-10-09T22:30:02.0000000Z");
  expect_ep(&r.ev, 1, "172.18.38.5:52204");
  expect_ep(&r.ev, 0, "168.63.129.16:80");
  assert_int_equal(r.ev.filter_id, 70901);
}

/* otrf line 2627, the 2023 shape: TimeCreated in UTC, ProcessID, inbound, app "System". */
static void test_2023_shape_inbound(void **state) {
  (void)state;
  wl_import_rec r = one("otrf_wfp_events_full.jsonl", WL_IMPORT_SECJSON, NULL, 2627);
  const wl_event *ev = &r.ev;
  assert_int_equal(r.event_id, 5156);
  assert_int_equal(ev->dir, WL_DIR_IN);
  expect_time(ev->ts, "2023-08-15T05:34:19.8300000Z");
  expect_ep(ev, 1, "192.168.1.255:137"); /* DestAddress */
  expect_ep(ev, 0, "192.168.1.43:137");  /* SourceAddress */
  assert_int_equal(ev->proto, 17);
  assert_int_equal(ev->layer_id, 44);
  assert_string_equal(ev->app, "System");
  assert_string_equal(ev->app_dos, "");
}

/* evtxattack event 2 (starts on line 28): 5156 outbound over IPv6, DHCPv6 from svchost. */
static void test_evtxml_v6(void **state) {
  (void)state;
  wl_path_map m;
  wl_path_map_init(&m);
  assert_int_equal(wl_path_map_add_spec(&m, "C=\\device\\harddiskvolume1"), WL_OK);
  wl_import_rec r = one("evtxattack_DE_RDP_Tunnel_5156.evtxexport.xml", WL_IMPORT_EVTXML, &m, 2);
  const wl_event *ev = &r.ev;
  assert_int_equal(r.event_id, 5156);
  assert_int_equal(r.line, 28);
  assert_int_equal(ev->dir, WL_DIR_OUT);
  expect_time(ev->ts, "2019-02-13T18:01:47.5123404Z");
  assert_int_equal(ev->ip_version, 6);
  expect_ep(ev, 1, "[fe80::80ac:4126:fa58:1b81]:546");
  expect_ep(ev, 0, "[ff02::1:2]:547");
  assert_int_equal(ev->proto, 17);
  assert_int_equal(ev->filter_id, 65865);
  assert_int_equal(ev->layer_id, 50);
  assert_string_equal(ev->app_dos, "C:\\windows\\system32\\svchost.exe");
}

/* omerbenamram event 1 (line 2): 5152 inbound RDP probe dropped at the transport layer. */
static void test_evtxml_drop(void **state) {
  (void)state;
  wl_import_rec r = one("omerbenamram_evtx_Security_short_selected_wfp.evtxexport.xml",
                        WL_IMPORT_EVTXML, NULL, 1);
  const wl_event *ev = &r.ev;
  assert_int_equal(r.event_id, 5152);
  assert_int_equal(r.line, 2);
  assert_int_equal(ev->type, WL_EVT_DROP);
  assert_int_equal(ev->dir, WL_DIR_IN);
  expect_time(ev->ts, "2016-06-29T15:24:34.3460000Z");
  expect_ep(ev, 1, "169.46.6.101:3389");
  expect_ep(ev, 0, "23.94.153.202:59639");
  assert_int_equal(ev->filter_id, 67607);
  assert_int_equal(ev->layer_id, 13);
  assert_false(ev->has & WL_HAS_APP);
}

/* pfirewall line 6 (the first record): an inbound mDNS drop. */
static void test_pfirewall_first(void **state) {
  (void)state;
  wl_import_rec r = one("pfirewall_BetaHydri_ParseFirewallLog.log", WL_IMPORT_PFIREWALL, NULL, 1);
  const wl_event *ev = &r.ev;
  assert_int_equal(r.line, 6);
  assert_int_equal(r.event_id, 0);
  assert_int_equal(ev->type, WL_EVT_DROP);
  assert_int_equal(ev->dir, WL_DIR_IN);
  expect_time(ev->ts, "2021-06-22T12:19:41.0000000Z");
  expect_ep(ev, 1, "224.0.0.251:5353");
  expect_ep(ev, 0, "192.168.178.25:5353");
  assert_int_equal(ev->proto, 17);
  assert_false(ev->has & (WL_HAS_APP | WL_HAS_FILTER | WL_HAS_LAYER));
}

/* ---------------------------------------------------------------- keys */

static char *slurp(const char *file, size_t *len) {
  FILE *f = fopen(wl_test_data_path(file), "rb");
  assert_non_null(f);
  fseek(f, 0, SEEK_END);
  long n = ftell(f);
  fseek(f, 0, SEEK_SET);
  char *b = malloc((size_t)n + 1);
  assert_non_null(b);
  assert_int_equal(fread(b, 1, (size_t)n, f), (size_t)n);
  fclose(f);
  *len = (size_t)n;
  return b;
}

static coll keys_of(int format, const char *name, const char *data, size_t len) {
  coll c = {0};
  wl_import_opts o = {.format = format};
  wl_import_stats st = {0};
  assert_int_equal(wl_import_buffer(&o, name, data, len, coll_sink, &c, &st), WL_OK);
  return c;
}

/* Same bytes under another name give the same keys; a file that grew keeps the keys of its
 * old part; a different file shares no key. */
static void test_keys_pfirewall(void **state) {
  (void)state;
  size_t len;
  char *b = slurp("pfirewall_BetaHydri_ParseFirewallLog.log", &len);
  coll a = keys_of(WL_IMPORT_PFIREWALL, "a.log", b, len);
  coll copy = keys_of(WL_IMPORT_PFIREWALL, "renamed-copy.log", b, len);
  assert_int_equal(a.nkeys, copy.nkeys);
  assert_memory_equal(a.keys, copy.keys, a.nkeys * sizeof *a.keys);
  size_t half = len / 2;
  while (b[half - 1] != '\n')
    half--;
  coll grown_from = keys_of(WL_IMPORT_PFIREWALL, "early.log", b, half);
  assert_true(grown_from.nkeys > 1000 && grown_from.nkeys < a.nkeys);
  assert_memory_equal(grown_from.keys, a.keys, grown_from.nkeys * sizeof *a.keys);
  /* another log: the same header, then the second half of the records. Its first record
   * differs, so it is another file and no key is shared even where lines are equal. */
  char *hdr_end = strstr(b, "\n2021-") + 1;
  size_t hlen = (size_t)(hdr_end - b), tail = len - half;
  char *other = malloc(hlen + tail);
  memcpy(other, b, hlen);
  memcpy(other + hlen, b + half, tail);
  coll o = keys_of(WL_IMPORT_PFIREWALL, "other.log", other, hlen + tail);
  assert_int_equal(o.nkeys + grown_from.nkeys, a.nkeys);
  size_t all = a.nkeys + o.nkeys;
  uint64_t *both = malloc(all * sizeof *both);
  memcpy(both, a.keys, a.nkeys * sizeof *both);
  memcpy(both + a.nkeys, o.keys, o.nkeys * sizeof *both);
  assert_int_equal(distinct(both, all), all);
  free(both);
  free(other);
  free(a.keys);
  free(copy.keys);
  free(grown_from.keys);
  free(o.keys);
  free(b);
}

/* Records with Computer + record number keep their key in any file and any order. */
static void test_keys_record_numbers(void **state) {
  (void)state;
  size_t len;
  char *b = slurp("d4rk_WinEvents_wfp.jsonl", &len);
  coll a = keys_of(WL_IMPORT_SECJSON, "d4rk.jsonl", b, len);
  /* the same five lines, last first */
  char *lines[5], *p = b, *rev = malloc(len + 1);
  for (int i = 0; i < 5; i++) {
    lines[i] = p;
    p = strchr(p, '\n') + 1;
  }
  size_t o = 0;
  for (int i = 4; i >= 0; i--) {
    size_t n = (size_t)(strchr(lines[i], '\n') + 1 - lines[i]);
    memcpy(rev + o, lines[i], n);
    o += n;
  }
  coll r = keys_of(WL_IMPORT_SECJSON, "reversed.jsonl", rev, o);
  assert_int_equal(a.nkeys, 5);
  assert_int_equal(r.nkeys, 5);
  for (int i = 0; i < 5; i++)
    assert_int_equal(a.keys[i], r.keys[4 - i]);
  free(a.keys);
  free(r.keys);
  free(rev);
  free(b);
}

/* Chunk boundaries anywhere (lines, XML tags, "<Event" matches, UTF-16 code units split
 * between reads) change nothing: the same records with the same keys in the same order. */
static coll keys_chunked(int format, const char *data, size_t len, size_t chunk,
                         wl_import_stats *st) {
  coll c = {0};
  wl_import_opts o = {.format = format, .chunk = chunk};
  memset(st, 0, sizeof *st);
  assert_int_equal(wl_import_buffer(&o, "x", data, len, coll_sink, &c, st), WL_OK);
  return c;
}

static void check_small_chunks(int restricted) {
  static const size_t chunks[] = {16, 17, 61, 4099};
  for (size_t i = 0; i < sizeof samples / sizeof samples[0]; i++) {
    if (wl_test_data_restricted(samples[i].file) != restricted)
      continue;
    size_t len;
    char *b = slurp(samples[i].file, &len);
    wl_import_stats ref_st, st;
    coll ref = keys_chunked(samples[i].format, b, len, 0, &ref_st);
    assert_int_equal(ref.nkeys, samples[i].delivered);
    for (size_t k = 0; k < sizeof chunks / sizeof chunks[0]; k++) {
      coll c = keys_chunked(samples[i].format, b, len, chunks[k], &st);
      print_message("%s, chunk %zu: %llu records\n", samples[i].file, chunks[k],
                    (unsigned long long)c.nkeys);
      assert_int_equal(st.read, ref_st.read);
      assert_int_equal(st.malformed, ref_st.malformed);
      assert_int_equal(st.unsupported, ref_st.unsupported);
      assert_int_equal(c.nkeys, ref.nkeys);
      assert_memory_equal(c.keys, ref.keys, c.nkeys * sizeof *c.keys);
      free(c.keys);
    }
    if (len < 200000) { /* the same file as UTF-16LE with a BOM: same records, same keys */
      uint8_t *u16 = malloc(2 * len + 2);
      u16[0] = 0xFF, u16[1] = 0xFE;
      size_t n = 2 + wl_utf8_to_utf16le(b, len, u16 + 2, 2 * len);
      for (size_t k = 0; k < sizeof chunks / sizeof chunks[0]; k++) {
        coll c = keys_chunked(samples[i].format, (const char *)u16, n, chunks[k], &st);
        assert_int_equal(st.read, ref_st.read);
        assert_int_equal(c.nkeys, ref.nkeys);
        assert_memory_equal(c.keys, ref.keys, c.nkeys * sizeof *c.keys);
        free(c.keys);
      }
      free(u16);
    }
    free(ref.keys);
    free(b);
  }
}

static void test_small_chunks(void **state) {
  (void)state;
  check_small_chunks(0);
}

static void test_small_chunks_shared(void **state) {
  (void)state;
  check_small_chunks(1);
}

/* A file whose name is not ASCII (UTF-8, as every path in the core): written and imported
 * through wl_os_fopen. On Windows the CRT's fopen would read the name in the ANSI code page and
 * not find the file that wl_os_file_id (UTF-16) sees. The content: the first five lines of the
 * otrf sample (five 5152 records). */
static void test_non_ascii_name(void **state) {
  (void)state;
  const char *dir = getenv("WL_BUILD_DIR");
  char path[4200];
  snprintf(path, sizeof path, "%s/imp-\xc3\xbcml\xc3\xa4ut-\xe6\x97\xa5\xe6\x9c\xac.jsonl",
           dir ? dir : ".");
  size_t len;
  char *b = slurp("otrf_wfp_events_full.jsonl", &len);
  size_t five = 0;
  for (int nl = 0; five < len && nl < 5; five++)
    nl += b[five] == '\n';
  len = five;
  FILE *f = NULL;
  if (wl_os_fopen(path, "wb", &f) != WL_OK)
    fail_msg("%s", wl_errmsg());
  assert_int_equal(fwrite(b, 1, len, f), len);
  fclose(f);
  free(b);
  coll c = {0};
  wl_import_opts o = {.format = WL_IMPORT_SECJSON};
  wl_import_stats st = {0};
  int rc = wl_import_file(&o, path, coll_sink, &c, &st);
  if (rc != WL_OK)
    fail_msg("%s", wl_errmsg());
  assert_int_equal(st.delivered, 5);
  free(c.keys);
  /* a missing non-ASCII name is reported by name */
  path[strlen(path) - 1] = 'X';
  assert_int_equal(wl_import_file(&o, path, coll_sink, &c, &st), WL_E_NOTFOUND);
  assert_non_null(strstr(wl_errmsg(), "\xe6\x97\xa5\xe6\x9c\xac"));
  path[strlen(path) - 1] = 'l';
  (void)remove(path); /* remove() is ANSI on Windows: there the file stays (rewritten next run) */
}

int main(int argc, char **argv) {
  /* the samples in tests/data/real */
  const struct CMUnitTest repo_tests[] = {
      cmocka_unit_test(test_samples),
      cmocka_unit_test(test_pfirewall_lost_and_header),
      cmocka_unit_test(test_nxlog_zone_inferred),
      cmocka_unit_test(test_2023_shape_inbound),
      cmocka_unit_test(test_evtxml_drop),
      cmocka_unit_test(test_pfirewall_first),
      cmocka_unit_test(test_keys_pfirewall),
      cmocka_unit_test(test_small_chunks),
      cmocka_unit_test(test_non_ascii_name),
  };
  /* d4rk (no licence) and evtxattack (GPL-3.0), from ../shared/data/real */
  const struct CMUnitTest shared_tests[] = {
      cmocka_unit_test(test_samples_shared),
      cmocka_unit_test(test_nxlog_outbound),
      cmocka_unit_test(test_nxlog_bind),
      cmocka_unit_test(test_nxlog_inbound_drop),
      cmocka_unit_test(test_evtxml_v6),
      cmocka_unit_test(test_keys_record_numbers),
      cmocka_unit_test(test_small_chunks_shared),
  };
  if (argc > 1 && strcmp(argv[1], "shared") == 0) {
    if (!wl_test_data_have_restricted())
      return WL_TEST_SKIP;
    return cmocka_run_group_tests(shared_tests, NULL, NULL);
  }
  if (argc > 1) {
    fprintf(stderr, "usage: test_import [shared]\n");
    return 2;
  }
  return cmocka_run_group_tests(repo_tests, NULL, NULL);
}
