/* paths.h — NT device paths (what WFP and the Security log record) <-> DOS paths (what people
 * read and what FwpmGetAppIdFromFileName0 takes).
 *
 *   \device\harddiskvolume3\windows\system32\svchost.exe  <->  C:\windows\system32\svchost.exe
 *   \device\mup\server\share\x.exe                        <->  \\server\share\x.exe
 * Matching is ASCII case-insensitive on the device prefix and needs a '\' after it (volume1
 * must not match volume10). A path with no known device is left as is (the caller keeps the NT
 * path). The map comes from the engine (wl_engine_drive_map: QueryDosDeviceW on Windows, the
 * sim's configured map elsewhere) and may be refreshed when a lookup misses.
 */
#ifndef WL_PATHS_H
#define WL_PATHS_H

#include <stddef.h>

/* One DOS drive letter and the NT device it names. */
typedef struct wl_drive {
  char letter;      /* 'C' */
  char device[96];  /* "\\device\\harddiskvolume3" (lower-case) */
} wl_drive;

typedef struct wl_path_map {
  size_t n;
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
/* The file name part after the last '\' or '/' (the whole string when none). */
const char *wl_path_basename(const char *path);

#endif
