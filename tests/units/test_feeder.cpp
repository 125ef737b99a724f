// Unit bench of the feeder (models/units/feeder.hpp, NVDLA's CSC), alone: a
// stub loader builds the SlotLoads of a TilePlan itself (every atom at an
// offset that names it), a stub decompressor "expands" each atom into values
// derived from its offset, a stub MAC path records the passes and a stub
// accumulator records the PsumBlocks. The reference is the plan's steps and
// the layer's geometry, walked here independently:
//  * direct convolution: R*S passes per (group, unit) in kernel-position
//    order; each activation vector is the im2col row of the right input
//    pixel (padding pixels zero-lined and not read), the weights are the
//    block of the right position; the accumulator sees clear at the first
//    channel block, one add per pass, one drain (component -1, final) per
//    group after the last channel block, and one finish at the end;
//  * Winograd (nvdla): 16 components per (group, unit), component-major over
//    the units, one vector per 2x2 tile, each made of the four inputs named
//    by kWinogradInputRows; a drain per component, first on component 0 of
//    the first channel block and final on component 15 of the last;
//  * no pass starts before its block's ready_at; slots are released in order.
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "feeder.hpp"
#include "sdla/atom_batch.hpp"
#include "sdla/psum_block.hpp"
#include "sdla/slot_load.hpp"
#include "sdla/tile_feed.hpp"
#include "sdla/tile_plan.hpp"
#include "unit_bench.hpp"

namespace sdla {
namespace {

using sc_core::sc_time;
using sc_core::SC_NS;

constexpr std::uint64_t kJob = 7;

/// The value the decompressor stub gives lane i of the atom at slot offset
/// `off`: unique per (atom, lane), and zero (zero line set) for some.
std::int16_t atom_value(std::uint32_t off, unsigned atom_bytes, unsigned lanes, unsigned i) {
  const unsigned code = off / atom_bytes * lanes + i;
  return code % 7 == 3 ? std::int16_t(0) : std::int16_t(code % 30000 + 1);
}

/// One pass as the MAC path saw it.
struct Pass {
  unsigned columns = 0, vectors = 0, lanes_valid = 0, lanes = 0, act_lanes = 0;
  bool winograd = false;
  unsigned component = 0, tile_lanes = 0, lane_offset = 0;
  std::vector<std::int16_t> weights, acts, inputs;
  std::vector<std::uint8_t> weight_zero, act_zero, input_zero;
  std::size_t batches_before = 0;  // decompressor batches issued before this pass
  sc_time at;                      // simulated time the pass starts (annotated)
};

struct AccOp {
  PsumBlock::Op op = PsumBlock::Op::add;
  unsigned group = 0, first_channel = 0, columns = 0, entries = 0;
  int component = -1;
  bool first = false, final = true;
  TileStep step{};
  bool pass_ok = false;  // add: the pass carries the MAC stub's sums
};

struct Batch {
  std::size_t base = 0;
  Precision precision = Precision::int8;
  std::vector<AtomRead> reads;  // one per atom (runs taken apart)
  std::size_t sent = 0;         // reads as sent: runs of atoms count once
};

/// Runs `body` once in an SC_THREAD.
class Driver : public sc_core::sc_module {
 public:
  std::function<void()> body;
  explicit Driver(const sc_core::sc_module_name& name) : sc_module(name) { SC_THREAD(run); }

 private:
  SC_HAS_PROCESS(Driver);
  void run() {
    if (body) body();
  }
};

struct Bench {
  AcceleratorConfig cfg;
  Layer layer;
  TilePlan plan;
  std::size_t in_base = 0;  // slot offset of the input atoms, after every weight chunk
  std::vector<SlotLoad> sent;
  std::vector<unsigned> releases;
  std::vector<Batch> batches;
  std::vector<Pass> passes;
  std::vector<AccOp> ops;
  bool done = false;

  Feeder feeder;
  test::Sink<AtomBatch> dec;
  test::Sink<TileFeed> mac;
  test::Sink<PsumBlock> acc;
  sc_core::sc_fifo<SlotLoad> loaded{"loaded_fifo", 2};
  sc_core::sc_fifo<unsigned> released{"released_fifo", 2};
  Driver loader{"loader"}, runner{"runner"};

  Bench(const std::string& preset, Layer l)
      : cfg(AcceleratorConfig::preset(preset)),
        layer(std::move(l)),
        plan(plan_tiles(layer, cfg)),
        feeder("feeder", cfg),
        dec("dec", [this](AtomBatch& b, sc_time&) { decompress(b); }),
        mac("mac", [this](TileFeed& f, sc_time& d) { mac_pass(f, d); }),
        acc("acc", [this](PsumBlock& b, sc_time& d) { accumulate(b, d); }) {
    in_base = std::size_t(plan.kgroups) * plan.units * plan.positions * cfg.atomic_k * plan.atom_bytes;
    feeder.dec_isock.bind(dec.tsock);
    feeder.feed_isock.bind(mac.tsock);
    feeder.acc_isock.bind(acc.tsock);
    feeder.loaded(loaded);
    feeder.released(released);
    loader.body = [this] { load(); };
    runner.body = [this] {
      try {
        feeder.run_layer(layer, plan, kJob);
        done = true;
      } catch (const std::exception& e) {
        ADD_FAILURE() << "run_layer threw: " << e.what();
      }
    };
  }

  unsigned lanes() const { return plan.lanes; }
  std::size_t block(const TileStep& s, unsigned kg, unsigned u) const {
    return std::size_t(kg - s.kg0) * (s.u1 - s.u0) + (u - s.u0);
  }
  /// Offset of input atom a of pixel (h, w): names the pixel, not the window.
  std::uint32_t input_offset(unsigned h, unsigned w, unsigned a) const {
    return std::uint32_t(in_base + ((std::size_t(h) * layer.in_width + w) * plan.in_atoms + a) * plan.atom_bytes);
  }
  /// Offset of column k of weight block `pos` of chunk (kg, u): the chunk of
  /// (kg, u) sits at a place that depends on kg and u only.
  std::uint32_t weight_offset(unsigned kg, unsigned u, std::size_t pos, unsigned k) const {
    const unsigned cols = group_columns(layer, cfg, kg);
    const std::size_t chunk = (std::size_t(kg) * plan.units + u) * plan.positions * cfg.atomic_k * plan.atom_bytes;
    return std::uint32_t(chunk + (pos * cols + k) * plan.atom_bytes);
  }

  // ---- stub loader: the plan's steps in alternating slots, a slot reused after its release
  void release() {
    unsigned slot = 99;
    released.read(slot);
    releases.push_back(slot);
  }
  void load() {
    const std::size_t n = plan.step_count();
    for (std::size_t i = 0; i < n; ++i) {
      if (i >= 2) release();
      SlotLoad ld;
      ld.job = kJob;
      ld.index = i;
      ld.slot = unsigned(i % 2);
      ld.base = ld.slot * plan.slot_bytes;
      ld.step = plan.step(i);
      const TileStep& s = ld.step;
      for (unsigned u = s.u0; u < s.u1; ++u)
        for (unsigned h = s.h0; h < s.h1; ++h)
          for (unsigned w = s.w0; w < s.w1; ++w)
            for (unsigned j = 0; j < plan.unit_atoms; ++j) {
              AtomRef r;
              r.values = input_offset(h, w, u * plan.unit_atoms + j);
              ld.layout.input.push_back(r);
            }
      for (unsigned kg = s.kg0; kg < s.kg1; ++kg)
        for (unsigned u = s.u0; u < s.u1; ++u) {
          ld.layout.chunk.push_back(weight_offset(kg, u, 0, 0));
          // Blocks arrive one after another, 40 ns apart, starting 100 ns in.
          ld.ready_at.push_back(sc_core::sc_time_stamp() + sc_time(100 + 40.0 * double(block(s, kg, u)), SC_NS));
        }
      ld.layout.used = in_base + std::size_t(s.h1 - s.h0) * (s.w1 - s.w0) * (s.u1 - s.u0) * plan.atom_bytes;
      sent.push_back(ld);
      loaded.write(ld);
    }
    for (std::size_t i = std::min<std::size_t>(n, 2); i > 0; --i) release();
  }

  // ---- stub decompressor: lane i of the atom at offset `values` is atom_value(values, i)
  void decompress(AtomBatch& b) {
    batches.push_back({b.base, b.precision, {}, b.reads.size()});
    for (const AtomRead& run : b.reads) {
      EXPECT_EQ(run.ref.mask, AtomRef::kNoMask) << "dense tensors have no masks";
      EXPECT_GE(run.count, 1u);
      // A run's atoms follow each other in the buffer.
      for (unsigned k = 0; k < run.count; ++k) {
        AtomRead r = run;
        r.ref.values = std::uint32_t(run.ref.values + k * run.lanes * element_bytes(b.precision));
        r.dst = run.dst + k * run.dst_stride;
        r.count = 1;
        batches.back().reads.push_back(r);
        for (unsigned i = 0; i < r.lanes; ++i) {
          const std::int16_t v = atom_value(r.ref.values, plan.atom_bytes, lanes(), i);
          b.values[r.dst + i] = v;
          b.zero[r.dst + i] = v == 0;
        }
      }
    }
  }

  // ---- stub MAC path: records the pass, sums = vector * 100 + column
  void mac_pass(TileFeed& f, sc_time& delay) {
    MacPass& p = f.pass;
    Pass r;
    r.columns = p.columns;
    r.vectors = p.vectors;
    r.lanes_valid = p.lanes_valid;
    r.lanes = p.lanes;
    r.act_lanes = p.act_lanes;
    r.winograd = f.winograd;
    r.component = f.component;
    r.tile_lanes = f.tile_lanes;
    r.lane_offset = f.lane_offset;
    r.weights = p.weights;
    r.weight_zero = p.weight_zero;
    if (f.winograd) {
      const std::size_t n = std::size_t(p.vectors) * 4 * f.tile_lanes;
      r.inputs.assign(f.inputs.begin(), f.inputs.begin() + std::ptrdiff_t(n));
      r.input_zero.assign(f.input_zero.begin(), f.input_zero.begin() + std::ptrdiff_t(n));
    } else {
      const std::size_t n = std::size_t(p.vectors) * p.act_lanes;
      r.acts.assign(p.acts.begin(), p.acts.begin() + std::ptrdiff_t(n));
      r.act_zero.assign(p.act_zero.begin(), p.act_zero.begin() + std::ptrdiff_t(n));
    }
    r.batches_before = batches.size();
    r.at = sc_core::sc_time_stamp() + delay;
    passes.push_back(std::move(r));
    for (unsigned v = 0; v < p.vectors; ++v)
      for (unsigned k = 0; k < p.atomic_k; ++k) p.psums[std::size_t(v) * p.atomic_k + k] = std::int64_t(v) * 100 + k;
    p.status = MacStatus::ok;
    p.activity = MacActivity{};
    p.activity.cycles = p.columns + p.vectors;
    p.has_reference = false;
    delay += sc_time(double(p.activity.cycles), SC_NS);
  }

  // ---- stub accumulator: records the op sequence
  void accumulate(PsumBlock& b, sc_time& delay) {
    AccOp o;
    o.op = b.op;
    o.group = b.group;
    if (b.op == PsumBlock::Op::add) {
      o.pass_ok = b.pass != nullptr && b.pass->vectors == passes.back().vectors && b.pass->psum(0, 0) == 0 &&
                  (b.pass->vectors < 2 || b.pass->psum(1, 0) == 100);
    } else if (b.op == PsumBlock::Op::drain) {
      o.first_channel = b.first_channel;
      o.columns = b.columns;
      o.entries = b.entries;
      o.component = b.component;
      o.first = b.first;
      o.final = b.final;
      o.step = b.step;
      delay += sc_time(5, SC_NS);
    }
    ops.push_back(o);
  }

  void run() {
    sc_core::sc_start();
    EXPECT_TRUE(done) << "run_layer returned";
    std::vector<unsigned> order;
    for (std::size_t i = 0; i < plan.step_count(); ++i) order.push_back(unsigned(i % 2));
    EXPECT_EQ(releases, order) << "slots released in step order";
  }
};

bool same_step(const TileStep& a, const TileStep& b) {
  return a.kg0 == b.kg0 && a.kg1 == b.kg1 && a.u0 == b.u0 && a.u1 == b.u1 && a.p0 == b.p0 && a.p1 == b.p1 &&
         a.q0 == b.q0 && a.q1 == b.q1 && a.first_c == b.first_c && a.last_c == b.last_c;
}

/// Checks weights of pass `p` are block `pos` of chunk (kg, u).
void check_weights(const Bench& b, const Pass& p, unsigned kg, unsigned u, std::size_t pos, const std::string& what) {
  const unsigned cols = group_columns(b.layer, b.cfg, kg);
  EXPECT_EQ(p.columns, cols) << what;
  unsigned bad = 0;
  for (unsigned k = 0; k < cols; ++k)
    for (unsigned i = 0; i < p.lanes; ++i) {
      const std::int16_t v = atom_value(b.weight_offset(kg, u, pos, k), b.plan.atom_bytes, b.lanes(), i);
      const std::size_t at = std::size_t(k) * p.lanes + i;
      if (p.weights[at] != v || p.weight_zero[at] != (v == 0)) ++bad;
    }
  EXPECT_EQ(bad, 0u) << what << ": weights of block " << pos;
}

/// The accumulator op `o` is `want` (only the fields that `want`'s op uses).
void check_op(const AccOp& o, const AccOp& want, const std::string& what) {
  ASSERT_EQ(int(o.op), int(want.op)) << what;
  EXPECT_EQ(o.group, want.group) << what;
  if (want.op == PsumBlock::Op::add) {
    EXPECT_TRUE(o.pass_ok) << what << ": add carries the pass just run";
  }
  if (want.op == PsumBlock::Op::drain) {
    EXPECT_EQ(o.first_channel, want.first_channel) << what;
    EXPECT_EQ(o.columns, want.columns) << what;
    EXPECT_EQ(o.entries, want.entries) << what;
    EXPECT_EQ(o.component, want.component) << what;
    EXPECT_EQ(o.first, want.first) << what;
    EXPECT_EQ(o.final, want.final) << what;
    EXPECT_TRUE(same_step(o.step, want.step)) << what << ": drain names its step";
  }
}

AccOp op(PsumBlock::Op o, unsigned group) {
  AccOp a;
  a.op = o;
  a.group = group;
  return a;
}

Layer conv3x3(unsigned C, unsigned H, unsigned W, unsigned K) {
  Layer l;
  l.name = "feeder_bench";
  l.precision = Precision::int8;
  l.in_channels = C;
  l.in_height = H;
  l.in_width = W;
  l.out_channels = K;
  l.kernel_h = l.kernel_w = 3;
  l.pad = {1, 1, 1, 1};
  return l;
}

// Small preset (8 lanes, 8 columns): C = 12 and K = 12 make a partial last
// unit (4 valid lanes) and a partial last group (4 columns); 24x24 outputs
// exceed the accumulator (512 pixels per group, 256 with both groups
// resident), so the plan takes several steps: 3 row tiles x 2 channel blocks
// (first_c / last_c on different steps).
TEST(Feeder, DirectConv3x3Pad1) {
  Bench b("small", conv3x3(12, 24, 24, 12));
  const TilePlan& plan = b.plan;
  ASSERT_GE(plan.step_count(), 2u) << plan.summary();
  b.run();

  const Layer& L = b.layer;
  const bool split_c = plan.units_per_block < plan.units;
  std::size_t pi = 0, oi = 0;
  auto next_op = [&](const AccOp& want, const std::string& what) {
    ASSERT_LT(oi, b.ops.size()) << what << ": missing accumulator op";
    check_op(b.ops[oi++], want, what);
  };
  std::size_t padding_vectors = 0;
  for (std::size_t i = 0; i < plan.step_count(); ++i) {
    const SlotLoad& ld = b.sent.at(i);
    const TileStep& s = ld.step;
    for (unsigned kg = s.kg0; kg < s.kg1; ++kg) {
      const unsigned group = split_c ? kg - s.kg0 : 0;
      if (s.first_c) next_op(op(PsumBlock::Op::clear, group), fmt::format("step {} group {}: clear", i, kg));
      for (unsigned u = s.u0; u < s.u1; ++u) {
        const unsigned lanes_valid = std::min(b.lanes(), L.in_channels - u * b.lanes());
        for (unsigned r = 0; r < L.kernel_h; ++r)
          for (unsigned c = 0; c < L.kernel_w; ++c) {
            const std::string what = fmt::format("step {} group {} unit {} position ({}, {})", i, kg, u, r, c);
            ASSERT_LT(pi, b.passes.size()) << what << ": missing pass";
            const Pass& p = b.passes[pi++];
            EXPECT_FALSE(p.winograd) << what;
            EXPECT_EQ(p.vectors, s.pixels()) << what;
            EXPECT_EQ(p.lanes_valid, lanes_valid) << what;
            EXPECT_GE(p.at, ld.ready_at[b.block(s, kg, u)]) << what << ": pass before its block is in";
            check_weights(b, p, kg, u, std::size_t(r) * L.kernel_w + c, what);
            // Two decompressor batches per pass: weights, then activations.
            ASSERT_GE(p.batches_before, 2u) << what;
            const Batch& wb = b.batches[p.batches_before - 2];
            const Batch& ab = b.batches[p.batches_before - 1];
            EXPECT_EQ(wb.base, ld.base) << what;
            EXPECT_EQ(ab.base, ld.base) << what;
            EXPECT_EQ(wb.reads.size(), group_columns(L, b.cfg, kg)) << what << ": one atom per weight column";
            EXPECT_EQ(wb.sent, 1u) << what << ": a block's columns lie together, one run";
            // im2col: vector v is input pixel (p*stride + r - pad, q*stride + c - pad).
            std::size_t reads = 0;
            unsigned bad_values = 0, bad_padding = 0;
            unsigned v = 0;
            for (unsigned op_ = s.p0; op_ < s.p1; ++op_)
              for (unsigned oq = s.q0; oq < s.q1; ++oq, ++v) {
                const long h = long(op_) * L.stride_h + r - long(L.pad.top);
                const long w = long(oq) * L.stride_w + c - long(L.pad.left);
                const std::size_t row = std::size_t(v) * p.act_lanes;
                if (h < 0 || w < 0 || h >= long(L.in_height) || w >= long(L.in_width)) {
                  ++padding_vectors;
                  for (unsigned j = 0; j < lanes_valid; ++j)
                    if (p.acts[row + j] != 0 || p.act_zero[row + j] != 1) ++bad_padding;
                  continue;
                }
                ++reads;
                for (unsigned j = 0; j < lanes_valid; ++j) {
                  const std::int16_t want =
                      atom_value(b.input_offset(unsigned(h), unsigned(w), u), plan.atom_bytes, b.lanes(), j);
                  if (p.acts[row + j] != want || p.act_zero[row + j] != (want == 0)) ++bad_values;
                }
                // Lanes past the layer's channels stay zero-lined.
                for (unsigned j = lanes_valid; j < p.lanes; ++j)
                  if (p.act_zero[row + j] != 1) ++bad_values;
              }
            EXPECT_EQ(bad_values, 0u) << what << ": activation vectors are not the im2col rows";
            EXPECT_EQ(bad_padding, 0u) << what << ": padding vectors are not zero-lined zeros";
            EXPECT_EQ(ab.reads.size(), reads) << what << ": one atom per non-padding pixel, none for padding";
            next_op(op(PsumBlock::Op::add, group), what + ": add");
          }
      }
      if (s.last_c) {
        AccOp d = op(PsumBlock::Op::drain, group);
        d.first_channel = kg * b.cfg.atomic_k;
        d.columns = group_columns(L, b.cfg, kg);
        d.entries = s.pixels();
        d.component = -1;
        d.first = false;
        d.final = true;
        d.step = s;
        next_op(d, fmt::format("step {} group {}: drain", i, kg));
      }
    }
  }
  EXPECT_GT(padding_vectors, 0u) << "the bench exercises padding";
  EXPECT_EQ(pi, b.passes.size()) << "no extra passes";
  ASSERT_EQ(oi + 1, b.ops.size()) << "one op after the last drain";
  EXPECT_EQ(int(b.ops.back().op), int(PsumBlock::Op::finish));
  EXPECT_EQ(b.feeder.mac_activity().at("passes"), b.passes.size());
}

// Winograd as NVDLA does it, small preset: 23x23 outputs make two steps (16
// rows, then 7: a partial 2x2 tile row at the layer's edge) and partial tile
// columns; C = 12 and K = 12 as above.
TEST(Feeder, WinogradNvdla) {
  Layer l = conv3x3(12, 23, 23, 12);
  l.winograd = Winograd::nvdla;
  Bench b("small", l);
  const TilePlan& plan = b.plan;
  ASSERT_EQ(plan.winograd, Winograd::nvdla);
  ASSERT_EQ(plan.positions, 16u);
  ASSERT_EQ(plan.halves, 1u);
  ASSERT_GE(plan.step_count(), 2u) << plan.summary();
  b.run();

  const Layer& L = b.layer;
  const bool split_c = plan.units_per_block < plan.units;
  std::size_t pi = 0, oi = 0;
  auto next_op = [&](const AccOp& want, const std::string& what) {
    ASSERT_LT(oi, b.ops.size()) << what << ": missing accumulator op";
    check_op(b.ops[oi++], want, what);
  };
  std::size_t outside = 0;
  for (std::size_t i = 0; i < plan.step_count(); ++i) {
    const SlotLoad& ld = b.sent.at(i);
    const TileStep& s = ld.step;
    const unsigned tiles_h = (s.p1 - s.p0 + 1) / 2, tiles_w = (s.q1 - s.q0 + 1) / 2;
    for (unsigned kg = s.kg0; kg < s.kg1; ++kg) {
      const unsigned group = split_c ? kg - s.kg0 : 0;
      if (s.first_c) next_op(op(PsumBlock::Op::clear, group), fmt::format("step {} group {}: clear", i, kg));
      for (unsigned comp = 0; comp < 16; ++comp) {
        for (unsigned u = s.u0; u < s.u1; ++u) {
          const std::string what = fmt::format("step {} group {} component {} unit {}", i, kg, comp, u);
          const unsigned unit_lanes = std::min(b.lanes(), L.in_channels - u * b.lanes());
          ASSERT_LT(pi, b.passes.size()) << what << ": missing pass";
          const Pass& p = b.passes[pi++];
          EXPECT_TRUE(p.winograd) << what;
          EXPECT_EQ(p.component, comp) << what;
          EXPECT_EQ(p.vectors, tiles_h * tiles_w) << what;
          EXPECT_EQ(p.lanes_valid, unit_lanes) << what;
          EXPECT_EQ(p.lane_offset, 0u) << what;
          EXPECT_EQ(p.tile_lanes, b.lanes()) << what;
          EXPECT_GE(p.at, ld.ready_at[b.block(s, kg, u)]) << what << ": pass before its block is in";
          check_weights(b, p, kg, u, comp, what);
          ASSERT_GE(p.batches_before, 2u) << what;
          const Batch& ib = b.batches[p.batches_before - 2];  // inputs first, then weights
          EXPECT_EQ(ib.base, ld.base) << what;
          // Tile t's contributor c is input (row0 + rows[c/2], col0 + cols[c%2]).
          const unsigned* rows = kWinogradInputRows[comp / 4];
          const unsigned* cols = kWinogradInputRows[comp % 4];
          std::size_t reads = 0;
          unsigned bad = 0;
          for (unsigned t = 0; t < p.vectors; ++t)
            for (unsigned c = 0; c < 4; ++c) {
              const long h = long(s.p0 + 2 * (t / tiles_w)) - long(L.pad.top) + rows[c / 2];
              const long w = long(s.q0 + 2 * (t % tiles_w)) - long(L.pad.left) + cols[c % 2];
              const std::size_t at = (std::size_t(t) * 4 + c) * p.tile_lanes;
              const bool in_image = h >= 0 && w >= 0 && h < long(L.in_height) && w < long(L.in_width);
              if (in_image) ++reads; else ++outside;
              for (unsigned j = 0; j < p.tile_lanes; ++j) {
                std::int16_t want = 0;
                if (in_image && j < unit_lanes)
                  want = atom_value(b.input_offset(unsigned(h), unsigned(w), u), plan.atom_bytes, b.lanes(), j);
                const std::uint8_t zero = (!in_image || j >= unit_lanes) ? 1 : std::uint8_t(want == 0);
                if (p.inputs[at + j] != want || p.input_zero[at + j] != zero) ++bad;
              }
            }
          EXPECT_EQ(bad, 0u) << what << ": tile inputs are not the contributors of kWinogradInputRows";
          EXPECT_EQ(ib.reads.size(), reads) << what << ": one read per in-image contributor";
          next_op(op(PsumBlock::Op::add, group), what + ": add");
        }
        AccOp d = op(PsumBlock::Op::drain, group);
        d.first_channel = kg * b.cfg.atomic_k;
        d.columns = group_columns(L, b.cfg, kg);
        d.entries = tiles_h * tiles_w;
        d.component = int(comp);
        d.first = s.first_c && comp == 0;
        d.final = s.last_c && comp == 15;
        d.step = s;
        next_op(d, fmt::format("step {} group {} component {}: drain", i, kg, comp));
      }
    }
  }
  EXPECT_GT(outside, 0u) << "the bench exercises padding and partial tiles";
  EXPECT_EQ(pi, b.passes.size()) << "no extra passes";
  ASSERT_EQ(oi + 1, b.ops.size()) << "one op after the last drain";
  EXPECT_EQ(int(b.ops.back().op), int(PsumBlock::Op::finish));
}

}  // namespace
}  // namespace sdla
