/// \file
/// The pooling unit (NVDLA's PDP): max and average pooling of a dense
/// int8/int16 feature map in DRAM into another (the rule is PoolKind's in
/// sdla/layer.hpp). It owns a DMA port and a line buffer of input rows, and
/// runs one pool layer per PoolJob from the controller:
///
///     controller --PoolJob--> pooling_unit --DmaTransfer--> dma.pool_tsock
///
/// Output row by output row, it reads the input rows the row's windows need
/// (whole rows [W][Cp], one request per row; rows no window needs are never
/// read), computes the row and writes it (the C channels of each pixel; one
/// request per run of pixels contiguous in DRAM). Reads are double-buffered
/// by rows: the new rows of output row p + 1 are requested when the
/// computation of row p starts.
///
/// Timing: one atom-wide compare (max) or add (avg) per cycle. An output
/// row takes its window rows in order, each as soon as it has arrived:
/// input row h costs atoms * (sum over q of cols_in(q)) cycles, so the row
/// costs atoms * rows_in(p) * (sum over q of cols_in(q)), the in-image window
/// elements of its pixels per channel atom (the average's division is
/// pipelined behind the adds). The layer ends when its last write has completed.
///
///     sdla::PoolingUnit pool("pooling_unit", cfg);
///     pool.dma_isock.bind(dma.pool_tsock);
///     controller.pool_isock.bind(pool.job_tsock);
#pragma once

#include <cstdint>
#include <deque>
#include <vector>

#include <systemc>

#include "activity.hpp"
#include "sdla/config.hpp"
#include "sdla/dma_transfer.hpp"
#include "sdla/lt_socket.hpp"
#include "sdla/pool_job.hpp"

namespace sdla {

class PoolingUnit : public sc_core::sc_module {
 public:
  LtTargetSocket<PoolJob> job_tsock;         ///< from the controller
  LtInitiatorSocket<DmaTransfer> dma_isock;  ///< the DMA's pool port: input rows in, output rows out

  PoolingUnit(const sc_core::sc_module_name& name, const AcceleratorConfig& cfg);

  /// Counters: "element_ops" (window elements compared or added, per
  /// channel: pool_element_ops of each layer), "divides" (avg outputs, one per
  /// channel and pixel), "atoms_read" / "atoms_written" (channel atoms into
  /// the line buffer and out of the unit), "cycles" (compute cycles).
  Counters activity() const;

 private:
  void run(PoolJob& job, sc_core::sc_time& delay);
  /// Requests input rows [from, to) now, one request per row, recording when each arrives.
  void fetch_rows(unsigned from, unsigned to);
  /// Output row p from the line buffer into out_ ([Q][Cp] elements).
  void compute_row(unsigned p);
  /// Writes out_ (output row p) issued now, one request per run of contiguous pixels.
  void write_row(unsigned p);

  AcceleratorConfig cfg_;
  sc_core::sc_time cycle_;
  Layer layer_;
  LayerDescriptor desc_;
  unsigned lanes_ = 0, atoms_ = 0, eb_ = 0;
  std::size_t row_bytes_ = 0;                   // one input row [W][Cp]
  std::deque<std::vector<std::uint8_t>> rows_;  // the line buffer: input rows first_row_ ...
  std::deque<sc_core::sc_time> arrival_;         // when each of them arrives (absolute)
  unsigned first_row_ = 0;
  std::vector<std::uint8_t> out_;
  DmaTransfer xfer_;
  sc_core::sc_time writes_done_;  // absolute
  std::uint64_t element_ops_ = 0, divides_ = 0, atoms_read_ = 0, atoms_written_ = 0, cycles_ = 0;
};

}  // namespace sdla
