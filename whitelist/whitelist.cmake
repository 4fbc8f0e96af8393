# whitelist/whitelist.cmake — the whitelist engine (proposals, rules → filters, verify, enforce,
# policy files, uninstall) and its tests. Everything goes through wfp/engine.h, so the tests run
# natively on the sim engine.
add_library(wl_whitelist STATIC
  ${CMAKE_CURRENT_SOURCE_DIR}/rule.c
  ${CMAKE_CURRENT_SOURCE_DIR}/evidence.c
  ${CMAKE_CURRENT_SOURCE_DIR}/proposals.c
  ${CMAKE_CURRENT_SOURCE_DIR}/filters.c
  ${CMAKE_CURRENT_SOURCE_DIR}/install.c
  ${CMAKE_CURRENT_SOURCE_DIR}/apply.c
  ${CMAKE_CURRENT_SOURCE_DIR}/verify.c
  ${CMAKE_CURRENT_SOURCE_DIR}/enforce.c
  ${CMAKE_CURRENT_SOURCE_DIR}/policy.c)
target_include_directories(wl_whitelist PUBLIC ${CMAKE_SOURCE_DIR})
target_link_libraries(wl_whitelist PUBLIC wl_db wl_wfp wl_paths wl_event wl_common Threads::Threads)

wl_add_test(test_wl_scope SOURCES ${CMAKE_SOURCE_DIR}/tests/test_wl_scope.c LIBS wl_whitelist)
# Review's essential exceptions against the enforce filters, classified by the sim.
wl_add_test(test_wl_exceptions SOURCES ${CMAKE_SOURCE_DIR}/tests/test_wl_exceptions.c
            LIBS wl_whitelist)
# The end-to-end tests run wfplearn's commands in-process (wl_cli) and start the enforce
# watchdog from the test executable itself (see tests/test_wl_world.h).
wl_add_test(test_wl_story SOURCES ${CMAKE_SOURCE_DIR}/tests/test_wl_story.c
            ${CMAKE_SOURCE_DIR}/tests/test_wl_world.c LIBS wl_cli wl_whitelist)
wl_add_test(test_wl_cli SOURCES ${CMAKE_SOURCE_DIR}/tests/test_wl_cli.c
            ${CMAKE_SOURCE_DIR}/tests/test_wl_world.c LIBS wl_cli wl_whitelist)
wl_add_test(test_wl_enforce SOURCES ${CMAKE_SOURCE_DIR}/tests/test_wl_enforce.c
            ${CMAKE_SOURCE_DIR}/tests/test_wl_world.c LIBS wl_cli wl_whitelist)

# Windows build: the filters through the real fwpuclnt backend and our fake fwpuclnt.dll under
# wine, compared field by field with what the whitelist meant. The .exe sits beside the DLL.
if(WIN32 AND TARGET fwpuclnt)
  wl_add_test(test_wl_wine SOURCES ${CMAKE_SOURCE_DIR}/tests/test_wl_wine.c LIBS wl_whitelist
              ENV "WINEDLLOVERRIDES=fwpuclnt=n,b" "WL_SIM_STATE=test_wl_wine.state")
  set_target_properties(test_wl_wine PROPERTIES RUNTIME_OUTPUT_DIRECTORY ${CMAKE_BINARY_DIR}/wfp)
  set_tests_properties(test_wl_wine PROPERTIES WORKING_DIRECTORY ${CMAKE_BINARY_DIR}/wfp)
  add_dependencies(test_wl_wine fwpuclnt)
endif()
