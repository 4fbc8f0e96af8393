/* held.h — connections seen in the machine's connection tables (issue 19, item 3): evidence
 * apart from events. The capture's self-check reads the tables every few seconds
 * (GetExtendedTcpTable / GetExtendedUdpTable, the sim's table); every established connection
 * and listener whose owner's image is known is noted here, one row per (image, protocol, IP
 * version, remote address, remote port, local port, state), with when it was first and last
 * seen and in how many reads. A program that held a connection all week shows up even if no
 * allow event ever came for it (blind capture, or a connection opened before learn started).
 *
 * "Table-only": a held row for which the store has no flow of the same program (DOS or NT path,
 * case-insensitive) and protocol that matches it: outbound to the same remote address and port,
 * or inbound to the same local port. Counted apart from events; never turned into events.
 *
 * Bounds: at most WL_HELD_MAX rows. Each note drops rows seen in one read only and not seen for
 * WL_HELD_STALE_TICKS (short connections: ephemeral noise), then the least recently seen rows
 * beyond WL_HELD_MAX. Schema: table `held`, migration v2 -> v3 (store_held.c).
 */
#ifndef WL_STORE_HELD_H
#define WL_STORE_HELD_H

#include <stddef.h>
#include <stdint.h>

#include "event/event.h"
#include "store/store.h"

#define WL_HELD_MAX 20000u
#define WL_HELD_STALE_TICKS (3600ull * 10000000ull) /* 1 h */
#define WL_HELD_LONG_READS 2u /* "long-lived": seen in at least this many reads */

enum wl_held_state { WL_HELD_LISTEN = 1, WL_HELD_ESTABLISHED = 2 };

typedef struct wl_held {
  char app[WL_PATH_MAX]; /* the owner's image (DOS path on Windows) */
  uint8_t state;         /* enum wl_held_state */
  uint8_t proto, ip_version;
  uint16_t local_port, remote_port; /* remote 0 for a listener */
  uint8_t remote_addr[16];          /* network order, v4 in [0..3] */
  uint64_t first_seen, last_seen;   /* ticks */
  uint64_t reads;                   /* table reads it was in */
  int table_only;                   /* (wl_store_held_list) no flow covers it */
} wl_held;

/* One table read at time `now`: upsert every entry (app "" skipped), then prune. One
 * transaction; must not be called inside another. */
int wl_store_held_note(wl_store *s, const wl_held *h, size_t n, uint64_t now);

typedef struct wl_held_counts {
  uint64_t held;       /* rows seen in >= WL_HELD_LONG_READS reads */
  uint64_t table_only; /* of those, not covered by any flow */
  uint64_t programs;   /* distinct programs among the table-only ones */
} wl_held_counts;
int wl_store_held_counts(wl_store *s, wl_held_counts *out); /* zeros on a store without rows */

/* The long-lived rows (table_only filled), table-only first, then by program; cb returns
 * non-zero to stop. */
typedef int (*wl_held_cb)(void *ctx, const wl_held *h);
int wl_store_held_list(wl_store *s, int table_only, wl_held_cb cb, void *ctx);

#endif
