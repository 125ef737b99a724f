/// \file
/// The pin-level RTL MAC array behind the MAC-array TLM socket
/// (`sdla-run --mac rtl-pins`): rtl/sdla_mac_array_pins.sv verilated as a
/// SystemC module (verilator --sc, sc_in/sc_out ports), its pins
/// (MacArrayPins), a clock, the bridge that turns each pass into pin activity
/// (MacPinBridge) and the protocol checker on the same pins
/// (MacProtocolChecker), assembled for one array shape:
///
///     auto mac = sdla::make_rtl_pin_mac_array("mac_array", cfg);     // delta-cycle clock
///     accel.mac_isock().bind(mac->mac_tsock);
///
///     sdla::RtlPinOptions timed;                                     // an sc_clock of cfg's period
///     timed.clocking = sdla::PinClocking::timed;
///
/// Children: `rtl` (the verilated model), `pins`, `clock_gen`, `checker`.
/// Results and activity equal `--mac rtl`'s pass for pass. Which shapes are
/// verilated as pin models is a build choice (CMake SDLA_RTL_PINS_PRESETS,
/// `small` by default).
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "mac_pin_bridge.hpp"

namespace sdla {

enum class PinClocking {
  /// DeltaCycleClock: the array is clocked in delta cycles inside each
  /// transaction, in zero simulated time, so the accelerator's timing is
  /// exactly that of --mac rtl (whose transactor also runs the pass at once
  /// and annotates its cycles). What sdla-run uses.
  delta_cycles,
  /// TimedClock on an sc_clock of the config's period: each pass takes its
  /// cycles and its drain in simulated time, as a platform that clocks the
  /// RTL would see it.
  timed,
};

struct RtlPinOptions {
  PinClocking clocking = PinClocking::delta_cycles;
  /// Also run every pass through the C++ model and compare (ModelCrosscheck).
  bool crosscheck = false;
};

/// The assembled pin-level array of cfg's shape; throws std::runtime_error
/// naming the pin models that were built when there is none of that shape.
std::unique_ptr<MacPinBridge> make_rtl_pin_mac_array(const sc_core::sc_module_name& name,
                                                     const AcceleratorConfig& cfg, RtlPinOptions options = {});

/// A pin model of this array shape was built.
bool has_rtl_pin_model(const AcceleratorConfig& cfg);
/// "preset atomic_c x atomic_k" of every pin model built.
std::vector<std::string> rtl_pin_models();

}  // namespace sdla
