#include "sdla_run_network.hpp"

#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "builtin_networks.hpp"
#include "html_report.hpp"
#include "io/layer_file.hpp"
#include "io/network_file.hpp"
#include "io/output_file.hpp"
#include "mac_arrays.hpp"
#include "network_report.hpp"
#include "network_run.hpp"

namespace sdla {
namespace {

Network load_network(const NetworkCliOptions& o) {
  for (const std::string& name : builtin_network_names())
    if (o.network == name) return builtin_network(name, Precision::int8, o.seq_len);
  std::error_code ec;
  if (!std::filesystem::exists(o.network, ec))
    throw std::invalid_argument(fmt::format("--network {}: neither a built-in network ({}) nor a file",
                                            o.network.substr(0, 60), fmt::join(builtin_network_names(), ", ")));
  return read_network_file(o.network);
}

/// Progress on stderr: a line per step, redrawn in place on a terminal.
/// The estimate scales the elapsed time by the work (MACs plus a little per
/// step) still to do.
class Progress {
 public:
  explicit Progress(bool quiet) : quiet_(quiet), tty_(isatty(fileno(stderr))) {}
  void start() { t0_ = Clock::now(); }
  void operator()(const char* phase, std::size_t i, std::size_t n, const std::string& name, double done) {
    if (quiet_) return;
    const double s = std::chrono::duration<double>(Clock::now() - t0_).count();
    const std::string eta = done > 0 && done < 1 ? fmt::format(", about {:.1f} s left", s / done * (1 - done)) : "";
    const std::string line = fmt::format("sdla-run: {} {}/{} {} ({:.1f} s{})", phase, i, n, name, s, eta);
    if (tty_) fmt::print(stderr, "\r\033[K{}", line);
    else fmt::print(stderr, "{}\n", line);
    std::fflush(stderr);
  }
  void done() {
    if (!quiet_ && tty_) fmt::print(stderr, "\r\033[K");
  }

 private:
  using Clock = std::chrono::steady_clock;
  bool quiet_, tty_;
  Clock::time_point t0_ = Clock::now();
};

/// Work of each hardware layer for the estimate: its MACs plus a pass's worth.
std::vector<double> layer_work(const LoweredNetwork& net) {
  std::vector<double> work;
  for (const HwLayer& hw : net.layers) work.push_back(double(hw.layer.macs()) + 1e6);
  return work;
}

}  // namespace

int run_network_cli(const NetworkCliOptions& o, const EnergyTable& energy) {
  const AcceleratorConfig cfg = AcceleratorConfig::preset(o.preset);
  if (!o.report.empty()) prepare_output_file(o.report, "--report");
  if (!o.html.empty()) prepare_output_file(o.html, "--html");
  LowerOptions lowering;
  lowering.channel_extension = o.channel_extension;
  const LoweredNetwork lowered = lower(load_network(o), lowering);
  const Winograd winograd = o.winograd.empty() ? Winograd::off : parse_winograd(o.winograd);
  Progress progress(o.quiet);
  const std::vector<double> work = layer_work(lowered);
  double total_work = 0;
  for (double x : work) total_work += x;
  Prune prune = Prune::none;
  try {
    prune = parse_prune(o.prune);
  } catch (const std::invalid_argument& e) {
    throw std::invalid_argument(std::string("--prune with --network: ") + e.what());
  }
  double golden_done = 0;
  const NetworkWorkload w =
      generate_network_workload(lowered, o.seed, prune, winograd, [&](std::size_t i, const std::string& name) {
        golden_done += work[i];
        progress("golden layer", i + 1, work.size(), name, golden_done / total_work);
      });
  progress.done();
  const NetworkProgram prog = compile_network_program(cfg, w);
  TestbenchOptions tbo{cfg, o.mac, prog.dram_bytes(), o.waves, true, make_any_mac_array};
  tbo.layer_overlap = o.layer_overlap;
  Testbench tb("tb", tbo);
  fmt::print("sdla-run: network {}, {} hardware layers and {} host operations in {} run(s), seed {}, preset {}, MAC "
             "array {}\n",
             w.net.net.name, w.net.layers.size(), w.net.host_ops.size(), prog.runs.size(), o.seed, cfg.name, o.mac);
  std::size_t layers_done = 0;
  double sim_done = 0;
  progress.start();
  tb.accelerator().on_layer_done([&](std::size_t, const LayerRecord&) {
    sim_done += work[layers_done];
    const std::string& name = w.net.layers[layers_done].layer.name;
    progress("layer", ++layers_done, work.size(), name, sim_done / total_work);
  });
  const NetworkResult res = run_network(tb, w, prog);
  progress.done();

  const nlohmann::json report =
      make_network_report({&cfg, tb.mac_array().source(), &w, &res, &energy, o.check, o.prune, o.power_window});
  if (!o.report.empty()) {
    std::ofstream out(o.report);
    out << report.dump(2) << '\n';
    if (!out) throw std::runtime_error("--report " + o.report + ": cannot write the report");
  }
  if (!o.html.empty()) write_html_report(o.html, report);
  print_network_summary(std::cout, report);
  const auto& layers = report["layers"];
  for (std::size_t i = 0; i < layers.size(); ++i)
    if (layers[i].contains("output_density") && !o.quiet)
      fmt::print("density: {} output {:.3f}\n", layers[i]["name"].get<std::string>(),
                 layers[i]["output_density"].get<double>());
  bool pass = res.outcome.ok && (!o.check || report["bit_exact"].get<bool>());
  if (report.contains("mac_array_sources_equal")) {
    const bool equal = report["mac_array_sources_equal"].get<bool>();
    fmt::print("MAC-array activity: RTL measured and C++ model computed are {}\n", equal ? "equal" : "DIFFERENT");
    pass = pass && equal;
  }
  fmt::print("{}\n", !res.outcome.ok ? "FAIL: " + res.outcome.message
                     : !pass         ? std::string("FAIL: an output differs from the golden reference")
                     : !o.check      ? std::string("DONE: not checked against the golden reference (--no-check)")
                                     : std::string("PASS: every layer's output is bit-exact with the golden reference"));
  return pass ? 0 : 1;
}

}  // namespace sdla
