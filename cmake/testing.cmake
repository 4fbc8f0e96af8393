# cmake/testing.cmake — how tests are registered (included by the top CMakeLists.txt when
# WL_BUILD_TESTS): the wine emulator for cross builds, test paths as the executables see them,
# sanitizer environments, and wl_add_test().
# --- running the Windows test .exes under wine (cross builds only). cmake/wine-run.sh uses a
#     prefix of this build's own (scripts/test.sh passes build/wineprefix), WINEDEBUG=-all and
#     winedbg disabled so a crash fails at once.
set(WL_WINE_PATHS OFF)
if(CMAKE_CROSSCOMPILING AND WIN32)
  find_program(WL_WINE NAMES wine wine64)
  if(WL_WINE)
    set(WL_WINE_PATHS ON)
    set(WL_WINEPREFIX "${CMAKE_BINARY_DIR}/wineprefix" CACHE PATH "wine prefix for running the tests")
    set(CMAKE_CROSSCOMPILING_EMULATOR "${CMAKE_SOURCE_DIR}/cmake/wine-run.sh;${WL_WINEPREFIX}")
  endif()
endif()

# wl_test_path(OUT PATH): PATH as the test executable sees it. Under wine the Unix root is drive
# Z:, so /work/shared becomes Z:/work/shared (forward slashes work with every Windows file API).
function(wl_test_path out path)
  get_filename_component(path "${path}" ABSOLUTE)
  if(WL_WINE_PATHS)
    set(path "Z:${path}")
  endif()
  set(${out} "${path}" PARENT_SCOPE)
endfunction()
wl_test_path(WL_TEST_SHARED_DIR "${WL_SHARED_DIR}")
wl_test_path(WL_TEST_DATA_DIR "${CMAKE_SOURCE_DIR}/tests/data")
wl_test_path(WL_TEST_SOURCE_DIR "${CMAKE_SOURCE_DIR}")
wl_test_path(WL_TEST_BUILD_DIR "${CMAKE_BINARY_DIR}")

# Sanitizer run-time options for every test of a sanitizer flavour.
set(WL_TEST_SAN_ENV "")
if(WL_SANITIZE STREQUAL "address")
  set(WL_TEST_SAN_ENV "ASAN_OPTIONS=detect_leaks=1:abort_on_error=0"
      "UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1")
elseif(WL_SANITIZE STREQUAL "thread")
  set(WL_TEST_SAN_ENV "TSAN_OPTIONS=halt_on_error=1:second_deadlock_stack=1")
endif()

# wl_tsan_tests builds just the tests labelled "tsan" (the TSan flavour builds only this target
# and runs `ctest -L tsan`).
add_custom_target(wl_tsan_tests)

# wl_add_test(NAME SOURCES... LIBS... [LABELS...] [ENV VAR=VALUE...]) — one cmocka executable
# registered with ctest. The environment of every test: WL_TEST_DATA_DIR (tests/data, the real
# samples kept in the repository), WL_SHARED_DIR (../shared, the ones that may not be: see
# wl_add_shared_test), WL_SOURCE_DIR, WL_BUILD_DIR — in the form the executable's own file APIs
# take (Z:/... under wine) — plus ENV. LABELS tsan: also built and run in the ThreadSanitizer
# flavour.
function(wl_add_test name)
  cmake_parse_arguments(T "" "" "SOURCES;LIBS;LABELS;ENV" ${ARGN})
  add_executable(${name} ${T_SOURCES})
  target_include_directories(${name} PRIVATE ${CMOCKA_INCLUDE_DIR} ${CMAKE_SOURCE_DIR})
  target_link_libraries(${name} PRIVATE ${T_LIBS} wl_test_support ${CMOCKA_LIBRARY})
  if(WIN32)
    target_compile_definitions(${name} PRIVATE CMOCKA_STATIC=1)
    # cmocka.h declares its printers format(printf), which GCC on mingw reads as the MSVCRT
    # dialect (no %zu); our own code is checked with format(gnu_printf) (WL_PRINTF).
    if(MINGW)
      target_compile_options(${name} PRIVATE -Wno-format)
    endif()
  endif()
  add_test(NAME ${name} COMMAND ${name})
  set(env "WL_TEST_DATA_DIR=${WL_TEST_DATA_DIR}" "WL_SHARED_DIR=${WL_TEST_SHARED_DIR}"
      "WL_SOURCE_DIR=${WL_TEST_SOURCE_DIR}" "WL_BUILD_DIR=${WL_TEST_BUILD_DIR}"
      ${WL_TEST_SAN_ENV} ${T_ENV})
  set_tests_properties(${name} PROPERTIES ENVIRONMENT "${env}" TIMEOUT 300)
  if(T_LABELS)
    set_tests_properties(${name} PROPERTIES LABELS "${T_LABELS}")
  endif()
  if("tsan" IN_LIST T_LABELS)
    add_dependencies(wl_tsan_tests ${name})
  endif()
endfunction()


# wl_add_shared_test(TEST): TEST_shared, a second ctest entry of TEST's executable (`TEST shared`,
# same environment) for the cases that need the real samples whose licences keep them out of the
# repository (GPL-3.0, none stated; tests/data/real/README.md). It reads them from
# WL_SHARED_DIR/data/real and exits with 77 when they are not there, which ctest reports as
# skipped (SKIP_RETURN_CODE), never as passed.
function(wl_add_shared_test name)
  add_test(NAME ${name}_shared COMMAND ${name} shared)
  get_test_property(${name} ENVIRONMENT env)
  get_test_property(${name} LABELS labels)
  set_tests_properties(${name}_shared PROPERTIES ENVIRONMENT "${env}" TIMEOUT 300
                       SKIP_RETURN_CODE 77)
  if(labels)
    set_tests_properties(${name}_shared PROPERTIES LABELS "${labels}")
  endif()
endfunction()
