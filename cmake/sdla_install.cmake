# cmake --install BUILD --prefix P: sdla as a CMake package.
#
#   P/include/sdla/*.hpp             public headers ("sdla/regs.hpp")           root P/include
#   P/include/sdla/golden/golden/    golden reference ("golden/winograd.hpp")   root P/include/sdla/golden
#   P/include/sdla/datapath/         MAC datapath model ("mac_datapath.hpp")    root itself
#   P/include/sdla/host/             host compiler, energy ("host_compiler.hpp") root itself
#   P/include/sdla/model/            SystemC units + DRAM ("accelerator.hpp")   root itself
#   P/include/sdla/rtl/              RTL driver + transactor ("rtl_mac_array.hpp") root itself
#   P/include/sdla/tb/, tb/io/       testbench, workloads ("workload.hpp", "io/npy.hpp") root tb/
#   P/lib/libsdla_*.a                the libraries, imported as sdla::<name> (below)
#   P/lib/cmake/sdla/                sdlaConfig.cmake, its version file, the targets
#   P/bin/                           sdla-run, sdla-mac-bench and the benchmarks
#   P/share/sdla/configs/            the energy table and the example layer files
#
# Headers include each other by the names of this tree, so every library's
# installed include root mirrors its folder here: code that builds inside the
# tree builds against the installed package unchanged. A target's include
# roots come with it (sdla::model brings those of host, datapath and golden).
include(GNUInstallDirs)
include(CMakePackageConfigHelpers)

set(sdla_inc ${CMAKE_INSTALL_INCLUDEDIR}/sdla)
set(sdla_cmake_dir ${CMAKE_INSTALL_LIBDIR}/cmake/sdla)

# target -> sdla::<export name>, its installed include root (or "-").
# sdla::warnings (-Wall -Wextra) is exported only because the static libraries
# name it as a private dependency; it reaches no consumer's compile line.
set(sdla_exported
  sdla_warnings      warnings      -
  sdla_golden        golden        ${sdla_inc}/golden
  sdla_datapath      datapath      ${sdla_inc}/datapath
  sdla_host          host          ${sdla_inc}/host
  sdla_model         model         ${sdla_inc}/model
  sdla_io            io            ${sdla_inc}/tb
  sdla_tb            tb            ${sdla_inc}/tb
  sdla_rtl_verilated rtl_verilated -
  sdla_rtl_core      rtl_core      ${sdla_inc}/rtl
  sdla_rtl           rtl           -
  sdla_rtl_pins_verilated rtl_pins_verilated -
  sdla_rtl_pins      rtl_pins      -
  sdla_tb_rtl        tb_rtl        -
  sdla_wave_options  wave_options  ${sdla_inc}/tb)
set(sdla_export_targets "")
while(sdla_exported)
  list(POP_FRONT sdla_exported target name root)
  set_target_properties(${target} PROPERTIES EXPORT_NAME ${name})
  if(NOT root STREQUAL "-")
    target_include_directories(${target} INTERFACE $<INSTALL_INTERFACE:${root}>)
  endif()
  list(APPEND sdla_export_targets ${target})
endwhile()
# Public headers (sdla/...) and the C++ standard SystemC was built for come with every library.
target_include_directories(sdla_golden INTERFACE $<INSTALL_INTERFACE:${CMAKE_INSTALL_INCLUDEDIR}>)
target_compile_features(sdla_golden INTERFACE cxx_std_17)

install(TARGETS ${sdla_export_targets} EXPORT sdlaTargets
        ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
        LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR})
install(TARGETS sdla-run sdla-mac-bench mac_cosim_bench winograd_bench sdla_bench
        RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})

# Headers, laid out as above.
install(DIRECTORY ${PROJECT_SOURCE_DIR}/include/sdla/ DESTINATION ${sdla_inc}
        FILES_MATCHING PATTERN "*.hpp" PATTERN "*.def")
install(DIRECTORY ${PROJECT_SOURCE_DIR}/models/golden/ DESTINATION ${sdla_inc}/golden/golden
        FILES_MATCHING PATTERN "*.hpp")
install(DIRECTORY ${PROJECT_SOURCE_DIR}/models/datapath/ DESTINATION ${sdla_inc}/datapath
        FILES_MATCHING PATTERN "*.hpp")
install(DIRECTORY ${PROJECT_SOURCE_DIR}/models/host/ DESTINATION ${sdla_inc}/host
        FILES_MATCHING PATTERN "*.hpp")
install(DIRECTORY ${PROJECT_SOURCE_DIR}/models/units/ ${PROJECT_SOURCE_DIR}/models/platform/
        DESTINATION ${sdla_inc}/model FILES_MATCHING PATTERN "*.hpp")
install(DIRECTORY ${PROJECT_SOURCE_DIR}/rtl/ DESTINATION ${sdla_inc}/rtl
        FILES_MATCHING PATTERN "*.hpp")
install(DIRECTORY ${PROJECT_SOURCE_DIR}/tb/ DESTINATION ${sdla_inc}/tb  # tb/io/ included
        FILES_MATCHING PATTERN "*.hpp")
install(DIRECTORY ${PROJECT_SOURCE_DIR}/configs/ DESTINATION ${CMAKE_INSTALL_DATADIR}/sdla/configs)

# The package: targets, how to find what they link, and which presets sdla::rtl verilated.
get_directory_property(SDLA_INSTALLED_RTL_PRESETS DIRECTORY ${PROJECT_SOURCE_DIR}/rtl DEFINITION sdla_rtl_presets)
install(EXPORT sdlaTargets NAMESPACE sdla:: DESTINATION ${sdla_cmake_dir})
configure_package_config_file(${CMAKE_CURRENT_LIST_DIR}/sdlaConfig.cmake.in
                              ${PROJECT_BINARY_DIR}/cmake/sdlaConfig.cmake
                              INSTALL_DESTINATION ${sdla_cmake_dir})
write_basic_package_version_file(${PROJECT_BINARY_DIR}/cmake/sdlaConfigVersion.cmake
                                 COMPATIBILITY SameMinorVersion)
install(FILES ${PROJECT_BINARY_DIR}/cmake/sdlaConfig.cmake ${PROJECT_BINARY_DIR}/cmake/sdlaConfigVersion.cmake
              ${CMAKE_CURRENT_LIST_DIR}/sdla_systemc.cmake
        DESTINATION ${sdla_cmake_dir})
