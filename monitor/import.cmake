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

# libFuzzer targets, one per format (clang, -DWL_FUZZ=ON); scripts/checks/fuzz-import.sh runs
# them for a fixed number of iterations. The importers are compiled a second time with coverage
# instrumentation (the store-backed part is not needed); expat is Debian's, uninstrumented.
if(WL_FUZZ)
  set(WL_IMP ${CMAKE_CURRENT_SOURCE_DIR})
  add_library(wl_import_fuzz STATIC ${WL_IMP}/import_core.c ${WL_IMP}/import_sec.c
              ${WL_IMP}/import_secjson.c ${WL_IMP}/import_evtxml.c ${WL_IMP}/import_pfw.c
              ${WL_IMP}/paths.c ${WL_IMP}/event.c)
  target_include_directories(wl_import_fuzz PUBLIC ${CMAKE_SOURCE_DIR})
  target_compile_options(wl_import_fuzz PRIVATE -fsanitize=fuzzer-no-link,address,undefined)
  target_link_libraries(wl_import_fuzz PUBLIC wl_common_fuzz EXPAT::EXPAT)
  foreach(fmt secjson evtxml pfirewall)
    add_executable(fuzz_import_${fmt} ${CMAKE_SOURCE_DIR}/tests/fuzz_import_${fmt}.c
                   ${CMAKE_SOURCE_DIR}/tests/fuzz_import_common.c)
    target_link_libraries(fuzz_import_${fmt} PRIVATE wl_import_fuzz)
    target_compile_options(fuzz_import_${fmt} PRIVATE -fsanitize=fuzzer,address,undefined)
    target_link_options(fuzz_import_${fmt} PRIVATE -fsanitize=fuzzer,address,undefined)
  endforeach()
endif()
