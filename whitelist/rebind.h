/* rebind.h — app updates keep their rule (issue 15, item 4).
 *
 * An updater installs the new version beside the old one: a Squirrel app moves from
 * ...\app-1.2.3\x.exe to ...\app-1.3.0\x.exe, and the rule bound to the old path (its filters
 * match the old app id) stops matching. Review recognises the new path as "update of rule N"
 * when it differs from rule N's path only in a version folder (whitelist/version_path.h) and the
 * new binary is signed by the signer recorded with rule N (wl_engine_signer: Authenticode on
 * Windows, declared on the sim). One promote of that proposal re-binds rule N: its row now names
 * the new path, its filters are the new path's, and the old path is kept as prev_app.
 *
 * When the old path's filters go ("unused"): when the old binary no longer exists — its app id
 * cannot be had (FwpmGetAppIdFromFileName0 fails: ERROR_FILE_NOT_FOUND), the same test the
 * engine's own app ids depend on. Updaters delete the old version folder once the new version
 * runs (Squirrel at the next start, Chrome after a restart), so that is when nothing can use
 * the old filters. Checked at the re-bind itself, at every promote (wl_rebind_sweep), and by
 * verify (the rule's rebuilt filters leave the old path out, so --repair deletes them). While
 * the old binary exists both paths are allowed: a user still running the old version is not cut
 * off mid-update.
 *
 * Not re-bound (a normal proposal, flagged): the new binary is unsigned (flag `unsigned`), or
 * signed by someone else, or rule N has no signer recorded (flag `signer-changed`). Without an
 * engine that can tell signers (review run with none, or WL_E_UNSUPPORTED), review shows the
 * candidate with the signer unchecked, and promote, which always asks the engine, re-binds only
 * on a match.
 */
#ifndef WL_WHITELIST_REBIND_H
#define WL_WHITELIST_REBIND_H

#include <stddef.h>
#include <stdint.h>

#include "engine/engine.h"
#include "store/store.h"
#include "whitelist/proposal.h"

/* Fill the update fields of proposals p[0..n) (proposal.h): update_candidate and update_kind
 * from the paths of the rules of the same direction, then, when e is not NULL, the new
 * binary's signer and update_of or the unsigned / signer-changed flag. e may be NULL. */
int wl_rebind_annotate(wl_engine *e, wl_store *s, wl_proposal *p, size_t n);

/* What a re-bind did, for promote to print. */
typedef struct wl_rebind_result {
  int64_t rule_id;
  int old_kept;          /* 1: the old binary still exists, its filters stay */
  size_t added, removed; /* filters */
} wl_rebind_result;

/* Re-bind rule p->update_of to p's path (p annotated with an engine): one engine transaction
 * (the new filters put, the old path's deleted when unused), the row updated inside it, store
 * committed before the engine (apply.c's order: a failed engine commit puts the row back).
 * dry_run: nothing written, res says what would be done. */
int wl_rebind_apply(wl_engine *e, wl_store *s, const wl_proposal *p, int dry_run,
                    wl_rebind_result *res);

/* Every re-bound rule whose previous binary is gone: its old filters deleted, prev_app cleared.
 * *dropped counts the rules changed. */
int wl_rebind_sweep(wl_engine *e, wl_store *s, size_t *dropped);

/* The signer to record with a new rule for `app` (DOS path): its name when the engine says it is
 * validly signed, else "" (unsigned, unknown, or no engine support). */
void wl_rebind_signer_of(wl_engine *e, const char *app, char *out, size_t cap);

#endif
