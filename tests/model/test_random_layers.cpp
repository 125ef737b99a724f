// The SystemC model against the golden reference on random layers: odd sizes
// that are not multiples of the atoms, strides, asymmetric padding, 1x1,
// fc, post-processing, chains, and layers much larger than the buffer.
#include <random>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "seed.hpp"
#include "testbench.hpp"
#include "workload.hpp"

namespace sdla {
namespace {

unsigned pick(std::mt19937_64& rng, unsigned lo, unsigned hi) {
  return std::uniform_int_distribution<unsigned>(lo, hi)(rng);
}

Layer random_layer(std::mt19937_64& rng, Precision p, unsigned index, TensorFormat weights = TensorFormat::dense,
                   TensorFormat acts = TensorFormat::dense) {
  Layer l;
  l.name = fmt::format("rand{}", index);
  l.precision = p;
  l.op = pick(rng, 0, 7) == 0 ? Op::fc : Op::conv2d;
  l.in_channels = pick(rng, 1, 100);
  l.out_channels = pick(rng, 1, 90);
  if (l.op == Op::conv2d) {
    l.in_height = pick(rng, 1, 14);
    l.in_width = pick(rng, 1, 14);
    const unsigned kinds[] = {1, 1, 2, 3, 3, 5};
    l.kernel_h = kinds[pick(rng, 0, 5)];
    l.kernel_w = pick(rng, 0, 3) == 0 ? kinds[pick(rng, 0, 5)] : l.kernel_h;
    l.stride_h = pick(rng, 1, 2);
    l.stride_w = pick(rng, 0, 3) == 0 ? pick(rng, 1, 3) : l.stride_h;
    l.pad = {pick(rng, 0, l.kernel_h - 1), pick(rng, 0, l.kernel_h - 1), pick(rng, 0, l.kernel_w - 1),
             pick(rng, 0, l.kernel_w - 1)};
    l.in_height = std::max(l.in_height, l.kernel_h);
    l.in_width = std::max(l.in_width, l.kernel_w);
  } else {
    l.in_channels = pick(rng, 1, 700);
  }
  l.weight_format = weights;
  l.activation_format = acts;
  // Densities 0 and 1 as well as in between.
  const double densities[] = {0.0, 1.0, 0.1, 0.4, 0.7};
  l.input_density = pick(rng, 0, 2) ? std::uniform_real_distribution<double>(0.2, 1.0)(rng) : densities[pick(rng, 0, 4)];
  l.weight_density = pick(rng, 0, 2) ? std::uniform_real_distribution<double>(0.2, 1.0)(rng) : densities[pick(rng, 0, 4)];
  if (pick(rng, 0, 1)) {
    l.post.enabled = true;
    l.post.relu = pick(rng, 0, 1);
    l.post.multiplier = {std::int32_t(pick(rng, 1, 3000))};
    l.post.shift = {std::uint8_t(pick(rng, 4, 20))};
  }
  return l;
}

/// Runs every workload through one testbench and compares each layer with the golden reference.
void check(const std::string& preset, const std::vector<Workload>& workloads) {
  const auto cfg = AcceleratorConfig::preset(preset);
  std::vector<Program> programs;
  std::uint64_t dram = 0;
  for (const auto& w : workloads) {
    programs.push_back(compile_network(cfg, w.layers, w.input, w.operands));
    dram = std::max(dram, programs.back().end);
  }
  Testbench tb("tb", {cfg, "model", dram, ""});
  const auto outcomes = tb.run(programs);
  ASSERT_EQ(outcomes.size(), workloads.size());
  for (std::size_t i = 0; i < workloads.size(); ++i) {
    const auto golden = golden_outputs(workloads[i]);
    ASSERT_TRUE(outcomes[i].ok) << "workload " << i << ": " << outcomes[i].message;
    ASSERT_EQ(outcomes[i].outputs.size(), golden.size());
    for (std::size_t j = 0; j < golden.size(); ++j) {
      const Layer& l = workloads[i].layers[j];
      EXPECT_TRUE(outcomes[i].outputs[j] == golden[j])
          << "workload " << i << " layer " << l.name << ": " << to_string(l.op) << " " << to_string(l.precision)
          << " C" << l.in_channels << " " << l.in_height << "x" << l.in_width << " K" << l.out_channels << " k"
          << l.kernel_h << "x" << l.kernel_w << " s" << l.stride_h << "," << l.stride_w << " pad " << l.pad.top
          << "," << l.pad.bottom << "," << l.pad.left << "," << l.pad.right << " post " << l.post.enabled;
    }
  }
}

std::vector<Workload> random_workloads(std::mt19937_64& rng, Precision p, unsigned count,
                                       TensorFormat weights = TensorFormat::dense,
                                       TensorFormat acts = TensorFormat::dense) {
  std::vector<Workload> workloads;
  for (unsigned i = 0; i < count; ++i)
    workloads.push_back(generate_workload({random_layer(rng, p, i, weights, acts)}, rng()));
  return workloads;
}

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

}  // namespace
}  // namespace sdla
