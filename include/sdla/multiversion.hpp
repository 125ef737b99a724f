/// \file
/// SDLA_AVX2_CLONES before a function: GCC compiles it twice, for AVX2 and
/// for baseline x86-64, and picks one when the program loads. One binary runs
/// on any x86-64; the two copies compute the same integers.
#pragma once

#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
#define SDLA_AVX2_CLONES __attribute__((target_clones("avx2", "default")))
#else
#define SDLA_AVX2_CLONES
#endif
