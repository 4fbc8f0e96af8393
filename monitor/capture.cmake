# monitor/capture.cmake — capture: the decoder, the subscriber callback, the sources (wfp,
# replay:FILE, sim:TRAFFIC), the consumer thread that feeds the store, attribution; their tests,
# the replay fuzz target (clang, -DWL_FUZZ=ON), the traffic generator and the benchmark.
add_library(wl_capture STATIC decode.c replay.c sink.c capture.c subscriber.c consumer.c
            attribution.c source_wfp.c source_sim.c source_replay.c)
target_include_directories(wl_capture PUBLIC ${CMAKE_SOURCE_DIR})
# wl_wfp and wl_db are defined by folders configured after monitor/ (resolved at generate time).
target_link_libraries(wl_capture PUBLIC wl_event wl_paths $<TARGET_NAME_IF_EXISTS:wl_wfp>
                      $<TARGET_NAME_IF_EXISTS:wl_db> wl_common Threads::Threads)

set(WL_CAP_TESTS ${CMAKE_SOURCE_DIR}/tests)
wl_add_test(test_decode SOURCES ${WL_CAP_TESTS}/test_decode.c LIBS wl_capture)
wl_add_test(test_capture_replay SOURCES ${WL_CAP_TESTS}/test_capture_replay.c LIBS wl_capture)
wl_add_test(test_capture_callback SOURCES ${WL_CAP_TESTS}/test_capture_callback.c
            LIBS wl_capture wl_wfp LABELS tsan)
wl_add_test(test_capture SOURCES ${WL_CAP_TESTS}/test_capture.c ${WL_CAP_TESTS}/gen_traffic.c
            LIBS wl_capture wl_wfp wl_db SQLite::SQLite3 LABELS tsan)
# `wfplearn learn` itself (wl_cli is defined after monitor/: linked by name).
wl_add_test(test_capture_cli SOURCES ${WL_CAP_TESTS}/test_capture_cli.c ${WL_CAP_TESTS}/gen_traffic.c
            LIBS wl_cli)
# SIGTERM in the middle of `learn` (a C signal: POSIX builds only; Windows has its console
# control handler instead), its own entry and files.
if(NOT WIN32)
  add_test(NAME test_capture_cli_signal COMMAND test_capture_cli signal)
  get_test_property(test_capture_cli ENVIRONMENT WL_CAP_CLI_ENV)
  set_tests_properties(test_capture_cli_signal PROPERTIES ENVIRONMENT "${WL_CAP_CLI_ENV}"
                       TIMEOUT 120)
endif()
# Windows build: capture through the real fwpuclnt backend and the fake fwpuclnt.dll (wfp/
# windows.cmake builds it in the wfp folder; the test runs beside it, as wfp's own tests do).
if(WIN32)
  wl_add_test(test_capture_wfp SOURCES ${WL_CAP_TESTS}/test_capture_wfp.c ${WL_CAP_TESTS}/gen_traffic.c
              LIBS wl_capture wl_wfp wl_db
              ENV "WINEDLLOVERRIDES=fwpuclnt=n,b" "WL_SIM_STATE=test_capture_wfp.state")
  set_target_properties(test_capture_wfp PROPERTIES RUNTIME_OUTPUT_DIRECTORY ${CMAKE_BINARY_DIR}/wfp)
  set_tests_properties(test_capture_wfp PROPERTIES WORKING_DIRECTORY ${CMAKE_BINARY_DIR}/wfp)
  add_dependencies(test_capture_wfp fwpuclnt)
endif()
# The 1,000,000-attempt end-to-end run as its own entry (100,000 under wine: SQLite is slow there).
add_test(NAME test_capture_e2e COMMAND test_capture e2e)
get_test_property(test_capture ENVIRONMENT WL_CAP_ENV)
if(WIN32)
  list(APPEND WL_CAP_ENV WL_CAPTURE_E2E_N=100000)
endif()
set_tests_properties(test_capture_e2e PROPERTIES ENVIRONMENT "${WL_CAP_ENV}" TIMEOUT 300)

# A plain 1,000,000-attempt traffic generator (tests call its function; this is the program).
add_executable(gen_traffic ${WL_CAP_TESTS}/gen_traffic.c)
target_compile_definitions(gen_traffic PRIVATE WL_GEN_TRAFFIC_MAIN)
target_include_directories(gen_traffic PRIVATE ${CMAKE_SOURCE_DIR})
target_link_libraries(gen_traffic PRIVATE wl_common)

# libFuzzer target for the event stream parser (and the decoder behind it): clang with
# -DWL_FUZZ=ON; scripts/checks/fuzz-replay.sh runs it for a fixed number of iterations.
if(WL_FUZZ)
  add_library(wl_capture_fuzz STATIC decode.c replay.c event.c)
  target_include_directories(wl_capture_fuzz PUBLIC ${CMAKE_SOURCE_DIR})
  target_compile_options(wl_capture_fuzz PRIVATE -fsanitize=fuzzer-no-link,address,undefined)
  target_link_libraries(wl_capture_fuzz PUBLIC wl_common_fuzz)
  add_executable(fuzz_replay ${WL_CAP_TESTS}/fuzz_replay.c)
  target_link_libraries(fuzz_replay PRIVATE wl_capture_fuzz)
  target_compile_options(fuzz_replay PRIVATE -fsanitize=fuzzer,address,undefined)
  target_link_options(fuzz_replay PRIVATE -fsanitize=fuzzer,address,undefined)
endif()

# The benchmark program (scripts/bench/capture.sh runs it); not a test.
add_executable(capture_bench ${CMAKE_SOURCE_DIR}/bench/capture_bench.c)
target_link_libraries(capture_bench PRIVATE wl_capture Threads::Threads)
