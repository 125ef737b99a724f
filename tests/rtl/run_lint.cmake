# Runs each command of COMMANDS ('^'-separated commands, '|'-separated
# arguments) on SOURCES ('^'-separated); fails on the first that fails or
# prints a warning (ctest: rtl_lint).
string(REPLACE "^" ";" COMMANDS "${COMMANDS}")
string(REPLACE "^" ";" SOURCES "${SOURCES}")
foreach(cmd IN LISTS COMMANDS)
  string(REPLACE "|" ";" argv "${cmd}")
  execute_process(COMMAND ${argv} ${SOURCES} RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE out)
  string(REPLACE "|" " " shown "${cmd}")
  if(NOT rc EQUAL 0 OR out MATCHES "%(Warning|Error)")
    message(FATAL_ERROR "lint failed: ${shown}\n${out}")
  endif()
  message(STATUS "lint clean: ${shown}")
endforeach()
