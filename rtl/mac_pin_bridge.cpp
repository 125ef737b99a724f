#include "mac_pin_bridge.hpp"

#include "rtl_pass_sequence.hpp"

namespace sdla {

/// rtl_pass_sequence.hpp's Ports: the bridge's pins and its clock.
struct MacPinBridge::Driver {
  MacPinBridge& b;

  unsigned atomic_k() const { return b.config().atomic_k; }
  void config(const MacPass& p) { b.drive_config(p); }
  void idle() { b.drive_idle(); }
  void index(const MacPass& p, unsigned k) { b.drive_index(p, k); }
  /// Two delta cycles: the model evaluates the new inputs, then its outputs update.
  bool settled_meta_err() {
    sc_core::wait(sc_core::SC_ZERO_TIME);
    sc_core::wait(sc_core::SC_ZERO_TIME);
    return b.read_meta_err();
  }
  void load(const MacPass& p, unsigned k) { b.drive_load(p, k); }
  void stream(const MacPass& p, unsigned v) { b.drive_stream(p, v); }
  void cycle() {
    b.clock->cycle();
    ++b.clocked_;
  }
  MacTaps taps() { return b.read_taps(); }
  bool psum_valid() { return b.read_psum_valid(); }
  bool err() { return b.read_err(); }
  void psums(std::int64_t* dst) { b.read_psums(dst); }
};

MacPinBridge::MacPinBridge(const sc_core::sc_module_name& name, const AcceleratorConfig& cfg, bool crosscheck)
    : MacArrayTarget(name, cfg),
      clock("clock"),
      meter_(2 * std::size_t(cfg.atomic_c), std::size_t(cfg.atomic_c) * cfg.atomic_k),
      crosscheck_(crosscheck ? std::make_unique<ModelCrosscheck>(cfg) : nullptr) {}

MacPinBridge::~MacPinBridge() = default;

void MacPinBridge::reset(Driver& d) {
  d.idle();
  drive_reset(true);
  d.cycle();
  drive_reset(false);
  meter_.start_from_reset(d.taps());
  reset_done_ = true;
}

void MacPinBridge::execute(MacPass& pass, const sc_core::sc_time& start) {
  Driver d{*this};
  if (crosscheck_) crosscheck_->keep(pass);
  pass.activity = MacActivity{};
  pass.status = rtl_pass_status(d, pass, config().atomic_c);
  if (pass.status == MacStatus::ok) {
    // A timed clock: the pass starts at its annotated time, on a cycle boundary.
    if (clock->timed() && start > sc_core::sc_time_stamp()) sc_core::wait(start - sc_core::sc_time_stamp());
    clock->align();
    if (!reset_done_) reset(d);
    clock_rtl_pass(d, pass, meter_, drain_);
    // Passes are told apart on the pins by an edge with w_load low between
    // them (MacProtocolChecker): after a pass of weights only, one idle cycle,
    // measured as drain (nothing may happen in it).
    if (pass.vectors == 0 && pass.columns > 0) {
      d.cycle();
      meter_.count_drain(drain_, d.taps());
    }
  }
  if (crosscheck_) crosscheck_->compare(pass);
}

}  // namespace sdla
