/// \file
/// Set bits of 64-bit words, with one hardware POPCNT per word when the CPU
/// has it (every x86-64 since 2008), chosen once at run time so that one
/// binary still runs on baseline x86-64 (design.md: a plain
/// __builtin_popcountll there is a call into libgcc's software loop).
///
///     unsigned n = sdla::popcount_words(words, count);
#pragma once

#include <cstddef>
#include <cstdint>

namespace sdla {

/// Set bits of w[0 .. n): the best implementation for this CPU, picked when
/// the program starts (a pointer, so that a call costs one indirect jump).
extern unsigned (*const popcount_words)(const std::uint64_t* w, std::size_t n);

/// Set bits of one word.
inline unsigned popcount_word(std::uint64_t w) { return popcount_words(&w, 1); }

}  // namespace sdla
