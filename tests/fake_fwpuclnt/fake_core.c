/* fake_core.c — the fake fwpuclnt.dll's plumbing: the handle registry, the memory blocks that
 * FwpmFreeMemory0 releases, WL_E_* → Win32/FWP_E_* codes, and the test-only exports that are
 * about the DLL itself (outstanding counts, last error message, hiding the Windows 8+ exports).
 *
 * Hiding exports: GetProcAddress finds a name by binary search of the export name table, so
 * to make "FwpmNetEventSubscribe4" unfindable we point its name entry at "FwpmNetEventSubscribe4~"
 * (a string in our own .data). That string sorts right after the real name and before every
 * other export, so the table stays sorted and every other lookup still works; showing it again
 * restores the original entry. Nothing else in the DLL changes: the hidden functions simply
 * cannot be found, as on Windows 7.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/wl_err.h"
#include "common/wl_text.h"
#include "tests/fake_fwpuclnt/win_fakedll.h"

static HMODULE g_self;
static wl_mutex g_lock = WL_MUTEX_INIT;
static void *g_handles[FAKE_MAX_HANDLES];
static uint64_t g_opened;
static long g_roots;

BOOL WINAPI DllMain(HINSTANCE inst, DWORD reason, LPVOID reserved) {
  (void)reserved;
  if (reason == DLL_PROCESS_ATTACH)
    g_self = inst;
  return TRUE;
}

/* ---- handles ---- */

DWORD fake_handle_add(void *h) {
  DWORD rc = ERROR_NOT_ENOUGH_QUOTA;
  wl_mutex_lock(&g_lock);
  for (size_t i = 0; i < FAKE_MAX_HANDLES; i++) {
    if (!g_handles[i]) {
      g_handles[i] = h;
      if (*(int *)h == FAKE_ENGINE)
        ((fake_engine *)h)->opened = ++g_opened;
      rc = ERROR_SUCCESS;
      break;
    }
  }
  wl_mutex_unlock(&g_lock);
  return rc;
}

void fake_handle_remove(void *h) {
  wl_mutex_lock(&g_lock);
  for (size_t i = 0; i < FAKE_MAX_HANDLES; i++)
    if (g_handles[i] == h)
      g_handles[i] = NULL;
  wl_mutex_unlock(&g_lock);
}

void *fake_handle_get(HANDLE h, int kind) {
  void *found = NULL;
  if (!h)
    return NULL;
  wl_mutex_lock(&g_lock);
  for (size_t i = 0; i < FAKE_MAX_HANDLES; i++)
    if (g_handles[i] == h && *(int *)h == kind)
      found = h;
  wl_mutex_unlock(&g_lock);
  return found;
}

fake_engine *fake_latest_engine(void) {
  fake_engine *best = NULL;
  wl_mutex_lock(&g_lock);
  for (size_t i = 0; i < FAKE_MAX_HANDLES; i++) {
    fake_engine *e = g_handles[i];
    if (e && e->kind == FAKE_ENGINE && (!best || e->opened > best->opened))
      best = e;
  }
  wl_mutex_unlock(&g_lock);
  return best;
}

/* ---- memory: a root block owns a singly linked list of children ---- */

#define FAKE_ROOT_MAGIC 0x464b5257u /* "WRKF" */

typedef struct fake_block {
  uint32_t magic;
  struct fake_block *next; /* root: first child; child: next sibling */
} fake_block;
/* Payload starts after the header, aligned for anything. */
#define FAKE_HDR ((sizeof(fake_block) + 15u) & ~(size_t)15u)

void *fake_root_alloc(size_t n) {
  fake_block *b = calloc(1, FAKE_HDR + n);
  if (!b)
    return NULL;
  b->magic = FAKE_ROOT_MAGIC;
  wl_mutex_lock(&g_lock);
  g_roots++;
  wl_mutex_unlock(&g_lock);
  return (char *)b + FAKE_HDR;
}

void *fake_child_alloc(void *root, size_t n) {
  fake_block *r = (fake_block *)((char *)root - FAKE_HDR);
  fake_block *c = calloc(1, FAKE_HDR + (n ? n : 1));
  if (!c)
    return NULL;
  c->next = r->next;
  r->next = c;
  return (char *)c + FAKE_HDR;
}

void *fake_child_dup(void *root, const void *p, size_t n) {
  void *c = fake_child_alloc(root, n);
  if (c && n)
    memcpy(c, p, n);
  return c;
}

wchar_t *fake_child_wide(void *root, const char *utf8) {
  if (!utf8)
    return NULL;
  int n = MultiByteToWideChar(CP_UTF8, 0, utf8, -1, NULL, 0);
  wchar_t *w = n > 0 ? fake_child_alloc(root, (size_t)n * sizeof(wchar_t)) : NULL;
  if (w)
    MultiByteToWideChar(CP_UTF8, 0, utf8, -1, w, n);
  return w;
}

void fake_root_free(void *root) {
  if (!root)
    return;
  fake_block *r = (fake_block *)((char *)root - FAKE_HDR);
  if (r->magic != FAKE_ROOT_MAGIC)
    abort(); /* not ours, or freed twice: crash loudly, as the real heap would */
  r->magic = 0;
  for (fake_block *c = r->next, *nx; c; c = nx) {
    nx = c->next;
    free(c);
  }
  free(r);
  wl_mutex_lock(&g_lock);
  g_roots--;
  wl_mutex_unlock(&g_lock);
}

WL_FAKE_EXPORT void WINAPI FwpmFreeMemory0(void **p) {
  if (p && *p) {
    fake_root_free(*p);
    *p = NULL;
  }
}

/* ---- errors ---- */

DWORD fake_code(int rc, DWORD notfound) {
  switch (rc) {
  case WL_OK: return ERROR_SUCCESS;
  case WL_E_EXISTS: return (DWORD)FWP_E_ALREADY_EXISTS;
  case WL_E_NOTFOUND: return notfound;
  case WL_E_INVAL: case WL_E_PARSE: return (DWORD)FWP_E_INVALID_PARAMETER;
  case WL_E_TOOBIG: return ERROR_INSUFFICIENT_BUFFER;
  case WL_E_NOMEM: return ERROR_NOT_ENOUGH_MEMORY;
  case WL_E_PERM: case WL_E_READONLY: return ERROR_ACCESS_DENIED;
  case WL_E_BUSY: return (DWORD)FWP_E_IN_USE;
  case WL_E_TIMEOUT: return (DWORD)FWP_E_TIMEOUT;
  case WL_E_CONFLICT: return (DWORD)FWP_E_INCOMPATIBLE_TXN;
  case WL_E_UNSUPPORTED: return ERROR_NOT_SUPPORTED;
  case WL_E_FULL: return ERROR_NOT_ENOUGH_QUOTA;
  default: return ERROR_GEN_FAILURE;
  }
}

void fake_enter(void) { wl_err_clear(); }

WL_FAKE_EXPORT const char *WL_FAKE_API wl_fake_errmsg(void) { return wl_errmsg(); }

WL_FAKE_EXPORT int WL_FAKE_API wl_fake_outstanding(long *blocks, long *handles) {
  long h = 0;
  wl_mutex_lock(&g_lock);
  for (size_t i = 0; i < FAKE_MAX_HANDLES; i++)
    h += g_handles[i] != NULL;
  if (blocks)
    *blocks = g_roots;
  wl_mutex_unlock(&g_lock);
  if (handles)
    *handles = h;
  return WL_OK;
}

/* ---- conversions ---- */

void fake_guid_to_wl(const GUID *in, wl_guid *out) {
  out->d1 = (uint32_t)in->Data1;
  out->d2 = in->Data2;
  out->d3 = in->Data3;
  memcpy(out->d4, in->Data4, 8);
}

void fake_guid_from_wl(const wl_guid *in, GUID *out) {
  out->Data1 = in->d1;
  out->Data2 = in->d2;
  out->Data3 = in->d3;
  memcpy(out->Data4, in->d4, 8);
}

int fake_guid_zero(const GUID *g) {
  static const GUID zero;
  return memcmp(g, &zero, sizeof zero) == 0;
}

void fake_wide_to_utf8(const wchar_t *w, char *out, size_t cap) {
  if (!cap)
    return;
  out[0] = 0;
  if (w && WideCharToMultiByte(CP_UTF8, 0, w, -1, out, (int)cap, NULL, NULL) <= 0)
    out[cap - 1] = 0; /* too long: WideCharToMultiByte wrote a prefix (or nothing) */
}

/* ---- hiding the Windows 8+ exports ---- */

static const char *const g_newer[] = {
    "FwpmNetEventSubscribe1", "FwpmNetEventSubscribe2", "FwpmNetEventSubscribe3",
    "FwpmNetEventSubscribe4", "FwpmNetEventEnum2",      "FwpmNetEventEnum3",
    "FwpmNetEventEnum4",      "FwpmNetEventEnum5",
};
#define NNEWER (sizeof g_newer / sizeof g_newer[0])
static char g_alias[NNEWER][40];  /* "name~": sorts right after name */
static DWORD g_orig_rva[NNEWER];  /* the real name entries, to show them again */
static int g_hidden;

static IMAGE_EXPORT_DIRECTORY *exports(void) {
  BYTE *base = (BYTE *)g_self;
  IMAGE_NT_HEADERS *nt = (IMAGE_NT_HEADERS *)(base + ((IMAGE_DOS_HEADER *)base)->e_lfanew);
  DWORD rva = nt->OptionalHeader.DataDirectory[IMAGE_DIRECTORY_ENTRY_EXPORT].VirtualAddress;
  return rva ? (IMAGE_EXPORT_DIRECTORY *)(base + rva) : NULL;
}

static int set_entry(DWORD *entry, DWORD rva) {
  DWORD old;
  if (!VirtualProtect(entry, sizeof *entry, PAGE_READWRITE, &old))
    return wl_err(WL_E_INTERNAL, "VirtualProtect: %lu", (unsigned long)GetLastError());
  *entry = rva;
  VirtualProtect(entry, sizeof *entry, old, &old);
  return WL_OK;
}

WL_FAKE_EXPORT int WL_FAKE_API wl_fake_hide_newer(int hide) {
  fake_enter();
  IMAGE_EXPORT_DIRECTORY *ex = g_self ? exports() : NULL;
  if (!ex)
    return wl_err(WL_E_INTERNAL, "fake fwpuclnt: no export directory");
  BYTE *base = (BYTE *)g_self;
  DWORD *names = (DWORD *)(base + ex->AddressOfNames);
  int rc = WL_OK;
  wl_mutex_lock(&g_lock);
  for (size_t k = 0; rc == WL_OK && k < NNEWER && (hide != 0) != g_hidden; k++) {
    for (DWORD i = 0; i < ex->NumberOfNames; i++) {
      const char *name = (const char *)(base + names[i]);
      if (hide && strcmp(name, g_newer[k]) == 0) {
        snprintf(g_alias[k], sizeof g_alias[k], "%s~", g_newer[k]);
        g_orig_rva[k] = names[i];
        rc = set_entry(&names[i], (DWORD)((BYTE *)g_alias[k] - base));
        break;
      }
      if (!hide && names[i] == (DWORD)((BYTE *)g_alias[k] - base)) {
        rc = set_entry(&names[i], g_orig_rva[k]);
        break;
      }
    }
  }
  if (rc == WL_OK)
    g_hidden = hide != 0;
  wl_mutex_unlock(&g_lock);
  return rc;
}
