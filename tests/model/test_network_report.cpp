// Network reports beyond the figures: the power trace (energy per window
// sums back to the report's energies, windows tile the cycles), the energy
// table exported as Accelergy ERT (--export-ert reads back to the same
// table), the HTML report (charts, escaping, the JSON's numbers), and that
// page rendered by headless Chromium (skipped when /usr/bin/chromium is not
// installed; ./build.sh test installs it). SDLA_HTML_TEST_NETWORK=mobilenetv2
// (or any --network value) renders that network instead of the small one.
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <regex>
#include <set>
#include <string>
#include <tuple>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "energy_table.hpp"
#include "html_report.hpp"
#include "power_trace.hpp"
#include "program_test.hpp"

#ifndef SDLA_RUN
#error "SDLA_RUN must name the sdla-run executable"
#endif

namespace sdla {
namespace {

using nlohmann::json;
using ::testing::HasSubstr;
using ::testing::Not;

/// A report with the keys the trace and the page read: layers of the given
/// cycles, each with energy in two or three components.
json synthetic_report(const std::vector<std::uint64_t>& cycles) {
  json r;
  r["preset"] = {{"name", "full"}, {"clock_mhz", 1000.0}};
  r["mac_array_source"] = "model";
  r["layers"] = json::array();
  std::map<std::string, double> total;
  std::uint64_t all = 0;
  for (std::size_t i = 0; i < cycles.size(); ++i) {
    json e = {{"mac_array", 1000.0 + 37.7 * double(i)}, {"dram", 12345.6 / double(i + 1)}};
    if (i % 2) e["pooling"] = 0.1 * double(i);
    double sum = 0;
    for (const auto& [k, v] : e.items()) {
      total[k] += v.get<double>();
      sum += v.get<double>();
    }
    e["total"] = sum;
    json l = {{"name", "layer" + std::to_string(i)}, {"op", "conv2d"}, {"cycles", cycles[i]}, {"macs", 1000 * i},
              {"mac_utilization", 0.1 * double(i % 10)}, {"dram_bytes_read", 100 * i}, {"dram_bytes_written", 7 * i},
              {"in_channels", 8}, {"out_channels", 16}, {"kernel", {3, 3}}, {"bit_exact", true}, {"energy_pj", e}};
    l["dram_traffic"] = {{"input", {{"bytes", 60 * i}}}, {"weight", {{"bytes", 40 * i}}},
                         {"output", {{"bytes", 7 * i}}}, {"param", {{"bytes", 0}}}};
    r["layers"].push_back(l);
    all += cycles[i];
  }
  r["energy_pj"] = json::object();
  double sum = 0;
  for (const auto& [k, v] : total) {
    r["energy_pj"][k] = v;
    sum += v;
  }
  r["energy_pj"]["total"] = sum;
  r["cycles"] = all;
  r["macs"] = 0;
  r["mac_utilization"] = 0.5;
  r["dram_bytes_read"] = 1;
  r["dram_bytes_written"] = 2;
  r["dram_traffic"] = r["layers"].back()["dram_traffic"];
  r["bit_exact"] = true;
  r["status"] = "done";
  return r;
}

/// The checks of the rule (power_trace.hpp): windows back to back from 0 to the
/// sum of the layers' cycles, and each component's energy summed over them equal
/// to the report's (the layers' sum), within rounding.
void expect_trace_consistent(const json& report, const json& trace) {
  std::uint64_t cycles = 0;
  for (const auto& l : report["layers"]) cycles += l["cycles"].get<std::uint64_t>();
  ASSERT_EQ(trace["cycles"].get<std::uint64_t>(), cycles);
  const std::uint64_t n = trace["window_cycles"];
  ASSERT_GE(n, 1u);
  std::uint64_t next = 0;
  std::map<std::string, double> sums;
  const double mhz = report["preset"]["clock_mhz"];
  for (const auto& w : trace["windows"]) {
    EXPECT_EQ(w["start_cycle"].get<std::uint64_t>(), next);
    const std::uint64_t len = w["cycles"];
    EXPECT_GE(len, 1u);
    EXPECT_LE(len, n);
    next += len;
    double pj = 0;
    for (const auto& [c, v] : w["energy_pj"].items()) {
      sums[c] += v.get<double>();
      pj += v.get<double>();
    }
    EXPECT_NEAR(w["power_mw"].get<double>(), pj * mhz / double(len) * 1e-3, 1e-9 * (1 + pj));
  }
  EXPECT_EQ(next, cycles);  // the windows cover every cycle, once
  if (cycles) {
    EXPECT_LT(trace["windows"].back()["start_cycle"].get<std::uint64_t>(), cycles);
  }
  std::set<std::string> listed;
  for (const auto& c : trace["components"]) listed.insert(c.get<std::string>());
  for (const auto& [c, v] : report["energy_pj"].items()) {
    if (c == "total") continue;
    EXPECT_TRUE(listed.count(c)) << c;
    const double want = v.get<double>();
    EXPECT_NEAR(sums[c], want, 1e-9 * std::max(1.0, std::fabs(want))) << c;
  }
}

TEST(PowerTrace, WindowsSumToTheReportAndCoverTheCycles) {
  const json r = synthetic_report({1000, 1, 0, 4567, 333, 12, 99999, 5});
  for (std::uint64_t n : {0ull, 1ull, 7ull, 1000ull, 4567ull, 1000000ull}) {
    SCOPED_TRACE(n);
    expect_trace_consistent(r, make_power_trace(r, n));
  }
}

TEST(PowerTrace, DefaultGivesAbout200Windows) {
  const json r = synthetic_report({123457, 98765, 4321});
  const json t = make_power_trace(r, 0);
  EXPECT_EQ(t["window_cycles"].get<std::uint64_t>(), (123457u + 98765u + 4321u + 199u) / 200u);
  EXPECT_LE(t["windows"].size(), 200u);
  EXPECT_GE(t["windows"].size(), 199u);
  EXPECT_EQ(default_power_window(0), 1u);
  EXPECT_EQ(default_power_window(150), 1u);
  EXPECT_EQ(default_power_window(401), 3u);
}

TEST(PowerTrace, EnergyIsSpreadEvenlyOverALayersCycles) {
  // Layer 0: 10 cycles, layer 1: 30 cycles; windows of 20 cycles. Window 0 holds
  // all of layer 0 and 10/30 of layer 1; window 1 the other 20/30.
  const json r = synthetic_report({10, 30});
  const json t = make_power_trace(r, 20);
  ASSERT_EQ(t["windows"].size(), 2u);
  const double m0 = r["layers"][0]["energy_pj"]["mac_array"], m1 = r["layers"][1]["energy_pj"]["mac_array"];
  EXPECT_DOUBLE_EQ(t["windows"][0]["energy_pj"]["mac_array"].get<double>(), m0 + m1 / 3);
  EXPECT_DOUBLE_EQ(t["windows"][1]["energy_pj"]["mac_array"].get<double>(), m1 * 2 / 3);
  // At 1 GHz a cycle is 1 ns, and 1 pJ per ns is 1 mW.
  double pj = 0;
  for (const auto& [c, v] : t["windows"][1]["energy_pj"].items()) pj += v.get<double>();
  EXPECT_DOUBLE_EQ(t["windows"][1]["power_mw"].get<double>(), pj / 20);
}

// ---------------------------------------------------------------- ERT export

void expect_same_table(const EnergyTable& a, const EnergyTable& b) {
  // Per component, the entries in order (find() picks among one component's entries only).
  auto by_component = [](const EnergyTable& t) {
    std::map<std::string, std::vector<std::tuple<std::string, std::map<std::string, std::string>, double, std::string>>>
        m;
    for (const auto& e : t.entries()) m[e.component].emplace_back(e.action, e.arguments, e.pj, e.source);
    return m;
  };
  EXPECT_EQ(a.entries().size(), b.entries().size());
  EXPECT_EQ(by_component(a), by_component(b));
}

TEST(EnergyTableExport, BuiltInTableRoundTripsExactly) {
  const EnergyTable t = EnergyTable::defaults();
  const std::string yaml = t.to_yaml();
  EXPECT_THAT(yaml, HasSubstr("ERT:"));
  EXPECT_THAT(yaml, HasSubstr("version: '0.4'"));
  EXPECT_THAT(yaml, HasSubstr("energy: 0.23\n"));  // the shortest text, not 0.23000000000000001
  const EnergyTable back = EnergyTable::parse(yaml, "exported");
  // The built-in table lists each component once, so even the order is the same.
  ASSERT_EQ(back.entries().size(), t.entries().size());
  for (std::size_t i = 0; i < t.entries().size(); ++i) {
    const EnergyEntry &x = t.entries()[i], &y = back.entries()[i];
    EXPECT_EQ(x.component, y.component);
    EXPECT_EQ(x.action, y.action);
    EXPECT_EQ(x.arguments, y.arguments);
    EXPECT_EQ(x.pj, y.pj) << x.component << "." << x.action;  // bit for bit
    EXPECT_EQ(x.source, y.source);
  }
  EXPECT_EQ(back.to_yaml(), yaml);
  EXPECT_TRUE(back.unmatched_entries().empty());
}

TEST(EnergyTableExport, OverlaidTableRoundTrips) {
  EnergyTable t = EnergyTable::defaults();
  t.overlay(EnergyTable::parse(R"(ERT:
  version: '0.4'
  tables:
    - name: dram
      actions:
        - {name: read_bytes, energy: 0.1}
        - {name: write_bytes, arguments: {preset: small}, energy: 1.0e-7, source: "a: 'quoted' \"source\" # µ"}
    - name: mac_array
      actions:
        - {name: mac_random, arguments: {precision: int8, preset: full}, energy: 0.30000000000000004}
    - name: new_unit
      actions:
        - {name: "yes", arguments: {precision: "true"}, energy: 123456789.125}
)",
                               "mine"));
  const EnergyTable back = EnergyTable::parse(t.to_yaml(), "exported");
  expect_same_table(t, back);
  const EnergyContext ctx{{"precision", "int8"}, {"preset", "full"}};
  for (const auto& e : t.entries()) {
    const EnergyEntry* x = t.find(e.component, e.action, ctx);
    const EnergyEntry* y = back.find(e.component, e.action, ctx);
    ASSERT_EQ(x == nullptr, y == nullptr);
    if (x) {
      EXPECT_EQ(x->pj, y->pj);
    }
  }
}

// ---------------------------------------------------------------- HTML, without a browser

TEST(HtmlReport, HasTheFourChartsAndEscapesNames) {
  json r = synthetic_report({100, 200, 300});
  r["layers"][1]["name"] = "a<b>&\"c'";
  r["power_trace"] = make_power_trace(r, 0);
  r["network"] = {{"name", "net <script>"}, {"frames_per_second", 123.456}, {"effective_tops", 1.5},
                  {"energy_uj_per_inference", 42.25}, {"pj_per_mac", 0.875}, {"tops_per_w", 2.25}};
  const std::string h = make_html_report(r);
  for (const char* id : {"chart-cycles", "chart-energy", "chart-dram", "chart-power", "layer-table"})
    EXPECT_THAT(h, HasSubstr(std::string("id=\"") + id + "\"")) << id;
  EXPECT_THAT(h, Not(HasSubstr("<script")));
  EXPECT_THAT(h, HasSubstr("net &lt;script&gt;"));
  EXPECT_THAT(h, HasSubstr("data-layer=\"a&lt;b&gt;&amp;&quot;c&#39;\""));
  EXPECT_THAT(h, Not(HasSubstr("a<b>")));
  EXPECT_THAT(h, HasSubstr("<rect class=\"bar\" data-layer=\"layer2\" data-value=\"300\""));
  EXPECT_THAT(h, HasSubstr("id=\"fig-fps\" data-value=\"123.456\">123.5"));
  EXPECT_THAT(h, Not(HasSubstr("http://"))) << "nothing to fetch (the SVG namespace aside)";
  EXPECT_EQ(html_escape("<&>\"'"), "&lt;&amp;&gt;&quot;&#39;");
}

// ---------------------------------------------------------------- sdla-run, and a browser

constexpr const char* kSmallNetwork = R"({"name": "mixed & <small>", "input": {"shape": [16, 12, 12]}, "nodes": [
  {"name": "c1", "op": "conv2d", "out_channels": 32, "kernel": [3, 3], "padding": [1, 1], "relu": true},
  {"name": "p1", "op": "maxpool", "kernel": [2, 2], "stride": [2, 2]},
  {"name": "dw", "op": "conv2d", "out_channels": 32, "kernel": [3, 3], "padding": [1, 1], "groups": 32, "relu": true},
  {"name": "c2", "op": "conv2d", "out_channels": 32, "kernel": [1, 1]},
  {"name": "sum", "op": "add", "inputs": ["c2", "p1"], "relu": true},
  {"name": "ap", "op": "avgpool", "kernel": [3, 3], "stride": [1, 1], "padding": [1, 1]},
  {"name": "gap", "op": "global_avgpool"},
  {"name": "fc", "op": "fc", "out_features": 10}]})";

class NetworkReportCli : public test::ProgramTest {
 protected:
  NetworkReportCli() : ProgramTest(SDLA_RUN) {}
  json read_json(const std::string& name) const { return json::parse(slurp(dir_ / name)); }
};

TEST_F(NetworkReportCli, PowerTraceInTheReport) {
  write_text("net.json", kSmallNetwork);
  auto r = run("--network net.json --quiet --report r.json");
  ASSERT_EQ(r.status, 0) << r.out << r.err;
  const json rep = read_json("r.json");
  ASSERT_TRUE(rep.contains("power_trace"));
  expect_trace_consistent(rep, rep["power_trace"]);
  EXPECT_LE(rep["power_trace"]["windows"].size(), 200u);

  r = run("--network net.json --quiet --report w.json --power-window 500");
  ASSERT_EQ(r.status, 0) << r.err;
  const json w = read_json("w.json");
  EXPECT_EQ(w["power_trace"]["window_cycles"], 500);
  expect_trace_consistent(w, w["power_trace"]);
  EXPECT_EQ(w["energy_pj"], rep["energy_pj"]);

  for (const char* bad : {"0", "-1", "abc", "1.5", "18446744073709551616"}) {
    r = run(std::string("--network net.json --quiet --power-window ") + bad);
    EXPECT_EQ(r.status, 2) << bad;
    EXPECT_THAT(r.err, HasSubstr("--power-window")) << bad;
  }
  r = run("--power-window 100");
  EXPECT_EQ(r.status, 2);
  EXPECT_THAT(r.err, HasSubstr("--network"));
}

TEST_F(NetworkReportCli, ExportErtReadsBackToTheSameTable) {
  // Built-in: exported, read back with --energy-table, exported again: the same text and the same report.
  auto r = run("--print-energy-table --export-ert out/builtin.yaml");
  ASSERT_EQ(r.status, 0) << r.err;
  const EnergyTable builtin = EnergyTable::from_file(path("out/builtin.yaml"));
  expect_same_table(builtin, EnergyTable::defaults());
  write_text("net.json", kSmallNetwork);
  r = run("--network net.json --quiet --report a.json --export-ert a.yaml");
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(slurp(dir_ / "a.yaml"), slurp(dir_ / "out/builtin.yaml"));
  r = run("--network net.json --quiet --report b.json --energy-table a.yaml --strict --export-ert b.yaml");
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(slurp(dir_ / "b.yaml"), slurp(dir_ / "a.yaml"));
  EXPECT_EQ(read_json("b.json")["energy_pj"], read_json("a.json")["energy_pj"]);

  // Overlaid: the file's entries over the built-in ones, in layer mode.
  write_text("mine.yaml", R"(ERT:
  version: '0.4'
  tables:
    - name: dram
      actions:
        - {name: read_bytes, energy: 100.5, source: "my DRAM"}
    - name: controller
      actions:
        - {name: descriptors, arguments: {preset: small}, energy: 7}
)");
  r = run("--preset small --energy-table mine.yaml --export-ert c.yaml --report c.json");
  ASSERT_EQ(r.status, 0) << r.err;
  EnergyTable want = EnergyTable::defaults();
  want.overlay(EnergyTable::from_file(path("mine.yaml")));
  expect_same_table(EnergyTable::from_file(path("c.yaml")), want);
  r = run("--preset small --energy-table c.yaml --report d.json");
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(read_json("d.json")["energy_pj"], read_json("c.json")["energy_pj"]);

  r = run("--export-ert c.yaml/x.yaml --preset small");
  EXPECT_EQ(r.status, 2);
  EXPECT_THAT(r.err, HasSubstr("--export-ert c.yaml/x.yaml"));
}

/// Every number of the JSON that the page shows: figures, per-layer cells, bars.
void expect_report_numbers(const std::string& dom, const json& rep) {
  const json& n = rep["network"];
  for (const char* key : {"frames_per_second", "effective_tops", "energy_uj_per_inference", "pj_per_mac", "tops_per_w"})
    EXPECT_THAT(dom, HasSubstr("data-value=\"" + n[key].dump() + "\"")) << key;
  for (const auto& l : rep["layers"]) {
    const std::string name = l["name"];
    // The table's cells show integers exactly as the JSON; rounded figures keep the JSON's in data-value.
    for (const char* key : {"cycles", "macs", "dram_bytes_read", "dram_bytes_written"})
      EXPECT_THAT(dom, HasSubstr("data-value=\"" + l[key].dump() + "\">" + l[key].dump() + "</td>")) << name << key;
    EXPECT_THAT(dom, HasSubstr("data-value=\"" + l["energy_pj"]["total"].dump() + "\"")) << name;
    EXPECT_THAT(dom, HasSubstr("data-value=\"" + l["mac_utilization"].dump() + "\"")) << name;
    EXPECT_THAT(dom, HasSubstr("class=\"bar\" data-layer=\"" + name + "\" data-value=\"" + l["cycles"].dump() + "\""))
        << name;
    if (l["energy_pj"]["dram"].get<double>() > 0) {
      EXPECT_THAT(dom, HasSubstr("data-layer=\"" + name + "\" data-component=\"dram\" data-value=\"" +
                                 l["energy_pj"]["dram"].dump() + "\""))
          << name;
    }
    if (l["dram_traffic"]["output"]["bytes"].get<std::uint64_t>() > 0) {
      EXPECT_THAT(dom, HasSubstr("data-layer=\"" + name + "\" data-tensor=\"output\" data-value=\"" +
                                 l["dram_traffic"]["output"]["bytes"].dump() + "\""))
          << name;
    }
  }
  EXPECT_THAT(dom, HasSubstr("data-value=\"" + rep["cycles"].dump() + "\">" + rep["cycles"].dump() + "</td>"));
}

std::size_t count(const std::string& text, const std::regex& re) {
  return std::size_t(std::distance(std::sregex_iterator(text.begin(), text.end(), re), std::sregex_iterator()));
}

TEST_F(NetworkReportCli, HtmlReportRendersInChromium) {
  const char* env = std::getenv("SDLA_HTML_TEST_NETWORK");
  std::string network = env && *env ? env : "net.json";
  write_text("net.json", kSmallNetwork);
  auto r = run("--network " + network + " --quiet --report r.json --html out/r.html");
  ASSERT_EQ(r.status, 0) << r.out << r.err;
  const json rep = read_json("r.json");
  const std::string page = slurp(dir_ / "out/r.html");
  expect_report_numbers(page, rep);  // the file as written

  const char* chromium = "/usr/bin/chromium";
  if (!std::filesystem::exists(chromium))
    GTEST_SKIP() << chromium << " is not installed (apt-get install chromium, or ./build.sh test): the page was "
                 << "checked as written, not as a browser renders it";
  // The flags this machine needs (no network: no background connections, no component updates).
  const std::string cmd = std::string("timeout 120 ") + chromium +
                          " --headless --no-sandbox --disable-gpu --disable-quic --disable-background-networking "
                          "--disable-component-update --disable-sync --no-first-run --user-data-dir='" +
                          path("chromium-profile") + "' --dump-dom 'file://" + path("out/r.html") + "' >'" +
                          path("dom.html") + "' 2>'" + path("chromium.err") + "'";
  const int rc = std::system(cmd.c_str());
  ASSERT_EQ(rc, 0) << cmd << "\n" << slurp(dir_ / "chromium.err");
  const std::string dom = slurp(dir_ / "dom.html");
  ASSERT_FALSE(dom.empty()) << slurp(dir_ / "chromium.err");
  for (const char* id : {"chart-cycles", "chart-energy", "chart-dram", "chart-power"})
    EXPECT_EQ(count(dom, std::regex(std::string("<svg id=\"") + id + "\"")), 1u) << id;
  const std::size_t layers = rep["layers"].size();
  const std::regex bar("<rect class=\"bar\" data-layer=\"[^\"]*\" data-value=");
  EXPECT_EQ(count(dom, bar), layers);  // one cycles bar per layer
  EXPECT_EQ(count(dom, std::regex("<circle class=\"util-point\"")), layers);
  EXPECT_EQ(count(dom, std::regex("<tr data-layer=")), layers);
  EXPECT_GE(count(dom, std::regex("<rect class=\"bar\" data-layer=\"[^\"]*\" data-component=")), layers);
  EXPECT_GE(count(dom, std::regex("<rect class=\"bar\" data-layer=\"[^\"]*\" data-tensor=")), layers);
  EXPECT_GE(count(dom, std::regex("<rect class=\"bar\" data-window=")), rep["power_trace"]["windows"].size());
  expect_report_numbers(dom, rep);
  if (network == "net.json") {
    EXPECT_THAT(dom, HasSubstr("network mixed &amp; &lt;small&gt;</h1>"));
  }
  EXPECT_THAT(dom, Not(HasSubstr("<script")));
}

}  // namespace
}  // namespace sdla
