/* fail_alloc_expat.c — expat's allocations through the fault injector (see fail_alloc.h).
 *
 * The importer creates its parsers with XML_ParserCreate, which allocates with the C library
 * inside libexpat, out of --wrap's reach. A test linked with -Wl,--wrap=XML_ParserCreate gets
 * this function instead: the parser is made with XML_ParserCreate_MM and a memory suite of the
 * counted allocators, so its creation and every allocation expat makes for it later (buffers,
 * names, attributes) can fail. The importer
 * is unchanged.
 */
#include <stddef.h>
#include <stdlib.h>

#include <expat.h>

#include "tests/support/fail_alloc.h"

XML_Parser __wrap_XML_ParserCreate(const XML_Char *encoding);
void *__wrap_malloc(size_t n);
void *__wrap_realloc(void *p, size_t n);

static void *counted_malloc(size_t n) { return __wrap_malloc(n); }
static void *counted_realloc(void *p, size_t n) { return __wrap_realloc(p, n); }
static void plain_free(void *p) { free(p); }

XML_Parser __wrap_XML_ParserCreate(const XML_Char *encoding) {
  static const XML_Memory_Handling_Suite suite = {counted_malloc, counted_realloc, plain_free};
  return XML_ParserCreate_MM(encoding, &suite, NULL);
}
