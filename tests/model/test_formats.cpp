// Tensor formats through the host compiler and the accelerator: the ZVC and
// 2:4 DRAM images decoded back with the layouts documented in
// sdla/descriptor.hpp (independently of the compiler's code), the fill hints
// of the descriptor, the error status of lying hints, bad formats bytes and
// non-2:4 weights, and a chain whose first layer writes ZVC for the second.
#include <algorithm>
#include <bitset>
#include <cstring>
#include <random>
#include <string>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "expect_has.hpp"
#include "layers.hpp"
#include "golden/sparse_formats.hpp"
#include "host_compiler.hpp"
#include "sdla/descriptor.hpp"
#include "sdla/regs.hpp"
#include "seed.hpp"
#include "testbench.hpp"
#include "sdla/tile_plan.hpp"
#include "workload.hpp"

namespace sdla {
namespace {

using regs::ErrorCode;

Layer conv(const std::string& name, unsigned C, unsigned H, unsigned W, unsigned K, unsigned R,
           Precision p = Precision::int8) {
  return test::conv_layer(name, C, H, W, K, R, p);
}

Layer with_post(Layer l, std::int32_t mult, std::uint8_t shift) { return test::with_post(std::move(l), mult, shift); }

std::int64_t max_value(Precision p) { return p == Precision::int8 ? 127 : 32767; }

/// A random non-zero value of the precision's full range.
std::int16_t nonzero(Precision p, std::mt19937_64& rng) {
  std::uniform_int_distribution<std::int64_t> d(-max_value(p) - 1, max_value(p));
  std::int64_t v = 0;
  while (v == 0) v = d(rng);
  return std::int16_t(v);
}

/// Each element non-zero with probability density(index along `axis`).
template <class Density>
Tensor<std::int16_t> sparse_tensor(Shape shape, std::size_t axis, Density density, Precision p, std::mt19937_64& rng) {
  Tensor<std::int16_t> t(shape);
  std::size_t inner = 1;
  for (std::size_t d = axis + 1; d < shape.size(); ++d) inner *= shape[d];
  std::uniform_real_distribution<double> u(0.0, 1.0);
  for (std::size_t i = 0; i < t.size(); ++i)
    if (u(rng) < density(i / inner % shape[axis])) t.data()[i] = nonzero(p, rng);
  return t;
}

const Segment& segment_at(const Program& prog, std::uint64_t addr) {
  for (const auto& s : prog.segments)
    if (s.addr == addr) return s;
  throw std::logic_error(fmt::format("no segment at {:#x}", addr));
}

Segment& segment_at(Program& prog, std::uint64_t addr) {
  return const_cast<Segment&>(segment_at(static_cast<const Program&>(prog), addr));
}

LayerDescriptor descriptor(const Program& prog, std::size_t layer) {
  return LayerDescriptor::decode(segment_at(prog, prog.layers.at(layer).descriptor).bytes.data());
}

std::int64_t read_le(const std::uint8_t* p, unsigned bytes) {
  std::uint64_t v = 0;
  for (unsigned b = 0; b < bytes; ++b) v |= std::uint64_t(p[b]) << (8 * b);
  const unsigned shift = 64 - 8 * bytes;
  return std::int64_t(v << shift) >> shift;
}

unsigned ceil_div(unsigned a, unsigned b) { return (a + b - 1) / b; }

/// The test's own reading of a ZVC plane (descriptor.hpp): granules of G
/// elements, each holding its non-zeros packed at its front, and one mask byte
/// per granule (bit i: element i non-zero). Returns the dense elements.
std::vector<std::int64_t> decode_zvc_plane(const std::vector<std::uint8_t>& values, const std::vector<std::uint8_t>& masks,
                                           unsigned G, unsigned eb) {
  std::vector<std::int64_t> out(masks.size() * G, 0);
  for (std::size_t g = 0; g < masks.size(); ++g) {
    unsigned n = 0;
    for (unsigned i = 0; i < G; ++i)
      if (masks[g] >> i & 1) out[g * G + i] = read_le(&values.at((g * G + n++) * eb), eb);
    EXPECT_EQ(masks[g] >> G, 0) << "mask byte " << g << " has bits past its granule of " << G;
  }
  return out;
}

/// Expected dense feature-map plane [H][W][Cp] of x [C, H, W].
std::vector<std::int64_t> feature_plane(const Tensor<std::int16_t>& x, unsigned lanes) {
  const unsigned C = unsigned(x.dim(0)), H = unsigned(x.dim(1)), W = unsigned(x.dim(2)), cp = ceil_div(C, lanes) * lanes;
  std::vector<std::int64_t> out(std::size_t(H) * W * cp, 0);
  for (unsigned c = 0; c < C; ++c)
    for (unsigned h = 0; h < H; ++h)
      for (unsigned w = 0; w < W; ++w) out[(std::size_t(h) * W + w) * cp + c] = x.at({c, h, w});
  return out;
}

/// Expected dense weight plane of w [K, C, R, S]: per group of atomic_k output
/// channels, per channel atom, per r, per s, a block [kg][lanes].
std::vector<std::int64_t> weight_plane(const Tensor<std::int16_t>& w, const AcceleratorConfig& cfg, unsigned lanes) {
  const unsigned K = unsigned(w.dim(0)), C = unsigned(w.dim(1)), R = unsigned(w.dim(2)), S = unsigned(w.dim(3));
  const unsigned atoms = ceil_div(C, lanes);
  std::vector<std::int64_t> out(std::size_t(K) * atoms * R * S * lanes, 0);
  for (unsigned k = 0; k < K; ++k)
    for (unsigned c = 0; c < C; ++c)
      for (unsigned r = 0; r < R; ++r)
        for (unsigned s = 0; s < S; ++s) {
          const unsigned g = k / cfg.atomic_k, kg = std::min(cfg.atomic_k, K - g * cfg.atomic_k);
          const std::size_t col = std::size_t(g) * cfg.atomic_k * atoms * R * S +
                                  ((std::size_t(c / lanes) * R + r) * S + s) * kg + k % cfg.atomic_k;
          out[col * lanes + c % lanes] = w.at({k, c, r, s});
        }
  return out;
}

/// ceil(nz * 65536 / all), at least 1: a fill hint that bounds the fraction.
std::uint32_t q16_ceil(std::uint64_t nz, std::uint64_t all) {
  return std::uint32_t(std::max<std::uint64_t>(1, (nz * 65536 + all - 1) / all));
}

/// The largest fill of any input row's channel atom (padding lanes count as zeros).
std::uint32_t expected_input_fill(const Tensor<std::int16_t>& x, unsigned lanes) {
  const unsigned C = unsigned(x.dim(0)), H = unsigned(x.dim(1)), W = unsigned(x.dim(2));
  std::uint32_t worst = 0;
  for (unsigned h = 0; h < H; ++h)
    for (unsigned a = 0; a * lanes < C; ++a) {
      std::uint64_t nz = 0;
      for (unsigned c = a * lanes; c < std::min(C, (a + 1) * lanes); ++c)
        for (unsigned w = 0; w < W; ++w) nz += x.at({c, h, w}) != 0;
      worst = std::max(worst, q16_ceil(nz, std::uint64_t(W) * lanes));
    }
  return worst;
}

/// The largest fill of any (output-channel group, channel atom) chunk of the weights.
std::uint32_t expected_weight_fill(const Tensor<std::int16_t>& w, const AcceleratorConfig& cfg, unsigned lanes) {
  const unsigned K = unsigned(w.dim(0)), C = unsigned(w.dim(1)), R = unsigned(w.dim(2)), S = unsigned(w.dim(3));
  std::uint32_t worst = 0;
  for (unsigned k0 = 0; k0 < K; k0 += cfg.atomic_k)
    for (unsigned a = 0; a * lanes < C; ++a) {
      const unsigned cols = std::min(cfg.atomic_k, K - k0);
      std::uint64_t nz = 0;
      for (unsigned k = k0; k < k0 + cols; ++k)
        for (unsigned c = a * lanes; c < std::min(C, (a + 1) * lanes); ++c)
          for (unsigned r = 0; r < R; ++r)
            for (unsigned s = 0; s < S; ++s) nz += w.at({k, c, r, s}) != 0;
      worst = std::max(worst, q16_ceil(nz, std::uint64_t(cols) * lanes * R * S));
    }
  return worst;
}

// ---------------------------------------------------------------- (a), (b) ZVC layouts and fill hints

void check_zvc_layout(const std::string& preset, Precision p, unsigned C, unsigned K, unsigned R, unsigned S) {
  const auto cfg = AcceleratorConfig::preset(preset);
  const unsigned lanes = cfg.lanes(p), eb = element_bytes(p), G = std::min(8u, lanes);
  ASSERT_NE(C % lanes, 0u) << "the test wants a partial last channel atom";
  ASSERT_NE(K % cfg.atomic_k, 0u) << "the test wants a partial last output-channel group";
  std::mt19937_64 rng(sdla::test::seed(200 + C));
  Layer l = conv("zvc", C, 5, 6, K, R, p);
  l.kernel_w = S;
  l.pad = {R / 2, R / 2, S / 2, S / 2};
  l.activation_format = l.weight_format = TensorFormat::zvc;
  const unsigned H = l.in_height;
  // Density varies by row / output channel, so the largest fill is not the average.
  const auto x = sparse_tensor({C, H, l.in_width}, 1, [&](std::size_t h) { return 0.15 + 0.7 * double(h) / H; }, p, rng);
  LayerOperands ops;
  ops.weights = sparse_tensor({K, C, R, S}, 0, [&](std::size_t k) { return 0.1 + 0.8 * double(k) / K; }, p, rng);
  const Program prog = compile_network(cfg, {l}, x, {ops});
  const CompiledLayer& cl = prog.layers.at(0);
  const LayerDescriptor d = descriptor(prog, 0);
  EXPECT_TRUE(d.input_zvc());
  EXPECT_EQ(d.weight_format(), TensorFormat::zvc);
  EXPECT_FALSE(d.output_zvc());
  EXPECT_EQ(d.input_addr, cl.input);
  EXPECT_EQ(d.weight_addr, cl.weights);

  {
    SCOPED_TRACE("ZVC input");
    const auto want = feature_plane(x, lanes);
    const Segment& values = segment_at(prog, cl.input);
    ASSERT_NE(d.input_mask_addr, 0u);
    const Segment& masks = segment_at(prog, d.input_mask_addr);
    ASSERT_EQ(values.bytes.size(), want.size() * eb) << "values keep the dense plane's size";
    ASSERT_EQ(masks.bytes.size(), want.size() / G) << "one mask byte per granule of " << G;
    for (std::size_t e = 0; e < want.size(); ++e)
      ASSERT_EQ(masks.bytes[e / G] >> (e % G) & 1, want[e] != 0) << "mask bit of element " << e;
    const auto got = decode_zvc_plane(values.bytes, masks.bytes, G, eb);
    ASSERT_EQ(got, want);
  }
  {
    SCOPED_TRACE("ZVC weights");
    const auto want = weight_plane(ops.weights, cfg, lanes);
    const Segment& values = segment_at(prog, cl.weights);
    ASSERT_NE(d.weight_meta_addr, 0u);
    const Segment& masks = segment_at(prog, d.weight_meta_addr);
    ASSERT_EQ(values.bytes.size(), want.size() * eb);
    ASSERT_EQ(masks.bytes.size(), want.size() / G);
    for (std::size_t e = 0; e < want.size(); ++e)
      ASSERT_EQ(masks.bytes[e / G] >> (e % G) & 1, want[e] != 0) << "mask bit of element " << e;
    const auto got = decode_zvc_plane(values.bytes, masks.bytes, G, eb);
    ASSERT_EQ(got, want);
  }
  // (b) The fill hints: the worst row / chunk, rounded up so they remain bounds.
  EXPECT_EQ(d.input_fill, expected_input_fill(x, lanes));
  EXPECT_EQ(d.weight_fill, expected_weight_fill(ops.weights, cfg, lanes));
  EXPECT_LT(d.input_fill, 65536u) << "no row is full: the hint must say so";
  EXPECT_LT(d.weight_fill, 65536u);

  // The same tensors dense: no masks, hints 0.
  Layer dense = l;
  dense.activation_format = dense.weight_format = TensorFormat::dense;
  const Program dp = compile_network(cfg, {dense}, x, {ops});
  const LayerDescriptor dd = descriptor(dp, 0);
  EXPECT_EQ(dd.formats, 0);
  EXPECT_EQ(dd.input_fill, 0u);
  EXPECT_EQ(dd.weight_fill, 0u);
  EXPECT_EQ(dd.input_mask_addr, 0u);
  EXPECT_EQ(dd.weight_meta_addr, 0u);
}

TEST(FormatLayout, ZvcSmallInt8) { check_zvc_layout("small", Precision::int8, 13, 19, 3, 2); }
TEST(FormatLayout, ZvcSmallInt16) { check_zvc_layout("small", Precision::int16, 7, 11, 2, 3); }
TEST(FormatLayout, ZvcFullInt8) { check_zvc_layout("full", Precision::int8, 70, 40, 3, 3); }
TEST(FormatLayout, ZvcFullInt16) { check_zvc_layout("full", Precision::int16, 45, 33, 1, 2); }

// ---------------------------------------------------------------- (a) 2:4 layout

void check_2_4_layout(const std::string& preset, Precision p, unsigned C, unsigned K, unsigned R, unsigned S) {
  const auto cfg = AcceleratorConfig::preset(preset);
  const unsigned lanes = cfg.lanes(p), eb = element_bytes(p), atom = cfg.atom_bytes(), meta_col = lanes / 4;
  ASSERT_NE(C % (2 * lanes), 0u) << "the test wants a partial last channel unit";
  std::mt19937_64 rng(sdla::test::seed(300 + C + (p == Precision::int16 ? 50 : 0)));
  Layer l = conv("two_four", C, 4, 5, K, R, p);
  l.kernel_w = S;
  l.pad = {R / 2, R / 2, S / 2, S / 2};
  l.weight_format = TensorFormat::sparse_2_4;
  const auto x = sparse_tensor({C, 4, 5}, 0, [](std::size_t) { return 1.0; }, p, rng);
  LayerOperands ops;
  // Dense random weights pruned to 2:4, some groups further thinned to one or no non-zero.
  ops.weights = golden::prune_2_4(sparse_tensor({K, C, R, S}, 0, [](std::size_t) { return 0.8; }, p, rng));
  const Program prog = compile_network(cfg, {l}, x, {ops});
  const CompiledLayer& cl = prog.layers.at(0);
  const LayerDescriptor d = descriptor(prog, 0);
  EXPECT_EQ(d.weight_format(), TensorFormat::sparse_2_4);
  EXPECT_FALSE(d.input_zvc());
  EXPECT_EQ(d.weight_fill, 0u) << "2:4 weights are not ZVC: no fill hint";
  EXPECT_EQ(d.input_fill, 0u);

  const unsigned atoms = ceil_div(C, lanes), units = ceil_div(atoms, 2);
  const std::size_t columns = std::size_t(K) * units * R * S;
  const Segment& values = segment_at(prog, cl.weights);
  ASSERT_NE(d.weight_meta_addr, 0u);
  const Segment& meta = segment_at(prog, d.weight_meta_addr);
  ASSERT_EQ(values.bytes.size(), columns * atom) << "one atom of kept values per block column";
  ASSERT_EQ(meta.bytes.size(), columns * meta_col) << "lanes / 4 metadata bytes per block column";

  // Rebuild [K, C, R, S] from kept values and nibbles.
  Tensor<std::int16_t> back({K, C, R, S});
  std::size_t col = 0;
  for (unsigned k0 = 0; k0 < K; k0 += cfg.atomic_k) {
    const unsigned cols = std::min(cfg.atomic_k, K - k0);
    for (unsigned u = 0; u < units; ++u)
      for (unsigned r = 0; r < R; ++r)
        for (unsigned s = 0; s < S; ++s)
          for (unsigned k = 0; k < cols; ++k, ++col)
            for (unsigned g = 0; g < lanes / 2; ++g) {
              const std::uint8_t nibble = meta.bytes[col * meta_col + g / 2] >> (4 * (g % 2)) & 0xF;
              ASSERT_TRUE(golden::valid_nibble(nibble))
                  << "nibble " << int(nibble) << " of column " << col << ", group " << g;
              const unsigned idx[2] = {nibble & 3u, nibble >> 2 & 3u};
              for (unsigned j = 0; j < 2; ++j) {
                const std::int64_t v = read_le(&values.bytes[col * atom + (2 * g + j) * eb], eb);
                const unsigned c = u * 2 * lanes + 4 * g + idx[j];
                if (c < C)
                  back.at({k0 + k, c, r, s}) = std::int16_t(v);
                else
                  ASSERT_EQ(v, 0) << "a kept value in padding channel " << c;
              }
            }
  }
  ASSERT_EQ(col, columns);
  EXPECT_TRUE(back == ops.weights) << "the 2:4 image does not decode to the weights";
}

TEST(FormatLayout, TwoFourSmallInt8) { check_2_4_layout("small", Precision::int8, 13, 19, 3, 2); }
TEST(FormatLayout, TwoFourSmallInt16) { check_2_4_layout("small", Precision::int16, 13, 11, 2, 3); }
TEST(FormatLayout, TwoFourFullInt8) { check_2_4_layout("full", Precision::int8, 70, 40, 3, 3); }
TEST(FormatLayout, TwoFourFullInt16) { check_2_4_layout("full", Precision::int16, 45, 33, 1, 2); }

// ---------------------------------------------------------------- (c) errors found before the run

TEST(FormatErrors, TwoFourLayerWithNonTwoFourWeightsIsRejectedByTheCompiler) {
  std::mt19937_64 rng(sdla::test::seed(400));
  const auto cfg = AcceleratorConfig::preset("small");
  Layer l = conv("sparse_conv", 10, 4, 4, 6, 3);
  l.weight_format = TensorFormat::sparse_2_4;
  const auto x = sparse_tensor({10, 4, 4}, 0, [](std::size_t) { return 1.0; }, l.precision, rng);
  LayerOperands ops;
  ops.weights = golden::prune_2_4(sparse_tensor({6, 10, 3, 3}, 0, [](std::size_t) { return 1.0; }, l.precision, rng));
  ASSERT_NO_THROW(compile_network(cfg, {l}, x, {ops}));
  // Three non-zeros in output channel 4, channels 4..7, kernel position (2, 1).
  for (std::size_t c = 4; c < 7; ++c) ops.weights.at({4, c, 2, 1}) = std::int16_t(c);
  ops.weights.at({4, 7, 2, 1}) = 0;
  std::string msg;
  try {
    compile_network(cfg, {l}, x, {ops});
  } catch (const LayerError& e) {
    msg = e.what();
  }
  EXPECT_HAS(msg, "'sparse_conv'");
  EXPECT_HAS(msg, "output channel 4");
  EXPECT_HAS(msg, "input channels 4..7");
  EXPECT_HAS(msg, "kernel position (2, 1)");
  // The same weights are fine as dense or ZVC.
  for (TensorFormat f : {TensorFormat::dense, TensorFormat::zvc}) {
    l.weight_format = f;
    EXPECT_NO_THROW(compile_network(cfg, {l}, x, {ops})) << to_string(f);
  }
}

TEST(FormatErrors, DescriptorLayerRejectsUnknownFormatBits) {
  LayerDescriptor good = LayerDescriptor::from_layer(conv("x", 4, 5, 5, 3, 3));
  good.weight_meta_addr = good.input_mask_addr = good.output_mask_addr = 0x1000;
  for (std::uint8_t f : {0, 1, 2, 4, 8, 0xE}) {
    LayerDescriptor d = good;
    d.formats = f;
    EXPECT_NO_THROW(d.layer()) << "formats " << int(f);
  }
  // A compressed tensor needs the address of its masks or metadata.
  for (std::uint8_t f : {1, 2, 4, 8}) {
    LayerDescriptor d = good;
    d.formats = f;
    d.weight_meta_addr = d.input_mask_addr = d.output_mask_addr = 0;
    EXPECT_THROW(d.layer(), LayerError) << "formats " << int(f);
  }
  for (std::uint8_t f : {0x3, 0x10, 0x40, 0x80, 0xF0, 0x1F}) {
    LayerDescriptor d = good;
    d.formats = f;
    try {
      d.layer();
      ADD_FAILURE() << "formats " << int(f) << " accepted";
    } catch (const LayerError& e) {
      EXPECT_HAS(e.what(), "formats byte " + std::to_string(f));
    }
  }
}

// ---------------------------------------------------------------- (c) errors with hardware status

/// Patches a u32 of a descriptor's wire bytes in place.
void patch_u32(Program& prog, std::size_t layer, std::size_t offset, std::uint32_t v) {
  Segment& seg = segment_at(prog, prog.layers.at(layer).descriptor);
  ASSERT_EQ(seg.bytes.size(), LayerDescriptor::BYTES);
  for (unsigned b = 0; b < 4; ++b) seg.bytes.at(offset + b) = std::uint8_t(v >> (8 * b));
}

constexpr std::size_t kInputFillOffset = 112 + 3 * 8, kWeightFillOffset = kInputFillOffset + 4;
constexpr std::size_t kFormatsOffset = 7;

/// The C++-model testbench options, field by field (robust to fields being added).
TestbenchOptions options(const AcceleratorConfig& cfg, std::uint64_t dram_bytes) {
  TestbenchOptions o;
  o.cfg = cfg;
  o.mac = "model";
  o.dram_bytes = dram_bytes;
  return o;
}

struct Job {
  Workload work;
  Program prog;
  std::vector<Tensor<std::int64_t>> golden;
};

Job make_job(const AcceleratorConfig& cfg, const std::vector<Layer>& layers, std::uint64_t seed,
             std::uint64_t base = 0x1000) {
  Job j;
  j.work = generate_workload(layers, seed);
  j.prog = compile_network(cfg, j.work.layers, j.work.input, j.work.operands, base);
  j.golden = golden_outputs(j.work);
  return j;
}

/// A ZVC-input layer of nearly full rows that needs several tiles on the small
/// preset: 1x1 over 128 channels of a 32x32 image.
Layer zvc_input_layer() {
  Layer l = with_post(conv("zvc_in", 128, 32, 32, 16, 1), 3, 9);
  l.activation_format = TensorFormat::zvc;
  l.input_density = 0.95;
  return l;
}

/// A ZVC-weight layer of nearly full chunks whose dense weights exceed a buffer slot.
Layer zvc_weight_layer() {
  Layer l = with_post(conv("zvc_w", 128, 8, 8, 64, 3), 3, 12);
  l.weight_format = TensorFormat::zvc;
  l.weight_density = 0.9;
  return l;
}

struct Want {
  std::string what;
  ErrorCode code;
  std::string message;
};

/// Runs `bad` then `good` in one testbench; checks the errors and that the good
/// programs, run after them, are bit-exact. Returns the good programs' outcomes.
std::vector<RunOutcome> run_errors(const AcceleratorConfig& cfg, std::vector<Program> bad, const std::vector<Want>& want,
                                   const std::vector<const Job*>& good) {
  EXPECT_EQ(bad.size(), want.size());
  for (const Job* j : good) bad.push_back(j->prog);
  std::uint64_t dram = 0;
  for (const auto& p : bad) dram = std::max(dram, p.end);
  Testbench tb("tb", options(cfg, dram));
  const auto out = tb.run(bad);
  EXPECT_EQ(out.size(), bad.size()) << "a run ended without an interrupt";
  if (out.size() != bad.size()) return {};
  for (std::size_t i = 0; i < want.size(); ++i) {
    SCOPED_TRACE(want[i].what);
    EXPECT_FALSE(out[i].ok);
    EXPECT_EQ(out[i].error, want[i].code) << "got " << regs::to_string(out[i].error) << ": " << out[i].message;
    EXPECT_EQ(out[i].error_layer, 0u);
    EXPECT_TRUE(out[i].layers.empty());
    EXPECT_HAS(out[i].message, want[i].message);
  }
  std::vector<RunOutcome> good_out(out.begin() + std::ptrdiff_t(want.size()), out.end());
  for (std::size_t i = 0; i < good.size(); ++i) {
    SCOPED_TRACE("good program " + std::to_string(i));
    EXPECT_TRUE(good_out[i].ok) << good_out[i].message;
    EXPECT_EQ(good_out[i].outputs.size(), good[i]->golden.size());
    for (std::size_t l = 0; l < good_out[i].outputs.size() && l < good[i]->golden.size(); ++l)
      EXPECT_TRUE(good_out[i].outputs[l] == good[i]->golden[l]) << "layer " << l;
  }
  return good_out;
}

TEST(FormatErrors, FillHintsThatPromiseTooLittleAreBufferCapacity) {
  const auto cfg = AcceleratorConfig::preset("small");
  const std::uint64_t seed = sdla::test::seed(500);
  const Layer in_layer = zvc_input_layer(), w_layer = zvc_weight_layer();
  const Job in_job = make_job(cfg, {in_layer}, seed);
  const Job w_job = make_job(cfg, {w_layer}, seed + 1);
  const LayerDescriptor in_d = descriptor(in_job.prog, 0), w_d = descriptor(w_job.prog, 0);
  ASSERT_GT(in_d.input_fill, 65536u * 9 / 10);
  ASSERT_GT(w_d.weight_fill, 65536u * 8 / 10);
  ASSERT_GE(plan_tiles(in_layer, cfg, in_d.input_fill / 65536.0, 1.0).step_count(), 2u)
      << "the layer should need several tiles";
  ASSERT_GE(plan_tiles(w_layer, cfg, 1.0, w_d.weight_fill / 65536.0).step_count(), 2u)
      << "the layer should need several tiles";
  ASSERT_GT(std::uint64_t(128) * 64 * 9, cfg.buffer_bytes() / 2) << "dense weights should exceed a buffer slot";

  Program lie_in = in_job.prog;
  patch_u32(lie_in, 0, kInputFillOffset, 1);  // 1/65536: "the rows are empty"
  Program lie_w = w_job.prog;
  patch_u32(lie_w, 0, kWeightFillOffset, 655);  // 1 %
  Program lie_both = w_job.prog;
  patch_u32(lie_both, 0, kInputFillOffset, 1);  // ignored: the input is dense
  patch_u32(lie_both, 0, kWeightFillOffset, 1);
  // The patches land in the documented fields and nowhere else.
  EXPECT_EQ(descriptor(lie_in, 0).input_fill, 1u);
  EXPECT_EQ(descriptor(lie_in, 0).weight_fill, in_d.weight_fill);
  EXPECT_EQ(descriptor(lie_in, 0).output_mask_addr, in_d.output_mask_addr);
  EXPECT_EQ(descriptor(lie_w, 0).weight_fill, 655u);
  EXPECT_EQ(descriptor(lie_w, 0).input_fill, w_d.input_fill);
  EXPECT_EQ(descriptor(lie_w, 0).weight_meta_addr, w_d.weight_meta_addr);

  const auto good = run_errors(cfg, {lie_in, lie_w, lie_both},
                               {{"input fill hint too small", ErrorCode::buffer_capacity, "fill hints"},
                                {"weight fill hint too small", ErrorCode::buffer_capacity, "fill hints"},
                                {"both hints 1/65536", ErrorCode::buffer_capacity, "layer 'layer0'"}},
                               {&in_job, &w_job});
  ASSERT_EQ(good.size(), 2u);
  // The honest runs move each fetched atom's mask and non-zeros, nothing else:
  // every input atom (1x1 kernel, no halo) and every weight chunk is fetched
  // equally often, so moved / dense bytes is (masks + non-zeros) / dense tensor.
  auto nonzeros = [](const Tensor<std::int16_t>& t) {
    return std::uint64_t(std::count_if(t.values().begin(), t.values().end(), [](std::int16_t v) { return v != 0; }));
  };
  const Counters& in_dram = good[0].layers.at(0).activity.at("dram");
  const std::uint64_t in_pixels_atoms = std::uint64_t(32) * 32 * 16;  // H * W * channel atoms, 1 mask byte each
  EXPECT_EQ(in_dram.at("input_bytes") * in_pixels_atoms * 8,
            in_dram.at("input_dense_bytes") * (in_pixels_atoms + nonzeros(in_job.work.input)));
  const Counters& w_dram = good[1].layers.at(0).activity.at("dram");
  const std::uint64_t w_columns = std::uint64_t(64) * 16 * 9;  // column atoms, 1 mask byte each
  EXPECT_EQ(w_dram.at("weight_bytes") * w_columns * 8,
            w_dram.at("weight_dense_bytes") * (w_columns + nonzeros(w_job.work.operands[0].weights)));
}

TEST(FormatErrors, UnknownFormatsBitsAreInvalidLayer) {
  // LayerDescriptor::layer() throws LayerError for them; the controller reports invalid_layer.
  const auto cfg = AcceleratorConfig::preset("small");
  Layer l = with_post(conv("fmt", 20, 7, 6, 13, 3), 5, 10);
  l.activation_format = l.weight_format = TensorFormat::zvc;
  l.input_density = l.weight_density = 0.5;
  const Job j = make_job(cfg, {l}, sdla::test::seed(510));
  auto with_formats = [&](std::uint8_t f) {
    Program p = j.prog;
    segment_at(p, p.layers[0].descriptor).bytes.at(kFormatsOffset) = f;
    EXPECT_EQ(descriptor(p, 0).formats, f);
    return p;
  };
  const std::uint8_t zvc = LayerDescriptor::FORMAT_INPUT_ZVC | std::uint8_t(TensorFormat::zvc);
  run_errors(cfg, {with_formats(0x10 | zvc), with_formats(0x80 | zvc), with_formats(0x40), with_formats(0x3 | 4)},
             {{"bit 4", ErrorCode::invalid_layer, "formats byte 21"},
              {"bit 7", ErrorCode::invalid_layer, "formats byte 133"},
              {"bit 6 alone", ErrorCode::invalid_layer, "formats byte 64"},
              {"weight format 3", ErrorCode::invalid_layer, "formats byte 7"}},
             {&j});
}

// ---------------------------------------------------------------- (d) a layer writing ZVC for the next

/// Number of mask bytes layer output writes: per pixel, per output-channel group, ceil(cols / G).
std::uint64_t output_mask_writes(const Layer& l, const AcceleratorConfig& cfg, unsigned G) {
  std::uint64_t per_pixel = 0;
  for (unsigned k0 = 0; k0 < l.out_channels; k0 += cfg.atomic_k)
    per_pixel += ceil_div(std::min(cfg.atomic_k, l.out_channels - k0), G);
  return per_pixel * l.out_height() * l.out_width();
}

void check_zvc_chain(const std::string& preset, Precision p, unsigned C, unsigned K0, unsigned K1, unsigned HW) {
  const auto cfg = AcceleratorConfig::preset(preset);
  const unsigned lanes = cfg.lanes(p), eb = element_bytes(p), G = std::min(8u, lanes);
  const std::uint64_t seed = sdla::test::seed(600 + C);
  // Multiplier and shift keep int8/int16 outputs mostly unsaturated; ReLU zeroes about half.
  Layer l0 = with_post(conv("producer", C, HW, HW, K0, 3, p), 3, p == Precision::int8 ? 11 : 22);
  Layer l1 = with_post(conv("consumer", K0, HW, HW, K1, 3, p), 5, p == Precision::int8 ? 11 : 22);
  l1.post.relu = false;
  l1.activation_format = TensorFormat::zvc;
  l1.weight_format = TensorFormat::zvc;
  l1.weight_density = 0.6;
  const Job job = make_job(cfg, {l0, l1}, seed);

  const CompiledLayer& c0 = job.prog.layers.at(0);
  const CompiledLayer& c1 = job.prog.layers.at(1);
  ASSERT_NE(c0.output_mask, 0u) << "layer 0 must write ZVC masks for layer 1";
  EXPECT_EQ(c0.output_mask_bytes, c0.output_bytes / eb / G);
  EXPECT_EQ(c1.output_mask, 0u) << "the last layer writes dense";
  const LayerDescriptor d0 = descriptor(job.prog, 0), d1 = descriptor(job.prog, 1);
  EXPECT_TRUE(d0.output_zvc());
  EXPECT_EQ(d0.output_mask_addr, c0.output_mask);
  EXPECT_FALSE(d0.input_zvc());
  EXPECT_TRUE(d1.input_zvc());
  EXPECT_EQ(d1.input_addr, c0.output);
  EXPECT_EQ(d1.input_mask_addr, c0.output_mask);
  EXPECT_FALSE(d1.output_zvc());
  // The mask plane overlaps nothing else the program loads.
  for (const auto& s : job.prog.segments)
    if (s.addr != c0.output_mask) {
      EXPECT_TRUE(s.addr + s.bytes.size() <= c0.output_mask || s.addr >= c0.output_mask + c0.output_mask_bytes)
          << "segment at " << s.addr << " overlaps the output mask plane";
    }
  EXPECT_LE(c0.output_mask + c0.output_mask_bytes, job.prog.end);

  std::uint64_t zeros = 0;
  for (auto v : job.golden[0].values()) zeros += v == 0;
  ASSERT_GT(zeros, job.golden[0].size() / 5) << "ReLU should zero a good part of layer 0's output";
  ASSERT_LT(zeros, job.golden[0].size()) << "layer 0's output should not be all zero";

  Testbench tb("tb", options(cfg, job.prog.end));
  const auto out = tb.run({job.prog});
  ASSERT_EQ(out.size(), 1u);
  ASSERT_TRUE(out[0].ok) << out[0].message;
  ASSERT_EQ(out[0].outputs.size(), 2u);
  EXPECT_TRUE(out[0].outputs[0] == job.golden[0]) << "layer 0 (written ZVC) is wrong";
  EXPECT_TRUE(out[0].outputs[1] == job.golden[1]) << "layer 1 (reading ZVC) is wrong";

  // The DRAM image of layer 0's output, read with the test's own decoder.
  std::vector<std::uint8_t> values(c0.output_bytes), masks(c0.output_mask_bytes);
  tb.dram().dump(c0.output, values.data(), values.size());
  tb.dram().dump(c0.output_mask, masks.data(), masks.size());
  const auto plane = decode_zvc_plane(values, masks, G, eb);
  const unsigned kp = ceil_div(K0, lanes) * lanes;
  for (unsigned k = 0; k < K0; ++k)
    for (unsigned y = 0; y < HW; ++y)
      for (unsigned x = 0; x < HW; ++x) {
        const std::size_t e = (std::size_t(y) * HW + x) * kp + k;
        ASSERT_EQ(plane[e], job.golden[0].at({k, y, x})) << "output [" << k << ", " << y << ", " << x << "]";
        ASSERT_EQ(masks[e / G] >> (e % G) & 1, job.golden[0].at({k, y, x}) != 0) << "mask bit of element " << e;
      }

  // Only masks and non-zeros were written; the dense figure is what they stand for.
  const Counters& dram0 = out[0].layers.at(0).activity.at("dram");
  const std::uint64_t dense = std::uint64_t(K0) * HW * HW * eb;
  EXPECT_EQ(dram0.at("output_dense_bytes"), dense);
  EXPECT_LT(dram0.at("output_bytes"), dram0.at("output_dense_bytes"));
  EXPECT_EQ(dram0.at("output_bytes"), (job.golden[0].size() - zeros) * eb + output_mask_writes(l0, cfg, G));
  // Layer 1 read compressed input.
  const Counters& dram1 = out[0].layers.at(1).activity.at("dram");
  EXPECT_LT(dram1.at("input_bytes"), dram1.at("input_dense_bytes"));
  EXPECT_EQ(dram1.at("output_bytes"), dram1.at("output_dense_bytes")) << "layer 1 writes dense";
}

TEST(FormatChain, ProducerWritesZvcForConsumerSmallInt8) { check_zvc_chain("small", Precision::int8, 11, 20, 9, 10); }
TEST(FormatChain, ProducerWritesZvcForConsumerFullInt16) { check_zvc_chain("full", Precision::int16, 21, 45, 13, 9); }

TEST(FormatChain, StaleDramUnderTheMaskPlaneDoesNotChangeTheRun) {
  // On the full preset an int16 layer of 45 output channels has 64 channels in
  // DRAM: mask bytes of granules 6 and 7 (channels 48..63) are never written by
  // the producer, so the program must provide them (zeroed) like the output values.
  const auto cfg = AcceleratorConfig::preset("full");
  Layer l0 = with_post(conv("producer", 21, 9, 9, 45, 3, Precision::int16), 3, 22);
  Layer l1 = with_post(conv("consumer", 45, 9, 9, 13, 3, Precision::int16), 5, 22);
  l1.activation_format = TensorFormat::zvc;
  const Job chain = make_job(cfg, {l0, l1}, sdla::test::seed(700));
  const CompiledLayer& c0 = chain.prog.layers.at(0);
  ASSERT_NE(c0.output_mask, 0u);
  // A program whose (dense, non-zero) input lies where the chain keeps its output masks.
  const Job garbage = make_job(cfg, {conv("garbage", 32, 10, 10, 4, 1, Precision::int16)}, 701, c0.output_mask);
  ASSERT_EQ(garbage.prog.layers.at(0).input, c0.output_mask);
  ASSERT_GE(std::uint64_t(32) * 10 * 10 * 2, c0.output_mask_bytes);

  Testbench tb("tb", options(cfg, std::max(chain.prog.end, garbage.prog.end)));
  const auto out = tb.run({chain.prog, garbage.prog, chain.prog});
  ASSERT_EQ(out.size(), 3u);
  ASSERT_TRUE(out[1].ok) << out[1].message;
  for (std::size_t i : {0u, 2u}) {
    SCOPED_TRACE("chain run " + std::to_string(i));
    ASSERT_TRUE(out[i].ok) << out[i].message;
    ASSERT_EQ(out[i].outputs.size(), 2u);
    EXPECT_TRUE(out[i].outputs[0] == chain.golden[0]);
    EXPECT_TRUE(out[i].outputs[1] == chain.golden[1]);
  }
  // The same program does the same work whatever DRAM held before it was loaded.
  for (std::size_t l = 0; l < 2; ++l) {
    SCOPED_TRACE("layer " + std::to_string(l));
    EXPECT_EQ(out[2].layers.at(l).activity.at("dram"), out[0].layers.at(l).activity.at("dram"));
    EXPECT_EQ(out[2].layers.at(l).cycles, out[0].layers.at(l).cycles);
  }
}

// A pass the MAC array rejects in the middle of a multi-step layer ends that
// run with an error; what the loader had fetched ahead must not leak into the
// next program of the same simulation, which stays bit-exact.
TEST(FormatChain, MacArrayErrorMidLayerLeavesTheNextProgramExact) {
  const auto cfg = AcceleratorConfig::preset("small");
  Layer l = conv("sparse", 64, 64, 64, 16, 3);
  l.weight_format = TensorFormat::sparse_2_4;
  Job bad = make_job(cfg, {l}, sdla::test::seed(900));
  const Job good = make_job(cfg, {l}, 901, bad.prog.end + 0x1000);
  // Equal indices (nibble 0b0000) are invalid 2:4 metadata: corrupt the second half of the codewords.
  const LayerDescriptor d = descriptor(bad.prog, 0);
  for (Segment& seg : bad.prog.segments)
    if (seg.addr == d.weight_meta_addr)
      std::fill(seg.bytes.begin() + std::ptrdiff_t(seg.bytes.size() / 2), seg.bytes.end(), 0);
  ASSERT_GT(plan_tiles(l, cfg).step_count(), 2u) << "the error must strike mid-layer";
  Testbench tb("tb", options(cfg, good.prog.end));
  const auto out = tb.run({bad.prog, good.prog, bad.prog, good.prog});
  ASSERT_EQ(out.size(), 4u);
  for (std::size_t i : {0u, 2u}) {
    EXPECT_FALSE(out[i].ok);
    EXPECT_EQ(out[i].error, regs::ErrorCode::mac_array_error) << out[i].message;
  }
  for (std::size_t i : {1u, 3u}) {
    ASSERT_TRUE(out[i].ok) << out[i].message;
    EXPECT_TRUE(out[i].outputs.at(0) == good.golden[0]) << "run " << i;
  }
  EXPECT_EQ(out[1].cycles, out[3].cycles);
}

TEST(FormatChain, ZvcOutputIsExactOnEveryConfigThatValidates) {
  // atomic_c 8, atomic_k 4: validate() accepts it (atomic_k a multiple of
  // min(8, atomic_c / 2) = 4), but int8 granules are min(8, lanes) = 8 channels,
  // so an output-channel group of 4 covers half a granule.
  AcceleratorConfig cfg = AcceleratorConfig::preset("small");
  cfg.name = "small_k4";
  cfg.atomic_k = 4;
  try {
    cfg.validate();
  } catch (const std::invalid_argument& e) {
    SUCCEED() << "the configuration is rejected: " << e.what();
    return;
  }
  Layer l0 = with_post(conv("producer", 11, 6, 6, 12, 3), 3, 11);
  Layer l1 = with_post(conv("consumer", 12, 6, 6, 5, 3), 5, 11);
  const Job dense = make_job(cfg, {l0, l1}, sdla::test::seed(800));
  l1.activation_format = TensorFormat::zvc;
  const Job zvc = make_job(cfg, {l0, l1}, sdla::test::seed(800));
  ASSERT_TRUE(zvc.golden == dense.golden);
  Testbench tb("tb", options(cfg, std::max(dense.prog.end, zvc.prog.end)));
  const auto out = tb.run({dense.prog, zvc.prog});
  ASSERT_EQ(out.size(), 2u);
  for (std::size_t i = 0; i < 2; ++i) {
    SCOPED_TRACE(i ? "ZVC between the layers" : "dense between the layers");
    ASSERT_TRUE(out[i].ok) << out[i].message;
    ASSERT_EQ(out[i].outputs.size(), 2u);
    EXPECT_TRUE(out[i].outputs[0] == dense.golden[0]) << "layer 0 is wrong";
    EXPECT_TRUE(out[i].outputs[1] == dense.golden[1]) << "layer 1 is wrong";
  }
}

}  // namespace
}  // namespace sdla
