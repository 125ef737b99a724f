#include "mac_array_ports.hpp"

#include <cstring>

namespace sdla::rtl_ports {

bool request_fits(const MacPass& p, unsigned atomic_c, unsigned atomic_k) {
  return p.well_formed() && p.atomic_k == atomic_k && p.lanes * element_bytes(p.precision) == atomic_c;
}

bool indices_fit(const MacPass& p) {
  if (p.format != WeightFormat::sparse_2_4) return true;
  for (std::size_t i = 0; i < std::size_t(p.columns) * p.lanes; ++i)
    if (p.weight_index[i] > 3) return false;
  return true;
}

void low_mask(Word* out, std::size_t words, unsigned n) {
  for (std::size_t i = 0; i < words; ++i) {
    const unsigned lo = unsigned(i * 64);
    out[i] = n <= lo ? 0 : n >= lo + 64 ? ~Word(0) : (Word(1) << (n - lo)) - 1;
  }
}

// Eight flags at a time (it runs for every vector and column): a byte's top
// bit is set where the byte is non-zero, and one multiply gathers the eight
// top bits, byte i to bit i.
void flag_mask(Word* out, std::size_t words, const std::uint8_t* flags, unsigned n) {
  for (std::size_t i = 0; i < words; ++i) out[i] = 0;
  constexpr Word kLow7 = 0x7f7f7f7f7f7f7f7fULL, kTop = 0x8080808080808080ULL;
  unsigned i = 0;
  for (; i + 8 <= n; i += 8) {
    Word x;
    std::memcpy(&x, flags + i, sizeof x);
    const Word top = (((x & kLow7) + kLow7) | x) & kTop;
    out[i / 64] |= (((top >> 7) * 0x0102040810204080ULL) >> 56) << (i % 64);
  }
  for (; i < n; ++i) out[i / 64] |= Word(flags[i] != 0) << (i % 64);
}

void index_mask(Word* out, std::size_t words, const MacPass& p, unsigned k) {
  for (std::size_t i = 0; i < words; ++i) out[i] = 0;
  if (p.format != WeightFormat::sparse_2_4) return;
  const std::uint8_t* ix = &p.weight_index[std::size_t(k) * p.lanes];
  for (unsigned i = 0; i < p.lanes; ++i) out[(2 * i) / 64] |= Word(ix[i] & 3u) << ((2 * i) % 64);
}

namespace {

void bank(const std::int16_t* values, unsigned n, Precision precision, std::uint8_t* out) {
  if (precision == Precision::int8) {
    for (unsigned i = 0; i < n; ++i) out[i] = std::uint8_t(values[i]);
  } else {
    for (unsigned i = 0; i < n; ++i) {
      out[2 * i] = std::uint8_t(std::uint16_t(values[i]) & 0xff);
      out[2 * i + 1] = std::uint8_t(std::uint16_t(values[i]) >> 8);
    }
  }
}

}  // namespace

void weight_bank(const MacPass& p, unsigned k, std::uint8_t* out) {
  bank(&p.weights[std::size_t(k) * p.lanes], p.lanes, p.precision, out);
}

void activation_bank(const MacPass& p, unsigned v, std::uint8_t* out) {
  bank(&p.acts[std::size_t(v) * p.act_lanes], p.act_lanes, p.precision, out);
}

void bytes_to_words(const std::uint8_t* bytes, std::size_t n, Word* out) {
  for (std::size_t i = 0; i < words_for(8 * n); ++i) out[i] = 0;
  for (std::size_t i = 0; i < n; ++i) out[i / 8] |= Word(bytes[i]) << (8 * (i % 8));
}

void words_to_bytes(const Word* words, std::size_t n, std::uint8_t* out) {
  for (std::size_t i = 0; i < n; ++i) out[i] = std::uint8_t(words[i / 8] >> (8 * (i % 8)));
}

std::uint64_t extract_bits(const Word* words, std::size_t lo, unsigned width) {
  const std::size_t w = lo / 64;
  const unsigned shift = unsigned(lo % 64);
  std::uint64_t v = words[w] >> shift;
  if (shift != 0 && shift + width > 64) v |= words[w + 1] << (64 - shift);
  return width >= 64 ? v : v & ((std::uint64_t(1) << width) - 1);
}

}  // namespace sdla::rtl_ports
