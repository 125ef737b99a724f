#include "unified_buffer.hpp"

#include <algorithm>
#include <cstring>
#include <stdexcept>

#include <fmt/format.h>

namespace sdla {

UnifiedBuffer::UnifiedBuffer(const sc_core::sc_module_name& name, const AcceleratorConfig& cfg)
    : sc_module(name), mem_(cfg.buffer_bytes(), 0) {}

void UnifiedBuffer::check(std::size_t addr, std::size_t len, const char* what) const {
  if (addr > mem_.size() || len > mem_.size() - addr)
    throw std::logic_error(fmt::format("{}: {} of {} bytes at {:#x} outside the {}-byte buffer", name(),
                                       what, len, addr, mem_.size()));
}

void UnifiedBuffer::write(std::size_t addr, const std::uint8_t* data, std::size_t len) {
  check(addr, len, "write");
  std::memcpy(mem_.data() + addr, data, len);
  write_bytes_ += len;
}

const std::uint8_t* UnifiedBuffer::read(std::size_t addr, std::size_t len) {
  check(addr, len, "read");
  read_bytes_ += len;
  return mem_.data() + addr;
}

}  // namespace sdla
