// Random layers and the run-and-compare loop shared by the model and RTL
// layer tests: each workload runs as its own program in ONE testbench (SystemC
// elaborates once per process) and every layer is compared with the golden
// reference.
#pragma once

#include <random>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "accelerator.hpp"
#include "testbench.hpp"
#include "workload.hpp"

namespace sdla::test {

inline unsigned pick(std::mt19937_64& rng, unsigned lo, unsigned hi) {
  return std::uniform_int_distribution<unsigned>(lo, hi)(rng);
}

inline Layer random_layer(std::mt19937_64& rng, Precision p, unsigned index, TensorFormat weights = TensorFormat::dense,
                   TensorFormat acts = TensorFormat::dense) {
  Layer l;
  l.name = fmt::format("rand{}", index);
  l.precision = p;
  l.op = pick(rng, 0, 7) == 0 ? Op::fc : Op::conv2d;
  l.in_channels = pick(rng, 1, 100);
  l.out_channels = pick(rng, 1, 90);
  if (l.op == Op::conv2d) {
    l.in_height = pick(rng, 1, 14);
    l.in_width = pick(rng, 1, 14);
    const unsigned kinds[] = {1, 1, 2, 3, 3, 5};
    l.kernel_h = kinds[pick(rng, 0, 5)];
    l.kernel_w = pick(rng, 0, 3) == 0 ? kinds[pick(rng, 0, 5)] : l.kernel_h;
    l.stride_h = pick(rng, 1, 2);
    l.stride_w = pick(rng, 0, 3) == 0 ? pick(rng, 1, 3) : l.stride_h;
    l.pad = {pick(rng, 0, l.kernel_h - 1), pick(rng, 0, l.kernel_h - 1), pick(rng, 0, l.kernel_w - 1),
             pick(rng, 0, l.kernel_w - 1)};
    l.in_height = std::max(l.in_height, l.kernel_h);
    l.in_width = std::max(l.in_width, l.kernel_w);
  } else {
    l.in_channels = pick(rng, 1, 700);
  }
  l.weight_format = weights;
  l.activation_format = acts;
  // Densities 0 and 1 as well as in between.
  const double densities[] = {0.0, 1.0, 0.1, 0.4, 0.7};
  l.input_density = pick(rng, 0, 2) ? std::uniform_real_distribution<double>(0.2, 1.0)(rng) : densities[pick(rng, 0, 4)];
  l.weight_density = pick(rng, 0, 2) ? std::uniform_real_distribution<double>(0.2, 1.0)(rng) : densities[pick(rng, 0, 4)];
  if (pick(rng, 0, 1)) {
    l.post.enabled = true;
    l.post.relu = pick(rng, 0, 1);
    l.post.multiplier = {std::int32_t(pick(rng, 1, 3000))};
    l.post.shift = {std::uint8_t(pick(rng, 4, 20))};
  }
  return l;
}

/// A random grouped conv2d layer (weights [K, C / groups, R, S]): by `index`,
/// depthwise 3x3 stride 1 or 2 (groups = C, K = C or 2C), or 2 or 4 groups of
/// channel counts that are not multiples of the lanes; 2:4 weights get
/// C / groups a multiple of 4. Sizes, padding, densities and post-processing random.
inline Layer random_grouped_layer(std::mt19937_64& rng, Precision p, unsigned index,
                                  TensorFormat weights = TensorFormat::dense, TensorFormat acts = TensorFormat::dense) {
  Layer l = random_layer(rng, p, index, weights, acts);
  l.name = fmt::format("grouped{}", index);
  l.op = Op::conv2d;
  l.in_height = pick(rng, 1, 14);
  l.in_width = pick(rng, 1, 14);
  const bool s24 = weights == TensorFormat::sparse_2_4;
  if (index % 2 == 0) {
    l.groups = pick(rng, 1, 80);
    l.in_channels = l.groups;
    l.out_channels = l.groups * pick(rng, 1, 2);  // depth multiplier 1 or 2
    l.kernel_h = l.kernel_w = 3;
    l.stride_h = l.stride_w = index % 4 == 0 ? 1 : 2;
    l.pad = {1, 1, 1, 1};
  } else {
    l.groups = index % 4 == 1 ? 2 : 4;
    l.in_channels = l.groups * (s24 ? 4 * pick(rng, 1, 9) : pick(rng, 1, 37));
    l.out_channels = l.groups * pick(rng, 1, 20);
    const unsigned kinds[] = {1, 1, 2, 3, 3};
    l.kernel_h = l.kernel_w = kinds[pick(rng, 0, 4)];
    l.stride_h = l.stride_w = pick(rng, 1, 2);
    l.pad = {pick(rng, 0, l.kernel_h - 1), pick(rng, 0, l.kernel_h - 1), pick(rng, 0, l.kernel_w - 1),
             pick(rng, 0, l.kernel_w - 1)};
  }
  l.in_height = std::max(l.in_height, l.kernel_h);
  l.in_width = std::max(l.in_width, l.kernel_w);
  return l;
}

/// Runs every workload through one testbench and compares each layer with the
/// golden reference; with the RTL (rtl, rtl-pins), the C++ model's activity of
/// the same passes must equal the RTL's. Returns the outcomes for further checks.
inline std::vector<RunOutcome> check(const std::string& preset, const std::vector<Workload>& workloads,
                                     const std::string& mac = "model", MacArrayFactory make_mac = {}) {
  const auto cfg = AcceleratorConfig::preset(preset);
  std::vector<Program> programs;
  std::uint64_t dram = 0;
  for (const auto& w : workloads) {
    programs.push_back(compile_network(cfg, w.layers, w.input, w.operands));
    dram = std::max(dram, programs.back().end);
  }
  Testbench tb("tb", {cfg, mac, dram, {}, true, std::move(make_mac)});
  const auto outcomes = tb.run(programs);
  EXPECT_EQ(outcomes.size(), workloads.size());
  for (std::size_t i = 0; i < workloads.size(); ++i) {
    const auto golden = golden_outputs(workloads[i]);
    EXPECT_TRUE(outcomes[i].ok) << "workload " << i << ": " << outcomes[i].message;
    if (!outcomes[i].ok || outcomes[i].outputs.size() != golden.size()) continue;
    for (std::size_t j = 0; j < golden.size(); ++j) {
      const Layer& l = workloads[i].layers[j];
      EXPECT_TRUE(outcomes[i].outputs[j] == golden[j])
          << "workload " << i << " layer " << l.name << ": " << to_string(l.op) << " " << to_string(l.precision)
          << " groups " << l.groups << " " << to_string(l.weight_format) << "/" << to_string(l.activation_format)
          << " C" << l.in_channels << " " << l.in_height << "x" << l.in_width << " K" << l.out_channels << " k"
          << l.kernel_h << "x" << l.kernel_w << " s" << l.stride_h << "," << l.stride_w << " pad " << l.pad.top
          << "," << l.pad.bottom << "," << l.pad.left << "," << l.pad.right << " post " << l.post.enabled;
    }
    if (mac != "rtl" && mac != "rtl-pins") continue;  // only the RTL arrays also run the C++ model
    for (const LayerRecord& rec : outcomes[i].layers) {
      Counters rtl = rec.activity.at("mac_array");
      rtl.erase("passes");
      EXPECT_EQ(rtl, rec.activity.at(kMacModelComponent)) << "workload " << i << " layer " << rec.layer.name;
    }
  }
  return outcomes;
}

/// Random single-layer grouped workloads of precision p and the given formats.
inline std::vector<Workload> random_grouped_workloads(std::mt19937_64& rng, Precision p, unsigned count,
                                                      TensorFormat weights = TensorFormat::dense,
                                                      TensorFormat acts = TensorFormat::dense) {
  std::vector<Workload> workloads;
  for (unsigned i = 0; i < count; ++i)
    workloads.push_back(generate_workload({random_grouped_layer(rng, p, i, weights, acts)}, rng()));
  return workloads;
}

/// Random single-layer workloads of precision p and the given formats.
inline std::vector<Workload> random_workloads(std::mt19937_64& rng, Precision p, unsigned count,
                                              TensorFormat weights = TensorFormat::dense,
                                              TensorFormat acts = TensorFormat::dense) {
  std::vector<Workload> workloads;
  for (unsigned i = 0; i < count; ++i)
    workloads.push_back(generate_workload({random_layer(rng, p, i, weights, acts)}, rng()));
  return workloads;
}

}  // namespace sdla::test
