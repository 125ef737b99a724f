#include "sdla/descriptor.hpp"

#include "sdla/tile_plan.hpp"

#include <cstring>
#include <string>


namespace sdla {
namespace {

// Little-endian field walker; the same order serves encode and decode.
template <class Bytes>
struct Walker {
  Bytes bytes;
  std::size_t at = 0;
  template <class T>
  void field(T& v) {
    for (std::size_t i = 0; i < sizeof(T); ++i, ++at) {
      if constexpr (std::is_const_v<std::remove_pointer_t<Bytes>>)
        v = T(v | T(T(bytes[at]) << (8 * i)));
      else
        bytes[at] = std::uint8_t(std::uint64_t(v) >> (8 * i));
    }
  }
};

template <class W, class D>
void walk(W& w, D& d) {
  w.field(d.magic);
  w.field(d.op); w.field(d.precision); w.field(d.flags); w.field(d.formats);
  w.field(d.in_channels); w.field(d.in_height); w.field(d.in_width); w.field(d.out_channels);
  w.field(d.kernel_h); w.field(d.kernel_w); w.field(d.stride_h); w.field(d.stride_w);
  w.field(d.pad_top); w.field(d.pad_bottom); w.field(d.pad_left); w.field(d.pad_right);
  w.field(d.input_addr); w.field(d.weight_addr); w.field(d.output_addr);
  w.field(d.bias_addr); w.field(d.multiplier_addr); w.field(d.shift_addr);
  w.field(d.next);
  w.field(d.weight_meta_addr); w.field(d.input_mask_addr); w.field(d.output_mask_addr);
  w.field(d.input_fill); w.field(d.weight_fill);
  w.field(d.winograd); w.field(d.winograd_input_shift); w.field(d.winograd_weight_shift);
  w.field(d.pool_kind); w.field(d.groups); w.field(d.residual_addr);
}

}  // namespace

std::array<std::uint8_t, LayerDescriptor::BYTES> LayerDescriptor::encode() const {
  std::array<std::uint8_t, BYTES> out{};
  Walker<std::uint8_t*> w{out.data()};
  LayerDescriptor copy = *this;
  walk(w, copy);
  return out;
}

LayerDescriptor LayerDescriptor::decode(const std::uint8_t* bytes) {
  LayerDescriptor d;
  // Zero every field first: decode ORs bytes in.
  std::memset(static_cast<void*>(&d), 0, sizeof d);
  Walker<const std::uint8_t*> w{bytes};
  walk(w, d);
  return d;
}

Layer LayerDescriptor::layer() const {
  if (magic != MAGIC) throw LayerError("descriptor magic is not 'LSD1'");
  if (op > std::uint8_t(Op::pool)) throw LayerError("descriptor op " + std::to_string(op) + " unknown");
  if (flags & ~(FLAG_POST | FLAG_RELU)) throw LayerError("descriptor flags " + std::to_string(flags) + " has unknown bits");
  if (formats & ~(FORMAT_WEIGHT_MASK | FORMAT_INPUT_ZVC | FORMAT_OUTPUT_ZVC) ||
      (formats & FORMAT_WEIGHT_MASK) > std::uint8_t(TensorFormat::sparse_2_4))
    throw LayerError("descriptor formats byte " + std::to_string(formats) + " is not a valid combination");
  if (precision > std::uint8_t(Precision::int16))
    throw LayerError("descriptor precision " + std::to_string(precision) + " unknown");
  if (input_zvc() && input_mask_addr == 0) throw LayerError("descriptor: ZVC input without a mask address");
  if (output_zvc() && output_mask_addr == 0) throw LayerError("descriptor: ZVC output without a mask address");
  if (weight_format() != TensorFormat::dense && weight_meta_addr == 0)
    throw LayerError("descriptor: compressed weights without a metadata address");
  if (winograd > std::uint8_t(Winograd::nvdla))
    throw LayerError("descriptor winograd mode " + std::to_string(winograd) + " unknown");
  if (op == std::uint8_t(Op::pool)) {
    // The pooling unit reads and writes dense feature maps; it has no weights,
    // no post-processing and no Winograd mode.
    const std::string pool = "descriptor op 2 (pool): ";
    if (pool_kind > std::uint8_t(PoolKind::avg))
      throw LayerError(pool + "pool kind " + std::to_string(pool_kind) + " unknown (0 max, 1 avg)");
    if (flags) throw LayerError(pool + "the pooling unit has no post-processing, but flags are " + std::to_string(flags));
    if (formats)
      throw LayerError(pool + "the pooling unit has no weights and reads and writes dense feature maps, but the "
                       "formats byte is " + std::to_string(formats));
    if (winograd) throw LayerError(pool + "the pooling unit has no Winograd mode, but winograd is " + std::to_string(winograd));
    if (residual_addr) throw LayerError(pool + "the pooling unit has no residual add, but residual_addr is set");
  } else if (pool_kind) {
    throw LayerError("descriptor pool kind " + std::to_string(pool_kind) + " set on a " + to_string(Op(op)) +
                     " layer (only pool layers have one)");
  }
  if (residual_addr && !(flags & FLAG_POST))
    throw LayerError("descriptor: residual_addr is set but post-processing (FLAG_POST) is not: the residual is "
                     "added after requantisation");
  Layer l;
  l.op = Op(op);
  l.precision = Precision(precision);
  l.in_channels = in_channels; l.in_height = in_height; l.in_width = in_width;
  l.out_channels = out_channels;
  l.kernel_h = kernel_h; l.kernel_w = kernel_w; l.stride_h = stride_h; l.stride_w = stride_w;
  l.pad = {pad_top, pad_bottom, pad_left, pad_right};
  l.groups = groups > 1 ? groups : 1;  // 0 and 1: one group; validate() rejects what does not divide C and K
  l.weight_format = weight_format();
  l.activation_format = input_zvc() ? TensorFormat::zvc : TensorFormat::dense;
  l.winograd = Winograd(winograd);
  l.winograd_input_shift = winograd_input_shift;
  l.winograd_weight_shift = winograd_weight_shift;
  l.pool_kind = PoolKind(pool_kind);
  l.validate();  // post parameters live in DRAM and are checked when loaded
  if (const std::string why = winograd_ineligibility(l); !why.empty()) throw LayerError("descriptor: " + why);
  l.post.enabled = flags & FLAG_POST;
  l.post.relu = flags & FLAG_RELU;
  l.residual = residual_addr != 0;
  return l;
}

LayerDescriptor LayerDescriptor::from_layer(const Layer& l) {
  LayerDescriptor d;
  d.op = std::uint8_t(l.op);
  d.precision = std::uint8_t(l.precision);
  d.flags = std::uint8_t((l.post.enabled ? FLAG_POST : 0) | (l.post.relu ? FLAG_RELU : 0));
  d.formats = std::uint8_t(std::uint8_t(l.weight_format) |
                           (l.activation_format == TensorFormat::zvc ? FORMAT_INPUT_ZVC : 0));
  d.in_channels = l.in_channels; d.in_height = l.in_height; d.in_width = l.in_width;
  d.out_channels = l.out_channels;
  d.kernel_h = l.kernel_h; d.kernel_w = l.kernel_w; d.stride_h = l.stride_h; d.stride_w = l.stride_w;
  d.pad_top = l.pad.top; d.pad_bottom = l.pad.bottom; d.pad_left = l.pad.left; d.pad_right = l.pad.right;
  d.groups = l.groups > 1 ? l.groups : 0;  // one group is written as 0: dense descriptors stay as they were
  d.winograd = l.uses_winograd() ? std::uint8_t(l.winograd) : 0;
  d.winograd_input_shift = std::uint8_t(l.winograd_input_shift);
  d.winograd_weight_shift = std::uint8_t(l.winograd_weight_shift);
  d.pool_kind = l.op == Op::pool ? std::uint8_t(l.pool_kind) : 0;
  return d;  // residual_addr: set by the host compiler where it places the tensor
}


std::vector<TensorRegion> tensor_regions(const Layer& l, const LayerDescriptor& d, const AcceleratorConfig& cfg) {
  const std::uint64_t lanes = cfg.lanes(l.precision), atom = cfg.atom_bytes();
  const std::uint64_t atoms = (l.in_channels + lanes - 1) / lanes;
  const std::uint64_t pixels_in = std::uint64_t(l.in_height) * l.in_width;
  const std::uint64_t pixels_out = std::uint64_t(l.out_height()) * l.out_width();
  const std::uint64_t out_atoms = (l.out_channels + lanes - 1) / lanes;
  const std::uint64_t K = l.out_channels, mask_bytes = lanes / zvc_granule(unsigned(lanes));
  const bool pool = l.op == Op::pool;  // no weights
  // Weight block columns: per output channel, the channel units its group
  // visits (a grouped layer's span; every unit for groups 1) times positions.
  const std::uint64_t columns = pool ? 0 : K * channel_span(l, cfg).span * weight_positions(l, cfg);
  // 2:4 metadata: a nibble per pair of kept weights, per block of two atoms; ZVC: the weight masks.
  const std::uint64_t weight_meta = l.weight_format == TensorFormat::sparse_2_4 ? columns * ((lanes + 3) / 4)
                                    : l.weight_format == TensorFormat::zvc     ? columns * mask_bytes
                                                                                : 0;
  using Use = TensorRegion::Use;
  return {
      {"input", Use::input, d.input_addr, pixels_in * atoms * atom},
      {"weights", Use::weights, d.weight_addr, columns * atom},
      {"output", Use::output, d.output_addr, pixels_out * out_atoms * lanes * output_element_bytes(l)},
      {"bias", Use::parameters, d.bias_addr, K * 4},
      {"multipliers", Use::parameters, d.multiplier_addr, K * 4},
      {"shifts", Use::parameters, d.shift_addr, K},
      {"input mask", Use::input, d.input_mask_addr, d.input_zvc() ? pixels_in * atoms * mask_bytes : 0},
      {"weight metadata", Use::weights, d.weight_meta_addr, weight_meta},
      {"output mask", Use::output, d.output_mask_addr, d.output_zvc() ? pixels_out * out_atoms * mask_bytes : 0},
      {"residual", Use::residual, d.residual_addr,
       d.residual_addr ? pixels_out * out_atoms * lanes * element_bytes(l.precision) : 0},
  };
}

}  // namespace sdla
