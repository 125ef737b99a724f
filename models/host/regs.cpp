#include "sdla/regs.hpp"

namespace sdla {

namespace regs {
const char* to_string(ErrorCode e) {
  switch (e) {
    case ErrorCode::none: return "none";
    case ErrorCode::bad_descriptor: return "bad descriptor";
    case ErrorCode::invalid_layer: return "invalid layer";
    case ErrorCode::dma_error: return "DMA error";
    case ErrorCode::buffer_capacity: return "buffer capacity";
    case ErrorCode::mac_array_error: return "MAC array error";
    case ErrorCode::descriptor_loop: return "descriptor chain too long";
    case ErrorCode::internal_error: return "internal model error";
  }
  return "unknown";
}
}  // namespace regs

}  // namespace sdla
