// sdla-run --mac rtl-pins, run as a separate process: against --mac rtl on
// the same layers it writes the same output file and the same report byte for
// byte (cycles, activity, energy, everything but the MAC array's name) and the
// same summary; a preset without a pin model, and waves, are clear errors
// (exit status 2).
#include <regex>
#include <string>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "program_test.hpp"

#ifndef SDLA_RUN
#error "SDLA_RUN must name the sdla-run executable"
#endif
#ifndef SDLA_PIN_PRESETS
#error "SDLA_PIN_PRESETS must list the presets verilated as pin models"
#endif

namespace {

class RtlPinsCli : public sdla::test::ProgramTest {
 protected:
  RtlPinsCli() : ProgramTest(SDLA_RUN) {}
  static bool pins_built(const std::string& preset) {
    const std::string built = std::string(";") + SDLA_PIN_PRESETS + ";";
    return built.find(";" + preset + ";") != std::string::npos;
  }
  /// stdout with the MAC array's name, where the two runs differ, made equal.
  static std::string summary(const std::string& out, const std::string& mac) {
    return std::regex_replace(out, std::regex("MAC array(:?) " + mac + "\n"), "MAC array$1 X\n");
  }
  /// Runs `args` with --mac rtl and --mac rtl-pins; both must pass and agree.
  void expect_same(const std::string& args) {
    const Result rtl = run(args + " --mac rtl --report rtl.json --output rtl.npy");
    const Result pins = run(args + " --mac rtl-pins --report pins.json --output pins.npy");
    ASSERT_EQ(rtl.status, 0) << rtl.out << rtl.err;
    ASSERT_EQ(pins.status, 0) << pins.out << pins.err;
    EXPECT_NE(pins.out.find("PASS"), std::string::npos) << pins.out;
    EXPECT_NE(pins.out.find("MAC-array activity: RTL measured and C++ model computed are equal"), std::string::npos)
        << pins.out;
    EXPECT_EQ(summary(rtl.out, "rtl"), summary(pins.out, "rtl-pins"));
    EXPECT_EQ(rtl.err, pins.err);
    const std::string npy = slurp(path("rtl.npy"));
    EXPECT_GT(npy.size(), 128u);
    EXPECT_TRUE(npy == slurp(path("pins.npy"))) << "output files differ";
    auto a = nlohmann::json::parse(slurp(path("rtl.json")));
    auto b = nlohmann::json::parse(slurp(path("pins.json")));
    EXPECT_EQ(a["mac_array_source"], "rtl");
    EXPECT_EQ(b["mac_array_source"], "rtl-pins");
    a.erase("mac_array_source");
    b.erase("mac_array_source");
    EXPECT_GT(a["cycles"].get<std::uint64_t>(), 0u);
    EXPECT_EQ(a["cycles"], b["cycles"]);
    EXPECT_EQ(a["energy_pj"], b["energy_pj"]);
    EXPECT_TRUE(a == b) << "reports differ beyond mac_array_source";
  }
};

TEST_F(RtlPinsCli, ChainOfEveryFormatLikeRtl) {
  if (!pins_built("small")) GTEST_SKIP() << "no pin-level small array in this build";
  // int8: dense -> 2:4 weights on ZVC activations -> ZVC weights and activations; int16 dense.
  write_text("chain.json", R"({"layers": [
    {"name": "a", "op": "conv2d", "in_channels": 12, "in_height": 9, "in_width": 8, "out_channels": 16,
     "kernel": [3, 3], "padding": [1, 1], "input_density": 0.7, "post": {"shift": 8, "relu": true}},
    {"name": "b", "op": "conv2d", "in_channels": 16, "in_height": 9, "in_width": 8, "out_channels": 10,
     "kernel": [3, 3], "stride": [2, 2], "padding": [1, 1], "weight_format": "2:4", "activation_format": "zvc",
     "post": {"shift": 7, "relu": true}},
    {"name": "c", "op": "conv2d", "in_channels": 10, "in_height": 5, "in_width": 4, "out_channels": 9,
     "kernel": [1, 1], "weight_format": "zvc", "activation_format": "zvc", "weight_density": 0.3}]})");
  expect_same("--preset small --layer chain.json --seed 5");
  write_text("int16.json", R"({"name": "w", "op": "conv2d", "precision": "int16", "in_channels": 7,
    "in_height": 6, "in_width": 6, "out_channels": 11, "kernel": [3, 3], "padding": [1, 1], "weight_density": 0.6})");
  expect_same("--preset small --layer int16.json --seed 6");
}

TEST_F(RtlPinsCli, UnbuiltPresetIsAClearError) {
  if (pins_built("full")) GTEST_SKIP() << "this build has a pin-level full array";
  const Result d = run("--preset full --mac rtl-pins --no-check");
  ASSERT_EQ(d.status, 2) << d.out << d.err;
  EXPECT_NE(d.err.find("no pin-level MAC array for atomic_c 64 x atomic_k 32"), std::string::npos) << d.err;
  EXPECT_NE(d.err.find("built: "), std::string::npos) << d.err;
  if (pins_built("small")) {
    EXPECT_NE(d.err.find("small 8x8"), std::string::npos) << d.err;
  }
  EXPECT_NE(d.err.find("SDLA_RTL_PINS_PRESETS"), std::string::npos) << d.err;
}

TEST_F(RtlPinsCli, WavesAreTheCcModelsOnly) {
  const Result r = run("--preset small --mac rtl-pins --vcd w.vcd");
  EXPECT_EQ(r.status, 2);
  EXPECT_NE(r.err.find("--mac rtl"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("writes no waves"), std::string::npos) << r.err;
}

}  // namespace
