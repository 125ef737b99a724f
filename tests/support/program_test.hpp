// A GoogleTest fixture that runs one of the project's executables, as a
// person would from a shell, in a fresh temporary directory (kept when the
// test fails, so its files can be looked at).
#pragma once

#include <sys/wait.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>

#include <gtest/gtest.h>

namespace sdla::test {

class ProgramTest : public ::testing::Test {
 protected:
  struct Result {
    int status = -1;
    std::string out, err;
  };

  explicit ProgramTest(std::string executable) : executable_(std::move(executable)) {}

  void SetUp() override {
    std::string tmpl = (std::filesystem::path(::testing::TempDir()) / "sdla_program_test_XXXXXX").string();
    ASSERT_NE(mkdtemp(tmpl.data()), nullptr);
    dir_ = tmpl;
  }
  void TearDown() override {
    std::error_code ec;
    if (!HasFailure())
      std::filesystem::remove_all(dir_, ec);
    else
      std::cout << "files kept in " << dir_ << "\n";
  }

  std::string path(const std::string& name) const { return (dir_ / name).string(); }
  void write_text(const std::string& name, const std::string& text) const { std::ofstream(dir_ / name) << text; }
  static std::string slurp(const std::filesystem::path& p) {
    std::ifstream in(p, std::ios::binary);
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
  }

  /// Runs the executable in the temp dir with `args` (already quoted where needed).
  Result run(const std::string& args) const {
    const std::string cmd =
        "cd '" + dir_.string() + "' && '" + executable_ + "' " + args + " >stdout.txt 2>stderr.txt";
    const int rc = std::system(cmd.c_str());
    Result r;
    r.status = rc != -1 && WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
    r.out = slurp(dir_ / "stdout.txt");
    r.err = slurp(dir_ / "stderr.txt");
    return r;
  }

  std::filesystem::path dir_;

 private:
  std::string executable_;
};

}  // namespace sdla::test
