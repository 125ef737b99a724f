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
  Tensor<std::int16_t> weights;  ///< [K, C / groups, R, S] (ONNX); empty for a pool layer
  Tensor<std::int32_t> bias;     ///< [K]; may be empty (zero bias)
  /// A residual layer's added tensor (Layer::residual), [K, P, Q] of the
  /// layer's precision; compile_network places it in DRAM as a dense feature
  /// map [P][Q][Kp] and points the descriptor's residual_addr at it. Empty
  /// for other layers.
  Tensor<std::int16_t> residual;
};

struct Segment {
  std::uint64_t addr = 0;
  std::vector<std::uint8_t> bytes;
};

struct CompiledLayer {
  Layer layer;
  std::uint64_t descriptor = 0, input = 0, weights = 0, output = 0;
  std::uint64_t residual = 0;        ///< the residual tensor (residual layers; 0 otherwise)
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
/// parameters, a residual layer's residual tensor (dense, channels padded)
/// and the descriptor, each region aligned to 256 bytes (pool layers: no
/// weights or parameters; int8/int16 outputs).
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
/// chaining rules: each layer but the last must be post-processed (or a
/// pool layer), of the same precision, and produce exactly the next one's
/// input; a pool layer's output is dense, so the layer after it cannot read
/// it compressed; the message says which of these failed). Pool layers take
/// no weights (an empty tensor); residual layers need their residual tensor. Before packing anything it checks that the
/// image (image_bytes, channel padding included) fits kHostMemoryBudget.
Program compile_network(const AcceleratorConfig& cfg, const std::vector<Layer>& layers,
                        const Tensor<std::int16_t>& input, const std::vector<LayerOperands>& operands,
                        std::uint64_t base = 0x1000);

/// A feature map of a graph program, dense in DRAM as [H][W][Cp].
struct GraphTensor {
  unsigned channels = 0, height = 1, width = 1;
  /// Placed with these values (the network input); otherwise its region is
  /// reserved, zeroed, for the layer or the host operation that writes it.
  const Tensor<std::int16_t>* values = nullptr;
};

/// A layer of a graph program: reads tensor `input` (and adds tensor
/// `residual` in its post-processor), writes tensor `output`.
struct GraphLayer {
  Layer layer;
  std::size_t input = 0, output = 0;
  std::size_t residual = SIZE_MAX;
};

struct GraphProgram {
  /// The whole image: every segment, the layers in graph order; entry and
  /// end as for a chain (entry: the first run's).
  Program image;
  /// Per tensor: the DRAM address of its region, and the region's bytes.
  std::vector<std::uint64_t> tensor_addr, tensor_bytes;
  /// The accelerator runs: run r chains layers [first[r], first[r + 1]) by
  /// their `next` pointers, entered at the descriptor of its first layer.
  std::vector<std::size_t> first;
  std::vector<std::uint64_t> entries;
};

/// Compiles a graph of layers of one precision: any layer may read, or add
/// in, any tensor an earlier layer (or the host, between runs) wrote. Every
/// tensor is dense. `run_first` lists the first layer of each accelerator
/// run (starting with 0). Throws LayerError as compile_network does, and
/// when a layer's input or residual does not have the shape it needs.
GraphProgram compile_graph(const AcceleratorConfig& cfg, const std::vector<GraphTensor>& tensors,
                           const std::vector<GraphLayer>& layers, const std::vector<LayerOperands>& operands,
                           const std::vector<std::size_t>& run_first, std::uint64_t base = 0x1000);

/// A dense feature map [C, H, W] as DRAM holds it ([H][W][Cp], channels
/// padded with zeros to a multiple of `lanes`), and back.
std::vector<std::uint8_t> pack_feature_map(const Tensor<std::int16_t>& x, unsigned lanes, Precision p);
Tensor<std::int16_t> unpack_feature_map(const std::vector<std::uint8_t>& bytes, unsigned channels, unsigned height,
                                        unsigned width, unsigned lanes, Precision p);

/// The [K, P, Q] output tensor of a compiled layer from its DRAM bytes (and
/// its ZVC masks when it was written compressed).
Tensor<std::int64_t> unpack_output(const CompiledLayer& layer, const std::vector<std::uint8_t>& bytes,
                                   const std::vector<std::uint8_t>& masks = {});

}  // namespace sdla
