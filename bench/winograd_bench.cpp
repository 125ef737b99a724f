// winograd_bench: one 3x3 layer computed directly and by Winograd F(2x2,3x3)
// in both modes, side by side: cycles, MAC-array cycles, issued multiplies,
// transform adds, energy by component, and each mode's error against direct
// convolution. The default layer is ResNet-50 conv2_x (56x56, 64->64, int8,
// ReLU) on the `full` preset. A benchmark prints figures; it asserts nothing
// (the tests check bit-exactness and the ratios).
//
//   winograd_bench [--layer FILE.json] [--preset small|full] [--seed N] [--mac model|rtl]
//
// Bad options exit with status 2 and a message naming the option.
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include "energy_table.hpp"
#include "io/layer_file.hpp"
#include "mac_arrays.hpp"
#include "report.hpp"
#include "testbench.hpp"
#include "workload.hpp"

namespace {

std::uint64_t at(const nlohmann::json& activity, const char* component, const char* action) {
  return activity.contains(component) ? activity[component].value(action, std::uint64_t{0}) : 0;
}

int run(const std::string& layer_file, const std::string& preset, std::uint64_t seed, const std::string& mac) {
  using namespace sdla;
  const AcceleratorConfig cfg = AcceleratorConfig::preset(preset);
  std::vector<Layer> base = layer_file.empty() ? parse_layers(nlohmann::json::parse(R"({
      "name": "resnet50_conv2", "op": "conv2d", "in_channels": 64, "in_height": 56, "in_width": 56,
      "out_channels": 64, "kernel": [3, 3], "padding": [1, 1], "precision": "int8",
      "post": {"multiplier": 1, "shift": 12, "relu": true}})"),
                                                               "built-in layer")
                                                : read_layer_file(layer_file);
  if (base.size() != 1) throw std::invalid_argument("--layer: winograd_bench takes one layer");
  const Winograd modes[] = {Winograd::off, Winograd::exact, Winograd::nvdla};
  std::vector<Workload> workloads;
  std::vector<Program> programs;
  std::uint64_t dram = 0;
  for (Winograd m : modes) {
    Layer l = base.front();
    l.winograd = m;
    workloads.push_back(generate_workload({l}, seed));  // the same tensors for every mode
    programs.push_back(compile_network(cfg, workloads.back().layers, workloads.back().input, workloads.back().operands));
    dram = std::max(dram, programs.back().end);
  }
  TestbenchOptions o{cfg, mac, (dram | 0xFFFFF) + 1, {}, true, make_any_mac_array};
  Testbench tb("tb", o);
  const auto outcomes = tb.run(programs);
  const EnergyTable energy = EnergyTable::defaults();
  const auto direct = golden_outputs(workloads.front()).front();

  fmt::print("winograd_bench: layer {} on preset {}, MAC array {}, seed {}\n", base.front().name, cfg.name, mac, seed);
  fmt::print("{:<8} {:>9} {:>10} {:>12} {:>11} {:>10} {:>10} {:>10} {:>10} {:>10} {:>10}  {}\n", "mode", "cycles",
             "MAC cycles", "issued mul", "xform adds", "energy uJ", "MAC uJ", "xform uJ", "DRAM uJ", "max|err|",
             "mean rel", "check");
  for (std::size_t i = 0; i < outcomes.size(); ++i) {
    const RunOutcome& out = outcomes[i];
    if (!out.ok) {
      fmt::print("{:<8} error: {}\n", to_string(modes[i]), out.message);
      continue;
    }
    const GoldenRun golden = golden_run(workloads[i]);
    const bool exact = out.outputs.front() == golden.outputs.front();
    const golden::ErrorStats err = golden::error_stats(out.outputs.front(), direct);
    const nlohmann::json r = make_report({&cfg, tb.mac_array().source(), &out, {exact}, &energy, golden.winograd_error});
    const auto& layer = r["layers"][0];
    const auto& a = layer["activity"];
    const auto& e = layer["energy_pj"];
    const auto& w = layer["winograd"];
    fmt::print("{:<8} {:>9} {:>10} {:>12} {:>11} {:>10.3f} {:>10.3f} {:>10.3f} {:>10.3f} {:>10} {:>10.4f}  {}\n",
               w["mode"].get<std::string>(), layer["cycles"].get<std::uint64_t>(), at(a, "mac_array", "cycles"),
               w["issued_multiplies"].get<std::uint64_t>(), w["transform_adds"].get<std::uint64_t>(),
               e["total"].get<double>() / 1e6, e.value("mac_array", 0.0) / 1e6,
               w["transform_energy_pj"].get<double>() / 1e6, e.value("dram", 0.0) / 1e6, err.max_abs, err.mean_rel,
               exact ? "bit-exact with its golden" : "MISMATCH");
  }
  fmt::print("energy by component (uJ):\n");
  for (std::size_t i = 0; i < outcomes.size(); ++i) {
    const nlohmann::json r = make_report({&cfg, tb.mac_array().source(), &outcomes[i], {true}, &energy, {}});
    std::string parts;
    for (const auto& [component, pj] : r["energy_pj"].items())
      if (component != "total" && pj.get<double>() > 0) parts += fmt::format("  {} {:.3f}", component, pj.get<double>() / 1e6);
    fmt::print("{:<8}{}\n", to_string(modes[i]), parts);
  }
  return 0;
}

}  // namespace

int sc_main(int argc, char** argv) {
  std::string layer, preset = "full", mac = "model";
  std::uint64_t seed = 1;
  CLI::App app{"winograd_bench: a 3x3 layer direct, exact Winograd and NVDLA-style Winograd, side by side"};
  app.add_option("--layer", layer, "Layer file with one 3x3 stride-1 layer (default: ResNet-50 conv2_x)")
      ->check(CLI::ExistingFile);
  app.add_option("--preset", preset, "Accelerator preset")
      ->check(CLI::IsMember(sdla::AcceleratorConfig::preset_names()))
      ->capture_default_str();
  app.add_option("--seed", seed, "Seed of the generated tensors")->capture_default_str();
  app.add_option("--mac", mac, "MAC array")->check(CLI::IsMember({"model", "rtl"}))->capture_default_str();
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == 0 ? 0 : 2;
  }
  try {
    return run(layer, preset, seed, mac);
  } catch (const std::exception& e) {
    fmt::print(stderr, "winograd_bench: error: {}\n", e.what());
    return 2;
  }
}

int main(int argc, char** argv) {
  setenv("SC_COPYRIGHT_MESSAGE", "DISABLE", 0);
  return sc_core::sc_elab_and_sim(argc, argv);
}
