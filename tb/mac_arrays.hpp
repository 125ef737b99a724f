/// \file
/// The MAC arrays a testbench can bind, RTL included: the factory for
/// executables that link the verilated array (library sdla_tb_rtl).
///
///     sdla::TestbenchOptions o{cfg, "rtl", dram_bytes};
///     o.make_mac = sdla::make_any_mac_array;
#pragma once

#include <memory>

#include "testbench.hpp"

namespace sdla {

/// "model": the C++ datapath; "rtl": the verilated array, cross-checked
/// against the model when options.crosscheck, tracing options.waves;
/// "rtl-pins": the pin-level SystemC model of the same RTL, clocked in delta
/// cycles (rtl/rtl_pin_mac_array.hpp), cross-checked likewise, no waves.
std::unique_ptr<MacArrayTarget> make_any_mac_array(const TestbenchOptions& options);

}  // namespace sdla
