/// \file
/// The verilated sparse MAC array (rtl/sdla_mac_array.sv) behind a plain C++
/// class: executes MacPass requests clock by clock and measures MacActivity
/// from the RTL's own registers. No SystemC and no Verilator headers here, so
/// any TU can use it (the TLM transactor RtlMacArray wraps it).
///
///     sdla::RtlMacCore core(cfg);                    // throws if no model of that shape was built
///     core.execute(pass, /*start_time_ps=*/0);       // pass.psums, .activity, .status
///
///     sdla::RtlTraceOptions waves;                   // VCD (or FST) + GTKWave save file
///     waves.path = "waves/conv1.vcd";                // also writes waves/conv1.gtkw
///     // or: waves.path = "waves/conv1.fst"; waves.format = sdla::WaveFormat::fst;
///     waves.first_cycle = 1000; waves.last_cycle = 3000;
///     sdla::RtlMacCore traced(cfg, waves);
///
/// Cycle accounting, equal to the C++ model's (MacDatapath): a pass costs
/// `columns` weight-load cycles plus one cycle per activation vector
/// (MacActivity::cycles). After the last vector the core clocks the
/// pipeline empty (latency() more cycles) to collect the last partial sums;
/// those drain cycles are neither counted nor allowed to carry activity,
/// because in the machine they overlap the next pass's weight load.
#pragma once

#include <cstdint>
#include <limits>
#include <memory>
#include <string>
#include <vector>

#include "sdla/config.hpp"
#include "sdla/mac_pass.hpp"
#include "sdla/trace_options.hpp"

namespace sdla {

/// The GTKWave save file written beside a wave file: NAME.vcd (or NAME.fst) -> NAME.gtkw.
std::string gtkw_path(const std::string& vcd_path);

class RtlMacCore {
 public:
  /// Picks the verilated model of cfg.atomic_c x cfg.atomic_k; throws
  /// std::runtime_error naming the shapes that were built if there is none,
  /// and if the trace file cannot be opened.
  explicit RtlMacCore(const AcceleratorConfig& cfg, RtlTraceOptions trace = {});
  ~RtlMacCore();
  RtlMacCore(const RtlMacCore&) = delete;
  RtlMacCore& operator=(const RtlMacCore&) = delete;

  /// Runs one pass starting at start_time_ps (used only for wave timestamps).
  /// Fills pass.psums, pass.activity and pass.status exactly as
  /// MacDatapath::execute does; a rejected pass (bad_request, bad_metadata)
  /// clocks nothing and changes no state.
  void execute(MacPass& pass, std::uint64_t start_time_ps);
  /// Synchronous reset: operand registers to zero (MacDatapath::reset).
  void reset();

  /// Pipeline latency: cycles from the edge that captures a vector to its
  /// partial sums at the outputs (the drain length of a pass).
  unsigned latency() const;
  /// Name of the verilated model in use, e.g. "Vsdla_mac_array_full".
  const std::string& model_name() const;
  /// Every cycle clocked (reset and drain included), for benchmarks.
  std::uint64_t clocked_cycles() const;
  /// Activity the RTL showed during drain cycles since construction; the
  /// contract is that it stays all zero (checked by the tests).
  const MacActivity& drain_activity() const;

  /// Contents of the RTL's operand registers, read from the model: the
  /// activation bank (2*atomic_c bytes) and the weight banks ([atomic_k][atomic_c]
  /// bytes), in the byte-bank layout of mac_pass.hpp. For tests and debug.
  struct OperandRegisters {
    std::vector<std::uint8_t> act;
    std::vector<std::uint8_t> weight;
  };
  OperandRegisters operand_registers() const;

  /// "preset atomic_c x atomic_k" of every model that was built.
  static std::vector<std::string> built_models();
  /// FST waves are available: the models were also verilated with FST
  /// tracing (CMake option SDLA_RTL_FST, on by default).
  static bool has_fst();
  /// A model of this array shape was built (SDLA_RTL_PRESETS may leave some out).
  static bool has_model(const AcceleratorConfig& cfg);

  struct Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace sdla
