#include "html_report.hpp"

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <fstream>
#include <iterator>
#include <stdexcept>
#include <vector>

#include <fmt/format.h>

namespace sdla {

std::string html_escape(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&#39;"; break;
      default: out += c;
    }
  return out;
}

namespace {

using nlohmann::json;

// Tableau 10: distinct in print and for most colour-blind readers.
constexpr const char* kPalette[] = {"#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f",
                                    "#edc948", "#b07aa1", "#ff9da7", "#9c755f", "#bab0ac"};
constexpr const char* kTensors[] = {"input", "weight", "output", "param", "residual"};
constexpr const char* kTensorColours[] = {"#4e79a7", "#f28e2b", "#59a14f", "#b07aa1", "#e15759"};

/// A JSON number as the report file writes it (json::dump): data-value attributes.
std::string raw(const json& v) { return html_escape(v.dump()); }
double num(const json& v) { return v.is_number() ? v.get<double>() : 0.0; }

/// A quantity in engineering form: 1.23k, 45.6M (axis labels, tooltips).
std::string si(double v, const char* unit = "") {
  static const char* prefixes[] = {"", "k", "M", "G", "T", "P"};
  int p = 0;
  double a = std::fabs(v);
  while (a >= 1000 && p < 5) a /= 1000, v /= 1000, ++p;
  std::string digits = a >= 100 || a == 0 ? fmt::format("{:.0f}", v) : a >= 10 ? fmt::format("{:.1f}", v)
                                                                               : fmt::format("{:.2f}", v);
  if (digits.find('.') != std::string::npos) {  // 50.0 -> 50, 2.50 -> 2.5
    digits.erase(digits.find_last_not_of('0') + 1);
    if (digits.back() == '.') digits.pop_back();
  }
  return digits + (p || *unit ? " " : "") + prefixes[p] + unit;
}

/// Axis ticks: a step of 1, 2 or 5 times a power of ten giving about `ticks` intervals up to `max`.
struct Axis {
  double step = 1, top = 1;
  explicit Axis(double max, int ticks = 5) {
    if (!(max > 0)) return;
    const double rough = max / ticks, mag = std::pow(10.0, std::floor(std::log10(rough))), norm = rough / mag;
    step = (norm <= 1 ? 1 : norm <= 2 ? 2 : norm <= 5 ? 5 : 10) * mag;
    top = std::ceil(max / step - 1e-9) * step;
  }
};

/// One chart: an SVG of fixed width with a plot area and helpers for axes and legends.
class Chart {
 public:
  static constexpr double kWidth = 1200, kLeft = 78, kRight = 70, kTop = 34, kHeight = 260;

  Chart(std::string id, std::string label, double bottom) : id_(std::move(id)), label_(std::move(label)), bottom_(bottom) {}
  double plot_w() const { return kWidth - kLeft - kRight; }
  double y_of(double v, const Axis& a) const { return kTop + kHeight - kHeight * std::min(v / a.top, 1.05); }
  double base() const { return kTop + kHeight; }
  std::string& body() { return body_; }

  /// Horizontal grid and tick labels on the left (or right) edge; `title` beside the axis.
  void y_axis(const Axis& a, const std::string& title, bool right = false,
              std::string (*label)(double) = nullptr) {
    const double x = right ? kLeft + plot_w() : kLeft;
    for (double v = 0; v <= a.top * (1 + 1e-9); v += a.step) {
      const double y = y_of(v, a);
      if (!right) body_ += fmt::format("<line class=\"grid\" x1=\"{:.1f}\" x2=\"{:.1f}\" y1=\"{:.1f}\" y2=\"{:.1f}\"/>",
                                       kLeft, kLeft + plot_w(), y, y);
      body_ += fmt::format("<text class=\"tick\" x=\"{:.1f}\" y=\"{:.1f}\" text-anchor=\"{}\">{}</text>",
                           right ? x + 6 : x - 6, y + 4, right ? "start" : "end",
                           html_escape(label ? label(v) : si(v)));
    }
    const double tx = right ? kWidth - 14 : 16, ty = kTop + kHeight / 2;
    body_ += fmt::format("<text class=\"axis-title\" transform=\"translate({:.1f},{:.1f}) rotate({})\" "
                         "text-anchor=\"middle\">{}</text>",
                         tx, ty, right ? 90 : -90, html_escape(title));
  }

  /// Swatches and names in a row above the plot.
  void legend(const std::vector<std::pair<std::string, std::string>>& items) {  // (name, colour)
    double x = kLeft;
    body_ += "<g class=\"legend\">";
    for (const auto& [name, colour] : items) {
      body_ += fmt::format("<g class=\"legend-item\" data-name=\"{0}\"><rect x=\"{1:.1f}\" y=\"10\" width=\"11\" "
                           "height=\"11\" fill=\"{2}\"/><text x=\"{3:.1f}\" y=\"20\">{0}</text></g>",
                           html_escape(name), x, colour, x + 15);
      x += 15 + 6.6 * double(name.size()) + 16;
    }
    body_ += "</g>";
  }

  /// Layer names under the slots, rotated; thinned to one in k when slots are narrow.
  void layer_labels(const std::vector<std::string>& names) {
    const double slot = plot_w() / double(std::max<std::size_t>(1, names.size()));
    const std::size_t every = std::max<std::size_t>(1, std::size_t(std::ceil(11.0 / slot)));
    for (std::size_t i = 0; i < names.size(); i += every) {
      const double x = kLeft + slot * (double(i) + 0.5);
      body_ += fmt::format("<text class=\"xlabel\" transform=\"translate({:.1f},{:.1f}) rotate(-60)\" "
                           "text-anchor=\"end\">{}</text>",
                           x + 3, base() + 8, html_escape(short_name(names[i])));
    }
  }

  std::string svg() const {
    const double h = kTop + kHeight + bottom_;
    return fmt::format("<svg id=\"{0}\" class=\"chart\" viewBox=\"0 0 {1:.0f} "
                       "{2:.0f}\" width=\"{1:.0f}\" height=\"{2:.0f}\" role=\"img\" aria-label=\"{3}\"><title>{3}</title>"
                       "{4}<line class=\"axis\" x1=\"{5:.1f}\" x2=\"{6:.1f}\" y1=\"{7:.1f}\" y2=\"{7:.1f}\"/></svg>\n",
                       id_, kWidth, h, html_escape(label_), body_, kLeft, kLeft + plot_w(), kTop + kHeight);
  }

  static std::string short_name(const std::string& s) { return s.size() <= 22 ? s : s.substr(0, 20) + "…"; }

 private:
  std::string id_, label_, body_;
  double bottom_;
};

std::vector<std::string> layer_names(const json& layers) {
  std::vector<std::string> names;
  for (const auto& l : layers) names.push_back(l.value("name", std::string("?")));
  return names;
}

double label_space(const std::vector<std::string>& names) {
  std::size_t longest = 0;
  for (const auto& n : names) longest = std::max(longest, std::min<std::size_t>(n.size(), 21));
  return 24 + 6.0 * double(longest) * 0.87;
}

std::string percent(double v) { return fmt::format("{:.0f}%", 100 * v); }

std::string cycles_chart(const json& layers) {
  const auto names = layer_names(layers);
  Chart c("chart-cycles", "Cycles and MAC utilisation per layer", label_space(names));
  double max_cycles = 0, max_util = 0;
  for (const auto& l : layers) {
    max_cycles = std::max(max_cycles, num(l["cycles"]));
    max_util = std::max(max_util, num(l["mac_utilization"]));
  }
  const Axis ya(max_cycles), ua(std::max(1.0, max_util), 5);
  c.legend({{"cycles (bars, left axis)", "#4e79a7"}, {"MAC utilisation (dots, right axis)", "#e15759"}});
  c.y_axis(ya, "cycles");
  c.y_axis(ua, "MAC utilisation", true, percent);
  const double slot = c.plot_w() / double(std::max<std::size_t>(1, layers.size())), bw = std::max(1.0, slot * 0.78);
  std::string line;
  for (std::size_t i = 0; i < layers.size(); ++i) {
    const json& l = layers[i];
    const double x = Chart::kLeft + slot * double(i) + (slot - bw) / 2, y = c.y_of(num(l["cycles"]), ya);
    const std::string name = html_escape(names[i]);
    c.body() += fmt::format("<rect class=\"bar\" data-layer=\"{}\" data-value=\"{}\" x=\"{:.2f}\" y=\"{:.2f}\" "
                            "width=\"{:.2f}\" height=\"{:.2f}\" fill=\"#4e79a7\"><title>{}: {} cycles, MAC utilisation "
                            "{:.1f}%</title></rect>",
                            name, raw(l["cycles"]), x, y, bw, c.base() - y, name, raw(l["cycles"]),
                            100 * num(l["mac_utilization"]));
    const double cx = Chart::kLeft + slot * (double(i) + 0.5), cy = c.y_of(num(l["mac_utilization"]), ua);
    line += fmt::format("{}{:.2f},{:.2f}", line.empty() ? "" : " ", cx, cy);
  }
  c.body() += fmt::format("<polyline class=\"util-line\" points=\"{}\" fill=\"none\" stroke=\"#e15759\" "
                          "stroke-width=\"1\" stroke-opacity=\"0.6\"/>",
                          line);
  for (std::size_t i = 0; i < layers.size(); ++i) {
    const json& l = layers[i];
    const double cx = Chart::kLeft + slot * (double(i) + 0.5), cy = c.y_of(num(l["mac_utilization"]), ua);
    c.body() += fmt::format("<circle class=\"util-point\" data-layer=\"{0}\" data-value=\"{1}\" cx=\"{2:.2f}\" "
                            "cy=\"{3:.2f}\" r=\"3\" fill=\"#e15759\"><title>{0}: MAC utilisation {4:.1f}%</title>"
                            "</circle>",
                            html_escape(names[i]), raw(l["mac_utilization"]), cx, cy, 100 * num(l["mac_utilization"]));
  }
  c.layer_labels(names);
  return c.svg();
}

/// Stacked bars per layer: `parts` (name, colour) taken from `value(layer, part)`.
std::string stacked_chart(const std::string& id, const std::string& label, const std::string& axis_title,
                          const char* attribute, const json& layers,
                          const std::vector<std::pair<std::string, std::string>>& parts,
                          const json* (*value)(const json&, const std::string&), double scale, const char* unit) {
  const auto names = layer_names(layers);
  Chart c(id, label, label_space(names));
  double max = 0;
  for (const auto& l : layers) {
    double sum = 0;
    for (const auto& [p, colour] : parts)
      if (const json* v = value(l, p)) sum += num(*v);
    max = std::max(max, sum * scale);
  }
  const Axis ya(max);
  c.legend(parts);
  c.y_axis(ya, axis_title);
  const double slot = c.plot_w() / double(std::max<std::size_t>(1, layers.size())), bw = std::max(1.0, slot * 0.78);
  for (std::size_t i = 0; i < layers.size(); ++i) {
    const json& l = layers[i];
    const std::string name = html_escape(names[i]);
    double total = 0;
    for (const auto& [p, colour] : parts)
      if (const json* v = value(l, p)) total += num(*v);
    const double x = Chart::kLeft + slot * double(i) + (slot - bw) / 2;
    double acc = 0;
    c.body() += fmt::format("<g class=\"stack\" data-layer=\"{}\">", name);
    for (const auto& [p, colour] : parts) {
      const json* v = value(l, p);
      if (!v || num(*v) <= 0) continue;
      const double y0 = c.y_of(acc * scale, ya), y1 = c.y_of((acc + num(*v)) * scale, ya);
      acc += num(*v);
      c.body() += fmt::format("<rect class=\"bar\" data-layer=\"{0}\" {1}=\"{2}\" data-value=\"{3}\" x=\"{4:.2f}\" "
                              "y=\"{5:.2f}\" width=\"{6:.2f}\" height=\"{7:.2f}\" fill=\"{8}\"><title>{0}: {2} {9} "
                              "({10:.1f}% of {11})</title></rect>",
                              name, attribute, html_escape(p), raw(*v), x, y1, bw, y0 - y1, colour,
                              si(num(*v) * scale, unit), total > 0 ? 100 * num(*v) / total : 0.0,
                              si(total * scale, unit));
    }
    c.body() += "</g>";
  }
  c.layer_labels(names);
  return c.svg();
}

const json* energy_of(const json& layer, const std::string& component) {
  const auto& e = layer["energy_pj"];
  const auto it = e.find(component);
  return it == e.end() ? nullptr : &*it;
}

const json* traffic_of(const json& layer, const std::string& tensor) {
  const auto& t = layer["dram_traffic"];
  const auto it = t.find(tensor);
  return it == t.end() ? nullptr : &(*it)["bytes"];
}

std::string power_chart(const json& report, const std::vector<std::pair<std::string, std::string>>& parts) {
  Chart c("chart-power", "Power trace: each layer's energy spread evenly over its cycles", 52);
  if (!report.contains("power_trace") || report["power_trace"]["windows"].empty()) {
    c.body() += "<text x=\"100\" y=\"120\">no power trace in this report</text>";
    return c.svg();
  }
  const json& trace = report["power_trace"];
  const json& windows = trace["windows"];
  const double mhz = num(report["preset"]["clock_mhz"]);
  const double total = num(trace["cycles"]);
  // Layer spans on the same timeline, for the tooltips (back to back, as the trace).
  std::vector<std::pair<double, std::string>> starts;
  double at = 0;
  for (const auto& l : report["layers"]) {
    starts.emplace_back(at, l.value("name", std::string("?")));
    at += num(l["cycles"]);
  }
  double max = 0;
  for (const auto& w : windows) max = std::max(max, num(w["power_mw"]));
  const Axis ya(max), xa(total, 10);
  c.legend(parts);
  c.y_axis(ya, "power mW");
  for (double v = 0; v <= total; v += xa.step) {
    const double x = Chart::kLeft + c.plot_w() * v / total;
    c.body() += fmt::format("<line class=\"axis\" x1=\"{0:.1f}\" x2=\"{0:.1f}\" y1=\"{1:.1f}\" y2=\"{2:.1f}\"/>"
                            "<text class=\"tick\" x=\"{0:.1f}\" y=\"{3:.1f}\" text-anchor=\"middle\">{4}</text>",
                            x, c.base(), c.base() + 4, c.base() + 16, html_escape(si(v)));
  }
  const double window_us = num(trace["window_cycles"]) / mhz;
  const std::string window_time = window_us >= 1000 ? fmt::format("{:.3g} ms", window_us / 1000)
                                  : window_us >= 1  ? fmt::format("{:.3g} µs", window_us)
                                                    : fmt::format("{:.3g} ns", window_us * 1000);
  c.body() += fmt::format("<text class=\"axis-title\" x=\"{:.1f}\" y=\"{:.1f}\" text-anchor=\"middle\">cycles (a window "
                          "is {} cycles, {} at {:g} MHz; {} windows)</text>",
                          Chart::kLeft + c.plot_w() / 2, c.base() + 38, raw(trace["window_cycles"]), window_time, mhz,
                          windows.size());
  // At most kMaxBars bars: beyond that (a small --power-window), k consecutive windows share one bar.
  constexpr std::size_t kMaxBars = 1000;
  const std::size_t k = (windows.size() + kMaxBars - 1) / kMaxBars;
  if (k > 1)
    c.body() += fmt::format("<text class=\"axis-title\" x=\"{:.1f}\" y=\"28\" text-anchor=\"end\">{} windows "
                            "per bar</text>",
                            Chart::kLeft + c.plot_w(), k);
  std::size_t layer = 0;
  for (std::size_t i = 0; i < windows.size(); i += k) {
    const std::size_t end = std::min(windows.size(), i + k);
    const json& w = windows[i];
    const double s = num(w["start_cycle"]);
    double n = 0;
    std::vector<double> pj(parts.size(), 0.0);
    for (std::size_t j = i; j < end; ++j) {
      n += num(windows[j]["cycles"]);
      for (std::size_t p = 0; p < parts.size(); ++p)
        if (const auto it = windows[j]["energy_pj"].find(parts[p].first); it != windows[j]["energy_pj"].end())
          pj[p] += num(*it);
    }
    double power = 0;
    for (double e : pj) power += e * mhz / n * 1e-3;
    const double x = Chart::kLeft + c.plot_w() * s / total, bw = std::max(0.5, c.plot_w() * n / total - 0.4);
    while (layer + 1 < starts.size() && starts[layer + 1].first <= s) ++layer;
    std::size_t last = layer;
    while (last + 1 < starts.size() && starts[last + 1].first < s + n) ++last;
    const std::string span = last == layer ? html_escape(starts[layer].second)
                                           : html_escape(starts[layer].second + " … " + starts[last].second);
    double acc = 0;
    // One window per bar: data-value is the JSON's; merged windows: their sums.
    c.body() += fmt::format("<g class=\"window\" data-window=\"{}\" data-start-cycle=\"{}\" data-value=\"{}\">", i,
                            raw(w["start_cycle"]), k == 1 ? raw(w["power_mw"]) : fmt::format("{}", power));
    for (std::size_t p = 0; p < parts.size(); ++p) {
      if (pj[p] <= 0) continue;
      const double mw = pj[p] * mhz / n * 1e-3;  // as power_mw: pJ over the window's time
      const double y0 = c.y_of(acc, ya), y1 = c.y_of(acc + mw, ya);
      acc += mw;
      const std::string value = k == 1 ? raw(w["energy_pj"][parts[p].first]) : fmt::format("{}", pj[p]);
      c.body() += fmt::format("<rect class=\"bar\" data-window=\"{}\" data-component=\"{}\" data-value=\"{}\" "
                              "x=\"{:.2f}\" y=\"{:.2f}\" width=\"{:.2f}\" height=\"{:.2f}\" fill=\"{}\"><title>cycles "
                              "{:.0f}–{:.0f} ({}): {} {:.1f} mW of {:.1f} mW</title></rect>",
                              i, html_escape(parts[p].first), value, x, y1, bw, y0 - y1, parts[p].second, s, s + n,
                              span, html_escape(parts[p].first), mw, power);
    }
    c.body() += "</g>";
  }
  return c.svg();
}

std::string figure(const char* id, const char* name, const json& v, const std::string& shown, const char* unit) {
  return fmt::format("<div class=\"figure\"><dt>{}</dt><dd id=\"{}\" data-value=\"{}\">{}<span class=\"unit\">{}"
                     "</span></dd></div>\n",
                     name, id, raw(v), html_escape(shown), unit);
}

std::string cell(const json& v, const std::string& shown, const char* cls = "num") {
  return fmt::format("<td class=\"{}\" data-value=\"{}\">{}</td>", cls, raw(v), html_escape(shown));
}

std::string shape_of(const json& l) {
  std::string s = fmt::format("{},{}x{}->{}", l.value("in_channels", 0u), l.value("in_height", 1u),
                              l.value("in_width", 1u), l.value("out_channels", 0u));
  if (l.contains("kernel") && l["kernel"].size() == 2)
    s += fmt::format(" k{}x{}", l["kernel"][0].get<unsigned>(), l["kernel"][1].get<unsigned>());
  if (l.contains("groups")) s += fmt::format(" g{}", l["groups"].get<unsigned>());
  return s;
}

std::string check_of(const json& v) { return v.is_null() ? "unchecked" : v.get<bool>() ? "exact" : "MISMATCH"; }

std::string layer_table(const json& r) {
  std::string t = "<table id=\"layer-table\">\n<thead><tr><th>#</th><th>layer</th><th>op</th><th>shape "
                  "C,HxW-&gt;K</th><th>cycles</th><th>MACs</th><th>MAC util.</th><th>DRAM read B</th><th>DRAM "
                  "written B</th><th>energy µJ</th><th>check</th></tr></thead>\n<tbody>\n";
  const json& layers = r["layers"];
  for (std::size_t i = 0; i < layers.size(); ++i) {
    const json& l = layers[i];
    t += fmt::format("<tr data-layer=\"{0}\"><td class=\"num\">{1}</td><td class=\"name\">{0}</td><td>{2}</td>"
                     "<td>{3}</td>",
                     html_escape(l.value("name", std::string("?"))), i, html_escape(l.value("op", std::string())),
                     html_escape(shape_of(l)));
    t += cell(l["cycles"], l["cycles"].dump()) + cell(l["macs"], l["macs"].dump()) +
         cell(l["mac_utilization"], fmt::format("{:.1f}%", 100 * num(l["mac_utilization"]))) +
         cell(l["dram_bytes_read"], l["dram_bytes_read"].dump()) +
         cell(l["dram_bytes_written"], l["dram_bytes_written"].dump()) +
         cell(l["energy_pj"]["total"], fmt::format("{:.3f}", num(l["energy_pj"]["total"]) / 1e6)) +
         cell(l["bit_exact"], check_of(l["bit_exact"]), l["bit_exact"] == false ? "bad" : "check") + "</tr>\n";
  }
  t += "</tbody>\n<tfoot><tr><td></td><td class=\"name\">total</td><td></td><td></td>";
  t += cell(r["cycles"], r["cycles"].dump()) + cell(r["macs"], r["macs"].dump()) +
       cell(r["mac_utilization"], fmt::format("{:.1f}%", 100 * num(r["mac_utilization"]))) +
       cell(r["dram_bytes_read"], r["dram_bytes_read"].dump()) +
       cell(r["dram_bytes_written"], r["dram_bytes_written"].dump()) +
       cell(r["energy_pj"]["total"], fmt::format("{:.3f}", num(r["energy_pj"]["total"]) / 1e6)) +
       cell(r["bit_exact"], check_of(r["bit_exact"]), r["bit_exact"] == false ? "bad" : "check") +
       "</tr></tfoot>\n</table>\n";
  return t;
}

constexpr const char* kStyle = R"(
body { font-family: sans-serif; color: #222; margin: 24px auto; max-width: 1240px; padding: 0 12px; }
h1 { font-size: 24px; margin: 0 0 4px; } h2 { font-size: 18px; margin: 28px 0 6px; }
p.sub { color: #555; margin: 0 0 14px; }
dl.figures { display: flex; flex-wrap: wrap; gap: 10px; margin: 0; }
div.figure { border: 1px solid #ccd; border-radius: 6px; padding: 8px 14px; min-width: 120px; background: #f6f7fb; }
div.figure dt { font-size: 12px; color: #555; } div.figure dd { margin: 2px 0 0; font-size: 22px; font-weight: bold; }
span.unit { font-size: 13px; font-weight: normal; color: #555; margin-left: 4px; }
svg.chart { display: block; max-width: 100%; height: auto; }
svg text { font-family: sans-serif; font-size: 11px; fill: #333; }
svg text.xlabel { font-size: 10px; } svg text.axis-title { font-size: 12px; fill: #555; }
svg line.grid { stroke: #e4e4e4; } svg line.axis { stroke: #888; }
svg rect.bar:hover, svg circle.util-point:hover { stroke: #000; stroke-width: 1; }
table { border-collapse: collapse; font-size: 12px; margin-top: 6px; }
th, td { padding: 3px 8px; border-bottom: 1px solid #e4e4e4; }
th { background: #eef0f6; position: sticky; top: 0; text-align: left; }
td.num { text-align: right; font-variant-numeric: tabular-nums; } td.bad { color: #b00; font-weight: bold; }
tbody tr:nth-child(even) { background: #fafafa; } tfoot td { font-weight: bold; border-top: 2px solid #999; }
p.note { color: #555; font-size: 12px; max-width: 960px; }
)";

}  // namespace

std::string make_html_report(const json& r) {
  static const json empty = json::object();
  const json& n = r.contains("network") ? r["network"] : empty;
  const json& layers = r["layers"];
  const std::string name = n.value("name", std::string("network"));

  std::vector<std::pair<std::string, std::string>> components;  // with energy anywhere, in the report's order
  for (const auto& [component, pj] : r["energy_pj"].items())
    if (component != "total" && num(pj) > 0)
      components.emplace_back(component, kPalette[components.size() % std::size(kPalette)]);
  std::vector<std::pair<std::string, std::string>> tensors;
  for (std::size_t t = 0; t < std::size(kTensors); ++t)
    if (r["dram_traffic"].contains(kTensors[t])) tensors.emplace_back(kTensors[t], kTensorColours[t]);

  std::string h = "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n";
  h += fmt::format("<title>sdla report: {}</title>\n<style>{}</style>\n</head>\n<body>\n", html_escape(name), kStyle);
  h += fmt::format("<header>\n<h1>sdla — network {}</h1>\n", html_escape(name));
  std::string sub = fmt::format("preset {}, MAC array {}", r["preset"].value("name", std::string("?")),
                                r.value("mac_array_source", std::string("?")));
  if (n.contains("precision")) sub += ", " + n["precision"].get<std::string>();
  if (n.contains("input") && n["input"].size() == 3)
    sub += fmt::format(", input {}×{}×{}", n["input"][0].dump(), n["input"][1].dump(), n["input"][2].dump());
  if (n.contains("prune")) sub += ", pruning " + n["prune"].get<std::string>();
  sub += fmt::format(", {} hardware layers", layers.size());
  if (n.contains("runs")) sub += fmt::format(" in {} run(s)", n["runs"].dump());
  if (n.contains("host_ops") && !n["host_ops"].empty()) sub += fmt::format(", {} host operations", n["host_ops"].size());
  sub += fmt::format(", {} cycles, {} MACs, status {}", r["cycles"].dump(), n.value("macs", r.value("macs", 0ull)),
                     r.value("status", std::string("?")));
  h += "<p class=\"sub\">" + html_escape(sub) + "</p>\n<dl class=\"figures\" id=\"figures\">\n";
  if (!n.empty()) {
    h += figure("fig-fps", "frames per second", n["frames_per_second"],
                fmt::format("{:.1f}", num(n["frames_per_second"])), "fps");
    h += figure("fig-tops", "effective TOPS", n["effective_tops"], fmt::format("{:.2f}", num(n["effective_tops"])),
                "TOPS");
    h += figure("fig-energy", "energy per inference", n["energy_uj_per_inference"],
                fmt::format("{:.1f}", num(n["energy_uj_per_inference"])), "µJ");
    h += figure("fig-pj-per-mac", "energy per MAC", n["pj_per_mac"], fmt::format("{:.3f}", num(n["pj_per_mac"])),
                "pJ/MAC");
    h += figure("fig-tops-per-w", "efficiency", n["tops_per_w"], fmt::format("{:.2f}", num(n["tops_per_w"])),
                "TOPS/W");
  }
  h += figure("fig-bit-exact", "bit-exact", r["bit_exact"],
              r["bit_exact"].is_null() ? "not checked" : r["bit_exact"].get<bool>() ? "yes" : "NO", "");
  h += "</dl>\n";
  if (r.contains("error"))
    h += "<p class=\"sub\"><b>error:</b> " + html_escape(r["error"].value("message", std::string())) + "</p>\n";
  h += "</header>\n";

  h += "<section>\n<h2>Cycles and MAC utilisation per layer</h2>\n" + cycles_chart(layers) + "</section>\n";
  h += "<section>\n<h2>Energy per layer, by component</h2>\n" +
       stacked_chart("chart-energy", "Energy per layer by component", "energy µJ", "data-component", layers,
                     components, energy_of, 1e-6, "µJ") +
       "</section>\n";
  h += "<section>\n<h2>DRAM traffic per layer, by tensor</h2>\n" +
       stacked_chart("chart-dram", "DRAM bytes moved per layer by tensor", "bytes", "data-tensor", layers, tensors,
                     traffic_of, 1.0, "B") +
       "</section>\n";
  h += "<section>\n<h2>Power trace</h2>\n" + power_chart(r, components);
  h += "<p class=\"note\">The hardware layers run back to back in order; each layer's energy is spread evenly over "
       "its cycles and summed per window (report <code>power_trace</code>); host operations between accelerator runs "
       "take no accelerator cycles.</p>\n</section>\n";
  h += "<section>\n<h2>Layers</h2>\n" + layer_table(r) + "</section>\n</body>\n</html>\n";
  return h;
}

void write_html_report(const std::string& path, const json& report) {
  const std::string page = make_html_report(report);
  errno = 0;
  std::ofstream out(path, std::ios::binary);
  if (out) out << page;
  out.close();
  if (!out)
    throw std::runtime_error("--html " + path + ": cannot write the report: " +
                             (errno ? std::strerror(errno) : "unknown error"));
}

}  // namespace sdla
