/// \file
/// The waveform options shared by the testbench programs (sdla-run,
/// sdla-mac-bench): --vcd FILE, --vcd-window FIRST:LAST, --vcd-depth N and
/// --waves-format vcd|fst turned into RtlTraceOptions, with the same checks
/// and messages everywhere.
///
///     sdla::RtlTraceOptions t = sdla::wave_options(vcd, vcd_window, vcd_depth, waves_format);
#pragma once

#include <string>

#include "rtl_mac_core.hpp"

namespace sdla {

/// --vcd, --vcd-window FIRST:LAST (array cycles, LAST may be empty) and
/// --vcd-depth as trace options. An empty `vcd` gives no waves. Throws
/// std::invalid_argument naming the option: a window without --vcd, a window
/// that is not FIRST:LAST, a cycle that is not a plain non-negative decimal
/// integer of at most 64 bits ("-5", "+5", " 5" are rejected, never wrapped),
/// LAST not above FIRST, a depth above 3.
///
/// The format: `waves_format` "vcd" or "fst", or "" to follow the file's
/// extension (".fst" is FST, anything else VCD). A format that contradicts
/// the extension (FST into x.vcd, VCD into x.fst) is an error, and so is
/// --waves-format without --vcd, or FST when this build has no FST models
/// (SDLA_RTL_FST off).
RtlTraceOptions wave_options(const std::string& vcd, const std::string& vcd_window, unsigned vcd_depth,
                             const std::string& waves_format = "");

}  // namespace sdla
