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

/* ---- Windows' own objects (fwpmu.h) ----
 * Source: fwpmu.h of the Windows SDK (DEFINE_GUID blocks under "GUIDs for built-in sublayers",
 * NTDDI_WIN8 and later), the same values in the win32metadata projections and in WFPExplorer's
 * built-in sublayer list; Microsoft's "Filtering sublayer identifiers" page names them
 * (https://learn.microsoft.com/windows/win32/fwp/management-filtering-sublayer-identifiers) and
 * "Windows Firewall quarantine" says WF holds the filters of firewall rules and QUARANTINE its
 * own. Their weights are not documented: read them from the engine, never assume them. */
/* {decc16ca-3f33-4346-be1e-8fb4ae0f3d62} FWPM_PROVIDER_MPSSVC_WF */
#define WL_KEY_MPSSVC_WF_PROVIDER \
  {0xdecc16ca, 0x3f33, 0x4346, {0xbe, 0x1e, 0x8f, 0xb4, 0xae, 0x0f, 0x3d, 0x62}}
/* {b3cdd441-af90-41ba-a745-7c6008ff2300} FWPM_SUBLAYER_MPSSVC_WSH (Windows Service Hardening) */
#define WL_KEY_MPSSVC_WSH_SUBLAYER \
  {0xb3cdd441, 0xaf90, 0x41ba, {0xa7, 0x45, 0x7c, 0x60, 0x08, 0xff, 0x23, 0x00}}
/* {b3cdd441-af90-41ba-a745-7c6008ff2301} FWPM_SUBLAYER_MPSSVC_WF (Windows Firewall rules) */
#define WL_KEY_MPSSVC_WF_SUBLAYER \
  {0xb3cdd441, 0xaf90, 0x41ba, {0xa7, 0x45, 0x7c, 0x60, 0x08, 0xff, 0x23, 0x01}}
/* {b3cdd441-af90-41ba-a745-7c6008ff2302} FWPM_SUBLAYER_MPSSVC_QUARANTINE */
#define WL_KEY_MPSSVC_QUARANTINE_SUBLAYER \
  {0xb3cdd441, 0xaf90, 0x41ba, {0xa7, 0x45, 0x7c, 0x60, 0x08, 0xff, 0x23, 0x02}}
/* {09a47e38-fa97-471b-b123-18bcd7e65071} FWPM_SUBLAYER_MPSSVC_EDP */
#define WL_KEY_MPSSVC_EDP_SUBLAYER \
  {0x09a47e38, 0xfa97, 0x471b, {0xb1, 0x23, 0x18, 0xbc, 0xd7, 0xe6, 0x50, 0x71}}
/* {1ec6c7e1-fdd9-478a-b55f-ff8ba1d2c17d} FWPM_SUBLAYER_MPSSVC_TENANT_RESTRICTIONS */
#define WL_KEY_MPSSVC_TENANT_RESTRICTIONS_SUBLAYER \
  {0x1ec6c7e1, 0xfdd9, 0x478a, {0xb5, 0x5f, 0xff, 0x8b, 0xa1, 0xd2, 0xc1, 0x7d}}
/* {ffe221c3-92a8-4564-a59f-dafb70756020} FWPM_SUBLAYER_MPSSVC_APP_ISOLATION */
#define WL_KEY_MPSSVC_APP_ISOLATION_SUBLAYER \
  {0xffe221c3, 0x92a8, 0x4564, {0xa5, 0x9f, 0xda, 0xfb, 0x70, 0x75, 0x60, 0x20}}
/* {eebecc03-ced4-4380-819a-2734397b2b74} FWPM_SUBLAYER_UNIVERSAL */
#define WL_KEY_UNIVERSAL_SUBLAYER \
  {0xeebecc03, 0xced4, 0x4380, {0x81, 0x9a, 0x27, 0x34, 0x39, 0x7b, 0x2b, 0x74}}

/* The Windows Firewall service's sublayers, in the order status and verify list them; WF first,
 * the one wl_objects_ensure weighs ours against. */
typedef struct wl_win_sublayer {
  const char *name; /* the fwpmu.h name without FWPM_SUBLAYER_ */
  wl_guid key;
} wl_win_sublayer;
#define WL_WIN_SUBLAYERS 6
static inline const wl_win_sublayer *wl_win_sublayers(void) {
  static const wl_win_sublayer t[WL_WIN_SUBLAYERS] = {
      {"MPSSVC_WF", WL_KEY_MPSSVC_WF_SUBLAYER},
      {"MPSSVC_WSH", WL_KEY_MPSSVC_WSH_SUBLAYER},
      {"MPSSVC_QUARANTINE", WL_KEY_MPSSVC_QUARANTINE_SUBLAYER},
      {"MPSSVC_EDP", WL_KEY_MPSSVC_EDP_SUBLAYER},
      {"MPSSVC_APP_ISOLATION", WL_KEY_MPSSVC_APP_ISOLATION_SUBLAYER},
      {"MPSSVC_TENANT_RESTRICTIONS", WL_KEY_MPSSVC_TENANT_RESTRICTIONS_SUBLAYER},
  };
  return t;
}

#endif
