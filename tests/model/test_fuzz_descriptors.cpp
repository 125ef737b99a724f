// Deterministic, seeded fuzzing of descriptor chains and the data they point
// at, on the `small` preset.
//
// Each TEST compiles a few real programs (dense int8 and int16 convolutions,
// ZVC activations and weights, 2:4 weights, post-processing, chains, fc,
// Winograd exact and nvdla, pool layers and residual adds) and runs a few
// hundred mutants of them through one Testbench: bits and bytes of encoded
// descriptors flipped, fields set to random or extreme values (0, 1, max,
// max-1, 2^63, the end of DRAM,
// addresses that wrap past 2^64), pointers moved to other tensors, masks,
// outputs, descriptors or the free memory behind the program, chains made to
// loop, skip or point into data, ZVC mask bytes, 2:4 metadata, weights,
// inputs and post-processing parameters corrupted in the data segments,
// fill hints changed; one to four mutations per case. Case i draws
// everything from an RNG seeded by (seed, i): SDLA_SEED=N replays a run,
// SDLA_FUZZ_ONLY=i runs case i alone, SDLA_FUZZ_CASES=N sets the number of
// cases per TEST (SDLA_FUZZ_FIRST=M starts at case M, to split a long
// campaign over processes), SDLA_FUZZ_VERBOSE=1 prints every case.
//
// The oracle (tests/support/descriptor_reference.hpp) interprets the mutated
// DRAM image on its own: it decodes the chain, rebuilds every layer (shape,
// precision, formats, post-processing, Winograd mode and shifts) and its
// tensors (ZVC and 2:4 decoded by golden/sparse_formats), computes it with
// the golden library and writes the outputs into its own copy of the DRAM.
// Every run must end with an interrupt (the Testbench waits for it) and:
//  * succeed with the DRAM, over the extent each layer wrote, equal byte for
//    byte to the reference's (so values, ZVC masks, packing, untouched padding
//    channels and granule tails, and nothing written in between); the
//    reference must also have run every layer, as many as the model did; or
//  * fail with an ErrorCode 1..6 (never 7, internal_error) and a message; if
//    the reference found an unavoidable failure (a byte the computation needs
//    outside DRAM, a malformed mask or nibble, a field the layer rules reject,
//    a wrong magic, a loop), the model must fail at that layer or before, with
//    one of the codes that failure allows; a failure in a layer the reference
//    could run must be 2, 3 or 4 (the model checks more than the reference
//    needs: whole regions, whole atoms, fill hints, tiling).
// Cases the reference cannot predict are redrawn before they run: a layer
// whose writes overlap what it reads (the result depends on the model's tile
// order) and runs too slow to fuzz. Their number is printed.
// After every batch the unmutated programs run again and must be bit-exact
// against golden_outputs: the accelerator recovered.
#include <algorithm>
#include <cstdlib>
#include <functional>
#include <iostream>
#include <map>
#include <random>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "descriptor_reference.hpp"
#include "layers.hpp"
#include "sdla/descriptor.hpp"
#include "sdla/regs.hpp"
#include "sdla/tile_plan.hpp"
#include "seed.hpp"
#include "testbench.hpp"
#include "workload.hpp"

namespace sdla {
namespace {

using regs::ErrorCode;
using test::DescriptorReference;
using test::ReferenceRun;

/// Cycles the reference lets a mutant take on the model: a tiny layer's loop of 4096 fits, a big one does not.
constexpr std::uint64_t kMaxCost = 6'000'000;
/// Mutants between two runs of the unmutated programs.
constexpr unsigned kBatch = 40;

std::uint64_t env_number(const char* name, std::uint64_t fallback) {
  const char* v = std::getenv(name);
  return v && *v ? std::stoull(v) : fallback;
}

std::uint64_t splitmix(std::uint64_t x) {
  x += 0x9E3779B97F4A7C15ull;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
  return x ^ (x >> 31);
}

/// Case i's RNG depends on the seed and i alone, so one case replays by itself.
std::uint64_t case_seed(std::uint64_t seed, std::uint64_t i) { return splitmix(seed ^ splitmix(i + 1)); }

// ---------------------------------------------------------------- base programs

enum class Kind {
  descriptor,
  input,
  input_mask,
  weights,
  weight_masks,
  weight_meta,
  output,
  output_mask,
  bias,
  multiplier,
  shift,
  residual,
  free
};

const char* to_string(Kind k) {
  static const char* const names[] = {"descriptor",   "input",        "input masks", "weights",
                                      "weight masks", "2:4 metadata", "output",      "output masks",
                                      "bias",         "multipliers",  "shifts",      "residual",
                                      "free memory"};
  return names[int(k)];
}

struct Region {
  Kind kind;
  std::uint64_t addr, bytes;
  unsigned layer;
};

/// A compiled program, its golden outputs and where its regions are.
struct Base {
  std::string name;
  Workload work;
  Program prog;
  std::vector<Tensor<std::int64_t>> golden;
  std::vector<Region> regions;
  std::vector<std::uint8_t> image;  ///< the whole DRAM as the program loads it (set by the campaign)
};

Base make_base(const AcceleratorConfig& cfg, const std::string& name, const std::vector<Layer>& layers,
               std::uint64_t seed) {
  Base b;
  b.name = name;
  b.work = generate_workload(layers, seed);
  b.prog = compile_network(cfg, b.work.layers, b.work.input, b.work.operands);
  b.golden = golden_outputs(b.work);
  std::map<std::uint64_t, const Segment*> segments;
  for (const Segment& s : b.prog.segments) segments[s.addr] = &s;
  auto add = [&](Kind k, std::uint64_t addr, unsigned layer) {
    const auto s = segments.find(addr);
    if (s == segments.end()) throw std::logic_error(fmt::format("{}: no segment at {:#x}", name, addr));
    for (const Region& r : b.regions)
      if (r.addr == addr) return;  // a chain's output is the next layer's input
    b.regions.push_back({k, addr, s->second->bytes.size(), layer});
  };
  for (unsigned i = 0; i < b.prog.layers.size(); ++i) {
    const std::uint64_t at = b.prog.layers[i].descriptor;
    const LayerDescriptor d = LayerDescriptor::decode(segments.at(at)->bytes.data());
    add(Kind::descriptor, at, i);
    add(Kind::input, d.input_addr, i);
    if (d.input_zvc()) add(Kind::input_mask, d.input_mask_addr, i);
    if (d.op != std::uint8_t(Op::pool)) add(Kind::weights, d.weight_addr, i);  // pool layers have none
    if (d.residual_addr) add(Kind::residual, d.residual_addr, i);
    if (d.weight_format() == TensorFormat::zvc) add(Kind::weight_masks, d.weight_meta_addr, i);
    if (d.weight_format() == TensorFormat::sparse_2_4) add(Kind::weight_meta, d.weight_meta_addr, i);
    add(Kind::output, d.output_addr, i);
    if (d.output_zvc()) add(Kind::output_mask, d.output_mask_addr, i);
    if (d.flags & LayerDescriptor::FLAG_POST) {
      add(Kind::bias, d.bias_addr, i);
      add(Kind::multiplier, d.multiplier_addr, i);
      add(Kind::shift, d.shift_addr, i);
    }
  }
  return b;
}

// ---------------------------------------------------------------- mutations

struct Field {
  const char* name;
  unsigned bytes;
  bool pointer;
  std::uint64_t (*get)(const LayerDescriptor&);
  void (*set)(LayerDescriptor&, std::uint64_t);
};

// clang-format off
#define SDLA_FIELD(f, pointer)                                                                   \
  Field {                                                                                        \
    #f, unsigned(sizeof(LayerDescriptor::f)), pointer,                                           \
        [](const LayerDescriptor& d) { return std::uint64_t(d.f); },                             \
        [](LayerDescriptor& d, std::uint64_t v) { d.f = static_cast<decltype(d.f)>(v); }         \
  }

const std::vector<Field>& fields() {
  static const std::vector<Field> all{
      SDLA_FIELD(magic, false),           SDLA_FIELD(op, false),           SDLA_FIELD(precision, false),
      SDLA_FIELD(flags, false),           SDLA_FIELD(formats, false),      SDLA_FIELD(in_channels, false),
      SDLA_FIELD(in_height, false),       SDLA_FIELD(in_width, false),     SDLA_FIELD(out_channels, false),
      SDLA_FIELD(kernel_h, false),        SDLA_FIELD(kernel_w, false),     SDLA_FIELD(stride_h, false),
      SDLA_FIELD(stride_w, false),        SDLA_FIELD(pad_top, false),      SDLA_FIELD(pad_bottom, false),
      SDLA_FIELD(pad_left, false),        SDLA_FIELD(pad_right, false),    SDLA_FIELD(input_addr, true),
      SDLA_FIELD(weight_addr, true),      SDLA_FIELD(output_addr, true),   SDLA_FIELD(bias_addr, true),
      SDLA_FIELD(multiplier_addr, true),  SDLA_FIELD(shift_addr, true),    SDLA_FIELD(next, true),
      SDLA_FIELD(weight_meta_addr, true), SDLA_FIELD(input_mask_addr, true), SDLA_FIELD(output_mask_addr, true),
      SDLA_FIELD(input_fill, false),      SDLA_FIELD(weight_fill, false),  SDLA_FIELD(winograd, false),
      SDLA_FIELD(winograd_input_shift, false), SDLA_FIELD(winograd_weight_shift, false),
      SDLA_FIELD(pool_kind, false),       SDLA_FIELD(groups, false),       SDLA_FIELD(residual_addr, true),
  };
  return all;
}
#undef SDLA_FIELD
// clang-format on

const Field& field(const std::string& name) {
  for (const Field& f : fields())
    if (name == f.name) return f;
  throw std::logic_error("no field " + name);
}

/// Applies random mutations to a copy of a base program's DRAM image and entry.
class Mutator {
 public:
  Mutator(std::mt19937_64& rng, const Base& base, std::uint64_t dram, std::vector<std::uint8_t>& image,
          std::uint64_t& entry)
      : rng_(rng), base_(base), dram_(dram), image_(image), entry_(entry) {
    regions_ = base.regions;
    regions_.push_back({Kind::free, base.prog.end, dram - base.prog.end, 0});
  }

  void apply_one() {
    // Weights favour what reaches deep into the model: semantic edits and data.
    static const std::vector<std::pair<unsigned, void (Mutator::*)()>> kinds{
        {2, &Mutator::descriptor_bits}, {4, &Mutator::field_value}, {5, &Mutator::semantic}, {2, &Mutator::pointer},
        {2, &Mutator::chain},           {5, &Mutator::data},        {1, &Mutator::fill_hint}};
    unsigned total = 0;
    for (const auto& k : kinds) total += k.first;
    unsigned r = pick(0, total - 1);
    for (const auto& [weight, fn] : kinds) {
      if (r < weight) return (this->*fn)();
      r -= weight;
    }
  }

  const std::vector<std::string>& log() const { return log_; }

  /// Layer `layer` reads n rows (or columns) with a stride of n: it uses only the first window.
  void sample(unsigned layer, bool rows, unsigned n) {
    LayerDescriptor d = load(layer);
    field(rows ? "in_height" : "in_width").set(d, n);
    field(rows ? "stride_h" : "stride_w").set(d, n);
    store(layer, d);
    log_.push_back(fmt::format("layer {}: {} and its stride = {}", layer, rows ? "in_height" : "in_width", n));
  }

 private:
  unsigned pick(unsigned lo, unsigned hi) { return std::uniform_int_distribution<unsigned>(lo, hi)(rng_); }
  template <class T>
  const T& one_of(const std::vector<T>& v) {
    return v[pick(0, unsigned(v.size() - 1))];
  }
  unsigned layers() const { return unsigned(base_.prog.layers.size()); }
  std::uint64_t desc_addr(unsigned layer) const { return base_.prog.layers[layer].descriptor; }
  LayerDescriptor load(unsigned layer) const { return LayerDescriptor::decode(&image_[desc_addr(layer)]); }
  void store(unsigned layer, const LayerDescriptor& d) {
    const auto bytes = d.encode();
    std::copy(bytes.begin(), bytes.end(), image_.begin() + std::ptrdiff_t(desc_addr(layer)));
  }
  /// Sets one field of layer `layer`'s descriptor, logging it.
  void set_field(unsigned layer, const Field& f, std::uint64_t v) {
    LayerDescriptor d = load(layer);
    const std::uint64_t was = f.get(d);
    f.set(d, v);
    store(layer, d);
    log_.push_back(fmt::format("layer {} {} = {:#x} (was {:#x})", layer, f.name, f.get(d), was));
  }
  const Region& region_of(std::function<bool(const Region&)> want) {
    std::vector<const Region*> found;
    for (const Region& r : regions_)
      if (want(r)) found.push_back(&r);
    if (found.empty()) throw std::logic_error("no region to mutate");
    return *one_of(found);
  }

  /// An address for a pointer field: other regions, the ends of DRAM and of the address space.
  std::uint64_t pointer_value(std::uint64_t old) {
    const std::uint64_t small = pick(1, 64);
    switch (pick(0, 12)) {
      case 0:
        return 0;
      case 1:
      case 2:
      case 3:
        return region_of([](const Region&) { return true; }).addr;
      case 4: {
        const Region& r = region_of([](const Region&) { return true; });
        return r.addr + pick(0, unsigned(std::min<std::uint64_t>(r.bytes, 4096)));
      }
      case 5:
        return dram_ - pick(1, 300);  // straddles the end
      case 6:
        return dram_ + pick(0, 4096);
      case 7:
        return std::uint64_t(1) << 63;
      case 8:
        return ~std::uint64_t(0) - pick(0, 600);  // regions that wrap past 2^64
      case 9:
        return pick(0, 1) ? old + small : old - small;
      case 10:
        return old ^ (std::uint64_t(1) << pick(0, 63));
      case 11:
        return rng_();
      default:
        return old + (std::uint64_t(1) << 32);
    }
  }

  std::uint64_t value_for(const Field& f, std::uint64_t old) {
    if (f.pointer) return pointer_value(old);
    const std::uint64_t max = f.bytes == 8 ? ~std::uint64_t(0) : (std::uint64_t(1) << (8 * f.bytes)) - 1;
    switch (pick(0, 11)) {
      case 0:
        return 0;
      case 1:
        return 1;
      case 2:
        return max;
      case 3:
        return max - 1;
      case 4:
        return (old + 1) & max;
      case 5:
        return (old - 1) & max;
      case 6:
        return pick(2, 5);
      case 7:
        return old ^ (std::uint64_t(1) << pick(0, 8 * f.bytes - 1));
      case 8:
        return (old * 2) & max;
      case 9:
        return rng_() & max;
      case 10:
        return std::min<std::uint64_t>(max, one_of(std::vector<std::uint64_t>{65535, 65536, 1u << 31, 1u << 16 | 3}));
      default:
        return (old + (pick(0, 1) ? 8 : -8)) & max;
    }
  }

  void descriptor_bits() {
    const unsigned layer = pick(0, layers() - 1), n = pick(1, 3);
    for (unsigned i = 0; i < n; ++i) {
      const std::uint64_t at = desc_addr(layer) + pick(0, LayerDescriptor::BYTES - 1);
      const std::uint8_t was = image_[at];
      image_[at] = pick(0, 1) ? std::uint8_t(was ^ (1u << pick(0, 7))) : std::uint8_t(pick(0, 255));
      log_.push_back(fmt::format("layer {} descriptor byte {} = {:#04x} (was {:#04x})", layer, at - desc_addr(layer),
                                 image_[at], was));
    }
  }

  void field_value() {
    const unsigned layer = pick(0, layers() - 1);
    const Field& f = one_of(fields());
    set_field(layer, f, value_for(f, f.get(load(layer))));
  }

  /// Small, meaningful edits: many keep the layer valid and change what it computes.
  void semantic() {
    const unsigned layer = pick(0, layers() - 1);
    LayerDescriptor d = load(layer);
    auto nudge = [&](const char* name, int lo, int hi) {
      const Field& f = field(name);
      const std::int64_t delta = std::int64_t(pick(0, unsigned(hi - lo))) + lo;
      set_field(layer, f, std::uint64_t(std::max<std::int64_t>(0, std::int64_t(f.get(d)) + (delta ? delta : 1))));
      // A reshaped layer reads more or less: its output moved to the free memory keeps clear of its inputs.
      if (pick(0, 1)) set_field(layer, field("output_addr"), base_.prog.end + 256 * pick(0, 7));
    };
    switch (pick(0, 16)) {
      case 0:
        return set_field(layer, field("precision"), d.precision ^ 1u);
      case 1:
        return set_field(layer, field("flags"), d.flags ^ LayerDescriptor::FLAG_POST);
      case 2:
        return set_field(layer, field("flags"), d.flags ^ LayerDescriptor::FLAG_RELU);
      case 3:
        return set_field(layer, field("formats"), (d.formats & ~3u) | pick(0, 3));
      case 4:
        return set_field(layer, field("formats"), d.formats ^ LayerDescriptor::FORMAT_INPUT_ZVC);
      case 5:
        // Compressed output: its masks somewhere in the free memory behind the program.
        if (!d.output_zvc() && pick(0, 1))
          set_field(layer, field("output_mask_addr"), base_.prog.end + 256 * pick(0, 15));
        return set_field(layer, field("formats"), load(layer).formats ^ LayerDescriptor::FORMAT_OUTPUT_ZVC);
      case 6:
        return set_field(layer, field("winograd"), pick(0, 3));
      case 7:
        return nudge(pick(0, 1) ? "kernel_h" : "kernel_w", -2, 2);
      case 8:
        return nudge(pick(0, 1) ? "stride_h" : "stride_w", -1, 2);
      case 9:
        return nudge(one_of(std::vector<const char*>{"pad_top", "pad_bottom", "pad_left", "pad_right"}), -1, 1);
      case 10:
        return nudge(pick(0, 1) ? "in_channels" : "out_channels", -9, 9);
      case 11:
        return nudge(pick(0, 1) ? "in_height" : "in_width", -3, 3);
      case 12:
        return set_field(layer, field("op"), d.op ^ 1u);
      case 13:
        return set_field(layer, field(pick(0, 1) ? "winograd_input_shift" : "winograd_weight_shift"), pick(0, 5));
      case 14: {
        // One output pixel whose kernel covers an n x n input: from fitting to far beyond the buffer.
        const unsigned n = one_of(std::vector<unsigned>{16, 40, 64, 90, 200});
        for (const char* f : {"in_height", "in_width", "kernel_h", "kernel_w"}) field(f).set(d, n);
        for (const char* f : {"stride_h", "stride_w"}) field(f).set(d, 1);
        for (const char* f : {"pad_top", "pad_bottom", "pad_left", "pad_right"}) field(f).set(d, 0);
        store(layer, d);
        log_.push_back(fmt::format("layer {}: {}x{} input and kernel, stride 1, no padding", layer, n, n));
        return;
      }
      case 15: {
        // A huge input sampled by a stride as large: the model must read only the pixels it uses.
        const unsigned n = one_of(std::vector<unsigned>{1000, 65535, pick(100, 65535)});
        return sample(layer, pick(0, 3) != 0, n);  // a wide row leaves DRAM at once: mostly sample rows
      }
      default: {
        // Swap two of the layer's tensor pointers.
        static const std::vector<const char*> ptrs{"input_addr",       "weight_addr",     "output_addr",
                                                   "weight_meta_addr", "input_mask_addr", "output_mask_addr"};
        const Field& a = field(one_of(ptrs));
        const Field& b = field(one_of(ptrs));
        const std::uint64_t va = a.get(d), vb = b.get(d);
        set_field(layer, a, vb);
        return set_field(layer, b, va);
      }
    }
  }

  void pointer() {
    static const std::vector<const char*> ptrs{"input_addr",       "weight_addr",     "output_addr",
                                               "bias_addr",        "multiplier_addr", "shift_addr",
                                               "weight_meta_addr", "input_mask_addr", "output_mask_addr",
                                               "residual_addr"};
    const unsigned layer = pick(0, layers() - 1);
    const Field& f = field(one_of(ptrs));
    const Region& r = region_of([](const Region&) { return true; });
    static const std::vector<std::int64_t> offsets{0, 0, 0, 1, -1, 8, -8, 256, -256};
    set_field(layer, f, r.addr + std::uint64_t(one_of(offsets)));
  }

  /// A copy of layer `layer`'s descriptor in the free memory (a longer chain of valid layers).
  std::uint64_t duplicate(unsigned layer, std::uint64_t next) {
    const std::uint64_t at = base_.prog.end + 256 * pick(16, 31);
    LayerDescriptor d = load(layer);
    d.next = next;
    const auto bytes = d.encode();
    std::copy(bytes.begin(), bytes.end(), image_.begin() + std::ptrdiff_t(at));
    log_.push_back(fmt::format("copy of layer {} at {:#x}, next {:#x}", layer, at, next));
    return at;
  }

  void chain() {
    const unsigned layer = pick(0, layers() - 1);
    const Field& next = field("next");
    switch (pick(0, 9)) {
      case 0:
        return set_field(layer, next, desc_addr(layer));  // a self loop
      case 1:
        return set_field(layers() - 1, next, entry_);  // the chain loops
      case 2:
        return set_field(layer, next, desc_addr(pick(0, layers() - 1)));  // skip or loop
      case 3: {                                                           // into data
        const Region& r = region_of([](const Region& x) { return x.kind != Kind::descriptor; });
        return set_field(layer, next, r.addr + pick(0, 64));
      }
      case 4:
        return set_field(layer, next, 0);  // the chain ends early
      case 5:
        return set_field(layer, next, dram_ - pick(1, LayerDescriptor::BYTES));
      case 6: {  // the layer runs twice
        const LayerDescriptor d = load(layer);
        return set_field(layer, next, duplicate(layer, d.next));
      }
      default: {
        const std::uint64_t was = entry_;
        switch (pick(0, 3)) {
          case 0:
            entry_ = 0;
            break;
          case 1:
            entry_ = desc_addr(pick(0, layers() - 1));
            break;
          case 2:
            entry_ = region_of([](const Region& x) { return x.kind != Kind::descriptor; }).addr;
            break;
          default:
            entry_ = pointer_value(entry_);
            break;
        }
        log_.push_back(fmt::format("DESC_PTR = {:#x} (was {:#x})", entry_, was));
      }
    }
  }

  void data() {
    // Formats' side data first: masks and metadata are where decoders break.
    std::vector<const Region*> side, other;
    for (const Region& x : regions_)
      if (x.kind == Kind::input_mask || x.kind == Kind::weight_masks || x.kind == Kind::weight_meta ||
          x.kind == Kind::shift)
        side.push_back(&x);
      else if (x.kind != Kind::descriptor && x.kind != Kind::free)
        other.push_back(&x);
    const Region& r = *one_of(!side.empty() && pick(0, 1) ? side : other);
    const unsigned n = pick(1, 4);
    for (unsigned i = 0; i < n; ++i) {
      const std::uint64_t off = pick(0, unsigned(r.bytes - 1)), at = r.addr + off;
      const std::uint8_t was = image_[at];
      std::uint8_t v = was;
      switch (r.kind) {
        case Kind::weight_meta: {  // one nibble: a valid or an invalid index pair
          const unsigned sh = 4 * pick(0, 1);
          v = std::uint8_t((was & ~(0xFu << sh)) | pick(0, 15) << sh);
          break;
        }
        case Kind::input_mask:
        case Kind::weight_masks:
        case Kind::output_mask:
          v = std::uint8_t(was ^ (1u << pick(0, 7)));
          break;
        case Kind::shift:
          v = std::uint8_t(one_of(std::vector<unsigned>{0, 1, 31, 62, 63, 64, 255, pick(0, 40)}));
          break;
        case Kind::multiplier:
        case Kind::bias:
          if (pick(0, 1)) {  // an extreme word: INT32_MIN, INT32_MAX, -1, 0
            const std::uint32_t w = one_of(std::vector<std::uint32_t>{0x80000000u, 0x7FFFFFFFu, 0xFFFFFFFFu, 0});
            const std::uint64_t word = r.addr + off / 4 * 4;
            for (unsigned b = 0; b < 4; ++b) image_[word + b] = std::uint8_t(w >> (8 * b));
            log_.push_back(fmt::format("{} of layer {}: word at {:#x} = {:#x}", to_string(r.kind), r.layer, word, w));
            continue;
          }
          v = std::uint8_t(pick(0, 255));
          break;
        default:
          v = pick(0, 1) ? std::uint8_t(was ^ (1u << pick(0, 7))) : std::uint8_t(pick(0, 255));
          break;
      }
      image_[at] = v;
      log_.push_back(
          fmt::format("{} of layer {}: byte {:#x} = {:#04x} (was {:#04x})", to_string(r.kind), r.layer, at, v, was));
    }
  }

  void fill_hint() {
    const unsigned layer = pick(0, layers() - 1);
    static const std::vector<std::uint64_t> values{0,      1,      0x100,   0x1000,  0x4000,
                                                   0x8000, 0xFFFF, 0x10000, 0x20000, 0xFFFFFFFF};
    set_field(layer, field(pick(0, 1) ? "input_fill" : "weight_fill"), one_of(values));
  }

  std::mt19937_64& rng_;
  const Base& base_;
  std::uint64_t dram_;
  std::vector<std::uint8_t>& image_;
  std::uint64_t& entry_;
  std::vector<Region> regions_;
  std::vector<std::string> log_;
};

// ---------------------------------------------------------------- the campaign

/// A readback window: `bytes` of DRAM from `lo`, as a [1, 1, bytes] "layer" of
/// one-byte elements, so the Testbench reads them back after the run.
CompiledLayer window(std::uint64_t lo, std::uint64_t hi) {
  CompiledLayer cl;
  cl.layer.name = fmt::format("bytes [{:#x}, {:#x})", lo, hi);
  cl.layer.in_channels = cl.layer.out_channels = 1;
  cl.layer.in_width = unsigned(hi - lo);
  cl.output = lo;
  cl.output_bytes = hi - lo;
  cl.output_element_bytes = 1;
  cl.channel_pad = 1;
  return cl;
}

struct Case {
  unsigned index = 0;
  const Base* base = nullptr;
  std::string what;
  ReferenceRun ref;  ///< without its DRAM: `expected` keeps the windows
  std::vector<std::vector<std::uint8_t>> expected;
  bool changed = false;  ///< the mutant writes something else than the unmutated program
  std::size_t program = 0;
};

bool contains(const std::vector<ErrorCode>& codes, ErrorCode c) {
  return std::find(codes.begin(), codes.end(), c) != codes.end();
}

std::string codes_text(const std::vector<ErrorCode>& codes) {
  std::string s;
  for (ErrorCode c : codes) s += (s.empty() ? "" : "/") + std::string(regs::to_string(c));
  return s;
}

struct Campaign {
  std::string test;
  std::vector<Base> bases;
  std::uint64_t seed = 0;
  unsigned default_cases = 0;
  unsigned min_codes = 0;  ///< distinct error codes the campaign must reach
  /// A directed campaign: case i mutates base i % bases with this instead of
  /// random mutations, and every case must run to completion.
  std::function<void(Mutator&, std::mt19937_64&)> directed;
};

void run_campaign(const AcceleratorConfig& cfg, Campaign c) {
  const unsigned cases = unsigned(env_number("SDLA_FUZZ_CASES", c.default_cases));
  const unsigned first = unsigned(env_number("SDLA_FUZZ_FIRST", 0));
  const char* only_env = std::getenv("SDLA_FUZZ_ONLY");
  const bool only = only_env && *only_env, verbose = env_number("SDLA_FUZZ_VERBOSE", 0) != 0;
  const unsigned from = only ? unsigned(std::stoul(only_env)) : first, to = only ? from + 1 : first + cases;
  std::uint64_t end = 0;
  for (const Base& b : c.bases) end = std::max(end, b.prog.end);
  // Free memory behind the largest program: room for moved outputs, masks and copied descriptors.
  const std::uint64_t dram = (end + 12 * 1024 + 4095) / 4096 * 4096;
  for (Base& b : c.bases) {
    b.image.assign(dram, 0);
    for (const Segment& s : b.prog.segments)
      std::copy(s.bytes.begin(), s.bytes.end(), b.image.begin() + std::ptrdiff_t(s.addr));
  }
  const DescriptorReference reference(cfg, kMaxCost);

  // The reference itself must reproduce golden_outputs on every unmutated program.
  std::map<const Base*, std::vector<std::uint8_t>> unmutated;  // the memory each leaves behind
  for (const Base& b : c.bases) {
    SCOPED_TRACE(b.name);
    ReferenceRun r = reference.run(b.image, b.prog.entry);
    ASSERT_EQ(r.status, ReferenceRun::Status::done) << r.why;
    ASSERT_EQ(r.layer, b.prog.layers.size());
    for (std::size_t i = 0; i < b.prog.layers.size(); ++i) {
      const CompiledLayer& cl = b.prog.layers[i];
      const auto at = [&](std::uint64_t a, std::uint64_t n) {
        return std::vector<std::uint8_t>(r.dram.begin() + std::ptrdiff_t(a), r.dram.begin() + std::ptrdiff_t(a + n));
      };
      const auto y =
          unpack_output(cl, at(cl.output, cl.output_bytes),
                        cl.output_mask ? at(cl.output_mask, cl.output_mask_bytes) : std::vector<std::uint8_t>{});
      ASSERT_TRUE(y == b.golden[i]) << "the reference differs from golden_outputs in layer " << i;
    }
    unmutated[&b] = std::move(r.dram);
  }

  std::vector<Program> programs;
  std::vector<Case> all;
  std::vector<std::pair<std::size_t, const Base*>> goods;  // (program index, base)
  auto add_goods = [&] {
    for (const Base& b : c.bases) {
      goods.push_back({programs.size(), &b});
      programs.push_back(b.prog);
    }
  };
  unsigned redrawn = 0, dropped = 0;
  std::map<std::string, unsigned> redraw_why;
  for (unsigned i = from; i < to; ++i) {
    std::mt19937_64 rng(case_seed(c.seed, i));
    const Base& base = c.bases[c.directed ? i % c.bases.size()
                                          : std::uniform_int_distribution<std::size_t>(0, c.bases.size() - 1)(rng)];
    Case k;
    k.index = i;
    k.base = &base;
    std::vector<std::uint8_t> image;
    std::uint64_t entry = 0;
    bool ok = false;
    // Redraw (from the same stream) what the reference cannot predict.
    for (unsigned attempt = 0; attempt < 20 && !ok; ++attempt) {
      image = base.image;
      entry = base.prog.entry;
      Mutator m(rng, base, dram, image, entry);
      const unsigned r = std::uniform_int_distribution<unsigned>(0, 19)(rng);
      const unsigned n = r < 10 ? 1 : r < 16 ? 2 : r < 19 ? 3 : 4;
      if (c.directed)
        c.directed(m, rng);
      else
        for (unsigned j = 0; j < n; ++j) m.apply_one();
      k.what.clear();
      for (const std::string& s : m.log()) k.what += (k.what.empty() ? "" : "; ") + s;
      k.ref = reference.run(image, entry);
      ok = k.ref.status != ReferenceRun::Status::unpredictable;
      if (!ok) {
        ++redrawn;
        const bool slow = k.ref.why.find("cycles") != std::string::npos;
        ++redraw_why[slow                                             ? "too slow"
                     : k.ref.why.find("overlap") != std::string::npos ? "writes overlap reads"
                                                                      : "too large"];
      }
    }
    if (!ok) {
      ++dropped;
      continue;
    }
    Program p;
    p.entry = entry;
    p.end = dram;
    if (k.ref.status == ReferenceRun::Status::done)
      for (const ReferenceRun::Span& s : k.ref.written) {
        p.layers.push_back(window(s.lo, s.hi));
        k.expected.emplace_back(k.ref.dram.begin() + std::ptrdiff_t(s.lo), k.ref.dram.begin() + std::ptrdiff_t(s.hi));
        const auto& was = unmutated.at(&base);
        k.changed = k.changed ||
                    !std::equal(k.expected.back().begin(), k.expected.back().end(), was.begin() + std::ptrdiff_t(s.lo));
      }
    k.ref.dram.clear();
    k.ref.dram.shrink_to_fit();
    p.segments.push_back({0, std::move(image)});
    k.program = programs.size();
    programs.push_back(std::move(p));
    all.push_back(std::move(k));
    if (all.size() % kBatch == 0) add_goods();
  }
  add_goods();

  Testbench tb("tb", {cfg, "model", dram, {}});
  const std::vector<RunOutcome> out = tb.run(programs);
  ASSERT_EQ(out.size(), programs.size()) << "a run ended without an interrupt";

  // Failures are collected so that a broken model reports a few cases in full, not hundreds.
  std::vector<std::string> failures;
  std::map<ErrorCode, unsigned> tally;
  unsigned successes = 0, changed = 0, predicted_errors = 0, stricter = 0;
  for (const Case& k : all) {
    const RunOutcome& o = out[k.program];
    const std::string id = fmt::format("case {} on '{}' [{}]", k.index, k.base->name, k.what);
    std::vector<std::string> wrong;
    const bool ref_done = k.ref.status == ReferenceRun::Status::done;
    predicted_errors += !ref_done;
    if (o.ok) {
      ++successes;
      changed += k.changed;
      if (!ref_done)
        wrong.push_back("the model succeeded but the reference says: " + k.ref.why);
      else if (o.layers.size() != k.ref.layer)
        wrong.push_back(fmt::format("the model ran {} layers, the reference {}", o.layers.size(), k.ref.layer));
      else if (o.outputs.size() != k.expected.size())
        wrong.push_back(fmt::format("{} windows read back of {}", o.outputs.size(), k.expected.size()));
      else
        for (std::size_t w = 0; w < k.expected.size(); ++w) {
          const auto& got = o.outputs[w].values();
          for (std::size_t b = 0; b < k.expected[w].size(); ++b)
            if (std::uint8_t(got[b]) != k.expected[w][b]) {
              wrong.push_back(fmt::format("layer {} wrote DRAM wrongly: byte {:#x} is {:#04x}, the reference {:#04x}",
                                          w, k.ref.written[w].lo + b, std::uint8_t(got[b]), k.expected[w][b]));
              break;
            }
        }
    } else {
      ++tally[o.error];
      const unsigned code = unsigned(o.error);
      if (code < 1 || code > 6) wrong.push_back(fmt::format("error code {} ({})", code, regs::to_string(o.error)));
      if (o.message.empty()) wrong.push_back("an error without a message");
      if (ref_done || o.error_layer < k.ref.layer) {
        // The model stopped in a layer the reference ran: only its extra checks may do that.
        ++stricter;
        if (!contains({ErrorCode::invalid_layer, ErrorCode::dma_error, ErrorCode::buffer_capacity}, o.error))
          wrong.push_back(
              fmt::format("{} in layer {}, which the reference ran", regs::to_string(o.error), o.error_layer));
      } else if (o.error_layer > k.ref.layer) {
        wrong.push_back(fmt::format("the model failed in layer {}, after the reference's failure in layer {} ({})",
                                    o.error_layer, k.ref.layer, k.ref.why));
      } else if (!contains(k.ref.codes, o.error)) {
        wrong.push_back(fmt::format("{}, but the reference's failure ({}) allows {}", regs::to_string(o.error),
                                    k.ref.why, codes_text(k.ref.codes)));
      }
    }
    if (verbose)
      std::cout << id << " -> "
                << (o.ok ? "ok" : fmt::format("{} in layer {}", regs::to_string(o.error), o.error_layer))
                << " (reference: " << (ref_done ? "done" : k.ref.why) << ")" << (o.ok ? "" : " " + o.message) << "\n";
    if (!wrong.empty())
      failures.push_back(fmt::format("{}: {}; model: {} {}; replay: SDLA_SEED={} SDLA_FUZZ_ONLY={}", id, wrong.front(),
                                     o.ok ? "ok" : regs::to_string(o.error), o.message, c.seed, k.index));
  }
  for (const auto& [at, base] : goods) {
    const RunOutcome& o = out[at];
    if (!o.ok) {
      failures.push_back(
          fmt::format("unmutated '{}' (program {}) failed after the mutants: {}", base->name, at, o.message));
      continue;
    }
    bool exact = o.outputs.size() == base->golden.size();
    for (std::size_t l = 0; exact && l < base->golden.size(); ++l) exact = o.outputs[l] == base->golden[l];
    if (!exact)
      failures.push_back(fmt::format("unmutated '{}' (program {}) is not bit-exact after the mutants", base->name, at));
  }

  std::cout << c.test << ": " << all.size() << " cases (" << redrawn << " redrawn";
  for (const auto& [why, n] : redraw_why) std::cout << ", " << n << " " << why;
  std::cout << "; " << dropped << " dropped), " << goods.size() << " unmutated runs, DRAM " << dram << " bytes\n"
            << "  reference: " << all.size() - predicted_errors << " complete, " << predicted_errors << " must fail\n"
            << "  model: " << successes << " ok (bit-exact against the reference; " << changed
            << " of them write other bytes than the unmutated program)";
  for (const auto& [code, n] : tally)
    std::cout << ", " << n << " " << regs::to_string(code) << " (" << unsigned(code) << ")";
  std::cout << "; " << stricter << " failures in layers the reference ran\n";
  for (std::size_t f = 0; f < failures.size() && f < 10; ++f) ADD_FAILURE() << failures[f];
  EXPECT_TRUE(failures.empty()) << failures.size() << " failing cases (the first 10 above)";
  if (c.directed) {
    EXPECT_EQ(dropped, 0u) << "directed mutants the reference could not predict";
    EXPECT_EQ(successes, all.size()) << "directed mutants that failed";
    return;
  }
  if (only) return;
  // The fuzzer must stay effective: it reaches several error paths and runs that succeed.
  EXPECT_GE(tally.size(), c.min_codes) << "distinct error codes reached";
  EXPECT_GE(successes, all.size() / 10) << "mutants that ran to completion";
  EXPECT_GE(changed, successes / 4) << "mutants that ran and computed something new";
  EXPECT_LE(dropped, all.size() / 20) << "cases the reference could not predict in 20 draws";
}

AcceleratorConfig small() { return AcceleratorConfig::preset("small"); }

Layer conv(const std::string& name, unsigned C, unsigned H, unsigned W, unsigned K, unsigned R, bool post,
           Precision p = Precision::int8) {
  const Layer l = test::conv_layer(name, C, H, W, K, R, p);
  return post ? test::with_post(l, 5, 10) : l;
}

Layer formats(Layer l, TensorFormat weights, TensorFormat acts, double density = 0.5) {
  l.weight_format = weights;
  l.activation_format = acts;
  l.input_density = l.weight_density = density;
  return l;
}

Layer winograd(Layer l, Winograd mode, unsigned input_shift = 2) {
  l.winograd = mode;
  l.winograd_strict = true;
  l.winograd_input_shift = input_shift;
  return l;
}

/// Tile steps of a base's first layer, planned as the model plans it (with the descriptor's fill hints).
std::size_t steps(const AcceleratorConfig& cfg, const Base& b) {
  for (const Segment& s : b.prog.segments)
    if (s.addr == b.prog.layers[0].descriptor) {
      const LayerDescriptor d = LayerDescriptor::decode(s.bytes.data());
      auto fill = [](std::uint32_t q16) { return q16 ? q16 / 65536.0 : 1.0; };
      return plan_tiles(b.prog.layers[0].layer, cfg, fill(d.input_fill), fill(d.weight_fill)).step_count();
    }
  return 0;
}

/// A one-pixel layer: cheap enough that a loop of 4096 runs in the budget.
Base tiny(const AcceleratorConfig& cfg, std::uint64_t seed) {
  return make_base(cfg, "tiny", {conv("tiny", 3, 1, 1, 2, 1, true)}, seed);
}

// ---------------------------------------------------------------- tests

TEST(FuzzDescriptors, DenseLayersAndChains) {
  const auto cfg = small();
  Campaign c;
  c.test = "DenseLayersAndChains";
  c.seed = test::seed(1);
  c.default_cases = 500;
  c.min_codes = 4;
  Layer strided = conv("strided", 9, 7, 8, 5, 3, true);
  strided.stride_h = 2;
  strided.pad = {1, 0, 2, 1};
  Layer fc;
  fc.name = "fc";
  fc.op = Op::fc;
  fc.in_channels = 40;
  fc.out_channels = 12;
  c.bases.push_back(make_base(cfg, "int8_conv", {conv("c8", 12, 6, 5, 10, 3, true)}, c.seed + 1));
  c.bases.push_back(make_base(cfg, "int16_conv", {conv("c16", 6, 5, 4, 7, 3, false, Precision::int16)}, c.seed + 2));
  c.bases.push_back(make_base(cfg, "int8_strided", {strided}, c.seed + 3));
  c.bases.push_back(make_base(
      cfg, "chain3",
      {conv("c0", 5, 6, 5, 12, 3, true), conv("c1", 12, 6, 5, 10, 1, true), conv("c2", 10, 6, 5, 6, 3, false)},
      c.seed + 4));
  c.bases.push_back(make_base(cfg, "fc", {test::with_post(fc, 3, 8, false)}, c.seed + 5));
  c.bases.push_back(tiny(cfg, c.seed + 6));
  // More output pixels than the accumulator holds: several tile steps, double-buffered.
  c.bases.push_back(make_base(cfg, "multi_step", {conv("m", 16, 30, 36, 20, 1, true)}, c.seed + 7));
  ASSERT_GT(steps(cfg, c.bases.back()), 2u) << "the layer should need several steps";
  run_campaign(cfg, std::move(c));
}

TEST(FuzzDescriptors, SparseFormats) {
  const auto cfg = small();
  Campaign c;
  c.test = "SparseFormats";
  c.seed = test::seed(2);
  c.default_cases = 500;
  c.min_codes = 4;
  const auto zvc = TensorFormat::zvc, s24 = TensorFormat::sparse_2_4, dense = TensorFormat::dense;
  c.bases.push_back(make_base(cfg, "zvc_int8", {formats(conv("z8", 12, 6, 6, 9, 3, true), zvc, zvc)}, c.seed + 1));
  c.bases.push_back(make_base(cfg, "zvc_int16",
                              {formats(conv("z16", 6, 5, 4, 5, 3, false, Precision::int16), zvc, zvc)}, c.seed + 2));
  c.bases.push_back(
      make_base(cfg, "2:4_int8", {formats(conv("s8", 20, 5, 5, 9, 3, true), s24, dense, 1.0)}, c.seed + 3));
  c.bases.push_back(make_base(cfg, "2:4_int16_zvc",
                              {formats(conv("s16", 10, 4, 4, 6, 3, true, Precision::int16), s24, zvc)}, c.seed + 4));
  c.bases.push_back(make_base(
      cfg, "zvc_chain", {conv("w0", 6, 5, 5, 12, 3, true), formats(conv("r1", 12, 5, 5, 8, 3, true), s24, zvc, 0.7)},
      c.seed + 5));
  c.bases.push_back(tiny(cfg, c.seed + 6));
  // Several tile steps of ZVC data, planned from the fill hints.
  c.bases.push_back(
      make_base(cfg, "multi_step_zvc", {formats(conv("mz", 16, 40, 40, 12, 1, true), zvc, zvc, 0.4)}, c.seed + 7));
  ASSERT_GT(steps(cfg, c.bases.back()), 2u) << "the layer should need several steps";
  run_campaign(cfg, std::move(c));
}

TEST(FuzzDescriptors, PoolAndResidual) {
  // The pooling unit and the post-processor's residual reads: pool kinds,
  // windows, padding, residual addresses and data mutated like everything else.
  const auto cfg = small();
  Campaign c;
  c.test = "PoolAndResidual";
  c.seed = test::seed(5);
  c.default_cases = 400;
  c.min_codes = 3;
  using test::pool_layer;
  using test::with_residual;
  const Layer max8 = pool_layer("max8", PoolKind::max, 12, 9, 8, 3, 2, 1);
  Layer avg16 = pool_layer("avg16", PoolKind::avg, 6, 5, 6, 3, 1, 0, Precision::int16);
  avg16.kernel_w = 2;
  avg16.pad = {1, 0, 0, 1};
  Layer fc;
  fc.name = "fc";
  fc.op = Op::fc;
  fc.in_channels = 24;
  fc.out_channels = 10;
  c.bases.push_back(make_base(cfg, "maxpool_int8", {max8}, c.seed + 1));
  c.bases.push_back(make_base(cfg, "avgpool_int16", {avg16}, c.seed + 2));
  c.bases.push_back(make_base(cfg, "conv_pool_residual_gap",
                              {conv("c0", 5, 6, 6, 12, 3, true), pool_layer("p1", PoolKind::max, 12, 6, 6, 2, 2, 0),
                               with_residual(conv("c2", 12, 3, 3, 12, 3, true)), test::global_avgpool("g3", 12, 3, 3)},
                              c.seed + 3));
  c.bases.push_back(make_base(cfg, "residual_int16",
                              {with_residual(conv("r16", 6, 5, 4, 7, 3, true, Precision::int16))}, c.seed + 4));
  c.bases.push_back(make_base(cfg, "residual_fc", {with_residual(test::with_post(fc, 3, 8, false))}, c.seed + 5));
  c.bases.push_back(tiny(cfg, c.seed + 6));
  run_campaign(cfg, std::move(c));
}

TEST(FuzzDescriptors, GroupedLayers) {
  // Grouped and depthwise layers: the groups field and the span-packed
  // weights mutated like everything else (a groups value that divides C and
  // K reads the weight image with another span; the reference follows it).
  const auto cfg = small();
  Campaign c;
  c.test = "GroupedLayers";
  c.seed = test::seed(6);
  c.default_cases = 200;
  c.min_codes = 3;
  auto grouped = [](Layer l, unsigned groups) {
    l.groups = groups;
    return l;
  };
  const auto zvc = TensorFormat::zvc, s24 = TensorFormat::sparse_2_4, dense = TensorFormat::dense;
  c.bases.push_back(make_base(cfg, "depthwise_int8", {grouped(conv("d8", 12, 6, 5, 12, 3, true), 12)}, c.seed + 1));
  Layer dw16 = grouped(formats(conv("d16", 10, 7, 6, 20, 3, false, Precision::int16), zvc, zvc), 10);
  dw16.stride_h = dw16.stride_w = 2;
  c.bases.push_back(make_base(cfg, "depthwise_int16_zvc", {dw16}, c.seed + 2));
  // 3 groups of one atom: the second output-channel group's units start at min(2, 3 - 2) = 1.
  c.bases.push_back(make_base(cfg, "groups3", {grouped(conv("g3", 24, 5, 4, 12, 1, true), 3)}, c.seed + 3));
  c.bases.push_back(
      make_base(cfg, "groups2_2:4", {grouped(formats(conv("g24", 16, 5, 5, 6, 3, true), s24, dense, 1.0), 2)},
                c.seed + 4));
  c.bases.push_back(make_base(
      cfg, "bottleneck",
      {conv("e0", 5, 6, 6, 12, 1, true), grouped(formats(conv("dw1", 12, 6, 6, 12, 3, true), dense, zvc), 12),
       conv("p2", 12, 6, 6, 7, 1, false)},
      c.seed + 5));
  c.bases.push_back(tiny(cfg, c.seed + 6));
  // Several tile steps per output-channel group.
  c.bases.push_back(
      make_base(cfg, "multi_step_depthwise", {grouped(conv("md", 16, 30, 36, 16, 3, true), 16)}, c.seed + 7));
  ASSERT_GT(steps(cfg, c.bases.back()), 4u) << "the layer should need several steps";
  run_campaign(cfg, std::move(c));
}

TEST(FuzzDescriptors, HugeSampledInputsReadOnlyWhatTheyUse) {
  // An input of up to 65535 rows, far beyond DRAM, sampled with a stride as
  // large: one output row. The model must read only the rows that row uses
  // (the reference computes it pixel by pixel, the input being too large to hold).
  const auto cfg = small();
  Campaign c;
  c.test = "HugeSampledInputs";
  c.seed = test::seed(4);
  c.default_cases = 12;
  const auto zvc = TensorFormat::zvc, s24 = TensorFormat::sparse_2_4;
  c.bases.push_back(make_base(cfg, "int8_conv", {conv("c8", 12, 6, 5, 10, 3, true)}, c.seed + 1));
  c.bases.push_back(make_base(cfg, "int16_conv", {conv("c16", 6, 5, 4, 7, 3, false, Precision::int16)}, c.seed + 2));
  c.bases.push_back(make_base(cfg, "zvc_int8", {formats(conv("z8", 12, 6, 6, 9, 3, true), zvc, zvc)}, c.seed + 3));
  c.bases.push_back(make_base(cfg, "2:4_int8",
                              {formats(conv("s8", 20, 5, 5, 9, 3, true), s24, TensorFormat::dense, 1.0)}, c.seed + 4));
  c.directed = [](Mutator& m, std::mt19937_64& rng) {
    m.sample(0, true, std::uniform_int_distribution<unsigned>(30000, 65535)(rng));
  };
  run_campaign(cfg, std::move(c));
}

TEST(FuzzDescriptors, Winograd) {
  const auto cfg = small();
  Campaign c;
  c.test = "Winograd";
  c.seed = test::seed(3);
  c.default_cases = 500;
  c.min_codes = 3;
  Layer nv16 = winograd(conv("n16", 5, 4, 5, 5, 3, false, Precision::int16), Winograd::nvdla, 0);
  nv16.pad = {1, 0, 0, 1};
  // Raw outputs: corrupted transformed weights show in every bit (Z / 4 truncating).
  c.bases.push_back(make_base(cfg, "exact", {winograd(conv("e8", 7, 6, 5, 9, 3, false), Winograd::exact)}, c.seed + 1));
  c.bases.push_back(make_base(
      cfg, "nvdla_int8_zvc",
      {winograd(formats(conv("n8", 10, 5, 6, 6, 3, true), TensorFormat::dense, TensorFormat::zvc), Winograd::nvdla, 1)},
      c.seed + 2));
  c.bases.push_back(make_base(cfg, "nvdla_int16", {nv16}, c.seed + 3));
  c.bases.push_back(make_base(
      cfg, "exact_chain", {winograd(conv("e0", 6, 5, 5, 8, 3, true), Winograd::exact), conv("d1", 8, 5, 5, 5, 1, true)},
      c.seed + 4));
  c.bases.push_back(tiny(cfg, c.seed + 5));
  // More 2x2 tiles than one step holds.
  c.bases.push_back(
      make_base(cfg, "nvdla_multi_step", {winograd(conv("nm", 8, 34, 34, 10, 3, true), Winograd::nvdla)}, c.seed + 6));
  ASSERT_GT(steps(cfg, c.bases.back()), 2u) << "the layer should need several steps";
  run_campaign(cfg, std::move(c));
}

}  // namespace
}  // namespace sdla
