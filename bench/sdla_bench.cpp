// sdla_bench: how fast the simulation runs. For both presets, int8 and int16,
// on a fixed set of layers (ResNet-50 conv3_x, VGG-16 conv3_2, a 1x1 layer, an
// fc layer) it prints GMAC/s of the golden reference, of the C++ model (all
// activity counters included) and of the RTL co-simulation, the model/RTL and
// model/golden ratios, and the wall time and peak resident memory of a whole
// `sdla-run` of each full-preset int8 layer and of whole networks (`--network`).
// A benchmark prints figures; it asserts nothing. Each measurement runs in a child process of its own
// (SystemC elaborates once per process).
//
//   sdla_bench [--no-rtl] [--layer NAME]... [--preset NAME]... [--precision int8|int16]...
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include "builtin_networks.hpp"
#include "io/layer_file.hpp"
#include "mac_arrays.hpp"
#include "testbench.hpp"
#include "workload.hpp"

namespace {

using Clock = std::chrono::steady_clock;

struct BenchLayer {
  const char* name;
  const char* json;
};

const BenchLayer kLayers[] = {
    {"resnet50_conv3", R"({"op": "conv2d", "in_channels": 128, "in_height": 28, "in_width": 28, "out_channels": 128,
                           "kernel": [3, 3], "padding": [1, 1], "post": {"multiplier": 1, "shift": 12, "relu": true}})"},
    {"vgg16_conv3_2", R"({"op": "conv2d", "in_channels": 256, "in_height": 56, "in_width": 56, "out_channels": 256,
                          "kernel": [3, 3], "padding": [1, 1], "post": {"multiplier": 1, "shift": 12, "relu": true}})"},
    {"resnet50_1x1", R"({"op": "conv2d", "in_channels": 1024, "in_height": 14, "in_width": 14, "out_channels": 256,
                         "post": {"multiplier": 1, "shift": 12, "relu": true}})"},
    {"fc_4096_1024", R"({"op": "fc", "in_channels": 4096, "out_channels": 1024})"},
};

sdla::Layer make_layer(const std::string& name, const std::string& precision) {
  for (const BenchLayer& b : kLayers)
    if (name == b.name) {
      auto j = nlohmann::json::parse(b.json);
      j["name"] = name;
      j["precision"] = precision;
      return sdla::parse_layers(j, "sdla_bench").front();
    }
  throw std::invalid_argument("unknown layer " + name);
}

double cpu_seconds() {
  timespec t{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
  return double(t.tv_sec) + 1e-9 * double(t.tv_nsec);
}

/// In a child: one measurement of `repeat` runs of the layer back to back
/// (one simulation of `repeat` programs), printed as "seconds macs
/// cpu_seconds" on stdout (CPU time: what a comparison on a busy machine reads).
int child(const std::string& what, const std::string& preset, const std::string& precision, const std::string& layer,
          unsigned repeat) {
  using namespace sdla;
  const AcceleratorConfig cfg = AcceleratorConfig::preset(preset);
  const Workload w = generate_workload({make_layer(layer, precision)}, 1);
  double seconds = 0, cpu0 = 0;
  if (what == "golden") {
    cpu0 = cpu_seconds();
    const auto t0 = Clock::now();
    for (unsigned i = 0; i < repeat; ++i)
      if (golden_outputs(w).empty()) return 1;
    seconds = std::chrono::duration<double>(Clock::now() - t0).count();
  } else {
    const Program prog = compile_network(cfg, w.layers, w.input, w.operands);
    TestbenchOptions o{cfg, what, (prog.end | 0xFFFFF) + 1, {}, false, make_any_mac_array};
    Testbench tb("tb", o);
    const std::vector<Program> programs(repeat, prog);  // copied before the clock starts: not the model's cost
    cpu0 = cpu_seconds();
    const auto t0 = Clock::now();
    const auto outcomes = tb.run(programs);
    seconds = std::chrono::duration<double>(Clock::now() - t0).count();
    for (const auto& o : outcomes)
      if (!o.ok) return 1;
  }
  std::printf("%.6f %llu %.6f\n", seconds, static_cast<unsigned long long>(w.layers.front().macs()) * repeat,
              cpu_seconds() - cpu0);
  return 0;
}

/// Runs `argv` as a child, returns its stdout, wall seconds and peak RSS (KiB).
struct ChildResult {
  bool ok = false;
  std::string out;
  double seconds = 0;
  long max_rss_kib = 0;
};
ChildResult spawn(const std::vector<std::string>& args) {
  ChildResult r;
  int fds[2];
  if (pipe(fds) != 0) return r;
  const auto t0 = Clock::now();
  const pid_t pid = fork();
  if (pid == 0) {
    dup2(fds[1], 1);
    close(fds[0]);
    close(fds[1]);
    std::vector<char*> argv;
    for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    execv(argv[0], argv.data());
    _exit(127);
  }
  close(fds[1]);
  char buf[4096];
  for (ssize_t n; (n = read(fds[0], buf, sizeof buf)) > 0;) r.out.append(buf, std::size_t(n));
  close(fds[0]);
  int status = 0;
  struct rusage ru {};
  wait4(pid, &status, 0, &ru);
  r.seconds = std::chrono::duration<double>(Clock::now() - t0).count();
  r.max_rss_kib = ru.ru_maxrss;
  r.ok = WIFEXITED(status) && WEXITSTATUS(status) == 0;
  return r;
}

/// GMAC/s of a measurement in a child, the best of up to three children
/// while they take under 4 s in all (a shared machine only ever slows a
/// run down), or a negative number when one failed. Every path is measured
/// the same way.
double gmacs(const std::string& self, const std::string& what, const std::string& preset, const std::string& precision,
             const std::string& layer, unsigned repeat) {
  double best = -1, spent = 0;
  for (int attempt = 0; attempt < 3 && spent < 4.0; ++attempt) {
    const ChildResult r = spawn({self, "--child", what, preset, precision, layer, "--repeat", std::to_string(repeat)});
    double seconds = 0;
    unsigned long long macs = 0;
    if (!r.ok || std::sscanf(r.out.c_str(), "%lf %llu", &seconds, &macs) != 2 || seconds <= 0) return -1;
    best = std::max(best, double(macs) / seconds / 1e9);
    spent += r.seconds;
  }
  return best;
}

/// Runs of a layer that make about a GMAC: a small layer's few milliseconds
/// would otherwise be measured as much as its cold start.
unsigned repeats_for(const std::string& layer) {
  const double macs = double(make_layer(layer, "int8").macs());
  return unsigned(std::clamp(1e9 / macs, 1.0, 32.0));
}

std::string cell(double v) { return v < 0 ? "failed" : fmt::format("{:.3f}", v); }
std::string ratio(double a, double b) { return a < 0 || b <= 0 ? "-" : fmt::format("{:.1f}x", a / b); }

}  // namespace

int sc_main(int argc, char** argv) {
  std::vector<std::string> layers, presets{"small", "full"}, precisions{"int8", "int16"}, child_args;
  bool no_rtl = false;
  CLI::App app{"sdla_bench: GMAC/s of the golden reference, the C++ model and the RTL co-simulation"};
  std::vector<std::string> names;
  for (const BenchLayer& b : kLayers) names.push_back(b.name);
  app.add_option("--layer", layers, "Layers to measure (default: all)")->check(CLI::IsMember(names));
  app.add_option("--preset", presets, "Presets (default: small full)")
      ->check(CLI::IsMember(sdla::AcceleratorConfig::preset_names()));
  app.add_option("--precision", precisions, "Precisions (default: int8 int16)")->check(CLI::IsMember({"int8", "int16"}));
  app.add_flag("--no-rtl", no_rtl, "Skip the RTL co-simulation");
  std::vector<std::string> networks{"resnet50"};
  app.add_option("--network", networks, "Whole networks to run end to end (default: resnet50; none: --network \"\")")
      ->check(CLI::IsMember({"resnet50", "vgg16", "mobilenetv2", "bert-base", ""}));
  app.add_option("--child", child_args, "(internal) one measurement: WHAT PRESET PRECISION LAYER")->expected(4);
  unsigned repeat = 1;
  app.add_option("--repeat", repeat, "(internal, with --child) runs of the layer measured together")
      ->check(CLI::Range(1u, 1000u));
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == 0 ? 0 : 2;
  }
  try {
    if (!child_args.empty()) return child(child_args[0], child_args[1], child_args[2], child_args[3], repeat);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "sdla_bench: error: %s\n", e.what());
    return 2;
  }
  if (layers.empty()) layers = names;
  networks.erase(std::remove(networks.begin(), networks.end(), ""), networks.end());
  const std::string self = "/proc/self/exe";
  char exe[4096] = {};
  const ssize_t n = readlink(self.c_str(), exe, sizeof exe - 1);
  const std::string me = n > 0 ? std::string(exe, std::size_t(n)) : std::string(argv[0]);

  fmt::print("sdla_bench: GMAC/s of each path, simulation only (workload generation and compilation excluded);\n"
             "golden and model over back-to-back runs of about a GMAC in all, the RTL over one run;\n"
             "each the best of up to three processes that take under 4 s in all\n");
  fmt::print("{:<7} {:<6} {:<16} {:>10} {:>10} {:>10} {:>10} {:>12}\n", "preset", "prec", "layer", "golden", "model",
             "rtl", "model/rtl", "model/golden");
  for (const auto& preset : presets)
    for (const auto& precision : precisions)
      for (const auto& layer : layers) {
        const unsigned n = repeats_for(layer);
        const double g = gmacs(me, "golden", preset, precision, layer, n);
        const double m = gmacs(me, "model", preset, precision, layer, n);
        const double r = no_rtl ? -1 : gmacs(me, "rtl", preset, precision, layer, 1);
        fmt::print("{:<7} {:<6} {:<16} {:>10} {:>10} {:>10} {:>10} {:>12}\n", preset, precision, layer, cell(g),
                   cell(m), no_rtl ? "-" : cell(r), ratio(m, r), ratio(m, g));
        std::fflush(stdout);
      }

  // Whole sdla-run processes, golden check included, as a user runs them.
  const std::string dir = me.substr(0, me.rfind('/'));
  fmt::print("\nsdla-run, whole process (full, int8, golden check included):\n");
  fmt::print("{:<16} {:>10} {:>14}\n", "layer", "wall s", "peak RSS MiB");
  for (const auto& layer : layers) {
    const std::string file = fmt::format("/tmp/sdla_bench_{}_{}.json", getpid(), layer);
    std::ofstream(file) << sdla::to_json(make_layer(layer, "int8")).dump();
    const ChildResult r = spawn({dir + "/sdla-run", "--layer", file});
    std::remove(file.c_str());
    fmt::print("{:<16} {:>10} {:>14}\n", layer, r.ok ? fmt::format("{:.3f}", r.seconds) : "failed",
               fmt::format("{:.1f}", double(r.max_rss_kib) / 1024));
  }

  // Whole networks end to end: tensors, calibration on the golden, compilation,
  // simulation and the check of every layer, as `sdla-run --network` runs them.
  if (!networks.empty()) {
    fmt::print("\nsdla-run --network, whole process (full, int8, dense, golden check included):\n");
    fmt::print("{:<16} {:>10} {:>14} {:>16}\n", "network", "wall s", "peak RSS MiB", "GMAC/s overall");
    for (const auto& net : networks) {
      const ChildResult r = spawn({dir + "/sdla-run", "--network", net, "--quiet"});
      const double macs = double(sdla::lower(sdla::builtin_network(net)).macs());
      fmt::print("{:<16} {:>10} {:>14} {:>16}\n", net, r.ok ? fmt::format("{:.3f}", r.seconds) : "failed",
                 fmt::format("{:.1f}", double(r.max_rss_kib) / 1024),
                 r.ok ? fmt::format("{:.2f}", macs / r.seconds / 1e9) : "-");
      std::fflush(stdout);
    }
  }
  return 0;
}

int main(int argc, char** argv) {
  setenv("SC_COPYRIGHT_MESSAGE", "DISABLE", 0);
  return sc_core::sc_elab_and_sim(argc, argv);
}
