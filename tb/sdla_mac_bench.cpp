// sdla-mac-bench: a unit bench for the MAC array alone. Drives seeded random
// passes through the verilated array (RtlMacCore) and the C++ datapath model
// (MacDatapath) side by side, one core and one model kept for the whole run
// so operand registers (and their toggles) carry over from pass to pass, and
// checks every pass: partial sums, status and every MacActivity field equal.
// Prints a summary and PASS or FAIL; optionally writes waves (VCD or FST + .gtkw).
//
//   sdla-mac-bench [--preset small|full] [--precision int8|int16] [--format dense|2:4]
//                  [--passes N] [--vectors N] [--zeros F] [--hold-run N] [--seed N]
//                  [--vcd FILE [--vcd-window FIRST:LAST] [--vcd-depth 0..3] [--waves-format vcd|fst]]
//                  [--inject-fault psum|activity|throw]
//
// Exit status: 0 every pass agrees, 1 a mismatch (or the RTL failed during
// the run), 2 bad options. Plain C++: no SystemC is elaborated.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <memory>
#include <random>
#include <stdexcept>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include "mac_datapath.hpp"
#include "seed_option.hpp"
#include "rtl_mac_core.hpp"
#include "sdla/config.hpp"
#include "sdla/mac_pass.hpp"
#include "wave_options.hpp"

namespace {

using sdla::MacActivity;
using sdla::MacPass;
using sdla::MacStatus;
using sdla::Precision;
using sdla::WeightFormat;

struct Options {
  std::string preset = "full", precision = "int8", format = "dense", vcd, vcd_window, waves_format, inject_fault;
  unsigned passes = 20, vectors = 64, hold_run = 0, vcd_depth = 1;
  double zeros = 0.3;
  std::uint64_t seed = 1;
};

/// Bad options found after parsing: exit 2, like a CLI11 error.
struct BadOption : std::invalid_argument {
  using std::invalid_argument::invalid_argument;
};

/// The bench's stimulus: every column and lane valid; each weight and
/// activation zero-lined with probability `zeros`; values uniform over the
/// precision with extremes mixed in; legal 2:4 metadata; the middle
/// `hold_run` vectors of every pass fully zero-lined (the activation operand
/// registers must hold through them). Zero-lined operands still carry random
/// data on the bus, so a register that wrongly loads shows it.
class Stimulus {
 public:
  Stimulus(const Options& o, Precision precision, WeightFormat format)
      : rng_(o.seed), zero_(o.zeros), precision_(precision), format_(format), vectors_(o.vectors),
        hold_first_((o.vectors - o.hold_run) / 2), hold_end_(hold_first_ + o.hold_run) {}

  unsigned hold_first() const { return hold_first_; }
  unsigned hold_end() const { return hold_end_; }

  /// Fills the request fields of `p` (configured for the bench's shape).
  void next(MacPass& p) {
    p.columns = p.atomic_k;
    p.lanes_valid = format_ == WeightFormat::dense ? p.lanes : p.act_lanes;
    p.vectors = vectors_;
    for (std::size_t at = 0; at < p.weights.size(); ++at) {
      p.weights[at] = value();
      p.weight_zero[at] = zero_(rng_) ? 1 : 0;
    }
    if (format_ == WeightFormat::sparse_2_4) {
      // Each pair of kept weights picks two different activations of its group, in order.
      static const std::uint8_t pairs[6][2] = {{0, 1}, {0, 2}, {0, 3}, {1, 2}, {1, 3}, {2, 3}};
      for (std::size_t at = 0; at < p.weight_index.size(); at += 2) {
        const auto& pair = pairs[std::uniform_int_distribution<unsigned>(0, 5)(rng_)];
        p.weight_index[at] = pair[0];
        if (at + 1 < p.weight_index.size()) p.weight_index[at + 1] = pair[1];
      }
    } else {
      std::fill(p.weight_index.begin(), p.weight_index.end(), std::uint8_t(0));
    }
    for (unsigned v = 0; v < p.vectors; ++v) {
      const bool hold = v >= hold_first_ && v < hold_end_;
      for (unsigned l = 0; l < p.act_lanes; ++l) {
        const std::size_t at = std::size_t(v) * p.act_lanes + l;
        p.acts[at] = value();
        p.act_zero[at] = hold || zero_(rng_) ? 1 : 0;
      }
    }
  }

 private:
  std::int16_t value() {
    const int hi = int(traits(precision_).max), lo = int(traits(precision_).min);
    switch (std::uniform_int_distribution<unsigned>(0, 15)(rng_)) {
      case 0: return std::int16_t(lo);
      case 1: return std::int16_t(hi);
      default: return std::int16_t(std::uniform_int_distribution<int>(lo, hi)(rng_));
    }
  }

  std::mt19937_64 rng_;
  std::bernoulli_distribution zero_;
  Precision precision_;
  WeightFormat format_;
  unsigned vectors_, hold_first_, hold_end_;
};

const char* status_name(MacStatus s) {
  switch (s) {
    case MacStatus::ok: return "ok";
    case MacStatus::bad_request: return "bad_request";
    case MacStatus::bad_metadata: return "bad_metadata";
    case MacStatus::model_mismatch: return "model_mismatch";
  }
  return "?";
}

/// Every difference between the RTL's pass `r` and the model's pass `m`.
std::vector<std::string> differences(const MacPass& r, const MacPass& m) {
  std::vector<std::string> out;
  if (r.status != m.status || r.status != MacStatus::ok)
    out.push_back(fmt::format("status: rtl {}, model {} (expected ok)", status_name(r.status), status_name(m.status)));
  unsigned bad_sums = 0;
  for (unsigned v = 0; v < r.vectors; ++v)
    for (unsigned k = 0; k < r.atomic_k; ++k)
      if (r.psum(v, k) != m.psum(v, k) && bad_sums++ < 3)
        out.push_back(fmt::format("psum[vector {}][column {}]: rtl {}, model {}", v, k, r.psum(v, k), m.psum(v, k)));
  if (bad_sums > 3) out.push_back(fmt::format("... {} partial sums differ in all", bad_sums));
  const MacActivity &a = r.activity, &b = m.activity;
  const std::pair<const char*, std::uint64_t MacActivity::*> fields[] = {
      {"cycles", &MacActivity::cycles},           {"mac_random", &MacActivity::mac_random},
      {"mac_gated", &MacActivity::mac_gated},     {"mac_idle", &MacActivity::mac_idle},
      {"act_toggles", &MacActivity::act_toggles}, {"weight_toggles", &MacActivity::weight_toggles}};
  for (const auto& [name, field] : fields)
    if (a.*field != b.*field) out.push_back(fmt::format("{}: rtl {}, model {}", name, a.*field, b.*field));
  return out;
}

double percent(std::uint64_t part, std::uint64_t whole) { return whole ? 100.0 * double(part) / double(whole) : 0.0; }

int run(const Options& o) {
  using namespace sdla;
  const AcceleratorConfig cfg = AcceleratorConfig::preset(o.preset);
  const Precision precision = o.precision == "int16" ? Precision::int16 : Precision::int8;
  const WeightFormat format = o.format == "2:4" ? WeightFormat::sparse_2_4 : WeightFormat::dense;
  if (o.hold_run > o.vectors)
    throw BadOption(fmt::format("--hold-run {}: at most --vectors ({})", o.hold_run, o.vectors));
  RtlTraceOptions trace;
  try {
    trace = wave_options(o.vcd, o.vcd_window, o.vcd_depth, o.waves_format);
  } catch (const std::invalid_argument& e) {
    throw BadOption(e.what());
  }

  // The core owns the VCD: destroyed on every way out of run() (a mismatch,
  // an exception), it closes the file complete.
  std::unique_ptr<RtlMacCore> core_ptr;
  try {
    core_ptr = std::make_unique<RtlMacCore>(cfg, trace);
  } catch (const std::exception& e) {
    throw BadOption(e.what());  // no model of this shape, or the VCD cannot be opened
  }
  RtlMacCore& core = *core_ptr;
  MacDatapath model(cfg);
  model.reset();  // both start with operand registers at zero

  MacPass rtl_pass, model_pass;
  rtl_pass.configure(cfg, precision, format, o.vectors);
  Stimulus stim(o, precision, format);

  fmt::print("sdla-mac-bench: preset {} ({}, {}x{}), {} {}, {} passes x {} vectors, {:g}% zero-lined operands",
             cfg.name, core.model_name(), cfg.atomic_c, cfg.atomic_k, to_string(precision), o.format, o.passes,
             o.vectors, 100 * o.zeros);
  if (o.hold_run) fmt::print(", hold run of {}", o.hold_run);
  fmt::print("\nseed {} (replay with --seed {})\n", o.seed, o.seed);

  // Wave time line: passes back to back, each after the previous pass's drain
  // so every cycle of every pass shows in the waves.
  const double period_ps = 1e6 / cfg.clock_mhz;
  auto ps = [&](double cycles) { return std::uint64_t(std::llround(cycles * period_ps)); };
  std::uint64_t wave_cycles = 0;

  MacActivity rtl_total, model_total;
  std::uint64_t vectors = 0;
  unsigned mismatched = 0, reported = 0;
  const unsigned max_reported = 10;
  const auto t0 = std::chrono::steady_clock::now();
  for (unsigned n = 0; n < o.passes; ++n) {
    stim.next(rtl_pass);
    model_pass = rtl_pass;  // the same request; responses are overwritten
    if (n == 0 && o.hold_run)
      fmt::print("hold run: vectors {}..{} of every pass fully zero-lined; first pass: array cycles {}..{}, "
                 "rising edges at t = {}..{} ps\n",
                 stim.hold_first(), stim.hold_end() - 1, rtl_pass.columns + stim.hold_first(),
                 rtl_pass.columns + stim.hold_end() - 1, ps(rtl_pass.columns + stim.hold_first() + 0.5),
                 ps(rtl_pass.columns + stim.hold_end() - 1 + 0.5));
    core.execute(rtl_pass, ps(double(wave_cycles)));
    model.execute(model_pass);
    if (n == o.passes / 2 && !o.inject_fault.empty()) {  // checks the checker
      if (o.inject_fault == "throw")
        throw std::runtime_error(fmt::format("fault injected after pass {} (--inject-fault throw)", n));
      if (o.inject_fault == "psum") model_pass.psums[0] ^= 1;
      if (o.inject_fault == "activity") model_pass.activity.act_toggles += 1;
    }
    wave_cycles += rtl_pass.activity.cycles + core.latency();
    vectors += rtl_pass.vectors;
    rtl_total += rtl_pass.activity;
    model_total += model_pass.activity;
    const auto diffs = differences(rtl_pass, model_pass);
    if (diffs.empty()) continue;
    ++mismatched;
    for (const auto& d : diffs)
      if (reported++ < max_reported) fmt::print("MISMATCH pass {}: {}\n", n, d);
  }
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  if (reported > max_reported) fmt::print("... {} more differences not shown\n", reported - max_reported);

  // The drain cycles after each pass must carry no activity (rtl_mac_core.hpp).
  const MacActivity& drain = core.drain_activity();
  const bool drain_quiet =
      drain.mac_random == 0 && drain.mac_gated == 0 && drain.act_toggles == 0 && drain.weight_toggles == 0;
  if (!drain_quiet)
    fmt::print("MISMATCH drain cycles: random {}, gated {}, act_toggles {}, weight_toggles {} (must all be 0)\n",
               drain.mac_random, drain.mac_gated, drain.act_toggles, drain.weight_toggles);

  const MacActivity& a = rtl_total;
  const std::uint64_t mult_cycles = a.mac_random + a.mac_gated + a.mac_idle;
  fmt::print("passes          {} checked, {} mismatched\n", o.passes, mismatched);
  fmt::print("vectors         {}\n", vectors);
  fmt::print("array cycles    {} (weight load {}, streaming {}); {} clocked with reset and drain\n", a.cycles,
             a.cycles - vectors, vectors, core.clocked_cycles());
  fmt::print("mac_random      {:>14} {:6.2f}% of multiplier-cycles\n", a.mac_random, percent(a.mac_random, mult_cycles));
  fmt::print("mac_gated       {:>14} {:6.2f}%\n", a.mac_gated, percent(a.mac_gated, mult_cycles));
  fmt::print("mac_idle        {:>14} {:6.2f}%\n", a.mac_idle, percent(a.mac_idle, mult_cycles));
  fmt::print("act_toggles     {:>14}\n", a.act_toggles);
  fmt::print("weight_toggles  {:>14}\n", a.weight_toggles);
  fmt::print("C++ model       activity totals {}\n", rtl_total == model_total ? "equal" : "DIFFERENT");
  fmt::print("wall time       {:.3f} s ({:.3g} array cycles/s)\n", seconds, seconds > 0 ? double(a.cycles) / seconds : 0.0);
  if (!o.vcd.empty())
    fmt::print("waves: {} (GTKWave layout: {})\n", o.vcd, sdla::gtkw_path(o.vcd));
  const bool pass = mismatched == 0 && drain_quiet;
  fmt::print("{}\n", pass ? "PASS: RTL and C++ model agree on every pass (partial sums, status, activity)"
                          : "FAIL: RTL and C++ model disagree");
  return pass ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  Options o;
  CLI::App app{"sdla-mac-bench: random passes through the verilated MAC array and the C++ datapath model side by "
               "side; every pass's partial sums, status and activity must be equal."};
  app.add_option("--preset", o.preset, "Accelerator preset (array shape)")
      ->check(CLI::IsMember(sdla::AcceleratorConfig::preset_names()))
      ->capture_default_str();
  app.add_option("--precision", o.precision, "Operand precision")
      ->check(CLI::IsMember({"int8", "int16"}))
      ->capture_default_str();
  app.add_option("--format", o.format, "Weight format")->check(CLI::IsMember({"dense", "2:4"}))->capture_default_str();
  app.add_option("--passes", o.passes, "Passes to run")->check(CLI::Range(1u, 1000000u))->capture_default_str();
  app.add_option("--vectors", o.vectors, "Activation vectors per pass")
      ->check(CLI::Range(1u, 65536u))
      ->capture_default_str();
  app.add_option("--zeros", o.zeros, "Fraction of zero-lined operands (weights and activations)")
      ->check(CLI::Range(0.0, 1.0))
      ->capture_default_str();
  app.add_option("--hold-run", o.hold_run, "Make the middle N vectors of every pass fully zero-lined (at most --vectors)")
      ->check(CLI::Range(0u, 65536u))
      ->capture_default_str();
  app.add_option("--seed", o.seed, "Seed of the random passes, 0..2^64-1")
      ->check(sdla::seed_validator())
      ->capture_default_str();
  app.add_option("--vcd", o.vcd, "Write RTL waveforms to this file, VCD or (NAME.fst) FST, and a GTKWave layout "
                                 "beside it (.gtkw)");
  app.add_option("--waves-format", o.waves_format, "Format of the --vcd file: vcd or fst (default: from its "
                                                   "extension, .fst is FST)")
      ->check(CLI::IsMember({"vcd", "fst"}));
  app.add_option("--vcd-window", o.vcd_window, "Trace only array cycles FIRST:LAST (LAST may be empty)");
  app.add_option("--vcd-depth", o.vcd_depth, "1: readable view of the first lanes and columns; 2: every port; "
                                             "3: also internal registers; 0: everything")
      ->check(CLI::Range(0u, 3u))
      ->capture_default_str();
  app.add_option("--inject-fault", o.inject_fault, "Check the checker: corrupt the model's partial sum or activity "
                                                   "of the middle pass, or throw after it")
      ->check(CLI::IsMember({"psum", "activity", "throw"}));
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == 0 ? 0 : 2;
  }
  try {
    return run(o);
  } catch (const BadOption& e) {
    fmt::print(stderr, "sdla-mac-bench: error: {}\n", e.what());
    return 2;
  } catch (const std::exception& e) {
    fmt::print("FAIL: {}\n", e.what());
    fmt::print(stderr, "sdla-mac-bench: error during the run: {}\n", e.what());
    return 1;
  } catch (...) {
    fmt::print("FAIL: unknown exception\n");
    fmt::print(stderr, "sdla-mac-bench: error during the run: unknown exception\n");
    return 1;
  }
}
