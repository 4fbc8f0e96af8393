/* decode.c — wl_raw_event → wl_event (and back, for file sources). The rules are in decode.h;
 * every value used here is from fwpmtypes.h as documented on Microsoft Learn
 * (FWPM_NET_EVENT_HEADER3, FWPM_NET_EVENT_CLASSIFY_DROP2, FWPM_NET_EVENT_CLASSIFY_ALLOW0,
 * FWPM_NET_EVENT_CAPABILITY_DROP0/ALLOW0, FWP_IP_VERSION, FWP_DIRECTION's msFwp values). Runs on
 * the consumer thread only, never on a BFE callback thread. The consumer's wl_decoder adds two
 * small caches in front of the app id and SID conversions (see decode.h); with none, every
 * event is converted afresh (wl_decode).
 */
#include "event/decode.h"

#include <assert.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "common/wl_err.h"
#include "common/wl_hash.h"
#include "common/wl_text.h"

static int map_type(uint32_t raw_type) {
  switch (raw_type) {
  case WL_RAW_TYPE_CLASSIFY_DROP:
    return WL_EVT_DROP;
  case WL_RAW_TYPE_CLASSIFY_ALLOW:
    return WL_EVT_ALLOW;
  case WL_RAW_TYPE_CAPABILITY_DROP:
    return WL_EVT_CAP_DROP;
  case WL_RAW_TYPE_CAPABILITY_ALLOW:
    return WL_EVT_CAP_ALLOW;
  default:
    return WL_EVT_OTHER;
  }
}

static int is_classify(int type) { return type == WL_EVT_DROP || type == WL_EVT_ALLOW; }

/* One address per the header's ipVersion: v4 is a host-order UINT32 kept with memcpy. */
static void decode_addr(uint8_t ip_version, const uint8_t raw[16], uint8_t out[16]) {
  if (ip_version == 4) {
    uint32_t host;
    memcpy(&host, raw, sizeof host);
    wl_addr_from_v4_host(host, out);
  } else {
    memcpy(out, raw, 16);
  }
}

static void decode_header(const wl_raw_event *raw, wl_event *ev) {
  uint32_t f = raw->flags;
  if (f & WL_RAW_IP_PROTOCOL_SET) {
    ev->proto = raw->ip_protocol;
    ev->has |= WL_HAS_PROTO;
  }
  if ((f & WL_RAW_IP_VERSION_SET) &&
      (raw->ip_version == WL_RAW_IP_V4 || raw->ip_version == WL_RAW_IP_V6)) {
    ev->ip_version = raw->ip_version == WL_RAW_IP_V4 ? 4 : 6;
    ev->has |= WL_HAS_IP_VERSION;
    if (f & WL_RAW_LOCAL_ADDR_SET) {
      decode_addr(ev->ip_version, raw->local_addr, ev->local_addr);
      ev->has |= WL_HAS_LOCAL_ADDR;
    }
    if (f & WL_RAW_REMOTE_ADDR_SET) {
      decode_addr(ev->ip_version, raw->remote_addr, ev->remote_addr);
      ev->has |= WL_HAS_REMOTE_ADDR;
    }
  }
  if (f & WL_RAW_LOCAL_PORT_SET) {
    ev->local_port = raw->local_port;
    ev->has |= WL_HAS_LOCAL_PORT;
  }
  if (f & WL_RAW_REMOTE_PORT_SET) {
    ev->remote_port = raw->remote_port;
    ev->has |= WL_HAS_REMOTE_PORT;
  }
}

/* Whether a NUL code unit occurs among the first n bytes (whole units only). */
static int has_nul_unit(const uint8_t *u16, size_t n) {
  for (size_t i = 0; i + 1 < n; i += 2)
    if (u16[i] == 0 && u16[i + 1] == 0)
      return 1;
  return 0;
}

/* The app id blob: UTF-16LE of app_id_size bytes, of which app_id_copied were kept. A copy that
 * stopped short of the blob is truncated unless a NUL ended the string inside the copy. */
static size_t app_bytes(const wl_raw_event *raw) {
  size_t n = raw->app_id_copied;
  if (n > raw->app_id_size)
    n = raw->app_id_size;
  return n > WL_RAW_APP_MAX ? WL_RAW_APP_MAX : n;
}

static void decode_app(const wl_raw_event *raw, wl_event *ev) {
  if (!(raw->flags & WL_RAW_APP_ID_SET) || raw->app_id_size == 0)
    return;
  size_t n = app_bytes(raw);
  size_t need = wl_utf16le_to_utf8(raw->app_id, n, ev->app, sizeof ev->app);
  int cut = n < raw->app_id_size && !has_nul_unit(raw->app_id, n);
  if (need == 0)
    return; /* empty blob, only a terminator, or nothing copied: no app */
  ev->has |= WL_HAS_APP;
  if (cut || need >= sizeof ev->app)
    ev->has |= WL_HAS_APP_TRUNC;
}

/* A binary SID of len bytes (0 = the pointer was NULL) → string; "" when absent or malformed. */
static int decode_sid(const uint8_t *sid, uint8_t len, char *out, size_t cap) {
  out[0] = '\0';
  if (len == 0)
    return 0;
  if (wl_sid_to_string(sid, len > WL_SID_MAX ? WL_SID_MAX : len, out, cap) != 0) {
    out[0] = '\0';
    return 0;
  }
  return 1;
}

/* ---- the caches (decode.h: wl_decoder) ---- */

typedef struct app_ent {
  uint64_t hash;
  uint8_t used, part; /* part: the copy stopped short of the blob's size (decode_app's `cut`) */
  uint8_t dos_valid;  /* dos[] holds the mapping under the map of gen dos_gen */
  uint32_t n;         /* blob bytes decoded: the key is n, part and blob[0..n) */
  uint32_t has;       /* WL_HAS_APP | WL_HAS_APP_TRUNC as decoded */
  uint32_t app_len, dos_len;
  uint64_t dos_gen;
  uint64_t used_at; /* the decoder's clock at the last hit: the set's oldest is replaced */
  uint8_t blob[WL_RAW_APP_MAX];
  char app[WL_PATH_MAX];
  char dos[WL_PATH_MAX];
} app_ent;

typedef struct sid_ent {
  uint64_t hash;
  uint8_t used, n; /* the key: bin[0..n) */
  uint8_t len;     /* strlen(str) */
  uint8_t bin[WL_SID_MAX];
  char str[WL_SID_STR_MAX];
} sid_ent;

#define APP_WAYS 4 /* app entries per set */

struct wl_decoder {
  size_t app_sets, sid_mask; /* app_sets - 1: a mask too */
  uint64_t clock;
  wl_decoder_hash_fn hash; /* NULL: wl_hash_bytes */
  app_ent *apps;
  sid_ent *sids;
  wl_decoder_stats st;
};

static int pow2(size_t n) { return n && !(n & (n - 1)); }

int wl_decoder_create(size_t app_slots, size_t sid_slots, wl_decoder **out) {
  *out = NULL;
  if (!app_slots)
    app_slots = WL_DECODER_APP_SLOTS;
  if (!sid_slots)
    sid_slots = WL_DECODER_SID_SLOTS;
  if (!pow2(app_slots) || app_slots < APP_WAYS || !pow2(sid_slots) || app_slots > 65536 ||
      sid_slots > 65536)
    return wl_err(WL_E_INVAL, "decoder: cache slots %zu / %zu: powers of two, %d to 65536 apps",
                  app_slots, sid_slots, APP_WAYS);
  wl_decoder *d = calloc(1, sizeof *d);
  if (d) {
    d->apps = calloc(app_slots, sizeof *d->apps);
    d->sids = calloc(sid_slots, sizeof *d->sids);
  }
  if (!d || !d->apps || !d->sids) {
    wl_decoder_destroy(d);
    return wl_err(WL_E_NOMEM, "decoder: out of memory for its caches");
  }
  d->app_sets = app_slots / APP_WAYS;
  d->sid_mask = sid_slots - 1;
  *out = d;
  return WL_OK;
}

void wl_decoder_destroy(wl_decoder *d) {
  if (!d)
    return;
  free(d->apps);
  free(d->sids);
  free(d);
}

void wl_decoder_get_stats(const wl_decoder *d, wl_decoder_stats *out) { *out = d->st; }

void wl_decoder_set_hash(wl_decoder *d, wl_decoder_hash_fn fn) {
  d->hash = fn;
  memset(d->apps, 0, (d->app_sets * APP_WAYS) * sizeof *d->apps);
  memset(d->sids, 0, (d->sid_mask + 1) * sizeof *d->sids);
}

static uint64_t key_hash(const wl_decoder *d, const void *p, size_t n) {
  return d->hash ? d->hash(p, n) : wl_hash_bytes(p, n);
}

/* The app from the cache, or decoded and remembered; then its DOS form under map. */
static void decode_app_cached(wl_decoder *d, const wl_raw_event *raw, const wl_path_map *map,
                              wl_event *ev) {
  if (!(raw->flags & WL_RAW_APP_ID_SET) || raw->app_id_size == 0)
    return;
  size_t n = app_bytes(raw);
  uint8_t part = n < raw->app_id_size;
  uint64_t h = key_hash(d, raw->app_id, n);
  app_ent *set = &d->apps[(h & (d->app_sets - 1)) * APP_WAYS], *e = NULL, *old = set;
  for (int w = 0; w < APP_WAYS && !e; w++) {
    app_ent *x = &set[w];
    if (x->hash == h && x->used && x->n == n && x->part == part &&
        memcmp(x->blob, raw->app_id, n) == 0)
      e = x;
    else if (x->used_at < old->used_at)
      old = x; /* never used: 0, the oldest of all */
  }
  d->clock++;
  if (e) {
    d->st.app_hits++;
    ev->has |= e->has;
    memcpy(ev->app, e->app, e->app_len + 1);
  } else {
    d->st.app_misses++;
    decode_app(raw, ev);
    e = old;
    e->used = 1;
    e->hash = h;
    e->n = (uint32_t)n;
    e->part = part;
    memcpy(e->blob, raw->app_id, n);
    e->has = ev->has & (WL_HAS_APP | WL_HAS_APP_TRUNC);
    e->app_len = (uint32_t)strlen(ev->app);
    memcpy(e->app, ev->app, e->app_len + 1);
    e->dos_valid = 0;
  }
  e->used_at = d->clock;
  if (!map || !(e->has & WL_HAS_APP))
    return;
  if (!e->dos_valid || e->dos_gen != map->gen) {
    d->st.dos_maps++;
    e->dos[0] = '\0';
    if (wl_path_is_dos(e->app) || wl_path_to_dos(map, e->app, e->dos, sizeof e->dos) != 1)
      e->dos[0] = '\0';
    e->dos_len = (uint32_t)strlen(e->dos);
    e->dos_gen = map->gen;
    e->dos_valid = 1;
  }
  memcpy(ev->app_dos, e->dos, e->dos_len + 1);
}

/* decode_sid through the cache (d NULL: without). Only SIDs that decode are remembered. */
static int decode_sid_cached(wl_decoder *d, const uint8_t *sid, uint8_t len, char *out,
                             size_t cap) {
  if (!d || len == 0)
    return decode_sid(sid, len, out, cap);
  assert(cap == sizeof d->sids[0].str); /* what the cached text was made for */
  uint8_t n = len > WL_SID_MAX ? WL_SID_MAX : len;
  uint64_t h = key_hash(d, sid, n);
  sid_ent *e = &d->sids[h & d->sid_mask];
  if (e->used && e->hash == h && e->n == n && memcmp(e->bin, sid, n) == 0) {
    d->st.sid_hits++;
    memcpy(out, e->str, (size_t)e->len + 1);
    return 1;
  }
  d->st.sid_misses++;
  if (!decode_sid(sid, len, out, cap))
    return 0;
  e->used = 1;
  e->hash = h;
  e->n = n;
  memcpy(e->bin, sid, n);
  e->len = (uint8_t)strlen(out);
  memcpy(e->str, out, (size_t)e->len + 1);
  return 1;
}

static void decode_sids(wl_decoder *d, const wl_raw_event *raw, wl_event *ev) {
  if ((raw->flags & WL_RAW_USER_ID_SET) &&
      decode_sid_cached(d, raw->user_sid, raw->user_sid_len, ev->user, sizeof ev->user))
    ev->has |= WL_HAS_USER;
  if ((raw->flags & WL_RAW_PACKAGE_ID_SET) &&
      decode_sid_cached(d, raw->package_sid, raw->package_sid_len, ev->package,
                        sizeof ev->package)) {
    if (strcmp(ev->package, "S-1-0-0") == 0)
      ev->package[0] = '\0'; /* SECURITY_NULL_SID: "no package" */
    else
      ev->has |= WL_HAS_PACKAGE;
  }
}

/* Direction of a classify payload. On the ALE auth layers the layer decides: RECV_ACCEPT
 * authorises inbound connections, CONNECT outbound ones, whatever msFwpDirection says. That field
 * is not reliable there: allow events carry the FWP_DIRECTION_OUTBOUND (0) / INBOUND (1) enum of
 * the CLASSIFY_ALLOW0 page, where 0 is also "not set", and inbound allows have been seen with 0
 * (simplewall takes the direction from the RECV_ACCEPT layer for that reason). Elsewhere the
 * documented values are used: FWP_DIRECTION_IN/OUT (0x3900/0x3901), and 0/1 in allow events
 * only. FORWARD and anything else on another layer stays unknown. */
static int payload_dir(const wl_raw_event *raw, int type) {
  switch (raw->layer_id) {
  case WL_LAYER_ALE_AUTH_RECV_ACCEPT_V4:
  case WL_LAYER_ALE_AUTH_RECV_ACCEPT_V6:
    return WL_DIR_IN;
  case WL_LAYER_ALE_AUTH_CONNECT_V4:
  case WL_LAYER_ALE_AUTH_CONNECT_V6:
    return WL_DIR_OUT;
  }
  switch (raw->direction) {
  case WL_RAW_DIR_IN:
    return WL_DIR_IN;
  case WL_RAW_DIR_OUT:
    return WL_DIR_OUT;
  case WL_RAW_FWP_DIRECTION_INBOUND:
    return type == WL_EVT_ALLOW ? WL_DIR_IN : WL_DIR_UNKNOWN;
  case WL_RAW_FWP_DIRECTION_OUTBOUND:
    return type == WL_EVT_ALLOW ? WL_DIR_OUT : WL_DIR_UNKNOWN;
  }
  return WL_DIR_UNKNOWN;
}

/* Classify payloads carry filter, layer, reauth, direction and loopback; capability payloads
 * only the filter id and loopback. */
static void decode_payload(const wl_raw_event *raw, wl_event *ev) {
  if (!raw->has_payload)
    return;
  if (raw->filter_id != 0) {
    ev->filter_id = raw->filter_id;
    ev->has |= WL_HAS_FILTER;
  }
  if (raw->is_loopback <= 1) {
    ev->is_loopback = raw->is_loopback;
    ev->has |= WL_HAS_LOOPBACK;
  }
  if (!is_classify(ev->type))
    return;
  if (raw->layer_id != WL_RAW_LAYER_UNKNOWN) {
    ev->layer_id = raw->layer_id;
    ev->has |= WL_HAS_LAYER;
  }
  int dir = payload_dir(raw, ev->type);
  if (dir != WL_DIR_UNKNOWN) {
    ev->dir = (uint8_t)dir;
    ev->has |= WL_HAS_DIR;
  }
  if (raw->flags & WL_RAW_REAUTH_REASON_SET) {
    ev->reauth = raw->reauth_reason;
    ev->has |= WL_HAS_REAUTH;
  }
}

/* Both decoders: the raw record into a cleared ev (0: not an event type we keep). Without a
 * decoder the app id is converted every time and no DOS form is looked up. */
static int decode_into(wl_decoder *d, const wl_raw_event *raw, const wl_path_map *map,
                       wl_event *ev) {
  ev->ts = raw->timestamp;
  ev->origin = raw->origin;
  ev->type = (uint8_t)map_type(raw->type);
  if (ev->type == WL_EVT_OTHER)
    return 0;
  decode_header(raw, ev);
  if (d)
    decode_app_cached(d, raw, map, ev);
  else
    decode_app(raw, ev);
  decode_sids(d, raw, ev);
  decode_payload(raw, ev);
  return 1;
}

int wl_decode(const wl_raw_event *raw, wl_event *ev) {
  wl_event_clear(ev);
  return decode_into(NULL, raw, NULL, ev);
}

int wl_decoder_decode(wl_decoder *d, const wl_raw_event *raw, const wl_path_map *map,
                      wl_event *ev) {
  assert(d);
  wl_event_reset(ev); /* not 2.5 KB of memset per event */
  return decode_into(d, raw, map, ev);
}

/* ---- encode: a decoded event back into the raw shape (file sources) ---- */

static uint32_t unmap_type(int type) {
  switch (type) {
  case WL_EVT_DROP:
    return WL_RAW_TYPE_CLASSIFY_DROP;
  case WL_EVT_ALLOW:
    return WL_RAW_TYPE_CLASSIFY_ALLOW;
  case WL_EVT_CAP_DROP:
    return WL_RAW_TYPE_CAPABILITY_DROP;
  case WL_EVT_CAP_ALLOW:
    return WL_RAW_TYPE_CAPABILITY_ALLOW;
  default:
    return 0; /* FWPM_NET_EVENT_TYPE_IKEEXT_MM_FAILURE: any type we skip */
  }
}

static void encode_addr(uint8_t ip_version, const uint8_t addr[16], uint8_t raw[16]) {
  memset(raw, 0, 16);
  if (ip_version == 4) {
    uint32_t host = wl_addr_to_v4_host(addr);
    memcpy(raw, &host, sizeof host);
  } else {
    memcpy(raw, addr, 16);
  }
}

static void encode_header(const wl_event *ev, wl_raw_event *raw) {
  if (ev->has & WL_HAS_PROTO) {
    raw->ip_protocol = ev->proto;
    raw->flags |= WL_RAW_IP_PROTOCOL_SET;
  }
  if ((ev->has & WL_HAS_IP_VERSION) && (ev->ip_version == 4 || ev->ip_version == 6)) {
    raw->ip_version = ev->ip_version == 4 ? WL_RAW_IP_V4 : WL_RAW_IP_V6;
    raw->flags |= WL_RAW_IP_VERSION_SET;
    if (ev->has & WL_HAS_LOCAL_ADDR) {
      encode_addr(ev->ip_version, ev->local_addr, raw->local_addr);
      raw->flags |= WL_RAW_LOCAL_ADDR_SET;
    }
    if (ev->has & WL_HAS_REMOTE_ADDR) {
      encode_addr(ev->ip_version, ev->remote_addr, raw->remote_addr);
      raw->flags |= WL_RAW_REMOTE_ADDR_SET;
    }
  } else {
    raw->ip_version = WL_RAW_IP_NONE;
  }
  if (ev->has & WL_HAS_LOCAL_PORT) {
    raw->local_port = ev->local_port;
    raw->flags |= WL_RAW_LOCAL_PORT_SET;
  }
  if (ev->has & WL_HAS_REMOTE_PORT) {
    raw->remote_port = ev->remote_port;
    raw->flags |= WL_RAW_REMOTE_PORT_SET;
  }
}

/* The app as WFP gives it: UTF-16LE with a terminator, the size of the whole blob. An app
 * already flagged truncated (or too long for the record) is copied without the terminator and
 * with a blob size larger than the copy, so that decoding flags it again. */
static void encode_app(const wl_event *ev, wl_raw_event *raw) {
  if (!(ev->has & WL_HAS_APP) || ev->app[0] == '\0')
    return;
  size_t need = wl_utf8_to_utf16le(ev->app, strlen(ev->app), raw->app_id, WL_RAW_APP_MAX);
  if ((ev->has & WL_HAS_APP_TRUNC) || need > WL_RAW_APP_MAX - 2) {
    size_t copied = (need < WL_RAW_APP_MAX ? need : WL_RAW_APP_MAX) & ~(size_t)1;
    raw->app_id_copied = (uint32_t)copied;
    raw->app_id_size = (uint32_t)((need > copied ? need : copied) + 2);
  } else {
    raw->app_id[need] = 0;
    raw->app_id[need + 1] = 0;
    raw->app_id_copied = raw->app_id_size = (uint32_t)(need + 2);
  }
  raw->flags |= WL_RAW_APP_ID_SET;
}

_Static_assert(offsetof(wl_raw_event, package_sid) > offsetof(wl_raw_event, user_sid) &&
                   offsetof(wl_raw_event, app_id) > offsetof(wl_raw_event, package_sid) &&
                   sizeof(wl_raw_event) - offsetof(wl_raw_event, app_id) - WL_RAW_APP_MAX < 8,
               "wl_raw_event: the SIDs and the app id come last");

static void encode_sid(int known, const char *s, uint8_t *out, uint8_t *len, uint32_t *flags,
                       uint32_t bit) {
  if (!known || s[0] == '\0')
    return;
  int n = wl_sid_from_string(s, out);
  if (n <= 0)
    return;
  *len = (uint8_t)n;
  *flags |= bit;
}

static void encode_payload(const wl_event *ev, wl_raw_event *raw) {
  raw->layer_id = WL_RAW_LAYER_UNKNOWN;
  raw->is_loopback = WL_RAW_LOOPBACK_UNKNOWN;
  raw->direction = WL_RAW_DIR_UNKNOWN;
  if (!(ev->has & (WL_HAS_FILTER | WL_HAS_LAYER | WL_HAS_DIR | WL_HAS_LOOPBACK | WL_HAS_REAUTH)))
    return;
  raw->has_payload = 1;
  if (ev->has & WL_HAS_FILTER)
    raw->filter_id = ev->filter_id;
  if (ev->has & WL_HAS_LAYER)
    raw->layer_id = ev->layer_id;
  if (ev->has & WL_HAS_DIR)
    raw->direction = ev->dir == WL_DIR_IN ? WL_RAW_DIR_IN : WL_RAW_DIR_OUT;
  if (ev->has & WL_HAS_LOOPBACK)
    raw->is_loopback = ev->is_loopback ? 1 : 0;
  if (ev->has & WL_HAS_REAUTH) {
    raw->reauth_reason = ev->reauth;
    raw->flags |= WL_RAW_REAUTH_REASON_SET;
  }
}

void wl_encode(const wl_event *ev, wl_raw_event *raw) {
  /* the fixed fields; the SID and app id bytes past their lengths are never read */
  memset(raw, 0, offsetof(wl_raw_event, user_sid));
  raw->timestamp = ev->ts;
  raw->origin = ev->origin;
  raw->type = unmap_type(ev->type);
  encode_header(ev, raw);
  encode_app(ev, raw);
  encode_sid(ev->has & WL_HAS_USER, ev->user, raw->user_sid, &raw->user_sid_len, &raw->flags,
             WL_RAW_USER_ID_SET);
  encode_sid(ev->has & WL_HAS_PACKAGE, ev->package, raw->package_sid, &raw->package_sid_len,
             &raw->flags, WL_RAW_PACKAGE_ID_SET);
  encode_payload(ev, raw);
}
