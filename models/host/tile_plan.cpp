#include "sdla/tile_plan.hpp"

#include "sdla/descriptor.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

#include <fmt/format.h>

namespace sdla {
namespace {

unsigned ceil_div(unsigned a, unsigned b) { return (a + b - 1) / b; }

/// Halving sequence n, ceil(n/2), ..., 1.
std::vector<unsigned> halvings(unsigned n) {
  std::vector<unsigned> v;
  for (;;) {
    v.push_back(n);
    if (n == 1) return v;
    n = ceil_div(n, 2);
  }
}

}  // namespace

unsigned ChannelSpan::needed_first(unsigned kg) const {
  return channel_lo(kg * atomic_k_) / unit_lanes;
}

unsigned ChannelSpan::needed_end(unsigned kg) const {
  const unsigned last = std::min(out_channels_, (kg + 1) * atomic_k_) - 1;  // the group's last column
  return ceil_div(channel_hi(last), unit_lanes);
}

ChannelSpan channel_span(const Layer& l, const AcceleratorConfig& cfg) {
  ChannelSpan cs;
  const unsigned lanes = cfg.lanes(l.precision), unit_atoms = l.weight_format == TensorFormat::sparse_2_4 ? 2 : 1;
  cs.unit_lanes = lanes * unit_atoms;
  cs.units = ceil_div(ceil_div(l.in_channels, lanes), unit_atoms);
  cs.atomic_k_ = cfg.atomic_k;
  cs.out_channels_ = l.out_channels;
  cs.group_in_ = l.group_channels();
  cs.group_out_ = l.groups > 1 ? l.out_channels / l.groups : l.out_channels;
  cs.span = l.groups > 1 ? 0 : cs.units;
  if (l.groups > 1)
    for (unsigned kg = 0, n = ceil_div(l.out_channels, cfg.atomic_k); kg < n; ++kg)
      cs.span = std::max(cs.span, cs.needed_end(kg) - cs.needed_first(kg));
  return cs;
}

TileStep TilePlan::step(std::size_t i) const {
  const Layer& l = layer_;
  const unsigned ic = unsigned(i % cblocks_), iq = unsigned(i / cblocks_ % pcols_);
  const unsigned ip = unsigned(i / cblocks_ / pcols_ % prows_), ik = unsigned(i / cblocks_ / pcols_ / prows_);
  TileStep s{};
  s.kg0 = ik * kgroups_per_block;
  s.kg1 = std::min(kgroups, s.kg0 + kgroups_per_block);
  // Grouped layers: one output-channel group per step, its units from first_unit (dense: 0).
  const unsigned first_unit = channels.first_unit(s.kg0), end_unit = first_unit + channels.span;
  s.u0 = first_unit + ic * units_per_block;
  s.u1 = std::min(end_unit, s.u0 + units_per_block);
  s.p0 = ip * rows_per_tile;
  s.p1 = std::min(l.out_height(), s.p0 + rows_per_tile);
  s.q0 = iq * cols_per_tile;
  s.q1 = std::min(l.out_width(), s.q0 + cols_per_tile);
  // Padding is never fetched: the window is clipped to the image.
  s.h0 = unsigned(std::max(0L, long(s.p0) * l.stride_h - long(l.pad.top)));
  s.h1 = unsigned(std::min(long(l.in_height), long(s.p1 - 1) * l.stride_h - long(l.pad.top) + long(l.kernel_h)));
  s.w0 = unsigned(std::max(0L, long(s.q0) * l.stride_w - long(l.pad.left)));
  s.w1 = unsigned(std::min(long(l.in_width), long(s.q1 - 1) * l.stride_w - long(l.pad.left) + long(l.kernel_w)));
  s.first_c = ic == 0;
  s.last_c = s.u1 == end_unit;
  return s;
}

std::string TilePlan::summary() const {
  const std::string unit_text =
      channels.span == units ? fmt::format("{} of {} channel units", units_per_block, units)
                             : fmt::format("{} of the {} channel units (of {}) each output-channel group reads",
                                           units_per_block, channels.span, units);
  return fmt::format("{} steps: {} of {} output-channel groups, {}, {}x{} output pixels per step", step_count(),
                     kgroups_per_block, kgroups, unit_text, rows_per_tile, cols_per_tile);
}

TilePlan plan_tiles(const Layer& l, const AcceleratorConfig& cfg, double input_fill, double weight_fill) {
  TilePlan plan;
  plan.lanes = cfg.lanes(l.precision);
  plan.winograd = l.uses_winograd() ? l.winograd : Winograd::off;
  plan.pass_precision = pass_precision(l);
  plan.halves = plan.lanes / cfg.lanes(plan.pass_precision);
  plan.positions = weight_positions(l, cfg);
  plan.atom_bytes = cfg.atom_bytes();
  plan.in_atoms = ceil_div(l.in_channels, plan.lanes);
  const bool sparse = l.weight_format == TensorFormat::sparse_2_4;
  plan.unit_atoms = sparse ? 2 : 1;
  plan.units = ceil_div(plan.in_atoms, plan.unit_atoms);
  plan.channels = channel_span(l, cfg);
  const unsigned span = plan.channels.span;
  plan.meta_col_bytes = sparse ? (plan.lanes + 3) / 4 : 0;
  plan.granule = zvc_granule(plan.lanes);
  plan.mask_bytes = plan.lanes / plan.granule;
  plan.input_zvc = l.activation_format == TensorFormat::zvc;
  plan.weight_zvc = l.weight_format == TensorFormat::zvc;
  plan.input_fill = std::clamp(input_fill, 0.0, 1.0);
  plan.weight_fill = std::clamp(weight_fill, 0.0, 1.0);
  plan.kgroups = ceil_div(l.out_channels, cfg.atomic_k);
  plan.slot_bytes = cfg.buffer_bytes() / 2;
  const unsigned P = l.out_height(), Q = l.out_width();
  const std::size_t rs = plan.positions;
  // Winograd steps cover whole 2x2 output tiles, except at the layer's edge.
  auto whole_tiles = [&](unsigned n, unsigned all) { return plan.winograd == Winograd::off || n % 2 == 0 || n == all; };
  const std::size_t acc_capacity = cfg.accumulator_bytes / accumulator_bytes(l.precision);

  auto weight_bytes = [&](unsigned kb, unsigned cb) {
    return std::size_t(std::ceil(double(std::min<std::size_t>(l.out_channels, std::size_t(kb) * cfg.atomic_k)) * cb *
                                 rs * plan.block_col_bytes()));
  };
  // A compressed window's fill is bounded by its rows' only when it spans
  // the whole input row (the hint is per row of width W).
  auto window_bytes = [&](unsigned rows, unsigned cols, unsigned cb) {
    const std::size_t in_rows = std::min<std::size_t>(l.in_height, std::size_t(rows - 1) * l.stride_h + l.kernel_h);
    const std::size_t in_cols = std::min<std::size_t>(l.in_width, std::size_t(cols - 1) * l.stride_w + l.kernel_w);
    const double fill = in_cols == l.in_width ? plan.input_fill : 1.0;
    return std::size_t(std::ceil(double(in_rows * in_cols * cb) * plan.unit_bytes(fill)));
  };

  // Among the block sizes that fit, take the one that moves the fewest DRAM
  // bytes: weights are fetched once per spatial tile, inputs once per
  // output-channel block.
  double best = std::numeric_limits<double>::infinity();
  // A grouped layer's output-channel groups read different channel units: one per step.
  const std::vector<unsigned> kblocks = l.groups > 1 ? std::vector<unsigned>{1} : halvings(plan.kgroups);
  for (unsigned cb : halvings(span))
    for (unsigned kb : kblocks) {
      const std::size_t w = weight_bytes(kb, cb);
      if (w >= plan.slot_bytes) continue;
      const std::size_t room = plan.slot_bytes - w;
      // Sums stay in the accumulator across channel blocks for the whole output-channel block.
      const std::size_t groups_resident = cb < span ? kb : 1;
      const std::size_t pixel_cap = acc_capacity / (groups_resident * cfg.atomic_k);
      if (pixel_cap == 0) continue;
      unsigned rows = 0, cols = Q;
      for (unsigned r = 1; r <= P && plan.accumulator_entries(r, Q) <= pixel_cap && window_bytes(r, Q, cb) <= room; ++r)
        if (whole_tiles(r, P)) rows = r;
      if (rows == 0) {
        rows = std::min(P, plan.winograd == Winograd::off ? 1u : 2u);
        cols = 0;
        for (unsigned c = 1; c <= Q && plan.accumulator_entries(rows, c) <= pixel_cap && window_bytes(rows, c, cb) <= room; ++c)
          if (whole_tiles(c, Q)) cols = c;
        if (cols == 0) continue;
      }
      const double spatial_tiles = double(ceil_div(P, rows)) * ceil_div(Q, cols);
      const double traffic = double(weight_bytes(plan.kgroups, span)) * spatial_tiles +
                             double(window_bytes(rows, cols, span)) * spatial_tiles * ceil_div(plan.kgroups, kb);
      if (traffic < best) {
        best = traffic;
        plan.kgroups_per_block = kb;
        plan.units_per_block = cb;
        plan.rows_per_tile = rows;
        plan.cols_per_tile = cols;
      }
    }
  if (plan.kgroups_per_block == 0)
    throw TilingError(fmt::format(
        "layer '{}' cannot be tiled: one output pixel of one channel atom with its {}x{} kernel does not fit "
        "half the {}-byte unified buffer",
        l.name, l.kernel_h, l.kernel_w, cfg.buffer_bytes()));

  plan.layer_ = l;
  plan.layer_.post = PostOp{};
  plan.kblocks_ = ceil_div(plan.kgroups, plan.kgroups_per_block);
  plan.prows_ = ceil_div(P, plan.rows_per_tile);
  plan.pcols_ = ceil_div(Q, plan.cols_per_tile);
  plan.cblocks_ = ceil_div(span, plan.units_per_block);
  return plan;
}

}  // namespace sdla
