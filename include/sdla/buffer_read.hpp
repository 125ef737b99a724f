/// \file
/// The unified buffer's read port: a batch of extents per transaction (one
/// pass's atoms), answered with where each extent's bytes are. Counted as
/// SRAM reads. The decompressor is its initiator.
///
///     sdla::BufferRead r;
///     r.extents = {{0x40, 64}, {0x80, 8}};
///     buf_isock->b_transport(r, delay);   // r.data[i] points at extent i
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace sdla {

struct BufferExtent {
  std::size_t addr = 0, len = 0;
};

struct BufferRead {
  std::vector<BufferExtent> extents;
  // ---- response: extent i's bytes, valid until the buffer is next written
  std::vector<const std::uint8_t*> data;
};

}  // namespace sdla
