/// \file
/// The post-processor's arithmetic on a tile of output pixels: the PostOp
/// rule (sdla/layer.hpp) over each pixel's channel sums, at SIMD speed where
/// the CPU has AVX2 and in portable loops elsewhere; both give the same
/// integers (tests compare them with the golden rule).
///
///     ChannelRules rules(layer, bias);             // once per layer
///     for (unsigned v = 0; v < pixels; ++v) {
///       v += requantize_rows(rules, c0, n, sums + v * stride, stride, nullptr, pixels - v, 1, out + v * n);
///       if (v < pixels) ... pixel v has a sum + bias beyond int32: golden::requantize_add
///     }
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

/// The PostOp rule for channels c0 .. c0 + n - 1 of `rows` pixels:
/// sums[v * stride + k] + bias, plus residual[v * n + k] (none when null),
/// written as `out_bytes`-byte little-endian integers, pixel after pixel, to
/// out. Returns the first pixel where some sum + bias lies outside int32
/// (there the product may not fit 64 bits: its output is unspecified, and
/// the pixels after it are not written), `rows` when there is none. `simd`: use the AVX2 loop when
/// the CPU has it.
unsigned requantize_rows(const ChannelRules& rules, unsigned c0, unsigned n, const std::int64_t* sums,
                         std::size_t stride, const std::int64_t* residual, unsigned rows, unsigned out_bytes,
                         std::uint8_t* out, bool simd = true);

}  // namespace sdla
