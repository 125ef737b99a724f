/// \file
/// Runs a network on the testbench: the host compiler lays the whole network
/// out in one DRAM image; each stretch of hardware layers between host
/// operations is one accelerator run (one START, a descriptor chain in
/// which any layer reads any earlier output); the host computes its
/// operations in DRAM between runs, as a driver would.
///
///     sdla::NetworkWorkload w = sdla::generate_network_workload(sdla::lower(net), seed, sdla::Prune::none);
///     sdla::NetworkProgram p = sdla::compile_network_program(cfg, w);
///     sdla::Testbench tb("tb", {cfg, "model", p.dram_bytes()});
///     sdla::NetworkResult r = sdla::run_network(tb, w, p);
#pragma once

#include <cstdint>
#include <functional>
#include <vector>

#include "host_compiler.hpp"
#include "network_workload.hpp"
#include "testbench.hpp"

namespace sdla {

struct NetworkProgram {
  GraphProgram graph;
  std::vector<Program> runs;  ///< one per START; the first loads the image
  std::uint64_t dram_bytes() const { return (graph.image.end | 0xFFFFF) + 1; }
};

NetworkProgram compile_network_program(const AcceleratorConfig& cfg, const NetworkWorkload& w);

struct NetworkResult {
  /// Every run merged: ok and error of the first failing run, cycles summed,
  /// one record and one output per hardware layer completed.
  RunOutcome outcome;
  std::vector<bool> bit_exact;        ///< per hardware layer completed, against the golden tensors
  std::vector<double> output_density; ///< per hardware layer completed: non-zero fraction of its output
  std::size_t runs = 0;               ///< STARTs issued
};

/// Runs the network. `progress(run, runs)` is called before each START.
NetworkResult run_network(Testbench& tb, const NetworkWorkload& w, const NetworkProgram& p,
                          const std::function<void(std::size_t, std::size_t)>& progress = {});

}  // namespace sdla
