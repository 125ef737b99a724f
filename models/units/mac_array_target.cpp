#include "mac_array_target.hpp"

namespace sdla {

MacArrayTarget::MacArrayTarget(const sc_core::sc_module_name& name, const AcceleratorConfig& cfg)
    : sc_module(name), mac_tsock("mac_tsock"), cfg_(cfg) {
  mac_tsock.bind(*this);
}

void MacArrayTarget::b_transport(MacPass& pass, sc_core::sc_time& delay) {
  const sc_core::sc_time start = sc_core::sc_time_stamp() + delay;
  execute(pass, start);
  if (pass.status != MacStatus::ok) return;
  total_ += pass.activity;
  // The pass ends `cycles` after its start. An implementation clocked in
  // simulated time (the pin-level RTL on an sc_clock) may be past that
  // already: then it ends now.
  const sc_core::sc_time end =
      start + double(pass.activity.cycles) * sc_core::sc_time(cfg_.clock_period_ns(), sc_core::SC_NS);
  const sc_core::sc_time now = sc_core::sc_time_stamp();
  delay = end > now ? end - now : sc_core::SC_ZERO_TIME;
}

tlm::tlm_sync_enum MacArrayTarget::nb_transport_fw(MacPass& pass, tlm::tlm_phase&, sc_core::sc_time&) {
  // Passes are loosely timed only; an AT initiator gets a bad request back.
  pass.status = MacStatus::bad_request;
  return tlm::TLM_COMPLETED;
}

}  // namespace sdla
