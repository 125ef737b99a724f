// The SystemC model against the golden reference on random layers: odd sizes
// that are not multiples of the atoms, strides, asymmetric padding, 1x1,
// fc, post-processing, chains, and layers much larger than the buffer.
#include <random>

#include <gtest/gtest.h>

#include "random_layers.hpp"
#include "sdla/tile_plan.hpp"
#include "seed.hpp"

namespace sdla {
namespace {

using test::check;
using test::random_workloads;

void random_layers(const std::string& preset, Precision p, unsigned count, std::uint64_t default_seed) {
  std::mt19937_64 rng(test::seed(default_seed));
  check(preset, random_workloads(rng, p, count));
}

/// int8 and int16 layers with the given formats, in one testbench.
void random_format(const std::string& preset, TensorFormat weights, unsigned count, std::uint64_t default_seed,
                   TensorFormat acts = TensorFormat::dense) {
  std::mt19937_64 rng(test::seed(default_seed));
  auto w = random_workloads(rng, Precision::int8, count, weights, acts);
  for (auto& x : random_workloads(rng, Precision::int16, count, weights, acts)) w.push_back(std::move(x));
  check(preset, w);
}

// 2 x 100 random layers per preset.
TEST(RandomLayers, SmallInt8) { random_layers("small", Precision::int8, 100, 11); }
TEST(RandomLayers, SmallInt16) { random_layers("small", Precision::int16, 100, 12); }
TEST(RandomLayers, FullInt8) { random_layers("full", Precision::int8, 100, 13); }
TEST(RandomLayers, FullInt16) { random_layers("full", Precision::int16, 100, 14); }

// 2:4 weights: kept values and metadata in DRAM and buffer, the array's muxes pick activations.
TEST(RandomLayers, SmallSparse24) { random_format("small", TensorFormat::sparse_2_4, 40, 15); }
TEST(RandomLayers, FullSparse24) { random_format("full", TensorFormat::sparse_2_4, 40, 16); }

// Every combination of weight and activation formats, both presets.
constexpr TensorFormat kDense = TensorFormat::dense, kZvc = TensorFormat::zvc, k24 = TensorFormat::sparse_2_4;
TEST(RandomLayers, SmallZvcWeights) { random_format("small", kZvc, 25, 17); }
TEST(RandomLayers, FullZvcWeights) { random_format("full", kZvc, 25, 18); }
TEST(RandomLayers, SmallZvcActivations) { random_format("small", kDense, 25, 19, kZvc); }
TEST(RandomLayers, FullZvcActivations) { random_format("full", kDense, 25, 20, kZvc); }
TEST(RandomLayers, SmallZvcBoth) { random_format("small", kZvc, 25, 21, kZvc); }
TEST(RandomLayers, FullZvcBoth) { random_format("full", kZvc, 25, 22, kZvc); }
TEST(RandomLayers, SmallSparse24ZvcActivations) { random_format("small", k24, 25, 23, kZvc); }
TEST(RandomLayers, FullSparse24ZvcActivations) { random_format("full", k24, 25, 24, kZvc); }

// Grouped convolution: depthwise 3x3 stride 1 and 2, 2 and 4 groups of channel
// counts that are not multiples of the lanes, with post-processing, every
// weight format and ZVC input, int8 and int16, both presets.
void random_grouped(const std::string& preset, unsigned count, std::uint64_t default_seed) {
  std::mt19937_64 rng(test::seed(default_seed));
  auto w = test::random_grouped_workloads(rng, Precision::int8, count);
  for (auto& x : test::random_grouped_workloads(rng, Precision::int16, count)) w.push_back(std::move(x));
  check(preset, w);
}

void random_grouped_formats(const std::string& preset, unsigned count, std::uint64_t default_seed) {
  std::mt19937_64 rng(test::seed(default_seed));
  std::vector<Workload> w;
  const std::pair<TensorFormat, TensorFormat> formats[] = {{kZvc, kDense}, {k24, kDense}, {kDense, kZvc}, {k24, kZvc}};
  for (Precision p : {Precision::int8, Precision::int16})
    for (auto [weights, acts] : formats)
      for (auto& x : test::random_grouped_workloads(rng, p, count, weights, acts)) w.push_back(std::move(x));
  check(preset, w);
}

TEST(GroupedLayers, Small) { random_grouped("small", 24, 51); }
TEST(GroupedLayers, Full) { random_grouped("full", 24, 52); }
TEST(GroupedLayers, SmallFormats) { random_grouped_formats("small", 6, 53); }
TEST(GroupedLayers, FullFormats) { random_grouped_formats("full", 6, 54); }

Layer conv(unsigned C, unsigned H, unsigned W, unsigned K, unsigned R, unsigned stride, Padding pad, Precision p) {
  Layer l;
  l.name = fmt::format("conv{}x{}x{}_k{}_r{}", C, H, W, K, R);
  l.in_channels = C; l.in_height = H; l.in_width = W; l.out_channels = K;
  l.kernel_h = l.kernel_w = R; l.stride_h = l.stride_w = stride; l.pad = pad; l.precision = p;
  return l;
}

// Inputs and weights far larger than the buffer: tiling over rows, columns,
// output-channel groups and channel blocks, with sums carried across blocks.
TEST(LargeLayers, SmallPresetTilesEverything) {
  std::mt19937_64 rng(test::seed(21));
  std::vector<Workload> w;
  w.push_back(generate_workload({conv(72, 70, 66, 20, 1, 1, {}, Precision::int8)}, rng()));        // 332 KB input
  w.push_back(generate_workload({conv(300, 9, 9, 70, 3, 1, {1, 1, 1, 1}, Precision::int8)}, rng()));  // 189 KB weights
  w.push_back(generate_workload({conv(40, 60, 61, 9, 3, 2, {0, 1, 1, 0}, Precision::int16)}, rng()));
  Layer fc;
  fc.name = "fc_big"; fc.op = Op::fc; fc.in_channels = 4100; fc.out_channels = 70;  // 287 KB weights
  w.push_back(generate_workload({fc}, rng()));
  check("small", w);
}

TEST(LargeLayers, FullPresetTilesEverything) {
  std::mt19937_64 rng(test::seed(22));
  std::vector<Workload> w;
  w.push_back(generate_workload({conv(130, 66, 70, 40, 1, 1, {}, Precision::int8)}, rng()));   // 1.2 MB input
  w.push_back(generate_workload({conv(520, 6, 6, 130, 3, 1, {1, 1, 1, 1}, Precision::int8)}, rng()));  // 608 KB weights
  w.push_back(generate_workload({conv(64, 50, 47, 33, 3, 2, {1, 0, 0, 1}, Precision::int16)}, rng()));
  Layer fc;
  fc.name = "fc_big"; fc.op = Op::fc; fc.in_channels = 9000; fc.out_channels = 100; fc.precision = Precision::int16;
  w.push_back(generate_workload({fc}, rng()));
  check("full", w);
}

// Several post-processed layers run from one START, each feeding the next.
TEST(Chains, ThreeLayersFromOneStart) {
  std::mt19937_64 rng(test::seed(31));
  std::vector<Workload> chains;
  for (Precision p : {Precision::int8, Precision::int16}) {
    std::vector<Layer> layers{conv(19, 13, 11, 24, 3, 1, {1, 1, 1, 1}, p), conv(24, 13, 11, 40, 3, 2, {1, 0, 1, 0}, p),
                              conv(40, 6, 5, 17, 1, 1, {}, p)};
    // Layer 1 reads ZVC written by layer 0 (ReLU makes zeros); layer 2 reads dense.
    layers[1].activation_format = TensorFormat::zvc;
    layers[1].weight_format = TensorFormat::zvc;
    layers[2].weight_format = TensorFormat::sparse_2_4;
    for (auto& l : layers) {
      l.post.enabled = true;
      l.post.relu = true;
      l.post.multiplier = {std::int32_t(p == Precision::int8 ? 3 : 5)};
      l.post.shift = {std::uint8_t(p == Precision::int8 ? 9 : 14)};
    }
    chains.push_back(generate_workload(layers, rng()));
  }
  check("small", chains);
}

// MobileNetV2's inverted residual block without the add: 1x1 expand,
// depthwise 3x3 stride 2 reading the expansion's ZVC output, 1x1 project.
void bottleneck_chain(const std::string& preset, std::uint64_t default_seed) {
  std::mt19937_64 rng(test::seed(default_seed));
  std::vector<Workload> chains;
  for (Precision p : {Precision::int8, Precision::int16}) {
    Layer dw = conv(48, 9, 10, 48, 3, 2, {1, 1, 1, 1}, p);
    dw.groups = 48;
    dw.activation_format = TensorFormat::zvc;
    dw.weight_format = TensorFormat::zvc;
    std::vector<Layer> layers{conv(13, 9, 10, 48, 1, 1, {}, p), dw, conv(48, 5, 5, 19, 1, 1, {}, p)};
    for (auto& l : layers) {
      l.post.enabled = true;
      l.post.relu = &l != &layers.back();
      l.post.multiplier = {std::int32_t(p == Precision::int8 ? 3 : 5)};
      l.post.shift = {std::uint8_t(p == Precision::int8 ? 8 : 13)};
    }
    chains.push_back(generate_workload(layers, rng()));
  }
  check(preset, chains);
}

TEST(GroupedLayers, SmallBottleneckChain) { bottleneck_chain("small", 55); }
TEST(GroupedLayers, FullBottleneckChain) { bottleneck_chain("full", 57); }

// Channel blocks inside an output-channel group: a group's weights that do
// not fit half the buffer, its sums carried across steps.
TEST(GroupedLayers, ChannelBlocksWithinAGroup) {
  std::mt19937_64 rng(test::seed(56));
  Layer l = conv(2000, 4, 5, 18, 3, 1, {1, 1, 1, 1}, Precision::int8);
  l.groups = 2;
  const auto plan = plan_tiles(l, AcceleratorConfig::preset("small"));
  ASSERT_EQ(plan.kgroups_per_block, 1u);
  ASSERT_LT(plan.units_per_block, plan.span()) << plan.summary();
  Layer dw = conv(600, 40, 44, 600, 3, 2, {1, 0, 0, 1}, Precision::int16);  // many steps of each group
  dw.groups = 600;
  check("small", {generate_workload({l}, rng()), generate_workload({dw}, rng())});
}

}  // namespace
}  // namespace sdla
