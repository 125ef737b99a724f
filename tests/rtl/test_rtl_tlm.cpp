// The RTL transactor (RtlMacArray) behind the MAC-array TLM socket: the same
// passes sent LT-style to it and to the C++ model target give the same
// partial sums, activity, status and annotated delay; its waves carry
// SystemC time. Each test elaborates SystemC, so each runs in its own
// process (ctest does that).
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <systemc>
#include <tlm>

#include <unistd.h>

#include "mac_array_model.hpp"
#include "rtl_mac_array.hpp"
#include "rtl_test_util.hpp"
#include "verilated_presets.hpp"

namespace sdla {
namespace {

using sc_core::sc_time;
using sc_core::SC_NS;
using sc_core::SC_ZERO_TIME;

#define REQUIRE_FRESH_SYSTEMC()                                   \
  if (sc_core::sc_get_status() != sc_core::SC_ELABORATION)        \
  GTEST_SKIP() << "SystemC already ran in this process; ctest runs each test alone"

/// Sends every pass to an RTL target and a model target, LT style, with a
/// local time offset synchronised every few passes (or a gap after each).
struct Initiator : sc_core::sc_module, MacArrayBwIf {
  MacArrayInitiatorSocket rtl_isock{"rtl_isock"};
  MacArrayInitiatorSocket model_isock{"model_isock"};

  SC_HAS_PROCESS(Initiator);
  Initiator(const sc_core::sc_module_name& n, const AcceleratorConfig& cfg, unsigned passes, sc_time gap)
      : sc_module(n), cfg_(cfg), passes_(passes), gap_(gap), gen_(test::test_seed()) {
    rtl_isock.bind(*this);
    model_isock.bind(*this);
    SC_THREAD(run);
  }
  tlm::tlm_sync_enum nb_transport_bw(MacPass&, tlm::tlm_phase&, sc_time&) override { return tlm::TLM_COMPLETED; }
  void invalidate_direct_mem_ptr(sc_dt::uint64, sc_dt::uint64) override {}

  void run() {
    const sc_time period(cfg_.clock_period_ns(), SC_NS);
    sc_time local = SC_ZERO_TIME;
    MacPass p;
    for (unsigned n = 0; n < passes_; ++n) {
      const auto pr = gen_.chance(0.5) ? Precision::int8 : Precision::int16;
      const auto f = gen_.chance(0.5) ? WeightFormat::dense : WeightFormat::sparse_2_4;
      gen_.random_pass(p, cfg_, pr, f, 24);
      MacPass q = p;
      sc_time d_rtl = local, d_model = local;
      starts_ps.push_back(std::uint64_t((sc_core::sc_time_stamp() + local) / sc_time(1, sc_core::SC_PS)));
      rtl_isock->b_transport(p, d_rtl);
      model_isock->b_transport(q, d_model);
      EXPECT_EQ(p.status, q.status) << "pass " << n;
      EXPECT_EQ(p.activity, q.activity) << "pass " << n << ": rtl " << test::to_string(p.activity) << ", model "
                                        << test::to_string(q.activity);
      EXPECT_EQ(d_rtl, d_model) << "pass " << n;
      EXPECT_EQ(d_rtl - local, double(p.activity.cycles) * period) << "pass " << n;
      for (std::size_t i = 0; i < std::size_t(p.vectors) * p.atomic_k; ++i)
        if (p.psums[i] != q.psums[i]) {
          ADD_FAILURE() << "pass " << n << ": psum " << i << " rtl " << p.psums[i] << ", model " << q.psums[i];
          break;
        }
      vectors += p.vectors;
      local = d_rtl;
      if (gap_ != SC_ZERO_TIME || n % 4 == 3) {  // synchronise: the quantum is used up
        wait(local + gap_);
        local = SC_ZERO_TIME;
      }
    }
  }

  AcceleratorConfig cfg_;
  unsigned passes_;
  sc_time gap_;
  test::PassGen gen_;
  std::vector<std::uint64_t> starts_ps;
  std::uint64_t vectors = 0;
};

void run_against_model(const char* preset, unsigned passes) {
  const auto cfg = AcceleratorConfig::preset(preset);
  RtlMacArray rtl("rtl", cfg);
  MacArrayModel model("model", cfg);
  Initiator init("init", cfg, passes, SC_ZERO_TIME);
  init.rtl_isock.bind(rtl.mac_tsock);
  init.model_isock.bind(model.mac_tsock);
  sc_core::sc_start();
  EXPECT_STREQ(rtl.source(), "rtl");
  EXPECT_STREQ(model.source(), "model");
  EXPECT_EQ(rtl.activity(), model.activity());
  EXPECT_GT(rtl.activity().cycles, 0u);
  EXPECT_EQ(sc_core::sc_time_stamp(), double(rtl.activity().cycles) * sc_time(cfg.clock_period_ns(), SC_NS));
  const MacActivity& drain = rtl.core().drain_activity();
  EXPECT_EQ(drain.mac_random + drain.mac_gated + drain.act_toggles + drain.weight_toggles, 0u);
  std::printf("%s: %llu vectors, %llu array cycles through TLM\n", preset, (unsigned long long)init.vectors,
              (unsigned long long)rtl.activity().cycles);
}

TEST(RtlMacArrayTlm, SmallMatchesTheModelTarget) {
  REQUIRE_FRESH_SYSTEMC();
  run_against_model("small", 1000);
}

TEST(RtlMacArrayTlm, FullMatchesTheModelTarget) {
  REQUIRE_FRESH_SYSTEMC();
  SKIP_UNLESS_VERILATED("full");
  run_against_model("full", 300);
}

TEST(RtlMacArrayTlm, WavesCarrySystemCTime) {
  REQUIRE_FRESH_SYSTEMC();
  namespace fs = std::filesystem;
  const auto cfg = AcceleratorConfig::preset("small");
  const fs::path dir = fs::path(::testing::TempDir()) / ("sdla_rtl_tlm_" + std::to_string(::getpid()));
  RtlTraceOptions opt;
  opt.path = (dir / "tlm.vcd").string();
  RtlMacArray rtl("rtl", cfg, opt);
  MacArrayModel model("model", cfg);
  Initiator init("init", cfg, 6, sc_time(100, SC_NS));  // a gap after each pass: no overlap
  init.rtl_isock.bind(rtl.mac_tsock);
  init.model_isock.bind(model.mac_tsock);
  sc_core::sc_start();
  const test::Vcd v = test::read_vcd(opt.path);  // flushed after every pass
  ASSERT_EQ(init.starts_ps.size(), 6u);
  for (std::uint64_t start : init.starts_ps)
    EXPECT_NE(std::find(v.times.begin(), v.times.end(), start), v.times.end())
        << "no dump at the pass start " << start << " ps";
  EXPECT_EQ(v.times.front(), init.starts_ps.front());
  EXPECT_TRUE(fs::exists(fs::path(opt.path).replace_extension(".gtkw")));
  std::error_code ec;
  if (!::testing::Test::HasFailure()) fs::remove_all(dir, ec);
}

TEST(RtlMacArrayTlm, UnbuiltShapeFailsAtConstruction) {
  REQUIRE_FRESH_SYSTEMC();
  auto cfg = AcceleratorConfig::preset("full");
  cfg.atomic_c = 16;
  cfg.atomic_k = 16;
  EXPECT_THROW(RtlMacArray("rtl", cfg), std::runtime_error);
  EXPECT_THROW(make_rtl_mac_array("rtl2", cfg), std::runtime_error);
  auto ok = make_rtl_mac_array("rtl3", AcceleratorConfig::preset("small"));
  EXPECT_STREQ(ok->source(), "rtl");
}

}  // namespace
}  // namespace sdla
