// Bit-exact sparse formats of models/golden/sparse_formats: ZVC atoms (mask
// bit order, round trips, every malformed stream), 2:4 groups (pack/unpack,
// the metadata nibble, invalid nibbles), check_2_4's diagnostics and the
// pruning helpers (prune_2_4, prune_to_density).
#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "expect_has.hpp"
#include "golden/sparse_formats.hpp"
#include "seed.hpp"

namespace sdla::golden {
namespace {

/// The FormatError message of f(), or a marker when nothing (or something else) is thrown.
template <class F>
std::string format_error(F f) {
  try {
    f();
  } catch (const FormatError& e) {
    return e.what();
  } catch (const std::exception& e) {
    return std::string("<not a FormatError: ") + e.what() + ">";
  }
  return "<no exception>";
}

using Atom = std::vector<std::int16_t>;

/// n random elements in [lo, hi], each non-zero with probability `density` (a
/// kept element is never zero).
Atom random_atom(std::size_t n, double density, int lo, int hi, std::mt19937_64& rng) {
  std::uniform_int_distribution<int> value(lo, hi);
  std::bernoulli_distribution keep(density);
  Atom a(n, 0);
  for (auto& v : a)
    if (keep(rng)) {
      int x = 0;
      while (x == 0) x = value(rng);
      v = std::int16_t(x);
    }
  return a;
}

// ---------------------------------------------------------------- ZVC

TEST(Zvc, MaskBitOrderIsBitIOfByteIOver8) {
  for (std::size_t n : {1u, 7u, 8u, 9u, 16u, 17u, 70u})
    for (std::size_t i = 0; i < n; ++i) {
      SCOPED_TRACE("n " + std::to_string(n) + ", element " + std::to_string(i));
      Atom a(n, 0);
      a[i] = std::int16_t(-3 - int(i));
      const ZvcAtom z = zvc_encode(a);
      ASSERT_EQ(z.mask.size(), (n + 7) / 8);
      for (std::size_t b = 0; b < z.mask.size(); ++b)
        EXPECT_EQ(z.mask[b], b == i / 8 ? std::uint8_t(1u << (i % 8)) : 0) << "mask byte " << b;
      ASSERT_EQ(z.values, (std::vector<std::int16_t>{a[i]}));
      // And decode puts a lone bit back at the same place.
      EXPECT_EQ(zvc_decode(z, n), a);
    }
  // A hand-made stream: 0b1000'0101 0b0000'0010 over 10 elements.
  const ZvcAtom z{{0x85, 0x02}, {11, -22, 33, -44}};
  EXPECT_EQ(zvc_decode(z, 10), (Atom{11, 0, -22, 0, 0, 0, 0, 33, 0, -44}));
  EXPECT_EQ(zvc_encode({11, 0, -22, 0, 0, 0, 0, 33, 0, -44}).mask, (std::vector<std::uint8_t>{0x85, 0x02}));
}

TEST(Zvc, MaskBytesIsCeilingOfNOver8) {
  EXPECT_EQ(zvc_mask_bytes(0), 0u);
  EXPECT_EQ(zvc_mask_bytes(1), 1u);
  EXPECT_EQ(zvc_mask_bytes(8), 1u);
  EXPECT_EQ(zvc_mask_bytes(9), 2u);
  EXPECT_EQ(zvc_mask_bytes(64), 8u);
  EXPECT_EQ(zvc_mask_bytes(70), 9u);
}

void zvc_round_trips(int lo, int hi, std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  for (std::size_t n = 1; n <= 70; ++n)
    for (double density : {0.0, 0.1, 0.5, 0.9, 1.0}) {
      SCOPED_TRACE("n " + std::to_string(n) + ", density " + std::to_string(density));
      Atom a = random_atom(n, density, lo, hi, rng);
      if (n % 7 == 0 && density > 0.0) {  // the range's extremes round-trip too
        a[0] = std::int16_t(lo);
        a[n - 1] = std::int16_t(hi);
      }
      const ZvcAtom z = zvc_encode(a);
      ASSERT_EQ(z.mask.size(), zvc_mask_bytes(n));
      std::vector<std::int16_t> nonzeros;
      for (std::size_t i = 0; i < n; ++i) {
        const bool bit = z.mask[i / 8] >> (i % 8) & 1;
        EXPECT_EQ(bit, a[i] != 0) << "mask bit " << i;
        if (a[i] != 0) nonzeros.push_back(a[i]);
      }
      if (n % 8) {
        EXPECT_EQ(z.mask.back() >> (n % 8), 0) << "bits beyond the atom must be clear";
      }
      EXPECT_EQ(z.values, nonzeros) << "values are the non-zeros in element order";
      if (density == 0.0) {
        EXPECT_TRUE(z.values.empty());
        EXPECT_TRUE(std::all_of(z.mask.begin(), z.mask.end(), [](std::uint8_t m) { return m == 0; }));
      }
      if (density == 1.0) {
        EXPECT_EQ(z.values.size(), n);
      }
      EXPECT_EQ(zvc_decode(z, n), a);
    }
  // The empty atom.
  const ZvcAtom empty = zvc_encode({});
  EXPECT_TRUE(empty.mask.empty());
  EXPECT_TRUE(empty.values.empty());
  EXPECT_TRUE(zvc_decode(empty, 0).empty());
}

TEST(Zvc, RoundTripInt8Range) { zvc_round_trips(-128, 127, sdla::test::seed(101)); }
TEST(Zvc, RoundTripInt16Range) { zvc_round_trips(-32768, 32767, sdla::test::seed(102)); }

TEST(Zvc, TooManyValuesIsAnError) {
  ZvcAtom z = zvc_encode({0, 5, 0, 7, 0, 0, 0, 0, 9});  // 3 non-zeros, n = 9
  z.values.push_back(4);
  const std::string msg = format_error([&] { zvc_decode(z, 9); });
  EXPECT_HAS(msg, "marks 3 non-zero elements but 4 values follow");
}

TEST(Zvc, TooFewValuesIsAnError) {
  ZvcAtom z = zvc_encode({1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11});
  z.values.pop_back();
  EXPECT_HAS(format_error([&] { zvc_decode(z, 11); }), "marks 11 non-zero elements but 10 values follow");
  z.values.clear();
  EXPECT_HAS(format_error([&] { zvc_decode(z, 11); }), "but 0 values follow");
}

TEST(Zvc, TruncatedOrOverlongMaskIsAnError) {
  std::mt19937_64 rng(3);
  const Atom a = random_atom(20, 0.5, -128, 127, rng);
  ZvcAtom z = zvc_encode(a);
  ASSERT_EQ(z.mask.size(), 3u);
  ZvcAtom short_mask = z;
  short_mask.mask.pop_back();
  std::string msg = format_error([&] { zvc_decode(short_mask, 20); });
  EXPECT_HAS(msg, "mask has 2 bytes");
  EXPECT_HAS(msg, "needs 3");
  ZvcAtom no_mask = z;
  no_mask.mask.clear();
  EXPECT_HAS(format_error([&] { zvc_decode(no_mask, 20); }), "mask has 0 bytes");
  ZvcAtom long_mask = z;
  long_mask.mask.push_back(0);
  EXPECT_HAS(format_error([&] { zvc_decode(long_mask, 20); }), "mask has 4 bytes");
  // The same stream read as a shorter atom: its mask is then too long.
  EXPECT_HAS(format_error([&] { zvc_decode(z, 16); }), "an atom of 16 elements needs 2");
}

TEST(Zvc, BitsBeyondTheAtomAreAnError) {
  for (std::size_t n : {1u, 5u, 7u, 13u, 70u}) {
    SCOPED_TRACE("n " + std::to_string(n));
    ZvcAtom z = zvc_encode(Atom(n, 1));
    for (unsigned bit = n % 8; bit < 8; ++bit) {
      ZvcAtom bad = z;
      bad.mask.back() = std::uint8_t(bad.mask.back() | 1u << bit);
      bad.values.push_back(9);  // even with a value for it: the bit itself is wrong
      EXPECT_HAS(format_error([&] { zvc_decode(bad, n); }), "bits set beyond the atom's " + std::to_string(n));
    }
  }
}

TEST(Zvc, ZeroValueMarkedNonZeroIsAnError) {
  ZvcAtom z = zvc_encode({0, 3, 0, 0, -4, 0, 0, 0, 6, 0});
  ASSERT_EQ(z.values.size(), 3u);
  for (std::size_t i = 0; i < 3; ++i) {
    ZvcAtom bad = z;
    bad.values[i] = 0;
    EXPECT_HAS(format_error([&] { zvc_decode(bad, 10); }), "value " + std::to_string(i) + " is zero but marked non-zero");
  }
}

// ---------------------------------------------------------------- 2:4

TEST(TwoFour, PackUnpackRoundTripsEveryGroupWithAtMostTwoNonZeros) {
  const std::int16_t set[] = {0, 1, -1, 77, -128, 32767, -32768};
  unsigned groups = 0;
  for (std::int16_t a : set)
    for (std::int16_t b : set)
      for (std::int16_t c : set)
        for (std::int16_t d : set) {
          const std::array<std::int16_t, 4> g{a, b, c, d};
          const auto nz = std::count_if(g.begin(), g.end(), [](std::int16_t v) { return v != 0; });
          if (nz > 2) continue;
          ++groups;
          SCOPED_TRACE(::testing::Message() << "group {" << a << ", " << b << ", " << c << ", " << d << "}");
          const Group24 p = pack_2_4(g);
          ASSERT_LT(p.index[0], p.index[1]);
          ASSERT_LT(p.index[1], 4);
          EXPECT_TRUE(valid_nibble(p.nibble()));
          EXPECT_EQ(p.nibble(), p.index[0] | p.index[1] << 2);
          // The kept values are the group's values at the kept indices...
          for (int j = 0; j < 2; ++j) EXPECT_EQ(p.values[j], g[p.index[j]]);
          // ... and every non-zero is kept.
          for (std::uint8_t i = 0; i < 4; ++i)
            if (g[i] != 0) {
              EXPECT_TRUE(p.index[0] == i || p.index[1] == i) << "non-zero at " << int(i) << " dropped";
            }
          EXPECT_EQ(unpack_2_4(p), g);
        }
  EXPECT_EQ(groups, 1u + 4 * 6 + 6 * 36);  // zero, one or two of the six non-zero values
}

TEST(TwoFour, EveryLegalIndexPairAndItsNibble) {
  const std::uint8_t legal[6][3] = {{0, 1, 0x4}, {0, 2, 0x8}, {0, 3, 0xC}, {1, 2, 0x9}, {1, 3, 0xD}, {2, 3, 0xE}};
  for (const auto& [i0, i1, nibble] : legal) {
    SCOPED_TRACE("indices " + std::to_string(i0) + ", " + std::to_string(i1));
    Group24 g;
    g.index = {i0, i1};
    g.values = {-7, 300};
    EXPECT_EQ(g.nibble(), nibble);
    EXPECT_TRUE(valid_nibble(nibble));
    std::array<std::int16_t, 4> want{};
    want[i0] = -7;
    want[i1] = 300;
    EXPECT_EQ(unpack_2_4(g), want);
    // pack_2_4 of that group gives exactly these indices back.
    const Group24 p = pack_2_4(want);
    EXPECT_EQ(p.nibble(), nibble);
    EXPECT_EQ(p.values, g.values);
  }
  unsigned valid = 0;
  for (unsigned n = 0; n < 16; ++n) valid += valid_nibble(std::uint8_t(n));
  EXPECT_EQ(valid, 6u) << "exactly the six ordered pairs are valid nibbles";
}

TEST(TwoFour, EqualOrDescendingIndicesAreInvalid) {
  for (std::uint8_t i0 = 0; i0 < 4; ++i0)
    for (std::uint8_t i1 = 0; i1 <= i0; ++i1) {
      SCOPED_TRACE("idx0 " + std::to_string(i0) + ", idx1 " + std::to_string(i1));
      const std::uint8_t nibble = std::uint8_t(i0 | i1 << 2);
      EXPECT_FALSE(valid_nibble(nibble));
      Group24 g;
      g.index = {i0, i1};
      g.values = {1, 2};
      EXPECT_HAS(format_error([&] { unpack_2_4(g); }), "nibble " + std::to_string(nibble) + " is invalid");
    }
  for (std::uint8_t n : {0x0, 0x5, 0xA, 0xF}) EXPECT_FALSE(valid_nibble(n)) << "equal indices, nibble " << int(n);
  // Only the low four bits carry a nibble.
  for (unsigned n : {0x14u, 0x1Eu, 0xF4u, 0xFFu}) EXPECT_FALSE(valid_nibble(std::uint8_t(n))) << "byte " << n;
}

TEST(TwoFour, PackOfThreeOrFourNonZerosThrows) {
  EXPECT_HAS(format_error([] { pack_2_4({1, 2, 3, 0}); }), "3 non-zero values");
  EXPECT_HAS(format_error([] { pack_2_4({0, -1, 5, 9}); }), "3 non-zero values");
  EXPECT_HAS(format_error([] { pack_2_4({4, 0, 5, 9}); }), "3 non-zero values");
  EXPECT_HAS(format_error([] { pack_2_4({1, -1, 1, -1}); }), "4 non-zero values");
}

Tensor<std::int16_t> weights(std::size_t K, std::size_t C, std::size_t R, std::size_t S) {
  return Tensor<std::int16_t>({K, C, R, S});
}

TEST(TwoFour, CheckNamesTheOffendingGroup) {
  auto w = weights(3, 12, 2, 3);
  for (std::size_t c = 0; c < 12; c += 2) w.at({1, c, 1, 2}) = 5;  // two per group: fine
  EXPECT_NO_THROW(check_2_4(w));
  w.at({2, 9, 1, 0}) = -1;
  w.at({2, 10, 1, 0}) = 1;
  w.at({2, 11, 1, 0}) = 3;
  const std::string msg = format_error([&] { check_2_4(w); });
  EXPECT_HAS(msg, "output channel 2");
  EXPECT_HAS(msg, "input channels 8..11");
  EXPECT_HAS(msg, "kernel position (1, 0)");
  EXPECT_HAS(msg, "3 non-zero values");
  // The first offending group is named: output channel 0 comes before 2.
  w.at({0, 0, 0, 1}) = 1;
  w.at({0, 1, 0, 1}) = 2;
  w.at({0, 2, 0, 1}) = 3;
  w.at({0, 3, 0, 1}) = 4;
  const std::string first = format_error([&] { check_2_4(w); });
  EXPECT_HAS(first, "output channel 0, input channels 0..3, kernel position (0, 1) has 4 non-zero values");
}

TEST(TwoFour, CheckPadsChannelsToAMultipleOfFour) {
  // C = 6: the last group holds two real channels and cannot hold three non-zeros.
  auto w6 = weights(2, 6, 1, 1);
  for (std::size_t c : {0u, 3u, 4u, 5u}) w6.at({1, c, 0, 0}) = 7;
  EXPECT_NO_THROW(check_2_4(w6));
  // C = 7: three real channels in the last group, all non-zero.
  auto w7 = weights(2, 7, 1, 2);
  for (std::size_t c : {4u, 5u, 6u}) w7.at({1, c, 0, 1}) = 7;
  const std::string msg = format_error([&] { check_2_4(w7); });
  EXPECT_HAS(msg, "output channel 1, input channels 4..7, kernel position (0, 1) has 3 non-zero values");
  // C = 3: one partial group.
  auto w3 = weights(1, 3, 1, 1);
  w3.at({0, 0, 0, 0}) = 1;
  w3.at({0, 2, 0, 0}) = 1;
  EXPECT_NO_THROW(check_2_4(w3));
  w3.at({0, 1, 0, 0}) = 1;
  EXPECT_HAS(format_error([&] { check_2_4(w3); }), "input channels 0..3");
  // Not [K, C, R, S].
  EXPECT_HAS(format_error([] { check_2_4(Tensor<std::int16_t>({4, 4})); }), "[K, C, R, S]");
  EXPECT_HAS(format_error([] { prune_2_4(Tensor<std::int16_t>({4, 4, 1})); }), "[K, C, R, S]");
}

/// Independent reference: the indices kept by magnitude with ties to the lower index.
std::vector<std::size_t> keep_two(const std::vector<std::int16_t>& g) {
  std::vector<std::size_t> idx(g.size());
  for (std::size_t i = 0; i < g.size(); ++i) idx[i] = i;
  std::sort(idx.begin(), idx.end(), [&](std::size_t a, std::size_t b) {
    const int ma = std::abs(int(g[a])), mb = std::abs(int(g[b]));
    return ma != mb ? ma > mb : a < b;
  });
  idx.resize(std::min<std::size_t>(2, idx.size()));
  return idx;
}

TEST(TwoFour, PruneKeepsTheTwoLargestMagnitudesTiesToTheLowerIndex) {
  struct Case {
    std::array<std::int16_t, 4> in, out;
  };
  const Case cases[] = {
      {{1, -5, 3, 2}, {0, -5, 3, 0}},
      {{4, -4, 4, 4}, {4, -4, 0, 0}},
      {{-3, 1, 3, -3}, {-3, 0, 3, 0}},
      {{0, 0, 0, 7}, {0, 0, 0, 7}},
      {{2, 0, 0, -2}, {2, 0, 0, -2}},
      {{-32768, 32767, -32767, 1}, {-32768, 32767, 0, 0}},
      {{1, 1, 1, 2}, {1, 0, 0, 2}},
  };
  for (const auto& c : cases) {
    auto w = weights(1, 4, 1, 1);
    for (std::size_t i = 0; i < 4; ++i) w.at({0, i, 0, 0}) = c.in[i];
    const auto p = prune_2_4(w);
    for (std::size_t i = 0; i < 4; ++i)
      EXPECT_EQ(p.at({0, i, 0, 0}), c.out[i])
          << "group {" << c.in[0] << ", " << c.in[1] << ", " << c.in[2] << ", " << c.in[3] << "} channel " << i;
  }

  // Random tensors, C not a multiple of 4, against the reference; small magnitudes force ties.
  std::mt19937_64 rng(sdla::test::seed(103));
  std::uniform_int_distribution<int> small(-3, 3);
  for (std::size_t C : {4u, 5u, 7u, 13u}) {
    SCOPED_TRACE("C " + std::to_string(C));
    auto w = weights(5, C, 2, 3);
    for (auto& v : w.values()) v = std::int16_t(small(rng));
    const auto p = prune_2_4(w);
    EXPECT_NO_THROW(check_2_4(p));
    for (std::size_t k = 0; k < 5; ++k)
      for (std::size_t r = 0; r < 2; ++r)
        for (std::size_t s = 0; s < 3; ++s)
          for (std::size_t c0 = 0; c0 < C; c0 += 4) {
            std::vector<std::int16_t> g;
            for (std::size_t c = c0; c < std::min(C, c0 + 4); ++c) g.push_back(w.at({k, c, r, s}));
            const auto kept = keep_two(g);
            for (std::size_t i = 0; i < g.size(); ++i) {
              const bool keep = std::find(kept.begin(), kept.end(), i) != kept.end();
              EXPECT_EQ(p.at({k, c0 + i, r, s}), keep ? g[i] : 0)
                  << "w[" << k << "][" << c0 + i << "][" << r << "][" << s << "]";
            }
          }
  }
}

TEST(TwoFour, PruneLeavesTwoFourWeightsUnchanged) {
  std::mt19937_64 rng(sdla::test::seed(104));
  std::uniform_int_distribution<int> value(-32768, 32767);
  std::uniform_int_distribution<int> pick(0, 3);
  for (std::size_t C : {4u, 6u, 9u, 16u}) {
    auto w = weights(4, C, 3, 3);
    // At most two non-zeros per group, anywhere in it.
    for (std::size_t k = 0; k < 4; ++k)
      for (std::size_t r = 0; r < 3; ++r)
        for (std::size_t s = 0; s < 3; ++s)
          for (std::size_t c0 = 0; c0 < C; c0 += 4)
            for (int j = 0; j < 2; ++j) {
              const std::size_t c = c0 + std::size_t(pick(rng));
              if (c < C) w.at({k, c, r, s}) = std::int16_t(value(rng) | 1);
            }
    ASSERT_NO_THROW(check_2_4(w));
    EXPECT_TRUE(prune_2_4(w) == w) << "C " << C;
  }
  // Pruning is idempotent on arbitrary weights.
  auto dense = weights(3, 11, 1, 2);
  for (auto& v : dense.values()) v = std::int16_t(value(rng));
  const auto once = prune_2_4(dense);
  EXPECT_FALSE(once == dense);
  EXPECT_TRUE(prune_2_4(once) == once);
}

TEST(PruneToDensity, KeepsExactlyRoundOfDensityTimesSizeLargestMagnitudes) {
  std::mt19937_64 rng(sdla::test::seed(105));
  for (const Shape& shape : {Shape{7}, Shape{3, 5, 6}, Shape{4, 9, 3, 3}}) {
    // Distinct non-zero magnitudes, random signs and order.
    Tensor<std::int16_t> t(shape);
    std::vector<std::int16_t> mags(t.size());
    for (std::size_t i = 0; i < mags.size(); ++i) mags[i] = std::int16_t(3 * i + 1);
    std::shuffle(mags.begin(), mags.end(), rng);
    std::bernoulli_distribution neg(0.5);
    for (std::size_t i = 0; i < t.size(); ++i) t.data()[i] = neg(rng) ? std::int16_t(-mags[i]) : mags[i];
    for (double d : {0.0, 0.4, 1.0}) {
      SCOPED_TRACE("shape " + to_string(shape) + ", density " + std::to_string(d));
      const auto p = prune_to_density(t, d);
      ASSERT_EQ(p.shape(), t.shape());
      const std::size_t keep = std::size_t(std::llround(d * double(t.size())));
      std::size_t kept = 0;
      int min_kept = std::numeric_limits<int>::max(), max_dropped = -1;
      for (std::size_t i = 0; i < t.size(); ++i) {
        if (p.data()[i] != 0) {
          ++kept;
          EXPECT_EQ(p.data()[i], t.data()[i]) << "a kept element changed";
          min_kept = std::min(min_kept, std::abs(int(t.data()[i])));
        } else {
          max_dropped = std::max(max_dropped, std::abs(int(t.data()[i])));
        }
      }
      EXPECT_EQ(kept, keep);
      if (kept && kept < t.size()) {
        EXPECT_GT(min_kept, max_dropped) << "a smaller magnitude was kept";
      }
      if (d == 1.0) {
        EXPECT_TRUE(p == t);
      }
      if (d == 0.0) {
        EXPECT_TRUE(std::all_of(p.values().begin(), p.values().end(), [](std::int16_t v) { return v == 0; }));
      }
    }
  }
  // round(0.4 * 7) = round(2.8) = 3: the three largest.
  EXPECT_EQ(prune_to_density(Tensor<std::int16_t>({7}, {1, -7, 3, 4, 2, 6, -5}), 0.4).values(),
            (std::vector<std::int16_t>{0, -7, 0, 0, 0, 6, -5}));
}

TEST(PruneToDensity, TiesGoToTheLowerFlatIndexAndBadDensitiesThrow) {
  const Tensor<std::int16_t> t({2, 5}, {5, -5, 1, 5, -2, 9, 5, -5, 0, 2});
  // 0.4 * 10 = 4: 9 and the first three of the six 5s (flat 0, 1, 3).
  const auto p = prune_to_density(t, 0.4);
  EXPECT_EQ(p.values(), (std::vector<std::int16_t>{5, -5, 0, 5, 0, 9, 0, 0, 0, 0}));
  for (double d : {-0.01, 1.01, std::nan("")})
    EXPECT_HAS(format_error([&] { prune_to_density(t, d); }), "density") << d;
}

}  // namespace
}  // namespace sdla::golden
