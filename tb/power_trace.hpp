/// \file
/// A network report's power trace: energy per window of N cycles, by
/// component, from the per-layer figures of a run report (report.hpp).
///
/// The rule: the hardware layers run back to back in report order, layer i
/// occupying cycles [s_i, s_i + c_i) with s_0 = 0 and s_{i+1} = s_i + c_i
/// (c_i = layers[i].cycles; host operations between accelerator runs take no
/// accelerator cycles); each layer's energy (layers[i].energy_pj, by
/// component) is spread evenly over its cycles, so a window gets
/// E · overlap / c_i of it. A layer of 0 cycles puts its energy in the
/// window where it starts. Windows are [k·N, (k+1)·N), the last one cut at
/// the end of the last layer; `power_mw` is a window's energy over its own
/// duration at the preset's clock.
///
///     nlohmann::json report = sdla::make_report(...);
///     report["power_trace"] = sdla::make_power_trace(report, 0);  // 0: about 200 windows
///
/// Result: {"window_cycles": N, "cycles": Σ c_i, "components": [...],
///          "windows": [{"start_cycle": s, "cycles": n, "energy_pj": {component: pJ},
///                       "power_mw": total}, ...]}
#pragma once

#include <cstdint>

#include <nlohmann/json.hpp>

namespace sdla {

/// About this many windows when no window is asked for.
inline constexpr std::uint64_t kDefaultPowerWindows = 200;

/// The default window: ceil(cycles / 200), at least 1.
std::uint64_t default_power_window(std::uint64_t cycles);

/// The trace of `report` (needs "layers" with "cycles" and "energy_pj",
/// "energy_pj" and "preset.clock_mhz"); window_cycles 0 picks the default.
nlohmann::json make_power_trace(const nlohmann::json& report, std::uint64_t window_cycles);

}  // namespace sdla
