// mac_cosim_bench: speed of the verilated MAC array, bare and co-simulated.
//
// For each preset it runs the same passes
//   (a) through RtlMacCore in a plain C++ loop (no SystemC),
//   (b) through RtlMacArray behind a TLM-2.0 initiator in SystemC (LT,
//       quantum keeper), the way the accelerator model drives it, and, where
//       the build has the pin-level model of the preset (SDLA_RTL_PINS_PRESETS),
//   (c) through the pin-level model (verilator --sc) behind its bridge, clocked
//       in delta cycles (sdla-run --mac rtl-pins), and
//   (d) the same on an sc_clock (simulated time passes, drains included; in
//       a child process, as the clock would otherwise tick through the others),
// and prints array cycles/s, MAC/s and the ratios to (a) and (b). Activity is
// measured every cycle in all. A benchmark prints figures; it asserts nothing.
//
//   mac_cosim_bench [--seconds S] [--vectors N] [--int16] [--sparse] [--zeros F] [PRESET...]
//
// Bad options exit with status 2 and a message naming the option.
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <limits>
#include <random>
#include <string>
#include <systemc>
#include <tlm>
#include <tlm_utils/tlm_quantumkeeper.h>
#include <vector>

#include <sys/wait.h>
#include <unistd.h>

#include <CLI/CLI.hpp>

#include "rtl_mac_array.hpp"
#include "rtl_mac_core.hpp"
#include "rtl_pin_mac_array.hpp"

namespace {

using Clock = std::chrono::steady_clock;

struct Options {
  double seconds = 1.5;  // per bare measurement; the TLM run repeats the same passes
  unsigned vectors = 256;
  sdla::Precision precision = sdla::Precision::int8;
  sdla::WeightFormat format = sdla::WeightFormat::dense;
  double zeros = 0.3;  // zero-line density of weights and activations
  std::vector<std::string> presets;
};

struct Figures {
  std::uint64_t passes = 0, cycles = 0, macs = 0;
  double seconds = 0;
  double cycles_per_s() const { return double(cycles) / seconds; }
  double macs_per_s() const { return double(macs) / seconds; }
};

/// A few different passes, reused round robin (execute() leaves the request alone).
std::vector<sdla::MacPass> make_passes(const sdla::AcceleratorConfig& cfg, const Options& o) {
  std::mt19937_64 rng(12345);
  const int lo = int(sdla::traits(o.precision).min), hi = int(sdla::traits(o.precision).max);
  std::uniform_int_distribution<int> value(lo, hi);
  std::bernoulli_distribution zero(o.zeros);
  std::vector<sdla::MacPass> passes(8);
  for (auto& p : passes) {
    p.configure(cfg, o.precision, o.format, o.vectors);
    p.columns = p.atomic_k;
    p.lanes_valid = o.format == sdla::WeightFormat::dense ? p.lanes : p.act_lanes;
    p.vectors = o.vectors;
    for (std::size_t i = 0; i < p.weights.size(); ++i) {
      p.weights[i] = std::int16_t(value(rng));
      p.weight_zero[i] = zero(rng);
      p.weight_index[i] = std::uint8_t(i % 2 ? 2 + rng() % 2 : rng() % 2);  // legal pairs
    }
    for (std::size_t i = 0; i < p.acts.size(); ++i) {
      p.acts[i] = std::int16_t(value(rng));
      p.act_zero[i] = zero(rng);
    }
  }
  return passes;
}

void account(Figures& f, const sdla::MacPass& p) {
  if (p.status != sdla::MacStatus::ok) {
    std::fprintf(stderr, "pass rejected (status %d)\n", int(p.status));
    std::exit(1);
  }
  ++f.passes;
  f.cycles += p.activity.cycles;
  f.macs += p.activity.mac_random + p.activity.mac_gated;
}

/// (a) RtlMacCore in a plain loop, for about o.seconds.
Figures bare(const sdla::AcceleratorConfig& cfg, std::vector<sdla::MacPass>& passes, const Options& o) {
  sdla::RtlMacCore core(cfg);
  std::uint64_t time_ps = 0;
  for (auto& p : passes) core.execute(p, time_ps);  // warm-up: caches, branch predictors
  Figures f;
  const auto t0 = Clock::now();
  do {
    for (int rep = 0; rep < 4; ++rep) {
      auto& p = passes[f.passes % passes.size()];
      core.execute(p, time_ps);
      account(f, p);
      time_ps += p.activity.cycles * 1000;
    }
    f.seconds = std::chrono::duration<double>(Clock::now() - t0).count();
  } while (f.seconds < o.seconds);
  return f;
}

/// (b) The same number of passes through RtlMacArray from an LT initiator;
/// (c), (d) passes through the pin-level array for about `seconds`.
struct Initiator : sc_core::sc_module, sdla::MacArrayBwIf {
  sdla::MacArrayInitiatorSocket mac_isock{"mac_isock"};
  SC_HAS_PROCESS(Initiator);
  Initiator(const sc_core::sc_module_name& n, std::vector<sdla::MacPass>& passes, std::uint64_t count,
            double seconds, sc_core::sc_event* wait_for, sc_core::sc_event& done)
      : sc_module(n), passes_(passes), count_(count), seconds_(seconds), wait_for_(wait_for), done_(done) {
    mac_isock.bind(*this);
    SC_THREAD(run);
  }
  tlm::tlm_sync_enum nb_transport_bw(sdla::MacPass&, tlm::tlm_phase&, sc_core::sc_time&) override {
    return tlm::TLM_COMPLETED;
  }
  void invalidate_direct_mem_ptr(sc_dt::uint64, sc_dt::uint64) override {}

  void run() {
    if (wait_for_) wait(*wait_for_);  // presets run one after the other
    tlm_utils::tlm_quantumkeeper qk;
    qk.reset();
    const auto t0 = Clock::now();
    for (std::uint64_t n = 0; n < count_; ++n) {
      auto& p = passes_[n % passes_.size()];
      sc_core::sc_time delay = qk.get_local_time();
      mac_isock->b_transport(p, delay);
      qk.set(delay);
      account(figures, p);
      if (qk.need_sync()) qk.sync();
      if (n % 8 == 7 && std::chrono::duration<double>(Clock::now() - t0).count() >= seconds_) break;
    }
    qk.sync();
    figures.seconds = std::chrono::duration<double>(Clock::now() - t0).count();
    done_.notify();
    if (last) sc_core::sc_stop();  // the pin-level array's sc_clock would run forever
  }

  bool last = false;

  Figures figures;
  std::vector<sdla::MacPass>& passes_;
  std::uint64_t count_;
  double seconds_;
  sc_core::sc_event* wait_for_;
  sc_core::sc_event& done_;
};

struct Run {
  std::string preset;
  sdla::AcceleratorConfig cfg;
  std::vector<sdla::MacPass> passes;
  Figures bare;
};

/// The SystemC paths, by their row label.
const char* const kPaths[] = {"(b) TLM -> RtlMacArray", "(c) TLM -> pins, deltas", "(d) TLM -> pins, sc_clock"};
enum Path { tlm_rtl = 0, pins_deltas = 1, pins_clock = 2 };

/// Figures of one path of one run (plain data: it crosses a pipe).
struct Result {
  std::size_t run;
  int path;
  Figures figures;
};

/// Elaborates `paths` for every run (the pin-level ones where the model was
/// built), each behind its own initiator, and simulates them one after the other.
std::vector<Result> simulate(std::vector<Run>& runs, const Options& o, const std::vector<Path>& paths) {
  std::vector<std::unique_ptr<sdla::MacArrayTarget>> targets;
  std::vector<std::unique_ptr<Initiator>> initiators;
  std::vector<std::unique_ptr<sc_core::sc_event>> done;
  std::vector<Result> results;
  for (std::size_t i = 0; i < runs.size(); ++i) {
    Run& r = runs[i];
    for (Path path : paths) {
      if (path != tlm_rtl && !sdla::has_rtl_pin_model(r.cfg)) continue;
      const std::string n = std::to_string(targets.size());
      // The pin-level array is slower: a time budget rather than (a)'s pass count.
      std::uint64_t count = std::numeric_limits<std::uint64_t>::max();
      double seconds = o.seconds;
      if (path == tlm_rtl) {
        targets.push_back(std::make_unique<sdla::RtlMacArray>(("rtl" + n).c_str(), r.cfg));
        count = r.bare.passes;
        seconds = std::numeric_limits<double>::infinity();
      } else {
        sdla::RtlPinOptions pins;
        pins.clocking = path == pins_clock ? sdla::PinClocking::timed : sdla::PinClocking::delta_cycles;
        targets.push_back(sdla::make_rtl_pin_mac_array(("pins" + n).c_str(), r.cfg, pins));
      }
      done.push_back(std::make_unique<sc_core::sc_event>());
      sc_core::sc_event* prev = done.size() > 1 ? done[done.size() - 2].get() : nullptr;
      initiators.push_back(
          std::make_unique<Initiator>(("init" + n).c_str(), r.passes, count, seconds, prev, *done.back()));
      initiators.back()->mac_isock.bind(targets.back()->mac_tsock);
      results.push_back({i, path, {}});
    }
  }
  if (initiators.empty()) return results;
  initiators.back()->last = true;
  sc_core::sc_report_handler::set_actions("/OSCI/SystemC", sc_core::SC_INFO, sc_core::SC_DO_NOTHING);  // sc_stop's note
  tlm_utils::tlm_quantumkeeper::set_global_quantum(sc_core::sc_time(10, sc_core::SC_US));
  sc_core::sc_start();
  for (std::size_t k = 0; k < results.size(); ++k) results[k].figures = initiators[k]->figures;
  return results;
}

/// simulate() in a child process (SystemC elaborates once per process; and an
/// sc_clock, once started, ticks through every later measurement, evaluating
/// the pins at each edge). Empty if the child failed.
std::vector<Result> simulate_apart(std::vector<Run>& runs, const Options& o, const std::vector<Path>& paths) {
  std::fflush(nullptr);
  int fds[2];
  if (pipe(fds) != 0) return {};
  const pid_t child = fork();
  if (child < 0) return {};
  if (child == 0) {
    close(fds[0]);
    const std::vector<Result> results = simulate(runs, o, paths);
    const std::size_t bytes = results.size() * sizeof(Result);
    const bool ok = write(fds[1], results.data(), bytes) == ssize_t(bytes);
    _exit(ok ? 0 : 1);
  }
  close(fds[1]);
  std::vector<Result> results;
  Result r;
  while (read(fds[0], &r, sizeof r) == ssize_t(sizeof r)) results.push_back(r);
  close(fds[0]);
  int status = 0;
  waitpid(child, &status, 0);
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) return {};
  return results;
}

void print_row(const char* preset, const std::string& shape, const char* path, const Figures& f) {
  std::printf("%-7s %-6s %-26s %8llu %12llu %8.2f %12.0f %10.3g\n", preset, shape.c_str(), path,
              (unsigned long long)f.passes, (unsigned long long)f.cycles, f.seconds, f.cycles_per_s(),
              f.macs_per_s());
}

}  // namespace

int sc_main(int argc, char* argv[]) {
  Options o;
  CLI::App app{"mac_cosim_bench: speed of the verilated MAC array, bare (RtlMacCore in a C++ loop) and "
               "co-simulated (RtlMacArray behind a TLM-2.0 LT initiator)."};
  const CLI::Validator positive(
      [](std::string& in) -> std::string {
        std::size_t used = 0;
        double v = 0;
        try {
          v = std::stod(in, &used);
        } catch (const std::exception&) {
        }
        if (used != in.size() || !(v > 0) || !std::isfinite(v)) return "Value " + in + " is not a positive number";
        return {};
      },
      "POSITIVE");
  app.add_option("--seconds", o.seconds, "Wall-clock seconds of each bare measurement")
      ->check(positive)
      ->capture_default_str();
  app.add_option("--vectors", o.vectors, "Activation vectors per pass")
      ->check(CLI::Range(1u, 65536u))
      ->capture_default_str();
  app.add_flag("--int16", "int16 operands (default int8)");
  app.add_flag("--sparse", "2:4 sparse weights (default dense)");
  app.add_option("--zeros", o.zeros, "Zero-line density of weights and activations")
      ->check(CLI::Range(0.0, 1.0))
      ->capture_default_str();
  app.add_option("PRESET", o.presets, "Presets to measure (default: small full)")
      ->check(CLI::IsMember(sdla::AcceleratorConfig::preset_names()));
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == 0 ? 0 : 2;
  }
  if (app.count("--int16")) o.precision = sdla::Precision::int16;
  if (app.count("--sparse")) o.format = sdla::WeightFormat::sparse_2_4;
  if (o.presets.empty()) o.presets = {"small", "full"};

  std::vector<Run> runs;
  try {
    for (const auto& name : o.presets) {
      Run r{name, sdla::AcceleratorConfig::preset(name), {}, {}};
      r.passes = make_passes(r.cfg, o);
      r.bare = bare(r.cfg, r.passes, o);
      runs.push_back(std::move(r));
    }
  } catch (const std::exception& e) {
    std::fprintf(stderr, "mac_cosim_bench: %s\n", e.what());
    return 1;
  }

  // (d) first, in a process of its own: its sc_clock would tick through (b) and (c).
  std::vector<Result> results = simulate_apart(runs, o, {pins_clock});
  for (const Result& r : simulate(runs, o, {tlm_rtl, pins_deltas})) results.push_back(r);

  std::string pin_models;
  for (const auto& m : sdla::rtl_pin_models()) pin_models += (pin_models.empty() ? "" : ", ") + m;
  std::printf("sdla MAC-array co-simulation: %s %s, %u vectors per pass, %.0f%% zero lines, activity measured every cycle\n",
              sdla::to_string(o.precision), o.format == sdla::WeightFormat::dense ? "dense" : "2:4", o.vectors,
              100 * o.zeros);
  std::printf("(MAC/s: issued multiplier operations per wall-clock second; TLM: LT, 10 us quantum;\n"
              " pins: the verilator --sc model behind MacPinBridge, built for: %s)\n\n",
              pin_models.empty() ? "none" : pin_models.c_str());
  std::printf("%-7s %-6s %-26s %8s %12s %8s %12s %10s\n", "preset", "shape", "path", "passes", "array cycles",
              "wall s", "cycles/s", "MAC/s");
  for (std::size_t i = 0; i < runs.size(); ++i) {
    const auto& r = runs[i];
    const std::string shape = std::to_string(r.cfg.atomic_c) + "x" + std::to_string(r.cfg.atomic_k);
    auto ratio = [&](const std::string& what, double v) {
      std::printf("%-7s %-6s %-26s %56.3f\n", r.preset.c_str(), shape.c_str(), what.c_str(), v);
    };
    std::vector<const Result*> mine(3, nullptr);  // by path
    for (const Result& res : results)
      if (res.run == i) mine[std::size_t(res.path)] = &res;
    print_row(r.preset.c_str(), shape, "(a) bare RtlMacCore loop", r.bare);
    for (const Result* res : mine)
      if (res) print_row(r.preset.c_str(), shape, kPaths[res->path], res->figures);
    for (const Result* res : mine) {
      if (!res) continue;
      const std::string x = std::string(kPaths[res->path]).substr(0, 3);
      ratio("ratio " + x + "/(a) cycles/s", res->figures.cycles_per_s() / r.bare.cycles_per_s());
      if (res->path != tlm_rtl && mine[tlm_rtl])
        ratio("ratio " + x + "/(b) cycles/s", res->figures.cycles_per_s() / mine[tlm_rtl]->figures.cycles_per_s());
    }
    if (!mine[pins_deltas])
      std::printf("%-7s %-6s %s\n", r.preset.c_str(), shape.c_str(),
                  "(c), (d) pins: not built (add the preset to SDLA_RTL_PINS_PRESETS)");
  }
  return 0;
}

// Without the SystemC banner (SC_COPYRIGHT_MESSAGE=ENABLE shows it).
int main(int argc, char** argv) {
  setenv("SC_COPYRIGHT_MESSAGE", "DISABLE", 0);
  return sc_core::sc_elab_and_sim(argc, argv);
}
