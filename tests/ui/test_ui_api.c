/* test_ui_api.c — the review page's API (ui/ui.h, docs/ui.md) over real HTTP on 127.0.0.1:
 *   - security: no or wrong token 401; a foreign Host 403 (DNS rebinding); a POST with a
 *     foreign or no Origin 403 (CSRF); no CORS header; CSP on every answer; bodies over
 *     WL_UI_MAX_BODY 413; wrong methods 405; unknown paths 404;
 *   - the GET documents are byte for byte what `review --json` and `rules --json` print, and
 *     /api/status is the `status --json` object;
 *   - POST promote / revoke / enforce / confirm / relax do what the commands do: filters in the
 *     sim engine appear and go, the mode moves learn -> pending -> enforce -> learn;
 *   - bad JSON, unknown ids and bad values answer {"error": "..."} with 400 / 404;
 *   - each proposal's hourly timeline adds up to the allowed and blocked counts review shows;
 *   - connections seen only in the connection tables come as "held" elements after the
 *     proposals (ui/report_held.c), the same as `review --json`, and counted in /api/status.
 * The server runs in this process; the client is tests/ui/http_client.h. The test executable
 * doubles as wfplearn for enforce's watchdog (tests/support/test_wl_world.h). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "common/wl_err.h"
#include "common/wl_json.h"
#include "common/wl_text.h"
#include "store/held.h"
#include "tests/support/test_wl_world.h"
#include "tests/ui/http_client.h"
#include "ui/ui.h"

static world g_w;
static wl_ui *g_ui;
static char g_host[32], g_origin[48];

typedef struct ans {
  int status;
  char *raw;        /* the whole answer; free it */
  const char *body; /* after the headers */
} ans;

static ans http(const char *method, const char *path, const char *host, const char *token,
                const char *origin, const char *body) {
  size_t blen = body ? strlen(body) : 0, n = 0;
  char *req = malloc(blen + 1024);
  assert_non_null(req);
  int k = snprintf(req, 1024, "%s %s HTTP/1.1\r\nHost: %s\r\nConnection: close\r\n", method, path,
                   host ? host : g_host);
  if (token)
    k += snprintf(req + k, 1024 - (size_t)k, "Authorization: Bearer %s\r\n", token);
  if (origin)
    k += snprintf(req + k, 1024 - (size_t)k, "Origin: %s\r\n", origin);
  if (body)
    k += snprintf(req + k, 1024 - (size_t)k,
                  "Content-Type: application/json\r\nContent-Length: %zu\r\n", blen);
  k += snprintf(req + k, 1024 - (size_t)k, "\r\n");
  if (body)
    memcpy(req + k, body, blen);
  ans a = {0, NULL, ""};
  assert_int_equal(tc_http_raw(wl_ui_port(g_ui), req, (size_t)k + blen, &a.raw, &n), 0);
  free(req);
  assert_int_equal(sscanf(a.raw, "HTTP/1.1 %d", &a.status), 1);
  const char *sep = strstr(a.raw, "\r\n\r\n");
  assert_non_null(sep);
  a.body = sep + 4;
  return a;
}

static ans get(const char *path) { return http("GET", path, NULL, wl_ui_token(g_ui), NULL, NULL); }
static ans post(const char *path, const char *body) {
  return http("POST", path, NULL, wl_ui_token(g_ui), g_origin, body);
}

/* The answer has this status; with `err`, its body is {"error": "...err..."}. */
static void expect(ans a, int status, const char *err) {
  if (a.status != status)
    fail_msg("expected %d, got %d: %s", status, a.status, a.body);
  if (err) {
    if (strncmp(a.body, "{\"error\":\"", 10) || !strstr(a.body, err))
      fail_msg("expected an error naming \"%s\": %s", err, a.body);
  }
  free(a.raw);
}

/* The value of a top-level number member of a JSON object answer. */
static int64_t member_int(const char *body, const char *key) {
  wl_json_arena ar = {0};
  const wl_json *root = NULL;
  int64_t v = -1;
  if (wl_json_parse(&ar, body, strlen(body), &root, NULL) != WL_OK)
    fail_msg("not JSON: %s", body);
  if (wl_json_int64(wl_json_get(root, key), &v) != WL_OK)
    fail_msg("no number \"%s\" in %s", key, body);
  wl_json_arena_free(&ar);
  return v;
}

static void mode_is(const char *mode) {
  ans a = get("/api/status");
  char want[48];
  snprintf(want, sizeof want, "\"mode\":\"%s\"", mode);
  if (!strstr(a.body, want))
    fail_msg("status is not %s: %s", mode, a.body);
  expect(a, 200, NULL);
}

/* A command's JSON output (run as a child process), without the sim note Windows prints. */
static char *cli_json(const char *cmd) {
  static char out[1 << 20];
  assert_int_equal(world_spawn_wait(&g_w, 30000, cmd, "--json", NULL), 0);
  assert_true(world_read(g_w.scratch, out, sizeof out) > 0);
  char *p = out, *q = out;
  for (const char *r = out; *r; r++) /* stdout is a text stream on Windows: CRLF */
    if (*r != '\r')
      *q++ = *r;
  *q = 0;
  if (!strncmp(p, "wfplearn: simulated engine", 26))
    p = strchr(p, '\n') + 1;
  return p;
}

/* ---------------------------------------------------------------- security */

static void test_token(void **state) {
  (void)state;
  expect(http("GET", "/api/status", NULL, NULL, NULL, NULL), 401, "token");
  expect(http("GET", "/api/status", NULL, "00112233445566778899aabbccddeeff", NULL, NULL), 401,
         "token");
  expect(http("GET", "/api/proposals", NULL, "", NULL, NULL), 401, "token");
  expect(http("POST", "/api/relax", NULL, NULL, g_origin, "{}"), 401, "token");
  expect(get("/api/status"), 200, NULL);
  /* the page itself carries no secret: it loads without the token */
  ans a = http("GET", "/", NULL, NULL, NULL, NULL);
  assert_non_null(strstr(a.raw, "Content-Type: text/html"));
  assert_non_null(strstr(a.body, "<script src=\"/app.js\""));
  expect(a, 200, NULL);
  expect(http("GET", "/app.js", NULL, NULL, NULL, NULL), 200, NULL);
  expect(http("GET", "/style.css", NULL, NULL, NULL, NULL), 200, NULL);
  expect(http("GET", "/nothing.html", NULL, NULL, NULL, NULL), 404, "no such page");
}

static void test_host_and_origin(void **state) {
  (void)state;
  char other[48];
  snprintf(other, sizeof other, "localhost:%u", (unsigned)wl_ui_port(g_ui));
  expect(http("GET", "/api/status", other, wl_ui_token(g_ui), NULL, NULL), 200, NULL);
  expect(http("GET", "/api/status", "evil.example:80", wl_ui_token(g_ui), NULL, NULL), 403, "Host");
  expect(http("GET", "/", "evil.example", NULL, NULL, NULL), 403, "Host");
  expect(http("GET", "/api/status", "127.0.0.1:1", wl_ui_token(g_ui), NULL, NULL), 403, "Host");
  expect(http("POST", "/api/relax", NULL, wl_ui_token(g_ui), "http://evil.example", "{}"), 403,
         "cross-origin");
  expect(http("POST", "/api/relax", NULL, wl_ui_token(g_ui), NULL, "{}"), 403, "cross-origin");
  expect(http("POST", "/api/relax", NULL, wl_ui_token(g_ui), "null", "{}"), 403, "cross-origin");
  /* headers of every answer: CSP, no CORS */
  ans a = get("/api/status");
  assert_non_null(strstr(a.raw, "Content-Security-Policy: default-src 'self'"));
  assert_non_null(strstr(a.raw, "X-Content-Type-Options: nosniff"));
  assert_null(strstr(a.raw, "Access-Control-"));
  expect(a, 200, NULL);
}

static void test_methods_and_bodies(void **state) {
  (void)state;
  expect(http("PUT", "/api/status", NULL, wl_ui_token(g_ui), g_origin, "{}"), 405, "GET and POST");
  expect(get("/api/promote"), 405, "POST");
  expect(get("/api/nothing"), 404, "no such API");
  expect(post("/api/nothing", "{}"), 404, "no such action");
  expect(post("/api/promote", "{\"ids\": [1, "), 400, "bad JSON");
  expect(post("/api/promote", "[1,2]"), 400, "JSON object");
  expect(post("/api/promote", "{\"ids\": \"7\"}"), 400, "array");
  expect(post("/api/promote", "{\"ids\": [-3]}"), 400, "not an id");
  expect(post("/api/promote", "{\"ids\": []}"), 400, "which proposals");
  expect(post("/api/promote", "{\"ids\": [3], \"scope\": \"everything\"}"), 400, NULL);
  expect(post("/api/promote", "{\"ids\": [3], \"for\": \"2x\"}"), 400, "expected how long");
  expect(post("/api/promote", "{\"ids\": [3], \"for\": \"400d\"}"), 400, "at most a year");
  expect(post("/api/promote", "{\"ids\": [3], \"for\": 3600}"), 400, "must be a string (30m");
  expect(post("/api/revoke", "{}"), 400, "which rules");
  expect(post("/api/enforce", "{\"confirm_within\": 0}"), 400, "confirm_within");
  expect(post("/api/enforce", "{\"confirm_within\": \"soon\"}"), 400, "confirm_within");
  /* unknown ids: the CLI's messages, 404 */
  expect(post("/api/promote", "{\"ids\": [999999]}"), 404, NULL);
  expect(post("/api/revoke", "{\"ids\": [424242]}"), 404, NULL);
  expect(get("/api/timeline?id=999999"), 404, "no proposal");
  expect(get("/api/timeline"), 400, "id=");
  expect(get("/api/timeline?id=x"), 400, "id=");
  /* a body over the bound, announced and sent */
  size_t big = WL_UI_MAX_BODY + 1;
  char *huge = malloc(big + 1);
  assert_non_null(huge);
  memset(huge, ' ', big);
  huge[0] = '{', huge[big - 1] = '}', huge[big] = 0;
  expect(post("/api/promote", huge), 413, "too large");
  /* 257 ids in a body under the bound */
  char *many = huge;
  size_t k = (size_t)snprintf(many, big, "{\"ids\":[");
  for (int i = 1; i <= 257; i++)
    k += (size_t)snprintf(many + k, big - k, "%s%d", i > 1 ? "," : "", 2 * i + 1);
  snprintf(many + k, big - k, "]}");
  expect(post("/api/promote", many), 413, "at most 256");
  free(huge);
  expect(get("/api/status"), 200, NULL); /* still serving */
}

/* ---------------------------------------------------------------- documents */

static void test_same_documents_as_cli(void **state) {
  (void)state;
  ans a = get("/api/proposals");
  assert_string_equal(a.body, cli_json("review"));
  expect(a, 200, NULL);
  a = get("/api/rules");
  assert_string_equal(a.body, cli_json("rules"));
  expect(a, 200, NULL);
  a = get("/api/status");
  const char *cli = cli_json("status");
  /* the same object; db_bytes may move between the two reads (the WAL), so compare the start */
  const char *cut = strstr(cli, "\"db_bytes\"");
  assert_non_null(cut);
  assert_int_equal(strncmp(a.body, cli, (size_t)(cut - cli)), 0);
  assert_true(member_int(a.body, "events") > 0);
  expect(a, 200, NULL);
  a = get("/api/flags");
  assert_non_null(strstr(a.body, "\"name\":\"temp-path\""));
  expect(a, 200, NULL);
}

/* ---------------------------------------------------------------- actions */

/* Sum of a top-level array of numbers member. */
static uint64_t member_sum(const char *body, const char *key) {
  wl_json_arena ar = {0};
  const wl_json *root = NULL;
  uint64_t sum = 0, v = 0;
  if (wl_json_parse(&ar, body, strlen(body), &root, NULL) != WL_OK)
    fail_msg("not JSON: %s", body);
  const wl_json *arr = wl_json_get(root, key);
  assert_non_null(arr);
  assert_int_equal(arr->len, 168);
  for (const wl_json *x = arr->child; x; x = x->next) {
    assert_int_equal(wl_json_uint64(x, &v), WL_OK);
    sum += v;
  }
  wl_json_arena_free(&ar);
  return sum;
}

/* The timeline of every proposal counts, hour by hour, exactly the events review counted (the
 * world's traffic lies within the week the timeline covers). */
static void test_timeline_counts(void **state) {
  (void)state;
  ans list = get("/api/proposals");
  wl_json_arena ar = {0};
  const wl_json *root = NULL;
  assert_int_equal(wl_json_parse(&ar, list.body, strlen(list.body), &root, NULL), WL_OK);
  size_t n = 0;
  for (const wl_json *p = root->child; p; p = p->next, n++) {
    int64_t id = 0;
    uint64_t allowed = 0, blocked = 0;
    char path[64];
    assert_int_equal(wl_json_int64(wl_json_get(p, "id"), &id), WL_OK);
    assert_int_equal(wl_json_uint64(wl_json_get(p, "allowed"), &allowed), WL_OK);
    assert_int_equal(wl_json_uint64(wl_json_get(p, "blocked"), &blocked), WL_OK);
    snprintf(path, sizeof path, "/api/timeline?id=%lld", (long long)id);
    ans t = get(path);
    assert_int_equal(t.status, 200);
    assert_int_equal(member_sum(t.body, "allowed"), allowed);
    assert_int_equal(member_sum(t.body, "blocked"), blocked);
    expect(t, 200, NULL);
  }
  assert_true(n >= 10);
  wl_json_arena_free(&ar);
  expect(list, 200, NULL);
}

/* The first proposal of app 0 (outbound, no warnings in the world's traffic). */
static int64_t first_proposal(void) {
  ans a = get("/api/proposals");
  const char *p = strstr(a.body, "{\"id\":");
  assert_non_null(p);
  int64_t id = strtoll(p + 6, NULL, 10);
  expect(a, 200, NULL);
  return id;
}

static void test_promote_revoke(void **state) {
  (void)state;
  int64_t id = first_proposal();
  char body[96], tl[64];
  snprintf(tl, sizeof tl, "/api/timeline?id=%lld", (long long)id);
  ans a = get(tl);
  assert_non_null(strstr(a.body, "\"hour_s\":3600"));
  assert_non_null(strstr(a.body, "\"allowed\":["));
  expect(a, 200, NULL);
  size_t before = world_count_filters(&g_w, NULL);
  snprintf(body, sizeof body, "{\"ids\":[%lld],\"scope\":\"app\",\"for\":\"2h\"}",
           (long long)id); /* the page's "for 2 hours": promote --for 2h */
  a = post("/api/promote", body);
  assert_int_equal(member_int(a.body, "added"), 1);
  int64_t filters = member_int(a.body, "filters");
  assert_true(filters >= 1);
  expect(a, 200, NULL);
  assert_int_equal(world_count_filters(&g_w, NULL), before + (size_t)filters);
  /* the entry moved: gone from the proposals, present in the rules */
  a = get("/api/proposals");
  snprintf(body, sizeof body, "{\"id\":%lld,", (long long)id);
  assert_null(strstr(a.body, body));
  expect(a, 200, NULL);
  a = get("/api/rules");
  const char *r = strstr(a.body, "{\"id\":");
  assert_non_null(r);
  int64_t rule = strtoll(r + 6, NULL, 10);
  const char *in = strstr(a.body, "\"expires_in_s\":"); /* the one rule's time left */
  assert_non_null(in);
  long long left = strtoll(in + 15, NULL, 10);
  assert_true(left > 7100 && left <= 7200);
  expect(a, 200, NULL);
  /* promoting it again adds nothing */
  snprintf(body, sizeof body, "{\"ids\":[%lld]}", (long long)id);
  a = post("/api/promote", body);
  assert_int_equal(member_int(a.body, "added"), 0);
  assert_int_equal(member_int(a.body, "same"), 1);
  expect(a, 200, NULL);
  snprintf(body, sizeof body, "{\"ids\":[%lld]}", (long long)rule);
  expect(post("/api/revoke", body), 200, NULL);
  assert_int_equal(world_count_filters(&g_w, NULL), before);
  expect(post("/api/revoke", body), 404, NULL); /* gone */
}

static void test_enforce_confirm_relax(void **state) {
  (void)state;
  mode_is("learn");
  /* the backtest the page shows before its Enforce button: every recorded attempt replayed,
   * nothing changed in the engine */
  size_t filters = world_count_filters(&g_w, NULL);
  ans a = get("/api/dryrun");
  assert_true(member_int(a.body, "events") > 0);
  assert_true(member_int(a.body, "would_block") > 0);
  assert_non_null(strstr(a.body, "\"apps\":["));
  expect(a, 200, NULL);
  assert_int_equal(world_count_filters(&g_w, NULL), filters);
  mode_is("learn");
  a = post("/api/enforce", "{\"confirm_within\": 120}");
  assert_int_equal(member_int(a.body, "confirm_within"), 120);
  expect(a, 200, NULL);
  mode_is("pending");
  a = get("/api/status");
  assert_null(strstr(a.body, "\"confirm_before\":null"));
  expect(a, 200, NULL);
  expect(post("/api/enforce", "{}"), 409, NULL); /* one pending at a time */
  a = post("/api/confirm", "");
  assert_non_null(strstr(a.body, "\"mode\":\"enforce\""));
  expect(a, 200, NULL);
  size_t enf = 0;
  world_count_filters(&g_w, &enf);
  assert_true(enf > 0);
  a = post("/api/relax", "{}");
  assert_non_null(strstr(a.body, "\"mode\":\"learn\""));
  expect(a, 200, NULL);
  world_count_filters(&g_w, &enf);
  assert_int_equal(enf, 0);
}

/* ---------------------------------------------------------------- table-only evidence */

/* Two long-lived connections of a program no event names, noted as the capture's self-check
 * notes its table reads (store/held.h): a listener and an outbound connection. */
static void note_held(void) {
  wl_store *s = NULL;
  wl_held h[2];
  memset(h, 0, sizeof h);
  for (int i = 0; i < 2; i++) {
    snprintf(h[i].app, sizeof h[i].app, "C:\\Tools\\keeper.exe");
    h[i].proto = 6;
    h[i].ip_version = 4;
  }
  h[0].state = WL_HELD_LISTEN;
  h[0].local_port = 8443;
  h[1].state = WL_HELD_ESTABLISHED;
  h[1].local_port = 50123;
  h[1].remote_port = 443;
  assert_int_equal(wl_addr_parse("203.0.113.7", 11, &h[1].ip_version, h[1].remote_addr), WL_OK);
  uint64_t t0 = 134000000000000000ull; /* 2025 */
  assert_int_equal(wl_store_open(g_w.db, NULL, &s), WL_OK);
  assert_int_equal(wl_store_held_note(s, h, 2, t0), WL_OK);
  assert_int_equal(wl_store_held_note(s, h, 2, t0 + 50000000ull), WL_OK); /* 5 s later */
  wl_store_close(s);
}

static void test_held_element(void **state) {
  (void)state;
  note_held();
  ans a = get("/api/proposals");
  assert_string_equal(a.body, cli_json("review"));
  wl_json_arena ar = {0};
  const wl_json *root = NULL;
  assert_int_equal(wl_json_parse(&ar, a.body, strlen(a.body), &root, NULL), WL_OK);
  size_t n = 0, proposals_after = 0;
  for (const wl_json *p = root->child; p; p = p->next) {
    const wl_json *kind = wl_json_get(p, "kind");
    if (!kind || strcmp(kind->str, "held")) {
      proposals_after += n != 0; /* every held element comes last */
      continue;
    }
    n++;
    assert_string_equal(wl_json_get(p, "app")->str, "C:\\Tools\\keeper.exe");
    assert_null(wl_json_get(p, "id")); /* evidence: nothing to promote */
    uint64_t reads = 0, port = 0;
    assert_int_equal(wl_json_uint64(wl_json_get(p, "reads"), &reads), WL_OK);
    assert_int_equal(reads, 2);
    assert_string_equal(wl_json_get(p, "first_seen")->str, "2025-08-18T14:13:20.0000000Z");
    if (!strcmp(wl_json_get(p, "state")->str, "listen")) {
      assert_int_equal(wl_json_uint64(wl_json_get(p, "local_port"), &port), WL_OK);
      assert_int_equal(port, 8443);
      assert_int_equal(wl_json_get(p, "remote")->type, WL_JSON_NULL);
    } else {
      assert_string_equal(wl_json_get(p, "state")->str, "established");
      assert_string_equal(wl_json_get(p, "remote")->str, "203.0.113.7");
      assert_int_equal(wl_json_uint64(wl_json_get(p, "remote_port"), &port), WL_OK);
      assert_int_equal(port, 443);
    }
  }
  assert_int_equal(n, 2);
  assert_int_equal(proposals_after, 0);
  wl_json_arena_free(&ar);
  expect(a, 200, NULL);
  a = get("/api/status");
  assert_non_null(strstr(a.body, "\"held\":{\"connections\":2,\"table_only\":2,\"programs\":1}"));
  expect(a, 200, NULL);
}

/* ---------------------------------------------------------------- setup */

static int setup(void **state) {
  (void)state;
  char src[WORLD_PATH + 8];
  world_init(&g_w, "ui", 21);
  snprintf(src, sizeof src, "sim:%s", g_w.traffic);
  if (world_run(&g_w, "learn", "--source", src, NULL) != 0)
    return -1;
  wl_ui_opts o = {g_w.db, g_w.spec, 0};
  if (wl_ui_start(&o, &g_ui) != WL_OK)
    return -1;
  snprintf(g_host, sizeof g_host, "127.0.0.1:%u", (unsigned)wl_ui_port(g_ui));
  snprintf(g_origin, sizeof g_origin, "http://127.0.0.1:%u", (unsigned)wl_ui_port(g_ui));
  return 0;
}

static int teardown(void **state) {
  (void)state;
  wl_ui_stop(g_ui);
  world_remove(&g_w);
  return 0;
}

static int ui_tests(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_token),
      cmocka_unit_test(test_host_and_origin),
      cmocka_unit_test(test_methods_and_bodies),
      cmocka_unit_test(test_same_documents_as_cli),
      cmocka_unit_test(test_timeline_counts),
      cmocka_unit_test(test_promote_revoke),
      cmocka_unit_test(test_enforce_confirm_relax),
      cmocka_unit_test(test_held_element), /* last: its elements have no id */
  };
  return cmocka_run_group_tests(tests, setup, teardown);
}

int main(int argc, char **argv) { return world_main(argc, argv, ui_tests); }
