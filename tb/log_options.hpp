/// \file
/// Logging options of the testbench programs (sdla-run --log-level, --verbose):
/// the level names as SystemC verbosities, and a report handler that sends
/// what SystemC displays to stderr (stdout carries the program's results).
/// The model reports through sc_core::sc_report_handler (sdla/log.hpp);
/// these only set SystemC's own controls, as a virtual platform would.
///
///     sc_core::sc_report_handler::set_verbosity_level(sdla::log_verbosity("high"));
///     sdla::report_to_stderr();
#pragma once

#include <string>
#include <vector>

namespace sdla {

/// The --log-level names, quietest first: none, low, medium, high, full,
/// debug (SystemC's SC_NONE ... SC_DEBUG), and info, the level of the
/// model's layer messages (= high).
const std::vector<std::string>& log_level_names();

/// The SystemC verbosity of a --log-level name; throws std::invalid_argument
/// naming the level and the known ones.
int log_verbosity(const std::string& level);

/// Installs a report handler that writes every report SystemC would display
/// to stderr, prefixed with the simulated time ("@64102 ns Info: sdla/controller:
/// tb.sdla.controller: layer 0 end: ..."); every other action (log file,
/// stop, throw, abort) stays SystemC's default.
void report_to_stderr();

}  // namespace sdla
