#include "unified_buffer.hpp"

#include <cstring>
#include <stdexcept>

#include <fmt/format.h>

namespace sdla {

UnifiedBuffer::UnifiedBuffer(const sc_core::sc_module_name& name, const AcceleratorConfig& cfg)
    : sc_module(name), write_tsock("write_tsock"), read_tsock("read_tsock"), mem_(cfg.buffer_bytes(), 0) {
  write_tsock.register_b_transport(this, &UnifiedBuffer::write_transport);
  write_tsock.register_transport_dbg(this, &UnifiedBuffer::debug_transport);
  read_tsock.on_transport([this](BufferRead& r, sc_core::sc_time& d) { read(r, d); });
}

void UnifiedBuffer::write_transport(tlm::tlm_generic_payload& gp, sc_core::sc_time&) {
  const std::size_t addr = gp.get_address(), len = gp.get_data_length();
  if (!gp.is_write() || gp.get_byte_enable_ptr() || !inside(addr, len)) {
    gp.set_response_status(inside(addr, len) ? tlm::TLM_COMMAND_ERROR_RESPONSE : tlm::TLM_ADDRESS_ERROR_RESPONSE);
    return;
  }
  std::memcpy(mem_.data() + addr, gp.get_data_ptr(), len);
  write_bytes_ += len;
  gp.set_response_status(tlm::TLM_OK_RESPONSE);
}

unsigned UnifiedBuffer::debug_transport(tlm::tlm_generic_payload& gp) {
  const std::size_t addr = gp.get_address(), len = gp.get_data_length();
  if (!inside(addr, len)) return 0;
  if (gp.is_read()) std::memcpy(gp.get_data_ptr(), mem_.data() + addr, len);
  else std::memcpy(mem_.data() + addr, gp.get_data_ptr(), len);
  return unsigned(len);
}

void UnifiedBuffer::read(BufferRead& r, sc_core::sc_time&) {
  r.data.resize(r.extents.size());
  for (std::size_t i = 0; i < r.extents.size(); ++i) {
    const BufferExtent& e = r.extents[i];
    // The pipeline addresses the buffer from its own tile plan: a bad address is a model bug.
    if (!inside(e.addr, e.len))
      throw std::logic_error(fmt::format("{}: read of {} bytes at {:#x} outside the {}-byte buffer", name(), e.len,
                                         e.addr, mem_.size()));
    read_bytes_ += e.len;
    r.data[i] = mem_.data() + e.addr;
  }
}

}  // namespace sdla
