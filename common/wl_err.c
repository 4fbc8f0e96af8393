/* wl_err.c — the error table and the per-thread message (see wl_err.h). */
#include "common/wl_err.h"

#include <stdio.h>
#include <string.h>

#define WL_ERRMSG_MAX 512

static _Thread_local char errmsg[WL_ERRMSG_MAX];

int wl_verr(int code, const char *fmt, va_list ap) {
  vsnprintf(errmsg, sizeof errmsg, fmt, ap);
  return code;
}

int wl_err(int code, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  wl_verr(code, fmt, ap);
  va_end(ap);
  return code;
}

int wl_err_prefix(int code, const char *fmt, ...) {
  char prefix[WL_ERRMSG_MAX], old[WL_ERRMSG_MAX];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(prefix, sizeof prefix, fmt, ap);
  va_end(ap);
  memcpy(old, errmsg, sizeof old);
  if (old[0])
    snprintf(errmsg, sizeof errmsg, "%s: %s", prefix, old);
  else
    snprintf(errmsg, sizeof errmsg, "%s: %s", prefix, wl_strerror(code));
  return code;
}

const char *wl_errmsg(void) { return errmsg; }
void wl_err_clear(void) { errmsg[0] = '\0'; }

const char *wl_strerror(int code) {
  switch (code) {
#define WL_ERR_TEXT(name, c, text, user) \
  case c:                                \
    return text;
    WL_ERRNO_MAP(WL_ERR_TEXT)
#undef WL_ERR_TEXT
  }
  return "unknown error";
}

const char *wl_errname(int code) {
  switch (code) {
#define WL_ERR_NAME(name, c, text, user) \
  case c:                                \
    return "WL_E_" #name;
    WL_ERRNO_MAP(WL_ERR_NAME)
#undef WL_ERR_NAME
  }
  return "WL_E_?";
}

int wl_err_is_user(int code) {
  switch (code) {
#define WL_ERR_USER(name, c, text, user) \
  case c:                                \
    return user;
    WL_ERRNO_MAP(WL_ERR_USER)
#undef WL_ERR_USER
  }
  return 0;
}
