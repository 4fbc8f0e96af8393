/* expiry.h — temporary rules (issue 15, item 7): `promote ID --for D` gives a rule a wall-clock
 * deadline (its row's expires, UTC ticks); at the deadline its filters and the rule go.
 *
 * Who removes them: the service's loop (service/service.c) checks at start and every
 * WL_EXPIRY_CHECK_TICKS, and at the nearest deadline, against the wall clock; where no service
 * runs (Linux) every wfplearn command that opens the store for writing checks first (cli/). One
 * sweep for both, wl_expiry_sweep. The wall clock, not a monotonic timer: a deadline that passed
 * while the machine was off or asleep is due at the first check after it wakes, and a monotonic
 * clock stops (or restarts at boot) exactly then. Removing is `revoke` (filters first, then
 * the row: whitelist/apply.h); a rule someone else removed meanwhile (the service and a command
 * sweeping at once) is skipped. Each removal is one log line.
 */
#ifndef WL_WHITELIST_EXPIRY_H
#define WL_WHITELIST_EXPIRY_H

#include <stddef.h>
#include <stdint.h>

#include "engine/engine.h"
#include "store/store.h"

#define WL_EXPIRY_CHECK_TICKS (30ull * 10000000ull) /* the service checks at least this often */
#define WL_EXPIRY_MAX_TICKS (366ull * 86400ull * 10000000ull) /* --for at most a year */

/* `--for D`: D a duration of wl_duration_parse ("90m", "2h", "3d", "1w"), more than 0 and at
 * most a year; *expires = now + D. WL_E_INVAL naming what was expected otherwise. */
int wl_expiry_parse_for(const char *d, uint64_t now, uint64_t *expires);

typedef void (*wl_expiry_log_fn)(void *ctx, int warning, const char *line);

typedef struct wl_expiry_report {
  size_t expired;  /* rules removed by this sweep */
  uint64_t next;   /* the nearest deadline still ahead; 0 none */
} wl_expiry_report;

/* Remove every rule whose deadline is at or before `now`: with `e` when given, else an engine
 * opened on engine_spec only when one is due (none named: WL_E_INVAL, nothing removed). One
 * line per rule to log (may be NULL). An error leaves the rules not yet removed for the next
 * sweep. rep may be NULL. */
int wl_expiry_sweep(wl_store *s, wl_engine *e, const char *engine_spec, uint64_t now,
                    wl_expiry_log_fn log, void *ctx, wl_expiry_report *rep);

/* The service's timer: sweeps when `now` reaches the next check (at most
 * WL_EXPIRY_CHECK_TICKS after the last one, or the nearest deadline if sooner), at once on the
 * first call and whenever the wall clock went backwards. A failure is logged as a warning once
 * until a sweep succeeds again. s NULL (the store not open yet): nothing, checked next call. */
typedef struct wl_expiry_timer {
  uint64_t next, last;
  int failing;
} wl_expiry_timer;
void wl_expiry_tick(wl_expiry_timer *t, wl_store *s, const char *engine_spec, uint64_t now,
                    wl_expiry_log_fn log, void *ctx);

#endif
