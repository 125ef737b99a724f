// Whole layers through the verilated MAC array (sdla-run --mac rtl): outputs
// bit-exact with the golden reference, and the MAC-array cycles and every
// activity counter measured on the RTL equal to the C++ model's for the same
// passes, per layer — dense int8/int16, 2:4 and ZVC, on both presets.
#include <random>

#include <gtest/gtest.h>

#include "mac_arrays.hpp"
#include "rtl_mac_core.hpp"
#include "random_layers.hpp"
#include "seed.hpp"

namespace sdla {
namespace {

using test::check;
using test::random_workloads;

constexpr TensorFormat kDense = TensorFormat::dense, kZvc = TensorFormat::zvc, k24 = TensorFormat::sparse_2_4;

/// A build with SDLA_RTL_PRESETS (the sanitizer subset) may not have verilated the full array.
#define SKIP_UNLESS_VERILATED(name)                                \
  if (!RtlMacCore::has_model(AcceleratorConfig::preset(name)))     \
  GTEST_SKIP() << "no verilated " << (name) << " array in this build (SDLA_RTL_PRESETS)"

/// int8 and int16 random layers of every weight/activation format pair.
std::vector<Workload> every_format(std::mt19937_64& rng, unsigned per_pair) {
  std::vector<Workload> w;
  for (Precision p : {Precision::int8, Precision::int16})
    for (TensorFormat wf : {kDense, kZvc, k24})
      for (TensorFormat af : {kDense, kZvc})
        for (auto& x : random_workloads(rng, p, per_pair, wf, af)) w.push_back(std::move(x));
  return w;
}

TEST(RtlLayers, SmallEveryFormat) {
  std::mt19937_64 rng(test::seed(41));
  check("small", every_format(rng, 4), "rtl", make_any_mac_array);
}

TEST(RtlLayers, FullEveryFormat) {
  SKIP_UNLESS_VERILATED("full");
  std::mt19937_64 rng(test::seed(42));
  check("full", every_format(rng, 2), "rtl", make_any_mac_array);
}

// A compute-bound layer on the full array, dense int8 and int16.
TEST(RtlLayers, FullConvInt8AndInt16) {
  SKIP_UNLESS_VERILATED("full");
  std::vector<Workload> w;
  for (Precision p : {Precision::int8, Precision::int16}) {
    Layer l;
    l.name = std::string("conv_") + to_string(p);
    l.precision = p;
    l.in_channels = 128; l.in_height = l.in_width = 14; l.out_channels = 64;
    l.kernel_h = l.kernel_w = 3; l.pad = {1, 1, 1, 1};
    l.input_density = 0.7;
    w.push_back(generate_workload({l}, 43));
  }
  const auto outs = check("full", w, "rtl", make_any_mac_array);
  // int16 runs at half the int8 rate on the same array.
  ASSERT_EQ(outs.size(), 2u);
  EXPECT_EQ(outs[1].layers.at(0).activity.at("mac_array").at("cycles"),
            2 * outs[0].layers.at(0).activity.at("mac_array").at("cycles"));
}

}  // namespace
}  // namespace sdla
