/// \file
/// The convolution sequencer: runs one layer as a sequence of tile steps.
/// A loader process DMAs each step's input window and weights into one of
/// two buffer slots while the compute side works on the other slot (double
/// buffering), so a layer takes as long as its busiest resource allows.
/// The compute side turns a step into MAC passes over the MAC-array TLM
/// socket, feeds the sums to the accumulator and, after a step's last
/// channel block, drives the post-processor and writes outputs through the DMA.
#pragma once

#include <cstdint>
#include <exception>
#include <stdexcept>

#include <systemc>

#include "accumulator.hpp"
#include "activity.hpp"
#include "dma.hpp"
#include "post_processor.hpp"
#include "sdla/config.hpp"
#include "sdla/descriptor.hpp"
#include "sdla/mac_array_protocol.hpp"
#include "sdla/tile_plan.hpp"
#include "unified_buffer.hpp"

namespace sdla {

/// The MAC array answered a pass with an error status.
struct MacArrayError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

class ConvSequencer : public sc_core::sc_module, public MacArrayBwIf {
 public:
  MacArrayInitiatorSocket mac_isock;

  ConvSequencer(const sc_core::sc_module_name& name, const AcceleratorConfig& cfg, Dma& dma,
                UnifiedBuffer& buffer, Accumulator& acc, PostProcessor& post);

  /// Runs `layer` (addresses from `desc`) to completion in simulated time.
  /// Throws TilingError, DmaError or MacArrayError; the controller reports them.
  void run_layer(const Layer& layer, const LayerDescriptor& desc);
  const TilePlan& plan() const { return plan_; }
  /// Most unified-buffer bytes live at once during the last layer.
  std::size_t buffer_peak_bytes() const { return buffer_.peak_bytes(); }
  /// MAC-array activity as the array reported it, plus "passes".
  Counters mac_activity() const;
  /// The C++ model's count of the same passes, when the array cross-checks
  /// itself against it (the RTL does); empty otherwise.
  Counters mac_reference_activity() const;

 private:
  SC_HAS_PROCESS(ConvSequencer);
  void loader();
  sc_core::sc_time load_step(const TileStep& s, unsigned slot);
  void wait_for_data(unsigned slot, std::size_t block, sc_core::sc_time& local);
  void compute_step(const TileStep& s, unsigned slot, sc_core::sc_time& local);
  void fill_weights(const TileStep& s, unsigned slot, unsigned kg, unsigned u, unsigned r, unsigned c);
  void fill_activations(const TileStep& s, unsigned slot, unsigned u, unsigned r, unsigned c);
  void write_outputs(const TileStep& s, unsigned kg, sc_core::sc_time& local);

  /// Where a channel atom sits in a buffer slot (offsets from the slot's
  /// base): its values (packed non-zeros when compressed) and its ZVC mask.
  struct AtomRef {
    static constexpr std::uint32_t kNoMask = 0xFFFFFFFF;
    std::uint32_t values = 0, mask = kNoMask;
  };
  /// What the loader put where in one buffer slot.
  struct SlotLayout {
    std::size_t used = 0;
    std::vector<AtomRef> input;          ///< [h][w][unit][atom of the unit] of the window
    std::vector<std::size_t> chunk;      ///< [group][unit]: weight values for every kernel position, then 2:4 metadata
    std::vector<std::size_t> zvc_first;  ///< [group][unit]: index of the chunk's first entry in zvc_weights
    std::vector<AtomRef> zvc_weights;    ///< ZVC weights: [group][unit][kernel position][column]
  };
  class SlotAllocator;
  /// Throws DmaError when a ZVC mask marks elements beyond its granule.
  void check_masks(const std::uint8_t* masks, std::size_t n, std::uint64_t dram) const;
  sc_core::sc_time load_input_unit(const TileStep& s, unsigned u, SlotAllocator& alloc, SlotLayout& layout);
  sc_core::sc_time load_weight_chunk(const TileStep& s, unsigned kg, unsigned u, SlotAllocator& alloc,
                                     SlotLayout& layout);
  /// The decompressor: expands an atom of `n` valid lanes into values and zero
  /// lines (from the ZVC mask when there is one, else from the values).
  void expand(unsigned slot, const AtomRef& ref, unsigned n, std::int16_t* values, std::uint8_t* zero);

  // MacArrayBwIf: passes are loosely timed, nothing comes back this way.
  tlm::tlm_sync_enum nb_transport_bw(MacPass&, tlm::tlm_phase&, sc_core::sc_time&) override {
    return tlm::TLM_COMPLETED;
  }
  void invalidate_direct_mem_ptr(sc_dt::uint64, sc_dt::uint64) override {}

  AcceleratorConfig cfg_;
  Dma& dma_;
  UnifiedBuffer& buffer_;
  Accumulator& acc_;
  PostProcessor& post_;

  Layer layer_;
  LayerDescriptor desc_;
  TilePlan plan_;
  MacPass pass_;
  std::vector<std::uint8_t> out_staging_;
  MacActivity mac_total_, reference_total_;
  std::uint64_t passes_ = 0;

  // Double-buffer handshake between the loader process and run_layer.
  sc_core::sc_event start_ev_, ready_ev_, free_ev_, loader_idle_ev_;
  bool loader_busy_ = false;
  bool slot_ready_[2] = {false, false};
  bool slot_free_[2] = {true, true};
  // When the data of each (output-channel group, channel atom) of a slot's
  // step is in the buffer, indexed [group][atom].
  std::vector<sc_core::sc_time> ready_at_[2];
  SlotLayout layout_[2];
  std::size_t slot_base_ = 0;  // buffer address of the slot the loader is filling
  bool abort_ = false;
  std::exception_ptr load_error_;  // what stopped the loader, rethrown on the compute side
  sc_core::sc_time writes_done_;
};

}  // namespace sdla
