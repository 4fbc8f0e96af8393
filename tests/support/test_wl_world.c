/* test_wl_world.c — the whitelist tests' world: files, a seeded traffic generator, wfplearn
 * commands in-process or in a child process (see test_wl_world.h). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "cli/main.h"
#include "common/wl_err.h"
#include "common/wl_os.h"
#include "engine/keys.h"
#include "tests/support/test_wl_world.h"
#include "whitelist/enforce.h"
#include "tests/support/test_files.h"

#define WORLD_MAX_ARGS 32

/* ---------------------------------------------------------------- traffic */

static uint32_t lcg(uint64_t *s) {
  *s = *s * 6364136223846793005ull + 1442695040888963407ull;
  return (uint32_t)(*s >> 33);
}

void world_app(unsigned i, char *out, size_t cap) {
  const char *kind = i < WORLD_OUT_APPS ? "app" : "srv";
  snprintf(out, cap, "C:\\Apps\\%s%02u\\%s%02u.exe", kind, i, kind, i);
}

int world_app_dir(unsigned i) { return i < WORLD_OUT_APPS ? WL_DIR_OUT : WL_DIR_IN; }

int world_app_index(const char *path) {
  const char *b = path;
  for (const char *p = path; *p; p++)
    if (*p == '\\' || *p == '/')
      b = p + 1;
  unsigned n;
  char kind[4] = "";
  if (sscanf(b, "%3[a-zA-Z]%2u", kind, &n) != 2 || n >= WORLD_APPS)
    return -1;
  return (int)n;
}

/* Attempt k of app i: the endpoint pattern decides the scope review proposes.
 *   i % 4 == 0: one or two public hosts, TCP 443    → port 443 (public: not pinned)
 *   i % 4 == 1: 40 hosts in 40 /24s, TCP 443        → port 443
 *   i % 4 == 2: 3 public hosts, UDP 5000-5009       → port 5000-5009
 *   i % 4 == 3: 10 IPv6 hosts, TCP 8443             → port 8443
 *   i >= 16:    listens on TCP 8000+i, LAN peers    → inbound, local port */
static void attempt_line(unsigned i, unsigned k, uint64_t ts, uint64_t *rng, char *out,
                         size_t cap) {
  char app[64], t[WL_TIME_STR_MAX], json_app[128];
  unsigned eph = 49152 + lcg(rng) % 16000;
  world_app(i, app, sizeof app);
  size_t j = 0;
  for (const char *p = app; *p && j + 2 < sizeof json_app; p++) {
    if (*p == '\\')
      json_app[j++] = '\\';
    json_app[j++] = *p;
  }
  json_app[j] = 0;
  wl_time_format(ts, t);
  const char *dir = "out";
  int proto = 6;
  char local[64], remote[64];
  snprintf(local, sizeof local, "10.0.0.2:%u", eph);
  if (i >= WORLD_OUT_APPS) {
    dir = "in";
    snprintf(local, sizeof local, "192.168.1.23:%u", 8000 + i);
    snprintf(remote, sizeof remote, "192.168.1.%u:%u", 10 + k % 5, eph);
  } else if (i % 4 == 0) {
    snprintf(remote, sizeof remote, "198.18.%u.%u:443", i, 1 + (i % 8 == 0 ? k % 2 : 0));
  } else if (i % 4 == 1) {
    snprintf(remote, sizeof remote, "100.%u.%u.7:443", 64 + i, k % 40);
  } else if (i % 4 == 2) {
    proto = 17;
    snprintf(remote, sizeof remote, "198.18.%u.%u:%u", i, 1 + k % 3, 5000 + k % 10);
  } else {
    snprintf(local, sizeof local, "[2001:db8:ff::2]:%u", eph);
    snprintf(remote, sizeof remote, "[2001:db8:%x::%x]:8443", i, 1 + k % 10);
  }
  snprintf(out, cap,
           "{\"ts\":\"%s\",\"app\":\"%s\",\"dir\":\"%s\",\"proto\":%d,\"local\":\"%s\","
           "\"remote\":\"%s\",\"user\":\"%s\"}",
           t, json_app, dir, proto, local, remote, WORLD_USER);
}

static void write_traffic(const world *w, const char *path, uint64_t t0, uint32_t seed) {
  FILE *f = fopen(path, "w");
  assert_non_null(f);
  uint64_t rng = seed, ts = t0;
  unsigned most = 0;
  for (unsigned i = 0; i < WORLD_APPS; i++)
    most = w->attempts[i] > most ? w->attempts[i] : most;
  for (unsigned k = 0; k < most; k++)
    for (unsigned i = 0; i < WORLD_APPS; i++) {
      if (k >= w->attempts[i])
        continue;
      char line[512];
      attempt_line(i, k, ts, &rng, line, sizeof line);
      fprintf(f, "%s\n", line);
      ts += WL_TICKS_PER_SEC / 10;
    }
  assert_int_equal(fclose(f), 0);
}

void world_attempt(const world *w, unsigned i, wl_attempt *a) {
  char line[512];
  uint64_t rng = 99;
  attempt_line(i, 0, w->t1, &rng, line, sizeof line);
  assert_int_equal(wl_sim_parse_attempt(line, strlen(line), a), WL_OK);
}

/* ---------------------------------------------------------------- files */

static const char *suffixes[] = {".db",   ".db-wal",   ".db-shm", ".db.watchdog.log", ".db.enforce.lock",
                                 ".state", ".state.lock", ".state.tmp", ".traffic",
                                 ".replay", ".out",     ".json"};

static void names(const world *w, const char *prefix, world *out) {
  (void)w;
  snprintf(out->db, WORLD_PATH, "%s.db", prefix);
  snprintf(out->state, WORLD_PATH, "%s.state", prefix);
  snprintf(out->spec, sizeof out->spec, "sim:%s", out->state);
  snprintf(out->traffic, WORLD_PATH, "%s.traffic", prefix);
  snprintf(out->replay, WORLD_PATH, "%s.replay", prefix);
  snprintf(out->scratch, WORLD_PATH, "%s.out", prefix);
}

void world_remove(const world *w) {
  char prefix[WORLD_PATH];
  snprintf(prefix, sizeof prefix, "%.*s", (int)(strlen(w->db) - 3), w->db);
  for (size_t i = 0; i < sizeof suffixes / sizeof suffixes[0]; i++) {
    char p[WORLD_PATH + 32];
    snprintf(p, sizeof p, "%s%s", prefix, suffixes[i]);
    remove(p);
  }
}

void world_init(world *w, const char *tag, uint32_t seed) {
  char prefix[WORLD_PATH];
  memset(w, 0, sizeof *w);
  snprintf(prefix, sizeof prefix, "%s/wltest-%lu-%s", wl_test_dir(), (unsigned long)wl_os_pid(),
           tag);
  names(w, prefix, w);
  world_remove(w);
  uint64_t rng = seed;
  for (unsigned i = 0; i < WORLD_APPS; i++)
    w->attempts[i] = 10 + lcg(&rng) % 20;
  assert_int_equal(wl_time_parse("2026-11-02T08:00:00Z", 20, &w->t0), WL_OK);
  w->t1 = w->t0 + 30ull * 86400 * WL_TICKS_PER_SEC;
  write_traffic(w, w->traffic, w->t0, seed);
  write_traffic(w, w->replay, w->t1, seed);
}

long world_read(const char *path, char *buf, size_t cap) {
  FILE *f = fopen(path, "rb");
  if (!f)
    return -1;
  size_t n = fread(buf, 1, cap - 1, f);
  buf[n] = 0;
  fclose(f);
  return (long)n;
}

/* ---------------------------------------------------------------- running wfplearn */

static int collect(const world *w, char **argv, const char *exe, const char *arg0, va_list ap) {
  int n = 0;
  argv[n++] = (char *)exe;
  argv[n++] = "--db";
  argv[n++] = (char *)w->db;
  argv[n++] = "--engine";
  argv[n++] = (char *)w->spec;
  for (const char *a = arg0; a && n < WORLD_MAX_ARGS - 1; a = va_arg(ap, const char *))
    argv[n++] = (char *)a;
  argv[n] = NULL;
  return n;
}

int world_run(const world *w, const char *arg0, ...) {
  char *argv[WORLD_MAX_ARGS];
  va_list ap;
  va_start(ap, arg0);
  int argc = collect(w, argv, "wfplearn", arg0, ap);
  va_end(ap);
  fflush(stdout);
  return wl_cli_main(argc, argv);
}

int world_wait_gone(uint32_t pid, unsigned timeout_ms) {
  for (unsigned t = 0; t < timeout_ms; t += 50) {
    if (!wl_os_pid_alive(pid))
      return 1;
    wl_sleep_ms(50);
  }
  return !wl_os_pid_alive(pid);
}

int world_spawn_wait(const world *w, unsigned timeout_ms, const char *arg0, ...) {
  char *argv[WORLD_MAX_ARGS], exe[1024];
  uint32_t pid = 0;
  assert_int_equal(wl_os_exe_path(exe, sizeof exe), WL_OK);
  va_list ap;
  va_start(ap, arg0);
  collect(w, argv, exe, arg0, ap);
  va_end(ap);
  remove(w->scratch);
  assert_int_equal(wl_os_spawn(argv, w->scratch, &pid), WL_OK);
  return world_wait_gone(pid, timeout_ms) ? 0 : -1;
}

void world_install_apps(const world *w) {
  wl_engine *e = world_engine(w);
  for (unsigned i = 0; i < WORLD_APPS; i++) {
    char app[WORLD_PATH];
    world_app(i, app, sizeof app);
    assert_int_equal(wl_sim_set_file(e, app, 1), WL_OK);
  }
  wl_engine_close(e);
}

wl_engine *world_engine(const world *w) {
  wl_engine *e = NULL;
  int rc = wl_engine_open(w->spec, 0, &e);
  if (rc)
    fail_msg("engine %s: %s", w->spec, wl_errmsg());
  return e;
}

size_t world_count_filters(const world *w, size_t *enforce) {
  wl_engine *e = world_engine(w);
  wl_guid pk = wl_provider_key();
  wl_filter *all = NULL;
  size_t n = 0, enf = 0;
  assert_int_equal(wl_engine_filter_enum(e, &pk, &all, &n), WL_OK);
  for (size_t i = 0; i < n; i++)
    enf += wl_enforce_owns(&all[i].key);
  wl_engine_free(all);
  wl_engine_close(e);
  if (enforce)
    *enforce = enf;
  return n;
}

int world_main(int argc, char **argv, int (*tests_fn)(void)) {
  if (argc > 1 && strcmp(argv[1], "--db") == 0)
    return wl_cli_main(argc, argv); /* started as wfplearn (the enforce watchdog) */
  if (argc > 2 && strcmp(argv[1], "--sleep-ms") == 0) { /* an unrelated process, for pid tests */
    wl_sleep_ms((unsigned)strtoul(argv[2], NULL, 10));
    return 0;
  }
  return tests_fn();
}
