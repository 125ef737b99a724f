// Runs a network through the standard testbench and checks it against the
// golden: every hardware layer bit-exact, and with the RTL the C++ model's
// MAC-array activity equal to the RTL's on every layer.
#pragma once

#include <gtest/gtest.h>

#include "network_run.hpp"

namespace sdla {

inline NetworkResult check_network(const LoweredNetwork& net, const std::string& preset, std::uint64_t seed,
                                   Prune prune = Prune::none, const std::string& mac = "model",
                                   MacArrayFactory make_mac = {}, Winograd winograd = Winograd::off) {
  const AcceleratorConfig cfg = AcceleratorConfig::preset(preset);
  const NetworkWorkload w = generate_network_workload(net, seed, prune, winograd);
  const NetworkProgram p = compile_network_program(cfg, w);
  Testbench tb("tb", {cfg, mac, p.dram_bytes(), {}, true, std::move(make_mac)});
  NetworkResult r = run_network(tb, w, p);
  EXPECT_TRUE(r.outcome.ok) << r.outcome.message;
  EXPECT_EQ(r.bit_exact.size(), w.net.layers.size());
  for (std::size_t i = 0; i < r.bit_exact.size(); ++i)
    EXPECT_TRUE(r.bit_exact[i]) << net.net.name << " on " << preset << ": layer " << w.net.layers[i].layer.name;
  EXPECT_EQ(r.outcome.layers.size(), w.net.layers.size());
  if (mac == "rtl")
    for (const LayerRecord& rec : r.outcome.layers) {
      Counters rtl = rec.activity.at("mac_array");
      rtl.erase("passes");
      EXPECT_EQ(rtl, rec.activity.at(kMacModelComponent)) << "layer " << rec.layer.name;
    }
  return r;
}

}  // namespace sdla
