/// \file
/// The accumulator's links. In: the feeder clears a group's sums, adds a
/// pass's partial sums (PsumBlock), or drains finished sums. Out: a drained
/// tile of sums (SumTile) to the Winograd output transform, which passes it
/// on, in output pixels, to the post-processor; the post-processor sends the
/// encoded elements (OutputTile) to the output writer. A tile with `last`
/// set and no data ends the layer: the writer answers with the time its
/// last write completes.
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
  unsigned offset = 0;          ///< first sum of the group's column the pass's vectors add to
  // drain
  unsigned first_channel = 0, columns = 0;
  unsigned entries = 0;         ///< sums per column to drain (see SumTile::per_column)
  TileStep step{};
};

struct SumTile {
  unsigned first_channel = 0, columns = 0;
  TileStep step{};
  /// Sums per column: one per step pixel; for a Winograd layer (before the
  /// output transform) 16 per 2x2 tile, component-major: [xi * 4 + nu][tile].
  unsigned per_column = 0;
  unsigned stride = 0;                 ///< distance between columns in `sums`
  const std::int64_t* sums = nullptr;  ///< [column][stride], the first per_column of each valid
  bool last = false;              ///< end of layer: no data
};

struct OutputTile {
  unsigned first_channel = 0, columns = 0;
  TileStep step{};
  unsigned element_bytes = 0;
  const std::uint8_t* bytes = nullptr;  ///< [pixel][column][element_bytes], little-endian
  bool last = false;
};

}  // namespace sdla
