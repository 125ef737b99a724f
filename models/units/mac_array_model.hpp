/// \file
/// The MAC array as the C++ datapath model behind the MAC-array TLM socket:
/// the fast, default implementation (`sdla-run --mac model`).
#pragma once

#include "mac_array_target.hpp"
#include "mac_datapath.hpp"

namespace sdla {

class MacArrayModel : public MacArrayTarget {
 public:
  MacArrayModel(const sc_core::sc_module_name& name, const AcceleratorConfig& cfg)
      : MacArrayTarget(name, cfg), datapath_(cfg) {}
  const char* source() const override { return "model"; }

 protected:
  void execute(MacPass& pass, const sc_core::sc_time&) override { datapath_.execute(pass); }

 private:
  MacDatapath datapath_;
};

}  // namespace sdla
