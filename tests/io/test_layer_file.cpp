// Tests of tb/io/layer_file: every field, defaults, the layers list, the
// inverse to_json, and the rejection of each kind of bad input (hostile
// ones too: deep nesting, values too long to quote, numbers beyond a double).
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "io/layer_file.hpp"

namespace fs = std::filesystem;
using nlohmann::json;
using sdla::Layer;
using sdla::LayerError;
using sdla::Op;
using sdla::Padding;
using sdla::Precision;

namespace {

class LayerFileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("sdla_test_layer_file_" + std::to_string(::getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override {
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }
  std::string put(const std::string& name, const std::string& text) const {
    const std::string p = (dir_ / name).string();
    std::ofstream(p) << text;
    return p;
  }
  fs::path dir_;
};

/// The LayerError message of parsing `text` as "net.json"; fails if none.
std::string error_of(const std::string& text) {
  try {
    sdla::parse_layers(json::parse(text), "net.json");
  } catch (const LayerError& e) {
    return e.what();
  } catch (const std::exception& e) {
    ADD_FAILURE() << "expected LayerError, got: " << e.what();
    return {};
  }
  ADD_FAILURE() << "expected LayerError for " << text;
  return {};
}

#define EXPECT_CONTAINS(text, fragment) \
  EXPECT_NE(std::string(text).find(fragment), std::string::npos) << "message: " << (text)

Layer one(const std::string& text) {
  const auto layers = sdla::parse_layers(json::parse(text), "t.json");
  EXPECT_EQ(layers.size(), 1u);
  return layers.at(0);
}

/// A valid conv2d layer with one field replaced, for rejection tests.
std::string conv_with(const std::string& field, const std::string& value) {
  json j = json::parse(R"({"op": "conv2d", "in_channels": 4, "out_channels": 8, "in_height": 6,
                           "in_width": 6, "kernel": [3, 3]})");
  j[field] = json::parse(value);
  return j.dump();
}

// ---------------------------------------------------------------------------
// Accepted documents

TEST(LayerFile, AllFields) {
  const Layer l = one(R"({
    "name": "conv1", "op": "conv2d", "in_channels": 3, "out_channels": 4,
    "in_height": 32, "in_width": 31, "kernel": [3, 5], "stride": [2, 1],
    "padding": [1, 2, 0, 4], "precision": "int16",
    "input_density": 0.25, "weight_density": 0,
    "post": {"multiplier": [3, -4, 5, 2147483647], "shift": [0, 1, 62, 7], "relu": true}})");
  EXPECT_EQ(l.name, "conv1");
  EXPECT_EQ(l.op, Op::conv2d);
  EXPECT_EQ(l.in_channels, 3u);
  EXPECT_EQ(l.out_channels, 4u);
  EXPECT_EQ(l.in_height, 32u);
  EXPECT_EQ(l.in_width, 31u);
  EXPECT_EQ(l.kernel_h, 3u);
  EXPECT_EQ(l.kernel_w, 5u);
  EXPECT_EQ(l.stride_h, 2u);
  EXPECT_EQ(l.stride_w, 1u);
  EXPECT_EQ(l.pad, (Padding{1, 2, 0, 4}));
  EXPECT_EQ(l.precision, Precision::int16);
  EXPECT_DOUBLE_EQ(l.input_density, 0.25);
  EXPECT_DOUBLE_EQ(l.weight_density, 0.0);
  EXPECT_TRUE(l.post.enabled);
  EXPECT_TRUE(l.post.relu);
  EXPECT_EQ(l.post.multiplier, (std::vector<std::int32_t>{3, -4, 5, 2147483647}));
  EXPECT_EQ(l.post.shift, (std::vector<std::uint8_t>{0, 1, 62, 7}));
  EXPECT_EQ(l.out_height(), 17u);  // (32 + 1 + 2 - 3) / 2 + 1
  EXPECT_EQ(l.out_width(), 31u);   // (31 + 0 + 4 - 5) / 1 + 1
}

TEST(LayerFile, PaddingTwoFormIsSymmetric) {
  const Layer l = one(conv_with("padding", "[2, 1]"));
  EXPECT_EQ(l.pad, (Padding{2, 2, 1, 1}));
  const Layer m = one(conv_with("padding", "[0, 2, 1, 0]"));
  EXPECT_EQ(m.pad, (Padding{0, 2, 1, 0}));
}

TEST(LayerFile, Defaults) {
  const Layer l = one(R"({"op": "conv2d", "in_channels": 2, "out_channels": 3, "in_height": 5, "in_width": 7})");
  EXPECT_EQ(l.name, "layer0");
  EXPECT_EQ(l.kernel_h, 1u);
  EXPECT_EQ(l.kernel_w, 1u);
  EXPECT_EQ(l.stride_h, 1u);
  EXPECT_EQ(l.stride_w, 1u);
  EXPECT_EQ(l.pad, Padding{});
  EXPECT_EQ(l.precision, Precision::int8);
  EXPECT_EQ(l.input_density, 1.0);
  EXPECT_EQ(l.weight_density, 1.0);
  EXPECT_FALSE(l.post.enabled);
}

TEST(LayerFile, Groups) {
  EXPECT_EQ(one(conv_with("kernel", "[3, 3]")).groups, 1u) << "default: one group";
  const Layer dw = one(R"({"op": "conv2d", "in_channels": 96, "out_channels": 96, "in_height": 112,
                           "in_width": 112, "kernel": [3, 3], "stride": [2, 2], "padding": [1, 1], "groups": 96})");
  EXPECT_EQ(dw.groups, 96u);
  EXPECT_EQ(dw.group_channels(), 1u);
  EXPECT_EQ(dw.macs(), 96u * 56 * 56 * 9);
  EXPECT_EQ(one(conv_with("groups", "4")).groups, 4u);
  EXPECT_EQ(sdla::to_json(dw)["groups"], 96);
  EXPECT_FALSE(sdla::to_json(one(conv_with("groups", "1"))).contains("groups")) << "one group is the default";
  EXPECT_EQ(sdla::parse_layers(sdla::to_json(dw), "t").at(0).groups, 96u);
}

TEST(LayerFile, PostDefaults) {
  const Layer l = one(conv_with("post", "{}"));
  EXPECT_TRUE(l.post.enabled);
  EXPECT_FALSE(l.post.relu);
  EXPECT_EQ(l.post.multiplier, std::vector<std::int32_t>{1});
  EXPECT_EQ(l.post.shift, std::vector<std::uint8_t>{0});
  const Layer m = one(conv_with("post", R"({"multiplier": -7, "shift": [9]})"));
  EXPECT_EQ(m.post.multiplier, std::vector<std::int32_t>{-7});
  EXPECT_EQ(m.post.shift, std::vector<std::uint8_t>{9});
}

TEST(LayerFile, FcDefaults) {
  const Layer l = one(R"({"op": "fc", "in_channels": 1024, "out_channels": 10})");
  EXPECT_EQ(l.op, Op::fc);
  EXPECT_EQ(l.in_height, 1u);
  EXPECT_EQ(l.in_width, 1u);
  EXPECT_EQ(l.kernel_h, 1u);
  EXPECT_EQ(l.kernel_w, 1u);
  EXPECT_EQ(l.stride_h, 1u);
  EXPECT_EQ(l.stride_w, 1u);
  EXPECT_EQ(l.pad, Padding{});
  EXPECT_EQ(l.macs(), 10240u);
  // Explicit ones are fine.
  const Layer m = one(R"({"op": "fc", "in_channels": 8, "out_channels": 2, "in_height": 1, "in_width": 1,
                          "kernel": [1, 1], "stride": [1, 1], "padding": [0, 0]})");
  EXPECT_EQ(m.in_height, 1u);
}

TEST(LayerFile, LayersListWithIndexNames) {
  const auto layers = sdla::parse_layers(json::parse(R"({"layers": [
      {"op": "conv2d", "in_channels": 3, "out_channels": 8, "in_height": 8, "in_width": 8, "kernel": [3, 3]},
      {"name": "mid", "op": "conv2d", "in_channels": 8, "out_channels": 8, "in_height": 6, "in_width": 6},
      {"op": "fc", "in_channels": 288, "out_channels": 10, "precision": "int16"}]})"),
                                         "net.json");
  ASSERT_EQ(layers.size(), 3u);
  EXPECT_EQ(layers[0].name, "layer0");
  EXPECT_EQ(layers[1].name, "mid");
  EXPECT_EQ(layers[2].name, "layer2");
  EXPECT_EQ(layers[0].kernel_h, 3u);
  EXPECT_EQ(layers[2].op, Op::fc);
  EXPECT_EQ(layers[2].precision, Precision::int16);
}

TEST_F(LayerFileTest, ReadsFromDisk) {
  const std::string p =
      put("net.json", R"({"layers": [{"op": "fc", "in_channels": 4, "out_channels": 2, "post": {"relu": true}}]})");
  const auto layers = sdla::read_layer_file(p);
  ASSERT_EQ(layers.size(), 1u);
  EXPECT_TRUE(layers[0].post.relu);
  // A lone layer object works too.
  const auto single = sdla::read_layer_file(put("one.json", R"({"op": "fc", "in_channels": 4, "out_channels": 2})"));
  ASSERT_EQ(single.size(), 1u);
  EXPECT_EQ(single[0].out_channels, 2u);
}

TEST(LayerFile, ToJsonRoundTrips) {
  std::vector<Layer> layers(4);
  layers[0].name = "a";
  layers[0].in_channels = 3;
  layers[0].in_height = 9;
  layers[0].in_width = 10;
  layers[0].out_channels = 5;
  layers[0].kernel_h = 3;
  layers[0].kernel_w = 2;
  layers[0].stride_h = 2;
  layers[0].pad = {2, 0, 1, 1};
  layers[0].input_density = 0.1;
  layers[0].weight_density = 1.0 / 3.0;
  layers[0].post.enabled = true;
  layers[0].post.multiplier = {1, 2, 3, 4, -5};
  layers[0].post.shift = {3};
  layers[1] = layers[0];
  layers[1].name = "b";
  layers[1].pad = {1, 1, 0, 0};
  layers[1].precision = Precision::int16;
  layers[1].post = {};
  layers[2].name = "fc";
  layers[2].op = Op::fc;
  layers[2].in_channels = 100;
  layers[2].out_channels = 7;
  layers[2].post.enabled = true;
  layers[2].post.relu = true;
  layers[2].post.multiplier = {12345};
  layers[2].post.shift = {1, 2, 3, 4, 5, 6, 7};
  layers[3] = layers[1];
  layers[3].name = "c";
  layers[3].post.enabled = true;
  layers[3].post.multiplier = {1};
  layers[3].post.shift = {0};

  json doc;
  for (const Layer& l : layers) doc["layers"].push_back(sdla::to_json(l));
  const auto back = sdla::parse_layers(json::parse(doc.dump()), "report");
  ASSERT_EQ(back.size(), layers.size());
  for (std::size_t i = 0; i < layers.size(); ++i) {
    const Layer &a = layers[i], &b = back[i];
    SCOPED_TRACE(a.name);
    EXPECT_EQ(a.name, b.name);
    EXPECT_EQ(a.op, b.op);
    EXPECT_EQ(a.precision, b.precision);
    EXPECT_EQ(a.in_channels, b.in_channels);
    EXPECT_EQ(a.in_height, b.in_height);
    EXPECT_EQ(a.in_width, b.in_width);
    EXPECT_EQ(a.out_channels, b.out_channels);
    EXPECT_EQ(a.kernel_h, b.kernel_h);
    EXPECT_EQ(a.kernel_w, b.kernel_w);
    EXPECT_EQ(a.stride_h, b.stride_h);
    EXPECT_EQ(a.stride_w, b.stride_w);
    EXPECT_EQ(a.pad, b.pad);
    EXPECT_EQ(a.input_density, b.input_density);  // exact: JSON keeps 17 digits
    EXPECT_EQ(a.weight_density, b.weight_density);
    EXPECT_EQ(a.post.enabled, b.post.enabled);
    EXPECT_EQ(a.post.relu, b.post.relu);
    EXPECT_EQ(a.post.multiplier, b.post.multiplier);
    EXPECT_EQ(a.post.shift, b.post.shift);
  }
  EXPECT_EQ(sdla::to_json(layers[0])["padding"], json({2, 0, 1, 1}));
  EXPECT_EQ(sdla::to_json(layers[1])["padding"], json({1, 0}));
  EXPECT_EQ(sdla::to_json(layers[2])["op"], "fc");
  EXPECT_FALSE(sdla::to_json(layers[1]).contains("post"));
}

// ---------------------------------------------------------------------------
// Rejections

TEST(LayerFileErrors, ExampleMessageFormat) {
  const std::string m = error_of(R"({"layers": [
      {"op": "fc", "in_channels": 4, "out_channels": 2},
      {"op": "conv2d", "in_channels": 4, "out_channels": 2, "in_height": 4, "in_width": 4, "kernel": [3]}]})");
  EXPECT_EQ(m.rfind("net.json: layers[1].kernel: expected an array of 2 positive integers", 0), 0u) << m;
}

TEST(LayerFileErrors, UnknownField) {
  const std::string m = error_of(conv_with("kernal", "[3, 3]"));
  EXPECT_CONTAINS(m, "net.json: unknown field 'kernal'");
  EXPECT_CONTAINS(m, "allowed: name, op, in_channels, out_channels, in_height, in_width, kernel, stride, padding");
  EXPECT_CONTAINS(error_of(conv_with("post", R"({"relu": true, "bias": 3})")),
                  "net.json: post: unknown field 'bias' (allowed: multiplier, shift, relu)");
  EXPECT_CONTAINS(error_of(R"({"layers": [{"op": "fc", "in_channels": 1, "out_channels": 1, "Op": "fc"}]})"),
                  "net.json: layers[0]: unknown field 'Op'");
  EXPECT_CONTAINS(error_of(R"({"layers": [{"op": "fc", "in_channels": 1, "out_channels": 1}], "version": 2})"),
                  "unexpected top-level field 'version'");
}

TEST(LayerFileErrors, MissingRequired) {
  EXPECT_CONTAINS(error_of(R"({"in_channels": 1, "out_channels": 1})"), "net.json: missing required field 'op'");
  EXPECT_CONTAINS(error_of(R"({"op": "conv2d", "in_channels": 1, "out_channels": 1, "in_height": 3})"),
                  "missing required field 'in_width'");
  EXPECT_CONTAINS(error_of(R"({"layers": [{"op": "fc", "out_channels": 1}]})"),
                  "net.json: layers[0]: missing required field 'in_channels'");
}

TEST(LayerFileErrors, WrongTypes) {
  const std::pair<std::string, std::string> cases[] = {
      {conv_with("op", "3"), "op: expected \"conv2d\", \"fc\", \"maxpool\", \"avgpool\" or \"global_avgpool\", got 3"},
      {conv_with("in_channels", "\"3\""), "in_channels: expected a positive integer no larger than 65535, got \"3\""},
      {conv_with("in_height", "true"), "in_height: expected a positive integer"},
      {conv_with("kernel", "3"), "kernel: expected an array of 2 positive integers, got 3"},
      {conv_with("kernel", "[\"3\", 3]"), "kernel: expected an array of 2 positive integers"},
      {conv_with("stride", "{\"h\": 1}"), "stride: expected an array of 2 positive integers"},
      {conv_with("name", "5"), "name: expected a non-empty string, got 5"},
      {conv_with("name", "\"\""), "name: expected a non-empty string"},
      {conv_with("precision", "8"), "precision: expected \"int8\" or \"int16\", got 8"},
      {conv_with("input_density", "\"0.5\""), "input_density: expected a number in [0, 1], got \"0.5\""},
      {conv_with("post", "true"), "post: expected an object"},
      {conv_with("post", R"({"relu": "yes"})"), "post.relu: expected true or false, got \"yes\""},
      {conv_with("post", R"({"multiplier": "2"})"), "post.multiplier: expected an int32, got \"2\""},
      {"[1, 2]", "net.json: expected a layer object or {\"layers\": [...]}"},
      {R"({"layers": {"op": "fc"}})", "net.json: layers: expected a non-empty array of layer objects"},
      {R"({"layers": [3]})", "net.json: layers[0]: expected a layer object, got 3"},
  };
  for (const auto& [text, fragment] : cases) EXPECT_CONTAINS(error_of(text), fragment);
}

TEST(LayerFileErrors, Negative) {
  EXPECT_CONTAINS(error_of(conv_with("in_channels", "-3")), "in_channels: expected a positive integer no larger than 65535, got -3");
  EXPECT_CONTAINS(error_of(conv_with("out_channels", "0")), "out_channels: expected a positive integer");
  EXPECT_CONTAINS(error_of(conv_with("padding", "[-1, 0]")), "padding: expected an array of 2");
  EXPECT_CONTAINS(error_of(conv_with("stride", "[1, -2]")), "stride: expected an array of 2 positive integers");
  EXPECT_CONTAINS(error_of(conv_with("kernel", "[0, 1]")), "kernel: expected an array of 2 positive integers");
  EXPECT_CONTAINS(error_of(conv_with("weight_density", "-0.1")), "weight_density: expected a number in [0, 1]");
}

TEST(LayerFileErrors, NonInteger) {
  EXPECT_CONTAINS(error_of(conv_with("in_channels", "3.5")), "in_channels: expected a positive integer no larger than 65535, got 3.5");
  EXPECT_CONTAINS(error_of(conv_with("in_width", "6.0")), "in_width: expected a positive integer");
  EXPECT_CONTAINS(error_of(conv_with("kernel", "[3.0, 3]")), "kernel: expected an array of 2 positive integers");
  EXPECT_CONTAINS(error_of(conv_with("post", R"({"shift": 1.5})")), "post.shift: expected an integer shift in 0..62, got 1.5");
}

TEST(LayerFileErrors, TooLarge) {
  EXPECT_CONTAINS(error_of(conv_with("out_channels", "65536")), "out_channels: expected a positive integer no larger than 65535, got 65536");
  EXPECT_CONTAINS(error_of(conv_with("in_height", "18446744073709551615")), "in_height: expected a positive integer");
  EXPECT_CONTAINS(error_of(conv_with("kernel", "[70000, 1]")), "kernel: expected an array of 2 positive integers");
  EXPECT_CONTAINS(error_of(conv_with("input_density", "1.5")), "input_density: expected a number in [0, 1], got 1.5");
  EXPECT_CONTAINS(error_of(conv_with("post", R"({"multiplier": 2147483648})")), "post.multiplier: expected an int32, got 2147483648");
  EXPECT_CONTAINS(error_of(conv_with("post", R"({"multiplier": [1, 1, 1, 1, 1, 1, 1, -2147483649]})")),
                  "post.multiplier[7]: expected an int32, got -2147483649");
  // The extremes themselves are accepted.
  EXPECT_EQ(one(conv_with("post", R"({"multiplier": -2147483648})")).post.multiplier[0], INT32_MIN);
  EXPECT_EQ(one(conv_with("out_channels", "65535")).out_channels, 65535u);
}

TEST(LayerFileErrors, BadPrecisionAndOp) {
  EXPECT_CONTAINS(error_of(conv_with("precision", "\"int4\"")), "net.json: precision: expected \"int8\" or \"int16\", got \"int4\"");
  EXPECT_CONTAINS(error_of(conv_with("op", "\"conv3d\"")), "net.json: op: expected \"conv2d\", \"fc\", \"maxpool\", \"avgpool\" or \"global_avgpool\", got \"conv3d\"");
  EXPECT_CONTAINS(error_of(conv_with("op", "\"FC\"")), "got \"FC\"");
}

TEST(LayerFileErrors, PaddingWithThreeEntries) {
  const std::string m = error_of(conv_with("padding", "[1, 1, 1]"));
  EXPECT_CONTAINS(m, "net.json: padding: expected an array of 2 ([vertical, horizontal]) or 4 ([top, bottom, left, right])");
  EXPECT_CONTAINS(m, "got [1,1,1]");
  EXPECT_CONTAINS(error_of(conv_with("padding", "[]")), "padding: expected an array of 2");
}

TEST(LayerFileErrors, PostWithBadShift) {
  EXPECT_CONTAINS(error_of(conv_with("post", R"({"shift": 63})")), "net.json: post.shift: expected an integer shift in 0..62, got 63");
  EXPECT_CONTAINS(error_of(conv_with("post", R"({"shift": -1})")), "post.shift: expected an integer shift in 0..62, got -1");
  EXPECT_CONTAINS(error_of(conv_with("post", R"({"shift": [1, 2, 3, 4, 5, 6, 7, 99]})")), "post.shift[7]: expected an integer shift in 0..62, got 99");
  // 8 output channels: a list of 3 fits neither 1 nor 8.
  EXPECT_CONTAINS(error_of(conv_with("post", R"({"shift": [1, 2, 3]})")),
                  "post.shift: expected an integer shift in 0..62 or a list of 1 or out_channels = 8 of them, got a list of 3");
  EXPECT_CONTAINS(error_of(conv_with("post", R"({"multiplier": []})")), "post.multiplier: expected an int32 or a list of 1 or out_channels = 8");
}

TEST(LayerFileErrors, FcRestrictions) {
  EXPECT_CONTAINS(error_of(R"({"op": "fc", "in_channels": 4, "out_channels": 2, "in_height": 2})"),
                  "net.json: in_height: must be 1 for an fc layer, got 2");
  EXPECT_CONTAINS(error_of(R"({"op": "fc", "in_channels": 4, "out_channels": 2, "kernel": [3, 3]})"),
                  "kernel: must be [1, 1] for an fc layer");
  EXPECT_CONTAINS(error_of(R"({"op": "fc", "in_channels": 4, "out_channels": 2, "stride": [2, 1]})"),
                  "stride: must be [1, 1] for an fc layer");
  EXPECT_CONTAINS(error_of(R"({"op": "fc", "in_channels": 4, "out_channels": 2, "padding": [0, 1]})"),
                  "padding: must be zero for an fc layer");
}

TEST(LayerFileErrors, BadGroups) {
  // conv_with: in_channels 4, out_channels 8.
  EXPECT_CONTAINS(error_of(conv_with("groups", "0")), "net.json: groups: expected a positive integer");
  EXPECT_CONTAINS(error_of(conv_with("groups", "-2")), "net.json: groups: expected a positive integer");
  EXPECT_CONTAINS(error_of(conv_with("groups", "2.5")), "net.json: groups: expected a positive integer");
  EXPECT_CONTAINS(error_of(conv_with("groups", "\"4\"")), "net.json: groups: expected a positive integer");
  EXPECT_CONTAINS(error_of(conv_with("groups", "65536")), "no larger than 65535");
  EXPECT_CONTAINS(error_of(conv_with("groups", "3")),
                  "net.json: groups: must divide in_channels = 4 and out_channels = 8, got 3");
  EXPECT_CONTAINS(error_of(conv_with("groups", "8")), "must divide in_channels = 4");
  EXPECT_CONTAINS(error_of(R"({"op": "fc", "in_channels": 4, "out_channels": 2, "groups": 2})"),
                  "net.json: groups: must be 1 for an fc layer, got 2");
  // 2:4 groups of four must not straddle two convolution groups: validate() says so.
  json j = json::parse(conv_with("groups", "2"));
  j["in_channels"] = 12;
  j["weight_format"] = "2:4";
  EXPECT_CONTAINS(error_of(j.dump()), "needs in_channels / groups (6) to be a multiple of 4");
}

TEST(LayerFileErrors, EmptyLayersList) {
  EXPECT_CONTAINS(error_of(R"({"layers": []})"), "net.json: layers: expected a non-empty array of layer objects, got []");
}

TEST(LayerFileErrors, ImpossibleShapesFromValidate) {
  // A 5x5 kernel on a 3x3 input without padding.
  const std::string m = error_of(R"({"layers": [
      {"op": "fc", "in_channels": 4, "out_channels": 2},
      {"name": "big", "op": "conv2d", "in_channels": 1, "out_channels": 1, "in_height": 3, "in_width": 3,
       "kernel": [5, 5]}]})");
  EXPECT_CONTAINS(m, "net.json: layers[1]: layer 'big': kernel is larger than the padded input");
  EXPECT_CONTAINS(error_of(conv_with("padding", "[3, 0]")), "net.json: layer 'layer0': padding must be smaller than the kernel");
  // int8 reduction 65535 * 3 * 3 could overflow int32 accumulators.
  EXPECT_CONTAINS(error_of(conv_with("in_channels", "65535")), "reduction length C*R*S = 589815 exceeds 131071");
}

TEST_F(LayerFileTest, InvalidJsonNamesTheFile) {
  const std::string p = put("broken.json", "{\"op\": \"fc\",\n \"in_channels\": 4,,}");
  try {
    sdla::read_layer_file(p);
    FAIL() << "no error";
  } catch (const LayerError& e) {
    const std::string m = e.what();
    EXPECT_EQ(m.rfind(p + ": invalid JSON: parse error at line 2", 0), 0u) << m;
  }
}

TEST_F(LayerFileTest, MissingFile) {
  const std::string p = (dir_ / "absent.json").string();
  try {
    sdla::read_layer_file(p);
    FAIL() << "no error";
  } catch (const LayerError& e) {
    EXPECT_CONTAINS(e.what(), p + ": cannot open: No such file or directory");
  }
}

// ---------------------------------------------------------------------------
// Hostile documents: nesting, values too long to quote, numbers beyond a double

/// The LayerError message of reading `path`; fails if none (or another exception).
std::string file_error(const std::string& path) {
  try {
    sdla::read_layer_file(path);
  } catch (const LayerError& e) {
    return e.what();
  } catch (const std::exception& e) {
    ADD_FAILURE() << "expected LayerError, got: " << e.what();
    return {};
  }
  ADD_FAILURE() << "expected LayerError reading " << path;
  return {};
}

TEST_F(LayerFileTest, DeeplyNestedFileIsRejectedWhileParsing) {
  // 400 KB of [[[...]]]: quoting it (json::dump) or any recursion over it overflowed the stack (SIGSEGV).
  const std::string p = put("deep.json", std::string(200000, '[') + std::string(200000, ']'));
  std::string m = file_error(p);
  EXPECT_EQ(m.rfind(p + ": ", 0), 0u) << m;
  EXPECT_CONTAINS(m, "nested deeper than 64 levels");
  EXPECT_LT(m.size(), p.size() + 200) << "the message quotes the document";
  // Deep inside a field: the path says where (cut, as it is 64 levels long).
  const std::string q = put("deep_op.json", "{\"op\": " + std::string(100000, '[') + std::string(100000, ']') + "}");
  m = file_error(q);
  EXPECT_EQ(m.rfind(q + ": op[0][0]", 0), 0u) << m;
  EXPECT_CONTAINS(m, "nested deeper than 64 levels");
  EXPECT_LT(m.size(), q.size() + 200);
  // The limit: 64 levels parse (and the value is then wrong, quoted short), 65 do not.
  const std::string at64 = put("at64.json", "{\"op\": " + std::string(63, '[') + std::string(63, ']') + "}");
  m = file_error(at64);
  EXPECT_CONTAINS(m, at64 + ": op: expected \"conv2d\", \"fc\", \"maxpool\", \"avgpool\" or \"global_avgpool\", got [[[[");
  EXPECT_LT(m.size(), at64.size() + 120);
  const std::string at65 = put("at65.json", "{\"op\": " + std::string(64, '[') + std::string(64, ']') + "}");
  EXPECT_CONTAINS(file_error(at65), "nested deeper than 64 levels");
}

TEST(LayerFileErrors, QuotedValuesAreShortWhateverTheirDepthOrLength) {
  // A document built in memory, a million levels deep: quoting it must not recurse that deep.
  json deep = json::array();
  json* inner = &deep;
  for (int i = 0; i < 1000000; ++i) {
    inner->push_back(json::array());
    inner = &inner->back();
  }
  try {
    sdla::parse_layers(deep, "net.json");
    FAIL() << "an array was accepted as a layer";
  } catch (const LayerError& e) {
    const std::string m = e.what();
    EXPECT_CONTAINS(m, "net.json: expected a layer object or {\"layers\": [...]}, got [[[[");
    EXPECT_LT(m.size(), 150u) << m;
  }
  // Long strings, long arrays and wide objects are cut to 60 characters, ending in "...".
  const std::string long_name(5000, 'x');
  std::string long_list = "[1";
  for (int i = 0; i < 5000; ++i) long_list += ", 1";
  long_list += "]";
  for (const std::string& value : {"\"" + long_name + "\"", long_list,
                                   std::string(R"({"a": [1, 2, 3], "b": {"c": [4, 5, [6, [7, [8, [9]]]]]}, "d": "this string makes the object longer than sixty characters"})")}) {
    const std::string m = error_of(conv_with("op", value));
    EXPECT_CONTAINS(m, "net.json: op: expected \"conv2d\", \"fc\", \"maxpool\", \"avgpool\" or \"global_avgpool\", got ");
    const std::string quoted = m.substr(m.find("got ") + 4);
    EXPECT_LE(quoted.size(), 60u) << m;
    EXPECT_EQ(quoted.substr(quoted.size() - 3), "...") << m;
  }
  // So are unknown field names, at every level.
  for (const std::string& text :
       {conv_with(long_name, "1"), R"({"layers": [)" + conv_with("name", R"("a")") + R"(], ")" + long_name + R"(": 1})",
        conv_with("post", R"({")" + long_name + R"(": 1})")}) {
    const std::string m = error_of(text);
    EXPECT_CONTAINS(m, std::string(57, 'x') + "...'");
    EXPECT_LT(m.size(), 400u) << m;
  }
}

TEST_F(LayerFileTest, NumberBeyondADoubleNamesTheFileAndTheField) {
  // nlohmann throws out_of_range.406 while parsing: the file and the field were lost.
  std::string p = put("huge_number.json", R"({"op": "conv2d", "in_channels": 1e400, "out_channels": 8, "in_height": 6, "in_width": 6})");
  std::string m = file_error(p);
  EXPECT_EQ(m, p + ": in_channels: number 1e400 is too large (beyond the range of a 64-bit float)");
  EXPECT_EQ(m.find("json.exception"), std::string::npos) << m;
  // In a chain, inside a list: the whole path; a long number is cut.
  p = put("chain.json", R"({"layers": [{"op": "fc", "in_channels": 4, "out_channels": 2},
      {"op": "fc", "in_channels": 2, "out_channels": 3, "post": {"multiplier": [1, 2, -)" + std::string(400, '9') + "]}}]}");
  m = file_error(p);
  EXPECT_EQ(m.rfind(p + ": layers[1].post.multiplier[2]: number -999", 0), 0u) << m;
  EXPECT_CONTAINS(m, "...");
  EXPECT_LT(m.size(), p.size() + 160);
  EXPECT_EQ(m.find("json.exception"), std::string::npos) << m;
  // Large but finite numbers parse, and are then rejected by the field's own rule.
  p = put("big_finite.json", R"({"op": "conv2d", "in_channels": 1e300, "out_channels": 8, "in_height": 6, "in_width": 6})");
  EXPECT_CONTAINS(file_error(p), p + ": in_channels: expected a positive integer no larger than 65535, got 1e+300");
}

TEST(LayerFilePool, MaxAvgAndGlobalAveragePool) {
  const auto layers = sdla::parse_layers(json::parse(R"({"layers": [
      {"name": "pool1", "op": "maxpool", "in_channels": 64, "in_height": 112, "in_width": 112,
       "kernel": [3, 3], "stride": [2, 2], "padding": [1, 1]},
      {"op": "avgpool", "in_channels": 64, "out_channels": 64, "in_height": 56, "in_width": 56,
       "kernel": [2, 2], "stride": [2, 2], "precision": "int8"},
      {"op": "global_avgpool", "in_channels": 64, "in_height": 28, "in_width": 28}]})"),
                                         "t.json");
  ASSERT_EQ(layers.size(), 3u);
  EXPECT_EQ(layers[0].op, Op::pool);
  EXPECT_EQ(layers[0].pool_kind, sdla::PoolKind::max);
  EXPECT_EQ(layers[0].out_channels, 64u);  // out_channels defaults to in_channels
  EXPECT_EQ(layers[0].out_height(), 56u);
  EXPECT_EQ(layers[1].pool_kind, sdla::PoolKind::avg);
  EXPECT_EQ(layers[1].out_width(), 28u);
  // global_avgpool: the kernel is the whole input, stride 1, no padding.
  EXPECT_EQ(layers[2].pool_kind, sdla::PoolKind::avg);
  EXPECT_EQ(layers[2].kernel_h, 28u);
  EXPECT_EQ(layers[2].kernel_w, 28u);
  EXPECT_EQ(layers[2].out_height(), 1u);
  EXPECT_EQ(layers[2].out_width(), 1u);
  // The inverse: pool layers come back as maxpool / avgpool, without weight fields.
  for (const Layer& l : layers) {
    const json j = sdla::to_json(l);
    EXPECT_FALSE(j.contains("weight_format"));
    EXPECT_FALSE(j.contains("weight_density"));
    const Layer back = one(j.dump());
    EXPECT_EQ(back.op, l.op);
    EXPECT_EQ(back.pool_kind, l.pool_kind);
    EXPECT_EQ(back.kernel_h, l.kernel_h);
    EXPECT_EQ(back.stride_w, l.stride_w);
    EXPECT_EQ(back.pad, l.pad);
    EXPECT_EQ(back.out_channels, l.out_channels);
  }
  EXPECT_EQ(sdla::to_json(layers[0])["op"], "maxpool");
  EXPECT_EQ(sdla::to_json(layers[2])["op"], "avgpool");
}

TEST(LayerFilePool, ResidualNeedsPost) {
  const Layer l = one(R"({"op": "conv2d", "in_channels": 8, "out_channels": 8, "in_height": 6, "in_width": 6,
      "kernel": [3, 3], "padding": [1, 1], "post": {"shift": 4}, "residual": true})");
  EXPECT_TRUE(l.residual);
  EXPECT_EQ(sdla::to_json(l)["residual"], true);
  EXPECT_TRUE(one(sdla::to_json(l).dump()).residual);
  EXPECT_FALSE(sdla::to_json(one(R"({"op": "fc", "in_channels": 8, "out_channels": 2})")).contains("residual"));
  EXPECT_CONTAINS(error_of(R"({"op": "fc", "in_channels": 8, "out_channels": 2, "residual": true})"),
                  "net.json: residual: needs a \"post\" section");
  EXPECT_CONTAINS(error_of(R"({"op": "fc", "in_channels": 8, "out_channels": 2, "residual": 1})"),
                  "net.json: residual: expected true or false, got 1");
}

TEST(LayerFilePool, PoolErrorsNameTheField) {
  const std::string pool = R"("op": "maxpool", "in_channels": 8, "in_height": 6, "in_width": 6, "kernel": [2, 2])";
  EXPECT_CONTAINS(error_of("{" + pool + R"(, "out_channels": 9})"),
                  "net.json: out_channels: must equal in_channels = 8 for a pool layer");
  EXPECT_CONTAINS(error_of("{" + pool + R"(, "weight_format": "zvc"})"),
                  "net.json: weight_format: not allowed for a maxpool layer");
  EXPECT_CONTAINS(error_of("{" + pool + R"(, "weight_density": 0.5})"), "weight_density: not allowed");
  EXPECT_CONTAINS(error_of("{" + pool + R"(, "post": {"shift": 1}})"), "post: not allowed for a maxpool layer");
  EXPECT_CONTAINS(error_of("{" + pool + R"(, "residual": false})"), "residual: not allowed");
  EXPECT_CONTAINS(error_of("{" + pool + R"(, "activation_format": "zvc"})"), "the pooling unit reads its input dense");
  EXPECT_CONTAINS(error_of("{" + pool + R"(, "padding": [2, 0]})"), "a pooling window must hold at least one element");
  EXPECT_CONTAINS(error_of(R"({"op": "global_avgpool", "in_channels": 4, "in_height": 3, "in_width": 3, "kernel": [3, 3]})"),
                  "net.json: kernel: not allowed for global_avgpool");
  EXPECT_CONTAINS(error_of(R"({"op": "global_avgpool", "in_channels": 4, "in_height": 3, "in_width": 3, "stride": [1, 1]})"),
                  "net.json: stride: not allowed for global_avgpool");
  EXPECT_CONTAINS(error_of(R"({"op": "maxpool", "in_channels": 4, "in_height": 3, "kernel": [2, 2]})"),
                  "missing required field 'in_width'");
}

TEST_F(LayerFileTest, ValidateErrorsCarryTheFileName) {
  const std::string p = put("bad.json", conv_with("stride", "[0, 1]"));
  try {
    sdla::read_layer_file(p);
    FAIL() << "no error";
  } catch (const LayerError& e) {
    EXPECT_CONTAINS(e.what(), p + ": stride: expected an array of 2 positive integers, got [0,1]");
  }
}

}  // namespace
