// Tests of the Winograd F(2x2,3x3) golden reference (models/golden/winograd):
// the tile transforms against plain matrix products of the literal matrices,
// the exact mode against direct convolution (golden::conv2d), the NVDLA
// quantised mode (weight and input shifts, saturation, error bounds), the
// rounding rule and the rejected layers.
#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <iostream>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "golden/conv.hpp"
#include "golden/winograd.hpp"
#include "seed.hpp"

using sdla::Layer;
using sdla::LayerError;
using sdla::Op;
using sdla::Padding;
using sdla::Precision;
using sdla::Shape;
using sdla::Tensor;
namespace golden = sdla::golden;
using golden::WinogradMode;

namespace {

using T8 = Tensor<std::int8_t>;
using T16 = Tensor<std::int16_t>;
using T64 = Tensor<std::int64_t>;

// ---------------------------------------------------------------------------
// Plain matrix products, independent of the implementation's transforms.

// F(2x2,3x3), Lavin & Gray: Y = A^T [ (G g G^T) (.) (B^T d B) ] A.
const std::vector<std::vector<double>> kBT = {{1, 0, -1, 0}, {0, 1, 1, 0}, {0, -1, 1, 0}, {0, 1, 0, -1}};
const std::vector<std::vector<double>> kG = {{1, 0, 0}, {0.5, 0.5, 0.5}, {0.5, -0.5, 0.5}, {0, 0, 1}};
const std::vector<std::vector<double>> kG2 = {{2, 0, 0}, {1, 1, 1}, {1, -1, 1}, {0, 0, 2}};  // 2G
const std::vector<std::vector<double>> kAT = {{1, 1, 1, 0}, {0, 1, -1, -1}};

using Mat = std::vector<std::vector<double>>;

Mat mul(const Mat& a, const Mat& b) {
  Mat c(a.size(), std::vector<double>(b[0].size(), 0.0));
  for (std::size_t i = 0; i < a.size(); ++i)
    for (std::size_t j = 0; j < b[0].size(); ++j)
      for (std::size_t k = 0; k < b.size(); ++k) c[i][j] += a[i][k] * b[k][j];
  return c;
}

Mat transpose(const Mat& a) {
  Mat t(a[0].size(), std::vector<double>(a.size()));
  for (std::size_t i = 0; i < a.size(); ++i)
    for (std::size_t j = 0; j < a[0].size(); ++j) t[j][i] = a[i][j];
  return t;
}

// Row-major n x n array <-> matrix. Doubles are exact here: every value is a
// multiple of 1/4 below 2^25.
template <std::size_t N>
Mat to_mat(const std::array<std::int64_t, N * N>& a) {
  Mat m(N, std::vector<double>(N));
  for (std::size_t i = 0; i < N; ++i)
    for (std::size_t j = 0; j < N; ++j) m[i][j] = double(a[i * N + j]);
  return m;
}

template <std::size_t N>
std::array<std::int64_t, N> random_array(std::mt19937_64& rng, int lo, int hi) {
  std::uniform_int_distribution<int> d(lo, hi);
  std::array<std::int64_t, N> a;
  for (auto& v : a) v = d(rng);
  return a;
}

template <std::size_t N>
void expect_equal(const std::array<std::int64_t, N * N>& got, const Mat& want) {
  for (std::size_t i = 0; i < N; ++i)
    for (std::size_t j = 0; j < N; ++j) ASSERT_EQ(double(got[i * N + j]), want[i][j]) << "at (" << i << ", " << j << ")";
}

// ---------------------------------------------------------------------------
// Layers and tensors

Layer conv_layer(unsigned C, unsigned H, unsigned W, unsigned K, Padding pad = {}, Precision p = Precision::int8,
                 unsigned R = 3, unsigned S = 3, unsigned stride = 1) {
  Layer l;
  l.name = "w";
  l.op = Op::conv2d;
  l.precision = p;
  l.in_channels = C;
  l.in_height = H;
  l.in_width = W;
  l.out_channels = K;
  l.kernel_h = R;
  l.kernel_w = S;
  l.stride_h = l.stride_w = stride;
  l.pad = pad;
  return l;
}

/// Uniform values in [lo, hi] with about one in eight forced to zero (sparse data).
T16 random_tensor(const Shape& shape, int lo, int hi, std::mt19937_64& rng) {
  std::uniform_int_distribution<int> d(lo, hi), zero(0, 7);
  T16 t(shape);
  for (auto& v : t.values()) v = std::int16_t(zero(rng) == 0 ? 0 : d(rng));
  return t;
}

T16 input_of(const Layer& l, int lo, int hi, std::mt19937_64& rng) {
  return random_tensor({l.in_channels, l.in_height, l.in_width}, lo, hi, rng);
}
T16 weights_of(const Layer& l, int lo, int hi, std::mt19937_64& rng) {
  return random_tensor({l.out_channels, l.in_channels, 3, 3}, lo, hi, rng);
}

/// golden::conv2d of the layer's precision, widened to int64.
T64 direct(const Layer& l, const T16& x, const T16& w) {
  if (l.precision == Precision::int16) return golden::conv2d(l, x, w);
  auto narrow = [](const T16& t) {
    T8 n(t.shape());
    std::transform(t.values().begin(), t.values().end(), n.values().begin(),
                   [](std::int16_t v) { return std::int8_t(v); });
    return n;
  };
  const auto y = golden::conv2d(l, narrow(x), narrow(w));
  return T64(y.shape(), std::vector<std::int64_t>(y.values().begin(), y.values().end()));
}

std::string describe(const Layer& l) {
  return "C=" + std::to_string(l.in_channels) + " " + std::to_string(l.in_height) + "x" +
         std::to_string(l.in_width) + " K=" + std::to_string(l.out_channels) + " pad t/b/l/r=" +
         std::to_string(l.pad.top) + "/" + std::to_string(l.pad.bottom) + "/" + std::to_string(l.pad.left) + "/" +
         std::to_string(l.pad.right) + " -> " + std::to_string(l.out_height()) + "x" +
         std::to_string(l.out_width()) + " " + sdla::to_string(l.precision);
}

/// Odd and tiny output sizes, every padding style, several C and K.
std::vector<Layer> shapes(Precision p) {
  return {
      conv_layer(3, 7, 9, 2, {}, p),              // 5x7, no padding
      conv_layer(5, 5, 7, 3, {1, 1, 1, 1}, p),    // 5x7, pad 1
      conv_layer(1, 3, 3, 1, {}, p),              // 1x1: one partial tile
      conv_layer(2, 2, 2, 4, {1, 0, 0, 1}, p),    // 1x1 from a 2x2 image, asymmetric
      conv_layer(4, 9, 4, 5, {1, 1, 1, 1}, p),    // 9x4
      conv_layer(7, 9, 5, 2, {0, 2, 1, 0}, p),    // 9x4, asymmetric
      conv_layer(6, 6, 3, 3, {2, 0, 0, 2}, p),    // 6x3, padding only on one side of each axis
      conv_layer(17, 12, 11, 9, {1, 1, 1, 1}, p), // 12x11, channel count not a power of 2
  };
}

// ---------------------------------------------------------------------------
// Tile transforms

TEST(WinogradTile, InputTransformIsBtDB) {
  std::mt19937_64 rng(sdla::test::seed(201));
  for (int n = 0; n < 1000; ++n) {
    const auto d = random_array<16>(rng, -32768, 32767);
    expect_equal<4>(golden::winograd_input_tile(d), mul(mul(kBT, to_mat<4>(d)), transpose(kBT)));
    if (HasFatalFailure()) return;
  }
}

TEST(WinogradTile, WeightTransformIsFourTimesGgGt) {
  std::mt19937_64 rng(sdla::test::seed(202));
  for (int n = 0; n < 1000; ++n) {
    const auto g = random_array<9>(rng, -32768, 32767);
    const auto u = golden::winograd_weight_tile(g);
    // U' = G' g G'^T with the integral 2G ...
    expect_equal<4>(u, mul(mul(kG2, to_mat<3>(g)), transpose(kG2)));
    // ... which is 4 * (G g G^T) with the fractional G (quarters: exact in double).
    Mat four_u = mul(mul(kG, to_mat<3>(g)), transpose(kG));
    for (auto& row : four_u)
      for (auto& v : row) v *= 4;
    expect_equal<4>(u, four_u);
    if (HasFatalFailure()) return;
  }
}

TEST(WinogradTile, OutputTransformIsAtMA) {
  std::mt19937_64 rng(sdla::test::seed(203));
  for (int n = 0; n < 1000; ++n) {
    const auto m = random_array<16>(rng, -(1 << 24), 1 << 24);
    const auto z = golden::winograd_output_tile(m);
    const Mat want = mul(mul(kAT, to_mat<4>(m)), transpose(kAT));
    for (std::size_t i = 0; i < 2; ++i)
      for (std::size_t j = 0; j < 2; ++j) ASSERT_EQ(double(z[i * 2 + j]), want[i][j]);
  }
}

TEST(WinogradTile, Int8RangesOfFactsSheet) {
  // V of int8 tiles lies in [-512, 510]; U' of int8 kernels in [-1152, 1147].
  std::array<std::int64_t, 16> d;
  d.fill(-128);
  EXPECT_EQ(golden::winograd_input_tile(d)[5], -512);  // V[1][1] = d11 + d12 + d21 + d22
  d[0] = d[10] = 127;                                   // V[0][0] = d00 - d02 - d20 + d22
  EXPECT_EQ(golden::winograd_input_tile(d)[0], 127 + 128 + 128 + 127);
  std::array<std::int64_t, 9> g;
  g.fill(-128);
  EXPECT_EQ(golden::winograd_weight_tile(g)[5], -1152);  // U'[1][1] = sum of the 9 weights
}

// ---------------------------------------------------------------------------
// Exact mode = direct convolution

TEST(WinogradExact, MatchesDirectInt8) {
  std::mt19937_64 rng(sdla::test::seed(204));
  for (const Layer& l : shapes(Precision::int8)) {
    SCOPED_TRACE(describe(l));
    const T16 x = input_of(l, -128, 127, rng), w = weights_of(l, -128, 127, rng);
    EXPECT_EQ(golden::conv2d_winograd(l, x, w, WinogradMode::exact), direct(l, x, w));
  }
}

TEST(WinogradExact, MatchesDirectInt8Extremes) {
  // All -128: the largest products (|V| = 512, |U'| = 1152) in every tile.
  for (const Layer& l : {conv_layer(8, 5, 7, 2, {1, 1, 1, 1}), conv_layer(3, 4, 4, 1)}) {
    SCOPED_TRACE(describe(l));
    T16 x({l.in_channels, l.in_height, l.in_width}), w({l.out_channels, l.in_channels, 3, 3});
    std::fill(x.values().begin(), x.values().end(), -128);
    std::fill(w.values().begin(), w.values().end(), -128);
    EXPECT_EQ(golden::conv2d_winograd(l, x, w, WinogradMode::exact), direct(l, x, w));
  }
}

TEST(WinogradExact, MatchesDirectInt16SmallWeights) {
  // |w| <= 3000 keeps |U'| <= 9 * 3000 = 27000 inside int16; inputs use the full range.
  std::mt19937_64 rng(sdla::test::seed(205));
  for (const Layer& l : shapes(Precision::int16)) {
    SCOPED_TRACE(describe(l));
    const T16 x = input_of(l, -32768, 32767, rng), w = weights_of(l, -3000, 3000, rng);
    EXPECT_EQ(golden::conv2d_winograd(l, x, w, WinogradMode::exact), direct(l, x, w));
  }
}

TEST(WinogradExact, Int16WeightsWhoseTransformOverflowsThrow) {
  // U'[1][1] is the sum of the 9 weights: 9 * 3640 = 32760 fits int16, 9 * 3641 = 32769 does not.
  T16 w({1, 1, 3, 3});
  std::fill(w.values().begin(), w.values().end(), 3640);
  const auto ok = golden::winograd_weights(w, Precision::int16, WinogradMode::exact);
  EXPECT_EQ(ok.weight_shift, 0u);
  EXPECT_EQ(ok.u.at({0, 0, 1, 1}), 32760);
  std::fill(w.values().begin(), w.values().end(), 3641);
  EXPECT_THROW(golden::winograd_weights(w, Precision::int16, WinogradMode::exact), LayerError);
  std::fill(w.values().begin(), w.values().end(), 32767);
  EXPECT_THROW(golden::winograd_weights(w, Precision::int16, WinogradMode::exact), LayerError);
  // The convolution stores its weights the same way, so it refuses them too.
  const Layer l = conv_layer(1, 4, 4, 1, {}, Precision::int16);
  EXPECT_THROW(golden::conv2d_winograd(l, T16({1, 4, 4}), w, WinogradMode::exact), LayerError);
  // nvdla mode shifts them into the lane instead: 9 * 32767 = 294903 / 2^4 = 18431.4 -> 18431.
  const auto q = golden::winograd_weights(w, Precision::int16, WinogradMode::nvdla);
  EXPECT_EQ(q.weight_shift, 4u);
  EXPECT_EQ(q.u.at({0, 0, 1, 1}), 18431);
}

TEST(WinogradExact, ExactWeightsAreUPrime) {
  std::mt19937_64 rng(sdla::test::seed(206));
  const T16 w = random_tensor({3, 2, 3, 3}, -128, 127, rng);
  const auto ww = golden::winograd_weights(w, Precision::int8, WinogradMode::exact);
  ASSERT_EQ(ww.u.shape(), (Shape{3, 2, 4, 4}));
  EXPECT_EQ(ww.weight_shift, 0u);
  for (std::size_t k = 0; k < 3; ++k)
    for (std::size_t c = 0; c < 2; ++c) {
      std::array<std::int64_t, 9> g;
      for (std::size_t i = 0; i < 9; ++i) g[i] = w.at({k, c, i / 3, i % 3});
      const auto u = golden::winograd_weight_tile(g);
      for (std::size_t i = 0; i < 16; ++i) EXPECT_EQ(ww.u.at({k, c, i / 4, i % 4}), u[i]);
    }
}

// ---------------------------------------------------------------------------
// NVDLA mode

TEST(WinogradNvdla, SmallValuesEqualDirect) {
  // Nothing is rounded or saturated when
  //  int8:  |x| <= 31   -> |V| <= 4 * 31 = 124 fits with t = 0;
  //         |w| <= 14   -> |U'| <= 9 * 14 = 126 fits with ws = 0;
  //  int16: |x| <= 8191 -> |V| <= 32764; |w| <= 3640 -> |U'| <= 32760.
  // Then e = 0 + 0 - 2 and y = Z / 4 exactly.
  std::mt19937_64 rng(sdla::test::seed(207));
  struct Range {
    Precision p;
    int x, w;
  };
  for (const Range r : {Range{Precision::int8, 31, 14}, Range{Precision::int16, 8191, 3640}})
    for (const Layer& l : shapes(r.p)) {
      SCOPED_TRACE(describe(l));
      const T16 x = input_of(l, -r.x, r.x, rng), w = weights_of(l, -r.w, r.w, rng);
      ASSERT_EQ(golden::winograd_weights(w, r.p, WinogradMode::nvdla).weight_shift, 0u);
      EXPECT_EQ(golden::conv2d_winograd(l, x, w, WinogradMode::nvdla, 0), direct(l, x, w));
    }
}

TEST(WinogradNvdla, WeightShiftOfExtremeKernel) {
  // Corners and centre 127, edges -128. With G' rows (1, -1, 1) on both sides,
  // U'[2][2] = 5 * 127 + 4 * 128 = 1147, the largest U' of any int8 kernel.
  //   s = 3: 1147 / 8  = 143.4  -> 143 > 127, does not fit;
  //   s = 4: 1147 / 16 = 71.7   -> 72, fits (and every |U'| <= 1152 -> <= 72).
  // so ws = 4 for int8, and 0 for int16 where 1147 fits as it is.
  const std::vector<std::int16_t> extreme = {127, -128, 127, -128, 127, -128, 127, -128, 127};
  T16 w({1, 1, 3, 3}, extreme);
  std::array<std::int64_t, 9> g;
  std::copy(extreme.begin(), extreme.end(), g.begin());
  const auto u = golden::winograd_weight_tile(g);
  ASSERT_EQ(u[10], 1147);
  ASSERT_EQ(*std::max_element(u.begin(), u.end()), 1147);

  const auto q8 = golden::winograd_weights(w, Precision::int8, WinogradMode::nvdla);
  EXPECT_EQ(q8.weight_shift, 4u);
  EXPECT_EQ(q8.u.at({0, 0, 2, 2}), 72);
  const auto q16 = golden::winograd_weights(w, Precision::int16, WinogradMode::nvdla);
  EXPECT_EQ(q16.weight_shift, 0u);
  EXPECT_EQ(q16.u.at({0, 0, 2, 2}), 1147);

  // One shift for the whole layer: a second, all-ones kernel gets ws = 4 as well:
  // U'[1][1] = 9 -> 9/16 = 0.56 -> 1; U'[0][0] = 4 -> 4/16 = 0.25 -> 0; U'[0][1] = 6 -> 0.375 -> 0.
  std::vector<std::int16_t> two(extreme);
  two.insert(two.end(), 9, 1);
  const auto layer = golden::winograd_weights(T16({2, 1, 3, 3}, two), Precision::int8, WinogradMode::nvdla);
  EXPECT_EQ(layer.weight_shift, 4u);
  EXPECT_EQ(layer.u.at({1, 0, 1, 1}), 1);
  EXPECT_EQ(layer.u.at({1, 0, 0, 0}), 0);
  EXPECT_EQ(layer.u.at({1, 0, 0, 1}), 0);
  EXPECT_EQ(layer.u.at({0, 0, 2, 2}), 72);
}

TEST(WinogradNvdla, WeightShiftTieRoundsAway) {
  // U'[1][1] = sum of the kernel. Eight 127s and a 4: 1020 / 8 = 127.5, a tie that
  // rounds away to 128 -> does not fit -> ws = 4. With a 3: 1019 / 8 = 127.4 -> 127 -> ws = 3.
  for (const auto& [last, want] : {std::pair<std::int16_t, unsigned>{4, 4u}, {3, 3u}}) {
    std::vector<std::int16_t> g(8, 127);
    g.push_back(last);
    const auto q = golden::winograd_weights(T16({1, 1, 3, 3}, g), Precision::int8, WinogradMode::nvdla);
    EXPECT_EQ(q.weight_shift, want) << "last weight " << last;
  }
  // Negative side: -1024 / 8 = -128 fits (ws = 3); -1028 / 8 = -128.5 -> -129 does not (ws = 4).
  for (const auto& [last, want] : {std::pair<std::int16_t, unsigned>{0, 3u}, {-4, 4u}}) {
    std::vector<std::int16_t> g(8, -128);
    g.push_back(last);
    const auto q = golden::winograd_weights(T16({1, 1, 3, 3}, g), Precision::int8, WinogradMode::nvdla);
    EXPECT_EQ(q.weight_shift, want) << "last weight " << last;
  }
}

/// nvdla against exact on a random full-range int8 layer: error_stats plus two
/// figures that do not blow up near exact zeros.
struct NvdlaError {
  golden::ErrorStats stats;
  double norm_mean_abs = 0;  ///< mean |a-b| / mean |exact|
  double slope = 0;          ///< least-squares gain of approx on exact: sum(a*b) / sum(b*b)
};

NvdlaError nvdla_error(const Layer& l, unsigned input_shift, std::mt19937_64& rng) {
  const T16 x = input_of(l, -128, 127, rng), w = weights_of(l, -128, 127, rng);
  const T64 exact = golden::conv2d_winograd(l, x, w, WinogradMode::exact);
  EXPECT_EQ(exact, direct(l, x, w));
  const T64 approx = golden::conv2d_winograd(l, x, w, WinogradMode::nvdla, input_shift);
  NvdlaError r;
  r.stats = golden::error_stats(approx, exact);
  double mean_mag = 0, ab = 0, bb = 0;
  for (std::size_t i = 0; i < exact.size(); ++i) {
    const double a = double(approx.values()[i]), b = double(exact.values()[i]);
    mean_mag += std::abs(b);
    ab += a * b;
    bb += b * b;
  }
  mean_mag /= double(exact.size());
  r.norm_mean_abs = r.stats.mean_abs / mean_mag;
  r.slope = ab / bb;
  std::cout << describe(l) << " t=" << input_shift
            << " ws=" << golden::winograd_weights(w, l.precision, WinogradMode::nvdla).weight_shift
            << ": max_abs " << r.stats.max_abs << " mean_abs " << r.stats.mean_abs << " mean_rel "
            << r.stats.mean_rel << " | mean |exact| " << mean_mag << " normalised mean_abs " << r.norm_mean_abs
            << " slope " << r.slope << "\n";
  return r;
}

// Full-range int8 data with t = 2: ws is 3 (4 when a kernel has |U'| > 1019), so
// U' loses 3 bits (rounding error <= 4 against a typical |U'| of 200-300) and V
// loses 2 (error <= 2 against a typical |V| of ~150): about 1% per product. The
// output transform subtracts large Winograd-domain terms, so the output's error
// is larger. Measured over 8 seeds on the layers below:
//   mean |a-b| / mean |exact|  0.022-0.027 (every layer)       -> bound 0.05
//   slope sum(a*b)/sum(b*b)    1.003-1.009                      -> 1 +- 0.02
//   mean_rel (error_stats)     0.15-0.20 on the 56x56x64 layer  -> bound 0.3
// The slope exceeds 1 because ties round away from zero on integer data: corner
// U' = 4g is a tie at ws = 3 whenever g is odd, and a quarter of the V are ties
// at t = 2, so magnitudes grow by ~0.5% on average. mean_rel divides by |exact|,
// so outputs near 0 dominate it; it is stable only over many outputs (on the
// 48- and 196-output layers one output with |exact| ~ 1 pushed it to 0.6-1.6),
// hence the bound only on the large layer. A wrong output scale (2^e off by a
// bit) gives slope 2 or 0.5; a missing input shift saturates (see below).
void expect_close_to_exact(const NvdlaError& r) {
  EXPECT_GT(r.stats.max_abs, 0.0);  // it is an approximation
  EXPECT_LT(r.norm_mean_abs, 0.05);
  EXPECT_NEAR(r.slope, 1.0, 0.02);
}

TEST(WinogradNvdla, FullRangeInt8IsApproximate) {
  std::mt19937_64 rng(sdla::test::seed(208));
  for (const Layer& l : {conv_layer(32, 14, 14, 8, {1, 1, 1, 1}), conv_layer(16, 9, 7, 4, {0, 1, 1, 0})}) {
    SCOPED_TRACE(describe(l));
    expect_close_to_exact(nvdla_error(l, 2, rng));
  }
}

TEST(WinogradNvdla, SmallerInputShiftSaturatesMore) {
  // With full-range inputs |V| reaches 512: t = 0 saturates every |V| > 127 and
  // t = 1 every |V| > 255, so the error must grow as t shrinks. Measured normalised
  // mean |a-b|: t = 0 ~0.50, t = 1 ~0.16, t = 2 ~0.023.
  const Layer l = conv_layer(32, 14, 14, 8, {1, 1, 1, 1});
  const std::uint64_t seed = sdla::test::seed(209);
  double err[3];
  for (unsigned t = 0; t < 3; ++t) {
    std::mt19937_64 rng(seed);  // same data for every t
    err[t] = nvdla_error(l, t, rng).norm_mean_abs;
  }
  EXPECT_GT(err[0], 0.3);
  EXPECT_GT(err[0], 2 * err[1]);
  EXPECT_GT(err[1], 2 * err[2]);
}

TEST(WinogradNvdla, ResNetConv2Layer) {
  // ResNet-50 conv2_x: 56x56, 64 -> 64, 3x3 pad 1: exact equals direct, nvdla stays close.
  std::mt19937_64 rng(sdla::test::seed(210));
  const auto r = nvdla_error(conv_layer(64, 56, 56, 64, {1, 1, 1, 1}), 2, rng);
  expect_close_to_exact(r);
  EXPECT_LT(r.stats.mean_rel, 0.3);
}

// ---------------------------------------------------------------------------
// Rounding, error statistics, rejected layers

TEST(WinogradRounding, RoundShiftAwayTies) {
  EXPECT_EQ(golden::round_shift_away(5, 1), 3);    // 2.5 -> 3
  EXPECT_EQ(golden::round_shift_away(-5, 1), -3);  // -2.5 -> -3
  EXPECT_EQ(golden::round_shift_away(3, 2), 1);    // 0.75 -> 1
  EXPECT_EQ(golden::round_shift_away(-2, 2), -1);  // -0.5 -> -1
  EXPECT_EQ(golden::round_shift_away(1, 2), 0);    // 0.25 -> 0
  EXPECT_EQ(golden::round_shift_away(-1, 2), 0);   // -0.25 -> 0
  EXPECT_EQ(golden::round_shift_away(6, 2), 2);    // 1.5 -> 2
  EXPECT_EQ(golden::round_shift_away(-6, 2), -2);  // -1.5 -> -2
  EXPECT_EQ(golden::round_shift_away(-7, 0), -7);
  EXPECT_EQ(golden::round_shift_away(std::numeric_limits<std::int64_t>::min(), 62), -2);
  EXPECT_EQ(golden::round_shift_away(std::numeric_limits<std::int64_t>::max(), 62), 2);
  EXPECT_THROW(golden::round_shift_away(1, 63), std::invalid_argument);
  EXPECT_EQ(golden::saturate(200, -128, 127), 127);
  EXPECT_EQ(golden::saturate(-200, -128, 127), -128);
  EXPECT_EQ(golden::saturate(-5, -128, 127), -5);
}

TEST(WinogradErrorStats, HandExample) {
  // |a-b| = 2, 0, 1, 5: max 5, mean 2; relative 2/8 + 0 + 1/4 + 5/max(1,0) = 5.5, mean 1.375.
  const auto s = golden::error_stats(T64({4}, {10, 0, -3, 5}), T64({4}, {8, 0, -4, 0}));
  EXPECT_DOUBLE_EQ(s.max_abs, 5.0);
  EXPECT_DOUBLE_EQ(s.mean_abs, 2.0);
  EXPECT_DOUBLE_EQ(s.mean_rel, 1.375);
  EXPECT_THROW(golden::error_stats(T64({4}), T64({2, 2})), std::invalid_argument);
}

TEST(WinogradErrors, RejectsWhatF2x2x3x3CannotCompute) {
  const Layer ok = conv_layer(2, 6, 6, 3, {1, 1, 1, 1});
  const T16 x({2, 6, 6}), w({3, 2, 3, 3});
  EXPECT_NO_THROW(golden::conv2d_winograd(ok, x, w, WinogradMode::nvdla, 2));
  // 5x5 kernel.
  EXPECT_THROW(golden::conv2d_winograd(conv_layer(2, 6, 6, 3, {}, Precision::int8, 5, 5), x, T16({3, 2, 5, 5}),
                                       WinogradMode::exact),
               LayerError);
  // Stride 2.
  EXPECT_THROW(golden::conv2d_winograd(conv_layer(2, 6, 6, 3, {1, 1, 1, 1}, Precision::int8, 3, 3, 2), x, w,
                                       WinogradMode::exact),
               LayerError);
  // Input shift beyond 2 bits.
  EXPECT_THROW(golden::conv2d_winograd(ok, x, w, WinogradMode::nvdla, 3), LayerError);
  // Shape mismatches.
  EXPECT_THROW(golden::conv2d_winograd(ok, T16({2, 6, 5}), w, WinogradMode::exact), LayerError);
  EXPECT_THROW(golden::conv2d_winograd(ok, x, T16({3, 1, 3, 3}), WinogradMode::exact), LayerError);
  // A value outside the layer's precision (int8 layer, 200).
  T16 big = x;
  big.values()[5] = 200;
  EXPECT_THROW(golden::conv2d_winograd(ok, big, w, WinogradMode::exact), LayerError);
  // Fully connected layers are not 3x3.
  Layer fc = conv_layer(2, 1, 1, 3, {}, Precision::int8, 1, 1);
  fc.op = Op::fc;
  EXPECT_THROW(golden::conv2d_winograd(fc, T16({2, 1, 1}), T16({3, 2, 1, 1}), WinogradMode::exact), LayerError);
}

}  // namespace
