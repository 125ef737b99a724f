// Pool layers on the pooling unit (NVDLA's PDP) and residual adds in the
// post-processor (NVDLA's SDP), through the whole accelerator:
//  * random chains conv -> maxpool -> conv (+ residual, some by Winograd) ->
//    avgpool or global avgpool, on both presets, int8 and int16, bit-exact
//    against the golden reference;
//  * the pooling unit's activity and DRAM traffic from first principles, the
//    residual's traffic and cost, the energy report pricing both;
//  * ResNet-50's pool1 on `full`: cycles within the bounds its DMA and compute set;
//  * descriptors: the wire fields round-trip, and every impossible pool or
//    residual descriptor ends in ERROR_CODE 2 (3 for regions outside DRAM)
//    with a message, the accelerator recovering for the next program;
//  * the host compiler's chaining rules and image accounting.
#include <algorithm>
#include <functional>
#include <random>
#include <string>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "energy_table.hpp"
#include "expect_has.hpp"
#include "layers.hpp"
#include "random_layers.hpp"
#include "report.hpp"
#include "sdla/descriptor.hpp"
#include "seed.hpp"

namespace sdla {
namespace {

using regs::ErrorCode;
using test::pick;
using test::pool_layer;

std::uint64_t count(const Activity& a, const std::string& component, const std::string& action) {
  auto c = a.find(component);
  if (c == a.end()) return 0;
  auto n = c->second.find(action);
  return n == c->second.end() ? 0 : n->second;
}

Layer post(Layer l, std::mt19937_64& rng, bool relu) {
  l.post.enabled = true;
  l.post.relu = relu;
  l.post.multiplier = {std::int32_t(pick(rng, 1, 3000))};
  l.post.shift = {std::uint8_t(pick(rng, 8, 16))};
  return l;
}

/// conv -> maxpool -> conv with a residual -> avgpool (or global avgpool), random shapes.
std::vector<Layer> random_chain(std::mt19937_64& rng, Precision p, unsigned index) {
  const std::string n = fmt::format("c{}_", index);
  Layer c0 = test::conv_layer(n + "conv0", pick(rng, 1, 40), pick(rng, 4, 15), pick(rng, 4, 15), pick(rng, 1, 40),
                              pick(rng, 0, 1) ? 3 : 1, p);
  c0.input_density = 0.8;
  c0 = post(c0, rng, pick(rng, 0, 1));
  Layer mp = pool_layer(n + "maxpool", PoolKind::max, c0.out_channels, c0.out_height(), c0.out_width(),
                        pick(rng, 1, 3), pick(rng, 1, 3), 0, p);
  mp.kernel_w = std::min(pick(rng, 1, 3), mp.in_width);
  mp.kernel_h = std::min(mp.kernel_h, mp.in_height);
  mp.stride_w = pick(rng, 1, 3);
  mp.pad = {pick(rng, 0, mp.kernel_h - 1), pick(rng, 0, mp.kernel_h - 1), pick(rng, 0, mp.kernel_w - 1),
            pick(rng, 0, mp.kernel_w - 1)};
  Layer c2 = test::conv_layer(n + "conv2_residual", mp.out_channels, mp.out_height(), mp.out_width(),
                              pick(rng, 1, 40), 3, p);
  c2 = test::with_residual(post(c2, rng, pick(rng, 0, 1)));
  // Some by Winograd: the add follows the output transform.
  if (pick(rng, 0, 2) == 0) c2.winograd = p == Precision::int8 && pick(rng, 0, 1) ? Winograd::exact : Winograd::nvdla;
  Layer ap;
  if (pick(rng, 0, 2) == 0) {
    ap = test::global_avgpool(n + "gap", c2.out_channels, c2.out_height(), c2.out_width(), p);
  } else {
    ap = pool_layer(n + "avgpool", PoolKind::avg, c2.out_channels, c2.out_height(), c2.out_width(), 1, 1, 0, p);
    ap.kernel_h = std::min(pick(rng, 1, 3), ap.in_height);
    ap.kernel_w = std::min(pick(rng, 1, 3), ap.in_width);
    ap.stride_h = pick(rng, 1, 2);
    ap.stride_w = pick(rng, 1, 2);
    ap.pad = {pick(rng, 0, ap.kernel_h - 1), 0, 0, pick(rng, 0, ap.kernel_w - 1)};
  }
  return {c0, mp, c2, ap};
}

void random_chains(const char* preset, Precision p, std::uint64_t default_seed, unsigned chains) {
  std::mt19937_64 rng(test::seed(default_seed));
  std::vector<Workload> w;
  for (unsigned i = 0; i < chains; ++i) w.push_back(generate_workload(random_chain(rng, p, i), rng()));
  const auto outcomes = test::check(preset, w);
  // The pooling unit did the pool layers; the MAC array did nothing for them.
  for (const RunOutcome& o : outcomes)
    for (const LayerRecord& rec : o.layers) {
      if (rec.layer.op != Op::pool) continue;
      EXPECT_EQ(count(rec.activity, "pooling", "element_ops"), pool_element_ops(rec.layer)) << rec.layer.name;
      EXPECT_EQ(count(rec.activity, "mac_array", "cycles"), 0u) << rec.layer.name;
      EXPECT_EQ(count(rec.activity, "unified_buffer", "read_bytes"), 0u) << rec.layer.name;
    }
}

TEST(PoolLayers, RandomChainsSmallInt8) { random_chains("small", Precision::int8, 7101, 6); }
TEST(PoolLayers, RandomChainsSmallInt16) { random_chains("small", Precision::int16, 7102, 6); }
TEST(PoolLayers, RandomChainsFullInt8) { random_chains("full", Precision::int8, 7103, 6); }
TEST(PoolLayers, RandomChainsFullInt16) { random_chains("full", Precision::int16, 7104, 6); }

void global_average_pools(const char* preset, std::uint64_t seed) {
  {
    std::vector<Workload> w;
    for (Precision p : {Precision::int8, Precision::int16}) {
      // ResNet-50's head shape, narrowed: 7x7, global average, then fc.
      Layer fc;
      fc.name = "fc";
      fc.op = Op::fc;
      fc.precision = p;
      fc.in_channels = 96;
      fc.out_channels = 10;
      w.push_back(generate_workload({test::global_avgpool("gap", 96, 7, 7, p), fc}, seed));
      w.push_back(generate_workload({test::with_post(test::conv_layer("c", 5, 9, 6, 33, 3, p), 40, 10, true),
                                     test::global_avgpool("gap2", 33, 9, 6, p)},
                                    seed + 1));
    }
    test::check(preset, w);
  }
}

TEST(PoolLayers, GlobalAveragePoolSmall) { global_average_pools("small", test::seed(7105)); }
TEST(PoolLayers, GlobalAveragePoolFull) { global_average_pools("full", test::seed(7111)); }

// ------------------------------------------------------------ activity, traffic, energy

struct LayerRun {
  Workload work;
  Program prog;
  RunOutcome out;
};

/// Runs each chain as a program of one Testbench (one per process), checked against the golden.
std::vector<LayerRun> run_all(const AcceleratorConfig& cfg, const std::vector<std::vector<Layer>>& chains,
                              std::uint64_t seed) {
  std::vector<LayerRun> runs(chains.size());
  std::vector<Program> programs;
  std::uint64_t dram = 0;
  for (std::size_t i = 0; i < chains.size(); ++i) {
    runs[i].work = generate_workload(chains[i], seed);
    runs[i].prog = compile_network(cfg, runs[i].work.layers, runs[i].work.input, runs[i].work.operands);
    programs.push_back(runs[i].prog);
    dram = std::max(dram, runs[i].prog.end);
  }
  Testbench tb("tb", {cfg, "model", dram, {}});
  const auto out = tb.run(programs);
  for (std::size_t i = 0; i < chains.size(); ++i) {
    LayerRun& r = runs[i];
    r.out = out.at(i);
    EXPECT_TRUE(r.out.ok) << r.out.message;
    const auto golden = golden_outputs(r.work);
    EXPECT_EQ(r.out.outputs.size(), golden.size());
    for (std::size_t j = 0; j < golden.size() && j < r.out.outputs.size(); ++j)
      EXPECT_TRUE(r.out.outputs[j] == golden[j]) << "program " << i << " layer " << j;
  }
  return runs;
}

LayerRun run_one(const AcceleratorConfig& cfg, const std::vector<Layer>& layers, std::uint64_t seed) {
  return run_all(cfg, {layers}, seed).front();
}

TEST(PoolLayers, ActivityTrafficAndEnergyFromFirstPrinciples) {
  // small, int16 (4 lanes): 10 channels in 3 atoms (Cp = 12); a 3x2 window,
  // stride 3 down (rows 2, 5, 8 of 0..9 never read) and 2 across, padding left.
  const auto cfg = AcceleratorConfig::preset("small");
  Layer conv = test::with_post(test::conv_layer("conv", 6, 10, 9, 10, 3, Precision::int16), 9, 10, false);
  Layer pool = pool_layer("pool", PoolKind::avg, 10, 10, 9, 2, 3, 0, Precision::int16);
  pool.kernel_w = 3;
  pool.stride_w = 2;
  pool.pad = {0, 0, 1, 0};
  Layer res = test::with_residual(test::with_post(test::conv_layer("res", 10, 3, 4, 7, 1, Precision::int16), 3, 6, true));
  const LayerRun r = run_one(cfg, {conv, pool, res}, test::seed(7106));
  ASSERT_EQ(r.out.layers.size(), 3u);
  const unsigned lanes = 4, atoms = 3, eb = 2, C = 10, P = pool.out_height(), Q = pool.out_width(), W = 9;
  ASSERT_EQ(P, 3u);
  ASSERT_EQ(Q, 4u);
  const Activity& a = r.out.layers[1].activity;
  // Rows 0-1, 3-4, 6-7: 6 of the 10 rows, read once each, whole.
  EXPECT_EQ(count(a, "pooling", "atoms_read"), 6u * W * atoms);
  EXPECT_EQ(count(a, "dram", "input_bytes"), 6u * W * atoms * lanes * eb);
  // Output: the 10 channels of each of the 12 pixels (padding channels are not written).
  EXPECT_EQ(count(a, "dram", "output_bytes"), std::uint64_t(P) * Q * C * eb);
  EXPECT_EQ(count(a, "pooling", "atoms_written"), std::uint64_t(P) * Q * atoms);
  // Windows across: q = 0 covers columns -1..1 (2 in the image), then 1..3, 3..5, 5..7: 2 + 3 + 3 + 3.
  const std::uint64_t window_elements = std::uint64_t(2 * P) * (2 + 3 + 3 + 3);
  EXPECT_EQ(count(a, "pooling", "element_ops"), window_elements * C);
  EXPECT_EQ(count(a, "pooling", "cycles"), window_elements * atoms);
  EXPECT_EQ(count(a, "pooling", "divides"), std::uint64_t(P) * Q * C);
  EXPECT_EQ(count(a, "mac_array", "passes"), 0u);
  EXPECT_EQ(count(a, "dram", "weight_bytes"), 0u);
  EXPECT_EQ(count(a, "dram", "param_bytes"), LayerDescriptor::BYTES);  // the descriptor alone
  // The residual layer reads its K channels of every output pixel, once.
  const Activity& ra = r.out.layers[2].activity;
  EXPECT_EQ(count(ra, "dram", "residual_bytes"), 7u * 3 * 4 * eb);
  EXPECT_EQ(count(ra, "dram", "residual_dense_bytes"), 7u * 3 * 4 * eb);
  EXPECT_EQ(count(ra, "post_processor", "residual_adds"), 7u * 3 * 4);
  // No residual before the residual layer.
  EXPECT_EQ(r.out.layers[0].activity.at("dram").count("residual_bytes"), 0u);

  // The report prices the pooling unit and the residual add, and shows the residual traffic.
  const EnergyTable table = EnergyTable::defaults();
  std::vector<bool> exact(3, true);
  ReportInput in;
  in.cfg = &cfg;
  in.mac_source = "model";
  in.outcome = &r.out;
  in.layer_bit_exact = exact;
  in.energy = &table;
  const nlohmann::json j = make_report(in);
  const auto& lp = j["layers"][1];
  EXPECT_GT(lp["energy_pj"]["pooling"].get<double>(), 0.0);
  EXPECT_FALSE(lp.contains("unpriced_actions")) << lp["unpriced_actions"];
  EXPECT_EQ(lp["op"], "avgpool");
  EXPECT_EQ(lp["macs"], 0u);
  EXPECT_EQ(lp["pool"]["element_ops"], window_elements * C);
  EXPECT_EQ(lp["pool"]["kind"], "avg");
  const double pooling_pj = lp["energy_pj"]["pooling"].get<double>();
  const EnergyContext ctx{{"precision", "int16"}, {"preset", "small"}};
  const double want = double(count(a, "pooling", "element_ops")) * table.find("pooling", "element_ops", ctx)->pj +
                      double(count(a, "pooling", "divides")) * table.find("pooling", "divides", ctx)->pj +
                      double(count(a, "pooling", "atoms_read")) * table.find("pooling", "atoms_read", ctx)->pj +
                      double(count(a, "pooling", "atoms_written")) * table.find("pooling", "atoms_written", ctx)->pj;
  EXPECT_NEAR(pooling_pj, want, 1e-9 * want);
  const auto& lr = j["layers"][2];
  EXPECT_EQ(lr["dram_traffic"]["residual"]["bytes"], 7u * 3 * 4 * eb);
  EXPECT_FALSE(lr.contains("unpriced_actions"));
  EXPECT_GT(lr["energy_pj"]["post_processor"].get<double>(), 0.0);
  EXPECT_EQ(j["dram_traffic"]["residual"]["bytes"], 7u * 3 * 4 * eb);
  EXPECT_GT(j["energy_pj"]["pooling"].get<double>(), 0.0);
  EXPECT_FALSE(j["layers"][0]["dram_traffic"].contains("residual"));
  EXPECT_FALSE(j["layers"][0]["activity"].contains("pooling"));
}

TEST(PoolLayers, DenseLayersReportNoPoolingNorResidual) {
  const auto cfg = AcceleratorConfig::preset("small");
  const LayerRun r = run_one(cfg, {test::with_post(test::conv_layer("c", 8, 6, 6, 8, 3), 3, 8)}, test::seed(7107));
  const Activity& a = r.out.layers.at(0).activity;
  EXPECT_EQ(a.count("pooling"), 0u);
  EXPECT_EQ(a.at("dram").count("residual_bytes"), 0u);
  EXPECT_EQ(a.at("post_processor").count("residual_adds"), 0u);
}

TEST(PoolLayers, ResidualCostsExactlyItsReads) {
  // The same conv with and without a residual: the residual's bytes and adds are the
  // only difference in what moves, and the layer is no faster.
  const auto cfg = AcceleratorConfig::preset("full");
  const Layer plain = test::with_post(test::conv_layer("c", 64, 14, 14, 64, 3), 3, 10, true);
  const auto runs = run_all(cfg, {{plain}, {test::with_residual(plain)}}, test::seed(7108));
  const LayerRun &a = runs[0], &b = runs[1];
  const Activity &pa = a.out.layers.at(0).activity, &pb = b.out.layers.at(0).activity;
  const std::uint64_t bytes = 64ull * 14 * 14;
  EXPECT_EQ(count(pb, "dram", "residual_bytes"), bytes);
  EXPECT_EQ(count(pb, "dram", "read_bytes"), count(pa, "dram", "read_bytes") + bytes);
  EXPECT_EQ(count(pb, "dram", "write_bytes"), count(pa, "dram", "write_bytes"));
  EXPECT_EQ(count(pb, "mac_array", "cycles"), count(pa, "mac_array", "cycles"));
  EXPECT_GE(b.out.layers[0].cycles, a.out.layers[0].cycles);
  // The reads go on behind the array: at most their DRAM time and a latency per step later.
  EXPECT_LE(b.out.layers[0].cycles, a.out.layers[0].cycles + bytes / cfg.dram_bytes_per_cycle + 4 * cfg.dram_latency_cycles);
}

// ResNet-50's pool1 on full: 112x112x64 int8, 3x3, stride 2, padding 1 -> 56x56.
// DMA: 802,816 bytes in, 200,704 out (every channel, no padding) at 20 B/cycle:
// 50,176 cycles of bus time; compute 167 x 167 window elements per atom = 27,889
// cycles, hidden behind the DMA (the rows of output row p + 1 load while p computes).
TEST(PoolLayers, ResNet50MaxPoolIsBoundByItsDram) {
  const auto cfg = AcceleratorConfig::preset("full");
  const LayerRun r = run_one(cfg, {pool_layer("pool1", PoolKind::max, 64, 112, 112, 3, 2, 1)}, test::seed(7109));
  const LayerRecord& rec = r.out.layers.at(0);
  const std::uint64_t in = 112ull * 112 * 64, out = 56ull * 56 * 64;
  EXPECT_EQ(count(rec.activity, "dram", "input_bytes"), in);
  EXPECT_EQ(count(rec.activity, "dram", "output_bytes"), out);
  EXPECT_EQ(count(rec.activity, "pooling", "cycles"), 167ull * 167);
  const std::uint64_t dram_cycles = (in + out + LayerDescriptor::BYTES) / cfg.dram_bytes_per_cycle;
  std::cout << "ResNet-50 pool1 on full: " << rec.cycles << " cycles (DRAM bound " << dram_cycles << ", compute "
            << 167 * 167 << ")\n";
  EXPECT_GE(rec.cycles, dram_cycles);
  // The descriptor fetch, the first rows' latency and the last write's: a few latencies above the bound.
  EXPECT_LE(rec.cycles, dram_cycles + 8 * cfg.dram_latency_cycles);
}

// ------------------------------------------------------------ descriptors

TEST(PoolDescriptor, WireFieldsRoundTrip) {
  Layer l = pool_layer("p", PoolKind::avg, 24, 9, 7, 3, 2, 1, Precision::int16);
  LayerDescriptor d = LayerDescriptor::from_layer(l);
  EXPECT_EQ(d.op, 2u);
  EXPECT_EQ(d.pool_kind, 1u);
  d.input_addr = 0x1000;
  d.output_addr = 0x2000;
  const auto bytes = d.encode();
  EXPECT_EQ(bytes[4], 2u);    // op
  EXPECT_EQ(bytes[147], 1u);  // pool_kind
  const Layer back = LayerDescriptor::decode(bytes.data()).layer();
  EXPECT_EQ(back.op, Op::pool);
  EXPECT_EQ(back.pool_kind, PoolKind::avg);
  EXPECT_EQ(back.out_channels, 24u);
  EXPECT_EQ(back.pad, l.pad);
  EXPECT_FALSE(back.post.enabled);
  // A residual: the address at bytes 152..159, little-endian.
  Layer c = test::with_residual(test::with_post(test::conv_layer("c", 4, 5, 5, 6, 3), 1, 2));
  LayerDescriptor dc = LayerDescriptor::from_layer(c);
  EXPECT_EQ(dc.pool_kind, 0u);
  dc.residual_addr = 0x0123456789ABCDEFull;
  const auto cb = dc.encode();
  for (unsigned i = 0; i < 8; ++i) EXPECT_EQ(cb[152 + i], std::uint8_t(dc.residual_addr >> (8 * i))) << "byte " << 152 + i;
  const LayerDescriptor dd = LayerDescriptor::decode(cb.data());
  EXPECT_EQ(dd.residual_addr, dc.residual_addr);
  EXPECT_TRUE(dd.layer().residual);
  EXPECT_FALSE(LayerDescriptor::decode(LayerDescriptor::from_layer(test::conv_layer("n", 4, 5, 5, 6, 3)).encode().data())
                   .layer()
                   .residual);
}

TEST(PoolDescriptor, BadFieldsAreLayerErrors) {
  const LayerDescriptor pool = [] {
    LayerDescriptor d = LayerDescriptor::from_layer(pool_layer("p", PoolKind::max, 8, 6, 6, 2, 2, 0));
    d.input_addr = 0x1000;
    d.output_addr = 0x2000;
    return d;
  }();
  auto error = [](LayerDescriptor d, const std::function<void(LayerDescriptor&)>& patch) {
    patch(d);
    try {
      LayerDescriptor::decode(d.encode().data()).layer();
    } catch (const LayerError& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  EXPECT_HAS(error(pool, [](LayerDescriptor& d) { d.pool_kind = 2; }), "pool kind 2 unknown");
  EXPECT_HAS(error(pool, [](LayerDescriptor& d) { d.flags = LayerDescriptor::FLAG_POST; }), "no post-processing");
  EXPECT_HAS(error(pool, [](LayerDescriptor& d) { d.flags = LayerDescriptor::FLAG_RELU; }), "no post-processing");
  EXPECT_HAS(error(pool, [](LayerDescriptor& d) { d.formats = 2; d.weight_meta_addr = 8; }), "no weights");
  EXPECT_HAS(error(pool, [](LayerDescriptor& d) { d.formats = LayerDescriptor::FORMAT_INPUT_ZVC; d.input_mask_addr = 8; }),
             "dense feature maps");
  EXPECT_HAS(error(pool, [](LayerDescriptor& d) { d.formats = LayerDescriptor::FORMAT_OUTPUT_ZVC; d.output_mask_addr = 8; }),
             "dense feature maps");
  EXPECT_HAS(error(pool, [](LayerDescriptor& d) { d.winograd = 1; }), "no Winograd mode");
  EXPECT_HAS(error(pool, [](LayerDescriptor& d) { d.residual_addr = 0x100; }), "no residual add");
  EXPECT_HAS(error(pool, [](LayerDescriptor& d) { d.out_channels = 9; }), "must equal in_channels");
  EXPECT_HAS(error(pool, [](LayerDescriptor& d) { d.groups = 2; }), "groups must be 1");
  EXPECT_HAS(error(pool, [](LayerDescriptor& d) { d.op = 3; }), "op 3 unknown");
  const LayerDescriptor conv = LayerDescriptor::from_layer(test::conv_layer("c", 4, 5, 5, 6, 3));
  EXPECT_HAS(error(conv, [](LayerDescriptor& d) { d.pool_kind = 1; }), "pool kind 1 set on a conv2d layer");
  EXPECT_HAS(error(conv, [](LayerDescriptor& d) { d.residual_addr = 0x100; }), "FLAG_POST");
  EXPECT_EQ(error(conv, [](LayerDescriptor& d) { d.residual_addr = 0x100; d.flags = LayerDescriptor::FLAG_POST; }),
            "no error");
  EXPECT_EQ(error(pool, [](LayerDescriptor&) {}), "no error");
}

/// Runs every program in one Testbench (the good one last) and checks the errors.
void run_errors(const AcceleratorConfig& cfg, std::vector<Program> bad,
                const std::vector<std::tuple<ErrorCode, std::string, std::uint32_t>>& want, const LayerRun& good) {
  bad.push_back(good.prog);
  std::uint64_t dram = 0;
  for (const Program& p : bad) dram = std::max(dram, p.end);
  Testbench tb("tb", {cfg, "model", dram, {}});
  const auto out = tb.run(bad);
  ASSERT_EQ(out.size(), bad.size()) << "a run ended without an interrupt";
  for (std::size_t i = 0; i < want.size(); ++i) {
    const auto& [code, message, layer] = want[i];
    SCOPED_TRACE(fmt::format("case {}: {}", i, message));
    EXPECT_FALSE(out[i].ok);
    EXPECT_EQ(out[i].error, code) << regs::to_string(out[i].error) << ": " << out[i].message;
    EXPECT_EQ(out[i].error_layer, layer);
    EXPECT_HAS(out[i].message, message);
  }
  ASSERT_TRUE(out.back().ok) << out.back().message;
  const auto golden = golden_outputs(good.work);
  ASSERT_EQ(out.back().outputs.size(), golden.size());
  for (std::size_t i = 0; i < golden.size(); ++i) EXPECT_TRUE(out.back().outputs[i] == golden[i]) << "layer " << i;
}

Program patched(Program prog, std::size_t layer, const std::function<void(LayerDescriptor&)>& patch) {
  for (Segment& s : prog.segments)
    if (s.addr == prog.layers.at(layer).descriptor) {
      LayerDescriptor d = LayerDescriptor::decode(s.bytes.data());
      patch(d);
      const auto bytes = d.encode();
      s.bytes.assign(bytes.begin(), bytes.end());
    }
  return prog;
}

TEST(PoolErrors, BadPoolAndResidualDescriptorsEndInErrors) {
  const auto cfg = AcceleratorConfig::preset("small");
  // conv -> maxpool -> conv with a residual: the good program, run last.
  LayerRun good;
  good.work = generate_workload({test::with_post(test::conv_layer("c0", 6, 8, 8, 10, 3), 5, 10, true),
                                 pool_layer("p1", PoolKind::max, 10, 8, 8, 2, 2, 0),
                                 test::with_residual(test::with_post(test::conv_layer("c2", 10, 4, 4, 6, 3), 5, 10, true))},
                                test::seed(7110));
  good.prog = compile_network(cfg, good.work.layers, good.work.input, good.work.operands);
  const std::uint64_t far = good.prog.end + (std::uint64_t(1) << 30);
  using D = LayerDescriptor;
  std::vector<Program> bad{
      patched(good.prog, 1, [](D& d) { d.pool_kind = 5; }),
      patched(good.prog, 1, [](D& d) { d.flags = D::FLAG_POST; }),
      patched(good.prog, 1, [](D& d) { d.out_channels = 7; }),
      patched(good.prog, 1, [](D& d) { d.residual_addr = 0x1000; }),
      patched(good.prog, 0, [](D& d) { d.pool_kind = 1; }),
      patched(good.prog, 2, [](D& d) { d.flags = 0; }),  // a residual without post-processing
      patched(good.prog, 2, [](D& d) { d.residual_addr = ~std::uint64_t(0) - 64; }),
      patched(good.prog, 2, [far](D& d) { d.residual_addr = far; }),
      patched(good.prog, 1, [far](D& d) { d.input_addr = far; }),
      patched(good.prog, 1, [far](D& d) { d.output_addr = far; }),
  };
  run_errors(cfg, bad,
             {{ErrorCode::invalid_layer, "pool kind 5 unknown", 1},
              {ErrorCode::invalid_layer, "no post-processing", 1},
              {ErrorCode::invalid_layer, "must equal in_channels", 1},
              {ErrorCode::invalid_layer, "residual_addr", 1},
              {ErrorCode::invalid_layer, "pool kind 1 set on a conv2d layer", 0},
              {ErrorCode::invalid_layer, "FLAG_POST", 2},
              {ErrorCode::invalid_layer, "residual region", 2},
              {ErrorCode::dma_error, fmt::format("{:#x}", far), 2},
              {ErrorCode::dma_error, fmt::format("{:#x}", far), 1},
              {ErrorCode::dma_error, fmt::format("{:#x}", far), 1}},
             good);
}

// ------------------------------------------------------------ host compiler

std::string compile_error(const AcceleratorConfig& cfg, const std::vector<Layer>& layers,
                          const std::function<void(Workload&)>& edit = {}) {
  Workload w = generate_workload(layers, 1);
  if (edit) edit(w);
  try {
    compile_network(cfg, w.layers, w.input, w.operands);
  } catch (const LayerError& e) {
    return e.what();
  }
  return "no error";
}

TEST(PoolCompiler, ChainRulesAndOperands) {
  const auto cfg = AcceleratorConfig::preset("small");
  const Layer c0 = test::with_post(test::conv_layer("c0", 6, 8, 8, 10, 3), 5, 10, true);
  const Layer p1 = pool_layer("p1", PoolKind::max, 10, 8, 8, 2, 2, 0);
  Layer c2 = test::with_post(test::conv_layer("c2", 10, 4, 4, 6, 3), 5, 10, true);
  EXPECT_EQ(compile_error(cfg, {c0, p1, c2}), "no error");
  // The pooling unit writes dense: the next layer cannot read it compressed.
  Layer zvc = c2;
  zvc.activation_format = TensorFormat::zvc;
  EXPECT_HAS(compile_error(cfg, {c0, p1, zvc}), "'p1' is a pool layer, whose output the pooling unit writes dense");
  // A pool layer may follow a conv only if the conv writes activations.
  Layer raw = c0;
  raw.post = PostOp{};
  EXPECT_HAS(compile_error(cfg, {raw, p1}), "'c0' is not post-processed");
  // A pool layer's output is activations: a layer may read it.
  EXPECT_EQ(compile_error(cfg, {p1, pool_layer("p2", PoolKind::avg, 10, 4, 4, 4, 1, 0)}), "no error");
  // Weights given to a pool layer, a residual missing or given to a layer without one.
  EXPECT_HAS(compile_error(cfg, {c0, p1}, [](Workload& w) { w.operands[1].weights = Tensor<std::int16_t>({10, 10, 2, 2}); }),
             "a pool layer has no weights");
  const Layer c2r = test::with_residual(c2);
  EXPECT_HAS(compile_error(cfg, {c2r}, [](Workload& w) { w.operands[0].residual = Tensor<std::int16_t>(); }),
             "residual has shape []");
  EXPECT_HAS(compile_error(cfg, {c2}, [](Workload& w) { w.operands[0].residual = Tensor<std::int16_t>({6, 4, 4}); }),
             "the layer has no residual add");
  EXPECT_HAS(compile_error(cfg, {c2r}, [](Workload& w) { w.operands[0].residual.values()[5] = 300; }),
             "residual value 300");
}

TEST(PoolCompiler, ImageBytesCountPoolAndResidualLayers) {
  for (const char* preset : {"small", "full"}) {
    const auto cfg = AcceleratorConfig::preset(preset);
    for (Precision p : {Precision::int8, Precision::int16}) {
      SCOPED_TRACE(std::string(preset) + " " + to_string(p));
      const std::vector<Layer> layers{
          test::with_post(test::conv_layer("c0", 6, 8, 8, 10, 3, p), 5, 10, true),
          pool_layer("p1", PoolKind::max, 10, 8, 8, 2, 2, 0, p),
          test::with_residual(test::with_post(test::conv_layer("c2", 10, 4, 4, 70, 3, p), 5, 10, true)),
          test::global_avgpool("g3", 70, 4, 4, p)};
      const Workload w = generate_workload(layers, 3);
      const Program prog = compile_network(cfg, w.layers, w.input, w.operands, 0x1000);
      std::uint64_t image = 0;
      for (std::size_t i = 0; i < layers.size(); ++i) image += image_bytes(cfg, layers, i).image;
      EXPECT_EQ(image, prog.end - 0x1000);
      EXPECT_EQ(prog.layers[1].weights, 0u);
      EXPECT_EQ(prog.layers[1].output_element_bytes, element_bytes(p));
      EXPECT_NE(prog.layers[2].residual, 0u);
      EXPECT_EQ(prog.layers[3].output_element_bytes, element_bytes(p));
    }
  }
}

}  // namespace
}  // namespace sdla
