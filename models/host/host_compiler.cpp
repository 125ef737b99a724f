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

/// Feature map [C, H, W] -> [H][W][Cp].
std::vector<std::uint8_t> pack_feature(const Layer& l, const Tensor<std::int16_t>& x, unsigned lanes) {
  const unsigned C = l.in_channels, H = l.in_height, W = l.in_width, cp = round_up(C, lanes);
  const unsigned eb = element_bytes(l.precision);
  std::vector<std::uint8_t> out(std::size_t(H) * W * cp * eb, 0);
  for (unsigned c = 0; c < C; ++c)
    for (unsigned h = 0; h < H; ++h)
      for (unsigned w = 0; w < W; ++w)
        put(&out[((std::size_t(h) * W + w) * cp + c) * eb], x.at({c, h, w}), eb);
  return out;
}

/// Weights [K, C, R, S] -> per group, channel atom, r, s: [cols][lanes].
std::vector<std::uint8_t> pack_weights(const Layer& l, const AcceleratorConfig& cfg, const Tensor<std::int16_t>& w) {
  const unsigned lanes = cfg.lanes(l.precision), eb = element_bytes(l.precision);
  const unsigned catoms = (l.in_channels + lanes - 1) / lanes, R = l.kernel_h, S = l.kernel_w;
  std::vector<std::uint8_t> out(std::size_t(l.out_channels) * catoms * R * S * cfg.atom_bytes(), 0);
  std::size_t at = 0;
  for (unsigned k0 = 0; k0 < l.out_channels; k0 += cfg.atomic_k) {
    const unsigned cols = std::min(cfg.atomic_k, l.out_channels - k0);
    for (unsigned ca = 0; ca < catoms; ++ca)
      for (unsigned r = 0; r < R; ++r)
        for (unsigned s = 0; s < S; ++s)
          for (unsigned k = 0; k < cols; ++k, at += cfg.atom_bytes())
            for (unsigned i = 0; i < lanes && ca * lanes + i < l.in_channels; ++i)
              put(&out[at + i * eb], w.at({k0 + k, ca * lanes + i, r, s}), eb);
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

/// 2:4 weights [K, C, R, S] -> kept values per group, unit (2 atoms), r, s:
/// [cols][lanes]; and the metadata [cols][lanes / 4] in the same block order.
std::pair<std::vector<std::uint8_t>, std::vector<std::uint8_t>> pack_weights_2_4(const Layer& l,
                                                                                const AcceleratorConfig& cfg,
                                                                                const Tensor<std::int16_t>& w) {
  const unsigned lanes = cfg.lanes(l.precision), eb = element_bytes(l.precision), meta_col = (lanes + 3) / 4;
  const unsigned atoms = (l.in_channels + lanes - 1) / lanes, units = (atoms + 1) / 2, R = l.kernel_h, S = l.kernel_w;
  const std::size_t columns = std::size_t(l.out_channels) * units * R * S;  // block columns in all
  std::vector<std::uint8_t> values(columns * cfg.atom_bytes(), 0), meta(columns * meta_col, 0);
  std::size_t col = 0;
  for (unsigned k0 = 0; k0 < l.out_channels; k0 += cfg.atomic_k) {
    const unsigned cols = std::min(cfg.atomic_k, l.out_channels - k0);
    for (unsigned u = 0; u < units; ++u)
      for (unsigned r = 0; r < R; ++r)
        for (unsigned s = 0; s < S; ++s)
          for (unsigned k = 0; k < cols; ++k, ++col)
            for (unsigned g = 0; g < lanes / 2; ++g) {
              std::array<std::int16_t, 4> group{};
              for (unsigned j = 0; j < 4; ++j) {
                const unsigned c = u * 2 * lanes + 4 * g + j;
                if (c < l.in_channels) group[j] = w.at({k0 + k, c, r, s});
              }
              const golden::Group24 kept = golden::pack_2_4(group);
              put(&values[col * cfg.atom_bytes() + (2 * g) * eb], kept.values[0], eb);
              put(&values[col * cfg.atom_bytes() + (2 * g + 1) * eb], kept.values[1], eb);
              meta[col * meta_col + g / 2] = std::uint8_t(meta[col * meta_col + g / 2] | kept.nibble() << (4 * (g % 2)));
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
  if (!p.post.enabled)
    failed.push_back(fmt::format("'{}' is not post-processed (it has no \"post\" section), so it writes raw {} "
                                 "sums, not {} activations",
                                 p.name, p.precision == Precision::int8 ? "int32" : "int64", to_string(p.precision)));
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
  if (l.uses_winograd()) {
    region(K * atoms * weight_positions(l, cfg) * atom);
    b.scratch += K * C * 16 * (sizeof(std::int64_t) + sizeof(std::int16_t));  // U' in int64, then U in int16
  } else if (l.weight_format == TensorFormat::sparse_2_4) {
    const std::uint64_t columns = K * ceil_div(atoms, 2) * R * S;
    region(columns * atom);
    region(columns * ceil_div(lanes, 4));
  } else if (l.weight_format == TensorFormat::zvc) {
    zvc(K * atoms * R * S * atom, ceil_div(K, cfg.atomic_k) * atoms);
  } else {
    region(K * atoms * R * S * atom);
  }
  const std::uint64_t out_eb = l.post.enabled ? eb : accumulator_bytes(l.precision);
  const std::uint64_t output = std::uint64_t(l.out_height()) * l.out_width() * ceil_div(K, lanes) * lanes * out_eb;
  region(output);
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
  std::uint64_t next_free = align(base);
  auto place = [&](std::vector<std::uint8_t> bytes) {
    const std::uint64_t addr = next_free;
    next_free = align(addr + bytes.size());
    prog.segments.push_back({addr, std::move(bytes)});
    return addr;
  };
  auto reserve = [&](std::uint64_t bytes) {
    const std::uint64_t addr = next_free;
    next_free = align(addr + bytes);
    return addr;
  };

  // The image is built in host memory: refuse, before packing anything, what
  // the budget cannot hold (regions so far plus the layer's packing scratch).
  std::uint64_t image = 0;
  for (std::size_t i = 0; i < layers.size(); ++i) {
    layers[i].validate();  // the sizes below assume a valid layer
    const ImageBytes b = image_bytes(cfg, layers, i);
    image += b.image;
    if (image + b.scratch > kHostMemoryBudget)
      throw LayerError(fmt::format("layer '{}': compiling it needs {} of host memory ({} of DRAM image{} with "
                                   "channels padded to {} lanes, plus {} of packing scratch), more than the "
                                   "host-memory budget of {}",
                                   layers[i].name, bytes_text(image + b.scratch), bytes_text(image),
                                   i ? " for it and the layers before it," : "", cfg.lanes(layers[i].precision),
                                   bytes_text(b.scratch), bytes_text(kHostMemoryBudget)));
  }

  std::vector<LayerDescriptor> descs;
  for (std::size_t i = 0; i < layers.size(); ++i) {
    Layer l = resolve_winograd(layers[i]);
    l.validate();
    const unsigned lanes = cfg.lanes(l.precision);
    const Shape want_w{l.out_channels, l.in_channels, l.kernel_h, l.kernel_w};
    if (operands[i].weights.shape() != want_w)
      throw LayerError(fmt::format("layer '{}': weights have shape {}, the layer needs {}", l.name,
                                   to_string(operands[i].weights.shape()), to_string(want_w)));
    if (!operands[i].bias.values().empty() && operands[i].bias.shape() != Shape{l.out_channels})
      throw LayerError(fmt::format("layer '{}': bias has shape {}, the layer needs [{}]", l.name,
                                   to_string(operands[i].bias.shape()), l.out_channels));
    check_range(l, operands[i].weights, "weight");
    CompiledLayer cl;
    cl.layer = l;
    cl.channel_pad = lanes;
    std::uint64_t d_input_mask = 0;
    std::uint32_t d_input_fill = 0;
    if (i == 0) {
      const Shape want_x{l.in_channels, l.in_height, l.in_width};
      if (input.shape() != want_x)
        throw LayerError(fmt::format("layer '{}': input has shape {}, the layer needs {}", l.name,
                                     to_string(input.shape()), to_string(want_x)));
      check_range(l, input, "input");
      if (l.activation_format == TensorFormat::zvc) {
        const unsigned G = zvc_granule(lanes), atoms = (l.in_channels + lanes - 1) / lanes;
        ZvcPlane z = zvc_pack(pack_feature(l, input, lanes), element_bytes(l.precision), G);
        // Fill per input row and channel atom: what bounds a full-width window.
        const std::size_t per_atom = lanes / G, per_pixel = std::size_t(atoms) * per_atom;
        d_input_fill = fill_hint(z, G, std::size_t(l.in_height) * atoms, [&](std::size_t g) {
          return g / (per_pixel * l.in_width) * atoms + g % per_pixel / per_atom;
        });
        cl.input = place(std::move(z.values));
        d_input_mask = place(std::move(z.masks));
      } else {
        cl.input = place(pack_feature(l, input, lanes));
      }
    } else {
      const CompiledLayer& prev = prog.layers.back();
      const Layer& p = prev.layer;
      if (const std::string why = chain_error(p, l); !why.empty()) throw LayerError(why);
      cl.input = prev.output;
      if (l.activation_format == TensorFormat::zvc) {
        // The previous layer writes its output compressed for this one.
        CompiledLayer& p_out = prog.layers.back();
        p_out.output_mask_bytes = p_out.output_bytes / p_out.output_element_bytes / zvc_granule(lanes);
        p_out.output_mask = place(std::vector<std::uint8_t>(p_out.output_mask_bytes, 0));  // zeroed: padded granules are never written
        descs.back().formats |= LayerDescriptor::FORMAT_OUTPUT_ZVC;
        descs.back().output_mask_addr = p_out.output_mask;
        d_input_mask = p_out.output_mask;
      }
    }
    std::vector<std::uint8_t> winograd_weights;
    if (l.uses_winograd()) {
      // Pre-transformed on the host, as NVDLA's compiler does; the shift sets nvdla's output scale.
      const auto u = golden::winograd_weights(operands[i].weights, l.precision, golden::WinogradMode(l.winograd));
      l.winograd_weight_shift = u.weight_shift;
      winograd_weights = pack_winograd_weights(l, cfg, u.u);
      cl.layer = l;
    }
    LayerDescriptor d = LayerDescriptor::from_layer(l);
    d.input_mask_addr = d_input_mask;
    d.input_fill = d_input_fill;
    if (l.uses_winograd()) {
      cl.weights = place(std::move(winograd_weights));
    } else if (l.weight_format == TensorFormat::sparse_2_4) {
      try {
        golden::check_2_4(operands[i].weights);
      } catch (const golden::FormatError& e) {
        throw LayerError(fmt::format("layer '{}': weight_format is 2:4 but {} (prune them with --prune 2:4)", l.name,
                                     e.what()));
      }
      auto [values, meta] = pack_weights_2_4(l, cfg, operands[i].weights);
      cl.weights = place(std::move(values));
      d.weight_meta_addr = place(std::move(meta));
    } else if (l.weight_format == TensorFormat::zvc) {
      const unsigned G = zvc_granule(lanes), atoms = (l.in_channels + lanes - 1) / lanes;
      ZvcPlane z = zvc_pack(pack_weights(l, cfg, operands[i].weights), element_bytes(l.precision), G);
      // Fill per chunk (group, channel atom): what a step loads at once.
      const std::size_t rs = std::size_t(l.kernel_h) * l.kernel_w, per_col = lanes / G;
      const std::size_t groups = (l.out_channels + cfg.atomic_k - 1) / cfg.atomic_k;
      d.weight_fill = fill_hint(z, G, groups * atoms, [&](std::size_t g) {
        const std::size_t col = g / per_col, group_cols = std::size_t(cfg.atomic_k) * atoms * rs;
        const std::size_t kg = col / group_cols, cols = std::min<std::size_t>(cfg.atomic_k, l.out_channels - kg * cfg.atomic_k);
        return kg * atoms + (col - kg * group_cols) / (rs * cols);
      });
      cl.weights = place(std::move(z.values));
      d.weight_meta_addr = place(std::move(z.masks));
    } else {
      cl.weights = place(pack_weights(l, cfg, operands[i].weights));
    }
    cl.output_element_bytes = l.post.enabled ? element_bytes(l.precision) : accumulator_bytes(l.precision);
    cl.output_bytes = std::uint64_t(l.out_height()) * l.out_width() * round_up(l.out_channels, lanes) *
                      cl.output_element_bytes;
    // Outputs start zeroed so padded channels read as zeros in the next layer.
    cl.output = place(std::vector<std::uint8_t>(cl.output_bytes, 0));

    d.input_addr = cl.input;
    d.weight_addr = cl.weights;
    d.output_addr = cl.output;
    if (l.post.enabled) {
      std::vector<std::int32_t> mult(l.out_channels), bias(l.out_channels, 0);
      std::vector<std::uint8_t> shift(l.out_channels);
      for (unsigned k = 0; k < l.out_channels; ++k) {
        mult[k] = l.post.multiplier_for(k);
        shift[k] = std::uint8_t(l.post.shift_for(k));
        if (!operands[i].bias.values().empty()) bias[k] = operands[i].bias.data()[k];
      }
      d.bias_addr = place(pack_words(bias));
      d.multiplier_addr = place(pack_words(mult));
      d.shift_addr = place(std::move(shift));
    }
    cl.descriptor = reserve(LayerDescriptor::BYTES);
    descs.push_back(d);
    prog.layers.push_back(cl);
  }
  for (std::size_t i = 0; i < descs.size(); ++i) {
    descs[i].next = i + 1 < descs.size() ? prog.layers[i + 1].descriptor : 0;
    const auto bytes = descs[i].encode();
    prog.segments.push_back({prog.layers[i].descriptor, std::vector<std::uint8_t>(bytes.begin(), bytes.end())});
  }
  prog.entry = prog.layers.front().descriptor;
  prog.end = next_free;
  return prog;
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
  for (unsigned k = 0; k < K; ++k)
    for (std::size_t i = 0; i < pixels; ++i) {
      const std::uint8_t* src = &plane[(i * kp + k) * eb];
      std::uint64_t v = 0;
      for (unsigned b = 0; b < eb; ++b) v |= std::uint64_t(src[b]) << (8 * b);
      out[k * pixels + i] = std::int64_t(v << shift) >> shift;
    }
  return y;
}

}  // namespace sdla
