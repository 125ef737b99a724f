/// \file
/// The post-processor's arithmetic on one output pixel: the PostOp rule
/// (sdla/layer.hpp) over a row of channel sums, at SIMD speed where the CPU
/// has AVX2 and in portable loops elsewhere; both give the same integers
/// (tests compare them with the golden rule).
///
///     ChannelRules rules(layer, bias);             // once per layer
///     if (!requantize_row(rules, c0, sums, residual, n, y))
///       ... a sum + bias beyond int32: take golden::requantize_add for this row
#pragma once

#include <cstdint>
#include <vector>

#include "sdla/layer.hpp"

namespace sdla {

/// A layer's per-channel requantisation parameters, laid out for the row loop.
struct ChannelRules {
  ChannelRules() = default;
  ChannelRules(const Layer& layer, const std::vector<std::int32_t>& bias);

  std::vector<std::int64_t> bias, multiplier;  // multiplier: the int32 value, sign-extended
  /// 2^62 + the rounding constant, and 2^62 >> shift: adding 2^62 before the
  /// shift makes it a logical one (AVX2 has no 64-bit arithmetic shift), and
  /// it is exact because 2^62 is a multiple of 2^shift for shift <= 62.
  std::vector<std::uint64_t> round, shift, offset;
  std::int64_t lo = 0, hi = 0;  ///< the output range, ReLU folded into lo
};

/// y[k] = the PostOp rule for channel c0 + k of sums[k] + bias, plus
/// residual[k], for k < n. False (y unspecified) when some sum + bias lies
/// outside int32, where the product may not fit 64 bits. `simd`: use the
/// AVX2 loop when the CPU has it.
bool requantize_row(const ChannelRules& rules, unsigned c0, const std::int64_t* sums, const std::int64_t* residual,
                    unsigned n, std::int64_t* y, bool simd = true);

}  // namespace sdla
