#include "dram.hpp"

#include <cstring>
#include <stdexcept>
#include <string>

#include <fmt/format.h>

namespace sdla {

Dram::Dram(const sc_core::sc_module_name& name, std::uint64_t bytes, const AcceleratorConfig& cfg)
    : sc_module(name),
      tsock("tsock"),
      mem_(bytes, 0),
      cycle_(cfg.clock_period_ns(), sc_core::SC_NS),
      bytes_per_cycle_(cfg.dram_bytes_per_cycle),
      latency_cycles_(cfg.dram_latency_cycles) {
  tsock.register_b_transport(this, &Dram::b_transport);
  tsock.register_transport_dbg(this, &Dram::transport_dbg);
}

void Dram::load(std::uint64_t addr, const std::uint8_t* data, std::size_t len) {
  if (addr > mem_.size() || len > mem_.size() - addr)
    throw std::out_of_range(fmt::format("DRAM load of {} bytes at {:#x} exceeds its {} bytes", len, addr,
                                        mem_.size()));
  std::memcpy(mem_.data() + addr, data, len);
}

void Dram::dump(std::uint64_t addr, std::uint8_t* data, std::size_t len) const {
  if (addr > mem_.size() || len > mem_.size() - addr)
    throw std::out_of_range(fmt::format("DRAM dump of {} bytes at {:#x} exceeds its {} bytes", len, addr,
                                        mem_.size()));
  std::memcpy(data, mem_.data() + addr, len);
}

bool Dram::access(tlm::tlm_generic_payload& gp) {
  const std::uint64_t addr = gp.get_address();
  const std::size_t len = gp.get_data_length();
  if (addr > mem_.size() || len > mem_.size() - addr) {
    gp.set_response_status(tlm::TLM_ADDRESS_ERROR_RESPONSE);
    return false;
  }
  if (gp.get_byte_enable_ptr()) {
    gp.set_response_status(tlm::TLM_BYTE_ENABLE_ERROR_RESPONSE);
    return false;
  }
  if (gp.is_read())
    std::memcpy(gp.get_data_ptr(), mem_.data() + addr, len);
  else if (gp.is_write())
    std::memcpy(mem_.data() + addr, gp.get_data_ptr(), len);
  gp.set_response_status(tlm::TLM_OK_RESPONSE);
  return true;
}

void Dram::b_transport(tlm::tlm_generic_payload& gp, sc_core::sc_time& delay) {
  if (!access(gp) || gp.get_command() == tlm::TLM_IGNORE_COMMAND) return;
  const std::size_t len = gp.get_data_length();
  (gp.is_read() ? read_bytes_ : write_bytes_) += len;
  // The request reaches the bus at now + delay, waits for it to be free, then
  // streams its bytes; the data is complete one latency after that.
  const sc_core::sc_time now = sc_core::sc_time_stamp();
  const sc_core::sc_time arrive = now + delay;
  const sc_core::sc_time start = arrive > bus_free_ ? arrive : bus_free_;
  // Bandwidth only: bytes / (bytes per cycle), no burst granularity, so the
  // few bytes of a compressed granule cost what they carry.
  const double busy_cycles = double(len) / bytes_per_cycle_;
  bus_free_ = start + busy_cycles * cycle_;
  delay = bus_free_ + double(latency_cycles_) * cycle_ - now;
}

unsigned Dram::transport_dbg(tlm::tlm_generic_payload& gp) {
  return access(gp) ? gp.get_data_length() : 0;
}

}  // namespace sdla
