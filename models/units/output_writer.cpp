#include "output_writer.hpp"

#include <algorithm>

#include "dma.hpp"

namespace sdla {
namespace {

std::uint64_t round_up(std::uint64_t a, std::uint64_t b) { return (a + b - 1) / b * b; }

}  // namespace

OutputWriter::OutputWriter(const sc_core::sc_module_name& name, const AcceleratorConfig& cfg)
    : sc_module(name), tsock("tsock"), dma_isock("dma_isock"), cfg_(cfg) {
  tsock.on_transport([this](OutputTile& t, sc_core::sc_time& d) { transport(t, d); });
}

void OutputWriter::configure(const Layer& layer, const LayerDescriptor& desc) {
  desc_ = desc;
  out_width_ = layer.out_width();
  lanes_ = cfg_.lanes(layer.precision);
  writes_done_ = sc_core::sc_time_stamp();
}

void OutputWriter::add_run(std::uint64_t addr, const std::uint8_t* data, std::size_t len) {
  xfer_.runs.push_back(DmaRun{addr, xfer_.data.size(), len});
  xfer_.data.insert(xfer_.data.end(), data, data + len);
}

void OutputWriter::issue(sc_core::sc_time offset) {
  if (xfer_.runs.empty()) return;
  xfer_.dir = DmaTransfer::Dir::write;
  xfer_.tensor = Stream::output;
  xfer_.dense_bytes = pending_dense_;
  pending_dense_ = 0;
  dma_isock->b_transport(xfer_, offset);
  if (!xfer_.ok) throw DmaError(xfer_.error);
  writes_done_ = std::max(writes_done_, sc_core::sc_time_stamp() + offset);
}

void OutputWriter::transport(OutputTile& t, sc_core::sc_time& delay) {
  if (t.end_of_layer) {
    const sc_core::sc_time now = sc_core::sc_time_stamp();
    delay = writes_done_ > now ? writes_done_ - now : sc_core::SC_ZERO_TIME;
    return;
  }
  pending_dense_ = std::uint64_t(t.step.pixels()) * t.columns * t.element_bytes;
  extent_.clear();
  xfer_.runs.clear();
  xfer_.data.clear();
  if (desc_.output_zvc())
    write_zvc(t);
  else
    write_dense(t);
  issue(delay);
  if (written_)
    for (const auto& [addr, len] : extent_) written_->add(addr, len, writes_done_);
}

void OutputWriter::write_zvc(const OutputTile& t) {
  // Per granule a mask byte and its non-zeros, packed at the granule's front.
  const TileStep& s = t.step;
  const unsigned ob = t.element_bytes, cols = t.columns, G = zvc_granule(lanes_), granules = (cols + G - 1) / G;
  const std::uint64_t kp = round_up(desc_.out_channels, lanes_);
  std::vector<std::uint8_t> masks(granules), packed(std::size_t(G) * ob);
  unsigned v = 0;
  for (unsigned p = s.p0; p < s.p1; ++p)
    for (unsigned q = s.q0; q < s.q1; ++q, ++v) {
      const std::uint64_t first = (std::uint64_t(p) * out_width_ + q) * kp + t.first_channel;
      for (unsigned g = 0; g < granules; ++g) {
        unsigned n = 0;
        masks[g] = 0;
        for (unsigned i = 0; i < G && g * G + i < cols; ++i) {
          const std::uint8_t* e = &t.bytes[(std::size_t(v) * cols + g * G + i) * ob];
          if (std::all_of(e, e + ob, [](std::uint8_t b) { return b == 0; })) continue;
          masks[g] = std::uint8_t(masks[g] | 1u << i);
          std::copy(e, e + ob, &packed[std::size_t(n++) * ob]);
        }
        if (n) add_run(desc_.output_addr + (first + std::uint64_t(g) * G) * ob, packed.data(), std::size_t(n) * ob);
      }
      add_run(desc_.output_mask_addr + first / G, masks.data(), granules);
      // The pixel's granules are written whole: the zeros they leave out are what the masks say.
      extent_.emplace_back(desc_.output_addr + first * ob, std::uint64_t(cols) * ob);
      extent_.emplace_back(desc_.output_mask_addr + first / G, granules);
    }
}

void OutputWriter::write_dense(const OutputTile& t) {
  // The tile's bytes go out as they are, one write per run of pixels that are contiguous in DRAM.
  const TileStep& s = t.step;
  const std::size_t len = std::size_t(t.columns) * t.element_bytes;
  const std::uint64_t kp = round_up(desc_.out_channels, lanes_);
  xfer_.data.assign(t.bytes, t.bytes + std::size_t(s.pixels()) * len);
  auto run = [&](std::uint64_t addr, std::size_t from, std::size_t n) {
    xfer_.runs.push_back(DmaRun{addr, from, n});
    extent_.emplace_back(addr, n);
  };
  std::uint64_t run_addr = 0;
  std::size_t run_from = 0, run_len = 0;
  unsigned v = 0;
  for (unsigned p = s.p0; p < s.p1; ++p)
    for (unsigned q = s.q0; q < s.q1; ++q, ++v) {
      const std::uint64_t addr = desc_.output_addr + ((std::uint64_t(p) * out_width_ + q) * kp + t.first_channel) * t.element_bytes;
      if (run_len && run_addr + run_len == addr) {
        run_len += len;
        continue;
      }
      if (run_len) run(run_addr, run_from, run_len);
      run_addr = addr;
      run_from = std::size_t(v) * len;
      run_len = len;
    }
  if (run_len) run(run_addr, run_from, run_len);
}

}  // namespace sdla
