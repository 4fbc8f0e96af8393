/* win_evcopy.c — the only work done on BFE's callback thread: copy a versioned
 * FWPM_NET_EVENTn, field by field, into wfplearn's fixed-size wl_raw_event (event/event.h).
 *
 * Nothing is interpreted here: flags stay as WFP set them (the decoder honours them), an IPv4
 * address is the host-order UINT32 memcpy'd, the app id is the blob's bytes (bounded, never
 * read as a string), SIDs are their binary bytes. The six versions differ only in the header
 * (HEADER0..3) and in which payload structs the union may point to, so the common header
 * fields are copied by one macro expanded per struct type (no casts between struct types).
 */
#include <string.h>

#include "engine/fwpuclnt/win_backend.h"

size_t wl_fwp_sid_len(const SID *sid) {
  if (!sid)
    return 0;
  size_t n = 8 + 4 * (size_t)sid->SubAuthorityCount;
  return n > WL_SID_MAX ? WL_SID_MAX : n;
}

static void copy_sid(const SID *sid, uint8_t *dst, uint8_t *len) {
  size_t n = wl_fwp_sid_len(sid);
  if (n)
    memcpy(dst, sid, n);
  *len = (uint8_t)n;
}

static void copy_app_id(const FWP_BYTE_BLOB *b, wl_raw_event *out) {
  out->app_id_size = b->size;
  size_t n = b->data ? b->size : 0;
  if (n > WL_RAW_APP_MAX)
    n = WL_RAW_APP_MAX;
  if (n)
    memcpy(out->app_id, b->data, n);
  out->app_id_copied = (uint32_t)n;
}

static void clear_raw(wl_raw_event *out) {
  /* Everything but the three big arrays, which are only read up to their stated lengths. */
  memset(out, 0, offsetof(wl_raw_event, local_addr));
  memset(out->local_addr, 0, sizeof out->local_addr);
  memset(out->remote_addr, 0, sizeof out->remote_addr);
}

/* The fields HEADER0..3 share (identical names and offsets, pinned in wfp_defs.h). */
#define COPY_HEADER(h, out)                                                              \
  do {                                                                                   \
    (out)->timestamp = ((uint64_t)(h)->timeStamp.dwHighDateTime << 32) |                 \
                       (h)->timeStamp.dwLowDateTime;                                     \
    (out)->flags = (h)->flags;                                                           \
    (out)->ip_version = (uint32_t)(h)->ipVersion;                                        \
    (out)->ip_protocol = (h)->ipProtocol;                                                \
    if ((h)->ipVersion == FWP_IP_VERSION_V4) {                                           \
      memcpy((out)->local_addr, &(h)->localAddrV4, 4);                                   \
      memcpy((out)->remote_addr, &(h)->remoteAddrV4, 4);                                 \
    } else if ((h)->ipVersion == FWP_IP_VERSION_V6) {                                    \
      memcpy((out)->local_addr, (h)->localAddrV6.byteArray16, 16);                       \
      memcpy((out)->remote_addr, (h)->remoteAddrV6.byteArray16, 16);                     \
    }                                                                                    \
    (out)->local_port = (h)->localPort;                                                  \
    (out)->remote_port = (h)->remotePort;                                                \
    (out)->scope_id = (h)->scopeId;                                                      \
    copy_app_id(&(h)->appId, (out));                                                     \
    copy_sid((h)->userId, (out)->user_sid, &(out)->user_sid_len);                        \
  } while (0)

/* CLASSIFY_DROP1/2 and CLASSIFY_ALLOW0 share their first seven fields. */
#define COPY_CLASSIFY(p, out)                                                            \
  do {                                                                                   \
    (out)->has_payload = 1;                                                              \
    (out)->filter_id = (p)->filterId;                                                    \
    (out)->layer_id = (p)->layerId;                                                      \
    (out)->reauth_reason = (p)->reauthReason;                                            \
    (out)->direction = (p)->msFwpDirection;                                              \
    (out)->is_loopback = (p)->isLoopback ? 1 : 0;                                        \
  } while (0)

#define COPY_CAPABILITY(p, out)                                                          \
  do {                                                                                   \
    (out)->has_payload = 1;                                                              \
    (out)->filter_id = (p)->filterId;                                                    \
    (out)->is_loopback = (p)->isLoopback ? 1 : 0;                                        \
  } while (0)

/* Windows 8+ unions (FWPM_NET_EVENT2..5): the same four payload members. */
#define COPY_PAYLOAD_WIN8(ev, out)                                                       \
  do {                                                                                   \
    switch ((uint32_t)(ev)->type) {                                                      \
    case WL_FWPM_NET_EVENT_TYPE_CLASSIFY_DROP:                                           \
      if ((ev)->classifyDrop) COPY_CLASSIFY((ev)->classifyDrop, out);                    \
      break;                                                                             \
    case WL_FWPM_NET_EVENT_TYPE_CLASSIFY_ALLOW:                                          \
      if ((ev)->classifyAllow) COPY_CLASSIFY((ev)->classifyAllow, out);                  \
      break;                                                                             \
    case WL_FWPM_NET_EVENT_TYPE_CAPABILITY_DROP:                                         \
      if ((ev)->capabilityDrop) COPY_CAPABILITY((ev)->capabilityDrop, out);              \
      break;                                                                             \
    case WL_FWPM_NET_EVENT_TYPE_CAPABILITY_ALLOW:                                        \
      if ((ev)->capabilityAllow) COPY_CAPABILITY((ev)->capabilityAllow, out);            \
      break;                                                                             \
    default:                                                                             \
      break;                                                                             \
    }                                                                                    \
  } while (0)

void wl_fwp_copy_event0(const FWPM_NET_EVENT0 *in, wl_raw_event *out) {
  clear_raw(out);
  COPY_HEADER(&in->header, out);
  out->type = (uint32_t)in->type;
  /* CLASSIFY_DROP0 has only the filter and layer ids. */
  if (in->type == FWPM_NET_EVENT_TYPE_CLASSIFY_DROP && in->classifyDrop) {
    out->has_payload = 1;
    out->filter_id = in->classifyDrop->filterId;
    out->layer_id = in->classifyDrop->layerId;
  }
}

void wl_fwp_copy_event1(const FWPM_NET_EVENT1 *in, wl_raw_event *out) {
  clear_raw(out);
  COPY_HEADER(&in->header, out);
  out->type = (uint32_t)in->type;
  if (in->type == FWPM_NET_EVENT_TYPE_CLASSIFY_DROP && in->classifyDrop)
    COPY_CLASSIFY(in->classifyDrop, out);
}

void wl_fwp_copy_event2(const FWPM_NET_EVENT2 *in, wl_raw_event *out) {
  clear_raw(out);
  COPY_HEADER(&in->header, out);
  copy_sid(in->header.packageSid, out->package_sid, &out->package_sid_len);
  out->type = (uint32_t)in->type;
  COPY_PAYLOAD_WIN8(in, out);
}

void wl_fwp_copy_event3(const FWPM_NET_EVENT3 *in, wl_raw_event *out) {
  clear_raw(out);
  COPY_HEADER(&in->header, out);
  copy_sid(in->header.packageSid, out->package_sid, &out->package_sid_len);
  out->type = (uint32_t)in->type;
  COPY_PAYLOAD_WIN8(in, out);
}

void wl_fwp_copy_event4(const FWPM_NET_EVENT4 *in, wl_raw_event *out) {
  clear_raw(out);
  COPY_HEADER(&in->header, out);
  copy_sid(in->header.packageSid, out->package_sid, &out->package_sid_len);
  out->type = (uint32_t)in->type;
  COPY_PAYLOAD_WIN8(in, out);
}

void wl_fwp_copy_event5(const FWPM_NET_EVENT5 *in, wl_raw_event *out) {
  clear_raw(out);
  COPY_HEADER(&in->header, out);
  copy_sid(in->header.packageSid, out->package_sid, &out->package_sid_len);
  out->type = (uint32_t)in->type;
  COPY_PAYLOAD_WIN8(in, out);
}
