/// \file
/// The DMA engine (NVDLA's MCIF): the accelerator's only memory master. Its
/// clients — the loader, the output writer, the controller, the pooling unit
/// and the post-processor's residual reads — each have a port of their own
/// (sdla/dma_transfer.hpp); it turns their transfers into
/// TLM-2.0 LT b_transport calls on the memory initiator socket. Requests of
/// one transfer issue one per cycle and are pipelined; an error response from
/// memory comes back as DmaTransfer::ok = false, naming the address.
#pragma once

#include <cstdint>
#include <stdexcept>
#include <vector>

#include <systemc>
#include <tlm>
#include <tlm_utils/simple_initiator_socket.h>

#include "activity.hpp"
#include "sdla/config.hpp"
#include "sdla/dma_transfer.hpp"
#include "sdla/lt_socket.hpp"

namespace sdla {

struct DmaError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

class Dma : public sc_core::sc_module {
 public:
  LtTargetSocket<DmaTransfer> load_tsock;   ///< the loader: feature data and weights into the buffer
  LtTargetSocket<DmaTransfer> write_tsock;  ///< the output writer
  LtTargetSocket<DmaTransfer> ctrl_tsock;   ///< the controller: descriptors and parameters
  LtTargetSocket<DmaTransfer> pool_tsock;   ///< the pooling unit: its input rows and output rows
  LtTargetSocket<DmaTransfer> post_tsock;   ///< the post-processor: residual tensors (NVDLA SDP's read DMA)
  tlm_utils::simple_initiator_socket<Dma> mem_isock;

  Dma(const sc_core::sc_module_name& name, const AcceleratorConfig& cfg);

  /// Counters: "read_bytes", "write_bytes", "requests", and per tensor
  /// (input, weight, output, param; residual once one has moved)
  /// "<tensor>_bytes" moved and "<tensor>_dense_bytes" they stand for.
  Counters activity() const;
  /// The same counters, of the ports of one side only (ctrl: control,
  /// load: load, the others: compute); the three sides sum to activity().
  Counters activity(UnitSide side) const;

 private:
  /// What the ports of one side have moved.
  struct Count {
    std::uint64_t read_bytes = 0, write_bytes = 0, requests = 0;
    std::uint64_t moved[kStreams] = {}, dense[kStreams] = {};  // per Stream
  };
  void transport(DmaTransfer& t, sc_core::sc_time& delay, Count& count, tlm::tlm_generic_payload& gp);
  /// `gather`: the transfer continues the previous request's gather list.
  bool transfer(DmaTransfer& t, tlm::tlm_command cmd, std::uint64_t dram, std::uint8_t* data, std::size_t len,
                sc_core::sc_time issue, sc_core::sc_time& done, bool gather, Count& count, tlm::tlm_generic_payload& gp);
  Counters counters(const Count* const* sides, std::size_t n) const;
  sc_core::sc_time cycle_;
  // One payload per port, reused: constructing one allocates, and a port's
  // transfers never overlap (a memory may wait inside b_transport).
  tlm::tlm_generic_payload gp_[5];
  Count side_[3];  // per UnitSide
};

}  // namespace sdla
