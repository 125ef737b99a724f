#include "rtl_mac_array.hpp"

#include <cmath>

namespace sdla {

RtlMacArray::RtlMacArray(const sc_core::sc_module_name& name, const AcceleratorConfig& cfg, RtlTraceOptions trace,
                         bool crosscheck)
    : MacArrayTarget(name, cfg),
      core_(std::make_unique<RtlMacCore>(cfg, std::move(trace))),
      model_(crosscheck ? std::make_unique<MacDatapath>(cfg) : nullptr) {}

RtlMacArray::~RtlMacArray() = default;

void RtlMacArray::execute(MacPass& pass, const sc_core::sc_time& start) {
  const double ps = start / sc_core::sc_time(1, sc_core::SC_PS);
  if (model_) shadow_ = pass;  // the request, before the RTL writes its answer
  core_->execute(pass, std::uint64_t(std::llround(ps)));
  if (!model_) return;
  model_->execute(shadow_);
  pass.has_reference = true;
  pass.reference = shadow_.activity;
  bool same = shadow_.status == pass.status && shadow_.activity == pass.activity;
  for (std::size_t i = 0; same && i < std::size_t(pass.vectors) * pass.atomic_k; ++i) same = shadow_.psums[i] == pass.psums[i];
  if (!same) pass.status = MacStatus::model_mismatch;
}

std::unique_ptr<MacArrayTarget> make_rtl_mac_array(const sc_core::sc_module_name& name,
                                                   const AcceleratorConfig& cfg, RtlTraceOptions trace,
                                                   bool crosscheck) {
  return std::make_unique<RtlMacArray>(name, cfg, std::move(trace), crosscheck);
}

}  // namespace sdla
