// sdla-run on mutated inputs, as a process: a few mutated layer files and
// .npy operands (fuzz_inputs.hpp) on tiny layers. Every run must exit 0 (it
// ran) or 2 (bad input, reported as "sdla-run: error: ..."), never another
// status or a signal: between the readers (fuzzed in process by
// test_fuzz_readers.cpp) and the exit status, nothing may turn a bad file
// into a crash. A mutated layer file that parses is run only while it stays
// tiny, so that each run takes a moment.
//
//   SDLA_FUZZ_CLI_CASES=N cases per test (default 10); SDLA_SEED=S as everywhere; one case:
//     SDLA_SEED=S SDLA_FUZZ_CASE=I BUILD/bin/test_fuzz_sdla_run --gtest_filter=FuzzSdlaRun.LayerFiles
#include <gtest/gtest.h>

#include <cstdint>
#include <fstream>
#include <iostream>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "expect_has.hpp"
#include "fuzz_inputs.hpp"
#include "io/layer_file.hpp"
#include "io/npy.hpp"
#include "program_test.hpp"
#include "seed.hpp"

#ifndef SDLA_RUN
#error "SDLA_RUN must name the sdla-run executable"
#endif

namespace {

using sdla::fuzz::Rng;

class FuzzSdlaRun : public sdla::test::ProgramTest {
 protected:
  FuzzSdlaRun() : ProgramTest(SDLA_RUN) {}

  void put(const std::string& name, const std::string& bytes) const {
    std::ofstream(path(name), std::ios::binary | std::ios::trunc) << bytes;
  }

  /// Runs sdla-run; the status must be 0 or 2, and 2 must come with sdla-run's error line.
  int expect_clean_exit(const std::string& args, const std::string& what) {
    const Result r = run(args);
    ++statuses_[r.status];
    EXPECT_TRUE(r.status == 0 || r.status == 2)
        << what << ": sdla-run " << args << " exited with status " << r.status
        << " (-1 or above 128: killed by a signal)\nstdout:\n" << r.out << "\nstderr:\n" << r.err;
    if (r.status == 2) {
      EXPECT_HAS(r.err, "sdla-run: error: ");
    } else if (r.status == 0) {
      EXPECT_TRUE(r.out.find("PASS") != std::string::npos || r.out.find("DONE") != std::string::npos)
          << what << "\n" << r.out;
    }
    return r.status;
  }

  void TearDown() override {
    std::cout << "sdla-run exit statuses:";
    for (const auto& [status, n] : statuses_) std::cout << " " << status << " (" << n << "x)";
    std::cout << "\n";
    ProgramTest::TearDown();
  }

  std::map<int, int> statuses_;

  /// The cases to run: SDLA_FUZZ_CASE alone, or the first SDLA_FUZZ_CLI_CASES.
  static std::vector<std::uint64_t> cases() {
    if (const auto only = sdla::fuzz::env_case()) return {*only};
    std::vector<std::uint64_t> all(sdla::fuzz::env_count("SDLA_FUZZ_CLI_CASES", 10));
    for (std::size_t i = 0; i < all.size(); ++i) all[i] = i;
    return all;
  }
};

/// One int8 conv layer with post-processing (the operand test's layer), and tiny versions of the seed kinds.
const char* const kConv = R"({"name": "tiny", "op": "conv2d", "in_channels": 4, "in_height": 6, "in_width": 6,
 "out_channels": 8, "kernel": [3, 3], "padding": [1, 1], "precision": "int8",
 "post": {"multiplier": 3, "shift": 6, "relu": true}})";

const sdla::fuzz::LayerSeeds& tiny_layers() {
  static const sdla::fuzz::LayerSeeds seeds({
      kConv,
      R"({"op": "fc", "in_channels": 16, "out_channels": 4, "precision": "int16",
 "post": {"multiplier": [1, -2, 3, 4], "shift": [0, 1, 62, 7]}})",
      R"({"name": "wino", "op": "conv2d", "in_channels": 8, "in_height": 5, "in_width": 4, "out_channels": 8,
 "kernel": [3, 3], "padding": [1, 0, 1, 1], "winograd": "nvdla", "winograd_input_shift": 1,
 "activation_format": "zvc", "post": {"shift": 2}})",
      R"({"layers": [
  {"name": "a", "op": "conv2d", "in_channels": 8, "in_height": 6, "in_width": 6, "out_channels": 8,
   "kernel": [3, 3], "padding": [1, 1], "weight_format": "zvc", "weight_density": 0.5, "winograd": "auto",
   "post": {"multiplier": 1, "shift": 8, "relu": true}},
  {"name": "b", "op": "conv2d", "in_channels": 8, "in_height": 6, "in_width": 6, "out_channels": 8,
   "kernel": [1, 1], "stride": [2, 2], "weight_format": "2:4", "activation_format": "zvc"}]})",
  });
  return seeds;
}

/// Small enough that sdla-run takes a moment on the small preset.
bool tiny(const std::vector<sdla::Layer>& layers) {
  double macs = 0, elements = 0;
  for (const sdla::Layer& l : layers) {
    const double pixels = double(l.out_height()) * l.out_width();
    macs += pixels * l.out_channels * l.in_channels * l.kernel_h * l.kernel_w;
    elements += double(l.in_channels) * l.in_height * l.in_width + pixels * l.out_channels +
                double(l.out_channels) * l.in_channels * l.kernel_h * l.kernel_w;
  }
  return layers.size() <= 4 && macs <= 2e6 && elements <= 1e6;
}

TEST_F(FuzzSdlaRun, LayerFiles) {
  const std::uint64_t seed = sdla::test::seed(1);
  put("seed.json", kConv);
  ASSERT_EQ(expect_clean_exit("--layer seed.json --preset small --no-check", "the unmutated seed"), 0);
  for (const std::uint64_t i : cases()) {
    Rng rng = sdla::fuzz::case_rng(seed, "sdla-run layer file", i);
    const std::string name = "case" + std::to_string(i) + ".json";
    // Even cases draw until the file is read and stays tiny, so that mutated layers run; odd ones take
    // the first file refused (sdla-run must refuse it too) or tiny. The draws depend on the case alone.
    std::string what;
    for (int attempt = 0; attempt < 2000; ++attempt) {
      what.clear();
      put(name, sdla::fuzz::mutate_layer_file(rng, what, tiny_layers()));
      bool read = false, small = false;
      try {
        small = tiny(sdla::read_layer_file(path(name)));
        read = true;
      } catch (const std::exception&) {
      }
      if (small || (!read && i % 2 == 1)) break;
    }
    SCOPED_TRACE("case " + std::to_string(i) + " of seed " + std::to_string(seed) + ": " + what);
    expect_clean_exit("--layer " + name + " --preset small --no-check", name);
  }
}

TEST_F(FuzzSdlaRun, NpyOperands) {
  const std::uint64_t seed = sdla::test::seed(1);
  put("tiny.json", kConv);
  Rng fill(7);
  auto bytes = [&](std::size_t n) {
    std::string s(n, '\0');
    for (char& c : s) c = char(fill.below(256));
    return s;
  };
  // The operands kConv takes: input [C,H,W] or [1,C,H,W], weights [K,C,R,S], int32 bias [K].
  const std::vector<std::pair<std::string, std::vector<sdla::fuzz::NpyDoc>>> operands{
      {"--input", {sdla::fuzz::npy_doc("|i1", "(4, 6, 6)", bytes(144)),
                   sdla::fuzz::npy_doc("|i1", "(1, 4, 6, 6)", bytes(144), 2)}},
      {"--weights", {sdla::fuzz::npy_doc("<i1", "(8, 4, 3, 3)", bytes(288))}},
      {"--bias", {sdla::fuzz::npy_doc("<i4", "(8,)", bytes(32))}},
  };
  for (const auto& [option, docs] : operands) {
    put("seed.npy", docs[0].bytes());
    const int status = expect_clean_exit("--layer tiny.json --preset small " + option + " seed.npy", "the seed");
    ASSERT_EQ(status, 0) << "unmutated " << option;
  }
  for (const std::uint64_t i : cases()) {
    Rng rng = sdla::fuzz::case_rng(seed, "sdla-run npy", i);
    const auto& [option, docs] = rng.pick(operands);
    std::vector<std::string> seed_bytes;
    for (const auto& d : docs) seed_bytes.push_back(d.bytes());
    // Even cases draw until the file's header is read, so that mutated data and shapes get further.
    std::string what;
    const std::string name = "case" + std::to_string(i) + ".npy";
    for (int attempt = 0; attempt < 2000; ++attempt) {
      what.clear();
      put(name, sdla::fuzz::mutate_npy(docs, seed_bytes, rng, what));
      if (i % 2 == 1) break;
      try {
        sdla::npy::read_header(path(name));
        break;
      } catch (const std::exception&) {
      }
    }
    SCOPED_TRACE("case " + std::to_string(i) + " of seed " + std::to_string(seed) + ": " + option + " " + what);
    // Checked against the golden reference: a file that is read must also compute right.
    expect_clean_exit("--layer tiny.json --preset small " + option + " " + name, name);
  }
}

}  // namespace
