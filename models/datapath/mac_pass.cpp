#include "sdla/mac_pass.hpp"

#include "sdla/multiversion.hpp"

namespace sdla {

// 16-bit lanes throughout (v + 128 leaves [0, 255] exactly when v does not
// fit), branch-free, with an AVX2 copy where the CPU has it.
SDLA_AVX2_CLONES bool int8_operands_fit(const std::int16_t* v, const std::uint8_t* zero, std::size_t n, std::size_t rows,
                       std::size_t stride) {
  std::uint16_t bad = 0;
  for (std::size_t r = 0; r < rows; ++r, v += stride, zero += stride)
    for (std::size_t i = 0; i < n; ++i)
      bad |= std::uint16_t(std::uint16_t(v[i] + 128) & 0xFF00 & -std::uint16_t(zero[i] == 0));
  return bad == 0;
}

}  // namespace sdla
