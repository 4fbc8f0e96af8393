/* test_wl_world.h — a small world for the whitelist tests: file names of a store, a sim state
 * and traffic files, a seeded traffic generator (20 apps: 16 outbound with different endpoint
 * patterns, 4 inbound listeners that Windows Firewall's default inbound block refuses), and a
 * way to run `wfplearn` commands in-process against that world.
 *
 * The test executables double as wfplearn: when started with "--db ..." (as enforce starts its
 * watchdog, from the running executable), main() hands over to wl_cli_main.
 */
#ifndef WL_TEST_WL_WORLD_H
#define WL_TEST_WL_WORLD_H

#include <stddef.h>
#include <stdint.h>

#include "engine/engine.h"
#include "engine/sim/sim.h"

#define WORLD_APPS 20
#define WORLD_OUT_APPS 16
#define WORLD_PATH 512
#define WORLD_USER "S-1-5-21-1000-2000-3000-1001" /* every attempt's user */

typedef struct world {
  char db[WORLD_PATH], state[WORLD_PATH], spec[WORLD_PATH + 8];
  char traffic[WORLD_PATH], replay[WORLD_PATH], scratch[WORLD_PATH];
  uint64_t t0, t1;          /* start of the learn traffic and of its replay (30 days later) */
  unsigned attempts[WORLD_APPS];
} world;

/* Fresh file names (tag makes them unique within the run) and both traffic files. */
void world_init(world *w, const char *tag, uint32_t seed);
void world_remove(const world *w); /* delete every file of the world */
/* DOS path of app i ("C:\Apps\app07\app07.exe", "C:\Apps\srv16\srv16.exe"). */
void world_app(unsigned i, char *out, size_t cap);
int world_app_dir(unsigned i); /* WL_DIR_OUT or WL_DIR_IN */
/* One attempt of app i (its first one in the traffic), parsed, for wl_sim_classify. */
void world_attempt(const world *w, unsigned i, wl_attempt *a);
/* Install the world's apps on the machine of w's engine (the sim's files, wl_sim_set_file):
 * what a second machine importing a policy needs, since an app id needs the file. */
void world_install_apps(const world *w);
/* App index from a recorded path (NT or DOS), or -1. */
int world_app_index(const char *path);

/* Run `wfplearn --db DB --engine SPEC args...` in-process (NULL-terminated); its exit code. */
int world_run(const world *w, const char *arg0, ...);
/* Run it in a child process (this executable) and wait; its output in w->scratch. 0 when it
 * ended within timeout_ms. */
int world_spawn_wait(const world *w, unsigned timeout_ms, const char *arg0, ...);
/* Read a whole small file into buf (NUL-terminated); bytes read or -1. */
long world_read(const char *path, char *buf, size_t cap);

wl_engine *world_engine(const world *w); /* fresh handle (persistent session); asserts */
/* Filters of our provider now, and how many of them are enforce filters. */
size_t world_count_filters(const world *w, size_t *enforce);
/* Wait until pid is gone (polling); 1 when it is. */
int world_wait_gone(uint32_t pid, unsigned timeout_ms);

/* main() for the test executables. Started with "--sleep-ms N" it only sleeps N ms: a process
 * that has nothing to do with wfplearn (tests of pid reuse). */
int world_main(int argc, char **argv, int (*tests_fn)(void));

#endif
