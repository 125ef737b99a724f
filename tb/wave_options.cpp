#include "wave_options.hpp"

#include <stdexcept>

namespace sdla {

RtlTraceOptions wave_options(const std::string& vcd, const std::string& vcd_window, unsigned vcd_depth) {
  RtlTraceOptions t;
  if (vcd.empty()) {
    if (!vcd_window.empty()) throw std::invalid_argument("--vcd-window needs --vcd");
    return t;
  }
  if (vcd_depth > 3) throw std::invalid_argument("--vcd-depth " + std::to_string(vcd_depth) + ": expected 0..3");
  t.path = vcd;
  t.depth = vcd_depth;
  if (!vcd_window.empty()) {
    const auto colon = vcd_window.find(':');
    try {
      std::size_t used = 0;
      if (colon == std::string::npos) throw std::invalid_argument("no colon");
      t.first_cycle = std::stoull(vcd_window.substr(0, colon), &used);
      if (used != colon) throw std::invalid_argument("first");
      const std::string last = vcd_window.substr(colon + 1);
      if (!last.empty()) {
        t.last_cycle = std::stoull(last, &used);
        if (used != last.size()) throw std::invalid_argument("last");
      }
    } catch (const std::exception&) {
      throw std::invalid_argument("--vcd-window " + vcd_window + ": expected FIRST:LAST array cycles (LAST may be empty)");
    }
    if (t.last_cycle <= t.first_cycle) throw std::invalid_argument("--vcd-window " + vcd_window + ": LAST must exceed FIRST");
  }
  return t;
}

}  // namespace sdla
