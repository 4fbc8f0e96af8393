/* test_wl_cli.c — the whitelist commands' contract with scripts and people (DESIGN.md):
 *   - exit codes: 1 with one line naming what was wrong for bad ids, unknown options, a missing
 *     store (and no empty store created by it), 0 for --help;
 *   - review --json and rules --json: every documented field with its documented type and
 *     value (app: DOS path when known, null for no app; proto number or null; times RFC 3339).
 * Commands run in-process (exit codes) or as a child process (their stderr/stdout captured). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "cli/cli.h"
#include "cli/main.h"
#include "common/wl_err.h"
#include "common/wl_json.h"
#include "tests/support/test_wl_world.h"
#include "whitelist/apply.h"

static int file_exists(const char *path) {
  FILE *f = fopen(path, "rb");
  if (f)
    fclose(f);
  return f != NULL;
}

/* Run in a child, return its output (stdout and stderr) in buf. */
static const char *spawn_out(const world *w, char *buf, size_t cap, const char *a0,
                             const char *a1, const char *a2) {
  assert_int_equal(world_spawn_wait(w, 20000, a0, a1, a2, NULL), 0);
  assert_true(world_read(w->scratch, buf, cap) >= 0);
  return buf;
}

/* One line on stderr, naming `needle` (after the note a command opening the sim prints first
 * where the real WFP is the default: see test_sim_said_and_bare_sim_refused). */
static void one_line_naming(const char *out, const char *needle) {
  static const char note[] = "wfplearn: simulated engine (";
  if (!strncmp(out, note, sizeof note - 1) && strchr(out, '\n'))
    out = strchr(out, '\n') + 1;
  if (!strstr(out, needle))
    fail_msg("output does not name \"%s\": %s", needle, out);
  const char *nl = strchr(out, '\n');
  assert_non_null(nl);
  assert_int_equal(nl[1], 0);
}

static void test_missing_store(void **state) {
  (void)state;
  world w;
  world_init(&w, "nostore", 11);
  static const char *cmds[][3] = {
      {"review", NULL, NULL}, {"rules", NULL, NULL},  {"promote", "3", NULL},
      {"revoke", "1", NULL},  {"verify", NULL, NULL}, {"export", NULL, NULL},
      {"enforce", "--confirm-within", "2"},           {"confirm", NULL, NULL},
      {"relax", NULL, NULL},
  };
  char out[4096];
  for (size_t i = 0; i < sizeof cmds / sizeof cmds[0]; i++) {
    if (world_run(&w, cmds[i][0], cmds[i][1], cmds[i][2], NULL) != 1)
      fail_msg("%s without a store: not exit 1", cmds[i][0]);
    if (file_exists(w.db))
      fail_msg("%s without a store created %s", cmds[i][0], w.db);
  }
  one_line_naming(spawn_out(&w, out, sizeof out, "enforce", NULL, NULL), "no store");
  /* uninstall cleans the engine without a store, and creates none */
  assert_int_equal(world_run(&w, "uninstall", NULL), 0);
  assert_false(file_exists(w.db));
  world_remove(&w);
}

/* Where the real WFP is the default (Windows), the sim is never chosen silently: a bare
 * `--engine sim` is refused, and a command that opens sim:STATE says so on stderr, once. */
static void test_sim_said_and_bare_sim_refused(void **state) {
  (void)state;
  world w;
  world_init(&w, "simsaid", 13);
  char out[4096];
  spawn_out(&w, out, sizeof out, "uninstall", NULL, NULL);
  const char *said = strstr(out, "simulated engine");
  if (wl_cli_real_engine_default()) {
    assert_non_null(said);
    assert_null(strstr(said + 1, "simulated engine"));
    char *argv[] = {"wfplearn", "--db", w.db, "--engine", "sim", "uninstall", NULL};
    assert_int_equal(wl_cli_main(6, argv), 1);
  } else {
    assert_null(said);
  }
  world_remove(&w);
}

static void learn(const world *w) {
  char src[WORLD_PATH + 8];
  snprintf(src, sizeof src, "sim:%s", w->traffic);
  /* plus one inbound datagram without an app (System), refused by Windows Firewall */
  FILE *f = fopen(w->traffic, "ab");
  assert_non_null(f);
  fputs("{\"ts\":\"2026-11-02T09:00:00Z\",\"app\":\"\",\"dir\":\"in\",\"proto\":\"udp\","
        "\"local\":\"192.168.1.23:137\",\"remote\":\"192.168.1.99:137\"}\n",
        f);
  assert_int_equal(fclose(f), 0);
  assert_int_equal(world_run(w, "learn", "--source", src, NULL), 0);
}

static void test_user_errors(void **state) {
  (void)state;
  world w;
  world_init(&w, "usererr", 12);
  learn(&w);
  static const char *bad[][4] = {
      {"promote", "999999", NULL, "proposal 999999"},
      {"promote", "0", NULL, "proposal 0"},
      {"promote", "x7", NULL, "x7"},
      {"promote", "3", "--scope", "--scope"},
      {"promote", "--frobnicate", NULL, "--frobnicate"},
      {"review", "--frobnicate", NULL, "--frobnicate"},
      {"review", "--since", "yesterdayish", "yesterdayish"},
      {"rules", "--frobnicate", NULL, "--frobnicate"},
      {"revoke", "424242", NULL, "rule 424242"},
      {"revoke", "-1", NULL, "-1"},
      {"verify", "--frobnicate", NULL, "--frobnicate"},
      {"enforce", "--confirm-within", "0", "0"},
      {"enforce", "--confirm-within", "abc", "--confirm-within abc"}, /* names the option */
      {"help", "frobnicate", NULL, "unknown command 'frobnicate'"},
      {"enforce", "--frobnicate", NULL, "--frobnicate"},
      {"confirm", NULL, NULL, "nothing to confirm"},
      {"export", "--format", "xml", "xml"},
      {"import-policy", "/nonexistent/policy.json", NULL, "/nonexistent/policy.json"},
      {"uninstall", "--frobnicate", NULL, "--frobnicate"},
  };
  static char out[8192];
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    if (world_run(&w, bad[i][0], bad[i][1], bad[i][2], NULL) != 1)
      fail_msg("%s %s: not exit 1", bad[i][0], bad[i][1] ? bad[i][1] : "");
    one_line_naming(spawn_out(&w, out, sizeof out, bad[i][0], bad[i][1], bad[i][2]),
                    bad[i][3]);
  }
  static const char *helps[] = {"review", "promote", "rules", "revoke", "verify", "enforce",
                                "confirm", "relax", "export", "import-policy", "uninstall"};
  static char out2[8192];
  for (size_t i = 0; i < sizeof helps / sizeof helps[0]; i++) {
    if (world_run(&w, helps[i], "--help", NULL) != 0)
      fail_msg("%s --help: not exit 0", helps[i]);
    /* `wfplearn help CMD` prints what `CMD --help` does */
    spawn_out(&w, out2, sizeof out2, helps[i], "--help", NULL);
    spawn_out(&w, out, sizeof out, "help", helps[i], NULL);
    if (strncmp(out, "usage: wfplearn ", 16) || strcmp(out, out2))
      fail_msg("help %s: not %s --help's text: %s", helps[i], helps[i], out);
  }
  assert_int_equal(world_count_filters(&w, NULL), 0); /* none of it changed the engine */
  world_remove(&w);
}

/* ---------------------------------------------------------------- JSON fields */

static const wl_json *field(const wl_json *o, const char *name, wl_json_type t) {
  const wl_json *v = wl_json_get(o, name);
  if (!v)
    fail_msg("no \"%s\"", name);
  if (v->type != t)
    fail_msg("\"%s\" has type %d, want %d", name, (int)v->type, (int)t);
  return v;
}

static uint64_t time_field(const wl_json *o, const char *name) {
  const wl_json *v = field(o, name, WL_JSON_STRING);
  uint64_t t = 0;
  if (wl_time_parse(v->str, v->len, &t) != WL_OK || v->str[v->len - 1] != 'Z')
    fail_msg("\"%s\": \"%s\" is not an RFC 3339 UTC time", name, v->str);
  return t;
}

static void check_ports_remotes(const wl_json *o) {
  for (const wl_json *p = field(o, "ports", WL_JSON_ARRAY)->child; p; p = p->next) {
    uint64_t v;
    if (p->type == WL_JSON_NUMBER)
      assert_true(wl_json_uint64(p, &v) == WL_OK && v <= 65535);
    else if (p->type != WL_JSON_STRING || !strchr(p->str, '-'))
      fail_msg("ports: an entry is neither a number nor \"LO-HI\"");
  }
  for (const wl_json *r = field(o, "remotes", WL_JSON_ARRAY)->child; r; r = r->next) {
    uint8_t ver, addr[16], len;
    assert_int_equal(r->type, WL_JSON_STRING);
    if (wl_prefix_parse(r->str, r->len, &ver, addr, &len) != WL_OK)
      fail_msg("remotes: \"%s\" is not an address or prefix", r->str);
  }
}

static void check_proto(const wl_json *o) {
  const wl_json *v = wl_json_get(o, "proto");
  assert_non_null(v);
  int64_t p;
  assert_true(v->type == WL_JSON_NULL ||
              (v->type == WL_JSON_NUMBER && wl_json_int64(v, &p) == WL_OK && p >= 0 && p < 256));
}

static const char *dir_field(const wl_json *o) {
  const char *d = field(o, "dir", WL_JSON_STRING)->str;
  assert_true(!strcmp(d, "in") || !strcmp(d, "out"));
  return d;
}

/* One review proposal; returns 1 when it is the no-app one. */
static int check_proposal(const world *w, const wl_json *o) {
  int64_t id;
  assert_int_equal(wl_json_int64(field(o, "id", WL_JSON_NUMBER), &id), WL_OK);
  assert_true(id >= 1);
  const char *dir = dir_field(o);
  check_proto(o);
  const char *scope = field(o, "scope", WL_JSON_STRING)->str;
  assert_true(!strcmp(scope, "app") || !strcmp(scope, "port") || !strcmp(scope, "remote"));
  check_ports_remotes(o);
  uint64_t allowed, blocked;
  assert_int_equal(wl_json_uint64(field(o, "allowed", WL_JSON_NUMBER), &allowed), WL_OK);
  assert_int_equal(wl_json_uint64(field(o, "blocked", WL_JSON_NUMBER), &blocked), WL_OK);
  assert_true(time_field(o, "first_seen") <= time_field(o, "last_seen"));
  const wl_json *st = wl_json_get(o, "stability"); /* 0..1 or null (issue 15) */
  assert_non_null(st);
  if (st->type != WL_JSON_NULL) {
    assert_int_equal(st->type, WL_JSON_NUMBER);
    double v = strtod(st->str, NULL);
    assert_true(v >= 0 && v <= 1);
  }
  for (const wl_json *f = field(o, "unstable_why", WL_JSON_ARRAY)->child; f; f = f->next)
    assert_true(!strcmp(f->str, "new hosts") || !strcmp(f->str, "new ports") ||
                !strcmp(f->str, "new path") || !strcmp(f->str, "new protocol"));
  int no_app_flag = 0;
  for (const wl_json *f = field(o, "flags", WL_JSON_ARRAY)->child; f; f = f->next) {
    assert_int_equal(f->type, WL_JSON_STRING);
    no_app_flag |= !strcmp(f->str, "no-app");
  }
  const wl_json *app = wl_json_get(o, "app");
  assert_non_null(app);
  if (app->type == WL_JSON_NULL) { /* the System datagram */
    assert_true(no_app_flag);
    assert_string_equal(dir, "in");
    assert_int_equal(allowed + blocked, 1);
    return 1;
  }
  assert_int_equal(app->type, WL_JSON_STRING);
  int i = world_app_index(app->str);
  if (i < 0 || app->str[1] != ':') /* the DOS path, since the sim maps the volume */
    fail_msg("review app \"%s\": not one of the world's DOS paths", app->str);
  assert_string_equal(dir, world_app_dir((unsigned)i) == WL_DIR_IN ? "in" : "out");
  assert_int_equal(allowed + blocked, w->attempts[i]);
  return 0;
}

static const wl_json *parse_out(const world *w, wl_json_arena *a, char *buf, size_t cap) {
  const wl_json *doc = NULL;
  wl_json_error err;
  assert_true(world_read(w->scratch, buf, cap) > 0);
  if (wl_json_parse(a, buf, strlen(buf), &doc, &err) != WL_OK)
    fail_msg("not JSON: %s", buf);
  assert_int_equal(doc->type, WL_JSON_ARRAY);
  return doc;
}

static void test_json_fields(void **state) {
  (void)state;
  static char buf[1 << 18];
  world w;
  world_init(&w, "json", 13);
  learn(&w);
  wl_json_arena a = {0};
  assert_int_equal(world_spawn_wait(&w, 20000, "review", "--json", NULL), 0);
  const wl_json *doc = parse_out(&w, &a, buf, sizeof buf);
  assert_int_equal(doc->len, WORLD_APPS + 1);
  int no_app = 0;
  char first[24] = "", second[24] = "";
  for (const wl_json *o = doc->child; o; o = o->next) {
    no_app += check_proposal(&w, o);
    const wl_json *app = wl_json_get(o, "app");
    if (app->type == WL_JSON_STRING && !first[0])
      snprintf(first, sizeof first, "%.*s", (int)wl_json_get(o, "id")->len, wl_json_get(o, "id")->str);
    else if (app->type == WL_JSON_STRING && !second[0])
      snprintf(second, sizeof second, "%.*s", (int)wl_json_get(o, "id")->len, wl_json_get(o, "id")->str);
  }
  assert_int_equal(no_app, 1);
  wl_json_arena_free(&a);
  /* enforce --dry-run --json names the no-app events' app null, as review does */
  static const char no_app_el[] = "{\"app\":null,\"dir\":\"in\"";
  assert_int_equal(world_spawn_wait(&w, 20000, "enforce", "--dry-run", "--json", NULL), 0);
  assert_true(world_read(w.scratch, buf, sizeof buf) > 0);
  if (!strstr(buf, no_app_el) || strstr(buf, "\"app\":\"\""))
    fail_msg("enforce --dry-run --json: no %s: %s", no_app_el, buf);
  /* rules --json after promoting two, one of them named twice: two rules, nothing "present" */
  assert_int_equal(world_spawn_wait(&w, 20000, "promote", first, first, second, NULL), 0);
  assert_true(world_read(w.scratch, buf, sizeof buf) > 0);
  if (strstr(buf, "rule 0:") || !strstr(buf, "2 rules added (") || !strstr(buf, ", 0 already"))
    fail_msg("promote %s %s %s: %s", first, first, second, buf);
  assert_int_equal(world_spawn_wait(&w, 20000, "rules", "--json", NULL), 0);
  doc = parse_out(&w, &a, buf, sizeof buf);
  assert_int_equal(doc->len, 2);
  for (const wl_json *o = doc->child; o; o = o->next) {
    int64_t id;
    assert_int_equal(wl_json_int64(field(o, "id", WL_JSON_NUMBER), &id), WL_OK);
    const char *app = field(o, "app", WL_JSON_STRING)->str;
    assert_true(world_app_index(app) >= 0 && app[1] == ':');
    dir_field(o);
    check_proto(o);
    check_ports_remotes(o);
    const wl_json *keys = field(o, "filters", WL_JSON_ARRAY);
    assert_true(keys->len >= 1 && keys->len <= WL_RULE_MAX_FILTERS);
    for (const wl_json *k = keys->child; k; k = k->next) {
      wl_guid g;
      assert_int_equal(k->type, WL_JSON_STRING);
      assert_int_equal(wl_guid_parse(k->str, &g), WL_OK);
    }
  }
  wl_json_arena_free(&a);
  world_remove(&w);
}

/* A text time right after `label` in out: UTC to the second with its Z ("...T00:43:06Z"). */
static void text_time_after(const char *out, const char *label) {
  const char *t = strstr(out, label);
  if (!t)
    fail_msg("no \"%s\" in: %s", label, out);
  t += strlen(label);
  if (strlen(t) < 20 || t[4] != '-' || t[10] != 'T' || t[19] != 'Z')
    fail_msg("\"%s\" is not followed by a UTC time to the second: %.40s", label, t);
}

/* What a new user read (issue 15 polish): text times with Z, review --since saying a flow began
 * before it, relax and uninstall saying when nothing was left to do. */
static void test_plain_texts(void **state) {
  (void)state;
  static char out[1 << 18];
  world w;
  world_init(&w, "texts", 17);
  learn(&w);
  spawn_out(&w, out, sizeof out, "review", NULL, NULL);
  text_time_after(out, "first seen ");
  text_time_after(out, ", last ");
  assert_non_null(strstr(out, " proposals. Promote with"));
  assert_null(strstr(out, "(before --since"));
  /* the traffic is 08:00:00..08:00:35, the no-app datagram 09:00: from 08:00:10 */
  spawn_out(&w, out, sizeof out, "review", "--since", "3590s");
  if (!strstr(out, "(before --since: these flows began earlier)"))
    fail_msg("review --since 3590s: %s", out);
  spawn_out(&w, out, sizeof out, "status", NULL, NULL);
  text_time_after(out, "seen      ");
  text_time_after(out, " .. ");
  /* relax in learn mode, uninstall twice: nothing left to do, said so */
  spawn_out(&w, out, sizeof out, "relax", NULL, NULL);
  if (!strstr(out, "nothing to relax: already in learn mode") || strstr(out, "relaxed:"))
    fail_msg("relax in learn mode: %s", out);
  spawn_out(&w, out, sizeof out, "uninstall", NULL, NULL);
  spawn_out(&w, out, sizeof out, "uninstall", NULL, NULL);
  if (!strstr(out, "nothing to remove: no wfplearn filter, sublayer or provider") ||
      strstr(out, "0 sublayer"))
    fail_msg("uninstall twice: %s", out);
  world_remove(&w);
}

static int cli_tests(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_missing_store),
      cmocka_unit_test(test_user_errors),
      cmocka_unit_test(test_sim_said_and_bare_sim_refused),
      cmocka_unit_test(test_json_fields),
      cmocka_unit_test(test_plain_texts),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}

int main(int argc, char **argv) { return world_main(argc, argv, cli_tests); }
