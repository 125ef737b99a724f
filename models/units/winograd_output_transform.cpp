#include "winograd_output_transform.hpp"

namespace sdla {
namespace {

std::int64_t round_shift_away(std::int64_t v, unsigned s) {
  const std::int64_t mag = v < 0 ? -v : v, q = (mag + (std::int64_t(1) << (s - 1))) >> s;
  return v < 0 ? -q : q;
}

}  // namespace

WinogradOutputTransform::WinogradOutputTransform(const sc_core::sc_module_name& name, const AcceleratorConfig& cfg)
    : sc_module(name), tsock("tsock"), out_isock("out_isock"), cycle_(cfg.clock_period_ns(), sc_core::SC_NS) {
  tsock.on_transport([this](SumTile& t, sc_core::sc_time& d) { transport(t, d); });
}

void WinogradOutputTransform::configure(const Layer& layer) {
  mode_ = layer.uses_winograd() ? layer.winograd : Winograd::off;
  scale_ = mode_ == Winograd::nvdla ? int(layer.winograd_weight_shift + layer.winograd_input_shift) - 2 : -2;
}

void WinogradOutputTransform::transport(SumTile& t, sc_core::sc_time& delay) {
  if (mode_ == Winograd::off || t.last) {
    out_isock->b_transport(t, delay);
    return;
  }
  const TileStep& s = t.step;
  const unsigned rows = s.p1 - s.p0, cols = s.q1 - s.q0, tiles_w = (cols + 1) / 2, tiles = t.per_column / 16;
  const unsigned pixels = rows * cols;
  pixels_.resize(std::size_t(t.columns) * pixels);
  for (unsigned k = 0; k < t.columns; ++k) {
    const std::int64_t* m = t.sums + std::size_t(k) * t.stride;
    std::int64_t* y = &pixels_[std::size_t(k) * pixels];
    for (unsigned tile = 0; tile < tiles; ++tile) {
      auto M = [&](unsigned i, unsigned j) { return m[std::size_t(i * 4 + j) * tiles + tile]; };
      // A^T M: rows (M0 + M1 + M2) and (M1 - M2 - M3), then the same on columns.
      std::int64_t a[2][4];
      for (unsigned j = 0; j < 4; ++j) {
        a[0][j] = M(0, j) + M(1, j) + M(2, j);
        a[1][j] = M(1, j) - M(2, j) - M(3, j);
      }
      const unsigned p = 2 * (tile / tiles_w), q = 2 * (tile % tiles_w);
      for (unsigned i = 0; i < 2; ++i) {
        const std::int64_t z[2] = {a[i][0] + a[i][1] + a[i][2], a[i][1] - a[i][2] - a[i][3]};
        for (unsigned j = 0; j < 2; ++j) {
          if (p + i >= rows || q + j >= cols) continue;  // a partial tile's outputs beyond the layer
          std::int64_t v = z[j];
          if (mode_ == Winograd::exact) v /= 4;  // exact: the remainder is 0
          else v = scale_ >= 0 ? v * (std::int64_t(1) << scale_) : round_shift_away(v, unsigned(-scale_));
          y[std::size_t(p + i) * cols + q + j] = v;
        }
      }
    }
  }
  tiles_ += std::uint64_t(tiles) * t.columns;
  adds_ += std::uint64_t(24) * tiles * t.columns;  // 8 x 2 adds for A^T M, 4 x 2 for (A^T M) A
  cycles_ += tiles;
  delay += double(tiles) * cycle_;
  out_ = t;
  out_.per_column = out_.stride = pixels;
  out_.sums = pixels_.data();
  out_isock->b_transport(out_, delay);
}

}  // namespace sdla
