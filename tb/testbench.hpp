/// \file
/// The standard testbench: DRAM, the accelerator, a MAC array (C++ model or
/// RTL) and a host that drives the accelerator exactly as a virtual platform
/// would — load DRAM, write DESC_PTR, START, wait for the interrupt, read
/// STATUS, clear the interrupt. SystemC elaborates once per process, so one
/// Testbench runs any number of programs in one simulation.
///
///     sdla::Testbench tb("tb", {cfg, "model", prog.end});
///     auto outcomes = tb.run({prog});
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <systemc>
#include <tlm>
#include <tlm_utils/simple_initiator_socket.h>

#include "accelerator.hpp"
#include "dram.hpp"
#include "host_compiler.hpp"
#include "mac_array_target.hpp"
#include "sdla/trace_options.hpp"

namespace sdla {

struct TestbenchOptions;
/// Builds the MAC array a testbench binds (see make_mac_array).
using MacArrayFactory = std::function<std::unique_ptr<MacArrayTarget>(const TestbenchOptions&)>;

struct TestbenchOptions {
  AcceleratorConfig cfg;
  std::string mac = "model";      ///< "model", "rtl" or "rtl-pins"
  std::uint64_t dram_bytes = 0;   ///< DRAM size; at least every program's `end`
  RtlTraceOptions waves;          ///< RTL waveforms (path "" = none)
  bool crosscheck = true;         ///< the RTL also runs the C++ model on every pass and must agree
  /// Empty: make_mac_array. Executables that run the RTL link sdla_tb_rtl
  /// and set sdla::make_any_mac_array (tb/mac_arrays.hpp).
  MacArrayFactory make_mac{};
  /// Layers overlap as the ping-pong register groups allow (Controller::set_layer_overlap).
  bool layer_overlap = true;
};

struct RunOutcome {
  bool ok = false;
  regs::ErrorCode error = regs::ErrorCode::none;
  std::uint32_t error_layer = 0;
  /// The controller's description of an error; or, with ok false and error
  /// none, why the host could not read a layer's output back (the layer
  /// named): such a run fails on its own, the programs after it still run.
  std::string message;
  std::uint64_t cycles = 0;        ///< CYCLES register: START to interrupt
  std::vector<Tensor<std::int64_t>> outputs;  ///< [K, P, Q] of every completed layer
  std::vector<LayerRecord> layers;
};

/// The C++ model for options.mac == "model"; throws std::invalid_argument
/// for another name (the RTL needs make_any_mac_array of sdla_tb_rtl).
std::unique_ptr<MacArrayTarget> make_mac_array(const TestbenchOptions& options);

class Testbench : public sc_core::sc_module {
 public:
  Testbench(const sc_core::sc_module_name& name, const TestbenchOptions& options);
  ~Testbench() override;

  /// The host's work between accelerator runs: called on the host thread
  /// before program i starts, once its segments are in DRAM (i = 0 .. n - 1),
  /// and after the last (i = n); e.g. a network's host operations in DRAM.
  using Between = std::function<void(std::size_t next_program)>;

  /// Runs the programs one after another in simulation (calls sc_start).
  std::vector<RunOutcome> run(const std::vector<Program>& programs, Between between = {});

  Accelerator& accelerator() { return accel_; }
  Dram& dram() { return dram_; }
  MacArrayTarget& mac_array() { return *mac_; }

  /// Writes or reads a CSB register from the host process; returns the TLM status.
  tlm::tlm_response_status csb_write(std::uint32_t addr, std::uint32_t value);
  tlm::tlm_response_status csb_read(std::uint32_t addr, std::uint32_t& value);

 private:
  SC_HAS_PROCESS(Testbench);
  void host();
  RunOutcome run_one(const Program& prog, std::size_t index);

  TestbenchOptions options_;
  std::unique_ptr<MacArrayTarget> mac_;
  Dram dram_;
  Accelerator accel_;
  sc_core::sc_signal<bool> irq_;
  tlm_utils::simple_initiator_socket<Testbench> csb_isock_;
  const std::vector<Program>* programs_ = nullptr;
  Between between_;
  std::vector<RunOutcome> outcomes_;
};

}  // namespace sdla
