// Waves of the RTL core: VCD timestamps on the simulated time line, the cycle
// window, trace depth, the GTKWave save file, files that are complete
// whatever happens to the core, and FST holding what the VCD holds.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>

#include <unistd.h>

#include "rtl_mac_core.hpp"
#include "rtl_test_util.hpp"
#include "verilated_presets.hpp"

namespace sdla {
namespace {

namespace fs = std::filesystem;
using test::PassGen;

fs::path wave_dir() { return fs::path(::testing::TempDir()) / ("sdla_rtl_waves_" + std::to_string(::getpid())); }

std::string wave_path(const std::string& name) {
  fs::create_directories(wave_dir());
  return (wave_dir() / name).string();
}

/// Removes this process's wave files after a passing test (kept on failure).
class RtlWaves : public ::testing::Test {
 protected:
  void TearDown() override {
    std::error_code ec;
    if (!HasFailure()) fs::remove_all(wave_dir(), ec);
  }
};

std::string gtkw_of(const std::string& vcd) { return fs::path(vcd).replace_extension(".gtkw").string(); }

MacPass dense_pass(const AcceleratorConfig& cfg, PassGen& gen, unsigned vectors) {
  MacPass p;
  gen.random_pass(p, cfg, Precision::int8, WeightFormat::dense, vectors);
  test::set_shape(p, p.atomic_k, p.lanes, vectors);
  gen.sanitize(p);
  return p;
}

bool strictly_increasing(const std::vector<std::uint64_t>& t) {
  return std::adjacent_find(t.begin(), t.end(), [](auto a, auto b) { return b <= a; }) == t.end();
}

TEST_F(RtlWaves, TimestampsFollowSimulatedTimeAndTheSaveFileMatches) {
  const auto cfg = AcceleratorConfig::preset("small");  // 1 GHz: 1000 ps per cycle
  PassGen gen(test::test_seed());
  const std::string vcd = wave_path("timeline.vcd");
  RtlTraceOptions opt;
  opt.path = vcd;
  const std::uint64_t s0 = 1'000'000;
  std::uint64_t s1 = 0, s2 = 0, end = 0;
  {
    RtlMacCore core(cfg, opt);
    MacPass p = dense_pass(cfg, gen, 10);
    core.execute(p, s0);
    s1 = s0 + p.activity.cycles * 1000;  // back to back: overlaps pass 0's drain
    MacPass q = dense_pass(cfg, gen, 10);
    core.execute(q, s1);
    s2 = s1 + q.activity.cycles * 1000 + 50'000;  // after a gap
    MacPass r = dense_pass(cfg, gen, 10);
    core.execute(r, s2);
    end = s2 + (r.activity.cycles + core.latency()) * 1000;
  }
  const test::Vcd v = test::read_vcd(vcd);
  EXPECT_EQ(v.timescale, "1ps");
  ASSERT_FALSE(v.times.empty());
  EXPECT_TRUE(strictly_increasing(v.times));
  EXPECT_EQ(v.times.front(), s0);  // cycle 0: inputs at the pass start
  EXPECT_LT(v.times.back(), end);
  auto has = [&](std::uint64_t t) { return std::find(v.times.begin(), v.times.end(), t) != v.times.end(); };
  EXPECT_TRUE(has(s0 + 500));          // first rising edge, half a period in
  EXPECT_TRUE(has(s1 + 3000));         // pass 1 shows once pass 0's drain is off the time line
  EXPECT_TRUE(has(s2));                // pass 2 starts exactly at its start time
  EXPECT_TRUE(has(s2 + 500));

  // Depth 1: the wave view only.
  for (const auto& s : v.signals) EXPECT_EQ(s.rfind("TOP.sdla_mac_array.u_view.", 0), 0u) << s;

  // The save file opens this VCD with its groups laid out on existing signals.
  const auto signals = test::gtkw_signals(gtkw_of(vcd));
  EXPECT_GT(signals.size(), 20u);
  for (const auto& s : signals) EXPECT_TRUE(v.signals.count(s)) << "save file names a signal not in the VCD: " << s;
  const auto groups = test::gtkw_groups(gtkw_of(vcd));
  for (const char* g : {"control", "valid", "operands", "zero lines", "metadata", "partial sums"})
    EXPECT_NE(std::find(groups.begin(), groups.end(), g), groups.end()) << g;
}

TEST_F(RtlWaves, CycleWindow) {
  const auto cfg = AcceleratorConfig::preset("small");
  PassGen gen(test::test_seed());
  const std::string vcd = wave_path("window.vcd");
  RtlTraceOptions opt;
  opt.path = vcd;
  opt.first_cycle = 10;
  opt.last_cycle = 20;
  {
    RtlMacCore core(cfg, opt);
    MacPass p = dense_pass(cfg, gen, 30);  // 8 load + 30 vector cycles, cycle c at c * 1000 ps
    core.execute(p, 0);
    MacPass q = dense_pass(cfg, gen, 30);
    core.execute(q, p.activity.cycles * 1000);
  }
  const test::Vcd v = test::read_vcd(vcd);
  ASSERT_FALSE(v.times.empty());
  EXPECT_EQ(v.times.front(), 10'000u);
  EXPECT_EQ(v.times.back(), 19'500u);
  EXPECT_EQ(v.times.size(), 20u);  // 10 cycles, two dumps each
}

TEST_F(RtlWaves, DepthSelectsWhatIsTraced) {
  const auto cfg = AcceleratorConfig::preset("small");
  PassGen gen(test::test_seed());
  std::size_t signals[4] = {};
  for (unsigned depth : {1u, 2u, 3u, 0u}) {
    const std::string vcd = wave_path("depth" + std::to_string(depth) + ".vcd");
    RtlTraceOptions opt;
    opt.path = vcd;
    opt.depth = depth;
    {
      RtlMacCore core(cfg, opt);
      MacPass p = dense_pass(cfg, gen, 4);
      core.execute(p, 0);
    }
    const test::Vcd v = test::read_vcd(vcd);
    signals[depth] = v.signals.size();
    const bool banks = v.signals.count("TOP.w_reg[7][7][7:0]") > 0;
    EXPECT_EQ(banks, depth != 1) << "depth " << depth;
    EXPECT_TRUE(v.signals.count("TOP.sdla_mac_array.u_view.col[0].psum[47:0]")) << "depth " << depth;
    for (const auto& s : test::gtkw_signals(gtkw_of(vcd))) EXPECT_TRUE(v.signals.count(s)) << s;
  }
  EXPECT_LT(signals[1], signals[2]);
  EXPECT_LT(signals[2], signals[3]);
  EXPECT_LE(signals[3], signals[0]);
}

TEST_F(RtlWaves, FileIsCompleteWhenTheCoreGoesAwayOnAnError) {
  const auto cfg = AcceleratorConfig::preset("small");
  PassGen gen(test::test_seed());
  const std::string vcd = wave_path("error.vcd");
  RtlTraceOptions opt;
  opt.path = vcd;
  std::uint64_t last_edge = 0;
  try {
    RtlMacCore core(cfg, opt);
    MacPass p = dense_pass(cfg, gen, 5);
    core.execute(p, 0);
    last_edge = (p.activity.cycles + core.latency() - 1) * 1000 + 500;
    throw std::runtime_error("user code fails while the core is alive");
  } catch (const std::runtime_error&) {
  }
  const test::Vcd v = test::read_vcd(vcd);
  ASSERT_FALSE(v.times.empty());
  EXPECT_EQ(v.times.back(), last_edge);  // every dump reached the file
}

TEST_F(RtlWaves, FullArrayViewStaysSmall) {
  SKIP_UNLESS_VERILATED("full");
  const auto cfg = AcceleratorConfig::preset("full");
  PassGen gen(test::test_seed());
  const std::string vcd = wave_path("full.vcd");
  RtlTraceOptions opt;
  opt.path = vcd;
  std::uint64_t cycles = 0;
  {
    RtlMacCore core(cfg, opt);
    for (int n = 0; n < 4; ++n) {
      MacPass p = dense_pass(cfg, gen, 64);
      core.execute(p, cycles * 1000);
      cycles += p.activity.cycles;
    }
  }
  const test::Vcd v = test::read_vcd(vcd);
  const double per_cycle = double(v.bytes) / double(cycles);
  std::printf("full preset, depth 1: %zu signals, %.0f VCD bytes per cycle\n", v.signals.size(), per_cycle);
  EXPECT_LT(per_cycle, 3000.0);
  for (const auto& s : test::gtkw_signals(gtkw_of(vcd))) EXPECT_TRUE(v.signals.count(s)) << s;
}

/// The same seeded passes through a core writing `opt`; returns the array cycles.
std::uint64_t run_passes(const AcceleratorConfig& cfg, const RtlTraceOptions& opt, unsigned passes) {
  PassGen gen(test::test_seed());
  RtlMacCore core(cfg, opt);
  std::uint64_t cycles = 0;
  for (unsigned n = 0; n < passes; ++n) {
    MacPass p = dense_pass(cfg, gen, 24);
    core.execute(p, cycles * 1000);
    cycles += p.activity.cycles;
  }
  return cycles;
}

std::string slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

TEST_F(RtlWaves, FstHoldsWhatTheVcdHoldsAndTheSaveFileOpensIt) {
  if (!RtlMacCore::has_fst()) GTEST_SKIP() << "built with SDLA_RTL_FST off";
  const auto cfg = AcceleratorConfig::preset("small");
  for (unsigned depth : {1u, 0u}) {
    SCOPED_TRACE("depth " + std::to_string(depth));
    RtlTraceOptions opt;
    opt.depth = depth;
    opt.path = wave_path("same" + std::to_string(depth) + ".vcd");
    run_passes(cfg, opt, 5);
    const std::string vcd = opt.path;
    opt.path = wave_path("same" + std::to_string(depth) + ".fst");
    opt.format = WaveFormat::fst;
    run_passes(cfg, opt, 5);
    const std::string fst = opt.path;

    // A valid FST (header block, hierarchy and value changes read back by
    // the FST reader) with the VCD's signals, timescale and times: the clock
    // changes at every dump, so the change times are the VCD's timestamps.
    const test::Vcd v = test::read_vcd(vcd);
    const test::Vcd f = test::read_fst(fst);
    EXPECT_EQ(f.timescale, "1ps");
    EXPECT_EQ(f.signals, v.signals);
    EXPECT_EQ(f.times, v.times);
    EXPECT_LT(f.bytes, v.bytes) << "FST is the compact format";

    // The save file beside it names the FST, and its signals are in it.
    const std::string gtkw = gtkw_of(fst);
    EXPECT_NE(slurp(gtkw).find("[dumpfile] \"" + fs::absolute(fst).string() + "\"\n"), std::string::npos);
    const auto signals = test::gtkw_signals(gtkw);
    EXPECT_GT(signals.size(), 20u);
    for (const auto& s : signals) EXPECT_TRUE(f.signals.count(s)) << "save file names a signal not in the FST: " << s;

    // GTKWave's own converter, where the gtkwave package is installed, reads it back to the same VCD content.
    if (std::system("command -v fst2vcd >/dev/null 2>&1") == 0) {
      const std::string back = wave_path("back" + std::to_string(depth) + ".vcd");
      ASSERT_EQ(std::system(("fst2vcd '" + fst + "' > '" + back + "' 2>/dev/null").c_str()), 0);
      const test::Vcd b = test::read_vcd(back);
      EXPECT_EQ(b.signals, v.signals);
      EXPECT_EQ(b.times, v.times);
    }
  }
}

TEST_F(RtlWaves, FstIsCompleteWhenTheCoreGoesAwayOnAnError) {
  if (!RtlMacCore::has_fst()) GTEST_SKIP() << "built with SDLA_RTL_FST off";
  const auto cfg = AcceleratorConfig::preset("small");
  PassGen gen(test::test_seed());
  RtlTraceOptions opt;
  opt.path = wave_path("error.fst");
  opt.format = WaveFormat::fst;
  std::uint64_t last_edge = 0;
  try {
    RtlMacCore core(cfg, opt);
    MacPass p = dense_pass(cfg, gen, 5);
    core.execute(p, 0);
    last_edge = (p.activity.cycles + core.latency() - 1) * 1000 + 500;
    throw std::runtime_error("user code fails while the core is alive");
  } catch (const std::runtime_error&) {
  }
  const test::Vcd f = test::read_fst(opt.path);
  ASSERT_FALSE(f.times.empty());
  EXPECT_EQ(f.times.back(), last_edge);
}

TEST_F(RtlWaves, UnwritablePathIsAClearError) {
  RtlTraceOptions opt;
  opt.path = "/dev/null/cannot/waves.vcd";
  EXPECT_THROW(RtlMacCore(AcceleratorConfig::preset("small"), opt), std::runtime_error);
  if (!RtlMacCore::has_fst()) return;
  opt.path = "/dev/null/cannot/waves.fst";
  opt.format = WaveFormat::fst;
  EXPECT_THROW(RtlMacCore(AcceleratorConfig::preset("small"), opt), std::runtime_error);
}

}  // namespace
}  // namespace sdla
