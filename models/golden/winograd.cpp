#include "golden/winograd.hpp"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <limits>
#include <string>
#include <utility>
#include <vector>

namespace sdla::golden {
namespace {

// F(2x2,3x3) matrices (facts.md "Winograd"); G' = 2G keeps the weight transform integral.
constexpr int kBT[4][4] = {{1, 0, -1, 0}, {0, 1, 1, 0}, {0, -1, 1, 0}, {0, 1, 0, -1}};
constexpr int kG2[4][3] = {{2, 0, 0}, {1, 1, 1}, {1, -1, 1}, {0, 0, 2}};
constexpr int kAT[2][4] = {{1, 1, 1, 0}, {0, 1, -1, -1}};

/// L x L^T for an R x N matrix L and a row-major N x N tile x: all three
/// transforms have this shape (B^T d B, G' g G'^T, A^T m A).
template <std::size_t R, std::size_t N>
std::array<std::int64_t, R * R> sandwich(const int (&L)[R][N], const std::array<std::int64_t, N * N>& x) {
  std::array<std::int64_t, R * N> lx{};
  for (std::size_t i = 0; i < R; ++i)
    for (std::size_t j = 0; j < N; ++j)
      for (std::size_t a = 0; a < N; ++a) lx[i * N + j] += L[i][a] * x[a * N + j];
  std::array<std::int64_t, R * R> y{};
  for (std::size_t i = 0; i < R; ++i)
    for (std::size_t j = 0; j < R; ++j)
      for (std::size_t b = 0; b < N; ++b) y[i * R + j] += lx[i * N + b] * L[j][b];
  return y;
}

std::pair<std::int64_t, std::int64_t> lane(Precision p) {
  if (p == Precision::int8) return {std::numeric_limits<std::int8_t>::min(), std::numeric_limits<std::int8_t>::max()};
  return {std::numeric_limits<std::int16_t>::min(), std::numeric_limits<std::int16_t>::max()};
}

void check_values(const Tensor<std::int16_t>& t, Precision p, const char* what) {
  const auto [lo, hi] = lane(p);
  for (std::int16_t v : t.values())
    if (v < lo || v > hi)
      throw LayerError(std::string("golden winograd: ") + what + " value " + std::to_string(v) +
                       " is outside the " + to_string(p) + " range");
}

void check_mode(WinogradMode mode) {
  if (mode != WinogradMode::exact && mode != WinogradMode::nvdla)
    throw std::invalid_argument("golden winograd: unknown mode " + std::to_string(unsigned(mode)));
}

}  // namespace

std::array<std::int64_t, 16> winograd_input_tile(const std::array<std::int64_t, 16>& d) { return sandwich(kBT, d); }

std::array<std::int64_t, 16> winograd_weight_tile(const std::array<std::int64_t, 9>& g) { return sandwich(kG2, g); }

std::array<std::int64_t, 4> winograd_output_tile(const std::array<std::int64_t, 16>& m) { return sandwich(kAT, m); }

std::int64_t round_shift_away(std::int64_t v, unsigned s) {
  if (s > 62) throw std::invalid_argument("round_shift_away: shift " + std::to_string(s) + " exceeds 62");
  if (s == 0) return v;
  // Round the magnitude half up, then restore the sign: ties go away from zero
  // symmetrically. Unsigned, so that |INT64_MIN| does not overflow.
  const bool neg = v < 0;
  const std::uint64_t mag = neg ? 0 - std::uint64_t(v) : std::uint64_t(v);
  const std::uint64_t r = (mag + (std::uint64_t(1) << (s - 1))) >> s;
  return neg ? -std::int64_t(r) : std::int64_t(r);
}

std::int64_t saturate(std::int64_t v, std::int64_t lo, std::int64_t hi) { return std::min(std::max(v, lo), hi); }

WinogradWeights winograd_weights(const Tensor<std::int16_t>& w, Precision p, WinogradMode mode) {
  check_mode(mode);
  if (w.rank() != 4 || w.dim(2) != 3 || w.dim(3) != 3)
    throw LayerError("golden winograd: weight shape " + to_string(w.shape()) + ", needs [K, C, 3, 3]");
  check_values(w, p, "weight");
  const std::size_t K = w.dim(0), C = w.dim(1);

  // U' of every kernel, and its range over the whole layer.
  std::vector<std::int64_t> u_full(K * C * 16);
  std::int64_t u_min = 0, u_max = 0;
  for (std::size_t kc = 0; kc < K * C; ++kc) {
    std::array<std::int64_t, 9> g;
    std::copy_n(w.data() + kc * 9, 9, g.begin());
    const auto u = winograd_weight_tile(g);
    std::copy(u.begin(), u.end(), u_full.begin() + std::ptrdiff_t(kc * 16));
    u_min = std::min(u_min, *std::min_element(u.begin(), u.end()));
    u_max = std::max(u_max, *std::max_element(u.begin(), u.end()));
  }

  WinogradWeights out{Tensor<std::int16_t>({K, C, 4, 4}), 0};
  if (mode == WinogradMode::exact) {
    const auto [lo, hi] = lane(Precision::int16);
    if (u_min < lo || u_max > hi)
      throw LayerError("golden winograd: transformed weights span [" + std::to_string(u_min) + ", " +
                       std::to_string(u_max) + "], beyond int16; exact mode cannot store them");
  } else {
    // round_shift_away is monotonic, so the layer's extremes decide for every element.
    const auto [lo, hi] = lane(p);
    unsigned s = 0;
    while (round_shift_away(u_min, s) < lo || round_shift_away(u_max, s) > hi) {
      if (++s > 20)
        throw LayerError("golden winograd: no weight shift up to 20 fits the transformed weights in the lane");
    }
    out.weight_shift = s;
  }
  for (std::size_t i = 0; i < u_full.size(); ++i)
    out.u.data()[i] = std::int16_t(round_shift_away(u_full[i], out.weight_shift));
  return out;
}

Tensor<std::int64_t> conv2d_winograd(const Layer& l, const Tensor<std::int16_t>& x,
                                     const Tensor<std::int16_t>& w, WinogradMode mode, unsigned input_shift) {
  check_mode(mode);
  l.validate();
  if (l.op != Op::conv2d || l.kernel_h != 3 || l.kernel_w != 3 || l.stride_h != 1 || l.stride_w != 1)
    throw LayerError("golden winograd: layer '" + l.name + "' is not a 3x3 stride-1 conv2d");
  if (input_shift > 2)
    throw LayerError("golden winograd: input shift " + std::to_string(input_shift) + " exceeds 2");
  const Shape want_in{l.in_channels, l.in_height, l.in_width};
  const Shape want_w{l.out_channels, l.in_channels, 3, 3};
  if (x.shape() != want_in)
    throw LayerError("golden winograd: input shape " + to_string(x.shape()) + ", layer needs " + to_string(want_in));
  if (w.shape() != want_w)
    throw LayerError("golden winograd: weight shape " + to_string(w.shape()) + ", layer needs " + to_string(want_w));
  check_values(x, l.precision, "input");

  const WinogradWeights ww = winograd_weights(w, l.precision, mode);
  const bool exact = mode == WinogradMode::exact;
  const auto [lo, hi] = lane(l.precision);
  // Output scale of the nvdla mode: U_q ~ U' / 2^ws = 4U / 2^ws and V_q ~ V / 2^t,
  // so y ~ Z * 2^(ws + t - 2). With in-range values ws <= 4, so Z * 2^e stays far from 2^63.
  const int e = int(ww.weight_shift) + int(input_shift) - 2;

  const std::size_t C = l.in_channels, K = l.out_channels, H = l.in_height, W = l.in_width;
  const std::size_t P = l.out_height(), Q = l.out_width();
  const std::size_t TP = (P + 1) / 2, TQ = (Q + 1) / 2;
  Tensor<std::int64_t> y({K, P, Q});

  // One row of tiles at a time, so the transformed input stays small:
  // v[(xi * C + c) * TQ + tq] is component xi of V for channel c, tile tq;
  // m[xi * TQ + tq] is the accumulated product of one output channel.
  std::vector<std::int64_t> v(16 * C * TQ), m(16 * TQ);
  for (std::size_t tp = 0; tp < TP; ++tp) {
    // Input transform: each tile of each channel once.
    for (std::size_t c = 0; c < C; ++c)
      for (std::size_t tq = 0; tq < TQ; ++tq) {
        std::array<std::int64_t, 16> d{};
        for (std::size_t i = 0; i < 4; ++i) {
          const long h = long(2 * tp + i) - long(l.pad.top);
          if (h < 0 || h >= long(H)) continue;
          for (std::size_t j = 0; j < 4; ++j) {
            const long col = long(2 * tq + j) - long(l.pad.left);
            if (col >= 0 && col < long(W)) d[i * 4 + j] = x.at({c, std::size_t(h), std::size_t(col)});
          }
        }
        auto vt = winograd_input_tile(d);
        if (!exact)  // the sequencer truncates and saturates V back into the lane
          for (auto& vi : vt) vi = saturate(round_shift_away(vi, input_shift), lo, hi);
        for (std::size_t xi = 0; xi < 16; ++xi) v[(xi * C + c) * TQ + tq] = vt[xi];
      }

    for (std::size_t k = 0; k < K; ++k) {
      // 16 independent element-wise products summed over channels: the GEMM part.
      std::fill(m.begin(), m.end(), 0);
      for (std::size_t xi = 0; xi < 16; ++xi)
        for (std::size_t c = 0; c < C; ++c) {
          const std::int64_t u = ww.u.data()[(k * C + c) * 16 + xi];
          const std::int64_t* vr = &v[(xi * C + c) * TQ];
          std::int64_t* mr = &m[xi * TQ];
          for (std::size_t tq = 0; tq < TQ; ++tq) mr[tq] += u * vr[tq];
        }
      // Output transform and scaling; outputs of partial tiles beyond P x Q are dropped.
      for (std::size_t tq = 0; tq < TQ; ++tq) {
        std::array<std::int64_t, 16> mt;
        for (std::size_t xi = 0; xi < 16; ++xi) mt[xi] = m[xi * TQ + tq];
        const auto z = winograd_output_tile(mt);
        for (std::size_t a = 0; a < 2; ++a)
          for (std::size_t b = 0; b < 2; ++b) {
            const std::size_t p = 2 * tp + a, q = 2 * tq + b;
            if (p >= P || q >= Q) continue;
            const std::int64_t zi = z[a * 2 + b];
            std::int64_t out;
            if (exact) {
              if (zi % 4 != 0) throw std::logic_error("golden winograd: exact Z is not a multiple of 4");
              out = zi / 4;
            } else {
              out = e >= 0 ? zi * (std::int64_t(1) << e) : round_shift_away(zi, unsigned(-e));
            }
            y.at({k, p, q}) = out;
          }
      }
    }
  }
  return y;
}

ErrorStats error_stats(const Tensor<std::int64_t>& approx, const Tensor<std::int64_t>& exact) {
  if (approx.shape() != exact.shape())
    throw std::invalid_argument("error_stats: shapes " + to_string(approx.shape()) + " and " +
                                to_string(exact.shape()) + " differ");
  ErrorStats s;
  const std::size_t n = exact.size();
  if (n == 0) return s;
  for (std::size_t i = 0; i < n; ++i) {
    const double a = double(approx.data()[i]), b = double(exact.data()[i]);
    const double diff = std::fabs(a - b);
    s.max_abs = std::max(s.max_abs, diff);
    s.mean_abs += diff;
    s.mean_rel += diff / std::max(1.0, std::fabs(b));
  }
  s.mean_abs /= double(n);
  s.mean_rel /= double(n);
  return s;
}

}  // namespace sdla::golden
