#include "io/output_file.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <system_error>

namespace sdla {

void prepare_output_file(const std::string& path, const std::string& option) {
  namespace fs = std::filesystem;
  const std::string where = option + " " + path + ": ";
  if (path.empty()) throw OutputFileError(option + ": empty path");
  const fs::path p(path);
  if (p.has_parent_path()) {
    std::error_code ec;
    fs::create_directories(p.parent_path(), ec);
    if (ec)
      throw OutputFileError(where + "cannot create the folder '" + p.parent_path().string() + "': " + ec.message());
  }
  // O_EXCL first: a file this creates is only a probe, and is removed again.
  bool created = true;
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
  if (fd < 0 && errno == EEXIST) {
    created = false;
    fd = ::open(path.c_str(), O_WRONLY | O_CLOEXEC);  // no O_TRUNC: an existing file stays as it is
  }
  if (fd < 0) {
    const int err = errno;
    throw OutputFileError(where + "cannot open for writing: " + std::strerror(err));
  }
  ::close(fd);
  if (created) ::unlink(path.c_str());
}

}  // namespace sdla
