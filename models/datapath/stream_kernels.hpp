/// \file
/// The activation stream of a MAC pass at SIMD speed: for every vector, the
/// activation registers' loads and toggles, the issued multipliers with both
/// operands live, and every column's partial sum. MacDatapath prepares the
/// pass's weights and counts once per pass (prepare_stream) and keeps its
/// portable loops for what a kernel does not cover; the kernels compute the
/// same integers on any CPU (tests compare them on random passes).
///
///     StreamPlan plan;
///     if (stream_avx2_available() && prepare_stream(pass, live_w, select, live_w_per_lane, plan))
///       stream_avx2(pass, plan, act_reg, totals);
#pragma once

#include <cstdint>
#include <vector>

#include "sdla/mac_pass.hpp"

namespace sdla {

/// A pass's operands as the kernels read them, built once per pass.
struct StreamPlan {
  /// Live weights by activation lane, pair-interleaved: [pairs][atomic_k][2].
  /// 2:4 weights sit at the lane their metadata selects; every other entry
  /// is zero, which adds exactly nothing, so one dense product serves both.
  std::vector<std::int16_t> weights;
  unsigned pairs = 0;
  /// Live weights each activation lane feeds: a pass's random multipliers
  /// are the sum over lanes of (vectors in which the lane was live) x this.
  const std::uint32_t* live_w_per_lane = nullptr;
};

struct StreamTotals {
  std::uint64_t act_toggles = 0;
  std::uint64_t random = 0;  ///< issued multipliers with both operands live
};

/// The pass's shape (array size, precision) has a kernel.
bool stream_kernel_fits(const MacPass& p);

/// Fills `plan` from the pass's live weights ([atomic_k][lanes], zero where
/// gated), the activation lane each multiplier reads (`select`; null: its
/// own lane, as dense weights read) and the live
/// weights per activation lane; false when the pass's shape has no kernel.
bool prepare_stream(const MacPass& p, const std::vector<std::int16_t>& live_w, const std::uint16_t* select,
                    const std::vector<std::uint32_t>& live_w_per_lane, StreamPlan& plan);

bool stream_avx2_available();
/// Streams every vector of `p` (psums written), updating the activation
/// register bank `act_reg` (2 * atomic_c bytes) and adding to `totals`.
/// Only after prepare_stream returned true and on a CPU with AVX2.
void stream_avx2(MacPass& p, const StreamPlan& plan, std::uint8_t* act_reg, StreamTotals& totals);

}  // namespace sdla
