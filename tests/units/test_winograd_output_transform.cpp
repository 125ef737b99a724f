// Unit bench of the Winograd output transform (models/units/
// winograd_output_transform.hpp), alone: a stub accumulator sends each
// component's products M (one SumTile per component, 16 per channel block),
// a stub post-processor records the pixels. The reference is computed here
// from the literal matrix
//   A^T = [[1, 1, 1, 0], [0, 1, -1, -1]]
// as Y = A^T M A per 2x2 tile, summed over channel blocks, then
//   exact: y = Y / 4 (M is a multiple of 4 here, so the division is exact);
//   nvdla: e = weight_shift + input_shift - 2, y = Y * 2^e, or Y / 2^-e
//          rounded half away from zero when e < 0.
// Output pixel (p, q) of a step comes from tile (p / 2, q / 2), position
// (p % 2, q % 2); the outputs of a partial tile past an odd step extent are
// dropped. Groups are independent; `first` restarts a group's outputs, only
// `final` sends pixels on; direct convolution passes through untouched.
#include <algorithm>
#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "seed.hpp"
#include "unit_bench.hpp"
#include "winograd_output_transform.hpp"

namespace sdla {
namespace {

using sc_core::sc_time;

constexpr int kAT[2][4] = {{1, 1, 1, 0}, {0, 1, -1, -1}};

/// A SumTile as received, its sums copied out ([column][entry]).
struct Received {
  SumTile tile;
  std::vector<std::vector<std::int64_t>> sums;
  sc_time at;
};

struct Bench {
  AcceleratorConfig cfg;
  WinogradOutputTransform transform;
  test::Source<SumTile> accumulator{"accumulator"};
  std::vector<Received> got;
  test::Sink<SumTile> post{"post_processor", [this](SumTile& t, sc_time& d) {
                             Received r{t, {}, sc_core::sc_time_stamp() + d};
                             if (!t.end_of_layer)
                               for (unsigned k = 0; k < t.columns; ++k)
                                 r.sums.emplace_back(t.sums + std::size_t(k) * t.stride,
                                                     t.sums + std::size_t(k) * t.stride + t.per_column);
                             r.tile.sums = nullptr;  // valid only during the call
                             got.push_back(std::move(r));
                           }};
  explicit Bench(const std::string& preset)
      : cfg(AcceleratorConfig::preset(preset)), transform("winograd_output_transform", cfg) {
    accumulator.isock.bind(transform.tsock);
    transform.out_isock.bind(post.tsock);
  }
};

Layer winograd_layer(Winograd mode, unsigned weight_shift, unsigned input_shift) {
  Layer l;
  l.name = "wino";
  l.in_channels = 16;
  l.in_height = l.in_width = 16;
  l.out_channels = 64;
  l.kernel_h = l.kernel_w = 3;
  l.pad = {1, 1, 1, 1};
  l.winograd = mode;
  l.winograd_weight_shift = weight_shift;
  l.winograd_input_shift = input_shift;
  return l;
}

std::int64_t round_away(std::int64_t v, unsigned s) {
  const std::int64_t mag = v < 0 ? -v : v, q = (2 * mag + (std::int64_t(1) << s)) / (std::int64_t(2) << s);
  return v < 0 ? -q : q;
}

/// One step of one group: its products M[block][component][column][tile].
struct StepProducts {
  unsigned group = 0, first_channel = 0, columns = 0;
  TileStep step{};
  unsigned tiles = 0;
  std::vector<std::vector<std::vector<std::vector<std::int64_t>>>> m;
};

StepProducts random_products(std::mt19937_64& rng, unsigned group, unsigned columns, unsigned p0, unsigned rows,
                             unsigned q0, unsigned cols, unsigned blocks, std::int64_t multiple) {
  StepProducts s;
  s.group = group;
  s.first_channel = 32 * group;
  s.columns = columns;
  s.step.kg0 = group;
  s.step.kg1 = group + 1;
  s.step.p0 = p0;
  s.step.p1 = p0 + rows;
  s.step.q0 = q0;
  s.step.q1 = q0 + cols;
  s.tiles = unsigned(TilePlan::tiles(rows, cols));
  std::uniform_int_distribution<std::int64_t> d(-(1 << 20), 1 << 20);
  s.m.assign(blocks, std::vector<std::vector<std::vector<std::int64_t>>>(
                         16, std::vector<std::vector<std::int64_t>>(columns, std::vector<std::int64_t>(s.tiles))));
  for (auto& block : s.m)
    for (auto& comp : block)
      for (auto& col : comp)
        for (auto& v : col) v = multiple * d(rng);
  return s;
}

/// The expected pixels [column][p * cols + q] of a step.
std::vector<std::vector<std::int64_t>> expected_pixels(const StepProducts& s, Winograd mode, int e) {
  const unsigned rows = s.step.p1 - s.step.p0, cols = s.step.q1 - s.step.q0, tiles_w = (cols + 1) / 2;
  std::vector<std::vector<std::int64_t>> out(s.columns, std::vector<std::int64_t>(std::size_t(rows) * cols));
  for (unsigned k = 0; k < s.columns; ++k)
    for (unsigned p = 0; p < rows; ++p)
      for (unsigned q = 0; q < cols; ++q) {
        const unsigned tile = (p / 2) * tiles_w + q / 2, i = p % 2, j = q % 2;
        std::int64_t y = 0;  // (A^T M A)[i][j], M summed over the channel blocks
        for (const auto& block : s.m)
          for (unsigned xi = 0; xi < 4; ++xi)
            for (unsigned nu = 0; nu < 4; ++nu) y += kAT[i][xi] * block[xi * 4 + nu][k][tile] * kAT[j][nu];
        std::int64_t v;
        if (mode == Winograd::exact) {
          EXPECT_EQ(y % 4, 0) << "the test's M must make Y divisible by 4";
          v = y / 4;
        } else {
          v = e >= 0 ? y * (std::int64_t(1) << e) : round_away(y, unsigned(-e));
        }
        out[k][std::size_t(p) * cols + q] = v;
      }
  return out;
}

/// Sends every step's components (block by block, group by group within a
/// block, as the feeder drains them) and checks the pixels of each step.
void check_steps(const std::string& preset, Winograd mode, unsigned ws, unsigned t, std::vector<StepProducts> steps,
                 unsigned blocks) {
  Bench b(preset);
  const Layer l = winograd_layer(mode, ws, t);
  const int e = mode == Winograd::nvdla ? int(ws + t) - 2 : -2;
  unsigned max_tiles = 0, groups = 0;
  for (const auto& s : steps) {
    max_tiles = std::max(max_tiles, s.tiles);
    groups = std::max(groups, s.group + 1);
  }
  std::vector<std::vector<std::int64_t>> buffer;  // the SumTiles' sums, alive while sent
  std::uint64_t folds = 0, outputs = 0, cycles = 0;
  sc_time busy = sc_core::SC_ZERO_TIME;
  b.accumulator.run([&](const auto& send) {
    b.transform.configure(l, groups, max_tiles);
    for (std::size_t first = 0; first < steps.size();) {
      // Steps of one spatial tile run together, one per group.
      std::size_t last = first;
      while (last < steps.size() && steps[last].step.p0 == steps[first].step.p0 &&
             steps[last].step.q0 == steps[first].step.q0)
        ++last;
      for (unsigned block = 0; block < blocks; ++block)
        for (std::size_t i = first; i < last; ++i) {
          const StepProducts& s = steps[i];
          for (unsigned comp = 0; comp < 16; ++comp) {
            const unsigned stride = s.tiles + 2;  // columns need not be packed
            std::vector<std::int64_t> sums(std::size_t(s.columns) * stride, 0x5555);
            for (unsigned k = 0; k < s.columns; ++k)
              std::copy(s.m[block][comp][k].begin(), s.m[block][comp][k].end(), sums.begin() + std::ptrdiff_t(k * stride));
            SumTile tile;
            tile.group = s.group;
            tile.first_channel = s.first_channel;
            tile.columns = s.columns;
            tile.step = s.step;
            tile.step.first_c = block == 0;
            tile.step.last_c = block + 1 == blocks;
            tile.per_column = s.tiles;
            tile.stride = stride;
            tile.sums = sums.data();
            tile.component = int(comp);
            tile.first = block == 0 && comp == 0;
            tile.final = block + 1 == blocks && comp == 15;
            send(tile);
            folds += std::uint64_t(s.tiles) * s.columns;
            cycles += s.tiles;
            if (tile.final) {
              outputs += std::uint64_t(s.step.pixels()) * s.columns;
              cycles += s.tiles;
              busy += double(s.tiles) * sc_time(b.cfg.clock_period_ns(), sc_core::SC_NS);
            }
          }
        }
      first = last;
    }
    SumTile end;
    end.end_of_layer = true;
    send(end);
  });
  sc_core::sc_start();
  ASSERT_EQ(b.got.size(), steps.size() + 1) << "one tile of pixels per step, then the end of the layer";
  // Steps are sent on in the order their final component arrives: per spatial tile, group by group.
  for (std::size_t i = 0; i < steps.size(); ++i) {
    const StepProducts& s = steps[i];
    const Received& r = b.got[i];
    SCOPED_TRACE(fmt::format("step {}: group {}, pixels [{},{})x[{},{}), {} channel blocks", i, s.group, s.step.p0,
                             s.step.p1, s.step.q0, s.step.q1, blocks));
    EXPECT_EQ(r.tile.group, s.group);
    EXPECT_EQ(r.tile.first_channel, s.first_channel);
    EXPECT_EQ(r.tile.columns, s.columns);
    EXPECT_EQ(r.tile.component, -1) << "pixels, not a component";
    EXPECT_TRUE(r.tile.final);
    EXPECT_EQ(r.tile.step.p0, s.step.p0);
    EXPECT_EQ(r.tile.step.q1, s.step.q1);
    ASSERT_EQ(r.tile.per_column, s.step.pixels());
    EXPECT_EQ(r.sums, expected_pixels(s, mode, e));
  }
  EXPECT_TRUE(b.got.back().tile.end_of_layer);
  const auto c = b.transform.activity();
  EXPECT_EQ(c.at("folds"), folds);
  EXPECT_EQ(c.at("outputs"), outputs);
  EXPECT_EQ(c.at("cycles"), cycles);
  // Adds: a component (xi, nu) reaches the outputs (i, j) where A^T[i][xi] A^T[j][nu] != 0:
  // A^T's columns have 1, 2, 2, 1 non-zeros, so 6 x 6 = 36 per tile and column over the 16.
  EXPECT_EQ(c.at("adds"), folds / 16 * 36);
  // The scaling delays the pixels by one cycle per tile of the step.
  EXPECT_EQ(b.accumulator.annotated(), busy);
}

std::vector<StepProducts> steps_of(std::mt19937_64& rng, unsigned columns, unsigned blocks, std::int64_t multiple) {
  std::vector<StepProducts> v;
  // An even 4 x 6 step for groups 0 and 1, then the layer's edge: a 5 x 3
  // step (partial tiles in both directions), then a single pixel.
  for (unsigned g = 0; g < 2; ++g) v.push_back(random_products(rng, g, columns, 0, 4, 0, 6, blocks, multiple));
  for (unsigned g = 0; g < 2; ++g) v.push_back(random_products(rng, g, columns - g, 4, 5, 6, 3, blocks, multiple));
  v.push_back(random_products(rng, 0, 1, 10, 1, 10, 1, blocks, multiple));
  return v;
}

TEST(WinogradOutputTransform, ExactOneChannelBlock) {
  std::mt19937_64 rng(test::seed(7001));
  check_steps("small", Winograd::exact, 0, 2, steps_of(rng, 8, 1, 4), 1);
}

TEST(WinogradOutputTransform, ExactTwoChannelBlocks) {
  std::mt19937_64 rng(test::seed(7002));
  check_steps("full", Winograd::exact, 0, 2, steps_of(rng, 32, 2, 4), 2);
}

// nvdla: e = ws + t - 2 below, at and above zero; M not a multiple of 4, so
// rounding (ties away from zero) matters.
TEST(WinogradOutputTransform, NvdlaScaleDown2) {
  std::mt19937_64 rng(test::seed(7003));
  check_steps("small", Winograd::nvdla, 0, 0, steps_of(rng, 8, 2, 1), 2);
}
TEST(WinogradOutputTransform, NvdlaScaleDown1) {
  std::mt19937_64 rng(test::seed(7004));
  check_steps("small", Winograd::nvdla, 0, 1, steps_of(rng, 8, 1, 1), 1);
}
TEST(WinogradOutputTransform, NvdlaScaleOne) {
  std::mt19937_64 rng(test::seed(7005));
  check_steps("full", Winograd::nvdla, 1, 1, steps_of(rng, 32, 1, 1), 1);
}
TEST(WinogradOutputTransform, NvdlaScaleUp3) {
  std::mt19937_64 rng(test::seed(7006));
  check_steps("small", Winograd::nvdla, 3, 2, steps_of(rng, 8, 2, 1), 2);
}

// One tile by hand: M = 4 at component (1, 1) only. A^T's column 1 is
// (1, 1), so Y = [[4, 4], [4, 4]] and y = 1 everywhere (exact). With M = 4 at
// (1, 2) instead, column 2 is (1, -1): Y = [[4, -4], [4, -4]], y = [[1, -1], [1, -1]].
// A 1 x 2 step keeps only the tile's top row.
TEST(WinogradOutputTransform, HandWorkedTile) {
  Bench b("small");
  std::vector<std::int64_t> zero(1, 0), four(1, 4);
  b.accumulator.run([&](const auto& send) {
    b.transform.configure(winograd_layer(Winograd::exact, 0, 2), 1, 1);
    for (unsigned target : {5u, 6u})
      for (unsigned rows : {2u, 1u}) {
        for (unsigned comp = 0; comp < 16; ++comp) {
          SumTile t;
          t.columns = 1;
          t.step.p1 = rows;
          t.step.q1 = 2;
          t.per_column = 1;
          t.stride = 1;
          t.sums = comp == target ? four.data() : zero.data();
          t.component = int(comp);
          t.first = comp == 0;
          t.final = comp == 15;
          send(t);
        }
      }
  });
  sc_core::sc_start();
  ASSERT_EQ(b.got.size(), 4u);
  EXPECT_EQ(b.got[0].sums[0], (std::vector<std::int64_t>{1, 1, 1, 1}));
  EXPECT_EQ(b.got[1].sums[0], (std::vector<std::int64_t>{1, 1}));
  EXPECT_EQ(b.got[2].sums[0], (std::vector<std::int64_t>{1, -1, 1, -1}));
  EXPECT_EQ(b.got[3].sums[0], (std::vector<std::int64_t>{1, -1}));
}

// Direct convolution: the accumulator's tiles go to the post-processor untouched.
TEST(WinogradOutputTransform, DirectPassesThrough) {
  std::mt19937_64 rng(test::seed(7007));
  Bench b("small");
  std::vector<std::int64_t> sums(3 * 10);
  for (auto& s : sums) s = std::int64_t(rng());
  Layer l = winograd_layer(Winograd::off, 0, 2);
  b.accumulator.run([&](const auto& send) {
    b.transform.configure(l, 1, 4);
    SumTile t;
    t.group = 0;
    t.first_channel = 8;
    t.columns = 3;
    t.step.p1 = 2;
    t.step.q1 = 4;
    t.per_column = 8;
    t.stride = 10;
    t.sums = sums.data();
    send(t);
    SumTile end;
    end.end_of_layer = true;
    send(end);
  });
  sc_core::sc_start();
  ASSERT_EQ(b.got.size(), 2u);
  const Received& r = b.got[0];
  EXPECT_EQ(r.tile.first_channel, 8u);
  EXPECT_EQ(r.tile.columns, 3u);
  EXPECT_EQ(r.tile.per_column, 8u);
  EXPECT_EQ(r.tile.component, -1);
  ASSERT_EQ(r.sums.size(), 3u);
  for (unsigned k = 0; k < 3; ++k)
    EXPECT_EQ(r.sums[k], std::vector<std::int64_t>(sums.begin() + k * 10, sums.begin() + k * 10 + 8));
  EXPECT_TRUE(b.got[1].tile.end_of_layer);
  EXPECT_EQ(b.transform.activity().at("folds"), 0u);
  EXPECT_EQ(b.accumulator.annotated(), sc_core::SC_ZERO_TIME);
}

}  // namespace
}  // namespace sdla
