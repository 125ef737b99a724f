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

void store(std::int64_t y, unsigned bytes, std::uint8_t* out) {
  for (unsigned b = 0; b < bytes; ++b) out[b] = std::uint8_t(std::uint64_t(y) >> (8 * b));
}

/// One pixel; false when some sum + bias lies outside int32.
bool row_portable(const ChannelRules& r, unsigned c0, const std::int64_t* sums, const std::int64_t* residual,
                  unsigned n, unsigned bytes, std::uint8_t* out) {
  std::uint64_t wide = 0;
  for (unsigned k = 0, c = c0; k < n; ++k, ++c) {
    const std::int64_t acc = sums[k] + r.bias[c];
    wide |= (std::uint64_t(acc) + 0x80000000ULL) >> 32;
    const std::int64_t x = std::int64_t(std::int32_t(acc)) * r.multiplier[c];
    const std::int64_t q = std::int64_t(((std::uint64_t(x) + r.round[c]) >> r.shift[c]) - r.offset[c]) +
                           (residual ? residual[k] : 0);
    store(std::clamp(q, r.lo, r.hi), bytes, out + std::size_t(k) * bytes);
  }
  return wide == 0;
}

unsigned rows_portable(const ChannelRules& r, unsigned c0, unsigned n, const std::int64_t* sums, std::size_t stride,
                       const std::int64_t* residual, unsigned rows, unsigned bytes, std::uint8_t* out) {
  for (unsigned v = 0; v < rows; ++v)
    if (!row_portable(r, c0, sums + v * stride, residual ? residual + std::size_t(v) * n : nullptr, n, bytes,
                      out + std::size_t(v) * n * bytes))
      return v;
  return rows;
}

#ifdef SDLA_REQUANTIZE_AVX2

bool avx2_available() { return __builtin_cpu_supports("avx2"); }

#define SDLA_TARGET_AVX2 __attribute__((target("avx2")))

SDLA_TARGET_AVX2 inline __m256i at(const void* p) { return _mm256_loadu_si256(static_cast<const __m256i*>(p)); }

/// Four channels: vpmuldq takes each sum's low 32 bits (the whole value when
/// it fits), vpsrlvq the per-channel shift; `wide` collects sums beyond int32.
struct Rule4 {
  const ChannelRules& r;
  __m256i lo, hi, half, wide = _mm256_setzero_si256();

  SDLA_TARGET_AVX2 explicit Rule4(const ChannelRules& rules)
      : r(rules), lo(_mm256_set1_epi64x(r.lo)), hi(_mm256_set1_epi64x(r.hi)), half(_mm256_set1_epi64x(0x80000000LL)) {}

  SDLA_TARGET_AVX2 __m256i operator()(unsigned c, const std::int64_t* sums, const std::int64_t* residual) {
    const __m256i acc = _mm256_add_epi64(at(sums), at(&r.bias[c]));
    wide = _mm256_or_si256(wide, _mm256_srli_epi64(_mm256_add_epi64(acc, half), 32));
    const __m256i x = _mm256_mul_epi32(acc, at(&r.multiplier[c]));
    const __m256i shifted = _mm256_srlv_epi64(_mm256_add_epi64(x, at(&r.round[c])), at(&r.shift[c]));
    __m256i q = _mm256_sub_epi64(shifted, at(&r.offset[c]));
    if (residual) q = _mm256_add_epi64(q, at(residual));
    q = _mm256_blendv_epi8(q, lo, _mm256_cmpgt_epi64(lo, q));
    return _mm256_blendv_epi8(q, hi, _mm256_cmpgt_epi64(q, hi));
  }
};

/// Eight channels at a time, packed to their output width in registers (the
/// values are already clamped, so the saturating packs are exact).
SDLA_TARGET_AVX2 unsigned rows_avx2(const ChannelRules& r, unsigned c0, unsigned n, const std::int64_t* sums,
                                    std::size_t stride, const std::int64_t* residual, unsigned rows, unsigned bytes,
                                    std::uint8_t* out) {
  if (bytes != 1 && bytes != 2) return rows_portable(r, c0, n, sums, stride, residual, rows, bytes, out);
  Rule4 rule(r);
  const __m256i even = _mm256_setr_epi32(0, 2, 4, 6, 0, 2, 4, 6);
  for (unsigned v = 0; v < rows; ++v, sums += stride, out += std::size_t(n) * bytes) {
    const std::int64_t* res = residual ? residual + std::size_t(v) * n : nullptr;
    unsigned k = 0;
    for (; k + 8 <= n; k += 8) {
      const __m256i q0 = rule(c0 + k, sums + k, res ? res + k : nullptr);
      const __m256i q1 = rule(c0 + k + 4, sums + k + 4, res ? res + k + 4 : nullptr);
      const __m128i words = _mm_packs_epi32(_mm256_castsi256_si128(_mm256_permutevar8x32_epi32(q0, even)),
                                            _mm256_castsi256_si128(_mm256_permutevar8x32_epi32(q1, even)));
      if (bytes == 2)
        _mm_storeu_si128(reinterpret_cast<__m128i*>(out + 2 * k), words);
      else
        _mm_storel_epi64(reinterpret_cast<__m128i*>(out + k), _mm_packs_epi16(words, words));
    }
    const bool tail = row_portable(r, c0 + k, sums + k, res ? res + k : nullptr, n - k, bytes, out + k * bytes);
    if (!tail || !_mm256_testz_si256(rule.wide, rule.wide)) return v;
  }
  return rows;
}

#else

bool avx2_available() { return false; }
unsigned rows_avx2(const ChannelRules& r, unsigned c0, unsigned n, const std::int64_t* sums, std::size_t stride,
                   const std::int64_t* residual, unsigned rows, unsigned bytes, std::uint8_t* out) {
  return rows_portable(r, c0, n, sums, stride, residual, rows, bytes, out);
}

#endif

}  // namespace

unsigned requantize_rows(const ChannelRules& rules, unsigned c0, unsigned n, const std::int64_t* sums,
                         std::size_t stride, const std::int64_t* residual, unsigned rows, unsigned out_bytes,
                         std::uint8_t* out, bool simd) {
  static const bool avx2 = avx2_available();
  return (simd && avx2 ? rows_avx2 : rows_portable)(rules, c0, n, sums, stride, residual, rows, out_bytes, out);
}

}  // namespace sdla
