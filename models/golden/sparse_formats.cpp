#include "golden/sparse_formats.hpp"

#include <algorithm>
#include <bitset>
#include <cmath>
#include <cstdlib>
#include <numeric>
#include <string>

namespace sdla::golden {

ZvcAtom zvc_encode(const std::vector<std::int16_t>& atom) {
  ZvcAtom z;
  z.mask.assign(zvc_mask_bytes(atom.size()), 0);
  for (std::size_t i = 0; i < atom.size(); ++i)
    if (atom[i] != 0) {
      z.mask[i / 8] = std::uint8_t(z.mask[i / 8] | 1u << (i % 8));
      z.values.push_back(atom[i]);
    }
  return z;
}

std::vector<std::int16_t> zvc_decode(const ZvcAtom& z, std::size_t n) {
  if (z.mask.size() != zvc_mask_bytes(n))
    throw FormatError("ZVC mask has " + std::to_string(z.mask.size()) + " bytes, an atom of " + std::to_string(n) +
                      " elements needs " + std::to_string(zvc_mask_bytes(n)));
  std::size_t ones = 0;
  for (std::size_t b = 0; b < z.mask.size(); ++b) ones += std::bitset<8>(z.mask[b]).count();
  if (n % 8 && (z.mask.back() >> (n % 8)))
    throw FormatError("ZVC mask has bits set beyond the atom's " + std::to_string(n) + " elements");
  if (ones != z.values.size())
    throw FormatError("ZVC mask marks " + std::to_string(ones) + " non-zero elements but " +
                      std::to_string(z.values.size()) + " values follow");
  std::vector<std::int16_t> out(n, 0);
  std::size_t next = 0;
  for (std::size_t i = 0; i < n; ++i)
    if (z.mask[i / 8] >> (i % 8) & 1) {
      if (z.values[next] == 0) throw FormatError("ZVC value " + std::to_string(next) + " is zero but marked non-zero");
      out[i] = z.values[next++];
    }
  return out;
}

bool valid_nibble(std::uint8_t nibble) { return (nibble & 3) < (nibble >> 2 & 3) && nibble < 16; }

Group24 pack_2_4(const std::array<std::int16_t, 4>& g) {
  std::vector<std::uint8_t> kept;
  for (std::uint8_t i = 0; i < 4; ++i)
    if (g[i] != 0) kept.push_back(i);
  if (kept.size() > 2) throw FormatError("group has " + std::to_string(kept.size()) + " non-zero values, 2:4 keeps 2");
  // Fewer than two non-zeros: fill with zero-valued positions so idx0 < idx1 still holds.
  for (std::uint8_t i = 0; kept.size() < 2; ++i)
    if (std::find(kept.begin(), kept.end(), i) == kept.end()) kept.push_back(i);
  std::sort(kept.begin(), kept.end());
  Group24 out;
  for (int j = 0; j < 2; ++j) {
    out.index[j] = kept[j];
    out.values[j] = g[kept[j]];
  }
  return out;
}

std::array<std::int16_t, 4> unpack_2_4(const Group24& g) {
  if (!valid_nibble(g.nibble()))
    throw FormatError("2:4 metadata nibble " + std::to_string(g.nibble()) + " is invalid (indices must be distinct and ordered)");
  std::array<std::int16_t, 4> out{};
  out[g.index[0]] = g.values[0];
  out[g.index[1]] = g.values[1];
  return out;
}

namespace {

void check_rank4(const Tensor<std::int16_t>& w) {
  if (w.rank() != 4) throw FormatError("weights must be [K, C, R, S], got " + to_string(w.shape()));
}

/// Calls f(k, c0, r, s, group) for every group of 4 along C (zero-padded at the end of C).
template <class F>
void for_each_group(const Tensor<std::int16_t>& w, F f) {
  const std::size_t K = w.dim(0), C = w.dim(1), R = w.dim(2), S = w.dim(3);
  for (std::size_t k = 0; k < K; ++k)
    for (std::size_t r = 0; r < R; ++r)
      for (std::size_t s = 0; s < S; ++s)
        for (std::size_t c0 = 0; c0 < C; c0 += 4) {
          std::array<std::int16_t, 4> g{};
          for (std::size_t i = 0; i < 4 && c0 + i < C; ++i) g[i] = w.at({k, c0 + i, r, s});
          f(k, c0, r, s, g);
        }
}

}  // namespace

void check_2_4(const Tensor<std::int16_t>& w) {
  check_rank4(w);
  for_each_group(w, [](std::size_t k, std::size_t c0, std::size_t r, std::size_t s, const auto& g) {
    const auto nz = std::count_if(g.begin(), g.end(), [](std::int16_t v) { return v != 0; });
    if (nz > 2)
      throw FormatError("weights are not 2:4: output channel " + std::to_string(k) + ", input channels " +
                        std::to_string(c0) + ".." + std::to_string(c0 + 3) + ", kernel position (" +
                        std::to_string(r) + ", " + std::to_string(s) + ") has " + std::to_string(nz) +
                        " non-zero values");
  });
}

Tensor<std::int16_t> prune_2_4(const Tensor<std::int16_t>& w) {
  check_rank4(w);
  Tensor<std::int16_t> out = w;
  const std::size_t C = w.dim(1);
  for_each_group(w, [&](std::size_t k, std::size_t c0, std::size_t r, std::size_t s, const auto& g) {
    std::array<int, 4> order{0, 1, 2, 3};
    std::stable_sort(order.begin(), order.end(),
                     [&](int a, int b) { return std::abs(int(g[a])) > std::abs(int(g[b])); });
    for (int j = 2; j < 4; ++j)
      if (c0 + order[j] < C) out.at({k, c0 + order[j], r, s}) = 0;
  });
  return out;
}

Tensor<std::int16_t> prune_to_density(const Tensor<std::int16_t>& w, double density) {
  if (!(density >= 0.0 && density <= 1.0)) throw FormatError("density must lie in [0, 1]");
  const std::size_t keep = std::size_t(std::llround(density * double(w.size())));
  std::vector<std::size_t> order(w.size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
    return std::abs(int(w.data()[a])) > std::abs(int(w.data()[b]));
  });
  Tensor<std::int16_t> out = w;
  for (std::size_t i = keep; i < order.size(); ++i) out.data()[order[i]] = 0;
  return out;
}

}  // namespace sdla::golden
