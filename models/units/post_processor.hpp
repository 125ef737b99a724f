/// \file
/// The post-processor (NVDLA's SDP): takes finished sums in output pixels
/// and produces the layer's output elements. With post-processing enabled it
/// adds the int32 bias and requantises per output channel (rule in
/// sdla/layer.hpp), applies ReLU and saturates to int8/int16; otherwise it
/// passes the raw int32 (int8 layers) or int64 (int16 layers) sums through.
#pragma once

#include <cstdint>
#include <vector>

#include <systemc>

#include "activity.hpp"
#include "sdla/layer.hpp"
#include "sdla/lt_socket.hpp"
#include "sdla/psum_block.hpp"

namespace sdla {

class PostProcessor : public sc_core::sc_module {
 public:
  LtTargetSocket<SumTile> tsock;           ///< from the Winograd output transform
  LtInitiatorSocket<OutputTile> out_isock; ///< to the output writer

  explicit PostProcessor(const sc_core::sc_module_name& name);

  /// Per-channel parameters of the next layer (the controller fetched them from DRAM).
  void configure(const Layer& layer, std::vector<std::int32_t> bias);
  /// Bytes of one output element.
  unsigned output_bytes() const { return out_bytes_; }
  /// Counters: "elements" (outputs produced), "requantize" (of those, post-processed).
  Counters activity() const { return {{"elements", elements_}, {"requantize", requantized_}}; }

 private:
  void transport(SumTile& t, sc_core::sc_time& delay);
  /// Encodes the output element of channel k with sum `acc` at `dst` (little-endian).
  void emit(unsigned k, std::int64_t acc, std::uint8_t* dst);
  Layer layer_;
  std::vector<std::int32_t> bias_;
  unsigned out_bytes_ = 4;
  std::vector<std::uint8_t> staging_;
  OutputTile out_;
  std::uint64_t elements_ = 0, requantized_ = 0;
};

}  // namespace sdla
