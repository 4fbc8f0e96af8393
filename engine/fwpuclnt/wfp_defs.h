/* wfp_defs.h — the Windows 8 / Windows 10 WFP definitions that mingw-w64's headers lack.
 *
 * Debian 12's mingw-w64 ships fwpmtypes.h/fwpmu.h only up to Windows 7 (FWPM_NET_EVENT1,
 * FwpmNetEventSubscribe0, no layer or condition GUIDs, no FWPM_*_FLAG_* values). Everything
 * newer that wfplearn's fwpuclnt backend and the fake fwpuclnt.dll need is written here from
 * Microsoft's documentation (learn.microsoft.com, "fwpmtypes.h" and "fwpmu.h" reference pages,
 * named on each item). Windows-only: included by engine/fwpuclnt/win_*.c and tests/fake_fwpuclnt/fake_*.c, never by the core.
 *
 * Every struct we define — and every mingw struct we pass across the ABI — has its x86_64 size
 * and field offsets pinned with _Static_assert, computed by hand from the documented field list
 * with the Windows x64 rules (natural alignment; FILETIME is two DWORDs, 4-aligned; enums and
 * BOOL are 4 bytes; pointers 8). A wrong layout cannot compile.
 *
 * Checked against the sources: every field list and constant here matches the Windows SDK's
 * fwpmtypes.h (MIDL-generated; its NTDDI_VERSION guards give the release of each item) and the
 * structure pages on learn.microsoft.com. Release notes below name both where they differ
 * (FWPM_NET_EVENT3/HEADER3: SDK guard NTDDI_WINTHRESHOLD, pages "Windows 10, version 1607").
 * Only the pointer-typed union members of FWPM_NET_EVENTn whose payloads wfplearn never reads
 * (IKE, IPsec, MAC, LPM) are left as incomplete types: a pointer is 8 bytes whatever it points to.
 */
#ifndef WL_WFP_DEFS_H
#define WL_WFP_DEFS_H

#ifndef _WIN32
#error "wfp_defs.h is Windows-only (engine/fwpuclnt/CMakeLists.txt)"
#endif

#include <windows.h>
#include <fwpmu.h>
#include <fwpmtypes.h>
#include <stddef.h>
#include <stdint.h>

#define WL_ASSERT_SIZE(T, n) _Static_assert(sizeof(T) == (n), "sizeof(" #T ") != " #n)
#define WL_ASSERT_OFF(T, f, n) \
  _Static_assert(offsetof(T, f) == (n), "offsetof(" #T ", " #f ") != " #n)

/* ------------------------------------------------------------------------------------------
 * Flags and option values (fwpmtypes.h / fwpmu.h constants)
 * ------------------------------------------------------------------------------------------ */

/* FWPM_NET_EVENT_HEADER0..3 "flags" member (FWPM_NET_EVENT_HEADER3 structure page). */
#ifndef FWPM_NET_EVENT_FLAG_IP_PROTOCOL_SET
#define FWPM_NET_EVENT_FLAG_IP_PROTOCOL_SET 0x00000001
#define FWPM_NET_EVENT_FLAG_LOCAL_ADDR_SET 0x00000002
#define FWPM_NET_EVENT_FLAG_REMOTE_ADDR_SET 0x00000004
#define FWPM_NET_EVENT_FLAG_LOCAL_PORT_SET 0x00000008
#define FWPM_NET_EVENT_FLAG_REMOTE_PORT_SET 0x00000010
#define FWPM_NET_EVENT_FLAG_APP_ID_SET 0x00000020
#define FWPM_NET_EVENT_FLAG_USER_ID_SET 0x00000040
#define FWPM_NET_EVENT_FLAG_SCOPE_ID_SET 0x00000080
#define FWPM_NET_EVENT_FLAG_IP_VERSION_SET 0x00000100
#define FWPM_NET_EVENT_FLAG_REAUTH_REASON_SET 0x00000200
#define FWPM_NET_EVENT_FLAG_PACKAGE_ID_SET 0x00000400   /* Windows 8 (HEADER2) */
#define FWPM_NET_EVENT_FLAG_ENTERPRISE_ID_SET 0x00000800 /* Windows 10 (HEADER3) */
#define FWPM_NET_EVENT_FLAG_POLICY_FLAGS_SET 0x00001000  /* Windows 10 (HEADER3) */
#define FWPM_NET_EVENT_FLAG_EFFECTIVE_NAME_SET 0x00002000 /* Windows 10 (HEADER3) */
#endif

/* FWPM_ENGINE_NET_EVENT_MATCH_ANY_KEYWORDS values. The FwpmEngineSetOption0 page documents
 * only INBOUND_MCAST (1) and INBOUND_BCAST (2), which mingw has; the rest are from the SDK's
 * fwpmtypes.h (#defines next to the FWPM_ENGINE_OPTION enum). */
#ifndef FWPM_NET_EVENT_KEYWORD_CAPABILITY_DROP
#define FWPM_NET_EVENT_KEYWORD_CAPABILITY_DROP 0x00000004  /* Windows 8 */
#define FWPM_NET_EVENT_KEYWORD_CAPABILITY_ALLOW 0x00000008 /* Windows 8 */
#define FWPM_NET_EVENT_KEYWORD_CLASSIFY_ALLOW 0x00000010   /* Windows 8 */
#endif
#ifndef FWPM_NET_EVENT_KEYWORD_PORT_SCANNING_DROP
/* SDK guard NTDDI_WIN10_19H1: Windows 10, version 1903. */
#define FWPM_NET_EVENT_KEYWORD_PORT_SCANNING_DROP 0x00000020
#endif

/* FWPM_ENGINE_OPTION (enumeration page; SDK fwpmtypes.h). mingw's enum stops at
 * FWPM_ENGINE_NAME_CACHE (2). */
#define WL_FWPM_ENGINE_COLLECT_NET_EVENTS 0
#define WL_FWPM_ENGINE_NET_EVENT_MATCH_ANY_KEYWORDS 1
#define WL_FWPM_ENGINE_NAME_CACHE 2
#define WL_FWPM_ENGINE_MONITOR_IPSEC_CONNECTIONS 3 /* Windows 8 */
#define WL_FWPM_ENGINE_PACKET_QUEUING 4             /* Windows 8 */
#define WL_FWPM_ENGINE_TXN_WATCHDOG_TIMEOUT_IN_MSEC 5 /* Windows 8 */

/* FWPM_FILTER0 "flags" member (FWPM_FILTER0 structure page; SDK fwpmtypes.h, which also has
 * 0x80..0x4000 flags wfplearn does not use). */
#ifndef FWPM_FILTER_FLAG_NONE
#define FWPM_FILTER_FLAG_NONE 0x00000000
#define FWPM_FILTER_FLAG_PERSISTENT 0x00000001
#define FWPM_FILTER_FLAG_BOOTTIME 0x00000002
#define FWPM_FILTER_FLAG_HAS_PROVIDER_CONTEXT 0x00000004
#define FWPM_FILTER_FLAG_CLEAR_ACTION_RIGHT 0x00000008
#define FWPM_FILTER_FLAG_PERMIT_IF_CALLOUT_UNREGISTERED 0x00000010
#define FWPM_FILTER_FLAG_DISABLED 0x00000020
#define FWPM_FILTER_FLAG_INDEXED 0x00000040 /* Windows 8; unused by wfplearn */
#endif

/* FWPM_SESSION0 "flags" (FWPM_SESSION0 structure page). */
#ifndef FWPM_SESSION_FLAG_DYNAMIC
#define FWPM_SESSION_FLAG_DYNAMIC 0x00000001
#endif
/* FWPM_PROVIDER0 / FWPM_SUBLAYER0 "flags" (their structure pages). */
#ifndef FWPM_PROVIDER_FLAG_PERSISTENT
#define FWPM_PROVIDER_FLAG_PERSISTENT 0x00000001
#define FWPM_PROVIDER_FLAG_DISABLED 0x00000010
#endif
#ifndef FWPM_SUBLAYER_FLAG_PERSISTENT
#define FWPM_SUBLAYER_FLAG_PERSISTENT 0x00000001
#endif

/* msFwpDirection values from the FWPM_NET_EVENT_CLASSIFY_DROP1 and _DROP2 structure pages
 * (also FWP_DIRECTION_FORWARD 0x3902). The FWPM_NET_EVENT_CLASSIFY_ALLOW0 page names
 * FWP_DIRECTION_INBOUND / FWP_DIRECTION_OUTBOUND instead (the FWP_DIRECTION enum: OUTBOUND 0,
 * INBOUND 1); event/decode.c accepts both forms in either payload. */
#ifndef FWP_DIRECTION_IN
#define FWP_DIRECTION_IN 0x00003900
#define FWP_DIRECTION_OUT 0x00003901
#endif

/* RPC_C_AUTHN_WINNT / RPC_C_AUTHN_DEFAULT for FwpmEngineOpen0's authnService (FwpmEngineOpen0
 * page: "must be RPC_C_AUTHN_WINNT or RPC_C_AUTHN_DEFAULT"); rpcdce.h has them. */

/* FWPM_NET_EVENT_TYPE (enumeration page). mingw's enum stops at IPSEC_DOSP_DROP (5); the
 * member is still a 4-byte enum, so the later values are plain constants of that type. */
#define WL_FWPM_NET_EVENT_TYPE_IKEEXT_MM_FAILURE 0
#define WL_FWPM_NET_EVENT_TYPE_IKEEXT_QM_FAILURE 1
#define WL_FWPM_NET_EVENT_TYPE_IKEEXT_EM_FAILURE 2
#define WL_FWPM_NET_EVENT_TYPE_CLASSIFY_DROP 3
#define WL_FWPM_NET_EVENT_TYPE_IPSEC_KERNEL_DROP 4
#define WL_FWPM_NET_EVENT_TYPE_IPSEC_DOSP_DROP 5
#define WL_FWPM_NET_EVENT_TYPE_CLASSIFY_ALLOW 6      /* Windows 8 */
#define WL_FWPM_NET_EVENT_TYPE_CAPABILITY_DROP 7     /* Windows 8 */
#define WL_FWPM_NET_EVENT_TYPE_CAPABILITY_ALLOW 8    /* Windows 8 */
#define WL_FWPM_NET_EVENT_TYPE_CLASSIFY_DROP_MAC 9   /* payload struct: SDK guard NTDDI_WIN8 */
#define WL_FWPM_NET_EVENT_TYPE_LPM_PACKET_ARRIVAL 10 /* payload struct: NTDDI_WIN10_RS5, 1809 */

/* FWPM_APPC_NETWORK_CAPABILITY_TYPE (enumeration page, Windows 8). */
typedef enum FWPM_APPC_NETWORK_CAPABILITY_TYPE_ {
  FWPM_APPC_NETWORK_CAPABILITY_INTERNET_CLIENT = 0,
  FWPM_APPC_NETWORK_CAPABILITY_INTERNET_CLIENT_SERVER = 1,
  FWPM_APPC_NETWORK_CAPABILITY_INTERNET_PRIVATE_NETWORK = 2
} FWPM_APPC_NETWORK_CAPABILITY_TYPE;

/* ------------------------------------------------------------------------------------------
 * Net event headers
 * ------------------------------------------------------------------------------------------ */

/* FWPM_NET_EVENT_HEADER2 structure page (Windows 8): HEADER0's fields, then addressFamily and
 * packageSid instead of HEADER1's reserved Ethernet block. */
typedef struct FWPM_NET_EVENT_HEADER2_ {
  FILETIME timeStamp;
  UINT32 flags;
  FWP_IP_VERSION ipVersion;
  UINT8 ipProtocol;
  union {
    UINT32 localAddrV4;
    FWP_BYTE_ARRAY16 localAddrV6;
  };
  union {
    UINT32 remoteAddrV4;
    FWP_BYTE_ARRAY16 remoteAddrV6;
  };
  UINT16 localPort;
  UINT16 remotePort;
  UINT32 scopeId;
  FWP_BYTE_BLOB appId;
  SID *userId;
  FWP_AF addressFamily;
  SID *packageSid;
} FWPM_NET_EVENT_HEADER2;

/* FWPM_NET_EVENT_HEADER3 structure page (Windows 10; SDK guard NTDDI_WINTHRESHOLD): HEADER2
 * plus enterpriseId, policyFlags and effectiveName. */
typedef struct FWPM_NET_EVENT_HEADER3_ {
  FILETIME timeStamp;
  UINT32 flags;
  FWP_IP_VERSION ipVersion;
  UINT8 ipProtocol;
  union {
    UINT32 localAddrV4;
    FWP_BYTE_ARRAY16 localAddrV6;
  };
  union {
    UINT32 remoteAddrV4;
    FWP_BYTE_ARRAY16 remoteAddrV6;
  };
  UINT16 localPort;
  UINT16 remotePort;
  UINT32 scopeId;
  FWP_BYTE_BLOB appId;
  SID *userId;
  FWP_AF addressFamily;
  SID *packageSid;
  wchar_t *enterpriseId;
  UINT64 policyFlags;
  FWP_BYTE_BLOB effectiveName;
} FWPM_NET_EVENT_HEADER3;

/* ------------------------------------------------------------------------------------------
 * Payloads
 * ------------------------------------------------------------------------------------------ */

/* FWPM_NET_EVENT_CLASSIFY_DROP2 structure page (Windows 8): CLASSIFY_DROP1 plus the vSwitch
 * fields. */
typedef struct FWPM_NET_EVENT_CLASSIFY_DROP2_ {
  UINT64 filterId;
  UINT16 layerId;
  UINT32 reauthReason;
  UINT32 originalProfile;
  UINT32 currentProfile;
  UINT32 msFwpDirection;
  BOOL isLoopback;
  FWP_BYTE_BLOB vSwitchId;
  UINT32 vSwitchSourcePort;
  UINT32 vSwitchDestinationPort;
} FWPM_NET_EVENT_CLASSIFY_DROP2;

/* FWPM_NET_EVENT_CLASSIFY_ALLOW0 structure page (Windows 8): CLASSIFY_DROP1's fields (its
 * msFwpDirection is documented as FWP_DIRECTION_INBOUND/OUTBOUND, see FWP_DIRECTION_IN). */
typedef struct FWPM_NET_EVENT_CLASSIFY_ALLOW0_ {
  UINT64 filterId;
  UINT16 layerId;
  UINT32 reauthReason;
  UINT32 originalProfile;
  UINT32 currentProfile;
  UINT32 msFwpDirection;
  BOOL isLoopback;
} FWPM_NET_EVENT_CLASSIFY_ALLOW0;

/* FWPM_NET_EVENT_CAPABILITY_DROP0 / _ALLOW0 structure pages (Windows 8). */
typedef struct FWPM_NET_EVENT_CAPABILITY_DROP0_ {
  FWPM_APPC_NETWORK_CAPABILITY_TYPE networkCapabilityId;
  UINT64 filterId;
  BOOL isLoopback;
} FWPM_NET_EVENT_CAPABILITY_DROP0;

typedef struct FWPM_NET_EVENT_CAPABILITY_ALLOW0_ {
  FWPM_APPC_NETWORK_CAPABILITY_TYPE networkCapabilityId;
  UINT64 filterId;
  BOOL isLoopback;
} FWPM_NET_EVENT_CAPABILITY_ALLOW0;

/* Payloads wfplearn never reads: only pointers to them appear in the FWPM_NET_EVENTn unions
 * (FWPM_NET_EVENT_IKEEXT_MM_FAILURE2 and _IKEEXT_QM_FAILURE1: SDK guard NTDDI_WIN10_RS4, 1803;
 * _CLASSIFY_DROP_MAC0: NTDDI_WIN8; _LPM_PACKET_ARRIVAL0: NTDDI_WIN10_RS5, 1809), so they stay
 * incomplete types. */
typedef struct FWPM_NET_EVENT_IKEEXT_MM_FAILURE2_ FWPM_NET_EVENT_IKEEXT_MM_FAILURE2;
typedef struct FWPM_NET_EVENT_IKEEXT_QM_FAILURE1_ FWPM_NET_EVENT_IKEEXT_QM_FAILURE1;
typedef struct FWPM_NET_EVENT_CLASSIFY_DROP_MAC0_ FWPM_NET_EVENT_CLASSIFY_DROP_MAC0;
typedef struct FWPM_NET_EVENT_LPM_PACKET_ARRIVAL0_ FWPM_NET_EVENT_LPM_PACKET_ARRIVAL0;

/* ------------------------------------------------------------------------------------------
 * Versioned net events (FWPM_NET_EVENT2..5 structure pages)
 * ------------------------------------------------------------------------------------------ */

/* FWPM_NET_EVENT2 (Windows 8; SDK guard NTDDI_WIN8). classifyDropMac is in its union in the
 * SDK header and on the FWPM_NET_EVENT2 page. */
typedef struct FWPM_NET_EVENT2_ {
  FWPM_NET_EVENT_HEADER2 header;
  FWPM_NET_EVENT_TYPE type;
  union {
    FWPM_NET_EVENT_IKEEXT_MM_FAILURE1 *ikeMmFailure;
    FWPM_NET_EVENT_IKEEXT_QM_FAILURE0 *ikeQmFailure;
    FWPM_NET_EVENT_IKEEXT_EM_FAILURE1 *ikeEmFailure;
    FWPM_NET_EVENT_CLASSIFY_DROP2 *classifyDrop;
    FWPM_NET_EVENT_IPSEC_KERNEL_DROP0 *ipsecDrop;
    FWPM_NET_EVENT_IPSEC_DOSP_DROP0 *idpDrop;
    FWPM_NET_EVENT_CLASSIFY_ALLOW0 *classifyAllow;
    FWPM_NET_EVENT_CAPABILITY_DROP0 *capabilityDrop;
    FWPM_NET_EVENT_CAPABILITY_ALLOW0 *capabilityAllow;
    FWPM_NET_EVENT_CLASSIFY_DROP_MAC0 *classifyDropMac;
  };
} FWPM_NET_EVENT2;

/* FWPM_NET_EVENT3 (SDK guard NTDDI_WINTHRESHOLD; the page and FwpmNetEventSubscribe2's say
 * Windows 10, version 1607): HEADER3, otherwise FWPM_NET_EVENT2's union. */
typedef struct FWPM_NET_EVENT3_ {
  FWPM_NET_EVENT_HEADER3 header;
  FWPM_NET_EVENT_TYPE type;
  union {
    FWPM_NET_EVENT_IKEEXT_MM_FAILURE1 *ikeMmFailure;
    FWPM_NET_EVENT_IKEEXT_QM_FAILURE0 *ikeQmFailure;
    FWPM_NET_EVENT_IKEEXT_EM_FAILURE1 *ikeEmFailure;
    FWPM_NET_EVENT_CLASSIFY_DROP2 *classifyDrop;
    FWPM_NET_EVENT_IPSEC_KERNEL_DROP0 *ipsecDrop;
    FWPM_NET_EVENT_IPSEC_DOSP_DROP0 *idpDrop;
    FWPM_NET_EVENT_CLASSIFY_ALLOW0 *classifyAllow;
    FWPM_NET_EVENT_CAPABILITY_DROP0 *capabilityDrop;
    FWPM_NET_EVENT_CAPABILITY_ALLOW0 *capabilityAllow;
    FWPM_NET_EVENT_CLASSIFY_DROP_MAC0 *classifyDropMac;
  };
} FWPM_NET_EVENT3;

/* FWPM_NET_EVENT4 (SDK guard NTDDI_WIN10_RS4: Windows 10, version 1803): IKE MM failure 2 and
 * QM failure 1 instead of 1 and 0. */
typedef struct FWPM_NET_EVENT4_ {
  FWPM_NET_EVENT_HEADER3 header;
  FWPM_NET_EVENT_TYPE type;
  union {
    FWPM_NET_EVENT_IKEEXT_MM_FAILURE2 *ikeMmFailure;
    FWPM_NET_EVENT_IKEEXT_QM_FAILURE1 *ikeQmFailure;
    FWPM_NET_EVENT_IKEEXT_EM_FAILURE1 *ikeEmFailure;
    FWPM_NET_EVENT_CLASSIFY_DROP2 *classifyDrop;
    FWPM_NET_EVENT_IPSEC_KERNEL_DROP0 *ipsecDrop;
    FWPM_NET_EVENT_IPSEC_DOSP_DROP0 *idpDrop;
    FWPM_NET_EVENT_CLASSIFY_ALLOW0 *classifyAllow;
    FWPM_NET_EVENT_CAPABILITY_DROP0 *capabilityDrop;
    FWPM_NET_EVENT_CAPABILITY_ALLOW0 *capabilityAllow;
    FWPM_NET_EVENT_CLASSIFY_DROP_MAC0 *classifyDropMac;
  };
} FWPM_NET_EVENT4;

/* FWPM_NET_EVENT5 (SDK guard NTDDI_WIN10_RS5: Windows 10, version 1809): FWPM_NET_EVENT4 plus
 * lpmPacketArrival. */
typedef struct FWPM_NET_EVENT5_ {
  FWPM_NET_EVENT_HEADER3 header;
  FWPM_NET_EVENT_TYPE type;
  union {
    FWPM_NET_EVENT_IKEEXT_MM_FAILURE2 *ikeMmFailure;
    FWPM_NET_EVENT_IKEEXT_QM_FAILURE1 *ikeQmFailure;
    FWPM_NET_EVENT_IKEEXT_EM_FAILURE1 *ikeEmFailure;
    FWPM_NET_EVENT_CLASSIFY_DROP2 *classifyDrop;
    FWPM_NET_EVENT_IPSEC_KERNEL_DROP0 *ipsecDrop;
    FWPM_NET_EVENT_IPSEC_DOSP_DROP0 *idpDrop;
    FWPM_NET_EVENT_CLASSIFY_ALLOW0 *classifyAllow;
    FWPM_NET_EVENT_CAPABILITY_DROP0 *capabilityDrop;
    FWPM_NET_EVENT_CAPABILITY_ALLOW0 *capabilityAllow;
    FWPM_NET_EVENT_CLASSIFY_DROP_MAC0 *classifyDropMac;
    FWPM_NET_EVENT_LPM_PACKET_ARRIVAL0 *lpmPacketArrival;
  };
} FWPM_NET_EVENT5;

/* ------------------------------------------------------------------------------------------
 * Callbacks and entry points (fwpmu.h; FwpmNetEventSubscribe1..4 / FwpmNetEventEnum2..5 pages)
 * Windows resolves these at run time, so they are function pointer types, never prototypes.
 * ------------------------------------------------------------------------------------------ */

/* FWPM_NET_EVENT_CALLBACK0 (mingw has it) receives FWPM_NET_EVENT1. Releases: Subscribe0
 * Windows 7, Subscribe1 Windows 8, Subscribe2 Windows 10 1607 (their pages); Subscribe3 and 4
 * deliver FWPM_NET_EVENT4 (1803) and FWPM_NET_EVENT5 (1809), per the SDK guards of the
 * structs (the Subscribe3/4 and CALLBACK3/4 pages give no release). */
typedef void(CALLBACK *FWPM_NET_EVENT_CALLBACK1)(void *context, const FWPM_NET_EVENT2 *event);
typedef void(CALLBACK *FWPM_NET_EVENT_CALLBACK2)(void *context, const FWPM_NET_EVENT3 *event);
typedef void(CALLBACK *FWPM_NET_EVENT_CALLBACK3)(void *context, const FWPM_NET_EVENT4 *event);
typedef void(CALLBACK *FWPM_NET_EVENT_CALLBACK4)(void *context, const FWPM_NET_EVENT5 *event);

#define WL_FWPM_SUBSCRIBE_FN(n, cb)                                                       \
  typedef DWORD(WINAPI *wl_FwpmNetEventSubscribe##n##_fn)(                                \
      HANDLE engineHandle, const FWPM_NET_EVENT_SUBSCRIPTION0 *subscription, cb callback, \
      void *context, HANDLE *eventsHandle)
WL_FWPM_SUBSCRIBE_FN(0, FWPM_NET_EVENT_CALLBACK0);
WL_FWPM_SUBSCRIBE_FN(1, FWPM_NET_EVENT_CALLBACK1);
WL_FWPM_SUBSCRIBE_FN(2, FWPM_NET_EVENT_CALLBACK2);
WL_FWPM_SUBSCRIBE_FN(3, FWPM_NET_EVENT_CALLBACK3);
WL_FWPM_SUBSCRIBE_FN(4, FWPM_NET_EVENT_CALLBACK4);

#define WL_FWPM_NE_ENUM_FN(n, T)                                                        \
  typedef DWORD(WINAPI *wl_FwpmNetEventEnum##n##_fn)(HANDLE engineHandle, HANDLE enumHandle, \
                                                     UINT32 numEntriesRequested, T ***entries, \
                                                     UINT32 *numEntriesReturned)
WL_FWPM_NE_ENUM_FN(0, FWPM_NET_EVENT0);
WL_FWPM_NE_ENUM_FN(1, FWPM_NET_EVENT1);
WL_FWPM_NE_ENUM_FN(2, FWPM_NET_EVENT2);
WL_FWPM_NE_ENUM_FN(3, FWPM_NET_EVENT3);
WL_FWPM_NE_ENUM_FN(4, FWPM_NET_EVENT4);
WL_FWPM_NE_ENUM_FN(5, FWPM_NET_EVENT5);

/* The Windows 7 entry points mingw does declare, as pointer types for the run-time table
 * (signatures from their fwpmu.h pages; checked against mingw's prototypes in win_api.c). */
typedef DWORD(WINAPI *wl_FwpmEngineOpen0_fn)(const wchar_t *serverName, UINT32 authnService,
                                             SEC_WINNT_AUTH_IDENTITY_W *authIdentity,
                                             const FWPM_SESSION0 *session, HANDLE *engineHandle);
typedef DWORD(WINAPI *wl_FwpmEngineClose0_fn)(HANDLE engineHandle);
typedef DWORD(WINAPI *wl_FwpmEngineGetOption0_fn)(HANDLE engineHandle, FWPM_ENGINE_OPTION option,
                                                  FWP_VALUE0 **value);
typedef DWORD(WINAPI *wl_FwpmEngineSetOption0_fn)(HANDLE engineHandle, FWPM_ENGINE_OPTION option,
                                                  const FWP_VALUE0 *newValue);
typedef DWORD(WINAPI *wl_FwpmTransactionBegin0_fn)(HANDLE engineHandle, UINT32 flags);
typedef DWORD(WINAPI *wl_FwpmTransactionCommit0_fn)(HANDLE engineHandle);
typedef DWORD(WINAPI *wl_FwpmTransactionAbort0_fn)(HANDLE engineHandle);
typedef DWORD(WINAPI *wl_FwpmProviderAdd0_fn)(HANDLE engineHandle, const FWPM_PROVIDER0 *provider,
                                              PSECURITY_DESCRIPTOR sd);
typedef DWORD(WINAPI *wl_FwpmProviderGetByKey0_fn)(HANDLE engineHandle, const GUID *key,
                                                   FWPM_PROVIDER0 **provider);
typedef DWORD(WINAPI *wl_FwpmProviderDeleteByKey0_fn)(HANDLE engineHandle, const GUID *key);
typedef DWORD(WINAPI *wl_FwpmSubLayerAdd0_fn)(HANDLE engineHandle, const FWPM_SUBLAYER0 *subLayer,
                                              PSECURITY_DESCRIPTOR sd);
typedef DWORD(WINAPI *wl_FwpmSubLayerGetByKey0_fn)(HANDLE engineHandle, const GUID *key,
                                                   FWPM_SUBLAYER0 **subLayer);
typedef DWORD(WINAPI *wl_FwpmSubLayerDeleteByKey0_fn)(HANDLE engineHandle, const GUID *key);
typedef DWORD(WINAPI *wl_FwpmFilterAdd0_fn)(HANDLE engineHandle, const FWPM_FILTER0 *filter,
                                            PSECURITY_DESCRIPTOR sd, UINT64 *id);
typedef DWORD(WINAPI *wl_FwpmFilterDeleteByKey0_fn)(HANDLE engineHandle, const GUID *key);
typedef DWORD(WINAPI *wl_FwpmFilterGetById0_fn)(HANDLE engineHandle, UINT64 id,
                                                FWPM_FILTER0 **filter);
typedef DWORD(WINAPI *wl_FwpmFilterGetByKey0_fn)(HANDLE engineHandle, const GUID *key,
                                                 FWPM_FILTER0 **filter);
typedef DWORD(WINAPI *wl_FwpmFilterCreateEnumHandle0_fn)(
    HANDLE engineHandle, const FWPM_FILTER_ENUM_TEMPLATE0 *enumTemplate, HANDLE *enumHandle);
typedef DWORD(WINAPI *wl_FwpmFilterEnum0_fn)(HANDLE engineHandle, HANDLE enumHandle,
                                             UINT32 numEntriesRequested, FWPM_FILTER0 ***entries,
                                             UINT32 *numEntriesReturned);
typedef DWORD(WINAPI *wl_FwpmFilterDestroyEnumHandle0_fn)(HANDLE engineHandle, HANDLE enumHandle);
typedef void(WINAPI *wl_FwpmFreeMemory0_fn)(void **p);
typedef DWORD(WINAPI *wl_FwpmGetAppIdFromFileName0_fn)(const wchar_t *fileName,
                                                       FWP_BYTE_BLOB **appId);
typedef DWORD(WINAPI *wl_FwpmNetEventUnsubscribe0_fn)(HANDLE engineHandle, HANDLE eventsHandle);
typedef DWORD(WINAPI *wl_FwpmNetEventCreateEnumHandle0_fn)(
    HANDLE engineHandle, const FWPM_NET_EVENT_ENUM_TEMPLATE0 *enumTemplate, HANDLE *enumHandle);
typedef DWORD(WINAPI *wl_FwpmNetEventDestroyEnumHandle0_fn)(HANDLE engineHandle,
                                                            HANDLE enumHandle);

/* ------------------------------------------------------------------------------------------
 * Layer and condition keys (fwpmu.h "Filtering Layer Identifiers" and "Filtering Condition
 * Identifiers" pages). mingw has none of them; ours carry a wl_ prefix so a newer mingw that
 * adds the DEFINE_GUIDs cannot collide.
 * ------------------------------------------------------------------------------------------ */
/* FWPM_LAYER_ALE_AUTH_CONNECT_V4 c38d57d1-05a7-4c33-904f-7fbceee60e82 */
static const GUID wl_FWPM_LAYER_ALE_AUTH_CONNECT_V4 = {
    0xc38d57d1, 0x05a7, 0x4c33, {0x90, 0x4f, 0x7f, 0xbc, 0xee, 0xe6, 0x0e, 0x82}};
/* FWPM_LAYER_ALE_AUTH_CONNECT_V6 4a72393b-319f-44bc-84c3-ba54dcb3b6b4 */
static const GUID wl_FWPM_LAYER_ALE_AUTH_CONNECT_V6 = {
    0x4a72393b, 0x319f, 0x44bc, {0x84, 0xc3, 0xba, 0x54, 0xdc, 0xb3, 0xb6, 0xb4}};
/* FWPM_LAYER_ALE_AUTH_RECV_ACCEPT_V4 e1cd9fe7-f4b5-4273-96c0-592e487b8650 */
static const GUID wl_FWPM_LAYER_ALE_AUTH_RECV_ACCEPT_V4 = {
    0xe1cd9fe7, 0xf4b5, 0x4273, {0x96, 0xc0, 0x59, 0x2e, 0x48, 0x7b, 0x86, 0x50}};
/* FWPM_LAYER_ALE_AUTH_RECV_ACCEPT_V6 a3b42c97-9f04-4672-b87e-cee9c483257f */
static const GUID wl_FWPM_LAYER_ALE_AUTH_RECV_ACCEPT_V6 = {
    0xa3b42c97, 0x9f04, 0x4672, {0xb8, 0x7e, 0xce, 0xe9, 0xc4, 0x83, 0x25, 0x7f}};

/* FWPM_CONDITION_ALE_APP_ID d78e1e87-8644-4ea5-9437-d809ecefc971 */
static const GUID wl_FWPM_CONDITION_ALE_APP_ID = {
    0xd78e1e87, 0x8644, 0x4ea5, {0x94, 0x37, 0xd8, 0x09, 0xec, 0xef, 0xc9, 0x71}};
/* FWPM_CONDITION_IP_PROTOCOL 3971ef2b-623e-4f9a-8cb1-6e79b806b9a7 */
static const GUID wl_FWPM_CONDITION_IP_PROTOCOL = {
    0x3971ef2b, 0x623e, 0x4f9a, {0x8c, 0xb1, 0x6e, 0x79, 0xb8, 0x06, 0xb9, 0xa7}};
/* FWPM_CONDITION_IP_LOCAL_PORT 0c1ba1af-5765-453f-af22-a8f791ac775b */
static const GUID wl_FWPM_CONDITION_IP_LOCAL_PORT = {
    0x0c1ba1af, 0x5765, 0x453f, {0xaf, 0x22, 0xa8, 0xf7, 0x91, 0xac, 0x77, 0x5b}};
/* FWPM_CONDITION_IP_REMOTE_PORT c35a604d-d22b-4e1a-91b4-68f674ee674b */
static const GUID wl_FWPM_CONDITION_IP_REMOTE_PORT = {
    0xc35a604d, 0xd22b, 0x4e1a, {0x91, 0xb4, 0x68, 0xf6, 0x74, 0xee, 0x67, 0x4b}};
/* FWPM_CONDITION_IP_LOCAL_ADDRESS d9ee00de-c1ef-4617-bfe3-ffd8f5a08957 */
static const GUID wl_FWPM_CONDITION_IP_LOCAL_ADDRESS = {
    0xd9ee00de, 0xc1ef, 0x4617, {0xbf, 0xe3, 0xff, 0xd8, 0xf5, 0xa0, 0x89, 0x57}};
/* FWPM_CONDITION_IP_REMOTE_ADDRESS b235ae9a-1d64-49b8-a44c-5ff3d9095045 */
static const GUID wl_FWPM_CONDITION_IP_REMOTE_ADDRESS = {
    0xb235ae9a, 0x1d64, 0x49b8, {0xa4, 0x4c, 0x5f, 0xf3, 0xd9, 0x09, 0x50, 0x45}};
/* FWPM_CONDITION_ALE_USER_ID af043a0a-b34d-4f86-979c-c90371af6e66 */
static const GUID wl_FWPM_CONDITION_ALE_USER_ID = {
    0xaf043a0a, 0xb34d, 0x4f86, {0x97, 0x9c, 0xc9, 0x03, 0x71, 0xaf, 0x6e, 0x66}};
/* FWPM_CONDITION_ALE_PACKAGE_ID 71bc78fa-f17c-4997-a602-6abb261f351c (Windows 8) */
static const GUID wl_FWPM_CONDITION_ALE_PACKAGE_ID = {
    0x71bc78fa, 0xf17c, 0x4997, {0xa6, 0x02, 0x6a, 0xbb, 0x26, 0x1f, 0x35, 0x1c}};
/* FWPM_CONDITION_FLAGS 632ce23b-5167-435c-86d7-e903684aa80c */
static const GUID wl_FWPM_CONDITION_FLAGS = {
    0x632ce23b, 0x5167, 0x435c, {0x86, 0xd7, 0xe9, 0x03, 0x68, 0x4a, 0xa8, 0x0c}};

/* ------------------------------------------------------------------------------------------
 * Layout pins, x86_64 (the only Windows target wfplearn builds for)
 * ------------------------------------------------------------------------------------------ */
#if defined(_WIN64)
/* mingw's own types that cross the ABI */
WL_ASSERT_SIZE(FWP_BYTE_BLOB, 16);
WL_ASSERT_OFF(FWP_BYTE_BLOB, data, 8);
WL_ASSERT_SIZE(FWP_VALUE0, 16);
WL_ASSERT_OFF(FWP_VALUE0, uint64, 8);
WL_ASSERT_SIZE(FWP_CONDITION_VALUE0, 16);
WL_ASSERT_OFF(FWP_CONDITION_VALUE0, v4AddrMask, 8);
WL_ASSERT_SIZE(FWP_V4_ADDR_AND_MASK, 8);
WL_ASSERT_OFF(FWP_V4_ADDR_AND_MASK, mask, 4);
WL_ASSERT_SIZE(FWP_V6_ADDR_AND_MASK, 17);
WL_ASSERT_OFF(FWP_V6_ADDR_AND_MASK, prefixLength, 16);
WL_ASSERT_SIZE(FWP_RANGE0, 32);
WL_ASSERT_OFF(FWP_RANGE0, valueHigh, 16);
WL_ASSERT_SIZE(FWPM_DISPLAY_DATA0, 16);
WL_ASSERT_SIZE(FWPM_ACTION0, 20);
WL_ASSERT_OFF(FWPM_ACTION0, filterType, 4);
WL_ASSERT_SIZE(FWPM_FILTER_CONDITION0, 40);
WL_ASSERT_OFF(FWPM_FILTER_CONDITION0, matchType, 16);
WL_ASSERT_OFF(FWPM_FILTER_CONDITION0, conditionValue, 24);
WL_ASSERT_SIZE(FWPM_FILTER0, 200);
WL_ASSERT_OFF(FWPM_FILTER0, displayData, 16);
WL_ASSERT_OFF(FWPM_FILTER0, flags, 32);
WL_ASSERT_OFF(FWPM_FILTER0, providerKey, 40);
WL_ASSERT_OFF(FWPM_FILTER0, providerData, 48);
WL_ASSERT_OFF(FWPM_FILTER0, layerKey, 64);
WL_ASSERT_OFF(FWPM_FILTER0, subLayerKey, 80);
WL_ASSERT_OFF(FWPM_FILTER0, weight, 96);
WL_ASSERT_OFF(FWPM_FILTER0, numFilterConditions, 112);
WL_ASSERT_OFF(FWPM_FILTER0, filterCondition, 120);
WL_ASSERT_OFF(FWPM_FILTER0, action, 128);
WL_ASSERT_OFF(FWPM_FILTER0, rawContext, 152);
WL_ASSERT_OFF(FWPM_FILTER0, reserved, 168);
WL_ASSERT_OFF(FWPM_FILTER0, filterId, 176);
WL_ASSERT_OFF(FWPM_FILTER0, effectiveWeight, 184);
WL_ASSERT_SIZE(FWPM_SESSION0, 72);
WL_ASSERT_OFF(FWPM_SESSION0, flags, 32);
WL_ASSERT_OFF(FWPM_SESSION0, txnWaitTimeoutInMSec, 36);
WL_ASSERT_OFF(FWPM_SESSION0, processId, 40);
WL_ASSERT_OFF(FWPM_SESSION0, sid, 48);
WL_ASSERT_OFF(FWPM_SESSION0, username, 56);
WL_ASSERT_OFF(FWPM_SESSION0, kernelMode, 64);
WL_ASSERT_SIZE(FWPM_PROVIDER0, 64);
WL_ASSERT_OFF(FWPM_PROVIDER0, flags, 32);
WL_ASSERT_OFF(FWPM_PROVIDER0, providerData, 40);
WL_ASSERT_OFF(FWPM_PROVIDER0, serviceName, 56);
/* FWPM_SUBLAYER0: the documented page has "UINT32 flags", mingw declares UINT16. The offsets
 * agree (providerKey is 8-aligned); we zero the whole struct before filling it so the upper two
 * bytes Windows reads are 0. */
WL_ASSERT_SIZE(FWPM_SUBLAYER0, 72);
WL_ASSERT_OFF(FWPM_SUBLAYER0, flags, 32);
WL_ASSERT_OFF(FWPM_SUBLAYER0, providerKey, 40);
WL_ASSERT_OFF(FWPM_SUBLAYER0, providerData, 48);
WL_ASSERT_OFF(FWPM_SUBLAYER0, weight, 64);
WL_ASSERT_SIZE(FWPM_FILTER_ENUM_TEMPLATE0, 72);
WL_ASSERT_OFF(FWPM_FILTER_ENUM_TEMPLATE0, layerKey, 8);
WL_ASSERT_OFF(FWPM_FILTER_ENUM_TEMPLATE0, enumType, 24);
WL_ASSERT_OFF(FWPM_FILTER_ENUM_TEMPLATE0, flags, 28);
WL_ASSERT_OFF(FWPM_FILTER_ENUM_TEMPLATE0, providerContextTemplate, 32);
WL_ASSERT_OFF(FWPM_FILTER_ENUM_TEMPLATE0, numFilterConditions, 40);
WL_ASSERT_OFF(FWPM_FILTER_ENUM_TEMPLATE0, filterCondition, 48);
WL_ASSERT_OFF(FWPM_FILTER_ENUM_TEMPLATE0, actionMask, 56);
WL_ASSERT_OFF(FWPM_FILTER_ENUM_TEMPLATE0, calloutKey, 64);
WL_ASSERT_SIZE(FWPM_NET_EVENT_ENUM_TEMPLATE0, 32);
WL_ASSERT_OFF(FWPM_NET_EVENT_ENUM_TEMPLATE0, endTime, 8);
WL_ASSERT_OFF(FWPM_NET_EVENT_ENUM_TEMPLATE0, numFilterConditions, 16);
WL_ASSERT_OFF(FWPM_NET_EVENT_ENUM_TEMPLATE0, filterCondition, 24);
WL_ASSERT_SIZE(FWPM_NET_EVENT_SUBSCRIPTION0, 32);
WL_ASSERT_OFF(FWPM_NET_EVENT_SUBSCRIPTION0, flags, 8);
WL_ASSERT_OFF(FWPM_NET_EVENT_SUBSCRIPTION0, sessionKey, 12);

/* Net event headers: HEADER0 and HEADER1 are mingw's, pinned because we read them. */
#define WL_ASSERT_HEADER_COMMON(T)         \
  WL_ASSERT_OFF(T, timeStamp, 0);          \
  WL_ASSERT_OFF(T, flags, 8);              \
  WL_ASSERT_OFF(T, ipVersion, 12);         \
  WL_ASSERT_OFF(T, ipProtocol, 16);        \
  WL_ASSERT_OFF(T, localAddrV4, 20);       \
  WL_ASSERT_OFF(T, localAddrV6, 20);       \
  WL_ASSERT_OFF(T, remoteAddrV4, 36);      \
  WL_ASSERT_OFF(T, remoteAddrV6, 36);      \
  WL_ASSERT_OFF(T, localPort, 52);         \
  WL_ASSERT_OFF(T, remotePort, 54);        \
  WL_ASSERT_OFF(T, scopeId, 56);           \
  WL_ASSERT_OFF(T, appId, 64);             \
  WL_ASSERT_OFF(T, userId, 80)
WL_ASSERT_HEADER_COMMON(FWPM_NET_EVENT_HEADER0);
WL_ASSERT_SIZE(FWPM_NET_EVENT_HEADER0, 88);
WL_ASSERT_HEADER_COMMON(FWPM_NET_EVENT_HEADER1);
WL_ASSERT_OFF(FWPM_NET_EVENT_HEADER1, addressFamily, 88);
/* The reserved Ethernet block is struct { FWP_AF; union { struct { ... UINT64 } } }: the inner
 * union is 8-aligned, so it starts at 96, not right after addressFamily. */
WL_ASSERT_OFF(FWPM_NET_EVENT_HEADER1, dstAddrEth, 96);
WL_ASSERT_OFF(FWPM_NET_EVENT_HEADER1, srcAddrEth, 102);
WL_ASSERT_OFF(FWPM_NET_EVENT_HEADER1, addrType, 108);
WL_ASSERT_OFF(FWPM_NET_EVENT_HEADER1, encapMethod, 112);
WL_ASSERT_OFF(FWPM_NET_EVENT_HEADER1, etherType, 116);
WL_ASSERT_OFF(FWPM_NET_EVENT_HEADER1, snapControl, 120);
WL_ASSERT_OFF(FWPM_NET_EVENT_HEADER1, snapOui, 124);
WL_ASSERT_OFF(FWPM_NET_EVENT_HEADER1, vlanTag, 128);
WL_ASSERT_OFF(FWPM_NET_EVENT_HEADER1, ifLuid, 136);
WL_ASSERT_SIZE(FWPM_NET_EVENT_HEADER1, 144);
WL_ASSERT_HEADER_COMMON(FWPM_NET_EVENT_HEADER2);
WL_ASSERT_OFF(FWPM_NET_EVENT_HEADER2, addressFamily, 88);
WL_ASSERT_OFF(FWPM_NET_EVENT_HEADER2, packageSid, 96);
WL_ASSERT_SIZE(FWPM_NET_EVENT_HEADER2, 104);
WL_ASSERT_HEADER_COMMON(FWPM_NET_EVENT_HEADER3);
WL_ASSERT_OFF(FWPM_NET_EVENT_HEADER3, addressFamily, 88);
WL_ASSERT_OFF(FWPM_NET_EVENT_HEADER3, packageSid, 96);
WL_ASSERT_OFF(FWPM_NET_EVENT_HEADER3, enterpriseId, 104);
WL_ASSERT_OFF(FWPM_NET_EVENT_HEADER3, policyFlags, 112);
WL_ASSERT_OFF(FWPM_NET_EVENT_HEADER3, effectiveName, 120);
WL_ASSERT_SIZE(FWPM_NET_EVENT_HEADER3, 136);

/* Payloads */
#define WL_ASSERT_CLASSIFY_COMMON(T)       \
  WL_ASSERT_OFF(T, filterId, 0);           \
  WL_ASSERT_OFF(T, layerId, 8);            \
  WL_ASSERT_OFF(T, reauthReason, 12);      \
  WL_ASSERT_OFF(T, originalProfile, 16);   \
  WL_ASSERT_OFF(T, currentProfile, 20);    \
  WL_ASSERT_OFF(T, msFwpDirection, 24);    \
  WL_ASSERT_OFF(T, isLoopback, 28)
WL_ASSERT_SIZE(FWPM_NET_EVENT_CLASSIFY_DROP0, 16);
WL_ASSERT_OFF(FWPM_NET_EVENT_CLASSIFY_DROP0, layerId, 8);
WL_ASSERT_CLASSIFY_COMMON(FWPM_NET_EVENT_CLASSIFY_DROP1);
WL_ASSERT_SIZE(FWPM_NET_EVENT_CLASSIFY_DROP1, 32);
WL_ASSERT_CLASSIFY_COMMON(FWPM_NET_EVENT_CLASSIFY_DROP2);
WL_ASSERT_OFF(FWPM_NET_EVENT_CLASSIFY_DROP2, vSwitchId, 32);
WL_ASSERT_OFF(FWPM_NET_EVENT_CLASSIFY_DROP2, vSwitchSourcePort, 48);
WL_ASSERT_OFF(FWPM_NET_EVENT_CLASSIFY_DROP2, vSwitchDestinationPort, 52);
WL_ASSERT_SIZE(FWPM_NET_EVENT_CLASSIFY_DROP2, 56);
WL_ASSERT_CLASSIFY_COMMON(FWPM_NET_EVENT_CLASSIFY_ALLOW0);
WL_ASSERT_SIZE(FWPM_NET_EVENT_CLASSIFY_ALLOW0, 32);
WL_ASSERT_OFF(FWPM_NET_EVENT_CAPABILITY_DROP0, networkCapabilityId, 0);
WL_ASSERT_OFF(FWPM_NET_EVENT_CAPABILITY_DROP0, filterId, 8);
WL_ASSERT_OFF(FWPM_NET_EVENT_CAPABILITY_DROP0, isLoopback, 16);
WL_ASSERT_SIZE(FWPM_NET_EVENT_CAPABILITY_DROP0, 24);
WL_ASSERT_OFF(FWPM_NET_EVENT_CAPABILITY_ALLOW0, networkCapabilityId, 0);
WL_ASSERT_OFF(FWPM_NET_EVENT_CAPABILITY_ALLOW0, filterId, 8);
WL_ASSERT_OFF(FWPM_NET_EVENT_CAPABILITY_ALLOW0, isLoopback, 16);
WL_ASSERT_SIZE(FWPM_NET_EVENT_CAPABILITY_ALLOW0, 24);

/* Versioned events: header, 4-byte type, then the 8-aligned payload pointer. */
WL_ASSERT_OFF(FWPM_NET_EVENT0, type, 88);
WL_ASSERT_OFF(FWPM_NET_EVENT0, classifyDrop, 96);
WL_ASSERT_SIZE(FWPM_NET_EVENT0, 104);
WL_ASSERT_OFF(FWPM_NET_EVENT1, type, 144);
WL_ASSERT_OFF(FWPM_NET_EVENT1, classifyDrop, 152);
WL_ASSERT_SIZE(FWPM_NET_EVENT1, 160);
WL_ASSERT_OFF(FWPM_NET_EVENT2, type, 104);
WL_ASSERT_OFF(FWPM_NET_EVENT2, classifyDrop, 112);
WL_ASSERT_OFF(FWPM_NET_EVENT2, classifyAllow, 112);
WL_ASSERT_SIZE(FWPM_NET_EVENT2, 120);
WL_ASSERT_OFF(FWPM_NET_EVENT3, type, 136);
WL_ASSERT_OFF(FWPM_NET_EVENT3, classifyDrop, 144);
WL_ASSERT_SIZE(FWPM_NET_EVENT3, 152);
WL_ASSERT_OFF(FWPM_NET_EVENT4, type, 136);
WL_ASSERT_OFF(FWPM_NET_EVENT4, classifyDrop, 144);
WL_ASSERT_SIZE(FWPM_NET_EVENT4, 152);
WL_ASSERT_OFF(FWPM_NET_EVENT5, type, 136);
WL_ASSERT_OFF(FWPM_NET_EVENT5, lpmPacketArrival, 144);
WL_ASSERT_SIZE(FWPM_NET_EVENT5, 152);
#endif /* _WIN64 */

#endif
