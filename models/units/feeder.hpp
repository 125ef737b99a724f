/// \file
/// The feeder (NVDLA's CSC, the convolution sequencer): walks a layer's tile
/// steps as the loader delivers them and turns each into MAC passes, in the
/// order the array consumes them. Per (output-channel group, channel unit)
/// it fetches one weight block per position through the decompressor and
/// assembles the activation vectors: im2col rows for direct convolution, raw
/// 4x4 input tiles for Winograd (the input transform makes the vectors). It
/// sends the passes down the MAC path, their partial sums to the
/// accumulator, and, after a step's last channel block, drains the sums
/// towards the output writer.
#pragma once

#include <cstdint>
#include <stdexcept>

#include <systemc>

#include "activity.hpp"
#include "sdla/atom_batch.hpp"
#include "sdla/config.hpp"
#include "sdla/lt_socket.hpp"
#include "sdla/psum_block.hpp"
#include "sdla/slot_load.hpp"
#include "sdla/tile_feed.hpp"
#include "sdla/tile_plan.hpp"

namespace sdla {

/// The MAC array answered a pass with an error status.
struct MacArrayError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

class Feeder : public sc_core::sc_module {
 public:
  LtInitiatorSocket<AtomBatch> dec_isock;   ///< the decompressor
  LtInitiatorSocket<TileFeed> feed_isock;   ///< the Winograd input transform, then the MAC array
  LtInitiatorSocket<PsumBlock> acc_isock;   ///< the accumulator
  sc_core::sc_fifo_in<SlotLoad> loaded;     ///< from the loader
  sc_core::sc_fifo_out<unsigned> released;  ///< to the loader

  Feeder(const sc_core::sc_module_name& name, const AcceleratorConfig& cfg);

  /// Runs the layer's steps to completion in simulated time (the caller's
  /// thread). Throws what the loader hit (DmaError, TilingError), the output
  /// writer's DmaError, or MacArrayError. `job` is the loader's number for this layer.
  void run_layer(const Layer& layer, const TilePlan& plan, std::uint64_t job);
  /// MAC-array activity as the array reported it, plus "passes".
  Counters mac_activity() const;
  /// The C++ model's count of the same passes, when the array cross-checks
  /// itself against it (the RTL does); empty otherwise.
  Counters mac_reference_activity() const;

 private:
  void compute_step(const SlotLoad& ld, sc_core::sc_time& local);
  void wait_for_block(const SlotLoad& ld, unsigned kg, unsigned u, sc_core::sc_time& local);
  /// Drains group `group`'s sums: a step's outputs (component -1), or one Winograd component.
  void drain(const SlotLoad& ld, unsigned kg, unsigned group, int component, sc_core::sc_time& local);
  void direct_unit(const SlotLoad& ld, unsigned kg, unsigned u, unsigned group, sc_core::sc_time& local);
  /// The passes of Winograd component `comp` for channel unit u (two halves for exact int8).
  void winograd_unit(const SlotLoad& ld, unsigned kg, unsigned u, unsigned comp, unsigned group,
                     sc_core::sc_time& local);
  void fill_weights(const SlotLoad& ld, unsigned kg, unsigned u, std::size_t pos);
  void fill_activations(const SlotLoad& ld, unsigned u, unsigned r, unsigned c);
  /// The four raw inputs of component `comp` of every 2x2 tile of the step.
  void fill_winograd_inputs(const SlotLoad& ld, unsigned u, unsigned comp, unsigned lanes);
  /// Where input pixel (h, w) of unit u's atom j sits in the slot, or null outside the window.
  const AtomRef* input_atom(const SlotLoad& ld, long h, long w, unsigned u, unsigned j) const;
  void issue(unsigned group, sc_core::sc_time& local);
  /// Appends reads of atoms[0..count) to batch_ (its first `n` reads in use),
  /// `lanes` elements each, atom i into dst + i * stride: a dense atom that
  /// continues the last read, in the buffer and in the destination, joins it.
  void add_reads(std::size_t& n, const AtomRef* atoms, unsigned count, unsigned lanes, std::uint32_t dst,
                 std::uint32_t stride, unsigned element_bytes);
  void expand(std::size_t base, Precision p, std::int16_t* values, std::uint8_t* zero);

  AcceleratorConfig cfg_;
  Layer layer_;
  TilePlan plan_;
  TileFeed feed_;
  AtomBatch batch_;
  PsumBlock acc_op_;
  MacActivity mac_total_, reference_total_;
  std::uint64_t passes_ = 0;
  /// Vectors [0, tail_vectors_) of pass.act_zero hold 1 on bus lanes
  /// [tail_from_, act_lanes): reads never reach past lanes_valid, so they
  /// stay set while lanes_valid does, and a pass does not set them again.
  unsigned tail_from_ = 0, tail_vectors_ = 0;
};

}  // namespace sdla
