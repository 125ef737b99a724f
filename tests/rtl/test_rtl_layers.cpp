// Whole layers through the verilated MAC array (sdla-run --mac rtl): outputs
// bit-exact with the golden reference, and the MAC-array cycles and every
// activity counter measured on the RTL equal to the C++ model's for the same
// passes, per layer — dense int8/int16, 2:4 and ZVC, on both presets.
#include <random>

#include <gtest/gtest.h>

#include "layers.hpp"
#include "mac_arrays.hpp"
#include "random_layers.hpp"
#include "seed.hpp"
#include "verilated_presets.hpp"

namespace sdla {
namespace {

using test::check;
using test::random_workloads;

constexpr TensorFormat kDense = TensorFormat::dense, kZvc = TensorFormat::zvc, k24 = TensorFormat::sparse_2_4;

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

// Depthwise (MobileNetV2-like, 3x3 stride 1 and 2) and grouped layers on the
// small array: the RTL computes them as dense passes whose off-group weights
// are zero-lined, and counts every gated multiplier exactly as the model does.
TEST(RtlLayers, SmallDepthwiseAndGrouped) {
  std::mt19937_64 rng(test::seed(44));
  std::vector<Workload> w;
  for (Precision p : {Precision::int8, Precision::int16}) {
    for (unsigned stride : {1u, 2u}) {
      Layer l;
      l.name = fmt::format("dw_s{}_{}", stride, to_string(p));
      l.precision = p;
      l.in_channels = l.out_channels = l.groups = 21;
      l.in_height = 9;
      l.in_width = 8;
      l.kernel_h = l.kernel_w = 3;
      l.stride_h = l.stride_w = stride;
      l.pad = {1, 1, 1, 1};
      l.input_density = 0.8;
      l.post.enabled = true;
      l.post.relu = true;
      l.post.multiplier = {3};
      l.post.shift = {p == Precision::int8 ? std::uint8_t(7) : std::uint8_t(12)};
      w.push_back(generate_workload({l}, rng()));
    }
    for (auto& x : test::random_grouped_workloads(rng, p, 4)) w.push_back(std::move(x));
    for (auto& x : test::random_grouped_workloads(rng, p, 2, k24, kZvc)) w.push_back(std::move(x));
  }
  const auto outs = check("small", w, "rtl", make_any_mac_array);
  // The multipliers outside each column's group are issued but gated: a
  // depthwise layer's array is mostly mac_gated.
  ASSERT_FALSE(outs.empty());
  const Counters& mac = outs[0].layers.at(0).activity.at("mac_array");
  EXPECT_GT(mac.at("mac_gated"), 4 * mac.at("mac_random"));
}

// A chain through the pooling unit and the post-processor's residual add:
// conv -> maxpool -> conv (+ residual) -> global average pool, int8 and
// int16. The pool layers never use the MAC array; the conv layers' array
// activity measured on the RTL equals the C++ model's, layer by layer
// (check() compares them), and every output is bit-exact.
TEST(RtlLayers, SmallChainWithPoolAndResidual) {
  std::mt19937_64 rng(test::seed(47));
  std::vector<Workload> w;
  for (Precision p : {Precision::int8, Precision::int16}) {
    const std::uint8_t shift = p == Precision::int8 ? 7 : 12;
    const Layer c0 = test::with_post(test::conv_layer("c0", 10, 9, 8, 12, 3, p), 3, shift, true);
    const Layer mp = test::pool_layer("mp", PoolKind::max, 12, 9, 8, 3, 2, 1, p);  // -> 5x4
    const Layer c2 = test::with_residual(test::with_post(test::conv_layer("c2", 12, 5, 4, 9, 3, p), 3, shift, false));
    const Layer gap = test::global_avgpool("gap", 9, 5, 4, p);
    w.push_back(generate_workload({c0, mp, c2, gap}, rng()));
  }
  const auto outs = check("small", w, "rtl", make_any_mac_array);
  ASSERT_EQ(outs.size(), 2u);
  for (const RunOutcome& o : outs) {
    ASSERT_EQ(o.layers.size(), 4u);
    for (std::size_t pool : {1, 3}) {
      EXPECT_EQ(o.layers[pool].activity.at("mac_array").at("cycles"), 0u);
      EXPECT_EQ(o.layers[pool].activity.at("pooling").at("element_ops"), pool_element_ops(o.layers[pool].layer));
    }
    EXPECT_GT(o.layers[2].activity.at("mac_array").at("cycles"), 0u);
    EXPECT_EQ(o.layers[2].activity.at("post_processor").at("residual_adds"), 9u * 5 * 4);
  }
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
