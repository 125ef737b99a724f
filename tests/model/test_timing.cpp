// Cycles follow from the modeled resources: the MAC array bounds compute-heavy
// layers, DRAM bandwidth bounds weight-heavy ones, int16 runs at half rate.
#include <gtest/gtest.h>

#include "testbench.hpp"
#include "workload.hpp"

namespace sdla {
namespace {

Layer conv3x3(unsigned C, unsigned HW, unsigned K, Precision p) {
  Layer l;
  l.name = "conv";
  l.in_channels = C; l.in_height = l.in_width = HW; l.out_channels = K;
  l.kernel_h = l.kernel_w = 3; l.pad = {1, 1, 1, 1}; l.precision = p;
  // Post-processed, as in a network: outputs leave at the input precision.
  l.post.enabled = true;
  l.post.multiplier = {1};
  l.post.shift = {12};
  return l;
}

Layer fc(unsigned C, unsigned K, Precision p) {
  Layer l;
  l.name = "fc";
  l.op = Op::fc; l.in_channels = C; l.out_channels = K; l.precision = p;
  return l;
}

struct Figures {
  std::uint64_t cycles, mac_cycles, dram_read;
  double utilization;
};

/// Runs each layer as its own program in one testbench (one elaboration per process).
std::vector<Figures> run(const std::string& preset, const std::vector<Layer>& layers) {
  const auto cfg = AcceleratorConfig::preset(preset);
  std::vector<Workload> work;
  std::vector<Program> progs;
  std::uint64_t dram = 0;
  for (const Layer& l : layers) {
    work.push_back(generate_workload({l}, 5));
    progs.push_back(compile_network(cfg, work.back().layers, work.back().input, work.back().operands));
    dram = std::max(dram, progs.back().end);
  }
  Testbench tb("tb", {cfg, "model", dram, ""});
  const auto outs = tb.run(progs);
  std::vector<Figures> figures;
  for (std::size_t i = 0; i < layers.size(); ++i) {
    const Layer& l = layers[i];
    EXPECT_TRUE(outs[i].ok) << outs[i].message;
    EXPECT_TRUE(outs[i].outputs.at(0) == golden_outputs(work[i]).at(0));
    const LayerRecord& rec = outs[i].layers.at(0);
    const Figures f{rec.cycles, rec.activity.at("mac_array").at("cycles"), rec.activity.at("dram").at("read_bytes"),
                    double(l.macs()) / (double(rec.cycles) * cfg.peak_macs(l.precision))};
    std::cout << preset << " " << l.name << " " << to_string(l.precision) << ": " << f.cycles << " cycles, "
              << f.mac_cycles << " MAC-array cycles, " << f.dram_read << " DRAM bytes read, utilisation "
              << f.utilization << "\n";
    figures.push_back(f);
  }
  return figures;
}

Figures run(const std::string& preset, const Layer& l) { return run(preset, std::vector<Layer>{l}).front(); }

// ResNet-50 conv3_x: 115.6 M MACs; 2048 MACs/cycle would take 56,448 cycles.
TEST(Timing, ComputeBoundConvApproachesPeakOnFull) {
  const Figures f = run("full", conv3x3(128, 28, 128, Precision::int8));
  EXPECT_GT(f.utilization, 0.80);
  EXPECT_LE(f.utilization, 1.0);
  // The array is busy for nearly the whole layer: DMA overlaps compute.
  EXPECT_GT(double(f.mac_cycles) / double(f.cycles), 0.85);
}

TEST(Timing, Int16RunsAtHalfTheInt8Rate) {
  const auto f = run("full", {conv3x3(128, 28, 128, Precision::int8), conv3x3(128, 28, 128, Precision::int16)});
  const Figures& i8 = f[0];
  const Figures& i16 = f[1];
  const double ratio = double(i16.mac_cycles) / double(i8.mac_cycles);
  EXPECT_GT(ratio, 1.9);
  EXPECT_LT(ratio, 2.1);
}

// 4 MiB of weights at 20 B/cycle need 209,715 cycles; the array needs far fewer.
TEST(Timing, FullyConnectedIsBoundByDramBandwidth) {
  const auto cfg = AcceleratorConfig::preset("full");
  const Figures f = run("full", fc(4096, 1024, Precision::int8));
  const double dram_cycles = double(f.dram_read) / cfg.dram_bytes_per_cycle;
  EXPECT_GE(double(f.cycles), dram_cycles);
  EXPECT_LT(double(f.cycles), 1.1 * dram_cycles);
  EXPECT_LT(f.mac_cycles, f.cycles / 2);
}

TEST(Timing, FullyConnectedIsBoundByDramBandwidthOnSmall) {
  const auto cfg = AcceleratorConfig::preset("small");
  const Figures f = run("small", fc(2048, 256, Precision::int8));
  const double dram_cycles = double(f.dram_read) / cfg.dram_bytes_per_cycle;
  EXPECT_GE(double(f.cycles), dram_cycles);
  EXPECT_LT(double(f.cycles), 1.1 * dram_cycles);
}

// Several steps (the 56x56 window does not fit at once): output writes must
// not hold up the loader's next step, or double buffering is lost.
TEST(Timing, MultiStepConvKeepsDoubleBuffering) {
  const Figures f = run("full", conv3x3(64, 56, 64, Precision::int8));
  EXPECT_GT(f.utilization, 0.85);
  EXPECT_GT(double(f.mac_cycles) / double(f.cycles), 0.90);
}

TEST(Timing, ComputeBoundConvOnSmall) {
  const Figures f = run("small", conv3x3(64, 28, 64, Precision::int8));
  EXPECT_GT(f.utilization, 0.75);
  EXPECT_LE(f.utilization, 1.0);
}

}  // namespace
}  // namespace sdla
