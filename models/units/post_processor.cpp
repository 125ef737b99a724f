#include "post_processor.hpp"

#include <algorithm>

#include "dma.hpp"
#include "golden/conv.hpp"

namespace sdla {

PostProcessor::PostProcessor(const sc_core::sc_module_name& name)
    : sc_module(name), tsock("tsock"), out_isock("out_isock"), dma_isock("dma_isock") {
  tsock.on_transport([this](SumTile& t, sc_core::sc_time& d) { transport(t, d); });
}

void PostProcessor::configure(const Layer& layer, std::vector<std::int32_t> bias, std::uint64_t residual_addr,
                              unsigned channel_pad) {
  layer_ = layer;
  rules_ = layer_.post.enabled ? ChannelRules(layer_, bias) : ChannelRules();
  out_bytes_ = output_element_bytes(layer);
  residual_addr_ = layer.residual && layer.post.enabled ? residual_addr : 0;
  channel_pad_ = channel_pad;
  out_width_ = layer.out_width();
}

Counters PostProcessor::activity() const {
  Counters c{{"elements", elements_}, {"requantize", requantized_}};
  // Appears once a residual layer has run: reports of layers without one stay as they were.
  if (residual_adds_) c["residual_adds"] = residual_adds_;
  return c;
}

void PostProcessor::encode(const SumTile& t, const std::int64_t* residual) {
  const unsigned pixels = t.per_column, cols = t.columns, ob = out_bytes_;
  std::uint8_t* dst = staging_.data();
  const std::uint64_t n = std::uint64_t(pixels) * cols;
  elements_ += n;
  if (!layer_.post.enabled) {
    for (unsigned v = 0; v < pixels; ++v)
      for (unsigned k = 0; k < cols; ++k, dst += ob)
        for (unsigned b = 0; b < ob; ++b) dst[b] = std::uint8_t(std::uint64_t(t.sum(k, v)) >> (8 * b));
    return;
  }
  requantized_ += n;
  const PrecisionTraits& p = traits(layer_.precision);
  const unsigned c0 = t.first_channel;
  row_.resize(cols);
  // The tile's pixels in one call, or a pixel at a time from a tile that keeps its columns apart.
  for (unsigned v = 0; v < pixels;) {
    const std::int64_t* sums = &t.sums[std::size_t(v) * t.entry_stride];
    const std::size_t stride = t.entry_stride;
    unsigned rows = pixels - v;
    if (t.stride != 1) {
      for (unsigned k = 0; k < cols; ++k) row_[k] = t.sum(k, v);
      sums = row_.data();
      rows = 1;
    }
    const std::int64_t* r = residual ? residual + std::size_t(v) * cols : nullptr;
    std::uint8_t* out = dst + std::size_t(v) * cols * ob;
    const unsigned done = requantize_rows(rules_, c0, cols, sums, stride, r, rows, ob, out);
    v += done;
    if (done == rows) continue;
    // A sum + bias beyond int32: the golden's 128-bit rule for this pixel.
    sums += std::size_t(done) * stride;
    r = r ? r + std::size_t(done) * cols : nullptr;
    out += std::size_t(done) * cols * ob;
    for (unsigned k = 0; k < cols; ++k, out += ob) {
      const std::int64_t y = golden::requantize_add(sums[k] + rules_.bias[c0 + k], layer_.post.multiplier_for(c0 + k),
                                                    layer_.post.shift_for(c0 + k), r ? r[k] : 0, layer_.post.relu,
                                                    p.min, p.max);
      for (unsigned b = 0; b < ob; ++b) out[b] = std::uint8_t(std::uint64_t(y) >> (8 * b));
    }
    ++v;
  }
}

void PostProcessor::fetch_residual(const SumTile& t, sc_core::sc_time& delay) {
  const TileStep& s = t.step;
  const unsigned eb = element_bytes(layer_.precision), cols = t.columns;
  const std::size_t len = std::size_t(cols) * eb;
  const std::uint64_t kp = (std::uint64_t(layer_.out_channels) + channel_pad_ - 1) / channel_pad_ * channel_pad_;
  // The tile's channels of each of its pixels, in the tile's pixel order; the DMA merges contiguous ones.
  xfer_.dir = DmaTransfer::Dir::read;
  xfer_.tensor = Stream::residual;
  xfer_.runs.clear();
  std::size_t at = 0;
  for (unsigned p = s.p0; p < s.p1; ++p)
    for (unsigned q = s.q0; q < s.q1; ++q, at += len)
      xfer_.runs.push_back({residual_addr_ + ((std::uint64_t(p) * out_width_ + q) * kp + t.first_channel) * eb, at, len});
  xfer_.dense_bytes = at;
  dma_isock->b_transport(xfer_, delay);
  if (!xfer_.ok) throw DmaError(xfer_.error);
  residual_.resize(std::size_t(s.pixels()) * cols);
  for (std::size_t i = 0; i < residual_.size(); ++i) {
    const std::uint8_t* e = &xfer_.data[i * eb];
    residual_[i] = eb == 1 ? std::int64_t(std::int8_t(e[0])) : std::int64_t(std::int16_t(std::uint16_t(e[0] | e[1] << 8)));
  }
  residual_adds_ += residual_.size();
}

void PostProcessor::transport(SumTile& t, sc_core::sc_time& delay) {
  out_ = OutputTile{};
  out_.end_of_layer = t.end_of_layer;
  if (!t.end_of_layer) {
    const unsigned pixels = t.per_column, cols = t.columns;
    staging_.resize(std::size_t(pixels) * cols * out_bytes_);
    if (residual_addr_) fetch_residual(t, delay);
    encode(t, residual_addr_ ? residual_.data() : nullptr);
    out_.first_channel = t.first_channel;
    out_.columns = cols;
    out_.step = t.step;
    out_.element_bytes = out_bytes_;
    out_.bytes = staging_.data();
  }
  out_isock->b_transport(out_, delay);
}

}  // namespace sdla
