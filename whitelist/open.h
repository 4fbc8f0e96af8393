/* open.h — how every whitelist command starts: check that learn has made a store, then open
 * the store and the engine.
 *
 * Commands that read what learn recorded must not create an empty store by opening it (the
 * user would see "nothing to review" instead of "run learn first"), and every command opens
 * the store and the engine the same way, so the pair lives here rather than in each command.
 */
#ifndef WL_WHITELIST_OPEN_H
#define WL_WHITELIST_OPEN_H

#include "engine/engine.h"
#include "store/store.h"

/* WL_OK when the store file exists, else WL_E_NOTFOUND "no store yet (run wfplearn learn)":
 * commands that read what learn recorded call it first instead of creating an empty store. */
int wl_whitelist_need_store(const char *db);
/* Open the store and the engine the way every whitelist command does. Either out may be NULL
 * to skip it. Release with wl_store_close / wl_engine_close. */
int wl_whitelist_open(const char *db, const char *engine_spec, unsigned session_flags,
                      wl_store **s, wl_engine **e);

#endif
