/// \file
/// A network report (network_report.hpp) as one self-contained HTML page:
/// inline SVG and CSS only (no script, no font, nothing fetched), readable
/// offline and in any browser.
///
/// The page has a header with the network's figures (report["network"]:
/// frames/s, effective TOPS, energy per inference, pJ/MAC, TOPS/W,
/// bit-exact), four charts and a per-layer table:
///
///   svg#chart-cycles  cycles per layer (bars) and MAC utilisation (dots)
///   svg#chart-energy  energy per layer, stacked by component, with a legend
///   svg#chart-dram    DRAM bytes per layer, stacked by tensor (input, weight,
///                     output, param, residual)
///   svg#chart-power   the power trace (report["power_trace"]), stacked by component
///   table#layer-table the figures of print_summary, one row per layer
///
/// Data elements carry their JSON values for tests and tools:
/// `<rect class="bar" data-layer="conv1" data-value="...">` (data-component
/// or data-tensor on stacked segments, data-window on power bars),
/// `<circle class="util-point" ...>`, and every figure and table cell holds
/// `data-value` with the number exactly as the JSON report writes it; what
/// shows is that number rounded as sdla-run prints it (integers in full).
/// The power chart draws at most 1000 bars: with more windows, k consecutive
/// windows share a bar, whose data-value holds their sums (the chart says so).
/// Every bar has a <title> tooltip. Names are HTML-escaped.
///
///     sdla::write_html_report("net.html", sdla::make_network_report(in));
#pragma once

#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

namespace sdla {

/// The page for `report` (a make_network_report result).
std::string make_html_report(const nlohmann::json& report);
/// Writes it to `path`; throws std::runtime_error naming the file if it cannot.
void write_html_report(const std::string& path, const nlohmann::json& report);
/// `&`, `<`, `>`, `"` and `'` as entities: safe in text and in quoted attributes.
std::string html_escape(std::string_view text);

}  // namespace sdla
