#include "requantize_row.hpp"

#include <algorithm>

#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>
#define SDLA_REQUANTIZE_AVX2 1
#endif

namespace sdla {

ChannelRules::ChannelRules(const Layer& layer, const std::vector<std::int32_t>& b) {
  const unsigned n = layer.out_channels;
  bias.assign(n, 0);
  std::copy_n(b.begin(), std::min<std::size_t>(n, b.size()), bias.begin());
  multiplier.resize(n);
  round.resize(n);
  shift.resize(n);
  offset.resize(n);
  for (unsigned k = 0; k < n; ++k) {
    const unsigned s = layer.post.shift_for(k);
    multiplier[k] = layer.post.multiplier_for(k);
    shift[k] = s;
    round[k] = (std::uint64_t(1) << 62) + (s > 0 ? std::uint64_t(1) << (s - 1) : 0);  // ties to +inf
    offset[k] = (std::uint64_t(1) << 62) >> s;
  }
  const PrecisionTraits& p = traits(layer.precision);
  lo = layer.post.relu ? std::max<std::int64_t>(p.min, 0) : p.min;
  hi = p.max;
}

namespace {

bool row_portable(const ChannelRules& r, unsigned c0, const std::int64_t* sums, const std::int64_t* residual,
                  unsigned n, std::int64_t* y) {
  std::uint64_t wide = 0;
  for (unsigned k = 0, c = c0; k < n; ++k, ++c) {
    const std::int64_t acc = sums[k] + r.bias[c];
    wide |= (std::uint64_t(acc) + 0x80000000ULL) >> 32;
    const std::int64_t x = std::int64_t(std::int32_t(acc)) * r.multiplier[c];
    const std::int64_t q = std::int64_t(((std::uint64_t(x) + r.round[c]) >> r.shift[c]) - r.offset[c]) + residual[k];
    y[k] = std::clamp(q, r.lo, r.hi);
  }
  return wide == 0;
}

#ifdef SDLA_REQUANTIZE_AVX2

bool avx2_available() { return __builtin_cpu_supports("avx2"); }

__attribute__((target("avx2"))) inline __m256i at(const void* p) {
  return _mm256_loadu_si256(static_cast<const __m256i*>(p));
}

// Four channels per step: vpmuldq takes each sum's low 32 bits (the whole
// value when it fits), vpsrlvq the per-channel shift.
__attribute__((target("avx2"))) bool row_avx2(const ChannelRules& r, unsigned c0, const std::int64_t* sums,
                                              const std::int64_t* residual, unsigned n, std::int64_t* y) {
  const __m256i lo = _mm256_set1_epi64x(r.lo), hi = _mm256_set1_epi64x(r.hi), half = _mm256_set1_epi64x(0x80000000LL);
  __m256i wide = _mm256_setzero_si256();
  unsigned k = 0;
  for (; k + 4 <= n; k += 4) {
    const unsigned c = c0 + k;
    const __m256i acc = _mm256_add_epi64(at(sums + k), at(&r.bias[c]));
    wide = _mm256_or_si256(wide, _mm256_srli_epi64(_mm256_add_epi64(acc, half), 32));
    const __m256i x = _mm256_mul_epi32(acc, at(&r.multiplier[c]));
    const __m256i shifted = _mm256_srlv_epi64(_mm256_add_epi64(x, at(&r.round[c])), at(&r.shift[c]));
    __m256i q = _mm256_add_epi64(_mm256_sub_epi64(shifted, at(&r.offset[c])), at(residual + k));
    q = _mm256_blendv_epi8(q, lo, _mm256_cmpgt_epi64(lo, q));
    q = _mm256_blendv_epi8(q, hi, _mm256_cmpgt_epi64(q, hi));
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(y + k), q);
  }
  const bool narrow = _mm256_testz_si256(wide, wide);
  return row_portable(r, c0 + k, sums + k, residual + k, n - k, y + k) && narrow;
}

#else

bool avx2_available() { return false; }
bool row_avx2(const ChannelRules&, unsigned, const std::int64_t*, const std::int64_t*, unsigned, std::int64_t*) {
  return false;
}

#endif

}  // namespace

bool requantize_row(const ChannelRules& rules, unsigned c0, const std::int64_t* sums, const std::int64_t* residual,
                    unsigned n, std::int64_t* y, bool simd) {
  static const bool avx2 = avx2_available();
  return simd && avx2 ? row_avx2(rules, c0, sums, residual, n, y) : row_portable(rules, c0, sums, residual, n, y);
}

}  // namespace sdla
