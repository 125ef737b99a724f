/// \file
/// The accumulator's links. In (PsumBlock, from the feeder): clear a group's
/// sums, add a pass's partial sums, drain finished sums, or finish the layer.
/// Out (SumTile): drained sums to the Winograd output transform, which hands
/// output pixels to the post-processor; the post-processor sends encoded
/// elements (OutputTile) to the output writer. The finish travels the same
/// way as an empty tile with `end_of_layer` set, and the writer answers it
/// with the time its last write completes.
///
/// Direct convolution drains one sum per output pixel when a step's last
/// channel block is done. A Winograd layer drains after every component
/// (xi, nu): the accumulator holds that component's products M, one sum per
/// 2x2 tile, summed over the step's channel units; the output transform adds
/// each into the tile's four outputs (A^T M A is linear in M) and sends the
/// pixels on after the last component of the last channel block.
#pragma once

#include <cstdint>

#include "sdla/mac_pass.hpp"
#include "sdla/tile_plan.hpp"

namespace sdla {

struct PsumBlock {
  enum class Op : std::uint8_t { clear, add, drain, finish };
  Op op = Op::add;
  unsigned group = 0;           ///< accumulator group (output-channel group of the step)
  // add
  const MacPass* pass = nullptr;
  // drain
  unsigned first_channel = 0, columns = 0;
  TileStep step{};
  unsigned entries = 0;         ///< sums per column to drain: pixels, or Winograd tiles
  int component = -1;           ///< Winograd: which (xi * 4 + nu); -1 for direct convolution
  bool first = false;           ///< Winograd: the first contribution to these outputs
  bool final = true;            ///< the outputs are complete: send them on
};

struct SumTile {
  unsigned group = 0;
  unsigned first_channel = 0, columns = 0;
  TileStep step{};
  unsigned per_column = 0;             ///< valid sums per column
  unsigned stride = 0;                 ///< distance between columns in `sums`
  unsigned entry_stride = 1;           ///< distance between a column's entries in `sums`
  const std::int64_t* sums = nullptr;  ///< sum(k, e) = sums[k * stride + e * entry_stride]
  int component = -1;                  ///< as PsumBlock
  bool first = false, final = true;    ///< as PsumBlock
  bool end_of_layer = false;           ///< no data: the layer is done

  std::int64_t sum(unsigned column, unsigned entry) const {
    return sums[std::size_t(column) * stride + std::size_t(entry) * entry_stride];
  }
};

struct OutputTile {
  unsigned first_channel = 0, columns = 0;
  TileStep step{};
  unsigned element_bytes = 0;
  const std::uint8_t* bytes = nullptr;  ///< [pixel][column][element_bytes], little-endian
  bool end_of_layer = false;
};

}  // namespace sdla
