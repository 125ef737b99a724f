/// \file
/// What the ports of rtl/sdla_mac_array.sv carry for a MacPass, in plain C++
/// (no Verilator, no SystemC): the byte-bank images of a weight column and an
/// activation vector, the bit masks of the zero lines, the valid lanes and
/// columns and the 2:4 indices, and the RTL's constants. Both drivers of the
/// RTL build their port values here, so the verilated C++ model (RtlMacCore)
/// and the pin-level SystemC model (MacPinBridge) see the same bits.
///
///     std::uint8_t bank[kMaxBytes];
///     sdla::rtl_ports::weight_bank(pass, k, bank);       // pass.lanes * element bytes
///     sdla::rtl_ports::Word zero[2];
///     sdla::rtl_ports::flag_mask(zero, 2, &pass.weight_zero[k * pass.lanes], pass.lanes);
///
/// Masks are little-endian arrays of 64-bit words: bit i of the port is bit
/// i % 64 of word i / 64.
#pragma once

#include <cstddef>
#include <cstdint>

#include "sdla/mac_pass.hpp"

namespace sdla::rtl_ports {

using Word = std::uint64_t;

/// sdla_mac_array.sv: psum is registered 3 edges after the edge that captures its vector.
inline constexpr unsigned kPsumLatency = 3;
/// sdla_mac_array.sv: PSUM_W, the signed width of a column's partial sum.
inline constexpr unsigned kPsumBits = 48;

/// 64-bit words that hold `bits` bits.
constexpr std::size_t words_for(std::size_t bits) { return (bits + 63) / 64; }

/// The request fits an array of atomic_c x atomic_k: well formed (which also
/// rejects int8 values a one-byte lane cannot carry), of this many columns,
/// and lanes x element bytes filling the column's atomic_c bytes.
bool request_fits(const MacPass& p, unsigned atomic_c, unsigned atomic_k);
/// Every 2:4 index of the pass's columns fits the 2-bit port (dense passes: true).
bool indices_fit(const MacPass& p);

/// Low `n` bits set.
void low_mask(Word* out, std::size_t words, unsigned n);
/// Bit i set where flags[i] != 0 (zero lines arrive one byte per lane).
void flag_mask(Word* out, std::size_t words, const std::uint8_t* flags, unsigned n);
/// w_idx of column k: 2-bit index of weight i at bits [2i+1:2i] (zero for dense passes).
void index_mask(Word* out, std::size_t words, const MacPass& p, unsigned k);

/// w_data of column k: its byte bank, pass.lanes * element bytes (int16 little-endian).
void weight_bank(const MacPass& p, unsigned k, std::uint8_t* out);
/// a_data of vector v: its byte bank, pass.act_lanes * element bytes.
void activation_bank(const MacPass& p, unsigned v, std::uint8_t* out);

/// A psum port element (kPsumBits wide, in the low bits) as a signed value.
inline std::int64_t sign_extend_psum(std::uint64_t v) {
  return std::int64_t(v << (64 - kPsumBits)) >> (64 - kPsumBits);
}

/// Bytes <-> little-endian words (byte i is bits [8i+7:8i]), for packed ports.
void bytes_to_words(const std::uint8_t* bytes, std::size_t n, Word* out);
void words_to_bytes(const Word* words, std::size_t n, std::uint8_t* out);
/// `width` bits (at most 64) of a little-endian word array, from bit `lo`.
std::uint64_t extract_bits(const Word* words, std::size_t lo, unsigned width);

}  // namespace sdla::rtl_ports
