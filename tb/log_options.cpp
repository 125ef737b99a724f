#include "log_options.hpp"

#include <cstdio>
#include <stdexcept>
#include <utility>

#include <systemc>

namespace sdla {
namespace {

const std::vector<std::pair<std::string, int>>& levels() {
  static const std::vector<std::pair<std::string, int>> all = {
      {"none", sc_core::SC_NONE}, {"low", sc_core::SC_LOW},   {"medium", sc_core::SC_MEDIUM},
      {"info", sc_core::SC_HIGH}, {"high", sc_core::SC_HIGH}, {"full", sc_core::SC_FULL},
      {"debug", sc_core::SC_DEBUG}};
  return all;
}

void stderr_handler(const sc_core::sc_report& report, const sc_core::sc_actions& actions) {
  if (actions & sc_core::SC_DISPLAY) {
    const std::string line =
        "@" + report.get_time().to_string() + " " + sc_core::sc_report_compose_message(report) + "\n";
    std::fputs(line.c_str(), stderr);
  }
  sc_core::sc_report_handler::default_handler(report, actions & ~sc_core::SC_DISPLAY);
}

}  // namespace

const std::vector<std::string>& log_level_names() {
  static const std::vector<std::string> names = [] {
    std::vector<std::string> n;
    for (const auto& [name, verbosity] : levels()) n.push_back(name);
    return n;
  }();
  return names;
}

int log_verbosity(const std::string& level) {
  for (const auto& [name, verbosity] : levels())
    if (name == level) return verbosity;
  std::string known;
  for (const auto& name : log_level_names()) known += (known.empty() ? "" : ", ") + name;
  throw std::invalid_argument("--log-level " + level + ": expected one of " + known);
}

void report_to_stderr() { sc_core::sc_report_handler::set_handler(stderr_handler); }

}  // namespace sdla
