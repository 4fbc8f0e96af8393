/* gen_traffic.h — the capture tests' traffic file generator (tests/gen_traffic.c). */
#ifndef WL_GEN_TRAFFIC_H
#define WL_GEN_TRAFFIC_H

#include <stdint.h>

/* Write n connection attempts from `apps` apps (app 0 = no app) to path, 1 ms apart from
 * 2026-11-02T08:00:00Z; the same seed gives the same file. 0, or -1 when it cannot write. */
int wl_gen_traffic(const char *path, uint64_t n, unsigned apps, uint64_t seed);

#endif
