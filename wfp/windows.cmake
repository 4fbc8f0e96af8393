# wfp/windows.cmake — the Windows half of the engine seam (included by wfp/CMakeLists.txt when
# WIN32, after sim.cmake):
#   - the fwpuclnt backend (win_*.c) compiled into wl_wfp with WL_HAVE_FWPUCLNT; it links no
#     fwpuclnt import library: every Fwpm* entry point is resolved at run time (win_api.c);
#   - the fake fwpuclnt.dll (fake_*.c + the sim), built beside the test .exes of this folder so
#     that wine loads it instead of its own stub (WINEDLLOVERRIDES=fwpuclnt=n,b for the tests);
#   - the Windows tests.
if(NOT TARGET wl_wfp OR NOT TARGET wl_sim)
  message(WARNING "wfp/windows.cmake: wl_wfp/wl_sim not defined; fwpuclnt backend not built")
  return()
endif()

target_sources(wl_wfp PRIVATE
  ${CMAKE_CURRENT_LIST_DIR}/win_api.c
  ${CMAKE_CURRENT_LIST_DIR}/win_backend.c
  ${CMAKE_CURRENT_LIST_DIR}/win_filter.c
  ${CMAKE_CURRENT_LIST_DIR}/win_events.c
  ${CMAKE_CURRENT_LIST_DIR}/win_evcopy.c)
target_compile_definitions(wl_wfp PRIVATE WL_HAVE_FWPUCLNT)
target_link_libraries(wl_wfp PUBLIC advapi32 rpcrt4)

# The fake fwpuclnt.dll: output name fwpuclnt.dll, no "lib" prefix, no import library needed.
add_library(fwpuclnt SHARED
  ${CMAKE_CURRENT_LIST_DIR}/fake_core.c
  ${CMAKE_CURRENT_LIST_DIR}/fake_engine.c
  ${CMAKE_CURRENT_LIST_DIR}/fake_filter.c
  ${CMAKE_CURRENT_LIST_DIR}/fake_events.c
  ${CMAKE_CURRENT_LIST_DIR}/fake_fwpuclnt.def)
set_target_properties(fwpuclnt PROPERTIES PREFIX "" OUTPUT_NAME fwpuclnt
  RUNTIME_OUTPUT_DIRECTORY ${CMAKE_CURRENT_BINARY_DIR})
target_link_libraries(fwpuclnt PRIVATE wl_sim wl_common advapi32)

# Tests that go through the fake DLL sit in the same folder as it and depend on it.
set(WL_WIN_FAKE_ENV "WINEDLLOVERRIDES=fwpuclnt=n,b" "WL_SIM_STATE=test_win_fake.state")
wl_add_test(test_win_evcopy SOURCES ${CMAKE_SOURCE_DIR}/tests/test_win_evcopy.c LIBS wl_wfp)
wl_add_test(test_win_backend SOURCES ${CMAKE_SOURCE_DIR}/tests/test_win_backend.c LIBS wl_wfp)
wl_add_test(test_win_fake SOURCES ${CMAKE_SOURCE_DIR}/tests/test_win_fake.c LIBS wl_wfp
            ENV ${WL_WIN_FAKE_ENV})
set_tests_properties(test_win_fake PROPERTIES WORKING_DIRECTORY ${CMAKE_CURRENT_BINARY_DIR})
foreach(t test_win_evcopy test_win_backend test_win_fake)
  set_target_properties(${t} PROPERTIES RUNTIME_OUTPUT_DIRECTORY ${CMAKE_CURRENT_BINARY_DIR})
endforeach()
add_dependencies(test_win_fake fwpuclnt)
