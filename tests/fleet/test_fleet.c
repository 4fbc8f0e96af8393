/* test_fleet.c — export to Windows Firewall policy (fleet/): golden files for each format built
 * from a fixed store, a structural check that parses every generated rule back into its fields
 * (PowerShell and cmd cannot run here), quoting of nasty paths, what each format leaves out, the
 * Intune JSON shape and its 150-rule profiles.
 *
 * Goldens live in tests/fleet/golden/; WL_UPDATE_GOLDEN=1 rewrites them (then review the diff).
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
#include "common/wl_json.h"
#include "common/wl_os.h"
#include "fleet/fleet.h"
#include "store/store.h"
#include "tests/support/fleet_parse.h"
#include "tests/support/test_files.h"

#define USER "S-1-5-21-1000-2000-3000-1001"
#define PKG "S-1-15-2-1111-2222-3333"

/* The fixed store: ordinary rules and the nasty paths each format must quote or refuse. */
static const struct {
  const char *app, *ports, *remotes, *user, *package;
  int dir, proto;
} fixed[] = {
    {"C:\\Program Files\\Mozilla Firefox\\firefox.exe", "443,8000-8100", "203.0.113.0/24", "",
     "", WL_DIR_OUT, 6},
    /* quote, $, backtick, non-ASCII, typographic quotes; any protocol with ports: TCP + UDP */
    {"C:\\Users\\o'brien\\AppData\\Local\\$app `x`\\na\xC3\xAFve \xE2\x80\x98q\xE2\x80\x99.exe",
     "443", "", USER, "", WL_DIR_OUT, -1},
    /* one %, cmd's & ^ ! ( ): all literal inside quotes; % doubled for cmd */
    {"C:\\Program Files (x86)\\100% & co\\a^b!c (1).exe", "5353", "", "", "", WL_DIR_IN, 17},
    {"C:\\Tools\\50%PATH%x\\t.exe", "", "", "", "", WL_DIR_OUT, 6},   /* %...%: left out */
    {"\\device\\harddiskvolume9\\x.exe", "", "", "", "", WL_DIR_OUT, 6}, /* NT path: left out */
    {"", "443", "", "", PKG, WL_DIR_OUT, 6}, /* package: powershell only */
    {"C:\\Windows\\System32\\ping.exe", "128", "", "", "", WL_DIR_OUT, 58}, /* ICMP + port */
    {"", "3389", "10.0.0.0/8,2001:db8::/32", "", "", WL_DIR_IN, 6},
    {"C:\\Windows\\System32\\svchost.exe", "53", "", "S-1-5-19", "", WL_DIR_OUT, 17},
};
#define N_FIXED (sizeof fixed / sizeof fixed[0])

static void make_store(const char *db, size_t extra) {
  wl_store *s = NULL;
  wl_test_remove_db(db);
  assert_int_equal(wl_store_open(db, NULL, &s), WL_OK);
  for (size_t i = 0; i < N_FIXED + extra; i++) {
    wl_rule_row r;
    memset(&r, 0, sizeof r);
    if (i < N_FIXED) {
      snprintf(r.app, sizeof r.app, "%s", fixed[i].app);
      snprintf(r.ports, sizeof r.ports, "%s", fixed[i].ports);
      snprintf(r.remotes, sizeof r.remotes, "%s", fixed[i].remotes);
      snprintf(r.user, sizeof r.user, "%s", fixed[i].user);
      snprintf(r.package, sizeof r.package, "%s", fixed[i].package);
      r.dir = (uint8_t)fixed[i].dir;
      r.proto = (int16_t)fixed[i].proto;
    } else { /* many plain rules, for the profile split */
      snprintf(r.app, sizeof r.app, "C:\\Apps\\app%04zu.exe", i);
      r.dir = WL_DIR_OUT;
      r.proto = 6;
    }
    snprintf(r.scope, sizeof r.scope, "%s", r.ports[0] ? "port" : "app");
    snprintf(r.evidence, sizeof r.evidence,
             "{\"allowed\":%zu,\"blocked\":1,\"flows\":3,\"first_seen\":"
             "\"2026-11-16T00:00:00.0000000Z\",\"last_seen\":\"2026-11-22T23:00:00.0000000Z\"}",
             100 + i);
    snprintf(r.origin, sizeof r.origin, "promote");
    assert_int_equal(wl_store_rule_add(s, &r), WL_OK);
  }
  wl_store_close(s);
}

/* Export db in fmt to a string (malloc'd); stats and the warnings. */
static char *export_flags(const char *db, int fmt, unsigned flags, wl_fleet_stats *st,
                          char *warn, size_t wcap) {
  char out_path[512], warn_path[512];
  wl_test_path(out_path, sizeof out_path, "fleet-out.txt");
  wl_test_path(warn_path, sizeof warn_path, "fleet-warn.txt");
  wl_store *s = NULL;
  wl_fleet_rule *rules = NULL;
  size_t n = 0;
  FILE *out = NULL, *w = NULL;
  assert_int_equal(wl_store_open(db, NULL, &s), WL_OK);
  assert_int_equal(wl_fleet_load_store(s, "pc-golden", &rules, &n), WL_OK);
  assert_int_equal(wl_os_fopen(out_path, "wb", &out), WL_OK);
  assert_int_equal(wl_os_fopen(warn_path, "wb", &w), WL_OK);
  assert_int_equal(wl_fleet_export(fmt, rules, n, "pc-golden", flags, out, w, st), WL_OK);
  fclose(out);
  fclose(w);
  free(rules);
  wl_store_close(s);
  uint8_t *data = NULL, *wd = NULL;
  size_t len = 0, wl = 0;
  assert_int_equal(wl_os_read_file(out_path, 1 << 24, &data, &len), WL_OK);
  assert_int_equal(wl_os_read_file(warn_path, 1 << 20, &wd, &wl), WL_OK);
  snprintf(warn, wcap, "%s", (char *)wd);
  free(wd);
  return (char *)data;
}

static char *export_text(const char *db, int fmt, wl_fleet_stats *st, char *warn, size_t wcap) {
  return export_flags(db, fmt, 0, st, warn, wcap);
}

static void check_golden(const char *name, const char *text) {
  char path[1024];
  const char *src = getenv("WL_SOURCE_DIR");
  snprintf(path, sizeof path, "%s/tests/fleet/golden/%s", src ? src : ".", name);
  if (getenv("WL_UPDATE_GOLDEN")) {
    FILE *f = NULL;
    assert_int_equal(wl_os_fopen(path, "wb", &f), WL_OK);
    fputs(text, f);
    fclose(f);
  }
  uint8_t *want = NULL;
  size_t len = 0;
  if (wl_os_read_file(path, 1 << 24, &want, &len) != WL_OK)
    fail_msg("%s: %s (WL_UPDATE_GOLDEN=1 writes it)", path, wl_errmsg());
  if (strcmp((char *)want, text) != 0)
    fail_msg("%s differs from the export:\n%s", path, text);
  free(want);
}

/* Write rules to a file through fmt and read the text back (malloc'd). */
static char *export_rules(int fmt, const wl_fleet_rule *r, size_t n, wl_fleet_stats *st) {
  char path[512];
  FILE *f = NULL;
  wl_test_path(path, sizeof path, "fleet-random.txt");
  assert_int_equal(wl_os_fopen(path, "wb", &f), WL_OK);
  assert_int_equal(wl_fleet_export(fmt, r, n, "pc\r\n& calc \"x", 0, f, NULL, st), WL_OK);
  fclose(f);
  uint8_t *data = NULL;
  size_t len = 0;
  assert_int_equal(wl_os_read_file(path, 1 << 24, &data, &len), WL_OK);
  remove(path);
  return (char *)data;
}

/* ---------------------------------------------------------------- PowerShell, parsed back */

/* The value of -param on a New-NetFirewallRule line ("" when absent); lists joined by ','. */
static void ps_param(const char *line, const char *param, char *out, size_t cap) {
  if (fleet_parse_ps(line, param, out, cap))
    fail_msg("not a well-formed PowerShell rule line: %s", line);
}

/* Every rule line parses; the program of each is what the store holds (variables aside). */
static void test_powershell(void **state) {
  (void)state;
  char db[512], warn[8192], v[4096];
  wl_test_path(db, sizeof db, "fleet-ps.db");
  make_store(db, 0);
  wl_fleet_stats st;
  char *text = export_text(db, WL_FLEET_POWERSHELL, &st, warn, sizeof warn);
  check_golden("fixed.ps1", text);
  assert_memory_equal(text, "\xEF\xBB\xBF", 3); /* the BOM PowerShell 5.1 needs for UTF-8 */
  /* 9 rules; the any-protocol one becomes TCP + UDP; %..%, NT path and ICMP+port left out */
  assert_int_equal(st.rules, N_FIXED);
  assert_int_equal(st.written, 7);
  assert_int_equal(st.left_out, 3);
  size_t lines = 0, found_nasty = 0;
  for (char *line = strtok(text, "\n"); line; line = strtok(NULL, "\n")) {
    if (strncmp(line, "New-NetFirewallRule", 19))
      continue;
    lines++;
    ps_param(line, "Group", v, sizeof v);
    assert_string_equal(v, "wfplearn");
    ps_param(line, "Action", v, sizeof v);
    assert_string_equal(v, "Allow");
    ps_param(line, "Program", v, sizeof v);
    if (strstr(v, "o'brien")) {
      found_nasty++;
      assert_string_equal(v, fixed[1].app);
      ps_param(line, "LocalUser", v, sizeof v);
      assert_string_equal(v, "O:LSD:(A;;CC;;;" USER ")");
    }
    if (strstr(v, "100%")) {
      found_nasty++;
      assert_string_equal(v, "%ProgramFiles(x86)%\\100% & co\\a^b!c (1).exe");
      ps_param(line, "LocalPort", v, sizeof v);
      assert_string_equal(v, "5353");
      ps_param(line, "Direction", v, sizeof v);
      assert_string_equal(v, "Inbound");
    }
    ps_param(line, "Package", v, sizeof v);
    if (v[0])
      assert_string_equal(v, PKG);
  }
  assert_int_equal(lines, st.written);
  assert_int_equal(found_nasty, 3); /* o'brien over TCP and UDP, 100% */
  assert_non_null(strstr(warn, "%...%"));
  assert_non_null(strstr(warn, "NT device path"));
  assert_non_null(strstr(warn, "other than TCP or UDP"));
  free(text);
  wl_test_remove_db(db);
}

/* ---------------------------------------------------------------- netsh, parsed back */

/* key="value" or key=value of an add line, as netsh receives it after cmd (%% -> %). */
static void netsh_param(const char *line, const char *key, char *out, size_t cap) {
  if (fleet_parse_netsh(line, key, out, cap))
    fail_msg("not a well-formed netsh value %s= in: %s", key, line);
}

static void test_netsh(void **state) {
  (void)state;
  char db[512], warn[8192], v[4096];
  wl_test_path(db, sizeof db, "fleet-netsh.db");
  make_store(db, 0);
  wl_fleet_stats st;
  char *text = export_text(db, WL_FLEET_NETSH, &st, warn, sizeof warn);
  check_golden("fixed.cmd", text);
  /* and the user rules (3: TCP, UDP, svchost) and the package one are left out */
  assert_int_equal(st.written, 3);
  assert_int_equal(st.left_out, 7);
  assert_non_null(strstr(text, "chcp 65001"));
  assert_non_null(strstr(text, "DisableDelayedExpansion"));
  size_t adds = 0, deletes = 0;
  for (char *line = strtok(text, "\r\n"); line; line = strtok(NULL, "\r\n")) {
    size_t len = strlen(line);
    assert_true(len < 8192);
    if (!strncmp(line, "rem ", 4)) {
      assert_true(line[len - 1] != '^'); /* would continue the comment onto the next line */
      for (const char *p = strchr(line, '%'); p; p = strchr(p + 2, '%'))
        assert_int_equal(p[1], '%');
      continue;
    }
    if (strstr(line, "delete rule"))
      deletes++;
    if (strncmp(line, "netsh advfirewall firewall add rule", 35))
      continue;
    adds++;
    netsh_param(line, "action", v, sizeof v);
    assert_string_equal(v, "allow");
    netsh_param(line, "program", v, sizeof v);
    if (strstr(v, "100%")) {
      assert_string_equal(v, "%ProgramFiles(x86)%\\100% & co\\a^b!c (1).exe");
      netsh_param(line, "localport", v, sizeof v);
      assert_string_equal(v, "5353");
      netsh_param(line, "dir", v, sizeof v);
      assert_string_equal(v, "in");
    }
    if (strstr(v, "firefox")) {
      netsh_param(line, "remoteport", v, sizeof v);
      assert_string_equal(v, "443,8000-8100");
      netsh_param(line, "remoteip", v, sizeof v);
      assert_string_equal(v, "203.0.113.0/24");
    }
  }
  assert_int_equal(adds, 3);
  assert_int_equal(deletes, 3);
  assert_non_null(strstr(warn, "local-user condition"));
  assert_non_null(strstr(warn, "package"));
  free(text);
  /* a host name ending in a backslash: the description still ends where it should */
  {
    wl_rule_row row;
    wl_fleet_rule fr;
    memset(&row, 0, sizeof row);
    snprintf(row.app, sizeof row.app, "C:\\x\\y.exe");
    row.dir = WL_DIR_OUT;
    row.proto = 6;
    assert_int_equal(wl_fleet_from_rows(&row, 1, "pc\\", &fr), WL_OK);
    char *one = export_rules(WL_FLEET_NETSH, &fr, 1, &st);
    const char *line = strstr(one, "netsh advfirewall firewall add rule");
    assert_non_null(line);
    netsh_param(line, "description", v, sizeof v);
    assert_non_null(strstr(v, "learned on pc\\"));
    assert_int_equal(v[strlen(v) - 1], '\\');
    netsh_param(line, "dir", v, sizeof v);
    assert_string_equal(v, "out");
    free(one);
  }
  /* --any-user: the three user rules written for every user, each said WIDENED */
  text = export_flags(db, WL_FLEET_NETSH, WL_FLEET_ANY_USER, &st, warn, sizeof warn);
  assert_int_equal(st.written, 6);
  assert_int_equal(st.widened, 3);
  assert_int_equal(st.left_out, 4);
  size_t marks = 0;
  for (const char *p = strstr(text, "rem WIDENED: "); p; p = strstr(p + 1, "rem WIDENED: "))
    marks++;
  assert_int_equal(marks, 3);
  assert_non_null(strstr(warn, "WIDENED: for every user, not only " USER));
  free(text);
  wl_test_remove_db(db);
}

/* ---------------------------------------------------------------- Intune JSON shape */

static const wl_json *must(const wl_json *o, const char *key, int type) {
  const wl_json *v = wl_json_get(o, key);
  if (!v || (int)v->type != type)
    fail_msg("intune: \"%s\" missing or of the wrong type", key);
  return v;
}

/* The document's shape; returns the rule count and checks each profile holds <= 150. */
static size_t intune_shape(const char *text, size_t *profiles) {
  wl_json_arena a = {0};
  const wl_json *doc = NULL;
  wl_json_error err;
  size_t rules = 0;
  assert_int_equal(wl_json_parse(&a, text, strlen(text), &doc, &err), WL_OK);
  assert_string_equal(wl_json_string(must(doc, "format", WL_JSON_STRING)), "wfplearn-intune");
  const wl_json *ps = must(doc, "profiles", WL_JSON_ARRAY);
  *profiles = ps->len;
  for (const wl_json *p = ps->child; p; p = p->next) {
    const wl_json *rs = must(p, "rules", WL_JSON_ARRAY);
    must(p, "name", WL_JSON_STRING);
    assert_true(rs->len >= 1 && rs->len <= WL_FLEET_INTUNE_PROFILE_MAX);
    for (const wl_json *r = rs->child; r; r = r->next, rules++) {
      int64_t action = 0, proto = 0;
      assert_int_equal(strncmp(wl_json_string(must(r, "Id", WL_JSON_STRING)), "wfplearn-", 9), 0);
      must(r, "Name", WL_JSON_STRING);
      must(r, "Description", WL_JSON_STRING);
      const char *dir = wl_json_string(must(r, "Direction", WL_JSON_STRING));
      assert_true(!strcmp(dir, "IN") || !strcmp(dir, "OUT"));
      assert_int_equal(wl_json_int64(must(r, "Action", WL_JSON_NUMBER), &action), WL_OK);
      assert_int_equal(action, 1);
      const wl_json *pr = wl_json_get(r, "Protocol");
      if (pr)
        assert_true(wl_json_int64(pr, &proto) == WL_OK && proto >= 0 && proto <= 255);
      /* ports only with TCP/UDP, local ports only inbound, remote ports only outbound */
      if (wl_json_get(r, "LocalPortRanges") || wl_json_get(r, "RemotePortRanges"))
        assert_true(proto == 6 || proto == 17);
      assert_true(!wl_json_get(r, "LocalPortRanges") || !strcmp(dir, "IN"));
      assert_true(!wl_json_get(r, "RemotePortRanges") || !strcmp(dir, "OUT"));
      assert_null(wl_json_get(r, "PackageFamilyName"));
    }
  }
  must(doc, "not_expressed", WL_JSON_ARRAY);
  int64_t n = -1;
  assert_int_equal(wl_json_int64(must(doc, "rules", WL_JSON_NUMBER), &n), WL_OK);
  assert_int_equal((size_t)n, rules);
  wl_json_arena_free(&a);
  return rules;
}

static void test_intune(void **state) {
  (void)state;
  char db[512], warn[8192];
  wl_test_path(db, sizeof db, "fleet-intune.db");
  make_store(db, 0);
  wl_fleet_stats st;
  char *text = export_text(db, WL_FLEET_INTUNE, &st, warn, sizeof warn);
  check_golden("fixed.intune.json", text);
  size_t profiles = 0;
  assert_int_equal(intune_shape(text, &profiles), 6); /* package left out too */
  assert_int_equal(profiles, 1);
  assert_int_equal(st.left_out, 4);
  /* the nasty path, JSON-escaped and back */
  assert_non_null(strstr(text, "\"FilePath\": \"C:\\\\Users\\\\o'brien\\\\AppData\\\\Local\\\\$app `x`"));
  free(text);
  /* 9 + 300 rules: 306 expressible, in profiles of 150, 150, 6 */
  make_store(db, 300);
  text = export_text(db, WL_FLEET_INTUNE, &st, warn, sizeof warn);
  assert_int_equal(intune_shape(text, &profiles), 306);
  assert_int_equal(profiles, 3);
  assert_int_equal(st.profiles, 3);
  free(text);
  wl_test_remove_db(db);
}

/* The names are stable and do not depend on the NT path: the same rule on two machines. */
/* One rule twice in a policy (paths differing only in case): written once, said, counted. */
static void test_duplicates(void **state) {
  (void)state;
  wl_rule_row rows[2];
  wl_fleet_rule fr[2];
  memset(rows, 0, sizeof rows);
  snprintf(rows[0].app, sizeof rows[0].app, "C:\\Tools\\A.exe");
  snprintf(rows[1].app, sizeof rows[1].app, "c:\\tools\\a.EXE");
  rows[0].dir = rows[1].dir = WL_DIR_OUT;
  rows[0].proto = rows[1].proto = -1;
  snprintf(rows[0].ports, sizeof rows[0].ports, "443");
  snprintf(rows[1].ports, sizeof rows[1].ports, "443");
  assert_int_equal(wl_fleet_from_rows(rows, 2, "pc", fr), WL_OK);
  for (int fmt = WL_FLEET_POWERSHELL; fmt <= WL_FLEET_INTUNE; fmt++) {
    wl_fleet_stats st;
    char *text = export_rules(fmt, fr, 2, &st);
    assert_int_equal(st.written, 2); /* TCP + UDP, once */
    assert_int_equal(st.duplicates, 1);
    free(text);
  }
}

static void test_names_stable(void **state) {
  (void)state;
  wl_rule_row row;
  wl_fleet_rule a, b;
  memset(&row, 0, sizeof row);
  snprintf(row.app, sizeof row.app, "C:\\Program Files\\X\\x.exe");
  snprintf(row.app_nt, sizeof row.app_nt, "\\device\\harddiskvolume2\\program files\\x\\x.exe");
  row.dir = WL_DIR_OUT;
  row.proto = 6;
  assert_int_equal(wl_fleet_from_rows(&row, 1, "a", &a), WL_OK);
  snprintf(row.app, sizeof row.app, "c:\\program files\\x\\X.EXE");
  snprintf(row.app_nt, sizeof row.app_nt, "\\device\\harddiskvolume7\\program files\\x\\x.exe");
  assert_int_equal(wl_fleet_from_rows(&row, 1, "b", &b), WL_OK);
  assert_string_equal(a.name, b.name);
  row.proto = 17;
  assert_int_equal(wl_fleet_from_rows(&row, 1, "b", &b), WL_OK);
  assert_string_not_equal(a.name, b.name);
}


/* ---------------------------------------------------------------- random nasty paths */

/* 2,000 paths drawn from the characters that matter to PowerShell and cmd (quotes of every
 * kind, $, backtick, %, ^, &, |, <, >, !, parentheses, non-ASCII): each path that a format
 * writes must read back exactly from the rule's line, and every line of the output must be one
 * the format produces (nothing spills out of a string or a comment). */
static void test_quote_random(void **state) {
  (void)state;
  static const char *const piece[] = {
      "'",  "''", "\xE2\x80\x98", "\xE2\x80\x99", "\xE2\x80\x9A", "\xE2\x80\x9B", "$", "$(x)",
      "`",  "%",  "^", "&", "|", "<", ">", "!", "(", ")", " ", ";", "#", "@", "\xC3\xA9",
      "\xE6\x97\xA5", "\xF0\x9F\x94\xA5", "a", "Z", "\\", ".", ",", "=", "\"", "\n", "^\n",
      "\x7f", " program=", " dir=in ", "-Program 'x' "};
  enum { N = 2000 };
  wl_fleet_rule *rules = calloc(N, sizeof *rules);
  assert_non_null(rules);
  srand(17);
  for (size_t i = 0; i < N; i++) {
    wl_rule_row row;
    memset(&row, 0, sizeof row);
    size_t at = (size_t)snprintf(row.app, sizeof row.app, "C:\\d%zu\\", i);
    for (int k = rand() % 8 + 1; k > 0; k--)
      at += (size_t)snprintf(row.app + at, sizeof row.app - at, "%s",
                             piece[rand() % (int)(sizeof piece / sizeof piece[0])]);
    snprintf(row.app + at, sizeof row.app - at, ".exe");
    row.dir = WL_DIR_OUT;
    row.proto = 6;
    assert_int_equal(wl_fleet_from_rows(&row, 1, "pc\r\n& calc \"x", &rules[i]), WL_OK);
  }
  wl_fleet_stats st;
  char v[4096];
  char *ps = export_rules(WL_FLEET_POWERSHELL, rules, N, &st);
  size_t seen = 0;
  for (char *line = strtok(ps, "\n"); line; line = strtok(NULL, "\n")) {
    if (strncmp(line, "New-NetFirewallRule", 19)) {
      assert_true(line[0] == '#' || !strncmp(line, "\xEF\xBB\xBF#", 4) || line[0] == '[' ||
                  line[0] == '$' || line[0] == 'p' || line[0] == 'i' || line[0] == ' ' ||
                  line[0] == '}' || line[0] == 'G');
      continue;
    }
    ps_param(line, "Name", v, sizeof v);
    const wl_fleet_rule *r = NULL;
    for (size_t i = 0; i < N && !r; i++)
      if (!strcmp(rules[i].name, v))
        r = &rules[i];
    assert_non_null(r);
    ps_param(line, "Program", v, sizeof v);
    assert_string_equal(v, r->rule.app);
    seen++;
  }
  assert_int_equal(seen, st.written);
  assert_int_equal(st.written + st.left_out, N);
  assert_true(st.written > N / 2);
  free(ps);
  char *cmd = export_rules(WL_FLEET_NETSH, rules, N, &st);
  seen = 0;
  for (char *line = strtok(cmd, "\r\n"); line; line = strtok(NULL, "\r\n")) {
    size_t len = strlen(line);
    if (!strncmp(line, "rem ", 4)) {
      assert_true(line[len - 1] != '^');
      for (const char *p = strchr(line, '%'); p; p = strchr(p + 2, '%'))
        assert_int_equal(p[1], '%');
      continue;
    }
    if (strncmp(line, "netsh advfirewall firewall add rule", 35)) {
      assert_true(!strncmp(line, "netsh advfirewall firewall delete rule", 38) ||
                  !strcmp(line, "@echo off") || !strncmp(line, "setlocal", 8) ||
                  !strncmp(line, "chcp", 4) || !strcmp(line, "endlocal"));
      continue;
    }
    size_t quotes = 0;
    for (const char *p = line; *p; p++)
      quotes += *p == '"';
    assert_int_equal(quotes % 2, 0);
    netsh_param(line, "name", v, sizeof v);
    const wl_fleet_rule *r = NULL;
    for (size_t i = 0; i < N && !r; i++)
      if (!strcmp(rules[i].name, v))
        r = &rules[i];
    assert_non_null(r);
    netsh_param(line, "program", v, sizeof v);
    assert_string_equal(v, r->rule.app);
    seen++;
  }
  assert_int_equal(seen, st.written);
  assert_int_equal(st.written + st.left_out, N);
  free(cmd);
  free(rules);
}

/* user and package go into an SDDL string and a parameter as they are: a policy from another
 * machine whose "user" is not a SID ("S-1-5-18)(A;;CC;;;WD" would add an ACE for everyone) is
 * left out by every format. */
static void test_sid_injection(void **state) {
  (void)state;
  static const char *const bad[] = {"S-1-5-18)(A;;CC;;;WD", "S-1-5-18\nx", "WD", "S-1-5-"};
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
    for (int pkg = 0; pkg < 2; pkg++) {
      wl_rule_row row;
      wl_fleet_rule fr;
      memset(&row, 0, sizeof row);
      snprintf(row.app, sizeof row.app, "C:\\x\\y.exe");
      snprintf(pkg ? row.package : row.user, sizeof row.user, "%s", bad[i]);
      row.dir = WL_DIR_OUT;
      row.proto = 6;
      assert_int_equal(wl_fleet_from_rows(&row, 1, "pc", &fr), WL_OK);
      for (int fmt = WL_FLEET_POWERSHELL; fmt <= WL_FLEET_INTUNE; fmt++) {
        wl_fleet_stats st;
        char *text = export_rules(fmt, &fr, 1, &st);
        assert_int_equal(st.written, 0);
        assert_int_equal(st.left_out, 1);
        assert_null(strstr(text, "(A;;CC;;;WD)"));
        free(text);
      }
    }
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_powershell),
      cmocka_unit_test(test_netsh),
      cmocka_unit_test(test_intune),
      cmocka_unit_test(test_names_stable),
      cmocka_unit_test(test_duplicates),
      cmocka_unit_test(test_quote_random),
      cmocka_unit_test(test_sid_injection),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
