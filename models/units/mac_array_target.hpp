/// \file
/// Base of every MAC-array implementation: a SystemC module with a
/// MacArrayTargetSocket. Subclasses execute a pass; the base annotates the
/// pass's cycles as delay and keeps the running activity totals. An
/// implementation may spend simulated time in execute() (wait on a clock):
/// the delay returned is then what is left of the pass's cycles, if anything.
///
///     class MyArray : public sdla::MacArrayTarget {
///       void execute(sdla::MacPass& p, const sc_core::sc_time& start) override;
///     };
///     accel.mac_isock().bind(my_array.mac_tsock);
#pragma once

#include <systemc>

#include "sdla/config.hpp"
#include "sdla/mac_array_protocol.hpp"

namespace sdla {

class MacArrayTarget : public sc_core::sc_module, public MacArrayFwIf {
 public:
  MacArrayTargetSocket mac_tsock;

  MacArrayTarget(const sc_core::sc_module_name& name, const AcceleratorConfig& cfg);

  const AcceleratorConfig& config() const { return cfg_; }
  /// Activity of every pass since construction.
  const MacActivity& activity() const { return total_; }
  /// Where the activity was measured: "model" or "rtl".
  virtual const char* source() const = 0;

 protected:
  /// Executes one pass; `start` is the simulated time at which it begins.
  virtual void execute(MacPass& pass, const sc_core::sc_time& start) = 0;

 private:
  void b_transport(MacPass& pass, sc_core::sc_time& delay) override;
  tlm::tlm_sync_enum nb_transport_fw(MacPass&, tlm::tlm_phase&, sc_core::sc_time&) override;
  bool get_direct_mem_ptr(MacPass&, tlm::tlm_dmi&) override { return false; }
  unsigned int transport_dbg(MacPass&) override { return 0; }

  AcceleratorConfig cfg_;
  MacActivity total_;
};

}  // namespace sdla
