/// \file
/// Golden reference: 3x3 stride-1 convolution by Winograd F(2x2,3x3)
/// (Lavin & Gray 2016), as an exact integer algorithm and as NVDLA computes
/// it with narrow lanes. Plain C++, no SystemC; shapes as in conv.hpp.
///
/// All arithmetic is on integers: the fractional G is replaced by G' = 2G, so
/// U' = G' g G'^T = 4U is integral and the exact output is (A^T M A) / 4.
/// The nvdla mode quantises U' (offline, one shift per layer) and V (in the
/// sequencer, 0..2 bits) into the int8/int16 lanes, which makes it approximate.
///
///     auto y  = sdla::golden::conv2d_winograd(layer, x, w, sdla::golden::WinogradMode::exact);
///     auto yq = sdla::golden::conv2d_winograd(layer, x, w, sdla::golden::WinogradMode::nvdla, 2);
///     auto e  = sdla::golden::error_stats(yq, y);   // y equals golden::conv2d
#pragma once

#include <array>
#include <cstdint>

#include "sdla/layer.hpp"
#include "sdla/tensor.hpp"

namespace sdla::golden {

enum class WinogradMode : std::uint8_t { exact = 1, nvdla = 2 };

/// V = B^T d B of one 4x4 tile (row-major d[i*4+j]), exact.
std::array<std::int64_t, 16> winograd_input_tile(const std::array<std::int64_t, 16>& d);
/// U' = G' g G'^T with G' = 2G (= 4U, integral) of one 3x3 kernel (row-major g[r*3+s]).
std::array<std::int64_t, 16> winograd_weight_tile(const std::array<std::int64_t, 9>& g);
/// Z = A^T m A of one 4x4 product tile -> 2x2 (row-major), exact.
std::array<std::int64_t, 4> winograd_output_tile(const std::array<std::int64_t, 16>& m);

/// round(v / 2^s), ties away from zero; s = 0 returns v. Throws std::invalid_argument for s > 62.
std::int64_t round_shift_away(std::int64_t v, unsigned s);
/// v clamped to [lo, hi].
std::int64_t saturate(std::int64_t v, std::int64_t lo, std::int64_t hi);

/// Transformed weights of a 3x3 layer, as the host compiler stores them:
/// u is [K, C, 4, 4]; weight_shift is the right shift applied to U'.
struct WinogradWeights {
  Tensor<std::int16_t> u;
  unsigned weight_shift = 0;
};

/// w is [K, C, 3, 3], values of precision p held as int16 (LayerError if a
/// value is outside p's range or the shape is not [K, C, 3, 3]).
///  exact: u = U', weight_shift 0. U' of int8 weights always fits int16
///    (|U'| <= 1152); int16 weights whose U' does not fit throw LayerError.
///  nvdla: weight_shift = the smallest s in 0..20 such that round_shift_away(U', s)
///    fits the lane ([-128, 127] for int8, [-32768, 32767] for int16) for every
///    element of the layer; u = those values. One shift for the whole layer
///    keeps a single output scale.
WinogradWeights winograd_weights(const Tensor<std::int16_t>& w, Precision p, WinogradMode mode);

/// Convolution of a 3x3, stride-1 conv2d layer by F(2x2,3x3); input [C, H, W],
/// weights [K, C, 3, 3], both values of the layer's precision held as int16.
/// Returns [K, P, Q] raw accumulators (no post-processing), bit-exact to:
///  tiles: output tile (tp, tq) covers output rows 2tp, 2tp+1 and cols 2tq, 2tq+1;
///   tiles = ceil(P/2) x ceil(Q/2); its input tile d is input rows 2tp - pad.top .. +3,
///   cols 2tq - pad.left .. +3, zero outside the image. Outputs of partial tiles
///   beyond P x Q are dropped.
///  exact: U' = winograd_weights(w, exact).u (so int16 weights whose U' overflows
///   int16 throw), V = B^T d B, M = sum_c U'[k][c] (.) V[c] (int64), Z = A^T M A,
///   y = Z / 4 (the remainder is 0). Identical to golden::conv2d.
///  nvdla: U_q and ws from winograd_weights(w, nvdla); t = input_shift;
///   V_q = saturate(round_shift_away(V, t), lane lo, lane hi); M = sum_c U_q (.) V_q
///   (exact int64); Z = A^T M A; e = ws + t - 2;
///   y = e >= 0 ? Z * 2^e : round_shift_away(Z, -e).
/// Throws LayerError when the layer is invalid or not a 3x3 stride-1 conv2d,
/// when shapes or values do not match it, or when input_shift > 2.
Tensor<std::int64_t> conv2d_winograd(const Layer& layer, const Tensor<std::int16_t>& input,
                                     const Tensor<std::int16_t>& weights, WinogradMode mode,
                                     unsigned input_shift = 2);

/// Error of an approximate result against the exact one: max |a-b|, mean |a-b|,
/// and mean |a-b| / max(1, |exact|) (the max keeps exact zeros from dividing by 0).
struct ErrorStats {
  double max_abs = 0, mean_abs = 0, mean_rel = 0;
};
/// Throws std::invalid_argument when the shapes differ; all zeros for empty tensors.
ErrorStats error_stats(const Tensor<std::int64_t>& approx, const Tensor<std::int64_t>& exact);

}  // namespace sdla::golden
