# monitor/import.cmake — the log importers (Security-log JSON lines, Event XML, pfirewall.log),
# the NT <-> DOS path map they share with capture, their tests, fuzz targets (clang,
# -DWL_FUZZ=ON) and nothing else.

# The path map is its own small library: capture links it too.
add_library(wl_paths STATIC ${CMAKE_CURRENT_SOURCE_DIR}/paths.c)
target_include_directories(wl_paths PUBLIC ${CMAKE_SOURCE_DIR})
target_link_libraries(wl_paths PUBLIC wl_common)

wl_add_test(test_paths SOURCES ${CMAKE_SOURCE_DIR}/tests/test_paths.c LIBS wl_paths)

add_library(wl_import STATIC
  ${CMAKE_CURRENT_SOURCE_DIR}/import_core.c
  ${CMAKE_CURRENT_SOURCE_DIR}/import_sec.c
  ${CMAKE_CURRENT_SOURCE_DIR}/import_secjson.c
  ${CMAKE_CURRENT_SOURCE_DIR}/import_evtxml.c
  ${CMAKE_CURRENT_SOURCE_DIR}/import_pfw.c
  ${CMAKE_CURRENT_SOURCE_DIR}/import_store.c)
target_include_directories(wl_import PUBLIC ${CMAKE_SOURCE_DIR})
# wl_db is defined by db/, configured after monitor/ (resolved at generate time).
target_link_libraries(wl_import PUBLIC wl_paths wl_event wl_db wl_common EXPAT::EXPAT)

wl_add_test(test_import SOURCES ${CMAKE_SOURCE_DIR}/tests/test_import.c LIBS wl_import)
wl_add_test(test_import_bad SOURCES ${CMAKE_SOURCE_DIR}/tests/test_import_bad.c LIBS wl_import)
# the store-backed import and the command (wl_cli is defined by cli/, configured later)
wl_add_test(test_import_store SOURCES ${CMAKE_SOURCE_DIR}/tests/test_import_store.c
            LIBS wl_cli wl_import)
