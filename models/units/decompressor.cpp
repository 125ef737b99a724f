#include "decompressor.hpp"

#include <bitset>
#include <cstring>
#include <stdexcept>
#include <string>

#include "sdla/multiversion.hpp"

namespace sdla {
namespace {

std::int16_t element(const std::uint8_t* atom, unsigned i, Precision p) {
  if (p == Precision::int8) return std::int8_t(atom[i]);
  return std::int16_t(std::uint16_t(atom[2 * i] | atom[2 * i + 1] << 8));
}

/// A dense int8 atom onto the bus: the common case, in a loop the compiler
/// vectorizes (the pointers never overlap, and saying so lets it).
inline void widen_int8(const std::uint8_t* __restrict data, unsigned n, std::int16_t* __restrict values,
                       std::uint8_t* __restrict zero) {
  for (unsigned i = 0; i < n; ++i) {
    values[i] = std::int8_t(data[i]);
    zero[i] = data[i] == 0;
  }
}

/// A dense int16 atom: little-endian pairs, which a little-endian host
/// copies as they are (the byte-by-byte form does not vectorize).
inline void copy_int16(const std::uint8_t* __restrict data, unsigned n, std::int16_t* __restrict values,
                       std::uint8_t* __restrict zero) {
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
  std::memcpy(values, data, 2 * std::size_t(n));
#else
  for (unsigned i = 0; i < n; ++i) values[i] = std::int16_t(std::uint16_t(data[2 * i] | data[2 * i + 1] << 8));
#endif
  for (unsigned i = 0; i < n; ++i) zero[i] = values[i] == 0;
}

/// Every atom of a batch of dense atoms: one call (an AVX2 copy where the
/// CPU has it) for the hundreds of atoms of a pass.
SDLA_AVX2_CLONES void expand_dense_atoms(const std::vector<AtomRead>& reads, const std::uint8_t* const* data,
                                         Precision p, std::int16_t* values, std::uint8_t* zero) {
  // One loop per precision: each vectorizes on its own.
  if (p == Precision::int8) {
    for (std::size_t a = 0; a < reads.size(); ++a)
      for (std::size_t i = 0, dst = reads[a].dst; i < reads[a].count; ++i, dst += reads[a].dst_stride)
        widen_int8(data[a] + i * reads[a].lanes, reads[a].lanes, values + dst, zero + dst);
    return;
  }
  for (std::size_t a = 0; a < reads.size(); ++a)
    for (std::size_t i = 0, dst = reads[a].dst; i < reads[a].count; ++i, dst += reads[a].dst_stride)
      copy_int16(data[a] + 2 * i * reads[a].lanes, reads[a].lanes, values + dst, zero + dst);
}

}  // namespace

Decompressor::Decompressor(const sc_core::sc_module_name& name)
    : sc_module(name), tsock("tsock"), buf_isock("buf_isock") {
  tsock.on_transport([this](AtomBatch& b, sc_core::sc_time& d) { expand(b, d); });
}

void Decompressor::expand(AtomBatch& b, sc_core::sc_time& delay) {
  const unsigned eb = element_bytes(b.precision);
  // ZVC atoms: their masks first, which size the value reads.
  masks_.extents.clear();
  for (const AtomRead& r : b.reads)
    if (r.ref.mask != AtomRef::kNoMask) {
      // The feeder builds its batches from the plan: a ZVC run is a model bug.
      if (r.count != 1) throw std::logic_error(std::string(name()) + ": a run of ZVC atoms");
      masks_.extents.push_back({b.base + r.ref.mask, b.mask_bytes});
    }
  if (!masks_.extents.empty()) buf_isock->b_transport(masks_, delay);
  // Sized once and written field by field: a pass reads hundreds of atoms.
  values_.extents.resize(b.reads.size());
  std::size_t m = 0;
  for (std::size_t a = 0; a < b.reads.size(); ++a) {
    const AtomRead& r = b.reads[a];
    std::size_t n = r.lanes;
    if (r.ref.mask != AtomRef::kNoMask) {
      const std::uint8_t* mask = masks_.data[m++];
      n = 0;
      for (unsigned g = 0; g < b.mask_bytes; ++g) n += std::bitset<8>(mask[g]).count();
    }
    values_.extents[a].addr = b.base + r.ref.values;
    values_.extents[a].len = n * eb * r.count;
  }
  if (b.has_meta) values_.extents.push_back({b.meta_addr, std::size_t(b.columns) * b.meta_col_bytes});
  buf_isock->b_transport(values_, delay);
  if (b.has_meta) {
    const std::uint8_t* meta = values_.data.back();
    for (unsigned k = 0; k < b.columns; ++k)
      for (unsigned i = 0; i < b.lanes; ++i) {
        const std::uint8_t nibble = meta[std::size_t(k) * b.meta_col_bytes + i / 4] >> (4 * (i / 2 % 2)) & 0xF;
        b.index[std::size_t(k) * b.lanes + i] = std::uint8_t(i % 2 ? nibble >> 2 : nibble & 3);
      }
  }
  if (masks_.extents.empty()) {
    expand_dense_atoms(b.reads, values_.data.data(), b.precision, b.values, b.zero);
    return;
  }
  m = 0;
  for (std::size_t a = 0; a < b.reads.size(); ++a) {
    const AtomRead& r = b.reads[a];
    const std::uint8_t* data = values_.data[a];
    std::int16_t* values = b.values + r.dst;
    std::uint8_t* zero = b.zero + r.dst;
    if (r.ref.mask == AtomRef::kNoMask) {
      for (std::size_t k = 0; k < r.count; ++k) {
        const std::uint8_t* atom = data + k * r.lanes * eb;
        std::int16_t* v = values + k * r.dst_stride;
        std::uint8_t* z = zero + k * r.dst_stride;
        if (b.precision == Precision::int8) {
          widen_int8(atom, r.lanes, v, z);
          continue;
        }
        for (unsigned i = 0; i < r.lanes; ++i) {
          v[i] = element(atom, i, b.precision);
          z[i] = v[i] == 0;
        }
      }
      continue;
    }
    const std::uint8_t* mask = masks_.data[m++];
    unsigned next = 0;
    for (unsigned i = 0; i < r.lanes; ++i) {
      const bool live = mask[i / b.granule] >> (i % b.granule) & 1;
      zero[i] = !live;
      values[i] = live ? element(data, next, b.precision) : 0;
      next += live;
    }
  }
}

}  // namespace sdla
