/* version_path.h — "is this the same program, updated?": two paths that differ only in a
 * version folder (issue 15, item 4).
 *
 * Updaters install a new version beside the old one and move the shortcut: Squirrel apps
 * (Slack, Discord, Teams classic) run from %LocalAppData%\Name\app-1.2.3\, Chrome-style
 * installers from ...\Application\120.0.6099.71\, Store apps from
 * C:\Program Files\WindowsApps\Name_1.2.3.4_x64__publisherid\. A rule bound to the old path
 * stops matching; review uses this to propose the new path as an update of the old rule
 * (whitelist/rebind.c), and a package rule uses it to keep covering its package's next folder
 * in review (rule.c). Pure: no engine, no store; a table test covers it.
 */
#ifndef WL_WHITELIST_VERSION_PATH_H
#define WL_WHITELIST_VERSION_PATH_H

/* What kind of version folder two paths differ in. */
enum wl_version_kind {
  WL_VERSION_NONE = 0,
  WL_VERSION_SQUIRREL,    /* app-X.Y[.Z...]: "app-" then 2 to 4 dotted numbers */
  WL_VERSION_DOTTED,      /* X.Y.Z or X.Y.Z.W: 3 or 4 dotted numbers, nothing else */
  WL_VERSION_WINDOWSAPPS, /* Name_X.Y.Z.W_arch_resource_publisherid (Name, arch, resource id
                           * and publisher id equal; only the version differs) */
};

/* The kind when `a` and `b` (DOS, UNC or NT paths; '\\' or '/'; ASCII case-insensitive) have
 * the same components except one or more version folders of the same kind whose versions
 * differ, else WL_VERSION_NONE — also for two equal paths (not an update), paths of different
 * depth, a differing file name, or version folders of different kinds ("app-1.2.3" vs
 * "1.2.3.4", "app-1.2.3" vs "app-data"). */
int wl_version_path_match(const char *a, const char *b);
const char *wl_version_kind_name(int kind); /* "squirrel" | "dotted" | "windowsapps" | "none" */

#endif
