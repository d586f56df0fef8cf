# suma-console's Tenants page (issue 13): the proxy to suma-fleet's API
# (src/fleet_proxy.cc), its unit tests, and its API and browser tests against
# a fake fleet (tests/fake_fleet.py). Included from CMakeLists.txt after the
# console's targets exist.
target_sources(suma_console_lib PRIVATE src/fleet_proxy.cc)
target_include_directories(suma_console_lib PRIVATE ${RAPIDJSON_INCLUDE_DIR})
target_sources(suma_console_unit_tests PRIVATE tests/fleet_proxy_test.cc)
target_include_directories(suma_console_unit_tests PRIVATE ${RAPIDJSON_INCLUDE_DIR})

find_program(FLEET_UI_PYTHON3 NAMES python3 PATHS /usr/bin NO_DEFAULT_PATH)
set(FLEET_UI_TEST_ENV
  "PYTHONPATH=${PROJECT_SOURCE_DIR}/tests/support"
  "SUMAVLIB=$<TARGET_FILE:sumavlib>"
  "SUMA_CONSOLE_BIN=$<TARGET_FILE:suma-console>"
  "SUMA_BUILD_DIR=${CMAKE_BINARY_DIR}")

add_test(NAME console_fleet_api
  COMMAND ${FLEET_UI_PYTHON3} -m pytest -q -p no:cacheprovider ${CMAKE_CURRENT_SOURCE_DIR}/tests/test_fleet_api.py)
set_tests_properties(console_fleet_api PROPERTIES ENVIRONMENT "${FLEET_UI_TEST_ENV}" TIMEOUT 120)

# Exits 77 (skipped, saying why) without chromium or node/npm.
add_test(NAME console_tenants_browser
  COMMAND ${FLEET_UI_PYTHON3} ${CMAKE_CURRENT_SOURCE_DIR}/tests/run_tenants_browser_test.py)
set_tests_properties(console_tenants_browser PROPERTIES ENVIRONMENT "${FLEET_UI_TEST_ENV}" TIMEOUT 240
  SKIP_RETURN_CODE 77)

# The same routes against the real suma-fleet daemon (no container engine):
# skips, saying why, when there is no suma-fleet binary in the build.
add_test(NAME console_fleet_daemon
  COMMAND ${FLEET_UI_PYTHON3} -m pytest -q -rs -p no:cacheprovider ${CMAKE_CURRENT_SOURCE_DIR}/tests/test_fleet_daemon.py)
set_tests_properties(console_fleet_daemon PROPERTIES ENVIRONMENT "${FLEET_UI_TEST_ENV}" TIMEOUT 120
  SKIP_REGULAR_EXPRESSION "SKIPPED \\[")
