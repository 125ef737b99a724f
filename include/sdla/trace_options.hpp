/// \file
/// What the RTL MAC array traces (waves: VCD or FST): plain options, so code
/// that only passes them on need not link the verilated model.
#pragma once

#include <cstdint>
#include <limits>
#include <string>

namespace sdla {

/// Waveform file formats: VCD (text, every tool reads it) or FST (GTKWave's
/// compressed format, through Verilator's FST writer).
enum class WaveFormat { vcd, fst };

/// Waveform options. With an empty path nothing is traced (and tracing costs
/// nothing). Timestamps are picoseconds on the simulated time line: cycle c of
/// a pass starting at start_time_ps drives its inputs at start + c*period
/// and clocks at start + (c + 1/2)*period, the period coming from
/// AcceleratorConfig::clock_mhz.
struct RtlTraceOptions {
  /// Wave file to write; NAME.gtkw (GTKWave save file with signal groups,
  /// naming this file) is written beside NAME.vcd or NAME.fst. Empty: no waves.
  std::string path;
  /// Format of `path`.
  WaveFormat format = WaveFormat::vcd;
  /// Cycle window [first_cycle, last_cycle), in array cycles since the core
  /// was built (the running sum of MacActivity::cycles). A pass's drain
  /// cycles continue its numbering.
  std::uint64_t first_cycle = 0;
  std::uint64_t last_cycle = std::numeric_limits<std::uint64_t>::max();
  /// What is traced: 1 = the wave view (control and the first lanes,
  /// multipliers and columns: small, readable); 2 = also every port of the
  /// array (whole operand banks, zero lines, metadata, issue bits, psums);
  /// 3 = also its internal pipeline registers; 0 = everything.
  unsigned depth = 1;
};

}  // namespace sdla
