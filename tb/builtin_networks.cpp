#include "builtin_networks.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

namespace sdla {
namespace {

/// Appends nodes; each reads the previous node's output unless told otherwise.
class Builder {
 public:
  Builder(std::string name, Precision p, FeatureShape input) {
    net_.name = std::move(name);
    net_.precision = p;
    net_.input_shape = input;
  }

  /// The output tensor of the last node ("input" before any).
  std::string last() const { return net_.nodes.empty() ? net_.input : net_.nodes.back().name; }

  std::string conv(const std::string& name, const std::string& in, unsigned k, unsigned kernel, unsigned stride,
                   bool relu, unsigned groups = 1) {
    Node& n = add(name, NodeOp::conv2d, {in});
    n.layer.out_channels = k;
    n.layer.kernel_h = n.layer.kernel_w = kernel;
    n.layer.stride_h = n.layer.stride_w = stride;
    const unsigned p = kernel / 2;
    n.layer.pad = {p, p, p, p};
    n.layer.groups = groups;
    n.layer.post.relu = relu;
    return name;
  }
  std::string pool(const std::string& name, const std::string& in, NodeOp op, unsigned kernel, unsigned stride,
                   unsigned pad) {
    Node& n = add(name, op, {in});
    n.layer.kernel_h = n.layer.kernel_w = kernel;
    n.layer.stride_h = n.layer.stride_w = stride;
    n.layer.pad = {pad, pad, pad, pad};
    return name;
  }
  std::string dense(const std::string& name, const std::string& in, NodeOp op, unsigned k, bool relu) {
    Node& n = add(name, op, {in});
    n.layer.out_channels = k;
    n.layer.post.relu = relu;
    return name;
  }
  std::string add_nodes(const std::string& name, const std::string& a, const std::string& b, bool relu) {
    add(name, NodeOp::add, {a, b}).relu = relu;
    return name;
  }
  Node& add(const std::string& name, NodeOp op, std::vector<std::string> inputs) {
    Node n;
    n.name = name;
    n.op = op;
    n.inputs = std::move(inputs);
    net_.nodes.push_back(std::move(n));
    return net_.nodes.back();
  }
  Network done() { return std::move(net_); }

 private:
  Network net_;
};

Network resnet50(Precision p, unsigned image) {
  Builder b("resnet50", p, {3, image, image});
  std::string x = b.conv("conv1", "input", 64, 7, 2, true);
  x = b.pool("pool1", x, NodeOp::maxpool, 3, 2, 1);
  struct Stage {
    unsigned blocks, mid, out, stride;
  };
  const Stage stages[] = {{3, 64, 256, 1}, {4, 128, 512, 2}, {6, 256, 1024, 2}, {3, 512, 2048, 2}};
  for (unsigned s = 0; s < 4; ++s)
    for (unsigned i = 0; i < stages[s].blocks; ++i) {
      const std::string id = fmt::format("res{}{}", s + 2, char('a' + i));
      const unsigned stride = i == 0 ? stages[s].stride : 1;
      // v1.5: the stride sits in the 3x3; the projection shortcut comes first so that
      // the block's last 1x1 is the later producer and takes the add.
      const std::string shortcut = i == 0 ? b.conv(id + "_branch1", x, stages[s].out, 1, stride, false) : x;
      std::string y = b.conv(id + "_branch2a", x, stages[s].mid, 1, 1, true);
      y = b.conv(id + "_branch2b", y, stages[s].mid, 3, stride, true);
      y = b.conv(id + "_branch2c", y, stages[s].out, 1, 1, false);
      x = b.add_nodes(id, y, shortcut, true);
    }
  x = b.pool("pool5", x, NodeOp::global_avgpool, 1, 1, 0);
  b.dense("fc1000", x, NodeOp::fc, 1000, false);
  return b.done();
}

Network vgg16(Precision p, unsigned image) {
  Builder b("vgg16", p, {3, image, image});
  const unsigned blocks[][2] = {{2, 64}, {2, 128}, {3, 256}, {3, 512}, {3, 512}};
  std::string x = "input";
  for (unsigned s = 0; s < 5; ++s) {
    for (unsigned i = 0; i < blocks[s][0]; ++i)
      x = b.conv(fmt::format("conv{}_{}", s + 1, i + 1), x, blocks[s][1], 3, 1, true);
    x = b.pool(fmt::format("pool{}", s + 1), x, NodeOp::maxpool, 2, 2, 0);
  }
  x = b.dense("fc6", x, NodeOp::fc, 4096, true);
  x = b.dense("fc7", x, NodeOp::fc, 4096, true);
  b.dense("fc8", x, NodeOp::fc, 1000, false);
  return b.done();
}

Network mobilenetv2(Precision p, unsigned image) {
  Builder b("mobilenetv2", p, {3, image, image});
  std::string x = b.conv("conv1", "input", 32, 3, 2, true);
  unsigned c = 32;
  // (expansion t, channels c, repeats n, stride s) of the paper's table 2.
  const unsigned table[][4] = {{1, 16, 1, 1}, {6, 24, 2, 2},  {6, 32, 3, 2},  {6, 64, 4, 2},
                               {6, 96, 3, 1}, {6, 160, 3, 2}, {6, 320, 1, 1}};
  unsigned block = 0;
  for (const auto& row : table)
    for (unsigned i = 0; i < row[2]; ++i, ++block) {
      const unsigned t = row[0], out = row[1], stride = i == 0 ? row[3] : 1, hidden = c * t;
      const std::string id = fmt::format("block{}", block);
      std::string y = t == 1 ? x : b.conv(id + "_expand", x, hidden, 1, 1, true);
      y = b.conv(id + "_dw", y, hidden, 3, stride, true, hidden);
      y = b.conv(id + "_project", y, out, 1, 1, false);
      if (stride == 1 && c == out) y = b.add_nodes(id + "_add", y, x, false);
      x = y;
      c = out;
    }
  x = b.conv("conv_last", x, 1280, 1, 1, true);
  x = b.pool("pool", x, NodeOp::global_avgpool, 1, 1, 0);
  b.dense("fc", x, NodeOp::fc, 1000, false);
  return b.done();
}

Network bert_base(Precision p, unsigned L) {
  if (L == 0) throw NetworkError("bert-base: the sequence length must be positive");
  constexpr unsigned D = 768, heads = 12, ffn = 3072;
  Builder b(fmt::format("bert-base-L{}", L), p, {D, 1, L});
  std::string x = "input";
  for (unsigned layer = 0; layer < 12; ++layer) {
    const std::string id = fmt::format("layer{}", layer);
    const std::string q = b.dense(id + "_q", x, NodeOp::gemm, D, false);
    const std::string k = b.dense(id + "_k", x, NodeOp::gemm, D, false);
    const std::string v = b.dense(id + "_v", x, NodeOp::gemm, D, false);
    Node& scores = b.add(id + "_scores", NodeOp::matmul, {q, k});
    scores.heads = heads;
    scores.transpose_b = true;
    b.add(id + "_softmax", NodeOp::softmax, {id + "_scores"}).group = L;
    b.add(id + "_context", NodeOp::matmul, {id + "_softmax", v}).heads = heads;
    const std::string proj = b.dense(id + "_proj", id + "_context", NodeOp::gemm, D, false);
    const std::string h1 = b.add_nodes(id + "_residual1", proj, x, false);
    b.add(id + "_ln1", NodeOp::layernorm, {h1});
    const std::string f1 = b.dense(id + "_ffn1", id + "_ln1", NodeOp::gemm, ffn, false);
    b.add(id + "_gelu", NodeOp::gelu, {f1});
    const std::string f2 = b.dense(id + "_ffn2", id + "_gelu", NodeOp::gemm, D, false);
    const std::string h2 = b.add_nodes(id + "_residual2", f2, id + "_ln1", false);
    b.add(id + "_ln2", NodeOp::layernorm, {h2});
    x = id + "_ln2";
  }
  return b.done();
}

}  // namespace

const std::vector<std::string>& builtin_network_names() {
  static const std::vector<std::string> names{"resnet50", "vgg16", "mobilenetv2", "bert-base"};
  return names;
}

Network builtin_network(const std::string& name, Precision precision, unsigned seq_len, unsigned image) {
  if (image == 0) throw NetworkError("the input image size must be positive");
  if (name == "resnet50") return resnet50(precision, image);
  if (name == "vgg16") return vgg16(precision, image);
  if (name == "mobilenetv2") return mobilenetv2(precision, image);
  if (name == "bert-base") return bert_base(precision, seq_len);
  throw NetworkError(fmt::format("unknown built-in network '{}' (built in: {})", name.substr(0, 60),
                                 fmt::join(builtin_network_names(), ", ")));
}

}  // namespace sdla
