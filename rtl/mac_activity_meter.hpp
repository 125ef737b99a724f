/// \file
/// MacActivity measured from the RTL's own activity taps (plain C++). The one
/// place the counters' RTL definitions live: the C++ harness of the verilated
/// model (RtlMacCore) and the pin-level bridge of the SystemC model
/// (MacPinBridge) read their ports into MacTaps after every rising edge and
/// hand them here.
///
///   mac_random += popcount(mac_live)
///   mac_gated  += popcount(mac_issue) - popcount(mac_live)
///   mac_idle   += atomic_k * lanes - popcount(mac_issue)
///   act_toggles / weight_toggles += popcount(bank XOR its snapshot)
///
/// The snapshots persist across passes and start from the reset state (all
/// zero), exactly like the C++ model's operand registers.
///
///     sdla::MacActivityMeter meter(2 * atomic_c, atomic_c * atomic_k);
///     meter.start_from_reset(taps);                  // after the reset edge
///     meter.count(pass.activity, units, taps);       // after every counted edge
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "sdla/mac_pass.hpp"

namespace sdla {

/// What the RTL shows after a rising edge: the set bits of mac_issue and
/// mac_live, and the operand banks act_reg (2 * atomic_c bytes) and w_reg
/// (atomic_k * atomic_c bytes, column-major as the port).
struct MacTaps {
  unsigned issued = 0;
  unsigned live = 0;
  const std::uint8_t* act = nullptr;
  const std::uint8_t* weight = nullptr;
};

class MacActivityMeter {
 public:
  MacActivityMeter(std::size_t act_bytes, std::size_t weight_bytes);

  /// After a reset edge: both banks must read zero (std::logic_error naming
  /// the bank otherwise); they become the snapshots.
  void start_from_reset(const MacTaps& t);
  /// A counted cycle (weight load or vector) of a pass with `units`
  /// multipliers (atomic_k * lanes).
  void count(MacActivity& a, std::uint64_t units, const MacTaps& t);
  /// A drain cycle: into `drain` (cycles + 1), whose random, gated and toggle
  /// counts must stay zero (in the machine these cycles overlap the next
  /// pass's weight load, so nothing may happen in them).
  void count_drain(MacActivity& drain, const MacTaps& t);

 private:
  std::vector<std::uint8_t> act_snap_;
  std::vector<std::uint8_t> weight_snap_;
};

}  // namespace sdla
