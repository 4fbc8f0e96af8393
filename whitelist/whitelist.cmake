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
