// Tests of the golden reference (models/golden): hand-computed convolutions,
// the post-processing rule of layer.hpp, shape errors, and a randomized
// comparison against an independent im2col + GEMM convolution.
#include <gtest/gtest.h>

#include <cstdint>
#include <cstdlib>
#include <iostream>
#include <limits>
#include <random>
#include <vector>

#include "golden/conv.hpp"
#include "seed.hpp"

using sdla::Layer;
using sdla::LayerError;
using sdla::Op;
using sdla::Padding;
using sdla::Precision;
using sdla::Shape;
using sdla::Tensor;
namespace golden = sdla::golden;

namespace {

Layer conv_layer(unsigned C, unsigned H, unsigned W, unsigned K, unsigned R, unsigned S, unsigned stride_h = 1,
                 unsigned stride_w = 1, Padding pad = {}, Precision p = Precision::int8) {
  Layer l;
  l.name = "t";
  l.op = Op::conv2d;
  l.precision = p;
  l.in_channels = C;
  l.in_height = H;
  l.in_width = W;
  l.out_channels = K;
  l.kernel_h = R;
  l.kernel_w = S;
  l.stride_h = stride_h;
  l.stride_w = stride_w;
  l.pad = pad;
  return l;
}

Layer with_post(Layer l, std::vector<std::int32_t> multiplier, std::vector<std::uint8_t> shift, bool relu = false) {
  l.post.enabled = true;
  l.post.multiplier = std::move(multiplier);
  l.post.shift = std::move(shift);
  l.post.relu = relu;
  return l;
}

using T8 = Tensor<std::int8_t>;
using T16 = Tensor<std::int16_t>;
using T32 = Tensor<std::int32_t>;
using T64 = Tensor<std::int64_t>;

// The 3x3 image and 2x2 kernel used by the single-channel cases:
//   x = 1 2 3     w = 1 2
//       4 5 6         3 4
//       7 8 9
const T8 kImage({1, 3, 3}, {1, 2, 3, 4, 5, 6, 7, 8, 9});
const T8 kKernel({1, 1, 2, 2}, {1, 2, 3, 4});

// ---------------------------------------------------------------------------
// Convolution by hand

TEST(GoldenConv, Stride1NoPadding) {
  // y[p][q] = x[p][q] + 2 x[p][q+1] + 3 x[p+1][q] + 4 x[p+1][q+1]
  //   y00 = 1 + 4 + 12 + 20 = 37    y01 = 2 + 6 + 15 + 24 = 47
  //   y10 = 4 + 10 + 21 + 32 = 67   y11 = 5 + 12 + 24 + 36 = 77
  const auto y = golden::conv2d(conv_layer(1, 3, 3, 1, 2, 2), kImage, kKernel);
  EXPECT_EQ(y, T32({1, 2, 2}, {37, 47, 67, 77}));
}

TEST(GoldenConv, Stride2NoPadding) {
  // P = (3 - 2) / 2 + 1 = 1: only the top-left window, 37.
  const auto y = golden::conv2d(conv_layer(1, 3, 3, 1, 2, 2, 2, 2), kImage, kKernel);
  EXPECT_EQ(y, T32({1, 1, 1}, {37}));
}

TEST(GoldenConv, Stride1SymmetricPadding) {
  // Padded 5x5, P = Q = 4. Window (p, q) covers input rows p-1..p, cols q-1..q.
  //   row 0: only kernel row 1 (3 4) sees image row 0 (1 2 3):
  //          4*1 = 4, 3*1+4*2 = 11, 3*2+4*3 = 18, 3*3 = 9
  //   row 1: 2*1+4*4 = 18, 37, 47, 1*3+3*6 = 21
  //   row 2: 2*4+4*7 = 36, 67, 77, 1*6+3*9 = 33
  //   row 3: only kernel row 0 (1 2) sees image row 2 (7 8 9):
  //          2*7 = 14, 1*7+2*8 = 23, 1*8+2*9 = 26, 1*9 = 9
  const auto y = golden::conv2d(conv_layer(1, 3, 3, 1, 2, 2, 1, 1, {1, 1, 1, 1}), kImage, kKernel);
  EXPECT_EQ(y, T32({1, 4, 4}, {4, 11, 18, 9, 18, 37, 47, 21, 36, 67, 77, 33, 14, 23, 26, 9}));
}

TEST(GoldenConv, Stride2SymmetricPadding) {
  // P = (3 + 2 - 2) / 2 + 1 = 2; window (p, q) covers rows 2p-1..2p, cols 2q-1..2q.
  //   y00 = 4*x00 = 4           y01 = 3*x01 + 4*x02 = 6 + 12 = 18
  //   y10 = 2*x10 + 4*x20 = 8 + 28 = 36    y11 = 1*5 + 2*6 + 3*8 + 4*9 = 77
  const auto y = golden::conv2d(conv_layer(1, 3, 3, 1, 2, 2, 2, 2, {1, 1, 1, 1}), kImage, kKernel);
  EXPECT_EQ(y, T32({1, 2, 2}, {4, 18, 36, 77}));
}

TEST(GoldenConv, AsymmetricPadding) {
  // top 1, bottom 0, left 0, right 1: P = Q = 3, window covers rows p-1..p, cols q..q+1.
  //   row 0 (kernel row 1 on image row 0): 3*1+4*2 = 11, 3*2+4*3 = 18, 3*3 = 9
  //   row 1: 37, 47, 1*3 + 3*6 = 21
  //   row 2: 67, 77, 1*6 + 3*9 = 33
  const auto y = golden::conv2d(conv_layer(1, 3, 3, 1, 2, 2, 1, 1, {1, 0, 0, 1}), kImage, kKernel);
  EXPECT_EQ(y, T32({1, 3, 3}, {11, 18, 9, 37, 47, 21, 67, 77, 33}));
}

TEST(GoldenConv, AsymmetricPaddingStride2) {
  // top 0, bottom 1, left 1, right 0, stride 2: P = Q = (3 + 1 - 2) / 2 + 1 = 2;
  // window covers rows 2p..2p+1, cols 2q-1..2q.
  //   y00 = 2*x00 + 4*x10 = 2 + 16 = 18    y01 = 1*2 + 2*3 + 3*5 + 4*6 = 47
  //   y10 = 2*x20 = 14 (row 3 is padding)  y11 = 1*8 + 2*9 = 26
  const auto y = golden::conv2d(conv_layer(1, 3, 3, 1, 2, 2, 2, 2, {0, 1, 1, 0}), kImage, kKernel);
  EXPECT_EQ(y, T32({1, 2, 2}, {18, 47, 14, 26}));
}

TEST(GoldenConv, MultiChannelOneByOne) {
  // C = 2, K = 3, 1x2 image, 1x1 kernel: y[k][q] = sum_c w[k][c] x[c][q].
  //   x c0 = (1 2), c1 = (3 4);  w = k0 (1 1), k1 (2 -1), k2 (0 5)
  //   k0: (1+3, 2+4) = (4 6); k1: (2-3, 4-4) = (-1 0); k2: (15 20)
  const T8 x({2, 1, 2}, {1, 2, 3, 4});
  const T8 w({3, 2, 1, 1}, {1, 1, 2, -1, 0, 5});
  EXPECT_EQ(golden::conv2d(conv_layer(2, 1, 2, 3, 1, 1), x, w), T32({3, 1, 2}, {4, 6, -1, 0, 15, 20}));
}

TEST(GoldenConv, MultiChannelMultiK) {
  // C = 2, K = 2, 2x2 image, 2x2 kernel, one output each; weights are [K, C, R, S].
  //   x c0 = 1 2 / 3 4, c1 = -1 0 / 2 -2
  //   k0: all ones: (1+2+3+4) + (-1+0+2-2) = 10 - 1 = 9
  //   k1: c0 = 1 0 / 0 0, c1 = 0 0 / 0 -1: 1*1 + (-2)*(-1) = 3
  const T8 x({2, 2, 2}, {1, 2, 3, 4, -1, 0, 2, -2});
  const T8 w({2, 2, 2, 2}, {1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0, -1});
  EXPECT_EQ(golden::conv2d(conv_layer(2, 2, 2, 2, 2, 2), x, w), T32({2, 1, 1}, {9, 3}));
}

TEST(GoldenConv, FullyConnected) {
  // x = (1 -2 3); w = k0 (1 1 1), k1 (-1 2 4): y0 = 1 - 2 + 3 = 2, y1 = -1 - 4 + 12 = 7.
  Layer l = conv_layer(3, 1, 1, 2, 1, 1);
  l.op = Op::fc;
  const auto y = golden::conv2d(l, T8({3, 1, 1}, {1, -2, 3}), T8({2, 3, 1, 1}, {1, 1, 1, -1, 2, 4}));
  EXPECT_EQ(y, T32({2, 1, 1}, {2, 7}));
}

TEST(GoldenConv, Int16AccumulatesInInt64) {
  // 32767^2 = 1073676289, 32768^2 = 1073741824:
  //   2 * 1073676289 + 2 * 1073741824 = 4294836226 > 2^31 (and > 2^32 - 2^17)
  const Layer l = conv_layer(4, 1, 1, 2, 1, 1, 1, 1, {}, Precision::int16);
  const T16 x({4, 1, 1}, {32767, 32767, -32768, -32768});
  const T16 w({2, 4, 1, 1}, {32767, 32767, -32768, -32768,  //
                             -32768, -32768, 32767, 32767});
  // k1 = 2 * (32767 * -32768) + 2 * (-32768 * 32767) = 4 * -1073709056 = -4294836224
  const T64 y = golden::conv2d(l, x, w);
  EXPECT_EQ(y, T64({2, 1, 1}, {4294836226LL, -4294836224LL}));
}

TEST(GoldenConv, Int8MinTimesMin) {
  // (-128) * (-128) = 16384 each; four of them = 65536, beyond int16.
  const T8 x({4, 1, 1}, {-128, -128, -128, -128});
  const T8 w({1, 4, 1, 1}, {-128, -128, -128, -128});
  EXPECT_EQ(golden::conv2d(conv_layer(4, 1, 1, 1, 1, 1), x, w), T32({1, 1, 1}, {65536}));
}

TEST(GoldenConv, Int8LongestReductionIsExact) {
  // C*R*S = 65535 * 1 * 2 = 131070 products of 16384 = 2147450880 <= 2^31 - 1 = 2147483647.
  const Layer l = conv_layer(65535, 1, 2, 1, 1, 2);
  T8 x({65535, 1, 2}), w({1, 65535, 1, 2});
  std::fill(x.values().begin(), x.values().end(), std::int8_t(-128));
  std::fill(w.values().begin(), w.values().end(), std::int8_t(-128));
  EXPECT_EQ(golden::conv2d(l, x, w), T32({1, 1, 1}, {2147450880}));
}

TEST(GoldenConv, Int8ReductionOf2To17IsRejected) {
  // 2^17 * 2^14 = 2^31 overflows int32, so C*R*S = 32768 * 2 * 2 = 131072 must be refused.
  const Layer l = conv_layer(32768, 2, 2, 1, 2, 2);
  T8 x({32768, 2, 2}), w({1, 32768, 2, 2});
  try {
    golden::conv2d(l, x, w);
    FAIL() << "no error";
  } catch (const LayerError& e) {
    EXPECT_NE(std::string(e.what()).find("C*R*S = 131072 exceeds 131071"), std::string::npos) << e.what();
  }
  // int16 layers accumulate in int64 and have no such limit.
  Layer l16 = l;
  l16.precision = Precision::int16;
  EXPECT_NO_THROW(l16.validate());
}

// ---------------------------------------------------------------------------
// Shape and precision errors

template <class F>
std::string layer_error(F&& f) {
  try {
    f();
  } catch (const LayerError& e) {
    return e.what();
  }
  ADD_FAILURE() << "expected LayerError";
  return {};
}

TEST(GoldenErrors, ConvShapeMismatch) {
  const Layer l = conv_layer(1, 3, 3, 1, 2, 2);
  EXPECT_EQ(layer_error([&] { golden::conv2d(l, T8({1, 3, 4}), kKernel); }),
            "golden: input shape [1, 3, 4], layer needs [1, 3, 3]");
  EXPECT_EQ(layer_error([&] { golden::conv2d(l, T8({3, 3}), kKernel); }),
            "golden: input shape [3, 3], layer needs [1, 3, 3]");
  EXPECT_EQ(layer_error([&] { golden::conv2d(l, kImage, T8({2, 1, 2, 2})); }),
            "golden: weight shape [2, 1, 2, 2], layer needs [1, 1, 2, 2]");
  EXPECT_EQ(layer_error([&] { golden::conv2d(l, T16({1, 3, 3}), T16({1, 1, 2, 2})); }),
            "golden: int16 tensors for an int8 layer");
  Layer l16 = l;
  l16.precision = Precision::int16;
  EXPECT_EQ(layer_error([&] { golden::conv2d(l16, kImage, kKernel); }), "golden: int8 tensors for an int16 layer");
  // An impossible layer is reported by validate().
  EXPECT_NE(layer_error([&] { golden::conv2d(conv_layer(1, 3, 3, 1, 4, 4), kImage, T8({1, 1, 4, 4})); })
                .find("kernel is larger than the padded input"),
            std::string::npos);
}

TEST(GoldenErrors, PostprocessMismatch) {
  const Layer l = with_post(conv_layer(1, 3, 3, 2, 2, 2), {1}, {0});
  const T32 acc({2, 2, 2});
  EXPECT_EQ(layer_error([&] { golden::postprocess(l, acc, T32({3})); }), "golden: bias shape [3], layer needs [2]");
  EXPECT_EQ(layer_error([&] { golden::postprocess(l, acc, T32({2, 1})); }),
            "golden: bias shape [2, 1], layer needs [2]");
  EXPECT_EQ(layer_error([&] { golden::postprocess(l, T32({3, 2, 2}), T32({2})); }),
            "golden: accumulator shape [3, 2, 2] does not match layer");
  EXPECT_EQ(layer_error([&] { golden::postprocess(l, T32({2, 4}), T32({2})); }),
            "golden: accumulator shape [2, 4] does not match layer");
  EXPECT_EQ(layer_error([&] { golden::postprocess(l, T64({2, 2, 2}), T32({2})); }),
            "golden: int64 accumulators for an int8 layer");
  Layer none = l;
  none.post = {};
  EXPECT_EQ(layer_error([&] { golden::postprocess(none, acc, T32({2})); }),
            "golden: layer 't' has no post-processing");
}

// ---------------------------------------------------------------------------
// Post-processing: y = saturate(relu?(round_half_up((acc + bias) * m / 2^s)))

TEST(GoldenPost, Bias) {
  // K = 2, m = 1, s = 0: y = acc + bias[k]: (10+5, -10+5, 0-3, 100-3).
  const Layer l = with_post(conv_layer(1, 2, 3, 2, 2, 2), {1}, {0});
  const auto y = golden::postprocess(l, T32({2, 1, 2}, {10, -10, 0, 100}), T32({2}, {5, -3}));
  EXPECT_EQ(y, T8({2, 1, 2}, {15, -5, -3, 97}));
}

TEST(GoldenPost, RoundHalfUpTies) {
  // s = 1: floor((v + 1) / 2). Ties go towards +infinity:
  //   5 -> 2.5 -> 3;  -5 -> -2.5 -> -2;  4 -> 2;  -4 -> -2;  3 -> 1.5 -> 2;  -3 -> -1.5 -> -1;
  //   7 -> 3.5 -> 4;  -7 -> -3.5 -> -3
  const Layer l = with_post(conv_layer(1, 1, 8, 1, 1, 1), {1}, {1});
  const auto y = golden::postprocess(l, T32({1, 1, 8}, {5, -5, 4, -4, 3, -3, 7, -7}), T32({1}, {0}));
  EXPECT_EQ(y, T8({1, 1, 8}, {3, -2, 2, -2, 2, -1, 4, -3}));
}

TEST(GoldenPost, MultiplierThenShift) {
  // m = 3, s = 2: floor((3v + 2) / 4):
  //   5 -> 15/4 = 3.75 -> 4;  -2 -> -6/4 = -1.5 -> -1;  2 -> 6/4 = 1.5 -> 2;  -6 -> -18/4 = -4.5 -> -4
  const Layer l = with_post(conv_layer(1, 1, 4, 1, 1, 1), {3}, {2});
  const auto y = golden::postprocess(l, T32({1, 1, 4}, {5, -2, 2, -6}), T32({1}, {0}));
  EXPECT_EQ(y, T8({1, 1, 4}, {4, -1, 2, -4}));
  // A negative multiplier: -5 / 2 = -2.5 -> -2.
  EXPECT_EQ(golden::requantize(5, -1, 1, false, -128, 127), -2);
}

TEST(GoldenPost, Relu) {
  // s = 1: -5 -> -2 -> 0; -1 -> -0.5 -> 0; 1 -> 0.5 -> 1; 6 -> 3.
  const Layer base = conv_layer(1, 1, 4, 1, 1, 1);
  const T32 acc({1, 1, 4}, {-5, -1, 1, 6});
  EXPECT_EQ(golden::postprocess(with_post(base, {1}, {1}, true), acc, T32({1}, {0})), T8({1, 1, 4}, {0, 0, 1, 3}));
  EXPECT_EQ(golden::postprocess(with_post(base, {1}, {1}, false), acc, T32({1}, {0})),
            T8({1, 1, 4}, {-2, 0, 1, 3}));
}

TEST(GoldenPost, SaturatesInt8) {
  const Layer l = with_post(conv_layer(1, 1, 6, 1, 1, 1), {1}, {0});
  const T32 acc({1, 1, 6}, {1000, -1000, 127, -128, 128, -129});
  EXPECT_EQ(golden::postprocess(l, acc, T32({1}, {0})), T8({1, 1, 6}, {127, -128, 127, -128, 127, -128}));
  // ReLU applies before saturation: -1000 -> 0, not -128.
  EXPECT_EQ(golden::postprocess(with_post(l, {1}, {0}, true), acc, T32({1}, {0})),
            T8({1, 1, 6}, {127, 0, 127, 0, 127, 0}));
  // Bias can push a value over the bound: 100 + 100 = 200 -> 127.
  EXPECT_EQ(golden::postprocess(l, T32({1, 1, 6}, {100, 0, 0, 0, 0, -100}), T32({1}, {100}))
                .values()[0],
            127);
}

TEST(GoldenPost, SaturatesInt16) {
  Layer l = with_post(conv_layer(1, 1, 5, 1, 1, 1, 1, 1, {}, Precision::int16), {1}, {0});
  const T64 acc({1, 1, 5}, {40000, -40000, 32767, -32768, 4294836226LL});
  EXPECT_EQ(golden::postprocess(l, acc, T32({1}, {0})), T16({1, 1, 5}, {32767, -32768, 32767, -32768, 32767}));
  // s = 17: floor((4294836226 + 65536) / 131072) = 32767 exactly (32767 * 131072 = 4294836224).
  l.post.shift = {17};
  EXPECT_EQ(golden::postprocess(l, acc, T32({1}, {0})).values()[4], 32767);
}

TEST(GoldenPost, PerChannelVersusScalar) {
  // acc k0 = (10 11), k1 = (10 11).
  const Layer base = conv_layer(1, 1, 2, 2, 1, 1);
  const T32 acc({2, 1, 2}, {10, 11, 10, 11});
  const T32 bias({2}, {0, 0});
  // Per channel: k0 m=2 s=0 -> (20 22); k1 m=3 s=1 -> 30/2 = 15, 33/2 = 16.5 -> 17.
  EXPECT_EQ(golden::postprocess(with_post(base, {2, 3}, {0, 1}), acc, bias), T8({2, 1, 2}, {20, 22, 15, 17}));
  // Scalar m=3 s=1 for both channels.
  EXPECT_EQ(golden::postprocess(with_post(base, {3}, {1}), acc, bias), T8({2, 1, 2}, {15, 17, 15, 17}));
  // Mixed: per-channel multiplier, scalar shift 1: k0 20/2 = 10, 22/2 = 11; k1 15, 17.
  EXPECT_EQ(golden::postprocess(with_post(base, {2, 3}, {1}), acc, bias), T8({2, 1, 2}, {10, 11, 15, 17}));
}

TEST(GoldenPost, RequantizeWideProducts) {
  constexpr std::int64_t lo = std::numeric_limits<std::int64_t>::min(), hi = std::numeric_limits<std::int64_t>::max();
  // 2^47 * 2^30 = 2^77 needs 128 bits; / 2^62 = 2^15.
  EXPECT_EQ(golden::requantize(std::int64_t(1) << 47, 1 << 30, 62, false, lo, hi), 32768);
  EXPECT_EQ(golden::requantize(-(std::int64_t(1) << 47), 1 << 30, 62, false, lo, hi), -32768);
  // 3 * 2^30 / 2^31 = 1.5 -> 2; -1.5 -> -1.
  EXPECT_EQ(golden::requantize(3, 1 << 30, 31, false, lo, hi), 2);
  EXPECT_EQ(golden::requantize(-3, 1 << 30, 31, false, lo, hi), -1);
  // Beyond int64 saturates instead of wrapping.
  EXPECT_EQ(golden::requantize(hi, std::numeric_limits<std::int32_t>::max(), 0, false, lo, hi), hi);
  EXPECT_EQ(golden::requantize(hi, std::numeric_limits<std::int32_t>::min(), 0, false, lo, hi), lo);
}

// ---------------------------------------------------------------------------
// Randomized: golden conv2d against an independent im2col + GEMM.

/// Lowers the padded input to columns [C*R*S][P*Q] and multiplies by the
/// weights viewed as [K][C*R*S]; returns [K][P*Q] in int64.
template <class T>
std::vector<std::int64_t> im2col_gemm(const Layer& l, const Tensor<T>& x, const Tensor<T>& w, unsigned& P,
                                      unsigned& Q) {
  const unsigned C = l.in_channels, H = l.in_height, W = l.in_width, K = l.out_channels;
  const unsigned R = l.kernel_h, S = l.kernel_w;
  const int top = int(l.pad.top), left = int(l.pad.left);
  P = (H + l.pad.top + l.pad.bottom - R) / l.stride_h + 1;
  Q = (W + l.pad.left + l.pad.right - S) / l.stride_w + 1;
  const std::size_t rows = std::size_t(C) * R * S, cols = std::size_t(P) * Q;
  std::vector<std::int64_t> lowered(rows * cols, 0);
  for (unsigned c = 0; c < C; ++c)
    for (unsigned r = 0; r < R; ++r)
      for (unsigned s = 0; s < S; ++s)
        for (unsigned p = 0; p < P; ++p)
          for (unsigned q = 0; q < Q; ++q) {
            const int h = int(p * l.stride_h + r) - top, v = int(q * l.stride_w + s) - left;
            if (h >= 0 && v >= 0 && h < int(H) && v < int(W))
              lowered[((c * R + r) * S + s) * cols + p * Q + q] = x.values()[(c * H + h) * W + v];
          }
  std::vector<std::int64_t> out(std::size_t(K) * cols, 0);
  for (unsigned k = 0; k < K; ++k)
    for (std::size_t i = 0; i < rows; ++i)
      for (std::size_t j = 0; j < cols; ++j) out[k * cols + j] += std::int64_t(w.values()[k * rows + i]) * lowered[i * cols + j];
  return out;
}

template <class T>
void fill(Tensor<T>& t, std::mt19937_64& rng) {
  std::uniform_int_distribution<int> d(std::numeric_limits<T>::min(), std::numeric_limits<T>::max());
  std::uniform_int_distribution<int> zero(0, 3);
  for (auto& v : t.values()) v = zero(rng) == 0 ? T(0) : T(d(rng));
}

template <class T>
void check_random_layer(const Layer& l, std::mt19937_64& rng) {
  Tensor<T> x({l.in_channels, l.in_height, l.in_width});
  Tensor<T> w({l.out_channels, l.in_channels, l.kernel_h, l.kernel_w});
  fill(x, rng);
  fill(w, rng);
  unsigned P = 0, Q = 0;
  const auto want = im2col_gemm(l, x, w, P, Q);
  const auto got = golden::conv2d(l, x, w);
  ASSERT_EQ(got.shape(), (Shape{l.out_channels, P, Q}));
  for (std::size_t i = 0; i < want.size(); ++i) ASSERT_EQ(std::int64_t(got.values()[i]), want[i]) << "element " << i;
}

TEST(GoldenRandom, MatchesIm2colGemm) {
  std::uint64_t seed = std::random_device{}();
  if (const char* s = std::getenv("SDLA_SEED")) seed = std::strtoull(s, nullptr, 0);
  std::cout << "seed " << seed << " (rerun with SDLA_SEED=" << seed << ")" << std::endl;
  std::mt19937_64 rng(seed);
  auto uni = [&](unsigned lo, unsigned hi) { return std::uniform_int_distribution<unsigned>(lo, hi)(rng); };
  unsigned strided = 0, asymmetric = 0;
  for (int i = 0; i < 60; ++i) {
    Layer l;
    l.name = "random" + std::to_string(i);
    l.precision = i % 2 ? Precision::int16 : Precision::int8;
    l.in_channels = uni(1, 5);
    l.out_channels = uni(1, 4);
    l.kernel_h = uni(1, 4);
    l.kernel_w = uni(1, 4);
    // Every third layer strides by 2 in both directions.
    l.stride_h = i % 3 == 0 ? 2 : uni(1, 3);
    l.stride_w = i % 3 == 0 ? 2 : uni(1, 3);
    l.pad = {uni(0, l.kernel_h - 1), uni(0, l.kernel_h - 1), uni(0, l.kernel_w - 1), uni(0, l.kernel_w - 1)};
    // Large enough for the kernel once padded.
    l.in_height = uni(std::max(1u, l.kernel_h - std::min(l.kernel_h, l.pad.top + l.pad.bottom)), 9);
    l.in_width = uni(std::max(1u, l.kernel_w - std::min(l.kernel_w, l.pad.left + l.pad.right)), 9);
    ASSERT_NO_THROW(l.validate()) << l.name;
    strided += l.stride_h == 2 || l.stride_w == 2;
    asymmetric += l.pad.top != l.pad.bottom || l.pad.left != l.pad.right;
    SCOPED_TRACE(l.name + ": C" + std::to_string(l.in_channels) + " " + std::to_string(l.in_height) + "x" +
                 std::to_string(l.in_width) + " K" + std::to_string(l.out_channels) + " R" +
                 std::to_string(l.kernel_h) + "xS" + std::to_string(l.kernel_w) + " stride " +
                 std::to_string(l.stride_h) + "," + std::to_string(l.stride_w) + " pad " + std::to_string(l.pad.top) +
                 "," + std::to_string(l.pad.bottom) + "," + std::to_string(l.pad.left) + "," +
                 std::to_string(l.pad.right) + " " + sdla::to_string(l.precision));
    if (l.precision == Precision::int8)
      check_random_layer<std::int8_t>(l, rng);
    else
      check_random_layer<std::int16_t>(l, rng);
    if (HasFatalFailure()) return;
  }
  EXPECT_GE(strided, 20u);
  EXPECT_GT(asymmetric, 0u);
}

}  // namespace

// ---------------------------------------------------------------------------
// Grouped convolution (depthwise: groups = C): weights [K, C / groups, R, S]

namespace {

/// The definition, as plainly as it can be written: output channel k reads
/// input channels g * C/groups + c for c < C/groups, g = k / (K / groups).
template <class T>
std::vector<std::int64_t> naive_grouped(const Layer& l, const Tensor<T>& x, const Tensor<T>& w) {
  const unsigned K = l.out_channels, Cg = l.in_channels / l.groups, Kg = K / l.groups;
  const unsigned P = l.out_height(), Q = l.out_width();
  std::vector<std::int64_t> y(std::size_t(K) * P * Q, 0);
  for (unsigned k = 0; k < K; ++k)
    for (unsigned p = 0; p < P; ++p)
      for (unsigned q = 0; q < Q; ++q) {
        std::int64_t sum = 0;
        for (unsigned c = 0; c < Cg; ++c)
          for (unsigned r = 0; r < l.kernel_h; ++r)
            for (unsigned s = 0; s < l.kernel_w; ++s) {
              const int h = int(p * l.stride_h + r) - int(l.pad.top), v = int(q * l.stride_w + s) - int(l.pad.left);
              if (h < 0 || v < 0 || h >= int(l.in_height) || v >= int(l.in_width)) continue;
              const unsigned ci = k / Kg * Cg + c;
              sum += std::int64_t(x.values()[(std::size_t(ci) * l.in_height + h) * l.in_width + v]) *
                     w.values()[((std::size_t(k) * Cg + c) * l.kernel_h + r) * l.kernel_w + s];
            }
        y[(std::size_t(k) * P + p) * Q + q] = sum;
      }
  return y;
}

Layer grouped(Layer l, unsigned groups) {
  l.groups = groups;
  return l;
}

}  // namespace

TEST(GoldenGrouped, DepthwiseByHand) {
  // Two channels, each convolved with its own 2x2 kernel: channel 0 with
  // [1 2; 3 4] (the single-channel case above), channel 1 (the image + 10)
  // with [1 0; 0 -1] (top-left minus bottom-right: always -4).
  const Layer l = grouped(conv_layer(2, 3, 3, 2, 2, 2), 2);
  const T8 x({2, 3, 3}, {1, 2, 3, 4, 5, 6, 7, 8, 9, 11, 12, 13, 14, 15, 16, 17, 18, 19});
  const T8 w({2, 1, 2, 2}, {1, 2, 3, 4, 1, 0, 0, -1});
  EXPECT_EQ(golden::conv2d(l, x, w).values(), (std::vector<std::int32_t>{37, 47, 67, 77, -4, -4, -4, -4}));
  EXPECT_EQ(l.macs(), 2u * 2 * 2 * 1 * 2 * 2);
}

TEST(GoldenGrouped, TwoGroupsByHand) {
  // C = 4, K = 2, groups = 2, 1x1: y0 = x0 + 2 x1, y1 = 3 x2 + 4 x3 (a dense layer would mix all four).
  const Layer l = grouped(conv_layer(4, 1, 2, 2, 1, 1), 2);
  const T8 x({4, 1, 2}, {1, 2, 10, 20, 100, 0, 0, 1});
  const T8 w({2, 2, 1, 1}, {1, 2, 3, 4});
  EXPECT_EQ(golden::conv2d(l, x, w).values(), (std::vector<std::int32_t>{21, 42, 300, 4}));
}

TEST(GoldenGrouped, WeightShapeIsKByCOverGroups) {
  const Layer l = grouped(conv_layer(4, 3, 3, 6, 2, 2), 2);
  EXPECT_EQ(layer_error([&] { golden::conv2d(l, T8({4, 3, 3}), T8({6, 4, 2, 2})); }),
            "golden: weight shape [6, 4, 2, 2], layer needs [6, 2, 2, 2]");
  EXPECT_NO_THROW(golden::conv2d(l, T8({4, 3, 3}), T8({6, 2, 2, 2})));
}

TEST(GoldenGrouped, ValidationNamesTheField) {
  auto error = [](const Layer& l) { return layer_error([&] { l.validate(); }); };
  EXPECT_EQ(error(grouped(conv_layer(4, 3, 3, 6, 1, 1), 0)), "layer 't': groups must be at least 1");
  EXPECT_EQ(error(grouped(conv_layer(6, 3, 3, 4, 1, 1), 3)), "layer 't': groups = 3 does not divide out_channels = 4");
  EXPECT_EQ(error(grouped(conv_layer(4, 3, 3, 6, 1, 1), 3)), "layer 't': groups = 3 does not divide in_channels = 4");
  Layer fc = conv_layer(8, 1, 1, 8, 1, 1);
  fc.op = Op::fc;
  EXPECT_EQ(error(grouped(fc, 2)), "layer 't': groups must be 1 for an fc layer, got 2");
  // 2:4 groups of four must not straddle two convolution groups.
  Layer s24 = grouped(conv_layer(12, 3, 3, 2, 1, 1), 2);
  s24.weight_format = sdla::TensorFormat::sparse_2_4;
  EXPECT_NE(error(s24).find("needs in_channels / groups (6) to be a multiple of 4"), std::string::npos);
  s24.in_channels = 16;  // 8 per group
  EXPECT_NO_THROW(s24.validate());
  s24.in_channels = 6;  // 3 per group: one group of four holds them all
  EXPECT_NO_THROW(s24.validate());
  // The reduction limit counts C / groups: 2^17 int8 products per output could overflow int32.
  Layer wide = grouped(conv_layer(16384, 4, 4, 4, 4, 4), 4);  // 4096 * 16 = 2^16 per output
  EXPECT_NO_THROW(wide.validate());
  wide.groups = 2;
  EXPECT_NE(error(wide).find("reduction length (C/groups)*R*S = 131072"), std::string::npos);
}

TEST(GoldenGrouped, MacsAndWinogradFallBack) {
  Layer l = grouped(conv_layer(96, 112, 112, 96, 3, 3, 2, 2, {1, 1, 1, 1}), 96);
  EXPECT_EQ(l.macs(), 96u * 56 * 56 * 9);  // MobileNetV2's 112x112x96 depthwise 3x3 s2
  l = grouped(conv_layer(32, 8, 8, 32, 3, 3, 1, 1, {1, 1, 1, 1}), 32);
  l.winograd = sdla::Winograd::automatic;
  EXPECT_NE(sdla::winograd_ineligibility(l).find("grouped convolution"), std::string::npos);
  const Layer resolved = sdla::resolve_winograd(l);
  EXPECT_EQ(resolved.winograd, sdla::Winograd::off);
  EXPECT_NE(resolved.winograd_fallback.find("grouped convolution"), std::string::npos);
  l.winograd_strict = true;
  EXPECT_THROW(sdla::resolve_winograd(l), LayerError);
}

TEST(GoldenGrouped, RandomAgainstNaiveLoops) {
  const std::uint64_t seed = sdla::test::seed(77);
  std::mt19937_64 rng(seed);
  auto uni = [&](unsigned lo, unsigned hi) { return std::uniform_int_distribution<unsigned>(lo, hi)(rng); };
  unsigned depthwise = 0;
  for (int i = 0; i < 80; ++i) {
    Layer l;
    l.name = "grouped" + std::to_string(i);
    l.precision = i % 2 ? Precision::int16 : Precision::int8;
    const unsigned groups = i % 4 == 0 ? uni(1, 12) : uni(1, 5);
    const unsigned per_in = i % 4 == 0 ? 1 : uni(1, 4), per_out = i % 4 == 0 ? uni(1, 2) : uni(1, 4);
    l.groups = groups;
    l.in_channels = groups * per_in;
    l.out_channels = groups * per_out;
    l.kernel_h = uni(1, 3);
    l.kernel_w = uni(1, 3);
    l.stride_h = uni(1, 2);
    l.stride_w = uni(1, 2);
    l.pad = {uni(0, l.kernel_h - 1), uni(0, l.kernel_h - 1), uni(0, l.kernel_w - 1), uni(0, l.kernel_w - 1)};
    l.in_height = uni(l.kernel_h, 8);
    l.in_width = uni(l.kernel_w, 8);
    ASSERT_NO_THROW(l.validate()) << l.name;
    depthwise += per_in == 1 && groups > 1;
    SCOPED_TRACE(l.name + ": groups " + std::to_string(groups) + " C" + std::to_string(l.in_channels) + " K" +
                 std::to_string(l.out_channels) + " " + std::to_string(l.in_height) + "x" +
                 std::to_string(l.in_width) + " k" + std::to_string(l.kernel_h) + "x" + std::to_string(l.kernel_w) +
                 " s" + std::to_string(l.stride_h) + "," + std::to_string(l.stride_w));
    auto run = [&](auto zero) {
      using T = decltype(zero);
      Tensor<T> x({l.in_channels, l.in_height, l.in_width});
      Tensor<T> w({l.out_channels, l.group_channels(), l.kernel_h, l.kernel_w});
      fill(x, rng);
      fill(w, rng);
      const auto want = naive_grouped(l, x, w);
      const auto got = golden::conv2d(l, x, w);
      ASSERT_EQ(got.shape(), (Shape{l.out_channels, l.out_height(), l.out_width()}));
      for (std::size_t e = 0; e < want.size(); ++e) ASSERT_EQ(std::int64_t(got.values()[e]), want[e]) << "element " << e;
    };
    if (l.precision == Precision::int8) run(std::int8_t{}); else run(std::int16_t{});
    if (HasFatalFailure()) return;
  }
  EXPECT_GE(depthwise, 10u);
}
