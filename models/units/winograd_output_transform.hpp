/// \file
/// The Winograd output transform (NVDLA's POA): after the accumulator. For
/// a Winograd layer it turns each 2x2 tile's 16 accumulated products M into
/// Y = A^T M A (adds only), scales it back to the units of a direct
/// convolution — exact: Z / 4; nvdla: Z * 2^(ws + t - 2), rounded half away
/// from zero when that is a right shift — and hands the output pixels to the
/// post-processor. Direct convolution passes through untouched.
///
/// Timing: one tile of every column per cycle; its cycles delay the output
/// writes, never the array.
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

  /// Programs the next layer: its Winograd mode, and for nvdla the weight
  /// and input shifts that set the output scale.
  void configure(const Layer& layer);
  /// Counters: "tiles" (per column), "adds", "cycles".
  Counters activity() const { return {{"tiles", tiles_}, {"adds", adds_}, {"cycles", cycles_}}; }

 private:
  void transport(SumTile& t, sc_core::sc_time& delay);
  sc_core::sc_time cycle_;
  Winograd mode_ = Winograd::off;
  int scale_ = -2;
  std::vector<std::int64_t> pixels_;
  SumTile out_;
  std::uint64_t tiles_ = 0, adds_ = 0, cycles_ = 0;
};

}  // namespace sdla
