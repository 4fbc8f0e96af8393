/* wl_text.h — conversions every module needs and none should write twice: timestamps
 * (FILETIME-style 100 ns ticks since 1601-01-01 UTC <-> RFC 3339), IP addresses and endpoints,
 * UTF-16LE <-> UTF-8 with explicit sizes (WFP app ids carry no terminator), and SIDs
 * (binary <-> "S-1-5-18"). All are pure, bounded and allocation-free: safe anywhere.
 */
#ifndef WL_TEXT_H
#define WL_TEXT_H

#include <stddef.h>
#include <stdint.h>

/* ---- time: ticks = 100 ns units since 1601-01-01T00:00:00Z (Windows FILETIME) ---- */
#define WL_TICKS_PER_SEC 10000000ULL
#define WL_UNIX_EPOCH_TICKS 116444736000000000ULL /* 1970-01-01 in ticks */
#define WL_TIME_STR_MAX 32                        /* "2026-11-24T03:30:49.1234567Z" + NUL */

uint64_t wl_time_now(void); /* wall clock in ticks */
uint64_t wl_time_mono_ns(void); /* monotonic clock, nanoseconds, for rates and timeouts */
/* RFC 3339 / ISO 8601: "YYYY-MM-DDTHH:MM:SS[.f{1,9}](Z|±HH:MM)"; 'T' may be a space; a missing
 * zone means UTC. Fractions beyond 7 digits are truncated. WL_E_PARSE on anything else. */
int wl_time_parse(const char *s, size_t len, uint64_t *ticks);
/* Always UTC with 7 fraction digits: exact to 100 ns. Returns the length written. */
size_t wl_time_format(uint64_t ticks, char buf[WL_TIME_STR_MAX]);
/* For people (the text outputs): UTC to the second, "2026-11-24T03:30:49Z". JSON and files
 * keep wl_time_format's exact form. Returns the length written. */
size_t wl_time_text(uint64_t ticks, char buf[WL_TIME_STR_MAX]);
/* "30s", "15m", "2h", "7d", "1w", or plain seconds → ticks. */
int wl_duration_parse(const char *s, uint64_t *ticks);

/* ---- addresses: ip_version 4 or 6; addr is network byte order, v4 in addr[0..3] ---- */
#define WL_ADDR_STR_MAX 46  /* INET6_ADDRSTRLEN */
#define WL_EP_STR_MAX 56    /* "[v6]:65535" */

int wl_addr_parse(const char *s, size_t len, uint8_t *ip_version, uint8_t addr[16]);
size_t wl_addr_format(uint8_t ip_version, const uint8_t addr[16], char buf[WL_ADDR_STR_MAX]);
/* "1.2.3.4:80", "[2001:db8::1]:443"; a bare address gives port 0. */
int wl_endpoint_parse(const char *s, size_t len, uint8_t *ip_version, uint8_t addr[16],
                      uint16_t *port);
size_t wl_endpoint_format(uint8_t ip_version, const uint8_t addr[16], uint16_t port,
                          char buf[WL_EP_STR_MAX]);
/* "10.0.0.0/8", "2001:db8::/32", or a bare address (full length). */
int wl_prefix_parse(const char *s, size_t len, uint8_t *ip_version, uint8_t addr[16],
                    uint8_t *prefix_len);
/* Host-order UINT32 (as WFP stores IPv4) <-> our network-order bytes. */
void wl_addr_from_v4_host(uint32_t host, uint8_t addr[16]);
uint32_t wl_addr_to_v4_host(const uint8_t addr[16]);

/* ---- UTF-16LE <-> UTF-8, sizes in bytes, never reading past `nbytes` ----
 * An odd trailing byte is ignored, a NUL code unit ends the string (WFP blobs usually include
 * one), unpaired surrogates become U+FFFD. Output is always NUL-terminated when cap > 0; the
 * return value is the length it needed (so > cap-1 means truncated). */
size_t wl_utf16le_to_utf8(const uint8_t *u16, size_t nbytes, char *out, size_t cap);
/* Returns bytes needed (without terminator); writes at most cap bytes, no terminator added. */
size_t wl_utf8_to_utf16le(const char *s, size_t len, uint8_t *out, size_t cap);
/* One code point (<= U+10FFFF; the caller has replaced surrogates) as 1-4 UTF-8 bytes, no
 * terminator; returns the count. For decoders that keep their own state (streams, escapes). */
size_t wl_utf8_encode(uint32_t cp, char out[4]);

/* ---- SIDs ---- */
#define WL_SID_MAX 68      /* SECURITY_MAX_SID_SIZE */
#define WL_SID_STR_MAX 192 /* "S-1-15-3-1024-..." */
/* Binary SID (revision 1, count, 6-byte authority big-endian, count × uint32 LE) → string.
 * WL_E_PARSE when nbytes is too small for its own subauthority count. Both directions keep a
 * per-thread memo of their last few conversions (an event stream repeats its SIDs); the
 * results are the same as without it. */
int wl_sid_to_string(const uint8_t *sid, size_t nbytes, char *out, size_t cap);
/* Returns the binary size written, or a negative WL_E_* code. */
int wl_sid_from_string(const char *s, uint8_t out[WL_SID_MAX]);

/* ---- GUIDs (for filter keys), Windows layout: Data1..3 little-endian in memory ---- */
typedef struct wl_guid {
  uint32_t d1;
  uint16_t d2, d3;
  uint8_t d4[8];
} wl_guid;
#define WL_GUID_STR_MAX 39 /* "{xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx}" + NUL */
size_t wl_guid_format(const wl_guid *g, char buf[WL_GUID_STR_MAX]); /* with braces */
int wl_guid_parse(const char *s, wl_guid *g); /* with or without braces */
int wl_guid_eq(const wl_guid *a, const wl_guid *b);
/* Name-based (RFC 4122 v5, SHA-1) GUID: the same namespace and name give the same key. */
void wl_guid_from_name(const wl_guid *ns, const void *name, size_t len, wl_guid *out);

/* ---- small string helpers ---- */
/* Case-insensitive ASCII compare of at most n bytes (paths are compared lower-cased). */
int wl_strncasecmp(const char *a, const char *b, size_t n);
/* Copy with truncation; always terminates when cap > 0; returns strlen(src). */
size_t wl_strlcpy(char *dst, const char *src, size_t cap);

#endif
