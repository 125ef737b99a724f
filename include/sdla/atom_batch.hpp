/// \file
/// The feeder -> decompressor link: the atoms of one pass (a weight block,
/// or the activation vectors), expanded into values and zero lines. A ZVC
/// atom's zero lines come from its mask; a dense atom's from its values.
/// The destination arrays belong to the initiator (they are a MacPass's or
/// the Winograd tiles' operand arrays). 2:4 metadata codewords are expanded
/// here too, into the multipliers' mux indices.
///
///     sdla::AtomBatch b;  b.precision = sdla::Precision::int8;  b.base = slot_base;
///     b.reads.push_back({ref, 64, 0});            // or {ref, 64, 0, n, stride}: n dense atoms in a row
///     b.values = pass.weights.data();  b.zero = pass.weight_zero.data();
///     dec_isock->b_transport(b, delay);
#pragma once

#include <cstdint>
#include <vector>

#include "sdla/layer.hpp"
#include "sdla/slot_load.hpp"

namespace sdla {

struct AtomRead {
  AtomRef ref;
  std::uint32_t lanes = 0;  ///< valid elements to expand (of each atom)
  std::uint32_t dst = 0;    ///< first element in values/zero
  /// Dense atoms only (no mask): `count` atoms of `lanes` elements that
  /// follow each other in the buffer, atom i expanded at dst + i * dst_stride
  /// (one extent for a row of pixels, where a read per atom cost more than
  /// the expansion).
  std::uint32_t count = 1;
  std::uint32_t dst_stride = 0;
};

struct AtomBatch {
  Precision precision = Precision::int8;  ///< element width in the buffer
  unsigned granule = 8;                   ///< ZVC elements per mask byte
  unsigned mask_bytes = 0;                ///< ZVC mask bytes per atom
  std::size_t base = 0;                   ///< buffer address of the slot the refs point into
  std::vector<AtomRead> reads;
  std::int16_t* values = nullptr;
  std::uint8_t* zero = nullptr;           ///< 1 = zero line set
  /// 2:4 weights: the block's metadata, [columns][meta_col_bytes] at
  /// meta_addr (an absolute buffer address, unlike the refs), expanded into one mux index (0..3) per multiplier:
  /// index[column * lanes + i] for lane i (nibble idx0 | idx1 << 2 per pair).
  bool has_meta = false;
  std::size_t meta_addr = 0;
  unsigned meta_col_bytes = 0, columns = 0, lanes = 0;
  std::uint8_t* index = nullptr;
};

}  // namespace sdla
