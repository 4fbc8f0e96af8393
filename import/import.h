/* import.h — the log importers: Windows logs people already have, turned into wl_event records.
 *
 * Formats (see ../shared/data/real/README.md for real samples):
 *   secjson    Security-log WFP events as JSON lines, in the shapes collectors write: NXLog
 *              (EventTime, Hostname, RecordNumber, ProcessId), the "2023" shape (TimeCreated,
 *              ProcessID), Log Analytics' SecurityEvent table (TimeGenerated, Computer, EventID
 *              columns as Microsoft Learn documents them; the WFP fields have no column there and
 *              are read from the EventData column, a string of <Data Name=...> XML), and flat
 *              exports using DestinationAddress/DestinationPort/Protocol_string names (named in
 *              ../shared/data/real/README.md; no sample holds one and Microsoft's table reference
 *              has no such columns, so this spelling is accepted but unconfirmed). Field names
 *              are matched case-insensitively, also inside an "EventData"/"event_data" object or
 *              winlogbeat's "winlog" object; numbers may arrive as strings.
 *   evtxml     the same events as Windows Event XML (wevtutil qe /f:xml, evtxexport -f xml), many
 *              <Event> elements with or without an <Events> wrapper, read by expat as a stream.
 *   pfirewall  Windows Firewall's W3C-style pfirewall.log, columns mapped by the #Fields: header.
 *
 * Event ids: 5156 (connection permitted), 5154 (listen permitted), 5158 (bind permitted) become
 * WL_EVT_ALLOW; 5157 (connection blocked) and 5152 (packet dropped) become WL_EVT_DROP. Any other
 * id (5031, 4688, ...) and pfirewall actions other than ALLOW/DROP are "unsupported": counted and
 * skipped. A record that cannot be understood is "malformed": counted, skipped, and the first
 * WL_IMPORT_PROBLEMS_MAX are kept as "FILE:LINE: reason". Neither ever stops the import.
 *
 * Mapping (Security log, documented on Microsoft Learn "Audit Filtering Platform Connection"):
 *   Direction %%14592 / "Inbound" → in (local = Dest*, remote = Source*);
 *             %%14593 / "Outbound" → out (local = Source*, remote = Dest*);
 *   no Direction (5154 listen, 5158 bind) → direction unknown, local = Source*, no remote;
 *   LayerRTID → layer_id (when absent, from LayerName %%14608/09/10/11 and the address family);
 *   FilterRTID → filter_id (0 means "no filter" and leaves WL_HAS_FILTER unset);
 *   Protocol → proto (numbers, or names TCP/UDP/ICMP/ICMPv6/IGMP...);
 *   Application: "-" or "" → no app; "System" kept as is; an NT device path is kept in `app` and
 *   mapped to `app_dos` through the path map (unknown volumes: app_dos stays ""); a DOS path is
 *   kept in app_dos and, when its drive is mapped, `app` becomes the NT form (so both spellings
 *   of one program meet in the store).
 * Required: EventID, a timestamp; for 5152/5156/5157 also Direction, SourceAddress,
 * DestAddress and Protocol; for 5154/5158 SourceAddress and Protocol. Ports, FilterRTID,
 * LayerRTID, Application and ProcessId are optional, but a present value that does not parse
 * (wrong type, not a number, out of range) makes the record malformed.
 *
 * Time: stored in UTC. A timestamp with a zone (Z, +05:45) is exact. One without a zone
 * (NXLog's EventTime "2020-09-22 02:16:07" is the collecting machine's local time;
 * pfirewall.log writes "#Time Format: Local") is taken as UTC minus opts.utc_offset_min when
 * opts.utc_offset_set; otherwise, for NXLog records that also carry EventReceivedTime (same
 * local clock) and a zoned "@timestamp" (Logstash's UTC arrival time, seconds later), the offset
 * is inferred as their difference rounded to 15 minutes (when within ±14 h); otherwise UTC is
 * assumed. pfirewall times are UTC unless utc_offset_set.
 *
 * Record identity (the 64-bit key the store uses to skip what was imported before):
 *   - a Security record with a Computer/Hostname and an EventRecordID/RecordNumber is that
 *     record wherever it comes from: key = hash(computer lower-cased, record number, event id,
 *     UTC second). The file is deliberately not part of it, so overlapping exports of one log,
 *     or the XML and JSON export of the same events, do not count twice; the second is part of it
 *     so a log that was cleared (record numbers start again) does not collide with the old one.
 *   - any other record (pfirewall lines, Security records without a record number): key =
 *     hash(file identity, ordinal of the record in the file, hash of its content). The file
 *     identity is the hash of the file's first record (first line that is not blank or a '#'
 *     header; the first <Event>'s content), so it survives copying, renaming and appending:
 *     re-importing a pfirewall.log that has grown adds only the new lines. Because the ordinal is
 *     part of the key, two identical lines in one file are two events (pfirewall logs one line
 *     per packet with one-second times, so repeats are real traffic); the price is that a
 *     repeated record in a file without record numbers cannot be told from a real repeat, and
 *     two different logs that begin with the very same line share an identity (their records
 *     at equal positions with equal content then count once).
 *   Hash: FNV-1a 64 with a murmur3 finaliser; for n records the chance of any false duplicate
 *   is about n²/2^65 (3e-6 for ten million records).
 *
 * Bounds: files are read in WL_IMPORT_CHUNK pieces; a line (JSON record, pfirewall line) longer
 * than opts.line_max (default WL_IMPORT_LINE_MAX = 1 MiB) is skipped as "line too long" without
 * being held in memory; in XML, markup that runs longer than line_max bytes without expat
 * reporting anything (a giant tag or attribute; checked after each read, so the exact point
 * depends on the read size) is skipped the same way (the XML reader keeps its own copy of what
 * expat has not finished, at most line_max plus one read, to restart right at an error), and
 * element text is kept up to WL_PATH_MAX (Application, flagged WL_HAS_APP_TRUNC when cut) or
 * WL_IMPORT_VALUE_MAX bytes (other fields; longer is malformed). Files may be UTF-8 (a BOM is
 * skipped) or UTF-16LE with a BOM (PowerShell 5's `>`), converted as they are read.
 */
#ifndef WL_IMPORT_H
#define WL_IMPORT_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "store/store.h"
#include "event/event.h"
#include "event/paths.h"

#define WL_IMPORT_CHUNK (64u * 1024)            /* bytes read at a time */
#define WL_IMPORT_LINE_MAX (1024u * 1024)       /* default longest record line */
#define WL_IMPORT_VALUE_MAX 256                 /* longest field value other than the app */
#define WL_IMPORT_PROBLEMS_MAX 5                /* problems kept with file and line */
#define WL_IMPORT_PROGRESS_MIN (4u * 1024 * 1024) /* files this big show progress */

enum wl_import_format { WL_IMPORT_SECJSON = 1, WL_IMPORT_EVTXML, WL_IMPORT_PFIREWALL };
/* "secjson" | "evtxml" | "pfirewall" → WL_IMPORT_*; WL_E_INVAL otherwise. */
int wl_import_format_parse(const char *s, int *format);
const char *wl_import_format_name(int format); /* "?" when unknown */

typedef struct wl_import_opts {
  int format;               /* WL_IMPORT_* */
  const wl_path_map *paths; /* NT → DOS for app paths; NULL: none known */
  int utc_offset_set;       /* times without a zone are local time at this offset */
  int utc_offset_min;       /* minutes east of UTC (+05:45 → 345) */
  size_t line_max;          /* 0 → WL_IMPORT_LINE_MAX; at most WL_JSON_MAX_INPUT */
  FILE *progress;           /* "\rNAME: x / y MB" lines for big files; NULL: none */
  size_t chunk;             /* bytes read at a time: 0 → WL_IMPORT_CHUNK; 16..WL_IMPORT_CHUNK
                             * (tests and fuzzers use small ones to cross chunk boundaries) */
} wl_import_opts;

/* One record handed to the sink. */
typedef struct wl_import_rec {
  wl_event ev;       /* origin WL_ORIGIN_IMPORT */
  uint64_t key;      /* record key for the store (see "Record identity") */
  uint32_t event_id; /* Security event id; 0 for pfirewall */
  uint64_t line;     /* 1-based line where the record starts */
  uint64_t ordinal;  /* 1-based position among the records of the file */
} wl_import_rec;

/* Called once per importable record, in file order. Return WL_OK to go on; a negative WL_E_*
 * stops the import, which returns that code. */
typedef int (*wl_import_sink)(void *ctx, const wl_import_rec *r);

typedef struct wl_import_stats {
  uint64_t read;        /* records seen: non-blank, non-'#' lines; <Event> elements */
  uint64_t delivered;   /* records handed to the sink */
  uint64_t imported;    /* store-backed import only: new rows written */
  uint64_t duplicate;   /* store-backed import only: keys stored before */
  uint64_t skipped;     /* malformed + unsupported */
  uint64_t malformed;   /* could not be understood (reported, see problems) */
  uint64_t unsupported; /* other event ids / actions, INFO-EVENTS-LOST lines included */
  uint64_t events_lost; /* pfirewall: sum of the counts INFO-EVENTS-LOST lines report */
  uint64_t lost_lines;  /* pfirewall: INFO-EVENTS-LOST lines */
  uint64_t by_id[6];    /* delivered per event id: 5152, 5154, 5156, 5157, 5158, pfirewall */
  uint64_t bytes;       /* bytes read from the file */
  uint64_t anchored;    /* pfirewall: lines read in Windows 11's shape without "-" placeholders */
  int default_fields;   /* pfirewall without a #Fields: header: the default order was used */
  size_t nproblems;     /* entries in problems[] */
  uint64_t notes;       /* problems that were not records (XML errors between events, ...) */
  char problems[WL_IMPORT_PROBLEMS_MAX][256]; /* "FILE:LINE: reason" */
} wl_import_stats;

/* Index into wl_import_stats.by_id for an event id (0 for pfirewall), -1 if none. */
int wl_import_id_index(uint32_t event_id);

/* Parse one file (name used in problems) or a buffer; records go to sink. Stats are added to
 * *st (zero it first). Returns WL_OK however many records were skipped; WL_E_NOTFOUND /
 * WL_E_PERM / WL_E_IO when the file cannot be read (message names it), WL_E_INVAL for bad
 * options, WL_E_UNSUPPORTED for UTF-16BE input, WL_E_NOMEM, or the sink's error. */
int wl_import_file(const wl_import_opts *o, const char *path, wl_import_sink sink, void *ctx,
                   wl_import_stats *st);
int wl_import_buffer(const wl_import_opts *o, const char *name, const void *data, size_t len,
                     wl_import_sink sink, void *ctx, wl_import_stats *st);

/* Store-backed import of one file: records are written in batches of WL_IMPORT_BATCH with
 * wl_store_write_keyed (the store skips and counts keys it has seen), st->imported and
 * st->duplicate are filled, and a meta entry "import:FORMAT:FILE" records what was done.
 * A store error stops the import (batches already written stay written; importing the file
 * again completes it without counting anything twice). */
#define WL_IMPORT_BATCH 512

/* One Event XML record (a live Security-log record: the capture's eventlog source) through the
 * evtxml parser: 1 and *out (origin WL_ORIGIN_IMPORT; *event_id when not NULL) when it is an
 * importable record; 0 with why[cap] saying so when it is malformed or another event id;
 * WL_E_NOMEM. Thread-safe (no shared state). */
int wl_import_event_xml(const char *xml, size_t len, const wl_path_map *paths, wl_event *out,
                        uint32_t *event_id, char *why, size_t cap);
int wl_import_to_store(wl_store *s, const wl_import_opts *o, const char *path,
                       wl_import_stats *st);

#endif
