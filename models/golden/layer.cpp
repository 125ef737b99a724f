#include <string>

#include "sdla/layer.hpp"

namespace sdla {

const PrecisionTraits& traits(Precision p) {
  // Partial sums stay exact in the accumulator width: see the reduction limits in Layer::validate.
  static const PrecisionTraits table[] = {
      {"int8", 1, 4, 1, -128, 127},
      {"int16", 2, 8, 2, -32768, 32767},
  };
  return table[std::size_t(p)];
}

const char* to_string(Precision p) { return traits(p).name; }
const char* to_string(Winograd w) {
  switch (w) {
    case Winograd::exact: return "exact";
    case Winograd::nvdla: return "nvdla";
    case Winograd::automatic: return "auto";
    default: return "off";
  }
}
const char* to_string(Op op) { return op == Op::conv2d ? "conv2d" : op == Op::fc ? "fc" : "pool"; }
const char* to_string(PoolKind k) { return k == PoolKind::max ? "max" : "avg"; }
const char* to_string(TensorFormat f) {
  return f == TensorFormat::dense ? "dense" : f == TensorFormat::zvc ? "zvc" : "2:4";
}

void Layer::validate() const {
  const std::string where = "layer" + (name.empty() ? std::string() : " '" + name + "'") + ": ";
  auto fail = [&](const std::string& what) { throw LayerError(where + what); };
  auto positive = [&](unsigned v, const char* field) {
    if (v == 0) fail(std::string(field) + " must be at least 1");
    // Descriptor fields are 16 bits wide, as NVDLA's cube dimensions are.
    if (v > 65535) fail(std::string(field) + " = " + std::to_string(v) + " exceeds 65535");
  };
  positive(in_channels, "in_channels");
  positive(in_height, "in_height");
  positive(in_width, "in_width");
  positive(out_channels, "out_channels");
  positive(kernel_h, "kernel height");
  positive(kernel_w, "kernel width");
  positive(stride_h, "stride height");
  positive(stride_w, "stride width");
  if (op == Op::fc && (in_height != 1 || in_width != 1 || kernel_h != 1 || kernel_w != 1 ||
                       stride_h != 1 || stride_w != 1 || !(pad == Padding{})))
    fail("fc takes in_height = in_width = 1, kernel [1, 1], stride [1, 1] and no padding");
  if (groups == 0) fail("groups must be at least 1");
  if (op == Op::fc && groups != 1) fail("groups must be 1 for an fc layer, got " + std::to_string(groups));
  if (in_channels % groups != 0)
    fail("groups = " + std::to_string(groups) + " does not divide in_channels = " + std::to_string(in_channels));
  if (out_channels % groups != 0)
    fail("groups = " + std::to_string(groups) + " does not divide out_channels = " + std::to_string(out_channels));
  // The array's 2:4 groups of four are aligned to absolute channels: those of
  // a convolution group must not straddle two of them (C/groups of 1..3 fit one).
  if (weight_format == TensorFormat::sparse_2_4 && groups > 1 && group_channels() % 4 != 0 && group_channels() > 3)
    fail("groups = " + std::to_string(groups) + " with weight_format 2:4 needs in_channels / groups (" +
         std::to_string(group_channels()) + ") to be a multiple of 4 (or below 4)");
  // Padding smaller than the kernel also puts at least one image element in
  // every window (the first starts at most pad.top above the image, the last
  // at most kernel - 1 - pad.bottom rows before its end): a pooling window
  // never consists of padding alone.
  if (pad.top >= kernel_h || pad.bottom >= kernel_h || pad.left >= kernel_w || pad.right >= kernel_w)
    fail(std::string("padding must be smaller than the kernel on every side") +
         (op == Op::pool ? " (a pooling window must hold at least one element of the image)" : ""));
  if (in_height + pad.top + pad.bottom < kernel_h || in_width + pad.left + pad.right < kernel_w)
    fail("kernel is larger than the padded input");
  if (op == Op::pool) {
    if (pool_kind != PoolKind::max && pool_kind != PoolKind::avg)
      fail("pool kind " + std::to_string(unsigned(pool_kind)) + " is unknown (0 max, 1 avg)");
    const std::string pool = std::string(to_string(pool_kind)) + " pool: ";
    if (out_channels != in_channels)
      fail(pool + "out_channels = " + std::to_string(out_channels) + " must equal in_channels = " +
           std::to_string(in_channels) + " (pooling keeps the channels)");
    if (groups != 1) fail(pool + "groups must be 1 (pooling is per channel), got " + std::to_string(groups));
    if (post.enabled) fail(pool + "the pooling unit has no post-processing: remove \"post\"");
    if (weight_format != TensorFormat::dense)
      fail(pool + "a pool layer has no weights, so no weight_format (got \"" + to_string(weight_format) + "\")");
    if (activation_format != TensorFormat::dense)
      fail(pool + "the pooling unit reads its input dense: activation_format \"" + to_string(activation_format) +
           "\" is not supported (the layer before it must write a dense output)");
  }
  if (residual && op == Op::pool)
    fail("residual: the element-wise add is done by the post-processor, and a pool layer has none");
  if (residual && !post.enabled)
    fail("residual needs post-processing (a \"post\" section): the tensor is added after requantisation");
  // int8 products are at most 2^14 (-128 * -128); int32 accumulation is exact for
  // fewer than 2^17 of them (2^17 * 2^14 = 2^31 already overflows).
  // (Pooling has no products: its sums of at most 2^32 int16 values are exact in int64.)
  const std::uint64_t reduction = op == Op::pool ? 0 : std::uint64_t(in_channels / groups) * kernel_h * kernel_w;
  const std::string length = groups > 1 ? "reduction length (C/groups)*R*S = " : "reduction length C*R*S = ";
  if (precision == Precision::int8 && reduction >= (1u << 17))
    fail(length + std::to_string(reduction) +
         " exceeds 131071, where int32 accumulation of int8 products could overflow");
  // int16 products are at most 2^30; int64 accumulation is exact below 2^33 of them.
  if (precision == Precision::int16 && reduction >= (std::uint64_t(1) << 33))
    fail(length + std::to_string(reduction) +
         " reaches 2^33, where int64 accumulation of int16 products could overflow");
  if (activation_format == TensorFormat::sparse_2_4) fail("activation_format 2:4 is not supported (weights only)");
  if (winograd_input_shift > 2) fail("winograd_input_shift " + std::to_string(winograd_input_shift) + " exceeds 2");
  // |U'| <= 9 * max |g|: a shift of 4 brings any int8 or int16 kernel into its lane.
  if (winograd_weight_shift > 4) fail("winograd_weight_shift " + std::to_string(winograd_weight_shift) + " exceeds 4");
  if (!(input_density >= 0.0 && input_density <= 1.0)) fail("input_density must lie in [0, 1]");
  if (!(weight_density >= 0.0 && weight_density <= 1.0)) fail("weight_density must lie in [0, 1]");
  if (post.enabled) {
    auto per_channel = [&](std::size_t n, const char* field) {
      if (n != 1 && n != out_channels)
        fail(std::string("post.") + field + " needs 1 or out_channels = " + std::to_string(out_channels) +
             " values, got " + std::to_string(n));
    };
    per_channel(post.multiplier.size(), "multiplier");
    per_channel(post.shift.size(), "shift");
    for (auto s : post.shift)
      if (s > 62) fail("post.shift " + std::to_string(s) + " exceeds 62");
  }
}

}  // namespace sdla

namespace sdla {

std::string winograd_ineligibility(const Layer& l) {
  if (l.winograd == Winograd::off) return "";
  if (l.op != Op::conv2d || l.kernel_h != 3 || l.kernel_w != 3)
    return "Winograd F(2x2,3x3) needs a 3x3 conv2d kernel";
  if (l.stride_h != 1 || l.stride_w != 1) return "Winograd F(2x2,3x3) needs stride 1";
  if (l.groups > 1)
    return "grouped convolution (groups = " + std::to_string(l.groups) + "): Winograd F(2x2,3x3) needs one group";
  if (l.weight_format == TensorFormat::sparse_2_4)
    return "2:4 weights cannot be Winograd-transformed (transformed weights are dense)";
  if (l.weight_format == TensorFormat::zvc)
    return "ZVC weights cannot be Winograd-transformed (transformed weights are dense: store them dense)";
  if (l.winograd != Winograd::nvdla && l.precision != Precision::int8)
    return "exact Winograd of int16 operands needs lanes wider than int16 (transformed weights reach 19 bits)";
  // A component's sum reaches |U'| * |V| * C = 1152 * 512 * C (facts.md): it must fit the int32 accumulator.
  if (l.winograd != Winograd::nvdla && l.in_channels > 3640)
    return "exact Winograd sums of " + std::to_string(l.in_channels) +
           " channels can exceed the int32 accumulator (1152 * 512 * C < 2^31 needs C <= 3640)";
  return "";
}

Layer resolve_winograd(Layer l) {
  const Winograd asked = l.winograd;
  if (asked == Winograd::off) return l;
  l.winograd = asked == Winograd::automatic ? Winograd::exact : asked;
  const std::string why = winograd_ineligibility(l);
  if (why.empty()) return l;
  if (l.winograd_strict)
    throw LayerError("layer '" + l.name + "': winograd \"" + to_string(asked) + "\" is not possible: " + why);
  l.winograd = Winograd::off;
  l.winograd_fallback = why;
  return l;
}

}  // namespace sdla

namespace sdla {

std::uint64_t pool_window_extent(const Layer& l, bool vertical) {
  const unsigned in = vertical ? l.in_height : l.in_width, kernel = vertical ? l.kernel_h : l.kernel_w;
  const unsigned stride = vertical ? l.stride_h : l.stride_w, before = vertical ? l.pad.top : l.pad.left;
  const unsigned out = vertical ? l.out_height() : l.out_width();
  std::uint64_t sum = 0;
  for (unsigned o = 0; o < out; ++o) {
    const long first = long(o) * stride - long(before), last = first + long(kernel);  // [first, last)
    const long lo = first < 0 ? 0 : first, hi = last > long(in) ? long(in) : last;
    if (hi > lo) sum += std::uint64_t(hi - lo);
  }
  return sum;
}

std::uint64_t pool_element_ops(const Layer& l) {
  if (l.op != Op::pool) return 0;
  return std::uint64_t(l.in_channels) * pool_window_extent(l, true) * pool_window_extent(l, false);
}

}  // namespace sdla
