/* test_wl_version_path.c — the version-folder matcher (whitelist/version_path.h) as a table:
 * pairs of paths that are one program in two versions (Squirrel app-X.Y.Z, Chrome-style
 * X.Y.Z.W folders, WindowsApps package folders) and pairs that must not be taken for one
 * (app-data, a different file, a different publisher id, different depth, equal paths). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "whitelist/version_path.h"

#define WA "C:\\Program Files\\WindowsApps\\"
#define LAD "C:\\Users\\ann\\AppData\\Local\\"

static const struct {
  const char *a, *b;
  int kind;
} cases[] = {
    /* Squirrel */
    {LAD "Slack\\app-4.35.126\\slack.exe", LAD "Slack\\app-4.36.140\\slack.exe", WL_VERSION_SQUIRREL},
    {LAD "Discord\\app-1.0.9013\\Discord.exe", LAD "discord\\APP-1.0.9020\\discord.exe", WL_VERSION_SQUIRREL},
    {LAD "x\\app-1.2.3\\x.exe", LAD "x\\app-1.3.0\\x.exe", WL_VERSION_SQUIRREL},
    {LAD "x\\app-1.2.3\\x.exe", LAD "x\\app-data\\x.exe", WL_VERSION_NONE},
    {LAD "x\\app-1.2.3\\x.exe", LAD "x\\app-1.2.3-beta\\x.exe", WL_VERSION_NONE},
    {LAD "x\\app-1.2.3\\x.exe", LAD "x\\app-\\x.exe", WL_VERSION_NONE},
    {LAD "x\\app-1\\x.exe", LAD "x\\app-2\\x.exe", WL_VERSION_NONE},          /* one number: not a version */
    {LAD "x\\app-1.2.3\\x.exe", LAD "x\\app-1.3.0\\y.exe", WL_VERSION_NONE},  /* another file */
    {LAD "x\\app-1.2.3\\x.exe", LAD "y\\app-1.3.0\\x.exe", WL_VERSION_NONE},  /* another app */
    {LAD "x\\app-1.2.3\\x.exe", LAD "x\\1.3.0.1\\x.exe", WL_VERSION_NONE},    /* kinds differ */
    /* Chrome-style dotted folders */
    {"C:\\Program Files\\Google\\Chrome\\Application\\120.0.6099.71\\notification_helper.exe",
     "C:\\Program Files\\Google\\Chrome\\Application\\121.0.6167.85\\notification_helper.exe",
     WL_VERSION_DOTTED},
    {"C:\\p\\1.2.3\\a.exe", "C:\\p\\1.2.4\\a.exe", WL_VERSION_DOTTED},
    {"C:\\p\\1.2.3.4\\a.exe", "C:\\p\\1.2.3\\a.exe", WL_VERSION_DOTTED},
    {"C:\\p\\1.2\\a.exe", "C:\\p\\1.3\\a.exe", WL_VERSION_NONE},              /* two parts: a year.month, a name */
    {"C:\\p\\1.2.3.4.5\\a.exe", "C:\\p\\1.2.3.4.6\\a.exe", WL_VERSION_NONE},  /* five parts */
    {"C:\\p\\1.2.3.4\\a.exe", "C:\\p\\1.2.3.x\\a.exe", WL_VERSION_NONE},
    {"C:\\p\\2024\\a.exe", "C:\\p\\2025\\a.exe", WL_VERSION_NONE},
    {"C:\\p\\1.2.3.4\\a.exe", "C:\\p\\1.2.3.4\\a.exe", WL_VERSION_NONE},      /* equal: not an update */
    {"C:\\p\\1.2.3.4\\a.exe", "C:\\p\\1.2.3.5\\sub\\a.exe", WL_VERSION_NONE}, /* depth */
    {"\\device\\harddiskvolume3\\p\\1.2.3.4\\a.exe", "\\device\\harddiskvolume3\\p\\1.2.3.5\\a.exe",
     WL_VERSION_DOTTED},
    {"C:/p/1.2.3.4/a.exe", "c:\\P\\1.2.3.5\\A.EXE", WL_VERSION_DOTTED},
    /* WindowsApps */
    {WA "Microsoft.WindowsTerminal_1.18.3181.0_x64__8wekyb3d8bbwe\\WindowsTerminal.exe",
     WA "Microsoft.WindowsTerminal_1.19.10573.0_x64__8wekyb3d8bbwe\\WindowsTerminal.exe",
     WL_VERSION_WINDOWSAPPS},
    {WA "Contoso.App_1.0.0.0_x64__8wekyb3d8bbwe\\app.exe",
     WA "Contoso.App_1.0.1.0_x64__abcdefghjkmnp\\app.exe", WL_VERSION_NONE},   /* another publisher */
    {WA "Contoso.App_1.0.0.0_x64__8wekyb3d8bbwe\\app.exe",
     WA "Contoso.Other_1.0.1.0_x64__8wekyb3d8bbwe\\app.exe", WL_VERSION_NONE}, /* another package */
    {WA "Contoso.App_1.0.0.0_x64__8wekyb3d8bbwe\\app.exe",
     WA "Contoso.App_1.0.1.0_arm64__8wekyb3d8bbwe\\app.exe", WL_VERSION_NONE}, /* another arch */
    {WA "Contoso.App_1.0.0_x64__8wekyb3d8bbwe\\app.exe",
     WA "Contoso.App_1.0.1_x64__8wekyb3d8bbwe\\app.exe", WL_VERSION_NONE},     /* 3-part: not a package */
    {WA "Contoso.App_1.0.0.0_x64__8wekyb3d8bbw\\app.exe",
     WA "Contoso.App_1.0.1.0_x64__8wekyb3d8bbw\\app.exe", WL_VERSION_NONE},    /* id not 13 chars */
    {"", "", WL_VERSION_NONE},
    {"C:\\a.exe", "", WL_VERSION_NONE},
};

static void test_table(void **state) {
  (void)state;
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    int got = wl_version_path_match(cases[i].a, cases[i].b);
    int rev = wl_version_path_match(cases[i].b, cases[i].a);
    if (got != cases[i].kind || rev != got)
      fail_msg("case %zu: %s vs %s: got %s/%s, want %s", i, cases[i].a, cases[i].b,
               wl_version_kind_name(got), wl_version_kind_name(rev),
               wl_version_kind_name(cases[i].kind));
  }
  assert_int_equal(wl_version_path_match(NULL, "C:\\a"), WL_VERSION_NONE);
  assert_string_equal(wl_version_kind_name(WL_VERSION_WINDOWSAPPS), "windowsapps");
}

int main(void) {
  const struct CMUnitTest tests[] = {cmocka_unit_test(test_table)};
  return cmocka_run_group_tests(tests, NULL, NULL);
}
