/// \file
/// A passive checker of the MAC array's pin protocol (sdla_mac_array_pins.sv),
/// independent of whoever drives the pins: it samples them at every rising
/// edge of clk and reports each broken rule as an SC_ERROR under the ID
/// "sdla/mac_protocol" (sdla::log_id::mac_protocol), the text naming the
/// checker, the cycle (rising edges since the start) and the rule. SystemC's
/// default action for an error throws, which ends the simulation; a
/// platform or a test sets the actions or a handler for the ID as it likes.
///
///     sdla::MacProtocolChecker<8, 8> checker("checker");
///     checker.bind(pins, clock.signal());
///     ...
///     checker.violations();                                   // all rules
///     sc_core::sc_report_handler::get_count(sdla::log_id::mac_protocol);
///
/// A sample at rising edge n holds the inputs that edge captures and the
/// outputs that edge n - 1 left. The rules:
///  * load_and_stream: w_load and a_valid never high at the same edge.
///  * config_changed: mode_int16, sparse, col_valid and lane_valid are held
///    during a pass. A pass is a run of weight loads (w_load high on
///    consecutive edges) and then its vectors (a_valid), or vectors alone, and
///    lasts until the edge that produces its last psum_valid (its last vector
///    + 3), inclusive; without vectors, until its last load. A new pass
///    begins with a new run of loads (after an edge with w_load low), or with
///    a vector once every earlier pass is over; one that begins while the pass
///    before is still in flight must keep that pass's configuration. Reported
///    once per pass.
///  * psum_valid: high after edge n exactly when edge n - 3 captured a vector
///    (PSUM_LATENCY = 3), and low after a reset edge until then.
///  * reset_leftover: after a reset edge every output is zero (psum_valid,
///    err, psum and all operand, zero-line, metadata and issue taps). The
///    verilated model is two-state, so an X cannot be seen; a register that
///    the reset misses would hold its power-up value instead, which the
///    pin-level model makes random (verilated with --x-initial unique and
///    randomised initial values), so a missed reset reads non-zero here.
///  * driven_before_reset: w_load or a_valid high before the first reset edge,
///    when the array's registers hold no defined value (reported once).
/// Before the first reset edge no other rule applies.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include <systemc>

#include "mac_array_pins.hpp"

namespace sdla {

enum class MacProtocolRule : unsigned { load_and_stream, config_changed, psum_latency, reset_leftover, driven_before_reset };
inline constexpr unsigned kMacProtocolRules = 5;
const char* to_string(MacProtocolRule rule);

/// The pins a checker looks at on one rising edge (MacProtocolChecker fills it).
struct MacPinSample {
  bool rst = false, w_load = false, a_valid = false, mode_int16 = false, sparse = false, psum_valid = false;
  std::vector<rtl_ports::Word> col_valid, lane_valid;
};

/// The rules, on samples; MacProtocolChecker<C, K> reads its ports into them.
class MacProtocolCheckerBase : public sc_core::sc_module {
 public:
  sc_core::sc_in<bool> clk;

  /// Violations of `rule` so far (each one was reported).
  std::uint64_t violations(MacProtocolRule rule) const { return counts_[unsigned(rule)]; }
  /// Violations of every rule.
  std::uint64_t violations() const;
  /// Rising edges seen.
  std::uint64_t cycles() const { return edge_; }

 protected:
  MacProtocolCheckerBase(const sc_core::sc_module_name& name, std::size_t col_words, std::size_t lane_words);
  /// The pins at this rising edge.
  virtual void sample(MacPinSample& s) = 0;
  /// After a reset edge: the outputs that read non-zero, comma-separated ("" if none).
  virtual std::string nonzero_outputs() = 0;

 private:
  SC_HAS_PROCESS(MacProtocolCheckerBase);
  void on_edge();
  void check_config(const MacPinSample& s, std::uint64_t n);
  void begin_pass(const MacPinSample& s, std::uint64_t n);
  void hold_config(const MacPinSample& s);
  void report(MacProtocolRule rule, const std::string& what);
  std::string config_difference(const MacPinSample& s) const;

  MacPinSample now_, pass_config_;
  std::uint64_t edge_ = 0;
  std::array<std::uint64_t, kMacProtocolRules> counts_{};
  bool reset_seen_ = false, after_reset_ = false, driven_reported_ = false;
  unsigned captured_ = 0;  ///< a_valid captured at the last 4 edges, bit 0 the latest
  bool prev_w_load_ = false, pass_reported_ = false;
  std::uint64_t pass_start_ = 0;
  std::uint64_t open_until_ = 0;  ///< one past the last edge of the passes in flight
};

/// The checker for an array of C = atomic_c by K = atomic_k.
template <unsigned C, unsigned K>
class MacProtocolChecker : public MacProtocolCheckerBase {
  using Widths = MacPinWidths<C, K>;
  template <unsigned W>
  using In = sc_core::sc_in<PinBits<W>>;

 public:
  In<1> rst, mode_int16, sparse, w_load, a_valid, psum_valid, err;
  In<Widths::col> col_valid;
  In<Widths::lane> lane_valid;
  In<Widths::psum> psum;
  In<Widths::a_data> act_reg;
  In<Widths::lane> act_vld, act_live;
  In<Widths::w_reg> w_reg;
  In<Widths::per_mult> w_zero_reg;
  In<Widths::w_idx_reg> w_idx_reg;
  In<Widths::per_mult> mac_issue, mac_live;

  explicit MacProtocolChecker(const sc_core::sc_module_name& name)
      : MacProtocolCheckerBase(name, rtl_ports::words_for(Widths::col), rtl_ports::words_for(Widths::lane)),
        rst("rst"), mode_int16("mode_int16"), sparse("sparse"), w_load("w_load"), a_valid("a_valid"),
        psum_valid("psum_valid"), err("err"), col_valid("col_valid"), lane_valid("lane_valid"), psum("psum"),
        act_reg("act_reg"), act_vld("act_vld"), act_live("act_live"), w_reg("w_reg"), w_zero_reg("w_zero_reg"),
        w_idx_reg("w_idx_reg"), mac_issue("mac_issue"), mac_live("mac_live") {}

  /// Watches `pins` on `clock`.
  void bind(MacArrayPins<C, K>& pins, const sc_core::sc_signal_in_if<bool>& clock) {
    clk(clock);
    rst(pins.rst);
    mode_int16(pins.mode_int16);
    sparse(pins.sparse);
    w_load(pins.w_load);
    a_valid(pins.a_valid);
    psum_valid(pins.psum_valid);
    err(pins.err);
    col_valid(pins.col_valid);
    lane_valid(pins.lane_valid);
    psum(pins.psum);
    act_reg(pins.act_reg);
    act_vld(pins.act_vld);
    act_live(pins.act_live);
    w_reg(pins.w_reg);
    w_zero_reg(pins.w_zero_reg);
    w_idx_reg(pins.w_idx_reg);
    mac_issue(pins.mac_issue);
    mac_live(pins.mac_live);
  }

 protected:
  void sample(MacPinSample& s) override {
    s.rst = rst.read();
    s.w_load = w_load.read();
    s.a_valid = a_valid.read();
    s.mode_int16 = mode_int16.read();
    s.sparse = sparse.read();
    s.psum_valid = psum_valid.read();
    pin_to_words(col_valid.read(), s.col_valid.data());
    pin_to_words(lane_valid.read(), s.lane_valid.data());
  }

  std::string nonzero_outputs() override {
    std::string out;
    auto check = [&out](const auto& port) {
      if (pin_nonzero(port.read())) out += (out.empty() ? "" : ", ") + std::string(port.basename());
    };
    check(psum_valid);
    check(err);
    check(psum);
    check(act_reg);
    check(act_vld);
    check(act_live);
    check(w_reg);
    check(w_zero_reg);
    check(w_idx_reg);
    check(mac_issue);
    check(mac_live);
    return out;
  }
};

}  // namespace sdla
