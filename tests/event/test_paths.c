/* test_paths.c — NT <-> DOS path mapping (event/paths.h), table-driven: volume1 vs volume10,
 * \device\mup\ shares, case-insensitive device matching, unknown devices left alone, bad drive
 * specs, small output buffers, replacing a drive, basename, the map's gen (what the decoder's
 * cache of DOS forms compares), wl_path_is_dos. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "common/wl_err.h"
#include "event/paths.h"

static void make_map(wl_path_map *m) {
  wl_path_map_init(m);
  assert_int_equal(wl_path_map_add(m, 'c', "\\Device\\HarddiskVolume1"), WL_OK);
  assert_int_equal(wl_path_map_add(m, 'D', "\\device\\harddiskvolume10\\"), WL_OK);
  assert_int_equal(wl_path_map_add_spec(m, "E=\\device\\harddiskvolume2"), WL_OK);
}

typedef struct dos_case {
  const char *nt;
  int rc;
  const char *dos; /* expected when rc == 1 */
} dos_case;

static void test_to_dos(void **state) {
  (void)state;
  static const dos_case cases[] = {
      {"\\device\\harddiskvolume1\\windows\\system32\\svchost.exe", 1,
       "C:\\windows\\system32\\svchost.exe"},
      {"\\device\\harddiskvolume10\\tools\\x.exe", 1, "D:\\tools\\x.exe"},
      {"\\DEVICE\\HARDDISKVOLUME10\\Tools\\X.exe", 1, "D:\\Tools\\X.exe"}, /* rest keeps case */
      {"\\device\\harddiskvolume2\\a", 1, "E:\\a"},
      {"\\device\\harddiskvolume100\\a", 0, NULL}, /* needs '\' after the device */
      {"\\device\\harddiskvolume1", 0, NULL},      /* the bare device is not a file */
      {"\\device\\harddiskvolume3\\windows\\x.exe", 0, NULL}, /* unknown volume */
      {"\\device\\mup\\server\\share\\x.exe", 1, "\\\\server\\share\\x.exe"},
      {"\\Device\\Mup\\srv\\s\\y.exe", 1, "\\\\srv\\s\\y.exe"},
      {"\\device\\mup\\", 0, NULL},
      {"System", 0, NULL},
      {"-", 0, NULL},
      {"", 0, NULL},
      {"C:\\already\\dos.exe", 0, NULL},
  };
  wl_path_map m;
  make_map(&m);
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    char out[256] = "untouched";
    int rc = wl_path_to_dos(&m, cases[i].nt, out, sizeof out);
    if (rc != cases[i].rc)
      fail_msg("case %zu (%s): rc %d, want %d", i, cases[i].nt, rc, cases[i].rc);
    if (rc == 1)
      assert_string_equal(out, cases[i].dos);
    else
      assert_string_equal(out, "untouched");
  }
}

static void test_to_nt(void **state) {
  (void)state;
  static const dos_case cases[] = {
      {"C:\\Windows\\System32\\svchost.exe", 1,
       "\\device\\harddiskvolume1\\windows\\system32\\svchost.exe"},
      {"c:/Program Files/App.exe", 1, "\\device\\harddiskvolume1\\program files\\app.exe"},
      {"D:\\x", 1, "\\device\\harddiskvolume10\\x"},
      {"\\\\Server\\Share\\X.exe", 1, "\\device\\mup\\server\\share\\x.exe"},
      {"Z:\\nomap.exe", 0, NULL},
      {"C:relative.exe", 0, NULL},
      {"\\\\?\\C:\\x", 0, NULL},
      {"relative\\x.exe", 0, NULL},
      {"", 0, NULL},
  };
  wl_path_map m;
  make_map(&m);
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    char out[256] = "untouched";
    int rc = wl_path_to_nt(&m, cases[i].nt, out, sizeof out);
    if (rc != cases[i].rc)
      fail_msg("case %zu (%s): rc %d, want %d", i, cases[i].nt, rc, cases[i].rc);
    if (rc == 1)
      assert_string_equal(out, cases[i].dos);
  }
}

static void test_empty_map_and_null(void **state) {
  (void)state;
  wl_path_map m;
  wl_path_map_init(&m);
  char out[64] = "x";
  assert_int_equal(wl_path_to_dos(&m, "\\device\\harddiskvolume2\\a.exe", out, sizeof out), 0);
  assert_int_equal(wl_path_to_dos(NULL, "\\device\\harddiskvolume2\\a.exe", out, sizeof out), 0);
  assert_int_equal(wl_path_to_dos(NULL, "\\device\\mup\\s\\x", out, sizeof out), 1);
  assert_string_equal(out, "\\\\s\\x");
  assert_int_equal(wl_path_to_nt(&m, "C:\\a.exe", out, sizeof out), 0);
  assert_int_equal(wl_path_to_dos(&m, NULL, out, sizeof out), 0);
}

static void test_bad_specs(void **state) {
  (void)state;
  wl_path_map m;
  wl_path_map_init(&m);
  static const char *bad[] = {"", "C", "C\\device\\x", "1=\\device\\x", "C=", "C=device",
                              "C=\\", "=\\device\\x"};
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    int rc = wl_path_map_add_spec(&m, bad[i]);
    if (rc != WL_E_INVAL)
      fail_msg("spec '%s': rc %d, want WL_E_INVAL", bad[i], rc);
  }
  assert_int_equal(m.n, 0);
  assert_int_equal(wl_path_map_add_spec(&m, "c:=\\device\\harddiskvolume4"), WL_OK);
  assert_int_equal(m.n, 1);
  assert_int_equal(m.drives[0].letter, 'C');
  /* a device of 199 characters is kept (mapped drives and SUBSTs are that long: issue 12 item
   * 13; the bound was 95), one of WL_DEVICE_MAX is not */
  char dev[WL_DEVICE_MAX + 1], nt[WL_DEVICE_MAX + 32], dos[64];
  memset(dev, 'a', 199);
  dev[0] = '\\';
  dev[199] = '\0';
  assert_int_equal(wl_path_map_add(&m, 'F', dev), WL_OK);
  snprintf(nt, sizeof nt, "%s\\x\\f.exe", dev);
  assert_int_equal(wl_path_to_dos(&m, nt, dos, sizeof dos), 1);
  assert_string_equal(dos, "F:\\x\\f.exe");
  memset(dev, 'a', WL_DEVICE_MAX);
  dev[0] = '\\';
  dev[WL_DEVICE_MAX] = '\0';
  assert_int_equal(wl_path_map_add(&m, 'G', dev), WL_E_TOOBIG);
  assert_non_null(strstr(wl_errmsg(), "longer than"));
}

static void test_replace_and_full(void **state) {
  (void)state;
  wl_path_map m;
  wl_path_map_init(&m);
  assert_int_equal(wl_path_map_add(&m, 'C', "\\device\\harddiskvolume1"), WL_OK);
  assert_int_equal(wl_path_map_add(&m, 'C', "\\device\\harddiskvolume3"), WL_OK);
  assert_int_equal(m.n, 1);
  char out[64];
  assert_int_equal(wl_path_to_dos(&m, "\\device\\harddiskvolume1\\a", out, sizeof out), 0);
  assert_int_equal(wl_path_to_dos(&m, "\\device\\harddiskvolume3\\a", out, sizeof out), 1);
  assert_string_equal(out, "C:\\a");
  for (char l = 'A'; l <= 'Z'; l++)
    assert_int_equal(wl_path_map_add(&m, l, "\\device\\x"), WL_OK);
  assert_int_equal(m.n, 26);
  /* same device twice: the lowest letter wins */
  assert_int_equal(wl_path_to_dos(&m, "\\device\\x\\f", out, sizeof out), 1);
  assert_string_equal(out, "A:\\f");
}

static void test_small_buffers(void **state) {
  (void)state;
  wl_path_map m;
  make_map(&m);
  char out[8];
  assert_int_equal(wl_path_to_dos(&m, "\\device\\harddiskvolume1\\abcdef", out, sizeof out),
                   WL_E_TOOBIG);
  assert_int_equal(wl_path_to_dos(&m, "\\device\\harddiskvolume1\\abcd", out, sizeof out), 1);
  assert_string_equal(out, "C:\\abcd"); /* exactly fits: 7 bytes + NUL */
  assert_int_equal(wl_path_to_nt(&m, "C:\\a", out, sizeof out), WL_E_TOOBIG);
  /* in place: the output buffer is the input */
  char buf[64] = "\\device\\harddiskvolume2\\w\\x.exe";
  assert_int_equal(wl_path_to_dos(&m, buf, buf, sizeof buf), 1);
  assert_string_equal(buf, "E:\\w\\x.exe");
}

static void test_basename(void **state) {
  (void)state;
  assert_string_equal(wl_path_basename("\\device\\harddiskvolume2\\windows\\svchost.exe"),
                      "svchost.exe");
  assert_string_equal(wl_path_basename("C:/x/y.exe"), "y.exe");
  assert_string_equal(wl_path_basename("System"), "System");
  assert_string_equal(wl_path_basename("C:\\dir\\"), "");
  assert_string_equal(wl_path_basename(""), "");
  assert_string_equal(wl_path_basename(NULL), "");
}

/* gen: new with every init and successful add, never the same across maps or re-reads */
static void test_gen(void **state) {
  (void)state;
  wl_path_map a, b;
  wl_path_map_init(&a);
  wl_path_map_init(&b);
  uint64_t g0 = a.gen, g1 = b.gen;
  assert_true(g0 != g1);
  assert_int_equal(wl_path_map_add(&a, 'C', "\\device\\harddiskvolume3"), WL_OK);
  assert_int_equal(wl_path_map_add(&b, 'C', "\\device\\harddiskvolume3"), WL_OK);
  assert_true(a.gen != g0 && b.gen != g1 && a.gen != b.gen);
  uint64_t g2 = a.gen;
  assert_int_equal(wl_path_map_add(&a, 'C', "\\device\\harddiskvolume4"), WL_OK);
  assert_true(a.gen != g2);
  g2 = a.gen;
  assert_int_equal(wl_path_map_add(&a, '1', "\\device\\x"), WL_E_INVAL);
  assert_true(a.gen == g2); /* refused: unchanged */
  wl_path_map_init(&a); /* read again, the same drive as before */
  assert_int_equal(wl_path_map_add(&a, 'C', "\\device\\harddiskvolume4"), WL_OK);
  assert_true(a.gen != g2);
  wl_err_clear();
}

static void test_is_dos(void **state) {
  (void)state;
  assert_true(wl_path_is_dos("C:\\x"));
  assert_true(wl_path_is_dos("c:/x"));
  assert_true(wl_path_is_dos("\\\\server\\share"));
  assert_false(wl_path_is_dos("C:x"));
  assert_false(wl_path_is_dos("C:"));
  assert_false(wl_path_is_dos("\\device\\harddiskvolume3\\x"));
  assert_false(wl_path_is_dos(""));
  assert_false(wl_path_is_dos("x"));
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_to_dos),           cmocka_unit_test(test_to_nt),
      cmocka_unit_test(test_empty_map_and_null), cmocka_unit_test(test_bad_specs),
      cmocka_unit_test(test_replace_and_full), cmocka_unit_test(test_small_buffers),
      cmocka_unit_test(test_basename),         cmocka_unit_test(test_gen),
      cmocka_unit_test(test_is_dos),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
