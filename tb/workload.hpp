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
/// 2:4 layers); bias in [-4096, 4096] for post-processed layers; a residual
/// [K, P, Q] over the full range (no zeros) for residual layers; pool layers
/// get no tensors. Throws
/// LayerError, naming the layer and the bytes, before allocating anything
/// when the tensors would exceed kHostMemoryBudget.
Workload generate_workload(const std::vector<Layer>& layers, std::uint64_t seed);

/// Host memory of a run of layers on the host, as sdla-run runs it.
struct RunMemory {
  std::uint64_t tensors = 0;  ///< generated tensors (input, weights, bias; a 2:4 layer's pruned copy)
  std::uint64_t image = 0;    ///< the DRAM image (image_bytes: channels padded to the lanes, compressed planes, outputs)
  std::uint64_t scratch = 0;  ///< the host compiler's packing scratch of the latest layer
  std::uint64_t golden = 0;   ///< the golden reference's outputs and temporaries
  std::uint64_t outputs = 0;  ///< outputs read back from DRAM
  /// Everything at once: the image twice (the program and the simulated DRAM, rounded up to 1 MiB).
  std::uint64_t total() const { return tensors + 2 * image + (std::uint64_t(1) << 20) + scratch + golden + outputs; }
};
/// The run's host memory up to and including each layer (entry i: layers 0..i).
std::vector<RunMemory> run_memory(const AcceleratorConfig& cfg, const std::vector<Layer>& layers);

/// Throws LayerError naming the first layer with which run_memory's total
/// passes `budget`, the bytes and their breakdown. sdla-run calls it before
/// generate_workload: nothing has been allocated yet.
void check_host_memory(const AcceleratorConfig& cfg, const std::vector<Layer>& layers,
                       std::uint64_t budget = kHostMemoryBudget);

/// Reads an input tensor for `layer` (int8 or int16 to match its precision;
/// [C, H, W] or [1, C, H, W]; fc also [C] or [1, C]). Throws with the file name.
Tensor<std::int16_t> read_input(const std::string& path, const Layer& layer);
/// Weights [K, C / groups, R, S] (fc also [K, C]), dtype matching the precision.
Tensor<std::int16_t> read_weights(const std::string& path, const Layer& layer);
/// Bias: int32 [K].
Tensor<std::int32_t> read_bias(const std::string& path, const Layer& layer);

/// Golden outputs [K, P, Q] of every layer of the chain, widened to int64.
/// Winograd layers as resolve_winograd() settles them: exact ones by direct
/// convolution (they must be identical), nvdla ones by the nvdla golden;
/// pool layers by golden::pool; residual layers add their residual tensor.
std::vector<Tensor<std::int64_t>> golden_outputs(const Workload& w);

struct GoldenRun {
  std::vector<Tensor<std::int64_t>> outputs;
  /// Per layer, for nvdla Winograd layers: its output against the same
  /// layer computed by direct convolution (from the same input).
  std::vector<std::optional<golden::ErrorStats>> winograd_error;
};
GoldenRun golden_run(const Workload& w);

/// One layer's golden, Winograd resolved as resolve_winograd() settles it
/// (`layer` must be resolved): raw sums [K, P, Q] before bias (nvdla
/// Winograd layers by the nvdla golden) ...
Tensor<std::int64_t> golden_accumulators(const Layer& layer, const Tensor<std::int16_t>& input,
                                         const Tensor<std::int16_t>& weights);
/// ... and its output: pooled, or post-processed (residual added) as the layer says.
Tensor<std::int64_t> golden_layer(const Layer& layer, const Tensor<std::int16_t>& input, const LayerOperands& ops);

/// Writes a layer's output in its natural dtype: int32/int64 raw sums,
/// int8/int16 when post-processed.
void write_output(const std::string& path, const Layer& layer, const Tensor<std::int64_t>& y);

}  // namespace sdla
