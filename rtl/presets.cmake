# Reads the accelerator presets from include/sdla/presets.def, the one place
# their numbers live, so the RTL build never has a second copy of the sizes.
#
#   sdla_read_presets(<prefix>)
#
# sets in the caller's scope:
#   <prefix>_NAMES          list of preset names, in file order
#   <prefix>_<name>_C       atomic_c (int8 lanes per column)
#   <prefix>_<name>_K       atomic_k (columns)
# and fails configuration on a line it cannot read, rather than skipping it.

set(SDLA_PRESETS_DEF "${CMAKE_CURRENT_LIST_DIR}/../include/sdla/presets.def")

function(sdla_read_presets prefix)
  # Re-run configuration when the presets change.
  set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS "${SDLA_PRESETS_DEF}")
  file(STRINGS "${SDLA_PRESETS_DEF}" lines REGEX "^[ \t]*SDLA_PRESET[ \t]*\\(")
  set(names "")
  foreach(line IN LISTS lines)
    # SDLA_PRESET(name, atomic_c, atomic_k, banks, bank_kib, dram_bpc, dram_lat, acc_kib, mhz)
    if(NOT line MATCHES "^[ \t]*SDLA_PRESET[ \t]*\\([ \t]*([A-Za-z_][A-Za-z0-9_]*)[ \t]*,[ \t]*([0-9]+)[ \t]*,[ \t]*([0-9]+)[ \t]*,")
      message(FATAL_ERROR "${SDLA_PRESETS_DEF}: cannot read preset line: ${line}")
    endif()
    set(name "${CMAKE_MATCH_1}")
    set(c "${CMAKE_MATCH_2}")
    set(k "${CMAKE_MATCH_3}")
    if(name IN_LIST names)
      message(FATAL_ERROR "${SDLA_PRESETS_DEF}: preset '${name}' defined twice")
    endif()
    # The rules of AcceleratorConfig::validate (models/config.cpp), checked before verilating.
    math(EXPR c_mod8 "${c} % 8")
    math(EXPR c_mod16 "${c} % 16")
    math(EXPR k_mod "${k} % 8")  # min(8, atomic_c) is 8 once atomic_c >= 8
    if(c LESS 8 OR c_mod8 OR (c GREATER 16 AND c_mod16) OR k LESS 1 OR k_mod)
      message(FATAL_ERROR "${SDLA_PRESETS_DEF}: preset '${name}': atomic_c must be a multiple of 8 (of 16 above 16) "
                          "and atomic_k a multiple of min(8, atomic_c)")
    endif()
    list(APPEND names "${name}")
    set(${prefix}_${name}_C "${c}" PARENT_SCOPE)
    set(${prefix}_${name}_K "${k}" PARENT_SCOPE)
  endforeach()
  if(NOT names)
    message(FATAL_ERROR "${SDLA_PRESETS_DEF}: no SDLA_PRESET(...) lines")
  endif()
  set(${prefix}_NAMES "${names}" PARENT_SCOPE)
endfunction()

# The RTL sources, top first.
set(SDLA_RTL_SOURCES
  "${CMAKE_CURRENT_LIST_DIR}/sdla_mac_array.sv"
  "${CMAKE_CURRENT_LIST_DIR}/sdla_meta_check.sv"
  "${CMAKE_CURRENT_LIST_DIR}/sdla_mac_wave_view.sv"
)
