# store.cmake — db/: the SQLite store (wl_db), its tests and its benchmark program.
add_library(wl_db STATIC
  ${CMAKE_CURRENT_LIST_DIR}/store.c
  ${CMAKE_CURRENT_LIST_DIR}/schema.c
  ${CMAKE_CURRENT_LIST_DIR}/store_map.c
  ${CMAKE_CURRENT_LIST_DIR}/store_write.c
  ${CMAKE_CURRENT_LIST_DIR}/store_read.c
  ${CMAKE_CURRENT_LIST_DIR}/store_rules.c)
target_include_directories(wl_db PUBLIC ${CMAKE_SOURCE_DIR})
target_link_libraries(wl_db PUBLIC SQLite::SQLite3 wl_common wl_event)

set(WL_STORE_TEST_DIR ${CMAKE_SOURCE_DIR}/tests)
wl_add_test(test_store SOURCES ${WL_STORE_TEST_DIR}/test_store.c
  ${WL_STORE_TEST_DIR}/test_store_util.c ${WL_STORE_TEST_DIR}/test_store_gen.c LIBS wl_db m)
wl_add_test(test_store_retain SOURCES ${WL_STORE_TEST_DIR}/test_store_retain.c
  ${WL_STORE_TEST_DIR}/test_store_util.c ${WL_STORE_TEST_DIR}/test_store_gen.c LIBS wl_db m)
wl_add_test(test_store_crash SOURCES ${WL_STORE_TEST_DIR}/test_store_crash.c
  ${WL_STORE_TEST_DIR}/test_store_gen.c LIBS wl_db m)
# `wfplearn status` (cli/cmd_status.c); wl_cli is defined later in cli/, linked by name
wl_add_test(test_store_status SOURCES ${WL_STORE_TEST_DIR}/test_store_status.c
  ${WL_STORE_TEST_DIR}/test_store_gen.c LIBS wl_cli wl_db m)
if(NOT WIN32)
  # read-only file (as another user when root), full disk (RLIMIT_FSIZE): POSIX-only tools
  wl_add_test(test_store_posix SOURCES ${WL_STORE_TEST_DIR}/test_store_posix.c
    ${WL_STORE_TEST_DIR}/test_store_gen.c LIBS wl_db m)
endif()

# The benchmark program (scripts/bench/store.sh runs it); not a test.
add_executable(store_bench ${CMAKE_SOURCE_DIR}/bench/store_bench.c
  ${WL_STORE_TEST_DIR}/test_store_gen.c)
target_link_libraries(store_bench PRIVATE wl_db m Threads::Threads)
