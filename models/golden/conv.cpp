#include "golden/conv.hpp"

#include <algorithm>
#include <limits>
#include <vector>

namespace sdla::golden {
namespace {

void check_shapes(const Layer& layer, const Shape& in, const Shape& w) {
  layer.validate();
  const Shape want_in{layer.in_channels, layer.in_height, layer.in_width};
  const Shape want_w{layer.out_channels, layer.in_channels, layer.kernel_h, layer.kernel_w};
  if (in != want_in)
    throw LayerError("golden: input shape " + to_string(in) + ", layer needs " + to_string(want_in));
  if (w != want_w)
    throw LayerError("golden: weight shape " + to_string(w) + ", layer needs " + to_string(want_w));
}

// acc[k] += w[k] * x over the output channels: the innermost loop of the
// convolution, vectorized where the CPU allows (one binary for any x86-64).
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
#define SDLA_GOLDEN_CLONES __attribute__((target_clones("avx2", "default")))
#else
#define SDLA_GOLDEN_CLONES
#endif
SDLA_GOLDEN_CLONES void axpy(std::int32_t* acc, const std::int8_t* w, std::int32_t x, unsigned n) {
  for (unsigned k = 0; k < n; ++k) acc[k] += std::int32_t(w[k]) * x;
}
SDLA_GOLDEN_CLONES void axpy(std::int64_t* acc, const std::int16_t* w, std::int64_t x, unsigned n) {
  for (unsigned k = 0; k < n; ++k) acc[k] += std::int64_t(w[k]) * x;
}

template <class Acc, class T>
Tensor<Acc> direct_conv(const Layer& l, const Tensor<T>& x, const Tensor<T>& w) {
  check_shapes(l, x.shape(), w.shape());
  const unsigned K = l.out_channels, C = l.in_channels, R = l.kernel_h, S = l.kernel_w;
  const unsigned P = l.out_height(), Q = l.out_width();
  // y[k][p][q] = sum over c, r, s of x[c][p*sh + r - pad_top][q*sw + s - pad_left] * w[k][c][r][s];
  // positions in the padding are outside the image and contribute zero.
  // Weights as [c][r][s][k], so the innermost loop runs over output channels,
  // and a whole output row accumulates at once, so each weight is read once per row.
  std::vector<T> wt(w.size());
  for (unsigned k = 0; k < K; ++k)
    for (unsigned c = 0; c < C; ++c)
      for (unsigned r = 0; r < R; ++r)
        for (unsigned s = 0; s < S; ++s) wt[((std::size_t(c) * R + r) * S + s) * K + k] = w.at({k, c, r, s});
  Tensor<Acc> y({K, P, Q});
  std::vector<Acc> row(std::size_t(Q) * K);  // [q][k]
  for (unsigned p = 0; p < P; ++p) {
    std::fill(row.begin(), row.end(), Acc(0));
    for (unsigned c = 0; c < C; ++c)
      for (unsigned r = 0; r < R; ++r) {
        const long h = long(p) * l.stride_h + r - long(l.pad.top);
        if (h < 0 || h >= long(l.in_height)) continue;
        const T* in = &x.at({c, std::size_t(h), 0});
        for (unsigned s = 0; s < S; ++s) {
          const T* ws = &wt[((std::size_t(c) * R + r) * S + s) * K];
          for (unsigned q = 0; q < Q; ++q) {
            const long v = long(q) * l.stride_w + s - long(l.pad.left);
            if (v < 0 || v >= long(l.in_width) || in[v] == 0) continue;
            axpy(&row[std::size_t(q) * K], ws, Acc(in[v]), K);
          }
        }
      }
    for (unsigned k = 0; k < K; ++k)
      for (unsigned q = 0; q < Q; ++q) y.at({k, p, q}) = row[std::size_t(q) * K + k];
  }
  return y;
}

template <class Out, class Acc>
Tensor<Out> post(const Layer& l, const Tensor<Acc>& acc, const Tensor<std::int32_t>& bias) {
  if (!l.post.enabled) throw LayerError("golden: layer '" + l.name + "' has no post-processing");
  const unsigned K = l.out_channels;
  if (acc.rank() != 3 || acc.dim(0) != K)
    throw LayerError("golden: accumulator shape " + to_string(acc.shape()) + " does not match layer");
  if (bias.shape() != Shape{K})
    throw LayerError("golden: bias shape " + to_string(bias.shape()) + ", layer needs [" +
                     std::to_string(K) + "]");
  Tensor<Out> y(acc.shape());
  const std::size_t plane = acc.dim(1) * acc.dim(2);
  for (unsigned k = 0; k < K; ++k)
    for (std::size_t i = 0; i < plane; ++i) {
      const std::size_t at = k * plane + i;
      y.data()[at] = Out(requantize(std::int64_t(acc.data()[at]) + bias.data()[k],
                                    l.post.multiplier_for(k), l.post.shift_for(k), l.post.relu,
                                    std::numeric_limits<Out>::min(), std::numeric_limits<Out>::max()));
    }
  return y;
}

}  // namespace

Tensor<std::int32_t> conv2d(const Layer& l, const Tensor<std::int8_t>& x, const Tensor<std::int8_t>& w) {
  if (l.precision != Precision::int8) throw LayerError("golden: int8 tensors for an int16 layer");
  return direct_conv<std::int32_t>(l, x, w);
}

Tensor<std::int64_t> conv2d(const Layer& l, const Tensor<std::int16_t>& x, const Tensor<std::int16_t>& w) {
  if (l.precision != Precision::int16) throw LayerError("golden: int16 tensors for an int8 layer");
  return direct_conv<std::int64_t>(l, x, w);
}

std::int64_t requantize(std::int64_t v, std::int32_t multiplier, unsigned shift, bool relu,
                        std::int64_t lo, std::int64_t hi) {
  // 128-bit product: an int16 layer's 48-bit sum times a 32-bit multiplier.
  __int128 scaled = __int128(v) * multiplier;
  if (shift > 0) scaled = (scaled + (__int128(1) << (shift - 1))) >> shift;  // ties to +inf
  if (relu && scaled < 0) scaled = 0;
  if (scaled < lo) return lo;
  if (scaled > hi) return hi;
  return std::int64_t(scaled);
}

Tensor<std::int8_t> postprocess(const Layer& l, const Tensor<std::int32_t>& acc,
                                const Tensor<std::int32_t>& bias) {
  if (l.precision != Precision::int8) throw LayerError("golden: int32 accumulators for an int16 layer");
  return post<std::int8_t>(l, acc, bias);
}

Tensor<std::int16_t> postprocess(const Layer& l, const Tensor<std::int64_t>& acc,
                                 const Tensor<std::int32_t>& bias) {
  if (l.precision != Precision::int16) throw LayerError("golden: int64 accumulators for an int8 layer");
  return post<std::int16_t>(l, acc, bias);
}

}  // namespace sdla::golden
