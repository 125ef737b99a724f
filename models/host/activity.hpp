/// \file
/// Activity counters: component -> action -> count, Accelergy style.
/// Each unit owns a Counters object; reports and the energy table read them.
#pragma once

#include <cstdint>
#include <map>
#include <string>

namespace sdla {

using Counters = std::map<std::string, std::uint64_t>;       ///< action -> count
using Activity = std::map<std::string, Counters>;            ///< component -> counters

/// Activity component holding the C++ model's count of the MAC-array passes
/// when the array cross-checks against it (the RTL); never priced as energy
/// of its own.
inline constexpr const char* kMacModelComponent = "mac_array_model";

/// The side of the accelerator a counter belongs to. When layers overlap
/// (the loader fetches the next layer while this one computes), a layer's
/// figures take each side's counts over that side's own window.
enum class UnitSide {
  control,  ///< the controller: descriptor and parameter fetches
  load,     ///< the loader: feature data and weights into the buffer
  compute,  ///< everything behind the buffer, write-back included
};
inline constexpr UnitSide kUnitSides[] = {UnitSide::control, UnitSide::load, UnitSide::compute};

/// a += b, action by action.
void accumulate(Activity& a, const Activity& b);
/// a - b, action by action (b must be an earlier snapshot of a).
Activity difference(const Activity& a, const Activity& b);

}  // namespace sdla
