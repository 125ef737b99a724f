#include "wave_options.hpp"

#include <cstdint>
#include <filesystem>
#include <stdexcept>

namespace sdla {

RtlTraceOptions wave_options(const std::string& vcd, const std::string& vcd_window, unsigned vcd_depth,
                             const std::string& waves_format) {
  RtlTraceOptions t;
  if (vcd.empty()) {
    if (!vcd_window.empty()) throw std::invalid_argument("--vcd-window needs --vcd");
    if (!waves_format.empty()) throw std::invalid_argument("--waves-format needs --vcd");
    return t;
  }
  if (vcd_depth > 3) throw std::invalid_argument("--vcd-depth " + std::to_string(vcd_depth) + ": expected 0..3");
  t.path = vcd;
  t.depth = vcd_depth;
  const std::string ext = std::filesystem::path(vcd).extension().string();
  if (!waves_format.empty() && waves_format != "vcd" && waves_format != "fst")
    throw std::invalid_argument("--waves-format " + waves_format + ": expected vcd or fst");
  const std::string format = !waves_format.empty() ? waves_format : ext == ".fst" ? "fst" : "vcd";
  if ((format == "fst" && ext == ".vcd") || (format == "vcd" && ext == ".fst"))
    throw std::invalid_argument("--waves-format " + format + " contradicts the file name " + vcd +
                                ": name it NAME." + format);
  t.format = format == "fst" ? WaveFormat::fst : WaveFormat::vcd;
  if (t.format == WaveFormat::fst && !RtlMacCore::has_fst())
    throw std::invalid_argument("--vcd " + vcd + ": FST waves need the FST models, and this build has none "
                                "(configured with -DSDLA_RTL_FST=OFF); write a .vcd instead");
  if (!vcd_window.empty()) {
    const std::string bad = "--vcd-window " + vcd_window + ": ";
    const auto colon = vcd_window.find(':');
    if (colon == std::string::npos)
      throw std::invalid_argument(bad + "expected FIRST:LAST array cycles (LAST may be empty)");
    // A cycle is a plain decimal number: no sign (stoull would wrap "-5" to 2^64 - 5), no spaces.
    auto cycle = [&](const std::string& text, const char* which) {
      if (text.empty() || text.find_first_not_of("0123456789") != std::string::npos)
        throw std::invalid_argument(bad + which + " '" + text + "' is not a cycle number: expected FIRST:LAST " +
                                    "array cycles, non-negative integers (LAST may be empty)");
      try {
        return std::uint64_t(std::stoull(text));
      } catch (const std::out_of_range&) {
        throw std::invalid_argument(bad + which + " '" + text + "' exceeds 2^64 - 1 cycles");
      }
    };
    t.first_cycle = cycle(vcd_window.substr(0, colon), "FIRST");
    if (const std::string last = vcd_window.substr(colon + 1); !last.empty()) t.last_cycle = cycle(last, "LAST");
    if (t.last_cycle <= t.first_cycle)
      throw std::invalid_argument(bad + "LAST must exceed FIRST (the window is [FIRST, LAST) array cycles)");
  }
  return t;
}

}  // namespace sdla
