/// \file
/// A workload: layers plus the tensors they run on, generated from a seed
/// (with the densities of the layer file) or read from .npy files, and the
/// golden reference outputs of every layer.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "golden/winograd.hpp"
#include "host_compiler.hpp"
#include "sdla/layer.hpp"
#include "sdla/tensor.hpp"

namespace sdla {

struct Workload {
  std::vector<Layer> layers;
  Tensor<std::int16_t> input;             ///< [C, H, W] of the first layer
  std::vector<LayerOperands> operands;    ///< one per layer
};

/// Random tensors for every layer: int8/int16 values over the full range,
/// zero with probability 1 - density (then pruned by magnitude to 2:4 for
/// 2:4 layers); bias in [-4096, 4096] for post-processed layers.
Workload generate_workload(const std::vector<Layer>& layers, std::uint64_t seed);

/// Reads an input tensor for `layer` (int8 or int16 to match its precision;
/// [C, H, W] or [1, C, H, W]; fc also [C] or [1, C]). Throws with the file name.
Tensor<std::int16_t> read_input(const std::string& path, const Layer& layer);
/// Weights [K, C, R, S] (fc also [K, C]), dtype matching the precision.
Tensor<std::int16_t> read_weights(const std::string& path, const Layer& layer);
/// Bias: int32 [K].
Tensor<std::int32_t> read_bias(const std::string& path, const Layer& layer);

/// Golden outputs [K, P, Q] of every layer of the chain, widened to int64.
/// Winograd layers as resolve_winograd() settles them: exact ones by direct
/// convolution (they must be identical), nvdla ones by the nvdla golden.
std::vector<Tensor<std::int64_t>> golden_outputs(const Workload& w);

struct GoldenRun {
  std::vector<Tensor<std::int64_t>> outputs;
  /// Per layer, for nvdla Winograd layers: its output against the same
  /// layer computed by direct convolution (from the same input).
  std::vector<std::optional<golden::ErrorStats>> winograd_error;
};
GoldenRun golden_run(const Workload& w);

/// Writes a layer's output in its natural dtype: int32/int64 raw sums,
/// int8/int16 when post-processed.
void write_output(const std::string& path, const Layer& layer, const Tensor<std::int64_t>& y);

}  // namespace sdla
