#include "stream_kernels.hpp"

#include <algorithm>

#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>
#define SDLA_STREAM_AVX2 1
#endif

namespace sdla {

namespace {
constexpr unsigned kMaxStreamLanes = 256;  // activation bus lanes a kernel's stack rows hold
}  // namespace

bool stream_kernel_fits(const MacPass& p) {
  // Columns in groups of 8 (one int32 register each); chunks of 32 register
  // bytes that never read past a vector's row; int16 sums split into bytes
  // whose pair products stay in int32 for up to 64 pairs.
  const unsigned nc = p.atomic_k / 8;
  if (p.atomic_k % 8 != 0 || (nc != 1 && nc != 2 && nc != 4) || p.act_lanes > kMaxStreamLanes) return false;
  return p.precision == Precision::int8 ? p.act_lanes % 32 == 0 : p.act_lanes % 16 == 0 && p.act_lanes <= 128;
}

bool prepare_stream(const MacPass& p, const std::vector<std::int16_t>& live_w, const std::uint16_t* select,
                    const std::vector<std::uint32_t>& live_w_per_lane, StreamPlan& plan) {
  if (!stream_kernel_fits(p)) return false;
  plan.pairs = (p.lanes_valid + 1) / 2;

  plan.weights.assign(std::size_t(plan.pairs) * p.atomic_k * 2, 0);
  std::int16_t* out = plan.weights.data();
  if (!select) {
    // Dense: a transpose of lane pairs, [column][pair] to [pair][column].
    const unsigned pairs = std::min(plan.pairs, p.lanes / 2);
    for (unsigned j = 0; j < pairs; ++j)
      for (unsigned k = 0; k < p.columns; ++k) {
        out[(std::size_t(j) * p.atomic_k + k) * 2] = live_w[std::size_t(k) * p.lanes + 2 * j];
        out[(std::size_t(j) * p.atomic_k + k) * 2 + 1] = live_w[std::size_t(k) * p.lanes + 2 * j + 1];
      }
    if (pairs < plan.pairs)  // an odd last lane
      for (unsigned k = 0; k < p.columns; ++k)
        out[(std::size_t(pairs) * p.atomic_k + k) * 2] = live_w[std::size_t(k) * p.lanes + 2 * pairs];
  } else {
    for (unsigned k = 0; k < p.columns; ++k)
      for (unsigned i = 0; i < p.lanes; ++i) {
        const std::size_t at = std::size_t(k) * p.lanes + i;
        const unsigned lane = select[at];
        if (lane < 2 * plan.pairs) out[(std::size_t(lane / 2) * p.atomic_k + k) * 2 + lane % 2] = live_w[at];
      }
  }

  plan.live_w_per_lane = live_w_per_lane.data();
  return true;
}

#ifdef SDLA_STREAM_AVX2

bool stream_avx2_available() { return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("popcnt"); }

namespace {

#define SDLA_AVX2 __attribute__((target("avx2,popcnt")))

SDLA_AVX2 inline std::uint64_t bits_set(__m256i x) {
  return std::uint64_t(_mm_popcnt_u64(std::uint64_t(_mm256_extract_epi64(x, 0)))) +
         std::uint64_t(_mm_popcnt_u64(std::uint64_t(_mm256_extract_epi64(x, 1)))) +
         std::uint64_t(_mm_popcnt_u64(std::uint64_t(_mm256_extract_epi64(x, 2)))) +
         std::uint64_t(_mm_popcnt_u64(std::uint64_t(_mm256_extract_epi64(x, 3))));
}

/// One vector into its registers: register loads and toggles, a count per
/// lane of the vectors it was live in (16 bits: flushed every 32768
/// vectors), and the live operands (zero where gated or not valid) as
/// int16 in `live`, for the products.
struct VectorStage {
  const MacPass& p;
  std::uint8_t* reg;
  unsigned chunks;  ///< 32-byte chunks of the register bank that hold valid lanes

  /// int8: 32 lanes per chunk; the int16 bus values pack to their bytes
  /// (live values fit, others are masked off).
  SDLA_AVX2 void int8(unsigned v, std::int16_t* live, std::int16_t* counts, std::uint64_t& toggles) const {
    const std::int16_t* a = &p.acts[std::size_t(v) * p.act_lanes];
    const std::uint8_t* az = &p.act_zero[std::size_t(v) * p.act_lanes];
    for (unsigned j = 0; j < chunks; ++j) {
      const unsigned l0 = 32 * j;
      const __m256i lane = _mm256_setr_epi8(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20,
                                             21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31);
      const int left = int(std::min(p.lanes_valid - l0, 32u));
      const __m256i valid = _mm256_cmpgt_epi8(_mm256_set1_epi8(char(left)), lane);
      const __m256i zero = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(az + l0));
      const __m256i on = _mm256_and_si256(_mm256_cmpeq_epi8(zero, _mm256_setzero_si256()), valid);
      const __m256i lo = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(a + l0));
      const __m256i hi = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(a + l0 + 16));
      const __m256i bytes = _mm256_permute4x64_epi64(_mm256_packs_epi16(lo, hi), 0xD8);
      __m256i* r = reinterpret_cast<__m256i*>(reg + l0);
      const __m256i old = _mm256_loadu_si256(r);
      const __m256i now = _mm256_blendv_epi8(old, bytes, on);
      toggles += bits_set(_mm256_xor_si256(old, now));
      _mm256_storeu_si256(r, now);
      __m256i* c = reinterpret_cast<__m256i*>(counts + l0);  // a live lane's mask is -1
      _mm256_store_si256(c, _mm256_sub_epi16(_mm256_load_si256(c), _mm256_cvtepi8_epi16(_mm256_castsi256_si128(on))));
      _mm256_store_si256(c + 1,
                         _mm256_sub_epi16(_mm256_load_si256(c + 1), _mm256_cvtepi8_epi16(_mm256_extracti128_si256(on, 1))));
      const __m256i kept = _mm256_and_si256(bytes, on);
      _mm256_storeu_si256(reinterpret_cast<__m256i*>(live + l0), _mm256_cvtepi8_epi16(_mm256_castsi256_si128(kept)));
      _mm256_storeu_si256(reinterpret_cast<__m256i*>(live + l0 + 16),
                          _mm256_cvtepi8_epi16(_mm256_extracti128_si256(kept, 1)));
    }
  }

  /// int16: 16 lanes (32 register bytes, little-endian as in memory) per chunk.
  SDLA_AVX2 void int16(unsigned v, std::int16_t* live, std::int16_t* counts, std::uint64_t& toggles) const {
    const std::int16_t* a = &p.acts[std::size_t(v) * p.act_lanes];
    const std::uint8_t* az = &p.act_zero[std::size_t(v) * p.act_lanes];
    for (unsigned j = 0; j < chunks; ++j) {
      const unsigned l0 = 16 * j;
      const __m128i lane = _mm_setr_epi8(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
      const int left = int(std::min(p.lanes_valid - l0, 16u));
      const __m128i valid = _mm_cmpgt_epi8(_mm_set1_epi8(char(left)), lane);
      const __m128i zero = _mm_loadu_si128(reinterpret_cast<const __m128i*>(az + l0));
      const __m128i on8 = _mm_and_si128(_mm_cmpeq_epi8(zero, _mm_setzero_si128()), valid);
      const __m256i on = _mm256_cvtepi8_epi16(on8);
      const __m256i values = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(a + l0));
      __m256i* r = reinterpret_cast<__m256i*>(reg + 2 * l0);
      const __m256i old = _mm256_loadu_si256(r);
      const __m256i now = _mm256_blendv_epi8(old, values, on);
      toggles += bits_set(_mm256_xor_si256(old, now));
      _mm256_storeu_si256(r, now);
      __m256i* c = reinterpret_cast<__m256i*>(counts + l0);
      _mm256_store_si256(c, _mm256_sub_epi16(_mm256_load_si256(c), on));
      _mm256_storeu_si256(reinterpret_cast<__m256i*>(live + l0), _mm256_and_si256(values, on));
    }
  }
};

/// Adds the random multipliers the live counts stand for, and restarts them.
std::uint64_t flush_random(const StreamPlan& plan, std::int16_t* counts, unsigned lanes) {
  std::uint64_t random = 0;
  for (unsigned l = 0; l < lanes; ++l) random += std::uint64_t(std::uint16_t(counts[l])) * plan.live_w_per_lane[l];
  std::fill(counts, counts + lanes, 0);
  return random;
}

SDLA_AVX2 inline void store_sums(std::int64_t* out, __m256i acc) {
  _mm256_storeu_si256(reinterpret_cast<__m256i*>(out), _mm256_cvtepi32_epi64(_mm256_castsi256_si128(acc)));
  _mm256_storeu_si256(reinterpret_cast<__m256i*>(out + 4), _mm256_cvtepi32_epi64(_mm256_extracti128_si256(acc, 1)));
}

/// int8: two vectors at a time share each weight load; a broadcast lane
/// pair times 8 columns' weight pairs is one pmaddwd, exact in int32.
template <unsigned NC>
SDLA_AVX2 void int8_products(const StreamPlan& plan, const std::int16_t* a0, const std::int16_t* a1, unsigned atomic_k,
                             std::int64_t* out0, std::int64_t* out1) {
  __m256i acc0[NC], acc1[NC];
  for (unsigned c = 0; c < NC; ++c) acc0[c] = acc1[c] = _mm256_setzero_si256();
  const std::int16_t* w = plan.weights.data();
  for (unsigned j = 0; j < plan.pairs; ++j, w += 2 * atomic_k) {
    std::int32_t x0, x1;
    __builtin_memcpy(&x0, a0 + 2 * j, 4);
    __builtin_memcpy(&x1, a1 + 2 * j, 4);
    const __m256i b0 = _mm256_set1_epi32(x0), b1 = _mm256_set1_epi32(x1);
    for (unsigned c = 0; c < NC; ++c) {
      const __m256i wc = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(w + 16 * c));
      acc0[c] = _mm256_add_epi32(acc0[c], _mm256_madd_epi16(wc, b0));
      acc1[c] = _mm256_add_epi32(acc1[c], _mm256_madd_epi16(wc, b1));
    }
  }
  for (unsigned c = 0; c < NC; ++c) {
    store_sums(out0 + 8 * c, acc0[c]);
    store_sums(out1 + 8 * c, acc1[c]);
  }
}

/// int16: each activation split as hi * 256 + lo (lo unsigned), so every
/// pair product stays in int32; the halves recombine in int64.
template <unsigned NC>
SDLA_AVX2 void int16_products(const StreamPlan& plan, const std::int16_t* a, unsigned atomic_k, std::int64_t* out) {
  __m256i lo_acc[NC], hi_acc[NC];
  for (unsigned c = 0; c < NC; ++c) lo_acc[c] = hi_acc[c] = _mm256_setzero_si256();
  const std::int16_t* w = plan.weights.data();
  const __m256i low_byte = _mm256_set1_epi16(0xFF);
  for (unsigned j = 0; j < plan.pairs; ++j, w += 2 * atomic_k) {
    std::int32_t x;
    __builtin_memcpy(&x, a + 2 * j, 4);
    const __m256i b = _mm256_set1_epi32(x);
    const __m256i lo = _mm256_and_si256(b, low_byte), hi = _mm256_srai_epi16(b, 8);
    for (unsigned c = 0; c < NC; ++c) {
      const __m256i wc = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(w + 16 * c));
      lo_acc[c] = _mm256_add_epi32(lo_acc[c], _mm256_madd_epi16(wc, lo));
      hi_acc[c] = _mm256_add_epi32(hi_acc[c], _mm256_madd_epi16(wc, hi));
    }
  }
  for (unsigned c = 0; c < NC; ++c) {
    alignas(32) std::int32_t lo_sum[8], hi_sum[8];
    _mm256_store_si256(reinterpret_cast<__m256i*>(lo_sum), lo_acc[c]);
    _mm256_store_si256(reinterpret_cast<__m256i*>(hi_sum), hi_acc[c]);
    for (unsigned k = 0; k < 8; ++k) out[8 * c + k] = std::int64_t(hi_sum[k]) * 256 + lo_sum[k];
  }
}

template <unsigned NC>
SDLA_AVX2 void stream(MacPass& p, const StreamPlan& plan, std::uint8_t* act_reg, StreamTotals& totals) {
  const bool int8 = p.precision == Precision::int8;
  const VectorStage stage{p, act_reg, int8 ? (p.lanes_valid + 31) / 32 : (p.lanes_valid + 15) / 16};
  // Live operands of two vectors, padded to whole chunks.
  alignas(32) std::int16_t live[2][kMaxStreamLanes];
  alignas(32) std::int16_t counts[kMaxStreamLanes] = {};
  const unsigned counted = stage.chunks * (int8 ? 32 : 16);  // lanes the counts cover
  const std::int16_t* zeros = live[1];
  for (unsigned v = 0; v < p.vectors; v += int8 ? 2 : 1) {
    const unsigned n = int8 ? std::min(2u, p.vectors - v) : 1;
    if (v % 32768 == 0 && v > 0) totals.random += flush_random(plan, counts, counted);
    for (unsigned i = 0; i < n; ++i) {
      if (int8)
        stage.int8(v + i, live[i], counts, totals.act_toggles);
      else
        stage.int16(v + i, live[i], counts, totals.act_toggles);
    }
    std::int64_t* out = &p.psums[std::size_t(v) * p.atomic_k];
    if (!int8) {
      int16_products<NC>(plan, live[0], p.atomic_k, out);
    } else if (n == 2) {
      int8_products<NC>(plan, live[0], live[1], p.atomic_k, out, out + p.atomic_k);
    } else {
      // The last odd vector: its partner's products go to a scratch row.
      std::fill(live[1], live[1] + 2 * plan.pairs, 0);
      alignas(32) std::int64_t scratch[8 * NC];
      int8_products<NC>(plan, live[0], zeros, p.atomic_k, out, scratch);
    }
  }
  totals.random += flush_random(plan, counts, counted);
}

}  // namespace

void stream_avx2(MacPass& p, const StreamPlan& plan, std::uint8_t* act_reg, StreamTotals& totals) {
  switch (p.atomic_k / 8) {
    case 1: stream<1>(p, plan, act_reg, totals); break;
    case 2: stream<2>(p, plan, act_reg, totals); break;
    default: stream<4>(p, plan, act_reg, totals); break;
  }
}

#else

bool stream_avx2_available() { return false; }
void stream_avx2(MacPass&, const StreamPlan&, std::uint8_t*, StreamTotals&) {}

#endif

}  // namespace sdla
