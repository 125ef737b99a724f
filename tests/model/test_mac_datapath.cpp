// The C++ datapath model on hand-computed passes: partial sums, the activity
// definitions of mac_pass.hpp, operand isolation and 2:4 selection.
#include <gtest/gtest.h>

#include <algorithm>
#include <functional>
#include <string>
#include <random>
#include <vector>

#include "seed.hpp"

#include "mac_datapath.hpp"

namespace sdla {

void PrintTo(const MacActivity& a, std::ostream* os) {
  *os << "{cycles " << a.cycles << ", random " << a.mac_random << ", gated " << a.mac_gated << ", idle "
      << a.mac_idle << ", act toggles " << a.act_toggles << ", weight toggles " << a.weight_toggles << "}";
}

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

namespace {

/// A random pass for `cfg`: random values (every `extreme` one the most
/// negative), random zero lines at a random rate, valid 2:4 indices, and
/// random valid columns and lanes (mostly all). Gated activations carry
/// junk that must not reach a register or a sum.
sdla::MacPass random_pass(std::mt19937_64& rng, const sdla::AcceleratorConfig& cfg, sdla::Precision precision,
                          sdla::WeightFormat format, unsigned vectors, bool extreme) {
  auto pick = [&](unsigned lo, unsigned hi) { return std::uniform_int_distribution<unsigned>(lo, hi)(rng); };
  const std::int32_t lo = precision == sdla::Precision::int8 ? -128 : -32768, hi = -lo - 1;
  const unsigned zero_pct = pick(0, 100);
  sdla::MacPass p;
  p.configure(cfg, precision, format, vectors);
  p.columns = pick(0, 3) ? cfg.atomic_k : pick(0, cfg.atomic_k);
  const unsigned bus = format == sdla::WeightFormat::dense ? p.lanes : p.act_lanes;
  p.lanes_valid = pick(0, 3) ? bus : pick(0, bus);
  p.vectors = vectors;
  auto value = [&] { return std::int16_t(extreme ? lo : std::int32_t(pick(0, unsigned(hi - lo))) + lo); };
  for (std::size_t i = 0; i < p.weights.size(); ++i) {
    p.weights[i] = value();
    p.weight_zero[i] = pick(0, 99) < zero_pct || p.weights[i] == 0;
  }
  for (std::size_t i = 0; i + 1 < p.weight_index.size(); i += 2) {
    const unsigned a = pick(0, 2), b = pick(a + 1, 3);
    p.weight_index[i] = std::uint8_t(a);
    p.weight_index[i + 1] = std::uint8_t(b);
  }
  for (std::size_t i = 0; i < std::size_t(p.vectors) * p.act_lanes; ++i) {
    p.acts[i] = value();
    p.act_zero[i] = pick(0, 99) < zero_pct;
    if (p.act_zero[i] && pick(0, 1)) p.acts[i] = std::int16_t(pick(0, 65535));
  }
  return p;
}

/// Runs `request` through both datapaths: the same status, sums and activity.
void expect_same(sdla::MacDatapath& simd, sdla::MacDatapath& portable, const sdla::MacPass& request,
                 const std::string& what) {
  sdla::MacPass p = request, q = request;
  std::fill(q.psums.begin(), q.psums.end(), -1);
  simd.execute(p);
  portable.execute(q);
  ASSERT_EQ(p.status, q.status) << what;
  if (p.status == sdla::MacStatus::ok) {
    ASSERT_TRUE(std::equal(p.psums.begin(), p.psums.begin() + std::ptrdiff_t(p.vectors) * p.atomic_k,
                           q.psums.begin()))
        << what;
  }
  ASSERT_EQ(p.activity, q.activity) << what;
}

const char* name(sdla::Precision p) { return p == sdla::Precision::int8 ? "int8" : "int16"; }
const char* name(sdla::WeightFormat f) { return f == sdla::WeightFormat::dense ? "dense" : "2:4"; }

}  // namespace

// The SIMD stream kernel computes the same sums and counters as the portable
// loops: random passes of every precision and weight format, random zero
// lines, valid lanes and columns, odd vector counts, and the extreme values,
// run as one sequence so register state carries from pass to pass.
TEST(StreamKernels, SimdEqualsPortable) {
  if (!sdla::stream_avx2_available()) GTEST_SKIP() << "this CPU has no AVX2";
  std::mt19937_64 rng(sdla::test::seed(77));
  for (const char* preset : {"full", "small"}) {
    const auto cfg = sdla::AcceleratorConfig::preset(preset);
    sdla::MacDatapath simd(cfg), portable(cfg, sdla::DatapathKernels::portable);
    unsigned simd_passes = 0;
    for (unsigned n = 0; n < 400; ++n) {
      const auto precision = n % 2 ? sdla::Precision::int16 : sdla::Precision::int8;
      const auto format = n % 4 < 2 ? sdla::WeightFormat::dense : sdla::WeightFormat::sparse_2_4;
      const unsigned vectors = std::uniform_int_distribution<unsigned>(0, 40)(rng);
      const sdla::MacPass p = random_pass(rng, cfg, precision, format, vectors, n % 13 == 0);
      ASSERT_NO_FATAL_FAILURE(expect_same(simd, portable, p, std::string(preset) + " pass " + std::to_string(n)));
      simd_passes += sdla::stream_kernel_fits(p);
    }
    if (std::string(preset) == "full") {
      EXPECT_GT(simd_passes, 300u) << "the kernel must cover the full preset";
    }
  }
}

// Every vector count on both sides of the SIMD path's choice of product
// kernel (per-column rows for few vectors, lane-pair interleaved for more),
// in every precision and format, with partial columns and lanes.
TEST(StreamKernels, SimdEqualsPortableForEveryKernelChoice) {
  if (!sdla::stream_avx2_available()) GTEST_SKIP() << "this CPU has no AVX2";
  std::mt19937_64 rng(sdla::test::seed(78));
  const auto cfg = sdla::AcceleratorConfig::preset("full");
  sdla::MacDatapath simd(cfg), portable(cfg, sdla::DatapathKernels::portable);
  for (unsigned round = 0; round < 6; ++round)
    for (auto precision : {sdla::Precision::int8, sdla::Precision::int16})
      for (auto format : {sdla::WeightFormat::dense, sdla::WeightFormat::sparse_2_4})
        for (unsigned vectors : {0u, 1u, 2u, 3u, 4u, 5u, 6u, 8u, 9u, 10u, 17u}) {
          const sdla::MacPass p = random_pass(rng, cfg, precision, format, vectors, round == 5);
          ASSERT_TRUE(sdla::stream_kernel_fits(p));
          ASSERT_NO_FATAL_FAILURE(expect_same(simd, portable, p,
                                              std::string(name(precision)) + " " + name(format) + " " +
                                                  std::to_string(vectors) + " vectors, round " +
                                                  std::to_string(round)));
        }
}

// A rejected pass changes nothing, on either path: its psums are not
// written, its activity is zero, and the next pass toggles exactly as if it
// had never been sent. Out-of-range int8 values are rejected only where they
// would reach a register; bad values outrank bad 2:4 metadata.
TEST(StreamKernels, RejectedPassesChangeNothing) {
  std::mt19937_64 rng(sdla::test::seed(79));
  const auto cfg = sdla::AcceleratorConfig::preset("full");
  for (auto kernels : {sdla::DatapathKernels::fastest, sdla::DatapathKernels::portable})
    for (auto format : {sdla::WeightFormat::dense, sdla::WeightFormat::sparse_2_4})
      for (unsigned vectors : {1u, 12u}) {
        const std::string what = std::string(kernels == sdla::DatapathKernels::portable ? "portable " : "simd ") +
                                 name(format) + " " + std::to_string(vectors) + " vectors";
        sdla::MacDatapath dp(cfg, kernels), clean(cfg, kernels);
        sdla::MacPass first = random_pass(rng, cfg, sdla::Precision::int8, format, vectors, false);
        first.columns = cfg.atomic_k - 1;
        first.lanes_valid = (format == sdla::WeightFormat::dense ? first.lanes : first.act_lanes) - 3;
        const unsigned live_w = first.lanes + 5, live_a = 2;  // column 1, lane 5; vector 0, lane 2
        first.weight_zero[live_w] = first.act_zero[live_a] = 0;
        first.weights[live_w] = first.acts[live_a] = 3;  // a gated activation may have held junk
        sdla::MacPass a = first, b = first;
        dp.execute(a);
        clean.execute(b);
        ASSERT_EQ(a.status, sdla::MacStatus::ok) << what;

        struct Case {
          const char* name;
          sdla::MacStatus status;
          std::function<void(sdla::MacPass&)> spoil;
        };
        const std::vector<Case> cases = {
            {"live weight 128", sdla::MacStatus::bad_request, [&](sdla::MacPass& p) { p.weights[live_w] = 128; }},
            {"live weight -129 in the last valid column", sdla::MacStatus::bad_request,
             [&](sdla::MacPass& p) {
               const std::size_t at = std::size_t(p.columns - 1) * p.lanes + p.lanes - 1;
               p.weights[at] = -129;
               p.weight_zero[at] = 0;
             }},
            {"live activation 200", sdla::MacStatus::bad_request, [&](sdla::MacPass& p) { p.acts[live_a] = 200; }},
            {"live activation -300 in the last vector's last valid lane", sdla::MacStatus::bad_request,
             [&](sdla::MacPass& p) {
               const std::size_t at = std::size_t(p.vectors - 1) * p.act_lanes + p.lanes_valid - 1;
               p.acts[at] = -300;
               p.act_zero[at] = 0;
             }},
            {"gated, invalid-column and invalid-lane junk", sdla::MacStatus::ok,
             [&](sdla::MacPass& p) {
               p.weights[live_w] = 1000;
               p.weight_zero[live_w] = 1;
               p.weights[std::size_t(p.columns) * p.lanes] = 4000;  // column `columns` is not valid
               p.weight_zero[std::size_t(p.columns) * p.lanes] = 0;
               p.acts[p.lanes_valid] = -5000;  // lane `lanes_valid` is not valid
               p.act_zero[p.lanes_valid] = 0;
             }},
        };
        std::vector<Case> all = cases;
        if (format == sdla::WeightFormat::sparse_2_4) {
          all.push_back({"indices out of order", sdla::MacStatus::bad_metadata,
                         [&](sdla::MacPass& p) { p.weight_index[std::size_t(p.columns - 1) * p.lanes + 4] = 3; }});
          all.push_back({"index above 3 and a bad value", sdla::MacStatus::bad_request, [&](sdla::MacPass& p) {
                           p.weight_index[1] = 4;
                           p.acts[live_a] = 128;
                         }});
        }
        for (const Case& c : all) {
          sdla::MacPass bad = random_pass(rng, cfg, sdla::Precision::int8, format, vectors, false);
          bad.columns = first.columns;
          bad.lanes_valid = first.lanes_valid;
          bad.weights = first.weights;  // the spoilers' positions are live in `first`
          bad.weight_zero = first.weight_zero;
          bad.acts = first.acts;
          bad.act_zero = first.act_zero;
          c.spoil(bad);
          std::fill(bad.psums.begin(), bad.psums.end(), 7);
          const sdla::MacPass sent = bad;
          dp.execute(bad);
          ASSERT_EQ(bad.status, c.status) << what << ": " << c.name;
          if (c.status != sdla::MacStatus::ok) {
            EXPECT_EQ(bad.activity, sdla::MacActivity{}) << what << ": " << c.name;
            EXPECT_EQ(bad.psums, sent.psums) << what << ": " << c.name;
          } else {
            clean.execute(b = sent);
          }
          // The next pass sees the registers as the clean datapath left them.
          sdla::MacPass next = random_pass(rng, cfg, sdla::Precision::int8, format, vectors, false), other = next;
          dp.execute(next);
          clean.execute(other);
          ASSERT_EQ(next.status, sdla::MacStatus::ok) << what << ": " << c.name;
          ASSERT_EQ(next.activity, other.activity) << what << ": after " << c.name;
        }
      }
}
