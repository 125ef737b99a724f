/// \file
/// Logging the SystemC way: the model's units report through
/// sc_core::sc_report_handler, as SC_INFO messages whose type is an ID under
/// "sdla/" (one per unit) and whose text starts with the reporting module's
/// hierarchical name. Whoever runs the model decides what shows, with
/// SystemC's own controls, exactly as for any other IP of a virtual platform:
///
///     sc_core::sc_report_handler::set_verbosity_level(sc_core::SC_HIGH);   // layer start and end
///     sc_core::sc_report_handler::set_actions("sdla/dma", sc_core::SC_INFO, sc_core::SC_DO_NOTHING);
///
/// Every message sits above SystemC's default verbosity (SC_MEDIUM), so a
/// model left at the default prints nothing. In a unit:
///
///     log_info(*this, log_id::controller, kLogLayer, "layer {} start", index);
///
/// The text is formatted only when the verbosity lets the message through.
#pragma once

#include <string>
#include <utility>

#include <fmt/format.h>
#include <systemc>

namespace sdla {

/// Message IDs (sc_report message types), one per unit that reports.
namespace log_id {
inline constexpr char controller[] = "sdla/controller";  ///< run and layer start/end, descriptor fetches
inline constexpr char dma[] = "sdla/dma";                ///< DMA errors; every transfer at kLogTransfer
inline constexpr char loader[] = "sdla/loader";          ///< tile steps
inline constexpr char mac_protocol[] = "sdla/mac_protocol";  ///< SC_ERROR: pin protocol of the MAC array broken (rtl/mac_protocol_checker.hpp)
}  // namespace log_id

/// Verbosities of the messages (all above SC_MEDIUM: quiet by default).
/// Layers: run and layer start and end (shape, cycles), run errors, DMA errors.
inline constexpr int kLogLayer = sc_core::SC_HIGH;
/// Steps: descriptor fetches and every tile step a layer is cut into.
inline constexpr int kLogStep = sc_core::SC_FULL;
/// Transfers: every DMA request list (direction, tensor, bytes).
inline constexpr int kLogTransfer = sc_core::SC_DEBUG;

/// A message at `verbosity` would be reported.
inline bool log_enabled(int verbosity) { return sc_core::sc_report_handler::get_verbosity_level() >= verbosity; }

/// Reports "<who.name()>: <text>" as SC_INFO under `id` at `verbosity`; the
/// text is formatted only when the verbosity lets it through.
template <class... Args>
void log_info(const sc_core::sc_object& who, const char* id, int verbosity, fmt::format_string<Args...> format,
              Args&&... args) {
  if (!log_enabled(verbosity)) return;
  const std::string text = std::string(who.name()) + ": " + fmt::format(format, std::forward<Args>(args)...);
  sc_core::sc_report_handler::report(sc_core::SC_INFO, id, text.c_str(), verbosity, "", 0);
}

}  // namespace sdla
