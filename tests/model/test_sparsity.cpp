// Sparsity figures: 2:4 doubles MAC throughput, ZVC moves only masks and
// non-zeros, energy falls with density, and mac_gated counts exactly the
// multiplier-cycles that have a zero operand.
#include <random>

#include <gtest/gtest.h>

#include "energy_table.hpp"
#include "golden/sparse_formats.hpp"
#include "random_layers.hpp"
#include "seed.hpp"

namespace sdla {
namespace {

Layer conv3x3(unsigned C, unsigned HW, unsigned K) {
  Layer l;
  l.name = "conv";
  l.in_channels = C; l.in_height = l.in_width = HW; l.out_channels = K;
  l.kernel_h = l.kernel_w = 3; l.pad = {1, 1, 1, 1};
  l.post.enabled = true;
  l.post.multiplier = {1};
  l.post.shift = {11};
  l.post.relu = true;
  return l;
}

/// Every output must be bit-exact (test::check compares each with the golden reference).
std::vector<RunOutcome> run_all(const std::string& preset, const std::vector<Workload>& work) {
  return test::check(preset, work);
}

std::uint64_t count(const RunOutcome& o, const char* component, const char* action) {
  return o.layers.at(0).activity.at(component).at(action);
}

/// The same tensors with weights and inputs pruned by magnitude to exactly `density`.
Workload at_density(const Workload& w, double density) {
  Workload out = w;
  out.input = golden::prune_to_density(w.input, density);
  out.operands[0].weights = golden::prune_to_density(w.operands[0].weights, density);
  return out;
}

// ResNet-50 conv3_x on the full preset.
TEST(Sparsity, TwoFourHalvesMacArrayCycles) {
  Layer dense = conv3x3(128, 28, 128), sparse = dense;
  sparse.weight_format = TensorFormat::sparse_2_4;
  const Workload wd = generate_workload({dense}, 3);
  Workload ws = wd;
  ws.layers = {sparse};
  ws.operands[0].weights = golden::prune_2_4(wd.operands[0].weights);
  const auto outs = run_all("full", {wd, ws});
  const double ratio = double(count(outs[0], "mac_array", "cycles")) / double(count(outs[1], "mac_array", "cycles"));
  std::cout << "2:4 MAC-array cycle reduction " << ratio << "x\n";
  EXPECT_GE(ratio, 1.9);
  // Kept values and metadata: 10/16 of the dense int8 weight bytes.
  EXPECT_EQ(count(outs[1], "dram", "weight_bytes") * 16, count(outs[0], "dram", "weight_bytes") * 10);
}

void zvc_moves_only_masks_and_non_zeros(const char* preset) {
  {
    Layer l = conv3x3(64, 20, 64);
    l.weight_format = l.activation_format = TensorFormat::zvc;
    const Workload dense = generate_workload({conv3x3(64, 20, 64)}, 4);
    Workload w = at_density(dense, 0.4);
    w.layers = {l};
    const auto out = run_all(preset, {w}).at(0);
    for (const char* t : {"weight", "input"}) {
      const double moved = double(count(out, "dram", (std::string(t) + "_bytes").c_str()));
      const double full = double(count(out, "dram", (std::string(t) + "_dense_bytes").c_str()));
      // One mask byte per granule of min(8, lanes) int8 elements.
      const unsigned granule = std::min(8u, AcceleratorConfig::preset(preset).lanes(Precision::int8));
      std::cout << preset << " " << t << ": " << moved << " of " << full << " bytes\n";
      EXPECT_LE(moved, 0.4 * full + full / granule + 64) << preset << " " << t;
      EXPECT_GT(moved, 0.3 * full) << preset << " " << t;
    }
  }
}

TEST(Sparsity, ZvcMovesOnlyMasksAndNonZerosSmall) { zvc_moves_only_masks_and_non_zeros("small"); }
TEST(Sparsity, ZvcMovesOnlyMasksAndNonZerosFull) { zvc_moves_only_masks_and_non_zeros("full"); }

TEST(Sparsity, EnergyFallsWithDensity) {
  // One testbench per process: both formats in one run.
  std::vector<Workload> work;
  for (TensorFormat f : {TensorFormat::dense, TensorFormat::zvc}) {
    Layer l = conv3x3(64, 14, 64);
    l.weight_format = l.activation_format = f;
    const Workload base = generate_workload({l}, 6);
    for (double d : {1.0, 0.8, 0.6, 0.4, 0.2, 0.0}) work.push_back(at_density(base, d));
  }
  const auto outs = run_all("full", work);
  const auto table = EnergyTable::defaults();
  for (std::size_t f = 0; f < 2; ++f)
    for (std::size_t i = 1; i < 6; ++i) {
      auto energy = [&](std::size_t k) {
        return table.evaluate(outs[k].layers.at(0).activity, {{"precision", "int8"}, {"preset", "full"}}).total_pj;
      };
      EXPECT_LT(energy(f * 6 + i), energy(f * 6 + i - 1)) << (f ? "zvc" : "dense") << " step " << i;
    }
  // Gating saves energy, not time: dense-format cycles do not depend on density.
  EXPECT_EQ(count(outs[0], "mac_array", "cycles"), count(outs[5], "mac_array", "cycles"));
}

// Stride 2 without padding leaves the input's last column unread: the window
// is narrower than a row, so the per-row fill hint does not bound it.
TEST(Sparsity, ZvcWindowNarrowerThanItsRow) {
  Layer l;
  l.name = "narrow";
  l.in_channels = 64; l.in_height = 205; l.in_width = 10; l.out_channels = 8;
  l.kernel_h = l.kernel_w = 3; l.stride_h = l.stride_w = 2;
  l.activation_format = TensorFormat::zvc;
  Workload w = generate_workload({l}, 9);
  for (unsigned c = 0; c < 64; ++c)
    for (unsigned h = 0; h < 205; ++h) w.input.at({c, h, 9}) = 0;  // the unread column is all zeros
  run_all("small", {w});
}

// int16 on the small preset has 4-element granules: a mask byte with a high
// bit set is malformed data, reported as an error, never decoded.
TEST(Sparsity, MaskBitsBeyondTheGranuleAreAnError) {
  Layer l;
  l.name = "g4";
  l.precision = Precision::int16;
  l.in_channels = 8; l.in_height = l.in_width = 4; l.out_channels = 8;
  l.activation_format = TensorFormat::zvc;
  const Workload w = generate_workload({l}, 10);
  const auto cfg = AcceleratorConfig::preset("small");
  Program prog = compile_network(cfg, w.layers, w.input, w.operands);
  std::uint64_t masks = 0;
  for (const auto& seg : prog.segments)
    if (seg.addr == prog.entry) masks = LayerDescriptor::decode(seg.bytes.data()).input_mask_addr;
  ASSERT_NE(masks, 0u);
  for (auto& seg : prog.segments)
    if (seg.addr == masks) seg.bytes[0] |= 0x10;
  Testbench tb("tb", {cfg, "model", prog.end, {}, true});
  const RunOutcome out = tb.run({prog}).front();
  EXPECT_FALSE(out.ok);
  EXPECT_EQ(out.error, regs::ErrorCode::dma_error);
  EXPECT_NE(out.message.find("beyond its granule"), std::string::npos) << out.message;
}

/// Multiplier-cycles with a zero operand, counted from the tensors: every
/// (k, c, r, s, p, q) of a dense layer is one issued multiplier-cycle.
std::pair<std::uint64_t, std::uint64_t> zero_operand_macs(const Workload& w) {
  const Layer& l = w.layers[0];
  std::uint64_t zero = 0, live = 0;
  for (unsigned k = 0; k < l.out_channels; ++k)
    for (unsigned c = 0; c < l.in_channels; ++c)
      for (unsigned r = 0; r < l.kernel_h; ++r)
        for (unsigned s = 0; s < l.kernel_w; ++s) {
          const bool wz = w.operands[0].weights.at({k, c, r, s}) == 0;
          for (unsigned p = 0; p < l.out_height(); ++p)
            for (unsigned q = 0; q < l.out_width(); ++q) {
              const long h = long(p) * l.stride_h + r - long(l.pad.top), x = long(q) * l.stride_w + s - long(l.pad.left);
              const bool az = h < 0 || x < 0 || h >= long(l.in_height) || x >= long(l.in_width) ||
                              w.input.at({c, std::size_t(h), std::size_t(x)}) == 0;
              (wz || az ? zero : live) += 1;
            }
        }
  return {zero, live};
}

TEST(Sparsity, MacGatedCountsZeroOperands) {
  std::mt19937_64 rng(test::seed(7));
  std::vector<Workload> work;
  for (TensorFormat f : {TensorFormat::dense, TensorFormat::zvc, TensorFormat::sparse_2_4}) {
    Layer l = conv3x3(40, 9, 24);  // channels not a multiple of the atom
    l.weight_format = f;
    l.activation_format = f == TensorFormat::sparse_2_4 ? TensorFormat::zvc : f;
    l.input_density = 0.5;
    l.weight_density = 0.6;
    work.push_back(generate_workload({l}, rng()));
  }
  const auto outs = run_all("small", work);
  for (std::size_t i = 0; i < work.size(); ++i) {
    const auto [zero, live] = zero_operand_macs(work[i]);
    EXPECT_EQ(count(outs[i], "mac_array", "mac_random"), live) << "workload " << i;
    if (work[i].layers[0].weight_format != TensorFormat::sparse_2_4) {
      EXPECT_EQ(count(outs[i], "mac_array", "mac_gated"), zero) << "workload " << i;
    }
  }
}

}  // namespace
}  // namespace sdla
