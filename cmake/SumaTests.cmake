# How every suite is registered with ctest, so they all get the same rules:
# - PYTHONPATH holds tests/support (the suma_testing package), SUMAVLIB the module;
# - exit code 77 is a skip (suma_testing.ctest turns a pytest skip into 77,
#   and into a failure when CI is set), never a pass;
# - LABELS slow keeps a test out of the fast tier (`ctest -LE slow`).
set(SUMA_TEST_ENV
  "PYTHONPATH=${PROJECT_SOURCE_DIR}/tests/support"
  "SUMAVLIB=$<TARGET_FILE:sumavlib>"
  "SUMA_BUILD_DIR=${CMAKE_BINARY_DIR}")

# suma_add_test(NAME n COMMAND cmd... [ENVIRONMENT e...] [LABELS l...]
#               [TIMEOUT s] [RUN_SERIAL])
function(suma_add_test)
  cmake_parse_arguments(T "RUN_SERIAL" "NAME;TIMEOUT" "COMMAND;ENVIRONMENT;LABELS" ${ARGN})
  add_test(NAME ${T_NAME} COMMAND ${T_COMMAND})
  if(NOT T_TIMEOUT)
    set(T_TIMEOUT 300)
  endif()
  set_tests_properties(${T_NAME} PROPERTIES
    ENVIRONMENT "${SUMA_TEST_ENV};${T_ENVIRONMENT}"
    SKIP_RETURN_CODE 77
    TIMEOUT ${T_TIMEOUT})
  if(T_LABELS)
    set_tests_properties(${T_NAME} PROPERTIES LABELS "${T_LABELS}")
  endif()
  if(T_RUN_SERIAL)
    set_tests_properties(${T_NAME} PROPERTIES RUN_SERIAL TRUE)
  endif()
endfunction()

# suma_add_pytest(NAME n PATHS p... [ARGS pytest-args...] and suma_add_test's options)
function(suma_add_pytest)
  cmake_parse_arguments(T "RUN_SERIAL" "NAME;TIMEOUT" "PATHS;ARGS;ENVIRONMENT;LABELS" ${ARGN})
  set(serial)
  if(T_RUN_SERIAL)
    set(serial RUN_SERIAL)
  endif()
  suma_add_test(NAME ${T_NAME}
    COMMAND ${Python3_EXECUTABLE} -m pytest -q -rs -p no:cacheprovider ${T_ARGS} ${T_PATHS}
    ENVIRONMENT ${T_ENVIRONMENT} LABELS ${T_LABELS} TIMEOUT ${T_TIMEOUT} ${serial})
endfunction()
