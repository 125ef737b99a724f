/// \file
/// One pass through the MAC array: the payload of the MAC-array TLM protocol
/// (mac_array_protocol.hpp) and the datapath rules every implementation obeys.
/// Plain C++, so RTL harnesses and tests use it without SystemC.
///
/// One transaction is one *pass*: load a block of stationary weights, then
/// stream `vectors` activation vectors through the array, one per cycle, and
/// return one partial sum per vector and column.
///
///     MacPass p;
///     p.configure(cfg, Precision::int8, WeightFormat::dense);
///     ... fill weights/weight_zero for p.columns, acts/act_zero for p.vectors ...
///     sc_time delay = SC_ZERO_TIME;
///     mac_isock->b_transport(p, delay);   // p.psums, p.activity, p.cycles filled
///
/// Datapath rules shared by every implementation (and so by the activity
/// counters, which must be equal, not close):
///  * The array has `atomic_k` columns of `lanes` multipliers; lanes =
///    atomic_c for int8 and atomic_c / 2 for int16 (the same bus bytes).
///  * The activation bus carries `act_lanes` = 2 * lanes values per cycle
///    (2:4 weights consume both halves; dense weights only the first `lanes`).
///    Activation operand registers sit on the bus, one per lane, shared by all
///    columns; weight operand registers sit in each multiplier.
///  * Operand registers are a byte bank: lane i is byte i (int8) or bytes
///    2i, 2i+1 little-endian (int16). A register loads only when its lane is
///    valid and its zero line is clear; otherwise it holds (no toggles).
///  * A multiplier is *issued* when its column is valid and its activation
///    lane (dense: lane i; 2:4: the lane its metadata selects) is valid; an
///    issued multiplier with either zero line set is *gated* and adds exactly
///    zero; otherwise it is *random* and adds weight * activation.
///  * A pass costs `columns` cycles to load the weights (one column per
///    cycle, no issue) plus one cycle per activation vector.
#pragma once

#include <cstdint>
#include <vector>

#include "sdla/config.hpp"
#include "sdla/layer.hpp"

namespace sdla {

enum class WeightFormat : std::uint8_t { dense = 0, sparse_2_4 = 1 };

/// Every value v[r * stride + i], i < n, r < rows, whose zero line is clear
/// fits one int8 lane (it reads every operand of a pass, so it is
/// vectorized; models/datapath/mac_pass.cpp).
bool int8_operands_fit(const std::int16_t* v, const std::uint8_t* zero, std::size_t n, std::size_t rows = 1,
                       std::size_t stride = 0);

/// MAC-array activity of one pass or a sum of passes.
struct MacActivity {
  std::uint64_t cycles = 0;          ///< array cycles, weight load included
  std::uint64_t mac_random = 0;      ///< multiplier-cycles issued with both operands live
  std::uint64_t mac_gated = 0;       ///< multiplier-cycles issued with a zero line set
  std::uint64_t mac_idle = 0;        ///< multiplier-cycles not issued
  std::uint64_t act_toggles = 0;     ///< bit toggles of activation operand registers
  std::uint64_t weight_toggles = 0;  ///< bit toggles of weight operand registers

  MacActivity& operator+=(const MacActivity& o) {
    cycles += o.cycles; mac_random += o.mac_random; mac_gated += o.mac_gated;
    mac_idle += o.mac_idle; act_toggles += o.act_toggles; weight_toggles += o.weight_toggles;
    return *this;
  }
  bool operator==(const MacActivity& o) const {
    return cycles == o.cycles && mac_random == o.mac_random && mac_gated == o.mac_gated &&
           mac_idle == o.mac_idle && act_toggles == o.act_toggles && weight_toggles == o.weight_toggles;
  }
  bool operator!=(const MacActivity& o) const { return !(*this == o); }
};

/// model_mismatch: a cross-checking target (RTL against the C++ model) saw
/// the two disagree on this pass's sums or activity.
enum class MacStatus : std::uint8_t { ok = 0, bad_request = 1, bad_metadata = 2, model_mismatch = 3 };

/// One pass through the MAC array. Buffers are sized by configure() and
/// reused from pass to pass, so a steady-state pass allocates nothing.
struct MacPass {
  // ---- request, set by the initiator
  Precision precision = Precision::int8;
  WeightFormat format = WeightFormat::dense;
  unsigned atomic_k = 0;       ///< physical columns
  unsigned lanes = 0;          ///< multipliers per column in this precision
  unsigned act_lanes = 0;      ///< activation bus lanes: 2 * lanes
  unsigned columns = 0;        ///< valid columns, <= atomic_k
  unsigned lanes_valid = 0;    ///< valid activation lanes, <= act_lanes
  unsigned vectors = 0;        ///< activation vectors streamed
  std::vector<std::int16_t> weights;      ///< [atomic_k][lanes]
  std::vector<std::uint8_t> weight_zero;  ///< [atomic_k][lanes], 1 = zero line set
  std::vector<std::uint8_t> weight_index; ///< [atomic_k][lanes], 2:4 metadata (0..3)
  std::vector<std::int16_t> acts;         ///< [vectors][act_lanes]
  std::vector<std::uint8_t> act_zero;     ///< [vectors][act_lanes], 1 = zero line set

  // ---- response, set by the target
  std::vector<std::int64_t> psums;        ///< [vectors][atomic_k]
  MacActivity activity;
  MacStatus status = MacStatus::ok;
  /// Set by a target that also ran the C++ model on the pass: the model's
  /// activity, equal to `activity` unless status is model_mismatch.
  bool has_reference = false;
  MacActivity reference;

  /// Size the buffers for `cfg` and `max_vectors`, keeping capacity.
  void configure(const AcceleratorConfig& cfg, Precision p, WeightFormat f, unsigned max_vectors) {
    precision = p; format = f;
    atomic_k = cfg.atomic_k; lanes = cfg.lanes(p); act_lanes = 2 * lanes;
    weights.assign(std::size_t(atomic_k) * lanes, 0);
    weight_zero.assign(weights.size(), 1);
    weight_index.assign(weights.size(), 0);
    acts.resize(std::size_t(max_vectors) * act_lanes);
    act_zero.resize(acts.size());
    psums.resize(std::size_t(max_vectors) * atomic_k);
  }
  std::int16_t& weight(unsigned k, unsigned lane) { return weights[std::size_t(k) * lanes + lane]; }
  std::int16_t& act(unsigned v, unsigned lane) { return acts[std::size_t(v) * act_lanes + lane]; }
  std::int64_t psum(unsigned v, unsigned k) const { return psums[std::size_t(v) * atomic_k + k]; }
  /// The request is well-formed: well shaped, and its values fit.
  bool well_formed() const { return well_shaped() && values_fit(); }
  /// Sizes agree and counts fit the array.
  bool well_shaped() const {
    return lanes > 0 && act_lanes == 2 * lanes && columns <= atomic_k && lanes_valid <= act_lanes &&
           (format == WeightFormat::sparse_2_4 || lanes_valid <= lanes) &&
           weights.size() == std::size_t(atomic_k) * lanes && weight_zero.size() == weights.size() &&
           weight_index.size() == weights.size() && acts.size() >= std::size_t(vectors) * act_lanes &&
           act_zero.size() >= std::size_t(vectors) * act_lanes && psums.size() >= std::size_t(vectors) * atomic_k;
  }
  /// In int8, every value that reaches a register (live, in a valid column
  /// or lane) fits its one-byte lane. Only for a well-shaped request.
  bool values_fit() const {
    if (precision != Precision::int8) return true;
    if (!int8_operands_fit(weights.data(), weight_zero.data(), std::size_t(columns) * lanes)) return false;
    return int8_operands_fit(acts.data(), act_zero.data(), lanes_valid, vectors, act_lanes);
  }
};

}  // namespace sdla
