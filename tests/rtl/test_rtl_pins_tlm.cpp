// The pin-level RTL (the --sc model behind MacPinBridge) against the
// verilated C++ model's transactor (RtlMacArray, --mac rtl), LT-style from one
// initiator: random passes of both precisions and formats, and rejected ones
// (malformed, an int8 value a lane cannot carry, invalid 2:4 metadata), give
// the same status, partial sums and activity pass for pass, with the delta-cycle
// clock (sdla-run's) and with an sc_clock. The protocol checker on the pins
// stays silent throughout. Each test elaborates SystemC: one process each.
#include <gtest/gtest.h>

#include <cstdio>
#include <string>
#include <systemc>
#include <tlm>

#include "mac_array_model.hpp"
#include "rtl_mac_array.hpp"
#include "rtl_pin_mac_array.hpp"
#include "rtl_test_util.hpp"
#include "sdla/log.hpp"

namespace sdla {
namespace {

using sc_core::sc_time;
using sc_core::SC_NS;
using sc_core::SC_ZERO_TIME;

#define REQUIRE_PIN_MODEL(cfg)                                                         \
  if (!has_rtl_pin_model(cfg)) GTEST_SKIP() << "no pin-level model of '" << (cfg).name \
                                            << "' in this build (SDLA_RTL_PINS_PRESETS)"

/// A pass the RTL rejects, made from a valid random one: `kind` picks how.
enum class Broken { none, lanes, int8_range, equal_indices, index_too_wide };

struct Initiator : sc_core::sc_module, MacArrayBwIf {
  MacArrayInitiatorSocket pins_isock{"pins_isock"};
  MacArrayInitiatorSocket rtl_isock{"rtl_isock"};

  SC_HAS_PROCESS(Initiator);
  Initiator(const sc_core::sc_module_name& n, const AcceleratorConfig& cfg, unsigned passes, bool timed,
            const MacPinBridge& bridge)
      : sc_module(n), cfg_(cfg), passes_(passes), timed_(timed), bridge_(bridge), gen_(test::test_seed()) {
    pins_isock.bind(*this);
    rtl_isock.bind(*this);
    SC_THREAD(run);
  }
  tlm::tlm_sync_enum nb_transport_bw(MacPass&, tlm::tlm_phase&, sc_time&) override { return tlm::TLM_COMPLETED; }
  void invalidate_direct_mem_ptr(sc_dt::uint64, sc_dt::uint64) override {}

  void make(MacPass& p, Broken kind) {
    const auto pr = kind == Broken::int8_range || gen_.chance(0.5) ? Precision::int8 : Precision::int16;
    const bool sparse = kind == Broken::equal_indices || kind == Broken::index_too_wide || gen_.chance(0.5);
    gen_.random_pass(p, cfg_, pr, sparse ? WeightFormat::sparse_2_4 : WeightFormat::dense, 24);
    if (kind == Broken::none) return;
    test::set_shape(p, std::max(1u, p.columns), p.lanes_valid, std::max(1u, p.vectors));
    gen_.sanitize(p);
    const unsigned k = gen_.uniform(0, p.columns - 1), g = gen_.uniform(0, p.lanes / 2 - 1);
    switch (kind) {
      case Broken::lanes: p.lanes_valid = p.act_lanes + 1; break;
      case Broken::int8_range:
        p.weights[std::size_t(k) * p.lanes] = 300;
        p.weight_zero[std::size_t(k) * p.lanes] = 0;
        break;
      case Broken::equal_indices:
        p.weight_index[std::size_t(k) * p.lanes + 2 * g] = p.weight_index[std::size_t(k) * p.lanes + 2 * g + 1] = 2;
        break;
      case Broken::index_too_wide: p.weight_index[std::size_t(k) * p.lanes + 2 * g + 1] = 7; break;
      case Broken::none: break;
    }
  }

  void run() {
    const sc_time period(cfg_.clock_period_ns(), SC_NS);
    const Broken kinds[] = {Broken::lanes, Broken::int8_range, Broken::equal_indices, Broken::index_too_wide};
    sc_time local = SC_ZERO_TIME;
    MacPass p;
    for (unsigned n = 0; n < passes_; ++n) {
      const Broken kind = n % 7 == 3 ? kinds[(n / 7) % 4] : Broken::none;
      make(p, kind);
      MacPass q = p;
      sc_time d_pins = local, d_rtl = local;
      const sc_time before = sc_core::sc_time_stamp();
      const std::uint64_t clocked_before = bridge_.clocked_cycles();
      pins_isock->b_transport(p, d_pins);
      const sc_time spent = sc_core::sc_time_stamp() - before;
      rtl_isock->b_transport(q, d_rtl);
      EXPECT_EQ(p.status, q.status) << "pass " << n;
      if (kind != Broken::none) {
        EXPECT_NE(p.status, MacStatus::ok) << "pass " << n << " was meant to be rejected";
        EXPECT_EQ(bridge_.clocked_cycles(), clocked_before) << "a rejected pass clocked the pins, pass " << n;
      }
      EXPECT_EQ(p.activity, q.activity) << "pass " << n << ": pins " << test::to_string(p.activity) << ", rtl "
                                        << test::to_string(q.activity);
      for (std::size_t i = 0; p.status == MacStatus::ok && i < std::size_t(p.vectors) * p.atomic_k; ++i)
        if (p.psums[i] != q.psums[i]) {
          ADD_FAILURE() << "pass " << n << ": psum " << i << " pins " << p.psums[i] << ", rtl " << q.psums[i];
          break;
        }
      if (!timed_) {
        // Delta cycles: no simulated time passes, the delay is the --cc transactor's.
        EXPECT_EQ(spent, SC_ZERO_TIME) << "pass " << n;
        EXPECT_EQ(d_pins, d_rtl) << "pass " << n;
      } else if (p.status == MacStatus::ok) {
        // A falling edge to start on (a whole period: the last pass ended on
        // one), the reset before the first pass, the pass, its drain.
        // A pass of no cycles at all still waits for its falling edge.
        // The very first falling edge may come at once (time 0).
        const std::uint64_t after = p.vectors ? 3 : p.columns ? 1 : 0;  // drain, or an idle cycle after loads
        const std::uint64_t cycles = 1 + (ok_passes == 0) + p.activity.cycles + after;
        if (ok_passes == 0) {
          EXPECT_GE(spent, double(cycles - 1) * period) << "pass " << n;
        } else {
          EXPECT_EQ(spent, double(cycles) * period) << "pass " << n;
        }
        EXPECT_EQ(d_pins, SC_ZERO_TIME) << "pass " << n;
      }
      ok_passes += p.status == MacStatus::ok;
      rejected += p.status != MacStatus::ok;
      vectors += p.vectors;
      if (timed_) continue;  // the bridge has synchronised already
      local = d_rtl;
      if (n % 4 == 3) {
        wait(local);
        local = SC_ZERO_TIME;
      }
    }
    wait(local);
    sc_core::sc_stop();  // an sc_clock would run forever
  }

  AcceleratorConfig cfg_;
  unsigned passes_;
  bool timed_;
  const MacPinBridge& bridge_;
  test::PassGen gen_;
  unsigned ok_passes = 0, rejected = 0;
  std::uint64_t vectors = 0;
};

class RtlPinsTlm : public ::testing::TestWithParam<PinClocking> {};

TEST_P(RtlPinsTlm, MatchesTheVerilatedTransactorPassForPass) {
  const auto cfg = AcceleratorConfig::preset("small");
  REQUIRE_PIN_MODEL(cfg);
  RtlPinOptions o;
  o.clocking = GetParam();
  auto pins = make_rtl_pin_mac_array("pins", cfg, o);
  RtlMacArray rtl("rtl", cfg);
  Initiator init("init", cfg, 1000, o.clocking == PinClocking::timed, *pins);
  init.pins_isock.bind(pins->mac_tsock);
  init.rtl_isock.bind(rtl.mac_tsock);
  sc_core::sc_start();
  EXPECT_STREQ(pins->source(), "rtl-pins");
  EXPECT_GT(init.ok_passes, 800u);
  EXPECT_GT(init.rejected, 120u);
  EXPECT_EQ(pins->activity(), rtl.activity());
  EXPECT_GT(pins->activity().mac_random, 0u);
  const MacActivity& drain = pins->drain_activity();
  EXPECT_EQ(drain.mac_random + drain.mac_gated + drain.act_toggles + drain.weight_toggles, 0u);
  EXPECT_GT(drain.cycles, 0u);
  EXPECT_EQ(sc_core::sc_report_handler::get_count(log_id::mac_protocol), 0);
  if (o.clocking == PinClocking::delta_cycles) {
    EXPECT_EQ(sc_core::sc_time_stamp(), double(pins->activity().cycles) * sc_time(cfg.clock_period_ns(), SC_NS));
  }
  std::printf("%llu vectors, %llu array cycles, %llu cycles clocked on the pins\n",
              (unsigned long long)init.vectors, (unsigned long long)pins->activity().cycles,
              (unsigned long long)pins->clocked_cycles());
}

INSTANTIATE_TEST_SUITE_P(Clocks, RtlPinsTlm, ::testing::Values(PinClocking::delta_cycles, PinClocking::timed),
                         [](const auto& info) {
                           return std::string(info.param == PinClocking::timed ? "ScClock" : "DeltaCycles");
                         });

/// Sends random passes to one target and checks the model's reference activity.
struct ReferenceChecker : sc_core::sc_module, MacArrayBwIf {
  MacArrayInitiatorSocket isock{"isock"};
  SC_HAS_PROCESS(ReferenceChecker);
  ReferenceChecker(const sc_core::sc_module_name& n, const AcceleratorConfig& c)
      : sc_module(n), cfg(c), gen(test::test_seed()) {
    isock.bind(*this);
    SC_THREAD(run);
  }
  tlm::tlm_sync_enum nb_transport_bw(MacPass&, tlm::tlm_phase&, sc_time&) override { return tlm::TLM_COMPLETED; }
  void invalidate_direct_mem_ptr(sc_dt::uint64, sc_dt::uint64) override {}
  void run() {
    MacPass p;
    for (unsigned n = 0; n < 60; ++n) {
      gen.random_pass(p, cfg, n % 2 ? Precision::int16 : Precision::int8,
                      n % 3 ? WeightFormat::sparse_2_4 : WeightFormat::dense, 16);
      sc_time d = SC_ZERO_TIME;
      isock->b_transport(p, d);
      ASSERT_EQ(p.status, MacStatus::ok) << "pass " << n;
      EXPECT_TRUE(p.has_reference) << "pass " << n;
      EXPECT_EQ(p.reference, p.activity) << "pass " << n;
      ++checked;
    }
  }
  AcceleratorConfig cfg;
  test::PassGen gen;
  unsigned checked = 0;
};

// With the cross-check, the C++ model's activity comes back with every pass, equal.
TEST(RtlPinsTlmCrosscheck, ReferenceActivityComesBack) {
  const auto cfg = AcceleratorConfig::preset("small");
  REQUIRE_PIN_MODEL(cfg);
  RtlPinOptions o;
  o.crosscheck = true;
  auto pins = make_rtl_pin_mac_array("pins", cfg, o);
  ReferenceChecker sender("sender", cfg);
  sender.isock.bind(pins->mac_tsock);
  sc_core::sc_start();
  EXPECT_EQ(sender.checked, 60u);
}

TEST(RtlPinsTlmErrors, UnbuiltShapeNamesTheBuiltModels) {
  auto cfg = AcceleratorConfig::preset("full");
  cfg.atomic_c = 16;
  cfg.atomic_k = 16;
  try {
    make_rtl_pin_mac_array("pins", cfg);
    ADD_FAILURE() << "no exception for a 16x16 array";
  } catch (const std::runtime_error& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find("atomic_c 16 x atomic_k 16"), std::string::npos) << what;
    EXPECT_NE(what.find("built: "), std::string::npos) << what;
    for (const auto& m : rtl_pin_models()) EXPECT_NE(what.find(m), std::string::npos) << what;
  }
}

}  // namespace
}  // namespace sdla
