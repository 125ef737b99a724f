#include "post_processor.hpp"

#include "golden/conv.hpp"

namespace sdla {

PostProcessor::PostProcessor(const sc_core::sc_module_name& name)
    : sc_module(name), tsock("tsock"), out_isock("out_isock") {
  tsock.on_transport([this](SumTile& t, sc_core::sc_time& d) { transport(t, d); });
}

void PostProcessor::configure(const Layer& layer, std::vector<std::int32_t> bias) {
  layer_ = layer;
  bias_ = std::move(bias);
  out_bytes_ = layer.post.enabled ? element_bytes(layer.precision) : accumulator_bytes(layer.precision);
}

void PostProcessor::emit(unsigned k, std::int64_t acc, std::uint8_t* dst) {
  std::int64_t v = acc;
  if (layer_.post.enabled) {
    // The arithmetic rule is the one the golden reference defines.
    const PrecisionTraits& p = traits(layer_.precision);
    v = golden::requantize(acc + bias_[k], layer_.post.multiplier_for(k), layer_.post.shift_for(k),
                           layer_.post.relu, p.min, p.max);
    ++requantized_;
  }
  ++elements_;
  for (unsigned b = 0; b < out_bytes_; ++b) dst[b] = std::uint8_t(std::uint64_t(v) >> (8 * b));
}

void PostProcessor::transport(SumTile& t, sc_core::sc_time& delay) {
  out_ = OutputTile{};
  out_.end_of_layer = t.end_of_layer;
  if (!t.end_of_layer) {
    const unsigned pixels = t.per_column, cols = t.columns;
    staging_.resize(std::size_t(pixels) * cols * out_bytes_);
    for (unsigned v = 0; v < pixels; ++v)
      for (unsigned k = 0; k < cols; ++k)
        emit(t.first_channel + k, t.sum(k, v), &staging_[(std::size_t(v) * cols + k) * out_bytes_]);
    out_.first_channel = t.first_channel;
    out_.columns = cols;
    out_.step = t.step;
    out_.element_bytes = out_bytes_;
    out_.bytes = staging_.data();
  }
  out_isock->b_transport(out_, delay);
}

}  // namespace sdla
