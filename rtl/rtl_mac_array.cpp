#include "rtl_mac_array.hpp"

#include <cmath>

namespace sdla {

RtlMacArray::RtlMacArray(const sc_core::sc_module_name& name, const AcceleratorConfig& cfg, RtlTraceOptions trace,
                         bool crosscheck)
    : MacArrayTarget(name, cfg),
      core_(std::make_unique<RtlMacCore>(cfg, std::move(trace))),
      crosscheck_(crosscheck ? std::make_unique<ModelCrosscheck>(cfg) : nullptr) {}

RtlMacArray::~RtlMacArray() = default;

void RtlMacArray::execute(MacPass& pass, const sc_core::sc_time& start) {
  const double ps = start / sc_core::sc_time(1, sc_core::SC_PS);
  if (crosscheck_) crosscheck_->keep(pass);
  core_->execute(pass, std::uint64_t(std::llround(ps)));
  if (crosscheck_) crosscheck_->compare(pass);
}

std::unique_ptr<MacArrayTarget> make_rtl_mac_array(const sc_core::sc_module_name& name,
                                                   const AcceleratorConfig& cfg, RtlTraceOptions trace,
                                                   bool crosscheck) {
  return std::make_unique<RtlMacArray>(name, cfg, std::move(trace), crosscheck);
}

}  // namespace sdla
