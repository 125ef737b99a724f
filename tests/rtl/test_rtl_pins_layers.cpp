// Whole random layers (and grouped ones) through the pin-level RTL (--mac rtl-pins) with the
// verilated C++ model (--mac rtl) beside it: the accelerator's MAC array is a
// tee that sends every pass to both and requires equal status, partial sums,
// activity and annotated delay, pass for pass; outputs are bit-exact with the
// golden reference and each layer's activity equals the C++ model's
// (tests/support/random_layers.hpp check()). The protocol checker on the pins
// reports nothing. One format mix per process (SystemC elaborates once).
#include <cctype>
#include <memory>
#include <random>
#include <tuple>

#include <gtest/gtest.h>

#include "mac_arrays.hpp"
#include "random_layers.hpp"
#include "rtl_mac_array.hpp"
#include "rtl_pin_mac_array.hpp"
#include "sdla/log.hpp"
#include "seed.hpp"

namespace sdla {
namespace {

/// What the tee saw.
struct TeeStats {
  std::uint64_t passes = 0, vectors = 0, mismatches = 0;
  MacActivity pins, rtl;
};

/// The MAC array the accelerator binds: every pass goes to the pin-level
/// array (whose answer goes back, with the C++ model's activity as its
/// reference) and to the --cc transactor, and the two answers are compared.
class TeeMacArray : public MacArrayTarget, public MacArrayBwIf {
 public:
  MacArrayInitiatorSocket pins_isock{"pins_isock"};
  MacArrayInitiatorSocket rtl_isock{"rtl_isock"};

  TeeMacArray(const sc_core::sc_module_name& name, const AcceleratorConfig& cfg, std::shared_ptr<TeeStats> stats)
      : MacArrayTarget(name, cfg), stats_(std::move(stats)) {
    RtlPinOptions o;
    o.crosscheck = true;
    pins_ = make_rtl_pin_mac_array("pins", cfg, o);
    rtl_ = std::make_unique<RtlMacArray>("rtl", cfg);
    pins_isock.bind(*this);
    rtl_isock.bind(*this);
    pins_isock.bind(pins_->mac_tsock);
    rtl_isock.bind(rtl_->mac_tsock);
  }
  ~TeeMacArray() override {
    stats_->pins = pins_->activity();
    stats_->rtl = rtl_->activity();
  }
  const char* source() const override { return "rtl-pins"; }
  tlm::tlm_sync_enum nb_transport_bw(MacPass&, tlm::tlm_phase&, sc_core::sc_time&) override {
    return tlm::TLM_COMPLETED;
  }
  void invalidate_direct_mem_ptr(sc_dt::uint64, sc_dt::uint64) override {}

 protected:
  void execute(MacPass& pass, const sc_core::sc_time& start) override {
    copy_ = pass;
    sc_core::sc_time d_pins = start - sc_core::sc_time_stamp(), d_rtl = d_pins;
    pins_isock->b_transport(pass, d_pins);
    rtl_isock->b_transport(copy_, d_rtl);
    ++stats_->passes;
    stats_->vectors += pass.vectors;
    bool same = pass.status == copy_.status && pass.activity == copy_.activity && d_pins == d_rtl;
    for (std::size_t i = 0; same && i < std::size_t(pass.vectors) * pass.atomic_k; ++i)
      same = pass.psums[i] == copy_.psums[i];
    if (!same && stats_->mismatches++ == 0)
      ADD_FAILURE() << "pass " << stats_->passes - 1 << ": pins and --cc RTL differ (status "
                    << int(pass.status) << " / " << int(copy_.status) << ")";
  }

 private:
  std::shared_ptr<TeeStats> stats_;
  std::unique_ptr<MacArrayTarget> pins_;
  std::unique_ptr<RtlMacArray> rtl_;
  MacPass copy_;
};

using Formats = std::tuple<Precision, TensorFormat, TensorFormat>;  // precision, weights, activations

class RtlPinsLayers : public ::testing::TestWithParam<Formats> {};

TEST_P(RtlPinsLayers, SameAsTheVerilatedModelPassForPass) {
  const auto cfg = AcceleratorConfig::preset("small");
  if (!has_rtl_pin_model(cfg)) GTEST_SKIP() << "no pin-level small array in this build (SDLA_RTL_PINS_PRESETS)";
  const auto [precision, weights, acts] = GetParam();
  std::mt19937_64 rng(test::seed(61 + 7 * unsigned(precision) + 3 * unsigned(weights) + unsigned(acts)));
  auto workloads = test::random_workloads(rng, precision, 6, weights, acts);
  for (auto& w : test::random_grouped_workloads(rng, precision, 2, weights, acts)) workloads.push_back(std::move(w));
  auto stats = std::make_shared<TeeStats>();
  const auto outs = test::check("small", workloads, "rtl-pins", [stats](const TestbenchOptions& o) {
    return std::make_unique<TeeMacArray>("mac_array", o.cfg, stats);
  });
  ASSERT_EQ(outs.size(), workloads.size());
  EXPECT_GT(stats->passes, 0u);
  EXPECT_EQ(stats->mismatches, 0u) << "of " << stats->passes << " passes";
  EXPECT_EQ(stats->pins, stats->rtl);
  EXPECT_EQ(sc_core::sc_report_handler::get_count(log_id::mac_protocol), 0);
  std::printf("%llu passes, %llu vectors, %llu array cycles through the pins\n", (unsigned long long)stats->passes,
              (unsigned long long)stats->vectors, (unsigned long long)stats->pins.cycles);
}

constexpr TensorFormat kDense = TensorFormat::dense, kZvc = TensorFormat::zvc, k24 = TensorFormat::sparse_2_4;

INSTANTIATE_TEST_SUITE_P(
    Formats, RtlPinsLayers,
    ::testing::Values(Formats{Precision::int8, kDense, kDense}, Formats{Precision::int8, k24, kZvc},
                      Formats{Precision::int8, kZvc, kZvc}, Formats{Precision::int16, kDense, kZvc},
                      Formats{Precision::int16, k24, kDense}, Formats{Precision::int16, kZvc, kDense}),
    [](const auto& info) {
      std::string name = std::string(to_string(std::get<0>(info.param))) + "_" + to_string(std::get<1>(info.param)) +
                         "_" + to_string(std::get<2>(info.param));
      for (char& c : name)
        if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
      return name;
    });

}  // namespace
}  // namespace sdla
