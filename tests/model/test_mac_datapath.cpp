// The C++ datapath model on hand-computed passes: partial sums, the activity
// definitions of mac_pass.hpp, operand isolation and 2:4 selection.
#include <gtest/gtest.h>

#include <algorithm>
#include <random>
#include <vector>

#include "seed.hpp"

#include "dot_kernels.hpp"
#include "mac_datapath.hpp"

namespace sdla {
namespace {

AcceleratorConfig tiny() {
  AcceleratorConfig c = AcceleratorConfig::preset("small");
  c.atomic_c = 4;
  c.atomic_k = 2;
  return c;
}

MacPass dense_pass(const AcceleratorConfig& cfg, Precision p, unsigned vectors) {
  MacPass pass;
  pass.configure(cfg, p, WeightFormat::dense, vectors);
  pass.columns = cfg.atomic_k;
  pass.lanes_valid = pass.lanes;
  pass.vectors = vectors;
  return pass;
}

void set_weight(MacPass& p, unsigned k, unsigned i, std::int16_t v) {
  p.weight(k, i) = v;
  p.weight_zero[std::size_t(k) * p.lanes + i] = v == 0;
}

void set_act(MacPass& p, unsigned v, unsigned i, std::int16_t a) {
  p.act(v, i) = a;
  p.act_zero[std::size_t(v) * p.act_lanes + i] = a == 0;
}

TEST(MacDatapath, DenseInt8SumsAndActivity) {
  const auto cfg = tiny();
  MacDatapath dp(cfg);
  MacPass p = dense_pass(cfg, Precision::int8, 2);
  // Column 0: [1, 2, 0, -128]; column 1: [3, 0, 0, 5].
  const std::int16_t w[2][4] = {{1, 2, 0, -128}, {3, 0, 0, 5}};
  for (unsigned k = 0; k < 2; ++k)
    for (unsigned i = 0; i < 4; ++i) set_weight(p, k, i, w[k][i]);
  // Vector 0: [4, 0, 7, -128]; vector 1: [1, 1, 1, 1].
  const std::int16_t a[2][4] = {{4, 0, 7, -128}, {1, 1, 1, 1}};
  for (unsigned v = 0; v < 2; ++v)
    for (unsigned i = 0; i < 4; ++i) set_act(p, v, i, a[v][i]);
  dp.execute(p);
  ASSERT_EQ(p.status, MacStatus::ok);
  EXPECT_EQ(p.psum(0, 0), 4 + 16384);        // 1*4 + (-128)(-128)
  EXPECT_EQ(p.psum(0, 1), 12 - 640);         // 3*4 + 5*(-128)
  EXPECT_EQ(p.psum(1, 0), 1 + 2 - 128);
  EXPECT_EQ(p.psum(1, 1), 3 + 5);
  // 2 load cycles + 2 vectors; 8 multipliers.
  EXPECT_EQ(p.activity.cycles, 4u);
  EXPECT_EQ(p.activity.mac_idle, 2u * 8);
  // Vector 0: live acts at lanes 0,2,3; live weights per lane {2,1,0,2} -> 2+0+2 = 4 random.
  // Vector 1: all acts live -> 2+1+0+2 = 5 random.
  EXPECT_EQ(p.activity.mac_random, 9u);
  EXPECT_EQ(p.activity.mac_gated, 16u - 9u);
  // Weight registers from zero: popcounts of 1,2,0x80 and 3,5.
  EXPECT_EQ(p.activity.weight_toggles, 1u + 1 + 1 + 2 + 2);
  // Activation registers: 4 (1 bit), 7 (3), 0x80 (1); then 1 from 4 (2), lane1 0->1 (1), 1 from 7 (2), 1 from 0x80 (2).
  EXPECT_EQ(p.activity.act_toggles, 1u + 3 + 1 + 2 + 1 + 2 + 2);
}

TEST(MacDatapath, ZeroLinesHoldRegisters) {
  const auto cfg = tiny();
  MacDatapath dp(cfg);
  MacPass p = dense_pass(cfg, Precision::int8, 1);
  for (unsigned k = 0; k < 2; ++k)
    for (unsigned i = 0; i < 4; ++i) set_weight(p, k, i, 0x55);
  for (unsigned i = 0; i < 4; ++i) set_act(p, 0, i, 0x33);
  dp.execute(p);
  const auto first = p.activity;
  EXPECT_GT(first.act_toggles, 0u);
  // A run of zero-lined vectors with non-zero values behind the zero line: nothing toggles, nothing adds.
  MacPass q = dense_pass(cfg, Precision::int8, 50);
  for (unsigned k = 0; k < 2; ++k)
    for (unsigned i = 0; i < 4; ++i) set_weight(q, k, i, 0x55);
  for (unsigned v = 0; v < 50; ++v)
    for (unsigned i = 0; i < 4; ++i) {
      q.act(v, i) = std::int16_t(v * 3 + i + 1);
      q.act_zero[std::size_t(v) * q.act_lanes + i] = 1;
    }
  dp.execute(q);
  EXPECT_EQ(q.activity.act_toggles, 0u);
  EXPECT_EQ(q.activity.weight_toggles, 0u);  // same weights reloaded: no bit changes
  EXPECT_EQ(q.activity.mac_random, 0u);
  EXPECT_EQ(q.activity.mac_gated, 50u * 8);
  for (unsigned v = 0; v < 50; ++v) EXPECT_EQ(q.psum(v, 0), 0);
}

TEST(MacDatapath, Int16UsesHalfTheLanesAndWideSums) {
  const auto cfg = tiny();
  MacDatapath dp(cfg);
  MacPass p = dense_pass(cfg, Precision::int16, 1);
  ASSERT_EQ(p.lanes, 2u);
  set_weight(p, 0, 0, -32768); set_weight(p, 0, 1, -32768);
  set_weight(p, 1, 0, 32767);  set_weight(p, 1, 1, 1);
  set_act(p, 0, 0, -32768);    set_act(p, 0, 1, -32768);
  dp.execute(p);
  EXPECT_EQ(p.psum(0, 0), 2LL * 32768 * 32768);
  EXPECT_EQ(p.psum(0, 1), -32767LL * 32768 - 32768);
  EXPECT_EQ(p.activity.mac_random + p.activity.mac_gated + p.activity.mac_idle, p.activity.cycles * 4);
}

TEST(MacDatapath, PartialColumnsAndLanesAreIdle) {
  const auto cfg = tiny();
  MacDatapath dp(cfg);
  MacPass p = dense_pass(cfg, Precision::int8, 3);
  p.columns = 1;
  p.lanes_valid = 3;
  for (unsigned i = 0; i < 4; ++i) set_weight(p, 0, i, 2);
  for (unsigned v = 0; v < 3; ++v)
    for (unsigned i = 0; i < 4; ++i) set_act(p, v, i, 1);
  dp.execute(p);
  EXPECT_EQ(p.activity.cycles, 4u);
  EXPECT_EQ(p.activity.mac_random, 3u * 3);  // 3 vectors x 3 valid lanes x 1 column
  EXPECT_EQ(p.activity.mac_idle, 1u * 8 + 3u * 5);
  EXPECT_EQ(p.psum(0, 0), 6);  // lane 3 is not issued
}

TEST(MacDatapath, SparseTwoFourSelectsActivations) {
  const auto cfg = tiny();
  MacDatapath dp(cfg);
  MacPass p;
  p.configure(cfg, Precision::int8, WeightFormat::sparse_2_4, 1);
  p.columns = 1;
  p.lanes_valid = p.act_lanes;  // 8 activations feed 4 kept weights
  p.vectors = 1;
  // Group 0 keeps positions 1 and 3, group 1 keeps 0 and 2.
  const std::uint8_t idx[4] = {1, 3, 0, 2};
  const std::int16_t w[4] = {10, 20, 30, 40};
  for (unsigned i = 0; i < 4; ++i) {
    set_weight(p, 0, i, w[i]);
    p.weight_index[i] = idx[i];
  }
  for (unsigned i = 0; i < 8; ++i) set_act(p, 0, i, std::int16_t(i + 1));
  dp.execute(p);
  ASSERT_EQ(p.status, MacStatus::ok);
  EXPECT_EQ(p.psum(0, 0), 10 * 2 + 20 * 4 + 30 * 5 + 40 * 7);
  EXPECT_EQ(p.activity.mac_random, 4u);

  p.weight_index[2] = 2;  // idx0 == idx1: invalid
  dp.execute(p);
  EXPECT_EQ(p.status, MacStatus::bad_metadata);
}

TEST(MacDatapath, MalformedRequestIsRejected) {
  const auto cfg = tiny();
  MacDatapath dp(cfg);
  MacPass p = dense_pass(cfg, Precision::int8, 1);
  p.columns = 3;  // more than atomic_k
  dp.execute(p);
  EXPECT_EQ(p.status, MacStatus::bad_request);
}

}  // namespace
}  // namespace sdla

// The vectorized inner product computes the same integers as the portable
// one, on random int8 operands of every lane count the presets use and odd ones.
TEST(DotKernels, Avx2EqualsPortable) {
  if (!sdla::dot_columns_avx2_available()) GTEST_SKIP() << "this CPU has no AVX2";
  std::mt19937_64 rng(sdla::test::seed(77));
  std::uniform_int_distribution<int> value(-128, 127);
  for (unsigned lanes : {1u, 7u, 8u, 32u, 64u, 65u, 128u})
    for (unsigned columns : {1u, 8u, 32u}) {
      std::vector<std::int16_t> w(std::size_t(lanes) * columns), a(lanes);
      for (auto& x : w) x = std::int16_t(value(rng));
      for (auto& x : a) x = std::int16_t(value(rng));
      if (lanes == 64) std::fill(w.begin(), w.end(), -128), std::fill(a.begin(), a.end(), -128);  // the extreme
      std::vector<std::int64_t> portable(columns), avx2(columns, -1), reference(columns, 0);
      sdla::dot_columns_portable(w.data(), a.data(), lanes, columns, portable.data());
      sdla::dot_columns_avx2(w.data(), a.data(), lanes, columns, avx2.data());
      for (unsigned k = 0; k < columns; ++k)
        for (unsigned i = 0; i < lanes; ++i) reference[k] += std::int64_t(w[std::size_t(k) * lanes + i]) * a[i];
      EXPECT_EQ(portable, reference) << lanes << " lanes";
      EXPECT_EQ(avx2, reference) << lanes << " lanes";
    }
}
