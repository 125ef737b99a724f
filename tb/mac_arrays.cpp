#include "mac_arrays.hpp"

#include <stdexcept>

#include "rtl_mac_array.hpp"
#include "rtl_pin_mac_array.hpp"

namespace sdla {

std::unique_ptr<MacArrayTarget> make_any_mac_array(const TestbenchOptions& o) {
  if (o.mac == "rtl") return make_rtl_mac_array("mac_array", o.cfg, o.waves, o.crosscheck);
  if (o.mac == "rtl-pins") {
    if (!o.waves.path.empty())
      throw std::invalid_argument("waves trace the verilated C++ model (--mac rtl); the pin-level model writes none");
    RtlPinOptions pins;
    pins.crosscheck = o.crosscheck;
    return make_rtl_pin_mac_array("mac_array", o.cfg, pins);
  }
  return make_mac_array(o);
}

}  // namespace sdla
