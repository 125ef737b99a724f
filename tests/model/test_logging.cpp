// Logging the SystemC way (sdla/log.hpp): the units report through
// sc_report_handler, as SC_INFO under "sdla/..." IDs with their hierarchical
// name first, at verbosities above SystemC's default. A handler installed with
// sc_report_handler::set_handler captures every report of a run; the tests
// check what each verbosity lets through, and that the default lets nothing.
#include <algorithm>
#include <cstdint>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <systemc>

#include "expect_has.hpp"
#include "layers.hpp"
#include "sdla/descriptor.hpp"
#include "sdla/log.hpp"
#include "seed.hpp"
#include "testbench.hpp"
#include "workload.hpp"

namespace sdla {
namespace {

/// One captured report.
struct Captured {
  sc_core::sc_severity severity;
  std::string type, msg, process;
  int verbosity;
};

std::vector<Captured>& captured() {
  static std::vector<Captured> all;
  return all;
}

/// Records every report that SystemC's actions would display, then lets the
/// default handler do the rest (stop, throw, ...) without printing.
void capture(const sc_core::sc_report& r, const sc_core::sc_actions& actions) {
  if (actions & sc_core::SC_DISPLAY)
    captured().push_back({r.get_severity(), r.get_msg_type(), r.get_msg(),
                          r.get_process_name() ? r.get_process_name() : "", r.get_verbosity()});
  sc_core::sc_report_handler::default_handler(r, actions & ~sc_core::SC_DISPLAY);
}

std::vector<Captured> of_type(const std::string& type) {
  std::vector<Captured> out;
  for (const auto& c : captured())
    if (c.type == type) out.push_back(c);
  return out;
}

std::size_t sdla_reports() {
  std::size_t n = 0;
  for (const auto& c : captured()) n += c.type.rfind("sdla/", 0) == 0;
  return n;
}

/// Two chained layers on the small preset (the first post-processed, feeding the second).
struct Chain {
  std::vector<Layer> layers;
  Program prog;
  Workload work;
};

Chain chain() {
  Chain c;
  c.layers = {test::with_post(test::conv_layer("first", 16, 6, 5, 24, 3), 3, 9),
              test::conv_layer("second", 24, 6, 5, 8, 1)};
  c.work = generate_workload(c.layers, test::seed(10));
  c.prog = compile_network(AcceleratorConfig::preset("small"), c.work.layers, c.work.input, c.work.operands);
  return c;
}

/// Runs `programs` on a fresh testbench ("tb") at `verbosity` (< 0: SystemC's default), capturing every report.
std::vector<RunOutcome> run_logged(const std::vector<Program>& programs, int verbosity, std::uint64_t dram = 0) {
  captured().clear();
  sc_core::sc_report_handler::set_handler(capture);
  if (verbosity >= 0) sc_core::sc_report_handler::set_verbosity_level(verbosity);
  std::uint64_t end = dram;
  for (const auto& p : programs) end = std::max(end, (p.end | 0xFFFF) + 1);
  Testbench tb("tb", {AcceleratorConfig::preset("small"), "model", end, {}});
  return tb.run(programs);
}

TEST(Logging, DefaultVerbosityReportsNothing) {
  ASSERT_EQ(sc_core::sc_report_handler::get_verbosity_level(), sc_core::SC_MEDIUM) << "SystemC's default";
  const Chain c = chain();
  const auto out = run_logged({c.prog}, -1);
  ASSERT_TRUE(out.at(0).ok) << out[0].message;
  EXPECT_EQ(sdla_reports(), 0u);
  for (const auto& r : captured()) ADD_FAILURE() << "reported at the default verbosity: " << r.type << ": " << r.msg;
}

TEST(Logging, LayerVerbosityReportsEveryLayersStartAndEnd) {
  const Chain c = chain();
  const auto out = run_logged({c.prog}, kLogLayer);
  ASSERT_TRUE(out.at(0).ok) << out[0].message;
  ASSERT_EQ(out[0].layers.size(), 2u);

  const auto ctrl = of_type(log_id::controller);
  std::vector<std::string> msgs;
  for (const auto& r : ctrl) {
    EXPECT_EQ(r.severity, sc_core::SC_INFO);
    EXPECT_EQ(r.verbosity, kLogLayer) << r.msg;
    EXPECT_EQ(r.msg.rfind("tb.sdla.controller: ", 0), 0u) << "the module's hierarchical name first: " << r.msg;
    EXPECT_EQ(r.process, "tb.sdla.controller.run");
    msgs.push_back(r.msg.substr(std::string("tb.sdla.controller: ").size()));
  }
  // Expected: run start, then start and end of each layer, then the run's end;
  // shapes as the descriptor gives them, cycles as the controller counted them.
  // Layer 1 starts (is fetched and loads ahead) while layer 0 still computes.
  ASSERT_EQ(msgs.size(), 6u);
  EXPECT_EQ(msgs[0], fmt::format("run start: descriptor chain at {:#x}", c.prog.entry));
  EXPECT_EQ(msgs[1], "layer 0 start: conv2d int8 16,6x5->24,6x5 k3x3 s1x1");
  EXPECT_EQ(msgs[2], "layer 1 start: conv2d int8 24,6x5->8,6x5 k1x1 s1x1");
  EXPECT_EQ(msgs[3].rfind(fmt::format("layer 0 end: {} cycles, ", out[0].layers[0].cycles), 0), 0u) << msgs[3];
  EXPECT_EQ(msgs[4].rfind(fmt::format("layer 1 end: {} cycles, ", out[0].layers[1].cycles), 0), 0u) << msgs[4];
  EXPECT_EQ(msgs[5], fmt::format("run done: 2 layer(s), {} cycles", out[0].cycles));
  // Steps and transfers need more verbosity; nothing but the controller spoke.
  EXPECT_EQ(sdla_reports(), ctrl.size());
}

TEST(Logging, StepVerbosityAddsDescriptorFetchesAndTileSteps) {
  const Chain c = chain();
  const auto out = run_logged({c.prog}, kLogStep);
  ASSERT_TRUE(out.at(0).ok) << out[0].message;
  unsigned fetched = 0;
  for (const auto& r : of_type(log_id::controller))
    if (r.msg.find(" fetched from ") != std::string::npos) {
      EXPECT_EQ(r.verbosity, kLogStep);
      EXPECT_HAS(r.msg, fmt::format("descriptor {} fetched from {:#x}", fetched, c.prog.layers.at(fetched).descriptor));
      ++fetched;
    }
  EXPECT_EQ(fetched, 2u);
  const auto steps = of_type(log_id::loader);
  ASSERT_GE(steps.size(), 2u) << "at least one step per layer";
  for (const auto& r : steps) {
    EXPECT_EQ(r.verbosity, kLogStep);
    EXPECT_EQ(r.msg.rfind("tb.sdla.conv.loader: layer", 0), 0u) << r.msg;
    EXPECT_HAS(r.msg, " step ");
  }
  EXPECT_HAS(steps.front().msg, "layer0 step 1/");
  EXPECT_HAS(steps.back().msg, "layer1 step ");
  EXPECT_TRUE(of_type(log_id::dma).empty()) << "transfers are for the debug level";
}

TEST(Logging, DebugVerbosityAddsDmaTransfers) {
  const Chain c = chain();
  const auto out = run_logged({c.prog}, sc_core::SC_DEBUG);
  ASSERT_TRUE(out.at(0).ok) << out[0].message;
  const auto dma = of_type(log_id::dma);
  ASSERT_FALSE(dma.empty());
  bool input = false, weight = false, output = false, param = false;
  for (const auto& r : dma) {
    EXPECT_EQ(r.verbosity, kLogTransfer);
    EXPECT_EQ(r.msg.rfind("tb.sdla.dma: ", 0), 0u) << r.msg;
    input |= r.msg.find("read input: ") != std::string::npos;
    weight |= r.msg.find("read weight: ") != std::string::npos;
    output |= r.msg.find("write output: ") != std::string::npos;
    param |= r.msg.find("read param: ") != std::string::npos;
  }
  EXPECT_TRUE(input && weight && output && param);
}

TEST(Logging, DmaErrorsAreReportedAtTheLayerVerbosity) {
  constexpr std::uint64_t kDram = 1 << 20;
  Chain c = chain();
  Program outside = c.prog;
  outside.entry = kDram;  // the descriptor fetch reads past the end of DRAM
  const auto out = run_logged({outside, c.prog}, kLogLayer, kDram);
  ASSERT_EQ(out.size(), 2u);
  EXPECT_FALSE(out[0].ok);
  EXPECT_TRUE(out[1].ok) << out[1].message;
  const auto dma = of_type(log_id::dma);
  ASSERT_EQ(dma.size(), 1u);
  EXPECT_EQ(dma[0].verbosity, kLogLayer);
  EXPECT_EQ(dma[0].msg.rfind(fmt::format("tb.sdla.dma: error: read of {} bytes at DRAM address {:#x} failed",
                                            LayerDescriptor::BYTES, kDram), 0),
            0u)
      << dma[0].msg;
  bool run_error = false;
  for (const auto& r : of_type(log_id::controller))
    run_error |= r.msg.rfind("tb.sdla.controller: run error in layer 0 after ", 0) == 0 &&
                 r.msg.find(" cycles: DMA error: tb.sdla.dma: read of ") != std::string::npos;
  EXPECT_TRUE(run_error);
}

TEST(Logging, AnIdCanBeSilencedWithSystemCsOwnActions) {
  const Chain c = chain();
  sc_core::sc_report_handler::set_actions(log_id::loader, sc_core::SC_INFO, sc_core::SC_DO_NOTHING);
  const auto out = run_logged({c.prog}, kLogStep);
  ASSERT_TRUE(out.at(0).ok) << out[0].message;
  EXPECT_TRUE(of_type(log_id::loader).empty());
  EXPECT_FALSE(of_type(log_id::controller).empty());
}

}  // namespace
}  // namespace sdla
