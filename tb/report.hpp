/// \file
/// The run report: figures per layer and in total (cycles, MACs,
/// utilisation, DRAM bytes, activity, energy, Winograd trade-offs), as JSON
/// for tools and as a table for people.
#pragma once

#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "energy_table.hpp"
#include "golden/winograd.hpp"
#include "testbench.hpp"

namespace sdla {

struct ReportInput {
  const AcceleratorConfig* cfg = nullptr;
  std::string mac_source;                      ///< "model" or "rtl"
  const RunOutcome* outcome = nullptr;
  std::vector<bool> layer_bit_exact;           ///< per completed layer (ignored when !checked)
  const EnergyTable* energy = nullptr;
  /// Per layer, for nvdla Winograd layers: the output's error against direct convolution.
  std::vector<std::optional<golden::ErrorStats>> winograd_error;
  /// False when the golden check was skipped (sdla-run --no-check): the report
  /// says "checked": false and every bit_exact is null.
  bool checked = true;
};

nlohmann::json make_report(const ReportInput& in);
/// A readable summary of a report made by make_report.
void print_summary(std::ostream& os, const nlohmann::json& report);

}  // namespace sdla
