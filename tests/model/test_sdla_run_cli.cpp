// The sdla-run command line, run as a separate process: the default run, the
// JSON report's documented keys, outputs of raw int8/int16, post-processed,
// fc and chained layers compared with a naive convolution computed here from
// the .npy files this test wrote, and the error cases (exit status 2 and a
// message on stderr naming the problem).
#include <sys/wait.h>
#include <unistd.h>

#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "expect_has.hpp"
#include "program_test.hpp"
#include "io/npy.hpp"
#include "seed.hpp"

#ifndef SDLA_RUN
#error "SDLA_RUN must name the sdla-run executable"
#endif

namespace {

namespace fs = std::filesystem;
using nlohmann::json;
using sdla::Shape;
using sdla::Tensor;

// ------------------------------------------------------------ the reference, written here

struct Conv {
  unsigned C = 1, H = 1, W = 1, K = 1, R = 1, S = 1, sh = 1, sw = 1;
  unsigned pt = 0, pb = 0, pl = 0, pr = 0;
  unsigned P() const { return (H + pt + pb - R) / sh + 1; }
  unsigned Q() const { return (W + pl + pr - S) / sw + 1; }
  std::uint64_t macs() const { return std::uint64_t(K) * P() * Q() * C * R * S; }
};

/// Naive direct convolution: x [C, H, W], w [K, C, R, S] -> [K, P, Q], exact in int64.
template <class T>
Tensor<std::int64_t> naive_conv(const Conv& c, const Tensor<T>& x, const Tensor<T>& w) {
  Tensor<std::int64_t> y({c.K, c.P(), c.Q()});
  for (unsigned k = 0; k < c.K; ++k)
    for (unsigned p = 0; p < c.P(); ++p)
      for (unsigned q = 0; q < c.Q(); ++q) {
        std::int64_t acc = 0;
        for (unsigned ch = 0; ch < c.C; ++ch)
          for (unsigned r = 0; r < c.R; ++r)
            for (unsigned s = 0; s < c.S; ++s) {
              const long h = long(p * c.sh + r) - long(c.pt), ww = long(q * c.sw + s) - long(c.pl);
              if (h < 0 || ww < 0 || h >= long(c.H) || ww >= long(c.W)) continue;
              acc += std::int64_t(x.at({ch, std::size_t(h), std::size_t(ww)})) * w.at({k, ch, r, s});
            }
        y.at({k, p, q}) = acc;
      }
  return y;
}

/// The documented requantisation (sdla/layer.hpp): saturate(relu?(round_half_up((acc + bias) * m / 2^s))),
/// ties towards +infinity.
std::int64_t requantize(std::int64_t acc, std::int32_t bias, std::int32_t m, unsigned s, bool relu, int bits) {
  __int128 v = (__int128(acc) + bias) * m;
  if (s > 0) v = (v + (__int128(1) << (s - 1))) >> s;  // arithmetic shift: floor
  if (relu && v < 0) v = 0;
  const __int128 hi = (__int128(1) << (bits - 1)) - 1, lo = -hi - 1;
  return std::int64_t(v > hi ? hi : v < lo ? lo : v);
}

template <class T>
Tensor<T> random_tensor(Shape shape, std::int64_t lo, std::int64_t hi, std::mt19937_64& rng) {
  Tensor<T> t(std::move(shape));
  std::uniform_int_distribution<std::int64_t> d(lo, hi);
  for (auto& v : t.values()) v = T(d(rng));
  return t;
}

template <class T, class U>
Tensor<T> cast(const Tensor<U>& t) {
  return Tensor<T>(t.shape(), std::vector<T>(t.values().begin(), t.values().end()));
}

template <class T>
Tensor<T> reshape(const Tensor<T>& t, Shape shape) {
  return Tensor<T>(std::move(shape), t.values());
}

// ------------------------------------------------------------ the fixture

class SdlaRun : public sdla::test::ProgramTest {
 protected:
  SdlaRun() : ProgramTest(SDLA_RUN) {}

  template <class T>
  void write_npy(const std::string& name, const Tensor<T>& t) const {
    sdla::npy::write(path(name), t);
  }
  json report(const std::string& name) const { return json::parse(slurp(dir_ / name)); }
};

std::string layer_json(const std::string& name, const Conv& c, const char* precision, const std::string& post = "") {
  std::ostringstream s;
  s << R"({"name": ")" << name << R"(", "op": "conv2d", "in_channels": )" << c.C << R"(, "in_height": )" << c.H
    << R"(, "in_width": )" << c.W << R"(, "out_channels": )" << c.K << R"(, "kernel": [)" << c.R << ", " << c.S
    << R"(], "stride": [)" << c.sh << ", " << c.sw << R"(], "padding": [)" << c.pt << ", " << c.pb << ", " << c.pl
    << ", " << c.pr << R"(], "precision": ")" << precision << '"';
  if (!post.empty()) s << R"(, "post": )" << post;
  s << "}";
  return s.str();
}

/// The fields every report level carries.
void expect_figures(const json& j, const std::string& where) {
  SCOPED_TRACE(where);
  for (const char* key : {"bit_exact", "cycles", "macs", "mac_utilization", "dram_bytes_read", "dram_bytes_written",
                          "activity", "energy_pj"})
    EXPECT_TRUE(j.contains(key)) << "missing key " << key;
  if (!j.contains("energy_pj") || !j.contains("cycles")) return;
  EXPECT_TRUE(j["bit_exact"].is_boolean());
  EXPECT_TRUE(j["cycles"].is_number_unsigned());
  EXPECT_TRUE(j["macs"].is_number_unsigned());
  EXPECT_TRUE(j["mac_utilization"].is_number());
  EXPECT_TRUE(j["activity"].is_object());
  ASSERT_TRUE(j["energy_pj"].is_object());
  ASSERT_TRUE(j["energy_pj"].contains("total"));
  EXPECT_GT(j["cycles"].get<std::uint64_t>(), 0u);
  const double util = j["mac_utilization"].get<double>();
  EXPECT_GT(util, 0.0);
  EXPECT_LE(util, 1.0);
  EXPECT_GT(j["dram_bytes_read"].get<std::uint64_t>(), 0u);
  EXPECT_GT(j["dram_bytes_written"].get<std::uint64_t>(), 0u);
  // The total is the sum of the components.
  double sum = 0;
  for (const auto& [k, v] : j["energy_pj"].items())
    if (k != "total") sum += v.get<double>();
  const double total = j["energy_pj"]["total"].get<double>();
  EXPECT_GT(total, 0.0);
  EXPECT_NEAR(total, sum, 1e-6 * total);
  // Figures agree with the activity they came from.
  EXPECT_EQ(j["dram_bytes_read"], j["activity"]["dram"]["read_bytes"]);
  EXPECT_EQ(j["dram_bytes_written"], j["activity"]["dram"]["write_bytes"]);
}

// ------------------------------------------------------------ runs that pass

TEST_F(SdlaRun, DefaultRunPassesAndWritesTheDocumentedReport) {
  const Result r = run("--report r.json");
  ASSERT_EQ(r.status, 0) << r.out << r.err;
  EXPECT_HAS(r.out, "PASS");
  EXPECT_EQ(r.out.find("FAIL"), std::string::npos);
  const json j = report("r.json");
  expect_figures(j, "top level");
  EXPECT_TRUE(j["bit_exact"].get<bool>());
  // The built-in layer: ResNet-50 conv3_x, 128 -> 128 channels, 28x28, 3x3, int8.
  const std::uint64_t macs = 128ull * 28 * 28 * 128 * 9;
  EXPECT_EQ(j["macs"].get<std::uint64_t>(), macs);
  ASSERT_TRUE(j["layers"].is_array());
  ASSERT_EQ(j["layers"].size(), 1u);
  const json& l = j["layers"][0];
  expect_figures(l, "layers[0]");
  EXPECT_EQ(l["macs"].get<std::uint64_t>(), macs);
  EXPECT_TRUE(l["bit_exact"].get<bool>());
  EXPECT_LE(l["cycles"].get<std::uint64_t>(), j["cycles"].get<std::uint64_t>());
  // Cycles are at least what the full preset's 2048 MACs per cycle need.
  EXPECT_GE(l["cycles"].get<std::uint64_t>(), macs / 2048);
  // The int8 output [28][28][128] is written once; the input and weights are read at least once.
  EXPECT_GE(l["dram_bytes_written"].get<std::uint64_t>(), 28u * 28 * 128);
  EXPECT_GE(l["dram_bytes_read"].get<std::uint64_t>(), 28u * 28 * 128 + 128u * 128 * 9);
}

TEST_F(SdlaRun, NoCheckSkipsTheGoldenAndSaysSo) {
  const Result r = run("--no-check --report r.json");
  ASSERT_EQ(r.status, 0) << r.out << r.err;
  EXPECT_HAS(r.out, "not checked");
  EXPECT_EQ(r.out.find("PASS"), std::string::npos);
  const json j = report("r.json");
  EXPECT_FALSE(j["checked"].get<bool>());
  EXPECT_TRUE(j["bit_exact"].is_null());
  EXPECT_TRUE(j["layers"][0]["bit_exact"].is_null());
  // The same simulation as a checked run: the figures do not depend on the check.
  const Result checked = run("--report c.json");
  ASSERT_EQ(checked.status, 0) << checked.out << checked.err;
  const json c = report("c.json");
  EXPECT_TRUE(c["checked"].get<bool>());
  EXPECT_EQ(j["cycles"], c["cycles"]);
  EXPECT_EQ(j["activity"], c["activity"]);
}

TEST_F(SdlaRun, WinogradOptionRunsEveryLayerThatWayAndReportsIt) {
  const Result r = run("--winograd nvdla --report r.json");
  ASSERT_EQ(r.status, 0) << r.out << r.err;
  EXPECT_HAS(r.out, "PASS");
  EXPECT_HAS(r.out, "error against direct convolution");
  const json j = report("r.json");
  const json& w = j["layers"][0]["winograd"];
  EXPECT_EQ(w["mode"], "nvdla");
  // ResNet-50 conv3_x, 28x28 outputs: 14x14 tiles of 16 multiplies per channel pair, against 36 direct.
  EXPECT_EQ(w["issued_multiplies"].get<std::uint64_t>(), 14ull * 14 * 16 * 128 * 128);
  EXPECT_EQ(w["dense_multiplies"].get<std::uint64_t>(), 28ull * 28 * 9 * 128 * 128);
  EXPECT_GT(w["transform_adds"].get<std::uint64_t>(), 0u);
  EXPECT_TRUE(w.contains("error_vs_direct"));
  // One layer: the run's totals are that layer's.
  EXPECT_EQ(j["winograd"]["issued_multiplies"], w["issued_multiplies"]);
  EXPECT_EQ(j["winograd"]["transform_adds"], w["transform_adds"]);
  EXPECT_EQ(j["winograd"]["layers"].get<unsigned>(), 1u);
}

TEST_F(SdlaRun, RawInt8OutputMatchesNaiveConvolution) {
  std::mt19937_64 rng(sdla::test::seed(51));
  Conv c;
  c.C = 5; c.H = 6; c.W = 7; c.K = 9; c.R = 3; c.S = 3; c.sh = 2; c.pt = c.pb = c.pl = c.pr = 1;
  const auto x = random_tensor<std::int8_t>({c.C, c.H, c.W}, -128, 127, rng);
  const auto w = random_tensor<std::int8_t>({c.K, c.C, c.R, c.S}, -128, 127, rng);
  write_npy("x.npy", x);
  write_npy("w.npy", w);
  write_text("l.json", layer_json("raw8", c, "int8"));
  const Result r = run("--preset small --layer l.json --input x.npy --weights w.npy --output y.npy --report r.json");
  ASSERT_EQ(r.status, 0) << r.out << r.err;
  EXPECT_HAS(r.out, "PASS");
  const auto y = sdla::npy::read<std::int32_t>(path("y.npy"));
  ASSERT_EQ(y.shape(), (Shape{c.K, c.P(), c.Q()}));
  EXPECT_TRUE(cast<std::int64_t>(y) == naive_conv(c, x, w));
  const json j = report("r.json");
  expect_figures(j, "raw int8 report");
  EXPECT_EQ(j["macs"].get<std::uint64_t>(), c.macs());
  // The raw int32 sums of K channels at P x Q pixels reach DRAM.
  EXPECT_GE(j["dram_bytes_written"].get<std::uint64_t>(), std::uint64_t(c.P()) * c.Q() * c.K * 4);
}

TEST_F(SdlaRun, RawInt16OutputIsInt64AndMatchesNaiveConvolution) {
  std::mt19937_64 rng(sdla::test::seed(52));
  Conv c;
  c.C = 6; c.H = 5; c.W = 5; c.K = 7; c.R = 2; c.S = 3; c.sw = 2; c.pt = 1; c.pl = 2;
  const auto x = random_tensor<std::int16_t>({1, c.C, c.H, c.W}, -32768, 32767, rng);  // [1, C, H, W] accepted
  const auto w = random_tensor<std::int16_t>({c.K, c.C, c.R, c.S}, -32768, 32767, rng);
  write_npy("x.npy", x);
  write_npy("w.npy", w);
  write_text("l.json", layer_json("raw16", c, "int16"));
  const Result r = run("--preset full --layer l.json --input x.npy --weights w.npy --output y.npy");
  ASSERT_EQ(r.status, 0) << r.out << r.err;
  EXPECT_HAS(r.out, "PASS");
  const auto header = sdla::npy::read_header(path("y.npy"));
  EXPECT_EQ(header.dtype, sdla::npy::DType::i64);
  const auto y = sdla::npy::read<std::int64_t>(path("y.npy"));
  ASSERT_EQ(y.shape(), (Shape{c.K, c.P(), c.Q()}));
  EXPECT_TRUE(y == naive_conv(c, reshape(x, {c.C, c.H, c.W}), w));
}

TEST_F(SdlaRun, PostProcessedInt8OutputFollowsTheRequantisationRule) {
  std::mt19937_64 rng(sdla::test::seed(53));
  Conv c;
  c.C = 11; c.H = 5; c.W = 6; c.K = 6; c.R = 3; c.S = 3; c.pt = c.pb = c.pl = c.pr = 1;
  const auto x = random_tensor<std::int8_t>({c.C, c.H, c.W}, -128, 127, rng);
  const auto w = random_tensor<std::int8_t>({c.K, c.C, c.R, c.S}, -128, 127, rng);
  const auto b = random_tensor<std::int32_t>({c.K}, -20000, 20000, rng);
  const std::vector<std::int32_t> mult{1, 3, -2, 1000, 7, 1};
  const std::vector<unsigned> shift{8, 9, 7, 18, 0, 10};
  write_npy("x.npy", x);
  write_npy("w.npy", w);
  write_npy("b.npy", b);
  write_text("l.json", layer_json("post8", c, "int8",
                                  R"({"multiplier": [1, 3, -2, 1000, 7, 1], "shift": [8, 9, 7, 18, 0, 10], "relu": true})"));
  const Result r = run("--preset small --layer l.json --input x.npy --weights w.npy --bias b.npy --output y.npy");
  ASSERT_EQ(r.status, 0) << r.out << r.err;
  EXPECT_HAS(r.out, "PASS");
  EXPECT_EQ(sdla::npy::read_header(path("y.npy")).dtype, sdla::npy::DType::i8);
  const auto y = sdla::npy::read<std::int8_t>(path("y.npy"));
  ASSERT_EQ(y.shape(), (Shape{c.K, c.P(), c.Q()}));
  const auto acc = naive_conv(c, x, w);
  unsigned saturated = 0, zeroed = 0, mismatches = 0;
  for (unsigned k = 0; k < c.K; ++k)
    for (unsigned p = 0; p < c.P(); ++p)
      for (unsigned q = 0; q < c.Q(); ++q) {
        const std::int64_t want = requantize(acc.at({k, p, q}), b.at({k}), mult[k], shift[k], true, 8);
        saturated += want == 127;
        zeroed += want == 0;
        if (y.at({k, p, q}) != want && mismatches++ < 10)
          ADD_FAILURE() << "y[" << k << "][" << p << "][" << q << "] = " << int(y.at({k, p, q})) << ", expected "
                        << want << " from acc " << acc.at({k, p, q});
      }
  EXPECT_EQ(mismatches, 0u);
  // The data exercised saturation and ReLU, not just the linear range.
  EXPECT_GT(saturated, 0u);
  EXPECT_GT(zeroed, 0u);
}

TEST_F(SdlaRun, FullyConnectedLayerTakesKCWeights) {
  std::mt19937_64 rng(sdla::test::seed(54));
  const unsigned C = 150, K = 12;
  const auto x = random_tensor<std::int8_t>({C}, -128, 127, rng);
  const auto w = random_tensor<std::int8_t>({K, C}, -128, 127, rng);
  write_npy("x.npy", x);
  write_npy("w.npy", w);
  write_text("fc.json", R"({"name": "fc", "op": "fc", "in_channels": 150, "out_channels": 12})");
  const Result r = run("--preset small --layer fc.json --input x.npy --weights w.npy --output y.npy");
  ASSERT_EQ(r.status, 0) << r.out << r.err;
  EXPECT_HAS(r.out, "PASS");
  const auto y = sdla::npy::read<std::int32_t>(path("y.npy"));
  ASSERT_EQ(y.shape(), (Shape{K, 1, 1}));
  for (unsigned k = 0; k < K; ++k) {
    std::int64_t acc = 0;
    for (unsigned c = 0; c < C; ++c) acc += std::int64_t(x.at({c})) * w.at({k, c});
    EXPECT_EQ(y.at({k, 0, 0}), acc) << "k " << k;
  }
}

TEST_F(SdlaRun, TwoLayerChainFromALayersFile) {
  std::mt19937_64 rng(sdla::test::seed(55));
  Conv a;
  a.C = 7; a.H = 6; a.W = 6; a.K = 10; a.R = 3; a.S = 3; a.pt = a.pb = a.pl = a.pr = 1;
  Conv b;
  b.C = 10; b.H = 6; b.W = 6; b.K = 5; b.R = 3; b.S = 3; b.sh = b.sw = 2;
  const auto x = random_tensor<std::int8_t>({a.C, a.H, a.W}, -128, 127, rng);
  const auto wa = random_tensor<std::int8_t>({a.K, a.C, a.R, a.S}, -128, 127, rng);
  const auto wb = random_tensor<std::int8_t>({b.K, b.C, b.R, b.S}, -128, 127, rng);
  const auto ba = random_tensor<std::int32_t>({a.K}, -3000, 3000, rng);
  const auto bb = random_tensor<std::int32_t>({b.K}, -3000, 3000, rng);
  write_npy("x.npy", x);
  write_npy("wa.npy", wa);
  write_npy("wb.npy", wb);
  write_npy("ba.npy", ba);
  write_npy("bb.npy", bb);
  write_text("net.json", "{\"layers\": [" + layer_json("a", a, "int8", R"({"multiplier": 1, "shift": 8, "relu": true})") +
                             ", " + layer_json("b", b, "int8", R"({"multiplier": 5, "shift": 10, "relu": false})") + "]}");
  const Result r = run("--preset small --layer net.json --input x.npy --weights wa.npy --weights wb.npy "
                       "--bias ba.npy --bias bb.npy --output y.npy --report r.json");
  ASSERT_EQ(r.status, 0) << r.out << r.err;
  EXPECT_HAS(r.out, "PASS");

  const auto acc_a = naive_conv(a, x, wa);
  Tensor<std::int8_t> mid({a.K, a.P(), a.Q()});
  for (unsigned k = 0; k < a.K; ++k)
    for (unsigned p = 0; p < a.P(); ++p)
      for (unsigned q = 0; q < a.Q(); ++q)
        mid.at({k, p, q}) = std::int8_t(requantize(acc_a.at({k, p, q}), ba.at({k}), 1, 8, true, 8));
  const auto acc_b = naive_conv(b, mid, wb);
  Tensor<std::int64_t> want({b.K, b.P(), b.Q()});
  for (unsigned k = 0; k < b.K; ++k)
    for (unsigned p = 0; p < b.P(); ++p)
      for (unsigned q = 0; q < b.Q(); ++q)
        want.at({k, p, q}) = requantize(acc_b.at({k, p, q}), bb.at({k}), 5, 10, false, 8);
  const auto y = sdla::npy::read<std::int8_t>(path("y.npy"));
  ASSERT_EQ(y.shape(), (Shape{b.K, b.P(), b.Q()}));
  EXPECT_TRUE(cast<std::int64_t>(y) == want);

  // The report: two layers whose figures add up to the totals.
  const json j = report("r.json");
  expect_figures(j, "chain report");
  ASSERT_EQ(j["layers"].size(), 2u);
  std::uint64_t macs = 0, cycles = 0, rd = 0, wr = 0;
  for (std::size_t i = 0; i < 2; ++i) {
    expect_figures(j["layers"][i], "layers[" + std::to_string(i) + "]");
    macs += j["layers"][i]["macs"].get<std::uint64_t>();
    cycles += j["layers"][i]["cycles"].get<std::uint64_t>();
    rd += j["layers"][i]["dram_bytes_read"].get<std::uint64_t>();
    wr += j["layers"][i]["dram_bytes_written"].get<std::uint64_t>();
  }
  EXPECT_EQ(j["layers"][0]["macs"].get<std::uint64_t>(), a.macs());
  EXPECT_EQ(j["layers"][1]["macs"].get<std::uint64_t>(), b.macs());
  EXPECT_EQ(j["macs"].get<std::uint64_t>(), macs);
  EXPECT_LE(cycles, j["cycles"].get<std::uint64_t>());
  EXPECT_EQ(j["dram_bytes_read"].get<std::uint64_t>(), rd);
  EXPECT_EQ(j["dram_bytes_written"].get<std::uint64_t>(), wr);
  // Each layer fetched its own descriptor; the chain fetched two.
  EXPECT_EQ(j["activity"]["controller"]["descriptors"], 2);
  EXPECT_EQ(j["layers"][0]["activity"]["controller"]["descriptors"], 1);
  EXPECT_EQ(j["layers"][1]["activity"]["controller"]["descriptors"], 1);
  // Layer a read at least its descriptor, post parameters, input [6][6][8] and weights.
  EXPECT_GE(j["layers"][0]["dram_bytes_read"].get<std::uint64_t>(), 128u + a.K * 9 + 6 * 6 * 8 + a.K * 9 * 8);
  double energy = 0;
  for (const auto& l : j["layers"]) energy += l["energy_pj"]["total"].get<double>();
  EXPECT_NEAR(j["energy_pj"]["total"].get<double>(), energy, 1e-6 * energy);
}

TEST_F(SdlaRun, MaxPoolThenConvTakesWeightsForTheConvOnly) {
  // maxpool 3x3 stride 2 padding 1 of x, then a raw conv: --weights names the conv's alone.
  std::mt19937_64 rng(sdla::test::seed(57));
  const unsigned C = 6, H = 9, W = 7;
  Conv b;
  b.C = C; b.H = 5; b.W = 4; b.K = 4; b.R = 3; b.S = 3; b.pt = b.pb = b.pl = b.pr = 1;
  const auto x = random_tensor<std::int8_t>({C, H, W}, -128, 127, rng);
  const auto w = random_tensor<std::int8_t>({b.K, b.C, b.R, b.S}, -128, 127, rng);
  write_npy("x.npy", x);
  write_npy("w.npy", w);
  write_text("net.json", R"({"layers": [{"name": "pool", "op": "maxpool", "in_channels": 6, "in_height": 9,
      "in_width": 7, "kernel": [3, 3], "stride": [2, 2], "padding": [1, 1]}, )" + layer_json("conv", b, "int8") + "]}");
  const Result r = run("--preset small --layer net.json --input x.npy --weights w.npy --output y.npy --report r.json");
  ASSERT_EQ(r.status, 0) << r.out << r.err;
  EXPECT_HAS(r.out, "PASS");
  Tensor<std::int8_t> pooled({C, b.H, b.W});
  for (unsigned c = 0; c < C; ++c)
    for (unsigned p = 0; p < b.H; ++p)
      for (unsigned q = 0; q < b.W; ++q) {
        int best = -1000;
        for (int r2 = 0; r2 < 3; ++r2)
          for (int s2 = 0; s2 < 3; ++s2) {
            const int h = int(2 * p) + r2 - 1, ww = int(2 * q) + s2 - 1;
            if (h >= 0 && ww >= 0 && h < int(H) && ww < int(W)) best = std::max(best, int(x.at({c, unsigned(h), unsigned(ww)})));
          }
        pooled.at({c, p, q}) = std::int8_t(best);
      }
  const auto y = sdla::npy::read<std::int32_t>(path("y.npy"));
  EXPECT_TRUE(cast<std::int64_t>(y) == naive_conv(b, pooled, w));
  const json j = report("r.json");
  EXPECT_EQ(j["layers"][0]["op"], "maxpool");
  EXPECT_EQ(j["layers"][0]["macs"], 0);
  EXPECT_GT(j["layers"][0]["energy_pj"]["pooling"].get<double>(), 0.0);
  EXPECT_EQ(j["layers"][0]["pool"]["kind"], "max");
  // Two weight files for one layer with weights: the message says pool layers have none.
  const Result bad = run("--preset small --layer net.json --weights w.npy --weights w.npy");
  EXPECT_EQ(bad.status, 2) << bad.out << bad.err;
  EXPECT_HAS(bad.err, "2 --weights files for 1 layers with weights (pool layers have none)");
}

TEST_F(SdlaRun, AcceleratorErrorExitsWith1AndReportsTheError) {
  // A 60000x1 kernel over one channel: one output pixel whose window does not fit the small buffer.
  write_text("huge_kernel.json", R"({"name": "tall", "op": "conv2d", "in_channels": 1, "in_height": 60000,
                                     "in_width": 1, "out_channels": 1, "kernel": [60000, 1]})");
  const Result r = run("--preset small --layer huge_kernel.json --report r.json --output y.npy");
  EXPECT_EQ(r.status, 1) << r.out << r.err;
  EXPECT_HAS(r.out, "FAIL");
  EXPECT_EQ(r.out.find("PASS"), std::string::npos);
  const json j = report("r.json");
  EXPECT_EQ(j["status"], "error");
  EXPECT_FALSE(j["bit_exact"].get<bool>());
  ASSERT_TRUE(j.contains("error"));
  EXPECT_EQ(j["error"]["code"], 4);  // ErrorCode::buffer_capacity
  EXPECT_EQ(j["error"]["layer"], 0);
  EXPECT_HAS(j["error"]["message"].get<std::string>(), "cannot be tiled");
  EXPECT_TRUE(j["layers"].empty());
  EXPECT_FALSE(fs::exists(dir_ / "y.npy")) << "no layer completed, so there is no output to write";
}

TEST_F(SdlaRun, EnergyTableOverridesChangeTheReport) {
  write_text("l.json", R"({"name": "e", "op": "conv2d", "in_channels": 8, "in_height": 6, "in_width": 6,
                           "out_channels": 8, "kernel": [3, 3], "padding": [1, 1]})");
  write_text("free_dram.yaml",
             "ERT:\n  tables:\n    - name: dram\n      actions:\n"
             "        - {name: read_bytes, energy: 0}\n        - {name: write_bytes, energy: 0}\n");
  Result r = run("--preset small --layer l.json --report base.json");
  ASSERT_EQ(r.status, 0) << r.err;
  r = run("--preset small --layer l.json --report free.json --energy-table free_dram.yaml");
  ASSERT_EQ(r.status, 0) << r.err;
  const json base = report("base.json"), free = report("free.json");
  EXPECT_GT(base["energy_pj"]["dram"].get<double>(), 0.0);
  EXPECT_EQ(free["energy_pj"]["dram"].get<double>(), 0.0);
  EXPECT_NEAR(free["energy_pj"]["total"].get<double>(),
              base["energy_pj"]["total"].get<double>() - base["energy_pj"]["dram"].get<double>(),
              1e-6 * base["energy_pj"]["total"].get<double>());
  EXPECT_EQ(free["energy_pj"]["mac_array"], base["energy_pj"]["mac_array"]);
  // --print-energy-table prints the built-in table.
  r = run("--print-energy-table");
  EXPECT_EQ(r.status, 0);
  EXPECT_HAS(r.out, "ERT:");
  EXPECT_HAS(r.out, "mac_random");
}

TEST_F(SdlaRun, SeedTakesTheWhole64BitRange) {
  write_text("l.json", R"({"name": "s", "op": "conv2d", "in_channels": 3, "in_height": 4, "in_width": 4,
                           "out_channels": 2, "kernel": [3, 3]})");
  for (const char* seed : {"0", "18446744073709551615"}) {
    const Result r = run(std::string("--preset small --layer l.json --seed ") + seed);
    ASSERT_EQ(r.status, 0) << r.out << r.err;
    EXPECT_HAS(r.out, std::string("seed ") + seed + ",");
  }
}

TEST_F(SdlaRun, EnergyTableEntriesThatPriceNothingAreWarnings) {
  write_text("l.json", R"({"name": "e", "op": "conv2d", "in_channels": 8, "in_height": 6, "in_width": 6,
                           "out_channels": 8, "kernel": [3, 3], "padding": [1, 1]})");
  // A team's table with a typo in an action, an argument and a component: each was added silently.
  write_text("team.yaml", "ERT:\n  tables:\n    - name: mac_array\n      actions:\n"
                          "        - {name: mac_random, energy: 0.5}\n"
                          "        - {name: mac_randm, energy: 0.5}\n"
                          "        - {name: mac_gated, energy: 0.02, arguments: {precison: int8}}\n"
                          "    - name: unified_bufer\n      actions:\n        - {name: read_bytes, energy: 3}\n");
  Result r = run("--preset small --layer l.json --energy-table team.yaml --report r.json");
  ASSERT_EQ(r.status, 0) << r.out << r.err;
  EXPECT_HAS(r.out, "PASS");
  EXPECT_HAS(r.err, "sdla-run: warning: team.yaml: ERT.tables[0].actions[1]: mac_array.mac_randm: action 'mac_randm' "
                    "matches nothing mac_array counts");
  EXPECT_HAS(r.err, "sdla-run: warning: team.yaml: ERT.tables[0].actions[2]: mac_array.mac_gated: argument 'precison'");
  EXPECT_HAS(r.err, "sdla-run: warning: team.yaml: ERT.tables[1].actions[0]: unified_bufer.read_bytes: component "
                    "'unified_bufer'");
  EXPECT_EQ(r.err.find("actions[0]: mac_array.mac_random"), std::string::npos) << "a good entry was warned about";
  // The good entry still prices the run.
  const json j = report("r.json");
  EXPECT_GT(j["energy_pj"]["mac_array"].get<double>(), 0.0);
  // --strict makes them an error that lists all three, before anything runs.
  r = run("--preset small --layer l.json --energy-table team.yaml --strict");
  EXPECT_EQ(r.status, 2) << r.out << r.err;
  EXPECT_HAS(r.err, "--strict: 3 energy-table entries of team.yaml would price nothing");
  EXPECT_HAS(r.err, "mac_randm");
  EXPECT_HAS(r.err, "precison");
  EXPECT_HAS(r.err, "unified_bufer");
  EXPECT_EQ(r.out.find("layer(s)"), std::string::npos) << "it simulated first";
  // A table without typos: no warning, and --strict passes.
  write_text("good.yaml", "ERT:\n  tables:\n    - name: mac_array\n      actions:\n"
                          "        - {name: mac_random, energy: 0.5, arguments: {precision: int8, preset: small}}\n");
  r = run("--preset small --layer l.json --energy-table good.yaml --strict");
  EXPECT_EQ(r.status, 0) << r.out << r.err;
  EXPECT_EQ(r.err, "");
}

TEST_F(SdlaRun, MissingOutputFoldersAreCreatedBeforeSimulating) {
  write_text("l.json", R"({"name": "o", "op": "conv2d", "in_channels": 3, "in_height": 4, "in_width": 4,
                           "out_channels": 2, "kernel": [3, 3]})");
  // --report into a missing folder failed after the whole simulation.
  const Result r = run("--preset small --layer l.json --output out/y/y.npy --report reports/a/r.json");
  ASSERT_EQ(r.status, 0) << r.out << r.err;
  EXPECT_HAS(r.out, "PASS");
  EXPECT_EQ(sdla::npy::read<std::int32_t>(path("out/y/y.npy")).shape(), (Shape{2, 2, 2}));
  EXPECT_TRUE(report("reports/a/r.json")["bit_exact"].get<bool>());
}

TEST_F(SdlaRun, UnwritableOutputPathsFailBeforeSimulating) {
  write_text("l.json", R"({"name": "o", "op": "conv2d", "in_channels": 3, "in_height": 4, "in_width": 4,
                           "out_channels": 2, "kernel": [3, 3]})");
  write_text("plain.txt", "a file, not a folder");
  fs::create_directories(dir_ / "a_folder");
  const std::pair<const char*, std::vector<const char*>> cases[] = {
      {"--report plain.txt/r.json", {"--report plain.txt/r.json: cannot create the folder 'plain.txt'", "Not a directory"}},
      {"--output plain.txt/y.npy", {"--output plain.txt/y.npy: cannot create the folder", "Not a directory"}},
      {"--output a_folder", {"--output a_folder: cannot open for writing: Is a directory"}},
      {"--report a_folder", {"--report a_folder: cannot open for writing: Is a directory"}},
  };
  for (const auto& [args, stderr_has] : cases) {
    SCOPED_TRACE(args);
    const Result r = run(std::string("--preset small --layer l.json ") + args);
    EXPECT_EQ(r.status, 2) << r.out << r.err;
    for (const char* s : stderr_has) EXPECT_HAS(r.err, s);
    EXPECT_EQ(r.out, "") << "it simulated before finding out";
  }
  EXPECT_EQ(slurp(dir_ / "plain.txt"), "a file, not a folder");
}

TEST_F(SdlaRun, LogLevelShowsTheModelsMessagesOnStderrOnly) {
  write_text("l.json", R"({"name": "o", "op": "conv2d", "in_channels": 3, "in_height": 4, "in_width": 4,
                           "out_channels": 2, "kernel": [3, 3]})");
  const Result quiet = run("--preset small --layer l.json --report quiet.json");
  ASSERT_EQ(quiet.status, 0) << quiet.out << quiet.err;
  EXPECT_EQ(quiet.err, "") << "the default prints no message";
  // SystemC's reports under the units' hierarchical names and sdla/ IDs, on
  // stderr; stdout and the JSON report are those of the quiet run.
  const Result info = run("--preset small --layer l.json --report info.json --log-level info");
  ASSERT_EQ(info.status, 0) << info.out << info.err;
  EXPECT_EQ(info.out, quiet.out);
  EXPECT_EQ(report("info.json"), report("quiet.json"));
  EXPECT_HAS(info.err, "Info: sdla/controller: tb.sdla.controller: layer 0 start: conv2d int8 3,4x4->2,2x2 k3x3 s1x1\n");
  const std::uint64_t cycles = report("quiet.json")["layers"][0]["cycles"].get<std::uint64_t>();
  EXPECT_HAS(info.err, "Info: sdla/controller: tb.sdla.controller: layer 0 end: " + std::to_string(cycles) + " cycles");
  EXPECT_HAS(info.err, "Info: sdla/controller: tb.sdla.controller: run done: 1 layer(s)");
  EXPECT_EQ(info.err.find("sdla/loader"), std::string::npos) << "tile steps are for --log-level full";
  const Result verbose = run("--preset small --layer l.json --verbose");
  ASSERT_EQ(verbose.status, 0) << verbose.out << verbose.err;
  EXPECT_EQ(verbose.err, info.err) << "--verbose is --log-level info";
  const Result full = run("--preset small --layer l.json --log-level full");
  ASSERT_EQ(full.status, 0) << full.out << full.err;
  EXPECT_HAS(full.err, "Info: sdla/loader: tb.sdla.conv.loader: layer0 step 1/");
  EXPECT_HAS(full.err, "Info: sdla/controller: tb.sdla.controller: descriptor 0 fetched from ");
  const Result none = run("--preset small --layer l.json --log-level none");
  ASSERT_EQ(none.status, 0) << none.out << none.err;
  EXPECT_EQ(none.err, "");
}

// ------------------------------------------------------------ errors: exit 2, a message on stderr

struct ErrorCase {
  const char* name;
  const char* args;
  std::vector<const char*> stderr_has;
  std::vector<const char*> stderr_lacks = {};
};

class SdlaRunErrors : public SdlaRun, public ::testing::WithParamInterface<ErrorCase> {
 protected:
  /// Files the error cases refer to.
  void make_files() {
    std::mt19937_64 rng(7);
    Conv c;
    c.C = 3; c.H = 5; c.W = 5; c.K = 4; c.R = 3; c.S = 3;
    write_text("l8.json", layer_json("l8", c, "int8"));
    write_text("post8.json", layer_json("p8", c, "int8", R"({"multiplier": 1, "shift": 4})"));
    write_text("typo.json", R"({"name": "t", "op": "conv2d", "in_channels": 3, "in_height": 5, "in_width": 5,
                                "out_channels": 4, "kernal": [3, 3]})");
    write_text("broken.json", R"({"name": "t", "op": "conv2d", "in_channels": 3,)");
    write_npy("x8.npy", random_tensor<std::int8_t>({3, 5, 5}, -128, 127, rng));
    write_npy("x16.npy", random_tensor<std::int16_t>({3, 5, 5}, -300, 300, rng));
    write_npy("x_shape.npy", random_tensor<std::int8_t>({3, 5, 6}, -128, 127, rng));
    write_npy("w8.npy", random_tensor<std::int8_t>({4, 3, 3, 3}, -128, 127, rng));
    write_npy("w_shape.npy", random_tensor<std::int8_t>({4, 3, 3, 2}, -128, 127, rng));
    write_npy("b32.npy", random_tensor<std::int32_t>({4}, -10, 10, rng));
    write_npy("b16.npy", random_tensor<std::int16_t>({4}, -10, 10, rng));
    write_npy("x_trunc.npy", random_tensor<std::int8_t>({3, 5, 5}, -128, 127, rng));
    fs::resize_file(dir_ / "x_trunc.npy", fs::file_size(dir_ / "x_trunc.npy") - 30);
    write_text("garbage.npy", "this is not a numpy file at all");
    write_text("neg.yaml", "ERT:\n  tables:\n    - name: dram\n      actions:\n        - {name: read_bytes, energy: -1}\n");
    write_text("typo.yaml", "ERT:\n  tables:\n    - name: mac_array\n      actions:\n        - {name: mac_randm, energy: 1}\n");
    // 400 KB of [[[...]]]: a stack overflow (exit 139) once it was quoted in the message.
    write_text("deep.json", std::string(200000, '[') + std::string(200000, ']'));
    write_text("huge_number.json", R"({"name": "t", "op": "conv2d", "in_channels": 1e400, "in_height": 5, "in_width": 5,
                                       "out_channels": 4})");
    // 20000 x 20000 x 1 channel: padded to the 64 lanes of `full`, 25.6 GB of input and 102 GB of output.
    write_text("wide.json", R"({"name": "wide", "op": "conv2d", "in_channels": 1, "in_height": 20000,
                                "in_width": 20000, "out_channels": 1})");
    write_text("huge16.json", R"({"name": "huge16", "op": "conv2d", "in_channels": 16, "in_height": 65535,
                                  "in_width": 65535, "out_channels": 16, "precision": "int16"})");
    write_text("plain.txt", "a file, not a folder");
  }
};

TEST_P(SdlaRunErrors, ExitsWithStatus2AndNamesTheProblem) {
  make_files();
  const ErrorCase& c = GetParam();
  const Result r = run(c.args);
  EXPECT_EQ(r.status, 2) << "stdout: " << r.out << "\nstderr: " << r.err;
  EXPECT_FALSE(r.err.empty());
  for (const char* s : c.stderr_has) EXPECT_HAS(r.err, s);
  for (const char* s : c.stderr_lacks) EXPECT_EQ(r.err.find(s), std::string::npos) << "stderr has '" << s << "': " << r.err;
  EXPECT_EQ(r.out.find("PASS"), std::string::npos);
  EXPECT_EQ(r.out.find("layer(s)"), std::string::npos) << "the simulation ran before the error was found";
  EXPECT_FALSE(fs::exists(dir_ / "y.npy")) << "an output was written despite the error";
}

void PrintTo(const ErrorCase& c, std::ostream* os) { *os << c.name; }

const ErrorCase kErrorCases[] = {
    {"UnknownLayerField", "--layer typo.json --output y.npy", {"typo.json", "unknown field 'kernal'"}},
    {"InvalidJson", "--layer broken.json --output y.npy", {"broken.json", "invalid JSON"}},
    {"TruncatedNpy", "--layer l8.json --input x_trunc.npy --output y.npy", {"x_trunc.npy"}},
    {"NotAnNpyFile", "--layer l8.json --input garbage.npy --output y.npy", {"garbage.npy"}},
    {"InputDtypeMismatch", "--layer l8.json --input x16.npy --output y.npy", {"x16.npy", "int8", "int16"}},
    {"WrongInputShape", "--layer l8.json --input x_shape.npy --output y.npy", {"x_shape.npy", "[3, 5, 6]", "[3, 5, 5]"}},
    {"WrongWeightsShape", "--layer l8.json --weights w_shape.npy --output y.npy", {"w_shape.npy", "[4, 3, 3, 2]"}},
    {"BiasWithoutPost", "--layer l8.json --bias b32.npy --output y.npy", {"b32.npy", "post"}},
    {"BiasNotInt32", "--layer post8.json --bias b16.npy --output y.npy", {"b16.npy", "int32"}},
    {"WrongNumberOfWeights", "--layer l8.json --weights w8.npy --weights w8.npy --output y.npy",
     {"2 --weights files for 1 layers"}},
    {"UnknownPreset", "--preset huge --output y.npy", {"--preset", "huge"}},
    {"MissingLayerFile", "--layer no_such_layer.json --output y.npy", {"no_such_layer.json"}},
    {"MissingInputFile", "--layer l8.json --input no_such_input.npy --output y.npy", {"no_such_input.npy"}},
    {"UnknownOption", "--layr l8.json --output y.npy", {"--layr"}},
    {"BadEnergyTable", "--layer l8.json --energy-table neg.yaml --output y.npy", {"neg.yaml", "non-negative"}},
    {"UnknownMacArray", "--layer l8.json --mac fpga --output y.npy", {"--mac", "fpga"}},
    {"UnknownWinogradMode", "--layer l8.json --winograd fast --output y.npy", {"--winograd", "fast"}},
    {"DeeplyNestedLayerFile", "--layer deep.json --output y.npy", {"deep.json: ", "nested deeper than 64 levels"}},
    {"NumberBeyondADouble", "--layer huge_number.json --output y.npy",
     {"huge_number.json: in_channels: number 1e400 is too large"}, {"json.exception"}},
    {"PaddedImageBeyondHostMemory", "--layer wide.json --output y.npy",
     {"layer 'wide': the run needs", "padded to 64 lanes", "bytes", "host-memory budget"}, {"bad_alloc"}},
    {"Int16TensorsBeyondHostMemory", "--layer huge16.json --output y.npy",
     {"layer 'huge16': the run needs", "bytes", "host-memory budget"}, {"bad_alloc"}},
    {"NegativeVcdWindow", "--layer l8.json --mac rtl --vcd w.vcd --vcd-window -5:-1 --output y.npy",
     {"--vcd-window -5:-1", "FIRST '-5' is not a cycle number"}},
    {"NegativeVcdWindowEnd", "--layer l8.json --mac rtl --vcd w.vcd --vcd-window 5:-1 --output y.npy",
     {"--vcd-window 5:-1", "LAST '-1' is not a cycle number"}},
    {"VcdWindowWithSpaces", "--layer l8.json --mac rtl --vcd w.vcd --vcd-window ' 5:9' --output y.npy",
     {"--vcd-window  5:9", "is not a cycle number"}},
    {"VcdWindowBackwards", "--layer l8.json --mac rtl --vcd w.vcd --vcd-window 9:5 --output y.npy",
     {"--vcd-window 9:5", "LAST must exceed FIRST"}},
    {"NegativeSeed", "--layer l8.json --seed -1 --output y.npy", {"--seed", "'-1' is not a seed"}},
    {"SeedBeyond64Bits", "--layer l8.json --seed 18446744073709551616 --output y.npy",
     {"--seed", "'18446744073709551616' exceeds the largest seed"}},
    {"EnergyTableTypoUnderStrict", "--layer l8.json --energy-table typo.yaml --strict --output y.npy",
     {"--strict", "typo.yaml: ERT.tables[0].actions[0]: mac_array.mac_randm"}},
    {"ReportUnderAFile", "--layer l8.json --report plain.txt/r.json --output y.npy",
     {"--report plain.txt/r.json", "Not a directory"}},
    {"UnknownLogLevel", "--layer l8.json --log-level loud --output y.npy", {"--log-level", "loud"}},
    {"VerboseAndLogLevel", "--layer l8.json --verbose --log-level full --output y.npy", {"--verbose", "--log-level"}},
    {"UnknownWavesFormat", "--layer l8.json --mac rtl --vcd w.lxt --waves-format lxt --output y.npy",
     {"--waves-format", "lxt"}},
    {"WavesFormatAgainstTheExtension", "--layer l8.json --mac rtl --vcd w.vcd --waves-format fst --output y.npy",
     {"--waves-format fst contradicts the file name w.vcd"}},
    {"WavesFormatWithoutVcd", "--layer l8.json --waves-format fst --output y.npy", {"--waves-format needs --vcd"}},
};

INSTANTIATE_TEST_SUITE_P(Cases, SdlaRunErrors, ::testing::ValuesIn(kErrorCases),
                         [](const ::testing::TestParamInfo<ErrorCase>& i) { return std::string(i.param.name); });

}  // namespace
