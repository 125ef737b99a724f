#include "energy_table.hpp"

#include <algorithm>
#include <cmath>
#include <fstream>
#include <set>
#include <sstream>

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <yaml-cpp/yaml.h>

#include "sdla/config.hpp"

namespace sdla {

extern const char* const kDefaultEnergyTableYaml;  // energy_table_default.cpp, generated

namespace {

[[noreturn]] void fail(const std::string& where, const std::string& what) {
  throw EnergyTableError(fmt::format("{}: {}", where, what));
}

void only_keys(const YAML::Node& node, const std::set<std::string>& allowed, const std::string& where) {
  for (const auto& kv : node) {
    const auto key = kv.first.as<std::string>();
    if (allowed.count(key)) continue;
    // A key is the user's text: cut, as every value quoted in a message is.
    const std::string shown = key.size() > 60 ? key.substr(0, 57) + "..." : key;
    fail(where, fmt::format("unknown key '{}' (allowed: {})", shown, fmt::join(allowed, ", ")));
  }
}

}  // namespace

const char* default_energy_table_yaml() { return kDefaultEnergyTableYaml; }

const std::map<std::string, std::set<std::string>>& known_actions() {
  static const std::map<std::string, std::set<std::string>> known = [] {
    const std::set<std::string> mac{"cycles", "passes", "mac_random", "mac_gated", "mac_idle", "act_toggles",
                                    "weight_toggles"};
    std::set<std::string> dram{"read_bytes", "write_bytes", "requests"};
    for (const char* tensor : {"input", "weight", "output", "param", "residual"}) {
      dram.insert(std::string(tensor) + "_bytes");
      dram.insert(std::string(tensor) + "_dense_bytes");
    }
    return std::map<std::string, std::set<std::string>>{
        {"mac_array", mac},
        {kMacModelComponent, mac},
        {"unified_buffer", {"read_bytes", "write_bytes"}},
        {"dram", dram},
        {"accumulator", {"add", "read"}},
        {"post_processor", {"elements", "requantize", "residual_adds"}},
        {"pooling", {"element_ops", "divides", "atoms_read", "atoms_written", "cycles"}},
        {"controller", {"descriptors"}},
        {"winograd_input_transform", {"vectors", "adds", "inputs"}},
        {"winograd_output_transform", {"folds", "adds", "outputs", "cycles"}},
    };
  }();
  return known;
}

const std::map<std::string, std::set<std::string>>& known_arguments() {
  static const std::map<std::string, std::set<std::string>> known = [] {
    const auto presets = AcceleratorConfig::preset_names();
    return std::map<std::string, std::set<std::string>>{
        {"precision", {to_string(Precision::int8), to_string(Precision::int16)}},
        {"preset", std::set<std::string>(presets.begin(), presets.end())},
    };
  }();
  return known;
}

std::vector<std::string> EnergyTable::unmatched_entries() const {
  std::vector<std::string> out;
  for (const auto& e : entries_) {
    const std::string where = (e.where.empty() ? std::string("energy table") : e.where) + ": " + e.component + "." +
                              e.action + ": ";
    const auto component = known_actions().find(e.component);
    if (component == known_actions().end()) {
      std::vector<std::string> names;
      for (const auto& [name, actions] : known_actions()) names.push_back(name);
      out.push_back(where + fmt::format("component '{}' matches nothing sdla counts (components: {})", e.component,
                                        fmt::join(names, ", ")));
      continue;
    }
    if (!component->second.count(e.action)) {
      out.push_back(where + fmt::format("action '{}' matches nothing {} counts (its actions: {})", e.action,
                                        e.component, fmt::join(component->second, ", ")));
      continue;
    }
    for (const auto& [name, value] : e.arguments) {
      const auto argument = known_arguments().find(name);
      if (argument == known_arguments().end()) {
        std::vector<std::string> names;
        for (const auto& [n, values] : known_arguments()) names.push_back(n);
        out.push_back(where + fmt::format("argument '{}' is never set (arguments: {})", name, fmt::join(names, ", ")));
      } else if (!argument->second.count(value)) {
        out.push_back(where + fmt::format("{} '{}' matches nothing (values: {})", name, value,
                                          fmt::join(argument->second, ", ")));
      }
    }
  }
  return out;
}

bool is_bookkeeping_action(const std::string& action) {
  static const std::set<std::string> names{"cycles", "passes", "requests", "descriptors", "vectors"};
  // Per-tensor DRAM figures break read_bytes/write_bytes down; they are not priced again.
  const bool per_tensor = action.size() > 6 && action.compare(action.size() - 6, 6, "_bytes") == 0 &&
                          action != "read_bytes" && action != "write_bytes";
  return per_tensor || names.count(action) > 0;
}

EnergyTable EnergyTable::defaults() { return parse(kDefaultEnergyTableYaml, "built-in energy table"); }

EnergyTable EnergyTable::from_file(const std::string& path) {
  std::ifstream in(path);
  if (!in) fail(path, "cannot open energy table");
  std::stringstream text;
  text << in.rdbuf();
  return parse(text.str(), path);
}

EnergyTable EnergyTable::parse(const std::string& yaml, const std::string& where) {
  YAML::Node root;
  try {
    root = YAML::Load(yaml);
  } catch (const YAML::Exception& e) {
    fail(where, fmt::format("not YAML: {}", e.what()));
  }
  EnergyTable table;
  try {
    if (!root.IsMap() || !root["ERT"]) fail(where, "expected a top-level 'ERT' map");
    const YAML::Node ert = root["ERT"];
    only_keys(ert, {"version", "tables"}, where + ": ERT");
    if (!ert["tables"].IsSequence()) fail(where, "ERT.tables must be a list");
    for (std::size_t t = 0; t < ert["tables"].size(); ++t) {
      const YAML::Node tab = ert["tables"][t];
      const std::string tw = fmt::format("{}: ERT.tables[{}]", where, t);
      if (!tab.IsMap() || !tab["name"] || !tab["actions"].IsSequence()) fail(tw, "needs 'name' and a list 'actions'");
      only_keys(tab, {"name", "actions"}, tw);
      for (std::size_t a = 0; a < tab["actions"].size(); ++a) {
        const YAML::Node act = tab["actions"][a];
        const std::string aw = fmt::format("{}.actions[{}]", tw, a);
        if (!act.IsMap()) fail(aw, "must be a map");
        only_keys(act, {"name", "arguments", "energy", "source"}, aw);
        if (!act["name"] || !act["energy"]) fail(aw, "needs 'name' and 'energy'");
        EnergyEntry e;
        e.where = aw;
        e.component = tab["name"].as<std::string>();
        e.action = act["name"].as<std::string>();
        try {
          e.pj = act["energy"].as<double>();
        } catch (const YAML::Exception&) {
          fail(aw + ".energy", "must be a number of pJ");
        }
        if (!(e.pj >= 0) || !std::isfinite(e.pj)) fail(aw + ".energy", "must be a finite, non-negative number of pJ");
        if (act["source"]) e.source = act["source"].as<std::string>();
        if (act["arguments"]) {
          if (!act["arguments"].IsMap()) fail(aw, "arguments must be a map");
          for (const auto& kv : act["arguments"]) e.arguments[kv.first.as<std::string>()] = kv.second.as<std::string>();
        }
        table.entries_.push_back(std::move(e));
      }
    }
  } catch (const YAML::Exception& e) {
    fail(where, fmt::format("malformed entry: {}", e.what()));
  }
  return table;
}

std::string EnergyTable::to_yaml() const {
  std::vector<std::string> components;
  for (const auto& e : entries_)
    if (std::find(components.begin(), components.end(), e.component) == components.end())
      components.push_back(e.component);
  YAML::Emitter out;
  out << YAML::Comment("sdla energy table (Accelergy ERT): component -> action -> pJ per count");
  out << YAML::BeginMap << YAML::Key << "ERT" << YAML::Value << YAML::BeginMap;
  out << YAML::Key << "version" << YAML::Value << YAML::SingleQuoted << "0.4";
  out << YAML::Key << "tables" << YAML::Value << YAML::BeginSeq;
  for (const auto& component : components) {
    out << YAML::BeginMap << YAML::Key << "name" << YAML::Value << component;
    out << YAML::Key << "actions" << YAML::Value << YAML::BeginSeq;
    for (const auto& e : entries_) {
      if (e.component != component) continue;
      out << YAML::BeginMap << YAML::Key << "name" << YAML::Value << e.action;
      if (!e.arguments.empty()) {
        out << YAML::Key << "arguments" << YAML::Value << YAML::Flow << YAML::BeginMap;
        for (const auto& [k, v] : e.arguments) out << YAML::Key << k << YAML::Value << v;
        out << YAML::EndMap;
      }
      // fmt's shortest round-trip text (0.23, not 0.23000000000000001), a plain scalar.
      out << YAML::Key << "energy" << YAML::Value << fmt::format("{}", e.pj);
      if (!e.source.empty()) out << YAML::Key << "source" << YAML::Value << YAML::DoubleQuoted << e.source;
      out << YAML::EndMap;
    }
    out << YAML::EndSeq << YAML::EndMap;
  }
  out << YAML::EndSeq << YAML::EndMap << YAML::EndMap;
  return std::string(out.c_str()) + "\n";
}

void EnergyTable::overlay(const EnergyTable& other) {
  for (const auto& e : other.entries_) {
    bool replaced = false;
    for (auto& mine : entries_)
      if (mine.component == e.component && mine.action == e.action && mine.arguments == e.arguments) {
        mine = e;
        replaced = true;
      }
    if (!replaced) entries_.push_back(e);
  }
}

const EnergyEntry* EnergyTable::find(const std::string& component, const std::string& action,
                                     const EnergyContext& context) const {
  const EnergyEntry* best = nullptr;
  for (const auto& e : entries_) {
    if (e.component != component || e.action != action) continue;
    bool match = true;
    for (const auto& [k, v] : e.arguments) {
      auto it = context.find(k);
      match = match && it != context.end() && it->second == v;
    }
    if (match && (!best || e.arguments.size() > best->arguments.size())) best = &e;
  }
  return best;
}

Energy EnergyTable::evaluate(const Activity& activity, const EnergyContext& context) const {
  Energy out;
  for (const auto& [component, counters] : activity) {
    double sum = 0;
    for (const auto& [action, n] : counters) {
      const EnergyEntry* e = find(component, action, context);
      if (!e) {
        if (n && !is_bookkeeping_action(action)) out.unpriced.push_back(component + "." + action);
        continue;
      }
      const double pj = e->pj * double(n);
      out.by_action[component][action] = pj;
      sum += pj;
    }
    out.by_component[component] = sum;
    out.total_pj += sum;
  }
  return out;
}

}  // namespace sdla
