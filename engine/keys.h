/* keys.h — the WFP object keys wfplearn owns, and the Windows ones it reads, in one place.
 *
 * wfplearn's provider and sublayer are persistent objects with fixed GUIDs (generated once for
 * wfplearn): every filter wfplearn adds names the provider, the whitelist's filters live in
 * the sublayer, and filter keys are RFC 4122 v5 GUIDs in WL_FILTER_NS (derived from what a
 * filter does, so the same rule always has the same key). Capture uses the provider key to tell
 * our own filters from others when it attributes an event; the whitelist builds with all three.
 *
 * The Windows keys are the fwpmu.h GUIDs of Windows Firewall's objects, which the sim models
 * under the same keys (engine/sim/sim.h) and the whitelist checks its sublayer weight against.
 * Header only: the values are compile-time constants, so any layer above engine/ may use them.
 */
#ifndef WL_KEYS_H
#define WL_KEYS_H

#include "common/wl_text.h" /* wl_guid */

/* ---- wfplearn's own objects ---- */
#define WL_PROVIDER_NAME "wfplearn"
#define WL_PROVIDER_DESC "wfplearn: learned whitelist and enforce policy"
#define WL_SUBLAYER_NAME "wfplearn"
#define WL_SUBLAYER_DESC "wfplearn whitelist: permits above a default block"
/* {24fd5ad2-dfd4-46c5-b753-c36e4dfe8267} */
#define WL_PROVIDER_KEY_INIT \
  {0x24fd5ad2, 0xdfd4, 0x46c5, {0xb7, 0x53, 0xc3, 0x6e, 0x4d, 0xfe, 0x82, 0x67}}
/* {21f3afaa-9259-421c-a09e-86aef2e6a68a} */
#define WL_SUBLAYER_KEY_INIT \
  {0x21f3afaa, 0x9259, 0x421c, {0xa0, 0x9e, 0x86, 0xae, 0xf2, 0xe6, 0xa6, 0x8a}}
/* {d203815e-ff2d-4c1c-9d25-19692e54fc18}: the RFC 4122 v5 namespace of our filter keys */
#define WL_FILTER_NS_INIT \
  {0xd203815e, 0xff2d, 0x4c1c, {0x9d, 0x25, 0x19, 0x69, 0x2e, 0x54, 0xfc, 0x18}}

static inline wl_guid wl_provider_key(void) {
  wl_guid g = WL_PROVIDER_KEY_INIT;
  return g;
}
static inline wl_guid wl_sublayer_key(void) {
  wl_guid g = WL_SUBLAYER_KEY_INIT;
  return g;
}

/* ---- Windows' own objects (fwpmu.h) ---- */
/* {decc16ca-3f33-4346-be1e-8fb4ae0f3d62} FWPM_PROVIDER_MPSSVC_WF */
#define WL_KEY_MPSSVC_WF_PROVIDER \
  {0xdecc16ca, 0x3f33, 0x4346, {0xbe, 0x1e, 0x8f, 0xb4, 0xae, 0x0f, 0x3d, 0x62}}
/* {b3cdd441-af90-41ba-a745-7c6008ff2300}: used as Windows Firewall's sublayer by the whitelist
 * and the sim (issue 12 corrects it: in fwpmu.h this key is FWPM_SUBLAYER_MPSSVC_WSH). */
#define WL_KEY_MPSSVC_WF_SUBLAYER \
  {0xb3cdd441, 0xaf90, 0x41ba, {0xa7, 0x45, 0x7c, 0x60, 0x08, 0xff, 0x23, 0x00}}
/* {eebecc03-ced4-4380-819a-2734397b2b74} FWPM_SUBLAYER_UNIVERSAL */
#define WL_KEY_UNIVERSAL_SUBLAYER \
  {0xeebecc03, 0xced4, 0x4380, {0x81, 0x9a, 0x27, 0x34, 0x39, 0x7b, 0x2b, 0x74}}

#endif
