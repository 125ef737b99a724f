/// \file
/// Output paths checked before the work that fills them: a long simulation
/// must not be lost to a typo in --output or --report.
///
///     sdla::prepare_output_file("runs/a/report.json", "--report");  // creates runs/a/
///     ... simulate ...
///     std::ofstream("runs/a/report.json") << report;
#pragma once

#include <stdexcept>
#include <string>

namespace sdla {

struct OutputFileError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

/// Makes sure `path` can be written later: creates its missing parent
/// folders (as --vcd does) and opens the file for writing. An existing file
/// is opened without truncating it, and is left as it was; a file created
/// for the test is removed again, so nothing is left behind when the work
/// fails. Throws OutputFileError "OPTION PATH: cannot ...: REASON", the
/// reason from the OS (strerror), e.g. "Not a directory", "Is a directory",
/// "Permission denied". `option` names what gave the path ("--output").
void prepare_output_file(const std::string& path, const std::string& option);

}  // namespace sdla
