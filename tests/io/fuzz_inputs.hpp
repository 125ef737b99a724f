// Seed documents and mutators for fuzzing the input readers (.npy, layer
// files, energy tables): used in process by test_fuzz_readers.cpp and through
// sdla-run by test_fuzz_sdla_run.cpp.
//
// Everything is a function of an Rng, and a case's Rng of (seed, reader,
// case index) only, so any single case can be rebuilt from its numbers. The
// generator and its bounded draws are written here, not taken from <random>,
// whose distributions differ between standard libraries.
#pragma once

#include <cstdint>
#include <cstdlib>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "energy_table.hpp"

namespace sdla::fuzz {

// ------------------------------------------------------------ randomness

class Rng {
 public:
  explicit Rng(std::uint64_t state) : s_(state) {}
  std::uint64_t next() {  // SplitMix64
    std::uint64_t z = (s_ += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
  }
  /// Uniform in [0, n) (0 when n is 0); the modulo bias is irrelevant here.
  std::size_t below(std::size_t n) { return n ? std::size_t(next() % n) : 0; }
  bool percent(unsigned p) { return below(100) < p; }
  template <class C>
  const auto& pick(const C& c) {
    return c[below(std::size(c))];
  }

 private:
  std::uint64_t s_;
};

/// The Rng of case `index` of `stream` (one stream per reader) under `seed`.
inline Rng case_rng(std::uint64_t seed, const std::string& stream, std::uint64_t index) {
  std::uint64_t h = 0xcbf29ce484222325ull;  // FNV-1a of the stream name
  for (unsigned char c : stream) h = (h ^ c) * 0x100000001b3ull;
  Rng mix(seed ^ h);
  return Rng(mix.next() ^ (index * 0xd1b54a32d192ed03ull));
}

/// A count from the environment (SDLA_FUZZ_CASES=N), or `fallback`.
inline std::uint64_t env_count(const char* name, std::uint64_t fallback) {
  const char* v = std::getenv(name);
  return v && *v ? std::stoull(v) : fallback;
}

/// SDLA_FUZZ_CASE=I: run only case I.
inline std::optional<std::uint64_t> env_case() {
  const char* v = std::getenv("SDLA_FUZZ_CASE");
  if (!v || !*v) return std::nullopt;
  return std::stoull(v);
}

// ------------------------------------------------------------ values worth trying

/// Numbers at the edges of every type a reader converts to, and spellings
/// that are numbers in one language only.
inline const std::vector<std::string>& extreme_numbers() {
  static const std::vector<std::string> v{
      "0", "-0", "-1", "1", "2", "62", "63", "64", "127", "128", "255", "256", "65535", "65536",
      "2147483647", "2147483648", "-2147483648", "-2147483649", "4294967295", "4294967296",
      "9223372036854775807", "9223372036854775808", "-9223372036854775808", "-9223372036854775809",
      "18446744073709551615", "18446744073709551616", "-18446744073709551616",
      "340282366920938463463374607431768211456",
      "99999999999999999999999999999999999999999", "1e400", "-1e400", "1e-400", "1e308", "2e308", "4.9e-324",
      "0.5", "-0.0", "1.0", "3e0", "1E+2", "NaN", "nan", "-nan", "inf", "-inf", "Infinity", ".nan", ".inf", "-.inf",
      "0x10", "0o17", "1_000", "007", "1e", "--1", "+1", "1.", ".5", "1L", "0b1"};
  return v;
}

/// `[[[...]]]` or `{"a": {"a": ...}}` `depth` levels deep around `inner`.
inline std::string nested(std::size_t depth, bool objects, const std::string& inner, bool quote_keys = true) {
  std::string s;
  const std::string open = objects ? (quote_keys ? "{\"a\": " : "{a: ") : "[";
  s.reserve(depth * (open.size() + 1) + inner.size());
  for (std::size_t i = 0; i < depth; ++i) s += open;
  s += inner;
  s.append(depth, objects ? '}' : ']');
  return s;
}

inline std::size_t nesting_depth(Rng& rng) {
  // Around every limit: the npy literal parser (32), layer files (64), yaml-cpp's depth guard; and far beyond.
  static const std::size_t depths[] = {2, 31, 32, 33, 63, 64, 65, 100, 500, 1000, 2000, 2001, 5000, 100000};
  return rng.pick(depths);
}

// ------------------------------------------------------------ byte-level mutations

/// One of: set a byte, flip a bit, truncate, insert random bytes or a token
/// of `tokens`, delete a span, duplicate a span (sometimes many times),
/// splice with another seed, replace a number with an extreme value.
/// Returns what it did, for messages.
inline std::string mutate_bytes(std::string& doc, Rng& rng, const std::vector<std::string>& others,
                                const std::vector<std::string>& tokens) {
  const std::size_t n = doc.size();
  switch (rng.below(8)) {
    case 0: {
      if (!n) break;
      const std::size_t at = rng.below(n);
      doc[at] = char(rng.below(256));
      return "byte@" + std::to_string(at);
    }
    case 1: {
      if (!n) break;
      const std::size_t at = rng.below(n);
      doc[at] = char(doc[at] ^ (1 << rng.below(8)));
      return "bit@" + std::to_string(at);
    }
    case 2: {
      const std::size_t at = rng.below(n + 1);
      doc.resize(at);
      return "truncate@" + std::to_string(at);
    }
    case 3: {
      std::string ins;
      if (rng.percent(60) && !tokens.empty()) {
        ins = rng.pick(tokens);
      } else {
        for (std::size_t i = 1 + rng.below(16); i > 0; --i) ins += char(rng.below(256));
      }
      const std::size_t at = rng.below(n + 1);
      doc.insert(at, ins);
      return "insert@" + std::to_string(at);
    }
    case 4: {
      if (!n) break;
      const std::size_t at = rng.below(n), len = 1 + rng.below(std::min<std::size_t>(64, n - at));
      doc.erase(at, len);
      return "delete@" + std::to_string(at) + "+" + std::to_string(len);
    }
    case 5: {
      if (!n) break;
      const std::size_t at = rng.below(n), len = 1 + rng.below(std::min<std::size_t>(256, n - at));
      const std::string span = doc.substr(at, len);
      const std::size_t times = rng.percent(10) ? 1 + rng.below(200) : 1;
      std::string copies;
      for (std::size_t i = 0; i < times; ++i) copies += span;
      doc.insert(rng.below(n + 1), copies);
      return "duplicate@" + std::to_string(at) + "+" + std::to_string(len) + "x" + std::to_string(times);
    }
    case 6: {
      if (others.empty()) break;
      const std::string& other = rng.pick(others);
      const std::size_t cut = rng.below(n + 1), from = rng.below(other.size() + 1);
      doc = doc.substr(0, cut) + other.substr(from);
      return "splice@" + std::to_string(cut);
    }
    default: {
      // The spans of digits (with sign, point and exponent) in the document.
      std::vector<std::pair<std::size_t, std::size_t>> numbers;
      for (std::size_t i = 0; i < n;) {
        const auto digit = [&](std::size_t k) { return k < n && doc[k] >= '0' && doc[k] <= '9'; };
        if (!digit(i)) {
          ++i;
          continue;
        }
        std::size_t b = i, e = i;
        if (b > 0 && (doc[b - 1] == '-' || doc[b - 1] == '+')) --b;
        while (e < n && (digit(e) || doc[e] == '.' || doc[e] == 'e' || doc[e] == 'E' ||
                         ((doc[e] == '-' || doc[e] == '+') && (doc[e - 1] == 'e' || doc[e - 1] == 'E'))))
          ++e;
        numbers.emplace_back(b, e - b);
        i = e;
      }
      if (numbers.empty()) break;
      const auto [at, len] = rng.pick(numbers);
      const std::string& v = rng.pick(extreme_numbers());
      doc.replace(at, len, v);
      return "number@" + std::to_string(at) + "=" + v;
    }
  }
  doc += char(rng.below(256));  // nothing to edit (empty, no number, no other seed): append a byte
  return "append";
}

// ------------------------------------------------------------ .npy

/// A .npy file as parts, so that one part can be edited and the rest stay
/// consistent (or not: header_len and the version's field width can lie).
struct NpyDoc {
  std::string magic = std::string("\x93NUMPY", 6);
  unsigned major = 1, minor = 0;
  std::vector<std::pair<std::string, std::string>> items;  ///< Python literals: key, value
  std::string open = "{", sep = ", ", close = ", }";
  std::string padding = "aligned";  ///< "aligned": spaces to 64 bytes and '\n', as numpy; else the literal padding
  std::optional<std::uint64_t> header_len;  ///< what the length field says, when it lies
  std::string data;

  std::string header() const {
    std::string h = open;
    for (std::size_t i = 0; i < items.size(); ++i) h += (i ? sep : "") + items[i].first + ": " + items[i].second;
    h += close;
    if (padding != "aligned") return h + padding;
    const std::size_t pre = major >= 2 ? 12 : 10;
    h.append(64 - (pre + h.size() + 1) % 64, ' ');
    return h + '\n';
  }
  /// The file's bytes. A length the field cannot hold keeps its low bytes, as a careless writer would.
  std::string bytes() const {
    const std::string h = header();
    const std::uint64_t len = header_len ? *header_len : h.size();
    std::string out = magic + char(major) + char(minor);
    for (unsigned i = 0; i < (major >= 2 ? 4u : 2u); ++i) out += char((len >> (8 * i)) & 0xff);
    return out + h + data;
  }
};

inline NpyDoc npy_doc(const std::string& descr, const std::string& shape, std::string data, unsigned major = 1) {
  NpyDoc d;
  d.major = major;
  d.items = {{"'descr'", "'" + descr + "'"}, {"'fortran_order'", "False"}, {"'shape'", shape}};
  d.data = std::move(data);
  return d;
}

inline std::string py_tuple(const std::vector<std::uint64_t>& dims) {
  std::string s = "(";
  for (std::size_t i = 0; i < dims.size(); ++i) s += (i ? ", " : "") + std::to_string(dims[i]);
  return s + (dims.size() == 1 ? ",)" : ")");
}

/// Valid files of every dtype the reader takes (both spellings of int8),
/// scalar, empty and larger shapes, format versions 1 to 3, and the header
/// spellings numpy and older writers produce. All fortran_order False.
inline std::vector<NpyDoc> npy_seeds() {
  Rng fill(42);
  auto bytes = [&](std::size_t n) {
    std::string s(n, '\0');
    for (char& c : s) c = char(fill.below(256));
    return s;
  };
  std::vector<NpyDoc> v{
      npy_doc("|i1", "(5,)", bytes(5)),
      npy_doc("<i1", "(2, 3)", bytes(6)),
      npy_doc("<i2", "(3, 4, 4)", bytes(96)),
      npy_doc("<i4", "(8,)", bytes(32)),
      npy_doc("<i8", "(2, 2)", bytes(32)),
      npy_doc("<i4", "()", bytes(4)),    // a 0-d scalar
      npy_doc("|i1", "(0,)", ""),         // no elements
      npy_doc("<i2", "(2, 0, 3)", ""),
      npy_doc("|i1", "(1, 16, 32, 32)", bytes(16384)),  // a real input tensor
      npy_doc("<i2", "(16, 8, 3, 3)", bytes(2304)),     // real weights
      npy_doc("<i4", "(64,)", bytes(256)),              // a bias
      npy_doc("<i4", "(3,)", bytes(12), 2),
      npy_doc("<i8", "(3,)", bytes(24), 3),
  };
  // float32 with NaN, infinities, -0 and a denormal among ordinary values.
  v.push_back(npy_doc("<f4", "(3, 3)",
                      std::string("\x00\x00\xc0\x7f" "\x00\x00\x80\x7f" "\x00\x00\x80\xff" "\x00\x00\x00\x80"
                                  "\x01\x00\x00\x00" "\x00\x00\x80\x3f" "\x00\x00\x00\xc0" "\xff\xff\x7f\x7f"
                                  "\x00\x00\x00\x00", 36)));
  // Keys in another order, double quotes, no trailing comma, a Python 2 long, no padding at all.
  NpyDoc reordered = npy_doc("<i8", "(2L,)", bytes(16));
  std::swap(reordered.items[0], reordered.items[2]);
  reordered.items[1].first = "\"fortran_order\"";
  reordered.close = "}";
  reordered.padding = "";
  v.push_back(reordered);
  NpyDoc spaced = npy_doc("<i2", "( 2 , 3 )", bytes(12));
  spaced.open = "{ ";
  spaced.sep = " ,";
  spaced.close = " , }";
  v.push_back(spaced);
  // 30000 dimensions of 1: a header beyond format 1.0's 65535 bytes.
  std::string ones = "(";
  for (int i = 0; i < 30000; ++i) ones += "1, ";
  v.push_back(npy_doc("|i1", ones + "1)", bytes(1), 2));
  return v;
}

/// One structural edit of `d`: descr, shape, fortran_order, the key set, the
/// header length field, magic, version, padding, data length, or garbage in
/// the dict literal.
inline std::string mutate_npy_doc(NpyDoc& d, Rng& rng) {
  auto item = [&](const std::string& key) -> std::string* {
    for (auto& [k, v] : d.items)
      if (k.find(key) != std::string::npos) return &v;
    return nullptr;
  };
  auto set = [&](const std::string& key, const std::string& value) {
    if (std::string* v = item(key)) *v = value;
    return key + "=" + value.substr(0, 40);
  };
  switch (rng.below(11)) {
    case 0: {
      static const std::vector<std::string> descrs{
          "'|i1'", "'<i1'", "'<i2'", "'<i4'", "'<i8'", "'<f4'", "'>i4'", "'>f4'", "'<f8'", "'|u1'", "'<u2'",
          "'|b1'", "'<c8'", "'|O'", "'O'", "''", "'i4'", "'=i4'", "'<U10'", "[('a', '<i4')]", "\"<i4\"",
          "'\\x00'", "'<i4' '<i4'", "3", "None", "'" + std::string(300, 'i') + "'", "'<i4"};
      return set("descr", rng.pick(descrs));
    }
    case 1: {
      // Shapes that agree with the data (other dims, other ranks) and shapes that cannot.
      static const std::vector<std::string> fixed{
          "()", "(0,)", "(1,)", "(-1,)", "(-0,)", "(+3,)", "(3)", "[3]", "(3.0,)", "('3',)", "(True,)", "(None,)",
          "(1e400,)", "(2147483648,)", "(4294967296,)", "(9223372036854775808,)", "(18446744073709551615,)",
          "(18446744073709551616,)", "(99999999999999999999999999,)", "(4294967296, 4294967296)",
          "(0, 18446744073709551615, 18446744073709551615)", "(18446744073709551615, 18446744073709551615, 0)",
          "(4611686018427387904, 4)", "(2305843009213693952,)", "(3L,)", "((3,),)", "(3,,)", "(,)", "(", ")", "",
          "(1, -1)", "(3, 'a')", "(0x10,)", "(1_0,)"};
      const std::size_t n = d.data.size();
      std::vector<std::string> fit{py_tuple({n}), py_tuple({1, n}), py_tuple({n, 1}), py_tuple({n / 2, 2}),
                                   py_tuple({n / 4}), py_tuple({n / 8}), py_tuple({n / 2 + 1})};
      static const std::size_t ranks[] = {31, 32, 33, 1000, 20000};
      std::string ranked = "(";
      for (std::size_t i = 0, r = rng.pick(ranks); i < r; ++i) ranked += "1, ";
      fit.push_back(ranked + std::to_string(n) + ")");
      return set("shape", rng.percent(50) ? rng.pick(fixed) : rng.pick(fit));
    }
    case 2: {
      static const std::vector<std::string> orders{"True", "False", "0", "1", "'False'", "None", "false", "()"};
      return set("fortran_order", rng.pick(orders));
    }
    case 3: {
      if (d.items.empty()) break;
      const std::size_t i = rng.below(d.items.size());
      switch (rng.below(4)) {
        case 0: d.items.erase(d.items.begin() + long(i)); return "drop key";
        case 1: d.items.push_back(d.items[i]); return "duplicate key";
        case 2: d.items.push_back({"'extra'", "1"}); return "extra key";
        default: {
          static const std::vector<std::string> keys{"'Descr'", "'shape '", "1", "None", "(1,)", "'descr'",
                                                     "'fortran_order'", "\"shape\"", "''", "'\\'"};
          d.items[i].first = rng.pick(keys);
          return "rename key";
        }
      }
    }
    case 4: {
      if (d.items.empty()) break;
      const std::size_t depth = nesting_depth(rng);
      const std::size_t kind = rng.below(3);  // lists, tuples or dicts
      const std::string v = kind == 0   ? nested(depth, false, "1")
                            : kind == 1 ? std::string(depth, '(') + std::string(depth, ')')
                                        : nested(depth, true, "1");
      d.items[rng.below(d.items.size())].second = v;
      return "nest " + std::to_string(depth);
    }
    case 5: {
      const std::uint64_t real = d.header().size();
      const std::uint64_t lens[] = {0, 1, real - 1, real + 1, real + 64, 0xffff, 0x10000, 0xffffffffull,
                                    real + d.data.size(), rng.below(1 << 16)};
      d.header_len = rng.pick(lens);
      return "header_len=" + std::to_string(*d.header_len);
    }
    case 6: {
      if (rng.percent(50) && !d.magic.empty()) {
        d.magic[rng.below(d.magic.size())] = char(rng.below(256));
      } else {
        static const std::vector<std::string> magics{"\x93NUM", "\x93numpy", "NUMPY\x93", ""};
        d.magic = rng.pick(magics);
      }
      return "magic";
    }
    case 7: {
      static const unsigned majors[] = {0, 1, 2, 3, 4, 255}, minors[] = {0, 0, 0, 1, 255};
      d.major = rng.pick(majors);
      d.minor = rng.pick(minors);
      return "version " + std::to_string(d.major) + "." + std::to_string(d.minor);
    }
    case 8: {
      static const std::vector<std::string> pads{"", " ", "\t", std::string(3, '\0'), "\r\n", "\n\n",
                                                 std::string(70000, ' ') + "\n", " #\n"};
      d.padding = rng.pick(pads);
      return "padding";
    }
    case 9: {
      const std::size_t k = 1 + rng.below(16);
      switch (rng.below(4)) {
        case 0: d.data.resize(d.data.size() > k ? d.data.size() - k : 0); return "data shorter";
        case 1: d.data.append(k, char(rng.below(256))); return "data longer";
        case 2: d.data.clear(); return "no data";
        default: d.data += d.data; return "data doubled";
      }
    }
    default: {
      static const std::vector<std::string> garbage{"'unterminated", "'a\\", "b'x'", "True False", "0x10", ".", "-",
                                                    "e5", "1e", "1.5e+", "'\\''", ":", ",", "{", "}", "\n", "\\",
                                                    "'\xff'", std::string(1, '\0'), "L"};
      if (d.items.empty()) break;
      auto& v = d.items[rng.below(d.items.size())].second;
      v.insert(rng.below(v.size() + 1), rng.pick(garbage));
      return "garbage in a value";
    }
  }
  d.data += '\0';
  return "data longer";
}

/// Case `rng`'s .npy file: a seed with one to three structural edits, and
/// byte-level mutations on top in some cases (or only those).
inline std::string mutate_npy(const std::vector<NpyDoc>& seeds, const std::vector<std::string>& seed_bytes, Rng& rng,
                              std::string& what) {
  NpyDoc d = rng.pick(seeds);
  const bool structural = rng.percent(75);
  if (structural)
    for (std::size_t i = 1 + rng.below(3); i > 0; --i) what += mutate_npy_doc(d, rng) + "; ";
  std::string out = d.bytes();
  static const std::vector<std::string> tokens{"'", "(", ")", ",", ":", "{", "}", "\n", "\x93NUMPY", "True", "L",
                                               "'descr'", "'<i4'", "(1,)", std::string(1, '\0')};
  if (!structural || rng.percent(30))
    for (std::size_t i = 1 + rng.below(structural ? 1 : 3); i > 0; --i)
      what += mutate_bytes(out, rng, seed_bytes, tokens) + "; ";
  return out;
}

// ------------------------------------------------------------ layer files (JSON)

/// Valid layer files: the README's and configs/examples' layers, fc layers,
/// chains, post-processing with per-channel lists, sparse formats, Winograd
/// fields, both padding forms, and the largest fields the reader accepts.
inline const std::vector<std::string>& layer_seeds() {
  static const std::vector<std::string> v{
      // README
      R"({"name": "conv1", "op": "conv2d", "in_channels": 64, "in_height": 56, "in_width": 56,
 "out_channels": 64, "kernel": [3, 3], "stride": [1, 1], "padding": [1, 1],
 "precision": "int8", "input_density": 0.6, "weight_density": 0.4,
 "post": {"multiplier": 1, "shift": 12, "relu": true}})",
      R"({"layers": [
  {"name": "conv1", "op": "conv2d", "in_channels": 3, "in_height": 32, "in_width": 32,
   "out_channels": 16, "kernel": [3, 3], "stride": [1, 1], "padding": [1, 1],
   "precision": "int8", "input_density": 0.5, "weight_density": 0.3,
   "post": {"multiplier": 1, "shift": 8, "relu": true}},
  {"op": "fc", "in_channels": 1024, "out_channels": 10}]})",
      // configs/examples/chain_zvc.json
      R"({"layers": [
  {"name": "conv_a", "op": "conv2d", "in_channels": 64, "in_height": 28, "in_width": 28, "out_channels": 64,
   "kernel": [3, 3], "padding": [1, 1], "weight_format": "zvc", "weight_density": 0.4,
   "post": {"multiplier": 1, "shift": 12, "relu": true}},
  {"name": "conv_b", "op": "conv2d", "in_channels": 64, "in_height": 28, "in_width": 28, "out_channels": 128,
   "kernel": [3, 3], "stride": [2, 2], "padding": [1, 1], "weight_format": "2:4", "activation_format": "zvc",
   "post": {"multiplier": 1, "shift": 11, "relu": true}},
  {"name": "head", "op": "conv2d", "in_channels": 128, "in_height": 14, "in_width": 14, "out_channels": 10,
   "kernel": [1, 1], "weight_format": "zvc", "activation_format": "zvc", "weight_density": 0.2}
]})",
      // configs/examples/resnet50_conv3_2to4_zvc.json
      R"({"name": "conv3", "op": "conv2d", "in_channels": 128, "in_height": 28, "in_width": 28,
 "out_channels": 128, "kernel": [3, 3], "stride": [1, 1], "padding": [1, 1], "precision": "int8",
 "weight_format": "2:4", "activation_format": "zvc", "input_density": 0.4, "weight_density": 0.4,
 "post": {"multiplier": 1, "shift": 10, "relu": true}})",
      R"({"op": "fc", "in_channels": 1024, "out_channels": 10})",
      R"({"name": "head", "op": "fc", "in_channels": 16, "out_channels": 4, "in_height": 1, "in_width": 1,
 "kernel": [1, 1], "stride": [1, 1], "padding": [0, 0], "precision": "int16",
 "post": {"multiplier": [1, -2, 3, 2147483647], "shift": [0, 1, 62, 7], "relu": false}})",
      R"({"name": "wino", "op": "conv2d", "in_channels": 8, "in_height": 9, "in_width": 7, "out_channels": 16,
 "kernel": [3, 3], "padding": [1, 0, 1, 1], "winograd": "nvdla", "winograd_strict": true,
 "winograd_input_shift": 1, "activation_format": "zvc", "post": {"multiplier": -2147483648, "shift": 0}})",
      R"({"layers": [
  {"name": "w_exact", "op": "conv2d", "in_channels": 16, "in_height": 10, "in_width": 10, "out_channels": 16,
   "kernel": [3, 3], "padding": [1, 1], "winograd": "exact", "post": {"shift": 9, "relu": true}},
  {"name": "w_auto", "op": "conv2d", "in_channels": 16, "in_height": 10, "in_width": 10, "out_channels": 8,
   "kernel": [3, 3], "winograd": "auto", "winograd_input_shift": 0, "precision": "int16",
   "activation_format": "zvc", "post": {"multiplier": [1, 2, 3, 4, 5, 6, 7, 8], "shift": [1]}},
  {"name": "sparse", "op": "conv2d", "in_channels": 8, "in_height": 8, "in_width": 8, "out_channels": 4,
   "kernel": [1, 1], "weight_format": "2:4", "winograd": "off", "winograd_strict": false, "input_density": 0,
   "weight_density": 1}]})",
      R"({"op": "conv2d", "in_channels": 1, "in_height": 1, "in_width": 1, "out_channels": 1})",
      // configs/examples/mobilenetv2_dw.json at 14x14, and 2:4 groups
      R"({"layers": [
  {"name": "dw", "op": "conv2d", "in_channels": 96, "in_height": 14, "in_width": 14, "out_channels": 96,
   "groups": 96, "kernel": [3, 3], "stride": [2, 2], "padding": [1, 1], "post": {"shift": 7, "relu": true}},
  {"name": "g4", "op": "conv2d", "in_channels": 96, "in_height": 7, "in_width": 7, "out_channels": 8, "groups": 4,
   "weight_format": "2:4", "activation_format": "zvc"}]})",
      // configs/examples/resnet50_pool_block.json, narrowed: pool layers and a residual add
      R"({"layers": [
  {"name": "pool1", "op": "maxpool", "in_channels": 64, "in_height": 28, "in_width": 28,
   "kernel": [3, 3], "stride": [2, 2], "padding": [1, 1]},
  {"name": "conv", "op": "conv2d", "in_channels": 64, "in_height": 14, "in_width": 14, "out_channels": 64,
   "kernel": [3, 3], "padding": [1, 1], "post": {"multiplier": 1, "shift": 12, "relu": true}, "residual": true},
  {"name": "avg", "op": "avgpool", "in_channels": 64, "out_channels": 64, "in_height": 14, "in_width": 14,
   "kernel": [2, 3], "stride": [2, 1], "padding": [1, 0, 0, 2], "precision": "int8"},
  {"name": "gap", "op": "global_avgpool", "in_channels": 64, "in_height": 7, "in_width": 14}]})",
      R"({"name": "widest", "op": "conv2d", "in_channels": 2, "in_height": 65535, "in_width": 65535,
 "out_channels": 65535, "kernel": [1, 1], "stride": [65535, 65535]})",
      R"({"name": "deepest_int16", "op": "conv2d", "in_channels": 65535, "in_height": 255, "in_width": 255,
 "out_channels": 1, "kernel": [255, 255], "padding": [254, 0, 254, 0], "precision": "int16"})",
  };
  return v;
}

/// Every key a layer file knows, and near misses.
inline const std::vector<std::string>& layer_keys() {
  static const std::vector<std::string> v{
      "name", "op", "in_channels", "out_channels", "in_height", "in_width", "kernel", "stride", "padding",
      "precision", "input_density", "weight_density", "weight_format", "activation_format", "post", "winograd",
      "winograd_strict", "winograd_input_shift", "groups", "residual", "layers", "multiplier", "shift", "relu", "kernal", "", "Op",
      "name ", "post.shift", "\u00e9"};
  return v;
}

/// JSON that nlohmann::json cannot hold is placed as "@@RAWn@@" strings and
/// substituted after dump(): invalid numbers, invalid UTF-8, duplicate keys.
class RawJson {
 public:
  std::string mark(std::string raw) {
    raws_.push_back(std::move(raw));
    return "@@RAW" + std::to_string(raws_.size() - 1) + "@@";
  }
  std::string render(const nlohmann::ordered_json& j, int indent) const {
    std::string s = j.dump(indent);
    for (std::size_t i = 0; i < raws_.size(); ++i) {
      const std::string m = "\"@@RAW" + std::to_string(i) + "@@\"";
      for (std::size_t at = s.find(m); at != std::string::npos; at = s.find(m, at + raws_[i].size()))
        s.replace(at, m.size(), raws_[i]);
    }
    return s;
  }

 private:
  std::vector<std::string> raws_;
};

/// A JSON value of some type, as text: what a field may be changed into.
inline std::string json_value(Rng& rng) {
  static const std::vector<std::string> v{
      "null", "true", "false", "0", "-1", "1", "3", "2.5", "-0.0", "1e2", "\"\"", "\"conv2d\"", "\"fc\"",
      "\"int16\"", "\"int8\"", "\"dense\"", "\"2:4\"", "\"zvc\"", "\"nvdla\"", "\"exact\"", "\"auto\"", "\"off\"",
      "[]", "[1]", "[3, 3]", "[2, 2]", "[1, 1, 1, 1]", "[0, 0]", "[1, 2, 3]", "[1, 0]", "{}", "{\"relu\": true}",
      "{\"multiplier\": [1, 2], \"shift\": 70}", "\"\\u0000\"", "\"\\ud83d\\ude00\"", "\"\\ud800\"", "\"\xff\xfe\"",
      "\"" + std::string(5000, 'x') + "\"", "[1e400]", "{\"op\": \"fc\"}"};
  if (rng.percent(35)) return rng.pick(extreme_numbers());
  return rng.pick(v);
}

/// One edit of the document tree: change a value's type, drop, add or
/// duplicate a key, nest deeply, swap values, wrap a layer in a list or take
/// one out, add or remove layers, graft a subtree of another seed.
inline std::string mutate_json_tree(nlohmann::ordered_json& root, RawJson& raw, Rng& rng,
                                    const std::vector<nlohmann::ordered_json>& others) {
  using ojson = nlohmann::ordered_json;
  std::vector<ojson*> nodes{&root};
  for (std::size_t i = 0; i < nodes.size(); ++i)
    if (nodes[i]->is_structured())
      for (auto& child : *nodes[i]) nodes.push_back(&child);
  std::vector<ojson*> objects;
  for (ojson* n : nodes)
    if (n->is_object()) objects.push_back(n);
  ojson& node = *rng.pick(nodes);
  const unsigned op = unsigned(rng.below(9));
  if (objects.empty() && (op == 1 || op == 2 || op == 3 || op == 5)) {
    node = raw.mark(json_value(rng));
    return "retype";
  }
  switch (op) {
    case 0: node = raw.mark(json_value(rng)); return "retype";
    case 1: {
      ojson& o = *rng.pick(objects);
      if (o.empty()) break;
      auto it = o.begin();
      std::advance(it, long(rng.below(o.size())));
      const std::string key = it.key();
      o.erase(key);
      return "drop " + key;
    }
    case 2: {
      const std::string& key = rng.pick(layer_keys());
      (*rng.pick(objects))[key] = raw.mark(json_value(rng));
      return "set " + key;
    }
    case 3: {
      // A key twice in one object (dump() cannot write that, so via a placeholder key).
      ojson& o = *rng.pick(objects);
      const std::string key = o.empty() || rng.percent(30) ? rng.pick(layer_keys()) : o.begin().key();
      o[raw.mark(ojson(key).dump())] = raw.mark(json_value(rng));
      return "duplicate " + key;
    }
    case 4: {
      const std::size_t depth = nesting_depth(rng);
      node = raw.mark(nested(depth, rng.percent(40), rng.percent(50) ? "1" : json_value(rng)));
      return "nest " + std::to_string(depth);
    }
    case 5: {
      ojson& o = *rng.pick(objects);
      if (o.size() < 2) break;
      auto a = o.begin(), b = o.begin();
      std::advance(a, long(rng.below(o.size())));
      std::advance(b, long(rng.below(o.size())));
      std::swap(a.value(), b.value());
      return "swap " + a.key() + " " + b.key();
    }
    case 6: {
      if (root.is_object() && root.contains("layers") && root["layers"].is_array() && !root["layers"].empty()) {
        ojson one = root["layers"][rng.below(root["layers"].size())];
        root = std::move(one);
        return "unwrap";
      }
      root = ojson{{"layers", ojson::array({root})}};
      return "wrap";
    }
    case 7: {
      if (!root.is_object() || !root.contains("layers") || !root["layers"].is_array()) break;
      ojson& list = root["layers"];
      switch (rng.below(3)) {
        case 0:
          if (list.empty()) break;
          list.erase(list.begin() + long(rng.below(list.size())));
          return "remove a layer";
        case 1: list.clear(); return "no layers";
        default: {
          const ojson& other = rng.pick(others);
          list.push_back(other.contains("layers") ? other["layers"][0] : other);
          return "add a layer";
        }
      }
      break;
    }
    default: {
      // A subtree of another seed in place of this node.
      const ojson& other = rng.pick(others);
      std::vector<const ojson*> theirs{&other};
      for (std::size_t i = 0; i < theirs.size(); ++i)
        if (theirs[i]->is_structured())
          for (const auto& child : *theirs[i]) theirs.push_back(&child);
      node = *rng.pick(theirs);
      return "graft";
    }
  }
  node = raw.mark(rng.pick(extreme_numbers()));
  return "extreme number";
}

/// Layer files to start from, as text and as trees (grafts take subtrees of any of them).
struct LayerSeeds {
  explicit LayerSeeds(std::vector<std::string> docs) : texts(std::move(docs)) {
    for (const auto& s : texts) trees.push_back(nlohmann::ordered_json::parse(s));
  }
  std::vector<std::string> texts;
  std::vector<nlohmann::ordered_json> trees;
};

inline const LayerSeeds& default_layer_seeds() {
  static const LayerSeeds seeds(layer_seeds());
  return seeds;
}

/// Case `rng`'s layer file: tree edits, byte-level mutations, or both.
inline std::string mutate_layer_file(Rng& rng, std::string& what, const LayerSeeds& seeds = default_layer_seeds()) {
  static const std::vector<std::string> tokens{
      "{", "}", "[", "]", "\"", ",", ":", "\\", "null", "1e400", "-", "\xef\xbb\xbf", std::string(1, '\0'), "/*",
      "//", "\xff", "\"\\u", "\\ud800", " ", "\n", "\"layers\": [", "\"op\": \"fc\", ", "[[[[[[[[", "]]]]]]]]"};
  const std::size_t s = rng.below(seeds.texts.size());
  std::string out = seeds.texts[s];
  const unsigned mode = unsigned(rng.below(10));  // 0-5 tree, 6-7 tree and bytes, 8-9 bytes
  if (mode < 8) {
    nlohmann::ordered_json tree = seeds.trees[s];
    RawJson raw;
    for (std::size_t i = 1 + rng.below(3); i > 0; --i) what += mutate_json_tree(tree, raw, rng, seeds.trees) + "; ";
    out = raw.render(tree, rng.percent(50) ? -1 : 2);
  }
  if (mode >= 6)
    for (std::size_t i = 1 + rng.below(mode >= 8 ? 3 : 1); i > 0; --i)
      what += mutate_bytes(out, rng, seeds.texts, tokens) + "; ";
  return out;
}

// ------------------------------------------------------------ energy tables (YAML)

/// The built-in table, and small ones in block, flow and anchored styles
/// (arguments of both kinds, an empty table list, a component nothing counts).
inline const std::vector<std::string>& energy_seeds() {
  static const std::vector<std::string> v{
      default_energy_table_yaml(),
      R"(ERT:
  version: '0.4'
  tables:
    - name: mac_array
      actions:
        - name: mac_random
          arguments: {precision: int16, preset: small}
          energy: 1.5
          source: "custom"
        - {name: mac_gated, energy: 0}
    - name: dram
      actions:
        - name: read_bytes
          energy: 31.25
)",
      "ERT: {tables: [{name: accumulator, actions: [{name: add, energy: 0.1, arguments: {precision: int8}}]}]}\n",
      R"(# anchors, comments and a document marker
---
ERT:
  tables:
    - name: unified_buffer   # the buffer
      actions:
        - &rd {name: read_bytes, energy: 2.5, arguments: {preset: full}}
        - name: write_bytes
          energy: 2.5e0
          source: 'estimate'
    - name: post_processor
      actions: [{name: elements, energy: 1e-3}, {name: requantize, energy: .5, source: ""}]
)",
      "ERT:\n  tables: []\n",
      "ERT:\n  tables:\n    - name: mac_aray\n      actions:\n        - name: mac_random\n          energy: 0.2\n",
  };
  return v;
}

/// YAML values of every kind, for a key's value.
inline std::string yaml_value(Rng& rng) {
  static const std::vector<std::string> v{
      "~", "null", "true", "[]", "{}", "[1, 2]", "{pj: 1}", "''", "\"a\\\"b\"", "!!binary AAAA", "!!int 3",
      "!!float .nan", "!custom x", "*nope", "&a 1", "|\n  text", ">-", "- a", "{precision: int8, preset: full}",
      "{precision: int3}", "{precision: [int8]}", "{? a : b}", "{precision: {a: 1}}", "[a, [b]]", "'1.5pJ'",
      "mac_aray", "dram", "mac_random", "read_bytes", "\"\\x00\"", "\"\\uD800\"", "'" + std::string(3000, 'y') + "'",
      "&self [*self]", "{<<: {energy: 1}}", "!!map {}", "!!seq []", "? x"};
  if (rng.percent(35)) return rng.pick(extreme_numbers());
  if (rng.percent(5)) return nested(nesting_depth(rng), rng.percent(50), "1", false);
  return rng.pick(v);
}

/// One line-level edit: change a value, drop or duplicate a line or a block,
/// rename a key (typos included), change indentation, anchors and aliases,
/// document markers and directives, lines of another seed.
inline std::string mutate_yaml_lines(std::string& doc, Rng& rng) {
  std::vector<std::string> lines;
  for (std::size_t b = 0; b <= doc.size();) {
    const std::size_t e = std::min(doc.find('\n', b), doc.size());
    lines.push_back(doc.substr(b, e - b));
    b = e + 1;
  }
  auto indent = [](const std::string& l) { return l.find_first_not_of(" -"); };
  const std::size_t i = rng.below(lines.size());
  std::string& line = lines[i];
  const std::size_t colon = line.find(": ");
  std::string what;
  switch (rng.below(9)) {
    case 0:
      if (colon == std::string::npos) line += ": " + yaml_value(rng);
      else line = line.substr(0, colon + 2) + yaml_value(rng);
      what = "value";
      break;
    case 1: lines.erase(lines.begin() + long(i)); what = "drop line"; break;
    case 2: {
      std::size_t e = i + 1;
      while (e < lines.size() && indent(lines[e]) > indent(line) && indent(lines[e]) != std::string::npos) ++e;
      const std::vector<std::string> block(lines.begin() + long(i), lines.begin() + long(e));
      if (rng.percent(50)) lines.erase(lines.begin() + long(i), lines.begin() + long(e));
      else lines.insert(lines.begin() + long(e), block.begin(), block.end());
      what = "drop or duplicate block";
      break;
    }
    case 3: {
      static const std::vector<std::string> keys{"name", "energy", "arguments", "source", "actions", "tables",
                                                 "version", "ERT", "enrgy", "<<", "? complex", "", "Name", "ert",
                                                 "precision", "preset", "'energy'", "energy ", "\"name\""};
      const std::size_t b = line.find_first_not_of(" -");
      if (colon != std::string::npos && b != std::string::npos && b < colon)
        line.replace(b, colon - b, rng.pick(keys));
      else line.insert(0, rng.pick(keys) + ": ");
      what = "rename key";
      break;
    }
    case 4: {
      static const std::vector<std::string> indents{" ", "  ", "\t", "    "};
      if (rng.percent(50)) line.insert(0, rng.pick(indents));
      else if (!line.empty() && line[0] == ' ') line.erase(0, 1 + rng.below(std::min<std::size_t>(4, line.size())));
      what = "indent";
      break;
    }
    case 5: {
      const std::size_t j = rng.below(lines.size());
      if (colon != std::string::npos) line.insert(colon + 2, "&a ");
      const std::size_t c = lines[j].find(": ");
      if (c != std::string::npos) lines[j] = lines[j].substr(0, c + 2) + (rng.percent(70) ? "*a" : "{<<: *a}");
      what = "anchor and alias";
      break;
    }
    case 6: {
      static const std::vector<std::string> marks{"---", "...", "%YAML 1.2", "%TAG ! tag:x,2000:", "--- !!str",
                                                  "#", "- ", "? ", "--- |"};
      lines.insert(lines.begin() + long(i), rng.pick(marks));
      what = "marker";
      break;
    }
    case 7: {
      const std::string& other = rng.pick(energy_seeds());
      const std::size_t from = rng.below(other.size() + 1), len = rng.below(400);
      lines.insert(lines.begin() + long(i), other.substr(from, len));
      what = "lines of another seed";
      break;
    }
    default:
      lines.insert(lines.begin() + long(i), line);
      what = "duplicate line";
      break;
  }
  doc.clear();
  for (std::size_t k = 0; k < lines.size(); ++k) doc += (k ? "\n" : "") + lines[k];
  return what;
}

/// Case `rng`'s energy table: line edits, byte-level mutations, or both.
inline std::string mutate_energy_table(Rng& rng, std::string& what) {
  static const std::vector<std::string> tokens{
      ":", "- ", "{", "}", "[", "]", "&a ", "*a", "!!", "|", ">", "#", "'", "\"", "\t", "\n", "? ", "%", "@", "`",
      "\xff", std::string(1, '\0'), "\r", "---\n", "...\n", "<<: ", "\xef\xbb\xbf", ": ~", "\n  - "};
  std::string out = rng.pick(energy_seeds());
  const unsigned mode = unsigned(rng.below(10));  // 0-5 lines, 6-7 lines and bytes, 8-9 bytes
  if (mode < 8)
    for (std::size_t i = 1 + rng.below(3); i > 0; --i) what += mutate_yaml_lines(out, rng) + "; ";
  if (mode >= 6)
    for (std::size_t i = 1 + rng.below(mode >= 8 ? 3 : 1); i > 0; --i)
      what += mutate_bytes(out, rng, energy_seeds(), tokens) + "; ";
  return out;
}

}  // namespace sdla::fuzz
