// Winograd F(2x2,3x3) layers through the verilated MAC array: outputs
// bit-exact with the golden reference (exact layers also with
// golden::conv2d), and the MAC-array activity measured on the RTL equal to
// the C++ model's for the same passes — exact mode (int8 operands on the
// int16 lanes) and nvdla mode (int8 and int16), on both presets.
#include <random>

#include <gtest/gtest.h>

#include "mac_arrays.hpp"
#include "sdla/tile_plan.hpp"
#include "seed.hpp"
#include "verilated_presets.hpp"
#include "winograd_layers.hpp"

namespace sdla {
namespace {

using test::check_winograd;
using test::winograd_layer;

/// Small random eligible layers of each mode (nvdla also int16), dense and ZVC activations.
std::vector<Workload> small_layers(std::mt19937_64& rng, unsigned per_kind, unsigned max_c, unsigned max_k,
                                   unsigned max_out) {
  std::vector<Workload> w;
  unsigned i = 0;
  for (Winograd mode : {Winograd::exact, Winograd::nvdla})
    for (Precision p : {Precision::int8, Precision::int16})
      for (TensorFormat acts : {TensorFormat::dense, TensorFormat::zvc}) {
        if (mode == Winograd::exact && p == Precision::int16) continue;
        for (unsigned n = 0; n < per_kind; ++n)
          w.push_back(generate_workload({winograd_layer(rng, mode, p, i++, acts, max_c, max_k, max_out)}, rng()));
      }
  return w;
}

TEST(RtlWinograd, SmallBothModes) {
  std::mt19937_64 rng(test::seed(51));
  check_winograd("small", small_layers(rng, 8, 40, 30, 12), "rtl", make_any_mac_array);
}

// Random layers on the full array too (64 int8 lanes, 32 columns).
TEST(RtlWinograd, FullBothModes) {
  SKIP_UNLESS_VERILATED("full");
  std::mt19937_64 rng(test::seed(54));
  check_winograd("full", small_layers(rng, 2, 150, 70, 9), "rtl", make_any_mac_array);
}

// A chain on the small array: exact -> nvdla reading ZVC after a ReLU.
TEST(RtlWinograd, SmallChain) {
  std::vector<Layer> l(2);
  for (unsigned j = 0; j < 2; ++j) {
    l[j].name = "chain" + std::to_string(j);
    l[j].in_channels = j ? 12 : 9; l[j].out_channels = j ? 10 : 12;
    l[j].in_height = 7; l[j].in_width = 6; l[j].kernel_h = l[j].kernel_w = 3; l[j].pad = {1, 1, 1, 1};
    l[j].winograd = j ? Winograd::nvdla : Winograd::exact;
    l[j].winograd_strict = true;
  }
  l[0].post.enabled = l[0].post.relu = true;
  l[0].post.multiplier = {5};
  l[0].post.shift = {13};
  l[1].activation_format = TensorFormat::zvc;
  l[1].winograd_input_shift = 1;
  check_winograd("small", {generate_workload(l, test::seed(52))}, "rtl", make_any_mac_array);
}

// Layers of many steps on the small array: channel blocks (C = 300) and
// spatial steps (40x38 output), both modes.
TEST(RtlWinograd, SmallManySteps) {
  const std::uint64_t seed = test::seed(55);
  const auto cfg = AcceleratorConfig::preset("small");
  std::vector<Workload> w;
  unsigned i = 0;
  for (Winograd mode : {Winograd::exact, Winograd::nvdla})
    for (unsigned C : {300u, 20u}) {
      Layer l;
      l.name = std::string("steps_") + to_string(mode) + "_c" + std::to_string(C);
      l.in_channels = C; l.out_channels = 11;
      l.in_height = C > 100 ? 9 : 40; l.in_width = C > 100 ? 8 : 39;
      l.kernel_h = l.kernel_w = 3; l.pad = {1, 1, 0, 1};
      l.input_density = 0.8;
      l.winograd = mode;
      l.winograd_strict = true;
      EXPECT_GT(plan_tiles(resolve_winograd(l), cfg).step_count(), 1u) << l.name;
      w.push_back(generate_workload({l}, seed + i++));
    }
  check_winograd("small", w, "rtl", make_any_mac_array);
}

// One layer per mode on the full array: 64 int8 lanes, exact on the 32 int16 lanes.
TEST(RtlWinograd, FullOneLayerPerMode) {
  SKIP_UNLESS_VERILATED("full");
  std::vector<Workload> w;
  for (Winograd mode : {Winograd::exact, Winograd::nvdla}) {
    Layer l;
    l.name = std::string("full_") + to_string(mode);
    l.in_channels = 70; l.in_height = 9; l.in_width = 8; l.out_channels = 36;
    l.kernel_h = l.kernel_w = 3; l.pad = {1, 0, 1, 1};
    l.input_density = 0.7;
    l.winograd = mode;
    l.winograd_strict = true;
    w.push_back(generate_workload({l}, test::seed(53)));
  }
  check_winograd("full", w, "rtl", make_any_mac_array);
}

}  // namespace
}  // namespace sdla
