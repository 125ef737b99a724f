// Small layer builders shared by the tests.
#pragma once

#include <cstdint>
#include <string>

#include "sdla/layer.hpp"

namespace sdla::test {

/// A conv2d layer with an R x R kernel, stride 1 and "same" padding R / 2.
inline Layer conv_layer(const std::string& name, unsigned C, unsigned H, unsigned W, unsigned K, unsigned R,
                        Precision p = Precision::int8) {
  Layer l;
  l.name = name;
  l.precision = p;
  l.in_channels = C;
  l.in_height = H;
  l.in_width = W;
  l.out_channels = K;
  l.kernel_h = l.kernel_w = R;
  l.pad = {R / 2, R / 2, R / 2, R / 2};
  return l;
}

/// `l` with post-processing: one multiplier and shift for every channel.
inline Layer with_post(Layer l, std::int32_t multiplier, std::uint8_t shift, bool relu = true) {
  l.post.enabled = true;
  l.post.relu = relu;
  l.post.multiplier = {multiplier};
  l.post.shift = {shift};
  return l;
}

/// A pool layer: an R x R window, stride and padding on every side.
inline Layer pool_layer(const std::string& name, PoolKind kind, unsigned C, unsigned H, unsigned W, unsigned R,
                        unsigned stride, unsigned pad, Precision p = Precision::int8) {
  Layer l;
  l.name = name;
  l.op = Op::pool;
  l.pool_kind = kind;
  l.precision = p;
  l.in_channels = l.out_channels = C;
  l.in_height = H;
  l.in_width = W;
  l.kernel_h = l.kernel_w = R;
  l.stride_h = l.stride_w = stride;
  l.pad = {pad, pad, pad, pad};
  return l;
}

/// Global average pooling: avg over the whole H x W input.
inline Layer global_avgpool(const std::string& name, unsigned C, unsigned H, unsigned W,
                            Precision p = Precision::int8) {
  Layer l = pool_layer(name, PoolKind::avg, C, H, W, 1, 1, 0, p);
  l.kernel_h = H;
  l.kernel_w = W;
  return l;
}

/// `l` (post-processed) with a residual add.
inline Layer with_residual(Layer l) {
  l.residual = true;
  return l;
}

}  // namespace sdla::test
