#include "io/layer_file.hpp"

#include <fmt/format.h>

#include <cerrno>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <limits>
#include <tuple>
#include <utility>

namespace sdla {
namespace {

using nlohmann::json;

constexpr unsigned kMaxDim = 65535;  // descriptor fields are 16 bits wide
const char* const kFields[] = {"name",      "op",       "in_channels", "out_channels",  "in_height",
                               "in_width",  "kernel",   "stride",      "padding",       "precision",
                               "input_density", "weight_density", "weight_format", "activation_format", "post",
                               "winograd", "winograd_strict", "winograd_input_shift", "groups", "residual"};
const char* const kPostFields[] = {"multiplier", "shift", "relu"};

template <std::size_t N>
std::string joined(const char* const (&names)[N]) {
  std::string s;
  for (std::size_t i = 0; i < N; ++i) s += (i ? ", " : "") + std::string(names[i]);
  return s;
}

template <std::size_t N>
bool contains(const char* const (&names)[N], const std::string& key) {
  for (const char* n : names)
    if (key == n) return true;
  return false;
}

constexpr std::size_t kShownChars = 60;   // what an error message shows of a value
constexpr unsigned kShownDepth = 4;        // nesting levels shown; deeper ones print as [...] or {...}

/// Appends `v` in dump() format, stopping once `out` is longer than
/// kShownChars; recursion ends at kShownDepth, however deep `v` is.
void shown_into(const json& v, unsigned depth, std::string& out) {
  if (out.size() > kShownChars) return;
  if (!v.is_structured()) {
    out += v.dump();  // a scalar: dump() does not recurse
    return;
  }
  const bool array = v.is_array();
  if (v.empty() || depth >= kShownDepth) {
    out += array ? (v.empty() ? "[]" : "[...]") : (v.empty() ? "{}" : "{...}");
    return;
  }
  out += array ? '[' : '{';
  bool first = true;
  for (auto it = v.begin(); it != v.end() && out.size() <= kShownChars; ++it, first = false) {
    if (!first) out += ',';
    if (!array) out += json(it.key()).dump() + ':';
    shown_into(it.value(), depth + 1, out);
  }
  out += array ? ']' : '}';
}

/// A JSON value for messages: at most kShownChars characters ("..." marks a
/// cut), in json::dump() format, with bounded recursion.
std::string shown(const json& v) {
  std::string s;
  shown_into(v, 0, s);
  if (s.size() > kShownChars) s = s.substr(0, kShownChars - 3) + "...";
  return s;
}

/// `s` cut to kShownChars characters for a message.
std::string clipped(const std::string& s) {
  return s.size() > kShownChars ? s.substr(0, kShownChars - 3) + "..." : s;
}

/// A json exception's message without nlohmann's "[json.exception.parse_error.101] " tag.
std::string untagged(const std::string& what) {
  const auto tag = what.find("] ");
  if (what.rfind("[json.exception", 0) == 0 && tag != std::string::npos) return what.substr(tag + 2);
  return what;
}

/// Builds the document from SAX events, as json::parse does, but refuses
/// nesting deeper than kMaxLayerFileNesting before building it (so nothing
/// later recurses without bound), and names the file and the JSON path of
/// a value the parser rejects (a number beyond a double, a syntax error).
/// The parser itself is iterative, and so is json's destructor.
class LayerFileSax {
 public:
  LayerFileSax(json& root, const std::string& where) : root_(root), where_(where) {}

  bool null() { return place(nullptr); }
  bool boolean(bool b) { return place(b); }
  bool number_integer(json::number_integer_t v) { return place(v); }
  bool number_unsigned(json::number_unsigned_t v) { return place(v); }
  bool number_float(json::number_float_t v, const std::string&) { return place(v); }
  bool string(std::string& s) { return place(std::move(s)); }
  bool binary(json::binary_t& b) { return place(json::binary(std::move(b))); }
  bool start_object(std::size_t) { return open(json::object()); }
  bool key(std::string& k) {
    frames_.back().key = std::move(k);
    return true;
  }
  bool end_object() { return close(); }
  bool start_array(std::size_t) { return open(json::array()); }
  bool end_array() { return close(); }

  bool parse_error(std::size_t, const std::string& token, const json::exception& e) {
    if (e.id == 406) {  // out_of_range.406: a number that overflows a double
      const std::string at = path();
      throw LayerError(fmt::format("{}: {}number {} is too large (beyond the range of a 64-bit float)", where_,
                                   at.empty() ? "" : at + ": ", clipped(token)));
    }
    // A syntax error: nlohmann's message gives the line and column.
    throw LayerError(where_ + ": invalid JSON: " + untagged(e.what()));
  }

 private:
  struct Frame {
    json* node;
    std::string key;  ///< objects: the key of the value being parsed
  };

  /// The JSON path of the value being parsed: "layers[1].kernel[0]".
  std::string path() const {
    std::string p;
    for (std::size_t i = 0; i < frames_.size(); ++i) {
      const Frame& f = frames_[i];
      if (f.node->is_array()) {
        // Enclosing arrays already hold the child being parsed; the innermost one does not yet.
        const std::size_t n = f.node->size();
        p += fmt::format("[{}]", i + 1 < frames_.size() && n ? n - 1 : n);
      } else {
        p += (p.empty() ? "" : ".") + f.key;
      }
    }
    return clipped(p);
  }

  json* add(json v) {
    if (frames_.empty()) {
      root_ = std::move(v);
      return &root_;
    }
    Frame& f = frames_.back();
    if (f.node->is_array()) {
      f.node->push_back(std::move(v));
      return &f.node->back();
    }
    json& slot = (*f.node)[f.key];  // a repeated key: the last one wins, as with json::parse
    slot = std::move(v);
    return &slot;
  }
  bool place(json v) {
    add(std::move(v));
    return true;
  }
  bool open(json container) {
    if (frames_.size() >= kMaxLayerFileNesting)
      throw LayerError(fmt::format("{}: {}arrays and objects nested deeper than {} levels (a layer file needs 4)",
                                   where_, frames_.empty() ? "" : path() + ": ", kMaxLayerFileNesting));
    frames_.push_back({add(std::move(container)), {}});
    return true;
  }
  bool close() {
    frames_.pop_back();
    return true;
  }

  json& root_;
  const std::string& where_;
  std::vector<Frame> frames_;
};

class LayerParser {
 public:
  /// `prefix` is the JSON path of the layer object: "layers[2]", or "" for a lone layer.
  LayerParser(const std::string& where, std::string prefix) : where_(where), prefix_(std::move(prefix)) {}

  Layer parse(const json& j, std::size_t index) {
    for (const auto& item : j.items())
      if (!contains(kFields, item.key()))
        fail("", fmt::format("unknown field '{}' (allowed: {})", clipped(item.key()), joined(kFields)));

    Layer l;
    if (auto* v = find(j, "name")) {
      if (!v->is_string() || v->get_ref<const std::string&>().empty())
        fail("name", "expected a non-empty string, got " + shown(*v));
      l.name = v->get<std::string>();
    } else {
      l.name = "layer" + std::to_string(index);
    }

    const json& op = required(j, "op");
    bool global = false;  // global_avgpool: the kernel is the whole input
    if (op == "conv2d") l.op = Op::conv2d;
    else if (op == "fc") l.op = Op::fc;
    else if (op == "maxpool" || op == "avgpool" || op == "global_avgpool") {
      l.op = Op::pool;
      l.pool_kind = op == "maxpool" ? PoolKind::max : PoolKind::avg;
      global = op == "global_avgpool";
    } else {
      fail("op", "expected \"conv2d\", \"fc\", \"maxpool\", \"avgpool\" or \"global_avgpool\", got " + shown(op));
    }
    const bool fc = l.op == Op::fc, pool = l.op == Op::pool;
    if (pool)
      for (const char* field : {"weight_format", "weight_density", "residual", "post"})
        if (find(j, field))
          fail(field, fmt::format("not allowed for a {} layer (the pooling unit has no weights, no post-processing "
                                  "and no residual add)",
                                  op.get<std::string>()));

    l.in_channels = dim(required(j, "in_channels"), "in_channels", 1);
    // Pooling keeps the channels: out_channels may be left out, and must equal in_channels when given.
    l.out_channels = pool && !find(j, "out_channels") ? l.in_channels : dim(required(j, "out_channels"), "out_channels", 1);
    if (pool && l.out_channels != l.in_channels)
      fail("out_channels", fmt::format("must equal in_channels = {} for a pool layer (pooling keeps the channels), "
                                       "got {}",
                                       l.in_channels, l.out_channels));
    if (global)
      for (const char* field : {"kernel", "stride", "padding"})
        if (find(j, field))
          fail(field, "not allowed for global_avgpool: it averages the whole input (kernel [in_height, in_width], "
                      "stride [1, 1], no padding)");
    for (auto [field, target] : {std::pair{"in_height", &l.in_height}, std::pair{"in_width", &l.in_width}}) {
      const json* v = fc ? find(j, field) : &required(j, field);
      if (!v) continue;
      *target = dim(*v, field, 1);
      if (fc && *target != 1) fail(field, fmt::format("must be 1 for an fc layer, got {}", *target));
    }
    for (auto [field, h, w] : {std::tuple{"kernel", &l.kernel_h, &l.kernel_w},
                               std::tuple{"stride", &l.stride_h, &l.stride_w}}) {
      const json* v = find(j, field);
      if (!v) continue;
      if (!v->is_array() || v->size() != 2 || !is_dim(v->at(0), 1) || !is_dim(v->at(1), 1))
        fail(field, "expected an array of 2 positive integers, got " + shown(*v));
      *h = v->at(0).get<unsigned>();
      *w = v->at(1).get<unsigned>();
      if (fc && (*h != 1 || *w != 1)) fail(field, "must be [1, 1] for an fc layer, got " + shown(*v));
    }
    if (const json* v = find(j, "padding")) {
      bool ok = v->is_array() && (v->size() == 2 || v->size() == 4);
      for (std::size_t i = 0; ok && i < v->size(); ++i) ok = is_dim(v->at(i), 0);
      if (!ok)
        fail("padding", "expected an array of 2 ([vertical, horizontal]) or 4 ([top, bottom, left, right]) "
                        "non-negative integers, got " + shown(*v));
      if (v->size() == 2) {
        l.pad.top = l.pad.bottom = v->at(0).get<unsigned>();
        l.pad.left = l.pad.right = v->at(1).get<unsigned>();
      } else {
        l.pad.top = v->at(0).get<unsigned>();
        l.pad.bottom = v->at(1).get<unsigned>();
        l.pad.left = v->at(2).get<unsigned>();
        l.pad.right = v->at(3).get<unsigned>();
      }
      if (fc && !(l.pad == Padding{})) fail("padding", "must be zero for an fc layer, got " + shown(*v));
    }
    if (const json* v = find(j, "groups")) {
      l.groups = dim(*v, "groups", 1);
      if (fc && l.groups != 1) fail("groups", fmt::format("must be 1 for an fc layer, got {}", l.groups));
      if (l.in_channels % l.groups || l.out_channels % l.groups)
        fail("groups", fmt::format("must divide in_channels = {} and out_channels = {}, got {}", l.in_channels,
                                   l.out_channels, l.groups));
    }
    if (global) {
      l.kernel_h = l.in_height;
      l.kernel_w = l.in_width;
    }
    if (const json* v = find(j, "precision")) {
      if (*v == "int8") l.precision = Precision::int8;
      else if (*v == "int16") l.precision = Precision::int16;
      else fail("precision", "expected \"int8\" or \"int16\", got " + shown(*v));
    }
    for (auto [field, target] : {std::pair{"input_density", &l.input_density},
                                 std::pair{"weight_density", &l.weight_density}}) {
      const json* v = find(j, field);
      if (!v) continue;
      if (!v->is_number() || !(v->get<double>() >= 0.0 && v->get<double>() <= 1.0))
        fail(field, "expected a number in [0, 1], got " + shown(*v));
      *target = v->get<double>();
    }
    if (const json* v = find(j, "weight_format")) {
      if (*v == "dense") l.weight_format = TensorFormat::dense;
      else if (*v == "zvc") l.weight_format = TensorFormat::zvc;
      else if (*v == "2:4") l.weight_format = TensorFormat::sparse_2_4;
      else fail("weight_format", "expected \"dense\", \"zvc\" or \"2:4\", got " + shown(*v));
    }
    if (const json* v = find(j, "activation_format")) {
      if (*v == "dense") l.activation_format = TensorFormat::dense;
      else if (*v == "zvc") l.activation_format = TensorFormat::zvc;
      else fail("activation_format", "expected \"dense\" or \"zvc\", got " + shown(*v));
    }
    if (const json* v = find(j, "post")) parse_post(*v, l);
    if (const json* v = find(j, "residual")) {
      if (!v->is_boolean()) fail("residual", "expected true or false, got " + shown(*v));
      l.residual = v->get<bool>();
      if (l.residual && !l.post.enabled)
        fail("residual", "needs a \"post\" section: the residual tensor is added after requantisation");
    }
    if (const json* v = find(j, "winograd")) {
      if (!v->is_string()) fail("winograd", "expected \"off\", \"exact\", \"nvdla\" or \"auto\", got " + shown(*v));
      try {
        l.winograd = parse_winograd(v->get<std::string>());
      } catch (const std::invalid_argument& e) {
        fail("winograd", e.what());
      }
    }
    if (const json* v = find(j, "winograd_strict")) {
      if (!v->is_boolean()) fail("winograd_strict", "expected true or false, got " + shown(*v));
      l.winograd_strict = v->get<bool>();
    }
    if (const json* v = find(j, "winograd_input_shift")) {
      if (!is_dim(*v, 0) || v->get<unsigned>() > 2) fail("winograd_input_shift", "expected 0, 1 or 2, got " + shown(*v));
      l.winograd_input_shift = v->get<unsigned>();
    }
    return l;
  }

 private:
  [[noreturn]] void fail(const std::string& field, const std::string& what) const {
    std::string path = prefix_;
    if (!field.empty()) path += (path.empty() ? "" : ".") + field;
    throw LayerError(where_ + ": " + (path.empty() ? "" : path + ": ") + what);
  }

  static const json* find(const json& j, const char* field) {
    auto it = j.find(field);
    return it == j.end() ? nullptr : &*it;
  }

  const json& required(const json& j, const char* field) const {
    const json* v = find(j, field);
    if (!v) fail("", fmt::format("missing required field '{}'", field));
    return *v;
  }

  /// A JSON integer (not 3.0, not "3", not true) in [lo, 65535].
  static bool is_dim(const json& v, unsigned lo) {
    if (v.is_number_unsigned()) return v.get<std::uint64_t>() >= lo && v.get<std::uint64_t>() <= kMaxDim;
    if (v.is_number_integer()) return v.get<std::int64_t>() >= std::int64_t(lo) && v.get<std::int64_t>() <= kMaxDim;
    return false;
  }

  unsigned dim(const json& v, const char* field, unsigned lo) const {
    if (!is_dim(v, lo))
      fail(field, fmt::format("expected a {} integer no larger than {}, got {}", lo ? "positive" : "non-negative",
                              kMaxDim, shown(v)));
    return v.get<unsigned>();
  }

  /// An integer in [lo, hi], or a list of 1 or out_channels of them.
  template <class T>
  std::vector<T> per_channel(const json& v, const std::string& field, std::int64_t lo, std::int64_t hi,
                             const char* what, unsigned out_channels) const {
    auto one = [&](const json& e, const std::string& path) {
      const bool ok = e.is_number_integer() &&
                      (e.is_number_unsigned() ? e.get<std::uint64_t>() <= std::uint64_t(hi)
                                              : e.get<std::int64_t>() >= lo && e.get<std::int64_t>() <= hi);
      if (!ok) fail(path, fmt::format("expected {}, got {}", what, shown(e)));
      return T(e.get<std::int64_t>());
    };
    if (!v.is_array()) return {one(v, field)};
    if (v.size() != 1 && v.size() != out_channels)
      fail(field, fmt::format("expected {} or a list of 1 or out_channels = {} of them, got a list of {}", what,
                              out_channels, v.size()));
    std::vector<T> out;
    for (std::size_t i = 0; i < v.size(); ++i) out.push_back(one(v[i], fmt::format("{}[{}]", field, i)));
    return out;
  }

  void parse_post(const json& v, Layer& l) const {
    if (!v.is_object()) fail("post", "expected an object with multiplier, shift and relu, got " + shown(v));
    for (const auto& item : v.items())
      if (!contains(kPostFields, item.key()))
        fail("post", fmt::format("unknown field '{}' (allowed: {})", clipped(item.key()), joined(kPostFields)));
    l.post.enabled = true;
    l.post.multiplier = {1};
    l.post.shift = {0};
    if (const json* m = find(v, "multiplier"))
      l.post.multiplier = per_channel<std::int32_t>(*m, "post.multiplier", std::numeric_limits<std::int32_t>::min(),
                                                    std::numeric_limits<std::int32_t>::max(), "an int32",
                                                    l.out_channels);
    if (const json* s = find(v, "shift"))
      l.post.shift = per_channel<std::uint8_t>(*s, "post.shift", 0, 62, "an integer shift in 0..62", l.out_channels);
    if (const json* r = find(v, "relu")) {
      if (!r->is_boolean()) fail("post.relu", "expected true or false, got " + shown(*r));
      l.post.relu = r->get<bool>();
    }
  }

  const std::string& where_;
  std::string prefix_;
};

}  // namespace

std::vector<Layer> parse_layers(const json& j, const std::string& where) {
  std::vector<const json*> objects;
  std::vector<std::string> prefixes;
  if (j.is_object() && j.contains("layers")) {
    for (const auto& item : j.items())
      if (item.key() != "layers")
        throw LayerError(where + ": unexpected top-level field '" + clipped(item.key()) +
                         "' (a layer list is {\"layers\": [...]} and nothing else)");
    const json& list = j["layers"];
    if (!list.is_array() || list.empty())
      throw LayerError(where + ": layers: expected a non-empty array of layer objects, got " + shown(list));
    for (std::size_t i = 0; i < list.size(); ++i) {
      const std::string prefix = fmt::format("layers[{}]", i);
      if (!list[i].is_object())
        throw LayerError(where + ": " + prefix + ": expected a layer object, got " + shown(list[i]));
      objects.push_back(&list[i]);
      prefixes.push_back(prefix);
    }
  } else if (j.is_object()) {
    objects.push_back(&j);
    prefixes.emplace_back();
  } else {
    throw LayerError(where + ": expected a layer object or {\"layers\": [...]}, got " + shown(j));
  }

  std::vector<Layer> layers;
  for (std::size_t i = 0; i < objects.size(); ++i) {
    Layer l = LayerParser(where, prefixes[i]).parse(*objects[i], i);
    try {
      l.validate();
    } catch (const LayerError& e) {
      throw LayerError(where + ": " + (prefixes[i].empty() ? "" : prefixes[i] + ": ") + e.what());
    }
    layers.push_back(std::move(l));
  }
  return layers;
}

json read_json_file(const std::string& path) {
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec)) throw LayerError(path + ": cannot open: is a directory");
  errno = 0;
  std::ifstream in(path);
  if (!in) throw LayerError(path + ": cannot open: " + (errno ? std::strerror(errno) : "unknown error"));
  json j;
  LayerFileSax sax(j, path);
  try {
    json::sax_parse(in, &sax);
  } catch (const json::exception& e) {  // anything the SAX handler did not turn into a LayerError
    throw LayerError(path + ": invalid JSON: " + untagged(e.what()));
  }
  return j;
}

std::vector<Layer> read_layer_file(const std::string& path) { return parse_layers(read_json_file(path), path); }

Winograd parse_winograd(const std::string& s) {
  for (Winograd w : {Winograd::off, Winograd::exact, Winograd::nvdla, Winograd::automatic})
    if (s == to_string(w)) return w;
  throw std::invalid_argument("expected \"off\", \"exact\", \"nvdla\" or \"auto\", got \"" + s + "\"");
}

json to_json(const Layer& l) {
  json j;
  if (!l.name.empty()) j["name"] = l.name;
  j["op"] = l.op == Op::pool ? (l.pool_kind == PoolKind::max ? "maxpool" : "avgpool") : to_string(l.op);
  j["in_channels"] = l.in_channels;
  j["out_channels"] = l.out_channels;
  j["in_height"] = l.in_height;
  j["in_width"] = l.in_width;
  j["kernel"] = {l.kernel_h, l.kernel_w};
  j["stride"] = {l.stride_h, l.stride_w};
  if (l.groups != 1) j["groups"] = l.groups;
  if (l.pad.top == l.pad.bottom && l.pad.left == l.pad.right)
    j["padding"] = {l.pad.top, l.pad.left};
  else
    j["padding"] = {l.pad.top, l.pad.bottom, l.pad.left, l.pad.right};
  j["precision"] = to_string(l.precision);
  j["input_density"] = l.input_density;
  if (l.op != Op::pool) {  // a pool layer has no weights
    j["weight_density"] = l.weight_density;
    j["weight_format"] = to_string(l.weight_format);
  }
  j["activation_format"] = to_string(l.activation_format);
  if (l.winograd != Winograd::off) j["winograd"] = to_string(l.winograd);
  if (l.winograd_strict) j["winograd_strict"] = true;
  if (l.winograd_input_shift != 2) j["winograd_input_shift"] = l.winograd_input_shift;
  if (l.post.enabled) {
    json post;
    auto values = [](const auto& v) {
      json out = json::array();
      for (auto x : v) out.push_back(std::int64_t(x));
      return v.size() == 1 ? out[0] : out;
    };
    post["multiplier"] = values(l.post.multiplier);
    post["shift"] = values(l.post.shift);
    post["relu"] = l.post.relu;
    j["post"] = post;
  }
  if (l.residual) j["residual"] = true;
  return j;
}

}  // namespace sdla
