# SystemC as the imported target SystemC::systemc. Debian's libsystemc-dev
# ships no CMake package: the headers and the library are found by name,
# under $SYSTEMC_ROOT first when it is set. Used by the top CMakeLists.txt and,
# installed, by sdlaConfig.cmake, so a consumer finds the same SystemC the
# same way. Sets SDLA_SYSTEMC_FOUND; a target SystemC::systemc that already
# exists (e.g. from SystemC's own CMake package) is kept.
if(TARGET SystemC::systemc)
  set(SDLA_SYSTEMC_FOUND TRUE)
  return()
endif()
find_path(SYSTEMC_INCLUDE_DIR systemc.h HINTS ENV SYSTEMC_ROOT PATH_SUFFIXES include)
find_library(SYSTEMC_LIBRARY systemc HINTS ENV SYSTEMC_ROOT PATH_SUFFIXES lib lib64)
if(SYSTEMC_INCLUDE_DIR AND SYSTEMC_LIBRARY)
  set(SDLA_SYSTEMC_FOUND TRUE)
  add_library(SystemC::systemc INTERFACE IMPORTED)
  target_include_directories(SystemC::systemc INTERFACE ${SYSTEMC_INCLUDE_DIR})
  target_link_libraries(SystemC::systemc INTERFACE ${SYSTEMC_LIBRARY})
else()
  set(SDLA_SYSTEMC_FOUND FALSE)
endif()
