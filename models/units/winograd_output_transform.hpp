/// \file
/// The Winograd output transform (NVDLA's POA): after the accumulator. For
/// a Winograd layer it receives each component's products M (one sum per
/// 2x2 tile, over the step's channel units) and adds them into the tile's
/// four outputs with the coefficients of Y = A^T M A, which is linear in M
/// (adds only). After the last component of the last channel block it
/// scales the outputs back to the units of a direct convolution — exact:
/// Y / 4; nvdla: Y * 2^(ws + t - 2), rounded half away from zero when that
/// is a right shift — and hands the output pixels to the post-processor.
/// Direct convolution passes through untouched.
///
/// Its output registers hold four sums per tile of the step; the tile plan
/// counts them against the accumulator's capacity. Timing: one tile of every
/// column per cycle; folding a component overlaps the array's next passes,
/// the final scaling delays the output writes.
#pragma once

#include <cstdint>
#include <vector>

#include <systemc>

#include "activity.hpp"
#include "sdla/config.hpp"
#include "sdla/lt_socket.hpp"
#include "sdla/psum_block.hpp"

namespace sdla {

class WinogradOutputTransform : public sc_core::sc_module {
 public:
  LtTargetSocket<SumTile> tsock;         ///< from the accumulator
  LtInitiatorSocket<SumTile> out_isock;  ///< to the post-processor

  WinogradOutputTransform(const sc_core::sc_module_name& name, const AcceleratorConfig& cfg);

  /// Programs the next layer: its Winograd mode, the output scale (nvdla:
  /// weight and input shifts), and room for `groups` groups of `tiles` tiles.
  void configure(const Layer& layer, unsigned groups, unsigned tiles);
  /// Counters: "folds" (components added in, per tile and column), "adds",
  /// "outputs" (pixels scaled and sent on, per column), "cycles".
  Counters activity() const { return {{"folds", folds_}, {"adds", adds_}, {"outputs", outputs_}, {"cycles", cycles_}}; }

 private:
  void transport(SumTile& t, sc_core::sc_time& delay);
  void fold(const SumTile& t);
  void send(const SumTile& t, sc_core::sc_time& delay);
  std::int64_t* outputs(unsigned group, unsigned col) { return &y_[(std::size_t(group) * atomic_k_ + col) * tiles_ * 4]; }

  sc_core::sc_time cycle_;
  unsigned atomic_k_;
  Winograd mode_ = Winograd::off;
  int scale_ = -2;
  unsigned tiles_ = 0;
  std::vector<std::int64_t> y_;       // [group][column][tile][2x2]
  std::vector<std::int64_t> pixels_;  // [column][pixel] of the tile sent on
  SumTile out_;
  std::uint64_t folds_ = 0, adds_ = 0, outputs_ = 0, cycles_ = 0;
};

}  // namespace sdla
