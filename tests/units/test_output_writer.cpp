// Unit bench of the output writer (models/units/output_writer.hpp), alone:
// a stub post-processor sends OutputTiles, a stub DMA write port records
// every request of every transfer (a tile's requests come in one transfer,
// issued together) and answers each after a fixed (or test-chosen) latency. The
// writes are checked against the feature-map layout of sdla/descriptor.hpp
// written out again here:
//  * dense: element k of pixel (p, q) at output_addr + ((p * Q + q) * Kp +
//    first_channel + k) * eb (Kp = out_channels rounded up to the lanes),
//    one write per run of pixels contiguous in DRAM; the tile's dense bytes
//    booked once;
//  * ZVC: per pixel and granule of G = zvc_granule(lanes) columns, the
//    non-zeros packed at the granule's front at output_addr + (first + g * G)
//    * eb (first = (p * Q + q) * Kp + first_channel), no write for an all-zero
//    granule, and the mask bytes at output_mask_addr + first / G;
//  * the end-of-layer tile answers with the time the last write completes;
//  * an error response of the DMA throws sdla::DmaError.
#include <algorithm>
#include <cstdint>
#include <functional>
#include <map>
#include <random>
#include <string>
#include <tuple>
#include <vector>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "dma.hpp"
#include "output_writer.hpp"
#include "seed.hpp"
#include "unit_bench.hpp"

namespace sdla {
namespace {

using sc_core::SC_NS;
using sc_core::sc_time;

/// A DMA transfer as received, with the tile being sent when it arrived.
struct Write {
  DmaTransfer::Dir dir = DmaTransfer::Dir::read;
  Stream tensor = Stream::input;
  std::size_t runs = 0, run_len = 0;
  std::uint64_t addr = 0;
  std::vector<std::uint8_t> data;
  std::uint64_t dense_bytes = 0;
  int tile = -1;
  std::size_t transfer = 0;  ///< the DMA transfer the request came in
  sc_time done;  ///< absolute time the stub answered the write complete
};

struct Bench {
  AcceleratorConfig cfg;
  OutputWriter writer;
  test::Source<OutputTile> source{"post_processor"};
  test::Sink<DmaTransfer> dma;
  std::vector<Write> writes;
  std::size_t transfers = 0;
  int tile = -1;  ///< set by the stimulus: index of the tile being sent
  /// Latency of write number i (default: a fixed 10 ns).
  std::function<sc_time(std::size_t)> latency = [](std::size_t) { return sc_time(10, SC_NS); };
  /// Answer write number i with an error response.
  std::function<bool(std::size_t)> fail = [](std::size_t) { return false; };

  explicit Bench(const std::string& preset)
      : cfg(AcceleratorConfig::preset(preset)),
        writer("output_writer", cfg),
        dma("dma", [this](DmaTransfer& t, sc_time& d) { on_dma(t, d); }) {
    source.isock.bind(writer.tsock);
    writer.dma_isock.bind(dma.tsock);
  }

  // Records each request (run) of a transfer as one Write: the writer sends
  // a tile's requests in one transfer, all issued at `delay`.
  void on_dma(DmaTransfer& t, sc_time& delay) {
    ++transfers;
    sc_time done = delay;
    t.ok = true;
    t.error.clear();
    for (std::size_t r = 0; r < t.runs.size(); ++r) {
      const std::size_t i = writes.size();
      const DmaRun& run = t.runs[r];
      Write w;
      w.dir = t.dir;
      w.tensor = t.tensor;
      w.runs = 1;
      w.addr = run.dram;
      w.run_len = run.len;
      EXPECT_LE(run.buffer + run.len, t.data.size()) << "run " << r << " beyond the transfer's data";
      w.data.assign(t.data.begin() + std::ptrdiff_t(run.buffer),
                    t.data.begin() + std::ptrdiff_t(std::min(run.buffer + run.len, t.data.size())));
      w.dense_bytes = r == 0 ? t.dense_bytes : 0;
      w.tile = tile;
      w.transfer = transfers;
      if (fail(i)) {
        t.ok = false;
        t.error = fmt::format("stub dma: write of {} bytes at {:#x} refused", run.len, w.addr);
        w.done = sc_core::sc_time_stamp() + delay;
        writes.push_back(std::move(w));
        return;
      }
      w.done = sc_core::sc_time_stamp() + delay + latency(i);
      done = std::max(done, delay + latency(i));
      writes.push_back(std::move(w));
    }
    delay = done;
  }

  std::vector<Write> writes_of(int i) const {
    std::vector<Write> r;
    for (const Write& w : writes)
      if (w.tile == i) r.push_back(w);
    return r;
  }
};

std::uint64_t round_up(std::uint64_t a, std::uint64_t b) { return (a + b - 1) / b * b; }

/// A 1x1 convolution of `K` output channels on an H x W image (so Q = W).
Layer make_layer(Precision p, unsigned K, unsigned H, unsigned W) {
  Layer l;
  l.name = "out";
  l.precision = p;
  l.in_channels = 8;
  l.in_height = H;
  l.in_width = W;
  l.out_channels = K;
  return l;
}

LayerDescriptor make_desc(const Layer& l, std::uint64_t out, std::uint64_t mask, bool zvc) {
  LayerDescriptor d;
  d.precision = std::uint8_t(l.precision);
  d.out_channels = l.out_channels;
  d.output_addr = out;
  d.output_mask_addr = mask;
  // Input ZVC must not turn on ZVC on the way out.
  d.formats = LayerDescriptor::FORMAT_INPUT_ZVC | (zvc ? LayerDescriptor::FORMAT_OUTPUT_ZVC : 0);
  return d;
}

/// A tile and its bytes, with the layer it belongs to.
struct Tile {
  OutputTile tile;
  std::vector<std::uint8_t> bytes;
  Layer layer;
  LayerDescriptor desc;
};

/// Random elements of `eb` bytes; per (pixel, granule of G columns) either
/// all zero, all non-zero, or mixed. Some non-zero elements have a zero low
/// byte (only the element as a whole counts as zero).
Tile make_tile(std::mt19937_64& rng, const Layer& l, const LayerDescriptor& d, unsigned first, unsigned columns,
               unsigned p0, unsigned p1, unsigned q0, unsigned q1, unsigned eb, unsigned G) {
  Tile t;
  t.layer = l;
  t.desc = d;
  t.tile.first_channel = first;
  t.tile.columns = columns;
  t.tile.step = TileStep{};
  t.tile.step.p0 = p0;
  t.tile.step.p1 = p1;
  t.tile.step.q0 = q0;
  t.tile.step.q1 = q1;
  t.tile.element_bytes = eb;
  const unsigned pixels = t.tile.step.pixels();
  t.bytes.assign(std::size_t(pixels) * columns * eb, 0);
  std::uniform_int_distribution<unsigned> byte(0, 255), mode(0, 3), coin(0, 2);
  for (unsigned v = 0; v < pixels; ++v)
    for (unsigned g = 0; g * G < columns; ++g) {
      const unsigned m = mode(rng);  // 0 all zero, 1 all non-zero, 2..3 mixed
      for (unsigned i = 0; i < G && g * G + i < columns; ++i) {
        std::uint8_t* e = &t.bytes[(std::size_t(v) * columns + g * G + i) * eb];
        if (m == 0 || (m >= 2 && coin(rng) == 0)) continue;
        for (unsigned j = 0; j < eb; ++j) e[j] = std::uint8_t(byte(rng));
        if (eb > 1 && coin(rng) == 0) e[0] = 0;
        if (std::all_of(e, e + eb, [](std::uint8_t b) { return b == 0; })) e[eb - 1] = 1;
      }
    }
  return t;
}

bool element_zero(const std::uint8_t* e, unsigned eb) {
  return std::all_of(e, e + eb, [](std::uint8_t b) { return b == 0; });
}

/// Common checks of every write: a single-run write to the output stream.
void check_write_shape(const Write& w) {
  EXPECT_EQ(w.dir, DmaTransfer::Dir::write);
  EXPECT_EQ(w.tensor, Stream::output);
  EXPECT_EQ(w.runs, 1u);
  EXPECT_EQ(w.run_len, w.data.size());
  EXPECT_FALSE(w.data.empty());
}

/// The tile's dense bytes, booked once (with its first write).
void check_dense_bytes(const std::vector<Write>& ws, const Tile& t) {
  ASSERT_FALSE(ws.empty());
  EXPECT_EQ(ws[0].dense_bytes, std::uint64_t(t.tile.step.pixels()) * t.tile.columns * t.tile.element_bytes);
  for (std::size_t i = 1; i < ws.size(); ++i) EXPECT_EQ(ws[i].dense_bytes, 0u) << "write " << i;
}

// ---------------------------------------------------------------- dense

void check_dense_tile(const std::vector<Write>& ws, const Tile& t, unsigned lanes) {
  const OutputTile& o = t.tile;
  const TileStep& s = o.step;
  const unsigned eb = o.element_bytes, Q = t.layer.out_width();
  const std::uint64_t Kp = round_up(t.desc.out_channels, lanes);
  for (const Write& w : ws) {
    check_write_shape(w);
    EXPECT_EQ(w.transfer, ws.front().transfer) << "a tile's requests go out in one transfer";
  }
  check_dense_bytes(ws, t);
  // The DRAM image the writes leave: no byte written twice.
  std::map<std::uint64_t, std::uint8_t> image;
  for (const Write& w : ws)
    for (std::size_t j = 0; j < w.data.size(); ++j)
      ASSERT_TRUE(image.emplace(w.addr + j, w.data[j]).second) << "byte " << w.addr + j << " written twice";
  ASSERT_EQ(image.size(), std::size_t(s.pixels()) * o.columns * eb) << "bytes written";
  unsigned v = 0;
  for (unsigned p = s.p0; p < s.p1; ++p)
    for (unsigned q = s.q0; q < s.q1; ++q, ++v)
      for (unsigned k = 0; k < o.columns; ++k)
        for (unsigned j = 0; j < eb; ++j) {
          const std::uint64_t addr = t.desc.output_addr + ((std::uint64_t(p) * Q + q) * Kp + o.first_channel + k) * eb + j;
          const auto it = image.find(addr);
          ASSERT_NE(it, image.end()) << "pixel (" << p << ", " << q << ") column " << k << " byte " << j << " not written";
          ASSERT_EQ(it->second, t.bytes[(std::size_t(v) * o.columns + k) * eb + j])
              << "pixel (" << p << ", " << q << ") column " << k << " byte " << j;
        }
  // Pixels are contiguous when the tile spans all Kp channels; rows too when
  // the step spans the full width: one write per run.
  const std::size_t runs = o.columns == Kp ? (s.q1 - s.q0 == Q ? 1 : s.p1 - s.p0) : s.pixels();
  EXPECT_EQ(ws.size(), runs) << "writes (columns " << o.columns << " of Kp " << Kp << ", width " << s.q1 - s.q0
                             << " of " << Q << ")";
}

/// Dense writes of element size `eb` on `preset`: two layers, one whose
/// channels fill the padded width (Kp = K = lanes: contiguous pixels) and
/// one that does not; for each a full-width step, a partial-width step and a
/// partial-channel step, then random steps.
void check_dense(const std::string& preset, Precision prec, unsigned eb, std::uint64_t default_seed) {
  std::mt19937_64 rng(test::seed(default_seed));
  Bench b(preset);
  const unsigned lanes = b.cfg.lanes(prec), G = zvc_granule(lanes);
  const unsigned H = 6, W = 5;
  std::vector<Tile> tiles;
  for (const unsigned K : {lanes, lanes + 3}) {
    const Layer l = make_layer(prec, K, H, W);
    const LayerDescriptor d = make_desc(l, 0x100000 + 0x40000 * tiles.size(), 0x900000, false);
    const unsigned Kp = unsigned(round_up(K, lanes));
    ASSERT_EQ(l.out_width(), W);
    tiles.push_back(make_tile(rng, l, d, 0, K, 0, 3, 0, W, eb, G));         // full width
    tiles.push_back(make_tile(rng, l, d, 0, K, 3, 6, 1, 4, eb, G));         // partial width
    tiles.push_back(make_tile(rng, l, d, K / 2, K - K / 2, 0, 2, 0, W, eb, G));  // partial channels
    ASSERT_EQ(tiles[tiles.size() - 3].tile.columns == Kp, K == lanes);
    for (int i = 0; i < 6; ++i) {
      const unsigned first = G * std::uniform_int_distribution<unsigned>(0, (K - 1) / G)(rng);
      const unsigned cols = std::uniform_int_distribution<unsigned>(1, K - first)(rng);
      const unsigned p0 = std::uniform_int_distribution<unsigned>(0, H - 1)(rng);
      const unsigned p1 = std::uniform_int_distribution<unsigned>(p0 + 1, H)(rng);
      const unsigned q0 = std::uniform_int_distribution<unsigned>(0, W - 1)(rng);
      const unsigned q1 = std::uniform_int_distribution<unsigned>(q0 + 1, W)(rng);
      tiles.push_back(make_tile(rng, l, d, first, cols, p0, p1, q0, q1, eb, G));
    }
  }
  b.source.run([&](const auto& send) {
    for (std::size_t i = 0; i < tiles.size(); ++i) {
      if (i == 0 || tiles[i].desc.output_addr != tiles[i - 1].desc.output_addr)
        b.writer.configure(tiles[i].layer, tiles[i].desc);
      b.tile = int(i);
      tiles[i].tile.bytes = tiles[i].bytes.data();
      send(tiles[i].tile);
    }
  });
  sc_core::sc_start();
  std::size_t seen = 0;
  for (std::size_t i = 0; i < tiles.size(); ++i) {
    const OutputTile& o = tiles[i].tile;
    SCOPED_TRACE(fmt::format("tile {}: K {}, channels {}+{}, pixels [{},{})x[{},{})", i, tiles[i].desc.out_channels,
                             o.first_channel, o.columns, o.step.p0, o.step.p1, o.step.q0, o.step.q1));
    const std::vector<Write> ws = b.writes_of(int(i));
    seen += ws.size();
    check_dense_tile(ws, tiles[i], lanes);
  }
  EXPECT_EQ(seen, b.writes.size());
  // The fixed shapes of the first layer (Kp = K = lanes, Q = 5), counted by hand.
  EXPECT_EQ(b.writes_of(0).size(), 1u) << "full-width step: one write";
  EXPECT_EQ(b.writes_of(1).size(), 3u) << "partial-width step: one write per row";
  EXPECT_EQ(b.writes_of(2).size(), 10u) << "partial-channel step: one write per pixel";
}

TEST(OutputWriter, DenseSmallInt8) { check_dense("small", Precision::int8, 1, 5001); }
TEST(OutputWriter, DenseSmallInt16) { check_dense("small", Precision::int16, 2, 5002); }
TEST(OutputWriter, DenseFullInt8) { check_dense("full", Precision::int8, 1, 5003); }
TEST(OutputWriter, DenseFullInt16) { check_dense("full", Precision::int16, 2, 5004); }
// Raw accumulators (post-processing off): int32 elements in the same layout.
TEST(OutputWriter, DenseRawInt32Small) { check_dense("small", Precision::int8, 4, 5005); }

// ---------------------------------------------------------------- ZVC

using AddrData = std::pair<std::uint64_t, std::vector<std::uint8_t>>;

/// The writes of a ZVC tile: per pixel, the non-zeros of each granule packed
/// at its front, and the pixel's mask bytes.
std::vector<AddrData> zvc_reference(const Tile& t, unsigned lanes, std::uint64_t* nonzeros) {
  const OutputTile& o = t.tile;
  const TileStep& s = o.step;
  const unsigned eb = o.element_bytes, Q = t.layer.out_width(), G = zvc_granule(lanes);
  const std::uint64_t Kp = round_up(t.desc.out_channels, lanes);
  const unsigned granules = (o.columns + G - 1) / G;
  std::vector<AddrData> r;
  unsigned v = 0;
  for (unsigned p = s.p0; p < s.p1; ++p)
    for (unsigned q = s.q0; q < s.q1; ++q, ++v) {
      const std::uint64_t first = (std::uint64_t(p) * Q + q) * Kp + o.first_channel;
      std::vector<std::uint8_t> masks(granules, 0);
      for (unsigned g = 0; g < granules; ++g) {
        std::vector<std::uint8_t> packed;
        for (unsigned i = 0; i < G && g * G + i < o.columns; ++i) {
          const std::uint8_t* e = &t.bytes[(std::size_t(v) * o.columns + g * G + i) * eb];
          if (element_zero(e, eb)) continue;
          masks[g] = std::uint8_t(masks[g] | (1u << i));
          packed.insert(packed.end(), e, e + eb);
          ++*nonzeros;
        }
        if (!packed.empty()) r.emplace_back(t.desc.output_addr + (first + std::uint64_t(g) * G) * eb, packed);
      }
      EXPECT_EQ(first % G, 0u) << "granules start on granule boundaries";
      r.emplace_back(t.desc.output_mask_addr + first / G, masks);
    }
  return r;
}

void check_zvc(const std::string& preset, Precision prec, std::uint64_t default_seed) {
  std::mt19937_64 rng(test::seed(default_seed));
  Bench b(preset);
  const unsigned lanes = b.cfg.lanes(prec), G = zvc_granule(lanes), eb = element_bytes(prec);
  const unsigned H = 5, W = 4, K = 2 * lanes + 3;  // the last granule of the last channels is partial
  const Layer l = make_layer(prec, K, H, W);
  const LayerDescriptor d = make_desc(l, 0x200000, 0x700000, true);
  std::vector<Tile> tiles;
  tiles.push_back(make_tile(rng, l, d, 0, K, 0, H, 0, W, eb, G));  // the whole layer in one tile
  for (int i = 0; i < 10; ++i) {
    const unsigned first = G * std::uniform_int_distribution<unsigned>(0, (K - 1) / G)(rng);
    const unsigned cols = std::uniform_int_distribution<unsigned>(1, K - first)(rng);
    const unsigned p0 = std::uniform_int_distribution<unsigned>(0, H - 1)(rng);
    const unsigned p1 = std::uniform_int_distribution<unsigned>(p0 + 1, H)(rng);
    const unsigned q0 = std::uniform_int_distribution<unsigned>(0, W - 1)(rng);
    const unsigned q1 = std::uniform_int_distribution<unsigned>(q0 + 1, W)(rng);
    tiles.push_back(make_tile(rng, l, d, first, cols, p0, p1, q0, q1, eb, G));
  }
  b.source.run([&](const auto& send) {
    b.writer.configure(l, d);
    for (std::size_t i = 0; i < tiles.size(); ++i) {
      b.tile = int(i);
      tiles[i].tile.bytes = tiles[i].bytes.data();
      send(tiles[i].tile);
    }
  });
  sc_core::sc_start();
  std::size_t seen = 0;
  std::uint64_t nonzeros = 0, elements = 0, empty_granules = 0;
  for (std::size_t i = 0; i < tiles.size(); ++i) {
    const OutputTile& o = tiles[i].tile;
    SCOPED_TRACE(fmt::format("tile {}: channels {}+{}, pixels [{},{})x[{},{}), G {}, eb {}", i, o.first_channel,
                             o.columns, o.step.p0, o.step.p1, o.step.q0, o.step.q1, G, eb));
    const std::vector<Write> ws = b.writes_of(int(i));
    seen += ws.size();
    for (const Write& w : ws) check_write_shape(w);
    check_dense_bytes(ws, tiles[i]);
    std::vector<AddrData> want = zvc_reference(tiles[i], lanes, &nonzeros), got;
    for (const Write& w : ws) got.emplace_back(w.addr, w.data);
    std::sort(want.begin(), want.end());
    std::sort(got.begin(), got.end());
    ASSERT_EQ(got.size(), want.size()) << "writes";
    for (std::size_t j = 0; j < want.size(); ++j) {
      EXPECT_EQ(got[j].first, want[j].first) << "write " << j;
      EXPECT_EQ(got[j].second, want[j].second) << "write " << j << " at " << want[j].first;
    }
    elements += std::uint64_t(o.step.pixels()) * o.columns;
    const unsigned granules = (o.columns + G - 1) / G;
    empty_granules += std::uint64_t(o.step.pixels()) * granules + o.step.pixels() - want.size();
  }
  EXPECT_EQ(seen, b.writes.size());
  // The data had zeros, non-zeros and all-zero granules.
  EXPECT_GT(nonzeros, elements / 4);
  EXPECT_LT(nonzeros, elements * 3 / 4);
  EXPECT_GT(empty_granules, 0u);
}

TEST(OutputWriter, ZvcSmallInt8) { check_zvc("small", Precision::int8, 5101); }
TEST(OutputWriter, ZvcSmallInt16) { check_zvc("small", Precision::int16, 5102); }
TEST(OutputWriter, ZvcFullInt8) { check_zvc("full", Precision::int8, 5103); }
TEST(OutputWriter, ZvcFullInt16) { check_zvc("full", Precision::int16, 5104); }

// Worked by hand: "small", int8 (lanes 8, G 8), K 10 (Kp 16), Q 3; pixel
// (1, 2), channels 0..9 = {0,5,0,0,7,0,0,0 | 0,0}: first = (1*3+2)*16 = 80,
// granule 0 writes {5,7} at out + 80, granule 1 writes nothing, the masks
// {0b00010010, 0} go to mask + 80/8 = mask + 10.
TEST(OutputWriter, ZvcHandWorked) {
  Bench b("small");
  const Layer l = make_layer(Precision::int8, 10, 2, 3);
  const LayerDescriptor d = make_desc(l, 0x4000, 0x8000, true);
  std::vector<std::uint8_t> bytes = {0, 5, 0, 0, 7, 0, 0, 0, 0, 0};
  OutputTile t;
  t.columns = 10;
  t.step = TileStep{};
  t.step.p0 = 1;
  t.step.p1 = 2;
  t.step.q0 = 2;
  t.step.q1 = 3;
  t.element_bytes = 1;
  t.bytes = bytes.data();
  b.source.run([&](const auto& send) {
    b.writer.configure(l, d);
    send(t);
  });
  sc_core::sc_start();
  ASSERT_EQ(b.writes.size(), 2u);
  EXPECT_EQ(b.writes[0].addr, 0x4000u + 80);
  EXPECT_EQ(b.writes[0].data, (std::vector<std::uint8_t>{5, 7}));
  EXPECT_EQ(b.writes[0].dense_bytes, 10u);
  EXPECT_EQ(b.writes[1].addr, 0x8000u + 10);
  EXPECT_EQ(b.writes[1].data, (std::vector<std::uint8_t>{0x12, 0}));
  EXPECT_EQ(b.writes[1].dense_bytes, 0u);
}

// ---------------------------------------------------------------- end of layer

// The end-of-layer tile answers with the time the last write completes,
// measured from now (zero once it has passed), and writes nothing.
TEST(OutputWriter, EndOfLayerWaitsForLastWrite) {
  std::mt19937_64 rng(test::seed(5201));
  Bench b("small");
  // Latencies that fall from write to write: the latest completion is not
  // the last write's issue.
  b.latency = [](std::size_t i) { return sc_time(double(40 - 10 * (i % 3)), SC_NS); };
  const unsigned lanes = b.cfg.lanes(Precision::int8);
  const Layer l = make_layer(Precision::int8, lanes + 3, 4, 4);
  const LayerDescriptor d = make_desc(l, 0x10000, 0x20000, false);
  Tile a = make_tile(rng, l, d, 0, lanes, 0, 1, 0, 3, 1, lanes);  // 3 pixels, 3 writes at t0
  Tile c = make_tile(rng, l, d, 0, lanes, 2, 3, 1, 2, 1, lanes);  // 1 pixel
  struct End {
    sc_time at, delay;
    std::size_t writes_before, writes_after;
  };
  std::vector<End> ends;
  b.source.run([&](const auto& send) {
    auto end_of_layer = [&] {
      OutputTile e;
      e.end_of_layer = true;
      End r;
      r.at = sc_core::sc_time_stamp();
      r.writes_before = b.writes.size();
      const sc_time before = b.source.annotated();
      send(e);
      r.delay = b.source.annotated() - before;
      r.writes_after = b.writes.size();
      ends.push_back(r);
    };
    b.writer.configure(l, d);
    b.tile = -2;
    end_of_layer();  // 0: nothing written yet
    b.tile = 0;
    a.tile.bytes = a.bytes.data();
    send(a.tile);
    sc_core::wait(7, SC_NS);
    b.tile = -2;
    end_of_layer();  // 1: at 7 ns, writes complete at 40 ns
    sc_core::wait(100, SC_NS);
    end_of_layer();  // 2: all done
    b.tile = 1;
    c.tile.bytes = c.bytes.data();
    send(c.tile);
    b.tile = -2;
    end_of_layer();  // 3: right after the write
  });
  sc_core::sc_start();
  ASSERT_EQ(ends.size(), 4u);
  ASSERT_EQ(b.writes_of(0).size(), 3u);
  ASSERT_EQ(b.writes_of(1).size(), 1u);
  EXPECT_TRUE(b.writes_of(-2).empty()) << "the end-of-layer tile writes nothing";
  for (const End& e : ends) EXPECT_EQ(e.writes_before, e.writes_after);
  auto last_done = [&](int tile) {
    sc_time t = sc_core::SC_ZERO_TIME;
    for (const Write& w : b.writes_of(tile)) t = std::max(t, w.done);
    return t;
  };
  EXPECT_EQ(last_done(0), sc_time(40, SC_NS));
  EXPECT_EQ(ends[0].delay, sc_core::SC_ZERO_TIME);
  EXPECT_EQ(ends[1].at, sc_time(7, SC_NS));
  EXPECT_EQ(ends[1].delay, last_done(0) - ends[1].at);
  EXPECT_EQ(ends[2].delay, sc_core::SC_ZERO_TIME);
  EXPECT_EQ(ends[3].delay, last_done(1) - ends[3].at);
  EXPECT_EQ(ends[3].delay, sc_time(40, SC_NS)) << "write 3 takes 40 ns";
}

// ---------------------------------------------------------------- DMA errors

// An error response of the DMA throws DmaError with its message; the writer
// issues nothing more for that tile, and the next tile is written normally.
void check_error(bool zvc, std::uint64_t default_seed) {
  std::mt19937_64 rng(test::seed(default_seed));
  Bench b("small");
  const unsigned lanes = b.cfg.lanes(Precision::int8);
  const Layer l = make_layer(Precision::int8, lanes, 4, 4);
  const LayerDescriptor d = make_desc(l, 0x10000, 0x20000, zvc);
  Tile a = make_tile(rng, l, d, 0, lanes / 2, 0, 2, 0, 2, 1, lanes);  // 4 pixels: at least 4 writes
  Tile c = make_tile(rng, l, d, 0, lanes / 2, 3, 4, 3, 4, 1, lanes);
  b.fail = [](std::size_t i) { return i == 1; };
  std::vector<std::string> caught;
  b.source.run([&](const auto& send) {
    b.writer.configure(l, d);
    for (int i = 0; i < 2; ++i) {
      Tile& t = i == 0 ? a : c;
      b.tile = i;
      t.tile.bytes = t.bytes.data();
      try {
        send(t.tile);
      } catch (const DmaError& e) {
        caught.push_back(fmt::format("tile {}: {}", i, e.what()));
      }
    }
  });
  sc_core::sc_start();
  ASSERT_EQ(caught.size(), 1u);
  EXPECT_NE(caught[0].find("tile 0: stub dma: write of"), std::string::npos) << caught[0];
  EXPECT_EQ(b.writes_of(0).size(), 2u) << "no write after the error";
  std::uint64_t nz = 0;
  const std::size_t want_c = zvc ? zvc_reference(c, lanes, &nz).size() : 1;
  EXPECT_EQ(b.writes_of(1).size(), want_c) << "the next tile";
}

TEST(OutputWriter, DmaErrorThrowsDense) { check_error(false, 5301); }
TEST(OutputWriter, DmaErrorThrowsZvc) { check_error(true, 5302); }

}  // namespace
}  // namespace sdla
