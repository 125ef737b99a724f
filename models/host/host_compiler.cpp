#include "host_compiler.hpp"

#include <algorithm>
#include <array>
#include <bitset>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "golden/sparse_formats.hpp"
#include "golden/winograd.hpp"
#include "sdla/descriptor.hpp"
#include "sdla/tile_plan.hpp"

namespace sdla {
namespace {

std::uint64_t align(std::uint64_t a) { return (a + 255) / 256 * 256; }
unsigned round_up(unsigned a, unsigned b) { return (a + b - 1) / b * b; }

void put(std::uint8_t* dst, std::int64_t v, unsigned bytes) {
  for (unsigned b = 0; b < bytes; ++b) dst[b] = std::uint8_t(std::uint64_t(v) >> (8 * b));
}

void check_range(const Layer& l, const Tensor<std::int16_t>& t, const char* what) {
  if (l.precision != Precision::int8) return;
  for (std::size_t i = 0; i < t.size(); ++i)
    if (t.data()[i] < -128 || t.data()[i] > 127)
      throw LayerError(fmt::format("layer '{}': {} value {} at flat index {} does not fit int8", l.name, what,
                                   t.data()[i], i));
}

/// Weights [K, C / groups, R, S] -> per group of atomic_k columns, channel
/// atom (the span of atoms a grouped layer's group visits, ChannelSpan), r, s:
/// [cols][lanes]; zero where a column's convolution group has no channel.
std::vector<std::uint8_t> pack_weights(const Layer& l, const AcceleratorConfig& cfg, const Tensor<std::int16_t>& w) {
  const unsigned lanes = cfg.lanes(l.precision), eb = element_bytes(l.precision);
  const unsigned R = l.kernel_h, S = l.kernel_w;
  const ChannelSpan cs = channel_span(l, cfg);  // units are atoms: not 2:4
  std::vector<std::uint8_t> out(std::size_t(l.out_channels) * cs.span * R * S * cfg.atom_bytes(), 0);
  std::size_t at = 0;
  for (unsigned k0 = 0; k0 < l.out_channels; k0 += cfg.atomic_k) {
    const unsigned cols = std::min(cfg.atomic_k, l.out_channels - k0), first = cs.first_unit(k0 / cfg.atomic_k);
    for (unsigned ca = first; ca < first + cs.span; ++ca)
      for (unsigned r = 0; r < R; ++r)
        for (unsigned s = 0; s < S; ++s)
          for (unsigned k = 0; k < cols; ++k, at += cfg.atom_bytes()) {
            const unsigned lo = cs.channel_lo(k0 + k), hi = cs.channel_hi(k0 + k);
            for (unsigned i = 0, c = ca * lanes; i < lanes; ++i, ++c)
              if (c >= lo && c < hi) put(&out[at + i * eb], w.at({k0 + k, c - lo, r, s}), eb);
          }
  }
  return out;
}

/// Winograd-transformed weights u [K, C, 4, 4] -> per group, channel atom,
/// half of the atom (two for exact int8, on int16 lanes), component: [cols][pass lanes].
std::vector<std::uint8_t> pack_winograd_weights(const Layer& l, const AcceleratorConfig& cfg,
                                                const Tensor<std::int16_t>& u) {
  const Precision pass = pass_precision(l);
  const unsigned lanes = cfg.lanes(l.precision), pass_lanes = cfg.lanes(pass), eb = element_bytes(pass);
  const unsigned catoms = (l.in_channels + lanes - 1) / lanes, halves = lanes / pass_lanes;
  std::vector<std::uint8_t> out(std::size_t(l.out_channels) * catoms * weight_positions(l, cfg) * cfg.atom_bytes(), 0);
  std::size_t at = 0;
  for (unsigned k0 = 0; k0 < l.out_channels; k0 += cfg.atomic_k) {
    const unsigned cols = std::min(cfg.atomic_k, l.out_channels - k0);
    for (unsigned ca = 0; ca < catoms; ++ca)
      for (unsigned h = 0; h < halves; ++h)
        for (unsigned comp = 0; comp < 16; ++comp)
          for (unsigned k = 0; k < cols; ++k, at += cfg.atom_bytes())
            for (unsigned i = 0; i < pass_lanes; ++i)
              if (const unsigned c = ca * lanes + h * pass_lanes + i; c < l.in_channels)
                put(&out[at + i * eb], u.at({k0 + k, c, comp / 4, comp % 4}), eb);
  }
  return out;
}

/// 2:4 weights [K, C / groups, R, S] -> kept values per group, unit (2
/// atoms; a grouped layer's span of them), r, s: [cols][lanes]; and the
/// metadata [cols][lanes / 4] in the same block order.
std::pair<std::vector<std::uint8_t>, std::vector<std::uint8_t>> pack_weights_2_4(const Layer& l,
                                                                                const AcceleratorConfig& cfg,
                                                                                const Tensor<std::int16_t>& w) {
  const unsigned lanes = cfg.lanes(l.precision), eb = element_bytes(l.precision), meta_col = (lanes + 3) / 4;
  const unsigned R = l.kernel_h, S = l.kernel_w;
  const ChannelSpan cs = channel_span(l, cfg);
  const std::size_t columns = std::size_t(l.out_channels) * cs.span * R * S;  // block columns in all
  std::vector<std::uint8_t> values(columns * cfg.atom_bytes(), 0), meta(columns * meta_col, 0);
  std::size_t col = 0;
  for (unsigned k0 = 0; k0 < l.out_channels; k0 += cfg.atomic_k) {
    const unsigned cols = std::min(cfg.atomic_k, l.out_channels - k0), first = cs.first_unit(k0 / cfg.atomic_k);
    for (unsigned u = first; u < first + cs.span; ++u)
      for (unsigned r = 0; r < R; ++r)
        for (unsigned s = 0; s < S; ++s)
          for (unsigned k = 0; k < cols; ++k, ++col) {
            const unsigned lo = cs.channel_lo(k0 + k), hi = cs.channel_hi(k0 + k);
            for (unsigned g = 0; g < lanes / 2; ++g) {
              std::array<std::int16_t, 4> group{};
              for (unsigned j = 0; j < 4; ++j) {
                const unsigned c = u * 2 * lanes + 4 * g + j;
                if (c >= lo && c < hi) group[j] = w.at({k0 + k, c - lo, r, s});
              }
              const golden::Group24 kept = golden::pack_2_4(group);
              put(&values[col * cfg.atom_bytes() + (2 * g) * eb], kept.values[0], eb);
              put(&values[col * cfg.atom_bytes() + (2 * g + 1) * eb], kept.values[1], eb);
              meta[col * meta_col + g / 2] = std::uint8_t(meta[col * meta_col + g / 2] | kept.nibble() << (4 * (g % 2)));
            }
          }
  }
  return {std::move(values), std::move(meta)};
}

/// ZVC of a plane of granules (G elements of `eb` bytes each, in order):
/// each granule's non-zeros packed at its front, plus one mask byte per granule.
struct ZvcPlane {
  std::vector<std::uint8_t> values, masks;
  std::vector<unsigned> nonzeros;  ///< per granule
};

/// A little-endian element of 1 or 2 bytes, sign-extended.
std::int16_t get(const std::uint8_t* src, unsigned eb) {
  return eb == 1 ? std::int16_t(std::int8_t(src[0])) : std::int16_t(std::uint16_t(src[0] | src[1] << 8));
}

ZvcPlane zvc_pack(const std::vector<std::uint8_t>& dense, unsigned eb, unsigned G) {
  ZvcPlane z;
  const std::size_t granule_bytes = std::size_t(G) * eb, granules = dense.size() / granule_bytes;
  z.values.assign(dense.size(), 0);
  z.masks.assign(granules, 0);
  z.nonzeros.assign(granules, 0);
  std::vector<std::int16_t> granule(G);
  for (std::size_t g = 0; g < granules; ++g) {
    for (unsigned i = 0; i < G; ++i) granule[i] = get(&dense[g * granule_bytes + std::size_t(i) * eb], eb);
    const golden::ZvcAtom packed = golden::zvc_encode(granule);
    z.masks[g] = packed.mask[0];
    z.nonzeros[g] = unsigned(packed.values.size());
    for (std::size_t n = 0; n < packed.values.size(); ++n) put(&z.values[g * granule_bytes + n * eb], packed.values[n], eb);
  }
  return z;
}

/// The dense plane of a ZVC plane: each granule expanded by golden::zvc_decode.
std::vector<std::uint8_t> zvc_unpack(const std::vector<std::uint8_t>& values, const std::vector<std::uint8_t>& masks,
                                     unsigned eb, unsigned G) {
  const std::size_t granule_bytes = std::size_t(G) * eb, granules = values.size() / granule_bytes;
  std::vector<std::uint8_t> dense(values.size(), 0);
  for (std::size_t g = 0; g < granules; ++g) {
    golden::ZvcAtom packed;
    packed.mask = {masks[g]};
    for (unsigned n = 0; n < std::bitset<8>(masks[g]).count(); ++n)
      packed.values.push_back(get(&values[g * granule_bytes + std::size_t(n) * eb], eb));
    const std::vector<std::int16_t> granule = golden::zvc_decode(packed, G);
    for (unsigned i = 0; i < G; ++i) put(&dense[g * granule_bytes + std::size_t(i) * eb], granule[i], eb);
  }
  return dense;
}

/// The largest fraction of non-zero elements over consecutive spans of
/// `span` granules (rows of a feature map, chunks of weights), as a 1/65536
/// fill hint rounded up; spans are visited by `span_of(index of granule)`.
template <class SpanOf>
std::uint32_t fill_hint(const ZvcPlane& z, unsigned G, std::size_t spans, SpanOf span_of) {
  std::vector<std::uint64_t> nz(spans, 0), all(spans, 0);
  for (std::size_t g = 0; g < z.nonzeros.size(); ++g) {
    const std::size_t s = span_of(g);
    nz[s] += z.nonzeros[g];
    all[s] += G;
  }
  std::uint64_t worst = 0;
  for (std::size_t s = 0; s < spans; ++s)
    if (all[s]) worst = std::max(worst, (nz[s] * 65536 + all[s] - 1) / all[s]);
  return std::uint32_t(std::max<std::uint64_t>(worst, 1));
}

std::vector<std::uint8_t> pack_words(const std::vector<std::int32_t>& v) {
  std::vector<std::uint8_t> out(v.size() * 4);
  for (std::size_t i = 0; i < v.size(); ++i) put(&out[4 * i], v[i], 4);
  return out;
}

std::uint64_t ceil_div(std::uint64_t a, std::uint64_t b) { return (a + b - 1) / b; }

/// Why `l` cannot read the output of `p`, the layer before it in a chain: each
/// rule that fails, said exactly ("" when it can).
std::string chain_error(const Layer& p, const Layer& l) {
  std::vector<std::string> failed;
  if (!p.activation_output())
    failed.push_back(fmt::format("'{}' is not post-processed (it has no \"post\" section), so it writes raw {} "
                                 "sums, not {} activations",
                                 p.name, p.precision == Precision::int8 ? "int32" : "int64", to_string(p.precision)));
  if (p.op == Op::pool && l.activation_format == TensorFormat::zvc)
    failed.push_back(fmt::format("'{}' is a pool layer, whose output the pooling unit writes dense, but '{}' reads "
                                 "its input compressed (activation_format \"zvc\"): make it \"dense\"",
                                 p.name, l.name));
  if (p.precision != l.precision)
    failed.push_back(fmt::format("'{}' is {} but '{}' is {}: chained layers need the same precision", p.name,
                                 to_string(p.precision), l.name, to_string(l.precision)));
  const unsigned out[3] = {p.out_channels, p.out_height(), p.out_width()};
  const unsigned in[3] = {l.in_channels, l.in_height, l.in_width};
  const char* const dims[3] = {"channels", "height", "width"};
  std::vector<std::string> differ;
  for (int d = 0; d < 3; ++d)
    if (out[d] != in[d]) differ.push_back(fmt::format("{} {} vs {}", dims[d], out[d], in[d]));
  if (!differ.empty())
    failed.push_back(fmt::format("the output [{}, {}, {}] of '{}' is not the input [{}, {}, {}] of '{}' ({})", out[0],
                                 out[1], out[2], p.name, in[0], in[1], in[2], l.name, fmt::join(differ, ", ")));
  if (failed.empty()) return "";
  return fmt::format("layer '{}' cannot follow '{}': {}", l.name, p.name, fmt::join(failed, "; "));
}


/// Where a layer's input lies.
struct LayerInput {
  std::uint64_t addr = 0, mask = 0;  ///< values; ZVC masks (0: dense)
  std::uint32_t fill = 0;            ///< ZVC fill hint
};

/// Bump allocation of a DRAM image: regions aligned to 256 bytes.
struct ImageAllocator {
  Program& prog;
  std::uint64_t next_free;
  std::uint64_t place(std::vector<std::uint8_t> bytes) {
    const std::uint64_t addr = next_free;
    next_free = align(addr + bytes.size());
    prog.segments.push_back({addr, std::move(bytes)});
    return addr;
  }
  std::uint64_t reserve(std::uint64_t bytes) {
    const std::uint64_t addr = next_free;
    next_free = align(addr + bytes);
    return addr;
  }
};

/// Shapes and ranges of a layer's weights, bias and residual.
void check_operands(const Layer& l, const LayerOperands& ops) {
  const Shape want_w{l.out_channels, l.group_channels(), l.kernel_h, l.kernel_w};
  if (l.op == Op::pool && !ops.weights.values().empty())
    throw LayerError(fmt::format("layer '{}': a pool layer has no weights, but it was given a tensor of shape {}",
                                 l.name, to_string(ops.weights.shape())));
  if (l.op != Op::pool && ops.weights.shape() != want_w)
    throw LayerError(fmt::format("layer '{}': weights have shape {}, the layer needs {}", l.name,
                                 to_string(ops.weights.shape()), to_string(want_w)));
  if (!ops.bias.values().empty() && ops.bias.shape() != Shape{l.out_channels})
    throw LayerError(fmt::format("layer '{}': bias has shape {}, the layer needs [{}]", l.name,
                                 to_string(ops.bias.shape()), l.out_channels));
  check_range(l, ops.weights, "weight");
  const Shape want_r{l.out_channels, l.out_height(), l.out_width()};
  if (l.residual && ops.residual.shape() != want_r)
    throw LayerError(fmt::format("layer '{}': residual has shape {}, the layer needs {}", l.name,
                                 to_string(ops.residual.shape()), to_string(want_r)));
  if (!l.residual && !ops.residual.values().empty())
    throw LayerError(fmt::format("layer '{}': a residual tensor was given, but the layer has no residual add "
                                 "(Layer::residual)",
                                 l.name));
}

/// Everything of one (resolved, valid) layer but its input: weights, the
/// output region (placed zeroed, unless `output` gives one), post-processing
/// parameters and the descriptor's place; `residual` is the added tensor's
/// address (residual layers). The descriptor's `next` is left 0.
std::pair<CompiledLayer, LayerDescriptor> compile_layer(const AcceleratorConfig& cfg, Layer l,
                                                        const LayerOperands& ops, const LayerInput& in,
                                                        std::uint64_t output, std::uint64_t residual,
                                                        ImageAllocator& image) {
  const unsigned lanes = cfg.lanes(l.precision);
  CompiledLayer cl;
  cl.layer = l;
  cl.channel_pad = lanes;
  cl.input = in.addr;
  std::vector<std::uint8_t> winograd_weights;
  if (l.uses_winograd()) {
    // Pre-transformed on the host, as NVDLA's compiler does; the shift sets nvdla's output scale.
    const auto u = golden::winograd_weights(ops.weights, l.precision, golden::WinogradMode(l.winograd));
    l.winograd_weight_shift = u.weight_shift;
    winograd_weights = pack_winograd_weights(l, cfg, u.u);
    cl.layer = l;
  }
  LayerDescriptor d = LayerDescriptor::from_layer(l);
  d.input_mask_addr = in.mask;
  d.input_fill = in.fill;
  if (l.op == Op::pool) {
    // The pooling unit has no weights: weight_addr stays 0.
  } else if (l.uses_winograd()) {
    cl.weights = image.place(std::move(winograd_weights));
  } else if (l.weight_format == TensorFormat::sparse_2_4) {
    try {
      golden::check_2_4(ops.weights);
    } catch (const golden::FormatError& e) {
      throw LayerError(fmt::format("layer '{}': weight_format is 2:4 but {} (prune them with --prune 2:4)", l.name,
                                   e.what()));
    }
    auto [values, meta] = pack_weights_2_4(l, cfg, ops.weights);
    cl.weights = image.place(std::move(values));
    d.weight_meta_addr = image.place(std::move(meta));
  } else if (l.weight_format == TensorFormat::zvc) {
    // A grouped layer's groups store only the span of atoms they visit.
    const unsigned G = zvc_granule(lanes), atoms = channel_span(l, cfg).span;
    ZvcPlane z = zvc_pack(pack_weights(l, cfg, ops.weights), element_bytes(l.precision), G);
    // Fill per chunk (group, channel atom): what a step loads at once.
    const std::size_t rs = std::size_t(l.kernel_h) * l.kernel_w, per_col = lanes / G;
    const std::size_t groups = (l.out_channels + cfg.atomic_k - 1) / cfg.atomic_k;
    d.weight_fill = fill_hint(z, G, groups * atoms, [&](std::size_t g) {
      const std::size_t col = g / per_col, group_cols = std::size_t(cfg.atomic_k) * atoms * rs;
      const std::size_t kg = col / group_cols, cols = std::min<std::size_t>(cfg.atomic_k, l.out_channels - kg * cfg.atomic_k);
      return kg * atoms + (col - kg * group_cols) / (rs * cols);
    });
    cl.weights = image.place(std::move(z.values));
    d.weight_meta_addr = image.place(std::move(z.masks));
  } else {
    cl.weights = image.place(pack_weights(l, cfg, ops.weights));
  }
  cl.output_element_bytes = output_element_bytes(l);
  cl.output_bytes = std::uint64_t(l.out_height()) * l.out_width() * round_up(l.out_channels, lanes) *
                    cl.output_element_bytes;
  // Outputs start zeroed so padded channels read as zeros in the next layer.
  cl.output = output ? output : image.place(std::vector<std::uint8_t>(cl.output_bytes, 0));
  cl.residual = residual;
  d.residual_addr = residual;
  d.input_addr = cl.input;
  d.weight_addr = cl.weights;
  d.output_addr = cl.output;
  if (l.post.enabled) {
    std::vector<std::int32_t> mult(l.out_channels), bias(l.out_channels, 0);
    std::vector<std::uint8_t> shift(l.out_channels);
    for (unsigned k = 0; k < l.out_channels; ++k) {
      mult[k] = l.post.multiplier_for(k);
      shift[k] = std::uint8_t(l.post.shift_for(k));
      if (!ops.bias.values().empty()) bias[k] = ops.bias.data()[k];
    }
    d.bias_addr = image.place(pack_words(bias));
    d.multiplier_addr = image.place(pack_words(mult));
    d.shift_addr = image.place(std::move(shift));
  }
  cl.descriptor = image.reserve(LayerDescriptor::BYTES);
  return {cl, d};
}

/// Links the descriptors of each run by `next` and places them.
void place_descriptors(Program& prog, std::vector<LayerDescriptor>& descs, const std::vector<std::size_t>& run_first) {
  for (std::size_t i = 0; i < descs.size(); ++i) {
    const bool last_of_run = i + 1 == descs.size() || std::count(run_first.begin(), run_first.end(), i + 1);
    descs[i].next = last_of_run ? 0 : prog.layers[i + 1].descriptor;
    const auto bytes = descs[i].encode();
    prog.segments.push_back({prog.layers[i].descriptor, std::vector<std::uint8_t>(bytes.begin(), bytes.end())});
  }
}

}  // namespace

std::string bytes_text(std::uint64_t bytes) {
  return fmt::format("{} bytes ({:.1f} GiB)", bytes, double(bytes) / double(std::uint64_t(1) << 30));
}

ImageBytes image_bytes(const AcceleratorConfig& cfg, const std::vector<Layer>& layers, std::size_t index) {
  Layer l = layers.at(index);
  try {
    l = resolve_winograd(l);
  } catch (const LayerError&) {
    l.winograd = Winograd::off;  // compile_network rejects it; size it as direct
  }
  ImageBytes b;
  // The sizes compile_network computes, in 64 bits (no product of 16-bit fields can overflow).
  const std::uint64_t lanes = cfg.lanes(l.precision), eb = element_bytes(l.precision), G = zvc_granule(unsigned(lanes));
  const std::uint64_t C = l.in_channels, K = l.out_channels, R = l.kernel_h, S = l.kernel_w;
  const std::uint64_t atoms = ceil_div(C, lanes), atom = cfg.atom_bytes();
  // Channel units each group of atomic_k output channels stores: all of them for groups 1.
  const std::uint64_t span = channel_span(l, cfg).span;
  auto region = [&](std::uint64_t bytes) { b.image += align(bytes); };
  /// A ZVC plane of `dense` bytes: values and masks in the image; the dense
  /// plane, per-granule counts and per-span fill sums on the side.
  auto zvc = [&](std::uint64_t dense, std::uint64_t spans) {
    const std::uint64_t granules = dense / (G * eb);
    region(dense);
    region(granules);
    b.scratch += dense + granules * sizeof(unsigned) + spans * 16;
  };
  if (index == 0) {
    const std::uint64_t plane = std::uint64_t(l.in_height) * l.in_width * atoms * lanes * eb;
    if (l.activation_format == TensorFormat::zvc) zvc(plane, l.in_height * atoms);
    else region(plane);
  }
  if (l.op == Op::pool) {
    // The pooling unit has no weights.
  } else if (l.uses_winograd()) {
    region(K * atoms * weight_positions(l, cfg) * atom);
    b.scratch += K * C * 16 * (sizeof(std::int64_t) + sizeof(std::int16_t));  // U' in int64, then U in int16
  } else if (l.weight_format == TensorFormat::sparse_2_4) {
    const std::uint64_t columns = K * span * R * S;  // span: units of two atoms
    region(columns * atom);
    region(columns * ceil_div(lanes, 4));
  } else if (l.weight_format == TensorFormat::zvc) {
    zvc(K * span * R * S * atom, ceil_div(K, cfg.atomic_k) * span);
  } else {
    region(K * span * R * S * atom);
  }
  const std::uint64_t out_eb = output_element_bytes(l);
  const std::uint64_t output = std::uint64_t(l.out_height()) * l.out_width() * ceil_div(K, lanes) * lanes * out_eb;
  region(output);
  if (l.residual) region(output / out_eb * eb);  // the residual tensor: the output's layout, int8/int16
  if (index + 1 < layers.size() && layers[index + 1].activation_format == TensorFormat::zvc)
    region(output / out_eb / zvc_granule(cfg.lanes(layers[index + 1].precision)));
  if (l.post.enabled) {
    region(K * 4);  // bias
    region(K * 4);  // multipliers
    region(K);      // shifts
  }
  region(LayerDescriptor::BYTES);
  return b;
}

Program compile_network(const AcceleratorConfig& cfg, const std::vector<Layer>& layers,
                        const Tensor<std::int16_t>& input, const std::vector<LayerOperands>& operands,
                        std::uint64_t base) {
  if (layers.empty()) throw LayerError("no layers to compile");
  if (operands.size() != layers.size())
    throw LayerError(fmt::format("{} layers but {} operand sets", layers.size(), operands.size()));
  Program prog;
  ImageAllocator image{prog, align(base)};

  // The image is built in host memory: refuse, before packing anything, what
  // the budget cannot hold (regions so far plus the layer's packing scratch).
  std::uint64_t image_total = 0;
  for (std::size_t i = 0; i < layers.size(); ++i) {
    layers[i].validate();  // the sizes below assume a valid layer
    const ImageBytes b = image_bytes(cfg, layers, i);
    image_total += b.image;
    if (image_total + b.scratch > kHostMemoryBudget)
      throw LayerError(fmt::format("layer '{}': compiling it needs {} of host memory ({} of DRAM image{} with "
                                   "channels padded to {} lanes, plus {} of packing scratch), more than the "
                                   "host-memory budget of {}",
                                   layers[i].name, bytes_text(image_total + b.scratch), bytes_text(image_total),
                                   i ? " for it and the layers before it," : "", cfg.lanes(layers[i].precision),
                                   bytes_text(b.scratch), bytes_text(kHostMemoryBudget)));
  }

  std::vector<LayerDescriptor> descs;
  for (std::size_t i = 0; i < layers.size(); ++i) {
    Layer l = resolve_winograd(layers[i]);
    l.validate();
    const unsigned lanes = cfg.lanes(l.precision);
    check_operands(l, operands[i]);
    LayerInput in;
    if (i == 0) {
      const Shape want_x{l.in_channels, l.in_height, l.in_width};
      if (input.shape() != want_x)
        throw LayerError(fmt::format("layer '{}': input has shape {}, the layer needs {}", l.name,
                                     to_string(input.shape()), to_string(want_x)));
      check_range(l, input, "input");
      if (l.activation_format == TensorFormat::zvc) {
        const unsigned G = zvc_granule(lanes), atoms = (l.in_channels + lanes - 1) / lanes;
        ZvcPlane z = zvc_pack(pack_feature_map(input, lanes, l.precision), element_bytes(l.precision), G);
        // Fill per input row and channel atom: what bounds a full-width window.
        const std::size_t per_atom = lanes / G, per_pixel = std::size_t(atoms) * per_atom;
        in.fill = fill_hint(z, G, std::size_t(l.in_height) * atoms, [&](std::size_t g) {
          return g / (per_pixel * l.in_width) * atoms + g % per_pixel / per_atom;
        });
        in.addr = image.place(std::move(z.values));
        in.mask = image.place(std::move(z.masks));
      } else {
        in.addr = image.place(pack_feature_map(input, lanes, l.precision));
      }
    } else {
      const CompiledLayer& prev = prog.layers.back();
      const Layer& p = prev.layer;
      if (const std::string why = chain_error(p, l); !why.empty()) throw LayerError(why);
      in.addr = prev.output;
      if (l.activation_format == TensorFormat::zvc) {
        // The previous layer writes its output compressed for this one.
        CompiledLayer& p_out = prog.layers.back();
        p_out.output_mask_bytes = p_out.output_bytes / p_out.output_element_bytes / zvc_granule(lanes);
        p_out.output_mask = image.place(std::vector<std::uint8_t>(p_out.output_mask_bytes, 0));  // zeroed: padded granules are never written
        descs.back().formats |= LayerDescriptor::FORMAT_OUTPUT_ZVC;
        descs.back().output_mask_addr = p_out.output_mask;
        in.mask = p_out.output_mask;
      }
    }
    std::uint64_t residual = 0;
    if (l.residual) {
      // A dense feature map [P][Q][Kp] of the layer's precision, as a post-processed output is laid out.
      check_range(l, operands[i].residual, "residual");
      residual = image.place(pack_feature_map(operands[i].residual, lanes, l.precision));
    }
    auto [cl, d] = compile_layer(cfg, l, operands[i], in, 0, residual, image);
    descs.push_back(d);
    prog.layers.push_back(cl);
  }
  place_descriptors(prog, descs, {0});
  prog.entry = prog.layers.front().descriptor;
  prog.end = image.next_free;
  return prog;
}

GraphProgram compile_graph(const AcceleratorConfig& cfg, const std::vector<GraphTensor>& tensors,
                           const std::vector<GraphLayer>& layers, const std::vector<LayerOperands>& operands,
                           const std::vector<std::size_t>& run_first, std::uint64_t base) {
  if (layers.empty()) throw LayerError("no layers to compile");
  if (operands.size() != layers.size())
    throw LayerError(fmt::format("{} layers but {} operand sets", layers.size(), operands.size()));
  if (run_first.empty() || run_first[0] != 0 || !std::is_sorted(run_first.begin(), run_first.end()) ||
      run_first.back() >= layers.size() || std::adjacent_find(run_first.begin(), run_first.end()) != run_first.end())
    throw LayerError("the runs of a graph must start at layer 0 and at increasing layers");
  const Precision p = layers.front().layer.precision;
  const unsigned lanes = cfg.lanes(p);
  GraphProgram g;
  Program& prog = g.image;
  ImageAllocator image{prog, align(base)};
  // Every tensor in its own dense region, budget first.
  std::uint64_t bytes = 0;
  for (const GraphTensor& t : tensors) {
    g.tensor_bytes.push_back(std::uint64_t(t.height) * t.width * round_up(t.channels, lanes) * element_bytes(p));
    bytes += align(g.tensor_bytes.back());
  }
  for (std::size_t i = 0; i < layers.size(); ++i) {
    layers[i].layer.validate();
    bytes += image_bytes(cfg, {layers[i].layer}, 0).image;
  }
  if (bytes > kHostMemoryBudget)
    throw LayerError(fmt::format("the graph needs {} of DRAM image (channels padded to {} lanes), more than the "
                                 "host-memory budget of {}",
                                 bytes_text(bytes), lanes, bytes_text(kHostMemoryBudget)));
  for (std::size_t t = 0; t < tensors.size(); ++t) {
    const GraphTensor& gt = tensors[t];
    if (gt.values) {
      if (gt.values->shape() != Shape{gt.channels, gt.height, gt.width})
        throw LayerError(fmt::format("graph tensor {}: values have shape {}, the tensor is [{}, {}, {}]", t,
                                     to_string(gt.values->shape()), gt.channels, gt.height, gt.width));
      Layer range;
      range.name = fmt::format("graph tensor {}", t);
      range.precision = p;
      check_range(range, *gt.values, "input");
      g.tensor_addr.push_back(image.place(pack_feature_map(*gt.values, lanes, p)));
    } else {
      g.tensor_addr.push_back(image.place(std::vector<std::uint8_t>(g.tensor_bytes[t], 0)));
    }
  }
  std::vector<LayerDescriptor> descs;
  for (std::size_t i = 0; i < layers.size(); ++i) {
    const GraphLayer& gl = layers[i];
    const Layer l = resolve_winograd(gl.layer);
    l.validate();
    if (l.precision != p)
      throw LayerError(fmt::format("layer '{}' is {}, the graph is {}", l.name, to_string(l.precision), to_string(p)));
    if (!l.activation_output())
      throw LayerError(fmt::format("layer '{}' writes raw sums: a graph's layers are post-processed", l.name));
    if (l.activation_format != TensorFormat::dense)
      throw LayerError(fmt::format("layer '{}': a graph's tensors are dense", l.name));
    auto tensor = [&](std::size_t t, const char* what, unsigned c, unsigned h, unsigned w) {
      if (t >= tensors.size())
        throw LayerError(fmt::format("layer '{}': its {} is tensor {}, the graph has {}", l.name, what, t, tensors.size()));
      const GraphTensor& gt = tensors[t];
      if (gt.channels != c || gt.height != h || gt.width != w)
        throw LayerError(fmt::format("layer '{}': its {} needs [{}, {}, {}], tensor {} is [{}, {}, {}]", l.name, what, c,
                                     h, w, t, gt.channels, gt.height, gt.width));
      return g.tensor_addr[t];
    };
    check_operands(l, operands[i]);
    LayerInput in;
    in.addr = tensor(gl.input, "input", l.in_channels, l.in_height, l.in_width);
    const std::uint64_t out = tensor(gl.output, "output", l.out_channels, l.out_height(), l.out_width());
    std::uint64_t residual = 0;
    if (l.residual) residual = tensor(gl.residual, "residual", l.out_channels, l.out_height(), l.out_width());
    LayerOperands ops;  // the residual lives in the graph's tensors
    ops.weights = operands[i].weights;
    ops.bias = operands[i].bias;
    auto [cl, d] = compile_layer(cfg, l, ops, in, out, residual, image);
    descs.push_back(d);
    prog.layers.push_back(cl);
  }
  place_descriptors(prog, descs, run_first);
  g.first = run_first;
  for (std::size_t f : run_first) g.entries.push_back(prog.layers[f].descriptor);
  prog.entry = g.entries.front();
  prog.end = image.next_free;
  return g;
}

std::vector<std::uint8_t> pack_feature_map(const Tensor<std::int16_t>& x, unsigned lanes, Precision p) {
  const std::size_t C = x.dim(0), H = x.dim(1), W = x.dim(2), cp = round_up(unsigned(C), lanes);
  const unsigned eb = element_bytes(p);
  std::vector<std::uint8_t> out(H * W * cp * eb, 0);
  const std::int16_t* src = x.data();
  for (std::size_t c = 0; c < C; ++c)
    for (std::size_t i = 0; i < H * W; ++i) put(&out[(i * cp + c) * eb], src[c * H * W + i], eb);
  return out;
}

Tensor<std::int16_t> unpack_feature_map(const std::vector<std::uint8_t>& bytes, unsigned channels, unsigned height,
                                        unsigned width, unsigned lanes, Precision p) {
  const std::size_t pixels = std::size_t(height) * width, cp = round_up(channels, lanes);
  const unsigned eb = element_bytes(p);
  if (bytes.size() < pixels * cp * eb)
    throw LayerError(fmt::format("feature map [{}, {}, {}]: {} bytes, expected {}", channels, height, width,
                                 bytes.size(), pixels * cp * eb));
  Tensor<std::int16_t> x({channels, height, width});
  for (std::size_t c = 0; c < channels; ++c)
    for (std::size_t i = 0; i < pixels; ++i) x.data()[c * pixels + i] = get(&bytes[(i * cp + c) * eb], eb);
  return x;
}

Tensor<std::int64_t> unpack_output(const CompiledLayer& cl, const std::vector<std::uint8_t>& bytes,
                                   const std::vector<std::uint8_t>& masks) {
  const Layer& l = cl.layer;
  const unsigned K = l.out_channels, P = l.out_height(), Q = l.out_width();
  const unsigned kp = round_up(K, cl.channel_pad), eb = cl.output_element_bytes;
  if (bytes.size() < cl.output_bytes)
    throw LayerError(fmt::format("layer '{}': {} output bytes, expected {}", l.name, bytes.size(), cl.output_bytes));
  const unsigned G = zvc_granule(cl.channel_pad);
  if (!masks.empty() && (eb > 2 || masks.size() < cl.output_bytes / eb / G))
    throw LayerError(fmt::format("layer '{}': {} output mask bytes for {}-byte elements, expected {} for 1 or 2",
                                 l.name, masks.size(), eb, cl.output_bytes / eb / G));
  std::vector<std::uint8_t> expanded;
  if (!masks.empty())
    expanded = zvc_unpack(std::vector<std::uint8_t>(bytes.begin(), bytes.begin() + std::ptrdiff_t(cl.output_bytes)),
                          masks, eb, G);
  const std::vector<std::uint8_t>& plane = masks.empty() ? bytes : expanded;
  Tensor<std::int64_t> y({K, P, Q});
  // DRAM holds [pixel][channel]; the tensor is [channel][pixel]: written in order.
  const std::size_t pixels = std::size_t(P) * Q;
  const unsigned shift = 64 - 8 * eb;  // sign-extend
  std::int64_t* out = y.data();
  if (eb == 1) {  // the common case, pixel by pixel as DRAM holds it
    for (std::size_t i = 0; i < pixels; ++i)
      for (unsigned k = 0; k < K; ++k) out[k * pixels + i] = std::int8_t(plane[i * kp + k]);
    return y;
  }
  for (std::size_t i = 0; i < pixels; ++i)
    for (unsigned k = 0; k < K; ++k) {
      const std::uint8_t* src = &plane[(i * kp + k) * eb];
      std::uint64_t v = 0;
      for (unsigned b = 0; b < eb; ++b) v |= std::uint64_t(src[b]) << (8 * b);
      out[k * pixels + i] = std::int64_t(v << shift) >> shift;
    }
  return y;
}

}  // namespace sdla
