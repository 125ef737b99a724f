/// \file
/// The MAC array's dense inner product for int8 operands: every column's sum
/// of weight x activation over the lanes, for one activation vector. Operands
/// are held as int16 (int8 values), so the loops are the int16-pair
/// multiply-add shape (pmaddwd) that SSE2 and AVX2 both have; sums of int8
/// products are exact in int32. The portable and the AVX2 version compute
/// the same integers; dot_columns picks one by the CPU it runs on.
///
///     sdla::dot_columns(weights, acts, lanes, columns, sums);   // sums[k] for k < columns
#pragma once

#include <cstdint>

namespace sdla {

/// sums[k] = sum over i < lanes of w[k * lanes + i] * a[i], for k < columns.
using DotColumns = void (*)(const std::int16_t* w, const std::int16_t* a, unsigned lanes, unsigned columns,
                            std::int64_t* sums);
void dot_columns_portable(const std::int16_t* w, const std::int16_t* a, unsigned lanes, unsigned columns,
                          std::int64_t* sums);
/// Only on a CPU with AVX2 (dot_columns_avx2_available()).
void dot_columns_avx2(const std::int16_t* w, const std::int16_t* a, unsigned lanes, unsigned columns,
                      std::int64_t* sums);
bool dot_columns_avx2_available();
/// The fastest version this CPU runs.
DotColumns dot_columns();

}  // namespace sdla
