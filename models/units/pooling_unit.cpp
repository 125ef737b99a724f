#include "pooling_unit.hpp"

#include <algorithm>

#include <fmt/format.h>

#include "dma.hpp"

namespace sdla {
namespace {

/// [lo, hi): the input rows (or columns) of window o that lie inside the image.
std::pair<unsigned, unsigned> window(unsigned o, unsigned stride, unsigned before, unsigned kernel, unsigned in) {
  const long first = long(o) * stride - long(before);
  return {unsigned(std::max(first, 0L)), unsigned(std::min(first + long(kernel), long(in)))};
}

std::int64_t load(const std::uint8_t* p, unsigned eb) {
  return eb == 1 ? std::int64_t(std::int8_t(p[0])) : std::int64_t(std::int16_t(std::uint16_t(p[0] | p[1] << 8)));
}

void store(std::uint8_t* p, std::int64_t v, unsigned eb) {
  for (unsigned b = 0; b < eb; ++b) p[b] = std::uint8_t(std::uint64_t(v) >> (8 * b));
}

}  // namespace

PoolingUnit::PoolingUnit(const sc_core::sc_module_name& name, const AcceleratorConfig& cfg)
    : sc_module(name), job_tsock("job_tsock"), dma_isock("dma_isock"), cfg_(cfg),
      cycle_(cfg.clock_period_ns(), sc_core::SC_NS) {
  job_tsock.on_transport([this](PoolJob& j, sc_core::sc_time& d) { run(j, d); });
}

Counters PoolingUnit::activity() const {
  return {{"element_ops", element_ops_}, {"divides", divides_}, {"atoms_read", atoms_read_},
          {"atoms_written", atoms_written_}, {"cycles", cycles_}};
}

void PoolingUnit::fetch_rows(unsigned from, unsigned to) {
  // Rows no window needs (a stride above the kernel) are never read: empty places in the line buffer.
  while (first_row_ + rows_.size() < from) {
    rows_.emplace_back();
    arrival_.push_back(sc_core::SC_ZERO_TIME);
  }
  for (unsigned h = from; h < to; ++h) {
    xfer_.dir = DmaTransfer::Dir::read;
    xfer_.tensor = Stream::input;
    xfer_.runs.assign(1, DmaRun{desc_.input_addr + std::uint64_t(h) * row_bytes_, 0, row_bytes_});
    xfer_.dense_bytes = row_bytes_;
    sc_core::sc_time done = sc_core::SC_ZERO_TIME;
    dma_isock->b_transport(xfer_, done);
    if (!xfer_.ok) throw DmaError(xfer_.error);
    rows_.push_back(std::move(xfer_.data));
    arrival_.push_back(sc_core::sc_time_stamp() + done);
  }
  atoms_read_ += std::uint64_t(to - from) * layer_.in_width * atoms_;
}

void PoolingUnit::compute_row(unsigned p) {
  const Layer& l = layer_;
  const unsigned Q = l.out_width(), C = l.in_channels, cp = atoms_ * lanes_;
  const auto [h0, h1] = window(p, l.stride_h, l.pad.top, l.kernel_h, l.in_height);
  out_.assign(std::size_t(Q) * cp * eb_, 0);
  std::uint64_t cols = 0;
  for (unsigned q = 0; q < Q; ++q) {
    const auto [w0, w1] = window(q, l.stride_w, l.pad.left, l.kernel_w, l.in_width);
    cols += w1 - w0;
    const std::int64_t n = std::int64_t(h1 - h0) * (w1 - w0);  // >= 1: padding is smaller than the kernel
    for (unsigned c = 0; c < C; ++c) {
      std::int64_t best = 0, sum = 0;
      bool first = true;
      for (unsigned h = h0; h < h1; ++h) {
        const std::uint8_t* row = rows_[h - first_row_].data();
        for (unsigned w = w0; w < w1; ++w) {
          const std::int64_t v = load(row + (std::size_t(w) * cp + c) * eb_, eb_);
          best = first || v > best ? v : best;
          sum += v;
          first = false;
        }
      }
      std::int64_t y = best;
      if (l.pool_kind == PoolKind::avg) {
        // floor((2 * sum + n) / (2 * n)): the mean rounded half up.
        const std::int64_t num = 2 * sum + n, den = 2 * n;
        y = num / den - (num % den < 0 ? 1 : 0);
      }
      store(&out_[(std::size_t(q) * cp + c) * eb_], y, eb_);
    }
  }
  const std::uint64_t window_elements = std::uint64_t(h1 - h0) * cols;
  element_ops_ += window_elements * C;
  cycles_ += window_elements * atoms_;
  if (l.pool_kind == PoolKind::avg) divides_ += std::uint64_t(Q) * C;
  atoms_written_ += std::uint64_t(Q) * atoms_;
}

void PoolingUnit::write_row(unsigned p) {
  const unsigned Q = layer_.out_width(), C = layer_.in_channels;
  const std::size_t pixel_bytes = std::size_t(atoms_) * lanes_ * eb_, len = std::size_t(C) * eb_;
  const std::uint64_t row_addr = desc_.output_addr + std::uint64_t(p) * Q * pixel_bytes;
  // The C channels of each pixel: one request per run of pixels contiguous in DRAM (all of them when C fills the atoms).
  auto write = [&](unsigned q0, unsigned q1) {
    xfer_.dir = DmaTransfer::Dir::write;
    xfer_.tensor = Stream::output;
    const std::uint64_t addr = row_addr + std::uint64_t(q0) * pixel_bytes;
    const std::size_t bytes = std::size_t(q1 - q0 - 1) * pixel_bytes + len;
    xfer_.runs.assign(1, DmaRun{addr, 0, bytes});
    xfer_.data.assign(out_.begin() + std::ptrdiff_t(std::size_t(q0) * pixel_bytes),
                      out_.begin() + std::ptrdiff_t(std::size_t(q0) * pixel_bytes + bytes));
    xfer_.dense_bytes = std::uint64_t(q1 - q0) * len;
    sc_core::sc_time done = sc_core::SC_ZERO_TIME;
    dma_isock->b_transport(xfer_, done);
    if (!xfer_.ok) throw DmaError(xfer_.error);
    writes_done_ = std::max(writes_done_, sc_core::sc_time_stamp() + done);
  };
  if (len == pixel_bytes) {
    write(0, Q);
  } else {
    for (unsigned q = 0; q < Q; ++q) write(q, q + 1);
  }
}

void PoolingUnit::run(PoolJob& job, sc_core::sc_time& delay) {
  wait(delay);
  delay = sc_core::SC_ZERO_TIME;
  layer_ = job.layer;
  desc_ = job.desc;
  const Layer& l = layer_;
  lanes_ = cfg_.lanes(l.precision);
  eb_ = element_bytes(l.precision);
  atoms_ = (l.in_channels + lanes_ - 1) / lanes_;
  row_bytes_ = std::size_t(l.in_width) * atoms_ * cfg_.atom_bytes();
  rows_.clear();
  arrival_.clear();
  first_row_ = 0;
  writes_done_ = sc_core::sc_time_stamp();
  const unsigned P = l.out_height();
  std::size_t peak_rows = 0;
  unsigned fetched = 0;  // input rows below this one have been requested
  // The rows output row p needs that are not in the line buffer yet, requested now.
  auto prefetch = [&](unsigned p) {
    const auto [h0, h1] = window(p, l.stride_h, l.pad.top, l.kernel_h, l.in_height);
    fetch_rows(std::max(fetched, h0), h1);
    fetched = std::max(fetched, h1);
  };
  const std::uint64_t row_cycles = std::uint64_t(atoms_) * pool_window_extent(l, false);  // one input row of a window
  try {
    prefetch(0);
    for (unsigned p = 0; p < P; ++p) {
      // Rows above this output row's window are no longer needed.
      const auto [h0, h1] = window(p, l.stride_h, l.pad.top, l.kernel_h, l.in_height);
      while (!rows_.empty() && first_row_ < h0) {
        rows_.pop_front();
        arrival_.pop_front();
        ++first_row_;
      }
      // Double-buffered by rows: the next output row's new input rows arrive while this one computes.
      if (p + 1 < P) prefetch(p + 1);
      peak_rows = std::max<std::size_t>(
          peak_rows, std::count_if(rows_.begin(), rows_.end(), [](const auto& r) { return !r.empty(); }));
      // The window rows in order, each as soon as it is in.
      sc_core::sc_time t = sc_core::sc_time_stamp();
      for (unsigned h = h0; h < h1; ++h) t = std::max(t, arrival_[h - first_row_]) + double(row_cycles) * cycle_;
      compute_row(p);
      wait(t - sc_core::sc_time_stamp());
      write_row(p);
    }
    if (writes_done_ > sc_core::sc_time_stamp()) wait(writes_done_ - sc_core::sc_time_stamp());
  } catch (...) {
    rows_.clear();
    arrival_.clear();
    throw;
  }
  rows_.clear();
  arrival_.clear();
  job.line_buffer_bytes = peak_rows * row_bytes_;
  job.tiling = fmt::format("pool {} {}x{} s{}x{}: {} output rows, line buffer of up to {} input rows ({} bytes)",
                           to_string(l.pool_kind), l.kernel_h, l.kernel_w, l.stride_h, l.stride_w, P, peak_rows,
                           job.line_buffer_bytes);
}

}  // namespace sdla
