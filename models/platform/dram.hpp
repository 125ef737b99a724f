/// \file
/// DRAM: a TLM-2.0 memory target with first-byte latency and a bandwidth
/// limit. Requests occupy the data bus one after another, so transfers
/// pipelined by an initiator overlap their latencies but share bandwidth.
///
///     sdla::Dram dram("dram", 256 << 20, cfg);
///     accel.mem_isock.bind(dram.tsock);
///     dram.load(0x1000, bytes);    // host side, untimed
#pragma once

#include <cstdint>
#include <vector>

#include <systemc>
#include <tlm>
#include <tlm_utils/simple_target_socket.h>

#include "activity.hpp"
#include "sdla/config.hpp"

namespace sdla {

class Dram : public sc_core::sc_module {
 public:
  tlm_utils::simple_target_socket<Dram> tsock;

  Dram(const sc_core::sc_module_name& name, std::uint64_t bytes, const AcceleratorConfig& cfg);

  std::uint64_t size() const { return mem_.size(); }
  /// Untimed host access; throws std::out_of_range outside the memory.
  void load(std::uint64_t addr, const std::uint8_t* data, std::size_t len);
  void dump(std::uint64_t addr, std::uint8_t* data, std::size_t len) const;
  /// Counters: "read_bytes", "write_bytes".
  Counters activity() const { return {{"read_bytes", read_bytes_}, {"write_bytes", write_bytes_}}; }

 private:
  void b_transport(tlm::tlm_generic_payload& gp, sc_core::sc_time& delay);
  unsigned transport_dbg(tlm::tlm_generic_payload& gp);
  bool access(tlm::tlm_generic_payload& gp);

  std::vector<std::uint8_t> mem_;
  sc_core::sc_time cycle_;
  unsigned bytes_per_cycle_, latency_cycles_;
  sc_core::sc_time bus_free_ = sc_core::SC_ZERO_TIME;  // when the data bus is next idle
  std::uint64_t read_bytes_ = 0, write_bytes_ = 0;
};

}  // namespace sdla
