/// \file
/// The controller -> pooling unit link: one pool layer (Op::pool). The
/// transaction returns when the layer's last output row is written; a DMA
/// error propagates as the DmaError the controller maps to ERROR_CODE 3.
#pragma once

#include <cstddef>
#include <string>

#include "sdla/descriptor.hpp"
#include "sdla/layer.hpp"

namespace sdla {

struct PoolJob {
  Layer layer;
  LayerDescriptor desc;
  // ---- response
  std::string tiling;                ///< how the unit walked the layer (output rows, line buffer)
  std::size_t line_buffer_bytes = 0; ///< most input bytes the line buffer held at once
};

}  // namespace sdla
