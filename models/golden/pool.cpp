#include "golden/pool.hpp"

#include <algorithm>

namespace sdla::golden {
namespace {

template <class T>
Tensor<T> pool_layer(const Layer& l, const Tensor<T>& x) {
  l.validate();
  if (l.op != Op::pool) throw LayerError("golden: layer '" + l.name + "' is a " + to_string(l.op) + " layer, not pool");
  const Shape want{l.in_channels, l.in_height, l.in_width};
  if (x.shape() != want)
    throw LayerError("golden: pool input shape " + to_string(x.shape()) + ", layer needs " + to_string(want));
  const unsigned C = l.in_channels, H = l.in_height, W = l.in_width, P = l.out_height(), Q = l.out_width();
  Tensor<T> y({C, P, Q});
  for (unsigned c = 0; c < C; ++c)
    for (unsigned p = 0; p < P; ++p)
      for (unsigned q = 0; q < Q; ++q) {
        // The window clipped to the image: padding holds no values.
        const long h0 = long(p) * l.stride_h - long(l.pad.top), w0 = long(q) * l.stride_w - long(l.pad.left);
        const long h_lo = std::max(h0, 0L), h_hi = std::min(h0 + long(l.kernel_h), long(H));
        const long w_lo = std::max(w0, 0L), w_hi = std::min(w0 + long(l.kernel_w), long(W));
        std::int64_t best = 0, sum = 0, n = 0;
        for (long h = h_lo; h < h_hi; ++h)
          for (long w = w_lo; w < w_hi; ++w) {
            const std::int64_t v = x.at({c, std::size_t(h), std::size_t(w)});
            best = n == 0 ? v : std::max(best, v);
            sum += v;
            ++n;
          }
        if (n == 0) throw LayerError("golden: layer '" + l.name + "': a pooling window holds no image element");
        y.at({c, p, q}) = T(l.pool_kind == PoolKind::max ? best : floor_div(2 * sum + n, 2 * n));
      }
  return y;
}

}  // namespace

std::int64_t floor_div(std::int64_t a, std::int64_t b) {
  const std::int64_t q = a / b;
  return q * b > a ? q - 1 : q;
}

Tensor<std::int8_t> pool(const Layer& l, const Tensor<std::int8_t>& x) {
  if (l.precision != Precision::int8) throw LayerError("golden: int8 tensors for an int16 pool layer");
  return pool_layer(l, x);
}

Tensor<std::int16_t> pool(const Layer& l, const Tensor<std::int16_t>& x) {
  if (l.precision != Precision::int16) throw LayerError("golden: int16 tensors for an int8 pool layer");
  return pool_layer(l, x);
}

}  // namespace sdla::golden
