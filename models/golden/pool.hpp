/// \file
/// Golden reference of the pooling unit (NVDLA's PDP): max and average
/// pooling of int8/int16 feature maps, written for clarity, not speed. No
/// SystemC. The rule is PoolKind's (sdla/layer.hpp): only window elements
/// inside the image count, and the average is floor((2 * sum + n) / (2 * n)).
///
///     sdla::Layer l;  l.op = sdla::Op::pool;  l.pool_kind = sdla::PoolKind::max;
///     l.in_channels = l.out_channels = 64; l.in_height = l.in_width = 112;
///     l.kernel_h = l.kernel_w = 3; l.stride_h = l.stride_w = 2; l.pad = {1, 1, 1, 1};
///     auto y = sdla::golden::pool(l, x);   // x [64, 112, 112] -> y [64, 56, 56]
#pragma once

#include <cstdint>

#include "sdla/layer.hpp"
#include "sdla/tensor.hpp"

namespace sdla::golden {

/// Input [C, H, W] -> output [C, P, Q] of the same type; throws LayerError
/// for a layer that is not a valid pool layer of that precision, or a shape
/// that is not its input.
Tensor<std::int8_t> pool(const Layer& layer, const Tensor<std::int8_t>& input);
Tensor<std::int16_t> pool(const Layer& layer, const Tensor<std::int16_t>& input);

/// floor(a / b) for b > 0 (C++ division truncates towards zero).
std::int64_t floor_div(std::int64_t a, std::int64_t b);

}  // namespace sdla::golden
