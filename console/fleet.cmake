# suma-console's Tenants page (issue 13): the proxy to suma-fleet's API
# (src/fleet_proxy.cc), its unit tests, and its API and browser tests against
# a fake fleet (tests/fake_fleet.py). Included from CMakeLists.txt after the
# console's targets exist.
target_sources(suma_console_lib PRIVATE src/fleet_proxy.cc)
target_include_directories(suma_console_lib PRIVATE ${RAPIDJSON_INCLUDE_DIR})
target_sources(suma_console_unit_tests PRIVATE tests/fleet_proxy_test.cc)
target_include_directories(suma_console_unit_tests PRIVATE ${RAPIDJSON_INCLUDE_DIR})

set(FLEET_UI_TEST_ENV
  "SUMA_CONSOLE_BIN=$<TARGET_FILE:suma-console>"
  "SUMA_BUILD_DIR=${CMAKE_BINARY_DIR}")

suma_add_pytest(NAME console_fleet_api PATHS ${CMAKE_CURRENT_SOURCE_DIR}/tests/test_fleet_api.py
  ENVIRONMENT ${FLEET_UI_TEST_ENV} TIMEOUT 120)

# Exits 77 (skipped, saying why) without chromium or node/npm; 1 under CI.
suma_add_test(NAME console_tenants_browser
  COMMAND ${Python3_EXECUTABLE} ${CMAKE_CURRENT_SOURCE_DIR}/tests/run_tenants_browser_test.py
  ENVIRONMENT ${FLEET_UI_TEST_ENV} TIMEOUT 240 LABELS slow)

# The same routes against the real suma-fleet daemon (no container engine).
suma_add_pytest(NAME console_fleet_daemon PATHS ${CMAKE_CURRENT_SOURCE_DIR}/tests/test_fleet_daemon.py
  ENVIRONMENT ${FLEET_UI_TEST_ENV} TIMEOUT 120)
