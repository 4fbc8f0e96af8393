# wfp/sim.cmake — the simulated engine (wl_sim, portable, no dispatcher) and the engine seam's
# dispatcher (wl_wfp: engine.c + wl_sim; on Windows, windows.cmake adds the fwpuclnt backend to
# wl_wfp with target_sources and defines WL_HAVE_FWPUCLNT). The fake fwpuclnt.dll links wl_sim.
add_library(wl_sim STATIC
  ${CMAKE_CURRENT_LIST_DIR}/sim_state.c
  ${CMAKE_CURRENT_LIST_DIR}/sim_store.c
  ${CMAKE_CURRENT_LIST_DIR}/sim_check.c
  ${CMAKE_CURRENT_LIST_DIR}/sim_classify.c
  ${CMAKE_CURRENT_LIST_DIR}/sim_events.c
  ${CMAKE_CURRENT_LIST_DIR}/sim_engine.c
  ${CMAKE_CURRENT_LIST_DIR}/sim_objects.c
  ${CMAKE_CURRENT_LIST_DIR}/sim_traffic.c
  ${CMAKE_CURRENT_LIST_DIR}/sim_appid.c)
if(WIN32)
  target_sources(wl_sim PRIVATE ${CMAKE_CURRENT_LIST_DIR}/sim_os_win.c)
else()
  target_sources(wl_sim PRIVATE ${CMAKE_CURRENT_LIST_DIR}/sim_os_posix.c)
endif()
target_include_directories(wl_sim PUBLIC ${CMAKE_SOURCE_DIR})
target_link_libraries(wl_sim PUBLIC wl_common Threads::Threads)

add_library(wl_wfp STATIC ${CMAKE_CURRENT_LIST_DIR}/engine.c)
target_include_directories(wl_wfp PUBLIC ${CMAKE_SOURCE_DIR})
target_link_libraries(wl_wfp PUBLIC wl_sim wl_common)

wl_add_test(test_sim SOURCES ${CMAKE_SOURCE_DIR}/tests/test_sim.c LIBS wl_wfp)
if(NOT WIN32)
  target_compile_definitions(test_sim PRIVATE WL_TEST_NATIVE=1)
endif()
wl_add_test(test_sim_events SOURCES ${CMAKE_SOURCE_DIR}/tests/test_sim_events.c LIBS wl_wfp
            LABELS tsan)
wl_add_test(test_sim_traffic SOURCES ${CMAKE_SOURCE_DIR}/tests/test_sim_traffic.c LIBS wl_wfp
            LABELS tsan)

# The throughput benchmark (scripts/bench/sim.sh).
add_executable(sim_bench ${CMAKE_CURRENT_LIST_DIR}/sim_bench.c)
target_link_libraries(sim_bench PRIVATE wl_wfp)
