#include "io/npy.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <limits>
#include <utility>
#include <vector>

static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__,
              "npy.cpp copies little-endian file data straight into memory");

namespace sdla::npy {

const char* to_string(DType d) {
  switch (d) {
    case DType::i8: return "int8";
    case DType::i16: return "int16";
    case DType::i32: return "int32";
    case DType::i64: return "int64";
    case DType::f32: return "float32";
  }
  return "?";
}

const char* descr(DType d) {
  switch (d) {
    case DType::i8: return "|i1";
    case DType::i16: return "<i2";
    case DType::i32: return "<i4";
    case DType::i64: return "<i8";
    case DType::f32: return "<f4";
  }
  return "?";
}

std::size_t item_size(DType d) {
  switch (d) {
    case DType::i8: return 1;
    case DType::i16: return 2;
    case DType::i32: return 4;
    case DType::i64: return 8;
    case DType::f32: return 4;
  }
  return 0;
}

namespace {

constexpr char kMagic[] = "\x93NUMPY";
constexpr std::size_t kMagicLen = 6;
constexpr std::size_t kAlign = 64;

[[noreturn]] void fail(const std::string& path, const std::string& what) {
  throw NpyError(path + ": " + what);
}

/// At most `max` characters of `s`, non-printable bytes escaped, for messages.
std::string printable(const std::string& s, std::size_t max = 160) {
  std::string out;
  for (std::size_t i = 0; i < s.size() && i < max; ++i) {
    const unsigned char c = static_cast<unsigned char>(s[i]);
    if (c == '\n') out += "\\n";
    else if (c < 0x20 || c >= 0x7f) out += fmt::format("\\x{:02x}", c);
    else out += char(c);
  }
  if (s.size() > max) out += "...";
  return out;
}

/// Python's repr of a shape tuple: (), (5,), (2, 3).
std::string py_shape(const Shape& shape) {
  std::string s = "(";
  for (std::size_t i = 0; i < shape.size(); ++i) s += (i ? ", " : "") + std::to_string(shape[i]);
  return s + (shape.size() == 1 ? ",)" : ")");
}

// ---------------------------------------------------------------------------
// A parser for the Python literals that can appear in a .npy header.

struct PyValue {
  enum Kind { str, boolean, none, integer, real, tuple, list, dict } kind = none;
  std::string text;          // str: contents; integer/real: the literal as written
  bool flag = false;         // boolean: value; integer: negative
  std::vector<PyValue> items;  // tuple, list; dict: alternating keys and values
};

const char* kind_name(PyValue::Kind k) {
  switch (k) {
    case PyValue::str: return "a string";
    case PyValue::boolean: return "a boolean";
    case PyValue::none: return "None";
    case PyValue::integer: return "an integer";
    case PyValue::real: return "a floating-point number";
    case PyValue::tuple: return "a tuple";
    case PyValue::list: return "a list";
    case PyValue::dict: return "a dict";
  }
  return "?";
}

class LiteralParser {
 public:
  LiteralParser(const std::string& text, const std::string& path) : s_(text), path_(path) {}

  PyValue parse_document() {
    skip_space();
    if (pos_ >= s_.size() || s_[pos_] != '{') error("expected '{'");
    PyValue v = value(0);
    skip_space();
    if (pos_ != s_.size()) error("unexpected text after the closing '}'");
    return v;
  }

 private:
  [[noreturn]] void error(const std::string& what) const {
    fail(path_, fmt::format("header is not a valid Python dict literal: {} at offset {} of \"{}\"",
                            what, pos_, printable(s_)));
  }

  void skip_space() {
    while (pos_ < s_.size() && (s_[pos_] == ' ' || s_[pos_] == '\t' || s_[pos_] == '\n' ||
                                s_[pos_] == '\r' || s_[pos_] == '\f' || s_[pos_] == '\v'))
      ++pos_;
  }

  char peek() {
    skip_space();
    if (pos_ >= s_.size()) error("unexpected end of header");
    return s_[pos_];
  }

  void expect(char c) {
    if (peek() != c) error(fmt::format("expected '{}'", c));
    ++pos_;
  }

  PyValue value(int depth) {
    if (depth > 32) error("literal nested too deeply");
    const char c = peek();
    if (c == '{') return container(depth, '}', PyValue::dict);
    if (c == '(') return container(depth, ')', PyValue::tuple);
    if (c == '[') return container(depth, ']', PyValue::list);
    if (c == '\'' || c == '"') return string();
    if ((c >= '0' && c <= '9') || c == '-' || c == '+' || c == '.') return number();
    if (std::isalpha(static_cast<unsigned char>(c)) || c == '_') {
      std::size_t end = pos_;
      while (end < s_.size() && (std::isalnum(static_cast<unsigned char>(s_[end])) || s_[end] == '_')) ++end;
      const std::string word = s_.substr(pos_, end - pos_);
      PyValue v;
      if (word == "True" || word == "False") {
        v.kind = PyValue::boolean;
        v.flag = word == "True";
      } else if (word == "None") {
        v.kind = PyValue::none;
      } else {
        error("unexpected name '" + printable(word, 40) + "'");
      }
      pos_ = end;
      return v;
    }
    error(fmt::format("unexpected character '{}'", printable(std::string(1, c))));
  }

  PyValue container(int depth, char close, PyValue::Kind kind) {
    ++pos_;  // opening bracket
    PyValue v;
    v.kind = kind;
    bool comma = false;
    while (peek() != close) {
      if (kind == PyValue::dict) {
        PyValue key = value(depth + 1);
        if (key.kind != PyValue::str) error(std::string("dict key is ") + kind_name(key.kind) + ", not a string");
        expect(':');
        v.items.push_back(std::move(key));
      }
      v.items.push_back(value(depth + 1));
      if (peek() == close) break;
      expect(',');
      comma = true;
    }
    ++pos_;  // closing bracket
    // "(3)" is just a parenthesised 3 in Python, not a tuple.
    if (kind == PyValue::tuple && v.items.size() == 1 && !comma) return std::move(v.items[0]);
    return v;
  }

  PyValue string() {
    const char quote = s_[pos_++];
    PyValue v;
    v.kind = PyValue::str;
    while (true) {
      if (pos_ >= s_.size() || s_[pos_] == '\n') error("unterminated string");
      const char c = s_[pos_++];
      if (c == quote) break;
      if (c == '\\') {
        if (pos_ >= s_.size()) error("unterminated string");
        v.text += s_[pos_++];
      } else {
        v.text += c;
      }
    }
    return v;
  }

  PyValue number() {
    const std::size_t start = pos_;
    PyValue v;
    v.kind = PyValue::integer;
    if (s_[pos_] == '-' || s_[pos_] == '+') {
      v.flag = s_[pos_] == '-';
      ++pos_;
    }
    auto digits = [&] {
      std::size_t n = 0;
      while (pos_ < s_.size() && std::isdigit(static_cast<unsigned char>(s_[pos_]))) ++pos_, ++n;
      return n;
    };
    std::size_t n = digits();
    if (pos_ < s_.size() && s_[pos_] == '.') {
      ++pos_;
      n += digits();
      v.kind = PyValue::real;
    }
    if (n == 0) {
      pos_ = start;
      error("malformed number");
    }
    if (pos_ < s_.size() && (s_[pos_] == 'e' || s_[pos_] == 'E')) {
      ++pos_;
      if (pos_ < s_.size() && (s_[pos_] == '-' || s_[pos_] == '+')) ++pos_;
      if (digits() == 0) error("malformed exponent");
      v.kind = PyValue::real;
    }
    v.text = s_.substr(start, pos_ - start);
    // Python 2 wrote long integers as 3L.
    if (v.kind == PyValue::integer && pos_ < s_.size() && (s_[pos_] == 'L' || s_[pos_] == 'l')) ++pos_;
    return v;
  }

  const std::string& s_;
  const std::string& path_;
  std::size_t pos_ = 0;
};

std::string describe(const PyValue& v) {
  switch (v.kind) {
    case PyValue::integer:
    case PyValue::real: return v.text;
    case PyValue::str: return "'" + printable(v.text, 40) + "'";
    case PyValue::boolean: return v.flag ? "True" : "False";
    default: return kind_name(v.kind);
  }
}

DType parse_descr(const std::string& path, const PyValue& v) {
  if (v.kind != PyValue::str)
    fail(path, std::string("'descr' is ") + kind_name(v.kind) +
                   ", expected a dtype string (structured dtypes are not supported)");
  const std::string& d = v.text;
  if (d == "|i1" || d == "<i1") return DType::i8;
  if (d == "<i2") return DType::i16;
  if (d == "<i4") return DType::i32;
  if (d == "<i8") return DType::i64;
  if (d == "<f4") return DType::f32;
  if (!d.empty() && d[0] == '>')
    fail(path, "big-endian descr '" + printable(d, 40) + "' is not supported (little-endian only)");
  fail(path, "unsupported descr '" + printable(d, 40) +
                 "' (supported: '|i1', '<i1', '<i2', '<i4', '<i8', '<f4')");
}

Shape parse_shape(const std::string& path, const PyValue& v) {
  if (v.kind != PyValue::tuple) fail(path, "'shape' is " + describe(v) + ", expected a tuple of integers");
  Shape shape;
  for (std::size_t i = 0; i < v.items.size(); ++i) {
    const PyValue& e = v.items[i];
    if (e.kind != PyValue::integer)
      fail(path, fmt::format("shape entry {} is {}, expected a non-negative integer", i, describe(e)));
    std::uint64_t n = 0;
    bool overflow = false;
    for (char c : e.text) {
      if (c < '0' || c > '9') continue;  // sign
      overflow |= __builtin_mul_overflow(n, 10u, &n) || __builtin_add_overflow(n, unsigned(c - '0'), &n);
    }
    if (e.flag && n != 0) fail(path, fmt::format("shape entry {} is negative ({})", i, e.text));
    if (overflow || n > std::numeric_limits<std::size_t>::max())
      fail(path, fmt::format("shape entry {} ({}) does not fit in 64 bits", i, e.text));
    shape.push_back(std::size_t(n));
  }
  return shape;
}

std::uint64_t read_le(const unsigned char* p, unsigned n) {
  std::uint64_t v = 0;
  for (unsigned i = n; i-- > 0;) v = v << 8 | p[i];
  return v;
}

struct Opened {
  std::ifstream in;
  Header header;
  std::uint64_t data_bytes = 0;
};

/// Opens `path` and checks everything except the data contents.
void open_and_parse(const std::string& path, Opened& o) {
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec)) fail(path, "cannot open for reading: is a directory");
  errno = 0;
  o.in.open(path, std::ios::binary);
  if (!o.in) fail(path, std::string("cannot open for reading: ") + (errno ? std::strerror(errno) : "unknown error"));
  o.in.seekg(0, std::ios::end);
  const std::streamoff end = o.in.tellg();
  if (end < 0) fail(path, "cannot determine the file size");
  const std::uint64_t size = std::uint64_t(end);
  o.in.seekg(0);

  unsigned char pre[12] = {};
  const std::size_t got = std::size_t(std::min<std::uint64_t>(size, sizeof pre));
  if (!o.in.read(reinterpret_cast<char*>(pre), std::streamsize(got))) fail(path, "read error in the preamble");
  if (std::memcmp(pre, kMagic, std::min(got, kMagicLen)) != 0)
    fail(path, fmt::format("bad magic \"{}\": not a .npy file (expected \"\\x93NUMPY\")",
                           printable(std::string(reinterpret_cast<char*>(pre), std::min(got, kMagicLen)))));
  if (size < 8) fail(path, fmt::format("file is only {} bytes, too short for the .npy preamble", size));
  const unsigned major = pre[6], minor = pre[7];
  if (major < 1 || major > 3 || minor != 0)
    fail(path, fmt::format("unsupported .npy format version {}.{} (supported: 1.0, 2.0, 3.0)", major, minor));
  const unsigned len_bytes = major == 1 ? 2 : 4;
  const std::uint64_t preamble = 8 + len_bytes;
  if (size < preamble)
    fail(path, fmt::format("file is only {} bytes, too short for the {}-byte preamble of format {}.0",
                           size, preamble, major));
  const std::uint64_t header_len = read_le(pre + 8, len_bytes);
  if (preamble + header_len > size)
    fail(path, fmt::format("header length {} runs past the end of the file ({} bytes after the {}-byte preamble)",
                           header_len, size - preamble, preamble));

  std::string text(std::size_t(header_len), '\0');
  o.in.seekg(std::streamoff(preamble));
  if (!o.in.read(text.data(), std::streamsize(header_len))) fail(path, "read error in the header");

  const PyValue dict = LiteralParser(text, path).parse_document();
  const PyValue *d = nullptr, *f = nullptr, *s = nullptr;
  for (std::size_t i = 0; i + 1 < dict.items.size(); i += 2) {
    const std::string& key = dict.items[i].text;
    const PyValue** slot = key == "descr" ? &d : key == "fortran_order" ? &f : key == "shape" ? &s : nullptr;
    if (!slot)
      fail(path, "header has the unexpected key '" + printable(key, 40) +
                     "' (a .npy header has exactly 'descr', 'fortran_order' and 'shape')");
    if (*slot) fail(path, "header has the key '" + key + "' twice");
    *slot = &dict.items[i + 1];
  }
  const std::pair<const PyValue*, const char*> required[] = {{d, "descr"}, {f, "fortran_order"}, {s, "shape"}};
  for (const auto& [p, name] : required)
    if (!p) fail(path, std::string("header lacks the key '") + name + "'");

  Header& h = o.header;
  h.version_major = major;
  h.data_offset = preamble + header_len;
  h.dtype = parse_descr(path, *d);
  if (f->kind != PyValue::boolean) fail(path, "'fortran_order' is " + describe(*f) + ", expected True or False");
  if (f->flag) fail(path, "fortran_order True (column-major data) is not supported; save a C-ordered array");
  h.shape = parse_shape(path, *s);

  std::uint64_t count = 1;
  bool zero = false, overflow = false;
  for (std::size_t n : h.shape) {
    zero |= n == 0;
    overflow |= __builtin_mul_overflow(count, std::uint64_t(n), &count);
  }
  std::uint64_t need = 0;
  if (!zero) {
    overflow |= __builtin_mul_overflow(count, std::uint64_t(item_size(h.dtype)), &need);
    if (overflow)
      fail(path, "shape " + py_shape(h.shape) + " has more bytes than fit in 64 bits (element count overflows)");
  }
  o.data_bytes = need;
  const std::uint64_t have = size - h.data_offset;
  if (have < need)
    fail(path, fmt::format("data is {} bytes but shape {} of {} needs {} (file truncated)", have,
                           py_shape(h.shape), descr(h.dtype), need));
  if (have > need)
    fail(path, fmt::format("{} trailing bytes after the {} data bytes of shape {} of {}", have - need, need,
                           py_shape(h.shape), descr(h.dtype)));
}

}  // namespace

Header read_header(const std::string& path) {
  Opened o;
  open_and_parse(path, o);
  return o.header;
}

template <class T>
sdla::Tensor<T> read(const std::string& path) {
  Opened o;
  open_and_parse(path, o);
  constexpr DType want = dtype_of<T>::value;
  if (o.header.dtype != want)
    fail(path, fmt::format("dtype is '{}' ({}), expected '{}' ({})", descr(o.header.dtype),
                           to_string(o.header.dtype), descr(want), to_string(want)));
  sdla::Tensor<T> t(o.header.shape);
  if (o.data_bytes > 0) {
    o.in.seekg(std::streamoff(o.header.data_offset));
    if (!o.in.read(reinterpret_cast<char*>(t.data()), std::streamsize(o.data_bytes)))
      fail(path, "read error in the data (was the file truncated while reading?)");
  }
  return t;
}

template <class T>
void write(const std::string& path, const sdla::Tensor<T>& t) {
  constexpr DType dt = dtype_of<T>::value;
  if (t.size() != element_count(t.shape()))
    fail(path, fmt::format("cannot write: tensor holds {} values but shape {} needs {}", t.size(),
                           sdla::to_string(t.shape()), element_count(t.shape())));
  // The layout numpy.save produces: keys sorted, trailing ", ", spaces to the
  // 64-byte boundary minus one, then '\n'.
  std::string header =
      fmt::format("{{'descr': '{}', 'fortran_order': False, 'shape': {}, }}", descr(dt), py_shape(t.shape()));
  // Like numpy, pad with 1 to 64 spaces (64 when already aligned).
  auto padding = [&](std::size_t preamble) { return kAlign - (preamble + header.size() + 1) % kAlign; };
  unsigned major = 1;
  if (header.size() + 1 + padding(10) > 65535) major = 2;  // numpy falls back to 2.0 too
  header.append(padding(major == 1 ? 10 : 12), ' ');
  header += '\n';
  const std::uint64_t hlen = header.size();

  std::string pre(kMagic, kMagicLen);
  pre += char(major);
  pre += char(0);
  for (unsigned i = 0; i < (major == 1 ? 2u : 4u); ++i) pre += char((hlen >> (8 * i)) & 0xff);

  errno = 0;
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  if (!out) fail(path, std::string("cannot open for writing: ") + (errno ? std::strerror(errno) : "unknown error"));
  out.write(pre.data(), std::streamsize(pre.size()));
  out.write(header.data(), std::streamsize(header.size()));
  if (t.size() > 0) out.write(reinterpret_cast<const char*>(t.data()), std::streamsize(t.size() * sizeof(T)));
  out.close();
  if (!out) fail(path, "write error");
}

#define SDLA_NPY_INSTANTIATE(T)                               \
  template sdla::Tensor<T> read<T>(const std::string& path); \
  template void write<T>(const std::string& path, const sdla::Tensor<T>& t);
SDLA_NPY_INSTANTIATE(std::int8_t)
SDLA_NPY_INSTANTIATE(std::int16_t)
SDLA_NPY_INSTANTIATE(std::int32_t)
SDLA_NPY_INSTANTIATE(std::int64_t)
SDLA_NPY_INSTANTIATE(float)
#undef SDLA_NPY_INSTANTIATE

}  // namespace sdla::npy
