/* import_store.c — the store-backed import: the parsers' records are collected into batches of
 * WL_IMPORT_BATCH events and written with wl_store_write_keyed, the same batched transaction
 * path live events take, so apps, flows and raw events are filled the same way; the store skips
 * (and counts) record keys it has seen, which is what makes a second import of a file add
 * nothing. A batch that hits a busy database is retried a few times (nothing of a failed batch
 * is kept, so a retry cannot count twice). What was done is remembered in meta as
 * "import:FORMAT:FILE" → {"at":..., "read":..., "imported":..., "duplicate":..., "skipped":...}.
 * Memory: one batch, WL_IMPORT_BATCH × (sizeof(wl_event) + 8) bytes (about 1.3 MB).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/wl_err.h"
#include "common/wl_json.h"
#include "common/wl_os.h"
#include "common/wl_text.h"
#include "import/import.h"

#define BUSY_RETRIES 5
#define BUSY_WAIT_MS 200

typedef struct batch {
  wl_store *s;
  wl_import_stats *st;
  wl_event *ev;
  uint64_t *keys;
  size_t n;
} batch;

static int flush(batch *b) {
  if (b->n == 0)
    return WL_OK;
  uint64_t dups = 0;
  int rc = wl_store_write_keyed(b->s, b->ev, b->keys, b->n, &dups);
  for (int i = 0; rc == WL_E_BUSY && i < BUSY_RETRIES; i++) {
    wl_sleep_ms(BUSY_WAIT_MS);
    rc = wl_store_write_keyed(b->s, b->ev, b->keys, b->n, &dups);
  }
  if (rc != WL_OK)
    return rc;
  b->st->imported += b->n - dups;
  b->st->duplicate += dups;
  b->n = 0;
  return WL_OK;
}

static int put(void *ctx, const wl_import_rec *r) {
  batch *b = ctx;
  b->ev[b->n] = r->ev;
  b->keys[b->n] = r->key;
  b->n++;
  return b->n == WL_IMPORT_BATCH ? flush(b) : WL_OK;
}

/* meta "import:FORMAT:FILE": when and what (best effort: the events are already stored). */
static void remember(wl_store *s, const wl_import_opts *o, const char *path,
                     const wl_import_stats *st) {
  char key[1100], val[512], when[WL_TIME_STR_MAX];
  snprintf(key, sizeof key, "import:%s:%s", wl_import_format_name(o->format), path);
  wl_time_format(wl_time_now(), when);
  snprintf(val, sizeof val,
           "{\"at\":\"%s\",\"read\":%llu,\"imported\":%llu,\"duplicate\":%llu,\"skipped\":%llu}",
           when, (unsigned long long)st->read, (unsigned long long)st->imported,
           (unsigned long long)st->duplicate, (unsigned long long)st->skipped);
  wl_store_meta_set(s, key, val);
}

int wl_import_to_store(wl_store *s, const wl_import_opts *o, const char *path,
                       wl_import_stats *st) {
  if (!s || !o || !path || !st)
    return wl_err(WL_E_INVAL, "wl_import_to_store: NULL argument");
  batch b = {.s = s, .st = st};
  b.ev = malloc(WL_IMPORT_BATCH * sizeof *b.ev);
  b.keys = malloc(WL_IMPORT_BATCH * sizeof *b.keys);
  int rc;
  if (!b.ev || !b.keys) {
    rc = wl_err(WL_E_NOMEM, "%s: out of memory for an import batch", path);
    goto out;
  }
  rc = wl_import_file(o, path, put, &b, st);
  if (rc == WL_OK)
    rc = flush(&b);
  if (rc != WL_OK) {
    wl_err_prefix(rc, "%s: import stopped after %llu records were stored", path,
                  (unsigned long long)(st->imported + st->duplicate));
    goto out;
  }
  remember(s, o, path, st);
out:
  free(b.ev);
  free(b.keys);
  return rc;
}
