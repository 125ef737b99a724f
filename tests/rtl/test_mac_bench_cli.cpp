// The sdla-mac-bench command line, run as a separate process: the default
// small run, waves (a complete VCD and the GTKWave layout beside it, the cycle
// window), the hold run visible in the wave view, the checker's own failure
// path (an injected fault exits 1 and still leaves a complete VCD), and bad
// options (exit status 2 and a message naming the option).
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <regex>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "expect_has.hpp"
#include "program_test.hpp"
#include "rtl_test_util.hpp"

#ifndef SDLA_MAC_BENCH
#error "SDLA_MAC_BENCH must name the sdla-mac-bench executable"
#endif

namespace {

namespace fs = std::filesystem;

/// Value changes of some signals of a VCD, by full name
/// ("TOP.sdla_mac_array.u_view.lane[0].act"): (time, value) in file order,
/// the initial dump at the first timestamp included.
using Changes = std::map<std::string, std::vector<std::pair<std::uint64_t, std::string>>>;

Changes value_changes(const std::string& path, const std::vector<std::string>& names) {
  std::ifstream in(path);
  std::map<std::string, std::vector<std::string>> by_code;  // identifier code -> names (codes may be shared)
  std::vector<std::string> scopes;
  Changes out;
  std::string line;
  std::uint64_t now = 0;
  bool header = true;
  while (std::getline(in, line)) {
    std::istringstream words(line);
    std::string w;
    if (!(words >> w)) continue;
    if (header) {
      if (w == "$scope") {
        std::string kind, name;
        words >> kind >> name;
        scopes.push_back(name);
      } else if (w == "$upscope") {
        scopes.pop_back();
      } else if (w == "$var") {
        std::string type, width, code, name;
        words >> type >> width >> code >> name;
        std::string full;
        for (const auto& s : scopes) full += s + ".";
        full += name;
        if (std::find(names.begin(), names.end(), full) != names.end()) by_code[code].push_back(full);
      } else if (w == "$enddefinitions") {
        header = false;
      }
      continue;
    }
    std::string value, code;
    if (w[0] == '#') {
      now = std::stoull(w.substr(1));
      continue;
    } else if (w[0] == 'b' || w[0] == 'r') {
      value = w.substr(1);
      words >> code;
    } else if (w[0] == '$') {
      continue;  // $dumpvars, $end
    } else {
      value = w.substr(0, 1);
      code = w.substr(1);
    }
    const auto it = by_code.find(code);
    if (it != by_code.end())
      for (const auto& n : it->second) out[n].emplace_back(now, value);
  }
  return out;
}

/// The value a signal holds at time t (after the changes dumped at t).
std::string value_at(const std::vector<std::pair<std::uint64_t, std::string>>& changes, std::uint64_t t) {
  std::string v;
  for (const auto& [when, value] : changes)
    if (when <= t) v = value;
  return v;
}

class MacBench : public sdla::test::ProgramTest {
 protected:
  MacBench() : ProgramTest(SDLA_MAC_BENCH) {}

  /// The replayable seed of this process, as a bench option.
  static std::string seed() { return "--seed " + std::to_string(sdla::test::test_seed()); }
};

TEST_F(MacBench, DefaultSmallRunPasses) {
  const Result r = run("--preset small " + seed());
  ASSERT_EQ(r.status, 0) << r.out << r.err;
  EXPECT_HAS(r.out, "seed " + std::to_string(sdla::test::test_seed()));
  EXPECT_HAS(r.out, "20 checked, 0 mismatched");  // the default number of passes
  EXPECT_HAS(r.out, "vectors         1280");       // 20 x the default 64 vectors
  for (const char* field : {"array cycles", "mac_random", "mac_gated", "mac_idle", "act_toggles", "weight_toggles"})
    EXPECT_HAS(r.out, field);
  EXPECT_HAS(r.out, "PASS");
  EXPECT_EQ(r.out.find("FAIL"), std::string::npos);
  EXPECT_TRUE(r.err.empty()) << r.err;
}

TEST_F(MacBench, OtherPrecisionsAndFormatsPass) {
  for (const char* args : {"--precision int16", "--format 2:4", "--precision int16 --format 2:4 --zeros 0.8"}) {
    const Result r = run(std::string("--preset small --passes 6 --vectors 40 ") + args + " " + seed());
    EXPECT_EQ(r.status, 0) << args << "\n" << r.out << r.err;
    EXPECT_HAS(r.out, "PASS");
  }
}

TEST_F(MacBench, VcdIsCompleteAndTheGtkwaveLayoutNamesIt) {
  const Result r = run("--preset small --passes 3 --vectors 20 --vcd waves/bench.vcd " + seed());
  ASSERT_EQ(r.status, 0) << r.out << r.err;
  EXPECT_HAS(r.out, "waves/bench.gtkw");
  const std::string vcd = path("waves/bench.vcd");
  ASSERT_TRUE(fs::exists(vcd));
  EXPECT_GT(fs::file_size(vcd), 0u);
  const sdla::test::Vcd v = sdla::test::read_vcd(vcd);  // throws on a file without its header
  EXPECT_EQ(v.timescale, "1ps");
  ASSERT_FALSE(v.times.empty());
  EXPECT_TRUE(std::is_sorted(v.times.begin(), v.times.end()));
  EXPECT_TRUE(v.signals.count("TOP.sdla_mac_array.u_view.lane[0].act[7:0]"));
  EXPECT_FALSE(v.signals.count("TOP.a_data[0][7:0]")) << "depth 1 (default) traces the wave view only";
  // The last timestamp line is there: the last pass (8 weight-load cycles +
  // 20 vectors, 1 GHz) starts after two passes and their 3 drain cycles each.
  const std::uint64_t last_start = 2 * (8 + 20 + 3) * 1000;
  EXPECT_GE(v.times.back(), last_start + (8 + 20 - 1) * 1000);
  std::string text = slurp(vcd);
  const auto last_hash = text.rfind("\n#");
  ASSERT_NE(last_hash, std::string::npos);
  EXPECT_EQ(std::stoull(text.substr(last_hash + 2)), v.times.back());

  const fs::path gtkw = dir_ / "waves/bench.gtkw";
  ASSERT_TRUE(fs::exists(gtkw));
  EXPECT_HAS(slurp(gtkw), "[dumpfile] \"" + fs::absolute(vcd).string() + "\"");
  EXPECT_FALSE(sdla::test::gtkw_signals(gtkw.string()).empty());
}

TEST_F(MacBench, FstByExtensionOrOptionAndTheGtkwaveLayoutNamesIt) {
  if (!SDLA_TEST_FST) GTEST_SKIP() << "built with SDLA_RTL_FST off";
  // --vcd NAME.fst writes FST; --waves-format fst says so for a name without the extension.
  for (const char* file : {"waves/bench.fst", "waves/bench_fst"}) {
    SCOPED_TRACE(file);
    const std::string option = std::string(file).find(".fst") != std::string::npos ? "" : " --waves-format fst";
    const Result r = run("--preset small --passes 3 --vectors 20 --vcd " + std::string(file) + option + " " + seed());
    ASSERT_EQ(r.status, 0) << r.out << r.err;
    EXPECT_HAS(r.out, "PASS");
    const std::string fst = path(file);
    const sdla::test::Vcd f = sdla::test::read_fst(fst);  // throws unless the FST reader reads it
    EXPECT_EQ(f.timescale, "1ps");
    EXPECT_TRUE(f.signals.count("TOP.sdla_mac_array.u_view.lane[0].act[7:0]"));
    const std::uint64_t last_start = 2 * (8 + 20 + 3) * 1000;  // as for the VCD above
    ASSERT_FALSE(f.times.empty());
    EXPECT_GE(f.times.back(), last_start + (8 + 20 - 1) * 1000);
    const fs::path gtkw = fs::path(fst).replace_extension(".gtkw");
    EXPECT_HAS(r.out, fs::path(file).replace_extension(".gtkw").string());
    EXPECT_HAS(slurp(gtkw), "[dumpfile] \"" + fs::absolute(fst).string() + "\"");
    for (const auto& s : sdla::test::gtkw_signals(gtkw.string())) EXPECT_TRUE(f.signals.count(s)) << s;
  }
}

TEST_F(MacBench, VcdWindowAndDepthAreHonoured) {
  const Result r = run("--preset small --passes 2 --vectors 30 --vcd w.vcd --vcd-window 10:20 --vcd-depth 2 " + seed());
  ASSERT_EQ(r.status, 0) << r.out << r.err;
  const sdla::test::Vcd v = sdla::test::read_vcd(path("w.vcd"));
  ASSERT_FALSE(v.times.empty());
  // Array cycles 10..19 lie in the first pass, which starts at t = 0 (1 ns per cycle).
  EXPECT_EQ(v.times.front(), 10'000u);
  EXPECT_EQ(v.times.back(), 19'500u);
  // Depth 2 adds the ports of the array beside the wave view.
  EXPECT_TRUE(v.signals.count("TOP.a_data[0][7:0]")) << "no array port traced at depth 2";
}

TEST_F(MacBench, HoldRunKeepsTheActivationRegistersInTheWaves) {
  const Result r = run("--preset small --passes 2 --vectors 32 --hold-run 8 --zeros 0 --vcd hold.vcd " + seed());
  ASSERT_EQ(r.status, 0) << r.out << r.err;
  std::smatch m;
  ASSERT_TRUE(std::regex_search(r.out, m, std::regex(R"(hold run: vectors (\d+)\.\.(\d+) .*t = (\d+)\.\.(\d+) ps)")))
      << r.out;
  EXPECT_EQ(m[1], "12");  // the middle 8 of 32
  EXPECT_EQ(m[2], "19");
  const std::uint64_t first_edge = std::stoull(m[3]), last_edge = std::stoull(m[4]);
  ASSERT_EQ(last_edge - first_edge, 7 * 1000u);

  const std::string view = "TOP.sdla_mac_array.u_view.lane[";
  std::vector<std::string> names;
  for (unsigned l = 0; l < 8; ++l) {
    names.push_back(view + std::to_string(l) + "].act");
    names.push_back(view + std::to_string(l) + "].zero_in_l");
  }
  const Changes changes = value_changes(path("hold.vcd"), names);
  for (unsigned l = 0; l < 8; ++l) {
    SCOPED_TRACE("lane " + std::to_string(l));
    const auto& act = changes.at(view + std::to_string(l) + "].act");
    const auto& zero = changes.at(view + std::to_string(l) + "].zero_in_l");
    // The zero line is up through the run, and the register holds the value
    // it loaded before the run: no change from the run's first edge to its last.
    for (std::uint64_t t = first_edge; t <= last_edge; t += 1000) EXPECT_EQ(value_at(zero, t), "1") << "t " << t;
    const std::string held = value_at(act, first_edge - 1000);
    for (const auto& [t, value] : act)
      if (t >= first_edge && t <= last_edge) ADD_FAILURE() << "act changed to " << value << " at t " << t;
    EXPECT_EQ(value_at(act, last_edge), held);
    // ... while outside the run (no zero lines) it loads nearly every cycle.
    const auto before = std::count_if(act.begin(), act.end(), [&](const auto& c) { return c.first < first_edge; });
    const auto after = std::count_if(act.begin(), act.end(), [&](const auto& c) { return c.first > last_edge; });
    EXPECT_GE(before, 6);
    EXPECT_GE(after, 6);
  }
}

TEST_F(MacBench, InjectedMismatchFailsWithExit1) {
  for (const char* kind : {"psum", "activity"}) {
    const Result r = run(std::string("--preset small --passes 4 --inject-fault ") + kind + " " + seed());
    EXPECT_EQ(r.status, 1) << kind << "\n" << r.out << r.err;
    EXPECT_HAS(r.out, "MISMATCH pass 2");
    EXPECT_HAS(r.out, "FAIL");
    EXPECT_EQ(r.out.find("PASS"), std::string::npos);
  }
}

TEST_F(MacBench, VcdIsCompleteAfterAnException) {
  const Result r = run("--preset small --passes 4 --vectors 20 --inject-fault throw --vcd x.vcd " + seed());
  EXPECT_EQ(r.status, 1) << r.out << r.err;
  EXPECT_HAS(r.out, "FAIL");
  EXPECT_HAS(r.err, "fault injected");
  const sdla::test::Vcd v = sdla::test::read_vcd(path("x.vcd"));
  ASSERT_FALSE(v.times.empty());
  // Passes 0..2 ran (the fault comes after pass 2): its last vector's edge is in the file.
  EXPECT_GE(v.times.back(), 2 * (8 + 20 + 3) * 1000u + (8 + 20 - 1) * 1000u + 500u);
}

// ------------------------------------------------------------ bad options: exit 2, a message naming the option

struct ErrorCase {
  const char* name;
  const char* args;
  std::vector<const char*> stderr_has;
};

class MacBenchErrors : public MacBench, public ::testing::WithParamInterface<ErrorCase> {};

TEST_P(MacBenchErrors, ExitsWithStatus2AndNamesTheOption) {
  const ErrorCase& c = GetParam();
  const Result r = run(c.args);
  EXPECT_EQ(r.status, 2) << "stdout: " << r.out << "\nstderr: " << r.err;
  for (const char* s : c.stderr_has) EXPECT_HAS(r.err, s);
  EXPECT_EQ(r.out.find("PASS"), std::string::npos);
  EXPECT_FALSE(fs::exists(dir_ / "x.vcd")) << "a VCD was written despite the error";
}

void PrintTo(const ErrorCase& c, std::ostream* os) { *os << c.name; }

const ErrorCase kErrorCases[] = {
    {"UnknownPreset", "--preset huge", {"--preset", "huge"}},
    {"ZerosAboveOne", "--zeros 2", {"--zeros"}},
    {"ZerosNotANumber", "--zeros lots", {"--zeros"}},
    {"WindowWithoutVcd", "--vcd-window 5:3", {"--vcd-window needs --vcd"}},
    {"WindowBackwards", "--vcd x.vcd --vcd-window 5:3", {"--vcd-window 5:3", "LAST must exceed FIRST"}},
    {"WindowNotCycles", "--vcd x.vcd --vcd-window abc", {"--vcd-window abc", "FIRST:LAST"}},
    {"DepthTooLarge", "--vcd x.vcd --vcd-depth 4", {"--vcd-depth"}},
    {"UnknownWavesFormat", "--vcd x.vcd --waves-format lxt", {"--waves-format", "lxt"}},
    {"WavesFormatAgainstTheExtension", "--vcd x.vcd --waves-format fst", {"--waves-format fst contradicts"}},
    {"NoPasses", "--passes 0", {"--passes"}},
    {"NoVectors", "--vectors 0", {"--vectors"}},
    {"HoldRunLongerThanPass", "--vectors 16 --hold-run 17", {"--hold-run 17", "--vectors"}},
    {"UnknownPrecision", "--precision int4", {"--precision", "int4"}},
    {"UnknownFormat", "--format 1:4", {"--format", "1:4"}},
    {"UnknownOption", "--pases 3", {"--pases"}},
    {"NegativeSeed", "--seed -1", {"--seed", "-1", "not a seed"}},
    {"SeedBeyond64Bits", "--seed 18446744073709551616", {"--seed", "exceeds the largest seed"}},
};

INSTANTIATE_TEST_SUITE_P(Cases, MacBenchErrors, ::testing::ValuesIn(kErrorCases),
                         [](const ::testing::TestParamInfo<ErrorCase>& i) { return std::string(i.param.name); });

}  // namespace
