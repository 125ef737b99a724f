// The energy table: the built-in table prices every action the accelerator
// counts, lookups pick the most specific entry, overlays replace and add,
// evaluate's arithmetic, every malformed table is an EnergyTableError
// naming the file and the field, and entries that can price nothing (checked
// against known_actions(), exactly what the accelerator counts) are named.
#include <cmath>
#include <cstdio>
#include <fstream>
#include <map>
#include <set>
#include <string>

#include <gtest/gtest.h>

#include "expect_has.hpp"
#include "energy_table.hpp"
#include "seed.hpp"
#include "testbench.hpp"
#include "workload.hpp"

namespace sdla {
namespace {

std::uint64_t count(const Activity& a, const std::string& component, const std::string& action) {
  auto c = a.find(component);
  if (c == a.end()) return 0;
  auto n = c->second.find(action);
  return n == c->second.end() ? 0 : n->second;
}

// ------------------------------------------------------------ the built-in table

class EnergyDefaults : public ::testing::TestWithParam<std::string> {};

TEST_P(EnergyDefaults, PricesEveryActionTheAcceleratorCounts) {
  const std::string preset = GetParam();
  const auto cfg = AcceleratorConfig::preset(preset);
  const std::uint64_t seed = sdla::test::seed(41);
  // int8 post-processed with sparse weights and a partial channel atom; int16 raw.
  Layer a;
  a.name = "e8";
  a.in_channels = cfg.atomic_c + 3;
  a.in_height = a.in_width = 5;
  a.out_channels = cfg.atomic_k + 1;
  a.kernel_h = a.kernel_w = 3;
  a.pad = {1, 1, 1, 1};
  a.weight_density = 0.5;
  a.input_density = 0.7;
  a.post.enabled = true;
  a.post.multiplier = {7};
  a.post.shift = {8};
  Layer b = a;
  b.name = "e16";
  b.precision = Precision::int16;
  b.post = PostOp{};
  std::vector<Program> progs;
  std::vector<Workload> works;
  std::uint64_t dram = 0;
  for (const Layer& l : {a, b}) {
    works.push_back(generate_workload({l}, seed));
    progs.push_back(compile_network(cfg, works.back().layers, works.back().input, works.back().operands));
    dram = std::max(dram, progs.back().end);
  }
  Testbench tb("tb", {cfg, "model", dram, ""});
  const auto out = tb.run(progs);
  ASSERT_EQ(out.size(), 2u);

  const EnergyTable table = EnergyTable::defaults();
  ASSERT_FALSE(table.entries().empty());
  for (std::size_t i = 0; i < 2; ++i) {
    ASSERT_TRUE(out[i].ok) << out[i].message;
    ASSERT_EQ(out[i].layers.size(), 1u);
    const Layer& l = out[i].layers[0].layer;
    const Activity& act = out[i].layers[0].activity;
    SCOPED_TRACE(std::string("layer ") + to_string(l.precision));
    // The layer exercised every kind of action the table prices.
    for (const auto& [c, n] : {std::pair{"mac_array", "mac_random"}, {"mac_array", "mac_gated"},
                               {"mac_array", "mac_idle"}, {"mac_array", "act_toggles"},
                               {"mac_array", "weight_toggles"}, {"dram", "read_bytes"}, {"dram", "write_bytes"},
                               {"unified_buffer", "read_bytes"}, {"unified_buffer", "write_bytes"},
                               {"accumulator", "add"}, {"post_processor", "elements"}})
      EXPECT_GT(count(act, c, n), 0u) << c << "." << n << " was not counted";
    if (l.post.enabled) {
      EXPECT_GT(count(act, "post_processor", "requantize"), 0u);
    }

    const EnergyContext ctx{{"precision", to_string(l.precision)}, {"preset", preset}};
    const Energy e = table.evaluate(act, ctx);
    std::string unpriced;
    for (const auto& u : e.unpriced) unpriced += u + " ";
    EXPECT_TRUE(e.unpriced.empty()) << "unpriced: " << unpriced;
    EXPECT_GT(e.total_pj, 0.0);
    // Every counted, non-bookkeeping action got a price, and the sum is consistent.
    double sum = 0;
    for (const auto& [component, counters] : act)
      for (const auto& [action, n] : counters) {
        if (!n || is_bookkeeping_action(action)) continue;
        const EnergyEntry* entry = table.find(component, action, ctx);
        ASSERT_NE(entry, nullptr) << component << "." << action;
        EXPECT_GT(entry->pj, 0.0) << component << "." << action;
        EXPECT_DOUBLE_EQ(e.by_action.at(component).at(action), entry->pj * double(n)) << component << "." << action;
        sum += entry->pj * double(n);
      }
    EXPECT_NEAR(e.total_pj, sum, 1e-9 * sum);
  }
  // The whole accelerator's activity, priced with each precision, leaves nothing out either.
  for (const char* p : {"int8", "int16"}) {
    const Energy e = table.evaluate(tb.accelerator().activity(), {{"precision", p}, {"preset", preset}});
    EXPECT_TRUE(e.unpriced.empty()) << p;
  }
}

INSTANTIATE_TEST_SUITE_P(Presets, EnergyDefaults, ::testing::Values("small", "full"));

TEST(EnergyAccounting, LayerActivityAddsUpToEverythingTheRunMoved) {
  // Per-layer activity is what reports and energy are built from: summed over the
  // layers it must cover every count of the run, descriptor fetches and
  // post-processing parameters included, and match the bytes DRAM itself served.
  const auto cfg = AcceleratorConfig::preset("small");
  const std::uint64_t seed = sdla::test::seed(42);
  Layer a;
  a.name = "a";
  a.in_channels = 9;
  a.in_height = a.in_width = 6;
  a.out_channels = 12;
  a.kernel_h = a.kernel_w = 3;
  a.pad = {1, 1, 1, 1};
  a.post.enabled = true;
  a.post.multiplier = {3};
  a.post.shift = {9};
  Layer b = a;
  b.name = "b";
  b.in_channels = 12;
  b.out_channels = 5;
  b.post = PostOp{};
  const Workload w = generate_workload({a, b}, seed);
  const Program prog = compile_network(cfg, w.layers, w.input, w.operands);
  Testbench tb("tb", {cfg, "model", prog.end, ""});
  const auto out = tb.run({prog});
  ASSERT_EQ(out.size(), 1u);
  ASSERT_TRUE(out[0].ok) << out[0].message;
  ASSERT_EQ(out[0].layers.size(), 2u);
  Activity sum;
  for (const auto& rec : out[0].layers) accumulate(sum, rec.activity);
  const Activity total = tb.accelerator().activity();
  for (const auto& [component, counters] : total)
    for (const auto& [action, n] : counters) {
      EXPECT_EQ(count(sum, component, action), n) << component << "." << action << " summed over the layers";
    }
  EXPECT_EQ(count(sum, "controller", "descriptors"), 2u);
  EXPECT_EQ(count(sum, "dram", "read_bytes"), tb.dram().activity().at("read_bytes"))
      << "bytes DRAM served that no layer accounts for";
  EXPECT_EQ(count(sum, "dram", "write_bytes"), tb.dram().activity().at("write_bytes"));
}

class KnownActions : public ::testing::TestWithParam<std::string> {};

TEST_P(KnownActions, AreExactlyWhatTheAcceleratorCounts) {
  // Layers that make every unit count: int8 with post-processing, ZVC and 2:4
  // weights, ZVC activations, int16, both Winograd transforms, a residual add, the pooling unit.
  const std::uint64_t seed = sdla::test::seed(43);
  Layer a;
  a.name = "zvc";
  a.in_channels = 20;
  a.in_height = a.in_width = 6;
  a.out_channels = 12;
  a.kernel_h = a.kernel_w = 3;
  a.pad = {1, 1, 1, 1};
  a.weight_format = TensorFormat::zvc;
  a.input_density = a.weight_density = 0.5;
  a.post.enabled = true;
  a.post.multiplier = {3};
  a.post.shift = {8};
  a.post.relu = true;
  Layer b = a;
  b.name = "sparse";
  b.in_channels = 12;
  b.weight_format = TensorFormat::sparse_2_4;
  b.activation_format = TensorFormat::zvc;
  Layer c = b;
  c.name = "winograd";
  c.weight_format = TensorFormat::dense;
  c.activation_format = TensorFormat::dense;
  c.winograd = Winograd::nvdla;
  c.post = PostOp{};
  Layer d = a;
  d.name = "int16";
  d.precision = Precision::int16;
  d.weight_format = TensorFormat::dense;
  // A residual add in the post-processor, then the pooling unit (average: its divides too).
  Layer e = a;
  e.name = "residual";
  e.weight_format = TensorFormat::dense;
  e.residual = true;
  Layer f;
  f.name = "pool";
  f.op = Op::pool;
  f.pool_kind = PoolKind::avg;
  f.in_channels = f.out_channels = e.out_channels;
  f.in_height = f.in_width = 6;
  f.kernel_h = f.kernel_w = f.stride_h = f.stride_w = 2;
  std::map<std::string, std::set<std::string>> counted;
  const auto cfg = AcceleratorConfig::preset(GetParam());
  const Workload w1 = generate_workload({a, b, c}, seed), w2 = generate_workload({d}, seed),
                 w3 = generate_workload({e, f}, seed);
  const Program p1 = compile_network(cfg, w1.layers, w1.input, w1.operands);
  const Program p2 = compile_network(cfg, w2.layers, w2.input, w2.operands, (p1.end + 0xFFFF) & ~0xFFFFull);
  const Program p3 = compile_network(cfg, w3.layers, w3.input, w3.operands, (p2.end + 0xFFFF) & ~0xFFFFull);
  Testbench tb("tb", {cfg, "model", (p3.end | 0xFFFFF) + 1, ""});
  const auto out = tb.run({p1, p2, p3});
  ASSERT_EQ(out.size(), 3u);
  for (const auto& o : out) {
    ASSERT_TRUE(o.ok) << o.message;
    for (const auto& rec : o.layers)
      for (const auto& [component, counters] : rec.activity)
        for (const auto& [action, n] : counters) counted[component].insert(action);
  }
  // Every count is known ...
  for (const auto& [component, actions] : counted)
    for (const auto& action : actions) {
      ASSERT_TRUE(known_actions().count(component)) << "component " << component << " is counted but not known";
      EXPECT_TRUE(known_actions().at(component).count(action)) << component << "." << action << " is not known";
    }
  // ... and everything known is counted (the C++ model's mac_array_model only with the RTL beside it).
  for (const auto& [component, actions] : known_actions()) {
    if (component == kMacModelComponent) {
      EXPECT_EQ(actions, known_actions().at("mac_array"));
      continue;
    }
    for (const auto& action : actions)
      EXPECT_TRUE(counted.count(component) && counted.at(component).count(action))
          << component << "." << action << " is known but never counted";
  }
  EXPECT_EQ(known_arguments().at("precision"), (std::set<std::string>{"int8", "int16"}));
  EXPECT_EQ(known_arguments().at("preset"), (std::set<std::string>{"small", "full"}));
}

INSTANTIATE_TEST_SUITE_P(Presets, KnownActions, ::testing::Values("small", "full"));

TEST(EnergyTable, EntriesThatMatchNothingCountedAreNamed) {
  EXPECT_TRUE(EnergyTable::defaults().unmatched_entries().empty());
  const EnergyTable t = EnergyTable::parse(R"(ERT:
  tables:
    - name: mac_array
      actions:
        - {name: mac_random, energy: 0.3, arguments: {precision: int8, preset: full}}
        - {name: mac_randm, energy: 0.3}
        - {name: mac_gated, energy: 0.01, arguments: {precison: int8}}
        - {name: mac_idle, energy: 0.001, arguments: {precision: int4}}
    - name: dram_ctrl
      actions:
        - {name: read_bytes, energy: 100}
    - name: dram
      actions:
        - {name: weight_dense_bytes, energy: 1}
        - {name: read_bytes, energy: 200, arguments: {preset: medium}}
)",
                                           "team.yaml");
  const std::vector<std::string> m = t.unmatched_entries();
  ASSERT_EQ(m.size(), 5u);
  EXPECT_HAS(m[0], "team.yaml: ERT.tables[0].actions[1]: mac_array.mac_randm: action 'mac_randm' matches nothing "
                   "mac_array counts (its actions: act_toggles, cycles, mac_gated, mac_idle, mac_random, passes, "
                   "weight_toggles)");
  EXPECT_HAS(m[1], "team.yaml: ERT.tables[0].actions[2]: mac_array.mac_gated: argument 'precison' is never set "
                   "(arguments: precision, preset)");
  EXPECT_HAS(m[2], "team.yaml: ERT.tables[0].actions[3]: mac_array.mac_idle: precision 'int4' matches nothing "
                   "(values: int16, int8)");
  EXPECT_HAS(m[3], "team.yaml: ERT.tables[1].actions[0]: dram_ctrl.read_bytes: component 'dram_ctrl' matches nothing");
  EXPECT_HAS(m[3], "(components: accumulator, controller, dram, mac_array, mac_array_model, pooling, post_processor");
  EXPECT_HAS(m[4], "team.yaml: ERT.tables[2].actions[1]: dram.read_bytes: preset 'medium' matches nothing "
                   "(values: full, small)");
}

TEST(EnergyTable, DefaultEntriesAreSourcedAndNonNegative) {
  const EnergyTable t = EnergyTable::defaults();
  std::set<std::string> components;
  for (const auto& e : t.entries()) {
    EXPECT_FALSE(e.source.empty()) << e.component << "." << e.action << " has no source";
    EXPECT_GE(e.pj, 0.0);
    EXPECT_TRUE(std::isfinite(e.pj));
    components.insert(e.component);
  }
  for (const char* c : {"mac_array", "unified_buffer", "dram", "accumulator", "post_processor"})
    EXPECT_EQ(components.count(c), 1u) << c;
  // The compiled-in text is the YAML it was parsed from.
  EXPECT_EQ(EnergyTable::parse(default_energy_table_yaml(), "x").entries().size(), t.entries().size());
}

TEST(EnergyTable, DefaultLookupsUseArguments) {
  const EnergyTable t = EnergyTable::defaults();
  const EnergyEntry* m8 = t.find("mac_array", "mac_random", {{"precision", "int8"}, {"preset", "full"}});
  const EnergyEntry* m16 = t.find("mac_array", "mac_random", {{"precision", "int16"}, {"preset", "full"}});
  ASSERT_TRUE(m8 && m16);
  EXPECT_DOUBLE_EQ(m8->pj, 0.23);
  EXPECT_DOUBLE_EQ(m16->pj, 0.85);
  // No generic mac_random entry: without a precision it is not priced.
  EXPECT_EQ(t.find("mac_array", "mac_random", {}), nullptr);
  const EnergyEntry* full = t.find("unified_buffer", "read_bytes", {{"preset", "full"}});
  const EnergyEntry* small = t.find("unified_buffer", "read_bytes", {{"preset", "small"}});
  ASSERT_TRUE(full && small);
  EXPECT_GT(full->pj, small->pj) << "bigger banks cost more per byte";
  // Arguments-free entries match any context.
  const EnergyEntry* gated = t.find("mac_array", "mac_gated", {{"precision", "int16"}, {"anything", "else"}});
  ASSERT_NE(gated, nullptr);
  EXPECT_DOUBLE_EQ(gated->pj, 0.01);
  EXPECT_EQ(t.find("mac_array", "no_such_action", {}), nullptr);
  EXPECT_EQ(t.find("no_such_component", "mac_gated", {}), nullptr);
}

// ------------------------------------------------------------ find / overlay / evaluate

const char* const kHandTable = R"(
ERT:
  version: '0.4'
  tables:
    - name: alu
      actions:
        - name: op
          energy: 1.0
          source: generic
        - name: op
          arguments: {precision: int8}
          energy: 2.0
        - name: op
          arguments: {precision: int8, preset: full}
          energy: 3.0
        - name: op
          arguments: {preset: small}
          energy: 4.0
        - name: op
          arguments: {precision: int16, preset: full, corner: slow}
          energy: 5.0
        - name: cycles
          energy: 0.5
    - name: sram
      actions:
        - name: read_bytes
          arguments: {precision: int8}
          energy: 0.25
)";

TEST(EnergyTable, FindPicksTheMostSpecificMatchingEntry) {
  const EnergyTable t = EnergyTable::parse(kHandTable, "hand.yaml");
  ASSERT_EQ(t.entries().size(), 7u);
  auto pj = [&](const EnergyContext& ctx) {
    const EnergyEntry* e = t.find("alu", "op", ctx);
    return e ? e->pj : -1.0;
  };
  EXPECT_EQ(pj({}), 1.0);
  EXPECT_EQ(pj({{"precision", "int16"}}), 1.0);
  EXPECT_EQ(pj({{"precision", "int8"}}), 2.0);
  EXPECT_EQ(pj({{"precision", "int8"}, {"preset", "full"}}), 3.0);
  // A tie between {precision: int8} and {preset: small}: either one-argument entry, not the generic one.
  const double tie = pj({{"precision", "int8"}, {"preset", "small"}});
  EXPECT_TRUE(tie == 2.0 || tie == 4.0) << tie;
  EXPECT_EQ(pj({{"precision", "int16"}, {"preset", "small"}}), 4.0);
  // A more specific entry with one mismatching argument does not match.
  EXPECT_EQ(pj({{"precision", "int16"}, {"preset", "full"}, {"corner", "fast"}}), 1.0);
  EXPECT_EQ(pj({{"precision", "int16"}, {"preset", "full"}, {"corner", "slow"}}), 5.0);
  // An entry needing an argument the context lacks does not match.
  EXPECT_EQ(t.find("sram", "read_bytes", {}), nullptr);
  EXPECT_EQ(t.find("sram", "read_bytes", {{"precision", "int16"}}), nullptr);
  ASSERT_NE(t.find("sram", "read_bytes", {{"precision", "int8"}}), nullptr);
  EXPECT_EQ(t.find("alu", "op", {})->source, "generic");
}

TEST(EnergyTable, OverlayReplacesSameKeyAndAddsNew) {
  EnergyTable t = EnergyTable::parse(kHandTable, "hand.yaml");
  const EnergyTable over = EnergyTable::parse(R"(
ERT:
  tables:
    - name: alu
      actions:
        - {name: op, arguments: {precision: int8}, energy: 20.0, source: override}
        - {name: op, arguments: {precision: int16}, energy: 30.0}
        - {name: shift, energy: 0.75}
    - name: dram
      actions:
        - {name: read_bytes, energy: 100}
)",
                                              "over.yaml");
  t.overlay(over);
  EXPECT_EQ(t.entries().size(), 7u + 3u) << "one replaced, three added";
  const EnergyEntry* replaced = t.find("alu", "op", {{"precision", "int8"}});
  ASSERT_NE(replaced, nullptr);
  EXPECT_EQ(replaced->pj, 20.0);
  EXPECT_EQ(replaced->source, "override");
  // Entries with other arguments are untouched.
  EXPECT_EQ(t.find("alu", "op", {})->pj, 1.0);
  EXPECT_EQ(t.find("alu", "op", {{"precision", "int8"}, {"preset", "full"}})->pj, 3.0);
  // Same component and action with new arguments is a new entry.
  EXPECT_EQ(t.find("alu", "op", {{"precision", "int16"}})->pj, 30.0);
  ASSERT_NE(t.find("alu", "shift", {}), nullptr);
  EXPECT_EQ(t.find("alu", "shift", {})->pj, 0.75);
  ASSERT_NE(t.find("dram", "read_bytes", {}), nullptr);
  EXPECT_EQ(t.find("dram", "read_bytes", {})->pj, 100.0);

  // Overlaying the defaults with a one-entry file changes exactly that price.
  EnergyTable d = EnergyTable::defaults();
  const std::size_t n = d.entries().size();
  d.overlay(EnergyTable::parse("ERT:\n  tables:\n    - name: dram\n      actions:\n        - {name: read_bytes, energy: 7}\n",
                               "dram.yaml"));
  EXPECT_EQ(d.entries().size(), n);
  EXPECT_EQ(d.find("dram", "read_bytes", {})->pj, 7.0);
  EXPECT_EQ(d.find("dram", "write_bytes", {})->pj, 244.0);
}

TEST(EnergyTable, EvaluateMultipliesCountsAndSumsComponents) {
  const EnergyTable t = EnergyTable::parse(kHandTable, "hand.yaml");
  Activity a;
  a["alu"]["op"] = 10;
  a["alu"]["cycles"] = 4;       // priced in this table, although a bookkeeping name
  a["alu"]["mystery"] = 3;      // counted but not in the table
  a["alu"]["silent"] = 0;       // not in the table, but never happened
  a["alu"]["requests"] = 99;    // bookkeeping: never reported as unpriced
  a["sram"]["read_bytes"] = 1000;
  a["empty"] = {};

  const Energy e8 = t.evaluate(a, {{"precision", "int8"}, {"preset", "full"}});
  EXPECT_DOUBLE_EQ(e8.by_action.at("alu").at("op"), 30.0);
  EXPECT_DOUBLE_EQ(e8.by_action.at("alu").at("cycles"), 2.0);
  EXPECT_DOUBLE_EQ(e8.by_action.at("sram").at("read_bytes"), 250.0);
  EXPECT_EQ(e8.by_action.at("alu").count("mystery"), 0u);
  EXPECT_DOUBLE_EQ(e8.by_component.at("alu"), 32.0);
  EXPECT_DOUBLE_EQ(e8.by_component.at("sram"), 250.0);
  EXPECT_DOUBLE_EQ(e8.by_component.at("empty"), 0.0);
  EXPECT_DOUBLE_EQ(e8.total_pj, 282.0);
  EXPECT_EQ(e8.unpriced, std::vector<std::string>{"alu.mystery"});

  // int16 on the small preset: op costs 4 (the preset entry), sram is unpriced.
  const Energy e16 = t.evaluate(a, {{"precision", "int16"}, {"preset", "small"}});
  EXPECT_DOUBLE_EQ(e16.by_component.at("alu"), 42.0);
  EXPECT_DOUBLE_EQ(e16.by_component.at("sram"), 0.0);
  EXPECT_DOUBLE_EQ(e16.total_pj, 42.0);
  EXPECT_EQ(e16.unpriced, (std::vector<std::string>{"alu.mystery", "sram.read_bytes"}));

  const Energy none = t.evaluate({}, {});
  EXPECT_EQ(none.total_pj, 0.0);
  EXPECT_TRUE(none.unpriced.empty());
}

// ------------------------------------------------------------ malformed tables

/// The EnergyTableError message of parsing `yaml`, or "" if it parsed.
std::string parse_error(const std::string& yaml, const std::string& where = "bad_table.yaml") {
  try {
    EnergyTable::parse(yaml, where);
  } catch (const EnergyTableError& e) {
    return e.what();
  } catch (const std::exception& e) {
    return std::string("WRONG EXCEPTION TYPE: ") + e.what();
  }
  return "";
}

std::string one_action(const std::string& action_body) {
  return "ERT:\n  tables:\n    - name: mac_array\n      actions:\n        - " + action_body + "\n";
}

TEST(EnergyTableErrors, ValidMinimalTableParses) {
  EXPECT_EQ(parse_error(one_action("{name: mac_gated, energy: 0.5}")), "");
  EXPECT_EQ(parse_error(one_action("{name: mac_gated, energy: 0}")), "");
  EXPECT_EQ(parse_error(one_action("{name: mac_gated, energy: 3, arguments: {precision: int8}, source: me}")), "");
}

TEST(EnergyTableErrors, MalformedYaml) {
  const std::string msg = parse_error("ERT:\n  tables: [ {name: x, actions: [\n");
  EXPECT_HAS(msg, "bad_table.yaml");
  EXPECT_HAS(msg, "not YAML");
  EXPECT_HAS(parse_error("ERT: {tables: [1, 2}\n"), "bad_table.yaml");
}

TEST(EnergyTableErrors, MissingErt) {
  for (const char* doc : {"", "tables: []\n", "- ERT\n", "42\n", "ert:\n  tables: []\n"}) {
    const std::string msg = parse_error(doc);
    EXPECT_HAS(msg, "bad_table.yaml");
    EXPECT_HAS(msg, "ERT");
  }
  const std::string msg = parse_error("ERT:\n  version: 1\n");
  EXPECT_HAS(msg, "bad_table.yaml");
  EXPECT_HAS(msg, "tables");
}

TEST(EnergyTableErrors, UnknownKeysAreNamed) {
  // An unknown key next to the right ones.
  std::string msg = parse_error(one_action("{name: mac_gated, energy: 0.5, enrgy: 0.4}"));
  EXPECT_HAS(msg, "bad_table.yaml");
  EXPECT_HAS(msg, "ERT.tables[0].actions[0]");
  EXPECT_HAS(msg, "enrgy");
  // A misspelt key instead of a required one: the message names the field.
  msg = parse_error(one_action("{name: mac_gated, enrgy: 0.5}"));
  EXPECT_HAS(msg, "bad_table.yaml");
  EXPECT_HAS(msg, "ERT.tables[0].actions[0]");
  EXPECT_HAS(msg, "energy");
  // Unknown keys at the table and ERT levels.
  msg = parse_error("ERT:\n  tables:\n    - name: a\n      kind: sram\n      actions: []\n");
  EXPECT_HAS(msg, "ERT.tables[0]");
  EXPECT_HAS(msg, "kind");
  msg = parse_error("ERT:\n  tabels: []\n");
  EXPECT_HAS(msg, "bad_table.yaml");
  EXPECT_HAS(msg, "tabels");
  // A 1000-character key (YAML's longest plain key) is quoted cut to 60 characters.
  msg = parse_error("ERT:\n  " + std::string(1000, 'k') + ": []\n");
  EXPECT_HAS(msg, std::string(57, 'k') + "...'");
  EXPECT_LT(msg.size(), 200u) << msg;
}

TEST(EnergyTableErrors, BadEnergyValues) {
  const std::string neg = parse_error(one_action("{name: mac_gated, energy: -0.5}"));
  EXPECT_HAS(neg, "bad_table.yaml");
  EXPECT_HAS(neg, "ERT.tables[0].actions[0]");
  EXPECT_HAS(neg, "non-negative");
  for (const char* v : {"abc", "'1.5pJ'", "[1, 2]", "{pj: 1}", ".nan", "~"}) {
    const std::string msg = parse_error(one_action(std::string("{name: mac_gated, energy: ") + v + "}"));
    SCOPED_TRACE(v);
    EXPECT_HAS(msg, "bad_table.yaml");
    EXPECT_EQ(msg.find("WRONG EXCEPTION TYPE"), std::string::npos) << msg;
    // The message locates the bad value: by its field path or by its line in the file.
    EXPECT_TRUE(msg.find("actions[0]") != std::string::npos || msg.find("line 5") != std::string::npos) << msg;
  }
}

TEST(EnergyTableErrors, BadStructure) {
  // tables not a list; an action list that is not a list; arguments not a map; a table without a name.
  EXPECT_HAS(parse_error("ERT:\n  tables: {a: 1}\n"), "tables");
  EXPECT_HAS(parse_error("ERT:\n  tables:\n    - name: a\n      actions: {b: 1}\n"), "ERT.tables[0]");
  EXPECT_HAS(parse_error("ERT:\n  tables:\n    - actions: []\n"), "ERT.tables[0]");
  EXPECT_HAS(parse_error(one_action("{name: x, energy: 1, arguments: [int8]}")), "arguments");
  EXPECT_HAS(parse_error(one_action("{energy: 1}")), "name");
  EXPECT_HAS(parse_error(one_action("just_a_string")), "ERT.tables[0].actions[0]");
}

TEST(EnergyTableErrors, FilesAreNamedInMessages) {
  const std::string dir = ::testing::TempDir();
  const std::string missing = dir + "/sdla_no_such_table.yaml";
  std::remove(missing.c_str());
  try {
    EnergyTable::from_file(missing);
    FAIL() << "a missing file was accepted";
  } catch (const EnergyTableError& e) {
    EXPECT_HAS(std::string(e.what()), missing);
  }
  const std::string bad = dir + "/sdla_bad_table.yaml";
  std::ofstream(bad) << one_action("{name: mac_gated, energy: -1}");
  try {
    EnergyTable::from_file(bad);
    FAIL() << "a negative energy was accepted";
  } catch (const EnergyTableError& e) {
    EXPECT_HAS(std::string(e.what()), bad);
    EXPECT_HAS(std::string(e.what()), "non-negative");
  }
  const std::string good = dir + "/sdla_good_table.yaml";
  std::ofstream(good) << one_action("{name: mac_gated, energy: 0.125}");
  const EnergyTable t = EnergyTable::from_file(good);
  ASSERT_EQ(t.entries().size(), 1u);
  EXPECT_EQ(t.entries()[0].pj, 0.125);
  std::remove(bad.c_str());
  std::remove(good.c_str());
}

}  // namespace
}  // namespace sdla
