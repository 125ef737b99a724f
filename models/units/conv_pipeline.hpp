/// \file
/// The convolution pipeline: the units between the controller and the
/// memory, each an sc_module of its own, wired by typed TLM sockets and
/// sc_fifo channels:
///
///     loader ==slots==> feeder --atoms--> decompressor --reads--> unified buffer
///       |                 |--passes--> winograd input transform ==> MAC array (external)
///       |                 '--psums--> accumulator --> winograd output transform
///       |                                    --> post-processor --> output writer
///       '--(DMA, buffer writes)                    '--(DMA: residual)    '--(DMA)
///
/// A ConvJob on job_tsock is one layer: the pipeline plans its tiles and
/// starts the loader on it as soon as the loader has issued the previous
/// layer's loads, then returns; its own thread runs the layers in order,
/// programming each unit's configuration (as the controller would over CSB)
/// and running the feeder until the last output is written. A layer loads
/// ahead only what no layer still in flight writes: its weights always,
/// its input as far as the layer before has written it (all of it when the
/// input is not that layer's output). The DMA, the unified buffer and the
/// MAC array are the accelerator's: bind the ports below.
#pragma once

#include <deque>

#include <systemc>

#include "accumulator.hpp"
#include "activity.hpp"
#include "decompressor.hpp"
#include "feeder.hpp"
#include "loader.hpp"
#include "output_writer.hpp"
#include "post_processor.hpp"
#include "sdla/conv_job.hpp"
#include "sdla/lt_socket.hpp"
#include "winograd_input_transform.hpp"
#include "winograd_output_transform.hpp"

namespace sdla {

class ConvPipeline : public sc_core::sc_module {
 public:
  LtTargetSocket<ConvJob> job_tsock;  ///< from the controller

  ConvPipeline(const sc_core::sc_module_name& name, const AcceleratorConfig& cfg);

  // Ports to the accelerator's shared units.
  LtInitiatorSocket<DmaTransfer>& loader_dma() { return loader_.dma_isock; }
  LtInitiatorSocket<DmaTransfer>& writer_dma() { return writer_.dma_isock; }
  /// The post-processor's residual reads (its own read DMA, as NVDLA's SDP).
  LtInitiatorSocket<DmaTransfer>& post_dma() { return post_.dma_isock; }
  tlm_utils::simple_initiator_socket<Loader>& buffer_write() { return loader_.buf_isock; }
  LtInitiatorSocket<BufferRead>& buffer_read() { return decompressor_.buf_isock; }
  MacArrayInitiatorSocket& mac_isock() { return input_transform_.mac_isock; }

  /// Every unit's counters, by component name.
  void activity(Activity& a) const;

 private:
  SC_HAS_PROCESS(ConvPipeline);
  /// A layer taken and not finished.
  struct Flight {
    ConvJob* job;
    TilePlan plan;
    std::uint64_t number;                     // the loader's job number
    std::vector<TensorRegion> writes;         // what it writes, for the layers loaded ahead of its end
  };
  void take(ConvJob& job, sc_core::sc_time& delay);
  /// The thread: runs the layers taken, in order.
  void run();
  /// Marks the front layer done and tells its owner; after an error, the layers behind it too (cancelled).
  void finish(std::exception_ptr error);

  AcceleratorConfig cfg_;
  Loader loader_;
  Decompressor decompressor_;
  Feeder feeder_;
  WinogradInputTransform input_transform_;
  Accumulator accumulator_;
  WinogradOutputTransform output_transform_;
  PostProcessor post_;
  OutputWriter writer_;
  sc_core::sc_fifo<SlotLoad> loaded_;
  sc_core::sc_fifo<unsigned> released_;
  std::deque<Flight> flights_;
  WrittenRanges written_;  // of the layer computing: the next one's input loads as it gets written
  sc_core::sc_event taken_ev_;
};

}  // namespace sdla
