#include "loader.hpp"

#include <algorithm>
#include <bitset>

#include <fmt/format.h>

#include "dma.hpp"
#include "sdla/log.hpp"
#include "sdla/tile_plan.hpp"

namespace sdla {

Loader::Loader(const sc_core::sc_module_name& name, const AcceleratorConfig& cfg)
    : sc_module(name), dma_isock("dma_isock"), buf_isock("buf_isock"), loaded("loaded"), released("released"),
      cfg_(cfg) {
  SC_THREAD(run);
}

std::uint64_t Loader::start(const Layer& layer, const LayerDescriptor& desc, const TilePlan& plan, LoadHazards hazards) {
  layer_ = layer;
  desc_ = desc;
  plan_ = plan;
  peak_ = last_used_ = 0;
  abort_ = false;
  busy_ = true;
  hazards_ = std::move(hazards);
  start_ev_.notify(sc_core::SC_ZERO_TIME);
  return ++job_;
}

void Loader::completed(std::uint64_t job) {
  completed_ = std::max(completed_, job);
  completed_ev_.notify();
}

void Loader::abort() {
  abort_ = true;
  abort_ev_.notify();
}

std::size_t Loader::peak_bytes(std::uint64_t job) {
  if (job == job_ && busy_) return peak_;  // asked while still loading (the layer failed)
  const auto it = peaks_.find(job);
  if (it == peaks_.end()) return 0;
  const std::size_t peak = it->second;
  peaks_.erase(it);
  return peak;
}

void Loader::wait_completed(std::uint64_t job) {
  while (completed_ < job && !abort_) wait(completed_ev_ | abort_ev_);
}

sc_core::sc_time Loader::written_by(const std::vector<DmaRun>& runs) {
  sc_core::sc_time latest = sc_core::sc_time_stamp();
  // Coverage only grows while the job ahead computes: runs found written stay written.
  for (std::size_t i = 0; i < runs.size();) {
    if (completed_ >= hazards_.input_after || abort_) return std::max(latest, sc_core::sc_time_stamp());
    bool written = true;
    for (const TensorRegion& w : hazards_.input_writes) {
      const std::uint64_t a = std::max(runs[i].dram, w.addr), b = std::min(runs[i].dram + runs[i].len, w.addr + w.bytes);
      if (a >= b) continue;
      const auto t = written_ ? written_->covered(hazards_.input_after, a, b - a) : std::nullopt;
      if (!t) {
        written = false;
        break;
      }
      latest = std::max(latest, *t);
    }
    if (written) {
      ++i;
      continue;
    }
    if (written_)
      wait(written_->written_event() | completed_ev_ | abort_ev_);
    else
      wait(completed_ev_ | abort_ev_);
  }
  return std::max(latest, sc_core::sc_time_stamp());
}

sc_core::sc_time Loader::fetch_input(std::vector<DmaRun>&& runs, std::uint64_t dense_bytes, sc_core::sc_time earliest,
                                     bool keep) {
  const sc_core::sc_time ready = std::max(earliest, written_by(runs));
  const sc_core::sc_time now = sc_core::sc_time_stamp();
  return now + fetch(std::move(runs), Stream::input, dense_bytes, ready - now, keep);
}

void Loader::run() {
  for (;;) {
    wait(start_ev_);
    for (std::size_t i = 0; i < plan_.step_count() && !abort_; ++i) {
      // Two slots: a step waits until the feeder has released the older of
      // the two it holds, be it this layer's or the last one's.
      if (held_ == 2) {
        while (released->num_available() == 0 && !abort_) wait(released->data_written_event() | abort_ev_);
        if (abort_) break;
        released->read();
        --held_;
      }
      SlotLoad ld;
      ld.job = job_;
      ld.index = i;
      ld.slot = next_slot_;
      ld.base = ld.slot * plan_.slot_bytes;
      ld.step = plan_.step(i);
      next_slot_ ^= 1;
      sc_core::sc_time busy;
      try {
        busy = load_step(ld);
      } catch (...) {
        ld.error = std::current_exception();
        loaded->write(ld);
        ++held_;
        break;
      }
      if (abort_) break;  // stopped while waiting for the layer ahead
      // The other slot still holds this layer's step i - 1 until its release arrives.
      const bool other_held = i >= 1 && held_ > unsigned(released->num_available());
      peak_ = std::max(peak_, ld.layout.used + (other_held ? last_used_ : 0));
      last_used_ = ld.layout.used;
      log_info(*this, log_id::loader, kLogStep,
               "{} step {}/{}: output channel groups [{}, {}), channel units [{}, {}), output pixels [{}, {}) x [{}, "
               "{}), {} bytes in slot {}, issued over {:g} ns",
               layer_.name, i + 1, plan_.step_count(), ld.step.kg0, ld.step.kg1, ld.step.u0, ld.step.u1, ld.step.p0,
               ld.step.p1, ld.step.q0, ld.step.q1, ld.layout.used, ld.slot, busy.to_seconds() * 1e9);
      // The data is issued: the feeder may begin on it, block by block (ready_at).
      loaded->write(std::move(ld));
      ++held_;
      wait(busy);
    }
    peaks_[job_] = peak_;
    busy_ = false;
    idle_ev_.notify();
  }
}

/// Hands out the bytes of one buffer slot in order; running past the slot
/// means the descriptor's fill hints promised less than the data holds.
class Loader::SlotAllocator {
 public:
  SlotAllocator(std::size_t base, std::size_t bytes, const std::string& layer)
      : base_(base), end_(base + bytes), at_(base), layer_(layer) {}
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

sc_core::sc_time Loader::fetch(std::vector<DmaRun>&& runs, Stream tensor, std::uint64_t dense_bytes,
                               sc_core::sc_time offset, bool keep) {
  xfer_.dir = DmaTransfer::Dir::read;
  xfer_.tensor = tensor;
  xfer_.runs.swap(runs);  // the caller's scratch gets the old list's capacity back
  xfer_.dense_bytes = dense_bytes;
  dma_isock->b_transport(xfer_, offset);
  if (!xfer_.ok) throw DmaError(xfer_.error);
  // Into the buffer: one write per stretch of runs that are contiguous
  // there (the slot allocator hands out space in order, so most are).
  const auto& r = xfer_.runs;
  std::size_t at = 0;
  for (std::size_t i = 0; i < r.size();) {
    std::size_t len = r[i].len, j = i + 1;
    for (; j < r.size() && r[j].buffer == r[i].buffer + len; ++j) len += r[j].len;
    write_buffer(r[i].buffer, xfer_.data.data() + at, len);
    at += len;
    i = j;
  }
  if (keep) masks_.swap(xfer_.data);
  return offset;
}

void Loader::write_buffer(std::size_t addr, std::uint8_t* data, std::size_t len) {
  tlm::tlm_generic_payload& gp = buf_gp_;
  sc_core::sc_time zero = sc_core::SC_ZERO_TIME;
  gp.set_command(tlm::TLM_WRITE_COMMAND);
  gp.set_address(addr);
  gp.set_data_ptr(data);
  gp.set_data_length(unsigned(len));
  gp.set_streaming_width(unsigned(len));
  gp.set_byte_enable_ptr(nullptr);
  gp.set_response_status(tlm::TLM_INCOMPLETE_RESPONSE);
  buf_isock->b_transport(gp, zero);
  if (gp.is_response_error())
    throw std::logic_error(fmt::format("{}: buffer write of {} bytes at {:#x}: {}", name(), len, addr,
                                       gp.get_response_string()));
}

void Loader::check_masks(const std::uint8_t* masks, std::size_t n, std::uint64_t dram) const {
  // A granule smaller than 8 elements leaves the high mask bits unused; a set one is malformed data.
  const unsigned spare = 0xFFu & ~((1u << plan_.granule) - 1);
  for (std::size_t i = 0; i < n; ++i)
    if (masks[i] & spare)
      throw DmaError(fmt::format("layer '{}': ZVC mask byte {:#04x} at DRAM address {:#x} marks elements beyond its "
                                 "granule of {}",
                                 layer_.name, masks[i], dram + i, plan_.granule));
}

sc_core::sc_time Loader::load_input_unit(const TileStep& s, unsigned u, SlotAllocator& alloc, SlotLayout& layout) {
  const std::size_t atom = plan_.atom_bytes, window_h = s.h1 - s.h0, window_w = s.w1 - s.w0;
  const unsigned first = u * plan_.unit_atoms, atoms = std::min(plan_.unit_atoms, plan_.in_atoms - first);
  const unsigned eb = element_bytes(layer_.precision);
  std::vector<DmaRun>& runs = runs_;
  std::vector<AtomRef*>& refs = refs_;
  runs.clear();
  refs.clear();
  for (unsigned h = s.h0; h < s.h1; ++h)
    for (unsigned w = s.w0; w < s.w1; ++w)
      for (unsigned j = 0; j < atoms; ++j) {
        const std::uint64_t atom_index = (std::uint64_t(h) * layer_.in_width + w) * plan_.in_atoms + first + j;
        AtomRef& ref =
            layout.input[(((u - s.u0) * window_h + (h - s.h0)) * window_w + (w - s.w0)) * plan_.unit_atoms + j];
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
  const sc_core::sc_time masks_done = fetch_input(std::move(runs), std::uint64_t(refs.size()) * atom,
                                                  sc_core::sc_time_stamp(), plan_.input_zvc);
  if (!plan_.input_zvc) return masks_done;

  // The masks size the value transfers: one per granule that holds non-zeros.
  runs.clear();
  std::size_t i = 0;
  for (unsigned h = s.h0; h < s.h1; ++h)
    for (unsigned w = s.w0; w < s.w1; ++w)
      for (unsigned j = 0; j < atoms; ++j, ++i) {
        const std::uint64_t atom_index = (std::uint64_t(h) * layer_.in_width + w) * plan_.in_atoms + first + j;
        AtomRef& ref = *refs[i];
        const std::uint8_t* mask = &masks_[i * plan_.mask_bytes];
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
  return fetch_input(std::move(runs), 0, masks_done, false);
}

sc_core::sc_time Loader::load_weight_chunk(const TileStep& s, unsigned kg, unsigned u, SlotAllocator& alloc,
                                           SlotLayout& layout) {
  const std::size_t rs = plan_.positions, atom = plan_.atom_bytes;
  const std::size_t cols = group_columns(layer_, cfg_, kg), n = rs * cols;  // column atoms of the chunk
  const std::size_t index = std::size_t(kg - s.kg0) * (s.u1 - s.u0) + (u - s.u0);
  // Column atoms before this chunk in DRAM: earlier groups are full (atomic_k
  // columns of `span` units each; a grouped layer's from its first_unit).
  const std::uint64_t first = std::uint64_t(kg) * cfg_.atomic_k * plan_.span() * rs +
                              std::uint64_t(u - plan_.channels.first_unit(kg)) * n;
  const std::uint64_t dense = n * atom * plan_.unit_atoms;
  std::vector<DmaRun>& runs = runs_;
  runs.clear();
  if (!plan_.weight_zvc) {
    const std::size_t at = alloc.take(n * atom);
    layout.chunk[index] = alloc.offset(at);
    runs.push_back({desc_.weight_addr + first * atom, at, n * atom});
    if (plan_.meta_col_bytes)
      runs.push_back({desc_.weight_meta_addr + first * plan_.meta_col_bytes, alloc.take(n * plan_.meta_col_bytes),
                      n * plan_.meta_col_bytes});
    return fetch(std::move(runs), Stream::weight, dense);
  }
  const std::size_t masks = alloc.take(n * plan_.mask_bytes);
  layout.chunk[index] = alloc.offset(masks);
  runs.push_back({desc_.weight_meta_addr + first * plan_.mask_bytes, masks, n * plan_.mask_bytes});
  const sc_core::sc_time masks_done = fetch(std::move(runs), Stream::weight, dense, sc_core::SC_ZERO_TIME, true);
  runs.clear();
  const unsigned eb = element_bytes(layer_.precision);
  layout.zvc_first[index] = layout.zvc_weights.size();
  const std::uint8_t* mask = masks_.data();
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
  return fetch(std::move(runs), Stream::weight, 0, masks_done);
}

sc_core::sc_time Loader::load_step(SlotLoad& ld) {
  const TileStep& s = ld.step;
  const std::size_t cb = s.u1 - s.u0, groups = s.kg1 - s.kg0;
  SlotLayout& layout = ld.layout;
  layout.input.assign(std::size_t(s.h1 - s.h0) * (s.w1 - s.w0) * cb * plan_.unit_atoms, AtomRef{});
  layout.chunk.assign(groups * cb, 0);
  layout.zvc_first.assign(groups * cb, 0);
  layout.zvc_weights.clear();
  ld.ready_at.assign(groups * cb, sc_core::SC_ZERO_TIME);
  SlotAllocator alloc(ld.base, plan_.slot_bytes, layer_.name);
  // Nothing may load before the layer ahead has written what it reads.
  wait_completed(hazards_.weights_after);
  const sc_core::sc_time done =
      completed_ < hazards_.input_after ? load_weights_ahead(ld, alloc) : load_in_order(ld, alloc);
  layout.used = alloc.used();
  return done;
}

sc_core::sc_time Loader::load_in_order(SlotLoad& ld, SlotAllocator& alloc) {
  const TileStep& s = ld.step;
  const std::size_t cb = s.u1 - s.u0;
  const sc_core::sc_time now = sc_core::sc_time_stamp();
  std::vector<sc_core::sc_time> input_done(cb);
  sc_core::sc_time done = sc_core::SC_ZERO_TIME;
  for (unsigned kg = s.kg0; kg < s.kg1; ++kg)
    for (unsigned u = s.u0; u < s.u1; ++u) {
      if (kg == s.kg0) input_done[u - s.u0] = load_input_unit(s, u, alloc, ld.layout) - now;
      const sc_core::sc_time t = std::max(input_done[u - s.u0], load_weight_chunk(s, kg, u, alloc, ld.layout));
      ld.ready_at[std::size_t(kg - s.kg0) * cb + (u - s.u0)] = now + t;
      done = std::max(done, t);
    }
  return done;
}

sc_core::sc_time Loader::load_weights_ahead(SlotLoad& ld, SlotAllocator& alloc) {
  const TileStep& s = ld.step;
  const std::size_t cb = s.u1 - s.u0;
  const sc_core::sc_time before = sc_core::sc_time_stamp();
  for (unsigned kg = s.kg0; kg < s.kg1; ++kg)
    for (unsigned u = s.u0; u < s.u1; ++u)
      ld.ready_at[std::size_t(kg - s.kg0) * cb + (u - s.u0)] = before + load_weight_chunk(s, kg, u, alloc, ld.layout);
  sc_core::sc_time last = before;
  for (unsigned u = s.u0; u < s.u1; ++u) {
    const sc_core::sc_time input = load_input_unit(s, u, alloc, ld.layout);
    for (unsigned kg = s.kg0; kg < s.kg1; ++kg) {
      sc_core::sc_time& ready = ld.ready_at[std::size_t(kg - s.kg0) * cb + (u - s.u0)];
      ready = std::max(ready, input);
      last = std::max(last, ready);
    }
  }
  const sc_core::sc_time now = sc_core::sc_time_stamp();
  return last > now ? last - now : sc_core::SC_ZERO_TIME;
}

}  // namespace sdla
