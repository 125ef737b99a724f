// Random layers eligible for Winograd F(2x2,3x3) and the checks shared by the
// model and RTL Winograd layer tests: exact layers against golden::conv2d
// computed here (independent of golden_outputs), and the first-principles
// counts of a Winograd layer's MAC-array and transform activity.
#pragma once

#include <algorithm>
#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "golden/conv.hpp"
#include "random_layers.hpp"
#include "sdla/layer.hpp"
#include "sdla/tensor.hpp"
#include "testbench.hpp"
#include "workload.hpp"

namespace sdla::test {

/// Output tiles of F(2x2,3x3): ceil(P/2) * ceil(Q/2).
inline std::uint64_t winograd_tiles(const Layer& l) {
  return std::uint64_t((l.out_height() + 1) / 2) * ((l.out_width() + 1) / 2);
}

/// Multipliers a Winograd layer issues: each of the 16 components of every
/// tile is one product per (input channel, output channel), however the
/// channels are split into lanes, halves, groups and blocks.
inline std::uint64_t winograd_issued(const Layer& l) {
  return 16 * winograd_tiles(l) * l.in_channels * l.out_channels;
}

/// A counter of a layer record, 0 when the component or action is absent.
inline std::uint64_t counter(const LayerRecord& rec, const std::string& component, const std::string& action) {
  const auto c = rec.activity.find(component);
  if (c == rec.activity.end()) return 0;
  const auto a = c->second.find(action);
  return a == c->second.end() ? 0 : a->second;
}

inline std::uint64_t issued(const LayerRecord& rec) {
  return counter(rec, "mac_array", "mac_random") + counter(rec, "mac_array", "mac_gated");
}

/// A 3x3 stride-1 dense-weight conv2d of random shape asking for `mode`,
/// strict so that an ineligible draw would throw instead of silently running
/// direct. Output sizes favour the edge cases: 1, 2 and odd; padding 0, 1, 2
/// on each side independently (so often asymmetric); C and K rarely multiples
/// of the atoms.
inline Layer winograd_layer(std::mt19937_64& rng, Winograd mode, Precision p, unsigned index,
                            TensorFormat acts = TensorFormat::dense, unsigned max_c = 100, unsigned max_k = 90,
                            unsigned max_out = 14) {
  Layer l;
  l.name = fmt::format("wino_{}_{}_{}", to_string(mode), to_string(p), index);
  l.precision = p;
  l.winograd = mode;
  l.winograd_strict = true;
  l.in_channels = pick(rng, 1, max_c);
  l.out_channels = pick(rng, 1, max_k);
  l.kernel_h = l.kernel_w = 3;
  const unsigned pads[] = {0, 0, 1, 1, 1, 2};
  l.pad = {pads[pick(rng, 0, 5)], pads[pick(rng, 0, 5)], pads[pick(rng, 0, 5)], pads[pick(rng, 0, 5)]};
  // Mostly the edge list for small layers; mostly any size up to max_out for big ones.
  auto out_size = [&] {
    const unsigned sizes[] = {1, 1, 2, 3, 5, 7, 9, 11, 13};
    const bool edge = max_out > 14 ? pick(rng, 0, 3) == 0 : pick(rng, 0, 2) != 0;
    return std::min(max_out, edge ? sizes[pick(rng, 0, 8)] : pick(rng, 1, max_out));
  };
  // Input = output + 2 - padding, at least 1 (then the output is what the padding makes it).
  auto in_size = [](unsigned out, unsigned pad_sum) { return std::max(1, int(out) + 2 - int(pad_sum)); };
  l.in_height = unsigned(in_size(out_size(), l.pad.top + l.pad.bottom));
  l.in_width = unsigned(in_size(out_size(), l.pad.left + l.pad.right));
  l.activation_format = acts;
  const double densities[] = {0.0, 1.0, 0.1, 0.5};
  l.input_density = pick(rng, 0, 3) ? std::uniform_real_distribution<double>(0.2, 1.0)(rng) : densities[pick(rng, 0, 3)];
  if (acts == TensorFormat::zvc) l.input_density = std::min(l.input_density, 0.9);
  l.weight_density = pick(rng, 0, 3) ? 1.0 : std::uniform_real_distribution<double>(0.0, 1.0)(rng);
  if (mode == Winograd::nvdla) l.winograd_input_shift = pick(rng, 0, 2);
  if (pick(rng, 0, 1)) {
    l.post.enabled = true;
    l.post.relu = pick(rng, 0, 1);
    l.post.multiplier = {std::int32_t(pick(rng, 1, 3000))};
    l.post.shift = {std::uint8_t(pick(rng, 8, 24))};
  }
  return l;
}

/// `count` single-layer workloads of random eligible layers.
inline std::vector<Workload> winograd_workloads(std::mt19937_64& rng, Winograd mode, Precision p, unsigned count,
                                                TensorFormat acts = TensorFormat::dense) {
  std::vector<Workload> w;
  for (unsigned i = 0; i < count; ++i) w.push_back(generate_workload({winograd_layer(rng, mode, p, i, acts)}, rng()));
  return w;
}

template <class T, class U>
Tensor<T> narrowed(const Tensor<U>& t) {
  return Tensor<T>(t.shape(), std::vector<T>(t.values().begin(), t.values().end()));
}

template <class T>
Tensor<std::int64_t> widened(const Tensor<T>& t) {
  return Tensor<std::int64_t>(t.shape(), std::vector<std::int64_t>(t.values().begin(), t.values().end()));
}

/// Exact Winograd must be bit-identical to direct convolution: every layer
/// that resolves to `exact` is recomputed here with golden::conv2d (plus
/// golden::postprocess), from the workload's input for the first layer and
/// from the accelerator's own previous output otherwise.
inline void expect_exact_is_direct(const Workload& w, const RunOutcome& out, const std::string& what) {
  for (std::size_t j = 0; j < w.layers.size() && j < out.outputs.size(); ++j) {
    const Layer l = resolve_winograd(w.layers[j]);
    if (l.winograd != Winograd::exact) continue;
    ASSERT_EQ(l.precision, Precision::int8) << "exact Winograd is int8 only";
    const Tensor<std::int16_t> x = j == 0 ? w.input : narrowed<std::int16_t>(out.outputs[j - 1]);
    const auto acc = golden::conv2d(l, narrowed<std::int8_t>(x), narrowed<std::int8_t>(w.operands[j].weights));
    const auto direct = l.post.enabled ? widened(golden::postprocess(l, acc, w.operands[j].bias)) : widened(acc);
    EXPECT_TRUE(out.outputs[j] == direct) << what << " layer " << l.name << ": exact Winograd differs from golden::conv2d";
  }
}

/// Per layer: the mode it ran in, and for Winograd layers the multiplies
/// issued (16 per component, tile, input and output channel) and the
/// outputs the output transform produced (K * P * Q); direct layers leave
/// the Winograd units idle.
inline void expect_winograd_activity(const Workload& w, const RunOutcome& out, const std::string& what) {
  for (std::size_t j = 0; j < w.layers.size() && j < out.layers.size(); ++j) {
    const Layer l = resolve_winograd(w.layers[j]);
    const LayerRecord& rec = out.layers[j];
    SCOPED_TRACE(what + " layer " + l.name);
    EXPECT_EQ(rec.layer.winograd, l.winograd);
    if (l.uses_winograd()) {
      EXPECT_EQ(issued(rec), winograd_issued(l));
      EXPECT_GT(counter(rec, "winograd_input_transform", "vectors"), 0u);
      EXPECT_EQ(counter(rec, "winograd_output_transform", "outputs"),
                std::uint64_t(l.out_channels) * l.out_height() * l.out_width());
    } else {
      EXPECT_EQ(counter(rec, "winograd_input_transform", "vectors"), 0u);
      EXPECT_EQ(counter(rec, "winograd_output_transform", "folds"), 0u);
    }
  }
}

/// check() (bit-exact against golden_outputs; with the RTL, activity equal
/// to the C++ model's) plus the two checks above on every workload.
inline std::vector<RunOutcome> check_winograd(const std::string& preset, const std::vector<Workload>& workloads,
                                              const std::string& mac = "model", MacArrayFactory make_mac = {}) {
  auto out = check(preset, workloads, mac, std::move(make_mac));
  for (std::size_t i = 0; i < workloads.size() && i < out.size(); ++i) {
    if (!out[i].ok) continue;
    const std::string what = fmt::format("{} workload {}", preset, i);
    expect_exact_is_direct(workloads[i], out[i], what);
    expect_winograd_activity(workloads[i], out[i], what);
  }
  return out;
}

}  // namespace sdla::test
