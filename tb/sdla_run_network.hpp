/// \file
/// sdla-run --network: a whole network, built in or from a file.
#pragma once

#include <cstdint>
#include <string>

#include "energy_table.hpp"
#include "sdla/trace_options.hpp"

namespace sdla {

struct NetworkCliOptions {
  std::string network;        ///< a built-in name or a network file
  unsigned seq_len = 128;     ///< BERT's L
  std::string prune = "none"; ///< none, sparse or 2:4
  std::string winograd;       ///< "" (as the nodes say), off, exact, nvdla, auto
  std::string preset = "full", mac = "model", report, html;
  std::uint64_t seed = 1;
  std::uint64_t power_window = 0;  ///< cycles per power-trace window; 0: about 200 windows
  bool check = true, quiet = false, channel_extension = true, layer_overlap = true;
  RtlTraceOptions waves;
};

/// Runs it and prints the summary; returns the exit code (0 pass, 1 fail).
int run_network_cli(const NetworkCliOptions& o, const EnergyTable& energy);

}  // namespace sdla
