// Unit bench of the post-processor (models/units/post_processor.hpp), alone:
// a stub output transform sends SumTiles, a stub output writer records the
// OutputTiles. Every element is checked against golden::requantize and
// against the rule of sdla/layer.hpp written out again here:
//   y = saturate(relu?(floor(((acc + bias[k]) * multiplier[k] + 2^(s-1)) / 2^s)))
// with random per-channel multipliers, shifts, biases and ReLU, for int8 and
// int16 layers, encoded little-endian in 1 or 2 bytes; with post-processing
// disabled the raw sums pass through in 4 (int8) or 8 (int16) bytes.
#include <algorithm>
#include <cstdint>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "golden/conv.hpp"
#include "post_processor.hpp"
#include "requantize_row.hpp"
#include "seed.hpp"
#include "unit_bench.hpp"

namespace sdla {
namespace {

using sc_core::sc_time;

/// An OutputTile as received, its bytes copied out.
struct Received {
  OutputTile tile;
  std::vector<std::uint8_t> bytes;
};

struct Bench {
  PostProcessor post{"post_processor"};
  test::Source<SumTile> source{"output_transform"};
  std::vector<Received> got;
  test::Sink<OutputTile> writer{"output_writer", [this](OutputTile& t, sc_time&) {
                                  Received r{t, {}};
                                  if (!t.end_of_layer)
                                    r.bytes.assign(t.bytes, t.bytes + std::size_t(t.columns) * t.step.pixels() *
                                                                           t.element_bytes);
                                  r.tile.bytes = nullptr;  // valid only during the call
                                  got.push_back(std::move(r));
                                }};
  // The post-processor's read DMA: residual reads served from `memory`, each
  // transfer taking `dma_latency` (requests recorded).
  std::vector<std::uint8_t> memory;
  std::vector<DmaTransfer> dma_requests;
  sc_time dma_latency{100, sc_core::SC_NS};
  test::Sink<DmaTransfer> dma{"dma", [this](DmaTransfer& t, sc_time& d) {
                                t.data.clear();
                                for (const DmaRun& r : t.runs)
                                  t.data.insert(t.data.end(), memory.begin() + std::ptrdiff_t(r.dram),
                                                memory.begin() + std::ptrdiff_t(r.dram + r.len));
                                t.ok = true;
                                dma_requests.push_back(t);
                                d += dma_latency;
                              }};
  Bench() {
    source.isock.bind(post.tsock);
    post.out_isock.bind(writer.tsock);
    post.dma_isock.bind(dma.tsock);
  }
};

/// The rule of sdla/layer.hpp, in 128-bit arithmetic; `residual` is added
/// after the rounding, before ReLU and saturation.
std::int64_t rule(std::int64_t acc, std::int32_t bias, std::int32_t multiplier, unsigned shift, bool relu,
                  Precision p, std::int64_t residual = 0) {
  __int128 v = (__int128(acc) + bias) * multiplier;
  if (shift > 0) {
    const __int128 d = __int128(1) << shift;
    v = v + d / 2;
    // floor division (arithmetic shift of a negative value rounds down)
    v = v >= 0 ? v / d : -((-v + d - 1) / d);
  }
  v += residual;
  if (relu && v < 0) v = 0;
  const std::int64_t lo = p == Precision::int8 ? -128 : -32768, hi = p == Precision::int8 ? 127 : 32767;
  return v < lo ? lo : v > hi ? hi : std::int64_t(v);
}

std::int64_t read_le(const std::uint8_t* b, unsigned n) {
  std::uint64_t v = 0;
  for (unsigned i = 0; i < n; ++i) v |= std::uint64_t(b[i]) << (8 * i);
  const unsigned unused = 64 - 8 * n;
  return unused ? std::int64_t(v << unused) >> unused : std::int64_t(v);
}

/// A tile of `columns` channels from `first` and `rows` x `cols` pixels of random sums.
struct Tile {
  SumTile tile;
  std::vector<std::int64_t> sums;
};

/// Sums of channel k (absolute k = first + column) lie in [-bound(k), bound(k)];
/// every 11th pixel takes an extreme, every 7th is zero.
template <class Bound>
Tile random_tile(std::mt19937_64& rng, unsigned first, unsigned columns, unsigned rows, unsigned cols, Bound bound) {
  Tile t;
  t.tile.first_channel = first;
  t.tile.columns = columns;
  t.tile.step.p0 = 2;
  t.tile.step.p1 = 2 + rows;
  t.tile.step.q0 = 1;
  t.tile.step.q1 = 1 + cols;
  t.tile.per_column = rows * cols;
  t.tile.stride = rows * cols + 3;  // columns need not be packed
  t.sums.assign(std::size_t(columns) * t.tile.stride, 0x7777);
  for (unsigned k = 0; k < columns; ++k) {
    const std::int64_t b = bound(first + k);
    std::uniform_int_distribution<std::int64_t> d(-b, b);
    for (unsigned v = 0; v < t.tile.per_column; ++v) {
      std::int64_t s = d(rng);
      if (v % 7 == 0) s = 0;
      if (v % 11 == 1) s = k % 2 ? b : -b;
      t.sums[std::size_t(k) * t.tile.stride + v] = s;
    }
  }
  return t;
}

void check_requantize(Precision p, std::uint64_t default_seed) {
  std::mt19937_64 rng(test::seed(default_seed));
  const unsigned K = 70;
  Layer l;
  l.name = "post";
  l.precision = p;
  l.in_channels = 16;
  l.out_channels = K;
  l.post.enabled = true;
  l.post.relu = false;
  std::vector<std::int32_t> bias(K);
  // Per channel: sums of magnitude up to 2^e (e up to the accumulator's
  // width), a multiplier of any size and sign, and a shift that maps
  // bound x multiplier about onto the output range, so results spread over
  // the range and some saturate. Channels 0..3 take the extreme shifts 0, 1,
  // 62 and 31 whatever their scale.
  const unsigned acc_bits = p == Precision::int8 ? 31 : 47, out_bits = p == Precision::int8 ? 7 : 15;
  std::vector<std::int64_t> bounds(K);
  for (unsigned k = 0; k < K; ++k) {
    const unsigned e = std::uniform_int_distribution<unsigned>(1, acc_bits)(rng);
    bounds[k] = e == 31 ? (std::int64_t(1) << 31) - 1 : std::int64_t(1) << e;
    const unsigned mbits = std::uniform_int_distribution<unsigned>(0, 30)(rng);
    std::int32_t m = std::int32_t(std::uniform_int_distribution<std::int64_t>(std::int64_t(1) << mbits, std::int64_t(1) << (mbits + 1))(rng) - 1);
    if (k % 3 == 0) m = -m;
    if (k == 5) m = 1;
    l.post.multiplier.push_back(m);
    const int natural = int(e + mbits + 1) - int(out_bits) + std::uniform_int_distribution<int>(-1, 2)(rng);
    const unsigned s = k < 4 ? unsigned(k == 0 ? 0 : k == 1 ? 1 : k == 2 ? 62 : 31) : unsigned(std::clamp(natural, 0, 62));
    l.post.shift.push_back(std::uint8_t(s));
    // A bias of the sums' scale (int32).
    const std::int64_t bb = std::min<std::int64_t>(bounds[k], std::numeric_limits<std::int32_t>::max());
    bias[k] = k % 4 == 0 ? 0 : std::int32_t(std::uniform_int_distribution<std::int64_t>(-bb, bb)(rng));
  }
  auto bound = [&](unsigned k) { return bounds[k]; };
  std::vector<Tile> tiles;
  std::vector<bool> relu;
  for (unsigned first = 0, i = 0; first < K; ++i) {
    const unsigned cols = std::min(K - first, std::uniform_int_distribution<unsigned>(1, 32)(rng));
    tiles.push_back(random_tile(rng, first, cols, 1 + i % 3, 1 + i % 4, bound));
    relu.push_back(i % 2 == 1);
    first += cols;
  }
  Bench b;
  b.source.run([&](const auto& send) {
    for (std::size_t i = 0; i < tiles.size(); ++i) {
      Layer li = l;
      li.post.relu = relu[i];
      b.post.configure(li, bias);  // configuring between tiles: as between layers
      tiles[i].tile.sums = tiles[i].sums.data();
      send(tiles[i].tile);
    }
    SumTile end;
    end.end_of_layer = true;
    send(end);
  });
  sc_core::sc_start();
  const unsigned eb = element_bytes(p);
  ASSERT_EQ(b.got.size(), tiles.size() + 1);
  std::uint64_t elements = 0, saturated = 0, clipped = 0;
  for (std::size_t i = 0; i < tiles.size(); ++i) {
    const SumTile& in = tiles[i].tile;
    const Received& r = b.got[i];
    SCOPED_TRACE(fmt::format("tile {} (channels {}..{}, relu {})", i, in.first_channel, in.first_channel + in.columns - 1,
                             bool(relu[i])));
    EXPECT_FALSE(r.tile.end_of_layer);
    EXPECT_EQ(r.tile.first_channel, in.first_channel);
    EXPECT_EQ(r.tile.columns, in.columns);
    EXPECT_EQ(r.tile.step.p0, in.step.p0);
    EXPECT_EQ(r.tile.step.q1, in.step.q1);
    ASSERT_EQ(r.tile.element_bytes, eb);
    ASSERT_EQ(r.bytes.size(), std::size_t(in.per_column) * in.columns * eb);
    for (unsigned v = 0; v < in.per_column; ++v)
      for (unsigned c = 0; c < in.columns; ++c) {
        const unsigned k = in.first_channel + c;
        const std::int64_t acc = tiles[i].sums[std::size_t(c) * in.stride + v];
        const std::int64_t lo = traits(p).min, hi = traits(p).max;
        const std::int64_t want = golden::requantize(acc + bias[k], l.post.multiplier[k], l.post.shift[k], relu[i], lo, hi);
        ASSERT_EQ(want, rule(acc, bias[k], l.post.multiplier[k], l.post.shift[k], relu[i], p))
            << "golden::requantize and the rule of layer.hpp disagree on acc " << acc << " channel " << k;
        const std::uint8_t* got = &r.bytes[(std::size_t(v) * in.columns + c) * eb];
        ASSERT_EQ(read_le(got, eb), want) << "pixel " << v << " channel " << k << " acc " << acc;
        // Little-endian: the low byte first.
        ASSERT_EQ(got[0], std::uint8_t(std::uint64_t(want) & 0xFF));
        ++elements;
        saturated += want == lo || want == hi;
        clipped += relu[i] && want == 0;
      }
  }
  EXPECT_TRUE(b.got.back().tile.end_of_layer);
  EXPECT_EQ(b.post.activity().at("elements"), elements);
  EXPECT_EQ(b.post.activity().at("requantize"), elements);
  EXPECT_EQ(b.post.output_bytes(), eb);
  // The data reached saturation and ReLU, and values in between.
  EXPECT_GT(saturated, 0u);
  EXPECT_GT(clipped, 0u);
  EXPECT_GT(elements - saturated - clipped, elements / 10);
}

TEST(PostProcessor, RequantizeInt8) { check_requantize(Precision::int8, 4001); }

TEST(PostProcessor, RequantizeInt16) { check_requantize(Precision::int16, 4002); }

// One value worked by hand: (100 + 20) * 3 / 2^4 = 22.5, ties to +inf -> 23;
// (-100 - 4) * 3 / 2^4 = -19.5 -> -19; with ReLU -> 0; 1000 * 3 -> 127 (saturated).
TEST(PostProcessor, HandWorkedValues) {
  Layer l;
  l.precision = Precision::int8;
  l.out_channels = 3;
  l.post.enabled = true;
  l.post.multiplier = {3};
  l.post.shift = {4, 4, 0};
  Bench b;
  std::vector<std::int64_t> sums = {100, -100, 1000};  // channel k: one pixel
  std::vector<std::int8_t> want_plain, want_relu;
  b.source.run([&](const auto& send) {
    for (bool relu : {false, true}) {
      l.post.relu = relu;
      b.post.configure(l, {20, -4, 0});
      SumTile t;
      t.columns = 3;
      t.per_column = 1;
      t.stride = 1;
      t.step.p1 = t.step.q1 = 1;
      t.sums = sums.data();
      send(t);
    }
  });
  sc_core::sc_start();
  ASSERT_EQ(b.got.size(), 2u);
  EXPECT_EQ(b.got[0].bytes, (std::vector<std::uint8_t>{23, std::uint8_t(-19), 127}));
  EXPECT_EQ(b.got[1].bytes, (std::vector<std::uint8_t>{23, 0, 127}));
}

// Post-processing disabled: the raw sums, 4 bytes (int8 layer) or 8 bytes
// (int16 layer), little-endian, no bias added.
void check_raw(Precision p, std::uint64_t default_seed) {
  std::mt19937_64 rng(test::seed(default_seed));
  Layer l;
  l.precision = p;
  l.out_channels = 40;
  const unsigned raw = p == Precision::int8 ? 4 : 8;
  const std::int64_t bound = p == Precision::int8 ? (std::int64_t(1) << 31) - 1 : (std::int64_t(1) << 47);
  Tile t = random_tile(rng, 5, 35, 3, 5, [&](unsigned) { return bound; });
  Bench b;
  b.source.run([&](const auto& send) {
    b.post.configure(l, std::vector<std::int32_t>(40, 1000));  // a bias the raw path must ignore
    t.tile.sums = t.sums.data();
    send(t.tile);
  });
  sc_core::sc_start();
  EXPECT_EQ(b.post.output_bytes(), raw);
  ASSERT_EQ(b.got.size(), 1u);
  const Received& r = b.got[0];
  ASSERT_EQ(r.tile.element_bytes, raw);
  ASSERT_EQ(r.bytes.size(), std::size_t(t.tile.per_column) * t.tile.columns * raw);
  for (unsigned v = 0; v < t.tile.per_column; ++v)
    for (unsigned c = 0; c < t.tile.columns; ++c) {
      const std::int64_t acc = t.sums[std::size_t(c) * t.tile.stride + v];
      const std::uint8_t* got = &r.bytes[(std::size_t(v) * t.tile.columns + c) * raw];
      ASSERT_EQ(read_le(got, raw), acc) << "pixel " << v << " column " << c;
      ASSERT_EQ(got[0], std::uint8_t(std::uint64_t(acc) & 0xFF)) << "little-endian";
    }
  EXPECT_EQ(b.post.activity().at("elements"), std::uint64_t(t.tile.per_column) * t.tile.columns);
  EXPECT_EQ(b.post.activity().at("requantize"), 0u);
}

// A residual layer: the post-processor reads the residual elements of each
// tile through its own DMA port (the tile's channels of each of its pixels,
// from the dense [P][Q][Kp] tensor) and adds them after requantisation,
// before ReLU and saturation; the read delays the tile's outputs.
void check_residual(Precision p, std::uint64_t default_seed) {
  std::mt19937_64 rng(test::seed(default_seed));
  const unsigned K = 20, pad = p == Precision::int8 ? 8 : 4, Kp = (K + pad - 1) / pad * pad, eb = element_bytes(p);
  const std::uint64_t base = 0x40;
  Layer l;
  l.name = "residual";
  l.precision = p;
  l.in_channels = 16;
  l.in_height = l.in_width = 8;  // kernel 1: P = Q = 8
  l.out_channels = K;
  l.post.enabled = true;
  l.residual = true;
  std::vector<std::int32_t> bias(K);
  for (unsigned k = 0; k < K; ++k) {
    l.post.multiplier.push_back(std::int32_t(std::uniform_int_distribution<int>(1, 3000)(rng)));
    l.post.shift.push_back(std::uint8_t(std::uniform_int_distribution<int>(8, 14)(rng)));
    bias[k] = std::uniform_int_distribution<std::int32_t>(-2000, 2000)(rng);
  }
  const unsigned P = l.out_height(), Q = l.out_width();
  Bench b;
  b.memory.assign(base + std::size_t(P) * Q * Kp * eb, 0);
  const std::int64_t lo = traits(p).min, hi = traits(p).max;
  std::uniform_int_distribution<std::int64_t> any(lo, hi);
  for (std::size_t i = 0; i < std::size_t(P) * Q * Kp; ++i) {
    const std::int64_t r = i % 13 == 0 ? hi : i % 17 == 0 ? lo : any(rng);
    for (unsigned byte = 0; byte < eb; ++byte) b.memory[base + i * eb + byte] = std::uint8_t(std::uint64_t(r) >> (8 * byte));
  }
  auto residual_at = [&](unsigned pp, unsigned q, unsigned k) {
    return read_le(&b.memory[base + ((std::size_t(pp) * Q + q) * Kp + k) * eb], eb);
  };
  const std::int64_t bound = std::int64_t(1) << 20;
  std::vector<Tile> tiles{random_tile(rng, 0, 12, 3, 4, [&](unsigned) { return bound; }),
                          random_tile(rng, 12, 8, 2, 5, [&](unsigned) { return bound; })};
  const std::vector<bool> relu{false, true};
  b.source.run([&](const auto& send) {
    for (std::size_t i = 0; i < tiles.size(); ++i) {
      Layer li = l;
      li.post.relu = relu[i];
      b.post.configure(li, bias, base, pad);
      tiles[i].tile.sums = tiles[i].sums.data();
      send(tiles[i].tile);
    }
  });
  sc_core::sc_start();
  ASSERT_EQ(b.got.size(), tiles.size());
  ASSERT_EQ(b.dma_requests.size(), tiles.size()) << "one residual read per tile";
  std::uint64_t elements = 0, saturated = 0, clipped = 0;
  for (std::size_t i = 0; i < tiles.size(); ++i) {
    const SumTile& in = tiles[i].tile;
    const TileStep& s = in.step;
    // The read: the tile's channels of each of its pixels, in the tile's pixel order.
    const DmaTransfer& t = b.dma_requests[i];
    EXPECT_EQ(t.tensor, Stream::residual);
    EXPECT_EQ(t.dir, DmaTransfer::Dir::read);
    EXPECT_EQ(t.dense_bytes, std::uint64_t(s.pixels()) * in.columns * eb);
    ASSERT_EQ(t.runs.size(), s.pixels());
    for (unsigned v = 0; v < s.pixels(); ++v) {
      const unsigned pp = s.p0 + v / (s.q1 - s.q0), q = s.q0 + v % (s.q1 - s.q0);
      EXPECT_EQ(t.runs[v].dram, base + ((std::uint64_t(pp) * Q + q) * Kp + in.first_channel) * eb) << "pixel " << v;
      EXPECT_EQ(t.runs[v].len, std::size_t(in.columns) * eb);
    }
    const Received& r = b.got[i];
    for (unsigned v = 0; v < in.per_column; ++v)
      for (unsigned c = 0; c < in.columns; ++c) {
        const unsigned k = in.first_channel + c;
        const unsigned pp = s.p0 + v / (s.q1 - s.q0), q = s.q0 + v % (s.q1 - s.q0);
        const std::int64_t acc = tiles[i].sums[std::size_t(c) * in.stride + v], res = residual_at(pp, q, k);
        const std::int64_t want = rule(acc, bias[k], l.post.multiplier[k], l.post.shift[k], relu[i], p, res);
        ASSERT_EQ(want, golden::requantize_add(acc + bias[k], l.post.multiplier[k], l.post.shift[k], res, relu[i],
                                               lo, hi))
            << "golden::requantize_add and the rule of layer.hpp disagree";
        ASSERT_EQ(read_le(&r.bytes[(std::size_t(v) * in.columns + c) * eb], eb), want)
            << "tile " << i << " pixel " << v << " channel " << k << " acc " << acc << " residual " << res;
        ++elements;
        saturated += want == lo || want == hi;
        clipped += relu[i] && want == 0;
      }
  }
  EXPECT_EQ(b.post.activity().at("residual_adds"), elements);
  EXPECT_EQ(b.post.activity().at("requantize"), elements);
  EXPECT_GT(saturated, 0u) << "the residual should push some sums past the range";
  EXPECT_GT(clipped, 0u);
  // Each tile's outputs wait for its residual read.
  EXPECT_GE(b.source.annotated(), double(tiles.size()) * b.dma_latency);
}

TEST(PostProcessor, ResidualInt8) { check_residual(Precision::int8, 4005); }

TEST(PostProcessor, ResidualInt16) { check_residual(Precision::int16, 4006); }

// Without a residual the DMA port is never used and no residual count appears.
TEST(PostProcessor, NoResidualNoReads) {
  Layer l;
  l.precision = Precision::int8;
  l.out_channels = 1;
  l.post.enabled = true;
  l.post.multiplier = {1};
  l.post.shift = {0};
  Bench b;
  std::vector<std::int64_t> sums = {5};
  b.source.run([&](const auto& send) {
    b.post.configure(l, {0}, 0x40, 8);  // an address without Layer::residual is ignored
    SumTile t;
    t.columns = 1;
    t.per_column = 1;
    t.stride = 1;
    t.step.p1 = t.step.q1 = 1;
    t.sums = sums.data();
    send(t);
  });
  sc_core::sc_start();
  EXPECT_TRUE(b.dma_requests.empty());
  EXPECT_EQ(b.post.activity().count("residual_adds"), 0u);
  EXPECT_EQ(b.source.annotated(), sc_core::SC_ZERO_TIME);
}

TEST(PostProcessor, RawPassThroughInt8) { check_raw(Precision::int8, 4003); }

TEST(PostProcessor, RawPassThroughInt16) { check_raw(Precision::int16, 4004); }

// The AVX2 and portable requantisers against the golden rule, on pixels
// whose sums + bias sit at the int32 edges, with shifts 0..62, with and
// without a residual, to int8 and int16 outputs. A pixel whose sum + bias
// leaves int32 must stop both, at that pixel, not be computed.
TEST(RequantizeRows, VectorAndPortableEqualTheGoldenRule) {
  std::mt19937_64 rng(test::seed(4007));
  constexpr unsigned n = 37, rows = 3, stride = n + 5;
  unsigned narrow_tiles = 0, wide_tiles = 0;
  for (int trial = 0; trial < 3000; ++trial) {
    Layer l;
    l.precision = trial % 2 ? Precision::int16 : Precision::int8;
    l.out_channels = n + 3;
    l.post.enabled = true;
    l.post.relu = trial % 3 == 0;
    std::vector<std::int32_t> bias(l.out_channels);
    for (unsigned k = 0; k < l.out_channels; ++k) {
      l.post.multiplier.push_back(std::int32_t(std::uint32_t(rng())));
      l.post.shift.push_back(std::uint8_t(k < 3 ? 62 * k / 2 : rng() % 63));
      bias[k] = std::int32_t(std::uint32_t(rng())) >> (rng() % 32);
    }
    const ChannelRules rules(l, bias);
    const unsigned c0 = trial % 4, bytes = element_bytes(l.precision);
    const bool wide = trial % 5 == 0, with_residual = trial % 7 != 0;
    std::vector<std::int64_t> sums(std::size_t(rows) * stride), residual(std::size_t(rows) * n);
    for (unsigned v = 0; v < rows; ++v)
      for (unsigned k = 0; k < n; ++k) {
        // acc = sum + bias lands anywhere in int32, often at its edges.
        const std::int64_t edges[] = {INT32_MIN, INT32_MAX, 0, -1, 1};
        const std::int64_t acc = rng() % 4 == 0 ? edges[rng() % 5] : std::int64_t(std::int32_t(std::uint32_t(rng())));
        sums[v * stride + k] = acc - bias[c0 + k];
        residual[v * n + k] = std::int64_t(rng() % 65536) - 32768;
      }
    const unsigned wide_row = wide ? unsigned(rng() % rows) : rows;
    if (wide) sums[wide_row * stride + rng() % n] += (rng() % 2 ? 1 : -1) * (std::int64_t(1) << 32);
    const std::int64_t* res = with_residual ? residual.data() : nullptr;
    std::vector<std::uint8_t> simd(std::size_t(rows) * n * bytes), portable(simd.size());
    const unsigned done_simd = requantize_rows(rules, c0, n, sums.data(), stride, res, rows, bytes, simd.data(), true);
    const unsigned done_portable =
        requantize_rows(rules, c0, n, sums.data(), stride, res, rows, bytes, portable.data(), false);
    ASSERT_EQ(done_simd, wide_row) << "trial " << trial;
    ASSERT_EQ(done_portable, wide_row) << "trial " << trial;
    ++(wide ? wide_tiles : narrow_tiles);
    const PrecisionTraits& p = traits(l.precision);
    for (unsigned v = 0; v < wide_row; ++v)
      for (unsigned k = 0; k < n; ++k) {
        const unsigned c = c0 + k;
        const std::int64_t want =
            golden::requantize_add(sums[v * stride + k] + bias[c], l.post.multiplier[c], l.post.shift[c],
                                   res ? res[v * n + k] : 0, l.post.relu, p.min, p.max);
        const std::size_t at = (std::size_t(v) * n + k) * bytes;
        const auto read = [&](const std::vector<std::uint8_t>& out) {
          return bytes == 1 ? std::int64_t(std::int8_t(out[at]))
                            : std::int64_t(std::int16_t(std::uint16_t(out[at] | out[at + 1] << 8)));
        };
        ASSERT_EQ(read(simd), want) << "trial " << trial << " pixel " << v << " channel " << c;
        ASSERT_EQ(read(portable), want) << "trial " << trial << " pixel " << v << " channel " << c;
      }
  }
  EXPECT_GT(narrow_tiles, 2000u);
  EXPECT_GT(wide_tiles, 500u);
}

}  // namespace
}  // namespace sdla
