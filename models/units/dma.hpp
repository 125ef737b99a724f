/// \file
/// The DMA engine: the accelerator's only memory master. It moves runs of
/// bytes between DRAM (through the memory initiator socket, TLM-2.0 LT
/// b_transport) and on-chip units. Requests of one call are pipelined: they
/// issue one per cycle and the call's time is that of the last completion.
/// An error response from memory throws DmaError, which the controller turns
/// into an error status and interrupt.
#pragma once

#include <cstdint>
#include <stdexcept>
#include <vector>

#include <systemc>
#include <tlm>
#include <tlm_utils/simple_initiator_socket.h>

#include "activity.hpp"
#include "sdla/config.hpp"
#include "unified_buffer.hpp"

namespace sdla {

struct DmaError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

/// The tensor a transfer belongs to, for the per-tensor traffic counters.
enum class Stream { input = 0, weight = 1, output = 2, param = 3 };

/// One contiguous transfer between DRAM and the unified buffer. Runs marked
/// `gather` belong to the previous run's request (a scatter-gather list,
/// e.g. the granules of one compressed atom) and take no issue slot of their own.
struct DmaRun {
  std::uint64_t dram = 0;
  std::size_t buffer = 0;
  std::size_t len = 0;
  bool gather = false;
};

class Dma : public sc_core::sc_module {
 public:
  tlm_utils::simple_initiator_socket<Dma> mem_isock;

  Dma(const sc_core::sc_module_name& name, const AcceleratorConfig& cfg);

  /// DRAM -> buffer, requests issued from `offset` after now, one per cycle.
  /// Adjacent runs are merged into one request. `tensor` names the stream
  /// for the per-tensor counters. Returns the time from now until the last
  /// byte has arrived.
  sc_core::sc_time load(std::vector<DmaRun>& runs, UnifiedBuffer& buffer, Stream tensor,
                        sc_core::sc_time offset = sc_core::SC_ZERO_TIME);
  /// DRAM -> a unit's registers (descriptors, post-processing parameters).
  sc_core::sc_time read(std::uint64_t dram, std::uint8_t* dst, std::size_t len);
  /// A unit -> DRAM, issued `offset` after now; returns the completion time from now.
  sc_core::sc_time write(std::uint64_t dram, const std::uint8_t* src, std::size_t len, Stream tensor,
                         sc_core::sc_time offset = sc_core::SC_ZERO_TIME);
  /// Records what a tensor's transfers would have been uncompressed.
  void note_dense(Stream tensor, std::uint64_t bytes) { dense_[int(tensor)] += bytes; }
  /// Counters: "read_bytes", "write_bytes", "requests", and per tensor
  /// (input, weight, output, param) "<tensor>_bytes" moved and
  /// "<tensor>_dense_bytes" they stand for.
  Counters activity() const;

 private:
  /// `gather`: the transfer continues the previous request's gather list.
  sc_core::sc_time transfer(tlm::tlm_command cmd, std::uint64_t dram, std::uint8_t* data, std::size_t len,
                            sc_core::sc_time issue, Stream tensor, bool gather = false);
  sc_core::sc_time cycle_;
  std::vector<std::uint8_t> staging_;
  std::uint64_t read_bytes_ = 0, write_bytes_ = 0, requests_ = 0;
  std::uint64_t moved_[4] = {}, dense_[4] = {};  // per Stream
};

}  // namespace sdla
