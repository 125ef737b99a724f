// Unit bench of the Winograd input transform (models/units/
// winograd_input_transform.hpp), alone: a stub feeder sends TileFeeds, a
// stub MAC array (a MacArrayTarget) captures the passes. The reference is
// V = B^T d B of each raw 4x4 tile, computed here from the literal matrix
//   B^T = [[1, 0, -1, 0], [0, 1, 1, 0], [0, -1, 1, 0], [0, 1, 0, -1]]
// (the feeder sends each component's four contributors in the order of
// sdla/tile_feed.hpp: (i0,j0), (i0,j1), (i1,j0), (i1,j1) from
// kWinogradInputRows). Checked:
//  * every component's activations equal V (exact), or V rounded half away
//    from zero by the input shift and saturated to the pass precision (nvdla);
//  * a lane is zero-lined exactly when its four contributors all are, and the
//    lanes past lanes_valid are zero-lined;
//  * the lane offset picks the half of an int8 atom exact mode works on;
//  * direct passes (winograd = false) reach the array untouched;
//  * the counters "vectors", "adds", "inputs".

#include <algorithm>
#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "mac_array_target.hpp"
#include "seed.hpp"
#include "unit_bench.hpp"
#include "winograd_input_transform.hpp"

namespace sdla {
namespace {

using sc_core::sc_time;

constexpr int kBT[4][4] = {{1, 0, -1, 0}, {0, 1, 1, 0}, {0, -1, 1, 0}, {0, 1, 0, -1}};

/// A MAC array that only records the passes it is sent.
class CaptureArray : public MacArrayTarget {
 public:
  using MacArrayTarget::MacArrayTarget;
  std::vector<MacPass> passes;
  const char* source() const override { return "capture"; }

 protected:
  void execute(MacPass& pass, const sc_time&) override {
    passes.push_back(pass);
    pass.status = MacStatus::ok;
    pass.activity = MacActivity{};
    pass.activity.cycles = pass.columns + pass.vectors;
  }
};

struct Bench {
  AcceleratorConfig cfg;
  WinogradInputTransform transform{"winograd_input_transform"};
  test::Source<TileFeed> feeder{"feeder"};
  CaptureArray array;
  explicit Bench(const std::string& preset) : cfg(AcceleratorConfig::preset(preset)), array("mac_array", cfg) {
    feeder.isock.bind(transform.feed_tsock);
    transform.mac_isock.bind(array.mac_tsock);
  }
};

/// Raw 4x4 input tiles: d[tile][i][j][lane], zero-lined where zero (as the
/// decompressor marks them; padding is zero too).
struct Tiles {
  unsigned lanes = 0;
  std::vector<std::int16_t> d;
  std::int16_t at(unsigned t, unsigned i, unsigned j, unsigned l) const { return d[((t * 4 + i) * 4 + j) * lanes + l]; }
};

Tiles random_tiles(std::mt19937_64& rng, unsigned tiles, unsigned lanes, Precision p) {
  Tiles t;
  t.lanes = lanes;
  t.d.resize(std::size_t(tiles) * 16 * lanes);
  const int lo = int(traits(p).min), hi = int(traits(p).max);
  std::uniform_int_distribution<int> value(lo, hi), kind(0, 9);
  for (auto& v : t.d) {
    const int k = kind(rng);
    v = std::int16_t(k < 3 ? 0 : k == 3 ? lo : k == 4 ? hi : value(rng));  // zeros and extremes are common
  }
  // A zero row in some tiles (padding at the image edge).
  for (unsigned tile = 2; tile < tiles; tile += 3)
    for (unsigned j = 0; j < 4; ++j)
      for (unsigned l = 0; l < lanes; ++l) t.d[((tile * 4 + tile % 4) * 4 + j) * lanes + l] = 0;
  // Tile 0 all zero (every component zero-lined); tile 1 constant, so every
  // component but (1, 1) cancels to a live zero (rows of B^T sum to 0, 2, 0, 0).
  for (unsigned e = 0; e < 16 * lanes; ++e) {
    t.d[e] = 0;
    t.d[16 * lanes + e] = std::int16_t(e % lanes % 2 ? lo : 3);
  }
  return t;
}

/// Fills the feed's contributors of component `comp` as tile_feed.hpp documents.
void fill_feed(TileFeed& f, const Tiles& t, unsigned comp, unsigned tiles) {
  const unsigned* rows = kWinogradInputRows[comp / 4];
  const unsigned* cols = kWinogradInputRows[comp % 4];
  f.component = comp;
  f.tile_lanes = t.lanes;
  f.inputs.assign(std::size_t(tiles) * 4 * t.lanes, 0);
  f.input_zero.assign(f.inputs.size(), 1);
  for (unsigned tile = 0; tile < tiles; ++tile)
    for (unsigned c = 0; c < 4; ++c)
      for (unsigned l = 0; l < t.lanes; ++l) {
        const std::int16_t v = t.at(tile, rows[c / 2], cols[c % 2], l);
        f.inputs[(std::size_t(tile) * 4 + c) * t.lanes + l] = v;
        f.input_zero[(std::size_t(tile) * 4 + c) * t.lanes + l] = v == 0;
      }
}

/// round(v / 2^s), ties away from zero.
std::int64_t round_away(std::int64_t v, unsigned s) {
  if (s == 0) return v;
  const std::int64_t mag = v < 0 ? -v : v, q = (2 * mag + (std::int64_t(1) << s)) / (std::int64_t(2) << s);
  return v < 0 ? -q : q;
}

struct Mode {
  std::string name;
  Precision layer = Precision::int8;  // of the raw inputs
  Precision pass = Precision::int8;   // on the array
  bool quantize = false;
  unsigned shift = 0;
};

// The table of tile_feed.hpp is the literal B^T: rows, and signs.
TEST(WinogradInputTransform, TableMatchesLiteralBT) {
  for (unsigned x = 0; x < 4; ++x) {
    unsigned nonzero = 0;
    for (unsigned i = 0; i < 4; ++i) nonzero += kBT[x][i] != 0;
    EXPECT_EQ(nonzero, 2u) << "row " << x;
    for (unsigned c = 0; c < 2; ++c)
      EXPECT_EQ(kWinogradInputSigns[x][c], kBT[x][kWinogradInputRows[x][c]]) << "row " << x << " contributor " << c;
    EXPECT_NE(kWinogradInputRows[x][0], kWinogradInputRows[x][1]);
  }
}

void check_components(const std::string& preset, const Mode& m, std::uint64_t default_seed) {
  std::mt19937_64 rng(test::seed(default_seed));
  Bench b(preset);
  const unsigned raw_lanes = b.cfg.lanes(m.layer), pass_lanes = b.cfg.lanes(m.pass);
  const unsigned halves = raw_lanes / pass_lanes;  // 2: exact int8 on int16 lanes
  const unsigned tiles = 7;
  const Tiles d = random_tiles(rng, tiles, raw_lanes, m.layer);
  // Weights of the pass: random, to see they pass untouched.
  std::vector<TileFeed> feeds;
  for (unsigned comp = 0; comp < 16; ++comp)
    for (unsigned half = 0; half < halves; ++half) {
      TileFeed f;
      f.pass.configure(b.cfg, m.pass, WeightFormat::dense, tiles);
      f.pass.columns = b.cfg.atomic_k;
      f.pass.vectors = tiles;
      // The last pass of a component may use fewer lanes (a partial atom).
      f.pass.lanes_valid = comp % 5 == 4 ? pass_lanes - 3 : pass_lanes;
      for (auto& w : f.pass.weights) w = std::int16_t(std::uniform_int_distribution<int>(-100, 100)(rng));
      std::fill(f.pass.weight_zero.begin(), f.pass.weight_zero.end(), 0);
      std::fill(f.pass.acts.begin(), f.pass.acts.end(), std::int16_t(0x1234));  // stale: must be overwritten
      std::fill(f.pass.act_zero.begin(), f.pass.act_zero.end(), 0);
      f.winograd = true;
      f.lane_offset = half * pass_lanes;
      f.quantize = m.quantize;
      f.input_shift = m.shift;
      fill_feed(f, d, comp, tiles);
      feeds.push_back(std::move(f));
    }
  const std::vector<TileFeed> sent = feeds;  // the transform writes into the feeds' passes
  b.feeder.run([&](const auto& send) {
    for (TileFeed& f : feeds) send(f);
  });
  sc_core::sc_start();
  ASSERT_EQ(b.array.passes.size(), sent.size());
  const PrecisionTraits& range = traits(m.pass);
  std::uint64_t zero_lined = 0, saturated = 0, live_zero = 0, lanes_total = 0;
  for (std::size_t n = 0; n < sent.size(); ++n) {
    const TileFeed& f = sent[n];
    const MacPass& got = b.array.passes[n];
    const unsigned xi = f.component / 4, nu = f.component % 4;
    SCOPED_TRACE(fmt::format("{}: component {} (xi {}, nu {}), lane offset {}", m.name, f.component, xi, nu, f.lane_offset));
    EXPECT_EQ(got.weights, f.pass.weights);
    EXPECT_EQ(got.columns, f.pass.columns);
    EXPECT_EQ(got.vectors, f.pass.vectors);
    EXPECT_EQ(got.lanes_valid, f.pass.lanes_valid);
    EXPECT_EQ(got.precision, m.pass);
    for (unsigned t = 0; t < tiles; ++t) {
      for (unsigned l = 0; l < f.pass.lanes_valid; ++l) {
        const unsigned lane = f.lane_offset + l;
        std::int64_t v = 0;
        bool all_zero = true;
        for (unsigned i = 0; i < 4; ++i)
          for (unsigned j = 0; j < 4; ++j) {
            const int coeff = kBT[xi][i] * kBT[nu][j];
            v += coeff * d.at(t, i, j, lane);
            if (coeff != 0) all_zero = all_zero && d.at(t, i, j, lane) == 0;
          }
        std::int64_t want = v;
        if (m.quantize) {
          want = round_away(v, m.shift);
          want = std::min<std::int64_t>(std::max<std::int64_t>(want, range.min), range.max);
          saturated += want != round_away(v, m.shift);
        }
        const std::size_t at = std::size_t(t) * got.act_lanes + l;
        ASSERT_EQ(got.act_zero[at], all_zero ? 1 : 0) << "zero line of tile " << t << " lane " << lane;
        if (!all_zero) {
          ASSERT_EQ(got.acts[at], want) << "tile " << t << " lane " << lane << ": V = " << v;
        } else {
          EXPECT_EQ(got.acts[at], 0) << "tile " << t << " lane " << lane;
        }
        zero_lined += all_zero;
        live_zero += !all_zero && want == 0;
        ++lanes_total;
      }
      for (unsigned l = f.pass.lanes_valid; l < got.act_lanes; ++l)
        ASSERT_EQ(got.act_zero[std::size_t(t) * got.act_lanes + l], 1) << "lane " << l << " past lanes_valid";
    }
  }
  // The data reached every case: zero-lined lanes, live lanes whose V is 0,
  // and (nvdla with a small shift) saturation.
  EXPECT_GT(zero_lined, 0u);
  EXPECT_GT(live_zero, 0u);
  if (m.quantize && m.shift < 2) {
    EXPECT_GT(saturated, 0u);
  }
  const auto c = b.transform.activity();
  EXPECT_EQ(c.at("vectors"), std::uint64_t(tiles) * sent.size());
  EXPECT_EQ(c.at("inputs"), 4 * lanes_total);
  EXPECT_EQ(c.at("adds"), 3 * lanes_total);
}

TEST(WinogradInputTransform, ExactInt8OnInt16LanesSmall) {
  check_components("small", {"exact int8", Precision::int8, Precision::int16, false, 0}, 6001);
}
TEST(WinogradInputTransform, ExactInt8OnInt16LanesFull) {
  check_components("full", {"exact int8", Precision::int8, Precision::int16, false, 0}, 6002);
}
TEST(WinogradInputTransform, NvdlaInt8Shift0) {
  check_components("full", {"nvdla int8 t=0", Precision::int8, Precision::int8, true, 0}, 6003);
}
TEST(WinogradInputTransform, NvdlaInt8Shift1) {
  check_components("small", {"nvdla int8 t=1", Precision::int8, Precision::int8, true, 1}, 6004);
}
TEST(WinogradInputTransform, NvdlaInt8Shift2) {
  check_components("full", {"nvdla int8 t=2", Precision::int8, Precision::int8, true, 2}, 6005);
}
TEST(WinogradInputTransform, NvdlaInt16Shift1) {
  check_components("full", {"nvdla int16 t=1", Precision::int16, Precision::int16, true, 1}, 6006);
}
TEST(WinogradInputTransform, NvdlaInt16Shift2) {
  check_components("small", {"nvdla int16 t=2", Precision::int16, Precision::int16, true, 2}, 6007);
}

// Rounding half away from zero by hand (shift 2): V = 6 -> 1.5 -> 2, V = -6 -> -2,
// V = 5 -> 1.25 -> 1, V = -2 -> -0.5 -> -1; saturation of V = 4 * 127 + 4 * 128 at shift 0.
TEST(WinogradInputTransform, HandWorkedRounding) {
  Bench b("small");
  // Component (1, 1): contributors d[1][1] + d[1][2] + d[2][1] + d[2][2], all with sign +1.
  ASSERT_EQ(kWinogradInputSigns[1][0] * kWinogradInputSigns[1][1], 1);
  const std::int16_t inputs[5][4] = {{3, 3, 0, 0}, {-3, -3, 0, 0}, {2, 3, 0, 0}, {-1, -1, 0, 0}, {127, 127, 127, 127}};
  TileFeed f;
  f.pass.configure(b.cfg, Precision::int8, WeightFormat::dense, 5);
  f.pass.vectors = 5;
  f.pass.lanes_valid = 1;
  f.winograd = true;
  f.component = 1 * 4 + 1;
  f.tile_lanes = 1;
  f.quantize = true;
  f.input_shift = 2;
  for (unsigned t = 0; t < 5; ++t)
    for (unsigned c = 0; c < 4; ++c) {
      f.inputs.push_back(inputs[t][c]);
      f.input_zero.push_back(inputs[t][c] == 0);
    }
  TileFeed g = f;
  g.input_shift = 0;
  b.feeder.run([&](const auto& send) {
    send(f);
    send(g);
  });
  sc_core::sc_start();
  ASSERT_EQ(b.array.passes.size(), 2u);
  const MacPass& p = b.array.passes[0];
  EXPECT_EQ(p.acts[0 * p.act_lanes], 2);
  EXPECT_EQ(p.acts[1 * p.act_lanes], -2);
  EXPECT_EQ(p.acts[2 * p.act_lanes], 1);
  EXPECT_EQ(p.acts[3 * p.act_lanes], -1);
  EXPECT_EQ(p.acts[4 * p.act_lanes], 127);  // 508 / 4 = 127
  EXPECT_EQ(b.array.passes[1].acts[4 * p.act_lanes], 127) << "508 saturates to 127";
  EXPECT_EQ(b.array.passes[1].acts[1 * p.act_lanes], -6);
}

// A zero line means zero whatever the value lines carry (operand isolation):
// component (0, 0) of contributors {7, 9, 5, 3} with only the first live is 7.
TEST(WinogradInputTransform, ZeroLinedInputsCountAsZero) {
  Bench b("small");
  TileFeed f;
  f.pass.configure(b.cfg, Precision::int8, WeightFormat::dense, 1);
  f.pass.vectors = 1;
  f.pass.lanes_valid = 1;
  f.winograd = true;
  f.component = 0;
  f.tile_lanes = 1;
  f.inputs = {7, 9, 5, 3};
  f.input_zero = {0, 1, 1, 1};
  b.feeder.run([&](const auto& send) { send(f); });
  sc_core::sc_start();
  ASSERT_EQ(b.array.passes.size(), 1u);
  EXPECT_EQ(b.array.passes[0].acts[0], 7);
  EXPECT_EQ(b.array.passes[0].act_zero[0], 0);
}

// Direct convolution: the pass reaches the array exactly as sent.
TEST(WinogradInputTransform, DirectPassesUntouched) {
  std::mt19937_64 rng(test::seed(6008));
  Bench b("small");
  std::vector<TileFeed> feeds;
  for (Precision p : {Precision::int8, Precision::int16, Precision::int8}) {
    TileFeed f;
    f.pass.configure(b.cfg, p, WeightFormat::sparse_2_4, 9);
    f.pass.columns = 5;
    f.pass.vectors = 9;
    f.pass.lanes_valid = f.pass.act_lanes - 1;
    std::uniform_int_distribution<int> v(-128, 127), z(0, 3);
    for (auto& w : f.pass.weights) w = std::int16_t(v(rng));
    for (auto& w : f.pass.weight_zero) w = z(rng) == 0;
    for (auto& w : f.pass.weight_index) w = std::uint8_t(z(rng));
    for (auto& a : f.pass.acts) a = std::int16_t(v(rng));
    for (auto& a : f.pass.act_zero) a = z(rng) == 0;
    // Winograd fields filled but off: they must be ignored.
    f.winograd = false;
    f.component = 5;
    f.tile_lanes = 4;
    f.inputs.assign(9 * 4 * 4, 77);
    f.input_zero.assign(9 * 4 * 4, 0);
    f.quantize = true;
    f.input_shift = 2;
    feeds.push_back(std::move(f));
  }
  const std::vector<TileFeed> sent = feeds;
  b.feeder.run([&](const auto& send) {
    for (TileFeed& f : feeds) send(f);
  });
  sc_core::sc_start();
  ASSERT_EQ(b.array.passes.size(), sent.size());
  for (std::size_t i = 0; i < sent.size(); ++i) {
    const MacPass& got = b.array.passes[i];
    const MacPass& want = sent[i].pass;
    EXPECT_EQ(got.precision, want.precision);
    EXPECT_EQ(got.format, want.format);
    EXPECT_EQ(got.columns, want.columns);
    EXPECT_EQ(got.vectors, want.vectors);
    EXPECT_EQ(got.lanes_valid, want.lanes_valid);
    EXPECT_EQ(got.weights, want.weights);
    EXPECT_EQ(got.weight_zero, want.weight_zero);
    EXPECT_EQ(got.weight_index, want.weight_index);
    EXPECT_EQ(got.acts, want.acts);
    EXPECT_EQ(got.act_zero, want.act_zero);
  }
  EXPECT_EQ(b.transform.activity().at("vectors"), 0u);
  EXPECT_EQ(b.array.activity().cycles, (5u + 9u) * 3) << "the array's delay came back through the transform";
}

}  // namespace
}  // namespace sdla
