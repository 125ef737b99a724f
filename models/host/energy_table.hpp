/// \file
/// Energy table: turns activity counts into picojoules. The table has the
/// shape of an Accelergy ERT (configs/energy_table.yaml is the default,
/// compiled in); entries may be narrowed by arguments such as
/// {precision: int8} or {preset: full}.
///
///     auto table = sdla::EnergyTable::defaults();
///     table.overlay(sdla::EnergyTable::from_file("my_ert.yaml"));
///     auto e = table.evaluate(activity, {{"precision", "int8"}, {"preset", "full"}});
///     e.total_pj;  e.by_component["mac_array"];
#pragma once

#include <map>
#include <set>
#include <stdexcept>
#include <string>
#include <vector>

#include "activity.hpp"

namespace sdla {

struct EnergyTableError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

struct EnergyEntry {
  std::string component, action;
  std::map<std::string, std::string> arguments;
  double pj = 0;
  std::string source;
  std::string where;  ///< where it is defined, for messages: "my.yaml: ERT.tables[0].actions[2]"
};

struct Energy {
  std::map<std::string, double> by_component;  ///< pJ
  std::map<std::string, std::map<std::string, double>> by_action;  ///< component -> action -> pJ
  double total_pj = 0;
  std::vector<std::string> unpriced;  ///< "component.action" counted but absent from the table
};

using EnergyContext = std::map<std::string, std::string>;

class EnergyTable {
 public:
  static EnergyTable defaults();
  static EnergyTable from_file(const std::string& path);
  /// Parses ERT YAML; `where` names the source in error messages.
  static EnergyTable parse(const std::string& yaml, const std::string& where);

  /// Entries of `other` replace entries with the same component, action and arguments.
  void overlay(const EnergyTable& other);
  /// The most specific entry whose arguments all match `context`, or nullptr;
  /// between equally specific entries the first listed wins.
  const EnergyEntry* find(const std::string& component, const std::string& action,
                          const EnergyContext& context) const;
  Energy evaluate(const Activity& activity, const EnergyContext& context) const;
  const std::vector<EnergyEntry>& entries() const { return entries_; }
  /// The table as Accelergy ERT YAML (version '0.4'), which parse() reads back
  /// to the same entries: one table per component, in the order components
  /// first appear, each component's entries in table order (so find() picks
  /// the same entry); energies in the shortest text that reads back exactly.
  std::string to_yaml() const;
  /// One message per entry that can never price anything: its component or
  /// action is not in known_actions(), or an argument's name or value is not
  /// in known_arguments(). Each names the entry (file and ERT path), the
  /// component.action, what is wrong and what is known. Empty: every entry can match.
  std::vector<std::string> unmatched_entries() const;

 private:
  std::vector<EnergyEntry> entries_;
};

/// The built-in table's YAML text (configs/energy_table.yaml).
const char* default_energy_table_yaml();

/// Everything the accelerator counts, component -> actions: exactly what
/// Accelerator::activity() can produce (sdla-run's report "activity"):
///   mac_array, mac_array_model   cycles, passes, mac_random, mac_gated, mac_idle, act_toggles, weight_toggles
///   unified_buffer               read_bytes, write_bytes
///   dram                         read_bytes, write_bytes, requests, and <tensor>_bytes, <tensor>_dense_bytes
///                                for tensor in input, weight, output, param, residual
///   accumulator                  add, read
///   post_processor               elements, requantize, residual_adds
///   pooling                      element_ops, divides, atoms_read, atoms_written, cycles
///   controller                   descriptors
///   winograd_input_transform     vectors, adds, inputs
///   winograd_output_transform    folds, adds, outputs, cycles
/// This is the one list: energy-table entries are checked against it
/// (EnergyTable::unmatched_entries), and a test checks that every count a
/// run produces is in it. A unit that counts something new adds it here.
const std::map<std::string, std::set<std::string>>& known_actions();

/// The arguments an entry may narrow on, and their values: precision (int8,
/// int16) and preset (the preset names, AcceleratorConfig::preset_names()).
const std::map<std::string, std::set<std::string>>& known_arguments();

/// Actions that are counts of events with no energy of their own (cycles, requests, ...).
bool is_bookkeeping_action(const std::string& action);

}  // namespace sdla
