#include "mac_arrays.hpp"

#include "rtl_mac_array.hpp"

namespace sdla {

std::unique_ptr<MacArrayTarget> make_any_mac_array(const TestbenchOptions& o) {
  if (o.mac == "rtl") return make_rtl_mac_array("mac_array", o.cfg, o.waves, o.crosscheck);
  return make_mac_array(o);
}

}  // namespace sdla
