/// \file
/// The decompressor: between the unified buffer and the feeder. It expands
/// a batch of channel atoms (sdla/atom_batch.hpp) into operand values and
/// zero lines. A ZVC atom's zero lines come straight from its mask and each
/// set bit pops the next packed value; a dense atom's lines mark its zeros.
#pragma once

#include <cstdint>
#include <vector>

#include <systemc>

#include "sdla/atom_batch.hpp"
#include "sdla/buffer_read.hpp"
#include "sdla/lt_socket.hpp"

namespace sdla {

class Decompressor : public sc_core::sc_module {
 public:
  LtTargetSocket<AtomBatch> tsock;           ///< from the feeder
  LtInitiatorSocket<BufferRead> buf_isock;   ///< the unified buffer's read port

  explicit Decompressor(const sc_core::sc_module_name& name);

 private:
  void expand(AtomBatch& b, sc_core::sc_time& delay);
  BufferRead masks_, values_;
};

}  // namespace sdla
