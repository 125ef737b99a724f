/// \file
/// Where the pin-level MAC array's clock comes from. The bridge
/// (MacPinBridge) reaches it through an sc_port<PinClockIf>; the verilated
/// model and the protocol checker bind their clk to signal().
///
/// A cycle starts with the clock low: inputs written then are captured by the
/// rising edge half a period later, whose outputs the bridge reads at the
/// start of the next cycle (the convention of rtl_mac_core.cpp).
///
///  * TimedClock: follows a clock with simulated time (its own sc_clock, or a
///    platform's clock bound to `clk`): a pass costs real cycles, the drain
///    included.
///  * DeltaCycleClock: toggles its own clock signal in delta cycles, in zero
///    simulated time: the array runs inside a transaction without moving the
///    initiator's time, as the --cc transactor does (sdla-run --mac rtl-pins).
///
///     sdla::TimedClock clock("clock", sc_core::sc_time(1, sc_core::SC_NS));
///     bridge.clock(clock);
///     model.clk(clock.signal());
#pragma once

#include <memory>

#include <systemc>

namespace sdla {

class PinClockIf : public virtual sc_core::sc_interface {
 public:
  /// Returns at the start of a cycle (clock low, before its rising edge).
  virtual void align() = 0;
  /// Returns at the start of the next cycle: one rising edge has captured the
  /// inputs written before the call, and its outputs have settled.
  virtual void cycle() = 0;
  /// The clock, for the clk ports of the model and the checker.
  virtual const sc_core::sc_signal_in_if<bool>& signal() const = 0;
  /// The clock moves simulated time (TimedClock).
  virtual bool timed() const = 0;
};

/// A cycle is a period of a clock with simulated time: it starts at a falling
/// edge. Its own sc_clock has falling edges on multiples of the period and
/// rising edges half-way.
class TimedClock : public sc_core::sc_module, public PinClockIf {
 public:

  /// Follows its own sc_clock of `period`.
  TimedClock(const sc_core::sc_module_name& name, const sc_core::sc_time& period);
  /// Follows a platform's clock (falling edge first in each cycle, as above).
  TimedClock(const sc_core::sc_module_name& name, const sc_core::sc_signal_in_if<bool>& clock);

  void align() override;
  void cycle() override;
  const sc_core::sc_signal_in_if<bool>& signal() const override;
  bool timed() const override { return true; }

 private:
  std::unique_ptr<sc_core::sc_clock> own_;
  const sc_core::sc_signal_in_if<bool>* clock_;
};

/// A cycle is two delta cycles at the current simulated time: the clock
/// rises, the model evaluates the edge, the clock falls. A method toggles
/// the clock; the caller's thread sleeps once per cycle.
class DeltaCycleClock : public sc_core::sc_module, public PinClockIf {
 public:
  explicit DeltaCycleClock(const sc_core::sc_module_name& name);

  void align() override {}  // the clock rests low between cycles
  void cycle() override;
  const sc_core::sc_signal_in_if<bool>& signal() const override { return clk_; }
  bool timed() const override { return false; }

 private:
  SC_HAS_PROCESS(DeltaCycleClock);
  void toggle();

  sc_core::sc_signal<bool> clk_;
  sc_core::sc_event start_, done_;
  int phase_ = 0;
};

}  // namespace sdla
