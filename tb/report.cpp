#include "report.hpp"

#include <algorithm>

#include <fmt/format.h>
#include <fmt/ostream.h>

#include "accelerator.hpp"
#include "io/layer_file.hpp"

namespace sdla {
namespace {

nlohmann::json energy_json(const Energy& e) {
  nlohmann::json j = nlohmann::json::object();
  for (const auto& [component, pj] : e.by_component) j[component] = pj;
  j["total"] = e.total_pj;
  return j;
}

bool has(const Activity& a, const char* component, const char* action) {
  auto c = a.find(component);
  return c != a.end() && c->second.count(action);
}

std::uint64_t count(const Activity& a, const char* component, const char* action) {
  auto c = a.find(component);
  if (c == a.end()) return 0;
  auto n = c->second.find(action);
  return n == c->second.end() ? 0 : n->second;
}

/// Per tensor: bytes the DMA moved, what they stand for uncompressed, and
/// the ratio; the residual tensor (post-processor adds) where it was counted.
nlohmann::json traffic_json(const Activity& a) {
  nlohmann::json j = nlohmann::json::object();
  for (const char* t : {"input", "weight", "output", "param", "residual"}) {
    const std::uint64_t moved = count(a, "dram", (std::string(t) + "_bytes").c_str());
    const std::uint64_t dense = count(a, "dram", (std::string(t) + "_dense_bytes").c_str());
    if (std::string(t) == "residual" && !has(a, "dram", "residual_bytes")) continue;
    j[t] = {{"bytes", moved}, {"dense_bytes", dense},
            {"compression_ratio", moved ? double(dense) / double(moved) : 1.0}};
  }
  return j;
}

/// How a layer used Winograd: the mode (or why it fell back), the multiplies
/// the array issued against the dense count, the transforms' adds and energy.
nlohmann::json winograd_json(const Layer& l, const Activity& a, const Energy& e,
                             const std::optional<golden::ErrorStats>& error) {
  nlohmann::json j;
  j["mode"] = to_string(l.uses_winograd() ? l.winograd : Winograd::off);
  if (!l.winograd_fallback.empty()) j["fallback"] = l.winograd_fallback;
  if (l.uses_winograd() && l.winograd == Winograd::nvdla) {
    j["input_shift"] = l.winograd_input_shift;
    j["weight_shift"] = l.winograd_weight_shift;
  }
  j["issued_multiplies"] = count(a, "mac_array", "mac_random") + count(a, "mac_array", "mac_gated");
  j["dense_multiplies"] = l.macs();
  j["transform_adds"] = count(a, "winograd_input_transform", "adds") + count(a, "winograd_output_transform", "adds");
  double transform_pj = 0;
  for (const char* unit : {"winograd_input_transform", "winograd_output_transform"})
    if (auto it = e.by_component.find(unit); it != e.by_component.end()) transform_pj += it->second;
  j["transform_energy_pj"] = transform_pj;
  if (auto it = e.by_component.find("mac_array"); it != e.by_component.end()) j["mac_array_energy_pj"] = it->second;
  if (error)
    j["error_vs_direct"] = {{"max_abs", error->max_abs}, {"mean_abs", error->mean_abs}, {"mean_rel", error->mean_rel}};
  return j;
}

}  // namespace

nlohmann::json make_report(const ReportInput& in) {
  const AcceleratorConfig& cfg = *in.cfg;
  const RunOutcome& out = *in.outcome;
  nlohmann::json r;
  r["preset"] = {{"name", cfg.name},
                 {"atomic_c", cfg.atomic_c},
                 {"atomic_k", cfg.atomic_k},
                 {"buffer_bytes", cfg.buffer_bytes()},
                 {"buffer_banks", cfg.buffer_banks},
                 {"dram_bytes_per_cycle", cfg.dram_bytes_per_cycle},
                 {"dram_latency_cycles", cfg.dram_latency_cycles},
                 {"accumulator_bytes", cfg.accumulator_bytes},
                 {"clock_mhz", cfg.clock_mhz}};
  r["mac_array_source"] = in.mac_source;

  Activity total;
  Energy total_energy;
  std::uint64_t macs = 0;
  double peak_cycles = 0;  // cycles x peak MACs, summed over layers
  std::uint64_t overlap = 0;
  bool exact = out.ok && in.layer_bit_exact.size() == out.layers.size();
  bool has_sources = false, sources_equal = true;
  nlohmann::json layers = nlohmann::json::array();
  for (std::size_t i = 0; i < out.layers.size(); ++i) {
    const LayerRecord& rec = out.layers[i];
    const Layer& l = rec.layer;
    const EnergyContext ctx{{"precision", to_string(l.precision)}, {"preset", cfg.name}};
    Activity priced = rec.activity;
    priced.erase(kMacModelComponent);
    const Energy e = in.energy->evaluate(priced, ctx);
    const double util = rec.cycles ? double(l.macs()) / (double(rec.cycles) * cfg.peak_macs(l.precision)) : 0.0;
    const bool layer_exact = i < in.layer_bit_exact.size() && in.layer_bit_exact[i];
    exact = exact && layer_exact;
    nlohmann::json lj = to_json(l);
    lj["name"] = l.name;
    lj["bit_exact"] = in.checked ? nlohmann::json(layer_exact) : nlohmann::json(nullptr);
    lj["cycles"] = rec.cycles;
    lj["start_cycle"] = rec.start_cycle;
    lj["load_cycle"] = rec.load_cycle;
    lj["end_cycle"] = rec.end_cycle;
    lj["overlap_cycles"] = rec.overlap_cycles;
    lj["macs"] = l.macs();
    lj["mac_utilization"] = util;
    lj["dram_bytes_read"] = count(rec.activity, "dram", "read_bytes");
    lj["dram_bytes_written"] = count(rec.activity, "dram", "write_bytes");
    lj["dram_traffic"] = traffic_json(rec.activity);
    lj["buffer_peak_bytes"] = rec.buffer_peak_bytes;
    lj["buffer_occupancy"] = double(rec.buffer_peak_bytes) / double(cfg.buffer_bytes());
    lj["tiling"] = rec.tiling;
    lj["activity"] = rec.activity;
    lj["energy_pj"] = energy_json(e);
    lj["winograd"] = winograd_json(l, rec.activity, e, i < in.winograd_error.size() ? in.winograd_error[i] : std::nullopt);
    if (l.op == Op::pool)
      lj["pool"] = {{"kind", to_string(l.pool_kind)}, {"element_ops", pool_element_ops(l)},
                    {"cycles", count(rec.activity, "pooling", "cycles")}};
    if (!e.unpriced.empty()) lj["unpriced_actions"] = e.unpriced;
    if (auto m = rec.activity.find(kMacModelComponent); m != rec.activity.end()) {
      // The MAC array's activity from both sources: measured on the RTL, computed by the model.
      const Energy model_energy = in.energy->evaluate({{"mac_array", m->second}}, ctx);
      Counters rtl = rec.activity.at("mac_array");
      rtl.erase("passes");
      lj["mac_array_sources"] = {{"rtl", {{"activity", rtl}, {"energy_pj", e.by_component.at("mac_array")}}},
                                 {"model", {{"activity", m->second}, {"energy_pj", model_energy.total_pj}}},
                                 {"equal", rtl == m->second}};
      sources_equal = sources_equal && rtl == m->second;
      has_sources = true;
    }
    layers.push_back(lj);

    accumulate(total, rec.activity);
    for (const auto& [c, pj] : e.by_component) total_energy.by_component[c] += pj;
    total_energy.total_pj += e.total_pj;
    macs += l.macs();
    peak_cycles += double(rec.cycles) * cfg.peak_macs(l.precision);
    overlap += rec.overlap_cycles;
  }
  r["checked"] = in.checked;
  r["bit_exact"] = in.checked ? nlohmann::json(exact) : nlohmann::json(nullptr);
  r["status"] = out.ok ? "done" : "error";
  if (!out.ok)
    r["error"] = {{"code", std::uint32_t(out.error)}, {"name", regs::to_string(out.error)},
                  {"layer", out.error_layer}, {"message", out.message}};
  r["cycles"] = out.cycles;
  r["time_us"] = double(out.cycles) / cfg.clock_mhz;
  // Cycles in which a layer was loading while the layer before still computed, summed.
  r["overlap_cycles"] = overlap;
  r["macs"] = macs;
  r["mac_utilization"] = peak_cycles > 0 ? double(macs) / peak_cycles : 0.0;
  r["dram_bytes_read"] = count(total, "dram", "read_bytes");
  r["dram_bytes_written"] = count(total, "dram", "write_bytes");
  r["dram_traffic"] = traffic_json(total);
  if (has_sources) r["mac_array_sources_equal"] = sources_equal;
  r["activity"] = total;
  r["energy_pj"] = energy_json(total_energy);
  // The run's Winograd trade-off: the per-layer figures summed.
  nlohmann::json wino = {{"issued_multiplies", 0}, {"dense_multiplies", 0}, {"transform_adds", 0},
                         {"transform_energy_pj", 0.0}, {"layers", 0}};
  for (const auto& lj : layers) {
    const auto& w = lj["winograd"];
    for (const char* key : {"issued_multiplies", "dense_multiplies", "transform_adds"})
      wino[key] = wino[key].get<std::uint64_t>() + w[key].get<std::uint64_t>();
    wino["transform_energy_pj"] = wino["transform_energy_pj"].get<double>() + w["transform_energy_pj"].get<double>();
    if (w["mode"] != "off") wino["layers"] = wino["layers"].get<unsigned>() + 1;
  }
  r["winograd"] = wino;
  r["layers"] = layers;
  return r;
}

void print_summary(std::ostream& os, const nlohmann::json& r) {
  const auto& p = r["preset"];
  fmt::print(os, "sdla-run: preset {} ({}x{} MACs, {} KiB buffer, {} B/cycle DRAM), MAC array: {}\n",
             p["name"].get<std::string>(), p["atomic_c"].get<unsigned>(), p["atomic_k"].get<unsigned>(),
             p["buffer_bytes"].get<std::size_t>() / 1024, p["dram_bytes_per_cycle"].get<unsigned>(),
             r["mac_array_source"].get<std::string>());
  fmt::print(os, "{:<16} {:<6} {:>22} {:>12} {:>14} {:>6} {:>12} {:>12} {:>12}  {}\n", "layer", "op",
             "shape C,HxW->K,PxQ", "cycles", "MACs", "util", "DRAM rd B", "DRAM wr B", "energy uJ", "check");
  for (const auto& l : r["layers"]) {
    const unsigned R = l["kernel"][0], S = l["kernel"][1];
    std::string shape = fmt::format("{},{}x{}->{} k{}x{}", l["in_channels"].get<unsigned>(),
                                    l.value("in_height", 1u), l.value("in_width", 1u),
                                    l["out_channels"].get<unsigned>(), R, S);
    if (l.contains("groups")) shape += fmt::format(" g{}", l["groups"].get<unsigned>());
    fmt::print(os, "{:<16} {:<6} {:>22} {:>12} {:>14} {:>5.1f}% {:>12} {:>12} {:>12.3f}  {}\n",
               l["name"].get<std::string>(), l["op"].get<std::string>(), shape, l["cycles"].get<std::uint64_t>(),
               l["macs"].get<std::uint64_t>(), 100 * l["mac_utilization"].get<double>(),
               l["dram_bytes_read"].get<std::uint64_t>(), l["dram_bytes_written"].get<std::uint64_t>(),
               l["energy_pj"]["total"].get<double>() / 1e6,
               l["bit_exact"].is_null() ? "unchecked" : l["bit_exact"].get<bool>() ? "exact" : "MISMATCH");
  }
  fmt::print(os, "total: {} cycles ({:.3f} us), {} MACs, utilisation {:.1f}%, DRAM {} B read / {} B written\n",
             r["cycles"].get<std::uint64_t>(), r["time_us"].get<double>(), r["macs"].get<std::uint64_t>(),
             100 * r["mac_utilization"].get<double>(), r["dram_bytes_read"].get<std::uint64_t>(),
             r["dram_bytes_written"].get<std::uint64_t>());
  if (const auto overlap = r.value("overlap_cycles", std::uint64_t(0)))
    fmt::print(os, "overlap: layers loaded while the layer before computed for {} cycles ({:.1f}% of the run; "
                   "--no-overlap runs them back to back)\n",
               overlap, 100.0 * double(overlap) / double(std::max<std::uint64_t>(1, r["cycles"].get<std::uint64_t>())));
  std::string parts;
  const double total = r["energy_pj"]["total"].get<double>();
  for (const auto& [component, pj] : r["energy_pj"].items())
    if (component != "total" && pj.get<double>() > 0)
      parts += fmt::format("{}{} {:.1f}%", parts.empty() ? "" : ", ", component, 100 * pj.get<double>() / total);
  fmt::print(os, "energy: {:.3f} uJ ({})\n", total / 1e6, parts);
  for (const auto& l : r["layers"]) {
    const auto& w = l["winograd"];
    const std::string name = l["name"].get<std::string>();
    if (w.contains("fallback")) {
      fmt::print(os, "winograd: {} falls back to direct convolution: {}\n", name, w["fallback"].get<std::string>());
      continue;
    }
    if (w["mode"] == "off") continue;
    const auto issued = w["issued_multiplies"].get<std::uint64_t>(), dense = w["dense_multiplies"].get<std::uint64_t>();
    fmt::print(os, "winograd: {} {}: {} multiplies issued for {} dense ({:.2f}x fewer), {} transform adds ({:.3f} uJ; "
                   "MAC array {:.3f} uJ)\n",
               name, w["mode"].get<std::string>(), issued, dense, issued ? double(dense) / double(issued) : 0.0,
               w["transform_adds"].get<std::uint64_t>(), w["transform_energy_pj"].get<double>() / 1e6,
               w.value("mac_array_energy_pj", 0.0) / 1e6);
    if (w.contains("error_vs_direct")) {
      const auto& e = w["error_vs_direct"];
      fmt::print(os, "winograd: {} error against direct convolution: max |d| {}, mean |d| {:.3f}, mean relative {:.4f}\n",
                 name, e["max_abs"].get<double>(), e["mean_abs"].get<double>(), e["mean_rel"].get<double>());
    }
  }
  if (r.contains("error"))
    fmt::print(os, "error: {} (code {}) in layer {}: {}\n", r["error"]["name"].get<std::string>(),
               r["error"]["code"].get<unsigned>(), r["error"]["layer"].get<unsigned>(),
               r["error"]["message"].get<std::string>());
}

}  // namespace sdla
