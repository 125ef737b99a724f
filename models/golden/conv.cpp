#include "golden/conv.hpp"

#include <algorithm>
#include <limits>
#include <vector>

#include "sdla/multiversion.hpp"

namespace sdla::golden {
namespace {

void check_shapes(const Layer& layer, const Shape& in, const Shape& w) {
  layer.validate();
  const Shape want_in{layer.in_channels, layer.in_height, layer.in_width};
  const Shape want_w{layer.out_channels, layer.group_channels(), layer.kernel_h, layer.kernel_w};
  if (in != want_in)
    throw LayerError("golden: input shape " + to_string(in) + ", layer needs " + to_string(want_in));
  if (w != want_w)
    throw LayerError("golden: weight shape " + to_string(w) + ", layer needs " + to_string(want_w));
}

// Four dot products sharing one weight row: out[j] = sum over i of w[i] * a[j * stride + i].
// A reduction of int16 products is the multiply-add shape (pmaddwd) the
// compiler vectorizes, with an AVX2 copy (sdla/multiversion.hpp).
constexpr unsigned kPixels = 4;

template <class Acc>
SDLA_AVX2_CLONES void dot4(const std::int16_t* w, const std::int16_t* a, std::size_t n, Acc* out) {
  const std::int16_t *a0 = a, *a1 = a + n, *a2 = a + 2 * n, *a3 = a + 3 * n;
  Acc s0 = 0, s1 = 0, s2 = 0, s3 = 0;
  for (std::size_t i = 0; i < n; ++i) {
    const std::int32_t wi = w[i];  // an int16 product is exact in int32; int16 layers sum in int64
    s0 += Acc(wi * a0[i]);
    s1 += Acc(wi * a1[i]);
    s2 += Acc(wi * a2[i]);
    s3 += Acc(wi * a3[i]);
  }
  out[0] = s0, out[1] = s1, out[2] = s2, out[3] = s3;
}

template <class Acc, class T>
Tensor<Acc> direct_conv(const Layer& l, const Tensor<T>& x, const Tensor<T>& w) {
  check_shapes(l, x.shape(), w.shape());
  const unsigned K = l.out_channels, C = l.in_channels, R = l.kernel_h, S = l.kernel_w;
  const unsigned P = l.out_height(), Q = l.out_width();
  // Grouped: output channel k reads only the Cg = C / groups channels of its
  // group g = k / (K / groups), starting at channel g * Cg (groups = 1: all of them).
  const unsigned G = l.groups, Cg = C / G, Kg = K / G;
  // y[k][p][q] = sum over c < Cg, r, s of x[g*Cg + c][p*sh + r - pad_top][q*sw + s - pad_left] * w[k][c][r][s];
  // positions in the padding are outside the image and contribute zero.
  // im2col: an output pixel's operands of each group laid out as one row in
  // the weights' own [c][r][s] order, so every output is a plain dot product
  // of two rows (depthwise: rows of R * S, never expanded to all channels).
  const std::size_t n = std::size_t(Cg) * R * S;
  const std::vector<std::int16_t> weights(w.data(), w.data() + w.size());  // [k][c][r][s]
  std::vector<std::int16_t> rows(std::size_t(G) * kPixels * n);            // [group][pixel][c][r][s]
  Tensor<Acc> y({K, P, Q});
  const std::size_t pixels = std::size_t(P) * Q;
  Acc sums[kPixels];
  for (std::size_t first = 0; first < pixels; first += kPixels) {
    const std::size_t count = std::min<std::size_t>(kPixels, pixels - first);
    std::fill(rows.begin(), rows.end(), 0);
    for (std::size_t j = 0; j < count; ++j) {
      const long p = long((first + j) / Q), q = long((first + j) % Q);
      for (unsigned c = 0; c < C; ++c) {
        std::int16_t* row = &rows[(std::size_t(c / Cg) * kPixels + j) * n + std::size_t(c % Cg) * R * S];
        for (unsigned r = 0; r < R; ++r) {
          const long h = p * l.stride_h + r - long(l.pad.top);
          if (h < 0 || h >= long(l.in_height)) continue;
          for (unsigned s = 0; s < S; ++s) {
            const long v = q * l.stride_w + s - long(l.pad.left);
            if (v >= 0 && v < long(l.in_width)) row[std::size_t(r) * S + s] = x.at({c, std::size_t(h), std::size_t(v)});
          }
        }
      }
    }
    for (unsigned k = 0; k < K; ++k) {
      dot4(&weights[std::size_t(k) * n], &rows[std::size_t(k / Kg) * kPixels * n], n, sums);
      for (std::size_t j = 0; j < count; ++j) y.data()[std::size_t(k) * pixels + first + j] = sums[j];
    }
  }
  return y;
}

/// `residual`: null, or the [K, P, Q] tensor added after requantisation.
template <class Out, class Acc>
Tensor<Out> post(const Layer& l, const Tensor<Acc>& acc, const Tensor<std::int32_t>& bias,
                 const Tensor<Out>* residual = nullptr) {
  if (!l.post.enabled) throw LayerError("golden: layer '" + l.name + "' has no post-processing");
  if (residual && !l.residual) throw LayerError("golden: layer '" + l.name + "' has no residual input");
  if (!residual && l.residual) throw LayerError("golden: layer '" + l.name + "' needs its residual tensor");
  if (residual && residual->shape() != acc.shape())
    throw LayerError("golden: residual shape " + to_string(residual->shape()) + ", the output is " +
                     to_string(acc.shape()));
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
      y.data()[at] = Out(requantize_add(std::int64_t(acc.data()[at]) + bias.data()[k],
                                    l.post.multiplier_for(k), l.post.shift_for(k),
                                    residual ? std::int64_t(residual->data()[at]) : 0, l.post.relu,
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
  return requantize_add(v, multiplier, shift, 0, relu, lo, hi);
}

std::int64_t requantize_add(std::int64_t v, std::int32_t multiplier, unsigned shift, std::int64_t residual, bool relu,
                            std::int64_t lo, std::int64_t hi) {
  // 128-bit product: an int16 layer's 48-bit sum times a 32-bit multiplier.
  __int128 scaled = __int128(v) * multiplier;
  if (shift > 0) scaled = (scaled + (__int128(1) << (shift - 1))) >> shift;  // ties to +inf
  scaled += residual;  // exact: no clipping between the rounding and the add
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

Tensor<std::int8_t> postprocess(const Layer& l, const Tensor<std::int32_t>& acc, const Tensor<std::int32_t>& bias,
                                const Tensor<std::int8_t>& residual) {
  if (l.precision != Precision::int8) throw LayerError("golden: int32 accumulators for an int16 layer");
  return post<std::int8_t>(l, acc, bias, &residual);
}

Tensor<std::int16_t> postprocess(const Layer& l, const Tensor<std::int64_t>& acc, const Tensor<std::int32_t>& bias,
                                 const Tensor<std::int16_t>& residual) {
  if (l.precision != Precision::int16) throw LayerError("golden: int64 accumulators for an int8 layer");
  return post<std::int16_t>(l, acc, bias, &residual);
}

}  // namespace sdla::golden
