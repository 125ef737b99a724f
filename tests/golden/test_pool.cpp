// Golden pooling (models/golden/pool.hpp) against a naive loop written here
// from the rule of sdla/layer.hpp (PoolKind): every window position of the
// padded input is visited and only positions inside the image count; max is
// the largest, avg is floor((2 * sum + n) / (2 * n)) computed with a floor
// division of its own. Random shapes, strides and asymmetric padding, ties,
// int16 extremes; and the post-processor's residual add (golden::postprocess
// with a residual, golden::requantize_add): added after the rounding, before
// ReLU and saturation.
#include <algorithm>
#include <cstdint>
#include <limits>
#include <random>

#include <gtest/gtest.h>

#include "golden/conv.hpp"
#include "golden/pool.hpp"
#include "layers.hpp"
#include "seed.hpp"

namespace sdla {
namespace {

using test::pool_layer;

/// floor(a / b) for b > 0: C++ division truncates towards zero, so step down for a negative inexact quotient.
std::int64_t floor_divide(std::int64_t a, std::int64_t b) {
  std::int64_t q = a / b;
  if ((a % b != 0) && (a < 0)) --q;
  return q;
}

template <class T>
Tensor<T> naive_pool(const Layer& l, const Tensor<T>& x) {
  const unsigned P = l.out_height(), Q = l.out_width();
  Tensor<T> y({l.in_channels, P, Q});
  for (unsigned c = 0; c < l.in_channels; ++c)
    for (unsigned p = 0; p < P; ++p)
      for (unsigned q = 0; q < Q; ++q) {
        std::int64_t n = 0, sum = 0, best = std::numeric_limits<std::int64_t>::min();
        for (unsigned r = 0; r < l.kernel_h; ++r)
          for (unsigned s = 0; s < l.kernel_w; ++s) {
            const long h = long(p * l.stride_h + r) - long(l.pad.top), w = long(q * l.stride_w + s) - long(l.pad.left);
            if (h < 0 || w < 0 || h >= long(l.in_height) || w >= long(l.in_width)) continue;  // padding: no value
            const std::int64_t v = x.at({c, std::size_t(h), std::size_t(w)});
            ++n;
            sum += v;
            best = std::max(best, v);
          }
        EXPECT_GT(n, 0) << "a window of padding only";
        y.at({c, p, q}) = T(l.pool_kind == PoolKind::max ? best : floor_divide(2 * sum + n, 2 * n));
      }
  return y;
}

template <class T>
Tensor<T> random_input(std::mt19937_64& rng, const Layer& l) {
  Tensor<T> x({l.in_channels, l.in_height, l.in_width});
  std::uniform_int_distribution<int> v(std::numeric_limits<T>::min(), std::numeric_limits<T>::max());
  std::uniform_int_distribution<int> small(-3, 3);  // many ties
  const bool extremes = rng() % 3 == 0, ties = rng() % 3 == 0;
  for (auto& e : x.values()) {
    e = T(ties ? small(rng) : v(rng));
    if (extremes) e = rng() % 2 ? std::numeric_limits<T>::min() : std::numeric_limits<T>::max();
  }
  return x;
}

Layer random_pool(std::mt19937_64& rng, Precision p) {
  auto pick = [&](unsigned lo, unsigned hi) { return std::uniform_int_distribution<unsigned>(lo, hi)(rng); };
  Layer l = pool_layer("rand", pick(0, 1) ? PoolKind::max : PoolKind::avg, pick(1, 9), pick(1, 11), pick(1, 11), 1, 1,
                       0, p);
  l.kernel_h = pick(1, 5);
  l.kernel_w = pick(1, 5);
  l.stride_h = pick(1, 4);
  l.stride_w = pick(1, 4);
  l.pad = {pick(0, l.kernel_h - 1), pick(0, l.kernel_h - 1), pick(0, l.kernel_w - 1), pick(0, l.kernel_w - 1)};
  l.in_height = std::max(l.in_height, l.kernel_h);
  l.in_width = std::max(l.in_width, l.kernel_w);
  return l;
}

TEST(GoldenPool, RandomInt8AgainstNaiveLoop) {
  std::mt19937_64 rng(test::seed(9101));
  for (int i = 0; i < 300; ++i) {
    const Layer l = random_pool(rng, Precision::int8);
    const auto x = random_input<std::int8_t>(rng, l);
    ASSERT_EQ(golden::pool(l, x), naive_pool(l, x)) << "case " << i << " " << to_string(l.pool_kind) << " k"
                                                    << l.kernel_h << "x" << l.kernel_w << " s" << l.stride_h << "x"
                                                    << l.stride_w;
  }
}

TEST(GoldenPool, RandomInt16AgainstNaiveLoop) {
  std::mt19937_64 rng(test::seed(9102));
  for (int i = 0; i < 300; ++i) {
    const Layer l = random_pool(rng, Precision::int16);
    const auto x = random_input<std::int16_t>(rng, l);
    ASSERT_EQ(golden::pool(l, x), naive_pool(l, x)) << "case " << i;
  }
}

// Hand-worked: a 2x2 input [[1, 2], [3, 5]] (sum 11, n 4): avg 2.75 -> 3;
// with a 3x3 window and padding 1 the corner window holds one element.
TEST(GoldenPool, HandWorkedPaddingCountsOnlyImageElements) {
  Layer l = pool_layer("p", PoolKind::avg, 1, 2, 2, 2, 1, 0);
  Tensor<std::int8_t> x({1, 2, 2}, {1, 2, 3, 5});
  EXPECT_EQ(golden::pool(l, x).values(), (std::vector<std::int8_t>{3}));
  l.pool_kind = PoolKind::max;
  EXPECT_EQ(golden::pool(l, x).values(), (std::vector<std::int8_t>{5}));
  // 2x2 windows, stride 1, padding 1: corners see one element, edges two, the centre four.
  l = pool_layer("p", PoolKind::avg, 1, 2, 2, 2, 1, 1);
  // rows: [1], [1,2]->1.5->2, [2]; [1,3]->2, [1,2,3,5]->2.75->3, [2,5]->3.5->4; [3], [3,5]->4, [5]
  EXPECT_EQ(golden::pool(l, x).values(), (std::vector<std::int8_t>{1, 2, 2, 2, 3, 4, 3, 4, 5}));
}

// Ties round towards +infinity: 2.5 -> 3, -2.5 -> -2, -0.5 -> 0, 0.5 -> 1; -1.5 -> -1.
TEST(GoldenPool, AverageTiesTowardsPlusInfinity) {
  const Layer l = pool_layer("t", PoolKind::avg, 1, 1, 2, 1, 1, 0);
  Layer pair = l;
  pair.kernel_w = 2;
  auto avg2 = [&](std::int8_t a, std::int8_t b) { return golden::pool(pair, Tensor<std::int8_t>({1, 1, 2}, {a, b})).values()[0]; };
  EXPECT_EQ(avg2(2, 3), 3);
  EXPECT_EQ(avg2(-2, -3), -2);
  EXPECT_EQ(avg2(0, -1), 0);
  EXPECT_EQ(avg2(0, 1), 1);
  EXPECT_EQ(avg2(-1, -2), -1);
  EXPECT_EQ(avg2(-128, -128), -128);
  EXPECT_EQ(avg2(127, 127), 127);
  EXPECT_EQ(avg2(-128, 127), 0);  // -0.5 -> 0
}

// int16 extremes: a global average of 65535 values of -32768 and one of 32767
// stays exact (the sum is int64); max of all-minimum is the minimum.
TEST(GoldenPool, Int16ExtremesGlobalAverage) {
  Layer l = test::global_avgpool("g", 2, 256, 256, Precision::int16);
  Tensor<std::int16_t> x({2, 256, 256});
  std::fill(x.values().begin(), x.values().end(), std::int16_t(-32768));
  x.at({1, 255, 255}) = 32767;
  const auto y = golden::pool(l, x);
  ASSERT_EQ(y.shape(), (Shape{2, 1, 1}));
  EXPECT_EQ(y.values()[0], -32768);
  // (-32768 * 65535 + 32767) / 65536 = -32767.49998...: rounded half up, -32767
  EXPECT_EQ(y.values()[1], -32767);
  l.pool_kind = PoolKind::max;
  EXPECT_EQ(golden::pool(l, x).values(), (std::vector<std::int16_t>{-32768, 32767}));
}

TEST(GoldenPool, RejectsWhatIsNotAPoolLayer) {
  Layer l = pool_layer("bad", PoolKind::max, 3, 4, 4, 2, 2, 0);
  const Tensor<std::int8_t> x({3, 4, 4});
  EXPECT_THROW(golden::pool(l, Tensor<std::int8_t>({3, 4, 5})), LayerError);  // wrong shape
  EXPECT_THROW(golden::pool(l, Tensor<std::int16_t>({3, 4, 4})), LayerError);  // wrong precision
  Layer conv = l;
  conv.op = Op::conv2d;
  EXPECT_THROW(golden::pool(conv, x), LayerError);
  Layer k = l;
  k.out_channels = 4;
  EXPECT_THROW(golden::pool(k, x), LayerError);
}

// ------------------------------------------------------------ validate and helpers

TEST(PoolLayer, ValidateNamesWhatIsWrong) {
  auto message = [](const Layer& l) {
    try {
      l.validate();
    } catch (const LayerError& e) {
      return std::string(e.what());
    }
    return std::string();
  };
  const Layer ok = pool_layer("p", PoolKind::max, 8, 6, 6, 3, 2, 1);
  EXPECT_EQ(message(ok), "");
  Layer l = ok;
  l.out_channels = 9;
  EXPECT_NE(message(l).find("must equal in_channels"), std::string::npos) << message(l);
  l = ok;
  l.post.enabled = true;
  l.post.multiplier = {1};
  l.post.shift = {0};
  EXPECT_NE(message(l).find("no post-processing"), std::string::npos) << message(l);
  l = ok;
  l.weight_format = TensorFormat::zvc;
  EXPECT_NE(message(l).find("no weights"), std::string::npos) << message(l);
  l = ok;
  l.activation_format = TensorFormat::zvc;
  EXPECT_NE(message(l).find("reads its input dense"), std::string::npos) << message(l);
  l = ok;
  l.pad.top = 3;  // a window of padding only
  EXPECT_NE(message(l).find("at least one element of the image"), std::string::npos) << message(l);
  l = ok;
  l.residual = true;
  EXPECT_NE(message(l).find("residual"), std::string::npos) << message(l);
  l = ok;
  l.pool_kind = PoolKind(7);
  EXPECT_NE(message(l).find("pool kind 7"), std::string::npos) << message(l);
  // A residual conv needs post-processing.
  Layer c = test::conv_layer("c", 4, 4, 4, 4, 3);
  c.residual = true;
  EXPECT_NE(message(c).find("residual needs post-processing"), std::string::npos) << message(c);
  EXPECT_EQ(message(test::with_post(c, 1, 0)), "");
  // A large pool is no reduction: it is not limited like a convolution's C*R*S.
  Layer big = pool_layer("big", PoolKind::avg, 60000, 3, 3, 3, 1, 0);
  EXPECT_EQ(message(big), "");
}

TEST(PoolLayer, MacsStringsAndElementOps) {
  // ResNet-50's max pool: 112x112x64, 3x3, stride 2, padding 1 -> 56x56.
  const Layer l = pool_layer("pool1", PoolKind::max, 64, 112, 112, 3, 2, 1);
  EXPECT_EQ(l.out_height(), 56u);
  EXPECT_EQ(l.macs(), 0u);
  EXPECT_STREQ(to_string(l.op), "pool");
  EXPECT_STREQ(to_string(PoolKind::avg), "avg");
  EXPECT_TRUE(l.activation_output());
  EXPECT_EQ(output_element_bytes(l), 1u);
  // Rows per output row: 2 for the first (padding above), 3 for the other 55: 167 in all, the same across.
  EXPECT_EQ(pool_window_extent(l, true), 167u);
  EXPECT_EQ(pool_element_ops(l), 64u * 167 * 167);
  // Against a brute-force count.
  std::uint64_t brute = 0;
  for (unsigned p = 0; p < 56; ++p)
    for (unsigned q = 0; q < 56; ++q)
      for (unsigned r = 0; r < 3; ++r)
        for (unsigned s = 0; s < 3; ++s) {
          const long h = long(2 * p + r) - 1, w = long(2 * q + s) - 1;
          brute += h >= 0 && w >= 0 && h < 112 && w < 112;
        }
  EXPECT_EQ(pool_element_ops(l), 64 * brute);
  EXPECT_EQ(pool_element_ops(test::conv_layer("c", 4, 4, 4, 4, 3)), 0u);
}

// ------------------------------------------------------------ residual add

TEST(GoldenResidual, AddedAfterRoundingBeforeReluAndSaturation) {
  // (10 + 6) * 3 / 2^3 = 6; + r.
  EXPECT_EQ(golden::requantize_add(10 + 6, 3, 3, 5, false, -128, 127), 11);
  EXPECT_EQ(golden::requantize_add(16, 3, 3, -20, false, -128, 127), -14);
  EXPECT_EQ(golden::requantize_add(16, 3, 3, -20, true, -128, 127), 0);   // ReLU after the add
  EXPECT_EQ(golden::requantize_add(-16, 3, 3, 20, true, -128, 127), 14);  // -6 + 20: ReLU sees the sum
  EXPECT_EQ(golden::requantize_add(16, 3, 3, 127, false, -128, 127), 127);    // 133 saturates
  EXPECT_EQ(golden::requantize_add(-16, 3, 3, -128, false, -128, 127), -128);  // -134 saturates
  // The sum is exact: a requantised value beyond the range brought back by the residual is not clipped first.
  EXPECT_EQ(golden::requantize_add(400, 1, 0, -300, false, -128, 127), 100);
  EXPECT_EQ(golden::requantize_add(40000, 1, 0, -32768, false, -32768, 32767), 7232);
  // r = 0 is plain requantisation.
  for (std::int64_t v : {-1000, -7, 0, 9, 1000})
    EXPECT_EQ(golden::requantize_add(v, 5, 2, 0, true, -128, 127), golden::requantize(v, 5, 2, true, -128, 127));
}

TEST(GoldenResidual, PostprocessTensorsInt8AndInt16) {
  std::mt19937_64 rng(test::seed(9103));
  for (Precision p : {Precision::int8, Precision::int16}) {
    Layer l = test::with_residual(test::with_post(test::conv_layer("r", 3, 4, 5, 6, 1, p), 7, 4, true));
    l.post.multiplier = {7, -3, 100, 1, 2, 9};
    const PrecisionTraits& t = traits(p);
    std::uniform_int_distribution<std::int64_t> acc(-5000, 5000), res(t.min, t.max);
    Tensor<std::int32_t> bias({6}, {0, 5, -5, 100, -100, 1});
    Tensor<std::int64_t> a64({6, 4, 5});
    Tensor<std::int32_t> a32({6, 4, 5});
    Tensor<std::int16_t> r16({6, 4, 5});
    Tensor<std::int8_t> r8({6, 4, 5});
    for (std::size_t i = 0; i < a64.size(); ++i) {
      a64.data()[i] = a32.data()[i] = std::int32_t(acc(rng));
      r16.data()[i] = std::int16_t(res(rng));
      r8.data()[i] = std::int8_t(r16.data()[i]);
    }
    std::uint64_t saturated = 0, clipped = 0;
    const Tensor<std::int64_t> y = p == Precision::int8 ? [&] {
      const auto y8 = golden::postprocess(l, a32, bias, r8);
      return Tensor<std::int64_t>(y8.shape(), std::vector<std::int64_t>(y8.values().begin(), y8.values().end()));
    }()
                                                        : [&] {
      const auto y16 = golden::postprocess(l, a64, bias, r16);
      return Tensor<std::int64_t>(y16.shape(), std::vector<std::int64_t>(y16.values().begin(), y16.values().end()));
    }();
    for (unsigned k = 0; k < 6; ++k)
      for (std::size_t i = 0; i < 20; ++i) {
        const std::size_t at = k * 20 + i;
        const std::int64_t want = golden::requantize_add(a64.data()[at] + bias.data()[k], l.post.multiplier[k], 4,
                                                         r16.data()[at], true, t.min, t.max);
        const std::int64_t got = y.data()[at];
        ASSERT_EQ(got, want) << "channel " << k << " element " << i;
        saturated += got == t.max;
        clipped += got == 0;
      }
    EXPECT_GT(saturated + clipped, 0u);
    // Without its residual, or with one it does not have, the golden refuses.
    EXPECT_THROW(golden::postprocess(l, a64, bias), LayerError);
    Layer plain = l;
    plain.residual = false;
    if (p == Precision::int16) {
      EXPECT_THROW(golden::postprocess(plain, a64, bias, r16), LayerError);
      EXPECT_THROW(golden::postprocess(l, a64, bias, Tensor<std::int16_t>({6, 4, 4})), LayerError);
    }
  }
}

}  // namespace
}  // namespace sdla
