/// \file
/// Host compiler: turns a chain of layers and their tensors into a DRAM image
/// and a descriptor chain, in the layouts of sdla/descriptor.hpp. Pure C++.
///
///     auto prog = sdla::compile_network(cfg, layers, input, operands);
///     for (auto& seg : prog.segments) dram.load(seg.addr, seg.bytes.data(), seg.bytes.size());
///     // write prog.entry to DESC_PTR, start, wait for the interrupt, then:
///     auto y = sdla::unpack_output(prog.layers.back(), read_back_bytes);
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "sdla/config.hpp"
#include "sdla/layer.hpp"
#include "sdla/tensor.hpp"

namespace sdla {

/// One layer's constant tensors. Values are held as int16 for both
/// precisions; an int8 layer's values must lie in [-128, 127].
struct LayerOperands {
  Tensor<std::int16_t> weights;  ///< [K, C, R, S]
  Tensor<std::int32_t> bias;     ///< [K]; may be empty (zero bias)
};

struct Segment {
  std::uint64_t addr = 0;
  std::vector<std::uint8_t> bytes;
};

struct CompiledLayer {
  Layer layer;
  std::uint64_t descriptor = 0, input = 0, weights = 0, output = 0;
  std::uint64_t output_bytes = 0;    ///< size of the output region
  unsigned output_element_bytes = 0; ///< 1/2 post-processed, 4/8 raw accumulators
  unsigned channel_pad = 0;          ///< channels are padded to a multiple of this in DRAM
  std::uint64_t output_mask = 0;     ///< ZVC masks of the output (when the next layer reads it compressed)
  std::uint64_t output_mask_bytes = 0;
};

struct Program {
  std::vector<CompiledLayer> layers;
  std::vector<Segment> segments;  ///< what to load into DRAM before START
  std::uint64_t entry = 0;        ///< address of the first descriptor (DESC_PTR)
  std::uint64_t end = 0;          ///< first byte past everything the program uses
};

/// The host memory the tools allow themselves (compile_network for its
/// image, generate_workload for its tensors, sdla-run for a whole run):
/// 16 GiB. Work that would need more is refused before anything is
/// allocated, with a LayerError naming the layer and the bytes.
inline constexpr std::uint64_t kHostMemoryBudget = std::uint64_t(16) << 30;

/// What compile_network allocates for layer `index` of `layers`, counted
/// exactly as it packs: `image` is the layer's share of the DRAM image
/// (Program::end - base over all layers): feature maps and outputs with
/// channels padded to cfg.lanes(precision), ZVC planes (values and masks),
/// 2:4 values and metadata, Winograd-transformed weights, post-processing
/// parameters and the descriptor, each region aligned to 256 bytes.
/// `scratch` is what packing needs on the side while it runs (dense planes
/// before compression, per-granule counts, the Winograd transform).
struct ImageBytes {
  std::uint64_t image = 0;
  std::uint64_t scratch = 0;
};
/// `layers[index]` must be valid (Layer::validate); its Winograd mode is
/// resolved here as compile_network resolves it.
ImageBytes image_bytes(const AcceleratorConfig& cfg, const std::vector<Layer>& layers, std::size_t index);

/// "25769803776 bytes (24.0 GiB)": sizes in the memory messages.
std::string bytes_text(std::uint64_t bytes);

/// Throws LayerError naming the layer and what is wrong (shapes, ranges,
/// chaining rules: each layer but the last must be post-processed, of the
/// same precision, and produce exactly the next one's input; the message
/// says which of these failed). Before packing anything it checks that the
/// image (image_bytes, channel padding included) fits kHostMemoryBudget.
Program compile_network(const AcceleratorConfig& cfg, const std::vector<Layer>& layers,
                        const Tensor<std::int16_t>& input, const std::vector<LayerOperands>& operands,
                        std::uint64_t base = 0x1000);

/// The [K, P, Q] output tensor of a compiled layer from its DRAM bytes (and
/// its ZVC masks when it was written compressed).
Tensor<std::int64_t> unpack_output(const CompiledLayer& layer, const std::vector<std::uint8_t>& bytes,
                                   const std::vector<std::uint8_t>& masks = {});

}  // namespace sdla
