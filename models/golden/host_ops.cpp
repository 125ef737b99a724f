#include "host_ops.hpp"

#include <algorithm>
#include <cmath>
#include <vector>

namespace sdla::golden {
namespace {

std::int16_t saturate(double v, Precision p) {
  const PrecisionTraits& t = traits(p);
  const long r = std::lround(std::clamp(v, double(t.min) - 1.0, double(t.max) + 1.0));
  return std::int16_t(std::clamp<long>(r, long(t.min), long(t.max)));
}

/// Calls f(first element, stride, count) for each pixel's channel vector.
template <class F>
void per_pixel(const Tensor<std::int16_t>& x, F f) {
  const std::size_t C = x.dim(0), pixels = x.size() / C;
  for (std::size_t i = 0; i < pixels; ++i) f(i, pixels, C);
}

}  // namespace

unsigned frac_bits(Precision p) { return p == Precision::int8 ? 4 : 12; }

Tensor<std::int16_t> softmax(const Tensor<std::int16_t>& x, unsigned group, Precision p) {
  Tensor<std::int16_t> y(x.shape());
  const double scale = std::ldexp(1.0, -int(frac_bits(p))), top = double(traits(p).max);
  std::vector<double> e;
  per_pixel(x, [&](std::size_t first, std::size_t stride, std::size_t C) {
    const std::size_t g = group ? group : C;
    for (std::size_t c0 = 0; c0 < C; c0 += g) {
      std::int16_t m = x.data()[first + c0 * stride];
      for (std::size_t c = c0; c < c0 + g; ++c) m = std::max(m, x.data()[first + c * stride]);
      e.assign(g, 0.0);
      double sum = 0.0;
      for (std::size_t c = 0; c < g; ++c) sum += e[c] = std::exp((x.data()[first + (c0 + c) * stride] - m) * scale);
      for (std::size_t c = 0; c < g; ++c) y.data()[first + (c0 + c) * stride] = saturate(top * e[c] / sum, p);
    }
  });
  return y;
}

Tensor<std::int16_t> layernorm(const Tensor<std::int16_t>& x, Precision p) {
  Tensor<std::int16_t> y(x.shape());
  const double out = std::ldexp(1.0, int(frac_bits(p)) + 1);
  per_pixel(x, [&](std::size_t first, std::size_t stride, std::size_t C) {
    double mean = 0.0, var = 0.0;
    for (std::size_t c = 0; c < C; ++c) mean += x.data()[first + c * stride];
    mean /= double(C);
    for (std::size_t c = 0; c < C; ++c) {
      const double d = x.data()[first + c * stride] - mean;
      var += d * d;
    }
    var /= double(C);
    // Values are in units of 2^-f: eps is scaled the same way.
    const double eps = 1e-5 * std::ldexp(1.0, 2 * int(frac_bits(p)));
    const double inv = 1.0 / std::sqrt(var + eps);
    for (std::size_t c = 0; c < C; ++c)
      y.data()[first + c * stride] = saturate((x.data()[first + c * stride] - mean) * inv * out, p);
  });
  return y;
}

Tensor<std::int16_t> gelu(const Tensor<std::int16_t>& x, Precision p) {
  Tensor<std::int16_t> y(x.shape());
  const double s = std::ldexp(1.0, int(frac_bits(p)));
  for (std::size_t i = 0; i < x.size(); ++i) {
    const double v = x.data()[i] / s;
    y.data()[i] = saturate(0.5 * v * (1.0 + std::erf(v / std::sqrt(2.0))) * s, p);
  }
  return y;
}

Tensor<std::int64_t> matmul(const Tensor<std::int16_t>& a, const Tensor<std::int16_t>& b, unsigned heads,
                            bool transpose_b) {
  const std::size_t M = a.dim(2), N = b.dim(2);
  const std::int16_t* A = a.data();
  const std::int16_t* B = b.data();
  if (transpose_b) {
    const std::size_t D = a.dim(0) / heads;
    Tensor<std::int64_t> y({heads * N, 1, M});
    for (std::size_t h = 0; h < heads; ++h)
      for (std::size_t n = 0; n < N; ++n)
        for (std::size_t d = 0; d < D; ++d) {
          const std::int64_t bv = B[(h * D + d) * N + n];
          std::int64_t* row = &y.data()[(h * N + n) * M];
          const std::int16_t* ar = &A[(h * D + d) * M];
          for (std::size_t m = 0; m < M; ++m) row[m] += ar[m] * bv;
        }
    return y;
  }
  const std::size_t D = b.dim(0) / heads;
  Tensor<std::int64_t> y({b.dim(0), 1, M});
  for (std::size_t h = 0; h < heads; ++h)
    for (std::size_t d = 0; d < D; ++d)
      for (std::size_t n = 0; n < N; ++n) {
        const std::int64_t bv = B[(h * D + d) * N + n];
        std::int64_t* row = &y.data()[(h * D + d) * M];
        const std::int16_t* ar = &A[(h * N + n) * M];
        for (std::size_t m = 0; m < M; ++m) row[m] += ar[m] * bv;
      }
  return y;
}

}  // namespace sdla::golden
