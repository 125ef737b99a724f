/// \file
/// Rounding of the hardware units: a right shift rounded half away from
/// zero, as NVDLA's Winograd transforms truncate. (The golden reference
/// keeps its own copy: it must not share code with what it checks.)
///
///     sdla::round_shift_away(-5, 1);   // -3
#pragma once

namespace sdla {

/// round(v / 2^s), ties away from zero; s = 0 returns v.
template <class T>
T round_shift_away(T v, unsigned s) {
  if (s == 0) return v;
  const T mag = v < 0 ? -v : v, q = (mag + (T(1) << (s - 1))) >> s;
  return v < 0 ? -q : q;
}

}  // namespace sdla
