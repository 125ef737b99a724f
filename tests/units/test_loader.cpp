// Unit bench of the loader (models/units/loader.hpp), alone: a stub DMA
// serves reads from a DRAM image (made by the host compiler) and records each
// transfer; a stub unified buffer records the writes; a stub feeder takes the
// SlotLoads and releases the slots. The references are the layer's tensors
// and the layouts of sdla/descriptor.hpp, read here independently:
//  * ZVC tensors move as masks first (one request per atom for the input;
//    one per weight chunk), then only the granules holding non-zeros, each
//    atom's granules after the first marked `gather` (one request per atom);
//  * dense_bytes adds up to the uncompressed bytes of what was loaded;
//  * the buffer holds each atom's mask and packed non-zeros (or its dense
//    bytes) where SlotLoad.layout says, inside the step's slot, and the writes
//    fill exactly `layout.used` bytes;
//  * steps arrive in plan order in alternating slots, a slot is reused only
//    after its release, and ready_at follows the DMA's answers;
//  * a mask marking elements beyond its granule is reported as an error.
#include <algorithm>
#include <bitset>
#include <cstdint>
#include <cstring>
#include <functional>
#include <iostream>
#include <random>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <tlm_utils/simple_target_socket.h>

#include "dma.hpp"
#include "host_compiler.hpp"
#include "loader.hpp"
#include "sdla/descriptor.hpp"
#include "seed.hpp"
#include "unit_bench.hpp"

namespace sdla {
namespace {

using sc_core::sc_time;
using sc_core::SC_NS;

/// What the DMA stub saw of one transfer.
struct Transfer {
  Stream tensor = Stream::input;
  std::vector<DmaRun> runs;
  std::uint64_t dense_bytes = 0;
  sc_time at;  // simulated time of the call
};

/// The unified buffer's write port: a byte array, every write recorded.
class BufferStub : public sc_core::sc_module {
 public:
  tlm_utils::simple_target_socket<BufferStub> tsock{"tsock"};
  std::vector<std::uint8_t> mem;
  struct Write {
    std::size_t addr, len;
  };
  std::vector<Write> writes;

  BufferStub(const sc_core::sc_module_name& name, std::size_t bytes) : sc_module(name), mem(bytes, 0xCD) {
    tsock.register_b_transport(this, &BufferStub::b_transport);
  }

 private:
  void b_transport(tlm::tlm_generic_payload& gp, sc_time&) {
    const std::size_t addr = std::size_t(gp.get_address()), len = gp.get_data_length();
    if (gp.get_command() != tlm::TLM_WRITE_COMMAND || addr + len > mem.size()) {
      ADD_FAILURE() << fmt::format("buffer: bad access of {} bytes at {:#x}", len, addr);
      gp.set_response_status(tlm::TLM_ADDRESS_ERROR_RESPONSE);
      return;
    }
    std::memcpy(mem.data() + addr, gp.get_data_ptr(), len);
    writes.push_back({addr, len});
    gp.set_response_status(tlm::TLM_OK_RESPONSE);
  }
};

/// The feeder's end of the slot handshake: hands each SlotLoad to `check`,
/// then waits until the step's data is in (plus some compute) and releases
/// the slot.
class FeederStub : public sc_core::sc_module {
 public:
  sc_core::sc_fifo_in<SlotLoad> loaded{"loaded"};
  sc_core::sc_fifo_out<unsigned> released{"released"};
  std::function<void()> start;
  std::function<void(const SlotLoad&)> check;
  std::size_t steps = 0;
  std::vector<sc_time> release_at;
  sc_time compute = sc_time(250, SC_NS);

  explicit FeederStub(const sc_core::sc_module_name& name) : sc_module(name) { SC_THREAD(run); }

 private:
  SC_HAS_PROCESS(FeederStub);
  void run() {
    start();
    for (std::size_t i = 0; i < steps; ++i) {
      const SlotLoad ld = loaded->read();
      check(ld);
      if (ld.error) return;
      sc_time ready = sc_core::sc_time_stamp();
      for (const sc_time& t : ld.ready_at) ready = std::max(ready, t);
      wait(ready - sc_core::sc_time_stamp() + compute);
      release_at.push_back(sc_core::sc_time_stamp());
      released->write(ld.slot);
    }
  }
};

std::int64_t read_le(const std::uint8_t* p, unsigned bytes) {
  std::uint64_t v = 0;
  for (unsigned b = 0; b < bytes; ++b) v |= std::uint64_t(p[b]) << (8 * b);
  const unsigned shift = 64 - 8 * bytes;
  return std::int64_t(v << shift) >> shift;
}

/// A sparse tensor of precision p: zero atoms, zero granules and full ones.
Tensor<std::int16_t> sparse(Shape shape, Precision p, std::mt19937_64& rng) {
  Tensor<std::int16_t> t(std::move(shape));
  const int lo = int(traits(p).min), hi = int(traits(p).max);
  std::uniform_int_distribution<int> value(lo, hi);
  std::uniform_real_distribution<double> u(0, 1);
  const double densities[] = {0.0, 0.05, 0.3, 0.8, 1.0};
  std::size_t run = 0;
  double density = 0;
  for (auto& v : t.values()) {
    if (run == 0) {  // density changes every few elements, so whole granules and atoms are empty or full
      run = std::uniform_int_distribution<std::size_t>(1, 20)(rng);
      density = densities[std::uniform_int_distribution<int>(0, 4)(rng)];
    }
    --run;
    if (u(rng) < density) {
      int x = 0;
      while (x == 0) x = value(rng);
      v = std::int16_t(x);
    }
  }
  return t;
}

/// One loader bench: a layer compiled to a DRAM image, the loader between the stubs.
struct Bench {
  AcceleratorConfig cfg;
  Layer layer;
  Tensor<std::int16_t> x, w;  // [C, H, W], [K, C, R, S]
  Program prog;
  LayerDescriptor desc;
  TilePlan plan;
  std::vector<std::uint8_t> dram;
  sc_time dma_delay = sc_time(100, SC_NS);
  std::vector<Transfer> transfers;

  Loader loader;
  test::Sink<DmaTransfer> dma;
  BufferStub buffer;
  sc_core::sc_fifo<SlotLoad> loaded{"loaded_fifo", 2};
  sc_core::sc_fifo<unsigned> released{"released_fifo", 2};
  FeederStub feeder{"feeder"};
  std::uint64_t job = 0;  // the loader's number for the layer

  Bench(const std::string& preset, Layer l, std::mt19937_64& rng)
      : cfg(AcceleratorConfig::preset(preset)),
        layer(std::move(l)),
        loader("loader", cfg),
        dma("dma", [this](DmaTransfer& t, sc_time& d) { serve(t, d); }),
        buffer("buffer", cfg.buffer_bytes()) {
    x = sparse({layer.in_channels, layer.in_height, layer.in_width}, layer.precision, rng);
    w = sparse({layer.out_channels, layer.in_channels, layer.kernel_h, layer.kernel_w}, layer.precision, rng);
    LayerOperands ops;
    ops.weights = w;
    prog = compile_network(cfg, {layer}, x, {ops});
    dram.assign(prog.end, 0);
    for (const Segment& s : prog.segments) std::copy(s.bytes.begin(), s.bytes.end(), dram.begin() + std::ptrdiff_t(s.addr));
    desc = LayerDescriptor::decode(&dram[prog.layers.at(0).descriptor]);
    const Layer from_desc = desc.layer();
    EXPECT_EQ(from_desc.activation_format, layer.activation_format);
    EXPECT_EQ(from_desc.weight_format, layer.weight_format);
    // As the pipeline plans it: from the descriptor's fill hints.
    auto fill = [](std::uint32_t q16) { return q16 == 0 ? 1.0 : double(q16) / 65536.0; };
    plan = plan_tiles(from_desc, cfg, fill(desc.input_fill), fill(desc.weight_fill));
    loader.dma_isock.bind(dma.tsock);
    loader.buf_isock.bind(buffer.tsock);
    loader.loaded(loaded);
    loader.released(released);
    feeder.loaded(loaded);
    feeder.released(released);
    feeder.steps = plan.step_count();
    feeder.start = [this, from_desc] { job = loader.start(from_desc, desc, plan); };
  }

  void serve(DmaTransfer& t, sc_time& delay) {
    EXPECT_EQ(t.dir, DmaTransfer::Dir::read) << "the loader only reads";
    transfers.push_back({t.tensor, t.runs, t.dense_bytes, sc_core::sc_time_stamp()});
    t.data.clear();
    for (const DmaRun& r : t.runs) {
      if (r.dram + r.len > dram.size()) {
        t.ok = false;
        t.error = fmt::format("read of {} bytes at {:#x} outside DRAM", r.len, r.dram);
        return;
      }
      t.data.insert(t.data.end(), dram.begin() + std::ptrdiff_t(r.dram), dram.begin() + std::ptrdiff_t(r.dram + r.len));
    }
    t.ok = true;
    delay += dma_delay;  // the last byte arrives a fixed time after the first request issues
  }

  unsigned lanes() const { return cfg.lanes(layer.precision); }
  unsigned eb() const { return element_bytes(layer.precision); }
  unsigned granule() const { return zvc_granule(lanes()); }
  unsigned mask_bytes() const { return lanes() / granule(); }
  /// Channel atom a of input pixel (h, w), padding lanes zero.
  std::vector<std::int16_t> input_atom(unsigned h, unsigned w_, unsigned a) const {
    std::vector<std::int16_t> v(lanes(), 0);
    for (unsigned i = 0; i < lanes() && a * lanes() + i < layer.in_channels; ++i) v[i] = x.at({a * lanes() + i, h, w_});
    return v;
  }
  /// Column atom of the weight chunk (group g, atom a) at position pos, column col.
  std::vector<std::int16_t> weight_atom(unsigned g, unsigned a, unsigned pos, unsigned col) const {
    std::vector<std::int16_t> v(lanes(), 0);
    const unsigned k = g * cfg.atomic_k + col, r = pos / layer.kernel_w, s = pos % layer.kernel_w;
    for (unsigned i = 0; i < lanes() && a * lanes() + i < layer.in_channels; ++i) v[i] = w.at({k, a * lanes() + i, r, s});
    return v;
  }
  /// The ZVC masks (one byte per granule) and packed non-zeros of an atom.
  std::pair<std::vector<std::uint8_t>, std::vector<std::int16_t>> zvc(const std::vector<std::int16_t>& atom) const {
    std::vector<std::uint8_t> masks(mask_bytes(), 0);
    std::vector<std::int16_t> packed;
    for (unsigned i = 0; i < atom.size(); ++i)
      if (atom[i] != 0) {
        masks[i / granule()] = std::uint8_t(masks[i / granule()] | 1u << (i % granule()));
        packed.push_back(atom[i]);
      }
    return {masks, packed};
  }
  /// Expects the buffer at `addr` to hold `atom`'s elements (dense) or its packed non-zeros.
  void expect_elements(std::size_t addr, const std::vector<std::int16_t>& elements, const std::string& what) const {
    for (std::size_t i = 0; i < elements.size(); ++i)
      ASSERT_EQ(read_le(&buffer.mem.at(addr + i * eb()), eb()), elements[i]) << what << " element " << i;
  }
};

/// Expected DMA requests of ZVC data: runs grouped into requests (a run not
/// marked gather starts one). Checks every request holds exactly one atom's
/// non-zero granules, in order, the first not marked gather; returns the
/// atoms (by DRAM address of the atom) seen.
struct ValueRequests {
  std::size_t requests = 0;
  std::vector<std::uint64_t> atoms;
};

ValueRequests check_value_runs(const std::vector<DmaRun>& runs, std::uint64_t plane, unsigned atom_bytes,
                               unsigned granule_bytes, const std::function<std::vector<unsigned>(std::uint64_t)>& nonzeros,
                               unsigned eb) {
  ValueRequests out;
  std::size_t i = 0;
  while (i < runs.size()) {
    EXPECT_FALSE(runs[i].gather) << "run " << i << " continues a request nobody started";
    const std::uint64_t atom = (runs[i].dram - plane) / atom_bytes * atom_bytes + plane;
    const std::vector<unsigned> nz = nonzeros(atom);  // non-zeros per granule of that atom
    std::size_t j = i;
    for (unsigned g = 0; g < nz.size(); ++g) {
      if (nz[g] == 0) continue;
      if (j >= runs.size() || (j > i && !runs[j].gather)) {
        ADD_FAILURE() << fmt::format("atom at {:#x}: granule {} ({} non-zeros) missing from its request", atom, g, nz[g]);
        break;
      }
      EXPECT_EQ(runs[j].dram, atom + std::uint64_t(g) * granule_bytes) << "run " << j;
      EXPECT_EQ(runs[j].len, nz[g] * eb) << "run " << j << ": the non-zeros of granule " << g;
      EXPECT_EQ(runs[j].gather, j > i) << "run " << j << ": granules after an atom's first are gathered";
      ++j;
    }
    EXPECT_GT(j, i) << fmt::format("a request for atom {:#x}, which has no non-zeros", atom);
    if (j == i) ++j;
    out.atoms.push_back(atom);
    ++out.requests;
    i = j;
  }
  return out;
}

/// Runs the bench and checks every step as the stub feeder receives it.
void run_and_check(Bench& b, std::size_t min_steps) {
  const TilePlan& plan = b.plan;
  ASSERT_GE(plan.step_count(), min_steps) << "the layer should take several steps: " << plan.summary();
  const bool in_zvc = plan.input_zvc, w_zvc = plan.weight_zvc;
  const unsigned eb = b.eb(), G = b.granule(), mb = b.mask_bytes(), atom = plan.atom_bytes;
  const unsigned rs = plan.positions;
  std::size_t next = 0, transfer0 = 0, write0 = 0;
  std::vector<sc_time> step_time;
  std::size_t max_used = 0;
  std::uint64_t input_gathers = 0, weight_gathers = 0;

  b.feeder.check = [&](const SlotLoad& ld) {
    SCOPED_TRACE(fmt::format("step {}", ld.index));
    const std::size_t i = next++;
    ASSERT_FALSE(ld.error) << "the load failed";
    ASSERT_EQ(ld.index, i) << "steps in plan order";
    EXPECT_EQ(ld.slot, i % 2);
    EXPECT_EQ(ld.base, ld.slot * plan.slot_bytes);
    const TileStep s = plan.step(i), &t = ld.step;
    EXPECT_TRUE(s.kg0 == t.kg0 && s.kg1 == t.kg1 && s.u0 == t.u0 && s.u1 == t.u1 && s.p0 == t.p0 && s.p1 == t.p1 &&
                s.q0 == t.q0 && s.q1 == t.q1 && s.h0 == t.h0 && s.h1 == t.h1 && s.w0 == t.w0 && s.w1 == t.w1)
        << "the step is the plan's";
    const SlotLayout& lay = ld.layout;
    const std::size_t cb = s.u1 - s.u0, groups = s.kg1 - s.kg0, ww = s.w1 - s.w0;
    EXPECT_LE(lay.used, plan.slot_bytes);
    max_used = std::max(max_used, lay.used);

    // Buffer writes: inside the slot, back to back, exactly `used` bytes.
    std::vector<BufferStub::Write> writes(b.buffer.writes.begin() + std::ptrdiff_t(write0), b.buffer.writes.end());
    write0 = b.buffer.writes.size();
    std::sort(writes.begin(), writes.end(), [](const auto& a, const auto& c) { return a.addr < c.addr; });
    std::size_t at = ld.base;
    for (const auto& wr : writes) {
      EXPECT_EQ(wr.addr, at) << "writes tile the slot from its base without gaps or overlaps";
      at = wr.addr + wr.len;
    }
    EXPECT_EQ(at - ld.base, lay.used);

    // Input atoms where the layout says.
    ASSERT_EQ(lay.input.size(), std::size_t(s.h1 - s.h0) * ww * cb * plan.unit_atoms);
    for (unsigned h = s.h0; h < s.h1; ++h)
      for (unsigned w = s.w0; w < s.w1; ++w)
        for (unsigned u = s.u0; u < s.u1; ++u)
          for (unsigned j = 0; j < plan.unit_atoms && u * plan.unit_atoms + j < plan.in_atoms; ++j) {
            const unsigned a = u * plan.unit_atoms + j;
            const AtomRef& ref =
                lay.input[(((u - s.u0) * std::size_t(s.h1 - s.h0) + (h - s.h0)) * ww + (w - s.w0)) * plan.unit_atoms + j];
            const auto elements = b.input_atom(h, w, a);
            const std::string what = fmt::format("input atom {} of pixel ({}, {})", a, h, w);
            if (!in_zvc) {
              EXPECT_EQ(ref.mask, AtomRef::kNoMask);
              b.expect_elements(ld.base + ref.values, elements, what);
              continue;
            }
            ASSERT_NE(ref.mask, AtomRef::kNoMask) << what;
            const auto [masks, packed] = b.zvc(elements);
            for (unsigned m = 0; m < mb; ++m)
              ASSERT_EQ(b.buffer.mem[ld.base + ref.mask + m], masks[m]) << what << " mask byte " << m;
            b.expect_elements(ld.base + ref.values, packed, what + " (packed)");
            if (::testing::Test::HasFatalFailure()) return;
          }

    // Weights where the layout says: chunk [group][unit], column atoms [position][column].
    ASSERT_EQ(lay.chunk.size(), groups * cb);
    for (unsigned g = s.kg0; g < s.kg1; ++g)
      for (unsigned u = s.u0; u < s.u1; ++u) {
        const std::size_t index = std::size_t(g - s.kg0) * cb + (u - s.u0);
        const unsigned cols = group_columns(b.layer, b.cfg, g);
        for (unsigned pos = 0; pos < rs; ++pos)
          for (unsigned col = 0; col < cols; ++col) {
            const auto elements = b.weight_atom(g, u, pos, col);
            const std::string what = fmt::format("weights of group {} unit {} position {} column {}", g, u, pos, col);
            if (!w_zvc) {
              b.expect_elements(ld.base + lay.chunk[index] + (std::size_t(pos) * cols + col) * atom, elements, what);
              continue;
            }
            const AtomRef& ref = lay.zvc_weights.at(lay.zvc_first[index] + std::size_t(pos) * cols + col);
            const auto [masks, packed] = b.zvc(elements);
            for (unsigned m = 0; m < mb; ++m)
              ASSERT_EQ(b.buffer.mem[ld.base + ref.mask + m], masks[m]) << what << " mask byte " << m;
            b.expect_elements(ld.base + ref.values, packed, what + " (packed)");
          }
        if (::testing::Test::HasFatalFailure()) return;
      }

    // The DMA transfers of this step.
    std::vector<Transfer> xfers(b.transfers.begin() + std::ptrdiff_t(transfer0), b.transfers.end());
    transfer0 = b.transfers.size();
    ASSERT_FALSE(xfers.empty());
    step_time.push_back(xfers.front().at);
    for (const Transfer& x : xfers) EXPECT_EQ(x.at, xfers.front().at) << "a step's requests are issued together";
    std::uint64_t input_dense = 0, weight_dense = 0;
    std::vector<std::uint64_t> mask_runs, value_atoms, weight_mask_runs, weight_value_atoms;
    const std::uint64_t in_atoms = plan.in_atoms;
    auto atom_index = [&](unsigned h, unsigned w, unsigned a) { return (std::uint64_t(h) * b.layer.in_width + w) * in_atoms + a; };
    auto input_nonzeros = [&](std::uint64_t addr) {
      const std::uint64_t idx = (addr - b.desc.input_addr) / atom;
      const unsigned a = unsigned(idx % in_atoms), w = unsigned(idx / in_atoms % b.layer.in_width),
                     h = unsigned(idx / in_atoms / b.layer.in_width);
      const auto [masks, packed] = b.zvc(b.input_atom(h, w, a));
      std::vector<unsigned> nz;
      for (auto m : masks) nz.push_back(unsigned(std::bitset<8>(m).count()));
      return nz;
    };
    // Column atoms of the weights are numbered as in DRAM: groups full (atomic_k columns).
    auto weight_nonzeros = [&](std::uint64_t addr) {
      std::uint64_t col_atom = (addr - b.desc.weight_addr) / atom;
      const std::uint64_t per_group = std::uint64_t(b.cfg.atomic_k) * plan.units * rs;
      const unsigned g = unsigned(col_atom / per_group);
      col_atom %= per_group;
      const unsigned cols = group_columns(b.layer, b.cfg, g);
      const unsigned u = unsigned(col_atom / (std::uint64_t(rs) * cols));
      const unsigned pos = unsigned(col_atom % (std::uint64_t(rs) * cols) / cols), col = unsigned(col_atom % cols);
      const auto [masks, packed] = b.zvc(b.weight_atom(g, u, pos, col));
      std::vector<unsigned> nz;
      for (auto m : masks) nz.push_back(unsigned(std::bitset<8>(m).count()));
      return nz;
    };
    // The mask planes: one byte per granule of the input [H][W][atoms], and
    // of the weights' column atoms (groups full).
    const std::uint64_t input_mask_end =
        b.desc.input_mask_addr + std::uint64_t(b.layer.in_height) * b.layer.in_width * in_atoms * mb;
    const std::uint64_t weight_mask_end =
        b.desc.weight_meta_addr + std::uint64_t(plan.kgroups) * b.cfg.atomic_k * plan.units * rs * mb;
    for (const Transfer& x : xfers) {
      if (x.runs.empty()) continue;
      const std::uint64_t first = x.runs.front().dram;
      if (x.tensor == Stream::input) {
        input_dense += x.dense_bytes;
        if (in_zvc && first >= b.desc.input_mask_addr && first < input_mask_end) {
          for (const DmaRun& r : x.runs) {
            EXPECT_FALSE(r.gather) << "each input atom's mask is a request of its own";
            EXPECT_EQ(r.len, mb);
            mask_runs.push_back(r.dram);
          }
        } else if (in_zvc) {
          EXPECT_EQ(x.dense_bytes, 0u) << "the masks' transfer counts the dense bytes";
          const ValueRequests v = check_value_runs(x.runs, b.desc.input_addr, atom, G * eb, input_nonzeros, eb);
          value_atoms.insert(value_atoms.end(), v.atoms.begin(), v.atoms.end());
          for (const DmaRun& r : x.runs) input_gathers += r.gather;
        } else {
          for (const DmaRun& r : x.runs) EXPECT_FALSE(r.gather);
        }
      } else {
        EXPECT_EQ(x.tensor, Stream::weight);
        weight_dense += x.dense_bytes;
        if (w_zvc && first >= b.desc.weight_meta_addr && first < weight_mask_end) {
          ASSERT_EQ(x.runs.size(), 1u) << "a chunk's weight masks are one request";
          weight_mask_runs.push_back(x.runs[0].dram);
        } else if (w_zvc) {
          EXPECT_EQ(x.dense_bytes, 0u);
          const ValueRequests v = check_value_runs(x.runs, b.desc.weight_addr, atom, G * eb, weight_nonzeros, eb);
          weight_value_atoms.insert(weight_value_atoms.end(), v.atoms.begin(), v.atoms.end());
          for (const DmaRun& r : x.runs) weight_gathers += r.gather;
        }
      }
      if (::testing::Test::HasFatalFailure()) return;
    }
    // Uncompressed bytes of what the step loaded.
    std::uint64_t window_atoms = 0;
    for (unsigned u = s.u0; u < s.u1; ++u) window_atoms += std::min(plan.unit_atoms, plan.in_atoms - u * plan.unit_atoms);
    window_atoms *= std::uint64_t(s.h1 - s.h0) * ww;
    EXPECT_EQ(input_dense, window_atoms * atom);
    std::uint64_t weight_atoms = 0;
    for (unsigned g = s.kg0; g < s.kg1; ++g) weight_atoms += std::uint64_t(group_columns(b.layer, b.cfg, g)) * rs * cb;
    EXPECT_EQ(weight_dense, weight_atoms * atom * plan.unit_atoms);
    if (in_zvc) {
      // One mask request per atom of the window; value requests for exactly the atoms holding non-zeros.
      std::vector<std::uint64_t> want_masks, want_values;
      for (unsigned h = s.h0; h < s.h1; ++h)
        for (unsigned w = s.w0; w < s.w1; ++w)
          for (unsigned u = s.u0; u < s.u1; ++u)
            for (unsigned j = 0; j < plan.unit_atoms && u * plan.unit_atoms + j < plan.in_atoms; ++j) {
              const std::uint64_t idx = atom_index(h, w, u * plan.unit_atoms + j);
              want_masks.push_back(b.desc.input_mask_addr + idx * mb);
              const auto nz = input_nonzeros(b.desc.input_addr + idx * atom);
              if (std::any_of(nz.begin(), nz.end(), [](unsigned n) { return n > 0; }))
                want_values.push_back(b.desc.input_addr + idx * atom);
            }
      std::sort(want_masks.begin(), want_masks.end());
      std::sort(want_values.begin(), want_values.end());
      std::sort(mask_runs.begin(), mask_runs.end());
      std::sort(value_atoms.begin(), value_atoms.end());
      EXPECT_EQ(mask_runs, want_masks);
      EXPECT_EQ(value_atoms, want_values);
    }
    if (w_zvc) {
      EXPECT_EQ(weight_mask_runs.size(), groups * cb) << "one mask request per chunk";
      std::size_t want = 0;
      for (unsigned g = s.kg0; g < s.kg1; ++g)
        for (unsigned u = s.u0; u < s.u1; ++u)
          for (unsigned pos = 0; pos < rs; ++pos)
            for (unsigned col = 0; col < group_columns(b.layer, b.cfg, g); ++col) {
              const auto e = b.weight_atom(g, u, pos, col);
              want += std::any_of(e.begin(), e.end(), [](std::int16_t v) { return v != 0; });
            }
      EXPECT_EQ(weight_value_atoms.size(), want) << "one value request per column atom holding non-zeros";
    }

    // ready_at: masks arrive one DMA delay after the step starts, values one
    // more (they are issued when the masks are in); dense data takes one.
    const sc_time d = b.dma_delay;
    const sc_time want_ready = step_time.back() + std::max(in_zvc ? 2 * d : d, w_zvc ? 2 * d : d);
    ASSERT_EQ(ld.ready_at.size(), groups * cb);
    for (const sc_time& r : ld.ready_at) EXPECT_EQ(r, want_ready);
  };
  sc_core::sc_start();
  EXPECT_EQ(next, plan.step_count()) << "every step was loaded";
  EXPECT_FALSE(b.loader.busy());
  // A slot is loaded again only after the feeder released it.
  for (std::size_t i = 2; i < step_time.size(); ++i)
    EXPECT_GE(step_time[i], b.feeder.release_at.at(i - 2)) << "step " << i << " loaded into a slot still in use";
  const std::size_t peak = b.loader.peak_bytes(b.job);
  EXPECT_GE(peak, max_used);
  EXPECT_LE(peak, 2 * plan.slot_bytes);
  if (in_zvc && G * eb < atom) {
    EXPECT_GT(input_gathers, 0u) << "the data had atoms with several non-zero granules";
  }
  if (w_zvc && G * eb < atom) {
    EXPECT_GT(weight_gathers, 0u) << "the data had column atoms with several non-zero granules";
  }
  std::cout << fmt::format("{} steps ({}), {} input gathers, {} weight gathers, largest slot fill {} of {} bytes\n",
                           plan.step_count(), plan.summary(), input_gathers, weight_gathers, max_used, plan.slot_bytes);
}

Layer conv(unsigned C, unsigned H, unsigned W, unsigned K, Precision p) {
  Layer l;
  l.name = "loaded";
  l.precision = p;
  l.in_channels = C;
  l.in_height = H;
  l.in_width = W;
  l.out_channels = K;
  l.kernel_h = l.kernel_w = 3;
  l.pad = {1, 1, 1, 1};
  return l;
}

// Small preset, int8: 8 lanes, one granule (mask byte) per atom; C = 20 has a
// partial last atom, K = 12 a partial last group; 30 x 40 = 1200 outputs
// take several steps of at most 512 sums per group.
TEST(Loader, ZvcInputSmallInt8) {
  std::mt19937_64 rng(test::seed(5001));
  Layer l = conv(20, 30, 40, 12, Precision::int8);
  l.activation_format = TensorFormat::zvc;
  Bench b("small", l, rng);
  run_and_check(b, 3);
}

// Small preset, int16: 4 lanes, granule 4 (the mask's high bits unused).
TEST(Loader, ZvcInputSmallInt16) {
  std::mt19937_64 rng(test::seed(5002));
  Layer l = conv(10, 30, 20, 10, Precision::int16);
  l.activation_format = TensorFormat::zvc;
  Bench b("small", l, rng);
  run_and_check(b, 2);
}

// Full preset, int8: 64 lanes, eight granules per atom, so an atom's
// non-zero granules are one gather request.
TEST(Loader, ZvcInputFullInt8Gathers) {
  std::mt19937_64 rng(test::seed(5003));
  Layer l = conv(100, 40, 40, 40, Precision::int8);
  l.activation_format = TensorFormat::zvc;
  Bench b("full", l, rng);
  run_and_check(b, 2);
}

// ZVC weights (dense input): a chunk's masks in one request, then each
// column atom's non-zero granules as one gather request.
TEST(Loader, ZvcWeightsFullInt16) {
  std::mt19937_64 rng(test::seed(5004));
  Layer l = conv(40, 36, 36, 40, Precision::int16);
  l.weight_format = TensorFormat::zvc;
  Bench b("full", l, rng);
  run_and_check(b, 2);
}

// Dense input and weights: no masks, dense_bytes equal the bytes moved.
TEST(Loader, DenseSmallInt8) {
  std::mt19937_64 rng(test::seed(5005));
  Bench b("small", conv(20, 30, 40, 12, Precision::int8), rng);
  run_and_check(b, 3);
}

// A mask byte with a bit past the granule (int16 on the small preset: granule
// 4, so bit 5 is outside) is malformed data: the SlotLoad carries a DmaError
// naming the mask's DRAM address.
TEST(Loader, MaskBeyondGranuleIsAnError) {
  std::mt19937_64 rng(test::seed(5006));
  Layer l = conv(4, 6, 6, 4, Precision::int16);
  l.activation_format = TensorFormat::zvc;
  Bench b("small", l, rng);
  ASSERT_EQ(b.granule(), 4u);
  const std::uint64_t bad = b.desc.input_mask_addr + 7;  // pixel (1, 1), atom 0: in the first step's window
  b.dram[bad] |= 0x20;
  std::string error;
  b.feeder.steps = 1;
  b.feeder.check = [&](const SlotLoad& ld) {
    ASSERT_TRUE(ld.error) << "the malformed mask was accepted";
    try {
      std::rethrow_exception(ld.error);
    } catch (const DmaError& e) {
      error = e.what();
    } catch (...) {
      ADD_FAILURE() << "not a DmaError";
    }
  };
  sc_core::sc_start();
  EXPECT_NE(error.find(fmt::format("{:#x}", bad)), std::string::npos) << error;
  EXPECT_NE(error.find("granule"), std::string::npos) << error;
}

// A layer that reads what the layer ahead still writes (Loader::start's
// input_after): its weights load at once, its input only once the pipeline
// reports that layer done, and no block is ready before its input is in.
TEST(Loader, InputWaitsForTheLayerAheadWhileWeightsLoadAhead) {
  std::mt19937_64 rng(test::seed(5007));
  Bench b("small", conv(20, 30, 40, 12, Precision::int8), rng);
  const Layer layer = b.desc.layer();
  // The loader only compares job numbers: number 1 (this layer's own) stands for the layer ahead.
  LoadHazards hazards;
  hazards.input_after = 1;  // no written ranges are given: the input waits for the whole job
  hazards.input_writes.push_back({"input", TensorRegion::Use::output, b.desc.input_addr, b.prog.end});
  b.feeder.start = [&] { b.job = b.loader.start(layer, b.desc, b.plan, hazards); };
  const sc_time ahead_done(20, sc_core::SC_US);
  sc_core::sc_spawn([&] {
    sc_core::wait(ahead_done);
    b.loader.completed(1);
  });
  std::size_t steps = 0;
  b.feeder.check = [&](const SlotLoad& ld) {
    ASSERT_FALSE(ld.error);
    ++steps;
    for (const sc_time& r : ld.ready_at) EXPECT_GE(r, ahead_done + b.dma_delay) << "step " << ld.index;
  };
  sc_core::sc_start();
  EXPECT_EQ(b.job, 1u);
  EXPECT_EQ(steps, b.plan.step_count());
  std::size_t early_weights = 0, inputs = 0;
  for (const auto& t : b.transfers) {
    if (t.tensor == Stream::input) {
      ++inputs;
      EXPECT_GE(t.at, ahead_done) << "input read before the layer ahead had written it";
    } else if (t.tensor == Stream::weight && t.at < ahead_done) {
      ++early_weights;
    }
  }
  EXPECT_GT(inputs, 0u);
  EXPECT_GT(early_weights, 0u) << "the first step's weights did not load ahead";
}

// The same, with the layer ahead's output writer recording what it has
// written: each input read goes out once the rows it reads are written,
// not when the whole layer ahead is done.
TEST(Loader, InputLoadsAsFarAsTheLayerAheadHasWrittenIt) {
  std::mt19937_64 rng(test::seed(5008));
  Bench b("small", conv(20, 30, 40, 12, Precision::int8), rng);
  ASSERT_GT(b.plan.step_count(), 2u);
  const Layer layer = b.desc.layer();
  const std::uint64_t in = b.desc.input_addr, in_bytes = tensor_regions(layer, b.desc, b.cfg).at(0).bytes;
  ASSERT_EQ(in_bytes, std::uint64_t(30) * 40 * 24) << "[H][W][Cp], Cp = 24";
  const std::uint64_t half = in_bytes / 2;
  WrittenRanges written;
  b.loader.watch(&written);
  LoadHazards hazards;
  hazards.input_after = 1;  // stands for the layer ahead; the ranges below are its writes
  hazards.input_writes.push_back({"input", TensorRegion::Use::output, in, in_bytes});
  b.feeder.start = [&] {
    written.restart(1);
    b.job = b.loader.start(layer, b.desc, b.plan, hazards);
  };
  const sc_time first_half(10, sc_core::SC_US), second_half(30, sc_core::SC_US), ahead_done(50, sc_core::SC_US);
  const sc_time first_done(12, sc_core::SC_US), second_done(31, sc_core::SC_US);  // when those writes complete
  sc_core::sc_spawn([&] {
    sc_core::wait(first_half);
    written.add(in, half, first_done);
    sc_core::wait(second_half - first_half);
    written.add(in + half, in_bytes - half, second_done);
    sc_core::wait(ahead_done - second_half);
    b.loader.completed(1);
  });
  b.feeder.check = [&](const SlotLoad& ld) { ASSERT_FALSE(ld.error); };
  sc_core::sc_start();
  std::size_t early = 0;
  for (const auto& t : b.transfers) {
    if (t.tensor != Stream::input) continue;
    std::uint64_t last = 0;
    for (const DmaRun& r : t.runs) last = std::max(last, r.dram + r.len);
    const sc_time written_at = last <= in + half ? first_half : second_half;
    EXPECT_GE(t.at, written_at) << "input read at " << t.at << " before its rows were written";
    early += t.at < second_half;
  }
  EXPECT_GT(early, 0u) << "no input read went out before the layer ahead had written all of it";
  EXPECT_TRUE(written.covered(1, in, in_bytes).has_value()) << "the ranges cover the input";
  EXPECT_FALSE(written.covered(2, in, in_bytes).has_value()) << "another job's ranges cover nothing";
}

TEST(WrittenRanges, CoverageNeedsEveryByteAndGivesTheLatestCompletion) {
  WrittenRanges w;
  w.restart(7);
  w.add(100, 50, sc_time(5, sc_core::SC_NS));
  w.add(150, 10, sc_time(9, sc_core::SC_NS));
  w.add(200, 10, sc_time(1, sc_core::SC_NS));
  EXPECT_EQ(w.covered(7, 100, 60), sc_time(9, sc_core::SC_NS));
  EXPECT_EQ(w.covered(7, 120, 10), sc_time(5, sc_core::SC_NS));
  EXPECT_FALSE(w.covered(7, 100, 61).has_value()) << "byte 160 is not written";
  EXPECT_FALSE(w.covered(7, 99, 2).has_value()) << "byte 99 is not written";
  EXPECT_FALSE(w.covered(7, 155, 50).has_value()) << "a gap at 160..199";
  EXPECT_FALSE(w.covered(8, 100, 10).has_value()) << "the ranges are job 7's";
  w.restart(8);
  EXPECT_FALSE(w.covered(8, 100, 10).has_value()) << "restart forgets";
}

// Tiles' runs interleaved as the output writer adds them (each tile rising
// through memory, other tiles' ranges between), some written again, over
// several jobs: every query agrees with a map of each byte's completion.
TEST(WrittenRanges, InterleavedTilesAgreeWithAByteMap) {
  std::mt19937_64 rng(test::seed(4011));
  constexpr unsigned kBytes = 4096;
  WrittenRanges w;
  for (std::uint64_t job = 1; job <= 20; ++job) {
    w.restart(job);
    std::vector<long> done(kBytes, -1);  // ns per byte, -1: not written
    std::vector<std::pair<std::uint64_t, std::uint64_t>> runs;
    const unsigned tiles = 1 + unsigned(rng() % 6), len = 1 + unsigned(rng() % 24);
    const unsigned pitch = tiles * len + unsigned(rng() % 3);
    auto add = [&](std::uint64_t addr, std::uint64_t n, long ns) {
      std::fill(done.begin() + long(addr), done.begin() + long(addr + n), ns);
      w.add(addr, n, sc_time(double(ns), sc_core::SC_NS));
    };
    for (unsigned t = 0; t < tiles; ++t)
      for (unsigned p = 0; (p + 1) * pitch <= kBytes; ++p)
        if (rng() % 8) {
          runs.emplace_back(p * pitch + t * len, len);
          add(runs.back().first, len, long(10 * job + t + rng() % 3));
        }
    for (int r = 0; r < 20 && !runs.empty(); ++r) {  // a run written again
      const auto& [addr, n] = runs[rng() % runs.size()];
      add(addr, n, long(rng() % 100));
    }
    for (int q = 0; q < 400; ++q) {
      const std::uint64_t a = rng() % kBytes, n = 1 + rng() % std::min<std::uint64_t>(64, kBytes - a);
      long latest = 0;
      bool all = true;
      for (std::uint64_t b = a; b < a + n; ++b) {
        all = all && done[b] >= 0;
        latest = std::max(latest, done[b]);
      }
      const auto got = w.covered(job, a, n);
      ASSERT_EQ(got.has_value(), all) << "job " << job << " bytes [" << a << ", " << a + n << ")";
      if (all) {
        ASSERT_EQ(*got, sc_time(double(latest), sc_core::SC_NS)) << "job " << job << " at " << a;
      }
    }
  }
}

}  // namespace
}  // namespace sdla
