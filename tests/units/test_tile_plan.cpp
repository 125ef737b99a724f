// Unit bench of the tile plan (include/sdla/tile_plan.hpp, plain C++): the
// invariants every plan must keep, checked on many random layers of both
// presets, both precisions, every weight format, strides, padding and
// Winograd layers.
//  (a) every (output pixel, output-channel group, channel unit) is computed
//      by exactly one step, and each step's input window is the receptive
//      field of its outputs clipped to the image;
//  (b) a step's weights plus its input window fit one buffer slot (half the
//      buffer), in the bytes the plan documents (unit_bytes, block_col_bytes);
//      with ZVC fill hints, the bytes the loader really allocates fit too;
//  (c) the sums a step keeps fit the accumulator;
//  (d) Winograd steps cover whole 2x2 tiles except at the layer's edge, with
//      16 weight positions per pass precision atom (32 for exact int8).
// A layer whose smallest step cannot fit raises TilingError.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "sdla/config.hpp"
#include "sdla/descriptor.hpp"
#include "sdla/layer.hpp"
#include "sdla/tile_plan.hpp"
#include "seed.hpp"

namespace sdla {
namespace {

unsigned pick(std::mt19937_64& rng, unsigned lo, unsigned hi) {
  return std::uniform_int_distribution<unsigned>(lo, hi)(rng);
}
unsigned ceil_div(unsigned a, unsigned b) { return (a + b - 1) / b; }

/// A random valid layer. `winograd_share` of the 3x3 stride-1 dense-weight
/// conv layers ask for Winograd (exact for int8, nvdla for either precision).
Layer random_layer(std::mt19937_64& rng, unsigned index, unsigned max_hw, unsigned max_c, unsigned max_k) {
  Layer l;
  l.name = fmt::format("rand{}", index);
  l.precision = pick(rng, 0, 1) ? Precision::int16 : Precision::int8;
  const TensorFormat formats[] = {TensorFormat::dense, TensorFormat::zvc, TensorFormat::sparse_2_4};
  l.weight_format = formats[pick(rng, 0, 2)];
  l.activation_format = pick(rng, 0, 2) == 0 ? TensorFormat::zvc : TensorFormat::dense;
  l.in_channels = pick(rng, 1, max_c);
  l.out_channels = pick(rng, 1, max_k);
  if (pick(rng, 0, 9) == 0) {
    l.op = Op::fc;
    l.in_channels = pick(rng, 1, 4 * max_c);
    return l;
  }
  l.in_height = pick(rng, 1, max_hw);
  l.in_width = pick(rng, 1, max_hw);
  // Some rows wider than the accumulator holds, so steps split a row too.
  if (pick(rng, 0, 7) == 0) {
    l.in_height = pick(rng, 1, 6);
    l.in_width = pick(rng, 500, 2500);
  }
  const unsigned kinds[] = {1, 2, 3, 3, 3, 5, 7};
  l.kernel_h = kinds[pick(rng, 0, 6)];
  l.kernel_w = pick(rng, 0, 3) == 0 ? kinds[pick(rng, 0, 6)] : l.kernel_h;
  l.stride_h = pick(rng, 0, 2) == 0 ? pick(rng, 2, 3) : 1;
  l.stride_w = pick(rng, 0, 3) == 0 ? pick(rng, 1, 3) : l.stride_h;
  l.pad = {pick(rng, 0, l.kernel_h - 1), pick(rng, 0, l.kernel_h - 1), pick(rng, 0, l.kernel_w - 1),
           pick(rng, 0, l.kernel_w - 1)};
  l.in_height = std::max(l.in_height, l.kernel_h);
  l.in_width = std::max(l.in_width, l.kernel_w);
  return l;
}

/// Makes `l` a Winograd layer of mode `w`: 3x3, stride 1, dense weights.
Layer make_winograd(Layer l, Winograd w, std::mt19937_64& rng) {
  l.op = Op::conv2d;
  l.kernel_h = l.kernel_w = 3;
  l.stride_h = l.stride_w = 1;
  l.pad = {pick(rng, 0, 2), pick(rng, 0, 2), pick(rng, 0, 2), pick(rng, 0, 2)};
  l.in_height = std::max(l.in_height, 3u);
  l.in_width = std::max(l.in_width, 3u);
  l.weight_format = TensorFormat::dense;
  if (w == Winograd::exact) {
    l.precision = Precision::int8;
    l.in_channels = std::min(l.in_channels, 3640u);  // exact sums must fit the int32 accumulator
  }
  l.winograd = w;
  return l;
}

/// What the random layers exercised, so the suite cannot pass vacuously.
struct Seen {
  unsigned split_k = 0, split_c = 0, split_rows = 0, split_cols = 0, winograd = 0, odd_edge = 0;
};

std::string describe(const Layer& l, const AcceleratorConfig& cfg, const TilePlan& plan) {
  return fmt::format("{} on {}: {} C={} {}x{} K={} kernel {}x{} stride {}x{} pad {},{},{},{} weights {} input {} "
                     "winograd {}; plan: {}",
                     l.name, cfg.name, to_string(l.precision), l.in_channels, l.in_height, l.in_width, l.out_channels,
                     l.kernel_h, l.kernel_w, l.stride_h, l.stride_w, l.pad.top, l.pad.bottom, l.pad.left, l.pad.right,
                     to_string(l.weight_format), to_string(l.activation_format), to_string(l.winograd), plan.summary());
}

/// Checks (a)-(d) on one layer; fill hints 1 (planned as dense).
void check_plan(const Layer& l, const AcceleratorConfig& cfg, Seen& seen) {
  ASSERT_NO_THROW(l.validate()) << l.name;
  ASSERT_EQ(winograd_ineligibility(l), "") << l.name;
  const TilePlan plan = plan_tiles(l, cfg);
  SCOPED_TRACE(describe(l, cfg, plan));
  const unsigned P = l.out_height(), Q = l.out_width();
  const unsigned lanes = cfg.lanes(l.precision);

  // The plan's derived fields, from the layer and the configuration.
  const bool sparse = l.weight_format == TensorFormat::sparse_2_4;
  ASSERT_EQ(plan.lanes, lanes);
  ASSERT_EQ(plan.in_atoms, ceil_div(l.in_channels, lanes));
  ASSERT_EQ(plan.unit_atoms, sparse ? 2u : 1u);
  ASSERT_EQ(plan.units, ceil_div(plan.in_atoms, plan.unit_atoms));
  ASSERT_EQ(plan.kgroups, ceil_div(l.out_channels, cfg.atomic_k));
  ASSERT_EQ(plan.slot_bytes, cfg.buffer_bytes() / 2);
  ASSERT_EQ(plan.winograd, l.winograd);
  ASSERT_GE(plan.kgroups_per_block, 1u);
  ASSERT_GE(plan.units_per_block, 1u);
  ASSERT_GE(plan.rows_per_tile, 1u);
  ASSERT_GE(plan.cols_per_tile, 1u);

  // Grouped layers: each output-channel group visits `span` units from
  // first_unit, covering every unit its columns read (computed here from
  // the definition); one group per step. groups 1: all units from 0.
  const ChannelSpan& cs = plan.channels;
  const unsigned unit_lanes = lanes * plan.unit_atoms, cg = l.in_channels / l.groups, kpg = l.out_channels / l.groups;
  unsigned most = 0;
  for (unsigned g = 0; g < plan.kgroups; ++g) {
    const unsigned k0 = g * cfg.atomic_k, k1 = std::min(l.out_channels, k0 + cfg.atomic_k) - 1;
    const unsigned need0 = k0 / kpg * cg / unit_lanes, need1 = ceil_div((k1 / kpg + 1) * cg, unit_lanes);
    ASSERT_LE(cs.first_unit(g), need0) << "group " << g;
    ASSERT_GE(cs.first_unit(g) + cs.span, need1) << "group " << g;
    ASSERT_LE(cs.first_unit(g) + cs.span, plan.units) << "group " << g;
    most = std::max(most, need1 - need0);
  }
  ASSERT_EQ(cs.span, most);
  if (l.groups == 1) {
    ASSERT_EQ(cs.span, plan.units);
  } else {
    ASSERT_EQ(plan.kgroups_per_block, 1u);
  }
  const unsigned span = cs.span;

  // (d) Weight positions: R x S direct; 16 Winograd components per atom of
  // the pass precision, so exact int8 (int16 lanes, half as many) takes 32.
  if (l.winograd == Winograd::off) {
    EXPECT_EQ(plan.positions, l.kernel_h * l.kernel_w);
    EXPECT_EQ(plan.halves, 1u);
    EXPECT_EQ(plan.pass_precision, l.precision);
  } else if (l.winograd == Winograd::nvdla) {
    EXPECT_EQ(plan.positions, 16u);
    EXPECT_EQ(plan.halves, 1u);
    EXPECT_EQ(plan.pass_precision, l.precision);
  } else {
    EXPECT_EQ(plan.positions, 16u * cfg.lanes(Precision::int8) / cfg.lanes(Precision::int16));
    EXPECT_EQ(plan.positions, 32u);
    EXPECT_EQ(plan.halves, 2u);
    EXPECT_EQ(plan.pass_precision, Precision::int16);
  }

  // (c) The accumulator: every group of the block stays resident while the
  // channel blocks go by, unless all channel units fit one block.
  const std::size_t groups_resident = plan.units_per_block < span ? plan.kgroups_per_block : 1;
  const std::size_t capacity = cfg.accumulator_bytes / accumulator_bytes(l.precision);
  EXPECT_LE(groups_resident * cfg.atomic_k * plan.accumulator_entries(plan.rows_per_tile, plan.cols_per_tile),
            capacity);

  // (a) Coverage: one counter per (pixel, group, unit the group visits).
  const std::size_t cells = std::size_t(P) * Q * plan.kgroups * span;
  ASSERT_LE(cells, std::size_t(64) << 20) << "layer too big for the coverage check";
  std::vector<std::uint8_t> covered(cells, 0);
  const std::size_t n = plan.step_count();
  ASSERT_GT(n, 0u);
  std::size_t over = 0;
  for (std::size_t i = 0; i < n; ++i) {
    const TileStep s = plan.step(i);
    SCOPED_TRACE(fmt::format("step {}: groups [{},{}) units [{},{}) pixels [{},{})x[{},{}) window [{},{})x[{},{})", i,
                             s.kg0, s.kg1, s.u0, s.u1, s.p0, s.p1, s.q0, s.q1, s.h0, s.h1, s.w0, s.w1));
    ASSERT_LT(s.kg0, s.kg1);
    ASSERT_LE(s.kg1, plan.kgroups);
    ASSERT_LE(s.kg1 - s.kg0, plan.kgroups_per_block);
    ASSERT_LT(s.u0, s.u1);
    ASSERT_GE(s.u0, cs.first_unit(s.kg0));
    ASSERT_LE(s.u1, cs.first_unit(s.kg0) + span);
    ASSERT_LE(s.u1 - s.u0, plan.units_per_block);
    ASSERT_LT(s.p0, s.p1);
    ASSERT_LE(s.p1, P);
    ASSERT_LE(s.p1 - s.p0, plan.rows_per_tile);
    ASSERT_LT(s.q0, s.q1);
    ASSERT_LE(s.q1, Q);
    ASSERT_LE(s.q1 - s.q0, plan.cols_per_tile);
    EXPECT_EQ(s.first_c, s.u0 == cs.first_unit(s.kg0));
    EXPECT_EQ(s.last_c, s.u1 == cs.first_unit(s.kg0) + span);
    EXPECT_EQ(s.pixels(), (s.p1 - s.p0) * (s.q1 - s.q0));
    // The window: the receptive field of the outputs, clipped to the image.
    const long top = long(s.p0) * l.stride_h - long(l.pad.top);
    const long bottom = long(s.p1 - 1) * l.stride_h - long(l.pad.top) + long(l.kernel_h);
    const long left = long(s.q0) * l.stride_w - long(l.pad.left);
    const long right = long(s.q1 - 1) * l.stride_w - long(l.pad.left) + long(l.kernel_w);
    EXPECT_EQ(long(s.h0), std::max(0L, top));
    EXPECT_EQ(long(s.h1), std::min(long(l.in_height), bottom));
    EXPECT_EQ(long(s.w0), std::max(0L, left));
    EXPECT_EQ(long(s.w1), std::min(long(l.in_width), right));
    ASSERT_LT(s.h0, s.h1);
    ASSERT_LT(s.w0, s.w1);

    // (b) Bytes, as the plan documents them: a weight chunk is columns x
    // units x positions x block_col_bytes(); the window rows x cols x units x
    // unit_bytes(1) (fill 1: planned as dense).
    unsigned columns = 0;
    for (unsigned g = s.kg0; g < s.kg1; ++g) columns += group_columns(l, cfg, g);
    const double weights = double(columns) * (s.u1 - s.u0) * plan.positions * plan.block_col_bytes();
    const double window = double(s.h1 - s.h0) * (s.w1 - s.w0) * (s.u1 - s.u0) * plan.unit_bytes(1.0);
    EXPECT_LE(std::ceil(weights) + std::ceil(window), double(plan.slot_bytes))
        << "weights " << weights << " + window " << window;

    // (d) Winograd steps start on a tile and cover whole tiles except at the edge.
    if (plan.winograd != Winograd::off) {
      EXPECT_EQ(s.p0 % 2, 0u);
      EXPECT_EQ(s.q0 % 2, 0u);
      EXPECT_TRUE((s.p1 - s.p0) % 2 == 0 || s.p1 == P) << "odd row extent inside the layer";
      EXPECT_TRUE((s.q1 - s.q0) % 2 == 0 || s.q1 == Q) << "odd column extent inside the layer";
      if ((s.p1 - s.p0) % 2 || (s.q1 - s.q0) % 2) ++seen.odd_edge;
    }

    for (unsigned g = s.kg0; g < s.kg1; ++g)
      for (unsigned u = s.u0; u < s.u1; ++u)
        for (unsigned p = s.p0; p < s.p1; ++p)
          for (unsigned q = s.q0; q < s.q1; ++q) {
            std::uint8_t& c = covered[((std::size_t(g) * span + u - cs.first_unit(g)) * P + p) * Q + q];
            over += c != 0;
            c = 1;
          }
    if (::testing::Test::HasFatalFailure()) return;
  }
  EXPECT_EQ(over, 0u) << "cells computed by more than one step";
  EXPECT_EQ(std::count(covered.begin(), covered.end(), 0), 0) << "cells no step computes";

  seen.split_k += plan.kgroups_per_block < plan.kgroups;
  seen.split_c += plan.units_per_block < span;
  seen.split_rows += plan.rows_per_tile < P;
  seen.split_cols += plan.cols_per_tile < Q;
  seen.winograd += plan.winograd != Winograd::off;
}

void check_random_layers(const std::string& preset, std::uint64_t default_seed, unsigned count, unsigned max_hw,
                         unsigned max_c, unsigned max_k) {
  const auto cfg = AcceleratorConfig::preset(preset);
  std::mt19937_64 rng(test::seed(default_seed));
  Seen seen;
  for (unsigned i = 0; i < count; ++i) {
    Layer l = random_layer(rng, i, max_hw, max_c, max_k);
    // A third of the layers are Winograd: exact int8, or nvdla of either precision.
    if (pick(rng, 0, 2) == 0) l = make_winograd(l, pick(rng, 0, 1) ? Winograd::nvdla : Winograd::exact, rng);
    check_plan(l, cfg, seen);
    if (::testing::Test::HasFatalFailure()) return;
  }
  // The layers must have exercised every way of splitting a layer.
  EXPECT_GT(seen.split_k, 0u);
  EXPECT_GT(seen.split_c, 0u);
  EXPECT_GT(seen.split_rows, 0u);
  EXPECT_GT(seen.split_cols, 0u);
  EXPECT_GT(seen.winograd, count / 5);
  EXPECT_GT(seen.odd_edge, 0u);
}

TEST(TilePlan, RandomLayersSmallPreset) { check_random_layers("small", 1001, 300, 48, 300, 200); }

TEST(TilePlan, RandomLayersFullPreset) { check_random_layers("full", 1002, 300, 64, 1200, 600); }

// Grouped and depthwise layers of every weight format: each step one
// output-channel group, its channel units within the span it visits.
TEST(TilePlan, GroupedLayers) {
  std::mt19937_64 rng(test::seed(1005));
  for (const std::string& preset : std::vector<std::string>{"small", "full"}) {
    const auto cfg = AcceleratorConfig::preset(preset);
    Seen seen;
    for (unsigned i = 0; i < 150; ++i) {
      Layer l = random_layer(rng, i, 40, 1, 1);
      l.op = Op::conv2d;
      l.in_height = std::max(l.in_height, 3u);
      l.in_width = std::max(l.in_width, 3u);
      l.kernel_h = std::min(l.kernel_h, l.in_height);
      l.kernel_w = std::min(l.kernel_w, l.in_width);
      l.pad = {};
      const bool s24 = l.weight_format == TensorFormat::sparse_2_4;
      l.groups = i % 3 == 0 ? pick(rng, 1, 400) : pick(rng, 2, 6);
      const unsigned per_in = i % 3 == 0 ? 1 : (s24 ? 4 : 1) * pick(rng, 1, preset == "small" ? 30 : 120);
      l.in_channels = l.groups * per_in;
      l.out_channels = l.groups * pick(rng, 1, i % 3 == 0 ? 2 : 40);
      if (l.in_channels > 65535 || l.out_channels > 65535) continue;
      check_plan(l, cfg, seen);
      if (HasFatalFailure()) return;
    }
    EXPECT_GT(seen.split_c, 0u) << preset << ": channel blocks within a group";
    EXPECT_GT(seen.split_rows, 0u) << preset;
  }
}

TEST(TilePlan, DepthwiseSpansOneUnitWhereAGroupFitsAnAtom) {
  // atomic_k columns read atomic_k channels: one unit when they fit a unit
  // (lanes, twice for 2:4) of the precision, two for small int16 (8 columns, 4 lanes).
  struct Case {
    const char* preset;
    Precision p;
    TensorFormat w;
    unsigned span;
  };
  const TensorFormat dense = TensorFormat::dense;
  for (const Case& c : {Case{"full", Precision::int8, dense, 1}, Case{"full", Precision::int16, dense, 1},
                        Case{"small", Precision::int8, dense, 1}, Case{"small", Precision::int16, dense, 2},
                        Case{"small", Precision::int16, TensorFormat::sparse_2_4, 1},
                        Case{"full", Precision::int8, TensorFormat::zvc, 1}}) {
    Layer l;
    l.precision = c.p;
    l.weight_format = c.w;
    l.in_channels = l.out_channels = l.groups = 96;
    l.in_height = l.in_width = 8;
    l.kernel_h = l.kernel_w = 3;
    const auto cfg = AcceleratorConfig::preset(c.preset);
    EXPECT_EQ(plan_tiles(l, cfg).span(), c.span) << c.preset << " " << to_string(c.p) << " " << to_string(c.w);
  }
}

// Winograd plans of every mode and precision the pipeline runs, on both presets.
TEST(TilePlan, WinogradModes) {
  std::mt19937_64 rng(test::seed(1003));
  for (const std::string& preset : std::vector<std::string>{"small", "full"}) {
    const auto cfg = AcceleratorConfig::preset(preset);
    Seen seen;
    for (unsigned i = 0; i < 60; ++i) {
      Layer l = random_layer(rng, i, 40, preset == "small" ? 200 : 700, preset == "small" ? 120 : 400);
      const Winograd modes[] = {Winograd::exact, Winograd::nvdla, Winograd::nvdla};
      l = make_winograd(l, modes[i % 3], rng);
      if (i % 3 == 2) l.precision = Precision::int16;  // nvdla int16
      check_plan(l, cfg, seen);
      if (::testing::Test::HasFatalFailure()) return;
    }
    EXPECT_EQ(seen.winograd, 60u);
    EXPECT_GT(seen.odd_edge, 0u) << preset;
  }
}

// The fill hints let compressed data take less room than dense; the bytes the
// loader actually allocates for each step (masks plus each atom's non-zeros,
// weights' masks plus non-zeros) must still fit the slot when the plan is
// made from the true fills.
TEST(TilePlan, ZvcFillHintsBoundTheRealBytes) {
  std::mt19937_64 rng(test::seed(1004));
  const auto cfg = AcceleratorConfig::preset("small");
  unsigned saved = 0;  // layers whose hints gave a plan with bigger blocks than dense
  for (unsigned i = 0; i < 40; ++i) {
    Layer l = random_layer(rng, i, 40, 120, 64);
    l.activation_format = TensorFormat::zvc;
    if (l.weight_format == TensorFormat::dense) l.weight_format = TensorFormat::zvc;
    const unsigned lanes = cfg.lanes(l.precision), eb = element_bytes(l.precision);
    const unsigned H = l.in_height, W = l.in_width, C = l.in_channels, K = l.out_channels;
    const unsigned atoms = ceil_div(C, lanes), rs = l.kernel_h * l.kernel_w;
    // Non-zero flags only: the values do not matter to the byte counts.
    // Density varies by input row and output channel, so the worst row is not the average.
    std::uniform_real_distribution<double> u01(0.0, 1.0);
    const double in_base = u01(rng) * 0.5, w_base = u01(rng) * 0.5;
    // Every other layer keeps its non-zeros in a band of columns, so a
    // narrow window can hold all of a row's non-zeros.
    const unsigned band = i % 2 ? pick(rng, 1, W) : W;
    std::vector<std::uint8_t> x(std::size_t(H) * W * atoms * lanes, 0);  // [h][w][channel padded]
    for (unsigned h = 0; h < H; ++h)
      for (unsigned w = 0; w < band; ++w)
        for (unsigned c = 0; c < C; ++c)
          x[(std::size_t(h) * W + w) * atoms * lanes + c] = u01(rng) < in_base + 0.5 * h / H;
    // Weights: [group][atom][position][column][lane] as in DRAM.
    const unsigned kgroups = ceil_div(K, cfg.atomic_k);
    std::vector<std::uint8_t> wnz(std::size_t(kgroups) * cfg.atomic_k * atoms * rs * lanes, 0);
    auto wat = [&](unsigned g, unsigned a, unsigned pos, unsigned col, unsigned lane) -> std::uint8_t& {
      return wnz[((((std::size_t(g) * atoms + a) * rs + pos) * cfg.atomic_k + col) * lanes) + lane];
    };
    for (unsigned k = 0; k < K; ++k)
      for (unsigned c = 0; c < C; ++c)
        for (unsigned pos = 0; pos < rs; ++pos)
          wat(k / cfg.atomic_k, c / lanes, pos, k % cfg.atomic_k, c % lanes) = u01(rng) < w_base + 0.5 * k / K;
    // The fill hints, as the descriptor carries them (q16, rounded up).
    auto q16 = [](std::uint64_t nz, std::uint64_t all) {
      return double(std::max<std::uint64_t>(1, (nz * 65536 + all - 1) / all)) / 65536.0;
    };
    double in_fill = 0, w_fill = 0;
    for (unsigned h = 0; h < H; ++h)
      for (unsigned a = 0; a < atoms; ++a) {
        std::uint64_t nz = 0;
        for (unsigned w = 0; w < W; ++w)
          for (unsigned lane = 0; lane < lanes; ++lane) nz += x[(std::size_t(h) * W + w) * atoms * lanes + a * lanes + lane];
        in_fill = std::max(in_fill, q16(nz, std::uint64_t(W) * lanes));
      }
    const bool wzvc = l.weight_format == TensorFormat::zvc;
    if (wzvc)
      for (unsigned g = 0; g < kgroups; ++g)
        for (unsigned a = 0; a < atoms; ++a) {
          const unsigned cols = group_columns(l, cfg, g);
          std::uint64_t nz = 0;
          for (unsigned pos = 0; pos < rs; ++pos)
            for (unsigned col = 0; col < cols; ++col)
              for (unsigned lane = 0; lane < lanes; ++lane) nz += wat(g, a, pos, col, lane);
          w_fill = std::max(w_fill, q16(nz, std::uint64_t(cols) * rs * lanes));
        }
    if (!wzvc) w_fill = 1.0;
    const TilePlan plan = plan_tiles(l, cfg, in_fill, w_fill);
    SCOPED_TRACE(describe(l, cfg, plan) + fmt::format(" input fill {} weight fill {}", in_fill, w_fill));
    const TilePlan dense_plan = plan_tiles(l, cfg);
    saved += plan.step_count() < dense_plan.step_count();
    const unsigned mask_bytes = lanes / zvc_granule(lanes);
    ASSERT_EQ(plan.mask_bytes, mask_bytes);
    for (std::size_t i = 0; i < plan.step_count(); ++i) {
      const TileStep s = plan.step(i);
      std::size_t bytes = 0;
      for (unsigned u = s.u0; u < s.u1; ++u)
        for (unsigned j = 0; j < plan.unit_atoms && u * plan.unit_atoms + j < atoms; ++j) {
          const unsigned a = u * plan.unit_atoms + j;
          for (unsigned h = s.h0; h < s.h1; ++h)
            for (unsigned w = s.w0; w < s.w1; ++w) {
              const std::uint8_t* atom = &x[(std::size_t(h) * W + w) * atoms * lanes + a * lanes];
              bytes += mask_bytes + std::size_t(std::count(atom, atom + lanes, 1)) * eb;
            }
        }
      for (unsigned g = s.kg0; g < s.kg1; ++g)
        for (unsigned u = s.u0; u < s.u1; ++u) {
          const std::size_t n = std::size_t(rs) * group_columns(l, cfg, g);  // column atoms of the chunk
          if (!wzvc) {
            bytes += n * plan.atom_bytes + n * plan.meta_col_bytes;
            continue;
          }
          bytes += n * mask_bytes;
          for (unsigned pos = 0; pos < rs; ++pos)
            for (unsigned col = 0; col < group_columns(l, cfg, g); ++col)
              for (unsigned lane = 0; lane < lanes; ++lane) bytes += std::size_t(wat(g, u, pos, col, lane)) * eb;
        }
      ASSERT_LE(bytes, plan.slot_bytes) << "step " << i;
    }
  }
  EXPECT_GT(saved, 0u) << "no layer's fill hints changed its plan: the test checks nothing the dense plan does not";
}

// However large, a layer that fits in DRAM is tiled; steps are computed on
// demand, so a plan of a huge layer is cheap. Sampled steps keep the bounds.
TEST(TilePlan, HugeLayerIsTiledLazily) {
  const auto cfg = AcceleratorConfig::preset("small");
  Layer l;
  l.name = "huge";
  l.in_channels = 4096;
  l.in_height = l.in_width = 1024;
  l.out_channels = 4096;
  l.kernel_h = l.kernel_w = 3;
  l.pad = {1, 1, 1, 1};
  const TilePlan plan = plan_tiles(l, cfg);
  const std::size_t n = plan.step_count();
  // One group's weights over all 512 channel atoms (8 x 512 x 9 x 8 bytes)
  // exceed the 64 KiB slot, so channels are split and every group of a block
  // stays resident: a block of kb groups holds at most 4096 / (8 kb) pixels
  // per group, so the 512 / kb blocks take at least 1024 x 1024 x kb / 512
  // spatial tiles each: over a million steps.
  EXPECT_LT(plan.units_per_block, plan.units);
  EXPECT_GE(n, std::size_t(1024) * 1024);
  std::mt19937_64 rng(test::seed(1005));
  for (std::size_t i : {std::size_t(0), n - 1, std::size_t(rng() % n), std::size_t(rng() % n)}) {
    const TileStep s = plan.step(i);
    EXPECT_LT(s.kg0, s.kg1);
    EXPECT_LE(s.kg1, plan.kgroups);
    EXPECT_LT(s.u0, s.u1);
    EXPECT_LE(s.u1, plan.units);
    EXPECT_LT(s.p0, s.p1);
    EXPECT_LE(s.p1, l.out_height());
    EXPECT_LT(s.q0, s.q1);
    EXPECT_LE(s.q1, l.out_width());
  }
  const TileStep last = plan.step(n - 1);
  EXPECT_EQ(last.kg1, plan.kgroups);
  EXPECT_EQ(last.u1, plan.units);
  EXPECT_EQ(last.p1, l.out_height());
  EXPECT_EQ(last.q1, l.out_width());
  EXPECT_TRUE(last.last_c);
}

// One output pixel of one channel atom, with its kernel, must fit half the
// buffer: a 100x100 kernel's weights for one group of 8 columns and one
// channel atom are 8 x 10000 x 8 = 640000 bytes, more than the small
// preset's 64 KiB slot.
TEST(TilePlan, LayerTooBigToTileThrows) {
  const auto cfg = AcceleratorConfig::preset("small");
  Layer l;
  l.name = "giant_kernel";
  l.in_channels = 8;
  l.in_height = l.in_width = 100;
  l.out_channels = 8;
  l.kernel_h = l.kernel_w = 100;
  ASSERT_NO_THROW(l.validate());
  try {
    plan_tiles(l, cfg);
    FAIL() << "plan_tiles accepted a layer whose smallest step does not fit";
  } catch (const TilingError& e) {
    EXPECT_NE(std::string(e.what()).find("giant_kernel"), std::string::npos) << e.what();
  }
  // The same layer with a kernel that fits (8 x 64 x 8 = 4096 bytes) plans.
  l.kernel_h = l.kernel_w = 8;
  EXPECT_NO_THROW(plan_tiles(l, cfg));
}

}  // namespace
}  // namespace sdla
