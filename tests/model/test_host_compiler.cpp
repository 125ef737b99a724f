// The host compiler: what it rejects (shapes, value ranges, chaining rules)
// and the DRAM image it writes (descriptor wire format and chain, packed
// feature maps and weights in the layouts of sdla/descriptor.hpp, regions
// that do not overlap), the host memory it and a run need (counted exactly,
// refused before allocating), and unpack_output's sign extension.
#include <algorithm>
#include <cstring>
#include <map>
#include <random>
#include <string>

#include <gtest/gtest.h>

#include "expect_has.hpp"
#include "layers.hpp"
#include "host_compiler.hpp"
#include "sdla/descriptor.hpp"
#include "seed.hpp"
#include "workload.hpp"

namespace sdla {
namespace {

Layer conv(const std::string& name, unsigned C, unsigned H, unsigned W, unsigned K, unsigned R = 3,
           Precision p = Precision::int8) {
  return test::conv_layer(name, C, H, W, K, R, p);
}

Layer with_post(Layer l, std::int32_t mult = 3, std::uint8_t shift = 4, bool relu = false) {
  l.post.enabled = true;
  l.post.relu = relu;
  l.post.multiplier = {mult};
  l.post.shift = {shift};
  return l;
}

template <class T>
Tensor<T> random_tensor(Shape shape, std::int64_t lo, std::int64_t hi, std::mt19937_64& rng) {
  Tensor<T> t(std::move(shape));
  std::uniform_int_distribution<std::int64_t> d(lo, hi);
  for (auto& v : t.values()) v = T(d(rng));
  return t;
}

Tensor<std::int16_t> input_for(const Layer& l, std::mt19937_64& rng) {
  const std::int64_t m = l.precision == Precision::int8 ? 127 : 32767;
  return random_tensor<std::int16_t>({l.in_channels, l.in_height, l.in_width}, -m - 1, m, rng);
}

LayerOperands operands_for(const Layer& l, std::mt19937_64& rng) {
  const std::int64_t m = l.precision == Precision::int8 ? 127 : 32767;
  LayerOperands ops;
  ops.weights = random_tensor<std::int16_t>({l.out_channels, l.group_channels(), l.kernel_h, l.kernel_w}, -m - 1, m, rng);
  if (l.post.enabled) ops.bias = random_tensor<std::int32_t>({l.out_channels}, -100000, 100000, rng);
  return ops;
}

/// compile_network's LayerError message, or "" when it compiles.
std::string compile_error(const AcceleratorConfig& cfg, const std::vector<Layer>& layers,
                          const Tensor<std::int16_t>& input, const std::vector<LayerOperands>& ops) {
  try {
    compile_network(cfg, layers, input, ops);
  } catch (const LayerError& e) {
    return e.what();
  }
  return "";
}

const Segment* segment_at(const Program& prog, std::uint64_t addr) {
  for (const auto& s : prog.segments)
    if (s.addr == addr) return &s;
  return nullptr;
}

std::int64_t read_le(const std::uint8_t* p, unsigned bytes) {
  std::uint64_t v = 0;
  for (unsigned b = 0; b < bytes; ++b) v |= std::uint64_t(p[b]) << (8 * b);
  const unsigned shift = 64 - 8 * bytes;
  return std::int64_t(v << shift) >> shift;
}

unsigned round_up(unsigned a, unsigned b) { return (a + b - 1) / b * b; }

// ---------------------------------------------------------------- errors

TEST(HostCompilerErrors, WeightsShapeMismatchNamesLayerAndShapes) {
  std::mt19937_64 rng(1);
  const auto cfg = AcceleratorConfig::preset("small");
  const Layer l = conv("convA", 5, 6, 6, 7);
  auto ops = operands_for(l, rng);
  ops.weights = Tensor<std::int16_t>({7, 5, 3, 2});  // S wrong
  const std::string msg = compile_error(cfg, {l}, input_for(l, rng), {ops});
  EXPECT_HAS(msg, "convA");
  EXPECT_HAS(msg, "[7, 5, 3, 2]");
  EXPECT_HAS(msg, "[7, 5, 3, 3]");
}

TEST(HostCompilerErrors, InputAndBiasShapeMismatch) {
  std::mt19937_64 rng(2);
  const auto cfg = AcceleratorConfig::preset("small");
  const Layer l = with_post(conv("convB", 5, 6, 6, 7));
  const auto ops = operands_for(l, rng);
  std::string msg = compile_error(cfg, {l}, Tensor<std::int16_t>({5, 6, 7}), {ops});
  EXPECT_HAS(msg, "input has shape [5, 6, 7]");
  auto bad_bias = ops;
  bad_bias.bias = Tensor<std::int32_t>({6});
  msg = compile_error(cfg, {l}, input_for(l, rng), {bad_bias});
  EXPECT_HAS(msg, "bias has shape [6]");
  // An empty bias is allowed (zero bias).
  auto no_bias = ops;
  no_bias.bias = Tensor<std::int32_t>();
  EXPECT_EQ(compile_error(cfg, {l}, input_for(l, rng), {no_bias}), "");
}

TEST(HostCompilerErrors, Int8ValuesOutOfRange) {
  std::mt19937_64 rng(3);
  const auto cfg = AcceleratorConfig::preset("small");
  const Layer l = conv("convC", 4, 5, 5, 3);
  auto ops = operands_for(l, rng);
  auto x = input_for(l, rng);
  ASSERT_EQ(compile_error(cfg, {l}, x, {ops}), "");

  auto w_hi = ops;
  w_hi.weights.at({2, 3, 1, 0}) = 128;
  std::string msg = compile_error(cfg, {l}, x, {w_hi});
  EXPECT_HAS(msg, "weight value 128");
  EXPECT_HAS(msg, "int8");

  auto w_lo = ops;
  w_lo.weights.at({0, 0, 0, 0}) = -129;
  EXPECT_HAS(compile_error(cfg, {l}, x, {w_lo}), "weight value -129");

  auto x_bad = x;
  x_bad.at({3, 4, 4}) = 200;
  EXPECT_HAS(compile_error(cfg, {l}, x_bad, {ops}), "input value 200");

  // The extremes themselves fit.
  auto edge = ops;
  edge.weights.at({0, 0, 0, 0}) = -128;
  edge.weights.at({0, 0, 0, 1}) = 127;
  EXPECT_EQ(compile_error(cfg, {l}, x, {edge}), "");

  // The same values are fine for an int16 layer.
  Layer l16 = l;
  l16.precision = Precision::int16;
  w_hi.weights.at({1, 1, 1, 1}) = -32768;
  x_bad.at({0, 0, 0}) = 32767;
  EXPECT_EQ(compile_error(cfg, {l16}, x_bad, {w_hi}), "");
}

TEST(HostCompilerErrors, OperandCountAndEmptyNetwork) {
  std::mt19937_64 rng(4);
  const auto cfg = AcceleratorConfig::preset("small");
  const Layer l = conv("convD", 4, 5, 5, 3);
  EXPECT_HAS(compile_error(cfg, {l}, input_for(l, rng), {}), "1 layers but 0 operand sets");
  EXPECT_HAS(compile_error(cfg, {}, input_for(l, rng), {}), "no layers");
}

TEST(HostCompilerErrors, InvalidLayerIsRejected) {
  std::mt19937_64 rng(5);
  const auto cfg = AcceleratorConfig::preset("small");
  Layer l = conv("convE", 4, 5, 5, 3);
  const auto x = input_for(l, rng);
  const auto ops = operands_for(l, rng);
  l.stride_h = 0;
  EXPECT_HAS(compile_error(cfg, {l}, x, {ops}), "stride height");
}

TEST(HostCompilerErrors, ChainRules) {
  std::mt19937_64 rng(6);
  const auto cfg = AcceleratorConfig::preset("small");
  const Layer first = with_post(conv("first", 4, 6, 6, 10));
  const Layer second = conv("second", 10, 6, 6, 5);
  const auto x = input_for(first, rng);
  const std::vector<LayerOperands> ops{operands_for(first, rng), operands_for(second, rng)};
  ASSERT_EQ(compile_error(cfg, {first, second}, x, ops), "");

  // The previous layer is not post-processed: its raw int32 sums cannot feed an int8 layer.
  Layer raw = first;
  raw.post = PostOp{};
  std::string msg = compile_error(cfg, {raw, second}, x, {operands_for(raw, rng), ops[1]});
  EXPECT_HAS(msg, "'second' cannot follow 'first'");
  EXPECT_HAS(msg, "post-processed");

  // Channels, height or width disagree.
  for (int field = 0; field < 3; ++field) {
    Layer bad = second;
    if (field == 0) bad.in_channels = 9;
    if (field == 1) bad.in_height = 5;
    if (field == 2) bad.in_width = 7;
    msg = compile_error(cfg, {first, bad}, x, {ops[0], operands_for(bad, rng)});
    EXPECT_HAS(msg, "cannot follow") << "field " << field;
    EXPECT_HAS(msg, "[10, 6, 6]") << "field " << field;
  }

  // Strided first layer: the output is 3x3, so a 6x6 second layer does not fit, a 3x3 one does.
  Layer strided = first;
  strided.stride_h = strided.stride_w = 2;
  EXPECT_HAS(compile_error(cfg, {strided, second}, x, ops), "[10, 3, 3]");
  Layer small_second = second;
  small_second.in_height = small_second.in_width = 3;
  EXPECT_EQ(compile_error(cfg, {strided, small_second}, x, {ops[0], operands_for(small_second, rng)}), "");

  // Precision change between layers.
  Layer wide = second;
  wide.precision = Precision::int16;
  msg = compile_error(cfg, {first, wide}, x, {ops[0], operands_for(wide, rng)});
  EXPECT_HAS(msg, "same precision");
}

TEST(HostCompilerErrors, ChainErrorsSayExactlyWhichRuleFailed) {
  std::mt19937_64 rng(6);
  const auto cfg = AcceleratorConfig::preset("small");
  const Layer first = with_post(conv("first", 4, 6, 6, 10));
  const Layer second = conv("second", 10, 6, 6, 5);
  const auto x = input_for(first, rng);
  const LayerOperands first_ops = operands_for(first, rng);
  auto error = [&](const Layer& a, const Layer& b) {
    return compile_error(cfg, {a, b}, x, {a.post.enabled ? first_ops : operands_for(a, rng), operands_for(b, rng)});
  };
  auto expect_lacks = [](const std::string& msg, const char* what) {
    EXPECT_EQ(msg.find(what), std::string::npos) << "the message names '" << what << "', which holds: " << msg;
  };

  Layer raw = first;
  raw.post = PostOp{};
  std::string msg = error(raw, second);
  EXPECT_HAS(msg, "layer 'second' cannot follow 'first': 'first' is not post-processed");
  EXPECT_HAS(msg, "raw int32 sums");
  expect_lacks(msg, "precision");
  expect_lacks(msg, "[10, 6, 6]");

  Layer wide = second;
  wide.precision = Precision::int16;
  msg = error(first, wide);
  EXPECT_HAS(msg, "'first' is int8 but 'second' is int16");
  expect_lacks(msg, "post-processed");
  expect_lacks(msg, "[10, 6, 6]");

  // Each dimension that differs is named with both values; the others are not.
  const char* const dims[] = {"channels", "height", "width"};
  const char* const want[] = {"(channels 10 vs 9)", "(height 6 vs 5)", "(width 6 vs 7)"};
  for (int field = 0; field < 3; ++field) {
    SCOPED_TRACE(dims[field]);
    Layer bad = second;
    if (field == 0) bad.in_channels = 9;
    if (field == 1) bad.in_height = 5;
    if (field == 2) bad.in_width = 7;
    msg = error(first, bad);
    EXPECT_HAS(msg, "the output [10, 6, 6] of 'first' is not the input");
    EXPECT_HAS(msg, want[field]);
    for (int other = 0; other < 3; ++other)
      if (other != field) expect_lacks(msg, dims[other]);
    expect_lacks(msg, "post-processed");
    expect_lacks(msg, "precision");
  }

  // Two rules broken at once: both are said, and only those.
  Layer both = second;
  both.in_height = 3;
  msg = error(raw, both);
  EXPECT_HAS(msg, "'first' is not post-processed");
  EXPECT_HAS(msg, "(height 6 vs 3)");
  expect_lacks(msg, "precision");
}

// ---------------------------------------------------------------- host memory

TEST(HostCompilerMemory, ChannelPaddingCountsAgainstTheBudget) {
  // One channel of 20000 x 20000: 0.4 G values, a 3.7 GiB estimate without padding; but on
  // `full` int8 every pixel holds 64 lanes, and the raw int32 output as many: 128 GB in all.
  const auto cfg = AcceleratorConfig::preset("full");
  const Layer l = conv("wide", 1, 20000, 20000, 1, 1);
  LayerOperands ops;
  ops.weights = Tensor<std::int16_t>({1, 1, 1, 1});
  // Refused before anything is packed (or even the input looked at: none is made here).
  const std::string msg = compile_error(cfg, {l}, Tensor<std::int16_t>(), {ops});
  EXPECT_HAS(msg, "layer 'wide'");
  // Input 20000^2 x 64 B, output 20000^2 x 64 x 4 B, one weight column and the descriptor (256 B each).
  const std::uint64_t image = 20000ull * 20000 * 64 + 20000ull * 20000 * 64 * 4 + 256 + 256;
  EXPECT_HAS(msg, std::to_string(image) + " bytes");
  EXPECT_HAS(msg, "padded to 64 lanes");
  EXPECT_HAS(msg, "host-memory budget of 17179869184 bytes (16.0 GiB)");
}

TEST(HostCompilerMemory, ChainsCountEveryLayerAndNameTheOneThatCrosses) {
  // On `small` (8 int8 lanes): a's image is 2 GiB of input and 2 GiB of output, b's 4 GiB of
  // output, c's 8 GiB of raw int32 output. Each fits alone; c crosses 16 GiB after a and b.
  const auto cfg = AcceleratorConfig::preset("small");
  const Layer a = with_post(conv("a", 8, 16384, 16384, 8, 1));
  const Layer b = with_post(conv("b", 8, 16384, 16384, 16, 1));
  const Layer c = conv("c", 16, 16384, 16384, 8, 1);
  for (const Layer& l : {a, b, c}) {
    const ImageBytes alone = image_bytes(cfg, {l}, 0);
    EXPECT_LT(alone.image + alone.scratch, kHostMemoryBudget) << l.name;
  }
  EXPECT_EQ(image_bytes(cfg, {a, b, c}, 2).image, 16384ull * 16384 * 8 * 4 + 256 + 256) << "c's input is b's output";
  LayerOperands ops;
  ops.weights = Tensor<std::int16_t>({8, 8, 1, 1});
  const std::string msg = compile_error(cfg, {a, b, c}, Tensor<std::int16_t>(), {ops, ops, ops});
  EXPECT_HAS(msg, "layer 'c'");
  EXPECT_HAS(msg, "for it and the layers before it");
}

TEST(HostCompilerMemory, ImageBytesAreExactlyWhatCompileNetworkPlaces) {
  // Every kind of region: dense and ZVC activations and weights, 2:4, both Winograd modes,
  // int16, fc, raw and post-processed outputs, a ZVC-writing chain, partial atoms.
  const std::uint64_t seed = sdla::test::seed(77);
  Layer zvc_in = with_post(conv("zvc_in", 21, 9, 7, 12), 1, 6, true);
  zvc_in.activation_format = TensorFormat::zvc;
  zvc_in.weight_format = TensorFormat::zvc;
  zvc_in.input_density = zvc_in.weight_density = 0.5;
  Layer sparse = with_post(conv("sparse", 12, 9, 7, 17), 1, 8, true);
  sparse.weight_format = TensorFormat::sparse_2_4;
  sparse.activation_format = TensorFormat::zvc;
  Layer exact = conv("exact", 17, 9, 7, 5);
  exact.winograd = Winograd::exact;
  Layer nvdla = with_post(conv("nvdla", 19, 8, 8, 9), 1, 9, true);
  nvdla.winograd = Winograd::nvdla;
  Layer raw16 = conv("raw16", 9, 8, 8, 6, 3, Precision::int16);
  Layer fc;
  fc.name = "fc";
  fc.op = Op::fc;
  fc.in_channels = 300;
  fc.out_channels = 70;
  // Grouped layers store only the channel units each output-channel group visits.
  Layer depthwise = with_post(conv("depthwise", 70, 9, 7, 70), 1, 6, true);
  depthwise.groups = 70;
  depthwise.stride_h = depthwise.stride_w = 2;
  Layer grouped_zvc = conv("grouped_zvc", 70, 5, 4, 21, 1);
  grouped_zvc.groups = 7;
  grouped_zvc.weight_format = TensorFormat::zvc;
  grouped_zvc.activation_format = TensorFormat::zvc;
  Layer grouped_24 = conv("grouped_24", 24, 5, 4, 10, 3, Precision::int16);
  grouped_24.groups = 2;
  grouped_24.weight_format = TensorFormat::sparse_2_4;
  const std::vector<std::vector<Layer>> networks{{zvc_in, sparse, exact}, {nvdla}, {raw16}, {fc},
                                                 {depthwise, grouped_zvc}, {grouped_24}};
  for (const char* preset : {"small", "full"}) {
    const auto cfg = AcceleratorConfig::preset(preset);
    for (const auto& layers : networks) {
      SCOPED_TRACE(std::string(preset) + " " + layers.front().name);
      const Workload w = generate_workload(layers, seed);
      const std::uint64_t base = 0x1000;
      const Program prog = compile_network(cfg, w.layers, w.input, w.operands, base);
      std::uint64_t image = 0, scratch = 0;
      for (std::size_t i = 0; i < layers.size(); ++i) {
        const ImageBytes b = image_bytes(cfg, layers, i);
        image += b.image;
        scratch += b.scratch;
      }
      EXPECT_EQ(image, prog.end - base);
      std::uint64_t held = 0;
      for (const auto& seg : prog.segments) held += seg.bytes.size();
      EXPECT_LE(held, image) << "the segments hold more than the image counts";
      if (layers.front().activation_format == TensorFormat::zvc) {
        EXPECT_GT(scratch, 0u);
      }
    }
  }
}

TEST(HostCompilerMemory, GeneratedTensorsAreRefusedBeforeTheyAreAllocated) {
  // 16 x 65535 x 65535 int16 values: 128 GiB of input. It was a bare std::bad_alloc.
  const Layer l = conv("huge16", 16, 65535, 65535, 16, 1, Precision::int16);
  try {
    generate_workload({l}, 1);
    FAIL() << "a 128 GiB workload was generated";
  } catch (const LayerError& e) {
    const std::string msg = e.what();
    EXPECT_HAS(msg, "layer 'huge16'");
    EXPECT_HAS(msg, "input [16, 65535, 65535]");
    EXPECT_HAS(msg, std::to_string(16ull * 65535 * 65535 * 2 + 16 * 16 * 2) + " bytes");
    EXPECT_HAS(msg, "host-memory budget");
  }
}

TEST(HostCompilerMemory, RunCheckCountsGoldenOutputsAndTheSimulatedDram) {
  const auto cfg = AcceleratorConfig::preset("full");
  // What sdla-run refuses before generating anything: the padded C = 1 layer of the issue.
  try {
    check_host_memory(cfg, {conv("wide", 1, 20000, 20000, 1, 1)});
    FAIL() << "a 128 GB image was accepted";
  } catch (const LayerError& e) {
    const std::string msg = e.what();
    EXPECT_HAS(msg, "layer 'wide': the run needs");
    EXPECT_HAS(msg, "padded to 64 lanes");
    EXPECT_HAS(msg, "golden reference");
  }
  // The totals grow layer by layer; the image counts twice (program and simulated DRAM),
  // and the golden and read-back outputs at least 8 bytes per output value each.
  const Layer a = with_post(conv("a", 64, 64, 64, 64, 3));
  const Layer b = with_post(conv("b", 64, 64, 64, 64, 3));
  const Layer c = conv("c", 64, 64, 64, 64, 3);
  const std::vector<RunMemory> m = run_memory(cfg, {a, b, c});
  ASSERT_EQ(m.size(), 3u);
  EXPECT_GE(m[0].total(), 2 * image_bytes(cfg, {a, b, c}, 0).image + m[0].tensors + 2 * 64ull * 64 * 64 * 8);
  EXPECT_LT(m[0].total(), m[1].total());
  EXPECT_LT(m[1].total(), m[2].total());
  // The layer named is the one with which the total crosses the budget.
  EXPECT_NO_THROW(check_host_memory(cfg, {a, b, c}, m[2].total()));
  for (std::size_t i = 0; i < 2; ++i) {
    try {
      check_host_memory(cfg, {a, b, c}, m[i].total());
      FAIL() << "three layers fit a budget sized for " << i + 1;
    } catch (const LayerError& e) {
      EXPECT_HAS(e.what(), std::string("layer '") + "bc"[i] + "': the run needs " + std::to_string(m[i + 1].total()));
      EXPECT_HAS(e.what(), "with the layers before it");
    }
  }
}

// ---------------------------------------------------------------- layout

TEST(HostCompilerLayout, DescriptorWireFormatIsLittleEndianInDeclarationOrder) {
  LayerDescriptor d;
  d.op = 1; d.precision = 1; d.flags = 3; d.formats = 0x5A;
  d.in_channels = 0x01020304; d.in_height = 0x11; d.in_width = 0x12; d.out_channels = 0x13;
  d.kernel_h = 0x21; d.kernel_w = 0x22; d.stride_h = 0x23; d.stride_w = 0x24;
  d.pad_top = 0x31; d.pad_bottom = 0x32; d.pad_left = 0x33; d.pad_right = 0x34;
  d.input_addr = 0x0102030405060708ull; d.weight_addr = 0x41; d.output_addr = 0x42;
  d.bias_addr = 0x43; d.multiplier_addr = 0x44; d.shift_addr = 0x45; d.next = 0xA0B0C0D0E0F00010ull;
  d.weight_meta_addr = 0x51; d.input_mask_addr = 0x52; d.output_mask_addr = 0x53;
  const auto b = d.encode();
  ASSERT_EQ(b.size(), LayerDescriptor::BYTES);
  EXPECT_EQ(read_le(&b[0], 4), std::int64_t(LayerDescriptor::MAGIC));
  EXPECT_EQ(std::string(reinterpret_cast<const char*>(&b[0]), 4), "LSD1");
  EXPECT_EQ(b[4], 1); EXPECT_EQ(b[5], 1); EXPECT_EQ(b[6], 3); EXPECT_EQ(b[7], 0x5A);
  EXPECT_EQ(b[8], 0x04); EXPECT_EQ(b[9], 0x03); EXPECT_EQ(b[10], 0x02); EXPECT_EQ(b[11], 0x01);
  const std::uint32_t u32s[] = {0x11, 0x12, 0x13, 0x21, 0x22, 0x23, 0x24, 0x31, 0x32, 0x33, 0x34};
  for (unsigned i = 0; i < 11; ++i) EXPECT_EQ(read_le(&b[12 + 4 * i], 4), u32s[i]) << "u32 field " << i + 1;
  EXPECT_EQ(std::uint64_t(read_le(&b[56], 8)), 0x0102030405060708ull);
  const std::uint64_t u64s[] = {0x41, 0x42, 0x43, 0x44, 0x45};
  for (unsigned i = 0; i < 5; ++i) EXPECT_EQ(std::uint64_t(read_le(&b[64 + 8 * i], 8)), u64s[i]) << "u64 field " << i;
  EXPECT_EQ(std::uint64_t(read_le(&b[104], 8)), 0xA0B0C0D0E0F00010ull);
  EXPECT_EQ(std::uint64_t(read_le(&b[112], 8)), d.weight_meta_addr);
  for (std::size_t i = 136; i < b.size(); ++i) EXPECT_EQ(b[i], 0) << "reserved tail byte " << i;

  // decode is the inverse of encode, and decode ignores whatever garbage the struct held.
  const LayerDescriptor e = LayerDescriptor::decode(b.data());
  EXPECT_EQ(e.encode(), b);
  EXPECT_EQ(e.next, d.next);
  EXPECT_EQ(e.in_channels, d.in_channels);
}

TEST(HostCompilerLayout, DescriptorCarriesGroups) {
  Layer l = conv("dw", 24, 5, 5, 48, 3);
  l.groups = 24;
  const LayerDescriptor d = LayerDescriptor::from_layer(l);
  EXPECT_EQ(d.groups, 24u);
  const auto b = d.encode();
  EXPECT_EQ(read_le(&b[148], 4), 24) << "groups is a u32 at bytes 148..151";
  const LayerDescriptor e = LayerDescriptor::decode(b.data());
  EXPECT_EQ(e.groups, 24u);
  EXPECT_EQ(e.layer().groups, 24u);
  EXPECT_EQ(e.layer().macs(), l.macs());
  // One group is written as 0 (a dense descriptor is what it always was); 0 and 1 read as one group.
  EXPECT_EQ(LayerDescriptor::from_layer(conv("c", 24, 5, 5, 48, 3)).groups, 0u);
  for (std::uint32_t one : {0u, 1u}) {
    LayerDescriptor f = d;
    f.groups = one;
    EXPECT_EQ(f.layer().groups, 1u);
  }
  // What the layer rules reject is a LayerError (the controller's invalid_layer), never a crash.
  for (std::uint32_t bad : {5u, 7u, 96u, 0x80000000u, 0xFFFFFFFFu}) {
    LayerDescriptor f = d;
    f.groups = bad;
    EXPECT_THROW(f.layer(), LayerError) << "groups " << bad;
  }
  LayerDescriptor winograd = LayerDescriptor::from_layer(conv("w", 24, 5, 5, 24, 3));
  winograd.winograd = std::uint8_t(Winograd::exact);
  EXPECT_NO_THROW(winograd.layer());
  winograd.groups = 2;
  try {
    winograd.layer();
    ADD_FAILURE() << "a grouped Winograd descriptor was accepted";
  } catch (const LayerError& err) {
    EXPECT_HAS(err.what(), "grouped convolution");
  }
  Layer fc;
  fc.op = Op::fc;
  fc.in_channels = fc.out_channels = 8;
  LayerDescriptor f = LayerDescriptor::from_layer(fc);
  f.groups = 2;
  EXPECT_THROW(f.layer(), LayerError);
}

TEST(HostCompilerLayout, DescriptorLayerRejectsUnknownOpAndPrecision) {
  LayerDescriptor d = LayerDescriptor::from_layer(conv("x", 4, 5, 5, 3));
  EXPECT_NO_THROW(d.layer());
  LayerDescriptor bad = d;
  bad.op = 2;
  EXPECT_THROW(bad.layer(), LayerError);
  bad = d;
  bad.precision = 9;
  EXPECT_THROW(bad.layer(), LayerError);
  bad = d;
  bad.out_channels = 0;
  EXPECT_THROW(bad.layer(), LayerError);
  bad = d;
  bad.magic = 0;
  EXPECT_THROW(bad.layer(), LayerError);
}

/// Compiles a 3-layer chain and checks the descriptors, the chain and the regions.
void check_chain_layout(const std::string& preset) {
  std::mt19937_64 rng(sdla::test::seed(11));
  const auto cfg = AcceleratorConfig::preset(preset);
  Layer a = with_post(conv("a", 13, 7, 9, 19), 5, 6, true);
  a.stride_w = 2;
  Layer b = with_post(conv("b", 19, 7, 5, 11, 1), 7, 3, false);
  b.post.multiplier.resize(11);
  for (unsigned k = 0; k < 11; ++k) b.post.multiplier[k] = std::int32_t(k * 1000 - 3000);
  b.post.shift = {2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12};
  Layer d = conv("d", 11, 7, 5, 6, 3);
  d.pad = {2, 0, 1, 2};
  d.kernel_w = 4;
  const std::vector<Layer> layers{a, b, d};
  const auto x = input_for(a, rng);
  std::vector<LayerOperands> ops;
  for (const auto& l : layers) ops.push_back(operands_for(l, rng));
  const std::uint64_t base = 0x12345;
  const Program prog = compile_network(cfg, layers, x, ops, base);

  ASSERT_EQ(prog.layers.size(), 3u);
  EXPECT_EQ(prog.entry, prog.layers[0].descriptor);
  for (std::size_t i = 0; i < layers.size(); ++i) {
    const CompiledLayer& cl = prog.layers[i];
    const Layer& l = layers[i];
    SCOPED_TRACE("layer " + l.name);
    EXPECT_EQ(cl.channel_pad, cfg.lanes(l.precision));
    const Segment* seg = segment_at(prog, cl.descriptor);
    ASSERT_NE(seg, nullptr) << "no segment holds the descriptor";
    ASSERT_EQ(seg->bytes.size(), LayerDescriptor::BYTES);
    const LayerDescriptor desc = LayerDescriptor::decode(seg->bytes.data());
    EXPECT_EQ(desc.magic, LayerDescriptor::MAGIC);
    const Layer back = desc.layer();
    EXPECT_EQ(back.op, l.op);
    EXPECT_EQ(back.precision, l.precision);
    EXPECT_EQ(back.in_channels, l.in_channels);
    EXPECT_EQ(back.in_height, l.in_height);
    EXPECT_EQ(back.in_width, l.in_width);
    EXPECT_EQ(back.out_channels, l.out_channels);
    EXPECT_EQ(back.kernel_h, l.kernel_h);
    EXPECT_EQ(back.kernel_w, l.kernel_w);
    EXPECT_EQ(back.stride_h, l.stride_h);
    EXPECT_EQ(back.stride_w, l.stride_w);
    EXPECT_TRUE(back.pad == l.pad);
    EXPECT_EQ(back.post.enabled, l.post.enabled);
    EXPECT_EQ(back.post.relu, l.post.relu);
    EXPECT_EQ(desc.input_addr, cl.input);
    EXPECT_EQ(desc.weight_addr, cl.weights);
    EXPECT_EQ(desc.output_addr, cl.output);
    // The chain: each descriptor points at the next, the last ends it.
    EXPECT_EQ(desc.next, i + 1 < layers.size() ? prog.layers[i + 1].descriptor : 0u);
    if (i > 0) {
      EXPECT_EQ(cl.input, prog.layers[i - 1].output) << "a chained layer reads its predecessor's output";
    }
    // Output region: [P][Q][Kp] of 1/2 bytes post-processed, 4/8 raw.
    const unsigned eb = l.post.enabled ? element_bytes(l.precision) : accumulator_bytes(l.precision);
    EXPECT_EQ(cl.output_element_bytes, eb);
    EXPECT_EQ(cl.output_bytes,
              std::uint64_t(l.out_height()) * l.out_width() * round_up(l.out_channels, cl.channel_pad) * eb);
    // Post parameters: int32 bias and multiplier, uint8 shift, one per output channel.
    if (l.post.enabled) {
      const Segment* bias = segment_at(prog, desc.bias_addr);
      const Segment* mult = segment_at(prog, desc.multiplier_addr);
      const Segment* shift = segment_at(prog, desc.shift_addr);
      ASSERT_TRUE(bias && mult && shift);
      ASSERT_EQ(bias->bytes.size(), 4u * l.out_channels);
      ASSERT_EQ(mult->bytes.size(), 4u * l.out_channels);
      ASSERT_EQ(shift->bytes.size(), l.out_channels);
      for (unsigned k = 0; k < l.out_channels; ++k) {
        EXPECT_EQ(read_le(&bias->bytes[4 * k], 4), ops[i].bias.data()[k]) << "bias " << k;
        EXPECT_EQ(read_le(&mult->bytes[4 * k], 4), l.post.multiplier_for(k)) << "multiplier " << k;
        EXPECT_EQ(shift->bytes[k], l.post.shift_for(k)) << "shift " << k;
      }
    } else {
      EXPECT_EQ(desc.bias_addr, 0u);
      EXPECT_EQ(desc.multiplier_addr, 0u);
      EXPECT_EQ(desc.shift_addr, 0u);
    }
  }

  // Regions: every segment and every output region lies in [base, end), none overlap.
  std::vector<std::pair<std::uint64_t, std::uint64_t>> regions;  // [begin, end)
  for (const auto& s : prog.segments) regions.push_back({s.addr, s.addr + s.bytes.size()});
  for (const auto& cl : prog.layers) {
    const Segment* out = segment_at(prog, cl.output);
    ASSERT_NE(out, nullptr) << "output regions are loaded zeroed";
    EXPECT_EQ(out->bytes.size(), cl.output_bytes);
    EXPECT_TRUE(std::all_of(out->bytes.begin(), out->bytes.end(), [](std::uint8_t v) { return v == 0; }));
  }
  std::sort(regions.begin(), regions.end());
  ASSERT_FALSE(regions.empty());
  EXPECT_GE(regions.front().first, base);
  for (std::size_t i = 0; i < regions.size(); ++i) {
    EXPECT_LT(regions[i].first, regions[i].second) << "empty region at " << regions[i].first;
    EXPECT_LE(regions[i].second, prog.end) << "region at " << regions[i].first << " passes Program::end";
    if (i) {
      EXPECT_LE(regions[i - 1].second, regions[i].first) << "regions overlap at " << regions[i].first;
    }
  }
  // Expected segments: per layer weights, output, descriptor (+ bias, multiplier, shift), plus the input.
  std::size_t expected = 1;
  for (const auto& l : layers) expected += 3 + (l.post.enabled ? 3 : 0);
  EXPECT_EQ(prog.segments.size(), expected);
}

TEST(HostCompilerLayout, ChainDescriptorsAndRegionsSmall) { check_chain_layout("small"); }
TEST(HostCompilerLayout, ChainDescriptorsAndRegionsFull) { check_chain_layout("full"); }

/// The documented weight layout: per group g of atomic_k output channels,
/// per channel atom, per r, per s, a block [kg][lanes] of atom_bytes per column.
void check_weight_layout(const std::string& preset, Precision p, unsigned K, unsigned C, unsigned R, unsigned S) {
  std::mt19937_64 rng(sdla::test::seed(21));
  const auto cfg = AcceleratorConfig::preset(preset);
  ASSERT_NE(K % cfg.atomic_k, 0u) << "the test wants a partial last group";
  ASSERT_NE(C % cfg.lanes(p), 0u) << "the test wants a partial last channel atom";
  Layer l = conv("w", C, R + 2, S + 3, K, R, p);
  l.kernel_w = S;
  l.pad = {};
  const auto x = input_for(l, rng);
  LayerOperands ops;
  // Non-zero everywhere so that a value landing in a padding lane is caught.
  const std::int64_t m = p == Precision::int8 ? 127 : 32767;
  ops.weights = random_tensor<std::int16_t>({K, C, R, S}, 1, m, rng);
  for (std::size_t i = 0; i < ops.weights.size(); i += 2) ops.weights.data()[i] = std::int16_t(-ops.weights.data()[i]);
  const Program prog = compile_network(cfg, {l}, x, {ops});
  const Segment* w = segment_at(prog, prog.layers[0].weights);
  ASSERT_NE(w, nullptr);

  const unsigned lanes = cfg.lanes(p), eb = element_bytes(p), atom = cfg.atom_bytes();
  ASSERT_EQ(lanes * eb, atom);
  const unsigned catoms = (C + lanes - 1) / lanes;
  ASSERT_EQ(w->bytes.size(), std::size_t(K) * catoms * R * S * atom);
  std::vector<bool> used(w->bytes.size(), false);
  for (unsigned k = 0; k < K; ++k)
    for (unsigned c = 0; c < C; ++c)
      for (unsigned r = 0; r < R; ++r)
        for (unsigned s = 0; s < S; ++s) {
          const unsigned g = k / cfg.atomic_k, kg = std::min(cfg.atomic_k, K - g * cfg.atomic_k);
          const unsigned ca = c / lanes, i = c % lanes;
          const std::size_t off = std::size_t(g) * cfg.atomic_k * catoms * R * S * atom +
                                  ((std::size_t(ca) * R + r) * S + s) * kg * atom + (k % cfg.atomic_k) * atom + i * eb;
          ASSERT_LT(off + eb, w->bytes.size() + 1);
          ASSERT_EQ(read_le(&w->bytes[off], eb), ops.weights.at({k, c, r, s}))
              << "w[" << k << "][" << c << "][" << r << "][" << s << "] at offset " << off;
          for (unsigned b = 0; b < eb; ++b) used[off + b] = true;
        }
  for (std::size_t i = 0; i < used.size(); ++i)
    if (!used[i]) {
      ASSERT_EQ(w->bytes[i], 0) << "padding byte " << i << " of the weights is not zero";
    }

  // The input feature map: [H][W][Cp], padded channels zero.
  const Segment* in = segment_at(prog, prog.layers[0].input);
  ASSERT_NE(in, nullptr);
  const unsigned cp = catoms * lanes;
  ASSERT_EQ(in->bytes.size(), std::size_t(l.in_height) * l.in_width * cp * eb);
  for (unsigned h = 0; h < l.in_height; ++h)
    for (unsigned ww = 0; ww < l.in_width; ++ww)
      for (unsigned c = 0; c < cp; ++c) {
        const std::size_t off = ((std::size_t(h) * l.in_width + ww) * cp + c) * eb;
        ASSERT_EQ(read_le(&in->bytes[off], eb), c < C ? x.at({c, h, ww}) : 0)
            << "x[" << c << "][" << h << "][" << ww << "]";
      }
}

TEST(HostCompilerLayout, WeightsAtDocumentedOffsetSmallInt8) { check_weight_layout("small", Precision::int8, 19, 13, 3, 2); }
TEST(HostCompilerLayout, WeightsAtDocumentedOffsetSmallInt16) { check_weight_layout("small", Precision::int16, 11, 7, 2, 3); }
TEST(HostCompilerLayout, WeightsAtDocumentedOffsetFullInt8) { check_weight_layout("full", Precision::int8, 40, 70, 3, 3); }
TEST(HostCompilerLayout, WeightsAtDocumentedOffsetFullInt16) { check_weight_layout("full", Precision::int16, 33, 45, 1, 2); }

/// A grouped layer's weights: per group of atomic_k columns, only the `span`
/// channel units from `first[group]` (README, derived by hand in the callers),
/// each column zero outside its convolution group's channels.
void check_grouped_weight_layout(const std::string& preset, Precision p, Layer l, unsigned span,
                                 const std::vector<unsigned>& first) {
  std::mt19937_64 rng(sdla::test::seed(23));
  const auto cfg = AcceleratorConfig::preset(preset);
  const unsigned K = l.out_channels, C = l.in_channels, Cg = C / l.groups, Kg = K / l.groups, R = l.kernel_h,
                 S = l.kernel_w;
  const auto x = input_for(l, rng);
  LayerOperands ops;
  const std::int64_t m = p == Precision::int8 ? 127 : 32767;
  ops.weights = random_tensor<std::int16_t>({K, Cg, R, S}, 1, m, rng);  // non-zero: misplaced values show
  const Program prog = compile_network(cfg, {l}, x, {ops});
  const Segment* w = segment_at(prog, prog.layers[0].weights);
  ASSERT_NE(w, nullptr);
  const unsigned lanes = cfg.lanes(p), eb = element_bytes(p), atom = cfg.atom_bytes();
  ASSERT_EQ(first.size(), (K + cfg.atomic_k - 1) / cfg.atomic_k);
  ASSERT_EQ(w->bytes.size(), std::size_t(K) * span * R * S * atom);
  std::vector<bool> used(w->bytes.size(), false);
  for (unsigned k = 0; k < K; ++k)
    for (unsigned c = 0; c < Cg; ++c)
      for (unsigned r = 0; r < R; ++r)
        for (unsigned s = 0; s < S; ++s) {
          const unsigned g = k / cfg.atomic_k, cols = std::min(cfg.atomic_k, K - g * cfg.atomic_k);
          const unsigned channel = k / Kg * Cg + c, ca = channel / lanes, i = channel % lanes;
          ASSERT_GE(ca, first[g]);
          ASSERT_LT(ca, first[g] + span);
          const std::size_t off = std::size_t(g) * cfg.atomic_k * span * R * S * atom +
                                  ((std::size_t(ca - first[g]) * R + r) * S + s) * cols * atom +
                                  (k % cfg.atomic_k) * atom + i * eb;
          ASSERT_EQ(read_le(&w->bytes[off], eb), ops.weights.at({k, c, r, s}))
              << "w[" << k << "][" << c << "][" << r << "][" << s << "] at offset " << off;
          for (unsigned b = 0; b < eb; ++b) used[off + b] = true;
        }
  for (std::size_t i = 0; i < used.size(); ++i)
    if (!used[i]) {
      ASSERT_EQ(w->bytes[i], 0) << "byte " << i << " outside every column's group is not zero";
    }
}

TEST(HostCompilerLayout, GroupedWeightsSmall) {
  // C 24, K 12, 3 groups: 8 channels (one atom) and 4 columns each. Group 0 of
  // atomic_k = 8 columns reads convolution groups 0, 1 (atoms 0, 1): span 2;
  // group 1 (columns 8..11) needs atom 2 only and starts at min(2, 3 - 2) = 1.
  Layer l = conv("g3", 24, 4, 5, 12, 3);
  l.groups = 3;
  check_grouped_weight_layout("small", Precision::int8, l, 2, {0, 1});
}

TEST(HostCompilerLayout, GroupedWeightsDepthwiseFull) {
  // Depthwise C = K = 70 on 64 lanes: groups of 32 columns read channels
  // 0..31, 32..63 (atom 0) and 64..69 (atom 1): span 1.
  Layer l = conv("dw", 70, 4, 5, 70, 3);
  l.groups = 70;
  check_grouped_weight_layout("full", Precision::int8, l, 1, {0, 0, 1});
  // int16 (32 lanes): each group of 32 columns is one atom of its own.
  l.precision = Precision::int16;
  check_grouped_weight_layout("full", Precision::int16, l, 1, {0, 1, 2});
}

TEST(HostCompilerLayout, BaseIsAlignedAndEntryIsFirstDescriptor) {
  std::mt19937_64 rng(31);
  const auto cfg = AcceleratorConfig::preset("small");
  const Layer l = conv("one", 3, 4, 4, 2);
  const auto x = input_for(l, rng);
  const std::vector<LayerOperands> ops{operands_for(l, rng)};
  const Program p1 = compile_network(cfg, {l}, x, ops, 0x1000);
  const Program p2 = compile_network(cfg, {l}, x, ops, 0x1001);
  for (const Program* p : {&p1, &p2}) {
    ASSERT_EQ(p->layers.size(), 1u);
    EXPECT_NE(p->entry, 0u);
    EXPECT_EQ(p->entry, p->layers[0].descriptor);
    EXPECT_GE(p->layers[0].input, 0x1000u);
  }
  // Relocation moves every region by the same amount and keeps them intact.
  EXPECT_GT(p2.layers[0].input, p1.layers[0].input);
  const std::uint64_t delta = p2.layers[0].input - p1.layers[0].input;
  EXPECT_EQ(p2.layers[0].weights - p1.layers[0].weights, delta);
  EXPECT_EQ(p2.layers[0].descriptor - p1.layers[0].descriptor, delta);
  EXPECT_EQ(p2.end - p1.end, delta);
  EXPECT_EQ(segment_at(p2, p2.layers[0].weights)->bytes, segment_at(p1, p1.layers[0].weights)->bytes);
}

// ---------------------------------------------------------------- unpack_output

CompiledLayer raw_layer(unsigned K, unsigned P, unsigned Q, unsigned eb, unsigned pad) {
  CompiledLayer cl;
  cl.layer.op = Op::conv2d;
  cl.layer.in_channels = 1;
  cl.layer.in_height = P;
  cl.layer.in_width = Q;
  cl.layer.out_channels = K;
  cl.output_element_bytes = eb;
  cl.channel_pad = pad;
  cl.output_bytes = std::uint64_t(P) * Q * round_up(K, pad) * eb;
  return cl;
}

void put_le(std::vector<std::uint8_t>& bytes, std::size_t at, std::uint64_t v, unsigned eb) {
  for (unsigned b = 0; b < eb; ++b) bytes[at + b] = std::uint8_t(v >> (8 * b));
}

TEST(UnpackOutput, SignExtendsEveryWidth) {
  struct Case {
    unsigned eb;
    std::vector<std::uint64_t> raw;
    std::vector<std::int64_t> want;
  };
  const std::vector<Case> cases{
      {1, {0xFF, 0x80, 0x7F, 0x00, 0x01}, {-1, -128, 127, 0, 1}},
      {2, {0xFFFF, 0x8000, 0x7FFF, 0xFF80, 0x0080}, {-1, -32768, 32767, -128, 128}},
      {4, {0xFFFFFFFF, 0x80000000, 0x7FFFFFFF, 0xFFFF8000, 0x00008000},
       {-1, INT32_MIN, INT32_MAX, -32768, 32768}},
      {8, {~0ull, 0x8000000000000000ull, 0x7FFFFFFFFFFFFFFFull, 0xFFFFFFFF80000000ull, 0x0000000080000000ull},
       {-1, INT64_MIN, INT64_MAX, std::int64_t(INT32_MIN), std::int64_t(1) << 31}},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE("element bytes " + std::to_string(c.eb));
    // K = 5 channels padded to 8, one row of 2 pixels: pixel 1 holds the values reversed.
    const CompiledLayer cl = raw_layer(5, 1, 2, c.eb, 8);
    std::vector<std::uint8_t> bytes(cl.output_bytes, 0xAB);  // padding channels hold garbage
    for (unsigned k = 0; k < 5; ++k) {
      put_le(bytes, (0 * 8 + k) * c.eb, c.raw[k], c.eb);
      put_le(bytes, (1 * 8 + k) * c.eb, c.raw[4 - k], c.eb);
    }
    const Tensor<std::int64_t> y = unpack_output(cl, bytes);
    ASSERT_EQ(y.shape(), (Shape{5, 1, 2}));
    for (unsigned k = 0; k < 5; ++k) {
      EXPECT_EQ(y.at({k, 0, 0}), c.want[k]) << "k " << k;
      EXPECT_EQ(y.at({k, 0, 1}), c.want[4 - k]) << "k " << k;
    }
  }
}

TEST(UnpackOutput, LayoutIsPixelMajorChannelInnermost) {
  const CompiledLayer cl = raw_layer(3, 2, 3, 4, 4);
  std::vector<std::uint8_t> bytes(cl.output_bytes);
  for (unsigned p = 0; p < 2; ++p)
    for (unsigned q = 0; q < 3; ++q)
      for (unsigned k = 0; k < 4; ++k) put_le(bytes, ((p * 3 + q) * 4 + k) * 4, 100 * p + 10 * q + k, 4);
  const auto y = unpack_output(cl, bytes);
  for (unsigned k = 0; k < 3; ++k)
    for (unsigned p = 0; p < 2; ++p)
      for (unsigned q = 0; q < 3; ++q) EXPECT_EQ(y.at({k, p, q}), std::int64_t(100 * p + 10 * q + k));
}

TEST(UnpackOutput, TooFewBytesIsAnError) {
  const CompiledLayer cl = raw_layer(3, 2, 3, 4, 4);
  std::vector<std::uint8_t> bytes(cl.output_bytes - 1);
  try {
    unpack_output(cl, bytes);
    FAIL() << "unpack_output accepted " << bytes.size() << " of " << cl.output_bytes << " bytes";
  } catch (const LayerError& e) {
    EXPECT_HAS(e.what(), std::to_string(cl.output_bytes));
  }
}

}  // namespace
}  // namespace sdla
