/// \file
/// The output writer: writes a tile of encoded output elements to DRAM in
/// the feature-map layout of sdla/descriptor.hpp, one request per run of
/// pixels contiguous in DRAM, a tile's requests in one DMA transfer. When the next layer reads the output
/// compressed, it packs each granule's non-zeros at the granule's front and
/// writes only those plus one mask byte per granule (ZVC on the way out).
/// The end-of-layer tile answers with the time its last write completes.
/// Each tile's extent goes to a WrittenRanges, when one is given, so that
/// the next layer's input can load as soon as it has been written.
#pragma once

#include <cstdint>
#include <vector>

#include <systemc>

#include "sdla/config.hpp"
#include "sdla/descriptor.hpp"
#include "sdla/dma_transfer.hpp"
#include "sdla/lt_socket.hpp"
#include "sdla/psum_block.hpp"
#include "written_ranges.hpp"

namespace sdla {

class OutputWriter : public sc_core::sc_module {
 public:
  LtTargetSocket<OutputTile> tsock;           ///< from the post-processor
  LtInitiatorSocket<DmaTransfer> dma_isock;   ///< the DMA's write port

  OutputWriter(const sc_core::sc_module_name& name, const AcceleratorConfig& cfg);

  /// Programs the next layer's output region and format.
  void configure(const Layer& layer, const LayerDescriptor& desc);
  /// Where to record what has been written (null: nowhere).
  void record_to(WrittenRanges* ranges) { written_ = ranges; }

 private:
  void transport(OutputTile& t, sc_core::sc_time& delay);
  /// Adds one request (a run of `len` bytes at `addr`) to the tile's transfer.
  void add_run(std::uint64_t addr, const std::uint8_t* data, std::size_t len);
  /// Sends the tile's requests, issued `offset` after now; throws DmaError on an error response.
  void issue(sc_core::sc_time offset);
  void write_dense(const OutputTile& t);
  void write_zvc(const OutputTile& t);

  AcceleratorConfig cfg_;
  LayerDescriptor desc_;
  unsigned out_width_ = 0, lanes_ = 0;
  DmaTransfer xfer_;
  std::uint64_t pending_dense_ = 0;  // the tile's uncompressed bytes, booked with its transfer
  sc_core::sc_time writes_done_;     // absolute
  WrittenRanges* written_ = nullptr;
  std::vector<std::pair<std::uint64_t, std::uint64_t>> extent_;  // the tile's (address, length) ranges
};

}  // namespace sdla
