/// \file
/// The MAC array as verilated RTL behind the MAC-array TLM socket: the
/// cycle-accurate implementation (`sdla-run --mac rtl`). Each b_transport
/// runs one pass through rtl/sdla_mac_array.sv clock by clock (RtlMacCore),
/// annotates pass.activity.cycles as delay (MacArrayTarget) and, when asked,
/// writes a VCD with simulated-time timestamps plus a GTKWave save file.
///
///     sdla::RtlMacArray mac("mac", cfg);                      // or with RtlTraceOptions
///     sequencer.mac_isock.bind(mac.mac_tsock);
///     auto mac2 = sdla::make_rtl_mac_array("mac2", cfg);       // as a MacArrayTarget
///
/// Construction throws std::runtime_error when no model of the config's
/// shape (atomic_c x atomic_k) was verilated.
#pragma once

#include <memory>

#include "mac_array_target.hpp"
#include "model_crosscheck.hpp"
#include "rtl_mac_core.hpp"

namespace sdla {

class RtlMacArray : public MacArrayTarget {
 public:
  /// With `crosscheck`, every pass also runs through the C++ datapath model
  /// (a scoreboard by duplication): the model's activity comes back as
  /// pass.reference, and any difference in sums, status or activity turns the
  /// pass into MacStatus::model_mismatch.
  RtlMacArray(const sc_core::sc_module_name& name, const AcceleratorConfig& cfg, RtlTraceOptions trace = {},
              bool crosscheck = false);
  ~RtlMacArray() override;

  const char* source() const override { return "rtl"; }
  /// The core, e.g. for latency() or drain_activity().
  RtlMacCore& core() { return *core_; }

 protected:
  void execute(MacPass& pass, const sc_core::sc_time& start) override;

 private:
  std::unique_ptr<RtlMacCore> core_;
  std::unique_ptr<ModelCrosscheck> crosscheck_;  // when asked for
};

/// Factory for code that picks the MAC-array implementation at run time.
std::unique_ptr<MacArrayTarget> make_rtl_mac_array(const sc_core::sc_module_name& name,
                                                   const AcceleratorConfig& cfg, RtlTraceOptions trace = {},
                                                   bool crosscheck = false);

}  // namespace sdla
