/* fuzz_import_evtxml.c — libFuzzer target for the evtxml importer; the body is in
 * tests/fuzz_import_common.c. */
#include "import/import.h"

extern const int wl_fuzz_import_format;
const int wl_fuzz_import_format = WL_IMPORT_EVTXML;
