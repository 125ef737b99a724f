/// \file
/// The controller: CSB register file, descriptor-chain walker, status,
/// error reporting and interrupt. A START walks the chain from DESC_PTR:
/// fetch a descriptor through the DMA, check it, load the post-processing
/// parameters, run the layer on the convolution pipeline (conv2d, fc) or the
/// pooling unit (pool), follow `next`. Any failure
/// ends the run with STATUS.ERROR, an ErrorCode and the ERROR interrupt.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include <systemc>
#include <tlm>
#include <tlm_utils/simple_target_socket.h>

#include "activity.hpp"
#include "sdla/config.hpp"
#include "sdla/conv_job.hpp"
#include "sdla/dma_transfer.hpp"
#include "sdla/lt_socket.hpp"
#include "sdla/pool_job.hpp"
#include "sdla/regs.hpp"

namespace sdla {

/// What one layer of the last run did.
struct LayerRecord {
  Layer layer;
  std::uint64_t cycles = 0;
  Activity activity;       ///< counts of this layer alone
  std::string tiling;      ///< TilePlan::summary()
  std::size_t buffer_peak_bytes = 0;
};

class Controller : public sc_core::sc_module {
 public:
  tlm_utils::simple_target_socket<Controller> csb_tsock;
  sc_core::sc_out<bool> irq;
  LtInitiatorSocket<DmaTransfer> dma_isock;  ///< descriptor and parameter fetches
  LtInitiatorSocket<ConvJob> conv_isock;     ///< the convolution pipeline
  LtInitiatorSocket<PoolJob> pool_isock;     ///< the pooling unit

  /// `snapshot` returns the accelerator's activity so far (for per-layer figures).
  Controller(const sc_core::sc_module_name& name, const AcceleratorConfig& cfg, std::function<Activity()> snapshot);

  const std::vector<LayerRecord>& layer_records() const { return records_; }
  /// Called (on the controller's thread) as each layer of a run completes,
  /// with its index in the run and its record: progress for a host, a trace.
  void on_layer_done(std::function<void(std::size_t, const LayerRecord&)> f) { layer_done_ = std::move(f); }
  /// Human-readable cause of the last error ("" when none).
  const std::string& error_message() const { return error_message_; }
  /// Counters: "descriptors" fetched.
  const Counters& activity() const { return counters_; }

  static constexpr unsigned kMaxLayers = 4096;

 private:
  SC_HAS_PROCESS(Controller);
  void csb_b_transport(tlm::tlm_generic_payload& gp, sc_core::sc_time& delay);
  void run();
  void run_chain();
  void check_extents(const Layer& layer, const LayerDescriptor& d) const;
  void load_post_parameters(Layer& layer, const LayerDescriptor& d, std::vector<std::int32_t>& bias);
  /// DRAM -> `dst` through the DMA, in simulated time; throws DmaError.
  void read(std::uint64_t addr, std::uint8_t* dst, std::size_t len);
  void update_irq() { irq_ev_.notify(sc_core::SC_ZERO_TIME); }
  void drive_irq() { irq.write((irq_status_ & irq_mask_) != 0); }  // the signal's one driver

  AcceleratorConfig cfg_;
  DmaTransfer xfer_;
  std::function<Activity()> snapshot_;
  sc_core::sc_time cycle_;
  sc_core::sc_event start_ev_, irq_ev_;

  std::uint32_t status_ = 0, irq_status_ = 0, irq_mask_ = regs::IRQ_DONE | regs::IRQ_ERROR;
  regs::ErrorCode error_ = regs::ErrorCode::none;
  std::uint32_t error_layer_ = 0, layers_done_ = 0;
  std::uint64_t desc_ptr_ = 0, cycles_ = 0;
  std::string error_message_;
  std::vector<LayerRecord> records_;
  std::function<void(std::size_t, const LayerRecord&)> layer_done_;
  Counters counters_;
};

}  // namespace sdla
