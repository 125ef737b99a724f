// RTL core (verilated rtl/sdla_mac_array.sv) <-> C++ datapath model
// (models/mac_datapath.cpp) <-> golden dot product, pass by pass: partial sums
// and every MacActivity field must be equal, with operand-register state
// carried across passes. Seeds: "seed N" is printed; SDLA_SEED=N replays.
#include <gtest/gtest.h>

#include <string>

#include "mac_datapath.hpp"
#include "rtl_mac_core.hpp"
#include "rtl_test_util.hpp"
#include "verilated_presets.hpp"

namespace sdla {
namespace {

using test::PassGen;

/// The RTL core and the model side by side, fed the same passes.
struct Pair {
  explicit Pair(const AcceleratorConfig& c) : cfg(c), rtl(c), model(c) {}

  /// Runs `p` through both; compares status, activity, psums (and the golden
  /// dot product when the pass is accepted).
  ::testing::AssertionResult run(const MacPass& p) {
    rtl_pass = p;
    model_pass = p;
    rtl.execute(rtl_pass, time_ps);
    model.execute(model_pass);
    time_ps += (rtl_pass.activity.cycles + 1) * 1000;
    if (rtl_pass.status != model_pass.status)
      return ::testing::AssertionFailure() << "status: rtl " << int(rtl_pass.status) << ", model "
                                           << int(model_pass.status);
    if (rtl_pass.activity != model_pass.activity)
      return ::testing::AssertionFailure() << "activity: rtl " << test::to_string(rtl_pass.activity)
                                           << ", model " << test::to_string(model_pass.activity);
    if (rtl_pass.status != MacStatus::ok) return ::testing::AssertionSuccess();
    const auto golden = test::golden_psums(p);
    for (unsigned v = 0; v < p.vectors; ++v)
      for (unsigned k = 0; k < p.atomic_k; ++k) {
        const std::size_t at = std::size_t(v) * p.atomic_k + k;
        if (rtl_pass.psums[at] != model_pass.psums[at] || rtl_pass.psums[at] != golden[at])
          return ::testing::AssertionFailure() << "psum of vector " << v << " column " << k << ": rtl "
                                               << rtl_pass.psums[at] << ", model " << model_pass.psums[at]
                                               << ", golden " << golden[at];
      }
    return ::testing::AssertionSuccess();
  }

  std::string describe(const MacPass& p) const {
    return std::string(to_string(p.precision)) + (p.format == WeightFormat::dense ? " dense" : " 2:4") +
           ", columns " + std::to_string(p.columns) + ", lanes_valid " + std::to_string(p.lanes_valid) +
           ", vectors " + std::to_string(p.vectors);
  }

  AcceleratorConfig cfg;
  RtlMacCore rtl;
  MacDatapath model;
  MacPass rtl_pass, model_pass;
  std::uint64_t time_ps = 0;
};

::testing::AssertionResult drain_is_quiet(const RtlMacCore& core) {
  const MacActivity& d = core.drain_activity();
  if (d.mac_random || d.mac_gated || d.act_toggles || d.weight_toggles)
    return ::testing::AssertionFailure() << "drain cycles showed activity " << test::to_string(d);
  return ::testing::AssertionSuccess();
}

/// A per-test random stream derived from the printed seed.
std::uint64_t stream_seed(const std::string& salt) {
  return test::test_seed() ^ std::hash<std::string>{}(salt);
}

// ------------------------------------------------------------- random passes
struct Mode {
  const char* preset;
  Precision precision;
  WeightFormat format;
};

std::string mode_name(const ::testing::TestParamInfo<Mode>& info) {
  return std::string(info.param.preset) + "_" + to_string(info.param.precision) +
         (info.param.format == WeightFormat::dense ? "_dense" : "_2of4");
}

class RtlVsModel : public ::testing::TestWithParam<Mode> {};

TEST_P(RtlVsModel, RandomPassesAgreeWithModelAndGolden) {
  const Mode mode = GetParam();
  SKIP_UNLESS_VERILATED(mode.preset);
  const auto cfg = AcceleratorConfig::preset(mode.preset);
  PassGen gen(stream_seed(mode_name({mode, 0})));
  Pair pair(cfg);
  MacPass p;
  std::uint64_t vectors = 0, passes = 0, cycles = 0;
  constexpr std::uint64_t kMinVectors = 100000;
  while (vectors < kMinVectors) {
    gen.random_pass(p, cfg, mode.precision, mode.format, 64);
    ASSERT_TRUE(pair.run(p)) << "pass " << passes << " (" << pair.describe(p) << "), seed " << test::test_seed();
    ASSERT_EQ(pair.rtl_pass.status, MacStatus::ok);
    vectors += p.vectors;
    cycles += pair.rtl_pass.activity.cycles;
    ++passes;
  }
  EXPECT_TRUE(drain_is_quiet(pair.rtl));
  std::printf("%llu vectors in %llu passes, %llu array cycles\n", (unsigned long long)vectors,
              (unsigned long long)passes, (unsigned long long)cycles);
}

INSTANTIATE_TEST_SUITE_P(
    Presets, RtlVsModel,
    ::testing::Values(Mode{"small", Precision::int8, WeightFormat::dense},
                      Mode{"small", Precision::int16, WeightFormat::dense},
                      Mode{"small", Precision::int8, WeightFormat::sparse_2_4},
                      Mode{"small", Precision::int16, WeightFormat::sparse_2_4},
                      Mode{"full", Precision::int8, WeightFormat::dense},
                      Mode{"full", Precision::int16, WeightFormat::dense},
                      Mode{"full", Precision::int8, WeightFormat::sparse_2_4},
                      Mode{"full", Precision::int16, WeightFormat::sparse_2_4}),
    mode_name);

// ------------------------------------------------------------ per preset
class RtlEdges : public ::testing::TestWithParam<const char*> {
 protected:
  void SetUp() override { SKIP_UNLESS_VERILATED(GetParam()); }

  AcceleratorConfig cfg = AcceleratorConfig::preset(GetParam());
  PassGen gen{stream_seed(std::string("edges_") + GetParam() + ::testing::UnitTest::GetInstance()->current_test_info()->name())};

  /// A full pass (all columns, all lanes) of constant values, no zero lines.
  MacPass constant_pass(Precision pr, WeightFormat f, std::int16_t w, std::int16_t a, unsigned vectors) {
    MacPass p;
    p.configure(cfg, pr, f, vectors);
    test::set_shape(p, p.atomic_k, f == WeightFormat::dense ? p.lanes : p.act_lanes, vectors);
    for (auto& x : p.weights) x = w;
    for (auto& z : p.weight_zero) z = 0;
    for (std::size_t i = 0; i + 1 < p.weight_index.size(); i += 2) {
      p.weight_index[i] = 0;
      p.weight_index[i + 1] = 3;
    }
    for (auto& x : p.acts) x = a;
    for (auto& z : p.act_zero) z = 0;
    return p;
  }
};

TEST_P(RtlEdges, MixedModesCarryRegisterState) {
  Pair pair(cfg);
  MacPass p;
  std::uint64_t vectors = 0;
  for (unsigned n = 0; vectors < 20000; ++n) {
    const auto pr = gen.chance(0.5) ? Precision::int8 : Precision::int16;
    const auto f = gen.chance(0.5) ? WeightFormat::dense : WeightFormat::sparse_2_4;
    gen.random_pass(p, cfg, pr, f, 32);
    ASSERT_TRUE(pair.run(p)) << "pass " << n << " (" << pair.describe(p) << "), seed " << test::test_seed();
    vectors += p.vectors;
  }
  EXPECT_TRUE(drain_is_quiet(pair.rtl));
}

TEST_P(RtlEdges, AllZero) {
  Pair pair(cfg);
  for (auto pr : {Precision::int8, Precision::int16})
    for (auto f : {WeightFormat::dense, WeightFormat::sparse_2_4}) {
      MacPass p = constant_pass(pr, f, 0, 0, 8);  // zero values, zero lines clear: every multiplier random
      ASSERT_TRUE(pair.run(p)) << pair.describe(p);
      for (unsigned i = 0; i < p.vectors * p.atomic_k; ++i) ASSERT_EQ(pair.rtl_pass.psums[i], 0);
      EXPECT_EQ(pair.rtl_pass.activity.mac_random, std::uint64_t(p.atomic_k) * p.lanes * p.vectors);
      for (auto& z : p.act_zero) z = 1;  // every zero line set: every multiplier gated
      for (auto& z : p.weight_zero) z = 1;
      ASSERT_TRUE(pair.run(p)) << pair.describe(p);
      EXPECT_EQ(pair.rtl_pass.activity.mac_gated, std::uint64_t(p.atomic_k) * p.lanes * p.vectors);
      EXPECT_EQ(pair.rtl_pass.activity.act_toggles + pair.rtl_pass.activity.weight_toggles, 0u);
    }
}

TEST_P(RtlEdges, Extremes) {
  Pair pair(cfg);
  struct Case {
    Precision pr;
    std::int16_t w, a;
  };
  const Case cases[] = {{Precision::int8, -128, -128},     {Precision::int8, 127, 127},
                        {Precision::int8, -128, 127},      {Precision::int8, 127, -128},
                        {Precision::int16, -32768, -32768}, {Precision::int16, 32767, 32767},
                        {Precision::int16, -32768, 32767}, {Precision::int16, 32767, -32768}};
  for (const Case& c : cases)
    for (auto f : {WeightFormat::dense, WeightFormat::sparse_2_4}) {
      MacPass p = constant_pass(c.pr, f, c.w, c.a, 4);
      ASSERT_TRUE(pair.run(p)) << pair.describe(p) << ", w " << c.w << ", a " << c.a;
      const std::int64_t expect = std::int64_t(p.lanes) * c.w * c.a;  // every multiplier adds w * a
      for (unsigned i = 0; i < p.vectors * p.atomic_k; ++i)
        ASSERT_EQ(pair.rtl_pass.psums[i], expect) << pair.describe(p) << ", w " << c.w << ", a " << c.a;
    }
}

TEST_P(RtlEdges, EveryLegal24IndexPair) {
  Pair pair(cfg);
  static const std::uint8_t pairs[6][2] = {{0, 1}, {0, 2}, {0, 3}, {1, 2}, {1, 3}, {2, 3}};
  for (auto pr : {Precision::int8, Precision::int16})
    for (unsigned n = 0; n <= 6; ++n) {  // n < 6: one pair everywhere; n == 6: groups cycle through all six
      MacPass p;
      gen.random_pass(p, cfg, pr, WeightFormat::sparse_2_4, 16);
      test::set_shape(p, p.atomic_k, p.act_lanes, 16);
      gen.sanitize(p);
      for (auto& z : p.weight_zero) z = 0;
      for (unsigned v = 0; v < p.vectors; ++v)
        for (unsigned l = 0; l < p.act_lanes; ++l) {
          p.act_zero[v * p.act_lanes + l] = 0;
          p.acts[v * p.act_lanes + l] = std::int16_t(int((37 * l + 11 * v) % 251) - 125);  // distinct in a group: a wrong select shows
        }
      for (std::size_t i = 0; i + 1 < p.weight_index.size(); i += 2) {
        const unsigned pick = n < 6 ? n : unsigned((i / 2) % 6);
        p.weight_index[i] = pairs[pick][0];
        p.weight_index[i + 1] = pairs[pick][1];
      }
      ASSERT_TRUE(pair.run(p)) << pair.describe(p) << ", pair pattern " << n;
      EXPECT_EQ(pair.rtl_pass.activity.mac_random, std::uint64_t(p.atomic_k) * p.lanes * p.vectors);
    }
}

TEST_P(RtlEdges, InvalidMetadataRejectedByBothWithoutStateChange) {
  Pair pair(cfg);
  MacPass p;
  gen.random_pass(p, cfg, Precision::int8, WeightFormat::sparse_2_4, 16);  // some state first
  ASSERT_TRUE(pair.run(p));
  std::vector<std::pair<unsigned, unsigned>> bad;
  for (unsigned a = 0; a < 4; ++a)
    for (unsigned b = 0; b <= a; ++b) bad.emplace_back(a, b);  // idx0 >= idx1: equal or reversed
  bad.emplace_back(0, 4);                                       // an index that does not fit 2 bits
  bad.emplace_back(200, 1);
  for (auto pr : {Precision::int8, Precision::int16})
    for (auto [i0, i1] : bad) {
      gen.random_pass(p, cfg, pr, WeightFormat::sparse_2_4, 8);
      test::set_shape(p, 1 + gen.uniform(0, p.atomic_k - 1), p.lanes_valid, p.vectors);
      gen.sanitize(p);
      const unsigned k = gen.uniform(0, p.columns - 1);
      const unsigned g = gen.uniform(0, p.lanes / 2 - 1);
      p.weight_index[k * p.lanes + 2 * g] = std::uint8_t(i0);
      p.weight_index[k * p.lanes + 2 * g + 1] = std::uint8_t(i1);
      const auto before = pair.rtl.operand_registers();
      ASSERT_TRUE(pair.run(p)) << "metadata (" << i0 << ", " << i1 << ") in column " << k << ", pair " << g;
      EXPECT_EQ(pair.rtl_pass.status, MacStatus::bad_metadata);
      EXPECT_EQ(pair.rtl_pass.activity, MacActivity{});
      const auto after = pair.rtl.operand_registers();
      EXPECT_EQ(before.act, after.act);
      EXPECT_EQ(before.weight, after.weight);
      // The same metadata in a column outside the pass is never looked at.
      if (p.columns < p.atomic_k) {
        const unsigned outside = p.columns + gen.uniform(0, p.atomic_k - p.columns - 1);
        gen.legal_pair(p.weight_index[k * p.lanes + 2 * g], p.weight_index[k * p.lanes + 2 * g + 1]);
        p.weight_index[outside * p.lanes + 2 * g] = std::uint8_t(i0);
        p.weight_index[outside * p.lanes + 2 * g + 1] = std::uint8_t(i1);
        ASSERT_TRUE(pair.run(p));
        EXPECT_EQ(pair.rtl_pass.status, MacStatus::ok);
      }
      gen.random_pass(p, cfg, pr, WeightFormat::sparse_2_4, 8);  // state still equal in both
      ASSERT_TRUE(pair.run(p));
    }
  // Dense passes ignore the index bytes altogether.
  gen.random_pass(p, cfg, Precision::int8, WeightFormat::dense, 8);
  for (auto& idx : p.weight_index) idx = 0;
  ASSERT_TRUE(pair.run(p));
  EXPECT_EQ(pair.rtl_pass.status, MacStatus::ok);
}

TEST_P(RtlEdges, ZeroLinesHoldTheRegisters) {
  for (auto pr : {Precision::int8, Precision::int16}) {
    Pair pair(cfg);
    MacPass p = constant_pass(pr, WeightFormat::dense, 0, 0, 16);
    for (auto& w : p.weights) w = gen.value(pr) | 1;  // non-zero: the registers hold something
    for (auto& a : p.acts) a = gen.value(pr) | 1;
    ASSERT_TRUE(pair.run(p));
    const auto loaded = pair.rtl.operand_registers();

    // A run of vectors with every activation zero line set, the same weights
    // reloaded: nothing toggles, nothing changes, every multiplier gated.
    MacPass q = p;
    for (auto& a : q.acts) a = gen.value(pr) ^ 0x5a;
    for (auto& z : q.act_zero) z = 1;
    ASSERT_TRUE(pair.run(q));
    EXPECT_EQ(pair.rtl_pass.activity.act_toggles, 0u);
    EXPECT_EQ(pair.rtl_pass.activity.weight_toggles, 0u);
    EXPECT_EQ(pair.rtl_pass.activity.mac_random, 0u);
    EXPECT_EQ(pair.rtl_pass.activity.mac_gated, std::uint64_t(q.atomic_k) * q.lanes * q.vectors);
    EXPECT_EQ(pair.rtl.operand_registers().act, loaded.act);
    EXPECT_EQ(pair.rtl.operand_registers().weight, loaded.weight);
    for (unsigned i = 0; i < q.vectors * q.atomic_k; ++i) ASSERT_EQ(pair.rtl_pass.psums[i], 0);

    // New weight values behind set weight zero lines: the weight registers hold.
    MacPass r = p;
    for (auto& w : r.weights) w = gen.value(pr) ^ 0x33;
    for (auto& z : r.weight_zero) z = 1;
    ASSERT_TRUE(pair.run(r));
    EXPECT_EQ(pair.rtl_pass.activity.weight_toggles, 0u);
    EXPECT_EQ(pair.rtl_pass.activity.mac_random, 0u);
    EXPECT_EQ(pair.rtl.operand_registers().weight, loaded.weight);
    for (unsigned i = 0; i < r.vectors * r.atomic_k; ++i) ASSERT_EQ(pair.rtl_pass.psums[i], 0);
    EXPECT_TRUE(drain_is_quiet(pair.rtl));
  }
}

TEST_P(RtlEdges, BadRequests) {
  Pair pair(cfg);
  MacPass p;
  gen.random_pass(p, cfg, Precision::int8, WeightFormat::dense, 8);
  ASSERT_TRUE(pair.run(p));
  const auto before = pair.rtl.operand_registers();

  MacPass q = p;
  q.lanes_valid = q.lanes + 1;  // dense passes use `lanes` activation lanes at most
  ASSERT_TRUE(pair.run(q));
  EXPECT_EQ(pair.rtl_pass.status, MacStatus::bad_request);

  q = p;
  q.columns = q.atomic_k + 1;
  ASSERT_TRUE(pair.run(q));
  EXPECT_EQ(pair.rtl_pass.status, MacStatus::bad_request);

  auto other = cfg;
  other.atomic_k = cfg.atomic_k * 2;  // a pass sized for another array
  gen.random_pass(q, other, Precision::int8, WeightFormat::dense, 4);
  ASSERT_TRUE(pair.run(q));
  EXPECT_EQ(pair.rtl_pass.status, MacStatus::bad_request);
  EXPECT_EQ(pair.rtl.operand_registers().weight, before.weight);
  EXPECT_EQ(pair.rtl.operand_registers().act, before.act);
}

// An int8 lane is one byte wide on the RTL's ports: a live int8 value outside
// [-128, 127] cannot be driven, so the core rejects the pass, as the C++
// model does (MacPass::well_formed, checked by rtl/mac_array_ports.cpp).
TEST_P(RtlEdges, Int8ValueOutOfRangeIsABadRequestForTheRtl) {
  RtlMacCore core(cfg);
  MacPass p = constant_pass(Precision::int8, WeightFormat::dense, 1, 1, 2);
  p.acts[1] = 200;
  core.execute(p, 0);
  EXPECT_EQ(p.status, MacStatus::bad_request);
  p.acts[1] = 1;
  p.weights[0] = -129;
  core.execute(p, 0);
  EXPECT_EQ(p.status, MacStatus::bad_request);
  p.weight_zero[0] = 1;  // never reaches a register: fine
  core.execute(p, 0);
  EXPECT_EQ(p.status, MacStatus::ok);
}

TEST_P(RtlEdges, ResetClearsBothAlike) {
  Pair pair(cfg);
  MacPass p;
  for (int n = 0; n < 5; ++n) {
    gen.random_pass(p, cfg, Precision::int16, WeightFormat::sparse_2_4, 8);
    ASSERT_TRUE(pair.run(p));
  }
  pair.rtl.reset();
  pair.model.reset();
  const auto regs = pair.rtl.operand_registers();
  for (auto b : regs.act) ASSERT_EQ(b, 0);
  for (auto b : regs.weight) ASSERT_EQ(b, 0);
  for (int n = 0; n < 5; ++n) {
    gen.random_pass(p, cfg, Precision::int8, WeightFormat::dense, 8);
    ASSERT_TRUE(pair.run(p));
  }
}

TEST_P(RtlEdges, CyclesAndLatency) {
  RtlMacCore core(cfg);
  EXPECT_EQ(core.latency(), 3u);
  const std::uint64_t start = core.clocked_cycles();  // the reset at construction
  MacPass p;
  std::uint64_t expect = 0;
  for (int n = 0; n < 20; ++n) {
    gen.random_pass(p, cfg, Precision::int8, WeightFormat::dense, 8);
    core.execute(p, 0);
    ASSERT_EQ(p.status, MacStatus::ok);
    EXPECT_EQ(p.activity.cycles, std::uint64_t(p.columns) + p.vectors);
    EXPECT_EQ(p.activity.mac_random + p.activity.mac_gated + p.activity.mac_idle,
              p.activity.cycles * p.atomic_k * p.lanes);
    expect += p.activity.cycles + (p.vectors ? core.latency() : 0);
  }
  EXPECT_EQ(core.clocked_cycles() - start, expect);
}

INSTANTIATE_TEST_SUITE_P(Presets, RtlEdges, ::testing::Values("small", "full"),
                         [](const ::testing::TestParamInfo<const char*>& i) { return std::string(i.param); });

TEST(RtlMacCore, UnknownShapeIsAClearError) {
  auto cfg = AcceleratorConfig::preset("small");
  cfg.name = "odd";
  cfg.atomic_c = 6;
  cfg.atomic_k = 5;
  try {
    RtlMacCore core(cfg);
    FAIL() << "no model 6x5 was built";
  } catch (const std::runtime_error& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find("atomic_c 6 x atomic_k 5"), std::string::npos) << what;
    EXPECT_NE(what.find("small 8x8"), std::string::npos) << what;
  }
  EXPECT_FALSE(RtlMacCore::built_models().empty());
}

}  // namespace
}  // namespace sdla
