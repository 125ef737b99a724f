/// \file
/// The loader -> feeder handshake (NVDLA's CDMA -> CSC "data update"): which
/// tile step sits in which half of the unified buffer, where each atom of it
/// is, and when each (output-channel group, channel unit) block's data has
/// arrived. The feeder answers with the slot number when it is done with a
/// slot ("release"). Both travel over sc_fifo channels.
#pragma once

#include <cstdint>
#include <exception>
#include <ostream>
#include <vector>

#include <systemc>

#include "sdla/tile_plan.hpp"

namespace sdla {

/// Where a channel atom sits in a buffer slot (offsets from the slot's base):
/// its values (packed non-zeros when compressed) and its ZVC mask.
struct AtomRef {
  static constexpr std::uint32_t kNoMask = 0xFFFFFFFF;
  std::uint32_t values = 0, mask = kNoMask;
};

/// What the loader put where in one buffer slot.
struct SlotLayout {
  std::size_t used = 0;
  std::vector<AtomRef> input;          ///< [unit][h][w][atom of the unit] of the window: a pass's atoms together
  std::vector<std::size_t> chunk;      ///< [group][unit]: weight values of every position, then 2:4 metadata
  std::vector<std::size_t> zvc_first;  ///< [group][unit]: index of the chunk's first entry in zvc_weights
  std::vector<AtomRef> zvc_weights;    ///< ZVC weights: [group][unit][position][column]
};

struct SlotLoad {
  std::uint64_t job = 0;  ///< which layer run it belongs to (Loader::start counts them)
  std::size_t index = 0;  ///< step of the plan
  unsigned slot = 0;      ///< buffer half
  std::size_t base = 0;   ///< buffer address of the slot
  TileStep step{};
  SlotLayout layout;
  /// Absolute time at which block [group][unit] of the step is in the buffer.
  std::vector<sc_core::sc_time> ready_at;
  /// Set instead of the above when loading failed (DmaError, TilingError).
  std::exception_ptr error;
};

/// sc_fifo prints what it holds.
inline std::ostream& operator<<(std::ostream& os, const SlotLoad& s) {
  return os << "step " << s.index << " in slot " << s.slot;
}

}  // namespace sdla
