/// \file
/// A MAC pass at SIMD speed (AVX2), for the shapes that have kernels. Two
/// steps, so a rejected pass changes nothing:
///  1. load_weights_avx2: one sweep over the valid columns' weights does the
///     int8 range check, the 2:4 metadata check, the weight registers' load
///     (into a second bank, swapped in by the caller) and toggles, the live
///     weights each activation lane feeds, and the live weights as the
///     product kernels read them.
///  2. stream_avx2: for every vector, the activation registers' loads and
///     toggles, the issued multipliers with both operands live, and every
///     column's partial sum.
/// MacDatapath keeps its portable loops for other CPUs and shapes; both
/// compute the same integers (tests compare them on random passes).
///
///     StreamPlan plan;
///     if (stream_avx2_available() && stream_kernel_fits(pass) && acts_fit_avx2(pass)) {
///       const WeightLoad w = load_weights_avx2(pass, reg, next_reg, plan);
///       ... reject on !w.fit / !w.metadata_valid, else take next_reg as the bank ...
///       stream_avx2(pass, plan, act_reg, totals);
///     }
#pragma once

#include <cstdint>
#include <vector>

#include "sdla/mac_pass.hpp"

namespace sdla {

/// Activation bus lanes a kernel's stack buffers hold.
constexpr unsigned kMaxStreamLanes = 256;

/// A pass's weights as the kernels read them. The buffers only grow and
/// only what the pass reads is written, so a steady-state pass allocates
/// and zero-fills nothing.
struct StreamPlan {
  /// Live weights (zero where gated) by column: [atomic_k][row] int16, row
  /// = lanes (dense) or act_lanes (2:4: each kept weight at the activation
  /// lane its metadata selects, zero elsewhere, so one dense product serves
  /// both formats). Only the valid columns' rows are written.
  std::vector<std::int16_t> rows;
  unsigned row = 0;
  /// Activation lane pairs holding valid lanes.
  unsigned pairs = 0;
  /// The rows pair-interleaved for passes of many vectors:
  /// [pairs][atomic_k][2], invalid columns zero (int16: each weight split
  /// as hi * 256 + lo, [pairs][lo, hi][atomic_k][2]).
  std::vector<std::int16_t> weights;
  /// Live weights each activation lane feeds (at most atomic_k <= 32): a
  /// pass's random multipliers are the sum over vectors and live lanes.
  std::uint8_t live_w_per_lane[kMaxStreamLanes] = {};
};

/// What loading a pass's weights found.
struct WeightLoad {
  bool fit = true;             ///< int8: every live weight fits a byte
  bool metadata_valid = true;  ///< 2:4: every group's indices are ordered and below 4
  std::uint64_t toggles = 0;   ///< weight register bit toggles
  std::uint64_t issued = 0;    ///< multipliers issued per vector
};

struct StreamTotals {
  std::uint64_t act_toggles = 0;
  std::uint64_t random = 0;  ///< issued multipliers with both operands live
};

/// The pass's shape (array size, precision) has kernels.
bool stream_kernel_fits(const MacPass& p);
bool stream_avx2_available();

/// The rest: only for a pass whose shape fits, on a CPU with AVX2.
/// int8: every live activation of a valid lane fits a byte (int16: true).
bool acts_fit_avx2(const MacPass& p);
/// Loads the valid columns' weight registers from `reg` into `next` (the
/// same layout; other columns are not written) and fills `plan`.
WeightLoad load_weights_avx2(const MacPass& p, const std::uint8_t* reg, std::uint8_t* next, StreamPlan& plan);
/// Streams every vector of `p` (psums written), updating the activation
/// register bank `act_reg` (2 * atomic_c bytes) and adding to `totals`.
/// After load_weights_avx2 on the same pass.
void stream_avx2(MacPass& p, StreamPlan& plan, std::uint8_t* act_reg, StreamTotals& totals);

}  // namespace sdla
