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

#define WL_RAW_LAYER_UNKNOWN    0xFFFFu /* never a FWPS_LAYER_* run-time id */
#define WL_RAW_LOOPBACK_UNKNOWN 0xFFu   /* isLoopback is a 0/1 UINT32 in WFP */

/* Decode raw into ev (cleared first). Returns 1 when ev holds an event to keep, 0 when the
 * event's type is one we skip (ev then holds only ts, type WL_EVT_OTHER and origin). */
int wl_decode(const wl_raw_event *raw, wl_event *ev);

/* The inverse, for sources that read decoded records (replay files): fills raw so that
 * wl_decode(raw) gives back ev (app truncated to WL_RAW_APP_MAX bytes of UTF-16LE, then
 * flagged; app_dos is not carried). A user/package string that is not a SID leaves that SID
 * unset. Never fails. */
void wl_encode(const wl_event *ev, wl_raw_event *raw);

#endif
