#include "io/network_file.hpp"

#include <algorithm>
#include <limits>
#include <map>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "io/layer_file.hpp"

namespace sdla {
namespace {

using nlohmann::json;

constexpr unsigned kMaxDim = 65535;

/// The fields each op takes besides name, op, inputs and output.
const std::map<NodeOp, std::vector<std::string>>& op_fields() {
  static const std::vector<std::string> weights{"relu", "post", "weight_format", "weight_density"};
  static const std::map<NodeOp, std::vector<std::string>> fields = [] {
    std::map<NodeOp, std::vector<std::string>> f;
    f[NodeOp::conv2d] = {"out_channels", "kernel", "stride", "padding", "groups", "winograd"};
    f[NodeOp::fc] = f[NodeOp::gemm] = {"out_features"};
    for (NodeOp op : {NodeOp::conv2d, NodeOp::fc, NodeOp::gemm}) f[op].insert(f[op].end(), weights.begin(), weights.end());
    f[NodeOp::maxpool] = f[NodeOp::avgpool] = {"kernel", "stride", "padding"};
    f[NodeOp::global_avgpool] = {};
    f[NodeOp::add] = {"relu"};
    f[NodeOp::matmul] = {"heads", "transpose_b", "post"};
    f[NodeOp::softmax] = {"group"};
    f[NodeOp::layernorm] = f[NodeOp::gelu] = {};
    return f;
  }();
  return fields;
}

std::string shown(const json& v) {
  std::string s = v.dump();
  return s.size() > 60 ? s.substr(0, 57) + "..." : s;
}
std::string clipped(const std::string& s) { return s.size() > 60 ? s.substr(0, 57) + "..." : s; }

class Parser {
 public:
  explicit Parser(const std::string& where) : where_(where) {}

  [[noreturn]] void fail(const std::string& path, const std::string& what) const {
    throw NetworkError(where_ + ": " + (path.empty() ? "" : path + ": ") + what);
  }

  const json* find(const json& j, const char* key) const {
    auto it = j.find(key);
    return it == j.end() ? nullptr : &*it;
  }
  const json& required(const json& j, const char* key, const std::string& path) const {
    if (const json* v = find(j, key)) return *v;
    fail(path, fmt::format("missing required field '{}'", key));
  }
  std::string name(const json& v, const std::string& path) const {
    if (!v.is_string() || v.get_ref<const std::string&>().empty())
      fail(path, "expected a non-empty string, got " + shown(v));
    return v.get<std::string>();
  }
  unsigned dim(const json& v, const std::string& path, unsigned lo) const {
    const bool ok = v.is_number_integer() &&
                    (v.is_number_unsigned() ? v.get<std::uint64_t>() >= lo && v.get<std::uint64_t>() <= kMaxDim
                                            : v.get<std::int64_t>() >= std::int64_t(lo) && v.get<std::int64_t>() <= kMaxDim);
    if (!ok)
      fail(path, fmt::format("expected a {} integer no larger than {}, got {}", lo ? "positive" : "non-negative",
                             kMaxDim, shown(v)));
    return v.get<unsigned>();
  }
  std::vector<unsigned> dims(const json& v, const std::string& path, std::initializer_list<std::size_t> sizes,
                             unsigned lo) const {
    if (!v.is_array() || std::find(sizes.begin(), sizes.end(), v.size()) == sizes.end())
      fail(path, fmt::format("expected an array of {} integers, got {}", fmt::join(sizes, " or "), shown(v)));
    std::vector<unsigned> out;
    for (std::size_t i = 0; i < v.size(); ++i) out.push_back(dim(v[i], fmt::format("{}[{}]", path, i), lo));
    return out;
  }
  bool boolean(const json& v, const std::string& path) const {
    if (!v.is_boolean()) fail(path, "expected true or false, got " + shown(v));
    return v.get<bool>();
  }

  Network parse(const json& j) {
    if (!j.is_object()) fail("", "expected a network object {\"name\", \"precision\", \"input\", \"nodes\"}, got " + shown(j));
    for (const auto& item : j.items())
      if (item.key() != "name" && item.key() != "precision" && item.key() != "input" && item.key() != "nodes")
        fail("", fmt::format("unknown field '{}' (allowed: name, precision, input, nodes)", clipped(item.key())));
    Network net;
    net.name = j.contains("name") ? name(j["name"], "name") : "network";
    if (const json* p = find(j, "precision")) {
      if (*p == "int8") net.precision = Precision::int8;
      else if (*p == "int16") net.precision = Precision::int16;
      else fail("precision", "expected \"int8\" or \"int16\", got " + shown(*p));
    }
    const json& in = required(j, "input", "");
    if (!in.is_object()) fail("input", "expected {\"name\": ..., \"shape\": [C, H, W]}, got " + shown(in));
    for (const auto& item : in.items())
      if (item.key() != "name" && item.key() != "shape")
        fail("input", fmt::format("unknown field '{}' (allowed: name, shape)", clipped(item.key())));
    if (const json* n = find(in, "name")) net.input = name(*n, "input.name");
    const auto shape = dims(required(in, "shape", "input"), "input.shape", {3}, 1);
    net.input_shape = {shape[0], shape[1], shape[2]};
    const json& nodes = required(j, "nodes", "");
    if (!nodes.is_array() || nodes.empty()) fail("nodes", "expected a non-empty array of node objects, got " + shown(nodes));
    for (std::size_t i = 0; i < nodes.size(); ++i) net.nodes.push_back(node(nodes[i], fmt::format("nodes[{}]", i)));
    try {
      lower(net);
    } catch (const NetworkError& e) {
      fail("", e.what());
    }
    return net;
  }

 private:
  Node node(const json& j, const std::string& at) const {
    if (!j.is_object()) fail(at, "expected a node object, got " + shown(j));
    Node n;
    n.name = name(required(j, "name", at), at + ".name");
    const json& op = required(j, "op", at);
    if (!op.is_string()) fail(at + ".op", "expected a string, got " + shown(op));
    try {
      n.op = parse_node_op(op.get<std::string>());
    } catch (const NetworkError& e) {
      fail(at + ".op", e.what());
    }
    const std::vector<std::string>& allowed = op_fields().at(n.op);
    for (const auto& item : j.items()) {
      const std::string& k = item.key();
      if (k == "name" || k == "op" || k == "inputs" || k == "output") continue;
      if (std::find(allowed.begin(), allowed.end(), k) == allowed.end())
        fail(at, fmt::format("unknown field '{}' for op {} (allowed: name, op, inputs, output{}{})", clipped(k),
                             to_string(n.op), allowed.empty() ? "" : ", ", fmt::join(allowed, ", ")));
    }
    if (const json* v = find(j, "inputs")) {
      if (!v->is_array() || v->empty()) fail(at + ".inputs", "expected a non-empty array of tensor names, got " + shown(*v));
      for (std::size_t i = 0; i < v->size(); ++i) n.inputs.push_back(name((*v)[i], fmt::format("{}.inputs[{}]", at, i)));
    }
    if (const json* v = find(j, "output")) n.output = name(*v, at + ".output");
    Layer& l = n.layer;
    if (const json* v = find(j, "out_channels")) l.out_channels = dim(*v, at + ".out_channels", 1);
    if (const json* v = find(j, "out_features")) l.out_channels = dim(*v, at + ".out_features", 1);
    if ((n.op == NodeOp::conv2d || n.op == NodeOp::fc || n.op == NodeOp::gemm) && l.out_channels == 0)
      fail(at, fmt::format("missing required field '{}'", n.op == NodeOp::conv2d ? "out_channels" : "out_features"));
    if (const json* v = find(j, "kernel")) {
      const auto k = dims(*v, at + ".kernel", {2}, 1);
      l.kernel_h = k[0];
      l.kernel_w = k[1];
    } else if (n.op == NodeOp::conv2d || n.op == NodeOp::maxpool || n.op == NodeOp::avgpool) {
      fail(at, "missing required field 'kernel'");
    }
    if (const json* v = find(j, "stride")) {
      const auto s = dims(*v, at + ".stride", {2}, 1);
      l.stride_h = s[0];
      l.stride_w = s[1];
    }
    if (const json* v = find(j, "padding")) {
      const auto p = dims(*v, at + ".padding", {2, 4}, 0);
      l.pad = p.size() == 2 ? Padding{p[0], p[0], p[1], p[1]} : Padding{p[0], p[1], p[2], p[3]};
    }
    if (const json* v = find(j, "groups")) l.groups = dim(*v, at + ".groups", 1);
    if (const json* v = find(j, "relu")) {
      n.relu = boolean(*v, at + ".relu");
      l.post.relu = n.relu;
    }
    if (const json* v = find(j, "post")) post(*v, at + ".post", l.post, n.op == NodeOp::matmul ? 1 : l.out_channels);
    if (const json* v = find(j, "weight_format")) {
      if (*v == "dense") l.weight_format = TensorFormat::dense;
      else if (*v == "zvc") l.weight_format = TensorFormat::zvc;
      else if (*v == "2:4") l.weight_format = TensorFormat::sparse_2_4;
      else fail(at + ".weight_format", "expected \"dense\", \"zvc\" or \"2:4\", got " + shown(*v));
    }
    if (const json* v = find(j, "weight_density")) {
      if (!v->is_number() || !(v->get<double>() >= 0.0 && v->get<double>() <= 1.0))
        fail(at + ".weight_density", "expected a number in [0, 1], got " + shown(*v));
      l.weight_density = v->get<double>();
    }
    if (const json* v = find(j, "winograd")) {
      try {
        l.winograd = parse_winograd(v->is_string() ? v->get<std::string>() : v->dump());
      } catch (const std::invalid_argument& e) {
        fail(at + ".winograd", e.what());
      }
    }
    if (const json* v = find(j, "heads")) n.heads = dim(*v, at + ".heads", 1);
    if (const json* v = find(j, "transpose_b")) n.transpose_b = boolean(*v, at + ".transpose_b");
    if (const json* v = find(j, "group")) n.group = dim(*v, at + ".group", 1);
    return n;
  }

  void post(const json& v, const std::string& at, PostOp& p, unsigned channels) const {
    if (!v.is_object()) fail(at, "expected {\"multiplier\": ..., \"shift\": ...}, got " + shown(v));
    for (const auto& item : v.items())
      if (item.key() != "multiplier" && item.key() != "shift")
        fail(at, fmt::format("unknown field '{}' (allowed: multiplier, shift; ReLU is the node's \"relu\")",
                             clipped(item.key())));
    if (!v.contains("multiplier") || !v.contains("shift"))
      fail(at, "give both multiplier and shift, or leave \"post\" out to calibrate them");
    auto list = [&](const json& x, const std::string& path, std::int64_t lo, std::int64_t hi) {
      std::vector<std::int64_t> out;
      const json one = x.is_array() ? x : json::array({x});
      if (one.empty() || (one.size() != 1 && one.size() != channels))
        fail(path, fmt::format("expected one value or {} (one per output channel), got {}", channels, shown(x)));
      for (std::size_t i = 0; i < one.size(); ++i) {
        const json& e = one[i];
        const bool ok = e.is_number_integer() &&
                        (e.is_number_unsigned() ? e.get<std::uint64_t>() <= std::uint64_t(hi)
                                                : e.get<std::int64_t>() >= lo && e.get<std::int64_t>() <= hi);
        if (!ok) fail(path, fmt::format("expected integers in [{}, {}], got {}", lo, hi, shown(e)));
        out.push_back(e.get<std::int64_t>());
      }
      return out;
    };
    p.multiplier.clear();
    p.shift.clear();
    for (auto m : list(v["multiplier"], at + ".multiplier", std::numeric_limits<std::int32_t>::min(),
                       std::numeric_limits<std::int32_t>::max()))
      p.multiplier.push_back(std::int32_t(m));
    for (auto s : list(v["shift"], at + ".shift", 0, 62)) p.shift.push_back(std::uint8_t(s));
  }

  const std::string& where_;
};

}  // namespace

Network parse_network(const json& j, const std::string& where) { return Parser(where).parse(j); }

Network read_network_file(const std::string& path) {
  json j;
  try {
    j = read_json_file(path);
  } catch (const NetworkError&) {
    throw;
  } catch (const LayerError& e) {
    throw NetworkError(e.what());
  }
  return parse_network(j, path);
}

json to_json(const Network& net) {
  json j;
  j["name"] = net.name;
  j["precision"] = to_string(net.precision);
  j["input"] = {{"name", net.input}, {"shape", {net.input_shape.c, net.input_shape.h, net.input_shape.w}}};
  json nodes = json::array();
  for (const Node& n : net.nodes) {
    json o;
    o["name"] = n.name;
    o["op"] = to_string(n.op);
    if (!n.inputs.empty()) o["inputs"] = n.inputs;
    if (!n.output.empty()) o["output"] = n.output;
    const Layer& l = n.layer;
    const bool weights = n.op == NodeOp::conv2d || n.op == NodeOp::fc || n.op == NodeOp::gemm;
    if (n.op == NodeOp::conv2d) o["out_channels"] = l.out_channels;
    if (n.op == NodeOp::fc || n.op == NodeOp::gemm) o["out_features"] = l.out_channels;
    if (n.op == NodeOp::conv2d || n.op == NodeOp::maxpool || n.op == NodeOp::avgpool) {
      o["kernel"] = {l.kernel_h, l.kernel_w};
      o["stride"] = {l.stride_h, l.stride_w};
      o["padding"] = {l.pad.top, l.pad.bottom, l.pad.left, l.pad.right};
    }
    if (n.op == NodeOp::conv2d && l.groups != 1) o["groups"] = l.groups;
    if (n.op == NodeOp::conv2d && l.winograd != Winograd::off) o["winograd"] = to_string(l.winograd);
    if (weights) {
      o["relu"] = l.post.relu;
      if (l.weight_format != TensorFormat::dense) o["weight_format"] = to_string(l.weight_format);
      if (l.weight_density != 1.0) o["weight_density"] = l.weight_density;
    }
    if ((weights || n.op == NodeOp::matmul) && !l.post.multiplier.empty())
      o["post"] = {{"multiplier", l.post.multiplier}, {"shift", l.post.shift}};
    if (n.op == NodeOp::add) o["relu"] = n.relu;
    if (n.op == NodeOp::matmul) {
      o["heads"] = n.heads;
      o["transpose_b"] = n.transpose_b;
    }
    if (n.op == NodeOp::softmax && n.group) o["group"] = n.group;
    nodes.push_back(std::move(o));
  }
  j["nodes"] = std::move(nodes);
  return j;
}

}  // namespace sdla
