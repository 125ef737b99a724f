/// \file
/// What a layer is: operation, shape, precision and post-processing.
/// Shared by the golden reference, the host compiler and the layer-file reader.
///
///     sdla::Layer l;  l.op = sdla::Op::conv2d;
///     l.in_channels = 64; l.in_height = l.in_width = 56; l.out_channels = 64;
///     l.kernel_h = l.kernel_w = 3; l.pad = {1, 1, 1, 1};
///     l.validate();   // throws sdla::LayerError naming the bad field
#pragma once

#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

namespace sdla {

enum class Precision : std::uint8_t { int8 = 0, int16 = 1 };

/// Everything that differs between precisions, in one table: adding a
/// precision adds a row here, not a branch in every unit.
struct PrecisionTraits {
  const char* name;
  unsigned element_bytes;      ///< bytes of one operand in DRAM and the buffer
  unsigned accumulator_bytes;  ///< bytes of one raw accumulator element (int32 / int64)
  unsigned lane_divisor;       ///< multipliers per column = atomic_c / lane_divisor (same bus bytes)
  std::int64_t min, max;       ///< operand range
};
const PrecisionTraits& traits(Precision p);
/// conv2d and fc run on the MAC array; pool on the pooling unit (NVDLA's PDP).
enum class Op : std::uint8_t { conv2d = 0, fc = 1, pool = 2 };
/// What a pool layer computes per channel c and output pixel (p, q), over the
/// window rows h = p * stride_h - pad.top + r (0 <= r < kernel_h) and columns
/// w = q * stride_w - pad.left + s (0 <= s < kernel_w), counting only the
/// n >= 1 window elements inside the image (padding is never a value):
///  * max: the largest of the n elements;
///  * avg: floor((2 * sum + n) / (2 * n)), the mean rounded half up (ties
///    towards +infinity: 2.5 -> 3, -2.5 -> -2), exact (the sum is int64).
/// The result always lies in the input's range: no saturation is needed.
enum class PoolKind : std::uint8_t { max = 0, avg = 1 };
/// How a 3x3 stride-1 convolution is computed: directly, or by Winograd
/// F(2x2,3x3) bit-exact (`exact`) or as NVDLA does it (`nvdla`, lossy);
/// `automatic` ("auto" in files) takes `exact` where the layer is eligible.
enum class Winograd : std::uint8_t { off = 0, exact = 1, nvdla = 2, automatic = 3 };
/// How a tensor is stored and moved: dense, zero-value compressed (mask +
/// non-zeros), or 2:4 structured (weights only). Formats never change results.
enum class TensorFormat : std::uint8_t { dense = 0, zvc = 1, sparse_2_4 = 2 };

const char* to_string(Precision p);
/// "conv2d", "fc", "pool".
const char* to_string(Op op);
/// "max", "avg".
const char* to_string(PoolKind k);
/// "dense", "zvc", "2:4".
const char* to_string(TensorFormat f);
/// "off", "exact", "nvdla", "auto".
const char* to_string(Winograd w);
inline unsigned element_bytes(Precision p) { return traits(p).element_bytes; }
/// Bytes of one raw accumulator element: int32 for int8, int64 for int16.
inline unsigned accumulator_bytes(Precision p) { return traits(p).accumulator_bytes; }

struct LayerError : std::invalid_argument {
  using std::invalid_argument::invalid_argument;
};

struct Padding {
  unsigned top = 0, bottom = 0, left = 0, right = 0;
  bool operator==(const Padding& o) const {
    return top == o.top && bottom == o.bottom && left == o.left && right == o.right;
  }
};

/// Per-output-channel requantisation, applied after bias:
///   y = saturate(relu?(round_half_up((acc + bias[k]) * multiplier[k] / 2^shift[k]) + r))
/// where round_half_up(v / 2^s) = floor((v + 2^(s-1)) / 2^s) for s > 0, so
/// ties round towards +infinity, and r is the residual element of the same
/// channel and pixel (Layer::residual; r = 0 without one), added exactly
/// (the sum is not clipped before ReLU). Saturation is to the layer's precision.
struct PostOp {
  bool enabled = false;
  bool relu = false;
  std::vector<std::int32_t> multiplier;  ///< one per output channel, or one for all
  std::vector<std::uint8_t> shift;       ///< one per output channel, or one for all; 0..62
  std::int32_t multiplier_for(unsigned k) const { return multiplier.size() == 1 ? multiplier[0] : multiplier.at(k); }
  unsigned shift_for(unsigned k) const { return shift.size() == 1 ? shift[0] : shift.at(k); }
};

struct Layer {
  std::string name;
  Op op = Op::conv2d;
  Precision precision = Precision::int8;
  unsigned in_channels = 0, in_height = 1, in_width = 1;
  unsigned out_channels = 0;
  unsigned kernel_h = 1, kernel_w = 1;
  unsigned stride_h = 1, stride_w = 1;
  /// Grouped convolution (depthwise: groups = in_channels): output channel k
  /// reads only the in_channels / groups input channels of its group
  /// k / (out_channels / groups); weights are [K, C / groups, R, S]. fc: 1.
  unsigned groups = 1;
  Padding pad;
  PostOp post;
  /// op pool: max or average (PoolKind gives the rule). A pool layer has
  /// out_channels == in_channels, no weights, no post-processing and no
  /// residual; its input and output are dense int8/int16 activations
  /// [C, H, W] -> [C, P, Q], P and Q from kernel, stride and padding as for
  /// conv2d (padding smaller than the kernel, so every window holds at least
  /// one element of the image). Global average pooling is avg with kernel
  /// [in_height, in_width], stride 1, no padding.
  PoolKind pool_kind = PoolKind::max;
  /// Element-wise add in the post-processor (NVDLA's SDP with a second
  /// input read by DMA): a tensor r [K, P, Q] of the output's shape and
  /// precision, stored dense like a feature map, is added after
  /// requantisation, before ReLU and saturation (PostOp gives the rule).
  /// Needs post-processing (conv2d or fc; Winograd layers too: the add
  /// follows the output transform).
  bool residual = false;
  TensorFormat weight_format = TensorFormat::dense;
  TensorFormat activation_format = TensorFormat::dense;  ///< of the input, as stored in DRAM
  /// Densities used only when tensors are generated (1.0 = no forced zeros).
  double input_density = 1.0, weight_density = 1.0;
  /// Winograd F(2x2,3x3): as asked for, then as resolved by resolve_winograd().
  Winograd winograd = Winograd::off;
  bool winograd_strict = false;       ///< ineligible: an error instead of a fallback
  unsigned winograd_input_shift = 2;  ///< nvdla: bits the transformed activations are rounded by (0..2)
  unsigned winograd_weight_shift = 0; ///< nvdla: bits the transformed weights were rounded by (host compiler, 0..4)
  std::string winograd_fallback;      ///< why a layer that asked for Winograd runs direct ("" otherwise)

  unsigned out_height() const { return (in_height + pad.top + pad.bottom - kernel_h) / stride_h + 1; }
  unsigned out_width() const { return (in_width + pad.left + pad.right - kernel_w) / stride_w + 1; }
  /// Input channels each output channel reads: in_channels / groups.
  unsigned group_channels() const { return groups > 1 ? in_channels / groups : in_channels; }
  /// Dense multiply-accumulates of the layer, the algorithmic count (K*P*Q*(C/groups)*R*S); 0 for pool.
  std::uint64_t macs() const {
    if (op == Op::pool) return 0;
    return std::uint64_t(out_channels) * out_height() * out_width() * group_channels() * kernel_h * kernel_w;
  }
  /// The output holds int8/int16 activations (post-processed, or pooled)
  /// rather than raw int32/int64 sums.
  bool activation_output() const { return post.enabled || op == Op::pool; }
  /// Throws LayerError naming the first field that makes the layer impossible.
  void validate() const;
  /// Winograd exact or nvdla, as resolved.
  bool uses_winograd() const { return winograd == Winograd::exact || winograd == Winograd::nvdla; }
};

/// Bytes of one output element: element_bytes for activations
/// (Layer::activation_output), accumulator_bytes for raw sums.
inline unsigned output_element_bytes(const Layer& l) {
  return l.activation_output() ? element_bytes(l.precision) : accumulator_bytes(l.precision);
}

/// A pool layer's element operations, for reports and the pooling unit's
/// activity: one compare (max) or add (avg) per window element inside the
/// image, per channel, summed over the output pixels:
///   in_channels * (sum over p of rows_in(p)) * (sum over q of cols_in(q)),
/// rows_in(p) being the window rows of output row p inside the image (the
/// window's in-image count is rows_in(p) * cols_in(q)). 0 for other ops.
std::uint64_t pool_element_ops(const Layer& l);
/// Sum over output rows of the window rows inside the image (the factor of
/// pool_element_ops along one axis): `vertical` rows, else columns.
std::uint64_t pool_window_extent(const Layer& l, bool vertical);

/// Why `l` cannot run its requested Winograd mode ("" when it can): the
/// shape (3x3, stride 1, conv2d), the weight format (transformed weights are
/// dense), and for `exact` the lanes (int16 operands would need wider ones).
std::string winograd_ineligibility(const Layer& l);
/// Settles `automatic` and ineligible requests: the layer keeps its mode when
/// eligible; otherwise it falls back to `off` with `winograd_fallback` set,
/// or, with `winograd_strict`, throws LayerError giving the reason.
Layer resolve_winograd(Layer l);

}  // namespace sdla
