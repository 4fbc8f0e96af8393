# monitor/capture.cmake — capture: the decoder, the subscriber callback, the sources (wfp,
# replay:FILE, sim:TRAFFIC), the consumer thread that feeds the store, attribution; their tests,
# the replay fuzz target (clang, -DWL_FUZZ=ON) and the capture benchmark.
add_library(wl_capture STATIC decode.c replay.c)
target_include_directories(wl_capture PUBLIC ${CMAKE_SOURCE_DIR})
target_link_libraries(wl_capture PUBLIC wl_event wl_common Threads::Threads)

wl_add_test(test_decode SOURCES ${CMAKE_SOURCE_DIR}/tests/test_decode.c LIBS wl_capture)
wl_add_test(test_capture_replay SOURCES ${CMAKE_SOURCE_DIR}/tests/test_capture_replay.c
            LIBS wl_capture)
