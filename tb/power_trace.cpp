#include "power_trace.hpp"

#include <algorithm>
#include <string>
#include <vector>

namespace sdla {

std::uint64_t default_power_window(std::uint64_t cycles) {
  return std::max<std::uint64_t>(1, (cycles + kDefaultPowerWindows - 1) / kDefaultPowerWindows);
}

nlohmann::json make_power_trace(const nlohmann::json& report, std::uint64_t window_cycles) {
  const nlohmann::json& layers = report.at("layers");
  std::vector<std::string> components;
  for (const auto& [component, pj] : report.at("energy_pj").items())
    if (component != "total") components.push_back(component);
  std::uint64_t total = 0;
  for (const auto& l : layers) total += l.at("cycles").get<std::uint64_t>();
  const std::uint64_t n = window_cycles ? window_cycles : default_power_window(total);
  const std::uint64_t windows = (total + n - 1) / n;

  // energy[w][c]: pJ of component c in window w.
  std::vector<std::vector<double>> energy(windows, std::vector<double>(components.size(), 0.0));
  std::uint64_t start = 0;
  for (const auto& l : layers) {
    const std::uint64_t c = l.at("cycles").get<std::uint64_t>();
    const nlohmann::json& e = l.at("energy_pj");
    for (std::size_t k = 0; k < components.size(); ++k) {
      const auto it = e.find(components[k]);
      if (it == e.end() || windows == 0) continue;
      const double pj = it->get<double>();
      if (c == 0) {  // no cycles to spread over: all of it where the layer starts
        energy[std::min(start / n, windows - 1)][k] += pj;
        continue;
      }
      for (std::uint64_t w = start / n; w * n < start + c; ++w) {
        const std::uint64_t lo = std::max(start, w * n), hi = std::min(start + c, (w + 1) * n);
        energy[w][k] += pj * double(hi - lo) / double(c);
      }
    }
    start += c;
  }

  const double mhz = report.at("preset").at("clock_mhz").get<double>();
  nlohmann::json out = nlohmann::json::array();
  for (std::uint64_t w = 0; w < windows; ++w) {
    const std::uint64_t lo = w * n, len = std::min(total, lo + n) - lo;
    nlohmann::json by = nlohmann::json::object();
    double sum = 0;
    for (std::size_t k = 0; k < components.size(); ++k) {
      by[components[k]] = energy[w][k];
      sum += energy[w][k];
    }
    // pJ over len cycles at mhz MHz: pJ · 1e-12 / (len / (mhz · 1e6)) W = pJ · mhz / len · 1e-3 mW.
    out.push_back({{"start_cycle", lo}, {"cycles", len}, {"energy_pj", by},
                   {"power_mw", sum * mhz / double(len) * 1e-3}});
  }
  return {{"window_cycles", n}, {"cycles", total}, {"components", components}, {"windows", out}};
}

}  // namespace sdla
