/// \file
/// The controller: CSB register file, descriptor-chain walker, status,
/// error reporting and interrupt. A START walks the chain from DESC_PTR:
/// fetch a descriptor through the DMA, check it, load the post-processing
/// parameters, hand the layer to the convolution pipeline (conv2d, fc) or
/// run it on the pooling unit (pool), follow `next`. Like NVDLA's two
/// ping-pong register groups, at most two convolution layers are in flight:
/// the next is fetched and handed over while the current one computes, so
/// its first loads overlap the current one's last step. A pool layer waits
/// for the pipeline to empty. Any failure ends the run with STATUS.ERROR,
/// an ErrorCode (of the first layer that failed) and the ERROR interrupt.
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
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

/// What one layer of the last run did. Times are cycles from the START.
struct LayerRecord {
  Layer layer;
  /// Cycles the layer added to the run: from the end of the layer before
  /// (or the START) to its own end. They sum to the run's cycles.
  std::uint64_t cycles = 0;
  std::uint64_t start_cycle = 0;     ///< its descriptor fetch began
  std::uint64_t load_cycle = 0;      ///< the loader started on it
  std::uint64_t end_cycle = 0;       ///< its last output was written
  /// Cycles it was loading while the layer before still ran: the end of
  /// that layer minus load_cycle, 0 when none (pool layers, --no-overlap).
  std::uint64_t overlap_cycles = 0;
  /// Counts of this layer alone: each side's counters (UnitSide) over that
  /// side's own window of the layer.
  Activity activity;
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

  /// `snapshot` returns the activity of one side of the accelerator so far (for per-layer figures).
  Controller(const sc_core::sc_module_name& name, const AcceleratorConfig& cfg,
             std::function<Activity(UnitSide)> snapshot);

  /// Whether a layer may be handed over while the one before still runs
  /// (default on). Off, each layer starts after the one before has ended:
  /// the same results, for measuring what the overlap saves.
  void set_layer_overlap(bool on) { overlap_ = on; }
  bool layer_overlap() const { return overlap_; }

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
  /// A layer between its descriptor fetch and its record.
  struct Flight {
    ConvJob job;
    unsigned index = 0;
    bool pool = false;
    sc_core::sc_time start, load, end;
    Activity activity;                  // its counts so far, side by side
    std::vector<TensorRegion> writes;   // its output regions, once handed over
  };
  void run();
  void run_chain();
  /// Walks the descriptors; returns with layers possibly still in flight.
  void walk_chain();
  /// Fetches and checks the layer's descriptor and parameters at `addr`, then
  /// starts it; returns the next descriptor's address. `f` may be recorded
  /// and gone on return (a pool layer, or no overlap).
  std::uint64_t start_layer(Flight& f, std::uint64_t addr);
  /// Hands a convolution layer to the pipeline, after the older of two in flight has finished.
  void hand_over(Flight& f);
  /// Waits for the oldest layer in flight; records it, or throws its error.
  void retire();
  /// Retires layers in flight until none before the current one writes into `r`:
  /// the chain reads descriptors and parameters as if layers ran one by one.
  void wait_for_writers(const TensorRegion& r);
  /// Records a finished layer and tells on_layer_done.
  void record(Flight& f);
  /// Charges what `side` counted since its last mark to `to` (none: dropped, nothing counts there) and marks.
  void charge(UnitSide side, Flight* to);
  /// Charges `side` to the layer whose window on it is open, and opens the window of `next` (or none).
  void switch_side(UnitSide side, Flight* next);
  void check_extents(const Layer& layer, const LayerDescriptor& d) const;
  void load_post_parameters(Layer& layer, const LayerDescriptor& d, std::vector<std::int32_t>& bias);
  /// DRAM -> `dst` through the DMA, in simulated time; throws DmaError.
  void read(std::uint64_t addr, std::uint8_t* dst, std::size_t len);
  void update_irq() { irq_ev_.notify(sc_core::SC_ZERO_TIME); }
  void drive_irq() { irq.write((irq_status_ & irq_mask_) != 0); }  // the signal's one driver

  AcceleratorConfig cfg_;
  DmaTransfer xfer_;
  std::function<Activity(UnitSide)> snapshot_;
  sc_core::sc_time cycle_;
  sc_core::sc_event start_ev_, irq_ev_, layer_done_ev_;
  bool overlap_ = true;
  std::deque<std::unique_ptr<Flight>> flights_;  // fetched, not yet recorded (oldest first)
  Activity marks_[3];                            // per UnitSide: its counters at its last window switch
  Flight* open_[3] = {};                         // per UnitSide: the layer whose window is open
  sc_core::sc_time run_start_, last_end_;

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
