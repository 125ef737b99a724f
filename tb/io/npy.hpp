/// \file
/// Reading and writing NumPy .npy files (format versions 1.0, 2.0 and 3.0).
///
/// Only little-endian, C-ordered arrays of int8, int16, int32, int64 and
/// float32 are supported. Every malformed file throws sdla::npy::NpyError
/// whose message starts with the file path and names the exact problem.
///
///     auto x = sdla::npy::read<std::int8_t>("input.npy");   // Tensor<int8_t>
///     sdla::npy::write("out.npy", acc);                      // Tensor<int32_t>
///     auto h = sdla::npy::read_header("w.npy");              // dtype and shape only
#pragma once

#include <cstdint>
#include <stdexcept>
#include <string>

#include "sdla/tensor.hpp"

namespace sdla::npy {

struct NpyError : std::runtime_error {
  using runtime_error::runtime_error;
};

enum class DType { i8, i16, i32, i64, f32 };

/// "int8", "int16", "int32", "int64" or "float32".
const char* to_string(DType);
/// The descr numpy writes: "|i1", "<i2", "<i4", "<i8" or "<f4".
const char* descr(DType);
/// Bytes per element.
std::size_t item_size(DType);

template <class T> struct dtype_of;
template <> struct dtype_of<std::int8_t> { static constexpr DType value = DType::i8; };
template <> struct dtype_of<std::int16_t> { static constexpr DType value = DType::i16; };
template <> struct dtype_of<std::int32_t> { static constexpr DType value = DType::i32; };
template <> struct dtype_of<std::int64_t> { static constexpr DType value = DType::i64; };
template <> struct dtype_of<float> { static constexpr DType value = DType::f32; };

struct Header {
  DType dtype;
  sdla::Shape shape;            ///< empty for a 0-d scalar (one element)
  unsigned version_major = 1;   ///< 1, 2 or 3
  std::uint64_t data_offset = 0;  ///< byte offset of the first element
};

/// Parses and checks the header, including that the file holds exactly the
/// data the shape needs; does not read the data.
Header read_header(const std::string& path);

/// Reads a whole file; the stored dtype must be exactly T.
template <class T> sdla::Tensor<T> read(const std::string& path);

/// Writes format 1.0 (2.0 only if the header would not fit), the header
/// padded with spaces so the data starts at a multiple of 64 bytes.
template <class T> void write(const std::string& path, const sdla::Tensor<T>& t);

}  // namespace sdla::npy
