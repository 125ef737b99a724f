// A reference interpreter of descriptor chains, for the descriptor fuzz test.
//
// It walks a chain in a DRAM image as the documented format describes it
// (sdla/descriptor.hpp, README "Errors"), rebuilds each layer and its
// tensors and computes the layer with the golden library: ZVC masks and 2:4
// metadata decoded by golden/sparse_formats, direct convolution by
// golden::conv2d, Winograd from the *stored* transformed weights with the
// golden tile transforms (so corrupted U still has a reference), and
// post-processing by golden::requantize. It writes each output into its own
// copy of the DRAM, exactly where and how the format says (dense: the K
// channels of each pixel, padding channels untouched; ZVC: a mask byte per
// granule and the non-zeros packed at the granule's front, the rest of the
// granule untouched), so a run of the accelerator on the same image must end
// with the same bytes. It shares no code with the model (models/units,
// models/host) beyond the descriptor's wire format (LayerDescriptor::decode)
// and the configuration.
//
// The prediction is one of:
//  * done: every layer ran; `dram` is the memory afterwards, `written` what
//    each layer wrote;
//  * error: layer `layer` must fail. It only says so for a failure the model
//    cannot avoid: a byte the computation needs (and the model therefore
//    reads) lies outside DRAM, a malformed mask or 2:4 nibble the model reads,
//    a field the layer rules reject, a wrong magic, a chain of more than 4096
//    layers. `codes` are the codes the model may report for it (the model may
//    find another problem of the same layer first, e.g. a tiling error);
//  * unpredictable: the result depends on things the format leaves open (a
//    layer whose writes overlap what it reads, so the order of the model's
//    tile steps matters) or the run is too large to check cheaply. The fuzz
//    test discards such cases before running them.
//
// Rules the reference takes from the model's behaviour where the format is
// silent: unknown flag or format bits and a compressed tensor without a mask
// or metadata address are invalid (2); a bias address of 0 means zero bias;
// a ZVC value marked non-zero that is zero is an ordinary zero (the hardware
// cannot tell); exact Winograd divides A^T M A by 4 truncating towards zero
// (the remainder is 0 for host-compiled weights; only corrupted weights leave
// one); lanes past the layer's channels (padding channels, the missing atom
// of a 2:4 unit) are never used, whatever DRAM holds there; a grouped layer's
// weight blocks are multiplied as stored over every channel of the units its
// output-channel group visits (host-compiled blocks hold zeros outside each
// column's convolution group), so the reference convolves densely with the
// blocks as it finds them.
//
// Pool layers (op 2) and residual adds follow the README's descriptor rules:
// a pool layer has pool kind 0 (max) or 1 (avg), no flags, no formats, no
// Winograd mode and no residual; any other op has pool kind 0; a residual
// address needs FLAG_POST. A pool layer is golden::pool of its dense input
// (it reads no weights or parameters) and writes int8/int16 elements like a
// post-processed output; a residual layer adds, after requantisation
// (golden::requantize_add), the element of its channel and pixel of the dense
// [P][Q][Kp] tensor at residual_addr.
#pragma once

#include <algorithm>
#include <array>
#include <bitset>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include <fmt/format.h>

#include "golden/conv.hpp"
#include "golden/pool.hpp"
#include "golden/sparse_formats.hpp"
#include "golden/winograd.hpp"
#include "sdla/config.hpp"
#include "sdla/descriptor.hpp"
#include "sdla/layer.hpp"
#include "sdla/regs.hpp"
#include "sdla/tensor.hpp"

namespace sdla::test {

struct ReferenceRun {
  enum class Status { done, error, unpredictable };
  struct Span {
    std::uint64_t lo = 0, hi = 0;  ///< [lo, hi): from the first to past the last byte written
  };
  Status status = Status::done;
  std::vector<regs::ErrorCode> codes;  ///< error: what the model may report for layer `layer`
  std::uint32_t layer = 0;             ///< error: the failing layer; done: layers run
  std::string why;                     ///< error / unpredictable: what
  std::vector<std::uint8_t> dram;      ///< done: the memory after the run
  std::vector<Span> written;           ///< done: per layer
  std::uint64_t cost = 0;              ///< estimated model work (cycles) so far: the budget check
};

class DescriptorReference {
 public:
  static constexpr unsigned kMaxLayers = 4096;  ///< README: a longer chain is error 6
  /// Larger inputs are computed output pixel by output pixel (golden::conv2d
  /// needs the whole [C, H, W] tensor even when a few pixels are used); such
  /// Winograd layers are unpredictable.
  static constexpr std::uint64_t kMaxInputElements = std::uint64_t(1) << 19;

  /// `max_cost`: runs estimated to take the model more cycles are unpredictable (too slow to fuzz).
  DescriptorReference(const AcceleratorConfig& cfg, std::uint64_t max_cost) : cfg_(cfg), max_cost_(max_cost) {}

  ReferenceRun run(std::vector<std::uint8_t> dram, std::uint64_t entry) const {
    Machine m(cfg_, max_cost_, std::move(dram));
    return m.run(entry);
  }

 private:
  using ErrorCode = regs::ErrorCode;

  struct Stop {
    ReferenceRun::Status status;
    std::vector<ErrorCode> codes;
    std::string why;
  };

  /// Where a layer's tensors lie, from the layer and the configuration alone.
  struct Geometry {
    unsigned lanes, eb, atom, G, mask_bytes, atoms, unit_atoms, units, positions, halves;
    unsigned pass_eb, pass_lanes, meta_col, P, Q, Kp, ob;
    /// Channel units each group of atomic_k output channels visits, and the
    /// first of them per group (groups 1: all units from 0).
    unsigned span;
    std::vector<unsigned> first_unit;
    std::uint64_t columns;  ///< weight block columns in all: K * span * positions
  };

  class Machine {
   public:
    Machine(const AcceleratorConfig& cfg, std::uint64_t max_cost, std::vector<std::uint8_t> dram)
        : cfg_(cfg), max_cost_(max_cost) {
      r_.dram = std::move(dram);
    }

    ReferenceRun run(std::uint64_t entry) {
      try {
        if (entry == 0) fail({ErrorCode::bad_descriptor}, "DESC_PTR is 0");
        for (std::uint64_t addr = entry; addr != 0; ++r_.layer) {
          if (r_.layer == kMaxLayers)
            fail({ErrorCode::descriptor_loop}, fmt::format("the chain is longer than {} layers", kMaxLayers));
          addr = run_layer(addr);
        }
        r_.status = ReferenceRun::Status::done;
      } catch (const Stop& s) {
        r_.status = s.status;
        r_.codes = s.codes;
        r_.why = fmt::format("layer {}: {}", r_.layer, s.why);
      }
      if (r_.status != ReferenceRun::Status::done) r_.dram.clear();
      return std::move(r_);
    }

   private:
    // A failure found while loading a layer's data or writing its output: the
    // model reports 3 (DMA), or what it may find first in the same layer: 2
    // (a region wrapping past 2^64, checked up front), 4 (tiling, planned
    // before any load) or, with 2:4 weights, 5 (invalid metadata in a pass
    // that runs before the failing load or write).
    std::vector<ErrorCode> data_codes() const {
      std::vector<ErrorCode> codes{ErrorCode::invalid_layer, ErrorCode::dma_error, ErrorCode::buffer_capacity};
      if (sparse_2_4_) codes.push_back(ErrorCode::mac_array_error);
      return codes;
    }

    [[noreturn]] static void fail(std::vector<ErrorCode> codes, const std::string& why) {
      throw Stop{ReferenceRun::Status::error, std::move(codes), why};
    }
    [[noreturn]] static void unpredictable(const std::string& why) {
      throw Stop{ReferenceRun::Status::unpredictable, {}, why};
    }

    std::uint64_t size() const { return r_.dram.size(); }
    bool inside(std::uint64_t addr, std::uint64_t len) const { return addr <= size() && len <= size() - addr; }

    /// `len` bytes at `addr`, or the failure `codes` when any lies outside DRAM.
    const std::uint8_t* bytes(std::uint64_t addr, std::uint64_t len, const std::vector<ErrorCode>& codes,
                              const char* what) const {
      if (!inside(addr, len)) fail(codes, fmt::format("{} ({} bytes at {:#x}) outside DRAM", what, len, addr));
      return r_.dram.data() + addr;
    }

    /// base + off, or the data failure when it wraps past 2^64 (the model
    /// refuses such a region up front: 2).
    std::uint64_t offset(std::uint64_t base, std::uint64_t off, const char* what) const {
      if (base > ~std::uint64_t(0) - off)
        fail(data_codes(), fmt::format("{} at {:#x} + {:#x} wraps past 2^64", what, base, off));
      return base + off;
    }

    static std::int64_t element(const std::uint8_t* p, unsigned eb) {
      std::uint64_t v = 0;
      for (unsigned b = 0; b < eb; ++b) v |= std::uint64_t(p[b]) << (8 * b);
      const unsigned shift = 64 - 8 * eb;  // sign-extend
      return std::int64_t(v << shift) >> shift;
    }

    std::uint64_t run_layer(std::uint64_t addr) {
      const LayerDescriptor d =
          LayerDescriptor::decode(bytes(addr, LayerDescriptor::BYTES, {ErrorCode::dma_error}, "descriptor"));
      if (d.magic != LayerDescriptor::MAGIC)
        fail({ErrorCode::bad_descriptor}, fmt::format("descriptor at {:#x}: magic {:#010x}", addr, d.magic));
      Layer l = decode_layer(d);
      l.name = fmt::format("layer{}", r_.layer);
      const unsigned K = l.out_channels;
      std::vector<std::int32_t> bias(K, 0);
      if (l.post.enabled) {
        // Parameters are fetched before the layer starts: 3 outside DRAM, or 2 (a wrapping region).
        const std::vector<ErrorCode> param{ErrorCode::invalid_layer, ErrorCode::dma_error};
        auto words = [&](std::uint64_t at, const char* what) {
          const std::uint8_t* p = bytes(at, std::uint64_t(K) * 4, param, what);
          std::vector<std::int32_t> v(K);
          for (unsigned k = 0; k < K; ++k) v[k] = std::int32_t(element(p + 4 * k, 4));
          return v;
        };
        if (d.bias_addr) bias = words(d.bias_addr, "bias");
        l.post.multiplier = words(d.multiplier_addr, "multipliers");
        const std::uint8_t* s = bytes(d.shift_addr, K, param, "shifts");
        l.post.shift.assign(s, s + K);
        for (unsigned k = 0; k < K; ++k)
          if (l.post.shift[k] > 62)
            fail({ErrorCode::invalid_layer}, fmt::format("shift {} of channel {} exceeds 62", l.post.shift[k], k));
      }
      sparse_2_4_ = l.weight_format == TensorFormat::sparse_2_4;
      const Geometry g = geometry(l);
      check_extents(l, d, g);
      check_hazards(l, d, g);
      check_cost(l, g);

      std::vector<std::int64_t> y;  // [K][P][Q] as the post-processor emits it
      if (l.op == Op::pool) {
        y = pool(l, d, g);
      } else if (l.uses_winograd()) {
        const std::vector<std::int64_t> u = winograd_weights(l, d, g);
        y = winograd(l, g, u, input(l, d, g));
      } else {
        y = direct(l, d, g, weights(l, d, g));
      }
      if (l.post.enabled) {
        const PrecisionTraits& t = traits(l.precision);
        const std::size_t plane = std::size_t(g.P) * g.Q;
        for (unsigned k = 0; k < K; ++k)
          for (std::size_t i = 0; i < plane; ++i) {
            std::int64_t& v = y[k * plane + i];
            const std::int64_t r = l.residual ? residual(l, d, g, k, i) : 0;
            v = golden::requantize_add(v + bias[k], l.post.multiplier_for(k), l.post.shift_for(k), r, l.post.relu,
                                       t.min, t.max);
          }
      }
      write_output(l, d, g, y);
      return d.next;
    }

    /// The descriptor's fields as a layer, by the format's rules; 2 for what they reject.
    Layer decode_layer(const LayerDescriptor& d) const {
      const std::vector<ErrorCode> invalid{ErrorCode::invalid_layer};
      if (d.op > std::uint8_t(Op::pool)) fail(invalid, fmt::format("op {}", d.op));
      if (d.op == std::uint8_t(Op::pool)) {
        if (d.pool_kind > 1) fail(invalid, fmt::format("pool kind {}", d.pool_kind));
        if (d.flags || d.formats || d.winograd || d.residual_addr)
          fail(invalid, "a pool layer with flags, formats, a Winograd mode or a residual");
      } else if (d.pool_kind) {
        fail(invalid, fmt::format("pool kind {} on op {}", d.pool_kind, d.op));
      }
      if (d.residual_addr && !(d.flags & LayerDescriptor::FLAG_POST)) fail(invalid, "a residual without FLAG_POST");
      if (d.precision > std::uint8_t(Precision::int16)) fail(invalid, fmt::format("precision {}", d.precision));
      if ((d.formats & LayerDescriptor::FORMAT_WEIGHT_MASK) > std::uint8_t(TensorFormat::sparse_2_4))
        fail(invalid, fmt::format("weight format {}", d.formats & 3));
      if (d.winograd > std::uint8_t(Winograd::nvdla)) fail(invalid, fmt::format("winograd {}", d.winograd));
      // The controller's rules for the remaining bits: unknown flag and format
      // bits, and a compressed tensor whose masks or metadata have no address.
      if (d.flags & ~(LayerDescriptor::FLAG_POST | LayerDescriptor::FLAG_RELU)) fail(invalid, "unknown flag bits");
      if (d.formats & ~(LayerDescriptor::FORMAT_WEIGHT_MASK | LayerDescriptor::FORMAT_INPUT_ZVC |
                        LayerDescriptor::FORMAT_OUTPUT_ZVC))
        fail(invalid, "unknown format bits");
      if ((d.input_zvc() && d.input_mask_addr == 0) || (d.output_zvc() && d.output_mask_addr == 0) ||
          (d.weight_format() != TensorFormat::dense && d.weight_meta_addr == 0))
        fail(invalid, "a compressed tensor without a mask or metadata address");
      Layer l;
      l.op = Op(d.op);
      l.precision = Precision(d.precision);
      l.in_channels = d.in_channels;
      l.in_height = d.in_height;
      l.in_width = d.in_width;
      l.out_channels = d.out_channels;
      l.kernel_h = d.kernel_h;
      l.kernel_w = d.kernel_w;
      l.stride_h = d.stride_h;
      l.stride_w = d.stride_w;
      l.pad = {d.pad_top, d.pad_bottom, d.pad_left, d.pad_right};
      l.groups = d.groups > 1 ? d.groups : 1;  // 0 and 1: one group
      l.weight_format = TensorFormat(d.formats & LayerDescriptor::FORMAT_WEIGHT_MASK);
      l.activation_format = d.formats & LayerDescriptor::FORMAT_INPUT_ZVC ? TensorFormat::zvc : TensorFormat::dense;
      l.winograd = Winograd(d.winograd);
      l.winograd_input_shift = d.winograd_input_shift;
      l.winograd_weight_shift = d.winograd_weight_shift;
      l.pool_kind = PoolKind(d.pool_kind);
      try {
        l.validate();
      } catch (const LayerError& e) {
        fail(invalid, e.what());
      }
      if (const std::string why = winograd_ineligibility(l); !why.empty()) fail(invalid, why);
      l.post.enabled = d.flags & LayerDescriptor::FLAG_POST;
      l.post.relu = d.flags & LayerDescriptor::FLAG_RELU;
      l.residual = d.residual_addr != 0;
      return l;
    }

    Geometry geometry(const Layer& l) const {
      Geometry g{};
      g.lanes = cfg_.lanes(l.precision);
      g.eb = element_bytes(l.precision);
      g.atom = cfg_.atom_bytes();
      g.G = zvc_granule(g.lanes);
      g.mask_bytes = g.lanes / g.G;
      g.atoms = (l.in_channels + g.lanes - 1) / g.lanes;
      g.unit_atoms = l.weight_format == TensorFormat::sparse_2_4 ? 2 : 1;
      g.units = (g.atoms + g.unit_atoms - 1) / g.unit_atoms;
      // Exact Winograd of int8 runs on the int16 lanes: each atom in two halves.
      const bool exact = l.uses_winograd() && l.winograd == Winograd::exact;
      g.pass_eb = exact ? 2 : g.eb;
      g.pass_lanes = exact ? cfg_.lanes(Precision::int16) : g.lanes;
      g.halves = g.lanes / g.pass_lanes;
      g.positions = l.uses_winograd() ? 16 * g.halves : l.kernel_h * l.kernel_w;
      g.meta_col = l.weight_format == TensorFormat::sparse_2_4 ? (g.lanes + 3) / 4 : 0;
      g.P = l.out_height();
      g.Q = l.out_width();
      g.Kp = (l.out_channels + g.lanes - 1) / g.lanes * g.lanes;
      g.ob = l.post.enabled || l.op == Op::pool ? g.eb : accumulator_bytes(l.precision);
      // README (grouped convolution): group kg of atomic_k columns visits the
      // `span` consecutive units from min(first unit it needs, units - span),
      // span being the most units any group's columns need.
      const unsigned ak = cfg_.atomic_k, K = l.out_channels, groups = l.groups;
      const unsigned cg = l.in_channels / groups, kpg = K / groups, unit_lanes = g.lanes * g.unit_atoms;
      g.span = 0;
      for (unsigned k0 = 0; k0 < K; k0 += ak) {
        const unsigned k1 = std::min(K, k0 + ak) - 1;
        const unsigned first = k0 / kpg * cg / unit_lanes, end = ((k1 / kpg + 1) * cg + unit_lanes - 1) / unit_lanes;
        g.first_unit.push_back(first);
        g.span = std::max(g.span, end - first);
      }
      for (unsigned& f : g.first_unit) f = std::min(f, g.units - g.span);
      g.columns = l.op == Op::pool ? 0 : std::uint64_t(K) * g.span * g.positions;  // pool: no weights
      return g;
    }

    /// Weight block column of output channel k, channel unit u, position pos
    /// (earlier groups are full: atomic_k columns of span units).
    std::uint64_t block(const Layer& l, const Geometry& g, unsigned k, unsigned u, unsigned pos) const {
      const unsigned ak = cfg_.atomic_k, kg = k / ak, cols = std::min(ak, l.out_channels - kg * ak);
      return std::uint64_t(kg) * ak * g.span * g.positions +
             (std::uint64_t(u - g.first_unit[kg]) * g.positions + pos) * cols + k % ak;
    }

    /// Input rows (or columns) some output needs: the receptive fields, or the
    /// 4x4 tiles of Winograd; the model reads (at least) all of them.
    static std::vector<char> needed(unsigned in, unsigned out, unsigned stride, unsigned pad, unsigned kernel,
                                    bool winograd) {
      std::vector<int> starts(in + 1, 0);
      const unsigned windows = winograd ? (out + 1) / 2 : out;
      for (unsigned i = 0; i < windows; ++i) {
        const long lo = winograd ? 2L * i - long(pad) : long(i) * stride - long(pad);
        const long hi = lo + (winograd ? 4 : long(kernel));
        const long a = std::max(0L, lo), b = std::min(long(in), hi);
        if (a < b) ++starts[std::size_t(a)], --starts[std::size_t(b)];
      }
      std::vector<char> mark(in, 0);
      int depth = 0;
      for (unsigned i = 0; i < in; ++i) mark[i] = (depth += starts[i]) > 0;
      return mark;
    }

    static std::pair<long, long> first_last(const std::vector<char>& mark) {
      long first = -1, last = -1;
      for (std::size_t i = 0; i < mark.size(); ++i)
        if (mark[i]) {
          if (first < 0) first = long(i);
          last = long(i);
        }
      return {first, last};
    }

    /// Regions read in whole, and the ends of the sparse reads and writes:
    /// outside DRAM they fail the layer whatever the data hold.
    void check_extents(const Layer& l, const LayerDescriptor& d, const Geometry& g) {
      input_from_ = input_span_ = 0;
      const auto codes = data_codes();
      if (l.op != Op::pool && (l.uses_winograd() || l.weight_format != TensorFormat::zvc))
        bytes(d.weight_addr, g.columns * g.atom, codes, "weights");
      // A residual layer reads the K channels of every output pixel's residual.
      if (l.residual)
        bytes(d.residual_addr, ((std::uint64_t(g.P) * g.Q - 1) * g.Kp + l.out_channels) * g.eb, codes, "residual");
      if (l.weight_format == TensorFormat::zvc)
        bytes(d.weight_meta_addr, g.columns * g.mask_bytes, codes, "weight masks");
      if (l.weight_format == TensorFormat::sparse_2_4)
        bytes(d.weight_meta_addr, g.columns * g.meta_col, codes, "2:4 metadata");
      const auto [h0, h1] = first_last(needed(l.in_height, g.P, l.stride_h, l.pad.top, l.kernel_h, l.uses_winograd()));
      const auto [w0, w1] = first_last(needed(l.in_width, g.Q, l.stride_w, l.pad.left, l.kernel_w, l.uses_winograd()));
      if (h0 >= 0 && w0 >= 0) {
        const std::uint64_t first = std::uint64_t(h0) * l.in_width + std::uint64_t(w0);
        const std::uint64_t last = std::uint64_t(h1) * l.in_width + std::uint64_t(w1);
        input_from_ = first * g.atoms;  // atoms from the first to the last needed pixel: what the model reads
        input_span_ = (last - first + 1) * g.atoms;
        if (l.activation_format == TensorFormat::zvc) {
          const std::uint64_t from = first * g.atoms * g.mask_bytes, to = (last + 1) * g.atoms * g.mask_bytes;
          bytes(offset(d.input_mask_addr, from, "input masks"), to - from, codes, "input masks");
        } else {
          // Up to the last channel of the last needed atom.
          const std::uint64_t from = first * g.atoms * g.atom;
          const std::uint64_t to =
              (last * g.atoms + g.atoms - 1) * g.atom + std::uint64_t(l.in_channels - (g.atoms - 1) * g.lanes) * g.eb;
          bytes(offset(d.input_addr, from, "input"), to - from, codes, "input");
        }
      }
      const std::uint64_t pixels = std::uint64_t(g.P) * g.Q;
      if (d.output_zvc()) {
        bytes(d.output_mask_addr, pixels * g.Kp / g.G - (g.Kp - l.out_channels) / g.G, codes, "output masks");
      } else {
        bytes(d.output_addr, ((pixels - 1) * g.Kp + l.out_channels) * g.ob, codes, "output");
      }
    }

    /// A layer whose writes overlap what it reads computes something that
    /// depends on the order of its tile steps: the format does not say.
    void check_hazards(const Layer& l, const LayerDescriptor& d, const Geometry& g) const {
      struct Range {
        const char* what;
        std::uint64_t lo, hi;
      };
      // Regions clipped to DRAM: nothing outside can be overwritten.
      auto clip = [&](const char* what, std::uint64_t base, std::uint64_t from, std::uint64_t len) {
        if (base > ~std::uint64_t(0) - from) return Range{what, 0, 0};
        const std::uint64_t addr = base + from, lo = std::min(addr, size());
        return Range{what, lo, inside(addr, len) ? addr + len : size()};
      };
      // The input from its first to its last needed pixel: the model's tile windows lie within.
      std::vector<Range> reads{clip("input", d.input_addr, input_from_ * g.atom, input_span_ * g.atom),
                               clip("weights", d.weight_addr, 0, g.columns * g.atom)};
      if (l.activation_format == TensorFormat::zvc)
        reads.push_back(clip("input masks", d.input_mask_addr, input_from_ * g.mask_bytes, input_span_ * g.mask_bytes));
      if (l.weight_format != TensorFormat::dense && !l.uses_winograd())
        reads.push_back(clip("weight metadata", d.weight_meta_addr, 0,
                             g.columns * (l.weight_format == TensorFormat::zvc ? g.mask_bytes : g.meta_col)));
      const std::uint64_t out_elems = std::uint64_t(g.P) * g.Q * g.Kp;
      if (l.residual) reads.push_back(clip("residual", d.residual_addr, 0, out_elems * g.eb));
      std::vector<Range> writes{clip("output", d.output_addr, 0, out_elems * g.ob)};
      if (d.output_zvc()) writes.push_back(clip("output masks", d.output_mask_addr, 0, out_elems / g.G));
      auto overlap = [](const Range& a, const Range& b) { return a.lo < b.hi && b.lo < a.hi; };
      for (const Range& w : writes)
        for (const Range& r : reads)
          if (overlap(w, r)) unpredictable(fmt::format("the {} overlap the {} of the same layer", w.what, r.what));
      if (writes.size() == 2 && overlap(writes[0], writes[1])) unpredictable("output values and masks overlap");
    }

    void check_cost(const Layer& l, const Geometry& g) {
      const std::uint64_t pixels = std::uint64_t(g.P) * g.Q;
      const std::uint64_t macs =
          l.uses_winograd()
              ? 16 * std::uint64_t((g.P + 1) / 2) * ((g.Q + 1) / 2) * g.atoms * g.lanes * l.out_channels * g.halves
              : pixels * l.out_channels * (l.groups > 1 ? g.span * g.unit_atoms : g.atoms) * g.lanes * l.kernel_h *
                    l.kernel_w;
      // MAC-array cycles, DRAM bytes at the small preset's byte per cycle, and a fixed cost per layer.
      // Pool: one atom-wide operation per window element and channel atom.
      const std::uint64_t compute = l.op == Op::pool ? pixels * g.atoms * l.kernel_h * l.kernel_w
                                                     : macs / cfg_.peak_macs(Precision::int8);
      r_.cost += compute + input_span_ * g.atom + g.columns * g.atom + pixels * g.Kp * g.ob +
                 (l.residual ? pixels * g.Kp * g.eb : 0) + 400;
      if (r_.cost > max_cost_) unpredictable(fmt::format("the run would take the model about {} cycles", r_.cost));
      if (l.uses_winograd() && std::uint64_t(l.in_channels) * l.in_height * l.in_width > kMaxInputElements)
        unpredictable("the input is too large for the golden reference");
    }

    template <class T>
    static Tensor<T> narrow(const Tensor<std::int16_t>& t) {
      return Tensor<T>(t.shape(), std::vector<T>(t.values().begin(), t.values().end()));
    }

    /// One ZVC granule by golden::zvc_decode. A value marked non-zero that is
    /// zero is malformed to the golden decoder but the hardware multiplies it
    /// as the zero it is: it is dropped from the mask first. Mask bits beyond
    /// the granule stay and fail the decode (the model's DMA error).
    std::vector<std::int16_t> zvc_granule_values(std::uint8_t mask, const std::vector<std::int16_t>& values,
                                                 unsigned G) const {
      golden::ZvcAtom z;
      z.mask = {0};
      std::size_t next = 0;
      for (unsigned i = 0; i < 8; ++i)
        if (mask >> i & 1) {
          const std::int16_t v = values.at(next++);
          if (v == 0 && i < G) continue;
          z.mask[0] = std::uint8_t(z.mask[0] | 1u << i);
          z.values.push_back(v);
        }
      try {
        return golden::zvc_decode(z, G);
      } catch (const golden::FormatError& e) {
        fail(data_codes(), fmt::format("ZVC mask {:#04x}: {}", mask, e.what()));
      }
    }

    /// A ZVC granule at (values, mask) in DRAM: its mask byte, then popcount values.
    std::vector<std::int16_t> zvc_at(std::uint64_t values_addr, std::uint8_t mask, unsigned eb, unsigned G,
                                     const char* what) const {
      const unsigned n = unsigned(std::bitset<8>(mask).count());
      std::vector<std::int16_t> v(n);
      if (n) {
        const std::uint8_t* p = bytes(values_addr, std::uint64_t(n) * eb, data_codes(), what);
        for (unsigned i = 0; i < n; ++i) v[i] = std::int16_t(element(p + std::size_t(i) * eb, eb));
      }
      return zvc_granule_values(mask, v, G);
    }

    /// Weights [K, C, R, S] of a direct layer, decoded from any weight format;
    /// a grouped layer's too, dense over every input channel (zero outside
    /// the units its output-channel group visits).
    Tensor<std::int16_t> weights(const Layer& l, const LayerDescriptor& d, const Geometry& g) const {
      const unsigned K = l.out_channels, C = l.in_channels, S = l.kernel_w;
      Tensor<std::int16_t> w({K, C, l.kernel_h, S});
      auto set = [&](unsigned k, unsigned c, unsigned pos, std::int64_t v) {
        if (c < C) w.at({k, c, pos / S, pos % S}) = std::int16_t(v);
      };
      const std::uint8_t* values = l.weight_format == TensorFormat::zvc ? nullptr : r_.dram.data() + d.weight_addr;
      for (unsigned k = 0; k < K; ++k)
        for (unsigned u = g.first_unit[k / cfg_.atomic_k]; u < g.first_unit[k / cfg_.atomic_k] + g.span; ++u)
          for (unsigned pos = 0; pos < g.positions; ++pos) {
            const std::uint64_t b = block(l, g, k, u, pos);
            if (l.weight_format == TensorFormat::dense) {
              for (unsigned i = 0; i < g.lanes; ++i)
                set(k, u * g.lanes + i, pos, element(values + b * g.atom + i * g.eb, g.eb));
            } else if (l.weight_format == TensorFormat::zvc) {
              for (unsigned m = 0; m < g.mask_bytes; ++m) {
                const std::uint8_t mask = r_.dram[d.weight_meta_addr + b * g.mask_bytes + m];
                const std::uint64_t at = offset(d.weight_addr, b * g.atom + std::uint64_t(m) * g.G * g.eb, "weights");
                const auto granule = zvc_at(at, mask, g.eb, g.G, "ZVC weight values");
                for (unsigned i = 0; i < g.G; ++i) set(k, u * g.lanes + m * g.G + i, pos, granule[i]);
              }
            } else {
              // 2:4: two kept values per group of four channels, and a nibble idx0 | idx1 << 2.
              for (unsigned grp = 0; grp < g.lanes / 2; ++grp) {
                const std::uint8_t meta = r_.dram[d.weight_meta_addr + b * g.meta_col + grp / 2];
                const std::uint8_t nibble = std::uint8_t(meta >> (4 * (grp % 2)) & 0xF);
                golden::Group24 kept;
                kept.values = {std::int16_t(element(values + b * g.atom + 2 * grp * g.eb, g.eb)),
                               std::int16_t(element(values + b * g.atom + (2 * grp + 1) * g.eb, g.eb))};
                kept.index = {std::uint8_t(nibble & 3), std::uint8_t(nibble >> 2)};
                std::array<std::int16_t, 4> group{};
                try {
                  group = golden::unpack_2_4(kept);
                } catch (const golden::FormatError& e) {
                  fail(data_codes(), fmt::format("weight block {} group {}: {}", b, grp, e.what()));
                }
                for (unsigned j = 0; j < 4; ++j) set(k, u * 2 * g.lanes + 4 * grp + j, pos, group[j]);
              }
            }
          }
      return w;
    }

    /// Winograd-transformed weights U [K][C][16] as stored.
    std::vector<std::int64_t> winograd_weights(const Layer& l, const LayerDescriptor& d, const Geometry& g) const {
      const unsigned K = l.out_channels, C = l.in_channels;
      std::vector<std::int64_t> u(std::size_t(K) * C * 16, 0);
      const std::uint8_t* values = r_.dram.data() + d.weight_addr;
      for (unsigned k = 0; k < K; ++k)
        for (unsigned a = 0; a < g.atoms; ++a)
          for (unsigned half = 0; half < g.halves; ++half)
            for (unsigned comp = 0; comp < 16; ++comp) {
              const std::uint64_t b = block(l, g, k, a, half * 16 + comp);
              for (unsigned i = 0; i < g.pass_lanes; ++i)
                if (const unsigned c = a * g.lanes + half * g.pass_lanes + i; c < C)
                  u[(std::size_t(k) * C + c) * 16 + comp] = element(values + b * g.atom + i * g.pass_eb, g.pass_eb);
            }
      return u;
    }

    /// The C channels of input pixel (h, w), dense or ZVC-decoded.
    std::vector<std::int16_t> pixel(const Layer& l, const LayerDescriptor& d, const Geometry& g, unsigned h,
                                    unsigned w) const {
      const unsigned C = l.in_channels;
      std::vector<std::int16_t> v(C, 0);
      for (unsigned a = 0; a < g.atoms; ++a) {
        const std::uint64_t atom_index = (std::uint64_t(h) * l.in_width + w) * g.atoms + a;
        const std::uint64_t at = offset(d.input_addr, atom_index * g.atom, "input");
        if (l.activation_format == TensorFormat::dense) {
          for (unsigned i = 0; i < g.lanes && a * g.lanes + i < C; ++i)
            v[a * g.lanes + i] = std::int16_t(element(&r_.dram[at + i * g.eb], g.eb));
          continue;
        }
        for (unsigned m = 0; m < g.mask_bytes; ++m) {
          const std::uint8_t mask = r_.dram[d.input_mask_addr + atom_index * g.mask_bytes + m];
          const auto granule =
              zvc_at(offset(at, std::uint64_t(m) * g.G * g.eb, "input"), mask, g.eb, g.G, "ZVC input values");
          for (unsigned i = 0; i < g.G; ++i)
            if (const unsigned c = a * g.lanes + m * g.G + i; c < C) v[c] = granule[i];
        }
      }
      return v;
    }

    static std::vector<unsigned> indices(const std::vector<char>& mark) {
      std::vector<unsigned> v;
      for (unsigned i = 0; i < mark.size(); ++i)
        if (mark[i]) v.push_back(i);
      return v;
    }

    /// Input [C, H, W]: the pixels some output needs (others stay zero; nothing reads them).
    Tensor<std::int16_t> input(const Layer& l, const LayerDescriptor& d, const Geometry& g) const {
      const unsigned C = l.in_channels, H = l.in_height, W = l.in_width;
      Tensor<std::int16_t> x({C, H, W});
      for (unsigned h : indices(needed(H, g.P, l.stride_h, l.pad.top, l.kernel_h, l.uses_winograd())))
        for (unsigned w : indices(needed(W, g.Q, l.stride_w, l.pad.left, l.kernel_w, l.uses_winograd()))) {
          const auto v = pixel(l, d, g, h, w);
          for (unsigned c = 0; c < C; ++c) x.at({c, h, w}) = v[c];
        }
      return x;
    }

    /// golden::pool of the whole input; for an input too large to hold, pixel
    /// by pixel: each output is golden::pool of its window clipped to the
    /// image, as a layer of its own (only in-image elements count either way).
    std::vector<std::int64_t> pool(const Layer& l, const LayerDescriptor& d, const Geometry& g) const {
      auto run = [&](const Layer& layer, const Tensor<std::int16_t>& x) {
        if (layer.precision == Precision::int16) {
          const auto y = golden::pool(layer, x);
          return std::vector<std::int64_t>(y.values().begin(), y.values().end());
        }
        const auto y = golden::pool(layer, narrow<std::int8_t>(x));
        return std::vector<std::int64_t>(y.values().begin(), y.values().end());
      };
      if (std::uint64_t(l.in_channels) * l.in_height * l.in_width <= kMaxInputElements) return run(l, input(l, d, g));
      const unsigned C = l.in_channels;
      std::vector<std::int64_t> y(std::size_t(C) * g.P * g.Q);
      for (unsigned p = 0; p < g.P; ++p)
        for (unsigned q = 0; q < g.Q; ++q) {
          const long h0 = std::max(0L, long(p) * l.stride_h - long(l.pad.top));
          const long h1 = std::min(long(l.in_height), long(p) * l.stride_h - long(l.pad.top) + long(l.kernel_h));
          const long w0 = std::max(0L, long(q) * l.stride_w - long(l.pad.left));
          const long w1 = std::min(long(l.in_width), long(q) * l.stride_w - long(l.pad.left) + long(l.kernel_w));
          Layer window = l;
          window.in_height = window.kernel_h = unsigned(h1 - h0);
          window.in_width = window.kernel_w = unsigned(w1 - w0);
          window.stride_h = window.stride_w = 1;
          window.pad = Padding{};
          Tensor<std::int16_t> x({C, window.in_height, window.in_width});
          for (long h = h0; h < h1; ++h)
            for (long w = w0; w < w1; ++w) {
              const auto px = pixel(l, d, g, unsigned(h), unsigned(w));
              for (unsigned c = 0; c < C; ++c) x.at({c, std::size_t(h - h0), std::size_t(w - w0)}) = px[c];
            }
          const auto out = run(window, x);
          for (unsigned c = 0; c < C; ++c) y[(std::size_t(c) * g.P + p) * g.Q + q] = out[c];
        }
      return y;
    }

    /// The residual element of channel k at output pixel i (= p * Q + q): the
    /// dense [P][Q][Kp] tensor at residual_addr, of the layer's element width.
    std::int64_t residual(const Layer&, const LayerDescriptor& d, const Geometry& g, unsigned k, std::size_t i) const {
      const std::uint64_t at = offset(d.residual_addr, (std::uint64_t(i) * g.Kp + k) * g.eb, "residual");
      return element(bytes(at, g.eb, data_codes(), "residual"), g.eb);
    }

    /// golden::conv2d of the whole layer; for an input too large to hold
    /// (a few pixels sampled from a huge one), pixel by pixel: each output is
    /// golden::conv2d of its R x S window (padding as zeros) as a layer of its own.
    std::vector<std::int64_t> direct(const Layer& l, const LayerDescriptor& d, const Geometry& g,
                                     const Tensor<std::int16_t>& w) const {
      Layer bare = l;  // golden::conv2d validates the layer: post parameters (and a residual) are applied later
      bare.post = PostOp{};
      bare.residual = false;
      bare.groups = 1;  // the weights are dense over every channel (weights())
      auto conv = [&](const Layer& layer, const Tensor<std::int16_t>& x) {
        if (layer.precision == Precision::int16) return golden::conv2d(layer, x, w).values();
        const auto acc = golden::conv2d(layer, narrow<std::int8_t>(x), narrow<std::int8_t>(w));
        return std::vector<std::int64_t>(acc.values().begin(), acc.values().end());
      };
      if (std::uint64_t(l.in_channels) * l.in_height * l.in_width <= kMaxInputElements)
        return conv(bare, input(l, d, g));
      const unsigned C = l.in_channels, K = l.out_channels, R = l.kernel_h, S = l.kernel_w;
      Layer window = bare;
      window.in_height = R;
      window.in_width = S;
      window.stride_h = window.stride_w = 1;
      window.pad = Padding{};
      std::vector<std::int64_t> y(std::size_t(K) * g.P * g.Q);
      for (unsigned p = 0; p < g.P; ++p)
        for (unsigned q = 0; q < g.Q; ++q) {
          Tensor<std::int16_t> x({C, R, S});
          for (unsigned r = 0; r < R; ++r)
            for (unsigned s = 0; s < S; ++s) {
              const long h = long(p) * l.stride_h + r - long(l.pad.top),
                         v = long(q) * l.stride_w + s - long(l.pad.left);
              if (h < 0 || v < 0 || h >= long(l.in_height) || v >= long(l.in_width)) continue;
              const auto px = pixel(l, d, g, unsigned(h), unsigned(v));
              for (unsigned c = 0; c < C; ++c) x.at({c, r, s}) = px[c];
            }
          const auto acc = conv(window, x);
          for (unsigned k = 0; k < K; ++k) y[(std::size_t(k) * g.P + p) * g.Q + q] = acc[k];
        }
      return y;
    }

    /// F(2x2,3x3) from the stored U: V = B^T d B (golden), rounded and
    /// saturated to the lane for nvdla, M = sum_c U (.) V, Z = A^T M A (golden),
    /// then exact: Z / 4; nvdla: Z scaled by 2^(ws + t - 2), rounded half away.
    std::vector<std::int64_t> winograd(const Layer& l, const Geometry& g, const std::vector<std::int64_t>& u,
                                       const Tensor<std::int16_t>& x) const {
      const unsigned K = l.out_channels, C = l.in_channels, P = g.P, Q = g.Q, TP = (P + 1) / 2, TQ = (Q + 1) / 2;
      const bool nvdla = l.winograd == Winograd::nvdla;
      const PrecisionTraits& lane = traits(l.precision);
      const unsigned t = l.winograd_input_shift;
      const int e = int(l.winograd_weight_shift) + int(t) - 2;
      std::vector<std::int64_t> y(std::size_t(K) * P * Q, 0);
      std::vector<std::array<std::int64_t, 16>> v(C);
      for (unsigned tp = 0; tp < TP; ++tp)
        for (unsigned tq = 0; tq < TQ; ++tq) {
          for (unsigned c = 0; c < C; ++c) {
            std::array<std::int64_t, 16> dt{};
            for (unsigned i = 0; i < 4; ++i)
              for (unsigned j = 0; j < 4; ++j) {
                const long h = long(2 * tp + i) - long(l.pad.top), w = long(2 * tq + j) - long(l.pad.left);
                if (h >= 0 && w >= 0 && h < long(l.in_height) && w < long(l.in_width))
                  dt[i * 4 + j] = x.at({c, std::size_t(h), std::size_t(w)});
              }
            v[c] = golden::winograd_input_tile(dt);
            if (nvdla)
              for (auto& vi : v[c]) vi = golden::saturate(golden::round_shift_away(vi, t), lane.min, lane.max);
          }
          for (unsigned k = 0; k < K; ++k) {
            std::array<std::int64_t, 16> m{};
            for (unsigned c = 0; c < C; ++c)
              for (unsigned i = 0; i < 16; ++i) m[i] += u[(std::size_t(k) * C + c) * 16 + i] * v[c][i];
            const auto z = golden::winograd_output_tile(m);
            for (unsigned i = 0; i < 2; ++i)
              for (unsigned j = 0; j < 2; ++j) {
                const unsigned p = 2 * tp + i, q = 2 * tq + j;
                if (p >= P || q >= Q) continue;  // a partial tile's outputs beyond the layer
                std::int64_t out = z[i * 2 + j];
                if (!nvdla)
                  out /= 4;
                else
                  out = e >= 0 ? out * (std::int64_t(1) << e) : golden::round_shift_away(out, unsigned(-e));
                y[(std::size_t(k) * P + p) * Q + q] = out;
              }
          }
        }
      return y;
    }

    void put(std::uint64_t addr, std::int64_t v, unsigned ob, ReferenceRun::Span& span) {
      if (!inside(addr, ob)) fail(data_codes(), fmt::format("output write at {:#x} outside DRAM", addr));
      for (unsigned b = 0; b < ob; ++b) r_.dram[addr + b] = std::uint8_t(std::uint64_t(v) >> (8 * b));
      span.lo = std::min(span.lo, addr);
      span.hi = std::max(span.hi, addr + ob);
    }

    /// The output as the format lays it out: [P][Q][Kp] elements of `ob`
    /// bytes, channels K..Kp untouched; or ZVC per granule of G channels (of
    /// each group of atomic_k): non-zeros packed at the front, one mask byte.
    void write_output(const Layer& l, const LayerDescriptor& d, const Geometry& g, const std::vector<std::int64_t>& y) {
      const unsigned K = l.out_channels, P = g.P, Q = g.Q, ak = cfg_.atomic_k;
      ReferenceRun::Span span{~std::uint64_t(0), 0};
      const std::uint64_t low = g.ob == 8 ? ~std::uint64_t(0) : (std::uint64_t(1) << (8 * g.ob)) - 1;
      for (unsigned p = 0; p < P; ++p)
        for (unsigned q = 0; q < Q; ++q) {
          const std::uint64_t pixel = std::uint64_t(p) * Q + q;
          auto value = [&](unsigned k) { return y[(std::size_t(k) * P + p) * Q + q]; };
          if (!d.output_zvc()) {
            for (unsigned k = 0; k < K; ++k) put(d.output_addr + (pixel * g.Kp + k) * g.ob, value(k), g.ob, span);
            continue;
          }
          for (unsigned k0 = 0; k0 < K; k0 += g.G) {
            const std::uint64_t first = pixel * g.Kp + k0;
            std::uint8_t mask = 0;
            unsigned n = 0;
            // Granules never straddle a group of atomic_k columns: G divides atomic_k.
            for (unsigned i = 0; i < g.G && k0 + i < K && (k0 + i) / ak == k0 / ak; ++i)
              if (std::uint64_t(value(k0 + i)) & low) {
                mask = std::uint8_t(mask | 1u << i);
                put(offset(d.output_addr, (first + n++) * g.ob, "output"), value(k0 + i), g.ob, span);
              }
            put(d.output_mask_addr + first / g.G, mask, 1, span);
          }
        }
      r_.written.push_back(span);
    }

    const AcceleratorConfig& cfg_;
    std::uint64_t max_cost_;
    ReferenceRun r_;
    bool sparse_2_4_ = false;  ///< the current layer has 2:4 weights
    /// The current layer's input atoms from its first to its last needed pixel: [from, from + span).
    std::uint64_t input_from_ = 0, input_span_ = 0;
  };

  AcceleratorConfig cfg_;
  std::uint64_t max_cost_;
};

}  // namespace sdla::test
