/// \file
/// The accelerator configuration: one object read by the SystemC model, the
/// host compiler and (through include/sdla/presets.def) the RTL build.
///
///     auto cfg = sdla::AcceleratorConfig::preset("full");
///     cfg.lanes(sdla::Precision::int16);   // 32 multipliers per column
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "sdla/layer.hpp"

namespace sdla {

struct AcceleratorConfig {
  std::string name;
  unsigned atomic_c = 0;              ///< int8 lanes per column (input channels per cycle)
  unsigned atomic_k = 0;              ///< columns (output channels per cycle)
  unsigned buffer_banks = 0;          ///< unified-buffer banks
  std::size_t bank_bytes = 0;         ///< bytes per bank
  unsigned dram_bytes_per_cycle = 0;  ///< DRAM bandwidth in bytes per accelerator cycle
  unsigned dram_latency_cycles = 0;   ///< first-byte latency of a DRAM request
  std::size_t accumulator_bytes = 0;  ///< accumulator SRAM holding partial sums
  unsigned clock_mhz = 0;

  /// A named preset from presets.def ("small", "full"); throws std::invalid_argument.
  static AcceleratorConfig preset(const std::string& name);
  static std::vector<std::string> preset_names();

  /// Multipliers per column: atomic_c for int8, atomic_c / 2 for int16.
  unsigned lanes(Precision p) const { return atomic_c / traits(p).lane_divisor; }
  /// Dense MACs per cycle at precision p.
  unsigned peak_macs(Precision p) const { return lanes(p) * atomic_k; }
  std::size_t buffer_bytes() const { return std::size_t(buffer_banks) * bank_bytes; }
  /// Bytes of one channel atom in DRAM and the buffer: atomic_c bytes.
  unsigned atom_bytes() const { return atomic_c; }
  double clock_period_ns() const { return 1000.0 / clock_mhz; }

  /// Throws std::invalid_argument naming the first impossible field.
  void validate() const;
};

}  // namespace sdla
