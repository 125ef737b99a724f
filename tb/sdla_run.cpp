// sdla-run: the main testbench. Runs a layer (or a chain of layers) on the
// accelerator model, checks every output against the golden reference and
// reports cycles, activity and energy.
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <future>
#include <iostream>

#include <CLI/CLI.hpp>
#include <fmt/format.h>
#include <systemc>

#include "energy_table.hpp"
#include "golden/sparse_formats.hpp"
#include "io/layer_file.hpp"
#include "io/output_file.hpp"
#include "log_options.hpp"
#include "mac_arrays.hpp"
#include "report.hpp"
#include "sdla_run_network.hpp"
#include "seed_option.hpp"
#include "testbench.hpp"
#include "wave_options.hpp"
#include "workload.hpp"

namespace {

/// The built-in default: ResNet-50 conv3_x, a compute-bound 3x3 layer.
std::vector<sdla::Layer> default_layers() {
  return sdla::parse_layers(nlohmann::json::parse(R"({
      "name": "resnet50_conv3", "op": "conv2d", "in_channels": 128, "in_height": 28, "in_width": 28,
      "out_channels": 128, "kernel": [3, 3], "stride": [1, 1], "padding": [1, 1], "precision": "int8",
      "post": {"multiplier": 1, "shift": 12, "relu": true}})"),
                            "built-in layer");
}

/// --prune: "2:4" keeps the two largest magnitudes of every group of four
/// along C; a number in [0, 1] keeps that fraction of the largest weights.
sdla::Tensor<std::int16_t> prune(const sdla::Tensor<std::int16_t>& w, const std::string& how) {
  if (how == "2:4") return sdla::golden::prune_2_4(w);
  std::size_t used = 0;
  double density = -1;
  try {
    density = std::stod(how, &used);
  } catch (const std::exception&) {
  }
  if (used != how.size() || !(density >= 0.0 && density <= 1.0))
    throw std::invalid_argument("--prune " + how + ": expected 2:4 or a density in [0, 1]");
  return sdla::golden::prune_to_density(w, density);
}

struct Options;
sdla::RtlTraceOptions waves(const Options& o);

struct Options {
  std::string layer_file, input, output, report, energy_table, preset = "full", mac = "model", vcd, prune, vcd_window,
      winograd, log_level, waves_format;
  unsigned vcd_depth = 1;
  std::vector<std::string> weights, biases;
  std::uint64_t seed = 1;
  bool print_energy_table = false, no_check = false, strict = false, verbose = false, quiet = false,
       no_channel_extension = false, no_overlap = false;
  std::string network, html, export_ert;
  unsigned seq_len = 128;
  std::uint64_t power_window = 0;
};

/// --vcd, --vcd-window FIRST:LAST, --vcd-depth and --waves-format as trace
/// options (tb/wave_options.hpp); --vcd traces the RTL, so it needs --mac rtl.
sdla::RtlTraceOptions waves(const Options& o) {
  if (!o.vcd.empty() && o.mac != "rtl")
    throw std::invalid_argument(o.mac == "rtl-pins" ? "--vcd traces the verilated C++ model (--mac rtl); the pin-level "
                                                      "model (--mac rtl-pins) writes no waves"
                                                    : "--vcd traces the RTL: add --mac rtl");
  return sdla::wave_options(o.vcd, o.vcd_window, o.vcd_depth, o.waves_format);
}

/// --energy-table: the file's entries over the built-in ones. Entries that
/// can never match a count are a warning on stderr, or an error under --strict.
sdla::EnergyTable energy_table(const Options& o) {
  sdla::EnergyTable energy = sdla::EnergyTable::defaults();
  if (o.energy_table.empty()) return energy;
  const sdla::EnergyTable mine = sdla::EnergyTable::from_file(o.energy_table);
  const std::vector<std::string> unmatched = mine.unmatched_entries();
  if (!unmatched.empty() && o.strict) {
    std::string all;
    for (const auto& m : unmatched) all += "\n  " + m;
    throw std::invalid_argument(fmt::format("--strict: {} energy-table entr{} of {} would price nothing:{}",
                                            unmatched.size(), unmatched.size() == 1 ? "y" : "ies", o.energy_table, all));
  }
  for (const auto& m : unmatched) fmt::print(stderr, "sdla-run: warning: {} (the entry prices nothing)\n", m);
  energy.overlay(mine);
  return energy;
}

/// --export-ert: the table in use (built-in, overlaid by --energy-table) as
/// Accelergy ERT YAML that --energy-table reads back to the same table.
void export_ert(const Options& o, const sdla::EnergyTable& energy) {
  if (o.export_ert.empty()) return;
  sdla::prepare_output_file(o.export_ert, "--export-ert");
  errno = 0;
  std::ofstream out(o.export_ert);
  out << energy.to_yaml();
  out.close();
  if (!out)
    throw std::runtime_error("--export-ert " + o.export_ert + ": cannot write the energy table: " +
                             (errno ? std::strerror(errno) : "unknown error"));
}

/// --power-window: a whole number of cycles, at least 1 (CLI11 alone would wrap "-1").
CLI::Validator power_window_validator() {
  return CLI::Validator(
      [](std::string& s) -> std::string {
        errno = 0;
        const bool digits = !s.empty() && s.find_first_not_of("0123456789") == std::string::npos;
        if (!digits || std::strtoull(s.c_str(), nullptr, 10) == 0)
          return "'" + s.substr(0, 60) + "' is not a window: expected a whole number of cycles, at least 1";
        if (errno == ERANGE) return "'" + s.substr(0, 60) + "' exceeds 18446744073709551615 cycles";
        return "";
      },
      "CYCLES");
}

int run(const Options& o) {
  using namespace sdla;
  if (!o.network.empty()) {
    for (const auto& [given, option] : {std::pair{!o.layer_file.empty(), "--layer"}, {!o.input.empty(), "--input"},
                                        {!o.weights.empty(), "--weights"}, {!o.biases.empty(), "--bias"},
                                        {!o.output.empty(), "--output"}})
      if (given) throw std::invalid_argument(fmt::format("{} applies to layers, not to --network", option));
    NetworkCliOptions n;
    n.network = o.network;
    n.seq_len = o.seq_len;
    n.prune = o.prune.empty() ? "none" : o.prune;
    n.winograd = o.winograd;
    n.preset = o.preset;
    n.mac = o.mac;
    n.report = o.report;
    n.html = o.html;
    n.seed = o.seed;
    n.check = !o.no_check;
    n.quiet = o.quiet;
    n.channel_extension = !o.no_channel_extension;
    n.layer_overlap = !o.no_overlap;
    n.waves = waves(o);
    n.power_window = o.power_window;
    const EnergyTable energy = energy_table(o);
    export_ert(o, energy);
    return run_network_cli(n, energy);
  }
  if (!o.html.empty()) throw std::invalid_argument("--html draws a network's report: add --network");
  const AcceleratorConfig cfg = AcceleratorConfig::preset(o.preset);
  std::vector<Layer> chain = o.layer_file.empty() ? default_layers() : read_layer_file(o.layer_file);
  if (!o.winograd.empty())
    for (Layer& l : chain)
      if (l.op != Op::pool) l.winograd = parse_winograd(o.winograd);  // pooling has no Winograd mode
  const RtlTraceOptions trace = waves(o);
  const EnergyTable energy = energy_table(o);
  export_ert(o, energy);
  // Where the results go, checked (and folders created) before anything long runs.
  if (!o.report.empty()) prepare_output_file(o.report, "--report");
  if (!o.output.empty()) prepare_output_file(o.output, "--output");
  // Refuse, naming the layer and the bytes, a run the host cannot hold, before allocating any of it.
  check_host_memory(cfg, chain);
  Workload w = generate_workload(chain, o.seed);
  const auto& layers = w.layers;
  if (!o.input.empty()) w.input = read_input(o.input, layers.front());
  // Weights files go to the layers that have weights, in order: pool layers have none.
  std::vector<std::size_t> weighted;
  for (std::size_t i = 0; i < layers.size(); ++i)
    if (layers[i].op != Op::pool) weighted.push_back(i);
  if (!o.weights.empty() && o.weights.size() != weighted.size())
    throw std::invalid_argument(fmt::format("{} --weights files for {} layers{}: give one per layer, in order", o.weights.size(),
                                            weighted.size(), weighted.size() == layers.size() ? "" : " with weights (pool layers have none)"));
  if (!o.biases.empty() && o.biases.size() != layers.size())
    throw std::invalid_argument(fmt::format("{} --bias files for {} layers: give one per layer, in order",
                                            o.biases.size(), layers.size()));
  for (std::size_t i = 0; i < o.weights.size(); ++i)
    w.operands[weighted[i]].weights = read_weights(o.weights[i], layers[weighted[i]]);
  for (std::size_t i = 0; i < o.biases.size(); ++i) {
    if (!layers[i].post.enabled)
      throw std::invalid_argument(fmt::format("--bias {}: layer '{}' has no \"post\" section; bias is part of "
                                              "post-processing",
                                              o.biases[i], layers[i].name));
    w.operands[i].bias = read_bias(o.biases[i], layers[i]);
  }

  if (!o.prune.empty())
    for (auto& ops : w.operands)
      if (!ops.weights.values().empty()) ops.weights = prune(ops.weights, o.prune);  // pool layers have none

  const Program prog = compile_network(cfg, layers, w.input, w.operands);
  TestbenchOptions tbo{cfg, o.mac, (prog.end | 0xFFFFF) + 1, trace, true, make_any_mac_array};
  tbo.layer_overlap = !o.no_overlap;
  Testbench tb("tb", tbo);
  fmt::print("sdla-run: {} layer(s), seed {}, preset {}, MAC array {}\n", layers.size(), o.seed, cfg.name, o.mac);
  // The golden reference runs on a second thread while the simulation runs.
  std::future<GoldenRun> golden_future;
  if (!o.no_check) golden_future = std::async(std::launch::async, [&w] { return golden_run(w); });
  const RunOutcome outcome = tb.run({prog}).front();

  const GoldenRun golden = o.no_check ? GoldenRun{} : golden_future.get();
  std::vector<bool> exact;
  for (std::size_t i = 0; i < outcome.outputs.size() && i < golden.outputs.size(); ++i)
    exact.push_back(outcome.outputs[i] == golden.outputs[i]);

  const nlohmann::json report = make_report(
      {&cfg, tb.mac_array().source(), &outcome, exact, &energy, golden.winograd_error, !o.no_check});
  if (!o.report.empty()) {
    errno = 0;
    std::ofstream out(o.report);
    if (!out)
      throw std::runtime_error("--report " + o.report + ": cannot open for writing: " +
                               (errno ? std::strerror(errno) : "unknown error"));
    out << report.dump(2) << '\n';
    out.close();
    if (!out)
      throw std::runtime_error("--report " + o.report + ": cannot write the report: " +
                               (errno ? std::strerror(errno) : "unknown error"));
  }
  print_summary(std::cout, report);
  if (!o.output.empty() && !outcome.outputs.empty())
    write_output(o.output, layers[outcome.outputs.size() - 1], outcome.outputs.back());

  bool pass = o.no_check ? outcome.ok : report["bit_exact"].get<bool>();
  if (report.contains("mac_array_sources_equal")) {
    const bool equal = report["mac_array_sources_equal"].get<bool>();
    fmt::print("MAC-array activity: RTL measured and C++ model computed are {}\n", equal ? "equal" : "DIFFERENT");
    pass = pass && equal;
  }
  if (!o.vcd.empty()) fmt::print("waves: {} (GTKWave layout: {})\n", o.vcd, gtkw_path(o.vcd));
  // ok without an accelerator error code: the host could not read an output back (the message names the layer).
  const std::string failed = outcome.error == regs::ErrorCode::none ? "FAIL: " + outcome.message
                                                                    : "FAIL: the accelerator reported an error";
  fmt::print("{}\n", !outcome.ok  ? failed
                     : !pass      ? "FAIL: output differs from the golden reference"
                     : o.no_check ? "DONE: not checked against the golden reference (--no-check)"
                                  : "PASS: output is bit-exact with the golden reference");
  return pass ? 0 : 1;
}

}  // namespace

int sc_main(int argc, char** argv) {
  Options o;
  CLI::App app{"sdla-run: run layers on the sdla accelerator model, check them bit for bit against the golden "
               "reference, and report cycles, activity and energy."};
  app.add_option("--layer", o.layer_file, "Layer file (JSON): one layer or {\"layers\": [...]}; default: ResNet-50 "
                                          "conv3_x (28x28, 128->128, 3x3, int8)")
      ->check(CLI::ExistingFile);
  auto* network = app.add_option(
      "--network", o.network,
      "Run a whole network: resnet50, vgg16, mobilenetv2, bert-base (224x224 inputs; BERT with --seq-len tokens), "
      "or a network file (JSON); int8, tensors generated from --seed, requantisation calibrated on the golden run");
  app.add_option("--seq-len", o.seq_len, "Tokens of --network bert-base")
      ->check(CLI::Range(1u, 4096u))
      ->capture_default_str()
      ->needs(network);
  app.add_option("--html", o.html, "With --network: write a self-contained HTML report (inline SVG charts) here")
      ->needs(network);
  app.add_option("--power-window", o.power_window, "With --network: cycles per window of the report's power trace "
                                                   "(default: about 200 windows over the run)")
      ->check(power_window_validator())
      ->needs(network);
  app.add_option("--export-ert", o.export_ert, "Write the energy table in use (built-in, overlaid by --energy-table) "
                                               "here as Accelergy ERT YAML, then run as asked");
  app.add_flag("--quiet", o.quiet, "No progress on stderr");
  app.add_flag("--no-channel-extension", o.no_channel_extension,
               "With --network: feed a small-C first layer as it is, without folding its kernel columns into the "
               "channels")
      ->needs(network);
  app.add_flag("--no-overlap", o.no_overlap,
               "Start each layer once the one before has ended, instead of loading its first step while that one "
               "computes (ping-pong registers): the same outputs, to measure what the overlap saves");
  app.add_option("--input", o.input, "Input tensor .npy, [C,H,W] or [1,C,H,W], int8/int16 as the layer (default: random)");
  app.add_option("--weights", o.weights, "Weights .npy [K,C/groups,R,S] ([K,C] for fc); once per layer, in order, "
                                         "pool layers left out (default: random)");
  app.add_option("--bias", o.biases, "Bias .npy int32 [K]; once per layer, needs a \"post\" section (default: random)");
  app.add_option("--output", o.output, "Write the last layer's output .npy: [K,P,Q] int32/int64 sums, or int8/int16 "
                                       "after post-processing");
  app.add_option("--winograd", o.winograd, "Winograd F(2x2,3x3) for every layer, overriding the layer file: off, "
                                           "exact, nvdla or auto (ineligible layers run direct and say why)")
      ->check(CLI::IsMember({"off", "exact", "nvdla", "auto"}));
  app.add_option("--prune", o.prune, "Prune every layer's weights by magnitude: 2:4, or a density in [0, 1]; with "
                                     "--network: none, sparse (conv 35%, fc 15% kept, stored ZVC) or 2:4");
  app.add_option("--seed", o.seed, "Seed of generated tensors, 0..2^64-1")
      ->check(sdla::seed_validator())
      ->capture_default_str();
  app.add_option("--preset", o.preset, "Accelerator preset")
      ->check(CLI::IsMember(sdla::AcceleratorConfig::preset_names()))
      ->capture_default_str();
  app.add_option("--mac", o.mac, "MAC array: the C++ datapath model, the Verilated RTL, or the same RTL as a "
                                 "pin-level SystemC model (rtl-pins)")
      ->check(CLI::IsMember({"model", "rtl", "rtl-pins"}))
      ->capture_default_str();
  app.add_option("--report", o.report, "Write the JSON report here");
  app.add_option("--energy-table", o.energy_table, "Energy table (Accelergy ERT YAML) overriding built-in entries")
      ->check(CLI::ExistingFile);
  app.add_option("--vcd", o.vcd, "Write RTL waveforms (needs --mac rtl) to this file, VCD or (NAME.fst) FST, and a "
                                 "GTKWave layout beside it (.gtkw)");
  app.add_option("--waves-format", o.waves_format, "Format of the --vcd file: vcd or fst (default: from its "
                                                   "extension, .fst is FST)")
      ->check(CLI::IsMember({"vcd", "fst"}));
  app.add_option("--vcd-window", o.vcd_window, "Trace only array cycles FIRST:LAST (LAST may be empty)");
  app.add_option("--vcd-depth", o.vcd_depth, "1: readable view of the first lanes and columns; 2: every port; "
                                             "3: also internal registers; 0: everything")
      ->check(CLI::Range(0u, 3u))
      ->capture_default_str();
  app.add_flag("--no-check", o.no_check, "Skip the golden reference (for sweeps): the report says \"checked\": false");
  app.add_flag("--strict", o.strict, "Make warnings errors (exit 2): energy-table entries whose component, action or "
                                     "argument matches nothing the accelerator counts");
  app.add_flag("--print-energy-table", o.print_energy_table, "Print the built-in energy table and exit");
  auto* log_level =
      app.add_option("--log-level", o.log_level, "SystemC verbosity of the model's messages on stderr: none, low, "
                                                 "medium (SystemC's default), high or info (layer start and end, DMA "
                                                 "errors), full (also descriptor fetches and tile steps), debug "
                                                 "(also every DMA transfer)")
          ->check(CLI::IsMember(sdla::log_level_names()));
  app.add_flag("--verbose", o.verbose, "Same as --log-level high: every layer's start and end on stderr")
      ->excludes(log_level);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == 0 ? 0 : 2;
  }
  // The model reports through SystemC (sdla/log.hpp); what shows goes to stderr.
  sdla::report_to_stderr();
  if (o.verbose || !o.log_level.empty())
    sc_core::sc_report_handler::set_verbosity_level(sdla::log_verbosity(o.verbose ? "high" : o.log_level));
  if (o.print_energy_table) {
    try {
      if (!o.export_ert.empty()) export_ert(o, energy_table(o));
    } catch (const std::exception& e) {
      fmt::print(stderr, "sdla-run: error: {}\n", e.what());
      return 2;
    }
    std::cout << sdla::default_energy_table_yaml();
    return 0;
  }
  try {
    return run(o);
  } catch (const std::exception& e) {
    fmt::print(stderr, "sdla-run: error: {}\n", e.what());
    return 2;
  }
}

// The SystemC library's own main() would print its banner before any output
// of ours; set SC_COPYRIGHT_MESSAGE=ENABLE to see it.
int main(int argc, char** argv) {
  setenv("SC_COPYRIGHT_MESSAGE", "DISABLE", 0);
  return sc_core::sc_elab_and_sim(argc, argv);
}
