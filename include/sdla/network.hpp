/// \file
/// Networks: a graph of named tensors and nodes, as ONNX has them, and its
/// lowering onto the accelerator's hardware layers and the host's operations.
///
/// Tensors are feature maps [C, H, W]. A token batch of L tokens with D
/// features is [D, 1, L]. Every node reads tensors that an earlier node
/// (or the network input) produced: nodes are listed in topological order.
///
///     sdla::Network net = sdla::builtin_network("resnet50");  // tb/builtin_networks.hpp
///     sdla::LoweredNetwork low = sdla::lower(net);           // throws NetworkError naming the node
///     low.macs();                                            // 4,089,184,256
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "sdla/layer.hpp"

namespace sdla {

struct NetworkError : LayerError {
  using LayerError::LayerError;
};

/// What a node computes:
///  * conv2d: Layer::op conv2d (groups allowed); fc: the whole input flattened
///    in [C, H, W] order times a [K, C*H*W] matrix (a convolution whose
///    kernel covers the input); gemm: every pixel (token) is a row of M = H*W
///    rows, times [K, C] (a 1x1 convolution);
///  * add: element-wise sum of two tensors of one shape, fused into the
///    post-processing of the conv2d/fc/gemm that produces its first input
///    (Layer::residual);
///  * maxpool, avgpool, global_avgpool: the pooling unit (Op::pool);
///  * matmul, softmax, layernorm, gelu: host operations (golden/host_ops.hpp).
enum class NodeOp : std::uint8_t {
  conv2d, fc, gemm, add, maxpool, avgpool, global_avgpool, matmul, softmax, layernorm, gelu
};
const char* to_string(NodeOp op);
/// Throws NetworkError for an unknown name.
NodeOp parse_node_op(const std::string& name);
/// matmul, softmax, layernorm, gelu: run by the host between accelerator runs.
bool runs_on_host(NodeOp op);

struct FeatureShape {
  unsigned c = 0, h = 1, w = 1;
  std::uint64_t elements() const { return std::uint64_t(c) * h * w; }
  bool operator==(const FeatureShape& o) const { return c == o.c && h == o.h && w == o.w; }
  bool operator!=(const FeatureShape& o) const { return !(*this == o); }
};
std::string to_string(const FeatureShape& s);  ///< "[C, H, W]"

struct Node {
  std::string name;
  NodeOp op = NodeOp::conv2d;
  std::vector<std::string> inputs;  ///< tensor names; empty: the previous node's output
  std::string output;               ///< tensor name; empty: the node's name
  /// conv2d, fc, gemm and the pools: out_channels (out features), kernel,
  /// stride, padding, groups, post (multiplier/shift empty: calibrated on
  /// the golden run), weight format and density, Winograd. The input
  /// dimensions are inferred by lower().
  Layer layer;
  bool relu = false;          ///< add: ReLU after the sum
  unsigned heads = 1;         ///< matmul: independent products over channel slices
  bool transpose_b = false;   ///< matmul: A * B^T (attention scores) instead of A * B
  unsigned group = 0;         ///< softmax: channels normalised together (0: all of them)
};

struct Network {
  std::string name;
  Precision precision = Precision::int8;
  std::string input = "input";
  FeatureShape input_shape;
  std::vector<Node> nodes;
};

/// A hardware layer of a lowered network: what one descriptor runs.
struct HwLayer {
  Layer layer;                  ///< named after its node; input dimensions set
  /// With channel extension: the layer as the node has it (its weights and
  /// golden are those of this one; `layer` computes the same output).
  Layer original;
  unsigned folded_columns = 0;  ///< kernel columns folded into channels (0: none)
  std::size_t original_input = 0;  ///< the tensor `original` reads (with channel extension)
  std::size_t node = 0;         ///< index of the conv2d/fc/gemm/pool node
  std::size_t add_node = SIZE_MAX;  ///< the add node fused into its post-processing, if any
  std::size_t input = 0;        ///< tensor index
  std::size_t residual = SIZE_MAX;  ///< tensor index of the added tensor, if any
  std::size_t output = 0;       ///< tensor index
  /// Its node left post.multiplier/shift empty: chosen on the golden run
  /// (until then multiplier 1, shift 0).
  bool calibrate = false;
};

struct HostOp {
  /// A node's operation, or the host's channel extension of the network
  /// input for a small-C first layer (see LowerOptions).
  enum class Kind : std::uint8_t { node, channel_extension } kind = Kind::node;
  std::size_t node = 0;     ///< the node; for channel_extension the conv2d it feeds
  std::vector<std::size_t> inputs;  ///< tensor indices
  std::size_t output = 0;
  /// matmul: the requantisation of its sums (no ReLU).
  PostOp post;
  bool calibrate = false;  ///< matmul without multiplier/shift: chosen on the golden run
};

struct NetworkTensor {
  std::string name;
  FeatureShape shape;
};

/// One step of a lowered network, in execution order.
struct NetworkStep {
  bool host = false;
  std::size_t index = 0;  ///< into layers or host_ops
};

struct LoweredNetwork {
  Network net;
  std::vector<NetworkTensor> tensors;  ///< tensor 0 is the network input
  std::vector<HwLayer> layers;
  std::vector<HostOp> host_ops;
  std::vector<NetworkStep> steps;
  /// Multiply-accumulates of node i: conv2d, fc, gemm and matmul; 0 for the rest.
  std::uint64_t node_macs(std::size_t node) const;
  /// All of the network's multiply-accumulates (matmul included).
  std::uint64_t macs() const;
  /// Of macs(), those the host computes (matmul).
  std::uint64_t host_macs() const;
};

struct LowerOptions {
  /// Channel extension (NVDLA's image input mode, done by the host): a
  /// conv2d with groups 1, fewer than 8 channels, a kernel wider than 1,
  /// reading the network input, gets its kernel columns folded into the
  /// channels. The host lays the input out as x'[c*S + s, h, q] =
  /// x[c, h, q*stride_w + s - pad_left] (0 outside the image), [C*S, H, Q];
  /// the layer becomes an R x 1 convolution with stride (stride_h, 1),
  /// padding top and bottom only, and weights w'[k, c*S + s, r, 0] =
  /// w[k, c, r, s]: the same output, every MAC the same product, but the
  /// channel atom carries C*S useful values instead of C.
  bool channel_extension = true;
};

/// Checks and lowers a network: resolves tensor names, infers and checks
/// every shape, fuses each add into the layer producing its first input,
/// and validates every layer. Throws NetworkError naming the node and the
/// rule it breaks.
LoweredNetwork lower(const Network& net, const LowerOptions& options = {});

}  // namespace sdla
