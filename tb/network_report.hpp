/// \file
/// A network's report: the run report of its hardware layers (report.hpp)
/// plus the network's own figures: MACs of every node (host ones too),
/// frames per second at the preset's clock, effective TOPS, energy per
/// inference, pJ per MAC, TOPS/W, and the host operations by name; and the
/// power trace (power_trace.hpp: each layer's energy spread evenly over its
/// cycles, layers back to back in order, summed per window of N cycles).
#pragma once

#include <cstdint>
#include <ostream>
#include <string>

#include <nlohmann/json.hpp>

#include "network_run.hpp"
#include "report.hpp"

namespace sdla {

struct NetworkReportInput {
  const AcceleratorConfig* cfg = nullptr;
  std::string mac_source;
  const NetworkWorkload* workload = nullptr;
  const NetworkResult* result = nullptr;
  const EnergyTable* energy = nullptr;
  bool checked = true;
  std::string prune = "none";  ///< as asked (--prune)
  /// Cycles per window of the report's "power_trace" (power_trace.hpp); 0: about 200 windows.
  std::uint64_t power_window_cycles = 0;
};

nlohmann::json make_network_report(const NetworkReportInput& in);
/// The per-layer table of print_summary, then the network's figures.
void print_network_summary(std::ostream& os, const nlohmann::json& report);

}  // namespace sdla
