#include "popcount.hpp"

namespace sdla {
namespace {

using Word = std::uint64_t;

unsigned popcount_words_sw(const Word* w, std::size_t n) {
  unsigned total = 0;
  for (std::size_t i = 0; i < n; ++i) {
    Word x = w[i];
    x = x - ((x >> 1) & 0x5555555555555555ULL);
    x = (x & 0x3333333333333333ULL) + ((x >> 2) & 0x3333333333333333ULL);
    x = (x + (x >> 4)) & 0x0f0f0f0f0f0f0f0fULL;
    total += unsigned((x * 0x0101010101010101ULL) >> 56);
  }
  return total;
}

#if defined(__GNUC__) && (defined(__x86_64__) || defined(__i386__))
__attribute__((target("popcnt"))) unsigned popcount_words_hw(const Word* w, std::size_t n) {
  unsigned total = 0;
  for (std::size_t i = 0; i < n; ++i) total += unsigned(__builtin_popcountll(w[i]));
  return total;
}

unsigned (*pick())(const Word*, std::size_t) {
  __builtin_cpu_init();  // may run before libgcc's own constructor
  return __builtin_cpu_supports("popcnt") ? popcount_words_hw : popcount_words_sw;
}
#else
unsigned (*pick())(const Word*, std::size_t) { return popcount_words_sw; }
#endif

}  // namespace

unsigned (*const popcount_words)(const std::uint64_t*, std::size_t) = pick();

}  // namespace sdla
