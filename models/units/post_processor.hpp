/// \file
/// The post-processor (NVDLA's SDP): takes finished sums in output pixels
/// and produces the layer's output elements. With post-processing enabled it
/// adds the int32 bias and requantises per output channel (rule in
/// sdla/layer.hpp), applies ReLU and saturates to int8/int16; otherwise it
/// passes the raw int32 (int8 layers) or int64 (int16 layers) sums through.
///
/// A residual layer (Layer::residual) adds a second tensor after
/// requantisation: like NVDLA's SDP, the post-processor has its own read DMA
/// (dma_isock) and fetches the residual elements of each tile it processes —
/// its channels of each of its pixels, one gather list per tile, merged by
/// the DMA where pixels are contiguous — before the tile's outputs go on.
/// The read is issued when the tile arrives, so it delays the tile's writes,
/// not the MAC array. Layers without a residual never use the port.
#pragma once

#include <cstdint>
#include <vector>

#include <systemc>

#include "activity.hpp"
#include "sdla/dma_transfer.hpp"
#include "sdla/layer.hpp"
#include "sdla/lt_socket.hpp"
#include "sdla/psum_block.hpp"
#include "requantize_row.hpp"

namespace sdla {

class PostProcessor : public sc_core::sc_module {
 public:
  LtTargetSocket<SumTile> tsock;           ///< from the Winograd output transform
  LtInitiatorSocket<OutputTile> out_isock; ///< to the output writer
  LtInitiatorSocket<DmaTransfer> dma_isock; ///< residual reads (NVDLA SDP's read DMA): the DMA's post port

  explicit PostProcessor(const sc_core::sc_module_name& name);

  /// Per-channel parameters of the next layer (the controller fetched them
  /// from DRAM); for a residual layer, where its residual tensor lies (a dense
  /// [P][Q][Kp] feature map, channels padded to `channel_pad`).
  void configure(const Layer& layer, std::vector<std::int32_t> bias, std::uint64_t residual_addr = 0,
                 unsigned channel_pad = 1);
  /// Bytes of one output element.
  unsigned output_bytes() const { return out_bytes_; }
  /// Counters: "elements" (outputs produced), "requantize" (of those,
  /// post-processed) and, once a residual layer has run, "residual_adds"
  /// (of those, with a residual element added).
  Counters activity() const;

 private:
  void transport(SumTile& t, sc_core::sc_time& delay);
  /// Encodes the tile's output elements into staging_ (little-endian), with
  /// `residual` ([pixel][column]) added when not null.
  void encode(const SumTile& t, const std::int64_t* residual);
  /// The residual elements of tile `t` into residual_ ([pixel][column]),
  /// read from DRAM issued `delay` after now; `delay` becomes their arrival.
  void fetch_residual(const SumTile& t, sc_core::sc_time& delay);
  Layer layer_;
  ChannelRules rules_;
  std::vector<std::int64_t> row_;  // one pixel's sums, from a tile that keeps its columns apart
  unsigned out_bytes_ = 4;
  std::vector<std::uint8_t> staging_;
  OutputTile out_;
  std::uint64_t residual_addr_ = 0;  // 0: no residual
  unsigned channel_pad_ = 1, out_width_ = 0;
  std::vector<std::int64_t> residual_;
  DmaTransfer xfer_;
  std::uint64_t elements_ = 0, requantized_ = 0, residual_adds_ = 0;
};

}  // namespace sdla
