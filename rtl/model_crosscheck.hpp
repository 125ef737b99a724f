/// \file
/// A scoreboard by duplication for MAC-array implementations measured on the
/// RTL: every pass also runs through the C++ datapath model (MacDatapath),
/// whose activity comes back as pass.reference; any difference in partial
/// sums, status or activity turns the pass into MacStatus::model_mismatch.
/// Plain C++; RtlMacArray (--mac rtl) and the pin-level bridge (--mac
/// rtl-pins) both use it.
///
///     sdla::ModelCrosscheck check(cfg);
///     check.keep(pass);       // the request, before the RTL writes its answer
///     ... run the RTL ...
///     check.compare(pass);    // pass.reference, pass.has_reference, maybe model_mismatch
#pragma once

#include "mac_datapath.hpp"

namespace sdla {

class ModelCrosscheck {
 public:
  explicit ModelCrosscheck(const AcceleratorConfig& cfg) : model_(cfg) {}

  /// Copies the request; call before the RTL answers it.
  void keep(const MacPass& request) { shadow_ = request; }
  /// Runs the model on the kept request and compares it with the RTL's answer.
  void compare(MacPass& answered);

 private:
  MacDatapath model_;
  MacPass shadow_;
};

}  // namespace sdla
