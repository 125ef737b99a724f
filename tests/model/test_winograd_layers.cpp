// Winograd F(2x2,3x3) layers through the SystemC model, in both modes
// (exact: bit-identical to direct convolution; nvdla: bit-exact to the nvdla
// golden) on both presets: random eligible layers with odd and tiny output
// sizes, every padding, C and K off the atoms, int8 and int16, ZVC
// activations, chains, layers far larger than the buffer, all-zero inputs.
// Exact layers are also compared with golden::conv2d computed here. Then the
// figures that follow from the algorithm (multiplies, passes, cycles), the
// fallbacks of ineligible requests, and a descriptor with an unknown mode.
#include <algorithm>
#include <iostream>
#include <random>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "expect_has.hpp"
#include "golden/winograd.hpp"
#include "layers.hpp"
#include "random_layers.hpp"
#include "sdla/descriptor.hpp"
#include "sdla/regs.hpp"
#include "sdla/tile_plan.hpp"
#include "seed.hpp"
#include "testbench.hpp"
#include "winograd_layers.hpp"
#include "workload.hpp"

namespace sdla {
namespace {

using test::check_winograd;
using test::counter;
using test::issued;
using test::winograd_issued;
using test::winograd_tiles;
using test::winograd_workloads;

constexpr Winograd kExact = Winograd::exact, kNvdla = Winograd::nvdla;
constexpr Precision kInt8 = Precision::int8, kInt16 = Precision::int16;
constexpr TensorFormat kDense = TensorFormat::dense, kZvc = TensorFormat::zvc;

/// A 3x3 conv2d layer asking for Winograd `mode`.
Layer wconv(const std::string& name, unsigned C, unsigned H, unsigned W, unsigned K, Padding pad, Winograd mode,
            Precision p = kInt8) {
  Layer l = test::conv_layer(name, C, H, W, K, 3, p);
  l.pad = pad;
  l.winograd = mode;
  l.winograd_strict = true;  // these layers are eligible: a fallback would be a test bug
  return l;
}

Layer post(Layer l, Precision p, bool relu = true) {
  // Scales that keep most outputs inside the lane: a 3x3 sum over C channels
  // of products up to 2^14 (int8) or 2^30 (int16).
  return p == kInt8 ? test::with_post(l, 5, 13, relu) : test::with_post(l, 3, 21, relu);
}

// ------------------------------------------------------------ random eligible layers

/// `count` random layers per precision the mode supports (exact: int8; nvdla: int8 and int16).
void random_eligible(const std::string& preset, Winograd mode, unsigned count, std::uint64_t default_seed) {
  std::mt19937_64 rng(test::seed(default_seed));
  auto w = winograd_workloads(rng, mode, kInt8, count);
  if (mode == kNvdla)
    for (auto& x : winograd_workloads(rng, mode, kInt16, count)) w.push_back(std::move(x));
  check_winograd(preset, w);
}

TEST(WinogradLayers, SmallExactRandom) { random_eligible("small", kExact, 150, 101); }
TEST(WinogradLayers, SmallNvdlaRandom) { random_eligible("small", kNvdla, 100, 102); }
TEST(WinogradLayers, FullExactRandom) { random_eligible("full", kExact, 150, 103); }
TEST(WinogradLayers, FullNvdlaRandom) { random_eligible("full", kNvdla, 100, 104); }

/// ZVC input activations (density < 1), both modes, int8 and (nvdla) int16.
void zvc_activations(const std::string& preset, unsigned count, std::uint64_t default_seed) {
  std::mt19937_64 rng(test::seed(default_seed));
  std::vector<Workload> w;
  for (auto& x : winograd_workloads(rng, kExact, kInt8, count, kZvc)) w.push_back(std::move(x));
  for (Precision p : {kInt8, kInt16})
    for (auto& x : winograd_workloads(rng, kNvdla, p, count, kZvc)) w.push_back(std::move(x));
  for (const auto& x : w) EXPECT_LT(x.layers[0].input_density, 1.0);
  check_winograd(preset, w);
}

TEST(WinogradLayers, SmallZvcActivations) { zvc_activations("small", 40, 105); }
TEST(WinogradLayers, FullZvcActivations) { zvc_activations("full", 40, 106); }

// ------------------------------------------------------------ edge shapes

/// Every output shape class (1x1, 1xN, Nx1, 2x2, odd x odd, odd x even) with
/// symmetric, one-sided and no padding, and C, K at 1, one past an atom and
/// one short of one, in both modes (nvdla also int16), post on and off.
std::vector<Workload> edge_shapes(const AcceleratorConfig& cfg, std::uint64_t seed) {
  struct Shape {
    unsigned H, W;
    Padding pad;
  };
  const Shape shapes[] = {
      {1, 1, {1, 1, 1, 1}},   // 1x1 output from a 1x1 input, all padding
      {3, 3, {0, 0, 0, 0}},   // 1x1 output, no padding
      {3, 9, {0, 0, 0, 0}},   // 1x7
      {1, 8, {1, 1, 1, 0}},   // 1x7, asymmetric
      {8, 1, {0, 1, 1, 1}},   // 7x1
      {2, 2, {1, 1, 1, 1}},   // 2x2: exactly one tile
      {7, 9, {1, 1, 1, 1}},   // 7x9
      {9, 6, {2, 0, 0, 2}},   // 9x6, pad 2 on two sides
      {5, 5, {0, 2, 2, 0}},   // 5x5
      {6, 11, {0, 1, 2, 1}},  // 5x12
      {4, 13, {2, 2, 0, 0}},  // 6x11
  };
  std::vector<Workload> w;
  unsigned i = 0;
  for (Winograd mode : {kExact, kNvdla})
    for (Precision p : {kInt8, kInt16}) {
      if (mode == kExact && p == kInt16) continue;
      const unsigned lanes = cfg.lanes(p), ak = cfg.atomic_k;
      const unsigned Cs[] = {1, lanes + 1, 2 * lanes - 1, 3};
      const unsigned Ks[] = {ak + 1, 1, 2 * ak - 1, ak};
      for (const Shape& s : shapes) {
        const unsigned C = Cs[i % 4], K = Ks[(i / 4) % 4];
        Layer l = wconv(fmt::format("edge{}", i), C, s.H, s.W, K, s.pad, mode, p);
        if (mode == kNvdla) l.winograd_input_shift = i % 3;
        if (i % 2) l = post(l, p, i % 4 == 1);
        w.push_back(generate_workload({l}, seed + i));
        ++i;
      }
    }
  return w;
}

TEST(WinogradLayers, SmallEdgeShapes) {
  check_winograd("small", edge_shapes(AcceleratorConfig::preset("small"), test::seed(107)));
}
TEST(WinogradLayers, FullEdgeShapes) {
  check_winograd("full", edge_shapes(AcceleratorConfig::preset("full"), test::seed(108)));
}

// ------------------------------------------------------------ nvdla output scales

/// nvdla's output scale 2^(ws + t - 2) in all its forms: weights of small
/// magnitude make the weight shift ws 0 or 1 (|U'| <= 9 max|g|), so with
/// input shifts t = 0..2 the exponent is negative (rounded right shift),
/// zero, or positive; full-range weights give larger ws.
TEST(WinogradLayers, NvdlaOutputScales) {
  const auto cfg = AcceleratorConfig::preset("small");
  const std::uint64_t seed = test::seed(117);
  std::vector<Workload> w;
  std::vector<int> exponents;
  unsigned i = 0;
  for (Precision p : {kInt8, kInt16})
    for (int bound : {3, 14, 28, 0})  // |g| <= bound; 0: full range
      for (unsigned t = 0; t <= 2; ++t) {
        Layer l = wconv(fmt::format("scale{}", i), 11, 7, 8, 9, {1, 1, 1, 0}, kNvdla, p);
        l.winograd_input_shift = t;
        if (i % 2) l = post(l, p, false);
        Workload x = generate_workload({l}, seed + i++);
        if (bound)
          for (auto& v : x.operands[0].weights.values()) v = std::int16_t(v % (bound + 1));
        const unsigned ws = golden::winograd_weights(x.operands[0].weights, p, golden::WinogradMode::nvdla).weight_shift;
        EXPECT_EQ(compile_network(cfg, x.layers, x.input, x.operands).layers.at(0).layer.winograd_weight_shift, ws)
            << l.name;
        exponents.push_back(int(ws + t) - 2);
        w.push_back(std::move(x));
      }
  EXPECT_LT(*std::min_element(exponents.begin(), exponents.end()), 0);
  EXPECT_GT(*std::max_element(exponents.begin(), exponents.end()), 0);
  EXPECT_NE(std::find(exponents.begin(), exponents.end(), 0), exponents.end());
  check_winograd("small", w);
}

// ------------------------------------------------------------ density 0

/// All-zero inputs (dense and ZVC), all-zero weights, in both modes: the
/// raw outputs are zero and the post-processed ones are the requantised bias.
std::vector<Workload> density_zero(std::uint64_t seed) {
  std::vector<Workload> w;
  unsigned i = 0;
  for (Winograd mode : {kExact, kNvdla})
    for (Precision p : {kInt8, kInt16})
      for (TensorFormat acts : {kDense, kZvc})
        for (bool with_post : {false, true}) {
          if (mode == kExact && p == kInt16) continue;
          Layer l = wconv(fmt::format("zero{}", i), 13 + i, 7, 6, 11, {1, 1, 0, 1}, mode, p);
          l.activation_format = acts;
          l.input_density = 0.0;
          if (with_post) l = post(l, p);
          w.push_back(generate_workload({l}, seed + i++));
          // And dense inputs with all-zero weights.
          l.input_density = 1.0;
          l.weight_density = 0.0;
          l.activation_format = kDense;
          l.name += "_w";
          w.push_back(generate_workload({l}, seed + i++));
        }
  return w;
}

void expect_zero_or_bias(const std::vector<Workload>& w, const std::vector<RunOutcome>& out) {
  ASSERT_EQ(out.size(), w.size());
  for (std::size_t i = 0; i < w.size(); ++i) {
    if (!out[i].ok || w[i].layers[0].post.enabled) continue;
    for (std::int64_t v : out[i].outputs.at(0).values()) ASSERT_EQ(v, 0) << w[i].layers[0].name;
  }
}

TEST(WinogradLayers, SmallDensityZero) {
  const auto w = density_zero(test::seed(109));
  expect_zero_or_bias(w, check_winograd("small", w));
}
TEST(WinogradLayers, FullDensityZero) {
  const auto w = density_zero(test::seed(110));
  expect_zero_or_bias(w, check_winograd("full", w));
}

// ------------------------------------------------------------ chains

/// Chains from one START: every layer but the last post-processed (ReLU),
/// layers after a ReLU layer reading its output ZVC-compressed, exact and
/// nvdla and direct layers mixed.
std::vector<Workload> chains(std::uint64_t seed) {
  std::vector<Workload> w;
  // int8: exact -> nvdla (ZVC in) -> direct 1x1 -> exact (ZVC in, asked as auto) -> nvdla, raw.
  {
    std::vector<Layer> l{post(wconv("c0", 19, 13, 11, 24, {1, 1, 1, 1}, kExact), kInt8),
                         post(wconv("c1", 24, 13, 11, 21, {1, 0, 0, 1}, kNvdla), kInt8),
                         post(test::conv_layer("c2", 21, 12, 10, 30, 1), kInt8),
                         post(wconv("c3", 30, 12, 10, 17, {1, 1, 1, 1}, Winograd::automatic), kInt8),
                         wconv("c4", 17, 12, 10, 9, {0, 1, 1, 0}, kNvdla)};
    l[1].activation_format = l[3].activation_format = kZvc;
    l[1].winograd_input_shift = 1;
    w.push_back(generate_workload(l, seed));
  }
  // int16: nvdla (ZVC in) -> nvdla (ZVC in) -> direct 3x3 -> nvdla (ZVC in), raw.
  {
    std::vector<Layer> l{post(wconv("d0", 10, 9, 10, 12, {1, 1, 1, 1}, kNvdla, kInt16), kInt16),
                         post(wconv("d1", 12, 9, 10, 7, {1, 1, 1, 1}, kNvdla, kInt16), kInt16),
                         post(test::conv_layer("d2", 7, 9, 10, 9, 3, kInt16), kInt16),
                         wconv("d3", 9, 9, 10, 5, {2, 0, 1, 1}, kNvdla, kInt16)};
    l[0].activation_format = kZvc;
    l[0].input_density = 0.6;
    l[1].activation_format = l[3].activation_format = kZvc;
    l[1].winograd_input_shift = 0;
    w.push_back(generate_workload(l, seed + 1));
  }
  // int8, all exact, each ZVC in after the first, post on the last too.
  {
    std::vector<Layer> l;
    for (unsigned j = 0; j < 3; ++j) {
      l.push_back(post(wconv(fmt::format("e{}", j), j == 0 ? 5u : 9u, 6, 5, 9, {1, 1, 1, 1}, kExact), kInt8));
      if (j) l.back().activation_format = kZvc;
    }
    w.push_back(generate_workload(l, seed + 2));
  }
  return w;
}

TEST(WinogradLayers, SmallChains) { check_winograd("small", chains(test::seed(111))); }
TEST(WinogradLayers, FullChains) { check_winograd("full", chains(test::seed(112))); }

// ------------------------------------------------------------ larger than the buffer

/// The number of tile steps and channel blocks the plan has (for the resolved layer).
TilePlan plan_of(const Layer& l, const AcceleratorConfig& cfg) { return plan_tiles(resolve_winograd(l), cfg); }

void large_layers(const std::string& preset, const std::vector<Layer>& layers, std::uint64_t seed) {
  const auto cfg = AcceleratorConfig::preset(preset);
  std::vector<Workload> w;
  bool channel_blocks = false;
  for (std::size_t i = 0; i < layers.size(); ++i) {
    const TilePlan plan = plan_of(layers[i], cfg);
    EXPECT_GE(plan.step_count(), 4u) << layers[i].name << ": " << plan.summary();
    channel_blocks = channel_blocks || plan.units_per_block < plan.units;
    std::cout << layers[i].name << ": " << plan.summary() << "\n";
    w.push_back(generate_workload({layers[i]}, seed + i));
  }
  EXPECT_TRUE(channel_blocks) << "no layer splits its channels into blocks";
  check_winograd(preset, w);
}

TEST(WinogradLayers, SmallLargerThanBuffer) {
  // small: 128 KiB buffer (64 KiB per slot), 16 KiB accumulator.
  std::vector<Layer> l;
  for (Winograd mode : {kExact, kNvdla}) {
    // C = 512: 512 x 16 x 16 components = 128 KiB of nvdla weights (256 KiB exact): channel blocks.
    l.push_back(post(wconv("c512", 512, 12, 11, 16, {1, 1, 1, 1}, mode), kInt8));
    // 61x58x24 = 83 KiB of input: many spatial steps.
    l.push_back(wconv("wide", 24, 61, 58, 20, {1, 0, 1, 1}, mode));
    // 301 output columns: one row of tiles needs 5 * 151 accumulator entries per
    // column, more than the 512 (int32) there are: steps split the columns too.
    l.push_back(wconv("cols", 20, 7, 301, 12, {1, 1, 1, 1}, mode));
  }
  l.push_back(wconv("cols_int16", 12, 5, 151, 9, {1, 0, 1, 1}, kNvdla, kInt16));
  l.push_back(wconv("c300_int16", 300, 9, 10, 19, {0, 1, 1, 0}, kNvdla, kInt16));
  l.back().winograd_input_shift = 1;
  l.push_back(post(wconv("wide_int16", 20, 47, 40, 10, {1, 1, 1, 1}, kNvdla, kInt16), kInt16));
  large_layers("small", l, test::seed(113));
}

TEST(WinogradLayers, FullLargerThanBuffer) {
  // full: 512 KiB buffer (256 KiB per slot), 128 KiB accumulator.
  std::vector<Layer> l;
  for (Winograd mode : {kExact, kNvdla}) {
    // C = 1100, K = 40: 688 KiB of nvdla weights.
    l.push_back(post(wconv("c1100", 1100, 8, 9, 40, {1, 1, 1, 1}, mode), kInt8));
    // 90x75x64 = 422 KiB of input.
    l.push_back(wconv("wide", 64, 90, 75, 33, {0, 1, 1, 1}, mode));
    // 451 output columns: more than the 1024 / 5 tiles of accumulator per column.
    l.push_back(wconv("cols", 40, 5, 451, 40, {1, 0, 1, 1}, mode));
  }
  l.push_back(wconv("c600_int16", 600, 7, 8, 70, {1, 1, 0, 1}, kNvdla, kInt16));
  large_layers("full", l, test::seed(114));
}

/// Random eligible layers big enough to need several steps (spatial tiles
/// cut at even rows and columns, output-channel and channel blocks), odd
/// sizes, dense and ZVC activations, both modes.
void random_tiled(const std::string& preset, unsigned per_kind, unsigned max_c, unsigned max_out,
                  std::uint64_t default_seed) {
  const auto cfg = AcceleratorConfig::preset(preset);
  std::mt19937_64 rng(test::seed(default_seed));
  std::vector<Workload> w;
  std::size_t multi_step = 0;
  unsigned i = 0;
  for (Winograd mode : {kExact, kNvdla})
    for (Precision p : {kInt8, kInt16}) {
      if (mode == kExact && p == kInt16) continue;
      for (unsigned n = 0; n < per_kind; ++n) {
        const Layer l = test::winograd_layer(rng, mode, p, i++, test::pick(rng, 0, 1) ? kZvc : kDense, max_c, 70,
                                             max_out);
        multi_step += plan_of(l, cfg).step_count() > 1;
        w.push_back(generate_workload({l}, rng()));
      }
    }
  EXPECT_GE(multi_step, w.size() / 2) << "most layers should need more than one step";
  check_winograd(preset, w);
}

TEST(WinogradLayers, SmallRandomTiled) { random_tiled("small", 8, 300, 40, 115); }
TEST(WinogradLayers, FullRandomTiled) { random_tiled("full", 6, 700, 48, 116); }

// ------------------------------------------------------------ figures

/// ResNet-50 conv2_x: 56x56, 64->64, 3x3, pad 1, int8, on the full array
/// (64 int8 lanes x 32 columns; 32 int16 lanes), with winograd off, exact, nvdla.
///
/// Direct: every output pixel takes 9 products per (c, k):
///   9 * 56 * 56 * 64 * 64 = 115 605 504 issued multiplies.
/// Winograd: 28 x 28 = 784 tiles of 2x2 outputs, 16 products per tile per (c, k):
///   16 * 784 * 64 * 64 = 51 380 224, 2.25x fewer (36 / 16), in both modes:
///   exact only moves the same products onto the int16 lanes (two half-atom
///   passes of 32 lanes instead of one of 64).
/// Cycles: a pass streams one vector (a pixel, or a tile's component) per
/// cycle after `columns` cycles of weight load. Direct runs 9 passes of 3136
/// pixel-vectors per (group, atom), nvdla 16 of 784 tile-vectors: 28224 vs
/// 12544 streaming cycles per group and atom, 2.25x, less the weight loads,
/// so at least 2x. Exact has twice nvdla's passes (two halves per atom).
TEST(WinogradFigures, ResNet50Conv2x) {
  const std::uint64_t seed = test::seed(121);
  std::vector<Workload> w;
  for (Winograd mode : {Winograd::off, kExact, kNvdla}) {
    Layer l = post(test::conv_layer(std::string("conv2_x_") + to_string(mode), 64, 56, 56, 64, 3), kInt8);
    l.winograd = mode;
    l.winograd_strict = true;
    w.push_back(generate_workload({l}, seed));  // same seed: the same tensors in every mode
  }
  const auto out = check_winograd("full", w);
  ASSERT_EQ(out.size(), 3u);
  for (const auto& o : out) ASSERT_TRUE(o.ok && o.layers.size() == 1);
  const LayerRecord &off = out[0].layers[0], &exact = out[1].layers[0], &nvdla = out[2].layers[0];
  for (const LayerRecord* r : {&off, &exact, &nvdla})
    std::cout << fmt::format("{:16} issued {:>10} (random {:>10} gated {:>9})  MAC cycles {:>6}  passes {:>4}  "
                             "layer cycles {:>6}\n",
                             r->layer.name, issued(*r), counter(*r, "mac_array", "mac_random"),
                             counter(*r, "mac_array", "mac_gated"), counter(*r, "mac_array", "cycles"),
                             counter(*r, "mac_array", "passes"), r->cycles);

  EXPECT_EQ(issued(off), 9ull * 56 * 56 * 64 * 64);
  EXPECT_EQ(issued(exact), 16ull * 28 * 28 * 64 * 64);
  EXPECT_EQ(issued(nvdla), issued(exact));
  for (const LayerRecord* r : {&exact, &nvdla})
    EXPECT_GE(double(issued(off)), 2.2 * double(issued(*r))) << r->layer.name;
  EXPECT_GE(double(counter(off, "mac_array", "cycles")), 2.0 * double(counter(nvdla, "mac_array", "cycles")));
  EXPECT_EQ(counter(exact, "mac_array", "passes"), 2 * counter(nvdla, "mac_array", "passes"));
  // Exact streams the same tile-vectors twice (two halves): its array time lies
  // between nvdla's and twice nvdla's, and below direct's.
  EXPECT_GT(counter(exact, "mac_array", "cycles"), counter(nvdla, "mac_array", "cycles"));
  EXPECT_LE(counter(exact, "mac_array", "cycles"), 2 * counter(nvdla, "mac_array", "cycles"));
  EXPECT_LT(counter(exact, "mac_array", "cycles"), counter(off, "mac_array", "cycles"));
  // Transform adds: 3 per lane of every input vector (4 inputs each), for
  // each of the 2 column groups; 36 per tile and output channel in the
  // output transform (A^T has 6 non-zeros: 6 x 6 outputs reached over the 16
  // components). Both modes the same: 4 816 896 + 1 806 336 = 6 623 232.
  for (const LayerRecord* r : {&exact, &nvdla}) {
    EXPECT_EQ(counter(*r, "winograd_input_transform", "adds"), 3ull * 16 * 784 * 2 * 64) << r->layer.name;
    EXPECT_EQ(counter(*r, "winograd_output_transform", "adds"), 36ull * 784 * 64) << r->layer.name;
  }
  EXPECT_EQ(counter(off, "winograd_input_transform", "adds"), 0u);
}

/// A layer small enough for one step, with every lane and column valid:
/// C a multiple of the int8 lanes, K of atomic_k. Everything follows by hand:
///   tiles = ceil(P/2) * ceil(Q/2); units = C / lanes(int8); groups = K / atomic_k;
///   passes = 16 components * groups * units * halves (exact: 2 halves of int16 lanes);
///   each pass streams `tiles` vectors after `atomic_k` weight-load cycles;
///   issued = passes * atomic_k * pass_lanes * tiles = 16 * tiles * C * K;
///   issued + idle = cycles * atomic_k * pass_lanes (every multiplier, every cycle);
///   input transform: one vector per tile per pass, 4 inputs summed (3 adds)
///     per lane: inputs = 4 * 16 * tiles * groups * C;
///   output transform: each component's sums folded into the 2x2 outputs once
///     per tile and column: folds = 16 * tiles * K; A^T has 6 non-zeros, so the
///     16 components reach 6 * 6 = 36 outputs per tile: adds = 36 * tiles * K;
///     outputs = K * P * Q.
void by_hand(const std::string& preset, unsigned C, unsigned K, unsigned H, unsigned W, std::uint64_t default_seed) {
  const auto cfg = AcceleratorConfig::preset(preset);
  const std::uint64_t seed = test::seed(default_seed);
  std::vector<Workload> w;
  for (Winograd mode : {kExact, kNvdla})
    w.push_back(generate_workload({wconv(std::string("hand_") + to_string(mode), C, H, W, K, {1, 1, 1, 1}, mode)},
                                  seed));
  ASSERT_EQ(C % cfg.lanes(kInt8), 0u);
  ASSERT_EQ(K % cfg.atomic_k, 0u);
  const auto out = check_winograd(preset, w);
  ASSERT_EQ(out.size(), 2u);
  for (std::size_t i = 0; i < 2; ++i) {
    ASSERT_TRUE(out[i].ok);
    const Layer l = resolve_winograd(w[i].layers[0]);
    const LayerRecord& rec = out[i].layers.at(0);
    SCOPED_TRACE(l.name);
    ASSERT_EQ(plan_of(l, cfg).step_count(), 1u) << "the layer should fit one step";
    const std::uint64_t P = l.out_height(), Q = l.out_width(), tiles = (P + 1) / 2 * ((Q + 1) / 2);
    const std::uint64_t halves = l.winograd == kExact ? 2 : 1;
    const std::uint64_t pass_lanes = cfg.lanes(kInt8) / halves;  // exact: the int16 lanes
    const std::uint64_t units = C / cfg.lanes(kInt8), groups = K / cfg.atomic_k;
    const std::uint64_t passes = 16 * groups * units * halves;
    const std::uint64_t cycles = passes * (cfg.atomic_k + tiles);
    EXPECT_EQ(tiles, winograd_tiles(l));
    EXPECT_EQ(counter(rec, "mac_array", "passes"), passes);
    EXPECT_EQ(counter(rec, "mac_array", "cycles"), cycles);
    EXPECT_EQ(issued(rec), 16 * tiles * C * K);
    EXPECT_EQ(issued(rec), passes * cfg.atomic_k * pass_lanes * tiles);
    EXPECT_EQ(issued(rec), winograd_issued(l));
    EXPECT_EQ(issued(rec) + counter(rec, "mac_array", "mac_idle"), cycles * cfg.atomic_k * pass_lanes);
    EXPECT_EQ(counter(rec, "winograd_input_transform", "vectors"), passes * tiles);
    EXPECT_EQ(counter(rec, "winograd_input_transform", "inputs"), 4 * 16 * tiles * groups * C);
    EXPECT_EQ(counter(rec, "winograd_input_transform", "adds"), 3 * 16 * tiles * groups * C);
    EXPECT_EQ(counter(rec, "winograd_output_transform", "folds"), 16 * tiles * K);
    EXPECT_EQ(counter(rec, "winograd_output_transform", "adds"), 36 * tiles * K);
    EXPECT_EQ(counter(rec, "winograd_output_transform", "outputs"), K * P * Q);
    std::cout << fmt::format("{} {}: tiles {} passes {} MAC cycles {} issued {} (16 * tiles * C * K = {})\n", preset,
                             l.name, tiles, counter(rec, "mac_array", "passes"), counter(rec, "mac_array", "cycles"),
                             issued(rec), 16 * tiles * C * K);
  }
}

// small: 8 int8 lanes, 8 columns; 7x7 output -> 16 tiles (the last row and column partial).
TEST(WinogradFigures, SmallIssuedMultipliesBy16TilesCK) { by_hand("small", 16, 16, 7, 7, 122); }
// full: 64 int8 lanes, 32 columns.
TEST(WinogradFigures, FullIssuedMultipliesBy16TilesCK) { by_hand("full", 64, 32, 6, 7, 123); }

// ------------------------------------------------------------ fallbacks

/// Ineligible requests run direct: the outcome's layer says off and why,
/// the result is still bit-exact and the Winograd units stay idle.
TEST(WinogradFallback, IneligibleRequestsRunDirect) {
  const std::uint64_t seed = test::seed(131);
  struct Case {
    Layer layer;
    std::string reason;  ///< a fragment of winograd_fallback
  };
  std::vector<Case> cases;
  auto asking = [](Layer l, Winograd mode) {
    l.winograd = mode;
    return l;
  };
  cases.push_back({asking(test::conv_layer("auto_1x1", 20, 9, 7, 11, 1), Winograd::automatic), "3x3"});
  {
    Layer l = asking(test::conv_layer("auto_stride2", 20, 9, 8, 11, 3), Winograd::automatic);
    l.stride_h = l.stride_w = 2;
    cases.push_back({l, "stride"});
  }
  {
    Layer l = asking(test::conv_layer("auto_stride_1x2", 12, 9, 8, 10, 3), Winograd::automatic);
    l.stride_w = 2;
    cases.push_back({l, "stride"});
  }
  {
    Layer l = asking(test::conv_layer("auto_2to4", 24, 8, 9, 11, 3), Winograd::automatic);
    l.weight_format = TensorFormat::sparse_2_4;
    cases.push_back({l, "2:4"});
  }
  {
    Layer l = asking(test::conv_layer("nvdla_zvc_weights", 24, 8, 9, 11, 3), kNvdla);
    l.weight_format = kZvc;
    l.weight_density = 0.5;
    cases.push_back({l, "ZVC"});
  }
  {
    Layer l = asking(test::conv_layer("auto_fc", 300, 1, 1, 20, 1), Winograd::automatic);
    l.op = Op::fc;
    l.pad = {};
    cases.push_back({l, "3x3"});
  }
  cases.push_back({asking(test::conv_layer("nvdla_5x5", 8, 9, 9, 7, 5), kNvdla), "3x3"});
  cases.push_back({asking(test::conv_layer("exact_int16", 20, 7, 8, 11, 3, kInt16), kExact), "int16"});
  // A component's exact sum, up to 1152 * 512 * C, must fit int32: C <= 3640.
  cases.push_back({asking(test::conv_layer("exact_c3641", 3641, 2, 2, 3, 3), kExact), "int32 accumulator"});
  // auto means exact where eligible: int16 is not, so auto runs direct too.
  cases.push_back({asking(test::conv_layer("auto_int16", 20, 7, 8, 11, 3, kInt16), Winograd::automatic), "int16"});
  // Controls: eligible requests keep (auto: take) their mode.
  const std::size_t controls = cases.size();
  cases.push_back({asking(test::conv_layer("auto_eligible", 20, 7, 8, 11, 3), Winograd::automatic), ""});
  cases.push_back({asking(test::conv_layer("nvdla_int16", 20, 7, 8, 11, 3, kInt16), kNvdla), ""});

  std::vector<Workload> w;
  for (std::size_t i = 0; i < cases.size(); ++i) {
    Layer l = cases[i].layer;
    if (i % 2) l = post(l, l.precision);
    w.push_back(generate_workload({l}, seed + i));
  }
  const auto out = check_winograd("small", w);
  ASSERT_EQ(out.size(), cases.size());
  for (std::size_t i = 0; i < cases.size(); ++i) {
    SCOPED_TRACE(cases[i].layer.name);
    ASSERT_TRUE(out[i].ok);
    const Layer& ran = out[i].layers.at(0).layer;
    if (i < controls) {
      EXPECT_EQ(ran.winograd, Winograd::off);
      EXPECT_FALSE(ran.winograd_fallback.empty());
      EXPECT_HAS(ran.winograd_fallback, cases[i].reason);
      EXPECT_EQ(ran.winograd_fallback, resolve_winograd(cases[i].layer).winograd_fallback);
      EXPECT_EQ(out[i].layers[0].activity.count("winograd_input_transform"), 0u);
    } else {
      EXPECT_EQ(ran.winograd, i == controls ? kExact : kNvdla);
      EXPECT_EQ(ran.winograd_fallback, "");
    }
  }
}

/// With winograd_strict the same requests are errors: resolve_winograd and
/// compile_network throw LayerError naming the layer and the reason.
TEST(WinogradFallback, StrictIneligibleRequestsThrow) {
  const auto cfg = AcceleratorConfig::preset("small");
  const std::uint64_t seed = test::seed(132);
  std::vector<std::pair<Layer, std::string>> cases;
  {
    Layer l = test::conv_layer("strict_1x1", 8, 5, 5, 8, 1);
    l.winograd = Winograd::automatic;
    cases.push_back({l, "3x3"});
  }
  {
    Layer l = test::conv_layer("strict_stride2", 8, 9, 9, 8, 3);
    l.winograd = kNvdla;
    l.stride_h = l.stride_w = 2;
    cases.push_back({l, "stride"});
  }
  {
    Layer l = test::conv_layer("strict_2to4", 8, 5, 5, 8, 3);
    l.winograd = Winograd::automatic;
    l.weight_format = TensorFormat::sparse_2_4;
    cases.push_back({l, "2:4"});
  }
  {
    Layer l = test::conv_layer("strict_int16", 8, 5, 5, 8, 3, kInt16);
    l.winograd = kExact;
    cases.push_back({l, "int16"});
  }
  for (auto& [l, reason] : cases) {
    SCOPED_TRACE(l.name);
    l.winograd_strict = true;
    const Workload w = generate_workload({l}, seed);
    try {
      resolve_winograd(l);
      ADD_FAILURE() << "resolve_winograd did not throw";
    } catch (const LayerError& e) {
      EXPECT_HAS(std::string(e.what()), l.name);
      EXPECT_HAS(std::string(e.what()), reason);
    }
    try {
      compile_network(cfg, w.layers, w.input, w.operands);
      ADD_FAILURE() << "compile_network did not throw";
    } catch (const LayerError& e) {
      EXPECT_HAS(std::string(e.what()), l.name);
      EXPECT_HAS(std::string(e.what()), reason);
    }
    // Not strict: the same layer compiles, falling back to direct.
    std::vector<Layer> relaxed = w.layers;
    relaxed[0].winograd_strict = false;
    const Program prog = compile_network(cfg, relaxed, w.input, w.operands);
    EXPECT_EQ(prog.layers.at(0).layer.winograd, Winograd::off);
    EXPECT_HAS(prog.layers.at(0).layer.winograd_fallback, reason);
  }
  // Strict and eligible: no error, the mode is kept.
  Layer ok = wconv("strict_ok", 8, 5, 5, 8, {1, 1, 1, 1}, kExact);
  EXPECT_EQ(resolve_winograd(ok).winograd, kExact);
  ok.winograd = Winograd::automatic;
  EXPECT_EQ(resolve_winograd(ok).winograd, kExact);
}

// ------------------------------------------------------------ descriptor errors

Segment& segment_at(Program& prog, std::uint64_t addr) {
  for (auto& s : prog.segments)
    if (s.addr == addr) return s;
  throw std::logic_error(fmt::format("no segment at {:#x}", addr));
}

/// A copy of `prog` with its first descriptor changed by `patch`, re-encoded into its bytes.
template <class F>
Program patched(Program prog, F patch) {
  Segment& seg = segment_at(prog, prog.layers.at(0).descriptor);
  LayerDescriptor d = LayerDescriptor::decode(seg.bytes.data());
  patch(d);
  const auto bytes = d.encode();
  seg.bytes.assign(bytes.begin(), bytes.end());
  return prog;
}

/// Descriptors the host compiler would never write: an unknown mode byte,
/// Winograd on an ineligible layer, out-of-range shifts. Each ends the run
/// with invalid_layer on layer 0 and nothing computed; a good Winograd
/// program run afterwards in the same simulation is correct.
TEST(WinogradErrors, BadWinogradDescriptorFieldsAreInvalidLayer) {
  const auto cfg = AcceleratorConfig::preset("small");
  const std::uint64_t seed = test::seed(141);
  const Workload good = generate_workload({post(wconv("good", 12, 7, 6, 10, {1, 1, 1, 1}, kNvdla), kInt8)}, seed);
  const Program prog = compile_network(cfg, good.layers, good.input, good.operands);
  {
    Program copy = prog;
    ASSERT_EQ(LayerDescriptor::decode(segment_at(copy, copy.layers.at(0).descriptor).bytes.data()).winograd, 2u);
  }
  const Workload direct_1x1 = generate_workload({test::conv_layer("direct_1x1", 12, 7, 6, 10, 1)}, seed + 1);
  const Program prog_1x1 = compile_network(cfg, direct_1x1.layers, direct_1x1.input, direct_1x1.operands);
  const Workload int16 = generate_workload({test::conv_layer("direct_int16", 12, 7, 6, 10, 3, kInt16)}, seed + 2);
  const Program prog_int16 = compile_network(cfg, int16.layers, int16.input, int16.operands);

  struct Bad {
    std::string what;
    Program prog;
    std::string message;
  };
  const std::vector<Bad> bad{
      {"mode 3", patched(prog, [](LayerDescriptor& d) { d.winograd = 3; }), "winograd mode 3"},
      {"mode 255", patched(prog, [](LayerDescriptor& d) { d.winograd = 255; }), "winograd mode 255"},
      {"exact on a 1x1 layer", patched(prog_1x1, [](LayerDescriptor& d) { d.winograd = 1; }), "3x3"},
      {"exact on an int16 layer", patched(prog_int16, [](LayerDescriptor& d) { d.winograd = 1; }), "int16"},
      {"input shift 3", patched(prog, [](LayerDescriptor& d) { d.winograd_input_shift = 3; }),
       "winograd_input_shift 3"},
      {"weight shift 21", patched(prog, [](LayerDescriptor& d) { d.winograd_weight_shift = 21; }),
       "winograd_weight_shift 21"},
  };
  std::vector<Program> programs;
  for (const auto& b : bad) programs.push_back(b.prog);
  programs.push_back(prog);
  std::uint64_t dram = 0;
  for (const auto& p : programs) dram = std::max(dram, p.end);
  Testbench tb("tb", {cfg, "model", dram, {}});
  const auto out = tb.run(programs);
  ASSERT_EQ(out.size(), programs.size()) << "a run ended without an interrupt";
  for (std::size_t i = 0; i < bad.size(); ++i) {
    SCOPED_TRACE(bad[i].what);
    EXPECT_FALSE(out[i].ok);
    EXPECT_EQ(out[i].error, regs::ErrorCode::invalid_layer)
        << "got " << regs::to_string(out[i].error) << ": " << out[i].message;
    EXPECT_EQ(out[i].error_layer, 0u);
    EXPECT_TRUE(out[i].layers.empty()) << "completed layers";
    EXPECT_HAS(out[i].message, bad[i].message);
  }
  const RunOutcome& last = out.back();
  ASSERT_TRUE(last.ok) << "the good program after the errors failed: " << last.message;
  ASSERT_EQ(last.outputs.size(), 1u);
  EXPECT_TRUE(last.outputs[0] == golden_outputs(good)[0]);
  EXPECT_EQ(issued(last.layers.at(0)), winograd_issued(resolve_winograd(good.layers[0])));
}

}  // namespace
}  // namespace sdla
