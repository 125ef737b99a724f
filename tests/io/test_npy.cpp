// Tests of tb/io/npy: round trips, the exact bytes numpy writes, and one test
// per kind of malformed file; and output paths checked before the work.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <limits>
#include <sstream>
#include <string>

#include "io/npy.hpp"
#include "io/output_file.hpp"

namespace fs = std::filesystem;
using sdla::Shape;
using sdla::Tensor;
namespace npy = sdla::npy;

namespace {

/// A fresh directory per test, removed afterwards.
class NpyTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    std::string name = "sdla_test_npy_" + std::to_string(::getpid()) + "_" + info->test_suite_name() + "_" +
                       info->name();
    for (char& c : name)
      if (c == '/') c = '_';  // typed tests are named "Suite/0"
    dir_ = fs::temp_directory_path() / name;
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override {
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }

  std::string path(const std::string& name) const { return (dir_ / name).string(); }

  std::string put(const std::string& name, const std::string& bytes) const {
    std::ofstream(path(name), std::ios::binary) << bytes;
    return path(name);
  }

  std::string get(const std::string& p) const {
    std::ifstream in(p, std::ios::binary);
    std::ostringstream s;
    s << in.rdbuf();
    return s.str();
  }

  fs::path dir_;
};

std::string le(std::uint64_t v, unsigned bytes) {
  std::string s;
  for (unsigned i = 0; i < bytes; ++i) s += char((v >> (8 * i)) & 0xff);
  return s;
}

/// A .npy file as numpy lays it out: magic, version, header length, the
/// header padded with spaces to a 64-byte boundary and ended by '\n', data.
std::string npy_file(const std::string& dict, const std::string& data, unsigned major = 1) {
  const std::size_t preamble = major == 1 ? 10 : 12;
  std::string header = dict;
  header.append(64 - (preamble + header.size() + 1) % 64, ' ');
  header += '\n';
  return std::string("\x93NUMPY", 6) + char(major) + '\0' + le(header.size(), major == 1 ? 2 : 4) + header + data;
}

std::string dict(const std::string& descr, const std::string& shape, const std::string& fortran = "False") {
  return "{'descr': '" + descr + "', 'fortran_order': " + fortran + ", 'shape': " + shape + ", }";
}

/// The message of the NpyError `f` throws; fails the test if it throws none.
template <class F>
std::string npy_error(F&& f) {
  try {
    f();
  } catch (const npy::NpyError& e) {
    return e.what();
  } catch (const std::exception& e) {
    ADD_FAILURE() << "expected NpyError, got another exception: " << e.what();
    return {};
  }
  ADD_FAILURE() << "expected NpyError, nothing thrown";
  return {};
}

#define EXPECT_CONTAINS(text, fragment) \
  EXPECT_NE(std::string(text).find(fragment), std::string::npos) << "message: " << (text)

// ---------------------------------------------------------------------------
// Round trips

template <class T>
class NpyRoundTrip : public NpyTest {};
using DTypes = ::testing::Types<std::int8_t, std::int16_t, std::int32_t, std::int64_t, float>;
TYPED_TEST_SUITE(NpyRoundTrip, DTypes);

TYPED_TEST(NpyRoundTrip, OddShapesIncludingScalarAndZeroSize) {
  using T = TypeParam;
  const Shape shapes[] = {{}, {0}, {3, 0, 2}, {7}, {3, 5}, {2, 3, 5}, {1, 1, 1, 1, 3}, {13, 1, 11}};
  for (const Shape& shape : shapes) {
    Tensor<T> t(shape);
    // Include both extremes so byte order and sign handling show.
    for (std::size_t i = 0; i < t.size(); ++i)
      t.data()[i] = i % 3 == 0 ? std::numeric_limits<T>::lowest()
                  : i % 3 == 1 ? std::numeric_limits<T>::max()
                               : T(int(i) * (i % 2 ? -1 : 1) - 5);
    const std::string p = this->path("t.npy");
    npy::write(p, t);

    const npy::Header h = npy::read_header(p);
    EXPECT_EQ(h.dtype, npy::dtype_of<T>::value);
    EXPECT_EQ(h.shape, shape);
    EXPECT_EQ(h.version_major, 1u);
    EXPECT_EQ(h.data_offset % 64, 0u);
    const std::string bytes = this->get(p);
    ASSERT_EQ(bytes.size(), h.data_offset + t.size() * sizeof(T));
    EXPECT_EQ(bytes[h.data_offset - 1], '\n');

    const Tensor<T> back = npy::read<T>(p);
    EXPECT_EQ(back, t) << "shape " << sdla::to_string(shape);
    EXPECT_EQ(back.size(), sdla::element_count(shape));
  }
}

TEST_F(NpyTest, ScalarHasOneElement) {
  Tensor<std::int32_t> t(Shape{});
  ASSERT_EQ(t.size(), 1u);
  t.data()[0] = -123456;
  npy::write(path("s.npy"), t);
  EXPECT_NE(get(path("s.npy")).find("'shape': (), }"), std::string::npos);
  const auto back = npy::read<std::int32_t>(path("s.npy"));
  EXPECT_EQ(back.rank(), 0u);
  ASSERT_EQ(back.size(), 1u);
  EXPECT_EQ(back.data()[0], -123456);
}

// ---------------------------------------------------------------------------
// The exact bytes of numpy.save(np.arange(6, dtype='<i2').reshape(2, 3) - 2)

TEST_F(NpyTest, ByteExactInt16) {
  const std::string dict = "{'descr': '<i2', 'fortran_order': False, 'shape': (2, 3), }";
  ASSERT_EQ(dict.size(), 59u);
  // 10-byte preamble + 59 + 58 spaces + '\n' = 128: the data starts at byte 128.
  std::string expected = std::string("\x93NUMPY", 6) + '\x01' + '\x00';
  expected += '\x76';  // header length 118 = 0x0076, little-endian
  expected += '\x00';
  expected += dict + std::string(58, ' ') + "\n";
  ASSERT_EQ(expected.size(), 128u);
  // -2, -1, 0, 1, 2, 3 as little-endian int16.
  expected += std::string("\xfe\xff\xff\xff\x00\x00\x01\x00\x02\x00\x03\x00", 12);

  Tensor<std::int16_t> t({2, 3}, {-2, -1, 0, 1, 2, 3});
  npy::write(path("w.npy"), t);
  EXPECT_EQ(get(path("w.npy")), expected);

  const std::string hand = put("hand.npy", expected);
  EXPECT_EQ(npy::read<std::int16_t>(hand), t);
  EXPECT_EQ(npy::read_header(hand).data_offset, 128u);
}

TEST_F(NpyTest, Int8IsWrittenAsPipeI1AndReadAsEitherSpelling) {
  npy::write(path("a.npy"), Tensor<std::int8_t>({2}, {-128, 127}));
  EXPECT_NE(get(path("a.npy")).find("'descr': '|i1'"), std::string::npos);
  const std::string lt = put("b.npy", npy_file(dict("<i1", "(2,)"), "\x80\x7f"));
  EXPECT_EQ(npy::read<std::int8_t>(lt), Tensor<std::int8_t>({2}, {-128, 127}));
}

TEST_F(NpyTest, ReadsVersion2And3) {
  const std::string data = le(std::uint32_t(-7), 4) + le(70000, 4) + le(0, 4);
  const std::string v2 = npy_file(dict("<i4", "(3,)"), data, 2);
  ASSERT_EQ(v2[6], '\x02');
  ASSERT_EQ((v2.size() - data.size()) % 64, 0u);
  const auto t = npy::read<std::int32_t>(put("v2.npy", v2));
  EXPECT_EQ(t, Tensor<std::int32_t>({3}, {-7, 70000, 0}));
  EXPECT_EQ(npy::read_header(path("v2.npy")).version_major, 2u);

  std::string v3 = npy_file(dict("<i4", "(3,)"), data, 3);
  EXPECT_EQ(npy::read<std::int32_t>(put("v3.npy", v3)), t);
}

TEST_F(NpyTest, HeaderSpellingVariants) {
  const std::string data = le(1, 8) + le(2, 8);
  // Keys in another order, double quotes, no trailing comma, a Python 2 long, no padding.
  const std::string variants[] = {
      "{'shape': (2,), 'fortran_order': False, 'descr': '<i8'}",
      "{\"descr\": \"<i8\", \"fortran_order\": False, \"shape\": (2L,)}",
      "{ 'descr' : '<i8' ,'fortran_order':False,'shape':( 2 , ) , }\n",
  };
  for (const std::string& d : variants) {
    const std::string f = std::string("\x93NUMPY\x01\x00", 8) + le(d.size(), 2) + d + data;
    EXPECT_EQ(npy::read<std::int64_t>(put("v.npy", f)), Tensor<std::int64_t>({2}, {1, 2})) << d;
  }
}

TEST_F(NpyTest, LongHeaderFallsBackToVersion2) {
  // 30000 dimensions of 1 need a header beyond the 65535 bytes of format 1.0.
  Tensor<std::int8_t> t(Shape(30000, 1));
  t.data()[0] = 42;
  npy::write(path("long.npy"), t);
  const npy::Header h = npy::read_header(path("long.npy"));
  EXPECT_EQ(h.version_major, 2u);
  EXPECT_EQ(h.data_offset % 64, 0u);
  EXPECT_EQ(npy::read<std::int8_t>(path("long.npy")), t);
}

TEST_F(NpyTest, FloatValues) {
  Tensor<float> t({4}, {0.5f, -1.25e-30f, std::numeric_limits<float>::infinity(), 3.0e38f});
  npy::write(path("f.npy"), t);
  EXPECT_EQ(npy::read<float>(path("f.npy")), t);
}

// ---------------------------------------------------------------------------
// Malformed files: each must throw NpyError naming the file and the problem.

TEST_F(NpyTest, MissingFile) {
  const std::string p = path("nope.npy");
  const std::string m = npy_error([&] { npy::read_header(p); });
  EXPECT_CONTAINS(m, p);
  EXPECT_CONTAINS(m, "cannot open for reading");
  EXPECT_CONTAINS(m, "No such file");
  EXPECT_CONTAINS(npy_error([&] { npy::read<float>(p); }), "cannot open");
}

TEST_F(NpyTest, DirectoryInsteadOfFile) {
  EXPECT_CONTAINS(npy_error([&] { npy::read_header(dir_.string()); }), "is a directory");
}

TEST_F(NpyTest, EmptyFile) {
  const std::string p = put("empty.npy", "");
  const std::string m = npy_error([&] { npy::read_header(p); });
  EXPECT_CONTAINS(m, p);
  EXPECT_CONTAINS(m, "file is only 0 bytes");
}

TEST_F(NpyTest, ShortFile) {
  // Magic and version but only one of the two header-length bytes.
  const std::string p = put("short.npy", std::string("\x93NUMPY\x01\x00\x76", 9));
  const std::string m = npy_error([&] { npy::read_header(p); });
  EXPECT_CONTAINS(m, p);
  EXPECT_CONTAINS(m, "too short for the 10-byte preamble");
  // A version 2.0 preamble is 12 bytes.
  const std::string p2 = put("short2.npy", std::string("\x93NUMPY\x02\x00\x76\x00\x00", 11));
  EXPECT_CONTAINS(npy_error([&] { npy::read_header(p2); }), "too short for the 12-byte preamble");
  // Truncated inside the magic.
  EXPECT_CONTAINS(npy_error([&] { npy::read_header(put("s3.npy", "\x93NUM")); }), "too short");
}

TEST_F(NpyTest, BadMagic) {
  const std::string p = put("zip.npy", "PK\x03\x04 this is a zip file, not an array");
  const std::string m = npy_error([&] { npy::read_header(p); });
  EXPECT_CONTAINS(m, p);
  EXPECT_CONTAINS(m, "bad magic");
  // Right letters, missing \x93.
  std::string f = npy_file(dict("<i4", "(1,)"), le(1, 4));
  f[0] = 'X';
  EXPECT_CONTAINS(npy_error([&] { npy::read_header(put("x.npy", f)); }), "bad magic");
}

TEST_F(NpyTest, UnsupportedVersion) {
  std::string f = npy_file(dict("<i4", "(1,)"), le(1, 4));
  f[6] = 4;
  EXPECT_CONTAINS(npy_error([&] { npy::read_header(put("v4.npy", f)); }), "unsupported .npy format version 4.0");
  f[6] = 1;
  f[7] = 1;
  EXPECT_CONTAINS(npy_error([&] { npy::read_header(put("v11.npy", f)); }), "unsupported .npy format version 1.1");
  f[6] = 0;
  f[7] = 0;
  EXPECT_CONTAINS(npy_error([&] { npy::read_header(put("v0.npy", f)); }), "version 0.0");
}

TEST_F(NpyTest, HeaderLengthBeyondFile) {
  std::string f = npy_file(dict("<i4", "(1,)"), le(1, 4));
  f[8] = '\xff';
  f[9] = '\xff';  // 65535-byte header in a 132-byte file
  const std::string p = put("hl.npy", f);
  const std::string m = npy_error([&] { npy::read_header(p); });
  EXPECT_CONTAINS(m, p);
  EXPECT_CONTAINS(m, "header length 65535 runs past the end of the file");
  // Version 2.0 with a 4 GiB header length must not try to allocate it.
  std::string g = npy_file(dict("<i4", "(1,)"), le(1, 4), 2);
  g.replace(8, 4, le(0xfffffff0u, 4));
  EXPECT_CONTAINS(npy_error([&] { npy::read_header(put("hl2.npy", g)); }), "header length 4294967280 runs past");
}

TEST_F(NpyTest, UnparsableDict) {
  const std::pair<std::string, std::string> cases[] = {
      {"{'descr': '<i4' 'fortran_order': False, 'shape': (1,), }", "expected ','"},
      {"not a dict at all", "expected '{'"},
      {"{'descr': '<i4, 'fortran_order': False, 'shape': (1,), }", "not a valid Python dict literal"},
      {"{'descr': '<i4', 'fortran_order': False, 'shape': (1,), } junk", "unexpected text after the closing"},
      {"{'descr': '<i4', 'fortran_order': False, 'shape': (1,), ", "unexpected end of header"},
      {"{'descr': '<i4', 'fortran_order': Maybe, 'shape': (1,), }", "unexpected name 'Maybe'"},
      {"{3: '<i4'}", "dict key is an integer, not a string"},
      {"{'descr': '<i4', 'fortran_order': False, 'shape': (1e,), }", "malformed exponent"},
      {"", "expected '{'"},
      {"{'descr': '<i4', 'fortran_order': False, 'shape': " + std::string(200, '(') + "1" +
           std::string(200, ')') + "}",
       "nested too deeply"},
  };
  for (const auto& [d, fragment] : cases) {
    const std::string p = put("bad.npy", npy_file(d, le(1, 4)));
    const std::string m = npy_error([&] { npy::read_header(p); });
    EXPECT_CONTAINS(m, p);
    EXPECT_CONTAINS(m, "header is not a valid Python dict literal");
    EXPECT_CONTAINS(m, fragment);
  }
}

TEST_F(NpyTest, MissingKeys) {
  const std::string p = put("mk.npy", npy_file("{'descr': '<i4', 'fortran_order': False, }", le(1, 4)));
  const std::string m = npy_error([&] { npy::read_header(p); });
  EXPECT_CONTAINS(m, p);
  EXPECT_CONTAINS(m, "header lacks the key 'shape'");
  EXPECT_CONTAINS(npy_error([&] { npy::read_header(put("m2.npy", npy_file("{'shape': (1,), 'descr': '<i4'}", le(1, 4)))); }),
                  "lacks the key 'fortran_order'");
  EXPECT_CONTAINS(npy_error([&] { npy::read_header(put("m3.npy", npy_file("{}", ""))); }), "lacks the key 'descr'");
}

TEST_F(NpyTest, ExtraOrDuplicateKeys) {
  EXPECT_CONTAINS(npy_error([&] {
                    npy::read_header(put("e.npy", npy_file("{'descr': '<i4', 'fortran_order': False, 'shape': (1,), "
                                                           "'extra': 1}",
                                                           le(1, 4))));
                  }),
                  "unexpected key 'extra'");
  EXPECT_CONTAINS(npy_error([&] {
                    npy::read_header(put("d.npy", npy_file("{'descr': '<i4', 'descr': '<i4', 'fortran_order': False, "
                                                           "'shape': (1,)}",
                                                           le(1, 4))));
                  }),
                  "key 'descr' twice");
}

TEST_F(NpyTest, FortranOrder) {
  const std::string p = put("f.npy", npy_file(dict("<i4", "(2, 2)", "True"), std::string(16, '\0')));
  const std::string m = npy_error([&] { npy::read_header(p); });
  EXPECT_CONTAINS(m, p);
  EXPECT_CONTAINS(m, "fortran_order True");
  EXPECT_CONTAINS(npy_error([&] { npy::read_header(put("f2.npy", npy_file(dict("<i4", "(1,)", "0"), le(1, 4)))); }),
                  "'fortran_order' is 0, expected True or False");
}

TEST_F(NpyTest, BigEndianDescr) {
  const std::string p = put("be.npy", npy_file(dict(">i4", "(1,)"), le(1, 4)));
  const std::string m = npy_error([&] { npy::read_header(p); });
  EXPECT_CONTAINS(m, p);
  EXPECT_CONTAINS(m, "big-endian descr '>i4'");
}

TEST_F(NpyTest, UnsupportedDescr) {
  for (const std::string d : {"<f8", "<u2", "|u1", "|b1", "<i3", "i4", "|i2"}) {
    const std::string p = put("u.npy", npy_file(dict(d, "(1,)"), le(1, 8)));
    const std::string m = npy_error([&] { npy::read_header(p); });
    EXPECT_CONTAINS(m, p);
    EXPECT_CONTAINS(m, "unsupported descr '" + d + "'");
  }
  const std::string structured = "{'descr': [('a', '<i4')], 'fortran_order': False, 'shape': (1,), }";
  EXPECT_CONTAINS(npy_error([&] { npy::read_header(put("s.npy", npy_file(structured, le(1, 4)))); }),
                  "'descr' is a list");
}

TEST_F(NpyTest, NegativeShape) {
  const std::string p = put("neg.npy", npy_file(dict("<i4", "(-1, 3)"), ""));
  const std::string m = npy_error([&] { npy::read_header(p); });
  EXPECT_CONTAINS(m, p);
  EXPECT_CONTAINS(m, "shape entry 0 is negative (-1)");
}

TEST_F(NpyTest, NonIntegerShape) {
  const std::pair<std::string, std::string> cases[] = {
      {"(2.5,)", "shape entry 0 is 2.5, expected a non-negative integer"},
      {"(2, '3')", "shape entry 1 is '3'"},
      {"(2, True)", "shape entry 1 is True"},
      {"[2, 3]", "'shape' is a list, expected a tuple"},
      {"(6)", "'shape' is 6, expected a tuple"},  // a parenthesised int, not a tuple
      {"None", "'shape' is None"},
  };
  for (const auto& [shape, fragment] : cases) {
    const std::string p = put("ni.npy", npy_file(dict("<i4", shape), std::string(24, '\0')));
    const std::string m = npy_error([&] { npy::read_header(p); });
    EXPECT_CONTAINS(m, p);
    EXPECT_CONTAINS(m, fragment);
  }
}

TEST_F(NpyTest, ShapeProductOverflow) {
  const std::string p = put("ov.npy", npy_file(dict("<i4", "(4294967296, 4294967296)"), le(1, 4)));
  const std::string m = npy_error([&] { npy::read_header(p); });
  EXPECT_CONTAINS(m, p);
  EXPECT_CONTAINS(m, "element count overflows");
  // Elements fit in 64 bits, bytes do not.
  EXPECT_CONTAINS(npy_error([&] { npy::read_header(put("ov2.npy", npy_file(dict("<i8", "(4611686018427387904,)"), ""))); }),
                  "element count overflows");
  // A single entry beyond 64 bits.
  EXPECT_CONTAINS(npy_error([&] { npy::read_header(put("ov3.npy", npy_file(dict("<i4", "(18446744073709551616,)"), ""))); }),
                  "does not fit in 64 bits");
  // A zero dimension makes the product 0, whatever the others are.
  const auto t = npy::read<std::int32_t>(put("zero.npy", npy_file(dict("<i4", "(4294967296, 0, 4294967296)"), "")));
  EXPECT_EQ(t.size(), 0u);
}

TEST_F(NpyTest, DataTooShort) {
  const std::string p = put("ts.npy", npy_file(dict("<i4", "(4,)"), std::string(12, '\1')));
  const std::string m = npy_error([&] { npy::read<std::int32_t>(p); });
  EXPECT_CONTAINS(m, p);
  EXPECT_CONTAINS(m, "data is 12 bytes but shape (4,) of <i4 needs 16 (file truncated)");
  // Huge shape, tiny file: must fail before allocating.
  EXPECT_CONTAINS(npy_error([&] { npy::read<std::int8_t>(put("h.npy", npy_file(dict("|i1", "(1000000000000,)"), "x"))); }),
                  "file truncated");
}

TEST_F(NpyTest, TrailingBytes) {
  const std::string p = put("tb.npy", npy_file(dict("<i2", "(2,)"), std::string(5, '\1')));
  const std::string m = npy_error([&] { npy::read<std::int16_t>(p); });
  EXPECT_CONTAINS(m, p);
  EXPECT_CONTAINS(m, "1 trailing bytes after the 4 data bytes");
  EXPECT_CONTAINS(npy_error([&] { npy::read_header(put("z.npy", npy_file(dict("<i2", "(0,)"), "ab"))); }),
                  "2 trailing bytes");
}

TEST_F(NpyTest, DtypeMismatch) {
  npy::write(path("i16.npy"), Tensor<std::int16_t>({2}, {1, 2}));
  const std::string m = npy_error([&] { npy::read<std::int32_t>(path("i16.npy")); });
  EXPECT_CONTAINS(m, path("i16.npy"));
  EXPECT_CONTAINS(m, "dtype is '<i2' (int16), expected '<i4' (int32)");
  EXPECT_CONTAINS(npy_error([&] { npy::read<float>(path("i16.npy")); }), "expected '<f4' (float32)");
}

TEST_F(NpyTest, WriteToMissingDirectory) {
  const std::string p = path("no/such/dir/x.npy");
  const std::string m = npy_error([&] { npy::write(p, Tensor<float>({1})); });
  EXPECT_CONTAINS(m, p);
  EXPECT_CONTAINS(m, "cannot open for writing");
}

// What sdla-run does with --output (and --report) before it simulates
// (io/output_file.hpp): a long run must not end in an unwritable path.
TEST_F(NpyTest, OutputPathIsPreparedBeforeTheWorkAndLeftEmpty) {
  // Missing folders are made, as --vcd's are; the probe leaves no file behind.
  const std::string p = path("runs/a/b/y.npy");
  sdla::prepare_output_file(p, "--output");
  EXPECT_TRUE(fs::is_directory(path("runs/a/b")));
  EXPECT_FALSE(fs::exists(p)) << "the check left a file behind";
  npy::write(p, Tensor<std::int32_t>({2}, {7, -7}));
  // An existing file is checked without being truncated.
  sdla::prepare_output_file(p, "--output");
  EXPECT_EQ(npy::read<std::int32_t>(p).values(), (std::vector<std::int32_t>{7, -7}));
}

TEST_F(NpyTest, UnwritableOutputPathsNameTheOptionAndTheReason) {
  auto error_of = [](const std::string& p) {
    try {
      sdla::prepare_output_file(p, "--output");
    } catch (const sdla::OutputFileError& e) {
      return std::string(e.what());
    }
    ADD_FAILURE() << "no error for " << p;
    return std::string();
  };
  put("plain.txt", "not a folder");
  std::string m = error_of(path("plain.txt/y.npy"));
  EXPECT_CONTAINS(m, "--output " + path("plain.txt/y.npy") + ": cannot create the folder");
  EXPECT_CONTAINS(m, "Not a directory");
  m = error_of(path("plain.txt/deeper/y.npy"));
  EXPECT_CONTAINS(m, "Not a directory");
  fs::create_directories(path("a_folder"));
  m = error_of(path("a_folder"));
  EXPECT_CONTAINS(m, "--output " + path("a_folder") + ": cannot open for writing: Is a directory");
  EXPECT_EQ(get(path("plain.txt")), "not a folder");
}

TEST(NpyNames, ToStringDescrItemSize) {
  EXPECT_STREQ(npy::to_string(npy::DType::i8), "int8");
  EXPECT_STREQ(npy::to_string(npy::DType::f32), "float32");
  EXPECT_STREQ(npy::descr(npy::DType::i64), "<i8");
  EXPECT_EQ(npy::item_size(npy::DType::i16), 2u);
  EXPECT_EQ(npy::item_size(npy::DType::f32), 4u);
}

}  // namespace
