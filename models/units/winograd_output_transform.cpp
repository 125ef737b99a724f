#include "winograd_output_transform.hpp"

#include <algorithm>

#include "sdla/rounding.hpp"

namespace sdla {
namespace {

// A^T of F(2x2,3x3) (facts.md).
constexpr int kAT[2][4] = {{1, 1, 1, 0}, {0, 1, -1, -1}};

}  // namespace

WinogradOutputTransform::WinogradOutputTransform(const sc_core::sc_module_name& name, const AcceleratorConfig& cfg)
    : sc_module(name),
      tsock("tsock"),
      out_isock("out_isock"),
      cycle_(cfg.clock_period_ns(), sc_core::SC_NS),
      atomic_k_(cfg.atomic_k) {
  tsock.on_transport([this](SumTile& t, sc_core::sc_time& d) { transport(t, d); });
}

void WinogradOutputTransform::configure(const Layer& layer, unsigned groups, unsigned tiles) {
  mode_ = layer.uses_winograd() ? layer.winograd : Winograd::off;
  scale_ = mode_ == Winograd::nvdla ? int(layer.winograd_weight_shift + layer.winograd_input_shift) - 2 : -2;
  tiles_ = mode_ == Winograd::off ? 0 : tiles;
  y_.assign(std::size_t(groups) * atomic_k_ * tiles_ * 4, 0);
}

void WinogradOutputTransform::transport(SumTile& t, sc_core::sc_time& delay) {
  if (mode_ == Winograd::off || t.end_of_layer) {
    out_isock->b_transport(t, delay);
    return;
  }
  fold(t);
  if (t.final) send(t, delay);
}

void WinogradOutputTransform::fold(const SumTile& t) {
  const unsigned x = unsigned(t.component) / 4, y = unsigned(t.component) % 4, tiles = t.per_column;
  unsigned terms = 0;  // outputs this component reaches: non-zero A^T(i, x) * A^T(j, y)
  for (unsigned i = 0; i < 2; ++i)
    for (unsigned j = 0; j < 2; ++j) terms += kAT[i][x] * kAT[j][y] != 0;
  for (unsigned k = 0; k < t.columns; ++k) {
    std::int64_t* out = outputs(t.group, k);
    if (t.first) std::fill(out, out + std::size_t(tiles) * 4, 0);
    for (unsigned tile = 0; tile < tiles; ++tile) {
      const std::int64_t m = t.sum(k, tile);
      for (unsigned i = 0; i < 2; ++i)
        for (unsigned j = 0; j < 2; ++j) out[tile * 4 + i * 2 + j] += kAT[i][x] * kAT[j][y] * m;
    }
  }
  folds_ += std::uint64_t(tiles) * t.columns;
  adds_ += std::uint64_t(terms) * tiles * t.columns;
  cycles_ += tiles;
}

void WinogradOutputTransform::send(const SumTile& t, sc_core::sc_time& delay) {
  const TileStep& s = t.step;
  const unsigned rows = s.p1 - s.p0, cols = s.q1 - s.q0, tiles_w = (cols + 1) / 2, pixels = rows * cols;
  pixels_.resize(std::size_t(t.columns) * pixels);
  for (unsigned k = 0; k < t.columns; ++k) {
    const std::int64_t* out = outputs(t.group, k);
    for (unsigned p = 0; p < rows; ++p)
      for (unsigned q = 0; q < cols; ++q) {
        std::int64_t v = out[((p / 2) * tiles_w + q / 2) * 4 + (p % 2) * 2 + q % 2];
        if (mode_ == Winograd::exact) v /= 4;  // the remainder is 0
        else v = scale_ >= 0 ? v * (std::int64_t(1) << scale_) : round_shift_away(v, unsigned(-scale_));
        pixels_[std::size_t(k) * pixels + p * cols + q] = v;
      }
  }
  outputs_ += std::uint64_t(pixels) * t.columns;
  cycles_ += t.per_column;
  delay += double(t.per_column) * cycle_;
  out_ = t;
  out_.component = -1;
  out_.per_column = out_.stride = pixels;
  out_.entry_stride = 1;
  out_.sums = pixels_.data();
  out_isock->b_transport(out_, delay);
}

}  // namespace sdla
