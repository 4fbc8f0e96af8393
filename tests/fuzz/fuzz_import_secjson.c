/* fuzz_import_secjson.c — libFuzzer target for the secjson importer; the body is in
 * tests/fuzz_import_common.c. */
#include "import/import.h"

extern const int wl_fuzz_import_format;
const int wl_fuzz_import_format = WL_IMPORT_SECJSON;
