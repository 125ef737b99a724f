/// \file
/// The unified buffer: banked on-chip SRAM that holds the tiles the loader
/// brings in (feature data and weights) until the decompressor reads them.
/// Two ports: a TLM-2.0 generic-payload target the loader writes through
/// (its debug transport reads without counting), and a batched read port
/// (sdla/buffer_read.hpp). Accesses are counted per buffer; bank conflicts
/// are not arbitrated yet. An access outside the capacity gets an address
/// error response.
#pragma once

#include <cstdint>
#include <vector>

#include <systemc>
#include <tlm>
#include <tlm_utils/simple_target_socket.h>

#include "activity.hpp"
#include "sdla/buffer_read.hpp"
#include "sdla/config.hpp"
#include "sdla/lt_socket.hpp"

namespace sdla {

class UnifiedBuffer : public sc_core::sc_module {
 public:
  tlm_utils::simple_target_socket<UnifiedBuffer> write_tsock;
  LtTargetSocket<BufferRead> read_tsock;

  UnifiedBuffer(const sc_core::sc_module_name& name, const AcceleratorConfig& cfg);

  std::size_t capacity() const { return mem_.size(); }
  /// Counters: "read_bytes", "write_bytes".
  Counters activity() const { return {{"read_bytes", read_bytes_}, {"write_bytes", write_bytes_}}; }

 private:
  bool inside(std::size_t addr, std::size_t len) const { return addr <= mem_.size() && len <= mem_.size() - addr; }
  void write_transport(tlm::tlm_generic_payload& gp, sc_core::sc_time& delay);
  unsigned debug_transport(tlm::tlm_generic_payload& gp);
  void read(BufferRead& r, sc_core::sc_time& delay);
  std::vector<std::uint8_t> mem_;
  std::uint64_t read_bytes_ = 0, write_bytes_ = 0;
};

}  // namespace sdla
