#include "accumulator.hpp"

#include <algorithm>
#include <stdexcept>

#include <fmt/format.h>

namespace sdla {

Accumulator::Accumulator(const sc_core::sc_module_name& name, const AcceleratorConfig& cfg)
    : sc_module(name), bytes_(cfg.accumulator_bytes), atomic_k_(cfg.atomic_k) {
}

void Accumulator::shape(unsigned groups, unsigned pixels, Precision p) {
  const std::size_t need = std::size_t(groups) * atomic_k_ * pixels;
  if (need > capacity(p))
    throw std::logic_error(fmt::format("{}: {} partial sums exceed its capacity of {}", name(), need, capacity(p)));
  pixels_ = pixels;
  sums_.assign(need, 0);
}

void Accumulator::clear(unsigned group) {
  auto first = sums_.begin() + std::ptrdiff_t(group) * atomic_k_ * pixels_;
  std::fill(first, first + std::ptrdiff_t(atomic_k_) * pixels_, 0);
}

void Accumulator::add(unsigned group, const MacPass& pass) {
  for (unsigned k = 0; k < pass.columns; ++k) {
    std::int64_t* dst = &sums_[(std::size_t(group) * atomic_k_ + k) * pixels_];
    for (unsigned v = 0; v < pass.vectors; ++v) dst[v] += pass.psum(v, k);
  }
  adds_ += std::uint64_t(pass.columns) * pass.vectors;
}

}  // namespace sdla
