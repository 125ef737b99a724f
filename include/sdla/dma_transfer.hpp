/// \file
/// The DMA link: what the loader, the output writer and the controller ask
/// of the DMA engine, one request list per transaction. The DMA is the
/// accelerator's only memory master; it merges adjacent runs, issues one
/// request per cycle and pipelines them.
///
/// Timing (LT): the initiator passes in `delay` how far after now the first
/// request issues; the DMA returns in `delay` when the last byte has arrived
/// (reads) or has been accepted (writes), measured from now.
///
///     sdla::DmaTransfer t;
///     t.dir = sdla::DmaTransfer::Dir::read;  t.tensor = sdla::Stream::weight;
///     t.runs = {{0x1000, 0, 256}};
///     dma_isock->b_transport(t, delay);      // t.data holds the 256 bytes
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace sdla {

/// The tensor a transfer belongs to, for the per-tensor traffic counters:
/// residual is the post-processor's second input (Layer::residual).
enum class Stream { input = 0, weight = 1, output = 2, param = 3, residual = 4 };
inline constexpr int kStreams = 5;

/// One contiguous transfer. `buffer` is where the initiator will put the
/// bytes (a unified-buffer address): the DMA merges runs that continue each
/// other both in DRAM and there. Runs marked `gather` belong to the previous
/// run's request (a scatter-gather list, e.g. the granules of one compressed
/// atom) and take no issue slot of their own.
struct DmaRun {
  std::uint64_t dram = 0;
  std::size_t buffer = 0;
  std::size_t len = 0;
  bool gather = false;
};

struct DmaTransfer {
  enum class Dir : std::uint8_t { read, write };
  Dir dir = Dir::read;
  Stream tensor = Stream::input;
  /// read: the runs to fetch, merged in place by the DMA; write: the runs
  /// to write, each one request, all issued together (posted writes), each
  /// with its bytes at data[buffer, buffer + len).
  std::vector<DmaRun> runs;
  /// read: filled with the runs' bytes back to back; write: the bytes to write.
  std::vector<std::uint8_t> data;
  /// What the transfer stands for uncompressed (the `<tensor>_dense_bytes` counter).
  std::uint64_t dense_bytes = 0;

  // ---- response
  bool ok = true;
  std::string error;  ///< names the address and the memory's answer when !ok
};

}  // namespace sdla
