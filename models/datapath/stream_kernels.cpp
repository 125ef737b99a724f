#include "stream_kernels.hpp"

#include <algorithm>
#include <type_traits>

#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>
#define SDLA_STREAM_AVX2 1
#endif

namespace sdla {

bool stream_kernel_fits(const MacPass& p) {
  // Columns in groups of 8 (one int32 register each; a lane's live weight
  // count fits a byte); every column's registers in whole 32-byte chunks;
  // int16 sums split into bytes whose pair products stay in int32 for up to
  // 64 pairs.
  const unsigned nc = p.atomic_k / 8;
  if (p.atomic_k % 8 != 0 || (nc != 1 && nc != 2 && nc != 4) || p.act_lanes > kMaxStreamLanes) return false;
  return p.precision == Precision::int8 ? p.lanes % 32 == 0 : p.lanes % 16 == 0 && p.act_lanes <= 128;
}

#ifdef SDLA_STREAM_AVX2

bool stream_avx2_available() { return __builtin_cpu_supports("avx2"); }

namespace {

#define SDLA_AVX2 __attribute__((target("avx2")))

/// Few vectors: each column's row times the vector, no interleaved copy of
/// the weights to build. More: the interleaved copy, whose product kernel
/// is faster per vector. Crossovers measured on the full preset (2:4 rows
/// are twice as long, so twice as costly to interleave).
bool few_vectors(const MacPass& p) {
  if (p.format == WeightFormat::sparse_2_4) return p.vectors <= 8;
  return p.vectors <= (p.precision == Precision::int8 ? 4u : 1u);
}

template <class T>
SDLA_AVX2 inline __m256i load(const T* p) {
  return _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p));
}
template <class T>
SDLA_AVX2 inline __m128i load128(const T* p) {
  return _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
}
template <class T>
SDLA_AVX2 inline void store(T* p, __m256i x) {
  _mm256_storeu_si256(reinterpret_cast<__m256i*>(p), x);
}
template <class T>
SDLA_AVX2 inline void store128(T* p, __m128i x) {
  _mm_storeu_si128(reinterpret_cast<__m128i*>(p), x);
}

/// Set bits of each 8 bytes as four 64-bit sums: a nibble table in
/// registers, cheaper than moving every quarter to a scalar popcnt.
SDLA_AVX2 inline __m256i bits_set(__m256i x) {
  const __m256i table = _mm256_setr_epi8(0, 1, 1, 2, 1, 2, 2, 3, 1, 2, 2, 3, 2, 3, 3, 4,  //
                                         0, 1, 1, 2, 1, 2, 2, 3, 1, 2, 2, 3, 2, 3, 3, 4);
  const __m256i nibble = _mm256_set1_epi8(0x0F);
  const __m256i n = _mm256_add_epi8(_mm256_shuffle_epi8(table, _mm256_and_si256(x, nibble)),
                                    _mm256_shuffle_epi8(table, _mm256_and_si256(_mm256_srli_epi16(x, 4), nibble)));
  return _mm256_sad_epu8(n, _mm256_setzero_si256());
}

SDLA_AVX2 inline std::uint64_t sum64(__m256i x) {
  alignas(32) std::uint64_t s[4];
  _mm256_store_si256(reinterpret_cast<__m256i*>(s), x);
  return s[0] + s[1] + s[2] + s[3];
}

/// The activation chunks holding valid lanes (int8: 32 lanes, int16: 16;
/// either is 32 register bytes) and their valid-lane byte masks (int16: the
/// low half).
struct LaneMasks {
  unsigned chunks = 0;
  __m256i valid[kMaxStreamLanes / 32];
};

SDLA_AVX2 LaneMasks lane_masks(const MacPass& p) {
  const unsigned per = p.precision == Precision::int8 ? 32 : 16;
  LaneMasks m;
  m.chunks = (p.lanes_valid + per - 1) / per;
  const __m256i lane = _mm256_setr_epi8(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21,
                                        22, 23, 24, 25, 26, 27, 28, 29, 30, 31);
  for (unsigned j = 0; j < m.chunks; ++j) {
    const int left = int(std::min(p.lanes_valid - per * j, per));
    m.valid[j] = _mm256_cmpgt_epi8(_mm256_set1_epi8(char(left)), lane);
  }
  return m;
}

/// int8: whether every live activation of a valid lane fits a byte; v + 128
/// has a high byte exactly when v does not.
SDLA_AVX2 bool int8_acts_fit(const MacPass& p) {
  const __m256i bias = _mm256_set1_epi16(128);
  if (p.lanes_valid % 32 == 0) {
    // Usually every valid lane fits, live or not: then the zero lines need not be read.
    __m256i any = _mm256_setzero_si256();
    for (unsigned v = 0; v < p.vectors; ++v) {
      const std::int16_t* a = &p.acts[std::size_t(v) * p.act_lanes];
      for (unsigned l = 0; l < p.lanes_valid; l += 16) any = _mm256_or_si256(any, _mm256_add_epi16(load(a + l), bias));
    }
    if (_mm256_testz_si256(any, _mm256_set1_epi16(std::int16_t(0xFF00)))) return true;
  }
  const LaneMasks m = lane_masks(p);
  __m256i bad = _mm256_setzero_si256();
  for (unsigned v = 0; v < p.vectors; ++v) {
    const std::int16_t* a = &p.acts[std::size_t(v) * p.act_lanes];
    const std::uint8_t* az = &p.act_zero[std::size_t(v) * p.act_lanes];
    for (unsigned j = 0; j < m.chunks; ++j) {
      const __m256i hi0 = _mm256_srli_epi16(_mm256_add_epi16(load(a + 32 * j), bias), 8);
      const __m256i hi1 = _mm256_srli_epi16(_mm256_add_epi16(load(a + 32 * j + 16), bias), 8);
      const __m256i high = _mm256_permute4x64_epi64(_mm256_packus_epi16(hi0, hi1), 0xD8);
      const __m256i live = _mm256_and_si256(_mm256_cmpeq_epi8(load(az + 32 * j), _mm256_setzero_si256()), m.valid[j]);
      bad = _mm256_or_si256(bad, _mm256_and_si256(high, live));
    }
  }
  return _mm256_testz_si256(bad, bad);
}

// ---- Weights: one sweep over the valid columns.

/// 2:4 weights, 16 (8 groups) at a time: each kept weight moves to the
/// activation lane its index selects within its group's 4, gated weights
/// select none; the indices are checked and, when some activation lanes are
/// not valid, the multipliers reading them counted out.
struct SparseSweep {
  __m128i meta_bad = _mm_setzero_si128();
  __m128i not_issued = _mm_setzero_si128();  // per byte: columns whose weight there reads an invalid lane
  __m128i lane_limit;                        // lanes_valid, when below act_lanes
  bool count_issued;

  SDLA_AVX2 explicit SparseSweep(const MacPass& p)
      : lane_limit(_mm_set1_epi8(char(std::min(p.lanes_valid, 255u)))), count_issued(p.lanes_valid < p.act_lanes) {}

  /// Weights `first`..first+15 of a column (gated: `lw`; live mask: `live`)
  /// into activation lanes 2 * first .. 2 * first + 31 of its row; `count`:
  /// those lanes' live weights, negated.
  SDLA_AVX2 void step(__m256i lw, __m128i live, const std::uint8_t* idx, unsigned first, std::int16_t* row,
                      __m256i* count) {
    const __m128i ix = load128(idx);
    // A group's indices (low byte i0, high byte i1): i1 <= 3 and i0 < i1.
    const __m128i i0 = _mm_and_si128(ix, _mm_set1_epi16(0xFF)), i1 = _mm_srli_epi16(ix, 8);
    meta_bad = _mm_or_si128(meta_bad, _mm_or_si128(_mm_cmpgt_epi16(i1, _mm_set1_epi16(3)),
                                                   _mm_cmpgt_epi16(_mm_add_epi16(i0, _mm_set1_epi16(1)), i1)));
    if (count_issued) {
      // Weight first + t reads lane 2 * first + 4 * (t / 2) + index (first is even).
      const __m128i base = _mm_setr_epi8(0, 0, 4, 4, 8, 8, 12, 12, 16, 16, 20, 20, 24, 24, 28, 28);
      const __m128i lane = _mm_add_epi8(ix, _mm_add_epi8(base, _mm_set1_epi8(char(2 * first))));
      not_issued = _mm_sub_epi8(not_issued, _mm_cmpeq_epi8(_mm_max_epu8(lane, lane_limit), lane));
    }
    // Output lanes: group g, slot s is int16 4g + s; per 128-bit half two
    // groups. The weight pair of group g is int16 2g, 2g + 1 of `lw`, its
    // indices bytes 2g, 2g + 1 of `pick`.
    const __m256i slot = _mm256_setr_epi8(0, 0, 1, 1, 2, 2, 3, 3, 0, 0, 1, 1, 2, 2, 3, 3,  //
                                          0, 0, 1, 1, 2, 2, 3, 3, 0, 0, 1, 1, 2, 2, 3, 3);
    const __m256i first_w = _mm256_setr_epi8(0, 1, 0, 1, 0, 1, 0, 1, 4, 5, 4, 5, 4, 5, 4, 5,  //
                                             8, 9, 8, 9, 8, 9, 8, 9, 12, 13, 12, 13, 12, 13, 12, 13);
    const __m256i first_i = _mm256_setr_epi8(0, 0, 0, 0, 0, 0, 0, 0, 2, 2, 2, 2, 2, 2, 2, 2,  //
                                             4, 4, 4, 4, 4, 4, 4, 4, 6, 6, 6, 6, 6, 6, 6, 6);
    const __m256i second = _mm256_set1_epi8(1);
    const __m256i second_w = _mm256_add_epi8(first_w, _mm256_add_epi8(second, second));
    const __m256i second_i = _mm256_add_epi8(first_i, second);
    const __m128i pick = _mm_or_si128(ix, _mm_andnot_si128(live, _mm_set1_epi8(-1)));  // gated: index 0xFF
    for (unsigned u = 0; u < 2; ++u) {  // 4 groups each
      const __m256i w = u ? _mm256_permute4x64_epi64(lw, 0xEE) : _mm256_permute4x64_epi64(lw, 0x44);
      const __m256i i =
          u ? _mm256_permute4x64_epi64(_mm256_castsi128_si256(pick), 0x55) : _mm256_broadcastq_epi64(pick);
      const __m256i m0 = _mm256_cmpeq_epi8(_mm256_shuffle_epi8(i, first_i), slot);
      const __m256i m1 = _mm256_cmpeq_epi8(_mm256_shuffle_epi8(i, second_i), slot);
      store(row + 16 * u, _mm256_or_si256(_mm256_and_si256(_mm256_shuffle_epi8(w, first_w), m0),
                                          _mm256_and_si256(_mm256_shuffle_epi8(w, second_w), m1)));
      count[u] = _mm256_add_epi16(count[u], _mm256_or_si256(m0, m1));
    }
  }
};

/// Dense weights need none of SparseSweep.
struct NoSparse {
  explicit NoSparse(const MacPass&) {}
};

/// 32 weights of an int8 column: their live mask, the gated weights, the
/// range check, and their register bytes' load (into `now`) and toggles.
SDLA_AVX2 inline void load_int8_chunk(const std::int16_t* w, const std::uint8_t* z, const std::uint8_t* old,
                                      std::uint8_t* now, __m256i& live, __m256i& lw0, __m256i& lw1, __m256i& fit,
                                      __m256i& toggles) {
  live = _mm256_cmpeq_epi8(load(z), _mm256_setzero_si256());
  lw0 = _mm256_and_si256(load(w), _mm256_cvtepi8_epi16(_mm256_castsi256_si128(live)));
  lw1 = _mm256_and_si256(load(w + 16), _mm256_cvtepi8_epi16(_mm256_extracti128_si256(live, 1)));
  const __m256i bias = _mm256_set1_epi16(128);
  fit = _mm256_or_si256(fit, _mm256_or_si256(_mm256_add_epi16(lw0, bias), _mm256_add_epi16(lw1, bias)));
  const __m256i bytes = _mm256_permute4x64_epi64(_mm256_packs_epi16(lw0, lw1), 0xD8);
  const __m256i o = load(old), n = _mm256_blendv_epi8(o, bytes, live);
  toggles = _mm256_add_epi64(toggles, bits_set(_mm256_xor_si256(o, n)));
  store(now, n);
}

/// 16 weights of an int16 column (32 register bytes), as load_int8_chunk.
SDLA_AVX2 inline void load_int16_chunk(const std::int16_t* w, const std::uint8_t* z, const std::uint8_t* old,
                                       std::uint8_t* now, __m128i& live, __m256i& lw, __m256i& toggles) {
  live = _mm_cmpeq_epi8(load128(z), _mm_setzero_si128());
  const __m256i live16 = _mm256_cvtepi8_epi16(live);
  lw = _mm256_and_si256(load(w), live16);
  const __m256i o = load(old), n = _mm256_blendv_epi8(o, lw, live16);
  toggles = _mm256_add_epi64(toggles, bits_set(_mm256_xor_si256(o, n)));
  store(now, n);
}

/// One pass over the valid columns, chunk by chunk, so each chunk's live
/// weight counts stay in registers.
template <bool Int8, bool Sparse>
SDLA_AVX2 WeightLoad sweep_weights(const MacPass& p, const std::uint8_t* reg, std::uint8_t* next, StreamPlan& plan) {
  constexpr unsigned per = Int8 ? 32 : 16;  // weights per 32-byte register chunk
  const unsigned lanes = p.lanes, columns = p.columns, row = plan.row, bank = lanes * (Int8 ? 1 : 2);
  __m256i toggles = _mm256_setzero_si256(), fit = _mm256_setzero_si256();
  std::conditional_t<Sparse, SparseSweep, NoSparse> sparse(p);
  for (unsigned i = 0; i < lanes; i += per) {
    const std::int16_t* w = &p.weights[i];
    const std::uint8_t* z = &p.weight_zero[i];
    const std::uint8_t* idx = &p.weight_index[i];
    const std::uint8_t* old = reg + i * (Int8 ? 1 : 2);
    std::uint8_t* now = next + i * (Int8 ? 1 : 2);
    std::int16_t* out = &plan.rows[Sparse ? 2 * i : i];
    // Live weights per lane: dense, bytes by weight lane; 2:4, negated int16 by activation lane.
    __m256i count[4] = {_mm256_setzero_si256(), _mm256_setzero_si256(), _mm256_setzero_si256(),
                        _mm256_setzero_si256()};
    for (unsigned k = 0; k < columns; ++k, w += lanes, z += lanes, idx += lanes, old += bank, now += bank, out += row) {
      if constexpr (Int8) {
        __m256i live, lw0, lw1;
        load_int8_chunk(w, z, old, now, live, lw0, lw1, fit, toggles);
        if constexpr (Sparse) {
          sparse.step(lw0, _mm256_castsi256_si128(live), idx, i, out, count);
          sparse.step(lw1, _mm256_extracti128_si256(live, 1), idx + 16, i + 16, out + 32, count + 2);
        } else {
          store(out, lw0);
          store(out + 16, lw1);
          count[0] = _mm256_sub_epi8(count[0], live);
        }
      } else {
        __m128i live;
        __m256i lw;
        load_int16_chunk(w, z, old, now, live, lw, toggles);
        if constexpr (Sparse) {
          sparse.step(lw, live, idx, i, out, count);
        } else {
          store(out, lw);
          count[0] = _mm256_sub_epi8(count[0], _mm256_zextsi128_si256(live));
        }
      }
    }
    std::uint8_t* live_w_per_lane = plan.live_w_per_lane;
    if constexpr (!Sparse) {
      if constexpr (Int8)
        store(live_w_per_lane + i, count[0]);
      else
        store128(live_w_per_lane + i, _mm256_castsi256_si128(count[0]));
    } else {
      for (unsigned c = 0; c < (Int8 ? 4 : 2); c += 2) {
        const __m256i c0 = _mm256_sub_epi16(_mm256_setzero_si256(), count[c]);
        const __m256i c1 = _mm256_sub_epi16(_mm256_setzero_si256(), count[c + 1]);
        store(live_w_per_lane + 2 * i + 16 * c, _mm256_permute4x64_epi64(_mm256_packus_epi16(c0, c1), 0xD8));
      }
    }
  }

  WeightLoad result;
  result.toggles = sum64(toggles);
  result.fit = !Int8 || _mm256_testz_si256(fit, _mm256_set1_epi16(std::int16_t(0xFF00)));
  result.issued = std::uint64_t(columns) * std::min(p.lanes_valid, lanes);
  if constexpr (Sparse) {
    result.metadata_valid = _mm_testz_si128(sparse.meta_bad, sparse.meta_bad);
    const __m128i n = _mm_sad_epu8(sparse.not_issued, _mm_setzero_si128());
    result.issued = std::uint64_t(columns) * lanes - std::uint64_t(_mm_cvtsi128_si64(n)) -
                    std::uint64_t(_mm_extract_epi64(n, 1));
  }
  return result;
}

// ---- Activations and products.

/// One vector into its registers: register loads and toggles, its random
/// multipliers (the live weights of its live lanes) and the live operands
/// (zero where gated or not valid) as int16 in `live`, for the products.
struct VectorStage {
  const MacPass& p;
  std::uint8_t* reg;
  const std::uint8_t* live_w_per_lane;
  LaneMasks lanes;
  // 64-bit sums, in memory between vectors: the product kernels need every register.
  alignas(32) std::uint64_t toggles[4] = {}, random[4] = {};

  SDLA_AVX2 static void add(std::uint64_t* sums, __m256i x) {
    _mm256_store_si256(reinterpret_cast<__m256i*>(sums),
                       _mm256_add_epi64(_mm256_load_si256(reinterpret_cast<const __m256i*>(sums)), x));
  }

  /// int8: 32 lanes per chunk; the int16 bus values pack to their bytes
  /// (live values fit, others are masked off).
  SDLA_AVX2 void int8(unsigned v, std::int16_t* live) {
    const std::int16_t* a = &p.acts[std::size_t(v) * p.act_lanes];
    const std::uint8_t* az = &p.act_zero[std::size_t(v) * p.act_lanes];
    __m256i toggled = _mm256_setzero_si256(), issued = _mm256_setzero_si256();
    for (unsigned j = 0; j < lanes.chunks; ++j) {
      const unsigned l0 = 32 * j;
      const __m256i on = _mm256_and_si256(_mm256_cmpeq_epi8(load(az + l0), _mm256_setzero_si256()), lanes.valid[j]);
      const __m256i bytes = _mm256_permute4x64_epi64(_mm256_packs_epi16(load(a + l0), load(a + l0 + 16)), 0xD8);
      const __m256i old = load(reg + l0), now = _mm256_blendv_epi8(old, bytes, on);
      store(reg + l0, now);
      toggled = _mm256_add_epi64(toggled, bits_set(_mm256_xor_si256(old, now)));
      issued = _mm256_add_epi64(
          issued, _mm256_sad_epu8(_mm256_and_si256(on, load(live_w_per_lane + l0)), _mm256_setzero_si256()));
      const __m256i kept = _mm256_and_si256(bytes, on);
      store(live + l0, _mm256_cvtepi8_epi16(_mm256_castsi256_si128(kept)));
      store(live + l0 + 16, _mm256_cvtepi8_epi16(_mm256_extracti128_si256(kept, 1)));
    }
    add(toggles, toggled);
    add(random, issued);
  }

  /// int16: 16 lanes (32 register bytes, little-endian as in memory) per chunk.
  SDLA_AVX2 void int16(unsigned v, std::int16_t* live) {
    const std::int16_t* a = &p.acts[std::size_t(v) * p.act_lanes];
    const std::uint8_t* az = &p.act_zero[std::size_t(v) * p.act_lanes];
    __m256i toggled = _mm256_setzero_si256(), issued = _mm256_setzero_si256();
    for (unsigned j = 0; j < lanes.chunks; ++j) {
      const unsigned l0 = 16 * j;
      const __m128i on8 =
          _mm_and_si128(_mm_cmpeq_epi8(load128(az + l0), _mm_setzero_si128()), _mm256_castsi256_si128(lanes.valid[j]));
      const __m256i on = _mm256_cvtepi8_epi16(on8);
      const __m256i values = load(a + l0);
      const __m256i old = load(reg + 2 * l0), now = _mm256_blendv_epi8(old, values, on);
      store(reg + 2 * l0, now);
      toggled = _mm256_add_epi64(toggled, bits_set(_mm256_xor_si256(old, now)));
      const __m128i r = _mm_sad_epu8(_mm_and_si128(on8, load128(live_w_per_lane + l0)), _mm_setzero_si128());
      issued = _mm256_add_epi64(issued, _mm256_zextsi128_si256(r));
      store(live + l0, _mm256_and_si256(values, on));
    }
    add(toggles, toggled);
    add(random, issued);
  }

  // Not inlined: its constants would hold registers through the product loops.
  __attribute__((noinline)) SDLA_AVX2 void operator()(unsigned v, std::int16_t* live) {
    if (p.precision == Precision::int8)
      int8(v, live);
    else
      int16(v, live);
  }
};

SDLA_AVX2 inline void store_sums(std::int64_t* out, __m256i acc) {
  _mm256_storeu_si256(reinterpret_cast<__m256i*>(out), _mm256_cvtepi32_epi64(_mm256_castsi256_si128(acc)));
  _mm256_storeu_si256(reinterpret_cast<__m256i*>(out + 4), _mm256_cvtepi32_epi64(_mm256_extracti128_si256(acc, 1)));
}

/// The sums of 8 columns' int32 accumulators, in column order.
SDLA_AVX2 inline __m256i sum_columns(const __m256i* a) {
  const __m256i s01 = _mm256_hadd_epi32(a[0], a[1]), s23 = _mm256_hadd_epi32(a[2], a[3]);
  const __m256i s45 = _mm256_hadd_epi32(a[4], a[5]), s67 = _mm256_hadd_epi32(a[6], a[7]);
  const __m256i s0123 = _mm256_hadd_epi32(s01, s23), s4567 = _mm256_hadd_epi32(s45, s67);
  return _mm256_add_epi32(_mm256_permute2x128_si256(s0123, s4567, 0x20),
                          _mm256_permute2x128_si256(s0123, s4567, 0x31));
}

/// Few vectors: each valid column's row times the vector's live operands,
/// 16 lanes per pmaddwd. int16 operands split as hi * 256 + lo (lo
/// unsigned), so every pair product stays in int32; the halves recombine in
/// int64.
SDLA_AVX2 void stream_rows(MacPass& p, const StreamPlan& plan, VectorStage& stage) {
  const bool int8 = p.precision == Precision::int8;
  const unsigned steps = stage.lanes.chunks * (int8 ? 2 : 1);  // 16 live operands each
  const unsigned atomic_k = p.atomic_k, columns = p.columns, row = plan.row;
  const std::int16_t* rows = plan.rows.data();
  alignas(32) std::int16_t lo[kMaxStreamLanes], hi[kMaxStreamLanes];
  __m256i lo_acc[32], hi_acc[32];
  for (unsigned k = columns; k < atomic_k; ++k) lo_acc[k] = hi_acc[k] = _mm256_setzero_si256();
  for (unsigned v = 0; v < p.vectors; ++v) {
    stage(v, lo);
    if (!int8)
      for (unsigned c = 0; c < steps; ++c) {
        const __m256i a = load(lo + 16 * c);
        store(hi + 16 * c, _mm256_srai_epi16(a, 8));
        store(lo + 16 * c, _mm256_and_si256(a, _mm256_set1_epi16(0xFF)));
      }
    const std::int16_t* w = rows;
    for (unsigned k = 0; k < columns; ++k, w += row) {
      __m256i sum_lo = _mm256_setzero_si256(), sum_hi = _mm256_setzero_si256();
      for (unsigned c = 0; c < steps; ++c) {
        const __m256i wc = load(w + 16 * c);
        sum_lo = _mm256_add_epi32(sum_lo, _mm256_madd_epi16(wc, load(lo + 16 * c)));
        if (!int8) sum_hi = _mm256_add_epi32(sum_hi, _mm256_madd_epi16(wc, load(hi + 16 * c)));
      }
      lo_acc[k] = sum_lo;
      hi_acc[k] = sum_hi;
    }
    std::int64_t* out = &p.psums[std::size_t(v) * atomic_k];
    for (unsigned g = 0; g < atomic_k; g += 8) {
      const __m256i sum = sum_columns(lo_acc + g);
      if (int8) {
        store_sums(out + g, sum);
        continue;
      }
      const __m256i high = sum_columns(hi_acc + g);
      for (unsigned h = 0; h < 2; ++h) {
        const __m256i l = _mm256_cvtepi32_epi64(h ? _mm256_extracti128_si256(sum, 1) : _mm256_castsi256_si128(sum));
        const __m256i u = _mm256_cvtepi32_epi64(h ? _mm256_extracti128_si256(high, 1) : _mm256_castsi256_si128(high));
        store(out + g + 4 * h, _mm256_add_epi64(_mm256_slli_epi64(u, 8), l));
      }
    }
  }
}

/// 8 rows of 8 int32 into 8 columns.
SDLA_AVX2 inline void transpose8(__m256i* r) {
  __m256i t[8], u[8];
  for (unsigned i = 0; i < 8; i += 2) {
    t[i] = _mm256_unpacklo_epi32(r[i], r[i + 1]);
    t[i + 1] = _mm256_unpackhi_epi32(r[i], r[i + 1]);
  }
  for (unsigned i = 0; i < 8; i += 4) {
    u[i] = _mm256_unpacklo_epi64(t[i], t[i + 2]);
    u[i + 1] = _mm256_unpackhi_epi64(t[i], t[i + 2]);
    u[i + 2] = _mm256_unpacklo_epi64(t[i + 1], t[i + 3]);
    u[i + 3] = _mm256_unpackhi_epi64(t[i + 1], t[i + 3]);
  }
  for (unsigned i = 0; i < 4; ++i) {
    r[i] = _mm256_permute2x128_si256(u[i], u[i + 4], 0x20);
    r[i + 4] = _mm256_permute2x128_si256(u[i], u[i + 4], 0x31);
  }
}

/// plan.weights from plan.rows: [column][pair] to [pair][column] in blocks
/// of 8 x 8 pairs (rows hold a multiple of 8 pairs); invalid columns zero.
/// int16 weights split as hi * 256 + lo (lo unsigned), so that every pair
/// product stays in int32: [pair][lo, hi][column].
SDLA_AVX2 void interleave_pairs(const MacPass& p, StreamPlan& plan) {
  const bool split = p.precision == Precision::int16;
  const unsigned blocks = (plan.pairs + 7) / 8, atomic_k = p.atomic_k, columns = p.columns, row = plan.row;
  const std::size_t stride = std::size_t(split ? 4 : 2) * atomic_k;  // int16 per pair
  const std::size_t size = std::size_t(blocks) * 8 * stride;
  if (plan.weights.size() < size) plan.weights.resize(size);
  const std::int16_t* rows = plan.rows.data();
  std::int16_t* out = plan.weights.data();
  for (unsigned k0 = 0; k0 < atomic_k; k0 += 8)
    for (unsigned b = 0; b < blocks; ++b) {
      const std::int16_t* in = rows + std::size_t(k0) * row + 16 * b;
      __m256i r[8];
      for (unsigned i = 0; i < 8; ++i) r[i] = k0 + i < columns ? load(in + std::size_t(i) * row) : _mm256_setzero_si256();
      transpose8(r);
      std::int16_t* o = out + std::size_t(8 * b) * stride + 2 * k0;
      for (unsigned j = 0; j < 8; ++j, o += stride) {
        if (!split) {
          store(o, r[j]);
          continue;
        }
        store(o, _mm256_and_si256(r[j], _mm256_set1_epi16(0xFF)));
        store(o + 2 * atomic_k, _mm256_srai_epi16(r[j], 8));
      }
    }
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
      const __m256i wc = load(w + 16 * c);
      acc0[c] = _mm256_add_epi32(acc0[c], _mm256_madd_epi16(wc, b0));
      acc1[c] = _mm256_add_epi32(acc1[c], _mm256_madd_epi16(wc, b1));
    }
  }
  for (unsigned c = 0; c < NC; ++c) {
    store_sums(out0 + 8 * c, acc0[c]);
    store_sums(out1 + 8 * c, acc1[c]);
  }
}

/// int16: the split weights times a broadcast lane pair, two pmaddwd per 8
/// columns; the halves recombine in int64.
template <unsigned NC>
SDLA_AVX2 void int16_products(const StreamPlan& plan, const std::int16_t* a, unsigned atomic_k, std::int64_t* out) {
  __m256i lo_acc[NC], hi_acc[NC];
  for (unsigned c = 0; c < NC; ++c) lo_acc[c] = hi_acc[c] = _mm256_setzero_si256();
  const std::int16_t* w = plan.weights.data();
  for (unsigned j = 0; j < plan.pairs; ++j, w += 4 * atomic_k) {
    std::int32_t x;
    __builtin_memcpy(&x, a + 2 * j, 4);
    const __m256i b = _mm256_set1_epi32(x);
    for (unsigned c = 0; c < NC; ++c) {
      lo_acc[c] = _mm256_add_epi32(lo_acc[c], _mm256_madd_epi16(load(w + 16 * c), b));
      hi_acc[c] = _mm256_add_epi32(hi_acc[c], _mm256_madd_epi16(load(w + 2 * atomic_k + 16 * c), b));
    }
  }
  for (unsigned c = 0; c < NC; ++c) {
    alignas(32) std::int32_t lo_sum[8], hi_sum[8];
    _mm256_store_si256(reinterpret_cast<__m256i*>(lo_sum), lo_acc[c]);
    _mm256_store_si256(reinterpret_cast<__m256i*>(hi_sum), hi_acc[c]);
    for (unsigned k = 0; k < 8; ++k) out[8 * c + k] = std::int64_t(hi_sum[k]) * 256 + lo_sum[k];
  }
}

/// Many vectors: the pair-interleaved weights, NC groups of 8 columns.
template <unsigned NC>
SDLA_AVX2 void stream_pairs(MacPass& p, const StreamPlan& plan, VectorStage& stage) {
  const bool int8 = p.precision == Precision::int8;
  // Live operands of two vectors, padded to whole chunks.
  alignas(32) std::int16_t live[2][kMaxStreamLanes];
  const std::int16_t* zeros = live[1];
  for (unsigned v = 0; v < p.vectors; v += int8 ? 2 : 1) {
    const unsigned n = int8 ? std::min(2u, p.vectors - v) : 1;
    for (unsigned i = 0; i < n; ++i) stage(v + i, live[i]);
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
}

SDLA_AVX2 void stream(MacPass& p, StreamPlan& plan, std::uint8_t* act_reg, StreamTotals& totals) {
  VectorStage stage{p, act_reg, plan.live_w_per_lane, lane_masks(p)};
  if (few_vectors(p)) {
    stream_rows(p, plan, stage);
  } else {
    interleave_pairs(p, plan);
    switch (p.atomic_k / 8) {
      case 1: stream_pairs<1>(p, plan, stage); break;
      case 2: stream_pairs<2>(p, plan, stage); break;
      default: stream_pairs<4>(p, plan, stage); break;
    }
  }
  for (unsigned i = 0; i < 4; ++i) {
    totals.act_toggles += stage.toggles[i];
    totals.random += stage.random[i];
  }
}

}  // namespace

bool acts_fit_avx2(const MacPass& p) { return p.precision != Precision::int8 || int8_acts_fit(p); }

WeightLoad load_weights_avx2(const MacPass& p, const std::uint8_t* reg, std::uint8_t* next, StreamPlan& plan) {
  const bool sparse = p.format == WeightFormat::sparse_2_4;
  plan.row = sparse ? p.act_lanes : p.lanes;
  plan.pairs = (p.lanes_valid + 1) / 2;
  const std::size_t size = std::size_t(p.atomic_k) * plan.row;
  if (plan.rows.size() < size) plan.rows.resize(size);
  if (p.precision == Precision::int8)
    return sparse ? sweep_weights<true, true>(p, reg, next, plan) : sweep_weights<true, false>(p, reg, next, plan);
  return sparse ? sweep_weights<false, true>(p, reg, next, plan) : sweep_weights<false, false>(p, reg, next, plan);
}

void stream_avx2(MacPass& p, StreamPlan& plan, std::uint8_t* act_reg, StreamTotals& totals) {
  stream(p, plan, act_reg, totals);
}

#else

bool stream_avx2_available() { return false; }
bool acts_fit_avx2(const MacPass&) { return true; }
WeightLoad load_weights_avx2(const MacPass&, const std::uint8_t*, std::uint8_t*, StreamPlan&) { return {}; }
void stream_avx2(MacPass&, StreamPlan&, std::uint8_t*, StreamTotals&) {}

#endif

}  // namespace sdla
