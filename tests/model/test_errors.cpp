// Error paths of the accelerator: bad descriptors, impossible layers, DMA
// outside DRAM, post-processing parameters out of range, descriptor loops.
// Each ends in STATUS.ERROR, the right ErrorCode and an interrupt (the
// Testbench waits for it), with a message naming the problem -- and the
// accelerator runs the next program correctly. An output the host cannot
// read back fails its own run, not the batch. Plus the DRAM target's own
// TLM error responses.
#include <cstring>
#include <functional>
#include <string>

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <systemc>
#include <tlm>
#include <tlm_utils/simple_initiator_socket.h>

#include "asan_stack.hpp"
#include "expect_has.hpp"
#include "layers.hpp"
#include "controller.hpp"
#include "dram.hpp"
#include "sdla/descriptor.hpp"
#include "sdla/regs.hpp"
#include "seed.hpp"
#include "testbench.hpp"
#include "workload.hpp"

namespace sdla {
namespace {

using regs::ErrorCode;

constexpr std::uint64_t kDram = 1 << 20;  // 1 MiB: every address at or past it is outside DRAM

Layer conv(const std::string& name, unsigned C, unsigned H, unsigned W, unsigned K, unsigned R, bool post) {
  const Layer l = test::conv_layer(name, C, H, W, K, R);
  return post ? test::with_post(l, 5, 10) : l;
}

struct Job {
  Workload work;
  Program prog;
  std::vector<Tensor<std::int64_t>> golden;
};

Job make_job(const AcceleratorConfig& cfg, const std::vector<Layer>& layers, std::uint64_t seed) {
  Job j;
  j.work = generate_workload(layers, seed);
  j.prog = compile_network(cfg, j.work.layers, j.work.input, j.work.operands);
  j.golden = golden_outputs(j.work);
  return j;
}

/// A good, post-processed layer: run after errors to show the accelerator recovered.
Job good_job(const AcceleratorConfig& cfg, std::uint64_t seed) {
  return make_job(cfg, {conv("good", 20, 7, 6, 13, 3, true)}, seed);
}

Segment& segment_at(Program& prog, std::uint64_t addr) {
  for (auto& s : prog.segments)
    if (s.addr == addr) return s;
  throw std::logic_error(fmt::format("no segment at {:#x}", addr));
}

LayerDescriptor descriptor(Program& prog, std::size_t layer) {
  return LayerDescriptor::decode(segment_at(prog, prog.layers.at(layer).descriptor).bytes.data());
}

/// A copy of `prog` with layer `layer`'s descriptor changed by `patch`.
Program patched(Program prog, std::size_t layer, const std::function<void(LayerDescriptor&)>& patch) {
  Segment& seg = segment_at(prog, prog.layers.at(layer).descriptor);
  LayerDescriptor d = LayerDescriptor::decode(seg.bytes.data());
  patch(d);
  const auto bytes = d.encode();
  seg.bytes.assign(bytes.begin(), bytes.end());
  return prog;
}

struct Expected {
  std::string what;  ///< label for failure messages
  ErrorCode code;
  std::string message;  ///< a substring the error message must contain
  std::uint32_t layer = 0;
};

/// Runs every bad program and then the good one in one Testbench::run; checks each
/// error and that the good program, run last, is correct.
void run_errors(const std::string& preset, std::vector<Program> bad, const std::vector<Expected>& expected,
                const Job& good, std::uint64_t dram = kDram) {
  ASSERT_EQ(bad.size(), expected.size());
  const auto cfg = AcceleratorConfig::preset(preset);
  bad.push_back(good.prog);
  Testbench tb("tb", {cfg, "model", dram, ""});
  const auto out = tb.run(bad);
  ASSERT_EQ(out.size(), bad.size()) << "a run ended without an interrupt";
  for (std::size_t i = 0; i < expected.size(); ++i) {
    SCOPED_TRACE(expected[i].what);
    EXPECT_FALSE(out[i].ok);
    EXPECT_EQ(out[i].error, expected[i].code) << "got " << regs::to_string(out[i].error) << ": " << out[i].message;
    EXPECT_EQ(out[i].error_layer, expected[i].layer);
    EXPECT_EQ(out[i].layers.size(), expected[i].layer) << "completed layers";
    EXPECT_HAS(out[i].message, expected[i].message);
  }
  const RunOutcome& last = out.back();
  ASSERT_TRUE(last.ok) << "the good program after the errors failed: " << last.message;
  EXPECT_EQ(last.error, ErrorCode::none);
  EXPECT_EQ(last.message, "");
  ASSERT_EQ(last.outputs.size(), good.golden.size());
  for (std::size_t i = 0; i < good.golden.size(); ++i)
    EXPECT_TRUE(last.outputs[i] == good.golden[i]) << "layer " << i << " of the good program is wrong";
}

/// Each case patches the first descriptor of the good program; all run, then the good one.
void run_patched(const std::string& preset, const Job& j,
                 const std::vector<std::pair<std::function<void(LayerDescriptor&)>, Expected>>& cases) {
  std::vector<Program> bad;
  std::vector<Expected> expected;
  for (const auto& [patch, e] : cases) {
    bad.push_back(patched(j.prog, 0, patch));
    expected.push_back(e);
  }
  run_errors(preset, bad, expected, j);
}

std::string hex(std::uint64_t v) { return fmt::format("{:#x}", v); }

// ------------------------------------------------------------ descriptor pointer

TEST(Errors, DescriptorPointerZeroIsBadDescriptor) {
  const auto cfg = AcceleratorConfig::preset("small");
  Program none;  // nothing loaded, entry 0
  run_errors("small", {none}, {{"DESC_PTR = 0", ErrorCode::bad_descriptor, "DESC_PTR is 0"}},
             good_job(cfg, sdla::test::seed(1)));
}

TEST(Errors, DescriptorPointerOutsideDramIsDmaError) {
  const auto cfg = AcceleratorConfig::preset("small");
  Program past, straddle, high;
  past.entry = kDram;
  straddle.entry = kDram - LayerDescriptor::BYTES / 2;
  high.entry = std::uint64_t(1) << 36;  // needs DESC_PTR_HI
  run_errors("small", {past, straddle, high},
             {{"at the end", ErrorCode::dma_error, hex(kDram)},
              {"straddling the end", ErrorCode::dma_error, hex(straddle.entry)},
              {"above 4 GiB", ErrorCode::dma_error, hex(high.entry)}},
             good_job(cfg, sdla::test::seed(2)));
}

// ------------------------------------------------------------ descriptor contents

TEST(Errors, WrongMagicIsBadDescriptor) {
  const auto cfg = AcceleratorConfig::preset("small");
  const Job j = good_job(cfg, sdla::test::seed(3));
  Program zeros = j.prog;  // the pointer names memory holding zeros
  zeros.entry = (zeros.end + 0xFFF) / 0x1000 * 0x1000;
  run_errors("small",
             {patched(j.prog, 0, [](LayerDescriptor& d) { d.magic = 0x3244534C; }),
              patched(j.prog, 0, [](LayerDescriptor& d) { d.magic = 0; }), zeros},
             {{"LSD2", ErrorCode::bad_descriptor, "magic 0x3244534c"},
              {"zero magic", ErrorCode::bad_descriptor, "magic"},
              {"pointer to zeros", ErrorCode::bad_descriptor, "magic"}},
             j);
}

TEST(Errors, ImpossibleLayerFieldsAreInvalidLayer) {
  const auto cfg = AcceleratorConfig::preset("small");
  const Job j = good_job(cfg, sdla::test::seed(4));
  using P = std::function<void(LayerDescriptor&)>;
  const std::vector<std::pair<P, Expected>> cases{
      {[](LayerDescriptor& d) { d.op = 2; }, {"op 2", ErrorCode::invalid_layer, "op 2"}},
      {[](LayerDescriptor& d) { d.op = 0xFF; }, {"op 255", ErrorCode::invalid_layer, "op 255"}},
      {[](LayerDescriptor& d) { d.precision = 2; }, {"precision 2", ErrorCode::invalid_layer, "precision 2"}},
      {[](LayerDescriptor& d) { d.in_channels = 0; }, {"C = 0", ErrorCode::invalid_layer, "in_channels"}},
      {[](LayerDescriptor& d) { d.out_channels = 0; }, {"K = 0", ErrorCode::invalid_layer, "out_channels"}},
      {[](LayerDescriptor& d) { d.in_height = 0; }, {"H = 0", ErrorCode::invalid_layer, "in_height"}},
      {[](LayerDescriptor& d) { d.kernel_w = 0; }, {"S = 0", ErrorCode::invalid_layer, "kernel width"}},
      {[](LayerDescriptor& d) { d.stride_h = 0; }, {"stride 0", ErrorCode::invalid_layer, "stride height"}},
      {[](LayerDescriptor& d) { d.out_channels = 65536; }, {"K = 65536", ErrorCode::invalid_layer, "65535"}},
      {[](LayerDescriptor& d) { d.in_width = 0xFFFFFFFF; }, {"W = 2^32-1", ErrorCode::invalid_layer, "in_width"}},
      {[](LayerDescriptor& d) { d.pad_left = 3; }, {"pad = kernel", ErrorCode::invalid_layer, "padding"}},
      {[](LayerDescriptor& d) { d.kernel_h = 11; d.pad_top = d.pad_bottom = 1; },
       {"kernel > padded input", ErrorCode::invalid_layer, "kernel is larger"}},
      {[](LayerDescriptor& d) { d.op = 1; }, {"fc with a 3x3 kernel", ErrorCode::invalid_layer, "fc"}},
      {[](LayerDescriptor& d) { d.in_channels = 20000; },
       {"reduction overflows int32", ErrorCode::invalid_layer, "reduction"}},
  };
  run_patched("small", j, cases);
}

TEST(Errors, BadGroupsAreInvalidLayer) {
  // A depthwise layer (groups = C = K = 12), run last to show it still computes.
  const auto cfg = AcceleratorConfig::preset("small");
  Layer dw = conv("dw", 12, 7, 6, 12, 3, true);
  dw.groups = 12;
  const Job j = make_job(cfg, {dw}, sdla::test::seed(5));
  using P = std::function<void(LayerDescriptor&)>;
  const std::vector<std::pair<P, Expected>> cases{
      {[](LayerDescriptor& d) { d.groups = 5; }, {"groups 5", ErrorCode::invalid_layer, "groups = 5 does not divide"}},
      {[](LayerDescriptor& d) { d.groups = 24; }, {"groups 24", ErrorCode::invalid_layer, "groups = 24"}},
      {[](LayerDescriptor& d) { d.groups = 0xFFFFFFFF; },
       {"groups 2^32-1", ErrorCode::invalid_layer, "groups = 4294967295"}},
      {[](LayerDescriptor& d) { d.winograd = 1; }, {"grouped Winograd", ErrorCode::invalid_layer, "grouped convolution"}},
      {[](LayerDescriptor& d) { d.out_channels = 18; }, {"K not a multiple", ErrorCode::invalid_layer, "out_channels"}},
  };
  run_patched("small", j, cases);
}

TEST(Errors, LayerThatCannotBeTiledIsBufferCapacity) {
  const auto cfg = AcceleratorConfig::preset("small");
  const Job j = good_job(cfg, sdla::test::seed(5));
  // One output pixel needs a 60000x1 kernel window of one channel atom: 480 KB, more than the buffer.
  run_errors("small", {patched(j.prog, 0, [](LayerDescriptor& d) {
               d.in_channels = 1; d.out_channels = 1; d.in_height = 60000; d.in_width = 1;
               d.kernel_h = 60000; d.kernel_w = 1; d.pad_top = d.pad_bottom = d.pad_left = d.pad_right = 0;
             })},
             {{"60000x1 kernel", ErrorCode::buffer_capacity, "cannot be tiled"}}, j);
}

// ------------------------------------------------------------ tensors outside DRAM

TEST(Errors, TensorAddressesOutsideDramAreDmaErrors) {
  const auto cfg = AcceleratorConfig::preset("small");
  const Job j = good_job(cfg, sdla::test::seed(6));
  using P = std::function<void(LayerDescriptor&)>;
  const std::vector<std::pair<P, Expected>> cases{
      {[](LayerDescriptor& d) { d.input_addr = kDram; }, {"input", ErrorCode::dma_error, hex(kDram)}},
      {[](LayerDescriptor& d) { d.input_addr = kDram - 100; }, {"input straddling", ErrorCode::dma_error, "DRAM"}},
      // A region that would wrap past 2^64 is refused before any DMA.
      {[](LayerDescriptor& d) { d.input_addr = ~std::uint64_t(0) - 64; }, {"input at 2^64", ErrorCode::invalid_layer, "wraps"}},
      {[](LayerDescriptor& d) { d.weight_addr = kDram + 0x40; }, {"weights", ErrorCode::dma_error, hex(kDram + 0x40)}},
      {[](LayerDescriptor& d) { d.weight_addr = std::uint64_t(1) << 40; }, {"weights 1 TiB", ErrorCode::dma_error, hex(std::uint64_t(1) << 40)}},
      {[](LayerDescriptor& d) { d.output_addr = kDram + 0x100; }, {"output", ErrorCode::dma_error, "write"}},
      {[](LayerDescriptor& d) { d.output_addr = kDram - 64; }, {"output straddling", ErrorCode::dma_error, "write"}},
      {[](LayerDescriptor& d) { d.bias_addr = kDram; }, {"bias", ErrorCode::dma_error, hex(kDram)}},
      {[](LayerDescriptor& d) { d.multiplier_addr = kDram + 4; }, {"multiplier", ErrorCode::dma_error, hex(kDram + 4)}},
      {[](LayerDescriptor& d) { d.shift_addr = kDram - 1; }, {"shift", ErrorCode::dma_error, hex(kDram - 1)}},
      // Masks and metadata are regions too: near 2^64 they would wrap to low DRAM and read the wrong bytes.
      {[](LayerDescriptor& d) {
         d.formats |= LayerDescriptor::FORMAT_INPUT_ZVC;
         d.input_mask_addr = ~std::uint64_t(0) - 8;
       },
       {"input mask at 2^64", ErrorCode::invalid_layer, "input mask"}},
      {[](LayerDescriptor& d) {
         d.formats = std::uint8_t((d.formats & ~LayerDescriptor::FORMAT_WEIGHT_MASK) | std::uint8_t(TensorFormat::zvc));
         d.weight_meta_addr = ~std::uint64_t(0) - 8;
       },
       {"weight masks at 2^64", ErrorCode::invalid_layer, "weight metadata"}},
      {[](LayerDescriptor& d) {
         d.formats |= LayerDescriptor::FORMAT_OUTPUT_ZVC;
         d.output_mask_addr = ~std::uint64_t(0) - 8;
       },
       {"output mask at 2^64", ErrorCode::invalid_layer, "output mask"}},
  };
  run_patched("small", j, cases);
}

TEST(Errors, DmaErrorPartWayThroughAMultiStepLayerRecovers) {
  // A layer of many tiles: the first loads and writes succeed, a later one leaves DRAM.
  const auto cfg = AcceleratorConfig::preset("small");
  const std::uint64_t seed = sdla::test::seed(7);
  const Job big = make_job(cfg, {conv("big", 16, 60, 60, 16, 3, true)}, seed);
  ASSERT_GT(plan_tiles(big.work.layers[0], cfg).step_count(), 4u) << "the layer should need several steps";
  const std::uint64_t dram = 2 << 20;
  const CompiledLayer& cl = big.prog.layers[0];
  const std::uint64_t in_bytes = std::uint64_t(60) * 60 * 16;
  const Program late_input = patched(big.prog, 0, [&](LayerDescriptor& d) { d.input_addr = dram - in_bytes / 2; });
  const Program late_output =
      patched(big.prog, 0, [&](LayerDescriptor& d) { d.output_addr = dram - cl.output_bytes / 2; });
  run_errors("small", {late_input, late_output},
             {{"input leaves DRAM half way", ErrorCode::dma_error, "read"},
              {"output leaves DRAM half way", ErrorCode::dma_error, "write"}},
             big, dram);
}

TEST(Errors, PostShiftAbove62InDramIsInvalidLayer) {
  const auto cfg = AcceleratorConfig::preset("small");
  const Job j = good_job(cfg, sdla::test::seed(8));
  auto with_shift = [&](unsigned k, std::uint8_t value) {
    Program p = j.prog;
    const std::uint64_t addr = descriptor(p, 0).shift_addr;
    segment_at(p, addr).bytes.at(k) = value;
    return p;
  };
  const unsigned K = j.work.layers[0].out_channels;
  run_errors("small", {with_shift(0, 63), with_shift(K - 1, 255)},
             {{"shift 63 on channel 0", ErrorCode::invalid_layer, "shift 63"},
              {"shift 255 on the last channel", ErrorCode::invalid_layer, "shift 255"}},
             j);
}

// ------------------------------------------------------------ chains

/// A tiny 1x1 layer so that thousands of them run quickly.
Job tiny_job(const AcceleratorConfig& cfg, std::uint64_t seed) {
  return make_job(cfg, {conv("tiny", 3, 1, 1, 2, 1, false)}, seed);
}

TEST(Errors, DescriptorPointingAtItselfIsDescriptorLoop) {
  const auto cfg = AcceleratorConfig::preset("small");
  const Job tiny = tiny_job(cfg, sdla::test::seed(9));
  const Program loop = patched(tiny.prog, 0, [&](LayerDescriptor& d) { d.next = tiny.prog.entry; });
  // Two descriptors pointing at each other.
  Program pair = tiny.prog;
  const std::uint64_t second = (pair.end + 255) / 256 * 256;
  pair = patched(pair, 0, [&](LayerDescriptor& d) { d.next = second; });
  LayerDescriptor d2 = descriptor(pair, 0);
  d2.next = pair.entry;
  const auto b2 = d2.encode();
  pair.segments.push_back({second, std::vector<std::uint8_t>(b2.begin(), b2.end())});
  pair.end = second + LayerDescriptor::BYTES;

  const std::string cap = std::to_string(Controller::kMaxLayers);
  run_errors("small", {loop, pair},
             {{"self loop", ErrorCode::descriptor_loop, cap, Controller::kMaxLayers},
              {"two-descriptor loop", ErrorCode::descriptor_loop, cap, Controller::kMaxLayers}},
             tiny);
}

TEST(Errors, ChainOfExactlyTheLimitRunsAndOneMoreIsALoop) {
  const auto cfg = AcceleratorConfig::preset("small");
  const Job tiny = tiny_job(cfg, sdla::test::seed(10));
  const unsigned cap = Controller::kMaxLayers;
  // `n` distinct descriptors, all running the tiny layer, chained in order.
  auto chain = [&](unsigned n) {
    Program p = tiny.prog;
    const LayerDescriptor base = descriptor(p, 0);
    const std::uint64_t first = (p.end + 255) / 256 * 256;
    Segment all{first, std::vector<std::uint8_t>(std::size_t(n) * LayerDescriptor::BYTES)};
    for (unsigned i = 0; i < n; ++i) {
      LayerDescriptor d = base;
      d.next = i + 1 < n ? first + std::uint64_t(i + 1) * LayerDescriptor::BYTES : 0;
      const auto b = d.encode();
      std::memcpy(&all.bytes[std::size_t(i) * LayerDescriptor::BYTES], b.data(), b.size());
    }
    p.segments.push_back(std::move(all));
    p.entry = first;
    p.end = first + std::uint64_t(n) * LayerDescriptor::BYTES;
    return p;
  };
  Testbench tb("tb", {cfg, "model", kDram, ""});
  const auto out = tb.run({chain(cap), chain(cap + 1), tiny.prog});
  ASSERT_EQ(out.size(), 3u);
  EXPECT_TRUE(out[0].ok) << out[0].message;
  EXPECT_EQ(out[0].layers.size(), cap);
  ASSERT_FALSE(out[0].outputs.empty());
  EXPECT_TRUE(out[0].outputs[0] == tiny.golden[0]);
  EXPECT_FALSE(out[1].ok);
  EXPECT_EQ(out[1].error, ErrorCode::descriptor_loop);
  EXPECT_EQ(out[1].error_layer, cap);
  EXPECT_HAS(out[1].message, std::to_string(cap));
  EXPECT_TRUE(out[2].ok) << out[2].message;
  EXPECT_EQ(out[2].layers.size(), 1u);
}

TEST(Errors, FailingLayerCancelsTheLayerTakenBehindIt) {
  // Layer 1 is fetched and loading while layer 0 computes; layer 0's output
  // then leaves DRAM half way: the run reports layer 0, records nothing, and
  // the good program after it starts from clean buffer slots.
  const auto cfg = AcceleratorConfig::preset("small");
  const std::uint64_t seed = sdla::test::seed(12);
  const Job chain = make_job(cfg, {conv("c0", 16, 60, 60, 16, 3, true), conv("c1", 16, 60, 60, 8, 1, true)}, seed);
  ASSERT_GT(plan_tiles(chain.work.layers[0], cfg).step_count(), 4u) << "layer 0 should need several steps";
  const std::uint64_t dram = 2 << 20;
  const std::uint64_t out_bytes = chain.prog.layers[0].output_bytes;
  const Program late_output = patched(chain.prog, 0, [&](LayerDescriptor& d) { d.output_addr = dram - out_bytes / 2; });
  // Layer 1's weights are fetched ahead of layer 0's end, so their error is found early; it is still layer 1's.
  const Program bad_weights = patched(chain.prog, 1, [&](LayerDescriptor& d) { d.weight_addr = dram + 0x40; });
  run_errors("small", {late_output, bad_weights},
             {{"layer 0 output leaves DRAM half way", ErrorCode::dma_error, "write", 0},
              {"layer 1 weights outside DRAM", ErrorCode::dma_error, hex(dram + 0x40), 1}},
             chain, dram);
}

TEST(Errors, ErrorInSecondLayerOfThreeReportsLayerOneAndKeepsFirstOutput) {
  const auto cfg = AcceleratorConfig::preset("small");
  const std::uint64_t seed = sdla::test::seed(11);
  const Job chain = make_job(cfg,
                             {conv("c0", 9, 8, 7, 12, 3, true), conv("c1", 12, 8, 7, 10, 3, true),
                              conv("c2", 10, 8, 7, 6, 1, false)},
                             seed);
  const Program bad_weights = patched(chain.prog, 1, [](LayerDescriptor& d) { d.weight_addr = kDram + 0x1000; });
  const Program bad_magic = patched(chain.prog, 1, [](LayerDescriptor& d) { d.magic = 0xBAD; });
  const Program bad_last = patched(chain.prog, 2, [](LayerDescriptor& d) { d.op = 7; });
  Testbench tb("tb", {cfg, "model", kDram, ""});
  const auto out = tb.run({bad_weights, bad_magic, bad_last, chain.prog});
  ASSERT_EQ(out.size(), 4u);
  const ErrorCode codes[] = {ErrorCode::dma_error, ErrorCode::bad_descriptor, ErrorCode::invalid_layer};
  const std::uint32_t failed[] = {1, 1, 2};
  for (unsigned i = 0; i < 3; ++i) {
    SCOPED_TRACE("case " + std::to_string(i));
    EXPECT_FALSE(out[i].ok);
    EXPECT_EQ(out[i].error, codes[i]) << out[i].message;
    EXPECT_EQ(out[i].error_layer, failed[i]);
    ASSERT_EQ(out[i].outputs.size(), failed[i]) << "outputs of the completed layers";
    for (unsigned l = 0; l < failed[i]; ++l)
      EXPECT_TRUE(out[i].outputs[l] == chain.golden[l]) << "layer " << l << " before the error is wrong";
  }
  EXPECT_HAS(out[1].message, "descriptor 1");
  EXPECT_HAS(out[2].message, "descriptor 2");
  ASSERT_TRUE(out[3].ok) << out[3].message;
  for (unsigned l = 0; l < 3; ++l) EXPECT_TRUE(out[3].outputs[l] == chain.golden[l]) << "layer " << l;
}

// ------------------------------------------------------------ outputs the host cannot read back

TEST(Errors, UnreadableOutputFailsItsOwnRunAndTheBatchGoesOn) {
  // unpack_output threw inside sc_start: SystemC made it error E549 and ended the batch.
  const auto cfg = AcceleratorConfig::preset("small");
  const std::uint64_t seed = sdla::test::seed(12);
  // The second layer reads ZVC activations, so the first writes its output compressed.
  // 10 channels on 8 lanes: the second atom's granule holds zeros (channels 10..15).
  Layer reader = conv("reader", 10, 6, 6, 4, 1, false);
  reader.activation_format = TensorFormat::zvc;
  const Job chain = make_job(cfg, {conv("writer", 9, 6, 6, 10, 3, true), reader}, seed);
  ASSERT_NE(chain.prog.layers[0].output_mask, 0u);

  // 1. The masks the host reads mark every element non-zero: zeros marked non-zero.
  Program lying_masks = chain.prog;
  {
    CompiledLayer& w = lying_masks.layers[0];
    const std::uint64_t at = (lying_masks.end + 255) / 256 * 256;
    lying_masks.segments.push_back({at, std::vector<std::uint8_t>(w.output_mask_bytes, 0xFF)});
    w.output_mask = at;
    lying_masks.end = at + w.output_mask_bytes;
  }
  // 2. Fewer mask bytes than the output's granules.
  Program short_masks = chain.prog;
  short_masks.layers[0].output_mask_bytes = 1;
  // 3. The second layer's output region lies outside DRAM: the first layer's output is fine.
  Program outside = chain.prog;
  outside.layers[1].output = kDram + 0x1000;

  Testbench tb("tb", {cfg, "model", kDram, ""});
  const Job good = good_job(cfg, seed);
  const auto out = tb.run({lying_masks, chain.prog, short_masks, outside, good.prog});
  ASSERT_EQ(out.size(), 5u) << "the batch ended early";
  const std::pair<std::size_t, const char*> failures[] = {
      {0, "ZVC value"}, {2, "output mask bytes"}, {3, "exceeds"}};
  for (const auto& [i, what] : failures) {
    SCOPED_TRACE("program " + std::to_string(i));
    EXPECT_FALSE(out[i].ok);
    EXPECT_EQ(out[i].error, ErrorCode::none) << "the accelerator itself finished: " << out[i].message;
    EXPECT_HAS(out[i].message, what);
    EXPECT_EQ(out[i].layers.size(), 2u) << "both layers ran";
  }
  for (std::size_t i : {0u, 2u}) {
    EXPECT_HAS(out[i].message, "cannot read back the output of layer 'writer'");
    EXPECT_EQ(out[i].error_layer, 0u);
    EXPECT_TRUE(out[i].outputs.empty());
  }
  EXPECT_HAS(out[3].message, "cannot read back the output of layer 'reader'");
  EXPECT_EQ(out[3].error_layer, 1u);
  ASSERT_EQ(out[3].outputs.size(), 1u) << "the first layer's output was read back";
  EXPECT_TRUE(out[3].outputs[0] == chain.golden[0]);
  // The programs after each failure ran, and are right.
  for (std::size_t i : {1u, 4u}) {
    SCOPED_TRACE("program " + std::to_string(i));
    ASSERT_TRUE(out[i].ok) << out[i].message;
    const Job& j = i == 1 ? chain : good;
    ASSERT_EQ(out[i].outputs.size(), j.golden.size());
    for (std::size_t l = 0; l < j.golden.size(); ++l) EXPECT_TRUE(out[i].outputs[l] == j.golden[l]) << "layer " << l;
  }
}

// ------------------------------------------------------------ the DRAM target

class DramProbe : public sc_core::sc_module {
 public:
  tlm_utils::simple_initiator_socket<DramProbe> isock;
  std::function<void(DramProbe&)> body;
  bool finished = false;

  explicit DramProbe(const sc_core::sc_module_name& name) : sc_module(name), isock("isock") { SC_THREAD(main); }

  tlm::tlm_response_status transact(tlm::tlm_command cmd, std::uint64_t addr, std::uint8_t* data, unsigned len,
                                    unsigned char* be = nullptr, unsigned be_len = 0) {
    tlm::tlm_generic_payload gp;
    gp.set_command(cmd);
    gp.set_address(addr);
    gp.set_data_ptr(data);
    gp.set_data_length(len);
    gp.set_streaming_width(len);
    gp.set_byte_enable_ptr(be);
    gp.set_byte_enable_length(be_len);
    gp.set_response_status(tlm::TLM_INCOMPLETE_RESPONSE);
    sc_core::sc_time delay = sc_core::SC_ZERO_TIME;
    isock->b_transport(gp, delay);
    return gp.get_response_status();
  }
  unsigned debug_read(std::uint64_t addr, std::uint8_t* data, unsigned len) {
    tlm::tlm_generic_payload gp;
    gp.set_command(tlm::TLM_READ_COMMAND);
    gp.set_address(addr);
    gp.set_data_ptr(data);
    gp.set_data_length(len);
    gp.set_streaming_width(len);
    return isock->transport_dbg(gp);
  }

 private:
  SC_HAS_PROCESS(DramProbe);
  void main() {
    body(*this);
    finished = true;
  }
};

TEST(DramTarget, AccessesStraddlingTheEndAreAddressErrors) {
  const auto cfg = AcceleratorConfig::preset("small");
  const std::uint64_t size = 4096;
  Dram dram("dram", size, cfg);
  DramProbe probe("probe");
  probe.isock.bind(dram.tsock);
  std::vector<std::uint8_t> pattern(size);
  for (std::size_t i = 0; i < size; ++i) pattern[i] = std::uint8_t(i * 7 + 1);
  dram.load(0, pattern.data(), size);
  probe.body = [&](DramProbe& p) {
    std::uint8_t buf[64];
    // The last 16 bytes are readable.
    std::memset(buf, 0, sizeof buf);
    EXPECT_EQ(p.transact(tlm::TLM_READ_COMMAND, size - 16, buf, 16), tlm::TLM_OK_RESPONSE);
    EXPECT_EQ(0, std::memcmp(buf, &pattern[size - 16], 16));
    // One byte more is not.
    std::memset(buf, 0xEE, sizeof buf);
    EXPECT_EQ(p.transact(tlm::TLM_READ_COMMAND, size - 16, buf, 17), tlm::TLM_ADDRESS_ERROR_RESPONSE);
    EXPECT_EQ(p.transact(tlm::TLM_READ_COMMAND, size - 8, buf, 64), tlm::TLM_ADDRESS_ERROR_RESPONSE);
    EXPECT_EQ(p.transact(tlm::TLM_READ_COMMAND, size, buf, 1), tlm::TLM_ADDRESS_ERROR_RESPONSE);
    EXPECT_EQ(p.transact(tlm::TLM_READ_COMMAND, size + 1000, buf, 4), tlm::TLM_ADDRESS_ERROR_RESPONSE);
    // An address near 2^64 whose end wraps around to a small number.
    EXPECT_EQ(p.transact(tlm::TLM_READ_COMMAND, ~std::uint64_t(0) - 7, buf, 16), tlm::TLM_ADDRESS_ERROR_RESPONSE);
    for (std::uint8_t b : buf) EXPECT_EQ(b, 0xEE) << "a failed read wrote the data buffer";
    // A write straddling the end is rejected whole: the last in-range bytes keep their values.
    std::memset(buf, 0x55, sizeof buf);
    EXPECT_EQ(p.transact(tlm::TLM_WRITE_COMMAND, size - 4, buf, 8), tlm::TLM_ADDRESS_ERROR_RESPONSE);
    std::uint8_t tail[4];
    dram.dump(size - 4, tail, 4);
    EXPECT_EQ(0, std::memcmp(tail, &pattern[size - 4], 4)) << "a rejected write changed memory";
    // Debug transport: 0 bytes outside, all inside.
    EXPECT_EQ(p.debug_read(size - 2, buf, 4), 0u);
    EXPECT_EQ(p.debug_read(size - 4, buf, 4), 4u);
    // Byte enables are not supported.
    unsigned char be[4] = {0xFF, 0, 0xFF, 0};
    EXPECT_EQ(p.transact(tlm::TLM_READ_COMMAND, 0, buf, 4, be, 4), tlm::TLM_BYTE_ENABLE_ERROR_RESPONSE);
  };
  sc_core::sc_start();
  EXPECT_TRUE(probe.finished);
  // Only the successful accesses count as traffic.
  EXPECT_EQ(dram.activity().at("read_bytes"), 16u);
  EXPECT_EQ(dram.activity().at("write_bytes"), 0u);
  // Host-side access outside memory throws.
  std::uint8_t b[8];
  EXPECT_THROW(dram.dump(size - 4, b, 8), std::out_of_range);
  test::forget_unwound_frames();  // the known ASan false alarm after SystemC ran (asan_stack.hpp)
  EXPECT_THROW(dram.load(size, b, 1), std::out_of_range);
}

}  // namespace
}  // namespace sdla
