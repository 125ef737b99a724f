/// \file
/// Sparse formats of the accelerator, bit-exact references (no SystemC):
///
/// * ZVC (zero-value compression, NVDLA's weight mask bitmap): an atom of n
///   elements becomes an n-bit mask (bit i set when element i is non-zero,
///   bytes little-endian, bit 0 of byte 0 first) plus its non-zero values
///   packed in element order.
/// * 2:4 structured sparsity (Ampere): in every group of 4 consecutive
///   elements along C at most 2 are non-zero; a group is stored as 2 kept
///   values and two 2-bit indices idx0 < idx1, as the nibble idx0 | idx1 << 2.
///   Nibbles with equal indices (0b0000, 0b0101, 0b1010, 0b1111) are invalid.
///
///     auto z = sdla::golden::zvc_encode(atom);          // {mask, values}
///     auto g = sdla::golden::pack_2_4({0, 5, 0, -3});   // values {5, -3}, idx {1, 3}
#pragma once

#include <array>
#include <cstdint>
#include <stdexcept>
#include <vector>

#include "sdla/tensor.hpp"

namespace sdla::golden {

struct FormatError : std::invalid_argument {
  using std::invalid_argument::invalid_argument;
};

struct ZvcAtom {
  std::vector<std::uint8_t> mask;     ///< ceil(n / 8) bytes
  std::vector<std::int16_t> values;   ///< the non-zero elements, in order
};

inline std::size_t zvc_mask_bytes(std::size_t n) { return (n + 7) / 8; }
ZvcAtom zvc_encode(const std::vector<std::int16_t>& atom);
/// Throws FormatError when the mask's population count and the number of values disagree.
std::vector<std::int16_t> zvc_decode(const ZvcAtom& z, std::size_t n);

struct Group24 {
  std::array<std::int16_t, 2> values{};
  std::array<std::uint8_t, 2> index{};  ///< idx0 < idx1
  std::uint8_t nibble() const { return std::uint8_t(index[0] | index[1] << 2); }
};

/// Throws FormatError if more than two of the four values are non-zero.
Group24 pack_2_4(const std::array<std::int16_t, 4>& group);
/// Throws FormatError for an invalid nibble (equal indices or idx0 > idx1).
std::array<std::int16_t, 4> unpack_2_4(const Group24& g);
bool valid_nibble(std::uint8_t nibble);

/// Weights [K, C, R, S] satisfy 2:4 along C (C padded with zeros to a multiple
/// of 4); otherwise FormatError names the first offending group.
void check_2_4(const Tensor<std::int16_t>& weights);
/// Keeps the two largest magnitudes of each group of 4 along C (ties: the lower index).
Tensor<std::int16_t> prune_2_4(const Tensor<std::int16_t>& weights);
/// Keeps the round(density * size) largest magnitudes of the tensor (ties: the lower flat index).
Tensor<std::int16_t> prune_to_density(const Tensor<std::int16_t>& weights, double density);

}  // namespace sdla::golden
