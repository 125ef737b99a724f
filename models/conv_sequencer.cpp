#include "conv_sequencer.hpp"

#include <algorithm>

#include <fmt/format.h>

namespace sdla {
namespace {

const char* const kMacActions[] = {"cycles", "mac_random", "mac_gated", "mac_idle",
                                   "act_toggles", "weight_toggles", "passes"};

std::int16_t element(const std::uint8_t* atom, unsigned i, Precision p) {
  if (p == Precision::int8) return std::int8_t(atom[i]);
  return std::int16_t(std::uint16_t(atom[2 * i] | atom[2 * i + 1] << 8));
}

unsigned round_up(unsigned a, unsigned b) { return (a + b - 1) / b * b; }

}  // namespace

ConvSequencer::ConvSequencer(const sc_core::sc_module_name& name, const AcceleratorConfig& cfg, Dma& dma,
                             UnifiedBuffer& buffer, Accumulator& acc, PostProcessor& post)
    : sc_module(name), mac_isock("mac_isock"), cfg_(cfg), dma_(dma), buffer_(buffer), acc_(acc), post_(post) {
  mac_isock.bind(*this);
  for (const char* a : kMacActions) mac_counters_[a] = 0;
  SC_THREAD(loader);
}

void ConvSequencer::run_layer(const Layer& layer, const LayerDescriptor& desc) {
  while (loader_busy_) wait(loader_idle_ev_);
  layer_ = layer;
  desc_ = desc;
  plan_ = plan_tiles(layer, cfg_);
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
  load_error_.clear();
  writes_done_ = sc_core::sc_time_stamp();
  loader_busy_ = true;
  start_ev_.notify(sc_core::SC_ZERO_TIME);

  try {
    for (std::size_t i = 0; i < plan_.step_count(); ++i) {
      const unsigned slot = i % 2;
      while (!slot_ready_[slot] && load_error_.empty()) wait(ready_ev_);
      if (!load_error_.empty()) throw DmaError(load_error_);
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
      } catch (const DmaError& e) {
        load_error_ = e.what();
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

std::size_t ConvSequencer::chunk_offset(const TileStep& s, unsigned kg, unsigned u) const {
  const std::size_t rs = std::size_t(layer_.kernel_h) * layer_.kernel_w, cb = s.u1 - s.u0;
  std::size_t off = plan_.input_bytes(s);
  for (unsigned g = s.kg0; g < kg; ++g) off += cb * rs * group_columns(layer_, cfg_, g) * plan_.block_col_bytes();
  return off + std::size_t(u - s.u0) * rs * group_columns(layer_, cfg_, kg) * plan_.block_col_bytes();
}

sc_core::sc_time ConvSequencer::load_step(const TileStep& s, unsigned slot) {
  const std::size_t base = slot * plan_.slot_bytes;
  const std::size_t atom = plan_.atom_bytes, unit = plan_.unit_bytes(), cb = s.u1 - s.u0, window_w = s.w1 - s.w0;
  const std::size_t rs = std::size_t(layer_.kernel_h) * layer_.kernel_w;
  const sc_core::sc_time now = sc_core::sc_time_stamp();
  // Data arrives in the order compute consumes it: channel unit by channel
  // unit of the input window, each followed by the first group's weights for
  // that unit, then the other groups' weights. A pass starts as soon as its
  // own unit and weights are in (ready_at_), not when the whole step is.
  std::vector<sc_core::sc_time> input_done(cb);
  std::vector<DmaRun> runs;
  sc_core::sc_time done = sc_core::SC_ZERO_TIME;
  ready_at_[slot].assign(std::size_t(s.kg1 - s.kg0) * cb, sc_core::SC_ZERO_TIME);
  std::size_t end = base + plan_.input_bytes(s);
  for (unsigned kg = s.kg0; kg < s.kg1; ++kg) {
    const std::size_t cols = group_columns(layer_, cfg_, kg);
    const std::size_t values = rs * cols * atom, meta = rs * cols * plan_.meta_col_bytes;  // per unit
    const std::uint64_t group = std::uint64_t(kg) * cfg_.atomic_k * plan_.units * rs;  // blocks' columns before kg
    for (unsigned u = s.u0; u < s.u1; ++u) {
      if (kg == s.kg0) {
        // A unit's atoms are contiguous in DRAM; the last unit may lack its second atom.
        const unsigned first_atom = u * plan_.unit_atoms;
        const std::size_t len = std::min(plan_.unit_atoms, plan_.in_atoms - first_atom) * atom;
        runs.clear();
        for (unsigned h = s.h0; h < s.h1; ++h)
          for (unsigned w = s.w0; w < s.w1; ++w)
            runs.push_back({desc_.input_addr + ((std::uint64_t(h) * layer_.in_width + w) * plan_.in_atoms + first_atom) * atom,
                            base + ((std::size_t(h - s.h0) * window_w + (w - s.w0)) * cb + (u - s.u0)) * unit, len});
        input_done[u - s.u0] = dma_.load(runs, buffer_);
      }
      const std::size_t chunk = base + chunk_offset(s, kg, u);
      std::vector<DmaRun> w{{desc_.weight_addr + (group + std::uint64_t(u) * rs * cols) * atom, chunk, values}};
      if (meta)
        w.push_back({desc_.weight_meta_addr + (group + std::uint64_t(u) * rs * cols) * plan_.meta_col_bytes,
                     chunk + values, meta});
      const sc_core::sc_time t = std::max(input_done[u - s.u0], dma_.load(w, buffer_));
      ready_at_[slot][std::size_t(kg - s.kg0) * cb + (u - s.u0)] = now + t;
      done = std::max(done, t);
      end = chunk + values + meta;
    }
  }
  buffer_.note_occupancy(end - base + (slot_ready_[1 - slot] ? plan_.slot_bytes : 0));
  return done;
}

void ConvSequencer::wait_for_data(unsigned slot, std::size_t block, sc_core::sc_time& local) {
  const sc_core::sc_time now = sc_core::sc_time_stamp();
  const sc_core::sc_time need = ready_at_[slot][block];
  if (need > now + local) local = need - now;
}

void ConvSequencer::fill_weights(const TileStep& s, unsigned slot, unsigned kg, unsigned u, unsigned r,
                                 unsigned c) {
  const unsigned cols = group_columns(layer_, cfg_, kg), lanes = pass_.lanes;
  const std::size_t rs = std::size_t(layer_.kernel_h) * layer_.kernel_w, pos = std::size_t(r) * layer_.kernel_w + c;
  const std::size_t chunk = slot * plan_.slot_bytes + chunk_offset(s, kg, u);
  const std::uint8_t* block = buffer_.read(chunk + pos * cols * plan_.atom_bytes, std::size_t(cols) * plan_.atom_bytes);
  pass_.columns = cols;
  for (unsigned k = 0; k < cols; ++k)
    for (unsigned i = 0; i < lanes; ++i) {
      const std::int16_t v = element(block + std::size_t(k) * plan_.atom_bytes, i, layer_.precision);
      pass_.weights[std::size_t(k) * lanes + i] = v;
      pass_.weight_zero[std::size_t(k) * lanes + i] = v == 0;
    }
  if (!plan_.meta_col_bytes) return;
  // 2:4 metadata: a nibble idx0 | idx1 << 2 per pair of kept weights.
  const std::uint8_t* meta = buffer_.read(chunk + rs * cols * plan_.atom_bytes + pos * cols * plan_.meta_col_bytes,
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
      const std::size_t at = ((std::size_t(h) - s.h0) * window_w + (std::size_t(w) - s.w0)) * cb + (u - s.u0);
      const std::uint8_t* data = buffer_.read(slot * plan_.slot_bytes + at * plan_.unit_bytes(),
                                              std::size_t(pass_.lanes_valid) * element_bytes(layer_.precision));
      for (unsigned i = 0; i < pass_.lanes_valid; ++i) {
        a[i] = element(data, i, layer_.precision);
        z[i] = a[i] == 0;
      }
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
            throw MacArrayError(fmt::format("MAC array rejected a pass of layer '{}' ({})", layer_.name,
                                            pass_.status == MacStatus::bad_metadata ? "invalid 2:4 metadata"
                                                                                    : "malformed request"));
          const MacActivity& a = pass_.activity;
          mac_counters_["cycles"] += a.cycles;
          mac_counters_["mac_random"] += a.mac_random;
          mac_counters_["mac_gated"] += a.mac_gated;
          mac_counters_["mac_idle"] += a.mac_idle;
          mac_counters_["act_toggles"] += a.act_toggles;
          mac_counters_["weight_toggles"] += a.weight_toggles;
          ++mac_counters_["passes"];
          acc_.add(group, pass_);
        }
    }
    if (s.last_c) write_outputs(s, kg, local);
  }
}

void ConvSequencer::write_outputs(const TileStep& s, unsigned kg, sc_core::sc_time& local) {
  const bool split_c = plan_.units_per_block < plan_.units;
  const unsigned group = split_c ? kg - s.kg0 : 0;
  const unsigned cols = group_columns(layer_, cfg_, kg), out_bytes = post_.output_bytes();
  const std::uint64_t kp = round_up(layer_.out_channels, plan_.lanes);
  const unsigned Q = layer_.out_width();
  out_staging_.resize(std::size_t(s.pixels()) * cols * out_bytes);
  for (unsigned v = 0; v < s.pixels(); ++v)
    for (unsigned k = 0; k < cols; ++k)
      post_.emit(kg * cfg_.atomic_k + k, acc_.sum(group, k, v), &out_staging_[(std::size_t(v) * cols + k) * out_bytes]);
  acc_.note_reads(std::uint64_t(s.pixels()) * cols);

  // One write per run of pixels that are contiguous in DRAM.
  const std::size_t len = std::size_t(cols) * out_bytes;
  std::uint64_t run_addr = 0;
  std::size_t run_from = 0, run_len = 0;
  auto flush = [&] {
    if (!run_len) return;
    const sc_core::sc_time done = dma_.write(run_addr, &out_staging_[run_from], run_len, local);
    writes_done_ = std::max(writes_done_, sc_core::sc_time_stamp() + done);
  };
  unsigned v = 0;
  for (unsigned p = s.p0; p < s.p1; ++p)
    for (unsigned q = s.q0; q < s.q1; ++q, ++v) {
      const std::uint64_t addr = desc_.output_addr + ((std::uint64_t(p) * Q + q) * kp + std::uint64_t(kg) * cfg_.atomic_k) * out_bytes;
      if (run_len && run_addr + run_len == addr) {
        run_len += len;
        continue;
      }
      flush();
      run_addr = addr;
      run_from = std::size_t(v) * len;
      run_len = len;
    }
  flush();
}

}  // namespace sdla
