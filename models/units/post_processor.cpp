#include "post_processor.hpp"

#include "golden/conv.hpp"

namespace sdla {

PostProcessor::PostProcessor(const sc_core::sc_module_name& name) : sc_module(name) {}

void PostProcessor::configure(const Layer& layer, std::vector<std::int32_t> bias) {
  layer_ = layer;
  bias_ = std::move(bias);
  const bool int8 = layer.precision == Precision::int8;
  out_bytes_ = layer.post.enabled ? element_bytes(layer.precision) : accumulator_bytes(layer.precision);
  lo_ = int8 ? -128 : -32768;
  hi_ = int8 ? 127 : 32767;
}

void PostProcessor::emit(unsigned k, std::int64_t acc, std::uint8_t* dst) {
  std::int64_t v = acc;
  if (layer_.post.enabled) {
    // The arithmetic rule is the one the golden reference defines.
    v = golden::requantize(acc + bias_[k], layer_.post.multiplier_for(k), layer_.post.shift_for(k),
                           layer_.post.relu, lo_, hi_);
    ++requantized_;
  }
  ++elements_;
  for (unsigned b = 0; b < out_bytes_; ++b) dst[b] = std::uint8_t(std::uint64_t(v) >> (8 * b));
}

}  // namespace sdla
