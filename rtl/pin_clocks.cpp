#include "pin_clocks.hpp"

namespace sdla {

TimedClock::TimedClock(const sc_core::sc_module_name& name, const sc_core::sc_time& period)
    : sc_module(name),
      // posedge_first = false: falling edges at 0, P, 2P..., rising edges at P/2, 3P/2...
      own_(std::make_unique<sc_core::sc_clock>("clock", period, 0.5, sc_core::SC_ZERO_TIME, false)),
      clock_(own_.get()) {}

TimedClock::TimedClock(const sc_core::sc_module_name& name, const sc_core::sc_signal_in_if<bool>& clock)
    : sc_module(name), clock_(&clock) {}

void TimedClock::align() { wait(clock_->negedge_event()); }

// The falling edge half a period after the rising edge: the model evaluated
// that edge in its delta cycle, long settled now.
void TimedClock::cycle() { wait(clock_->negedge_event()); }

const sc_core::sc_signal_in_if<bool>& TimedClock::signal() const { return *clock_; }

DeltaCycleClock::DeltaCycleClock(const sc_core::sc_module_name& name) : sc_module(name), clk_("clk", false) {
  SC_METHOD(toggle);
  sensitive << start_;
  dont_initialize();
}

void DeltaCycleClock::cycle() {
  start_.notify();  // toggle() runs in this delta cycle
  wait(done_);
}

// Delta d (the caller's inputs written): the rise. d + 1: the model and the
// checker evaluate the edge, the fall is written. d + 2: the edge's outputs
// and the low clock are visible, the caller resumes. (The fall needs a delta
// of its own: a signal written twice in one delta keeps only the last value.)
void DeltaCycleClock::toggle() {
  switch (phase_) {
    case 0:
      clk_.write(true);
      phase_ = 1;
      next_trigger(sc_core::SC_ZERO_TIME);
      break;
    case 1:
      clk_.write(false);
      phase_ = 2;
      next_trigger(sc_core::SC_ZERO_TIME);
      break;
    default:
      phase_ = 0;
      done_.notify();  // static sensitivity again: the next start_
      break;
  }
}

}  // namespace sdla
