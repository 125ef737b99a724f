/// \file
/// Golden reference: direct convolution, fully connected layers and
/// post-processing, written for clarity, not speed. No SystemC.
///
/// Canonical shapes: input [C, H, W], weights [K, C / groups, R, S] (ONNX),
/// bias [K], output [K, P, Q]. A fully connected layer is the case
/// H = W = R = S = 1. A grouped layer's output channel k reads the C / groups
/// input channels of its group k / (K / groups) only.
///
///     auto acc = sdla::golden::conv2d(layer, x, w);        // int32 or int64
///     auto y   = sdla::golden::postprocess(layer, acc, b); // int8 or int16
#pragma once

#include <cstdint>

#include "sdla/layer.hpp"
#include "sdla/tensor.hpp"

namespace sdla::golden {

/// Exact accumulation: int8 operands accumulate in int32, int16 in int64.
Tensor<std::int32_t> conv2d(const Layer& layer, const Tensor<std::int8_t>& input,
                            const Tensor<std::int8_t>& weights);
Tensor<std::int64_t> conv2d(const Layer& layer, const Tensor<std::int16_t>& input,
                            const Tensor<std::int16_t>& weights);

/// The PostOp rule of layer.hpp on one value; `lo`/`hi` are the saturation bounds.
std::int64_t requantize(std::int64_t acc_plus_bias, std::int32_t multiplier, unsigned shift,
                        bool relu, std::int64_t lo, std::int64_t hi);

/// The PostOp rule with a residual element added: round_half_up(v * multiplier
/// / 2^shift) + residual, then ReLU, then saturation to [lo, hi].
std::int64_t requantize_add(std::int64_t acc_plus_bias, std::int32_t multiplier, unsigned shift,
                            std::int64_t residual, bool relu, std::int64_t lo, std::int64_t hi);

/// Bias, requantisation, ReLU and saturation to the layer's precision.
Tensor<std::int8_t> postprocess(const Layer& layer, const Tensor<std::int32_t>& acc,
                                const Tensor<std::int32_t>& bias);
Tensor<std::int16_t> postprocess(const Layer& layer, const Tensor<std::int64_t>& acc,
                                 const Tensor<std::int32_t>& bias);
/// A residual layer (Layer::residual): `residual` [K, P, Q], of the layer's
/// precision, is added after requantisation, before ReLU and saturation.
Tensor<std::int8_t> postprocess(const Layer& layer, const Tensor<std::int32_t>& acc,
                                const Tensor<std::int32_t>& bias, const Tensor<std::int8_t>& residual);
Tensor<std::int16_t> postprocess(const Layer& layer, const Tensor<std::int64_t>& acc,
                                 const Tensor<std::int32_t>& bias, const Tensor<std::int16_t>& residual);

}  // namespace sdla::golden
