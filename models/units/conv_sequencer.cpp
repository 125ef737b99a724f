#include "conv_sequencer.hpp"

#include <algorithm>
#include <bitset>

#include <fmt/format.h>

namespace sdla {
namespace {

std::int16_t element(const std::uint8_t* atom, unsigned i, Precision p) {
  if (p == Precision::int8) return std::int8_t(atom[i]);
  return std::int16_t(std::uint16_t(atom[2 * i] | atom[2 * i + 1] << 8));
}

unsigned round_up(unsigned a, unsigned b) { return (a + b - 1) / b * b; }

Counters counters(const MacActivity& a) {
  return {{"cycles", a.cycles},           {"mac_random", a.mac_random},   {"mac_gated", a.mac_gated},
          {"mac_idle", a.mac_idle},       {"act_toggles", a.act_toggles}, {"weight_toggles", a.weight_toggles}};
}

}  // namespace

ConvSequencer::ConvSequencer(const sc_core::sc_module_name& name, const AcceleratorConfig& cfg, Dma& dma,
                             UnifiedBuffer& buffer, Accumulator& acc, PostProcessor& post)
    : sc_module(name), mac_isock("mac_isock"), cfg_(cfg), dma_(dma), buffer_(buffer), acc_(acc), post_(post) {
  mac_isock.bind(*this);
  SC_THREAD(loader);
}

void ConvSequencer::run_layer(const Layer& layer, const LayerDescriptor& desc) {
  while (loader_busy_) wait(loader_idle_ev_);
  layer_ = layer;
  desc_ = desc;
  auto fill = [](std::uint32_t q16) { return q16 == 0 ? 1.0 : double(q16) / 65536.0; };
  plan_ = plan_tiles(layer, cfg_, fill(desc.input_fill), fill(desc.weight_fill));
  buffer_.reset_peak();
  const bool split_c = plan_.units_per_block < plan_.units;
  const unsigned max_pixels = plan_.rows_per_tile * plan_.cols_per_tile;
  acc_.shape(split_c ? plan_.kgroups_per_block : 1, max_pixels, layer.precision);
  pass_.configure(cfg_, layer.precision,
                  layer.weight_format == TensorFormat::sparse_2_4 ? WeightFormat::sparse_2_4 : WeightFormat::dense,
                  max_pixels);
  slot_ready_[0] = slot_ready_[1] = false;
  slot_free_[0] = slot_free_[1] = true;
  abort_ = false;
  load_error_ = nullptr;
  writes_done_ = sc_core::sc_time_stamp();
  loader_busy_ = true;
  start_ev_.notify(sc_core::SC_ZERO_TIME);

  try {
    for (std::size_t i = 0; i < plan_.step_count(); ++i) {
      const unsigned slot = i % 2;
      while (!slot_ready_[slot] && !load_error_) wait(ready_ev_);
      if (load_error_) std::rethrow_exception(load_error_);  // the loader's DmaError or TilingError
      sc_core::sc_time local = sc_core::SC_ZERO_TIME;
      compute_step(plan_.step(i), slot, local);
      wait(local);
      slot_ready_[slot] = false;
      slot_free_[slot] = true;
      free_ev_.notify();
    }
  } catch (...) {
    abort_ = true;
    free_ev_.notify();
    throw;
  }
  if (writes_done_ > sc_core::sc_time_stamp()) wait(writes_done_ - sc_core::sc_time_stamp());
}

void ConvSequencer::loader() {
  for (;;) {
    wait(start_ev_);
    for (std::size_t i = 0; i < plan_.step_count(); ++i) {
      const unsigned slot = i % 2;
      while (!slot_free_[slot] && !abort_) wait(free_ev_);
      if (abort_) break;
      slot_free_[slot] = false;
      sc_core::sc_time busy;
      try {
        busy = load_step(plan_.step(i), slot);
      } catch (...) {
        load_error_ = std::current_exception();
        ready_ev_.notify();
        break;
      }
      // The data is issued: compute may begin on it, group by group (ready_at_).
      slot_ready_[slot] = true;
      ready_ev_.notify();
      wait(busy);
    }
    loader_busy_ = false;
    loader_idle_ev_.notify();
  }
}

/// Hands out the bytes of one buffer slot in order; running past the slot
/// means the descriptor's fill hints promised less than the data holds.
class ConvSequencer::SlotAllocator {
 public:
  SlotAllocator(std::size_t base, std::size_t bytes, const std::string& layer) : base_(base), end_(base + bytes), at_(base), layer_(layer) {}
  std::size_t take(std::size_t n) {
    if (at_ + n > end_)
      throw TilingError(fmt::format("layer '{}': compressed data needs more than the {}-byte buffer slot planned "
                                    "from the descriptor's fill hints",
                                    layer_, end_ - base_));
    const std::size_t at = at_;
    at_ += n;
    return at;
  }
  std::uint32_t offset(std::size_t addr) const { return std::uint32_t(addr - base_); }
  std::size_t used() const { return at_ - base_; }

 private:
  std::size_t base_, end_, at_;
  const std::string& layer_;
};

void ConvSequencer::check_masks(const std::uint8_t* masks, std::size_t n, std::uint64_t dram) const {
  // A granule smaller than 8 elements leaves the high mask bits unused; a set one is malformed data.
  const unsigned spare = 0xFFu & ~((1u << plan_.granule) - 1);
  for (std::size_t i = 0; i < n; ++i)
    if (masks[i] & spare)
      throw DmaError(fmt::format("layer '{}': ZVC mask byte {:#04x} at DRAM address {:#x} marks elements beyond its "
                                 "granule of {}",
                                 layer_.name, masks[i], dram + i, plan_.granule));
}

sc_core::sc_time ConvSequencer::load_input_unit(const TileStep& s, unsigned u, SlotAllocator& alloc,
                                                SlotLayout& layout) {
  const std::size_t atom = plan_.atom_bytes, cb = s.u1 - s.u0, window_w = s.w1 - s.w0;
  const unsigned first = u * plan_.unit_atoms, atoms = std::min(plan_.unit_atoms, plan_.in_atoms - first);
  const unsigned eb = element_bytes(layer_.precision);
  std::vector<DmaRun> runs;
  std::vector<AtomRef*> refs;
  for (unsigned h = s.h0; h < s.h1; ++h)
    for (unsigned w = s.w0; w < s.w1; ++w)
      for (unsigned j = 0; j < atoms; ++j) {
        const std::uint64_t atom_index = (std::uint64_t(h) * layer_.in_width + w) * plan_.in_atoms + first + j;
        AtomRef& ref = layout.input[((std::size_t(h - s.h0) * window_w + (w - s.w0)) * cb + (u - s.u0)) * plan_.unit_atoms + j];
        refs.push_back(&ref);
        const std::size_t at = alloc.take(plan_.input_zvc ? plan_.mask_bytes : atom);
        if (plan_.input_zvc) {
          ref.mask = alloc.offset(at);
          runs.push_back({desc_.input_mask_addr + atom_index * plan_.mask_bytes, at, plan_.mask_bytes});
        } else {
          ref.values = alloc.offset(at);
          runs.push_back({desc_.input_addr + atom_index * atom, at, atom});
        }
      }
  dma_.note_dense(Stream::input, std::uint64_t(refs.size()) * atom);
  const sc_core::sc_time masks_done = dma_.load(runs, buffer_, Stream::input);
  if (!plan_.input_zvc) return masks_done;

  // The masks size the value transfers: one per granule that holds non-zeros.
  runs.clear();
  std::size_t i = 0;
  for (unsigned h = s.h0; h < s.h1; ++h)
    for (unsigned w = s.w0; w < s.w1; ++w)
      for (unsigned j = 0; j < atoms; ++j, ++i) {
        const std::uint64_t atom_index = (std::uint64_t(h) * layer_.in_width + w) * plan_.in_atoms + first + j;
        AtomRef& ref = *refs[i];
        const std::uint8_t* mask = buffer_.peek(slot_base_ + ref.mask, plan_.mask_bytes);
        check_masks(mask, plan_.mask_bytes, desc_.input_mask_addr + atom_index * plan_.mask_bytes);
        ref.values = alloc.offset(alloc.take(0));
        bool first_run = true;  // an atom's granules are one gather request
        for (unsigned g = 0; g < plan_.mask_bytes; ++g)
          if (const unsigned n = std::bitset<8>(mask[g]).count()) {
            runs.push_back({desc_.input_addr + atom_index * atom + std::size_t(g) * plan_.granule * eb,
                            alloc.take(n * eb), n * eb, !first_run});
            first_run = false;
          }
      }
  return dma_.load(runs, buffer_, Stream::input, masks_done);
}

sc_core::sc_time ConvSequencer::load_weight_chunk(const TileStep& s, unsigned kg, unsigned u, SlotAllocator& alloc,
                                                  SlotLayout& layout) {
  const std::size_t rs = std::size_t(layer_.kernel_h) * layer_.kernel_w, atom = plan_.atom_bytes;
  const std::size_t cols = group_columns(layer_, cfg_, kg), n = rs * cols;  // column atoms of the chunk
  const std::size_t index = std::size_t(kg - s.kg0) * (s.u1 - s.u0) + (u - s.u0);
  // Column atoms before this chunk in DRAM: earlier groups are full (atomic_k columns).
  const std::uint64_t first = std::uint64_t(kg) * cfg_.atomic_k * plan_.units * rs + std::uint64_t(u) * n;
  dma_.note_dense(Stream::weight, n * atom * plan_.unit_atoms);
  std::vector<DmaRun> runs;
  if (!plan_.weight_zvc) {
    const std::size_t at = alloc.take(n * atom);
    layout.chunk[index] = alloc.offset(at);
    runs.push_back({desc_.weight_addr + first * atom, at, n * atom});
    if (plan_.meta_col_bytes)
      runs.push_back({desc_.weight_meta_addr + first * plan_.meta_col_bytes, alloc.take(n * plan_.meta_col_bytes),
                      n * plan_.meta_col_bytes});
    return dma_.load(runs, buffer_, Stream::weight);
  }
  const std::size_t masks = alloc.take(n * plan_.mask_bytes);
  layout.chunk[index] = alloc.offset(masks);
  runs.push_back({desc_.weight_meta_addr + first * plan_.mask_bytes, masks, n * plan_.mask_bytes});
  const sc_core::sc_time masks_done = dma_.load(runs, buffer_, Stream::weight);
  runs.clear();
  const unsigned eb = element_bytes(layer_.precision);
  layout.zvc_first[index] = layout.zvc_weights.size();
  const std::uint8_t* mask = buffer_.peek(masks, n * plan_.mask_bytes);
  check_masks(mask, n * plan_.mask_bytes, desc_.weight_meta_addr + first * plan_.mask_bytes);
  for (std::size_t col = 0; col < n; ++col) {
    AtomRef ref;
    ref.mask = alloc.offset(masks + col * plan_.mask_bytes);
    ref.values = alloc.offset(alloc.take(0));
    bool first_run = true;  // a column atom's granules are one gather request
    for (unsigned g = 0; g < plan_.mask_bytes; ++g)
      if (const unsigned cnt = std::bitset<8>(mask[col * plan_.mask_bytes + g]).count()) {
        runs.push_back({desc_.weight_addr + (first + col) * atom + std::size_t(g) * plan_.granule * eb,
                        alloc.take(cnt * eb), cnt * eb, !first_run});
        first_run = false;
      }
    layout.zvc_weights.push_back(ref);
  }
  return dma_.load(runs, buffer_, Stream::weight, masks_done);
}

sc_core::sc_time ConvSequencer::load_step(const TileStep& s, unsigned slot) {
  const std::size_t cb = s.u1 - s.u0, groups = s.kg1 - s.kg0;
  const sc_core::sc_time now = sc_core::sc_time_stamp();
  SlotLayout& layout = layout_[slot];
  layout.input.assign(std::size_t(s.h1 - s.h0) * (s.w1 - s.w0) * cb * plan_.unit_atoms, AtomRef{});
  layout.chunk.assign(groups * cb, 0);
  layout.zvc_first.assign(groups * cb, 0);
  layout.zvc_weights.clear();
  slot_base_ = slot * plan_.slot_bytes;
  SlotAllocator alloc(slot_base_, plan_.slot_bytes, layer_.name);
  // Data arrives in the order compute consumes it: channel unit by channel
  // unit of the input window, each followed by the first group's weights for
  // that unit, then the other groups' weights. A pass starts as soon as its
  // own unit and weights are in (ready_at_), not when the whole step is.
  std::vector<sc_core::sc_time> input_done(cb);
  sc_core::sc_time done = sc_core::SC_ZERO_TIME;
  ready_at_[slot].assign(groups * cb, sc_core::SC_ZERO_TIME);
  for (unsigned kg = s.kg0; kg < s.kg1; ++kg)
    for (unsigned u = s.u0; u < s.u1; ++u) {
      if (kg == s.kg0) input_done[u - s.u0] = load_input_unit(s, u, alloc, layout);
      const sc_core::sc_time t = std::max(input_done[u - s.u0], load_weight_chunk(s, kg, u, alloc, layout));
      ready_at_[slot][std::size_t(kg - s.kg0) * cb + (u - s.u0)] = now + t;
      done = std::max(done, t);
    }
  layout.used = alloc.used();
  buffer_.note_occupancy(layout.used + (slot_ready_[1 - slot] ? layout_[1 - slot].used : 0));
  return done;
}

void ConvSequencer::wait_for_data(unsigned slot, std::size_t block, sc_core::sc_time& local) {
  const sc_core::sc_time now = sc_core::sc_time_stamp();
  const sc_core::sc_time need = ready_at_[slot][block];
  if (need > now + local) local = need - now;
}

void ConvSequencer::expand(unsigned slot, const AtomRef& ref, unsigned n, std::int16_t* values, std::uint8_t* zero) {
  const std::size_t base = slot * plan_.slot_bytes;
  const unsigned eb = element_bytes(layer_.precision);
  if (ref.mask == AtomRef::kNoMask) {
    const std::uint8_t* data = buffer_.read(base + ref.values, std::size_t(n) * eb);
    for (unsigned i = 0; i < n; ++i) {
      values[i] = element(data, i, layer_.precision);
      zero[i] = values[i] == 0;
    }
    return;
  }
  // ZVC: the mask drives the zero lines; each set bit pops the next value.
  const std::uint8_t* mask = buffer_.read(base + ref.mask, plan_.mask_bytes);
  unsigned count = 0;
  for (unsigned g = 0; g < plan_.mask_bytes; ++g) count += std::bitset<8>(mask[g]).count();
  const std::uint8_t* data = buffer_.read(base + ref.values, std::size_t(count) * eb);
  unsigned next = 0;
  for (unsigned i = 0; i < n; ++i) {
    const bool live = mask[i / plan_.granule] >> (i % plan_.granule) & 1;
    zero[i] = !live;
    values[i] = live ? element(data, next, layer_.precision) : 0;
    next += live;
  }
}

void ConvSequencer::fill_weights(const TileStep& s, unsigned slot, unsigned kg, unsigned u, unsigned r,
                                 unsigned c) {
  const unsigned cols = group_columns(layer_, cfg_, kg), lanes = pass_.lanes;
  const std::size_t rs = std::size_t(layer_.kernel_h) * layer_.kernel_w, pos = std::size_t(r) * layer_.kernel_w + c;
  const SlotLayout& layout = layout_[slot];
  const std::size_t index = std::size_t(kg - s.kg0) * (s.u1 - s.u0) + (u - s.u0);
  pass_.columns = cols;
  for (unsigned k = 0; k < cols; ++k) {
    AtomRef ref;
    if (plan_.weight_zvc)
      ref = layout.zvc_weights[layout.zvc_first[index] + pos * cols + k];
    else
      ref.values = std::uint32_t(layout.chunk[index] + (pos * cols + k) * plan_.atom_bytes);
    expand(slot, ref, lanes, &pass_.weights[std::size_t(k) * lanes], &pass_.weight_zero[std::size_t(k) * lanes]);
  }
  if (!plan_.meta_col_bytes) return;
  // 2:4 metadata: a nibble idx0 | idx1 << 2 per pair of kept weights.
  const std::uint8_t* meta =
      buffer_.read(slot * plan_.slot_bytes + layout.chunk[index] + rs * cols * plan_.atom_bytes + pos * cols * plan_.meta_col_bytes,
                   std::size_t(cols) * plan_.meta_col_bytes);
  for (unsigned k = 0; k < cols; ++k)
    for (unsigned i = 0; i < lanes; ++i) {
      const std::uint8_t nibble = meta[std::size_t(k) * plan_.meta_col_bytes + i / 4] >> (4 * (i / 2 % 2)) & 0xF;
      pass_.weight_index[std::size_t(k) * lanes + i] = std::uint8_t(i % 2 ? nibble >> 2 : nibble & 3);
    }
}

void ConvSequencer::fill_activations(const TileStep& s, unsigned slot, unsigned u, unsigned r, unsigned c) {
  const unsigned lanes = pass_.lanes, bus = pass_.act_lanes;
  const unsigned unit_lanes = lanes * plan_.unit_atoms;
  const std::size_t cb = s.u1 - s.u0, window_w = s.w1 - s.w0;
  // Lanes past the layer's channels (the last unit's missing atom, padding channels) are not issued.
  pass_.lanes_valid = std::min(unit_lanes, layer_.in_channels - u * unit_lanes);
  pass_.vectors = s.pixels();
  std::fill(pass_.act_zero.begin(), pass_.act_zero.begin() + std::ptrdiff_t(pass_.vectors) * bus, 1);
  const SlotLayout& layout = layout_[slot];
  unsigned v = 0;
  for (unsigned p = s.p0; p < s.p1; ++p)
    for (unsigned q = s.q0; q < s.q1; ++q, ++v) {
      const long h = long(p) * layer_.stride_h + r - long(layer_.pad.top);
      const long w = long(q) * layer_.stride_w + c - long(layer_.pad.left);
      std::int16_t* a = &pass_.acts[std::size_t(v) * bus];
      std::uint8_t* z = &pass_.act_zero[std::size_t(v) * bus];
      if (h < 0 || w < 0 || h >= long(layer_.in_height) || w >= long(layer_.in_width)) {
        std::fill(a, a + unit_lanes, 0);  // padding: zero lines set, nothing read
        continue;
      }
      const std::size_t at = (((std::size_t(h) - s.h0) * window_w + (std::size_t(w) - s.w0)) * cb + (u - s.u0)) * plan_.unit_atoms;
      for (unsigned j = 0; j * lanes < pass_.lanes_valid; ++j)
        expand(slot, layout.input[at + j], std::min(lanes, pass_.lanes_valid - j * lanes), a + j * lanes, z + j * lanes);
    }
}

void ConvSequencer::compute_step(const TileStep& s, unsigned slot, sc_core::sc_time& local) {
  const bool split_c = plan_.units_per_block < plan_.units;
  for (unsigned kg = s.kg0; kg < s.kg1; ++kg) {
    const unsigned group = split_c ? kg - s.kg0 : 0;
    if (s.first_c) acc_.clear(group);
    for (unsigned u = s.u0; u < s.u1; ++u) {
      wait_for_data(slot, std::size_t(kg - s.kg0) * (s.u1 - s.u0) + (u - s.u0), local);
      for (unsigned r = 0; r < layer_.kernel_h; ++r)
        for (unsigned c = 0; c < layer_.kernel_w; ++c) {
          fill_weights(s, slot, kg, u, r, c);
          fill_activations(s, slot, u, r, c);
          mac_isock->b_transport(pass_, local);
          if (pass_.status != MacStatus::ok)
            throw MacArrayError(fmt::format(
                "MAC array rejected pass {} of layer '{}' ({})", passes_, layer_.name,
                pass_.status == MacStatus::bad_metadata     ? "invalid 2:4 metadata"
                : pass_.status == MacStatus::model_mismatch ? "RTL and C++ model disagree"
                                                            : "malformed request"));
          mac_total_ += pass_.activity;
          if (pass_.has_reference) reference_total_ += pass_.reference;
          ++passes_;
          acc_.add(group, pass_);
        }
    }
    if (s.last_c) {
      // Catch up with the array before writing: the DRAM serves requests in
      // the order they arrive, and a write booked ahead in time would queue
      // the loader's next reads behind it.
      wait(local);
      local = sc_core::SC_ZERO_TIME;
      write_outputs(s, kg, local);
    }
  }
}

Counters ConvSequencer::mac_activity() const {
  Counters c = counters(mac_total_);
  c["passes"] = passes_;
  return c;
}

Counters ConvSequencer::mac_reference_activity() const {
  return reference_total_ == MacActivity{} ? Counters{} : counters(reference_total_);
}

void ConvSequencer::write_outputs(const TileStep& s, unsigned kg, sc_core::sc_time& local) {
  const bool split_c = plan_.units_per_block < plan_.units;
  const unsigned group = split_c ? kg - s.kg0 : 0;
  const unsigned cols = group_columns(layer_, cfg_, kg), ob = post_.output_bytes();
  const std::uint64_t kp = round_up(layer_.out_channels, plan_.lanes);
  const unsigned Q = layer_.out_width();
  out_staging_.resize(std::size_t(s.pixels()) * cols * ob);
  for (unsigned v = 0; v < s.pixels(); ++v)
    for (unsigned k = 0; k < cols; ++k)
      post_.emit(kg * cfg_.atomic_k + k, acc_.sum(group, k, v), &out_staging_[(std::size_t(v) * cols + k) * ob]);
  acc_.note_reads(std::uint64_t(s.pixels()) * cols);
  dma_.note_dense(Stream::output, std::uint64_t(s.pixels()) * cols * ob);

  auto write = [&](std::uint64_t addr, const std::uint8_t* data, std::size_t len) {
    const sc_core::sc_time done = dma_.write(addr, data, len, Stream::output, local);
    writes_done_ = std::max(writes_done_, sc_core::sc_time_stamp() + done);
  };
  if (desc_.output_zvc()) {
    // Compress on the way out: per granule a mask byte and its non-zeros,
    // packed at the granule's front (the layout of descriptor.hpp).
    const unsigned G = plan_.granule, granules = (cols + G - 1) / G;
    std::vector<std::uint8_t> masks(granules), packed(std::size_t(G) * ob);
    unsigned v = 0;
    for (unsigned p = s.p0; p < s.p1; ++p)
      for (unsigned q = s.q0; q < s.q1; ++q, ++v) {
        const std::uint64_t first = (std::uint64_t(p) * Q + q) * kp + std::uint64_t(kg) * cfg_.atomic_k;
        for (unsigned g = 0; g < granules; ++g) {
          unsigned n = 0;
          masks[g] = 0;
          for (unsigned i = 0; i < G && g * G + i < cols; ++i) {
            const std::uint8_t* e = &out_staging_[(std::size_t(v) * cols + g * G + i) * ob];
            if (std::all_of(e, e + ob, [](std::uint8_t b) { return b == 0; })) continue;
            masks[g] = std::uint8_t(masks[g] | 1u << i);
            std::copy(e, e + ob, &packed[std::size_t(n++) * ob]);
          }
          if (n) write(desc_.output_addr + (first + std::uint64_t(g) * G) * ob, packed.data(), std::size_t(n) * ob);
        }
        write(desc_.output_mask_addr + first / G, masks.data(), granules);
      }
    return;
  }

  // Dense: one write per run of pixels that are contiguous in DRAM.
  const std::size_t len = std::size_t(cols) * ob;
  std::uint64_t run_addr = 0;
  std::size_t run_from = 0, run_len = 0;
  unsigned v = 0;
  for (unsigned p = s.p0; p < s.p1; ++p)
    for (unsigned q = s.q0; q < s.q1; ++q, ++v) {
      const std::uint64_t addr = desc_.output_addr + ((std::uint64_t(p) * Q + q) * kp + std::uint64_t(kg) * cfg_.atomic_k) * ob;
      if (run_len && run_addr + run_len == addr) {
        run_len += len;
        continue;
      }
      if (run_len) write(run_addr, &out_staging_[run_from], run_len);
      run_addr = addr;
      run_from = std::size_t(v) * len;
      run_len = len;
    }
  if (run_len) write(run_addr, &out_staging_[run_from], run_len);
}

}  // namespace sdla
