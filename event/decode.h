/* decode.h — the one decoder: wl_raw_event (a verbatim copy of FWPM_NET_EVENTn, or what the sim
 * and the replay reader fill in the same shape) → wl_event, and its inverse for file sources.
 *
 * Rules (fwpmtypes.h, "FWPM_NET_EVENT_HEADER0..3" and "FWPM_NET_EVENT_CLASSIFY_DROP0..2 /
 * _ALLOW0 / FWPM_NET_EVENT_CAPABILITY_DROP0 / _ALLOW0" on Microsoft Learn):
 *  - a header field is valid only when its FWPM_NET_EVENT_FLAG_*_SET bit is set; an unset flag
 *    leaves the field unset in wl_event.has ("unknown", never zero);
 *  - the addresses are interpreted through ipVersion, so they need IP_VERSION_SET too; IPv4 is
 *    the host-order UINT32 WFP stores, turned into network-order bytes; IPv6 is 16 bytes;
 *  - the app id is UTF-16LE of the blob's size: no terminator is assumed, an odd trailing byte
 *    is ignored, an empty blob means no app, a copy shorter than the blob sets WL_HAS_APP_TRUNC;
 *  - filter id, layer id, direction (msFwpDirection 0x3900/0x3901) and isLoopback come from the
 *    classify payload, so only when the payload pointer was non-NULL (has_payload). Capability
 *    payloads carry the filter id and isLoopback only. Sentinels no WFP event carries mean
 *    "unknown" for the file sources: filter id 0, layer id WL_RAW_LAYER_UNKNOWN, a direction
 *    other than 0x3900/0x3901, is_loopback WL_RAW_LOOPBACK_UNKNOWN;
 *  - reauthReason lives in the payload and is valid with REAUTH_REASON_SET;
 *  - user and package SIDs become strings; the package SID S-1-0-0 ("nobody") means none;
 *  - event types other than classify drop/allow and capability drop/allow are skipped (the
 *    caller counts them).
 * Pure, allocation-free, bounded by the record sizes: safe on any thread.
 */
#ifndef WL_DECODE_H
#define WL_DECODE_H

#include "event/event.h"
#include "event/paths.h"

#define WL_RAW_LAYER_UNKNOWN    0xFFFFu /* never a FWPS_LAYER_* run-time id */
#define WL_RAW_LOOPBACK_UNKNOWN 0xFFu   /* isLoopback is a 0/1 UINT32 in WFP */

/* Decode raw into ev (cleared first). Returns 1 when ev holds an event to keep, 0 when the
 * event's type is one we skip (ev then holds only ts, type WL_EVT_OTHER and origin). */
int wl_decode(const wl_raw_event *raw, wl_event *ev);

/* ---- the consumer's decoder: wl_decode with caches ----
 * The same events carry the same app id and SIDs again and again, and turning them into text
 * (UTF-16 → UTF-8, the NT → DOS mapping, SID formatting) was most of the decoding cost. A
 * wl_decoder remembers the recent ones:
 *  - app_slots entries in sets of 4 (the least recently used one of a set is replaced), keyed
 *    on the app id blob: the bytes decoded, and whether the copy stopped short of the blob's
 *    size. Each holds the decoded app, its WL_HAS_APP / WL_HAS_APP_TRUNC bits, and its DOS
 *    form with the gen of the map that gave it (wl_path_map.gen: after any change to the map,
 *    or with another map, the DOS form is mapped again);
 *  - sid_slots entries, direct-mapped, keyed on a SID's bytes, holding its text. A SID that
 *    does not decode is not cached (it is decoded, and its error set, every time).
 * wl_hash_bytes of the key picks the set or slot; a hit needs the whole key to compare equal.
 * The result is always what wl_decode gives, plus app_dos. Memory: app_slots × about 3.1 KB +
 * sid_slots × about 280 bytes (1.6 MB by default), allocated once. One thread at a time. */
#define WL_DECODER_APP_SLOTS 512u
#define WL_DECODER_SID_SLOTS 64u

typedef struct wl_decoder wl_decoder;
typedef struct wl_decoder_stats {
  uint64_t app_hits, app_misses, dos_maps; /* dos_maps: wl_path_to_dos calls made */
  uint64_t sid_hits, sid_misses;
} wl_decoder_stats;

/* Slot counts: powers of two, apps at least 4 (0: the WL_DECODER_*_SLOTS default).
 * WL_E_INVAL, WL_E_NOMEM. */
int wl_decoder_create(size_t app_slots, size_t sid_slots, wl_decoder **out);
void wl_decoder_destroy(wl_decoder *d); /* NULL is fine */
/* wl_decode(raw, ev), except that the bytes after a string's terminator are left as they were
 * (every field and string is reset). With a map, an app that is an NT path (not a DOS one:
 * wl_path_is_dos) gets ev->app_dos = wl_path_to_dos(map, app) when that maps, else "". */
int wl_decoder_decode(wl_decoder *d, const wl_raw_event *raw, const wl_path_map *map, wl_event *ev);
void wl_decoder_get_stats(const wl_decoder *d, wl_decoder_stats *out);
/* Another hash of the keys (NULL: wl_hash_bytes), which empties the caches. For tests: a
 * hash with equal values for every key shows that only a whole-key compare makes a hit. */
typedef uint64_t (*wl_decoder_hash_fn)(const void *key, size_t n);
void wl_decoder_set_hash(wl_decoder *d, wl_decoder_hash_fn fn);

/* The inverse, for sources that read decoded records (replay files): fills raw so that
 * wl_decode(raw) gives back ev (app truncated to WL_RAW_APP_MAX bytes of UTF-16LE, then
 * flagged; app_dos is not carried). A user/package string that is not a SID leaves that SID
 * unset. Never fails. Every field is set; the bytes of the SIDs and the app id past their
 * lengths (which nothing reads) are left as they were. */
void wl_encode(const wl_event *ev, wl_raw_event *raw);

#endif
