/* paths.h — NT device paths (what WFP and the Security log record) <-> DOS paths (what people
 * read and what FwpmGetAppIdFromFileName0 takes).
 *
 *   \device\harddiskvolume3\windows\system32\svchost.exe  <->  C:\windows\system32\svchost.exe
 *   \device\mup\server\share\x.exe                        <->  \\server\share\x.exe
 * Matching is ASCII case-insensitive on the device prefix and needs a '\' after it (volume1
 * must not match volume10). A path with no known device is left as is (the caller keeps the NT
 * path). The map comes from the engine (wl_engine_drive_map: QueryDosDeviceW on Windows, the
 * sim's configured map elsewhere) and may be refreshed when a lookup misses (capture re-reads it
 * when it meets a device prefix it has not seen, rate-limited: a volume mounted or a drive
 * mapped mid-capture).
 *
 * What an elevated process (learn, the service) cannot see: DOS devices are per logon session,
 * and an administrator's elevated token runs in a logon session of its own (a service in
 * LocalSystem's). A user's mapped network drives (net use Z: \\server\share) and SUBST drives
 * live in the user's session's DOS device directory, so QueryDosDevice in the elevated process
 * does not know Z: (unless EnableLinkedConnections is set). WFP records such apps by their NT
 * path anyway: \device\mup\server\share\app.exe, shown as \\server\share\app.exe; a SUBST
 * drive resolves to the volume it points into, shown with that volume's letter. A device that
 * has no letter in the elevated view stays an NT path (flagged "unmapped" in review).
 */
#ifndef WL_PATHS_H
#define WL_PATHS_H

#include <stddef.h>
#include <stdint.h>

/* Bytes of an NT device name kept, terminator included. Volume devices are short
 * (\device\harddiskvolume3), but QueryDosDevice gives longer targets: a mapped network drive
 * is \device\lanmanredirector\;Z:000000000001a2b3\server\share\folder, a SUBST drive
 * \??\C:\some\folder; both carry a user-chosen path (issue 12, item 13: 95 characters was
 * the old bound, and a longer device was dropped in silence). */
#define WL_DEVICE_MAX 512

/* One DOS drive letter and the NT device it names. */
typedef struct wl_drive {
  char letter;                 /* 'C' */
  char device[WL_DEVICE_MAX];  /* "\\device\\harddiskvolume3" (lower-case) */
} wl_drive;

typedef struct wl_path_map {
  size_t n;
  uint64_t gen; /* new with every init and add, unique across maps: a cache of mapped paths
                 * (the decoder's) keeps the gen it mapped with and is stale once it differs.
                 * So change a map only through these functions. */
  wl_drive drives[26];
} wl_path_map;

void wl_path_map_init(wl_path_map *m);
/* Add or replace one drive: letter 'A'..'Z' (either case), device "\device\harddiskvolume3". */
int wl_path_map_add(wl_path_map *m, char letter, const char *device);
/* Parse "C=\device\harddiskvolume2" (for --drive options). */
int wl_path_map_add_spec(wl_path_map *m, const char *spec);
/* NT → DOS. Returns 1 and writes `out` when a device matched (or \device\mup\), 0 when nothing
 * maps (out untouched), or WL_E_TOOBIG when out is too small. */
int wl_path_to_dos(const wl_path_map *m, const char *nt, char *out, size_t cap);
/* DOS → NT device path, lower-cased as WFP's app ids are. Same returns. */
int wl_path_to_nt(const wl_path_map *m, const char *dos, char *out, size_t cap);
/* 1 for a DOS path ("C:\x", "C:/x") or a UNC one ("\\server\share"): what wl_path_to_nt
 * takes, never an NT device path. */
int wl_path_is_dos(const char *p);
/* The file name part after the last '\' or '/' (the whole string when none). */
const char *wl_path_basename(const char *path);

#endif
