#include "dot_kernels.hpp"

#include <cstddef>

namespace sdla {
namespace {

// One body, inlined into both versions: the AVX2 copy differs only in the
// instructions the compiler may use, never in the integers it computes.
inline __attribute__((always_inline)) void dot_body(const std::int16_t* w, const std::int16_t* a, unsigned lanes,
                                                    unsigned columns, std::int64_t* sums) {
  for (unsigned k = 0; k < columns; ++k) {
    const std::int16_t* wk = w + std::size_t(k) * lanes;
    std::int32_t sum = 0;
    for (unsigned i = 0; i < lanes; ++i) sum += std::int32_t(wk[i]) * a[i];
    sums[k] = sum;
  }
}

}  // namespace

void dot_columns_portable(const std::int16_t* w, const std::int16_t* a, unsigned lanes, unsigned columns,
                          std::int64_t* sums) {
  dot_body(w, a, lanes, columns, sums);
}

#if defined(__x86_64__) && defined(__GNUC__)
__attribute__((target("avx2"))) void dot_columns_avx2(const std::int16_t* w, const std::int16_t* a, unsigned lanes,
                                                      unsigned columns, std::int64_t* sums) {
  dot_body(w, a, lanes, columns, sums);
}
bool dot_columns_avx2_available() { return __builtin_cpu_supports("avx2"); }
#else
void dot_columns_avx2(const std::int16_t* w, const std::int16_t* a, unsigned lanes, unsigned columns,
                      std::int64_t* sums) {
  dot_body(w, a, lanes, columns, sums);
}
bool dot_columns_avx2_available() { return false; }
#endif

DotColumns dot_columns() {
  static const DotColumns pick = dot_columns_avx2_available() ? dot_columns_avx2 : dot_columns_portable;
  return pick;
}

}  // namespace sdla
