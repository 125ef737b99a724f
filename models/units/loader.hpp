/// \file
/// The loader (NVDLA's CDMA): DMAs each tile step's input window and weights
/// into one half of the unified buffer while the feeder works on the other
/// (ping-pong). Data arrives in the order the feeder consumes it: channel
/// unit by channel unit of the window, each followed by the first group's
/// weights for that unit, then the other groups' weights; the SlotLoad it
/// sends says when each block is in, so a pass waits only for its own data.
/// ZVC tensors move as masks first, then only the granules' non-zeros.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include <systemc>
#include <tlm>
#include <tlm_utils/simple_initiator_socket.h>

#include "sdla/config.hpp"
#include "sdla/descriptor.hpp"
#include "sdla/dma_transfer.hpp"
#include "sdla/lt_socket.hpp"
#include "sdla/slot_load.hpp"
#include "sdla/tile_plan.hpp"
#include "written_ranges.hpp"

namespace sdla {

/// What a layer reads that a layer still in flight writes.
struct LoadHazards {
  /// The job writing this layer's input (0: none), and the regions it
  /// writes: an input read waits until the bytes it reads in them are
  /// written (see watch()) or the job is done. The step's weights load
  /// ahead meanwhile.
  std::uint64_t input_after = 0;
  std::vector<TensorRegion> input_writes;
  /// The job writing this layer's weights (0: none): nothing of a step loads before it is done.
  std::uint64_t weights_after = 0;
};

class Loader : public sc_core::sc_module {
 public:
  LtInitiatorSocket<DmaTransfer> dma_isock;
  tlm_utils::simple_initiator_socket<Loader> buf_isock;  ///< writes into the unified buffer
  sc_core::sc_fifo_out<SlotLoad> loaded;                  ///< to the feeder: a slot is filled
  sc_core::sc_fifo_in<unsigned> released;                 ///< from the feeder: a slot is free again

  Loader(const sc_core::sc_module_name& name, const AcceleratorConfig& cfg);

  /// Programs the next layer and starts loading its steps (call when not
  /// busy); returns the job number its SlotLoads carry. The slots continue
  /// from the layer before: its last steps may still be computing, so this
  /// layer's first step loads ahead into the free slot.
  std::uint64_t start(const Layer& layer, const LayerDescriptor& desc, const TilePlan& plan, LoadHazards hazards = {});
  /// What the output writer has written of the layer computing now; without
  /// it a hazard waits for the whole job.
  void watch(const WrittenRanges* written) { written_ = written; }
  /// The pipeline has finished job `job` and every one before it.
  void completed(std::uint64_t job);
  /// Stops after the current step (the layer failed downstream).
  void abort();
  /// Both slots empty, nothing to release: for a fresh start once the
  /// feeder and the loader are idle and their fifos drained.
  void reset_slots() { held_ = 0, next_slot_ = 0; }
  bool busy() const { return busy_; }
  const sc_core::sc_event& idle_event() const { return idle_ev_; }
  /// Most buffer bytes live at once during job `job`'s loads (its own
  /// steps); asked once per job.
  std::size_t peak_bytes(std::uint64_t job);

 private:
  SC_HAS_PROCESS(Loader);
  class SlotAllocator;
  void run();
  sc_core::sc_time load_step(SlotLoad& ld);
  /// Loads the step's blocks in the order the feeder consumes them; returns when the last arrives, from now.
  sc_core::sc_time load_in_order(SlotLoad& ld, SlotAllocator& alloc);
  /// The step's weights first, then its input as it gets written (absolute times in ld.ready_at).
  sc_core::sc_time load_weights_ahead(SlotLoad& ld, SlotAllocator& alloc);
  /// Waits until the pipeline has finished `job` (or an abort).
  void wait_completed(std::uint64_t job);
  /// Waits until the bytes of `runs` that the job ahead writes are written
  /// (or it is done, or an abort); returns when the last of them completed (absolute).
  sc_core::sc_time written_by(const std::vector<DmaRun>& runs);
  /// An input fetch issued no earlier than `earliest` nor before its bytes are written; returns its arrival (absolute).
  sc_core::sc_time fetch_input(std::vector<DmaRun>&& runs, std::uint64_t dense_bytes, sc_core::sc_time earliest,
                               bool keep);
  /// Returns when the unit's input has arrived (absolute).
  sc_core::sc_time load_input_unit(const TileStep& s, unsigned u, SlotAllocator& alloc, SlotLayout& layout);
  sc_core::sc_time load_weight_chunk(const TileStep& s, unsigned kg, unsigned u, SlotAllocator& alloc,
                                     SlotLayout& layout);
  /// One write into the unified buffer; a refused one is a model bug (std::logic_error).
  void write_buffer(std::size_t addr, std::uint8_t* data, std::size_t len);
  /// Reads the runs from DRAM, issued `offset` after now, and writes them into
  /// the buffer; returns when the last byte has arrived, from now. With
  /// `keep` the bytes stay in masks_ (ZVC masks size the value transfers).
  sc_core::sc_time fetch(std::vector<DmaRun>&& runs, Stream tensor, std::uint64_t dense_bytes,
                         sc_core::sc_time offset = sc_core::SC_ZERO_TIME, bool keep = false);
  /// Throws DmaError when a ZVC mask marks elements beyond its granule.
  void check_masks(const std::uint8_t* masks, std::size_t n, std::uint64_t dram) const;

  AcceleratorConfig cfg_;
  Layer layer_;
  LayerDescriptor desc_;
  TilePlan plan_;
  DmaTransfer xfer_;
  // Scratch reused from fetch to fetch: a step's runs are one per atom.
  std::vector<DmaRun> runs_;
  std::vector<AtomRef*> refs_;
  tlm::tlm_generic_payload buf_gp_;
  std::vector<std::uint8_t> masks_;  // the ZVC masks of the last fetch that kept them
  sc_core::sc_event start_ev_, abort_ev_, idle_ev_, completed_ev_;
  bool busy_ = false, abort_ = false;
  std::size_t peak_ = 0, last_used_ = 0;
  std::uint64_t job_ = 0, completed_ = 0;
  LoadHazards hazards_;
  const WrittenRanges* written_ = nullptr;
  unsigned held_ = 0;       // slots loaded and not yet taken back (the feeder's release may be pending)
  unsigned next_slot_ = 0;  // the slot the next step loads into
  std::map<std::uint64_t, std::size_t> peaks_;  // of jobs whose loads have ended
};

}  // namespace sdla
