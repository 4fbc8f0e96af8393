/* fuzz_policy.c — libFuzzer target for what merge-policy and export read and write: a policy
 * file from another machine (whitelist/policy.c wl_policy_read) compiled to PowerShell, netsh
 * and Intune (fleet/). Built only with -DWL_FUZZ=ON and clang; scripts/checks/fuzz-policy.sh
 * runs it.
 *
 * Besides "no crash, no sanitizer report", for any input that reads as a policy: every line of
 * each script is one the format writes (a comment, a fixed line of the script's frame, or a rule
 * line that parses back: tests/support/fleet_parse.h), the program of every rule line reads back
 * as exactly the path fleet_program gave, written + left out = the Windows rules, and the Intune
 * document is valid JSON.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/wl_err.h"
#include "common/wl_json.h"
#include "fleet/fleet_int.h"
#include "tests/support/fleet_parse.h"
#include "whitelist/apply.h"
#include "whitelist/policy.h"
#include "whitelist/rebind.h"
#include "whitelist/whitelist_int.h"

#define CHECK(c) \
  do {           \
    if (!(c))    \
      abort();   \
  } while (0)

/* What policy.c and rule.c call that needs an engine or a store: never reached by reading. */
int wl_rule_resolve(wl_engine *e, wl_store *s, wl_rule *r) {
  (void)e, (void)s, (void)r;
  return WL_E_UNSUPPORTED;
}
int wl_rules_add(wl_engine *e, wl_store *s, const wl_rule *rules, wl_rule_row *rows, size_t n,
                 wl_apply_result *res) {
  (void)e, (void)s, (void)rules, (void)rows, (void)n, (void)res;
  return WL_E_UNSUPPORTED;
}
int wl_store_rules(wl_store *s, wl_rule_cb cb, void *ctx) {
  (void)s, (void)cb, (void)ctx;
  return WL_E_UNSUPPORTED;
}
void wl_rebind_signer_of(wl_engine *e, const char *app, char *out, size_t cap) {
  (void)e, (void)app, (void)cap;
  out[0] = 0;
}

static char *run(int fmt, const wl_fleet_rule *r, size_t n, unsigned flags, wl_fleet_stats *st) {
  char *text = NULL;
  size_t len = 0;
  FILE *f = open_memstream(&text, &len);
  CHECK(f);
  CHECK(wl_fleet_export(fmt, r, n, "fuzz", flags, f, NULL, st) == WL_OK);
  fclose(f);
  return text;
}

/* The rule whose name the line carries (linear: inputs are small). */
static const wl_fleet_rule *by_name(const wl_fleet_rule *r, size_t n, const char *name) {
  static wl_fleet_rule split; /* NAME-tcp / NAME-udp: the rule with that protocol */
  for (size_t i = 0; i < n; i++) {
    size_t l = strlen(r[i].name);
    if (!strcmp(r[i].name, name))
      return &r[i];
    if (!strncmp(r[i].name, name, l) && (!strcmp(name + l, "-tcp") || !strcmp(name + l, "-udp"))) {
      split = r[i];
      split.rule.proto = name[l + 1] == 't' ? WL_PROTO_TCP : WL_PROTO_UDP;
      return &split;
    }
  }
  return NULL;
}

/* 1 when line is one of the frame's lines (the output for no rules). */
static int frame_line(const char *frame, const char *line) {
  size_t l = strlen(line);
  for (const char *p = strstr(frame, line); p; p = strstr(p + 1, line))
    if ((p == frame || p[-1] == '\n') && (p[l] == '\n' || p[l] == '\r'))
      return 1;
  return 0;
}

static void check_program(const wl_fleet_rule *fr, const char *got) {
  char want[WL_PATH_MAX + 32];
  const char *why = NULL;
  CHECK(fleet_program(fr, want, sizeof want, &why) == 0);
  CHECK(!strcmp(want, got));
}

static void check_ps(const wl_fleet_rule *r, size_t n, unsigned flags, const char *frame) {
  wl_fleet_stats st;
  char *text = run(WL_FLEET_POWERSHELL, r, n, flags, &st), v[8192];
  size_t lines = 0;
  for (char *line = strtok(text, "\n"); line; line = strtok(NULL, "\n")) {
    if (!strncmp(line, "New-NetFirewallRule", 19)) {
      CHECK(fleet_parse_ps(line, "Name", v, sizeof v) == 0);
      const wl_fleet_rule *fr = by_name(r, n, v);
      CHECK(fr);
      CHECK(fleet_parse_ps(line, "Program", v, sizeof v) == 0);
      check_program(fr, v);
      lines++;
    } else {
      CHECK(line[0] == '#' || !strncmp(line, "\xEF\xBB\xBF# ", 5) || frame_line(frame, line));
    }
  }
  CHECK(lines == st.written);
  free(text);
}

static void check_netsh(const wl_fleet_rule *r, size_t n, unsigned flags, const char *frame) {
  wl_fleet_stats st;
  char *text = run(WL_FLEET_NETSH, r, n, flags, &st), v[8192];
  size_t lines = 0;
  for (char *line = strtok(text, "\r\n"); line; line = strtok(NULL, "\r\n")) {
    size_t len = strlen(line);
    if (!strncmp(line, "rem ", 4)) {
      CHECK(line[len - 1] != '^');
      for (const char *p = strchr(line, '%'); p; p = strchr(p + 2, '%'))
        CHECK(p[1] == '%');
    } else if (!strncmp(line, "netsh advfirewall firewall add rule", 35)) {
      CHECK(len < 8192);
      CHECK(fleet_parse_netsh(line, "name", v, sizeof v) == 0);
      const wl_fleet_rule *fr = by_name(r, n, v);
      CHECK(fr);
      CHECK(fleet_parse_netsh(line, "program", v, sizeof v) == 0);
      check_program(fr, v);
      CHECK(fleet_parse_netsh(line, "description", v, sizeof v) == 0);
      lines++;
    } else {
      CHECK(!strncmp(line, "netsh advfirewall firewall delete rule name=\"wfplearn-", 54) ||
            frame_line(frame, line));
    }
  }
  CHECK(lines == st.written);
  free(text);
}

static void check_intune(const wl_fleet_rule *r, size_t n) {
  wl_fleet_stats st;
  wl_json_arena a = {0};
  const wl_json *doc = NULL;
  wl_json_error err;
  char *text = run(WL_FLEET_INTUNE, r, n, 0, &st);
  CHECK(wl_json_parse(&a, text, strlen(text), &doc, &err) == WL_OK);
  int64_t rules = -1;
  CHECK(wl_json_int64(wl_json_get(doc, "rules"), &rules) == WL_OK && (size_t)rules == st.written);
  wl_json_arena_free(&a);
  free(text);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  static char path[64], *ps_frame, *netsh_frame;
  if (!path[0]) {
    wl_fleet_stats st;
    /* the reader takes a path: one file per process, in memory where there is /dev/shm */
    snprintf(path, sizeof path, "%s/fuzz_policy.%d.json",
             access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp", (int)getpid());
    ps_frame = run(WL_FLEET_POWERSHELL, NULL, 0, 0, &st);
    netsh_frame = run(WL_FLEET_NETSH, NULL, 0, 0, &st);
  }
  FILE *f = fopen(path, "wb");
  CHECK(f && fwrite(data, 1, size, f) == size && fclose(f) == 0);
  wl_rule_row *rows = NULL;
  size_t n = 0;
  char host[WL_FLEET_HOST_MAX];
  if (wl_policy_read(path, &rows, &n, host, sizeof host) == WL_OK) {
    wl_fleet_rule *r = calloc(n + 1, sizeof *r);
    CHECK(r);
    if (wl_fleet_from_rows(rows, n, host, r) == WL_OK) {
      check_ps(r, n, 0, ps_frame);
      check_netsh(r, n, size & 1 ? WL_FLEET_ANY_USER : 0, netsh_frame);
      check_intune(r, n);
    }
    free(r);
  }
  free(rows);
  wl_err_clear();
  return 0;
}
