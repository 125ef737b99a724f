/// \file
/// Dense n-dimensional tensors in C order, the exchange type between the
/// golden reference, the host compiler and the file readers.
///
///     sdla::Tensor<int8_t> x({64, 56, 56});   // [C, H, W], zero-filled
///     x.at({3, 0, 1}) = -5;
#pragma once

#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <numeric>
#include <stdexcept>
#include <string>
#include <vector>

namespace sdla {

using Shape = std::vector<std::size_t>;

std::string to_string(const Shape& shape);

inline std::size_t element_count(const Shape& shape) {
  return std::accumulate(shape.begin(), shape.end(), std::size_t{1},
                         [](std::size_t a, std::size_t b) { return a * b; });
}

template <class T>
class Tensor {
 public:
  using value_type = T;

  Tensor() = default;
  explicit Tensor(Shape shape) : shape_(std::move(shape)), data_(element_count(shape_)) {}
  Tensor(Shape shape, std::vector<T> data) : shape_(std::move(shape)), data_(std::move(data)) {
    if (data_.size() != element_count(shape_))
      throw std::invalid_argument("tensor data size " + std::to_string(data_.size()) +
                                  " does not match shape " + to_string(shape_));
  }

  const Shape& shape() const { return shape_; }
  std::size_t dim(std::size_t i) const { return shape_.at(i); }
  std::size_t rank() const { return shape_.size(); }
  std::size_t size() const { return data_.size(); }

  T* data() { return data_.data(); }
  const T* data() const { return data_.data(); }
  std::vector<T>& values() { return data_; }
  const std::vector<T>& values() const { return data_; }

  T& at(std::initializer_list<std::size_t> idx) { return data_[offset(idx)]; }
  const T& at(std::initializer_list<std::size_t> idx) const { return data_[offset(idx)]; }

  bool operator==(const Tensor& o) const { return shape_ == o.shape_ && data_ == o.data_; }
  bool operator!=(const Tensor& o) const { return !(*this == o); }

 private:
  std::size_t offset(std::initializer_list<std::size_t> idx) const {
    std::size_t off = 0, d = 0;
    for (std::size_t i : idx) off = off * shape_[d++] + i;
    return off;
  }

  Shape shape_;
  std::vector<T> data_;
};

inline std::string to_string(const Shape& shape) {
  std::string s = "[";
  for (std::size_t i = 0; i < shape.size(); ++i) s += (i ? ", " : "") + std::to_string(shape[i]);
  return s + "]";
}

}  // namespace sdla
