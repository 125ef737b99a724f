/// \file
/// The controller -> convolution pipeline link: one hardware layer. The
/// transaction returns once the pipeline has taken the layer, as NVDLA's
/// ping-pong register groups take the next layer while one runs: its
/// loader has started, its first step loading ahead of the layer before.
/// Layers run in the order taken; `on_done` tells when each has finished.
/// Errors in taking it are thrown (TilingError); errors while it runs come
/// back in `error` (TilingError, DmaError, MacArrayError), for the
/// controller to map to error codes.
#pragma once

#include <cstdint>
#include <exception>
#include <functional>
#include <string>
#include <vector>

#include "sdla/descriptor.hpp"
#include "sdla/layer.hpp"

namespace sdla {

struct ConvJob {
  Layer layer;
  LayerDescriptor desc;
  std::vector<std::int32_t> bias;  ///< one per output channel (zeros without post-processing)
  /// Called as the loader starts on the layer (the layer before has issued all its loads).
  std::function<void(ConvJob&)> on_load;
  /// Called on the pipeline's thread as the layer finishes (last output
  /// written, failed, or cancelled because a layer before it failed),
  /// before anything of a later layer computes. The job stays untouched
  /// by the pipeline afterwards.
  std::function<void(ConvJob&)> on_done;
  // ---- response
  std::string tiling;              ///< TilePlan::summary(), once taken
  std::size_t buffer_peak_bytes = 0;
  bool done = false;
  std::exception_ptr error;        ///< what ended the layer, when it did not complete
};

}  // namespace sdla
