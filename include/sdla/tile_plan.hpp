/// \file
/// Tiling of a layer onto the unified buffer and the accumulator: which
/// output pixels, output-channel groups and channel atoms each step loads
/// and computes. Any layer that fits in DRAM is tiled, however large; a
/// layer whose smallest step cannot fit raises TilingError.
#pragma once

#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

#include "sdla/config.hpp"
#include "sdla/layer.hpp"

namespace sdla {

struct TilingError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

/// Which channel units the output-channel groups (atomic_k columns each)
/// of a layer read. A grouped convolution (groups > 1) runs on the array like
/// a dense one, but output-channel group kg visits only `span` consecutive
/// channel units from first_unit(kg): span is the most units the columns of
/// any kg need, first_unit(kg) = min(first unit kg needs, units - span). Its
/// weight chunk holds those units' blocks, zero where a column's convolution
/// group does not use a channel (zero lines gate those multipliers).
/// groups = 1: span = units and first_unit(kg) = 0, the dense layout.
///
///     const sdla::ChannelSpan cs = sdla::channel_span(layer, cfg);
///     for (unsigned u = cs.first_unit(kg); u < cs.first_unit(kg) + cs.span; ++u) ...
struct ChannelSpan {
  unsigned units = 0;       ///< channel units of the layer (unit_lanes channels each)
  unsigned span = 0;        ///< channel units every output-channel group visits
  unsigned unit_lanes = 0;  ///< channels per unit: lanes, 2 * lanes for 2:4 weights
  /// First unit output-channel group kg needs, and one past its last.
  unsigned needed_first(unsigned kg) const;
  unsigned needed_end(unsigned kg) const;
  /// First unit output-channel group kg visits.
  unsigned first_unit(unsigned kg) const {
    const unsigned f = needed_first(kg);
    return f < units - span ? f : units - span;
  }
  /// Input channels [lo, hi) output channel k reads (its convolution group's).
  unsigned channel_lo(unsigned k) const { return k / group_out_ * group_in_; }
  unsigned channel_hi(unsigned k) const { return channel_lo(k) + group_in_; }

 private:
  friend ChannelSpan channel_span(const Layer&, const AcceleratorConfig&);
  unsigned atomic_k_ = 1, out_channels_ = 0, group_in_ = 0, group_out_ = 1;
};
/// The channel units of a valid layer's output-channel groups (Winograd layers: groups 1).
ChannelSpan channel_span(const Layer& l, const AcceleratorConfig& cfg);

/// One load-then-compute step.
struct TileStep {
  unsigned kg0, kg1;          ///< output-channel groups [kg0, kg1)
  /// Channel units [u0, u1), absolute: within [first_unit(kg0), + span) of a
  /// grouped layer's one output-channel group, [0, units) for groups = 1.
  unsigned u0, u1;
  unsigned p0, p1, q0, q1;    ///< output pixels [p0, p1) x [q0, q1)
  unsigned h0, h1, w0, w1;    ///< input window [h0, h1) x [w0, w1), clipped to the image
  bool first_c, last_c;       ///< first / last channel block of these outputs
  unsigned pixels() const { return (p1 - p0) * (q1 - q0); }
};

struct TilePlan {
  unsigned lanes = 0;           ///< elements per channel atom
  /// Weight blocks of one (group, channel unit) chunk, one pass each: R x S
  /// kernel positions; 16 Winograd components; 32 for exact Winograd of
  /// int8, whose int16 lanes take each channel atom in two halves.
  unsigned positions = 0;
  unsigned halves = 1;          ///< passes per channel atom and position (2: exact Winograd of int8)
  Precision pass_precision = Precision::int8;  ///< operand width on the MAC array
  Winograd winograd = Winograd::off;
  unsigned atom_bytes = 0;
  unsigned in_atoms = 0;        ///< channel atoms of the input feature map
  unsigned unit_atoms = 1;      ///< channel atoms one pass consumes: 1, or 2 with 2:4 weights
  unsigned units = 0;           ///< channel units: ceil(in_atoms / unit_atoms)
  /// Channel units each output-channel group visits (= units for groups 1)
  /// and where: grouped layers take one output-channel group per step.
  ChannelSpan channels;
  unsigned span() const { return channels.span; }
  /// The step's channel blocks leave sums in the accumulator between steps.
  bool split_c() const { return units_per_block < channels.span; }
  unsigned meta_col_bytes = 0;  ///< 2:4 metadata bytes per weight column of a block
  unsigned granule = 0;         ///< ZVC granule: elements per mask byte
  unsigned mask_bytes = 0;      ///< ZVC mask bytes per channel atom
  bool input_zvc = false, weight_zvc = false;
  double input_fill = 1.0, weight_fill = 1.0;  ///< planning bounds on the fraction of non-zeros
  unsigned kgroups = 0;         ///< groups of atomic_k output channels
  unsigned kgroups_per_block = 0, units_per_block = 0, rows_per_tile = 0, cols_per_tile = 0;
  /// 2x2 Winograd tiles covering `rows` x `cols` output pixels.
  static std::size_t tiles(unsigned rows, unsigned cols) { return std::size_t((rows + 1) / 2) * ((cols + 1) / 2); }
  /// Accumulator entries per column for `rows` x `cols` output pixels: one
  /// per pixel; for Winograd five per 2x2 tile (one component's products in
  /// the accumulator, the four outputs in the output transform).
  std::size_t accumulator_entries(unsigned rows, unsigned cols) const {
    return winograd == Winograd::off ? std::size_t(rows) * cols : 5 * tiles(rows, cols);
  }
  std::size_t slot_bytes = 0;   ///< half the buffer: steps are double-buffered

  /// Steps in order: output-channel blocks, then output rows, then output
  /// columns, then channel blocks (innermost). Computed on demand, so a
  /// huge layer costs no memory up front.
  std::size_t step_count() const { return std::size_t(kblocks_) * prows_ * pcols_ * cblocks_; }
  TileStep step(std::size_t i) const;

  /// Buffer bytes planned for one pixel's channel unit (`fill` of its values
  /// when compressed), and for one weight column of a block.
  double unit_bytes(double fill) const {
    return input_zvc ? unit_atoms * (mask_bytes + fill * atom_bytes) : double(unit_atoms) * atom_bytes;
  }
  double block_col_bytes() const {
    return (weight_zvc ? mask_bytes + weight_fill * atom_bytes : double(atom_bytes)) + meta_col_bytes;
  }
  std::string summary() const;

 private:
  friend TilePlan plan_tiles(const Layer&, const AcceleratorConfig&, double, double);
  Layer layer_;
  unsigned kblocks_ = 0, prows_ = 0, pcols_ = 0, cblocks_ = 0;
};

/// Operand width on the MAC array: exact Winograd of int8 needs the int16 lanes (facts.md).
inline Precision pass_precision(const Layer& l) {
  return l.uses_winograd() && l.winograd == Winograd::exact ? Precision::int16 : l.precision;
}
/// Weight blocks (passes) per output-channel group and channel atom: R x S,
/// or 16 Winograd components per half atom of the pass precision.
inline unsigned weight_positions(const Layer& l, const AcceleratorConfig& cfg) {
  if (!l.uses_winograd()) return l.kernel_h * l.kernel_w;
  return 16 * (cfg.lanes(l.precision) / cfg.lanes(pass_precision(l)));
}

/// Columns (output channels) of group g.
inline unsigned group_columns(const Layer& l, const AcceleratorConfig& cfg, unsigned g) {
  const unsigned left = l.out_channels - g * cfg.atomic_k;
  return left < cfg.atomic_k ? left : cfg.atomic_k;
}

/// `input_fill` / `weight_fill` bound the fraction of non-zeros of ZVC
/// inputs (per input row and channel atom) and weights (per chunk).
TilePlan plan_tiles(const Layer& layer, const AcceleratorConfig& cfg, double input_fill = 1.0,
                    double weight_fill = 1.0);

}  // namespace sdla
