// Layer overlap (NVDLA's ping-pong register groups): the next layer is
// fetched and its first step loaded while the current layer computes,
// except what the current layer still writes. Run through sdla-run on the
// mixed example network (residual adds, pooling, depthwise, 2:4 and ZVC
// layers), once with the overlap and once with --no-overlap: both must be
// bit-exact (a layer that read its input before the layer ahead had written
// it would not be), every layer's counters must be the same in both (each
// side of the accelerator is charged over its own window), and the overlap
// must make the run shorter.
#include <string>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "program_test.hpp"

#ifndef SDLA_RUN
#error "SDLA_RUN must name the sdla-run executable"
#endif
#ifndef SDLA_EXAMPLES
#error "SDLA_EXAMPLES must name configs/examples"
#endif

namespace sdla {
namespace {

using nlohmann::json;

class LayerOverlap : public test::ProgramTest, public ::testing::WithParamInterface<const char*> {
 protected:
  LayerOverlap() : ProgramTest(SDLA_RUN) {}

  json run_report(const std::string& extra, const std::string& report) {
    const Result r = run(std::string("--network '") + SDLA_EXAMPLES + "/network_mixed.json' --preset " + GetParam() +
                         " --quiet --report " + report + " " + extra);
    EXPECT_EQ(r.status, 0) << r.out << r.err;
    return json::parse(slurp(path(report)));
  }
};

TEST_P(LayerOverlap, SameResultsAndCountersInFewerCycles) {
  const json on = run_report("", "on.json");
  const json off = run_report("--no-overlap", "off.json");
  ASSERT_EQ(on["bit_exact"], true);
  ASSERT_EQ(off["bit_exact"], true);
  const json& lon = on["layers"];
  const json& loff = off["layers"];
  ASSERT_EQ(lon.size(), loff.size());
  ASSERT_GE(lon.size(), 4u);

  std::uint64_t hidden = 0;
  for (const json* r : {&on, &off}) {
    // A layer's cycles run from the end of the layer before to its own end: they add up to the run.
    std::uint64_t sum = 0, prev_end = 0;
    for (const json& l : (*r)["layers"]) {
      SCOPED_TRACE(l["name"].get<std::string>());
      const auto start = l["start_cycle"].get<std::uint64_t>(), load = l["load_cycle"].get<std::uint64_t>(),
                 end = l["end_cycle"].get<std::uint64_t>();
      EXPECT_LE(start, load);
      EXPECT_LT(load, end);
      EXPECT_GE(end, prev_end) << "layers finish in order";
      EXPECT_EQ(l["cycles"].get<std::uint64_t>(), end - prev_end);
      EXPECT_EQ(l["overlap_cycles"].get<std::uint64_t>(), load < prev_end ? prev_end - load : 0);
      if (r == &off) {
        EXPECT_EQ(l["overlap_cycles"], 0) << "back to back, nothing loads early";
      } else {
        hidden += l["overlap_cycles"].get<std::uint64_t>();
      }
      sum += l["cycles"].get<std::uint64_t>();
      prev_end = end;
    }
    EXPECT_EQ(sum, (*r)["cycles"].get<std::uint64_t>());
  }
  EXPECT_GT(hidden, 0u) << "no layer loaded while the one before computed";
  EXPECT_EQ(on["overlap_cycles"].get<std::uint64_t>(), hidden);
  EXPECT_LT(on["cycles"].get<std::uint64_t>(), off["cycles"].get<std::uint64_t>());

  // Timing moves, the work does not: each layer moved the same bytes and did the same operations.
  for (std::size_t i = 0; i < lon.size(); ++i) {
    SCOPED_TRACE(lon[i]["name"].get<std::string>());
    EXPECT_EQ(lon[i]["activity"], loff[i]["activity"]);
    EXPECT_EQ(lon[i]["dram_traffic"], loff[i]["dram_traffic"]);
  }
  EXPECT_EQ(on["activity"], off["activity"]);
}

INSTANTIATE_TEST_SUITE_P(Presets, LayerOverlap, ::testing::Values("small", "full"),
                         [](const ::testing::TestParamInfo<const char*>& p) { return std::string(p.param); });

}  // namespace
}  // namespace sdla
