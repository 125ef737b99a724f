#include "sdla/network.hpp"

#include <algorithm>
#include <map>

#include <fmt/format.h>
#include <fmt/ranges.h>

namespace sdla {
namespace {

constexpr const char* kOpNames[] = {"conv2d", "fc",      "gemm",      "add",       "maxpool", "avgpool",
                                    "global_avgpool", "matmul", "softmax", "layernorm", "gelu"};

/// Lowers nodes one by one, keeping the tensors by name.
class Lowering {
 public:
  Lowering(const Network& net, const LowerOptions& options) : options_(options) { out_.net = net; }

  LoweredNetwork run() {
    const Network& net = out_.net;
    if (net.input_shape.c == 0 || net.input_shape.h == 0 || net.input_shape.w == 0)
      throw NetworkError(fmt::format("network '{}': input '{}' has shape {}, every dimension must be positive",
                                     net.name, net.input, to_string(net.input_shape)));
    if (net.nodes.empty()) throw NetworkError(fmt::format("network '{}' has no nodes", net.name));
    add_tensor(net.input, net.input_shape, "the network input");
    count_consumers();
    for (std::size_t i = 0; i < net.nodes.size(); ++i) lower_node(i);
    return std::move(out_);
  }

 private:
  [[noreturn]] void fail(std::size_t node, const std::string& what) const {
    const Node& n = out_.net.nodes[node];
    throw NetworkError(fmt::format("network '{}': node '{}' ({}): {}", out_.net.name, n.name, to_string(n.op), what));
  }

  std::string output_name(std::size_t i) const {
    const Node& n = out_.net.nodes[i];
    return n.output.empty() ? n.name : n.output;
  }
  std::vector<std::string> input_names(std::size_t i) const {
    const Node& n = out_.net.nodes[i];
    if (!n.inputs.empty()) return n.inputs;
    return {i == 0 ? out_.net.input : output_name(i - 1)};
  }

  std::size_t add_tensor(const std::string& name, FeatureShape shape, const std::string& by) {
    if (auto it = index_.find(name); it != index_.end())
      throw NetworkError(fmt::format("network '{}': tensor '{}' is produced twice (by {} and by {})", out_.net.name,
                                     name, producer_text_[it->second], by));
    index_[name] = out_.tensors.size();
    producer_text_.push_back(by);
    producer_layer_.push_back(SIZE_MAX);
    out_.tensors.push_back({name, shape});
    return out_.tensors.size() - 1;
  }

  void count_consumers() {
    for (std::size_t i = 0; i < out_.net.nodes.size(); ++i)
      for (const std::string& in : input_names(i)) ++consumers_[in];
  }

  std::size_t input(std::size_t node, const std::string& name) const {
    auto it = index_.find(name);
    if (it == index_.end())
      fail(node, fmt::format("input '{}' is not the network input nor the output of an earlier node", name));
    return it->second;
  }

  void lower_node(std::size_t i) {
    const Node& n = out_.net.nodes[i];
    if (n.name.empty()) throw NetworkError(fmt::format("network '{}': node {} has no name", out_.net.name, i));
    const std::vector<std::string> names = input_names(i);
    const std::size_t want = n.op == NodeOp::add || n.op == NodeOp::matmul ? 2 : 1;
    if (names.size() != want)
      fail(i, fmt::format("takes {} input{}, got {}", want, want == 1 ? "" : "s", names.size()));
    std::vector<std::size_t> in;
    for (const std::string& s : names) in.push_back(input(i, s));
    if (n.op == NodeOp::add) return lower_add(i, in);
    if (runs_on_host(n.op)) return lower_host(i, in);
    lower_layer(i, in[0]);
  }

  void lower_layer(std::size_t i, std::size_t in) {
    const Node& n = out_.net.nodes[i];
    const FeatureShape x = out_.tensors[in].shape;
    Layer l = n.layer;
    l.name = n.name;
    l.precision = out_.net.precision;
    l.in_channels = x.c;
    l.in_height = x.h;
    l.in_width = x.w;
    l.residual = false;
    switch (n.op) {
      case NodeOp::conv2d: l.op = Op::conv2d; break;
      case NodeOp::fc:
        // The flattened input times [K, C*H*W]: a convolution whose kernel is the whole input.
        l.op = x.h == 1 && x.w == 1 ? Op::fc : Op::conv2d;
        l.kernel_h = x.h;
        l.kernel_w = x.w;
        l.stride_h = l.stride_w = 1;
        l.pad = {};
        break;
      case NodeOp::gemm:
        l.op = Op::conv2d;
        l.kernel_h = l.kernel_w = l.stride_h = l.stride_w = 1;
        l.pad = {};
        break;
      case NodeOp::global_avgpool:
        l.kernel_h = x.h;
        l.kernel_w = x.w;
        l.stride_h = l.stride_w = 1;
        l.pad = {};
        [[fallthrough]];
      case NodeOp::maxpool:
      case NodeOp::avgpool:
        l.op = Op::pool;
        l.pool_kind = n.op == NodeOp::maxpool ? PoolKind::max : PoolKind::avg;
        l.out_channels = x.c;
        l.post = {};
        break;
      default: fail(i, "not a layer");
    }
    HwLayer hw;
    hw.original = l;
    hw.original_input = in;
    if (l.op != Op::pool) {
      l.post.enabled = true;  // networks pass activations on
      hw.calibrate = l.post.multiplier.empty() && l.post.shift.empty();
      if (l.post.multiplier.empty()) l.post.multiplier = {1};
      if (l.post.shift.empty()) l.post.shift = {0};
    }
    try {
      l.validate();
    } catch (const LayerError& e) {
      fail(i, fmt::format("on its input {}: {}", to_string(x), e.what()));
    }
    hw.original.post = l.post;
    if (options_.channel_extension && in == 0 && l.op == Op::conv2d && l.groups == 1 && l.in_channels < 8 &&
        l.kernel_w > 1 && !l.uses_winograd() && l.winograd == Winograd::off) {
      // The host folds the kernel columns into the channels (LowerOptions).
      const unsigned S = l.kernel_w, Q = l.out_width();
      HostOp ext;
      ext.kind = HostOp::Kind::channel_extension;
      ext.node = i;
      ext.inputs = {in};
      ext.output = add_tensor(n.name + "_channel_extended", {l.in_channels * S, l.in_height, Q},
                              fmt::format("the channel extension of node '{}'", n.name));
      out_.steps.push_back({true, out_.host_ops.size()});
      out_.host_ops.push_back(std::move(ext));
      hw.original_input = in;
      in = out_.host_ops.back().output;
      l.in_channels *= S;
      l.in_width = Q;
      l.kernel_w = 1;
      l.stride_w = 1;
      l.pad.left = l.pad.right = 0;
      l.validate();
      hw.folded_columns = S;
    }
    hw.layer = l;
    hw.node = i;
    hw.input = in;
    hw.output = add_tensor(output_name(i), {l.out_channels, l.out_height(), l.out_width()},
                           fmt::format("node '{}'", n.name));
    producer_layer_[hw.output] = out_.layers.size();
    out_.steps.push_back({false, out_.layers.size()});
    out_.layers.push_back(std::move(hw));
  }

  void lower_add(std::size_t i, const std::vector<std::size_t>& in) {
    const Node& n = out_.net.nodes[i];
    const FeatureShape a = out_.tensors[in[0]].shape, b = out_.tensors[in[1]].shape;
    if (a != b) fail(i, fmt::format("adds tensors of different shapes, {} and {}", to_string(a), to_string(b)));
    // Fuse into the later of the two producers that can take it: a conv2d/fc/gemm
    // read by nothing else; the other input must already exist when it runs.
    std::size_t fused = SIZE_MAX, other = SIZE_MAX;
    std::vector<std::string> why;
    for (std::size_t j = 0; j < 2; ++j) {
      const std::size_t t = in[j], li = producer_layer_[t];
      const std::string& name = out_.tensors[t].name;
      if (li == SIZE_MAX) {
        why.push_back(fmt::format("'{}' is not the output of a conv2d/fc/gemm", name));
        continue;
      }
      const HwLayer& hw = out_.layers[li];
      if (hw.layer.op == Op::pool) why.push_back(fmt::format("'{}' comes from the pooling unit", name));
      else if (consumers_[name] != 1) why.push_back(fmt::format("'{}' is read by {} nodes", name, consumers_[name]));
      else if (hw.residual != SIZE_MAX) why.push_back(fmt::format("'{}' already has an add fused", name));
      else if (hw.layer.post.relu)
        why.push_back(fmt::format("node '{}' applies ReLU before the add", out_.net.nodes[hw.node].name));
      else if (in[1 - j] == t) why.push_back(fmt::format("'{}' is added to itself", name));
      else if (fused == SIZE_MAX || li > producer_layer_[in[fused]]) {
        fused = j;
        continue;
      }
    }
    if (fused == SIZE_MAX)
      fail(i, fmt::format("the accelerator adds in the post-processor of the layer producing one input, and neither "
                          "input can take it: {}",
                          fmt::format("{}", fmt::join(why, "; "))));
    other = in[1 - fused];
    const std::size_t li = producer_layer_[in[fused]];
    if (producer_layer_[other] != SIZE_MAX && producer_layer_[other] > li)
      fail(i, fmt::format("'{}' is produced after '{}', so it cannot be added in that layer's post-processor",
                          out_.tensors[other].name, out_.tensors[in[fused]].name));
    HwLayer& hw = out_.layers[li];
    for (Layer* l : {&hw.layer, &hw.original}) {
      l->residual = true;
      l->post.relu = n.relu;
    }
    hw.add_node = i;
    hw.residual = other;
    // The layer now writes the sum: the add's output names its output tensor.
    NetworkTensor& t = out_.tensors[hw.output];
    index_.erase(t.name);
    t.name = output_name(i);
    if (index_.count(t.name))
      throw NetworkError(fmt::format("network '{}': tensor '{}' is produced twice (by {} and by node '{}')",
                                     out_.net.name, t.name, producer_text_[index_[t.name]], n.name));
    index_[t.name] = hw.output;
    producer_text_[hw.output] = fmt::format("node '{}'", n.name);
  }

  void lower_host(std::size_t i, const std::vector<std::size_t>& in) {
    const Node& n = out_.net.nodes[i];
    const FeatureShape a = out_.tensors[in[0]].shape;
    FeatureShape y = a;
    if (n.op == NodeOp::matmul) {
      const FeatureShape b = out_.tensors[in[1]].shape;
      if (n.heads == 0) fail(i, "heads must be positive");
      if (a.h != 1 || b.h != 1)
        fail(i, fmt::format("multiplies token batches [D, 1, L]; got {} and {}", to_string(a), to_string(b)));
      if (n.transpose_b) {
        // Per head: A_h [M x D] times B_h^T, B_h [N x D]: scores [N per head, 1, M].
        if (a.c != b.c || a.c % n.heads)
          fail(i, fmt::format("A * B^T needs equal channel counts divisible by {} heads; got {} and {}", n.heads,
                              to_string(a), to_string(b)));
        y = {n.heads * b.w, 1, a.w};
      } else {
        // Per head: A_h [M x N] (channels h*N .. h*N+N-1) times B_h [N x D]: [D per head, 1, M].
        if (b.c % n.heads || a.c != n.heads * b.w)
          fail(i, fmt::format("A * B needs A to have heads x B's width = {} channels and B's channels divisible "
                              "by {} heads; got {} and {}",
                              std::uint64_t(n.heads) * b.w, n.heads, to_string(a), to_string(b)));
        y = {b.c, 1, a.w};
      }
    } else if (n.op == NodeOp::softmax) {
      if (n.group && a.c % n.group) fail(i, fmt::format("group {} does not divide {} channels", n.group, a.c));
    }
    HostOp op;
    op.node = i;
    op.inputs = in;
    if (n.op == NodeOp::matmul) {
      op.post = n.layer.post;
      op.post.enabled = true;
      op.post.relu = false;
      op.calibrate = op.post.multiplier.empty() && op.post.shift.empty();
      if (op.post.multiplier.size() > 1 || op.post.shift.size() > 1)
        fail(i, "takes one multiplier and one shift for all its outputs");
      if (op.post.multiplier.empty()) op.post.multiplier = {1};
      if (op.post.shift.empty()) op.post.shift = {0};
      if (op.post.shift[0] > 62) fail(i, fmt::format("shift {} exceeds 62", op.post.shift[0]));
    }
    op.output = add_tensor(output_name(i), y, fmt::format("node '{}'", n.name));
    out_.steps.push_back({true, out_.host_ops.size()});
    out_.host_ops.push_back(std::move(op));
  }

  LowerOptions options_;
  LoweredNetwork out_;
  std::map<std::string, std::size_t> index_;
  std::map<std::string, unsigned> consumers_;
  std::vector<std::string> producer_text_;
  std::vector<std::size_t> producer_layer_;  ///< per tensor: the hardware layer writing it
};

}  // namespace

const char* to_string(NodeOp op) { return kOpNames[unsigned(op)]; }

NodeOp parse_node_op(const std::string& name) {
  for (unsigned i = 0; i < std::size(kOpNames); ++i)
    if (name == kOpNames[i]) return NodeOp(i);
  throw NetworkError(fmt::format("unknown node op '{}' (allowed: {})", name.substr(0, 60),
                                 fmt::join(std::begin(kOpNames), std::end(kOpNames), ", ")));
}

bool runs_on_host(NodeOp op) {
  return op == NodeOp::matmul || op == NodeOp::softmax || op == NodeOp::layernorm || op == NodeOp::gelu;
}

std::string to_string(const FeatureShape& s) { return fmt::format("[{}, {}, {}]", s.c, s.h, s.w); }

std::uint64_t LoweredNetwork::node_macs(std::size_t node) const {
  for (const HwLayer& l : layers)
    if (l.node == node) return l.layer.op == Op::pool ? 0 : l.layer.macs();
  for (const HostOp& h : host_ops)
    if (h.kind == HostOp::Kind::node && h.node == node && net.nodes[node].op == NodeOp::matmul) {
      const FeatureShape a = tensors[h.inputs[0]].shape, b = tensors[h.inputs[1]].shape;
      // transpose_b: heads x M x N x D with D = a.c / heads; else heads x M x N x D with N = b.w, D = b.c / heads.
      return net.nodes[node].transpose_b ? std::uint64_t(a.w) * b.w * a.c : std::uint64_t(a.w) * b.w * b.c;
    }
  return 0;
}

std::uint64_t LoweredNetwork::macs() const {
  std::uint64_t total = 0;
  for (std::size_t i = 0; i < net.nodes.size(); ++i) total += node_macs(i);
  return total;
}

std::uint64_t LoweredNetwork::host_macs() const {
  std::uint64_t total = 0;
  for (const HostOp& h : host_ops)
    if (h.kind == HostOp::Kind::node) total += node_macs(h.node);
  return total;
}

LoweredNetwork lower(const Network& net, const LowerOptions& options) { return Lowering(net, options).run(); }

}  // namespace sdla
