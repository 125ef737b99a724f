// Built-in networks against facts.md (shapes and MAC totals) and the
// lowering rules of sdla/network.hpp.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "builtin_networks.hpp"
#include "io/layer_file.hpp"
#include "io/network_file.hpp"
#include "network_runs.hpp"
#include "network_workload.hpp"
#include "seed.hpp"
#include "sdla/network.hpp"

namespace sdla {
namespace {

using ::testing::HasSubstr;

const HwLayer& layer_named(const LoweredNetwork& n, const std::string& name) {
  for (const HwLayer& l : n.layers)
    if (l.layer.name == name) return l;
  throw std::runtime_error("no layer " + name);
}

TEST(BuiltinNetworks, MacTotalsMatchTheFacts) {
  EXPECT_EQ(lower(builtin_network("resnet50")).macs(), 4'089'184'256ull);
  EXPECT_EQ(lower(builtin_network("vgg16")).macs(), 15'470'264'320ull);
  EXPECT_EQ(lower(builtin_network("mobilenetv2")).macs(), 300'774'272ull);
  const LoweredNetwork bert = lower(builtin_network("bert-base", Precision::int8, 128));
  EXPECT_EQ(bert.macs(), 12ull * 931'135'488ull);
  // Attention products (12 x 2 x L x L x 64 per layer) run on the host: 2.7% of the total.
  EXPECT_EQ(bert.host_macs(), 12ull * 2 * 12 * 128 * 128 * 64);
}

TEST(BuiltinNetworks, ResNet50Shapes) {
  const LoweredNetwork n = lower(builtin_network("resnet50"));
  // Every 3x3 convolution is 115,605,504 MACs (facts.md).
  unsigned three = 0;
  for (const HwLayer& l : n.layers)
    if (l.layer.op == Op::conv2d && l.layer.kernel_h == 3) {
      EXPECT_EQ(l.layer.macs(), 115'605'504ull) << l.layer.name;
      ++three;
    }
  EXPECT_EQ(three, 16u);
  const HwLayer& conv1 = layer_named(n, "conv1");
  EXPECT_EQ(conv1.layer.out_height(), 112u);
  const HwLayer& pool = layer_named(n, "pool1");
  EXPECT_EQ(pool.layer.op, Op::pool);
  EXPECT_EQ(pool.layer.out_height(), 56u);
  // v1.5: the first block of a stage strides in its 3x3.
  EXPECT_EQ(layer_named(n, "res3a_branch2b").layer.stride_h, 2u);
  EXPECT_EQ(layer_named(n, "res3a_branch2a").layer.stride_h, 1u);
  // Every block's add is fused into its last 1x1, the shortcut added in.
  const HwLayer& c = layer_named(n, "res2a_branch2c");
  EXPECT_TRUE(c.layer.residual);
  EXPECT_TRUE(c.layer.post.relu);
  EXPECT_EQ(n.tensors[c.residual].name, "res2a_branch1");
  EXPECT_EQ(n.tensors[c.output].name, "res2a");
  EXPECT_EQ(n.tensors[layer_named(n, "res2b_branch2c").residual].name, "res2a");
  const HwLayer& fc = layer_named(n, "fc1000");
  EXPECT_EQ(fc.layer.op, Op::fc);
  EXPECT_EQ(fc.layer.in_channels, 2048u);
  // The host's only work: the channel extension of conv1's input.
  ASSERT_EQ(n.host_ops.size(), 1u);
  EXPECT_EQ(n.host_ops[0].kind, HostOp::Kind::channel_extension);
}

TEST(BuiltinNetworks, VggFcFlattensAsAWholeInputKernel) {
  const LoweredNetwork n = lower(builtin_network("vgg16"));
  const HwLayer& fc6 = layer_named(n, "fc6");
  EXPECT_EQ(fc6.layer.op, Op::conv2d);
  EXPECT_EQ(fc6.layer.in_channels, 512u);
  EXPECT_EQ(fc6.layer.kernel_h, 7u);
  EXPECT_EQ(fc6.layer.macs(), 25088ull * 4096);
  EXPECT_EQ(layer_named(n, "fc7").layer.op, Op::fc);
  EXPECT_EQ(n.layers.size(), 13u + 5u + 3u);
}

TEST(BuiltinNetworks, MobileNetV2DepthwiseAndResiduals) {
  const LoweredNetwork n = lower(builtin_network("mobilenetv2"));
  const HwLayer& dw = layer_named(n, "block1_dw");
  EXPECT_EQ(dw.layer.groups, 96u);
  EXPECT_EQ(dw.layer.stride_h, 2u);
  EXPECT_EQ(dw.layer.out_height(), 56u);
  unsigned fused = 0;
  for (const HwLayer& l : n.layers) fused += l.layer.residual;
  EXPECT_EQ(fused, 10u);  // blocks with stride 1 and equal channels
  EXPECT_EQ(n.tensors[layer_named(n, "fc").input].shape, (FeatureShape{1280, 1, 1}));
}

TEST(BuiltinNetworks, BertLayersAreTokenGemmsAndHostOps) {
  const LoweredNetwork n = lower(builtin_network("bert-base", Precision::int8, 64));
  const HwLayer& q = layer_named(n, "layer0_q");
  EXPECT_EQ(q.layer.in_width, 64u);
  EXPECT_EQ(q.layer.kernel_h, 1u);
  EXPECT_EQ(q.layer.macs(), 64ull * 768 * 768);
  EXPECT_EQ(n.host_ops.size(), 12u * 6);  // two matmuls, softmax, two layernorms, gelu
  EXPECT_EQ(n.tensors[n.host_ops[0].output].shape, (FeatureShape{12 * 64, 1, 64}));
  EXPECT_TRUE(layer_named(n, "layer0_ffn2").layer.residual);
  EXPECT_THROW(builtin_network("bert-base", Precision::int8, 0), NetworkError);
  EXPECT_THROW(builtin_network("alexnet"), NetworkError);
}

Network tiny() {
  Network n;
  n.name = "tiny";
  n.input_shape = {8, 6, 6};
  Node a;
  a.name = "a";
  a.layer.out_channels = 8;
  a.layer.kernel_h = a.layer.kernel_w = 3;
  a.layer.pad = {1, 1, 1, 1};
  n.nodes.push_back(a);
  return n;
}

TEST(NetworkLowering, ErrorsNameTheNodeAndTheRule) {
  Network n = tiny();
  Node add;
  add.name = "sum";
  add.op = NodeOp::add;
  add.inputs = {"a", "nowhere"};
  n.nodes.push_back(add);
  EXPECT_THAT([&] { lower(n); }, ::testing::ThrowsMessage<NetworkError>(HasSubstr("input 'nowhere' is not")));

  n.nodes[1].inputs = {"a", "input"};
  n.nodes[0].layer.out_channels = 4;
  EXPECT_THAT([&] { lower(n); }, ::testing::ThrowsMessage<NetworkError>(HasSubstr("different shapes")));

  n.nodes[0].layer.out_channels = 8;
  n.nodes[0].layer.post.relu = true;
  EXPECT_THAT([&] { lower(n); }, ::testing::ThrowsMessage<NetworkError>(HasSubstr("applies ReLU before the add")));

  n.nodes[0].layer.post.relu = false;
  const LoweredNetwork ok = lower(n);
  ASSERT_EQ(ok.layers.size(), 1u);
  EXPECT_TRUE(ok.layers[0].layer.residual);
  EXPECT_EQ(ok.tensors[ok.layers[0].output].name, "sum");
  EXPECT_TRUE(ok.layers[0].calibrate);

  n.nodes[0].layer.kernel_h = 9;  // larger than the padded input
  EXPECT_THAT([&] { lower(n); }, ::testing::ThrowsMessage<NetworkError>(HasSubstr("node 'a' (conv2d)")));
}

TEST(NetworkLowering, AnAddNeedsALayerThatOnlyItReads) {
  Network n = tiny();
  Node b = n.nodes[0];
  b.name = "b";
  b.inputs = {"a"};
  n.nodes.push_back(b);
  Node add;
  add.name = "sum";
  add.op = NodeOp::add;
  add.inputs = {"a", "input"};  // 'a' is also read by 'b'
  n.nodes.push_back(add);
  EXPECT_THAT([&] { lower(n); }, ::testing::ThrowsMessage<NetworkError>(HasSubstr("'a' is read by 2 nodes")));
}

TEST(NetworkFile, BuiltinsRoundTripThroughJson) {
  for (const std::string& name : builtin_network_names()) {
    const Network net = builtin_network(name, Precision::int8, 32);
    const Network back = parse_network(to_json(net), name);
    const LoweredNetwork a = lower(net), b = lower(back);
    EXPECT_EQ(a.macs(), b.macs()) << name;
    ASSERT_EQ(a.layers.size(), b.layers.size()) << name;
    for (std::size_t i = 0; i < a.layers.size(); ++i) {
      EXPECT_EQ(nlohmann::json(to_json(a.layers[i].layer)), nlohmann::json(to_json(b.layers[i].layer))) << name;
      EXPECT_EQ(a.layers[i].residual, b.layers[i].residual) << name;
    }
    EXPECT_EQ(a.host_ops.size(), b.host_ops.size()) << name;
  }
}

TEST(NetworkFile, ErrorsNameTheJsonPath) {
  auto error = [](const std::string& text) {
    try {
      parse_network(nlohmann::json::parse(text), "net.json");
    } catch (const NetworkError& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  const std::string input = R"("input": {"shape": [8, 4, 4]})";
  EXPECT_THAT(error("[]"), HasSubstr("expected a network object"));
  EXPECT_THAT(error("{" + input + "}"), HasSubstr("missing required field 'nodes'"));
  EXPECT_THAT(error("{" + input + R"(, "nodes": [{"name": "a", "op": "conv3d"}]})"),
              HasSubstr("nodes[0].op: unknown node op 'conv3d'"));
  EXPECT_THAT(error("{" + input + R"(, "nodes": [{"name": "a", "op": "conv2d", "kernel": [3, 3]}]})"),
              HasSubstr("nodes[0]: missing required field 'out_channels'"));
  EXPECT_THAT(error("{" + input + R"(, "nodes": [{"name": "a", "op": "maxpool", "kernel": [2, 2], "heads": 2}]})"),
              HasSubstr("unknown field 'heads' for op maxpool"));
  EXPECT_THAT(error("{" + input + R"(, "nodes": [{"name": "a", "op": "gemm", "out_features": 4, "post": {"shift": 3}}]})"),
              HasSubstr("give both multiplier and shift"));
  EXPECT_THAT(error("{" + input + R"(, "nodes": [{"name": "a", "op": "add", "inputs": ["input", "input"]}]})"),
              HasSubstr("node 'a' (add)"));
  EXPECT_THAT(error(R"({"input": {"shape": [8, 0, 4]}, "nodes": [{"name": "g", "op": "gelu"}]})"),
              HasSubstr("input.shape[1]: expected a positive integer"));
  EXPECT_EQ(error("{" + input + R"(, "nodes": [{"name": "g", "op": "gelu"}, {"name": "s", "op": "softmax", "group": 4}]})"),
            "no error");
}

/// configs/examples/network_mixed.json: every kind of node the CNNs have.
Network mixed(Precision p = Precision::int8) {
  Network n = read_network_file(SDLA_EXAMPLES "/network_mixed.json");
  n.precision = p;
  return n;
}

TEST(NetworkWorkload, CalibrationUsesTheRangeAndReluZeroesAboutHalf) {
  for (Precision p : {Precision::int8, Precision::int16}) {
    const NetworkWorkload w = generate_network_workload(lower(mixed(p)), 7, Prune::none);
    const std::int64_t top = traits(p).max;
    for (const HwLayer& hw : w.net.layers) {
      const Tensor<std::int16_t>& y = w.golden[hw.output];
      std::int16_t peak = 0;
      std::size_t saturated = 0;
      for (std::int16_t v : y.values()) {
        peak = std::max<std::int16_t>(peak, std::int16_t(std::abs(v)));
        saturated += std::abs(v) >= top;
      }
      EXPECT_FALSE(hw.calibrate);
      if (hw.layer.op == Op::pool) continue;
      EXPECT_GT(peak, top / 4) << hw.layer.name << " uses too little of the range";
      EXPECT_LT(double(saturated), 0.02 * double(y.size()) + 1) << hw.layer.name;
      // A fused add's sum of two non-negative-leaning tensors is denser, as in real networks.
      if (hw.layer.post.relu && !hw.layer.residual) {
        EXPECT_GT(density(y), 0.3) << hw.layer.name;
        EXPECT_LT(density(y), 0.7) << hw.layer.name;
      }
    }
  }
}

TEST(NetworkWorkload, PruningReachesTheQuotedDensitiesAndFormats) {
  const NetworkWorkload sparse = generate_network_workload(lower(mixed()), 3, Prune::sparse);
  const NetworkWorkload two4 = generate_network_workload(lower(mixed()), 3, Prune::s2_4);
  for (std::size_t i = 0; i < sparse.net.layers.size(); ++i) {
    const Layer& l = sparse.net.layers[i].layer;
    if (l.op == Op::pool) continue;
    EXPECT_EQ(l.weight_format, TensorFormat::zvc);
    const double want = l.op == Op::fc ? 0.15 : 0.35;
    EXPECT_NEAR(density(sparse.operands[i].weights), want, 0.05) << l.name;
    // Depthwise filters (one channel per group) stay dense under 2:4.
    EXPECT_EQ(two4.net.layers[i].layer.weight_format,
              l.group_channels() >= 16 ? TensorFormat::sparse_2_4 : TensorFormat::dense)
        << l.name;
    if (l.group_channels() >= 16) {
      EXPECT_LE(density(two4.operands[i].weights), 0.5 + 1e-9) << l.name;
    }
  }
  // The same seed, the same tensors.
  const NetworkWorkload again = generate_network_workload(lower(mixed()), 3, Prune::sparse);
  EXPECT_EQ(again.golden.back(), sparse.golden.back());
  EXPECT_EQ(again.operands[0].weights, sparse.operands[0].weights);
}

/// One START runs the whole graph: residual add, max/average/global pooling,
/// depthwise convolution, fc; weights dense, ZVC (sparse) and 2:4. SystemC
/// elaborates once per process: one case per preset, precision and pruning.
class MixedNetwork : public ::testing::TestWithParam<std::tuple<const char*, Precision, Prune>> {};

std::string mixed_case_name(const ::testing::TestParamInfo<MixedNetwork::ParamType>& info) {
  static const char* const prune[] = {"dense", "sparse", "two_of_four"};
  return std::string(std::get<0>(info.param)) + "_" + to_string(std::get<1>(info.param)) + "_" +
         prune[unsigned(std::get<2>(info.param))];
}

TEST_P(MixedNetwork, IsBitExactFromOneStart) {
  const auto [preset, p, prune] = GetParam();
  const NetworkResult r = check_network(lower(mixed(p)), preset, test::seed(11), prune);
  EXPECT_EQ(r.runs, 1u);
}

INSTANTIATE_TEST_SUITE_P(PresetsPrecisionsPruning, MixedNetwork,
                         ::testing::Combine(::testing::Values("small", "full"),
                                            ::testing::Values(Precision::int8, Precision::int16),
                                            ::testing::Values(Prune::none, Prune::sparse, Prune::s2_4)),
                         mixed_case_name);

class NetworkOnPreset : public ::testing::TestWithParam<const char*> {};

/// Host operations split the network into runs; the host computes them in DRAM between.
TEST_P(NetworkOnPreset, BertRunsBetweenHostOperations) {
  Network bert = builtin_network("bert-base", Precision::int8, 8);
  bert.nodes.resize(bert.nodes.size() / 12 * 2);  // two encoder layers
  const NetworkResult r = check_network(lower(bert), GetParam(), test::seed(5));
  EXPECT_EQ(r.runs, 2u * 4);  // q/k/v, proj+add, ffn1, ffn2+add per layer
}

TEST_P(NetworkOnPreset, ResNet50AtASmallerImage) {
  check_network(lower(builtin_network("resnet50", Precision::int8, 128, 32)), GetParam(), test::seed(3));
}

TEST_P(NetworkOnPreset, MobileNetV2AtASmallerImage) {
  check_network(lower(builtin_network("mobilenetv2", Precision::int8, 128, 32)), GetParam(), test::seed(3));
}

INSTANTIATE_TEST_SUITE_P(Presets, NetworkOnPreset, ::testing::Values("small", "full"));

TEST(ChannelExtension, FoldsTheStemsKernelColumns) {
  const LoweredNetwork on = lower(builtin_network("resnet50"));
  LowerOptions off_options;
  off_options.channel_extension = false;
  const LoweredNetwork off = lower(builtin_network("resnet50"), off_options);
  const HwLayer& a = layer_named(on, "conv1");
  const HwLayer& b = layer_named(off, "conv1");
  EXPECT_EQ(a.folded_columns, 7u);
  EXPECT_EQ(a.layer.in_channels, 21u);
  EXPECT_EQ(a.layer.kernel_w, 1u);
  EXPECT_EQ(a.layer.in_width, 112u);
  EXPECT_EQ(a.layer.out_width(), b.layer.out_width());
  EXPECT_EQ(a.layer.macs(), b.layer.macs());
  EXPECT_EQ(b.folded_columns, 0u);
  ASSERT_EQ(on.host_ops.size(), 1u);
  EXPECT_EQ(on.host_ops[0].kind, HostOp::Kind::channel_extension);
  EXPECT_EQ(on.host_macs(), 0u);
  EXPECT_EQ(on.macs(), off.macs());
  // Only small-C layers that read the network input are folded.
  EXPECT_EQ(layer_named(on, "res2a_branch2b").folded_columns, 0u);
}

TEST(ChannelExtension, ExtendedInputHoldsTheWindowColumns) {
  Layer l;
  l.in_channels = 2;
  l.in_height = 3;
  l.in_width = 5;
  l.out_channels = 1;
  l.kernel_h = l.kernel_w = 3;
  l.stride_w = 2;
  l.pad = {1, 1, 1, 1};
  Tensor<std::int16_t> x({2, 3, 5});
  for (std::size_t i = 0; i < x.size(); ++i) x.data()[i] = std::int16_t(i + 1);
  const Tensor<std::int16_t> e = channel_extended(x, l);
  ASSERT_EQ(e.shape(), (Shape{6, 3, 3}));
  // q = 1 reads columns 2*1 + s - 1 = 1, 2, 3; q = 0 starts in the padding.
  EXPECT_EQ(e.at({0, 0, 0}), 0);
  EXPECT_EQ(e.at({1, 0, 0}), x.at({0, 0, 0}));
  EXPECT_EQ(e.at({3 + 2, 2, 1}), x.at({1, 2, 3}));
  EXPECT_EQ(e.at({2, 1, 2}), 0);  // column 5 is past the image
}

/// A 3-channel stem, with and without channel extension: bit-exact either way.
class ChannelExtensionRun : public ::testing::TestWithParam<std::tuple<const char*, bool>> {};

TEST_P(ChannelExtensionRun, IsBitExact) {
  const auto [preset, extend] = GetParam();
  const char* text = R"({"name": "stem", "input": {"shape": [3, 20, 20]}, "nodes": [
    {"name": "conv1", "op": "conv2d", "out_channels": 16, "kernel": [5, 5], "stride": [2, 2], "padding": [2, 2], "relu": true},
    {"name": "conv2", "op": "conv2d", "out_channels": 8, "kernel": [3, 3], "padding": [1, 1]}]})";
  LowerOptions options;
  options.channel_extension = extend;
  const LoweredNetwork net = lower(parse_network(nlohmann::json::parse(text), "stem"), options);
  EXPECT_EQ(net.layers[0].folded_columns, extend ? 5u : 0u);
  const NetworkResult r = check_network(net, preset, test::seed(9));
  ASSERT_EQ(r.outcome.layers.size(), 2u);
  std::cout << preset << (extend ? " extended" : " as given") << ": conv1 " << r.outcome.layers[0].cycles
            << " cycles\n";
}

/// A channel-extended stem that takes an add: the add applies to the layer as given too.
TEST(ChannelExtension, StemWithAFusedAdd) {
  const char* text = R"({"name": "stem_add", "input": {"shape": [3, 9, 9]}, "nodes": [
    {"name": "conv1", "op": "conv2d", "out_channels": 3, "kernel": [3, 3], "padding": [1, 1]},
    {"name": "sum", "op": "add", "inputs": ["conv1", "input"], "relu": true}]})";
  const LoweredNetwork net = lower(parse_network(nlohmann::json::parse(text), "stem_add"));
  ASSERT_EQ(net.layers.size(), 1u);
  EXPECT_EQ(net.layers[0].folded_columns, 3u);
  EXPECT_TRUE(net.layers[0].original.residual);
  EXPECT_TRUE(net.layers[0].original.post.relu);
  check_network(net, "full", test::seed(2));
}

INSTANTIATE_TEST_SUITE_P(PresetsOnOff, ChannelExtensionRun,
                         ::testing::Combine(::testing::Values("small", "full"), ::testing::Bool()));

TEST(NetworkRun, ResNet50FullSize) {
  const NetworkResult r = check_network(lower(builtin_network("resnet50")), "full", test::seed(1));
  std::uint64_t macs = 0;
  for (const LayerRecord& rec : r.outcome.layers) macs += rec.layer.op == Op::pool ? 0 : rec.layer.macs();
  EXPECT_EQ(macs, 4'089'184'256ull);
  EXPECT_EQ(r.runs, 1u);
}

}  // namespace
}  // namespace sdla
