/// \file
/// Layer descriptors: what the host compiler writes to DRAM and the
/// controller fetches, one per layer, chained by `next`.
///
/// Wire format: 160 bytes, little-endian, fields in declaration order
/// (u32 magic, u8 op/precision/flags/formats, then u32 shape fields, then
/// u64 addresses, u32 fill hints, u8 Winograd fields, u8 pool_kind at byte
/// 147, u32 groups at 148, u64 residual_addr at 152..159); see encode()/decode().
///
/// DRAM tensor layouts (all set by the host compiler):
///  * feature maps: [H][W][Cp], Cp = C rounded up to lanes(precision); padded
///    channels are zero; raw accumulators use the same layout with int32/int64.
///  * pool layers (op 2, pool_kind 0 max / 1 avg): read the input and write
///    the output [P][Q][Cp] as dense int8/int16 feature maps; they have no
///    weights, parameters, masks or flags (those fields must be 0, and the
///    weight and parameter addresses are not read).
///  * residual (residual_addr != 0, needs FLAG_POST): the added tensor is a
///    dense feature map [P][Q][Kp] of the layer's precision (int8/int16), the
///    layout of a post-processed output; padded channels are not read.
///  * weights: per group g of atomic_k output channels (kg = columns in the
///    group, the last may be smaller), per channel unit, per r, per s: a block
///    [kg][lanes] — exactly one MAC pass's weights. A unit is one channel atom
///    (lanes channels) for dense weights and two (2 * lanes channels) for 2:4,
///    whose blocks hold the kept values; their metadata lies at
///    weight_meta_addr in the same block order, [kg][lanes / 4] bytes per
///    block (one nibble idx0 | idx1 << 2 per group of four channels).
///  * grouped convolution (`groups` > 1): the same blocks, but group g holds
///    only the `span` channel units from first_unit(g) (ChannelSpan,
///    sdla/tile_plan.hpp), each column zero outside the input channels of
///    its convolution group: group g starts at block column
///    g * atomic_k * span * positions (groups 1: span = all units).
///  * Winograd layers (`winograd` 1 exact, 2 nvdla): the weights are the
///    host-transformed U [K][C][4][4] (exact: U' = G' g G'^T, int16; nvdla:
///    U' rounded by `winograd_weight_shift` bits to the layer's precision),
///    laid out as above with 16 positions (the components xi * 4 + nu) in
///    place of r, s; exact int8 layers hold int16 blocks of lanes / 2
///    channels, the first half of a channel atom's 16 positions, then the
///    second half's (32 positions per atom).
///  * bias, multiplier: int32[K]; shift: uint8[K].
///  * ZVC (input, output or weights): the layout above with each granule of
///    G = min(8, lanes) elements holding its non-zeros packed at its front,
///    plus a mask plane of one byte per granule (bit i: element i non-zero),
///    in the same order, at the *_mask_addr (weight_meta_addr for weights).
///    Only masks and non-zero values are moved.
#pragma once

#include <array>
#include <cstdint>
#include <vector>

#include "sdla/config.hpp"

#include "sdla/layer.hpp"

namespace sdla {

/// Elements per ZVC mask byte for atoms of `lanes` elements: min(8, lanes).
inline unsigned zvc_granule(unsigned lanes) { return lanes < 8 ? lanes : 8; }

struct LayerDescriptor {
  static constexpr std::uint32_t MAGIC = 0x3144534C;  // "LSD1" little-endian
  static constexpr std::size_t BYTES = 160;
  static constexpr std::uint8_t FLAG_POST = 1, FLAG_RELU = 2;
  /// `formats`: bits 1:0 weight TensorFormat, bit 2 input ZVC, bit 3 output ZVC.
  static constexpr std::uint8_t FORMAT_WEIGHT_MASK = 3, FORMAT_INPUT_ZVC = 4, FORMAT_OUTPUT_ZVC = 8;

  std::uint32_t magic = MAGIC;
  std::uint8_t op = 0, precision = 0, flags = 0, formats = 0;
  std::uint32_t in_channels = 0, in_height = 0, in_width = 0, out_channels = 0;
  std::uint32_t kernel_h = 0, kernel_w = 0, stride_h = 0, stride_w = 0;
  std::uint32_t pad_top = 0, pad_bottom = 0, pad_left = 0, pad_right = 0;
  std::uint64_t input_addr = 0, weight_addr = 0, output_addr = 0;
  std::uint64_t bias_addr = 0, multiplier_addr = 0, shift_addr = 0;
  std::uint64_t next = 0;  ///< DRAM address of the next descriptor, 0 ends the chain
  std::uint64_t weight_meta_addr = 0;   ///< 2:4 metadata, or the ZVC masks of the weights
  std::uint64_t input_mask_addr = 0;    ///< ZVC masks of the input
  std::uint64_t output_mask_addr = 0;   ///< ZVC masks of the output
  /// Planning hints for ZVC tensors, in 1/65536 (0 = unknown, plan as dense):
  /// the largest fraction of non-zeros in any input row's channel atom, and
  /// in any (output-channel group, channel unit) chunk of the weights.
  std::uint32_t input_fill = 0, weight_fill = 0;
  /// Winograd F(2x2,3x3): 0 off, 1 exact, 2 nvdla; nvdla's input rounding
  /// (0..2 bits) and the weight shift the host compiler applied (0..4).
  std::uint8_t winograd = 0, winograd_input_shift = 0, winograd_weight_shift = 0;
  /// op pool: 0 max, 1 average (see PoolKind); 0 for every other op.
  std::uint8_t pool_kind = 0;
  /// conv2d: groups of the convolution (0 and 1: one group); in_channels and
  /// out_channels are multiples of it.
  std::uint32_t groups = 0;
  /// Element-wise add in the post-processor: the DRAM address of a second
  /// tensor of the output's shape and layout, added after requantisation
  /// (0: none; Layer::residual gives the rule). Needs post-processing; not
  /// on pool layers.
  std::uint64_t residual_addr = 0;

  TensorFormat weight_format() const { return TensorFormat(formats & FORMAT_WEIGHT_MASK); }
  bool input_zvc() const { return formats & FORMAT_INPUT_ZVC; }
  bool output_zvc() const { return formats & FORMAT_OUTPUT_ZVC; }

  std::array<std::uint8_t, BYTES> encode() const;
  static LayerDescriptor decode(const std::uint8_t* bytes);
  /// The layer this descriptor describes (post parameters left empty: they live in DRAM).
  /// Throws LayerError on an unknown op/precision or an invalid shape.
  Layer layer() const;
  static LayerDescriptor from_layer(const Layer& l);
};

/// One DRAM region a layer's descriptor names, with its size on `cfg`
/// (0 when the layer does not use it).
struct TensorRegion {
  /// Who moves it: the loader (input, weights, with their masks and
  /// metadata), the controller (parameters), the post-processor (residual),
  /// the output writer (output and its mask: the only regions written).
  enum class Use { input, weights, parameters, residual, output };
  const char* what;  ///< "input", "weight metadata", "output mask", ...
  Use use;
  std::uint64_t addr = 0, bytes = 0;
  bool overlaps(const TensorRegion& o) const {
    return bytes && o.bytes && addr < o.addr + o.bytes && o.addr < addr + bytes;
  }
};
/// Every region of `l` (the layer `d` describes): the controller checks
/// that none wraps the address space, the pipeline that a layer loaded
/// ahead reads nothing the layer before it still writes.
std::vector<TensorRegion> tensor_regions(const Layer& l, const LayerDescriptor& d, const AcceleratorConfig& cfg);

}  // namespace sdla
