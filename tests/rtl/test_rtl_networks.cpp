// Whole networks with the RTL MAC array: bit-exact against the golden, and
// the RTL's MAC-array activity equal to the C++ model's on every layer.
#include <gtest/gtest.h>

#include "builtin_networks.hpp"
#include "mac_arrays.hpp"
#include "network_runs.hpp"
#include "seed.hpp"

namespace sdla {
namespace {

TEST(RtlNetworks, ResNet50OnTheSmallArray) {
  // Every layer of ResNet-50, at a 32x32 image so that the co-simulation stays quick.
  const LoweredNetwork net = lower(builtin_network("resnet50", Precision::int8, 128, 32));
  const NetworkResult r = check_network(net, "small", test::seed(2), Prune::none, "rtl", make_any_mac_array);
  EXPECT_EQ(r.runs, 1u);
}

TEST(RtlNetworks, MobileNetV2SparseOnTheSmallArray) {
  const LoweredNetwork net = lower(builtin_network("mobilenetv2", Precision::int8, 128, 32));
  check_network(net, "small", test::seed(4), Prune::sparse, "rtl", make_any_mac_array);
}

}  // namespace
}  // namespace sdla
