// Unit bench of the decompressor (models/units/decompressor.hpp), alone: a
// stub unified-buffer read port serves extents from a byte vector and counts
// what is read; a stub feeder sends AtomBatches. Checked against references
// computed here:
//  * a ZVC atom (mask bytes of `granule` bits + its non-zeros packed in
//    element order, little-endian) expands as golden::zvc_decode says, granule
//    by granule, with zero lines exactly where mask bits are clear;
//  * a dense atom's zero lines mark its zero values; a run of dense atoms
//    (one extent) expands atom by atom at its destination stride;
//  * the bytes read are the masks plus popcount x element bytes (dense: lanes
//    x element bytes), at base + the refs' offsets;
//  * 2:4 metadata (nibble idx0 | idx1 << 2 per pair of multipliers, two
//    nibbles per byte, low first) expands to index[column * lanes + i];
//  * nothing outside each read's destination lanes is written.
#include <algorithm>
#include <array>
#include <cstdint>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "decompressor.hpp"
#include "golden/sparse_formats.hpp"
#include "seed.hpp"
#include "unit_bench.hpp"

namespace sdla {
namespace {

using sc_core::sc_time;

constexpr std::int16_t kValueSentinel = 0x5A5A;
constexpr std::uint8_t kZeroSentinel = 0xEE, kIndexSentinel = 0xEE;

/// The unified buffer's read port: extents served from `mem`, every byte counted.
struct BufferStub {
  std::vector<std::uint8_t> mem;
  std::vector<BufferExtent> extents;  // every extent read, in order
  std::uint64_t bytes = 0;
  unsigned transactions = 0;
  std::vector<std::uint8_t> bad;  // served for out-of-range extents (after a recorded failure)

  explicit BufferStub(std::size_t size) : mem(size, 0) {}
  void serve(BufferRead& r, sc_time&) {
    ++transactions;
    r.data.clear();
    for (const BufferExtent& e : r.extents) {
      extents.push_back(e);
      bytes += e.len;
      if (e.addr + e.len > mem.size()) {
        ADD_FAILURE() << fmt::format("read of {} bytes at {:#x} past the {}-byte buffer", e.len, e.addr, mem.size());
        bad.assign(e.len, 0);
        r.data.push_back(bad.data());
        continue;
      }
      r.data.push_back(mem.data() + e.addr);
    }
  }
};

/// One random batch laid out in the buffer, with its expected expansion.
struct Batch {
  AtomBatch batch;
  std::vector<std::int16_t> values;  // destination arrays (the batch points into them)
  std::vector<std::uint8_t> zero, index;
  std::vector<std::int16_t> want_values;  // expected contents after expansion (sentinels elsewhere)
  std::vector<std::uint8_t> want_zero, want_index;
  std::vector<BufferExtent> want_extents;
  std::uint64_t want_bytes = 0;
  std::string what;
};

struct BatchShape {
  Precision precision = Precision::int8;
  unsigned lanes = 8, granule = 8;
  double zvc_share = 1.0;  // fraction of the reads that are ZVC atoms
  bool meta = false;
};

void put_element(std::uint8_t* dst, std::int16_t v, Precision p) {
  dst[0] = std::uint8_t(std::uint16_t(v) & 0xFF);
  if (p == Precision::int16) dst[1] = std::uint8_t(std::uint16_t(v) >> 8);
}

/// A value of precision p: often zero, and in int16 often one whose low or
/// high byte is zero, so a byte-order slip shows.
std::int16_t random_element(std::mt19937_64& rng, Precision p, double density) {
  if (std::uniform_real_distribution<double>(0, 1)(rng) >= density) return 0;
  std::int16_t v = 0;
  while (v == 0) {
    if (p == Precision::int8) {
      v = std::int16_t(std::uniform_int_distribution<int>(-128, 127)(rng));
    } else {
      const int kind = std::uniform_int_distribution<int>(0, 3)(rng);
      const int byte = std::uniform_int_distribution<int>(-128, 127)(rng);
      v = kind == 0 ? std::int16_t(byte * 256) : kind == 1 ? std::int16_t(byte & 0xFF)
                                                           : std::int16_t(std::uniform_int_distribution<int>(-32768, 32767)(rng));
    }
  }
  return v;
}

/// Lays a random batch out in `buf` from `at` (a bump allocator) and computes its expansion.
Batch make_batch(std::mt19937_64& rng, BufferStub& buf, std::size_t& at, const BatchShape& shape) {
  Batch b;
  const Precision p = shape.precision;
  const unsigned eb = element_bytes(p), L = shape.lanes, G = shape.granule;
  const unsigned mask_bytes = (L + G - 1) / G;
  b.what = fmt::format("{} lanes {} granule {}{}", to_string(p), L, G, shape.meta ? " with 2:4 metadata" : "");
  AtomBatch& ab = b.batch;
  ab.precision = p;
  ab.granule = G;
  ab.mask_bytes = mask_bytes;
  ab.base = at;
  auto take = [&](std::size_t n) {
    const std::size_t a = at;
    at += n + std::uniform_int_distribution<std::size_t>(0, 5)(rng);  // gaps between extents
    EXPECT_LE(at, buf.mem.size()) << "the bench's buffer is too small";
    return a;
  };
  std::uniform_real_distribution<double> u01(0, 1);
  const double densities[] = {0.0, 0.3, 0.7, 1.0, 0.5};
  const unsigned reads = std::uniform_int_distribution<unsigned>(1, 12)(rng);
  std::uint32_t dst = std::uniform_int_distribution<std::uint32_t>(0, 3)(rng);
  std::vector<std::pair<std::uint32_t, std::vector<std::int16_t>>> expected;  // dst, elements
  std::vector<std::vector<std::uint8_t>> expected_zero;
  for (unsigned r = 0; r < reads; ++r) {
    // Mostly whole atoms; sometimes a partial last atom (its padding lanes are zeros).
    const unsigned valid = u01(rng) < 0.8 ? L : std::uniform_int_distribution<unsigned>(1, L)(rng);
    const double density = densities[std::uniform_int_distribution<int>(0, 4)(rng)];
    std::vector<std::int16_t> atom(L, 0);
    for (unsigned i = 0; i < valid; ++i) atom[i] = random_element(rng, p, density);
    AtomRead rd;
    rd.lanes = valid;
    rd.dst = dst;
    std::vector<std::int16_t> want(valid);
    std::vector<std::uint8_t> want_zero(valid);
    if (u01(rng) < shape.zvc_share) {
      // ZVC: one mask byte per granule, the non-zeros packed across the atom.
      std::vector<std::uint8_t> mask(mask_bytes, 0);
      std::vector<std::int16_t> packed;
      std::vector<std::int16_t> decoded;
      for (unsigned g = 0; g < mask_bytes; ++g) {
        const unsigned n = std::min(G, L - g * G);
        std::vector<std::int16_t> granule(atom.begin() + g * G, atom.begin() + g * G + n);
        const golden::ZvcAtom z = golden::zvc_encode(granule);
        EXPECT_EQ(z.mask.size(), 1u);
        mask[g] = z.mask[0];
        packed.insert(packed.end(), z.values.begin(), z.values.end());
        // The reference expansion: golden::zvc_decode of each granule.
        const std::vector<std::int16_t> d = golden::zvc_decode(z, n);
        decoded.insert(decoded.end(), d.begin(), d.end());
      }
      const std::size_t m = take(mask_bytes);
      std::copy(mask.begin(), mask.end(), buf.mem.begin() + std::ptrdiff_t(m));
      const std::size_t v = take(packed.size() * eb);
      for (std::size_t i = 0; i < packed.size(); ++i) put_element(&buf.mem[v + i * eb], packed[i], p);
      rd.ref.mask = std::uint32_t(m - ab.base);
      rd.ref.values = std::uint32_t(v - ab.base);
      b.want_extents.push_back({m, mask_bytes});
      b.want_extents.push_back({v, packed.size() * eb});
      b.want_bytes += mask_bytes + packed.size() * eb;
      for (unsigned i = 0; i < valid; ++i) {
        want[i] = decoded[i];
        want_zero[i] = !(mask[i / G] >> (i % G) & 1);
      }
    } else if (u01(rng) < 0.3) {
      // A run of dense atoms, one after another in the buffer, each to its
      // own place in the destination.
      rd.count = std::uniform_int_distribution<std::uint32_t>(2, 4)(rng);
      rd.dst_stride = valid + std::uniform_int_distribution<std::uint32_t>(0, 3)(rng);
      const std::size_t v = take(std::size_t(rd.count) * valid * eb);
      rd.ref.values = std::uint32_t(v - ab.base);
      b.want_extents.push_back({v, std::size_t(rd.count) * valid * eb});
      b.want_bytes += std::size_t(rd.count) * valid * eb;
      for (unsigned k = 0; k < rd.count; ++k) {
        if (k) std::generate(atom.begin(), atom.begin() + valid, [&] { return random_element(rng, p, density); });
        for (unsigned i = 0; i < valid; ++i) put_element(&buf.mem[v + (std::size_t(k) * valid + i) * eb], atom[i], p);
        std::vector<std::uint8_t> z(valid);
        for (unsigned i = 0; i < valid; ++i) z[i] = atom[i] == 0;
        expected.emplace_back(dst + k * rd.dst_stride, std::vector<std::int16_t>(atom.begin(), atom.begin() + valid));
        expected_zero.push_back(std::move(z));
      }
      ab.reads.push_back(rd);
      dst += (rd.count - 1) * rd.dst_stride + valid + std::uniform_int_distribution<std::uint32_t>(0, 3)(rng);
      continue;
    } else {
      const std::size_t v = take(std::size_t(L) * eb);
      for (unsigned i = 0; i < L; ++i) put_element(&buf.mem[v + i * eb], atom[i], p);
      rd.ref.values = std::uint32_t(v - ab.base);
      b.want_extents.push_back({v, std::size_t(valid) * eb});
      b.want_bytes += std::size_t(valid) * eb;
      for (unsigned i = 0; i < valid; ++i) {
        want[i] = atom[i];
        want_zero[i] = atom[i] == 0;
      }
    }
    ab.reads.push_back(rd);
    expected.emplace_back(dst, std::move(want));
    expected_zero.push_back(std::move(want_zero));
    dst += valid + std::uniform_int_distribution<std::uint32_t>(0, 3)(rng);
  }
  const std::size_t span = dst + 4;
  b.values.assign(span, kValueSentinel);
  b.zero.assign(span, kZeroSentinel);
  b.want_values = b.values;
  b.want_zero = b.zero;
  for (std::size_t r = 0; r < expected.size(); ++r)
    for (std::size_t i = 0; i < expected[r].second.size(); ++i) {
      b.want_values[expected[r].first + i] = expected[r].second[i];
      b.want_zero[expected[r].first + i] = expected_zero[r][i];
    }
  ab.values = b.values.data();
  ab.zero = b.zero.data();

  if (shape.meta) {
    // 2:4 metadata of `columns` weight columns of `lanes` multipliers: each
    // pair of multipliers (2j, 2j+1) takes the nibble of one group of four
    // activations, from golden::pack_2_4 of a random 2:4 group.
    const unsigned columns = std::uniform_int_distribution<unsigned>(1, 8)(rng), mcb = (L + 3) / 4;
    ab.has_meta = true;
    ab.columns = columns;
    ab.lanes = L;
    ab.meta_col_bytes = mcb;
    const std::size_t meta = take(std::size_t(columns) * mcb);
    ab.meta_addr = meta;  // an absolute buffer address
    b.index.assign(std::size_t(columns) * L + 3, kIndexSentinel);
    b.want_index = b.index;
    for (unsigned k = 0; k < columns; ++k)
      for (unsigned j = 0; j < L / 2; ++j) {
        std::array<std::int16_t, 4> group{};
        for (auto& v : group) v = random_element(rng, Precision::int8, 0.5);
        // At most two non-zeros: drop the others.
        unsigned kept = 0;
        for (auto& v : group)
          if (v != 0 && ++kept > 2) v = 0;
        const golden::Group24 g = golden::pack_2_4(group);
        EXPECT_TRUE(golden::valid_nibble(g.nibble())) << "pack_2_4 made an invalid nibble";
        std::uint8_t& byte = buf.mem[meta + std::size_t(k) * mcb + j / 2];
        byte = std::uint8_t(byte | g.nibble() << (4 * (j % 2)));
        b.want_index[std::size_t(k) * L + 2 * j] = g.index[0];
        b.want_index[std::size_t(k) * L + 2 * j + 1] = g.index[1];
      }
    ab.index = b.index.data();
    b.want_extents.push_back({meta, std::size_t(columns) * mcb});
    b.want_bytes += std::size_t(columns) * mcb;
  }
  return b;
}

/// Sends `batches` through one decompressor and checks each expansion and
/// the bytes it read.
void run_batches(std::vector<Batch>& batches, BufferStub& buf) {
  Decompressor dec("decompressor");
  test::Source<AtomBatch> feeder("feeder");
  std::vector<std::uint64_t> bytes_per_batch;
  std::vector<std::vector<BufferExtent>> extents_per_batch;
  test::Sink<BufferRead> port("buffer", [&](BufferRead& r, sc_time& d) { buf.serve(r, d); });
  feeder.isock.bind(dec.tsock);
  dec.buf_isock.bind(port.tsock);
  feeder.run([&](const auto& send) {
    for (Batch& b : batches) {
      const std::uint64_t before = buf.bytes;
      const std::size_t first = buf.extents.size();
      send(b.batch);
      bytes_per_batch.push_back(buf.bytes - before);
      extents_per_batch.emplace_back(buf.extents.begin() + std::ptrdiff_t(first), buf.extents.end());
    }
  });
  sc_core::sc_start();
  ASSERT_EQ(bytes_per_batch.size(), batches.size()) << "the feeder did not finish";
  auto key = [](const BufferExtent& e) { return std::make_pair(e.addr, e.len); };
  auto sorted = [&](std::vector<BufferExtent> v) {
    std::vector<std::pair<std::size_t, std::size_t>> k;
    for (const auto& e : v) k.push_back(key(e));
    std::sort(k.begin(), k.end());
    return k;
  };
  for (std::size_t i = 0; i < batches.size(); ++i) {
    const Batch& b = batches[i];
    SCOPED_TRACE(fmt::format("batch {}: {}, {} reads", i, b.what, b.batch.reads.size()));
    EXPECT_EQ(bytes_per_batch[i], b.want_bytes) << "bytes read";
    EXPECT_EQ(sorted(extents_per_batch[i]), sorted(b.want_extents)) << "extents read";
    for (std::size_t e = 0; e < b.values.size(); ++e) {
      ASSERT_EQ(b.values[e], b.want_values[e]) << "value of element " << e;
      ASSERT_EQ(b.zero[e], b.want_zero[e]) << "zero line of element " << e;
    }
    EXPECT_EQ(b.index, b.want_index) << "2:4 mux indices";
  }
}

/// Shapes the decompressor meets: every lane count of the presets (atomic_c
/// 8 and 64, int8 and int16) with their granule min(8, lanes), plus a
/// granule of 4 on 16 lanes and of 2 on 2 lanes.
std::vector<BatchShape> shapes(double zvc_share, bool meta) {
  std::vector<BatchShape> v;
  for (Precision p : {Precision::int8, Precision::int16})
    for (auto [lanes, granule] : std::vector<std::pair<unsigned, unsigned>>{
             {64, 8}, {32, 8}, {8, 8}, {4, 4}, {16, 4}, {2, 2}}) {
      BatchShape s;
      s.precision = p;
      s.lanes = lanes;
      s.granule = granule;
      s.zvc_share = zvc_share;
      s.meta = meta;
      v.push_back(s);
    }
  return v;
}

void check_random(std::uint64_t default_seed, double zvc_share, bool meta) {
  std::mt19937_64 rng(test::seed(default_seed));
  BufferStub buf(1 << 20);
  std::size_t at = 0x100;
  std::vector<Batch> batches;
  for (unsigned round = 0; round < 8; ++round)
    for (const BatchShape& s : shapes(zvc_share, meta)) batches.push_back(make_batch(rng, buf, at, s));
  run_batches(batches, buf);
}

TEST(Decompressor, ZvcAtomsExpandAsGoldenDecode) { check_random(2001, 1.0, false); }

TEST(Decompressor, DenseAtomsZeroLinesMarkZeros) { check_random(2002, 0.0, false); }

TEST(Decompressor, MixedAtomsWithTwoFourMetadata) { check_random(2003, 0.5, true); }

// One int16 atom of 8 lanes worked by hand: elements 0, 4 and 7 are non-zero
// (mask 0b1001'0001 = 0x91), packed little-endian: 0x0102, -2 (0xFFFE),
// 0x7F00. A dense int8 atom {0, -1, 0, 5} follows.
TEST(Decompressor, HandWorkedAtoms) {
  BufferStub buf(256);
  const std::size_t base = 0x40;
  const std::uint8_t zvc_bytes[] = {0x91, 0x02, 0x01, 0xFE, 0xFF, 0x00, 0x7F};
  std::copy(std::begin(zvc_bytes), std::end(zvc_bytes), buf.mem.begin() + base + 8);
  const std::uint8_t dense_bytes[] = {0x00, 0xFF, 0x00, 0x05};
  std::copy(std::begin(dense_bytes), std::end(dense_bytes), buf.mem.begin() + base + 32);

  std::vector<std::int16_t> values(8, kValueSentinel), dense_values(4, kValueSentinel);
  std::vector<std::uint8_t> zero(8, kZeroSentinel), dense_zero(4, kZeroSentinel);
  AtomBatch zvc;
  zvc.precision = Precision::int16;
  zvc.granule = 8;
  zvc.mask_bytes = 1;
  zvc.base = base;
  zvc.reads.push_back({AtomRef{9, 8}, 8, 0});  // values at +9, mask at +8
  zvc.values = values.data();
  zvc.zero = zero.data();
  AtomBatch dense;
  dense.precision = Precision::int8;
  dense.mask_bytes = 1;
  dense.base = base;
  dense.reads.push_back({AtomRef{32, AtomRef::kNoMask}, 4, 0});
  dense.values = dense_values.data();
  dense.zero = dense_zero.data();

  Decompressor dec("decompressor");
  test::Source<AtomBatch> feeder("feeder");
  test::Sink<BufferRead> port("buffer", [&](BufferRead& r, sc_time& d) { buf.serve(r, d); });
  feeder.isock.bind(dec.tsock);
  dec.buf_isock.bind(port.tsock);
  std::uint64_t zvc_read = 0;
  feeder.run([&](const auto& send) {
    send(zvc);
    zvc_read = buf.bytes;
    send(dense);
  });
  sc_core::sc_start();
  EXPECT_EQ(values, (std::vector<std::int16_t>{0x0102, 0, 0, 0, -2, 0, 0, 0x7F00}));
  EXPECT_EQ(zero, (std::vector<std::uint8_t>{0, 1, 1, 1, 0, 1, 1, 0}));
  EXPECT_EQ(zvc_read, 1u + 3 * 2) << "one mask byte and three int16 values";
  EXPECT_EQ(dense_values, (std::vector<std::int16_t>{0, -1, 0, 5}));
  EXPECT_EQ(dense_zero, (std::vector<std::uint8_t>{1, 0, 1, 0}));
  EXPECT_EQ(buf.bytes - zvc_read, 4u);
}

}  // namespace
}  // namespace sdla
