/* test_sim_signer.c — the sim's signers (engine/sim/sim_signer.c, wl_engine_signer on the sim,
 * issue 15 item 4): a traffic line's "signer" is parsed (too long refused), recorded for the file
 * when the attempt is classified and answered from then on, also by another handle (the state
 * file keeps it); wl_sim_set_file_signer declares and changes one, "" makes the file unsigned;
 * a file the sim does not have is WL_E_NOTFOUND. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "common/wl_err.h"
#include "common/wl_os.h"
#include "engine/engine.h"
#include "engine/sim/sim.h"

#define APP "C:\\Users\\ann\\AppData\\Local\\chat\\app-1.2.3\\chat.exe"
#define LINE_HEAD                                                                                  \
  "{\"ts\":\"2026-11-16T08:00:01Z\",\"app\":\"C:\\\\Users\\\\ann\\\\AppData\\\\Local\\\\chat\\\\"  \
  "app-1.2.3\\\\chat.exe\",\"dir\":\"out\",\"proto\":\"tcp\",\"local\":\"192.168.1.23:50000\","     \
  "\"remote\":\"8.8.8.8:443\""

static char g_state[256], g_spec[300];

static int setup(void **st) {
  (void)st;
  snprintf(g_state, sizeof g_state, "test_sim_signer_%u.state", (unsigned)wl_os_pid());
  snprintf(g_spec, sizeof g_spec, "sim:%s", g_state);
  return 0;
}

static int teardown(void **st) {
  (void)st;
  char p[300];
  remove(g_state);
  snprintf(p, sizeof p, "%s.lock", g_state);
  remove(p);
  return 0;
}

static wl_engine *open_sim(void) {
  wl_engine *e = NULL;
  assert_int_equal(wl_engine_open(g_spec, 0, &e), WL_OK);
  return e;
}

static void test_parse(void **st) {
  (void)st;
  wl_attempt a;
  const char *l = LINE_HEAD ",\"signer\":\"Contoso Chat Ltd\"}";
  assert_int_equal(wl_sim_parse_attempt(l, strlen(l), &a), WL_OK);
  assert_string_equal(a.signer, "Contoso Chat Ltd");
  l = LINE_HEAD "}";
  assert_int_equal(wl_sim_parse_attempt(l, strlen(l), &a), WL_OK);
  assert_string_equal(a.signer, "");
  char big[WL_SIGNER_MAX + 400];
  snprintf(big, sizeof big, LINE_HEAD ",\"signer\":\"%0*d\"}", WL_SIGNER_MAX, 7);
  assert_int_equal(wl_sim_parse_attempt(big, strlen(big), &a), WL_E_PARSE);
  assert_non_null(strstr(wl_errmsg(), "signer"));
  l = LINE_HEAD ",\"signer\":7}";
  assert_int_equal(wl_sim_parse_attempt(l, strlen(l), &a), WL_E_PARSE);
}

static void test_classify_records(void **st) {
  (void)st;
  wl_attempt a;
  wl_decision d;
  wl_signer sg;
  const char *l = LINE_HEAD ",\"signer\":\"Contoso Chat Ltd\"}";
  wl_engine *e = open_sim();
  assert_int_equal(wl_engine_signer(e, APP, &sg), WL_E_NOTFOUND); /* not on this machine yet */
  assert_int_equal(wl_sim_parse_attempt(l, strlen(l), &a), WL_OK);
  assert_int_equal(wl_sim_classify(e, &a, &d), WL_OK);
  assert_int_equal(wl_engine_signer(e, APP, &sg), WL_OK);
  assert_int_equal(sg.status, WL_SIGN_SIGNED);
  assert_string_equal(sg.name, "Contoso Chat Ltd");
  wl_engine_close(e);
  e = open_sim(); /* another handle reads it from the state file */
  assert_int_equal(wl_engine_signer(e, "c:/users/ANN/appdata/local/chat/app-1.2.3/chat.exe", &sg),
                   WL_OK);
  assert_string_equal(sg.name, "Contoso Chat Ltd");
  /* a line without a signer leaves it; another signer replaces it */
  l = LINE_HEAD "}";
  assert_int_equal(wl_sim_parse_attempt(l, strlen(l), &a), WL_OK);
  assert_int_equal(wl_sim_classify(e, &a, &d), WL_OK);
  assert_int_equal(wl_engine_signer(e, APP, &sg), WL_OK);
  assert_string_equal(sg.name, "Contoso Chat Ltd");
  assert_int_equal(wl_sim_set_file_signer(e, APP, "Mallory Software"), WL_OK);
  assert_int_equal(wl_engine_signer(e, APP, &sg), WL_OK);
  assert_string_equal(sg.name, "Mallory Software");
  assert_int_equal(wl_sim_set_file_signer(e, APP, ""), WL_OK);
  assert_int_equal(wl_engine_signer(e, APP, &sg), WL_OK);
  assert_int_equal(sg.status, WL_SIGN_UNSIGNED);
  assert_string_equal(sg.name, "");
  /* declared signed: the file exists; deleted: not found, whatever its signer was */
  assert_int_equal(wl_sim_set_file_signer(e, "D:\\tools\\t.exe", "Tools Inc"), WL_OK);
  assert_int_equal(wl_engine_signer(e, "D:\\tools\\t.exe", &sg), WL_OK);
  assert_string_equal(sg.name, "Tools Inc");
  assert_int_equal(wl_sim_set_file(e, "D:\\tools\\t.exe", 0), WL_OK);
  assert_int_equal(wl_engine_signer(e, "D:\\tools\\t.exe", &sg), WL_E_NOTFOUND);
  assert_int_equal(wl_sim_set_file_signer(e, "relative.exe", "X"), WL_E_INVAL);
  assert_string_equal(wl_sign_status_name(WL_SIGN_UNTRUSTED), "untrusted");
  wl_engine_close(e);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(test_parse, setup, teardown),
      cmocka_unit_test_setup_teardown(test_classify_records, setup, teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
