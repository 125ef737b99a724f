/// \file
/// The MAC-array TLM target that drives the pin-level RTL: each b_transport
/// (one MacPass) becomes pin activity on sdla_mac_array_pins, clock by clock,
/// through sc_out/sc_in ports bound to MacArrayPins; the partial sums and the
/// MacActivity are read back from the pins exactly as RtlMacCore reads the
/// verilated C++ model (one pass sequence, rtl_pass_sequence.hpp, and one
/// activity meter, mac_activity_meter.hpp, serve both). Status, partial sums
/// and activity equal RtlMacCore's and MacDatapath's on every pass.
///
///     sdla::MacPinBridgeT<8, 8> bridge("bridge", cfg);
///     bridge.bind(pins);                 // MacArrayPins<8, 8>, also bound to the model
///     bridge.clock(clock);               // a PinClockIf: TimedClock or DeltaCycleClock
///     initiator.mac_isock.bind(bridge.mac_tsock);
///
/// b_transport must be called from an SC_THREAD (it waits for clock edges).
/// Before its first pass the bridge resets the array (rst high for one edge).
/// After a pass without vectors it clocks one idle cycle, so that every pass
/// ends on an edge with w_load low (how the checker tells passes apart).
/// With a TimedClock the pass starts at the first falling edge after its
/// annotated start time and takes `columns + vectors` cycles plus the 3-cycle
/// drain (or that idle cycle) in simulated time; the annotated delay on return is what remains of
/// `columns + vectors` cycles after that start, usually none (the drain is
/// not hidden: the psums return with the transaction). With a
/// DeltaCycleClock nothing moves simulated time and the delay is annotated
/// exactly as by RtlMacArray.
#pragma once

#include <iterator>
#include <memory>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <vector>

#include <systemc>

#include "mac_activity_meter.hpp"
#include "mac_array_pins.hpp"
#include "mac_array_target.hpp"
#include "model_crosscheck.hpp"
#include "pin_clocks.hpp"
#include "popcount.hpp"

namespace sdla {

/// The shape-independent part: the pass, the clock, activity and the cross-check.
class MacPinBridge : public MacArrayTarget {
 public:
  sc_core::sc_port<PinClockIf> clock;

  /// With `crosscheck`, every pass also runs through the C++ datapath model
  /// (ModelCrosscheck), as RtlMacArray's.
  MacPinBridge(const sc_core::sc_module_name& name, const AcceleratorConfig& cfg, bool crosscheck = false);
  ~MacPinBridge() override;

  const char* source() const override { return "rtl-pins"; }
  /// Activity the pins showed in drain cycles (must stay zero), as RtlMacCore::drain_activity().
  const MacActivity& drain_activity() const { return drain_; }
  /// Every clock cycle the bridge has clocked, reset and drains included.
  std::uint64_t clocked_cycles() const { return clocked_; }

 protected:
  void execute(MacPass& pass, const sc_core::sc_time& start) override;

  // The pins, written and read by MacPinBridgeT (rtl_ports:: images).
  virtual void drive_reset(bool on) = 0;
  virtual void drive_config(const MacPass& p) = 0;
  virtual void drive_idle() = 0;
  virtual void drive_index(const MacPass& p, unsigned k) = 0;
  virtual void drive_load(const MacPass& p, unsigned k) = 0;
  virtual void drive_stream(const MacPass& p, unsigned v) = 0;
  virtual bool read_meta_err() = 0;
  virtual bool read_psum_valid() = 0;
  virtual bool read_err() = 0;
  virtual void read_psums(std::int64_t* dst) = 0;
  virtual MacTaps read_taps() = 0;

 private:
  struct Driver;  // rtl_pass_sequence.hpp's Ports on these pins
  void reset(Driver& d);

  MacActivityMeter meter_;
  MacActivity drain_;
  std::unique_ptr<ModelCrosscheck> crosscheck_;
  bool reset_done_ = false;
  std::uint64_t clocked_ = 0;
};

/// The bridge for an array of C = atomic_c by K = atomic_k (the shape of cfg).
template <unsigned C, unsigned K>
class MacPinBridgeT : public MacPinBridge {
  using Widths = MacPinWidths<C, K>;
  template <unsigned W>
  using Out = sc_core::sc_out<PinBits<W>>;
  template <unsigned W>
  using In = sc_core::sc_in<PinBits<W>>;
  using Word = rtl_ports::Word;

 public:
  Out<1> rst, mode_int16, sparse, w_load, a_valid;
  Out<Widths::col> col_valid;
  Out<Widths::lane> lane_valid;
  Out<Widths::w_col> w_col;
  Out<Widths::w_data> w_data;
  Out<Widths::w_zero> w_zero;
  Out<Widths::lane> w_idx;
  Out<Widths::a_data> a_data;
  Out<Widths::lane> a_zero;
  In<1> meta_err, psum_valid, err;
  In<Widths::psum> psum;
  In<Widths::a_data> act_reg;
  In<Widths::w_reg> w_reg;
  In<Widths::per_mult> mac_issue, mac_live;

  MacPinBridgeT(const sc_core::sc_module_name& name, const AcceleratorConfig& cfg, bool crosscheck = false)
      : MacPinBridge(name, cfg, crosscheck),
        rst("rst"), mode_int16("mode_int16"), sparse("sparse"), w_load("w_load"), a_valid("a_valid"),
        col_valid("col_valid"), lane_valid("lane_valid"), w_col("w_col"), w_data("w_data"), w_zero("w_zero"),
        w_idx("w_idx"), a_data("a_data"), a_zero("a_zero"), meta_err("meta_err"), psum_valid("psum_valid"),
        err("err"), psum("psum"), act_reg("act_reg"), w_reg("w_reg"), mac_issue("mac_issue"), mac_live("mac_live") {
    if (cfg.atomic_c != C || cfg.atomic_k != K)
      throw std::invalid_argument("MacPinBridgeT<" + std::to_string(C) + ", " + std::to_string(K) + ">: config '" +
                                  cfg.name + "' is " + std::to_string(cfg.atomic_c) + "x" +
                                  std::to_string(cfg.atomic_k));
  }

  /// Drives and reads `pins`.
  void bind(MacArrayPins<C, K>& pins) {
    rst(pins.rst);
    mode_int16(pins.mode_int16);
    sparse(pins.sparse);
    w_load(pins.w_load);
    a_valid(pins.a_valid);
    col_valid(pins.col_valid);
    lane_valid(pins.lane_valid);
    w_col(pins.w_col);
    w_data(pins.w_data);
    w_zero(pins.w_zero);
    w_idx(pins.w_idx);
    a_data(pins.a_data);
    a_zero(pins.a_zero);
    meta_err(pins.meta_err);
    psum_valid(pins.psum_valid);
    err(pins.err);
    psum(pins.psum);
    act_reg(pins.act_reg);
    w_reg(pins.w_reg);
    mac_issue(pins.mac_issue);
    mac_live(pins.mac_live);
  }

 protected:
  void drive_reset(bool on) override { rst.write(on); }

  void drive_config(const MacPass& p) override {
    mode_int16.write(p.precision == Precision::int16);
    sparse.write(p.format == WeightFormat::sparse_2_4);
    Word cols[rtl_ports::words_for(Widths::col)], lanes[rtl_ports::words_for(Widths::lane)];
    rtl_ports::low_mask(cols, std::size(cols), p.columns);
    rtl_ports::low_mask(lanes, std::size(lanes), p.lanes_valid);
    write(col_valid, cols);
    write(lane_valid, lanes);
  }

  void drive_idle() override {
    w_load.write(false);
    a_valid.write(false);
  }

  void drive_index(const MacPass& p, unsigned k) override {
    Word idx[rtl_ports::words_for(Widths::lane)];
    rtl_ports::index_mask(idx, std::size(idx), p, k);
    write(w_idx, idx);
  }

  void drive_load(const MacPass& p, unsigned k) override {
    w_load.write(true);
    a_valid.write(false);
    Word col[1] = {k};
    write(w_col, col);
    std::uint8_t bank[C];
    Word data[rtl_ports::words_for(Widths::w_data)], zero[rtl_ports::words_for(Widths::w_zero)];
    rtl_ports::weight_bank(p, k, bank);
    rtl_ports::bytes_to_words(bank, C, data);
    write(w_data, data, w_data_value_);
    rtl_ports::flag_mask(zero, std::size(zero), &p.weight_zero[std::size_t(k) * p.lanes], p.lanes);
    write(w_zero, zero);
    drive_index(p, k);
  }

  void drive_stream(const MacPass& p, unsigned v) override {
    w_load.write(false);
    a_valid.write(true);
    std::uint8_t bank[2 * C];
    Word data[rtl_ports::words_for(Widths::a_data)], zero[rtl_ports::words_for(Widths::lane)];
    rtl_ports::activation_bank(p, v, bank);
    rtl_ports::bytes_to_words(bank, 2 * C, data);
    write(a_data, data, a_data_value_);
    rtl_ports::flag_mask(zero, std::size(zero), &p.act_zero[std::size_t(v) * p.act_lanes], p.act_lanes);
    write(a_zero, zero);
  }

  bool read_meta_err() override { return meta_err.read(); }
  bool read_psum_valid() override { return psum_valid.read(); }
  bool read_err() override { return err.read(); }

  void read_psums(std::int64_t* dst) override {
    Word w[rtl_ports::words_for(Widths::psum)];
    pin_to_words(psum.read(), w);
    for (unsigned k = 0; k < K; ++k)
      dst[k] = rtl_ports::sign_extend_psum(rtl_ports::extract_bits(w, std::size_t(k) * rtl_ports::kPsumBits,
                                                                   rtl_ports::kPsumBits));
  }

  MacTaps read_taps() override {
    Word issue[rtl_ports::words_for(Widths::per_mult)], live[rtl_ports::words_for(Widths::per_mult)];
    Word act[rtl_ports::words_for(Widths::a_data)];
    pin_to_words(mac_issue.read(), issue);
    pin_to_words(mac_live.read(), live);
    pin_to_words(act_reg.read(), act);
    pin_to_words(w_reg.read(), weight_words_.data());
    rtl_ports::words_to_bytes(act, 2 * C, act_bytes_);
    rtl_ports::words_to_bytes(weight_words_.data(), std::size_t(C) * K, weight_bytes_.data());
    return {popcount_words(issue, std::size(issue)), popcount_words(live, std::size(live)), act_bytes_,
            weight_bytes_.data()};
  }

 private:
  /// Writes the port from words, through `v` (wide values are kept, not
  /// allocated per cycle).
  template <class Port>
  static void write(Port& port, const Word* w, typename Port::data_type& v) {
    if constexpr (std::is_same_v<typename Port::data_type, bool>)
      v = w[0] & 1;
    else
      pin_from_words(w, v);
    port.write(v);
  }
  template <class Port>
  static void write(Port& port, const Word* w) {
    typename Port::data_type v{};
    write(port, w, v);
  }

  PinBits<Widths::w_data> w_data_value_{};
  PinBits<Widths::a_data> a_data_value_{};

  std::uint8_t act_bytes_[2 * C] = {};
  std::vector<Word> weight_words_ = std::vector<Word>(rtl_ports::words_for(Widths::w_reg));
  std::vector<std::uint8_t> weight_bytes_ = std::vector<std::uint8_t>(std::size_t(C) * K);
};

}  // namespace sdla
