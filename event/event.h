/* event.h — the event model: what every source produces and the store consumes.
 *
 * Two fixed-size, pointer-free records:
 *
 *  wl_raw_event  what a producer copies, undecoded. The WFP callback (on a BFE worker thread)
 *                does nothing but copy the FWPM_NET_EVENTn fields verbatim into one of these —
 *                header flags as WFP gave them, IPv4 as the host-order UINT32, the app id as the
 *                blob's UTF-16LE bytes with their size, SIDs as binary — and push it into the
 *                ring. The sim engine and the replay reader fill the same record, so all sources
 *                share one decoder (event/decode.h) and one ring.
 *  wl_event      the decoded event: flags honoured (a field whose flag was not set stays unset
 *                in `has`), addresses in network order, app path and SIDs as bounded UTF-8
 *                strings, direction and type as our enums. The store, importers and review use
 *                only this.
 *
 * Both have a stated size bound; nothing is allocated.
 */
#ifndef WL_EVENT_H
#define WL_EVENT_H

#include <stddef.h>
#include <stdint.h>

#include "common/wl_text.h"

/* ---- raw record: documented WFP values, kept portable ---- */

/* FWPM_NET_EVENT_FLAG_* (fwpmtypes.h), valid bits of wl_raw_event.flags. */
#define WL_RAW_IP_PROTOCOL_SET 0x00000001u
#define WL_RAW_LOCAL_ADDR_SET 0x00000002u
#define WL_RAW_REMOTE_ADDR_SET 0x00000004u
#define WL_RAW_LOCAL_PORT_SET 0x00000008u
#define WL_RAW_REMOTE_PORT_SET 0x00000010u
#define WL_RAW_APP_ID_SET 0x00000020u
#define WL_RAW_USER_ID_SET 0x00000040u
#define WL_RAW_SCOPE_ID_SET 0x00000080u
#define WL_RAW_IP_VERSION_SET 0x00000100u
#define WL_RAW_REAUTH_REASON_SET 0x00000200u
#define WL_RAW_PACKAGE_ID_SET 0x00000400u
#define WL_RAW_ENTERPRISE_ID_SET 0x00000800u
#define WL_RAW_POLICY_FLAGS_SET 0x00001000u
#define WL_RAW_EFFECTIVE_NAME_SET 0x00002000u

/* FWPM_NET_EVENT_TYPE */
#define WL_RAW_TYPE_CLASSIFY_DROP 3u
#define WL_RAW_TYPE_CLASSIFY_ALLOW 6u
#define WL_RAW_TYPE_CAPABILITY_DROP 7u
#define WL_RAW_TYPE_CAPABILITY_ALLOW 8u

/* FWP_IP_VERSION */
#define WL_RAW_IP_V4 0u
#define WL_RAW_IP_V6 1u
#define WL_RAW_IP_NONE 2u

/* msFwpDirection in the classify payloads: FWP_DIRECTION_IN/OUT/FORWARD as the
 * FWPM_NET_EVENT_CLASSIFY_DROP1/2 pages document them (also the %%14592/%%14593 of the Security
 * log). The FWPM_NET_EVENT_CLASSIFY_ALLOW0 page documents FWP_DIRECTION_OUTBOUND (0) and
 * FWP_DIRECTION_INBOUND (1) for the same field instead, so the decoder accepts those in allow
 * events too. WL_RAW_DIR_UNKNOWN is our own marker (file sources), a value WFP never uses. */
#define WL_RAW_DIR_IN 0x3900u
#define WL_RAW_DIR_OUT 0x3901u
#define WL_RAW_DIR_FORWARD 0x3902u
#define WL_RAW_FWP_DIRECTION_OUTBOUND 0u
#define WL_RAW_FWP_DIRECTION_INBOUND 1u
#define WL_RAW_DIR_UNKNOWN 0xFFFFFFFFu

/* Layer run-time ids (FWPS_LAYER_*) */
#define WL_LAYER_ALE_AUTH_RECV_ACCEPT_V4 44
#define WL_LAYER_ALE_AUTH_RECV_ACCEPT_V6 46
#define WL_LAYER_ALE_AUTH_CONNECT_V4 48
#define WL_LAYER_ALE_AUTH_CONNECT_V6 50
/* Layers whose allow events are not new connections (issue 12, item 4): a bind
 * (RESOURCE_ASSIGNMENT, Security log 5158), a listen (AUTH_LISTEN, 5154) and the notification
 * that an authorised flow is established (FLOW_ESTABLISHED: "allows for notification of when a
 * TCP connection has been established, or when non-TCP traffic has been authorized",
 * "Filtering Layer Identifiers" on Microsoft Learn). The connection itself was authorised, and
 * its allow event sent, at AUTH_CONNECT / AUTH_RECV_ACCEPT. FWPS_BUILTIN_LAYERS (fwpstypes.h). */
#define WL_LAYER_ALE_RESOURCE_ASSIGNMENT_V4 36
#define WL_LAYER_ALE_RESOURCE_ASSIGNMENT_V6 38
#define WL_LAYER_ALE_AUTH_LISTEN_V4 40
#define WL_LAYER_ALE_AUTH_LISTEN_V6 42
#define WL_LAYER_ALE_FLOW_ESTABLISHED_V4 52
#define WL_LAYER_ALE_FLOW_ESTABLISHED_V6 54

#define WL_RAW_APP_MAX 1024 /* bytes of the UTF-16LE app id kept (512 code units) */

enum wl_origin {
  WL_ORIGIN_LIVE = 0,  /* a WFP subscription (real or fake DLL) */
  WL_ORIGIN_BACKFILL,  /* read from the engine's net event buffer at start (FwpmNetEventEnum) */
  WL_ORIGIN_SIM,       /* the sim engine classifying a traffic file */
  WL_ORIGIN_REPLAY,    /* a recorded event stream */
  WL_ORIGIN_IMPORT,    /* a Windows log importer */
  WL_ORIGIN_EVTLOG     /* the Security log, live (capture's eventlog source, issue 19) */
};

typedef struct wl_raw_event {
  uint64_t timestamp;        /* FILETIME as 100 ns ticks since 1601 */
  uint64_t filter_id;        /* classify payload; valid when has_payload */
  uint32_t flags;            /* WL_RAW_*_SET exactly as in the event header */
  uint32_t type;             /* WL_RAW_TYPE_* (others are counted and skipped) */
  uint32_t ip_version;       /* WL_RAW_IP_* */
  uint32_t direction;        /* msFwpDirection, WL_RAW_DIR_* */
  uint32_t reauth_reason;
  uint32_t scope_id;
  uint32_t app_id_size;      /* the blob's size as WFP gave it (may exceed what was copied) */
  uint32_t app_id_copied;    /* bytes in app_id[] */
  uint16_t layer_id;
  uint16_t local_port, remote_port;
  uint8_t ip_protocol;
  uint8_t has_payload;       /* the classify/capability payload pointer was non-NULL */
  uint8_t is_loopback;
  uint8_t origin;            /* enum wl_origin */
  uint8_t user_sid_len, package_sid_len; /* 0 = pointer was NULL */
  uint8_t local_addr[16];    /* v4: the host-order UINT32 stored with memcpy; v6: 16 bytes */
  uint8_t remote_addr[16];
  uint8_t user_sid[WL_SID_MAX];
  uint8_t package_sid[WL_SID_MAX];
  uint8_t app_id[WL_RAW_APP_MAX];
} wl_raw_event;

/* ---- decoded event ---- */

enum wl_event_type {
  WL_EVT_OTHER = 0,
  WL_EVT_DROP,      /* classify drop: blocked */
  WL_EVT_ALLOW,     /* classify allow: permitted */
  WL_EVT_CAP_DROP,  /* capability drop (app container) */
  WL_EVT_CAP_ALLOW
};
enum wl_dir { WL_DIR_UNKNOWN = 0, WL_DIR_IN, WL_DIR_OUT };

/* wl_event.has bits: which fields are valid. */
#define WL_HAS_PROTO 0x0001u
#define WL_HAS_LOCAL_ADDR 0x0002u
#define WL_HAS_REMOTE_ADDR 0x0004u
#define WL_HAS_LOCAL_PORT 0x0008u
#define WL_HAS_REMOTE_PORT 0x0010u
#define WL_HAS_APP 0x0020u
#define WL_HAS_USER 0x0040u
#define WL_HAS_IP_VERSION 0x0080u
#define WL_HAS_PACKAGE 0x0100u
#define WL_HAS_FILTER 0x0200u
#define WL_HAS_LAYER 0x0400u
#define WL_HAS_DIR 0x0800u
#define WL_HAS_REAUTH 0x1000u
#define WL_HAS_APP_TRUNC 0x2000u /* app path longer than WL_PATH_MAX or the raw copy */
#define WL_HAS_LOOPBACK 0x4000u  /* is_loopback is valid */

#define WL_PATH_MAX 1024 /* bytes of UTF-8 path kept, terminator included */

typedef struct wl_event {
  uint64_t ts;          /* 100 ns ticks since 1601 UTC */
  uint64_t filter_id;
  uint32_t has;         /* WL_HAS_* */
  uint32_t reauth;
  uint16_t layer_id;
  uint16_t local_port, remote_port;
  uint8_t type;         /* enum wl_event_type */
  uint8_t dir;          /* enum wl_dir */
  uint8_t ip_version;   /* 4, 6, or 0 when unknown */
  uint8_t proto;        /* IPPROTO number */
  uint8_t is_loopback;
  uint8_t origin;       /* enum wl_origin */
  uint8_t local_addr[16];  /* network byte order; v4 in [0..3] */
  uint8_t remote_addr[16];
  char app[WL_PATH_MAX];     /* as recorded: NT device path usually; "" when none */
  char app_dos[WL_PATH_MAX]; /* DOS form when a mapping is known (C:\...), else "" */
  char user[WL_SID_STR_MAX];    /* "S-1-5-21-..." or "" */
  char package[WL_SID_STR_MAX]; /* "" for none (S-1-0-0 decodes to "") */
} wl_event;

/* Reset to "nothing known". */
void wl_event_clear(wl_event *ev);
/* The same for every field and string, but only the strings' first byte is written (the bytes
 * after a terminator keep what they held): ~30 stores instead of a 2.5 KB memset, for loops
 * that fill an event per record (the consumer's decoder). */
void wl_event_reset(wl_event *ev);
/* Short names used in files and output: "allow"/"drop"/"cap-allow"/"cap-drop"/"other",
 * "in"/"out"/"?" and back. Parsers return WL_E_PARSE for unknown text. */
const char *wl_event_type_name(int type);
const char *wl_dir_name(int dir);
/* An event dated more than this past the wall clock is not believed: every source refuses it
 * (replay and traffic files and importers count it as malformed with FILE:LINE, the store skips
 * it and counts it in meta "future"), because one record dated 9999 would otherwise become the
 * retention anchor and prune the week (issue 18). Clock skew between machines stays inside it. */
#define WL_EVENT_FUTURE_TICKS (24ull * 3600ull * 10000000ull)
/* 1 when ts is beyond wl_time_now() + WL_EVENT_FUTURE_TICKS. */
int wl_event_ts_too_new(uint64_t ts);
int wl_event_type_parse(const char *s, int *type);
int wl_dir_parse(const char *s, int *dir);
/* 0 for an allow event (classify or capability) at a layer that does not authorise a new
 * connection: flow established, listen, bind (the WL_LAYER_ALE_* above). Such events are
 * counted apart and never rolled up as connections; a drop at any layer, and an event whose
 * layer is unknown, is a connection attempt (1). */
int wl_event_is_connection(const wl_event *ev);

/* A hint, changing nothing: fetch the cache lines of *ev that the decoder writes and the store
 * reads (the fixed fields, the start of the app path, the first 64 bytes of app_dos and of the
 * user SID, the package's first). A batch of events is 20 MB (WL_CAPTURE_BATCH of them), so an
 * event's lines are cold when the decoder fills it (write 1) and again when the store reads it
 * (write 0). An event is 2,504 bytes, so where its strings start within a line varies: a
 * 40-byte DOS path crosses into a second line about half the time, and that line missed in
 * the store's compare of app_dos (strcmp was 10 % of the consumer thread's samples with one
 * line fetched, 3.5 % with two, learn of 1M stress events, perf). */
/* Always inlined: GCC sees no side effect in a prefetch, so at -O2 (RelWithDebInfo: the
 * shipped Windows build) it took a call it had not inlined for a dead call to a const function
 * and removed it with all its prefetches (-O3 inlined it and kept them). if/else, not ?:: the
 * read/write flag must be a constant, and Debian's clang 14 crashes at -O0 on a ?: of two
 * __builtin_prefetch calls. */
#define WL_EVENT_PREFETCH_(addr, write) \
  do {                                  \
    if (write)                          \
      __builtin_prefetch((addr), 1);    \
    else                                \
      __builtin_prefetch((addr), 0);    \
  } while (0)
static inline __attribute__((always_inline)) void wl_event_prefetch(const wl_event *ev,
                                                                 int write) {
  const char *p = (const char *)ev;
  for (size_t off = 0; off < offsetof(wl_event, app) + 192; off += 64)
    WL_EVENT_PREFETCH_(p + off, write);
  WL_EVENT_PREFETCH_(ev->app_dos, write);
  WL_EVENT_PREFETCH_(ev->app_dos + 63, write);
  WL_EVENT_PREFETCH_(ev->user, write);
  WL_EVENT_PREFETCH_(ev->user + 63, write);
  WL_EVENT_PREFETCH_(ev->package, write);
}

#endif
