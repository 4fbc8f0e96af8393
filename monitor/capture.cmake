# monitor/capture.cmake — capture: the decoder, the subscriber callback, the sources (wfp,
# replay:FILE, sim:TRAFFIC), the consumer thread that feeds the store, attribution; their tests,
# the replay fuzz target (clang, -DWL_FUZZ=ON) and the capture benchmark.
add_library(wl_capture STATIC decode.c replay.c capture.c subscriber.c consumer.c
            attribution.c source_wfp.c source_sim.c source_replay.c)
target_include_directories(wl_capture PUBLIC ${CMAKE_SOURCE_DIR})
# wl_wfp and wl_db are defined by folders configured after monitor/ (resolved at generate time).
target_link_libraries(wl_capture PUBLIC wl_event wl_paths $<TARGET_NAME_IF_EXISTS:wl_wfp>
                      $<TARGET_NAME_IF_EXISTS:wl_db> wl_common Threads::Threads)

# Tests of the pure parts: decoder and event stream (need no engine or store).
add_library(wl_capture_pure STATIC decode.c replay.c)
target_include_directories(wl_capture_pure PUBLIC ${CMAKE_SOURCE_DIR})
target_link_libraries(wl_capture_pure PUBLIC wl_event wl_common)
wl_add_test(test_decode SOURCES ${CMAKE_SOURCE_DIR}/tests/test_decode.c LIBS wl_capture_pure)
wl_add_test(test_capture_replay SOURCES ${CMAKE_SOURCE_DIR}/tests/test_capture_replay.c
            LIBS wl_capture_pure)
