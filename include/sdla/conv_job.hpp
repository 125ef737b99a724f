/// \file
/// The controller -> convolution pipeline link: one hardware layer. The
/// transaction returns when the layer's last output is written; errors
/// propagate as the exceptions the controller maps to error codes
/// (TilingError, DmaError, MacArrayError).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "sdla/descriptor.hpp"
#include "sdla/layer.hpp"

namespace sdla {

struct ConvJob {
  Layer layer;
  LayerDescriptor desc;
  std::vector<std::int32_t> bias;  ///< one per output channel (zeros without post-processing)
  // ---- response
  std::string tiling;              ///< TilePlan::summary()
  std::size_t buffer_peak_bytes = 0;
};

}  // namespace sdla
