/// \file
/// The pins of the pin-level MAC array (rtl/sdla_mac_array_pins.sv, verilated
/// with --sc) as SystemC signals, for the array of C = atomic_c int8 lanes by
/// K = atomic_k columns. The verilated model, the bridge that drives it
/// (MacPinBridge) and the protocol checker (MacProtocolChecker) all bind to
/// one MacArrayPins; the clock comes from a PinClockIf channel.
///
///     sdla::MacArrayPins<8, 8> pins("pins");           // a module of signals
///     pins.bind_model(verilated_model, clock.signal());
///
/// Port types are Verilator's: bool for 1 bit, uint32_t up to 32 bits,
/// uint64_t up to 64, sc_bv<W> above (PinBits<W>); a model of another shape
/// does not bind. Packed ports hold element 0 in their low bits
/// (sdla_mac_array_pins.sv lists the layout).
#pragma once

#include <cstdint>
#include <type_traits>

#include <systemc>

#include "mac_array_ports.hpp"

namespace sdla {

/// The SystemC type of a W-bit port of a verilated --sc model.
template <unsigned W>
using PinBits = std::conditional_t<
    W == 1, bool,
    std::conditional_t<(W <= 32), std::uint32_t, std::conditional_t<(W <= 64), std::uint64_t, sc_dt::sc_bv<int(W)>>>>;

// ---------------------------------------------------------- words <-> pins
// Little-endian 64-bit words (rtl_ports::Word) to and from a port value.
inline void pin_to_words(bool v, rtl_ports::Word* w) { w[0] = v; }
inline void pin_to_words(std::uint32_t v, rtl_ports::Word* w) { w[0] = v; }
inline void pin_to_words(std::uint64_t v, rtl_ports::Word* w) { w[0] = v; }
template <int W>
void pin_to_words(const sc_dt::sc_bv<W>& v, rtl_ports::Word* w) {
  for (int i = 0; i < (W + 31) / 32; ++i) {
    const rtl_ports::Word d = v.get_word(i);
    w[i / 2] = i % 2 ? w[i / 2] | d << 32 : d;
  }
}
inline void pin_from_words(const rtl_ports::Word* w, std::uint32_t& v) { v = std::uint32_t(w[0]); }
inline void pin_from_words(const rtl_ports::Word* w, std::uint64_t& v) { v = w[0]; }
template <int W>
void pin_from_words(const rtl_ports::Word* w, sc_dt::sc_bv<W>& v) {
  for (int i = 0; i < (W + 31) / 32; ++i) v.set_word(i, sc_dt::sc_digit(w[i / 2] >> (32 * (i % 2))));
}
/// Any bit set.
inline bool pin_nonzero(bool v) { return v; }
inline bool pin_nonzero(std::uint32_t v) { return v != 0; }
inline bool pin_nonzero(std::uint64_t v) { return v != 0; }
template <int W>
bool pin_nonzero(const sc_dt::sc_bv<W>& v) {
  return v.or_reduce();
}

/// Widths of the ports of sdla_mac_array_pins.sv.
template <unsigned C, unsigned K>
struct MacPinWidths {
  static constexpr unsigned col = K;                        ///< col_valid
  static constexpr unsigned lane = 2 * C;                   ///< lane_valid, w_idx, a_zero, act_vld, act_live
  static constexpr unsigned w_col = K > 1 ? unsigned(64 - __builtin_clzll(K - 1)) : 1;  ///< $clog2(K)
  static constexpr unsigned w_data = 8 * C;
  static constexpr unsigned w_zero = C;
  static constexpr unsigned a_data = 16 * C;                ///< also act_reg
  static constexpr unsigned psum = rtl_ports::kPsumBits * K;
  static constexpr unsigned w_reg = 8 * C * K;
  static constexpr unsigned per_mult = C * K;               ///< w_zero_reg, mac_issue, mac_live
  static constexpr unsigned w_idx_reg = 2 * C * K;
};

/// The signals between the verilated array, the bridge and the checker
/// (clk excepted: it belongs to the clock channel), in a module of their own
/// so that their names do not clash with the ports they connect.
template <unsigned C, unsigned K>
struct MacArrayPins : sc_core::sc_module {
  using Widths = MacPinWidths<C, K>;
  template <unsigned W>
  using Signal = sc_core::sc_signal<PinBits<W>>;

  // inputs of the array
  Signal<1> rst{"rst"}, mode_int16{"mode_int16"}, sparse{"sparse"};
  Signal<Widths::col> col_valid{"col_valid"};
  Signal<Widths::lane> lane_valid{"lane_valid"};
  Signal<1> w_load{"w_load"};
  Signal<Widths::w_col> w_col{"w_col"};
  Signal<Widths::w_data> w_data{"w_data"};
  Signal<Widths::w_zero> w_zero{"w_zero"};
  Signal<Widths::lane> w_idx{"w_idx"};
  Signal<1> a_valid{"a_valid"};
  Signal<Widths::a_data> a_data{"a_data"};
  Signal<Widths::lane> a_zero{"a_zero"};
  // outputs of the array
  Signal<1> meta_err{"meta_err"}, psum_valid{"psum_valid"}, err{"err"};
  Signal<Widths::psum> psum{"psum"};
  Signal<Widths::a_data> act_reg{"act_reg"};
  Signal<Widths::lane> act_vld{"act_vld"}, act_live{"act_live"};
  Signal<Widths::w_reg> w_reg{"w_reg"};
  Signal<Widths::per_mult> w_zero_reg{"w_zero_reg"};
  Signal<Widths::w_idx_reg> w_idx_reg{"w_idx_reg"};
  Signal<Widths::per_mult> mac_issue{"mac_issue"}, mac_live{"mac_live"};

  explicit MacArrayPins(const sc_core::sc_module_name& name) : sc_module(name) {}

  /// Binds every port of a verilated sdla_mac_array_pins of this shape.
  template <class Model>
  void bind_model(Model& m, const sc_core::sc_signal_in_if<bool>& clk) {
    m.clk(clk);
    m.rst(rst);
    m.mode_int16(mode_int16);
    m.sparse(sparse);
    m.col_valid(col_valid);
    m.lane_valid(lane_valid);
    m.w_load(w_load);
    m.w_col(w_col);
    m.w_data(w_data);
    m.w_zero(w_zero);
    m.w_idx(w_idx);
    m.meta_err(meta_err);
    m.a_valid(a_valid);
    m.a_data(a_data);
    m.a_zero(a_zero);
    m.psum_valid(psum_valid);
    m.psum(psum);
    m.err(err);
    m.act_reg(act_reg);
    m.act_vld(act_vld);
    m.act_live(act_live);
    m.w_reg(w_reg);
    m.w_zero_reg(w_zero_reg);
    m.w_idx_reg(w_idx_reg);
    m.mac_issue(mac_issue);
    m.mac_live(mac_live);
  }
};

}  // namespace sdla
